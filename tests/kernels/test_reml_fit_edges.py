"""Edges of :func:`effectstudy.kernels.reml_random_slope` and :func:`hlm_fit`: lme4's fit at
the kernel level (convergence and singularity flags, conditional intercepts, counts), bad
input, fits at the boundary of the parameter space (a zero variance), the Nelder-Mead polish
and the grouping of subjects by measurement design."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from effectstudy import kernels
from tests.kernels.test_reml import _dense_reml

REF = Path(__file__).resolve().parents[1] / "reference"


def test_hlm_fit_against_lme4_flags_and_conditional_intercepts():
    """lme4 1.1-31, bobyqa rhoend = 1e-12 (tests/reference/hlm_lme4/hlm_lme4.R), time =
    occasion: fixed effects, SDs, correlation, sigma 1e-5 relative, conditional modes of the
    intercepts and slopes 1e-5 (the tolerances of that README); lme4 reports a regular
    (non-singular) fit; 24 subjects, 117 rows."""
    d = pd.read_csv(REF / "r_outputs" / "inputs" / "dev_gsi_5waves_long.csv", dtype={"id": str})
    d = d[d["gsi"].notna()]
    d = d[d.groupby("id")["gsi"].transform("size") >= 3]
    codes, ids = pd.factorize(d["id"])
    fit = kernels.hlm_fit(codes, d["occasion"].to_numpy(float), d["gsi"].to_numpy())
    par = pd.read_csv(REF / "hlm_lme4" / "hlm_lme4_params.csv")
    par = par[(par["time"] == "occasion") & (par["control"] == "tight")].iloc[0]
    ran = pd.read_csv(REF / "hlm_lme4" / "hlm_lme4_ranef.csv", dtype={"id": str})
    ran = ran[(ran["time"] == "occasion") & (ran["control"] == "tight")].set_index("id").loc[ids]
    np.testing.assert_allclose(fit.beta, [par["fixef_intercept"], par["fixef_time"]], rtol=1e-5)
    for ours, theirs in [("sd_intercept", "sd_intercept"), ("sd_slope", "sd_time"),
                         ("cor", "cor"), ("sigma", "sigma")]:
        assert getattr(fit, ours) == pytest.approx(par[theirs], rel=1e-5), ours
    assert fit.reml_criterion <= par["reml_criterion"] + 1e-9
    np.testing.assert_allclose(fit.eb_intercept, ran["eb_intercept"], rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(fit.eb_slope, ran["eb_slope"], rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(fit.eb_slope_sd, ran["eb_slope_sd"], rtol=1e-5)
    assert (fit.n_subjects, fit.n_obs) == (par["n_ids"], par["n_obs"]) == (24, 117)
    assert fit.converged and not fit.singular and not par["singular"]
    # l22 = sd_slope * sqrt(1 - cor^2) / sigma = 0.82: a regular fit with a factor below 1
    assert 1e-4 < fit.theta[2] < 1


def test_too_few_observations_for_the_fixed_effects_raise():
    g = np.array([0, 0, 1])
    t = np.array([0.0, 1.0, 0.0])
    with pytest.raises(ValueError, match="3 observations for 3 fixed effects; expected more than 3"):
        kernels.reml_random_slope(g, np.column_stack([np.ones(3), t, t**2]), t, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="1 observations for 1 fixed effects"):
        kernels.reml_random_slope([0], np.ones(1), [0.0], [1.0])


def _seeded(seed, scale):
    """Small simulated data sets (subjects measured at t = 0, 1, ..., k-1 times ``scale``)
    whose REML optimum is at a boundary or needs the simplex polish (found by a search over
    seeds)."""
    rng = np.random.default_rng(seed)
    m, k = rng.integers(3, 12), rng.integers(2, 5)
    g = np.repeat(np.arange(m), k)
    t = np.tile(np.arange(k, dtype=float), m) * scale
    sd0, sd1 = rng.choice([0, 0.5, 3]), rng.choice([0, 0.2, 1])
    y = (rng.normal(0, sd0, m)[g] + rng.normal(0, sd1, m)[g] * t / scale
         + rng.normal(0, 1, g.size))
    return g, np.column_stack([np.ones_like(t), t]), t, y


def _is_local_minimum(g, x, z, y, fit, h=1e-4):
    """The dense criterion (independent of the kernel) is not lower at feasible neighbours."""
    th = np.array(fit.theta)
    for j in range(3):
        for s in (-h, h):
            nb = th.copy()
            nb[j] += s
            if nb[0] >= 0 and nb[2] >= 0:
                assert _dense_reml(g, x, z, y, nb)[0] >= fit.reml_criterion - 1e-9, (j, s)


def test_zero_intercept_variance_is_a_singular_fit_without_correlation():
    """The optimum at l11 = 0: sd_intercept exactly 0, the correlation undefined (NaN),
    ``singular``, and the gradient check passes (the gradient points into the interior)."""
    g, x, z, y = _seeded(5, 0.01)
    fit = kernels.reml_random_slope(g, x, z, y)
    assert fit.theta[0] == 0.0 and fit.sd_intercept == 0.0 and fit.sd_slope > 0
    assert math.isnan(fit.cor)
    assert fit.singular and fit.converged
    _is_local_minimum(g, x, z, y, fit)


def test_zero_slope_factor_is_a_singular_fit_with_correlation_one():
    """The optimum at l22 = 0: the random slope is a multiple of the intercept (|cor| = 1)."""
    g, x, z, y = _seeded(6, 1.0)
    fit = kernels.reml_random_slope(g, x, z, y)
    assert fit.theta[2] == 0.0 and fit.sd_intercept > 0 and fit.sd_slope > 0
    assert abs(fit.cor) == pytest.approx(1.0, rel=1e-12)
    assert fit.singular and fit.converged
    _is_local_minimum(g, x, z, y, fit)


def test_fit_polished_by_the_simplex_is_a_converged_minimum():
    """Times in weeks (x100) and a near-degenerate optimum (l22 ~ 1e-10, |cor| ~ 1): L-BFGS-B
    and Newton stop short of lme4's gradient check, the Nelder-Mead polish finishes; the
    result passes the check and no feasible neighbour is lower."""
    g, x, z, y = _seeded(133, 100.0)
    fit = kernels.reml_random_slope(g, x, z, y)
    assert fit.optimizer == "L-BFGS-B + Newton + Nelder-Mead polish"
    assert fit.converged and fit.singular
    _is_local_minimum(g, x, z, y, fit, h=1e-6)


def test_subjects_measured_at_the_same_times_share_a_design():
    """Designs are the distinct (n_i, sum t, sum t^2): (0, 5) twice, (3, 4) (same n and sum of
    squares, other sum), (2,) twice and (0, 2) (same sums as (2,), other n): 4 designs.  The fit
    is the same as the dense computation."""
    times = [(0, 5), (3, 4), (2,), (0, 5), (0, 2), (2,), (1, 5, 6), (0, 5)]
    g = np.repeat(np.arange(len(times)), [len(s) for s in times])
    t = np.concatenate(times).astype(float)
    rng = np.random.default_rng(1)
    y = 3 + 0.5 * t + rng.normal(0, 2, len(times))[g] + rng.normal(0, 0.3, g.size) * (1 + t)
    x = np.column_stack([np.ones_like(t), t])
    fit = kernels.reml_random_slope(g, x, t, y)
    assert fit.n_designs == 5  # plus (1, 5, 6)
    crit, beta, _ = _dense_reml(g, x, t, y, fit.theta)
    assert fit.reml_criterion == pytest.approx(crit, rel=1e-12)
    np.testing.assert_allclose(fit.beta, beta, rtol=1e-10)


def test_collinear_design_or_exactly_fitted_outcome_raise():
    """No REML fit exists when the fixed effects are not identified (every measurement at the
    same time: intercept and time collinear) or nothing is left to split into random effects
    and error (every score equal, or scores exactly on one line)."""
    g = np.repeat(np.arange(5), 3)
    t = np.tile([0.0, 1.0, 2.0], 5)
    y = np.array([3.0, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9])
    with pytest.raises(ValueError, match=r"design has rank 1 < 2 columns \(collinear"):
        kernels.hlm_fit(g, np.full(15, 4.0), y)
    with pytest.raises(ValueError, match="rank 2 < 3 columns"):
        kernels.reml_random_slope(g, np.column_stack([np.ones(15), t, 2 * t]), t, y)
    for exact in (np.full(15, 3.0), 1.5 - 0.25 * t):
        with pytest.raises(ValueError, match="outcome is fitted exactly by the fixed effects"):
            kernels.hlm_fit(g, t, exact)
    # a residual of 1e-6 in one score is a (tiny) variance, not an exact fit
    near = np.full(15, 3.0)
    near[0] += 1e-6
    assert kernels.hlm_fit(g, t, near).sigma > 0


def test_rescaled_outcome_rescales_the_fit():
    """y / 1000: the same theta, fixed effects and SDs / 1000, and the criterion lower by
    2 (N - p) log 1000 (only the (N - p) log r^2 term depends on the scale)."""
    g, x, z, y = _seeded(0, 1.0)
    fit = kernels.reml_random_slope(g, x, z, y)
    small = kernels.reml_random_slope(g, x, z, y / 1000)
    np.testing.assert_allclose(small.theta, fit.theta, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(small.beta, fit.beta / 1000, rtol=1e-6)
    assert small.sigma == pytest.approx(fit.sigma / 1000, rel=1e-8)
    assert small.reml_criterion == pytest.approx(
        fit.reml_criterion - 2 * (g.size - 2) * math.log(1000), rel=1e-10)


def test_evaluation_count_is_the_number_of_criterion_evaluations(monkeypatch):
    """``n_evaluations`` counts the REML criterion evaluations (each computes log|M_i| once:
    counted here by wrapping that step)."""
    from effectstudy.kernels import reml

    calls = []
    inner = reml._lambda_parts

    def counted(*a):
        calls.append(1)
        return inner(*a)

    monkeypatch.setattr(reml, "_lambda_parts", counted)
    g, x, z, y = _seeded(0, 1.0)
    fit = kernels.reml_random_slope(g, x, z, y)
    assert fit.n_evaluations == len(calls) > 10


def test_fit_failing_the_gradient_check_is_not_converged(monkeypatch):
    """When lme4's gradient check fails at every stage (simulated), all three starts are
    tried, the simplex polish runs, and the fit says so: ``converged`` is False and
    ``optimizer`` names the polish; the estimates are still the best criterion found."""
    from effectstudy.kernels import reml

    g, x, z, y = _seeded(0, 1.0)
    ref = kernels.reml_random_slope(g, x, z, y)
    monkeypatch.setattr(reml, "_gradient_ok", lambda fun, th, tol=2e-3: False)
    fit = kernels.reml_random_slope(g, x, z, y)
    assert not fit.converged
    assert fit.optimizer == "L-BFGS-B + Newton + Nelder-Mead polish"
    assert fit.reml_criterion == pytest.approx(ref.reml_criterion, rel=1e-9)


@pytest.mark.parametrize("seed", [2, 11])
def test_regular_fit_is_neither_singular_nor_polished(seed):
    """Interior optima with a small factor (seed 2: l11 = 0.54; seed 11: l22 = 0.0037, both
    above the singularity threshold 1e-4): not singular, no simplex polish needed, a minimum
    of the dense criterion; the repr names the estimates."""
    g, x, z, y = _seeded(seed, 1.0)
    fit = kernels.reml_random_slope(g, x, z, y)
    assert 1e-4 < min(fit.theta[0], fit.theta[2]) < 1
    assert not fit.singular and fit.converged
    assert fit.optimizer == "L-BFGS-B + Newton"
    _is_local_minimum(g, x, z, y, fit, h=1e-5)
    assert repr(fit).startswith("REMLFit(beta=array([")


def test_exact_fit_threshold_is_relative_to_the_outcome():
    """Scores of 1000 with one score off by 1e-10 (1e-13 relative, residual sum of squares
    below 1e-24 y'y) count as an exact fit; off by 1e-8 they are fitted."""
    g = np.repeat(np.arange(5), 3)
    t = np.tile([0.0, 1.0, 2.0], 5)
    y = np.full(15, 1000.0)
    y[0] += 1e-10
    with pytest.raises(ValueError, match="outcome is fitted exactly"):
        kernels.hlm_fit(g, t, y)
    y[0] = 1000.0 + 1e-8
    assert kernels.hlm_fit(g, t, y).sigma > 0
