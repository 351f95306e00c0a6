r"""Expected-response curves: which treatment episodes are not on track?

:func:`not_on_track` is an empirical expected-treatment-response signal.  Expected
recovery curves come from the practice's own reference episodes: a mixed model of the
score on log(time) and intake severity with a random intercept and slope per subject
(Finch, Lambert & Schaalje 2001), fitted by REML (:func:`mixed_fit`, a thin caller of
:func:`effectstudy.kernels.reml_random_slope`) and *cross-fitted* by subject (K folds) so
that no subject's own data shapes the curve it is judged by.  A subject is flagged at its
first measurement beyond the one-sided prediction band for a new subject with its intake
score.

The result is a :class:`NotOnTrackResult`: a
:class:`~effectstudy.course.stagnation.StagnationResult` (the same ``.patients`` columns,
statuses, reasons, summary and plot as ``es.stagnation``) with every judged measurement in
``.measurements``.  The long-data handling shared with ``es.stagnation`` is in
:mod:`effectstudy.course.longitudinal`.
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
from effectstudy.core.checks import check_better_is, check_ci, check_int
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError
from effectstudy.core.keys import isin
from effectstudy.core.labels import register
from effectstudy.core.results import base_meta
from effectstudy.course.longitudinal import (
    Long,
    baselines,
    check_frame,
    fill_change,
    first_flag_or_last,
    flag_table,
    long_data,
    per_subject,
    post_rows,
    simple_reasons,
    subject_rows,
)
from effectstudy.course.stagnation import RULE_VERSION, StagnationResult
from effectstudy.data.longdata import registry_norms

__all__ = ["not_on_track", "NotOnTrackResult", "MixedFit", "mixed_fit", "MIN_REFERENCE"]

#: smallest number of reference subjects (with a measurement after baseline) per fit
MIN_REFERENCE = 10

register({
    "expected": {"nl": "Verwacht", "en": "Expected"},
    "bound": {"nl": "Signaalgrens", "en": "Signal bound"},
    "not_on_track": {"nl": "niet op koers", "en": "not on track"},
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
    in ``tests/course/test_expected_response.py``.

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
def _check_level(level: Any) -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0.5 < level < 1:
        raise ArgumentError("level", level, "a one-sided band level in (0.5, 1), e.g. 0.90 "
                            "('red' signal) or 0.80 ('yellow')")
    return float(level)


def _check_time_offset(time_offset: Any) -> float:
    if (isinstance(time_offset, bool) or not isinstance(time_offset, (int, float))
            or not math.isfinite(time_offset)):
        raise ArgumentError("time_offset", time_offset, "a finite number (0 for sessions "
                            "counted from 1)")
    return float(time_offset)


def _reference_mask(data: pd.DataFrame, reference: Any, lg: Long
                    ) -> tuple[np.ndarray, dict[str, Any]]:
    """Reference subjects (bool per subject) and how they were chosen, for ``meta``."""
    if isinstance(reference, str):
        col = data[reference]
        if not pd.api.types.is_bool_dtype(col):
            raise ArgumentTypeError("reference", reference, f"a boolean column (column "
                                    f"{reference!r} has dtype {col.dtype})")
        vals, n_var = per_subject(data, reference, lg, subject_rows(lg))
        if n_var:
            raise DataError(f"column {reference!r} varies within {n_var} subject(s)",
                            column=reference, expected="one value per subject")
        return vals.fillna(False).to_numpy(dtype=bool), {"reference": f"column {reference!r}"}
    if reference is None:
        return np.ones(lg.m, dtype=bool), {"reference": "all subjects (no reference= given)"}
    if isinstance(reference, (bytes, dict)) or not hasattr(reference, "__iter__"):
        raise ArgumentTypeError("reference", reference, "a boolean column name or a "
                                "collection of subject ids")
    ids = pd.Index(list(reference))
    mask = isin(lg.uniq, ids)
    if ids.is_unique:  # lg.uniq is unique too: the ids not found are the ones not matched
        n_out = int(len(ids) - np.count_nonzero(mask))
    else:
        n_out = int((~isin(ids, lg.uniq)).sum())
    return mask, {"reference": f"{len(ids)} subject ids", "reference_ids_not_in_data": n_out}


# ============================================================================ the curves
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




def _first_appearance_codes(codes: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(codes)`` of non-negative integer codes below ``m``: codes in order of
    first appearance and the values they stand for, through a lookup table."""
    if codes.size and bool((codes[1:] >= codes[:-1]).all()):  # sorted: first appearance = ascending
        present = np.zeros(m, dtype=bool)
        present[codes] = True
        uniq = np.flatnonzero(present)
        table = np.cumsum(present) - 1
        return table[codes].astype(np.intp), uniq.astype(codes.dtype)
    c, u = pd.factorize(codes)
    return c, u


def _cross_fit(z: np.ndarray, y: np.ndarray, cpost: np.ndarray, w: np.ndarray, *,
               train_ok: np.ndarray, judged_ok: np.ndarray, fold: np.ndarray, folds: int,
               interaction: bool) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """Mean and SD of the expected score at every measurement after baseline, each from
    the fit on the reference subjects (``train_ok``) outside its subject's fold, and every
    fold's fit for ``meta["fits"]``."""
    mu = np.full(z.size, np.nan)
    sd = np.full(z.size, np.nan)
    fits = []
    for k in range(folds):
        train = train_ok & (fold != k)
        n_train = int(train.sum())
        if n_train < MIN_REFERENCE:
            raise DataError(
                f"fold {k}: {n_train} reference subject(s) with a measurement after baseline "
                f"outside the fold (folds={folds})",
                expected=f"at least {MIN_REFERENCE} per fit: more reference episodes or "
                "fewer folds")
        rmask = train[cpost]
        tcodes, tuniq = _first_appearance_codes(cpost[rmask], train.size)
        fit = mixed_fit(tcodes, z[rmask], y[rmask], w[tuniq], interaction=interaction)
        tmask = (fold[cpost] == k)
        mu[tmask], sd[tmask] = fit.predict(z[tmask], w[cpost[tmask]])
        info = fit.as_dict()
        info["fold"] = k
        info["n_judged"] = int((judged_ok & (fold == k)).sum())
        fits.append(info)
    return mu, sd, fits


def _expected_response(lg: Long, *, d: int, level: float, reference: np.ndarray, folds: int,
                       seed: int, interaction: bool, time_offset: float, time: Hashable):
    """``(columns, reason, flagged, model_meta, looks)`` of the not-on-track signal."""
    has, base_t, base_y = baselines(lg)
    reason = simple_reasons(lg, has, base_y, "rci")
    ok = reason < 0
    post = post_rows(lg) & ok[lg.cs]
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
    mu, sd, fits = _cross_fit(z, ypost, cpost, w, train_ok=ref_ok, judged_ok=ok, fold=fold,
                              folds=folds, interaction=interaction)
    zworse = -d * (ypost - mu) / sd  # > 0: worse than expected
    flag_post = zworse > q
    flag_rows = np.zeros(lg.ts.size, dtype=bool)
    flag_rows[np.flatnonzero(post)[flag_post]] = True
    ev, flagged = first_flag_or_last(lg, flag_rows, ok)
    out = {"baseline_time": base_t, "baseline": base_y}
    fill_change(lg, out, ev, ok, base_y)
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
        "n_measurements_judged": int(z.size),
        "n_measurements_beyond_band": int(flag_post.sum()),
        "rate_measurements_beyond_band": float(flag_post.mean()) if z.size else float("nan"),
    }
    prow = np.flatnonzero(post)
    looks = {"code": cpost, "time": lg.ts[prow], "score": ypost, "expected": mu,
             "bound": mu - d * q * sd, "z_worse": zworse, "beyond_band": flag_post,
             "fold": fold[cpost]}
    return out, reason, flagged, model_meta, looks


# ============================================================================ result
@dataclass(frozen=True, repr=False)
class NotOnTrackResult(StagnationResult):
    """Result of :func:`not_on_track`: a :class:`StagnationResult` plus the judged looks.

    ``patients`` (index = subject): as for ``es.stagnation`` up to ``improvement``, then
    ``expected``, ``bound`` and ``z_worse`` at the judging measurement, ``fold`` and
    ``reference``.  ``status == "stagnated"`` means *beyond the band* at some look.

    ``measurements``: every judged measurement after baseline: the subject, time and
    outcome columns (named as in the data), ``expected``, ``bound``, ``z_worse``
    (:math:`-d(y - \\mu)/SD`), ``beyond_band``, ``fold``.
    """

    measurements: pd.DataFrame = field(default_factory=pd.DataFrame)

    title = "Not on track"


# ============================================================================ the verb
def not_on_track(
    data: pd.DataFrame,
    *,
    subject: Hashable,
    time: Hashable,
    outcome: Hashable,
    better_is: Literal["lower", "higher"] | None = None,
    level: float = 0.90,
    reference: Any = None,
    folds: int = 5,
    seed: int = 0,
    interaction: bool = True,
    time_offset: float = 0.0,
    group: Hashable | None = None,
    ci: float = 0.95,
    instrument: str | None = None,
    scale: str | None = None,
) -> NotOnTrackResult:
    r"""Flag treatment episodes whose scores fall behind the practice's expected curve.

    Parameters
    ----------
    data : DataFrame
        Long data: one row per measurement, with *all* measurements of each episode.
    subject, time, outcome : column names
        Episode (subject) id; numeric time (session number, or weeks since start); score.
    better_is : {"lower", "higher"}
        Direction of improvement (from the registry with ``instrument=``/``scale=``).
    level : float, default 0.90
        One-sided band level (0.90 = "red", 0.80 = "yellow").
    reference : column name or collection of subject ids, optional
        The completed episodes the expected curves are estimated from: a boolean column
        (value at the subject's baseline row) or the ids.  Default: all subjects.
    folds : int, default 5
        K of the K-fold cross-fitting by subject (K >= 2).
    seed : int, default 0
        Seed of the fold assignment (recorded).
    interaction : bool, default True
        Include intake x log(time) (see Notes).
    time_offset : float, default 0
        The model uses :math:`\log(time + time\_offset)`; set 1 when time counts weeks
        from 0.
    group : column name, optional
        Summary per group (the group of each subject's baseline row).
    ci : float, default 0.95
        Level of the Wilson intervals in ``.summary()``.
    instrument, scale : str, optional
        Registry id and scale: ``better_is`` comes from there when not given (source in
        ``meta``).  No ``norms=``: the curves are the practice's own, so the registry's
        norm sets hold nothing this verb uses, and no ``reliability=``: the band is the
        model's prediction band, not a reliable-change criterion.

    Returns
    -------
    NotOnTrackResult
        ``.patients`` (one row per subject in order of first appearance, nobody dropped),
        ``.summary()``, ``.meta``, ``.plot()`` as for ``es.stagnation``, and
        ``.measurements`` (every judged measurement with its expected score and bound).

    Notes
    -----
    Baseline is each subject's earliest non-missing measurement; :math:`d = -1` when lower
    is better, else :math:`+1`.  On the reference subjects' measurements after baseline
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
    at its first measurement after baseline beyond the bound, else judged at its last
    measurement.  Subjects are split into ``folds`` folds (seeded); the curve that judges
    fold *k* is fitted on the reference subjects of the other folds.  Every measurement
    after baseline is a look, so a subject with several measurements is flagged more often
    than :math:`1 - level`; ``meta["rate_measurements_beyond_band"]`` gives the
    per-measurement rate.

    Not evaluable (``reason``, first match wins): ``repeated_session`` (two measurements
    of one subject at the same time; none of its rows is used, as in ``es.stagnation``),
    ``no_valid_measurement``, ``single_measurement``.  Rows with a missing outcome or time
    are ignored and counted (``rows_missing_outcome``, ``rows_missing_time``).

    References
    ----------
    Finch, A. E., Lambert, M. J., & Schaalje, B. G. (2001). Psychotherapy quality control:
    the statistical generation of expected recovery curves for integration into an early
    warning system. *Clinical Psychology & Psychotherapy, 8*\ (4), 231-242.
    https://doi.org/10.1002/cpp.286

    Lambert, M. J., Whipple, J. L., Hawkins, E. J., Vermeersch, D. A., Nielsen, S. L., &
    Smart, D. W. (2003). Is it time for clinicians to routinely track patient outcome? A
    meta-analysis. *Clinical Psychology: Science and Practice, 10*\ (3), 288-301.

    Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects
    models using lme4. *Journal of Statistical Software, 67*\ (1).

    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *JASA, 22*\ (158), 209-212; Newcombe, R. G. (1998). *Statistics in Medicine,
    17*\ (8), 857-872.

    Examples
    --------
    >>> import numpy as np, pandas as pd, effectstudy as es
    >>> rng = np.random.default_rng(1)
    >>> n = 60
    >>> df = pd.DataFrame({"ep": np.repeat(np.arange(n), 4),
    ...                    "session": np.tile([1, 3, 6, 10], n)})
    >>> slope = np.where(np.arange(n) < 50, -15.0, 0.0)  # the last ten do not improve
    >>> df["score"] = (200 + np.repeat(rng.normal(0, 10, n), 4)
    ...                + np.repeat(slope, 4) * np.log(df["session"]) + rng.normal(0, 5, 4 * n))
    >>> res = es.not_on_track(df, subject="ep", time="session", outcome="score",
    ...                       better_is="lower", reference=range(50), folds=5)
    >>> res.patients["status"].iloc[50:].eq("stagnated").all()
    np.True_
    >>> list(res.measurements.columns)
    ['ep', 'session', 'score', 'expected', 'bound', 'z_worse', 'beyond_band', 'fold']
    """
    reg = registry_norms(instrument, scale)
    better_is, bi_source = reg.pick("better_is", better_is)
    d = check_better_is(better_is)
    ci = check_ci(ci)
    level = _check_level(level)
    folds = check_int(folds, "folds", 2)
    seed = check_int(seed, "seed", 0)
    if not isinstance(interaction, bool):
        raise ArgumentTypeError("interaction", interaction, "True or False")
    time_offset = _check_time_offset(time_offset)
    if isinstance(reference, str) and reference not in getattr(data, "columns", ()):
        raise ArgumentError("reference", reference, "a boolean column of data or a "
                            "collection of subject ids")
    check_frame(data, subject=subject, time=time, outcome=outcome, group=group)
    lg = long_data(data, subject, time, outcome)
    ref, ref_meta = _reference_mask(data, reference, lg)

    meta = base_meta("not_on_track", rule="not_on_track", rule_version=RULE_VERSION,
                     better_is=better_is, better_is_source=bi_source, ci=float(ci),
                     ci_method="wilson", baseline="earliest measurement", **ref_meta)
    out, reason, flagged, model_meta, looks = _expected_response(
        lg, d=d, level=level, reference=ref, folds=folds, seed=seed, interaction=interaction,
        time_offset=time_offset, time=time)
    meta.update(model_meta)
    pat, counts = flag_table(data, lg, out, reason, flagged, group=group)
    meta.update(counts)
    code = looks.pop("code")
    ms = pd.DataFrame({subject: lg.uniq.take(code), time: looks.pop("time"),
                       outcome: looks.pop("score"), **looks})
    return NotOnTrackResult(patients=pat, meta=meta, measurements=ms)
