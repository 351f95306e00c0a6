r"""The anchor-based approach: change measured against a minimal important difference (MID).

:func:`anchor_change` classifies every patient as improved, unchanged or deteriorated by
the MID (``target="individual"``), or judges a group's mean change, or the difference
between groups at the post measurement, by comparing its confidence interval with the MID
(``target="group"``).  This is R clinicalsignificance 3.0.0's ``cs_anchor()`` (frequentist
intervals); :func:`effectstudy.outcomes.clinical_significance.clinical_significance` with
``method="anchor"`` combines the individual rule with a cut-off.

A MID comes from an anchor (patients' own rating of change) in a published study of the
instrument; it is a property of the instrument and population, never of this sample.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from effectstudy.core.checks import check_better_is, check_choice, check_ci, check_columns
from effectstudy.core.errors import ArgumentError, DataError
from effectstudy.core.labels import label, register
from effectstudy.core.plotting import forest, number_ticks
from effectstudy.core.results import Result, base_meta
from effectstudy.data.longdata import PrePost, prepost_wide, registry_norms
from effectstudy.kernels import anchor as kernel
from effectstudy.kernels import describe_pairs
from effectstudy.outcomes.cutoff_change import as_float
from effectstudy.outcomes.plots import PrePostPlot
from effectstudy.outcomes.reliable_change import RC_CATEGORIES, RC_DTYPE, counts_table

__all__ = [
    "anchor_change",
    "AnchorChangeResult",
    "AnchorGroupResult",
    "GROUP_CATEGORIES",
    "GROUP_DTYPE",
    "anchor_pairs",
    "check_mids",
]

GROUP_CATEGORIES = kernel.GROUP_CATEGORIES
GROUP_DTYPE = pd.CategoricalDtype(list(GROUP_CATEGORIES), ordered=True)
TARGETS = ("individual", "group")
EFFECTS = ("within", "between")

register({
    "Anchor-based change": {"nl": "Verandering ten opzichte van de MID",
                            "en": "Anchor-based change"},
    "Anchor-based group change": {"nl": "Groepsverandering ten opzichte van de MID",
                                  "en": "Anchor-based group change"},
    "not_significant": {"nl": "statistisch niet significant", "en": "not statistically significant"},
    "significant_deterioration": {"nl": "significante verslechtering",
                                  "en": "significant deterioration"},
    "not_relevant": {"nl": "significant, maar kleiner dan de MID",
                     "en": "significant, but smaller than the MID"},
    "not_beyond_threshold": {"nl": "niet significant voorbij de MID",
                             "en": "not significantly beyond the MID"},
    "probably_relevant": {"nl": "waarschijnlijk klinisch relevant",
                          "en": "probably clinically relevant"},
    "large_effect": {"nl": "groot klinisch relevant effect",
                     "en": "large clinically relevant effect"},
    "threshold": {"nl": "drempel (MID)", "en": "threshold (MID)"},
    "reference": {"nl": "referentie", "en": "reference"},
    "comparison": {"nl": "vergelijking", "en": "comparison"},
    "n_reference": {"nl": "N referentie", "en": "N reference"},
    "n_comparison": {"nl": "N vergelijking", "en": "N comparison"},
})


def check_mids(mid_improvement: Any, mid_deterioration: Any) -> dict[str, float]:
    """``{"mid_improvement", "mid_deterioration"}`` as positive floats (the second defaults
    to the first)."""
    if mid_improvement is None:
        raise ArgumentError("mid_improvement", None,
                            "a positive number: the minimal important difference in score points")
    imp = as_float("mid_improvement", mid_improvement, positive=True)
    det = imp if mid_deterioration is None else as_float("mid_deterioration",
                                                           mid_deterioration, positive=True)
    return {"mid_improvement": imp, "mid_deterioration": det}


def anchor_pairs(
    pp: PrePost, *, d: int, mid_improvement: float, mid_deterioration: float
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per complete pair ``[group,] pre, post, change, category`` by the MIDs, and the pair
    statistics (shared with clinical significance)."""
    pat = pp.patients()
    x = pat["pre"].to_numpy()
    y = pat["post"].to_numpy()
    codes = kernel.classify_mid(pat["change"].to_numpy(), d=d, mid_improvement=mid_improvement,
                                mid_deterioration=mid_deterioration)
    pat["category"] = pd.Categorical.from_codes((1 - codes).astype(np.int8), dtype=RC_DTYPE)
    st = describe_pairs(x, y)
    return pat, {"mid_improvement": mid_improvement, "mid_deterioration": mid_deterioration,
                 **st}


@dataclass(frozen=True, repr=False)
class AnchorChangeResult(PrePostPlot, Result):
    """Result of :func:`anchor_change` with ``target="individual"``.

    ``patients`` (index = subject): ``[group,] pre, post, change, category`` (improved,
    unchanged, deteriorated by the MID).  ``meta``: the MIDs, ``better_is``,
    ``n_original``, ``n_used``, ``exclusions``.
    """

    title = "Anchor-based change"

    def summary(self) -> pd.DataFrame:
        """Counts per category: ``[group,] category, n, proportion[, proportion_total]``."""
        return counts_table(self.patients, RC_CATEGORIES, "group" in self.patients)


@dataclass(frozen=True, repr=False)
class AnchorGroupResult(Result):
    """Result of :func:`anchor_change` with ``target="group"``.

    ``table`` (= :meth:`summary`): within, one row overall or per group: ``[group,] n,
    estimate, ci_low, ci_high, t, df, p, threshold, category``; between, one row per
    comparison group: ``reference, comparison, n_reference, n_comparison, estimate,
    ci_low, ci_high, t, df, p, threshold, category``.  ``patients``: the pairs (within) or
    the post scores (between) that entered.
    """

    table: pd.DataFrame = None  # type: ignore[assignment]

    title = "Anchor-based group change"

    def summary(self) -> pd.DataFrame:
        """A copy of the group table (numbers and the category code)."""
        return self.table.copy()

    def plot(self, ax=None, *, lang: str | None = None):
        """Each estimate with its interval, the line of no change and the MID threshold, in
        ``lang`` (default: the result's own language)."""
        from effectstudy.core.formatting import percent
        from effectstudy.core.plotting import plot_lang

        lang = plot_lang(lang, self.meta)
        t = self.table
        if self.meta["effect"] == "between":
            t = t.rename(columns={"comparison": "group", "n_comparison": "n"})
        ax = forest(t, {"estimate_name": label("fig_mean_change_points", lang), "ci": self.meta["ci"]},
                    ax=ax, lang=lang, title=label("fig_anchor_title", lang))
        threshold = float(self.meta["threshold"])
        ax.axvline(threshold, color="#D55E00", lw=1, ls=":", label=label("threshold", lang))
        ax.legend(loc="best", fontsize="small", frameon=False)
        ax.figure.es_alt = label("fig_anchor_alt", lang).format(ci=percent(self.meta["ci"], lang))
        return number_ticks(ax, lang, axis="x")


def _group_rows(
    parts: list[tuple[Any, np.ndarray, np.ndarray]], *, ci: float, d: int, mid: float,
    paired: bool,
) -> pd.DataFrame:
    rows = []
    for key, a, b in parts:
        r = kernel.paired_t(a, b, ci=ci) if paired else kernel.welch_t(a, b, ci=ci)
        rows.append({**key, **r._asdict()})
    t = pd.DataFrame(rows)
    t["threshold"] = d * mid
    codes = kernel.classify_group(t["estimate"], t["ci_low"], t["ci_high"], d=d, mid=mid)
    t["category"] = pd.Categorical.from_codes(codes, dtype=GROUP_DTYPE)
    return t


def _within(pat: pd.DataFrame, *, ci: float, d: int, mid: float) -> pd.DataFrame:
    if "group" in pat:
        codes, uniques = pd.factorize(pat["group"], sort=True)  # coded once, sorted
        x, y = pat["pre"].to_numpy(), pat["post"].to_numpy()
        parts = []
        for k, g in enumerate(uniques):
            sel = codes == k
            parts.append(({"group": g, "n": int(sel.sum())}, x[sel], y[sel]))
    else:
        parts = [({"n": len(pat)}, pat["pre"].to_numpy(), pat["post"].to_numpy())]
    return _group_rows(parts, ci=ci, d=d, mid=mid, paired=True)


def _between(
    data: pd.DataFrame, *, subject: Hashable, time: Hashable, outcome: Hashable,
    group: Hashable, post: Any, reference_group: Any,
) -> tuple[pd.DataFrame, dict[str, int], Any, list[Any]]:
    """The post scores per subject and group, the exclusions, the reference group and the
    groups with a post score (sorted)."""
    check_columns(data, subject=subject, time=time, outcome=outcome, group=group)
    if post is None:
        raise ArgumentError("post", None, "the value of the time column whose scores the "
                            "groups are compared at (effect='between')")
    at_post = data.loc[data[time] == post, [subject, group, outcome]]
    if at_post.empty:
        raise ArgumentError("post", post, f"a value of column {time!r} that occurs in the data")
    dup = at_post[subject].duplicated(keep=False)
    if dup.any():
        first = at_post.loc[dup, subject].iloc[0]
        raise DataError("more than one measurement at post for one subject", column=str(subject),
                        value=first, expected="one row per subject at post", identifying=True)
    scores = pd.to_numeric(at_post[outcome], errors="coerce").to_numpy(dtype=float,
                                                                          na_value=np.nan)
    codes, uniques = pd.factorize(at_post[group], sort=True)  # groups coded once, sorted
    no_group = codes < 0
    no_score = np.isnan(scores) & ~no_group
    keep = ~(no_group | no_score)
    present = np.flatnonzero(np.bincount(codes[keep], minlength=len(uniques)))
    groups = [uniques[i] for i in present]
    post_scores = pd.DataFrame(
        {"group": pd.Categorical.from_codes(codes[keep], categories=uniques),
         "post": scores[keep]},
        index=pd.Index(at_post[subject].to_numpy()[keep], name=subject))
    exclusions = {"missing_group": int(no_group.sum()), "missing_post": int(no_score.sum())}
    if len(groups) < 2:
        raise DataError(f"{len(groups)} group(s) with a post score; a comparison needs two",
                        column=str(group), expected="at least two groups")
    ref = groups[0] if reference_group is None else reference_group
    if ref not in groups:
        raise ArgumentError("reference_group", reference_group,
                            f"one of the groups with post scores: {groups}")
    return post_scores, exclusions, ref, groups


def anchor_change(
    data: pd.DataFrame,
    *,
    subject: Hashable,
    time: Hashable,
    outcome: Hashable,
    pre: Any = None,
    post: Any = None,
    better_is: Literal["lower", "higher"] | None = None,
    mid_improvement: float,
    mid_deterioration: float | None = None,
    target: Literal["individual", "group"] = "individual",
    effect: Literal["within", "between"] = "within",
    group: Hashable | None = None,
    reference_group: Any = None,
    ci: float = 0.95,
    instrument: str | None = None,
    scale: str | None = None,
) -> AnchorChangeResult | AnchorGroupResult:
    r"""Change against a minimal important difference (MID), per patient or per group.

    Parameters
    ----------
    data, subject, time, outcome, pre, post, better_is, group
        As in :func:`effectstudy.outcomes.reliable_change.reliable_change` (long data;
        complete pre/post pairs, exclusions counted in ``meta``).
    mid_improvement : float
        The smallest change in score points that patients experience as an important
        improvement (> 0), from a published anchor-based study of the instrument.
    mid_deterioration : float, optional
        The same for a deterioration (> 0); default ``mid_improvement``.
    target : {"individual", "group"}, default "individual"
        Classify every patient, or judge the group's mean change by its interval.
    effect : {"within", "group"}, default "within"
        ``target="group"``: the mean pre/post change (overall, or per ``group``), or the
        difference between groups at ``post`` (every other group against ``reference_group``).
    reference_group : optional
        ``effect="between"``: the group the others are compared with; default the first
        group in sorted order (as R clinicalsignificance).
    ci : float, default 0.95
        Level of the t intervals (``target="group"``).
    instrument, scale : str, optional
        Registry id and scale: ``better_is`` from the registry when not given.

    Returns
    -------
    AnchorChangeResult or AnchorGroupResult
        ``target="individual"``: per patient ``category`` and counts in ``summary()``;
        ``target="group"``: the interval table with its ``category`` (see below).

    Notes
    -----
    Size: 16 parameters, one over the house limit: the arguments of R clinicalsignificance's
    ``cs_anchor()`` (without its Bayesian ones) plus ``instrument``/``scale`` for the direction.

    Individual (inclusive thresholds, as ``cs_anchor``), change :math:`c = y - x`,
    :math:`d = -1` when lower is better:

    .. math::

        \text{improved} \iff d\,c \ge MID_{imp},\qquad
        \text{deteriorated} \iff d\,c \le -MID_{det}

    Group, within: the mean change with the paired t interval (R ``t.test(post, pre,
    paired = TRUE)``); between: the difference of the post means, comparison minus
    reference, with Welch's interval (R ``t.test(comparison, reference)``), on every subject
    with a post score (complete pairs are not required, as in ``cs_anchor``).  The interval
    is judged against the threshold :math:`d \cdot MID_{imp}` by
    :func:`effectstudy.kernels.anchor.classify_group` (``not_significant``,
    ``significant_deterioration``, ``not_relevant``, ``not_beyond_threshold``,
    ``probably_relevant``, ``large_effect``).  Departures from ``cs_anchor`` are listed
    there: a significant deterioration has its own category, the same rules apply in both
    directions, and a value exactly at the threshold reaches it (R: NA).  The Bayesian
    variant of ``cs_anchor`` (its default) is not offered: it summarises MCMC draws of
    BayesFactor's ``ttestBF`` posterior, which no Python library reproduces and which differ
    from run to run, so it cannot be validated against the peer.

    Validated against R 4.2.2 ``t.test`` and hand-computed cases
    (``tests/reference/anchor``).

    References
    ----------
    Claus, B. B., Wager, J., & Bonnet, U. (2024). clinicalsignificance: Clinical
    significance analyses of intervention studies in R. *Journal of Statistical Software,
    111*\ (1), 1-39. https://doi.org/10.18637/jss.v111.i01

    Jaeschke, R., Singer, J., & Guyatt, G. H. (1989). Measurement of health status:
    ascertaining the minimal clinically important difference. *Controlled Clinical Trials,
    10*\ (4), 407-415. https://doi.org/10.1016/0197-2456(89)90005-6

    Examples
    --------
    >>> import pandas as pd, effectstudy as es
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4], "t": ["pre", "post"] * 4,
    ...                    "phq": [18, 12, 15, 11, 12, 11, 9, 12]})
    >>> res = es.anchor_change(df, subject="id", time="t", outcome="phq", pre="pre",
    ...     post="post", better_is="lower", mid_improvement=5, mid_deterioration=3)
    >>> res.patients["category"].tolist()
    ['improved', 'unchanged', 'unchanged', 'deteriorated']
    >>> grp = es.anchor_change(df, subject="id", time="t", outcome="phq", pre="pre",
    ...     post="post", better_is="lower", mid_improvement=5, target="group")
    >>> grp.summary()[["n", "estimate", "category"]]
       n  estimate         category
    0  4      -2.0  not_significant
    """
    target = check_choice("target", target, TARGETS)
    effect = check_choice("effect", effect, EFFECTS)
    mids = check_mids(mid_improvement, mid_deterioration)
    ci = check_ci(ci)
    if better_is is None:
        reg = registry_norms(instrument, scale, None)
        better_is = reg.values.get("better_is")
    d = check_better_is(better_is)
    meta_common = {"target": target, "effect": effect, "better_is": better_is, **mids}
    if effect == "between":
        if target == "individual":
            raise ArgumentError("effect", effect, "'within' for target='individual' (a "
                                "comparison between groups is a group-level analysis)")
        if group is None:
            raise ArgumentError("group", None, "the column whose groups are compared "
                                "(effect='between')")
        scores, excl, ref, groups = _between(data, subject=subject, time=time, outcome=outcome,
                                             group=group, post=post,
                                             reference_group=reference_group)
        code = scores["group"].cat.codes.to_numpy()
        values = scores["post"].to_numpy()
        by = {g: values[code == scores["group"].cat.categories.get_loc(g)] for g in groups}
        parts = [({"reference": ref, "comparison": g, "n_reference": by[ref].size,
                   "n_comparison": by[g].size}, by[g], by[ref]) for g in groups if g != ref]
        table = _group_rows(parts, ci=ci, d=d, mid=mids["mid_improvement"], paired=False)
        meta = base_meta("anchor", **meta_common, ci=ci, post=post, reference_group=ref,
                         threshold=d * mids["mid_improvement"],
                         n_original=int(scores.shape[0] + sum(excl.values())),
                         n_used=int(scores.shape[0]), exclusions=excl)
        return AnchorGroupResult(patients=scores, meta=meta, table=table)
    pp = prepost_wide(data, subject=subject, time=time, outcome=outcome, pre=pre, post=post,
                      group=group)
    if pp.n_used == 0:
        raise DataError("no complete pre/post pair", expected="subjects with both scores")
    pat, st = anchor_pairs(pp, d=d, **mids)
    meta = base_meta("anchor", **meta_common, nan_policy="listwise", pre=pre, post=post,
                     n_original=pp.n_original, n_used=pp.n_used, exclusions=dict(pp.exclusions),
                     rows_other_time=pp.rows_other_time)
    if target == "individual":
        meta.update({k: st[k] for k in ("m_pre", "sd_pre", "m_post", "sd_post")})
        return AnchorChangeResult(patients=pat, meta=meta)
    table = _within(pat, ci=ci, d=d, mid=mids["mid_improvement"])
    meta.update(ci=ci, threshold=d * mids["mid_improvement"])
    return AnchorGroupResult(patients=pat.drop(columns="category"), meta=meta, table=table)
