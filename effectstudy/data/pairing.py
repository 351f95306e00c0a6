"""Pair each treatment episode's pre and post measurement of one scale.

:func:`pair_prepost` turns long scale scores (``es.score(...).scores``) and the episodes
table into long pre/post data, one ``pre`` and one ``post`` row per paired episode, ready
for :func:`effectstudy.prepost_effect`, :func:`effectstudy.outcomes.reliable_change` and
:func:`effectstudy.outcomes.clinical_significance` (``subject="episode_id", time="time",
outcome="score", pre="pre", post="post"``).

Rules (all vectorised: one merge of episodes with the client's scores, sorts and
group-wise minima; no loop over episodes):

* **pre**: the scored measurement nearest to the episode's start date with
  ``pre_window[0] <= date - start_date <= pre_window[1]`` days (default -30 to +14);
  ties go to the earlier measurement.  Its occasion does not matter.
* **post** (``post_rule``), always within ``post_window[0] <= date - end_date <=
  post_window[1]`` (default -30 to +30) and strictly after the pre measurement.  Open
  episodes (no end date) have no post.

  - ``"end_only"`` (default): only an end measurement (``occasion == "post"``) is a post;
    of several, the one nearest to the end date (ties go to the later one).  An interim
    measurement is never a post: the pair compares intake with the end of treatment, and an
    episode that ended without an end measurement (often a dropout) is a missing post, to
    be handled by the intention-to-treat analysis, not a completer whose treatment was
    shorter.  Scores without an ``occasion`` column are refused (nothing marks the end).
  - ``"last_measurement"``: the last scored measurement in the post window, interim (or
    follow-up) included, the last observation of the episode.  ``meta["n_interim_as_post"]``
    counts the pairs whose post is not an end measurement (and ``meta
    ["n_interim_as_post_dropout"]`` those of them with ``end_reason == "dropout"``).

* A measurement with an ``episode_id`` only serves that episode; one without serves any
  episode of its client.
* **A measurement serves at most one episode and one role.**  When the same measurement
  is nearest for two assignments (e.g. the post of one episode and the pre of the next),
  the assignment with the smaller distance in days keeps it (a tie goes to the pre of
  the later episode); the other episode takes its next-nearest candidate in the window,
  if any.
* Scores that are missing (not scorable, e.g. too many missing items) are not used.

Every episode gets one status (:data:`STATUSES`, in order of precedence): ``paired`` or
the first reason that applies.  The pre side first: ``no_pre`` (no score of the scale for
the episode at all), ``scale_missing`` (the measurement in the pre window has no score for
this scale), ``measurement_shared`` (the only candidates serve another episode),
``pre_outside_window`` (scores exist, none within the pre window); then the post side:
``episode_open`` (pre found, no end date), ``scale_missing`` and ``measurement_shared`` as
for the pre, ``post_outside_window`` (a later measurement the rule accepts exists, none
within the post window), ``no_post`` (no later measurement the rule accepts: none at all,
or under ``end_only`` only interim ones; ``meta["n_no_post_interim_only"]`` counts the
latter).  ``flow`` counts them; they add up to the number of episodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError
from effectstudy.core.keys import codes_in, key_codes, text_factorize
from effectstudy.core.labels import register
from effectstudy.core.results import Result, base_meta

__all__ = ["pair_prepost", "PairResult", "STATUSES", "POST_RULES", "END_OCCASION", "post_rule_text"]

#: every status of an episode, in order of precedence (pre-side reasons, then post-side ones;
#: ``scale_missing`` and ``measurement_shared`` apply to either side)
STATUSES = ("paired", "no_pre", "scale_missing", "measurement_shared", "pre_outside_window",
            "episode_open", "post_outside_window", "no_post")
#: the rules that choose the post measurement (``post_rule=``; see the module notes)
POST_RULES = ("end_only", "last_measurement")
#: the occasion code of an end measurement (the canonical ``occasion`` code list)
END_OCCASION = "post"
DEFAULT_COVARIATES = ("diagnosis", "care_type", "treatment", "end_reason", "sessions")

register({
    "paired": {"nl": "gepaard", "en": "paired"},
    "no_pre": {"nl": "geen voormeting", "en": "no pre measurement"},
    "no_post": {"nl": "geen nameting", "en": "no post measurement"},
    "scale_missing": {"nl": "schaal niet te scoren", "en": "scale not scorable"},
    "pre_outside_window": {"nl": "voormeting buiten tijdvenster", "en": "pre measurement outside window"},
    "post_outside_window": {"nl": "nameting buiten tijdvenster", "en": "post measurement outside window"},
    "end_only": {"nl": "alleen de eindmeting", "en": "end measurement only"},
    "last_measurement": {"nl": "laatste meting in het venster", "en": "last measurement in the window"},
    "post_rule": {"nl": "Nameting", "en": "Post measurement"},
    "measurement_shared": {"nl": "meting al gebruikt", "en": "measurement used elsewhere"},
    "episode_open": {"nl": "traject loopt nog", "en": "episode open"},
    "status": {"nl": "Status", "en": "Status"},
})


@dataclass(frozen=True, repr=False)
class PairResult(Result):
    """Result of :func:`pair_prepost`.

    ``data``: long pairs (``episode_id, client_id, time, score, date, days_from_start,
    days_from_end`` + episode covariates), two rows per paired episode.
    ``episodes`` (also ``patients``): one row per episode with ``status``, ``pre_date``,
    ``pre_score``, ``post_date``, ``post_score``.  ``flow``: ``status, n``.
    """

    data: pd.DataFrame = None  # type: ignore[assignment]
    flow: pd.DataFrame = None  # type: ignore[assignment]
    title = "Pre/post pairing"

    @property
    def episodes(self) -> pd.DataFrame:
        return self.patients

    def summary(self) -> pd.DataFrame:
        """The flow: number of episodes per status (sums to all episodes)."""
        return self.flow.copy()

    def meta_lines(self, lang: str = "nl") -> list[str]:
        """As :meth:`Result.meta_lines`, and which measurement is the post (:func:`post_rule_text`)."""
        return [*super().meta_lines(lang), post_rule_text(self.meta, lang)]


def post_rule_text(meta: dict[str, Any], lang: str = "nl") -> str:
    """The post rule in a sentence for a report, with its counts from a pairing's ``meta``.

    Parameters
    ----------
    meta : dict
        ``post_rule``, ``n_used`` (pairs), ``n_interim_as_post``, ``n_interim_as_post_dropout``
        and ``n_no_post_interim_only`` as :func:`pair_prepost` records them (a flow's meta
        carries the same keys).
    lang : {"nl", "en"}

    Examples
    --------
    >>> post_rule_text({"post_rule": "last_measurement", "n_used": 199, "n_interim_as_post": 11,
    ...                 "n_interim_as_post_dropout": 10}, "en")
    'Post measurement: the last measurement in the post window, interim measurements included; in 11 of the 199 pairs the post is not an end measurement (10 of them dropouts).'
    >>> post_rule_text({"post_rule": "end_only", "n_no_post_interim_only": 32}, "nl")
    'Nameting: alleen de eindmeting (meetmoment nameting) in het tijdvenster; 32 trajecten zonder nameting hebben na de voormeting alleen tussenmetingen.'
    """
    nl = lang == "nl"
    if meta.get("post_rule") == "end_only":
        head = ("Nameting: alleen de eindmeting (meetmoment nameting) in het tijdvenster" if nl
                else "Post measurement: the end measurement only (occasion post) in the post window")
        k = meta.get("n_no_post_interim_only")
        if not k:
            return head + "."
        return head + (f"; {k} trajecten zonder nameting hebben na de voormeting alleen tussenmetingen." if nl
                       else f"; {k} episodes without a post measurement have only interim measurements after the pre.")
    head = ("Nameting: de laatste meting in het tijdvenster, tussenmetingen inbegrepen" if nl
            else "Post measurement: the last measurement in the post window, interim measurements included")
    k, drop, n = meta.get("n_interim_as_post"), meta.get("n_interim_as_post_dropout"), meta.get("n_used")
    if k is None:
        return head + ("; de metingen hebben geen meetmoment, dus hoeveel nametingen tussenmetingen zijn is onbekend."
                       if nl else "; the scores record no occasion, so how many posts are interim measurements is unknown.")
    return head + (f"; bij {k} van de {n} paren is de nameting geen eindmeting ({drop} daarvan uitvallers)." if nl
                   else f"; in {k} of the {n} pairs the post is not an end measurement ({drop} of them dropouts).")


def _window(name: str, w: Any) -> tuple[int, int]:
    if (not isinstance(w, Sequence) or isinstance(w, str) or len(w) != 2
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in w)
            or w[0] > w[1]):
        raise ArgumentError(name, w, "two whole numbers of days (from, to) with from <= to, "
                            "e.g. (-30, 14)")
    return int(w[0]), int(w[1])


def _need(df: pd.DataFrame, what: str, cols: Sequence[str]) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ArgumentError(what, missing, f"columns {list(cols)} in {what}; it has "
                            f"{list(df.columns)}")


def _dates(df: pd.DataFrame, what: str, col: str) -> np.ndarray:
    s = df[col]
    if not pd.api.types.is_datetime64_any_dtype(s):
        raise ArgumentTypeError(f"{what}[{col!r}]", str(s.dtype),
                                "datetime64 dates (parse them with es.read_study or "
                                "pd.to_datetime(..., format=...))")
    return s.to_numpy(dtype="datetime64[ns]")


def _pick(cand: pd.DataFrame, dist: str, valid: np.ndarray, tie_later: bool,
          latest: bool = False) -> pd.DataFrame:
    """Per episode, the ``valid`` candidate nearest in ``dist`` (or the ``latest`` one)."""
    rows = np.flatnonzero(valid)
    dns = cand["_dns"].to_numpy()[rows]
    absd = np.abs(cand[dist].to_numpy()[rows])
    tie = -dns if tie_later else dns
    if latest:  # the last measurement: the date alone decides
        absd = np.zeros(len(rows))
        tie = -dns
    ekey = cand["_e"].to_numpy()[rows]
    if len(rows) == 0:
        return cand.iloc[rows]
    if not (ekey[1:] >= ekey[:-1]).all():  # candidates come in episode order; else sort
        order = np.lexsort((tie, absd, ekey))
        ekey = ekey[order]
        first = np.ones(len(order), dtype=bool)  # sorted by episode: the first row of each episode
        first[1:] = ekey[1:] != ekey[:-1]
        return cand.iloc[rows[order[first]]]
    # per episode (a run of rows): the smallest distance, of those the smallest tie key, of
    # those the first row: the row a stable sort on (episode, distance, tie) puts first
    starts = np.flatnonzero(np.r_[True, ekey[1:] != ekey[:-1]])
    sizes = np.diff(np.r_[starts, len(rows)])
    best = absd == np.repeat(np.minimum.reduceat(absd, starts), sizes)
    tie = np.where(best, tie, np.iinfo(np.int64).max)
    best &= tie == np.repeat(np.minimum.reduceat(tie, starts), sizes)
    at = np.where(best, np.arange(len(rows)), len(rows))
    return cand.iloc[rows[np.minimum.reduceat(at, starts)]]


def _scale_rows(sc: pd.DataFrame, scale: str, instrument: str | None) -> np.ndarray:
    """The positions of the score rows of ``scale`` (of ``instrument``); errors name what is
    available.  Positions, not a copy of the rows: the caller takes only the columns it uses."""
    sel = sc["scale"] == scale
    if instrument is not None:
        if "instrument" not in sc.columns:
            raise ArgumentError("instrument", instrument, "scores with an 'instrument' column")
        sel &= sc["instrument"] == instrument
    if not sel.any():
        avail = sorted(map(str, pd.unique(sc["scale"].dropna())))
        raise ArgumentError("scale", scale, f"one of the scales in scores: {avail}"
                            + (f" (instrument {instrument!r})" if instrument else ""))
    if instrument is None and "instrument" in sc.columns:
        insts = pd.unique(sc.loc[sel, "instrument"].dropna())
        if len(insts) > 1:
            raise ArgumentError("instrument", None, f"one of {sorted(map(str, insts))}: scale "
                                f"{scale!r} occurs in several instruments")
    return np.flatnonzero(sel.to_numpy(dtype=bool, na_value=False))


def _take(col: pd.Series, idx: np.ndarray | None) -> Any:
    """The values of ``col`` at positions ``idx`` (all if None) for a new frame: Arrow text
    stays Arrow (no Python string per value), anything else goes through NumPy as before."""
    if col.dtype == "str":
        return col.array if idx is None else col.array.take(idx)
    if idx is not None and isinstance(col.dtype, pd.CategoricalDtype) and col.dtype.categories.dtype == "str":
        # Arrow text categories: the ``str`` column a frame infers from ``to_numpy()``'s
        # object array of the text (NaN where missing), taken through Arrow
        codes = col.cat.codes.to_numpy()[idx]
        return _text(pa.array(col.dtype.categories), codes)
    if (idx is not None and isinstance(col.dtype, pd.CategoricalDtype)
            and col.dtype.categories.dtype == object):
        # text categories: an object array whatever the values (NaN where missing), as
        # ``to_numpy()`` gives it, built from the codes of the taken rows only
        codes = col.cat.codes.to_numpy()[idx]
        out = np.asarray(col.cat.categories, dtype=object)[codes]
        out[codes < 0] = np.nan
        return out
    return col.to_numpy() if idx is None else col.to_numpy()[idx]


def _text(labels: pa.Array, codes: np.ndarray) -> Any:
    """An Arrow text (``str``) array of ``labels`` at ``codes`` (-1: missing), as a frame
    infers it from the object array of the same texts, without a Python string per value."""
    return pc.take(labels, pa.array(codes, mask=codes < 0)).to_pandas().array


def _shared_codes(sc: pd.DataFrame, rows: np.ndarray, episodes: pd.DataFrame, col: str
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Shared integer codes of ``col`` of the score rows ``rows`` and of the episodes.

    Arrow text ids: the scale's rows are factorized by Arrow's hash encoding
    (:func:`effectstudy.core.keys.text_factorize`; only these rows, so nothing of the size of
    the whole scores frame is kept) and the episodes' ids looked up in the result (an id no
    score has gets -2); otherwise :func:`key_codes`.  Equal ids get equal codes and missing
    ids -1 on both sides, as with :func:`key_codes`.
    """
    sub = sc[col].iloc[rows]
    fact = text_factorize(sub)
    if fact is not None:
        ecodes = codes_in(episodes[col], fact[1])
        if ecodes is not None:
            return fact[0], ecodes
    return key_codes(sub, episodes[col])


def _candidates(sc: pd.DataFrame, rows: np.ndarray, s: pd.DataFrame, episodes: pd.DataFrame,
                value: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Episodes ``e`` (position ``_e``) and every (episode, measurement) pair of a client.

    ``cand`` has the measurement's date ``_mdate`` (``_dns`` in ns), score ``_score``,
    position ``_m``, whether it is an end measurement ``_oend`` (occasion ``post``) and its days
    from the episode's start ``_ds`` and end ``_de`` (NaN for an open episode).  A
    measurement with an ``episode_id`` only pairs with that episode.  ``s`` holds the used
    columns of the score rows at positions ``rows`` of ``sc``.
    """
    has_ep = "episode_id" in sc.columns
    # joins and comparisons on shared integer codes of the ids, not on their text
    mclient, eclient = _shared_codes(sc, rows, episodes, "client_id")
    m = pd.DataFrame({
        "_c": mclient,
        "_mdate": _dates(s, "scores", "date"),
        "_score": s[value].to_numpy(dtype=float),
        "_m": np.arange(len(s)),
        "_oend": ((s["occasion"] == END_OCCASION).to_numpy(dtype=bool, na_value=False)
                  if "occasion" in s.columns else np.zeros(len(s), dtype=bool)),
    })
    start = _dates(episodes, "episodes", "start_date")
    end = (_dates(episodes, "episodes", "end_date") if "end_date" in episodes.columns
           else np.full(len(episodes), np.datetime64("NaT"), dtype="datetime64[ns]"))
    e = pd.DataFrame({"_c": eclient, "_e": np.arange(len(episodes)), "_start": start, "_end": end,
                      "_dropout": ((episodes["end_reason"] == "dropout").to_numpy(dtype=bool, na_value=False)
                                   if "end_reason" in episodes.columns else False)})
    e["client_id"] = _take(episodes["client_id"], None)
    e["episode_id"] = _take(episodes["episode_id"], None)
    cand = e[["_c", "_e", "_start", "_end", "_dropout"]].merge(m, on="_c", how="inner", sort=False)
    if has_ep:
        mep, eep = _shared_codes(sc, rows, episodes, "episode_id")
        cm = mep[cand["_m"].to_numpy()]
        cand = cand[(cm < 0) | (cm == eep[cand["_e"].to_numpy()])]
    day = np.timedelta64(1, "D")
    cand = cand.assign(
        _ds=((cand["_mdate"].to_numpy() - cand["_start"].to_numpy()) / day),
        _de=((cand["_mdate"].to_numpy() - cand["_end"].to_numpy()) / day),
        _dns=cand["_mdate"].to_numpy().astype("int64"),
    ).reset_index(drop=True)
    return e, cand


def _has_duplicates(ids: pd.Series) -> bool:
    """Whether an id occurs twice (a missing id counts as one value), as ``ids.duplicated().any()``;
    for Arrow text from its kept factorization (:func:`effectstudy.core.keys.text_factorize`)."""
    fact = text_factorize(ids)
    if fact is None:
        return bool(ids.duplicated().any())
    codes, uniques = fact
    return len(uniques) + int((codes < 0).any()) < len(codes)


@dataclass(frozen=True)
class _Assignment:
    """The chosen pre and post rows of ``cand`` and the masks the statuses are read from."""

    pre: pd.DataFrame
    post: pd.DataFrame
    scored: np.ndarray  # the candidate has a score
    in_pre: np.ndarray  # within the pre window
    in_post: np.ndarray  # within the post window
    post_ok: np.ndarray  # the post rule accepts it as a post (end_only: an end measurement)
    after_pre: np.ndarray  # later than the episode's chosen pre measurement
    banned_pre: np.ndarray  # lost to another episode as its pre (or post) measurement
    banned_post: np.ndarray


def _assign(cand: pd.DataFrame, e: pd.DataFrame, pw: tuple[int, int], qw: tuple[int, int],
            post_rule: str) -> _Assignment:
    """Nearest pre and post per episode; a measurement claimed twice goes to one claim.

    Each round picks, per episode, the nearest scored measurement in the pre window and
    then the post in the post window that ``post_rule`` accepts: the nearest later end
    measurement (``end_only``) or the last later measurement (``last_measurement``).  The
    claim of a post is its distance from the end date.  A measurement picked more than once is
    kept by the claim with the smallest distance (a tie goes to the pre role, then to the
    later episode start); the others are banned for that role and the round repeats.
    """
    n_ep = len(e)
    ds = cand["_ds"].to_numpy()
    de = cand["_de"].to_numpy()
    scored = ~np.isnan(cand["_score"].to_numpy())
    in_pre = (ds >= pw[0]) & (ds <= pw[1])
    in_post = (de >= qw[0]) & (de <= qw[1])  # NaN (open) compares False
    last = post_rule == "last_measurement"
    post_ok = np.ones(len(cand), dtype=bool) if last else cand["_oend"].to_numpy()
    ekey = cand["_e"].to_numpy()
    banned_pre = np.zeros(len(cand), dtype=bool)
    banned_post = np.zeros(len(cand), dtype=bool)
    for _ in range(50):  # rounds of conflict resolution, each vectorised
        pre = _pick(cand, "_ds", scored & in_pre & ~banned_pre, tie_later=False)
        pre_dns = np.full(n_ep, np.iinfo(np.int64).max)
        pre_dns[pre["_e"].to_numpy()] = pre["_dns"].to_numpy()
        after_pre = cand["_dns"].to_numpy() > pre_dns[ekey]
        post = _pick(cand, "_de", scored & in_post & post_ok & after_pre & ~banned_post,
                     tie_later=True, latest=last)
        assign = pd.concat([
            pd.DataFrame({"_m": pre["_m"].to_numpy(), "_e": pre["_e"].to_numpy(), "role": 0,
                          "absd": pre["_ds"].abs().to_numpy(), "row": pre.index.to_numpy()}),
            pd.DataFrame({"_m": post["_m"].to_numpy(), "_e": post["_e"].to_numpy(), "role": 1,
                          "absd": post["_de"].abs().to_numpy(), "row": post.index.to_numpy()}),
        ], ignore_index=True)
        shared = assign["_m"].duplicated(keep=False).to_numpy()
        if not shared.any():
            break
        a = assign[shared]
        # winner: smallest distance; tie -> pre role, then the later episode start
        a = a.assign(_start=e["_start"].to_numpy()[a["_e"].to_numpy()].astype("int64"))
        a = a.sort_values(["_m", "absd", "role", "_start"], ascending=[True, True, True, False])
        losers = a[a["_m"].duplicated(keep="first")]
        rows = losers["row"].to_numpy()
        banned_pre[rows[losers["role"].to_numpy() == 0]] = True
        banned_post[rows[losers["role"].to_numpy() == 1]] = True
    else:  # pragma: no cover - would need > 50 chained conflicts for one measurement
        raise DataError("could not assign measurements to episodes without conflicts")
    return _Assignment(pre=pre, post=post, scored=scored, in_pre=in_pre, in_post=in_post,
                       post_ok=post_ok, after_pre=cand["_dns"].to_numpy() > pre_dns[ekey],
                       banned_pre=banned_pre, banned_post=banned_post)


def _statuses(cand: pd.DataFrame, e: pd.DataFrame, a: _Assignment) -> np.ndarray:
    """Each episode's status as its position in :data:`STATUSES`: paired, or why not."""
    n_ep = len(e)
    ekey = cand["_e"].to_numpy()
    has_pre = np.zeros(n_ep, dtype=bool)
    has_pre[a.pre["_e"].to_numpy()] = True
    has_post = np.zeros(n_ep, dtype=bool)
    has_post[a.post["_e"].to_numpy()] = True

    def any_by_episode(mask: np.ndarray) -> np.ndarray:
        return np.bincount(ekey[mask], minlength=n_ep) > 0

    scored, in_pre, in_post, after_pre = a.scored, a.in_pre, a.in_post, a.after_pre
    any_valid = any_by_episode(scored)
    pre_nan = any_by_episode(~scored & in_pre)
    # a lost measurement was picked as a pre (or post), so it is scored and in its window
    pre_shared = any_by_episode(a.banned_pre)
    # the post side looks only at the measurements the post rule accepts
    post_nan = any_by_episode(~scored & in_post & a.post_ok & after_pre)
    post_shared = any_by_episode(after_pre & a.banned_post)
    later_valid = any_by_episode(scored & a.post_ok & after_pre)
    is_open = np.isnat(e["_end"].to_numpy())
    return np.select(
        [has_pre & has_post,
         ~has_pre & ~any_valid & ~pre_nan,
         ~has_pre & pre_nan,
         ~has_pre & pre_shared,
         ~has_pre,
         is_open,
         post_nan,
         post_shared,
         later_valid],
        [STATUSES.index(x) for x in ("paired", "no_pre", "scale_missing", "measurement_shared",
                                     "pre_outside_window", "episode_open", "scale_missing",
                                     "measurement_shared", "post_outside_window")],
        STATUSES.index("no_post"),
    ).astype(np.int8)


def _post_counts(cand: pd.DataFrame, e: pd.DataFrame, a: _Assignment, status: np.ndarray,
                 has_occasion: bool) -> dict[str, Any]:
    """What the post rule did: interim-as-post pairs (``last_measurement``) and the episodes
    without a post that have only interim measurements after the pre (``end_only``; under
    ``last_measurement`` a ``no_post`` episode has no later measurement at all, so 0).

    ``None`` where the scores carry no occasion (it cannot be told).
    """
    if not has_occasion:
        return {"n_interim_as_post": None, "n_interim_as_post_dropout": None,
                "n_no_post_interim_only": None}
    paired = status[a.post["_e"].to_numpy()] == "paired"
    not_end = ~a.post["_oend"].to_numpy()
    interim_post = a.post["_e"].to_numpy()[paired & not_end]
    dropout = e["_dropout"].to_numpy()
    ekey = cand["_e"].to_numpy()
    later = np.bincount(ekey[a.scored & a.after_pre], minlength=len(e)) > 0
    only_interim = (status == "no_post") & later
    return {"n_interim_as_post": int(len(interim_post)),
            "n_interim_as_post_dropout": int(dropout[interim_post].sum()),
            "n_no_post_interim_only": int(only_interim.sum())}


def _episode_table(e: pd.DataFrame, codes: np.ndarray, a: _Assignment, occasion: pd.Series | None
                   ) -> pd.DataFrame:
    """One row per episode: ids, status and the chosen pre/post dates and scores."""
    n_ep = len(e)
    ep_out = pd.DataFrame({
        "episode_id": _take(e["episode_id"], None),
        "client_id": _take(e["client_id"], None),
        "status": pd.Categorical.from_codes(codes, categories=list(STATUSES)),
    })
    for role, pick in (("pre", a.pre), ("post", a.post)):
        dt = np.full(n_ep, np.datetime64("NaT"), dtype="datetime64[ns]")
        val = np.full(n_ep, np.nan)
        idx = pick["_e"].to_numpy()
        dt[idx] = pick["_mdate"].to_numpy()
        val[idx] = pick["_score"].to_numpy()
        ep_out[f"{role}_date"] = dt
        ep_out[f"{role}_score"] = val
    occ = np.full(n_ep, None, dtype=object)
    if occasion is not None:  # the chosen posts' occasions only, as Python values
        occ[a.post["_e"].to_numpy()] = occasion.iloc[a.post["_m"].to_numpy()].astype(object).to_numpy()
    ep_out["post_occasion"] = occ
    return ep_out


def _long_pairs(e: pd.DataFrame, episodes: pd.DataFrame, a: _Assignment, ok: np.ndarray,
                covs: list[str], value: str) -> pd.DataFrame:
    """Two rows (pre, then post) per paired episode, in episode order, with the episode
    covariates ``covs``; every column is taken once by one interleaved row index."""
    picks = []
    for pick in (a.pre, a.post):
        p = pick[ok[pick["_e"].to_numpy()]]
        picks.append(p.iloc[np.argsort(p["_e"].to_numpy(), kind="stable")])
    pre, post = picks  # a paired episode has exactly one of each, so both are in episode order
    idx = np.repeat(pre["_e"].to_numpy(), 2)

    def both(col: str) -> np.ndarray:
        out = np.empty(2 * len(pre), dtype=pre[col].dtype)
        out[0::2], out[1::2] = pre[col].to_numpy(), post[col].to_numpy()
        return out

    data = pd.DataFrame({
        "episode_id": _take(e["episode_id"], idx),
        "client_id": _take(e["client_id"], idx),
        "time": _text(pa.array(["pre", "post"]), np.tile(np.array([0, 1], dtype=np.int8), len(pre))),
        value: both("_score"),
        "date": both("_mdate"),
        "days_from_start": both("_ds").astype(int),
        "days_from_end": both("_de").astype(int),
    })
    for c in covs:
        data[c] = _take(episodes[c], idx)
    return data


def pair_prepost(
    scores: Any,
    episodes: pd.DataFrame,
    *,
    scale: str,
    instrument: str | None = None,
    pre_window: tuple[int, int] = (-30, 14),
    post_window: tuple[int, int] = (-30, 30),
    covariates: Sequence[str] | None = None,
    value: str = "score",
    post_rule: str = "end_only",
) -> PairResult:
    r"""Find each episode's pre and post score of ``scale`` (see the module notes).

    Parameters
    ----------
    scores : DataFrame or ScoreResult
        Long scores (``client_id, date, scale, score`` and optionally ``episode_id``,
        ``instrument``), or an object with a ``.scores`` DataFrame (``es.score(...)``).
    episodes : DataFrame
        Canonical episodes (``episode_id, client_id, start_date, end_date``, covariates).
    scale : str
        The scale to pair, e.g. ``"GSI"``.
    instrument : str, optional
        Use only scores of this instrument (required when several instruments share the
        scale name).
    pre_window, post_window : (int, int)
        Days relative to the start and end date (inclusive).
    covariates : list of str, optional
        Episode columns copied to ``data``; default those present among ``diagnosis``,
        ``care_type``, ``treatment``, ``end_reason``, ``sessions``.
    value : str, default "score"
        The column of ``scores`` to pair; ``"t_score"`` pairs the output of
        ``es.t_scores(...)``, so that ``prepost_effect(..., outcome="t_score")`` reports
        the change in T (:math:`\Delta T`, ``mean_change``).  ``data`` names the column
        the same.
    post_rule : {"end_only", "last_measurement"}, default "end_only"
        Which measurement may be the post: only an end measurement (``occasion ==
        "post"``, nearest to the end date; needs an ``occasion`` column), or the last
        measurement in the post window whatever its occasion (interim included; the pairs
        whose post is not an end measurement are counted in ``meta``).  See the module
        notes for why ``end_only`` is the default.

    Returns
    -------
    PairResult
        ``.data`` (long, ``time`` in {"pre", "post"}), ``.episodes`` (with the chosen
        post's ``post_occasion``), ``.flow``.  ``meta`` records ``post_rule``,
        ``n_interim_as_post``, ``n_interim_as_post_dropout`` and ``n_no_post_interim_only``
        (``None`` when the scores have no occasion).

    Raises
    ------
    ArgumentError
        An unknown ``post_rule``, or ``end_only`` on scores that record no occasion.

    Examples
    --------
    >>> import pandas as pd, effectstudy as es
    >>> ep = pd.DataFrame({"episode_id": ["e1", "e2", "e3"], "client_id": ["c1", "c1", "c2"],
    ...     "start_date": pd.to_datetime(["2024-01-10", "2024-06-01", "2024-02-01"]),
    ...     "end_date": pd.to_datetime(["2024-05-01", None, "2024-07-01"])})
    >>> sc = pd.DataFrame({"client_id": ["c1", "c1", "c1", "c2"], "scale": "GSI",
    ...     "date": pd.to_datetime(["2024-01-08", "2024-05-03", "2024-06-02", "2024-02-02"]),
    ...     "occasion": ["pre", "post", "pre", "pre"], "score": [2.1, 1.2, 1.9, 1.5]})
    >>> pr = es.pair_prepost(sc, ep, scale="GSI")
    >>> pr.data[["episode_id", "time", "score", "days_from_start", "days_from_end"]]
      episode_id  time  score  days_from_start  days_from_end
    0         e1   pre    2.1               -2           -114
    1         e1  post    1.2              114              2
    >>> pr.flow
             status  n
    0        paired  1
    1  episode_open  1
    2       no_post  1
    """
    sc = getattr(scores, "scores", scores)
    if not isinstance(sc, pd.DataFrame):
        raise ArgumentTypeError("scores", scores, "a DataFrame of long scores or es.score(...)")
    if not isinstance(episodes, pd.DataFrame):
        raise ArgumentTypeError("episodes", episodes, "the episodes DataFrame")
    pw = _window("pre_window", pre_window)
    qw = _window("post_window", post_window)
    if post_rule not in POST_RULES:
        raise ArgumentError("post_rule", post_rule, f"one of {list(POST_RULES)}")
    _need(sc, "scores", ["client_id", "date", "scale", value])
    _need(episodes, "episodes", ["episode_id", "client_id", "start_date"])
    if _has_duplicates(episodes["episode_id"]):
        dup = episodes["episode_id"].duplicated()
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataError("duplicate episode id", row=episodes.index[i], column="episode_id",
                        value=episodes["episode_id"].iloc[i], expected="one row per episode", identifying=True)
    rows = _scale_rows(sc, scale, instrument)
    s = sc[[c for c in dict.fromkeys(("date", value, "occasion")) if c in sc.columns]].iloc[rows]
    has_occasion = "occasion" in s.columns and bool(s["occasion"].notna().any())
    if post_rule == "end_only" and not has_occasion:
        raise ArgumentError("post_rule", post_rule, "scores with an 'occasion' column (pre, interim, "
                            f"post) for 'end_only': the {scale} scores record no occasion, so no "
                            "measurement is known to be the end measurement; map the export's "
                            "occasion column, or pass post_rule='last_measurement' (params: "
                            "analysis.post_rule) to take the last measurement in the post window")
    e, cand = _candidates(sc, rows, s, episodes, value)
    assigned = _assign(cand, e, pw, qw, post_rule)
    codes = _statuses(cand, e, assigned)
    status = np.asarray(STATUSES)[codes]
    ep_out = _episode_table(e, codes, assigned, s["occasion"] if "occasion" in s.columns else None)
    ok = status == "paired"
    if covariates is None:
        covs = [c for c in DEFAULT_COVARIATES if c in episodes.columns]
    else:
        _need(episodes, "episodes", list(covariates))
        covs = list(covariates)
    data = _long_pairs(e, episodes, assigned, ok, covs, value)
    n_ep = len(e)
    counts = {STATUSES[i]: int(c) for i, c in enumerate(np.bincount(codes, minlength=len(STATUSES))) if c}
    flow = pd.DataFrame({"status": [s_ for s_ in STATUSES if counts.get(s_, 0) > 0]})
    flow["n"] = [int(counts[s_]) for s_ in flow["status"]]
    meta = base_meta(
        "nearest_in_window", scale=scale, instrument=instrument, pre_window=pw,
        post_window=qw, post_rule=post_rule, value=value, n_original=int(n_ep),
        n_used=int(ok.sum()),
        exclusions={k: int(counts[k]) for k in STATUSES if k != "paired" and k in counts},
        n_score_rows=int(len(s)),
        **_post_counts(cand, e, assigned, status, has_occasion),
    )
    return PairResult(patients=ep_out, meta=meta, data=data, flow=flow)
