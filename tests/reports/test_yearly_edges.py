"""Edges of the yearly summary (issue 21, items 9, 10 and 13).

* A statistic is published when its own count reaches the threshold (``>= 10``): the
  effect size rests on ``n_complete``, the mean grade on the number of grades.
* Returned forms are counted among the issued forms only.
* Cohen's words: 0.2 small, 0.5 medium, 0.8 large, each from the value itself on (a value
  exactly at a boundary gets the higher word).  The boundaries are the doubles nearest to
  0.2, 0.5 and 0.8, the same literals the package compares with, so "exactly at" is exact;
  "just below" is the next double towards zero (``math.nextafter``).

The key-figure tables are written out here (``KeyFigures`` of one year), so each count sits
exactly where the test needs it; expected texts and counts are worked out by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from effectstudy.core.params import EffectSizeSpec
from effectstudy.course.stagnation import StagnationResult
from effectstudy.data.pairing import PairResult
from effectstudy.outcomes.clinical_significance import ClinicalSignificanceResult
from effectstudy.reports.yearly import KeyFigures, key_figures, yearly_text


def _figures(*, n_complete: int = 40, n_graded: int = 11, effect_size: float = 0.35,
             n_returned: int = 11) -> KeyFigures:
    """One year's total row.  The parts of ``n_complete`` are all below 10 when it is small
    (hidden, but each could be anything from 0 to n_complete: the audit passes)."""
    if n_complete >= 40:
        parts = [10, 10, 10, 5, n_complete - 35]
    else:
        third = n_complete // 3
        parts = [third, third, n_complete - 2 * third, 0, 0]
    rec, imp, unch, det, harm = parts
    row = {"year": 2024, "group": "all", "n": 60, "n_complete": n_complete,
           "n_recovered": rec, "n_improved": imp, "n_unchanged": unch, "n_deteriorated": det,
           "n_harmed": harm, "n_reliably_improved": rec + imp, "n_evaluable": 20,
           "n_stagnated": 10, "n_issued": 30, "n_returned": n_returned, "n_graded": n_graded,
           "effect_size": effect_size, "effect_size_ci_low": effect_size - 0.25,
           "effect_size_ci_high": effect_size + 0.25, "mean_grade": 7.5}
    return KeyFigures(meta={"effect_size": "b", "adjust": True}, tables={"all": pd.DataFrame([row])})


@pytest.mark.parametrize(("n_complete", "shown"), [(9, False), (10, True), (11, True)])
def test_effect_size_shown_when_its_count_is_exactly_the_threshold(n_complete, shown):
    pub = _figures(n_complete=n_complete).published(threshold=10, rounding_base=5)
    assert pub.disclosure.passed
    assert (not np.isnan(pub.value("effect_size"))) == shown
    if shown:
        assert pub.value("effect_size") == 0.35
        assert pub.value("effect_size_ci_low") == pytest.approx(0.1, abs=1e-15)


@pytest.mark.parametrize(("n_graded", "shown"), [(9, False), (10, True), (11, True)])
def test_mean_grade_shown_when_the_number_of_grades_is_exactly_the_threshold(n_graded, shown):
    # 11 forms returned (published as 10) in every case: only the number of grades differs
    pub = _figures(n_graded=n_graded).published(threshold=10, rounding_base=5)
    assert pub.value("n_returned") == 10
    assert (pub.value("mean_grade") == 7.5) == shown
    assert np.isnan(pub.value("mean_grade")) != shown
    assert ("rapportcijfer was 7,5" in yearly_text(pub, scale_name="PHQ-9")) == shown


@pytest.mark.parametrize("grade_e3", [np.nan, 4.0])
def test_forms_returned_count_only_issued_forms(grade_e3):
    """e3's form is marked returned but was never issued (an export error): it is not a
    returned form of the year, so 1 of 2 issued forms came back, not 2 of 2, and a grade on it
    is no grade of the year either (the mean grade is e1's 8, not (8 + 4) / 2)."""
    ids = ["e1", "e2", "e3", "e4"]
    episodes = pd.DataFrame({"episode_id": ids})
    pairs = PairResult(patients=pd.DataFrame({"episode_id": ids, "status": ["no_pre"] * 4}),
                       meta={}, data=pd.DataFrame(columns=["episode_id", "time", "score"]),
                       flow=pd.DataFrame())
    outcome = ClinicalSignificanceResult(
        patients=pd.DataFrame({"category": pd.Series(dtype=str)}),
        meta={"better_is": "lower", "method": "jt"})
    stagnation = StagnationResult(
        patients=pd.DataFrame({"status": ["not_evaluable"] * 4}, index=ids), meta={})
    sat = pd.DataFrame({"episode_id": ids, "issued": [True, True, False, False],
                        "returned": [True, False, True, False],
                        "grade": [8.0, np.nan, grade_e3, np.nan]})
    kf = key_figures(episodes, pairs=pairs, outcome=outcome, stagnation=stagnation,
                     satisfaction=sat, effect_size=EffectSizeSpec(), year=2024)
    total = kf.summary().iloc[0]
    assert (total["n_issued"], total["n_returned"], total["n_graded"]) == (2, 1, 1)
    assert total["n_returned"] <= total["n_issued"]
    assert total["mean_grade"] == 8.0


def _paired_year(per_group: dict[str, int]) -> KeyFigures:
    """Key figures of groups with the given numbers of complete pre/post pairs."""
    ids = [f"{g}{i}" for g, k in per_group.items() for i in range(k)]
    groups = [g for g, k in per_group.items() for _ in range(k)]
    rows = [(e, t, 20.0 + i if t == "pre" else 10.0 + 3 * (i % 3))
            for i, e in enumerate(ids) for t in ("pre", "post")]
    data = pd.DataFrame(rows, columns=["episode_id", "time", "score"])
    pairs = PairResult(patients=pd.DataFrame({"episode_id": ids, "status": "paired"}),
                       meta={}, data=data, flow=pd.DataFrame())
    outcome = ClinicalSignificanceResult(
        patients=pd.DataFrame({"category": "improved"}, index=ids),
        meta={"better_is": "lower", "method": "jt"})
    stagnation = StagnationResult(patients=pd.DataFrame({"status": "on_track"}, index=ids),
                                  meta={})
    return key_figures(pd.DataFrame({"episode_id": ids, "dx": groups}), pairs=pairs,
                       outcome=outcome, stagnation=stagnation, satisfaction=None,
                       effect_size=EffectSizeSpec(), year=2024, groups=["dx"])


def test_effect_size_of_a_group_needs_three_complete_pairs():
    """prepost_effect needs 3 pairs for its interval: a group with 2 has no effect size
    (it used to stop the whole yearly summary with a DataError), one with 3 has one."""
    t = _paired_year({"a": 2, "b": 3}).tables["dx"].set_index("group")
    assert np.isnan(t.loc["a", "effect_size"]) and np.isnan(t.loc["a", "effect_size_ci_low"])
    assert np.isfinite(t.loc[["b", "all"], ["effect_size", "effect_size_ci_low"]]).all().all()
    assert t.loc["b", "effect_size"] > 0  # the scores went down: an improvement


#: the largest effect size printed below each boundary: b - 0.005 is printed (half up) as b,
#: the float just below it as b - 0.01
BELOW = {b: math.nextafter(b - 0.005, 0.0) for b in (0.2, 0.5, 0.8)}
WORDS = [  # effect size, Dutch word, English word, as printed
    (BELOW[0.2], "verwaarloosbaar", "negligible", "0.19"),
    (0.195, "klein", "small", "0.20"),
    (0.2, "klein", "small", "0.20"),
    (BELOW[0.5], "klein", "small", "0.49"),
    (0.495, "middelgroot", "medium", "0.50"),
    (0.5, "middelgroot", "medium", "0.50"),
    (BELOW[0.8], "middelgroot", "medium", "0.79"),
    (0.795, "groot", "large", "0.80"),
    (0.8, "groot", "large", "0.80"),
    (-0.8, "groot", "large", "-0.80"),
    (-0.795, "groot", "large", "-0.80"),
    (-BELOW[0.8], "middelgroot", "medium", "-0.79"),
]


@pytest.mark.parametrize(("d", "nl", "en", "printed"), WORDS)
def test_cohen_word_at_exactly_02_05_08_is_the_higher_word(d, nl, en, printed):
    """From 0.2 small, from 0.5 medium, from 0.8 large (Cohen 1988), judged on the effect size as
    the text prints it (two decimals, half up), so the word never contradicts the number."""
    pub = _figures(effect_size=d).published(threshold=10, rounding_base=5)
    assert pub.value("effect_size") == float(printed)  # published at two decimals
    text_nl = yearly_text(pub, scale_name="PHQ-9", lang="nl")
    text_en = yearly_text(pub, scale_name="PHQ-9", lang="en")
    if d > 0:
        assert f"De gemiddelde verbetering is {nl}: effectgrootte Becker's d = {printed.replace('.', ',')} " in text_nl
        assert f"The average improvement is {en}: effect size Becker's d = {printed} " in text_en
    else:
        assert f"Gemiddeld gingen cliënten achteruit; die verslechtering is {nl}: effectgrootte " \
               f"Becker's d = {printed.replace('.', ',')} " in text_nl
        assert f"On average clients got worse; the deterioration is {en}: effect size Becker's d = {printed} " in text_en
        assert "verbetering is" not in text_nl and "improvement is" not in text_en


def test_an_effect_size_printed_as_zero_is_a_negligible_improvement():
    """-0.004 prints as 0.00: no change worth a word, so no 'clients got worse' either."""
    pub = _figures(effect_size=-0.004).published(threshold=10, rounding_base=5)
    assert "De gemiddelde verbetering is verwaarloosbaar: effectgrootte Becker's d = 0,00 " in yearly_text(
        pub, scale_name="PHQ-9", lang="nl")
