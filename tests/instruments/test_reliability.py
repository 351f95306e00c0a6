"""Cronbach's alpha from the data, checked against R psych::alpha (independent reference).

Reference values: tests/reference/reliability_psych_alpha_output.csv, produced by
tests/reference/reliability_psych_alpha.R (R 4.2.2, psych 2.2.9) from the committed synthetic
item files.  The R script selects the intake rows, reverses CORE-10 items 2 and 3 and drops
incomplete rows by hand.  Tolerance: 1e-9 absolute (both compute in double precision; the
CSV holds 15 significant digits).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError
from effectstudy.instruments.reliability import ReliabilityResult, cronbach_alpha, feldt_ci

REF = Path(__file__).parents[1] / "reference"
TOL = 1e-9


@pytest.fixture(scope="module")
def psych():
    return pd.read_csv(REF / "reliability_psych_alpha_output.csv").set_index("case")


def test_alpha_and_feldt_ci_against_psych_core10(psych):
    data = pd.read_csv(REF / "reliability_core10_items.csv")
    r = es.reliability(data, instrument="core10", scale="total")
    ref = psych.loc["core10_total"]
    assert r.n == ref["n"] == 77 and r.n_items == ref["n_items"] == 10
    assert r.estimate == pytest.approx(ref["raw_alpha"], abs=TOL)
    assert r.ci_low == pytest.approx(ref["feldt_lower"], abs=TOL)
    assert r.ci_high == pytest.approx(ref["feldt_upper"], abs=TOL)
    # 80 intake rows, 3 incomplete; 10 post rows not used
    assert r.meta["exclusions"] == {"not_intake": 10, "incomplete_items": 3}
    assert r.meta["selection"] == "occasion == 'pre'" and r.meta["reverse_items"] == [2, 3]


def test_alpha_and_feldt_ci_against_psych_small_sample(psych):
    data = pd.read_csv(REF / "reliability_gad7_items.csv")
    r = es.reliability(data, instrument="gad7")
    ref = psych.loc["gad7_total"]
    assert r.n == 15
    assert (r.estimate, r.ci_low, r.ci_high) == pytest.approx(
        (ref["raw_alpha"], ref["feldt_lower"], ref["feldt_upper"]), abs=TOL
    )


def test_reverse_keying_matters():
    """Without reversing items 2 and 3 (a key error) alpha on the same rows is much lower."""
    data = pd.read_csv(REF / "reliability_core10_items.csv")
    pre = data[data["occasion"] == "pre"].dropna()
    raw = pre[[f"item_{i}" for i in range(1, 11)]].to_numpy()
    keyed = es.reliability(data, instrument="core10").estimate
    assert cronbach_alpha(raw) < keyed - 0.1


def test_first_administration_per_client_without_occasion_column():
    data = pd.read_csv(REF / "reliability_gad7_items.csv").drop(columns="occasion")
    data["date"] = pd.Timestamp("2024-01-10")
    later = data.copy()
    later["date"] = pd.Timestamp("2024-05-01")
    later[[f"item_{i}" for i in range(1, 8)]] = 0.0  # later rows would change alpha if used
    both = pd.concat([later, data], ignore_index=True)  # later rows first: order must not matter
    r = es.reliability(both, instrument="gad7")
    ref = es.reliability(pd.read_csv(REF / "reliability_gad7_items.csv"), instrument="gad7")
    assert r.estimate == pytest.approx(ref.estimate, abs=1e-12)
    assert r.meta["selection"] == "first administration per client (no occasion column)"
    assert r.meta["exclusions"] == {"not_intake": 15}
    assert es.reliability(both, instrument="gad7", occasion="all").n == 30


def test_es_reliability_is_callable_after_importing_the_module():
    # ``effectstudy.instruments.reliability`` is also a module name; importing it must not break es.reliability
    import effectstudy.instruments.reliability as mod

    data = pd.read_csv(REF / "reliability_gad7_items.csv")
    assert es.reliability(data, instrument="gad7").estimate == mod.reliability(data, instrument="gad7").estimate


def test_result_is_a_reliability_source():
    r = es.reliability(pd.read_csv(REF / "reliability_gad7_items.csv"), instrument="gad7")
    assert isinstance(r, ReliabilityResult) and float(r) == r.estimate
    s = r.summary()
    assert list(s.columns) == ["instrument", "scale", "estimate", "ci_low", "ci_high", "ci_level", "n", "n_items", "method"]
    assert s.loc[0, "ci_level"] == 0.95 and s.loc[0, "method"] == "cronbach_alpha"
    r90 = es.reliability(pd.read_csv(REF / "reliability_gad7_items.csv"), instrument="gad7", ci=0.90)
    assert r.ci_low < r90.ci_low < r90.estimate < r90.ci_high < r.ci_high


def test_kernels_against_hand_computation():
    # items [[1,2,2],[2,3,3],[3,3,4],[4,5,4]]: item variances 5/3, 19/12, 11/12 (sum 25/6);
    # sums 5, 8, 10, 13 have variance 34/3; alpha = 3/2 (1 - (25/6)/(34/3)) = 129/136
    x = np.array([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 4]], dtype=float)
    assert cronbach_alpha(x) == pytest.approx(129 / 136, abs=1e-15)
    with pytest.raises(ArgumentError, match="an n x k matrix with n >= 2 respondents and k >= 2 items"):
        cronbach_alpha(x[:, :1])
    with pytest.raises(ArgumentError, match="complete rows"):
        cronbach_alpha(np.where(x == 5, np.nan, x))
    with pytest.raises(ArgumentError, match="variation in the scale's sum score"):
        cronbach_alpha(np.ones((3, 3)))
    with pytest.raises(ArgumentError, match="ci: got 1.5"):
        feldt_ci(0.8, 10, 3, ci=1.5)


def test_error_paths():
    data = pd.read_csv(REF / "reliability_gad7_items.csv")
    with pytest.raises(ArgumentError, match=r"scale: got 'PSDI', expected a sum or mean scale \(alpha is not defined for rule 'positive_mean'\)"):
        es.reliability(pd.DataFrame({"client_id": ["a"], **{f"item_{i}": [1.0] for i in range(1, 91)}}),
                       instrument="scl90r", scale="PSDI")
    with pytest.raises(DataError, match=r"too few complete administrations of gad7 total \(occasion == 'pre'\) for Cronbach's alpha: found 1"):
        es.reliability(data.iloc[:1], instrument="gad7")
    const = data.copy()
    const[[f"item_{i}" for i in range(1, 8)]] = 2.0
    with pytest.raises(DataError, match=r"gad7 total: every complete administration \(occasion == 'pre'\) has the same sum score: found 14\.0"):
        es.reliability(const, instrument="gad7")
    bad = data.copy()
    bad.loc[3, "item_2"] = 4.0
    with pytest.raises(DataError, match=r"row 3 item_2: administration 4 of \d+: item code out of range for gad7: found 4\.0"):
        es.reliability(bad, instrument="gad7")
    with pytest.raises(ArgumentError, match="ci: got 95"):
        es.reliability(data, instrument="gad7", ci=95)
    with pytest.raises(ArgumentError, match=r"occasion: got 'intake', expected 'pre', 'first' or 'all' \(there is no occasion column\)"):
        es.reliability(data.drop(columns="occasion"), instrument="gad7", occasion="intake")
    with pytest.raises(DataError, match="client_id: cannot find the first administration per client"):
        es.reliability(data.drop(columns=["occasion", "client_id"]), instrument="gad7")
    with pytest.raises(ArgumentTypeError, match="measurements: got dict"):
        es.reliability({}, instrument="gad7")
