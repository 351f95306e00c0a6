"""Where the Hageman-Arrindell statistics are undefined, and missing functional norms (issue 21).

Each rule is pinned at its exact edge (a quantity exactly 0, chosen so the arithmetic is exact
in floating point), where the statistic is undefined and the error names the problem:

* HA RCI: SD_post must be *larger* than SE = SD_pre sqrt(1 - r_xx).  SD_pre = 10, r_xx = 0.75:
  SE = 10 * 0.5 = 5, so SD_post = 5 is the edge.
* HA RCI: r_dd must be positive.  SD_pre = SD_post = 10, r_xx = 0.75 (so r_11 = r_22 = 0.75):
  numerator 100 * 0.75 + 100 * 0.75 - 2 * 100 * r_12 = 0 at r_12 = 0.75.
* HA cut-offs b and c: the functional reliability (SD_f^2 - SE^2) / SD_f^2 must be positive:
  SD_clin = 10, r_xx = 0.75 (SE^2 = 25), SD_f = 5 gives exactly 0.
* CS_indiv: r_post = (SD_post^2 - SE^2) / SD_post^2 must be positive: SD_post = SE = 5 gives 0.
* JT and HA cut-offs b and c need both the functional mean and SD: either one missing raises.
"""

from __future__ import annotations

import pytest

from effectstudy.kernels.change import cs_indiv, cutoff_ha, cutoff_jt, rci

STATS = dict(n=10, m_pre=30.0, sd_pre=10.0, m_post=25.0, sd_post=10.0, r=0.5)
PRE, POST = [30.0, 20.0], [25.0, 24.0]


def test_ha_rci_needs_a_post_sd_larger_than_the_sem():
    with pytest.raises(ValueError, match=r"post SD \(5\) is not larger than the standard error "
                                         r"of measurement \(5\)"):
        rci(PRE, POST, method="ha", reliability=0.75, stats_=dict(STATS, sd_post=5.0))
    # just above the edge the HA RCI exists
    v, out = rci(PRE, POST, method="ha", reliability=0.75, stats_=dict(STATS, sd_post=5.5))
    assert out["r_dd"] > 0


def test_ha_rci_needs_a_positive_difference_reliability():
    with pytest.raises(ValueError, match=r"r_dd = 0 is not positive"):
        rci(PRE, POST, method="ha", reliability=0.75, stats_=dict(STATS, r=0.75))
    _, out = rci(PRE, POST, method="ha", reliability=0.75, stats_=dict(STATS, r=0.74))
    assert out["r_dd"] > 0  # (150 - 148) / (200 - 148)


@pytest.mark.parametrize("kind", ["b", "c"])
def test_ha_cutoff_needs_a_functional_sd_larger_than_the_sem(kind):
    args = dict(d=-1, m_clinical=60.0, sd_clinical=10.0, reliability=0.75, m_functional=40.0)
    with pytest.raises(ValueError, match=r"expected a functional SD larger than the standard error"):
        cutoff_ha(kind, sd_functional=5.0, **args)
    assert cutoff_ha(kind, sd_functional=6.0, **args)[2] > 0


def test_cs_indiv_needs_a_post_sd_larger_than_the_sem():
    with pytest.raises(ValueError, match=r"post SD \(5\) is not larger than the standard error"):
        cs_indiv([20.0], cutoff=25.0, m_post=22.0, sd_post=5.0, se_measurement=5.0)


@pytest.mark.parametrize("kind", ["b", "c"])
@pytest.mark.parametrize("missing", ["m_functional", "sd_functional"])
def test_functional_cutoffs_need_the_functional_mean_and_sd(kind, missing):
    norms = dict(m_functional=40.0, sd_functional=8.0)
    norms[missing] = None
    with pytest.raises(ValueError, match=rf"cut-off '{kind}' needs m_functional and sd_functional"):
        cutoff_jt(kind, d=-1, m_clinical=60.0, sd_clinical=10.0, **norms)
    with pytest.raises(ValueError, match=rf"cut-off '{kind}' needs m_functional and sd_functional"):
        cutoff_ha(kind, d=-1, m_clinical=60.0, sd_clinical=10.0, reliability=0.8, **norms)
