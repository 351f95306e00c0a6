r"""Client satisfaction: end-of-treatment forms issued, returned, graded, and the grades.

:func:`satisfaction` gives the figures of the yearly effectiveness report (issue 6):
how many evaluation forms were issued and returned, the response rate with a Wilson
interval, how many clients gave a grade (as a share of the forms issued), and the mean,
SD, median and distribution of the grades 1-10, overall and per group.  With
``episodes=`` the population is the episodes table: episodes without a form row are
counted (as not issued), never dropped.

The yearly report's example, "55 forms issued, 30 returned, 29 gave a grade (52.73% of
issued), mean grade rounded 9":

>>> import numpy as np, pandas as pd, effectstudy as es
>>> forms = pd.DataFrame({
...     "episode_id": [f"E{i:02d}" for i in range(58)],
...     "issued": [True] * 55 + [False] * 3,
...     "returned": [True] * 30 + [False] * 28,
...     "grade": [9.0] * 20 + [10.0] * 5 + [8.0] * 4 + [np.nan] * 29})
>>> s = es.satisfaction(forms).summary()
>>> s[["n_issued", "n_returned", "n_graded", "grade_mean_rounded"]]
   n_issued  n_returned  n_graded  grade_mean_rounded
0        55          30        29                   9
>>> float(round(100 * s["graded_share"].iloc[0], 2)), float(round(100 * s["response_rate"].iloc[0], 2))
(52.73, 54.55)
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from effectstudy.core.checks import check_ci, check_columns
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError, DataQualityWarning
from effectstudy.core.keys import isin
from effectstudy.core.labels import label, register
from effectstudy.core.plotting import axes
from effectstudy.core.results import TablesResult, base_meta
from effectstudy.course.treatment_course import OVERALL, describe, make_groups, unique_ids
from effectstudy.kernels.proportions import proportion, wilson_ci

__all__ = ["satisfaction", "SatisfactionResult"]

GRADES = tuple(range(1, 11))

register({
    "n_no_form_row": {"nl": "n zonder formulierregel", "en": "n without form row"},
    "n_issued": {"nl": "n uitgereikt", "en": "n issued"},
    "n_returned": {"nl": "n teruggekregen", "en": "n returned"},
    "n_graded": {"nl": "n met cijfer", "en": "n with grade"},
    "response_rate": {"nl": "Respons", "en": "Response rate"},
    "response_ci_low": {"nl": "Respons BI onder", "en": "Response CI low"},
    "response_ci_high": {"nl": "Respons BI boven", "en": "Response CI high"},
    "graded_share": {"nl": "Cijfer (% uitgereikt)", "en": "Graded (share of issued)"},
    "graded_ci_low": {"nl": "Cijfer BI onder", "en": "Graded CI low"},
    "graded_ci_high": {"nl": "Cijfer BI boven", "en": "Graded CI high"},
    "grade_mean": {"nl": "Gem. cijfer", "en": "Mean grade"},
    "grade_sd": {"nl": "SD cijfer", "en": "SD grade"},
    "grade_median": {"nl": "Mediaan cijfer", "en": "Median grade"},
    "grade_mean_rounded": {"nl": "Gem. cijfer (afgerond)", "en": "Mean grade (rounded)"},
    "grade": {"nl": "Cijfer", "en": "Grade"},
    "grade_min": {"nl": "Laagste cijfer", "en": "Lowest grade"},
    "grade_max": {"nl": "Hoogste cijfer", "en": "Highest grade"},
})


@dataclass(frozen=True, repr=False)
class SatisfactionResult(TablesResult):
    """Result of :func:`satisfaction`.

    ``patients`` (index = episode id): ``[group,] has_form_row, issued, returned, graded,
    grade``.  :meth:`summary` the figures per group and overall (``group == "all"``),
    :meth:`grades` the distribution of the grades.
    """

    title = "Client satisfaction"

    def summary(self) -> pd.DataFrame:
        """``[group,] n_episodes, n_no_form_row, n_issued, n_returned, n_graded,
        response_rate, response_ci_low, response_ci_high, graded_share, graded_ci_low,
        graded_ci_high, grade_mean, grade_sd, grade_median, grade_min, grade_max,
        grade_mean_rounded``."""
        return self.tables["summary"].copy()

    def grades(self) -> pd.DataFrame:
        """``[group,] grade, n, proportion, ci_low, ci_high`` for grades 1-10 (share of the
        forms with a grade; ``n`` sums to ``n_graded``)."""
        return self.tables["grades"].copy()

    def plot(self, ax=None, *, lang: str | None = None):
        """Bars of the grade distribution (overall), in ``lang`` (default: the result's language)."""
        from effectstudy.core.plotting import describe_figure, plot_lang

        lang = plot_lang(lang, self.meta)
        ax = axes(ax, figsize=(5.5, 4))
        g = self.tables["grades"]
        if "group" in g:
            g = g[g["group"] == OVERALL]
        ax.bar(g["grade"].astype(int), g["n"], color="#56B4E9")
        ax.set_xticks(list(GRADES))
        ax.set_xlabel(label("grade", lang))
        ax.set_ylabel(label("fig_n_clients", lang))
        ax.yaxis.get_major_locator().set_params(integer=True)
        return describe_figure(ax, title=label("fig_grades_title", lang), alt=label("fig_grades_alt", lang),
                               data=g[["grade", "n"]])


def _flag(df: pd.DataFrame, col: Hashable, arg: str) -> tuple[np.ndarray, np.ndarray]:
    """A yes/no column as (values with missing = False, missing mask)."""
    s = df[col]
    if pd.api.types.is_bool_dtype(s):
        miss = s.isna().to_numpy()
        return s.fillna(False).to_numpy(dtype=bool), miss
    if pd.api.types.is_numeric_dtype(s):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        miss = np.isnan(v)
        bad = ~miss & (v != 0) & (v != 1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError("not a yes/no flag", row=df.index[i], column=str(col), value=float(v[i]),
                            expected="True/False or 1/0")
        return np.where(miss, False, v == 1), miss
    raise ArgumentTypeError(arg, f"column {col!r} of dtype {s.dtype}",
                            "a boolean or 1/0 column (read the export with es.read_study)")


def satisfaction(
    satisfaction: pd.DataFrame,
    *,
    episodes: pd.DataFrame | None = None,
    group: Hashable | None = None,
    episode: Hashable = "episode_id",
    issued: Hashable = "issued",
    returned: Hashable = "returned",
    grade: Hashable = "grade",
    ci: float = 0.95,
) -> SatisfactionResult:
    r"""Forms issued, returned and graded, response rate with Wilson CI, and the grades.

    Parameters
    ----------
    satisfaction : DataFrame
        Canonical satisfaction table: one row per episode with ``episode_id``, ``issued``
        (form handed out), ``returned`` and ``grade`` (1-10, empty when not given).
    episodes : DataFrame, optional
        The episodes the figures are about (e.g. the ended, consenting episodes of a
        year).  Episodes without a form row count as "not issued"
        (``n_no_form_row``); form rows of episodes not in ``episodes`` are left out,
        counted in ``meta["exclusions"]`` with a
        :class:`~effectstudy.core.errors.DataQualityWarning`.
    group : column name, optional
        Column of ``satisfaction`` or, when absent there, of ``episodes`` (e.g.
        ``care_type``).  Missing values form their own group; ``group == "all"`` is the
        overall row.
    episode, issued, returned, grade : column names
    ci : float, default 0.95
        Level of the Wilson intervals.

    Returns
    -------
    SatisfactionResult
        ``.summary()``, ``.grades()``, ``.patients``, ``.plot()``.

    Notes
    -----
    With :math:`I` forms issued, :math:`R` returned and :math:`G` returned with a grade:
    response rate :math:`R/I` and graded share :math:`G/I` (the yearly report's
    "gave a grade, % of issued"), each with the Wilson score interval
    (:func:`effectstudy.kernels.proportions.wilson_ci`).  Grade statistics are over the
    :math:`G` grades (SD with :math:`G-1`, median type 7); ``grade_mean_rounded`` rounds
    half up, as a report does (8.5 -> 9).  Non-whole grades are counted in the
    distribution under the whole grade they round (half up) to.  A missing ``issued`` or
    ``returned`` flag counts as "no" (the export convention; counted in
    ``meta["missing_flags"]``).

    Raises
    ------
    DataError
        A form returned but not issued, a grade on a form not returned, a grade outside
        1-10, a duplicate episode.
    """
    if not isinstance(satisfaction, pd.DataFrame):
        raise ArgumentTypeError("satisfaction", satisfaction, "the satisfaction DataFrame")
    if episodes is not None and not isinstance(episodes, pd.DataFrame):
        raise ArgumentTypeError("episodes", episodes, "the episodes DataFrame")
    ci = check_ci(ci)
    check_columns(satisfaction, what="satisfaction", episode=episode, issued=issued,
                  returned=returned, grade=grade)
    unique_ids(satisfaction, episode, "satisfaction")
    gsrc = None
    if group is not None:
        if group in satisfaction.columns:
            gsrc = "satisfaction"
        elif episodes is not None and group in episodes.columns:
            gsrc = "episodes"
        else:
            raise ArgumentError("group", group, "a column of satisfaction or episodes")
    iss, iss_miss = _flag(satisfaction, issued, "issued")
    ret, ret_miss = _flag(satisfaction, returned, "returned")
    gs = satisfaction[grade]
    if not pd.api.types.is_numeric_dtype(gs) or pd.api.types.is_bool_dtype(gs):
        raise ArgumentTypeError("grade", f"column {grade!r} of dtype {gs.dtype}",
                                "a numeric column of grades 1-10")
    gv = gs.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isnan(gv) & ~((gv >= 1) & (gv <= 10))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError("grade out of range", row=satisfaction.index[i], column=str(grade),
                        value=float(gv[i]), expected="a grade from 1 to 10")
    bad = ret & ~iss
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError("form returned but not issued", row=satisfaction.index[i],
                        column=str(returned), value=True,
                        expected=f"{issued!r} true for every returned form")
    bad = ~np.isnan(gv) & ~ret
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError("grade on a form that was not returned", row=satisfaction.index[i],
                        column=str(grade), value=float(gv[i]),
                        expected=f"no grade, or {returned!r} true")
    form = pd.DataFrame({"issued": iss, "returned": ret, "grade": gv},
                        index=pd.Index(satisfaction[episode].to_numpy(), name="episode_id"))
    if gsrc == "satisfaction":
        form["group"] = satisfaction[group].to_numpy()
    exclusions: dict[str, int] = {}
    if episodes is not None:
        check_columns(episodes, what="episodes", episode=episode)
        unique_ids(episodes, episode, "episodes")
        ids = pd.Index(episodes[episode].to_numpy(), name="episode_id")
        outside = ~isin(form.index, ids)
        if outside.any():
            exclusions["form_of_episode_not_in_episodes"] = int(outside.sum())
            iss_miss = iss_miss[~outside]
            ret_miss = ret_miss[~outside]
        pos = form.index.get_indexer(ids)
        has = pos >= 0
        pat = pd.DataFrame(index=ids)
        if gsrc == "satisfaction":
            pat["group"] = np.where(has, form["group"].to_numpy(dtype=object)[pos], None)
        elif gsrc == "episodes":
            pat["group"] = episodes[group].to_numpy()
        pat["has_form_row"] = has
        pat["issued"] = np.where(has, form["issued"].to_numpy()[pos], False)
        pat["returned"] = np.where(has, form["returned"].to_numpy()[pos], False)
        pat["grade"] = np.where(has, form["grade"].to_numpy()[pos], np.nan)
    else:
        pat = form.copy()
        if "group" in pat:
            pat = pat[["group", "issued", "returned", "grade"]]
        pat.insert(1 if "group" in pat else 0, "has_form_row", True)
    pat["graded"] = ~np.isnan(pat["grade"].to_numpy(dtype=float))
    if exclusions:
        import warnings

        warnings.warn(f"{exclusions['form_of_episode_not_in_episodes']} satisfaction form "
                      "row(s) of episodes not in episodes= left out", DataQualityWarning,
                      stacklevel=2)

    groups = make_groups(pat["group"] if "group" in pat else None)
    frame = pd.DataFrame({"nofr": ~pat["has_form_row"].to_numpy(),
                          "iss": pat["issued"].to_numpy(dtype=bool),
                          "ret": pat["returned"].to_numpy(dtype=bool),
                          "grd": pat["graded"].to_numpy(dtype=bool),
                          "grade": pat["grade"].to_numpy(dtype=float)})
    st = groups.stack(frame)
    k = groups.k
    gc = st["_g"].to_numpy()

    def count(col: str) -> np.ndarray:
        return np.bincount(gc, weights=st[col].to_numpy(), minlength=k).astype(int)

    n_ep = np.bincount(gc, minlength=k)
    n_iss, n_ret, n_grd = count("iss"), count("ret"), count("grd")
    r_lo, r_hi = wilson_ci(n_ret, n_iss, ci)
    g_lo, g_hi = wilson_ci(n_grd, n_iss, ci)
    d = describe(st, "grade", k)
    rr = proportion(n_ret, n_iss)
    gsh = proportion(n_grd, n_iss)
    mean = d["mean"].to_numpy()
    rounded = pd.array(np.where(np.isnan(mean), np.nan, np.floor(mean + 0.5)), dtype="Int64")
    summary = groups.frame({
        "n_episodes": n_ep, "n_no_form_row": count("nofr"), "n_issued": n_iss,
        "n_returned": n_ret, "n_graded": n_grd, "response_rate": rr,
        "response_ci_low": r_lo, "response_ci_high": r_hi, "graded_share": gsh,
        "graded_ci_low": g_lo, "graded_ci_high": g_hi, "grade_mean": mean,
        "grade_sd": d["sd"].to_numpy(), "grade_median": d["median"].to_numpy(),
        "grade_min": d["min"].to_numpy(), "grade_max": d["max"].to_numpy(),
        "grade_mean_rounded": rounded,
    })
    whole = np.floor(st["grade"].to_numpy() + 0.5)
    ok = ~np.isnan(whole)
    flat = gc[ok] * 10 + (whole[ok].astype(int) - 1)
    cnt = np.bincount(flat, minlength=k * 10).reshape(k, 10)
    lo, hi = wilson_ci(cnt.ravel(), np.repeat(n_grd, 10), ci)
    with np.errstate(invalid="ignore", divide="ignore"):
        prop = np.where(np.repeat(n_grd, 10) > 0, cnt.ravel() / np.repeat(n_grd, 10), np.nan)
    grades = pd.DataFrame({"grade": np.tile(np.arange(1, 11), k), "n": cnt.ravel(),
                           "proportion": prop, "ci_low": lo, "ci_high": hi})
    if groups.grouped:
        grades.insert(0, "group", pd.Series(np.repeat(np.asarray(groups.labels, dtype=object),
                                                      10), dtype=object))
    meta = base_meta(
        "counts", ci=ci, ci_method="wilson", group=group, group_source=gsrc,
        overall_label=OVERALL, population="episodes" if episodes is not None else
        "satisfaction rows", n_original=int(len(satisfaction)), n_used=int(len(pat)),
        exclusions=exclusions,
        missing_flags={"issued": int(iss_miss.sum()), "returned": int(ret_miss.sum())},
        n_no_form_row=int((~pat["has_form_row"]).sum()),
        non_whole_grades=int((~np.isnan(gv) & (gv != np.round(gv))).sum()),
        columns={"episode": episode, "issued": issued, "returned": returned, "grade": grade},
    )
    return SatisfactionResult(patients=pat, meta=meta,
                              tables={"summary": summary, "grades": grades})


