"""Plots shared by the stages: category bars, forest plot, the Axes helper and colours.

Every function takes ``ax=None`` and returns the Axes it drew on; when ``ax`` is given
no figure is created.  Colours are fixed per category so figures are comparable across
reports.  Labels come from :mod:`effectstudy.core.labels` (``lang="nl"`` or ``"en"``).
The Jacobson-Truax plot, which needs the reliable-change band, is
:func:`effectstudy.outcomes.plots.jt_plot`.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> s = pd.DataFrame({"category": ["improved", "unchanged", "deteriorated"], "n": [5, 3, 1],
...                   "proportion": [5 / 9, 3 / 9, 1 / 9]})
>>> ax = category_bars(s)
>>> [t.get_text() for t in ax.get_xticklabels()]
['verbeterd', 'onveranderd', 'verslechterd']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from effectstudy.core.labels import Lang, label, register
from effectstudy.core.schema import CATEGORIES

__all__ = ["axes", "category_bars", "forest", "CATEGORY_COLOURS"]

register({
    "all": {"nl": "alle", "en": "all"},
    "ci": {"nl": "BI", "en": "CI"},
})

#: colour per category (colour-blind-safe Okabe-Ito palette)
CATEGORY_COLOURS: dict[str, str] = {
    "recovered": "#009E73",
    "improved": "#56B4E9",
    "unchanged": "#999999",
    "deteriorated": "#E69F00",
    "harmed": "#D55E00",
}


def axes(ax=None):
    """``ax`` itself, or the Axes of a new figure (5.5 x 5 inches) when ``ax`` is None."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(5.5, 5))
    return ax


def category_bars(summary: pd.DataFrame, ax=None, *, lang: Lang = "nl"):
    """Stacked bars of the category proportions, one bar per group (or one bar)."""
    ax = axes(ax)
    s = summary.copy()
    s["category"] = s["category"].astype(str)
    cats = [c for c in CATEGORIES if c in set(s["category"])]
    if "group" in s:
        wide = s.pivot_table(index="group", columns="category", values="proportion",
                             aggfunc="sum", observed=True).reindex(columns=cats).fillna(0)
        bottom = np.zeros(len(wide))
        names = [str(g) for g in wide.index]
        for c in cats:
            v = wide[c].to_numpy()
            ax.bar(names, v, bottom=bottom, color=CATEGORY_COLOURS[c], label=label(c, lang))
            bottom += v
        ax.set_xlabel(label("group", lang))
        ax.legend(fontsize="small", frameon=False, bbox_to_anchor=(1.0, 1.0), loc="upper left")
    else:
        s = s.set_index("category").reindex(cats)
        ax.bar([label(c, lang) for c in cats], s["proportion"].to_numpy(),
               color=[CATEGORY_COLOURS[c] for c in cats])
    ax.set_ylim(0, 1)
    ax.set_ylabel(label("proportion", lang))
    return ax


def forest(table: pd.DataFrame, meta: dict[str, Any] | None = None, ax=None, *,
           lang: Lang = "nl"):
    """Forest plot: estimate with CI per row of an effect-size table (group on the y axis)."""
    ax = axes(ax)
    t = table.reset_index(drop=True)
    names = [str(g) for g in t["group"]] if "group" in t else [label("all", lang)]
    ypos = np.arange(len(t))[::-1]
    est = t["estimate"].to_numpy(dtype=float)
    err = np.vstack([est - t["ci_low"].to_numpy(dtype=float),
                     t["ci_high"].to_numpy(dtype=float) - est])
    ax.errorbar(est, ypos, xerr=err, fmt="s", color="black", capsize=3, ms=5)
    ax.axvline(0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(ypos)
    ax.set_yticklabels([f"{nm} (n={int(n)})" for nm, n in zip(names, t["n"], strict=True)])
    name = (meta or {}).get("estimate_name", "estimate")
    ci = (meta or {}).get("ci")
    ax.set_xlabel(f"{name}" + (f" ({ci:.0%} {label('ci', lang)})" if ci else ""))
    return ax
