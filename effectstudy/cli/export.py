"""``effectstudy export -f PARAMS.yaml``: write a pseudonymised research release.

Params (see :class:`effectstudy.cli.store.ExportSection`)::

    data: {episodes: {path: ...}, measurements: {path: ...}}   # when source: files
    store: {path: data/study.duckdb}                            # when source: store; audit log
    export:
      path: releases/uva-2026          # output folder (outside the repository)
      name: uva-2026-thesis-a          # file-name stem; never overwritten
      recipient: "UvA, master thesis A"
      purpose: "effect of CGT on SCL-90 total"
      key_file: ~/keys/uva-2026.key     # or key_env: EFFECTSTUDY_KEY; one key per release
      source: files                     # or: store
      columns: [client_pseudonym, episode_pseudonym, start_year, age_band, sex, day, instrument, "item_*"]
      quasi_identifiers: [age_band, sex, start_year, diagnosis, treatment]
      instrument_files: [keys/oq45-praktijk.yaml]   # a practice's own scoring keys, if any
      k: 5
      withdrawn: withdrawn.txt          # one client id per line
      formats: [sav, csv, xlsx, md]

Scores: with ``source: files`` the measurements are scored by the package (``effectstudy.score``
with each instrument's registered key, as the effect study does) when the allow-list asks for
them (``scale``, ``score``, ``n_answered``, ``prorated``); with ``source: store`` the stored
scores are used when they cover every instrument measured, otherwise the package scores the
measurements.  A listed column the data cannot give stops the export before anything is
written, naming ``export.columns``, the column, why and what to do.

``--check`` runs every step (consent, pseudonyms, k-anonymity) and writes nothing.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from effectstudy import instruments
from effectstudy.cli.store import load, open_store
from effectstudy.core.errors import ArgumentError, ParamsError
from effectstudy.privacy.export import (
    SCORE_WITH_PACKAGE,
    ColumnsUnavailableError,
    build_research_dataset,
    requests_scores,
    write_research_export,
)
from effectstudy.privacy.pseudonyms import load_key
from effectstudy.privacy.store import sha256_file

__all__ = ["register", "run_export"]


def _read_withdrawn(path) -> list[str]:
    if path is None:
        return []
    if not path.is_file():
        raise ParamsError(f"export.withdrawn: file {str(path)!r} does not exist")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


#: an administration's key in the store (effectstudy.core.schema: the measurements' natural key)
_ADMINISTRATION = ["client_id", "instrument", "date"]


def _store_scores(stored: pd.DataFrame, measurements: pd.DataFrame) -> pd.DataFrame | str:
    """The stored scores when every stored administration has them, else: score with the package
    (scores added for an earlier import would leave the later administrations without any)."""
    if not len(stored) or any(c not in t.columns for c in _ADMINISTRATION for t in (stored, measurements)):
        return SCORE_WITH_PACKAGE

    def keys(t: pd.DataFrame) -> pd.MultiIndex:
        return pd.MultiIndex.from_arrays([t["client_id"].astype("string"), t["instrument"].astype("string"),
                                          pd.to_datetime(t["date"])])

    covered = keys(measurements).isin(keys(stored))
    if covered.all():
        print(f"scores: as stored ({len(stored)} rows)")
        return stored
    print(f"scores: {int((~covered).sum())} stored administration(s) have no stored scores; "
          "all are scored by effectstudy")
    return SCORE_WITH_PACKAGE


def _print_scoring(ds) -> None:
    for iid, m in ds.meta.get("scoring", {}).items():
        note = f"; provisional scale(s): {', '.join(m['provisional_scales'])}" if m["provisional_scales"] else ""
        print(f"scores of {iid} computed by effectstudy (key version {m['version']}, status {m['key_status']}{note}): "
              f"{m['n_scores']} scores, {m['n_prorated']} prorated")
    for r in ds.meta.get("not_available", []):
        print(f"not exported: {r['column']} ({r['why']})")


def run_export(params_path: str, check: bool = False) -> int:
    params = load(params_path)
    ex = params.export
    if ex is None:
        raise ParamsError(f"{params_path}: export: section is missing")
    out = params.resolve(ex.path)
    for f in ex.instrument_files:
        path = params.resolve(f)
        if not path.is_file():
            raise ParamsError(f"{params_path}: export.instrument_files: file {str(path)!r} does not exist")
        instruments.load(path, register=True)
    forbidden = [out]
    inputs: dict[str, str] = {}
    scores: pd.DataFrame | str | None = SCORE_WITH_PACKAGE if requests_scores(ex.columns) else None
    if ex.source == "files":
        if params.data is None:
            raise ParamsError(f"{params_path}: export.source is 'files' but the data: section is missing")
        for spec in (params.data.episodes, params.data.measurements):
            forbidden.append(spec.path.parent)
            inputs[spec.path.name] = sha256_file(spec.path)
        from effectstudy.data.io import read_study  # noqa: PLC0415 - io engineer's module

        study = read_study(params.data)
        episodes, measurements = study.episodes, study.measurements
    else:
        store = open_store(params)
        forbidden.append(store.path.parent)
        episodes, measurements = store.table("episodes"), store.table("measurements")
        if scores is not None:
            scores = _store_scores(store.table("scores"), measurements)
        inputs["study.duckdb:imports"] = ",".join(store.table("imports")["sha256"].astype(str))
    key = load_key(params.resolve(ex.key_file) if ex.key_file else None, env=ex.key_env, forbidden=forbidden)
    try:
        ds = build_research_dataset(
            episodes, measurements, key=key, scores=scores, columns=ex.columns,
            quasi_identifiers=ex.quasi_identifiers, k=ex.k, age_band_width=ex.age_band_width, age_top=ex.age_top,
            withdrawn=_read_withdrawn(params.resolve(ex.withdrawn)),
            codes=params.data.code_lists() if params.data is not None else None,
        )
    except ColumnsUnavailableError as exc:
        raise ParamsError(f"{params_path}: {exc.message('export.columns')}") from None
    except ArgumentError as exc:
        if exc.name not in ("columns", "quasi_identifiers"):
            raise
        raise ParamsError(f"{params_path}: export.{exc}") from None
    with pd.option_context("display.width", 120):
        print(ds.flow.to_string(index=False))
    _print_scoring(ds)
    print(ds.k_report.message())
    if check:
        print("check only: nothing written")
        return 0
    audit = params.resolve(params.store.audit_log) or params.resolve(params.store.path).parent / "audit-log.jsonl"
    # log through the store when there is one, so it records the log's new head
    logger = open_store(params).log if params.resolve(params.store.path).exists() else None
    written = write_research_export(ds, out, name=ex.name, recipient=ex.recipient, purpose=ex.purpose,
                                    formats=ex.formats, lang=ex.language, inputs=inputs, audit_log_path=audit,
                                    logger=logger)
    for p in written.values():
        print(f"wrote {p}")
    print(f"key fingerprint {key.fingerprint}; logged in {audit}")
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("export", help="write a pseudonymised research release (.sav, CSV, codebook)",
                              description="Consent filter, keyed pseudonyms, relative dates, allow-list and a "
                                          "k-anonymity check; then .sav, CSV, codebook and a release record.")
    p.add_argument("-f", "--params", required=True, help="params YAML with an export: section")
    p.add_argument("--check", action="store_true", help="run all checks, write nothing")
    p.set_defaults(func=lambda a: run_export(a.params, check=a.check))
