r"""Linear mixed model of pre and post scores: time × group, a random intercept per subject.

:func:`mixed_prepost` fits ``score ~ time * group (+ covariates) + (1 | subject)`` by REML
on **all available measurements**, the sensitivity analysis that keeps subjects with only
a pre (or only a post) score (the completers' analysis is
:func:`effectstudy.models.ancova.ancova`).  The REML solver is
:mod:`effectstudy.kernels.reml`; output in APA form (:mod:`effectstudy.models.apa`).
Checked against R (``lme4::lmer``) in ``tests/reference/models``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from effectstudy.core.checks import check_ci, check_columns, warn_exclusions
from effectstudy.core.errors import DataError
from effectstudy.core.formatting import check_lang
from effectstudy.core.keys import isin
from effectstudy.core.labels import Lang, label
from effectstudy.core.results import Result, base_meta
from effectstudy.data.longdata import prepost_wide
from effectstudy.kernels.reml import (
    reml_intercept_cov_beta,
    reml_intercept_criterion,
    reml_intercept_theta,
)
from effectstudy.models.apa import (
    apa_df,
    apa_number,
    apa_p,
    exclusions_text,
    factor_level_text,
    in_text,
    level_text,
)
from effectstudy.models.design import (
    check_covariates,
    contrast_code,
    covariate_terms,
    factor_levels,
    subject_values,
)

__all__ = ["mixed_prepost", "MixedResult"]


@dataclass(frozen=True, repr=False)
class MixedResult(Result):
    """Result of :func:`mixed_prepost`.

    * ``fixed_effects`` (also :meth:`summary`): ``term, estimate, se, z, p, ci_low,
      ci_high``; terms ``intercept``, ``time`` (post - pre in the reference group),
      ``<group>[<level>]``, ``time:<group>[<level>]`` and covariates (``<name>`` or
      ``<name>[<level>]``).
    * ``variance_components``: ``component, variance, sd`` (``subject_intercept``,
      ``residual``).
    * ``tests``: ``test, chi2, df, p``: the joint Wald test of the time × group
      interaction (empty without a group).
    * ``icc``, ``n_subjects``, ``n_observations``.

    ``patients``: one row per subject used (``n_measurements``, group, covariates);
    ``model``: the statsmodels MixedLM results.
    """

    fixed_effects: pd.DataFrame = None  # type: ignore[assignment]
    variance_components: pd.DataFrame = None  # type: ignore[assignment]
    tests: pd.DataFrame = None  # type: ignore[assignment]
    model: Any = field(default=None, compare=False)
    title = "Linear mixed model (pre/post, random intercept)"
    extra_tables = ("variance_components", "tests")

    def summary(self) -> pd.DataFrame:
        """The fixed effects: ``term, estimate, se, z, p, ci_low, ci_high``."""
        return self.fixed_effects.copy()

    @property
    def icc(self) -> float:
        return float(self.meta["icc"])

    @property
    def n_subjects(self) -> int:
        return int(self.meta["n_used"])

    @property
    def n_observations(self) -> int:
        return int(self.meta["n_observations"])

    def meta_lines(self, lang: Lang = "nl") -> list[str]:
        """The method, the counts, the exclusions, the observations and the ICC, in ``lang``."""
        return [*super().meta_lines(lang),
                f"{label('n_observations', lang)}: {self.n_observations}",
                f"{label('icc', lang)}: {apa_number(self.icc, lang=lang, leading_zero=False)}"]

    def term_text(self, term: str, lang: Lang = "nl") -> str:
        """A fixed-effect term as a reader sees it: ``"Diagnosegroep: niet-aangeboren
        hersenletsel"`` for ``diagnosis[brain_injury]``, ``"Tijd × Diagnosegroep: ..."`` for
        the interaction, covariates by their labels.

        >>> r = _example()
        >>> [r.term_text(t, "nl") for t in r.fixed_effects["term"]]
        ['Intercept', 'Tijd (nameting t.o.v. voormeting)', 'Zorgvorm: specialistische GGZ', 'Tijd × Zorgvorm: specialistische GGZ']
        """
        check_lang(lang)
        parts = {d["term"]: d for d in self.meta.get("terms", [])}
        if term == "intercept":
            return label("intercept", lang)
        if term == "time":
            return "Tijd (nameting t.o.v. voormeting)" if lang == "nl" else "Time (post vs. pre)"
        d = parts.get(term)
        if d is None:
            return label(term, lang)
        text = (label(str(d["variable"]), lang) if d["level"] is None
                else factor_level_text(str(d["variable"]), d["level"], lang))
        return (("Tijd × " if lang == "nl" else "Time × ") + text) if d["time"] else text

    def format(self, lang: Lang = "nl", digits: int = 2) -> pd.DataFrame:
        """The fixed effects as a report shows them, the terms by their labels."""
        out = super().format(lang, digits)
        out.iloc[:, 0] = [self.term_text(t, lang) for t in self.fixed_effects["term"]]
        return out

    def caption(self, lang: Lang = "nl") -> str:
        """A title for the fixed-effects table in ``lang``, naming the reference group.

        >>> _example().caption("en")
        'Fixed effects of the linear mixed model (REML, random intercept per subject) on all available measurements; reference group: basic care (GB-GGZ)'
        """
        check_lang(lang)
        m = self.meta
        nl = lang == "nl"
        text = ("Vaste effecten van het lineaire gemengde model (REML, random intercept per "
                "persoon) op alle beschikbare metingen" if nl else
                "Fixed effects of the linear mixed model (REML, random intercept per subject) on "
                "all available measurements")
        if m.get("group") is not None:
            text += (f"; referentiegroep: {level_text(m['reference_level'], lang)}" if nl
                     else f"; reference group: {level_text(m['reference_level'], lang)}")
        return text

    def apa(self, lang: Lang = "nl", alpha: float = 0.05) -> str:
        """APA-style sentences: model, N, the time effect, the interaction test, the ICC."""
        check_lang(lang)
        nl = lang == "nl"
        m = self.meta
        fe = self.fixed_effects.set_index("term")
        g = m["group"]

        def coef(term: str) -> str:
            r = fe.loc[term]
            return (f"b = {apa_number(r['estimate'], lang=lang)}, SE = "
                    f"{apa_number(r['se'], lang=lang)}, z = {apa_number(r['z'], lang=lang)}, "
                    f"{apa_p(r['p'], lang=lang)}")

        n_both = m["n_both"]
        if nl:
            s1 = (f"Een lineair gemengd model (REML, random intercept per persoon) op alle "
                  f"beschikbare metingen (N = {m['n_used']} personen, {m['n_observations']} "
                  f"metingen; {n_both} met voor- en nameting)")
        else:
            s1 = (f"A linear mixed model (REML, random intercept per subject) on all available "
                  f"measurements (N = {m['n_used']} subjects, {m['n_observations']} "
                  f"observations; {n_both} with both measurements)")
        if g is None:
            s1 += (f" gaf een verandering van voor- naar nameting van {coef('time')}." if nl
                   else f" estimated the change from pre to post as {coef('time')}.")
            parts = [s1]
        else:
            ref = level_text(m["group_levels"][0], lang)
            g = in_text(str(g), lang)
            s1 += (f" gaf in de referentiegroep {ref} een verandering van voor- naar nameting "
                   f"van {coef('time')}." if nl else
                   f" estimated the change from pre to post in the reference group {ref} as "
                   f"{coef('time')}.")
            parts = [s1]
            if len(self.tests):
                t = self.tests.iloc[0]
                sig = t["p"] < alpha
                chi = (f"χ²({apa_df(t['df'], lang)}) = {apa_number(t['chi2'], lang=lang)}, "
                       f"{apa_p(t['p'], lang=lang)}")
                parts.append(
                    f"De interactie tijd × {g} was {'' if sig else 'niet '}significant "
                    f"(Wald-toets), {chi}." if nl else
                    f"The time × {g} interaction was {'' if sig else 'not '}significant "
                    f"(Wald test), {chi}.")
        icc = apa_number(self.icc, lang=lang, leading_zero=False)
        parts.append(f"De intraklassecorrelatie was {icc}." if nl
                     else f"The intraclass correlation was {icc}.")
        if m["exclusions"]:
            n_ex = m["n_original"] - m["n_used"]
            why = exclusions_text(m, lang).split(": ", 1)[1].rstrip(").")
            parts.append(f"{n_ex} van {m['n_original']} personen zijn uitgesloten ({why})."
                         if nl else
                         f"{n_ex} of {m['n_original']} subjects were excluded ({why}).")
        return " ".join(parts)


def mixed_prepost(
    data: pd.DataFrame,
    *,
    subject: Hashable,
    time: Hashable,
    outcome: Hashable,
    pre: Any,
    post: Any,
    group: Hashable | None = None,
    covariates: Sequence[Hashable] | None = None,
    ci: float = 0.95,
) -> MixedResult:
    r"""Linear mixed model of the pre and post scores: time × group, random intercept.

    .. math::

        y_{it} = \beta_0 + \beta_1 t + \sum_j \alpha_j g_{ij} + \sum_j \delta_j t\,g_{ij}
                 + \gamma' x_i + u_i + \varepsilon_{it},\quad
        u_i \sim N(0, \tau^2),\ \varepsilon_{it} \sim N(0, \sigma^2)

    with :math:`t = 0` at pre and 1 at post, treatment (dummy) coding of the group with the
    first level as reference (R's default), fitted by REML (statsmodels ``MixedLM``).

    **All available data**: every subject with at least one non-missing score at ``pre``
    or ``post`` is used, so subjects without a post measurement contribute their pre score.
    Under missing-at-random this is the sensitivity analysis for the completers'
    :func:`ancova`.

    Parameters
    ----------
    data : DataFrame
        Long data: one row per subject and occasion.
    subject, time, outcome : column names
    pre, post : values of ``time``
    group : column name, optional
        Between-subjects factor; without it the model is ``score ~ time``.
    covariates : list of column names, optional
        Subject-level covariates (numeric: linear, uncentred; otherwise factors, treatment
        coded).  Taken from the pre row, or the post row of a subject without one.
    ci : float, default 0.95
        Level of the Wald confidence intervals of the fixed effects.

    Returns
    -------
    MixedResult
        ``.summary()`` / ``.fixed_effects``: ``term, estimate, se, z, p, ci_low, ci_high``;
        ``.variance_components``: ``component, variance, sd``; ``.tests``: ``test, chi2,
        df, p``; ``.icc``, ``.n_subjects``, ``.n_observations``, ``.apa(lang)``.

    Notes
    -----
    Fixed-effect standard errors are :math:`\sqrt{\mathrm{diag}(X'\hat V^{-1}X)^{-1}}` at
    the REML estimates, as lme4, SPSS MIXED and SAS PROC MIXED report them (statsmodels'
    own ``bse_fe`` inverts the observed information including the covariance parameters,
    which differs in the third digit).  Tests are Wald z-tests (no denominator degrees of
    freedom); the time × group interaction is tested jointly with
    :math:`\chi^2 = \hat\delta' \hat V_\delta^{-1} \hat\delta` on :math:`k - 1` df.
    :math:`ICC = \tau^2 / (\tau^2 + \sigma^2)`.

    **Fitting.**  statsmodels ``MixedLM`` (BFGS, gradient norm below 1e-8) on the outcome
    standardised to mean 0 and SD 1 (estimates are transformed back exactly, so the
    convergence criterion does not depend on the outcome's unit); L-BFGS-B when BFGS does
    not converge.  When neither converges (typically when :math:`\hat\tau^2 = 0`), the
    exact one-dimensional profile REML criterion in :math:`\theta = \tau^2/\sigma^2` is
    minimised instead.  A converged statsmodels fit is then polished by the same exact
    profile (bounded Brent search in :math:`\log\theta`, tolerance 1e-10), so the estimates
    do not depend on the optimizer's path (row order, level coding); ``meta["optimizer"]``
    says what was used.  A **boundary (singular)
    fit**, :math:`\hat\tau^2 = 0` (pre and post scores not positively correlated within
    subjects), emits a ``statsmodels`` ``ConvergenceWarning`` and sets
    ``meta["singular"]``; its fixed effects are those of OLS.  statsmodels' own fit
    warnings are collected in ``meta["fit_warnings"]`` and re-emitted as
    ``ConvergenceWarning`` only when the exact profile does not improve on its fit.

    Validated against R 4.2.2, ``lme4::lmer(score ~ time * group + (1 | id), REML = TRUE)``
    with a tight bobyqa tolerance (``tests/reference/models``).

    References
    ----------
    Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects
    models using lme4. *Journal of Statistical Software, 67*\ (1), 1-48.
    https://doi.org/10.18637/jss.v067.i01

    Twisk, J. W. R. (2013). *Applied longitudinal data analysis for epidemiology* (2nd
    ed.). Cambridge University Press.

    Examples
    --------
    >>> import pandas as pd, effectstudy as es
    >>> df = pd.DataFrame({
    ...     "id": list(range(8)) * 2, "t": ["pre"] * 8 + ["post"] * 8,
    ...     "y": [30, 25, 28, 35, 22, 27, 31, 26, 20, 24, 21, 30, 15, 26, 29, 22.0]})
    >>> r = es.mixed_prepost(df, subject="id", time="t", outcome="y", pre="pre", post="post")
    >>> r.summary()[["term", "estimate", "se", "z"]].round(3)
            term  estimate     se       z
    0  intercept    28.000  1.592  17.587
    1       time    -4.625  1.149  -4.027
    >>> print(r.apa("en"))
    A linear mixed model (REML, random intercept per subject) on all available measurements (N = 8 subjects, 16 observations; 8 with both measurements) estimated the change from pre to post as b = -4.63, SE = 1.15, z = -4.03, p < .001. The intraclass correlation was .74.
    """
    ci = check_ci(ci)
    check_columns(data, subject=subject, time=time, outcome=outcome, group=group)
    covs = check_covariates(covariates, data, {"subject": subject, "time": time,
                                                "outcome": outcome, "group": group})
    pp, rows, sv, exclusions = _available_measurements(
        data, subject=subject, time=time, outcome=outcome, pre=pre, post=post, group=group,
        covs=covs)
    n_used = len(sv)
    warn_exclusions(pp.n_original, n_used, exclusions)
    rows = rows[isin(rows[subject], sv.index)]
    if n_used < 2:
        raise DataError(f"{n_used} subject(s) with a measurement; a mixed model needs more",
                        expected="at least 2 subjects")

    codes, uniq = pd.factorize(rows[subject])
    svr = sv.reindex(uniq)
    y = rows[outcome].to_numpy(dtype=float)
    X, names, levels, terms = _mixed_design(
        svr, codes, (rows[time] == post).to_numpy(dtype=float), group, covs)
    n_obs = y.size
    # fit on the standardised outcome so that the optimizer's tolerance is relative to the
    # outcome's scale; estimates are transformed back exactly (affine equivariance)
    y_mean = float(y.mean())
    y_sd = float(y.std()) or 1.0
    ys = (y - y_mean) / y_sd
    res, theta, beta_s, sigma2_s, crit_s, optimizer, fit_warnings = _fit_random_intercept(
        ys, X, codes)
    singular = theta <= 1e-8
    if singular:
        from statsmodels.tools.sm_exceptions import ConvergenceWarning

        warnings.warn(
            "mixed model: boundary (singular) fit: the subject-intercept variance is "
            "estimated at 0 (the pre and post scores are not positively correlated within "
            "subjects); the fixed effects equal those of ordinary least squares",
            ConvergenceWarning, stacklevel=2)
    tau2 = theta * sigma2_s * y_sd ** 2
    sigma2 = sigma2_s * y_sd ** 2
    cov = reml_intercept_cov_beta(X, codes, tau2, sigma2)
    beta = beta_s * y_sd
    beta[0] += y_mean
    fe, vc, tests = _mixed_tables(names, beta, cov, tau2, sigma2, ci)
    n_meas = np.bincount(codes)
    patients = svr.copy()
    patients.insert(0, "n_measurements", n_meas)
    icc = tau2 / (tau2 + sigma2)
    readable = f"{outcome} ~ time" + (f" * {group}" if group is not None else "") + \
        "".join(f" + {c}" for c in covs) + f" + (1 | {subject})"
    meta = base_meta(
        "mixedlm_reml", formula=readable, time_coding={str(pre): 0, str(post): 1},
        contrasts="treatment (first level is the reference)", reference_level=(
            levels[0] if levels else None), ci=ci, se="(X'V^-1X)^-1 at the REML estimates",
        nan_policy="all available measurements", outcome=outcome, pre=pre, post=post,
        group=group, covariates=list(covs), group_levels=list(levels), terms=terms,
        n_original=pp.n_original, n_used=n_used, n_observations=int(n_obs),
        n_both=int((n_meas == 2).sum()), exclusions=exclusions,
        rows_other_time=pp.rows_other_time, icc=icc,
        # REML density of the n - p error contrasts: Jacobian y_sd^(n - p)
        reml_criterion=crit_s + 2 * (n_obs - X.shape[1]) * math.log(y_sd),
        optimizer=optimizer, singular=bool(singular),
        fit_warnings=fit_warnings)
    return MixedResult(patients=patients, meta=meta, fixed_effects=fe,
                       variance_components=vc, tests=tests, model=res)


# -- the steps of mixed_prepost -----------------------------------------------------------
def _available_measurements(data: pd.DataFrame, *, subject: Hashable, time: Hashable,
                            outcome: Hashable, pre: Any, post: Any, group: Hashable | None,
                            covs: list) -> tuple[Any, pd.DataFrame, pd.DataFrame, dict]:
    """The checked pre/post data (``prepost_wide``), the rows with a score at ``pre`` or
    ``post``, the subject-level values (group, covariates) of the subjects usable, and
    the exclusions per reason."""
    # the checks of long pre/post data (levels, numeric outcome, ids, duplicates)
    pp = prepost_wide(data, subject=subject, time=time, outcome=outcome, pre=pre, post=post,
                      group=group, warn=False)
    tv = data[time]
    at_pp = ((tv == pre) | (tv == post)).to_numpy()
    y_all = pd.to_numeric(data[outcome]).to_numpy(dtype=float, na_value=np.nan)
    rows = data.loc[at_pp & ~np.isnan(y_all), [subject, time, outcome]]
    extra = ([group] if group is not None else []) + covs
    sv = subject_values(data, subject=subject, time=time, pre=pre, post=post,
                        columns=extra)
    exclusions: dict[str, int] = {}
    measured = pd.Index(pd.unique(rows[subject]))
    n_none = pp.n_original - len(measured)
    if n_none:
        exclusions["no_measurement"] = int(n_none)
    sv = sv.reindex(measured)
    if group is not None:
        gm = sv[group].isna().to_numpy()
        if gm.any():
            exclusions["missing_group"] = int(gm.sum())
        sv = sv[~gm]
    if covs:
        cm = sv[covs].isna().any(axis=1).to_numpy()
        if cm.any():
            exclusions["missing_covariate"] = int(cm.sum())
        sv = sv[~cm]
    return pp, rows, sv, exclusions


def _mixed_design(svr: pd.DataFrame, codes: np.ndarray, t01: np.ndarray,
                  group: Hashable | None, covs: list) -> tuple[np.ndarray, list[str], list, list]:
    """Fixed-effects design ``intercept, time[, group][, covariates][, time:group]``
    (treatment coding), its column names, the group levels and what each column beyond
    intercept and time stands for (``term, variable, level, time``: the labels of a
    display); checks full rank."""
    n_obs = t01.size
    blocks = [np.ones((n_obs, 1)), t01[:, None]]
    names = ["intercept", "time"]
    levels: list = []
    terms: list[dict[str, Any]] = []
    if group is not None:
        levels = factor_levels(svr[group])
        if len(levels) < 2:
            raise DataError(f"{len(levels)} group(s) in {group!r} among the subjects used",
                            column=str(group), value=levels, expected="2 or more groups")
        gx = contrast_code(svr[group].to_numpy()[codes], levels, "treatment")
        blocks.append(gx)
        names += [f"{group}[{lev}]" for lev in levels[1:]]
        terms += [{"term": f"{group}[{lev}]", "variable": group, "level": lev, "time": False}
                  for lev in levels[1:]]
    if covs:
        for t in covariate_terms(covs, svr[covs].iloc[codes].reset_index(drop=True),
                                 "treatment"):
            blocks.append(t.X)
            names += t.columns
            levs = t.levels[1:] if t.kind == "factor" else [None]
            terms += [{"term": col, "variable": t.name, "level": lev, "time": False}
                      for col, lev in zip(t.columns, levs, strict=True)]
    if group is not None:
        blocks.append(t01[:, None] * gx)
        names += [f"time:{group}[{lev}]" for lev in levels[1:]]
        terms += [{"term": f"time:{group}[{lev}]", "variable": group, "level": lev, "time": True}
                  for lev in levels[1:]]
    X = np.hstack(blocks)
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise DataError("the fixed-effects design is rank deficient (a covariate is collinear "
                        "with time, the group or another covariate)",
                        expected="covariates that are not linear combinations of each other")
    return X, names, levels, terms


def _fit_random_intercept(ys: np.ndarray, X: np.ndarray, codes: np.ndarray) -> tuple:
    """REML fit of the random-intercept model on the standardised outcome ``ys``:
    ``(res, theta, beta, sigma2, crit, optimizer, fit_warnings)``.

    statsmodels ``MixedLM`` (BFGS, then L-BFGS-B), polished by (or, when it does not
    converge, replaced by) the exact profile
    (:func:`~effectstudy.kernels.reml.reml_intercept_theta`); ``res`` is the statsmodels
    result or None.
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    md = sm.MixedLM(ys, X, groups=codes, exog_re=np.ones((ys.size, 1)))
    res = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        # BFGS to a gradient norm of 1e-8 (the REML criterion then agrees with lme4's to
        # ~1e-12); L-BFGS-B (statsmodels' default) only when BFGS does not converge
        for method, kw in ((["bfgs"], {"gtol": 1e-8}), (["lbfgs"], {})):
            try:
                attempt = md.fit(reml=True, method=method, maxiter=2000, **kw)
            except np.linalg.LinAlgError:  # singular information near the boundary
                continue
            if attempt.converged:
                res = attempt
                break
    fit_warnings = []
    for w in caught:
        # statsmodels' own fit diagnostics (convergence, singular or non-invertible
        # matrices) are collected; anything else is passed on unchanged
        if w.category.__module__ == "statsmodels.tools.sm_exceptions":
            fit_warnings.append(str(w.message))
        else:  # pragma: no cover
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if res is not None:
        optimizer = f"statsmodels MixedLM ({'BFGS' if method == ['bfgs'] else 'L-BFGS-B'})"
        theta = float(np.asarray(res.cov_re)[0, 0]) / float(res.scale)
        beta_s = np.asarray(res.fe_params, dtype=float)
        sigma2_s = float(res.scale)
        crit_s = float(-2 * res.llf)
    else:
        # statsmodels stopped without converging (typically at the boundary tau^2 = 0):
        # minimise the exact one-dimensional profile REML criterion instead
        optimizer = "profile REML over tau^2/sigma^2 (statsmodels did not converge)"
        theta = reml_intercept_theta(ys, X, codes)
        crit_s, beta_s, sigma2_s = reml_intercept_criterion(theta, ys, X, codes)
    # Polish: profiled over beta and sigma^2 the REML criterion is one-dimensional in
    # theta = tau^2 / sigma^2.  Minimising it to 1e-10 makes the estimates independent of the
    # optimizer's path (row order, level coding), where statsmodels' stopping point differs
    # by ~1e-5 relative.
    theta_p = reml_intercept_theta(ys, X, codes)
    crit_p, beta_p, sigma2_p = reml_intercept_criterion(theta_p, ys, X, codes)
    if res is not None and crit_p <= crit_s + 1e-9:
        theta, crit_s, beta_s, sigma2_s = theta_p, crit_p, beta_p, sigma2_p
        optimizer += ", polished by the profile REML over tau^2/sigma^2"
    elif res is not None:  # pragma: no cover - the exact profile did not improve on statsmodels
        for msg in fit_warnings:
            # attributed to the caller of mixed_prepost
            warnings.warn(f"mixed model: {msg}", ConvergenceWarning, stacklevel=3)
    return res, theta, beta_s, sigma2_s, crit_s, optimizer, fit_warnings


def _mixed_tables(names: list[str], beta: np.ndarray, cov: np.ndarray, tau2: float,
                  sigma2: float, ci: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Fixed effects with Wald z tests and CIs, variance components, and the joint Wald
    test of the time x group interaction (empty without a group)."""
    se = np.sqrt(np.diag(cov))
    z = beta / se
    zq = stats.norm.ppf((1 + ci) / 2)
    fe = pd.DataFrame({"term": names, "estimate": beta, "se": se, "z": z,
                       "p": 2 * stats.norm.sf(np.abs(z)),
                       "ci_low": beta - zq * se, "ci_high": beta + zq * se})
    vc = pd.DataFrame({"component": ["subject_intercept", "residual"],
                       "variance": [tau2, sigma2], "sd": [math.sqrt(tau2), math.sqrt(sigma2)]})
    tests = pd.DataFrame(columns=["test", "chi2", "df", "p"])
    idx = [i for i, n in enumerate(names) if n.startswith("time:")]
    if idx:
        b = beta[idx]
        chi2 = float(b @ np.linalg.solve(cov[np.ix_(idx, idx)], b))
        tests = pd.DataFrame({"test": ["time_x_group"], "chi2": [chi2], "df": [len(idx)],
                              "p": [float(stats.chi2.sf(chi2, len(idx)))]})
    return fe, vc, tests


def _example() -> MixedResult:
    """A small mixed model for the doctests: two care types, 8 subjects."""
    df = pd.DataFrame({
        "id": list(range(8)) * 2, "t": ["pre"] * 8 + ["post"] * 8,
        "y": [30, 25, 28, 35, 22, 27, 31, 26, 20, 24, 21, 30, 15, 26, 29, 22.0],
        "ct": ["basic", "specialised"] * 8})
    df = df.rename(columns={"ct": "care_type"})
    return mixed_prepost(df, subject="id", time="t", outcome="y", pre="pre", post="post",
                         group="care_type")
