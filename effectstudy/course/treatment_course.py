r"""Treatment course: how long treatments last, how they end, and length versus outcome.

:func:`treatment_course` describes the episodes of a practice the way the effect study
asks (domain questions 4 and 5): the number of sessions and the duration, the share of
treatments below, within and beyond the planned 5-20 sessions, the end reasons
(regular, dropout, referral ...), the time to the first interim ROM measurement, and the
relation of treatment length to outcome.  Every table is given per group and overall;
open episodes and missing values are counted in the tables, never dropped silently.

Shares come with Wilson score intervals (:func:`effectstudy.kernels.proportions.wilson_ci`).

>>> import pandas as pd, effectstudy as es
>>> ep = pd.DataFrame({"episode_id": ["e1", "e2", "e3", "e4"],
...     "start_date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01", "2024-03-01"]),
...     "end_date": pd.to_datetime(["2024-03-11", "2024-01-22", "2024-09-01", None]),
...     "sessions": [8, 3, 24, 6],
...     "end_reason": ["regular", "dropout", "regular", None]})
>>> tc = es.treatment_course(ep)
>>> tc.summary()[["n_episodes", "n_closed", "n_open", "sessions_median", "n_below",
...               "n_within", "n_beyond"]]
   n_episodes  n_closed  n_open  sessions_median  n_below  n_within  n_beyond
0           4         3       1              8.0        1         1         1
>>> tc.end_reasons()[["end_reason", "n", "proportion_closed"]]
  end_reason  n  proportion_closed
0    dropout  1           0.333333
1    regular  2           0.666667
2    missing  0           0.000000
3       open  1                NaN
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from effectstudy.core.checks import check_better_is, check_ci, check_columns
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError
from effectstudy.core.keys import index_positions, isin, key_codes
from effectstudy.core.labels import label, register
from effectstudy.core.plotting import axes
from effectstudy.core.results import TablesResult, base_meta
from effectstudy.kernels.proportions import proportion, wilson_ci

__all__ = ["treatment_course", "TreatmentCourseResult"]

OVERALL = "all"

register({
    "n_episodes": {"nl": "n trajecten", "en": "n episodes"},
    "n_closed": {"nl": "n afgesloten", "en": "n closed"},
    "n_open": {"nl": "n lopend", "en": "n open"},
    "n_sessions_missing": {"nl": "n sessies onbekend", "en": "n sessions missing"},
    "sessions_mean": {"nl": "Sessies gem.", "en": "Sessions mean"},
    "sessions_sd": {"nl": "Sessies SD", "en": "Sessions SD"},
    "sessions_median": {"nl": "Sessies mediaan", "en": "Sessions median"},
    "duration_weeks_median": {"nl": "Duur (weken) mediaan", "en": "Duration (weeks) median"},
    "n_below": {"nl": "n onder gepland", "en": "n below planned"},
    "n_within": {"nl": "n binnen gepland", "en": "n within planned"},
    "n_beyond": {"nl": "n boven gepland", "en": "n beyond planned"},
    "share_within": {"nl": "Aandeel binnen gepland", "en": "Share within planned"},
    "share_beyond": {"nl": "Aandeel boven gepland", "en": "Share beyond planned"},
    "share_within_ci_low": {"nl": "Binnen gepland BI onder", "en": "Within planned CI low"},
    "share_within_ci_high": {"nl": "Binnen gepland BI boven", "en": "Within planned CI high"},
    "share_beyond_ci_low": {"nl": "Boven gepland BI onder", "en": "Beyond planned CI low"},
    "share_beyond_ci_high": {"nl": "Boven gepland BI boven", "en": "Beyond planned CI high"},
    "n_no_outcome": {"nl": "n zonder uitkomst", "en": "n without outcome"},
    "n_improved": {"nl": "n verbeterd", "en": "n improved"},
    "share_improved": {"nl": "Aandeel verbeterd", "en": "Share improved"},
    "n_deteriorated": {"nl": "n verslechterd", "en": "n deteriorated"},
    "share_deteriorated": {"nl": "Aandeel verslechterd", "en": "Share deteriorated"},
    "below": {"nl": "minder dan gepland", "en": "below planned"},
    "within": {"nl": "binnen gepland", "en": "within planned"},
    "beyond": {"nl": "meer dan gepland", "en": "beyond planned"},
    "missing": {"nl": "onbekend", "en": "missing"},
    "open": {"nl": "lopend", "en": "open"},
    "end_reason": {"nl": "Reden einde", "en": "End reason"},
    "proportion_closed": {"nl": "Aandeel afgesloten", "en": "Proportion of closed"},
    "proportion_all": {"nl": "Aandeel alle", "en": "Proportion of all"},
    "regular": {"nl": "regulier", "en": "regular"},
    "dropout": {"nl": "uitval", "en": "dropout"},
    "referral": {"nl": "verwijzing", "en": "referral"},
    "other": {"nl": "anders", "en": "other"},
    "spearman_rho": {"nl": "Spearman rho", "en": "Spearman rho"},
    "mean_improvement": {"nl": "Gem. verbetering", "en": "Mean improvement"},
    "sd_improvement": {"nl": "SD verbetering", "en": "SD improvement"},
    "median_improvement": {"nl": "Mediaan verbetering", "en": "Median improvement"},
    "session_band": {"nl": "Sessies", "en": "Sessions"},
    "n_with_interim": {"nl": "n met tussenmeting", "en": "n with interim"},
    "share_with_interim": {"nl": "Aandeel met tussenmeting", "en": "Share with interim"},
})


#: the planned-range bands in reporting order (codes 0..3)
BAND_LEVELS = ("below", "within", "beyond", "missing")


# -- shared helpers (also used by effectstudy.course.followup and effectstudy.course.satisfaction) ------
def unique_ids(df: pd.DataFrame, col: Hashable, what: str) -> None:
    """Raise a DataError on a duplicate or missing id in ``df[col]``.

    Checked on integer codes (:func:`effectstudy.core.keys.key_codes`); only when a
    problem is found are the slower pandas checks run to name the first offending row.
    """
    codes = key_codes(df[col])[0]
    ok = codes >= 0
    if ok.all() and (codes.max(initial=-1) + 1 == codes.size):
        return
    dup = df[col].duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataError(f"duplicate {col} in {what}", row=df.index[i], column=str(col),
                        value=df[col].iloc[i], expected=f"one row per {col}", identifying=True)
    if df[col].isna().any():
        i = int(np.flatnonzero(df[col].isna().to_numpy())[0])
        raise DataError(f"missing {col} in {what}", row=df.index[i], column=str(col),
                        value=None, expected="an id in every row")


def id_index(col: pd.Series, name: Hashable = "episode_id") -> pd.Index:
    """``pd.Index(col.to_numpy(), name=name)`` without Python objects for Arrow text ids."""
    if col.dtype == pd.StringDtype(storage="pyarrow", na_value=np.nan):
        return pd.Index(col.array, name=name)
    return pd.Index(col.to_numpy(), name=name)


def date_values(df: pd.DataFrame, col: Hashable, arg: str, what: str) -> np.ndarray:
    s = df[col]
    if not pd.api.types.is_datetime64_any_dtype(s):
        raise ArgumentTypeError(arg, f"{what}[{col!r}] of dtype {s.dtype}",
                                "datetime64 dates (parse them with es.read_study or "
                                "pd.to_datetime(..., format=...))")
    return s.to_numpy(dtype="datetime64[ns]")


def count_values(df: pd.DataFrame, col: Hashable, what: str) -> np.ndarray:
    """Whole non-negative numbers as float (NaN = missing); anything else a DataError."""
    s = df[col]
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        bad = pd.to_numeric(s, errors="coerce").isna() & s.notna()
        i = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else 0
        raise DataError(f"not a number in {what}", row=df.index[i], column=str(col),
                        value=s.iloc[i], expected="a whole number of sessions")
    v = s.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isnan(v) & ((v < 0) | (v != np.round(v)) | ~np.isfinite(v))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"invalid count in {what}", row=df.index[i], column=str(col),
                        value=float(v[i]), expected="a whole number >= 0")
    return v


@dataclass(frozen=True)
class Groups:
    """Integer group codes per row plus labels; code ``len(labels) - 1`` is the overall row."""

    codes: np.ndarray  # per row, the group's code (the overall row is added by ``stack``)
    labels: list[Any]
    grouped: bool

    @property
    def k(self) -> int:
        return len(self.labels)

    def stack(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` once with its group code and once with the overall code (``_g``)."""
        if not self.grouped:
            return frame.assign(_g=0)
        return pd.concat([frame.assign(_g=self.codes), frame.assign(_g=self.k - 1)],
                         ignore_index=True)

    def frame(self, cols: dict[str, Any] | None = None) -> pd.DataFrame:
        """A table with one row per group (and the overall row), ``group`` first if grouped."""
        out = pd.DataFrame({"group": pd.Series(self.labels, dtype=object)}) if self.grouped \
            else pd.DataFrame(index=range(1))
        for k, v in (cols or {}).items():
            out[k] = v
        return out


def make_groups(values: pd.Series | np.ndarray | None, *, keep_empty: bool = False) -> Groups:
    """Group levels in order (categorical order, else sorted), ``NaN`` for missing, then
    :data:`OVERALL`.  ``keep_empty``: every category of a categorical, also unobserved."""
    if values is None:
        return Groups(codes=np.zeros(0, dtype=np.int64), labels=[OVERALL], grouped=False)
    s = pd.Series(values)
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(s.dropna().unique())
        levels = [c for c in s.cat.categories if keep_empty or c in present]
    else:
        try:
            levels = sorted(s.dropna().unique().tolist())
        except TypeError:
            levels = sorted(s.dropna().unique().tolist(), key=str)
    codes = pd.Categorical(s, categories=levels).codes.astype(np.int64)
    labels: list[Any] = list(levels)
    if (codes < 0).any():
        codes = np.where(codes < 0, len(levels), codes)
        labels.append(np.nan)
    labels.append(OVERALL)
    return Groups(codes=codes, labels=labels, grouped=True)


def describe(stacked: pd.DataFrame, col: str, k: int, prefix: str = "") -> pd.DataFrame:
    """``n, n_missing, mean, sd, min, q1, median, q3, max`` of ``col`` per ``_g`` code.

    SD with ``n - 1``; quartiles by linear interpolation (R's ``quantile`` type 7).
    """
    g = stacked.groupby("_g", sort=True)[col]
    out = pd.DataFrame({
        "n": g.count(), "n_missing": g.size() - g.count(), "mean": g.mean(), "sd": g.std(),
        "min": g.min(), "q1": g.quantile(0.25), "median": g.median(), "q3": g.quantile(0.75),
        "max": g.max(),
    }).reindex(range(k))
    out["n"] = out["n"].fillna(0).astype(int)
    out["n_missing"] = out["n_missing"].fillna(0).astype(int)
    out.columns = [c if c in ("n", "n_missing") else f"{prefix}{c}" for c in out.columns]
    return out.reset_index(drop=True)


def crosscount(stacked: pd.DataFrame, col: str, levels: Sequence[Any], k: int) -> np.ndarray:
    """``k x len(levels)`` counts of ``col`` per ``_g`` code (levels in the given order)."""
    cat = pd.Categorical(stacked[col], categories=list(levels))
    codes = cat.codes.astype(np.int64)
    ok = codes >= 0
    flat = stacked["_g"].to_numpy()[ok] * len(levels) + codes[ok]
    return np.bincount(flat, minlength=k * len(levels)).reshape(k, len(levels))


def crosscount_codes(stacked: pd.DataFrame, col: str, m: int, k: int) -> np.ndarray:
    """``k x m`` counts of the integer codes ``0..m-1`` in ``col`` per ``_g`` code (as
    :func:`crosscount` of the levels the codes stand for; a negative code is not counted)."""
    codes = stacked[col].to_numpy().astype(np.int64)
    ok = codes >= 0
    flat = stacked["_g"].to_numpy()[ok] * m + codes[ok]
    return np.bincount(flat, minlength=k * m).reshape(k, m)


def reason_codes(reason: pd.Series, reasons: Sequence[Any], closed: np.ndarray) -> np.ndarray:
    """Code per episode of its end reason among ``[*reasons, "missing", "open"]``: the
    reason's position in ``reasons``, ``len(reasons)`` when missing (or not among them:
    not counted then, as in :func:`crosscount`, code -1), ``len(reasons) + 1`` when open."""
    if isinstance(reason.dtype, pd.CategoricalDtype) and list(reason.cat.categories) == list(reasons):
        codes = reason.cat.codes.to_numpy().astype(np.int64)
    else:
        codes = pd.Categorical(reason, categories=list(reasons)).codes.astype(np.int64)
    codes = np.where(reason.isna().to_numpy(), len(reasons), codes)
    return np.where(closed, codes, len(reasons) + 1)


def long_shares(groups: Groups, counts: np.ndarray, levels: Sequence[Any], name: str,
                denom: np.ndarray, ci: float) -> pd.DataFrame:
    """Long table ``[group,] <name>, n, proportion, ci_low, ci_high`` from a count matrix
    (``denom`` per group, or per group and level as a matrix like ``counts``)."""
    k, m = counts.shape
    n = counts.ravel()
    denom = np.asarray(denom, dtype=float)
    d = denom.ravel() if denom.ndim == 2 else np.repeat(denom, m)
    lo, hi = wilson_ci(n, d, ci)
    prop = proportion(n, d)
    out = pd.DataFrame({name: np.tile(np.asarray(levels, dtype=object), k), "n": n,
                        "proportion": prop, "ci_low": lo, "ci_high": hi})
    if groups.grouped:
        out.insert(0, "group", pd.Series(np.repeat(np.asarray(groups.labels, dtype=object), m),
                                         dtype=object))
    return out


def as_status_frame(obj: Any, arg: str, column: str) -> pd.DataFrame:
    """``.patients`` of a result, or a DataFrame, as a frame indexed by episode id."""
    pat = getattr(obj, "patients", obj)
    if isinstance(pat, pd.Series):
        pat = pat.to_frame(column if pat.name is None else pat.name)
    if not isinstance(pat, pd.DataFrame):
        raise ArgumentTypeError(arg, obj, "a result with .patients or a DataFrame indexed by "
                                "episode id")
    if "episode_id" in pat.columns:
        pat = pat.set_index("episode_id")
    if pat.index.has_duplicates:
        i = int(np.flatnonzero(pat.index.duplicated())[0])
        raise DataError(f"duplicate episode id in {arg}", row=i, value=pat.index[i],
                        expected="one row per episode", identifying=True)
    return pat


# -- result ----------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class TreatmentCourseResult(TablesResult):
    """Result of :func:`treatment_course`.

    ``patients`` (index = episode id): ``[group,] closed, sessions, duration_days,
    duration_weeks, planned_band, end_reason`` and, when given, ``has_interim,
    first_interim_days, first_interim_session`` (measurements) and ``change,
    improvement, session_band[, category]`` (outcome).  Accessors return one table each,
    per group and overall (``group == "all"``): :meth:`summary` (headline),
    :meth:`sessions`, :meth:`duration`, :meth:`planned`, :meth:`end_reasons`,
    :meth:`first_interim`, :meth:`length_vs_outcome`, :meth:`outcome_by_length`.
    """

    title = "Treatment course"
    verb = "es.treatment_course"

    def summary(self) -> pd.DataFrame:
        """Headline per group: ``[group,] n_episodes, n_closed, n_open, n_sessions_missing,
        sessions_mean, sessions_sd, sessions_median, duration_weeks_median, n_below,
        n_within, n_beyond, share_within, share_within_ci_low, share_within_ci_high,
        share_beyond, share_beyond_ci_low, share_beyond_ci_high`` (closed episodes; the
        shares' denominator is the closed episodes with a known number of sessions)."""
        return self._table("summary")

    def sessions(self) -> pd.DataFrame:
        """Sessions of closed episodes: ``[group,] n, n_missing, mean, sd, min, q1, median,
        q3, max``."""
        return self._table("sessions")

    def duration(self) -> pd.DataFrame:
        """Duration of closed episodes (end - start): ``[group,] n, days_mean, days_sd,
        days_min, days_q1, days_median, days_q3, days_max, weeks_mean, weeks_median``."""
        return self._table("duration")

    def planned(self) -> pd.DataFrame:
        """Closed episodes below / within / beyond the planned sessions (and ``missing``):
        ``[group,] band, n, proportion, ci_low, ci_high``; ``n`` sums to ``n_closed``."""
        return self._table("planned")

    def end_reasons(self) -> pd.DataFrame:
        """``[group,] end_reason, n, proportion_closed, ci_low, ci_high, proportion_all``;
        rows ``missing`` (closed without a reason) and ``open``; ``n`` sums to
        ``n_episodes``."""
        return self._table("end_reasons", "end_reason")

    def first_interim(self) -> pd.DataFrame:
        """``[group,] n_episodes, n_with_interim, share_with_interim, ci_low, ci_high,
        days_mean, days_median, days_q1, days_q3, sessions_mean, sessions_median,
        sessions_q1, sessions_q3`` (needs ``measurements=``)."""
        return self._table("first_interim", "measurements")

    def length_vs_outcome(self) -> pd.DataFrame:
        """Spearman correlation of sessions with improvement (closed episodes with an
        outcome): ``[group,] n, n_no_outcome, spearman_rho, ci_low, ci_high, p``
        (needs ``outcome=``)."""
        return self._table("length_vs_outcome", "outcome")

    def outcome_by_length(self) -> pd.DataFrame:
        """Outcome per session band: ``[group,] session_band, n, mean_improvement,
        sd_improvement, ci_low, ci_high, median_improvement, mean_change`` and, with
        categories, ``n_improved, share_improved, n_deteriorated, share_deteriorated``
        (needs ``outcome=``)."""
        return self._table("outcome_by_length", "outcome")

    def plot(self, ax=None, kind: Literal["sessions", "length"] = "sessions", *,
             lang: str | None = None):
        """``kind="sessions"``: bars of the number of closed episodes per session count with
        the planned range marked; ``"length"``: sessions against improvement.  In ``lang``
        (default: the result's own language)."""
        from effectstudy.core.plotting import describe_figure, plot_lang

        lang = plot_lang(lang, self.meta)
        p = self.patients
        lo, hi = self.meta["planned"]
        if kind == "sessions":
            ax = axes(ax, figsize=(6.5, 4.2))
            s = p.loc[p["closed"], "sessions"].dropna().astype(int)
            vc = s.value_counts().sort_index()
            ax.bar(vc.index.to_numpy(), vc.to_numpy(), color="#56B4E9", width=0.85)
            ax.axvspan(lo - 0.5, hi + 0.5, color="grey", alpha=0.12, lw=0,
                       label=f"{label('fig_planned', lang)} ({lo}–{hi})")
            ax.set_xlabel(label("sessions", lang))
            ax.set_ylabel(label("fig_n_closed", lang))
            ax.yaxis.get_major_locator().set_params(integer=True)
            ax.legend(frameon=False, fontsize="small", loc="upper right")
            data = pd.DataFrame({"sessions": vc.index.to_numpy(), "n": vc.to_numpy()})
            return describe_figure(ax, title=label("fig_sessions_title", lang),
                                   alt=label("fig_sessions_alt", lang).format(lo=lo, hi=hi), data=data)
        if kind == "length":
            if "improvement" not in p:
                raise ArgumentError("kind", kind, "'sessions' (no outcome= was given)")
            ax = axes(ax, figsize=(6.5, 4.6))
            q = p[p["closed"] & p["improvement"].notna()]
            ax.scatter(q["sessions"], q["improvement"], s=14, alpha=0.6, color="#0072B2",
                       edgecolor="none")
            ax.axhline(0, color="grey", lw=0.8, ls="--")
            ax.axvspan(lo - 0.5, hi + 0.5, color="grey", alpha=0.12, lw=0)
            ax.set_xlabel(label("sessions", lang))
            ax.set_ylabel(label("fig_improvement", lang))
            data = q[["sessions", "improvement"]].reset_index(drop=True)  # no episode ids in a report
            return describe_figure(ax, title=label("fig_length_title", lang),
                                   alt=label("fig_length_alt", lang), data=data)
        raise ArgumentError("kind", kind, "'sessions' or 'length'")


# -- helpers of the verb ----------------------------------------------------------------
def _check_planned(planned: Any) -> tuple[int, int]:
    if (not isinstance(planned, Sequence) or isinstance(planned, str) or len(planned) != 2
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                       for v in planned)
            or not 0 < planned[0] <= planned[1]):
        raise ArgumentError("planned", planned, "two whole numbers of sessions (least, most) "
                            "with 0 < least <= most, e.g. (5, 20)")
    return int(planned[0]), int(planned[1])


def _check_bands(bands: Any) -> tuple[int, ...]:
    ok = (isinstance(bands, Sequence) and not isinstance(bands, str) and len(bands) >= 1
          and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0
                  for v in bands)
          and all(a < b for a, b in zip(bands[:-1], bands[1:], strict=False)))
    if not ok:
        raise ArgumentError("bands", bands, "increasing whole numbers of sessions at which a "
                            "new band starts, e.g. (5, 11, 16, 21)")
    return tuple(int(v) for v in bands)


def band_labels(bands: Sequence[int]) -> list[str]:
    """``(5, 11, 16, 21)`` -> ``['<5', '5-10', '11-15', '16-20', '>20']``."""
    out = [f"<{bands[0]}"]
    out += [f"{a}-{b - 1}" if b - 1 > a else f"{a}" for a, b in zip(bands[:-1], bands[1:],
                                                                      strict=False)]
    out.append(f">{bands[-1] - 1}")
    return out


def _first_interim(measurements: Any, ep_ids: pd.Index, start: np.ndarray, closed: np.ndarray,
                   interim: Any) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    if not isinstance(measurements, pd.DataFrame):
        raise ArgumentTypeError("measurements", measurements, "the measurements DataFrame "
                                "(episode_id, date[, session, occasion])")
    check_columns(measurements, what="measurements", measurements="episode_id")
    check_columns(measurements, what="measurements", measurements="date")
    mdate = date_values(measurements, "date", "measurements", "measurements")
    pos = index_positions(ep_ids, measurements["episode_id"])
    known = (pos >= 0) & ~np.isnat(mdate)
    info: dict[str, Any] = {
        "measurements_other_episode": int(((pos < 0) & measurements["episode_id"].notna()
                                           .to_numpy()).sum()),
        "measurements_without_episode": int(measurements["episode_id"].isna().sum()),
        "measurements_without_date": int(np.isnat(mdate).sum()),
    }
    has_session = "session" in measurements.columns
    sess = (count_values(measurements, "session", "measurements") if has_session
            else np.full(len(measurements), np.nan))
    m = pd.DataFrame({"_e": pos[known], "_d": mdate[known].astype("int64"),
                      "_s": sess[known]})
    if "occasion" in measurements.columns:
        occ = measurements["occasion"]
        if occ.dtype == pd.StringDtype(storage="pyarrow", na_value=np.nan) and isinstance(interim, str):
            is_interim = (occ == interim).to_numpy(dtype=bool)[known]  # no Python objects
        else:
            is_interim = np.asarray(pd.Series(occ.to_numpy()[known]) == interim, dtype=bool)
        info["interim_rule"] = f"occasion == {interim!r}"
    else:
        # without occasions: strictly after the episode's first measurement and, for closed
        # episodes, strictly before its last measurement (taken as pre and post)
        g = m.groupby("_e")["_d"]
        first = g.transform("min").to_numpy()
        last = g.transform("max").to_numpy()
        cl = closed[m["_e"].to_numpy()]
        d = m["_d"].to_numpy()
        is_interim = (d > first) & (~cl | (d < last))
        info["interim_rule"] = ("no occasion column: strictly after the episode's first "
                                "measurement and, for closed episodes, strictly before its "
                                "last measurement")
    mi = m[is_interim].sort_values(["_e", "_d", "_s"], kind="stable")
    mi = mi.drop_duplicates("_e", keep="first")
    n = len(ep_ids)
    days = np.full(n, np.nan)
    sessions = np.full(n, np.nan)
    e = mi["_e"].to_numpy()
    days[e] = (mi["_d"].to_numpy() - start[e].astype("int64")) / 86_400e9
    sessions[e] = mi["_s"].to_numpy()
    info["interim_session_source"] = "measurements['session']" if has_session else None
    return days, sessions, info


def outcome_frame(outcome: Any, better_is: str | None) -> tuple[pd.DataFrame, str, str]:
    """Per-episode ``change`` (post - pre) and ``category`` from ``outcome``; returns the
    frame (index = episode id), ``better_is`` and a description of the source."""
    pat = as_status_frame(outcome, "outcome", "change")
    meta = getattr(outcome, "meta", {}) or {}
    if "change" in pat.columns:
        change = pd.to_numeric(pat["change"], errors="coerce")
        source = "outcome['change'] (post - pre)"
    elif {"pre_score", "post_score"} <= set(pat.columns):
        change = pat["post_score"] - pat["pre_score"]
        source = "post_score - pre_score of the pairs"
    else:
        raise ArgumentError("outcome", type(outcome).__name__,
                            "es.reliable_change / es.clinical_significance / es.pair_prepost "
                            "output, or a DataFrame indexed by episode id with a 'change' "
                            f"column (post - pre); it has {list(pat.columns)}")
    b = better_is if better_is is not None else meta.get("better_is")
    check_better_is(b, hint="the direction of improvement of the outcome; not in outcome.meta")
    out = pd.DataFrame({"change": change.to_numpy(dtype=float, na_value=np.nan)},
                       index=pat.index)
    if "category" in pat.columns:
        out["category"] = pat["category"].astype(str).where(pat["category"].notna())
    return out, b, source


def spearman_ci(rho: np.ndarray, n: np.ndarray, ci: float) -> tuple[np.ndarray, np.ndarray]:
    r"""Fisher-z interval of Spearman's rho with the Bonett & Wright (2000) variance
    :math:`(1 + \rho^2/2)/(n - 3)`; NaN for :math:`n < 4`."""
    z = float(stats.norm.ppf(0.5 + ci / 2))
    rho = np.asarray(rho, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt((1 + rho * rho / 2) / (n - 3))
        zr = np.arctanh(np.clip(rho, -1 + 1e-15, 1 - 1e-15))
        lo = np.where(n > 3, np.tanh(zr - z * se), np.nan)
        hi = np.where(n > 3, np.tanh(zr + z * se), np.nan)
    return lo, hi


# -- the verb ---------------------------------------------------------------------------
def treatment_course(
    episodes: pd.DataFrame,
    *,
    episode: Hashable = "episode_id",
    sessions: Hashable = "sessions",
    start: Hashable = "start_date",
    end: Hashable = "end_date",
    end_reason: Hashable | None = "end_reason",
    planned: tuple[int, int] = (5, 20),
    measurements: pd.DataFrame | None = None,
    interim: Any = "interim",
    outcome: Any = None,
    better_is: Literal["lower", "higher"] | None = None,
    bands: Sequence[int] = (5, 11, 16, 21),
    group: Hashable | None = None,
    ci: float = 0.95,
    keep_empty_groups: bool = False,
) -> TreatmentCourseResult:
    r"""Sessions, duration, planned range, end reasons, first interim and length vs outcome.

    Parameters
    ----------
    episodes : DataFrame
        Canonical episodes, one row per episode.
    episode, sessions, start, end, end_reason : column names
        Episode id, sessions held, first and last session date (``end`` empty while the
        episode is open) and end reason (``None`` when there is none).
    planned : (int, int), default (5, 20)
        The planned number of sessions: ``below`` means fewer than ``planned[0]``,
        ``beyond`` more than ``planned[1]``.
    measurements : DataFrame, optional
        ROM administrations (``episode_id, date``, optional ``session`` and ``occasion``)
        for the time to the first interim measurement: a row with ``occasion == interim``;
        without an ``occasion`` column, a measurement strictly after the episode's first
        measurement and (closed episodes) strictly before its last one.  Measurements of
        episodes not in ``episodes`` are ignored and counted in ``meta``.
    interim : default "interim"
        The ``occasion`` value of interim measurements.
    outcome : result or DataFrame, optional
        Per-episode outcome for the length-versus-outcome tables: the result of
        ``es.reliable_change`` / ``es.clinical_significance`` (``.patients`` indexed by
        episode id with ``change`` and ``category``), ``es.pair_prepost`` (``pre_score``,
        ``post_score``), or a DataFrame indexed by (or with a column) ``episode_id`` and a
        ``change`` column (post - pre).
    better_is : {"lower", "higher"}, optional
        Direction of improvement of the outcome; default ``outcome.meta["better_is"]``.
    bands : sequence of int, default (5, 11, 16, 21)
        Session counts at which a new band starts for :meth:`outcome_by_length`
        (default bands ``<5, 5-10, 11-15, 16-20, >20``).
    group : column name, optional
        Episode column to break every table down by (missing values form their own group;
        every table also has the overall row ``group == "all"``).
    ci : float, default 0.95
        Confidence level of the Wilson intervals and the correlation CI.
    keep_empty_groups : bool, default False
        List the unobserved categories of a categorical ``group`` with zero counts
        (:func:`effectstudy.stagnation_followup` shows every status this way).

    Returns
    -------
    TreatmentCourseResult
        ``.summary()`` headline, ``.sessions()``, ``.duration()``, ``.planned()``,
        ``.end_reasons()``, ``.first_interim()``, ``.length_vs_outcome()``,
        ``.outcome_by_length()``, ``.patients``, ``.plot()``.

    Notes
    -----
    **Closed** episodes have an end date; distributions of sessions and duration and the
    planned-range shares use closed episodes only (an open episode's count is still
    growing); open episodes are counted (``n_open``; the ``open`` row of the end reasons).
    Duration = end - start in days (weeks = days / 7).  Quartiles are type 7 (linear).

    Proportions :math:`x/n` have Wilson score intervals
    (:func:`effectstudy.kernels.proportions.wilson_ci`, as R's ``prop.test(correct = FALSE)``).
    Improvement is :math:`d\,(post - pre)`, :math:`d = -1` when lower scores are better,
    so a positive value is always improvement.  Length versus outcome: Spearman's
    :math:`\rho` of sessions with improvement over the closed episodes with both (ties get
    mid-ranks), the p-value of ``scipy.stats.spearmanr`` (t approximation, :math:`n - 2`
    df) and the interval :math:`\tanh(\operatorname{artanh}\rho \pm z\,s)`,
    :math:`s^2 = (1 + \rho^2/2)/(n-3)` (Bonett & Wright 2000).  Per session band the mean
    improvement has a t interval.  Episodes with an outcome but no end date are not used
    there and are counted in ``meta["outcome_open"]``.

    References
    ----------
    Bonett, D. G., & Wright, T. A. (2000). Sample size requirements for estimating Pearson,
    Kendall and Spearman correlations. *Psychometrika, 65*\ (1), 23-28.
    https://doi.org/10.1007/BF02294183

    Wilson, E. B. (1927). *JASA, 22*\ (158), 209-212.

    Size: six commented tables (sessions and duration, planned range, headline shares, end
    reasons, first interim measurement, length versus outcome) built in one pass over the
    same per-episode arrays and group codes; kept whole in this step of issue 13, a split
    into one function per table is the natural next step.

    Examples
    --------
    >>> import pandas as pd, effectstudy as es
    >>> episodes = pd.DataFrame({
    ...     "episode_id": ["E1", "E2", "E3", "E4"], "sessions": [4, 12, 8, 3],
    ...     "start_date": pd.to_datetime(["2024-01-08", "2024-02-05", "2024-03-04", "2024-04-01"]),
    ...     "end_date": pd.to_datetime(["2024-02-19", "2024-06-24", "2024-05-13", None]),
    ...     "end_reason": ["dropout", "regular", "regular", None]})
    >>> course = es.treatment_course(episodes)
    >>> course.sessions()                       # closed episodes only: E4 is still open
       n  n_missing  mean   sd  min   q1  median    q3   max
    0  3          0   8.0  4.0  4.0  6.0     8.0  10.0  12.0
    >>> course.end_reasons()[["end_reason", "n", "proportion_closed"]].round(3)
      end_reason  n  proportion_closed
    0    dropout  1              0.333
    1    regular  2              0.667
    2    missing  0              0.000
    3       open  1                NaN
    """
    if not isinstance(episodes, pd.DataFrame):
        raise ArgumentTypeError("episodes", episodes, "the episodes DataFrame")
    lo_p, hi_p = _check_planned(planned)
    band_cuts = _check_bands(bands)
    ci = check_ci(ci)
    check_columns(episodes, what="episodes", episode=episode, sessions=sessions, start=start,
                  end=end, end_reason=end_reason, group=group)
    unique_ids(episodes, episode, "episodes")
    st = date_values(episodes, start, "start", "episodes")
    en = date_values(episodes, end, "end", "episodes")
    if np.isnat(st).any():
        i = int(np.flatnonzero(np.isnat(st))[0])
        raise DataError("missing start date", row=episodes.index[i], column=str(start),
                        value=None, expected="the date of the first session")
    closed = ~np.isnat(en)
    with np.errstate(invalid="ignore"):
        days = np.where(closed, (en - st) / np.timedelta64(1, "D"), np.nan)
    if (days < 0).any():
        i = int(np.flatnonzero(days < 0)[0])
        raise DataError("end date before start date", row=episodes.index[i], column=str(end),
                        value=str(en[i])[:10], expected=f"a date on or after {start!r}", identifying=True)
    ses = count_values(episodes, sessions, "episodes")
    ids = id_index(episodes[episode])
    groups = make_groups(episodes[group] if group is not None else None,
                         keep_empty=keep_empty_groups)
    n_ep = len(episodes)

    # band codes in the order of BAND_LEVELS (below, within, beyond, missing)
    band_code = np.select([np.isnan(ses), ses < lo_p, ses > hi_p], [3, 0, 2], 1).astype(np.int8)
    pat = pd.DataFrame(index=ids)
    if group is not None:
        pat["group"] = episodes[group].to_numpy()
    pat["closed"] = closed
    pat["sessions"] = ses
    pat["duration_days"] = days
    pat["duration_weeks"] = days / 7
    pat["planned_band"] = pd.Categorical.from_codes(band_code, categories=list(BAND_LEVELS))
    if end_reason is not None:
        reason = episodes[end_reason]
        pat["end_reason"] = reason.to_numpy()
        if isinstance(reason.dtype, pd.CategoricalDtype):
            reasons = list(reason.cat.categories)
        else:
            try:
                reasons = sorted(reason.dropna().unique().tolist())
            except TypeError:
                reasons = sorted(reason.dropna().unique().tolist(), key=str)
        # a reason recorded on an open episode: the end date decides (counted in meta)
        open_with_reason = int((~closed & reason.notna().to_numpy()).sum())
    else:
        reasons, open_with_reason = [], 0

    base = pd.DataFrame({"sessions": ses, "days": days, "weeks": days / 7, "closed": closed,
                         "band": band_code})
    if end_reason is not None:
        base["reason"] = reason_codes(episodes[end_reason], reasons, closed)
    if groups.grouped:
        codes = groups.codes
    else:
        codes = np.zeros(n_ep, dtype=np.int64)
    groups = Groups(codes=codes, labels=groups.labels, grouped=groups.grouped)
    stacked = groups.stack(base)
    k = groups.k
    n_all = np.bincount(stacked["_g"].to_numpy(), minlength=k)
    n_closed = np.bincount(stacked["_g"].to_numpy(), weights=stacked["closed"].to_numpy(),
                           minlength=k).astype(int)
    sc = stacked[stacked["closed"].to_numpy()]

    # sessions and duration (closed episodes)
    t_sessions = groups.frame()
    t_sessions = pd.concat([t_sessions, describe(sc, "sessions", k)], axis=1)
    dd = describe(sc, "days", k, prefix="days_")
    ww = describe(sc, "weeks", k, prefix="weeks_")
    t_duration = pd.concat([groups.frame(), dd.drop(columns="n_missing"),
                            ww[["weeks_mean", "weeks_median"]]], axis=1)

    # planned range
    levels = list(BAND_LEVELS)
    cnt = crosscount_codes(sc, "band", len(levels), k)
    known = cnt[:, :3].sum(axis=1)
    t_planned = long_shares(groups, cnt, levels, "band", n_closed, ci)
    # shares in the headline are of closed episodes with a known number of sessions
    w_lo, w_hi = wilson_ci(cnt[:, 1], known, ci)
    b_lo, b_hi = wilson_ci(cnt[:, 2], known, ci)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_w = np.where(known > 0, cnt[:, 1] / known, np.nan)
        share_b = np.where(known > 0, cnt[:, 2] / known, np.nan)
    summary = groups.frame({
        "n_episodes": n_all, "n_closed": n_closed, "n_open": n_all - n_closed,
        "n_sessions_missing": cnt[:, 3],
        "sessions_mean": t_sessions["mean"].to_numpy(),
        "sessions_sd": t_sessions["sd"].to_numpy(),
        "sessions_median": t_sessions["median"].to_numpy(),
        "duration_weeks_median": t_duration["weeks_median"].to_numpy(),
        "n_below": cnt[:, 0], "n_within": cnt[:, 1], "n_beyond": cnt[:, 2],
        "share_within": share_w, "share_within_ci_low": w_lo, "share_within_ci_high": w_hi,
        "share_beyond": share_b, "share_beyond_ci_low": b_lo, "share_beyond_ci_high": b_hi,
    })

    # end reasons
    t_reasons = None
    if end_reason is not None:
        levels_r = [*reasons, "missing", "open"]
        cnt_r = crosscount_codes(stacked, "reason", len(levels_r), k)
        den = np.repeat(n_closed[:, None], len(levels_r), axis=1)
        den[:, -1] = n_all  # the open row's share is of all episodes (set to NaN below)
        t_reasons = long_shares(groups, cnt_r, levels_r, "end_reason", den, ci)
        is_open = t_reasons["end_reason"].to_numpy() == "open"
        for c in ("proportion", "ci_low", "ci_high"):
            t_reasons.loc[is_open, c] = np.nan
        t_reasons = t_reasons.rename(columns={"proportion": "proportion_closed"})
        t_reasons["proportion_all"] = t_reasons["n"] / np.repeat(n_all, len(levels_r))

    meta = base_meta("describe", planned=(lo_p, hi_p), bands=band_cuts,
                     band_labels=band_labels(band_cuts), ci=ci, group=group,
                     overall_label=OVERALL, n_original=n_ep, n_used=n_ep, exclusions={},
                     n_open=int((~closed).sum()), n_sessions_missing=int(np.isnan(ses).sum()),
                     open_with_end_reason=open_with_reason,
                     columns={"episode": episode, "sessions": sessions, "start": start,
                              "end": end, "end_reason": end_reason},
                     quantile_type=7)

    # first interim measurement
    t_interim = None
    if measurements is not None:
        fdays, fsess, info = _first_interim(measurements, ids, st, closed, interim)
        meta.update(info)
        pat["has_interim"] = ~np.isnan(fdays)
        pat["first_interim_days"] = fdays
        pat["first_interim_session"] = fsess
        fi = groups.stack(pd.DataFrame({"days": fdays, "sess": fsess,
                                        "has": ~np.isnan(fdays)}))
        n_with = np.bincount(fi["_g"].to_numpy(), weights=fi["has"].to_numpy(),
                             minlength=k).astype(int)
        lo_i, hi_i = wilson_ci(n_with, n_all, ci)
        di = describe(fi, "days", k)
        si = describe(fi, "sess", k)
        share_i = proportion(n_with, n_all)
        t_interim = groups.frame({
            "n_episodes": n_all, "n_with_interim": n_with, "share_with_interim": share_i,
            "ci_low": lo_i, "ci_high": hi_i,
            "days_mean": di["mean"].to_numpy(), "days_median": di["median"].to_numpy(),
            "days_q1": di["q1"].to_numpy(), "days_q3": di["q3"].to_numpy(),
            "sessions_mean": si["mean"].to_numpy(), "sessions_median": si["median"].to_numpy(),
            "sessions_q1": si["q1"].to_numpy(), "sessions_q3": si["q3"].to_numpy(),
        })

    # length versus outcome
    t_corr = t_band = None
    if outcome is not None:
        of, b, source = outcome_frame(outcome, better_is)
        d = -1.0 if b == "lower" else 1.0
        pos = index_positions(of.index, ids)
        unknown = int((~isin(of.index, ids)).sum())
        change = np.where(pos >= 0, of["change"].to_numpy()[pos], np.nan)
        pat["change"] = change
        pat["improvement"] = d * change
        bidx = np.searchsorted(np.asarray(band_cuts), ses, side="right")
        blabels = band_labels(band_cuts)
        sband = np.where(np.isnan(ses), None, np.asarray(blabels, dtype=object)[
            np.clip(bidx, 0, len(blabels) - 1)])
        pat["session_band"] = pd.Categorical(sband, categories=blabels, ordered=True)
        has_cat = "category" in of.columns
        if has_cat:
            cat = np.where(pos >= 0, of["category"].to_numpy(dtype=object)[pos], None)
            pat["category"] = cat
        has_out = ~np.isnan(change)
        use = closed & has_out & ~np.isnan(ses)
        meta.update(outcome_source=source, better_is=b, outcome_not_in_episodes=unknown,
                    outcome_open=int((has_out & ~closed).sum()),
                    outcome_sessions_missing=int((has_out & closed & np.isnan(ses)).sum()),
                    correlation="spearman", correlation_ci="fisher_z_bonett_wright_2000")
        frame = pd.DataFrame({"sessions": ses, "imp": d * change, "change": change,
                              "use": use, "band": sband,
                              "noout": closed & ~has_out})
        if has_cat:
            frame["good"] = np.isin(pat["category"].to_numpy(dtype=object),
                                    ["recovered", "improved"])
            frame["bad"] = np.isin(pat["category"].to_numpy(dtype=object),
                                   ["deteriorated", "harmed"])
        fs = groups.stack(frame)
        n_noout = np.bincount(fs["_g"].to_numpy(), weights=fs["noout"].to_numpy(),
                              minlength=k).astype(int)
        fu = fs[fs["use"].to_numpy()]
        # Spearman per group: rank within group (average ranks), then Pearson of the ranks
        rk = fu.groupby("_g")[["sessions", "imp"]].rank(method="average")
        gcode = fu["_g"].to_numpy()
        nn = np.bincount(gcode, minlength=k)
        rx = rk["sessions"].to_numpy()
        ry = rk["imp"].to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            mx = np.bincount(gcode, weights=rx, minlength=k) / nn
            my = np.bincount(gcode, weights=ry, minlength=k) / nn
            dx = rx - mx[gcode]
            dy = ry - my[gcode]
            sxy = np.bincount(gcode, weights=dx * dy, minlength=k)
            sxx = np.bincount(gcode, weights=dx * dx, minlength=k)
            syy = np.bincount(gcode, weights=dy * dy, minlength=k)
            rho = np.where((sxx > 0) & (syy > 0), sxy / np.sqrt(sxx * syy), np.nan)
            tstat = rho * np.sqrt((nn - 2) / (1 - rho * rho))
            pval = np.where(nn > 2, 2 * stats.t.sf(np.abs(tstat), nn - 2), np.nan)
        pval = np.where(np.abs(rho) == 1, 0.0, pval)
        rlo, rhi = spearman_ci(rho, nn, ci)
        t_corr = groups.frame({"n": nn, "n_no_outcome": n_noout, "spearman_rho": rho,
                               "ci_low": rlo, "ci_high": rhi, "p": pval})
        # outcome per session band
        agg = fu.groupby(["_g", "band"], observed=True)
        tab = pd.DataFrame({"n": agg["imp"].size(), "mean_improvement": agg["imp"].mean(),
                            "sd_improvement": agg["imp"].std(),
                            "median_improvement": agg["imp"].median(),
                            "mean_change": agg["change"].mean()})
        if has_cat:
            tab["n_improved"] = agg["good"].sum()
            tab["n_deteriorated"] = agg["bad"].sum()
        full = pd.MultiIndex.from_product([range(k), blabels], names=["_g", "band"])
        tab = tab.reindex(full)
        tab["n"] = tab["n"].fillna(0).astype(int)
        nb = tab["n"].to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            tq = stats.t.ppf(0.5 + ci / 2, nb - 1)
            half = np.where(nb > 1, tq * tab["sd_improvement"].to_numpy() / np.sqrt(nb), np.nan)
        t_band = pd.DataFrame({"session_band": np.tile(np.asarray(blabels, dtype=object), k),
                               "n": nb, "mean_improvement": tab["mean_improvement"].to_numpy(),
                               "sd_improvement": tab["sd_improvement"].to_numpy(),
                               "ci_low": tab["mean_improvement"].to_numpy() - half,
                               "ci_high": tab["mean_improvement"].to_numpy() + half,
                               "median_improvement": tab["median_improvement"].to_numpy(),
                               "mean_change": tab["mean_change"].to_numpy()})
        if has_cat:
            for c in ("improved", "deteriorated"):
                v = tab[f"n_{c}"].fillna(0).to_numpy().astype(int)
                t_band[f"n_{c}"] = v
                t_band[f"share_{c}"] = proportion(v, nb)
        if groups.grouped:
            t_band.insert(0, "group", pd.Series(np.repeat(np.asarray(groups.labels,
                                                                     dtype=object),
                                                          len(blabels)), dtype=object))

    tables = {"summary": summary, "sessions": t_sessions, "duration": t_duration,
              "planned": t_planned, "end_reasons": t_reasons, "first_interim": t_interim,
              "length_vs_outcome": t_corr, "outcome_by_length": t_band}
    if t_reasons is None:
        tables["end_reasons"] = None
    return TreatmentCourseResult(patients=pat, meta=meta, tables=tables)


