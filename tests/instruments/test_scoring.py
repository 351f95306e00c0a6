"""Scoring: hand-computed cases from the published keys, missing-item rules, errors, properties.

Every expected number is worked out by hand in the comment next to it from the key in
/work/shared/reference/instruments.md; nothing is read from the instrument YAML files.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import effectstudy as es
from effectstudy import instruments
from effectstudy.core.errors import (
    ArgumentError,
    ArgumentTypeError,
    DataError,
    ProvisionalKeyWarning,
)
from tests.budget import examples

NAN = float("nan")


def frame(instrument: str, n_items: int, rows: list[dict], fill: float) -> pd.DataFrame:
    """Measurements: one row per dict ``{item_number: code}``; unlisted items get ``fill``."""
    recs = []
    for k, r in enumerate(rows):
        rec = {"client_id": f"c{k + 1}", "instrument": instrument, "date": pd.Timestamp(2024, 3, 1 + k)}
        for i in range(1, n_items + 1):
            rec[f"item_{i}"] = float(r.get(i, fill))
        recs.append(rec)
    return pd.DataFrame(recs)


def table(res) -> dict[tuple[int, str], tuple]:
    """(administration number, scale) -> (score, n_answered, prorated, reason)."""
    s = res.scores
    admin = s["client_id"].str[1:].astype(int)
    return {
        (a, sc): (v, n, p, r)
        for a, sc, v, n, p, r in zip(admin, s["scale"].astype(str), s["score"], s["n_answered"], s["prorated"],
                                     s["reason"].astype(object), strict=True)
    }


def check(t, admin, scale, score, n=None, prorated=None, reason=None):
    v, n_ans, pr, rs = t[(admin, scale)]
    if score is None or (isinstance(score, float) and math.isnan(score)):
        assert math.isnan(v), (admin, scale, v)
    else:
        assert v == pytest.approx(score, abs=1e-12), (admin, scale, v, score)
    if n is not None:
        assert n_ans == n, (admin, scale, n_ans)
    if prorated is not None:
        assert bool(pr) is prorated, (admin, scale, pr)
    assert (rs if isinstance(rs, str) else None) == reason, (admin, scale, rs)


def score_quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalKeyWarning)
        return es.score(*args, **kwargs)


# ============================================================================ Dutch SCL-90
def test_scl90_nl_hand_computed():
    rows = [
        {},                      # 1: all items 1
        {i: 5 for i in range(1, 91)},  # 2: all items 5
        {51: 5},                 # 3: item 51 -> DEP (Dutch key), not IN
        {71: 5},                 # 4: item 71 -> IN, not DEP
        {37: 4, 69: 3},          # 5: items 37 and 69 -> SEN (reconstructed), not OVE
        {86: 3, 85: 2},          # 6: 86 -> ANG, 85 -> OVE
    ]
    t = table(score_quiet(frame("scl90_nl", 90, rows, 1), instrument="scl90_nl"))
    # 1: every sum = number of items x 1
    for scale, n in [("AGO", 7), ("ANG", 10), ("DEP", 16), ("SOM", 12), ("IN", 9), ("SEN", 18),
                     ("HOS", 6), ("SLA", 3), ("OVE", 9), ("PSNEUR", 90)]:
        check(t, 1, scale, n, n=n, prorated=False)
        check(t, 2, scale, 5 * n, n=n, prorated=False)  # 2: x 5 -> PSNEUR 450
    check(t, 3, "DEP", 16 + 4)   # 15 x 1 + 5
    check(t, 3, "IN", 9)
    check(t, 3, "PSNEUR", 94)    # 89 + 5
    check(t, 4, "IN", 9 + 4)     # 8 x 1 + 5
    check(t, 4, "DEP", 16)
    check(t, 5, "SEN", 18 + 3 + 2)  # 16 x 1 + 4 + 3
    check(t, 5, "OVE", 9)
    check(t, 6, "ANG", 10 + 2)   # 9 x 1 + 3
    check(t, 6, "OVE", 9 + 1)    # 8 x 1 + 2
    check(t, 6, "PSNEUR", 90 + 2 + 1)


def test_scl90_nl_prorating_at_and_beyond_the_limit():
    rows = [
        {1: NAN, 4: NAN},               # 1: SOM 2 of 12 missing (limit floor(0.2*12)=2): 10 answered x 2
        {1: NAN, 4: NAN, 12: NAN},      # 2: SOM 3 missing: beyond the limit
        {44: NAN},                      # 3: SLA (3 items) allows no missing item
        {i: NAN for i in range(1, 19)},  # 4: 18 of 90 missing (limit 18) -> PSNEUR prorated
        {i: NAN for i in range(1, 20)},  # 5: 19 missing -> PSNEUR missing
    ]
    t = table(score_quiet(frame("scl90_nl", 90, rows, 2), instrument="scl90_nl"))
    check(t, 1, "SOM", 24, n=10, prorated=True)           # 20 x 12 / 10
    check(t, 1, "AGO", 14, n=7, prorated=False)
    check(t, 2, "SOM", NAN, n=9, prorated=False, reason="too_many_missing")
    check(t, 3, "SLA", NAN, n=2, reason="too_many_missing")
    check(t, 3, "PSNEUR", 180, n=89, prorated=True)        # 178 x 90 / 89
    check(t, 4, "PSNEUR", 180, n=72, prorated=True)        # 144 x 90 / 72
    check(t, 5, "PSNEUR", NAN, n=71, reason="too_many_missing")


def test_scl90_nl_warns_about_the_provisional_key_and_records_it():
    m = frame("scl90_nl", 90, [{}], 1)
    with pytest.warns(ProvisionalKeyWarning, match=r"scl90_nl: the key of scale\(s\) SEN, OVE is provisional"):
        res = es.score(m, instrument="scl90_nl")
    assert res.meta["key_status"] == "provisional"
    assert res.meta["provisional_scales"] == ["SEN", "OVE"]
    assert res.meta["scale_status"]["PSNEUR"] == "verified"
    # a verified scale of a provisional instrument: no warning, but the key status is still recorded
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        only = es.score(m, instrument="scl90_nl", scales=["PSNEUR", "AGO"])
    assert only.meta["key_status"] == "provisional" and only.meta["provisional_scales"] == []


# ============================================================================ SCL-90-R
def test_scl90r_hand_computed():
    rows = [
        {},           # 1: all 0
        {2: 4},       # 2: item 2 is ANX (block keys would say SOM)
        {15: 4},      # 3: item 15 is DEP (block keys would say O-C)
        {86: 3},      # 4: item 86 is ANX; scripts with 85 would miss it
        {85: 2, 90: 1},  # 5: PSY
        {i: 1 for i in range(1, 46)} | {i: 3 for i in range(46, 91)},  # 6
    ]
    t = table(es.score(frame("scl90r", 90, rows, 0), instrument="scl90r"))
    for scale in ("SOM", "O-C", "I-S", "DEP", "ANX", "HOS", "PHOB", "PAR", "PSY", "ADD", "GSI"):
        check(t, 1, scale, 0.0, prorated=False)
    check(t, 1, "PST", 0.0)
    check(t, 1, "PSDI", NAN, n=90, reason="undefined")  # sum / PST with PST = 0
    check(t, 2, "ANX", 0.4)        # 4 / 10
    check(t, 2, "SOM", 0.0)
    check(t, 2, "GSI", 4 / 90)
    check(t, 2, "PST", 1.0)
    check(t, 2, "PSDI", 4.0)       # 4 / 1
    check(t, 3, "DEP", 4 / 13)
    check(t, 3, "O-C", 0.0)
    check(t, 4, "ANX", 0.3)        # 3 / 10
    check(t, 4, "PSY", 0.0)
    check(t, 5, "PSY", 0.3)        # (2 + 1) / 10
    check(t, 5, "PST", 2.0)
    check(t, 5, "PSDI", 1.5)       # 3 / 2
    # 6: items 1-45 = 1, 46-90 = 3: GSI = (45 + 135) / 90 = 2; SOM items 1,4,12,27,40,42 (=1) and
    # 48,49,52,53,56,58 (=3): (6 + 18) / 12 = 2; HOS 11,24 (=1), 63,67,74,81 (=3): 14 / 6
    check(t, 6, "GSI", 2.0)
    check(t, 6, "PST", 90.0)
    check(t, 6, "PSDI", 2.0)
    check(t, 6, "SOM", 2.0)
    check(t, 6, "HOS", 14 / 6)


def test_scl90r_prorating_at_and_beyond_the_limit():
    rows = [
        {1: NAN, 4: NAN},                  # 1: SOM 2 of 12 missing (limit 2): mean of 10 answered
        {1: NAN, 4: NAN, 12: NAN},         # 2: 3 missing: SOM missing
        {6: NAN},                          # 3: I-S has 9 items: limit floor(1.8) = 1
        {6: NAN, 21: NAN},                 # 4: I-S 2 missing: missing
        {i: NAN for i in range(1, 19)},    # 5: 18 of 90 missing: GSI/PST/PSDI still scored
        {i: NAN for i in range(1, 20)},    # 6: 19 missing: indices missing
    ]
    t = table(es.score(frame("scl90r", 90, rows, 3), instrument="scl90r"))
    check(t, 1, "SOM", 3.0, n=10, prorated=True)
    check(t, 2, "SOM", NAN, n=9, reason="too_many_missing")
    check(t, 3, "I-S", 3.0, n=8, prorated=True)
    check(t, 4, "I-S", NAN, n=7, reason="too_many_missing")
    check(t, 5, "GSI", 3.0, n=72, prorated=True)
    check(t, 5, "PST", 90.0, n=72, prorated=True)   # 72 positive x 90 / 72
    check(t, 5, "PSDI", 3.0, n=72, prorated=True)
    for idx in ("GSI", "PST", "PSDI"):
        check(t, 6, idx, NAN, n=71, reason="too_many_missing")


# ============================================================================ BSI-53
def test_bsi53_hand_computed():
    rows = [
        {},                              # 1: all 1
        {20: 4, 21: 0, 22: 0, 42: 0},    # 2: I-S = (4 + 0 + 0 + 0) / 4
        {2: NAN},                        # 3: SOM 1 of 7 missing (limit 1)
        {2: NAN, 7: NAN},                # 4: SOM 2 missing
        {20: NAN},                       # 5: I-S (4 items) allows none missing
    ]
    t = table(es.score(frame("bsi53", 53, rows, 1), instrument="bsi53"))
    check(t, 1, "GSI", 1.0)
    check(t, 1, "PST", 53.0)
    check(t, 1, "PSDI", 1.0)
    check(t, 2, "I-S", 1.0)
    check(t, 2, "PST", 50.0)          # 49 items at 1 + item 20
    check(t, 2, "PSDI", 53 / 50)      # (49 + 4) / 50
    check(t, 2, "GSI", 1.0)           # (49 x 1 + 4 + 0 + 0 + 0) / 53
    check(t, 3, "SOM", 1.0, n=6, prorated=True)
    check(t, 4, "SOM", NAN, n=5, reason="too_many_missing")
    check(t, 5, "I-S", NAN, n=3, reason="too_many_missing")


# ============================================================================ OQ-45
def test_oq45_reverse_keying_and_totals():
    t = table(es.score(frame("oq45", 45, [{}, {i: 4 for i in range(1, 46)}], 0), instrument="oq45"))
    # all raw 0: the 9 reverse items score 4. SD has 13, 24, 31 -> 12; IR has 1, 20, 37, 43 -> 16;
    # SR has 12, 21 -> 8; total 36
    check(t, 1, "SD", 12)
    check(t, 1, "IR", 16)
    check(t, 1, "SR", 8)
    check(t, 1, "total", 36)
    # all raw 4: SD 22 x 4 = 88, IR 7 x 4 = 28, SR 7 x 4 = 28, total 144
    check(t, 2, "SD", 88)
    check(t, 2, "IR", 28)
    check(t, 2, "SR", 28)
    check(t, 2, "total", 144)


def test_oq45_missing_item_gets_rounded_subscale_mean():
    rows = [
        # 1: SR item 4 missing, all other raw 1: keyed SR = 12, 21 -> 3 each, six others 1:
        #    mean (6 + 6) / 8 = 1.5 -> 2; SR = 12 + 2 = 14
        {4: NAN},
        # 2: SR keyed 12, 21, 14, 28 = 3 and 32, 38, 39, 44 = 2: mean 20 / 8 = 2.5 -> 3 (half up,
        #    not to even); SR = 20 + 3 = 23
        {4: NAN, 12: 1, 21: 1, 14: 3, 28: 3, 32: 2, 38: 2, 39: 2, 44: 2},
        # 3: two SR items missing: beyond the SR limit (1); 4: five missing in total (SD 2, IR 2,
        #    SR 1; each within its subscale limit) is beyond the 4-item total limit
        {4: NAN, 14: NAN},
        {2: NAN, 3: NAN, 7: NAN, 16: NAN, 4: NAN},
        # 5: four missing (SD 2, IR 2) is at the total limit; SD keyed 22 x 1 + 3 x 3 over 23
        #    answered = 31 - 2 = 29 -> mean 29/23 = 1.26 -> 1 -> SD = 29 + 2 = 31
        {2: NAN, 3: NAN, 7: NAN, 16: NAN},
    ]
    t = table(es.score(frame("oq45", 45, rows, 1), instrument="oq45"))
    check(t, 1, "SR", 14, n=8, prorated=True)
    # SD = 22 x 1 + 3 x 3 = 31, IR = 7 x 1 + 4 x 3 = 19; total = 31 + 19 + 14
    check(t, 1, "total", 64, n=44, prorated=True)
    check(t, 2, "SR", 23, n=8, prorated=True)
    check(t, 3, "SR", NAN, n=7, reason="too_many_missing")
    check(t, 3, "SD", 31, n=25, prorated=False)
    for scale in ("SD", "IR", "SR", "total"):
        check(t, 4, scale, NAN, reason="too_many_missing_total")
    check(t, 5, "SD", 31, n=23, prorated=True)
    # IR: 7, 16 missing; answered keyed: items 1, 20, 37, 43 -> 3, items 17, 18, 19, 26, 30 -> 1:
    # (12 + 5) / 9 = 1.89 -> 2; IR = 17 + 2 + 2 = 21
    check(t, 5, "IR", 21, n=9, prorated=True)
    # SR complete: 7 x 1 + 2 x 3 = 13; total = 31 + 21 + 13
    check(t, 5, "total", 65, n=41, prorated=True)


# ============================================================================ PHQ-9 / GAD-7 / DASS-21
def test_phq9_hand_computed():
    rows = [
        {10: 3},            # 1: items 1-9 = 2 -> 18; item 10 is not scored
        {9: NAN},           # 2: 1 of 9 missing (limit 1): 16 x 9 / 8 = 18
        {8: NAN, 9: NAN},   # 3: 2 missing: missing
        {i: 0 for i in range(1, 10)} | {9: 3},  # 4: 3
    ]
    t = table(es.score(frame("phq9", 10, rows, 2), instrument="phq9"))
    check(t, 1, "total", 18, n=9, prorated=False)
    check(t, 2, "total", 18, n=8, prorated=True)
    check(t, 3, "total", NAN, n=7, reason="too_many_missing")
    check(t, 4, "total", 3)


def test_gad7_hand_computed():
    t = table(es.score(frame("gad7", 7, [{}, {1: NAN}, {1: NAN, 2: NAN}, {3: 3}], 1), instrument="gad7"))
    check(t, 1, "total", 7)
    check(t, 2, "total", 7, n=6, prorated=True)   # 6 x 7 / 6
    check(t, 3, "total", NAN, reason="too_many_missing")
    check(t, 4, "total", 9)                       # 6 x 1 + 3


def test_dass21_hand_computed():
    rows = [
        {i: 3 for i in (3, 5, 10, 13, 16, 17, 21)},      # 1: depression 21 (x2 = 42)
        {i: 2 for i in (1, 6, 8, 11, 12, 14)} | {18: NAN},  # 2: stress 6 answered x 2 = 12 -> 14
        {2: 1, 4: 1, 7: 1},                               # 3: anxiety 3
    ]
    t = table(es.score(frame("dass21", 21, rows, 0), instrument="dass21"))
    check(t, 1, "depression", 21)
    check(t, 1, "depression_x2", 42)
    check(t, 1, "anxiety", 0)
    check(t, 2, "stress", 14, n=6, prorated=True)      # 12 x 7 / 6
    check(t, 2, "stress_x2", 28, n=6, prorated=True)
    check(t, 3, "anxiety_x2", 6)



def test_dass21_prorating_at_and_just_beyond_the_limit():
    rows = [
        {i: 2 for i in (3, 5, 10, 13, 16, 17, 21)} | {21: NAN},   # 1: depression 1 of 7 missing (limit 1)
        {i: 2 for i in (3, 5, 10, 13, 16, 17, 21)} | {17: NAN, 21: NAN},  # 2: 2 missing: beyond
        {2: 3, 4: NAN, 7: NAN},                                    # 3: anxiety 2 missing; depression complete
    ]
    t = table(es.score(frame("dass21", 21, rows, 0), instrument="dass21"))
    check(t, 1, "depression", 14, n=6, prorated=True)      # 6 x 2 = 12 -> 12 x 7 / 6 = 14
    check(t, 1, "depression_x2", 28, n=6, prorated=True)
    check(t, 2, "depression", NAN, n=5, reason="too_many_missing")
    check(t, 2, "depression_x2", NAN, n=5, reason="too_many_missing")
    check(t, 2, "anxiety", 0, n=7, prorated=False)
    check(t, 3, "anxiety", NAN, n=5, reason="too_many_missing")
    check(t, 3, "depression", 0, n=7, prorated=False)

# ============================================================================ CORE-OM / CORE-10
def test_core_om_hand_computed():
    rows = [
        {},            # 1: all raw 0: the 8 reverse items score 4
        {30: 4},       # 2: item 30 raw 4: counts 4 (awell would reverse it to 0)
        {2: NAN},      # 3: P 1 of 12 missing (limit 1)
        {2: NAN, 5: NAN},  # 4: P 2 missing
        {1: NAN, 6: NAN, 14: NAN, 2: NAN},  # 5: 4 missing in total (limit 3)
    ]
    t = table(es.score(frame("core_om", 34, rows, 0), instrument="core_om"))
    check(t, 1, "W", 2.0)           # items 4, 31 reversed: (4 + 0 + 0 + 4) / 4
    check(t, 1, "P", 0.0)
    check(t, 1, "F", 2.0)           # 3, 7, 12, 19, 21, 32 reversed: 24 / 12
    check(t, 1, "R", 0.0)
    check(t, 1, "total", 32 / 34)
    check(t, 1, "non_risk", 32 / 28)
    check(t, 1, "clinical", 320 / 34)
    check(t, 2, "P", 4 / 12)
    check(t, 2, "clinical", 360 / 34)
    check(t, 3, "P", 0.0, n=11, prorated=True)
    check(t, 3, "total", 32 / 33, n=33, prorated=True)
    check(t, 4, "P", NAN, n=10, reason="too_many_missing")
    check(t, 4, "total", 32 / 32, n=32, prorated=True)
    check(t, 5, "total", NAN, n=30, reason="too_many_missing")
    check(t, 5, "clinical", NAN, reason="too_many_missing")
    check(t, 5, "W", 8 / 3, n=3, prorated=True)   # 4, 17, 31 answered: (4 + 0 + 4) / 3


def test_core10_hand_computed():
    rows = [
        {},                              # 1: all raw 0: items 2 and 3 score 4 -> 8
        {4: 4},                          # 2: item 4 is not reversed: 8 + 4 = 12
        {i: 2 for i in range(1, 11)} | {1: NAN},  # 3: 9 answered x 2 = 18 -> 18 x 10 / 9 = 20
        {1: NAN, 5: NAN},                # 4: 2 missing: missing
        {2: 4, 3: 4},                    # 5: positive items at their best: 0
    ]
    t = table(es.score(frame("core10", 10, rows, 0), instrument="core10"))
    check(t, 1, "total", 8)
    check(t, 2, "total", 12)
    check(t, 3, "total", 20, n=9, prorated=True)
    check(t, 4, "total", NAN, n=8, reason="too_many_missing")
    check(t, 5, "total", 0)


# ============================================================================ result object
def test_result_columns_meta_summary_and_wide():
    m = frame("gad7", 7, [{}, {1: NAN}, {1: NAN, 2: NAN}, {3: 3}], 1)
    m["episode_id"] = ["e1", "e2", "e3", "e4"]
    m["occasion"] = ["pre", "post", "pre", "post"]
    res = es.score(m, instrument="gad7")
    assert list(res.scores.columns) == [
        "client_id", "episode_id", "instrument", "date", "occasion",
        "scale", "score", "n_answered", "prorated", "reason",
    ]
    assert res.meta["instrument"] == "gad7" and res.meta["key_status"] == "verified"
    assert res.meta["source"] == "shipped" and res.meta["overrides_shipped"] is False
    assert res.meta["n_prorated"] == 1 and res.meta["n_missing"] == {"too_many_missing": 1}
    assert res.meta["n_administrations"] == 4 and res.meta["exclusions"] == {}
    summ = res.summary()
    assert summ.to_dict("records") == [
        {"scale": "total", "n": 3, "n_prorated": 1, "n_missing": 1, "mean": pytest.approx(23 / 3),
         "sd": pytest.approx(math.sqrt(((7 - 23 / 3) ** 2 * 2 + (9 - 23 / 3) ** 2) / 2))}
    ]
    wide = res.wide()
    assert list(wide.columns) == ["client_id", "episode_id", "instrument", "date", "occasion", "total"]
    assert wide["total"].tolist()[:2] == [7.0, 7.0]
    assert res.to_dict()["meta"]["instrument"] == "gad7"
    assert list(res.format(lang="nl").columns) == ["Schaal", "n", "n naar rato", "n ontbrekend", "Gem.", "SD"]
    assert "Scores" in repr(res)


def test_other_instruments_in_the_table_are_counted_not_scored():
    m = pd.concat([frame("gad7", 7, [{}, {}], 1), frame("phq9", 10, [{}], 1)], ignore_index=True)
    res = es.score(m, instrument="gad7")
    assert len(res.scores) == 2
    assert res.meta["exclusions"] == {"other_instrument": 1} and res.meta["n_original"] == 3


def test_input_is_not_modified():
    m = frame("core10", 10, [{2: 1, 3: NAN}, {}], 0)
    before = m.copy(deep=True)
    es.score(m, instrument="core10")
    pd.testing.assert_frame_equal(m, before)


def test_nullable_integer_item_columns_are_accepted():
    m = frame("gad7", 7, [{}, {1: NAN}], 1)
    items = [f"item_{i}" for i in range(1, 8)]
    m[items] = m[items].astype("Int64")
    assert es.score(m, instrument="gad7").scores["score"].tolist() == [7.0, 7.0]


def test_scales_argument_selects_and_orders():
    res = es.score(frame("dass21", 21, [{}], 1), instrument="dass21", scales=["stress", "anxiety"])
    assert res.scores["scale"].astype(str).tolist() == ["stress", "anxiety"]
    assert es.score(frame("dass21", 21, [{}], 1), instrument="dass21", scales="stress").scores["score"].tolist() == [7.0]


# ============================================================================ errors
def test_out_of_range_code_names_row_item_and_value_but_not_client_or_date():
    m = frame("scl90_nl", 90, [{}, {17: 0}], 1)  # 0 is not a Dutch SCL-90 code (1-5)
    with pytest.raises(DataError) as err:
        score_quiet(m, instrument="scl90_nl")
    msg = str(err.value)
    assert "row 1 item_17: administration 2 of 2" in msg
    assert "c2" not in msg and "2024" not in msg  # no client id or date (Privacy & integrity VAL-5)
    assert "found 0.0, expected a whole number from 1 to 5, or empty" in msg
    assert err.value.column == "item_17" and err.value.value == 0.0


def test_non_integer_and_text_codes_are_errors():
    with pytest.raises(DataError, match=r"row 0 item_3: administration 1 of 1: item code out of range for gad7: found 2\.5"):
        es.score(frame("gad7", 7, [{3: 2.5}], 1), instrument="gad7")
    m = frame("gad7", 7, [{}, {}], 1)
    m["item_5"] = pd.Series(["1", "x"], dtype=object)
    with pytest.raises(DataError, match=r"row 1 item_5: administration 2 of 2: item code is not a number: found 'x'"):
        es.score(m, instrument="gad7")
    m["item_5"] = pd.Series(["1", "2"], dtype=object)  # numbers stored as text are fine
    assert es.score(m, instrument="gad7").scores["score"].tolist() == [7.0, 8.0]


def test_several_bad_codes_are_counted_in_the_message():
    with pytest.raises(DataError, match=r"\(2 such values in this block of rows; the first is shown\): found 7\.0"):
        es.score(frame("gad7", 7, [{2: 7}, {4: -1}], 1), instrument="gad7")


def test_missing_item_column_and_values_beyond_the_key():
    m = frame("gad7", 7, [{}], 1).drop(columns="item_4")
    with pytest.raises(DataError, match=r"^item_4: measurements of gad7 lack this item column \(expected item_1\.\.item_7\)$"):
        es.score(m, instrument="gad7")
    m = frame("gad7", 7, [{}, {}], 1)
    m["item_8"] = [NAN, 2.0]
    with pytest.raises(DataError, match=r"row 1 item_8: administration 2 of 2: gad7 has 7 items, this column is not one of them: found 2\.0, expected empty \(items 1\.\.7 only\)"):
        es.score(m, instrument="gad7")
    m["item_8"] = NAN  # an empty extra column (wide table of several instruments) is fine
    assert len(es.score(m, instrument="gad7").scores) == 2


def test_no_rows_unknown_scale_and_wrong_types():
    with pytest.raises(DataError, match=r"instrument: no measurements of instrument 'phq9': found \['gad7'\]"):
        es.score(frame("gad7", 7, [{}], 1), instrument="phq9")
    with pytest.raises(ArgumentError, match=r"scales: got 'SD', expected one of \['total'\] for instrument gad7"):
        es.score(frame("gad7", 7, [{}], 1), instrument="gad7", scales=["SD"])
    with pytest.raises(ArgumentError, match=r"scales: got \[\], expected at least one of"):
        es.score(frame("gad7", 7, [{}], 1), instrument="gad7", scales=[])
    with pytest.raises(ArgumentError, match="each scale at most once"):
        es.score(frame("gad7", 7, [{}], 1), instrument="gad7", scales=["total", "total"])
    with pytest.raises(ArgumentTypeError, match="measurements: got list"):
        es.score([1, 2], instrument="gad7")
    with pytest.raises(ArgumentError, match="instrument: got 'gad-7'"):
        es.score(frame("gad7", 7, [{}], 1), instrument="gad-7")
    res = es.score(frame("gad7", 7, [{}], 1), instrument="gad7")
    with pytest.raises(ArgumentError, match="value: got 'x'"):
        res.wide("x")
    cut = type(res)(meta=res.meta, scores=res.scores.iloc[1:])
    with pytest.raises(ArgumentError, match="scores: got 'modified table', expected the scores as returned by es.score"):
        dass = es.score(frame("dass21", 21, [{}], 1), instrument="dass21")
        type(dass)(meta=dass.meta, scores=dass.scores.iloc[1:]).wide()
    assert cut.wide()["total"].tolist() == []  # gad7 has one scale: any subset is still whole rows


# ============================================================================ user key / norms
def _user_core10(tmp_path: Path, old: str, new: str) -> Path:
    text = (instruments.SHIPPED_DIR / "core10.yaml").read_text()
    assert old in text
    p = tmp_path / "core10_practice.yaml"
    p.write_text(text.replace(old, new), encoding="utf-8")
    return p


def test_user_yaml_with_changed_key_changes_scores_and_meta(tmp_path):
    m = frame("core10", 10, [{4: 4}], 0)
    shipped = es.score(m, instrument="core10")
    user = instruments.load(_user_core10(tmp_path, "reverse_items: [2, 3]", "reverse_items: [3, 4]"))
    res = es.score(m, instrument=user)
    # raw: item 4 = 4, others 0. Shipped (2, 3 reversed): 4 + 4 + 4 = 12.
    # User (3, 4 reversed): item 3 -> 4, item 4 -> 0, item 2 stays 0: 4
    assert shipped.scores["score"].tolist() == [12.0]
    assert res.scores["score"].tolist() == [4.0]
    assert res.meta["source"] == str(tmp_path / "core10_practice.yaml")
    assert res.meta["overrides_shipped"] is True and res.meta["reverse_items"] == [3, 4]


def test_registered_user_yaml_is_used_by_id(tmp_path):
    p = _user_core10(tmp_path, "max_missing: 1", "max_missing: 2")
    instruments.load(p, register=True)
    try:
        res = es.score(frame("core10", 10, [{1: NAN, 5: NAN}], 2), instrument="core10")
    finally:
        instruments.unregister("core10")
    # 8 answered: keyed 2 each (items 2, 3: 4 - 2 = 2) -> 16 x 10 / 8 = 20
    assert res.scores["score"].tolist() == [20.0] and res.meta["overrides_shipped"] is True


def test_user_yaml_norms_reach_the_scale(tmp_path):
    p = _user_core10(tmp_path, "reliability: {value: 0.90,", "reliability: {value: 0.81,")
    assert instruments.load(p).scales["total"].reliability.value == 0.81


# ============================================================================ T-scores
def test_t_scores_linear_and_user_norm():
    m = frame("core10", 10, [{}, {4: 4, 5: 4, 6: 4}], 0)  # totals 8 and 20
    res = es.score(m, instrument="core10")
    t = es.t_scores(res, instrument="core10", norm="general_population")
    # T = 50 + 10 (x - 4.7) / 4.8
    assert t["t_score"].tolist() == pytest.approx([50 + 10 * 3.3 / 4.8, 50 + 10 * 15.3 / 4.8])
    assert t["t_norm"].tolist() == ["general_population"] * 2
    t2 = es.t_scores(res.scores, instrument="core10", norm={"mean": 20, "sd": 6, "source": "own intake"}, scales="total")
    assert t2["t_score"].tolist() == pytest.approx([30.0, 50.0])
    d = t["t_score"].iloc[1] - t["t_score"].iloc[0]  # delta T = 10 x 12 / 4.8
    assert d == pytest.approx(25.0)


def test_t_scores_table_norm_from_user_file(tmp_path):
    p = _user_core10(
        tmp_path, "    bands:\n",
        "      own_table: {method: table, raw: [0, 10, 40], t: [30, 50, 90], source: 'test table'}\n    bands:\n",
    )
    # the t_norms block ends just before bands: append the table norm to it
    inst = instruments.load(p)
    s = pd.DataFrame({"scale": ["total"] * 3, "score": [5.0, 25.0, NAN]})
    t = es.t_scores(s, instrument=inst, norm="own_table")
    assert t["t_score"].iloc[:2].tolist() == [40.0, 70.0] and math.isnan(t["t_score"].iloc[2])


def test_t_score_errors():
    s = pd.DataFrame({"scale": ["total"], "score": [5.0]})
    with pytest.raises(ArgumentError, match=r"norm: got 'x', expected one of \['general_population', 'primary_care_counselling'\]"):
        es.t_scores(s, instrument="core10", norm="x")
    with pytest.raises(ArgumentError, match="phq9 ships no T-norms"):
        es.t_scores(s, instrument="phq9", norm="x")
    with pytest.raises(ArgumentError, match="norm: got 'x', expected one of \\[\\] for scale SD"):
        es.t_scores(s, instrument="oq45", norm="x", scales=["SD"])
    with pytest.raises(ArgumentError, match="a dict with keys mean, sd, source"):
        es.t_scores(s, instrument="phq9", norm={"mean": 1, "sd": 2}, scales="total")
    with pytest.raises(ArgumentError, match="a positive sd"):
        es.t_scores(s, instrument="phq9", norm={"mean": 1, "sd": 0, "source": "s"}, scales="total")
    with pytest.raises(ArgumentError, match="scales: got None, expected the scale"):
        es.t_scores(s, instrument="phq9", norm={"mean": 1, "sd": 2, "source": "s"})
    with pytest.raises(ArgumentError, match="missing 'score'"):
        es.t_scores(s[["scale"]], instrument="core10", norm="general_population")
    with pytest.raises(ArgumentTypeError, match="scores: got list"):
        es.t_scores([1], instrument="core10", norm="general_population")
    with pytest.raises(ArgumentTypeError, match="norm: got int"):
        es.t_scores(s, instrument="core10", norm=5)


# ============================================================================ properties
CODES_15 = arrays(np.float64, st.tuples(st.integers(1, 12), st.just(90)),
                  elements=st.one_of(st.integers(1, 5).map(float), st.just(NAN)))


# examples: 1-12 administrations of 90 items each: a trial run (derandomized) reached complete,
# prorated and missing scale scores and several rows per table within 10 examples, as at 200
@examples(20)
@given(CODES_15, st.randoms(use_true_random=False))
def test_scoring_is_invariant_to_row_order(x, rnd):
    m = pd.DataFrame(x, columns=[f"item_{i}" for i in range(1, 91)])
    m.insert(0, "client_id", [f"c{i:02d}" for i in range(len(m))])
    perm = list(range(len(m)))
    rnd.shuffle(perm)
    a = score_quiet(m, instrument="scl90_nl").scores
    b = score_quiet(m.iloc[perm], instrument="scl90_nl").scores
    key = ["client_id", "scale"]
    a = a.sort_values(key).reset_index(drop=True)
    b = b.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


@pytest.fixture(scope="module")
def scl90_nl_04(tmp_path_factory):
    """The Dutch key with codes 0-4 instead of 1-5 (a user file; same items)."""
    text = (instruments.SHIPPED_DIR / "scl90_nl.yaml").read_text()
    text = text.replace("item_min: 1\nitem_max: 5", "item_min: 0\nitem_max: 4").replace("id: scl90_nl", "id: scl90_nl_04")
    p = tmp_path_factory.mktemp("keys") / "scl90_nl_04.yaml"
    p.write_text(text)
    return instruments.load(p)


# examples: as the row-order property: complete, prorated and missing scale scores all occur within
# 10 examples of 1-12 administrations x 90 items
@examples(20)
@given(x=CODES_15)
def test_shifting_1_5_codes_to_0_4_lowers_each_sum_by_the_answered_items(scl90_nl_04, x):
    m = pd.DataFrame(x, columns=[f"item_{i}" for i in range(1, 91)])
    m.insert(0, "client_id", [f"c{i:02d}" for i in range(len(m))])
    a = score_quiet(m, instrument="scl90_nl").scores
    b = score_quiet(m.assign(**{c: m[c] - 1 for c in m.columns[1:]}), instrument=scl90_nl_04).scores
    assert (a["n_answered"].to_numpy() == b["n_answered"].to_numpy()).all()
    assert (a["score"].isna() == b["score"].isna()).all()
    ok = a["score"].notna().to_numpy()
    diff = (a["score"] - b["score"]).to_numpy()[ok]
    n_ans = a["n_answered"].to_numpy()[ok]
    n_items = a["scale"].astype(str).map({k: len(s.items) for k, s in instruments.get("scl90_nl").scales.items()})
    # the sum over the answered items drops by exactly n_answered; a prorated sum rescales that
    # drop by n_items / n_answered
    expected = n_ans * (n_items.to_numpy()[ok] / n_ans)
    unprorated = ~a["prorated"].to_numpy()[ok]
    assert np.allclose(diff[unprorated], n_ans[unprorated], rtol=0, atol=1e-9)
    assert np.allclose(diff, expected, rtol=0, atol=1e-9)


# examples: 1-8 administrations x 10 items, half the codes missing: complete, prorated (1 missing)
# and missing scores all occur within the first examples
@examples(30)
@given(arrays(np.float64, st.tuples(st.integers(1, 8), st.just(10)),
              elements=st.one_of(st.integers(0, 4).map(float), st.just(NAN))))
def test_core10_scores_stay_in_range_and_missing_has_a_reason(x):
    m = pd.DataFrame(x, columns=[f"item_{i}" for i in range(1, 11)])
    m.insert(0, "client_id", [f"c{i}" for i in range(len(m))])
    s = es.score(m, instrument="core10").scores
    ok = s["score"].notna()
    assert s.loc[ok, "score"].between(0, 40).all()
    assert s.loc[ok, "reason"].isna().all() and s.loc[~ok, "reason"].notna().all()
    assert ((10 - s["n_answered"] > 1) == ~ok).all()


# ============================================================================ independent R check
def test_scores_against_independent_r():
    """es.score vs. a base-R re-implementation (tests/reference/scoring_independent.R).

    The R script types the SCL-90-R, Dutch SCL-90 and OQ-45 keys from instruments.md and applies
    the documented missing-item rules itself, on 300 synthetic administrations per instrument
    with mixed missingness.  Tolerance 1e-9 absolute (R writes 15 significant digits); the
    pattern of missing scores must be identical.
    """
    ref_dir = Path(__file__).parents[1] / "reference"
    ref = pd.read_csv(ref_dir / "scoring_independent_output.csv")
    scl = pd.read_csv(ref_dir / "scoring_items_scl90.csv")
    oq = pd.read_csv(ref_dir / "scoring_items_oq45.csv")
    items = [c for c in scl.columns if c.startswith("item_")]
    got = pd.concat([
        es.score(scl, instrument="scl90r").scores,
        score_quiet(scl.assign(**{c: scl[c] + 1 for c in items}), instrument="scl90_nl").scores,
        es.score(oq, instrument="oq45").scores,
    ])[["client_id", "instrument", "scale", "score"]].astype({"instrument": str, "scale": str})
    m = ref.merge(got, on=["client_id", "instrument", "scale"], suffixes=("_r", "_py"), how="outer", indicator=True)
    assert (m["_merge"] == "both").all() and len(m) == 300 * (13 + 10 + 4)
    a, b = m["score_r"].to_numpy(), m["score_py"].to_numpy()
    assert (np.isnan(a) == np.isnan(b)).all()
    assert 200 < np.isnan(a).sum() < 2000  # every missing-item branch is exercised
    assert np.nanmax(np.abs(a - b)) < 1e-9
