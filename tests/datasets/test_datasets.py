"""Tests of the synthetic practice generator and the shipped example (effectstudy.datasets).

Planted-effect tests compute item sums directly with NumPy (no scoring module) and compare
them with the generator's documented expected values.  Tolerances are stated per test; most
are 4 standard errors of the sampled statistic (a false alarm about 1 in 16,000 per check),
fixed seeds make them deterministic.
"""

from __future__ import annotations

import dataclasses
import shlex
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

import effectstudy.datasets as ds
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError, DataQualityWarning
from effectstudy.core.schema import END_REASONS, EPISODES, MEASUREMENTS, SATISFACTION
from effectstudy.datasets.export import EXPORT_FORMAT, FILES
from effectstudy.datasets.manifest import EXAMPLE, example_path, load_example, read_export
from effectstudy.datasets.practice import BLOCK
from effectstudy.datasets.responses import (
    expected_item_sum,
    expected_item_sum_normal,
    expected_item_sum_smoothed,
    item_parameters,
    sample_items,
)
from tests.budget import examples

ITEMS = [f"item_{j}" for j in range(1, 91)]
P = ds.PracticeParameters()


@pytest.fixture(scope="module")
def big() -> ds.SyntheticPractice:
    return ds.generate(n_episodes=24_000, seed=11)


def _item_sums(m: pd.DataFrame) -> np.ndarray:
    """Sum of the 90 item codes; NaN when any item is missing (complete cases only)."""
    return m[ITEMS].to_numpy(dtype=np.float64).sum(axis=1)


def _prepost(sp: ds.SyntheticPractice) -> pd.DataFrame:
    m = sp.measurements
    tot = pd.Series(_item_sums(m), index=m.index)
    pre = tot[m["occasion"] == "pre"].groupby(m.loc[m["occasion"] == "pre", "episode_id"]).first()
    post = tot[m["occasion"] == "post"].groupby(m.loc[m["occasion"] == "post", "episode_id"]).first()
    ch = (post - pre).dropna().rename("change")
    t = sp.truth.set_index("episode_id").loc[ch.index, ["diagnosis", "responder_type"]]
    return t.assign(change=ch)


def _within(observed: float, expected: float, se: float, k: float = 4.0, extra: float = 0.0):
    assert abs(observed - expected) <= k * se + extra, (
        f"observed {observed:.4f}, expected {expected:.4f}, tolerance {k} x SE {se:.4f} + {extra}"
    )


def _share_close(successes: int, n: int, p: float, extra: float = 0.0) -> None:
    se = max(np.sqrt(p * (1 - p) / n), 1e-9)
    _within(successes / n, p, se, 4.0, extra)


# ------------------------------------------------------------- determinism, chunking


def test_same_seed_gives_identical_tables_and_other_seed_differs():
    a = ds.generate(n_episodes=3000, seed=5)
    b = ds.generate(n_episodes=3000, seed=5)
    c = ds.generate(n_episodes=3000, seed=6)
    for name in ("episodes", "measurements", "satisfaction", "truth"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert not a.measurements[ITEMS].equals(c.measurements[ITEMS])
    assert not a.episodes["start_date"].equals(c.episodes["start_date"])


def test_chunk_size_never_changes_the_data():
    n = 2 * BLOCK + 700  # three blocks, the last one partial
    whole = ds.generate(n_episodes=n, seed=9)
    big_chunks = list(ds.iter_chunks(n, seed=9, chunk_size=10 * BLOCK))
    chunks = list(ds.iter_chunks(n, seed=9, chunk_size=1))  # rounded up: one block per chunk
    assert len(big_chunks) == 1 and len(chunks) == 3
    for name in ("episodes", "measurements", "satisfaction", "truth"):
        pd.testing.assert_frame_equal(getattr(whole, name), getattr(big_chunks[0], name))
        joined = pd.concat([getattr(c, name) for c in chunks], ignore_index=True)
        pd.testing.assert_frame_equal(getattr(whole, name), joined)
    # clients never straddle chunks and ids are consecutive over chunks
    ids = [set(c.episodes.client_id) for c in chunks]
    assert not (ids[0] & ids[1]) and not (ids[1] & ids[2])
    nums = whole.episodes.client_id.str[1:].astype(int).unique()
    assert np.array_equal(nums, np.arange(1, len(nums) + 1))


# examples: each example generates up to 2 blocks + 50 episodes (about 0.1 s): 25 examples give
# each chunk size (1, rounded up to a block; one block; four blocks) and year spans 2-6 several times
@pytest.mark.slow  # 25 generated practices of up to two blocks; make test runs it, the fixed-size checks stay fast
@examples(25)
@given(n=st.integers(1, 2 * BLOCK + 50), seed=st.integers(0, 2**32 - 1),
       years=st.integers(2, 6), chunk=st.sampled_from([1, BLOCK, 4 * BLOCK]))
def test_any_size_and_seed_gives_consistent_tables(n, seed, years, chunk):
    chunks = list(ds.iter_chunks(n, seed=seed, years=years, chunk_size=chunk))
    sp = ds.generate(n_episodes=n, seed=seed, years=years)
    joined = pd.concat([c.measurements for c in chunks], ignore_index=True)
    pd.testing.assert_frame_equal(joined, sp.measurements)
    e, m, s = sp.episodes, sp.measurements, sp.satisfaction
    assert len(e) == n and e.episode_id.is_unique and len(sp.truth) == n
    assert (e.sessions >= 1).all() and e.start_date.dt.year.between(2020, 2019 + years).all()
    assert (e.end_date.dropna() >= e.start_date[e.end_date.notna()]).all()
    assert set(m.episode_id) <= set(e.episode_id) and set(s.episode_id) <= set(e.episode_id)
    codes = m[ITEMS].to_numpy(np.float64)
    assert np.isin(codes[~np.isnan(codes)], [1, 2, 3, 4, 5]).all()
    # one pre and at most one post per episode; post only for ended non-dropout episodes
    per = m.groupby(["episode_id", "occasion"]).size().unstack(fill_value=0)
    for occasion, most in (("pre", 1), ("interim", 3), ("post", 1)):
        if occasion in per:
            assert per[occasion].max() <= most
    ended = e.set_index("episode_id").end_reason
    post_eps = m.episode_id[m.occasion == "post"]
    assert ended.loc[post_eps].notna().all() and not (ended.loc[post_eps] == "dropout").any()


def test_item_dtype_options_hold_the_same_codes():
    f32 = ds.generate(n_episodes=300, seed=4)
    f64 = ds.generate(n_episodes=300, seed=4, item_dtype="float64")
    i8 = ds.generate(n_episodes=300, seed=4, item_dtype="Int8")
    assert f32.measurements["item_1"].dtype == np.float32
    assert f64.measurements["item_1"].dtype == np.float64
    assert str(i8.measurements["item_1"].dtype) == "Int8"
    a = f32.measurements[ITEMS].to_numpy(np.float64)
    assert np.array_equal(a, f64.measurements[ITEMS].to_numpy(np.float64), equal_nan=True)
    assert np.array_equal(a, i8.measurements[ITEMS].to_numpy(np.float64, na_value=np.nan),
                          equal_nan=True)


# ------------------------------------------------------------- structure of the tables


def test_tables_have_canonical_columns_types_and_ranges(big):
    e, m, s = big.episodes, big.measurements, big.satisfaction
    assert list(e.columns) == list(EPISODES.names)
    assert list(m.columns) == list(MEASUREMENTS.names) + ITEMS
    assert list(s.columns) == list(SATISFACTION.names)
    assert e.episode_id.is_unique and e.episode_id.str.fullmatch(r"E\d{7}").all()
    assert e.client_id.str.fullmatch(r"C\d{7}").all()
    assert e.therapist.str.fullmatch(r"T\d{2}").all()
    assert set(e.diagnosis) == set(P.group_names())
    assert set(e.care_type.dropna()) == {"basic", "specialised"}
    assert set(e.end_reason.dropna()) <= set(END_REASONS)
    assert set(e.sex) <= {"female", "male", "other"}
    assert str(e.consent_study.dtype) == "boolean" and str(e.consent_research.dtype) == "boolean"
    assert e.start_date.dtype == "datetime64[ns]" and m.date.dtype == "datetime64[ns]"
    age = e.start_date.dt.year - e.birth_year
    assert age.between(18, 76).all()
    assert (e.end_date.dropna() >= e.start_date[e.end_date.notna()]).all()
    assert e.sessions.min() >= 1 and e.sessions.max() <= P.max_sessions
    assert (m.instrument == "scl90_nl").all()
    assert set(m.occasion) == {"pre", "interim", "post"}
    codes = m[ITEMS].to_numpy(np.float64)
    present = codes[~np.isnan(codes)]
    assert set(np.unique(present)) == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert m.episode_id.isin(e.episode_id).all() and s.episode_id.isin(e.episode_id).all()
    # measurement client matches its episode's client
    owner = e.set_index("episode_id").client_id
    assert (owner.loc[m.episode_id].to_numpy() == m.client_id.to_numpy()).all()
    g = s.grade.dropna()
    assert g.between(1, 10).all() and (g == g.round()).all()
    assert (s.returned <= s.issued).all() and s.grade[~s.returned].isna().all()


def test_sessions_span_5_to_over_20_and_follow_the_practice_rhythm(big):
    e, t = big.episodes, big.truth
    assert t.planned_sessions.min() == 5
    assert 0.02 < (e.sessions > 20).mean() < 0.15  # some beyond the planned 5-20
    done = e.end_reason.isin(["regular", "referral"]).to_numpy()
    assert (e.sessions[done] >= 5).all()
    # weekly at first, then every 2-3 weeks, then monthly follow-up: mean days per session
    # between 7 and 30 for completed episodes of 10+ sessions
    long = done & (e.sessions >= 10).to_numpy()
    days = (e.end_date - e.start_date).dt.days[long] / (e.sessions[long] - 1)
    assert days.between(7, 30).all()
    assert 10 < days.median() < 20


@pytest.mark.slow  # 100,000 episodes (10 s): the size at which the bug showed
def test_one_administration_per_client_instrument_and_day():
    """Regression: an out-of-window pre or post could fall on an interim's day (or one episode's
    post on the next one's pre), which validation then excludes as a conflicting duplicate."""
    m = ds.generate(n_episodes=100_000, seed=1).measurements  # had 42 such rows before the fix
    assert not m.duplicated(["client_id", "instrument", "date"]).any()
    assert (m.groupby("episode_id")["date"].is_monotonic_increasing).all()


def test_clients_with_two_episodes_do_not_overlap(big):
    e = big.episodes
    counts = e.client_id.value_counts()
    assert set(counts) == {1, 2}
    two = e[e.client_id.isin(counts.index[counts == 2])].sort_values(["client_id", "start_date"])
    first, second = two.iloc[0::2], two.iloc[1::2]
    assert (first.client_id.to_numpy() == second.client_id.to_numpy()).all()
    assert first.end_date.notna().all()
    assert (second.start_date.to_numpy() > first.end_date.to_numpy()).all()
    assert (first.birth_year.to_numpy() == second.birth_year.to_numpy()).all()
    share = (counts == 2).sum() / len(counts)
    _share_close(int((counts == 2).sum()), len(counts), P.second_episode_share, extra=0.01)
    assert share > 0.05


def test_open_episodes_are_few_recent_and_without_end(big):
    e, s, m = big.episodes, big.satisfaction, big.measurements
    export = pd.Timestamp(big.meta["export_date"])
    open_ = e.end_date.isna()
    assert 0.005 < open_.mean() < 0.08
    assert (e.start_date[open_] > export - pd.Timedelta(days=800)).all()
    assert e.end_reason[open_].isna().all() and e.end_reason[~open_].notna().all()
    assert not s.episode_id.isin(e.episode_id[open_]).any()
    assert not ((m.occasion == "post") & m.episode_id.isin(e.episode_id[open_])).any()
    assert (m.date <= export).all() and (e.end_date.dropna() <= export).all()
    assert big.truth.is_open.to_numpy().tolist() == open_.to_numpy().tolist()


# ------------------------------------------------------------- planted shares


def test_consent_shares_near_parameters(big):
    e = big.episodes
    n = len(e)
    # the second episode copies the client's answer unless re-asked, so the per-episode
    # marginal equals the planted per-client probabilities; tolerance 4 SE + 0.01 for the
    # within-client correlation
    cs = e.consent_study
    for value, p in zip((True, False), P.consent_study[:2], strict=True):
        _share_close(int((cs == value).sum()), n, p, extra=0.01)
    _share_close(int(cs.isna().sum()), n, P.consent_study[2], extra=0.01)
    yes = cs == True  # noqa: E712 (nullable boolean)
    cr = e.consent_research[yes]
    _share_close(int((cr == True).sum()), len(cr), P.consent_research["true"][0], extra=0.01)  # noqa: E712
    assert cr.isna().any() and (cr == False).any()  # noqa: E712


def test_end_reasons_dropouts_and_missing_post_near_parameters(big):
    e, m, t = big.episodes, big.measurements, big.truth
    early = (e.start_date.dt.year < big.meta["start_year"] + 3).to_numpy()
    assert e.end_date[early].notna().all()  # nobody from the first three years is still open
    shares = np.array([P.responder_shares[k] for k in ds.RESPONDER_TYPES])
    planted = shares @ np.array([P.end_reasons[k] for k in ds.RESPONDER_TYPES])
    for reason, p in zip(END_REASONS, planted, strict=True):
        _share_close(int((e.end_reason[early] == reason).sum()), int(early.sum()), p)
    # dropouts never have a post measurement; regular ends have one with the planted rate
    has_post = e.episode_id.isin(m.episode_id[m.occasion == "post"])
    assert not has_post[e.end_reason == "dropout"].any()
    regular = e.end_reason == "regular"
    _share_close(int(has_post[regular].sum()), int(regular.sum()), P.post_present["regular"])
    has_pre = e.episode_id.isin(m.episode_id[m.occasion == "pre"])
    _share_close(int((~has_pre).sum()), len(e), P.pre_missing, extra=0.003)
    # non-responders drop out more often than responders (planted selection)
    drop = (e.end_reason == "dropout").to_numpy()
    rt = t.responder_type.to_numpy()
    assert drop[rt == "non_responder"].mean() > 2 * drop[rt == "responder"].mean()


def test_missing_items_exercise_prorating_limits(big):
    m = big.measurements
    nmiss = np.isnan(m[ITEMS].to_numpy(np.float64)).sum(axis=1)
    n = len(m)
    _share_close(int(((nmiss >= 1) & (nmiss <= 3)).sum()), n, P.items_missing_few)
    _share_close(int((nmiss > 18).sum()), n, P.items_missing_many)  # > 20 % of 90 items
    assert nmiss.max() <= 40 and not ((nmiss > 3) & (nmiss < 19)).any()


def test_some_pre_and_post_fall_outside_the_default_pairing_windows(big):
    e = big.episodes.set_index("episode_id")
    m = big.measurements
    pre = m[m.occasion == "pre"]
    d_pre = (pre.date.to_numpy() - e.start_date.loc[pre.episode_id].to_numpy()) / np.timedelta64(1, "D")
    out_pre = (d_pre < -30) | (d_pre > 14)
    _share_close(int(out_pre.sum()), len(pre), P.outside_window)
    assert d_pre.min() >= -60 and d_pre.max() <= 45
    post = m[m.occasion == "post"]
    d_post = (post.date.to_numpy() - e.end_date.loc[post.episode_id].to_numpy()) / np.timedelta64(1, "D")
    out_post = np.abs(d_post) > 30
    _share_close(int(out_post.sum()), len(post), P.outside_window, extra=0.003)
    assert out_post.any()


def test_satisfaction_issued_returned_graded_near_parameters(big):
    s = big.satisfaction.merge(big.episodes[["episode_id", "end_reason"]], on="episode_id")
    assert len(s) == big.episodes.end_date.notna().sum()  # one form row per ended episode
    reg = s[s.end_reason == "regular"]
    _share_close(int(reg.issued.sum()), len(reg), P.satisfaction_issued["regular"])
    iss = reg[reg.issued]
    _share_close(int(iss.returned.sum()), len(iss), P.satisfaction_returned["regular"])
    ret = s[s.returned]
    _share_close(int(ret.grade.isna().sum()), len(ret), P.satisfaction_no_grade)
    assert 0.4 < s.returned.sum() / s.issued.sum() < 0.65  # about half returned
    assert s.grade.dropna().between(7, 10).mean() > 0.75  # mostly 7-10


# ------------------------------------------------------------- interim measurements


def test_interim_measurements_follow_the_schedules(big):
    e = big.episodes.set_index("episode_id")
    t = big.truth.set_index("episode_id")
    m = big.measurements
    inter = m[m.occasion == "interim"]
    sched = t.rom_schedule.loc[inter.episode_id].to_numpy()
    assert not (sched == "prepost").any()  # pre/post-only episodes have no interim
    early = inter[sched == "early"]
    assert early.session.isin([3, 4, 5, 8, 9, 10]).all()
    # share of early-schedule episodes with more than 5 sessions that have a session 3-5 interim
    elig = t.index[(t.rom_schedule == "early") & (e.sessions.loc[t.index] > 5)]
    has = elig.isin(early.episode_id[early.session.between(3, 5)])
    _share_close(int(has.sum()), len(elig), 1 - P.interim_missing)
    weeks = inter[sched == "weeks"]
    days = (weeks.date.to_numpy() - e.start_date.loc[weeks.episode_id].to_numpy()) / np.timedelta64(1, "D")
    week = days / 7
    near = np.min(np.abs(week[:, None] - np.array([6, 10, 17])[None, :]), axis=1)
    assert (near <= 3 / 7 + 1e-9).all()
    for w in (6, 10, 17):
        assert (np.abs(week - w) <= 0.5).sum() > 100
    # sessions of administrations rise with their date within each episode (apart from
    # the pre/post administrations deliberately dated outside the pairing windows)
    start = e.start_date.loc[m.episode_id].to_numpy()
    end = e.end_date.loc[m.episode_id].to_numpy()
    d_pre = (m.date.to_numpy() - start) / np.timedelta64(1, "D")
    d_post = (m.date.to_numpy() - end) / np.timedelta64(1, "D")
    stray = ((m.occasion == "pre") & ((d_pre < -30) | (d_pre > 14))) | (
        (m.occasion == "post") & (np.abs(d_post) > 30))
    ordered = m[~stray].sort_values(["episode_id", "date"])
    step = ordered.groupby("episode_id").session.diff().dropna()
    assert (step >= 0).all()


# ------------------------------------------------------------- planted effects


def test_pre_post_change_per_group_and_type_recovers_the_expected_values(big):
    """Per diagnosis x responder type: mean item-sum change within 4 SE (+0.5) of the formula."""
    pp = _prepost(big)
    ec = ds.expected_changes().set_index(["diagnosis", "responder_type"]).expected_change
    for (g, rt), d in pp.groupby(["diagnosis", "responder_type"], observed=True):
        if len(d) < 30:
            continue
        se = d.change.std(ddof=1) / np.sqrt(len(d))
        _within(d.change.mean(), ec.loc[(g, rt)], se, 4.0, 0.5)


def test_group_mean_change_reweighted_to_planted_mix_matches_documented_value(big):
    """Per group, the completers' type means weighted by the planted shares equal the 'all' row."""
    pp = _prepost(big)
    ec = ds.expected_changes().set_index(["diagnosis", "responder_type"]).expected_change
    for g, d in pp.groupby("diagnosis"):
        stats_ = d.groupby("responder_type", observed=True).change.agg(["mean", "var", "count"])
        w = np.array([P.responder_shares[k] for k in stats_.index])
        est = float((w * stats_["mean"]).sum())
        se = float(np.sqrt((w**2 * stats_["var"] / stats_["count"]).sum()))
        _within(est, ec.loc[(g, "all")], se, 4.0, 0.5)
        if g in ("depression", "anxiety", "ptsd"):
            assert ec.loc[(g, "all")] < -30  # a clear planted improvement


def test_non_responders_do_not_change_and_deteriorators_worsen(big):
    pp = _prepost(big)
    nr = pp.change[pp.responder_type == "non_responder"]
    _within(nr.mean(), 0.0, nr.std() / np.sqrt(len(nr)))
    de = pp.change[pp.responder_type == "deteriorator"]
    assert de.mean() > 20
    # interim measurements of non-responders are flat as well
    m = big.measurements.assign(tot=_item_sums(big.measurements))
    t = big.truth.set_index("episode_id")
    pre = m[m.occasion == "pre"].groupby("episode_id").tot.first()
    it = m[(m.occasion == "interim")].dropna(subset=["tot"])
    it = it.assign(diff=it.tot.to_numpy() - pre.reindex(it.episode_id).to_numpy(),
                   rt=t.responder_type.loc[it.episode_id].to_numpy()).dropna(subset=["diff"])
    nri = it["diff"][it.rt == "non_responder"]
    _within(nri.mean(), 0.0, nri.std() / np.sqrt(len(nri)))
    assert it["diff"][it.rt == "responder"].mean() < -15


def test_interim_scores_follow_the_planted_log_session_curve(big):
    """Observed interim item sums match expected_trajectory at their session (4 SE)."""
    m = big.measurements
    it = m[(m.occasion == "interim")].assign(tot=lambda d: _item_sums(d)).dropna(subset=["tot"])
    t = big.truth.set_index("episode_id").loc[it.episode_id]
    expected = ds.expected_trajectory(t, it.session.to_numpy())
    resid = it.tot.to_numpy() - expected
    for rt in ds.RESPONDER_TYPES:
        r = resid[t.responder_type.to_numpy() == rt]
        _within(r.mean(), 0.0, r.std() / np.sqrt(len(r)), 4.0, 0.5)
    # the curve is linear in log(session): responders' slope per log-session is negative
    assert (t.log_slope[t.responder_type == "responder"] < 0).all()
    assert (t.log_slope[t.responder_type == "deteriorator"] > 0).all()
    assert (t.log_slope[t.responder_type == "non_responder"] == 0).all()


# ------------------------------------------------------------- the item model itself


def test_item_sampler_matches_expected_item_sum_formula():
    """Mean of 40,000 sampled item sums at fixed theta within 4 SE of E[S | theta]."""
    rng = np.random.default_rng(1)
    for theta in (-0.5, 0.8, 2.0):
        th = np.full(40_000, theta)
        sums = sample_items(th, rng.random((th.size, 90), dtype=np.float32)).sum(axis=1)
        se = sums.std() / np.sqrt(sums.size)
        _within(float(sums.mean()), float(expected_item_sum(theta)), se)


def test_expected_item_sum_against_independent_formulas():
    a, b = item_parameters()
    # category probabilities from the GRM definition, summed the long way round
    theta = 1.3
    cum = np.hstack([np.ones((90, 1)), 1 / (1 + np.exp(-a[:, None] * (theta - b))), np.zeros((90, 1))])
    probs = cum[:, :-1] - cum[:, 1:]
    assert np.allclose(probs.sum(axis=1), 1) and (probs >= 0).all()
    direct = float((probs * np.arange(1, 6)).sum())
    assert abs(direct - float(expected_item_sum(theta))) < 1e-9
    # Gauss-Hermite expectation against adaptive quadrature (scipy.integrate.quad), 1e-6
    for mean, sd in ((1.0, 0.6), (0.2, 0.3), (2.0, 0.9)):
        ref, _ = integrate.quad(
            lambda x, mean=mean, sd=sd: float(expected_item_sum(x)) * stats.norm.pdf(x, mean, sd),
            mean - 10 * sd,
            mean + 10 * sd, epsabs=1e-10, limit=200)
        assert abs(float(expected_item_sum_normal(mean, sd)) - ref) < 1e-6
    x = np.linspace(-3, 5, 777)
    assert np.max(np.abs(expected_item_sum_smoothed(x, 0.2) - expected_item_sum_normal(x, 0.2))) < 1e-3


def test_expected_changes_table_is_consistent():
    ec = ds.expected_changes()
    assert len(ec) == 4 * len(P.diagnoses)
    nr = ec[ec.responder_type == "non_responder"]
    assert np.allclose(nr.expected_change, 0, atol=1e-9)
    assert (ec.expected_change[ec.responder_type == "responder"] < -20).all()
    assert (ec.expected_change[ec.responder_type == "deteriorator"] > 20).all()
    for _, d in ec.groupby("diagnosis"):
        parts = d[d.responder_type != "all"]
        mix = float((parts.share * parts.expected_change).sum())
        assert abs(mix - float(d.expected_change[d.responder_type == "all"].iloc[0])) < 1e-9
    assert 150 < ec.expected_pre.min() and ec.expected_pre.max() < 300  # plausible PSNEUR


def test_other_planted_parameters_are_used():
    p = dataclasses.replace(P, responder_shares={"responder": 0.0, "non_responder": 1.0,
                                                 "deteriorator": 0.0}, pre_missing=0.0)
    sp = ds.generate(n_episodes=1500, seed=3, params=p)
    assert (sp.truth.responder_type == "non_responder").all()
    assert (sp.truth.latent_improvement == 0).all()
    assert sp.episodes.episode_id.isin(sp.measurements.episode_id[sp.measurements.occasion == "pre"]).all()
    assert sp.meta["params"]["responder_shares"]["non_responder"] == 1.0


# ------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        ({"n_episodes": 0}, ArgumentError, "n_episodes: got 0, expected an integer from 1 to"),
        ({"n_episodes": 2.5}, ArgumentTypeError, "n_episodes: got float 2.5, expected an integer"),
        ({"n_episodes": True}, ArgumentTypeError, "n_episodes: got bool True"),
        ({"seed": -1}, ArgumentError, "seed: got -1, expected a non-negative integer"),
        ({"years": 1}, ArgumentError, "years: got 1, expected 2 to 30"),
        ({"start_year": 1800}, ArgumentError, "start_year: got 1800"),
        ({"item_dtype": "int8"}, ArgumentError, "item_dtype: got 'int8', expected one of"),
        ({"params": {"a": 1}}, ArgumentTypeError, "params: got dict"),
        ({"params": dataclasses.replace(P, pre_missing=1.5)}, ArgumentError,
         "params.pre_missing: got 1.5, expected a probability between 0 and 1"),
        ({"params": dataclasses.replace(P, consent_study=(0.5, 0.2, 0.2))}, ArgumentError,
         "params.consent_study: got (0.5, 0.2, 0.2), expected probabilities that sum to 1"),
        ({"params": dataclasses.replace(P, responder_shares={"responder": 1.0})}, ArgumentError,
         "params.responder_shares: got {'responder': 1.0}, expected keys responder"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, exc, message):
    args = {"n_episodes": 10, "seed": 1, **kwargs}
    with pytest.raises(exc) as info:
        ds.generate(**args)
    assert message in str(info.value)


# ------------------------------------------------------------- shipped example


def test_shipped_example_is_small_synthetic_and_dutch_formatted():
    folder = example_path()
    total = sum(p.stat().st_size for p in folder.iterdir())
    assert total < 2_000_000
    ep = (folder / "episodes.csv").read_text(encoding="utf-8")
    header, first = ep.splitlines()[:2]
    assert header.split(";") == list(EPISODES.names)
    fields = first.split(";")
    assert pd.to_datetime(fields[2], format=EXPORT_FORMAT["date_format"]).day >= 1
    assert len(fields[2]) == 10 and fields[2][2] == "-" and fields[2][5] == "-"
    assert "\r" not in ep and not ep.startswith("\ufeff")


@pytest.mark.slow  # the documented command in a subprocess; the generator is tested in-process above
def test_shipped_example_equals_what_the_documented_command_regenerates(tmp_path):
    folder = example_path()
    manifest_cmd = EXAMPLE["command"]
    assert manifest_cmd in (folder / "README.md").read_text(encoding="utf-8")
    argv = shlex.split(manifest_cmd)
    assert argv[:3] == ["python", "-m", "effectstudy.datasets"]
    (tmp_path / "data").mkdir()
    subprocess.run([sys.executable, *argv[1:], "--quiet"], cwd=tmp_path, check=True, timeout=120)
    out = tmp_path / "data" / "example"
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(p.name for p in out.iterdir())
    assert names == ["README.md", "episodes.csv", "manifest.json", "measurements.csv",
                     "satisfaction.csv"]
    for name in names:
        assert (out / name).read_bytes() == (folder / name).read_bytes(), name


def test_load_example_round_trips_the_generated_tables():
    """Through effectstudy.data.io: every row used, values equal to the in-memory generator output."""
    ex = load_example()
    gen = ds.generate(n_episodes=EXAMPLE["n_episodes"], seed=EXAMPLE["seed"])
    flow = ex.meta["validation"].flow()
    assert flow["status"].tolist() == ["used"] * 3 and flow["n"].tolist() == [
        len(gen.episodes), len(gen.measurements), len(gen.satisfaction)]
    ep = ex.episodes.reset_index(drop=True)
    expected = gen.episodes.copy()
    for flag in ("consent_study", "consent_research"):  # io keeps a missing consent flag as <NA>
        assert str(ep[flag].dtype) == "boolean"
        assert ep[flag].isna().tolist() == expected[flag].isna().tolist()
    pd.testing.assert_frame_equal(ep, expected, check_dtype=False)
    pd.testing.assert_frame_equal(ex.satisfaction.reset_index(drop=True), gen.satisfaction,
                                  check_dtype=False)
    gm = gen.measurements.astype({c: np.float64 for c in ITEMS})
    pd.testing.assert_frame_equal(ex.measurements.reset_index(drop=True), gm, check_dtype=False)
    assert ex.measurements["item_1"].dtype == np.float64
    pd.testing.assert_frame_equal(ex.truth, gen.truth)
    assert ex.meta["manifest"]["files"]["episodes.csv"]["rows"] == 400
    # the generator's own reader keeps missing consent as <NA>
    own = read_export(example_path())["episodes"]
    pd.testing.assert_frame_equal(own, gen.episodes, check_dtype=False)


def test_load_example_detects_a_modified_file(tmp_path):
    copy = tmp_path / "example"
    shutil.copytree(example_path(), copy)
    path = copy / FILES["satisfaction"]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(";10\n", ";9\n", 1), encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_example(copy)
    msg = str(info.value)
    assert "satisfaction.csv" in msg and "differs from the manifest" in msg
    assert "python -m effectstudy.datasets --out data/example" in msg
    assert len(load_example(copy, verify=False).satisfaction) == len(text.splitlines()) - 1


def test_load_example_warns_when_truth_cannot_be_regenerated(tmp_path):
    copy = tmp_path / "example"
    shutil.copytree(example_path(), copy)
    path = copy / FILES["episodes"]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    fields = lines[1].split(";")
    fields[2] = "01-01-2019"
    lines[1] = ";".join(fields)
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.warns(DataQualityWarning, match="truth is left empty"):
        ex = load_example(copy, verify=False)
    assert len(ex.truth) == 0 and len(ex.episodes) == 400


def test_load_example_errors_name_the_problem(tmp_path):
    with pytest.raises(ArgumentError, match="path: got .*nowhere.*expected the folder"):
        load_example(tmp_path / "nowhere")
    with pytest.raises(DataError, match="manifest missing"):
        load_example(tmp_path)
    bad = tmp_path / "bad"
    shutil.copytree(example_path(), bad)
    ep = bad / FILES["episodes"]
    lines = ep.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace(lines[3].split(";")[2], "2021-13-45", 1)
    ep.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_export(bad)
    assert "episodes.csv:4 start_date" in str(info.value) and "expected a date dd-mm-yyyy" in str(info.value)
    assert "2021-13-45" not in str(info.value) and info.value.value == "2021-13-45"  # dates are not quoted (VAL-5)


def test_cli_help_and_chunked_export_equal_in_memory_tables(tmp_path, capsys):
    from effectstudy.datasets.__main__ import main

    with pytest.raises(SystemExit):
        main(["--help"])
    assert "--n-episodes" in capsys.readouterr().out
    assert main(["--out", str(tmp_path), "--n-episodes", "2500", "--seed", "8",
                 "--chunk-size", "1"]) == 0
    back = read_export(tmp_path)
    gen = ds.generate(n_episodes=2500, seed=8)
    pd.testing.assert_frame_equal(back["episodes"], gen.episodes, check_dtype=False)
    assert len(back["measurements"]) == len(gen.measurements)


def test_cli_reports_bad_arguments_with_exit_code_2(tmp_path, capsys):
    from effectstudy.datasets.__main__ import main

    assert main(["--out", str(tmp_path), "--n-episodes", "0", "--seed", "1"]) == 2
    assert "n_episodes: got 0, expected an integer from 1 to" in capsys.readouterr().err
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    assert main(["--out", str(afile), "--n-episodes", "5", "--seed", "1"]) == 2
    assert "expected a folder (it exists and is a file)" in capsys.readouterr().err


def test_iter_chunks_rejects_a_bad_chunk_size():
    with pytest.raises(ArgumentError, match="chunk_size: got 0, expected a positive number"):
        next(ds.iter_chunks(10, seed=1, chunk_size=0))
