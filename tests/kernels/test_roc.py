"""effectstudy.kernels.roc: the Mann-Whitney AUC and DeLong's variance against R's pROC
(tests/reference/signal), against the definition on pairs, and its edges."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from effectstudy.core.errors import ArgumentError
from effectstudy.kernels.roc import auc_ci, delong, logistic_fit, youden_threshold

REF = Path(__file__).parents[1] / "reference" / "signal"


def _scores():
    """Per episode (as the R script builds them): poor, largest z and last z before the outcome."""
    looks = pd.read_csv(REF / "looks.csv")
    out = pd.read_csv(REF / "outcome.csv").dropna(subset=["poor"])
    d = looks.merge(out, on="id")
    d = d[d["t"] < d["until"]].sort_values(["id", "t"])
    g = d.groupby("id")
    s = pd.DataFrame({"ever": g["z"].max(), "latest": g["z"].last()})
    return s, out.set_index("id")["poor"].reindex(s.index).astype(bool).to_numpy()


def test_delong_against_proc():
    s, poor = _scores()
    ref = pd.read_csv(REF / "signal_proc_output.csv", skipinitialspace=True)
    ref = ref[(ref["measure"] == "auc") & (ref["level"].round(2) == 0.9)].set_index("method")
    sc = s[["ever", "latest"]].to_numpy().T
    auc, cov = delong(sc[:, poor], sc[:, ~poor])
    np.testing.assert_allclose(auc, ref.loc[["ever", "latest"], "estimate"], rtol=1e-12)
    np.testing.assert_allclose(np.diag(cov), ref.loc[["ever", "latest"], "var_auc"], rtol=1e-10)
    lo, hi = auc_ci(auc, np.diag(cov), 0.95)
    np.testing.assert_allclose(lo, ref.loc[["ever", "latest"], "ci_low"], rtol=1e-10)
    np.testing.assert_allclose(hi, ref.loc[["ever", "latest"], "ci_high"], rtol=1e-10)
    paired = pd.read_csv(REF / "signal_proc_paired.csv", skipinitialspace=True).iloc[0]
    assert cov[0, 1] == pytest.approx(paired["cov_delong"], rel=1e-10)
    assert int(paired["n_subjects"]) == len(s) and int(paired["n_cases"]) == poor.sum()


def test_auc_is_the_mann_whitney_probability_with_ties_half():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 5, (3, 25)).astype(float)
    y = rng.integers(0, 4, (3, 31)).astype(float)
    auc, cov = delong(x, y)
    brute = ((x[:, :, None] > y[:, None, :]) + 0.5 * (x[:, :, None] == y[:, None, :])).mean(axis=(1, 2))
    np.testing.assert_allclose(auc, brute, rtol=1e-14)
    assert np.allclose(cov, cov.T) and (np.linalg.eigvalsh(cov) >= -1e-15).all()
    # order invariance: permuting the subjects changes nothing
    a2, c2 = delong(x[:, ::-1], y[:, rng.permutation(31)])
    np.testing.assert_allclose(a2, auc)
    np.testing.assert_allclose(c2, cov)


def test_delong_edges():
    auc, cov = delong([1.0, 2.0], [0.0, 0.5, 0.1])  # perfect separation: AUC 1, variance 0
    assert auc[0] == 1.0 and cov[0, 0] == 0.0
    assert auc_ci(auc, cov[0, 0]) == (1.0, 1.0)
    auc, cov = delong([1.0], [0.0, 2.0])  # one case: AUC, no variance
    assert auc[0] == 0.5 and np.isnan(cov[0, 0])
    auc, cov = delong(np.empty(0), [0.0, 2.0])
    assert np.isnan(auc[0]) and np.isnan(cov[0, 0])
    with pytest.raises(ArgumentError, match="cases: .*finite scores"):
        delong([np.nan, 1.0], [0.0])
    with pytest.raises(ArgumentError, match="the same number of signals"):
        delong(np.zeros((2, 3)), np.zeros((1, 3)))


def test_logistic_fit_against_glm():
    s, poor = _scores()
    ref = pd.read_csv(REF / "signal_glm_output.csv", skipinitialspace=True).set_index("name")["value"]
    x = np.column_stack([np.ones(len(s)), s["ever"], s["latest"]])
    beta = logistic_fit(x, poor.astype(float))
    np.testing.assert_allclose(beta, ref[["intercept", "ever", "latest"]], rtol=1e-5)


def test_logistic_fit_stays_finite_under_separation():
    x = np.column_stack([np.ones(6), [0.0, 1, 2, 3, 4, 5]])
    beta = logistic_fit(x, [0, 0, 0, 1, 1, 1])
    assert np.isfinite(beta).all() and beta[1] > 5


def test_youden_threshold_maximises_sensitivity_plus_specificity():
    rng = np.random.default_rng(8)
    s = np.round(rng.normal(0, 1, 200), 1)
    c = rng.random(200) < 1 / (1 + np.exp(-2 * s))
    t = youden_threshold(s, c)
    cand = np.r_[s.min() - 1, np.unique(s)]
    j = [(s[c] > u).mean() + (s[~c] <= u).mean() for u in cand]
    assert (s[c] > t).mean() + (s[~c] <= t).mean() == pytest.approx(max(j))
    assert not np.isin(t, s)  # a midpoint: no score sits on the threshold
    with pytest.raises(ArgumentError, match="at least one case and one control"):
        youden_threshold([1.0, 2.0], [True, True])


def test_delong_by_hand_with_two_per_group_and_ties():
    # cases 2, 3 and controls 1, 3: pairs (2>1, 2<3, 3>1, 3=3) give AUC (1 + 0 + 1 + 1/2)/4.
    # Case placements (share of controls below, ties half): 1/2, 3/4 -> sample variance 1/32;
    # control placements (share of cases above): 1, 1/4 -> 9/32; DeLong: 1/32/2 + 9/32/2.
    auc, cov = delong([2.0, 3.0], [1.0, 3.0])
    assert auc[0] == 0.625 and cov[0, 0] == pytest.approx(0.15625, rel=1e-14)
    # no ties: placements 1/2, 1 and 1, 1/2 -> (1/8)/2 + (1/8)/2
    auc, cov = delong([2.0, 4.0], [1.0, 3.0])
    assert auc[0] == 0.75 and cov[0, 0] == pytest.approx(0.125, rel=1e-14)
    # two signals, two controls: the covariance matrix is defined (not NaN) and symmetric
    auc, cov = delong([[2.0, 3.0], [2.0, 4.0]], [[1.0, 3.0], [1.0, 3.0]])
    np.testing.assert_allclose(auc, [0.625, 0.75])
    assert np.isfinite(cov).all() and cov[0, 1] == cov[1, 0]


def test_delong_one_or_no_control():
    auc, cov = delong([1.0, 2.0], [0.5])  # one control: AUC still defined, no variance
    assert auc[0] == 1.0 and np.isnan(cov[0, 0])
    auc, cov = delong([1.0, 2.0], [1.0])  # a tie counts one half
    assert auc[0] == 0.75 and np.isnan(cov[0, 0])
    auc, cov = delong([1.0, 2.0], np.empty(0))  # no control: nothing to estimate
    assert np.isnan(auc[0]) and np.isnan(cov[0, 0])


def test_auc_ci_is_clipped_elementwise():
    z = 1.959963984540054
    lo, hi = auc_ci([0.02, 0.5, 0.98], [0.01, 0.0025, 0.01])
    np.testing.assert_allclose(lo, [0.0, 0.5 - z * 0.05, 0.98 - z * 0.1], rtol=1e-14)
    np.testing.assert_allclose(hi, [0.02 + z * 0.1, 0.5 + z * 0.05, 1.0], rtol=1e-14)


def test_youden_threshold_best_cut_below_all_scores():
    # an inverted signal: flagging everyone (sensitivity 1, specificity 0) beats every
    # midpoint (1.5: 1/2 + 0, 2.5: 0 + 0, 3.5: 0 + 1/2); the candidate is one below the minimum
    assert youden_threshold([1.0, 2.0, 3.0, 4.0], [True, True, False, False]) == 0.0
    assert youden_threshold([4.0, 3.0, 1.0, 2.0], [False, False, True, True]) == 0.0


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_youden_threshold_rejects_non_finite_scores(bad):
    with pytest.raises(ArgumentError, match="finite scores"):
        youden_threshold([bad, 0.2, 0.7, 0.9], [False, False, True, True])


def test_logistic_fit_with_a_large_ridge_is_the_penalized_optimum():
    # independent reference: minimise -loglik + ridge * |beta|^2 / 2 with scipy (BFGS)
    from scipy import optimize

    x = np.column_stack([np.ones(6), [0.0, 1, 2, 3, 4, 5]])
    y = np.array([0, 0, 1, 0, 1, 1.0])
    for ridge in (5.0, 1.0):
        def obj(b, ridge=ridge):
            eta = x @ b
            return np.sum(np.logaddexp(0.0, eta) - y * eta) + ridge * b @ b / 2

        ref = optimize.minimize(obj, np.zeros(2), method="BFGS", options={"gtol": 1e-12}).x
        np.testing.assert_allclose(logistic_fit(x, y, ridge=ridge), ref, rtol=1e-6, atol=1e-8)


def test_logistic_fit_centred_design_against_statsmodels():
    # centred covariate, balanced outcome: the intercept is exactly 0 from the first step on,
    # the slope still needs several Newton steps (statsmodels Logit as the reference)
    sm = pytest.importorskip("statsmodels.api")
    x = np.column_stack([np.ones(6), [-3.0, -2, -1, 1, 2, 3]])
    y = np.array([0, 0, 1, 0, 1, 1.0])
    ref = sm.Logit(y, x).fit(disp=0, tol=1e-14, maxiter=100).params
    beta = logistic_fit(x, y)
    assert abs(beta[0]) < 1e-12
    assert beta[1] == pytest.approx(ref[1], rel=1e-5)


def test_logistic_fit_step_of_exactly_the_tolerance_is_not_convergence():
    # One observation x = a, y = 1 and a ridge chosen so that the first Newton step from 0 is
    # exactly 1e-10 (= 0.5 a / (a^2 / 4 + ridge)).  Convergence needs a step strictly below
    # 1e-10, so the fit takes one more step and ends on the optimum of
    # a (1 - expit(a b)) = ridge b, solved here to 40 digits with the decimal module.
    from decimal import Decimal, getcontext

    a = 1e6
    ridge = 5e9 * a - 0.25 * a * a
    getcontext().prec = 40
    da, dr, b = Decimal(a), Decimal(ridge), Decimal(0)
    for _ in range(50):
        e = (-da * b).exp()
        p = 1 / (1 + e)
        f = da * (1 - p) - dr * b
        fp = -da * da * p * (1 - p) - dr
        b -= f / fp
    assert float(b) != 1e-10  # the optimum is not the first step
    beta = logistic_fit(np.array([[a]]), np.array([1.0]), ridge=ridge)
    assert beta[0] == pytest.approx(float(b), rel=1e-15, abs=0)
    assert logistic_fit(np.array([[a]]), np.array([1.0]), ridge=ridge, max_iter=1)[0] == 1e-10


def test_logistic_fit_with_one_very_large_covariate_value_against_statsmodels():
    # a correctly classified point far out (x = 1e8) adds (almost) nothing to the likelihood;
    # the fit must still converge to the MLE (a clip of the linear predictor once gave a
    # floor weight exp(-30) * x^2 that swamped the Hessian: -0.638, 0.255)
    import statsmodels.api as sm

    xv = np.array([0.0, 1, 2, 3, 4, 5, 1e8])
    y = np.array([0, 0, 1, 0, 1, 1, 1])
    x = np.column_stack([np.ones(len(xv)), xv])
    ref = sm.Logit(y[:-1], x[:-1]).fit(disp=0, tol=1e-12).params  # the far point's term is 1 - 1e-big
    assert logistic_fit(x, y, ridge=0.0) == pytest.approx(ref, rel=1e-6)
