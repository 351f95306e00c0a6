"""A curious reader of a public yearly summary, written independently of the package.

It uses none of the package's disclosure code: it reads every published file of a run
folder (``tables/*.csv``, ``tables.xlsx``, ``results.json``, the HTML text) as a reader
would, collects every representation of every published cell, and derives with an integer
programme (:func:`scipy.optimize.milp`) the whole numbers of clients that are consistent with
all of it:

- counts: every published representation is a count rounded half up to the base and at
  least the threshold (the methods text says so); ``"x"`` (or an empty cell) says nothing;
- the table's structure, which the column names and the methods text tell: groups add up to
  the total row (the same total in every grouping), outcome categories add up to
  ``n_complete``, recovered + improved = reliably improved, every count <= ``n``,
  stagnated <= evaluable, returned <= issued <= ``n``;
- percentages: when they cannot be computed from the published counts they are a
  constraint on the true counts (``100 num / den`` within half a percent);
- Wilson intervals in the text: they must follow from published counts (else a leak);
- the mean grade (whole grades 1-10) and the count behind it; the effect size's CI and
  ``n_complete`` (Becker's ``b`` or ``d_z``, normal interval, Hedges' J).

:func:`attack` returns what the reader can conclude; :func:`assert_protected` checks that
no hidden count is known to within less than ``threshold`` and no rounded count more
narrowly than its rounding interval (intersected with ``>= threshold``).
"""

from __future__ import annotations

import html as _html
import json
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.special import gammaln
from scipy.stats import norm

COUNT_COLS = ["n", "n_complete", "n_recovered", "n_improved", "n_unchanged", "n_deteriorated",
              "n_harmed", "n_reliably_improved", "n_evaluable", "n_stagnated", "n_issued",
              "n_returned"]
SUMS = {"n_complete": ["n_recovered", "n_improved", "n_unchanged", "n_deteriorated", "n_harmed"],
        "n_reliably_improved": ["n_recovered", "n_improved"]}
LE = [(c, "n") for c in COUNT_COLS[1:]] + [("n_stagnated", "n_evaluable"), ("n_returned", "n_issued")]
PCTS = {"pct_complete": ("n_complete", "n"), "pct_recovered": ("n_recovered", "n_complete"),
        "pct_improved": ("n_improved", "n_complete"), "pct_unchanged": ("n_unchanged", "n_complete"),
        "pct_deteriorated": ("n_deteriorated", "n_complete"),
        "pct_reliably_improved": ("n_reliably_improved", "n_complete"),
        "pct_stagnated": ("n_stagnated", "n_evaluable"), "pct_returned": ("n_returned", "n_issued")}
TOTAL = "all"
HIDDEN = {"x", "", "nan", "none", "–"}


def _text(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v).strip()


@dataclass
class Cell:
    """Every representation of one published cell (strings as the reader sees them)."""

    reps: list[str] = field(default_factory=list)

    def numbers(self) -> list[str]:
        return [r.replace(",", ".").removesuffix("%") for r in self.reps if r.lower() not in HIDDEN]


@dataclass
class Run:
    """What a reader has of one year: cells per (grouping, group, column), texts, rules."""

    year: int
    threshold: int
    base: int | None
    cells: dict[tuple[str, str, str], Cell] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)

    def add(self, grouping: str, group: str, col: str, value: Any) -> None:
        grouping = "all" if group == TOTAL else grouping
        self.cells.setdefault((grouping, str(group), col), Cell()).reps.append(_text(value))


def _add_table(runs: dict[int, Run], df: pd.DataFrame, grouping: str | None) -> None:
    for rec in df.to_dict(orient="records"):
        year = int(float(rec["year"]))
        if year not in runs:
            continue
        g = str(rec.get("grouping", grouping or "all")) if grouping is None else grouping
        for col, v in rec.items():
            if col in ("year", "group", "grouping"):
                continue
            runs[year].add(g, str(rec["group"]), col, v)


def _html_text(path: Path) -> str:
    t = path.read_text(encoding="utf-8")
    t = re.sub(r"<(style|script)\b.*?</\1>", " ", t, flags=re.S)
    t = re.sub(r"<img\b[^>]*>", " ", t)
    return re.sub(r"\s+", " ", _html.unescape(re.sub(r"<[^>]+>", " ", t)))


def read_folder(folder: Path, runs: dict[int, Run] | None = None) -> dict[int, Run]:
    """Every published file of one run folder, added to ``runs`` (one :class:`Run` per year)."""
    folder = Path(folder)
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    kf = results["key_figures"]
    meta = kf["disclosure"]["meta"]
    runs = {} if runs is None else runs
    year = int(kf["year"])
    runs.setdefault(year, Run(year, int(meta["threshold"]), meta.get("rounding_base")))
    # results.json: published values and their display strings, every grouping
    for src in ("published", "display"):
        _add_table(runs, pd.DataFrame(kf["disclosure"][src]), "all")
        for g, part in results.get("by_group", {}).get("parts", {}).items():
            _add_table(runs, pd.DataFrame(part["disclosure"][src]), g)
    for name in ("summary_text", "methods"):
        if isinstance(results.get(name), str):
            runs[year].texts.append(results[name])
    # the CSV files and the workbook (read as text: "x" stays "x", 8.19 stays 8.19)
    for csv in sorted((folder / "tables").glob("*.csv")):
        df = pd.read_csv(csv, dtype=str, keep_default_na=False)
        if {"year", "group"} <= set(df.columns):
            _add_table(runs, df, None if "grouping" in df.columns else "all")
        elif {"year", "figure", "value"} <= set(df.columns):
            for rec in df.to_dict(orient="records"):
                y = int(float(rec["year"]))
                if y in runs:
                    runs[y].add("all", TOTAL, rec["figure"], rec["value"])
    if (folder / "tables.xlsx").is_file():
        with pd.ExcelFile(folder / "tables.xlsx") as book:
            for sheet in book.sheet_names:
                df = pd.read_excel(book, sheet_name=sheet, dtype=str, keep_default_na=False)
                if {"year", "group"} <= set(df.columns):
                    _add_table(runs, df, None if "grouping" in df.columns else "all")
    for page in folder.glob("*.html"):
        runs[year].texts.append(_html_text(page))
    # the trend of a later year repeats the earlier years' published values
    for rec in results.get("trend", {}).get("summary", []) or []:
        y = int(rec["year"])
        if y in runs:
            runs[y].add("all", TOTAL, rec["figure"], rec["value"])
    return runs


# -------------------------------------------------------------------------------- the model
def _decimals(s: str) -> int:
    return len(s.split(".")[1]) if "." in s else 0


def _round_interval(p: int, base: int | None, threshold: int) -> tuple[int, int]:
    if base in (None, 1):
        return p, p
    return max(p - base // 2, threshold), p + (base + 1) // 2 - 1


@dataclass
class Model:
    names: list[tuple] = field(default_factory=list)
    index: dict[tuple, int] = field(default_factory=dict)
    lo: list[float] = field(default_factory=list)
    hi: list[float] = field(default_factory=list)
    rows: list[tuple[dict[int, float], float, float]] = field(default_factory=list)

    def var(self, key: tuple) -> int:
        if key not in self.index:
            self.index[key] = len(self.names)
            self.names.append(key)
            self.lo.append(0.0)
            self.hi.append(np.inf)
        return self.index[key]

    def bound(self, v: int, lo: float, hi: float) -> None:
        self.lo[v] = max(self.lo[v], lo)
        self.hi[v] = min(self.hi[v], hi)

    def add(self, coefs: dict[int, float], lo: float, hi: float) -> None:
        self.rows.append((coefs, lo, hi))

    def extremes(self, v: int) -> tuple[float, float]:
        """The smallest and largest whole value of variable ``v`` over all constraints."""
        n = len(self.names)
        if getattr(self, "_cons", None) is None or self._cons[0] != (n, len(self.rows)):
            a = np.zeros((len(self.rows), n))
            for i, (coefs, _, _) in enumerate(self.rows):
                for j, c in coefs.items():
                    a[i, j] += c
            cons = [LinearConstraint(a, [r[1] for r in self.rows], [r[2] for r in self.rows])]
            self._cons = ((n, len(self.rows)), cons)
        cons = self._cons[1]
        out = []
        for sign in (1.0, -1.0):
            c = np.zeros(n)
            c[v] = sign
            res = milp(c, constraints=cons, integrality=np.ones(n), bounds=Bounds(self.lo, self.hi))
            if res.status == 3:
                out.append(-sign * math.inf)
                continue
            assert res.status == 0, f"the published values are inconsistent: {res.message}"
            out.append(sign * res.fun)
        return out[0], out[1]


def _row_groups(run: Run) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for grouping, group, _ in run.cells:
        if grouping != "all" and group not in groups.setdefault(grouping, []):
            groups[grouping].append(group)
    return groups


def build(run: Run) -> tuple[Model, dict[tuple, str]]:
    """The integer model of one year; returns it and the kind of every count variable
    (``"hidden"`` or ``"rounded"``)."""
    m = Model()
    kind: dict[tuple, str] = {}
    rows = [("all", TOTAL)] + [(g, r) for g, rs in _row_groups(run).items() for r in rs]
    for g, r in rows:
        for col in COUNT_COLS:
            key = (g, r, col)
            v = m.var(key)
            reps = run.cells.get(key, Cell()).reps
            nums = [x for x in run.cells.get(key, Cell()).numbers() if not x.startswith("<")]
            kind[key] = "rounded" if nums else "hidden"
            for s in reps:                   # a label "< 10" says: at most 9
                if s.strip().startswith("<"):
                    m.bound(v, 0, int(s.strip()[1:]) - 1)
            for s in nums:
                x = float(s)
                if x.is_integer():
                    m.bound(v, *_round_interval(int(x), run.base, run.threshold))
                else:   # a count that is not whole: it is some other rounding of the count
                    m.bound(v, math.ceil(x - 0.5), math.floor(x + 0.5))
        for whole, parts in SUMS.items():
            m.add({m.var((g, r, whole)): -1.0, **{m.var((g, r, p)): 1.0 for p in parts}}, 0, 0)
        for small, big in LE:
            m.add({m.var((g, r, small)): 1.0, m.var((g, r, big)): -1.0}, -np.inf, 0)
        for pct, (num, den) in PCTS.items():
            for s in run.cells.get((g, r, pct), Cell()).numbers():
                p = float(s)
                pn = run.cells.get((g, r, num), Cell()).numbers()
                pd_ = run.cells.get((g, r, den), Cell()).numbers()
                derivable = pn and pd_ and float(pd_[0]) > 0 and \
                    (200 * float(pn[0]) + float(pd_[0])) // (2 * float(pd_[0])) == p
                if not derivable:       # the percentage tells something of the true counts
                    h = 0.5 * 10.0 ** -_decimals(s)
                    v_n, v_d = m.var((g, r, num)), m.var((g, r, den))
                    m.add({v_n: 100.0, v_d: -(p - h)}, 0, np.inf)
                    m.add({v_n: 100.0, v_d: -(p + h)}, -np.inf, 0)
    for g, rs in _row_groups(run).items():
        for col in COUNT_COLS:
            m.add({**{m.var((g, r, col)): 1.0 for r in rs}, m.var(("all", TOTAL, col)): -1.0}, 0, 0)
    return m, kind


# -------------------------------------------------------------------------- statistics
def wilson(k: float, n: float, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def _half_up(x: float) -> int:
    return int(math.floor(x + 0.5 + 1e-12))


def grade_counts(mean: str, n_low: int, n_high: int) -> set[int]:
    """Counts of whole grades 1-10 whose mean, at the decimals of ``mean``, is ``mean``."""
    m = Fraction(mean)
    h = Fraction(1, 2 * 10 ** _decimals(mean))
    out = set()
    for n in range(n_low, n_high + 1):
        s = max(math.ceil((m - h) * n), n)
        if s <= 10 * n and Fraction(s, n) <= m + h:
            out.add(n)
    return out


def _hedges(n: int) -> float:
    df = n - 1
    return math.exp(gammaln(df / 2) - gammaln((df - 1) / 2)) / math.sqrt(df / 2)


def ci_counts(method: str, d: str, lo: str, hi: str, n_low: int, n_high: int,
              level: float = 0.95) -> set[int]:
    """``n`` for which a normal CI J(d +- z SE) fits the published d and limits.

    ``L, H`` run over the limits' rounding intervals (a grid); ``d = (L + H) / 2`` must lie in
    d's; ``SE = (H - L) / (2 z J)``.  Becker ``b``: ``f = n SE^2 - d_raw^2 / 2`` in [0, 4].
    ``z``: ``n SE^2 - 1 - d_raw^2 / 2`` changes sign (or is 0) somewhere on the grid.
    """
    z = norm.ppf((1 + level) / 2)
    hd, hl, hh = (0.5 * 10.0 ** -_decimals(s) for s in (d, lo, hi))
    big_l = np.linspace(float(lo) - hl, float(lo) + hl, 41)[:, None]
    big_h = np.linspace(float(hi) - hh, float(hi) + hh, 41)[None, :]
    mid = (big_l + big_h) / 2
    ok_d = (mid >= float(d) - hd - 1e-12) & (mid <= float(d) + hd + 1e-12)
    out = set()
    for n in range(n_low, n_high + 1):
        j = _hedges(n)
        se = (big_h - big_l) / (2 * z * j)
        raw = mid / j
        if method == "b":
            f = n * se ** 2 - raw ** 2 / 2
            if np.any(ok_d & (f >= 0) & (f <= 4)):
                out.add(n)
        elif method == "z":
            g = (n * se ** 2 - 1 - raw ** 2 / 2)[ok_d]
            if g.size and g.min() <= 0 <= g.max():
                out.add(n)
        else:               # the width depends on an SD the reader does not know
            out.add(n)
    return out


# -------------------------------------------------------------------------------- attack
@dataclass
class Finding:
    key: tuple
    kind: str
    lower: float
    upper: float
    expected: tuple[float, float] | None

    @property
    def ok(self) -> bool:
        if self.kind == "hidden":
            return self.upper - self.lower >= self.expected[0]
        return self.lower <= self.expected[0] and self.upper >= self.expected[1]


def attack(run: Run, method: str = "b") -> list[Finding]:
    """Everything the reader concludes about the counts of one year."""
    m, kind = build(run)
    out: list[Finding] = []
    for key, k in kind.items():
        lo, up = m.extremes(m.index[key])
        if k == "hidden":
            out.append(Finding(key, "hidden", lo, up, (run.threshold, run.threshold)))
        else:
            p = int(float([x for x in run.cells[key].numbers() if not x.startswith("<")][0]))
            out.append(Finding(key, "rounded", lo, up, _round_interval(p, run.base, run.threshold)))
    found = {f.key: f for f in out}
    rows = {(g, r) for g, r, _ in kind}
    for g, r in rows:
        means = run.cells.get((g, r, "mean_grade"), Cell()).numbers()
        ret = found[(g, r, "n_returned")]
        for text in run.texts if (g, r) == ("all", TOTAL) else []:
            means += [s.replace(",", ".") for s in re.findall(r"rapportcijfer was (\d+(?:,\d+)?)", text)]
            means += [s for s in re.findall(r"mean grade was (\d+(?:\.\d+)?)", text)]
        if means and ret.kind == "rounded":
            high = int(ret.upper)
            fits = set(range(run.threshold, high + 1))
            for s in means:
                fits &= grade_counts(s, run.threshold, high)
            out.append(Finding((g, r, "n_graded (mean_grade)"), "rounded",
                               min(fits, default=math.inf), max(fits, default=-math.inf),
                               (run.threshold, high)))
        es = [run.cells.get((g, r, c), Cell()).numbers()
              for c in ("effect_size", "effect_size_ci_low", "effect_size_ci_high")]
        nc = found[(g, r, "n_complete")]
        if all(es) and nc.kind == "rounded":
            fits = set(range(int(nc.expected[0]), int(nc.expected[1]) + 1))
            for d, lo, hi in zip(*es, strict=False):
                fits &= ci_counts(method, d, lo, hi, int(nc.expected[0]), int(nc.expected[1]))
            out.append(Finding((g, r, "n_complete (effect size CI)"), "rounded",
                               min(fits, default=math.inf), max(fits, default=-math.inf),
                               nc.expected))
    out += _text_findings(run)
    return out


def _text_findings(run: Run) -> list[Finding]:
    """Shares with their Wilson interval in the text must follow from published counts."""
    pairs = []
    for g, r, col in run.cells:
        if col not in PCTS or (g, r) != ("all", TOTAL):
            continue
        num, den = PCTS[col]
        kn = run.cells.get((g, r, num), Cell()).numbers()
        kd = run.cells.get((g, r, den), Cell()).numbers()
        if kn and kd and float(kd[0]) > 0:
            pairs.append((float(kn[0]), float(kd[0])))
    out = []
    for text in run.texts:
        for m in re.finditer(r"(\d+)% \(95%[- ](?:BI|CI) (\d+)-(\d+)%\)", text):
            pct, a, b = (int(x) for x in m.groups())
            explained = any(_half_up(100 * k / n) == pct
                            and (_half_up(100 * wilson(k, n)[0]), _half_up(100 * wilson(k, n)[1])) == (a, b)
                            for k, n in pairs)
            if not explained:
                out.append(Finding(("text", m.group(0)), "rounded", 0, 0, (0, 1)))
    return out


def assert_protected(findings: list[Finding]) -> None:
    bad = [f for f in findings if not f.ok]
    assert not bad, "a reader narrows counts: " + "; ".join(
        f"{f.key} {f.kind} [{f.lower:g}, {f.upper:g}] (protection {f.expected})" for f in bad[:8])
