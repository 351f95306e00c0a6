"""The instrument registry: shipped keys pinned to the published keys, and strict user files.

The expected item lists below are typed from /work/shared/reference/instruments.md (the
published keys and section 14, "disagreements found"), not read from the YAML files.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from effectstudy import instruments
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, ParamsError

SHIPPED = ["bsi53", "core10", "core_om", "dass21", "gad7", "oq45", "phq9", "scl90_nl", "scl90r", "sq48"]
#: scales on which a higher score is better (all others measure symptoms / distress)
HIGHER_IS_BETTER = {("sq48", "VITA")}


def test_available_lists_every_shipped_instrument():
    assert instruments.available() == SHIPPED


@pytest.mark.parametrize("iid", SHIPPED)
def test_shipped_file_is_complete_and_sourced(iid):
    inst = instruments.get(iid)
    assert inst.id == iid and inst.origin == "shipped" and not inst.overrides_shipped
    assert inst.status in ("verified", "provisional") and inst.status_reason
    assert inst.sources and inst.missing.source
    assert inst.default_scale in inst.scales
    for s in inst.scales.values():
        assert s.better_is == ("higher" if (iid, s.name) in HIGHER_IS_BETTER else "lower")
        assert all(1 <= i <= inst.n_items for i in s.items)
        assert 1 <= s.n_items <= inst.n_items and s.score_min < s.score_max
        for ns in s.norms.values():
            for f in ("reliability", "m_clinical", "sd_clinical", "m_functional", "sd_functional", "cutoff", "rci"):
                n = getattr(ns, f)
                assert n is None or n.source


def test_no_sq48_key_is_shipped():
    # instruments.md section 6 / section 14 #9: no trustworthy public SQ-48 key; the one public key is wrong.
    # The SQ-48 ships at scale level only (sizes and ranges, no item numbers): tests/instruments/test_sq48.py
    inst = instruments.get("sq48")
    assert inst.scale_level and inst.scored_items == () and inst.status == "provisional"
    assert all(s.items == () for s in inst.scales.values())
    assert [i.id for i in map(instruments.get, SHIPPED) if i.scale_level] == ["sq48"]


# ------------------------------------------------------------------------------- SCL-90-R
def test_scl90r_dimensions_match_consensus_key():
    s = instruments.get("scl90r").scales
    assert s["SOM"].items == (1, 4, 12, 27, 40, 42, 48, 49, 52, 53, 56, 58)
    assert s["O-C"].items == (3, 9, 10, 28, 38, 45, 46, 51, 55, 65)
    assert s["I-S"].items == (6, 21, 34, 36, 37, 41, 61, 69, 73)
    assert s["DEP"].items == (5, 14, 15, 20, 22, 26, 29, 30, 31, 32, 54, 71, 79)
    assert s["ANX"].items == (2, 17, 23, 33, 39, 57, 72, 78, 80, 86)
    assert s["HOS"].items == (11, 24, 63, 67, 74, 81)
    assert s["PHOB"].items == (13, 25, 47, 50, 70, 75, 82)
    assert s["PAR"].items == (8, 18, 43, 68, 76, 83)
    assert s["PSY"].items == (7, 16, 35, 62, 77, 84, 85, 87, 88, 90)
    assert s["ADD"].items == (19, 44, 59, 60, 64, 66, 89)
    assert [s[n].rule for n in ("GSI", "PST", "PSDI")] == ["mean", "positive_count", "positive_mean"]


def test_scl90r_public_code_errors_are_not_in_the_key():
    """instruments.md section 14 #8: ANX with 85 instead of 86, PSY items missing, 1-12/13-22 blocks."""
    s = instruments.get("scl90r").scales
    assert 86 in s["ANX"].items and 85 not in s["ANX"].items
    assert 85 in s["PSY"].items and len(s["PSY"].items) == 10
    # block keys would put item 2 in SOM and item 15 in O-C: the consensus has 2 in ANX, 15 in DEP
    assert 2 not in s["SOM"].items and 2 in s["ANX"].items
    assert 15 in s["DEP"].items and 15 not in s["O-C"].items
    assert s["SOM"].items != tuple(range(1, 13))


# ------------------------------------------------------------------------------- Dutch SCL-90
def test_scl90_nl_key_and_disputes():
    inst = instruments.get("scl90_nl")
    s = inst.scales
    assert (inst.item_min, inst.item_max) == (1, 5)  # section 14 #3: 1-5 coding, raw sums
    assert (s["PSNEUR"].score_min, s["PSNEUR"].score_max) == (90.0, 450.0)
    assert s["AGO"].items == (13, 25, 47, 50, 70, 75, 82)
    assert s["ANG"].items == (2, 17, 23, 33, 39, 57, 72, 78, 80, 86)
    assert s["SOM"].items == (1, 4, 12, 27, 40, 42, 48, 49, 52, 53, 56, 58)
    assert s["HOS"].items == (11, 24, 63, 67, 74, 81)
    assert s["SLA"].items == (44, 64, 66)
    assert s["DEP"].items == (3, 5, 14, 15, 19, 20, 22, 26, 29, 30, 31, 32, 51, 54, 59, 79)
    assert s["IN"].items == (9, 10, 28, 38, 45, 46, 55, 65, 71)
    # section 14 #2: 51 in DEP and 71 in IN (reverse of the SCL-90-R)
    assert 51 in s["DEP"].items and 71 in s["IN"].items and 71 not in s["DEP"].items
    # section 14 #1: SEN has 18 items incl. 37 and 69; 9 unscaled items (awell: 16 + 11)
    assert s["SEN"].items == (6, 7, 8, 18, 21, 34, 35, 36, 37, 41, 43, 61, 68, 69, 73, 76, 83, 88)
    assert s["OVE"].items == (16, 60, 62, 77, 84, 85, 87, 89, 90)
    assert [len(s[n].items) for n in ("AGO", "ANG", "DEP", "SOM", "IN", "SEN", "HOS", "SLA", "OVE")] == [
        7, 10, 16, 12, 9, 18, 6, 3, 9
    ]


def test_scl90_nl_sen_rest_split_is_provisional():
    inst = instruments.get("scl90_nl")
    assert inst.status == "provisional"
    assert "37" in inst.status_reason and "69" in inst.status_reason
    assert inst.provisional_scales == ("SEN", "OVE")
    for name in ("AGO", "ANG", "SOM", "HOS", "SLA", "PSNEUR"):
        assert inst.scales[name].status == "verified"
    assert "Arrindell" in inst.scales["SEN"].status_reason


# ------------------------------------------------------------------------------- other keys
def test_bsi53_uses_its_own_numbering():
    s = instruments.get("bsi53").scales
    assert instruments.get("bsi53").n_items == 53
    assert s["SOM"].items == (2, 7, 23, 29, 30, 33, 37)
    assert s["DEP"].items == (9, 16, 17, 18, 35, 50)
    assert s["ADD"].items == (11, 25, 39, 52)
    assert s["GSI"].items == tuple(range(1, 54))


def test_oq45_reverse_items_subscales_and_norm_sets():
    inst = instruments.get("oq45")
    assert inst.reverse_items == (1, 12, 13, 20, 21, 24, 31, 37, 43)
    s = inst.scales
    assert s["SD"].reverse == (13, 24, 31)
    assert s["IR"].reverse == (1, 20, 37, 43)
    assert s["SR"].reverse == (12, 21)
    assert [len(s[n].items) for n in ("SD", "IR", "SR")] == [25, 11, 9]
    assert (s["SD"].score_max, s["IR"].score_max, s["SR"].score_max, s["total"].score_max) == (100, 44, 36, 180)
    # section 14 #7: Dutch 56 / 18 is the default, US 63 / 14 selectable
    assert s["total"].default_norms == "NL_Timman_2017"
    assert (s["total"].cutoff.value, s["total"].rci.value) == (56, 18)
    us = s["total"].norm_set("US_Lambert_2004")
    assert (us.cutoff.value, us.cutoff.clinical_if, us.rci.value) == (63, ">", 14)
    assert "Timman" in s["total"].cutoff.source


def test_core_om_item_30_is_not_reverse_keyed():
    """instruments.md section 14 #4: awell also reverses item 30; three other sources do not."""
    inst = instruments.get("core_om")
    assert inst.reverse_items == (3, 4, 7, 12, 19, 21, 31, 32)
    assert 30 not in inst.reverse_items
    assert inst.scales["W"].items == (4, 14, 17, 31)
    assert inst.scales["P"].items == (2, 5, 8, 11, 13, 15, 18, 20, 23, 27, 28, 30)
    assert inst.scales["F"].items == (1, 3, 7, 10, 12, 19, 21, 25, 26, 29, 32, 33)
    assert inst.scales["R"].items == (6, 9, 16, 22, 24, 34)
    clin = inst.scales["clinical"]
    assert clin.multiplier == 10 and (clin.score_min, clin.score_max) == (0, 40)
    assert clin.cutoff.value == 10 and clin.cutoff.clinical_if == ">="


def test_core10_reverses_only_items_2_and_3():
    """instruments.md section 14 #5: one page reverses 3 and 4; CamCOPS and the item order say 2 and 3."""
    inst = instruments.get("core10")
    assert inst.reverse_items == (2, 3)
    t = inst.scales["total"]
    assert (t.cutoff.value, t.cutoff.clinical_if, t.rci.value, t.reliability.value) == (11, ">=", 6, 0.9)
    assert (t.m_functional.value, t.sd_functional.value, t.m_clinical.value, t.sd_clinical.value) == (
        4.7, 4.8, 19.7, 7.7
    )


def test_core10_uses_the_11_14_severity_bands():
    """instruments.md section 14 #6: bands 11-14 / 15-19 / 20-24 / 25+, not 11-15 / 16-20 / ..."""
    t = instruments.get("core10").scales["total"]
    assert t.band([10, 11, 14, 15, 19, 20, 24, 25, 40]).tolist() == [
        "low level", "mild", "mild", "moderate", "moderate", "moderate-to-severe",
        "moderate-to-severe", "severe", "severe",
    ]


def test_phq9_gad7_dass21_keys_and_bands():
    phq = instruments.get("phq9")
    assert phq.scales["total"].items == tuple(range(1, 10))  # item 10 is not scored (section 14 #11)
    assert phq.n_items == 10
    assert phq.scales["total"].band([4, 5, 9, 10, 14, 15, 19, 20]).tolist() == [
        "none/minimal", "mild", "mild", "moderate", "moderate", "moderately severe", "moderately severe", "severe"
    ]
    gad = instruments.get("gad7").scales["total"]
    assert gad.band([14, 15]).tolist() == ["moderate", "severe"]  # >= 15 severe, not > 15
    assert gad.cutoff.value == 10 and gad.cutoff.clinical_if == ">="
    d = instruments.get("dass21").scales
    assert d["depression"].items == (3, 5, 10, 13, 16, 17, 21)
    assert d["anxiety"].items == (2, 4, 7, 9, 15, 19, 20)
    assert d["stress"].items == (1, 6, 8, 11, 12, 14, 18)
    assert d["depression_x2"].multiplier == 2
    assert d["anxiety_x2"].band([7, 8, 9, 10, 20]).tolist() == ["normal", "mild", "mild", "moderate", "extremely severe"]


def test_instrument_table_and_scale_lookup():
    tab = instruments.get("core10").table()
    assert tab.loc[0, "reverse"] == "2 3" and tab.loc[0, "max_missing"] == 1
    with pytest.raises(ArgumentError, match=r"scale: got 'XX', expected one of \['total'\] for instrument core10"):
        instruments.get("core10").scale("XX")
    with pytest.raises(ArgumentError, match=r"norm: got 'EU', expected one of \['NL_Timman_2017', 'US_Lambert_2004'\]"):
        instruments.get("oq45").scales["total"].norm_set("EU")
    with pytest.raises(ArgumentError, match="scale IR has none"):
        instruments.get("oq45").scales["IR"].norm_set()
    assert instruments.get("oq45").scales["IR"].cutoff is None


def test_get_unknown_and_wrong_type():
    with pytest.raises(ArgumentError, match=r"instrument: got 'scl-90', expected one of \['bsi53'"):
        instruments.get("scl-90")
    with pytest.raises(ArgumentTypeError, match="instrument: got int 90, expected a registry id"):
        instruments.get(90)


# ------------------------------------------------------------------------------- user files
MINIMAL = """\
id: {id}
name: Test instrument
version: "1"
n_items: 4
item_min: 0
item_max: 3
status: verified
status_reason: test
default_scale: total
reverse_items: [4]
partition: [A, B]
missing: {{method: prorate, max_missing_share: 0.25, source: test}}
sources: [test]
scales:
  A: {{items: [1, 2]}}
  B: {{items: [3, 4]}}
  total: {{items: 1-4}}
"""


def write(tmp_path: Path, text: str, name: str = "instr.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_load_user_file(tmp_path):
    inst = instruments.load(write(tmp_path, MINIMAL.format(id="my_test")))
    assert inst.origin.endswith("instr.yaml") and not inst.overrides_shipped
    assert inst.scales["total"].items == (1, 2, 3, 4)
    assert inst.scales["B"].reverse == (4,)
    assert inst.scales["total"].max_missing == 1  # floor(0.25 * 4)
    assert "my_test" not in instruments.available()  # not registered unless asked


def test_register_overrides_shipped_and_unregister(tmp_path):
    text = (instruments.SHIPPED_DIR / "core10.yaml").read_text().replace("reverse_items: [2, 3]", "reverse_items: [3, 4]")
    inst = instruments.load(write(tmp_path, text), register=True)
    try:
        assert inst.overrides_shipped
        assert instruments.get("core10").reverse_items == (3, 4)
        assert instruments.get("core10").origin == str(tmp_path / "instr.yaml")
    finally:
        instruments.unregister("core10")
    assert instruments.get("core10").reverse_items == (2, 3)


BAD_CASES = [
    # (replace this, with that, expected message)
    ("reverse_items: [4]", "reverse_items: [4]\ncolour: blue", r"colour: Extra inputs are not permitted"),
    ("A: {items: [1, 2]}", "A: {items: [1, 5]}", r"scales\.A\.items: item 5 outside 1\.\.4"),
    ("A: {items: [1, 2]}", "A: {items: [1, 1]}", r"scales\.A\.items: item 1 listed twice"),
    ("A: {items: [1, 2]}", "A: {items: [1]}", r"partition: item 2 is in none of \['A', 'B'\], expected every item 1\.\.4 exactly once"),
    ("A: {items: [1, 2]}", "A: {items: [1, 2, 3]}", r"partition: item 3 is in more than one scale \(A, B\)"),
    ("A: {items: [1, 2]}", "A: {items: [1, 2], rule: median}", r"scales\.A\.rule: Input should be 'sum', 'mean'"),
    ("A: {items: [1, 2]}", "A: {items: [1, 2], better_is: up}", r"scales\.A\.better_is: Input should be 'lower' or 'higher'"),
    ("A: {items: [1, 2]}", "A: {items: [1, 2], max_missing: 2}", r"scales\.A\.max_missing: got 2, expected 0\.\.1 for 2 items"),
    ("A: {items: [1, 2]}", "A: {items: '2-1'}", r"scales\.A\.items: got range '2-1', expected a-b with a <= b"),
    ("A: {items: [1, 2]}", "A: {items: 'one'}", r"scales\.A\.items: got 'one', expected a list of item numbers or a range"),
    ('version: "1"', "version: 1.10", r"version: Input should be a valid string \(got 1\.1\)"),
    ("item_max: 3", "item_max: 0", r"item_min/item_max: got 0\.\.0, expected item_min < item_max"),
    ("n_items: 4", "n_items: 0", r"n_items: got 0, expected a positive number of items"),
    ("default_scale: total", "default_scale: sum", r"default_scale: got 'sum', expected one of \['A', 'B', 'total'\]"),
    ("status: verified", "status: draft", r"status: Input should be 'verified' or 'provisional'"),
    ("status_reason: test", "status_reason: ''\nstatus: provisional", r"status_reason: a provisional key needs a reason"),
    ("B: {items: [3, 4]}", "B: {items: [3, 4], status: provisional, status_reason: x}",
     r"scales\.B\.status: a provisional scale needs the instrument status 'provisional'"),
    ("reverse_items: [4]", "reverse_items: [9]", r"reverse_items: item 9 outside 1\.\.4"),
    ("id: {id}", "id: My-Test", r"id: got 'My-Test', expected lower-case letters"),
    ("max_missing_share: 0.25", "max_missing_share: 1.5", r"missing\.max_missing_share: got 1\.5, expected 0 <= share < 1"),
    ("method: prorate", "method: impute_scale_mean_rounded", r"missing\.impute_within: imputation needs the list of scales"),
    ("source: test}", "source: test, impute_within: [A]}", r"missing\.impute_within: only used with method impute_scale_mean_rounded"),
    ("partition: [A, B]", "partition: [A, C]", r"partition: unknown scale 'C'"),
    ("sources: [test]\n", "", r"sources: Field required"),
    ("total: {items: 1-4}", "total: {items: 1-4, norms: {x: {reliability: {value: 1.2, source: s}}}}",
     r"scales\.total\.norms\.x\.reliability: got 1\.2, expected a reliability in \(0, 1\]"),
    ("total: {items: 1-4}", "total: {items: 1-4, norms: {x: {cutoff: {value: 5}}}}",
     r"scales\.total\.norms\.x\.cutoff: expected a source"),
    ("total: {items: 1-4}", "total: {items: 1-4, norms: {x: {source: s, rci: {value: 5, clinical_if: '>='}}}}",
     r"scales\.total\.norms\.x\.rci: clinical_if is only allowed on a cutoff"),
    ("total: {items: 1-4}", "total: {items: 1-4, norms: {x: {source: s, sd_clinical: {value: 0}}}}",
     r"scales\.total\.norms\.x\.sd_clinical: got 0\.0, expected a positive number"),
    ("total: {items: 1-4}", "total: {items: 1-4, norms: {x: {source: s}}, default_norms: y}",
     r"scales\.total\.default_norms: got 'y', expected one of \['x'\]"),
    ("total: {items: 1-4}", "total: {items: 1-4, t_norms: {g: {method: linear, mean: 5, source: s}}}",
     r"scales\.total\.t_norms\.g: a linear T-norm needs mean and sd"),
    ("total: {items: 1-4}", "total: {items: 1-4, t_norms: {g: {method: linear, mean: 5, sd: -1, source: s}}}",
     r"scales\.total\.t_norms\.g\.sd: got -1\.0, expected a positive number"),
    ("total: {items: 1-4}", "total: {items: 1-4, t_norms: {g: {method: table, raw: [0, 6], t: [30, 70], source: s}}}",
     r"scales\.total\.t_norms\.g\.raw: table covers 0\.\.6, expected it to cover the scale range 0\.\.12"),
    ("total: {items: 1-4}", "total: {items: 1-4, t_norms: {g: {method: table, raw: [0, 12, 6], t: [30, 70, 50], source: s}}}",
     r"scales\.total\.t_norms\.g\.raw: expected strictly increasing raw scores"),
    ("total: {items: 1-4}", "total: {items: 1-4, t_norms: {g: {method: table, raw: [0, 12], t: [30], source: s}}}",
     r"scales\.total\.t_norms\.g: raw and t must have the same length >= 2, got 2 and 1"),
    ("total: {items: 1-4}", "total: {items: 1-4, t_norms: {g: {method: table, mean: 1, raw: [0, 12], t: [30, 70], source: s}}}",
     r"scales\.total\.t_norms\.g: a table T-norm needs raw and t lists \(and no mean/sd\)"),
    ("total: {items: 1-4}", "total: {items: 1-4, bands: [{min: 0, label: a}, {min: 0, label: b}], bands_source: s}",
     r"scales\.total\.bands: got lower bounds \[0\.0, 0\.0\], expected strictly increasing bounds from the scale minimum 0"),
    ("total: {items: 1-4}", "total: {items: 1-4, bands: [{min: 0, label: a}]}", r"scales\.total\.bands_source: expected a source"),
    ("total: {items: 1-4}", "total: {items: 1-4, multiplier: 0}", r"scales\.total\.multiplier: got 0\.0, expected a finite non-zero"),
    ("total: {items: 1-4}", "total: {items: []}", r"scales\.total\.items: expected at least one item"),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD_CASES)
def test_user_file_errors_name_file_key_and_problem(tmp_path, old, new, message):
    good = MINIMAL.format(id="bad_test")
    text = good.replace(old.replace("{id}", "bad_test"), new)
    assert text != good, f"case did not change the file: {old!r}"
    path = write(tmp_path, text)
    with pytest.raises(ParamsError, match=message) as err:
        instruments.load(path)
    assert str(path) in str(err.value)


def test_impute_within_checks(tmp_path):
    base = MINIMAL.format(id="imp_test").replace("method: prorate", "method: impute_scale_mean_rounded")
    with pytest.raises(ParamsError, match=r"missing\.impute_within: unknown scale 'Z'"):
        instruments.load(write(tmp_path, base.replace("source: test}", "source: test, impute_within: [A, Z]}")))
    with pytest.raises(ParamsError, match=r"missing\.impute_within: scales overlap"):
        instruments.load(write(tmp_path, base.replace("source: test}", "source: test, impute_within: [A, total]}")))
    with pytest.raises(ParamsError, match=r"missing\.impute_within: item 3 is scored but in none of \['A'\]"):
        instruments.load(write(tmp_path, base.replace("source: test}", "source: test, impute_within: [A]}")))


def test_load_rejects_missing_file_and_non_mapping(tmp_path):
    with pytest.raises(ArgumentError, match="path: got '.*nope.yaml', expected an existing instrument YAML file"):
        instruments.load(tmp_path / "nope.yaml")
    with pytest.raises(ParamsError, match=r"top level: got list, expected a mapping of keys"):
        instruments.load(write(tmp_path, "- 1\n- 2\n"))
    with pytest.raises(ParamsError, match="not valid YAML"):
        instruments.load(write(tmp_path, "a: [1, 2\n"))
    with pytest.raises(ArgumentTypeError, match="an Instrument"):
        instruments.register("core10")


def test_user_norms_are_exposed(tmp_path):
    text = MINIMAL.format(id="normed").replace(
        "total: {items: 1-4}",
        "total: {items: 1-4, norms: {own: {source: 'practice sample 2024', reliability: {value: 0.88},"
        " m_clinical: {value: 7.5}, sd_clinical: {value: 2.5}, cutoff: {value: 4, clinical_if: '>='}}},"
        " default_norms: own}",
    )
    t = instruments.load(write(tmp_path, text)).scales["total"]
    assert (t.reliability.value, t.m_clinical.value, t.sd_clinical.value, t.cutoff.value) == (0.88, 7.5, 2.5, 4)
    assert t.reliability.source == "practice sample 2024"
    assert t.m_functional is None and t.rci is None
