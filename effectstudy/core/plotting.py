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
from effectstudy.core.labels import label, register, translate
from effectstudy.core.schema import CATEGORIES

__all__ = ["axes", "category_bars", "forest", "number_ticks", "CATEGORY_COLOURS", "describe_figure",
           "figure_meta", "fit_ticks", "group_name", "plot_lang", "scale_name", "standardiser_text",
           "wrap"]

# the words of the figures (titles, alt texts, axis names) shared by the plots of every stage
register({
    "fig_positive_improvement": {"nl": "positief = verbetering", "en": "positive = improvement"},
    "fig_post_minus_pre": {"nl": "nameting min voormeting", "en": "post minus pre"},
    "fig_mean_improvement": {"nl": "gemiddelde verbetering", "en": "mean improvement"},
    "fig_mean_change": {"nl": "gemiddelde verandering (nameting min voormeting)",
                        "en": "mean change (post minus pre)"},
    "fig_sd_b": {"nl": "gedeeld door de SD van de voormeting", "en": "divided by the SD of the pre scores"},
    "fig_sd_z": {"nl": "gedeeld door de SD van de verandering", "en": "divided by the SD of the change"},
    "fig_sd_rm": {"nl": "gedeeld door de SD binnen personen", "en": "divided by the within-person SD"},
    "fig_sd_av": {"nl": "gedeeld door de gemiddelde SD van voor- en nameting",
                  "en": "divided by the average SD of pre and post scores"},
    "fig_sd_d": {"nl": "gedeeld door de gepoolde SD van voor- en nameting",
                 "en": "divided by the pooled SD of pre and post scores"},
    "fig_estimate": {"nl": "Schatting", "en": "Estimate"},
    "fig_score": {"nl": "Score", "en": "Score"},
    "fig_share": {"nl": "Aandeel van de cliënten", "en": "Share of clients"},
    "fig_categories_title": {"nl": "Uitkomstcategorieën", "en": "Outcome categories"},
    "fig_categories_alt": {
        "nl": "Gestapelde staven: per {what} het percentage cliënten in elke uitkomstcategorie "
              "(hersteld, verbeterd, onveranderd, verslechterd).",
        "en": "Stacked bars: for each {what} the percentage of clients in each outcome category "
              "(recovered, improved, unchanged, deteriorated)."},
    "fig_forest_title": {"nl": "Effectgrootte met betrouwbaarheidsinterval",
                         "en": "Effect size with confidence interval"},
    "fig_forest_alt": {
        "nl": "Forest plot: per groep de effectgrootte ({name}) als punt met het {ci} "
              "betrouwbaarheidsinterval als lijn; de stippellijn is geen verandering.",
        "en": "Forest plot: for each group the effect size ({name}) as a point with its {ci} "
              "confidence interval as a line; the dashed line is no change."},
    "fig_time": {"nl": "Tijd", "en": "Time"},
    "fig_session": {"nl": "Sessie", "en": "Session"},
    "fig_weeks": {"nl": "Weken sinds de start", "en": "Weeks since the start"},
    "fig_improvement": {"nl": "Verbetering", "en": "Improvement"},
    "fig_n_clients": {"nl": "Aantal cliënten", "en": "Number of clients"},
    "fig_n_closed": {"nl": "Aantal afgesloten trajecten", "en": "Number of closed episodes"},
    "fig_planned": {"nl": "gepland aantal sessies", "en": "planned number of sessions"},
    "fig_percent": {"nl": "Percentage", "en": "Percentage"},
    "fig_observed": {"nl": "waargenomen", "en": "observed"},
    "fig_model": {"nl": "model", "en": "model"},
    "fig_jt_title": {"nl": "Voormeting en nameting per cliënt", "en": "Pre and post score per client"},
    "fig_jt_alt": {
        "nl": "Spreidingsdiagram: per cliënt de score bij de voormeting (horizontaal) tegen die bij de "
              "nameting (verticaal), gekleurd naar uitkomstcategorie; de diagonaal is geen verandering.",
        "en": "Scatter plot: for each client the pre score (horizontal) against the post score "
              "(vertical), coloured by outcome category; the diagonal is no change."},
    "fig_stagnation_title": {"nl": "Gestagneerde trajecten", "en": "Stagnated episodes"},
    "fig_stagnation_axis": {"nl": "Percentage gestagneerd", "en": "Percentage stagnated"},
    "fig_stagnation_alt": {
        "nl": "Per groep het percentage gestagneerde trajecten (punt) met het {ci} "
              "betrouwbaarheidsinterval volgens Wilson (lijn).",
        "en": "For each group the percentage of stagnated episodes (point) with its {ci} Wilson "
              "confidence interval (line)."},
    "fig_sessions_title": {"nl": "Aantal sessies per afgesloten traject",
                           "en": "Number of sessions per closed episode"},
    "fig_sessions_alt": {
        "nl": "Staafdiagram: het aantal afgesloten trajecten per aantal sessies; het grijze vlak is het "
              "geplande aantal ({lo} tot {hi} sessies).",
        "en": "Bar chart: the number of closed episodes per number of sessions; the grey area is the "
              "planned number ({lo} to {hi} sessions)."},
    "fig_length_title": {"nl": "Behandelduur en verbetering", "en": "Treatment length and improvement"},
    "fig_length_alt": {
        "nl": "Spreidingsdiagram: per afgesloten traject het aantal sessies (horizontaal) tegen de "
              "verbetering (verticaal); het grijze vlak is het geplande aantal sessies.",
        "en": "Scatter plot: for each closed episode the number of sessions (horizontal) against the "
              "improvement (vertical); the grey area is the planned number of sessions."},
    "fig_trajectories_title": {"nl": "Verloop van de score tijdens de behandeling",
                               "en": "Course of the score during treatment"},
    "fig_trajectories_alt": {
        "nl": "De gemiddelde score per tijdsinterval (punten met 95%-interval) en de gemiddelde curve "
              "van het mixed model (lijn).",
        "en": "The mean score per time interval (points with 95% interval) and the mean curve of the "
              "mixed model (line)."},
    "fig_grades_title": {"nl": "Rapportcijfers van de cliënten", "en": "Clients' grades"},
    "fig_grades_alt": {"nl": "Staafdiagram: het aantal cliënten per rapportcijfer (1 tot 10).",
                       "en": "Bar chart: the number of clients per grade (1 to 10)."},
    "fig_followup_title": {"nl": "Uitkomst van gestagneerde en niet-gestagneerde trajecten",
                           "en": "Outcome of stagnated and other episodes"},
    "fig_status": {"nl": "Stagnatiestatus", "en": "Stagnation status"},
    "fig_roc_title": {"nl": "ROC-curve van het signaal", "en": "ROC curve of the signal"},
    "fig_roc_alt": {
        "nl": "ROC-curve: de sensitiviteit tegen 1 min de specificiteit bij elke drempel van het "
              "signaal; de stip is het gebruikte signaal, de stippellijn is kans.",
        "en": "ROC curve: sensitivity against 1 minus specificity at every threshold of the signal; "
              "the dot is the signal used, the dotted line is chance."},
    "fig_anchor_title": {"nl": "Verandering en de minimaal belangrijke verandering",
                         "en": "Change and the minimal important difference"},
    "fig_anchor_alt": {
        "nl": "Per groep de gemiddelde verandering (punt) met het {ci} betrouwbaarheidsinterval "
              "(lijn); de stippellijn is de minimaal belangrijke verandering.",
        "en": "For each group the mean change (point) with its {ci} confidence interval (line); the "
              "dotted line is the minimal important difference."},
    "fig_mean_change_points": {"nl": "Gemiddelde verandering (scorepunten)",
                               "en": "Mean change (score points)"},
    "fig_approaches_title": {"nl": "Uitkomstcategorieën per benadering",
                             "en": "Outcome categories per approach"},
    "fig_approach": {"nl": "Benadering", "en": "Approach"},
    "fig_flow_title": {"nl": "Gegevensstroom: trajecten per stap", "en": "Data flow: episodes per step"},
    "fig_flow_alt": {
        "nl": "Stroomdiagram: het aantal trajecten en cliënten na elke stap van inlezen tot analyse, "
              "met de redenen van uitval ernaast.",
        "en": "Flow diagram: the number of episodes and clients after each step from reading to "
              "analysis, with the reasons for exclusion beside it."},
    "fig_trend_title": {"nl": "Kengetallen per jaar", "en": "Key figures per year"},
    "fig_trend_alt": {
        "nl": "Lijndiagram: de gepubliceerde percentages per jaar; een onderdrukt getal is een "
              "onderbreking van de lijn.",
        "en": "Line chart: the published percentages per year; a suppressed figure is a gap in the "
              "line."},
    "fig_trend_missing": {"nl": "Geen lijn zonder gepubliceerde waarde: {names}.",
                          "en": "No line without a published value: {names}."},
    "fig_year": {"nl": "Jaar", "en": "Year"},
    "fig_means_title": {"nl": "Gecorrigeerde gemiddelden per groep", "en": "Adjusted means per group"},
    "fig_means_alt": {
        "nl": "Per groep het voor de covariaten gecorrigeerde gemiddelde van de nameting (punt) met "
              "het 95%-betrouwbaarheidsinterval (lijn).",
        "en": "For each group the post score mean adjusted for the covariates (point) with its 95% "
              "confidence interval (line)."},
    "fig_adjusted_mean": {"nl": "Gecorrigeerd gemiddelde", "en": "Adjusted mean"},
    "fig_residual": {"nl": "Residu", "en": "Residual"},
    "fig_fitted": {"nl": "Voorspelde waarde", "en": "Fitted value"},
    "fig_normal_quantile": {"nl": "Theoretisch kwantiel (normaalverdeling)",
                            "en": "Theoretical quantile (normal distribution)"},
    "fig_residuals_title": {"nl": "Residuen tegen voorspelde waarden", "en": "Residuals against fitted values"},
    "fig_residuals_alt": {
        "nl": "Spreidingsdiagram: per cliënt het residu van de ANCOVA tegen de voorspelde waarde, "
              "gekleurd naar groep; de lijn is nul.",
        "en": "Scatter plot: for each client the ANCOVA residual against the fitted value, coloured "
              "by group; the line is zero."},
    "fig_qq_title": {"nl": "Normaal-kwantielplot van de residuen", "en": "Normal Q-Q plot of the residuals"},
    "fig_qq_alt": {
        "nl": "Q-Q-plot: de geordende residuen tegen de kwantielen van de normaalverdeling; bij "
              "normaal verdeelde residuen liggen de punten op de lijn.",
        "en": "Q-Q plot: the ordered residuals against the quantiles of the normal distribution; "
              "with normally distributed residuals the points lie on the line."},
    "fig_slopes_title": {"nl": "Nameting tegen voormeting per groep", "en": "Post against pre score per group"},
    "fig_slopes_alt": {
        "nl": "Spreidingsdiagram met per groep een regressielijn van de nameting op de voormeting, "
              "om de aanname van gelijke hellingen te beoordelen.",
        "en": "Scatter plot with a regression line of the post on the pre score per group, to judge "
              "the assumption of equal slopes."},
    "fig_figure": {"nl": "Figuur", "en": "Figure"},
    "fig_data": {"nl": "Gegevens bij de figuur", "en": "Data behind the figure"},
})

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


def axes(ax=None, figsize: tuple[float, float] = (5.5, 5)):
    """``ax`` itself, or the Axes of a new figure (``figsize`` inches, constrained layout, so no
    label falls outside the figure) when ``ax`` is None."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def plot_lang(lang: Lang | None, meta: dict[str, Any] | None = None) -> Lang:
    """``lang`` when given, else the result's own language (``meta["lang"]``), else the default.

    >>> plot_lang(None, {"lang": "en"}), plot_lang("nl", {"lang": "en"}), plot_lang(None)
    ('en', 'nl', 'nl')
    """
    if lang is None:
        lang = (meta or {}).get("lang") or DEFAULT_LANG
    return check_lang(lang)


def group_name(value: Any, lang: Lang = DEFAULT_LANG, grouping: Any = None) -> str:
    """A group value as a figure shows it: its label, after the grouping's label when given.

    >>> group_name("anxiety", "nl", "diagnosis"), group_name("basic", "en"), group_name(3, "nl")
    ('Diagnosegroep: angst', 'basic care (GB-GGZ)', '3')
    >>> group_name("all", "nl", "all")
    'alle'
    """
    shown = str(translate(value, lang)) if isinstance(value, str) else str(value)
    if grouping is None or grouping == "all" or value == "all":
        return shown
    return f"{label(str(grouping), lang)}: {shown}"


def scale_name(scale: Any, lang: Lang = DEFAULT_LANG) -> str:
    """The registered label of a scale code (its name with the code in parentheses), else the code.

    >>> scale_name(None, "nl")
    'Score'
    """
    if scale is None or (isinstance(scale, float) and np.isnan(scale)):
        return label("fig_score", lang)
    return str(translate(str(scale), lang))


def standardiser_text(meta: dict[str, Any] | None, lang: Lang = DEFAULT_LANG) -> str:
    """What a standardised effect size divides by what, and which sign means improvement.

    Reads ``meta["standardiser"]`` when it is a text per language (``{"nl": ..., "en": ...}``),
    else the method (``b``, ``z``, ``rm``, ``av``, ``d``); and ``meta["orientation"]``.

    >>> standardiser_text({"method": "b", "orientation": "improvement positive"}, "nl")
    'gemiddelde verbetering gedeeld door de SD van de voormeting; positief = verbetering'
    >>> standardiser_text({"method": "b", "orientation": "post - pre"}, "en")
    'mean change (post minus pre) divided by the SD of the pre scores'
    """
    m = meta or {}
    improvement = "improvement" in str(m.get("orientation", ""))
    std = m.get("standardiser")
    std = std.get(lang) if isinstance(std, dict) else None  # a code ("sd_pre") is not shown
    if not std and m.get("method") in ("b", "z", "rm", "av", "d"):
        num = label("fig_mean_improvement" if improvement else "fig_mean_change", lang)
        std = f"{num} {label('fig_sd_' + m['method'], lang)}"
    parts = [str(std)] if std else []
    if improvement:
        parts.append(label("fig_positive_improvement", lang))
    return "; ".join(parts)


def wrap(text: str, width: int = 40) -> str:
    """``text`` in lines of at most ``width`` characters (words kept whole).

    >>> wrap("niet-aangeboren hersenletsel (n = 9)", 20).splitlines()
    ['niet-aangeboren', 'hersenletsel (n = 9)']
    """
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width, break_long_words=False, break_on_hyphens=False)
                     or [""])


def _title_width(ax) -> int:
    """About how many characters of a title fit above ``ax`` (12 pt): the title is centred on
    the axes, which a constrained layout may still narrow and shift (long tick labels on the
    left), so the width counted is the smaller of the axes' width now and half the figure's."""
    w = ax.figure.get_figwidth() * min(ax.get_position().width, 0.55) * 72
    return max(20, int(w / 6.5))


def describe_figure(ax, *, title: str, alt: str, data: pd.DataFrame | None = None):
    """Title ``ax`` and attach the report's metadata to its figure; returns ``ax``.

    The figure gets ``es_title`` (the title), ``es_alt`` (the alt text: one or two
    sentences saying what the figure shows) and ``es_data`` (the table behind it), which
    :class:`effectstudy.reports.output.ReportOutput` shows under the figure and writes as
    ``figures/<key>.csv``.  The data of a per-client plot holds the plotted values only:
    never an episode or client id (the index is dropped).

    >>> import matplotlib.pyplot as plt
    >>> _, ax = plt.subplots()
    >>> ax = describe_figure(ax, title="Verloop", alt="Een lijn.", data=pd.DataFrame({"x": [1]}))
    >>> ax.get_title(), ax.figure.es_alt, len(ax.figure.es_data)
    ('Verloop', 'Een lijn.', 1)
    >>> plt.close(ax.figure)
    """
    ax.set_title(wrap(title, _title_width(ax)), fontsize="large")
    fig = ax.get_figure(root=True) if hasattr(ax, "get_figure") else ax.figure
    fig.es_title = str(title)
    fig.es_alt = str(alt)
    fig.es_data = None if data is None else pd.DataFrame(data).reset_index(drop=True)
    return ax


def figure_meta(fig) -> tuple[str | None, str | None, pd.DataFrame | None]:
    """``(title, alt, data)`` that :func:`describe_figure` attached to ``fig`` (``None`` each
    when it was not described).

    >>> import matplotlib.pyplot as plt
    >>> fig = plt.figure(); figure_meta(fig)
    (None, None, None)
    >>> plt.close(fig)
    """
    return getattr(fig, "es_title", None), getattr(fig, "es_alt", None), getattr(fig, "es_data", None)


def _tick_texts(ax, axis: str) -> list:
    ax_ = getattr(ax, f"{axis}axis")
    lo, hi = sorted(ax_.get_view_interval())
    eps = 1e-9 * max(1.0, abs(lo), abs(hi))
    return [t.label1 for t in ax_.get_major_ticks()
            if lo - eps <= t.get_loc() <= hi + eps and t.label1.get_visible() and t.label1.get_text()]


def fit_ticks(ax, axis: str = "x"):
    """Rotate the tick labels of ``axis`` (30, 60, then 90 degrees) until no two overlap.

    Returns ``ax``.  Draws the figure to measure the labels.
    """
    fig = ax.get_figure(root=True)
    for rotation in (0, 30, 60, 90):
        if rotation:
            for t in (ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()):
                t.set_rotation(rotation)
                t.set_horizontalalignment("right" if axis == "x" and rotation < 90 else "center")
                t.set_rotation_mode("anchor" if rotation < 90 else "default")
        fig.canvas.draw()
        boxes = sorted((t.get_window_extent() for t in _tick_texts(ax, axis)),
                       key=lambda b: b.x0 if axis == "x" else b.y0)
        if not any(a.overlaps(b) for a, b in zip(boxes, boxes[1:], strict=False)):
            break
    return ax


def category_bars(summary: pd.DataFrame, ax=None, *, lang: Lang = DEFAULT_LANG,
                  title: str | None = None, grouping: Any = None):
    """Stacked bars of the category proportions: one horizontal bar per group (group names
    of any length stay readable), or one vertical bar per category without groups.

    ``grouping``: the variable the groups come from (its label names the axis); ``title``
    defaults to "Uitkomstcategorieën" / "Outcome categories".  The figure carries its title,
    alt text and data (:func:`describe_figure`).
    """
    s = summary.copy()
    s["category"] = s["category"].astype(str)
    cats = [c for c in CATEGORIES if c in set(s["category"])]
    data = s[[c for c in ("group", "category", "n", "proportion") if c in s]].copy()
    what = label(str(grouping) if grouping is not None else "group", lang)
    if "group" in s:
        wide = s.pivot_table(index="group", columns="category", values="proportion",
                             aggfunc="sum", observed=True).reindex(columns=cats).fillna(0)
        ax = axes(ax, figsize=(7.5, 2.2 + 0.42 * len(wide)))
        ypos = np.arange(len(wide))[::-1]
        left = np.zeros(len(wide))
        for c in cats:
            v = wide[c].to_numpy()
            ax.barh(ypos, v, left=left, color=CATEGORY_COLOURS[c], label=label(c, lang), height=0.7)
            left += v
        ax.set_yticks(ypos, [wrap(group_name(g, lang), 28) for g in wide.index])
        ax.set_ylabel(what)
        ax.set_xlim(0, 1)
        ax.set_xlabel(label("fig_share", lang))
        ax.legend(fontsize="small", frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        number_ticks(ax, lang, axis="x", as_percent=True)
    else:
        ax = axes(ax, figsize=(5.5, 4))
        s = s.set_index("category").reindex(cats)
        ax.bar([label(c, lang) for c in cats], s["proportion"].to_numpy(),
               color=[CATEGORY_COLOURS[c] for c in cats])
        ax.set_ylim(0, 1)
        ax.set_ylabel(label("fig_share", lang))
        number_ticks(ax, lang, axis="y", as_percent=True)
        fit_ticks(ax, "x")
        what = label("category", lang)
    return describe_figure(ax, title=title or label("fig_categories_title", lang),
                           alt=label("fig_categories_alt", lang).format(what=what.lower()), data=data)


def forest(table: pd.DataFrame, meta: dict[str, Any] | None = None, ax=None, *,
           lang: Lang = DEFAULT_LANG, title: str | None = None, definition: str | None = None):
    """Forest plot: estimate with CI per row of an effect-size table (group on the y axis).

    Each row is annotated on the right with its estimate and interval as the tables show
    them (``0,13 [0,05; 0,21]``).  A ``grouping`` column names each group's variable
    ("Diagnosegroep: angst").  The x axis names the estimate and its interval, and
    ``definition`` (what is divided by what, which sign is improvement) or else
    :func:`standardiser_text` of ``meta``.
    """
    t = table.reset_index(drop=True)
    ax = axes(ax, figsize=(7.5, 2.4 + 0.38 * len(t)))
    if "group" in t:
        groupings = t["grouping"] if "grouping" in t else [None] * len(t)
        names = [group_name(g, lang, gr) for g, gr in zip(t["group"], groupings, strict=True)]
    else:
        names = [label("all", lang)]
    ypos = np.arange(len(t))[::-1]
    est = t["estimate"].to_numpy(dtype=float)
    lo, hi = t["ci_low"].to_numpy(dtype=float), t["ci_high"].to_numpy(dtype=float)
    err = np.vstack([est - lo, hi - est])
    ax.errorbar(est, ypos, xerr=err, fmt="s", color="black", capsize=3, ms=5)
    ax.axvline(0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(ypos)
    ax.set_yticklabels([f"{wrap(nm, 36)} (n={int(n)})" for nm, n in zip(names, t["n"], strict=True)])
    ax.set_ylim(-0.7, len(t) - 0.3)
    for y, e, a, b in zip(ypos, est, lo, hi, strict=True):
        ax.annotate(f"{number(e, lang)} {interval(a, b, lang)}", xy=(1.02, y),
                    xycoords=("axes fraction", "data"), ha="left", va="center", fontsize="small")
    m = meta or {}
    name = m.get("estimate_name") or label("fig_estimate", lang)
    ci = m.get("ci")
    ci_text = f"{percent(ci, lang)} {label('ci', lang)}" if ci else ""
    text = definition or standardiser_text(m, lang)
    xlabel = f"{name} ({ci_text})" if ci_text else str(name)
    if text:
        xlabel = f"{text} ({ci_text})" if definition and ci_text else f"{xlabel}\n{text}"
    ax.set_xlabel(wrap(xlabel, 75))
    number_ticks(ax, lang, axis="x")
    data = t[[c for c in ("grouping", "group", "n", "estimate", "ci_low", "ci_high") if c in t]].copy()
    alt = label("fig_forest_alt", lang).format(name=name, ci=percent(ci or 0.95, lang))
    return describe_figure(ax, title=title or label("fig_forest_title", lang), alt=alt, data=data)
