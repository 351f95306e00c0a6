"""Edges of the cut-off rule (``cutoff_flags``): scores exactly at a cut-off (issue 21, items 1-2).

Every ``clinical_if`` variant (none, ``">="``, ``">"``) for both directions, with pre and post
scores one point below, exactly at and one point above the cut-off.  Scores and cut-offs are
whole numbers, exactly representable, so "at the cut-off" is an exact equality.  The
expected flags are the rules written out by hand (``cutoff_flags``' docstring):

* no rule (a continuous criterion): a score at the cut-off is neither clinical at pre nor
  functional at post;
* ``">="``: a score at the cut-off is clinical (so clinical at pre, not functional at post);
* ``">"``: a score at the cut-off is functional (not clinical at pre, functional at post).

"Clinical side" is above the cut-off when lower is better and below it when higher is
better.  Lower-is-better rules come from the shipped registry (GAD-7 ``>= 10``, OQ-45 US
``> 63``); higher-is-better ones from a user key registered for the test.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import effectstudy as es
from effectstudy import instruments
from effectstudy.core.errors import DataQualityWarning

BELOW, AT, ABOVE = -1, 0, 1
#: which pre score offsets are clinical / post offsets functional, per (better_is, rule)
CLINICAL_PRE = {
    ("lower", None): {ABOVE},
    ("lower", ">="): {AT, ABOVE},
    ("lower", ">"): {ABOVE},
    ("higher", None): {BELOW},
    ("higher", ">="): {BELOW, AT},
    ("higher", ">"): {BELOW},
}
FUNCTIONAL_POST = {
    ("lower", None): {BELOW},
    ("lower", ">="): {BELOW},
    ("lower", ">"): {BELOW, AT},
    ("higher", None): {ABOVE},
    ("higher", ">="): {ABOVE},
    ("higher", ">"): {AT, ABOVE},
}

USER_KEY = """\
id: wellbeing_edges
name: Well-being (test key for the cut-off edges)
version: "1"
n_items: 5
item_min: 0
item_max: 4
status: verified
status_reason: a test key
default_scale: total
missing: {method: prorate, max_missing_share: 0.2, source: test}
sources: [test]
scales:
  total:
    items: 1-5
    better_is: higher
    norms:
      at_is_clinical:
        source: test
        cutoff: {value: 10, clinical_if: ">="}
      at_is_functional:
        source: test
        cutoff: {value: 10, clinical_if: ">"}
    default_norms: at_is_clinical
"""


@pytest.fixture(scope="module")
def wellbeing(tmp_path_factory):
    path = tmp_path_factory.mktemp("key") / "wellbeing_edges.yaml"
    path.write_text(USER_KEY, encoding="utf-8")
    inst = instruments.load(path, register=True)
    yield inst.id
    instruments.unregister(inst.id)


def _grid(c: int) -> pd.DataFrame:
    """Nine patients: every pre offset (below, at, above ``c``) with every post offset."""
    offs = [(a, b) for a in (BELOW, AT, ABOVE) for b in (BELOW, AT, ABOVE)]
    n = len(offs)
    return pd.DataFrame({"id": list(range(n)) * 2, "t": ["pre"] * n + ["post"] * n,
                         "y": [c + a for a, _ in offs] + [c + b for _, b in offs],
                         "_pre": [a for a, _ in offs] * 2, "_post": [b for _, b in offs] * 2})


def _check(res, df: pd.DataFrame, better_is: str, rule: str | None, c: float) -> None:
    assert res.meta["cutoff_value"] == c
    assert res.meta["clinical_if"] == rule
    offs = df.iloc[: len(df) // 2]
    clin = [a in CLINICAL_PRE[(better_is, rule)] for a in offs["_pre"]]
    func = [b in FUNCTIONAL_POST[(better_is, rule)] for b in offs["_post"]]
    cat = ["improved" if cl and fu else "deteriorated" if not cl and not fu else "unchanged"
           for cl, fu in zip(clin, func, strict=True)]
    p = res.patients.loc[offs["id"]]
    assert p["clinical_pre"].tolist() == clin
    assert p["functional_post"].tolist() == func
    assert p["category"].astype(str).tolist() == cat


def _cutoff_change(df, **kw):
    return es.cutoff_change(df.drop(columns=["_pre", "_post"]), subject="id", time="t",
                            outcome="y", pre="pre", post="post", **kw)


def test_pre_and_post_at_published_ge_cutoff_gad7_at_is_clinical():
    # GAD-7 (Spitzer 2006): clinical if total >= 10; 9, 10, 11 are whole numbers
    df = _grid(10)
    res = _cutoff_change(df, instrument="gad7", scale="total", cutoff="published")
    _check(res, df, "lower", ">=", 10)


def test_pre_and_post_at_published_gt_cutoff_oq45_at_is_functional():
    # OQ-45 US norms (Lambert 2004): "<= 63 functional, >= 64 dysfunctional", clinical_if ">"
    df = _grid(63)
    res = _cutoff_change(df, instrument="oq45", scale="total", norms="US_Lambert_2004",
                         cutoff="published")
    _check(res, df, "lower", ">", 63)


@pytest.mark.parametrize("better_is", ["lower", "higher"])
def test_pre_and_post_at_cutoff_without_rule_are_neither_clinical_nor_functional(better_is):
    # a given (continuous) cut-off has no side: the boundary is neither population
    df = _grid(10)
    res = _cutoff_change(df, better_is=better_is, cutoff=10)
    _check(res, df, better_is, None, 10)


@pytest.mark.parametrize(("norms", "rule"), [("at_is_clinical", ">="),
                                             ("at_is_functional", ">")])
def test_pre_and_post_at_published_cutoff_higher_is_better(wellbeing, norms, rule):
    df = _grid(10)
    res = _cutoff_change(df, instrument=wellbeing, scale="total", norms=norms,
                         cutoff="published")
    assert res.meta["better_is"] == "higher"
    _check(res, df, "higher", rule, 10)


def _recovery(instrument: str, norms: str | None, pre: list[float], post: list[float]):
    n = len(pre)
    df = pd.DataFrame({"id": list(range(n)) * 2, "t": ["pre"] * n + ["post"] * n,
                       "y": [*pre, *post]})
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        return es.clinical_significance(df, subject="id", time="t", outcome="y", pre="pre",
                                        post="post", reliability=0.9, instrument=instrument,
                                        scale="total", norms=norms, cutoff="published")


def test_pre_score_at_published_cutoff_with_ge_rule_is_clinical():
    """PHQ-9 and GAD-7 = 10, CORE-10 = 11 (``clinical_if: ">="``): a patient who starts
    exactly at the cut-off and improves reliably to well below it has recovered."""
    for instrument, c in (("gad7", 10), ("phq9", 10), ("core10", 11)):
        # patients 0-2: pre one below, at and one above the cut-off, post 8 points lower
        # (reliable: S_diff = SD_pre * sqrt(0.2) < 2.6, so 8 > 1.96 * S_diff); 3-5 spread
        pre = [c - 1, c, c + 1, c + 6, c + 8, c - 6]
        post = [c - 9, c - 8, c - 7, c + 6, c + 8, c - 6]
        res = _recovery(instrument, None, pre, post)
        assert res.meta["cutoff_value"] == c and res.meta["clinical_if"] == ">="
        assert res.patients.loc[[0, 1, 2], "category"].astype(str).tolist() == [
            "improved", "recovered", "recovered"], instrument


def test_pre_score_at_published_cutoff_with_gt_rule_is_not_clinical():
    """OQ-45 US (``clinical_if: ">"``, 63 is functional): starting at 63 the patient was not
    clinical, so a reliable improvement is "improved", never "recovered"."""
    c = 63
    pre = [c - 1, c, c + 1, c + 30, c + 40, c - 30]
    post = [c - 41, c - 40, c - 39, c + 30, c + 40, c - 30]
    res = _recovery("oq45", "US_Lambert_2004", pre, post)
    assert res.meta["clinical_if"] == ">"
    assert res.patients.loc[[0, 1, 2], "category"].astype(str).tolist() == [
        "improved", "improved", "recovered"]


def test_cutoff_change_needs_two_complete_pairs():
    """The minimum n: 1 complete pair is an error naming the count, 2 are classified."""
    df = pd.DataFrame({"id": [0, 1, 0, 1], "t": ["pre", "pre", "post", "post"],
                       "y": [12.0, 15.0, 8.0, 14.0]})
    args = dict(subject="id", time="t", outcome="y", pre="pre", post="post",
                better_is="lower", cutoff=10)
    with pytest.raises(es.DataError, match=r"1 complete pre/post pair\(s\); the cut-off needs "
                                           r"at least 2"):
        es.cutoff_change(df[df["id"] == 0], **args)
    res = es.cutoff_change(df, **args)
    assert res.patients["category"].astype(str).tolist() == ["improved", "unchanged"]


# -- method names, sources in meta, zero clinical SD, the plot (mutation testing) -----------
def _small(pre, post):
    n = len(pre)
    return pd.DataFrame({"id": list(range(1, n + 1)) * 2, "t": ["pre"] * n + ["post"] * n,
                         "y": [float(v) for v in pre + post]})


SMALL = dict(subject="id", time="t", outcome="y", pre="pre", post="post", better_is="lower")


def test_method_name_is_case_insensitive():
    """Cut-off 10: 16 -> 2 crosses it (improved); 12 -> 14 stays clinical (unchanged)."""
    res = es.cutoff_change(_small([16, 12, 14], [2, 14, 13]), **SMALL, cutoff=10.0, method="JT")
    assert res.meta["method"] == "jt"
    assert res.patients["category"].tolist() == ["improved", "unchanged", "unchanged"]


def test_clinical_norms_are_from_the_argument_only_when_both_are_given():
    """Cut-off a = M_clin + 2 d SD_clin.  With only m_clinical given, the SD (and so the
    cut-off's clinical norms as a pair) still come from the sample."""
    df = _small([16, 12, 14], [2, 14, 13])
    both = es.cutoff_change(df, **SMALL, cutoff="a", m_clinical=20, sd_clinical=2)
    assert both.meta["clinical_source"] == "argument"
    assert both.meta["cutoff_value"] == 20 - 2 * 2  # lower is better: d = -1
    one = es.cutoff_change(df, **SMALL, cutoff="a", m_clinical=20)
    assert one.meta["clinical_source"] == "pre scores of the complete pairs"
    assert one.meta["functional_source"] is None  # no functional norms at all


def test_functional_norms_given_are_recorded_as_the_argument():
    res = es.cutoff_change(_small([16, 12, 14], [2, 14, 13]), **SMALL, cutoff="c",
                           m_functional=5, sd_functional=2)
    assert res.meta["functional_source"] == "argument"


def test_constant_pre_scores_are_an_error_for_a_cutoff_from_the_sample():
    """Cut-off a from the sample's pre SD: with pre scores that do not vary it is undefined."""
    with pytest.raises(es.DataError, match="the clinical SD \\(pre scores\\) is zero"):
        es.cutoff_change(_small([14, 14, 14], [2, 14, 13]), **SMALL, cutoff="a")


def test_plot_has_the_cutoff_but_no_reliable_change_band():
    """The cut-off alone has no reliable-change band; the category bars still work."""
    import matplotlib.pyplot as plt

    res = es.cutoff_change(_small([16, 12, 14], [2, 14, 13]), **SMALL, cutoff=10.0)
    fig, ax = plt.subplots()
    try:
        res.plot(ax=ax, lang="en")
        # clinical_significance's plot adds "no reliable change" after "no change"
        assert ax.get_legend_handles_labels()[1] == ["no change", "cut-off", "improved (1)",
                                                     "unchanged (2)"]
    finally:
        plt.close(fig)


# -- HA: CS_indiv exactly at the critical value ---------------------------------------------
HA_PRE = [-40.0, -30.0, -35.0, 30.0, -25.0]
HA_POST = [30.0, -10.0, 0.0, -30.0, 10.0]
#: cut-offs at which patient 1's CS_indiv is exactly +z_0.95 and patient 4's exactly -z_0.95
#: (higher is better, SD_clin 30, r_xx 0.75: SE = 15; post mean 0, SD sqrt(500)); found by
#: stepping one double at a time from the algebraic solution; the ties are asserted below
TIE_IMPROVED, TIE_DETERIORATED = -1.7978414695369835, 1.7978414695369835
Z95 = 1.6448536269514722


def _ha(cutoff):
    return es.cutoff_change(_small(HA_PRE, HA_POST), **{**SMALL, "better_is": "higher"},
                            method="ha", cutoff=cutoff, sd_clinical=30.0, reliability=0.75)


@pytest.mark.parametrize(("patient", "tie", "moved", "step"), [
    pytest.param(1, TIE_IMPROVED, "improved", -1e-9, id="improvement"),
    pytest.param(4, TIE_DETERIORATED, "deteriorated", 1e-9, id="deterioration"),
])
def test_ha_cs_indiv_exactly_at_the_critical_value_is_unchanged(patient, tie, moved, step):
    """Strict rule (cutoff_flags' docstring): functional at post needs d CS_i > z, clinical
    at post d CS_i < -z.  At the tie the patient stays unchanged; with the cut-off 1e-9
    further (a lower cut-off raises CS_i, a higher one lowers it) the patient moves."""
    at = _ha(tie)
    assert at.meta["critical_value"] == Z95
    assert abs(at.patients.loc[patient, "cs_indiv"]) == Z95
    assert at.patients.loc[patient, "category"] == "unchanged"
    past = _ha(tie + step)
    assert abs(past.patients.loc[patient, "cs_indiv"]) > Z95
    assert past.patients.loc[patient, "category"] == moved
