"""``effectstudy import | verify | forget | retention``: the study store from the command line.

All four read one params file (``-f PARAMS.yaml``) validated by :class:`StudyParams`::

    data:                       # the shared data section (effectstudy.core.params.DataSpec)
      episodes: {path: exports/episodes-2026-10.csv}
      measurements: {path: exports/rom-2026-10.csv}
    store:
      path: data/study.duckdb   # default; relative paths are relative to the params file
      raw_dir: data/raw         # default: <store folder>/raw
      audit_log: data/audit-log.jsonl
      retention_years: 20       # WGBO art. 7:454 lid 3 BW; confirm with the privacy officer
    export: {...}               # see effectstudy.cli.export

``verify`` exits 1 when a raw file, the manifest or the audit log does not check out.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from effectstudy.core.errors import ParamsError
from effectstudy.core.params import DataSpec, StrictModel, load_params
from effectstudy.privacy.retention import (
    WGBO_RETENTION_YEARS,
    RetentionPolicy,
    client_overview,
    expired_clients,
)
from effectstudy.privacy.store import DEFAULT_PATH, StudyStore

__all__ = ["StoreSection", "ExportSection", "StudyParams", "open_store", "register"]


def _path(v: Any) -> Any:
    return Path(v) if isinstance(v, str) else v


class StoreSection(StrictModel):
    """Where the study store lives and how long data are kept."""

    path: Path = DEFAULT_PATH
    raw_dir: Path | None = None
    audit_log: Path | None = None
    retention_years: int = Field(default=WGBO_RETENTION_YEARS, ge=1, le=115)

    _p = field_validator("path", "raw_dir", "audit_log", mode="before")(classmethod(lambda cls, v: _path(v)))


class ExportSection(StrictModel):
    """One research release (``effectstudy export``)."""

    #: output folder of the release
    path: Path
    #: release name: used in file names; a release is never overwritten
    name: str
    recipient: str
    purpose: str
    #: key file written by ``effectstudy keygen`` (outside the project and the data), or ...
    key_file: Path | None = None
    #: ... the name of an environment variable holding the key as hex text
    key_env: str | None = None
    #: read from the input files (``data``) or from the study store
    source: Literal["files", "store"] = "files"
    #: allow-list of output variables (see effectstudy.privacy.export.VARIABLES); default: every variable
    #: the data give. A listed variable the data cannot give is an error (nothing is written);
    #: scale, score, n_answered, prorated are scored by the package when the source holds no scores
    columns: list[str] | None = None
    quasi_identifiers: list[str] = Field(default_factory=lambda: ["age_band", "sex", "start_year", "diagnosis", "treatment"])
    #: a practice's own scoring keys (instrument YAML files, as ``analysis.instrument_file`` of the
    #: effect study), registered before the data are read and scored; shipped keys need nothing here
    instrument_files: list[Path] = Field(default_factory=list)
    k: int = Field(default=5, ge=2)
    age_band_width: int = Field(default=5, ge=1)
    age_top: int = Field(default=80, ge=1)
    #: text file with one withdrawn client id per line
    withdrawn: Path | None = None
    formats: list[Literal["sav", "csv", "xlsx", "md"]] = Field(default_factory=lambda: ["sav", "csv", "xlsx", "md"])
    language: Literal["nl", "en"] = "nl"

    _p = field_validator("path", "key_file", "withdrawn", mode="before")(classmethod(lambda cls, v: _path(v)))
    _f = field_validator("instrument_files", mode="before")(
        classmethod(lambda cls, v: [_path(x) for x in v] if isinstance(v, list) else v))


class StudyParams(StrictModel):
    """Params of the store and export commands; accepts the shared ``report``/``title``/``data`` keys."""

    report: str | None = None
    title: str = ""
    language: Literal["nl", "en"] = "nl"
    data: DataSpec | None = None
    store: StoreSection = Field(default_factory=StoreSection)
    export: ExportSection | None = None
    source_file: Path | None = None

    _p = field_validator("source_file", mode="before")(classmethod(lambda cls, v: _path(v)))

    def resolve(self, p: Path | None) -> Path | None:
        """A path relative to the params file's folder (``None`` stays ``None``)."""
        if p is None:
            return None
        if p.is_absolute() or self.source_file is None:
            return p
        return (self.source_file.parent / p).resolve()


def load(path: str | Path) -> StudyParams:
    """Load and validate a params file into :class:`StudyParams`."""
    return load_params(path, model=StudyParams)


def open_store(params: StudyParams) -> StudyStore:
    s = params.store
    return StudyStore(params.resolve(s.path), raw_dir=params.resolve(s.raw_dir), audit_log=params.resolve(s.audit_log))


# ------------------------------------------------------------------------------ commands
def _cmd_import(args: argparse.Namespace) -> int:
    params = load(args.params)
    if params.data is None:
        raise ParamsError(f"{args.params}: data: the files to import are missing (data.episodes, data.measurements)")
    from effectstudy.data.io import read_table  # noqa: PLC0415 - at call time, as the store's default reader

    store = open_store(params)
    # the params' code lists (data.codes), as the reports read the same files: a practice's own
    # codes are kept in the store, not set missing as uncoded values
    codes = params.data.code_lists()
    for table in ("episodes", "measurements", "satisfaction"):
        spec = getattr(params.data, table)
        if spec is None:
            continue
        result = store.import_export(spec, table=table,
                                     reader=lambda source, table, codes=codes: read_table(source, table=table, codes=codes))
        print(result.message())
        if result.rows_conflict:
            print(f"  {result.rows_conflict} conflicting row(s) kept aside in the 'conflicts' table; stored rows unchanged")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    if args.release:
        from effectstudy.privacy.export import verify_release  # noqa: PLC0415

        problems = verify_release(args.release)
        if problems.empty:
            print(f"OK: every file in {args.release} matches its SHA256SUMS")
            return 0
        print(f"{len(problems)} problem(s):")
        for r in problems.itertuples():
            print(f"  [{r.check}] {r.path}: {r.message}")
        return 1
    if args.params:
        store = open_store(load(args.params))
    else:
        store = StudyStore(args.store)
    report = store.verify()
    print(report.message())
    return 0 if report.ok else 1


def _cmd_forget(args: argparse.Namespace) -> int:
    store = open_store(load(args.params))
    overview = client_overview(store, args.client)
    print("stored rows:")
    print(overview.to_string(index=False))
    if args.list:
        return 0
    if not args.yes:
        print("nothing removed; add --yes to remove these rows (the removal is logged)", file=sys.stderr)
        return 1
    print(store.forget(args.client, reason=args.reason).message())
    return 0


def _cmd_retention(args: argparse.Namespace) -> int:
    params = load(args.params)
    store = open_store(params)
    policy = RetentionPolicy(params.store.retention_years)
    ex = expired_clients(store, policy, args.today)
    print(f"retention period: {policy.years} years ({policy.source})")
    print(f"{len(ex)} client(s) past the retention period")
    if not args.remove or ex.empty:
        if len(ex):
            print(ex.to_string(index=False))
        return 0
    if not args.yes:
        print("nothing removed; add --yes to remove them (the removal is logged)", file=sys.stderr)
        return 1
    print(store.forget(ex["client_id"].tolist(), reason=f"retention period of {policy.years} years expired").message())
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("import", help="import the raw exports named in the params into the study store",
                              description="Copy each raw export into the read-only raw archive, record its SHA-256 "
                                          "and append its rows in one transaction (idempotent).")
    p.add_argument("-f", "--params", required=True, help="params YAML with data: and store: sections")
    p.set_defaults(func=_cmd_import)

    p = subparsers.add_parser("verify", help="check raw files against the manifest and the audit-log hash chain",
                              description="Re-hash every archived raw export against the SHA-256 manifest, check the "
                                          "audit log's hash chain and recorded head (or a release folder against its "
                                          "SHA256SUMS). Exit code 0: everything verifies; 1: a problem was found.")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("-f", "--params", help="params YAML with a store: section")
    g.add_argument("--store", help="path of the study database (default layout around it)")
    g.add_argument("--release", help="a research-release folder: re-hash its files against its SHA256SUMS")
    p.set_defaults(func=_cmd_verify)

    p = subparsers.add_parser("forget", help="list or remove a client's data in the study store (logged)",
                              description="List everything stored about the given clients, or remove it (after "
                                          "confirmation or with --yes); the removal is logged and the clients are kept "
                                          "out of later imports.")
    p.add_argument("client", nargs="+", help="client id(s) as in the exports")
    p.add_argument("-f", "--params", required=True, help="params YAML with a store: section")
    p.add_argument("--list", action="store_true", help="only list what is stored")
    p.add_argument("--yes", action="store_true", help="confirm the removal")
    p.add_argument("--reason", default="request of the client", help="recorded with the removal")
    p.set_defaults(func=_cmd_forget)

    p = subparsers.add_parser("retention", help="list (or remove) clients past the retention period",
                              description="List the clients whose data are past the retention period set under "
                                          "store.retention_years (default 20 years after the last change, WGBO), or "
                                          "remove them with --remove (logged).")
    p.add_argument("-f", "--params", required=True, help="params YAML with a store: section")
    p.add_argument("--today", default=None, help="reference date YYYY-MM-DD (default: today)")
    p.add_argument("--remove", action="store_true", help="remove the expired clients")
    p.add_argument("--yes", action="store_true", help="confirm the removal")
    p.set_defaults(func=_cmd_retention)
