"""Pre/post pairing of episodes: rules, reasons, flow, errors, and a brute-force check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError

D = pd.Timestamp


def episodes(rows):
    df = pd.DataFrame(rows, columns=["episode_id", "client_id", "start_date", "end_date"])
    df["start_date"] = pd.to_datetime(df["start_date"])
    df["end_date"] = pd.to_datetime(df["end_date"])
    return df


def scores(rows, scale="GSI", occasion="post"):
    """Long scores; every row has occasion ``post`` unless told, so that any of them may be the
    post under the default ``end_only`` rule (the pre is chosen by date whatever its occasion):
    these tests are about dates and windows, the occasions have their own tests."""
    df = pd.DataFrame(rows, columns=["client_id", "date", "score"])
    df["date"] = pd.to_datetime(df["date"])
    df["scale"] = scale
    df["occasion"] = occasion
    return df


def status(pr):
    return dict(zip(pr.episodes["episode_id"], pr.episodes["status"].astype(str), strict=True))


def test_every_reason_and_the_flow_adds_up():
    ep = episodes([
        ("paired", "c1", "2024-01-10", "2024-04-01"),
        ("nopre", "c2", "2024-01-10", "2024-04-01"),
        ("missing", "c3", "2024-01-10", "2024-04-01"),
        ("outside", "c4", "2024-01-10", "2024-04-01"),
        ("open", "c5", "2024-01-10", None),
        ("nopost", "c6", "2024-01-10", "2024-04-01"),
        ("late", "c7", "2024-01-10", "2024-04-01"),
    ])
    sc = scores([
        ("c1", "2024-01-05", 2.0), ("c1", "2024-04-10", 1.0),
        ("c3", "2024-01-12", np.nan), ("c3", "2024-04-01", 1.0),
        ("c4", "2023-10-01", 2.0),
        ("c5", "2024-01-10", 2.0),
        ("c6", "2024-01-10", 2.0),
        ("c7", "2024-01-10", 2.0), ("c7", "2024-06-01", 1.0),
    ])
    pr = es.pair_prepost(sc, ep, scale="GSI")
    assert status(pr) == {"paired": "paired", "nopre": "no_pre", "missing": "scale_missing",
                          "outside": "pre_outside_window", "open": "episode_open",
                          "nopost": "no_post", "late": "post_outside_window"}
    assert pr.flow["n"].sum() == len(ep)
    assert pr.meta["n_used"] == 1 and pr.meta["n_original"] == 7
    assert list(pr.data["time"]) == ["pre", "post"]
    assert list(pr.data["score"]) == [2.0, 1.0]
    assert list(pr.data["days_from_start"]) == [-5, 91]
    assert list(pr.data["days_from_end"]) == [-87, 9]


def test_nearest_measurement_within_window_and_ties():
    ep = episodes([("e", "c", "2024-03-01", "2024-06-01")])
    sc = scores([("c", "2024-02-20", 5.0), ("c", "2024-02-28", 4.0), ("c", "2024-03-03", 3.0),
                 ("c", "2024-05-30", 2.0), ("c", "2024-06-03", 1.0), ("c", "2024-06-25", 0.5)])
    pr = es.pair_prepost(sc, ep, scale="GSI")
    # pre: -2 days and +2 days tie -> the earlier; post: -2 and +2 tie -> the later
    assert list(pr.data["score"]) == [4.0, 1.0]


def test_window_bounds_are_inclusive_and_configurable():
    ep = episodes([("e", "c", "2024-03-01", "2024-06-01")])
    sc = scores([("c", "2024-01-31", 3.0), ("c", "2024-07-01", 1.0)])  # -30 and +30 days
    assert status(es.pair_prepost(sc, ep, scale="GSI"))["e"] == "paired"
    pr = es.pair_prepost(sc, ep, scale="GSI", pre_window=(-29, 14))
    assert status(pr)["e"] == "pre_outside_window"
    pr = es.pair_prepost(sc, ep, scale="GSI", post_window=(-30, 29))
    assert status(pr)["e"] == "post_outside_window"


def test_client_with_two_episodes_gets_two_pairs():
    ep = episodes([("e1", "c", "2023-01-01", "2023-06-01"),
                   ("e2", "c", "2024-01-01", "2024-06-01")])
    sc = scores([("c", "2023-01-02", 3.0), ("c", "2023-06-02", 2.0),
                 ("c", "2024-01-02", 2.5), ("c", "2024-06-02", 1.5)])
    pr = es.pair_prepost(sc, ep, scale="GSI")
    assert pr.meta["n_used"] == 2
    assert list(pr.data["episode_id"]) == ["e1", "e1", "e2", "e2"]
    assert list(pr.data["score"]) == [3.0, 2.0, 2.5, 1.5]


def test_a_measurement_serves_only_one_episode():
    # e1 ends 2024-03-01, e2 starts 2024-03-05; one measurement on 2024-03-04 is nearest
    # to both (post of e1 at +3 days, pre of e2 at -1 day): e2's pre keeps it.
    ep = episodes([("e1", "c", "2024-01-01", "2024-03-01"),
                   ("e2", "c", "2024-03-05", "2024-06-01")])
    sc = scores([("c", "2024-01-01", 3.0), ("c", "2024-02-20", 2.6), ("c", "2024-03-04", 2.5),
                 ("c", "2024-06-01", 1.5)])
    pr = es.pair_prepost(sc, ep, scale="GSI")
    eps = pr.episodes.set_index("episode_id")
    assert eps.loc["e2", "pre_score"] == 2.5
    # e1 falls back to its next-nearest candidate in the window (-10 days)
    assert eps.loc["e1", "post_score"] == 2.6
    used = pr.data.groupby(["date"]).size()
    assert used.max() == 1


def test_shared_measurement_without_alternative_is_counted():
    ep = episodes([("e1", "c", "2024-01-01", "2024-03-01"),
                   ("e2", "c", "2024-03-05", "2024-06-01")])
    sc = scores([("c", "2024-01-01", 3.0), ("c", "2024-03-04", 2.5), ("c", "2024-06-01", 1.5)])
    pr = es.pair_prepost(sc, ep, scale="GSI")
    assert status(pr) == {"e1": "measurement_shared", "e2": "paired"}


def test_episode_id_on_scores_restricts_candidates():
    ep = episodes([("e1", "c", "2024-01-01", "2024-03-01"),
                   ("e2", "c", "2024-01-01", "2024-03-01")])  # parallel episodes
    sc = scores([("c", "2024-01-01", 3.0), ("c", "2024-03-01", 2.0)])
    sc["episode_id"] = ["e2", "e2"]
    pr = es.pair_prepost(sc, ep, scale="GSI")
    assert status(pr) == {"e1": "no_pre", "e2": "paired"}


def test_covariates_are_carried_and_score_result_is_accepted():
    ep = episodes([("e1", "c", "2024-01-01", "2024-03-01")])
    ep["diagnosis"] = "anxiety"
    ep["treatment"] = "CBT"
    ep["therapist"] = "T1"
    sc = scores([("c", "2024-01-01", 3.0), ("c", "2024-03-01", 2.0)])

    class ScoreResult:
        def __init__(self, s):
            self.scores = s

    pr = es.pair_prepost(ScoreResult(sc), ep, scale="GSI")
    assert list(pr.data["diagnosis"]) == ["anxiety", "anxiety"]
    assert "therapist" not in pr.data  # not a default covariate (privacy)
    pr2 = es.pair_prepost(sc, ep, scale="GSI", covariates=["therapist"])
    assert list(pr2.data.columns)[-1] == "therapist"


def test_pairs_feed_the_analysis_verbs():
    rng = np.random.default_rng(5)
    n = 40
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    end = start + pd.to_timedelta(rng.integers(60, 200, n), unit="D")
    ep = pd.DataFrame({"episode_id": [f"e{i}" for i in range(n)],
                       "client_id": [f"c{i}" for i in range(n)], "start_date": start,
                       "end_date": end})
    pre = rng.normal(1.5, 0.5, n)
    sc = pd.concat([
        pd.DataFrame({"client_id": ep["client_id"], "date": start, "scale": "GSI",
                      "occasion": "pre", "score": pre}),
        pd.DataFrame({"client_id": ep["client_id"], "date": end, "scale": "GSI",
                      "occasion": "post", "score": pre - 0.3 + rng.normal(0, 0.3, n)}),
    ])
    pr = es.pair_prepost(sc, ep, scale="GSI")
    rc = es.reliable_change(pr.data, subject="episode_id", time="time", outcome="score",
                            pre="pre", post="post", reliability=0.9, better_is="lower")
    assert rc.meta["n_used"] == n


def brute_force(sc, ep, pw, qw, post_rule):
    """Straightforward per-episode loop (test oracle for data without shared measurements):
    the pre nearest the start (ties: earlier); the post strictly later, in its window, either
    the end measurement nearest the end (ties: later; ``end_only``) or the last one
    (``last_measurement``)."""
    out = {}
    for _, e in ep.iterrows():
        m = sc[(sc["client_id"] == e["client_id"]) & sc["score"].notna()]
        ds = (m["date"] - e["start_date"]).dt.days
        c = m[(ds >= pw[0]) & (ds <= pw[1])]
        if c.empty:
            out[e["episode_id"]] = None
            continue
        d = (c["date"] - e["start_date"]).dt.days.abs()
        c = c.assign(_d=d.to_numpy()).sort_values(["_d", "date"])
        pre = c.iloc[0]
        if pd.isna(e["end_date"]):
            out[e["episode_id"]] = None
            continue
        de = (m["date"] - e["end_date"]).dt.days
        c = m[(de >= qw[0]) & (de <= qw[1]) & (m["date"] > pre["date"])]
        if post_rule == "end_only":
            c = c[c["occasion"] == "post"]
        if c.empty:
            out[e["episode_id"]] = None
            continue
        if post_rule == "end_only":
            d = (c["date"] - e["end_date"]).dt.days.abs()
            c = c.assign(_d=d.to_numpy(), _neg=-c["date"].astype("int64")).sort_values(["_d", "_neg"])
        else:
            c = c.sort_values("date", ascending=False)
        out[e["episode_id"]] = (pre["score"], c.iloc[0]["score"], c.iloc[0]["occasion"])
    return out


@pytest.mark.parametrize("post_rule", ["end_only", "last_measurement"])
@pytest.mark.parametrize("seed", range(5))
def test_pairing_against_brute_force_loop(seed, post_rule):
    rng = np.random.default_rng(seed)
    n = 60
    start = pd.Timestamp("2020-01-01") + pd.to_timedelta(np.arange(n) * 1000, unit="D")
    length = rng.integers(20, 200, n)
    end = pd.Series(start + pd.to_timedelta(length, unit="D"))
    end[rng.random(n) < 0.1] = pd.NaT
    ep = pd.DataFrame({"episode_id": [f"e{i}" for i in range(n)],
                       "client_id": rng.choice(["a", "b", "c"], n),
                       "start_date": start, "end_date": end.to_numpy(),
                       "end_reason": rng.choice(["regular", "dropout"], n)})
    # measurements scattered around each episode (episodes are ~1000 days apart, so no
    # measurement can be a candidate for two episodes), each with a random occasion
    rows = []
    for i in range(n):
        k = rng.integers(0, 6)
        offs = rng.integers(-60, length[i] + 60, k)
        for o in offs:
            rows.append((ep["client_id"][i], start[i] + pd.Timedelta(days=int(o)),
                         float(rng.normal()) if rng.random() > 0.1 else np.nan,
                         rng.choice(["pre", "interim", "post"])))
    sc = pd.DataFrame(rows, columns=["client_id", "date", "score", "occasion"]).assign(scale="GSI")
    sc = sc.drop_duplicates(["client_id", "date"])
    pr = es.pair_prepost(sc, ep, scale="GSI", post_rule=post_rule)
    oracle = brute_force(sc, ep, (-30, 14), (-30, 30), post_rule)
    eps = pr.episodes.set_index("episode_id")
    for eid, exp in oracle.items():
        if exp is None:
            assert eps.loc[eid, "status"] != "paired", eid
        else:
            assert eps.loc[eid, "status"] == "paired", eid
            assert (eps.loc[eid, "pre_score"], eps.loc[eid, "post_score"],
                    eps.loc[eid, "post_occasion"]) == exp
    assert pr.flow["n"].sum() == n
    assert 0 < pr.meta["n_used"] < n  # the oracle saw both outcomes
    # the interim-as-post count is the oracle's, and so is its dropout part
    not_end = [eid for eid, exp in oracle.items() if exp is not None and exp[2] != "post"]
    assert pr.meta["n_interim_as_post"] == len(not_end)
    assert pr.meta["n_interim_as_post_dropout"] == int((ep.set_index("episode_id").loc[not_end, "end_reason"]
                                                       == "dropout").sum())
    if post_rule == "end_only":
        assert not not_end


# -- bad input -------------------------------------------------------------------------------
@pytest.fixture
def ep1():
    return episodes([("e1", "c", "2024-01-01", "2024-03-01")])


@pytest.fixture
def sc1():
    return scores([("c", "2024-01-01", 3.0), ("c", "2024-03-01", 2.0)])


def test_unknown_scale_lists_available(ep1, sc1):
    with pytest.raises(ArgumentError, match=r"scale: got 'SOM', expected one of the scales "
                                            r"in scores: \['GSI'\]"):
        es.pair_prepost(sc1, ep1, scale="SOM")


@pytest.mark.parametrize("w", [(14, -30), (-30,), "(-30, 14)", (-30.5, 14)])
def test_bad_window(ep1, sc1, w):
    with pytest.raises(ArgumentError, match="pre_window: got .*two whole numbers of days"):
        es.pair_prepost(sc1, ep1, scale="GSI", pre_window=w)


def test_dates_must_be_parsed(ep1, sc1):
    sc1["date"] = sc1["date"].dt.strftime("%d-%m-%Y")
    with pytest.raises(ArgumentTypeError, match=r"scores\['date'\].*datetime64"):
        es.pair_prepost(sc1, ep1, scale="GSI")


def test_duplicate_episode_ids(ep1, sc1):
    with pytest.raises(DataError, match=r"episode_id: duplicate episode id: found \(niet getoond: identificerend\)"):
        es.pair_prepost(sc1, pd.concat([ep1, ep1], ignore_index=True), scale="GSI")


def test_missing_columns_are_named(ep1, sc1):
    with pytest.raises(ArgumentError, match=r"scores: got \['score'\]"):
        es.pair_prepost(sc1.drop(columns="score"), ep1, scale="GSI")


def test_scale_in_two_instruments_needs_instrument(ep1, sc1):
    sc = pd.concat([sc1.assign(instrument="a"), sc1.assign(instrument="b")])
    with pytest.raises(ArgumentError, match="instrument: got None, expected one of"):
        es.pair_prepost(sc, ep1, scale="GSI")
    pr = es.pair_prepost(sc, ep1, scale="GSI", instrument="a")
    assert pr.meta["n_used"] == 1


def test_pipeline_generate_score_pair_analyse():
    """Contract check with the scoring and datasets modules: es.score(...) -> pair -> verbs."""
    import warnings

    from effectstudy import datasets

    p = datasets.generate(n_episodes=150, seed=7)
    m = p.measurements
    inst = m["instrument"].iloc[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # provisional-key warning of the scoring module
        sr = es.score(m[m["instrument"] == inst], instrument=inst)
    scale = es.instruments.get(inst).default_scale
    pr = es.pair_prepost(sr, p.episodes, scale=scale)
    assert pr.flow["n"].sum() == len(p.episodes)
    assert pr.meta["n_used"] > 0
    rc = es.reliable_change(pr.data, subject="episode_id", time="time", outcome="score",
                            pre="pre", post="post", reliability=0.9, better_is="lower")
    assert rc.meta["n_used"] == pr.meta["n_used"]


def test_delta_t_by_pairing_t_scores():
    """Pair T-scores (es.t_scores, CORE-10 general-population norm) and report delta-T."""
    ep = episodes([("e1", "c1", "2024-01-01", "2024-03-01"),
                   ("e2", "c2", "2024-01-01", "2024-03-01"),
                   ("e3", "c3", "2024-01-01", "2024-03-01")])
    sc = scores([("c1", "2024-01-01", 19.1), ("c1", "2024-03-01", 9.5),
                 ("c2", "2024-01-01", 20.0), ("c2", "2024-03-01", 12.0),
                 ("c3", "2024-01-01", 15.0), ("c3", "2024-03-01", 14.0)], scale="total")
    t = es.t_scores(sc, instrument="core10", norm="general_population")
    pr = es.pair_prepost(t, ep, scale="total", value="t_score")
    assert "t_score" in pr.data and pr.meta["value"] == "t_score"
    res = es.prepost_effect(pr.data, subject="episode_id", time="time", outcome="t_score",
                            pre="pre", post="post", method="z")
    tv = t.set_index(["client_id", "score"])["t_score"]
    expect = np.mean([tv[("c1", 9.5)] - tv[("c1", 19.1)], tv[("c2", 12.0)] - tv[("c2", 20.0)],
                      tv[("c3", 14.0)] - tv[("c3", 15.0)]])
    assert res.summary()["mean_change"].iloc[0] == pytest.approx(expect)


def test_unknown_value_column(ep1, sc1):
    with pytest.raises(ArgumentError, match=r"scores: got \['t_score'\]"):
        es.pair_prepost(sc1, ep1, scale="GSI", value="t_score")
