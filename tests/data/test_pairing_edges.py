"""Edges of es.pair_prepost: window ends, a measurement two claims tie for, zero-day pairs
(issue 21, items 6-8).

Dates are whole days at midnight, so the days from the start or end date are exact whole
numbers and "exactly 30 days before the end" is an exact equality.  The documented rules
(module docstring of ``effectstudy.data.pairing``): pre window -30..+14 days from the
start, post window -30..+30 days from the end, both inclusive; the post strictly after the
pre; a measurement two assignments tie for goes to the pre of the later episode.
"""

from __future__ import annotations

import pandas as pd
import pytest

import effectstudy as es

START = pd.Timestamp("2024-03-01")
END = pd.Timestamp("2024-09-01")
DAY = pd.Timedelta(days=1)


def _episodes(n: int) -> pd.DataFrame:
    return pd.DataFrame({"episode_id": [f"e{i}" for i in range(n)],
                         "client_id": [f"c{i}" for i in range(n)],
                         "start_date": [START] * n, "end_date": [END] * n})


def _scores(rows: list[tuple[str, pd.Timestamp, float]]) -> pd.DataFrame:
    return pd.DataFrame({"client_id": [c for c, _, _ in rows], "scale": "total",
                         "date": pd.to_datetime([d for _, d, _ in rows]),
                         "score": [s for _, _, s in rows]})


def _status(res) -> dict[str, str]:
    p = res.patients
    return dict(zip(p["episode_id"], p["status"].astype(str), strict=True))


POST_OFFSETS = [-31, -30, -29, 29, 30, 31]


def test_post_exactly_30_days_before_or_after_the_end_is_paired():
    """Post window -30..+30 days, inclusive: -30 and +30 pair, -31 and +31 do not."""
    ep = _episodes(len(POST_OFFSETS))
    rows = []
    for i, off in enumerate(POST_OFFSETS):
        rows += [(f"c{i}", START, 20.0), (f"c{i}", END + off * DAY, 10.0)]
    res = es.pair_prepost(_scores(rows), ep, scale="total")
    expected = {f"e{i}": "paired" if abs(off) <= 30 else "outside_window"
                for i, off in enumerate(POST_OFFSETS)}
    assert _status(res) == expected
    post = res.data[res.data["time"] == "post"].set_index("episode_id")["days_from_end"]
    assert post.to_dict() == {f"e{i}": off for i, off in enumerate(POST_OFFSETS) if abs(off) <= 30}


PRE_OFFSETS = [-31, -30, -29, 13, 14, 15]


def test_pre_exactly_30_days_before_or_14_days_after_the_start_is_paired():
    """Pre window -30..+14 days, inclusive: -30 and +14 pair, -31 and +15 do not."""
    ep = _episodes(len(PRE_OFFSETS))
    rows = []
    for i, off in enumerate(PRE_OFFSETS):
        rows += [(f"c{i}", START + off * DAY, 20.0), (f"c{i}", END, 10.0)]
    res = es.pair_prepost(_scores(rows), ep, scale="total")
    expected = {f"e{i}": "paired" if -30 <= off <= 14 else "outside_window"
                for i, off in enumerate(PRE_OFFSETS)}
    assert _status(res) == expected
    pre = res.data[res.data["time"] == "pre"].set_index("episode_id")["days_from_start"]
    assert pre.to_dict() == {f"e{i}": off for i, off in enumerate(PRE_OFFSETS)
                             if -30 <= off <= 14}


def test_post_on_the_same_timestamp_as_the_pre_is_not_a_pair():
    """The post must be strictly later than the pre: two administrations with the same
    timestamp give no zero-day pair; one second later is a pair."""
    t0 = START + 3 * DAY  # in the pre window (+3) and in the post window of a short episode
    ep = pd.DataFrame({"episode_id": ["same", "later"], "client_id": ["a", "b"],
                       "start_date": [START, START], "end_date": [START + 20 * DAY] * 2})
    sc = _scores([("a", t0, 20.0), ("a", t0, 12.0),
                  ("b", t0, 20.0), ("b", t0 + pd.Timedelta(seconds=1), 12.0)])
    res = es.pair_prepost(sc, ep, scale="total")
    assert _status(res) == {"same": "no_post", "later": "paired"}
    later = res.patients.set_index("episode_id").loc["later"]
    assert (later["pre_score"], later["post_score"]) == (20.0, 12.0)
    assert "same" not in set(res.data["episode_id"])


@pytest.mark.parametrize(("gap_to_end", "owner"), [
    # 5 days after e1's end and 5 days before e2's start: a tie
    pytest.param(5, "pre of e2", id="tie"),
    pytest.param(4, "post of e1", id="nearer_e1_end"),
    pytest.param(6, "pre of e2", id="nearer_e2_start"),
])
def test_measurement_tied_between_post_and_next_pre_goes_to_the_pre_of_the_later_episode(
        gap_to_end, owner):
    """One client, two episodes 10 days apart; the measurement M between them is the
    nearest candidate for e1's post and for e2's pre.  Equal distances: the pre of the
    later episode keeps it and e1 takes its next candidate (10 days before its end)."""
    e1_end = pd.Timestamp("2024-06-01")
    e2_start = e1_end + 10 * DAY
    m = e1_end + gap_to_end * DAY
    ep = pd.DataFrame({"episode_id": ["e1", "e2"], "client_id": ["c", "c"],
                       "start_date": [pd.Timestamp("2024-01-01"), e2_start],
                       "end_date": [e1_end, pd.Timestamp("2024-12-01")]})
    sc = _scores([("c", pd.Timestamp("2024-01-01"), 30.0),   # e1 pre
                  ("c", e1_end - 10 * DAY, 21.0),            # e1's second-nearest post
                  ("c", m, 15.0),                             # M
                  ("c", e2_start + 12 * DAY, 25.0),           # e2's second-nearest pre
                  ("c", pd.Timestamp("2024-12-01"), 9.0)])    # e2 post
    res = es.pair_prepost(sc, ep, scale="total")
    p = res.patients.set_index("episode_id")
    assert _status(res) == {"e1": "paired", "e2": "paired"}
    if owner == "pre of e2":
        assert (p.loc["e1", "post_score"], p.loc["e2", "pre_score"]) == (21.0, 15.0)
    else:
        assert (p.loc["e1", "post_score"], p.loc["e2", "pre_score"]) == (15.0, 25.0)
