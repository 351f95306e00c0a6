"""The shared REML kernel :func:`effectstudy.kernels.reml_random_slope`.

Checked against statsmodels ``MixedLM`` and a dense (N x N) REML criterion on a small case
with an arbitrary fixed-effects design (an observation-level covariate beside subject-level
ones), and the three callers (``hlm_fit``, ``expected_response.mixed_fit``, the trajectories REML
engine) against the general function they specialise.
"""

from __future__ import annotations

import importlib
import math
import warnings

import numpy as np
import pytest

from effectstudy import kernels
from effectstudy.course.expected_response import mixed_fit
from effectstudy.kernels import reml


def _data(m=120, seed=11):
    rng = np.random.default_rng(seed)
    n_i = rng.integers(1, 7, m)  # 1..6 measurements, some subjects with a single one
    g = np.repeat(np.arange(m), n_i)
    t = np.concatenate([np.sort(rng.choice(np.arange(1.0, 15.0), k, replace=False))
                        for k in n_i])
    z = np.log(t)
    w = rng.normal(0, 1, m)  # subject level
    v = rng.normal(0, 1, g.size)  # observation level
    b0 = rng.normal(0, 3, m)
    b1 = rng.normal(0, 1.5, m)
    y = (50 + 2 * w[g] - 4 * z + 1.5 * v + 0.8 * w[g] * z + b0[g] + b1[g] * z
         + rng.normal(0, 2, g.size))
    x = np.column_stack([np.ones_like(z), z, w[g], v, w[g] * z])
    return g, x, z, y


def _dense_reml(g, x, z, y, theta):
    """-2 REML log-likelihood profiled over sigma^2, built from V densely."""
    l11, l21, l22 = theta
    lam = np.array([[l11, 0.0], [l21, l22]])
    zz = np.column_stack([np.ones_like(z), z])
    same = g[:, None] == g[None, :]
    v = np.eye(y.size) + same * (zz @ lam @ lam.T @ zz.T)
    vi = np.linalg.inv(v)
    xvx = x.T @ vi @ x
    beta = np.linalg.solve(xvx, x.T @ vi @ y)
    r = y - x @ beta
    n, p = x.shape
    sigma2 = r @ vi @ r / (n - p)
    return (np.linalg.slogdet(v)[1] + np.linalg.slogdet(xvx)[1]
            + (n - p) * (1 + math.log(2 * math.pi * sigma2))), beta, sigma2


def test_kernel_criterion_and_estimates_against_dense_computation():
    g, x, z, y = _data()
    fit = kernels.reml_random_slope(g, x, z, y)
    crit, beta, sigma2 = _dense_reml(g, x, z, y, fit.theta)
    assert fit.reml_criterion == pytest.approx(crit, rel=1e-12)
    np.testing.assert_allclose(fit.beta, beta, rtol=1e-10)
    assert fit.sigma**2 == pytest.approx(sigma2, rel=1e-10)
    assert fit.converged and not fit.singular
    # a minimum: the dense criterion is larger a little way off in every direction
    for j in range(3):
        for h in (-1e-3, 1e-3):
            th = np.array(fit.theta)
            th[j] += h
            assert _dense_reml(g, x, z, y, th)[0] > fit.reml_criterion


def test_kernel_against_statsmodels_mixedlm():
    import statsmodels.api as sm

    g, x, z, y = _data()
    fit = kernels.reml_random_slope(g, x, z, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' optimiser notes are not ours
        md = sm.MixedLM(y, x, groups=g, exog_re=np.column_stack([np.ones_like(z), z])).fit(
            reml=True, method=["lbfgs"])
    np.testing.assert_allclose(fit.beta, md.fe_params, rtol=1e-5)
    np.testing.assert_allclose(fit.d, md.cov_re, rtol=1e-3)
    assert fit.sigma**2 == pytest.approx(md.scale, rel=1e-4)
    assert fit.reml_criterion == pytest.approx(-2 * md.llf, rel=1e-7)
    assert fit.reml_criterion <= -2 * md.llf + 1e-6
    re = np.array([np.asarray(md.random_effects[k]) for k in range(g.max() + 1)])
    np.testing.assert_allclose(fit.ranef, re, rtol=1e-3, atol=1e-3)


def test_conditional_variances_and_prediction_variance_against_henderson():
    """Henderson's mixed model equations, built densely at the fitted variance components:
    the inverse gives the conditional variances and the prediction-error variance of
    a'beta + c'b_i; the solution gives beta and the conditional modes."""
    g, x, z, y = _data(m=60, seed=3)
    fit = kernels.reml_random_slope(g, x, z, y)
    n, p = x.shape
    q = g.max() + 1
    zm = np.zeros((n, 2 * q))
    zm[np.arange(n), 2 * g] = 1.0
    zm[np.arange(n), 2 * g + 1] = z
    s2 = fit.sigma**2
    ginv = np.kron(np.eye(q), np.linalg.inv(fit.d))
    c = np.block([[x.T @ x, x.T @ zm], [zm.T @ x, zm.T @ zm + s2 * ginv]])
    sol = np.linalg.solve(c, np.r_[x.T @ y, zm.T @ y])
    np.testing.assert_allclose(sol[:p], fit.beta, rtol=1e-8)
    np.testing.assert_allclose(sol[p:].reshape(q, 2), fit.ranef, rtol=1e-6, atol=1e-9)
    cinv = np.linalg.inv(c) * s2
    np.testing.assert_allclose(cinv[:p, :p], fit.cov_beta, rtol=1e-7)
    a = np.array([0.0, 1.0, 0.5, 0.0, 0.0])
    cc = np.array([1.0, 2.0])
    lmat = np.zeros((q, p + 2 * q))
    lmat[:, :p] = a
    lmat[np.arange(q), p + 2 * np.arange(q)] = cc[0]
    lmat[np.arange(q), p + 2 * np.arange(q) + 1] = cc[1]
    pev = np.einsum("ij,jk,ik->i", lmat, cinv, lmat)
    np.testing.assert_allclose(fit.prediction_variance(a, cc), pev, rtol=1e-7)
    # the conditional variance at known beta (lme4's condVar): sigma^2 (Z_i'Z_i + sigma^2
    # D^-1)^-1, the (b_i, b_i) block of the inverse of the equations without X
    blocks = np.array([s2 * np.linalg.inv(zm[g == i][:, 2 * i:2 * i + 2].T
                                          @ zm[g == i][:, 2 * i:2 * i + 2]
                                          + s2 * np.linalg.inv(fit.d)) for i in range(q)])
    np.testing.assert_allclose(fit.cond_var, blocks, rtol=1e-8)


def test_outcome_shift_along_the_design_only_shifts_beta():
    g, x, z, y = _data()
    fit = kernels.reml_random_slope(g, x, z, y)
    gamma = np.array([1000.0, -30.0, 5.0, 2.0, 0.5])
    shifted = kernels.reml_random_slope(g, x, z, y + x @ gamma)
    np.testing.assert_allclose(shifted.beta, fit.beta + gamma, rtol=1e-9)
    np.testing.assert_allclose(shifted.theta, fit.theta, rtol=1e-6)
    assert shifted.reml_criterion == pytest.approx(fit.reml_criterion, rel=1e-12)


def test_subjects_without_rows_get_nan():
    g, x, z, y = _data()
    fit = kernels.reml_random_slope(g, x, z, y)
    more = kernels.reml_random_slope(g, x, z, y, n_subjects=g.max() + 3)
    assert more.n_subjects == fit.n_subjects == g.max() + 1
    assert np.isnan(more.ranef[-2:]).all() and np.isnan(more.cond_var[-2:]).all()
    np.testing.assert_allclose(more.ranef[:-2], fit.ranef)
    assert more.reml_criterion == fit.reml_criterion


# ---------------------------------------------------------------- the three callers
def test_hlm_fit_is_the_kernel_with_intercept_and_time():
    g, _, z, y = _data()
    t = np.exp(z)
    h = kernels.hlm_fit(g, t, y)
    k = kernels.reml_random_slope(g, np.column_stack([np.ones_like(t), t]), t, y)
    assert h.beta == tuple(k.beta)
    assert h.reml_criterion == k.reml_criterion and h.theta == k.theta
    np.testing.assert_array_equal(h.eb_slope, k.ranef[:, 1])
    np.testing.assert_array_equal(h.eb_slope_sd, np.sqrt(k.cond_var[:, 1, 1]))
    np.testing.assert_array_equal(h.slope_sd, np.sqrt(k.prediction_variance([0, 1], [0, 1])))


def test_mixed_fit_is_the_kernel_with_a_subject_covariate():
    g, x, z, y = _data()
    w = x[np.r_[0, np.flatnonzero(np.diff(g)) + 1], 2]
    for interaction in (True, False):
        mf = mixed_fit(g, z, y, w, interaction=interaction)
        cols = [np.ones_like(z), z, w[g]] + ([w[g] * z] if interaction else [])
        k = kernels.reml_random_slope(g, np.column_stack(cols), z, y)
        np.testing.assert_array_equal(mf.beta, k.beta)
        np.testing.assert_array_equal(mf.cov_beta, k.cov_beta)
        np.testing.assert_array_equal(mf.d, k.d)
        assert mf.reml_criterion == k.reml_criterion


def test_trajectories_engine_is_the_kernel_with_cell_means():
    trajectories = importlib.import_module("effectstudy.course.trajectories")
    g, _, z, y = _data()
    grp = (np.arange(g.max() + 1) % 3).astype(np.int64)
    fit = trajectories.reml_fit(g, grp, 3, z, y)
    x = np.zeros((y.size, 6))
    x[np.arange(y.size), 2 * grp[g]] = 1.0
    x[np.arange(y.size), 2 * grp[g] + 1] = z
    k = kernels.reml_random_slope(g, x, z, y)
    np.testing.assert_array_equal(fit["beta_cell"], k.beta)
    assert fit["reml_criterion"] == k.reml_criterion
    np.testing.assert_array_equal(fit["eb_slope"], k.ranef[:, 1])
    # groups share no subject: their cell estimates are uncorrelated
    cov = fit["cov_cell"]
    for i in range(3):
        for j in range(3):
            if i != j:
                assert not cov[2 * i:2 * i + 2, 2 * j:2 * j + 2].any()
    crit, beta, _ = _dense_reml(g, x, z, y, k.theta)
    assert k.reml_criterion == pytest.approx(crit, rel=1e-12)


def test_sign_canonicalisation_keeps_the_covariance():
    # flipping a column of Lambda (l11 with l21, or l22) is a symmetry of the criterion;
    # flipping l11 alone is not (it flips the intercept-slope covariance)
    g, x, z, y = _data(m=40)
    th = np.array([0.7, -0.4, 0.3])
    base = _dense_reml(g, x, z, y, th)[0]
    assert _dense_reml(g, x, z, y, np.array([-0.7, 0.4, 0.3]))[0] == pytest.approx(base, rel=1e-12)
    assert _dense_reml(g, x, z, y, np.array([0.7, -0.4, -0.3]))[0] == pytest.approx(base, rel=1e-12)
    assert abs(_dense_reml(g, x, z, y, np.array([-0.7, -0.4, 0.3]))[0] - base) > 1e-6
    canon = reml._canonical_theta(np.array([-0.7, 0.4, -0.3]))
    np.testing.assert_array_equal(canon, th)
    assert _dense_reml(g, x, z, y, canon)[0] == pytest.approx(base, rel=1e-12)
