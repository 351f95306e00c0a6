r"""Anchor-based change: a minimal important difference (MID) per patient and per group.

Pure NumPy/SciPy.  Conventions as in :mod:`effectstudy.kernels.change`: change is
:math:`c = y - x` (post - pre) and the direction :math:`d` is ``-1`` when lower scores are
better, ``+1`` when higher scores are better.

* :func:`classify_mid`: improved / unchanged / deteriorated by the MID (inclusive);
* :func:`mid_band`: the post scores bounding "unchanged" at given pre scores (for plots);
* :func:`paired_t` and :func:`welch_t`: the mean difference with its t interval, as R's
  ``t.test(post, pre, paired = TRUE)`` and ``t.test(comparison, reference)`` (Welch);
* :func:`classify_group`: the decision rules that compare such an interval with the MID.

The rules follow R clinicalsignificance 3.0.0 (``cs_anchor()``, source read in
``R/calc_anchor.R`` of CRAN 3.0.0; Claus, Wager & Bonnet 2024), with the departures
documented in :func:`classify_group`.

>>> classify_mid([-5.0, -4.0, -3.9, 0.0, 3.0], d=-1, mid_improvement=4.0, mid_deterioration=3.0)
array([ 1,  1,  0,  0, -1], dtype=int8)

References
----------
Claus, B. B., Wager, J., & Bonnet, U. (2024). clinicalsignificance: Clinical significance
analyses of intervention studies in R. *Journal of Statistical Software, 111*\ (1), 1-39.
https://doi.org/10.18637/jss.v111.i01

Hespanhol, L., Vallio, C. S., Costa, L. M., & Saragiotto, B. T. (2019). Understanding and
interpreting confidence and credible intervals around effect estimates. *Brazilian Journal
of Physical Therapy, 23*\ (4), 290-301. https://doi.org/10.1016/j.bjpt.2018.12.006
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

__all__ = [
    "GROUP_CATEGORIES",
    "TInterval",
    "classify_group",
    "classify_mid",
    "mid_band",
    "paired_t",
    "welch_t",
]

#: group-level categories, from "no evidence of change" to "clearly beyond the MID"
GROUP_CATEGORIES = (
    "not_significant",
    "significant_deterioration",
    "not_relevant",
    "not_beyond_threshold",
    "probably_relevant",
    "large_effect",
)


class TInterval(NamedTuple):
    """A mean difference with its t interval and test against 0."""

    estimate: float
    ci_low: float
    ci_high: float
    t: float
    df: float
    p: float


def classify_mid(
    change: ArrayLike, *, d: int, mid_improvement: float, mid_deterioration: float
) -> np.ndarray:
    r"""Code per change: ``1`` improved, ``-1`` deteriorated, ``0`` unchanged.

    .. math::

        \text{improved} \iff d\,c \ge MID_{imp},\qquad
        \text{deteriorated} \iff d\,c \le -MID_{det}

    Inclusive thresholds, as R clinicalsignificance 3.0.0 (``cs_anchor``).  Both MIDs must be
    positive (the caller checks), so no change is both.  The change is taken as given
    (post - pre in floating point): ``1.3 - 1.0`` is ``0.30000000000000004``, past a MID of 0.3.
    """
    v = d * np.asarray(change, dtype=float)
    return np.where(v >= mid_improvement, 1, np.where(v <= -mid_deterioration, -1, 0)).astype(np.int8)


def mid_band(
    pre: ArrayLike, *, d: int, mid_improvement: float, mid_deterioration: float
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper post score of the 'unchanged' band at pre scores ``pre``.

    >>> mid_band([10.0], d=-1, mid_improvement=4.0, mid_deterioration=3.0)
    (array([6.]), array([13.]))
    """
    x = np.asarray(pre, dtype=float)
    better, worse = x + d * mid_improvement, x - d * mid_deterioration
    return np.minimum(better, worse), np.maximum(better, worse)


def _interval(estimate: float, se: float, df: float, ci: float) -> TInterval:
    if not (np.isfinite(se) and se > 0 and df > 0):
        nan = float("nan")
        return TInterval(float(estimate), nan, nan, nan, float(df), nan)
    q = float(stats.t.ppf(0.5 + ci / 2, df))
    t = estimate / se
    p = float(2 * stats.t.sf(abs(t), df))
    return TInterval(float(estimate), float(estimate - q * se), float(estimate + q * se), float(t),
                     float(df), p)


def paired_t(pre: ArrayLike, post: ArrayLike, *, ci: float = 0.95) -> TInterval:
    r"""Mean of :math:`y - x` with its paired t interval (R ``t.test(post, pre, paired = TRUE)``).

    .. math::

        \bar c \pm t_{(1+ci)/2,\,n-1}\,\frac{s_c}{\sqrt n}

    NaN limits when fewer than two pairs or no variation in the change.

    >>> r = paired_t([10.0, 12.0, 9.0], [7.0, 8.0, 7.0])
    >>> round(r.estimate, 4), round(r.ci_low, 4), round(r.ci_high, 4), r.df
    (-3.0, -5.4841, -0.5159, 2.0)
    """
    c = np.asarray(post, dtype=float) - np.asarray(pre, dtype=float)
    n = c.size
    if n < 2:
        return _interval(float(c.mean()) if n else float("nan"), float("nan"), n - 1, ci)
    return _interval(float(c.mean()), float(c.std(ddof=1) / np.sqrt(n)), n - 1, ci)


def welch_t(comparison: ArrayLike, reference: ArrayLike, *, ci: float = 0.95) -> TInterval:
    r"""Mean difference comparison - reference with Welch's t interval (R ``t.test(a, b)``).

    .. math::

        SE = \sqrt{s_1^2/n_1 + s_2^2/n_2},\qquad
        df = \frac{SE^4}{\frac{(s_1^2/n_1)^2}{n_1-1} + \frac{(s_2^2/n_2)^2}{n_2-1}}

    >>> r = welch_t([4.0, 6.0, 8.0], [1.0, 2.0, 3.0, 4.0])
    >>> round(r.estimate, 4), round(r.df, 4)
    (3.5, 3.2347)
    """
    a = np.asarray(comparison, dtype=float)
    b = np.asarray(reference, dtype=float)
    est = float(a.mean() - b.mean()) if a.size and b.size else float("nan")
    if a.size < 2 or b.size < 2:
        return _interval(est, float("nan"), float("nan"), ci)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se2 = va + vb
    df = se2**2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1)) if se2 > 0 else float("nan")
    return _interval(est, float(np.sqrt(se2)), float(df), ci)


def classify_group(
    estimate: ArrayLike, ci_low: ArrayLike, ci_high: ArrayLike, *, d: int, mid: float
) -> np.ndarray:
    r"""Index into :data:`GROUP_CATEGORIES` per interval (``-1`` where the interval is NaN).

    On the improvement scale :math:`e = d\cdot est`, :math:`lo, hi` = the interval times
    :math:`d` (sorted), in this order:

    1. ``not_significant``: :math:`lo \le 0 \le hi` (the interval contains or touches 0);
    2. ``significant_deterioration``: :math:`hi < 0`;
    3. ``not_relevant``: :math:`0 < lo` and :math:`hi < MID` (significant, below the MID);
    4. ``large_effect``: :math:`lo \ge MID`;
    5. ``probably_relevant``: :math:`lo < MID \le hi` and :math:`e \ge MID`;
    6. ``not_beyond_threshold``: :math:`lo < MID \le hi` and :math:`e < MID`.

    **Differences from R clinicalsignificance 3.0.0**, which otherwise gives the same
    category (checked row by row in ``tests/reference/anchor``): (i) it has no rule 2, so a
    significant deterioration is called "statistically significant but not clinically
    relevant" (both directions); (ii) its higher-is-better branch has no "not significant"
    rule: an interval that contains 0 gets NA when it lies below the MID and is judged
    against the MID alone when it reaches past it ("not significantly greater than the
    threshold" or "probably clinically significant"), where effectstudy says
    ``not_significant`` in both directions; (iii) it uses strict inequalities, so a limit
    or estimate exactly at the threshold gets NA, where effectstudy counts a value at the
    MID as reaching it (as the individual rule does).

    >>> [GROUP_CATEGORIES[i] for i in classify_group([-3, -3, -6, -6, 2], [-5, -4, -9, -8, 1],
    ...                                                [1, -1, -3, -5, 3], d=-1, mid=5)]
    ['not_significant', 'not_relevant', 'probably_relevant', 'large_effect', 'significant_deterioration']
    """
    e = d * np.asarray(estimate, dtype=float)
    a = d * np.asarray(ci_low, dtype=float)
    b = d * np.asarray(ci_high, dtype=float)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    code = np.select(
        [np.isnan(lo) | np.isnan(hi) | np.isnan(e),
         (lo <= 0) & (hi >= 0), hi < 0, hi < mid, lo >= mid, e >= mid],
        [-1, 0, 1, 2, 5, 4],
        default=3,
    )
    return code.astype(np.int8)
