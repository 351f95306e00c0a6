r"""Reliable change and clinical significance: SEM, S_diff, the RCI variants, cut-offs.

Pure NumPy kernels on plain arrays and floats.  Conventions: ``pre`` is :math:`x`, ``post``
is :math:`y`, change is always :math:`y - x`; the direction ``d`` is ``-1`` when lower
scores are better and ``+1`` when higher scores are better.  The DataFrame verbs
(:func:`effectstudy.outcomes.reliable_change.reliable_change`,
:func:`effectstudy.outcomes.clinical_significance.clinical_significance`) handle missing
data, grouping and metadata and call these underneath.

>>> round(float(s_diff(10.0, 0.84)), 6)
5.656854
>>> rci_jt([30.0], [20.0], sd_pre=10.0, reliability=0.84).round(4)
array([-1.7678])
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from effectstudy.core.checks import check_better_is
from effectstudy.kernels.effect_sizes import describe_pairs

__all__ = [
    "sem",
    "s_diff",
    "se_prediction",
    "direction",
    "rci",
    "rci_jt",
    "r_dd",
    "classify_rci",
    "cutoff_jt",
    "cutoff_ha",
    "cs_indiv",
    "ha_group_level",
    "rc_band",
    "RCI_METHODS",
]

RCI_METHODS = ("jt", "gln", "hll", "en", "nk", "ha")

BetterIs = Literal["lower", "higher"]


def sem(sd: ArrayLike, reliability: ArrayLike) -> np.ndarray:
    r"""Standard error of measurement, :math:`SE = s\sqrt{1 - r_{xx}}` (Jacobson & Truax 1991)."""
    return np.asarray(sd, dtype=float) * np.sqrt(1.0 - np.asarray(reliability, dtype=float))


def s_diff(sd: ArrayLike, reliability: ArrayLike) -> np.ndarray:
    r"""Standard error of the difference, :math:`S_{diff} = \sqrt{2 SE^2} = s\sqrt{2(1-r_{xx})}`.

    References
    ----------
    Jacobson, N. S., & Truax, P. (1991). Clinical significance: A statistical approach to
    defining meaningful change in psychotherapy research. *Journal of Consulting and
    Clinical Psychology, 59*\ (1), 12-19. https://doi.org/10.1037/0022-006X.59.1.12
    """
    return np.sqrt(2.0) * sem(sd, reliability)


def se_prediction(sd: ArrayLike, reliability: ArrayLike) -> np.ndarray:
    r"""Standard error of prediction, :math:`SE_{pred} = s\sqrt{1 - r_{xx}^2}` (Hsu 1989)."""
    r = np.asarray(reliability, dtype=float)
    return np.asarray(sd, dtype=float) * np.sqrt(1.0 - r * r)


def direction(better_is: BetterIs) -> int:
    """``-1`` for ``"lower"`` (lower scores are better), ``+1`` for ``"higher"``.

    >>> direction("lower"), direction("higher")
    (-1, 1)
    """
    return check_better_is(better_is, hint=None)



def rci_jt(pre: ArrayLike, post: ArrayLike, *, sd_pre: float, reliability: float) -> np.ndarray:
    r"""Jacobson-Truax reliable change index :math:`RC = (y - x) / S_{diff}`.

    >>> float(rci_jt(32.0, 18.0, sd_pre=7.5, reliability=0.88).round(2))
    -3.81
    """
    x = np.asarray(pre, dtype=float)
    y = np.asarray(post, dtype=float)
    return (y - x) / s_diff(sd_pre, reliability)


def r_dd(sd_pre: float, sd_post: float, r_pre_post: float, reliability: float) -> float:
    r"""Reliability of the difference score (Hageman & Arrindell 1999).

    .. math::

        r_{dd} = \frac{s_1^2 r_{11} + s_2^2 r_{22} - 2 s_1 s_2 r_{12}}
                      {s_1^2 + s_2^2 - 2 s_1 s_2 r_{12}},\quad
        r_{11} = r_{xx},\ r_{22} = \frac{s_2^2 - SE^2}{s_2^2},\ SE = s_1\sqrt{1-r_{xx}}
    """
    se2 = sd_pre**2 * (1.0 - reliability)
    r11 = (sd_pre**2 - se2) / sd_pre**2
    r22 = (sd_post**2 - se2) / sd_post**2
    num = sd_pre**2 * r11 + sd_post**2 * r22 - 2 * sd_pre * sd_post * r_pre_post
    den = sd_pre**2 + sd_post**2 - 2 * sd_pre * sd_post * r_pre_post
    return float(num / den)


def rci(
    pre: ArrayLike,
    post: ArrayLike,
    *,
    method: str,
    reliability: float,
    reliability_post: float | None = None,
    stats_: dict[str, float] | None = None,
) -> tuple[np.ndarray, dict[str, float]]:
    r"""Reliable change index of every pair by ``method``; returns ``(rci, scalars)``.

    ``stats_`` (from :func:`describe_pairs`) supplies :math:`M_{pre}, SD_{pre}, M_{post},
    SD_{post}, r_{12}`; by default they are computed from the pairs given.  With
    :math:`SE = SD_{pre}\sqrt{1-r_{xx}}`, :math:`S_{diff} = \sqrt 2\,SE`,
    :math:`SE_{pred} = SD_{pre}\sqrt{1-r_{xx}^2}`:

    .. math::

        JT  &: (y - x) / S_{diff} \\
        GLN &: [(y - M_{pre}) - r_{xx}(x - M_{pre})] / SE_{pred} \\
        HLL &: [(y - M_{post}) - r_{xx}(x - M_{pre})] / SE_{pred} \\
        EN  &: [y - (r_{xx}(x - M_{pre}) + M_{pre})] / SE \\
        NK  &: [y - (r_{xx}(x - M_{pre}) + M_{pre})] /
               \sqrt{r_{xx}^2 SD_{pre}^2 (1-r_{xx}) + SD_{pre}^2 (1 - r_{post})} \\
        HA  &: [(y - x) r_{dd} + (M_{post} - M_{pre})(1 - r_{dd})] / (\sqrt{r_{dd}}\,S_{diff})

    Validated against R clinicalsignificance 3.0.0 (``tests/reference/r_outputs``).

    >>> v, s = rci([10.0, 12.0, 14.0, 9.0], [8.0, 12.0, 9.0, 9.5], method="jt", reliability=0.8)
    >>> v.round(3), round(s["s_diff"], 4)
    (array([-1.426,  0.   , -3.565,  0.357]), 1.4024)
    """
    x = np.asarray(pre, dtype=float)
    y = np.asarray(post, dtype=float)
    st = stats_ if stats_ is not None else describe_pairs(x, y)
    sd = st["sd_pre"]
    rel = float(reliability)
    se_m = float(sem(sd, rel))
    out: dict[str, float] = {"se_measurement": se_m}
    if method == "jt":
        den = float(s_diff(sd, rel))
        out["s_diff"] = den
        v = (y - x) / den
    elif method in ("gln", "hll"):
        den = float(se_prediction(sd, rel))
        out["se_prediction"] = den
        centre = st["m_pre"] if method == "gln" else st["m_post"]
        v = ((y - centre) - rel * (x - st["m_pre"])) / den
    elif method == "en":
        v = (y - (rel * (x - st["m_pre"]) + st["m_pre"])) / se_m
    elif method == "nk":
        rp = rel if reliability_post is None else float(reliability_post)
        den = math.sqrt(rel**2 * sd**2 * (1 - rel) + sd**2 * (1 - rp))
        out["se_nk"] = den
        out["reliability_post"] = rp
        v = (y - (rel * (x - st["m_pre"]) + st["m_pre"])) / den
    elif method == "ha":
        if not st["sd_post"] > se_m:
            raise ValueError(
                f"the post SD ({st['sd_post']:.4g}) is not larger than the standard error of "
                f"measurement ({se_m:.4g}), so the post reliability and the "
                "Hageman-Arrindell RCI are undefined; expected SD_post > SE")
        rdd = r_dd(sd, st["sd_post"], st["r"], rel)
        if not rdd > 0:
            raise ValueError(
                f"the reliability of the difference score r_dd = {rdd:.4g} is not positive "
                "(pre and post correlate as strongly as the reliability allows), so the "
                "Hageman-Arrindell RCI is undefined; expected r_dd > 0")
        out["r_dd"] = rdd
        den = math.sqrt(rdd) * float(s_diff(sd, rel))
        v = ((y - x) * rdd + (st["m_post"] - st["m_pre"]) * (1 - rdd)) / den
    else:
        raise ValueError(f"method: got {method!r}, expected one of {RCI_METHODS}")
    return v, out


def classify_rci(rci_: ArrayLike, *, d: int, critical: float) -> np.ndarray:
    """Code per RCI: ``1`` reliably improved (``d*rci > critical``), ``-1`` deteriorated, ``0``.

    Strict inequalities, as in clinicalsignificance 3.0.0.

    >>> classify_rci([-2.5, 1.96, 0.0, 3.0], d=-1, critical=1.96)
    array([ 1,  0,  0, -1], dtype=int8)
    """
    v = d * np.asarray(rci_, dtype=float)
    # the two flags as int8 (a bool is one byte 0/1): no int64 temporaries; NaN -> 0
    codes = np.asarray(v > critical).view(np.int8) - np.asarray(v < -critical).view(np.int8)
    return np.asarray(codes)  # a 0-d array for a single RCI, as before


def cutoff_jt(
    kind: str, *, d: int, m_clinical: float, sd_clinical: float,
    m_functional: float | None = None, sd_functional: float | None = None,
) -> float:
    r"""Jacobson & Truax (1991) cut-offs between the clinical and functional populations.

    .. math::

        a = M_{clin} + 2 d\,SD_{clin},\quad b = M_{func} - 2 d\,SD_{func},\quad
        c = \frac{SD_{clin} M_{func} + SD_{func} M_{clin}}{SD_{clin} + SD_{func}}

    ``b`` follows the paper (two *functional* SDs from the functional mean); the R
    package clinicalsignificance 3.0.0 uses the clinical SD there.

    With equal SDs, ``c`` lies halfway between the means:

    >>> cutoff_jt("c", d=-1, m_clinical=60, sd_clinical=7.5, m_functional=40, sd_functional=7.5)
    50.0
    """
    if kind == "a":
        return float(m_clinical + d * 2 * sd_clinical)
    if m_functional is None or sd_functional is None:
        raise ValueError(f"cut-off {kind!r} needs m_functional and sd_functional")
    if kind == "b":
        return float(m_functional - d * 2 * sd_functional)
    if kind == "c":
        return float((sd_clinical * m_functional + sd_functional * m_clinical)
                     / (sd_clinical + sd_functional))
    raise ValueError(f"cutoff: got {kind!r}, expected 'a', 'b' or 'c'")


def cutoff_ha(
    kind: str, *, d: int, m_clinical: float, sd_clinical: float, reliability: float,
    m_functional: float | None = None, sd_functional: float | None = None,
    reliability_functional: float | None = None,
) -> tuple[float, float, float]:
    r"""Hageman & Arrindell (1999) "true score" cut-offs; returns ``(cutoff, r_clin, r_func)``.

    With :math:`SE = SD_{clin}\sqrt{1-r_{xx}}` and :math:`r_g = (SD_g^2 - SE^2)/SD_g^2`:

    .. math::

        a = M_{clin} + 2d\,SD_{clin}\sqrt{r_{clin}},\quad
        b = M_{func} - 2d\,SD_{func}\sqrt{r_{func}},\quad
        c = \frac{SD_{clin}\sqrt{r_{clin}} M_{func} + SD_{func}\sqrt{r_{func}} M_{clin}}
                 {SD_{clin}\sqrt{r_{clin}} + SD_{func}\sqrt{r_{func}}}

    ``b`` uses the functional SD (the papers' definition); clinicalsignificance 3.0.0
    uses :math:`SD_{clin}\sqrt{r_{clin}}` there.  ``reliability_functional`` replaces the
    derived :math:`r_{func}` when the functional population's own reliability is known.
    """
    se2 = sd_clinical**2 * (1 - reliability)
    r_clin = (sd_clinical**2 - se2) / sd_clinical**2
    if kind == "a":
        return float(m_clinical + d * 2 * sd_clinical * math.sqrt(r_clin)), r_clin, float("nan")
    if m_functional is None or sd_functional is None:
        raise ValueError(f"cut-off {kind!r} needs m_functional and sd_functional")
    r_func = ((sd_functional**2 - se2) / sd_functional**2 if reliability_functional is None
              else float(reliability_functional))
    if r_func <= 0:
        raise ValueError(
            f"sd_functional: got {sd_functional!r}, expected a functional SD larger than the "
            f"standard error of measurement ({math.sqrt(se2):.4g}) for the HA cut-off"
        )
    if kind == "b":
        return float(m_functional - d * 2 * sd_functional * math.sqrt(r_func)), r_clin, r_func
    if kind == "c":
        a = sd_clinical * math.sqrt(r_clin)
        b = sd_functional * math.sqrt(r_func)
        return float((a * m_functional + b * m_clinical) / (a + b)), r_clin, r_func
    raise ValueError(f"cutoff: got {kind!r}, expected 'a', 'b' or 'c'")


def cs_indiv(
    post: ArrayLike, *, cutoff: float, m_post: float, sd_post: float, se_measurement: float
) -> tuple[np.ndarray, float]:
    r"""Hageman & Arrindell's individual clinical-significance statistic; ``(cs, r_post)``.

    .. math::

        CS_i = \frac{M_{post} + (y_i - M_{post}) r_{post} - c}{\sqrt{r_{post}}\,SE},\quad
        r_{post} = \frac{SD_{post}^2 - SE^2}{SD_{post}^2}
    """
    y = np.asarray(post, dtype=float)
    r_post = (sd_post**2 - se_measurement**2) / sd_post**2
    if not r_post > 0:
        raise ValueError(
            f"the post SD ({sd_post:.4g}) is not larger than the standard error of "
            f"measurement ({se_measurement:.4g}), so CS_indiv is undefined; expected "
            "SD_post > SE")
    return (m_post + (y - m_post) * r_post - cutoff) / (math.sqrt(r_post) * se_measurement), r_post


def ha_group_level(
    *, mean_change: float, sd_change: float, m_post: float, sd_post: float,
    r_dd_: float, r_post: float, cutoff: float, d: int,
) -> tuple[float, float]:
    r"""Hageman & Arrindell (1999) group-level proportions ``(changed, functional)``.

    .. math::

        z_{ch} = \frac{0 - \bar c}{s_c\sqrt{r_{dd}}},\quad
        z_{fu} = \frac{C - M_{post}}{SD_{post}\sqrt{r_{post}}}

    Lower is better: :math:`\Phi(z)`; higher is better: :math:`1 - \Phi(z)`.
    """
    z_ch = (0.0 - mean_change) / (sd_change * math.sqrt(r_dd_))
    z_fu = (cutoff - m_post) / (sd_post * math.sqrt(r_post))
    if d < 0:
        return float(stats.norm.cdf(z_ch)), float(stats.norm.cdf(z_fu))
    return float(stats.norm.sf(z_ch)), float(stats.norm.sf(z_fu))


def rc_band(meta: dict[str, Any], x: ArrayLike) -> tuple[np.ndarray, np.ndarray] | None:
    """Post scores bounding the 'unchanged' band at pre scores ``x`` (None for HLM).

    ``meta`` is a reliable-change result's ``meta``: ``method``, ``reliability``
    (``reliability_post`` for NK), ``critical_value`` and the sample statistics ``n``,
    ``m_pre``, ``sd_pre``, ``m_post``, ``sd_post``, ``r``.  Every RCI formula of
    :func:`rci` is linear in the post score, so the bounds solve
    :math:`RC(x, y) = \\pm z_{crit}` for :math:`y`.

    >>> meta = dict(method="jt", reliability=0.84, critical_value=1.96, n=2, m_pre=30.0,
    ...             sd_pre=10.0, m_post=20.0, sd_post=10.0, r=0.5)
    >>> lo, hi = rc_band(meta, [30.0])  # 30 -/+ 1.96 S_diff
    >>> lo.round(3), hi.round(3)
    (array([18.913]), array([41.087]))
    """
    method = meta.get("method")
    if method not in RCI_METHODS:
        return None
    st = {k: meta[k] for k in ("n", "m_pre", "sd_pre", "m_post", "sd_post", "r")}
    x = np.asarray(x, dtype=float)
    r0, _ = rci(x, np.zeros_like(x), method=method, reliability=meta["reliability"],
                reliability_post=meta.get("reliability_post"), stats_=st)
    r1, _ = rci(x, np.ones_like(x), method=method, reliability=meta["reliability"],
                reliability_post=meta.get("reliability_post"), stats_=st)
    slope = r1 - r0
    crit = meta["critical_value"]
    lo = (-crit - r0) / slope
    hi = (crit - r0) / slope
    return np.minimum(lo, hi), np.maximum(lo, hi)
