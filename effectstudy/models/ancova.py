r"""ANCOVA of the post score on the pre score and group (and covariates), SPSS-style.

:func:`ancova` fits ``post ~ pre + group (+ covariates)`` by ordinary least squares on the
**complete pairs** (completers, listwise), with the ANOVA table (type III sums of squares
by default, as SPSS), partial :math:`\eta^2`, estimated marginal (adjusted) means,
pairwise comparisons and the assumption checks (homogeneity of regression slopes,
Levene's test, Shapiro-Wilk); output in APA form (:mod:`effectstudy.models.apa`).
Checked against R (``lm``, ``car::Anova``, ``emmeans``, ``car::leveneTest``,
``shapiro.test``) in ``tests/reference/models``.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from effectstudy.core.checks import check_alpha, check_ci, check_columns, warn_exclusions
from effectstudy.core.errors import ArgumentError, DataError
from effectstudy.core.formatting import DEFAULT_LANG, check_lang
from effectstudy.core.labels import Lang, label
from effectstudy.core.results import Result, base_meta
from effectstudy.data.longdata import prepost_wide
from effectstudy.models.apa import (
    apa_ci,
    apa_df,
    apa_number,
    apa_p,
    ci_percent,
    exclusions_text,
    in_text,
    level_text,
    word_list,
)
from effectstudy.models.design import (
    Term,
    check_covariates,
    contrast_code,
    covariate_terms,
    factor_levels,
    subject_values,
)

__all__ = ["ancova", "AncovaResult", "SS_TYPES", "P_ADJUST"]

#: sums-of-squares types of :func:`ancova` (SPSS's default is 3)
SS_TYPES = (1, 2, 3)
#: p-value adjustments of the pairwise comparisons
P_ADJUST = ("bonferroni", "holm", "none")


def _ols(y: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, float, int]:
    """Coefficients, residual sum of squares and rank (QR least squares)."""
    beta, _, rank, _ = np.linalg.lstsq(X, y, rcond=None)
    r = y - X @ beta
    return beta, float(r @ r), int(rank)


@dataclass(frozen=True, repr=False)
class AncovaResult(Result):
    """Result of :func:`ancova`.

    Tables (DataFrames of plain numbers, stable snake_case columns):

    * ``anova`` (also :meth:`summary`): ``source, ss, df, ms, f, p, partial_eta_sq``; rows
      ``intercept`` (type III only), ``pre``, the group column, the covariates,
      ``residual``.
    * ``descriptives``: ``group, n, mean_pre, sd_pre, mean_post, sd_post``: the unadjusted
      means and SDs of the subjects used, per group and in total (``group`` None).
    * ``emmeans``: ``group, n, emmean, se, df, ci_low, ci_high`` (adjusted means).
    * ``contrasts``: ``group_1, group_2, estimate, se, df, t, p, p_adjusted, ci_low,
      ci_high`` (estimate = emmean of group_1 - emmean of group_2).
    * ``assumptions``: ``test, statistic, df1, df2, p`` for ``slopes_homogeneity``,
      ``levene`` and ``shapiro_wilk``.

    ``patients``: the subjects used, ``pre, post, group[, covariates], fitted, residual``.
    ``model``: the fitted statsmodels OLS results.
    """

    anova: pd.DataFrame = None  # type: ignore[assignment]
    descriptives: pd.DataFrame = None  # type: ignore[assignment]
    emmeans: pd.DataFrame = None  # type: ignore[assignment]
    contrasts: pd.DataFrame = None  # type: ignore[assignment]
    assumptions: pd.DataFrame = None  # type: ignore[assignment]
    model: Any = field(default=None, compare=False)
    title = "ANCOVA"
    extra_tables = ("descriptives", "emmeans", "contrasts", "assumptions")

    def summary(self) -> pd.DataFrame:
        """The ANOVA table: ``source, ss, df, ms, f, p, partial_eta_sq``."""
        return self.anova.copy()

    # -- APA output --------------------------------------------------------------------
    def _row(self, source: str) -> pd.Series:
        return self.anova.set_index("source").loc[source]

    def _f_text(self, source: str, lang: Lang) -> str:
        r = self._row(source)
        df2 = self._row("residual")["df"]
        eta = "partiële η²" if lang == "nl" else "partial η²"
        return (f"F({apa_df(r['df'], lang)}, {apa_df(df2, lang)}) = {apa_number(r['f'], lang=lang)}, "
                f"{apa_p(r['p'], lang=lang)}, {eta} = "
                f"{apa_number(r['partial_eta_sq'], lang=lang, leading_zero=False)}")

    def _alpha(self, alpha: float | None) -> float:
        """``alpha``, or the one the result was computed with (``meta["alpha"]``, .05)."""
        if alpha is None:
            return float(self.meta.get("alpha", 0.05))
        return check_alpha(alpha)

    def omnibus_significant(self, alpha: float | None = None) -> bool:
        """Whether the omnibus F test of the group effect is significant at ``alpha``
        (default ``meta["alpha"]``): the gate of the post-hoc pairwise comparisons.

        >>> r = _example()
        >>> r.omnibus_significant(), r.omnibus_significant(alpha=0.9)
        (False, True)
        """
        p = float(self._row(str(self.meta["group"]))["p"])
        return bool(np.isfinite(p) and p < self._alpha(alpha))

    def _at_text(self, lang: Lang) -> str:
        """The reference grid of the adjusted means in words: ``voormeting = 213,71, ...``."""
        m = self.meta
        at = ", ".join(f"{_term_text(k, lang, in_sentence=True)} = {apa_number(v, lang=lang)}"
                       for k, v in m["emmeans_at"].items())
        factors = [in_text(c, lang) for c, kind in m["covariate_kinds"].items() if kind == "factor"]
        if factors:
            at += ("; gemiddeld voor alle niveaus van " if lang == "nl" else "; averaged over ") + word_list(
                factors, lang)
        return at

    def apa(self, lang: Lang = "nl", alpha: float | None = None,
            comparisons: bool | None = None) -> str:
        """APA-style sentences: group effect, pre score, adjusted means, pairwise comparisons,
        assumption checks and the number of subjects used.

        Parameters
        ----------
        lang : {"nl", "en"}
        alpha : float, optional
            Significance level of the words "significant" and of the gate below; default the
            ``alpha`` the result was computed with (``meta["alpha"]``).
        comparisons : bool, optional
            ``None`` (default): the pairwise comparisons are reported only after a
            significant omnibus test of the group effect (post hoc); otherwise a sentence
            says why they are left out.  ``True``: always (labelled exploratory when the
            omnibus test is not significant); ``False``: never (e.g. for many groups,
            report ``apa_table(lang, "contrasts")`` instead).
        """
        check_lang(lang)
        alpha = self._alpha(alpha)
        m = self.meta
        g = str(m["group"])
        nl = lang == "nl"
        covs = [in_text(c, lang) for c in m["covariates"]]
        ss = {1: "I", 2: "II", 3: "III"}[m["ss_type"]]
        sig = self.omnibus_significant(alpha)
        pct = ci_percent(m["ci"], lang)
        gname = in_text(g, lang)
        if nl:
            cov_text = word_list(["de voormeting", *covs], lang)
            s1 = (f"Een ANCOVA (type-{ss}-kwadratensommen) van de nameting{_scale_text(m, lang)} "
                  f"met {cov_text} als "
                  f"{'covariaten' if covs else 'covariaat'} liet {'een' if sig else 'geen'} "
                  f"significant verschil naar {gname} zien, {self._f_text(g, lang)}.")
            s2 = f"De voormeting hing samen met de nameting, {self._f_text('pre', lang)}."
        else:
            cov_text = word_list(["the pre score", *covs], lang)
            s1 = (f"An ANCOVA (type {ss} sums of squares) of the post score{_scale_text(m, lang)} "
                  f"with {cov_text} as "
                  f"{'covariates' if covs else 'covariate'} showed "
                  f"{'a' if sig else 'no'} significant difference by {gname}, "
                  f"{self._f_text(g, lang)}.")
            s2 = f"The pre score was related to the post score, {self._f_text('pre', lang)}."
        means = "; ".join(
            f"{level_text(r.group, lang)}: M = {apa_number(r.emmean, lang=lang)} "
            f"(SE = {apa_number(r.se, lang=lang)}, "
            f"{pct}{'-BI' if nl else ' CI'} {apa_ci(r.ci_low, r.ci_high, lang)})"
            for r in self.emmeans.itertuples())
        at = self._at_text(lang)
        s3 = (f"Gecorrigeerde gemiddelden (bij {at}): {means}." if nl
              else f"Adjusted means (at {at}): {means}.")
        s4 = self._comparisons_text(lang, alpha, comparisons)
        s5 = self._assumptions_stats(lang)
        s6 = exclusions_text(m, lang)
        return " ".join(s for s in (s1, s2, s3, s4, s5, s6) if s)

    def _comparisons_text(self, lang: Lang, alpha: float, comparisons: bool | None) -> str:
        """The sentence of the pairwise comparisons, the reason they are left out, or ``""``."""
        nl = lang == "nl"
        sig = self.omnibus_significant(alpha)
        k = len(self.emmeans)
        if comparisons is False:
            return ""
        if comparisons is None and not sig:
            if k <= 2:   # the F test is the one comparison
                return ""
            a = apa_number(alpha, lang=lang, leading_zero=False)
            return (f"Omdat de omnibustoets niet significant was (α = {a}), zijn er geen "
                    f"paarsgewijze vergelijkingen (post-hoctoetsen) gerapporteerd." if nl else
                    f"Because the omnibus test was not significant (α = {a}), no pairwise "
                    f"(post hoc) comparisons are reported.")
        adj = {"bonferroni": "Bonferroni", "holm": "Holm", "none": ""}[self.meta["p_adjust"]]
        c = self.contrasts
        m = len(c)
        if m > _ALL_PAIRS_IN_TEXT:   # many pairs: the text names the significant ones
            c = c[c["p_adjusted"] < alpha]
        comps = "; ".join(
            f"{level_text(r.group_1, lang)} vs. {level_text(r.group_2, lang)}: "
            f"{'verschil' if nl else 'difference'} = {apa_number(r.estimate, lang=lang)}, "
            f"SE = {apa_number(r.se, lang=lang)}, {apa_p(r.p_adjusted, lang=lang)}"
            for r in c.itertuples())
        if nl:
            how = f"{adj}-correctie" if adj else "zonder correctie"
            head = "Paarsgewijze vergelijkingen" if sig else "Verkennende paarsgewijze vergelijkingen"
            how = how if sig else f"omnibustoets niet significant; {how}"
            if m > _ALL_PAIRS_IN_TEXT:
                found = (f"significant verschilden {comps}" if len(c) else
                         "geen paar verschilde significant")
                return f"{head} ({how}; {m} paren, alle in de tabel): {found}."
            return f"{head} ({how}): {comps}."
        how = f"{adj}-adjusted" if adj else "unadjusted"
        head = "Pairwise comparisons" if sig else "Exploratory pairwise comparisons"
        how = how if sig else f"omnibus test not significant; {how}"
        if m > _ALL_PAIRS_IN_TEXT:
            found = (f"significantly different were {comps}" if len(c) else
                     "no pair differed significantly")
            return f"{head} ({how}; {m} pairs, all in the table): {found}."
        return f"{head} ({how}): {comps}."

    def _assumption_stat(self, test: str, lang: Lang) -> str:
        """``F(2, 182) = 0,18, p = ,836`` (or ``W = ,99, p = ,412``) of one assumption test."""
        r = self.assumptions.set_index("test").loc[test]
        if test == "shapiro_wilk":
            return (f"W = {apa_number(r['statistic'], lang=lang, leading_zero=False)}, "
                    f"{apa_p(r['p'], lang=lang)}")
        return (f"F({apa_df(r['df1'], lang)}, {apa_df(r['df2'], lang)}) = "
                f"{apa_number(r['statistic'], lang=lang)}, {apa_p(r['p'], lang=lang)}")

    def _assumptions_stats(self, lang: Lang) -> str:
        g = in_text(str(self.meta["group"]), lang)
        sl, lv, sw = (self._assumption_stat(t, lang) for t in ("slopes_homogeneity", "levene", "shapiro_wilk"))
        if lang == "nl":
            return (f"Assumpties: interactie voormeting × {g} (homogeniteit van de "
                    f"regressiehellingen) {sl}; Levene-toets op de residuen {lv}; "
                    f"Shapiro-Wilk-toets op de residuen {sw}.")
        return (f"Assumptions: pre score × {g} interaction (homogeneity of regression "
                f"slopes) {sl}; Levene's test on the residuals {lv}; "
                f"Shapiro-Wilk test on the residuals {sw}.")

    def assumptions_text(self, lang: Lang = "nl", alpha: float | None = None) -> str:
        """The assumption checks interpreted in words (Markdown, one item per check): what
        each test says at ``alpha`` and what to do when an assumption does not hold.

        >>> print(_example().assumptions_text("en").splitlines()[1])
        - **Equal variances**: no evidence that the variance of the residuals differs between the groups (Levene's test, F(2, 6) = 0.54, p = .606).
        """
        check_lang(lang)
        alpha = self._alpha(alpha)
        a = self.assumptions.set_index("test")
        n = self.emmeans["n"].to_numpy(dtype=float)
        texts = _ASSUMPTION_TEXTS[lang]
        g = in_text(str(self.meta["group"]), lang)
        lines = []
        for test in ("slopes_homogeneity", "levene", "shapiro_wilk"):
            p = float(a.loc[test, "p"])
            state = "nan" if not np.isfinite(p) else ("violated" if p < alpha else "ok")
            text = texts[test][state].format(
                stat=self._assumption_stat(test, lang), group=g, n=self.meta["n_used"],
                n_min=int(n.min()), n_max=int(n.max()),
                ratio=apa_number(n.max() / n.min(), 1, lang=lang))
            if test == "levene" and state == "violated":
                text += " " + texts["levene_sizes"][bool(n.max() / n.min() > 1.5)].format(
                    n_min=int(n.min()), n_max=int(n.max()),
                    ratio=apa_number(n.max() / n.min(), 1, lang=lang))
                rt = self.meta.get("robust_group_test")
                if rt and np.isfinite(rt["f"]):
                    stat = (f"F({apa_df(rt['df1'], lang)}, {apa_df(rt['df2'], lang)}) = "
                            f"{apa_number(rt['f'], lang=lang)}, {apa_p(rt['p'], lang=lang)}")
                    same = (rt["p"] < alpha) == self.omnibus_significant(alpha)
                    text += " " + texts["robust"][same].format(stat=stat, group=g)
            lines.append(f"- **{texts['names'][test]}**: {text}")
        return "\n".join(lines)

    def caption(self, what: str, lang: Lang = "nl", alpha: float | None = None) -> str:
        """A title for a table or figure of this result in ``lang``, for ``ReportOutput.show``.

        ``what``: ``"descriptives"``, ``"anova"``, ``"emmeans"``, ``"contrasts"`` (titled
        exploratory when the omnibus test is not significant at ``alpha``),
        ``"assumptions"``, ``"sample"`` (the cases analysed), or a plot kind
        (``"means"``, ``"residuals"``, ``"qq"``, ``"slopes"``).

        >>> _example().caption("contrasts", "en")
        'Pairwise comparisons of the adjusted means, exploratory (omnibus test not significant; Bonferroni-adjusted)'
        """
        check_lang(lang)
        if what not in _CAPTIONS[lang]:
            raise ArgumentError("what", what, "one of " + ", ".join(map(repr, _CAPTIONS[lang])))
        m = self.meta
        adj = {"bonferroni": "Bonferroni", "holm": "Holm", "none": ""}[m["p_adjust"]]
        nl = lang == "nl"
        how = (f"{adj}-correctie" if nl else f"{adj}-adjusted") if adj else (
            "zonder correctie" if nl else "unadjusted")
        if what == "contrasts" and not self.omnibus_significant(alpha):
            how = (", verkennend (omnibustoets niet significant; " if nl else
                   ", exploratory (omnibus test not significant; ") + how + ")"
        elif what == "contrasts":
            how = f" ({how})"
        terms = word_list([_term_text(t, lang, in_sentence=True)
                           for t in ("pre", m["group"], *m["covariates"])], lang)
        return _CAPTIONS[lang][what].format(
            group=in_text(str(m["group"]), lang), n=m["n_used"], terms=terms,
            ss={1: "I", 2: "II", 3: "III"}[m["ss_type"]], at=self._at_text(lang), how=how,
            ci=ci_percent(m["ci"], lang), scale=_scale_text(m, lang), covs=(" en covariaten" if nl else " and covariates")
            if m["covariates"] else "")

    def apa_table(self, lang: Lang = "nl",
                  table: Literal["anova", "descriptives", "emmeans", "contrasts",
                                 "assumptions"] = "anova") -> pd.DataFrame:
        """A display table formatted APA-style (strings): two decimals, p as ``.032`` /
        ``< .001``, no leading zero for p and partial :math:`\\eta^2`; labels in ``lang``,
        model terms and group values by their labels."""
        check_lang(lang)
        nl = lang == "nl"

        def num(x: float, d: int = 2) -> str:
            return apa_number(x, d, lang=lang)

        def pv(p: float) -> str:
            return apa_p(p, lang=lang, prefix="").replace("= ", "").strip()

        glabel = label(str(self.meta["group"]), lang)
        pct = ci_percent(self.meta["ci"], lang)
        ci_col = f"{pct}-BI" if nl else f"{pct} CI"
        if table == "anova":
            t = self.anova
            ss = {1: "I", 2: "II", 3: "III"}[self.meta["ss_type"]]
            out = pd.DataFrame({
                label("source", lang): [_term_text(s, lang) for s in t["source"]],
                # Dutch writes the compound with hyphens (type-III-kwadratensom)
                (f"Type-{ss}-KS" if nl else f"Type {ss} SS"): [num(v) for v in t["ss"]],
                label("df", lang): [apa_df(v, lang) for v in t["df"]],
                label("ms", lang): [num(v) for v in t["ms"]],
                "F": [num(v) if np.isfinite(v) else "" for v in t["f"]],
                "p": [pv(v) if np.isfinite(v) else "" for v in t["p"]],
                label("partial_eta_sq", lang): [
                    apa_number(v, lang=lang, leading_zero=False) if np.isfinite(v) else ""
                    for v in t["partial_eta_sq"]],
            })
        elif table == "descriptives":
            t = self.descriptives
            pre, post = ("voormeting", "nameting") if nl else ("pre", "post")
            out = pd.DataFrame({
                glabel: [label("descriptives_total", lang) if pd.isna(v) else level_text(v, lang)
                         for v in t["group"]],
                "n": t["n"].astype(int).astype(str).to_numpy(),
                f"M {pre}": [num(v) for v in t["mean_pre"]],
                f"SD {pre}": [num(v) for v in t["sd_pre"]],
                f"M {post}": [num(v) for v in t["mean_post"]],
                f"SD {post}": [num(v) for v in t["sd_post"]],
            })
        elif table == "emmeans":
            t = self.emmeans
            out = pd.DataFrame({
                glabel: [level_text(v, lang) for v in t["group"]],
                "n": t["n"].astype(int).astype(str).to_numpy(),
                ("M (gecorrigeerd)" if nl else "M (adjusted)"): [num(v) for v in t["emmean"]],
                "SE": [num(v) for v in t["se"]],
                ci_col: [apa_ci(lo, hi, lang) for lo, hi in
                         zip(t["ci_low"], t["ci_high"], strict=True)],
            })
        elif table == "contrasts":
            t = self.contrasts
            out = pd.DataFrame({
                ("Vergelijking" if nl else "Comparison"): [
                    f"{level_text(a, lang)} – {level_text(b, lang)}"
                    for a, b in zip(t["group_1"], t["group_2"], strict=True)],
                ("Verschil" if nl else "Difference"): [num(v) for v in t["estimate"]],
                "SE": [num(v) for v in t["se"]],
                "t": [num(v) for v in t["t"]],
                "p": [pv(v) for v in t["p"]],
                label("p_adjusted", lang): [pv(v) for v in t["p_adjusted"]],
                ci_col: [apa_ci(lo, hi, lang) for lo, hi in
                         zip(t["ci_low"], t["ci_high"], strict=True)],
            })
        elif table == "assumptions":
            t = self.assumptions
            out = pd.DataFrame({
                label("test", lang): [label(v, lang) for v in t["test"]],
                label("statistic", lang): [
                    ("W = " + apa_number(s, lang=lang, leading_zero=False)) if tt == "shapiro_wilk"
                    else ("F = " + num(s)) for tt, s in zip(t["test"], t["statistic"], strict=True)],
                label("df", lang): ["" if not np.isfinite(a) else f"{apa_df(a, lang)}, {apa_df(b, lang)}"
                                    for a, b in zip(t["df1"], t["df2"], strict=True)],
                "p": [pv(v) for v in t["p"]],
            })
        else:
            raise ArgumentError("table", table, "one of 'anova', 'descriptives', 'emmeans', "
                                "'contrasts', 'assumptions'")
        return out

    def _repr_html_(self) -> str:
        lang = self.meta.get("lang", DEFAULT_LANG)
        head = "".join(f"<li>{html.escape(line)}</li>" for line in self._meta_lines())
        parts = [f"<div><h4>{html.escape(self.title)}</h4><ul>{head}</ul>"]
        for t in ("descriptives", "anova", "emmeans", "contrasts", "assumptions"):
            parts.append(f"<p><em>{html.escape(self.caption(t, lang))}</em></p>")
            parts.append(self.apa_table(lang, t).to_html(index=False))
        parts.append(f"<p>{html.escape(self.apa(lang))}</p></div>")
        return "".join(parts)

    # -- plots -------------------------------------------------------------------------
    def plot(self, ax=None, kind: Literal["residuals", "qq", "slopes", "means"] = "residuals",
             *, lang: Lang | None = None, **kwargs):
        """Diagnostic and result plots in ``lang`` (default: the result's own language);
        returns the Axes.

        ``kind``: ``"residuals"`` (residuals against fitted values, per group),
        ``"qq"`` (normal Q-Q plot of the residuals), ``"slopes"`` (post against pre per group
        with each group's own regression line, for the slopes assumption), ``"means"``
        (adjusted means with their CI, one row per group).
        """
        from effectstudy.core.plotting import plot_lang

        if kind not in ("residuals", "qq", "slopes", "means"):
            raise ArgumentError("kind", kind, "one of 'residuals', 'qq', 'slopes', 'means'")
        lang = plot_lang(lang, self.meta)
        return _plot(self, kind, ax, lang, **kwargs)


def _scale_text(meta: dict, lang: Lang) -> str:
    """`` van Psychoneuroticisme (PSNEUR)`` / `` on Psychoneuroticism (PSNEUR)`` when the
    result names its scale (``meta["scale"]``, ``meta["instrument"]``), else ``""``."""
    from effectstudy.outcomes.plots import scale_text

    name = scale_text(meta, lang)
    if not name:
        return ""
    return f" van {name}" if lang == "nl" else f" on {name}"


def _term_text(source: str, lang: Lang, *, in_sentence: bool = False) -> str:
    """A model term (a row of the ANOVA table, a key of ``emmeans_at``) by its label."""
    if source == "pre":
        text = "Voormeting" if lang == "nl" else "Pre score"
        return text.lower() if in_sentence else text
    if source in ("intercept", "residual") or not in_sentence:
        return label(str(source), lang)
    return in_text(str(source), lang)


#: up to this many pairwise comparisons the APA text lists them all; beyond it only the
#: significant ones (the table has them all)
_ALL_PAIRS_IN_TEXT = 3

#: the assumption checks in words: per language and test, the text when the test is not
#: significant (``ok``), significant (``violated``) or not computed (``nan``)
_ASSUMPTION_TEXTS: dict[str, dict[str, Any]] = {
    "nl": {
        "names": {"slopes_homogeneity": "Homogeniteit van de regressiehellingen",
                  "levene": "Gelijke varianties", "shapiro_wilk": "Normaliteit van de residuen"},
        "slopes_homogeneity": {
            "ok": "het verband tussen voormeting en nameting verschilt niet significant tussen "
                  "de groepen (interactie voormeting × {group}, {stat}); de aanname is houdbaar.",
            "violated": "het verband tussen voormeting en nameting verschilt tussen de groepen "
                        "(interactie voormeting × {group}, {stat}). De gecorrigeerde gemiddelden "
                        "gelden dan alleen bij de gemiddelde voormeting; overweeg een model met "
                        "deze interactie en bespreek het groepsverschil bij lage en hoge "
                        "voormetingen.",
            "nan": "niet te toetsen in deze gegevens (te weinig gevallen per groep).",
        },
        "levene": {
            "ok": "geen aanwijzing dat de variantie van de residuen tussen de groepen verschilt "
                  "(Levene-toets, {stat}).",
            "violated": "de varianties verschillen tussen de groepen (Levene-toets, {stat}).",
            "nan": "niet te toetsen in deze gegevens (de residuen variëren niet binnen de "
                   "groepen).",
        },
        "levene_sizes": {
            True: "De F-toets is dan minder betrouwbaar, omdat de groepen ongelijk groot zijn "
                  "(van {n_min} tot {n_max} gevallen, de grootste {ratio} keer zo groot als de "
                  "kleinste); overweeg daarom de toets met robuuste standaardfouten en bespreek "
                  "dit als beperking.",
            False: "De F-toets is daar redelijk robuust tegen, omdat de groepen ongeveer even "
                   "groot zijn (van {n_min} tot {n_max} gevallen); vermeld het wel, met de toets "
                   "met robuuste standaardfouten als controle.",
        },
        "robust": {
            True: "Met HC3-robuuste standaardfouten is het effect van {group} {stat}: dezelfde "
                  "conclusie.",
            False: "Met HC3-robuuste standaardfouten is het effect van {group} {stat}: een andere "
                   "conclusie dan de gewone F-toets; rapporteer beide.",
        },
        "shapiro_wilk": {
            "ok": "geen aanwijzing dat de residuen van een normale verdeling afwijken "
                  "(Shapiro-Wilk-toets, {stat}).",
            "violated": "de residuen wijken af van een normale verdeling (Shapiro-Wilk-toets, "
                        "{stat}). Bij N = {n} is de F-toets daar vrij robuust tegen, en in grote "
                        "steekproeven is deze toets al bij kleine afwijkingen significant: "
                        "beoordeel de Q-Q-plot van de residuen.",
            "nan": "de Shapiro-Wilk-toets is niet berekend (meer dan 5000 gevallen); beoordeel "
                   "de Q-Q-plot van de residuen.",
        },
    },
    "en": {
        "names": {"slopes_homogeneity": "Homogeneity of regression slopes",
                  "levene": "Equal variances", "shapiro_wilk": "Normality of the residuals"},
        "slopes_homogeneity": {
            "ok": "the relation between pre and post score does not differ significantly "
                  "between the groups (pre score × {group} interaction, {stat}); the assumption "
                  "holds.",
            "violated": "the relation between pre and post score differs between the groups "
                        "(pre score × {group} interaction, {stat}). The adjusted means then hold "
                        "only at the mean pre score; consider a model with this interaction and "
                        "discuss the group difference at low and high pre scores.",
            "nan": "cannot be tested in these data (too few cases per group).",
        },
        "levene": {
            "ok": "no evidence that the variance of the residuals differs between the groups "
                  "(Levene's test, {stat}).",
            "violated": "the variances differ between the groups (Levene's test, {stat}).",
            "nan": "cannot be tested in these data (the residuals do not vary within the "
                   "groups).",
        },
        "levene_sizes": {
            True: "The F test is then less reliable, because the groups differ in size (from "
                  "{n_min} to {n_max} cases, the largest {ratio} times the smallest); consider "
                  "the test with robust standard errors therefore, and discuss this as a "
                  "limitation.",
            False: "The F test is fairly robust to this because the groups are about equally "
                   "large (from {n_min} to {n_max} cases); report it nonetheless, with the test "
                   "with robust standard errors as a check.",
        },
        "robust": {
            True: "With HC3-robust standard errors the effect of {group} is {stat}: the same "
                  "conclusion.",
            False: "With HC3-robust standard errors the effect of {group} is {stat}: another "
                   "conclusion than the ordinary F test; report both.",
        },
        "shapiro_wilk": {
            "ok": "no evidence that the residuals depart from a normal distribution "
                  "(Shapiro-Wilk test, {stat}).",
            "violated": "the residuals depart from a normal distribution (Shapiro-Wilk test, "
                        "{stat}). With N = {n} the F test is fairly robust to this, and in large "
                        "samples the test is significant for small departures already: judge "
                        "the Q-Q plot of the residuals.",
            "nan": "the Shapiro-Wilk test was not computed (more than 5000 cases); judge the "
                   "Q-Q plot of the residuals.",
        },
    },
}

#: titles of the tables and figures of an ANCOVA, per language (see AncovaResult.caption)
_CAPTIONS: dict[str, dict[str, str]] = {
    "nl": {
        "sample": "Steekproef: de {n} gevallen in de ANCOVA (met voor- en nameting, "
                  "{group}{covs})",
        "descriptives": "Beschrijvende statistieken{scale} per {group}: ongecorrigeerde gemiddelden "
                        "(M), standaarddeviaties (SD) en aantallen (n) bij voor- en nameting, "
                        "van de {n} geanalyseerde gevallen",
        "anova": "ANCOVA van de nameting{scale} met {terms}: toetsen van de effecten "
                 "(type-{ss}-kwadratensommen)",
        "emmeans": "Gecorrigeerde gemiddelden van de nameting{scale} per {group} (bij {at}), met "
                   "{ci}-betrouwbaarheidsinterval",
        "contrasts": "Paarsgewijze vergelijkingen van de gecorrigeerde gemiddelden{how}",
        "assumptions": "Assumptiecontroles van de ANCOVA",
        "means": "Nameting{scale} per {group}, gecorrigeerd (bij {at}); foutbalken: "
                 "{ci}-betrouwbaarheidsinterval.",
        "residuals": "Per {group}: een gelijke spreiding van de residuen rond 0 in elke groep "
                     "past bij gelijke varianties.",
        "qq": "Residuen tegen de kwantielen van de normale verdeling: punten dicht bij de lijn "
              "passen bij normaal verdeelde residuen.",
        "slopes": "Per {group} de regressielijn van de nameting op de voormeting: evenwijdige "
                  "lijnen passen bij homogene regressiehellingen.",
    },
    "en": {
        "sample": "Sample: the {n} cases in the ANCOVA (with a pre and post score, "
                  "{group}{covs})",
        "descriptives": "Descriptive statistics{scale} by {group}: unadjusted means (M), standard "
                        "deviations (SD) and counts (n) at pre and post, of the {n} cases "
                        "analysed",
        "anova": "ANCOVA of the post score{scale} with {terms}: tests of the effects (type {ss} sums "
                 "of squares)",
        "emmeans": "Adjusted means of the post score{scale} by {group} (at {at}), with {ci} "
                   "confidence interval",
        "contrasts": "Pairwise comparisons of the adjusted means{how}",
        "assumptions": "Assumption checks of the ANCOVA",
        "means": "Post score{scale} by {group}, adjusted (at {at}); error bars: {ci} confidence "
                 "interval.",
        "residuals": "By {group}: an equal spread of the residuals around 0 in every group fits "
                     "equal variances.",
        "qq": "Residuals against the quantiles of the normal distribution: points close to the "
              "line fit normally distributed residuals.",
        "slopes": "By {group}, the regression line of the post on the pre score: parallel lines "
                  "fit homogeneous regression slopes.",
    },
}


def _example() -> AncovaResult:
    """A small ANCOVA for the doctests (3 groups, 9 subjects)."""
    df = pd.DataFrame({
        "id": list(range(9)) * 2, "t": ["pre"] * 9 + ["post"] * 9,
        "y": [30, 25, 28, 35, 22, 27, 31, 26, 29, 20, 24, 21, 30, 15, 26, 29, 22, 20.0],
        "dx": ["a", "b", "c"] * 6})
    return ancova(df, subject="id", time="t", outcome="y", pre="pre", post="post", group="dx")


def _plot(res: AncovaResult, kind: str, ax: Any, lang: Lang, **kwargs: Any) -> Any:
    """The figure of :meth:`AncovaResult.plot` (``kind`` checked), with title, alt text and data."""
    from effectstudy.core.plotting import (
        axes,
        describe_figure,
        fit_ticks,
        group_name,
        number_ticks,
        wrap,
    )
    from effectstudy.outcomes.plots import scale_text

    p = res.patients
    grouping = label(str(res.meta["group"]), lang)
    scale = scale_text(res.meta, lang)
    if kind == "means":
        e = res.emmeans
        ax = axes(ax, figsize=(7, 2.2 + 0.45 * len(e)))
        y = np.arange(len(e))[::-1]
        ax.errorbar(e["emmean"], y, xerr=[e["emmean"] - e["ci_low"], e["ci_high"] - e["emmean"]],
                    fmt="o", capsize=4, color="black", **kwargs)
        ax.set_yticks(y, [wrap(group_name(g, lang), 30) for g in e["group"]])
        ax.set_ylim(-0.7, len(e) - 0.3)
        ax.set_ylabel(grouping)
        ax.set_xlabel(label("fig_adjusted_mean", lang) + (f": {scale}" if scale else ""))
        data = e[[c for c in ("group", "n", "emmean", "se", "ci_low", "ci_high") if c in e]]
    elif kind == "qq":
        ax = axes(ax, figsize=(5.5, 4.6))
        r = np.sort(p["residual"].to_numpy())
        n = r.size
        q = stats.norm.ppf((np.arange(1, n + 1) - 0.375) / (n + 0.25))  # Blom, as SPSS
        ax.scatter(q, r, s=12, **kwargs)
        sd = float(np.std(r, ddof=1))
        ax.plot(q, q * sd, color="grey", lw=1)
        ax.set_xlabel(label("fig_normal_quantile", lang))
        ax.set_ylabel(label("fig_residual", lang))
        data = pd.DataFrame({"quantile": q, "residual": r})
    else:
        ax = axes(ax, figsize=(7, 4.6))
        x, yv = ("fitted", "residual") if kind == "residuals" else ("pre", "post")
        for g, part in p.groupby("group", observed=True, sort=False):
            pts = ax.scatter(part[x], part[yv], label=group_name(g, lang), s=12, **kwargs)
            if kind == "slopes" and len(part) >= 2 and part["pre"].nunique() > 1:
                b, a = np.polyfit(part["pre"], part["post"], 1)
                xs = np.array([part["pre"].min(), part["pre"].max()])
                ax.plot(xs, a + b * xs, color=pts.get_facecolor()[0])
        if kind == "residuals":
            ax.axhline(0, color="grey", lw=1)
            ax.set_xlabel(label("fig_fitted", lang))
            ax.set_ylabel(label("fig_residual", lang))
        else:
            ax.set_xlabel(label("pre", lang).capitalize() + (f": {scale}" if scale else ""))
            ax.set_ylabel(label("post", lang).capitalize() + (f": {scale}" if scale else ""))
        ax.legend(title=grouping, frameon=False, fontsize="small", loc="upper left",
                  bbox_to_anchor=(1.01, 1.0))
        data = p[["group", x, yv]].reset_index(drop=True)  # no episode ids in a report
    number_ticks(ax, lang, axis="x" if kind == "means" else "both")
    if kind != "means":
        fit_ticks(ax, "x")
    return describe_figure(ax, title=label(f"fig_{kind}_title", lang), alt=label(f"fig_{kind}_alt", lang),
                           data=data)

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
    alpha: float = 0.05,
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
    alpha : float, default 0.05
        Significance level of the report: the words "significant" in :meth:`AncovaResult.apa`
        and the gate of the post-hoc comparisons (reported only after a significant omnibus
        test of the group effect; :meth:`AncovaResult.omnibus_significant`).  It changes no
        number.

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
    *Scandinavian Journal of Statistics, 6*\ (2), 65-70.

    Maxwell, S. E., Delaney, H. D., & Kelley, K. (2018). *Designing experiments and
    analyzing data: A model comparison perspective* (3rd ed.). Routledge.

    Searle, S. R., Speed, F. M., & Milliken, G. A. (1980). Population marginal means in
    the linear model: An alternative to least squares means. *The American
    Statistician, 34*\ (4), 216-221. https://doi.org/10.1080/00031305.1980.10483031

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
    >>> r.apa_table("en")  # doctest: +NORMALIZE_WHITESPACE
          Source Type III SS df     MS     F     p partial η²
    0  Intercept        6.30  1   6.30  0.38  .564        .07
    1  Pre score       43.26  1  43.26  2.61  .167        .34
    2         Dx        7.10  2   3.55  0.21  .814        .08
    3      Error       82.74  5  16.55
    >>> print(r.apa("en").split(". ")[0] + ".")
    An ANCOVA (type III sums of squares) of the post score with the pre score as covariate showed no significant difference by dx, F(2, 5) = 0.21, p = .814, partial η² = .08.
    """
    if isinstance(ss_type, bool) or ss_type not in SS_TYPES:
        raise ArgumentError("ss_type", ss_type, "1, 2 or 3 (SPSS's default is 3)")
    if p_adjust not in P_ADJUST:
        raise ArgumentError("p_adjust", p_adjust, "one of 'bonferroni', 'holm', 'none'")
    ci = check_ci(ci)
    alpha = check_alpha(alpha)
    if group is None:
        raise ArgumentError("group", None, "a column of data naming the groups to compare")
    check_columns(data, subject=subject, time=time, outcome=outcome, group=group)
    covs = check_covariates(covariates, data, {"subject": subject, "time": time,
                                                "outcome": outcome, "group": group})
    pp, f, exclusions = _complete_subjects(data, subject=subject, time=time, outcome=outcome,
                                           pre=pre, post=post, group=group, covs=covs)
    n_used = len(f)
    warn_exclusions(pp.n_original, n_used, exclusions)
    levels, terms = _ancova_terms(f, group, covs)
    fit = _ancova_fit(f, terms)
    y = f["post"].to_numpy(dtype=float)
    X = np.hstack([t.X for t in terms])
    anova_tab = _anova_table(y, X, terms, ss_type, float(fit.ssr), float(fit.df_resid))
    at, L, emm = _emmeans(fit, terms, levels, f["group"].to_numpy(), ci)
    contr = _contrasts(fit, L, levels, ci, p_adjust)
    assumptions = _assumptions(y, X, terms, fit, f["group"].to_numpy(), levels)

    patients = f.copy()
    patients["fitted"] = fit.fittedvalues.to_numpy()
    patients["residual"] = fit.resid.to_numpy()
    readable = f"{post} ~ {pre} + {group}" + "".join(f" + {c}" for c in covs)
    meta = base_meta(
        "ancova_ols", formula=readable, ss_type=int(ss_type),
        contrasts="sum-to-zero (contr.sum) for group and factor covariates",
        p_adjust=p_adjust, alpha=alpha, ci_adjust=("bonferroni" if p_adjust != "none" else "none"),
        ci=ci, emmeans_at=at, emmeans_weights="equal over factor covariate levels",
        nan_policy="listwise (complete pre/post pairs, group and covariates)",
        outcome=outcome, pre=pre, post=post, group=group, covariates=list(covs),
        covariate_kinds={t.name: t.kind for t in terms[3:]}, group_levels=list(levels),
        n_original=pp.n_original, n_used=n_used, exclusions=exclusions,
        rows_other_time=pp.rows_other_time, df_resid=float(fit.df_resid),
        sigma=float(np.sqrt(fit.scale)), r_squared=float(fit.rsquared),
        robust_group_test=_robust_group_test(X, fit, terms))
    return AncovaResult(patients=patients, meta=meta, anova=anova_tab,
                        descriptives=_descriptives(f, levels), emmeans=emm,
                        contrasts=contr, assumptions=assumptions, model=fit)


# -- the steps of ancova ------------------------------------------------------------------
def _complete_subjects(data: pd.DataFrame, *, subject: Hashable, time: Hashable,
                       outcome: Hashable, pre: Any, post: Any, group: Hashable,
                       covs: list) -> tuple[Any, pd.DataFrame, dict[str, int]]:
    """The wide pre/post pairs (``prepost_wide``), one row per complete subject with its
    covariates, and the exclusions per reason."""
    pp = prepost_wide(data, subject=subject, time=time, outcome=outcome, pre=pre, post=post,
                      group=group, warn=False)
    f = pp.frame.copy()
    exclusions = dict(pp.exclusions)
    if covs:
        cv = subject_values(data, subject=subject, time=time, pre=pre, post=post,
                            columns=covs).reindex(f.index)
        miss = cv.isna().any(axis=1).to_numpy()
        if miss.any():
            exclusions["missing_covariate"] = int(miss.sum())
        f = f[~miss]
        cv = cv[~miss]
        for c in covs:
            f[c] = cv[c].to_numpy()
    return pp, f, exclusions


def _ancova_terms(f: pd.DataFrame, group: Hashable, covs: list) -> tuple[list, list[Term]]:
    """The group levels and the terms intercept, pre, group (sum-coded), covariates; checks
    that there are 2 or more groups, residual degrees of freedom and full rank."""
    n_used = len(f)
    levels = factor_levels(f["group"])
    if len(levels) < 2:
        raise DataError(f"{len(levels)} group(s) with complete data in {group!r}; an ANCOVA "
                        "compares at least 2", column=str(group), value=levels,
                        expected="2 or more groups")
    xpre = f["pre"].to_numpy(dtype=float)
    gvals = f["group"].to_numpy()
    terms = [
        Term("intercept", np.ones((n_used, 1)), ["intercept"]),
        Term("pre", xpre[:, None], ["pre"], mean=float(xpre.mean())),
        Term(str(group), contrast_code(gvals, levels, "sum"),
             [f"{group}[{lev}]" for lev in levels[:-1]], "factor", levels=levels),
        *covariate_terms(covs, f, "sum"),
    ]
    n_par = sum(t.X.shape[1] for t in terms)
    if n_used <= n_par:
        raise DataError(f"{n_used} subjects for {n_par} parameters leave no residual degrees "
                        "of freedom", expected=f"more than {n_par} complete subjects")
    if np.linalg.matrix_rank(np.hstack([t.X for t in terms])) < n_par:
        raise DataError("the design matrix is rank deficient (a covariate is collinear with "
                        "the pre score, the group or another covariate)",
                        expected="covariates that are not linear combinations of each other")
    return levels, terms


def _ancova_fit(f: pd.DataFrame, terms: list[Term]) -> Any:
    """The statsmodels OLS fit of the post score on the terms' columns."""
    import statsmodels.api as sm

    X = np.hstack([t.X for t in terms])
    names = [c for t in terms for c in t.columns]
    y = f["post"].to_numpy(dtype=float)
    return sm.OLS(y, pd.DataFrame(X, columns=names, index=f.index)).fit()


def _anova_table(y: np.ndarray, X: np.ndarray, terms: list[Term], ss_type: int,
                 ss_res: float, df_resid: float) -> pd.DataFrame:
    """ANOVA table from the extra sums of squares of nested least-squares fits."""
    n_par = X.shape[1]
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
    return pd.DataFrame(rows)


def _descriptives(f: pd.DataFrame, levels: list) -> pd.DataFrame:
    """Unadjusted n, mean and SD (n - 1) of the pre and post score per group and in total
    (``group`` None), of the subjects used."""
    rows = []
    for lev, part in [*((lev, f[f["group"] == lev]) for lev in levels), (None, f)]:
        pre = part["pre"].to_numpy(dtype=float)
        post = part["post"].to_numpy(dtype=float)
        rows.append({"group": lev, "n": int(len(part)), "mean_pre": float(pre.mean()),
                     "sd_pre": _sd(pre), "mean_post": float(post.mean()), "sd_post": _sd(post)})
    return pd.DataFrame(rows)


def _sd(x: np.ndarray) -> float:
    """The sample SD (n - 1); NaN for fewer than 2 values."""
    return float(np.std(x, ddof=1)) if x.size > 1 else float("nan")


def _emmeans(fit: Any, terms: list[Term], levels: list, gvals: np.ndarray,
             ci: float) -> tuple[dict[str, float], np.ndarray, pd.DataFrame]:
    """Estimated marginal means: the reference grid ``at``, its design rows ``L`` (one per
    group) and the table.

    Pre and numeric covariates at their means; factor covariates averaged with equal
    weights over their levels (sum coding: the average row is 0).
    """
    df_resid = float(fit.df_resid)
    at: dict[str, float] = {"pre": terms[1].mean}
    base = []
    for t in terms[3:]:
        if t.kind == "numeric":
            at[t.name] = t.mean
            base.append([t.mean])
        else:
            base.append(list(np.zeros(len(t.columns))))
    gcode = contrast_code(np.array(levels, dtype=object), levels, "sum")
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
    return at, L, emm


def _contrasts(fit: Any, L: np.ndarray, levels: list, ci: float,
               p_adjust: str) -> pd.DataFrame:
    """Pairwise differences of the estimated marginal means, adjusted p and intervals."""
    df_resid = float(fit.df_resid)
    beta = fit.params.to_numpy()
    V = fit.cov_params().to_numpy()
    pairs = list(itertools.combinations(range(len(levels)), 2))
    D = np.vstack([L[i] - L[j] for i, j in pairs])
    d_est = D @ beta
    d_se = np.sqrt(np.einsum("ij,jk,ik->i", D, V, D))
    tval = d_est / d_se
    praw = 2 * stats.t.sf(np.abs(tval), df_resid)
    m = len(pairs)
    level_c = 1 - (1 - ci) / m if p_adjust in ("bonferroni", "holm") else ci
    tq_c = stats.t.ppf((1 + level_c) / 2, df_resid)
    return pd.DataFrame({
        "group_1": [levels[i] for i, _ in pairs], "group_2": [levels[j] for _, j in pairs],
        "estimate": d_est, "se": d_se, "df": df_resid, "t": tval, "p": praw,
        "p_adjusted": _p_adjust(praw, p_adjust),
        "ci_low": d_est - tq_c * d_se, "ci_high": d_est + tq_c * d_se})


def _robust_group_test(X: np.ndarray, fit: Any, terms: list[Term]) -> dict[str, Any]:
    r"""The group effect's F test with HC3 (heteroscedasticity-consistent) standard errors,
    the check when the variances differ between groups (Long & Ervin, 2000).

    :math:`\hat V = (X'X)^{-1} X' \mathrm{diag}(e_i^2/(1-h_i)^2) X (X'X)^{-1}`, :math:`F =
    (L\hat\beta)'(L\hat V L')^{-1}L\hat\beta / q` on :math:`q` and the residual df (R
    ``car::Anova(fit, white.adjust = "hc3")``, SPSS GLM's robust standard errors HC3).
    """
    blocks = np.cumsum([0] + [t.X.shape[1] for t in terms])
    cols = np.arange(blocks[2], blocks[3])           # the group term's columns
    xtx_inv = np.linalg.pinv(X.T @ X)
    h = np.einsum("ij,jk,ik->i", X, xtx_inv, X)
    e = fit.resid.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        w = e ** 2 / (1 - h) ** 2
    V = xtx_inv @ (X.T * w) @ X @ xtx_inv
    b = fit.params.to_numpy()[cols]
    q = cols.size
    df2 = float(fit.df_resid)
    try:
        f = float(b @ np.linalg.solve(V[np.ix_(cols, cols)], b)) / q
    except np.linalg.LinAlgError:   # pragma: no cover - a leverage of 1 (tiny data)
        f = float("nan")
    p = float(stats.f.sf(f, q, df2)) if np.isfinite(f) else float("nan")
    return {"method": "HC3", "f": f, "df1": q, "df2": df2, "p": p}


def _assumptions(y: np.ndarray, X: np.ndarray, terms: list[Term], fit: Any,
                 gvals: np.ndarray, levels: list) -> pd.DataFrame:
    """Homogeneity of regression slopes, Levene (mean) and Shapiro-Wilk on the residuals."""
    n_used, n_par = X.shape
    ss_res = float(fit.ssr)
    inter = terms[1].X * terms[2].X
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
    return pd.DataFrame({
        "test": ["slopes_homogeneity", "levene", "shapiro_wilk"],
        "statistic": [float(f_sl), lev_f, float(sw[0])],
        "df1": [df_num, float(len(levels) - 1), np.nan],
        "df2": [float(df_big), float(n_used - len(levels)), np.nan],
        "p": [p_sl, lev_p, float(sw[1])],
    })
