"""SQ-48 (Carlier et al. 2012): the shipped template, its checks, and scoring with a filled key.

No public source for the SQ-48 item-to-subscale key could be verified, so the package ships a
template (``es.instruments.template_path("sq48")``) with the published structure and a
practice fills in the key.  The tests below fill it with a SYNTHETIC key (consecutive blocks in
the order the paper lists the subscales) that is NOT the SQ-48 key: it only exercises the
published rules, which do not depend on which item sits where:

- nine subscales of 6, 6, 7, 4, 4, 5, 5, 5, 6 items (MOOD ANXI SOMA AGOR AGGR COGN SOPH WORK
  VITA), items scored 0-4 (Carlier et al. 2012, abstract);
- a total over the 37 items outside VITA and WORK, range 0-148 (TelePsy; ValueCare);
- the total is scored with at least 30 of its 37 items answered, as sum x 37 / answered
  (ValueCare ROM documentation); subscales: effectstudy's 20% setting (floor), i.e. 1 missing
  item for the 5-7 item scales and none for AGOR and AGGR;
- VITA is better when higher, every other scale when lower.

Every expected value is worked out by hand in the test from these rules.
"""

from __future__ import annotations

import math
import re
import warnings

import pandas as pd
import pytest

import effectstudy as es
from effectstudy import instruments
from effectstudy.core.errors import ArgumentError, DataError, ParamsError, ProvisionalKeyWarning

#: a synthetic key for testing the rules -- NOT the SQ-48 scoring key
SYNTHETIC = {
    "MOOD": list(range(1, 7)),
    "ANXI": list(range(7, 13)),
    "SOMA": list(range(13, 20)),
    "AGOR": list(range(20, 24)),
    "AGGR": list(range(24, 28)),
    "COGN": list(range(28, 33)),
    "SOPH": list(range(33, 38)),
    "WORK": list(range(38, 43)),
    "VITA": list(range(43, 49)),
    "total": list(range(1, 38)),
}


def filled(tmp_path, key=SYNTHETIC, name="sq48_filled.yaml"):
    """The shipped template with every "FILL IN" replaced by the item lists of ``key``."""
    text = instruments.template_path("sq48").read_text(encoding="utf-8")
    for scale, items in key.items():
        pattern = rf'(\n  {scale}:\n(?:    .*\n)*?    items: )"FILL IN[^"]*"'
        text, n = re.subn(pattern, lambda m, it=items: m.group(1) + str(it), text, count=1)
        assert n == 1, scale
    assert "FILL IN" not in text.split("\nid:", 1)[1]
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture
def sq48(tmp_path):
    return instruments.load(filled(tmp_path))


def admin(codes: dict[int, float | None], fill: float | None = None) -> dict[str, float]:
    """One administration: item -> code (None = missing); unlisted items get ``fill``."""
    row = {}
    for i in range(1, 49):
        v = codes.get(i, fill)
        row[f"item_{i}"] = math.nan if v is None else float(v)
    return row


def score(inst, *rows) -> dict[tuple[int, str], tuple]:
    m = pd.DataFrame([{"client_id": f"c{k + 1}", "instrument": "sq48",
                       "date": pd.Timestamp(2025, 1, 6 + k), **r} for k, r in enumerate(rows)])
    with pytest.warns(ProvisionalKeyWarning, match="sq48: the key of scale"):
        res = es.score(m, instrument=inst)
    s = res.scores
    return {(int(c[1:]), sc): (v, n, p, r) for c, sc, v, n, p, r in zip(
        s["client_id"], s["scale"].astype(str), s["score"], s["n_answered"], s["prorated"],
        s["reason"].astype(object), strict=True)}


def blocks(per_scale: dict[str, float]) -> dict[int, float]:
    return {i: v for sc, v in per_scale.items() for i in SYNTHETIC[sc]}


# ============================================================================ the shipped scale-level SQ-48
def test_the_registry_ships_sq48_at_scale_level_without_item_numbers():
    inst = instruments.get("sq48")
    assert "sq48" in instruments.available() and inst.origin == "shipped"
    assert inst.scale_level and inst.scored_items == () and inst.reverse_items == ()
    assert inst.status == "provisional" and "item-to-subscale key is not in a verified public source" in inst.status_reason
    text = (instruments.SHIPPED_DIR / "sq48.yaml").read_text(encoding="utf-8")
    assert len(re.findall(r"^    items: unknown$", text, flags=re.M)) == 10
    assert not re.search(r"^    items: [\[0-9]", text, flags=re.M)


def test_scale_level_sizes_ranges_and_directions_are_the_published_ones():
    s = instruments.get("sq48").scales
    # Carlier et al. 2012: 6, 6, 7, 4, 4, 5, 5, 5, 6 items; total = the 37 items outside VITA and WORK
    assert {n: s[n].n_items for n in s} == {"MOOD": 6, "ANXI": 6, "SOMA": 7, "AGOR": 4, "AGGR": 4, "COGN": 5,
                                            "SOPH": 5, "WORK": 5, "VITA": 6, "total": 37}
    # 0-4 coding: 0 .. 4 x n
    assert {n: (s[n].score_min, s[n].score_max) for n in s} == {
        "MOOD": (0, 24), "ANXI": (0, 24), "SOMA": (0, 28), "AGOR": (0, 16), "AGGR": (0, 16), "COGN": (0, 20),
        "SOPH": (0, 20), "WORK": (0, 20), "VITA": (0, 24), "total": (0, 148)}
    assert {n for n in s if s[n].better_is == "higher"} == {"VITA"}
    assert all(sc.status == "provisional" for sc in s.values())


def test_shipped_scale_level_file_and_template_describe_the_same_scales(sq48):
    """The template, filled in, gives the shipped file's scales: the two files cannot drift apart."""
    ship = instruments.get("sq48").table().drop(columns=["items"])
    fill = sq48.table().drop(columns=["items"])
    pd.testing.assert_frame_equal(ship, fill)
    shipped = instruments.get("sq48")
    assert (shipped.name, shipped.n_items, shipped.item_min, shipped.item_max, shipped.partition, shipped.missing) == (
        sq48.name, sq48.n_items, sq48.item_min, sq48.item_max, sq48.partition, sq48.missing)


def test_scoring_item_answers_without_the_key_says_how_to_fill_in_the_template():
    m = pd.DataFrame([{"client_id": "c1", "instrument": "sq48", "date": pd.Timestamp(2025, 1, 6), **admin({}, fill=1)}])
    with pytest.raises(DataError) as exc:
        es.score(m, instrument="sq48")
    msg = str(exc.value)
    assert msg.startswith("sq48 is registered at scale level only: its item-to-subscale key is not shipped")
    assert "so scoring its item columns is not possible" in msg
    assert f"es.instruments.template_path('sq48') ({instruments.template_path('sq48')})" in msg
    assert "replace each 'FILL IN' by the item numbers" in msg and "es.instruments.load(path, register=True)" in msg
    assert "values: scores, columns score_<SCALE>" in msg


def test_the_research_export_says_why_sq48_items_are_not_scored():
    from effectstudy.privacy.export import scoring_problem

    m = pd.DataFrame([{"client_id": "c1", "instrument": "sq48", "date": pd.Timestamp(2025, 1, 6), **admin({}, fill=1)}])
    assert scoring_problem(m) == instruments.no_key_message(instruments.get("sq48"), "scoring its item columns")
    assert scoring_problem(m).startswith("sq48 is registered at scale level only")


def test_reliability_without_the_key_explains_it_cannot():
    m = pd.DataFrame([{"client_id": f"c{k}", "instrument": "sq48", "occasion": "pre", **admin({}, fill=k % 5)}
                      for k in range(5)])
    with pytest.raises(DataError) as exc:
        es.reliability(m, instrument="sq48", scale="MOOD")
    msg = str(exc.value)
    assert "sq48 is registered at scale level only" in msg and "so Cronbach's alpha of MOOD is not possible" in msg
    assert "template_path('sq48')" in msg and "a published reliability" in msg


def test_a_filled_key_registered_replaces_the_scale_level_sq48_for_the_run(tmp_path):
    path = filled(tmp_path)
    m = pd.DataFrame([{"client_id": "c1", "instrument": "sq48", "date": pd.Timestamp(2025, 1, 6),
                       **admin(blocks({"MOOD": 3, "VITA": 4}), fill=1)}])
    try:
        inst = instruments.load(path, register=True)
        assert instruments.get("sq48") is inst and not inst.scale_level and inst.overrides_shipped
        with pytest.warns(ProvisionalKeyWarning):
            res = es.score(m, instrument="sq48")
        got = dict(zip(res.scores["scale"].astype(str), res.scores["score"], strict=True))
        # MOOD 6 x 3 = 18; VITA 6 x 4 = 24; total: MOOD 18 + 31 other symptom items x 1 = 49
        assert (got["MOOD"], got["VITA"], got["total"]) == (18.0, 24.0, 49.0)
        assert res.meta["source"] == str(path) and res.meta["overrides_shipped"] is True
    finally:
        instruments.unregister("sq48")
    assert instruments.get("sq48").scale_level
    with pytest.raises(DataError, match="scale level only"):
        es.score(m, instrument="sq48")


def test_an_instrument_shipped_only_as_a_template_says_so(tmp_path, monkeypatch):
    """get() of an id with a template and no registry file points to the template (any future one)."""
    from effectstudy.instruments import registry

    (tmp_path / "foo48.yaml").write_text("id: foo48\n", encoding="utf-8")
    monkeypatch.setattr(registry, "TEMPLATES_DIR", tmp_path)
    with pytest.raises(ArgumentError, match=r"foo48 ships only as a template without its item key .*"
                       r"template_path\('foo48'\).*load\(path, register=True\)"):
        instruments.get("foo48")


def _shipped_text() -> str:
    return (instruments.SHIPPED_DIR / "sq48.yaml").read_text(encoding="utf-8")


def _write(tmp_path, text: str):
    p = tmp_path / "sq48_scale_level.yaml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(("old", "new", "message"), [
    ("    items: unknown\n    published_n_items: 6\n    better_is: lower\n",
     "    items: [1, 2, 3, 4, 5, 6]\n    published_n_items: 6\n    better_is: lower\n",
     r"scales\.ANXI\.items: got 'unknown' while scale MOOD lists its items; expected item numbers for every "
     r"scale, or 'unknown' for every scale"),
    ("    items: unknown\n    published_n_items: 7\n", "    items: unknown\n",
     r"scales\.SOMA\.published_n_items: got None, expected the published number of items \(1\.\.48\)"),
    ("    published_n_items: 7\n", "    published_n_items: 8\n",
     r"partition: the published sizes add up to 6 \+ 6 \+ 8 \+ 4 \+ 4 \+ 5 \+ 5 \+ 5 \+ 6 = 49, expected n_items 48"),
    ("    published_n_items: 37\n", "    published_n_items: 36\n",
     r"scales\.total\.published_n_items: got 36, expected 37: the items of MOOD, ANXI, SOMA, AGOR, AGGR, COGN, SOPH"),
    ("union_of: [MOOD,", "union_of: [MOD,", r"scales\.total\.union_of: got 'MOD', expected other scales of"),
    ("status: provisional\n", "status: verified\n",
     r"status: a scale-level instrument \(items: unknown\) must be provisional"),
    ("n_items: 48\n", "n_items: 48\nreverse_items: [3]\n",
     r"reverse_items: expected none in a scale-level instrument"),
    ("    max_missing: 7\n", "    max_missing: 37\n", r"scales\.total\.max_missing: got 37, expected 0\.\.36 for 37 items"),
])
def test_the_loader_checks_a_scale_level_file(tmp_path, old, new, message):
    text = _shipped_text()
    assert old in text
    with pytest.raises(ParamsError, match=message):
        instruments.load(_write(tmp_path, text.replace(old, new, 1)))


def test_a_scale_level_file_loads_from_a_user_path_too(tmp_path):
    inst = instruments.load(_write(tmp_path, _shipped_text()))
    assert inst.scale_level and inst.overrides_shipped and instruments.get("sq48").origin == "shipped"


# ============================================================================ the template
def test_the_unfilled_template_does_not_load_and_names_the_first_scale():
    with pytest.raises(ParamsError, match=r"scales\.MOOD\.items: got 'FILL IN: the 6 MOOD item numbers', "
                       r"expected a list of item numbers"):
        instruments.load(instruments.template_path("sq48"))


def test_the_template_holds_no_item_numbers():
    """No invented key: every subscale and the total are still to be filled in."""
    text = instruments.template_path("sq48").read_text(encoding="utf-8")
    assert len(re.findall(r'^    items: "FILL IN', text, flags=re.M)) == 10
    assert not re.search(r"^    items: \[", text, flags=re.M)


def test_filled_structure_ranges_and_directions(sq48):
    s = sq48.scales
    sizes = {n: s[n].n_items for n in s}
    assert sizes == {"MOOD": 6, "ANXI": 6, "SOMA": 7, "AGOR": 4, "AGGR": 4, "COGN": 5, "SOPH": 5,
                     "WORK": 5, "VITA": 6, "total": 37}
    assert sum(v for k, v in sizes.items() if k != "total") == 48
    # 0-4 coding: a sum of n items runs 0 .. 4n; the total 0 .. 148
    assert (s["total"].score_min, s["total"].score_max) == (0.0, 148.0)
    assert (s["VITA"].score_min, s["VITA"].score_max) == (0.0, 24.0)
    assert (s["SOMA"].score_min, s["SOMA"].score_max) == (0.0, 28.0)
    assert (s["AGOR"].score_min, s["AGOR"].score_max) == (0.0, 16.0)
    assert {n for n in s if s[n].better_is == "higher"} == {"VITA"}
    assert sq48.reverse_items == () and sq48.status == "provisional"
    assert not set(s["total"].items) & (set(s["VITA"].items) | set(s["WORK"].items))
    # minimum items: total 7 missing (30 of 37 answered); 20% of the subscales, floor
    assert {n: s[n].max_missing for n in s} == {"MOOD": 1, "ANXI": 1, "SOMA": 1, "AGOR": 0, "AGGR": 0,
                                                 "COGN": 1, "SOPH": 1, "WORK": 1, "VITA": 1, "total": 7}


@pytest.mark.parametrize(("change", "message"), [
    ({"MOOD": [1, 2, 3, 4, 5], "ANXI": [6, 7, 8, 9, 10, 11, 12]},
     r"scales\.MOOD\.items: got 5 items, expected the published 6"),
    ({"total": list(range(1, 37)) + [38]},
     r"scales\.total\.items: expected exactly the items of MOOD, ANXI, SOMA, AGOR, AGGR, COGN, SOPH; "
     r"item 37 is missing"),
    ({"VITA": [43, 44, 45, 46, 47, 1]},
     r"partition"),
])
def test_a_mistyped_key_is_refused(tmp_path, change, message):
    with pytest.raises(ParamsError, match=message):
        instruments.load(filled(tmp_path, {**SYNTHETIC, **change}))


# ============================================================================ hand-computed scores
def test_complete_administration_total_leaves_out_vita_and_work(sq48):
    t = score(sq48, admin(blocks({"MOOD": 3, "ANXI": 2, "SOMA": 1, "AGOR": 4, "AGGR": 0, "COGN": 2,
                                  "SOPH": 3, "WORK": 1, "VITA": 4})))
    # MOOD 6x3 = 18, ANXI 6x2 = 12, SOMA 7x1 = 7, AGOR 4x4 = 16, AGGR 0, COGN 5x2 = 10, SOPH 5x3 = 15
    # total = 18 + 12 + 7 + 16 + 0 + 10 + 15 = 78 (with WORK 5 and VITA 24 it would be 107)
    expected = {"MOOD": 18, "ANXI": 12, "SOMA": 7, "AGOR": 16, "AGGR": 0, "COGN": 10, "SOPH": 15,
                "WORK": 5, "VITA": 24, "total": 78}
    for sc, v in expected.items():
        assert t[(1, sc)][:3] == (v, len(SYNTHETIC[sc]), False), sc


def test_vita_is_summed_as_answered_not_reversed(sq48):
    t = score(sq48, admin({43: 4, 44: 4, 45: 3, 46: 0, 47: 1, 48: 2}, fill=0))
    assert t[(1, "VITA")][0] == 4 + 4 + 3 + 0 + 1 + 2  # 14, a higher score is better vitality
    assert t[(1, "total")][0] == 0


def test_total_minimum_items_at_and_just_beyond_the_limit(sq48):
    # at the limit: 7 of 37 missing (items 1, 2, 7, 13, 28, 29, 33), 30 answered
    at = {i: None for i in (1, 2, 7, 13, 28, 29, 33)}
    # just beyond: one more (item 20) -> 29 answered
    beyond = {**at, 20: None}
    # a non-round case at the limit: 30 answered, 29 of them 2 and item 3 = 3 -> sum 61
    odd = {**at, 3: 3}
    t = score(sq48, admin(at, fill=2), admin(beyond, fill=2), admin(odd, fill=2))
    # 30 answered x 2 = 60 -> 60 x 37 / 30 = 74
    assert t[(1, "total")][:3] == (74.0, 30, True) and pd.isna(t[(1, "total")][3])
    v, n, prorated, reason = t[(2, "total")]
    assert math.isnan(v) and n == 29 and not prorated and reason == "too_many_missing"
    # 61 x 37 / 30 = 2257 / 30 = 75.2333...
    assert t[(3, "total")][0] == pytest.approx(2257 / 30) and t[(3, "total")][1] == 30


def test_subscale_minimum_items_at_and_just_beyond_the_limit(sq48):
    t = score(
        sq48,
        # MOOD one missing (limit 1): 5 x 3 = 15 -> 15 x 6 / 5 = 18; VITA one missing: 5 x 4 = 20 -> 24
        # WORK one missing: 4 x 1 = 4 -> 4 x 5 / 4 = 5
        admin({1: None, **{i: 3 for i in range(2, 7)}, 43: None, **{i: 4 for i in range(44, 49)},
               38: None, **{i: 1 for i in range(39, 43)}}, fill=0),
        # MOOD and VITA two missing (beyond 1); AGOR one missing (beyond 0)
        admin({1: None, 2: None, 43: None, 44: None, 20: None}, fill=1),
    )
    assert t[(1, "MOOD")][:3] == (18.0, 5, True)
    assert t[(1, "VITA")][:3] == (24.0, 5, True)
    assert t[(1, "WORK")][:3] == (5.0, 4, True)
    for sc in ("MOOD", "VITA", "AGOR"):
        v, _, _, reason = t[(2, sc)]
        assert math.isnan(v) and reason == "too_many_missing", sc
    # the total of row 2: items 1, 2, 20 missing -> 34 answered x 1 = 34 -> 34 x 37 / 34 = 37
    assert t[(2, "total")][:3] == (37.0, 34, True)
    # AGGR (limit 0) complete: 4 x 1 = 4
    assert t[(2, "AGGR")][:3] == (4.0, 4, False)


def test_a_code_outside_0_4_is_an_error_not_a_score(sq48):
    """TelePsy's '0 to 5' is not the coding: a 5 is refused with the row and item named."""
    m = pd.DataFrame([{"client_id": "c1", "instrument": "sq48", "date": pd.Timestamp(2025, 1, 6),
                       **admin({5: 5}, fill=0)}])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalKeyWarning)
        with pytest.raises(DataError, match=r"item_5.*found 5"):
            es.score(m, instrument=sq48)


def test_sq48_t_scores_with_a_user_norm(sq48):
    """No public SQ-48 conversion is shipped: a practice's own linear norm, status user_supplied."""
    s = pd.DataFrame({"scale": ["total", "total", "VITA"], "score": [78.0, 40.0, 12.0]})
    t = es.t_scores(s, instrument=sq48, norm={"mean": 60, "sd": 20, "source": "own intake 2024"},
                    scales="total")
    # T = 50 + 10 (x - 60) / 20: 78 -> 59, 40 -> 40; delta T = 40 - 59 = -19 (19 points better)
    assert t["t_score"].tolist() == [59.0, 40.0]
    assert t["t_norm_status"].tolist() == ["user_supplied"] * 2


def test_union_of_must_name_other_scales(tmp_path):
    p = filled(tmp_path)
    p.write_text(p.read_text(encoding="utf-8").replace("union_of: [MOOD,", "union_of: [MOD,"), encoding="utf-8")
    with pytest.raises(ParamsError, match=r"scales\.total\.union_of: got 'MOD', expected other scales of"):
        instruments.load(p)
