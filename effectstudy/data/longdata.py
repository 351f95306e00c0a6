"""Check long pre/post data and turn it into one row per subject; convert wide to long.

Analysis verbs take **long** data (one row per subject and occasion) and name the
occasions explicitly with ``pre=`` and ``post=``: the order is never guessed from
sorting.  :func:`prepost_wide` is the one place where long data is checked and
paired; :func:`to_long` is the explicit converter for wide tables.

Missing-data policy ("listwise"): a subject is used when it has exactly one row at
``pre`` and one at ``post`` with a non-missing outcome (and a non-missing group when
``group=`` is given).  Every other subject is counted in ``exclusions`` under its
reason (``missing_pre``, ``missing_post``, ``missing_group``) and a
:class:`~effectstudy.core.errors.DataQualityWarning` is emitted.  Rows at other occasions
are ignored and counted as ``rows_other_time``.

>>> import pandas as pd
>>> df = pd.DataFrame({"id": ["a", "a", "b", "b", "c"], "t": ["pre", "post"] * 2 + ["pre"],
...                    "y": [10.0, 8.0, 12.0, 9.0, 11.0]})
>>> import warnings
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     w = prepost_wide(df, subject="id", time="t", outcome="y", pre="pre", post="post")
>>> w.frame
    pre  post
id
a  10.0   8.0
b  12.0   9.0
>>> w.exclusions
{'missing_post': 1}
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from effectstudy import instruments
from effectstudy.core.checks import check_columns, warn_exclusions
from effectstudy.core.errors import ArgumentError, DataError

__all__ = ["PrePost", "prepost_wide", "to_long"]


@dataclass(frozen=True)
class PrePost:
    """Complete pairs, one row per subject (index = subject; columns pre, post[, group])."""

    frame: pd.DataFrame
    n_original: int
    exclusions: dict[str, int] = field(default_factory=dict)
    rows_other_time: int = 0

    @property
    def n_used(self) -> int:
        return int(len(self.frame))

    def patients(self, extra: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """The start of every pre/post result's ``patients``: ``[group,] pre, post, change``
        (change = post - pre), index = subject, then the columns of ``extra`` in order.

        The frame is built in one step (no column-by-column inserts, each of which copies
        the column index) and without copies: ``pre``/``post`` are shared with ``frame``
        copy-on-write, the other columns are new arrays (``extra``'s are the caller's).
        """
        f = self.frame
        x = f["pre"].to_numpy(dtype=float)
        y = f["post"].to_numpy(dtype=float)
        cols: dict[str, Any] = {}
        if "group" in f:
            cols["group"] = f["group"]
        for name, v in (("pre", x), ("post", y)):
            cols[name] = f[name] if f[name].dtype == np.float64 else v
        cols["change"] = y - x
        cols.update(extra or {})
        return pd.DataFrame(cols, index=f.index, copy=False)


def _shown_levels(col: pd.Series) -> list[str]:
    """The first 20 values of a time column, sorted as text (for an error message)."""
    return sorted(map(str, pd.unique(col.dropna())))[:20]


def _is_arrow_str(dtype: Any) -> bool:
    """The pandas 3 default text dtype (``str``: Arrow storage, NaN as missing value)."""
    return (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"
            and dtype.na_value is not pd.NA)


def _level_masks(data: pd.DataFrame, time: Hashable, pre: Any, post: Any
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Check ``pre``/``post`` and return the rows at each, without text round trips.

    The masks are what ``data[time].to_numpy() == level`` gives; they are computed on the
    Arrow array (``str`` columns), on the categories (categorical columns) or on the values
    (any other dtype), so the cost does not depend on the labels' dtype.
    """
    if pre is None or post is None:
        raise ArgumentError("pre" if pre is None else "post", None,
                            "the value of the time column that marks the measurement "
                            "(the order is never guessed)")
    if pre == post:
        raise ArgumentError("post", post, f"a time value different from pre={pre!r}")
    col = data[time]
    eq = [col == lev for lev in (pre, post)]
    for arg, lev, hit in (("pre", pre, eq[0]), ("post", post, eq[1])):
        if not hit.any():
            raise ArgumentError(arg, lev, f"one of the values of column {time!r}: "
                                f"{_shown_levels(col)}")
    dtype = col.dtype
    if _is_arrow_str(dtype) and isinstance(pre, str) and isinstance(post, str):
        # Arrow's equal: exactly the str comparison of the values (missing: False)
        return (eq[0].to_numpy(dtype=bool, na_value=False),
                eq[1].to_numpy(dtype=bool, na_value=False))
    if isinstance(dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy()
        k = len(dtype.categories)
        # the categories as to_numpy shows them, compared as before; code -1 (missing) -> False
        values = np.asarray(pd.Categorical.from_codes(np.arange(k), dtype=dtype))
        out = []
        for lev in (pre, post):
            lut = np.zeros(k + 1, dtype=bool)
            lut[:k] = values == lev
            out.append(lut[codes])
        return out[0], out[1]
    tv = col.to_numpy()
    return tv == pre, tv == post


def _dense_codes(ids: np.ndarray, lo: int, span: int) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize`` of integer ids within ``[lo, lo + span)`` through a lookup table.

    The ids' ranks among the values present, turned into the order of first appearance
    (the usual case, ids first met in ascending order, needs no reordering).  Temporaries
    are kept few and ``int32`` where they fit: at 100,000 patients the cost is in touching
    fresh memory, not in the arithmetic.
    """
    pos = ids if (lo == 0 and ids.dtype == np.intp) else (ids - ids.dtype.type(lo)).astype(np.intp)
    itype = np.int32 if max(span, ids.size) < 2**31 else np.intp
    seen = np.zeros(span, dtype=bool)
    seen[pos] = True
    rank = np.cumsum(seen, dtype=itype)
    rank -= 1
    codes = rank[pos]  # rank of each row's id among the ids present (ascending)
    m = int(rank[-1]) + 1
    row = np.arange(ids.size, dtype=itype)
    first = np.full(m, ids.size, dtype=itype)
    np.minimum.at(first, codes, row)  # the first row of every id
    if bool((first[1:] > first[:-1]).all()):  # ids first met in ascending order
        return codes, np.flatnonzero(seen).astype(ids.dtype) + ids.dtype.type(lo)
    is_first = first[codes] == row
    order = np.empty(m, dtype=itype)
    order[codes[is_first]] = np.arange(m, dtype=itype)
    return order[codes], ids[is_first]


def _subject_codes(col: pd.Series, keep: np.ndarray | None) -> tuple[np.ndarray, Any]:
    """``pd.factorize`` of the subject ids of the ``keep`` rows (``None``: all): codes (-1
    missing) and the unique ids in order of first appearance, from which ``pd.Index`` infers
    the same dtype as before.

    Integer ids spanning a compact range are coded through a lookup table
    (:func:`_dense_codes`) and Arrow text ids through Arrow's dictionary encoding; other
    dtypes as before (``to_numpy``).
    """
    dtype = col.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        ids = col.to_numpy() if keep is None else col.to_numpy()[keep]
        if ids.size:
            lo, hi = int(ids.min()), int(ids.max())
            if hi - lo + 1 <= 4 * ids.size + 1024:
                return _dense_codes(ids, lo, hi - lo + 1)
        codes, uniq = pd.factorize(ids, use_na_sentinel=True)
        return codes, uniq
    if _is_arrow_str(dtype):
        codes, uniq = pd.factorize(col if keep is None else col[keep], use_na_sentinel=True)
        return np.asarray(codes), pd.Index(uniq)
    values = col.to_numpy()
    codes, uniq = pd.factorize(values if keep is None else values[keep], use_na_sentinel=True)
    return codes, uniq


def _numeric_outcome(data: pd.DataFrame, outcome: Hashable) -> np.ndarray:
    col = data[outcome]
    if not (pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)):
        bad = pd.to_numeric(col, errors="coerce").isna() & col.notna()
        i = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else 0
        raise DataError("not numeric", row=data.index[i], column=str(outcome),
                        value=col.iloc[i], expected="a number")
    v = col.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(v).any():
        i = int(np.flatnonzero(np.isinf(v))[0])
        raise DataError("infinite score", row=data.index[i], column=str(outcome),
                        value=v[i], expected="a finite number")
    return v


def prepost_wide(
    data: pd.DataFrame,
    *,
    subject: Hashable,
    time: Hashable,
    outcome: Hashable,
    pre: Any,
    post: Any,
    group: Hashable | None = None,
    warn: bool = True,
) -> PrePost:
    """Check long data and return complete pre/post pairs, one row per subject.

    Raises
    ------
    ArgumentError
        A named column is absent, ``pre``/``post`` is not a value of ``time``, or they are
        equal.
    DataError
        The outcome is not numeric, or a subject has two rows at the same occasion.
    """
    check_columns(data, subject=subject, time=time, outcome=outcome, group=group)
    is_pre, is_post = _level_masks(data, time, pre, post)
    y = _numeric_outcome(data, outcome)
    keep = is_pre | is_post
    rows_other = int(keep.size - np.count_nonzero(keep))
    every_row = rows_other == 0  # no copies through ``keep`` when every row is used
    codes, uniq = _subject_codes(data[subject], None if every_row else keep)
    if (codes < 0).any():
        i = int(np.flatnonzero(keep)[np.flatnonzero(codes < 0)[0]])
        raise DataError("missing subject id", row=data.index[i], column=str(subject),
                        value=None, expected="a subject id")
    m = len(uniq)
    ip = is_pre if every_row else is_pre[keep]
    yk = y if every_row else y[keep]
    c_pre, c_post = codes[ip], codes[~ip]
    cnt_pre = np.bincount(c_pre, minlength=m)
    cnt_post = np.bincount(c_post, minlength=m)
    dup = np.flatnonzero((cnt_pre > 1) | (cnt_post > 1))
    if dup.size:
        lev = pre if cnt_pre[dup[0]] > 1 else post
        raise DataError(  # the subject's id is not quoted (Privacy & integrity VAL-5)
            f"{dup.size} subject(s) with more than one row at {time}={lev!r} (the first has "
            f"{max(cnt_pre[dup[0]], cnt_post[dup[0]])} rows; find them with "
            f"data[data.duplicated([{subject!r}, {time!r}], keep=False)])",
            column=str(time), value=lev, expected="one row per subject and occasion",
        )
    wide = np.full((2, m), np.nan)  # rows pre and post: the frame's one float block
    wide[0, c_pre] = yk[ip]
    wide[1, c_post] = yk[~ip]
    pre_nan = np.isnan(wide[0])
    post_nan = np.isnan(wide[1])
    ok = ~pre_nan & ~post_nan
    exclusions: dict[str, int] = {}
    n_pre_missing = int(np.count_nonzero(pre_nan))
    n_post_missing = int(np.count_nonzero(~pre_nan & post_nan))
    if n_pre_missing:
        exclusions["missing_pre"] = n_pre_missing
    if n_post_missing:
        exclusions["missing_post"] = n_post_missing
    g = None
    if group is not None:
        # the group of the pre row when present, else of the post row (taken: dtype kept)
        rows = np.arange(keep.size) if every_row else np.flatnonzero(keep)
        at = np.empty(m, dtype=np.intp)
        at[c_post] = rows[~ip]
        at[c_pre] = rows[ip]
        g = data[group].take(at)
        gmiss = g.isna().to_numpy(dtype=bool)
        n_g = int(np.count_nonzero(ok & gmiss))
        if n_g:
            exclusions["missing_group"] = n_g
        ok &= ~gmiss
    n_ok = int(np.count_nonzero(ok))
    every = n_ok == m
    index = pd.Index(uniq if every else uniq[ok], name=subject)
    frame = pd.DataFrame((wide if every else wide[:, ok]).T, index=index,
                         columns=["pre", "post"], copy=False)
    if g is not None:
        frame["group"] = pd.Series(g.array if every else g.array[ok], index=index,
                                   dtype=g.dtype, copy=False)
    if warn:
        warn_exclusions(m, n_ok, exclusions, stacklevel=3)
    return PrePost(frame=frame, n_original=m, exclusions=exclusions, rows_other_time=rows_other)


def to_long(
    data: pd.DataFrame,
    *,
    subject: Hashable,
    columns: Mapping[Any, Hashable],
    outcome: str = "score",
    time: str = "time",
    keep: list[Hashable] | None = None,
) -> pd.DataFrame:
    """Convert a wide table (one column per occasion) to long format.

    Parameters
    ----------
    data : DataFrame
        One row per subject.
    subject : column name
        Subject id column.
    columns : mapping
        Occasion value -> column of ``data`` holding the score at that occasion,
        e.g. ``{"pre": "gsi_intake", "post": "gsi_end"}``.
    outcome, time : str
        Names of the outcome and time columns in the result.
    keep : list, optional
        Further columns (e.g. a group) repeated on every row.

    Returns
    -------
    DataFrame with columns ``subject``, ``time``, ``outcome`` (+ ``keep``), one row per
    subject and occasion, occasions in the order given.

    >>> import pandas as pd
    >>> w = pd.DataFrame({"id": ["a", "b"], "t0": [3.0, 4.0], "t1": [2.0, None]})
    >>> to_long(w, subject="id", columns={"pre": "t0", "post": "t1"})
      id  time  score
    0  a   pre    3.0
    1  b   pre    4.0
    2  a  post    2.0
    3  b  post    NaN
    """
    check_columns(data, subject=subject, **{f"columns[{k!r}]": v for k, v in columns.items()})
    keep = list(keep or [])
    check_columns(data, **{f"keep[{i}]": k for i, k in enumerate(keep)})
    if not columns:
        raise ArgumentError("columns", columns, "a mapping occasion -> column with >= 1 entry")
    parts = []
    for occ, col in columns.items():
        part = data[[subject, *keep]].copy()
        part.insert(1, time, occ)
        part[outcome] = data[col].to_numpy()
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    return out[[subject, time, outcome, *keep]]


@dataclass(frozen=True)
class RegistryNorms:
    """Values taken from the instrument registry for one scale, each with its source."""

    values: dict[str, Any]
    sources: dict[str, str]

    def pick(self, key: str, given: Any, given_source: str | None = "argument"
             ) -> tuple[Any, str | None]:
        """An argument's value and its source: ``given`` unless it is ``None``, else the registry's.

        Parameters
        ----------
        key : str
            The registry entry, e.g. ``"better_is"`` or ``"reliability"``.
        given : object
            The argument as passed (``None``: not given).
        given_source : str or None, default "argument"
            The source returned with ``given`` (and when neither is there).

        Returns
        -------
        (value, source)
            ``(given, given_source)`` when ``given`` is not ``None`` or the registry has no
            ``key``; else the registry's value and its source.

        Examples
        --------
        >>> reg = RegistryNorms({"better_is": "lower"}, {"better_is": "registry oq45/total"})
        >>> reg.pick("better_is", None), reg.pick("better_is", "higher")
        (('lower', 'registry oq45/total'), ('higher', 'argument'))
        """
        if given is not None or key not in self.values:
            return given, given_source
        return self.values[key], self.sources[key]


def registry_norms(instrument: str | None, scale: str | None,
                   norms: str | None = None) -> RegistryNorms:
    """Direction, reliability and norms of ``instrument``/``scale`` from the registry.

    Only what the registry holds is returned (``better_is`` always; ``reliability``,
    ``m_functional``, ``sd_functional``, ``m_clinical``, ``sd_clinical``, ``cutoff`` and
    ``clinical_if`` when the norm set has them).  ``norms`` names the norm set (default:
    the scale's default set).  Verbs use these only for arguments left as ``None``.
    """
    if instrument is None:
        if scale is not None or norms is not None:
            raise ArgumentError("instrument", None, "a registry id when scale= or norms= is given")
        return RegistryNorms({}, {})
    inst = instruments.get(instrument)
    sc = inst.scale(scale)
    values: dict[str, Any] = {"better_is": sc.better_is}
    sources = {"better_is": f"registry {inst.id}/{sc.name}"}
    if sc.norms:
        if norms is None and sc.default_norms is None:
            return RegistryNorms(values, sources)
        ns = sc.norm_set(norms)
        for key in ("reliability", "m_functional", "sd_functional", "m_clinical",
                    "sd_clinical", "cutoff"):
            n = getattr(ns, key)
            if n is not None:
                values[key] = float(n.value)
                sources[key] = f"registry {inst.id}/{sc.name} norms {ns.name}: {n.source}"
                if key == "cutoff" and n.clinical_if:
                    values["clinical_if"] = n.clinical_if
    elif norms is not None:
        sc.norm_set(norms)  # raises with the available names
    return RegistryNorms(values, sources)
