"""Typed, validated run parameters read from YAML.

A params file is validated into a frozen object before anything runs.  Unknown
keys, wrong types and YAML surprises are errors that name the key:

- only ``true``/``false`` are booleans (``no``, ``yes``, ``on``, ``off`` stay text, so a
  boolean key given ``no`` is an error and a text key given ``NO`` keeps ``"NO"``);
- an integer with a leading zero (``0101``) stays text, so it is an error for a number key;
- a float where text is expected (``version: 1.10`` would read as 1.1) is an error
  asking for quotes.

Relative paths are resolved against the params file's folder.

>>> import textwrap, tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "p.yaml").write_text(textwrap.dedent('''
...     report: effect_study
...     title: Demo
...     data:
...       episodes: {path: e.csv}
...       measurements: {path: m.csv}
... '''))
>>> p = load_params(d / "p.yaml")
>>> p.report, p.data.episodes.date_format, p.data.episodes.path.name
('effect_study', '%d-%m-%Y', 'e.csv')
"""

from __future__ import annotations

import difflib
import glob
import math
import os
import re
import typing
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from effectstudy.core.codes import effective_codes, normalise_codes, require_codes
from effectstudy.core.errors import ParamsError
from effectstudy.core.files import display_path
from effectstudy.core.schema import ITEM_PATTERN, SCORE_PATTERN

__all__ = [
    "FileSpec", "DataSpec", "WideSpec", "WideMeasurementSpec", "Params", "load_params", "parse_yaml", "StrictModel",
    "SelectionSpec", "EffectSizeSpec", "CriteriaFromSpec", "ReliableChangeSpec", "StagnationSpec", "NotOnTrackSpec",
    "ITTSpec", "AnalysisSpec",
    "DisclosureSpec", "StagnationListSpec", "EffectStudyParams", "YearlySummaryParams", "StudentParams", "ExploreParams",
    "REPORT_MODELS", "load_report_params", "key_lines", "line_of", "decimal_commas", "DECIMAL_COMMA",
    "LangText", "in_language",
]

#: a text a report shows: one text for both languages, or ``{nl: ..., en: ...}`` (both required)
LangText = str | dict[Literal["nl", "en"], str]


def in_language(text: LangText | None, lang: str) -> str | None:
    """The text of a :data:`LangText` param in ``lang`` (a plain text serves both languages).

    >>> in_language({"nl": "Effectstudie", "en": "Effect study"}, "en"), in_language("Demo", "nl")
    ('Effect study', 'Demo')
    >>> in_language(None, "nl") is None
    True
    """
    if isinstance(text, dict):
        return text[lang]  # type: ignore[index]
    return text


def _both_languages(v: Any) -> Any:
    """A ``{nl, en}`` text must give both languages (a report in either must have its text)."""
    if isinstance(v, dict) and set(v) != {"nl", "en"}:
        missing = sorted({"nl", "en"} - set(v))
        raise ValueError(f"a text in two languages needs both nl and en (missing: {', '.join(missing)}), "
                         "or write one text for both")
    return v


# ----------------------------------------------------------------------------------- YAML
class _StrictLoader(yaml.SafeLoader):
    """SafeLoader with YAML-1.2-like scalars: no yes/no/on/off booleans, no octal, no sexagesimal."""


_StrictLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp")]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:(?:0|[1-9][0-9]*)\.[0-9]+(?:[eE][-+]?[0-9]+)?|(?:0|[1-9][0-9]*)[eE][-+]?[0-9]+)$"),
    list("-+0123456789"),
)


def parse_yaml(text: str, source: str = "<params>") -> Any:
    """Parse YAML text with the strict scalar rules above.

    >>> parse_yaml("a: no\\nb: 0101\\nc: 1.10\\nd: true\\ne: 12")
    {'a': 'no', 'b': '0101', 'c': 1.1, 'd': True, 'e': 12}
    """
    tabs = [n for n, line in enumerate(text.splitlines(), 1) if re.match(r"^ *\t", line)]
    if tabs:
        raise ParamsError("\n".join(
            f"{source}:{n}: not valid YAML: this line is indented with a tab; YAML needs spaces "
            "(replace the tab with spaces, two per level)" for n in tabs))
    commas = decimal_commas(text)
    if commas:  # named by their full key, found in the text with points
        rows = text.splitlines()
        for n, _, value in commas:
            rows[n - 1] = rows[n - 1].replace(value, value.replace(",", "."), 1)
        where = {(n, path[-1]): ".".join(map(str, path)) for path, n in key_lines("\n".join(rows)).items()}
        raise ParamsError("\n".join(f"{source}:{n}: {where.get((n, key), key)}: {value} has a decimal comma; write "
                                     f"{value.replace(',', '.')} (with a point)" for n, key, value in commas))
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        what = getattr(exc, "problem", None) or str(exc)
        raise ParamsError(f"{where}: not valid YAML: {what} (check the indentation and the colons of this "
                          "line and the one above; put text holding ': ' or '#' in quotes)") from None


#: ``key: 0,88`` inside a flow mapping ``{...}``, where YAML would read ``0`` and a key ``88``
_FLOW_DECIMAL_COMMA = re.compile(r"[{,][ \t]*([A-Za-z_][\w]*):[ \t]+(-?[0-9]+,[0-9]+)[ \t]*(?=[,}\]]|#|$)")
#: a number written with a decimal comma, as Dutch Excel and SPSS show it
DECIMAL_COMMA = re.compile(r"^-?[0-9]+,[0-9]+$")


def decimal_commas(text: str) -> list[tuple[int, str, str]]:
    """(line, key, value) of every ``key: 0,88`` inside ``{...}`` (YAML would split it at the comma).

    A decimal comma in block style (``reliability: 0,88``) is read as the text ``'0,88'`` and
    named by the key's own check (:func:`load_params`).

    >>> decimal_commas("a: {reliability: 0,88, cutoff: a}\\nb: [3,5]\\nc: {x: 1, y: 2}")
    [(1, 'reliability', '0,88')]
    """
    found = []
    for n, line in enumerate(text.splitlines(), 1):
        code = line.split("#", 1)[0] if "'" not in line and '"' not in line else line
        found += [(n, m.group(1), m.group(2)) for m in _FLOW_DECIMAL_COMMA.finditer(code)]
    return found


def key_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """The line (1-based) of every key and list item of a YAML text, by its path.

    >>> key_lines("a: 1\\nb:\\n  c: [x, y]\\n  d:\\n    - 1\\n")[("b", "d", 0)]
    5
    >>> key_lines("not: [valid")
    {}
    """
    try:
        root = yaml.compose(text, Loader=_StrictLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError:
        return {}
    out: dict[tuple[str | int, ...], int] = {}
    todo: list[tuple[tuple[str | int, ...], Any]] = [((), root)]
    while todo:
        path, node = todo.pop()
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                out[(*path, k.value)] = k.start_mark.line + 1
                todo.append(((*path, k.value), v))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                out[(*path, i)] = v.start_mark.line + 1
                todo.append(((*path, i), v))
    return out


def line_of(lines: dict[tuple[str | int, ...], int], key: tuple[str | int, ...]) -> int | None:
    """The line of ``key`` in :func:`key_lines`' map, else of its nearest parent key, else ``None``.

    >>> line_of({("a",): 1, ("a", "b"): 2}, ("a", "c", 0))
    1
    """
    return next((lines[key[:i]] for i in range(len(key), 0, -1) if key[:i] in lines), None)


# ----------------------------------------------------------------------------------- models
def _percent_hint(v: Any) -> str:
    """``"; for 88% write 0.88"`` when a fraction was given as a percentage (10 to 100), else ``""``."""
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and 10 <= v <= 100
    return f"; for {v:g}% write {v / 100:g}" if ok else ""


class StrictModel(BaseModel):
    """Frozen, strict pydantic model: unknown keys and type coercions are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


CANONICAL_DATE_DEFAULT = "%d-%m-%Y"


class WideMeasurementSpec(StrictModel):
    """One measurement held in each row of a wide file: its date, session and value columns."""

    #: the occasion written into the measurement (``pre``, ``interim``, ``post``); optional
    occasion: str | None = None
    #: export column with this measurement's date
    date: str
    #: export column with the session number at this measurement; optional
    session: str | None = None
    #: export column -> canonical value column: ``item_<n>`` (``values: items``) or ``score_<SCALE>``
    #: (``values: scores``)
    columns: dict[str, str] = Field(min_length=1)


class WideSpec(StrictModel):
    """A wide file: one row per episode (or client) holding several measurements side by side.

    Every row gives one measurement per entry of ``measurements`` whose cells (date, session,
    values) are not all empty (an empty post is no measurement, not an error); nothing is guessed
    from names.
    """

    #: registry id of the instrument of every measurement in the file
    instrument: str
    #: the measurements in each row, e.g. pre and post
    measurements: list[WideMeasurementSpec] = Field(min_length=1, max_length=1000)

    def export_columns(self) -> list[str]:
        """Every export column the mapping reads (dates, sessions, values), in mapping order."""
        cols: list[str] = []
        for m in self.measurements:
            cols += [m.date, *([m.session] if m.session else []), *m.columns]
        return cols


_VALUE_TARGET = {"items": re.compile(ITEM_PATTERN), "scores": re.compile(SCORE_PATTERN)}


def _wide_problems(key: str, spec: FileSpec) -> list[str]:
    """What is wrong with the wide mapping of ``spec`` (messages name the params key)."""
    out: list[str] = []
    if spec.wide is None:
        return out
    target = _VALUE_TARGET[spec.values]
    want = "item_<n>" if spec.values == "items" else "score_<SCALE>"
    seen: dict[str, str] = {}
    for i, m in enumerate(spec.wide.measurements):
        where = f"{key}.wide.measurements.{i}"
        for col, tgt in m.columns.items():
            if not target.fullmatch(tgt):
                out.append(f"{where}.columns.{col}: {tgt!r} is not a value column of a file with "
                           f"values: {spec.values}; expected {want}")
        for name, col in [("date", m.date), ("session", m.session), *((f"columns.{c}", c) for c in m.columns)]:
            if col is None:
                continue
            if col in seen:
                out.append(f"{where}.{name}: export column {col!r} is read twice (also at {seen[col]})")
            seen.setdefault(col, f"{where}.{name}")
    for col, tgt in spec.columns.items():
        if tgt not in ("client_id", "episode_id"):
            out.append(f"{key}.columns.{col}: a wide file's columns: maps the row's client_id and episode_id "
                       f"only (got {tgt!r}); dates, sessions and values are mapped per measurement under "
                       f"{key}.wide.measurements")
        if col in seen:
            out.append(f"{key}.columns.{col}: export column {col!r} is also read by the wide mapping "
                       f"({seen[col]})")
    return out


class FileSpec(StrictModel):
    """One input file and how to read it."""

    #: the file, relative to the params file
    path: Path
    #: csv, xlsx, sav or parquet; taken from the file extension when not given
    format: Literal["csv", "xlsx", "sav", "parquet"] | None = None
    #: CSV field separator; ``None`` means: detect among ';' and ',' (an ambiguous header is an error)
    sep: Literal[";", ",", "\t", "|"] | None = None
    #: decimal separator of numbers in CSV text
    decimal: Literal[".", ","] = ","
    #: text encoding of CSV files (``cp1252`` for older Windows exports)
    encoding: str = "utf-8"
    #: strftime format of dates in text files (Dutch default day-first)
    date_format: str = CANONICAL_DATE_DEFAULT
    #: Excel sheet name or 0-based index
    sheet: str | int = 0
    #: export column name -> canonical column name
    columns: dict[str, str] = Field(default_factory=dict)
    #: measurements only: ``items`` (raw item codes, scored by the package) or ``scores`` (a
    #: score-only export: precomputed scale scores in ``score_<SCALE>`` columns, no items)
    values: Literal["items", "scores"] = "items"
    #: measurements only: the mapping of a wide file (one row per episode, measurements side by side)
    wide: WideSpec | None = None

    @field_validator("path", mode="before")
    @classmethod
    def _path(cls, v: Any) -> Any:
        if isinstance(v, str):
            return Path(v)
        return v

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, v: str) -> str:
        """A strftime format; an SPSS/Excel pattern (``dd-mm-yyyy``) gets its strftime spelling."""
        if "%" in v:
            return v
        spss = re.fullmatch(r"(?i)(dd|mm|yyyy)([-/. ]?)(dd|mm|yyyy)\2(dd|mm|yyyy)", v)
        fix = ', such as "%d-%m-%Y" for 31-12-2024'
        if spss and sorted(p.lower() for p in spss.group(1, 3, 4)) == ["dd", "mm", "yyyy"]:
            codes = {"dd": "%d", "mm": "%m", "yyyy": "%Y"}
            fmt = spss.group(2).join(codes[p.lower()] for p in spss.group(1, 3, 4))
            fix = f': write date_format: "{fmt}"'
        raise ValueError(f"{v!r} is not a date format of the kind effectstudy reads (%d day, %m month, %Y year)" + fix)

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, v: str) -> str:
        import codecs

        try:
            codecs.lookup(v)
        except LookupError:
            raise ValueError(f"{v!r} is not a text encoding; exports are usually utf-8, or cp1252 from "
                             "older Windows programs (Excel's 'ANSI')") from None
        return v


class DuckDBSpec(StrictModel):
    """How ``engine: duckdb`` reads the measurements (:mod:`effectstudy.data.outofcore`)."""

    #: DuckDB's memory limit (``"4GB"``, ``"500MB"``); beyond it DuckDB spills to ``temp_directory``
    memory_limit: str = "4GB"
    #: DuckDB's threads (``None``: DuckDB's default, the number of cores)
    threads: int | None = Field(default=None, ge=1)
    #: measurement rows per batch through validation and scoring (a client's rows stay in one batch)
    batch_rows: int = Field(default=200_000, ge=1)
    #: folder for DuckDB's spill files and the batches (``None``: a new temporary folder)
    temp_directory: Path | None = None

    @field_validator("memory_limit")
    @classmethod
    def _memory_limit(cls, v: str) -> str:
        if not re.fullmatch(r"\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", v):
            raise ValueError(f"{v!r} is not a memory size (write e.g. \"4GB\" or \"500MB\")")
        return v.strip()

    @field_validator("temp_directory", mode="before")
    @classmethod
    def _temp(cls, v: Any) -> Any:
        return Path(v) if isinstance(v, str) else v


#: suffixes of Parquet files (``engine: duckdb`` reads these, a folder of them or a glob)
PARQUET_SUFFIXES = (".parquet", ".pq")


def _duckdb_problems(spec: FileSpec) -> list[str]:
    """Why ``engine: duckdb`` cannot read this measurements spec (empty when it can)."""
    where = "data.measurements"
    path = str(spec.path)
    fmt = spec.format or ("parquet" if path.lower().endswith(PARQUET_SUFFIXES) or "*" in path
                          or "." not in Path(path).name else None)
    out = []
    if fmt != "parquet":
        out.append(f"{where}.path: engine: duckdb reads Parquet measurements (a .parquet file, a folder of "
                   f"them or a glob such as measurements/*.parquet), not {Path(path).name!r}; convert the "
                   "export to Parquet or use engine: pandas")
    if spec.wide is not None:
        out.append(f"{where}.wide: engine: duckdb reads long measurements (one row per administration) only")
    if spec.values != "items":
        out.append(f"{where}.values: engine: duckdb scores item answers (values: items) only")
    return out


class DataSpec(StrictModel):
    """The input tables of a run."""

    episodes: FileSpec
    measurements: FileSpec
    satisfaction: FileSpec | None = None
    #: ``pandas`` (read everything in memory) or ``duckdb`` (Parquet measurements streamed in
    #: batches through the same validation and scoring, out of core: :mod:`effectstudy.data.outofcore`)
    engine: Literal["pandas", "duckdb"] = "pandas"
    #: settings of ``engine: duckdb``
    duckdb: DuckDBSpec = Field(default_factory=DuckDBSpec)
    #: code lists that declare or replace a column's codes and labels (``effectstudy.core.codes``):
    #: ``{diagnosis: {depression: {nl: depressie, en: depression}}}``, the short list form
    #: ``{treatment: [cbt, emdr]}`` or ``{therapist: free_text}``; kept in the full form
    codes: dict[str, Any] = Field(default_factory=dict)

    @field_validator("codes", mode="before")
    @classmethod
    def _codes(cls, v: Any) -> Any:
        return normalise_codes(v)

    @model_validator(mode="after")
    def _shapes(self) -> DataSpec:
        """``values``/``wide`` belong to the measurements; a wide mapping is checked up front."""
        problems = []
        for table in ("episodes", "satisfaction"):
            spec = getattr(self, table)
            if spec is not None and (spec.wide is not None or spec.values != "items"):
                problems.append(f"data.{table}: values and wide describe a measurements file only")
        problems += _wide_problems("data.measurements", self.measurements)
        if self.engine == "duckdb":
            problems += _duckdb_problems(self.measurements)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def code_lists(self) -> dict[str, Any]:
        """The code list of every codable column (package defaults replaced by ``codes``)."""
        return effective_codes(self.codes)


class Params(StrictModel):
    """Validated parameters of one run.

    Report-specific sections are added by the report modules; the ``data`` section
    is shared by every report type.
    """

    #: the report the params are for; chooses the params model (``validate``: only the ``data`` section)
    report: Literal["effect_study", "yearly_summary", "student_analysis", "explore", "validate"]
    #: the report's title: one text, or ``{nl: ..., en: ...}`` (the run's ``language`` picks one)
    title: LangText = ""
    #: language of the report's text, labels and APA output
    language: Literal["nl", "en"] = "nl"
    data: DataSpec
    #: name of the run's output folder ``reports/<report>/<run_name>/``; default: the params file's stem
    run_name: str | None = None
    #: set by the loader: the params file read (not written in a params file)
    source_file: Path | None = None

    @field_validator("title")
    @classmethod
    def _title_languages(cls, v: Any) -> Any:
        return _both_languages(v)

    @field_validator("source_file", mode="before")
    @classmethod
    def _source(cls, v: Any) -> Any:
        return Path(v) if isinstance(v, str) else v


# ------------------------------------------------------------------------ report sections
def _pair(name: str, v: Any, *, whole: bool) -> Any:
    """YAML gives lists; windows are (from, to) pairs with from <= to."""
    if isinstance(v, list):
        v = tuple(v)
    if isinstance(v, tuple) and len(v) == 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
        if whole and not all(isinstance(x, int) for x in v):
            raise ValueError(f"{name}: expected two whole numbers [from, to]")
        if v[0] > v[1]:
            raise ValueError(f"impossible window {list(v)}: from must not be after to")
    return v


class SelectionSpec(StrictModel):
    """Which episodes enter the analysis (each filter is counted in the data flow)."""

    #: consent flag that admits an episode: ``study`` (effect study, reports) or ``research``
    consent: Literal["study", "research"] = "study"
    #: episode start years, inclusive ``[first, last]``; ``null`` = all years
    years: tuple[int, int] | None = None
    #: keep only these care types (episode column ``care_type``); ``null`` = all
    care_types: list[str] | None = None
    #: keep only these diagnoses (episode column ``diagnosis``); ``null`` = all
    diagnoses: list[str] | None = None
    #: client ids who withdrew consent (all their episodes are excluded)
    withdrawn: list[str] = Field(default_factory=list)

    @field_validator("years", mode="before")
    @classmethod
    def _years(cls, v: Any) -> Any:
        if isinstance(v, int) and not isinstance(v, bool):
            raise ValueError(f"expects a range of start years [first, last], not one year; for the episodes "
                             f"that started in {v} only, write years: [{v}, {v}] (got {v})")
        m = re.fullmatch(r"\s*([0-9]{4})\s*(?:-|–|t/m|to|tot)\s*([0-9]{4})\s*", v) if isinstance(v, str) else None
        if m:
            raise ValueError(f"expects a range of start years in square brackets: write years: "
                             f"[{m.group(1)}, {m.group(2)}] (got {v!r})")
        return _pair("years", v, whole=True)


class EffectSizeSpec(StrictModel):
    """Pre/post standardised mean change (``es.prepost_effect``)."""

    #: rm, av, z, b (pre-test SD; Becker 1988, recommended by Morris 2008) or d
    method: Literal["rm", "av", "z", "b", "d"] = "b"
    #: Hedges' small-sample correction (g instead of d)
    adjust: bool = True
    #: level of the confidence interval
    ci: float = Field(0.95, gt=0, lt=1)
    #: interval: auto (the exact noncentral-t interval for z, R effectsize's normal interval for the
    #: others), normal, nct (z only), percentile or bca (paired bootstrap of the clients)
    ci_method: Literal["auto", "normal", "nct", "percentile", "bca"] = "auto"
    #: bootstrap resamples (percentile, bca)
    n_resamples: int = Field(2000, ge=1000)
    #: seed of the bootstrap (percentile, bca), so that a rerun gives the same interval
    seed: int = Field(2017, ge=0)

    @model_validator(mode="after")
    def _nct_needs_z(self) -> EffectSizeSpec:
        if self.ci_method == "nct" and self.method != "z":
            raise ValueError(f"ci_method 'nct' exists for method 'z' only (method is {self.method!r}); "
                             "use auto, normal, percentile or bca")
        return self


class CriteriaFromSpec(StrictModel):
    """``criteria: {from: <results.json>}``: every criterion from an earlier run."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    #: an earlier run's ``results.json`` (relative to the params file): its reliability, reference
    #: mean and SD, cut-off and S_diff are used, and its path and SHA-256 recorded
    from_: Path = Field(alias="from")

    @field_validator("from_", mode="before")
    @classmethod
    def _path(cls, v: Any) -> Any:
        return Path(v) if isinstance(v, str) else v


class ReliableChangeSpec(StrictModel):
    """Reliable change and clinical significance of the primary scale.

    The criteria (reliability, reference mean and SD, cut-off; ``S_diff`` follows) are fixed
    from the registry, from numbers here, or from an earlier run (``criteria: {from: ...}``);
    ``sample`` computes them from this run's data and the report labels them sample-based.
    """

    #: jt (Jacobson & Truax 1991) or ha (Hageman & Arrindell 1999, preferred by the Dutch SCL-90 authors), ...
    method: Literal["jt", "gln", "hll", "en", "nk", "ha"] = "jt"
    #: ``registry`` (the instrument's published value), ``sample`` (Cronbach's alpha of the intake
    #: administrations in these data) or a number in (0, 1)
    reliability: Literal["registry", "sample"] | float = "sample"
    #: cut-off a (2 SD beyond the clinical mean), b (2 SD within the functional mean), c (between
    #: both; needs functional norms), ``published`` (the registry's cut-off), or a number
    cutoff: Literal["a", "b", "c", "published"] | float = "c"
    #: functional (general population) mean, e.g. from the licensed manual; ``null`` = registry
    m_functional: float | None = None
    #: functional (general population) SD, with ``m_functional``; ``null`` = registry
    sd_functional: float | None = None
    #: registry norm set (``null`` = the scale's default)
    norms: str | None = None
    #: where a reliability given as a number comes from (a citation), printed in the report
    reliability_source: LangText | None = None
    #: reference (clinical) mean for cut-off a and c; ``null`` = the registry's, else the sample's
    m_clinical: float | None = None
    #: reference (clinical) SD for cut-offs a and c and for S_diff of reliable change and the
    #: stagnation rule; ``null`` = the registry's, else the SD of the sample's pre scores
    sd_clinical: float | None = Field(None, gt=0)
    #: where ``m_clinical``/``sd_clinical`` come from (a citation or an earlier run)
    reference_source: LangText | None = None
    #: ``{from: <results.json of an earlier run>}``: all criteria from that run (instead of
    #: reliability, cutoff, m_clinical and sd_clinical here)
    criteria: CriteriaFromSpec | None = None
    #: further approaches shown beside it in the effect study (off by default): ``cutoff`` (the
    #: cut-off alone, es.cutoff_change), ``anchor`` (change against the minimal important difference,
    #: per patient and for the group: es.anchor_change) and ``anchor_cutoff`` (the MID combined with the
    #: cut-off: es.clinical_significance with method anchor)
    approaches: list[Literal["cutoff", "anchor", "anchor_cutoff"]] = Field(default_factory=list)
    #: minimal important difference of the primary scale in score points, for the anchor approaches:
    #: from a published anchor-based study of the instrument, never from these data
    mid_improvement: float | None = Field(None, gt=0)
    #: the same for a deterioration (``null`` = ``mid_improvement``)
    mid_deterioration: float | None = Field(None, gt=0)
    #: where the MID comes from (a reference), printed in the report
    mid_source: LangText | None = None

    @field_validator("reliability_source", "reference_source", "mid_source")
    @classmethod
    def _source_languages(cls, v: Any) -> Any:
        return _both_languages(v)

    @field_validator("reliability")
    @classmethod
    def _rel(cls, v: Any) -> Any:
        if isinstance(v, (int, float)) and not isinstance(v, bool) and not 0 < v < 1:
            raise ValueError(f"a reliability must lie strictly between 0 and 1, such as 0.88{_percent_hint(v)} (got {v:g})")
        return v

    @field_validator("approaches")
    @classmethod
    def _once(cls, v: list[str]) -> list[str]:
        twice = sorted({a for a in v if v.count(a) > 1})
        if twice:
            raise ValueError(f"approaches: {twice} listed twice")
        return v

    @model_validator(mode="after")
    def _criteria(self) -> ReliableChangeSpec:
        if (self.m_clinical is None) != (self.sd_clinical is None):
            raise ValueError("m_clinical and sd_clinical go together: give both (the reference mean "
                             "and SD) or neither")
        if self.criteria is not None:
            own = [k for k, default in (("reliability", "sample"), ("cutoff", "c"), ("m_clinical", None),
                                        ("sd_clinical", None)) if getattr(self, k) != default]
            if own:
                raise ValueError(f"criteria.from gives the reliability, reference mean and SD and cut-off; "
                                 f"remove {', '.join(own)} (or remove criteria)")
        return self

    @model_validator(mode="after")
    def _mid(self) -> ReliableChangeSpec:
        anchor = [a for a in self.approaches if a.startswith("anchor")]
        if anchor and self.mid_improvement is None:
            raise ValueError(f"approaches {anchor} need mid_improvement: the minimal important "
                             "difference of the primary scale in score points (from a published study)")
        if not anchor and (self.mid_improvement is not None or self.mid_deterioration is not None):
            raise ValueError("mid_improvement/mid_deterioration are used only by the approaches "
                             "'anchor' and 'anchor_cutoff': add one to approaches or remove the MID")
        return self


class StagnationSpec(StrictModel):
    """The study's stagnation signal: the practice rule, insufficient progress after 3 to 5
    sessions (``es.stagnation``), or another signal."""

    #: ``early_no_progress`` (the practice rule) or ``deterioration``: ``es.stagnation`` with the
    #: settings below; ``not_on_track``: the expected-response signal ``es.not_on_track`` with the
    #: settings of ``analysis.not_on_track``
    rule: Literal["early_no_progress", "not_on_track", "deterioration"] = "early_no_progress"
    #: evaluation window, inclusive, in the unit of ``time``
    window: tuple[float, float] = (3, 5)
    #: ``session`` (session number) or ``weeks`` (weeks since the episode start)
    time: Literal["session", "weeks"] = "session"
    #: progress measure: ``rci`` (reliable improvement) or ``percent`` (improvement of at least
    #: ``threshold`` times the baseline score)
    criterion: Literal["rci", "percent"] = "rci"
    #: for ``criterion: percent``: the minimum improvement as a fraction of the baseline score
    threshold: float | None = Field(None, gt=0, lt=1)
    #: the sensitivity table's windows beside ``window`` (``null``: 2-4, 3-5, 4-6, 3-6)
    sensitivity_windows: list[tuple[float, float]] | None = Field(None, min_length=1)
    #: the sensitivity table's thresholds beside the rule's own: critical values of the RCI
    #: (``rci``) or fractions of the baseline score (``percent``); ``null``: 1.28, 1.64, 1.96,
    #: 2.58 or 0.10 to 0.50
    sensitivity_thresholds: list[float] | None = Field(None, min_length=1)

    @field_validator("window", mode="before")
    @classmethod
    def _window(cls, v: Any) -> Any:
        return _pair("window", v, whole=False)

    @field_validator("sensitivity_windows", mode="before")
    @classmethod
    def _sensitivity_windows(cls, v: Any) -> Any:
        return [_pair("sensitivity_windows", w, whole=False) for w in v] if isinstance(v, list) else v

    @field_validator("sensitivity_thresholds")
    @classmethod
    def _sensitivity_thresholds(cls, v: Any) -> Any:
        if v is not None and not all(math.isfinite(x) and x > 0 for x in v):
            raise ValueError("expected positive numbers: critical values of the RCI or fractions of the baseline score")
        return v


class NotOnTrackSpec(StrictModel):
    """Expected-response curves of the practice's completed episodes (``es.not_on_track``)."""

    #: one-sided level of the expected-recovery band (0.90 'red', 0.80 'yellow'); the old
    #: spelling ``analysis.stagnation.level`` is read as this key
    level: float = Field(0.90, gt=0.5, lt=1)
    #: K of the K-fold cross-fitting by episode
    folds: int = Field(5, ge=2)
    #: seed of the random assignment of episodes to the folds
    seed: int = Field(0, ge=0)
    #: the poor final outcome the signal is validated against (``Study.not_on_track_accuracy``):
    #: ``not_reliably_improved`` (reliable-change category unchanged or deteriorated at the post, with
    #: the study's reliability) or ``reliably_deteriorated``
    poor_outcome: Literal["not_reliably_improved", "reliably_deteriorated"] = "not_reliably_improved"
    #: the signal validated (``es.signal_accuracy`` method): ``ever`` (beyond the band at some look
    #: before the post measurement), ``latest`` (at the last look before it) or ``model`` (a
    #: cross-fitted logistic model on the deviations, intake severity and early change)
    signal: Literal["ever", "latest", "model"] = "ever"


class ITTSpec(StrictModel):
    """Everyone who started: multiple imputation of the missing post scores (``es.itt_effect``)."""

    #: number of imputed data sets (m); 20 or more
    imputations: int = Field(20, ge=2, le=10000)
    #: seed of the imputation draws (the same seed gives the same figures)
    seed: int = Field(0, ge=0)
    #: episode columns predicting the missing post besides the pre score and the last
    #: interim score; ``regular_end`` (end reason regular or not) and ``age`` are derived.
    #: Covariates are dropped from the end when there are fewer than 5 completers per model
    #: column (the result names them)
    covariates: list[str] = Field(default_factory=lambda: ["regular_end", "sessions", "diagnosis", "care_type"])


class AnalysisSpec(StrictModel):
    """What is analysed: instrument, scales, groups, pairing windows and methods."""

    #: instrument registry id (``scl90_nl``, ``scl90r``, ``oq45`` ...)
    instrument: str = "scl90_nl"
    #: a user instrument YAML (corrected key or own norms) that replaces the registry entry
    instrument_file: Path | None = None
    #: scales reported; the first is the primary outcome (reliable change, stagnation)
    scales: list[str] = Field(default_factory=lambda: ["PSNEUR"], min_length=1)
    #: episode columns to break results down by
    groups: list[str] = Field(default_factory=lambda: ["diagnosis", "care_type"])
    #: days from the episode start within which the pre measurement must lie
    pre_window: tuple[int, int] = (-30, 14)
    #: days from the episode end within which the post measurement must lie
    post_window: tuple[int, int] = (-30, 30)
    #: which measurement is the post: ``end_only`` (only an end measurement, occasion ``post``:
    #: intake against end of treatment; an episode without one is a missing post for the ITT
    #: analysis) or ``last_measurement`` (the last in the post window, interim included; the
    #: interim-as-post pairs are counted in the flow)
    post_rule: Literal["end_only", "last_measurement"] = "end_only"
    effect_size: EffectSizeSpec = Field(default_factory=EffectSizeSpec)
    reliable_change: ReliableChangeSpec = Field(default_factory=ReliableChangeSpec)
    stagnation: StagnationSpec = Field(default_factory=StagnationSpec)
    not_on_track: NotOnTrackSpec = Field(default_factory=NotOnTrackSpec)
    #: the headline effect size: ``itt`` (everyone who started, by multiple imputation) or
    #: ``completers`` (the episodes with a pre and a post); the other is shown beside it
    primary: Literal["completers", "itt"] = "itt"
    itt: ITTSpec = Field(default_factory=ITTSpec)

    @model_validator(mode="before")
    @classmethod
    def _old_level(cls, v: Any) -> Any:
        """``stagnation.level`` (from when not_on_track was a stagnation rule) -> ``not_on_track.level``."""
        if not (isinstance(v, dict) and isinstance(v.get("stagnation"), dict) and "level" in v["stagnation"]):
            return v
        stag = dict(v["stagnation"])
        level = stag.pop("level")
        nt = v.get("not_on_track") or {}
        if not isinstance(nt, dict):
            return v  # the section's own error follows
        if "level" in nt and nt["level"] != level:
            raise ValueError(f"stagnation.level ({level}) is the old spelling of not_on_track.level ({nt['level']}): "
                             "give analysis.not_on_track.level only")
        return {**v, "stagnation": stag, "not_on_track": {**nt, "level": level}}

    @field_validator("pre_window", "post_window", mode="before")
    @classmethod
    def _windows(cls, v: Any) -> Any:
        return _pair("window", v, whole=True)

    @field_validator("instrument_file", mode="before")
    @classmethod
    def _file(cls, v: Any) -> Any:
        return Path(v) if isinstance(v, str) else v


class DisclosureSpec(StrictModel):
    """Disclosure control of published tables (privacy reference SEC-D1/D2)."""

    #: no statistic for a group with fewer clients than this (never below 5)
    min_n: int = Field(10, ge=5)
    #: published counts rounded to this base; ``null`` = no rounding
    round_to: int | None = Field(5, ge=1)


class StagnationListSpec(StrictModel):
    """``effectstudy stagnation-list``: open episodes flagged for the weekly peer consultation."""

    #: rules that put an open episode on the list (``analysis.stagnation`` sets the window and criterion of
    #: ``early_no_progress`` and ``deterioration``, ``analysis.not_on_track`` the band of ``not_on_track``)
    rules: list[Literal["early_no_progress", "not_on_track", "deterioration"]] = Field(
        default_factory=lambda: ["early_no_progress", "deterioration"], min_length=1)
    #: show the therapist column (off by default: the list is about episodes, not people)
    show_therapist: bool = False


class _ReportParams(Params):
    selection: SelectionSpec = Field(default_factory=SelectionSpec)
    analysis: AnalysisSpec = Field(default_factory=AnalysisSpec)
    disclosure: DisclosureSpec = Field(default_factory=DisclosureSpec)
    stagnation_list: StagnationListSpec = Field(default_factory=StagnationListSpec)
    #: date of the export (dd-mm-yyyy, as in the data); episodes open on it count as open.  The
    #: plausibility check of dates uses it as "today", so reruns give the same result.
    export_date: str | None = None

    def label_uses(self) -> list[tuple[str, str]]:
        """(params key, column) of every column these params turn into report labels or fields."""
        uses = [(f"analysis.groups.{i}", g) for i, g in enumerate(self.analysis.groups)]
        if self.stagnation_list.show_therapist:
            uses.append(("stagnation_list.show_therapist", "therapist"))
        return uses

    @model_validator(mode="after")
    def _labels_coded(self) -> _ReportParams:
        """No free text becomes a label: each column in :meth:`label_uses` needs a code list; the
        selection names codes of its column (after coding, data hold only declared codes)."""
        codes = self.data.code_lists()
        require_codes(self.label_uses(), codes)
        problems = []
        for key, col in (("care_types", "care_type"), ("diagnoses", "diagnosis")):
            cl = codes.get(col)
            for i, v in enumerate(getattr(self.selection, key) or []):
                if cl is not None and v not in cl.codes:
                    close = difflib.get_close_matches(str(v).lower(), [str(c).lower() for c in cl.codes], n=1)
                    problems.append(f"selection.{key}.{i}: {v!r} is not a code of {col}; its codes: "
                                    f"{', '.join(cl.codes)} (declare codes under data.codes.{col})"
                                    + (f". Did you mean '{close[0]}'?" if close else ""))
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @model_validator(mode="after")
    def _export_date(self) -> _ReportParams:
        if self.export_date is not None:
            fmt = self.data.episodes.date_format
            try:
                datetime.strptime(self.export_date, fmt)
            except ValueError:
                raise ValueError(f"export_date: {self.export_date!r} is not a date in the format {fmt!r} "
                                 "(data.episodes.date_format)") from None
        return self


class EffectStudyParams(_ReportParams):
    """``notebooks/effect_study.ipynb``: the recurring effect study with the university partners."""

    #: ``effect_study``
    report: Literal["effect_study"]


class YearlySummaryParams(_ReportParams):
    """``notebooks/yearly_summary.ipynb``: the public effectiveness summary of one year."""

    #: ``yearly_summary``
    report: Literal["yearly_summary"]
    #: the report year: episodes that ended in this calendar year
    year: int = Field(ge=2000, le=2100)
    #: earlier runs' ``results.json`` files (the trend over the years); missing files are errors
    history: list[Path] = Field(default_factory=list)

    @field_validator("history", mode="before")
    @classmethod
    def _hist(cls, v: Any) -> Any:
        return [Path(x) if isinstance(x, str) else x for x in v] if isinstance(v, list) else v


class StudentParams(_ReportParams):
    """``notebooks/student_analysis.ipynb``: a student's own question."""

    #: ``student_analysis``
    report: Literal["student_analysis"]
    #: the research question, printed at the top of the report: one text, or ``{nl: ..., en: ...}``
    question: LangText = ""
    #: the outcome scale (default: the first of analysis.scales)
    outcome: str | None = None
    #: the episode column that defines the groups compared
    group: str = "diagnosis"
    #: further episode columns adjusted for in the ANCOVA (numeric or categorical)
    covariates: list[str] = Field(default_factory=list)
    #: significance level of the tests and of the gate before pairwise comparisons (APA: .05)
    alpha: float = Field(0.05, gt=0, lt=1)

    @field_validator("question")
    @classmethod
    def _question_languages(cls, v: Any) -> Any:
        return _both_languages(v)

    def label_uses(self) -> list[tuple[str, str]]:
        """The groups, the compared ``group`` and the covariates (a text covariate becomes a label)."""
        return [*super().label_uses(), ("group", self.group),
                *((f"covariates.{i}", c) for i, c in enumerate(self.covariates))]


class ExploreParams(_ReportParams):
    """``notebooks/explore.ipynb``: a researcher's starting point."""

    #: ``explore``
    report: Literal["explore"]


REPORT_MODELS: dict[str, type[Params]] = {
    "effect_study": EffectStudyParams,
    "yearly_summary": YearlySummaryParams,
    "student_analysis": StudentParams,
    "explore": ExploreParams,
    "validate": Params,
}


#: pydantic's name of one member of a union (``literal['a','b']``, ``float``, ``function-after[...]``)
_UNION_TAG = re.compile(r"^(?:[a-z-]+\[.*\]|str|int|float|bool|none|list|dict|tuple|is-instance\[.*\])$")
#: what a pydantic type error means, in plain words
_EXPECTS = {
    "list_type": "expects a list in square brackets",
    "tuple_type": "expects two values in square brackets, [from, to]",
    "dict_type": "expects a section: keys on the lines below it, indented with spaces",
    "model_type": "expects a section: keys on the lines below it, indented with spaces",
    "model_attributes_type": "expects a section: keys on the lines below it, indented with spaces",
    "bool_type": "expected true or false",
    "string_type": "expects text",
    "int_type": "expects a whole number",
    "float_type": "expects a number",
    "path_type": "expects a file path",
}
_BOUNDS = {"greater_than": "more than {gt}", "greater_than_equal": "at least {ge}", "less_than": "less than {lt}",
           "less_than_equal": "at most {le}"}


def _submodel(ann: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation (``X``, ``X | None``), else ``None``."""
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for a in typing.get_args(ann):
        m = _submodel(a)
        if m is not None:
            return m
    return None


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    cur: type[BaseModel] | None = model
    for part in loc:
        if cur is None or part not in cur.model_fields:
            return None
        cur = _submodel(cur.model_fields[part].annotation)
    return cur


def _keys_of(model: type[BaseModel], prefix: str = "") -> dict[str, list[str]]:
    """Every key a params file may hold, by its last name: ``{'groups': ['analysis.groups'], ...}``."""
    out: dict[str, list[str]] = {}
    for name, f in model.model_fields.items():
        if name == "source_file":
            continue
        out.setdefault(name, []).append(prefix + name)
        sub = _submodel(f.annotation)
        if sub is not None:
            for k, v in _keys_of(sub, f"{prefix}{name}.").items():
                out.setdefault(k, []).extend(v)
    return out


def _shown(v: Any) -> str:
    """A value as the student wrote it (YAML-like: no Python quotes around lists of text)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):  # as YAML shows it: [care_type, diagnosis]
        return "[" + ", ".join(x if isinstance(x, str) and re.fullmatch(r"[\w.-]+", x) else _shown(x) for x in v) + "]"
    return repr(v) if isinstance(v, str) else str(v)


def _unknown_key(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """``unknown key``, with the nearest key of the same section and where a key of that name belongs."""
    name = str(loc[-1])
    here = _model_at(model, loc[:-1])
    valid = [k for k in (here.model_fields if here else ()) if k != "source_file"]
    close = difflib.get_close_matches(name.lower(), valid, n=1, cutoff=0.6)
    homes = [h for h in _keys_of(model).get(name.lower(), []) if h != ".".join(map(str, loc))]
    msg = "unknown key"
    if close and close[0] != name:
        msg += f". Did you mean '{close[0]}'?"
    if homes:
        msg += f" ({name} belongs under {' or '.join(h.rsplit('.', 1)[0] if '.' in h else 'the top level' for h in homes)}: " \
               f"write it as {' or '.join(homes)})"
    elif not close and valid:
        msg += f"; the keys here are: {', '.join(valid)}"
    return msg


def _choices(errs: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The allowed words of the literal members, and the other kinds (``a number``) of a union."""
    words: list[str] = []
    kinds: list[str] = []
    for e in errs:
        if e["type"] == "literal_error":
            words += [w.encode().decode("unicode_escape") for w in re.findall(r"'((?:[^'\\]|\\.)*)'",
                                                                               str(e.get("ctx", {}).get("expected", "")))]
        elif e["type"] in ("float_type", "int_type"):
            kinds.append("a number" if e["type"] == "float_type" else "a whole number")
        elif e["type"] in _EXPECTS:
            kinds.append(_EXPECTS[e["type"]].removeprefix("expects "))
    return words, kinds


def _one_message(errs: list[dict[str, Any]], model: type[BaseModel], key: str) -> str:
    """Plain words for the errors of one key (several when the key accepts alternatives)."""
    err = errs[0]
    got = err.get("input")
    kind = err["type"]
    if isinstance(got, str) and DECIMAL_COMMA.match(got) and any(
            e["type"] in ("float_type", "int_type", "literal_error") for e in errs):
        return f"{got} has a decimal comma; write {got.replace(',', '.')} (with a point)"
    if kind == "extra_forbidden":
        return _unknown_key(model, tuple(err["loc"]))
    if kind == "missing":
        return f"missing: this key is required (add {key.rsplit('.', 1)[-1]}: to the params file)"
    if kind == "literal_error" or len(errs) > 1:
        words, kinds = _choices(errs)
        if not words:
            return f"expects {' or '.join(dict.fromkeys(kinds))} (got {_shown(got)})"
        allowed = ", ".join(w if re.fullmatch(r"[\w.-]+", w) else repr(w) for w in words)
        msg = f"{_shown(got)} is not one of: {allowed}"
        if kinds:
            msg += f" (or {' or '.join(dict.fromkeys(kinds))})"
        low = {w.lower(): w for w in words}
        close = difflib.get_close_matches(str(got).lower(), list(low), n=1, cutoff=0.6) if isinstance(got, str) else []
        return msg + (f". Did you mean '{low[close[0]]}'?" if close else "")
    if kind == "string_type" and isinstance(got, (int, float, bool)):
        return f"expected text; put the value in quotes (YAML read it as a number or boolean) (got {_shown(got)})"
    if kind == "string_type" and isinstance(got, list):
        return f"expects one value, not a list: write {key.rsplit('.', 1)[-1]}: {got[0] if got else '...'} (got {_shown(got)})"
    if kind == "list_type" and isinstance(got, (str, int, float)):
        return f"expects a list in square brackets: write {key.rsplit('.', 1)[-1]}: [{got}] (got {_shown(got)})"
    if kind in ("int_type", "float_type") and isinstance(got, str):
        zero = " without leading zeros" if got[:1] == "0" and len(got) > 1 and got[1:2].isdigit() else ""
        quoted = "; leave out the quotes" if not zero and re.fullmatch(r"-?[0-9]+(?:\.[0-9]+)?", got) else ""
        return f"expected a number{zero}{quoted} (got {_shown(got)})"
    if kind == "int_from_float" or (kind == "int_type" and isinstance(got, float)):
        return f"expects a whole number (got {_shown(got)})"
    if kind in ("model_type", "dict_type", "model_attributes_type") and isinstance(got, str):
        sub = _model_at(model, tuple(p for p in err["loc"] if not (isinstance(p, str) and _UNION_TAG.match(p))))
        if sub is not None and "path" in sub.model_fields:
            return f"expects a section with the file's settings: write {key.rsplit('.', 1)[-1]}: {{path: {got}}} (got {_shown(got)})"
    if kind in _BOUNDS:
        bound = {k: f"{v:g}" if isinstance(v, float) else v for k, v in err.get("ctx", {}).items()}
        pct = _percent_hint(got) if err.get("ctx", {}).get("lt") == 1 else ""
        return f"must be {_BOUNDS[kind].format(**bound)}{pct} (got {_shown(got)})"
    if kind == "too_short":
        return f"must list at least {err.get('ctx', {}).get('min_length', 1)} value (got {_shown(got)})"
    if kind in _EXPECTS:
        return f"{_EXPECTS[kind]} (got {_shown(got)})"
    msg = re.sub(r"^Input should be (?:a valid )?", "expects ", err["msg"])
    return f"{msg} (got {_shown(got)})"


def _own_key(message: str, source: str, lines: dict[tuple[str | int, ...], int]) -> str:
    """``file:line: key: ...`` for a message that starts with its own dotted key."""
    m = re.match(r"([A-Za-z_][\w]*(?:\.[\w]+)*):", message)
    path = tuple(int(p) if p.isdigit() else p for p in m.group(1).split(".")) if m else ()
    line = line_of(lines, path)
    return f"{source}:{line}: {message}" if line else f"{source}: {message}"


def _format_pydantic(exc: ValidationError, source: str, model: type[BaseModel] | None = None,
                     lines: dict[tuple[str | int, ...], int] | None = None) -> str:
    """One line per offending key: ``file:line: key: what is wrong (got value)``, in plain words.

    The key is named as written in the params file (union members such as
    ``literal['registry','sample']`` are left out of it); a misspelt word or key gets the nearest
    allowed one ("Did you mean 'sample'?").
    """
    lines = lines or {}
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and _UNION_TAG.match(p)))
        groups.setdefault(loc, []).append(err)
    out = []
    for loc, errs in groups.items():
        key = ".".join(str(p) for p in loc) or "<top>"
        line = line_of(lines, loc)
        where = f"{source}:{line}" if line else source
        if errs[0]["type"] == "value_error":
            msg = errs[0]["msg"].removeprefix("Value error, ")
            if key == "<top>" or msg.startswith(key):  # the message names its own keys
                out.append("\n".join(_own_key(m, source, lines) for m in msg.splitlines()))
                continue
            got = errs[0].get("input")
            out.append(f"{where}: {key}: {msg}" + ("" if "(got " in msg or _shown(got) in msg else f" (got {_shown(got)})"))
            continue
        out.append(f"{where}: {key}: {_one_message(errs, model or Params, key)}")
    return "\n".join(out)


_PATH_KEYS = frozenset({"path", "instrument_file", "temp_directory"})
_PATH_LIST_KEYS = frozenset({"history"})


def _resolve_paths(obj: Any, base: Path) -> Any:
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k in _PATH_KEYS and isinstance(v, str) and not Path(v).is_absolute():
                out[k] = str((base / v).resolve())
            elif k == "criteria" and isinstance(v, dict) and isinstance(v.get("from"), str) \
                    and not Path(v["from"]).is_absolute():
                out[k] = {**v, "from": str((base / v["from"]).resolve())}
            elif k in _PATH_LIST_KEYS and isinstance(v, list):
                out[k] = [str((base / x).resolve()) if isinstance(x, str) and not Path(x).is_absolute() else x
                          for x in v]
            else:
                out[k] = _resolve_paths(v, base)
        return out
    if isinstance(obj, list):
        return [_resolve_paths(v, base) for v in obj]
    return obj


def load_params(path: str | Path, overrides: dict[str, Any] | None = None, model: type[StrictModel] | None = None) -> Any:
    """Read and validate a params YAML file.

    Parameters
    ----------
    path : str or Path
        The YAML file.
    overrides : dict, optional
        Dotted keys and values applied on top of the file (``{"data.episodes.sep": ";"}``).
    model : type, optional
        The pydantic model to validate into; default :class:`Params`.

    Raises
    ------
    ParamsError
        Naming every offending key with the value received and what was expected.
    """
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"params file {str(path)!r} does not exist")
    text = path.read_text(encoding="utf-8")
    raw = parse_yaml(text, source=str(path))
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping of keys at the top level, got {type(raw).__name__}")
    for dotted, value in (overrides or {}).items():
        node = raw
        keys = dotted.split(".")
        for k in keys[:-1]:
            node = node.setdefault(k, {})
            if not isinstance(node, dict):
                raise ParamsError(f"override {dotted!r}: {k!r} is not a mapping")
        node[keys[-1]] = value
    raw = _resolve_paths(raw, path.parent)
    raw["source_file"] = str(path.resolve())
    model = model or Params
    try:
        return model(**raw)
    except ValidationError as exc:
        over = [tuple(k.split(".")) for k in overrides or {}]  # a value given with -p has no line in the file
        lines = {k: n for k, n in key_lines(text).items() if not any(k[:len(o)] == o for o in over)}
        raise ParamsError(_format_pydantic(exc, str(path), model, lines)) from None


def _missing_file(params_file: Path, key: tuple[str | int, ...], file: Path, raw: Any, lines: dict) -> str:
    """``file:line: key: file '...' does not exist`` with what to do: forward slashes, paths relative
    to the params file's folder (and the path to write when the file is there from the current folder)."""
    written: Any = raw
    for k in key:
        written = written.get(k) if isinstance(written, dict) else (
            written[k] if isinstance(written, list) and isinstance(k, int) and k < len(written) else None)
    line = lines.get(key)
    where = f"{params_file}:{line}" if line else str(params_file)
    msg = f"{where}: {'.'.join(map(str, key))}: file {str(file)!r} does not exist"
    folder = params_file.resolve().parent
    if not isinstance(written, str):  # an override or a value not in the file
        return msg
    if "\\" in written:
        return msg + (f"; write / instead of \\ in paths: {written.replace(chr(92), '/')!r} "
                      "(params files use / on every computer)")
    if not Path(written).is_absolute() and (Path.cwd() / written).is_file():
        better = Path(os.path.relpath(Path.cwd() / written, folder)).as_posix()
        return msg + (f"; {written!r} counts from the folder of the params file ({display_path(folder)}), "
                      f"not from the current folder: write {better!r}")
    return msg + f" (a relative path counts from the folder of the params file, {display_path(folder)})"


def load_report_params(path: str | Path, overrides: dict[str, Any] | None = None) -> Params:
    """Read a params file and validate it with the schema of its ``report:`` type.

    Besides the checks of :func:`load_params`, every path in ``data``, ``instrument_file``
    and ``history`` must name an existing file.

    >>> import textwrap, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for f in ("e.csv", "m.csv"):
    ...     _ = (d / f).write_text("x")
    >>> _ = (d / "p.yaml").write_text(textwrap.dedent('''
    ...     report: effect_study
    ...     data:
    ...       episodes: {path: e.csv}
    ...       measurements: {path: m.csv}
    ...     analysis:
    ...       pre_window: [14, -30]
    ... '''))
    >>> load_report_params(d / "p.yaml")
    Traceback (most recent call last):
    ...
    effectstudy.core.errors.ParamsError: .../p.yaml:7: analysis.pre_window: impossible window [14, -30]: from must not be after to
    """
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"params file {str(path)!r} does not exist")
    text = path.read_text(encoding="utf-8")
    raw = parse_yaml(text, source=str(path))
    report = raw.get("report") if isinstance(raw, dict) else None
    if report not in REPORT_MODELS:
        line = key_lines(text).get(("report",))
        close = difflib.get_close_matches(str(report), list(REPORT_MODELS), n=1, cutoff=0.6)
        other = sorted({"store", "export"} & set(raw)) if isinstance(raw, dict) else []
        if report is None and other:
            raise ParamsError(f"{path}: report: missing; this file has {' and '.join(other)}: and no report:, so it "
                              "is a params file for `effectstudy import` / `effectstudy export`, not for a report")
        what = ("missing: write the report these settings are for" if report is None
                else f"{_shown(report)} is not one of: {', '.join(sorted(REPORT_MODELS))}")
        raise ParamsError(f"{path}{f':{line}' if line else ''}: report: {what}"
                          + (f". Did you mean '{close[0]}'?" if close else
                             f" (one of: {', '.join(sorted(REPORT_MODELS))})" if report is None else ""))
    params = load_params(path, overrides, model=REPORT_MODELS[report])
    files: list[tuple[tuple[str | int, ...], Path]] = []
    for table in ("episodes", "measurements", "satisfaction"):
        spec = getattr(params.data, table)
        if spec is not None:
            files.append((("data", table, "path"), spec.path))
    analysis = getattr(params, "analysis", None)
    if analysis is not None and analysis.instrument_file is not None:
        files.append((("analysis", "instrument_file"), analysis.instrument_file))
    if analysis is not None and analysis.reliable_change.criteria is not None:
        files.append((("analysis", "reliable_change", "criteria", "from"), analysis.reliable_change.criteria.from_))
    for i, h in enumerate(getattr(params, "history", [])):
        files.append((("history", i), h))
    lines = key_lines(text)
    missing = [_missing_file(path, key, f, raw, lines) for key, f in files if not _exists(params, key, Path(f))]
    if missing:
        raise ParamsError("\n".join(missing))
    return params


def _exists(params: Any, key: tuple[str | int, ...], f: Path) -> bool:
    """The file is there; with ``engine: duckdb`` the measurements may be a folder or a glob with matches."""
    if f.is_file():
        return True
    if key != ("data", "measurements", "path") or getattr(params.data, "engine", "pandas") != "duckdb":
        return False
    if any(c in str(f) for c in "*?["):
        return any(Path(g).is_file() for g in glob.iglob(str(f), recursive=True))
    return f.is_dir()
