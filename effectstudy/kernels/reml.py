r"""REML solvers of linear mixed models: every mixed-model fit of the package runs here.

* :func:`reml_random_slope`: random intercept and slope per subject on one covariate,
  with any fixed-effects design (stagnation, trajectories); :func:`hlm_fit` is its
  ``outcome ~ time + (time | subject)`` case (reliable change by HLM).
* :func:`reml_intercept_criterion`, :func:`reml_intercept_theta`,
  :func:`reml_intercept_cov_beta`: the random-intercept model profiled over
  :math:`\theta = \tau^2/\sigma^2` (the student analyses' mixed model).

Pure NumPy/SciPy on arrays; subjects are integer codes ``0..m-1``.

References
----------
Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects
models using lme4. *Journal of Statistical Software, 67*\ (1).
https://doi.org/10.18637/jss.v067.i01
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize

__all__ = [
    "REMLFit",
    "reml_random_slope",
    "HLMFit",
    "hlm_fit",
    "reml_intercept_criterion",
    "reml_intercept_theta",
    "reml_intercept_cov_beta",
]


# -- random intercept and slope on one covariate, vectorised -------------------------------
class _FitAttrs:
    """Plain-attribute result of a random intercept + slope fit."""

    def __init__(self, **kw: object) -> None:
        self.__dict__.update(kw)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        keys = ("beta", "sd_intercept", "sd_slope", "cor", "sigma", "reml_criterion")
        return (type(self).__name__ + "("
                + ", ".join(f"{k}={getattr(self, k)!r}" for k in keys) + ")")


class REMLFit(_FitAttrs):
    """Result of :func:`reml_random_slope` (plain attributes, see there)."""

    def prediction_variance(self, a: ArrayLike, c: ArrayLike) -> np.ndarray:
        r"""Per subject, the prediction-error variance of :math:`a^\top\hat\beta + c^\top\hat b_i`.

        .. math::

            \hat\sigma^2 c^\top P_i c + h_i^\top\,\widehat{\mathrm{Cov}}(\hat\beta)\,h_i,\quad
            h_i = a - X_i^\top Z_i P_i c

        (Henderson 1975: the error of the conditional mode at known :math:`\beta` is
        uncorrelated with :math:`\hat\beta`, so the two parts add).
        """
        a = np.asarray(a, dtype=float)
        c = np.asarray(c, dtype=float)
        v = self.cond_var @ c  # sigma^2 P_i c, (m, 2)
        h = a - np.einsum("mpa,ma->mp", self.xz, v) / self.sigma**2
        return v @ c + np.einsum("mp,pq,mq->m", h, self.cov_beta, h)


def _canonical_theta(th: np.ndarray) -> np.ndarray:
    r"""The same random-effect covariance with non-negative diagonal of its Cholesky factor.

    :math:`\Sigma = \Lambda\Lambda'` with :math:`\Lambda = [[l_{11}, 0], [l_{21}, l_{22}]]`
    is unchanged when a *column* of :math:`\Lambda` changes sign: :math:`(l_{11}, l_{21})`
    together, or :math:`l_{22}` alone.  Flipping :math:`l_{11}` alone would flip the sign of
    the intercept-slope covariance :math:`l_{11} l_{21}`.  (An unbounded polish step can
    leave :math:`l_{11} < 0`.)

    >>> _canonical_theta(np.array([-0.5, 0.3, -0.2]))
    array([ 0.5, -0.3,  0.2])
    """
    sign = -1.0 if th[0] < 0 else 1.0
    return np.array([sign * th[0], sign * th[1], abs(th[2])])


def _lambda_parts(theta, s00, s01, s11):
    r"""Per design :math:`S = Z_i^\top Z_i`: ``log|M|`` and :math:`P = \Lambda M^{-1}\Lambda^\top`
    (entries ``p00, p01, p11``), :math:`M = I + \Lambda^\top S\Lambda`,
    :math:`\Lambda = [[l_{11}, 0], [l_{21}, l_{22}]]`."""
    l11, l21, l22 = theta
    a00 = l11 * (s00 * l11 + s01 * l21) + l21 * (s01 * l11 + s11 * l21)
    a01 = l22 * (l11 * s01 + l21 * s11)
    a11 = l22 * l22 * s11
    m00 = 1 + a00
    m11 = 1 + a11
    det = m00 * m11 - a01 * a01
    i00, i01, i11 = m11 / det, -a01 / det, m00 / det
    q00, q01 = l11 * i00, l11 * i01
    q10, q11 = l21 * i00 + l22 * i01, l21 * i01 + l22 * i11
    return np.log(det), q00 * l11, q00 * l21 + q01 * l22, q10 * l21 + q11 * l22


class _RandomSlopeSums:
    r"""Sufficient statistics per *design* :math:`S_i = Z_i^\top Z_i`.

    With :math:`A_i = [X_i, y_i]^\top Z_i` (a :math:`(p+1)\times 2` matrix per subject) and
    :math:`P_i` shared by the subjects of a design,
    :math:`\sum_i A_i P_i A_i^\top = \sum_d (p_{00} W_{00} + p_{01} W_{01} + p_{11} W_{11})_d`
    where :math:`W_{ab,d}` sums :math:`A_{i,a} A_{i,b}^\top` (symmetrised for ``01``) over the
    design's subjects: one matrix-vector product per entry of :math:`P` per evaluation.
    """

    def __init__(self, s: np.ndarray, cnt: np.ndarray, a_sorted: np.ndarray,
                 starts: np.ndarray, ata: np.ndarray, n_obs: int) -> None:
        # a_sorted: the subjects' A_i ordered by design, design d from row starts[d]
        nd = s.shape[0]
        q = a_sorted.shape[1]
        self.s00, self.s01, self.s11 = s[:, 0], s[:, 1], s[:, 2]
        self.cnt = cnt
        self.iu = np.triu_indices(q)
        i0, i1 = self.iu
        a0, a1 = a_sorted[:, :, 0], a_sorted[:, :, 1]

        def per_design(v: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(np.add.reduceat(v, starts, axis=0).T)

        self.w00 = per_design(a0[:, i0] * a0[:, i1])
        self.w01 = per_design(a0[:, i0] * a1[:, i1] + a1[:, i0] * a0[:, i1])
        self.w11 = per_design(a1[:, i0] * a1[:, i1])
        self.ata = ata
        self.q = q
        self.p = q - 1
        self.n_obs = n_obs
        self.n_designs = nd
        self.nfev = 0

    def solve(self, theta: np.ndarray):
        """``(criterion, beta, X'V^-1X sigma^2, pwrss, (p00, p01, p11))`` at ``theta``."""
        self.nfev += 1
        logdet, p00, p01, p11 = _lambda_parts(theta, self.s00, self.s01, self.s11)
        # einsum, not BLAS: no thread wake-up cost between the vectorised steps
        e = (np.einsum("td,d->t", self.w00, p00) + np.einsum("td,d->t", self.w01, p01)
             + np.einsum("td,d->t", self.w11, p11))
        sub = np.zeros((self.q, self.q))
        sub[self.iu] = e
        sub = sub + np.triu(sub, 1).T
        g = self.ata - sub
        p = self.p
        xvx, xvy = g[:p, :p], g[:p, p]
        sign, logdet_x = np.linalg.slogdet(xvx)
        dof = self.n_obs - p
        if not sign > 0:
            return math.inf, None, xvx, math.nan, (p00, p01, p11)
        beta = np.linalg.solve(xvx, xvy)
        pwrss = float(g[p, p] - beta @ xvy)
        if not pwrss > 0:
            return math.inf, beta, xvx, pwrss, (p00, p01, p11)
        crit = float(np.einsum("d,d->", self.cnt, logdet) + logdet_x
                     + dof * (1 + math.log(2 * math.pi * pwrss / dof)))
        return crit, beta, xvx, pwrss, (p00, p01, p11)

    def criterion(self, theta: np.ndarray) -> float:
        return self.solve(theta)[0]


def _moment_start(n_i, st_i, stt_i, u0_i, u1_i, rr_i) -> np.ndarray:
    """Moment start values: per-subject OLS lines (of the OLS residuals ``u = Z'r``,
    ``rr = r'r``), their spread minus sampling noise."""
    det = n_i * stt_i - st_i * st_i
    ok = det > 1e-12 * np.maximum(stt_i * n_i, 1.0)
    if ok.sum() < 3:
        return np.array([1.0, 0.0, 1.0])
    b1 = (n_i * u1_i - st_i * u0_i)[ok] / det[ok]
    b0 = (u0_i[ok] - b1 * st_i[ok]) / n_i[ok]
    rss = rr_i[ok] - b0 * u0_i[ok] - b1 * u1_i[ok]
    dof = n_i[ok] - 2
    sigma2 = float(rss[dof > 0].sum() / dof[dof > 0].sum()) if (dof > 0).any() else 1.0
    if not sigma2 > 0:
        return np.array([1.0, 0.0, 1.0])
    # average sampling covariance of the OLS coefficients: sigma2 * (Z'Z)^-1
    v00 = float(np.mean(stt_i[ok] / det[ok])) * sigma2
    v01 = float(np.mean(-st_i[ok] / det[ok])) * sigma2
    v11 = float(np.mean(n_i[ok] / det[ok])) * sigma2
    c = np.cov(np.vstack([b0, b1]))
    d00 = max(c[0, 0] - v00, 1e-3 * c[0, 0])
    d11 = max(c[1, 1] - v11, 1e-3 * c[1, 1])
    d01 = float(np.clip(c[0, 1] - v01, -0.99 * math.sqrt(d00 * d11), 0.99 * math.sqrt(d00 * d11)))
    if not (d00 > 0 and d11 > 0):
        return np.array([1.0, 0.0, 1.0])
    l11 = math.sqrt(d00 / sigma2)
    l21 = d01 / sigma2 / l11
    l22 = math.sqrt(max(d11 / sigma2 - l21 * l21, 1e-8))
    return np.array([l11, l21, l22])


def _grad_hess(fun, th: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Central finite-difference gradient and Hessian of ``fun`` at ``th`` (one-sided just
    inside a bound of 0 for ``l11``, ``l22``); returns ``(f, g, H, at_bound)``."""
    n = th.size
    h = 1e-5 * np.maximum(1.0, np.abs(th))
    at_bound = np.array([j in (0, 2) and th[j] < h[j] for j in range(n)])
    x = th.copy()
    x[at_bound] = h[at_bound]
    e = np.diag(h)
    fx = fun(x)
    fp = np.array([fun(x + e[j]) for j in range(n)])
    fm = np.array([fun(x - e[j]) for j in range(n)])
    g = (fp - fm) / (2 * h)
    hess = np.empty((n, n))
    for i in range(n):
        hess[i, i] = (fp[i] - 2 * fx + fm[i]) / h[i] ** 2
        for j in range(i + 1, n):
            hess[i, j] = hess[j, i] = (fun(x + e[i] + e[j]) - fun(x + e[i] - e[j])
                                       - fun(x - e[i] + e[j]) + fun(x - e[i] - e[j])) / (
                                           4 * h[i] * h[j])
    return fx, g, hess, at_bound


def _gradient_ok(fun, th: np.ndarray, tol: float = 2e-3) -> bool:
    r"""Convergence check as lme4's ``check.conv.grad``: with the finite-difference gradient
    :math:`g` and Hessian :math:`H` of the criterion, every coordinate must have
    :math:`\min(|H^{-1}g|, |g|) <` ``tol`` (a coordinate at its bound of 0 with a positive
    gradient is fine)."""
    f0, g, hess, at_bound = _grad_hess(fun, th)
    if not np.all(np.isfinite(g)):
        return False
    try:
        np.linalg.cholesky(hess)
        sc = np.abs(np.linalg.solve(hess, g))
    except np.linalg.LinAlgError:
        sc = np.abs(g)
    worst = np.minimum(sc, np.abs(g))
    worst[at_bound & (g > 0)] = 0.0
    return bool(np.all(worst < tol))


def _newton(fun, th: np.ndarray, steps: int = 4) -> np.ndarray:
    """A few safeguarded Newton steps on the finite-difference Hessian (interior optima
    only): polishes a quasi-Newton result to near machine precision in a few dozen
    evaluations."""
    f0 = fun(th)
    for _ in range(steps):
        fx, g, hess, at_bound = _grad_hess(fun, th)
        if at_bound.any() or not np.all(np.isfinite(g)):
            break
        try:
            np.linalg.cholesky(hess)
            step = np.linalg.solve(hess, g)
        except np.linalg.LinAlgError:
            break
        lam, moved = 1.0, False
        while lam > 1e-4:
            cand = th - lam * step
            if cand[0] >= 0 and cand[2] >= 0:
                fc = fun(cand)
                if fc <= f0:
                    th, f0, moved = cand, fc, True
                    break
            lam /= 2
        if not moved or np.max(np.abs(lam * step)) < 1e-12 * max(1.0, np.max(np.abs(th))):
            break
    return th


def reml_random_slope(subject_codes: ArrayLike, X: ArrayLike, z: ArrayLike,
                      y: ArrayLike, *, n_subjects: int | None = None) -> REMLFit:
    r"""REML fit of a linear mixed model with a random intercept and slope per subject.

    .. math::

        y_{ij} = x_{ij}^\top\beta + b_{0i} + b_{1i} z_{ij} + e_{ij},\quad
        b_i \sim N(0, \sigma^2\Lambda\Lambda^\top),\ e_{ij} \sim N(0, \sigma^2),\quad
        \Lambda = \begin{pmatrix} l_{11} & 0 \\ l_{21} & l_{22}\end{pmatrix}

    with an arbitrary fixed-effects design :math:`X` (:math:`N\times p`) and
    :math:`Z_i = (1, z_{ij})_j`.  The profiled REML criterion of Bates et al. (2015, eq. 41)

    .. math::

        -2\ell_R(\theta) = \sum_i \log|M_i| + \log|X^\top V^{-1}X\,\sigma^2|
          + (N-p)\left[1 + \log\frac{2\pi\,r^2(\theta)}{N-p}\right],\quad
        M_i = I + \Lambda^\top Z_i^\top Z_i\Lambda

    with :math:`r^2(\theta) = \sigma^2 (y - X\hat\beta)^\top V^{-1}(y - X\hat\beta)` is
    minimised over :math:`\theta = (l_{11}, l_{21}, l_{22})`, :math:`l_{11}, l_{22}\ge 0`.
    With :math:`P_i = \Lambda M_i^{-1}\Lambda^\top`, :math:`\sigma^2 V_i^{-1} =
    I - Z_i P_i Z_i^\top` (Woodbury), so every term needs only :math:`[X, y]^\top[X, y]`,
    :math:`A_i = [X_i, y_i]^\top Z_i` and :math:`S_i = Z_i^\top Z_i`:

    .. math::

        \sigma^2 [X, y]^\top V^{-1} [X, y] = [X, y]^\top [X, y] - \sum_i A_i P_i A_i^\top

    and subjects with the same :math:`S_i` share :math:`P_i`, so each evaluation is a
    handful of vectorised 2x2 operations per distinct design and three matrix-vector
    products.  The optimiser is L-BFGS-B from a moment start, safeguarded Newton steps on a
    finite-difference Hessian, and a Nelder-Mead polish only when lme4's gradient check
    (``check.conv.grad``) fails.

    Parameters
    ----------
    subject_codes : int array, shape (N,)
        Subject codes ``0..m-1``.
    X : float array, shape (N, p)
        Fixed-effects design (full column rank, else ``ValueError``).
    z : float array, shape (N,)
        Covariate of the random slope.
    y : float array, shape (N,)
        Outcome (not fitted exactly by ``X``, else ``ValueError``).
    n_subjects : int, optional
        ``m`` (default ``max(subject_codes) + 1``); subjects without rows get NaN.

    Returns
    -------
    REMLFit
        ``beta``, ``cov_beta`` (:math:`\hat\sigma^2(X^\top V^{-1}X\sigma^2)^{-1}`),
        ``theta``, ``d`` (:math:`\hat\sigma^2\Lambda\Lambda^\top`), ``sd_intercept``,
        ``sd_slope``, ``cor``, ``sigma``, ``reml_criterion``, ``converged`` (gradient
        check), ``singular``, ``optimizer``, ``n_evaluations``, ``n_obs``, ``n_subjects``
        (with rows), ``n_designs``; per subject ``ranef`` (:math:`m\times 2` conditional
        modes :math:`\hat b_i = P_i Z_i^\top(y_i - X_i\hat\beta)`, as ``lme4::ranef``),
        ``cond_var`` (:math:`m\times 2\times 2`, :math:`\hat\sigma^2 P_i`, as
        ``condVar = TRUE``), ``xz`` (:math:`X_i^\top Z_i`) and
        :meth:`REMLFit.prediction_variance`.

    References
    ----------
    Bates et al. (2015), lme4 (full reference in the module docstring).

    Pinheiro, J. C., & Bates, D. M. (2000). *Mixed-effects models in S and S-PLUS*.
    Springer. https://doi.org/10.1007/b98882

    Henderson, C. R. (1975). Best linear unbiased estimation and prediction under a
    selection model. *Biometrics, 31*\ (2), 423-447.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(np.arange(200), 5)
    >>> t = np.tile(np.arange(5.0), 200)
    >>> y = 10 + rng.normal(0, 2, 200)[g] + (-1 + rng.normal(0, 0.5, 200)[g]) * t \
    ...     + rng.normal(0, 1, g.size)
    >>> fit = reml_random_slope(g, np.column_stack([np.ones_like(t), t]), t, y)
    >>> fit.beta.round(2), round(fit.sd_slope, 2), round(fit.sigma, 2), fit.converged
    (array([ 9.94, -1.  ]), 0.52, 0.98, True)
    """
    g = np.asarray(subject_codes)
    x = np.asarray(X, dtype=float)
    z = np.asarray(z, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    n_obs, p = x.shape
    if n_obs <= p:
        raise ValueError(f"{n_obs} observations for {p} fixed effects; expected more than {p}")
    m = int(n_subjects) if n_subjects is not None else (int(g.max()) + 1 if g.size else 0)
    # the criterion is invariant to y -> y - X gamma: fit the OLS residuals, so that
    # y'V^-1 y and X'V^-1 y lose no digits to cancellation (y far from 0, e.g. scores ~200)
    beta_ols, _, rank, _ = np.linalg.lstsq(x, y, rcond=None)
    if rank < p:
        raise ValueError(f"the fixed-effects design has rank {rank} < {p} columns "
                         "(collinear or constant columns)")
    r = y - x @ beta_ols
    if not r @ r > 1e-24 * (y @ y):
        raise ValueError("the outcome is fitted exactly by the fixed effects "
                         "(no residual variance to split into random effects and error)")
    xy = np.column_stack([x, r])
    # per subject: S_i = Z_i'Z_i and A_i = [X_i, y_i]' Z_i
    n_i = np.bincount(g, minlength=m).astype(float)
    sz = np.bincount(g, weights=z, minlength=m)
    szz = np.bincount(g, weights=z * z, minlength=m)
    a = np.empty((m, p + 1, 2))
    for j, col in enumerate(np.ascontiguousarray(xy.T)):
        a[:, j, 0] = np.bincount(g, weights=col, minlength=m)
        a[:, j, 1] = np.bincount(g, weights=col * z, minlength=m)
    present = n_i > 0
    # distinct designs S_i (subjects measured at the same times share them), in the
    # lexicographic order of (n, sum z, sum z^2)
    s_p = np.column_stack([n_i, sz, szz])[present]
    order = np.lexsort((s_p[:, 2], s_p[:, 1], s_p[:, 0]))
    s_sorted = s_p[order]
    first = np.r_[True, np.any(s_sorted[1:] != s_sorted[:-1], axis=1)]
    starts = np.flatnonzero(first)
    design = s_sorted[starts]
    cnt = np.diff(np.r_[starts, order.size]).astype(float)
    inv = np.empty(order.size, dtype=np.int64)
    inv[order] = np.cumsum(first) - 1
    ap = a[present]
    sums = _RandomSlopeSums(design, cnt, ap[order], starts, xy.T @ xy, n_obs)
    fun = sums.criterion

    # start: moment estimates from per-subject lines of the OLS residuals
    rr = np.bincount(g, weights=r * r, minlength=m)[present]
    th_starts = (_moment_start(n_i[present], sz[present], szz[present], ap[:, p, 0],
                               ap[:, p, 1], rr),
                 np.array([1.0, 0.0, 1.0]), np.array([0.3, 0.0, 0.1]))
    bounds = [(0.0, None), (None, None), (0.0, None)]
    best = None
    for th0 in th_starts:
        res = optimize.minimize(fun, th0, method="L-BFGS-B", bounds=bounds,
                                options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 1000,
                                         "eps": 1e-6})
        if best is None or res.fun < best.fun:
            best = res
        if np.isfinite(best.fun) and _gradient_ok(fun, best.x):
            break
    th = _newton(fun, best.x)
    polished = False
    ok = _gradient_ok(fun, th)
    if not ok:
        # polish with a small simplex around the quasi-Newton result (robust near bounds)
        step = 1e-3 * np.maximum(np.abs(best.x), 1e-2)
        simplex = np.vstack([best.x, best.x + np.diag(step)])
        res = optimize.minimize(fun, best.x, method="Nelder-Mead",
                                options={"xatol": 1e-9, "fatol": 1e-12 * abs(best.fun),
                                         "maxiter": 1000, "initial_simplex": simplex})
        polished = True
        if res.fun <= fun(th):
            th = res.x
    th = _canonical_theta(th)
    if polished:
        ok = _gradient_ok(fun, th)
    crit, beta_r, xvx, pwrss, (p00, p01, p11) = sums.solve(th)
    beta = beta_ols + beta_r
    converged = bool(np.isfinite(crit)) and ok
    sigma2 = pwrss / (n_obs - p)
    cov_beta = sigma2 * np.linalg.inv(xvx)
    lam = np.array([[th[0], 0.0], [th[1], th[2]]])
    d = sigma2 * lam @ lam.T
    sd0, sd1 = math.sqrt(d[0, 0]), math.sqrt(d[1, 1])
    cor = d[0, 1] / (sd0 * sd1) if sd0 > 0 and sd1 > 0 else float("nan")
    # per subject: conditional modes and variances
    pm = np.full((m, 2, 2), np.nan)
    pm[present, 0, 0] = p00[inv]
    pm[present, 0, 1] = pm[present, 1, 0] = p01[inv]
    pm[present, 1, 1] = p11[inv]
    resid = a[:, p, :] - np.einsum("mpa,p->ma", a[:, :p, :], beta_r)
    ranef = np.einsum("mab,mb->ma", pm, resid)
    return REMLFit(
        beta=beta, cov_beta=cov_beta, theta=tuple(float(v) for v in th), d=d,
        sd_intercept=sd0, sd_slope=sd1, cor=cor, sigma=math.sqrt(sigma2),
        reml_criterion=float(crit), converged=converged,
        singular=bool(th[0] < 1e-4 or th[2] < 1e-4),
        optimizer="L-BFGS-B + Newton" + (" + Nelder-Mead polish" if polished else ""),
        n_evaluations=int(sums.nfev), n_obs=int(n_obs), n_subjects=int(present.sum()),
        n_designs=int(sums.n_designs), ranef=ranef, cond_var=sigma2 * pm, xz=a[:, :p, :],
    )


# -- HLM: outcome ~ time + (time | subject) ------------------------------------------------
class HLMFit(_FitAttrs):
    """Result of :func:`hlm_fit` (plain attributes)."""


def hlm_fit(subject_codes: ArrayLike, time: ArrayLike, outcome: ArrayLike) -> HLMFit:
    r"""REML fit of ``outcome ~ time + (time | subject)`` and empirical-Bayes slopes.

    The model :math:`y_{ij} = \beta_0 + \beta_1 t_{ij} + b_{0i} + b_{1i} t_{ij} + e_{ij}`,
    :math:`b_i \sim N(0, \sigma^2\Lambda\Lambda^\top)`, :math:`e \sim N(0, \sigma^2)`:
    :func:`reml_random_slope` with :math:`X_i = Z_i = (1, t_{ij})`, which minimises the
    profiled REML criterion of Bates et al. (2015, eq. 41)

    .. math::

        -2\ell_R(\theta) = \sum_i \log|I + \Lambda^\top Z_i^\top Z_i \Lambda|
          + \log|X^\top V^{-1} X| + (N-p)\left[1 + \log\frac{2\pi\,r^2(\theta)}{N-p}\right]

    over the Cholesky factor :math:`\Lambda` (3 parameters), using only per-subject sums.
    Conditional modes :math:`\hat b_i = \Lambda M_i^{-1}\Lambda^\top Z_i^\top(y_i - X_i\hat\beta)`
    and conditional variances :math:`\hat\sigma^2 \Lambda M_i^{-1} \Lambda^\top`,
    :math:`M_i = I + \Lambda^\top Z_i^\top Z_i\Lambda`, as ``lme4::ranef(condVar = TRUE)``
    (``eb_slope``, ``eb_slope_sd``).  ``slope_sd`` is the prediction-error SD of the
    subject's own slope :math:`\hat\beta_1 + \hat b_{1i}`: the conditional variance plus
    :math:`[(I - P_i Z_i^\top Z_i)\,\mathrm{Cov}(\hat\beta)\,(I - P_i Z_i^\top Z_i)^\top]_{22}`
    (Henderson 1975: the two parts are uncorrelated).

    Validated against lme4 1.1-31 (``tests/reference/r_outputs``, ``hlm_lme4``).

    References
    ----------
    Bates et al. (2015), lme4 (full reference in the module docstring).
    """
    g = np.asarray(subject_codes)
    t = np.asarray(time, dtype=float)
    y = np.asarray(outcome, dtype=float)
    fit = reml_random_slope(g, np.column_stack([np.ones_like(t), t]), t, y)
    m = fit.ranef.shape[0]
    return HLMFit(
        beta=(float(fit.beta[0]), float(fit.beta[1])),
        theta=fit.theta,
        sigma=fit.sigma,
        sd_intercept=fit.sd_intercept,
        sd_slope=fit.sd_slope,
        cor=fit.cor,
        reml_criterion=fit.reml_criterion,
        singular=fit.singular,
        eb_intercept=fit.ranef[:, 0],
        eb_slope=fit.ranef[:, 1],
        eb_slope_sd=np.sqrt(fit.cond_var[:, 1, 1]),
        eb_intercept_sd=np.sqrt(fit.cond_var[:, 0, 0]),
        slope_sd=np.sqrt(fit.prediction_variance([0.0, 1.0], [0.0, 1.0])),
        n_obs=fit.n_obs,
        n_subjects=m,
        converged=fit.converged,
    )


# -- random intercept, profiled over theta = tau^2 / sigma^2 -------------------------------
def reml_intercept_criterion(theta: float, y: ArrayLike, X: ArrayLike,
                             codes: ArrayLike) -> tuple[float, np.ndarray, float]:
    r"""Profiled REML criterion of a random-intercept model; ``(crit, beta, sigma2)``.

    The model :math:`y_{ij} = x_{ij}^\top\beta + u_i + e_{ij}`, :math:`u_i \sim N(0, \tau^2)`,
    :math:`e_{ij} \sim N(0, \sigma^2)`, at :math:`\theta = \tau^2/\sigma^2`, profiled over
    :math:`\beta` and :math:`\sigma^2` (Bates et al. 2015, eq. 41, with
    :math:`\Lambda = \sqrt\theta`):

    .. math::

        -2\ell_R(\theta) = (n-p)\,(1 + \log 2\pi\hat\sigma^2) + \sum_i \log(1 + n_i\theta)
                    + \log|X^\top H^{-1}X|,\quad H_i = I + \theta J_{n_i},\quad
        \hat\sigma^2 = r^\top H^{-1}r/(n-p)

    with :math:`r = y - X\hat\beta`, :math:`\hat\beta = (X^\top H^{-1}X)^{-1}X^\top H^{-1}y`
    and :math:`H_i^{-1} = I - \frac{\theta}{1 + n_i\theta}J` (Sherman-Morrison), so only
    per-subject sums of :math:`X`, :math:`y` and :math:`r` are formed.

    Parameters
    ----------
    theta : float
        :math:`\tau^2/\sigma^2 \ge 0`.
    y : float array, shape (n,)
    X : float array, shape (n, p)
        Fixed-effects design (full column rank).
    codes : int array, shape (n,)
        Subject codes ``0..m-1``.

    Returns
    -------
    tuple
        ``(crit, beta, sigma2)``: :math:`-2\ell_R`, :math:`\hat\beta`, :math:`\hat\sigma^2`.

    References
    ----------
    Bates et al. (2015), lme4 (full reference in the module docstring).

    Examples
    --------
    With :math:`\theta = 0` the criterion is that of ordinary least squares:

    >>> y = np.array([1.0, 2.0, 2.0, 4.0]); X = np.ones((4, 1)); g = np.array([0, 0, 1, 1])
    >>> crit, beta, s2 = reml_intercept_criterion(0.0, y, X, g)
    >>> beta, round(s2, 4)
    (array([2.25]), 1.5833)
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    codes = np.asarray(codes)
    n, p = X.shape
    n_i = np.bincount(codes)
    sx = np.zeros((n_i.size, p))
    np.add.at(sx, codes, X)
    sy = np.bincount(codes, weights=y)
    w = theta / (1 + n_i * theta)
    xhx = X.T @ X - (sx * w[:, None]).T @ sx
    xhy = X.T @ y - (sx * w[:, None]).T @ sy
    beta = np.linalg.solve(xhx, xhy)
    r = y - X @ beta
    sr = np.bincount(codes, weights=r)
    sigma2 = float((r @ r - np.sum(w * sr ** 2)) / (n - p))
    crit = ((n - p) * (1 + math.log(2 * math.pi * sigma2)) + float(np.sum(np.log1p(n_i * theta)))
            + float(np.linalg.slogdet(xhx)[1]))
    return crit, beta, sigma2


def reml_intercept_theta(y: ArrayLike, X: ArrayLike, codes: ArrayLike) -> float:
    r"""REML estimate of :math:`\theta = \tau^2/\sigma^2` of a random-intercept model.

    Minimises :func:`reml_intercept_criterion` over :math:`\log\theta \in [-30, 10]` by a
    bounded Brent search (tolerance 1e-10); returns 0 (the boundary, a singular fit) when
    the criterion at :math:`\theta = 0` is not larger than at the interior minimum.

    Parameters
    ----------
    y, X, codes
        As :func:`reml_intercept_criterion`.

    Returns
    -------
    float
        :math:`\hat\theta \ge 0`.

    References
    ----------
    Bates et al. (2015), lme4 (full reference in the module docstring).

    Examples
    --------
    >>> y = np.array([1.0, 1.2, 5.0, 5.3, 9.0, 8.8]); g = np.repeat([0, 1, 2], 2)
    >>> reml_intercept_theta(y, np.ones((6, 1)), g) > 100
    True
    """
    def f(lt: float) -> float:
        return reml_intercept_criterion(math.exp(lt), y, X, codes)[0]

    opt = optimize.minimize_scalar(f, bounds=(-30.0, 10.0), method="bounded",
                                   options={"xatol": 1e-10})
    theta = math.exp(opt.x)
    return 0.0 if reml_intercept_criterion(0.0, y, X, codes)[0] <= opt.fun else theta


def reml_intercept_cov_beta(X: ArrayLike, codes: ArrayLike, tau2: float,
                            sigma2: float) -> np.ndarray:
    r"""Covariance of the fixed effects of a random-intercept model, :math:`(X^\top\hat V^{-1}X)^{-1}`.

    The Wald covariance at the REML estimates, as lme4's ``vcov``, SPSS MIXED and SAS PROC
    MIXED report it.  :math:`V_i^{-1} = \sigma^{-2}(I - \frac{\tau^2}{\sigma^2 + n_i\tau^2}
    J)`, summed over subjects without forming :math:`V`.

    Parameters
    ----------
    X : float array, shape (n, p)
    codes : int array, shape (n,)
        Subject codes ``0..m-1``.
    tau2, sigma2 : float
        Variance of the subject intercepts and of the residuals.

    Returns
    -------
    ndarray, shape (p, p)

    References
    ----------
    Pinheiro, J. C., & Bates, D. M. (2000). *Mixed-effects models in S and S-PLUS*.
    Springer. https://doi.org/10.1007/b98882

    Examples
    --------
    With :math:`\tau^2 = 0` it is the OLS covariance :math:`\sigma^2 (X^\top X)^{-1}`:

    >>> reml_intercept_cov_beta(np.ones((4, 1)), np.array([0, 0, 1, 1]), 0.0, 2.0)
    array([[0.5]])
    """
    X = np.asarray(X, dtype=float)
    codes = np.asarray(codes)
    n_i = np.bincount(codes)
    sums = np.zeros((n_i.size, X.shape[1]))
    np.add.at(sums, codes, X)
    w = tau2 / (sigma2 + n_i * tau2)
    info = (X.T @ X - (sums * w[:, None]).T @ sums) / sigma2
    return np.linalg.inv(info)
