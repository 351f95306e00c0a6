"""Plots of pre/post outcome results: the Jacobson-Truax plot.

:class:`PrePostPlot` is the ``plot()`` of reliable change and clinical significance;
it takes ``ax=None`` and returns the Axes it drew on (no new figure when ``ax`` is given).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from effectstudy.core.errors import ArgumentError
from effectstudy.core.formatting import DEFAULT_LANG, Lang
from effectstudy.core.labels import label, register
from effectstudy.core.plotting import (
    CATEGORY_COLOURS,
    axes,
    category_bars,
    describe_figure,
    number_ticks,
    plot_lang,
    scale_name,
)
from effectstudy.core.schema import CATEGORIES
from effectstudy.kernels.anchor import mid_band
from effectstudy.kernels.change import direction, rc_band

__all__ = ["jt_plot", "PrePostPlot", "scale_text"]

register({
    "no_change": {"nl": "geen verandering", "en": "no change"},
    "rc_band": {"nl": "geen betrouwbare verandering", "en": "no reliable change"},
    "cutoff": {"nl": "grenswaarde", "en": "cut-off"},
    "mid_band": {"nl": "verandering kleiner dan de MID", "en": "change smaller than the MID"},
})


def scale_text(meta: dict[str, Any] | None, lang: Lang = DEFAULT_LANG) -> str | None:
    """The name of the scale a result is about, in ``lang`` ("Psychoneuroticisme (PSNEUR)"),
    from ``meta["instrument"]`` and ``meta["scale"]`` through the instrument registry; the
    scale's registered label without an instrument; ``None`` when the result names no scale.

    >>> scale_text({}, "nl") is None
    True
    """
    m = meta or {}
    scale = m.get("scale")
    if not scale:
        return None
    if m.get("instrument"):
        from effectstudy.instruments import scale_names

        names = scale_names(m["instrument"], lang)
        if scale in names:
            return names[scale]
    return scale_name(scale, lang)


def jt_plot(patients: pd.DataFrame, meta: dict[str, Any], ax=None, *, lang: Lang | None = None,
            band: bool = True, s: float = 18, alpha: float = 0.8, title: str | None = None):
    """Jacobson-Truax plot: pre (x) against post (y) score per patient.

    Draws the no-change diagonal, the reliable-change band (the post scores at which the
    method's RCI equals the critical value; not drawn for HLM; for ``method="anchor"`` the
    band of changes smaller than the MID), the cut-off (vertical and
    horizontal lines) when there is one, and the patients coloured by category.  The axes
    name the scale when ``meta`` does; the figure carries its title, alt text and data.
    """
    lang = plot_lang(lang, meta)
    ax = axes(ax, figsize=(6, 5.6))
    x = patients["pre"].to_numpy(dtype=float)
    y = patients["post"].to_numpy(dtype=float)
    lo = float(np.nanmin(np.r_[x, y])) if x.size else 0.0
    hi = float(np.nanmax(np.r_[x, y])) if x.size else 1.0
    pad = 0.05 * (hi - lo or 1.0)
    lo, hi = lo - pad, hi + pad
    grid = np.linspace(lo, hi, 200)
    ax.plot(grid, grid, color="black", lw=1, label=label("no_change", lang))
    if band:
        if meta.get("method") == "anchor":  # the minimal important difference, not an RCI
            b = mid_band(grid, d=direction(meta["better_is"]),
                         mid_improvement=meta["mid_improvement"],
                         mid_deterioration=meta["mid_deterioration"])
        else:
            b = rc_band(meta, grid)
        if b is not None:
            ax.fill_between(grid, b[0], b[1], color="grey", alpha=0.15, lw=0,
                            label=label("mid_band" if meta.get("method") == "anchor"
                                        else "rc_band", lang))
    cut = meta.get("cutoff_value")
    if cut is not None and np.isfinite(cut):
        ax.axvline(cut, color="black", ls="--", lw=0.8, label=label("cutoff", lang))
        ax.axhline(cut, color="black", ls="--", lw=0.8)
    cats = patients["category"].astype(str).to_numpy()
    for c in CATEGORIES:
        sel = cats == c
        if sel.any():
            ax.scatter(x[sel], y[sel], s=s, alpha=alpha, color=CATEGORY_COLOURS[c],
                       label=f"{label(c, lang)} ({int(sel.sum())})", edgecolor="none")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal", adjustable="box")
    scale = scale_text(meta, lang)
    ax.set_xlabel(label("pre", lang).capitalize() + (f": {scale}" if scale else ""))
    ax.set_ylabel(label("post", lang).capitalize() + (f": {scale}" if scale else ""))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    number_ticks(ax, lang)
    data = patients[[c for c in ("pre", "post", "category") if c in patients]].reset_index(drop=True)  # no ids
    return describe_figure(ax, title=title or label("fig_jt_title", lang), alt=label("fig_jt_alt", lang),
                           data=data)


class PrePostPlot:
    """The ``plot()`` of the pre/post results (reliable change, clinical significance).

    A mixin for :class:`~effectstudy.core.results.Result` subclasses whose ``patients``
    have ``pre``, ``post`` and ``category`` and whose ``summary()`` counts the categories.
    """

    def plot(self, ax=None, kind: Literal["jt", "bars"] = "jt", *, lang: Lang | None = None, **kwargs):
        """Jacobson-Truax plot (``kind="jt"``) or category bars per group (``"bars"``), in
        ``lang`` (default: the result's own language, ``meta["lang"]``, else Dutch)."""
        meta = self.meta  # type: ignore[attr-defined]
        lang = plot_lang(lang, meta)
        if kind == "bars":
            return category_bars(self.summary(), ax=ax, lang=lang,  # type: ignore[attr-defined]
                                 grouping=meta.get("group"), **kwargs)
        if kind == "jt":
            return jt_plot(self.patients, meta, ax=ax, lang=lang, **kwargs)  # type: ignore[attr-defined]
        raise ArgumentError("kind", kind, "'jt' or 'bars'")
