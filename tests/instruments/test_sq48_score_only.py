"""SQ-48 score-only exports end to end with the shipped scale-level SQ-48 (no item key).

The SQ-48 export is made from the shipped score-only example (``data/example_scores``, SCL-90
scale scores) by positive or negative linear maps into the SQ-48 ranges, so the effect study on
it must give exactly the SCL-90 study's standardised effect sizes (a standardised mean change is
unchanged by ``a + b x`` with ``b > 0`` and changes sign with ``b < 0``):

- total = (PSNEUR - 90) x 0.4: PSNEUR 90..450 -> 0..144, inside the total's 0..148;
- MOOD = (DEP - 16) x 0.375: DEP 16..80 -> 0..24, the range of a 6-item subscale;
- VITA = (50 - ANG) x 0.6: ANG 10..50 -> 24..0 (VITA is better when higher, ANG when lower).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import effectstudy as es

ROOT = Path(__file__).resolve().parents[2]
PARAMS = ROOT / "params" / "demo-scores.yaml"
EXPORT_DATE = "2025-04-01"  # demo-scores.yaml export_date, the 'today' of the date checks


@pytest.fixture(scope="module")
def sq48_export(tmp_path_factory):
    """(path, number of good rows): the SQ-48 score-only CSV, with two out-of-range rows at the end."""
    scl = pd.read_csv(ROOT / "data" / "example_scores" / "scores.csv", sep=";", decimal=",", dtype=str)
    num = {c: scl[c].str.replace(",", ".").astype(float) for c in ("score_PSNEUR", "score_DEP", "score_ANG")}
    out = scl[["client_id", "episode_id", "date", "session", "occasion"]].copy()
    out.insert(2, "instrument", "sq48")
    out["score_total"] = (num["score_PSNEUR"] - 90) * 0.4
    out["score_MOOD"] = (num["score_DEP"] - 16) * 0.375
    out["score_VITA"] = (50 - num["score_ANG"]) * 0.6
    bad = pd.DataFrame({"client_id": ["C0000001", "C0000001"], "episode_id": ["E0000001", "E0000001"],
                        "instrument": "sq48", "date": ["15-03-2021", "22-03-2021"], "session": ["2", "3"],
                        "occasion": "", "score_total": [60.0, 148.5], "score_MOOD": [25.0, 12.0],
                        "score_VITA": [10.0, 0.0]})
    path = tmp_path_factory.mktemp("sq48") / "sq48_scores.csv"
    pd.concat([out, bad], ignore_index=True).to_csv(path, sep=";", decimal=",", index=False)
    return path, len(out)


@pytest.fixture(scope="module")
def studies(sq48_export):
    path, _ = sq48_export
    sq = es.Study.from_params(PARAMS, {"data.measurements.path": str(path), "analysis.instrument": "sq48",
                                       "analysis.scales": ["total", "MOOD", "VITA"]})
    scl = es.Study.from_params(PARAMS, {"analysis.scales": ["PSNEUR", "DEP", "ANG"]})
    return sq, scl


def test_the_shipped_scale_level_sq48_validates_ranges_with_file_line_and_column(sq48_export, studies):
    path, n_good = sq48_export
    data = es.read_study(studies[0].params.data, today=EXPORT_DATE)
    p = data.report.problems
    bad = (p[p["rule"] == "out_of_range"].sort_values("row")[["file", "row", "column", "value", "expected"]]
           .to_dict("records"))
    # header = line 1, the good rows lines 2 .. n_good + 1, then the two bad rows
    assert bad == [
        {"file": path.name, "row": n_good + 2, "column": "score_MOOD", "value": "25",
         "expected": "a score from 0 to 24 (sq48 MOOD)"},
        {"file": path.name, "row": n_good + 3, "column": "score_total", "value": "148.5",
         "expected": "a score from 0 to 148 (sq48 total)"},
    ]
    m = data.measurements
    assert len(m) == n_good and set(m["instrument"]) == {"sq48"}
    flow = data.report.flow()
    counts = flow[flow["table"] == "measurements"].set_index("reason")["n"]
    assert int(counts.sum()) == n_good + 2 and int(counts[""]) == n_good  # read = used + excluded


def test_effect_sizes_of_sq48_scores_equal_the_mapped_scl90_study(studies):
    sq, scl = studies
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", es.ProvisionalKeyWarning)
        a, b = sq.effect_sizes().table, scl.effect_sizes().table
        assert sq.scores.meta["scored_by"] == "export" and sq.scores.meta["key_status"] == "provisional"
    assert a["scale"].unique().tolist() == ["total", "MOOD", "VITA"]
    assert len(a) == len(b) > 3
    assert a[["grouping", "group", "n", "df"]].astype(str).equals(b[["grouping", "group", "n", "df"]].astype(str))
    # VITA = 30 - 0.6 ANG: its post - pre d is minus ANG's, but VITA is higher-is-better and ANG
    # lower-is-better, so the improvement-positive estimates (what the Study reports) are equal
    vita = (a["scale"] == "VITA").to_numpy()
    assert vita.any() and (a.loc[vita, "estimate"] > 0).all()
    for col in ("estimate", "ci_low", "ci_high", "t", "r"):
        np.testing.assert_allclose(a[col].to_numpy(float), b[col].to_numpy(float), rtol=1e-9, atol=1e-12,
                                   err_msg=col)
    # the mean changes differ by each mapping's factor, never in sign (both improvement positive)
    assert (np.sign(a["mean_change"].to_numpy(float)) == np.sign(b["mean_change"].to_numpy(float))).all()
    np.testing.assert_allclose(a["p"].to_numpy(float), b["p"].to_numpy(float), rtol=1e-6)
    # the mean of the total is the mapped PSNEUR mean: (212.89 - 90) x 0.4
    first = a.iloc[0]
    assert first["mean_pre"] == pytest.approx((b.iloc[0]["mean_pre"] - 90) * 0.4, rel=1e-12)
    # the total falls (lower is better) and VITA rises (higher is better): both improvements, both > 0
    assert first["mean_post"] < first["mean_pre"] and first["estimate"] > 0
    assert a.loc[a["scale"] == "VITA", "estimate"].iloc[0] > 0


def test_sq48_study_says_what_a_score_only_export_cannot_give(studies):
    sq, _ = studies
    text = sq.key_status()
    assert "Cronbachs alfa zijn daarom niet beschikbaar" in text
    assert sq.flow().meta["measurements_scored_by"] == "export"


def test_t_scores_of_exported_sq48_totals_with_a_user_norm(studies):
    """Delta-T on a score-only SQ-48 export: the practice's own linear norm (none is shipped)."""
    sq, _ = studies
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", es.ProvisionalKeyWarning)
        s = sq.scores
    t = es.t_scores(s, instrument="sq48", norm={"mean": 40.0, "sd": 20.0, "source": "own intake 2024"},
                    scales="total")
    x = s.scores.loc[s.scores["scale"] == "total", "score"].to_numpy(float)
    np.testing.assert_allclose(t["t_score"].to_numpy(float), 50 + 10 * (x - 40.0) / 20.0)
    assert set(t["t_norm_status"]) == {"user_supplied"} and len(t) == len(x) > 0
