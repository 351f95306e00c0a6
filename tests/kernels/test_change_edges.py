"""Edges of the reliable-change kernels (issue 21, boundary promises).

* ``classify_rci``: improvement and deterioration are *strict* at the critical value (as in
  clinicalsignificance 3.0.0): ``d * rci == crit`` is unchanged.  The RCI is given directly,
  so the tie is exact: the critical value itself, and the neighbouring doubles one unit in
  the last place either side (``math.nextafter``).
* ``rc_band``: the band of post scores with no reliable change is centred on the post score
  each RCI formula predicts (``y = x`` for Jacobson & Truax, the regression prediction for
  the others) and its ends have RCI = -crit and +crit.  The formulas are written out here
  (Jacobson & Truax 1991; clinicalsignificance 3.0.0), not taken from the package.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from effectstudy.kernels.change import classify_rci, rc_band

CRIT = 1.959963984540054  # z_0.975 as a double (what the verbs pass); any double would do
UP = math.nextafter(CRIT, math.inf)
DOWN = math.nextafter(CRIT, 0.0)


@pytest.mark.parametrize("d", [-1, 1])
def test_improvement_is_strict_at_the_rci_critical_value(d):
    # on the improvement scale d * rci: just short of, exactly at and just past +crit
    rci = d * np.array([DOWN, CRIT, UP])
    assert classify_rci(rci, d=d, critical=CRIT).tolist() == [0, 0, 1]


@pytest.mark.parametrize("d", [-1, 1])
def test_deterioration_is_strict_at_the_rci_critical_value(d):
    rci = -d * np.array([DOWN, CRIT, UP])
    assert classify_rci(rci, d=d, critical=CRIT).tolist() == [0, 0, -1]


# sample statistics of a reliable-change result's meta (as the plots pass them)
META = dict(reliability=0.84, critical_value=CRIT, n=40, m_pre=30.0, sd_pre=10.0,
            m_post=20.0, sd_post=8.0, r=0.5)
X = np.array([10.0, 30.0, 50.0])


def _centre_and_half_width(method: str) -> tuple[np.ndarray, float]:
    """The predicted post score (RCI = 0) and crit times the RCI's denominator, by hand."""
    r, m_pre, m_post, sd = META["reliability"], META["m_pre"], META["m_post"], META["sd_pre"]
    if method == "jt":
        return X, CRIT * sd * math.sqrt(2 * (1 - r))            # S_diff
    if method == "gln":
        return m_pre + r * (X - m_pre), CRIT * sd * math.sqrt(1 - r * r)
    if method == "hll":
        return m_post + r * (X - m_pre), CRIT * sd * math.sqrt(1 - r * r)
    assert method == "en"
    return m_pre + r * (X - m_pre), CRIT * sd * math.sqrt(1 - r)   # SE


@pytest.mark.parametrize("method", ["jt", "gln", "hll", "en"])
def test_rc_band_is_centred_on_the_predicted_post_score(method):
    lo, hi = rc_band(dict(META, method=method), X)
    centre, half = _centre_and_half_width(method)
    assert np.all(lo < centre) and np.all(centre < hi)
    np.testing.assert_allclose((lo + hi) / 2, centre, rtol=1e-12)
    np.testing.assert_allclose(hi - centre, half, rtol=1e-12)
    np.testing.assert_allclose(centre - lo, half, rtol=1e-12)


def test_rc_band_ends_are_the_jt_critical_changes():
    """Jacobson & Truax: a post score at the lower end is a change of -crit * S_diff (RCI =
    -crit), at the upper end +crit * S_diff; no change (y = x) lies inside."""
    lo, hi = rc_band(dict(META, method="jt"), X)
    s_diff = META["sd_pre"] * math.sqrt(2 * (1 - META["reliability"]))
    np.testing.assert_allclose((lo - X) / s_diff, -CRIT, rtol=1e-12)
    np.testing.assert_allclose((hi - X) / s_diff, CRIT, rtol=1e-12)
    assert np.all((lo < X) & (X < hi))


def test_rc_band_is_none_without_a_band():
    assert rc_band(dict(META, method="hlm"), X) is None
