r"""Trajectories: a linear mixed model over every measurement of every episode.

:func:`trajectories` is the sensitivity analysis beside the completers' pre/post results:
it uses all measurements (intake, interim, post) of all episodes, including clients
without a post measurement, in the model

.. math::

    y_{ij} = \beta_{0g} + \beta_{1g} f(t_{ij}) + b_{0i} + b_{1i} f(t_{ij}) + e_{ij},\qquad
    (b_{0i}, b_{1i}) \sim N(0, D),\quad e_{ij} \sim N(0, \sigma^2)

(subject :math:`i` in group :math:`g`, :math:`f` = ``time_transform``), fitted by REML.
Under this model, missing post measurements are *missing at random* given the earlier
measurements: a dropout's early scores still inform the mean curve, which the completers'
pre/post comparison ignores.  The two answers side by side show how much the completer
selection matters.

The default engine (``engine="reml"``) profiles the REML criterion of Bates et al. (2015)
from per-subject sums, vectorised over subjects (:func:`effectstudy.kernels.reml_random_slope`:
each evaluation a handful of 2x2 operations per design), so 10,000 episodes fit in well
under a second;
``engine="statsmodels"`` fits the same model with ``statsmodels`` ``MixedLM``.  Both are
checked against R lme4 in ``tests/reference/trajectories``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from effectstudy import kernels
from effectstudy.core.checks import check_choice, check_ci, check_columns
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError, DataQualityWarning
from effectstudy.core.keys import isin
from effectstudy.core.labels import label, register
from effectstudy.core.plotting import axes
from effectstudy.core.results import TablesResult, base_meta

__all__ = ["trajectories", "TrajectoryResult", "TIME_TRANSFORMS"]

TIME_TRANSFORMS = ("log", "log1p", "linear")

register({
    "term": {"nl": "Term", "en": "Term"},
    "se": {"nl": "SE", "en": "SE"},
    "z": {"nl": "z", "en": "z"},
    "n_subjects": {"nl": "n cliënten", "en": "n subjects"},
    "n_obs": {"nl": "n metingen", "en": "n measurements"},
    "n_with_post": {"nl": "n met nameting", "en": "n with post"},
    "n_single_obs": {"nl": "n met één meting", "en": "n with one measurement"},
    "time_from": {"nl": "Van", "en": "From"},
    "time_to": {"nl": "Tot", "en": "To"},
    "mean_from": {"nl": "Gem. begin", "en": "Mean at start"},
    "mean_to": {"nl": "Gem. eind", "en": "Mean at end"},
    "observed": {"nl": "waargenomen", "en": "observed"},
    "model": {"nl": "model", "en": "model"},
    "sd_intercept": {"nl": "SD intercept", "en": "SD intercept"},
    "sd_slope": {"nl": "SD helling", "en": "SD slope"},
    "sigma": {"nl": "Residuele SD", "en": "Residual SD"},
})


# -- REML kernel ---------------------------------------------------------------------------
def reml_fit(subj: np.ndarray, grp_of_subj: np.ndarray, k: int, f: np.ndarray,
             y: np.ndarray) -> dict[str, Any]:
    """Fit the model by minimising the profiled REML criterion (3 covariance parameters):
    :func:`effectstudy.kernels.reml_random_slope` with the cell-means design (per group an
    intercept and a slope on :math:`f(t)`) and the random slope on :math:`f(t)`.

    Returns the cell-means estimates (intercept and slope per group), their covariance,
    the variance components, the REML criterion and the subjects' conditional modes.
    """
    g_obs = grp_of_subj[subj]
    x = np.zeros((y.size, 2 * k))
    rows = np.arange(y.size)
    x[rows, 2 * g_obs] = 1.0
    x[rows, 2 * g_obs + 1] = f
    fit = kernels.reml_random_slope(subj, x, f, y, n_subjects=grp_of_subj.size)
    return dict(beta_cell=fit.beta, cov_cell=fit.cov_beta, theta=fit.theta,
                sigma=fit.sigma, sd_intercept=fit.sd_intercept, sd_slope=fit.sd_slope,
                cor=fit.cor, reml_criterion=fit.reml_criterion, converged=fit.converged,
                singular=fit.singular, eb_intercept=fit.ranef[:, 0],
                eb_slope=fit.ranef[:, 1], optimizer=fit.optimizer,
                n_evaluations=fit.n_evaluations, n_designs=fit.n_designs)


def _statsmodels_fit(subj: np.ndarray, grp_of_subj: np.ndarray, k: int, f: np.ndarray,
                     y: np.ndarray) -> dict[str, Any]:
    """The same model with ``statsmodels`` MixedLM (REML), cell-means fixed effects."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    g_obs = grp_of_subj[subj]
    x = np.zeros((y.size, 2 * k))
    x[np.arange(y.size), 2 * g_obs] = 1.0
    x[np.arange(y.size), 2 * g_obs + 1] = f
    z = np.column_stack([np.ones_like(f), f])
    model = sm.MixedLM(y, x, groups=subj, exog_re=z)
    caught: list[str] = []
    fit = None
    # ConvergenceWarnings are recorded, not silenced: a fit whose final optimizer did not
    # converge raises a DataQualityWarning naming them below
    for method in (["lbfgs"], ["bfgs"], ["powell", "lbfgs"]):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always", ConvergenceWarning)
            try:
                cand = model.fit(reml=True, method=method, maxiter=2000)
            except np.linalg.LinAlgError as exc:  # pragma: no cover - degenerate data
                caught.append(f"{method}: {exc}")
                continue
        msgs = [str(w.message) for w in rec if issubclass(w.category, ConvergenceWarning)]
        for w in rec:
            if not issubclass(w.category, ConvergenceWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        caught += [f"{'+'.join(method)}: {m}" for m in msgs]
        if fit is None or cand.llf > fit.llf:
            fit = cand
        if cand.converged and not msgs:
            break
    cov_re = np.asarray(fit.cov_re)
    sd0, sd1 = math.sqrt(cov_re[0, 0]), math.sqrt(cov_re[1, 1])
    cor = cov_re[0, 1] / (sd0 * sd1) if sd0 > 0 and sd1 > 0 else float("nan")
    sigma = math.sqrt(fit.scale)
    re = fit.random_effects
    keys = np.arange(grp_of_subj.size)
    eb = np.array([np.asarray(re[kk]) for kk in keys]) if len(re) else np.zeros((0, 2))
    return dict(beta_cell=np.asarray(fit.fe_params), cov_cell=np.asarray(fit.cov_params())[
        :2 * k, :2 * k], theta=None, sigma=sigma, sd_intercept=sd0, sd_slope=sd1, cor=cor,
        reml_criterion=float(-2 * fit.llf), converged=bool(fit.converged),
        singular=bool(sd0 < 1e-4 * sigma or sd1 < 1e-4 * sigma),
        eb_intercept=eb[:, 0], eb_slope=eb[:, 1], optimizer="statsmodels MixedLM",
        convergence_warnings=caught)


# -- result ----------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class TrajectoryResult(TablesResult):
    """Result of :func:`trajectories`.

    ``patients`` (index = subject): ``[group,] n_obs, first_time, last_time[, has_post],
    eb_intercept, eb_slope`` (conditional modes of the random effects).
    ``data``: the measurements used (``subject, time, f_time, outcome[, group]``).
    """

    data: pd.DataFrame = None  # type: ignore[assignment]
    title = "Trajectories (mixed model)"

    def summary(self) -> pd.DataFrame:
        """Estimated mean change per group from ``time_from`` to ``time_to``:
        ``[group,] n_subjects, n_obs, n_with_post, n_single_obs, time_from, time_to,
        mean_from, mean_to, estimate, se, ci_low, ci_high, p`` (Wald z)."""
        return self.tables["change"].copy()

    def fixed_effects(self) -> pd.DataFrame:
        """``term, estimate, se, z, p, ci_low, ci_high`` in R's order and naming
        (treatment contrasts against the first group)."""
        return self.tables["fixed_effects"].copy()

    def random_effects(self) -> pd.DataFrame:
        """``sd_intercept, sd_slope, cor, sigma, reml_criterion, n_subjects, n_obs``."""
        return self.tables["random_effects"].copy()

    def predict(self, time: Any, group: Any = None) -> np.ndarray:
        """Model-implied mean at ``time`` (array) for ``group`` (the level; ignored when
        ungrouped)."""
        t = np.asarray(time, dtype=float)
        j = 0
        if self.meta["groups"] is not None:
            if group not in self.meta["groups"]:
                raise ArgumentError("group", group, f"one of {self.meta['groups']}")
            j = self.meta["groups"].index(group)
        b = self.meta["cell_estimates"][j]
        return b[0] + b[1] * transform(t, self.meta["time_transform"])

    def observed_means(self, bins: Any = None) -> pd.DataFrame:
        """Observed mean outcome per time bin and group: ``[group,] bin, time, n, mean,
        se`` (``time`` = mean time in the bin).  ``bins``: bin edges (left-closed); default
        every distinct time when there are at most 12, else quantile bins."""
        d = self.data
        t = d["time"].to_numpy(dtype=float)
        if bins is None:
            u = np.unique(t)
            if u.size <= 12:
                edges = np.r_[u, u[-1] + 1]
            else:
                edges = np.unique(np.quantile(t, np.linspace(0, 1, 11)))
                edges[-1] = edges[-1] + 1e-9 * max(1.0, abs(edges[-1]))
        else:
            edges = np.asarray(bins, dtype=float)
        b = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, edges.size - 2)
        keys = ["group", "_b"] if "group" in d else ["_b"]
        g = d.assign(_b=b).groupby(keys, observed=True, sort=True)
        out = pd.DataFrame({"time": g["time"].mean(), "n": g["outcome"].size(),
                            "mean": g["outcome"].mean(), "se": g["outcome"].sem()}).reset_index()
        out["bin"] = [f"[{edges[i]:g}, {edges[i + 1]:g})" for i in out["_b"]]
        cols = (["group"] if "group" in d else []) + ["bin", "time", "n", "mean", "se"]
        return out[cols]

    def plot(self, ax=None, *, bins: Any = None, lang: str | None = None):
        """Observed means per time bin (points with 95% bars, see :meth:`observed_means`)
        and the model-implied mean curve per group up to the 95th percentile of the times
        (or the last bin), in ``lang`` (default: the result's own language).  The axes name
        the time unit (``meta["time_unit"]``, e.g. ``session``) and the scale when the
        result records them."""
        from effectstudy.core.plotting import describe_figure, group_name, number_ticks, plot_lang
        from effectstudy.outcomes.plots import scale_text

        lang = plot_lang(lang, self.meta)
        ax = axes(ax, figsize=(7, 4.6))
        obs = self.observed_means(bins)
        t = self.data["time"].to_numpy(dtype=float)
        # the model curve spans the bulk of the data (to the 95th percentile of the times),
        # not the sparse long tail where it would be mostly extrapolation
        grid = np.linspace(t.min(), max(float(np.quantile(t, 0.95)), float(obs["time"].max())),
                           200)
        colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
                   "#F0E442", "#000000"]
        levels = self.meta["groups"] or [None]
        for j, g in enumerate(levels):
            c = colours[j % len(colours)]
            o = obs if g is None else obs[obs["group"] == g]
            name = label("all", lang) if g is None else group_name(g, lang)
            ax.errorbar(o["time"], o["mean"], yerr=1.96 * o["se"].fillna(0), fmt="o",
                        color=c, ms=4, capsize=2, alpha=0.8,
                        label=f"{name} ({label('fig_observed', lang)})")
            ax.plot(grid, self.predict(grid, g), color=c, lw=1.8,
                    label=f"{name} ({label('fig_model', lang)})")
        unit = self.meta.get("time_unit")
        ax.set_xlabel(label({"session": "fig_session", "weeks": "fig_weeks"}.get(unit, "fig_time"), lang))
        ax.set_ylabel(scale_text(self.meta, lang) or label("fig_score", lang))
        number_ticks(ax, lang)
        ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
        return describe_figure(ax, title=label("fig_trajectories_title", lang),
                               alt=label("fig_trajectories_alt", lang), data=obs)



def transform(t: np.ndarray, how: str) -> np.ndarray:
    """``log``: :math:`\\log t`; ``log1p``: :math:`\\log(1 + t)`; ``linear``: :math:`t`."""
    if how == "log":
        return np.log(t)
    if how == "log1p":
        return np.log1p(t)
    return t


# -- the verb ---------------------------------------------------------------------------
def trajectories(
    data: pd.DataFrame,
    *,
    subject: Hashable,
    time: Hashable,
    outcome: Hashable,
    group: Hashable | None = None,
    time_transform: Literal["log", "log1p", "linear"] = "log",
    change_between: tuple[float, float] | None = None,
    occasion: Hashable | None = None,
    post: Any = "post",
    engine: Literal["reml", "statsmodels"] = "reml",
    ci: float = 0.95,
) -> TrajectoryResult:
    r"""Mixed model over all measurements: mean trajectory per group and change with CI.

    Parameters
    ----------
    data : DataFrame
        Long data, one row per measurement (e.g. ``es.score(...).scores`` of one scale
        merged with the episodes' group column); completers and non-completers alike.
    subject, time, outcome : column names
        Subject (episode) id, a numeric time (session number, week) and the score.
    group : column name, optional
        A subject-level grouping (constant within subject).  Each group gets its own
        intercept and slope (``outcome ~ f(time) * group``); the random effects'
        covariance and the residual variance are pooled.
    time_transform : {"log", "log1p", "linear"}, default "log"
        :math:`f(t)`: ``"log"`` for session numbers starting at 1 (log-linear
        expected-treatment-response curves; intake at session 1 gives :math:`f = 0`),
        ``"log1p"`` for times starting at 0 (weeks since intake), ``"linear"``.
    change_between : (float, float), optional
        The two times between which the model's mean change is reported; default from the
        smallest observed time to the median of the subjects' last observed times
        (recorded in ``meta``).
    occasion, post : optional
        A column naming the occasion and its value for the post measurement: used only to
        count ``n_with_post`` (the completers).
    engine : {"reml", "statsmodels"}, default "reml"
        ``"reml"``: effectstudy's vectorised profiled-REML fit; ``"statsmodels"``:
        ``statsmodels.regression.mixed_linear_model.MixedLM`` (REML).  Same model.
    ci : float, default 0.95
        Level of the Wald intervals.

    Returns
    -------
    TrajectoryResult
        ``.summary()`` (mean change per group), ``.fixed_effects()``,
        ``.random_effects()``, ``.observed_means()``, ``.predict()``, ``.plot()``,
        ``.patients`` (one row per subject), ``.data``.

    Notes
    -----
    REML criterion (Bates et al. 2015, eq. 41), profiled over :math:`\beta` and
    :math:`\sigma`, with :math:`D = \sigma^2\Lambda\Lambda^\top`, :math:`\Lambda` lower
    triangular (:math:`\theta = (l_{11}, l_{21}, l_{22})`, :math:`l_{11}, l_{22} \ge 0`):

    .. math::

        -2\ell_R(\theta) = \sum_i \log|I + \Lambda^\top Z_i^\top Z_i\Lambda|
          + \log|X^\top W X| + (N - p)\left[1 + \log\frac{2\pi\,r^2(\theta)}{N - p}\right]

    Fixed effects have :math:`\mathrm{Cov}(\hat\beta) = \hat\sigma^2 (X^\top W X)^{-1}`,
    Wald :math:`z` tests and intervals :math:`\hat\beta \pm z_{(1+ci)/2}\,SE` (lme4 gives
    no p-values; with hundreds of subjects the normal reference is adequate).  They are
    reported in R's parametrisation of ``y ~ f(t) * group``: the first group's intercept
    and slope, and differences of the other groups from it.  The mean change of group
    :math:`g` between :math:`t_1` and :math:`t_2` is
    :math:`\hat\beta_{1g}\,(f(t_2) - f(t_1))` with
    :math:`SE = SE(\hat\beta_{1g})\,|f(t_2) - f(t_1)|`.

    Rows with a missing time or outcome are not used (``meta["rows_missing"]``); subjects
    with a missing group are excluded with a :class:`~effectstudy.core.errors.DataQualityWarning`.
    Subjects with a single measurement stay in the model (they inform the intercepts).
    A singular fit (a random-effect SD estimated at 0) warns.

    Validated against R lme4 1.1-31 ``lmer(y ~ log(session) * group + (1 + log(session) |
    id), REML = TRUE)``: ``tests/reference/trajectories``.

    References
    ----------
    Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects
    models using lme4. *Journal of Statistical Software, 67*\ (1).
    https://doi.org/10.18637/jss.v067.i01

    Lutz, W., Martinovich, Z., & Howard, K. I. (1999). Patient profiling: An application
    of random coefficient regression models to depicting the response of a patient to
    outpatient psychotherapy. *JCCP, 67*\ (4), 571-577.

    Size: one pass in pipeline order (argument checks, rows kept with counted exclusions,
    group design, the fit, fixed effects in R's parametrisation, per-subject and change
    tables) over arrays every step shares; kept whole in this step of issue 13, a split
    into these named steps is the natural next step.

    Examples
    --------
    >>> import numpy as np, pandas as pd, effectstudy as es
    >>> rng = np.random.default_rng(1)
    >>> ids = np.repeat(np.arange(60), 4)
    >>> session = np.tile([1, 4, 8, 12], 60).astype(float)
    >>> y = (200 + rng.normal(0, 20, 60)[ids] + (-20 + rng.normal(0, 5, 60)[ids])
    ...      * np.log(session) + rng.normal(0, 8, ids.size))
    >>> d = pd.DataFrame({"id": ids, "session": session, "score": y})
    >>> tr = es.trajectories(d, subject="id", time="session", outcome="score",
    ...                      change_between=(1, 12))
    >>> tr.fixed_effects()[["term", "estimate"]].round(1)
               term  estimate
    0   (Intercept)     197.9
    1  log(session)     -20.2
    >>> tr.summary()[["n_subjects", "n_obs", "estimate"]].round(1)
       n_subjects  n_obs  estimate
    0          60    240     -50.3
    """
    check_columns(data, subject=subject, time=time, outcome=outcome, group=group,
                  occasion=occasion)
    check_choice("time_transform", time_transform, TIME_TRANSFORMS)
    check_choice("engine", engine, ("reml", "statsmodels"))
    ci = check_ci(ci)
    for arg, col in (("time", time), ("outcome", outcome)):
        s = data[col]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            raise ArgumentTypeError(arg, f"column {col!r} of dtype {s.dtype}",
                                    "a numeric column")
    tv = data[time].to_numpy(dtype=float, na_value=np.nan)
    yv = data[outcome].to_numpy(dtype=float, na_value=np.nan)
    for col, v in ((time, tv), (outcome, yv)):
        if np.isinf(v).any():
            i = int(np.flatnonzero(np.isinf(v))[0])
            raise DataError("infinite value", row=data.index[i], column=str(col), value=float(v[i]),
                            expected="a finite number")
    if data[subject].isna().any():
        i = int(np.flatnonzero(data[subject].isna().to_numpy())[0])
        raise DataError("missing subject id", row=data.index[i], column=str(subject),
                        value=None, expected="an id in every row")
    n_original = int(data[subject].nunique())
    miss = np.isnan(tv) | np.isnan(yv)
    minimum = {"log": 0.0, "log1p": -1.0}.get(time_transform)
    if minimum is not None:
        bad = ~miss & (tv <= minimum)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"time not in the domain of time_transform={time_transform!r}",
                            row=data.index[i], column=str(time), value=float(tv[i]),
                            expected=f"a time > {minimum:g} (use time_transform='log1p' for "
                            "times starting at 0)" if time_transform == "log"
                            else f"a time > {minimum:g}")
    keep = ~miss
    exclusions: dict[str, int] = {}
    gcol = None
    if group is not None:
        gser = data[group]
        gmiss = gser.isna().to_numpy()
        # group must be constant within subject
        chk = pd.DataFrame({"s": data[subject].to_numpy(), "g": gser.to_numpy()})[~gmiss]
        nun = chk.groupby("s", sort=False)["g"].nunique()
        if (nun > 1).any():
            bad_s = nun.index[np.flatnonzero(nun.to_numpy() > 1)[0]]
            raise DataError("group changes within a subject", column=str(group),
                            value=bad_s, expected="one group value per subject "
                            "(a subject-level grouping such as diagnosis)", identifying=True)
        subj_missing_group = set(pd.unique(data[subject].to_numpy()[gmiss])) - set(
            pd.unique(chk["s"]))
        drop = isin(data[subject], subj_missing_group)
        if drop.any():
            exclusions["missing_group"] = len(subj_missing_group)
        keep &= ~drop
        gcol = gser
    sub_ids = data[subject].to_numpy()[keep]
    t = tv[keep]
    y = yv[keep]
    order = np.lexsort((t, pd.factorize(sub_ids)[0]))
    sub_ids, t, y = sub_ids[order], t[order], y[order]
    subj, uniq = pd.factorize(sub_ids)
    m = len(uniq)
    n_no_rows = n_original - m - exclusions.get("missing_group", 0)
    if n_no_rows:
        exclusions["no_complete_measurement"] = n_no_rows
    if gcol is not None:
        # the subject's group: its (single) non-missing value, from any of its rows
        sg = chk.drop_duplicates("s")
        gsub = pd.Series(sg["g"].to_numpy()[pd.Index(sg["s"].to_numpy()).get_indexer(uniq)])
        if isinstance(gcol.dtype, pd.CategoricalDtype):
            present = set(gsub)
            levels = [c for c in gcol.cat.categories if c in present]
        else:
            try:
                levels = sorted(gsub.unique().tolist())
            except TypeError:
                levels = sorted(gsub.unique().tolist(), key=str)
        gcode = pd.Categorical(gsub, categories=levels).codes.astype(np.int64)
    else:
        levels = None
        gcode = np.zeros(m, dtype=np.int64)
    k = 1 if levels is None else len(levels)
    f = transform(t, time_transform)
    # each group needs two subjects and two distinct times to estimate its line
    g_obs = gcode[subj]
    n_subj_g = np.bincount(gcode, minlength=k)
    f_min = np.full(k, np.inf)
    f_max = np.full(k, -np.inf)
    np.minimum.at(f_min, g_obs, f)
    np.maximum.at(f_max, g_obs, f)
    for j in range(k):
        if n_subj_g[j] < 2 or not f_max[j] > f_min[j]:
            name = "all subjects" if levels is None else f"group {levels[j]!r}"
            times = "several times" if f_max[j] > f_min[j] else "a single distinct time"
            raise DataError(f"{name}: {int(n_subj_g[j])} subject(s) and {times}",
                            expected="at least 2 subjects and 2 distinct times per group to "
                            "estimate a trajectory")
    if y.size <= 2 * k + 3:
        raise DataError(f"{y.size} measurements for {2 * k} fixed effects and 4 variance "
                        "parameters", expected="more measurements than parameters")
    if exclusions:
        warnings.warn(f"{sum(exclusions.values())} of {n_original} subjects excluded: "
                      + ", ".join(f"{k_.replace('_', ' ')} {v}" for k_, v in exclusions.items()),
                      DataQualityWarning, stacklevel=2)

    fit = (reml_fit if engine == "reml" else _statsmodels_fit)(subj, gcode, k, f, y)
    if fit["singular"]:
        warnings.warn("the trajectory model fit is singular (a random-effect SD is estimated "
                      f"at about 0: SD intercept {fit['sd_intercept']:.4g}, SD slope "
                      f"{fit['sd_slope']:.4g}); the fixed effects are still valid, the "
                      "random-effect structure is not supported by the data",
                      DataQualityWarning, stacklevel=2)
    if not fit["converged"]:
        warnings.warn("the trajectory model's optimizer did not report convergence "
                      f"({fit.get('convergence_warnings')}); compare engine='reml' and "
                      "'statsmodels'", DataQualityWarning, stacklevel=2)

    # fixed effects in R's treatment parametrisation
    bc, cc = fit["beta_cell"], fit["cov_cell"]
    p = 2 * k
    tmat = np.zeros((p, p))
    tmat[0, 0] = 1
    tmat[1, 1] = 1
    tname = {"log": f"log({time})", "log1p": f"log1p({time})", "linear": str(time)}[
        time_transform]
    names = ["(Intercept)", tname]
    for j in range(1, k):
        r = 1 + j  # group main effect rows 2..k
        tmat[r, 2 * j] = 1
        tmat[r, 0] = -1
        names.append(f"{group}{levels[j]}")
    for j in range(1, k):
        r = k + j
        tmat[r, 2 * j + 1] = 1
        tmat[r, 1] = -1
        names.append(f"{tname}:{group}{levels[j]}")
    est = tmat @ bc
    cov = tmat @ cc @ tmat.T
    se = np.sqrt(np.diag(cov))
    zq = float(stats.norm.ppf(0.5 + ci / 2))
    zval = est / se
    fixed = pd.DataFrame({"term": names, "estimate": est, "se": se, "z": zval,
                          "p": 2 * stats.norm.sf(np.abs(zval)), "ci_low": est - zq * se,
                          "ci_high": est + zq * se})

    # per subject
    n_obs_s = np.bincount(subj, minlength=m)
    last = np.full(m, -1)
    last[subj] = np.arange(subj.size)
    first = np.full(m, -1)
    first[subj[::-1]] = np.arange(subj.size)[::-1]
    pat = pd.DataFrame(index=pd.Index(uniq, name=subject))
    if levels is not None:
        pat["group"] = pd.Categorical.from_codes(gcode, categories=levels) if isinstance(
            gcol.dtype, pd.CategoricalDtype) else np.asarray(levels, dtype=object)[gcode]
    pat["n_obs"] = n_obs_s
    pat["first_time"] = t[first]
    pat["last_time"] = t[last]
    if occasion is not None:
        occ = data[occasion].to_numpy()[keep][order]
        is_post = np.asarray(pd.Series(occ) == post, dtype=bool)
        pat["has_post"] = np.bincount(subj, weights=is_post, minlength=m) > 0
    pat["eb_intercept"] = fit["eb_intercept"]
    pat["eb_slope"] = fit["eb_slope"]

    # change between two times
    if change_between is None:
        t1, t2 = float(t.min()), float(np.median(t[last]))
        cb_source = "smallest observed time to the median of the subjects' last times"
    else:
        ok = (isinstance(change_between, (tuple, list)) and len(change_between) == 2
              and all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                      for v in change_between))
        if not ok or not change_between[0] < change_between[1]:
            raise ArgumentError("change_between", change_between,
                                "two times (from, to) with from < to, e.g. (1, 20)")
        t1, t2 = float(change_between[0]), float(change_between[1])
        if minimum is not None and t1 <= minimum:
            raise ArgumentError("change_between", change_between,
                                f"times > {minimum:g} for time_transform={time_transform!r}")
        cb_source = "argument"
    df1, df2 = (float(v) for v in transform(np.array([t1, t2]), time_transform))
    delta = df2 - df1
    slopes = bc[1::2]
    intercepts = bc[0::2]
    se_slope = np.sqrt(np.diag(cc)[1::2])
    chg = slopes * delta
    chg_se = se_slope * abs(delta)
    zc = chg / chg_se
    n_single = np.bincount(gcode, weights=(n_obs_s == 1), minlength=k).astype(int)
    change = pd.DataFrame({
        "n_subjects": n_subj_g,
        "n_obs": np.bincount(g_obs, minlength=k),
        "n_with_post": (np.bincount(gcode, weights=pat["has_post"].to_numpy(), minlength=k)
                        .astype(int) if occasion is not None else np.full(k, np.nan)),
        "n_single_obs": n_single,
        "time_from": t1, "time_to": t2,
        "mean_from": intercepts + slopes * df1, "mean_to": intercepts + slopes * df2,
        "estimate": chg, "se": chg_se, "ci_low": chg - zq * chg_se, "ci_high": chg + zq * chg_se,
        "p": 2 * stats.norm.sf(np.abs(zc)),
    })
    if levels is not None:
        change.insert(0, "group", pd.Series(levels, dtype=object))
    ranef = pd.DataFrame([{"sd_intercept": fit["sd_intercept"], "sd_slope": fit["sd_slope"],
                           "cor": fit["cor"], "sigma": fit["sigma"],
                           "reml_criterion": fit["reml_criterion"], "n_subjects": m,
                           "n_obs": int(y.size)}])
    used = pd.DataFrame({"subject": sub_ids, "time": t, "f_time": f, "outcome": y})
    if levels is not None:
        used["group"] = np.asarray(levels, dtype=object)[g_obs]
    formula = (f"{outcome} ~ {tname}" + (f" * {group}" if group is not None else "")
               + f" + (1 + {tname} | {subject})")
    meta = base_meta(
        "lmm_reml", engine=engine, formula=formula, time=time, outcome=outcome,
        subject=subject, group=group, groups=levels, time_transform=time_transform,
        change_between=(t1, t2), change_between_source=cb_source, ci=ci,
        ci_method="wald_z", n_original=n_original, n_used=m, n_obs=int(y.size),
        rows_missing=int(miss.sum()), exclusions=exclusions, theta=fit["theta"],
        sd_intercept=fit["sd_intercept"], sd_slope=fit["sd_slope"], cor=fit["cor"],
        sigma=fit["sigma"], reml_criterion=fit["reml_criterion"], singular=fit["singular"],
        converged=fit["converged"], optimizer=fit["optimizer"],
        n_evaluations=fit.get("n_evaluations"), n_designs=fit.get("n_designs"),
        convergence_warnings=fit.get("convergence_warnings", []),
        cell_estimates=[(float(a), float(b)) for a, b in zip(intercepts, slopes, strict=True)],
        occasion=occasion, post=post if occasion is not None else None,
    )
    return TrajectoryResult(patients=pat, meta=meta, data=used,
                            tables={"change": change, "fixed_effects": fixed,
                                    "random_effects": ranef})


