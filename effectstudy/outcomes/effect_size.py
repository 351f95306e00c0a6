r"""Pre/post effect sizes: the repeated-measures d family with confidence intervals.

:func:`prepost_effect` computes one standardised mean change per group, the paired
t-test and the Wilcoxon signed-rank test beside it.  **Orientation**: with ``better_is``
given (Study and the reports pass the scale's direction from the instrument registry) the
estimate, its interval, the mean change, t and the Wilcoxon V are **improvement-positive**:
for a lower-is-better scale they are those of pre - post (estimate :math:`-d`, interval
:math:`[-u, -l]` of the post - pre interval :math:`[l, u]`), for a higher-is-better scale
those of post - pre; ``meta["orientation"]`` is ``"improvement positive"``.  Without
``better_is`` they stay **post - pre** (``meta["orientation"] = "post - pre"``), as R
effectsize's ``rm_d(post, pre)``.  The standardiser never changes with the orientation
(Becker's d divides by the pre SD either way).  Formulas: :func:`effectstudy.kernels.paired_d`.

Validated against R effectsize 1.0.0 ``rm_d()`` (= ``repeated_measures_d()``) and
effectsize 0.8.3/1.0.0 ``cohens_d(paired = TRUE)`` / ``hedges_g(paired = TRUE)``
(``tests/reference/r_outputs``), and base R ``t.test(paired = TRUE)`` /
``wilcox.test(paired = TRUE)`` (``tests/reference/paired_tests``).  Intervals
(``tests/reference/intervals``): the noncentral-t limits against the roots of R's ``pt`` and
effectsize 0.8.3 ``cohens_d``/``hedges_g(paired = TRUE)``; the percentile and BCa bootstrap
against R boot 1.3-28.1 ``boot.ci`` (exactly from R's own replicates, and within the
Monte-Carlo error at B = 100000).
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from effectstudy import kernels
from effectstudy.core import plotting
from effectstudy.core.checks import check_better_is, check_choice, check_ci, check_int
from effectstudy.core.errors import ArgumentError, DataError
from effectstudy.core.formatting import DEFAULT_LANG, DIGITS
from effectstudy.core.labels import Lang, label, register
from effectstudy.core.results import TableResult, base_meta
from effectstudy.data.longdata import prepost_wide

__all__ = ["prepost_effect", "EffectSizeResult", "ES_METHODS", "CI_METHODS", "SMALL_N",
           "resolve_ci_method", "interval_text", "definition_text", "IMPROVEMENT_POSITIVE", "POST_MINUS_PRE"]

ES_METHODS = ("rm", "av", "z", "b", "d")
#: interval methods of :func:`prepost_effect` (``auto``: ``nct`` for d_z, ``normal`` otherwise)
CI_METHODS = ("auto", "normal", "nct", "percentile", "bca")
#: a group with fewer pairs than this is flagged ``small_n`` (its interval is imprecise and, for
#: the normal approximation, too narrow)
SMALL_N = 20

register({
    "mean_change": {"nl": "Gem. verandering", "en": "Mean change"},
    "sd_change": {"nl": "SD verandering", "en": "SD change"},
    "t": {"nl": "t", "en": "t"},
    "df": {"nl": "vg", "en": "df"},
    "p": {"nl": "p", "en": "p"},
    "wilcoxon_v": {"nl": "Wilcoxon V", "en": "Wilcoxon V"},
    "wilcoxon_p": {"nl": "p (Wilcoxon)", "en": "p (Wilcoxon)"},
    "not_estimated": {"nl": "geen effectgrootte (minder dan 3 paren of geen spreiding)",
                      "en": "no effect size (fewer than 3 pairs or no variance)"},
    "small_n": {"nl": "n < 20", "en": "n < 20"},
    "small_n_note": {"nl": "* kleine groep (minder dan {k} paren): het interval is onnauwkeurig, lees "
                           "de schatting met voorzichtigheid",
                     "en": "* small group (fewer than {k} pairs): the interval is imprecise, read the "
                           "estimate with caution"},
    "interval": {"nl": "Betrouwbaarheidsinterval", "en": "Confidence interval"},
    "interval_nct": {"nl": "exact, via de niet-centrale t-verdeling (Steiger & Fouladi 1997; als R "
                           "effectsize cohens_d(paired = TRUE))",
                     "en": "exact, from the noncentral t distribution (Steiger & Fouladi 1997; as R "
                           "effectsize cohens_d(paired = TRUE))"},
    "interval_normal": {"nl": "normale benadering, schatting ± z × SE (als het R-pakket effectsize)",
                        "en": "normal approximation, estimate ± z × SE (as the R package effectsize)"},
    "interval_percentile": {"nl": "percentiel-bootstrap, {b} trekkingen van cliënten met terugleggen "
                                  "(seed {seed})",
                            "en": "percentile bootstrap, {b} resamples of clients with replacement "
                                  "(seed {seed})"},
    "interval_bca": {"nl": "BCa-bootstrap (gecorrigeerd voor vertekening en scheefheid), {b} trekkingen "
                           "van cliënten met terugleggen (seed {seed})",
                     "en": "BCa bootstrap (bias-corrected and accelerated), {b} resamples of clients "
                           "with replacement (seed {seed})"},
    "ci_not_estimated": {"nl": "geen bootstrap-interval (een trekking zonder spreiding; te weinig paren)",
                         "en": "no bootstrap interval (a resample without variance; too few pairs)"},
    "hedges_adjusted": {"nl": "met de correctie van Hedges voor kleine steekproeven",
                        "en": "with Hedges' small-sample correction"},
})

_NAMES = {"rm": "d_rm", "av": "d_av", "z": "d_z", "b": "Becker's d", "d": "d"}

#: ``meta["orientation"]`` of a result oriented by ``better_is`` / of one without a direction
IMPROVEMENT_POSITIVE = "improvement positive"
POST_MINUS_PRE = "post - pre"

#: the standardiser of each method as a code (``meta["standardiser"]``; in words:
#: :func:`definition_text`): the pre SD, the SD of the changes, the within-person SD
#: :math:`s_D/\sqrt{2(1-r)}`, the pooled SD :math:`\sqrt{(s_{pre}^2+s_{post}^2)/2}`
_STANDARDISERS = {"rm": "sd_within", "av": "sd_pooled", "z": "sd_change", "b": "sd_pre",
                  "d": "sd_pooled"}


def definition_text(meta: dict[str, Any], lang: Lang = DEFAULT_LANG) -> str:
    """The effect size of a result's ``meta`` in words of ``lang``: its name, the numerator
    in its orientation, the standardiser, Hedges' correction and, when oriented, the sign.

    The words are those of the figures (:func:`effectstudy.core.plotting.standardiser_text`),
    so a report's tables and axes name the effect size alike.

    >>> print(definition_text({"method": "b", "adjust": True, "orientation": "improvement positive"}, "nl"))
    Becker's d: gemiddelde verbetering gedeeld door de SD van de voormeting, met de correctie van Hedges voor kleine steekproeven; positief = verbetering
    >>> print(definition_text({"method": "z", "adjust": False, "orientation": "post - pre"}, "en"))
    d_z: mean change (post minus pre) divided by the SD of the change
    """
    method = meta.get("method", "b")
    improving = meta.get("orientation") == IMPROVEMENT_POSITIVE
    numerator = label("fig_mean_improvement" if improving else "fig_mean_change", lang)
    hedges = f", {label('hedges_adjusted', lang)}" if meta.get("adjust") else ""
    sign = f"; {label('fig_positive_improvement', lang)}" if improving else ""
    return f"{_NAMES[method]}: {numerator} {label('fig_sd_' + method, lang)}{hedges}{sign}"


@dataclass(frozen=True, repr=False)
class EffectSizeResult(TableResult):
    """Result of :func:`prepost_effect`.

    ``patients``: the complete pairs used (index = subject; ``[group,] pre, post``).
    ``table`` (also :meth:`summary`): one row per group, ``[group,] n, estimate, ci_low,
    ci_high, mean_pre, sd_pre, mean_post, sd_post, r, mean_change, sd_change, t, df, p,
    wilcoxon_v, wilcoxon_p``.
    """

    title = "Pre/post effect size"
    display_parts = (("part_estimate", ("n", "small_n", "estimate", "ci_low", "ci_high")),
                     ("part_descriptives", ("mean_pre", "sd_pre", "mean_post", "sd_post", "r",
                                            "mean_change", "sd_change")),
                     ("part_tests", ("t", "df", "p", "wilcoxon_v", "wilcoxon_p")))

    def method_text(self, lang: Lang = DEFAULT_LANG) -> str:
        """The effect size in words: its name, numerator, standardiser and orientation
        (:func:`definition_text`)."""
        return definition_text(self.meta, lang)

    def meta_lines(self, lang: Lang = "nl") -> list[str]:
        """The base lines, the interval in words, the small-group note (when a row has
        ``small_n``), the groups without a bootstrap interval (``meta["ci_not_estimated"]``) and
        those without an estimate (``meta["not_estimated"]``)."""
        lines = super().meta_lines(lang)
        if self.meta.get("ci_method"):
            lines.append(f"{label('interval', lang)}: {interval_text(self.meta, lang)}")
        if "small_n" in self.table and self.table["small_n"].any():
            lines.append(label("small_n_note", lang).format(k=self.meta.get("small_n_threshold", SMALL_N)))
        if self.meta.get("ci_not_estimated"):
            lines.append(f"{label('ci_not_estimated', lang)}: " + ", ".join(label(g, lang) for g in self.meta["ci_not_estimated"]))
        if self.meta.get("not_estimated"):
            lines.append(f"{label('not_estimated', lang)}: " + ", ".join(label(g, lang) for g in self.meta["not_estimated"]))
        return lines

    def __repr__(self) -> str:
        # the report (ReportOutput) shows meta_lines in its own language; the plain repr in English
        return "\n".join([self.title, *self.meta_lines("en"), self.summary().to_string()])

    def format(self, lang: Lang = DEFAULT_LANG, digits: int = DIGITS) -> pd.DataFrame:
        """As :meth:`Result.format`, with ``small_n`` shown as ``*`` (the footnote of
        :meth:`meta_lines` explains it) or empty, and the scale codes as the registry names
        them (``Psychoneuroticisme (PSNEUR)``) when ``meta["instrument"]`` says which
        instrument they belong to."""
        out = super().format(lang=lang, digits=digits)
        scale_col = label("scale", lang)
        if self.meta.get("instrument") and scale_col in out:
            # the scale's name with its code (the registry's names, in the report's language)
            from effectstudy.instruments import scale_names

            names = scale_names(self.meta["instrument"], lang)
            out[scale_col] = [names.get(s, s) for s in self.table["scale"]]
        col = label("small_n", lang)
        if col in out:
            out[col] = np.where(self.table["small_n"].fillna(False).astype(bool), "*", "")
        return out

    def plot(self, ax=None, *, lang: Lang | None = None, **kwargs):
        """Forest plot of the estimate and CI per group, in ``lang`` (default: the result's
        own language, ``meta["lang"]``, else Dutch); the x axis names the standardiser and
        which sign is improvement."""
        from effectstudy.core.plotting import plot_lang

        lang = plot_lang(lang, self.meta)
        kwargs.setdefault("definition", _plot_definition(self.meta, lang))
        return plotting.forest(self.table, meta=self.meta, ax=ax, lang=lang, **kwargs)


def _plot_definition(meta: dict[str, Any], lang: Lang) -> str | None:
    """The x-axis text of the forest plot: :func:`definition_text` when the method is known."""
    if meta.get("method") not in _NAMES:
        return None
    return definition_text(meta, lang)


#: the statistics of one row besides ``n`` (NaN for a group that cannot be estimated)
_ROW_STATISTICS = ("estimate", "ci_low", "ci_high", "mean_pre", "sd_pre", "mean_post", "sd_post", "r",
                   "mean_change", "sd_change", "t", "df", "p", "wilcoxon_v", "wilcoxon_p")


def _interval(x: np.ndarray, y: np.ndarray, d: float, se: float, df: float, *, method: str,
              adjust: bool, ci: float, ci_method: str, n_resamples: int,
              seed: int) -> tuple[float, float, float]:
    """``(estimate, ci_low, ci_high)`` of one group: the estimate and limits adjusted by
    Hedges' J when ``adjust`` (the bootstrap adjusts every replicate)."""
    n = x.size
    if ci_method == "nct":
        lo_ncp, hi_ncp = kernels.nct_ci(d * math.sqrt(n), n - 1, ci)
        lo, hi = lo_ncp / math.sqrt(n), hi_ncp / math.sqrt(n)
    elif ci_method == "normal":
        zq = stats.norm.ppf((1 + ci) / 2)
        lo, hi = d - zq * se, d + zq * se
    j = float(kernels.hedges_j(df)) if adjust else 1.0
    if ci_method in kernels.BOOTSTRAP_METHODS:
        lo, hi = kernels.bootstrap_d_ci(x, y, method, adjust=adjust, ci=ci, ci_method=ci_method,
                                        n_resamples=n_resamples, seed=seed)
        return d * j, lo, hi
    return d * j, lo * j, hi * j


def _one(x: np.ndarray, y: np.ndarray, *, method: str, adjust: bool, ci: float,
         ci_method: str, n_resamples: int = 2000, seed: int = 0, sign: int = 1) -> dict[str, Any]:
    """The statistics of one group; ``sign`` -1 orients them as pre - post (improvement
    positive on a lower-is-better scale), +1 as post - pre."""
    n = x.size
    st = kernels.describe_pairs(x, y)
    if n < 3:
        raise DataError(f"{n} complete pair(s); an effect size with a CI needs at least 3",
                        expected="3 or more subjects with both scores")
    if not (st["sd_pre"] > 0 and st["sd_post"] > 0 and st["sd_change"] > 0):
        raise DataError("zero variance in the pre scores, post scores or changes; the "
                        "standardised effect size is undefined",
                        value={"sd_pre": st["sd_pre"], "sd_post": st["sd_post"],
                               "sd_change": st["sd_change"]},
                        expected="scores that vary")
    d, se, df = kernels.paired_d(x, y, method)
    d, lo, hi = _interval(x, y, d, se, df, method=method, adjust=adjust, ci=ci,
                          ci_method=ci_method, n_resamples=n_resamples, seed=seed)
    if sign < 0:  # pre - post: the estimate negated, the limits negated and swapped
        d, lo, hi = -d, -hi, -lo
    diff = sign * (y - x)  # the oriented changes (improvement positive when sign is the direction)
    tt = stats.ttest_rel(y, x)  # its p (two-sided) does not depend on the orientation
    # at least one difference is non-zero: the changes vary (sd_change > 0, checked above)
    nz = diff[diff != 0]
    # R's wilcox.test: exact when fewer than 50 non-zero differences and no ties or
    # zeros, otherwise the normal approximation with tie and continuity correction
    exact = nz.size < 50 and nz.size == diff.size and np.unique(np.abs(nz)).size == nz.size
    w = stats.wilcoxon(y, x, zero_method="wilcox", correction=True,
                       method="exact" if exact else "approx")
    # V: the rank sum of the positive oriented changes (for sign -1 the improvements on a
    # lower-is-better scale: R's V of wilcox.test(pre, post, paired = TRUE)); p is two-sided
    wv = float(np.sum(stats.rankdata(np.abs(nz))[nz > 0]))
    wp = float(w.pvalue)
    return {
        "n": int(n), "small_n": bool(n < SMALL_N), "estimate": d, "ci_low": lo, "ci_high": hi,
        "mean_pre": st["m_pre"], "sd_pre": st["sd_pre"], "mean_post": st["m_post"],
        "sd_post": st["sd_post"], "r": st["r"], "mean_change": sign * st["m_change"],
        "sd_change": st["sd_change"], "t": sign * float(tt.statistic), "df": float(n - 1),
        "p": float(tt.pvalue), "wilcoxon_v": wv, "wilcoxon_p": wp,
    }


def resolve_ci_method(ci_method: str, method: str) -> str:
    """The interval ``ci_method="auto"`` stands for: ``"nct"`` for d_z (the exact interval),
    ``"normal"`` (R effectsize ``rm_d``'s interval) for the other standardisers.

    >>> resolve_ci_method("auto", "z"), resolve_ci_method("auto", "b"), resolve_ci_method("bca", "z")
    ('nct', 'normal', 'bca')
    """
    if ci_method != "auto":
        return ci_method
    return "nct" if method == "z" else "normal"


def interval_text(meta: dict[str, Any], lang: Lang = DEFAULT_LANG) -> str:
    """The interval of a result's ``meta`` in words of ``lang``, for a report's methods text.

    >>> print(interval_text({"ci": 0.95, "ci_method": "bca", "n_resamples": 2000, "seed": 7,
    ...                      "adjust": True}, "en"))  # doctest: +NORMALIZE_WHITESPACE
    95% BCa bootstrap (bias-corrected and accelerated), 2000 resamples of clients with
    replacement (seed 7), with Hedges' small-sample correction
    """
    ci_method = meta.get("ci_method", "normal")
    text = label(f"interval_{ci_method}", lang).format(b=meta.get("n_resamples"), seed=meta.get("seed"))
    level = f"{round(100 * float(meta.get('ci', 0.95)), 1):g}%"
    hedges = f", {label('hedges_adjusted', lang)}" if meta.get("adjust") else ""
    return f"{level} {text}{hedges}"


def prepost_effect(
    data: pd.DataFrame,
    *,
    subject: Hashable,
    time: Hashable,
    outcome: Hashable,
    pre: Any,
    post: Any,
    method: Literal["rm", "av", "z", "b", "d"],
    adjust: bool = True,
    ci: float = 0.95,
    group: Hashable | None = None,
    ci_method: Literal["auto", "normal", "nct", "percentile", "bca"] = "auto",
    n_resamples: int = 2000,
    seed: int | None = None,
    better_is: Literal["lower", "higher"] | None = None,
) -> EffectSizeResult:
    r"""Standardised pre/post mean change with CI, paired t-test and Wilcoxon test.

    Parameters
    ----------
    data : DataFrame
        Long data: one row per subject and occasion.
    subject, time, outcome : column names
    pre, post : values of ``time``
        The two occasions (never guessed from sorting).
    method : {"rm", "av", "z", "b", "d"}
        Standardiser (R effectsize ``repeated_measures_d``):

        - ``"rm"``: :math:`d_{rm} = \bar D / (s_D / \sqrt{2(1-r)})` (Cohen 1988, Lakens 2013);
        - ``"av"``: :math:`d_{av} = \bar D / \sqrt{(s_{pre}^2 + s_{post}^2)/2}` (Cumming 2012);
        - ``"z"``: :math:`d_z = \bar D / s_D`;
        - ``"b"``: Becker's :math:`d = \bar D / s_{pre}` (Becker 1988);
        - ``"d"``: as ``"av"`` with :math:`\nu = 2(n-1)` and the CI of Pustejovsky et al.
          (2014).
    adjust : bool, default True
        Hedges' small-sample correction: estimate **and CI limits** times the exact
        :math:`J(\nu)` (:func:`effectstudy.kernels.hedges_j`), :math:`\nu = n - 1`
        (``"d"``: :math:`2(n-1)`), as effectsize does (``rm_d(adjust = TRUE)``, its default).
        The default agrees with ``analysis.effect_size.adjust`` of the params.
    ci : float, default 0.95
        Confidence level.
    group : column name, optional
        One row per group (each group's own pairs and statistics).
    ci_method : {"auto", "normal", "nct", "percentile", "bca"}, default "auto"
        ``"auto"``: ``"nct"`` for method ``"z"``, ``"normal"`` for the others (what R
        effectsize reports for each).  ``"normal"``: :math:`d \pm z_{(1+ci)/2} SE`
        (``rm_d``).  ``"nct"`` (method ``"z"`` only): the exact noncentral-t interval of
        Steiger & Fouladi (1997), as ``effectsize::cohens_d(paired = TRUE)``; with
        ``adjust=True`` that is ``hedges_g(paired = TRUE)``.  ``"percentile"``, ``"bca"``:
        paired bootstrap of the subjects (:func:`effectstudy.kernels.bootstrap_d_ci`,
        ``scipy.stats.bootstrap``), the statistic the adjusted or unadjusted d; any
        standardiser.  The resolved method, in words, is in ``meta["interval"]``.
    n_resamples : int, default 2000
        Bootstrap resamples (``"percentile"``, ``"bca"``; at least 1000).
    seed : int, optional
        Seed of the bootstrap (every group is resampled from a generator with this seed);
        ``None`` draws one, recorded in ``meta["seed"]`` so the run can be repeated.
    better_is : {"lower", "higher"}, optional
        The scale's direction of improvement (the instrument registry's ``better_is``).
        Given, the result is **improvement-positive**: with :math:`s = -1` for ``"lower"``
        and :math:`+1` for ``"higher"``, the estimate is :math:`s\,d` (:math:`d` the
        post - pre effect size above), the interval :math:`[s\,l, s\,u]` sorted (for
        ``"lower"``: :math:`[-u, -l]`), ``mean_change`` :math:`s\,\bar D` (pre - post for
        ``"lower"``), ``t`` :math:`s\,t` and ``wilcoxon_v`` the rank sum of the positive
        :math:`s D` (the improvements: for ``"lower"`` R's V of ``wilcox.test(pre, post,
        paired = TRUE)``, :math:`n'(n'+1)/2 - V_{post-pre}` with :math:`n'` the non-zero
        differences); ``p``, ``wilcoxon_p`` (two-sided), the descriptives and the
        standardiser are unchanged; ``meta["orientation"]`` is ``"improvement positive"``.
        ``None`` (the default): everything is post - pre (``meta["orientation"] =
        "post - pre"``), as R effectsize ``rm_d(post, pre)``.

    Returns
    -------
    EffectSizeResult
        ``.summary()``: ``[group,] n, small_n, estimate, ci_low, ci_high, mean_pre, sd_pre,
        mean_post, sd_post, r, mean_change, sd_change, t, df, p, wilcoxon_v, wilcoxon_p``
        (paired t-test of the oriented change; Wilcoxon signed-rank with zero differences
        dropped, exact when there are fewer than 50 differences and no ties or zeros,
        otherwise normal with tie and continuity correction, as R's ``wilcox.test``;
        ``wilcoxon_v`` is R's V, the sum of the ranks of the positive oriented
        differences).  ``small_n``: fewer than :data:`SMALL_N` (20) pairs
        (``meta["small_n_threshold"]``; the report marks the row with ``*`` and a
        footnote).  ``meta``: ``orientation``, ``better_is``, ``estimate_name``,
        ``standardiser`` (a code: ``sd_pre`` for ``"b"``, ``sd_change`` for ``"z"``,
        ``sd_within`` for ``"rm"``, ``sd_pooled`` for ``"av"`` and ``"d"``) and
        ``definition`` (``{"nl": ..., "en": ...}``, :func:`definition_text`: the effect size
        named in words).

    Notes
    -----
    Standard errors (:math:`f = 2(1-r)`): :math:`d_z`: :math:`\sqrt{1/n + d^2/(2n)}`;
    :math:`d_{rm}`: :math:`\sqrt{(1/n + d^2/(2n)) f}`; :math:`d_{av}`: :math:`s_D/(\sqrt n
    s)`; Becker: :math:`\sqrt{f/n + d^2/(2n)}`.

    **Lakens (2013)** defines :math:`d_{av}` with the arithmetic mean of the SDs,
    :math:`(s_{pre}+s_{post})/2`; effectstudy follows effectsize (root mean square),
    which Cumming (2012) uses.  The two agree when the SDs are equal.

    Validated against R effectsize 1.0.0 ``rm_d()`` (every method, adjusted or not, 95 and
    90 % CIs; 1e-9 relative, CIs 1e-6) and ``cohens_d``/``hedges_g(paired = TRUE)`` of
    effectsize 0.8.3 and 1.0.0 (noncentral-t CI limits to 1e-6 absolute: effectsize finds
    them with a numerical search whose two versions differ by 1.1e-6).

    References
    ----------
    Lakens, D. (2013). Calculating and reporting effect sizes to facilitate cumulative
    science. *Frontiers in Psychology, 4*, 863. https://doi.org/10.3389/fpsyg.2013.00863

    Becker, B. J. (1988). Synthesizing standardized mean-change measures. *British Journal
    of Mathematical and Statistical Psychology, 41*\ (2), 257-278.

    Pustejovsky, J. E., Hedges, L. V., & Shadish, W. R. (2014). Design-comparable effect
    sizes in multiple baseline designs. *Journal of Educational and Behavioral
    Statistics, 39*\ (5), 368-393. https://doi.org/10.3102/1076998614547577

    Ben-Shachar, M. S., Lüdecke, D., & Makowski, D. (2020). effectsize. *Journal of Open
    Source Software, 5*\ (56), 2815. https://doi.org/10.21105/joss.02815

    Examples
    --------
    >>> import pandas as pd, effectstudy as es
    >>> df = pd.DataFrame({"id": list(range(6)) * 2, "t": ["pre"] * 6 + ["post"] * 6,
    ...                    "y": [30, 25, 28, 35, 22, 27, 20, 24, 21, 30, 15, 26.0]})
    >>> r = es.prepost_effect(df, subject="id", time="t", outcome="y", pre="pre",
    ...                       post="post", method="av")
    >>> r.summary()[["n", "estimate", "ci_low", "ci_high", "t", "p"]].round(3)
       n  estimate  ci_low  ci_high      t      p
    0  6    -0.898  -1.398   -0.397 -3.515  0.017

    The same scores on a lower-is-better scale, improvement positive:

    >>> r = es.prepost_effect(df, subject="id", time="t", outcome="y", pre="pre",
    ...                       post="post", method="av", better_is="lower")
    >>> r.summary()[["estimate", "ci_low", "ci_high", "mean_change", "t", "p"]].round(3)
       estimate  ci_low  ci_high  mean_change      t      p
    0     0.898   0.397    1.398        5.167  3.515  0.017
    >>> r.meta["orientation"]
    'improvement positive'
    """
    check_choice("method", method, ES_METHODS)
    check_choice("ci_method", ci_method, CI_METHODS)
    requested = ci_method
    ci_method = resolve_ci_method(ci_method, method)
    boot = ci_method in kernels.BOOTSTRAP_METHODS
    n_resamples = check_int(n_resamples, "n_resamples", 1000)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**32)
    seed = check_int(seed, "seed", 0)
    if ci_method == "nct" and method != "z":
        raise ArgumentError("ci_method", ci_method,
                            f"'auto', 'normal', 'percentile' or 'bca' for method {method!r} "
                            "('nct' exists for 'z' only)")
    ci = check_ci(ci)
    if not isinstance(adjust, (bool, np.bool_)):
        raise ArgumentError("adjust", adjust, "True or False")
    sign = 1 if better_is is None else check_better_is(better_is)
    pp = prepost_wide(data, subject=subject, time=time, outcome=outcome, pre=pre, post=post,
                      group=group)
    f = pp.frame
    rows = []
    if group is None:
        rows.append(_one(f["pre"].to_numpy(), f["post"].to_numpy(), method=method,
                         adjust=bool(adjust), ci=float(ci), ci_method=ci_method,
                         n_resamples=n_resamples, seed=seed, sign=sign))
    not_estimated: dict[str, str] = {}
    if group is not None:
        # A group too small (fewer than 3 pairs) or without variance gets a row with its n and
        # no estimate, and the reason in meta["not_estimated"]: one small group does not stop
        # the other groups' estimates (a report with a rare diagnosis still runs).
        for g, part in f.groupby("group", observed=True, sort=True):
            try:
                row = _one(part["pre"].to_numpy(), part["post"].to_numpy(), method=method,
                           adjust=bool(adjust), ci=float(ci), ci_method=ci_method,
                           n_resamples=n_resamples, seed=seed, sign=sign)
            except DataError as exc:
                not_estimated[str(g)] = str(exc)
                row = {"n": int(len(part)), "small_n": bool(len(part) < SMALL_N),
                       **{c: np.nan for c in _ROW_STATISTICS}}
            rows.append({"group": g, **row})
    table = pd.DataFrame(rows)
    if "small_n" in table and table["small_n"].dtype != bool:
        table["small_n"] = table["small_n"].astype(bool)
    meta = base_meta(method, estimate_name=_NAMES[method], adjust=bool(adjust), ci=float(ci),
                     ci_method=ci_method, ci_method_requested=requested,
                     n_resamples=n_resamples if boot else None, seed=seed if boot else None,
                     small_n_threshold=SMALL_N,
                     orientation=POST_MINUS_PRE if better_is is None else IMPROVEMENT_POSITIVE,
                     better_is=better_is, standardiser=_STANDARDISERS[method], nan_policy="listwise",
                     pre=pre, post=post, n_original=pp.n_original, n_used=pp.n_used,
                     exclusions=dict(pp.exclusions), rows_other_time=pp.rows_other_time,
                     not_estimated=not_estimated)
    meta["interval"] = {lang: interval_text(meta, lang) for lang in ("nl", "en")}
    meta["definition"] = {lang: definition_text(meta, lang) for lang in ("nl", "en")}
    if boot and len(table):
        # an estimate without limits: a resample of a very small group had no variance
        lost = table["estimate"].notna() & table["ci_low"].isna()
        meta["ci_not_estimated"] = [str(g) for g in (table.loc[lost, "group"] if "group" in table else ["all"] * int(lost.sum()))]
    return EffectSizeResult(patients=f, meta=meta, table=table)
