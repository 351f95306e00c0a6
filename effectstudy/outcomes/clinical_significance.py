r"""Clinical significance: reliable change combined with a clinical/functional cut-off.

:func:`clinical_significance` classifies every patient as ``recovered``, ``improved``,
``unchanged``, ``deteriorated`` or ``harmed`` (Jacobson & Truax 1991; Hageman &
Arrindell 1999 with ``method="ha"``); :func:`percent_change` is the percentage
improvement rule some studies report.

Validated against R clinicalsignificance 3.0.0 (``cs_combined``, ``cs_statistical``,
``cs_percentage``) on the data in ``tests/reference/r_outputs``; where the package
departs from the papers effectstudy follows the papers (cut-off b, percentage change
at a zero baseline, HLM reference) and the tests check both values.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from effectstudy import kernels
from effectstudy.core import plotting
from effectstudy.core.checks import (
    check_alpha,
    check_better_is,
    check_choice,
    warn_exclusions,
)
from effectstudy.core.errors import ArgumentError, DataError
from effectstudy.core.labels import register
from effectstudy.core.results import Result, base_meta
from effectstudy.core.schema import CATEGORIES, CATEGORY_DTYPE
from effectstudy.data.longdata import PrePost, prepost_wide
from effectstudy.outcomes.anchor_change import anchor_pairs, check_mids
from effectstudy.outcomes.cutoff_change import (
    as_float,
    check_reliability_functional,
    clinical_norms,
    cutoff_flags,
    cutoff_meta,
    population_cutoff,
    resolve_norms,
)
from effectstudy.outcomes.plots import PrePostPlot
from effectstudy.outcomes.reliable_change import (
    HLM_REFERENCES,
    METHODS,
    RC_CATEGORIES,
    RC_DTYPE,
    check_sd_reference,
    compute_rc,
    counts_table,
    hlm_rci,
    method_reliability,
)

__all__ = [
    "clinical_significance",
    "percent_change",
    "ClinicalSignificanceResult",
    "PercentChangeResult",
]

register({
    "pct_change": {"nl": "Verandering (%)", "en": "Change (%)"},
    "changed": {"nl": "Veranderd", "en": "Changed"},
    "functional": {"nl": "Functioneel", "en": "Functional"},
    "anchor_category": {"nl": "Categorie MID", "en": "MID category"},
})


@dataclass(frozen=True, repr=False)
class ClinicalSignificanceResult(PrePostPlot, Result):
    """Result of :func:`clinical_significance`.

    ``patients`` (index = subject): ``[group,] pre, post, change, rci, rc_category``
    (reliable change alone), ``clinical_pre``, ``functional_post``, ``crossed_cutoff``,
    ``cutoff_category`` (cut-off alone: improved = moved from the clinical to the
    functional side, deteriorated = the reverse), HA adds ``cs_indiv`` and
    ``clinical_post``; ``category`` (recovered, improved, unchanged, deteriorated, harmed).
    ``meta`` adds ``cutoff_value``, ``cutoff_type``, ``cutoff_source``, ``m_clinical``,
    ``sd_clinical``, ``m_functional``, ``sd_functional`` and their sources.
    """

    title = "Clinical significance"

    def summary(self) -> pd.DataFrame:
        """Counts per category: ``[group,] category, n, proportion[, proportion_total]``."""
        return counts_table(self.patients, CATEGORIES, "group" in self.patients)

    def summary_cutoff(self) -> pd.DataFrame:
        """Counts of the cut-off-only classification (``cutoff_category``)."""
        p = self.patients.drop(columns="category").rename(columns={"cutoff_category":
                                                                   "category"})
        return counts_table(p, RC_CATEGORIES, "group" in p)

    def group_level(self) -> pd.DataFrame:
        """Hageman & Arrindell (1999) group-level proportions ``changed`` and ``functional``.

        Only for ``method="ha"``.  Per group (or overall) the mean and SD of the change and
        the post mean and SD are the group's own; :math:`r_{dd}`, the cut-off and
        :math:`r_{post}` are pooled, as in clinicalsignificance 3.0.0.
        """
        if self.meta.get("method") != "ha":
            raise ArgumentError("method", self.meta.get("method"),
                                "'ha' for the group-level analysis")
        d = kernels.direction(self.meta["better_is"])
        p = self.patients
        groups = [(None, p)] if "group" not in p else list(p.groupby("group", observed=True))
        rows = []
        for g, part in groups:
            st = kernels.describe_pairs(part["pre"].to_numpy(), part["post"].to_numpy())
            ch, fu = kernels.ha_group_level(
                mean_change=st["m_change"], sd_change=st["sd_change"], m_post=st["m_post"],
                sd_post=st["sd_post"], r_dd_=self.meta["r_dd"],
                r_post=self.meta["cutoff_reliability_post"], cutoff=self.meta["cutoff_value"],
                d=d)
            row = {"n": st["n"], "changed": ch, "functional": fu}
            if g is not None:
                row = {"group": g, **row}
            rows.append(row)
        return pd.DataFrame(rows)


def clinical_significance(
    data: pd.DataFrame | PrePost,
    *,
    subject: Hashable,
    time: Hashable,
    outcome: Hashable,
    pre: Any = None,
    post: Any = None,
    reliability: Any = None,
    better_is: Literal["lower", "higher"] | None = None,
    method: Literal["jt", "gln", "hll", "en", "nk", "ha", "hlm", "anchor"] = "jt",
    cutoff: Literal["a", "b", "c", "published"] | float = "c",
    m_clinical: float | None = None,
    sd_clinical: float | None = None,
    m_functional: float | None = None,
    sd_functional: float | None = None,
    reliability_post: Any = None,
    group: Hashable | None = None,
    alpha: float = 0.05,
    hlm_reference: Literal["zero", "average"] = "zero",
    instrument: str | None = None,
    scale: str | None = None,
    norms: str | None = None,
    reliability_functional: float | None = None,
    mid_improvement: float | None = None,
    mid_deterioration: float | None = None,
    sd_reference: float | None = None,
) -> ClinicalSignificanceResult:
    r"""Reliable change plus a clinical cut-off: recovered, improved, unchanged, deteriorated, harmed.

    Parameters
    ----------
    data, subject, time, outcome, pre, post, reliability, better_is,
    reliability_post, group, alpha, hlm_reference
        As in :func:`effectstudy.outcomes.reliable_change`.  ``data`` may also be a
        :class:`~effectstudy.data.longdata.PrePost` (pairs already checked by
        :func:`~effectstudy.data.longdata.prepost_wide`, e.g. one data set classified
        several times); ``pre`` and ``post`` then only name the occasions in ``meta``, and
        ``subject``, ``time``, ``outcome`` and ``group`` are not used.  Not with ``"hlm"``.
    method : {"jt", "gln", "hll", "en", "nk", "ha", "hlm", "anchor"}, default "jt"
        The reliable change index (:func:`effectstudy.outcomes.reliable_change`), or
        ``"anchor"``: a minimal important difference instead of an RCI, combined with the
        Jacobson & Truax cut-off (R clinicalsignificance's ``cs_combined(mid_improvement=)``,
        labelled "CWB"/"anchor-based" there); no reliability.
    mid_improvement, mid_deterioration : float, optional
        ``method="anchor"`` only: the minimal important difference of an improvement and
        of a deterioration (default: ``mid_improvement``), in score points, > 0
        (:func:`effectstudy.outcomes.anchor_change.anchor_change`).
    cutoff : {"a", "b", "c", "published"} or float, default "c"
        Jacobson & Truax cut-off type (Hageman & Arrindell "true score" cut-offs with
        ``method="ha"``), a cut-off value given directly (recorded as ``"given"``), or
        ``"published"``: the cut-off of the instrument's norm set in the registry (with its
        ``clinical_if`` rule: ``">="`` counts a score equal to the cut-off as clinical).
    instrument, scale, norms : str, optional
        Registry id, scale and norm set: ``better_is``, ``reliability``, ``m_functional``
        and ``sd_functional`` are taken from the registry when not given (sources in
        ``meta``).  The clinical mean and SD stay the sample's unless given.
    sd_reference : float, optional
        A fixed reference SD for the RCI's standard errors instead of the sample's pre-score
        SD (:func:`effectstudy.outcomes.reliable_change`); not with ``"ha"``, ``"hlm"`` or
        ``"anchor"``.  Pass the same value as ``sd_clinical`` for one yardstick throughout.
    m_clinical, sd_clinical : float, optional
        Clinical population mean and SD; default: mean and SD of the sample's pre scores
        (complete pairs; HLM: first measurements).  The source is recorded in ``meta``.
    m_functional, sd_functional : float, optional
        Functional (general) population mean and SD, required for cut-offs b and c.
    reliability_functional : float, optional
        ``method="ha"`` only: reliability in the functional population for the HA
        cut-offs.  Default (as clinicalsignificance 3.0.0):
        :math:`r_{func} = (SD_{func}^2 - SE^2)/SD_{func}^2` with the clinical :math:`SE`.

    Returns
    -------
    ClinicalSignificanceResult
        ``.patients``: ``[group,] pre, post, change, rci, rc_category, clinical_pre,
        functional_post, crossed_cutoff, cutoff_category[, cs_indiv, clinical_post],
        category``; ``.summary()``, ``.summary_cutoff()``, ``.group_level()`` (HA),
        ``.plot()``.

    Notes
    -----
    Size: 25 parameters, over the house limit of 15, kept on purpose: those of
    :func:`~effectstudy.outcomes.reliable_change.reliable_change` (with ``sd_reference``) plus the cut-off, the
    five population norms of Jacobson & Truax (``m_clinical, sd_clinical, m_functional,
    sd_functional, reliability_functional``) and the two MIDs of ``method="anchor"``, one
    argument each as in R ``clinicalsignificance``'s ``cs_combined()``, so that every published
    norm is visible in the call and recorded in ``meta``.

    Cut-offs (:math:`d=-1` lower is better, :math:`+1` higher is better):

    .. math::

        a = M_{clin} + 2d\,SD_{clin},\qquad b = M_{func} - 2d\,SD_{func},\qquad
        c = \frac{SD_{clin} M_{func} + SD_{func} M_{clin}}{SD_{clin} + SD_{func}}

    ``clinical_pre``: :math:`d x < d c`; ``functional_post``: :math:`d y > d c` (strict).
    HA: ``functional_post`` = clinical_pre and :math:`d\,CS_i > z_{1-\alpha}`
    (:func:`effectstudy.kernels.cs_indiv`); ``clinical_post`` = not clinical_pre and
    :math:`d\,CS_i < -z_{1-\alpha}`.  Categories: recovered = clinical_pre and
    functional_post and reliably improved; improved = other reliable improvement;
    harmed = not clinical_pre and not functional_post and reliably deteriorated;
    deteriorated = other reliable deterioration; unchanged otherwise.  With
    ``method="anchor"`` "reliably improved" reads "improved by at least the MID"
    (:math:`d\,(y - x) \ge MID_{imp}`) and "reliably deteriorated" "deteriorated by at least
    :math:`MID_{det}`"; ``patients`` then has ``anchor_category`` instead of ``rci`` and
    ``rc_category``.

    **Differences from R clinicalsignificance 3.0.0** (effectstudy follows the papers):
    cut-off b uses the functional SD, as Jacobson & Truax (1991) define it (the package
    uses the clinical SD: :math:`b = M_{func} - 2d\,SD_{clin}`; pass that value as
    ``cutoff=`` to reproduce it); the HA b cut-off likewise uses
    :math:`SD_{func}\sqrt{r_{func}}`.  ``hlm_reference="zero"`` (see
    :func:`~effectstudy.outcomes.reliable_change`).

    Validated against R clinicalsignificance 3.0.0 ``cs_combined()`` and
    ``cs_statistical()`` (``tests/reference/r_outputs``; identical categories and flags,
    cut-offs and CS_indiv to 1e-9 relative).

    References
    ----------
    Jacobson, N. S., & Truax, P. (1991). *JCCP, 59*\ (1), 12-19.
    https://doi.org/10.1037/0022-006X.59.1.12

    Hageman, W. J. J. M., & Arrindell, W. A. (1999). *Behaviour Research and Therapy,
    37*\ (12), 1169-1193. https://doi.org/10.1016/S0005-7967(99)00032-7

    Examples
    --------
    >>> import pandas as pd, effectstudy as es
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5], "t": ["pre", "post"] * 5,
    ...                    "gsi": [2.1, 0.4, 1.5, 1.4, 0.6, 1.6, 1.8, 1.3, 2.4, 1.6]})
    >>> cs = es.clinical_significance(df, subject="id", time="t", outcome="gsi", pre="pre",
    ...     post="post", reliability=0.9, better_is="lower", cutoff="c",
    ...     m_functional=0.5, sd_functional=0.45)
    >>> round(cs.meta["cutoff_value"], 3)
    0.966
    >>> cs.patients[["pre", "post", "crossed_cutoff", "category"]]
        pre  post  crossed_cutoff   category
    id
    1   2.1   0.4            True  recovered
    2   1.5   1.4           False  unchanged
    3   0.6   1.6           False     harmed
    4   1.8   1.3           False  unchanged
    5   2.4   1.6           False   improved
    """
    method = check_choice("method", method, (*METHODS, "anchor"), ignore_case=True)
    sd_reference = check_sd_reference(sd_reference, method)
    nrm = resolve_norms(instrument=instrument, scale=scale, norms=norms, better_is=better_is,
                        reliability=reliability, m_functional=m_functional,
                        sd_functional=sd_functional, cutoff=cutoff, m_clinical=m_clinical,
                        sd_clinical=sd_clinical)
    d = check_better_is(nrm.better_is)
    alpha = check_alpha(alpha)
    mids = _check_anchor_args(method, mid_improvement, mid_deterioration, reliability,
                              reliability_post)
    rel = None
    if method == "hlm":
        check_choice("hlm_reference", hlm_reference, HLM_REFERENCES)
        if isinstance(data, PrePost):
            raise ArgumentError("data", "PrePost", "long data (a DataFrame) for method 'hlm'")
        pat, scal = hlm_rci(data, subject=subject, time=time, outcome=outcome, group=group,
                         d=d, alpha=alpha, hlm_reference=hlm_reference)
        meta = base_meta(method, better_is=nrm.better_is, alpha=alpha, nan_policy="listwise")
        st = kernels.describe_pairs(pat["pre"].to_numpy(), pat["post"].to_numpy())
        clin_label = "first measurements of the subjects used"
        meta.update(scal)
        codes = 1 - pat["category"].cat.codes.to_numpy().astype(np.int8)
    else:
        if method == "anchor":
            rel_meta: dict[str, Any] = {}
        else:
            rel, rel_source, rel_post = method_reliability(
                nrm.reliability, reliability_post, method=method,
                registry_source=nrm.registry.get("reliability"),
                instrument=instrument, scale=scale)
            rel_meta = {"reliability": rel, "reliability_source": rel_source}
        pp = data if isinstance(data, PrePost) else prepost_wide(
            data, subject=subject, time=time, outcome=outcome, pre=pre, post=post, group=group)
        meta = base_meta(method, better_is=nrm.better_is, **rel_meta, alpha=alpha,
                         nan_policy="listwise", pre=pre, post=post, n_original=pp.n_original,
                         n_used=pp.n_used, exclusions=dict(pp.exclusions),
                         rows_other_time=pp.rows_other_time)
        if method == "anchor":
            pat, scal = anchor_pairs(pp, d=d, **mids)
            codes = 1 - pat["category"].cat.codes.to_numpy().astype(np.int8)
        else:
            pat, scal = compute_rc(pp, method=method, reliability=rel, reliability_post=rel_post,
                                   d=d, alpha=alpha, sd_reference=sd_reference)
            codes = scal.pop("_codes")
        meta.update(scal)
        st = scal
        clin_label = "pre scores of the complete pairs"

    m_clin, sd_clin = clinical_norms(st, m_clinical, sd_clinical)
    reliability_functional = check_reliability_functional(reliability_functional, method)
    value, ctype, extra = population_cutoff(
        nrm.cutoff, method=method, d=d, m_clin=m_clin, sd_clin=sd_clin, m_func=nrm.m_functional,
        sd_func=nrm.sd_functional, reliability=rel, reliability_functional=reliability_functional)
    x = pat["pre"].to_numpy()
    y = pat["post"].to_numpy()
    flags = cutoff_flags(x, y, value=value, d=d, method=method, clinical_if=nrm.clinical_if,
                         alpha=alpha, stats_=st, sd_clinical=sd_clin, reliability=rel)
    # the columns collected first and the frame built once (inserts copy the column index)
    out = {c: pat[c] for c in pat.columns if c != "category"}  # Series: dtypes kept as they are
    out["anchor_category" if method == "anchor" else "rc_category"] = pat["category"]
    if method == "ha":
        out["cs_indiv"] = flags.cs_indiv
        out["clinical_post"] = flags.clinical_post
    clinical_pre, functional_post = flags.clinical_pre, flags.functional_post
    out["clinical_pre"] = clinical_pre
    out["functional_post"] = functional_post
    out["crossed_cutoff"] = clinical_pre & functional_post
    out["cutoff_category"] = pd.Categorical.from_codes(flags.codes(), dtype=RC_DTYPE)
    imp = codes == 1
    det = codes == -1
    recovered = clinical_pre & functional_post & imp
    harmed = ~clinical_pre & ~functional_post & det
    # codes into CATEGORIES: recovered 0, improved 1, unchanged 2, deteriorated 3, harmed 4
    code = np.full(len(x), 2, dtype=np.int8)
    code[imp] = 1
    code[recovered] = 0
    code[det] = 3
    code[harmed] = 4
    out["category"] = pd.Categorical.from_codes(code, dtype=CATEGORY_DTYPE)
    out = pd.DataFrame(out, index=pat.index, copy=False)  # pat's columns shared copy-on-write
    meta.update(cutoff_meta(cutoff=cutoff, ctype=ctype, value=value, nrm=nrm,
                            m_clinical=m_clinical, sd_clinical=sd_clinical, m_clin=m_clin,
                            sd_clin=sd_clin, clin_label=clin_label,
                            extra={**extra, **flags.extra}))
    if method == "hlm":
        warn_exclusions(meta["n_original"], meta["n_used"], meta["exclusions"])
    return ClinicalSignificanceResult(patients=out, meta=meta)


def _check_anchor_args(
    method: str, mid_improvement: Any, mid_deterioration: Any, reliability: Any,
    reliability_post: Any,
) -> dict[str, float]:
    """The MIDs of ``method="anchor"``; an error for a MID with another method or a
    reliability with the anchor method (it would be silently unused)."""
    if method != "anchor":
        for name, v in (("mid_improvement", mid_improvement),
                        ("mid_deterioration", mid_deterioration)):
            if v is not None:
                raise ArgumentError(name, v, f"None unless method='anchor' (method {method!r} "
                                    "classifies change by the reliable change index)")
        return {}
    for name, v in (("reliability", reliability), ("reliability_post", reliability_post)):
        if v is not None:
            raise ArgumentError(name, v, "None with method='anchor': the minimal important "
                                "difference replaces the reliable change index")
    return check_mids(mid_improvement, mid_deterioration)


# -- percentage change --------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class PercentChangeResult(Result):
    """Result of :func:`percent_change`: ``patients`` with ``pct_change`` and ``category``."""

    title = "Percentage change"

    def summary(self) -> pd.DataFrame:
        """Counts per category (each patient counted once; they sum to ``n_used``)."""
        return counts_table(self.patients, RC_CATEGORIES, "group" in self.patients)

    def plot(self, ax=None, *, lang: str | None = None, **kwargs):
        """Category bars per group, in ``lang`` (default: the result's own language)."""
        from effectstudy.core.plotting import plot_lang

        lang = plot_lang(lang, self.meta)
        return plotting.category_bars(self.summary(), ax=ax, lang=lang, grouping=self.meta.get("group"),
                                      **kwargs)


def percent_change(
    data: pd.DataFrame,
    *,
    subject: Hashable,
    time: Hashable,
    outcome: Hashable,
    pre: Any,
    post: Any,
    better_is: Literal["lower", "higher"],
    improvement: float = 0.5,
    deterioration: float | None = None,
    group: Hashable | None = None,
) -> PercentChangeResult:
    r"""Classify patients by percentage change from the pre score.

    .. math::

        p_i = (y_i - x_i) / x_i

    improved when :math:`d\,p_i \ge` ``improvement``, deteriorated when
    :math:`d\,p_i \le -`\ ``deterioration`` (inclusive, as clinicalsignificance 3.0.0),
    unchanged otherwise or when :math:`y_i = x_i`.  ``deterioration`` defaults to
    ``improvement``.  Each patient gets exactly one category.

    **Zero baseline.** With :math:`x_i = 0` the percentage is :math:`\pm\infty`; a change
    in the better direction counts as improved and one in the worse direction as
    deteriorated.  (clinicalsignificance 3.0.0 labels any rise from 0 "improved", also
    when lower is better, and counts such a patient twice in its summary.)  Negative pre
    scores are an error: the percentage is not interpretable.

    Validated against R clinicalsignificance 3.0.0 ``cs_percentage()``.

    >>> import pandas as pd, effectstudy as es
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3], "t": [1, 2] * 3,
    ...                    "y": [2.0, 1.0, 1.0, 1.3, 0.0, 0.2]})
    >>> es.percent_change(df, subject="id", time="t", outcome="y", pre=1, post=2,
    ...                   better_is="lower", improvement=0.5, deterioration=0.3).patients
        pre  post  change  pct_change      category
    id
    1   2.0   1.0    -1.0        -0.5      improved
    2   1.0   1.3     0.3         0.3  deteriorated
    3   0.0   0.2     0.2         inf  deteriorated
    """
    d = check_better_is(better_is)
    p_imp = as_float("improvement", improvement)
    p_det = p_imp if deterioration is None else as_float("deterioration", deterioration)
    for name, v in (("improvement", p_imp), ("deterioration", p_det)):
        if not 0 <= v <= 1:
            raise ArgumentError(name, v, "a proportion in [0, 1], e.g. 0.5 for 50%")
    pp = prepost_wide(data, subject=subject, time=time, outcome=outcome, pre=pre, post=post,
                      group=group)
    pat = pp.patients()
    x = pat["pre"].to_numpy()
    y = pat["post"].to_numpy()
    if (x < 0).any():
        i = int(np.flatnonzero(x < 0)[0])
        raise DataError("negative pre score: percentage change is not interpretable",
                        row=pat.index[i], column=str(outcome), value=x[i],
                        expected="pre scores >= 0")
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = (y - x) / x
    same = y == x
    imp = (d * pct >= p_imp) & ~same
    det = (d * pct <= -p_det) & ~same
    pat["pct_change"] = pct
    pat["category"] = pd.Categorical.from_codes(
        np.where(imp, 0, np.where(det, 2, 1)).astype(np.int8), dtype=RC_DTYPE)
    meta = base_meta("percent", better_is=better_is, improvement=p_imp, deterioration=p_det,
                     nan_policy="listwise", pre=pre, post=post, n_original=pp.n_original,
                     n_used=pp.n_used, exclusions=dict(pp.exclusions))
    return PercentChangeResult(patients=pat, meta=meta)


