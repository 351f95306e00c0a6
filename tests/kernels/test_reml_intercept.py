"""The random-intercept REML functions of :mod:`effectstudy.kernels.reml` against lme4.

Reference: ``tests/reference/models`` (``models.R``, lme4 with bobyqa ``rhoend = 1e-12``),
model "n" ``lmer(score ~ time + (1 | id), REML = TRUE)`` and model "a"
``score ~ time * group + (1 | id)`` on ``models_input.csv`` (every non-missing score, time 0 =
pre, 1 = post, treatment contrasts).  Tolerances: the README of that folder reports the tight
fits agree with effectstudy to 5e-8 on variances; here 1e-6 relative on theta and the SEs,
1e-9 on the REML criterion and 1e-8 on the fixed effects.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from effectstudy.kernels import reml

REF = Path(__file__).resolve().parents[1] / "reference" / "models"


def _design(model):
    d = pd.read_csv(REF / "models_input.csv", dtype={"id": str})
    d = d[d["score"].notna()]
    codes = pd.factorize(d["id"])[0]
    t = (d["time"] == "post").to_numpy(float)
    cols = [np.ones_like(t), t]
    if model == "a":
        # group from the subject's pre row (or post row without one), as models.R
        grp = d.sort_values("time", ascending=False).groupby("id")["group"].first()
        gi = d["id"].map(grp).to_numpy()
        dep, ptsd = (gi == "depression").astype(float), (gi == "ptsd").astype(float)
        cols += [dep, ptsd, t * dep, t * ptsd]
    return d["score"].to_numpy(), np.column_stack(cols), codes


def _lme4(model):
    vc = pd.read_csv(REF / "mixed_varcorr.csv").set_index(["model", "grp"])
    fe = pd.read_csv(REF / "mixed_fixef.csv")
    fe = fe[fe["model"] == model]
    crit = pd.read_csv(REF / "mixed_misc.csv").set_index("model").loc[model, "reml_criterion"]
    return (vc.loc[(model, "id"), "variance"], vc.loc[(model, "Residual"), "variance"],
            fe["estimate"].to_numpy(), fe["se"].to_numpy(), crit)


@pytest.mark.parametrize("model", ["n", "a"])
def test_random_intercept_fit_against_lme4(model):
    y, X, codes = _design(model)
    tau2, sigma2, beta, se, crit = _lme4(model)
    theta = reml.reml_intercept_theta(y, X, codes)
    assert theta == pytest.approx(tau2 / sigma2, rel=1e-6)
    c, b, s2 = reml.reml_intercept_criterion(theta, y, X, codes)
    assert c == pytest.approx(crit, rel=1e-9)
    assert s2 == pytest.approx(sigma2, rel=1e-6)
    np.testing.assert_allclose(b, beta, rtol=1e-8)
    cov = reml.reml_intercept_cov_beta(X, codes, theta * s2, s2)
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), se, rtol=1e-6)
    # at lme4's own variances the criterion is lme4's REMLcrit to 1e-9 as well
    assert reml.reml_intercept_criterion(tau2 / sigma2, y, X, codes)[0] == pytest.approx(
        crit, rel=1e-9)


def test_random_intercept_theta_boundary_is_zero():
    """Subject means exactly equal (no between-subject variance): the criterion rises from
    theta = 0, and 0 itself is returned (not the search's lower end exp(-30))."""
    y = np.array([1.0, 3.0, 0.0, 4.0, 2.0, 2.0])
    theta = reml.reml_intercept_theta(y, np.ones((6, 1)), np.repeat([0, 1, 2], 2))
    assert theta == 0.0


def test_random_intercept_theta_is_capped_at_exp_10():
    """The search runs over log theta in [-30, 10]: subjects whose scores hardly vary within
    (theta far above exp(10) = 22026) get the upper end."""
    y = np.array([1.0, 1.0 + 1e-4, 5.0, 5.0 - 1e-4, 9.0, 9.0 + 2e-4, 2.0, 2.0])
    theta = reml.reml_intercept_theta(y, np.ones((8, 1)), np.repeat(np.arange(4), 2))
    assert theta == pytest.approx(math.exp(10.0), rel=1e-6)  # Brent stops 3e-7 inside
