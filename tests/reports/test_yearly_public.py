"""The public yearly summary publishes only what it publishes (issue 15, items 1 and 2).

* Statistics at publication precision, and only when they tell a reader nothing more about
  the count behind them: the mean grade (whole grades 1-10) and the effect size's CI (for
  ``d_z`` its width depends on d and n alone).
* A public ReportOutput writes the published values only (``x`` in every hidden cell) and
  keeps the reasons, audits and unrounded figures in the internal folder.
* A rerun leaves no stale file of either kind.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import effectstudy as es
from effectstudy.core.errors import ArgumentTypeError
from effectstudy.kernels.effect_sizes import hedges_j
from effectstudy.reports import runner
from effectstudy.reports.output import internal_dir
from effectstudy.reports.yearly import KeyFigures, ci_counts, count_interval, mean_counts


def _row(**kw) -> dict:
    row = {"year": 2024, "group": "all", "n": 60, "n_complete": 40, "n_recovered": 10,
           "n_improved": 10, "n_unchanged": 10, "n_deteriorated": 5, "n_harmed": 5,
           "n_reliably_improved": 20, "n_evaluable": 20, "n_stagnated": 10, "n_issued": 30,
           "n_returned": 20, "n_graded": 20, "effect_size": 0.5, "effect_size_ci_low": 0.2,
           "effect_size_ci_high": 0.8, "mean_grade": 7.826086956521739}
    row.update(kw)
    return row


def _kf(meta: dict | None = None, **kw) -> KeyFigures:
    return KeyFigures(meta=meta or {}, tables={"all": pd.DataFrame([_row(**kw)])})


# -- precision -------------------------------------------------------------------------------
def test_statistics_are_published_at_publication_precision():
    pub = _kf(effect_size=0.71315, effect_size_ci_low=0.41654, effect_size_ci_high=1.00976
              ).published(threshold=10, rounding_base=5)
    assert pub.value("mean_grade") == 7.8                       # one decimal, not 180/23
    assert (pub.value("effect_size"), pub.value("effect_size_ci_low"),
            pub.value("effect_size_ci_high")) == (0.71, 0.42, 1.01)
    d = pub.to_dict()["disclosure"]
    assert d["published"][0]["mean_grade"] == 7.8 and d["display"][0]["mean_grade"] == "7.8"
    assert "audit" not in d and "suppressed" not in d["meta"]


@settings(max_examples=60, derandomize=True, deadline=None)
@given(n_low=st.integers(1, 30), width=st.integers(0, 6), total=st.integers(1, 400),
       digits=st.integers(1, 2))
def test_mean_counts_against_enumerating_every_grade_sum(n_low, width, total, digits):
    """N fits when some whole sum S of N grades 1..10 has S/N rounding (half up) to the mean."""
    n_high = n_low + width
    n0 = n_low + width // 2
    s0 = min(max(total, n0), 10 * n0)
    mean = float(round(Fraction(s0, n0) * 10 ** digits + Fraction(1, 10 ** 9)) / 10 ** digits)
    mean = float(f"{mean:.{digits}f}")
    h = Fraction(1, 2 * 10 ** digits)
    brute = [n for n in range(n_low, n_high + 1)
             if any(Fraction(mean).limit_denominator(10 ** digits) - h <= Fraction(s, n)
                    < Fraction(mean).limit_denominator(10 ** digits) + h
                    for s in range(n, 10 * n + 1))]
    assert mean_counts(mean, digits, n_low, n_high) == brute
    assert n0 in brute


def test_one_decimal_never_narrows_a_count_of_ten_or_more():
    for m10 in range(10, 101):
        assert mean_counts(m10 / 10, 1, 10, 60) == list(range(10, 61))


def _z_ci(d: float, n: int) -> tuple[float, float, float]:
    j = float(hedges_j(n - 1))
    se = math.sqrt((1 + d * d / 2) / n)
    return j * d, j * (d - 1.959963984540054 * se), j * (d + 1.959963984540054 * se)


def test_ci_of_d_z_that_pins_n_complete_is_not_published():
    d, lo, hi = _z_ci(0.5, 40)
    z = {"effect_size": "z", "adjust": True, "ci": 0.95}
    assert len(ci_counts("z", True, 0.95, round(d, 2), round(lo, 2), round(hi, 2), 38, 42)) < 5
    pub = _kf(z, effect_size=d, effect_size_ci_low=lo, effect_size_ci_high=hi).published()
    assert pub.value("effect_size") == round(d, 2)              # the estimate alone stays
    assert np.isnan(pub.value("effect_size_ci_low")) and np.isnan(pub.value("effect_size_ci_high"))
    assert pub.shown("effect_size_ci_low") == "x"
    # Becker's b: the width also depends on the pre-post correlation; every n fits
    b = {"effect_size": "b", "adjust": True, "ci": 0.95}
    assert ci_counts("b", True, 0.95, round(d, 2), round(lo, 2), round(hi, 2), 38, 42) == list(range(38, 43))
    pub = _kf(b, effect_size=d, effect_size_ci_low=lo, effect_size_ci_high=hi).published()
    assert pub.value("effect_size_ci_low") == round(lo, 2)


def test_count_interval_is_the_rounding_interval_from_the_threshold_up():
    assert count_interval(10, 10, 5) == (10, 12) and count_interval(50, 10, 5) == (48, 52)
    assert count_interval(20, 10, 10) == (15, 24) and count_interval(12, 10, None) == (12, 12)


# -- the public folder -------------------------------------------------------------------------
def test_public_output_writes_published_values_only(tmp_path):
    folder = tmp_path / "reports" / "yearly_summary" / "y"
    out = es.ReportOutput(folder, display=False, public=True)
    kf = _kf(n_recovered=3, n_improved=17, n_reliably_improved=20)
    pub = kf.published()
    out.internal("key_figures_unrounded", kf)
    out.show("key_figures", pub)
    out.save()
    csv = pd.read_csv(folder / "tables" / "key_figures.csv", dtype=str, keep_default_na=False)
    assert csv.loc[0, "n_recovered"] == "x" and csv.loc[0, "n"] == "60"
    assert csv.loc[0, "mean_grade"] == "7.8" and csv.loc[0, "pct_recovered"] == "x"
    xlsx = pd.read_excel(folder / "tables.xlsx", sheet_name="key_figures", dtype=str)
    assert xlsx.loc[0, "n_recovered"] == "x" and xlsx.loc[0, "mean_grade"] == "7.8"
    public = (folder / "results.json").read_text(encoding="utf-8")
    assert "7.826" not in public and '"primary"' not in public and '"audit"' not in public
    inner = internal_dir(folder)
    assert inner == tmp_path / "reports" / "internal" / "yearly_summary" / "y"
    assert not inner.is_relative_to(folder)
    kept = json.loads((inner / "results.json").read_text(encoding="utf-8"))
    assert kept["key_figures"]["disclosure"]["mask"][0]["n_recovered"] == "primary"
    assert kept["key_figures_unrounded"]["tables"]["all"][0]["mean_grade"] == 7.826086956521739
    assert (inner / "tables" / "key_figures_unrounded.csv").is_file()
    assert (inner / "README.txt").read_text(encoding="utf-8").startswith("intern: niet publiceren")
    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == [
        "key_figures.csv", "provenance.json", "results.json", "tables.xlsx"]


def test_public_mode_follows_the_report_type(tmp_path):
    p = tmp_path / "y.yaml"
    p.write_text("report: yearly_summary\n", encoding="utf-8")
    q = tmp_path / "e.yaml"
    q.write_text("report: effect_study\n", encoding="utf-8")
    assert es.ReportOutput(tmp_path / "a", display=False, params_file=p).public
    assert not es.ReportOutput(tmp_path / "b", display=False, params_file=q).public
    with pytest.raises(ArgumentTypeError, match="public"):
        es.ReportOutput(tmp_path / "c", display=False, public="yes")


def test_a_rerun_leaves_no_stale_file_of_either_kind(tmp_path):
    folder = tmp_path / "reports" / "yearly_summary" / "run"
    inner = internal_dir(folder)
    stale = [folder / "yearly_summary.ipynb", folder / "results.json", folder / "tables" / "a.csv",
             folder / "figures" / "f.png", inner / "results.json", inner / "README.txt",
             inner / "yearly_summary.ipynb", inner / "tables" / "k.csv", inner / "SHA256SUMS"]
    for f in stale:
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("old", encoding="utf-8")
    runner._remove_previous_outputs(folder, "yearly_summary", inner)
    assert [f for f in stale if f.exists()] == []


def test_a_hidden_ci_is_left_out_of_the_text_not_shown_as_a_dash():
    """A CI that would narrow n_complete is hidden (ci_counts); the sentence then gives the effect
    size alone. Here the limits fit no normal interval around 0.125, so no n is consistent."""
    from effectstudy.reports.yearly import KeyFigures, yearly_text

    counts = dict(n=200, n_complete=120, n_recovered=40, n_improved=30, n_unchanged=40,
                  n_deteriorated=10, n_harmed=0, n_reliably_improved=70, n_evaluable=100,
                  n_stagnated=30, n_issued=150, n_returned=90, n_graded=80)
    row = {"year": 2023, "group": "all", **counts, "effect_size": 0.125,
           "effect_size_ci_low": -0.0049, "effect_size_ci_high": 0.135, "mean_grade": 7.25}
    pub = KeyFigures(meta={"effect_size": "b"}, tables={"all": pd.DataFrame([row])}).published(lang="nl")
    assert [pub.shown(c) for c in ("effect_size", "effect_size_ci_low", "effect_size_ci_high")] == ["0,13", "x", "x"]
    text = yearly_text(pub, scale_name="SCL-90", lang="nl")
    assert "effectgrootte Becker's d = 0,13." in text and "BI –" not in text and "tot –" not in text
