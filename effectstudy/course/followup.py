r"""What happens after stagnation: course and outcome of stagnated versus on-track episodes.

:func:`stagnation_followup` takes the stagnation status of each episode (the result of
``es.stagnation``, or a table with a ``status`` column indexed by episode id) and
reports, per status (``stagnated``, ``on_track``, ``not_evaluable``): the number of
sessions, the share beyond the planned sessions, the end reasons, and, when
``outcome=`` is given, the end-of-treatment outcome: the distribution of the reliable
change / clinical significance categories and a pre/post effect size
(:func:`effectstudy.prepost_effect`) per status.  The practice rule behind it: a
stagnated treatment is discussed in peer consultation and intensified, changed or
referred; this shows what came of it.

>>> import pandas as pd, effectstudy as es
>>> ep = pd.DataFrame({"episode_id": ["e1", "e2", "e3", "e4", "e5"],
...     "start_date": pd.to_datetime(["2024-01-01"] * 5),
...     "end_date": pd.to_datetime(["2024-04-01", "2024-06-01", "2024-03-01", None,
...                                 "2024-05-01"]),
...     "sessions": [8, 22, 6, 4, 12],
...     "end_reason": ["regular", "referral", "regular", None, "dropout"]})
>>> status = pd.Series(["on_track", "stagnated", "on_track", "not_evaluable", "stagnated"],
...                    index=pd.Index(["e1", "e2", "e3", "e4", "e5"], name="episode_id"),
...                    name="status")
>>> fu = es.stagnation_followup(status, ep)
>>> fu.summary()[["status", "n", "n_closed", "sessions_median", "n_regular_end"]]
          status  n  n_closed  sessions_median  n_regular_end
0      stagnated  2         2             17.0              0
1       on_track  2         2              7.0              2
2  not_evaluable  1         0              NaN              0
3            all  5         4             10.0              2
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from effectstudy.core import plotting
from effectstudy.core.checks import check_ci, check_columns
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError, DataQualityWarning
from effectstudy.core.keys import index_positions
from effectstudy.core.labels import register
from effectstudy.core.results import TablesResult, base_meta
from effectstudy.core.schema import STAGNATION_STATUSES
from effectstudy.course.treatment_course import (
    OVERALL,
    as_status_frame,
    crosscount,
    id_index,
    long_shares,
    make_groups,
    treatment_course,
    unique_ids,
)
from effectstudy.kernels.proportions import proportion, wilson_ci
from effectstudy.outcomes.effect_size import prepost_effect

__all__ = ["stagnation_followup", "FollowupResult", "STATUS_ORDER"]

#: reporting order of the statuses (stagnated first: it is what the analysis is about)
STATUS_ORDER = ("stagnated", "on_track", "not_evaluable", "not_assessed")

register({
    "not_assessed": {"nl": "niet beoordeeld", "en": "not assessed"},
    "n_regular_end": {"nl": "n regulier beëindigd", "en": "n regular end"},
    "share_regular_end": {"nl": "Aandeel regulier beëindigd", "en": "Share regular end"},
    "n_with_outcome": {"nl": "n met uitkomst", "en": "n with outcome"},
    "share_improved": {"nl": "Aandeel verbeterd", "en": "Share improved"},
    "effect_size": {"nl": "Effectgrootte", "en": "Effect size"},
    "share_beyond_ci_low": {"nl": "Boven gepland BI onder", "en": "Beyond planned CI low"},
    "share_beyond_ci_high": {"nl": "Boven gepland BI boven", "en": "Beyond planned CI high"},
    "regular_ci_low": {"nl": "Regulier BI onder", "en": "Regular end CI low"},
    "regular_ci_high": {"nl": "Regulier BI boven", "en": "Regular end CI high"},
    "improved_ci_low": {"nl": "Verbeterd BI onder", "en": "Improved CI low"},
    "improved_ci_high": {"nl": "Verbeterd BI boven", "en": "Improved CI high"},
    "effect_ci_low": {"nl": "Effectgrootte BI onder", "en": "Effect size CI low"},
    "effect_ci_high": {"nl": "Effectgrootte BI boven", "en": "Effect size CI high"},
})


@dataclass(frozen=True, repr=False)
class FollowupResult(TablesResult):
    """Result of :func:`stagnation_followup`.

    ``patients`` (index = episode id): ``status, closed, sessions, planned_band,
    end_reason[, change, category]``.  Tables per status and overall (``status ==
    "all"``): :meth:`summary`, :meth:`sessions`, :meth:`end_reasons`, :meth:`categories`,
    :meth:`effect_sizes`; ``course`` is the underlying
    :class:`~effectstudy.course.treatment_course.TreatmentCourseResult` grouped by status.
    """

    course: Any = None
    title = "After stagnation"
    verb = "es.stagnation_followup"

    def summary(self) -> pd.DataFrame:
        """Per status: ``status, n, proportion, n_closed, n_open, sessions_mean,
        sessions_sd, sessions_median, n_beyond, share_beyond, share_beyond_ci_low,
        share_beyond_ci_high, n_regular_end, share_regular_end, regular_ci_low,
        regular_ci_high`` and with an outcome ``n_with_outcome, n_improved,
        share_improved, improved_ci_low, improved_ci_high, effect_size, effect_ci_low,
        effect_ci_high`` (improved = recovered or improved; shares of closed episodes /
        of those with an outcome)."""
        return self._table("summary")

    def sessions(self) -> pd.DataFrame:
        """Sessions of closed episodes per status: ``status, n, n_missing, mean, sd, min,
        q1, median, q3, max``."""
        return self._table("sessions")

    def end_reasons(self) -> pd.DataFrame:
        """``status, end_reason, n, proportion_closed, ci_low, ci_high, proportion_all``
        (rows ``missing`` and ``open`` included; ``n`` sums to the status's ``n``)."""
        return self._table("end_reasons", "end_reason")

    def categories(self) -> pd.DataFrame:
        """Outcome categories per status: ``status, category, n, proportion, ci_low,
        ci_high`` (of the episodes with an outcome)."""
        return self._table("categories")

    def effect_sizes(self) -> pd.DataFrame:
        """``es.prepost_effect`` per status: ``status`` and its summary columns (statuses
        with fewer than 3 pairs or no variance are listed in ``meta["effect_size_skipped"]``)."""
        return self._table("effect_sizes")

    def plot(self, ax=None, *, lang: str | None = None):
        """Stacked bars of the outcome categories per status (needs ``outcome=``), in ``lang``
        (default: the result's own language)."""
        from effectstudy.core.labels import label
        from effectstudy.core.plotting import plot_lang

        lang = plot_lang(lang, self.meta)
        c = self._table("categories").rename(columns={"status": "group"})
        c = c[c["group"] != OVERALL]
        c["group"] = c["group"].astype(str)
        return plotting.category_bars(c, ax=ax, lang=lang, grouping="fig_status",
                                      title=label("fig_followup_title", lang))


def _status(stagnation: Any) -> pd.Series:
    pat = as_status_frame(stagnation, "stagnation", "status")
    if "status" not in pat.columns:
        raise ArgumentError("stagnation", list(pat.columns), "es.stagnation(...) output or a "
                            "DataFrame/Series with a 'status' column indexed by episode id")
    s = pat["status"]
    vals = s.astype(object).where(s.notna(), None).to_numpy()
    bad = ~np.isin(vals, list(STAGNATION_STATUSES))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError("unknown stagnation status", row=pat.index[i], column="status",
                        value=vals[i], expected=f"one of {list(STAGNATION_STATUSES)}")
    return pd.Series(vals, index=pat.index, name="status", dtype=object)


def stagnation_followup(
    stagnation: Any,
    episodes: pd.DataFrame,
    *,
    outcome: Any = None,
    episode: Hashable = "episode_id",
    sessions: Hashable = "sessions",
    start: Hashable = "start_date",
    end: Hashable = "end_date",
    end_reason: Hashable | None = "end_reason",
    planned: tuple[int, int] = (5, 20),
    effect_method: Literal["rm", "av", "z", "b", "d"] = "b",
    adjust: bool = True,
    ci: float = 0.95,
) -> FollowupResult:
    r"""Sessions, end reasons and end-of-treatment outcome of stagnated vs on-track episodes.

    Parameters
    ----------
    stagnation : result, DataFrame or Series
        ``es.stagnation(...)`` (``.patients`` indexed by episode id with ``status``), or a
        DataFrame with ``status`` indexed by (or with a column) ``episode_id``, or a
        Series of statuses indexed by episode id.  Statuses: ``stagnated``,
        ``on_track``, ``not_evaluable``.
    episodes : DataFrame
        Canonical episodes (``episode_id, start_date, end_date, sessions, end_reason``).
        Episodes without a status are reported as ``not_assessed``; statuses of episodes
        not in ``episodes`` are left out (counted in ``meta["exclusions"]``, with a
        :class:`~effectstudy.core.errors.DataQualityWarning`).
    outcome : result, optional
        ``es.clinical_significance(...)`` or ``es.reliable_change(...)`` on the same
        episodes (``.patients`` indexed by episode id with ``category``, ``pre``,
        ``post``), or a DataFrame like it.
    episode, sessions, start, end, end_reason, planned
        As in :func:`effectstudy.course.treatment_course`.
    effect_method, adjust : as ``method``/``adjust`` of :func:`effectstudy.prepost_effect`
        Default ``"b"`` (Becker's :math:`d`) with Hedges' correction, as
        ``analysis.effect_size`` of the params.
    ci : float, default 0.95

    Returns
    -------
    FollowupResult
        ``.summary()``, ``.sessions()``, ``.end_reasons()``, ``.categories()``,
        ``.effect_sizes()``, ``.patients``, ``.course``, ``.plot()``.

    Notes
    -----
    The course tables are :func:`effectstudy.course.treatment_course` with the status as the
    group (closed episodes for sessions and planned range; open ones counted).  Shares
    have Wilson intervals.  The effect size per status is
    :func:`effectstudy.prepost_effect` on the outcome's pre and post scores of that
    status's episodes (post - pre; negative = lower score at the end).  Differences
    between statuses are descriptive: stagnation is flagged *because* early change was
    poor, so the comparison shows what followed, not the effect of peer consultation.
    """
    ci = check_ci(ci)
    status = _status(stagnation)
    if not isinstance(episodes, pd.DataFrame):
        raise ArgumentTypeError("episodes", episodes, "the episodes DataFrame")
    check_columns(episodes, what="episodes", episode=episode)
    unique_ids(episodes, episode, "episodes")
    ids = id_index(episodes[episode])
    exclusions: dict[str, int] = {}
    pos = index_positions(status.index, ids)
    # both sides hold unique ids: the statuses not found are the ones left out
    n_outside = int(len(status) - np.count_nonzero(pos >= 0))
    if n_outside:
        exclusions["status_of_episode_not_in_episodes"] = n_outside
        warnings.warn(f"{n_outside} stagnation status(es) of episodes not in "
                      "episodes= left out", DataQualityWarning, stacklevel=2)
    st = np.where(pos >= 0, status.to_numpy()[np.maximum(pos, 0)], "not_assessed")
    levels = [s for s in STATUS_ORDER if s in set(st) or s in STAGNATION_STATUSES]
    ep = episodes.assign(_status=pd.Categorical(st, categories=levels))
    course = treatment_course(ep, episode=episode, sessions=sessions, start=start, end=end,
                              end_reason=end_reason, planned=planned, group="_status", ci=ci,
                              keep_empty_groups=True)
    groups = make_groups(ep["_status"], keep_empty=True)

    def relabel(t: pd.DataFrame | None) -> pd.DataFrame | None:
        if t is None:
            return None
        t = t.rename(columns={"group": "status"})
        t["status"] = t["status"].astype(object)
        return t

    head = course.summary()
    t_sessions = relabel(course.sessions())
    t_reasons = relabel(course.end_reasons()) if end_reason is not None else None
    n_closed = head["n_closed"].to_numpy()
    if t_reasons is not None:
        reg = t_reasons[t_reasons["end_reason"] == "regular"]
        n_reg = (reg.set_index("status")["n"].reindex(head["group"].astype(object))
                 .fillna(0).to_numpy().astype(int))
    else:
        n_reg = np.full(len(head), 0)
    lo_r, hi_r = wilson_ci(n_reg, n_closed, ci)
    share_reg = proportion(n_reg, n_closed)
    n_all = head["n_episodes"].to_numpy()
    summary = pd.DataFrame({
        "status": head["group"].astype(object).to_numpy(), "n": n_all,
        "proportion": n_all / n_all[-1] if n_all[-1] else np.nan,
        "n_closed": n_closed, "n_open": head["n_open"].to_numpy(),
        "sessions_mean": head["sessions_mean"].to_numpy(),
        "sessions_sd": head["sessions_sd"].to_numpy(),
        "sessions_median": head["sessions_median"].to_numpy(),
        "n_beyond": head["n_beyond"].to_numpy(), "share_beyond": head["share_beyond"].to_numpy(),
        "share_beyond_ci_low": head["share_beyond_ci_low"].to_numpy(),
        "share_beyond_ci_high": head["share_beyond_ci_high"].to_numpy(),
        "n_regular_end": n_reg, "share_regular_end": share_reg,
        "regular_ci_low": lo_r, "regular_ci_high": hi_r,
    })
    if end_reason is None:
        summary[["n_regular_end", "share_regular_end", "regular_ci_low",
                 "regular_ci_high"]] = np.nan
    pat = pd.DataFrame({"status": st}, index=ids)
    cp = course.patients
    for c in ("closed", "sessions", "planned_band", "end_reason"):
        if c in cp:
            pat[c] = cp[c].to_numpy()

    meta = base_meta("descriptive", effect_method=effect_method, adjust=adjust, ci=ci,
                     ci_method="wilson", planned=course.meta["planned"],
                     overall_label=OVERALL, n_original=int(len(status)),
                     n_used=int((pos >= 0).sum()), exclusions=exclusions,
                     n_not_assessed=int((pos < 0).sum()), statuses=levels)
    t_cat = t_es = None
    if outcome is not None:
        op = as_status_frame(outcome, "outcome", "category")
        if "category" not in op.columns:
            raise ArgumentError("outcome", type(outcome).__name__,
                                "es.clinical_significance / es.reliable_change output (or a "
                                "DataFrame indexed by episode id) with a 'category' column; "
                                f"it has {list(op.columns)}")
        cat = op["category"]
        cats = (list(cat.cat.categories) if isinstance(cat.dtype, pd.CategoricalDtype)
                else sorted(map(str, cat.dropna().unique())))
        opos = index_positions(op.index, ids)
        has = opos >= 0
        ocat = np.where(has, cat.astype(object).to_numpy()[np.maximum(opos, 0)], None)
        meta["outcome_not_in_episodes"] = int(len(op) - np.count_nonzero(has))
        has &= pd.notna(ocat)
        meta["outcome_categories"] = cats
        pat["category"] = ocat
        frame = pd.DataFrame({"cat": ocat, "has": has,
                              "good": np.isin(ocat.astype(object), ["recovered", "improved"])})
        stk = groups.stack(frame)
        k = groups.k
        gc = stk["_g"].to_numpy()
        n_out = np.bincount(gc, weights=stk["has"].to_numpy(), minlength=k).astype(int)
        n_good = np.bincount(gc, weights=stk["good"].to_numpy(), minlength=k).astype(int)
        cnt = crosscount(stk, "cat", cats, k)
        t_cat = long_shares(groups, cnt, cats, "category", n_out, ci)
        t_cat = relabel(t_cat)
        lo_g, hi_g = wilson_ci(n_good, n_out, ci)
        summary["n_with_outcome"] = n_out
        summary["n_improved"] = n_good
        summary["share_improved"] = proportion(n_good, n_out)
        summary["improved_ci_low"] = lo_g
        summary["improved_ci_high"] = hi_g
        # effect sizes: es.prepost_effect on the outcome's own pre/post pairs, per status
        # oriented as the outcome's scale says (improvement positive), like every effect size
        # of the reports; a plain DataFrame outcome keeps post - pre
        better_is = getattr(outcome, "meta", {}).get("better_is")
        t_es = _effect_sizes_by_status(op, opos, has, ids, groups, summary, meta,
                                       effect_method=effect_method, adjust=adjust, ci=ci,
                                       better_is=better_is)
    tables = {"summary": summary, "sessions": t_sessions, "end_reasons": t_reasons,
              "categories": t_cat, "effect_sizes": t_es}
    return FollowupResult(patients=pat, meta=meta, tables=tables, course=course)


def _effect_sizes_by_status(op: pd.DataFrame, opos: np.ndarray, has: np.ndarray, ids: pd.Index,
                            groups: Any, summary: pd.DataFrame, meta: dict[str, Any], *,
                            effect_method: str, adjust: bool, ci: float,
                            better_is: str | None = None) -> pd.DataFrame:
    """``es.prepost_effect`` on the outcome's own pre/post pairs, per status and overall.

    Adds ``effect_size``, ``effect_ci_low`` and ``effect_ci_high`` to ``summary`` and
    ``effect_size_skipped`` (status -> why), ``effect_size_name``, ``orientation`` and
    ``effect_size_definition`` to ``meta``; returns the table of effect sizes (improvement
    positive when ``better_is`` is given, as :func:`effectstudy.prepost_effect`).
    """
    rows, skipped = [], {}
    if {"pre", "post"} <= set(op.columns):
        pre = np.where(has, op["pre"].to_numpy(dtype=float)[np.maximum(opos, 0)], np.nan)
        post = np.where(has, op["post"].to_numpy(dtype=float)[np.maximum(opos, 0)], np.nan)
        complete = ~np.isnan(pre) & ~np.isnan(post)
        # the episodes' positions stand in for their ids: prepost_effect pairs by subject in
        # order of first appearance, which positions keep, and reports no id
        at = np.arange(len(ids))
        for j, lab in enumerate(groups.labels):
            sel = complete & ((groups.codes == j) if lab != OVERALL else True)
            long = pd.DataFrame({
                "episode_id": np.r_[at[sel], at[sel]],
                "time": np.repeat(["pre", "post"], int(sel.sum())),
                "score": np.r_[pre[sel], post[sel]]})
            try:
                if not sel.any():
                    raise DataError("0 complete pair(s); an effect size with a CI needs "
                                    "at least 3")
                r = prepost_effect(long, subject="episode_id", time="time",
                                   outcome="score", pre="pre", post="post",
                                   method=effect_method, adjust=adjust, ci=ci, better_is=better_is)
            except DataError as exc:
                skipped[str(lab)] = str(exc)
                continue
            rows.append(r.summary().assign(status=lab))
            meta.setdefault("effect_size_name", r.meta.get("estimate_name"))
            meta.setdefault("orientation", r.meta.get("orientation"))
            meta.setdefault("effect_size_definition", r.meta.get("definition"))
    else:
        skipped = {"all": "outcome has no 'pre' and 'post' columns"}
    meta["effect_size_skipped"] = skipped
    if rows:
        t_es = pd.concat(rows, ignore_index=True)
        t_es = t_es[["status", *[c for c in t_es.columns if c != "status"]]]
        t_es["status"] = t_es["status"].astype(object)
        e = t_es.set_index("status")
        key = summary["status"]
        summary["effect_size"] = e["estimate"].reindex(key).to_numpy()
        summary["effect_ci_low"] = e["ci_low"].reindex(key).to_numpy()
        summary["effect_ci_high"] = e["ci_high"].reindex(key).to_numpy()
    else:
        t_es = pd.DataFrame(columns=["status", "n", "estimate", "ci_low", "ci_high"])
        summary["effect_size"] = np.nan
        summary["effect_ci_low"] = np.nan
        summary["effect_ci_high"] = np.nan
    return t_es
