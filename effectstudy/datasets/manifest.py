"""The manifest of a written export, and loading the shipped example.

``manifest.json`` sits beside the CSV files.  It records how the files were made (the
generator, its version, the seed and the exact command) and, per file, its SHA-256,
size and number of data rows, so anyone can check that the example on disk is the one
the command regenerates.  It holds no time stamp, so regenerating gives identical bytes.

>>> EXAMPLE["seed"], EXAMPLE["n_episodes"]
(2025, 400)
>>> EXAMPLE["command"]
'python -m effectstudy.datasets --out data/example --n-episodes 400 --seed 2025'
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from effectstudy.core.errors import ArgumentError, DataError, DataQualityWarning
from effectstudy.core.files import sha256_file as file_sha256
from effectstudy.core.params import DataSpec, FileSpec
from effectstudy.core.schema import CARE_TYPES, END_REASONS, item_column
from effectstudy.core.shipped import shipped_folder
from effectstudy.data.io import read_study
from effectstudy.datasets.export import EXPORT_FORMAT, FILES
from effectstudy.datasets.practice import SyntheticPractice, generate

__all__ = [
    "EXAMPLE",
    "MANIFEST",
    "example_path",
    "example_spec",
    "file_sha256",
    "load_example",
    "read_export",
    "read_manifest",
    "verify_manifest",
    "write_manifest",
]

MANIFEST = "manifest.json"

#: how the shipped example in data/example/ is made
EXAMPLE: dict[str, Any] = {
    "n_episodes": 400,
    "seed": 2025,
    "start_year": 2020,
    "years": 5,
    "command": "python -m effectstudy.datasets --out data/example --n-episodes 400 --seed 2025",
}


def example_path() -> Path:
    """Folder of the shipped example (``data/example`` in the source tree, a copy in the wheel)."""
    return shipped_folder("example")


def write_manifest(out: Path, info: dict[str, Any], command: str) -> Path:
    """Write ``manifest.json`` for the export in ``out``; returns its path."""
    files = {}
    for table, fname in FILES.items():
        path = out / fname
        files[fname] = {
            "table": table,
            "sha256": file_sha256(path),
            "bytes": path.stat().st_size,
            "rows": int(info["rows"][table]),
        }
    manifest = {
        "generator": info["generator"],
        "generator_version": info["generator_version"],
        "command": command,
        "seed": info["seed"],
        "n_episodes": info["n_episodes"],
        "start_year": info["start_year"],
        "years": info["years"],
        "export_date": info["export_date"],
        "instrument": info["instrument"],
        "format": EXPORT_FORMAT,
        "files": files,
    }
    path = out / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_manifest(folder: Path) -> dict[str, Any]:
    """Read ``manifest.json`` from ``folder``; a clear error when it is missing."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise DataError("manifest missing", file=str(path),
                        expected="a manifest.json written by 'python -m effectstudy.datasets'")
    return json.loads(path.read_text(encoding="utf-8"))


def verify_manifest(folder: Path) -> dict[str, Any]:
    """Check every file listed in the manifest against its SHA-256; returns the manifest.

    Raises
    ------
    DataError
        When a file is missing or its bytes differ from what the manifest records.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    for fname, entry in manifest["files"].items():
        path = folder / fname
        if not path.is_file():
            raise DataError("file listed in the manifest is missing", file=str(path),
                            expected=f"the file (sha256 {entry['sha256']})")
        digest = file_sha256(path)
        if digest != entry["sha256"]:
            raise DataError(
                "file differs from the manifest; it was changed after it was generated "
                f"(regenerate with: {manifest['command']})",
                file=str(path), column="sha256", value=digest, expected=entry["sha256"],
            )
    return manifest


def read_export(folder: Path | str) -> dict[str, pd.DataFrame]:
    """Read an export written by this package into canonical typed tables.

    Reads with the explicit format of :data:`~effectstudy.datasets.export.EXPORT_FORMAT`
    (``;``, decimal comma, ``dd-mm-yyyy``); dates that do not parse raise instead of
    becoming NaT.  This is a reader for the generator's own files; user exports go
    through ``effectstudy.data.io``.
    """
    folder = Path(folder)
    fmt = EXPORT_FORMAT
    tables: dict[str, pd.DataFrame] = {}
    for table, fname in FILES.items():
        path = folder / fname
        if not path.is_file():
            raise DataError("export file missing", file=str(path), expected=f"the {table} table")
        df = pd.read_csv(path, sep=fmt["sep"], decimal=fmt["decimal"], encoding=fmt["encoding"],
                         dtype=str, keep_default_na=False, na_values=[""])
        tables[table] = _typed(df, table, path)
    return tables


_BOOL = {"1": True, "0": False}


def _typed(df: pd.DataFrame, table: str, path: Path) -> pd.DataFrame:
    out = df.copy()
    for col in df.columns:
        s = df[col]
        if col in ("start_date", "end_date", "date"):
            parsed = pd.to_datetime(s, format=EXPORT_FORMAT["date_format"], errors="coerce")
            bad = s.notna() & parsed.isna()
            if bad.any():
                row = int(bad.to_numpy().nonzero()[0][0])
                raise DataError("date does not parse", file=str(path), row=row + 2, column=col,
                                value=s.iloc[row], expected="a date dd-mm-yyyy")
            out[col] = parsed.astype("datetime64[ns]")
        elif col in ("consent_study", "consent_research", "issued", "returned"):
            bad = s.notna() & ~s.isin(list(_BOOL))
            if bad.any():
                row = int(bad.to_numpy().nonzero()[0][0])
                raise DataError("not a 0/1 flag", file=str(path), row=row + 2, column=col,
                                value=s.iloc[row], expected="1, 0 or empty")
            vals = s.map(_BOOL)
            out[col] = pd.array(vals.tolist(), dtype="boolean")
            if col in ("issued", "returned"):
                out[col] = out[col].astype(bool)
        elif col in ("sessions", "birth_year"):
            out[col] = pd.to_numeric(s, errors="raise").astype("int16")
        elif col == "session":
            out[col] = pd.to_numeric(s, errors="raise").astype("int16")
        elif col == "grade" or col.startswith("item_"):
            out[col] = pd.to_numeric(s, errors="raise").astype("float64")
        elif col in ("care_type", "end_reason"):
            cats = list(CARE_TYPES if col == "care_type" else END_REASONS)
            out[col] = pd.Categorical(s, categories=cats)
    return out


def example_spec(folder: Path | str | None = None) -> DataSpec:
    """The ``DataSpec`` (params ``data:`` section) that reads an export of this package.

    >>> example_spec().episodes.sep, example_spec().episodes.date_format
    (';', '%d-%m-%Y')
    """
    folder = Path(folder) if folder is not None else example_path()
    fmt = EXPORT_FORMAT
    return DataSpec(**{
        table: FileSpec(path=folder / fname, format="csv", sep=fmt["sep"], decimal=fmt["decimal"],
                        encoding=fmt["encoding"], date_format=fmt["date_format"])
        for table, fname in FILES.items()
    })


def load_example(path: Path | str | None = None, *, verify: bool = True) -> SyntheticPractice:
    """Load the shipped synthetic example (``data/example/``) through ``effectstudy.data.io``.

    Parameters
    ----------
    path : path, optional
        Folder of the example; defaults to :func:`example_path`.
    verify : bool
        Check the files against the SHA-256 values in ``manifest.json`` first.

    Returns
    -------
    SyntheticPractice
        ``episodes``, ``measurements`` and ``satisfaction`` exactly as
        :func:`effectstudy.data.io.read_study` returns them for real exports (typed canonical
        tables indexed by source line; a missing consent flag is kept as ``<NA>``, "not
        recorded", and counted in the report, which is in ``meta["validation"]``); ``truth``
        and the generator's ``meta`` regenerated from the manifest's seed and size (the
        planted truth is not shipped as a file; regenerating it also guarantees it matches).
        For the generator's own types use :func:`read_export`.

    Raises
    ------
    DataError
        A file differs from the manifest (``verify=True``) or the manifest is missing.
    ValidationError
        ``effectstudy.data.io`` found a fatal problem in the files.

    Examples
    --------
    >>> ex = load_example()
    >>> len(ex.episodes), ex.meta["seed"]
    (400, 2025)
    >>> import numpy as np
    >>> codes = ex.measurements[[f"item_{j}" for j in range(1, 91)]].to_numpy()
    >>> sorted(set(codes[~np.isnan(codes)].tolist()))
    [1.0, 2.0, 3.0, 4.0, 5.0]
    >>> ex.meta["validation"].flow()["n"].tolist()
    [400, 929, 380]
    """
    folder = Path(path) if path is not None else example_path()
    if not folder.is_dir():
        raise ArgumentError("path", str(folder), "the folder of the example export")
    manifest = verify_manifest(folder) if verify else read_manifest(folder)
    study = read_study(example_spec(folder))
    regenerated = generate(manifest["n_episodes"], seed=manifest["seed"],
                           start_year=manifest["start_year"], years=manifest["years"])
    items = [item_column(j) for j in range(1, 91)]
    missing_items = [c for c in items if c not in study.measurements.columns]
    if missing_items:
        raise DataError("item columns missing", file=str(folder / FILES["measurements"]),
                        column=missing_items[0], expected="item_1 .. item_90")
    meta = {**regenerated.meta, "source": str(folder), "manifest": manifest,
            "validation": study.report}
    truth = regenerated.truth
    ep, gen = study.episodes, regenerated.episodes
    same = len(ep) == len(gen) and bool(
        (ep["episode_id"].to_numpy() == gen["episode_id"].to_numpy()).all()
        and (ep["start_date"].to_numpy() == gen["start_date"].to_numpy()).all())
    if not same:  # e.g. another NumPy changed the random streams: never pair wrong truth
        warnings.warn(
            f"{folder}: the planted truth regenerated on this installation does not match the "
            "files (episode ids or start dates differ); truth is left empty",
            DataQualityWarning, stacklevel=2)
        truth = truth.iloc[0:0]
    return SyntheticPractice(study.episodes, study.measurements, study.satisfaction, truth, meta)
