"""Check a params file against everything a run needs, before a notebook starts.

:func:`preflight` is what ``effectstudy validate -f PARAMS`` and ``effectstudy run NOTEBOOK -f
PARAMS`` (through :func:`effectstudy.reports.runner.run_notebook`) do first, so that a student's
mistake is named in the terms of the params file, with its line, before a kernel starts:

1. the params file itself (:func:`effectstudy.core.params.load_report_params`: YAML, keys, types,
   decimal commas, paths; one message per key, ``file:line: key: what is wrong``);
2. the notebook and the params are for the same report (:func:`check_notebook`): a notebook
   declares its report in its metadata (``metadata.effectstudy.report``, and the params reports
   it also runs on in ``accepts``: the explore notebook takes every report's params) or by its
   file name (``yearly_summary.ipynb``);
3. the instrument and the scales (``analysis.instrument``, ``analysis.scales``, ``outcome``) exist in
   the registry, or in ``analysis.instrument_file``; a scale of another instrument is named as such;
4. the data are read once with :func:`effectstudy.data.io.read_study` (the reading of ``effectstudy
   validate``), and the columns the params name (``analysis.groups``, ``group``, ``covariates``;
   ``age`` is derived from ``birth_year``) exist in the episodes file; the instrument occurs in the
   measurements.

Every problem of steps 3 and 4 is collected (:attr:`Preflight.problems`); a misspelt name gets the
nearest one (``difflib.get_close_matches``): "group: 'diagnsis' is not a column of the episodes
file (episodes.csv). Did you mean 'diagnosis'?".
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from effectstudy import instruments
from effectstudy.core.errors import EffectstudyError, ParamsError
from effectstudy.core.files import display_path
from effectstudy.core.params import (
    REPORT_MODELS,
    Params,
    key_lines,
    line_of,
    load_report_params,
    parse_yaml,
)
from effectstudy.data.io import StudyData, read_study
from effectstudy.data.outofcore import read_study_outofcore

__all__ = ["Preflight", "preflight", "notebook_report", "accepted_reports", "check_notebook", "DERIVED_COLUMNS", "DUTCH_COLUMNS"]

#: episode columns a run derives from others: ``age`` (at the start) from ``birth_year``
DERIVED_COLUMNS = {"age": "birth_year"}


@dataclass(frozen=True)
class Preflight:
    """The outcome of :func:`preflight`.

    Attributes
    ----------
    params : Params
        The validated params.
    data : StudyData or None
        The input as read by ``read_study(on_fatal="return")`` (``None`` when not read).
    problems : list of str
        ``file:line: key: message`` for every name in the params that the instrument or the data
        do not have; empty when the run can start.
    """

    params: Params
    data: StudyData | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def fatal(self) -> bool:
        """The input files have a fatal problem (nothing can be analysed; see ``effectstudy validate``)."""
        return self.data is not None and bool(self.data.report.fatal)

    def raise_for_problems(self) -> None:
        """Raise :class:`ParamsError` listing every problem, or one naming the fatal data problems."""
        if self.problems:
            raise ParamsError("\n".join(self.problems))
        if self.fatal:
            src = display_path(self.params.source_file) if self.params.source_file else "PARAMS.yaml"
            raise ParamsError(f"{src}: the input files have fatal problems, so the report cannot be made; "
                              f"see them with: effectstudy validate -f {src}")


def _where(params: Params, lines: dict, key: tuple[str | int, ...]) -> str:
    src = display_path(params.source_file) if params.source_file else "params"
    line = line_of(lines, key)
    return f"{src}:{line}" if line else src


#: Dutch names of the canonical episode columns, as a Dutch export or a student may write them
DUTCH_COLUMNS = {"diagnose": "diagnosis", "diagnosegroep": "diagnosis", "zorgvorm": "care_type", "zorgtype": "care_type",
                 "behandeling": "treatment", "behandelvorm": "treatment", "reden_einde": "end_reason",
                 "redeneinde": "end_reason", "behandelaar": "therapist", "therapeut": "therapist",
                 "geboortejaar": "birth_year", "geslacht": "sex", "leeftijd": "age", "sessies": "sessions",
                 "aantal_sessies": "sessions", "startdatum": "start_date", "einddatum": "end_date"}


def _suggest(name: str, names: list[str]) -> str:
    low = {n.lower(): n for n in names}
    dutch = DUTCH_COLUMNS.get(name.lower())
    if dutch in names:
        return f" Did you mean '{dutch}' (the column names are English)?"
    close = difflib.get_close_matches(name.lower(), list(low), n=1, cutoff=0.6)
    return f" Did you mean '{low[close[0]]}'?" if close else ""


# ------------------------------------------------------------------------------ the notebook
def _notebook_meta(path: Path) -> dict[str, Any]:
    try:
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError, AttributeError):
        return {}
    own = meta.get("effectstudy") if isinstance(meta, dict) else None
    return own if isinstance(own, dict) else {}


def notebook_report(notebook: str | Path) -> str | None:
    """The report a notebook makes: ``metadata.effectstudy.report``, else its file name when that
    is a report (``yearly_summary.ipynb``), else ``None`` (any report's params are accepted).

    >>> notebook_report("notebooks/yearly_summary.ipynb") if Path("notebooks/yearly_summary.ipynb").is_file() else "yearly_summary"
    'yearly_summary'
    """
    path = Path(notebook)
    declared = _notebook_meta(path).get("report")
    if isinstance(declared, str) and declared:
        return declared
    return path.stem if path.stem in REPORT_MODELS else None


def accepted_reports(notebook: str | Path) -> list[str] | None:
    """The params reports a notebook runs on: ``metadata.effectstudy.accepts`` (the explore notebook
    takes the params of every report), else its own report; ``None``: any."""
    made = notebook_report(notebook)
    if made is None:
        return None
    accepts = _notebook_meta(Path(notebook)).get("accepts")
    return [made, *(a for a in accepts if isinstance(a, str) and a != made)] if isinstance(accepts, list) else [made]


def _params_for(report: str, folder: Path) -> Path | None:
    """A params file in ``folder`` made for ``report`` (the first by name), to point a student to."""
    for p in sorted(folder.glob("*.yaml"), key=lambda f: (f.name.startswith(("ci", "tmp")), f.name)):
        try:
            raw = parse_yaml(p.read_text(encoding="utf-8"), source=str(p))
        except (OSError, UnicodeDecodeError, EffectstudyError):
            continue
        if isinstance(raw, dict) and raw.get("report") == report:
            return p
    return None


def check_notebook(notebook: str | Path, params: Params) -> None:
    """Raise :class:`ParamsError` when ``params`` are for another report than ``notebook`` makes.

    The message says which report the params file is for, which notebook makes it, and a params
    file for the notebook's report when one lies beside the params file.
    """
    nb = Path(notebook)
    made = notebook_report(nb)
    accepted = accepted_reports(nb)
    if made is None or accepted is None or params.report in accepted:
        return
    src = display_path(params.source_file) if params.source_file else "the params file"
    line = key_lines(Path(params.source_file).read_text(encoding="utf-8")).get(("report",)) if params.source_file else None
    where = f"{src}:{line}" if line else src
    if params.report == "validate":
        raise ParamsError(f"{where}: report: validate: this params file is for `effectstudy validate -f {src}` only; "
                          f"notebook {nb.name} makes the report {made!r} and needs a params file with report: {made}")
    own = nb.with_name(f"{params.report}.ipynb")
    use = f"run it with {display_path(own)}" if own.is_file() else f"run it with the notebook of the report {params.report}"
    other = _params_for(made, Path(params.source_file).parent) if params.source_file else None
    hint = f" (such as {display_path(other)})" if other is not None else ""
    raise ParamsError(f"{where}: report: this params file is for the report {params.report!r} (report: {params.report}), "
                      f"but notebook {nb.name} makes the report {made!r}: {use}, or give {nb.name} a params file "
                      f"with report: {made}{hint}")


# ------------------------------------------------------------------------------ the instrument
def _instrument_problems(params: Params, lines: dict) -> list[str]:
    a = getattr(params, "analysis", None)
    if a is None:
        return []
    try:
        inst = instruments.load(a.instrument_file) if a.instrument_file is not None else instruments.get(a.instrument)
    except EffectstudyError as exc:
        if a.instrument_file is not None:
            return [f"{_where(params, lines, ('analysis', 'instrument_file'))}: analysis.instrument_file: {exc}"]
        return [f"{_where(params, lines, ('analysis', 'instrument'))}: analysis.instrument: {a.instrument!r} is not "
                f"an instrument of the registry ({', '.join(instruments.available())}).{_suggest(a.instrument, instruments.available())}"]
    if a.instrument_file is not None and inst.id != a.instrument:
        return [f"{_where(params, lines, ('analysis', 'instrument_file'))}: analysis.instrument_file: the file defines "
                f"instrument {inst.id!r}, but analysis.instrument is {a.instrument!r}"]
    if inst.scale_level and params.data.measurements.values != "scores":
        return [f"{_where(params, lines, ('analysis', 'instrument'))}: analysis.instrument: "
                f"{instruments.no_key_message(inst, 'scoring the item answers of data.measurements')}; "
                "for an export of scale scores, write values: scores under data.measurements"]
    wanted: list[tuple[tuple[str | int, ...], str]] = [(("analysis", "scales", i), s) for i, s in enumerate(a.scales)]
    if getattr(params, "outcome", None):
        wanted.append((("outcome",), params.outcome))
    out = []
    for key, scale in wanted:
        if scale in inst.scales:
            continue
        name = key[0] if key[0] == "outcome" else "analysis.scales"
        msg = (f"{_where(params, lines, key)}: {name}: {scale!r} is not a scale of {inst.id} "
               f"(analysis.instrument); its scales: {', '.join(inst.scales)}.")
        others = [i for i in instruments.available() if i != inst.id and scale in instruments.get(i).scales]
        if others:
            msg += f" {scale} is a scale of {', '.join(others)}: change analysis.instrument, or choose a scale of {inst.id}."
        out.append(msg + _suggest(scale, list(inst.scales)))
    return out


# ------------------------------------------------------------------------------ the data
def _column_problem(params: Params, data: StudyData, key: tuple[str | int, ...], col: str) -> str | None:
    eps = data.episodes
    if col in eps.columns or (col in DERIVED_COLUMNS and DERIVED_COLUMNS[col] in eps.columns):
        return None
    meta = data.meta.get("episodes", {}) if isinstance(data.meta, dict) else {}
    file = params.data.episodes.path.name
    name = key[0] if key[0] in ("group", "covariates") else ".".join(map(str, key[:-1])) if isinstance(key[-1], int) else ".".join(map(str, key))
    lead = f"{name}: {col!r} is not a column of the episodes file ({file})"
    mapped = (meta.get("columns_map") or {}).get(col)
    if mapped:
        return f"{name}: {col!r} is read as {mapped!r} (data.episodes.columns): write {mapped}"
    if col in (meta.get("unknown_columns") or []):
        return (f"{lead} that effectstudy reads: it is in the file, but only the canonical columns are read; "
                "map it to one under data.episodes.columns")
    if col in DERIVED_COLUMNS:
        return f"{lead}: {col} is computed from {DERIVED_COLUMNS[col]}, which {file} does not have"
    cols = [c for c in eps.columns if c not in ("episode_id", "client_id")]
    return f"{lead}. Its columns: {', '.join(cols)} (and age).{_suggest(col, [*cols, *DERIVED_COLUMNS])}"


def _data_problems(params: Params, data: StudyData, lines: dict) -> list[str]:
    if data.report.fatal:
        return []  # nothing was read: the data's own problems say why
    a = getattr(params, "analysis", None)
    keys: list[tuple[tuple[str | int, ...], str]] = []
    if a is not None:
        keys += [(("analysis", "groups", i), g) for i, g in enumerate(a.groups)]
    if getattr(params, "group", None):
        keys.append((("group",), params.group))
    keys += [(("covariates", i), c) for i, c in enumerate(getattr(params, "covariates", []) or [])]
    out = []
    for key, col in keys:
        msg = _column_problem(params, data, key, col)
        if msg:
            out.append(f"{_where(params, lines, key)}: {msg}")
    m = data.measurements
    if a is not None and len(m) and "instrument" in m.columns and not (m["instrument"] == a.instrument).any():
        found = sorted(m["instrument"].dropna().astype(str).unique())
        out.append(f"{_where(params, lines, ('analysis', 'instrument'))}: analysis.instrument: the measurements file "
                   f"({params.data.measurements.path.name}) has no measurements of {a.instrument!r}; it has "
                   f"{', '.join(found[:10])}.{_suggest(a.instrument, found)}")
    return out


def preflight(params_file: str | Path, *, notebook: str | Path | None = None, overrides: dict[str, Any] | None = None,
              read_data: bool = True, show_identifiers: bool = False) -> Preflight:
    """Check a params file against the notebook, the instrument and the data (see the module docstring).

    Parameters
    ----------
    params_file : str or Path
        The run's params YAML.
    notebook : str or Path, optional
        The notebook to be run with it: its report must be the params' ``report:``.
    overrides : dict, optional
        Dotted keys -> values applied on top of the file (``effectstudy run -p``).
    read_data : bool
        Read the data (``read_study``) to check the columns the params name (default True).
    show_identifiers : bool
        Passed to ``read_study`` (``effectstudy validate --show-identifiers``).

    Returns
    -------
    Preflight
        The params, the data read and the problems found (:meth:`Preflight.raise_for_problems`).

    Raises
    ------
    ParamsError
        The params file is invalid (every key's problem, with its line), or it is for another
        report than ``notebook`` makes.
    """
    params = load_report_params(params_file, overrides)
    if notebook is not None:
        check_notebook(notebook, params)
    lines = key_lines(Path(params_file).read_text(encoding="utf-8"))
    problems = _instrument_problems(params, lines)
    # data.engine: duckdb reads Parquet folders and globs in batches, out of core (as Study does)
    read = read_study_outofcore if params.data.engine == "duckdb" else read_study
    data = read(params.data, on_fatal="return", show_identifiers=show_identifiers) if read_data else None
    if data is not None:
        problems += _data_problems(params, data, lines)
    return Preflight(params=params, data=data, problems=problems)
