r"""Area under the ROC curve (Mann-Whitney) with DeLong's variance, vectorised.

:func:`delong` gives, for one or more continuous signals measured on the same subjects,
the empirical AUC (the Mann-Whitney probability that a case scores above a control, ties
counting one half) and DeLong, DeLong & Clarke-Pearson's (1988) covariance matrix of the
AUCs, computed from midranks as in Sun & Xu (2014) (no loop over pairs):

.. math::

    V_{10}(x_i) = \frac{R(x_i) - R_X(x_i)}{n},\qquad
    V_{01}(y_j) = 1 - \frac{R(y_j) - R_Y(y_j)}{m},\qquad
    \hat\theta = \bar V_{10},\qquad
    \widehat{\operatorname{Cov}} = \frac{S_{10}}{m} + \frac{S_{01}}{n}

with :math:`m` cases :math:`x`, :math:`n` controls :math:`y`, :math:`R` the midrank in
the pooled sample, :math:`R_X`, :math:`R_Y` the midranks within cases / controls and
:math:`S_{10}`, :math:`S_{01}` the sample covariance matrices (divisor :math:`m-1`,
:math:`n-1`) of the placements across signals.  :func:`auc_ci` is the normal interval on
the AUC scale, clipped to [0, 1] (the interval R's ``pROC::ci.auc(method = "delong")``
reports; checked against pROC 1.18 in ``tests/kernels/test_roc.py``).

>>> auc, cov = delong([[0.9, 0.8, 0.4]], [[0.1, 0.4, 0.7, 0.2]])
>>> float(auc[0]), round(float(cov[0, 0]), 6)
(0.875, 0.021991)

References
----------
DeLong, E. R., DeLong, D. M., & Clarke-Pearson, D. L. (1988). Comparing the areas under
two or more correlated receiver operating characteristic curves: a nonparametric approach.
*Biometrics, 44*\ (3), 837-845. https://doi.org/10.2307/2531595

Sun, X., & Xu, W. (2014). Fast implementation of DeLong's algorithm for comparing the
areas under correlated receiver operating characteristic curves. *IEEE Signal Processing
Letters, 21*\ (11), 1389-1393. https://doi.org/10.1109/LSP.2014.2337313
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special, stats

from effectstudy.core.checks import check_ci
from effectstudy.core.errors import ArgumentError

__all__ = ["delong", "auc_ci", "youden_threshold", "logistic_fit"]


def _rows(a: ArrayLike, name: str) -> np.ndarray:
    x = np.asarray(a, dtype=float)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or not np.isfinite(x).all():
        raise ArgumentError(name, x.shape, "finite scores: one row per signal, one column "
                            "per subject")
    return x


def delong(cases: ArrayLike, controls: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """AUC of each signal and DeLong's covariance matrix of the AUCs.

    Parameters
    ----------
    cases, controls : array (k, m) and (k, n), or 1-D for one signal
        Scores of the ``k`` signals; higher means "more likely a case".

    Returns
    -------
    auc : array (k,)
    cov : array (k, k)
        NaN when there are fewer than two cases or controls (no variance to estimate).
    """
    x = _rows(cases, "cases")
    y = _rows(controls, "controls")
    if x.shape[0] != y.shape[0]:
        raise ArgumentError("cases, controls", (x.shape, y.shape), "the same number of "
                            "signals (rows)")
    m, n = x.shape[1], y.shape[1]
    k = x.shape[0]
    if m == 0 or n == 0:
        return np.full(k, np.nan), np.full((k, k), np.nan)
    r_all = stats.rankdata(np.hstack([x, y]), axis=1)
    v10 = (r_all[:, :m] - stats.rankdata(x, axis=1)) / n
    v01 = 1.0 - (r_all[:, m:] - stats.rankdata(y, axis=1)) / m
    auc = v10.mean(axis=1)
    if m < 2 or n < 2:
        return auc, np.full((k, k), np.nan)
    s10 = np.atleast_2d(np.cov(v10, ddof=1))
    s01 = np.atleast_2d(np.cov(v01, ddof=1))
    return auc, s10 / m + s01 / n


def auc_ci(auc: ArrayLike, var: ArrayLike, ci: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Normal interval ``auc -/+ z * sqrt(var)`` clipped to [0, 1], elementwise.

    >>> lo, hi = auc_ci(0.875, 0.021991)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.5843, 1.0)
    """
    ci = check_ci(ci)
    z = float(stats.norm.ppf(1 - (1 - ci) / 2))
    a = np.asarray(auc, dtype=float)
    se = np.sqrt(np.asarray(var, dtype=float))
    return np.clip(a - z * se, 0.0, 1.0), np.clip(a + z * se, 0.0, 1.0)


def youden_threshold(scores: ArrayLike, cases: ArrayLike) -> float:
    """The threshold ``t`` (flag = score > t) that maximises sensitivity + specificity.

    Candidates are the midpoints between consecutive distinct scores (and one below the
    smallest); among equal maxima the highest threshold wins (fewest flags).  Youden, W. J.
    (1950). Index for rating diagnostic tests. *Cancer, 3*\\ (1), 32-35.

    >>> youden_threshold([0.1, 0.4, 0.35, 0.8], [False, True, False, True])
    0.375
    """
    s = np.asarray(scores, dtype=float)
    c = np.asarray(cases, dtype=bool)
    if s.shape != c.shape or s.ndim != 1 or not np.isfinite(s).all() or c.all() or not c.any():
        raise ArgumentError("scores, cases", (s.shape, int(c.sum())), "finite scores and at "
                            "least one case and one control")
    u = np.unique(s)
    cand = np.r_[u[0] - 1.0, (u[:-1] + u[1:]) / 2]
    # cases / controls above each candidate: counts of scores > t by searchsorted
    sc, sn = np.sort(s[c]), np.sort(s[~c])
    se = (sc.size - np.searchsorted(sc, cand, side="right")) / sc.size
    sp = np.searchsorted(sn, cand, side="right") / sn.size
    j = se + sp
    return float(cand[np.flatnonzero(j == j.max())[-1]])


def logistic_fit(x: ArrayLike, y: ArrayLike, *, ridge: float = 1e-6,
                 max_iter: int = 100) -> np.ndarray:
    """Coefficients of a logistic regression of ``y`` (0/1) on ``x`` (with its own intercept
    column), by Newton-Raphson with a small ridge penalty ``ridge * |beta|^2 / 2`` that keeps
    the fit finite under separation (R: glm(y ~ x, family = binomial) gives -3.035, 1.214).

    >>> x = np.column_stack([np.ones(6), [0.0, 1, 2, 3, 4, 5]])
    >>> logistic_fit(x, [0, 0, 1, 0, 1, 1]).round(3).tolist()
    [-3.035, 1.214]
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    beta = np.zeros(x.shape[1])
    pen = ridge * np.eye(x.shape[1])
    for _ in range(max_iter):
        eta = x @ beta
        p = special.expit(eta)
        grad = x.T @ (y - p) - pen @ beta
        # the weight p(1 - p) as expit(eta) * expit(-eta): exact in the tails (no clip of eta,
        # whose floor weight would swamp the Hessian for a large covariate value)
        hess = (x * (p * special.expit(-eta))[:, None]).T @ x + pen
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta
