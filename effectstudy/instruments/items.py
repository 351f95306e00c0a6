"""The item matrix of questionnaire administrations: selected, checked, keyed.

The steps that :func:`effectstudy.score` and :func:`effectstudy.reliability` share: the
rows of one instrument, its item columns, a float copy of the raw codes (text that is not
a number is an error), the range check of the codes and the keying of reverse items.
Every error is a :class:`~effectstudy.core.errors.DataError` that names the row, the
administration, the item and the value (never the client id or the date: Privacy & integrity VAL-5).

>>> import numpy as np, pandas as pd
>>> from effectstudy import instruments
>>> gad = instruments.get("gad7")
>>> m = pd.DataFrame({"client_id": ["a"], **{f"item_{i}": [1.0] for i in range(1, 8)}})
>>> m.loc[0, "item_3"] = 5.0
>>> cols = item_matrix_columns(m, gad)
>>> check_codes(numeric_block(m, cols), gad, m, cols, 0)
Traceback (most recent call last):
...
effectstudy.core.errors.DataError: row 0 item_3: administration 1 of 1: item code out of range for gad7: found 5.0, expected a whole number from 0 to 3, or empty
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from effectstudy.core.errors import DataError
from effectstudy.core.schema import item_column, item_columns, item_number
from effectstudy.instruments import Instrument

__all__ = ["select_rows", "ItemRows", "select_item_rows", "instrument_rows", "item_matrix_columns", "numeric_block", "check_codes",
           "keyed_items"]


def _where(df: pd.DataFrame, pos: int) -> str:
    """``administration 3 of 120`` for the row at position ``pos`` of ``df`` (for messages).

    Never the client id or the date (Privacy & integrity VAL-5): the error's row label names
    the row.
    """
    return f"administration {pos + 1} of {len(df)}"


def select_rows(measurements: pd.DataFrame, inst: Instrument) -> tuple[pd.DataFrame, int]:
    """Rows of ``measurements`` for ``inst`` and the number of rows of other instruments.

    Parameters
    ----------
    measurements : DataFrame
        Canonical measurements; without an ``instrument`` column every row is taken.
    inst : Instrument
        The instrument whose rows are wanted.

    Returns
    -------
    (DataFrame, int)
        The rows of ``inst`` (``measurements`` itself when all rows are) and the number
        of rows left out.

    Raises
    ------
    DataError
        No row of ``inst``.
    """
    if "instrument" not in measurements.columns:
        return measurements, 0
    sel = _of_instrument(measurements["instrument"], inst)
    if sel.all():
        return measurements, 0
    return measurements.loc[sel], len(measurements) - int(sel.sum())


def _of_instrument(col: pd.Series, inst: Instrument) -> np.ndarray:
    """Mask of the rows of ``inst`` in the ``instrument`` column; :class:`DataError` when none is."""
    sel = (col == inst.id).fillna(False).to_numpy(dtype=bool)
    if not sel.any():
        found = sorted(map(str, pd.unique(col.dropna())))[:10]
        raise DataError(
            f"no measurements of instrument {inst.id!r}",
            column="instrument",
            value=found,
            expected=f"rows with instrument == {inst.id!r}",
        )
    return sel


@dataclass(frozen=True)
class ItemRows:
    """Rows of a measurements table selected without copying its item matrix.

    ``frame`` holds the selected rows with every column but the instrument's items
    (``item_1`` .. ``item_<n_items>``); their values stay in ``table`` and are read block by
    block (:meth:`items`).  ``positions`` are the rows' positions in ``table``.
    """

    frame: pd.DataFrame
    table: pd.DataFrame
    positions: np.ndarray

    def items(self, cols: list[str], at: slice | np.ndarray) -> np.ndarray:
        """:func:`numeric_block` of the item columns ``cols`` of the rows ``at`` of ``frame``."""
        return numeric_block(self.table.iloc[self.positions[at]], cols)


def select_item_rows(measurements: pd.DataFrame, inst: Instrument, rows: np.ndarray) -> tuple[ItemRows, int]:
    """The rows ``rows`` of ``measurements`` that belong to ``inst``, as :class:`ItemRows`.

    What :func:`select_rows` does for ``measurements.iloc[rows]``, without the copy of the
    item matrix that ``iloc`` would make (0.4-1.7 GB for the analysed rows of 200,000 to
    1,000,000 episodes): only the other columns are copied.

    Parameters
    ----------
    measurements : DataFrame
        Canonical measurements.
    inst : Instrument
        The instrument whose rows are wanted.
    rows : ndarray
        Positions of the rows (integers, in the order wanted) or a boolean mask of
        ``len(measurements)``.

    Returns
    -------
    (ItemRows, int)
        The selected rows of ``inst`` and the number of selected rows of other instruments.

    >>> from effectstudy import instruments
    >>> m = pd.DataFrame({"client_id": ["a", "b", "c"], **{f"item_{i}": [1.0, 2.0, 3.0] for i in range(1, 8)}})
    >>> sel, n_other = select_item_rows(m, instruments.get("gad7"), np.array([2, 0]))
    >>> list(sel.frame.columns), sel.items(["item_1", "item_2"], slice(None)).tolist(), n_other
    (['client_id'], [[3.0, 3.0], [1.0, 1.0]], 0)
    """
    rows = np.asarray(rows)
    pos = np.flatnonzero(rows) if rows.dtype == bool else rows.astype(np.intp, copy=False)
    n_other = 0
    if "instrument" in measurements.columns:
        sel = _of_instrument(measurements["instrument"].iloc[pos], inst)
        n_other = len(pos) - int(sel.sum())
        pos = pos[sel] if n_other else pos
    scored = [c for c in item_columns(measurements.columns) if item_number(c) <= inst.n_items]
    # copy-on-write: dropping columns copies nothing; iloc copies the other columns' rows only
    frame = measurements.drop(columns=scored).iloc[pos]
    return ItemRows(frame, measurements, pos), n_other


def instrument_rows(measurements: pd.DataFrame, inst: Instrument, rows: np.ndarray | None
                    ) -> tuple[pd.DataFrame, ItemRows | None, int]:
    """The rows of ``inst`` for :func:`effectstudy.score` and :func:`effectstudy.reliability`:
    ``(frame, item_rows, n_other)``, from :func:`select_rows` (``item_rows`` None: ``frame``
    holds the items) or, for a selection ``rows``, from :func:`select_item_rows` (``frame``
    without the items, which ``item_rows`` reads)."""
    if rows is None:
        df, n_other = select_rows(measurements, inst)
        return df, None, n_other
    sel, n_other = select_item_rows(measurements, inst, rows)
    return sel.frame, sel, n_other


def item_matrix_columns(df: pd.DataFrame, inst: Instrument, columns: pd.Index | None = None) -> list[str]:
    """The item columns ``item_1`` .. ``item_<n_items>`` of ``df``, in item order.

    Parameters
    ----------
    df : DataFrame
        Measurements of ``inst``.
    inst : Instrument
        Its instrument.
    columns : Index, optional
        The table's columns when ``df`` is the ``frame`` of :class:`ItemRows` (without the
        instrument's items; default ``df.columns``).

    Returns
    -------
    list of str
        The item columns present (every scored item is).

    Raises
    ------
    DataError
        A scored item's column is missing, or an item column beyond ``n_items`` holds a
        value.
    """
    present = set(item_columns(df.columns if columns is None else columns))
    for i in inst.scored_items:
        if item_column(i) not in present:
            raise DataError(
                f"measurements of {inst.id} lack this item column (expected item_1..item_{inst.n_items})",
                column=item_column(i),
            )
    extra = [c for c in present if item_number(c) > inst.n_items]
    for c in sorted(extra, key=item_number):
        notna = df[c].notna().to_numpy()
        if notna.any():
            pos = int(np.flatnonzero(notna)[0])
            value = df[c].iloc[pos]
            raise DataError(
                f"{_where(df, pos)}: {inst.id} has {inst.n_items} items, this column is not one of them",
                row=df.index[pos],
                column=c,
                value=value.item() if isinstance(value, np.generic) else value,
                expected=f"empty (items 1..{inst.n_items} only)",
            )
    return [item_column(i) for i in range(1, inst.n_items + 1) if item_column(i) in present]


def numeric_block(df: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """Float64 copy of ``df[cols]`` (never a view: the raw data stay untouched).

    Parameters
    ----------
    df : DataFrame
        Measurements.
    cols : list of str
        Item columns.

    Returns
    -------
    ndarray
        ``len(df) x len(cols)``, NaN where an item is missing.

    Raises
    ------
    DataError
        Text that is not a number (the first one is named).
    """
    try:
        return df[cols].to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    except (TypeError, ValueError):
        pass
    out = np.empty((len(df), len(cols)), dtype=np.float64)
    for j, c in enumerate(cols):
        conv = pd.to_numeric(df[c], errors="coerce")
        bad = conv.isna().to_numpy() & df[c].notna().to_numpy()
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{_where(df, pos)}: item code is not a number",
                row=df.index[pos],
                column=c,
                value=df[c].iloc[pos],
                expected="a whole-number item code or empty",
            )
        out[:, j] = conv.to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def check_codes(x: np.ndarray, inst: Instrument, df: pd.DataFrame, cols: list[str], offset: int) -> None:
    """Raise at the first item code that is present but out of range or not whole.

    Parameters
    ----------
    x : ndarray
        Raw codes, a block of rows of ``df`` (from :func:`numeric_block`).
    inst : Instrument
        Gives the range ``item_min`` .. ``item_max``.
    df : DataFrame
        The measurements ``x`` was taken from (for the row, client and date in messages).
    cols : list of str
        The columns of ``x``.
    offset : int
        Position in ``df`` of the first row of ``x``.

    Raises
    ------
    DataError
        The first bad code, with the number of bad codes in the block.
    """
    lo, hi = inst.item_min, inst.item_max
    if x.size == 0:
        return
    # fast path: three NaN-ignoring reductions (fmin/fmax skip NaN) decide that all codes are fine
    if np.fmin.reduce(x, axis=None) >= lo and np.fmax.reduce(x, axis=None) <= hi:
        frac = x - np.floor(x)
        if not np.fmax.reduce(frac, axis=None) > 0:
            return
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(x) & ~((x >= lo) & (x <= hi) & (x == np.floor(x)))
    if not bad.any():  # e.g. a block with every item missing
        return
    rows, colpos = np.nonzero(bad)
    pos = offset + int(rows[0])
    n_bad = int(bad.sum())
    more = f" ({n_bad} such values in this block of rows; the first is shown)" if n_bad > 1 else ""
    raise DataError(
        f"{_where(df, pos)}: item code out of range for {inst.id}{more}",
        row=df.index[pos],
        column=cols[int(colpos[0])],
        value=float(x[rows[0], colpos[0]]),
        expected=f"a whole number from {lo} to {hi}, or empty",
    )


def keyed_items(x: np.ndarray, inst: Instrument, cols: list[str]) -> np.ndarray:
    """Keyed copy of the raw item matrix ``x`` (columns ``cols``): reverse items mirrored.

    >>> from effectstudy import instruments
    >>> keyed_items(np.array([[0.0, 0.0, 0.0, 4.0]]), instruments.get("core10"),
    ...             ["item_1", "item_2", "item_3", "item_4"]).tolist()
    [[0.0, 4.0, 4.0, 4.0]]
    """
    out = np.array(x, dtype=np.float64, copy=True)
    rev = [j for j, c in enumerate(cols) if item_number(c) in set(inst.reverse_items)]
    if rev:
        out[:, rev] = (inst.item_min + inst.item_max) - out[:, rev]
    return out
