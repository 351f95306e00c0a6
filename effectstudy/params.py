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

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from effectstudy.errors import ParamsError

__all__ = ["FileSpec", "DataSpec", "Params", "load_params", "parse_yaml", "StrictModel"]


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
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ParamsError(f"{source}: not valid YAML: {exc}") from None


# ----------------------------------------------------------------------------------- models
class StrictModel(BaseModel):
    """Frozen, strict pydantic model: unknown keys and type coercions are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


CANONICAL_DATE_DEFAULT = "%d-%m-%Y"


class FileSpec(StrictModel):
    """One input file and how to read it."""

    path: Path
    #: csv, xlsx, sav or parquet; taken from the file extension when not given
    format: Literal["csv", "xlsx", "sav", "parquet"] | None = None
    #: CSV field separator; ``None`` means: detect among ';' and ',' (an ambiguous header is an error)
    sep: Literal[";", ",", "\t", "|"] | None = None
    #: decimal separator of numbers in CSV text
    decimal: Literal[".", ","] = ","
    encoding: str = "utf-8"
    #: strftime format of dates in text files (Dutch default day-first)
    date_format: str = CANONICAL_DATE_DEFAULT
    #: Excel sheet name or 0-based index
    sheet: str | int = 0
    #: export column name -> canonical column name
    columns: dict[str, str] = Field(default_factory=dict)

    @field_validator("path", mode="before")
    @classmethod
    def _path(cls, v: Any) -> Any:
        if isinstance(v, str):
            return Path(v)
        return v


class DataSpec(StrictModel):
    """The input tables of a run."""

    episodes: FileSpec
    measurements: FileSpec
    satisfaction: FileSpec | None = None


class Params(StrictModel):
    """Validated parameters of one run.

    Report-specific sections are added by the report modules; the ``data`` section
    is shared by every report type.
    """

    report: Literal["effect_study", "yearly_summary", "student_analysis", "explore", "validate"]
    title: str = ""
    language: Literal["nl", "en"] = "nl"
    data: DataSpec
    source_file: Path | None = None

    @field_validator("source_file", mode="before")
    @classmethod
    def _source(cls, v: Any) -> Any:
        return Path(v) if isinstance(v, str) else v


def _format_pydantic(exc: ValidationError, source: str) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "<top>"
        got = err.get("input")
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "string_type" and isinstance(got, (int, float, bool)):
            msg = "expected text; put the value in quotes (YAML read it as a number or boolean)"
        elif err["type"] == "bool_type" and isinstance(got, str):
            msg = "expected true or false"
        elif err["type"] in ("int_type", "float_type") and isinstance(got, str):
            msg = f"expected a number{' without leading zeros' if got[:1] == '0' and len(got) > 1 else ''}"
        lines.append(f"{source}: {key}: {msg} (got {got!r})")
    return "\n".join(lines)


def _resolve_paths(obj: Any, base: Path) -> Any:
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k == "path" and isinstance(v, str) and not Path(v).is_absolute():
                out[k] = str((base / v).resolve())
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
    raw = parse_yaml(path.read_text(encoding="utf-8"), source=str(path))
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
        raise ParamsError(_format_pydantic(exc, str(path))) from None
