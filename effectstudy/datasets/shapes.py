"""The shipped example in the other shapes practices export: a wide SPSS file and score-only CSV.

Both are made from the shipped long, item-level example (``data/example/``), read and scored by
the package itself, so an effect study on them must give the same results as on the long items
(the tests check this to 1e-12):

- ``data/example_wide/practice_wide.sav``: one row per episode, as SPSS users keep a study: the
  episode's columns, then per measurement (``voor`` = pre, ``tussen`` = the first interim,
  ``na`` = post) its date, session and the scale scores of :data:`WIDE_SCALES`, in Dutch column
  names (``datum_voor``, ``sessie_na``, ``psneur_voor``, ``dep_na`` ...).  An episode without a
  post has empty post cells.  The items of these administrations are :func:`wide_lines`.
- ``data/example_scores/scores.csv``: every administration of the example, one row each, with
  all scale scores of the SCL-90 in ``score_<SCALE>`` columns and no items (a ROM platform's
  totals-only export); a score the package left missing (too many missing items) is empty.

``python -m effectstudy.datasets.shapes`` rewrites both folders (with ``manifest.json``) byte for
byte: the creation stamp in the .sav header is fixed to the example's export date (IBM SPSS
Statistics system file format: the file header record holds ``creation_date`` at byte 92 and
``creation_time`` at byte 101).

>>> wide, lines = wide_frame()
>>> len(wide), wide.columns[:3].tolist()
(400, ['traject', 'client', 'startdatum'])
>>> sorted(set(wide.columns) - set(WIDE_EPISODE_COLUMNS.values()))[:4]
['ang_na', 'ang_tussen', 'ang_voor', 'datum_na']
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from effectstudy.core.errors import ProvisionalKeyWarning
from effectstudy.core.files import sha256_file
from effectstudy.core.schema import score_column
from effectstudy.data.io import read_study
from effectstudy.datasets.manifest import example_path, example_spec
from effectstudy.instruments.scoring import score

__all__ = ["WIDE_SCALES", "WIDE_BLOCKS", "WIDE_EPISODE_COLUMNS", "EXPORT_DATE", "wide_frame", "scores_frame",
           "wide_mapping", "write_shapes"]

#: the example's export date ("today" of its validation)
EXPORT_DATE = "2025-04-01"
INSTRUMENT = "scl90_nl"
#: the scales of the wide file (those the demo effect study reports)
WIDE_SCALES: tuple[str, ...] = ("PSNEUR", "DEP", "ANG", "SOM")
#: measurement block -> (occasion in the long data, which administration of the episode)
WIDE_BLOCKS: dict[str, tuple[str, str]] = {"voor": ("pre", "first"), "tussen": ("interim", "first"),
                                           "na": ("post", "last")}
#: canonical episode column -> the wide file's column
WIDE_EPISODE_COLUMNS: dict[str, str] = {
    "episode_id": "traject", "client_id": "client", "start_date": "startdatum", "end_date": "einddatum",
    "sessions": "sessies", "diagnosis": "diagnose", "care_type": "zorgtype", "treatment": "behandeling",
    "end_reason": "reden_einde", "therapist": "behandelaar", "birth_year": "geboortejaar", "sex": "geslacht",
    "consent_study": "toestemming_studie", "consent_research": "toestemming_onderzoek",
}


def _example(folder: Path | None):
    data = read_study(example_spec(folder), today=EXPORT_DATE)
    with warnings.catch_warnings():  # the key's provisional status is stated in the reports, not here
        warnings.simplefilter("ignore", ProvisionalKeyWarning)
        scored = score(data.measurements, instrument=INSTRUMENT).wide()
    scored.index = data.measurements.index  # score keeps the measurement order: one row each
    return data, scored


def wide_frame(folder: Path | str | None = None) -> tuple[pd.DataFrame, pd.Index]:
    """The wide file's table and the example measurement lines it holds (the equivalent long data)."""
    data, scored = _example(Path(folder) if folder else None)
    ep = data.episodes
    out = pd.DataFrame({new: ep[old].to_numpy() for old, new in WIDE_EPISODE_COLUMNS.items()})
    for col in ("care_type", "end_reason"):
        out[WIDE_EPISODE_COLUMNS[col]] = ep[col].astype("string").to_numpy()
    for col in ("consent_study", "consent_research", "sessions", "birth_year"):
        out[WIDE_EPISODE_COLUMNS[col]] = ep[col].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    keep = []
    m = data.measurements.assign(_line=data.measurements.index)
    for block, (occasion, which) in WIDE_BLOCKS.items():
        rows = m[m["occasion"] == occasion].sort_values(["episode_id", "date", "_line"], kind="stable")
        rows = rows.drop_duplicates("episode_id", keep="first" if which == "first" else "last")
        cols = {"date": f"datum_{block}", "session": f"sessie_{block}",
                **{s: f"{s.lower()}_{block}" for s in WIDE_SCALES}}
        vals = rows[["episode_id", "date", "session"]].assign(**{s: scored.loc[rows.index, s] for s in WIDE_SCALES})
        vals["session"] = vals["session"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        out = out.merge(vals.rename(columns=cols).rename(columns={"episode_id": "traject"}),
                        on="traject", how="left", validate="one_to_one")
        keep.append(rows["_line"])
    return out, pd.Index(np.sort(pd.concat(keep).to_numpy()), name="line")


def scores_frame(folder: Path | str | None = None) -> pd.DataFrame:
    """The score-only table: every administration of the example with all its scale scores, no items."""
    data, scored = _example(Path(folder) if folder else None)
    m = data.measurements
    keys = ["client_id", "episode_id", "instrument", "date", "session", "occasion"]
    scales = [c for c in scored.columns if c not in keys]
    return pd.concat([m[keys], scored[scales].rename(columns=score_column)], axis=1).reset_index(drop=True)


def wide_mapping() -> dict[str, Any]:
    """The ``data.measurements.wide`` mapping of the wide file (as in ``params/demo-wide.yaml``)."""
    return {"instrument": INSTRUMENT, "measurements": [
        {"occasion": occ, "date": f"datum_{b}", "session": f"sessie_{b}",
         "columns": {f"{s.lower()}_{b}": score_column(s) for s in WIDE_SCALES}}
        for b, (occ, _) in WIDE_BLOCKS.items()]}


def _fix_sav_stamp(path: Path) -> None:
    """Overwrite the .sav header's creation date and time with the export date (reproducible bytes)."""
    stamp = pd.Timestamp(EXPORT_DATE).strftime("%d %b %y").encode("ascii") + b"00:00:00"
    with path.open("r+b") as f:
        f.seek(92)
        f.write(stamp)


def _csv_number(v: pd.Series) -> pd.Series:
    """Exact decimal-comma text of floats (the shortest repr that reads back to the same float)."""
    text = v.map(lambda x: "" if pd.isna(x) else repr(float(x)).replace(".", ","))
    return text.str.replace(r",0$", "", regex=True)


def write_shapes(root: Path | str, folder: Path | str | None = None) -> dict[str, Path]:
    """Write ``example_wide/`` and ``example_scores/`` below ``root`` (each with ``manifest.json``)."""
    import pyreadstat

    root = Path(root)
    wide, _ = wide_frame(folder)
    wdir = root / "example_wide"
    wdir.mkdir(parents=True, exist_ok=True)
    sav = wdir / "practice_wide.sav"
    pyreadstat.write_sav(wide, str(sav))
    _fix_sav_stamp(sav)
    sdir = root / "example_scores"
    sdir.mkdir(parents=True, exist_ok=True)
    s = scores_frame(folder)
    text = s.copy()
    text["date"] = s["date"].dt.strftime("%d-%m-%Y")
    text["session"] = s["session"].astype("string").fillna("")
    for c in s.columns[6:]:
        text[c] = _csv_number(s[c])
    csv = sdir / "scores.csv"
    csv.write_bytes(text.to_csv(sep=";", index=False, lineterminator="\n").encode("utf-8"))
    cmd = "python -m effectstudy.datasets.shapes --out data"
    for path, rows in ((sav, len(wide)), (csv, len(s))):
        manifest = {"generator": "effectstudy.datasets.shapes", "command": cmd, "source": "data/example",
                    "export_date": EXPORT_DATE, "instrument": INSTRUMENT,
                    "files": {path.name: {"sha256": sha256_file(path), "bytes": path.stat().st_size, "rows": rows}}}
        (path.parent / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n",
                                                   encoding="utf-8")
    return {"wide": sav, "scores": csv}


def main(argv: list[str] | None = None) -> int:
    """``python -m effectstudy.datasets.shapes --out data``."""
    parser = argparse.ArgumentParser(prog="python -m effectstudy.datasets.shapes", description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="data", help="folder that gets example_wide/ and example_scores/")
    args = parser.parse_args(argv)
    for name, path in write_shapes(args.out, example_path()).items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
