r"""Stagnation: which treatment episodes are not making progress?

One verb, :func:`stagnation`, on long data with every measurement of each episode, and
three rules chosen with ``rule=``:

``"early_no_progress"`` (the practice rule)
    Baseline = the subject's earliest measurement, which must lie before the window.  The
    evaluation measurement is the subject's *last* measurement with ``time`` inside the
    window (inclusive).  Stagnated = the change from baseline to that measurement is not a
    reliable improvement (``criterion="rci"``: Jacobson & Truax 1991) or is smaller than a
    fraction of the baseline score (``criterion="percent"``).
``"not_on_track"`` (an empirical expected-treatment-response signal)
    Expected recovery curves from the practice's own reference episodes: a mixed model of
    the score on log(time) and intake severity with a random intercept and slope per
    subject (Finch, Lambert & Schaalje 2001), fitted by REML and *cross-fitted* by subject
    (K folds) so that no subject's own data shapes the curve it is judged by.  A subject is
    flagged at its first measurement beyond the one-sided prediction band for a new subject
    with its intake score.
``"deterioration"``
    Reliable worsening (or worsening by a fraction of baseline) at any measurement after
    baseline.

Every subject of the data is in ``.patients``: subjects that cannot be judged are
``not_evaluable`` with a ``reason``, counted in ``meta["not_evaluable_reasons"]`` and in
every row of ``.summary()``; nobody is dropped.  Rates carry Wilson (1927) intervals
(:func:`effectstudy.kernels.proportions.wilson_ci`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from effectstudy import kernels
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError, DataQualityWarning
from effectstudy.core.labels import Lang, label, register
from effectstudy.core.results import Result, base_meta
from effectstudy.core.schema import STAGNATION_STATUSES
from effectstudy.data.longdata import check_columns, check_reliability, registry_norms
from effectstudy.kernels.proportions import wilson_ci
from effectstudy.outcomes.reliable_change import check_alpha, check_better_is

__all__ = [
    "stagnation",
    "StagnationResult",
    "RULES",
    "CRITERIA",
    "REASONS",
    "STATUS_DTYPE",
    "RULE_VERSION",
    "MixedFit",
    "mixed_fit",
]

RULES = ("early_no_progress", "not_on_track", "deterioration")
CRITERIA = ("rci", "percent")
#: RCI variants supported by the ``"rci"`` criterion
RCI_METHODS = ("jt",)
#: reasons a subject is ``not_evaluable``, in order of precedence
REASONS = (
    "no_valid_measurement",
    "single_measurement",
    "baseline_in_window",
    "no_measurement_in_window",
    "baseline_not_positive",
)
STATUS_DTYPE = pd.CategoricalDtype(list(STAGNATION_STATUSES), ordered=True)
REASON_DTYPE = pd.CategoricalDtype(list(REASONS))
#: bumped whenever a rule's definition changes (recorded in ``meta``)
RULE_VERSION = 1
#: smallest number of reference subjects (with a measurement after baseline) per fit
MIN_REFERENCE = 10

register({
    "status": {"nl": "Status", "en": "Status"},
    "reason": {"nl": "Reden", "en": "Reason"},
    "n_evaluable": {"nl": "n te beoordelen", "en": "n evaluable"},
    "n_not_evaluable": {"nl": "n niet te beoordelen", "en": "n not evaluable"},
    "n_stagnated": {"nl": "n gestagneerd", "en": "n stagnated"},
    "n_on_track": {"nl": "n op koers", "en": "n on track"},
    "overall": {"nl": "Totaal", "en": "Overall"},
    "baseline": {"nl": "Beginscore", "en": "Baseline"},
    "baseline_time": {"nl": "Tijd begin", "en": "Baseline time"},
    "eval_time": {"nl": "Tijd evaluatie", "en": "Evaluation time"},
    "eval_score": {"nl": "Score evaluatie", "en": "Evaluation score"},
    "improvement": {"nl": "Verbetering", "en": "Improvement"},
    "pct_improvement": {"nl": "Verbetering (fractie)", "en": "Improvement (fraction)"},
    "expected": {"nl": "Verwacht", "en": "Expected"},
    "bound": {"nl": "Signaalgrens", "en": "Signal bound"},
    "n_measurements": {"nl": "n metingen", "en": "n measurements"},
    "ci": {"nl": "BI", "en": "CI"},
    "stagnation_rate": {"nl": "Percentage gestagneerd", "en": "Stagnation rate"},
    "no_valid_measurement": {"nl": "geen geldige meting", "en": "no valid measurement"},
    "single_measurement": {"nl": "maar één meting", "en": "single measurement"},
    "baseline_in_window": {"nl": "beginmeting in venster", "en": "baseline in window"},
    "no_measurement_in_window": {"nl": "geen meting in venster",
                                 "en": "no measurement in window"},
    "baseline_not_positive": {"nl": "beginscore niet positief", "en": "baseline not positive"},
    "early_no_progress": {"nl": "geen vroege vooruitgang", "en": "early no progress"},
    "not_on_track": {"nl": "niet op koers", "en": "not on track"},
    "deterioration": {"nl": "verslechtering", "en": "deterioration"},
})


# ============================================================================ mixed model
@dataclass(frozen=True)
class MixedFit:
    r"""REML fit of :func:`mixed_fit`: fixed effects, variance components, predictions.

    ``beta`` in the order of ``names``; ``cov_beta`` its covariance; ``d`` the 2x2
    covariance of (random intercept, random slope); ``sigma`` the residual SD.
    """

    names: tuple[str, ...]
    beta: np.ndarray
    cov_beta: np.ndarray
    d: np.ndarray
    sigma: float
    reml_criterion: float
    n_obs: int
    n_subjects: int
    interaction: bool
    converged: bool
    singular: bool

    def design(self, z: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Fixed-effects rows :math:`(1, z, w[, wz])`."""
        cols = [np.ones_like(z), z, w] + ([w * z] if self.interaction else [])
        return np.column_stack(cols)

    def predict(self, z: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r"""Mean and SD of the score of a *new* subject with covariate ``w`` at ``z``.

        .. math::

            \mu = x^\top\hat\beta,\qquad
            \operatorname{Var} = (1, z)\,\hat D\,(1, z)^\top + \hat\sigma^2
              + x^\top \widehat{\operatorname{Cov}}(\hat\beta)\, x
        """
        z = np.asarray(z, dtype=float)
        w = np.asarray(w, dtype=float)
        x = self.design(z, w)
        mu = x @ self.beta
        v_re = self.d[0, 0] + 2 * self.d[0, 1] * z + self.d[1, 1] * z * z
        v_beta = np.einsum("ij,jk,ik->i", x, self.cov_beta, x)
        return mu, np.sqrt(v_re + self.sigma**2 + v_beta)

    def as_dict(self) -> dict[str, Any]:
        return {
            "beta": dict(zip(self.names, map(float, self.beta), strict=True)),
            "beta_se": dict(zip(self.names, map(float, np.sqrt(np.diag(self.cov_beta))),
                                strict=True)),
            "sd_intercept": float(math.sqrt(self.d[0, 0])),
            "sd_slope": float(math.sqrt(self.d[1, 1])),
            "cor_intercept_slope": (float(self.d[0, 1] / math.sqrt(self.d[0, 0] * self.d[1, 1]))
                                    if self.d[0, 0] > 0 and self.d[1, 1] > 0 else float("nan")),
            "sigma": float(self.sigma),
            "reml_criterion": float(self.reml_criterion),
            "n_obs": int(self.n_obs),
            "n_subjects": int(self.n_subjects),
            "converged": bool(self.converged),
            "singular": bool(self.singular),
        }


def mixed_fit(subject_codes, z, y, w, *, interaction: bool = True) -> MixedFit:
    r"""REML fit of a random intercept and slope model with a subject-level covariate.

    .. math::

        y_{ij} = \beta_0 + \beta_1 z_{ij} + \beta_2 w_i + \beta_3 w_i z_{ij}
                 + b_{0i} + b_{1i} z_{ij} + e_{ij},\quad
        b_i \sim N(0, \sigma^2\Lambda\Lambda^\top),\ e_{ij} \sim N(0, \sigma^2)

    (``interaction=False`` drops :math:`\beta_3`): :func:`effectstudy.kernels.reml_random_slope`
    with the fixed-effects design :math:`x_{ij} = (1, z_{ij}, w_i[, w_i z_{ij}])` and the
    random slope on :math:`z`, which minimises the profiled REML criterion of Bates et al.
    (2015, eq. 41) from per-design sums.  Checked against statsmodels ``MixedLM`` and lme4
    in ``tests/test_stagnation.py``.

    Parameters
    ----------
    subject_codes : int array
        Codes 0..m-1, one per observation.
    z, y : float arrays
        Time covariate (e.g. log session) and outcome, one per observation.
    w : float array
        Subject-level covariate, one per subject (indexed by code).
    """
    g = np.asarray(subject_codes)
    z = np.asarray(z, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.asarray(w, dtype=float)
    p = 4 if interaction else 3
    if y.size <= p + 1:
        raise DataError(f"{y.size} observation(s) for a model with {p} fixed effects",
                        expected=f"more than {p + 1} measurements after baseline")
    wo = w[g]
    x = np.column_stack([np.ones_like(z), z, wo] + ([wo * z] if interaction else []))
    fit = kernels.reml_random_slope(g, x, z, y, n_subjects=w.size)
    names = ("intercept", "z", "w") + (("w:z",) if interaction else ())
    return MixedFit(
        names=names, beta=fit.beta, cov_beta=fit.cov_beta, d=fit.d, sigma=fit.sigma,
        reml_criterion=fit.reml_criterion, n_obs=fit.n_obs, n_subjects=fit.n_subjects,
        interaction=interaction, converged=fit.converged, singular=fit.singular,
    )


# ============================================================================ checks
def _check_choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ArgumentError(name, value, f"one of {', '.join(repr(a) for a in allowed)}")
    return value


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


def _check_level(level: Any) -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0.5 < level < 1:
        raise ArgumentError("level", level, "a one-sided band level in (0.5, 1), e.g. 0.90 "
                            "('red' signal) or 0.80 ('yellow')")
    return float(level)


def _check_int(name: str, value: Any, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
        raise ArgumentError(name, value, f"an integer >= {lo}")
    return int(value)


def _numeric(data: pd.DataFrame, col: Hashable, arg: str) -> np.ndarray:
    s = data[col]
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        if arg == "time":
            raise ArgumentTypeError("time", str(col), "a numeric time column (session number "
                                    "or weeks since start), not " + str(s.dtype))
        bad = pd.to_numeric(s, errors="coerce").isna() & s.notna()
        i = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else 0
        raise DataError("not numeric", row=data.index[i], column=str(col), value=s.iloc[i],
                        expected="a number")
    v = s.to_numpy(dtype=float, na_value=np.nan)
    inf = np.isinf(v)
    if inf.any():
        i = int(np.flatnonzero(inf)[0])
        raise DataError(f"infinite {arg}", row=data.index[i], column=str(col),
                        value=float(v[i]), expected="a finite number")
    return v


# ============================================================================ long data
@dataclass(frozen=True)
class _Long:
    """Valid measurements sorted by subject and time, plus per-subject positions."""

    uniq: pd.Index
    codes_all: np.ndarray  # code of every input row
    cs: np.ndarray  # code per sorted valid row
    ts: np.ndarray
    ys: np.ndarray
    rows: np.ndarray  # input position of each sorted valid row
    nv: np.ndarray  # valid measurements per subject
    start: np.ndarray  # position of the first sorted row of each subject (baseline)
    rows_missing_outcome: int
    rows_missing_time: int

    @property
    def m(self) -> int:
        return len(self.uniq)


def _sort_order(codes: np.ndarray, t: np.ndarray, m: int) -> np.ndarray:
    """Order by subject code, then time.  Whole-number times (sessions, weeks) are packed
    into one int64 key, which sorts about twice as fast as ``lexsort`` on two keys; ties
    (duplicates, reported as an error afterwards) may come in any order."""
    if t.size:
        tmin, tmax = float(t.min()), float(t.max())
        span = tmax - tmin + 1
        if span * max(m, 1) < 2.0**62 and bool((t == np.round(t)).all()):
            key = codes.astype(np.int64) * np.int64(span) + (t - tmin).astype(np.int64)
            return np.argsort(key)
    return np.lexsort((t, codes))


def _long(data: pd.DataFrame, subject: Hashable, time: Hashable, outcome: Hashable) -> _Long:
    t = _numeric(data, time, "time")
    y = _numeric(data, outcome, "outcome")
    codes, uniq = pd.factorize(data[subject], use_na_sentinel=True)
    if (codes < 0).any():
        i = int(np.flatnonzero(codes < 0)[0])
        raise DataError("missing subject id", row=data.index[i], column=str(subject),
                        value=None, expected="a subject id")
    m = len(uniq)
    t_nan = np.isnan(t)
    y_nan = np.isnan(y)
    valid = ~(t_nan | y_nan)
    idx = np.flatnonzero(valid)
    ci, ti = codes[idx], t[idx]
    dc = np.diff(ci)
    if bool((dc >= 0).all()) and bool(((dc > 0) | (np.diff(ti) >= 0)).all()):
        rows = idx  # already grouped by subject and sorted by time: no sort needed
    else:
        rows = idx[_sort_order(ci, ti, m)]
    del ci, ti, dc, idx, valid  # bound the peak memory on millions of rows
    cs = codes[rows]
    ts = t[rows]
    dup = (cs[1:] == cs[:-1]) & (ts[1:] == ts[:-1])
    if dup.any():
        k = int(np.flatnonzero(dup)[0])
        s = uniq[cs[k]]
        s = s.item() if isinstance(s, np.generic) else s
        raise DataError(
            f"subject {s!r} has more than one measurement at {time}={ts[k]:g} "
            f"({int(dup.sum())} duplicate row(s) in all)",
            row=data.index[rows[k + 1]], column=str(time), value=float(ts[k]),
            expected="one measurement per subject and time (remove or average duplicates)")
    nv = np.bincount(cs, minlength=m)
    start = np.concatenate([[0], np.cumsum(nv)[:-1]]).astype(np.int64)
    return _Long(uniq=pd.Index(uniq, name=subject), codes_all=codes, cs=cs, ts=ts,
                 ys=y[rows], rows=rows, nv=nv, start=start,
                 rows_missing_outcome=int((y_nan & ~t_nan).sum()),
                 rows_missing_time=int(t_nan.sum()))


def _subject_rows(lg: _Long) -> np.ndarray:
    """Input row per subject: its baseline row, else its first row in the data."""
    first_any = np.full(lg.m, len(lg.codes_all), dtype=np.int64)
    np.minimum.at(first_any, lg.codes_all, np.arange(len(lg.codes_all)))
    has = lg.nv > 0
    out = first_any
    out[has] = lg.rows[lg.start[has]]
    return out


def _per_subject(data: pd.DataFrame, col: Hashable, lg: _Long, srow: np.ndarray
                 ) -> tuple[pd.Series, int]:
    """Value of ``col`` per subject (at ``srow``) and the number of subjects where it varies."""
    s = data[col]
    vals = s.iloc[srow]
    gcodes, _ = pd.factorize(s, use_na_sentinel=True)
    sub = gcodes[srow]
    varies = gcodes != sub[lg.codes_all]
    n_var = int(np.unique(lg.codes_all[varies]).size) if varies.any() else 0
    return vals.reset_index(drop=True), n_var


# ============================================================================ rules
def _change_stats(lg: _Long, ev: np.ndarray, base_y: np.ndarray) -> dict[str, np.ndarray]:
    return {"eval_time": lg.ts[ev], "eval_score": lg.ys[ev], "change": lg.ys[ev] - base_y}


def _early(lg, *, d, lo, hi, criterion, s_diff, crit, threshold):
    m = lg.m
    has = lg.nv > 0
    pos = np.arange(lg.ts.size)
    base_t = np.full(m, np.nan)
    base_y = np.full(m, np.nan)
    base_t[has] = lg.ts[lg.start[has]]
    base_y[has] = lg.ys[lg.start[has]]
    inw = (lg.ts >= lo) & (lg.ts <= hi)
    last = np.full(m, -1, dtype=np.int64)
    np.maximum.at(last, lg.cs[inw], pos[inw])
    reason = np.full(m, -1, dtype=np.int8)
    for code, cond in ((4, (criterion == "percent") & has & ~(base_y > 0)),
                       (3, last < 0), (2, has & (base_t >= lo)), (1, lg.nv == 1),
                       (0, ~has)):
        reason[cond] = code  # later assignments win: highest precedence last
    ok = reason < 0
    ev = np.where(ok, last, 0)
    out = {"baseline_time": base_t, "baseline": base_y}
    cs_ = _change_stats(lg, ev, base_y)
    for k, v in cs_.items():
        v = v.astype(float)
        v[~ok] = np.nan
        out[k] = v
    out["improvement"] = d * out["change"]
    if criterion == "rci":
        out["rci"] = out["change"] / s_diff
        stag = ~(d * out["rci"] > crit)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            out["pct_improvement"] = out["improvement"] / base_y
        out["pct_improvement"][~ok] = np.nan
        stag = ~(out["pct_improvement"] >= threshold)
    return out, reason, ok & stag


def _post_rows(lg: _Long) -> np.ndarray:
    """Mask of sorted rows after each subject's baseline."""
    mask = np.ones(lg.ts.size, dtype=bool)
    has = lg.nv > 0
    mask[lg.start[has]] = False
    return mask


def _first_flag_or_last(lg: _Long, flag_rows: np.ndarray, evaluable: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    pos = np.arange(lg.ts.size)
    first = np.full(lg.m, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, lg.cs[flag_rows], pos[flag_rows])
    flagged = (first < np.iinfo(np.int64).max) & evaluable
    last = lg.start + lg.nv - 1
    ev = np.where(flagged, first, np.where(evaluable, last, 0))
    return ev, flagged


def _base(lg: _Long):
    has = lg.nv > 0
    base_t = np.full(lg.m, np.nan)
    base_y = np.full(lg.m, np.nan)
    base_t[has] = lg.ts[lg.start[has]]
    base_y[has] = lg.ys[lg.start[has]]
    return has, base_t, base_y


def _simple_reasons(lg, has, base_y, criterion):
    reason = np.full(lg.m, -1, dtype=np.int8)
    reason[(criterion == "percent") & has & ~(base_y > 0)] = 4
    reason[lg.nv == 1] = 1
    reason[~has] = 0
    return reason


def _fill(lg, out, ev, ok, base_y):
    for k, v in _change_stats(lg, ev, base_y).items():
        v = v.astype(float)
        v[~ok] = np.nan
        out[k] = v


def _deterioration(lg, *, d, criterion, s_diff, crit, threshold):
    has, base_t, base_y = _base(lg)
    reason = _simple_reasons(lg, has, base_y, criterion)
    ok = reason < 0
    post = _post_rows(lg)
    by = base_y[lg.cs]
    ch = lg.ys - by
    if criterion == "rci":
        worse = d * ch / s_diff < -crit
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            worse = -d * ch / by >= threshold
    ev, flagged = _first_flag_or_last(lg, post & worse & ok[lg.cs], ok)
    out = {"baseline_time": base_t, "baseline": base_y}
    _fill(lg, out, ev, ok, base_y)
    out["improvement"] = d * out["change"]
    if criterion == "rci":
        out["rci"] = out["change"] / s_diff
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            out["pct_improvement"] = out["improvement"] / base_y
        out["pct_improvement"][~ok] = np.nan
    return out, reason, flagged


def _fold_of(uniq: pd.Index, folds: int, seed: int) -> tuple[np.ndarray, str]:
    """Fold per subject from a seeded permutation of the *sorted* subject ids (so the
    assignment does not depend on the row order of the data)."""
    m = len(uniq)
    try:
        rank = np.empty(m, dtype=np.int64)
        rank[uniq.argsort()] = np.arange(m)
        how = "sorted subject ids"
    except TypeError:
        rank = np.arange(m)
        how = "order of first appearance (subject ids are not sortable)"
    perm = np.random.default_rng(seed).permutation(m)
    return (perm[rank] % folds).astype(np.int16), how


def _not_on_track(lg, *, d, level, reference, folds, seed, interaction, time_offset, time):
    has, base_t, base_y = _base(lg)
    reason = _simple_reasons(lg, has, base_y, "rci")
    ok = reason < 0
    post = _post_rows(lg) & ok[lg.cs]
    zt = lg.ts[post] + time_offset
    if (zt <= 0).any():
        k = int(np.flatnonzero(zt <= 0)[0])
        raise DataError(f"time + time_offset = {zt[k]:g} is not positive after baseline, so "
                        "log(time) is undefined", column=str(time), value=lg.ts[post][k],
                        expected="time > -time_offset for measurements after baseline (set "
                        "time_offset=, e.g. 1 when time counts weeks from 0)")
    z = np.log(zt)
    cpost = lg.cs[post]
    ypost = lg.ys[post]
    ref_ok = reference & ok
    if int(ref_ok.sum()) == 0:
        raise DataError("no reference subject has a measurement after baseline",
                        expected="reference episodes with at least two measurements")
    w_mean = float(base_y[ref_ok].mean())
    w_sd = float(base_y[ref_ok].std(ddof=1)) if ref_ok.sum() > 1 else 1.0
    if not w_sd > 0:
        w_sd = 1.0
    w = (base_y - w_mean) / w_sd
    fold, fold_how = _fold_of(lg.uniq, folds, seed)
    q = float(stats.norm.ppf(level))
    mu = np.full(z.size, np.nan)
    sd = np.full(z.size, np.nan)
    fits = []
    for k in range(folds):
        train = ref_ok & (fold != k)
        n_train = int(train.sum())
        if n_train < MIN_REFERENCE:
            raise DataError(
                f"fold {k}: {n_train} reference subject(s) with a measurement after baseline "
                f"outside the fold (folds={folds})",
                expected=f"at least {MIN_REFERENCE} per fit: more reference episodes or "
                "fewer folds")
        rmask = train[cpost]
        tcodes, tuniq = pd.factorize(cpost[rmask])
        fit = mixed_fit(tcodes, z[rmask], ypost[rmask], w[tuniq], interaction=interaction)
        tmask = (fold[cpost] == k)
        mu[tmask], sd[tmask] = fit.predict(z[tmask], w[cpost[tmask]])
        info = fit.as_dict()
        info["fold"] = k
        info["n_judged"] = int((ok & (fold == k)).sum())
        fits.append(info)
    zworse = -d * (ypost - mu) / sd  # > 0: worse than expected
    flag_post = zworse > q
    flag_rows = np.zeros(lg.ts.size, dtype=bool)
    flag_rows[np.flatnonzero(post)[flag_post]] = True
    ev, flagged = _first_flag_or_last(lg, flag_rows, ok)
    out = {"baseline_time": base_t, "baseline": base_y}
    _fill(lg, out, ev, ok, base_y)
    out["improvement"] = d * out["change"]
    # expected value, bound and z at the evaluating measurement
    row_to_post = np.full(lg.ts.size, -1, dtype=np.int64)
    row_to_post[np.flatnonzero(post)] = np.arange(z.size)
    pe = row_to_post[ev]
    pe_ok = ok & (pe >= 0)
    for name, arr in (("expected", mu), ("bound", mu - d * q * sd), ("z_worse", zworse)):
        v = np.full(lg.m, np.nan)
        v[pe_ok] = arr[pe[pe_ok]]
        out[name] = v
    out["fold"] = fold
    out["reference"] = reference
    n_post = np.bincount(cpost, minlength=lg.m)
    per_measure = {
        "n_measurements_judged": int(z.size),
        "n_measurements_beyond_band": int(flag_post.sum()),
        "rate_measurements_beyond_band": float(flag_post.mean()) if z.size else float("nan"),
    }
    model_meta = {
        "model": (f"score ~ log({time} + {time_offset:g}) * intake + (log time | subject), "
                  "REML" if interaction else
                  f"score ~ log({time} + {time_offset:g}) + intake + (log time | subject), "
                  "REML"),
        "intake": "baseline score, standardised: (baseline - intake_mean) / intake_sd",
        "intake_mean": w_mean,
        "intake_sd": w_sd,
        "interaction": interaction,
        "time_offset": time_offset,
        "level": level,
        "band_quantile": q,
        "band": ("one-sided upper" if d < 0 else "one-sided lower") + " prediction bound "
                "for a new subject with the same intake: fixed effects +/- z_level * sqrt("
                "random-effect variance at that time + residual variance + Var(x'beta))",
        "folds": folds,
        "seed": seed,
        "fold_assignment": f"seeded permutation (numpy default_rng({seed})) of {fold_how}, "
                           "modulo folds",
        "fits": fits,
        "n_reference": int(reference.sum()),
        "n_reference_evaluable": int(ref_ok.sum()),
        "evaluated_at": "every measurement after baseline (time > baseline time)",
        "mean_measurements_after_baseline": float(n_post[ok].mean()) if ok.any() else 0.0,
        **per_measure,
    }
    prow = np.flatnonzero(post)
    looks = {"code": cpost, "time": lg.ts[prow], "score": ypost, "expected": mu,
             "bound": mu - d * q * sd, "z_worse": zworse, "beyond_band": flag_post,
             "fold": fold[cpost]}
    return out, reason, flagged, model_meta, looks


# ============================================================================ result
@dataclass(frozen=True, repr=False)
class StagnationResult(Result):
    """Result of :func:`stagnation`.

    ``patients`` (index = subject): ``[group,] status`` (ordered: on_track < stagnated <
    not_evaluable), ``reason`` (why not evaluable), ``n_measurements``, ``baseline_time``,
    ``baseline``, ``eval_time``, ``eval_score``, ``change`` (raw: eval_score - baseline),
    ``improvement`` (direction-adjusted: positive = better), then ``rci`` or
    ``pct_improvement`` (early_no_progress, deterioration) or ``expected``, ``bound``,
    ``z_worse``, ``fold``, ``reference`` (not_on_track).  ``status == "stagnated"`` means
    *flagged by the rule* (for ``"deterioration"``: reliably worse).

    ``measurements`` (``not_on_track`` only, else empty): every judged measurement after
    baseline: the subject, time and outcome columns (named as in the data), ``expected``,
    ``bound``, ``z_worse`` (:math:`-d(y - \\mu)/SD`), ``beyond_band``, ``fold``.
    """

    measurements: pd.DataFrame = field(default_factory=pd.DataFrame)

    title = "Stagnation"

    def summary(self) -> pd.DataFrame:
        """``[group, overall,] n, n_evaluable, n_not_evaluable, n_stagnated, n_on_track,
        rate, ci_low, ci_high``.

        ``rate = n_stagnated / n_evaluable`` with a Wilson interval at ``meta["ci"]``.
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
        with np.errstate(invalid="ignore", divide="ignore"):
            out["rate"] = np.where(ne > 0, out["n_stagnated"] / np.maximum(ne, 1), np.nan)
        lo, hi = wilson_ci(out["n_stagnated"].to_numpy(), ne, ci=self.meta.get("ci", 0.95))
        out["ci_low"] = lo
        out["ci_high"] = hi
        return out

    def plot(self, ax=None, *, lang: Lang = "nl"):
        """Stagnation rate per group (and overall) with Wilson intervals; returns the Axes."""
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(5.5, 3.5))
        s = self.summary()
        names = ([label("all", lang) if o else str(g) for g, o in zip(s["group"], s["overall"],
                                                                     strict=True)]
                 if "group" in s else [label("all", lang)])
        ypos = np.arange(len(s))[::-1]
        r = s["rate"].to_numpy(dtype=float)
        err = np.vstack([r - s["ci_low"].to_numpy(dtype=float),
                         s["ci_high"].to_numpy(dtype=float) - r])
        ax.errorbar(r, ypos, xerr=err, fmt="o", color="black", capsize=3, ms=5)
        ax.set_yticks(ypos)
        ax.set_yticklabels([f"{nm} (n={int(n)}, {label('n_not_evaluable', lang)} {int(k)})"
                            for nm, n, k in zip(names, s["n_evaluable"], s["n_not_evaluable"],
                                                strict=True)])
        ax.set_xlim(0, 1)
        ax.set_xlabel(f"{label('stagnation_rate', lang)} ({self.meta.get('ci', 0.95):.0%} "
                      f"{label('ci', lang)}, Wilson) - {label(self.meta.get('rule', ''), lang)}")
        return ax


# ============================================================================ the verb
def stagnation(
    data: pd.DataFrame,
    *,
    subject: Hashable,
    time: Hashable,
    outcome: Hashable,
    better_is: Literal["lower", "higher"] | None = None,
    reliability: Any = None,
    rule: Literal["early_no_progress", "not_on_track", "deterioration"] = "early_no_progress",
    window: tuple[float, float] = (3, 5),
    criterion: Literal["rci", "percent"] = "rci",
    method: Literal["jt"] = "jt",
    threshold: float | None = None,
    group: Hashable | None = None,
    alpha: float = 0.05,
    level: float = 0.90,
    reference: Any = None,
    folds: int = 5,
    seed: int = 0,
    interaction: bool = True,
    time_offset: float = 0.0,
    ci: float = 0.95,
    instrument: str | None = None,
    scale: str | None = None,
    norms: str | None = None,
) -> StagnationResult:
    r"""Flag treatment episodes that stagnate, are not on track, or deteriorate.

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
    rule : {"early_no_progress", "not_on_track", "deterioration"}
        See Notes.
    window : (start, end), default (3, 5)
        ``early_no_progress`` only: the evaluation window, inclusive at both ends.
    criterion : {"rci", "percent"}
        ``early_no_progress`` and ``deterioration``: reliable change (RCI) or a fraction of
        the baseline score.
    method : {"jt"}
        RCI variant for ``criterion="rci"``.  Only Jacobson & Truax is supported: the other
        variants (GLN, HLL, EN, NK, HA) need the mean, SD and correlation of a common post
        occasion, which a window with subject-specific evaluation times does not give.
    threshold : float, optional
        ``criterion="percent"`` (required): fraction of the baseline score, e.g. 0.25.
    group : column name, optional
        Summary per group (the group of each subject's baseline row).  Per-subject values
        use the pooled statistics (as clinicalsignificance does).
    alpha : float, default 0.05
        ``criterion="rci"``: critical value :math:`z_{1-\alpha/2}` = 1.959964.
    level : float, default 0.90
        ``not_on_track``: one-sided band level (0.90 = "red", 0.80 = "yellow").
    reference : column name or collection of subject ids, optional
        ``not_on_track``: the completed episodes the expected curves are estimated from: a
        boolean column (value at the subject's baseline row) or the ids.  Default: all.
    folds : int, default 5
        ``not_on_track``: K of the K-fold cross-fitting by subject (K >= 2).
    seed : int, default 0
        ``not_on_track``: seed of the fold assignment (recorded).
    interaction : bool, default True
        ``not_on_track``: include intake x log(time) (see Notes).
    time_offset : float, default 0
        ``not_on_track``: the model uses :math:`\log(time + time\_offset)`; set 1 when time
        counts weeks from 0.
    ci : float, default 0.95
        Level of the Wilson intervals in ``.summary()``.
    instrument, scale, norms : str, optional
        Registry id, scale and norm set: ``better_is`` and ``reliability`` come from there
        when not given (source in ``meta``).

    Returns
    -------
    StagnationResult
        ``.patients`` (one row per subject in order of first appearance, nobody dropped),
        ``.summary()``, ``.meta``, ``.plot()``; ``not_on_track`` adds ``.measurements``
        (every judged measurement with its expected score and bound).

    Notes
    -----
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
    :math:`d\cdot RCI < -z_{1-\alpha/2}` (percent: :math:`-d(y-x)/x \ge` threshold).

    **not_on_track.**  On the reference subjects' measurements after baseline
    (:math:`z = \log(t + \text{offset})`, :math:`w` = standardised intake):

    .. math::

        y_{ij} = \beta_0 + \beta_1 z_{ij} + \beta_2 w_i + \beta_3 w_i z_{ij}
                 + b_{0i} + b_{1i} z_{ij} + e_{ij}

    by REML (:func:`mixed_fit`).  The interaction lets the expected rate of improvement
    depend on intake severity, as Finch, Lambert & Schaalje (2001) do by fitting the curves
    by intake level; it costs one parameter against thousands of subjects (on the
    generated SCL-90 practice of ``effectstudy.datasets`` its Wald z is about -5 in every
    fold: more severe intakes improve faster per log session).  ``meta["fits"]`` holds
    every fold's coefficients with standard errors and variance components.  For a *new*
    subject the score at :math:`z` is normal with mean :math:`x^\top\hat\beta` and variance
    :math:`(1,z)\hat D(1,z)^\top + \hat\sigma^2 + x^\top\widehat{Cov}(\hat\beta)x`; the
    one-sided bound is mean :math:`- d\,z_{level}\,SD` (with thousands of reference
    episodes this prediction bound and a tolerance bound coincide).  A subject is flagged
    at its first measurement after baseline beyond the bound.  Subjects are split into
    ``folds`` folds (seeded); the curve that judges fold *k* is fitted on the reference
    subjects of the other folds.  Every measurement after baseline is a look, so a subject
    with several measurements is flagged more often than :math:`1 - level`;
    ``meta["rate_measurements_beyond_band"]`` gives the per-measurement rate.

    Not evaluable (``reason``, first match wins): ``no_valid_measurement``,
    ``single_measurement``, ``baseline_in_window`` (baseline at or after the window start),
    ``no_measurement_in_window``, ``baseline_not_positive`` (percent criterion).  Rows with
    a missing outcome or time are ignored and counted (``rows_missing_outcome``,
    ``rows_missing_time``).  Two measurements of one subject at the same time are an error.

    References
    ----------
    Jacobson, N. S., & Truax, P. (1991). Clinical significance: A statistical approach to
    defining meaningful change in psychotherapy research. *JCCP, 59*(1), 12-19.
    https://doi.org/10.1037/0022-006X.59.1.12

    Finch, A. E., Lambert, M. J., & Schaalje, B. G. (2001). Psychotherapy quality control:
    the statistical generation of expected recovery curves for integration into an early
    warning system. *Clinical Psychology & Psychotherapy, 8*(4), 231-242.
    https://doi.org/10.1002/cpp.286

    Lambert, M. J., Whipple, J. L., Hawkins, E. J., Vermeersch, D. A., Nielsen, S. L., &
    Smart, D. W. (2003). Is it time for clinicians to routinely track patient outcome? A
    meta-analysis. *Clinical Psychology: Science and Practice, 10*(3), 288-301.

    Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects
    models using lme4. *Journal of Statistical Software, 67*(1).

    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *JASA, 22*(158), 209-212; Newcombe, R. G. (1998). *Statistics in Medicine,
    17*(8), 857-872.

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
    rule = _check_choice("rule", rule, RULES)
    criterion = _check_choice("criterion", criterion, CRITERIA)
    if not isinstance(method, str) or method.lower() not in RCI_METHODS:
        raise ArgumentError("method", method, "'jt' (Jacobson & Truax); the other RCI "
                            "variants need a common post occasion and are not supported "
                            "for stagnation")
    method = method.lower()
    reg = registry_norms(instrument, scale, norms)
    bi_source = "argument"
    if better_is is None and "better_is" in reg.values:
        better_is = reg.values["better_is"]
        bi_source = reg.sources["better_is"]
    d = check_better_is(better_is)
    alpha = check_alpha(alpha)
    if isinstance(ci, bool) or not isinstance(ci, (int, float)) or not 0 < ci < 1:
        raise ArgumentError("ci", ci, "a confidence level in (0, 1), e.g. 0.95")
    lo, hi = _check_window(window)
    uses_rci = rule != "not_on_track" and criterion == "rci"
    uses_pct = rule != "not_on_track" and criterion == "percent"
    if rule == "not_on_track" and threshold is not None:
        raise ArgumentError("threshold", threshold, "None: rule 'not_on_track' uses level= "
                            "for its band, not a threshold")
    if uses_rci and threshold is not None:
        raise ArgumentError("threshold", threshold, "None for criterion 'rci' (its critical "
                            "value comes from alpha=); a threshold is for criterion 'percent'")
    if uses_pct:
        if (threshold is None or isinstance(threshold, bool)
                or not isinstance(threshold, (int, float)) or not 0 < threshold
                or not math.isfinite(threshold)):
            raise ArgumentError("threshold", threshold, "a positive fraction of the baseline "
                                "score for criterion 'percent', e.g. 0.25")
        threshold = float(threshold)
    rel = rel_source = None
    if reliability is None and "reliability" in reg.values and uses_rci:
        reliability = reg.values["reliability"]
        rel_source = reg.sources["reliability"]
    if uses_rci and reliability is None:
        raise ArgumentError("reliability", None, "a number in (0, 1) or an es.reliability(...) "
                            "result for criterion 'rci'"
                            + (f"; the registry has none for {instrument}/{scale}"
                               if instrument is not None else ""))
    if reliability is not None:
        rel, src = check_reliability(reliability)
        rel_source = rel_source or src
    if rule == "not_on_track":
        level = _check_level(level)
        folds = _check_int("folds", folds, 2)
        seed = _check_int("seed", seed, 0)
        if not isinstance(interaction, bool):
            raise ArgumentTypeError("interaction", interaction, "True or False")
        if (isinstance(time_offset, bool) or not isinstance(time_offset, (int, float))
                or not math.isfinite(time_offset)):
            raise ArgumentError("time_offset", time_offset, "a finite number (0 for sessions "
                                "counted from 1)")
        time_offset = float(time_offset)
    if rule != "not_on_track" and reference is not None:
        raise ArgumentError("reference", reference, "None: reference episodes are used by "
                            "rule 'not_on_track' only")
    ref_col = None
    if rule == "not_on_track" and isinstance(reference, str):
        if reference not in getattr(data, "columns", ()):
            raise ArgumentError("reference", reference, "a boolean column of data or a "
                                "collection of subject ids")
        ref_col = reference
    check_columns(data, subject=subject, time=time, outcome=outcome, group=group)
    for arg, col in (("time", time), ("outcome", outcome), ("group", group)):
        if col is not None and col == subject:
            raise ArgumentError(arg, col, f"a column other than subject={subject!r}")
    lg = _long(data, subject, time, outcome)
    srow = _subject_rows(lg)
    exclusions: dict[str, int] = {}

    meta = base_meta(rule, rule=rule, rule_version=RULE_VERSION, better_is=better_is,
                     better_is_source=bi_source, ci=float(ci), ci_method="wilson")
    has = lg.nv > 0
    base_all = lg.ys[lg.start[has]]
    n_base = int(base_all.size)
    sd_base = float(base_all.std(ddof=1)) if n_base > 1 else float("nan")
    s_diff = crit = None
    if uses_rci:
        if not sd_base > 0:
            raise DataError(f"the baseline scores of {n_base} subject(s) have no spread "
                            f"(SD = {sd_base}), so S_diff is undefined",
                            expected="at least 2 subjects with different baseline scores")
        s_diff = float(kernels.s_diff(sd_base, rel))
        crit = float(stats.norm.ppf(1 - alpha / 2))
        meta.update(criterion=criterion, rci_method=method, reliability=rel,
                    reliability_source=rel_source, alpha=alpha, critical_value=crit,
                    sd_baseline=sd_base, sd_baseline_source="sample: all subjects' baseline "
                    "scores", n_baseline=n_base, se_measurement=float(kernels.sem(sd_base, rel)),
                    s_diff=s_diff)
    elif uses_pct:
        meta.update(criterion=criterion, threshold=threshold,
                    threshold_meaning=("stagnated when d*(eval - baseline)/baseline < threshold"
                                       if rule == "early_no_progress" else
                                       "flagged when -d*(score - baseline)/baseline >= "
                                       "threshold"))
        if rel is not None:
            meta.update(reliability=rel, reliability_source=rel_source + " (not used)")

    model_meta: dict[str, Any] = {}
    looks = None
    if rule == "early_no_progress":
        meta.update(window=[lo, hi], window_inclusive=True,
                    evaluation="last measurement with time inside the window",
                    baseline="earliest measurement; must lie before the window start")
        out, reason, stag = _early(lg, d=d, lo=lo, hi=hi, criterion=criterion, s_diff=s_diff,
                                   crit=crit, threshold=threshold)
    elif rule == "deterioration":
        meta.update(window=None, baseline="earliest measurement",
                    evaluation="first reliably worse measurement after baseline, else the "
                    "last measurement")
        out, reason, stag = _deterioration(lg, d=d, criterion=criterion, s_diff=s_diff,
                                           crit=crit, threshold=threshold)
    else:
        if ref_col is not None:
            col = data[ref_col]
            if not pd.api.types.is_bool_dtype(col):
                raise ArgumentTypeError("reference", ref_col, f"a boolean column (column "
                                        f"{ref_col!r} has dtype {col.dtype})")
            vals, n_var = _per_subject(data, ref_col, lg, srow)
            if n_var:
                raise DataError(f"column {ref_col!r} varies within {n_var} subject(s)",
                                column=ref_col, expected="one value per subject")
            ref = vals.fillna(False).to_numpy(dtype=bool)
            meta["reference"] = f"column {ref_col!r}"
        elif reference is None:
            ref = np.ones(lg.m, dtype=bool)
            meta["reference"] = "all subjects (no reference= given)"
        else:
            if isinstance(reference, (bytes, dict)) or not hasattr(reference, "__iter__"):
                raise ArgumentTypeError("reference", reference, "a boolean column name or a "
                                        "collection of subject ids")
            ids = pd.Index(list(reference))
            ref = lg.uniq.isin(ids)
            meta["reference"] = f"{len(ids)} subject ids"
            meta["reference_ids_not_in_data"] = int((~ids.isin(lg.uniq)).sum())
        meta.update(window=None, baseline="earliest measurement")
        out, reason, stag, model_meta, looks = _not_on_track(
            lg, d=d, level=level, reference=ref, folds=folds, seed=seed,
            interaction=interaction, time_offset=time_offset, time=time)
        meta.update(model_meta)

    ok = reason < 0
    status = np.where(ok, np.where(stag, 1, 0), 2).astype(np.int8)
    pat = pd.DataFrame(index=lg.uniq)
    if group is not None:
        gvals, n_var = _per_subject(data, group, lg, srow)
        pat["group"] = gvals.to_numpy() if not isinstance(gvals.dtype, pd.CategoricalDtype) \
            else pd.Categorical(gvals)
        n_gmiss = int(pat["group"].isna().sum())
        if n_gmiss:
            exclusions["missing_group"] = n_gmiss
        if n_var:
            meta["group_varies_within_subject"] = n_var
        if n_gmiss or n_var:
            warnings.warn(
                (f"{n_gmiss} subject(s) have no group: they count in the overall row of the "
                 "summary but in no group row. " if n_gmiss else "")
                + (f"{n_var} subject(s) have more than one group value; the value at the "
                   "baseline row is used." if n_var else ""),
                DataQualityWarning, stacklevel=2)
        meta["group"] = str(group)
    pat["status"] = pd.Categorical.from_codes(status, dtype=STATUS_DTYPE)
    pat["reason"] = pd.Categorical.from_codes(reason, dtype=REASON_DTYPE)
    pat["n_measurements"] = lg.nv
    for k, v in out.items():
        pat[k] = v
    reasons = {REASONS[i]: int(c) for i, c in enumerate(np.bincount(reason[~ok],
                                                                     minlength=len(REASONS)))
               if c}
    exclusions.update(reasons)
    meta.update(
        n_original=lg.m, n_used=int(ok.sum()), n_evaluable=int(ok.sum()),
        n_not_evaluable=int((~ok).sum()), n_stagnated=int((status == 1).sum()),
        not_evaluable_reasons=reasons, exclusions=exclusions,
        rows=int(len(data)), rows_missing_outcome=lg.rows_missing_outcome,
        rows_missing_time=lg.rows_missing_time,
        change="raw change = eval_score - baseline; improvement = d * change (positive = "
               "better)",
        nan_policy="rows with a missing outcome or time are ignored; subjects are never "
                   "dropped (not_evaluable with a reason)",
    )
    ms = pd.DataFrame()
    if looks is not None:
        code = looks.pop("code")
        ms = pd.DataFrame({subject: lg.uniq.take(code), time: looks.pop("time"),
                           outcome: looks.pop("score"), **looks})
    return StagnationResult(patients=pat, meta=meta, measurements=ms)


