r"""Everyone who started: intention-to-treat effect sizes and categories, the baseline table.

* :func:`itt_frame`: one row per episode with a pre score: ``pre``, ``post`` (missing when
  the episode has no paired post), ``last`` (the last observed score after the pre: the
  last interim measurement, else the pre itself), ``has_interim``, the pairing ``status``
  and episode covariates (``age`` from ``birth_year``).
* :func:`itt_effect` (``es.itt_effect``): the effect size of everyone who started by
  multiple imputation (``method="mi"``) pooled by Rubin's rules
  (:func:`effectstudy.kernels.pooling.rubin_pool`), with completers, LOCF and BOCF as
  sensitivity rows and, when criteria are given, the category shares per method plus the
  honest non-imputed distribution with ``unknown`` where the post is missing.
* :func:`baseline_table` (``es.baseline_table``): completers against non-completers at
  intake with standardised differences (Austin 2009).

**Imputation model** (``method="mi"``): Bayesian normal linear regression of the post score
on ``pre``, ``last``, ``has_interim`` and the covariates (numbers as they are, a missing
number filled by the mean with a missing-indicator; categories as indicator columns, a
missing category its own level; levels without an observed post dropped), fitted on the
episodes with a post.  Each of the ``m`` imputations draws :math:`\sigma^{*2} = RSS /
\chi^2_{n_{obs}-p}` and :math:`\beta^* = \hat\beta + \sigma^* L z` (:math:`LL^T =
(X^TX)^{-1}`), then the missing posts as :math:`X\beta^* + \sigma^* \varepsilon`: the
``norm`` method of R mice (van Buuren & Groothuis-Oudshoorn 2011; Rubin 1987, p. 167).
Only the post is missing (pre, ``last`` and the covariates are complete after the fills),
so the pattern is monotone and one draw per imputation is the exact chained-equations
draw: no iterations are needed.  All m imputations are drawn at once (NumPy, no loop over
episodes).

**The estimand**: the study's effect size (``effect=``, Becker's d by default, Hedges'
correction by default) of every episode that started (had a pre score) and ended, each
imputed data set analysed as the completers are (:func:`effectstudy.kernels.paired_d`:
for ``"b"`` the pre SD of everyone who started, which is observed, so it is the same in
every imputation).  **Orientation** as :func:`effectstudy.prepost_effect`: with
``better_is`` every row is improvement-positive (for ``"lower"`` each imputed data set's
estimate is :math:`-d` before pooling, so the pooled estimate is :math:`-\bar Q` and the
interval the post - pre interval negated with its limits swapped; the completers, LOCF and
BOCF rows are ``prepost_effect(..., better_is=...)``); without it, post - pre.  Open
episodes (``status == "episode_open"``) are still in treatment: their post is not missing
but not yet due; they are left out and counted.

References
----------
Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*. Wiley.

van Buuren, S., & Groothuis-Oudshoorn, K. (2011). mice: Multivariate Imputation by Chained
Equations in R. *Journal of Statistical Software, 45*\ (3), 1-67.
https://doi.org/10.18637/jss.v045.i03

Austin, P. C. (2009). Balance diagnostics for comparing the distribution of baseline
covariates between treatment groups in propensity-score matched samples. *Statistics in
Medicine, 28*\ (25), 3083-3107. https://doi.org/10.1002/sim.3697
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from effectstudy import kernels
from effectstudy.core.checks import check_better_is, check_choice, check_ci, check_int
from effectstudy.core.errors import ArgumentError, DataError, DataQualityWarning
from effectstudy.core.keys import codes_in, text_factorize
from effectstudy.core.labels import register
from effectstudy.core.results import TableResult, base_meta
from effectstudy.core.schema import CATEGORIES
from effectstudy.data.longdata import PrePost
from effectstudy.kernels.pooling import rubin_pool
from effectstudy.kernels.proportions import wilson_ci
from effectstudy.outcomes.clinical_significance import clinical_significance
from effectstudy.outcomes.effect_size import (
    ES_METHODS,
    IMPROVEMENT_POSITIVE,
    POST_MINUS_PRE,
    definition_text,
    prepost_effect,
)

__all__ = ["itt_frame", "itt_effect", "baseline_table", "ITTResult", "BaselineResult",
           "ITT_METHODS", "MIN_OBS_PER_COLUMN", "impute_norm"]

#: the imputation model keeps at least this many episodes with a post per model column
MIN_OBS_PER_COLUMN = 5
#: the analyses of everyone who started; ``completers`` analyses the complete pairs only
ITT_METHODS = ("mi", "locf", "bocf", "completers")

register({
    "mi": {"nl": "meervoudige imputatie", "en": "multiple imputation"},
    "locf": {"nl": "laatste meting doorgetrokken (LOCF)", "en": "last observation carried forward (LOCF)"},
    "bocf": {"nl": "voormeting doorgetrokken (BOCF)", "en": "baseline carried forward (BOCF)"},
    "completers": {"nl": "alleen voltooiers", "en": "completers only"},
    "unknown": {"nl": "onbekend", "en": "unknown"},
    "population": {"nl": "Populatie", "en": "Population"},
    # result titles and the baseline table's method, as a report shows them
    "Everyone who started (intention to treat)": {"nl": "Iedereen die begon (intention-to-treat)",
                                                  "en": "Everyone who started (intention to treat)"},
    "Completers and non-completers at intake": {"nl": "Voltooiers en niet-voltooiers bij de intake",
                                                "en": "Completers and non-completers at intake"},
    "austin2009": {"nl": "gestandaardiseerde verschillen (Austin 2009)",
                   "en": "standardised differences (Austin 2009)"},
    "started": {"nl": "iedereen die begon", "en": "everyone who started"},
    "fmi": {"nl": "Fractie ontbrekende informatie", "en": "Fraction of missing information"},
    "n_imputed": {"nl": "n geïmputeerd", "en": "n imputed"},
    "std_diff": {"nl": "Gestandaardiseerd verschil", "en": "Standardised difference"},
    "completers_value": {"nl": "Voltooiers", "en": "Completers"},
    "noncompleters_value": {"nl": "Niet-voltooiers", "en": "Non-completers"},
    "n_completers": {"nl": "n voltooiers", "en": "n completers"},
    "n_noncompleters": {"nl": "n niet-voltooiers", "en": "n non-completers"},
    "completers_sd": {"nl": "SD voltooiers", "en": "SD completers"},
    "noncompleters_sd": {"nl": "SD niet-voltooiers", "en": "SD non-completers"},
    "n_observed": {"nl": "n met nameting", "en": "n with post"},
})


# ------------------------------------------------------------------------------ the data
def itt_frame(pairs: Any, scores: Any, episodes: pd.DataFrame, *, scale: str,
              instrument: str | None = None, covariates: Sequence[str] = ("diagnosis", "care_type", "sessions"),
              after_end: int = 30) -> pd.DataFrame:
    """One row per episode with a pre score of ``scale``: pre, post, last observed score, covariates.

    Parameters
    ----------
    pairs : PairResult
        ``es.pair_prepost(...)`` of ``scale`` (its ``episodes`` table: status, pre/post dates
        and scores).
    scores : DataFrame or ScoreResult
        The long scores the pairing used (for the interim measurements).
    episodes : DataFrame
        The episodes (covariates; ``age`` = start year - ``birth_year`` when asked for).
    scale, instrument : str
        The paired scale (and its instrument, when several share the name).
    covariates : list of str
        Episode columns copied to the frame; two are derived when named: ``age`` (start
        year - ``birth_year``) and ``regular_end`` (1 when ``end_reason`` is ``regular``, 0
        for dropout, referral or other, missing when the end reason is).
    after_end : int, default 30
        An episode without a post: its measurements up to this many days after the end date
        count (the upper bound of the post window).

    Returns
    -------
    DataFrame
        ``episode_id, status, pre, post, last, has_interim, completer`` and ``covariates``.
        ``last`` is the score of the latest measurement dated after the pre and before the
        post (no post: up to ``after_end`` days after the end date), else the pre score.
    """
    pat = pairs.patients
    pat = pat[pat["pre_score"].notna()]
    sc = getattr(scores, "scores", scores)
    sel = (sc["scale"] == scale) & sc["score"].notna()
    if instrument is not None and "instrument" in sc.columns:
        sel &= sc["instrument"] == instrument
    codes = _client_codes(sc, sel, pat["client_id"])  # join on integer codes of the ids when kept
    on = "client_id" if codes is None else "_c"
    cols = [*(["client_id"] if codes is None else []), "date", "score",
            *(["episode_id"] if "episode_id" in sc.columns else [])]
    s = sc.loc[sel, cols].rename(columns={"episode_id": "_mep", "score": "_score"})
    eps = episodes.set_index("episode_id")
    at, exact = _rows_of(eps, pat["episode_id"])  # the episodes' rows, looked up once for every column
    end = (at(eps["end_date"]).to_numpy(dtype="datetime64[ns]") if "end_date" in eps.columns
           else np.full(len(pat), np.datetime64("NaT"), dtype="datetime64[ns]"))
    limit = np.where(pat["post_date"].notna(), pat["post_date"].to_numpy(dtype="datetime64[ns]"),
                     end + np.timedelta64(after_end + 1, "D"))
    e = pd.DataFrame({"episode_id": _values(pat["episode_id"]), "client_id": _values(pat["client_id"]),
                      "_pre": pat["pre_date"].to_numpy(dtype="datetime64[ns]"), "_limit": limit,
                      "_e": np.arange(len(pat))})
    if codes is not None:
        s["_c"], e["_c"] = codes
    c = e.merge(s, on=on, how="inner")
    keep = (c["date"] > c["_pre"]) & (c["date"] < c["_limit"])
    if "_mep" in c.columns:
        keep &= c["_mep"].isna() | (c["_mep"] == c["episode_id"])
    c = c[keep.to_numpy()]
    # the latest measurement per episode (a tie in date: the later row), found on the episode's
    # position instead of its id text (the ids of ``pat`` are unique, so the same rows)
    order = np.lexsort((c["date"].to_numpy(), c["_e"].to_numpy()))
    epos = c["_e"].to_numpy()[order]
    final = np.ones(len(order), dtype=bool)
    final[:-1] = epos[1:] != epos[:-1]
    interim = np.full(len(pat), np.nan)
    interim[epos[final]] = c["_score"].to_numpy(dtype=float)[order[final]]
    out = pd.DataFrame({
        "episode_id": _values(pat["episode_id"]),
        "status": _values(pat["status"].astype(str)),
        "pre": pat["pre_score"].to_numpy(dtype=float),
        "post": pat["post_score"].to_numpy(dtype=float),
    })
    out["has_interim"] = ~np.isnan(interim)
    out["last"] = np.where(out["has_interim"], interim, out["pre"])
    out["completer"] = (out["status"] == "paired") & out["post"].notna()
    # every id found: derive from the taken rows only (element-wise, so the same values)
    part = (lambda name: at(eps[name])) if exact else (lambda name: eps[name])
    for col in covariates:
        if col == "age" and "age" not in eps.columns and "birth_year" in eps.columns:
            val = part("start_date").dt.year - part("birth_year").astype("Float64")
        elif col == "regular_end" and "regular_end" not in eps.columns and "end_reason" in eps.columns:
            reason = part("end_reason").astype("string")
            val = (reason == "regular").astype("Float64").where(reason.notna())
        elif col in eps.columns:
            val = part(col)
        else:
            raise ArgumentError("covariates", col, f"episode columns (or age); they are {sorted(eps.columns)}")
        out[col] = (val if exact else at(val)).to_numpy()
    return out


def _values(col: pd.Series) -> Any:
    """A column's values for a new frame: Arrow text as it is (the frame infers the same ``str``
    column from an object array of the text), anything else as ``to_numpy()``."""
    return col.array if col.dtype == "str" else col.to_numpy()


def _client_codes(sc: pd.DataFrame, sel: pd.Series, clients: pd.Series
                  ) -> tuple[np.ndarray, np.ndarray] | None:
    """Shared integer codes of the client ids of the score rows ``sel`` and of ``clients``
    (missing -1 on both sides, an id no score has -2), from a factorization
    (:func:`effectstudy.core.keys.text_factorize` of these rows only); ``None`` unless both are
    Arrow text."""
    fact = text_factorize(sc["client_id"].iloc[np.flatnonzero(sel.to_numpy(dtype=bool, na_value=False))])
    if fact is None:
        return None
    other = codes_in(clients, fact[1])
    if other is None:
        return None
    return fact[0], other


def _rows_of(eps: pd.DataFrame, ids: pd.Series) -> tuple[Any, bool]:
    """A function giving ``val.reindex(ids)`` for columns ``val`` of ``eps`` (indexed by episode
    id), and whether it is a plain take: the positions are looked up once and, when every id is
    found, taking them gives the same rows."""
    if not eps.index.is_unique:
        return (lambda val: val.reindex(ids)), False
    pos = codes_in(ids, eps.index)  # Arrow's lookup of text ids (-1/-2: missing/not found)
    if pos is None:
        pos = eps.index.get_indexer(ids)
    if (pos < 0).any():
        return (lambda val: val.reindex(ids)), False
    return (lambda val: val.take(pos)), True


# ------------------------------------------------------------------------------ imputation
def _design(data: pd.DataFrame, predictors: Sequence[Hashable], observed: np.ndarray
            ) -> tuple[np.ndarray, list[str]]:
    """Design matrix (intercept first): numbers (mean-filled + indicator), category indicators."""
    cols: list[np.ndarray] = [np.ones(len(data))]
    names = ["(intercept)"]
    for p in predictors:
        s = data[p]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
            miss = np.isnan(v)
            if miss.all():
                continue
            cols.append(np.where(miss, np.nanmean(v), v))
            names.append(str(p))
            if miss.any():
                cols.append(miss.astype(float))
                names.append(f"{p}: missing")
        else:
            # the level texts once (factorized), then indicators from the integer codes
            codes, uniques = pd.factorize(s.astype("string").fillna("(missing)"))
            code_of = {str(u): k for k, u in enumerate(uniques)}
            levels = sorted(str(u) for u in uniques[np.unique(codes[observed])])
            for level in levels[1:]:  # levels without an observed post: no coefficient
                cols.append((codes == code_of[level]).astype(float))
                names.append(f"{p}={level}")
    x = np.column_stack(cols)
    keep = _independent(x[observed])
    return x[:, keep], [n for n, k in zip(names, keep, strict=True) if k]


def _independent(xo: np.ndarray, tol: float = 1e-7) -> np.ndarray:
    """Columns of ``xo`` that are not (nearly) a linear combination of the earlier kept ones.

    A column that does not vary among the observed rows, or equals a combination of the
    columns before it (e.g. ``last`` = ``pre`` when no completer has an interim
    measurement), carries no information and makes :math:`X^TX` singular; R's ``lm.fit``
    (under mice's ``norm``) gives it an ``NA`` coefficient that mice sets to 0, which is
    the same as leaving it out.  The test: the column's residual after projection on the
    kept columns has a norm of at most ``tol`` times its own.
    """
    keep = np.zeros(xo.shape[1], dtype=bool)
    keep[0] = True  # the intercept
    # an orthonormal basis of the kept columns, grown one column at a time (Gram-Schmidt with
    # a second pass, "twice is enough"), instead of a QR of all kept columns per column; it
    # lives in the first k columns of one preallocated C-ordered array (the row-major layout
    # of ``np.column_stack`` of the columns, so the same products, without a copy per column)
    basis = np.empty(xo.shape)
    first = xo[:, 0]
    basis[:, 0] = first / np.linalg.norm(first)
    k = 1
    for j in range(1, xo.shape[1]):  # a handful of model columns
        col = xo[:, j]
        q = basis[:, :k]
        resid = col - q @ (q.T @ col)
        resid = resid - q @ (q.T @ resid)
        rn = np.linalg.norm(resid)
        keep[j] = rn > tol * max(np.linalg.norm(col), 1e-300)
        if keep[j]:
            basis[:, k] = resid / rn
            k += 1
    return keep


def impute_norm(y: np.ndarray, x: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
    r"""m draws of the missing ``y`` by Bayesian normal linear regression on ``x`` (mice ``norm``).

    ``y`` has NaN where missing; ``x`` is complete (intercept included).  Returns an
    ``(m, n)`` array: observed values repeated, missing ones drawn as
    :math:`x\beta^* + \sigma^*\varepsilon` with :math:`\sigma^{*2} = RSS/\chi^2_{df}` and
    :math:`\beta^* = \hat\beta + \sigma^* L z`, :math:`LL^T = (X_{obs}^TX_{obs})^{-1}`,
    :math:`df = n_{obs} - p` (van Buuren 2018, algorithm 3.1).
    """
    obs = ~np.isnan(y)
    xo, yo = x[obs], y[obs]
    n_obs, p = xo.shape
    df = n_obs - p
    if df < 1:
        raise DataError(f"{n_obs} episode(s) with a post score for {p} imputation-model columns; "
                        "the imputation needs more observed posts than model columns",
                        expected="more completers (or fewer covariates)")
    q, r = np.linalg.qr(xo)
    beta = np.linalg.solve(r, q.T @ yo)
    rss = float(np.sum((yo - xo @ beta) ** 2))
    rinv = np.linalg.solve(r, np.eye(p))  # (X'X)^-1 = R^-1 R^-T, so L = R^-1
    sigma = np.sqrt(rss / rng.chisquare(df, size=m))  # (m,)
    z = rng.standard_normal((m, p))
    betas = beta[None, :] + sigma[:, None] * (z @ rinv.T)  # (m, p)
    xm = x[~obs]
    draws = betas @ xm.T + sigma[:, None] * rng.standard_normal((m, xm.shape[0]))
    out = np.repeat(y[None, :], m, axis=0)
    out[:, ~obs] = draws
    return out


# ------------------------------------------------------------------------------ result
@dataclass(frozen=True, repr=False)
class ITTResult(TableResult):
    """Result of :func:`itt_effect`.

    ``table`` (also :meth:`summary`): one row per method: ``method, population, n,
    n_observed, n_imputed, estimate, ci_low, ci_high, se, df, fmi``.
    ``categories``: category shares per method (``method, category, share, ci_low,
    ci_high, n``); ``unknown_distribution``: the completers' categories and ``unknown``
    for everyone else who started (counts and shares, nothing imputed).
    ``patients``: the analysed frame (one row per episode who started).
    """

    categories: pd.DataFrame = None  # type: ignore[assignment]
    unknown_distribution: pd.DataFrame = None  # type: ignore[assignment]
    title = "Everyone who started (intention to treat)"
    extra_tables = ("categories", "unknown_distribution")

    def category_table(self) -> pd.DataFrame:
        """Category shares side by side: ``category``, ``observed`` (the completers' categories
        and ``unknown`` for everyone else who started, nothing imputed), then one column per
        method (``mi``, ``completers``, ``locf``, ``bocf``); an :class:`ArgumentError` when no
        criteria were given."""
        if self.categories is None:
            raise ArgumentError("criteria", None, "criteria passed to es.itt_effect for the category shares")
        wide = self.categories.pivot(index="category", columns="method", values="share")
        wide = wide.reindex(index=[*CATEGORIES, "unknown"], columns=list(dict.fromkeys(self.categories["method"])))
        obs = self.unknown_distribution.set_index("category")["share"]
        out = wide.reset_index().rename_axis(columns=None).assign(observed=obs.to_numpy())[
            ["category", "observed", *wide.columns]]
        out.attrs["kinds"] = {"*": "share"}  # shown as percentages (formatting.frame)
        return out

    def headline(self) -> pd.Series:
        """The row of the primary analysis (``meta["primary"]``)."""
        t = self.table
        return t[t["method"] == self.meta["primary"]].iloc[0]


def _effect(x: np.ndarray, y: np.ndarray, effect: str, adjust: bool) -> tuple[float, float, float]:
    d, se, df = kernels.paired_d(x, y, effect)
    if adjust:
        j = float(kernels.hedges_j(df))
        d, se = d * j, se * j
    return d, se, df


def _long(frame: pd.DataFrame, post: np.ndarray) -> pd.DataFrame:
    """``frame``'s pre scores and ``post`` as long data (``id``, ``time`` pre/post, ``score``);
    the time labels are a categorical built from codes (no text array of 2n labels)."""
    n = len(frame)
    labels = pd.Categorical.from_codes(np.repeat(np.array([0, 1], dtype=np.int8), n),
                                       categories=["pre", "post"])
    return pd.DataFrame({"id": np.tile(np.arange(n), 2), "time": labels,
                         "score": np.concatenate([frame["pre"].to_numpy(dtype=float), post])})


def _row(method: str, population: str, n: int, n_obs: int, est: float, lo: float, hi: float,
         se: float, df: float, fmi: float = float("nan")) -> dict[str, Any]:
    return {"method": method, "population": population, "n": n, "n_observed": n_obs,
            "n_imputed": n - n_obs if method == "mi" else 0, "estimate": est, "ci_low": lo,
            "ci_high": hi, "se": se, "df": df, "fmi": fmi}


def _pairs(frame: pd.DataFrame, post: np.ndarray) -> PrePost | None:
    """The complete pairs ``prepost_wide(_long(frame, post))`` gives, built directly from the
    arrays (no long frame, no text labels, no factorization); ``None`` when a score is
    missing or infinite (then the long route checks and reports it as before)."""
    x = frame["pre"].to_numpy(dtype=float)
    y = np.asarray(post, dtype=float)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        return None
    n = len(x)
    wide = pd.DataFrame({"pre": x, "post": y}, index=pd.Index(np.arange(n), name="id"))
    return PrePost(frame=wide, n_original=n)


def _classify(frame: pd.DataFrame, post: np.ndarray, criteria: Mapping[str, Any]) -> np.ndarray:
    """Category codes (into CATEGORIES) of one data set by es.clinical_significance.

    The pairs go in as a :class:`PrePost` (:func:`_pairs`), so each of the m imputed data
    sets costs the classification only; ``method="hlm"``, a ``group`` or a missing score take
    the long route (``_long``), which gives the same codes or the same error.
    """
    method = criteria.get("method")
    pp = None if ("group" in criteria or (isinstance(method, str) and method.lower() == "hlm")
                  ) else _pairs(frame, post)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        cs = clinical_significance(_long(frame, post) if pp is None else pp, subject="id",
                                   time="time", outcome="score", pre="pre", post="post",
                                   **criteria)
    return cs.patients["category"].cat.codes.to_numpy()


def _shares(method: str, codes: np.ndarray, ci: float) -> list[dict[str, Any]]:
    """Category shares of one (m = 1) or m (pooled by Rubin's rules) classified data sets."""
    codes = np.atleast_2d(codes)
    m, n = codes.shape
    rows = []
    for k, cat in enumerate(CATEGORIES):
        p = (codes == k).mean(axis=1)
        if m > 1:
            pooled = rubin_pool(p, p * (1 - p) / n, df_complete=n - 1, ci=ci)
            est, lo, hi = pooled.estimate, pooled.ci_low, pooled.ci_high
        else:
            lo_, hi_ = wilson_ci(int(round(p[0] * n)), n, ci)
            est, lo, hi = float(p[0]), float(np.asarray(lo_)), float(np.asarray(hi_))
        rows.append({"method": method, "category": cat, "share": est, "ci_low": max(lo, 0.0),
                     "ci_high": min(hi, 1.0), "n": n})
    return rows


def itt_effect(
    data: pd.DataFrame,
    *,
    pre: Hashable = "pre",
    post: Hashable = "post",
    last: Hashable | None = "last",
    covariates: Sequence[Hashable] = (),
    status: Hashable | None = "status",
    effect: Literal["rm", "av", "z", "b", "d"] = "b",
    adjust: bool = True,
    ci: float = 0.95,
    imputations: int = 20,
    seed: int = 0,
    criteria: Mapping[str, Any] | None = None,
    primary: Literal["mi", "locf", "bocf", "completers"] = "mi",
    better_is: Literal["lower", "higher"] | None = None,
) -> ITTResult:
    r"""Effect size (and categories) of everyone who started: MI, LOCF, BOCF and completers.

    Parameters
    ----------
    data : DataFrame
        One row per episode (:func:`itt_frame`): ``pre`` (rows without one are left out
        and counted), ``post`` (NaN where missing), ``last``, covariates.
    pre, post : column names
    last : column name or None, default "last"
        The last observed score after the pre (an interim, else the pre): the LOCF value,
        and an imputation predictor together with ``has_interim`` when that column exists.
    covariates : list of column names
        Further predictors of the imputation model (numbers or categories).  The model
        keeps at least :data:`MIN_OBS_PER_COLUMN` (5) episodes with a post per column:
        with fewer, covariates are dropped from the end of the list (named in
        ``meta["dropped_predictors"]``); ``pre`` and ``last`` always stay.
    status : column name or None, default "status"
        The pairing status; ``episode_open`` rows are left out (still in treatment).
    effect : {"rm", "av", "z", "b", "d"}, default "b"
        The standardiser (:func:`effectstudy.prepost_effect`), Becker's d by default.
    adjust : bool, default True
        Hedges' correction (each imputed data set's estimate and SE times :math:`J`).
    ci : float, default 0.95
    imputations : int, default 20
        m, the number of imputed data sets (at least 2).
    seed : int, default 0
        Seed of the imputation draws (the same seed gives the same result).
    criteria : dict, optional
        Keyword arguments of :func:`effectstudy.clinical_significance` (``reliability``,
        ``method``, ``cutoff``, ``better_is`` or ``instrument``/``scale``, norms ...): each
        method's data set is classified with them and the shares reported (MI: pooled by
        Rubin's rules over the imputations, each share with variance :math:`p(1-p)/n`;
        the others with a Wilson interval).  Give fixed norms (``m_clinical``,
        ``sd_clinical`` or a cut-off value) to classify every data set against the same
        cut-off.
    primary : {"mi", "locf", "bocf", "completers"}, default "mi"
        Which row is the headline (``meta["primary"]``, :meth:`ITTResult.headline`).
    better_is : {"lower", "higher"}, optional
        The scale's direction (the registry's ``better_is``): every row's estimate and
        interval improvement-positive (``meta["orientation"] = "improvement positive"``;
        for ``"lower"`` :math:`-d` and the limits negated and swapped), as
        :func:`effectstudy.prepost_effect`.  ``None``: post - pre (``meta["orientation"]
        = "post - pre"``).  Independent of ``criteria`` (which carry their own).

    Returns
    -------
    ITTResult
        ``summary()``: one row per method (``mi``, ``completers``, ``locf``, ``bocf``):
        ``method, population, n, n_observed, n_imputed, estimate, ci_low, ci_high, se,
        df, fmi`` (``se`` is :math:`\sqrt T` of the MI row, NaN for the others).  The MI interval is :math:`\bar Q \pm t_\nu\sqrt T` with Barnard-Rubin
        :math:`\nu` (complete-data df of the estimate, :math:`n-1`); the others are the
        interval of :func:`effectstudy.prepost_effect` on their data set (completers: the
        complete pairs; LOCF: the post, else ``last``; BOCF: the post, else the pre).

    Notes
    -----
    Size: 15 parameters (the columns, the effect size's settings and orientation, m and the
    seed, the criteria, the headline); one call gives the table a report shows.

    Examples
    --------
    >>> import numpy as np, pandas as pd, effectstudy as es
    >>> rng = np.random.default_rng(1)
    >>> pre = rng.normal(200, 40, 60)
    >>> post = pre - 30 + rng.normal(0, 25, 60)
    >>> post[::4] = np.nan
    >>> r = es.itt_effect(pd.DataFrame({"pre": pre, "post": post}), last=None, status=None,
    ...                   imputations=20, seed=3)
    >>> r.summary()[["method", "n", "n_observed"]]
           method   n  n_observed
    0          mi  60          45
    1  completers  45          45
    2        locf  60          45
    3        bocf  60          45
    """
    check_choice("effect", effect, ES_METHODS)
    check_choice("primary", primary, ITT_METHODS)
    ci = check_ci(ci)
    m = check_int(imputations, "imputations", 2, "a whole number of imputations, at least 2 (20 or more advised)")
    seed = check_int(seed, "seed", 0)
    if not isinstance(adjust, (bool, np.bool_)):
        raise ArgumentError("adjust", adjust, "True or False")
    sign = 1 if better_is is None else check_better_is(better_is)
    for name, col in (("pre", pre), ("post", post), ("last", last), ("status", status),
                      *(("covariates", c) for c in covariates)):
        if col is not None and col not in data.columns:
            raise ArgumentError(name, col, f"a column of data; it has {list(data.columns)}")
    n_original = len(data)
    exclusions: dict[str, int] = {}
    keep = np.ones(n_original, dtype=bool)
    if status is not None:
        is_open = (data[status].astype("string") == "episode_open").fillna(False).to_numpy(dtype=bool)
        exclusions["episode_open"] = int(is_open.sum())
        keep &= ~is_open
    no_pre = data[pre].isna().to_numpy()
    exclusions["no_pre"] = int((no_pre & keep).sum())
    keep &= ~no_pre
    f = data.loc[keep].reset_index(drop=True)
    x = f[pre].to_numpy(dtype=float)
    y = f[post].to_numpy(dtype=float)
    lastv = f[last].to_numpy(dtype=float) if last is not None else x
    lastv = np.where(np.isnan(lastv), x, lastv)
    obs = ~np.isnan(y)
    n, n_obs = len(f), int(obs.sum())
    if n_obs < 3 or n < 3:
        raise DataError(f"{n_obs} of {n} episode(s) who started have a post score; the effect "
                        "of everyone who started needs at least 3 with a post",
                        expected="3 or more complete pairs")
    frame = pd.DataFrame({"pre": x, "post": y, "last": lastv})
    rows, cats = [], []

    # multiple imputation
    predictors: list[Hashable] = ["pre"]
    work = frame.copy()
    if last is not None:
        predictors.append("last")
        if "has_interim" in f.columns:
            work["has_interim"] = f["has_interim"].astype(float).to_numpy()
            predictors.append("has_interim")
    for c in covariates:
        work[f"cov:{c}"] = _values(f[c])  # Arrow text stays text (the model reads it as text)
        predictors.append(f"cov:{c}")
    # at least MIN_OBS_PER_COLUMN observed posts per model column: covariates are dropped from
    # the end of the list until the model fits (recorded in meta); pre and last always stay
    dropped: list[str] = []
    xmat, names = _design(work, predictors, obs)
    while xmat.shape[1] * MIN_OBS_PER_COLUMN > n_obs and len(predictors) > 1 + (last is not None):
        gone = predictors.pop()
        if gone == "has_interim":
            predictors.append(gone)
            break
        dropped.append(str(gone).removeprefix("cov:"))
        xmat, names = _design(work, predictors, obs)
    draws = impute_norm(y, xmat, m, np.random.default_rng(seed))
    est = np.empty(m)
    var = np.empty(m)
    df_com = float("nan")
    for j in range(m):  # m small analyses of n values each (vectorised within)
        est[j], se_j, df_com = _effect(x, draws[j], effect, bool(adjust))
        est[j] *= sign  # improvement positive (sign -1 for lower-is-better); the SE does not change
        var[j] = se_j * se_j
    pooled = rubin_pool(est, var, df_complete=df_com, ci=ci)
    rows.append(_row("mi", "started", n, n_obs, pooled.estimate, pooled.ci_low, pooled.ci_high,
                     pooled.se, pooled.df, pooled.fmi))

    # completers, LOCF, BOCF: the package's prepost_effect on each data set
    sets = {"completers": (frame[obs], y[obs]), "locf": (frame, np.where(obs, y, lastv)),
            "bocf": (frame, np.where(obs, y, x))}
    for name, (fr, yy) in sets.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            r = prepost_effect(_long(fr, yy), subject="id", time="time", outcome="score", pre="pre",
                               post="post", method=effect, adjust=bool(adjust), ci=ci,
                               better_is=better_is)
        t = r.summary().iloc[0]
        rows.append(_row(name, "completers" if name == "completers" else "started", len(fr), n_obs,
                         float(t["estimate"]), float(t["ci_low"]), float(t["ci_high"]),
                         float("nan"), float(t["df"])))
    unknown = None
    if criteria is not None:
        criteria = dict(criteria)
        cats += _shares("mi", np.vstack([_classify(frame, draws[j], criteria) for j in range(m)]), ci)
        comp = _classify(frame[obs], y[obs], criteria)
        cats += _shares("completers", comp, ci)
        cats += _shares("locf", _classify(frame, sets["locf"][1], criteria), ci)
        cats += _shares("bocf", _classify(frame, sets["bocf"][1], criteria), ci)
        counts = np.bincount(comp, minlength=len(CATEGORIES))
        unknown = pd.DataFrame({"category": [*CATEGORIES, "unknown"],
                                "n": [*map(int, counts), n - n_obs]})
        unknown["share"] = unknown["n"] / n
    meta = base_meta("mi", primary=primary, effect=effect, adjust=bool(adjust), ci=ci, imputations=m,
                     seed=seed, imputation_model="norm (Bayesian linear regression, as mice)",
                     predictors=names, dropped_predictors=dropped,
                     orientation=POST_MINUS_PRE if better_is is None else IMPROVEMENT_POSITIVE,
                     better_is=better_is, n_original=n_original, n_used=n,
                     n_observed=n_obs, exclusions={k: v for k, v in exclusions.items() if v},
                     within=pooled.within, between=pooled.between, total=pooled.total,
                     criteria={k: v if isinstance(v, (int, float, str, type(None))) else type(v).__name__
                               for k, v in (criteria or {}).items()})
    words = {"method": effect, "adjust": bool(adjust), "orientation": meta["orientation"]}
    meta["definition"] = {lang: definition_text(words, lang) for lang in ("nl", "en")}
    return ITTResult(patients=f, meta=meta, table=pd.DataFrame(rows),
                     categories=pd.DataFrame(cats) if cats else None, unknown_distribution=unknown)



# ------------------------------------------------------------------------------ baseline table
@dataclass(frozen=True, repr=False)
class BaselineResult(TableResult):
    """Result of :func:`baseline_table`: ``variable, level, n_completers, n_noncompleters,
    completers_value, completers_sd, noncompleters_value, noncompleters_sd, std_diff``
    (a level's row holds shares and no SD)."""

    title = "Completers and non-completers at intake"


def _std_diff_cont(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float, float, float]:
    m1, m2 = float(np.mean(a)), float(np.mean(b))
    s1 = float(np.std(a, ddof=1)) if a.size > 1 else float("nan")
    s2 = float(np.std(b, ddof=1)) if b.size > 1 else float("nan")
    pooled = math.sqrt((s1 * s1 + s2 * s2) / 2)
    return m1, s1, m2, s2, (m1 - m2) / pooled if pooled > 0 else float("nan")


def baseline_table(data: pd.DataFrame, *, completer: Hashable = "completer",
                   continuous: Sequence[Hashable] = ("pre",),
                   categorical: Sequence[Hashable] = ()) -> BaselineResult:
    r"""Completers against non-completers at intake, with standardised differences.

    Parameters
    ----------
    data : DataFrame
        One row per episode who started (:func:`itt_frame`).
    completer : column name, default "completer"
        True for the episodes with a post score.
    continuous : list of column names
        Numbers: mean and SD per group (missing values left out, each group's ``n``
        counts the values present).
    categorical : list of column names
        Categories (also two-valued ones such as sex): one row per level with its share
        in each group (missing values left out).

    Returns
    -------
    BaselineResult

    Notes
    -----
    Standardised difference (Austin 2009, eqs. 1 and 2): for a number
    :math:`d = (\bar x_1 - \bar x_2)/\sqrt{(s_1^2 + s_2^2)/2}`; for a share
    :math:`d = (p_1 - p_2)/\sqrt{(p_1(1-p_1) + p_2(1-p_2))/2}` (each level of a category
    against the rest).  Completers are group 1, so a positive difference means the
    completers score or share higher.  Austin suggests :math:`|d| > 0.1` as a meaningful
    imbalance.

    Austin, P. C. (2009). Balance diagnostics for comparing the distribution of baseline
    covariates between treatment groups in propensity-score matched samples.
    *Statistics in Medicine, 28*\ (25), 3083-3107. https://doi.org/10.1002/sim.3697

    Examples
    --------
    >>> import pandas as pd, effectstudy as es
    >>> df = pd.DataFrame({"completer": [True, True, True, False, False, False],
    ...                    "pre": [10.0, 12, 14, 13, 15, 17], "sex": list("ffmmmf")})
    >>> t = es.baseline_table(df, continuous=["pre"], categorical=["sex"]).summary()
    >>> t[["variable", "level", "std_diff"]].round(3)
      variable level  std_diff
    0        n             NaN
    1      pre          -1.500
    2      sex     f     0.707
    3      sex     m    -0.707
    """
    for name, cols in (("completer", [completer]), ("continuous", continuous), ("categorical", categorical)):
        for c in cols:
            if c not in data.columns:
                raise ArgumentError(name, c, f"a column of data; it has {list(data.columns)}")
    comp = data[completer].astype("boolean").fillna(False).to_numpy(dtype=bool)
    rows: list[dict[str, Any]] = [{"variable": "n", "level": "", "n_completers": int(comp.sum()),
                                   "n_noncompleters": int((~comp).sum())}]
    for c in continuous:
        v = pd.to_numeric(data[c], errors="coerce").to_numpy(dtype=float)
        a, b = v[comp & ~np.isnan(v)], v[~comp & ~np.isnan(v)]
        if a.size == 0 or b.size == 0:
            rows.append({"variable": str(c), "level": "", "n_completers": a.size, "n_noncompleters": b.size})
            continue
        m1, s1, m2, s2, d = _std_diff_cont(a, b)
        rows.append({"variable": str(c), "level": "", "n_completers": int(a.size), "n_noncompleters": int(b.size),
                     "completers_value": m1, "completers_sd": s1, "noncompleters_value": m2,
                     "noncompleters_sd": s2, "std_diff": d})
    for c in categorical:
        s = data[c].astype("string")
        present = s.notna().to_numpy(dtype=bool)
        n1, n2 = int((comp & present).sum()), int((~comp & present).sum())
        for level in sorted(s.dropna().unique()):
            hit = (s == level).fillna(False).to_numpy(dtype=bool)
            p1 = hit[comp & present].mean() if n1 else float("nan")
            p2 = hit[~comp & present].mean() if n2 else float("nan")
            den = math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2)
            rows.append({"variable": str(c), "level": str(level), "n_completers": n1, "n_noncompleters": n2,
                         "completers_value": float(p1), "noncompleters_value": float(p2),
                         "std_diff": (p1 - p2) / den if den > 0 else float("nan")})
    table = pd.DataFrame(rows, columns=["variable", "level", "n_completers", "n_noncompleters",
                                        "completers_value", "completers_sd", "noncompleters_value",
                                        "noncompleters_sd", "std_diff"])
    meta = base_meta("austin2009", completer=str(completer), n_original=len(data), n_used=len(data),
                     continuous=[str(c) for c in continuous], categorical=[str(c) for c in categorical])
    return BaselineResult(meta=meta, table=table)
