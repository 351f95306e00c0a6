"""T-scores for delta-T (es.t_scores): hand-computed values, statuses, and the errors.

Linear: T = 50 + 10 (x - M) / SD.  Table: linear interpolation between the published
(raw, T) points; a raw score outside the table or the scale's range is refused, not clamped.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import effectstudy as es
from effectstudy import instruments
from effectstudy.core.errors import (
    ArgumentError,
    ArgumentTypeError,
    DataError,
    ParamsError,
    ProvisionalKeyWarning,
)

NAN = float("nan")


def scores(*vals: float, scale: str = "total") -> pd.DataFrame:
    return pd.DataFrame({"client_id": [f"c{k}" for k in range(len(vals))],
                         "scale": [scale] * len(vals), "score": list(vals)})


def user_core10(tmp_path, t_norm_yaml: str):
    """The shipped CORE-10 file with one more T-norm appended to the total's t_norms."""
    text = (instruments.SHIPPED_DIR / "core10.yaml").read_text(encoding="utf-8")
    text = text.replace("    bands:\n", t_norm_yaml + "    bands:\n", 1)
    p = tmp_path / "core10_own.yaml"
    p.write_text(text, encoding="utf-8")
    return instruments.load(p)


# ============================================================================ values
def test_linear_user_norm_by_hand():
    # PHQ-9 total 0..27; M = 12, SD = 5: 17 -> 60, 2 -> 30, 14.5 -> 55
    t = es.t_scores(scores(17, 2, 14.5, NAN), instrument="phq9",
                    norm={"mean": 12, "sd": 5, "source": "own intake 2024"}, scales="total")
    assert t["t_score"].iloc[:3].tolist() == [60.0, 30.0, 55.0] and math.isnan(t["t_score"].iloc[3])
    assert t["t_norm"].tolist() == ["user"] * 4
    assert t["t_norm_status"].tolist() == ["user_supplied"] * 4
    assert t["t_norm_source"].tolist() == ["own intake 2024"] * 4
    # delta T of a client from 17 to 2: 30 - 60 = -30, i.e. 30 T points better on a lower-is-better scale
    assert t["t_score"].iloc[1] - t["t_score"].iloc[0] == -30.0


def test_table_user_norm_by_hand():
    # (0, 30) (9, 45) (18, 60) (27, 80): 4.5 -> 37.5; 9 -> 45; 13 -> 45 + 15 x 4/9; 27 -> 80
    norm = {"raw": [0, 9, 18, 27], "t": [30, 45, 60, 80], "source": "own table", "name": "own"}
    t = es.t_scores(scores(4.5, 9, 13, 27), instrument="phq9", norm=norm, scales="total")
    assert t["t_score"].tolist() == pytest.approx([37.5, 45.0, 45 + 15 * 4 / 9, 80.0])
    assert t["t_norm"].tolist() == ["own"] * 4


def test_shipped_norm_is_verified_and_sourced():
    t = es.t_scores(scores(9.5), instrument="core10", norm="general_population")
    # T = 50 + 10 (9.5 - 4.7) / 4.8 = 60
    assert t["t_score"].tolist() == pytest.approx([60.0])
    assert t["t_norm_status"].tolist() == ["verified"]
    assert "Connell & Barkham" in t["t_norm_source"].iloc[0]


def test_table_norm_in_a_user_file_with_status(tmp_path):
    inst = user_core10(tmp_path, (
        "      own_table:\n"
        "        {method: table, raw: [0, 10, 40], t: [30, 50, 90], source: 'practice table 2025',\n"
        "         status: provisional, status_reason: 'not yet checked against the factsheet'}\n"))
    with pytest.warns(ProvisionalKeyWarning, match=r"T-norm 'own_table' of scale\(s\) total is provisional: "
                      r"not yet checked against the factsheet"):
        t = es.t_scores(scores(5, 25), instrument=inst, norm="own_table")
    # 5 -> 30 + 20 x 5/10 = 40; 25 -> 50 + 40 x 15/30 = 70
    assert t["t_score"].tolist() == [40.0, 70.0]
    assert t["t_norm_status"].tolist() == ["provisional"] * 2


# ============================================================================ errors
def test_a_raw_score_outside_the_table_is_an_error_not_clamped():
    norm = {"raw": [0, 9, 18], "t": [30, 45, 60], "source": "own table"}
    with pytest.raises(DataError, match=r"row 1 score: T-score of phq9 scale total: 1 score\(s\) cannot be "
                       r"converted: found 20\.0, expected a raw score within 0\.\.18, the table of T-norm 'user'"):
        es.t_scores(scores(10, 20), instrument="phq9", norm=norm, scales="total")


def test_a_score_outside_the_scale_range_is_an_error():
    with pytest.raises(DataError, match=r"row 0 score: .*found 28\.0, expected a score of scale total within "
                       r"its range 0\.\.27"):
        es.t_scores(scores(28), instrument="phq9", norm={"mean": 1, "sd": 2, "source": "s"}, scales="total")
    with pytest.raises(DataError, match=r"found -1\.0, expected a score of scale total within its range 0\.\.40"):
        es.t_scores(scores(3, -1), instrument="core10", norm="general_population")


def test_a_score_that_is_not_a_number_is_an_error():
    s = pd.DataFrame({"scale": ["total", "total"], "score": ["12", "twelve"]})
    with pytest.raises(DataError, match=r"row 1 score: T-score: a score is not a number: found 'twelve'"):
        es.t_scores(s, instrument="phq9", norm={"mean": 1, "sd": 2, "source": "s"}, scales="total")


@pytest.mark.parametrize(("norm", "message"), [
    ({"raw": [0, 9], "t": [30, 45]}, r"a dict with keys mean, sd, source or raw, t, source"),
    ({"mean": 1, "sd": 2, "raw": [0, 1], "t": [1, 2], "source": "s"}, r"a dict with keys mean, sd, source"),
    ({"mean": 1, "sd": 2, "source": "s", "weight": 3}, r"a dict with keys mean, sd, source"),
    ({"raw": [0, 9, 5], "t": [30, 45, 50], "source": "s"}, r"raw scores strictly increasing"),
    ({"raw": [0, 9, 18], "t": [30, 45, 40], "source": "s"}, r"T-scores not decreasing"),
    ({"raw": [0, 9, 18], "t": [30, 45], "source": "s"}, r"raw and t lists of finite numbers, of the same length"),
    ({"mean": 1, "sd": 2, "source": "s", "status": "checked"}, r"norm: got 'checked', expected a status in "
     r"\['verified', 'provisional', 'user_supplied'\]"),
    ({"mean": 1, "sd": 2, "source": "s", "status": "provisional"}, r"a status_reason for a provisional norm"),
])
def test_bad_user_norms_are_refused(norm, message):
    with pytest.raises(ArgumentError, match=message):
        es.t_scores(scores(5), instrument="phq9", norm=norm, scales="total")


def test_a_provisional_user_norm_warns_with_its_reason():
    norm = {"mean": 10, "sd": 5, "source": "s", "status": "provisional", "status_reason": "from a slide"}
    with pytest.warns(ProvisionalKeyWarning, match="from a slide"):
        t = es.t_scores(scores(15), instrument="phq9", norm=norm, scales="total")
    assert t["t_score"].tolist() == [60.0] and t["t_norm_status"].tolist() == ["provisional"]


def test_other_argument_errors():
    with pytest.raises(ArgumentTypeError, match="norm: got list"):
        es.t_scores(scores(5), instrument="phq9", norm=[1, 2], scales="total")
    with pytest.raises(ArgumentError, match=r"scales: got 'nope', expected one of \['total'\]"):
        es.t_scores(scores(5), instrument="phq9", norm={"mean": 1, "sd": 2, "source": "s"}, scales="nope")


@pytest.mark.parametrize(("t_norm", "message"), [
    ("      bad: {method: table, raw: [0, 20, 40], t: [30, 60, 50], source: s}\n",
     r"t_norms\.bad\.t: expected T-scores that do not decrease"),
    ("      bad: {method: linear, mean: 5, sd: 2, source: s, status: provisional}\n",
     r"t_norms\.bad\.status_reason: a provisional T-norm needs a reason"),
])
def test_bad_t_norms_in_an_instrument_file(tmp_path, t_norm, message):
    with pytest.raises(ParamsError, match=message):
        user_core10(tmp_path, t_norm)
