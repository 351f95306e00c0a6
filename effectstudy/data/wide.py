"""Wide measurement files: one row per episode (or client) with its measurements side by side.

SPSS users keep a study as one row per episode: ``scl_voor``, ``scl_na``, ``datum_voor``,
``datum_na``, ``sessie_na`` ...  The params mapping ``data.measurements.wide``
(:class:`~effectstudy.core.params.WideSpec`) says, for each measurement a row holds, which
export column is its date, its session and each of its values (``item_<n>`` or, in a
score-only file, ``score_<SCALE>``); nothing is guessed from names.  :func:`wide_to_long`
turns the raw (text) rows into canonical long measurements before they are typed and validated
like any long file, so every check and the row accounting apply unchanged:

- a measurement whose cells (date, session, values) are all empty is no measurement (a missing
  post is not an error); one with a date and no value is an administration without scores, as in
  a long file; a row without any measurement is excluded with reason ``no_measurement``;
- the long rows keep their wide row's line, so problems point at the wide file's row and name
  its column (``datum_na``, not ``date``); a problem in one measurement excludes the whole wide
  row, as a bad cell excludes its row in a long file; rows read = rows used + excluded, counted
  in wide rows;
- a column named in the mapping but absent from the file, an unknown instrument, or a scale the
  instrument does not have is fatal, naming the params key and the column.

Export columns that neither ``columns:`` nor ``wide:`` names are not read (a wide file usually
holds the episode's own columns too, read by ``data.episodes``); they are listed in the read's
``meta["unknown_columns"]``.

>>> import numpy as np, pandas as pd
>>> from effectstudy.core.params import FileSpec
>>> spec = FileSpec(path="w.csv", values="scores", columns={"nr": "client_id"}, wide={
...     "instrument": "scl90_nl", "measurements": [
...         {"occasion": "pre", "date": "d0", "columns": {"tot0": "score_PSNEUR"}},
...         {"occasion": "post", "date": "d1", "columns": {"tot1": "score_PSNEUR"}}]})
>>> raw = pd.DataFrame({"nr": ["C1", "C2"], "d0": ["01-02-2024", "03-02-2024"], "tot0": ["150", "170"],
...                     "d1": ["01-06-2024", ""], "tot1": ["120", ""]}, dtype=object)
>>> w = wide_to_long(raw, np.array([2, 3]), spec, "w.csv")
>>> w.data[["client_id", "date", "occasion", "score_PSNEUR"]]
  client_id        date occasion score_PSNEUR
0        C1  01-02-2024      pre          150
1        C1  01-06-2024     post          120
2        C2  03-02-2024      pre          170
>>> decode_lines(w.lines).tolist()
[2, 2, 3]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from effectstudy import instruments
from effectstudy.core.params import FileSpec
from effectstudy.core.schema import MEASUREMENTS, score_scale
from effectstudy.data.validate import concat_problems, problems_frame

__all__ = ["WideLong", "wide_to_long", "decode_lines", "decode_problems", "LINE_FACTOR"]

#: a long row's line is ``wide line * LINE_FACTOR + measurement number`` until its problems are
#: found, so each problem's column is named as in the wide file; then it is the wide line again
LINE_FACTOR = 1024


@dataclass(frozen=True)
class WideLong:
    """The result of :func:`wide_to_long`.

    Attributes
    ----------
    data : DataFrame
        Raw (text) canonical long measurements, one row per measurement found.
    lines : ndarray
        Encoded line of each long row (:func:`decode_lines` gives the wide row's line).
    problems : DataFrame
        Fatal mapping problems, and ``no_measurement`` for the rows without any measurement.
    names : list of dict
        Per measurement of the mapping: canonical column -> export column (for messages).
    unread : list of str
        Export columns not named by the mapping (not read).
    """

    data: pd.DataFrame
    lines: np.ndarray
    problems: pd.DataFrame
    names: list[dict[str, str]] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)

    @property
    def fatal(self) -> bool:
        """True when the mapping does not fit the file (nothing of it is read)."""
        return bool((self.problems["severity"] == "fatal").any()) if len(self.problems) else False


def decode_lines(codes: np.ndarray) -> np.ndarray:
    """The wide file's line of each encoded long-row line."""
    return np.asarray(codes, dtype=np.int64) // LINE_FACTOR


def decode_problems(problems: pd.DataFrame, file: str, names: list[dict[str, str]]) -> pd.DataFrame:
    """Problems found on encoded lines, pointed back at the wide file's line and column.

    Only rows of ``file`` at an encoded line (at least ``LINE_FACTOR``) change; header and file
    problems are left as they are.
    """
    if not len(problems):
        return problems
    out = problems.copy()
    row = out["row"].to_numpy(dtype="float64", na_value=np.nan)
    at = np.flatnonzero((out["file"] == file).to_numpy(dtype=bool) & (row >= LINE_FACTOR))
    if not len(at):
        return out
    code = row[at].astype(np.int64)
    block = code % LINE_FACTOR
    cols = out["column"].to_numpy(dtype=object)
    # one look-up per distinct (measurement, column), not per problem
    pairs = pd.MultiIndex.from_arrays([block, pd.Series(cols[at], dtype=object)])
    codes, uniq = pd.factorize(pairs)
    cols[at] = np.array([names[b].get(c, c) for b, c in uniq], dtype=object)[codes]
    rows = out["row"].to_numpy(dtype=object, na_value=None)
    rows[at] = code // LINE_FACTOR
    out["row"] = pd.array(rows, dtype="Int64")
    out["column"] = pd.Series(cols, index=out.index, dtype="str")
    return out


def _empty(s: pd.Series) -> np.ndarray:
    """Cells with no value: missing, or text that is empty after stripping."""
    e = s.isna().to_numpy(dtype=bool)
    if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
        e = e | s.astype("string").str.strip().eq("").fillna(True).to_numpy(dtype=bool)
    return e


def _mapping_problems(raw: pd.DataFrame, spec: FileSpec, file: str) -> pd.DataFrame:
    """Fatal: a column named in the mapping but not in the file; an unknown instrument or scale."""
    wide = spec.wide
    header = set(raw.columns)
    out = []
    named = [*spec.columns, *wide.export_columns()]
    missing = [c for c in named if c not in header]
    if missing:
        out.append(problems_frame(file, [1] * len(missing), missing, "", "missing_column",
                                  "an export column named in data.measurements.columns or .wide (check the "
                                  "spelling, or remove it from the mapping)", "fatal"))
    known = instruments.available()
    if wide.instrument not in known:
        out.append(problems_frame(file, None, "", wide.instrument, "unknown_instrument",
                                  f"data.measurements.wide.instrument: a registry id, one of {sorted(known)}",
                                  "fatal"))
    elif spec.values == "scores":
        scales = instruments.get(wide.instrument).scales
        for i, m in enumerate(wide.measurements):
            bad = [(c, t) for c, t in m.columns.items() if score_scale(t) not in scales]
            if bad:
                out.append(problems_frame(
                    file, [1] * len(bad), [c for c, _ in bad], [score_scale(t) for _, t in bad], "unknown_scale",
                    f"data.measurements.wide.measurements.{i}: a scale of {wide.instrument} "
                    f"({', '.join(scales)})", "fatal"))
    return concat_problems(out)


def _row_columns(raw: pd.DataFrame, spec: FileSpec) -> dict[str, str]:
    """Export column -> canonical name of the columns every measurement of a row shares."""
    wide_cols = set(spec.wide.export_columns())
    out = {}
    for h in raw.columns:
        target = spec.columns.get(h, h)
        if h not in wide_cols and target in MEASUREMENTS.names and target not in ("date", "session", "occasion"):
            out[h] = target
    return out


def wide_to_long(raw: pd.DataFrame, lines: np.ndarray, spec: FileSpec, file: str) -> WideLong:
    """Turn the raw rows of a wide file into raw canonical long measurements.

    Parameters
    ----------
    raw : DataFrame
        The file's rows as read (text or the binary format's values), export column names.
    lines : ndarray
        Source line of each row.
    spec : FileSpec
        The measurements file spec with its ``wide`` mapping (and ``columns`` for the columns
        every measurement of a row shares: ``client_id``, ``episode_id``).
    file : str
        File name for the problems.

    Returns
    -------
    WideLong
        Long rows grouped by wide row (in mapping order within a row), their encoded lines, the
        problems and the names for messages.  Vectorised: one concatenation per measurement of
        the mapping, no loop over rows.
    """
    wide = spec.wide
    lines = np.asarray(lines, dtype=np.int64)
    problems = _mapping_problems(raw, spec, file)
    names = [{"date": m.date, **({"session": m.session} if m.session else {}),
              **{t: c for c, t in m.columns.items()}} for m in wide.measurements]
    if len(problems):
        return WideLong(raw.iloc[:0], lines[:0], problems, names)
    shared = _row_columns(raw, spec)
    for export, canonical in shared.items():
        for n in names:
            n.setdefault(canonical, export)
    read = set(shared) | set(wide.export_columns())
    unread = [h for h in raw.columns if h not in read]
    base = raw[list(shared)].set_axis(list(shared.values()), axis=1)
    parts, codes, found = [], [], np.zeros(len(raw), dtype=bool)
    for b, m in enumerate(wide.measurements):
        cells = [m.date, *([m.session] if m.session else []), *m.columns]
        present = ~np.logical_and.reduce([_empty(raw[c]) for c in cells])
        found |= present
        cols = {"date": raw[m.date], **({"session": raw[m.session]} if m.session else {}),
                **{t: raw[c] for c, t in m.columns.items()}}
        part = pd.concat([base, pd.DataFrame(cols)], axis=1).loc[present]
        part.insert(len(shared), "instrument", wide.instrument)
        if m.occasion is not None:
            part.insert(len(shared) + 1, "occasion", m.occasion)
        parts.append(part)
        codes.append(lines[present] * LINE_FACTOR + b)
    code = np.concatenate(codes)
    order = np.argsort(code, kind="stable")
    long = pd.concat(parts, ignore_index=True).iloc[order].reset_index(drop=True)
    ordered = ["client_id", "episode_id", "instrument", "date", "session", "occasion"]
    long = long[[c for c in ordered if c in long] + [c for c in long if c not in ordered]]
    none = ~found
    if none.any():
        problems = problems_frame(file, lines[none], "", "", "no_measurement",
                                  "at least one measurement: a filled cell among the columns of data.measurements.wide",
                                  "error")
    return WideLong(long, code[order], problems, names, unread)

