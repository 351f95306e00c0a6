"""Plots: return the Axes, draw on the given Axes without new figures, show what they claim."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError, DataQualityWarning
from effectstudy.kernels.change import rc_band
from tests.reference import rref


@pytest.fixture
def gsi():
    c = rref.case("dev_gsi_prepost__comb_JT_c_grouped")
    return rref.input_for(c)


def cs_result(df, **kw):
    args = dict(subject="id", time="time", outcome="gsi", pre=1, post=2, reliability=0.85,
                better_is="lower", cutoff="c", m_functional=0.5, sd_functional=0.45,
                group="treatment")
    args.update(kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return es.clinical_significance(df, **args)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_jt_plot_draws_on_given_axes_without_new_figure(gsi):
    res = cs_result(gsi)
    fig, ax = plt.subplots()
    before = plt.get_fignums()
    assert res.plot(ax=ax) is ax
    assert plt.get_fignums() == before
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    counts = res.patients["category"].value_counts()
    for cat in ("recovered", "improved", "unchanged", "deteriorated", "harmed"):
        if counts[cat]:
            assert any(f"({counts[cat]})" in lab for lab in labels), cat
    # one scatter per category present; all patients drawn
    offsets = sum(len(c.get_offsets()) for c in ax.collections if hasattr(c, "get_offsets")
                  and c.get_offsets().shape[1:] == (2,) and len(c.get_offsets()) < 1000)
    assert offsets >= res.meta["n_used"]
    # cut-off lines at the cut-off value
    xs = [ln.get_xdata()[0] for ln in ax.lines if ln.get_linestyle() == "--"]
    assert any(x == pytest.approx(res.meta["cutoff_value"]) for x in xs)


def test_plot_without_axes_creates_one_figure(gsi):
    n = len(plt.get_fignums())
    ax = cs_result(gsi).plot()
    assert len(plt.get_fignums()) == n + 1
    assert ax.get_xlabel() == "Voormeting"
    assert ax.get_title() == "Voormeting en nameting per cliënt"


def test_rc_band_for_jt_is_change_of_crit_times_s_diff(gsi):
    res = cs_result(gsi)
    x = np.array([0.5, 1.0, 2.0])
    lo, hi = rc_band(res.meta, x)
    w = res.meta["critical_value"] * res.meta["s_diff"]
    np.testing.assert_allclose(lo, x - w)
    np.testing.assert_allclose(hi, x + w)


@pytest.mark.parametrize("method", ["gln", "hll", "en", "nk", "ha"])
def test_rc_band_bounds_have_rci_equal_to_critical_value(gsi, method):
    res = cs_result(gsi, method=method, cutoff="a")
    x = np.linspace(0.2, 2.5, 7)
    lo, hi = rc_band(res.meta, x)
    # the band's upper bound evaluated with the fitted sample statistics: |RCI| = crit
    from effectstudy import kernels

    st = {k: res.meta[k] for k in ("n", "m_pre", "sd_pre", "m_post", "sd_post", "r")}
    r_hi, _ = kernels.rci(x, hi, method=method, reliability=0.85, reliability_post=0.85,
                          stats_=st)
    r_lo, _ = kernels.rci(x, lo, method=method, reliability=0.85, reliability_post=0.85,
                          stats_=st)
    crit = res.meta["critical_value"]
    np.testing.assert_allclose(np.sort(np.r_[r_lo, r_hi]), np.r_[[-crit] * 7, [crit] * 7])


def test_hlm_plot_has_no_band():
    c = rref.case("dev_gsi_5waves__dist_HLM")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = es.reliable_change(rref.input_for(c), subject="id", time="occasion",
                                 outcome="gsi", better_is="lower", method="hlm")
    fig, ax = plt.subplots()
    res.plot(ax=ax, lang="en")
    assert "no reliable change" not in [t.get_text() for t in ax.get_legend().get_texts()]


def test_category_bars_per_group_stack_to_one(gsi):
    res = cs_result(gsi)
    fig, ax = plt.subplots()
    assert res.plot(ax=ax, kind="bars") is ax
    widths = {}  # horizontal bars: one row per group, the categories stacked along x
    for p in ax.patches:
        y = round(p.get_y(), 6)
        widths[y] = widths.get(y, 0) + p.get_width()
    assert len(widths) == 2  # CBT, EMDR
    np.testing.assert_allclose(list(widths.values()), 1.0)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["CBT", "EMDR"]
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "100%"


def test_forest_plot_one_row_per_group(gsi):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = es.prepost_effect(gsi, subject="id", time="time", outcome="gsi", pre=1, post=2,
                                method="av", group="treatment")
    fig, ax = plt.subplots()
    assert res.plot(ax=ax, lang="en") is ax
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == ["CBT (n=28)", "EMDR (n=29)"]
    assert "95%" in ax.get_xlabel()
    # without better_is the estimate stays post - pre, and the axis says so
    assert "mean change (post minus pre)" in ax.get_xlabel()
    assert ax.get_title() == "Effect size with confidence interval"
    assert list(ax.figure.es_data["group"]) == ["CBT", "EMDR"]


def test_unknown_plot_kind(gsi):
    with pytest.raises(ArgumentError, match="kind: got 'pie', expected 'jt' or 'bars'"):
        cs_result(gsi).plot(kind="pie")
