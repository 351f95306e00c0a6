"""Base class of analysis results.

Every analysis verb returns a frozen dataclass derived from :class:`Result`:

- ``.patients``: one row per subject (may be empty for purely aggregate results);
- ``.meta``: method, parameters and their sources, ``n_original``, ``n_used``,
  ``exclusions`` (reason -> count) and the effectstudy version;
- ``.summary()``: a DataFrame of plain numbers with stable snake_case columns;
- ``.format(lang=, digits=)``: a display version (labels; values as strings from
  :func:`effectstudy.core.formatting.frame`, the formatter every display path uses);
- ``_repr_html_`` for JupyterLab, ``__repr__`` for the console;
- ``.plot(ax=None)`` returning the Axes (where the analysis has a plot);
- ``.to_dict()`` for JSON.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from effectstudy.core.errors import ArgumentError
from effectstudy.core.formatting import DEFAULT_LANG, DIGITS, MISSING, Lang, check_lang, frame
from effectstudy.core.jsonable import jsonable
from effectstudy.core.labels import label, method_label, translate

__all__ = ["Result", "TableResult", "TablesResult", "base_meta", "translate_frame", "table_html",
           "cell_text"]


def translate_frame(df: pd.DataFrame, lang: Lang = DEFAULT_LANG) -> pd.DataFrame:
    """``df`` with registered labels for its text cells and its (string) column names.

    Numbers are not touched: format them first (:func:`effectstudy.core.formatting.frame`).

    >>> translate_frame(pd.DataFrame({"status": ["stagnated"], "ci_low": ["0,01"]}), "nl")
            Status BI onder
    0  gestagneerd     0,01
    """
    shown = df.copy()
    for i in range(shown.shape[1]):
        col = shown.iloc[:, i]
        if col.dtype == object or isinstance(col.dtype, pd.CategoricalDtype | pd.StringDtype):
            shown.isetitem(i, col.astype(object).map(lambda v: translate(v, lang)))
    if not isinstance(shown.columns, pd.MultiIndex):
        shown.columns = [label(c, lang) if isinstance(c, str) else c for c in shown.columns]
    return shown


def table_html(df: pd.DataFrame, index: bool | None = None, caption: str | None = None,
               lang: Lang = DEFAULT_LANG) -> str:
    """An accessible HTML table of display strings: ``<caption>``, ``<th scope="col">`` headers
    (never empty), ``<th scope="row">`` for a shown index, missing values as a dash (also in
    nullable Int64/string columns, where pandas' ``na_rep`` fails).  A cell starting with a
    relation (``< ,001``) keeps it on one line with its number (a no-break space).

    >>> df = pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "x": [0.5, None]})
    >>> html = table_html(df, caption="Table 1. Counts")
    >>> "&lt;NA&gt;" in html, html.count("<td>–</td>"), html.count('<th scope="col">')
    (False, 2, 2)
    >>> html[:60]
    '<table class="dataframe es-data"><caption>Table 1. Counts</c'
    """
    if index is None:
        index = not isinstance(df.index, pd.RangeIndex)

    def esc(text: str) -> str:
        return html.escape(text, quote=False)

    def cell(v: object) -> str:
        text = cell_text(v)
        return esc("\u00a0".join(text.split(" ", 1)) if text[:2] in ("< ", "> ") else text)

    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    heads = []
    if index:
        names = [n for n in df.index.names if n is not None]
        heads.append(" / ".join(label(str(n), lang) for n in names) or label("row", lang))
    for c in df.columns:
        text = " ".join(str(x) for x in c if str(x)) if isinstance(c, tuple) else str(c)
        heads.append(text if text.strip() else MISSING)
    thead = "".join(f'<th scope="col">{esc(h)}</th>' for h in heads)
    rows = []
    for i in range(len(df)):
        cells = []
        if index:
            v = df.index[i]
            v = " / ".join(str(x) for x in v) if isinstance(v, tuple) else v
            cells.append(f'<th scope="row">{cell(v)}</th>')
        cells += [f"<td>{cell(v)}</td>" for v in df.iloc[i].tolist()]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (f'<table class="dataframe es-data">{cap}<thead><tr>{thead}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def cell_text(v: Any) -> str:
    """One cell's text: a missing value as a dash, anything else as its ``str``.

    >>> cell_text(None), cell_text(float("nan")), cell_text("0,13")
    ('–', '–', '0,13')
    """
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return MISSING
    return str(v)


def base_meta(method: str | None = None, **extra: Any) -> dict[str, Any]:
    """Start a ``meta`` dict with the method and the package version."""
    from effectstudy import __version__

    meta: dict[str, Any] = {"method": method, "version": __version__}
    meta.update(extra)
    return meta


@dataclass(frozen=True, repr=False)
class Result:
    """Common behaviour of result objects. Subclasses implement :meth:`summary`."""

    patients: pd.DataFrame = field(default_factory=pd.DataFrame)
    meta: dict[str, Any] = field(default_factory=dict)

    #: shown as the heading in displays; subclasses override
    title = "Result"
    #: names of further DataFrame attributes that :meth:`to_dict` writes after the summary
    extra_tables: ClassVar[tuple[str, ...]] = ()
    #: how a report splits a table too wide for the page: ``(label key, summary columns)``
    #: per part; the columns in no part (scale, group ...) are repeated in every part
    display_parts: ClassVar[tuple[tuple[str, tuple[str, ...]], ...]] = ()

    def summary(self) -> pd.DataFrame:  # pragma: no cover - overridden
        raise NotImplementedError

    # -- display ---------------------------------------------------------------------------
    def format(self, lang: Lang = DEFAULT_LANG, digits: int = DIGITS) -> pd.DataFrame:
        """The summary as a report shows it: display strings, labelled columns and categories.

        Parameters
        ----------
        lang : {"nl", "en"}
            Language of the labels and the decimal separator (``"nl"``: decimal comma).
        digits : int
            Decimals of the numbers (p-values and counts follow their own rules, see
            :func:`effectstudy.core.formatting.frame`).

        Returns
        -------
        DataFrame
            Strings only for the numbers (rounded half up, missing as ``"–"``); the
            numbers themselves stay in :meth:`summary` and :meth:`to_dict`.
        """
        check_lang(lang)
        s = frame(self.summary(), lang, digits)
        return translate_frame(s, lang)

    def _meta_lines(self) -> list[str]:
        keep = ("method", "n_original", "n_used", "exclusions")
        return [f"{k}: {self.meta[k]}" for k in keep if k in self.meta and self.meta[k] not in (None, {}, [])]

    def method_text(self, lang: Lang = DEFAULT_LANG) -> str:
        """``meta["method"]`` in words (:func:`effectstudy.core.labels.method_label`); a
        result whose method needs more words (the effect size's standardiser) overrides it."""
        return method_label(self.meta.get("method"), lang)

    def meta_lines(self, lang: Lang = DEFAULT_LANG) -> list[str]:
        """The method, the counts and the exclusions per reason, in words of ``lang`` (for reports)."""
        m = self.meta
        lines = []
        if m.get("method") is not None:
            lines.append(f"{label('method', lang)}: {self.method_text(lang)}")
        counts = [f"{label(k, lang)}: {m[k]}" for k in ("n_original", "n_used") if m.get(k) is not None]
        if counts:
            lines.append(", ".join(counts))
        excl = m.get("exclusions")
        if isinstance(excl, dict) and any(excl.values()):
            parts = [f"{translate(str(k), lang)} {v}" for k, v in excl.items() if v]
            lines.append(f"{label('exclusions', lang)}: " + "; ".join(parts))
        return lines

    def __repr__(self) -> str:
        lines = [self.title, *self._meta_lines(), self.summary().to_string()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        lang = self.meta.get("lang", DEFAULT_LANG)
        lines = self.meta_lines(lang) if type(self)._meta_lines is Result._meta_lines else self._meta_lines()
        notes = "".join(f"<li>{html.escape(line, quote=False)}</li>" for line in lines)
        table = table_html(self.format(lang=lang), index=False, caption=label(self.title, lang), lang=lang)
        return f'<div class="es-table">{table}<ul class="es-table-notes">{notes}</ul></div>'

    def to_dict(self) -> dict[str, Any]:
        """``{"title": ..., "meta": ..., "summary": [records]}`` and the :attr:`extra_tables`,
        with JSON-safe values."""
        out = {"title": self.title, "meta": jsonable(self.meta), "summary": jsonable(self.summary())}
        for name in self.extra_tables:
            out[name] = jsonable(getattr(self, name))
        return out


@dataclass(frozen=True, repr=False)
class TableResult(Result):
    """A result that is one table: :meth:`summary` is a copy of ``table``."""

    table: pd.DataFrame = None  # type: ignore[assignment]

    def summary(self) -> pd.DataFrame:
        """A copy of ``table``."""
        return self.table.copy()


@dataclass(frozen=True, repr=False)
class TablesResult(Result):
    """A result of several named tables (``tables``, name -> DataFrame, ``None`` for a table
    that was not asked for): :meth:`to_dict` adds those present under ``"tables"``."""

    tables: dict[str, pd.DataFrame] = None  # type: ignore[assignment]

    #: the verb that makes the result, named when a table was not asked for
    verb: ClassVar[str] = "the verb"

    def _table(self, name: str, needs: str = "outcome") -> pd.DataFrame:
        """A copy of table ``name``; :class:`ArgumentError` naming the argument ``needs``
        when the table was not asked for (``None``)."""
        t = self.tables.get(name)
        if t is None:
            raise ArgumentError(needs, None, f"{needs}= passed to {self.verb} "
                                f"for the {name.replace('_', ' ')} table")
        return t.copy()

    def to_dict(self) -> dict[str, Any]:
        """As :meth:`Result.to_dict`, plus ``"tables"``: every table that is not ``None``."""
        out = super().to_dict()
        out["tables"] = {k: jsonable(v) for k, v in self.tables.items() if v is not None}
        return out
