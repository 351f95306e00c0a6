"""Wilson score interval: the values R gives, and the count checks (issue 21, mutation testing).

* Values: R ``prop.test(k, n, conf.level = ci, correct = FALSE)$conf.int`` (R 4.2.2), the
  file ``tests/reference/stagnation/wilson_prop_test_output.csv`` written by
  ``tests/reference/stagnation/wilson_prop_test.R``; tolerance 1e-12 absolute.  The cases
  cover ci = 0.80, 0.90, 0.95, 0.99, k = 0, k = n and a large n.
* Counts: ``0 <= k <= n`` elementwise.  A single bad element among good ones must raise (the
  check looks at every element), with the message naming the rule; the edges themselves
  (``k = 0``, ``k = n``, ``n = 0``) are valid counts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from effectstudy.core.errors import ArgumentError
from effectstudy.kernels.proportions import proportion, wilson_ci

REF = Path(__file__).resolve().parents[1] / "reference" / "stagnation" / "wilson_prop_test_output.csv"


def test_wilson_ci_against_r_prop_test():
    ref = pd.read_csv(REF, skipinitialspace=True)
    for ci, r in ref.groupby("ci"):
        lo, hi = wilson_ci(r["k"].to_numpy(), r["n"].to_numpy(), ci=float(ci))
        np.testing.assert_allclose(lo, r["ci_low"], atol=1e-12, rtol=0)
        np.testing.assert_allclose(hi, r["ci_high"], atol=1e-12, rtol=0)


MESSAGE = r"expected counts with 0 <= k <= n"


@pytest.mark.parametrize(("k", "n"), [
    ([2, -1], [3, 3]),     # one negative count
    ([0, 0], [3, -1]),     # one negative n (k = 0 is fine on its own)
    ([1, 4], [3, 3]),      # one k above its n
    ([1, 1], [3, 0]),      # k = 1 of n = 0
], ids=["k_negative", "n_negative", "k_above_n", "k_above_empty_n"])
def test_wilson_ci_rejects_counts_outside_zero_to_n(k, n):
    with pytest.raises(ArgumentError, match=MESSAGE):
        wilson_ci(k, n)


def test_wilson_ci_accepts_counts_at_the_edges_zero_and_n():
    """k = 0, k = n and n = 0 are valid; n = 0 has no interval (NaN limits).

    By hand: at k = 0 the upper limit is z^2 / (n + z^2), at k = n the lower limit is
    n / (n + z^2) (p = 0 or 1 in the Wilson formula); z = 1.959963984540054, n = 3.
    """
    z2 = 1.959963984540054**2
    lo, hi = wilson_ci([0, 3, 0], [3, 3, 0])
    assert lo[0] == 0.0 and hi[1] == 1.0
    np.testing.assert_allclose([hi[0], lo[1]], [z2 / (3 + z2), 3 / (3 + z2)], rtol=1e-12)
    assert np.isnan(lo[2]) and np.isnan(hi[2])


def test_wilson_upper_limit_never_exceeds_one():
    """The documented clip to [0, 1]: a count a few units in the last place below n (as a sum of
    weights can give) has p a hair below 1, and the formula's two halves then add up to
    1.0000000000000002 in floating point (k = 7 - 3 ulp, n = 7, ci = 0.95); the limit is 1."""
    k = np.nextafter(np.nextafter(np.nextafter(7.0, 0), 0), 0)
    lo, hi = wilson_ci([k], [7.0])
    assert hi[0] == 1.0
    assert 0 < lo[0] < 1


def test_proportion_is_k_over_n_and_nan_without_a_denominator():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # n == 0 is no division warning
        p = proportion(np.array([3, 0, 2, 0]), pd.Series([4, 0, 2, 7]))
    assert p[[0, 2, 3]].tolist() == [0.75, 1.0, 0.0] and np.isnan(p[1])
    assert proportion(1, 3) == pytest.approx(1 / 3, rel=1e-15)
