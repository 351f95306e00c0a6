r"""Key figures of the public yearly effectiveness summary, their trend, and the plain-language text.

The yearly summary (jaarlijkse effectiviteitsrapportage) states, for the episodes that
**ended in the report year** with consent to the effect study:

========================  ==================================================================
key                       figure
========================  ==================================================================
``episodes_ended``        episodes ended in the year (count)
``clients``               clients of those episodes (count)
``complete``              share with a usable pre and post measurement (Wilson CI)
``effect_size``           standardised improvement of the primary scale, positive = better
                          (the study's effect-size method; CI as ``es.prepost_effect``)
``recovered`` ...         shares of ``recovered``, ``improved``, ``unchanged``,
                          ``deteriorated`` among the complete pairs (Wilson CIs)
``reliably_improved``     recovered + improved (the reliable improvement, Jacobson & Truax)
``stagnated``             stagnation rate among the evaluable episodes (Wilson CI)
``forms_returned``        satisfaction forms returned / issued (Wilson CI)
``mean_grade``            mean client grade (1-10) of the returned forms with a grade
========================  ==================================================================

Each figure carries its numerator ``k`` (counts and shares), its denominator ``n`` and
the number of clients behind it.  Published output goes through
:func:`effectstudy.disclosure_control` (SEC-D1..D4 of the privacy reference): a figure is
shown only when its group has enough clients, counts are rounded and shares are computed
from the rounded counts, statistics are published at publication precision (:data:`DIGITS`:
mean grade one decimal, effect size and CI two) and only when they tell a reader nothing more
about the count behind them (:func:`mean_counts`, :func:`ci_counts`), and every hidden cell
is ``"x"``.  The groupings are audited together with the overall table (their total row is
the same clients).  The text is built from the *published* table only, so it never reveals a
suppressed number.  A public run keeps the unrounded :class:`KeyFigures` and the audits in
its internal folder only (:class:`effectstudy.ReportOutput` with ``public=True``).

Wilson (1927) score intervals: :func:`effectstudy.kernels.proportions.wilson_ci`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError
from effectstudy.core.formatting import check_lang, number, percent
from effectstudy.core.jsonable import jsonable
from effectstudy.core.keys import isin
from effectstudy.core.labels import label, method_label, register
from effectstudy.core.params import EffectSizeSpec
from effectstudy.core.results import Result, TableResult, base_meta
from effectstudy.course.stagnation import StagnationResult
from effectstudy.data.pairing import PairResult
from effectstudy.kernels.effect_sizes import hedges_j
from effectstudy.kernels.proportions import wilson_ci
from effectstudy.outcomes.clinical_significance import ClinicalSignificanceResult
from effectstudy.outcomes.criteria import criteria_differences, publishable_record
from effectstudy.outcomes.effect_size import IMPROVEMENT_POSITIVE, definition_text, prepost_effect
from effectstudy.reports.disclosure import HIDDEN_SYMBOL, disclosure_control, rounding_interval

__all__ = ["KeyFigures", "PublishedFigures", "PublishedTables", "yearly_text", "Trend", "key_figures", "trend", "COUNTS", "PERCENTAGES", "PARTS", "STATISTICS", "DIGITS", "count_interval", "mean_counts", "ci_counts",
           "ES_NAMES", "effect_size_label", "methods_text", "window_text", "post_rule_sentence"]

#: count columns of a key-figure table (``n`` = episodes ended in the year)
COUNTS = ("n_complete", "n_recovered", "n_improved", "n_unchanged", "n_deteriorated", "n_harmed",
          "n_reliably_improved", "n_evaluable", "n_stagnated", "n_issued", "n_returned")
#: published percentages: column -> (numerator, denominator)
PERCENTAGES = {
    "pct_complete": ("n_complete", "n"),
    "pct_recovered": ("n_recovered", "n_complete"),
    "pct_improved": ("n_improved", "n_complete"),
    "pct_unchanged": ("n_unchanged", "n_complete"),
    "pct_deteriorated": ("n_deteriorated", "n_complete"),
    "pct_reliably_improved": ("n_reliably_improved", "n_complete"),
    "pct_stagnated": ("n_stagnated", "n_evaluable"),
    "pct_returned": ("n_returned", "n_issued"),
}
#: counts that add up (a reader knows it, so the disclosure audit must too)
PARTS = {"n_complete": ["n_recovered", "n_improved", "n_unchanged", "n_deteriorated", "n_harmed"],
         "n_reliably_improved": ["n_recovered", "n_improved"]}
#: statistics and the count they rest on (shown only when that count reaches the threshold)
STATISTICS = {"effect_size": "n_complete", "effect_size_ci_low": "n_complete",
              "effect_size_ci_high": "n_complete", "mean_grade": "n_graded"}
#: decimals of the published statistics (publication precision)
DIGITS = {"effect_size": 2, "effect_size_ci_low": 2, "effect_size_ci_high": 2, "mean_grade": 1}
#: the range of a client grade
GRADE_RANGE = (1, 10)


def count_interval(published: float, threshold: int, base: int | None) -> tuple[int, int]:
    """The whole numbers a reader considers possible for a published count: its rounding
    interval (half up) intersected with ``>= threshold``.

    >>> count_interval(35, 10, 5), count_interval(10, 10, 5), count_interval(12, 10, None)
    ((33, 37), (10, 12), (12, 12))
    """
    lo, hi = (int(v[0]) for v in rounding_interval(np.array([int(published)]), base))
    return (lo, hi) if base is None or base == 1 else (max(lo, threshold), hi)


def mean_counts(mean: float, digits: int, n_low: int, n_high: int,
                grades: tuple[int, int] = GRADE_RANGE) -> list[int]:
    """The counts ``N`` in ``[n_low, n_high]`` for which some ``N`` whole grades give
    ``mean`` at ``digits`` decimals (half up): what a reader can conclude about the count
    behind a published mean grade.

    The published mean ``m`` means a grade sum ``S`` (a whole number, ``N * 1 <= S <= N * 10``)
    with ``m - h <= S / N < m + h``, ``h = 0.5 * 10**-digits``.  With one decimal the interval
    ``[N (m - h), N (m + h))`` is ``N / 10`` wide, so from ``N >= 10`` it always holds a whole
    number and no count is excluded; below 10 (never published) it may not.

    >>> mean_counts(7.8, 1, 10, 12)
    [10, 11, 12]
    >>> mean_counts(8.19, 2, 18, 22)      # the leak of issue 15: "8,19" fits only N = 21
    [21]
    """
    h = Decimal(5).scaleb(-int(digits) - 1)
    m = Decimal(repr(float(mean)))
    out = []
    for n in range(int(n_low), int(n_high) + 1):
        lo_s = math.ceil((m - h) * n)          # smallest whole sum with S/N >= m - h
        hi_s = (m + h) * n                     # S/N < m + h
        s = max(lo_s, grades[0] * n)
        if s < hi_s and s <= grades[1] * n:
            out.append(n)
    return out


def ci_counts(method: str, adjust: bool, level: float, d: float, lo: float, hi: float,
              n_low: int, n_high: int, digits: int = 2) -> list[int]:
    r"""The counts ``n`` in ``[n_low, n_high]`` consistent with a published effect size and
    its CI (all at ``digits`` decimals): what the CI tells a reader about ``n_complete``.

    The yearly summary's CI is the normal interval :math:`J(d \pm z\,SE)` of
    :func:`effectstudy.prepost_effect` (``J`` Hedges' factor of ``n - 1`` when adjusted).
    For :math:`d_z` (``method="z"``) :math:`SE^2 = (1 + d^2/2)/n` depends on ``d`` and
    ``n`` only, so the CI's width at two decimals can pin ``n`` down: this function then
    keeps only the ``n`` for which some ``d`` in the published rounding interval gives
    the published limits.  Becker's ``b`` (:math:`SE^2 = (f + d^2/2)/n`) and ``rm``
    (:math:`SE^2 = f (1 + d^2/2)/n`) also depend on :math:`f = 2(1 - r)`, unknown to a
    reader and anywhere in ``[0, 4]``: an ``n`` is consistent when some ``f`` and ``d``
    give the limits.  ``av`` and ``d`` standardise by an SD a reader does not know, so the
    width fits every ``n`` (all candidates are returned).  The check is on a grid
    (``d``: 101 points, ``f``: 401 points); a window the grid misses counts as inconsistent,
    which suppresses the CI rather than publish it (the safe side).
    """
    ns = np.arange(int(n_low), int(n_high) + 1)
    if method in ("av", "d"):
        return ns.tolist()
    h = 0.5 * 10.0 ** -digits
    zq = float(stats.norm.ppf((1 + level) / 2))
    dgrid = np.linspace(d - h, d + h, 101)[:-1]            # half-open rounding interval
    fgrid = np.linspace(0.0, 4.0, 401) if method in ("b", "rm") else np.array([1.0])
    out = []
    for n in ns:
        j = float(hedges_j(n - 1)) if adjust else 1.0
        raw = dgrid[:, None] / j
        if method == "z":
            se = np.sqrt((1 + raw ** 2 / 2) / n) * np.ones_like(fgrid)[None, :]
        elif method == "b":
            se = np.sqrt((fgrid[None, :] + raw ** 2 / 2) / n)
        else:  # rm
            se = np.sqrt(fgrid[None, :] * (1 + raw ** 2 / 2) / n)
        low, high = j * (raw - zq * se), j * (raw + zq * se)
        ok = (low >= lo - h) & (low < lo + h) & (high >= hi - h) & (high < hi + h)
        if ok.any():
            out.append(int(n))
    return out


#: a statistic is shown only where this published count is shown
_SHOWN_WITH = {"effect_size": "n_complete", "effect_size_ci_low": "n_complete",
               "effect_size_ci_high": "n_complete", "mean_grade": "n_returned"}

register({
    "n_complete": {"nl": "n met voor- en nameting", "en": "n with pre and post"},
    "n_unchanged": {"nl": "n onveranderd", "en": "n unchanged"},
    "n_deteriorated": {"nl": "n verslechterd", "en": "n deteriorated"},
    "n_harmed": {"nl": "n geschaad", "en": "n harmed"},
    "n_reliably_improved": {"nl": "n betrouwbaar verbeterd", "en": "n reliably improved"},
    "pct_complete": {"nl": "% met voor- en nameting", "en": "% with pre and post"},
    "pct_unchanged": {"nl": "% onveranderd", "en": "% unchanged"},
    "pct_deteriorated": {"nl": "% verslechterd", "en": "% deteriorated"},
    "pct_reliably_improved": {"nl": "% betrouwbaar verbeterd", "en": "% reliably improved"},
    "pct_returned": {"nl": "% formulieren terug", "en": "% forms returned"},
    "effect_size_ci_low": {"nl": "BI onder", "en": "CI low"},
    "effect_size_ci_high": {"nl": "BI boven", "en": "CI high"},
    "mean_grade": {"nl": "gemiddeld rapportcijfer", "en": "mean grade"},
    "year": {"nl": "Jaar", "en": "Year"},
    "group": {"nl": "Groep", "en": "Group"},
    "figure": {"nl": "Kengetal", "en": "Figure"},
    "total": {"nl": "totaal", "en": "total"},
    "episodes_ended": {"nl": "afgesloten behandeltrajecten", "en": "treatment episodes ended"},
    "yearly_stagnation": {"nl": "stagnatie na 3-5 sessies", "en": "stagnation after 3-5 sessions"},
    "n_ended": {"nl": "n afgesloten", "en": "n ended"},
    # the effect size named with its standardiser (``{name}``: :data:`ES_NAMES`)
    "yearly_effect_size": {"nl": "effectgrootte ({name}, verbetering)", "en": "effect size ({name}, improvement)"},
    "yearly_n_evaluable": {"nl": "n te beoordelen (3-5 sessies)", "en": "n evaluable (3-5 sessions)"},
    "yearly_n_issued": {"nl": "n formulieren uitgereikt", "en": "n forms issued"},
    "yearly_n_returned": {"nl": "n formulieren terug", "en": "n forms returned"},
    "yearly_cutoff": {"nl": "afkappunt", "en": "cut-off"},
    "yearly_s_diff": {"nl": "SE van het verschil", "en": "SE of the difference"},
    "reliably_improved": {"nl": "betrouwbaar verbeterd", "en": "reliably improved"},
    "complete": {"nl": "met voor- en nameting", "en": "with pre and post"},
    "returned": {"nl": "formulieren terug", "en": "forms returned"},
    "Key figures per year": {"nl": "Kengetallen per jaar", "en": "Key figures per year"},
})

#: short names of the effect sizes (``analysis.effect_size.method``) in the yearly views: the
#: standardiser is always named (the methods text gives the full definition)
ES_NAMES = {"b": "Becker's d", "d": "Cohen's d", "z": "dz", "rm": "drm", "av": "dav"}


def effect_size_label(method: str | None, lang: str = "nl") -> str:
    """The yearly views' name of the effect size, with its standardiser.

    >>> effect_size_label("b"), effect_size_label("z", "en")
    ("effectgrootte (Becker's d, verbetering)", 'effect size (dz, improvement)')
    """
    return label("yearly_effect_size", lang).format(name=ES_NAMES.get(str(method), "d"))

TOTAL = "all"
#: column -> label name in the yearly views (the shared names mean other things elsewhere)
_VIEW_NAMES = {"n": "n_ended", "effect_size": "yearly_effect_size", "n_evaluable": "yearly_n_evaluable",
               "n_issued": "yearly_n_issued", "n_returned": "yearly_n_returned", "cutoff": "yearly_cutoff",
               "s_diff": "yearly_s_diff"}
_TREND_COLUMNS = ("n", "pct_complete", "pct_reliably_improved", "pct_recovered", "effect_size",
                  "pct_stagnated", "pct_returned", "mean_grade", "cutoff", "s_diff")
#: decimals of the criteria in the trend (the same every year)
_TREND_DIGITS = {"cutoff": 1, "s_diff": 2}


@dataclass(frozen=True, repr=False)
class KeyFigures(Result):
    """The year's key figures (unrounded, *not for publication*), per grouping.

    ``tables[grouping]``: one row per group plus the total row (``group == "all"``), with
    ``year``, ``group``, ``n`` (episodes ended), the :data:`COUNTS`, ``n_graded`` and the
    statistics (``effect_size`` with CI: standardised improvement, positive = better;
    ``mean_grade``).  ``summary()``: the total row.  Publish with :meth:`published`.
    """

    tables: dict[str, pd.DataFrame] = None  # type: ignore[assignment]
    title = "Key figures (not disclosure-controlled)"

    def summary(self) -> pd.DataFrame:
        return self.tables[TOTAL].copy()

    def to_dict(self) -> dict[str, Any]:
        """Every grouping's unrounded table: for a run's internal folder, never for publication."""
        return {"title": self.title, "meta": jsonable(self.meta),
                "tables": {g: jsonable(t) for g, t in self.tables.items()}}

    def published(self, grouping: str = TOTAL, *, threshold: int = 10, rounding_base: int | None = 5,
                  previous: Sequence[Any] = (), lang: str = "nl") -> PublishedFigures:
        """The table of ``grouping`` after disclosure control (``es.disclosure_control``).

        Statistics are published at publication precision (:data:`DIGITS`: the effect size
        and its CI with two decimals, the mean grade with one) and only where a reader can
        learn nothing more from them than from the published counts:

        - statistics whose own count (``n_complete`` for the effect size, the forms with a
          grade for the mean grade) is below ``threshold`` are removed first (SEC-D1 applies
          to the clients behind each statistic, not only to the row's ``n``);
        - a statistic is shown only where the count it goes with (:data:`_SHOWN_WITH`) is
          published: a CI's width would otherwise reveal a hidden ``n_complete``;
        - the mean grade is shown only when it is consistent with every count of graded
          forms a reader still considers possible (``threshold`` up to the top of the
          published ``n_returned``'s rounding interval; :func:`mean_counts`);
        - the CI is shown only when it is consistent with every ``n_complete`` in the
          published count's rounding interval (:func:`ci_counts`: for ``d_z`` the width
          depends on ``d`` and ``n`` only and could pin ``n`` down; the check suppresses the
          CI, never the effect size, whose value alone says nothing about ``n``).
        """
        if grouping not in self.tables:
            raise ArgumentError("grouping", grouping, f"one of {sorted(self.tables)}")
        linked = self._linked(grouping, threshold, rounding_base, lang)
        previous = [*previous, *linked]
        t = self.tables[grouping].copy()
        for stat, base in STATISTICS.items():
            t[stat] = t[stat].where(t[base] >= threshold)
        t = t.drop(columns=["n_graded"])

        def control(table: pd.DataFrame):
            return disclosure_control(
                table, by=["year", "group"], n="n", counts=list(COUNTS), percentages=PERCENTAGES,
                statistics=DIGITS, parts=PARTS,
                total=None if grouping == TOTAL else {"group": TOTAL}, threshold=threshold,
                rounding_base=rounding_base, previous=previous, lang=lang,
                link_total=grouping != TOTAL)

        res = control(t)
        # The count suppression does not depend on the statistics, so removing statistics and
        # running the control again keeps the pattern of hidden counts.
        drop = self._statistics_to_hide(res, t, threshold, rounding_base)
        if drop:
            for stat, rows in drop.items():
                t.loc[rows, stat] = np.nan
            res = control(t)
        crit = self.meta.get("criteria")
        if crit is not None and grouping == TOTAL:  # fixed values as they are, sample-based ones as statistics
            crit = publishable_record(crit, n=crit.get("n_sample"), threshold=threshold)
        return PublishedFigures(meta=res.meta, disclosure=res, grouping=grouping, lang=lang,
                                criteria=crit if grouping == TOTAL else None,
                                effect_size=self.effect_size_definition())

    def effect_size_definition(self) -> dict[str, Any] | None:
        """Which effect size the figures hold (``method``, ``adjust``, ``orientation``: what
        :func:`effectstudy.outcomes.effect_size.definition_text` names in words), or ``None``
        when the meta does not say (a table built by hand)."""
        method = self.meta.get("effect_size")
        if method is None:
            return None
        return {"method": str(method), "adjust": bool(self.meta.get("adjust", True)),
                "ci": float(self.meta.get("ci", 0.95)),
                "orientation": self.meta.get("orientation", IMPROVEMENT_POSITIVE)}

    def _linked(self, grouping: str, threshold: int, base: int | None, lang: str) -> list[Any]:
        """The tables published before ``grouping`` that share its total row (same clients):
        the overall table and the groupings before it (in the order of :attr:`tables`).

        A reader combines them: a total cell published in one is known in all, and the
        groups of every grouping add up to the same total.  Each is computed without the
        earlier years (rows of other years carry other labels, so they share no cells) and
        cached, so the groupings of one report agree.
        """
        if grouping == TOTAL:
            return []
        cache = self.__dict__.setdefault("_published_cache", {})
        out = []
        for g in self.tables:
            if g == grouping:
                break
            key = (g, threshold, base, lang)
            if key not in cache:
                cache[key] = self.published(g, threshold=threshold, rounding_base=base,
                                            lang=lang).disclosure
            out.append(cache[key])
        return out

    def _statistics_to_hide(self, res: Any, t: pd.DataFrame, threshold: int,
                            base: int | None) -> dict[str, np.ndarray]:
        """Rows per statistic that would tell a reader more than the published counts."""
        pub = res.published
        drop: dict[str, np.ndarray] = {}
        for stat, count in _SHOWN_WITH.items():
            gone = (res.mask[count] != "").to_numpy() & t[stat].notna().to_numpy()
            if gone.any():
                drop[stat] = gone
        grade = np.zeros(len(t), dtype=bool)
        ci = np.zeros(len(t), dtype=bool)
        method = self.meta.get("effect_size", "b")
        adjust, level = bool(self.meta.get("adjust", True)), float(self.meta.get("ci", 0.95))
        for i in range(len(t)):
            m, k = pub.at[i, "mean_grade"], pub.at[i, "n_returned"]
            if not (pd.isna(m) or pd.isna(k)):
                n_lo, n_hi = threshold, count_interval(k, threshold, base)[1]
                grade[i] = len(mean_counts(m, DIGITS["mean_grade"], n_lo, n_hi)) < n_hi - n_lo + 1
            d, lo, hi, nc = (pub.at[i, c] for c in ("effect_size", "effect_size_ci_low",
                                                     "effect_size_ci_high", "n_complete"))
            if not any(pd.isna(x) for x in (d, lo, hi, nc)):
                n_lo, n_hi = count_interval(nc, threshold, base)
                ci[i] = len(ci_counts(method, adjust, level, d, lo, hi, n_lo, n_hi)) < n_hi - n_lo + 1
        if grade.any():
            drop["mean_grade"] = drop.get("mean_grade", np.zeros(len(t), dtype=bool)) | grade
        for stat in ("effect_size_ci_low", "effect_size_ci_high"):
            if ci.any():
                drop[stat] = drop.get(stat, np.zeros(len(t), dtype=bool)) | ci
        return drop


#: rows of the overall view: (label key, count column, percentage column or None)
_OVERVIEW = (
    ("episodes_ended", "n", None),
    ("complete", "n_complete", "pct_complete"),
    ("reliably_improved", "n_reliably_improved", "pct_reliably_improved"),
    ("recovered", "n_recovered", "pct_recovered"),
    ("deteriorated", "n_deteriorated", "pct_deteriorated"),
    ("yearly_stagnation", "n_stagnated", "pct_stagnated"),
    ("returned", "n_returned", "pct_returned"),
)
#: columns of the per-group view
_GROUP_VIEW = ("n", "pct_complete", "pct_reliably_improved", "pct_recovered", "effect_size", "pct_stagnated")


@dataclass(frozen=True, repr=False)
class PublishedFigures(Result):
    """Disclosure-controlled key figures of one grouping, with a compact view for the report.

    ``disclosure``: the :class:`~effectstudy.reports.disclosure.DisclosureResult` (everything that
    may be published, and the audit).  ``summary()``: its published numeric table.
    ``view(lang)``: the overall figures as a two-column list (``grouping == "all"``) or the
    main columns per group, as strings.  ``to_dict()`` holds only publishable values.
    """

    disclosure: Any = None
    grouping: str = TOTAL
    lang: str = "nl"
    #: the criteria of reliable change and recovery as published (overall table only)
    criteria: dict[str, Any] | None = None
    #: which effect size (``KeyFigures.effect_size_definition``; ``None``: not recorded)
    effect_size: dict[str, Any] | None = None
    title = "Key figures"

    def summary(self) -> pd.DataFrame:
        return self.disclosure.summary()

    def value(self, column: str, group: str = TOTAL) -> float:
        """A published value (NaN when suppressed)."""
        t = self.disclosure.published
        return float(t.loc[t["group"] == group, column].iloc[0])

    def shown(self, column: str, group: str = TOTAL) -> str:
        """A published cell as the report shows it (``"x"``, ``"35"``, ``"60%"``)."""
        t = self.disclosure.published
        i = t.index[t["group"] == group][0]
        return str(self.disclosure.format(self.lang).iat[t.index.get_loc(i), t.columns.get_loc(column)])

    def view(self, lang: str | None = None) -> pd.DataFrame:
        lang = lang or self.lang
        shown = self.disclosure.format(lang)
        shown.columns = list(self.disclosure.published.columns)
        pub = self.disclosure.published
        if self.grouping == TOTAL:
            row = shown.iloc[0]
            rows = []
            for key, count, pct in _OVERVIEW:
                value = row[count] if pct is None else f"{row[count]} ({row[pct]})" if row[pct][:1].isdigit() else row[count]
                rows.append({label("figure", lang): label(key, lang), label("value", lang): value})
            es_ = row["effect_size"]
            if es_[:1].isdigit() or es_[:1] == "-":
                es_ = f"{es_} [{row['effect_size_ci_low']}; {row['effect_size_ci_high']}]"
            rows.insert(3, {label("figure", lang): self.effect_size_label(lang), label("value", lang): es_})
            rows.append({label("figure", lang): label("mean_grade", lang), label("value", lang): row["mean_grade"]})
            return pd.DataFrame(rows)
        cols = ["group", *_GROUP_VIEW]
        out = shown[cols].copy()
        out["group"] = [label("total" if g == TOTAL else str(g), lang) for g in pub["group"]]
        return out.rename(columns=lambda c: self.effect_size_label(lang) if c == "effect_size"
                          else label(_VIEW_NAMES.get(c, c), lang))

    def effect_size_label(self, lang: str | None = None) -> str:
        """The name of the published effect size with its standardiser (:func:`effect_size_label`)."""
        return effect_size_label((self.effect_size or {}).get("method"), lang or self.lang)

    def _repr_html_(self, methods: bool = False) -> str:
        """The view as HTML; ``methods=True`` adds the disclosure methods text.  Off by default:
        a report prints that text (with the one explanation of ``"x"``) once, in its methods
        section (``Study.methods_text``)."""
        import html as _html

        note = f"<p><small>{_html.escape(self.disclosure.methods_text(self.lang))}</small></p>" if methods else ""
        return f"<div>{self.view().to_html(index=False)}{note}</div>"

    def __repr__(self) -> str:
        return self.view().to_string(index=False)

    def public_table(self) -> pd.DataFrame:
        """The published table as the report's files carry it (hidden cells ``"x"``)."""
        return self.disclosure.public_table()

    def to_dict(self) -> dict[str, Any]:
        """Published values only (what a later year's trend and disclosure control read)."""
        out = {"title": self.title, "grouping": self.grouping,
               "year": int(self.disclosure.published["year"].iloc[0]),
               "disclosure": self.disclosure.to_dict(), "view": self.view().to_dict(orient="records")}
        if self.criteria is not None:
            out["criteria"] = self.criteria
        if self.effect_size is not None:
            out["effect_size"] = self.effect_size
        return jsonable(out)

    def internal_dict(self) -> dict[str, Any]:
        """For the run's internal folder: the disclosure reasons and audits."""
        return jsonable({"title": self.title, "grouping": self.grouping,
                         "disclosure": self.disclosure.internal_dict()})


@dataclass(frozen=True, repr=False)
class PublishedTables(Result):
    """Several groupings' :class:`PublishedFigures` shown together (one heading each)."""

    parts: dict[str, PublishedFigures] = None  # type: ignore[assignment]
    lang: str = "nl"
    title = "Key figures per group"

    def summary(self) -> pd.DataFrame:
        return pd.concat([p.summary().assign(grouping=g) for g, p in self.parts.items()], ignore_index=True)

    def _repr_html_(self) -> str:
        import html as _html

        parts = list(self.parts.items())
        return "".join(f"<h4>{_html.escape(label(g, self.lang))}</h4>{p._repr_html_()}" for g, p in parts)

    def __repr__(self) -> str:
        return "\n\n".join(f"{g}\n{p!r}" for g, p in self.parts.items())

    def public_table(self) -> pd.DataFrame:
        """Every grouping's published table (hidden cells ``"x"``), one below the other."""
        return pd.concat([p.public_table().assign(grouping=g) for g, p in self.parts.items()],
                         ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "parts": {g: p.to_dict() for g, p in self.parts.items()}}

    def internal_dict(self) -> dict[str, Any]:
        """For the run's internal folder: every grouping's disclosure reasons and audits."""
        return {"title": self.title, "parts": {g: p.internal_dict() for g, p in self.parts.items()}}


def _figures(e: pd.DataFrame, paired: pd.Series, cat: pd.Series, status: pd.Series,
             sat: pd.DataFrame | None) -> dict[str, Any]:
    ids = e["episode_id"]
    c = cat[isin(cat.index, ids)]
    st = status[isin(status.index, ids)]
    row: dict[str, Any] = {"n": len(e), "n_complete": int(isin(paired, ids).sum())}
    for name in ("recovered", "improved", "unchanged", "deteriorated", "harmed"):
        row[f"n_{name}"] = int((c == name).sum())
    row["n_reliably_improved"] = row["n_recovered"] + row["n_improved"]
    row["n_evaluable"] = int((st != "not_evaluable").sum())
    row["n_stagnated"] = int((st == "stagnated").sum())
    if sat is not None:
        s = sat[isin(sat["episode_id"], ids)]
        row["n_issued"] = int(s["issued"].sum())
        returned = s["returned"] & s["issued"]
        row["n_returned"] = int(returned.sum())
        g = s.loc[returned & s["grade"].notna(), "grade"].astype(float)  # grades of returned forms only
        row["n_graded"], row["mean_grade"] = len(g), float(g.mean()) if len(g) else np.nan
    else:
        row.update(n_issued=0, n_returned=0, n_graded=0, mean_grade=np.nan)
    return row


def key_figures(
    episodes: pd.DataFrame,
    *,
    pairs: PairResult,
    outcome: ClinicalSignificanceResult,
    stagnation: StagnationResult,
    satisfaction: pd.DataFrame | None,
    effect_size: EffectSizeSpec,
    year: int | None = None,
    scale: str | None = None,
    groups: Sequence[str] = (),
    criteria: dict[str, Any] | None = None,
) -> KeyFigures:
    """The key figures of the episodes of one year, per group (``Study.key_figures()`` passes them).

    Every figure comes from the stage that owns it (``pair_prepost``, ``prepost_effect``,
    ``clinical_significance``, ``stagnation``, the satisfaction forms); this function only
    counts them per group.  Episodes with a missing group value form the group ``unknown``
    so that the groups add up to the total.

    Parameters
    ----------
    episodes : DataFrame
        The episodes of the year (``episode_id`` and the ``groups`` columns).
    pairs : PairResult
        :func:`effectstudy.pair_prepost` of the primary scale for these episodes.
    outcome : ClinicalSignificanceResult
        :func:`effectstudy.clinical_significance` of ``pairs.data`` (its ``better_is``
        orients the effect size: positive = improvement).
    stagnation : StagnationResult
        :func:`effectstudy.stagnation` of these episodes' measurements.
    satisfaction : DataFrame or None
        The end-of-treatment forms (``episode_id``, ``issued``, ``returned``, ``grade``);
        ``None`` without a satisfaction file.
    effect_size : EffectSizeSpec
        The ``analysis.effect_size`` section of the params (``method``, ``adjust``, ``ci``).
    year : int, optional
        The report year (the ``year`` column and ``meta``).
    scale : str, optional
        The primary scale's name (``meta``).
    groups : list of str
        Episode columns to break the figures down by.
    criteria : dict, optional
        The criteria record of the run (``Study.criteria.meta``,
        :func:`effectstudy.outcomes.criteria.criteria_record`): kept in ``meta`` and published
        with the overall table, so that the trend can refuse years with other criteria.

    Returns
    -------
    KeyFigures

    Raises
    ------
    ArgumentTypeError
        ``episodes`` or ``satisfaction`` is not a DataFrame, ``effect_size`` not an ``EffectSizeSpec``.
    DataError
        A group column that is not in the episodes.
    """
    if not isinstance(episodes, pd.DataFrame):
        raise ArgumentTypeError("episodes", episodes, "a DataFrame of episodes")
    if satisfaction is not None and not isinstance(satisfaction, pd.DataFrame):
        raise ArgumentTypeError("satisfaction", satisfaction, "a DataFrame of satisfaction forms or None")
    if not isinstance(effect_size, EffectSizeSpec):
        raise ArgumentTypeError("effect_size", effect_size, "the analysis.effect_size section of the params (EffectSizeSpec)")
    groups = list(groups)
    better_is = outcome.meta["better_is"]  # orients the effect size: positive = improvement
    paired = pairs.patients.loc[pairs.patients["status"] == "paired", "episode_id"]
    cat = outcome.patients["category"].astype(str)
    status = stagnation.patients["status"].astype(str)

    def effect(ids: pd.Series) -> dict[str, float]:
        data = pairs.data[isin(pairs.data["episode_id"], ids)]
        if data["episode_id"].nunique() < 3:  # prepost_effect needs 3 pairs for its CI
            return {"effect_size": np.nan, "effect_size_ci_low": np.nan, "effect_size_ci_high": np.nan}
        r = prepost_effect(data, subject="episode_id", time="time", outcome="score", pre="pre", post="post",
                           method=effect_size.method, adjust=effect_size.adjust, ci=effect_size.ci,
                           ci_method=effect_size.ci_method, n_resamples=effect_size.n_resamples,
                           seed=effect_size.seed, better_is=better_is).summary().iloc[0]
        return {"effect_size": float(r["estimate"]), "effect_size_ci_low": float(r["ci_low"]),
                "effect_size_ci_high": float(r["ci_high"])}

    tables: dict[str, pd.DataFrame] = {}
    total = {"year": year, "group": TOTAL, **_figures(episodes, paired, cat, status, satisfaction), **effect(episodes["episode_id"])}
    tables[TOTAL] = pd.DataFrame([total])
    for g in groups:
        if g not in episodes:
            raise DataError("the group column is not in the episodes", column=g,
                            expected=f"one of {list(episodes.columns)}")
        labels = episodes[g].astype("string").fillna("unknown")
        rows = [{"year": year, "group": str(k), **_figures(e, paired, cat, status, satisfaction), **effect(e["episode_id"])}
                for k, e in episodes.groupby(labels, sort=True)]
        tables[g] = pd.DataFrame([*rows, total])
    meta = base_meta("yearly_key_figures", year=year, scale=scale, effect_size=effect_size.method,
                     estimate_name=("Hedges-corrected " if effect_size.adjust else "") + f"d ({effect_size.method})",
                     adjust=bool(effect_size.adjust), ci=float(effect_size.ci), ci_method=effect_size.ci_method,
                     orientation=IMPROVEMENT_POSITIVE, better_is=better_is,
                     definition={lang: definition_text({"method": effect_size.method, "adjust": effect_size.adjust,
                                                        "orientation": IMPROVEMENT_POSITIVE}, lang)
                                 for lang in ("nl", "en")},
                     rc_method=outcome.meta["method"], cutoff=outcome.meta.get("cutoff_type"),
                     reliability=outcome.meta.get("reliability"), stagnation_rule=stagnation.meta.get("rule"),
                     stagnation_window=stagnation.meta.get("window"), groups=groups,
                     unit="treatment episodes ended in the year", criteria=criteria)
    return KeyFigures(meta=meta, tables=tables)


# ----------------------------------------------------------------------------- trend
@dataclass(frozen=True, repr=False)
class Trend(TableResult):
    """Published overall key figures of earlier years and this year, one row per year and figure.

    The report shows :meth:`format`: one row per figure, one column per year (a table that
    stays as narrow as the number of years), titled "Kengetallen per jaar" / "Key figures per
    year" (:attr:`title` through the label table).
    """

    title = "Key figures per year"

    def wide(self, lang: str = "nl") -> pd.DataFrame:
        """One row per year, the main published figures as columns (``"x"`` = not published)."""
        cols = [c for c in _TREND_COLUMNS if c in set(self.table["figure"])]
        w = self.table.pivot(index="year", columns="figure", values="value").reindex(columns=cols)
        out = pd.DataFrame(index=w.index)
        for c in cols:
            v = w[c]
            if c.startswith("pct_"):
                out[c] = [HIDDEN_SYMBOL if pd.isna(x) else percent(x, lang, proportion=False) for x in v]
            elif c == "n":
                out[c] = [(HIDDEN_SYMBOL if pd.isna(x) else str(int(x))) for x in v]
            else:
                out[c] = [HIDDEN_SYMBOL if pd.isna(x) else number(x, lang, DIGITS.get(c, _TREND_DIGITS.get(c, 2)))
                          for x in v]
        out = out.reset_index()
        return out.rename(columns=lambda c: self._label(c, lang))

    def _label(self, column: str, lang: str) -> str:
        if column == "effect_size":
            return effect_size_label(self.meta.get("effect_size_method"), lang)
        return label(_VIEW_NAMES.get(column, column), lang)

    def format(self, lang: str = "nl", digits: int = 2) -> pd.DataFrame:  # type: ignore[override]
        """The report's view: one row per figure (its label), one column per year."""
        w = self.wide(lang)
        years = [str(y) for y in w.iloc[:, 0]]
        out = w.iloc[:, 1:].T.reset_index()
        out.columns = [label("figure", lang), *years]
        return out

    def public_table(self) -> pd.DataFrame:
        """``year, figure, value`` as the report's files carry it: counts and percentages
        whole, statistics at their decimals, a figure not published ``"x"``."""
        t = self.table.copy()
        t["value"] = [HIDDEN_SYMBOL if pd.isna(v) else
                      int(v) if (f == "n" or f.startswith("pct_")) else float(v)
                      for f, v in zip(t["figure"], t["value"], strict=True)]
        return t

    def meta_lines(self, lang: str = "nl") -> list[str]:
        """None: the table's columns are the years and its title says what it holds."""
        return []

    def plot(self, ax=None, figures: Sequence[str] = ("pct_reliably_improved", "pct_recovered", "pct_stagnated"),
             lang: str | None = None):
        """Published percentages per year; a suppressed figure is a gap, never an estimate.

        A figure without any published value in these years gets no line and no legend
        entry (the alt text and the data say which).  In ``lang`` (default: the result's own
        language)."""
        from effectstudy.core.plotting import axes, describe_figure, number_ticks, plot_lang

        lang = plot_lang(lang, self.meta)
        ax = axes(ax, figsize=(6, 3.5))
        t = self.table
        years = sorted(t["year"].unique())
        rows, missing = [], []
        for f in figures:
            part = t[t["figure"] == f].set_index("year").reindex(years)
            values = part["value"].astype(float).to_numpy() / 100  # shares on a percent axis
            rows += [{"year": y, "figure": f, "value": v} for y, v in zip(years, values * 100, strict=True)]
            if np.isfinite(values).any():
                ax.plot(years, values, marker="o", label=label(f, lang))
            else:
                missing.append(label(f, lang))
        ax.set_xticks(years, [str(y) for y in years])
        ax.set_xlim(min(years) - 0.5, max(years) + 0.5)
        ax.set_ylim(0, 1)
        ax.set_xlabel(label("fig_year", lang))
        ax.set_ylabel(label("fig_percent", lang))
        number_ticks(ax, lang, axis="y", as_percent=True)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        alt = label("fig_trend_alt", lang)
        if missing:
            alt += " " + label("fig_trend_missing", lang).format(names=", ".join(missing))
        return describe_figure(ax, title=label("fig_trend_title", lang), alt=alt, data=pd.DataFrame(rows))


def _check_criteria(entries: list[tuple[int, dict[str, Any]]], files: dict[int, str]) -> None:
    """Refuse a trend whose years used different criteria (or where only some recorded theirs)."""
    recorded = [(y, e.get("criteria")) for y, e in entries]
    if all(c is None for _, c in recorded):
        return
    first_year, first = next((y, c) for y, c in recorded if c is not None)

    def shown(v: Any) -> str:
        return f"{v:.10g}" if isinstance(v, float) else repr(v)

    for year, crit in recorded:
        where = f" ({files[year]})" if year in files else ""
        first_where = f" ({files[first_year]})" if first_year in files else ""
        if crit is None:
            raise DataError(f"the trend compares years with one set of criteria, but the results of {year}{where} "
                            f"record none, while {first_year} records its own; rerun {year} with the same criteria "
                            "(analysis.reliable_change) or leave it out of history",
                            expected="criteria recorded in every year's key_figures")
        diff = criteria_differences(first, crit)
        if diff:
            what = "; ".join(f"{k}: {first_year} {shown(a)}, {year} {shown(b)}" for k, a, b in diff)
            raise DataError(f"the years {first_year}{first_where} and {year}{where} used different criteria ({what}); a trend "
                            "needs one set of criteria for every year: fix them once (registry, numbers in the "
                            "params or criteria: {from: <results.json>}) and rerun the years that differ",
                            expected="the same reliability, reference mean and SD, cut-off and S_diff every year")


def _effect_size_method(entries: list[tuple[int, dict[str, Any]]], files: dict[int, str]) -> str | None:
    """The effect size of the trend's years (``method`` of their published ``effect_size``):
    years that recorded one must agree, since a trend of different standardisers compares
    different quantities; ``None`` when no year recorded it."""
    recorded = [(y, (e.get("effect_size") or {}).get("method")) for y, e in entries]
    recorded = [(y, m) for y, m in recorded if m is not None]
    for year, m in recorded[1:]:
        first_year, first = recorded[0]
        if m != first:
            where = "".join(f" ({files[y]})" for y in (first_year, year) if y in files)
            raise DataError(f"the years {first_year} and {year} published different effect sizes "
                            f"({first_year}: {ES_NAMES.get(first, first)}, {year}: {ES_NAMES.get(m, m)}){where}; "
                            "a trend needs one effect size every year: rerun the years that differ with the "
                            "same analysis.effect_size.method", expected=f"method {first!r} every year")
    return recorded[0][1] if recorded else None


def trend(history: Sequence[str | Path], current: PublishedFigures, *, key: str = "key_figures") -> Trend:
    """The overall published figures of earlier runs (their ``results.json``) and of ``current``.

    Reads ``results[key]`` (what :meth:`PublishedFigures.to_dict` recorded) of each earlier
    run.  Only published values are read, so the trend cannot reveal what an earlier report
    suppressed; a suppressed figure is a gap.  Columns: ``year``, ``figure`` (a published
    column such as ``pct_reliably_improved`` or ``effect_size``), ``value``.

    The criteria of reliable change (``criteria`` of each year's published figures: the
    reliability, reference mean and SD, the cut-off and S_diff) must be the same for every
    year: a trend over moving yardsticks is refused with a :class:`DataError` naming the two
    years and the values that differ.  The cut-off and S_diff are shown as the figures
    ``cutoff`` and ``s_diff`` of every year.  Years that recorded their effect size
    (``effect_size.method``) must have used the same one (:class:`DataError` otherwise).
    """
    entries: list[tuple[int, dict[str, Any]]] = []
    files: dict[int, str] = {}
    for path in history:
        try:
            results = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DataError(f"cannot read an earlier run's results: {exc}", file=str(path)) from None
        entry = results.get(key) if isinstance(results, dict) else None
        if not isinstance(entry, dict) or "disclosure" not in entry or "year" not in entry:
            raise DataError(f"an earlier run's results have no published {key!r} entry", file=str(path),
                            expected="the results.json of a yearly_summary run")
        entries.append((int(entry["year"]), entry))
        files[int(entry["year"])] = str(path)
    entries.append((int(current.disclosure.published["year"].iloc[0]), jsonable_dict(current.to_dict())))
    years = [y for y, _ in entries]
    if len(set(years)) != len(years):
        raise DataError(f"the history holds the same year twice: {sorted(years)}", expected="one results.json per year")
    _check_criteria(entries, files)
    method = _effect_size_method(entries, files)
    rows = []
    for year, entry in entries:
        crit = entry.get("criteria") or {}
        for col in ("cutoff", "s_diff"):
            if col in crit:
                rows.append({"year": year, "figure": col, "value": np.nan if crit[col] is None else float(crit[col])})
        for r in entry["disclosure"]["published"]:
            if r.get("group") != TOTAL:
                continue
            for col in ("n", *PERCENTAGES, "effect_size", "mean_grade"):
                v = r.get(col)
                rows.append({"year": year, "figure": col, "value": np.nan if v is None else float(v)})
    table = pd.DataFrame(rows, columns=["year", "figure", "value"])
    return Trend(meta=base_meta("trend", years=sorted(years), n_original=len(entries), n_used=len(entries),
                                lang=current.lang, effect_size_method=method),
                 table=table.sort_values(["figure", "year"]).reset_index(drop=True))


def jsonable_dict(d: dict[str, Any]) -> dict[str, Any]:
    """``d`` as it reads back from ``results.json`` (so this year and earlier years compare alike)."""
    return json.loads(json.dumps(jsonable(d)))


# ----------------------------------------------------------------------------- text
def _size_word(d: float, lang: str) -> str:
    """Cohen's (1988) conventional labels of ``|d|``: from 0.2 small, from 0.5 medium, from 0.8 large.

    ``d`` is the value as the text shows it (two decimals), so the word never contradicts the
    number beside it (0.196 is shown as 0.20 and called small).
    """
    words = {"nl": ("verwaarloosbaar", "klein", "middelgroot", "groot"),
             "en": ("negligible", "small", "medium", "large")}[lang]
    return words[int(np.searchsorted([0.2, 0.5, 0.8], abs(d), side="right"))]


def yearly_text(pub: PublishedFigures, *, scale_name: str, lang: str = "nl") -> str:
    """The plain-language summary of the year, built from published values only.

    A suppressed figure is described as "too few clients to report" and never estimated;
    the share intervals are Wilson (1927) intervals on the *published* (rounded) counts, so
    they reveal nothing the table does not.  Every word is in ``lang`` and every number goes
    through :mod:`effectstudy.core.formatting` (decimal comma in Dutch, percentages with %);
    the effect size is named with its standardiser (:data:`ES_NAMES`).

    Parameters
    ----------
    pub : PublishedFigures
        The overall published figures (``KeyFigures.published()``).
    scale_name : str
        The outcome measure as the report names it, in ``lang``.
    lang : {"nl", "en"}
    """
    check_lang(lang)
    nl = lang == "nl"
    year = int(pub.disclosure.published["year"].iloc[0])
    n = pub.value("n")
    ci_word = "BI" if nl else "CI"

    def share(num: str, den: str) -> tuple[str, str] | None:
        k, m = pub.value(num), pub.value(den)
        pct = pub.value(f"pct_{num.removeprefix('n_')}")
        if np.isnan(k) or np.isnan(m) or np.isnan(pct) or m <= 0:
            return None
        lo, hi = wilson_ci(np.array([k]), np.array([m]))
        # "56-81%": the form the disclosure attacker (tests/reports/attacker.py) reads back
        bounds = f"{percent(lo[0], lang).removesuffix('%')}-{percent(hi[0], lang)}"
        return percent(pct, lang, proportion=False), f"{percent(0.95, lang)}{'-' if nl else ' '}{ci_word} {bounds}"

    few = "te weinig cliënten om te rapporteren" if nl else "too few clients to report"
    if np.isnan(n):
        return (f"In {year} werden te weinig behandelingen afgesloten om cijfers te publiceren." if nl else
                f"Too few treatments ended in {year} to publish figures.")
    count = number(n, lang, 0)
    out = [f"In {year} werden ongeveer {count} behandeltrajecten afgesloten van cliënten die toestemming "
           f"gaven voor de effectstudie." if nl else
           f"In {year}, about {count} treatment episodes of clients who consented to the effect study ended."]
    c = share("n_complete", "n")
    out.append((f"Van {c[0]} ({c[1]}) is zowel een voor- als een nameting beschikbaar (uitkomstmaat: "
                f"{scale_name}); de uitkomsten hieronder betreffen deze groep." if c else
                f"Het aandeel met voor- en nameting: {few}.")
               if nl else
               (f"For {c[0]} ({c[1]}) both a pre and a post measurement are available (outcome measure: "
                f"{scale_name}); the outcomes below concern them." if c else
                f"The share with pre and post measurement: {few}."))
    r = share("n_reliably_improved", "n_complete")
    rec = share("n_recovered", "n_complete")
    if r:
        # each share directly followed by its interval: "55% (95%-BI 48-62%)"
        out.append(f"{r[0]} ({r[1]}) van hen ging betrouwbaar vooruit" + (
                   f", en {rec[0]} ({rec[1]}) herstelde ook: hun score kwam aan de gezonde kant van het "
                   f"afkappunt." if rec else ".")
                   if nl else f"{r[0]} ({r[1]}) of them improved reliably" + (
                       f", and {rec[0]} ({rec[1]}) also recovered: their score ended on the healthy side of the "
                       f"cut-off." if rec else "."))
    else:
        out.append(f"Betrouwbare verbetering: {few}." if nl else f"Reliable improvement: {few}.")
    out.append(_effect_sentence(pub, lang))
    st = share("n_stagnated", "n_evaluable")
    out.append((f"Bij {st[0]} ({st[1]}) van de trajecten met een meting na 3 tot 5 sessies was er toen nog geen "
                f"betrouwbare verbetering; volgens de praktijkregel worden zij besproken in de intervisie."
                if st else f"Stagnatie na 3 tot 5 sessies: {few}.") if nl else
               (f"In {st[0]} ({st[1]}) of the episodes measured after 3 to 5 sessions there was no reliable "
                f"improvement yet; by the practice rule these are discussed in peer consultation."
                if st else f"Stagnation after 3 to 5 sessions: {few}."))
    ret = share("n_returned", "n_issued")
    g = pub.value("mean_grade")
    if ret:
        grade = (f" Het gemiddelde rapportcijfer was {number(g, lang, DIGITS['mean_grade'])}." if nl else
                 f" The mean grade was {number(g, lang, DIGITS['mean_grade'])}.") if not np.isnan(g) else ""
        out.append(f"Van de tevredenheidsformulieren kwam {ret[0]} ingevuld terug.{grade}" if nl else
                   f"{ret[0]} of the satisfaction forms were returned.{grade}")
    return " ".join(s for s in out if s)


def _effect_sentence(pub: PublishedFigures, lang: str) -> str:
    """The effect-size sentence of :func:`yearly_text` (empty when it is not published): the
    size in words (:func:`_size_word`), the effect size named with its standardiser, its CI."""
    nl = lang == "nl"
    d = pub.value("effect_size")
    if np.isnan(d):
        return ""
    digits = DIGITS["effect_size"]
    lo, hi = pub.value("effect_size_ci_low"), pub.value("effect_size_ci_high")
    shown = float(number(d, "en", digits))  # the word goes with the number as printed
    word = _size_word(shown, lang)
    level = float((pub.effect_size or {}).get("ci", 0.95))
    # a CI hidden because it would narrow n_complete (ci_counts) is left out, not shown as "–"
    ci = ("" if np.isnan(lo) or np.isnan(hi) else
          f" ({percent(level, lang)}-BI {number(lo, lang, digits)} tot {number(hi, lang, digits)})" if nl else
          f" ({percent(level, lang)} CI {number(lo, lang, digits)} to {number(hi, lang, digits)})")
    name = ES_NAMES.get(str((pub.effect_size or {}).get("method")), "d")
    value = f"{'effectgrootte' if nl else 'effect size'} {name} = {number(d, lang, digits)}{ci}"
    if shown >= 0:  # the yearly effect size is positive for an improvement
        return (f"De gemiddelde verbetering is {word}: {value}." if nl else
                f"The average improvement is {word}: {value}.")
    return (f"Gemiddeld gingen cliënten achteruit; die verslechtering is {word}: {value}." if nl else
            f"On average clients got worse; the deterioration is {word}: {value}.")


# ----------------------------------------------------------------------------- methods
register({
    "yearly_cutoff_a": {"nl": "twee SD van het gemiddelde van de klinische referentiegroep, in de richting van herstel",
                        "en": "two SDs from the mean of the clinical reference group, towards recovery"},
    "yearly_cutoff_b": {"nl": "twee SD van het gemiddelde van de gezonde normgroep, in de richting van de klachten",
                        "en": "two SDs from the mean of the healthy norm group, towards the symptoms"},
    "yearly_cutoff_c": {"nl": "het punt tussen de klinische en de gezonde normgroep, gewogen naar hun SD's",
                        "en": "the point between the clinical and the healthy norm group, weighted by their SDs"},
    "yearly_cutoff_published": {"nl": "het gepubliceerde afkappunt van de vragenlijst",
                                "en": "the questionnaire's published cut-off"},
})


def _days(d: int, lang: str, anchor: str | None) -> str:
    """``d`` days relative to ``anchor`` (a date in words), or to a date named before when
    ``anchor`` is ``None``.

    >>> _days(-30, "nl", None), _days(14, "nl", "het einde"), _days(1, "en", None), _days(0, "en", "the end")
    ('30 dagen ervoor', '14 dagen na het einde', '1 day after', 'the end itself')
    """
    nl = lang == "nl"
    if d == 0:
        return ("de dag zelf" if nl else "the day itself") if anchor is None else (
            f"{anchor} zelf" if nl else f"{anchor} itself")
    k = number(abs(d), lang, 0)
    unit = ("dag" if abs(d) == 1 else "dagen") if nl else ("day" if abs(d) == 1 else "days")
    if anchor is None:
        side = ("ervoor" if d < 0 else "erna") if nl else ("before" if d < 0 else "after")
        return f"{k} {unit} {side}"
    side = ("vóór" if d < 0 else "na") if nl else ("before" if d < 0 else "after")
    return f"{k} {unit} {side} {anchor}"


def window_text(window: Sequence[int], lang: str = "nl", anchor: str | None = None) -> str:
    """A time window in days in words: relative to a date just named (``anchor=None``) or to
    ``anchor``; only the far end names the anchor.

    >>> window_text((-30, 14), "nl")
    'van 30 dagen ervoor tot 14 dagen erna'
    >>> window_text((-30, 30), "en", "the end of treatment")
    'from 30 days before to 30 days after the end of treatment'
    """
    lo, hi = (int(w) for w in window)
    # the near end without the anchor ("30 dagen vóór"), unless it is the anchor itself
    first = _days(lo, lang, anchor if anchor is None or lo == 0 else "").strip()
    return (f"van {first} tot {_days(hi, lang, anchor)}" if lang == "nl" else
            f"from {first} to {_days(hi, lang, anchor)}")


def post_rule_sentence(post_rule: str, post_window: Sequence[int], lang: str = "nl") -> str:
    """Which measurement counts as the post measurement (``analysis.post_rule``), in words and
    without counts (a public report publishes no unrounded count).

    >>> post_rule_sentence("last_measurement", (-30, 30), "en")
    'Post measurement: the last measurement from 30 days before to 30 days after the end of treatment, also when that is an interim measurement.'
    >>> post_rule_sentence("end_only", (-30, 30), "nl")[:92]
    'Nameting: alleen een eindmeting telt: de eindmeting het dichtst bij het einde van de behande'
    """
    nl = lang == "nl"
    if post_rule == "end_only":
        return (f"Nameting: alleen een eindmeting telt: de eindmeting het dichtst bij het einde van de behandeling, "
                f"{window_text(post_window, lang)}; een traject dat zonder eindmeting stopte, heeft geen nameting, "
                f"ook als er tussenmetingen zijn." if nl else
                f"Post measurement: only an end measurement counts: the end measurement nearest to the end of "
                f"treatment, {window_text(post_window, lang)}; an episode that stopped without an end measurement "
                f"has no post measurement, even with interim measurements.")
    if post_rule == "last_measurement":
        end = "het einde van de behandeling" if nl else "the end of treatment"
        return (f"Nameting: de laatste meting {window_text(post_window, lang, end)}, ook als dat een tussenmeting is."
                if nl else
                f"Post measurement: the last measurement {window_text(post_window, lang, end)}, also when that is an "
                f"interim measurement.")
    raise ArgumentError("post_rule", post_rule, "'end_only' or 'last_measurement'")


def methods_text(pub: PublishedFigures, *, scale_name: str, pre_window: Sequence[int],
                 post_window: Sequence[int], post_rule: str, rc_method: str, cutoff_type: Any,
                 criteria_text: str, lang: str = "nl") -> str:
    """The methods paragraph of the yearly summary, in ``lang``: the outcome measure, which
    measurements are the pre and the post (the windows and ``analysis.post_rule``), reliable
    change and recovery with the cut-off in words, the criteria (``criteria_text``:
    ``Criteria.text``) and the effect size named with its standardiser
    (:func:`effectstudy.outcomes.effect_size.definition_text` of ``pub.effect_size``).

    ``Study.methods_text`` adds the stagnation rule, the disclosure rules and the key status.
    """
    check_lang(lang)
    nl = lang == "nl"
    cut = label(f"yearly_cutoff_{cutoff_type}", lang) if cutoff_type in ("a", "b", "c", "published") else ""
    es_def = pub.effect_size or {"method": "b", "adjust": True, "orientation": IMPROVEMENT_POSITIVE}
    definition = definition_text(es_def, lang)
    pre = (f"Voormeting: de meting het dichtst bij het begin van de behandeling, {window_text(pre_window, lang)}."
           if nl else
           f"Pre measurement: the measurement nearest to the start of treatment, {window_text(pre_window, lang)}.")
    recovery = (f"Betrouwbare verandering volgens {method_label(rc_method, lang)}; herstel: betrouwbaar verbeterd en "
                f"na afloop aan de gezonde kant van het afkappunt{f' ({cut})' if cut else ''}."
                if nl else
                f"Reliable change after {method_label(rc_method, lang)}; recovered: reliably improved and at the end on "
                f"the healthy side of the cut-off{f' ({cut})' if cut else ''}.")
    head = "**Werkwijze.** Uitkomstmaat" if nl else "**Methods.** Outcome measure"
    es_word = "De effectgrootte is" if nl else "The effect size is"
    return (f"{head}: {scale_name}. {pre} {post_rule_sentence(post_rule, post_window, lang)} {recovery} "
            f"{criteria_text} {es_word} {definition}.")
