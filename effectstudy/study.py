"""The whole pipeline of one run, bundled for notebooks: ``es.Study.from_params(path)``.

A :class:`Study` holds the validated parameters and computes each stage once, on demand,
by calling the stage's own public function with the values from the params file:

``read_study`` (validation, every row accounted for) → ``filter_consent`` and the
selection filters (each counted) → ``score`` → ``pair_prepost`` → the analyses
(``prepost_effect``, ``clinical_significance``, ``stagnation``, ``treatment_course``,
``satisfaction``, ``trajectories`` ...).

Notebooks call one method per cell and show its result; nothing here is needed to use a
stage on its own.  Every method returns a result object of the stage it calls, or a
:class:`~effectstudy.core.results.Result` built from them (the data flow, the sample).

>>> import effectstudy as es
>>> from effectstudy.study import example_params
>>> study = es.Study.from_params(example_params())        # doctest: +SKIP
>>> study.flow().summary()                                # doctest: +SKIP
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from effectstudy import instruments
from effectstudy.core.codes import register_code_labels, require_codes
from effectstudy.core.errors import (
    ArgumentError,
    DataQualityWarning,
    EffectstudyError,
    ParamsError,
    ProvisionalKeyWarning,
)
from effectstudy.core.formatting import interval, number
from effectstudy.core.keys import index_positions, isin, key_codes
from effectstudy.core.labels import label, register
from effectstudy.core.params import REPORT_MODELS, Params, in_language, load_report_params
from effectstudy.core.plotting import forest
from effectstudy.core.results import TableResult, base_meta
from effectstudy.core.rowkey import load_row_key
from effectstudy.core.schema import non_item_columns
from effectstudy.core.shipped import shipped_folder
from effectstudy.course.expected_response import not_on_track
from effectstudy.course.followup import stagnation_followup
from effectstudy.course.longitudinal import long_data
from effectstudy.course.satisfaction import satisfaction
from effectstudy.course.signal_validation import final_outcome, signal_accuracy
from effectstudy.course.stagnation import stagnation
from effectstudy.course.trajectories import trajectories
from effectstudy.course.treatment_course import treatment_course
from effectstudy.data.coding import UNCODED_RULE, uncoded_counts
from effectstudy.data.consent import filter_consent, restrict_to_episodes
from effectstudy.data.io import read_study
from effectstudy.data.longdata import registry_norms
from effectstudy.data.outofcore import OutOfCoreScores, read_study_outofcore, score_outofcore
from effectstudy.data.pairing import pair_prepost, post_rule_text
from effectstudy.data.selection import select_episodes, selection_flow
from effectstudy.instruments.reliability import reliability
from effectstudy.instruments.scoring import score
from effectstudy.models.ancova import ancova
from effectstudy.models.mixed import mixed_prepost
from effectstudy.outcomes.anchor_change import anchor_change
from effectstudy.outcomes.approaches import approaches_result
from effectstudy.outcomes.clinical_significance import clinical_significance
from effectstudy.outcomes.criteria import Criteria, criteria_record, read_reference_run
from effectstudy.outcomes.cutoff_change import cutoff_change
from effectstudy.outcomes.effect_size import (
    POST_MINUS_PRE,
    EffectSizeResult,
    definition_text,
    prepost_effect,
)
from effectstudy.outcomes.missing_data import baseline_table, itt_effect, itt_frame
from effectstudy.reports.stagnation_list import stagnation_list
from effectstudy.reports.yearly import KeyFigures, PublishedTables, key_figures, trend, yearly_text
from effectstudy.reports.yearly import methods_text as yearly_methods_text

__all__ = ["Study", "FlowResult", "SampleResult", "example_params"]

register({
    "step": {"nl": "Stap", "en": "Step"},
    "reason": {"nl": "Reden", "en": "Reason"},
    "episodes": {"nl": "Trajecten", "en": "Episodes"},
    "clients": {"nl": "Cliënten", "en": "Clients"},
    "rows": {"nl": "Rijen", "en": "Rows"},
    "read": {"nl": "ingelezen", "en": "read"},
    "validation": {"nl": "validatie", "en": "validation"},
    "consent": {"nl": "toestemming", "en": "consent"},
    "selection": {"nl": "selectie", "en": "selection"},
    "pairing": {"nl": "koppeling voor/na", "en": "pre/post pairing"},
    "analysed": {"nl": "geanalyseerd", "en": "analysed"},
    "interim_as_post": {"nl": "nameting geen eindmeting", "en": "post not an end measurement"},
    "used": {"nl": "gebruikt", "en": "used"},
    "excluded_consent_refused": {"nl": "geen toestemming", "en": "consent refused"},
    "excluded_consent_missing": {"nl": "toestemming onbekend", "en": "consent not recorded"},
    "excluded_withdrawn": {"nl": "toestemming ingetrokken", "en": "consent withdrawn"},
    "excluded_year": {"nl": "buiten de jaren", "en": "outside the years"},
    "excluded_care_type": {"nl": "andere zorgvorm", "en": "other care type"},
    "excluded_diagnosis": {"nl": "andere diagnosegroep", "en": "other diagnosis group"},
    "excluded_not_ended_in_year": {"nl": "niet afgesloten in het jaar", "en": "not ended in the year"},
    "grouping": {"nl": "Indeling", "en": "Grouping"},
    "scale": {"nl": "Schaal", "en": "Scale"},
    "age_mean": {"nl": "Leeftijd gem.", "en": "Age mean"},
    "age_sd": {"nl": "Leeftijd SD", "en": "Age SD"},
    "sessions_mean": {"nl": "Sessies gem.", "en": "Sessions mean"},
    "share_female": {"nl": "Aandeel vrouw", "en": "Share female"},
    "share": {"nl": "Aandeel", "en": "Share"},
    "value_removed": {"nl": "waarde weggelaten", "en": "value removed"},
    "uncoded_value": {"nl": "waarde buiten de codelijst", "en": "value outside the code list"},
    "scored_by": {"nl": "Gescoord", "en": "Scored"},
    "scored_in_export": {"nl": "in de export (schaalscores)", "en": "in the export (scale scores)"},
})


#: the imputation model's covariates as :meth:`Study.itt_text` names them (``itt_predictor_<name>``)
ITT_PREDICTORS = {
    "itt_predictor_diagnosis": {"nl": "diagnosegroep", "en": "diagnosis group"},
    "itt_predictor_care_type": {"nl": "zorgvorm", "en": "care type"},
    "itt_predictor_sessions": {"nl": "aantal sessies", "en": "number of sessions"},
    "itt_predictor_sex": {"nl": "geslacht", "en": "sex"},
    "itt_predictor_age": {"nl": "leeftijd", "en": "age"},
    "itt_predictor_regular_end": {"nl": "reguliere afsluiting", "en": "regular end"},
    "itt_predictor_treatment": {"nl": "behandeling", "en": "treatment"},
}
register(ITT_PREDICTORS)

#: what a flow's meta takes over from the pairing of the primary scale: the post rule and its counts
PAIRING_FLOW_META = ("post_rule", "n_interim_as_post", "n_interim_as_post_dropout", "n_no_post_interim_only")


def example_params() -> Path:
    """``params/demo.yaml`` as shipped (the effect study on the synthetic example data)."""
    return shipped_folder("params") / "demo.yaml"


# ------------------------------------------------------------------------------ results
@dataclass(frozen=True, repr=False)
class FlowResult(TableResult):
    """Where every episode (and client) went, from the export to the analysed pairs.

    ``summary()``: ``step``, ``reason``, ``episodes``, ``clients`` in order; within each step
    the excluded rows plus the ``used`` row add up to the step's input.
    ``rows()``: the validation flow of every input file (rows read, used, excluded per reason).
    """

    files: pd.DataFrame = None  # type: ignore[assignment]
    title = "Data flow"

    def rows(self) -> pd.DataFrame:
        return self.files.copy()

    def plot(self, ax=None, lang: str | None = None):
        """Flow diagram (CONSORT style): the episodes left after each step, exclusions beside it;
        in ``lang`` (default: the result's own language), titled, with alt text and data."""
        from effectstudy.core.plotting import axes, plot_lang  # noqa: PLC0415

        lang = plot_lang(lang, self.meta)
        t = self.table
        # one box per step that keeps episodes; the exclusions of a step (for the analysed pairs:
        # the pairing reasons) stand beside the arrow into its box
        steps = [st for st in dict.fromkeys(t["step"]) if st != "pairing"]
        ax = axes(ax, figsize=(8, 1.25 * len(steps) + 1.0))
        ax.set_axis_off()
        ax.set_xlim(0, 1)
        ax.set_ylim(-len(steps) + 0.4, 0.6)
        box = {"boxstyle": "round,pad=0.4", "fc": "white", "ec": "0.3"}
        for i, step in enumerate(steps):
            kept = t[(t["step"] == step) & t["reason"].isin(["read", "used"])].iloc[-1]
            who = f"{label('episodes', lang).lower()}: {int(kept['episodes'])}"
            if not pd.isna(kept["clients"]):
                who += f", {label('clients', lang).lower()}: {int(kept['clients'])}"
            if step == "analysed" and self.meta.get("n_interim_as_post"):
                who += f"\n{label('interim_as_post', lang)}: {int(self.meta['n_interim_as_post'])}"
            ax.text(0.25, -i, f"{label(step, lang).capitalize()}\n{who}", ha="center", va="center", bbox=box, fontsize=9)
            if not i:
                continue
            ax.annotate("", xy=(0.25, -i + 0.28), xytext=(0.25, -i + 0.72),
                        arrowprops={"arrowstyle": "->", "color": "0.3"})
            source = "pairing" if step == "analysed" else step
            gone = t[(t["step"] == source) & (t["reason"] != "used") & (t["episodes"] > 0)]
            if len(gone):
                lines = [f"{label(r.reason, lang)}: {int(r.episodes)}" for r in gone.itertuples()]
                ax.text(0.55, -i + 0.5, "\n".join(lines), ha="left", va="center", fontsize=8,
                        bbox={**box, "fc": "0.96"})
        from effectstudy.core.plotting import describe_figure  # noqa: PLC0415

        return describe_figure(ax, title=label("fig_flow_title", lang), alt=label("fig_flow_alt", lang),
                               data=t)

    def meta_lines(self, lang: str = "nl") -> list[str]:
        """As :meth:`Result.meta_lines`, and which measurement is the post, with its counts."""
        lines = [*super().meta_lines(lang), post_rule_text(self.meta, lang)]
        rep = self.meta.get("repeated_session") or {}
        if rep.get("episodes"):
            n, rows = rep["episodes"], rep["rows"]
            lines.append(
                f"Stagnatie: {n} traject(en) met twee metingen bij hetzelfde sessienummer niet beoordeeld "
                f"(reden: twee metingen in één sessie; {rows} metingen niet gebruikt); hun voor- en nameting "
                "tellen wel mee."
                if lang == "nl" else
                f"Stagnation: {n} episode(s) with two measurements at one session number not evaluated "
                f"(reason: repeated session; {rows} measurements not used); their pre and post still count.")
        return lines

    def format(self, lang: str = "nl", digits: int = 2) -> pd.DataFrame:  # type: ignore[override]
        s = self.summary()
        s["step"] = s["step"].map(lambda v: label(v, lang))
        s["reason"] = s["reason"].map(lambda v: label(v, lang))
        return s.rename(columns=lambda c: label(str(c), lang))


@dataclass(frozen=True, repr=False)
class SampleResult(TableResult):
    """Sample description: episodes, clients, sex, age at the start and sessions per group."""

    title = "Sample"


# ------------------------------------------------------------------------------ the study
class Study:
    """One run's data and parameters; each stage computed once, on first use.

    Use :meth:`from_params` to build one from a params file.

    Parameters
    ----------
    params : Params
        Validated report parameters (:func:`effectstudy.core.params.load_report_params`).
    """

    def __init__(self, params: Params) -> None:
        if not isinstance(params, Params):
            raise ArgumentError("params", params, "validated params (es.Study.from_params(path))")
        self.params = params

    @classmethod
    def from_params(cls, path: str | Path | Params, overrides: dict[str, Any] | None = None) -> Study:
        """Read and validate the params file ``path`` (with dotted ``overrides``) into a Study."""
        if isinstance(path, Params):
            if overrides:
                raise ArgumentError("overrides", overrides, "none when validated params are given")
            return cls(path)
        return cls(load_report_params(path, overrides))

    def __repr__(self) -> str:
        return f"Study({self.params.report!r}, params={self.params.source_file})"

    def _require_report(self, report: str, what: str) -> None:
        """Stop with a ParamsError when the params file is for another report than ``report``."""
        if self.params.report != report:
            raise ParamsError(
                f"{self.params.source_file or 'the params'}: report: this params file is for the report "
                f"{self.params.report!r}, but {what} need a params file with report: {report} "
                f"(such as params/demo-yearly-2024.yaml)"
                + ("" if self.params.report == "validate" else
                   f"; run this params file with notebooks/{self.params.report}.ipynb"))

    def with_overrides(self, overrides: dict[str, Any]) -> Study:
        """A Study with some params changed that shares this one's validated input (not re-read)."""
        data = self.params.model_dump()
        for dotted, value in overrides.items():
            node = data
            *head, last = dotted.split(".")
            for k in head:
                node = node[k]
            node[last] = value
        other = Study(REPORT_MODELS[self.params.report].model_validate(data, strict=False))
        other.__dict__["input"] = self.input
        return other

    # ----------------------------------------------------------------------- settings
    @property
    def analysis(self):  # noqa: D401 - the params section
        """The ``analysis:`` section of the params."""
        return self.params.analysis

    @property
    def lang(self) -> str:
        return self.params.language

    @property
    def scale(self) -> str:
        """The primary outcome scale (the first of ``analysis.scales``)."""
        return self.analysis.scales[0]

    @cached_property
    def instrument(self):
        """The instrument: a user file from ``analysis.instrument_file`` (registered), or the registry's."""
        a = self.analysis
        if a.instrument_file is not None:
            inst = instruments.load(a.instrument_file, register=True)
            if inst.id != a.instrument:
                raise ParamsError(f"{self.params.source_file}: analysis.instrument_file: the file defines "
                                  f"instrument {inst.id!r}, expected {a.instrument!r} (analysis.instrument)")
            return inst
        return instruments.get(a.instrument)

    def _coded(self, key: str, columns: Sequence[str]) -> list[str]:
        """``columns`` as a list, after checking that none is free text (a label needs a code list)."""
        columns = list(columns)
        try:
            require_codes([(key, c) for c in columns], self.params.data.code_lists())
        except ValueError as exc:
            raise ArgumentError(key, columns, f"columns with code lists ({exc})") from None
        return columns

    # ----------------------------------------------------------------------- stages
    @cached_property
    def input(self):
        """:class:`effectstudy.data.io.StudyData`: validated input tables (raises on fatal problems)."""
        ed = self.params.export_date  # "today" for the plausibility check of dates: reruns agree
        register_code_labels(self.params.data.code_lists())  # the params' labels show in the report
        today = _iso(ed, self.params.data.episodes.date_format) if ed else None
        if self.params.data.engine == "duckdb":  # the measurements streamed from Parquet, out of core
            return read_study_outofcore(self.params.data, today=today)
        return read_study(self.params.data, today=today)

    @cached_property
    def _outofcore(self) -> OutOfCoreScores:
        """``engine: duckdb``: the analysed measurements scored batch by batch (no item matrix in memory)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ProvisionalKeyWarning)  # as in ``scores``
            return score_outofcore(self.params.data, self.input.report, self.episodes, self.input.episodes,
                                   self.instrument, today=self.input.meta["today"],
                                   intake=self.analysis.reliable_change.reliability == "sample")

    @cached_property
    def _selection(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The consent filter and the selection (``filter_consent``, ``select_episodes``) with their flow."""
        sel = self.params.selection
        validated = self.input.episodes
        consenting, consent = filter_consent(validated, sel.consent, withdrawn=sel.withdrawn or None)
        kept, selected = select_episodes(consenting, years=sel.years, care_types=sel.care_types,
                                         diagnoses=sel.diagnoses, ended_in=getattr(self.params, "year", None))
        report = self.input.report
        table = selection_flow(int(report.rows_read["episodes"]), report.flow(), validated, consent, selected)
        return kept, table

    @property
    def episodes(self) -> pd.DataFrame:
        """The episodes analysed: validated, consenting, selected."""
        return self._selection[0]

    @cached_property
    def measurements(self) -> pd.DataFrame:
        """Measurements of the analysed episodes (by episode id, or by client when it has none);
        with ``data.engine: duckdb`` without their item columns (the scores hold what the items gave)."""
        if self.params.data.engine == "duckdb":
            return self._outofcore.measurements
        return self._analysed_measurements()

    def _analysed_measurements(self, items: bool = True) -> pd.DataFrame:
        """The analysed instrument's rows of the analysed episodes, made anew on each call (the
        stages use them once and let them go, so the item matrix is not held twice beside
        ``input.measurements``); ``items=False`` leaves the item columns out (a small copy)."""
        m = self.input.measurements
        if not items:  # copy-on-write: selecting columns copies nothing
            m = m[non_item_columns(m.columns)]
        return m.iloc[self._analysed_rows()]

    def _analysed_rows(self) -> np.ndarray:
        """Positions in ``input.measurements`` of the analysed rows (the analysed instrument,
        the analysed episodes: :func:`restrict_to_episodes`), found once on the other columns.
        :func:`score` and :func:`reliability` read the items of these rows block by block
        (``rows=``) instead of a copy of the analysed item matrix (1.7 GB at 1,000,000 episodes)."""
        return self._memo(("analysed_rows",), self._find_analysed_rows)

    def _find_analysed_rows(self) -> np.ndarray:
        m = self.input.measurements
        light = m[non_item_columns(m.columns)].reset_index(drop=True)  # positions as the index
        inst = (light["instrument"] == self.analysis.instrument).to_numpy(dtype=bool, na_value=False)
        if not inst.all():
            light = light[inst]
        return restrict_to_episodes(light, self.episodes, self.input.episodes)[0].index.to_numpy()

    @cached_property
    def scores(self):
        """:func:`effectstudy.score` of the analysed measurements (all scales of the instrument)."""
        if self.params.data.engine == "duckdb":
            return self._outofcore.scores
        with warnings.catch_warnings():
            # a provisional key is stated in the report (key_status, provenance banner); every
            # other warning of scoring still reaches the caller
            warnings.simplefilter("ignore", ProvisionalKeyWarning)
            rows = self._analysed_rows()
            self._early_alpha(rows)
            return score(self.input.measurements, instrument=self.instrument, rows=rows)

    def _early_alpha(self, rows: np.ndarray) -> None:
        """Cronbach's alpha of the analysed rows found for scoring, when the criteria will ask
        for it (``reliability: sample``): the selection is made once for both.  A problem is
        left for :attr:`reliability` to raise where it is asked for."""
        rc = self.analysis.reliable_change
        if rc.reliability != "sample" or rc.criteria is not None or self.score_only:
            return
        try:
            self.__dict__["_alpha_early"] = reliability(self.input.measurements, instrument=self.instrument,
                                                        scale=self.scale, rows=rows)
        except EffectstudyError:
            pass

    def pairs(self, scale: str | None = None):
        """:func:`effectstudy.pair_prepost` of ``scale`` (default: the primary scale)."""
        return self._pairs(scale or self.scale)

    def _pairs(self, scale: str):
        a = self.analysis
        return self._memo(("pairs", scale), lambda: pair_prepost(
            self.scores, self.episodes, scale=scale, instrument=a.instrument, pre_window=a.pre_window,
            post_window=a.post_window, post_rule=a.post_rule))

    def _memo(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per ``key`` for this study: the stages share one result (a Study's
        params do not change; :meth:`with_overrides` makes a new Study)."""
        cache = self.__dict__.setdefault("_stage_cache", {})
        if key not in cache:
            cache[key] = compute()
        return cache[key]

    @cached_property
    def _reference_run(self) -> dict[str, Any] | None:
        """The criteria of ``analysis.reliable_change.criteria.from`` (``None`` without it)."""
        ref = self.analysis.reliable_change.criteria
        if ref is None:
            return None
        return read_reference_run(ref.from_, instrument=self.analysis.instrument, scale=self.scale,
                                  key=f"{self.params.source_file}: analysis.reliable_change.criteria.from")

    @cached_property
    def _fixed_reference(self) -> tuple[float | None, float | None, str | None, str | None]:
        """``(m, sd, kind, source)`` of the reference (clinical) mean and SD fixed before the data:
        the reference run's, the params', the registry's, else ``None`` (the sample's)."""
        rc = self.analysis.reliable_change
        ref = self._reference_run
        if ref is not None:
            return ref["m_reference"], ref["sd_reference"], "reference run", ref["sd_reference_source"]
        if rc.sd_clinical is not None:
            return (rc.m_clinical, rc.sd_clinical, "params",
                    rc.reference_source or "analysis.reliable_change.m_clinical/sd_clinical")
        reg = registry_norms(self.analysis.instrument, self.scale, rc.norms)
        if "sd_clinical" in reg.values and "m_clinical" in reg.values:
            return reg.values["m_clinical"], reg.values["sd_clinical"], "registry", reg.sources["sd_clinical"]
        return None, None, None, None

    def _criteria_args(self) -> dict[str, Any]:
        """What ``clinical_significance`` gets for the fixed criteria: the cut-off, the reference
        mean and SD (the SD also for S_diff, except with method ha) and the reliability."""
        rc = self.analysis.reliable_change
        m, sd, _, _ = self._fixed_reference
        ref = self._reference_run
        return dict(reliability=self.reliability, cutoff=ref["cutoff"] if ref is not None else rc.cutoff,
                    m_clinical=m, sd_clinical=sd, sd_reference=sd if rc.method != "ha" else None)

    @cached_property
    def criteria(self) -> Criteria:
        """The criteria of reliable change and recovery this run used, each with its source
        (``registry``, ``params``, ``reference run`` or ``sample``: :mod:`effectstudy.outcomes.criteria`)."""
        rc = self.analysis.reliable_change
        cs = self.clinical_significance().meta
        ref = self._reference_run
        _, _, ref_kind, ref_source = self._fixed_reference
        rel_kind = ("reference run" if ref is not None else "sample" if rc.reliability == "sample" and not self.score_only
                    else "registry" if rc.reliability in ("registry", "sample") else "params")
        rel_source = (ref["reliability_source"] if ref is not None else cs.get("reliability_source") if rel_kind != "params"
                      else rc.reliability_source or "analysis.reliable_change.reliability (no source given)")
        if ref is not None:
            cut_kind, cut_source = "reference run", ref["cutoff_source"]
        elif not isinstance(rc.cutoff, str):
            cut_kind, cut_source = "params", "analysis.reliable_change.cutoff"
        elif rc.cutoff == "published":
            cut_kind, cut_source = "registry", cs.get("cutoff_source")
        elif rc.cutoff == "b":
            cut_kind, cut_source = ("registry" if cs.get("functional_source", "").startswith("registry") else "params",
                                    f"cut-off b from the functional norms ({cs.get('functional_source')})")
        else:
            cut_kind = ref_kind or "sample"
            cut_source = f"cut-off {rc.cutoff}: reference mean and SD ({ref_source or cs.get('clinical_source')})"
        sources = {"reliability_kind": rel_kind, "reliability_source": rel_source,
                   "m_reference_kind": ref_kind or "sample", "sd_reference_kind": ref_kind or "sample",
                   "m_reference_source": ref_source or cs.get("clinical_source"),
                   "sd_reference_source": ref_source or cs.get("clinical_source"),
                   "cutoff_kind": cut_kind, "cutoff_source": cut_source, "n_sample": cs.get("n_used")}
        if ref is not None:
            sources.update({k: ref[k] for k in ("reference_run", "reference_run_sha256", "sample_based",
                                                "reference_sample_based")})
        if rc.method == "ha":  # Hageman & Arrindell: r_dd needs the sample's own SDs, whatever the reference SD
            sources["s_diff_source"] = ("method ha: the RCI uses the sample's SDs (r_dd); this S_diff is that of "
                                        "the reference SD, which fixes the cut-off only")
        rec = criteria_record(reliability=cs["reliability"], m_reference=cs.get("m_clinical"),
                              sd_reference=cs.get("sd_clinical"), cutoff=cs.get("cutoff_value"), sources=sources,
                              instrument=self.analysis.instrument, scale=self.scale, method=rc.method,
                              cutoff_type=ref["cutoff_type"] if ref is not None else cs.get("cutoff_type"))
        return Criteria(meta=rec)

    @cached_property
    def reliability(self):
        """The reliability used for reliable change: a number, Cronbach's alpha of the intake, or
        the reference run's (``criteria: {from: ...}``)."""
        if self._reference_run is not None:
            return self._reference_run["reliability"]
        rel = self.analysis.reliable_change.reliability
        if rel == "sample" and self.score_only:
            # no items, no alpha: the registry's value, and the report says so (scoring_note)
            if self.instrument.scales[self.scale].reliability is None:
                raise ParamsError(
                    f"{self.params.source_file}: analysis.reliable_change.reliability: 'sample' (Cronbach's alpha "
                    "of the intake) needs the item answers, and data.measurements holds scale scores only "
                    f"(values: scores); the instrument registry has no reliability for {self.analysis.instrument} "
                    f"{self.scale} either: give a published value as a number (e.g. reliability: 0.95) and "
                    "cite its source")
            return None
        if rel == "sample":
            early = self.__dict__.pop("_alpha_early", None)
            if early is not None:
                return early
            if self.params.data.engine == "duckdb":
                return reliability(self._outofcore.intake, instrument=self.instrument, scale=self.scale)
            return reliability(self.input.measurements, instrument=self.instrument, scale=self.scale,
                               rows=self._analysed_rows())
        if rel == "registry":
            return None  # the verbs take it from the registry via instrument=/scale=
        return float(rel)

    @property
    def score_only(self) -> bool:
        """True when the measurements came scored (``data.measurements.values: scores``)."""
        return self.params.data.measurements.values == "scores"

    def scoring_note(self) -> str:
        """What a score-only export cannot give (prorating, Cronbach's alpha); empty for item data."""
        if not self.score_only:
            return ""
        nl = self.lang == "nl"
        rel = self.analysis.reliable_change.reliability
        text = ("De metingen zijn geëxporteerd als schaalscores zonder items: het pakket heeft ze niet zelf "
                "gescoord. Ontbrekende items naar rato aanvullen (prorating) en Cronbachs alfa zijn daarom niet "
                "beschikbaar." if nl else
                "The measurements were exported as scale scores without items: the package did not score them. "
                "Prorating missing items and Cronbach's alpha are therefore unavailable.")
        if rel == "sample":
            text += (" Alfa van de steekproef kon niet worden berekend; de betrouwbaarheid komt uit het "
                     "instrumentregister." if nl else
                     " The sample's alpha could not be computed; the reliability is the instrument registry's.")
        elif rel == "registry":
            text += (" De betrouwbaarheid komt uit het instrumentregister." if nl
                     else " The reliability is the instrument registry's.")
        else:
            text += (f" De betrouwbaarheid is de waarde uit de parameters ({number(float(rel), self.lang, 3)})." if nl
                     else f" The reliability is the value given in the params ({number(float(rel), self.lang, 3)}).")
        return text

    # ----------------------------------------------------------------------- descriptions
    def question(self) -> str:
        """The student's research question (params ``question``) in the report's language."""
        return in_language(getattr(self.params, "question", ""), self.lang) or ""

    def heading(self) -> str:
        """The report's title line with the export date and the consent basis (Markdown)."""
        p = self.params
        nl = self.lang == "nl"
        title = in_language(p.title, self.lang)  # one title, or {nl, en}
        parts = [f"**{title}**" if title else ""]
        if p.export_date:
            parts.append(("Export van " if nl else "Export of ") + p.export_date)
        if p.report == "yearly_summary":
            parts.append(f"De kengetallen van de behandelingen die in {p.year} zijn afgesloten. Kleine groepen worden "
                         "niet getoond en aantallen zijn afgerond, zodat geen cliënt herkenbaar is." if nl else
                         f"The key figures of the treatments that ended in {p.year}. Small groups are not shown and "
                         "counts are rounded, so that no client can be recognised.")
        parts.append(("Alleen trajecten met toestemming voor " if nl else "Only episodes with consent to ")
                     + {"study": "de effectstudie" if nl else "the effect study",
                        "research": "onderzoek" if nl else "research"}[p.selection.consent] + ".")
        return "  \n".join(x for x in parts if x)

    def validation(self) -> pd.DataFrame:
        """Rows per input file: used, or excluded with the reason (``ValidationReport.flow``); then,
        per column, the values left out because they are outside the column's code list (status
        ``value_removed``, reason ``uncoded_value``: the rows are used, the value is not).  For a
        score-only export, ``scored_by`` says which rows came scored (``scored_in_export``)."""
        report = self.input.report
        coding = uncoded_counts(report.problems, report.files)
        flow = report.flow()
        if len(coding):
            removed = coding.assign(status="value_removed", reason=UNCODED_RULE)
            flow = pd.concat([flow.assign(column=""), removed[["table", "status", "reason", "n", "column"]]],
                             ignore_index=True)
        if self.score_only:  # which rows came scored: the measurements' scale scores are the export's
            flow["scored_by"] = flow["table"].eq("measurements").map({True: "scored_in_export", False: ""})
        return flow

    def key_status(self) -> str:
        """A short paragraph on the scoring key, wholly in the report's language: verified, or
        provisional with the provisional scales by name, whether the report's outcome scale
        depends on them, and the reason (the instrument file's ``status_reason`` in that language)."""
        meta = self.scores.meta
        inst, lang = self.instrument, self.lang
        nl = lang == "nl"
        name = inst.display_name(lang)
        if meta.get("key_status") != "provisional":
            return " ".join(x for x in ((f"De scoringssleutel van {name} is geverifieerd." if nl
                                         else f"The scoring key of {name} is verified."), self.scoring_note()) if x)
        prov = [inst.scale_label(s, lang, code=True) for s in meta.get("provisional_scales", [])]
        head = (f"**Let op: de scoringssleutel van {name} is voorlopig**" if nl
                else f"**Note: the scoring key of {name} is provisional**")
        if prov:
            head += (f" voor {_and(prov, lang)}." if nl else f" for {_and(prov, lang)}.")
            outcome = inst.scale_label(self.scale, lang)
            if self.scale in meta.get("provisional_scales", []):
                head += (f" De uitkomstmaat van dit rapport, {outcome}, is daar een van." if nl
                         else f" This report's outcome measure, {outcome}, is one of them.")
            else:
                head += (f" De uitkomstmaat van dit rapport, {outcome}, hangt er niet van af." if nl
                         else f" This report's outcome measure, {outcome}, does not depend on them.")
        else:
            head += "."
        return " ".join(x for x in (head, inst.display_reason(lang) or "", self.scoring_note()) if x)

    def flow(self) -> FlowResult:
        """Every episode accounted for: read, validated, consent, selection, pre/post pairing."""
        table = self._selection[1]
        pr = self.pairs()
        clients = _clients_by(pr.patients["status"], pr.patients["client_id"])
        pairing = [{"step": "pairing", "reason": r.status, "episodes": int(r.n),
                    "clients": int(clients.get(r.status, 0))} for r in pr.flow.itertuples() if r.status != "paired"]
        n_paired = int(pr.flow.loc[pr.flow["status"] == "paired", "n"].sum())
        paired_clients = int(clients.get("paired", 0))
        pairing.append({"step": "analysed", "reason": "used", "episodes": n_paired, "clients": paired_clients})
        table = pd.concat([table, pd.DataFrame(pairing)], ignore_index=True)
        table["clients"] = table["clients"].astype("Int64")
        files = self.input.report.flow()
        # which rows came scored: the measurements of a score-only export (no items, not scored here)
        files["scored_by"] = files["table"].map({"measurements": "export" if self.score_only else "package"}).fillna("")
        report = self.input.report
        uncoded = {f"{r.table}.{r.column}": int(r.n) for r in uncoded_counts(report.problems, report.files).itertuples()}
        meta = base_meta("flow", scale=self.scale, consent=self.params.selection.consent, uncoded_value=uncoded,
                         measurements_scored_by="export" if self.score_only else "package",
                         measurements_shape="wide" if self.params.data.measurements.wide is not None else "long",
                         n_original=int(table.iloc[0]["episodes"]), n_used=n_paired,
                         exclusions={str(r.reason): int(r.episodes) for r in table.itertuples()
                                     if r.reason not in ("read", "used")},
                         **{k: pr.meta.get(k) for k in PAIRING_FLOW_META},
                         repeated_session=self._repeated_sessions())
        return FlowResult(meta=meta, table=table, files=files)

    def _repeated_sessions(self) -> dict[str, int]:
        """Episodes with two measurements at one session number and their measurements (all of
        them): the stagnation rule leaves them out (``repeated_session``); pairing goes by date."""
        lg = long_data(self.stagnation_data(), "episode_id", "time", "score")
        return {"episodes": int(lg.repeated.sum()), "rows": int(lg.rows_repeated)}

    def sample(self, groups: Sequence[str] | None = None, episodes: Sequence[Any] | None = None) -> SampleResult:
        """Episodes and clients per group, with sex, age at the start and sessions held.

        ``episodes``: only these episode ids, e.g. ``ancova.patients.index`` (the cases an
        analysis used); ``meta`` then counts them (``n_used``) against all selected episodes
        (``n_original``) and says ``population: "analysed"``.
        """
        eps = self.episodes if episodes is None else self.episodes[isin(self.episodes["episode_id"], episodes)]
        groups = self._coded("groups", self.analysis.groups if groups is None else groups)
        age = (eps["start_date"].dt.year - eps["birth_year"]).astype("Float64") if "birth_year" in eps else None
        rows = []
        client = key_codes(eps["client_id"])[0]  # clients counted on integer codes (-1: missing)
        female = (eps["sex"] == "female").to_numpy(dtype=bool, na_value=False) if "sex" in eps else None
        sessions = eps["sessions"].astype(float) if "sessions" in eps else None
        for grouping, keys in [("all", None), *[(g, g) for g in groups]]:
            if keys is not None and keys not in eps.columns:
                raise ArgumentError("groups", keys, f"episode columns; they are {list(eps.columns)}")
            if keys is None:
                parts = [("all", np.arange(len(eps)))]
            else:
                by = eps.groupby(keys, observed=True, sort=True)
                parts = [(str(k), by.indices[k]) for k in by.groups]
            for name, pos in parts:
                c = client[pos]
                row = {"grouping": grouping, "group": name, "episodes": len(pos),
                       "clients": int(np.unique(c[c >= 0]).size)}
                if female is not None:
                    row["share_female"] = float(female[pos].mean()) if len(pos) else float("nan")
                if age is not None:
                    a = age.iloc[pos].astype(float)
                    row["age_mean"], row["age_sd"] = float(a.mean()), float(a.std(ddof=1))
                if sessions is not None:
                    row["sessions_mean"] = float(sessions.iloc[pos].mean())
                rows.append(row)
        return SampleResult(meta=base_meta("describe", groups=groups, n_original=len(self.episodes), n_used=len(eps),
                                           population="selected" if episodes is None else "analysed"),
                            table=pd.DataFrame(rows))

    # ----------------------------------------------------------------------- outcomes
    def effect_sizes(self, scales: Sequence[str] | None = None, groups: Sequence[str] | None = None):
        """Pre/post effect sizes per scale, overall and per group (``es.prepost_effect``).

        Improvement-positive: each scale's ``better_is`` (the instrument registry's) is passed,
        so a lower score after treatment on a lower-is-better scale gives a positive estimate
        (``meta["orientation"] = "improvement positive"``, ``meta["better_is"]`` per scale).
        Returns an :class:`EffectSizeTable` whose summary stacks the results: ``scale``,
        ``grouping`` (``all`` or the group column) and ``group``.
        """
        es_ = self.analysis.effect_size
        scales = list(self.analysis.scales if scales is None else scales)
        groups = self._coded("groups", self.analysis.groups if groups is None else groups)
        parts, metas = [], {}
        for scale in scales:
            data = self.pairs(scale).data
            better_is = self.instrument.scales[scale].better_is
            for grouping in ["all", *groups]:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DataQualityWarning)  # counted in meta
                    res = prepost_effect(data, subject="episode_id", time="time", outcome="score",
                                         pre="pre", post="post", method=es_.method, adjust=es_.adjust,
                                         ci=es_.ci, group=None if grouping == "all" else grouping,
                                         ci_method=es_.ci_method, n_resamples=es_.n_resamples, seed=es_.seed,
                                         better_is=better_is)
                s = res.summary()
                if "group" not in s:
                    s.insert(0, "group", "all")
                s.insert(0, "grouping", grouping)
                s.insert(0, "scale", scale)
                parts.append(s)
                metas[f"{scale}/{grouping}"] = res.meta
        table = pd.concat(parts, ignore_index=True)
        first = metas[f"{scales[0]}/all"]
        meta = base_meta(es_.method, estimate_name=first.get("estimate_name"), adjust=es_.adjust, ci=es_.ci,
                         **{k: first.get(k) for k in ("ci_method", "ci_method_requested", "n_resamples", "seed",
                                                      "small_n_threshold", "interval")},
                         orientation=first.get("orientation"), standardiser=first.get("standardiser"),
                         definition=first.get("definition"),
                         better_is={sc: metas[f"{sc}/all"].get("better_is") for sc in scales},
                         scales=scales, groups=groups,
                         n_original=first.get("n_original"), n_used=first.get("n_used"),
                         exclusions=first.get("exclusions", {}), parts=metas,
                         instrument=self.analysis.instrument, lang=self.lang)
        return EffectSizeTable(meta=meta, table=table)

    def itt_data(self) -> pd.DataFrame:
        """Every episode with a pre score of the primary scale: pre, post, last interim score,
        covariates (``effectstudy.outcomes.missing_data.itt_frame``); open episodes included
        (their ``status`` is ``episode_open``)."""
        if "_itt_data" not in self.__dict__:
            a = self.analysis
            eps = self.episodes
            wanted = [*a.itt.covariates, "sessions", "diagnosis", "care_type", "sex"]
            covs = [c for c in dict.fromkeys(wanted) if c in eps.columns]
            if "birth_year" in eps.columns or "age" in eps.columns:
                covs.append("age")
            if "end_reason" in eps.columns and "regular_end" not in covs:
                covs.append("regular_end")
            missing = [c for c in a.itt.covariates if c not in covs]
            if missing:
                raise ParamsError(f"{self.params.source_file}: analysis.itt.covariates: {missing} are not "
                                  f"episode columns; they are {sorted(eps.columns)} (and age, regular_end)")
            self.__dict__["_itt_data"] = itt_frame(self.pairs(), self.scores, eps, scale=self.scale,
                                                   instrument=a.instrument, covariates=covs,
                                                   after_end=a.post_window[1])
        return self.__dict__["_itt_data"]

    def itt(self):
        """Everyone who started beside the completers (``es.itt_effect``): multiple imputation,
        completers, LOCF and BOCF, with the category shares of each against the completers'
        criteria (:attr:`criteria`: the reliability, cut-off and S_diff of
        :meth:`clinical_significance`, so every data set, imputed or not, is classified against
        the same cut-off and the same S_diff).  ``analysis.primary`` names the headline.  The
        effect sizes are improvement-positive (the scale's ``better_is``, as :meth:`effect_sizes`)."""
        a = self.analysis
        es_ = a.effect_size
        cs = self.clinical_significance().meta
        # the SD behind S_diff: the fixed reference SD, or the completers' own pre SD when the
        # criteria are sample-based (never the SD of each imputed data set)
        sd = cs.get("sd_reference") if cs.get("sd_reference") is not None else cs["sd_pre"]
        criteria = {"reliability": cs["reliability"], "method": a.reliable_change.method,
                    "cutoff": cs["cutoff_value"], "better_is": cs["better_is"],
                    "sd_reference": sd if a.reliable_change.method != "ha" else None}
        return itt_effect(self.itt_data(), covariates=a.itt.covariates, effect=es_.method, adjust=es_.adjust,
                          ci=es_.ci, imputations=a.itt.imputations, seed=a.itt.seed, criteria=criteria,
                          primary="mi" if a.primary == "itt" else "completers", better_is=cs["better_is"])

    def itt_text(self, itt) -> str:
        """A paragraph naming the primary effect size (``analysis.primary``), the figures beside
        it and the effect size in words (standardiser and sign, from the result's ``meta``),
        wholly in the report's language.  ``itt`` is :meth:`itt`'s result."""
        lang = self.lang
        nl = lang == "nl"
        t = itt.summary().set_index("method")
        level = f"{number(100 * float(itt.meta.get('ci', 0.95)), lang, 0)}%"

        def fig(method: str) -> str:
            r = t.loc[method]
            return (f"{number(r['estimate'], lang)} ({level}-{'BI' if nl else 'CI'} "
                    f"{interval(r['ci_low'], r['ci_high'], lang)}; n = {number(r['n'], lang, 0)})")

        mi, comp = fig("mi"), fig("completers")
        m = number(itt.meta["imputations"], lang, 0)
        if itt.meta["primary"] == "mi":
            head = (f"**Hoofduitkomst: iedereen die begon** (alle afgesloten trajecten met een voormeting; een "
                    f"ontbrekende nameting is {m} keer geïmputeerd): {mi}. Alleen de trajecten met voor- en "
                    f"nameting (de voltooiers): {comp}."
                    if nl else
                    f"**Primary outcome: everyone who started** (every ended episode with a pre measurement; a "
                    f"missing post measurement was imputed {m} times): {mi}. Only the episodes with a pre and a "
                    f"post measurement (the completers): {comp}.")
        else:
            head = (f"**Hoofduitkomst: de voltooiers** (trajecten met voor- en nameting): {comp}. Iedereen die "
                    f"begon (een ontbrekende nameting {m} keer geïmputeerd): {mi}."
                    if nl else
                    f"**Primary outcome: the completers** (episodes with a pre and a post measurement): {comp}. "
                    f"Everyone who started (a missing post measurement imputed {m} times): {mi}.")
        tail = (f" Gevoeligheidsanalyses: laatste meting doorgetrokken {number(t.loc['locf', 'estimate'], lang)}, "
                f"voormeting doorgetrokken (geen verandering aangenomen) {number(t.loc['bocf', 'estimate'], lang)}."
                if nl else
                f" Sensitivity analyses: last observation carried forward {number(t.loc['locf', 'estimate'], lang)}, "
                f"baseline carried forward (no change assumed) {number(t.loc['bocf', 'estimate'], lang)}.")
        dropped = [label(f"itt_predictor_{d}" if f"itt_predictor_{d}" in ITT_PREDICTORS else d, lang)
                   for d in itt.meta.get("dropped_predictors") or []]  # another covariate: its column label
        if dropped:
            tail += (f" Te weinig voltooiers voor alle voorspellers: {_and(dropped, lang)} "
                     f"{'is' if len(dropped) == 1 else 'zijn'} weggelaten uit het imputatiemodel." if nl else
                     f" Too few completers for every predictor: {_and(dropped, lang)} left out of the "
                     "imputation model.")
        how = definition_text({"method": itt.meta.get("effect", self.analysis.effect_size.method),
                               "adjust": itt.meta.get("adjust", self.analysis.effect_size.adjust),
                               "orientation": itt.meta.get("orientation", POST_MINUS_PRE)}, lang)
        return f"{head}{tail} {'De effectgrootte is' if nl else 'The effect size is'} {how}."

    def baseline_comparison(self):
        """Completers against the others who started (open episodes left out) at intake,
        with standardised differences (``es.baseline_table``)."""
        d = self.itt_data()
        d = d[d["status"] != "episode_open"]
        cont = [c for c in ("pre", "age", "sessions") if c in d.columns]
        cat = [c for c in ("sex", "diagnosis", "care_type") if c in d.columns]
        return baseline_table(d, continuous=cont, categorical=cat)

    def clinical_significance(self, group: str | None = None):
        """Reliable change and clinical significance of the primary scale (``es.clinical_significance``)."""
        self._coded("group", [group] if group is not None else [])
        return self._memo(("clinical_significance", group),
                          lambda: self._described(self._clinical_significance(group), group=group))

    def _clinical_significance(self, group: str | None):
        rc = self.analysis.reliable_change
        return clinical_significance(
            self.pairs().data, subject="episode_id", time="time", outcome="score", pre="pre", post="post",
            method=rc.method, **self._criteria_args(),
            m_functional=rc.m_functional, sd_functional=rc.sd_functional, group=group,
            instrument=self.analysis.instrument, scale=self.scale, norms=rc.norms)

    def approaches(self):
        """The primary scale's categories by every approach switched on in
        ``analysis.reliable_change.approaches``, beside reliable change with the cut-off."""
        rc = self.analysis.reliable_change
        common = dict(subject="episode_id", time="time", outcome="score", pre="pre", post="post",
                      instrument=self.analysis.instrument, scale=self.scale)
        fixed = self._criteria_args()
        cut = dict(cutoff=fixed["cutoff"], m_functional=rc.m_functional, sd_functional=rc.sd_functional,
                   norms=rc.norms, m_clinical=fixed["m_clinical"], sd_clinical=fixed["sd_clinical"])
        mids = dict(mid_improvement=rc.mid_improvement, mid_deterioration=rc.mid_deterioration)
        data = self.pairs().data
        parts: dict[str, Any] = {"rc_cutoff": self.clinical_significance()}
        group_level = ()
        if "cutoff" in rc.approaches:
            ha = rc.method == "ha"
            parts["cutoff"] = cutoff_change(data, **common, **cut, method="ha" if ha else "jt",
                                            reliability=self.reliability if ha else None)
        if "anchor" in rc.approaches:
            parts["anchor"] = anchor_change(data, **common, **mids)
            group_level = tuple(anchor_change(data, **common, **mids, target="group", group=g)
                                for g in [None, *self.analysis.groups[:1]])
        if "anchor_cutoff" in rc.approaches:
            parts["anchor_cutoff"] = clinical_significance(data, **common, **cut, **mids, method="anchor")
        return approaches_result(parts, group_level=group_level, mid_source=in_language(rc.mid_source, self.lang), lang=self.lang)

    def treatment_course(self, group: str | None = None):
        """Sessions, duration, planned 5-20 range, end reasons, first interim, length vs outcome."""
        self._coded("group", [group] if group is not None else [])
        duck = self.params.data.engine == "duckdb"  # its measurements carry no items already
        return treatment_course(self.episodes, outcome=self.clinical_significance(), group=group,
                                measurements=self.measurements if duck else self._analysed_measurements(items=False))

    def satisfaction(self, group: str | None = None):
        """Forms issued, returned, response rate and grades of the analysed episodes (``es.satisfaction``).

        Only closed episodes get an end-of-treatment form; open ones are left out.
        """
        self._coded("group", [group] if group is not None else [])
        sat = self.input.satisfaction
        if sat is None:
            raise ParamsError(f"{self.params.source_file}: data.satisfaction: no satisfaction file given")
        closed = self.episodes[self.episodes["end_date"].notna()]
        # forms of episodes left out by consent or selection are counted in the flow already
        return satisfaction(sat[isin(sat["episode_id"], closed["episode_id"])], episodes=closed, group=group)

    def stagnation_followup(self):
        """What became of stagnated versus on-track episodes (``es.stagnation_followup``)."""
        es_ = self.analysis.effect_size
        return stagnation_followup(self.stagnation(), self.episodes, outcome=self.clinical_significance(),
                                   effect_method=es_.method, adjust=es_.adjust, ci=es_.ci)

    def trajectories(self, group: str | None = None):
        """Mixed model over all measurements of the primary scale, completers or not (``es.trajectories``)."""
        self._coded("group", [group] if group is not None else [])
        data = self.stagnation_data()
        res = trajectories(data, subject="episode_id", time="time", outcome="score",
                           group=group, occasion="occasion", post="post")
        return self._described(res, time_unit=self.analysis.stagnation.time)

    def _described(self, result, **extra: Any):
        """``result`` with what its display needs in ``meta`` (kept where the verb set it): the
        instrument, the scale and the report's language, and ``extra`` (e.g. the group column)."""
        add = {"instrument": self.analysis.instrument, "scale": self.scale, "lang": self.lang, **extra}
        return replace(result, meta={**result.meta, **{k: v for k, v in add.items()
                                                                   if result.meta.get(k) is None}})

    def satisfaction_table(self) -> pd.DataFrame | None:
        """End-of-treatment forms of the analysed episodes (``None`` without a satisfaction file)."""
        sat = self.input.satisfaction
        if sat is None:
            return None
        return sat[isin(sat["episode_id"], self.episodes["episode_id"])]

    def stagnation(self, group: str | None = None):
        """The study's stagnation signal on all measurements of the primary scale.

        ``es.stagnation`` with ``analysis.stagnation`` (the practice rule or deterioration);
        with ``analysis.stagnation.rule: not_on_track`` the expected-response signal of
        :meth:`not_on_track`.
        """
        self._coded("group", [group] if group is not None else [])
        if self.analysis.stagnation.rule == "not_on_track":
            return self.not_on_track(group)
        return self._memo(("stagnation", group), lambda: self._stagnation(group))

    def _stagnation(self, group: str | None):
        sp = self.analysis.stagnation
        data = self.stagnation_data()
        window = tuple(int(w) if float(w).is_integer() else w for w in sp.window)
        crit = self.criteria if sp.criterion == "rci" else None  # one yardstick with reliable change
        return stagnation(data, subject="episode_id", time="time", outcome="score",
                          reliability=crit.value("reliability") if crit else self.reliability,
                          sd_reference=crit.value("sd_reference") if crit else None, rule=sp.rule, window=window,
                          criterion=sp.criterion, threshold=sp.threshold, group=group,
                          instrument=self.analysis.instrument, scale=self.scale)

    def stagnation_sensitivity(self, result=None):
        """The practice rule's rate over windows and thresholds (``StagnationResult.sensitivity``
        with ``analysis.stagnation.sensitivity_windows``/``sensitivity_thresholds``).

        ``None`` when ``analysis.stagnation.rule`` is not ``early_no_progress`` (the table
        varies that rule's window and threshold).  ``result``: a :meth:`stagnation` result
        already computed (else it is computed).
        """
        res = self.stagnation() if result is None else result
        if res.meta.get("rule") != "early_no_progress":
            return None
        sp = self.analysis.stagnation
        return res.sensitivity(thresholds=sp.sensitivity_thresholds, windows=sp.sensitivity_windows)

    def stagnation_text(self, result=None) -> str:
        """What the stagnation rule measures and stands in for, with its figures, in the report's
        language (``StagnationResult.text``); ``result`` as for :meth:`stagnation_sensitivity`."""
        res = self.stagnation() if result is None else result
        return res.text(lang=self.lang, unit=self.analysis.stagnation.time)

    def not_on_track(self, group: str | None = None):
        """Expected-response signal on all measurements of the primary scale (``es.not_on_track``).

        The ``reference`` episodes the curves are estimated from are the closed episodes with
        a regular end (the practice's completed treatments); band and folds from
        ``analysis.not_on_track``.
        """
        self._coded("group", [group] if group is not None else [])
        return self._memo(("not_on_track", group), lambda: self._not_on_track(group))

    def _not_on_track(self, group: str | None):
        nt = self.analysis.not_on_track
        done = self.episodes.loc[self.episodes["end_date"].notna()
                                 & (self.episodes["end_reason"].astype("string") == "regular"), "episode_id"]
        return not_on_track(self.stagnation_data(), subject="episode_id", time="time", outcome="score",
                            level=nt.level, reference=set(done), folds=nt.folds, seed=nt.seed, group=group,
                            instrument=self.analysis.instrument, scale=self.scale)

    def not_on_track_accuracy(self, signal: str | None = None):
        """How well :meth:`not_on_track` predicts a poor final outcome (``es.signal_accuracy``).

        On the completed episodes with a pre/post pair: poor = ``analysis.not_on_track.poor_outcome``
        of the reliable-change category (the study's criteria); only looks before the post
        measurement count; the signal (``ever``/``latest``/``model``) is ``signal`` or
        ``analysis.not_on_track.signal``.
        """
        nt = self.analysis.not_on_track
        res = self.not_on_track()
        done = res.patients.index[res.patients["reference"].to_numpy(dtype=bool)]
        cat = self.clinical_significance().patients["rc_category"]
        cat = cat[isin(cat.index, done)]
        post = self.pairs().patients.set_index("episode_id")["post_date"]
        poor, until = final_outcome(cat, post, self.stagnation_data(), definition=nt.poor_outcome)
        return signal_accuracy(res, poor, until=until, method=signal or nt.signal, ci=self.analysis.effect_size.ci)

    # ----------------------------------------------------------------------- yearly summary
    def key_figures(self, groups: Sequence[str] | None = None) -> KeyFigures:
        """The year's key figures per grouping, unrounded (``effectstudy.reports.yearly.key_figures``).

        Needs a yearly-summary params file (``report: yearly_summary``, which names the ``year``);
        another report's file stops here with a message saying which report it is for, also when
        the notebook is run by plain papermill (``effectstudy run`` checks this before the kernel).
        """
        self._require_report("yearly_summary", "the yearly summary's key figures")
        return key_figures(self.episodes, pairs=self.pairs(), outcome=self.clinical_significance(),
                           stagnation=self.stagnation(), satisfaction=self.satisfaction_table(),
                           effect_size=self.analysis.effect_size, year=getattr(self.params, "year", None),
                           criteria=self.criteria.meta,
                           scale=self.scale, groups=self._coded("groups", self.analysis.groups if groups is None else groups))

    def stagnation_list(self, show_identifiers: bool = False) -> pd.DataFrame:
        """Open episodes flagged by ``stagnation_list.rules`` (``effectstudy.reports.stagnation_list``).

        Episodes are named by their episode key (the project's row key of the episode id, the
        project found from the episodes file as for validation messages); ``show_identifiers``
        adds the episode id (local use only).
        """
        spec = self.params.stagnation_list
        results = {rule: self.with_overrides({"analysis.stagnation.rule": rule}).stagnation() for rule in spec.rules}
        key = load_row_key(Path(self.params.data.episodes.path).resolve().parent)
        return stagnation_list(self.episodes, self.stagnation_data(), results, spec,
                               show_identifiers=show_identifiers, row_key=key)

    def published(self, figures, grouping: str = "all"):
        """``figures`` of one grouping after disclosure control with the params' rules."""
        d = self.params.disclosure
        previous = []  # earlier years' published versions of the same table (cross-year differencing)
        for prev in self._history():
            entry = prev.get("key_figures") if grouping == "all" else prev.get("by_group", {}).get("parts", {}).get(grouping)
            if entry is not None:
                previous.append(entry["disclosure"])
        return figures.published(grouping, threshold=d.min_n, rounding_base=d.round_to,
                                 previous=previous, lang=self.lang)

    def published_groups(self, figures):
        """Every grouping of ``analysis.groups`` after disclosure control, shown together."""
        return PublishedTables(meta={"groups": list(self.analysis.groups)}, lang=self.lang,
                               parts={g: self.published(figures, g) for g in self.analysis.groups})

    def _history(self) -> list[dict[str, Any]]:
        return [json.loads(Path(h).read_text(encoding="utf-8")) for h in getattr(self.params, "history", [])]

    def trend(self, published):
        """This year's and the earlier runs' published overall figures (``history:`` in the params)."""
        return trend(getattr(self.params, "history", []), published)

    def yearly_text(self, published) -> str:
        """The plain-language summary, from the published figures only."""
        return yearly_text(published, scale_name=self._scale_name(), lang=self.lang)

    def _scale_name(self) -> str:
        """The outcome scale and its instrument in the report's language, e.g. "Psychoneuroticisme
        (PSNEUR) van de SCL-90, Nederlandse bewerking (Arrindell & Ettema 2003)"."""
        inst, lang = self.instrument, self.lang
        return f"{inst.scale_label(self.scale, lang)} {'van de' if lang == 'nl' else 'of the'} {inst.display_name(lang)}"

    def methods_text(self, published) -> str:
        """How the figures were made (``effectstudy.reports.yearly.methods_text``: outcome measure,
        pre and post measurement with the post rule, reliable change, criteria, the effect size and
        its standardiser), then the stagnation rule, the disclosure rules (printed once, here) and
        the key status."""
        m = published.meta
        a = self.analysis
        crit = self.criteria if published.criteria is None else Criteria(meta=published.criteria)  # as published
        lines = [
            yearly_methods_text(published, scale_name=self._scale_name(), pre_window=a.pre_window,
                                post_window=a.post_window, post_rule=a.post_rule, rc_method=a.reliable_change.method,
                                cutoff_type=self.clinical_significance().meta.get("cutoff_type"),
                                criteria_text=crit.text(self.lang), lang=self.lang),
            # what the stagnation figure measures and stands in for (the rule actually used)
            self.stagnation().rule_text(self.lang, unit=a.stagnation.time),
            published.disclosure.methods_text(self.lang),
            self.key_status(),
        ]
        if m.get("audit_passed") is False:  # pragma: no cover - to_dict refuses before this
            lines.append("CONTROLE MISLUKT" if self.lang == "nl" else "AUDIT FAILED")
        return "\n\n".join(lines)

    # ----------------------------------------------------------------------- student analyses
    @property
    def outcome(self) -> str:
        """The student's outcome scale (``outcome:``, default the primary scale)."""
        return getattr(self.params, "outcome", None) or self.scale

    def _student_pairing(self):
        """``pair_prepost`` of the outcome with the group and covariates (cached)."""
        if "_student" in self.__dict__:
            return self.__dict__["_student"]
        p = self.params
        wanted = [getattr(p, "group", None), *getattr(p, "covariates", [])]
        wanted = [c for c in dict.fromkeys(wanted) if c]
        eps = self.episodes
        if "age" in wanted and "age" not in eps and "birth_year" in eps:
            eps = eps.assign(age=(eps["start_date"].dt.year - eps["birth_year"]).astype("Float64"))
        missing = [c for c in wanted if c not in eps]
        if missing:
            raise ParamsError(f"{p.source_file}: group/covariates: {missing} are not episode columns; "
                              f"they are {sorted(eps.columns)} (and age)")
        a = self.analysis
        res = pair_prepost(self.scores, eps, scale=self.outcome, instrument=a.instrument,
                           pre_window=a.pre_window, post_window=a.post_window, covariates=wanted,
                           post_rule=a.post_rule)
        self.__dict__["_student"] = (res, eps[["episode_id", *wanted]])
        return self.__dict__["_student"]

    def student_pairs(self) -> pd.DataFrame:
        """Complete pre/post pairs of the outcome with the group and covariate columns.

        ``age`` (age at the start: start year - birth year) may be named as a covariate even
        though the export has only ``birth_year``.
        """
        return self._student_pairing()[0].data

    def student_long(self) -> pd.DataFrame:
        """All available pre and post scores of the outcome (also episodes without a post).

        One ``pre`` row per episode with a pre score in its window, one ``post`` row per
        paired episode, with the group and covariate columns.
        """
        res, covs = self._student_pairing()
        pat = res.patients
        pre = pat.loc[pat["pre_score"].notna(), ["episode_id", "pre_score"]].rename(columns={"pre_score": "score"})
        post = pat.loc[pat["status"] == "paired", ["episode_id", "post_score"]].rename(columns={"post_score": "score"})
        long = pd.concat([pre.assign(time="pre"), post.assign(time="post")], ignore_index=True)
        return long.merge(covs, on="episode_id", how="left", validate="many_to_one")

    def ancova(self):
        """ANCOVA of the post score on the pre score, group and covariates (``es.ancova``)."""
        p = self.params
        res = ancova(self.student_pairs(), subject="episode_id", time="time", outcome="score",
                     pre="pre", post="post", group=p.group, covariates=p.covariates or None,
                     alpha=getattr(p, "alpha", 0.05))
        # the scale analysed, so that texts, captions and plots name it
        return replace(res, meta={**res.meta, "scale": self.outcome, "instrument": self.analysis.instrument})

    def mixed_prepost(self):
        """Mixed model of pre and post scores, time x group, all available data (``es.mixed_prepost``)."""
        p = self.params
        res = mixed_prepost(self.student_long(), subject="episode_id", time="time", outcome="score", pre="pre",
                            post="post", group=p.group, covariates=p.covariates or None)
        return replace(res, meta={**res.meta, "scale": self.outcome, "instrument": self.analysis.instrument})

    def stagnation_data(self) -> pd.DataFrame:
        """All scored measurements of the primary scale per analysed episode, with ``time``.

        ``time`` is the session number, or weeks since the episode start when
        ``analysis.stagnation.time`` is ``weeks``.  Measurements without an episode id or
        session are not used for stagnation (counted in the stagnation result's meta).
        """
        # one merge for flow, stagnation, trajectories, not_on_track and its accuracy; a shallow
        # copy each time (copy-on-write: a caller's change never reaches the cached frame)
        return self._memo(("stagnation_data",), self._stagnation_data).copy(deep=False)

    def _stagnation_data(self) -> pd.DataFrame:
        s = self.scores.scores
        s = s[(s["scale"] == self.scale) & s["score"].notna()]
        eps = self.episodes[["episode_id", "start_date", *[g for g in self.analysis.groups if g in self.episodes]]]
        d = _join_episodes(s, eps)
        if self.analysis.stagnation.time == "weeks":
            d["time"] = (d["date"] - d["start_date"]).dt.days / 7.0
        else:
            d["time"] = d["session"].astype("Float64")
        return d.drop(columns=["start_date"]).reset_index(drop=True)


def _clients_by(status: pd.Series, client: pd.Series) -> dict[str, int]:
    """Distinct clients per status (``groupby(status)[client].nunique()``), on integer codes.

    >>> _clients_by(pd.Series(["paired", "no_post", "paired", "paired"], dtype="category"),
    ...             pd.Series(["c1", "c1", "c2", "c1"]))
    {'no_post': 1, 'paired': 2}
    """
    st = pd.Categorical(status)
    sc, cc = st.codes.astype(np.int64), key_codes(client)[0]
    ok = (sc >= 0) & (cc >= 0)
    radix = int(cc.max(initial=0)) + 1
    pairs = np.unique(sc[ok] * radix + cc[ok])
    n = np.bincount(pairs // radix, minlength=len(st.categories))
    return {str(c): int(k) for c, k in zip(st.categories, n, strict=True) if k}


def _join_episodes(s: pd.DataFrame, eps: pd.DataFrame) -> pd.DataFrame:
    """``s.merge(eps, on="episode_id", how="inner", validate="many_to_one")`` by integer codes
    of the ids (a hash join on Arrow text in pandas costs 2.5 s at 1,000,000 episodes): the
    rows of ``s`` whose episode is in ``eps``, in their order, with the other columns of
    ``eps`` taken by position.  Episode ids that are not unique go to the merge (which names
    the problem), and so do missing ones.

    >>> s = pd.DataFrame({"episode_id": ["e2", "e9", "e1", "e2"], "score": [1.0, 2.0, 3.0, 4.0]})
    >>> eps = pd.DataFrame({"episode_id": ["e1", "e2"], "group": ["a", "b"]})
    >>> _join_episodes(s, eps).to_dict("list")
    {'episode_id': ['e2', 'e1', 'e2'], 'score': [1.0, 3.0, 4.0], 'group': ['b', 'a', 'b']}
    """
    if not eps["episode_id"].is_unique or eps["episode_id"].isna().any():  # (merge pairs missing ids)
        return s.merge(eps, on="episode_id", how="inner", validate="many_to_one")
    at = index_positions(pd.Index(eps["episode_id"]), s["episode_id"])
    keep = at >= 0
    d = s[keep] if not keep.all() else s
    d = d.reset_index(drop=True)
    for c in eps.columns.drop("episode_id"):
        d[c] = eps[c].take(at[keep]).reset_index(drop=True)
    return d


def _and(items: Sequence[str], lang: str) -> str:
    """``a, b en c`` / ``a, b and c``.

    >>> _and(["x", "y", "z"], "nl"), _and(["x"], "en")
    ('x, y en z', 'x')
    """
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {'en' if lang == 'nl' else 'and'} {items[-1]}"


def _iso(text: str, fmt: str) -> str:
    """A date in the params' date format as ISO text (for read_study's plausibility check)."""
    try:
        return pd.to_datetime(text, format=fmt).strftime("%Y-%m-%d")
    except (ValueError, TypeError):
        raise ParamsError(f"export_date: got {text!r}, expected a date in the format {fmt!r}") from None


@dataclass(frozen=True, repr=False)
class EffectSizeTable(EffectSizeResult):
    """Effect sizes of several scales and groups in one table (see :meth:`Study.effect_sizes`);
    its report lines and ``small_n`` marks are those of :class:`EffectSizeResult`."""

    title = "Pre/post effect sizes"

    def plot(self, ax=None, scale: str | None = None, lang: str | None = None):
        """Forest plot (``effectstudy.core.plotting.forest``) of one scale's estimates per group
        ("Diagnosegroep: angst"), titled with the scale's name, the x axis naming the
        standardiser and the sign; in ``lang`` (default: the result's own language)."""
        from effectstudy.core.plotting import plot_lang  # noqa: PLC0415
        from effectstudy.outcomes.plots import scale_text  # noqa: PLC0415

        lang = plot_lang(lang, self.meta)
        t = self.table
        scale = scale or t["scale"].iloc[0]
        t = t[t["scale"] == scale].copy()
        name = scale_text({**self.meta, "scale": scale}, lang)
        title = f"{label('fig_forest_title', lang)}: {name}"
        return forest(t, self.meta, ax=ax, lang=lang, title=title, definition=definition_text(self.meta, lang))
