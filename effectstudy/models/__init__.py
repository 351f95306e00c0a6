r"""Models for the student analyses: ANCOVA of post on pre and group, and a mixed model.

Two verbs on long pre/post data (one row per subject and occasion, ``pre=``/``post=``
naming the occasions), with output in the form psychology students know from SPSS and
the APA Publication Manual (7th ed.):

* :func:`ancova`: ``post ~ pre + group (+ covariates)`` by ordinary least squares on the
  **complete pairs** (completers, listwise), with the ANOVA table (type III sums of
  squares by default, as SPSS), partial :math:`\eta^2`, estimated marginal (adjusted)
  means, pairwise comparisons and the assumption checks (homogeneity of regression
  slopes, Levene's test, Shapiro-Wilk).
* :func:`mixed_prepost`: a linear mixed model ``score ~ time * group (+ covariates)``
  with a random intercept per subject (REML) on **all available measurements**, the
  sensitivity analysis that keeps subjects with only a pre (or only a post) score.

Both are checked against R (``lm``, ``car::Anova``, ``emmeans``, ``car::leveneTest``,
``shapiro.test``, ``lme4::lmer``) in ``tests/reference/models``.

APA number formatting (:func:`apa_number`, :func:`apa_p`) follows APA 7 (sections
6.36 and 6.40): statistics with two decimals, p with three decimals, ``p < .001`` below
.001, no leading zero for quantities that cannot exceed 1 (p, partial :math:`\eta^2`,
Shapiro-Wilk W, ICC).  ``lang="nl"`` writes a **decimal comma** (Dutch text: "F(2, 184) =
18,26, p < ,001"), as the Dutch adaptations of APA prescribe for Dutch-language text, and
separates interval limits with a semicolon ("[148,53; 156,74]") so the comma is not
ambiguous; ``lang="en"`` writes decimal points.  Negative numbers use the hyphen-minus
("-2.35"), the character SPSS output and keyboards produce.

>>> apa_p(0.0321), apa_p(0.00004), apa_p(0.0321, lang="nl")
('p = .032', 'p < .001', 'p = ,032')
"""

from __future__ import annotations

import html
import itertools
import math
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError, DataQualityWarning
from effectstudy.core.jsonable import jsonable
from effectstudy.core.labels import Lang, label, register
from effectstudy.core.results import Result, base_meta
from effectstudy.data.longdata import check_columns, prepost_wide

__all__ = [
    "ancova",
    "mixed_prepost",
    "AncovaResult",
    "MixedResult",
    "apa_number",
    "apa_p",
    "SS_TYPES",
    "P_ADJUST",
]

#: sums-of-squares types of :func:`ancova` (SPSS's default is 3)
SS_TYPES = (1, 2, 3)
#: p-value adjustments of the pairwise comparisons
P_ADJUST = ("bonferroni", "holm", "none")

register({
    "source": {"nl": "Bron", "en": "Source"},
    "ss": {"nl": "KS", "en": "SS"},
    "ms": {"nl": "GK", "en": "MS"},
    "f": {"nl": "F", "en": "F"},
    "partial_eta_sq": {"nl": "partiële η²", "en": "partial η²"},
    "emmean": {"nl": "Gecorrigeerd gem.", "en": "Adjusted mean"},
    "se": {"nl": "SE", "en": "SE"},
    "group_1": {"nl": "Groep 1", "en": "Group 1"},
    "group_2": {"nl": "Groep 2", "en": "Group 2"},
    "p_adjusted": {"nl": "p (gecorrigeerd)", "en": "p (adjusted)"},
    "test": {"nl": "Toets", "en": "Test"},
    "statistic": {"nl": "Toetsgrootheid", "en": "Statistic"},
    "df1": {"nl": "vg1", "en": "df1"},
    "df2": {"nl": "vg2", "en": "df2"},
    "term": {"nl": "Term", "en": "Term"},
    "df": {"nl": "vg", "en": "df"},
    "p": {"nl": "p", "en": "p"},
    "t": {"nl": "t", "en": "t"},
    "z": {"nl": "z", "en": "z"},
    "component": {"nl": "Component", "en": "Component"},
    "variance": {"nl": "Variantie", "en": "Variance"},
    "sd": {"nl": "SD", "en": "SD"},
    "chi2": {"nl": "χ²", "en": "χ²"},
    "intercept": {"nl": "Intercept", "en": "Intercept"},
    "residual": {"nl": "Fout", "en": "Error"},
    "slopes_homogeneity": {"nl": "Homogeniteit regressiehellingen",
                           "en": "Homogeneity of regression slopes"},
    "levene": {"nl": "Levene (gemiddelde)", "en": "Levene (mean)"},
    "shapiro_wilk": {"nl": "Shapiro-Wilk", "en": "Shapiro-Wilk"},
    "subject_intercept": {"nl": "Intercept per persoon", "en": "Subject intercept"},
    "time_x_group": {"nl": "Tijd × groep", "en": "Time × group"},
})


# =========================================================================================
# APA number formatting
# =========================================================================================

def _round_half_up(x: float, digits: int) -> Decimal:
    # decimal rounding of the shortest repr: 0.0495 -> 0.050 whatever its binary value
    return Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def apa_number(x: float, digits: int = 2, *, lang: Lang = "en",
               leading_zero: bool = True) -> str:
    """A number as APA prints it: ``digits`` decimals, rounded half up.

    ``leading_zero=False`` for quantities that cannot exceed 1 in absolute value
    (correlations, proportions, partial :math:`\\eta^2`): ``.45``.  A value that rounds to
    zero is printed without a sign (never ``-0.00``).  ``lang="nl"`` uses a decimal comma.
    Missing values print as an en dash.

    >>> apa_number(2.345), apa_number(-0.004), apa_number(-0.456, leading_zero=False)
    ('2.35', '0.00', '-.46')
    >>> apa_number(1234.5, 1, lang="nl"), apa_number(float("nan"))
    ('1234,5', '–')
    """
    if x is None or not np.isfinite(x):
        return "–"
    d = _round_half_up(x, digits)
    if d == 0:
        d = abs(d)
    s = f"{d:.{digits}f}" if digits > 0 else f"{d:.0f}"
    if not leading_zero:
        if s.startswith("0."):
            s = s[1:]
        elif s.startswith("-0."):
            s = "-" + s[2:]
    if lang == "nl":
        s = s.replace(".", ",")
    return s


def apa_p(p: float, *, lang: Lang = "en", alpha: float = 0.05, prefix: str = "p") -> str:
    """A p-value as APA 7 prints it: ``p = .032``, ``p < .001``, never ``p = .000``.

    Three decimals without a leading zero; values below .001 as ``p < .001`` and values
    that would round to 1 as ``p > .999``.  A p-value just below ``alpha`` that rounds up
    to it (.0495 -> .050) is printed with as many decimals as it takes to stay below
    ``alpha`` (``p = .0495``, ``p = .04999``; beyond six decimals ``p < .050``), so that the
    text never contradicts the significance decision.

    >>> apa_p(0.0495), apa_p(0.0505), apa_p(0.00099), apa_p(0.9996)
    ('p = .0495', 'p = .051', 'p < .001', 'p > .999')
    >>> apa_p(0.1234, lang="nl", prefix="p_adj")
    'p_adj = ,123'
    """
    if p is None or not np.isfinite(p):
        return f"{prefix} = –"
    if p < 0.001:
        return f"{prefix} < " + apa_number(0.001, 3, lang=lang, leading_zero=False)
    if _round_half_up(p, 3) >= 1:
        return f"{prefix} > " + apa_number(0.999, 3, lang=lang, leading_zero=False)
    digits = 3
    while p < alpha and float(_round_half_up(p, digits)) >= alpha:
        if digits == 6:
            return f"{prefix} < " + apa_number(alpha, 3, lang=lang, leading_zero=False)
        digits += 1
    return f"{prefix} = " + apa_number(p, digits, lang=lang, leading_zero=False)


def _df(x: float, lang: Lang) -> str:
    return str(int(round(x))) if abs(x - round(x)) < 1e-9 else apa_number(x, 2, lang=lang)


def _ci(lo: float, hi: float, lang: Lang, digits: int = 2) -> str:
    sep = "; " if lang == "nl" else ", "
    return f"[{apa_number(lo, digits, lang=lang)}{sep}{apa_number(hi, digits, lang=lang)}]"


def _pct(ci: float) -> str:
    v = 100 * ci
    return f"{v:.0f}%" if abs(v - round(v)) < 1e-9 else f"{v:g}%"


# =========================================================================================
# argument checks and data preparation
# =========================================================================================

def _check_ci(ci: Any) -> float:
    if isinstance(ci, bool) or not isinstance(ci, (int, float, np.floating)) or not 0 < ci < 1:
        raise ArgumentError("ci", ci, "a confidence level in (0, 1), e.g. 0.95")
    return float(ci)


def _check_covariates(covariates: Any, data: pd.DataFrame, taken: dict[str, Hashable]) -> list:
    if covariates is None:
        return []
    if isinstance(covariates, (str, bytes)) or not isinstance(covariates, Sequence):
        raise ArgumentTypeError("covariates", covariates,
                                "a list of column names, e.g. ['age'] (or None)")
    covs = list(covariates)
    check_columns(data, **{f"covariates[{i}]": c for i, c in enumerate(covs)})
    if len(set(covs)) != len(covs):
        raise ArgumentError("covariates", covs, "each column once")
    for c in covs:
        for arg, col in taken.items():
            if col is not None and c == col:
                raise ArgumentError("covariates", c, f"a column other than {arg}={col!r}")
    return covs


def _subject_values(data: pd.DataFrame, *, subject: Hashable, time: Hashable, pre: Any,
                    post: Any, columns: list) -> pd.DataFrame:
    """Per subject, the values of ``columns`` on its pre row, or its post row without one.

    The same rule as :func:`effectstudy.data.longdata.prepost_wide` uses for the group.
    """
    tv = data[time].to_numpy()
    keep = np.flatnonzero((tv == pre) | (tv == post))
    order = keep[np.argsort(tv[keep] != pre, kind="stable")]
    rows = data.iloc[order][[subject, *columns]]
    rows = rows.drop_duplicates(subset=[subject], keep="first")
    return rows.set_index(subject)


def _levels(s: pd.Series) -> list:
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(s.dropna().unique())
        return [c for c in s.cat.categories if c in present]
    return sorted(pd.unique(s.dropna()), key=lambda v: (str(type(v)), v))


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _warn_exclusions(n_original: int, n_used: int, exclusions: dict[str, int]) -> None:
    if exclusions:
        warnings.warn(
            f"{n_original - n_used} of {n_original} subjects excluded: "
            + ", ".join(f"{k} {v}" for k, v in exclusions.items()),
            DataQualityWarning,
            stacklevel=3,
        )


def _code(values: np.ndarray, levels: list, coding: str) -> np.ndarray:
    """Contrast-coded columns of a factor: ``"sum"`` (R contr.sum: level j -> e_j, last
    level -> -1) or ``"treatment"`` (R contr.treatment: first level is the reference)."""
    k = len(levels)
    idx = pd.Categorical(values, categories=levels).codes
    if coding == "sum":
        basis = np.vstack([np.eye(k - 1), -np.ones((1, k - 1))])
    else:
        basis = np.vstack([np.zeros((1, k - 1)), np.eye(k - 1)])
    return basis[idx]


@dataclass
class _Term:
    name: str              # display name (column of data, "pre", "time", ...)
    X: np.ndarray          # its columns
    columns: list[str]     # coefficient names
    kind: str = "numeric"  # "numeric" | "factor"
    levels: list = field(default_factory=list)
    mean: float = float("nan")


def _covariate_terms(covs: list, values: pd.DataFrame, coding: str) -> list[_Term]:
    terms = []
    for c in covs:
        v = values[c]
        if _is_numeric(v):
            x = v.to_numpy(dtype=float)
            if np.std(x) == 0:
                raise DataError(f"covariate {c!r} is constant among the subjects used",
                                column=str(c), expected="a covariate that varies")
            terms.append(_Term(str(c), x[:, None], [str(c)], "numeric", mean=float(x.mean())))
        else:
            levs = _levels(v)
            if len(levs) < 2:
                raise DataError(f"covariate {c!r} has {len(levs)} level(s) among the subjects "
                                "used", column=str(c), value=levs,
                                expected="at least 2 levels")
            cols = [f"{c}[{lev}]" for lev in (levs[:-1] if coding == "sum" else levs[1:])]
            terms.append(_Term(str(c), _code(v.to_numpy(), levs, coding), cols, "factor",
                               levels=levs))
    return terms


def _ols(y: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, float, int]:
    """Coefficients, residual sum of squares and rank (QR least squares)."""
    beta, _, rank, _ = np.linalg.lstsq(X, y, rcond=None)
    r = y - X @ beta
    return beta, float(r @ r), int(rank)


# =========================================================================================
# ANCOVA
# =========================================================================================

@dataclass(frozen=True, repr=False)
class AncovaResult(Result):
    """Result of :func:`ancova`.

    Tables (DataFrames of plain numbers, stable snake_case columns):

    * ``anova`` (also :meth:`summary`): ``source, ss, df, ms, f, p, partial_eta_sq``; rows
      ``intercept`` (type III only), ``pre``, the group column, the covariates,
      ``residual``.
    * ``emmeans``: ``group, n, emmean, se, df, ci_low, ci_high`` (adjusted means).
    * ``contrasts``: ``group_1, group_2, estimate, se, df, t, p, p_adjusted, ci_low,
      ci_high`` (estimate = emmean of group_1 - emmean of group_2).
    * ``assumptions``: ``test, statistic, df1, df2, p`` for ``slopes_homogeneity``,
      ``levene`` and ``shapiro_wilk``.

    ``patients``: the subjects used, ``pre, post, group[, covariates], fitted, residual``.
    ``model``: the fitted statsmodels OLS results.
    """

    anova: pd.DataFrame = None  # type: ignore[assignment]
    emmeans: pd.DataFrame = None  # type: ignore[assignment]
    contrasts: pd.DataFrame = None  # type: ignore[assignment]
    assumptions: pd.DataFrame = None  # type: ignore[assignment]
    model: Any = field(default=None, compare=False)
    title = "ANCOVA"

    def summary(self) -> pd.DataFrame:
        """The ANOVA table: ``source, ss, df, ms, f, p, partial_eta_sq``."""
        return self.anova.copy()

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        for name in ("emmeans", "contrasts", "assumptions"):
            out[name] = jsonable(getattr(self, name))
        return out

    # -- APA output --------------------------------------------------------------------
    def _row(self, source: str) -> pd.Series:
        return self.anova.set_index("source").loc[source]

    def _f_text(self, source: str, lang: Lang) -> str:
        r = self._row(source)
        df2 = self._row("residual")["df"]
        eta = "partiële η²" if lang == "nl" else "partial η²"
        return (f"F({_df(r['df'], lang)}, {_df(df2, lang)}) = {apa_number(r['f'], lang=lang)}, "
                f"{apa_p(r['p'], lang=lang)}, {eta} = "
                f"{apa_number(r['partial_eta_sq'], lang=lang, leading_zero=False)}")

    def apa(self, lang: Lang = "nl", alpha: float = 0.05, comparisons: bool = True) -> str:
        """APA-style sentences: group effect, pre score, adjusted means, pairwise comparisons
        (left out with ``comparisons=False``, e.g. for many groups: report
        ``apa_table(lang, "contrasts")`` instead), assumption checks and the number of
        subjects used.  ``alpha`` only chooses the words "significant"/"no significant".
        """
        _check_lang(lang)
        m = self.meta
        g = str(m["group"])
        nl = lang == "nl"
        covs = [str(c) for c in m["covariates"]]
        ss = {1: "I", 2: "II", 3: "III"}[m["ss_type"]]
        gp = self._row(g)["p"]
        sig = gp < alpha
        pct = _pct(m["ci"])
        if nl:
            cov_text = "de voormeting" + ("".join(f", {c}" for c in covs[:-1])
                                          + f" en {covs[-1]}" if covs else "")
            s1 = (f"Een ANCOVA (type {ss} kwadratensommen) van de nameting met {cov_text} als "
                  f"{'covariaten' if covs else 'covariaat'} liet {'een' if sig else 'geen'} significant verschil zien "
                  f"tussen de groepen van {g}, {self._f_text(g, lang)}.")
            s2 = f"De voormeting hing samen met de nameting, {self._f_text('pre', lang)}."
        else:
            cov_text = "the pre score" + ("".join(f", {c}" for c in covs[:-1])
                                          + f" and {covs[-1]}" if covs else "")
            s1 = (f"An ANCOVA (type {ss} sums of squares) of the post score with {cov_text} as "
                  f"{'covariates' if covs else 'covariate'} showed "
                  f"{'a' if sig else 'no'} significant difference between the groups of "
                  f"{g}, {self._f_text(g, lang)}.")
            s2 = f"The pre score was related to the post score, {self._f_text('pre', lang)}."
        at = ", ".join(f"{'voormeting' if (k == 'pre' and nl) else k} = "
                       f"{apa_number(v, lang=lang)}" for k, v in m["emmeans_at"].items())
        factors = [c for c, kind in m["covariate_kinds"].items() if kind == "factor"]
        if factors:
            at += ("; gemiddeld over " if nl else "; averaged over ") + ", ".join(factors)
        means = "; ".join(
            f"{r.group}: M = {apa_number(r.emmean, lang=lang)} (SE = {apa_number(r.se, lang=lang)}, "
            f"{pct}{'-BI' if nl else ' CI'} {_ci(r.ci_low, r.ci_high, lang)})"
            for r in self.emmeans.itertuples())
        s3 = (f"Gecorrigeerde gemiddelden (bij {at}): {means}." if nl
              else f"Adjusted means (at {at}): {means}.")
        adj = m["p_adjust"]
        adj_name = {"bonferroni": "Bonferroni", "holm": "Holm", "none": ""}[adj]
        comps = "; ".join(
            f"{r.group_1} vs. {r.group_2}: "
            f"{'verschil' if nl else 'difference'} = {apa_number(r.estimate, lang=lang)}, "
            f"SE = {apa_number(r.se, lang=lang)}, {apa_p(r.p_adjusted, lang=lang)}"
            for r in self.contrasts.itertuples())
        if nl:
            s4 = (f"Paarsgewijze vergelijkingen ({adj_name}-correctie): {comps}." if adj_name
                  else f"Paarsgewijze vergelijkingen (zonder correctie): {comps}.")
        else:
            s4 = (f"Pairwise comparisons ({adj_name}-adjusted): {comps}." if adj_name
                  else f"Pairwise comparisons (unadjusted): {comps}.")
        a = self.assumptions.set_index("test")
        sl, lv, sw = a.loc["slopes_homogeneity"], a.loc["levene"], a.loc["shapiro_wilk"]

        def fstat(r: pd.Series) -> str:
            return (f"F({_df(r['df1'], lang)}, {_df(r['df2'], lang)}) = "
                    f"{apa_number(r['statistic'], lang=lang)}, {apa_p(r['p'], lang=lang)}")

        wtxt = (f"W = {apa_number(sw['statistic'], lang=lang, leading_zero=False)}, "
                f"{apa_p(sw['p'], lang=lang)}")
        if nl:
            s5 = (f"Assumpties: interactie voormeting × {g} (homogeniteit van de "
                  f"regressiehellingen) {fstat(sl)}; Levene-toets op de residuen {fstat(lv)}; "
                  f"Shapiro-Wilk-toets op de residuen {wtxt}.")
        else:
            s5 = (f"Assumptions: pre score × {g} interaction (homogeneity of regression "
                  f"slopes) {fstat(sl)}; Levene's test on the residuals {fstat(lv)}; "
                  f"Shapiro-Wilk test on the residuals {wtxt}.")
        s6 = _n_text(m, lang)
        return " ".join([s1, s2, s3, *([s4] if comparisons else []), s5, s6])

    def apa_table(self, lang: Lang = "nl",
                  table: Literal["anova", "emmeans", "contrasts", "assumptions"] = "anova"
                  ) -> pd.DataFrame:
        """A display table formatted APA-style (strings): two decimals, p as ``.032`` /
        ``< .001``, no leading zero for p and partial :math:`\\eta^2`; labels in ``lang``."""
        _check_lang(lang)
        nl = lang == "nl"

        def num(x: float, d: int = 2) -> str:
            return apa_number(x, d, lang=lang)

        def pv(p: float) -> str:
            return apa_p(p, lang=lang, prefix="").replace("= ", "").strip()

        if table == "anova":
            t = self.anova
            ss = {1: "I", 2: "II", 3: "III"}[self.meta["ss_type"]]
            src = [_source_label(s, lang, self.meta) for s in t["source"]]
            out = pd.DataFrame({
                label("source", lang): src,
                (f"Type {ss} KS" if nl else f"Type {ss} SS"): [num(v) for v in t["ss"]],
                label("df", lang): [_df(v, lang) for v in t["df"]],
                label("ms", lang): [num(v) for v in t["ms"]],
                "F": [num(v) if np.isfinite(v) else "" for v in t["f"]],
                "p": [pv(v) if np.isfinite(v) else "" for v in t["p"]],
                label("partial_eta_sq", lang): [
                    apa_number(v, lang=lang, leading_zero=False) if np.isfinite(v) else ""
                    for v in t["partial_eta_sq"]],
            })
        elif table == "emmeans":
            t = self.emmeans
            pct = _pct(self.meta["ci"])
            out = pd.DataFrame({
                str(self.meta["group"]): t["group"].astype(str).to_numpy(),
                "n": t["n"].astype(int).astype(str).to_numpy(),
                ("M (gecorrigeerd)" if nl else "M (adjusted)"): [num(v) for v in t["emmean"]],
                "SE": [num(v) for v in t["se"]],
                (f"{pct}-BI" if nl else f"{pct} CI"): [_ci(lo, hi, lang) for lo, hi in
                                                     zip(t["ci_low"], t["ci_high"], strict=True)],
            })
        elif table == "contrasts":
            t = self.contrasts
            pct = _pct(self.meta["ci"])
            out = pd.DataFrame({
                ("Vergelijking" if nl else "Comparison"): [
                    f"{a} - {b}" for a, b in zip(t["group_1"], t["group_2"], strict=True)],
                ("Verschil" if nl else "Difference"): [num(v) for v in t["estimate"]],
                "SE": [num(v) for v in t["se"]],
                "t": [num(v) for v in t["t"]],
                "p": [pv(v) for v in t["p"]],
                label("p_adjusted", lang): [pv(v) for v in t["p_adjusted"]],
                (f"{pct}-BI" if nl else f"{pct} CI"): [_ci(lo, hi, lang) for lo, hi in
                                                     zip(t["ci_low"], t["ci_high"], strict=True)],
            })
        elif table == "assumptions":
            t = self.assumptions
            out = pd.DataFrame({
                label("test", lang): [label(v, lang) for v in t["test"]],
                ("Toetsgrootheid" if nl else "Statistic"): [
                    ("W = " + apa_number(s, lang=lang, leading_zero=False)) if tt == "shapiro_wilk"
                    else ("F = " + num(s)) for tt, s in zip(t["test"], t["statistic"], strict=True)],
                label("df", lang): ["" if not np.isfinite(a) else f"{_df(a, lang)}, {_df(b, lang)}"
                                    for a, b in zip(t["df1"], t["df2"], strict=True)],
                "p": [pv(v) for v in t["p"]],
            })
        else:
            raise ArgumentError("table", table,
                                "one of 'anova', 'emmeans', 'contrasts', 'assumptions'")
        return out

    def _repr_html_(self) -> str:
        lang = self.meta.get("lang", "en")
        head = "".join(f"<li>{html.escape(line)}</li>" for line in self._meta_lines())
        parts = [f"<div><h4>{html.escape(self.title)}</h4><ul>{head}</ul>"]
        for t in ("anova", "emmeans", "contrasts", "assumptions"):
            parts.append(self.apa_table(lang, t).to_html(index=False))
        parts.append(f"<p>{html.escape(self.apa(lang))}</p></div>")
        return "".join(parts)

    # -- plots -------------------------------------------------------------------------
    def plot(self, ax=None, kind: Literal["residuals", "qq", "slopes", "means"] = "residuals",
             **kwargs):
        """Diagnostic and result plots; returns the Axes.

        ``kind``: ``"residuals"`` (residuals against fitted values, per group),
        ``"qq"`` (normal Q-Q plot of the residuals), ``"slopes"`` (post against pre per group
        with each group's own regression line, for the slopes assumption), ``"means"``
        (adjusted means with their CI).
        """
        import matplotlib.pyplot as plt

        if kind not in ("residuals", "qq", "slopes", "means"):
            raise ArgumentError("kind", kind, "one of 'residuals', 'qq', 'slopes', 'means'")
        if ax is None:
            _, ax = plt.subplots()
        p = self.patients
        if kind == "residuals":
            for g, part in p.groupby("group", observed=True, sort=False):
                ax.scatter(part["fitted"], part["residual"], label=str(g), s=12, **kwargs)
            ax.axhline(0, color="grey", lw=1)
            ax.set_xlabel("fitted")
            ax.set_ylabel("residual")
            ax.legend(title=str(self.meta["group"]))
        elif kind == "qq":
            r = np.sort(p["residual"].to_numpy())
            n = r.size
            q = stats.norm.ppf((np.arange(1, n + 1) - 0.375) / (n + 0.25))  # Blom, as SPSS
            ax.scatter(q, r, s=12, **kwargs)
            sd = float(np.std(r, ddof=1))
            ax.plot(q, q * sd, color="grey", lw=1)
            ax.set_xlabel("normal quantile")
            ax.set_ylabel("residual")
        elif kind == "slopes":
            for g, part in p.groupby("group", observed=True, sort=False):
                pts = ax.scatter(part["pre"], part["post"], s=12, label=str(g), **kwargs)
                if len(part) >= 2 and part["pre"].nunique() > 1:
                    b, a = np.polyfit(part["pre"], part["post"], 1)
                    xs = np.array([part["pre"].min(), part["pre"].max()])
                    ax.plot(xs, a + b * xs, color=pts.get_facecolor()[0])
            ax.set_xlabel(str(self.meta["pre"]))
            ax.set_ylabel(str(self.meta["post"]))
            ax.legend(title=str(self.meta["group"]))
        else:
            e = self.emmeans
            x = np.arange(len(e))
            ax.errorbar(x, e["emmean"], yerr=[e["emmean"] - e["ci_low"], e["ci_high"] - e["emmean"]],
                        fmt="o", capsize=4, **kwargs)
            ax.set_xticks(x, [str(g) for g in e["group"]])
            ax.set_xlabel(str(self.meta["group"]))
            ax.set_ylabel("adjusted mean")
        return ax


def _check_lang(lang: Any) -> None:
    if lang not in ("nl", "en"):
        raise ArgumentError("lang", lang, "'nl' or 'en'")


def _source_label(source: str, lang: Lang, meta: dict) -> str:
    if source in ("intercept", "residual"):
        return label(source, lang)
    if source == "pre":
        return "Voormeting" if lang == "nl" else "Pre score"
    return str(source)


def _n_text(m: dict, lang: Lang) -> str:
    ex = m["exclusions"]
    n_ex = m["n_original"] - m["n_used"]
    if lang == "nl":
        names = {"missing_pre": "geen voormeting", "missing_post": "geen nameting",
                 "missing_group": "groep ontbreekt", "missing_covariate": "covariaat ontbreekt",
                 "no_measurement": "geen meting"}
        why = ", ".join(f"{names.get(k, k)} {v}" for k, v in ex.items())
        return (f"N = {m['n_used']}" + (f" ({n_ex} van {m['n_original']} uitgesloten: {why})."
                                        if n_ex else "."))
    names = {"missing_pre": "no pre score", "missing_post": "no post score",
             "missing_group": "no group", "missing_covariate": "missing covariate",
             "no_measurement": "no measurement"}
    why = ", ".join(f"{names.get(k, k)} {v}" for k, v in ex.items())
    return (f"N = {m['n_used']}" + (f" ({n_ex} of {m['n_original']} excluded: {why})."
                                    if n_ex else "."))


def _p_adjust(p: np.ndarray, method: str) -> np.ndarray:
    m = p.size
    if method == "none" or m == 0:
        return p.copy()
    if method == "bonferroni":
        return np.minimum(1.0, p * m)
    order = np.argsort(p, kind="stable")  # holm: step-down
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(1.0, adj)
    return out


def ancova(
    data: pd.DataFrame,
    *,
    subject: Hashable,
    time: Hashable,
    outcome: Hashable,
    pre: Any,
    post: Any,
    group: Hashable,
    covariates: Sequence[Hashable] | None = None,
    ss_type: Literal[1, 2, 3] = 3,
    ci: float = 0.95,
    p_adjust: Literal["bonferroni", "holm", "none"] = "bonferroni",
) -> AncovaResult:
    r"""ANCOVA of the post score on the pre score and group (and covariates), SPSS-style.

    Fits :math:`y_{post} = \beta_0 + \beta_1 y_{pre} + \sum_j \alpha_j g_j + \gamma' x +
    \varepsilon` by OLS (statsmodels) on the complete pre/post pairs, with sum-to-zero
    (deviation) contrasts for the group and factor covariates (R ``contr.sum``, SPSS's
    parameterisation for type III).

    Parameters
    ----------
    data : DataFrame
        Long data: one row per subject and occasion (e.g. ``es.pair_prepost(...).data``).
    subject, time, outcome : column names
    pre, post : values of ``time``
        The two occasions (never guessed from sorting).
    group : column name
        The between-subjects factor (e.g. ``"diagnosis"``); at least 2 levels.  Level order:
        the categories of a categorical column, otherwise sorted.
    covariates : list of column names, optional
        Further subject-level covariates: numeric columns enter linearly, other columns as
        factors.  Taken from the subject's pre row (as the group).
    ss_type : {1, 2, 3}, default 3
        Sums of squares: ``3`` (type III, SPSS's default; each term adjusted for all
        others, with sum-to-zero contrasts), ``2`` (type II, each term adjusted for the
        terms that do not contain it; equal to type III for every term but the intercept
        in this main-effects model), ``1`` (sequential, in the order pre, group,
        covariates).
    ci : float, default 0.95
        Confidence level of the adjusted means and comparisons.
    p_adjust : {"bonferroni", "holm", "none"}, default "bonferroni"
        Adjustment of the pairwise comparisons' p-values over the :math:`k(k-1)/2`
        comparisons.  Bonferroni: :math:`\min(1, m p)` (SPSS's EMMEANS option);
        Holm (1979): step-down, :math:`\max_{j \le i}\min(1, (m - j + 1) p_{(j)})`.
        Confidence intervals of the comparisons are Bonferroni-adjusted for both (Holm
        has no interval; as R emmeans does); ``"none"``: unadjusted (SPSS's LSD).

    Returns
    -------
    AncovaResult
        ``.summary()`` / ``.anova``: ``source, ss, df, ms, f, p, partial_eta_sq``;
        ``.emmeans``: ``group, n, emmean, se, df, ci_low, ci_high``; ``.contrasts``:
        ``group_1, group_2, estimate, se, df, t, p, p_adjusted, ci_low, ci_high``;
        ``.assumptions``: ``test, statistic, df1, df2, p``; ``.apa(lang)``,
        ``.apa_table(lang, table)``, ``.plot(ax, kind)``; ``.patients``, ``.meta``,
        ``.model`` (statsmodels).

    Raises
    ------
    ArgumentError, ArgumentTypeError
        Unknown column, bad ``pre``/``post``, ``ss_type``, ``ci``, ``p_adjust`` or
        ``covariates``.
    DataError
        Non-numeric outcome, duplicate rows, fewer than 2 groups, a constant covariate, a
        rank-deficient design or no residual degrees of freedom.

    Notes
    -----
    **Missing data (completers).**  A subject is used when it has a pre and a post score,
    a group and every covariate; the others are counted in ``meta["exclusions"]``
    (``missing_pre``, ``missing_post``, ``missing_group``, ``missing_covariate``) and a
    :class:`~effectstudy.core.errors.DataQualityWarning` is emitted.  :func:`mixed_prepost`
    is the analysis of all available data.

    **ANOVA table.**  The SS of a term with :math:`q` columns is the extra residual sum of
    squares when its columns are dropped from the full model (types II and III; with
    sum-to-zero contrasts this equals the Wald form :math:`\hat\beta' L'(L (X'X)^{-1}
    L')^{-1} L\hat\beta` of type III) or from the model with the terms before it (type I);
    :math:`F = (SS/q) / MS_{error}`, and partial eta squared
    :math:`\eta_p^2 = SS_{effect} / (SS_{effect} + SS_{error})` (Cohen, 1973; SPSS).

    **Estimated marginal means** (least-squares means; Searle, Speed & Milliken, 1980):
    :math:`\hat\mu_g = \bar x_g'\hat\beta` where :math:`\bar x_g` is the design row of group
    :math:`g` with the pre score and numeric covariates at their means over the subjects
    used, averaged with equal weights over the levels of factor covariates;
    :math:`SE = \sqrt{\bar x_g' \hat V \bar x_g}`, :math:`\hat V = MS_{error}(X'X)^{-1}`,
    CI :math:`\hat\mu_g \pm t_{(1+ci)/2,\, N-p}\, SE`.  That is R ``emmeans(fit, "group")``
    and SPSS ``/EMMEANS TABLES(group) WITH(pre=MEAN)``.

    **Assumption checks** (Maxwell, Delaney & Kelley, 2018, ch. 9):

    * homogeneity of regression slopes: the F test of adding ``pre × group`` to the
      model (a nested-model comparison), :math:`F = \frac{(RSS_0 - RSS_1)/(k-1)}
      {RSS_1/(N - p - k + 1)}`;
    * Levene's test of equal error variances: one-way ANOVA of the absolute deviations of
      the residuals from their group **mean** (``center = mean``, as SPSS; Brown-Forsythe
      would use the median);
    * Shapiro-Wilk W on the residuals (Royston's algorithm, ``scipy.stats.shapiro``;
      NaN above 5000 subjects, where R's ``shapiro.test`` refuses and the p is
      unreliable: judge the Q-Q plot, ``plot(kind="qq")``).

    Validated against R 4.2.2: ``lm`` with ``contr.sum``, ``car::Anova(type = 2, 3)``,
    ``anova()`` (type 1), ``emmeans`` 1.8.4-1 and ``pairs()``, ``car::leveneTest(center =
    mean)``, ``shapiro.test`` (``tests/reference/models``).

    References
    ----------
    American Psychological Association. (2020). *Publication manual of the American
    Psychological Association* (7th ed.). https://doi.org/10.1037/0000165-000

    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    *Scandinavian Journal of Statistics, 6*(2), 65-70.

    Maxwell, S. E., Delaney, H. D., & Kelley, K. (2018). *Designing experiments and
    analyzing data: A model comparison perspective* (3rd ed.). Routledge.

    Searle, S. R., Speed, F. M., & Milliken, G. A. (1980). Population marginal means in
    the linear model: An alternative to least squares means. *The American
    Statistician, 34*(4), 216-221. https://doi.org/10.1080/00031305.1980.10483031

    Examples
    --------
    >>> import pandas as pd, effectstudy as es
    >>> df = pd.DataFrame({
    ...     "id": list(range(9)) * 2, "t": ["pre"] * 9 + ["post"] * 9,
    ...     "y": [30, 25, 28, 35, 22, 27, 31, 26, 29, 20, 24, 21, 30, 15, 26, 29, 22, 20.0],
    ...     "dx": ["a", "b", "c"] * 6})
    >>> r = es.ancova(df, subject="id", time="t", outcome="y", pre="pre", post="post",
    ...               group="dx")
    >>> r.summary().round(3)
          source      ss  df      ms      f      p  partial_eta_sq
    0  intercept   6.297   1   6.297  0.381  0.564           0.071
    1        pre  43.261   1  43.261  2.614  0.167           0.343
    2         dx   7.100   2   3.550  0.215  0.814           0.079
    3   residual  82.739   5  16.548    NaN    NaN             NaN
    >>> r.apa_table("en")
          Source Type III SS df     MS     F     p partial η²
    0  Intercept        6.30  1   6.30  0.38  .564        .07
    1  Pre score       43.26  1  43.26  2.61  .167        .34
    2         dx        7.10  2   3.55  0.21  .814        .08
    3      Error       82.74  5  16.55
    >>> print(r.apa("en").split(". ")[0] + ".")
    An ANCOVA (type III sums of squares) of the post score with the pre score as covariate showed no significant difference between the groups of dx, F(2, 5) = 0.21, p = .814, partial η² = .08.
    """
    import statsmodels.api as sm

    if isinstance(ss_type, bool) or ss_type not in SS_TYPES:
        raise ArgumentError("ss_type", ss_type, "1, 2 or 3 (SPSS's default is 3)")
    if p_adjust not in P_ADJUST:
        raise ArgumentError("p_adjust", p_adjust, "one of 'bonferroni', 'holm', 'none'")
    ci = _check_ci(ci)
    if group is None:
        raise ArgumentError("group", None, "a column of data naming the groups to compare")
    check_columns(data, subject=subject, time=time, outcome=outcome, group=group)
    covs = _check_covariates(covariates, data, {"subject": subject, "time": time,
                                                 "outcome": outcome, "group": group})
    pp = prepost_wide(data, subject=subject, time=time, outcome=outcome, pre=pre, post=post,
                      group=group, warn=False)
    f = pp.frame.copy()
    exclusions = dict(pp.exclusions)
    if covs:
        cv = _subject_values(data, subject=subject, time=time, pre=pre, post=post,
                             columns=covs).reindex(f.index)
        miss = cv.isna().any(axis=1).to_numpy()
        if miss.any():
            exclusions["missing_covariate"] = int(miss.sum())
        f = f[~miss]
        cv = cv[~miss]
        for c in covs:
            f[c] = cv[c].to_numpy()
    n_used = len(f)
    _warn_exclusions(pp.n_original, n_used, exclusions)

    levels = _levels(f["group"])
    if len(levels) < 2:
        raise DataError(f"{len(levels)} group(s) with complete data in {group!r}; an ANCOVA "
                        "compares at least 2", column=str(group), value=levels,
                        expected="2 or more groups")
    y = f["post"].to_numpy(dtype=float)
    xpre = f["pre"].to_numpy(dtype=float)
    gvals = f["group"].to_numpy()
    terms = [
        _Term("intercept", np.ones((n_used, 1)), ["intercept"]),
        _Term("pre", xpre[:, None], ["pre"], mean=float(xpre.mean())),
        _Term(str(group), _code(gvals, levels, "sum"),
              [f"{group}[{lev}]" for lev in levels[:-1]], "factor", levels=levels),
        *_covariate_terms(covs, f, "sum"),
    ]
    X = np.hstack([t.X for t in terms])
    names = [c for t in terms for c in t.columns]
    n_par = X.shape[1]
    if n_used <= n_par:
        raise DataError(f"{n_used} subjects for {n_par} parameters leave no residual degrees "
                        "of freedom", expected=f"more than {n_par} complete subjects")
    if np.linalg.matrix_rank(X) < n_par:
        raise DataError("the design matrix is rank deficient (a covariate is collinear with "
                        "the pre score, the group or another covariate)",
                        expected="covariates that are not linear combinations of each other")
    fit = sm.OLS(y, pd.DataFrame(X, columns=names, index=f.index)).fit()
    df_resid = float(fit.df_resid)
    ss_res = float(fit.ssr)

    # -- ANOVA table: extra sums of squares of nested least-squares fits -------------------
    blocks = np.cumsum([0] + [t.X.shape[1] for t in terms])
    rows = []
    for i, t in enumerate(terms):
        if i == 0 and ss_type != 3:
            continue
        if ss_type == 1:   # sequential: terms before it, then with it
            _, rss_without, _ = _ols(y, X[:, :blocks[i]])
            _, rss_with, _ = _ols(y, X[:, :blocks[i + 1]])
        else:              # main-effects model: types II and III drop the term's columns
            keep = np.r_[0:blocks[i], blocks[i + 1]:n_par]
            _, rss_without, _ = _ols(y, X[:, keep])
            rss_with = ss_res
        ss = rss_without - rss_with
        q = t.X.shape[1]
        fval = (ss / q) / (ss_res / df_resid)
        rows.append({"source": t.name, "ss": ss, "df": q, "ms": ss / q, "f": fval,
                     "p": float(stats.f.sf(fval, q, df_resid)),
                     "partial_eta_sq": ss / (ss + ss_res)})
    rows.append({"source": "residual", "ss": ss_res, "df": int(df_resid),
                 "ms": ss_res / df_resid, "f": np.nan, "p": np.nan, "partial_eta_sq": np.nan})
    anova_tab = pd.DataFrame(rows)

    # -- estimated marginal means ------------------------------------------------------
    # reference grid: pre and numeric covariates at their means; factor covariates
    # averaged with equal weights over their levels (sum coding: the average row is 0)
    at: dict[str, float] = {"pre": float(xpre.mean())}
    base = []
    for t in terms[3:]:
        if t.kind == "numeric":
            at[t.name] = t.mean
            base.append([t.mean])
        else:
            base.append(list(np.zeros(len(t.columns))))
    gcode = _code(np.array(levels, dtype=object), levels, "sum")
    L = np.array([[1.0, at["pre"], *gcode[k], *[v for b in base for v in b]]
                  for k in range(len(levels))])
    beta = fit.params.to_numpy()
    V = fit.cov_params().to_numpy()
    est = L @ beta
    se = np.sqrt(np.einsum("ij,jk,ik->i", L, V, L))
    tq = stats.t.ppf((1 + ci) / 2, df_resid)
    counts = pd.Series(gvals).value_counts()
    emm = pd.DataFrame({"group": levels, "n": [int(counts[lev]) for lev in levels],
                        "emmean": est, "se": se, "df": df_resid,
                        "ci_low": est - tq * se, "ci_high": est + tq * se})

    # -- pairwise comparisons ----------------------------------------------------------
    pairs = list(itertools.combinations(range(len(levels)), 2))
    D = np.vstack([L[i] - L[j] for i, j in pairs])
    d_est = D @ beta
    d_se = np.sqrt(np.einsum("ij,jk,ik->i", D, V, D))
    tval = d_est / d_se
    praw = 2 * stats.t.sf(np.abs(tval), df_resid)
    m = len(pairs)
    level_c = 1 - (1 - ci) / m if p_adjust in ("bonferroni", "holm") else ci
    tq_c = stats.t.ppf((1 + level_c) / 2, df_resid)
    contr = pd.DataFrame({
        "group_1": [levels[i] for i, _ in pairs], "group_2": [levels[j] for _, j in pairs],
        "estimate": d_est, "se": d_se, "df": df_resid, "t": tval, "p": praw,
        "p_adjusted": _p_adjust(praw, p_adjust),
        "ci_low": d_est - tq_c * d_se, "ci_high": d_est + tq_c * d_se})

    # -- assumptions -------------------------------------------------------------------
    inter = xpre[:, None] * terms[2].X
    _, rss_big, rank_big = _ols(y, np.hstack([X, inter]))
    df_big = n_used - rank_big
    df_num = float(rank_big - n_par)
    if df_num > 0 and df_big > 0:
        f_sl = ((ss_res - rss_big) / df_num) / (rss_big / df_big)
        p_sl = float(stats.f.sf(f_sl, df_num, df_big))
    else:
        f_sl, p_sl = np.nan, np.nan
    resid = fit.resid.to_numpy()
    by_group = [resid[gvals == lev] for lev in levels]
    with np.errstate(divide="ignore", invalid="ignore"):
        # undefined (NaN) when the absolute deviations do not vary within groups (tiny data)
        lev_stat = stats.levene(*by_group, center="mean")
    lev_f = float(lev_stat.statistic) if np.isfinite(lev_stat.statistic) else np.nan
    lev_p = float(lev_stat.pvalue) if np.isfinite(lev_f) else np.nan
    # R's shapiro.test stops above 5000; scipy warns that its p is inaccurate there
    sw = stats.shapiro(resid) if n_used <= 5000 else (np.nan, np.nan)
    assumptions = pd.DataFrame({
        "test": ["slopes_homogeneity", "levene", "shapiro_wilk"],
        "statistic": [float(f_sl), lev_f, float(sw[0])],
        "df1": [df_num, float(len(levels) - 1), np.nan],
        "df2": [float(df_big), float(n_used - len(levels)), np.nan],
        "p": [p_sl, lev_p, float(sw[1])],
    })

    patients = f.copy()
    patients["fitted"] = fit.fittedvalues.to_numpy()
    patients["residual"] = resid
    readable = f"{post} ~ {pre} + {group}" + "".join(f" + {c}" for c in covs)
    meta = base_meta(
        "ancova_ols", formula=readable, ss_type=int(ss_type),
        contrasts="sum-to-zero (contr.sum) for group and factor covariates",
        p_adjust=p_adjust, ci_adjust=("bonferroni" if p_adjust != "none" else "none"),
        ci=ci, emmeans_at=at, emmeans_weights="equal over factor covariate levels",
        nan_policy="listwise (complete pre/post pairs, group and covariates)",
        outcome=outcome, pre=pre, post=post, group=group, covariates=list(covs),
        covariate_kinds={t.name: t.kind for t in terms[3:]}, group_levels=list(levels),
        n_original=pp.n_original, n_used=n_used, exclusions=exclusions,
        rows_other_time=pp.rows_other_time, df_resid=df_resid, sigma=float(np.sqrt(fit.scale)),
        r_squared=float(fit.rsquared))
    return AncovaResult(patients=patients, meta=meta, anova=anova_tab, emmeans=emm,
                        contrasts=contr, assumptions=assumptions, model=fit)


# =========================================================================================
# mixed model
# =========================================================================================

@dataclass(frozen=True, repr=False)
class MixedResult(Result):
    """Result of :func:`mixed_prepost`.

    * ``fixed_effects`` (also :meth:`summary`): ``term, estimate, se, z, p, ci_low,
      ci_high``; terms ``intercept``, ``time`` (post - pre in the reference group),
      ``<group>[<level>]``, ``time:<group>[<level>]`` and covariates (``<name>`` or
      ``<name>[<level>]``).
    * ``variance_components``: ``component, variance, sd`` (``subject_intercept``,
      ``residual``).
    * ``tests``: ``test, chi2, df, p``: the joint Wald test of the time × group
      interaction (empty without a group).
    * ``icc``, ``n_subjects``, ``n_observations``.

    ``patients``: one row per subject used (``n_measurements``, group, covariates);
    ``model``: the statsmodels MixedLM results.
    """

    fixed_effects: pd.DataFrame = None  # type: ignore[assignment]
    variance_components: pd.DataFrame = None  # type: ignore[assignment]
    tests: pd.DataFrame = None  # type: ignore[assignment]
    model: Any = field(default=None, compare=False)
    title = "Linear mixed model (pre/post, random intercept)"

    def summary(self) -> pd.DataFrame:
        """The fixed effects: ``term, estimate, se, z, p, ci_low, ci_high``."""
        return self.fixed_effects.copy()

    @property
    def icc(self) -> float:
        return float(self.meta["icc"])

    @property
    def n_subjects(self) -> int:
        return int(self.meta["n_used"])

    @property
    def n_observations(self) -> int:
        return int(self.meta["n_observations"])

    def _meta_lines(self) -> list[str]:
        return [*super()._meta_lines(), f"n_observations: {self.n_observations}",
                f"icc: {self.icc:.3f}"]

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["variance_components"] = jsonable(self.variance_components)
        out["tests"] = jsonable(self.tests)
        return out

    def apa(self, lang: Lang = "nl", alpha: float = 0.05) -> str:
        """APA-style sentences: model, N, the time effect, the interaction test, the ICC."""
        _check_lang(lang)
        nl = lang == "nl"
        m = self.meta
        fe = self.fixed_effects.set_index("term")
        g = m["group"]

        def coef(term: str) -> str:
            r = fe.loc[term]
            return (f"b = {apa_number(r['estimate'], lang=lang)}, SE = "
                    f"{apa_number(r['se'], lang=lang)}, z = {apa_number(r['z'], lang=lang)}, "
                    f"{apa_p(r['p'], lang=lang)}")

        n_both = m["n_both"]
        if nl:
            s1 = (f"Een lineair gemengd model (REML, random intercept per persoon) op alle "
                  f"beschikbare metingen (N = {m['n_used']} personen, {m['n_observations']} "
                  f"metingen; {n_both} met voor- en nameting)")
        else:
            s1 = (f"A linear mixed model (REML, random intercept per subject) on all available "
                  f"measurements (N = {m['n_used']} subjects, {m['n_observations']} "
                  f"observations; {n_both} with both measurements)")
        if g is None:
            s1 += (f" gaf een verandering van voor- naar nameting van {coef('time')}." if nl
                   else f" estimated the change from pre to post as {coef('time')}.")
            parts = [s1]
        else:
            ref = m["group_levels"][0]
            s1 += (f" gaf in de referentiegroep {ref} een verandering van voor- naar nameting "
                   f"van {coef('time')}." if nl else
                   f" estimated the change from pre to post in the reference group {ref} as "
                   f"{coef('time')}.")
            parts = [s1]
            if len(self.tests):
                t = self.tests.iloc[0]
                sig = t["p"] < alpha
                chi = (f"χ²({_df(t['df'], lang)}) = {apa_number(t['chi2'], lang=lang)}, "
                       f"{apa_p(t['p'], lang=lang)}")
                parts.append(
                    f"De interactie tijd × {g} was {'' if sig else 'niet '}significant "
                    f"(Wald-toets), {chi}." if nl else
                    f"The time × {g} interaction was {'' if sig else 'not '}significant "
                    f"(Wald test), {chi}.")
        icc = apa_number(self.icc, lang=lang, leading_zero=False)
        parts.append(f"De intraklassecorrelatie was {icc}." if nl
                     else f"The intraclass correlation was {icc}.")
        if m["exclusions"]:
            n_ex = m["n_original"] - m["n_used"]
            why = _n_text(m, lang).split(": ", 1)[1].rstrip(").")
            parts.append(f"{n_ex} van {m['n_original']} personen zijn uitgesloten ({why})."
                         if nl else
                         f"{n_ex} of {m['n_original']} subjects were excluded ({why}).")
        return " ".join(parts)


def _wald_covariance(X: np.ndarray, codes: np.ndarray, tau2: float, sigma2: float) -> np.ndarray:
    r""":math:`(X'\hat V^{-1}X)^{-1}` for a random-intercept model (lme4's ``vcov``).

    :math:`V_i^{-1} = \sigma^{-2}(I - \frac{\tau^2}{\sigma^2 + n_i\tau^2} J)`, summed
    over subjects without forming :math:`V`.
    """
    n_i = np.bincount(codes)
    sums = np.zeros((n_i.size, X.shape[1]))
    np.add.at(sums, codes, X)
    w = tau2 / (sigma2 + n_i * tau2)
    info = (X.T @ X - (sums * w[:, None]).T @ sums) / sigma2
    return np.linalg.inv(info)


def _profile_reml(theta: float, y: np.ndarray, X: np.ndarray,
                  codes: np.ndarray) -> tuple[float, np.ndarray, float]:
    r"""REML criterion :math:`-2\ell_R`, :math:`\hat\beta` and :math:`\hat\sigma^2` at
    :math:`\theta = \tau^2/\sigma^2` for a random-intercept model (profiled over
    :math:`\beta, \sigma^2`):

    .. math::

        -2\ell_R = (n-p)\,(1 + \log 2\pi\hat\sigma^2) + \sum_i \log(1 + n_i\theta)
                    + \log|X'H^{-1}X|,\quad H_i = I + \theta J,\quad
        \hat\sigma^2 = r'H^{-1}r/(n-p).
    """
    n, p = X.shape
    n_i = np.bincount(codes)
    sx = np.zeros((n_i.size, p))
    np.add.at(sx, codes, X)
    sy = np.bincount(codes, weights=y)
    w = theta / (1 + n_i * theta)
    xhx = X.T @ X - (sx * w[:, None]).T @ sx
    xhy = X.T @ y - (sx * w[:, None]).T @ sy
    beta = np.linalg.solve(xhx, xhy)
    r = y - X @ beta
    sr = np.bincount(codes, weights=r)
    sigma2 = float((r @ r - np.sum(w * sr ** 2)) / (n - p))
    crit = ((n - p) * (1 + math.log(2 * math.pi * sigma2)) + float(np.sum(np.log1p(n_i * theta)))
            + float(np.linalg.slogdet(xhx)[1]))
    return crit, beta, sigma2


def _profile_reml_argmin(y: np.ndarray, X: np.ndarray, codes: np.ndarray) -> float:
    from scipy.optimize import minimize_scalar

    def f(lt: float) -> float:
        return _profile_reml(math.exp(lt), y, X, codes)[0]

    opt = minimize_scalar(f, bounds=(-30.0, 10.0), method="bounded",
                          options={"xatol": 1e-10})
    theta = math.exp(opt.x)
    return 0.0 if _profile_reml(0.0, y, X, codes)[0] <= opt.fun else theta


def mixed_prepost(
    data: pd.DataFrame,
    *,
    subject: Hashable,
    time: Hashable,
    outcome: Hashable,
    pre: Any,
    post: Any,
    group: Hashable | None = None,
    covariates: Sequence[Hashable] | None = None,
    ci: float = 0.95,
) -> MixedResult:
    r"""Linear mixed model of the pre and post scores: time × group, random intercept.

    .. math::

        y_{it} = \beta_0 + \beta_1 t + \sum_j \alpha_j g_{ij} + \sum_j \delta_j t\,g_{ij}
                 + \gamma' x_i + u_i + \varepsilon_{it},\quad
        u_i \sim N(0, \tau^2),\ \varepsilon_{it} \sim N(0, \sigma^2)

    with :math:`t = 0` at pre and 1 at post, treatment (dummy) coding of the group with the
    first level as reference (R's default), fitted by REML (statsmodels ``MixedLM``).

    **All available data**: every subject with at least one non-missing score at ``pre``
    or ``post`` is used, so subjects without a post measurement contribute their pre score.
    Under missing-at-random this is the sensitivity analysis for the completers'
    :func:`ancova`.

    Parameters
    ----------
    data : DataFrame
        Long data: one row per subject and occasion.
    subject, time, outcome : column names
    pre, post : values of ``time``
    group : column name, optional
        Between-subjects factor; without it the model is ``score ~ time``.
    covariates : list of column names, optional
        Subject-level covariates (numeric: linear, uncentred; otherwise factors, treatment
        coded).  Taken from the pre row, or the post row of a subject without one.
    ci : float, default 0.95
        Level of the Wald confidence intervals of the fixed effects.

    Returns
    -------
    MixedResult
        ``.summary()`` / ``.fixed_effects``: ``term, estimate, se, z, p, ci_low, ci_high``;
        ``.variance_components``: ``component, variance, sd``; ``.tests``: ``test, chi2,
        df, p``; ``.icc``, ``.n_subjects``, ``.n_observations``, ``.apa(lang)``.

    Notes
    -----
    Fixed-effect standard errors are :math:`\sqrt{\mathrm{diag}(X'\hat V^{-1}X)^{-1}}` at
    the REML estimates, as lme4, SPSS MIXED and SAS PROC MIXED report them (statsmodels'
    own ``bse_fe`` inverts the observed information including the covariance parameters,
    which differs in the third digit).  Tests are Wald z-tests (no denominator degrees of
    freedom); the time × group interaction is tested jointly with
    :math:`\chi^2 = \hat\delta' \hat V_\delta^{-1} \hat\delta` on :math:`k - 1` df.
    :math:`ICC = \tau^2 / (\tau^2 + \sigma^2)`.

    **Fitting.**  statsmodels ``MixedLM`` (BFGS, gradient norm below 1e-8) on the outcome
    standardised to mean 0 and SD 1 (estimates are transformed back exactly, so the
    convergence criterion does not depend on the outcome's unit); L-BFGS-B when BFGS does
    not converge.  When neither converges (typically when :math:`\hat\tau^2 = 0`), the
    exact one-dimensional profile REML criterion in :math:`\theta = \tau^2/\sigma^2` is
    minimised instead.  A converged statsmodels fit is then polished by the same exact
    profile (bounded Brent search in :math:`\log\theta`, tolerance 1e-10), so the estimates
    do not depend on the optimizer's path (row order, level coding); ``meta["optimizer"]``
    says what was used.  A **boundary (singular)
    fit**, :math:`\hat\tau^2 = 0` (pre and post scores not positively correlated within
    subjects), emits a ``statsmodels`` ``ConvergenceWarning`` and sets
    ``meta["singular"]``; its fixed effects are those of OLS.  statsmodels' own fit
    warnings are collected in ``meta["fit_warnings"]`` and re-emitted as
    ``ConvergenceWarning`` only when the exact profile does not improve on its fit.

    Validated against R 4.2.2, ``lme4::lmer(score ~ time * group + (1 | id), REML = TRUE)``
    with a tight bobyqa tolerance (``tests/reference/models``).

    References
    ----------
    Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects
    models using lme4. *Journal of Statistical Software, 67*(1), 1-48.
    https://doi.org/10.18637/jss.v067.i01

    Twisk, J. W. R. (2013). *Applied longitudinal data analysis for epidemiology* (2nd
    ed.). Cambridge University Press.

    Examples
    --------
    >>> import pandas as pd, effectstudy as es
    >>> df = pd.DataFrame({
    ...     "id": list(range(8)) * 2, "t": ["pre"] * 8 + ["post"] * 8,
    ...     "y": [30, 25, 28, 35, 22, 27, 31, 26, 20, 24, 21, 30, 15, 26, 29, 22.0]})
    >>> r = es.mixed_prepost(df, subject="id", time="t", outcome="y", pre="pre", post="post")
    >>> r.summary()[["term", "estimate", "se", "z"]].round(3)
            term  estimate     se       z
    0  intercept    28.000  1.592  17.587
    1       time    -4.625  1.149  -4.027
    >>> print(r.apa("en"))
    A linear mixed model (REML, random intercept per subject) on all available measurements (N = 8 subjects, 16 observations; 8 with both measurements) estimated the change from pre to post as b = -4.63, SE = 1.15, z = -4.03, p < .001. The intraclass correlation was .74.
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    ci = _check_ci(ci)
    check_columns(data, subject=subject, time=time, outcome=outcome, group=group)
    covs = _check_covariates(covariates, data, {"subject": subject, "time": time,
                                                 "outcome": outcome, "group": group})
    # the checks of long pre/post data (levels, numeric outcome, ids, duplicates)
    pp = prepost_wide(data, subject=subject, time=time, outcome=outcome, pre=pre, post=post,
                      group=group, warn=False)
    tv = data[time]
    at_pp = ((tv == pre) | (tv == post)).to_numpy()
    y_all = pd.to_numeric(data[outcome]).to_numpy(dtype=float, na_value=np.nan)
    rows = data.loc[at_pp & ~np.isnan(y_all), [subject, time, outcome]]
    extra = ([group] if group is not None else []) + covs
    sv = _subject_values(data, subject=subject, time=time, pre=pre, post=post,
                         columns=extra)
    exclusions: dict[str, int] = {}
    measured = pd.Index(pd.unique(rows[subject]))
    n_none = pp.n_original - len(measured)
    if n_none:
        exclusions["no_measurement"] = int(n_none)
    sv = sv.reindex(measured)
    if group is not None:
        gm = sv[group].isna().to_numpy()
        if gm.any():
            exclusions["missing_group"] = int(gm.sum())
        sv = sv[~gm]
    if covs:
        cm = sv[covs].isna().any(axis=1).to_numpy()
        if cm.any():
            exclusions["missing_covariate"] = int(cm.sum())
        sv = sv[~cm]
    n_used = len(sv)
    _warn_exclusions(pp.n_original, n_used, exclusions)
    rows = rows[rows[subject].isin(sv.index)]
    if n_used < 2:
        raise DataError(f"{n_used} subject(s) with a measurement; a mixed model needs more",
                        expected="at least 2 subjects")

    codes, uniq = pd.factorize(rows[subject])
    svr = sv.reindex(uniq)
    y = rows[outcome].to_numpy(dtype=float)
    t01 = (rows[time] == post).to_numpy(dtype=float)
    n_obs = y.size
    blocks = [np.ones((n_obs, 1)), t01[:, None]]
    names = ["intercept", "time"]
    levels: list = []
    if group is not None:
        levels = _levels(svr[group])
        if len(levels) < 2:
            raise DataError(f"{len(levels)} group(s) in {group!r} among the subjects used",
                            column=str(group), value=levels, expected="2 or more groups")
        gx = _code(svr[group].to_numpy()[codes], levels, "treatment")
        blocks.append(gx)
        names += [f"{group}[{lev}]" for lev in levels[1:]]
    if covs:
        for t in _covariate_terms(covs, svr[covs].iloc[codes].reset_index(drop=True),
                                  "treatment"):
            blocks.append(t.X)
            names += t.columns
    if group is not None:
        blocks.append(t01[:, None] * gx)
        names += [f"time:{group}[{lev}]" for lev in levels[1:]]
    X = np.hstack(blocks)
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise DataError("the fixed-effects design is rank deficient (a covariate is collinear "
                        "with time, the group or another covariate)",
                        expected="covariates that are not linear combinations of each other")
    # fit on the standardised outcome so that the optimizer's tolerance is relative to the
    # outcome's scale; estimates are transformed back exactly (affine equivariance)
    y_mean = float(y.mean())
    y_sd = float(y.std()) or 1.0
    ys = (y - y_mean) / y_sd
    md = sm.MixedLM(ys, X, groups=codes, exog_re=np.ones((n_obs, 1)))
    res = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        # BFGS to a gradient norm of 1e-8 (the REML criterion then agrees with lme4's to
        # ~1e-12); L-BFGS-B (statsmodels' default) only when BFGS does not converge
        for method, kw in ((["bfgs"], {"gtol": 1e-8}), (["lbfgs"], {})):
            try:
                attempt = md.fit(reml=True, method=method, maxiter=2000, **kw)
            except np.linalg.LinAlgError:  # singular information near the boundary
                continue
            if attempt.converged:
                res = attempt
                break
    fit_warnings = []
    for w in caught:
        # statsmodels' own fit diagnostics (convergence, singular or non-invertible
        # matrices) are collected; anything else is passed on unchanged
        if w.category.__module__ == "statsmodels.tools.sm_exceptions":
            fit_warnings.append(str(w.message))
        else:  # pragma: no cover
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if res is not None:
        optimizer = f"statsmodels MixedLM ({'BFGS' if method == ['bfgs'] else 'L-BFGS-B'})"
        theta = float(np.asarray(res.cov_re)[0, 0]) / float(res.scale)
        beta_s = np.asarray(res.fe_params, dtype=float)
        sigma2_s = float(res.scale)
        crit_s = float(-2 * res.llf)
    else:
        # statsmodels stopped without converging (typically at the boundary tau^2 = 0):
        # minimise the exact one-dimensional profile REML criterion instead
        optimizer = "profile REML over tau^2/sigma^2 (statsmodels did not converge)"
        theta = _profile_reml_argmin(ys, X, codes)
        crit_s, beta_s, sigma2_s = _profile_reml(theta, ys, X, codes)
    # Polish: profiled over beta and sigma^2 the REML criterion is one-dimensional in
    # theta = tau^2 / sigma^2.  Minimising it to 1e-10 makes the estimates independent of the
    # optimizer's path (row order, level coding), where statsmodels' stopping point differs
    # by ~1e-5 relative.
    theta_p = _profile_reml_argmin(ys, X, codes)
    crit_p, beta_p, sigma2_p = _profile_reml(theta_p, ys, X, codes)
    if res is not None and crit_p <= crit_s + 1e-9:
        theta, crit_s, beta_s, sigma2_s = theta_p, crit_p, beta_p, sigma2_p
        optimizer += ", polished by the profile REML over tau^2/sigma^2"
    elif res is not None:  # pragma: no cover - the exact profile did not improve on statsmodels
        for msg in fit_warnings:
            warnings.warn(f"mixed model: {msg}", ConvergenceWarning, stacklevel=2)
    singular = theta <= 1e-8
    if singular:
        warnings.warn(
            "mixed model: boundary (singular) fit: the subject-intercept variance is "
            "estimated at 0 (the pre and post scores are not positively correlated within "
            "subjects); the fixed effects equal those of ordinary least squares",
            ConvergenceWarning, stacklevel=2)
    tau2 = theta * sigma2_s * y_sd ** 2
    sigma2 = sigma2_s * y_sd ** 2
    cov = _wald_covariance(X, codes, tau2, sigma2)
    beta = beta_s * y_sd
    beta[0] += y_mean
    se = np.sqrt(np.diag(cov))
    z = beta / se
    zq = stats.norm.ppf((1 + ci) / 2)

    fe = pd.DataFrame({"term": names, "estimate": beta, "se": se, "z": z,
                       "p": 2 * stats.norm.sf(np.abs(z)),
                       "ci_low": beta - zq * se, "ci_high": beta + zq * se})
    vc = pd.DataFrame({"component": ["subject_intercept", "residual"],
                       "variance": [tau2, sigma2], "sd": [math.sqrt(tau2), math.sqrt(sigma2)]})
    tests = pd.DataFrame(columns=["test", "chi2", "df", "p"])
    idx = [i for i, n in enumerate(names) if n.startswith("time:")]
    if idx:
        b = beta[idx]
        chi2 = float(b @ np.linalg.solve(cov[np.ix_(idx, idx)], b))
        tests = pd.DataFrame({"test": ["time_x_group"], "chi2": [chi2], "df": [len(idx)],
                              "p": [float(stats.chi2.sf(chi2, len(idx)))]})
    n_meas = np.bincount(codes)
    patients = svr.copy()
    patients.insert(0, "n_measurements", n_meas)
    icc = tau2 / (tau2 + sigma2)
    readable = f"{outcome} ~ time" + (f" * {group}" if group is not None else "") + \
        "".join(f" + {c}" for c in covs) + f" + (1 | {subject})"
    meta = base_meta(
        "mixedlm_reml", formula=readable, time_coding={str(pre): 0, str(post): 1},
        contrasts="treatment (first level is the reference)", reference_level=(
            levels[0] if levels else None), ci=ci, se="(X'V^-1X)^-1 at the REML estimates",
        nan_policy="all available measurements", outcome=outcome, pre=pre, post=post,
        group=group, covariates=list(covs), group_levels=list(levels),
        n_original=pp.n_original, n_used=n_used, n_observations=int(n_obs),
        n_both=int((n_meas == 2).sum()), exclusions=exclusions,
        rows_other_time=pp.rows_other_time, icc=icc,
        # REML density of the n - p error contrasts: Jacobian y_sd^(n - p)
        reml_criterion=crit_s + 2 * (n_obs - X.shape[1]) * math.log(y_sd),
        optimizer=optimizer, singular=bool(singular),
        fit_warnings=fit_warnings)
    return MixedResult(patients=patients, meta=meta, fixed_effects=fe,
                       variance_components=vc, tests=tests, model=res)
