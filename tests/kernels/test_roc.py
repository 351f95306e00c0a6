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
