r"""Key figures of the public yearly effectiveness summary, their trend, and the plain-language text.

The yearly summary (jaarlijkse effectiviteitsrapportage) states, for the episodes that
**ended in the report year** with consent to the effect study:

========================  ==================================================================
key                       figure
========================  ==================================================================
``episodes_ended``        episodes ended in the year (count)
``clients``               clients of those episodes (count)
``complete``              share with a usable pre and post measurement (Wilson CI)
``effect_size``           standardised improvement of the primary scale, positive = better
                          (the study's effect-size method; CI as ``es.prepost_effect``)
``recovered`` ...         shares of ``recovered``, ``improved``, ``unchanged``,
                          ``deteriorated`` among the complete pairs (Wilson CIs)
``reliably_improved``     recovered + improved (the reliable improvement, Jacobson & Truax)
``stagnated``             stagnation rate among the evaluable episodes (Wilson CI)
``forms_returned``        satisfaction forms returned / issued (Wilson CI)
``mean_grade``            mean client grade (1-10) of the returned forms with a grade
========================  ==================================================================

Each figure carries its numerator ``k`` (counts and shares), its denominator ``n`` and
the number of clients behind it.  Published output goes through
:func:`effectstudy.disclosure_control` (SEC-D1..D4 of the privacy reference): a figure is
shown only when its group has enough clients, counts are rounded and shares are computed
from the rounded counts.  The text is built from the *published* table only, so it never
reveals a suppressed number.

Wilson (1927) score intervals: :func:`effectstudy.proportions.wilson_ci`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from effectstudy.errors import DataError
from effectstudy.labels import register
from effectstudy.proportions import wilson_ci
from effectstudy.results import Result, base_meta

__all__ = ["KeyFigures", "Trend", "key_figures", "trend", "SHARES"]

#: figures that are shares k / n
SHARES = ("complete", "recovered", "improved", "unchanged", "deteriorated", "reliably_improved",
          "stagnated", "forms_returned")

register({
    "figure": {"nl": "Kengetal", "en": "Figure"},
    "value": {"nl": "Waarde", "en": "Value"},
    "k": {"nl": "aantal", "en": "count"},
    "episodes_ended": {"nl": "afgesloten trajecten", "en": "episodes ended"},
    "complete": {"nl": "met voor- en nameting", "en": "with pre and post measurement"},
    "effect_size": {"nl": "effectgrootte (verbetering)", "en": "effect size (improvement)"},
    "reliably_improved": {"nl": "betrouwbaar verbeterd", "en": "reliably improved"},
    "stagnated": {"nl": "stagnatie na 3-5 sessies", "en": "stagnation after 3-5 sessions"},
    "forms_returned": {"nl": "tevredenheidsformulieren terug", "en": "satisfaction forms returned"},
    "mean_grade": {"nl": "gemiddeld rapportcijfer", "en": "mean grade"},
    "year": {"nl": "Jaar", "en": "Year"},
})


@dataclass(frozen=True, repr=False)
class KeyFigures(Result):
    """The year's key figures, overall (``group == "all"``) and per group.

    ``summary()``: one row per grouping, group and figure with ``k`` (numerator; counts and
    shares), ``n`` (denominator), ``clients`` (clients behind the figure), ``value``,
    ``ci_low``, ``ci_high``.  Unpublished: pass it through :meth:`published`.
    """

    table: pd.DataFrame = None  # type: ignore[assignment]
    title = "Key figures"

    def summary(self) -> pd.DataFrame:
        return self.table.copy()

    def published(self, *, min_n: int = 10, round_to: int | None = 5, lang: str = "nl"):
        """The figures after disclosure control (``es.disclosure_control``)."""
        from effectstudy.disclosure import disclosure_control

        return disclosure_control(self.table, min_n=min_n, round_to=round_to, lang=lang)


def _share_rows(grouping: str, group: str, figures: dict[str, tuple[int, int]], clients: int,
                ci: float) -> list[dict[str, Any]]:
    keys = list(figures)
    k = np.array([figures[f][0] for f in keys], dtype=float)
    n = np.array([figures[f][1] for f in keys], dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo, hi = wilson_ci(k, n, ci)
        value = np.where(n > 0, k / np.where(n > 0, n, 1), np.nan)
    return [{"grouping": grouping, "group": group, "figure": f, "k": int(k[i]), "n": int(n[i]),
             "clients": clients, "value": float(value[i]), "ci_low": float(lo[i]), "ci_high": float(hi[i])}
            for i, f in enumerate(keys)]


def key_figures(study: Any, groups: Sequence[str] | None = None, ci: float = 0.95) -> KeyFigures:
    """Compute the key figures of ``study`` (a :class:`effectstudy.Study` of one year).

    Every figure is computed by the stage that owns it (``pair_prepost``,
    ``prepost_effect``, ``clinical_significance``, ``stagnation``, ``satisfaction``);
    this function only collects them with their numerators and denominators.
    """
    from effectstudy.effect_size import prepost_effect

    groups = list(study.analysis.groups if groups is None else groups)
    eps = study.episodes
    pairs = study.pairs()
    cs = study.clinical_significance()
    stag = study.stagnation()
    d = -1.0 if cs.meta["better_is"] == "lower" else 1.0
    paired = pairs.patients.loc[pairs.patients["status"] == "paired", "episode_id"]
    cat = cs.patients["category"].astype(str)
    status = stag.patients["status"].astype(str)
    sat = study.satisfaction_table()
    es_ = study.analysis.effect_size
    rows: list[dict[str, Any]] = []
    parts = [("all", "all", eps)]
    for g in groups:
        if g not in eps:
            raise DataError("the group column is not in the episodes", column=g,
                            expected=f"one of {list(eps.columns)}")
        parts += [(g, str(k), e) for k, e in eps.groupby(g, observed=True, sort=True)]
    for grouping, group, e in parts:
        ids = pd.Index(e["episode_id"])
        n_clients = int(e["client_id"].nunique())
        rows.append({"grouping": grouping, "group": group, "figure": "episodes_ended", "k": len(e),
                     "n": len(e), "clients": n_clients, "value": float(len(e)), "ci_low": np.nan, "ci_high": np.nan})
        mine = paired[paired.isin(ids)]
        n_pairs = len(mine)
        c = cat[cat.index.isin(ids)]
        st = status[status.index.isin(ids)]
        evaluable = st[st != "not_evaluable"]
        figures = {"complete": (n_pairs, len(e))}
        for name in ("recovered", "improved", "unchanged", "deteriorated"):
            figures[name] = (int((c == name).sum()), len(c))
        figures["reliably_improved"] = (int(c.isin(["recovered", "improved"]).sum()), len(c))
        figures["stagnated"] = (int((evaluable == "stagnated").sum()), len(evaluable))
        if sat is not None:
            s = sat[sat["episode_id"].isin(ids)]
            figures["forms_returned"] = (int(s["returned"].sum()), int(s["issued"].sum()))
        pair_clients = int(e.loc[e["episode_id"].isin(mine), "client_id"].nunique())
        rows += _share_rows(grouping, group, figures, n_clients, ci)
        for r in rows[-len(figures):]:
            if r["figure"] in ("recovered", "improved", "unchanged", "deteriorated", "reliably_improved"):
                r["clients"] = pair_clients
        if n_pairs >= 2:
            data = pairs.data[pairs.data["episode_id"].isin(mine)]
            res = prepost_effect(data, subject="episode_id", time="time", outcome="score", pre="pre",
                                 post="post", method=es_.method, adjust=es_.adjust, ci=es_.ci).summary().iloc[0]
            lo, hi = sorted((d * res["ci_low"], d * res["ci_high"]))
            rows.append({"grouping": grouping, "group": group, "figure": "effect_size", "k": np.nan,
                         "n": n_pairs, "clients": pair_clients, "value": d * float(res["estimate"]),
                         "ci_low": lo, "ci_high": hi})
        if sat is not None:
            s = sat[sat["episode_id"].isin(ids) & sat["grade"].notna()]
            if len(s):
                g_ = s["grade"].astype(float)
                half = _t_half(g_.to_numpy(), ci)
                rows.append({"grouping": grouping, "group": group, "figure": "mean_grade", "k": np.nan,
                             "n": len(s), "clients": int(e.loc[e["episode_id"].isin(s["episode_id"]), "client_id"].nunique()),
                             "value": float(g_.mean()), "ci_low": float(g_.mean() - half), "ci_high": float(g_.mean() + half)})
    table = pd.DataFrame(rows)
    table["k"] = table["k"].astype("Float64")
    meta = base_meta("yearly_key_figures", year=getattr(study.params, "year", None), scale=study.scale,
                     effect_size=es_.method, adjust=es_.adjust, orientation="positive = improvement",
                     better_is=cs.meta["better_is"], rc_method=cs.meta["method"],
                     cutoff=cs.meta.get("cutoff_type"), cutoff_value=cs.meta.get("cutoff_value"),
                     reliability=cs.meta.get("reliability"), stagnation_rule=stag.meta.get("rule"),
                     stagnation_window=stag.meta.get("window"), ci=ci, ci_method="wilson (shares), t (grade)",
                     n_original=len(eps), n_used=int(len(paired)), groups=groups)
    return KeyFigures(meta=meta, table=table)


def _t_half(x: np.ndarray, ci: float) -> float:
    from scipy import stats

    if len(x) < 2:
        return float("nan")
    return float(stats.t.ppf(0.5 + ci / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))


# ----------------------------------------------------------------------------- trend
@dataclass(frozen=True, repr=False)
class Trend(Result):
    """Published overall key figures of earlier years and this year, one row per year and figure."""

    table: pd.DataFrame = None  # type: ignore[assignment]
    title = "Trend"

    def summary(self) -> pd.DataFrame:
        return self.table.copy()

    def plot(self, ax=None, figures: Sequence[str] = ("reliably_improved", "recovered", "stagnated"),
             lang: str = "nl"):
        """Published shares per year (only what was published: suppressed years are gaps)."""
        import matplotlib.pyplot as plt

        from effectstudy.labels import label

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        t = self.table
        for f in figures:
            part = t[t["figure"] == f].sort_values("year")
            if len(part):
                ax.plot(part["year"], 100 * part["value"].astype(float), marker="o", label=label(f, lang))
        years = sorted(t["year"].unique())
        ax.set_xticks(years, [str(y) for y in years])
        ax.set_ylim(0, 100)
        ax.set_ylabel("%")
        ax.legend(frameon=False, fontsize=8)
        return ax


def trend(history: Sequence[str | Path], current: Any, *, key: str = "key_figures") -> Trend:
    """The overall published figures of earlier runs (their ``results.json``) and of ``current``.

    ``current`` is the published result of this year (its ``to_dict()`` has the same form as
    the earlier runs' entry ``key``).  Only published values are read, so the trend cannot
    reveal what an earlier report suppressed.
    """
    entries = []
    for path in history:
        try:
            results = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DataError(f"cannot read an earlier run's results: {exc}", file=str(path)) from None
        if key not in results or "year" not in results:
            raise DataError(f"an earlier run's results have no {key!r} and 'year' entries", file=str(path),
                            expected="the results.json of a yearly_summary run")
        entries.append((int(results["year"]), results[key]))
    entries.append((int(current.meta["year"]), current.to_dict()))
    rows = []
    for year, entry in entries:
        for r in entry["summary"]:
            if r.get("grouping") == "all" and r.get("value") is not None:
                rows.append({"year": year, "figure": r["figure"], "value": r["value"]})
    table = pd.DataFrame(rows, columns=["year", "figure", "value"])
    years = [y for y, _ in entries]
    if len(set(years)) != len(years):
        raise DataError(f"the history holds the same year twice: {sorted(years)}", expected="one results.json per year")
    return Trend(meta=base_meta("trend", years=years, n_original=len(entries), n_used=len(entries)),
                 table=table.sort_values(["year", "figure"]).reset_index(drop=True))
