"""Edges of the effect-size kernels (issue 21, mutation testing).

* ``describe_pairs``: an SD needs two pairs.  No pairs: n = 0 and every statistic NaN; one pair:
  means and mean change, NaN SDs and r; two pairs: every statistic (by hand below).
* ``nct_ci``: the limits of the noncentrality parameter can lie more than 10 from the observed
  t (small df, large t), where the search must widen its bracket, down for a negative t and up
  for a positive one.  Reference: R ``uniroot`` on ``pt(t, df, ncp)``
  (``tests/reference/kernel_edges``), 1e-8 relative.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from effectstudy.kernels.effect_sizes import describe_pairs, nct_ci

REF = Path(__file__).resolve().parents[1] / "reference" / "kernel_edges"


def test_describe_pairs_of_no_pairs_is_all_missing():
    d = describe_pairs([], [])
    assert d["n"] == 0
    assert all(math.isnan(v) for k, v in d.items() if k != "n")


def test_describe_pairs_needs_two_pairs_for_an_sd():
    d = describe_pairs([4.0], [1.0])
    assert (d["n"], d["m_pre"], d["m_post"], d["m_change"]) == (1, 4.0, 1.0, -3.0)
    assert all(math.isnan(d[k]) for k in ("sd_pre", "sd_post", "r", "sd_change"))


def test_describe_pairs_of_two_pairs():
    """pre (1, 3), post (2, 6): SDs sqrt(2) and sqrt(8) (squared deviations 1 + 1 and 4 + 4 over
    n - 1 = 1), r = 1 (two points lie on a line), changes (1, 3): mean 2, SD sqrt(2)."""
    d = describe_pairs([1.0, 3.0], [2.0, 6.0])
    assert d["n"] == 2
    np.testing.assert_allclose(
        [d["m_pre"], d["sd_pre"], d["m_post"], d["sd_post"], d["r"], d["m_change"], d["sd_change"]],
        [2.0, math.sqrt(2), 4.0, math.sqrt(8), 1.0, 2.0, math.sqrt(2)], rtol=1e-12)


@pytest.mark.parametrize("t", [15.0, -15.0])
def test_nct_limits_more_than_ten_from_t_against_r(t):
    ref = pd.read_csv(REF / "nct_limits.csv").set_index("t").loc[t]
    lo, hi = nct_ci(t, 2.0, 0.95)
    np.testing.assert_allclose([lo, hi], [ref["ncp_low"], ref["ncp_high"]], rtol=1e-8)
    assert max(abs(lo - t), abs(hi - t)) > 10  # the bracket t -+ 10 had to widen
