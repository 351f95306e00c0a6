r"""How good is the not-on-track signal?  Its accuracy against a known final outcome.

:func:`signal_accuracy` takes the judged looks of ``es.not_on_track`` (every measurement
after baseline with its standardised deviation ``z_worse`` from the *cross-fitted*
expected curve: the curve that judges a subject is fitted on the other folds) and a
final outcome per subject (``True`` = poor), and reports how well the signal, computed
from the looks *before* the outcome measurement only, predicts that outcome:

- the binary signal (flagged = beyond the one-sided band at the chosen look(s)):
  sensitivity, specificity, positive and negative predictive value, each with a Wilson
  interval (:func:`effectstudy.kernels.proportions.wilson_ci`), and balanced accuracy
  (the mean of sensitivity and specificity) with the MOVER-Wilson interval of Zou &
  Donner (2008);
- the continuous signal (the score the flag thresholds): the area under the ROC curve
  with DeLong's interval (:mod:`effectstudy.kernels.roc`).

Three signals (``method=``): ``"model"`` combines the deviations with intake severity
and early change in a logistic regression cross-fitted on the same folds; ``"ever"`` scores a subject by its *largest* deviation over
the looks before the outcome (flagged = beyond the band at some look: the status
``es.not_on_track`` reports); ``"latest"`` by the deviation at the *last* look before
the outcome (flagged = beyond the band at that look).  ``SignalAccuracyResult.compare``
tests two signals on the same subjects (DeLong's paired test).

The looks must not include the outcome measurement itself: a signal judged at the post
measurement "predicts" the post score it already contains.  Pass ``until=`` (the time of
each subject's outcome measurement) to keep only the looks before it.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from effectstudy.core.checks import check_choice, check_ci, check_columns
from effectstudy.core.errors import ArgumentError, ArgumentTypeError
from effectstudy.core.formatting import Lang, check_lang, interval, number
from effectstudy.core.keys import index_positions, isin
from effectstudy.core.labels import label, register
from effectstudy.core.results import Result, base_meta
from effectstudy.kernels.proportions import proportion, wilson_ci
from effectstudy.kernels.roc import auc_ci, delong, logistic_fit, youden_threshold

__all__ = ["signal_accuracy", "SignalAccuracyResult", "final_outcome", "SIGNAL_METHODS",
           "MEASURES", "POOR_OUTCOMES"]

#: the signals :func:`signal_accuracy` can score
SIGNAL_METHODS = ("ever", "latest", "model")
#: predictors of ``method="model"`` (per subject, from the looks before the outcome)
MODEL_FEATURES = ("max_z", "last_z", "intake", "early_improvement")
#: definitions of a poor final outcome (:func:`final_outcome`): the reliable-change categories
#: that count as poor
POOR_OUTCOMES = {"not_reliably_improved": ("unchanged", "deteriorated"),
                 "reliably_deteriorated": ("deteriorated",)}
#: rows of :meth:`SignalAccuracyResult.summary`, in order
MEASURES = ("sensitivity", "specificity", "ppv", "npv", "balanced_accuracy", "auc")

register({
    "sensitivity": {"nl": "Sensitiviteit", "en": "Sensitivity"},
    "specificity": {"nl": "Specificiteit", "en": "Specificity"},
    "ppv": {"nl": "Positief voorspellende waarde", "en": "Positive predictive value"},
    "npv": {"nl": "Negatief voorspellende waarde", "en": "Negative predictive value"},
    "balanced_accuracy": {"nl": "Gebalanceerde accuratesse", "en": "Balanced accuracy"},
    "auc": {"nl": "AUC (oppervlak onder ROC-curve)", "en": "AUC (area under the ROC curve)"},
    "measure": {"nl": "Maat", "en": "Measure"},
    "outcome_unknown": {"nl": "uitkomst onbekend", "en": "outcome unknown"},
    "no_look_before_outcome": {"nl": "geen meting vóór de uitkomstmeting",
                               "en": "no look before the outcome measurement"},
    "included": {"nl": "meegeteld", "en": "included"},
    "Accuracy of the not-on-track signal": {"nl": "Accuratesse van het signaal niet op koers",
                                            "en": "Accuracy of the not-on-track signal"},
    "signal_accuracy": {"nl": "kruisgevalideerd tegen de einduitkomst",
                        "en": "cross-fitted against the final outcome"},
    "signal": {"nl": "Signaal", "en": "Signal"},
    "signal_ever": {"nl": "ooit buiten de verwachte band vóór de nameting",
                    "en": "beyond the expected band at some look before the post"},
    "signal_latest": {"nl": "buiten de verwachte band bij de laatste meting vóór de nameting",
                      "en": "beyond the expected band at the last look before the post"},
    "signal_model": {"nl": "logistisch model (afwijking van de verwachte curve, ernst bij de start, "
                           "vroege verbetering), kruisgevalideerd",
                     "en": "logistic model (deviation from the expected curve, intake severity, "
                           "early change), cross-fitted"},
    # the interval methods of the summary's ci_method column
    "wilson": {"nl": "Wilson-score", "en": "Wilson score"},
    "mover_wilson": {"nl": "MOVER (Wilson)", "en": "MOVER (Wilson)"},
    "delong": {"nl": "DeLong", "en": "DeLong"},
})


# ============================================================================ result
@dataclass(frozen=True, repr=False)
class SignalAccuracyResult(Result):
    """Result of :func:`signal_accuracy`.

    ``patients`` (index = subject, every subject of ``outcome``): ``poor`` (the outcome,
    missing when unknown), ``status`` (``included``, ``outcome_unknown``,
    ``no_look_before_outcome``), ``n_looks`` (looks before the outcome), ``score`` (the
    continuous signal), ``flagged`` and ``fold`` (of the cross-fitting, when known).
    """

    title = "Accuracy of the not-on-track signal"

    def summary(self) -> pd.DataFrame:
        """``measure, estimate, ci_low, ci_high, k, n, ci_method``: one row per measure of
        :data:`MEASURES` (``k``/``n``: the counts behind a proportion)."""
        return _measures(self._used(), self.meta["ci"])

    def meta_lines(self, lang: str = "nl") -> list[str]:
        """As :meth:`Result.meta_lines`, with the signal judged in words first."""
        return [f"{label('signal', lang)}: {label('signal_' + str(self.meta['signal_method']), lang)}",
                *super().meta_lines(lang)]

    def _used(self) -> pd.DataFrame:
        p = self.patients
        return p[p["status"] == "included"]

    def by_fold(self) -> pd.DataFrame:
        """The summary per fold of the cross-fitting (each fold judged by curves fitted
        without it): ``fold`` and the :meth:`summary` columns."""
        u = self._used()
        if u["fold"].isna().all():
            raise ArgumentError("signal", None, "looks with a 'fold' column (es.not_on_track "
                                "output) for the table per fold")
        parts = [_measures(g, self.meta["ci"]).assign(fold=int(f))
                 for f, g in u.groupby("fold", sort=True)]
        out = pd.concat(parts, ignore_index=True)
        return out[["fold", *[c for c in out.columns if c != "fold"]]]

    def against(self, outcome: pd.Series) -> SignalAccuracyResult:
        """The same scores and flags judged against another outcome (e.g. a planted truth),
        indexed by subject; included subjects whose new outcome is missing become
        ``outcome_unknown``.  A ``"model"`` signal keeps the model fitted on the original
        outcome."""
        new = _outcome(outcome).reindex(self.patients.index)
        pat = self.patients.assign(poor=new)
        st = pat["status"].where(~((pat["status"] == "included") & new.isna()),
                                 "outcome_unknown")
        pat["status"] = st
        inc = st == "included"
        meta = {**self.meta, "outcome": "against(): another outcome for the same signal",
                "n_used": int(inc.sum()), "n_poor": int(pat.loc[inc, "poor"].sum()),
                "exclusions": {k: int((st == k).sum())
                               for k in ("outcome_unknown", "no_look_before_outcome")}}
        return SignalAccuracyResult(patients=pat, meta=meta)

    def compare(self, other: SignalAccuracyResult) -> pd.DataFrame:
        """DeLong's paired test of this AUC against ``other``'s on the subjects included
        in both: ``auc, auc_other, difference`` (other - this) ``, ci_low, ci_high, z, p,
        n, n_cases`` (DeLong et al. 1988, the test R's ``pROC::roc.test(method =
        "delong", paired = TRUE)`` reports)."""
        if not isinstance(other, SignalAccuracyResult):
            raise ArgumentTypeError("other", other, "a SignalAccuracyResult")
        a, b = self._used(), other._used()
        common = a.index.intersection(b.index)
        a, b = a.loc[common], b.loc[common]
        if not a["poor"].astype(bool).equals(b["poor"].astype(bool)):
            raise ArgumentError("other", "a different outcome", "the same outcome per subject")
        poor = a["poor"].to_numpy(dtype=bool)
        sc = np.vstack([a["score"].to_numpy(float), b["score"].to_numpy(float)])
        auc, cov = delong(sc[:, poor], sc[:, ~poor])
        diff = auc[1] - auc[0]
        se = float(np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]))
        ci = self.meta["ci"]
        zq = float(stats.norm.ppf(1 - (1 - ci) / 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            z = diff / se
        return pd.DataFrame([{
            "auc": auc[0], "auc_other": auc[1], "difference": diff,
            "ci_low": diff - zq * se, "ci_high": diff + zq * se, "z": z,
            "p": float(2 * stats.norm.sf(abs(z))) if se > 0 else float("nan"),
            "n": int(len(common)), "n_cases": int(poor.sum())}])

    def interpretation(self, lang: Lang = "nl") -> str:
        """One sentence for the report: what the signal catches and what it misses.

        The figures are those of :meth:`summary` (95% or ``meta["ci"]`` intervals);
        excluded subjects (no look before the outcome) are named, since the signal could
        not judge them at all.
        """
        lang = check_lang(lang)
        s = self.summary().set_index("measure")
        n_poor = int(s.loc["sensitivity", "n"])
        n_good = int(s.loc["specificity", "n"])
        tp, tn = int(s.loc["sensitivity", "k"]), int(s.loc["specificity", "k"])
        fp = n_good - tn
        ex = int(self.meta["exclusions"].get("no_look_before_outcome", 0))

        def est(m: str) -> str:
            r = s.loc[m]
            return f"{number(r['estimate'], lang)} {interval(r['ci_low'], r['ci_high'], lang)}"

        if lang == "nl":
            return (f"Het signaal ving vóór de nameting {tp} van de {n_poor} trajecten met een "
                    f"slechte uitkomst (sensitiviteit {est('sensitivity')}) en gaf {fp} vals "
                    f"alarm bij {n_good} trajecten met een goede uitkomst (specificiteit "
                    f"{est('specificity')}); gebalanceerde accuratesse "
                    f"{est('balanced_accuracy')}, AUC {est('auc')}. {ex} afgeronde trajecten "
                    "zonder meting tussen voor- en nameting kon het signaal niet beoordelen.")
        return (f"Before the post measurement the signal caught {tp} of the {n_poor} episodes "
                f"with a poor outcome (sensitivity {est('sensitivity')}) and raised {fp} false "
                f"alarm{'' if fp == 1 else 's'} among {n_good} episodes with a good outcome (specificity "
                f"{est('specificity')}); balanced accuracy {est('balanced_accuracy')}, AUC "
                f"{est('auc')}. {ex} completed episodes without a measurement between pre and "
                "post could not be judged by the signal.")

    def plot(self, ax=None, *, lang: str | None = None):
        """Empirical ROC curve of the continuous signal with the flag's operating point, in
        ``lang`` (default: the result's own language)."""
        from effectstudy.core.plotting import axes, describe_figure, number_ticks, plot_lang

        lang = plot_lang(lang, self.meta)
        ax = axes(ax, figsize=(4.8, 5))
        u = self._used()
        poor = u["poor"].to_numpy(dtype=bool)
        s = u["score"].to_numpy(float)
        thr = np.r_[np.inf, np.unique(s)[::-1]]
        tpr = (s[poor][None, :] >= thr[:, None]).mean(axis=1) if poor.any() else thr * 0
        fpr = (s[~poor][None, :] >= thr[:, None]).mean(axis=1) if (~poor).any() else thr * 0
        ax.plot(fpr, tpr, color="black", drawstyle="steps-post")
        ax.plot([0, 1], [0, 1], color="grey", ls=":")
        sm = self.summary().set_index("measure")["estimate"]
        ax.plot(1 - sm["specificity"], sm["sensitivity"], "o", color="black")
        ax.set_xlabel(f"1 − {label('specificity', lang).lower()}")
        ax.set_ylabel(label("sensitivity", lang))
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        number_ticks(ax, lang)
        title = f"{label('fig_roc_title', lang)} (AUC = {number(sm['auc'], lang)})"
        return describe_figure(ax, title=title, alt=label("fig_roc_alt", lang),
                               data=pd.DataFrame({"fpr": fpr, "tpr": tpr}))


# ============================================================================ measures
def _measures(p: pd.DataFrame, ci: float) -> pd.DataFrame:
    """The summary table of the included subjects ``p`` (``poor``, ``flagged``, ``score``)."""
    poor = p["poor"].to_numpy(dtype=bool)
    flag = p["flagged"].to_numpy(dtype=bool)
    tp, fn = int((flag & poor).sum()), int((~flag & poor).sum())
    fp, tn = int((flag & ~poor).sum()), int((~flag & ~poor).sum())
    k = np.array([tp, tn, tp, tn])
    n = np.array([tp + fn, tn + fp, tp + fp, tn + fn])
    lo, hi = wilson_ci(k, n, ci)
    est = proportion(k, n)
    # balanced accuracy: MOVER (Zou & Donner 2008) on the two Wilson intervals, halved
    p1, p2 = est[0], est[1]
    ba = (p1 + p2) / 2
    ba_lo = (p1 + p2 - np.hypot(p1 - lo[0], p2 - lo[1])) / 2
    ba_hi = (p1 + p2 + np.hypot(hi[0] - p1, hi[1] - p2)) / 2
    s = p["score"].to_numpy(float)
    auc, cov = delong(s[poor], s[~poor])
    a_lo, a_hi = auc_ci(auc[0], cov[0, 0], ci)
    return pd.DataFrame({
        "measure": list(MEASURES),
        "estimate": [*est, ba, auc[0]],
        "ci_low": [*lo, ba_lo, float(a_lo)],
        "ci_high": [*hi, ba_hi, float(a_hi)],
        "k": pd.array([*k, None, None], dtype="Int64"),
        "n": pd.array([*n, len(p), len(p)], dtype="Int64"),
        "ci_method": ["wilson"] * 4 + ["mover_wilson", "delong"],
    })


# ============================================================================ inputs
def _looks(signal: Any, subject: Hashable | None, time: Hashable | None, level: Any
           ) -> tuple[pd.DataFrame, float, dict[str, Any]]:
    """``(looks with columns subject, time, z, fold; level; meta)`` from a NotOnTrackResult
    or a DataFrame of looks."""
    ms = getattr(signal, "measurements", None)
    if isinstance(ms, pd.DataFrame) and isinstance(getattr(signal, "meta", None), dict):
        subject = ms.columns[0] if subject is None else subject
        time = ms.columns[1] if time is None else time
        src = "es.not_on_track"
        ycol = ms.columns[2]
        meta = {"signal": src, "folds": signal.meta.get("folds"), "_y": ycol,
                "_baseline": signal.patients.get("baseline"),
                "_d": -1 if signal.meta.get("better_is") == "lower" else 1,
                "cross_fitted": bool(signal.meta.get("folds", 0) and
                                     signal.meta.get("folds") >= 2)}
        if level is None:
            level = signal.meta.get("level")
            meta["level_source"] = "the signal's band (meta['level'])"
        frame = ms
    elif isinstance(signal, pd.DataFrame):
        if subject is None or time is None or level is None:
            raise ArgumentError("subject, time, level", (subject, time, level),
                                "the subject and time columns and the band level when "
                                "signal is a table of looks")
        frame = signal
        meta = {"signal": "table of looks", "cross_fitted": "fold" in frame.columns}
    else:
        raise ArgumentTypeError("signal", signal, "es.not_on_track(...) output "
                                "or a DataFrame of looks with a 'z_worse' column")
    check_columns(frame, what="signal", subject=subject, time=time, z_worse="z_worse")
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0.5 < level < 1:
        raise ArgumentError("level", level, "a one-sided band level in (0.5, 1), e.g. 0.90")
    meta.setdefault("level_source", "level=")
    fold = frame["fold"] if "fold" in frame.columns else pd.Series(np.nan, index=frame.index)
    looks = pd.DataFrame({"subject": frame[subject].to_numpy(),
                          "time": pd.to_numeric(frame[time]).to_numpy(float),
                          "z": pd.to_numeric(frame["z_worse"]).to_numpy(float),
                          "fold": fold.to_numpy()})
    ycol = meta.pop("_y", None)
    looks["y"] = (pd.to_numeric(frame[ycol]).to_numpy(float) if ycol is not None
                  else np.nan)
    return looks, float(level), meta


def _outcome(outcome: Any) -> pd.Series:
    if not isinstance(outcome, pd.Series):
        raise ArgumentTypeError("outcome", outcome, "a Series indexed by "
                                "subject: True (poor final outcome), False, or missing")
    if outcome.index.has_duplicates:
        dup = outcome.index[outcome.index.duplicated()][0]
        raise ArgumentError("outcome", f"subject {dup!r} twice", "one outcome per subject")
    o = outcome.astype(object).where(outcome.notna(), None)
    bad = ~o.isin([True, False, 1, 0, None])
    if bad.any():
        raise ArgumentError("outcome", o[bad].iloc[0], "True (poor), False or missing")
    return o.map(lambda v: v if v is None else bool(v)).astype("boolean")


# ============================================================================ the model
def _model_scores(agg: pd.DataFrame, inc: np.ndarray, poor: pd.Series, meta_sig: dict[str, Any]
                  ) -> tuple[pd.Series, pd.Series, dict[str, Any]]:
    """Cross-fitted logistic score and flag of ``method="model"``: for each fold, a
    logistic regression of ``poor`` on :data:`MODEL_FEATURES` fitted on the included
    subjects of the *other* folds (standardised there), its linear predictor for the fold,
    and the flag at the Youden threshold chosen on those other folds.

    The judged fold's outcomes never enter its model.  Its trajectories do enter, at one
    remove: the training subjects' deviations come from curves fitted on the reference
    episodes outside *their* folds, which include the judged fold (one fold's share of a
    curve fitted on thousands of measurements; a fully nested fit would cost K(K-1) curves).
    """
    base = meta_sig.get("_baseline")
    if base is None or agg["fold"].isna().all():
        raise ArgumentError("method", "model", "es.not_on_track(...) output as signal (the "
                            "model needs its folds, intake scores and looks)")
    d = meta_sig["_d"]
    intake = base.reindex(agg.index).to_numpy(float)
    feats = np.column_stack([agg["max_z"], agg["last_z"], intake,
                             d * (agg["first_y"].to_numpy(float) - intake)])
    y = poor.to_numpy(dtype=float, na_value=np.nan)
    fold = agg["fold"].to_numpy(float)
    score = np.full(len(agg), np.nan)
    flag = np.full(len(agg), np.nan)
    coefs = []
    for f in np.unique(fold[inc]):
        tr = inc & (fold != f)
        te = inc & (fold == f)
        mu, sd = feats[tr].mean(axis=0), feats[tr].std(axis=0, ddof=1)
        sd = np.where(sd > 0, sd, 1.0)
        xt = np.column_stack([np.ones(tr.sum()), (feats[tr] - mu) / sd])
        beta = logistic_fit(xt, y[tr])
        thr = youden_threshold(xt @ beta, y[tr] == 1)
        lp = np.column_stack([np.ones(te.sum()), (feats[te] - mu) / sd]) @ beta
        score[te] = lp
        flag[te] = lp > thr
        coefs.append({"fold": int(f), "n_train": int(tr.sum()), "threshold": float(thr),
                      **dict(zip(("intercept", *MODEL_FEATURES), map(float, beta), strict=True))})
    idx = agg.index
    meta = {"model": "logistic regression of poor on " + ", ".join(MODEL_FEATURES)
                     + " (standardised), fitted per fold on the other folds' subjects; flag at "
                     "the Youden threshold of those folds",
            "model_fits": coefs}
    return (pd.Series(score, index=idx),
            pd.Series(flag, index=idx).where(~np.isnan(flag)).astype("boolean"), meta)


# ============================================================================ the outcome
def final_outcome(category: pd.Series, post_date: pd.Series, measurements: pd.DataFrame, *,
                  definition: str = "not_reliably_improved", subject: Hashable = "episode_id",
                  time: Hashable = "time", date: Hashable = "date"
                  ) -> tuple[pd.Series, pd.Series]:
    """``(poor, until)`` per subject for :func:`signal_accuracy`, from the pre/post pairs.

    Parameters
    ----------
    category : Series
        Reliable-change category at the post (``improved``, ``unchanged``,
        ``deteriorated``; e.g. ``es.reliable_change(...).patients["rc_category"]``),
        indexed by subject; missing = unknown.
    post_date : Series
        Date of each subject's post measurement, indexed by subject.
    measurements : DataFrame
        The long data the signal was computed from (``subject``, ``time``, ``date``
        columns): the post measurement's ``time`` becomes ``until``.
    definition : {"not_reliably_improved", "reliably_deteriorated"}
        Which categories are poor (:data:`POOR_OUTCOMES`).

    >>> import pandas as pd
    >>> cat = pd.Series(["improved", "unchanged", None], index=["a", "b", "c"])
    >>> post = pd.to_datetime(pd.Series(["2024-03-01", "2024-04-01", "2024-05-01"],
    ...                                 index=["a", "b", "c"]))
    >>> ms = pd.DataFrame({"episode_id": ["a", "a", "b", "b"], "time": [1.0, 8.0, 1.0, 9.0],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-01-02", "2024-04-01"])})
    >>> poor, until = final_outcome(cat, post, ms)
    >>> poor.tolist(), until.tolist()
    ([False, True, <NA>], [8.0, 9.0, nan])
    """
    definition = check_choice("definition", definition, tuple(POOR_OUTCOMES))
    check_columns(measurements, what="measurements", subject=subject, time=time, date=date)
    cat = category.astype("string")
    poor = cat.isin(POOR_OUTCOMES[definition]).astype("boolean").where(cat.notna())
    pd_ = post_date.reindex(category.index)
    if not category.index.is_unique:  # reindex below raises as it did
        ms = measurements[[subject, time, date]]
        hit = ms[ms[date].to_numpy() == pd_.reindex(ms[subject]).to_numpy()]
        until = pd.to_numeric(hit.groupby(subject)[time].min()).astype(float).reindex(category.index)
        return poor.rename("poor"), until.rename("until")
    # the subject's position among the categories, on integer codes (-1: not there, NaT)
    pos = index_positions(category.index, measurements[subject])
    post_at = np.append(pd_.to_numpy(), np.array(["NaT"], dtype=pd_.to_numpy().dtype))[pos]
    hit = np.flatnonzero(measurements[date].to_numpy() == post_at)
    t = pd.to_numeric(measurements[time]).to_numpy(dtype=float, na_value=np.nan)[hit]
    until = np.full(len(category), np.nan)
    np.fmin.at(until, pos[hit], t)  # the smallest time per subject; NaN when none
    return poor.rename("poor"), pd.Series(until, index=category.index, name="until")


# ============================================================================ the verb
def signal_accuracy(
    signal: Any,
    outcome: pd.Series,
    *,
    until: pd.Series | None = None,
    method: Literal["ever", "latest"] = "ever",
    level: float | None = None,
    subject: Hashable | None = None,
    time: Hashable | None = None,
    ci: float = 0.95,
) -> SignalAccuracyResult:
    r"""Accuracy of a not-on-track signal for predicting a poor final outcome.

    Parameters
    ----------
    signal : NotOnTrackResult or DataFrame
        ``es.not_on_track(...)`` output (its ``.measurements``: cross-fitted looks), or a
        table of looks with the ``subject=`` and ``time=`` columns and ``z_worse`` (the
        standardised deviation, > 0 = worse than expected) and optionally ``fold``.
    outcome : Series of bool
        Indexed by subject: ``True`` = poor final outcome, ``False`` = not, missing =
        unknown.  Its subjects are the ones judged (subjects of the signal without an
        outcome are counted in ``meta["n_signal_without_outcome"]``).
    until : Series, optional
        Indexed by subject: the time of the outcome measurement; only looks at an
        earlier time count.  Without it every look counts (``meta["until"]`` says so).
    method : {"ever", "latest", "model"}
        ``"ever"``: score = largest ``z_worse`` over the looks, flagged when beyond the
        band at some look; ``"latest"``: ``z_worse`` at the last look; ``"model"`` (needs
        ``es.not_on_track`` output): a logistic regression on the largest and last
        ``z_worse``, the intake score and the improvement at the first look, cross-fitted
        on the signal's folds (fitted on the other folds, flag at their Youden threshold;
        coefficients in ``meta["model_fits"]``).
    level : float, optional
        One-sided band level; default the signal's own (``meta["level"]``).
    subject, time : column names, optional
        Of a table of looks (default for ``es.not_on_track`` output: its first two
        columns).
    ci : float, default 0.95

    Returns
    -------
    SignalAccuracyResult
        ``.summary()``: sensitivity, specificity, PPV, NPV, balanced accuracy, AUC with
        intervals; ``.by_fold()``, ``.compare(other)``, ``.plot()``, ``.patients``.

    Notes
    -----
    Flagged means score :math:`> z_{level}` (the band's quantile), so the binary signal
    is the continuous one at a threshold and the AUC summarises all thresholds.  Balanced
    accuracy :math:`(Se + Sp)/2`; its interval is the MOVER sum of the two Wilson
    intervals, halved: :math:`L = \tfrac12[\hat{Se} + \hat{Sp} - \sqrt{(\hat{Se} - l_1)^2
    + (\hat{Sp} - l_2)^2}]`, :math:`U` likewise with the upper limits.  All figures are
    checked against R (pROC ``coords``, ``ci.auc(method = "delong")``, ``prop.test``) in
    ``tests/course/test_signal_validation.py``.

    References
    ----------
    DeLong, E. R., DeLong, D. M., & Clarke-Pearson, D. L. (1988). *Biometrics, 44*\ (3),
    837-845.

    Zou, G. Y., & Donner, A. (2008). Construction of confidence limits about effect
    measures: a general approach. *Statistics in Medicine, 27*\ (10), 1693-1702.
    https://doi.org/10.1002/sim.3095

    Wilson, E. B. (1927). *JASA, 22*\ (158), 209-212.

    Examples
    --------
    >>> import pandas as pd, effectstudy as es
    >>> looks = pd.DataFrame({"id": [1, 1, 2, 3, 3, 4], "t": [2, 5, 3, 2, 6, 4],
    ...                       "z_worse": [0.2, 1.9, -0.5, 1.5, 0.1, -1.0]})
    >>> poor = pd.Series([True, False, True, False], index=[1, 2, 3, 4])
    >>> res = es.signal_accuracy(looks, poor, subject="id", time="t", level=0.9)
    >>> res.summary().set_index("measure")["estimate"].round(3).tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    >>> es.signal_accuracy(looks, poor, subject="id", time="t", level=0.9,
    ...                    method="latest").summary()["estimate"].round(3).tolist()
    [0.5, 1.0, 1.0, 0.667, 0.75, 1.0]
    """
    ci = check_ci(ci)
    method = check_choice("method", method, SIGNAL_METHODS)
    looks, level, meta_sig = _looks(signal, subject, time, level)
    poor = _outcome(outcome)
    q = float(stats.norm.ppf(level))
    ids = poor.index
    known = poor.notna().to_numpy()
    lk = looks[isin(looks["subject"], ids[known])]
    if until is not None:
        if not isinstance(until, pd.Series) or until.index.has_duplicates:
            raise ArgumentTypeError("until", until, "a Series indexed by "
                                    "subject (one time each)")
        u = np.append(pd.to_numeric(until).to_numpy(dtype=float, na_value=np.nan), np.nan)[
            index_positions(until.index, lk["subject"])]
        lk = lk[lk["time"].to_numpy() < u]  # NaN until: no look counts
    lk = lk.sort_values(["subject", "time"], kind="stable")
    g = lk.groupby("subject", sort=False)
    agg = pd.DataFrame({"n_looks": g.size(), "max_z": g["z"].max(), "last_z": g["z"].last(),
                        "first_y": g["y"].first(), "fold": g["fold"].first()})
    agg = agg.reindex(ids)
    n_looks = agg["n_looks"].fillna(0).astype(int)
    status = np.where(~known, "outcome_unknown",
                      np.where(n_looks.to_numpy() == 0, "no_look_before_outcome", "included"))
    inc = status == "included"
    model_meta: dict[str, Any] = {}
    if method == "model":
        score, flagged, model_meta = _model_scores(agg, inc, poor, meta_sig)
    else:
        score = agg["max_z" if method == "ever" else "last_z"]
        flagged = (score > q).where(score.notna())
    for k in ("_baseline", "_d"):
        meta_sig.pop(k, None)
    pat = pd.DataFrame({"poor": poor, "status": status, "n_looks": n_looks, "score": score,
                        "flagged": flagged.astype("boolean"), "fold": agg["fold"]}, index=ids)
    meta = base_meta(
        "signal_accuracy", signal_method=method, level=level, band_quantile=q, ci=ci,
        outcome="poor = True in outcome=",
        until=("looks before each subject's outcome measurement (until=)" if until is not None
               else "every look (no until= given: the outcome measurement may be a look)"),
        n_original=int(len(ids)), n_used=int(inc.sum()),
        exclusions={"outcome_unknown": int((status == "outcome_unknown").sum()),
                    "no_look_before_outcome": int((status == "no_look_before_outcome").sum())},
        n_poor=int(pat.loc[inc, "poor"].sum()),
        n_signal_without_outcome=int((~isin(pd.Index(looks["subject"].unique()), ids)).sum()),
        **meta_sig, **model_meta)
    return SignalAccuracyResult(patients=pat, meta=meta)
