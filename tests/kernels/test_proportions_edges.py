"""Edges of the Wilson interval: k = 0 and k = n (issue 21, boundary promise).

At k = n the upper limit is exactly 1: with p = 1 the formula gives
(1 + z^2/2n + z * z/2n) / (1 + z^2/n) = 1.  In floating point the two halves need not add
up to exactly 1 (without the special case 1,543 of n = 1..5000 give 0.9999999999999998),
and a report shows "100%" for the upper limit only if it is 1.  The same holds for the
lower limit 0 at k = 0.  One vectorised call covers every n from 1 to 5000.
"""

from __future__ import annotations

import numpy as np

from effectstudy.kernels.proportions import wilson_ci

N = np.arange(1, 5001)


def test_wilson_upper_limit_is_exactly_one_at_k_equal_n():
    lo, hi = wilson_ci(N, N)
    assert np.all(hi == 1.0)
    assert np.all((lo > 0) & (lo < 1))


def test_wilson_upper_limit_is_below_one_at_k_one_short_of_n():
    lo, hi = wilson_ci(N - 1, N)
    assert np.all(hi < 1.0)
    assert lo[0] == 0.0 and np.all(lo[1:] > 0)  # n = 1, k = 0: the lower edge


def test_wilson_lower_limit_is_exactly_zero_at_k_zero():
    lo, hi = wilson_ci(np.zeros_like(N), N)
    assert np.all(lo == 0.0)
    assert np.all((hi > 0) & (hi < 1))
    lo1, _ = wilson_ci(np.ones_like(N), N)
    assert np.all(lo1 > 0)
