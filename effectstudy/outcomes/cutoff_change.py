r"""The statistical approach: did a patient move between the clinical and functional populations?

:func:`cutoff_change` classifies every patient by a population cut-off alone (no reliable
change test): improved = clinical at pre and functional at post, deteriorated = the
reverse.  With ``method="ha"`` the post score must lie beyond the cut-off by more than
measurement error (Hageman & Arrindell's :math:`CS_{indiv}`).  This is R
clinicalsignificance 3.0.0's ``cs_statistical()``.

The cut-off pieces live here and are shared with
:func:`effectstudy.outcomes.clinical_significance.clinical_significance`:
:func:`resolve_norms` (registry defaults), :func:`population_cutoff` (the value),
:func:`cutoff_flags` (clinical at pre, functional at post) and :func:`cutoff_meta`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from effectstudy import kernels
from effectstudy.core.checks import (
    check_alpha,
    check_better_is,
    check_choice,
    check_reliability,
)
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError
from effectstudy.core.labels import register
from effectstudy.core.results import Result, base_meta
from effectstudy.data.longdata import prepost_wide, registry_norms
from effectstudy.outcomes.plots import PrePostPlot
from effectstudy.outcomes.reliable_change import (
    RC_CATEGORIES,
    RC_DTYPE,
    counts_table,
    critical_value,
    method_reliability,
)

__all__ = [
    "cutoff_change",
    "CutoffChangeResult",
    "Norms",
    "CutoffFlags",
    "resolve_norms",
    "population_cutoff",
    "cutoff_flags",
    "cutoff_meta",
    "check_reliability_functional",
    "as_float",
]

register({
    "crossed_cutoff": {"nl": "Grens gepasseerd", "en": "Crossed cut-off"},
    "clinical_pre": {"nl": "Klinisch voor", "en": "Clinical at pre"},
    "functional_post": {"nl": "Functioneel na", "en": "Functional at post"},
    "cutoff_category": {"nl": "Categorie grens", "en": "Cut-off category"},
    "Cut-off change": {"nl": "Verandering over de grenswaarde", "en": "Cut-off change"},
})

#: cut-off methods: Jacobson & Truax (1991) and Hageman & Arrindell's (1999) true-score cut-offs
CUTOFF_METHODS = ("jt", "ha")


def as_float(name: str, value: Any, *, positive: bool = False) -> float:
    """``value`` as a finite float (positive when asked); the package's errors otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ArgumentTypeError(name, value, "a number")
    v = float(value)
    if not np.isfinite(v) or (positive and v <= 0):
        raise ArgumentError(name, value, "a positive finite number" if positive
                            else "a finite number")
    return v


@dataclass(frozen=True)
class Norms:
    """Direction, reliability, functional norms and cut-off after the registry filled the gaps."""

    better_is: Any
    reliability: Any
    m_functional: float | None
    sd_functional: float | None
    cutoff: Any
    clinical_if: str | None
    #: key -> source of every value taken from the registry
    registry: dict[str, str] = field(default_factory=dict)


def resolve_norms(
    *, instrument: str | None, scale: str | None, norms: str | None, better_is: Any,
    reliability: Any, m_functional: Any, sd_functional: Any, cutoff: Any,
    m_clinical: Any = None, sd_clinical: Any = None,
) -> Norms:
    """Fill ``better_is``, ``reliability``, the functional norms and a ``"published"`` cut-off
    from the instrument registry where not given, and check the norms' types."""
    reg = registry_norms(instrument, scale, norms)
    given = {"better_is": better_is, "reliability": reliability, "m_functional": m_functional,
             "sd_functional": sd_functional}
    taken = {k: reg.values[k] for k, v in given.items() if v is None and k in reg.values}
    clinical_if = None
    if isinstance(cutoff, str) and cutoff == "published":
        if "cutoff" not in reg.values:
            raise ArgumentError("cutoff", cutoff, "'a', 'b', 'c' or a number: 'published' "
                                "needs instrument= and scale= with a cut-off in the registry")
        clinical_if = reg.values.get("clinical_if")
        taken["cutoff"] = cutoff = reg.values["cutoff"]
    values = {**given, **taken}
    for name in ("m_clinical", "m_functional"):
        v = m_clinical if name == "m_clinical" else values[name]
        if v is not None:
            as_float(name, v)
    for name in ("sd_clinical", "sd_functional"):
        v = sd_clinical if name == "sd_clinical" else values[name]
        if v is not None:
            as_float(name, v, positive=True)
    return Norms(values["better_is"], values["reliability"], values["m_functional"],
                 values["sd_functional"], cutoff, clinical_if,
                 {k: reg.sources[k] for k in taken})


def check_reliability_functional(value: Any, method: str) -> float | None:
    """The functional population's reliability: only the HA cut-offs use it, in (0, 1)."""
    if value is None:
        return None
    if method != "ha":
        raise ArgumentError("reliability_functional", value,
                            "None unless method='ha' (only the HA cut-offs use it)")
    return check_reliability(value, "reliability_functional")[0]


def population_cutoff(
    cutoff: Any, *, method: str, d: int, m_clin: float, sd_clin: float,
    m_func: float | None, sd_func: float | None, reliability: float | None,
    reliability_functional: float | None = None,
) -> tuple[float, str, dict[str, float]]:
    """``(value, type, extra)`` of a cut-off ``"a"``, ``"b"``, ``"c"`` or a number.

    ``type`` is ``a``/``b``/``c`` (Jacobson & Truax), ``a_true``/``b_true``/``c_true``
    (``method="ha"``) or ``given``; ``extra`` holds the HA reliabilities.  Formulas in
    :func:`effectstudy.kernels.cutoff_jt` and :func:`effectstudy.kernels.cutoff_ha`.
    """
    if isinstance(cutoff, (int, float, np.number)) and not isinstance(cutoff, bool):
        return as_float("cutoff", cutoff), "given", {}
    if cutoff not in ("a", "b", "c"):
        raise ArgumentError("cutoff", cutoff, "'a', 'b', 'c', 'published' or a number")
    if cutoff in ("b", "c") and (m_func is None or sd_func is None):
        missing = "m_functional" if m_func is None else "sd_functional"
        raise ArgumentError(missing, None,
                            f"a number: cut-off {cutoff!r} needs the functional population's "
                            "mean and SD (from the instrument's norms or the params)")
    if method == "ha":
        try:
            value, r_clin, r_func = kernels.cutoff_ha(
                cutoff, d=d, m_clinical=m_clin, sd_clinical=sd_clin, reliability=reliability,
                m_functional=m_func, sd_functional=sd_func,
                reliability_functional=reliability_functional)
        except ValueError as exc:
            raise DataError(str(exc)) from None
        return value, f"{cutoff}_true", {"reliability_clinical": r_clin,
                                          "reliability_functional": r_func}
    value = kernels.cutoff_jt(cutoff, d=d, m_clinical=m_clin, sd_clinical=sd_clin,
                              m_functional=m_func, sd_functional=sd_func)
    return value, cutoff, {}


@dataclass(frozen=True)
class CutoffFlags:
    """Per-patient cut-off flags; ``improved``/``deteriorated`` are the cut-off-only categories."""

    clinical_pre: np.ndarray
    functional_post: np.ndarray
    improved: np.ndarray
    deteriorated: np.ndarray
    cs_indiv: np.ndarray | None = None
    clinical_post: np.ndarray | None = None
    extra: dict[str, float] = field(default_factory=dict)

    def codes(self) -> np.ndarray:
        """Codes into improved / unchanged / deteriorated (``0, 1, 2``)."""
        return np.where(self.improved, 0, np.where(self.deteriorated, 2, 1)).astype(np.int8)


def cutoff_flags(
    pre: np.ndarray, post: np.ndarray, *, value: float, d: int, method: str,
    clinical_if: str | None = None, alpha: float = 0.05,
    stats_: Mapping[str, float] | None = None, sd_clinical: float | None = None,
    reliability: float | None = None,
) -> CutoffFlags:
    r"""Clinical at pre, functional at post, and the cut-off-only categories.

    Jacobson & Truax: ``clinical_pre`` :math:`d x < d C`, ``functional_post`` :math:`d y > d C`
    (strict: a score at the cut-off is neither); a published rule ``clinical_if: ">="``
    counts a pre score at the cut-off as clinical, ``">"`` a post score at it as functional.
    Improved = clinical_pre and functional_post, deteriorated = neither.

    Hageman & Arrindell (``method="ha"``; needs ``stats_`` with ``m_post``, ``sd_post``,
    ``sd_clinical`` and ``reliability``): ``functional_post`` = clinical_pre and
    :math:`d\,CS_i > z_{1-\alpha}`, ``clinical_post`` = not clinical_pre and
    :math:`d\,CS_i < -z_{1-\alpha}` (:func:`effectstudy.kernels.cs_indiv`); improved =
    functional_post, deteriorated = clinical_post.
    """
    x = np.asarray(pre, dtype=float)
    y = np.asarray(post, dtype=float)
    clinical_pre = (d * x <= d * value) if clinical_if == ">=" else (d * x < d * value)
    if method != "ha":
        functional_post = (d * y >= d * value) if clinical_if == ">" else (d * y > d * value)
        return CutoffFlags(clinical_pre, functional_post, clinical_pre & functional_post,
                           ~clinical_pre & ~functional_post)
    if stats_ is None or sd_clinical is None or reliability is None:  # pragma: no cover
        raise ArgumentError("method", method, "the post statistics and reliability for 'ha'")
    se_m = float(kernels.sem(sd_clinical, reliability))
    try:
        cs, r_post = kernels.cs_indiv(y, cutoff=value, m_post=stats_["m_post"],
                                      sd_post=stats_["sd_post"], se_measurement=se_m)
    except ValueError as exc:
        raise DataError(str(exc)) from None
    crit = critical_value("ha", alpha)
    functional_post = clinical_pre & (d * cs > crit)
    clinical_post = ~clinical_pre & (d * cs < -crit)
    return CutoffFlags(clinical_pre, functional_post, functional_post, clinical_post,
                       cs_indiv=cs, clinical_post=clinical_post,
                       extra={"cutoff_reliability_post": r_post, "cutoff_se_measurement": se_m})


def cutoff_meta(
    *, cutoff: Any, ctype: str, value: float, nrm: Norms, m_clinical: Any, sd_clinical: Any,
    m_clin: float, sd_clin: float, clin_label: str, extra: Mapping[str, float],
) -> dict[str, Any]:
    """The cut-off's part of a result's ``meta``: value, type and where every norm came from."""
    source = {
        "given": "argument cutoff=",
        "a": f"m_clinical/sd_clinical ({'argument' if m_clinical is not None else clin_label})",
    }.get(ctype.removesuffix("_true"), "clinical and functional norms")
    published = "cutoff" in nrm.registry
    if published:
        ctype, source = "published", nrm.registry["cutoff"]
    return {
        "clinical_if": nrm.clinical_if,
        "registry": dict(nrm.registry),
        "cutoff": "published" if published else cutoff if isinstance(cutoff, str) else "given",
        "cutoff_type": ctype,
        "cutoff_value": value,
        "cutoff_source": source,
        "m_clinical": m_clin,
        "sd_clinical": sd_clin,
        "clinical_source": ("argument" if m_clinical is not None and sd_clinical is not None
                            else clin_label),
        "m_functional": nrm.m_functional,
        "sd_functional": nrm.sd_functional,
        "functional_source": (nrm.registry["m_functional"] if "m_functional" in nrm.registry
                              else "argument" if nrm.m_functional is not None else None),
        **extra,
    }


def clinical_norms(
    st: Mapping[str, float], m_clinical: Any, sd_clinical: Any
) -> tuple[float, float]:
    """The clinical mean and SD: given, or the sample's pre scores; a zero SD is an error."""
    m_clin = st["m_pre"] if m_clinical is None else float(m_clinical)
    sd_clin = st["sd_pre"] if sd_clinical is None else float(sd_clinical)
    if not sd_clin > 0:
        raise DataError("the clinical SD (pre scores) is zero", value=sd_clin,
                        expected="pre scores that vary, or sd_clinical=")
    return m_clin, sd_clin


@dataclass(frozen=True, repr=False)
class CutoffChangeResult(PrePostPlot, Result):
    """Result of :func:`cutoff_change`.

    ``patients`` (index = subject): ``[group,] pre, post, change, clinical_pre,
    functional_post[, cs_indiv, clinical_post], category`` (improved, unchanged,
    deteriorated).  ``meta``: the cut-off (value, type, source), the clinical and
    functional norms and their sources, ``n_original``, ``n_used``, ``exclusions``.
    """

    title = "Cut-off change"

    def summary(self) -> pd.DataFrame:
        """Counts per category: ``[group,] category, n, proportion[, proportion_total]``."""
        return counts_table(self.patients, RC_CATEGORIES, "group" in self.patients)

    def plot(self, ax=None, kind: Literal["jt", "bars"] = "jt", **kwargs):
        """Pre against post with the cut-off lines (``kind="jt"``; no reliable-change band:
        this approach has none), or category bars per group (``"bars"``)."""
        if kind == "jt":
            kwargs.setdefault("band", False)
        return super().plot(ax=ax, kind=kind, **kwargs)


def cutoff_change(
    data: pd.DataFrame,
    *,
    subject: Hashable,
    time: Hashable,
    outcome: Hashable,
    pre: Any = None,
    post: Any = None,
    better_is: Literal["lower", "higher"] | None = None,
    method: Literal["jt", "ha"] = "jt",
    cutoff: Literal["a", "b", "c", "published"] | float = "c",
    m_clinical: float | None = None,
    sd_clinical: float | None = None,
    m_functional: float | None = None,
    sd_functional: float | None = None,
    reliability: Any = None,
    reliability_functional: float | None = None,
    group: Hashable | None = None,
    alpha: float = 0.05,
    instrument: str | None = None,
    scale: str | None = None,
    norms: str | None = None,
) -> CutoffChangeResult:
    r"""Improved, unchanged or deteriorated by a population cut-off alone (the statistical approach).

    Parameters
    ----------
    data, subject, time, outcome, pre, post, better_is, group
        As in :func:`effectstudy.outcomes.reliable_change.reliable_change` (long data,
        complete pre/post pairs; exclusions counted in ``meta``).
    method : {"jt", "ha"}, default "jt"
        ``"jt"``: Jacobson & Truax (1991) cut-offs and flags; ``"ha"``: Hageman & Arrindell
        (1999) true-score cut-offs and the :math:`CS_{indiv}` test (needs ``reliability``).
    cutoff, m_clinical, sd_clinical, m_functional, sd_functional, reliability_functional
        As in :func:`effectstudy.outcomes.clinical_significance.clinical_significance`.
    reliability : float or "registry", optional
        Only for ``method="ha"`` (the standard error of measurement of :math:`CS_{indiv}`).
    alpha : float, default 0.05
        ``method="ha"``: one-sided level of the :math:`CS_{indiv}` test (:math:`z_{0.95}`).
    instrument, scale, norms : str, optional
        Registry id, scale and norm set: direction, functional norms, reliability and a
        ``"published"`` cut-off come from the registry when not given.

    Returns
    -------
    CutoffChangeResult

    Notes
    -----
    Size: 20 parameters, over the house limit of 15, kept on purpose: the cut-off arguments
    of :func:`~effectstudy.outcomes.clinical_significance.clinical_significance`, one each as
    in R ``clinicalsignificance``'s ``cs_statistical()``, so that every norm is visible in the
    call and recorded in ``meta``.

    With the cut-off :math:`C` (:func:`effectstudy.kernels.cutoff_jt`, ``method="ha"``:
    :func:`effectstudy.kernels.cutoff_ha`), :math:`d = -1` when lower is better:

    .. math::

        \text{clinical}_{pre} = d x < d C,\qquad \text{functional}_{post} = d y > d C

    improved = clinical at pre and functional at post; deteriorated = not clinical at pre
    and not functional at post (functional side at pre, clinical side at post); unchanged
    otherwise.  The change is a switch of population, without a test of reliable change:
    :func:`~effectstudy.outcomes.clinical_significance.clinical_significance` adds that.
    HA: improved = clinical at pre and :math:`d\,CS_i > z_{1-\alpha}`; deteriorated = not
    clinical at pre and :math:`d\,CS_i < -z_{1-\alpha}`, with
    :math:`CS_i = (M_{post} + (y_i - M_{post}) r_{post} - C)/(\sqrt{r_{post}}\,SE)`.

    The clinical mean and SD are the sample's pre scores (complete pairs) unless given.
    Cut-off b follows Jacobson & Truax (two *functional* SDs from the functional mean);
    R clinicalsignificance 3.0.0 uses the clinical SD there (pass its value as ``cutoff=``
    to reproduce it).  Validated against ``cs_statistical()`` (``tests/reference/r_outputs``:
    identical flags and categories, cut-offs and :math:`CS_{indiv}` to 1e-9 relative).

    References
    ----------
    Jacobson, N. S., & Truax, P. (1991). *JCCP, 59*\ (1), 12-19.
    https://doi.org/10.1037/0022-006X.59.1.12

    Hageman, W. J. J. M., & Arrindell, W. A. (1999). *Behaviour Research and Therapy,
    37*\ (12), 1169-1193. https://doi.org/10.1016/S0005-7967(99)00032-7

    Claus, B. B., Wager, J., & Bonnet, U. (2024). *Journal of Statistical Software, 111*\ (1).
    https://doi.org/10.18637/jss.v111.i01

    Examples
    --------
    >>> import pandas as pd, effectstudy as es
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4], "t": ["pre", "post"] * 4,
    ...                    "gsi": [2.1, 0.4, 1.5, 1.4, 0.6, 1.6, 1.8, 1.3]})
    >>> res = es.cutoff_change(df, subject="id", time="t", outcome="gsi", pre="pre",
    ...     post="post", better_is="lower", cutoff=1.0)
    >>> res.patients[["pre", "post", "clinical_pre", "functional_post", "category"]]
        pre  post  clinical_pre  functional_post      category
    id
    1   2.1   0.4          True             True      improved
    2   1.5   1.4          True            False     unchanged
    3   0.6   1.6         False            False  deteriorated
    4   1.8   1.3          True            False     unchanged
    """
    method = check_choice("method", method, CUTOFF_METHODS, ignore_case=True)
    nrm = resolve_norms(instrument=instrument, scale=scale, norms=norms, better_is=better_is,
                        reliability=reliability, m_functional=m_functional,
                        sd_functional=sd_functional, cutoff=cutoff, m_clinical=m_clinical,
                        sd_clinical=sd_clinical)
    d = check_better_is(nrm.better_is)
    alpha = check_alpha(alpha)
    rel = rel_source = None
    if method == "ha":
        rel, rel_source, _ = method_reliability(
            nrm.reliability, None, method="ha", registry_source=nrm.registry.get("reliability"),
            instrument=instrument, scale=scale)
    reliability_functional = check_reliability_functional(reliability_functional, method)
    pp = prepost_wide(data, subject=subject, time=time, outcome=outcome, pre=pre, post=post,
                      group=group)
    pat = pp.patients()
    x = pat["pre"].to_numpy()
    y = pat["post"].to_numpy()
    st = kernels.describe_pairs(x, y)
    if not st["n"] >= 2:
        raise DataError(f"{st['n']} complete pre/post pair(s); the cut-off needs at least 2",
                        expected="at least 2 subjects with both scores")
    m_clin, sd_clin = clinical_norms(st, m_clinical, sd_clinical)
    value, ctype, extra = population_cutoff(
        nrm.cutoff, method=method, d=d, m_clin=m_clin, sd_clin=sd_clin, m_func=nrm.m_functional,
        sd_func=nrm.sd_functional, reliability=rel, reliability_functional=reliability_functional)
    flags = cutoff_flags(x, y, value=value, d=d, method=method, clinical_if=nrm.clinical_if,
                         alpha=alpha, stats_=st, sd_clinical=sd_clin, reliability=rel)
    pat["clinical_pre"] = flags.clinical_pre
    pat["functional_post"] = flags.functional_post
    if method == "ha":
        pat["cs_indiv"] = flags.cs_indiv
        pat["clinical_post"] = flags.clinical_post
    pat["category"] = pd.Categorical.from_codes(flags.codes(), dtype=RC_DTYPE)
    meta = base_meta(method, better_is=nrm.better_is, alpha=alpha, nan_policy="listwise",
                     pre=pre, post=post, n_original=pp.n_original, n_used=pp.n_used,
                     exclusions=dict(pp.exclusions), rows_other_time=pp.rows_other_time,
                     **{k: st[k] for k in ("m_pre", "sd_pre", "m_post", "sd_post")})
    if method == "ha":
        meta.update(reliability=rel, reliability_source=rel_source,
                    critical_value=critical_value("ha", alpha))
    meta.update(cutoff_meta(cutoff=cutoff, ctype=ctype, value=value, nrm=nrm,
                            m_clinical=m_clinical, sd_clinical=sd_clinical, m_clin=m_clin,
                            sd_clin=sd_clin, clin_label="pre scores of the complete pairs",
                            extra={**extra, **flags.extra}))
    return CutoffChangeResult(patients=pat, meta=meta)
