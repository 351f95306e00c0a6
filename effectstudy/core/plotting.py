"""Plots shared by the stages: category bars, forest plot, the Axes helper and colours.

Every function takes ``ax=None`` and returns the Axes it drew on; when ``ax`` is given
no figure is created.  Colours are fixed per category so figures are comparable across
reports.  Labels come from :mod:`effectstudy.core.labels` (``lang="nl"`` or ``"en"``); every
number printed on a plot (tick labels, estimates, the CI level) is formatted by
:mod:`effectstudy.core.formatting`, so a Dutch plot has decimal commas and a plot shows the
same digits as the tables and texts.
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
>>> [t.get_text() for t in ax.get_yticklabels()][:3]
['0%', '20%', '40%']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from effectstudy.core.errors import ArgumentError
from effectstudy.core.formatting import DEFAULT_LANG, Lang, check_lang, interval, number, percent
from effectstudy.core.labels import label
from effectstudy.core.schema import CATEGORIES

__all__ = ["axes", "category_bars", "forest", "number_ticks", "CATEGORY_COLOURS"]

#: colour per category (colour-blind-safe Okabe-Ito palette)
CATEGORY_COLOURS: dict[str, str] = {
    "recovered": "#009E73",
    "improved": "#56B4E9",
    "unchanged": "#999999",
    "deteriorated": "#E69F00",
    "harmed": "#D55E00",
}


def _tick_digits(locs: np.ndarray) -> int:
    """The fewest decimals (at most 6) that show every tick location exactly."""
    locs = np.asarray(locs, dtype=float)
    locs = locs[np.isfinite(locs)]
    for d in range(7):
        if np.allclose(locs, np.round(locs, d), rtol=0, atol=1e-9 * max(1.0, float(np.abs(locs).max(initial=0)))):
            return d
    return 6


def number_ticks(ax, lang: Lang = DEFAULT_LANG, *, axis: str = "both", as_percent: bool = False):
    """Tick labels through :func:`effectstudy.core.formatting.number` (decimal comma in Dutch).

    Parameters
    ----------
    ax : matplotlib Axes
        The axes whose tick labels are set (returned).
    lang : {"nl", "en"}
        Decimal comma (``"nl"``) or point (``"en"``).
    axis : {"x", "y", "both"}
        The axis or axes.
    as_percent : bool
        The values are proportions shown as percentages (:func:`~effectstudy.core.formatting.percent`).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> _, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [0, 1.5])
    >>> _ = ax.set_ylim(0, 1.5)
    >>> ax = number_ticks(ax, "nl")
    >>> ax.figure.canvas.draw()
    >>> [t.get_text() for t in ax.get_yticklabels()]  # the locator's ticks, a comma each
    ['0,0', '0,2', '0,4', '0,6', '0,8', '1,0', '1,2', '1,4', '1,6']
    >>> plt.close(ax.figure)
    """
    from matplotlib.ticker import Formatter

    check_lang(lang)
    if axis not in ("x", "y", "both"):
        raise ArgumentError("axis", axis, "'x', 'y' or 'both'")

    class _Ticks(Formatter):
        def format_ticks(self, values):  # one number of decimals for all ticks of the axis
            locs = np.asarray(values, dtype=float)
            return [self._text(v, locs) for v in values]

        def __call__(self, x, pos=None):
            return self._text(x, np.asarray([x], dtype=float))

        def _text(self, x, locs):
            if as_percent:
                return percent(x, lang, _tick_digits(100 * locs))
            return number(x, lang, _tick_digits(locs))

    for name in ("x", "y") if axis == "both" else (axis,):
        getattr(ax, f"{name}axis").set_major_formatter(_Ticks())
    return ax


def axes(ax=None):
    """``ax`` itself, or the Axes of a new figure (5.5 x 5 inches) when ``ax`` is None."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(5.5, 5))
    return ax


def category_bars(summary: pd.DataFrame, ax=None, *, lang: Lang = DEFAULT_LANG):
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
    return number_ticks(ax, lang, axis="y", as_percent=True)


def forest(table: pd.DataFrame, meta: dict[str, Any] | None = None, ax=None, *,
           lang: Lang = DEFAULT_LANG):
    """Forest plot: estimate with CI per row of an effect-size table (group on the y axis).

    Each row is annotated on the right with its estimate and interval as the tables show
    them (``0,13 [0,05; 0,21]``).
    """
    ax = axes(ax)
    t = table.reset_index(drop=True)
    names = [str(g) for g in t["group"]] if "group" in t else [label("all", lang)]
    ypos = np.arange(len(t))[::-1]
    est = t["estimate"].to_numpy(dtype=float)
    lo, hi = t["ci_low"].to_numpy(dtype=float), t["ci_high"].to_numpy(dtype=float)
    err = np.vstack([est - lo, hi - est])
    ax.errorbar(est, ypos, xerr=err, fmt="s", color="black", capsize=3, ms=5)
    ax.axvline(0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(ypos)
    ax.set_yticklabels([f"{nm} (n={int(n)})" for nm, n in zip(names, t["n"], strict=True)])
    for y, e, a, b in zip(ypos, est, lo, hi, strict=True):
        ax.annotate(f"{number(e, lang)} {interval(a, b, lang)}", xy=(1.02, y),
                    xycoords=("axes fraction", "data"), ha="left", va="center", fontsize="small")
    name = (meta or {}).get("estimate_name", "estimate")
    ci = (meta or {}).get("ci")
    ax.set_xlabel(f"{name}" + (f" ({percent(ci, lang)} {label('ci', lang)})" if ci else ""))
    return number_ticks(ax, lang, axis="x")
