"""Show results in a report notebook and record every shown number for ``results.json``.

A report notebook creates one :class:`ReportOutput` and passes everything it shows through
it.  Each item gets a unique key; the object is displayed in the notebook (and so in the HTML
report) and recorded:

============================  ===========================================================
shown object                  recorded as
============================  ===========================================================
Result (``es.reliable_change`` ...)  ``results[key] = obj.to_dict()``, ``tables/<key>.csv`` of
                              ``obj.summary()``
DataFrame / Series / Styler   ``results[key]`` = list of records, ``tables/<key>.csv``
matplotlib Axes / Figure      ``figures/<key>.png`` (fixed dpi, no timestamps),
                              ``results[key] = {"figure": "figures/<key>.png"}``
number, text, dict, list      ``results[key]`` (JSON-safe)
provenance (``es.provenance``)  ``provenance.json`` (it holds the run date, so it is kept out
                              of ``results.json``)
============================  ===========================================================

**Tables as a report shows them**: numbered per report with a title in the report's
language (``Tabel 3. <title>`` / ``Table 3. <title>`` in the table's ``<caption>``; the title
is the ``caption=`` given, else the ``table.<key>`` label registered for the key, else the
result's title; figures are counted apart, :meth:`ReportOutput.numbered`), numbers through
:func:`effectstudy.core.formatting.frame` (shares as percentages, whole df and counts without
decimals, APA p-values), headers and coded cells through the label table, ``<th
scope="col">`` headers, the result's method and counts as notes below.  A table wider than
the printed page (:data:`PAGE_WIDTH_MM` at 8 pt) is split into parts that repeat its key
columns (a result's ``display_parts`` name them; otherwise they are filled evenly), and a
single wide row is shown as a column of figures (:func:`split_columns`, :func:`transposed`):
the display only, ``results.json`` and ``tables/<key>.csv`` keep the whole table.

:meth:`ReportOutput.save` writes ``results.json`` (sorted keys, no timestamps, no absolute
paths: two runs on the same data and params give byte-identical files), ``tables.xlsx`` (one
sheet per table, fixed workbook dates and zip timestamps, so also byte-identical) and
``provenance.json``.

>>> import pathlib, tempfile, pandas as pd
>>> out = ReportOutput(tempfile.mkdtemp(), display=False)
>>> out.show("n_episodes", 400)
>>> out.show("per_group", pd.DataFrame({"group": ["a", "b"], "n": [3, 4]}))
>>> out.show("n_episodes", 401)
Traceback (most recent call last):
...
effectstudy.core.errors.ArgumentError: key: got 'n_episodes', expected a key not shown before in this report (each shown item needs its own key; pass replace=True to show it again)
>>> path = out.save()
>>> print(path.read_text())
{
  "n_episodes": 400,
  "per_group": [
    {
      "group": "a",
      "n": 3
    },
    {
      "group": "b",
      "n": 4
    }
  ]
}
<BLANKLINE>
>>> sorted(p.name for p in path.parent.rglob("*"))
['per_group.csv', 'provenance.json', 'results.json', 'tables', 'tables.xlsx']

**Public reports** (``public=True``; by default for the report types in
:data:`PUBLIC_REPORTS`, the yearly summary): the output folder holds only what is
published.  A shown result is recorded with its ``to_dict()`` (published values only) and
its table is ``public_table()`` when it has one (hidden cells ``"x"``, counts whole, statistics
at publication precision); a missing value in any public table is written as ``"x"``.  What a
result keeps for the practice itself (``internal_dict()``: disclosure reasons and audits) and
what :meth:`ReportOutput.internal` records (the unrounded key figures) go to the internal
folder (:func:`internal_dir`: ``reports/internal/<report>/<run>/``, never inside the public
one) with a ``README.txt`` saying "intern: niet publiceren".

>>> d = pathlib.Path(tempfile.mkdtemp())
>>> out = ReportOutput(d / "reports" / "yearly_summary" / "demo", display=False, public=True)
>>> out.internal("unrounded", {"mean_grade": 7.826086956521739})
>>> out.show("mean_grade", 7.8)
>>> _ = out.save()
>>> sorted(p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file())  # doctest: +NORMALIZE_WHITESPACE
['reports/internal/yearly_summary/demo/README.txt',
 'reports/internal/yearly_summary/demo/results.json',
 'reports/yearly_summary/demo/provenance.json', 'reports/yearly_summary/demo/results.json']
"""

from __future__ import annotations

import base64
import html as _html
import io
import json
import math
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from effectstudy.core.errors import ArgumentError, ArgumentTypeError
from effectstudy.core.files import atomic_write_bytes, find_repo_root
from effectstudy.core.formatting import DEFAULT_LANG, DIGITS, check_lang, frame, number
from effectstudy.core.jsonable import jsonable
from effectstudy.core.labels import label, register, table_title
from effectstudy.core.params import parse_yaml
from effectstudy.core.results import Result, cell_text, table_html, translate_frame
from effectstudy.reports.provenance import Provenance, provenance, provenance_html

__all__ = [
    "ReportOutput",
    "SavedFile",
    "default_output_dir",
    "dumps_stable",
    "write_xlsx",
    "write_file",
    "RESULTS_FILE",
    "PROVENANCE_FILE",
    "TABLES_FILE",
    "PUBLIC_REPORTS",
    "HIDDEN_SYMBOL",
    "INTERNAL_README",
    "internal_dir",
    "is_public_report",
    "split_columns",
    "transposed",
    "PAGE_WIDTH_MM",
]

#: report types whose output folder is published as a whole (only published values in it)
PUBLIC_REPORTS = frozenset({"yearly_summary"})
#: the one symbol of a value not published (the disclosure control's, CBS "x = geheim")
HIDDEN_SYMBOL = "x"
INTERNAL_README = "README.txt"
_INTERNAL_TEXT = (
    "intern: niet publiceren\n\n"
    "Deze map hoort bij het openbare rapport in {public}. Ze bevat wat niet gepubliceerd\n"
    "mag worden: het uitgevoerde notebook, de niet-afgeronde kengetallen en de controle op\n"
    "onthulling (redenen en intervallen per afgeschermde cel). Publiceer alleen de openbare map.\n\n"
    "internal: do not publish. The published report is the folder named above.\n"
)
RESULTS_FILE = "results.json"
PROVENANCE_FILE = "provenance.json"
TABLES_FILE = "tables.xlsx"

#: keys become file names: letters, digits, ``_``, ``-`` and ``.`` (not first)
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
#: fixed time stamp written into the xlsx (workbook properties and zip entries)
_FIXED_XLSX_TIME = (1980, 1, 1, 0, 0, 0)
_FIXED_XLSX_ISO = "1980-01-01T00:00:00Z"

register({
    "figure_number": {"nl": "Figuur", "en": "Figure"},
    "table_number": {"nl": "Tabel", "en": "Table"},
    "table_part": {"nl": "deel {i} van {k}", "en": "part {i} of {k}"},
    "quantity": {"nl": "Kengetal", "en": "Statistic"},
    # the parts of a wide table split for the page (Result.display_parts)
    "part_estimate": {"nl": "schatting en betrouwbaarheidsinterval", "en": "estimate and confidence interval"},
    "part_descriptives": {"nl": "gemiddelden en SD voor en na", "en": "means and SDs pre and post"},
    "part_tests": {"nl": "toetsen", "en": "tests"},
    "part_rate": {"nl": "percentage gestagneerd", "en": "share stagnated"},
    "part_progress": {"nl": "vooruitgang en verbetering", "en": "progress and improvement"},
})

#: titles of the tables the report notebooks show under these keys (``table.<key>``): a table
#: without a result title of its own gets this one, a result shown twice gets the more specific one
register({f"table.{k}": v for k, v in {
    "flow": {"nl": "Gegevensstroom: trajecten en cliënten per stap",
             "en": "Data flow: episodes and clients per step"},
    "validation": {"nl": "Controle van de invoerbestanden", "en": "Validation of the input files"},
    "itt_categories": {"nl": "Categorieën van verandering per methode voor ontbrekende nametingen",
                       "en": "Categories of change per method for missing post-tests"},
    "stagnation_followup_categories": {"nl": "Uitkomstcategorieën na stagnatie",
                                       "en": "Outcome categories after stagnation"},
    "not_on_track_accuracy": {"nl": "Accuratesse van het signaal niet op koers (praktijkregel)",
                              "en": "Accuracy of the not-on-track signal (practice rule)"},
    "not_on_track_accuracy_model": {"nl": "Accuratesse van het signaal niet op koers (model)",
                                    "en": "Accuracy of the not-on-track signal (model)"},
    "end_reasons": {"nl": "Redenen van beëindiging", "en": "Reasons for ending"},
    "length_vs_outcome": {"nl": "Behandelduur en uitkomst (Spearman-correlatie)",
                          "en": "Treatment length and outcome (Spearman correlation)"},
    "outcome_by_length": {"nl": "Uitkomst per aantal sessies", "en": "Outcome by number of sessions"},
    "grades": {"nl": "Verdeling van de rapportcijfers", "en": "Distribution of the grades"},
    "ancova_table": {"nl": "ANCOVA: nameting op voormeting en groep",
                     "en": "ANCOVA: post-test on pre-test and group"},
    "adjusted_means": {"nl": "Gecorrigeerde gemiddelden per groep", "en": "Adjusted means per group"},
    "contrasts": {"nl": "Paarsgewijze vergelijkingen", "en": "Pairwise comparisons"},
    "assumptions": {"nl": "Controle van de assumpties", "en": "Assumption checks"},
    "pairing": {"nl": "Koppeling voor- en nameting", "en": "Pre/post pairing"},
    "descriptives": {"nl": "Beschrijvende statistieken per groep", "en": "Descriptive statistics per group"},
}.items()})

#: the printed page: A4 less the margins (178 mm), tables in 8 pt type
PAGE_WIDTH_MM = 178.0
#: width of one character of 8 pt type (sans-serif, average of digits and lower case) and
#: the padding and rule of one cell, in mm
_CHAR_MM = 1.65
_CELL_MM = 2.8
#: a text column wraps at this width (words), numbers never wrap
_WRAP_MM = 55.0


def _file_mode() -> int:
    """Permissions of a new ordinary file under the current umask (mkstemp would give 0600)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_file(path: str | Path, data: bytes) -> Path:
    """Write ``data`` atomically (temp file, fsync, rename) with the usual file permissions."""
    atomic_write_bytes(path, data, mode=_file_mode())
    return Path(path)


# ----------------------------------------------------------------------------------- paths


def default_output_dir(params_file: str | Path, notebook: str | Path | None = None) -> Path:
    """``<repo root>/reports/<report>/<run>/`` for a notebook run on ``params_file``.

    ``<report>`` is the notebook's file stem; ``<run>`` is the params file's stem.  The repo
    root is the folder holding ``pyproject.toml`` (or ``effectstudy.toml``, written by
    ``effectstudy init``) above the notebook (or above the params
    file when no notebook is given), else the current directory.  Without a notebook (a
    notebook cannot always know its own name, e.g. under plain papermill) ``<report>`` is the
    params file's ``report:`` value.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "pyproject.toml").touch(); (d / "notebooks").mkdir(); (d / "params").mkdir()
    >>> p = default_output_dir(d / "params" / "ci.yaml", d / "notebooks" / "effect_study.ipynb")
    >>> p.relative_to(d).as_posix()
    'reports/effect_study/ci'
    """
    params_file = Path(params_file)
    if notebook is not None:
        report = Path(notebook).stem
        root = find_repo_root(Path(notebook).resolve().parent)
    else:
        report = _report_name(params_file)
        root = find_repo_root(params_file.resolve().parent)
    return root / "reports" / report / params_file.stem


def internal_dir(output_dir: str | Path) -> Path:
    """The internal folder of a public run: never inside the public one, named as such.

    ``<root>/reports/<report>/<run>`` -> ``<root>/reports/internal/<report>/<run>``; any other
    folder ``<parent>/<run>`` -> ``<parent>/<run>-internal``.

    >>> internal_dir("/p/reports/yearly_summary/demo-2024").as_posix()
    '/p/reports/internal/yearly_summary/demo-2024'
    >>> internal_dir("/tmp/out").as_posix()
    '/tmp/out-internal'
    """
    out = Path(output_dir)
    if out.parent.parent.name == "reports" and out.parent.name != "internal":
        return out.parent.parent / "internal" / out.parent.name / out.name
    return out.parent / f"{out.name}-internal"


def is_public_report(params_file: str | Path | None) -> bool:
    """Whether the params file's ``report:`` type is published as a whole (:data:`PUBLIC_REPORTS`)."""
    if params_file is None or str(params_file) == "":
        return False
    return _report_name(Path(params_file)) in PUBLIC_REPORTS


def _report_name(params_file: Path) -> str:
    try:
        raw = parse_yaml(params_file.read_text(encoding="utf-8"), source=str(params_file))
    except (OSError, ValueError):
        raw = None
    name = raw.get("report") if isinstance(raw, dict) else None
    return str(name) if isinstance(name, str) and name else "report"


def _notebook_from_session() -> Path | None:
    """The running notebook's path when the kernel knows it (JupyterLab sets it; papermill not)."""
    for name in ("JPY_SESSION_NAME",):
        value = os.environ.get(name)
        if value and value.endswith(".ipynb"):
            return Path(value)
    try:  # ipykernel >= 6.19 under jupyter_server: __session__ in the user namespace
        from IPython import get_ipython

        ip = get_ipython()
        value = ip.user_ns.get("__session__") if ip is not None else None
    except ImportError:  # pragma: no cover - IPython is a dependency of the notebook extra
        value = None
    if isinstance(value, str) and value.endswith(".ipynb"):
        return Path(value)
    return None


# ----------------------------------------------------------------------------------- JSON
def dumps_stable(obj: Any) -> str:
    """JSON text that is identical for equal content: sorted keys, shortest float repr.

    NaN/inf become ``null``; numpy and pandas scalars become plain numbers.

    >>> dumps_stable({"b": 0.1 + 0.2, "a": float("nan")})
    '{\\n  "a": null,\\n  "b": 0.30000000000000004\\n}\\n'
    """
    return json.dumps(jsonable(obj), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _relativise(obj: Any, root: Path) -> Any:
    """Replace absolute paths under ``root`` (or the home folder) in strings by relative ones."""
    root_s = str(root).rstrip("/") + "/"
    home = str(Path.home()).rstrip("/") + "/"
    if isinstance(obj, str):
        if len(Path(root).parts) > 1 and root_s in obj:
            obj = obj.replace(root_s, "")
        if len(home) > 2 and home in obj:
            obj = obj.replace(home, "~/")
        return obj
    if isinstance(obj, dict):
        return {k: _relativise(v, root) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_relativise(v, root) for v in obj]
    return obj


# ----------------------------------------------------------------------------------- Excel
def _sheet_names(keys: list[str]) -> dict[str, str]:
    """Unique Excel sheet names of at most 31 characters for ``keys``."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for key in keys:
        name = key[:31]
        k = 1
        while name.lower() in used:
            suffix = f"~{k}"
            name = key[: 31 - len(suffix)] + suffix
            k += 1
        used.add(name.lower())
        names[key] = name
    return names


def write_xlsx(path: str | Path, tables: dict[str, pd.DataFrame], *, na_rep: str = "") -> Path:
    """Write ``tables`` to one workbook, a sheet per table, byte-identical for equal tables.

    openpyxl stamps the workbook's *created*/*modified* properties and every zip entry with
    the current time; both are replaced by a fixed date (1980-01-01) so that a rerun gives the
    same bytes.  Sheet names are the keys cut to Excel's 31 characters (made unique).

    >>> import tempfile, pathlib, hashlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> t = {"a_very_long_table_name_that_excel_would_refuse": pd.DataFrame({"x": [1.5]})}
    >>> h = [hashlib.sha256(write_xlsx(d / f"{i}.xlsx", t).read_bytes()).hexdigest() for i in (1, 2)]
    >>> with pd.ExcelFile(d / "1.xlsx") as book:
    ...     h[0] == h[1], book.sheet_names
    (True, ['a_very_long_table_name_that_exc'])
    """
    path = Path(path)
    buf = io.BytesIO()
    names = _sheet_names(list(tables))
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for key, df in tables.items():
            df.to_excel(writer, sheet_name=names[key], index=not isinstance(df.index, pd.RangeIndex),
                        na_rep=na_rep)
        props = writer.book.properties
        props.creator = "effectstudy"
        props.lastModifiedBy = "effectstudy"
    data = _fix_zip_times(buf.getvalue())
    write_file(path, data)
    return path


def _fix_zip_times(data: bytes) -> bytes:
    """Rewrite an xlsx zip with fixed entry times and fixed core-property dates."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = content.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    lambda m: f"{m.group(1)}{_FIXED_XLSX_ISO}{m.group(3)}",
                    text,
                )
                content = text.encode("utf-8")
            new = zipfile.ZipInfo(info.filename, date_time=_FIXED_XLSX_TIME)
            new.compress_type = zipfile.ZIP_DEFLATED
            new.external_attr = info.external_attr
            dst.writestr(new, content)
    return out.getvalue()


class SavedFile(type(Path())):  # type: ignore[misc]
    """The path :meth:`ReportOutput.save` returns; its repr is relative to the project folder.

    A notebook cell ending in ``out.save()`` echoes the returned path; a plain ``Path`` would
    put the absolute path (with the user's home folder) into the published report.  Outside
    the project folder only the output folder's name is shown.
    """

    def __repr__(self) -> str:
        root = find_repo_root(self.parent)
        try:
            shown = self.relative_to(root).as_posix()
        except ValueError:
            shown = f"{self.parent.name}/{self.name}"
        return f"{type(self).__name__}({shown!r})"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython's text/plain
        p.text(repr(self))


# ----------------------------------------------------------------------------------- output
class ReportOutput:
    """Collects what a report notebook shows, displays it, and writes the run's result files.

    Parameters
    ----------
    output_dir : str or Path
        The run's output folder (created if missing).  Under ``effectstudy run`` it is injected
        into the notebook's ``output_dir`` parameter.  Empty (``""``, the notebook default for
        plain papermill or JupyterLab) means ``reports/<report>/<run>/`` computed from
        ``params_file`` (see :func:`default_output_dir`); ``params_file`` is then required.
    lang : {"nl", "en"}
        Language of labels in displayed tables (``Result.format(lang=)``) and captions.
    params_file : str or Path, optional
        The params file of the run; only used when ``output_dir`` is empty.
    dpi : int
        Resolution of the saved figures (fixed, so reruns give the same PNG bytes).
    display : bool
        ``False`` records without displaying (scripts, tests).
    public : bool, optional
        A public report: the output folder gets only published values and the internal
        records go to :func:`internal_dir` (see the module docstring).  Default: ``True``
        when ``params_file``'s ``report:`` is in :data:`PUBLIC_REPORTS`.

    Notes
    -----
    :meth:`show` and :meth:`text` return ``None`` so that a notebook cell ending in them
    does not echo the object a second time.
    """

    def __init__(
        self,
        output_dir: str | Path,
        *,
        lang: str = DEFAULT_LANG,
        params_file: str | Path | None = None,
        dpi: int = 150,
        display: bool = True,
        public: bool | None = None,
    ) -> None:
        check_lang(lang)
        if public is not None and not isinstance(public, bool):
            raise ArgumentTypeError("public", public, "True, False or None (from the params file's report type)")
        if output_dir is None or str(output_dir) == "":
            if params_file is None or str(params_file) == "":
                raise ArgumentError(
                    "output_dir", output_dir,
                    "a folder, or an empty value together with params_file= (then the folder is "
                    "reports/<report>/<run>/ next to the project's pyproject.toml or effectstudy.toml)",
                )
            output_dir = default_output_dir(params_file, _notebook_from_session())
        self.output_dir = Path(output_dir).resolve()
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self.lang = lang
        self.dpi = int(dpi)
        self.display = bool(display)
        self.root = find_repo_root(self.output_dir)
        self.results: dict[str, Any] = {}
        self.tables: dict[str, pd.DataFrame] = {}
        self.figures: dict[str, Path] = {}
        self.provenance_record: dict[str, Any] | None = None
        self.public = is_public_report(params_file) if public is None else public
        self.internal_dir = internal_dir(self.output_dir) if self.public else None
        self.internal_results: dict[str, Any] = {}
        self.internal_tables: dict[str, pd.DataFrame] = {}
        self._counters: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"ReportOutput({self._rel(self.output_dir)!r}, lang={self.lang!r}, {len(self.results)} items)"

    # -- public --------------------------------------------------------------------------
    def show(self, key: str, obj: Any, *, caption: str | None = None, replace: bool = False) -> None:
        """Display ``obj`` in the notebook and record it under ``key``.

        Parameters
        ----------
        key : str
            Unique name of the item: letters, digits, ``_``, ``-`` and ``.``; it becomes the
            key in ``results.json`` and the file name of its table or figure.
        obj : Result, DataFrame, Series, Styler, Axes, Figure, number, str, dict or list
            What to show (see the module docstring for what is recorded).
        caption : str, optional
            Shown above a table or below a figure.
        replace : bool
            Allow showing a key again (re-running a cell in JupyterLab).

        Raises
        ------
        ArgumentError
            ``key`` was already shown (naming it) or is not a valid name.
        ArgumentTypeError
            ``obj`` is of a type that cannot be recorded.
        """
        self._claim(key, replace)
        if _is_provenance(obj):
            self._show_provenance(key, obj)
        elif isinstance(obj, Result):
            self._show_result(key, obj, caption)
        elif _is_styler(obj):
            self._show_table(key, obj.data, caption, html=obj.to_html())
        elif isinstance(obj, pd.Series):
            self._show_table(key, obj.to_frame(), caption)
        elif isinstance(obj, pd.DataFrame):
            self._show_table(key, obj, caption)
        elif _figure_of(obj) is not None:
            self._show_figure(key, _figure_of(obj), caption)
        elif obj is None or isinstance(obj, (str, int, float, bool)) or _is_number(obj):
            self._record(key, jsonable(obj))
            label = _html.escape(caption or key)
            self._display_html(f'<p class="es-value"><strong>{label}</strong>: {_html.escape(_fmt(obj, self.lang))}</p>', f"{key}: {obj}")
        elif isinstance(obj, (dict, list, tuple)):
            value = jsonable(obj)
            self._record(key, value)
            self._display_html(_value_html(value, caption), f"{key}: {value}")
        elif hasattr(obj, "to_dict") and callable(obj.to_dict):
            self._record(key, jsonable(obj.to_dict()))
            html = obj._repr_html_() if hasattr(obj, "_repr_html_") else f"<pre>{_html.escape(repr(obj))}</pre>"
            self._display_html(_captioned(html, caption), repr(obj))
        else:
            self.results.pop(key, None)
            raise ArgumentTypeError(
                "obj", obj,
                f"something ReportOutput can record for key {key!r}: a Result, DataFrame, Series, "
                "matplotlib Axes/Figure, number, text, dict or list",
            )

    def record(self, key: str, obj: Any, *, replace: bool = False) -> None:
        """Record ``obj`` under ``key`` exactly as :meth:`show` does, without displaying it.

        For a result whose numbers belong in ``results.json`` and the tables while the
        report shows them in another form (e.g. the APA tables of an ANCOVA).
        """
        shown, self.display = self.display, False
        try:
            self.show(key, obj, replace=replace)
        finally:
            self.display = shown

    def internal(self, key: str, obj: Any) -> None:
        """Record ``obj`` for the practice only: never displayed, never in the public folder.

        In a public report it goes to the internal folder's ``results.json`` (and its table to
        ``tables/<key>.csv`` there); in any other report it is recorded as :meth:`record` does.
        For the unrounded key figures behind a public summary.
        """
        if not self.public:
            self.record(key, obj, replace=True)
            return
        if not isinstance(key, str) or not _KEY.match(key):
            raise ArgumentError("key", key, "a name of letters, digits, '_', '-' or '.'")
        value = obj.to_dict() if hasattr(obj, "to_dict") and callable(obj.to_dict) else obj
        self.internal_results[key] = jsonable(value)
        table = obj.summary() if isinstance(obj, Result) else obj if isinstance(obj, pd.DataFrame) else None
        if table is not None:
            self.internal_tables[key] = table

    def text(self, key: str, markdown: str, *, replace: bool = False) -> None:
        """Display ``markdown`` (a sentence with numbers, a conclusion) and record its text.

        >>> import tempfile
        >>> out = ReportOutput(tempfile.mkdtemp(), display=False)
        >>> out.text("conclusion", "**62%** improved reliably.")
        >>> out.results["conclusion"]
        '**62%** improved reliably.'
        """
        if not isinstance(markdown, str):
            raise ArgumentTypeError("markdown", markdown, "text (Markdown)")
        self._claim(key, replace)
        self._record(key, markdown)
        if self.display:
            from IPython.display import Markdown, display

            display(Markdown(markdown))

    def provenance(self, params: Any, *, instruments: Any = None, **kwargs: Any) -> None:
        """Compute :func:`effectstudy.reports.provenance` for ``params``, show it and record it.

        The shown block lists input-file hashes, versions and the instrument keys (a
        provisional key as a warning line); it is written to ``provenance.json`` by
        :meth:`save`.
        """
        self.show("provenance", provenance(params, instruments=instruments, **kwargs), replace=True)

    def save(self) -> SavedFile:
        """Write ``results.json``, ``tables.xlsx`` and ``provenance.json``; return results.json's path.

        ``results.json`` and ``tables.xlsx`` are byte-identical across reruns on the same data
        and params (sorted keys, no timestamps, paths relative to the project folder).
        ``provenance.json`` holds the run date; if the notebook did not show a provenance
        block, a minimal one (versions, git commit, date) is written.
        """
        path = self._write_json(self.output_dir / RESULTS_FILE, self.results)
        xlsx = self.output_dir / TABLES_FILE
        if self.tables:
            write_xlsx(xlsx, self.tables, na_rep=self._na_rep)
        elif xlsx.exists():
            xlsx.unlink()
        prov = self.provenance_record
        if prov is None:
            prov = dict(provenance(None, root=self.root))
        self._write_json(self.output_dir / PROVENANCE_FILE, dict(prov))
        if self.public:
            self._save_internal()
        return SavedFile(path)

    def _save_internal(self) -> None:
        """The internal folder of a public report: results.json, tables/*.csv, README.txt."""
        folder = self.internal_dir
        folder.mkdir(parents=True, exist_ok=True)
        self._write_json(folder / RESULTS_FILE, self.internal_results)
        for key, df in self.internal_tables.items():
            _write_csv(folder / "tables" / f"{key}.csv", df)
        public = self._rel_root(self.output_dir)
        write_file(folder / INTERNAL_README, _INTERNAL_TEXT.format(public=public).encode("utf-8"))

    def _rel_root(self, path: Path) -> str:
        try:
            return Path(path).relative_to(self.root).as_posix()
        except ValueError:
            return Path(path).name

    # -- numbering -----------------------------------------------------------------------
    def _number(self, kind: str) -> int:
        """The next number of a ``"table"`` or ``"figure"`` in this report (1, 2, ...).

        Tables and figures are counted apart, in the order the report shows them; the
        figure HTML (:meth:`_show_figure`) and the tables call it once per item shown.

        >>> import tempfile
        >>> out = ReportOutput(tempfile.mkdtemp(), display=False)
        >>> out._number("table"), out._number("figure"), out._number("table")
        (1, 1, 2)
        """
        if kind not in ("table", "figure"):
            raise ArgumentError("kind", kind, "'table' or 'figure'")
        self._counters[kind] = self._counters.get(kind, 0) + 1
        return self._counters[kind]

    def numbered(self, kind: str, title: str) -> str:
        """``"Tabel 3. <title>"`` / ``"Figure 2. <title>"``: the next number of ``kind`` and its title.

        >>> import tempfile
        >>> out = ReportOutput(tempfile.mkdtemp(), lang="en", display=False)
        >>> out.numbered("figure", "Scores pre and post"), out.numbered("table", "Sample")
        ('Figure 1. Scores pre and post', 'Table 1. Sample')
        """
        n = self._number(kind)
        return f"{label(kind + '_number', self.lang)} {n}. {title}"

    def _table_title(self, key: str, obj: Any, caption: str | None) -> str:
        """A shown table's title: the caption, else the title registered for its key, else the
        result's own title (in the report's language), else the key's label."""
        if caption:
            return caption
        registered = table_title(key, self.lang)
        if registered:
            return registered
        if isinstance(obj, Result):
            return label(obj.title, self.lang)
        return label(key, self.lang)

    def _tables_html(self, key: str, obj: Any, shown: pd.DataFrame, source: pd.DataFrame,
                     caption: str | None, notes: list[str]) -> str:
        """The numbered table(s) of one shown item: split into parts that fit the page
        (:func:`split_columns`), each with its caption, the notes below the last."""
        title = self._table_title(key, obj, caption)
        parts = split_columns(shown, source, getattr(obj, "display_parts", ()))
        if len(parts) > 1 and len(shown) == 1:  # one wide row: a column of figures reads better
            shown = transposed(shown, self.lang)
            parts = [(None, [0, 1])]
        html = []
        for i, (part_name, cols) in enumerate(parts, 1):
            text = title
            if len(parts) > 1:
                sub = label(part_name, self.lang) if part_name else label("table_part", self.lang).format(i=i, k=len(parts))
                text = f"{title}: {sub}" if part_name else f"{title} ({sub})"
            html.append(table_html(shown.iloc[:, cols], caption=self.numbered("table", text), lang=self.lang))
        if notes:
            items = "".join(f"<li>{_html.escape(line, quote=False)}</li>" for line in notes)
            html.append(f'<ul class="es-table-notes">{items}</ul>')
        return f'<div class="es-table">{"".join(html)}</div>'

    # -- helpers -------------------------------------------------------------------------
    def _rel(self, path: Path) -> str:
        try:
            return Path(path).resolve().relative_to(self.output_dir).as_posix()
        except ValueError:
            return str(path)

    def _claim(self, key: str, replace: bool) -> None:
        if not isinstance(key, str) or not _KEY.match(key):
            raise ArgumentError(
                "key", key,
                "a name of letters, digits, '_', '-' or '.' (it becomes a file name), at most 100 characters",
            )
        if key in self.results and not replace:
            raise ArgumentError(
                "key", key,
                "a key not shown before in this report (each shown item needs its own key; "
                "pass replace=True to show it again)",
            )
        self.results.pop(key, None)
        self.tables.pop(key, None)
        self.figures.pop(key, None)

    def _record(self, key: str, value: Any) -> None:
        self.results[key] = value

    def _display_html(self, html: str, plain: str) -> None:
        if self.display:
            from IPython.display import display

            display({"text/html": html, "text/plain": plain}, raw=True)

    @property
    def _na_rep(self) -> str:
        """How a missing cell is written in tables: ``x`` in a public report (it is hidden)."""
        return HIDDEN_SYMBOL if self.public else ""

    def _write_json(self, path: Path, obj: Any) -> Path:
        """``obj`` as stable JSON (sorted keys, paths relative to the project folder)."""
        return write_file(path, dumps_stable(_relativise(jsonable(obj), self.root)).encode("utf-8"))

    def _write_table(self, key: str, df: pd.DataFrame) -> None:
        _write_csv(self.output_dir / "tables" / f"{key}.csv", df, na_rep=self._na_rep)
        self.tables[key] = df

    def _show_table(self, key: str, df: pd.DataFrame, caption: str | None, html: str | None = None) -> None:
        self._write_table(key, df)
        self._record(key, jsonable(df))
        if html is None:
            html = self._tables_html(key, df, _display_frame(df, self.lang), df, caption, [])
        else:
            html = _captioned(html, self.numbered("table", self._table_title(key, df, caption)))
        self._display_html(html, df.to_string())

    def _show_result(self, key: str, obj: Any, caption: str | None) -> None:
        public_table = getattr(obj, "public_table", None) if self.public else None
        self._write_table(key, public_table() if callable(public_table) else obj.summary())
        self._record(key, jsonable(obj.to_dict()))
        internal = getattr(obj, "internal_dict", None)
        if self.public and callable(internal):
            self.internal_results[key] = jsonable(internal())
        if type(obj)._repr_html_ is not Result._repr_html_:
            html = obj._repr_html_()
            if "<caption>" in html:  # the result names its tables: number them
                html = _number_captions(html, self.numbered)
            elif "<table" in html:
                html = _captioned(html, self.numbered("table", self._table_title(key, obj, caption)))
        else:
            lines = obj.meta_lines(self.lang) if type(obj)._meta_lines is Result._meta_lines else obj._meta_lines()
            shown = obj.format(lang=self.lang)
            shown.index = pd.RangeIndex(len(shown))
            html = self._tables_html(key, obj, shown, obj.summary(), caption, lines)
        self._display_html(html, repr(obj))

    def _show_figure(self, key: str, fig: Any, caption: str | None) -> None:
        """``figures/<key>.png`` and, when the plot attached it (``describe_figure``), the data
        behind it as ``figures/<key>.csv``; shown as a numbered ``<figure>`` with its alt text,
        its title in the ``<figcaption>`` and the data table in a ``<details>`` below."""
        from effectstudy.core.plotting import figure_meta

        title, alt, data = figure_meta(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=self.dpi, bbox_inches="tight", facecolor="white",
                    metadata={"Software": None})
        png = buf.getvalue()
        path = self.output_dir / "figures" / f"{key}.png"
        write_file(path, png)
        self.figures[key] = path
        self._record(key, {"figure": f"figures/{key}.png"})
        if data is not None:
            _write_csv(self.output_dir / "figures" / f"{key}.csv", data, na_rep=self._na_rep)
        try:  # closed here so the inline backend does not show it a second time
            import matplotlib.pyplot as plt

            plt.close(fig)
        except ImportError:  # pragma: no cover - matplotlib is a dependency
            pass
        width = _png_width(png)
        style = f' width="{round(width * 100 / self.dpi)}"' if width else ""
        heading = title or caption or table_title(key, self.lang) or label(key, self.lang)
        text = self.numbered("figure", heading)
        if caption and title:  # the plot's title, then the notebook's caption as a sentence of its own
            text += ("" if text.rstrip().endswith((".", "?", "!", ":")) else ".") + f" {caption}"
        alt_text = _html.escape(alt or heading, quote=True)
        details = ""
        if data is not None:
            table = table_html(_display_frame(data, self.lang), index=False, lang=self.lang)
            details = (f'<details class="es-figure-data"><summary>{_html.escape(label("fig_data", self.lang))}'
                       f"</summary>{table}</details>")
        b64 = base64.b64encode(png).decode("ascii")
        # APA: number and title above the figure (a figcaption is the first or last child)
        html = (f'<figure class="es-figure"><figcaption>{_html.escape(text)}</figcaption>'
                f'<img src="data:image/png;base64,{b64}" alt="{alt_text}"{style}>{details}</figure>')
        self._display_html(html, f"<figure {key}>")

    def _show_provenance(self, key: str, obj: Any) -> None:
        self.provenance_record = dict(obj)
        self.results.pop(key, None)  # kept out of results.json: it holds the run date
        self._display_html(provenance_html(obj, lang=self.lang), f"provenance ({len(obj.get('inputs', []))} input files)")


def _write_csv(path: Path, df: pd.DataFrame, na_rep: str = "") -> Path:
    """A table as CSV (its index only when it is not a plain range; ``\\n`` line ends)."""
    keep_index = not isinstance(df.index, pd.RangeIndex)
    return write_file(path, df.to_csv(index=keep_index, lineterminator="\n", na_rep=na_rep).encode("utf-8"))


def _display_frame(df: pd.DataFrame, lang: str, digits: int = DIGITS) -> pd.DataFrame:
    """A table as a report shows it: numbers as display strings, labelled columns and categories.

    The numbers go through :func:`effectstudy.core.formatting.frame`, the formatter of every
    display path; only the display changes, ``results.json`` and the CSV keep the full values.

    >>> _display_frame(pd.DataFrame({"status": ["stagnated"], "ci_low": [0.0138213]}), "nl")
            Status BI onder
    0  gestagneerd     0,01
    """
    return translate_frame(frame(df, lang, digits), lang)


def _number_captions(html: str, numbered: Any) -> str:
    """Number every ``<caption>`` of a result's own HTML (``numbered("table", title)``)."""
    return re.sub(r"<caption>(.*?)</caption>",
                  lambda m: f"<caption>{_html.escape(numbered('table', _html.unescape(m.group(1))), quote=False)}</caption>",
                  html, flags=re.S)


def _column_width_mm(col: pd.Series, header: object) -> float:
    """The printed width of one column of display strings: the longest cell (numbers do not
    wrap; text wraps at :data:`_WRAP_MM`) or the longest word of the header."""
    cells = [len(cell_text(v)) for v in col.tolist()] or [0]
    words = [len(w) for w in str(header).split()] or [0]
    width = max(max(cells), max(words)) * _CHAR_MM
    return min(width, _WRAP_MM) + _CELL_MM


def transposed(shown: pd.DataFrame, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """A one-row display table as two columns: the (labelled) column names and their values.

    >>> transposed(pd.DataFrame({"n trajecten": ["318"], "Sessies gem.": ["10,04"]}), "nl")
           Kengetal Waarde
    0   n trajecten    318
    1  Sessies gem.  10,04
    """
    return pd.DataFrame({label("quantity", lang): [str(c) for c in shown.columns],
                         label("value", lang): shown.iloc[0].tolist()})


def _balanced(groups: list[tuple[list[int], float]], budget: float) -> list[list[int]]:
    """``groups`` (columns, width) in the fewest parts within ``budget``, filled evenly (no
    part of one leftover column); a single group wider than ``budget`` is a part of its own."""
    total = sum(w for _, w in groups)
    for k in range(max(1, math.ceil(total / budget)), len(groups) + 1):
        target = total / k
        parts: list[list[int]] = [[]]
        widths = [0.0]
        for cols, w in groups:
            if parts[-1] and len(parts) < k and widths[-1] + w / 2 > target:
                parts.append([])
                widths.append(0.0)
            parts[-1].extend(cols)
            widths[-1] += w
        if all(w <= budget for w in widths):
            return parts
    return [cols for cols, _ in groups]


def split_columns(shown: pd.DataFrame, source: pd.DataFrame | None = None,
                  parts: Any = ()) -> list[tuple[str | None, list[int]]]:
    """The column positions of the tables that print ``shown`` within :data:`PAGE_WIDTH_MM`.

    A table that fits is one part.  A wider one is split: the key columns (the leading text
    columns of ``source``, the unformatted table: scale, group, category ...) are repeated in
    every part.  With ``parts`` (a result's ``display_parts``: ``(label key, column names)``
    pairs) the columns go into those named parts and the columns in no part (numeric keys
    such as a window) start every part; without them they are filled in greedily, a
    confidence limit never apart from its estimate.  Only the display is split: the CSV and
    ``results.json`` keep the whole table.

    Returns
    -------
    list of (str or None, list of int)
        The part's label key (``None`` for a greedy part) and its column positions.

    >>> wide = pd.DataFrame({"group": ["anxiety"], **{f"s{i}": ["-123,45"] for i in range(30)}})
    >>> [len(c) for _, c in split_columns(wide)]  # the group and 10 of the 30 numbers each
    [11, 11, 11]
    >>> split_columns(wide.iloc[:, :5])
    [(None, [0, 1, 2, 3, 4])]
    """
    widths = [_column_width_mm(shown.iloc[:, i], shown.columns[i]) for i in range(shown.shape[1])]
    everything = list(range(shown.shape[1]))
    if sum(widths) <= PAGE_WIDTH_MM or shown.shape[1] < 3:
        return [(None, everything)]
    src = source if source is not None and source.shape[1] == shown.shape[1] else None
    names = [str(c) for c in src.columns] if src is not None else [str(c) for c in shown.columns]
    keys = []
    for i in everything:
        col = src.iloc[:, i] if src is not None else shown.iloc[:, i]
        textual = not (pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype))
        if not textual or (src is None and i > 0):
            break
        keys.append(i)
    rest = [i for i in everything if i not in keys]
    if parts:  # the columns in no part start every part
        named = {c for _, cols in parts for c in cols}
        keys = [i for i in everything if names[i] not in named]
        out = [(part, keys + [i for i in everything if names[i] in cols]) for part, cols in parts]
        return [(part, cols) for part, cols in out if len(cols) > len(keys)]
    budget = PAGE_WIDTH_MM - sum(widths[i] for i in keys)
    groups: list[list[int]] = []
    for i in rest:  # a confidence limit stays with the column before it
        if groups and names[i].endswith(("ci_low", "ci_high")):
            groups[-1].append(i)
        else:
            groups.append([i])
    out_cols = _balanced([(g, sum(widths[i] for i in g)) for g in groups], budget)
    return [(None, keys + cols) for cols in out_cols]


def _captioned(html: str, caption: str | None) -> str:
    """A ready-made HTML block (a result's own ``_repr_html_``) under its numbered title."""
    if not caption:
        return html
    return f'<figure class="es-table"><figcaption>{_html.escape(caption)}</figcaption>{html}</figure>'


def _value_html(value: Any, caption: str | None) -> str:
    head = f"<p><strong>{_html.escape(caption)}</strong></p>" if caption else ""
    if isinstance(value, dict):
        rows = "".join(f"<tr><th>{_html.escape(str(k))}</th><td>{_html.escape(str(v))}</td></tr>" for k, v in value.items())
        return f'{head}<table class="es-values">{rows}</table>'
    items = "".join(f"<li>{_html.escape(str(v))}</li>" for v in value)
    return f"{head}<ul>{items}</ul>"


def _fmt(value: Any, lang: str) -> str:
    """A shown scalar: numbers through :func:`effectstudy.core.formatting.number`.

    >>> _fmt(0.125, "nl"), _fmt(12, "nl"), _fmt(True, "en"), _fmt("ok", "en")
    ('0,13', '12', 'True', 'ok')
    """
    if isinstance(value, bool | np.bool_) or value is None:
        return str(value)
    if isinstance(value, float | np.floating):
        return number(value, lang)
    return str(value)


def _is_number(obj: Any) -> bool:
    return isinstance(obj, (np.integer, np.floating, np.bool_))


def _is_styler(obj: Any) -> bool:
    return type(obj).__name__ == "Styler" and type(obj).__module__.startswith("pandas")


def _is_provenance(obj: Any) -> bool:
    return isinstance(obj, Provenance)


def _figure_of(obj: Any) -> Any:
    """The matplotlib Figure of a Figure, Axes or array of Axes; ``None`` for anything else."""
    mod = type(obj).__module__
    if mod.startswith("numpy") and getattr(getattr(obj, "dtype", None), "kind", "") == "O" and getattr(obj, "size", 0):
        first = obj.flat[0]
        return _figure_of(first)
    if not mod.startswith("matplotlib"):
        return None
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    if isinstance(obj, Figure):
        return obj
    if isinstance(obj, SubFigure):
        return obj.figure
    if isinstance(obj, Axes):
        return obj.get_figure(root=True)
    return None


def _png_width(png: bytes) -> int | None:
    if png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR":
        return int.from_bytes(png[16:20], "big")
    return None
