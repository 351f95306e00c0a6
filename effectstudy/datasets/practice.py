"""The seeded synthetic practice: episodes, SCL-90 administrations, satisfaction forms.

The practice is generated in *blocks* of :data:`BLOCK` episodes.  Block ``b`` draws from
its own random streams (``SeedSequence(seed, spawn_key=(b, part))``), so the data do not
depend on how blocks are grouped into chunks: ``generate(n, seed=s)`` equals the
concatenation of ``iter_chunks(n, seed=s, chunk_size=c)`` for every ``c``.  All work inside
a block is vectorised NumPy; the only Python loops run over blocks and over the three
fixed week-measurements (6, 10, 17).

What is planted (see :class:`~effectstudy.datasets.parameters.PracticeParameters`):

* clients with one or two (non-overlapping) episodes; diagnosis group, care type,
  treatment, therapist, birth year, sex, consent flags (some declined, some missing);
* planned sessions ``S >= 5`` (negative binomial; some beyond 20), session dates weekly
  at first (6-9 sessions), then every 2-3 weeks, then 1-2 follow-up sessions 4-8 weeks
  apart; end reasons regular / dropout / referral / other; dropouts stop early and have no
  post measurement; episodes still running on the export date are open (no end date);
* SCL-90 (Dutch coding 1-5) at intake and end, interim measurements for the ``early``
  schedule (session 3-5, sometimes 8-10) and the ``weeks`` schedule (weeks 6, 10, 17);
  item codes from a graded response model around a latent trajectory that is linear in
  ``log(session)``; a few missing items, some administrations with more than 20 % missing;
  a few administrations dated outside the default pairing windows;
* satisfaction forms for ended episodes: issued, returned, grade 1-10 (some without grade).

>>> sp = generate(n_episodes=50, seed=1)
>>> sp.episodes.shape[0], sp.measurements.filter(like="item_").shape[1]
(50, 90)
>>> sp.episodes.equals(generate(n_episodes=50, seed=1).episodes)
True
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import nbinom

from effectstudy.core.checks import check_choice
from effectstudy.core.errors import ArgumentError, ArgumentTypeError
from effectstudy.core.schema import CARE_TYPES, END_REASONS, item_column
from effectstudy.datasets._random import Draw
from effectstudy.datasets.parameters import RESPONDER_TYPES, ROM_SCHEDULES, PracticeParameters
from effectstudy.datasets.responses import (
    GH_NODES,
    GH_WEIGHTS,
    ITEM_SEED,
    N_ITEMS,
    expected_item_sum_normal,
    expected_item_sum_smoothed,
    sample_items,
)

__all__ = [
    "BLOCK",
    "GENERATOR_VERSION",
    "INSTRUMENT",
    "MAX_EPISODES",
    "SyntheticPractice",
    "generate",
    "iter_chunks",
    "expected_changes",
    "expected_trajectory",
]

#: episodes per block (the unit of random streams; chunk sizes are multiples of it)
BLOCK = 2048
#: bump when the generated data change for a given seed
GENERATOR_VERSION = "2"
INSTRUMENT = "scl90_nl"
MAX_EPISODES = 10_000_000
SEXES = ("female", "male", "other")
OCCASIONS = ("pre", "interim", "post")
ITEM_DTYPES = ("float32", "float64", "Int8")

# random stream parts
_STRUCTURE, _EPISODES, _OCCASIONS, _ITEMS, _MISSING, _SATISFACTION = range(6)


@dataclass(frozen=True, repr=False)
class SyntheticPractice:
    """A generated practice in canonical tables, with the planted truth.

    Attributes
    ----------
    episodes, measurements, satisfaction : DataFrame
        Canonical tables (see :mod:`effectstudy.core.schema`); measurements hold ``item_1`` ..
        ``item_90`` of ``instrument="scl90_nl"`` coded 1-5, NaN where missing.
    truth : DataFrame
        One row per episode with what was planted: ``responder_type``, ``theta_pre``
        (latent intake severity without occasion noise), ``latent_improvement``,
        ``log_slope`` (latent change per unit of ``log(session)``, negative = improving),
        ``planned_sessions``, ``rom_schedule``, ``expected_pre`` and ``expected_post``
        (expected item sums by the generator's formula), ``is_open``.
    meta : dict
        Seed, sizes, dates and every planted parameter, plus ``expected_changes``
        (see :func:`expected_changes`).
    """

    episodes: pd.DataFrame
    measurements: pd.DataFrame
    satisfaction: pd.DataFrame
    truth: pd.DataFrame
    meta: dict[str, Any]

    def __repr__(self) -> str:
        return (
            f"SyntheticPractice(seed={self.meta.get('seed')}, episodes={len(self.episodes)}, "
            f"measurements={len(self.measurements)}, satisfaction={len(self.satisfaction)})"
        )


# --------------------------------------------------------------------------- checks


def _check_args(n_episodes, seed, start_year, years, chunk_size, item_dtype, params) -> None:
    for name, value in (("n_episodes", n_episodes), ("seed", seed), ("start_year", start_year),
                        ("years", years), ("chunk_size", chunk_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ArgumentTypeError(name, value, "an integer")
    if not 1 <= n_episodes <= MAX_EPISODES:
        raise ArgumentError("n_episodes", n_episodes, f"an integer from 1 to {MAX_EPISODES:,}")
    if seed < 0:
        raise ArgumentError("seed", seed, "a non-negative integer")
    if not 1950 <= start_year <= 2100:
        raise ArgumentError("start_year", start_year, "a year from 1950 to 2100")
    if not 2 <= years <= 30:
        raise ArgumentError(
            "years", years, "2 to 30 (clients with two episodes need at least two years)"
        )
    if chunk_size < 1:
        raise ArgumentError("chunk_size", chunk_size, "a positive number of episodes")
    check_choice("item_dtype", item_dtype, ITEM_DTYPES)
    if not isinstance(params, PracticeParameters):
        raise ArgumentTypeError("params", params, "a PracticeParameters instance or None")
    _check_params(params)


def _check_share(name: str, p: Any) -> None:
    if not (isinstance(p, (int, float)) and 0.0 <= p <= 1.0):
        raise ArgumentError(f"params.{name}", p, "a probability between 0 and 1")


def _check_dist(name: str, probs: Any, n: int | None = None) -> None:
    probs = tuple(probs)
    if n is not None and len(probs) != n:
        raise ArgumentError(f"params.{name}", probs, f"{n} probabilities")
    for p in probs:
        _check_share(name, p)
    if abs(sum(probs) - 1.0) > 1e-9:
        raise ArgumentError(f"params.{name}", probs, "probabilities that sum to 1")


def _check_params(p: PracticeParameters) -> None:
    _check_dist("diagnoses[].share", [g.share for g in p.diagnoses])
    for g in p.diagnoses:
        _check_share(f"diagnoses[{g.name}].specialised_share", g.specialised_share)
        _check_dist(f"diagnoses[{g.name}].treatments", [w for _, w in g.treatments])
    if set(p.responder_shares) != set(RESPONDER_TYPES):
        raise ArgumentError("params.responder_shares", p.responder_shares,
                            f"keys {', '.join(RESPONDER_TYPES)}")
    _check_dist("responder_shares", [p.responder_shares[t] for t in RESPONDER_TYPES])
    for t in RESPONDER_TYPES:
        _check_dist(f"end_reasons[{t}]", p.end_reasons[t], len(END_REASONS))
    if set(p.rom_schedules) != set(ROM_SCHEDULES):
        raise ArgumentError("params.rom_schedules", p.rom_schedules,
                            f"keys {', '.join(ROM_SCHEDULES)}")
    _check_dist("rom_schedules", [p.rom_schedules[s] for s in ROM_SCHEDULES])
    _check_dist("consent_study", p.consent_study, 3)
    for k in ("true", "false", "missing"):
        _check_dist(f"consent_research[{k}]", p.consent_research[k], 3)
    _check_dist("grades_responder", p.grades_responder, 10)
    _check_dist("grades_other", p.grades_other, 10)
    for name in ("second_episode_share", "mid_interim", "pre_missing", "interim_missing",
                 "outside_window", "items_missing_few", "items_missing_many", "consent_redraw",
                 "satisfaction_no_grade"):
        _check_share(name, getattr(p, name))
    for r in END_REASONS:
        _check_share(f"post_present[{r}]", p.post_present[r])
        _check_share(f"satisfaction_issued[{r}]", p.satisfaction_issued[r])
        _check_share(f"satisfaction_returned[{r}]", p.satisfaction_returned[r])
    for name in ("mean_sessions_basic", "mean_sessions_specialised"):
        if not 5 <= getattr(p, name) <= p.max_sessions:
            raise ArgumentError(f"params.{name}", getattr(p, name), "5 to params.max_sessions")
    if not 25 <= p.max_sessions <= 60:
        raise ArgumentError("params.max_sessions", p.max_sessions, "25 to 60")
    for name in ("sd_between", "sd_occasion", "cv_improvement", "cv_deterioration"):
        if getattr(p, name) < 0:
            raise ArgumentError(f"params.{name}", getattr(p, name), "a non-negative SD")
    if p.n_therapists < 1 or p.n_therapists > 99:
        raise ArgumentError("params.n_therapists", p.n_therapists, "1 to 99")


# ------------------------------------------------------------------- expectations


def expected_changes(params: PracticeParameters | None = None) -> pd.DataFrame:
    """Expected item sums at intake and end per diagnosis group and responder type.

    For group ``g`` with care-type weights ``w_c`` and intake mean ``mu_gc``::

        E[S_pre]      = sum_c w_c * E[S],  theta ~ N(mu_gc, sd_between^2 + sd_occasion^2)
        E[S_post | t] = sum_c w_c * E_L[E[S]],  theta ~ N(mu_gc - m_t * L,
                                                          sd_between^2 + sd_occasion^2)

    where the type's latent change is ``m_t * L`` with ``m_t`` = ``improvement_g``
    (responders), 0 (non-responders) or ``-deterioration`` (deteriorators) and ``L`` the
    mean-one log-normal factor of :class:`PracticeParameters`; the expectation over ``L``
    is a second 64-point Gauss-Hermite sum, and ``E[S]`` under a normal latent is
    :func:`~effectstudy.datasets.responses.expected_item_sum_normal`.
    This is the generator's own expected-value formula: it does not use any scoring code.
    The post value is what an episode measured at its last planned session is expected to
    score; dropouts and open episodes have no post measurement.

    Returns
    -------
    DataFrame
        One row per ``diagnosis`` and ``responder_type`` (plus ``responder_type="all"``,
        the planted mixture), with ``share`` (of the type within the group),
        ``latent_improvement`` (mean), ``expected_pre``, ``expected_post`` and
        ``expected_change`` (post minus pre; negative = improvement).

    Examples
    --------
    >>> t = expected_changes()
    >>> bool(t.loc[t.responder_type == "non_responder", "expected_change"].abs().max() < 1e-9)
    True
    """
    p = params or PracticeParameters()
    key = repr(p)  # the dataclass holds dicts, so it is not hashable; its repr is
    if key not in _EXPECTED_CACHE:
        if len(_EXPECTED_CACHE) >= 8:
            _EXPECTED_CACHE.clear()
        _EXPECTED_CACHE[key] = _expected_changes(p)
    return _EXPECTED_CACHE[key].copy()


_EXPECTED_CACHE: dict[str, pd.DataFrame] = {}


def _expected_changes(p: PracticeParameters) -> pd.DataFrame:
    var0 = p.sd_between**2 + p.sd_occasion**2
    rows = []
    for g in p.diagnoses:
        w = np.array([1 - g.specialised_share, g.specialised_share])
        mu = g.severity + p.specialised_shift * np.array([0.0, 1.0])
        pre = float((w * expected_item_sum_normal(mu, math.sqrt(var0))).sum())
        mix_post = 0.0
        mix_imp = 0.0
        for t in RESPONDER_TYPES:
            m, cv = {
                "responder": (g.improvement, p.cv_improvement),
                "non_responder": (0.0, 0.0),
                "deteriorator": (-p.deterioration, p.cv_deterioration),
            }[t]
            # improvement = m * exp(sigma x - sigma^2/2), x ~ N(0, 1): Gauss-Hermite over x
            sig = _lognormal_sigma(cv)
            factor = np.exp(sig * GH_NODES - sig**2 / 2)  # (Q,)
            inner = expected_item_sum_normal(mu[:, None] - m * factor[None, :], math.sqrt(var0))
            post = float((w * (inner * GH_WEIGHTS[None, :]).sum(axis=1)).sum())
            share = p.responder_shares[t]
            mix_post += share * post
            mix_imp += share * m
            rows.append((g.name, t, share, m, pre, post, post - pre))
        rows.append((g.name, "all", 1.0, mix_imp, pre, mix_post, mix_post - pre))
    return pd.DataFrame(
        rows,
        columns=["diagnosis", "responder_type", "share", "latent_improvement",
                 "expected_pre", "expected_post", "expected_change"],
    )


def expected_trajectory(truth: pd.DataFrame, session: np.ndarray | float,
                        params: PracticeParameters | None = None) -> np.ndarray:
    """Expected item sum of each episode in ``truth`` at the given session number(s).

    ``E[S | episode, s] = E[S]`` with ``theta ~ N(theta_pre + log_slope * log(s),
    sd_occasion^2)``, ``s`` clipped to ``1 .. planned_sessions``.

    Parameters
    ----------
    truth : DataFrame
        ``SyntheticPractice.truth`` (or rows of it).
    session : float or ndarray broadcastable to ``len(truth)``
        Session number(s).
    """
    p = params or PracticeParameters()
    s = np.clip(np.asarray(session, dtype=np.float64), 1, truth["planned_sessions"].to_numpy())
    theta = truth["theta_pre"].to_numpy() + truth["log_slope"].to_numpy() * np.log(s)
    return expected_item_sum_smoothed(theta, p.sd_occasion)


# ------------------------------------------------------------------ generation core


def _lognormal_sigma(cv: float) -> float:
    """sigma of a log-normal with coefficient of variation ``cv``: sqrt(log(1 + cv^2))."""
    return math.sqrt(math.log1p(cv * cv))


def _nb_cdf_tables(p: PracticeParameters) -> np.ndarray:
    """CDF of planned sessions - 5 for (care, nonresponse) combos, truncated at max."""
    xs = np.arange(0, p.max_sessions - 5 + 1)
    tables = []
    for base in (p.mean_sessions_basic, p.mean_sessions_specialised):
        for extra in (0.0, p.extra_sessions_nonresponse):
            mu = max(base + extra - 5.0, 1e-6)
            r = p.sessions_dispersion
            pmf = nbinom.pmf(xs, r, r / (r + mu))
            cdf = np.cumsum(pmf / pmf.sum())
            cdf[-1] = 1.0
            tables.append(cdf)
    return np.vstack(tables)


def _client_sizes(seed: int, block: int, size: int, share2: float) -> np.ndarray:
    """Episodes per client (1 or 2) for the clients of one block, summing to ``size``."""
    # a client has two episodes with probability q; q chosen so that the share of clients
    # with two episodes is share2 (q = share2 per client).
    k = 1 + Draw(seed, block=block, part=_STRUCTURE).bernoulli(share2, size).astype(np.int64)
    cum = np.cumsum(k)
    m = int(np.searchsorted(cum, size)) + 1  # clients needed to reach size
    k = k[:m].copy()
    k[-1] -= int(cum[m - 1] - size)  # last client trimmed to fit the block
    return k


def _block_layout(n_episodes: int, seed: int, share2: float) -> tuple[np.ndarray, np.ndarray]:
    """Block sizes and the first client number of each block (cheap pre-pass)."""
    n_blocks = -(-n_episodes // BLOCK)
    sizes = np.full(n_blocks, BLOCK, dtype=np.int64)
    sizes[-1] = n_episodes - BLOCK * (n_blocks - 1)
    n_clients = np.array(
        [len(_client_sizes(seed, b, int(sizes[b]), share2)) for b in range(n_blocks)],
        dtype=np.int64,
    )
    offsets = np.concatenate([[0], np.cumsum(n_clients)[:-1]])
    return sizes, offsets


def _ids(prefix: str, numbers: np.ndarray, width: int = 7) -> np.ndarray:
    s = numbers.astype(np.int64).astype(np.dtypes.StringDType())
    return np.strings.add(prefix, np.strings.zfill(s, width))


def _block(seed: int, block: int, size: int, client_offset: int, p: PracticeParameters,
           period_days: int, cdf_tables: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """Generate one block; returns raw arrays for episodes, measurements, satisfaction, truth.

    Size: about 200 lines in one piece on purpose: the random draws happen in a fixed order
    that is part of the generator version (``GENERATOR_VERSION``: the same seed must give the
    same bytes), and the steps share some twenty arrays; split into functions, the order of
    the draws would be spread over many places and easy to change by accident.
    """
    n = size
    k = _client_sizes(seed, block, size, p.second_episode_share)
    client_local = np.repeat(np.arange(len(k)), k)
    second = np.zeros(n, dtype=bool)
    second[1:] = client_local[1:] == client_local[:-1]
    first_of_two = np.zeros(n, dtype=bool)
    first_of_two[:-1] = second[1:]
    prev = np.flatnonzero(second) - 1  # index of the first episode of each second episode
    sec = np.flatnonzero(second)

    d = Draw(seed, block=block, part=_EPISODES)
    groups = p.diagnoses
    G = len(groups)
    # diagnosis: a second episode keeps the first one's group half of the time
    diag = d.choice(np.array([g.share for g in groups]), n)
    keep = d.bernoulli(0.5, n)
    diag[sec[keep[sec]]] = diag[prev[keep[sec]]]
    specialised = d.bernoulli(np.array([g.specialised_share for g in groups])[diag], n)
    treat_labels = sorted({t for g in groups for t, _ in g.treatments})
    tp = np.zeros((G, len(treat_labels)))
    for gi, g in enumerate(groups):
        for t, w in g.treatments:
            tp[gi, treat_labels.index(t)] = w
    treatment = d.choice(tp[diag], n)
    rtype = d.choice(np.array([p.responder_shares[t] for t in RESPONDER_TYPES]), n)
    nonresp = rtype != 0
    # intake severity; a second episode's deviation correlates 0.5 with the first one's
    z = d.normal(n)
    z[sec] = 0.5 * z[prev] + math.sqrt(0.75) * z[sec]
    severity = np.array([g.severity for g in groups])
    theta_pre = severity[diag] + p.specialised_shift * specialised + p.sd_between * z
    e = d.normal(n)
    s_imp, s_det = _lognormal_sigma(p.cv_improvement), _lognormal_sigma(p.cv_deterioration)
    improvement = np.where(
        rtype == 0,
        np.array([g.improvement for g in groups])[diag] * np.exp(s_imp * e - s_imp**2 / 2),
        np.where(rtype == 2, -p.deterioration * np.exp(s_det * e - s_det**2 / 2), 0.0),
    )
    # planned sessions (>= 5), negative binomial by care type and response
    combo = 2 * specialised.astype(np.int64) + nonresp.astype(np.int64)
    u = d.uniform(n)
    planned = 5 + (u[:, None] >= cdf_tables[combo]).sum(axis=1)
    planned = np.where(first_of_two, np.minimum(planned, 25), planned)
    reason = d.choice(np.array([p.end_reasons[t] for t in RESPONDER_TYPES])[rtype], n)
    dropout = reason == END_REASONS.index("dropout")
    drop_session = 1 + np.floor(d.uniform(n) ** 1.5 * (planned - 1)).astype(np.int64)
    held_planned = np.where(dropout, drop_session, planned)
    schedule = d.choice(np.array([p.rom_schedules[s] for s in ROM_SCHEDULES]), n)
    # session rhythm: weekly, then every 2-3 weeks, then 1-2 follow-ups 4-8 weeks apart
    maxs = p.max_sessions
    weekly_until = d.integers(6, 9, n)
    follow = np.where(planned >= 12, 2, np.where(planned >= 7, 1, 0))
    s_num = np.arange(2, maxs + 1)[None, :]  # session number each gap leads to
    gw = np.where(d.uniform((n, maxs - 1)) < 0.12, 14, 7)
    gb = np.where(d.uniform((n, maxs - 1)) < 0.5, 14, 21) + np.floor(
        d.uniform((n, maxs - 1)) * 5).astype(np.int64) - 2
    gf = 28 + np.floor(d.uniform((n, maxs - 1)) * 33).astype(np.int64)
    gaps = np.where(s_num <= weekly_until[:, None], gw,
                    np.where(s_num > (planned - follow)[:, None], gf, gb))
    gaps = np.where(s_num <= planned[:, None], gaps, 0)
    s_days = np.zeros((n, maxs), dtype=np.int64)
    np.cumsum(gaps, axis=1, out=s_days[:, 1:])
    rows = np.arange(n)
    dur = s_days[rows, held_planned - 1]
    # start dates (days since 1 January of start_year); export date = period + lag
    export = period_days + p.export_lag_days
    u_start = d.uniform(n)
    gap = d.integers(90, 365, n)
    start = np.floor(u_start * period_days).astype(np.int64)
    f2 = np.flatnonzero(first_of_two)
    gap_f = np.clip(gap[f2], 1, np.maximum(period_days - dur[f2] - 1, 1))
    start[f2] = np.floor(u_start[f2] * np.maximum(period_days - dur[f2] - gap_f, 1)).astype(np.int64)
    start[f2 + 1] = start[f2] + dur[f2] + gap_f
    # open episodes: still running at the export date
    is_open = start + dur > export
    held_mask = (np.arange(maxs)[None, :] < held_planned[:, None]) & (
        start[:, None] + s_days <= export)
    held = held_mask.sum(axis=1)
    last_day = s_days[rows, held - 1]
    # client attributes (copied to the second episode)
    ua, ub = d.uniform(n), d.uniform(n)
    age = 18 + np.floor(57 * ((ua + ub) / 2) ** 1.4).astype(np.int64)
    sex = d.choice(np.array([0.62, 0.37, 0.01]), n)
    cs = d.choice(np.array(p.consent_study), n)  # 0 True, 1 False, 2 missing
    cr_p = np.array([p.consent_research[k] for k in ("true", "false", "missing")])[cs]
    cr = d.choice(cr_p, n)
    redraw = d.bernoulli(p.consent_redraw, n)
    therapist = d.integers(1, p.n_therapists, n)
    copy = sec[~redraw[sec]]
    cs[copy] = cs[copy - 1]
    cr[copy] = cr[copy - 1]
    sex[sec] = sex[prev]

    episodes = dict(
        ep_num=block * BLOCK + np.arange(n) + 1,
        client_num=client_offset + client_local + 1,
        start=start, end=np.where(is_open, -1, start + last_day), held=held,
        diag=diag, specialised=specialised, treatment=treatment,
        reason=np.where(is_open, -1, reason), therapist=therapist,
        age=age, sex=sex, cs=cs, cr=cr, second=second,
    )
    truth = dict(
        rtype=rtype, theta_pre=theta_pre, improvement=improvement, planned=planned,
        schedule=schedule, is_open=is_open,
        drop_session=np.where(dropout, drop_session, -1),
    )

    # ---------------------------------------------------------------- occasions
    o = Draw(seed, block=block, part=_OCCASIONS)
    occ_ep, occ_s, occ_day, occ_code = [], [], [], []
    ended = ~is_open
    # pre: mostly up to 3 weeks before the first session; a few outside the window
    pre_ok = ~o.bernoulli(p.pre_missing, n)
    outside = o.bernoulli(p.outside_window, n)
    before = o.bernoulli(0.5, n)
    inside_off = np.where(o.bernoulli(0.9, n), o.integers(-21, 0, n), o.integers(1, 7, n))
    out_off = np.where(before, o.integers(-60, -31, n), o.integers(15, 45, n))
    pre_day = start + np.where(outside, out_off, inside_off)
    pre_ok &= pre_day <= export
    idx = np.flatnonzero(pre_ok)
    occ_ep.append(idx), occ_s.append(np.ones(idx.size, np.int64))
    occ_day.append(pre_day[idx]), occ_code.append(np.zeros(idx.size, np.int64))
    # early schedule: interim at session 3-5, and sometimes at session 8-10
    early = schedule == ROM_SCHEDULES.index("early")
    s3 = o.integers(3, 5, n)
    ok = early & (s3 < held) & ~o.bernoulli(p.interim_missing, n)
    day3 = start + s_days[rows, s3 - 1] - o.integers(0, 2, n)
    smid = o.integers(8, 10, n)
    okm = early & o.bernoulli(p.mid_interim, n) & (smid < held - 1) & ~o.bernoulli(
        p.interim_missing, n)
    daym = start + s_days[rows, np.minimum(smid, maxs) - 1] - o.integers(0, 2, n)
    for mask, ss, dd in ((ok, s3, day3), (okm, smid, daym)):
        idx = np.flatnonzero(mask)
        occ_ep.append(idx), occ_s.append(ss[idx]), occ_day.append(dd[idx])
        occ_code.append(np.ones(idx.size, np.int64))
    # weeks schedule: weeks 6, 10 and 17 while the episode runs
    weeks = schedule == ROM_SCHEDULES.index("weeks")
    for w in (6, 10, 17):
        off = 7 * w + o.integers(-3, 3, n)
        sess = ((s_days <= off[:, None]) & held_mask).sum(axis=1)
        running = np.where(is_open, start + off <= export, off <= last_day - 28)
        okw = weeks & running & (sess >= 1) & ~o.bernoulli(p.interim_missing, n)
        idx = np.flatnonzero(okw)
        occ_ep.append(idx), occ_s.append(sess[idx]), occ_day.append(start[idx] + off[idx])
        occ_code.append(np.ones(idx.size, np.int64))
    # post: ended episodes (never dropouts), mostly in the 3 weeks before the last session
    post_p = np.array([p.post_present[r] for r in END_REASONS])[reason]
    post_ok = ended & o.bernoulli(post_p, n)
    outside = o.bernoulli(p.outside_window, n)
    sign = np.where(o.bernoulli(0.5, n), -1, 1)
    inside_off = np.where(o.bernoulli(0.85, n), o.integers(-21, 0, n), o.integers(1, 21, n))
    post_day = start + last_day + np.where(outside, sign * o.integers(31, 60, n), inside_off)
    # an in-window post is never dated before the episode's last interim measurement
    last_interim = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last_interim, np.concatenate(occ_ep[1:]), np.concatenate(occ_day[1:]))
    post_day = np.where(outside, post_day, np.maximum(post_day, last_interim + 1))
    post_day = np.minimum(post_day, export)
    idx = np.flatnonzero(post_ok)
    occ_ep.append(idx), occ_s.append(held[idx]), occ_day.append(post_day[idx])
    occ_code.append(np.full(idx.size, 2, np.int64))

    m_ep = np.concatenate(occ_ep)
    m_s = np.concatenate(occ_s)
    m_day = np.concatenate(occ_day)
    m_code = np.concatenate(occ_code)
    order = np.lexsort((m_code, m_day, m_ep))
    m_ep, m_s, m_day, m_code = m_ep[order], m_s[order], m_day[order], m_code[order]
    # one administration per client and day (the validation key): an out-of-window pre or post
    # can land on an interim's day, or one episode's post on the next episode's pre; the later
    # one moves to the next free day (no draw is used, so no other row changes)
    m_day = _one_per_client_day(client_local[m_ep], m_day, export)
    order = np.lexsort((m_code, m_day, m_ep))
    m_ep, m_s, m_day, m_code = m_ep[order], m_s[order], m_day[order], m_code[order]
    R = m_ep.size
    # latent severity at the administration: trajectory in log(session) + occasion noise
    frac = np.log(m_s) / np.log(planned[m_ep])
    theta = theta_pre[m_ep] - improvement[m_ep] * frac + p.sd_occasion * o.normal(R)

    # ---------------------------------------------------------------- items
    codes = sample_items(theta, Draw(seed, block=block, part=_ITEMS).uniform((R, N_ITEMS)))
    mi = Draw(seed, block=block, part=_MISSING)
    r = mi.uniform(R)
    few = r < p.items_missing_few
    many = (r >= p.items_missing_few) & (r < p.items_missing_few + p.items_missing_many)
    n_missing = np.where(few, mi.integers(1, 3, R), np.where(many, mi.integers(19, 40, R), 0))
    hit = np.flatnonzero(n_missing)
    if hit.size:
        keys = mi.uniform((hit.size, N_ITEMS))
        rank = np.argsort(np.argsort(keys, axis=1), axis=1)
        codes[hit] = np.where(rank < n_missing[hit, None], 0, codes[hit])  # 0 = missing
    measurements = dict(ep=m_ep, session=m_s, day=m_day, occasion=m_code, codes=codes)

    # ---------------------------------------------------------------- satisfaction
    sd_ = Draw(seed, block=block, part=_SATISFACTION)
    rsafe = np.maximum(reason, 0)
    issued = ended & sd_.bernoulli(np.array([p.satisfaction_issued[x] for x in END_REASONS])[rsafe], n)
    returned = issued & sd_.bernoulli(
        np.array([p.satisfaction_returned[x] for x in END_REASONS])[rsafe], n)
    gp = np.where((rtype == 0)[:, None], np.array(p.grades_responder)[None, :],
                  np.array(p.grades_other)[None, :])
    grade = 1 + sd_.choice(gp, n)
    graded = returned & ~sd_.bernoulli(p.satisfaction_no_grade, n)
    sat_idx = np.flatnonzero(ended)
    satisfaction = dict(
        ep=sat_idx, issued=issued[sat_idx], returned=returned[sat_idx],
        grade=np.where(graded, grade, 0)[sat_idx],
    )
    return dict(episodes=episodes, truth=truth, measurements=measurements,
                satisfaction=satisfaction)


def _one_per_client_day(client: np.ndarray, day: np.ndarray, last: int) -> np.ndarray:
    """Move repeated (client, day) administrations to the nearest later free day (earlier
    when that would pass ``last``, the export day); rows are in their generated order and the
    first of a repeat keeps its day."""
    day = day.copy()
    for _ in range(100):
        key = client.astype(np.int64) * (1 << 32) + (day - day.min() if day.size else day)
        _, first = np.unique(key, return_index=True)
        dup = np.ones(day.size, dtype=bool)
        dup[first] = False
        if not dup.any():
            return day
        step = np.where(day[dup] + 1 <= last, 1, -1)
        day[dup] += step
    raise RuntimeError("could not give every administration its own day")  # pragma: no cover


# ------------------------------------------------------------- tables from arrays


def _concat(parts: list[dict[str, np.ndarray]], offsets: list[int], ep_keys: tuple[str, ...]
            ) -> dict[str, np.ndarray]:
    out = {}
    for key in parts[0]:
        arrs = [pt[key] for pt in parts]
        if key in ep_keys:  # local episode index -> chunk episode index
            arrs = [a + off for a, off in zip(arrs, offsets, strict=True)]
        out[key] = np.concatenate(arrs)
    return out


def _bool_na(code: np.ndarray) -> pd.arrays.BooleanArray:
    """0 -> True, 1 -> False, 2 -> <NA> as a nullable boolean array."""
    return pd.arrays.BooleanArray(code == 0, code == 2)


def _frames(blocks: list[dict], origin: np.datetime64, p: PracticeParameters, item_dtype: str
            ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    sizes = [len(b["episodes"]["start"]) for b in blocks]
    offs = list(np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int))
    ep = _concat([b["episodes"] for b in blocks], offs, ())
    tr = _concat([b["truth"] for b in blocks], offs, ())
    me = _concat([b["measurements"] for b in blocks], offs, ("ep",))
    sa = _concat([b["satisfaction"] for b in blocks], offs, ("ep",))
    blocks.clear()  # the caller's list: release the per-block arrays now

    groups = np.array(p.group_names(), dtype=object)
    treat_labels = np.array(sorted({t for g in p.diagnoses for t, _ in g.treatments}), dtype=object)
    ep_id = _ids("E", ep["ep_num"])
    cl_id = _ids("C", ep["client_num"])
    start = origin + ep["start"].astype("timedelta64[D]")
    end = np.where(ep["end"] >= 0, origin + ep["end"].astype("timedelta64[D]"),
                   np.datetime64("NaT"))
    start_year = start.astype("datetime64[Y]").astype(np.int64) + 1970
    birth_year = start_year - ep["age"]
    first = np.flatnonzero(ep["second"]) - 1  # second episodes keep the client's birth year
    birth_year[first + 1] = birth_year[first]
    reason = pd.Categorical.from_codes(ep["reason"], categories=list(END_REASONS))
    episodes = pd.DataFrame({
        "episode_id": pd.array(ep_id, dtype="str"),
        "client_id": pd.array(cl_id, dtype="str"),
        "start_date": start.astype("datetime64[ns]"),
        "end_date": end.astype("datetime64[ns]"),
        "sessions": ep["held"].astype(np.int16),
        "diagnosis": pd.array(groups[ep["diag"]], dtype="str"),
        "care_type": pd.Categorical.from_codes(ep["specialised"].astype(np.int8),
                                               categories=list(CARE_TYPES)),
        "treatment": pd.array(treat_labels[ep["treatment"]], dtype="str"),
        "end_reason": reason,
        "therapist": pd.array(_ids("T", ep["therapist"], width=2), dtype="str"),
        "birth_year": birth_year.astype(np.int16),
        "sex": pd.array(np.array(SEXES, dtype=object)[ep["sex"]], dtype="str"),
        "consent_study": _bool_na(ep["cs"]),
        "consent_research": _bool_na(ep["cr"]),
    })

    mi = me["ep"]
    codes = me["codes"]
    item_names = [item_column(j) for j in range(1, N_ITEMS + 1)]
    if item_dtype == "Int8":
        items = pd.DataFrame({name: pd.arrays.IntegerArray(codes[:, j], codes[:, j] == 0)
                              for j, name in enumerate(item_names)})
    else:
        vals = codes.astype(item_dtype)
        vals[codes == 0] = np.nan
        items = pd.DataFrame(vals, columns=item_names, copy=False)
    keys = pd.DataFrame({
        "client_id": pd.array(cl_id[mi], dtype="str"),
        "episode_id": pd.array(ep_id[mi], dtype="str"),
        "instrument": pd.array(np.full(mi.size, INSTRUMENT, dtype=object), dtype="str"),
        "date": (origin + me["day"].astype("timedelta64[D]")).astype("datetime64[ns]"),
        "session": me["session"].astype(np.int16),
        "occasion": pd.array(np.array(OCCASIONS, dtype=object)[me["occasion"]], dtype="str"),
    })
    # insert the key columns in front of the item block: no copy of the item data
    for pos, name in enumerate(keys.columns):
        items.insert(pos, name, keys[name])
    measurements = items

    grade = sa["grade"].astype(np.float64)
    grade[grade == 0] = np.nan
    satisfaction = pd.DataFrame({
        "episode_id": pd.array(ep_id[sa["ep"]], dtype="str"),
        "issued": sa["issued"],
        "returned": sa["returned"],
        "grade": grade,
    })

    var_occ = p.sd_occasion  # SD, not a variance
    theta_post = tr["theta_pre"] - tr["improvement"]
    truth = pd.DataFrame({
        "episode_id": pd.array(ep_id, dtype="str"),
        "client_id": pd.array(cl_id, dtype="str"),
        "diagnosis": pd.array(groups[ep["diag"]], dtype="str"),
        "responder_type": pd.Categorical.from_codes(tr["rtype"], categories=list(RESPONDER_TYPES)),
        "theta_pre": tr["theta_pre"],
        "latent_improvement": tr["improvement"],
        "log_slope": -tr["improvement"] / np.log(tr["planned"]),
        "planned_sessions": tr["planned"].astype(np.int16),
        "dropout_session": pd.arrays.IntegerArray(tr["drop_session"].astype(np.int16),
                                                  tr["drop_session"] < 0),
        "rom_schedule": pd.Categorical.from_codes(tr["schedule"], categories=list(ROM_SCHEDULES)),
        "expected_pre": expected_item_sum_smoothed(tr["theta_pre"], var_occ),
        "expected_post": expected_item_sum_smoothed(theta_post, var_occ),
        "is_open": tr["is_open"],
    })
    return episodes, measurements, satisfaction, truth


def _meta(n_episodes, seed, start_year, years, p: PracticeParameters, period_days) -> dict:
    origin = np.datetime64(f"{start_year}-01-01")
    export = origin + np.timedelta64(period_days + p.export_lag_days, "D")
    ec = expected_changes(p)
    return {
        "generator": "effectstudy.datasets.generate",
        "generator_version": GENERATOR_VERSION,
        "seed": int(seed),
        "n_episodes": int(n_episodes),
        "start_year": int(start_year),
        "years": int(years),
        "export_date": str(export),
        "instrument": INSTRUMENT,
        "item_model": "graded response model, 90 items coded 1-5, fixed synthetic item "
                      f"parameters (ITEM_SEED={ITEM_SEED})",
        "block_size": BLOCK,
        "params": p.to_dict(),
        "expected_changes": ec.to_dict(orient="records"),
    }


def _setup(n_episodes, seed, start_year, years, chunk_size, item_dtype, params):
    p = params if params is not None else PracticeParameters()
    _check_args(n_episodes, seed, start_year, years, chunk_size, item_dtype, p)
    origin = np.datetime64(f"{start_year}-01-01", "D")
    period_days = int((np.datetime64(f"{start_year + years}-01-01", "D") - origin)
                      / np.timedelta64(1, "D"))
    return p, origin, period_days


def iter_chunks(n_episodes: int = 1000, *, seed: int = 2025, start_year: int = 2020,
                years: int = 5, chunk_size: int = 65536, item_dtype: str = "float32",
                params: PracticeParameters | None = None) -> Iterator[SyntheticPractice]:
    """Generate the practice chunk by chunk (bounded memory for any size).

    Parameters are those of :func:`generate`; ``chunk_size`` (episodes) is rounded up to a
    multiple of :data:`BLOCK`.  Each chunk is a :class:`SyntheticPractice` holding whole
    clients; concatenating the chunks gives exactly ``generate(...)`` (same seed, any
    chunk size).

    Yields
    ------
    SyntheticPractice
        The next chunk; ``meta["chunk"]`` is its index.
    """
    p, origin, period_days = _setup(n_episodes, seed, start_year, years, chunk_size, item_dtype,
                                    params)
    sizes, client_offsets = _block_layout(n_episodes, seed, p.second_episode_share)
    cdf = _nb_cdf_tables(p)
    per_chunk = max(1, -(-chunk_size // BLOCK))
    meta = _meta(n_episodes, seed, start_year, years, p, period_days)
    for ci, b0 in enumerate(range(0, len(sizes), per_chunk)):
        blocks = [
            _block(seed, b, int(sizes[b]), int(client_offsets[b]), p, period_days, cdf)
            for b in range(b0, min(b0 + per_chunk, len(sizes)))
        ]
        ep, me, sa, tr = _frames(blocks, origin, p, item_dtype)
        del blocks
        yield SyntheticPractice(ep, me, sa, tr, {**meta, "chunk": ci})


def generate(n_episodes: int = 1000, *, seed: int = 2025, start_year: int = 2020,
             years: int = 5, item_dtype: str = "float32",
             params: PracticeParameters | None = None) -> SyntheticPractice:
    """Generate a synthetic outpatient practice with planted effects.

    Parameters
    ----------
    n_episodes : int
        Number of treatment episodes (1 to 10,000,000); clients are fewer because some
        have two episodes.
    seed : int
        Seed; the same seed gives the same data, whatever ``chunk_size``.
    start_year, years : int
        Episodes start between 1 January ``start_year`` and 31 December
        ``start_year + years - 1``; the export date is ``export_lag_days`` (90) later.
    item_dtype : {"float32", "float64", "Int8"}
        dtype of the item columns (NaN / <NA> for missing items).  ``float32`` keeps one
        million episodes at about 1 GB of item data.
    params : PracticeParameters, optional
        Planted parameters; defaults to ``PracticeParameters()``.

    Returns
    -------
    SyntheticPractice
        ``episodes``, ``measurements``, ``satisfaction``, ``truth`` and ``meta``.

    Notes
    -----
    The practice is generated block by block (:data:`BLOCK` episodes, each with its own
    random streams); the blocks' compact raw arrays (int8 item codes) are joined and the
    DataFrames built once.  For bounded memory at any size use :func:`iter_chunks`, which
    yields the same rows chunk by chunk.

    Examples
    --------
    >>> sp = generate(n_episodes=200, seed=7)
    >>> sorted(sp.measurements.occasion.unique())
    ['interim', 'post', 'pre']
    >>> int(sp.measurements.filter(like="item_").min().min()), int(sp.measurements.filter(like="item_").max().max())
    (1, 5)
    """
    p, origin, period_days = _setup(n_episodes, seed, start_year, years, BLOCK, item_dtype,
                                    params)
    sizes, client_offsets = _block_layout(n_episodes, seed, p.second_episode_share)
    cdf = _nb_cdf_tables(p)
    # the blocks' raw arrays are compact (int8 item codes); the DataFrames are built once,
    # so the peak is about the final tables plus the raw arrays, not twice the tables
    blocks = [
        _block(seed, b, int(sizes[b]), int(client_offsets[b]), p, period_days, cdf)
        for b in range(len(sizes))
    ]
    ep, me, sa, tr = _frames(blocks, origin, p, item_dtype)
    del blocks
    meta = _meta(n_episodes, seed, start_year, years, p, period_days)
    return SyntheticPractice(ep, me, sa, tr, meta)


def replace_params(**changes: Any) -> PracticeParameters:
    """``PracticeParameters`` with some fields changed (a thin ``dataclasses.replace``)."""
    return dataclasses.replace(PracticeParameters(), **changes)
