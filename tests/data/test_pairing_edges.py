"""Edges of es.pair_prepost: window ends, a measurement two claims tie for, zero-day pairs
(issue 21, items 6-8); the post rules ``end_only`` and ``last_measurement`` at the window ends,
with interim measurements only, an interim after the post and two posts (issue 17).

Dates are whole days at midnight, so the days from the start or end date are exact whole
numbers and "exactly 30 days before the end" is an exact equality.  The documented rules
(module docstring of ``effectstudy.data.pairing``): pre window -30..+14 days from the
start, post window -30..+30 days from the end, both inclusive; the post strictly after the
pre; a measurement two assignments tie for goes to the pre of the later episode.  The post
rule: ``end_only`` takes only an end measurement (occasion ``post``), the one nearest to the
end date (ties: the later); ``last_measurement`` the last measurement in the post window,
whatever its occasion.
"""

from __future__ import annotations

import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError

START = pd.Timestamp("2024-03-01")
END = pd.Timestamp("2024-09-01")
DAY = pd.Timedelta(days=1)


def _episodes(n: int) -> pd.DataFrame:
    return pd.DataFrame({"episode_id": [f"e{i}" for i in range(n)],
                         "client_id": [f"c{i}" for i in range(n)],
                         "start_date": [START] * n, "end_date": [END] * n})


def _scores(rows: list[tuple]) -> pd.DataFrame:
    """Rows ``(client, date, score)`` or ``(client, date, score, occasion)``; the occasion is
    ``post`` when not given (any row may then be the post; the pre is chosen by date)."""
    return pd.DataFrame({"client_id": [r[0] for r in rows], "scale": "total",
                         "date": pd.to_datetime([r[1] for r in rows]),
                         "score": [r[2] for r in rows],
                         "occasion": [r[3] if len(r) > 3 else "post" for r in rows]})


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
    expected = {f"e{i}": "paired" if abs(off) <= 30 else "post_outside_window"
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
    expected = {f"e{i}": "paired" if -30 <= off <= 14 else "pre_outside_window"
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


# -- the post rule (issue 17) -------------------------------------------------------------------
RULES = ["end_only", "last_measurement"]


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("occasion", ["post", "interim"])
def test_post_window_ends_under_both_rules(rule, occasion):
    """An end or an interim measurement exactly 30 days before/after the end and one day
    further out.  Under ``last_measurement`` both occasions pair inside -30..+30 and are
    ``post_outside_window`` beyond it; under ``end_only`` an interim is never a post
    (``no_post``), an end measurement behaves as the window says."""
    ep = _episodes(len(POST_OFFSETS)).assign(end_reason="dropout")
    rows = []
    for i, off in enumerate(POST_OFFSETS):
        rows += [(f"c{i}", START, 20.0, "pre"), (f"c{i}", END + off * DAY, 10.0, occasion)]
    res = es.pair_prepost(_scores(rows), ep, scale="total", post_rule=rule)
    inside = {f"e{i}": abs(off) <= 30 for i, off in enumerate(POST_OFFSETS)}
    if rule == "end_only" and occasion == "interim":
        expected = dict.fromkeys(inside, "no_post")
    else:
        expected = {k: "paired" if v else "post_outside_window" for k, v in inside.items()}
    assert _status(res) == expected
    n_interim = 4 if (rule, occasion) == ("last_measurement", "interim") else 0
    assert (res.meta["n_interim_as_post"], res.meta["n_interim_as_post_dropout"]) == (n_interim, n_interim)
    # end_only: the 6 episodes whose only later measurement is an interim one
    assert res.meta["n_no_post_interim_only"] == (6 if expected["e0"] == "no_post" else 0)
    assert res.meta["post_rule"] == rule


@pytest.mark.parametrize("rule", RULES)
def test_pre_window_ends_under_both_rules(rule):
    """Pre window -30..+14: the rule does not touch the pre (an interim at the window end is a
    pre as well); -31 and +15 are ``pre_outside_window`` under either rule."""
    ep = _episodes(len(PRE_OFFSETS))
    rows = []
    for i, off in enumerate(PRE_OFFSETS):
        rows += [(f"c{i}", START + off * DAY, 20.0, "pre" if i % 2 else "interim"),
                 (f"c{i}", END, 10.0, "post")]
    res = es.pair_prepost(_scores(rows), ep, scale="total", post_rule=rule)
    assert _status(res) == {f"e{i}": "paired" if -30 <= off <= 14 else "pre_outside_window"
                            for i, off in enumerate(PRE_OFFSETS)}


def _interim_only():
    """e_in: pre and an interim 10 days before the end (in the post window), a dropout;
    e_out: pre and an interim 60 days before the end (outside it), a regular end;
    e_none: a pre only."""
    ep = pd.DataFrame({"episode_id": ["e_in", "e_out", "e_none"], "client_id": ["a", "b", "c"],
                       "start_date": [START] * 3, "end_date": [END] * 3,
                       "end_reason": ["dropout", "regular", "regular"]})
    sc = _scores([("a", START, 20.0, "pre"), ("a", END - 10 * DAY, 14.0, "interim"),
                  ("b", START, 20.0, "pre"), ("b", END - 60 * DAY, 15.0, "interim"),
                  ("c", START, 20.0, "pre")])
    return ep, sc


def test_only_interim_measurements_under_end_only_are_no_post():
    ep, sc = _interim_only()
    res = es.pair_prepost(sc, ep, scale="total", post_rule="end_only")
    assert _status(res) == {"e_in": "no_post", "e_out": "no_post", "e_none": "no_post"}
    assert res.meta["n_no_post_interim_only"] == 2  # e_none has no later measurement at all
    assert res.data.empty and res.meta["n_interim_as_post"] == 0
    assert res.flow.to_dict("records") == [{"status": "no_post", "n": 3}]


def test_only_interim_measurements_under_last_measurement_pair_and_are_counted():
    ep, sc = _interim_only()
    res = es.pair_prepost(sc, ep, scale="total", post_rule="last_measurement")
    assert _status(res) == {"e_in": "paired", "e_out": "post_outside_window", "e_none": "no_post"}
    p = res.patients.set_index("episode_id")
    assert (p.loc["e_in", "post_score"], p.loc["e_in", "post_occasion"]) == (14.0, "interim")
    assert (res.meta["n_interim_as_post"], res.meta["n_interim_as_post_dropout"]) == (1, 1)
    assert res.meta["n_no_post_interim_only"] == 0
    assert "1 of the 1 pairs the post is not an end measurement (1 of them dropouts)" in res.meta_lines("en")[-1]


@pytest.mark.parametrize(("rule", "post", "occasion", "n_interim"), [
    ("end_only", 12.0, "post", 0), ("last_measurement", 11.0, "interim", 1)])
def test_an_interim_after_the_post(rule, post, occasion, n_interim):
    """Post 5 days before the end, an interim 3 days after it (both in the window): the end
    measurement under ``end_only``, the later interim under ``last_measurement``."""
    ep = _episodes(1)
    sc = _scores([("c0", START, 20.0, "pre"), ("c0", END - 5 * DAY, 12.0, "post"),
                  ("c0", END + 3 * DAY, 11.0, "interim")])
    res = es.pair_prepost(sc, ep, scale="total", post_rule=rule)
    p = res.patients.iloc[0]
    assert (p["status"], p["post_score"], p["post_occasion"]) == ("paired", post, occasion)
    assert res.meta["n_interim_as_post"] == n_interim
    # no end_reason column: nothing is a dropout
    assert res.meta["n_interim_as_post_dropout"] == 0


@pytest.mark.parametrize(("rule", "offsets", "chosen"), [
    ("end_only", (-10, 20), -10),          # nearest to the end date
    ("last_measurement", (-10, 20), 20),   # the last
    ("end_only", (-5, 5), 5),              # equally near: the later
    ("last_measurement", (-5, 5), 5),
])
def test_two_posts(rule, offsets, chosen):
    ep = _episodes(1)
    sc = _scores([("c0", START, 20.0, "pre")] + [("c0", END + o * DAY, 10.0 + o, "post") for o in offsets])
    res = es.pair_prepost(sc, ep, scale="total", post_rule=rule)
    post = res.data[res.data["time"] == "post"].iloc[0]
    assert (post["days_from_end"], post["score"]) == (chosen, 10.0 + chosen)
    assert res.meta["n_interim_as_post"] == 0


def test_every_status_is_reached_once_and_the_flow_adds_up():
    """One episode per status; the flow lists them in the order of ``STATUSES`` and adds up."""
    from effectstudy.data.pairing import STATUSES

    ep = pd.DataFrame({"episode_id": list("abcdefghi"), "client_id": list("abcdefggi"),
                       "start_date": [START] * 7 + [END + 5 * DAY, START],
                       "end_date": [END] * 5 + [pd.NaT, END, END + 200 * DAY, END]})
    sc = _scores([
        ("a", START, 20.0, "pre"), ("a", END, 10.0, "post"),                 # a: paired
        # b: no score at all (no_pre)
        ("c", START, float("nan"), "pre"), ("c", END, 10.0, "post"),         # c: scale_missing
        ("d", START - 40 * DAY, 20.0, "pre"), ("d", END, 10.0, "post"),      # d: pre_outside_window
        ("e", START, 20.0, "pre"), ("e", END + 40 * DAY, 10.0, "post"),      # e: post_outside_window
        ("f", START, 20.0, "pre"),                                           # f: episode_open
        # g: paired; its post (1 day after its end) is h's only pre candidate (4 days before
        # h's start), g's claim is nearer: h is measurement_shared
        ("g", START, 20.0, "pre"), ("g", END + DAY, 11.0, "post"), ("g", END + 200 * DAY, 9.0, "post"),
        ("i", START, 20.0, "pre"), ("i", END, 12.0, "interim"),              # i: no_post (end_only)
    ])
    res = es.pair_prepost(sc, ep, scale="total")
    assert _status(res) == {"a": "paired", "b": "no_pre", "c": "scale_missing", "d": "pre_outside_window",
                            "e": "post_outside_window", "f": "episode_open", "g": "paired",
                            "h": "measurement_shared", "i": "no_post"}
    assert list(res.flow["status"]) == list(STATUSES)
    assert res.flow["n"].sum() == len(ep) == len(res.patients)
    assert res.meta["exclusions"] == {s: 1 for s in STATUSES if s != "paired"}
    assert res.meta["n_no_post_interim_only"] == 1
    # under last_measurement i pairs with its interim; the other statuses stay
    last = _status(es.pair_prepost(sc, ep, scale="total", post_rule="last_measurement"))
    assert last == {**_status(res), "i": "paired"}


def test_end_only_needs_occasions_and_last_measurement_says_what_it_cannot_count():
    ep = _episodes(1)
    sc = _scores([("c0", START, 20.0), ("c0", END, 10.0)]).drop(columns="occasion")
    with pytest.raises(ArgumentError, match=r"post_rule: got 'end_only', expected scores with an "
                       r"'occasion' column .*the total scores record no occasion.*post_rule='last_measurement'"):
        es.pair_prepost(sc, ep, scale="total")
    with pytest.raises(ArgumentError, match="record no occasion"):  # a column with no value is none
        es.pair_prepost(sc.assign(occasion=None), ep, scale="total")
    res = es.pair_prepost(sc, ep, scale="total", post_rule="last_measurement")
    assert res.meta["n_used"] == 1 and res.meta["n_interim_as_post"] is None
    assert "is unknown" in res.meta_lines("en")[-1] and "onbekend" in res.meta_lines("nl")[-1]


def test_an_unknown_post_rule_is_refused():
    ep = _episodes(1)
    with pytest.raises(ArgumentError, match=r"post_rule: got 'last', expected one of \['end_only', "
                                               r"'last_measurement'\]"):
        es.pair_prepost(_scores([("c0", START, 20.0)]), ep, scale="total", post_rule="last")


@pytest.mark.parametrize(("occasion", "end_only", "last_measurement"), [
    ("interim", "no_post", "scale_missing"), ("post", "scale_missing", "scale_missing")])
def test_an_unscorable_measurement_in_the_post_window_counts_only_if_the_rule_takes_it(
        occasion, end_only, last_measurement):
    """Pre and one unscorable measurement at the end date: ``scale_missing`` when the rule would
    have taken it as the post, ``no_post`` when it would not (an interim under ``end_only``)."""
    ep = _episodes(1)
    sc = _scores([("c0", START, 20.0, "pre"), ("c0", END, float("nan"), occasion)])
    for rule, want in (("end_only", end_only), ("last_measurement", last_measurement)):
        assert _status(es.pair_prepost(sc, ep, scale="total", post_rule=rule)) == {"e0": want}, rule
