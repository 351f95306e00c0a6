"""Rubin's rules (kernels/pooling.py) against R mice 3.15 ``pool.scalar``.

The m estimates and variances of each case are in ``tests/reference/itt/pool_cases.csv``;
``itt_mice.R`` pooled them with ``mice::pool.scalar(Q, U, n = dfcom + 1, k = 1)`` into
``pool_expected.csv``.  Pooling is exact arithmetic: compared to 1e-10 (relative).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from effectstudy.kernels.pooling import barnard_rubin_df, rubin_pool

REF = Path(__file__).parents[1] / "reference" / "itt"
CASES = pd.read_csv(REF / "pool_cases.csv")
EXPECTED = pd.read_csv(REF / "pool_expected.csv").set_index("case")


@pytest.mark.parametrize("case", sorted(CASES["case"].unique()))
def test_rubin_pool_against_mice_pool_scalar(case):
    d = CASES[CASES["case"] == case]
    e = EXPECTED.loc[case]
    p = rubin_pool(d["q"].to_numpy(), d["u"].to_numpy(), df_complete=float(d["dfcom"].iloc[0]))
    assert p.m == e["m"]
    for ours, theirs in ((p.estimate, e["qbar"]), (p.within, e["ubar"]), (p.between, e["b"]),
                         (p.total, e["t"]), (p.df, e["df"]), (p.riv, e["r"]), (p.fmi, e["fmi"])):
        assert ours == pytest.approx(theirs, rel=1e-10, abs=1e-15)


def test_interval_is_t_with_barnard_rubin_df():
    d = CASES[CASES["case"] == 2]
    e = EXPECTED.loc[2]
    p = rubin_pool(d["q"].to_numpy(), d["u"].to_numpy(), df_complete=100.0, ci=0.9)
    half = stats.t.ppf(0.95, e["df"]) * math.sqrt(e["t"])
    assert p.ci_low == pytest.approx(e["qbar"] - half, rel=1e-10)
    assert p.ci_high == pytest.approx(e["qbar"] + half, rel=1e-10)
    assert p.se == pytest.approx(math.sqrt(e["t"]), rel=1e-12)


def test_no_between_variance_gives_the_complete_data_df_limit():
    # B = 0: lambda is clamped at 1e-4 as in mice, so df is close to the observed-data df
    p = rubin_pool([0.5] * 10, [0.01] * 10, df_complete=50)
    assert p.between == 0 and p.total == pytest.approx(0.01)
    nu_obs = 51 / 53 * 50 * (1 - 1e-4)
    assert p.df == pytest.approx(barnard_rubin_df(10, 0.0, 50))
    assert nu_obs * 0.99 < p.df < nu_obs


def test_infinite_complete_data_df_gives_rubins_old_df():
    q = np.array([1.0, 1.3, 0.8, 1.1])
    u = np.full(4, 0.02)
    p = rubin_pool(q, u)
    lam = (1 + 1 / 4) * q.var(ddof=1) / p.total
    assert p.df == pytest.approx(3 / lam ** 2, rel=1e-12)


@pytest.mark.parametrize("q, u", [([1.0], [0.1]), ([1.0, 2.0], [0.1])])
def test_too_few_or_mismatched_estimates_are_an_error(q, u):
    with pytest.raises(ValueError, match="at least 2"):
        rubin_pool(q, u)
