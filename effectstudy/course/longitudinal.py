"""Long data of whole treatment episodes, and the per-subject flag table built from it.

The shared pieces of :func:`effectstudy.course.stagnation.stagnation` (the practice rule
and deterioration) and :func:`effectstudy.course.expected_response.not_on_track` (the
expected-response curves):

- :func:`long_data` sorts the valid measurements by subject and time once (a
  :class:`Long`), with per-subject positions; baseline is each subject's earliest valid
  measurement (:func:`baselines`);
- :func:`post_rows`, :func:`first_flag_or_last` and :func:`fill_change` find and describe
  the measurement that judges each subject;
- :func:`flag_table` turns a rule's per-subject arrays into ``.patients`` (status,
  reason, group) and the counts that go into ``meta``.

Every function is vectorised over subjects; nothing here knows a rule.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from effectstudy.core.checks import check_columns
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError, DataQualityWarning
from effectstudy.core.labels import register
from effectstudy.core.schema import STAGNATION_STATUSES

__all__ = [
    "Long",
    "long_data",
    "numeric_column",
    "sort_order",
    "check_frame",
    "subject_rows",
    "per_subject",
    "baselines",
    "simple_reasons",
    "post_rows",
    "first_flag_or_last",
    "fill_change",
    "flag_table",
    "REASONS",
    "REPEATED_SESSION",
    "DUPLICATES",
    "STATUS_DTYPE",
    "REASON_DTYPE",
]

#: reasons a subject is ``not_evaluable``, in order of precedence
REASONS = (
    "no_valid_measurement",
    "single_measurement",
    "baseline_in_window",
    "no_measurement_in_window",
    "baseline_not_positive",
    "repeated_session",
)
#: code of ``repeated_session`` in :data:`REASONS`: it comes last so that the codes of the
#: other reasons stay put, but it takes precedence over all of them (:func:`flag_table`)
REPEATED_SESSION = REASONS.index("repeated_session")
#: what :func:`long_data` does with two valid measurements of one subject at one time
DUPLICATES = ("exclude", "error")
STATUS_DTYPE = pd.CategoricalDtype(list(STAGNATION_STATUSES), ordered=True)
REASON_DTYPE = pd.CategoricalDtype(list(REASONS))

register({
    "status": {"nl": "Status", "en": "Status"},
    "reason": {"nl": "Reden", "en": "Reason"},
    "n_evaluable": {"nl": "n te beoordelen", "en": "n evaluable"},
    "n_not_evaluable": {"nl": "n niet te beoordelen", "en": "n not evaluable"},
    "n_stagnated": {"nl": "n gestagneerd", "en": "n stagnated"},
    "n_on_track": {"nl": "n op koers", "en": "n on track"},
    "overall": {"nl": "Totaal", "en": "Overall"},
    "baseline": {"nl": "Beginscore", "en": "Baseline"},
    "baseline_time": {"nl": "Tijd begin", "en": "Baseline time"},
    "eval_time": {"nl": "Tijd evaluatie", "en": "Evaluation time"},
    "eval_score": {"nl": "Score evaluatie", "en": "Evaluation score"},
    "improvement": {"nl": "Verbetering", "en": "Improvement"},
    "n_measurements": {"nl": "n metingen", "en": "n measurements"},
    "ci": {"nl": "BI", "en": "CI"},
    "stagnation_rate": {"nl": "Percentage gestagneerd", "en": "Stagnation rate"},
    "no_valid_measurement": {"nl": "geen geldige meting", "en": "no valid measurement"},
    "single_measurement": {"nl": "maar één meting", "en": "single measurement"},
    "baseline_in_window": {"nl": "beginmeting in venster", "en": "baseline in window"},
    "no_measurement_in_window": {"nl": "geen meting in venster",
                                 "en": "no measurement in window"},
    "baseline_not_positive": {"nl": "beginscore niet positief", "en": "baseline not positive"},
    "repeated_session": {"nl": "twee metingen in één sessie", "en": "repeated session"},
})


# ============================================================================ input
def numeric_column(data: pd.DataFrame, col: Hashable, arg: str) -> np.ndarray:
    """Column ``col`` of ``data`` as floats (NaN for missing); ``arg`` names it in errors.

    Raises
    ------
    ArgumentTypeError
        ``arg == "time"`` and the column is not numeric.
    DataError
        A value that is not a number, or an infinite one (naming its row).
    """
    s = data[col]
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        if arg == "time":
            raise ArgumentTypeError("time", str(col), "a numeric time column (session number "
                                    "or weeks since start), not " + str(s.dtype))
        bad = pd.to_numeric(s, errors="coerce").isna() & s.notna()
        i = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else 0
        raise DataError("not numeric", row=data.index[i], column=str(col), value=s.iloc[i],
                        expected="a number")
    v = s.to_numpy(dtype=float, na_value=np.nan)
    inf = np.isinf(v)
    if inf.any():
        i = int(np.flatnonzero(inf)[0])
        raise DataError(f"infinite {arg}", row=data.index[i], column=str(col),
                        value=float(v[i]), expected="a finite number")
    return v


def check_frame(data: Any, *, subject: Hashable, time: Hashable, outcome: Hashable,
                group: Hashable | None) -> None:
    """``data`` is a DataFrame with the named columns, and none of them is ``subject``."""
    check_columns(data, subject=subject, time=time, outcome=outcome, group=group)
    for arg, col in (("time", time), ("outcome", outcome), ("group", group)):
        if col is not None and col == subject:
            raise ArgumentError(arg, col, f"a column other than subject={subject!r}")


@dataclass(frozen=True)
class Long:
    """Valid measurements sorted by subject and time, plus per-subject positions.

    ``uniq`` holds the subjects in order of first appearance (code = position);
    ``codes_all`` the code of every input row; ``cs``, ``ts``, ``ys`` the code, time and
    score per sorted valid row; ``rows`` the input position of each sorted valid row;
    ``nv`` the valid measurements per subject and ``start`` the position of each
    subject's first sorted row (its baseline).  ``repeated`` marks the subjects with two
    valid measurements at one time (``duplicates="exclude"``): none of their rows is in
    the sorted arrays (``nv == 0``), and ``rows_repeated`` counts the rows left out.
    """

    uniq: pd.Index
    codes_all: np.ndarray
    cs: np.ndarray
    ts: np.ndarray
    ys: np.ndarray
    rows: np.ndarray
    nv: np.ndarray
    start: np.ndarray
    rows_missing_outcome: int
    rows_missing_time: int
    repeated: np.ndarray | None = None
    rows_repeated: int = 0

    @property
    def m(self) -> int:
        """Number of subjects (with or without a valid measurement)."""
        return len(self.uniq)


def sort_order(codes: np.ndarray, t: np.ndarray, m: int) -> np.ndarray:
    """Order by subject code, then time.

    Whole-number times (sessions, weeks) are packed into one int64 key, which sorts about
    twice as fast as ``lexsort`` on two keys; ties (duplicates, reported as an error
    afterwards) may come in any order.
    """
    if t.size:
        tmin, tmax = float(t.min()), float(t.max())
        span = tmax - tmin + 1
        if span * max(m, 1) < 2.0**62 and bool((t == np.round(t)).all()):
            key = codes.astype(np.int64) * np.int64(span) + (t - tmin).astype(np.int64)
            return np.argsort(key)
    return np.lexsort((t, codes))


def long_data(data: pd.DataFrame, subject: Hashable, time: Hashable, outcome: Hashable, *,
              duplicates: str = "exclude") -> Long:
    """Sort the valid rows (time and outcome present) of ``data`` by subject and time.

    Parameters
    ----------
    data : DataFrame
    subject, time, outcome : column names
    duplicates : {"exclude", "error"}, default "exclude"
        Two valid measurements of one subject at the same time (e.g. two administrations
        entered at one session number): ``"exclude"`` leaves *all* rows of such a subject
        out of the sorted arrays and marks it in ``Long.repeated`` (:func:`flag_table`
        then makes it ``not_evaluable`` with reason ``repeated_session``); ``"error"``
        raises.  Which of the two measurements belongs to the session cannot be told from
        the data, and keeping either would choose a subject's evaluation silently.

    Raises
    ------
    DataError
        A missing subject id, or (``duplicates="error"``) two measurements of one subject
        at the same time.

    Examples
    --------
    >>> df = pd.DataFrame({"ep": ["a", "a", "b", "b", "b"], "t": [1, 4, 1, 3, 3],
    ...                    "y": [10.0, 8.0, 9.0, 7.0, 6.0]})
    >>> lg = long_data(df, "ep", "t", "y")
    >>> lg.nv.tolist(), lg.repeated.tolist(), lg.rows_repeated
    ([2, 0], [False, True], 3)
    """
    if duplicates not in DUPLICATES:
        raise ArgumentError("duplicates", duplicates, "'exclude' or 'error'")
    t = numeric_column(data, time, "time")
    y = numeric_column(data, outcome, "outcome")
    codes, uniq = pd.factorize(data[subject], use_na_sentinel=True)
    if (codes < 0).any():
        i = int(np.flatnonzero(codes < 0)[0])
        raise DataError("missing subject id", row=data.index[i], column=str(subject),
                        value=None, expected="a subject id")
    m = len(uniq)
    t_nan = np.isnan(t)
    y_nan = np.isnan(y)
    valid = ~(t_nan | y_nan)
    idx = np.flatnonzero(valid)
    ci, ti = codes[idx], t[idx]
    dc = np.diff(ci)
    if bool((dc >= 0).all()) and bool(((dc > 0) | (np.diff(ti) >= 0)).all()):
        rows = idx  # already grouped by subject and sorted by time: no sort needed
    else:
        rows = idx[sort_order(ci, ti, m)]
    del ci, ti, dc, idx, valid  # bound the peak memory on millions of rows
    cs = codes[rows]
    ts = t[rows]
    dup = (cs[1:] == cs[:-1]) & (ts[1:] == ts[:-1])
    repeated = np.zeros(m, dtype=bool)
    n_rep_rows = 0
    if dup.any():
        if duplicates == "error":
            k = int(np.flatnonzero(dup)[0])
            raise DataError(  # the row names the subject; its id is not quoted (Privacy & integrity VAL-5)
                f"a subject has more than one measurement at {time}={ts[k]:g} "
                f"({int(dup.sum())} duplicate row(s) in all)",
                row=data.index[rows[k + 1]], column=str(time), value=float(ts[k]),
                expected="one measurement per subject and time (remove or average duplicates)")
        repeated[cs[1:][dup]] = True
        keep = ~repeated[cs]
        n_rep_rows = int(rows.size - keep.sum())
        rows, cs, ts = rows[keep], cs[keep], ts[keep]
    nv = np.bincount(cs, minlength=m)
    start = np.concatenate([[0], np.cumsum(nv)[:-1]]).astype(np.int64)
    return Long(uniq=pd.Index(uniq, name=subject), codes_all=codes, cs=cs, ts=ts,
                ys=y[rows], rows=rows, nv=nv, start=start,
                rows_missing_outcome=int((y_nan & ~t_nan).sum()),
                rows_missing_time=int(t_nan.sum()), repeated=repeated,
                rows_repeated=n_rep_rows)


def subject_rows(lg: Long) -> np.ndarray:
    """Input row per subject: its baseline row, else its first row in the data."""
    first_any = np.full(lg.m, len(lg.codes_all), dtype=np.int64)
    np.minimum.at(first_any, lg.codes_all, np.arange(len(lg.codes_all)))
    has = lg.nv > 0
    out = first_any
    out[has] = lg.rows[lg.start[has]]
    return out


def per_subject(data: pd.DataFrame, col: Hashable, lg: Long, srow: np.ndarray
                ) -> tuple[pd.Series, int]:
    """Value of ``col`` per subject (at ``srow``) and the number of subjects where it varies."""
    s = data[col]
    vals = s.iloc[srow]
    gcodes, _ = pd.factorize(s, use_na_sentinel=True)
    sub = gcodes[srow]
    varies = gcodes != sub[lg.codes_all]
    n_var = int(np.unique(lg.codes_all[varies]).size) if varies.any() else 0
    return vals.reset_index(drop=True), n_var


# ============================================================================ judging
def baselines(lg: Long) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(has, base_t, base_y)``: whether a subject has a valid measurement, and the time
    and score of its earliest one (NaN without)."""
    has = lg.nv > 0
    base_t = np.full(lg.m, np.nan)
    base_y = np.full(lg.m, np.nan)
    base_t[has] = lg.ts[lg.start[has]]
    base_y[has] = lg.ys[lg.start[has]]
    return has, base_t, base_y


def simple_reasons(lg: Long, has: np.ndarray, base_y: np.ndarray, criterion: str) -> np.ndarray:
    """Reason code per subject (index into :data:`REASONS`; -1 = evaluable) for rules
    without a window: no valid measurement, a single one, or (``criterion="percent"``) a
    baseline that is not positive."""
    reason = np.full(lg.m, -1, dtype=np.int8)
    reason[(criterion == "percent") & has & ~(base_y > 0)] = 4
    reason[lg.nv == 1] = 1
    reason[~has] = 0
    return reason


def post_rows(lg: Long) -> np.ndarray:
    """Mask of sorted rows after each subject's baseline."""
    mask = np.ones(lg.ts.size, dtype=bool)
    has = lg.nv > 0
    mask[lg.start[has]] = False
    return mask


def first_flag_or_last(lg: Long, flag_rows: np.ndarray, evaluable: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """``(ev, flagged)``: the sorted row that judges each subject (its first flagged row,
    else its last row; 0 when not evaluable) and whether it was flagged."""
    pos = np.arange(lg.ts.size)
    first = np.full(lg.m, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, lg.cs[flag_rows], pos[flag_rows])
    flagged = (first < np.iinfo(np.int64).max) & evaluable
    last = lg.start + lg.nv - 1
    ev = np.where(flagged, first, np.where(evaluable, last, 0))
    return ev, flagged


def fill_change(lg: Long, out: dict[str, np.ndarray], ev: np.ndarray, ok: np.ndarray,
                base_y: np.ndarray) -> None:
    """Add ``eval_time``, ``eval_score`` and raw ``change`` at the sorted rows ``ev`` to
    ``out`` (NaN where not ``ok``)."""
    stats = {"eval_time": lg.ts[ev], "eval_score": lg.ys[ev], "change": lg.ys[ev] - base_y}
    for k, v in stats.items():
        v = v.astype(float)
        v[~ok] = np.nan
        out[k] = v


# ============================================================================ output
def flag_table(data: pd.DataFrame, lg: Long, out: dict[str, np.ndarray], reason: np.ndarray,
               flagged: np.ndarray, *, group: Hashable | None
               ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``.patients`` of a flag rule and the counts for its ``meta``.

    Parameters
    ----------
    data, lg : the input and its :func:`long_data`
    out : dict of per-subject arrays
        The rule's columns, in order (``baseline_time``, ``baseline``, ...).
    reason : int8 array
        Index into :data:`REASONS` per subject, -1 when evaluable.  Subjects marked in
        ``lg.repeated`` get ``repeated_session`` whatever their code here (with a
        :class:`DataQualityWarning`).
    flagged : bool array
        Flagged by the rule (``status == "stagnated"``); only read where evaluable.
    group : column name, optional
        The group of each subject's baseline row (a :class:`DataQualityWarning` when it
        is missing or varies within a subject).

    Returns
    -------
    patients : DataFrame
        ``[group,] status, reason, n_measurements`` and the columns of ``out``, one row
        per subject in order of first appearance.
    meta : dict
        ``n_original``, ``n_used``, ``n_evaluable``, ``n_not_evaluable``, ``n_stagnated``,
        ``not_evaluable_reasons``, ``exclusions``, the row counts (``rows``,
        ``rows_missing_outcome``, ``rows_missing_time``, ``rows_repeated_session``) and
        (grouped) ``group``.
    """
    meta: dict[str, Any] = {}
    exclusions: dict[str, int] = {}
    if lg.repeated is not None and lg.repeated.any():
        reason = reason.copy()
        reason[lg.repeated] = REPEATED_SESSION  # before every other reason
        n_rep = int(lg.repeated.sum())
        warnings.warn(f"{n_rep} subject(s) have two or more measurements at the same time "
                      f"({lg.rows_repeated} row(s)): they are not evaluable (reason "
                      "repeated_session) and their scores are not used", DataQualityWarning,
                      stacklevel=3)
    ok = reason < 0
    status = np.where(ok, np.where(flagged, 1, 0), 2).astype(np.int8)
    pat = pd.DataFrame(index=lg.uniq)
    if group is not None:
        gvals, n_var = per_subject(data, group, lg, subject_rows(lg))
        pat["group"] = gvals.to_numpy() if not isinstance(gvals.dtype, pd.CategoricalDtype) \
            else pd.Categorical(gvals)
        n_gmiss = int(pat["group"].isna().sum())
        if n_gmiss:
            exclusions["missing_group"] = n_gmiss
        if n_var:
            meta["group_varies_within_subject"] = n_var
        if n_gmiss or n_var:
            warnings.warn(
                (f"{n_gmiss} subject(s) have no group: they count in the overall row of the "
                 "summary but in no group row. " if n_gmiss else "")
                + (f"{n_var} subject(s) have more than one group value; the value at the "
                   "baseline row is used." if n_var else ""),
                DataQualityWarning, stacklevel=3)
        meta["group"] = str(group)
    pat["status"] = pd.Categorical.from_codes(status, dtype=STATUS_DTYPE)
    pat["reason"] = pd.Categorical.from_codes(reason, dtype=REASON_DTYPE)
    pat["n_measurements"] = lg.nv
    for k, v in out.items():
        pat[k] = v
    reasons = {REASONS[i]: int(c) for i, c in enumerate(np.bincount(reason[~ok],
                                                                     minlength=len(REASONS)))
               if c}
    exclusions.update(reasons)
    meta.update(
        n_original=lg.m, n_used=int(ok.sum()), n_evaluable=int(ok.sum()),
        n_not_evaluable=int((~ok).sum()), n_stagnated=int((status == 1).sum()),
        not_evaluable_reasons=reasons, exclusions=exclusions,
        rows=int(len(data)), rows_missing_outcome=lg.rows_missing_outcome,
        rows_missing_time=lg.rows_missing_time, rows_repeated_session=lg.rows_repeated,
        change="raw change = eval_score - baseline; improvement = d * change (positive = "
               "better)",
        nan_policy="rows with a missing outcome or time are ignored; subjects are never "
                   "dropped (not_evaluable with a reason); a subject with two measurements at "
                   "one time is not_evaluable (repeated_session) and none of its rows is used",
    )
    return pat, meta
