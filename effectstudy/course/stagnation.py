r"""Stagnation: which treatment episodes are not making progress?

One verb, :func:`stagnation`, on long data with every measurement of each episode, and
two rules chosen with ``rule=``:

``"early_no_progress"`` (the practice rule)
    Baseline = the subject's earliest measurement, which must lie before the window.  The
    evaluation measurement is the subject's *last* measurement with ``time`` inside the
    window (inclusive).  Stagnated = the change from baseline to that measurement is not a
    reliable improvement (``criterion="rci"``: Jacobson & Truax 1991) or is smaller than a
    fraction of the baseline score (``criterion="percent"``).
``"deterioration"``
    Reliable worsening (or worsening by a fraction of baseline) at any measurement after
    baseline.

The empirical expected-treatment-response signal (Finch, Lambert & Schaalje 2001) is its
own verb with its own parameters: :func:`effectstudy.course.expected_response.not_on_track`
(``es.not_on_track``); it returns the same kind of result.

Every subject of the data is in ``.patients``: subjects that cannot be judged are
``not_evaluable`` with a ``reason`` (also ``repeated_session``: two measurements at one
time), counted in ``meta["not_evaluable_reasons"]`` and in every row of ``.summary()``,
which shows the evaluable share beside the rate; nobody is dropped.  The practice rule
stands in for "insufficient progress on the goals agreed at the start": ``.text()`` says
so, and ``.sensitivity()`` shows the rate over other windows and thresholds.  Rates carry Wilson (1927) intervals
(:func:`effectstudy.kernels.proportions.wilson_ci`).  The long-data handling shared with
``not_on_track`` is in :mod:`effectstudy.course.longitudinal`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from effectstudy import kernels
from effectstudy.core.checks import (
    check_alpha,
    check_better_is,
    check_choice,
    check_ci,
    check_reliability,
)
from effectstudy.core.errors import ArgumentError, DataError
from effectstudy.core.formatting import check_lang, number, percent
from effectstudy.core.labels import Lang, label, register, translate
from effectstudy.core.results import Result, TableResult, base_meta
from effectstudy.course.longitudinal import (
    REASONS,
    STATUS_DTYPE,
    Long,
    baselines,
    check_frame,
    fill_change,
    first_flag_or_last,
    flag_table,
    long_data,
    post_rows,
    simple_reasons,
)
from effectstudy.data.longdata import registry_norms
from effectstudy.kernels.proportions import proportion, wilson_ci
from effectstudy.outcomes.reliable_change import check_sd_reference

__all__ = [
    "stagnation",
    "StagnationResult",
    "StagnationSensitivity",
    "SENSITIVITY_CRITICAL_VALUES",
    "SENSITIVITY_FRACTIONS",
    "SENSITIVITY_WINDOWS",
    "RULES",
    "CRITERIA",
    "REASONS",
    "STATUS_DTYPE",
    "RULE_VERSION",
]

RULES = ("early_no_progress", "deterioration")
CRITERIA = ("rci", "percent")
#: bumped whenever a rule's definition changes (recorded in ``meta``)
RULE_VERSION = 1
#: default thresholds of :meth:`StagnationResult.sensitivity`, criterion ``rci``: the
#: critical values :math:`z_{1-\alpha/2}` for two-sided alpha 0.20, 0.10, 0.05 and 0.01
SENSITIVITY_CRITICAL_VALUES = tuple(float(stats.norm.ppf(1 - a / 2))
                                    for a in (0.20, 0.10, 0.05, 0.01))
#: default thresholds of :meth:`StagnationResult.sensitivity`, criterion ``percent``
SENSITIVITY_FRACTIONS = (0.10, 0.20, 0.25, 0.30, 0.40, 0.50)
#: default windows of :meth:`StagnationResult.sensitivity` (the result's own comes first)
SENSITIVITY_WINDOWS = ((2.0, 4.0), (3.0, 5.0), (4.0, 6.0), (3.0, 6.0))
#: the unit words of :meth:`StagnationResult.rule_text` (``analysis.stagnation.time``)
UNITS = {"session": {"nl": "sessie", "en": "sessions"}, "weeks": {"nl": "week", "en": "weeks"}}

register({
    "share_evaluable": {"nl": "Aandeel te beoordelen", "en": "Share evaluable"},
    "share_evaluable_ci_low": {"nl": "Aandeel BI onder", "en": "Share CI low"},
    "share_evaluable_ci_high": {"nl": "Aandeel BI boven", "en": "Share CI high"},
    "window_start": {"nl": "Venster van", "en": "Window from"},
    "window_end": {"nl": "Venster tot", "en": "Window to"},
    "rule_threshold": {"nl": "Drempel", "en": "Threshold"},
    "threshold_points": {"nl": "Drempel (punten)", "en": "Threshold (points)"},
    "alpha_two_sided": {"nl": "Alfa (tweezijdig)", "en": "Alpha (two-sided)"},
    "mean_progress": {"nl": "Gem. vooruitgang", "en": "Mean progress"},
    "median_progress": {"nl": "Mediaan vooruitgang", "en": "Median progress"},
    "current": {"nl": "Gebruikt", "en": "Used"},
    "Stagnation: sensitivity to window and threshold": {"nl": "Stagnatie: gevoeligheid voor venster en drempel",
                                                        "en": "Stagnation: sensitivity to window and threshold"},
    "stagnation_sensitivity": {"nl": "dezelfde regel bij andere vensters en drempels",
                               "en": "the same rule at other windows and thresholds"},
    # as course/treatment_course.py registers them (the same labels may be registered twice)
    "mean_improvement": {"nl": "Gem. verbetering", "en": "Mean improvement"},
    "median_improvement": {"nl": "Mediaan verbetering", "en": "Median improvement"},
    "pct_improvement": {"nl": "Verbetering (fractie)", "en": "Improvement (fraction)"},
    "early_no_progress": {"nl": "geen vroege vooruitgang", "en": "early no progress"},
    "deterioration": {"nl": "verslechtering", "en": "deterioration"},
})


# ============================================================================ checks
def _check_rule(rule: Any) -> str:
    if rule == "not_on_track":
        raise ArgumentError("rule", rule, f"one of {', '.join(repr(a) for a in RULES)}: the "
                            "expected-response signal is its own verb, es.not_on_track(data, "
                            "subject=, time=, outcome=, level=, reference=, ...)")
    return check_choice("rule", rule, RULES)


def _check_window(window: Any) -> tuple[float, float]:
    expected = ("a pair (start, end) of finite numbers with start <= end, in the unit of "
                "time (e.g. (3, 5) for sessions 3 to 5)")
    if (not isinstance(window, (tuple, list)) or len(window) != 2
            or any(isinstance(v, bool) or not isinstance(v, (int, float, np.integer,
                                                             np.floating)) for v in window)):
        raise ArgumentError("window", window, expected)
    lo, hi = float(window[0]), float(window[1])
    if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
        raise ArgumentError("window", window, expected)
    return lo, hi


def _check_threshold(criterion: str, threshold: Any) -> float | None:
    if criterion == "rci":
        if threshold is not None:
            raise ArgumentError("threshold", threshold, "None for criterion 'rci' (its "
                                "critical value comes from alpha=); a threshold is for "
                                "criterion 'percent'")
        return None
    if (threshold is None or isinstance(threshold, bool)
            or not isinstance(threshold, (int, float)) or not 0 < threshold
            or not math.isfinite(threshold)):
        raise ArgumentError("threshold", threshold, "a positive fraction of the baseline "
                            "score for criterion 'percent', e.g. 0.25")
    return float(threshold)


def _check_reliability(reliability: Any, reg, criterion: str, instrument: str | None,
                       scale: str | None) -> tuple[float | None, str | None]:
    """``(r_xx, source)``: the argument, else the registry's (criterion ``rci`` only)."""
    rel_source = None
    if criterion == "rci":
        reliability, rel_source = reg.pick("reliability", reliability, None)
    if criterion == "rci" and reliability is None:
        raise ArgumentError("reliability", None, "a number in (0, 1) or an es.reliability(...) "
                            "result for criterion 'rci'"
                            + (f"; the registry has none for {instrument}/{scale}"
                               if instrument is not None else ""))
    if reliability is None:
        return None, None
    rel, src = check_reliability(reliability)
    return rel, rel_source or src


# ============================================================================ rules
def _criterion_meta(lg: Long, *, rule: str, criterion: str, rel: float | None,
                    rel_source: str | None, alpha: float, threshold: float | None,
                    sd_reference: float | None = None) -> dict[str, Any]:
    """``meta`` entries of the criterion, with ``s_diff`` and ``critical_value`` for RCI."""
    if criterion == "percent":
        meta: dict[str, Any] = {
            "criterion": criterion, "threshold": threshold,
            "threshold_meaning": ("stagnated when d*(eval - baseline)/baseline < threshold"
                                  if rule == "early_no_progress" else
                                  "flagged when -d*(score - baseline)/baseline >= threshold")}
        if rel is not None:
            meta.update(reliability=rel, reliability_source=rel_source + " (not used)")
        return meta
    has = lg.nv > 0
    base_all = lg.ys[lg.start[has]]
    n_base = int(base_all.size)
    sd_base = float(base_all.std(ddof=1)) if n_base > 1 else float("nan")
    if sd_reference is not None:  # a fixed yardstick (the same as reliable change's)
        return {"criterion": criterion, "rci_method": "jt", "reliability": rel,
                "reliability_source": rel_source, "alpha": alpha,
                "critical_value": float(stats.norm.ppf(1 - alpha / 2)), "sd_baseline": sd_reference,
                "sd_baseline_source": "argument sd_reference=", "n_baseline": n_base,
                "sd_baseline_sample": sd_base, "se_measurement": float(kernels.sem(sd_reference, rel)),
                "s_diff": float(kernels.s_diff(sd_reference, rel))}
    if not sd_base > 0:
        raise DataError(f"the baseline scores of {n_base} subject(s) have no spread "
                        f"(SD = {sd_base}), so S_diff is undefined",
                        expected="at least 2 subjects with different baseline scores")
    return {"criterion": criterion, "rci_method": "jt", "reliability": rel,
            "reliability_source": rel_source, "alpha": alpha,
            "critical_value": float(stats.norm.ppf(1 - alpha / 2)), "sd_baseline": sd_base,
            "sd_baseline_source": "sample: all subjects' baseline scores", "n_baseline": n_base,
            "se_measurement": float(kernels.sem(sd_base, rel)),
            "s_diff": float(kernels.s_diff(sd_base, rel))}


def _criterion_columns(out: dict[str, np.ndarray], ok: np.ndarray, base_y: np.ndarray, *,
                       d: int, criterion: str, s_diff: float | None) -> None:
    """Add ``improvement`` and ``rci`` (or ``pct_improvement``) to ``out``."""
    out["improvement"] = d * out["change"]
    if criterion == "rci":
        out["rci"] = out["change"] / s_diff
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            out["pct_improvement"] = out["improvement"] / base_y
        out["pct_improvement"][~ok] = np.nan


def _early(lg: Long, *, d: int, lo: float, hi: float, criterion: str, s_diff: float | None,
           crit: float | None, threshold: float | None):
    """``(columns, reason, flagged)`` of the practice rule."""
    has, base_t, base_y = baselines(lg)
    pos = np.arange(lg.ts.size)
    inw = (lg.ts >= lo) & (lg.ts <= hi)
    last = np.full(lg.m, -1, dtype=np.int64)
    np.maximum.at(last, lg.cs[inw], pos[inw])
    reason = np.full(lg.m, -1, dtype=np.int8)
    for code, cond in ((4, (criterion == "percent") & has & ~(base_y > 0)),
                       (3, last < 0), (2, has & (base_t >= lo)), (1, lg.nv == 1),
                       (0, ~has)):
        reason[cond] = code  # later assignments win: highest precedence last
    ok = reason < 0
    ev = np.where(ok, last, 0)
    out = {"baseline_time": base_t, "baseline": base_y}
    fill_change(lg, out, ev, ok, base_y)
    _criterion_columns(out, ok, base_y, d=d, criterion=criterion, s_diff=s_diff)
    if criterion == "rci":
        stag = ~(d * out["rci"] > crit)
    else:
        stag = ~(out["pct_improvement"] >= threshold)
    return out, reason, ok & stag


def _deterioration(lg: Long, *, d: int, criterion: str, s_diff: float | None,
                   crit: float | None, threshold: float | None):
    """``(columns, reason, flagged)``: flagged at the first reliably worse measurement."""
    has, base_t, base_y = baselines(lg)
    reason = simple_reasons(lg, has, base_y, criterion)
    ok = reason < 0
    post = post_rows(lg)
    by = base_y[lg.cs]
    ch = lg.ys - by
    if criterion == "rci":
        worse = d * ch / s_diff < -crit
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            worse = -d * ch / by >= threshold
    ev, flagged = first_flag_or_last(lg, post & worse & ok[lg.cs], ok)
    out = {"baseline_time": base_t, "baseline": base_y}
    fill_change(lg, out, ev, ok, base_y)
    _criterion_columns(out, ok, base_y, d=d, criterion=criterion, s_diff=s_diff)
    return out, reason, flagged


# ============================================================================ sensitivity
def _check_thresholds(thresholds: Any, criterion: str, own: float) -> np.ndarray:
    """Sorted unique thresholds (given, else the criterion's defaults) plus ``own``."""
    if thresholds is None:
        base = SENSITIVITY_CRITICAL_VALUES if criterion == "rci" else SENSITIVITY_FRACTIONS
        return np.unique(np.array([*base, own], dtype=float))
    expected = ("a non-empty list of positive finite numbers: critical values of the RCI "
                "(e.g. [1.28, 1.645, 1.96]) for criterion 'rci', fractions of the baseline "
                "score (e.g. [0.1, 0.25, 0.5]) for criterion 'percent'")
    vals = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else None
    if (not vals or any(isinstance(v, bool) or not isinstance(v, (int, float, np.integer,
                                                                    np.floating))
                        or not (math.isfinite(v) and v > 0) for v in vals)):
        raise ArgumentError("thresholds", thresholds, expected)
    return np.unique(np.array([*vals, own], dtype=float))


def _check_windows(windows: Any, own: tuple[float, float]) -> list[tuple[float, float]]:
    """The windows in order, the result's own first, without repeats."""
    if windows is None:
        windows = SENSITIVITY_WINDOWS
    if not isinstance(windows, (list, tuple)) or not windows:
        raise ArgumentError("windows", windows, "a non-empty list of (start, end) pairs")
    out = [own]
    for w in windows:
        try:
            pair = _check_window(w)
        except ArgumentError:
            raise ArgumentError("windows", windows, "a non-empty list of (start, end) pairs "
                                "of finite numbers with start <= end") from None
        if pair not in out:
            out.append(pair)
    return out


def _sensitivity_table(lg: Long, *, d: int, criterion: str, s_diff: float | None,
                       windows: list[tuple[float, float]], thresholds: np.ndarray,
                       own: tuple[tuple[float, float], float], ci: float) -> pd.DataFrame:
    r"""One row per window and threshold: counts, rate, Wilson interval, early progress.

    The evaluation per window is :func:`_early`'s own (same arithmetic, so a row at the
    result's window and threshold reproduces its summary exactly); the thresholds are
    applied at once to each window's sorted progress values (``searchsorted``):
    stagnated :math:`\iff p \le c` for ``rci`` (:math:`p = d\cdot RCI`) and
    :math:`p <` threshold for ``percent``.
    """
    side = "right" if criterion == "rci" else "left"
    parts = []
    for lo, hi in windows:
        out, reason, _ = _early(lg, d=d, lo=lo, hi=hi, criterion=criterion, s_diff=s_diff,
                                crit=float(thresholds[0]), threshold=float(thresholds[0]))
        ok = reason < 0
        prog = (d * out["rci"] if criterion == "rci" else out["pct_improvement"])[ok]
        imp = out["improvement"][ok]
        n_stag = np.searchsorted(np.sort(prog), thresholds, side=side)
        empty = not prog.size
        parts.append(pd.DataFrame({
            "window_start": lo, "window_end": hi, "rule_threshold": thresholds,
            "n": lg.m, "n_evaluable": int(ok.sum()), "n_stagnated": n_stag.astype(np.int64),
            "mean_progress": np.nan if empty else float(prog.mean()),
            "median_progress": np.nan if empty else float(np.median(prog)),
            "mean_improvement": np.nan if empty else float(imp.mean()),
            "median_improvement": np.nan if empty else float(np.median(imp)),
            "current": ((lo, hi) == own[0]) & (thresholds == own[1])}))
    tab = pd.concat(parts, ignore_index=True)
    if criterion == "rci":
        tab.insert(3, "alpha_two_sided", 2 * stats.norm.sf(tab["rule_threshold"].to_numpy()))
        tab.insert(4, "threshold_points", tab["rule_threshold"] * s_diff)
    ne = tab["n_evaluable"].to_numpy()
    n = tab["n"].to_numpy()
    tab["share_evaluable"] = proportion(ne, n)
    tab["rate"] = proportion(tab["n_stagnated"], ne)
    tab["ci_low"], tab["ci_high"] = wilson_ci(tab["n_stagnated"].to_numpy(), ne, ci=ci)
    first = [c for c in tab.columns if c not in ("mean_progress", "median_progress",
                                                 "mean_improvement", "median_improvement",
                                                 "current")]
    return tab[[*first, "mean_progress", "median_progress", "mean_improvement",
                "median_improvement", "current"]]


_GOALS = {"nl": "Stagnatie staat hier voor wat de praktijk \"onvoldoende vooruitgang op de bij de "
                "start afgesproken doelen\" noemt. Gemeten wordt iets smallers: ",
          "en": "Stagnation stands in for the practice's \"insufficient progress on the goals "
                "agreed at the start\". What is measured is narrower: "}
_JT = "Jacobson & Truax (1991)"


def _rule_text(meta: dict[str, Any], lang: Lang, unit: str) -> str:
    """The operationalisation of ``meta``'s rule in ``lang`` (see :meth:`StagnationResult.rule_text`)."""
    nl = lang == "nl"
    rule, criterion = meta.get("rule"), meta.get("criterion")
    rci = criterion == "rci"
    crit = number(meta.get("critical_value"), lang)
    pts = number((meta.get("critical_value") or math.nan) * (meta.get("s_diff") or math.nan), lang, 1)
    pct = percent(meta.get("threshold"), lang)
    if rule == "early_no_progress":
        lo, hi = (f"{w:g}" for w in meta["window"])
        if nl:
            how = (f"geen betrouwbare verbetering toont ten opzichte van de eerste meting (RCI volgens "
                   f"{_JT} hoogstens {crit}, dus een verbetering van hoogstens {pts} punten)" if rci
                   else f"minder dan {pct} verbetering toont ten opzichte van de eerste score")
            return (_GOALS[lang] + f"een traject telt als gestagneerd als de laatste meting in {unit} "
                    f"{lo} tot {hi} {how}. De regel ziet de afgesproken doelen zelf niet, noch "
                    "vooruitgang die de vragenlijst niet meet, noch trajecten zonder eerste meting "
                    "vóór het venster of zonder meting in het venster (die zijn niet te beoordelen).")
        how = (f"shows no reliable improvement over its first measurement (RCI after {_JT} at most "
               f"{crit}, i.e. an improvement of at most {pts} points)" if rci
               else f"shows an improvement of less than {pct} of its first score")
        return (_GOALS[lang] + f"an episode counts as stagnated when its last measurement in {unit} "
                f"{lo} to {hi} {how}. The rule does not see the agreed goals themselves, progress the "
                "questionnaire does not measure, or episodes without a first measurement before the "
                "window or without a measurement in the window (these are not evaluable).")
    if rule == "deterioration":
        if nl:
            how = (f"betrouwbaar slechter is (RCI volgens {_JT} voorbij {crit})" if rci
                   else f"minstens {pct} slechter is dan de eerste score")
            return ("Verslechtering: een traject wordt gesignaleerd bij de eerste meting na de eerste "
                    f"die {how}. Dit is een signaal voor de intervisie, geen oordeel over de "
                    "behandeling.")
        how = (f"is reliably worse (RCI after {_JT} beyond {crit})" if rci
               else f"is worse by at least {pct} of the first score")
        return ("Deterioration: an episode is flagged at the first measurement after its first one "
                f"that {how}. It is a signal for peer consultation, not a judgement of the treatment.")
    if nl:
        return ("Niet op koers: een traject wordt gesignaleerd als een meting buiten de band van het "
                "verwachte herstel ligt, geschat op de afgeronde trajecten van de praktijk (Finch, "
                "Lambert & Schaalje 2001). Het staat voor \"onvoldoende vooruitgang op de bij de start "
                "afgesproken doelen\" alleen voor zover de vragenlijst die doelen meet.")
    return ("Not on track: an episode is flagged when a measurement lies beyond the band of expected "
            "recovery estimated from the practice's completed episodes (Finch, Lambert & Schaalje "
            "2001). It stands in for \"insufficient progress on the goals agreed at the start\" only "
            "as far as the questionnaire measures those goals.")


def _figures_text(meta: dict[str, Any], s: pd.Series, ev: pd.DataFrame, lang: Lang) -> str:
    """Evaluable share, rate, reasons and (practice rule) early progress against the threshold."""
    nl = lang == "nl"
    ci = f"{percent(meta.get('ci', 0.95), lang)}-{label('ci', lang)}" if nl else \
        f"{percent(meta.get('ci', 0.95), lang)} {label('ci', lang)}"
    to = "tot" if nl else "to"
    share = (f"{percent(s['share_evaluable'], lang)}, {ci} {percent(s['share_evaluable_ci_low'], lang)} "
             f"{to} {percent(s['share_evaluable_ci_high'], lang)}")
    rate = f"{percent(s['rate'], lang)}, {ci} {percent(s['ci_low'], lang)} {to} {percent(s['ci_high'], lang)}"
    early = meta.get("rule") == "early_no_progress"
    ne, n, ns = int(s["n_evaluable"]), int(s["n"]), int(s["n_stagnated"])
    if nl:
        what = "gestagneerd" if early else "gesignaleerd"
        out = [f"Te beoordelen waren {ne} van de {n} trajecten ({share}); daarvan {ns} {what} ({rate})."]
    else:
        what = "stagnated" if early else "were flagged"
        out = [f"{ne} of {n} episodes could be evaluated ({share}); of these, {ns} {what} ({rate})."]
    reasons = meta.get("not_evaluable_reasons") or {}
    if reasons:
        out.append(("Niet te beoordelen: " if nl else "Not evaluable: ")
                   + "; ".join(f"{v} ({translate(k, lang)})" for k, v in reasons.items()) + ".")
    if early and len(ev):
        if meta.get("criterion") == "rci":
            imp = ev["improvement"].to_numpy(dtype=float)
            c, sd = meta["critical_value"], meta["s_diff"]
            vals = (f"{number(imp.mean(), lang, 1)} {'punten' if nl else 'points'} "
                    f"({'mediaan' if nl else 'median'} {number(float(np.median(imp)), lang, 1)})",
                    f"{number(c * sd, lang, 1)} {'punten' if nl else 'points'} ({number(c, lang)} × "
                    f"{'de standaardfout van het verschil' if nl else 'the standard error of the difference'} "
                    f"{number(sd, lang)})")
        else:
            pr = ev["pct_improvement"].to_numpy(dtype=float)
            vals = (f"{percent(pr.mean(), lang, 1)} {'van de eerste score' if nl else 'of the first score'} "
                    f"({'mediaan' if nl else 'median'} {percent(float(np.median(pr)), lang, 1)})",
                    percent(meta["threshold"], lang, 1))
        out.append(
            f"De gemiddelde verbetering bij de evaluatiemeting was {vals[0]}, tegen een drempel van "
            f"{vals[1]}: hoe dichter de drempel bij de mediaan ligt, hoe meer een percentage rond 50% "
            "al in de definitie besloten ligt. De gevoeligheidstabel laat zien hoe het percentage "
            "met venster en drempel verschuift." if nl else
            f"At the evaluation measurement the mean improvement was {vals[0]}, against a threshold of "
            f"{vals[1]}: the closer the threshold lies to the median, the more a rate near 50% is "
            "built into the definition. The sensitivity table shows how the rate moves with window "
            "and threshold.")
    return " ".join(out)


@dataclass(frozen=True, repr=False)
class StagnationSensitivity(TableResult):
    r"""The practice rule's rate over windows and thresholds (:meth:`StagnationResult.sensitivity`).

    ``summary()``: one row per window and threshold: ``window_start, window_end,
    rule_threshold, [alpha_two_sided, threshold_points,] n, n_evaluable, n_stagnated,
    share_evaluable, rate, ci_low, ci_high, mean_progress, median_progress,
    mean_improvement, median_improvement, current``.  ``rule_threshold`` is the RCI's
    critical value (``rci``; ``alpha_two_sided`` its level, ``threshold_points`` the
    improvement in score points it asks for) or the fraction of the baseline score
    (``percent``).  ``mean_progress``/``median_progress`` are the evaluable episodes'
    progress in the threshold's own unit (:math:`d\cdot RCI` or the fraction of the
    baseline), so each can be read against ``rule_threshold``: where the median progress
    is near the threshold, a rate near 50 % follows from the definition.
    ``current`` marks the row of the result's own window and threshold.
    """

    title = "Stagnation: sensitivity to window and threshold"
    #: a report splits the wide table here; the window and threshold columns start every part
    display_parts = (("part_rate", ("n", "n_evaluable", "n_stagnated", "share_evaluable", "rate", "ci_low",
                                    "ci_high")),
                     ("part_progress", ("mean_progress", "median_progress", "mean_improvement",
                                        "median_improvement", "current")))


# ============================================================================ result
@dataclass(frozen=True, repr=False)
class StagnationResult(Result):
    """Result of :func:`stagnation` (and, with ``.measurements`` added, of ``es.not_on_track``).

    ``patients`` (index = subject): ``[group,] status`` (ordered: on_track < stagnated <
    not_evaluable), ``reason`` (why not evaluable), ``n_measurements``, ``baseline_time``,
    ``baseline``, ``eval_time``, ``eval_score``, ``change`` (raw: eval_score - baseline),
    ``improvement`` (direction-adjusted: positive = better), then ``rci`` or
    ``pct_improvement``.  ``status == "stagnated"`` means *flagged by the rule* (for
    ``"deterioration"``: reliably worse).
    """

    #: the sorted long data the result was computed from (for :meth:`sensitivity`)
    long: Long | None = field(default=None, repr=False, compare=False)

    title = "Stagnation"

    def summary(self) -> pd.DataFrame:
        """``[group, overall,] n, n_evaluable, n_not_evaluable, n_stagnated, n_on_track,
        rate, ci_low, ci_high, share_evaluable, share_evaluable_ci_low,
        share_evaluable_ci_high``.

        ``rate = n_stagnated / n_evaluable`` with a Wilson interval at ``meta["ci"]``;
        ``share_evaluable = n_evaluable / n`` (how many the rate speaks for) with its
        Wilson interval.
        Grouped: one row per group (in the order of the group's categories, else sorted)
        followed by the overall row, marked ``overall = True`` and ``group = "all"``.  The
        overall row also counts subjects with a missing group (``meta["exclusions"]
        ["missing_group"]``), so group rows can sum to less than it.
        """
        pat = self.patients
        st = pat["status"]
        ev = (st != "not_evaluable").to_numpy()
        sg = (st == "stagnated").to_numpy()

        def row(mask):
            n = int(mask.sum())
            ne = int((mask & ev).sum())
            ns = int((mask & sg).sum())
            return [n, ne, n - ne, ns, ne - ns]

        cols = ["n", "n_evaluable", "n_not_evaluable", "n_stagnated", "n_on_track"]
        all_mask = np.ones(len(pat), dtype=bool)
        if "group" in pat:
            g = pat["group"]
            if isinstance(g.dtype, pd.CategoricalDtype):
                levels = list(g.cat.categories)
            else:
                levels = sorted(pd.unique(g.dropna()), key=lambda v: (str(type(v)), v))
            gv = g.to_numpy()
            rows = [[lev, False, *row(gv == lev)] for lev in levels]
            rows.append(["all", True, *row(all_mask)])
            out = pd.DataFrame(rows, columns=["group", "overall", *cols])
        else:
            out = pd.DataFrame([row(all_mask)], columns=cols)
        ne = out["n_evaluable"].to_numpy()
        level = self.meta.get("ci", 0.95)
        out["rate"] = proportion(out["n_stagnated"], ne)
        lo, hi = wilson_ci(out["n_stagnated"].to_numpy(), ne, ci=level)
        out["ci_low"] = lo
        out["ci_high"] = hi
        n = out["n"].to_numpy()
        out["share_evaluable"] = proportion(ne, n)
        lo, hi = wilson_ci(ne, n, ci=level)
        out["share_evaluable_ci_low"] = lo
        out["share_evaluable_ci_high"] = hi
        return out

    def sensitivity(self, thresholds: Any = None, windows: Any = None) -> StagnationSensitivity:
        """The practice rule's rate over a range of thresholds and windows.

        Parameters
        ----------
        thresholds : list of float, optional
            Criterion ``rci``: critical values of the RCI (default
            :data:`SENSITIVITY_CRITICAL_VALUES`: 1.28, 1.64, 1.96, 2.58); criterion
            ``percent``: fractions of the baseline score (default
            :data:`SENSITIVITY_FRACTIONS`, 0.10 to 0.50).  The result's own threshold is
            always added (its row is marked ``current``).
        windows : list of (start, end), optional
            Evaluation windows (default :data:`SENSITIVITY_WINDOWS`); the result's own
            window always comes first.

        Returns
        -------
        StagnationSensitivity
            Every other setting (baseline, :math:`S_{diff}`, direction) is the result's.

        Raises
        ------
        ArgumentError
            The result is not of the rule ``early_no_progress`` (or was not made by
            :func:`stagnation`), or a threshold or window is not valid.

        Examples
        --------
        >>> import pandas as pd, effectstudy as es
        >>> df = pd.DataFrame({"ep": ["a", "a", "b", "b", "c", "c"],
        ...                    "t": [1, 4, 1, 4, 1, 5],
        ...                    "y": [200.0, 150.0, 190.0, 170.0, 160.0, 150.0]})
        >>> res = es.stagnation(df, subject="ep", time="t", outcome="y", better_is="lower",
        ...                     criterion="percent", threshold=0.25)
        >>> res.sensitivity(thresholds=[0.05, 0.1, 0.25], windows=[(3, 4)]).summary()[
        ...     ["window_start", "window_end", "rule_threshold", "n_evaluable", "n_stagnated",
        ...      "current"]]
           window_start  window_end  rule_threshold  n_evaluable  n_stagnated  current
        0           3.0         5.0            0.05            3            0    False
        1           3.0         5.0            0.10            3            1    False
        2           3.0         5.0            0.25            3            2     True
        3           3.0         4.0            0.05            2            0    False
        4           3.0         4.0            0.10            2            0    False
        5           3.0         4.0            0.25            2            1    False
        """
        m = self.meta
        if m.get("rule") != "early_no_progress" or self.long is None:
            raise ArgumentError("rule", m.get("rule"), "a result of es.stagnation with rule "
                                "'early_no_progress': the sensitivity table varies the "
                                "practice rule's window and threshold")
        criterion = m["criterion"]
        own_t = float(m["critical_value"] if criterion == "rci" else m["threshold"])
        own_w = (float(m["window"][0]), float(m["window"][1]))
        thr = _check_thresholds(thresholds, criterion, own_t)
        wins = _check_windows(windows, own_w)
        d = check_better_is(m["better_is"])
        tab = _sensitivity_table(self.long, d=d, criterion=criterion, s_diff=m.get("s_diff"),
                                 windows=wins, thresholds=thr, own=(own_w, own_t),
                                 ci=m.get("ci", 0.95))
        meta = base_meta("stagnation_sensitivity", rule=m["rule"], criterion=criterion,
                         s_diff=m.get("s_diff"), better_is=m["better_is"],
                         windows=[list(w) for w in wins], thresholds=thr.tolist(),
                         window=m["window"], threshold=own_t, ci=m.get("ci", 0.95),
                         ci_method="wilson", n_original=self.long.m,
                         threshold_meaning=("stagnated when d*RCI <= rule_threshold"
                                            if criterion == "rci" else
                                            "stagnated when d*(eval - baseline)/baseline < "
                                            "rule_threshold"),
                         progress=("d*RCI (improvement / S_diff)" if criterion == "rci" else
                                   "improvement / baseline"))
        return StagnationSensitivity(meta=meta, table=tab)

    def rule_text(self, lang: Lang = "nl", unit: str = "session") -> str:
        """What the rule measures, and what it stands in for, in one paragraph of ``lang``.

        The practice's own wording is "insufficient progress on the goals agreed at the
        start" (after 3 to 5 sessions); the rule can only see the outcome measure.
        ``unit`` names the unit of the window (``"session"`` or ``"weeks"``, as
        ``analysis.stagnation.time``).

        >>> import pandas as pd, effectstudy as es
        >>> df = pd.DataFrame({"ep": ["a", "a", "b", "b"], "t": [1, 4, 1, 4],
        ...                    "y": [200.0, 150.0, 190.0, 170.0]})
        >>> res = es.stagnation(df, subject="ep", time="t", outcome="y", better_is="lower",
        ...                     reliability=0.9)
        >>> print(res.rule_text("en"))  # doctest: +ELLIPSIS
        Stagnation stands in for the practice's "insufficient progress on the goals agreed at the start". What is measured is narrower: an episode counts as stagnated when its last measurement in sessions 3 to 5 shows no reliable improvement over its first measurement (RCI after Jacobson & Truax (1991) at most 1.96, i.e. an improvement of at most 6.2 points). The rule does not see the agreed goals themselves, ...
        """
        check_lang(lang)
        if unit not in UNITS:
            raise ArgumentError("unit", unit, f"one of {', '.join(map(repr, UNITS))}")
        return _rule_text(self.meta, lang, UNITS[unit][lang])

    def text(self, lang: Lang = "nl", unit: str = "session") -> str:
        """:meth:`rule_text` and the figures: evaluable share, rate (Wilson intervals), the
        reasons episodes could not be judged and the early progress against the threshold.

        >>> import pandas as pd, effectstudy as es
        >>> df = pd.DataFrame({"ep": ["a", "a", "b", "b", "c"], "t": [1, 4, 1, 4, 1],
        ...                    "y": [200.0, 150.0, 190.0, 170.0, 180.0]})
        >>> res = es.stagnation(df, subject="ep", time="t", outcome="y", better_is="lower",
        ...                     criterion="percent", threshold=0.25)
        >>> print(res.text("en").split(chr(10) * 2)[1])  # doctest: +ELLIPSIS
        2 of 3 episodes could be evaluated (67%, 95% CI 21% to 94%); of these, 1 stagnated (50%, 95% CI 9% to 91%). Not evaluable: 1 (single measurement). ...
        """
        rule = self.rule_text(lang, unit)
        s = self.summary().iloc[-1]
        pat = self.patients
        ev = pat[pat["status"] != "not_evaluable"]
        return rule + "\n\n" + _figures_text(self.meta, s, ev, lang)

    def plot(self, ax=None, *, lang: Lang | None = None):
        """Stagnation percentage per group (and overall) with Wilson intervals, in ``lang``
        (default: the result's own language); returns the Axes."""
        from effectstudy.core.plotting import (
            axes,
            describe_figure,
            group_name,
            number_ticks,
            plot_lang,
            wrap,
        )

        lang = plot_lang(lang, self.meta)
        s = self.summary()
        ax = axes(ax, figsize=(7, 2.2 + 0.4 * len(s)))
        names = ([label("all", lang) if o else group_name(g, lang) for g, o in zip(s["group"], s["overall"],
                                                                               strict=True)]
                 if "group" in s else [label("all", lang)])
        ypos = np.arange(len(s))[::-1]
        r = s["rate"].to_numpy(dtype=float)
        err = np.vstack([r - s["ci_low"].to_numpy(dtype=float),
                         s["ci_high"].to_numpy(dtype=float) - r])
        ax.errorbar(r, ypos, xerr=err, fmt="o", color="black", capsize=3, ms=5)
        ax.set_yticks(ypos)
        ax.set_yticklabels([f"{wrap(nm, 30)} (n={int(n)}; {int(k)} {label('not_evaluable', lang)})"
                            for nm, n, k in zip(names, s["n_evaluable"], s["n_not_evaluable"],
                                                strict=True)])
        ax.set_ylim(-0.7, len(s) - 0.3)
        ax.set_xlim(0, 1)
        ci = percent(self.meta.get("ci", 0.95), lang)
        ax.set_xlabel(f"{label('fig_stagnation_axis', lang)} ({ci} {label('ci', lang)}, Wilson)")
        number_ticks(ax, lang, axis="x", as_percent=True)
        rule = self.meta.get("rule")
        title = label("fig_stagnation_title", lang) + (f": {label(rule, lang)}" if rule else "")
        data = s[[c for c in ("group", "n_evaluable", "n_not_evaluable", "n_stagnated", "rate", "ci_low",
                              "ci_high") if c in s]]
        return describe_figure(ax, title=title, alt=label("fig_stagnation_alt", lang).format(ci=ci),
                               data=data)



# ============================================================================ the verb
def stagnation(
    data: pd.DataFrame,
    *,
    subject: Hashable,
    time: Hashable,
    outcome: Hashable,
    better_is: Literal["lower", "higher"] | None = None,
    reliability: Any = None,
    rule: Literal["early_no_progress", "deterioration"] = "early_no_progress",
    window: tuple[float, float] = (3, 5),
    criterion: Literal["rci", "percent"] = "rci",
    threshold: float | None = None,
    group: Hashable | None = None,
    alpha: float = 0.05,
    ci: float = 0.95,
    instrument: str | None = None,
    scale: str | None = None,
    sd_reference: float | None = None,
) -> StagnationResult:
    r"""Flag treatment episodes that stagnate early (the practice rule) or deteriorate.

    Parameters
    ----------
    data : DataFrame
        Long data: one row per measurement, with *all* measurements of each episode.
    subject, time, outcome : column names
        Episode (subject) id; numeric time (session number, or weeks since start: the
        ``window`` is in the same unit); score.
    better_is : {"lower", "higher"}
        Direction of improvement (from the registry with ``instrument=``/``scale=``).
    reliability : float or ``es.reliability(...)`` result
        :math:`r_{xx}` for ``criterion="rci"`` (from the registry when it has one).
    sd_reference : float, optional
        ``criterion="rci"``: a fixed reference SD for :math:`S_{diff}` instead of the SD of
        all subjects' baseline scores, so that the rule uses the same yardstick as reliable
        change (``es.reliable_change(sd_reference=)``); recorded in ``meta``.
    rule : {"early_no_progress", "deterioration"}
        See Notes.  The expected-response signal ("not on track") is ``es.not_on_track``.
    window : (start, end), default (3, 5)
        ``early_no_progress`` only: the evaluation window, inclusive at both ends.
    criterion : {"rci", "percent"}
        Reliable change (RCI, Jacobson & Truax) or a fraction of the baseline score.
    threshold : float, optional
        ``criterion="percent"`` (required): fraction of the baseline score, e.g. 0.25.
    group : column name, optional
        Summary per group (the group of each subject's baseline row).  Per-subject values
        use the pooled statistics (as clinicalsignificance does).
    alpha : float, default 0.05
        ``criterion="rci"``: critical value :math:`z_{1-\alpha/2}` = 1.959964.
    ci : float, default 0.95
        Level of the Wilson intervals in ``.summary()``.
    instrument, scale : str, optional
        Registry id and scale: ``better_is`` and ``reliability`` come from there (the
        scale's default norm set) when not given (source in ``meta``).

    Returns
    -------
    StagnationResult
        ``.patients`` (one row per subject in order of first appearance, nobody dropped),
        ``.summary()``, ``.meta``, ``.plot()``.

    Notes
    -----
    Size: 16 parameters, one over the house limit of 15: ``sd_reference`` keeps the rule's
    S_diff on the same fixed yardstick as reliable change (a choice of its own, as in
    ``es.reliable_change``).

    Baseline is each subject's earliest non-missing measurement (:math:`x`, at
    :math:`t_0`); :math:`d = -1` when lower is better, else :math:`+1`.

    **early_no_progress.**  The subject must have :math:`t_0 <` window start; the
    evaluation measurement :math:`y` is the last one with start :math:`\le t \le` end.
    With :math:`S_{diff} = \sqrt 2\,SD_0\sqrt{1 - r_{xx}}` (:math:`SD_0` the sample SD of
    *all* subjects' baseline scores, Jacobson & Truax 1991):

    .. math::

        RCI = \frac{y - x}{S_{diff}},\qquad
        \text{stagnated} \iff d\cdot RCI \le z_{1-\alpha/2}

    (a change exactly at the critical value is not reliable, as in clinicalsignificance).
    ``criterion="percent"``: :math:`p = d(y - x)/x`, stagnated :math:`\iff p <`
    ``threshold`` (needs :math:`x > 0`).

    **deterioration.**  Flagged at the first measurement after baseline with
    :math:`d\cdot RCI < -z_{1-\alpha/2}` (percent: :math:`-d(y-x)/x \ge` threshold);
    judged at the last measurement when never flagged.

    Not evaluable (``reason``, first match wins): ``repeated_session`` (two measurements
    of the subject with a score at the same time: which one belongs to the session cannot
    be told, so none of its rows is used; a :class:`DataQualityWarning`, and
    ``meta["rows_repeated_session"]`` counts the rows), ``no_valid_measurement``,
    ``single_measurement``, ``baseline_in_window`` (baseline at or after the window start),
    ``no_measurement_in_window``, ``baseline_not_positive`` (percent criterion).  Rows with
    a missing outcome or time are ignored and counted (``rows_missing_outcome``,
    ``rows_missing_time``).  ``.summary()`` gives the evaluable share beside the rate;
    ``.sensitivity()`` the rate over other windows and thresholds; ``.text(lang=)`` what
    the rule measures and stands in for ("insufficient progress on the goals agreed at
    the start"), with the figures.

    **Parameters this verb does not take** (it keeps to 15, the house limit).  ``method=``:
    the RCI is always Jacobson & Truax's (recorded as ``meta["rci_method"] = "jt"``); the
    other variants (GLN, HLL, EN, NK, HA) need the mean, SD and correlation of a common
    post occasion, which a window with subject-specific evaluation times does not give, so
    a ``method=`` with one allowed value would only be noise.  ``norms=``: of the registry
    this verb reads only ``better_is`` (the same in every norm set) and ``reliability``; the
    scale's default norm set supplies the latter, and a reliability from another norm set
    or sample is passed as ``reliability=`` (a number or an ``es.reliability(...)``
    result).  The expected-response parameters (``level``, ``reference``, ``folds``,
    ``seed``, ``interaction``, ``time_offset``) belong to ``es.not_on_track``.

    References
    ----------
    Jacobson, N. S., & Truax, P. (1991). Clinical significance: A statistical approach to
    defining meaningful change in psychotherapy research. *JCCP, 59*\ (1), 12-19.
    https://doi.org/10.1037/0022-006X.59.1.12

    Lambert, M. J., Whipple, J. L., Hawkins, E. J., Vermeersch, D. A., Nielsen, S. L., &
    Smart, D. W. (2003). Is it time for clinicians to routinely track patient outcome? A
    meta-analysis. *Clinical Psychology: Science and Practice, 10*\ (3), 288-301.

    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *JASA, 22*\ (158), 209-212; Newcombe, R. G. (1998). *Statistics in Medicine,
    17*\ (8), 857-872.

    Examples
    --------
    >>> import pandas as pd, effectstudy as es
    >>> df = pd.DataFrame({
    ...     "ep": ["a"] * 3 + ["b"] * 3 + ["c"] * 2 + ["d"],
    ...     "session": [1, 3, 5, 1, 4, 8, 1, 9, 1],
    ...     "score": [200, 190, 150, 180, 178, 120, 210, 150, 190]})
    >>> res = es.stagnation(df, subject="ep", time="session", outcome="score",
    ...                     better_is="lower", reliability=0.9, window=(3, 5))
    >>> res.patients[["status", "eval_time", "change", "rci", "reason"]].round(2)
               status  eval_time  change   rci                    reason
    ep
    a        on_track        5.0   -50.0 -8.66                       NaN
    b       stagnated        4.0    -2.0 -0.35                       NaN
    c   not_evaluable        NaN     NaN   NaN  no_measurement_in_window
    d   not_evaluable        NaN     NaN   NaN        single_measurement
    >>> res.summary()[["n", "n_evaluable", "n_not_evaluable", "n_stagnated", "rate",
    ...                "ci_low", "ci_high"]].round(3)
       n  n_evaluable  n_not_evaluable  n_stagnated  rate  ci_low  ci_high
    0  4            2                2            1   0.5   0.095    0.905
    """
    rule = _check_rule(rule)
    criterion = check_choice("criterion", criterion, CRITERIA)
    reg = registry_norms(instrument, scale)
    better_is, bi_source = reg.pick("better_is", better_is)
    d = check_better_is(better_is)
    alpha = check_alpha(alpha)
    ci = check_ci(ci)
    lo, hi = _check_window(window)
    threshold = _check_threshold(criterion, threshold)
    rel, rel_source = _check_reliability(reliability, reg, criterion, instrument, scale)
    check_frame(data, subject=subject, time=time, outcome=outcome, group=group)
    lg = long_data(data, subject, time, outcome)

    meta = base_meta(rule, rule=rule, rule_version=RULE_VERSION, better_is=better_is,
                     better_is_source=bi_source, ci=float(ci), ci_method="wilson")
    meta.update(_criterion_meta(lg, rule=rule, criterion=criterion, rel=rel,
                                rel_source=rel_source, alpha=alpha, threshold=threshold,
                                sd_reference=check_sd_reference(sd_reference, "jt")))
    s_diff, crit = meta.get("s_diff"), meta.get("critical_value")
    if rule == "early_no_progress":
        meta.update(window=[lo, hi], window_inclusive=True,
                    evaluation="last measurement with time inside the window",
                    baseline="earliest measurement; must lie before the window start")
        out, reason, flagged = _early(lg, d=d, lo=lo, hi=hi, criterion=criterion,
                                      s_diff=s_diff, crit=crit, threshold=threshold)
    else:
        meta.update(window=None, baseline="earliest measurement",
                    evaluation="first reliably worse measurement after baseline, else the "
                    "last measurement")
        out, reason, flagged = _deterioration(lg, d=d, criterion=criterion, s_diff=s_diff,
                                              crit=crit, threshold=threshold)
    pat, counts = flag_table(data, lg, out, reason, flagged, group=group)
    meta.update(counts)
    return StagnationResult(patients=pat, meta=meta, long=lg)
