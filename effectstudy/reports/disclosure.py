r"""Disclosure control for published tables (privacy_and_integrity.md §2, SEC-D1 ... SEC-D7).

:func:`disclosure_control` takes a table the yearly effectiveness summary wants to
publish and returns a :class:`DisclosureResult`: the table as it may be published
(suppressed cells NaN), a display version (strings), the reason for every suppressed
cell and an audit that proves no suppressed cell can be worked out from what is
published.

**Rules** (the defaults are the practice's; every one is a parameter, SEC-D7):

SEC-D1  *Threshold* (default 10, never below 5).  No count, percentage or statistic is
        published for a group of fewer than ``threshold`` clients, and no count cell below
        ``threshold`` is published, zero included (UK LLC counts zero as a small cell).  The
        cell shows ``"x"`` like every hidden cell, never 0.  Sources: ONS "10-5 rule" (Census 2021 outputs);
        UK LLC guidebook (threshold 10 data subjects, including zero; means and SDs only
        if n >= 10); CBS Remote Access practice.
SEC-D2  *Rounding* (default base 5, ``None`` = no rounding).  Every published count,
        totals and margins included, is rounded on its own to the nearest multiple of the
        base, **half up** (12 -> 10, 13 -> 15; with base 10, 15 -> 20).  Half-up on
        integers is exact integer arithmetic, so published counts are deterministic.
        Totals are rounded separately, as NHS Digital and ONS do, so a published total can
        differ from the sum of the published cells; the alternative (a total computed
        from rounded cells) would publish a wrong total, and controlled rounding is not
        needed for tables this small.  Percentages are computed from the *rounded*
        numerator and denominator (NHS Digital), as whole percentages (half up), only when
        the denominator is at least ``threshold``.  Statistics (means, SDs, effect sizes,
        CIs) are the caller's values on unrounded data, rounded half up to publication
        precision (``statistics={column: decimals}``) and shown only where the row's ``n``
        is published.
SEC-D3  *Secondary suppression.*  Every additivity constraint of the table (groups add
        up to the total row; declared ``parts`` add up to their whole; a crosstab's cells
        add up to its margins) that contains one suppressed cell gets a second one: the
        smallest published cell of that constraint, inner cells before totals and
        margins ("at least two suppressed cells in every row, column and margin that has
        one").  In a groups table a suppressed ``n`` hides its whole row, so statistics
        whose CI would reveal n are never left behind.  Then the *audit*: for every
        suppressed cell, the interval of values consistent with everything published
        (rounding intervals, the fact that published counts are >= threshold,
        non-negativity, count <= n, additivity, and the same table in earlier years'
        reports) is computed with :func:`scipy.optimize.linprog`; it must be at least
        ``threshold`` wide.  A failing cell gets a further complementary suppression from
        its constraints, smallest first, until the audit passes; if nothing helps, a
        :class:`DisclosureError` asks for merged categories.
SEC-D4  *Attribute disclosure.*  A count that is 0 % or 100 % of its group (on the true or
        on the published, rounded figures) is suppressed when the group has fewer than
        ``attribute_n`` (default 20) clients.
SEC-D5  No extreme values: statistics named like ``min``, ``max`` or ``range`` are
        refused.
SEC-D7  The parameters are in ``meta`` and :meth:`DisclosureResult.methods_text` prints the
        methods sentence (nl, en) for the report.

Earlier years (``previous=``): rows are linked to earlier tables by their labels, so a
row labelled ``("depressie", 2024)`` in this year's table is the same group of clients
as in last year's table.  Put the year among the ``by`` columns when tables of different
years describe different clients.  Total rows and margins are not linked, unless
``link_total=True`` (groups layout): then the total row is linked by its labels like any
row (the yearly summary's total row ``(2024, "all")`` is the same clients in every
grouping; it passes the overall table and the groupings published before as ``previous``).

Example
-------
>>> import pandas as pd
>>> import effectstudy as es
>>> t = pd.DataFrame({"diagnosis": ["depressie", "angst", "ptss", "totaal"],
...                   "n": [42, 7, 25, 74], "n_recovered": [17, 2, 11, 30]})
>>> r = es.disclosure_control(t, by="diagnosis", counts=["n_recovered"],
...                           percentages={"pct_recovered": ("n_recovered", "n")},
...                           total="totaal")
>>> r.display
   diagnosis   n n_recovered pct_recovered
0  depressie  40          15           38%
1      angst   x           x             x
2       ptss   x           x             x
3     totaal  75          30           40%
>>> r.mask.loc[2, "n"], r.passed
('secondary', True)

One display symbol, ``"x"``, for every hidden cell, whatever the reason (below the
threshold, hidden so that a small cell cannot be worked out, 0 % / 100 % of a small
group, a statistic not published): a second symbol for small cells ("< 10") would tell a
reader that every other hidden cell is at least 10.  :func:`hidden_note` explains it once
per report.  The reasons (:attr:`DisclosureResult.mask`) and the audits are internal:
:meth:`DisclosureResult.to_dict` (what ``results.json`` of a public report holds) leaves
them out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from effectstudy.core.checks import check_int
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError, EffectstudyError
from effectstudy.core.formatting import MISSING, check_lang, number, percent
from effectstudy.core.jsonable import jsonable
from effectstudy.core.labels import Lang, label, register
from effectstudy.core.results import Result, base_meta

__all__ = [
    "disclosure_control",
    "DisclosureResult",
    "DisclosureError",
    "REASONS",
    "HIDDEN_SYMBOL",
    "hidden_note",
    "round_half_up",
    "round_statistic",
]

#: reasons in the suppression mask ("" = published as is)
REASONS = ("primary", "secondary", "attribute", "structural_zero")

SOURCES = {
    "SEC-D1": "ONS 10-5 rule (Census 2021); UK LLC SDC guidebook (threshold 10 incl. zero); "
              "CBS Remote Access (cells < 10 suppressed)",
    "SEC-D2": "ONS 10-5 rule (round to 5); NHS Digital HES/ECDS 2018 (round to 5, totals "
              "rounded separately, percentages from rounded values)",
    "SEC-D3": "tau-ARGUS / sdcTable / GaussSuppression practice: secondary suppression and "
              "feasible-interval audit on the table's additivity",
    "SEC-D4": "privacy_and_integrity.md SEC-D4 (0 % / 100 % with n < 20)",
    "SEC-D5": "privacy_and_integrity.md SEC-D5 (no min/max)",
}

register({
    "primary": {"nl": "onvoldoende waarnemingen", "en": "too few observations"},
    "secondary": {"nl": "afgeschermd tegen herleiding", "en": "hidden to prevent back-calculation"},
    "attribute": {"nl": "afgeschermd (0% of 100% in kleine groep)",
                  "en": "hidden (0% or 100% in a small group)"},
    "structural_zero": {"nl": "structurele nul", "en": "structural zero"},
    "lower": {"nl": "Ondergrens", "en": "Lower"},
    "upper": {"nl": "Bovengrens", "en": "Upper"},
    "width": {"nl": "Breedte", "en": "Width"},
    "passed": {"nl": "Voldoet", "en": "Passed"},
    "reason": {"nl": "Reden", "en": "Reason"},
    "table": {"nl": "Tabel", "en": "Table"},
    "row": {"nl": "Rij", "en": "Row"},
    "column": {"nl": "Kolom", "en": "Column"},
    "n_recovered": {"nl": "n hersteld", "en": "n recovered"},
    "n_improved": {"nl": "n verbeterd", "en": "n improved"},
    "n_stagnated": {"nl": "n gestagneerd", "en": "n stagnated"},
    "pct_recovered": {"nl": "% hersteld", "en": "% recovered"},
    "pct_improved": {"nl": "% verbeterd", "en": "% improved"},
    "pct_stagnated": {"nl": "% gestagneerd", "en": "% stagnated"},
    "mean": {"nl": "Gem.", "en": "Mean"},
    "sd": {"nl": "SD", "en": "SD"},
})

#: the one symbol of every cell without a published value, whatever the reason (CBS
#: convention "x = geheim"); a second symbol for small cells would tell a reader which
#: hidden cells are below the threshold and which are not
HIDDEN_SYMBOL = "x"
SECONDARY_SYMBOL = HIDDEN_SYMBOL  # the name of earlier versions
MISSING_SYMBOL = MISSING  # the formatter's sign for a missing value
_HIDDEN_REASONS = ("primary", "secondary", "attribute")
_AUX = ["_t", "_r", "_c", "_v"]  # the audits' helper columns (not in the result)
#: meta keys that say something about the hidden cells (kept out of the published dict)
_INTERNAL_META = ("suppressed",)


def hidden_note(lang: Lang = "nl", threshold: int = 10) -> str:
    """The one explanation of the hidden symbol, printed once per report.

    >>> hidden_note("en")
    'x: not published (fewer than 10 clients, or hidden so that a small number cannot be worked out)'
    """
    check_lang(lang)
    if lang == "nl":
        return (f"{HIDDEN_SYMBOL}: niet gepubliceerd (minder dan {threshold} cliënten, of afgeschermd "
                "zodat een klein aantal niet te herleiden is)")
    return (f"{HIDDEN_SYMBOL}: not published (fewer than {threshold} clients, or hidden so that a small "
            "number cannot be worked out)")
_EXTREME = re.compile(r"(^|_)(min|max|minimum|maximum|range)(_|$)", re.IGNORECASE)


class DisclosureError(EffectstudyError, ValueError):
    """A table cannot be published safely (the audit fails); merge categories or groups."""


# -- small arithmetic ----------------------------------------------------------------------
def round_half_up(x: Any, base: int | None) -> np.ndarray:
    """Round non-negative integer counts to the nearest multiple of ``base``, ties up.

    Integer arithmetic only (no float ties), so the result is deterministic.

    >>> round_half_up([0, 2, 3, 7, 8, 12, 13, 15], 5).tolist()
    [0, 0, 5, 5, 10, 10, 15, 15]
    >>> round_half_up([14, 15, 25], 10).tolist()
    [10, 20, 30]
    """
    a = np.asarray(x, dtype=np.int64)
    if base is None or base == 1:
        return a.copy()
    return base * ((2 * a + base) // (2 * base))


def rounding_interval(p: np.ndarray, base: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Integers that round (half up) to ``p``: ``[p - floor(b/2), p + ceil(b/2) - 1]``."""
    if base is None or base == 1:
        return p.astype(float), p.astype(float)
    return (np.maximum(p - base // 2, 0).astype(float),
            (p + (base + 1) // 2 - 1).astype(float))


def _whole_pct(num: int, den: int) -> int:
    """``100 * num / den`` rounded half up to a whole percentage (integers only)."""
    return (200 * num + den) // (2 * den)


def round_statistic(x: Any, digits: int) -> np.ndarray:
    """Statistics at publication precision: ``digits`` decimals, half up (NaN stays NaN).

    The decimal value a reader sees (the shortest repr, as the report's number formatter
    rounds it), so the published table, the CSV, ``results.json`` and the HTML show the
    same number.

    >>> round_statistic([8.25, 7.826086956521739, 0.125, float("nan")], 1).tolist()
    [8.3, 7.8, 0.1, nan]
    >>> round_statistic([-0.125], 2).tolist()
    [-0.13]
    """
    a = np.asarray(x, dtype=float)
    q = Decimal(1).scaleb(-int(digits))
    out = [float(Decimal(repr(float(v))).quantize(q, rounding=ROUND_HALF_UP))
           if math.isfinite(v) else math.nan for v in a.ravel()]
    return np.asarray(out, dtype=float).reshape(a.shape)


def _statistic_digits(statistics: Any) -> dict[str, int]:
    """``statistics`` as ``{column: decimals}`` (a plain list: 2 decimals each)."""
    if isinstance(statistics, Mapping):
        out = {}
        for col, d in statistics.items():
            if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or not 0 <= d <= 6:
                raise ArgumentError(f"statistics[{col!r}]", d, "a number of decimals from 0 to 6")
            out[str(col)] = int(d)
        return out
    return {c: 2 for c in _as_list("statistics", statistics)}


def _as_list(name: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Sequence):
        raise ArgumentTypeError(name, value, "a column name or a list of column names")
    return list(value)


# -- the table of count cells ---------------------------------------------------------------
@dataclass
class _Grid:
    """Count cells of one table and their additivity.

    ``rows``: row keys (tuples of labels); ``cols``: count column names; ``total_row``:
    position of the total row (groups) / margin row (crosstab); ``n_col``: position of the
    column every count is part of (groups: ``n``; crosstab: the margin column);
    ``margin_col``: whether ``n_col`` is a crosstab margin; ``parts``: (whole, parts)
    column positions that add up in every row; ``subsets``: (small, big) column positions
    with small <= big in every row.
    """

    rows: list[tuple]
    cols: list[str]
    total_row: int | None
    n_col: int | None
    margin_col: bool
    parts: list[tuple[int, list[int]]]
    subsets: list[tuple[int, int]]
    link_total: bool = False

    def equalities(self) -> list[list[tuple[int, int, int]]]:
        """Each equality as ``[(row, col, coef), ...]`` with ``sum(coef * x) == 0``."""
        eqs: list[list[tuple[int, int, int]]] = []
        r_all = range(len(self.rows))
        if self.total_row is not None:
            inner = [r for r in r_all if r != self.total_row]
            for c in range(len(self.cols)):
                eqs.append([(r, c, 1) for r in inner] + [(self.total_row, c, -1)])
        for whole, parts in self.parts:
            for r in r_all:
                eqs.append([(r, p, 1) for p in parts] + [(r, whole, -1)])
        return eqs

    def is_outer(self, r: int, c: int) -> bool:
        """A total-row cell or a crosstab margin cell (chosen last as a complement)."""
        return r == self.total_row or (self.margin_col and c == self.n_col)


@dataclass
class _Known:
    """One table as a reader sees it: intervals of published cells, suppressed cells."""

    grid: _Grid
    lo: np.ndarray
    hi: np.ndarray
    suppressed: np.ndarray
    name: str


def _intervals(published: np.ndarray, suppressed: np.ndarray, structural: np.ndarray,
               base: int | None, threshold: int) -> tuple[np.ndarray, np.ndarray]:
    p = np.where(suppressed, 0, np.nan_to_num(published)).astype(np.int64)
    lo, hi = rounding_interval(p, base)
    lo = np.maximum(lo, threshold)          # published counts are >= threshold (SEC-D1)
    lo = np.where(structural, 0.0, lo)
    hi = np.where(structural, 0.0, hi)
    lo = np.where(suppressed, 0.0, lo)
    hi = np.where(suppressed, np.inf, hi)
    return lo, hi


def _var_key(grid: _Grid, table: int, r: int, c: int) -> tuple:
    """The variable of a cell: linked across tables by its labels.

    Total rows and margins are not linked (a label like "totaal" names no particular
    clients), unless the table says so (``link_total=True``): the yearly summary's total
    row ``(2024, "all")`` is the same clients in every grouping and in the overall table,
    so a total-row cell published in one table is known in all of them.
    """
    if r == grid.total_row and not grid.link_total:
        return ("total", table, r, grid.cols[c])
    return ("cell", grid.rows[r], grid.cols[c])


def _audit(tables: list[_Known], threshold: int
           ) -> tuple[pd.DataFrame, pd.DataFrame, dict[tuple, int], list[list[tuple[int, int]]]]:
    """Feasible interval of every suppressed cell of every table (linear programming).

    Returns the audit of the hidden cells, the audit of the rounded (published) counts of
    the first table (their feasible interval must be the whole rounding interval
    intersected with ``>= threshold``), the variable index of every (table, row, col) and
    the equalities as lists of (variable, coef).
    """
    index: dict[tuple, int] = {}
    cell_var: dict[tuple[int, int, int], int] = {}
    for t, k in enumerate(tables):
        for r in range(len(k.grid.rows)):
            for c in range(len(k.grid.cols)):
                key = _var_key(k.grid, t, r, c)
                cell_var[(t, r, c)] = index.setdefault(key, len(index))
    nv = len(index)
    lo = np.zeros(nv)
    hi = np.full(nv, np.inf)
    for (t, r, c), v in cell_var.items():
        lo[v] = max(lo[v], tables[t].lo[r, c])
        hi[v] = min(hi[v], tables[t].hi[r, c])
    if np.any(lo > hi):
        bad = [key for key, v in index.items() if lo[v] > hi[v]]
        raise DataError(
            "this table and an earlier published table disagree on the same cells "
            f"{bad[:3]}; rows are linked by their labels, so put the year (or the extract) "
            "among the `by` columns if the groups are not the same clients")
    eqs: list[list[tuple[int, int]]] = []
    ub: list[tuple[int, int]] = []
    for t, k in enumerate(tables):
        for eq in k.grid.equalities():
            eqs.append([(cell_var[(t, r, c)], coef) for r, c, coef in eq])
        for r in range(len(k.grid.rows)):
            for small, big in k.grid.subsets:
                ub.append((cell_var[(t, r, small)], cell_var[(t, r, big)]))
    a_eq = np.zeros((len(eqs), nv))
    for i, eq in enumerate(eqs):
        for v, coef in eq:
            a_eq[i, v] += coef
    a_ub = np.zeros((len(ub), nv))
    for i, (s, b) in enumerate(ub):
        a_ub[i, s] += 1
        a_ub[i, b] -= 1
    bounds = [(lo[v], None if math.isinf(hi[v]) else hi[v]) for v in range(nv)]
    lp = {"A_eq": a_eq if len(eqs) else None, "b_eq": np.zeros(len(eqs)) if len(eqs) else None,
          "A_ub": a_ub if len(ub) else None, "b_ub": np.zeros(len(ub)) if len(ub) else None,
          "bounds": bounds, "method": "highs"}

    def extreme(v: int, sign: float) -> float:
        cvec = np.zeros(nv)
        cvec[v] = sign
        res = linprog(cvec, **lp)
        if res.status == 3:
            return math.inf
        if res.status != 0:
            raise DataError(
                "the published cells of this table (and the earlier tables given as "
                f"`previous`) are inconsistent; linprog: {res.message}")
        # counts are integers: the integer bound is what a reader can really conclude.  It
        # equals the LP bound when the LP's optimal point is whole; otherwise it can be
        # tighter, also where the LP bound itself is a whole number (w = n = y + z with
        # y = z: the LP reaches an odd n at y = z = 8.5), so the integer programme is solved.
        # The LP bound (wider, on the safe side) stays only if the solver gives up.
        if np.any(np.abs(res.x - np.round(res.x)) > 1e-7):
            mip = linprog(cvec, integrality=np.ones(nv), **lp)
            if mip.status == 0:
                res = mip
        return float(sign * res.fun)

    done: dict[int, tuple[float, float]] = {}
    rows = []
    for t, k in enumerate(tables):
        for r, c in zip(*np.nonzero(k.suppressed), strict=True):
            v = cell_var[(t, int(r), int(c))]
            if v not in done:
                done[v] = (extreme(v, 1.0), extreme(v, -1.0))
            low, up = done[v]
            rows.append({"table": k.name, "row": _row_text(k.grid.rows[r]),
                         "column": k.grid.cols[c], "lower": low, "upper": up,
                         "width": up - low, "passed": bool(up - low >= threshold - 1e-9),
                         "_t": t, "_r": int(r), "_c": int(c), "_v": v})
    cols = ["table", "row", "column", "lower", "upper", "width", "passed", "_t", "_r", "_c", "_v"]
    audit = pd.DataFrame(rows, columns=cols)
    audit = audit.astype({"lower": float, "upper": float, "width": float, "passed": bool})
    # rounded (published) counts of this table: what a reader can conclude must not be
    # narrower than the rounding rule itself (rounding interval intersected with >= threshold)
    k = tables[0]
    published = ~k.suppressed & np.isfinite(k.hi) & (k.hi > k.lo)
    rrows = []
    for r, c in zip(*np.nonzero(published), strict=True):
        v = cell_var[(0, int(r), int(c))]
        if v not in done:
            done[v] = (extreme(v, 1.0), extreme(v, -1.0))
        low, up = done[v]
        e_lo, e_hi = float(k.lo[r, c]), float(k.hi[r, c])
        rrows.append({"table": k.name, "row": _row_text(k.grid.rows[r]), "column": k.grid.cols[c],
                      "lower": low, "upper": up, "expected_lower": e_lo, "expected_upper": e_hi,
                      "passed": bool(low <= e_lo + 1e-9 and up >= e_hi - 1e-9),
                      "_t": 0, "_r": int(r), "_c": int(c), "_v": v})
    rcols = ["table", "row", "column", "lower", "upper", "expected_lower", "expected_upper",
             "passed", "_t", "_r", "_c", "_v"]
    rounded = pd.DataFrame(rrows, columns=rcols).astype(
        {"lower": float, "upper": float, "expected_lower": float, "expected_upper": float,
         "passed": bool})
    return audit, rounded, cell_var, eqs


def _row_text(key: tuple) -> str:
    return " | ".join(str(k) for k in key)


def _protect(
    grid: _Grid,
    values: np.ndarray,
    *,
    threshold: int,
    base: int | None,
    attribute_n: int,
    structural: np.ndarray,
    whole_rows: bool,
    attribute_pairs: list[tuple[int, int]],
    previous: Sequence[_Known] = (),
    secondary: bool = True,
) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame]:
    """Suppression reasons (array of str, "" = published), the audit of the hidden cells and
    the audit of the rounded (published) counts.

    A rounded count that the table's additivity narrows below its rounding interval
    (intersected with ``>= threshold``) is treated like a failing hidden cell: a further
    cell of its constraints (possibly the count itself) is hidden, smallest first.

    The engine behind :func:`disclosure_control`; ``threshold`` is not checked here, so
    reference examples with other thresholds (GaussSuppression's ``maxN``) can run.
    """
    nr, nc = values.shape
    reason = np.full((nr, nc), "", dtype=object)
    reason[structural] = "structural_zero"
    small = (values < threshold) & ~structural
    reason[small] = "primary"
    # a row whose n is below the threshold needs no extra step: its counts are <= n (checked
    # by _groups), so they are below the threshold too and already primary
    # SEC-D4: 0 % or 100 % of a small group, on true or on rounded figures
    rounded = round_half_up(values, base)
    for num, den in attribute_pairs:
        for r in range(nr):
            if reason[r, num] or reason[r, den] or values[r, den] >= attribute_n:
                continue
            extreme = values[r, num] in (0, values[r, den]) or rounded[r, num] in (
                0, rounded[r, den])
            if extreme:
                reason[r, num] = "attribute"

    known_before = np.zeros((nr, nc), dtype=bool)     # published in an earlier report
    prev_vars: set[tuple] = set()
    for k in previous:
        for r, c in zip(*np.nonzero(~k.suppressed), strict=True):
            prev_vars.add(_var_key(k.grid, -1, int(r), int(c)))
    for r in range(nr):
        for c in range(nc):
            if _var_key(grid, 0, r, c) in prev_vars:
                known_before[r, c] = True

    def hide(r: int, c: int) -> None:
        if whole_rows and c == grid.n_col:
            free = (reason[r] == "") & ~structural[r]
            reason[r, free] = "secondary"
        reason[r, c] = "secondary"

    def candidates(cells: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        ok = [(r, c) for r, c in cells
              if reason[r, c] == "" and not known_before[r, c]]
        return sorted(ok, key=lambda rc: (grid.is_outer(*rc), values[rc], rc))

    eqs = grid.equalities()

    def margin_rule() -> None:
        changed = True
        while changed:
            changed = False
            for eq in eqs:
                cells = [(r, c) for r, c, _ in eq]
                hidden = [rc for rc in cells if reason[rc] not in ("", "structural_zero")]
                if len(hidden) == 1:
                    cand = candidates(cells)
                    if cand:
                        hide(*cand[0])
                        changed = True

    def known_current() -> _Known:
        supp = np.isin(reason, ["primary", "secondary", "attribute"])
        pub = np.where(supp, np.nan, rounded.astype(float))
        lo, hi = _intervals(pub, supp, structural, base, threshold)
        return _Known(grid, lo, hi, supp, "current")

    if secondary:
        margin_rule()
    while True:
        audit, rounded_audit, cell_var, lin = _audit([known_current(), *previous], threshold)
        failing = audit.loc[~audit["passed"], "_v"].tolist()
        narrowed = rounded_audit.loc[~rounded_audit["passed"], "_v"].tolist()
        if not (failing or narrowed) or not secondary:
            break
        var_cells: dict[int, list[tuple[int, int]]] = {}
        for (t, r, c), v in cell_var.items():
            if t == 0:
                var_cells.setdefault(v, []).append((r, c))
        def complement(v: int, own: bool, var_cells: dict = var_cells,
                       lin: list = lin) -> tuple[int, int] | None:
            """A cell to hide for variable ``v``: itself (a narrowed rounded count: hiding
            cells around it would widen it only by chance), else the smallest free cell of
            its sums, else (the bound comes from a row's inequalities: count <= n, returned
            <= issued) a cell of the rows involved (``n`` hides its row)."""
            mine = list(var_cells.get(int(v), []))
            cells = list(mine)
            for eq in lin:
                if any(u == v for u, _ in eq):
                    for u, _ in eq:
                        cells.extend(var_cells.get(u, []))
            cand = ((candidates(mine) if own else []) or candidates(cells)
                    or candidates([(r, c) for r in {r for r, _ in cells} for c in range(nc)]))
            return cand[0] if cand else None

        picked = None
        for v, own in [*((v, True) for v in narrowed), *((v, False) for v in failing)]:
            picked = complement(v, own)
            if picked is not None:
                break
        if picked is None:
            break
        hide(*picked)
        margin_rule()
    audit.attrs.clear()
    return reason, audit, rounded_audit


# -- result ------------------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class DisclosureResult(Result):
    """Result of :func:`disclosure_control`.

    What may be published is :attr:`published`, :attr:`display`, :meth:`public_table` and
    :meth:`to_dict`; the reasons and the audits (:attr:`mask`, :attr:`audit`,
    :attr:`rounded_audit`, :meth:`internal_dict`) tell a reader which hidden cells are small
    and belong in the internal folder of a run only.

    Attributes
    ----------
    published : DataFrame
        The table to publish: label columns, rounded counts, whole percentages and the
        statistics at publication precision; hidden cells are NaN.  Same shape as the input
        (groups: columns in the order label columns, ``n``, counts, percentages,
        statistics; crosstab: the input's rows and columns, margins included).
    mask : DataFrame (internal)
        Same shape: ``""`` where the cell is published as is, else one of
        ``"primary"``, ``"secondary"``, ``"attribute"``, ``"structural_zero"``
        (published as 0).
    audit : DataFrame (internal)
        One row per hidden count cell of this table and of the ``previous`` tables:
        ``table, row, column, lower, upper, width, passed``; the interval is what a reader
        can derive from everything published.
    rounded_audit : DataFrame (internal)
        One row per published rounded count of this table: ``lower, upper`` (what a reader
        can derive) and ``expected_lower, expected_upper`` (the rounding interval
        intersected with ``>= threshold``); ``passed`` when the first is not narrower.
    meta : dict
        The parameters (threshold, rounding base and rule, attribute_n, layout, columns),
        their sources, counts of hidden cells per reason (internal) and ``audit_passed``.
        Deliberately no ``n_original``: an unrounded count is not publishable.
    display : DataFrame (property)
        ``published`` as strings, same columns: counts ``"40"``, percentages ``"38%"``,
        statistics with their decimals, ``"x"`` for every hidden cell whatever the reason,
        ``"0"`` (structural zero).  :meth:`format` gives the same with Dutch or English
        column labels (and a decimal comma in Dutch).
    passed : bool (property)
        The audit result; :meth:`to_dict` refuses to export a table that failed.
    """

    published: pd.DataFrame = field(default_factory=pd.DataFrame)
    mask: pd.DataFrame = field(default_factory=pd.DataFrame)
    audit: pd.DataFrame = field(default_factory=pd.DataFrame)
    rounded_audit: pd.DataFrame = field(default_factory=pd.DataFrame)

    title = "Disclosure control"

    @property
    def passed(self) -> bool:
        """True when every hidden cell's feasible interval is >= threshold wide and no
        rounded count is narrowed below its rounding interval."""
        return bool(self.meta.get("audit_passed", False))

    def summary(self) -> pd.DataFrame:
        """The published numeric table (hidden cells NaN)."""
        return self.published.copy()

    def public_table(self) -> pd.DataFrame:
        """The published table as a file carries it: counts and percentages as whole
        numbers, statistics at their decimals, every hidden cell ``"x"``.

        >>> import pandas as pd
        >>> t = pd.DataFrame({"g": ["a", "b", "all"], "n": [42, 30, 72], "k": [3, 17, 20]})
        >>> disclosure_control(t, by="g", counts=["k"], total="all").public_table()
             g   n   k
        0    a  40   x
        1    b  30   x
        2  all  70  20
        """
        pub, meta = self.published, self.meta
        whole = set(meta.get("count_columns", [])) | set(meta.get("percentages", {}))
        labels = set(meta.get("by", []))
        out = pub.astype(object).copy()
        for col in pub.columns:
            if col in labels:
                continue
            v = pub[col]
            if col in whole or meta.get("layout") == "crosstab":
                out[col] = [HIDDEN_SYMBOL if pd.isna(x) else int(x) for x in v]
            else:
                out[col] = [HIDDEN_SYMBOL if pd.isna(x) else float(x) for x in v]
        return out

    @property
    def display(self) -> pd.DataFrame:
        """The published table as strings, snake_case columns, decimal point."""
        return self._strings("en", None)

    def format(self, lang: Lang = "nl", digits: int | None = None) -> pd.DataFrame:
        """Display table with labelled columns; Dutch uses a decimal comma.

        ``digits=None``: each statistic with its publication precision.
        """
        s = self._strings(lang, digits)
        keep = self.meta.get("total")     # the margin column keeps the caller's label
        return s.rename(columns=lambda c: c if c == keep else label(str(c), lang))

    def _strings(self, lang: Lang, digits: int | None) -> pd.DataFrame:
        pub, mask, meta = self.published, self.mask, self.meta
        counts = set(meta.get("count_columns", []))
        pcts = set(meta.get("percentages", {}))
        labels = set(meta.get("by", []))
        decimals = meta.get("statistics_digits", {})
        out = pd.DataFrame(index=pub.index, columns=pub.columns, dtype=object)
        for col in pub.columns:
            for i in pub.index:
                why, v = mask.at[i, col], pub.at[i, col]
                if col in labels:
                    text = str(v)
                elif why in _HIDDEN_REASONS or pd.isna(v):
                    text = HIDDEN_SYMBOL       # one symbol for every unpublished cell
                elif col in counts or meta.get("layout") == "crosstab":
                    text = str(int(v))
                elif col in pcts:
                    text = percent(v, lang, proportion=False)
                else:
                    text = number(v, lang, decimals.get(col, 2) if digits is None else digits)
                out.at[i, col] = text
        return out

    def methods_text(self, lang: Lang = "nl") -> str:
        """The methods sentence for the report (SEC-D7), in Dutch or English.

        It explains the hidden symbol once (:func:`hidden_note`) and says nothing about
        which hidden cells are small.
        """
        m = self.meta
        t, b, a = m["threshold"], m["rounding_base"], m["attribute_n"]
        if lang == "nl":
            parts = [f"Om herleiding naar individuele cliënten te voorkomen zijn geen cijfers "
                     f"gepubliceerd voor groepen of cellen met minder dan {t} cliënten, en zijn "
                     f"zo nodig meer cellen afgeschermd zodat zo'n klein aantal niet uit totalen, "
                     f"andere cellen of eerdere jaarrapportages kan worden afgeleid "
                     f"(gecontroleerd met lineaire programmering). "
                     f"{hidden_note('nl', t)}."]
            if b:
                parts.append(f"Aantallen, ook totalen, zijn afzonderlijk afgerond op een veelvoud "
                             f"van {b} (helft naar boven), zodat totalen kunnen afwijken van de "
                             f"som van de cellen.")
            parts.append(f"Percentages zijn berekend uit de gepubliceerde aantallen, in hele "
                         f"procenten en alleen bij een gepubliceerde noemer; 0% of 100% "
                         f"bij minder dan {a} cliënten wordt niet getoond.")
            parts.append(f"Gemiddelden en effectgroottes zijn berekend op de niet-afgeronde "
                         f"gegevens, afgerond gepubliceerd (rapportcijfer op één decimaal, "
                         f"effectgroottes op twee) en alleen waar het aantal cliënten erachter "
                         f"(ten minste {t}) gepubliceerd is.")
        else:
            parts = [f"To prevent identification of individual clients, no figures are "
                     f"published for groups or cells of fewer than {t} clients, and further "
                     f"cells are hidden where needed so that such a small number cannot be "
                     f"derived from totals, other cells or earlier yearly reports (checked by "
                     f"linear programming). {hidden_note('en', t)}."]
            if b:
                parts.append(f"Counts, totals included, are rounded separately to a multiple of "
                             f"{b} (halves up), so totals may differ from the sum of the cells.")
            parts.append(f"Percentages are computed from the published counts, as whole "
                         f"percentages and only with a published denominator; 0% or 100% "
                         f"is not shown for groups of fewer than {a} clients.")
            parts.append(f"Means and effect sizes are computed on unrounded data, published "
                         f"rounded (mean grade to one decimal, effect sizes to two) and only "
                         f"where the number of clients behind them (at least {t}) is published.")
        return " ".join(parts)

    def _meta_lines(self) -> list[str]:
        m = self.meta
        return [f"threshold: {m.get('threshold')}, rounding_base: {m.get('rounding_base')}, "
                f"attribute_n: {m.get('attribute_n')}",
                f"suppressed: {m.get('suppressed')}", f"audit_passed: {m.get('audit_passed')}"]

    def __repr__(self) -> str:
        return "\n".join([self.title, *self._meta_lines(), self.display.to_string()])

    def _records(self, df: pd.DataFrame) -> Any:
        whole = set(self.meta.get("count_columns", [])) | set(self.meta.get("percentages", {}))
        if self.meta.get("layout") == "crosstab":
            df = df.rename_axis(self.meta["row_label"]).reset_index()
        out = jsonable(df)
        for rec in out:          # counts and percentages are whole numbers: JSON ints
            for k, v in rec.items():
                if k in whole and isinstance(v, float) and v.is_integer():
                    rec[k] = int(v)
        return out

    def public_mask(self) -> pd.DataFrame:
        """Same shape as :attr:`mask`, without reasons: ``"x"`` hidden, ``"structural_zero"``
        (published as 0, a reader knows it is 0 by definition), ``""`` published."""
        m = self.mask.copy()
        labels = set(self.meta.get("by", []))
        for col in m.columns:
            if col not in labels:
                m[col] = ["structural_zero" if x == "structural_zero" else
                          HIDDEN_SYMBOL if x in _HIDDEN_REASONS or pd.isna(p) else ""
                          for x, p in zip(m[col], self.published[col], strict=True)]
        return m

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe *publishable* content only; refuses when the audit failed.

        ``published`` (hidden cells ``null``), ``display``, the public mask (``"x"`` /
        ``"structural_zero"`` / ``""``), the rules (``meta`` without the count of hidden
        cells per reason) and the methods text.  No reasons, no audit: those tell a reader
        which hidden cells are small (:meth:`internal_dict` holds them).  A later year reads
        this back as ``previous=``.
        """
        if not self.passed:
            raise DisclosureError("the disclosure audit failed: this table may not be published "
                                  "(see .audit); run with secondary=True or merge categories")
        meta = {k: v for k, v in self.meta.items() if k not in _INTERNAL_META}
        return {"title": self.title, "meta": jsonable(meta),
                "published": self._records(self.published),
                "display": self._records(self.display),
                "mask": self._records(self.public_mask()),
                "methods": {"nl": self.methods_text("nl"), "en": self.methods_text("en")}}

    def internal_dict(self) -> dict[str, Any]:
        """Everything, for the run's internal folder: reasons, both audits, full meta."""
        return {"title": self.title, "meta": jsonable(self.meta),
                "published": self._records(self.published),
                "mask": self._records(self.mask), "audit": jsonable(self.audit),
                "rounded_audit": jsonable(self.rounded_audit)}


# -- input checks ------------------------------------------------------------------------------
def _check_counts(frame: pd.DataFrame, cols: Sequence[Hashable], row_names: list[str]
                  ) -> np.ndarray:
    out = np.zeros((len(frame), len(cols)), dtype=np.int64)
    for j, col in enumerate(cols):
        s = frame[col]
        if s.dtype == bool or not (pd.api.types.is_numeric_dtype(s) or s.dtype == object):
            raise DataError("counts must be numeric", column=str(col),
                            value=f"dtype {s.dtype}",
                            expected="a numeric column of whole numbers >= 0")
        for i, v in enumerate(s.tolist()):
            bad = isinstance(v, bool) or not isinstance(v, (int, float, np.number))
            if not bad:
                bad = (pd.isna(v) or not float(v).is_integer() or float(v) < 0)
            if bad:
                raise DataError(f"group {row_names[i]!r}", column=str(col), value=v,
                                expected="a whole number >= 0 (counts may not be missing)")
            out[i, j] = int(v)
    return out


def _previous_known(prev: Any, i: int, layout: str, threshold_now: int) -> _Known:
    name = f"previous[{i}]"
    if isinstance(prev, DisclosureResult):
        meta, published, mask = prev.meta, prev.published, prev.mask
        if not prev.passed:
            raise ArgumentError(name, "a result whose audit failed", "a published table")
    elif isinstance(prev, Mapping) and "meta" in prev and "published" in prev:
        meta = prev["meta"]
        published = pd.DataFrame(prev["published"])
        mask = pd.DataFrame(prev.get("mask", [])) if prev.get("mask") else None
        if meta.get("layout") == "crosstab":
            published = published.set_index(meta["row_label"])
            mask = mask.set_index(meta["row_label"]) if mask is not None else None
    else:
        raise ArgumentTypeError(name, prev, "a DisclosureResult or its .to_dict() "
                                "(as stored in last year's results.json)")
    if meta.get("layout") != layout:
        raise ArgumentError(f"{name} layout", meta.get("layout"), f"{layout!r}, as this table")
    spec = _spec_from_meta(meta, published)
    grid, cols = spec
    sub = published.loc[:, cols] if layout == "crosstab" else published[cols]
    vals = sub.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    supp = np.isnan(vals)
    if mask is not None:
        m = (mask.loc[:, cols] if layout == "crosstab" else mask[cols]).to_numpy()
        structural = m == "structural_zero"
    else:
        structural = np.zeros_like(supp)
    lo, hi = _intervals(vals, supp, structural, meta.get("rounding_base"),
                        int(meta.get("threshold", threshold_now)))
    return _Known(grid, lo, hi, supp, name)


def _spec_from_meta(meta: Mapping[str, Any], published: pd.DataFrame) -> tuple[_Grid, list]:
    if meta["layout"] == "crosstab":
        total = meta.get("total")
        cols = [c for c in published.columns]
        rows = [(i,) for i in published.index]
        total_row = next((k for k, i in enumerate(published.index) if i == total), None)
        n_col = cols.index(total) if total in cols else None
        parts = [(n_col, [k for k in range(len(cols)) if k != n_col])] if n_col is not None else []
        return _Grid(rows, [str(c) for c in cols], total_row, n_col, True, parts, []), cols
    by = list(meta["by"])
    cols = [meta["n"], *meta["counts"]]
    rows = [tuple(r) for r in published[by].itertuples(index=False, name=None)]
    total = meta.get("total")
    total_row = None
    if total is not None:
        hits = [k for k, r in enumerate(rows)
                if all(r[by.index(c)] == v for c, v in total.items())]
        total_row = hits[0] if len(hits) == 1 else None
    parts = [(cols.index(w), [cols.index(p) for p in ps]) for w, ps in meta["parts"].items()]
    subsets = [(k, 0) for k in range(1, len(cols))]
    subsets += [(cols.index(nu), cols.index(de)) for nu, de in meta["percentages"].values()
                if de != meta["n"]]
    return _Grid(rows, cols, total_row, 0, False, parts, subsets,
                 bool(meta.get("link_total", False))), cols


# -- the verb ------------------------------------------------------------------------------------
def disclosure_control(
    table: pd.DataFrame,
    *,
    layout: Literal["groups", "crosstab"] = "groups",
    by: str | Sequence[str] | None = None,
    n: str = "n",
    counts: Sequence[str] = (),
    percentages: Mapping[str, tuple[str, str]] | None = None,
    statistics: Sequence[str] = (),
    parts: Mapping[str, Sequence[str]] | None = None,
    total: Any = None,
    structural_zeros: Sequence[tuple[Any, Any]] = (),
    threshold: int = 10,
    rounding_base: int | None = 5,
    attribute_n: int = 20,
    previous: Sequence[Any] = (),
    secondary: bool = True,
    lang: Lang = "nl",
    link_total: bool = False,
) -> DisclosureResult:
    """Make a table safe to publish: suppression, rounding, secondary suppression, audit.

    Parameters
    ----------
    table : DataFrame
        ``layout="groups"``: one row per group (label columns ``by``), an optional total
        row, the client count ``n``, further ``counts`` (clients of the row's group, so
        0 <= count <= n) and ``statistics`` that belong to the row's n.
        ``layout="crosstab"``: a two-way count table, index = groups, columns =
        categories, optionally with a margin row and column named ``total`` (as
        ``pd.crosstab(..., margins=True, margins_name=total)`` makes it).
    layout : {"groups", "crosstab"}
    by : str or list of str
        Groups layout: the label columns (diagnosis, care type, year); never suppressed.
    n : str
        Groups layout: the column with the group's number of clients.
    counts : list of str
        Groups layout: count columns (``n_recovered``, ``n_improved`` ...).
    percentages : dict
        ``{column: (numerator, denominator)}`` with both among ``n`` and ``counts``; the
        column is (re)computed from the rounded published counts.
    statistics : list of str or dict
        Means, SDs, effect sizes, CI limits: published only where the row's ``n`` is
        published, rounded half up to publication precision: ``{column: decimals}``, or a
        list (2 decimals each).  Names like ``min``/``max``/``range`` are refused (SEC-D5).
    parts : dict
        Groups layout: ``{whole: [part, ...]}`` for count columns that add up in every
        row, e.g. ``{"n": ["n_recovered", "n_improved", "n_unchanged",
        "n_deteriorated"]}`` when the categories are exhaustive.  Declare it: a reader
        knows it, and the audit must too.
    total : label or dict
        Groups layout: the value of the first ``by`` column that marks the total row, or
        ``{column: value}``; the total row must equal the sum of the groups.  Crosstab:
        the name of the margin row and column.
    structural_zeros : list of (row, column)
        Cells that are zero by definition; published as 0.  ``row`` is the group label
        (a tuple with several ``by`` columns) or the crosstab's index label.
    threshold : int
        SEC-D1 threshold, default 10, never below 5.
    rounding_base : int or None
        SEC-D2 rounding base (default 5, at most ``threshold``); None = no rounding.
    attribute_n : int
        SEC-D4: 0 %/100 % is suppressed in groups smaller than this (default 20).
    previous : list
        Earlier years' published versions of this table: :class:`DisclosureResult`
        objects or their ``.to_dict()`` (as read from last year's ``results.json``).
    secondary : bool
        Secondary suppression on (default).  ``False`` only shows what the primary rules
        alone would give; such a result fails the audit where cells are derivable and
        its ``to_dict`` refuses.
    lang : {"nl", "en"}
        Language of the notebook display.
    link_total : bool
        Groups layout: link the total row to the ``previous`` tables by its labels, like
        any row (default: a total row is never linked).  For a total that is the same
        clients in several published tables (the yearly summary's groupings).

    Returns
    -------
    DisclosureResult

    Raises
    ------
    ArgumentError, ArgumentTypeError
        Invalid parameters (message names the argument, the value and what was expected).
    DataError
        Counts missing, negative, non-integer, larger than n; totals or parts that do not
        add up; an earlier table that contradicts this one.
    DisclosureError
        Secondary suppression cannot make the table safe (merge categories).

    Notes
    -----
    Size: 17 parameters, two over the house limit of 15, kept on purpose: the table's shape
    (``layout, by, n, counts, percentages, statistics, parts, total, structural_zeros``) must be
    described in full for the audit to see every published figure, and the rules
    (``threshold, rounding_base, attribute_n, previous, secondary``) are the practice's params
    (``link_total`` says which published tables share their total row),
    each printed in the report.

    The audit works on the numbers a reader has: for a published count ``p`` the true
    value is in its rounding interval and at least ``threshold``; suppressed cells are only
    known to be >= 0; structural zeros are 0.  Intervals are linear-programming bounds;
    where the LP's optimum is not at a whole-number point the integer programme is solved as
    well (its bound can be tighter even where the LP bound is whole), so the interval is
    what a reader can conclude about a whole number of clients (for a 2-way table with
    margins the LP bounds are already integral).  Because every hidden cell shows the same
    ``"x"``, a reader knows of a hidden cell only that it is >= 0 (and <= its whole), which
    is what the audit assumes; a "< 10" label would add an upper bound of 9.

    Rounded counts are audited too (``rounded_audit``): the table's additivity must not
    narrow what a reader can conclude about a published count below its rounding interval
    intersected with ``>= threshold``; a count that is narrowed gets a complementary
    suppression like a failing hidden cell.  Percentages come from the published counts
    and add nothing; statistics are published at ``statistics``' decimals (half up),
    whose consistency with the counts behind them the caller checks (the yearly summary
    checks the mean grade and the effect size's CI, see
    :meth:`effectstudy.reports.yearly.KeyFigures.published`).

    Statistics: a total row's mean is the n-weighted mean of the groups' means, so a hidden
    group's mean could be worked out if it were the only one hidden; because a hidden ``n``
    always has a hidden partner row (the margin rule), only the pooled mean of at least two
    hidden groups can be approximated.  Percentages are never computed from a hidden count,
    and from published counts they add nothing a reader could not compute.

    A caller's total that differs from the sum of the groups is an error, not a warning:
    the difference is itself a group (e.g. clients without a diagnosis) that would be
    published unprotected; add it as a row.

    Examples
    --------
    A diagnosis x outcome table with margins (layout="crosstab"):

    >>> import pandas as pd
    >>> import effectstudy as es
    >>> ct = pd.DataFrame({"recovered": [20, 3, 12], "improved": [15, 9, 14],
    ...                    "unchanged": [11, 12, 10]},
    ...                   index=pd.Index(["depressie", "angst", "ptss"], name="diagnosis"))
    >>> ct["totaal"] = ct.sum(axis=1)
    >>> ct.loc["totaal"] = ct.sum()
    >>> r = es.disclosure_control(ct, layout="crosstab", total="totaal", rounding_base=None)
    >>> r.display
              recovered improved unchanged totaal
    diagnosis
    depressie        20       15        11     46
    angst             x        x        12     24
    ptss              x        x        10     36
    totaal           35       38        33    106
    """
    if not isinstance(table, pd.DataFrame):
        raise ArgumentTypeError("table", table, "a pandas DataFrame")
    if layout not in ("groups", "crosstab"):
        raise ArgumentError("layout", layout, "'groups' or 'crosstab'")
    threshold = check_int(threshold, "threshold", 5,
                          expected="an integer >= 5 (SEC-D1: the threshold is never below 5)")
    if rounding_base is not None:
        rounding_base = check_int(rounding_base, "rounding_base", 1,
                                  expected=f"None or an integer from 1 to threshold ({threshold})")
        if rounding_base > threshold:
            raise ArgumentError("rounding_base", rounding_base,
                                f"None or an integer from 1 to threshold ({threshold})")
    attribute_n = check_int(attribute_n, "attribute_n", threshold,
                            expected=f"an integer >= threshold ({threshold})")
    if not isinstance(secondary, bool):
        raise ArgumentTypeError("secondary", secondary, "True or False")
    check_lang(lang)
    if isinstance(previous, (DisclosureResult, Mapping)):
        previous = [previous]
    if not isinstance(previous, Sequence) or isinstance(previous, str):
        raise ArgumentTypeError("previous", previous, "a list of earlier results")

    if layout == "crosstab":
        return _crosstab(table, total=total, structural_zeros=structural_zeros,
                         threshold=threshold, base=rounding_base, attribute_n=attribute_n,
                         previous=previous, secondary=secondary, lang=lang,
                         other=dict(by=by, counts=counts, percentages=percentages,
                                    statistics=statistics, parts=parts))
    if not isinstance(link_total, bool):
        raise ArgumentTypeError("link_total", link_total, "True or False")
    return _groups(table, by=by, n=n, counts=counts, percentages=percentages,
                   statistics=statistics, parts=parts, total=total,
                   structural_zeros=structural_zeros, threshold=threshold,
                   base=rounding_base, attribute_n=attribute_n, previous=previous,
                   secondary=secondary, lang=lang, link_total=link_total)


def _meta(**kw: Any) -> dict[str, Any]:
    return base_meta("cell_suppression", rounding="half_up", sources=SOURCES, **kw)


def _finish(reason: np.ndarray, audit: pd.DataFrame, rounded_audit: pd.DataFrame,
            secondary: bool) -> tuple[bool, dict]:
    passed = bool(audit["passed"].all()) and bool(rounded_audit["passed"].all())
    if not passed and secondary:
        bad = pd.concat([audit[~audit["passed"]], rounded_audit[~rounded_audit["passed"]]]).head(5)
        cells = ", ".join(f"{t} {r!r}/{c} [{lo:g}, {hi:g}]" for t, r, c, lo, hi in
                          bad[["table", "row", "column", "lower", "upper"]].itertuples(
                              index=False, name=None))
        raise DisclosureError(
            f"secondary suppression cannot protect this table: suppressed cells can be "
            f"narrowed below the threshold ({cells}); merge small groups or categories")
    flat = [x for x in reason.ravel().tolist() if x]
    counts = {k: flat.count(k) for k in REASONS if flat.count(k)}
    return passed, counts


def _crosstab(table: pd.DataFrame, *, total: Any, structural_zeros: Sequence, threshold: int,
              base: int | None, attribute_n: int, previous: Sequence, secondary: bool,
              lang: Lang, other: dict[str, Any]) -> DisclosureResult:
    for key, val in other.items():
        if val not in (None, (), [], {}, "n"):
            raise ArgumentError(key, val, "not set with layout='crosstab' (counts only)")
    if isinstance(table.index, pd.MultiIndex) or isinstance(table.columns, pd.MultiIndex):
        raise ArgumentError("table", "a crosstab with a MultiIndex",
                            "one row and one column dimension (for more dimensions use "
                            "layout='groups' with by=[...])")
    if not table.index.is_unique or not table.columns.is_unique:
        raise DataError("crosstab: row and column labels must be unique",
                        value=[*table.index[table.index.duplicated()],
                               *table.columns[table.columns.duplicated()]])
    if total is not None and total not in table.index and total not in table.columns:
        raise ArgumentError("total", total, "the label of the margin row and/or column "
                            f"(rows {list(table.index)}, columns {list(table.columns)})")
    names = [str(i) for i in table.index]
    values = _check_counts(table, list(table.columns), names)
    cols = list(table.columns)
    total_row = list(table.index).index(total) if total in table.index else None
    n_col = cols.index(total) if total in cols else None
    inner_r = [r for r in range(len(names)) if r != total_row]
    inner_c = [c for c in range(len(cols)) if c != n_col]
    if n_col is not None:
        sums = values[:, inner_c].sum(axis=1)
        bad = np.nonzero(sums != values[:, n_col])[0]
        if len(bad):
            raise DataError(f"margin column does not equal the sum of the row for "
                            f"{names[bad[0]]!r}", column=str(total),
                            value=int(values[bad[0], n_col]), expected=str(int(sums[bad[0]])))
    if total_row is not None:
        sums = values[inner_r].sum(axis=0)
        bad = np.nonzero(sums != values[total_row])[0]
        if len(bad):
            raise DataError(f"margin row {total!r} does not equal the sum of the groups",
                            column=str(cols[bad[0]]), value=int(values[total_row, bad[0]]),
                            expected=str(int(sums[bad[0]])))
    structural = _structural(structural_zeros, list(table.index), cols, values)
    parts = [(n_col, inner_c)] if n_col is not None else []
    grid = _Grid([(i,) for i in table.index], [str(c) for c in cols], total_row, n_col,
                 True, parts, [])
    attribute_pairs = [(c, n_col) for c in inner_c] if n_col is not None else []
    prev = [_previous_known(p, i, "crosstab", threshold) for i, p in enumerate(previous)]
    reason, audit, rounded_audit = _protect(
        grid, values, threshold=threshold, base=base, attribute_n=attribute_n,
        structural=structural, whole_rows=False, attribute_pairs=attribute_pairs,
        previous=prev, secondary=secondary)
    passed, n_reason = _finish(reason, audit, rounded_audit, secondary)
    rounded = round_half_up(values, base).astype(float)
    supp = np.isin(reason, ["primary", "secondary", "attribute"])
    published = pd.DataFrame(np.where(supp, np.nan, rounded), index=table.index, columns=cols)
    mask = pd.DataFrame(reason.astype(str), index=table.index, columns=cols)
    row_label = table.index.name if table.index.name is not None else "group"
    meta = _meta(layout="crosstab", threshold=threshold, rounding_base=base,
                 attribute_n=attribute_n, secondary=secondary, total=total,
                 row_label=row_label, count_columns=[str(c) for c in cols], by=[],
                 percentages={}, statistics=[],
                 structural_zeros=[list(z) for z in structural_zeros],
                 n_previous=len(prev), suppressed=n_reason, audit_passed=passed, lang=lang)
    return DisclosureResult(published=published, mask=mask,
                            audit=audit.drop(columns=["_t", "_r", "_c", "_v"]),
                            rounded_audit=rounded_audit.drop(columns=["_t", "_r", "_c", "_v"]),
                            meta=meta)


def _structural(zeros: Sequence, row_keys: list, cols: list, values: np.ndarray) -> np.ndarray:
    out = np.zeros(values.shape, dtype=bool)
    if isinstance(zeros, str) or not isinstance(zeros, Sequence):
        raise ArgumentTypeError("structural_zeros", zeros, "a list of (row, column) pairs")
    for z in zeros:
        if not isinstance(z, (tuple, list)) or len(z) != 2:
            raise ArgumentError("structural_zeros", z, "a (row, column) pair")
        row, col = z
        if row not in row_keys or col not in cols:
            raise ArgumentError("structural_zeros", z, "a (row, column) pair of the table's "
                                "count cells")
        r, c = row_keys.index(row), cols.index(col)
        if values[r, c] != 0:
            raise ArgumentError("structural_zeros", z, f"a cell that is 0 (it is "
                                f"{int(values[r, c])})")
        out[r, c] = True
    return out


def _groups(table: pd.DataFrame, *, by: Any, n: str, counts: Sequence[str],
            percentages: Mapping[str, tuple[str, str]] | None, statistics: Sequence[str],
            parts: Mapping[str, Sequence[str]] | None, total: Any, structural_zeros: Sequence,
            threshold: int, base: int | None, attribute_n: int, previous: Sequence,
            secondary: bool, lang: Lang, link_total: bool = False) -> DisclosureResult:
    by_cols = _as_list("by", by)
    if not by_cols:
        raise ArgumentError("by", by, "the label column(s) of the groups, e.g. 'diagnosis'")
    counts = _as_list("counts", counts)
    statistics = list(digits := _statistic_digits(statistics))
    percentages = dict(percentages or {})
    parts = {k: list(v) for k, v in (parts or {}).items()}
    count_cols = [n, *counts]
    for name, cols in (("by", by_cols), ("n", [n]), ("counts", counts),
                       ("statistics", statistics)):
        missing = [c for c in cols if c not in table.columns]
        if missing:
            raise ArgumentError(name, missing[0] if len(missing) == 1 else missing,
                                f"columns of the table ({list(table.columns)})")
    roles = by_cols + count_cols + list(percentages) + statistics
    dup = sorted({c for c in roles if roles.count(c) > 1})
    if dup:
        raise ArgumentError("columns", dup, "each column in one role only (by, n, counts, "
                            "percentages, statistics)")
    for col, spec in percentages.items():
        if (not isinstance(spec, (tuple, list)) or len(spec) != 2
                or any(s not in count_cols for s in spec)):
            raise ArgumentError(f"percentages[{col!r}]", spec,
                                f"a (numerator, denominator) pair among {count_cols}")
    for whole, ps in parts.items():
        if whole not in count_cols or not ps or any(p not in count_cols or p == whole
                                                    for p in ps):
            raise ArgumentError(f"parts[{whole!r}]", ps, f"count columns among {count_cols} "
                                "that add up to the whole")
    extreme = [c for c in statistics if _EXTREME.search(str(c))]
    if extreme:
        raise ArgumentError("statistics", extreme, "no minimum, maximum or range (SEC-D5: "
                            "extreme values are never published; use percentiles elsewhere)")
    for c in statistics:
        if not pd.api.types.is_numeric_dtype(table[c]) or table[c].dtype == bool:
            raise DataError("statistics must be numeric", column=str(c),
                            value=str(table[c].dtype), expected="a numeric column")

    keys = [tuple(r) for r in table[by_cols].itertuples(index=False, name=None)]
    if len(set(keys)) != len(keys):
        dups = [k for k in keys if keys.count(k) > 1]
        raise DataError("groups must be unique", column=", ".join(by_cols),
                        value=_row_text(dups[0]), expected="one row per group")
    names = [_row_text(k) for k in keys]
    values = _check_counts(table, count_cols, names)

    total_spec: dict[str, Any] | None = None
    total_row = None
    if total is not None:
        total_spec = dict(total) if isinstance(total, Mapping) else {by_cols[0]: total}
        if any(c not in by_cols for c in total_spec):
            raise ArgumentError("total", total, f"a label or a dict over the by columns "
                                f"{by_cols}")
        hits = [i for i, k in enumerate(keys)
                if all(k[by_cols.index(c)] == v for c, v in total_spec.items())]
        if len(hits) != 1:
            raise ArgumentError("total", total, f"a label matching exactly one row (found "
                                f"{len(hits)})")
        total_row = hits[0]
        inner = [i for i in range(len(keys)) if i != total_row]
        sums = values[inner].sum(axis=0)
        bad = np.nonzero(sums != values[total_row])[0]
        if len(bad):
            j = int(bad[0])
            raise DataError(
                f"total row {names[total_row]!r} does not equal the sum of the groups; the "
                "difference is a group of its own that would be published unprotected: add it "
                "as a row (e.g. 'onbekend')", column=count_cols[j],
                value=int(values[total_row, j]), expected=str(int(sums[j])))
    for j, col in enumerate(count_cols[1:], start=1):
        over = np.nonzero(values[:, j] > values[:, 0])[0]
        if len(over):
            raise DataError(f"group {names[over[0]]!r}: a count larger than n", column=col,
                            value=int(values[over[0], j]), expected=f"<= {n} "
                            f"({int(values[over[0], 0])})")
    for col, (num, den) in percentages.items():
        i_n, i_d = count_cols.index(num), count_cols.index(den)
        over = np.nonzero(values[:, i_n] > values[:, i_d])[0]
        if len(over):
            raise DataError(f"group {names[over[0]]!r}: numerator of {col!r} larger than its "
                            "denominator", column=num, value=int(values[over[0], i_n]),
                            expected=f"<= {den} ({int(values[over[0], i_d])})")
    for whole, ps in parts.items():
        w = count_cols.index(whole)
        sums = values[:, [count_cols.index(p) for p in ps]].sum(axis=1)
        bad = np.nonzero(sums != values[:, w])[0]
        if len(bad):
            raise DataError(f"group {names[bad[0]]!r}: parts {ps} do not add up", column=whole,
                            value=int(values[bad[0], w]), expected=str(int(sums[bad[0]])))

    row_keys = [k[0] if len(by_cols) == 1 else k for k in keys]
    structural = _structural(structural_zeros, row_keys, count_cols, values)
    structural[structural[:, 0]] = True     # a group empty by definition: its counts too
    grid = _Grid(keys, count_cols, total_row, 0, False,
                 [(count_cols.index(w), [count_cols.index(p) for p in ps])
                  for w, ps in parts.items()],
                 [(j, 0) for j in range(1, len(count_cols))]
                 + [(count_cols.index(nu), count_cols.index(de))
                    for nu, de in percentages.values() if de != n], link_total)
    pairs = [(j, 0) for j in range(1, len(count_cols))]
    pairs += [(count_cols.index(nu), count_cols.index(de)) for nu, de in percentages.values()
              if de != n]
    meta_prev = [_previous_known(p, i, "groups", threshold) for i, p in enumerate(previous)]
    reason, audit, rounded_audit = _protect(grid, values, threshold=threshold, base=base,
                                            attribute_n=attribute_n, structural=structural,
                                            whole_rows=True, attribute_pairs=pairs,
                                            previous=meta_prev, secondary=secondary)
    passed, _ = _finish(reason, audit, rounded_audit, secondary)

    # published table and mask, column by column
    rounded = round_half_up(values, base)
    supp = np.isin(reason, ["primary", "secondary", "attribute"])
    published = table[by_cols].copy()
    mask = table[by_cols].copy()
    for j, col in enumerate(count_cols):
        published[col] = np.where(supp[:, j], np.nan, rounded[:, j].astype(float))
        mask[col] = reason[:, j].astype(str)
    for col, (num, den) in percentages.items():
        i_n, i_d = count_cols.index(num), count_cols.index(den)
        vals, why = [], []
        for r in range(len(keys)):
            if supp[r, i_d] or supp[r, i_n] or values[r, i_d] < threshold:
                vals.append(np.nan)
                why.append(reason[r, i_d] or reason[r, i_n] or "primary")
            else:
                vals.append(float(_whole_pct(int(rounded[r, i_n]), int(rounded[r, i_d]))))
                why.append("")
        published[col] = vals
        mask[col] = why
    no_stats = supp[:, 0] | (values[:, 0] < threshold)
    for col in statistics:
        published[col] = np.where(no_stats, np.nan, round_statistic(
            table[col].to_numpy(dtype=float, na_value=np.nan), digits[col]))
        mask[col] = reason[:, 0].astype(str)
    flat = [x for x in mask[[c for c in mask.columns if c not in by_cols]].to_numpy().ravel()
            if x]
    n_reason = {k: flat.count(k) for k in REASONS if flat.count(k)}
    dropped = [str(c) for c in table.columns if c not in roles]
    meta = _meta(layout="groups", threshold=threshold, rounding_base=base,
                 attribute_n=attribute_n, secondary=secondary, by=by_cols, n=n,
                 counts=counts, count_columns=count_cols,
                 percentages={k: list(v) for k, v in percentages.items()},
                 statistics=statistics, statistics_digits=digits, parts=parts, total=total_spec,
                 structural_zeros=[list(z) for z in structural_zeros],
                 dropped_columns=dropped, n_previous=len(meta_prev), suppressed=n_reason,
                 link_total=link_total,
                 audit_passed=passed, lang=lang)
    return DisclosureResult(published=published.reset_index(drop=True),
                            mask=mask.reset_index(drop=True), audit=audit.drop(columns=_AUX),
                            rounded_audit=rounded_audit.drop(columns=_AUX), meta=meta)

