"""Write a synthetic practice as a Dutch-formatted CSV export.

Format (what a Dutch practice's EPD export typically looks like, and what the shipped
example uses): separator ``;``, decimal comma, dates ``dd-mm-yyyy``, UTF-8 without BOM,
``\\n`` line ends, canonical column names, empty field = missing.  Booleans are written
``1`` / ``0``; item codes and grades as integers.

The writer streams: each chunk from :func:`~effectstudy.datasets.iter_chunks` is appended,
so a million episodes never have to be in memory at once.

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     out = write_export(pathlib.Path(tmp), n_episodes=30, seed=3)
...     sorted(p.name for p in pathlib.Path(tmp).iterdir())
['episodes.csv', 'measurements.csv', 'satisfaction.csv']
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from effectstudy.core.errors import ArgumentError
from effectstudy.datasets.practice import SyntheticPractice, iter_chunks

__all__ = ["EXPORT_FORMAT", "FILES", "write_export", "write_tables", "to_export_frame"]

#: how the files are formatted (the reader's FileSpec needs exactly these)
EXPORT_FORMAT: dict[str, str] = {
    "sep": ";",
    "decimal": ",",
    "date_format": "%d-%m-%Y",
    "encoding": "utf-8",
}
FILES: dict[str, str] = {
    "episodes": "episodes.csv",
    "measurements": "measurements.csv",
    "satisfaction": "satisfaction.csv",
}


def to_export_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Convert a canonical table to the column types written to CSV.

    Booleans become nullable integers 1/0, float columns that hold whole numbers
    (item codes, grades) become nullable integers, so that no ``,0`` decimals appear.
    """
    out = {}
    for name, col in df.items():
        if pd.api.types.is_bool_dtype(col.dtype):
            out[name] = col.astype("Int8")
        elif pd.api.types.is_float_dtype(col.dtype):
            vals = col.to_numpy(dtype=np.float64, na_value=np.nan)
            finite = vals[~np.isnan(vals)]
            if finite.size and np.all(finite == np.round(finite)) and np.abs(finite).max() < 128:
                out[name] = col.astype("Int8")
            else:
                out[name] = col
        else:
            out[name] = col
    return pd.DataFrame(out)


def write_tables(practice: SyntheticPractice, out: Path, *, append: bool = False) -> None:
    """Write (or append) the three tables of ``practice`` to ``out`` as Dutch CSV."""
    for table, fname in FILES.items():
        frame = to_export_frame(getattr(practice, table))
        frame.to_csv(
            out / fname,
            sep=EXPORT_FORMAT["sep"],
            decimal=EXPORT_FORMAT["decimal"],
            date_format=EXPORT_FORMAT["date_format"],
            encoding=EXPORT_FORMAT["encoding"],
            index=False,
            header=not append,
            mode="a" if append else "w",
            lineterminator="\n",
            na_rep="",
            quoting=csv.QUOTE_MINIMAL,
        )


def write_export(out: Path | str, *, n_episodes: int, seed: int, chunks: Iterable[SyntheticPractice]
                 | None = None, **kwargs: Any) -> dict[str, Any]:
    """Generate a practice and write it to ``out`` chunk by chunk.

    Parameters
    ----------
    out : path
        Output folder (created when missing).  Existing export files are overwritten.
    n_episodes, seed, **kwargs
        Passed to :func:`~effectstudy.datasets.iter_chunks`.
    chunks : iterable of SyntheticPractice, optional
        Write these chunks instead of generating them.

    Returns
    -------
    dict
        The generator's ``meta`` plus ``rows`` per table written.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ArgumentError("out", str(out), "a folder (it exists and is a file)")
    out.mkdir(parents=True, exist_ok=True)
    if chunks is None:
        chunks = iter_chunks(n_episodes, seed=seed, **kwargs)
    rows = dict.fromkeys(FILES, 0)
    meta: dict[str, Any] = {}
    for i, chunk in enumerate(chunks):
        write_tables(chunk, out, append=i > 0)
        for table in FILES:
            rows[table] += len(getattr(chunk, table))
        meta = {k: v for k, v in chunk.meta.items() if k != "chunk"}
    return {**meta, "rows": rows}
