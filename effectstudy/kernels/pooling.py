r"""Rubin's rules: pooling the estimates of m multiply imputed data sets.

Pure NumPy.  For a scalar estimand with per-imputation estimates :math:`Q_j` and squared
standard errors :math:`U_j` (:math:`j = 1..m`):

.. math::

    \bar Q = \frac1m\sum_j Q_j,\quad \bar U = \frac1m\sum_j U_j,\quad
    B = \frac1{m-1}\sum_j (Q_j - \bar Q)^2,\quad T = \bar U + (1 + 1/m) B

with :math:`\lambda = (1 + 1/m)B/T` (the proportion of the variance due to the missing
data), :math:`r = (1 + 1/m)B/\bar U`, the old degrees of freedom
:math:`\nu_{old} = (m-1)/\lambda^2`, and the Barnard & Rubin (1999) small-sample degrees
of freedom with complete-data df :math:`\nu_{com}`:
:math:`\nu_{obs} = \frac{\nu_{com}+1}{\nu_{com}+3}\nu_{com}(1-\lambda)`,
:math:`\nu = \nu_{old}\nu_{obs}/(\nu_{old}+\nu_{obs})`.  The fraction of missing
information is :math:`\gamma = (r + 2/(\nu + 3))/(1 + r)`.  The interval is
:math:`\bar Q \pm t_{\nu, (1+ci)/2}\sqrt T`.

These are the formulas of R mice 3.15 ``pool.scalar(Q, U, n, k, rule = "rubin1987")``
(``dfcom = n - k``), checked against it to 1e-10 in ``tests/reference/itt``.

References
----------
Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*. Wiley.

Barnard, J., & Rubin, D. B. (1999). Small-sample degrees of freedom with multiple
imputation. *Biometrika, 86*\ (4), 948-955. https://doi.org/10.1093/biomet/86.4.948

van Buuren, S. (2018). *Flexible Imputation of Missing Data* (2nd ed.), section 2.3.
CRC Press. https://stefvanbuuren.name/fimd/sec-whyandwhen.html

>>> p = rubin_pool([1.0, 1.2, 0.9], [0.04, 0.05, 0.045], df_complete=30)
>>> round(p.estimate, 4), round(p.between, 4), round(p.total, 6)
(1.0333, 0.0233, 0.076111)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

__all__ = ["PooledEstimate", "rubin_pool", "barnard_rubin_df"]


@dataclass(frozen=True)
class PooledEstimate:
    """One pooled scalar: estimate, variances, df, fraction of missing information, CI."""

    estimate: float
    within: float
    between: float
    total: float
    df: float
    riv: float  # relative increase in variance r
    lambda_: float  # proportion of the total variance due to missingness
    fmi: float  # fraction of missing information
    m: int
    ci_low: float
    ci_high: float

    @property
    def se(self) -> float:
        """:math:`\\sqrt T`."""
        return math.sqrt(self.total)


def barnard_rubin_df(m: int, lambda_: float, df_complete: float) -> float:
    r"""Barnard & Rubin (1999) degrees of freedom (as mice's ``barnard.rubin``).

    ``lambda_`` = 0 (no between-imputation variance) gives :math:`\nu_{obs}` (large
    :math:`\nu_{old}`); ``df_complete`` infinite gives :math:`\nu_{old}`.

    >>> round(barnard_rubin_df(20, 0.2, 50), 4)
    35.6054
    """
    lam = max(float(lambda_), 1e-4)  # mice: lambda[lambda < 1e-04] <- 1e-04
    dfold = (m - 1) / lam ** 2
    if math.isinf(df_complete):
        return dfold
    dfobs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam)
    return dfold * dfobs / (dfold + dfobs)


def rubin_pool(estimates: ArrayLike, variances: ArrayLike, *, df_complete: float = math.inf,
               ci: float = 0.95) -> PooledEstimate:
    """Pool m estimates and their squared standard errors by Rubin's rules.

    Parameters
    ----------
    estimates : array of shape (m,)
        The estimate in each imputed data set.
    variances : array of shape (m,)
        Its squared standard error in each data set.
    df_complete : float, default inf
        Degrees of freedom of the complete-data analysis (mice's ``dfcom``, ``n - k``).
    ci : float, default 0.95
        Level of the t interval.

    Returns
    -------
    PooledEstimate
    """
    q = np.asarray(estimates, dtype=float).ravel()
    u = np.asarray(variances, dtype=float).ravel()
    m = q.size
    if m < 2 or u.size != m:
        raise ValueError(f"estimates/variances: got {m} and {u.size} values, expected the same "
                         "number, at least 2 (one per imputed data set)")
    qbar = float(q.mean())
    ubar = float(u.mean())
    b = float(q.var(ddof=1))
    t = ubar + (1 + 1 / m) * b
    lam = (1 + 1 / m) * b / t if t > 0 else 0.0
    riv = (1 + 1 / m) * b / ubar if ubar > 0 else math.inf
    df = barnard_rubin_df(m, lam, df_complete)
    fmi = (riv + 2 / (df + 3)) / (1 + riv)
    half = float(stats.t.ppf((1 + ci) / 2, df)) * math.sqrt(t)
    return PooledEstimate(estimate=qbar, within=ubar, between=b, total=t, df=df, riv=riv,
                          lambda_=lam, fmi=fmi, m=m, ci_low=qbar - half, ci_high=qbar + half)
