r"""Confidence intervals for proportions: the Wilson score interval, vectorised.

:func:`wilson_ci` gives the score interval of Wilson (1927) without continuity correction
(method 3 of Newcombe 1998), the interval R's ``prop.test(x, n, correct = FALSE)`` reports.

.. math::

    \frac{\hat p + \frac{z^2}{2n} \pm z\sqrt{\frac{\hat p(1-\hat p)}{n} + \frac{z^2}{4n^2}}}
         {1 + \frac{z^2}{n}},\qquad z = z_{1-(1-\mathrm{ci})/2}

Checked against Newcombe (1998), Table I (method 3, to the 4 decimals published):
81/263 -> 0.2553, 0.3662; 15/148 -> 0.0624, 0.1605; 0/20 -> 0, 0.1611; 1/29 -> 0.0061, 0.1718.

>>> lo, hi = wilson_ci([81, 15, 0, 1], [263, 148, 20, 29])
>>> lo.round(4).tolist(), hi.round(4).tolist()
([0.2553, 0.0624, 0.0, 0.0061], [0.3662, 0.1605, 0.1611, 0.1718])

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
*Journal of the American Statistical Association, 22*\ (158), 209-212.
https://doi.org/10.1080/01621459.1927.10502953

Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion:
comparison of seven methods. *Statistics in Medicine, 17*\ (8), 857-872.
https://doi.org/10.1002/(SICI)1097-0258(19980430)17:8<857::AID-SIM777>3.0.CO;2-E
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from effectstudy.core.checks import check_ci
from effectstudy.core.errors import ArgumentError

__all__ = ["proportion", "wilson_ci"]


def proportion(k: ArrayLike, n: ArrayLike) -> np.ndarray:
    """The share ``k / n`` elementwise, NaN where ``n == 0`` (no warning): the estimate that
    goes with :func:`wilson_ci`'s interval.

    >>> proportion([3, 0, 2], [4, 0, 2]).tolist()
    [0.75, nan, 1.0]
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    return np.where(n > 0, k / np.maximum(n, 1), np.nan)


def wilson_ci(k: ArrayLike, n: ArrayLike, ci: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval ``(low, high)`` for ``k`` successes out of ``n``, elementwise.

    ``n == 0`` gives NaN limits.  Limits are clipped to [0, 1] (they lie there exactly;
    the clip only removes rounding noise) and equal 0 / 1 exactly at ``k = 0`` / ``k = n``.

    Raises
    ------
    ArgumentError
        ``ci`` not in (0, 1); ``k`` or ``n`` negative, or ``k > n``.
    """
    ci = check_ci(ci)
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    # a negative n needs no check of its own: its k is either negative or above it
    if np.any(k < 0) or np.any(k > n):
        raise ArgumentError("k, n", (k.tolist(), n.tolist()),
                            "counts with 0 <= k <= n")
    z = float(stats.norm.ppf(1 - (1 - ci) / 2))
    z2 = z * z
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z2 / n
        centre = (p + z2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
        lo = np.clip(centre - half, 0.0, 1.0)
        hi = np.clip(centre + half, 0.0, 1.0)
    lo = np.where(k == 0, 0.0, lo)
    hi = np.where(k == n, 1.0, hi)
    empty = n == 0
    lo = np.where(empty, np.nan, lo)
    hi = np.where(empty, np.nan, hi)
    return lo, hi
