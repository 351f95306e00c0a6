"""One primary scale, several clinical-significance approaches side by side.

:class:`ApproachesResult` puts the categories of reliable change with a cut-off
(:func:`~effectstudy.outcomes.clinical_significance.clinical_significance`) beside those of
the approaches an effect study can switch on: the cut-off alone
(:func:`~effectstudy.outcomes.cutoff_change.cutoff_change`), the minimal important
difference per patient and for the group
(:func:`~effectstudy.outcomes.anchor_change.anchor_change`) and the MID with the cut-off
(``clinical_significance(method="anchor")``).  It only arranges results that the verbs made.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from effectstudy.core.errors import ArgumentError
from effectstudy.core.formatting import DEFAULT_LANG, Lang, check_lang, frame, number, percent
from effectstudy.core.jsonable import jsonable
from effectstudy.core.labels import label, register
from effectstudy.core.plotting import category_bars
from effectstudy.core.results import Result, base_meta, table_html, translate_frame
from effectstudy.core.schema import CATEGORIES
from effectstudy.outcomes.anchor_change import AnchorGroupResult

__all__ = ["ApproachesResult", "APPROACHES", "approaches_result"]

#: the settings of each approach that its row in the report depends on
_META_KEYS = ("method", "cutoff_type", "cutoff_value", "mid_improvement", "mid_deterioration",
              "n_used")

#: the approaches in the order a report shows them
APPROACHES = ("rc_cutoff", "cutoff", "anchor", "anchor_cutoff")
#: the params key that switches the approaches on, as a report shows it (code: not translated)
_APPROACHES_KEY = "<code>analysis.reliable_change.approaches</code>"

register({
    "Clinical significance by approach": {"nl": "Klinische significantie per benadering",
                                          "en": "Clinical significance by approach"},
    "approach": {"nl": "Benadering", "en": "Approach"},
    "approach_rc_cutoff": {"nl": "betrouwbare verandering en grenswaarde (primair)",
                  "en": "reliable change and cut-off (primary)"},
    "approach_cutoff": {"nl": "alleen de grenswaarde", "en": "cut-off only"},
    "approach_anchor": {"nl": "minimaal belangrijk verschil (MID)",
               "en": "minimal important difference (MID)"},
    "approach_anchor_cutoff": {"nl": "MID en grenswaarde", "en": "MID and cut-off"},
    "anchor_group": {"nl": "Gemiddelde verandering ten opzichte van de MID",
                     "en": "Mean change against the MID"},
    "approaches_none": {
        "nl": "Geen aanvullende benaderingen gekozen (parameterbestand: {key}).",
        "en": "No further approaches chosen (params file: {key})."},
    "approaches_cutoff_line": {"nl": "Grenswaarde {value} (type {type}); MID {mid} punten{det}{src}.",
                               "en": "Cut-off {value} (type {type}); MID {mid} points{det}{src}."},
    "approaches_cutoff_only": {"nl": "Grenswaarde {value} (type {type}).",
                               "en": "Cut-off {value} (type {type})."},
    "mid_det": {"nl": ", bij verslechtering {mid} punten", "en": ", {mid} points for a deterioration"},
    "mid_source": {"nl": "; bron: {src}", "en": "; source: {src}"},
})


@dataclass(frozen=True, repr=False)
class ApproachesResult(Result):
    """Categories per approach (``parts``: approach -> result) and the MID's group level.

    :meth:`summary`: ``approach, category, n, proportion`` (every category of each
    approach; improved/unchanged/deteriorated for the three-way approaches).
    """

    parts: dict[str, Result] = field(default_factory=dict)
    #: the mean change against the MID, overall (group ``all``) and per group, or ``None``
    group_level: pd.DataFrame | None = None
    lang: str = DEFAULT_LANG
    title = "Clinical significance by approach"

    def summary(self) -> pd.DataFrame:
        """``approach, category, n, proportion`` over all subjects of each approach."""
        frames = []
        for name in [a for a in APPROACHES if a in self.parts]:
            s = self.parts[name].summary()[["category", "n", "proportion"]].copy()
            s["category"] = s["category"].astype(str)
            frames.append(s.assign(approach=name)[["approach", "category", "n", "proportion"]])
        if not frames:
            return pd.DataFrame({"approach": pd.Series(dtype=str), "category": pd.Series(dtype=str),
                                 "n": pd.Series(dtype=int), "proportion": pd.Series(dtype=float)})
        return pd.concat(frames, ignore_index=True)

    def format(self, lang: Lang = DEFAULT_LANG, digits: int = 0) -> pd.DataFrame:
        """One row per approach, one column per category: ``n (percentage)``; ``–`` where a
        category does not belong to the approach."""
        check_lang(lang)
        s = self.summary()
        cats = [c for c in CATEGORIES if c in set(s["category"])]
        rows = []
        for name, part in s.groupby("approach", sort=False):
            row = {label("approach", lang): label(f"approach_{name}", lang)}
            cells = {c: f"{int(n)} ({percent(p, lang, digits)})"
                     for c, n, p in zip(part["category"], part["n"], part["proportion"], strict=True)}
            row.update({label(c, lang): cells.get(c, "–") for c in cats})
            rows.append(row)
        return pd.DataFrame(rows)

    def _lines(self, lang: Lang) -> list[str]:
        ref = next((self.parts[a] for a in ("cutoff", "anchor_cutoff", "rc_cutoff")
                    if a in self.parts), None)
        anchor = self.parts.get("anchor") or self.parts.get("anchor_cutoff")
        if ref is None or len(self.parts) < 2:
            return []
        value = number(ref.meta["cutoff_value"], lang)
        if anchor is None:
            return [label("approaches_cutoff_only", lang).format(value=value,
                                                                type=ref.meta["cutoff_type"])]
        m = anchor.meta

        def points(v: float) -> str:
            return number(v, lang, 0 if float(v).is_integer() else 2)

        det = ("" if m["mid_deterioration"] == m["mid_improvement"] else
               label("mid_det", lang).format(mid=points(m["mid_deterioration"])))
        src = label("mid_source", lang).format(src=self.meta["mid_source"]) if self.meta.get(
            "mid_source") else ""
        return [label("approaches_cutoff_line", lang).format(
            value=value, type=ref.meta["cutoff_type"], mid=points(m["mid_improvement"]),
            det=det, src=src)]

    def _repr_html_(self) -> str:
        # each table named in its <caption> (a report numbers them: ReportOutput)
        lang = self.lang
        if len(self.parts) < 2:
            return (f"<div><h4>{html.escape(label(self.title, lang))}</h4>"
                    # the params key as code: the same in every language
                    f"<p>{html.escape(label('approaches_none', lang)).format(key=_APPROACHES_KEY)}</p></div>")
        lines = "".join(f"<p>{html.escape(t)}</p>" for t in self._lines(lang))
        out = f"<div>{lines}{table_html(self.format(lang), index=False, caption=label(self.title, lang), lang=lang)}"
        if self.group_level is not None:
            shown = self.group_level[["group", "n", "estimate", "ci_low", "ci_high", "threshold",
                                      "category"]].rename(columns={"estimate": "mean_change"})
            g = translate_frame(frame(shown, lang), lang)
            out += table_html(g, index=False, caption=label("anchor_group", lang), lang=lang)
        return out + "</div>"

    def __repr__(self) -> str:
        return "\n".join([self.title, *self._lines("en"), self.summary().to_string()])

    def to_dict(self) -> dict[str, Any]:
        """Title, meta, summary, and the group-level table when there is one."""
        out = super().to_dict()
        if self.group_level is not None:
            out["group_level"] = jsonable(self.group_level)
        return out

    def plot(self, ax=None, *, lang: Lang | None = None):
        """Stacked category bars, one per approach, in ``lang`` (default: the result's language)."""
        from effectstudy.core.plotting import plot_lang

        lang = plot_lang(lang or self.lang, self.meta)
        s = self.summary().rename(columns={"approach": "group"})
        s["group"] = [label(f"approach_{a}", lang) for a in s["group"]]
        return category_bars(s, ax=ax, lang=lang, grouping="fig_approach",
                             title=label("fig_approaches_title", lang))


def approaches_result(
    parts: dict[str, Result], *, group_level: tuple[AnchorGroupResult, ...] = (),
    mid_source: str | None = None, lang: Lang = DEFAULT_LANG,
) -> ApproachesResult:
    """Arrange ``parts`` (approach -> result of that approach) for one report section.

    ``group_level``: within-group results of :func:`anchor_change` (``target="group"``),
    ungrouped (shown as group ``all``) and grouped, stacked into one table.
    """
    check_lang(lang)
    tables = []
    for g in group_level:
        t = g.summary()
        if "group" not in t:
            t.insert(0, "group", "all")
        tables.append(t.assign(group=t["group"].astype(str)))
    group_table = pd.concat(tables, ignore_index=True) if tables else None
    unknown = set(parts) - set(APPROACHES)
    if unknown:
        raise ArgumentError("parts", sorted(unknown), f"approaches among {APPROACHES}")
    grouped = [a for a, p in parts.items() if "group" in p.patients]
    if grouped:
        raise ArgumentError("parts", grouped, "results without group= (one row per category)")
    meta = base_meta("approaches", approaches=[a for a in APPROACHES if a in parts],
                     mid_source=mid_source, parts={a: jsonable({k: p.meta[k] for k in _META_KEYS if k in p.meta})
                            for a, p in parts.items()})
    return ApproachesResult(meta=meta, parts=dict(parts), group_level=group_table, lang=lang)
