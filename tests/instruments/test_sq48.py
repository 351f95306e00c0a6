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


# ============================================================================ the template
def test_the_shipped_registry_explains_that_sq48_is_a_template():
    assert "sq48" not in instruments.available()
    with pytest.raises(ArgumentError, match=r"sq48 ships only as a template without its item key .*"
                       r"template_path\('sq48'\).*load\(path, register=True\)"):
        instruments.get("sq48")


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
