"""effectstudy: clinical effect studies for outpatient mental-health care.

The public API is flat: ``import effectstudy as es`` and call the verbs
(``es.score``, ``es.pair_prepost``, ``es.prepost_effect``, ``es.reliable_change``,
``es.clinical_significance``, ``es.stagnation`` ...).  Names are imported lazily
from the module that defines them, so ``import effectstudy`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: public name -> defining module
_EXPORTS: dict[str, str] = {
    # errors
    "EffectstudyError": "effectstudy.core.errors",
    "DataError": "effectstudy.core.errors",
    "ValidationError": "effectstudy.core.errors",
    "ParamsError": "effectstudy.core.errors",
    "DataQualityWarning": "effectstudy.core.errors",
    "ProvisionalKeyWarning": "effectstudy.core.errors",
    # params
    "load_params": "effectstudy.core.params",
    # reading and validation
    "read_table": "effectstudy.data.io",
    "read_study": "effectstudy.data.io",
    "ValidationReport": "effectstudy.data.validate",
    # instruments and scoring
    "score": "effectstudy.instruments.scoring",
    "reliability": "effectstudy.instruments.reliability",
    "t_scores": "effectstudy.instruments.tscores",
    # outcomes
    "pair_prepost": "effectstudy.data.pairing",
    "prepost_effect": "effectstudy.outcomes.effect_size",
    "reliable_change": "effectstudy.outcomes.reliable_change",
    "clinical_significance": "effectstudy.outcomes.clinical_significance",
    "percent_change": "effectstudy.outcomes.clinical_significance",
    "cutoff_change": "effectstudy.outcomes.cutoff_change",
    "anchor_change": "effectstudy.outcomes.anchor_change",
    "itt_effect": "effectstudy.outcomes.missing_data",
    "baseline_table": "effectstudy.outcomes.missing_data",
    # course
    "stagnation": "effectstudy.course.stagnation",
    "not_on_track": "effectstudy.course.expected_response",
    "signal_accuracy": "effectstudy.course.signal_validation",
    "treatment_course": "effectstudy.course.treatment_course",
    "trajectories": "effectstudy.course.trajectories",
    "stagnation_followup": "effectstudy.course.followup",
    "satisfaction": "effectstudy.course.satisfaction",
    # student analyses
    "ancova": "effectstudy.models.ancova",
    "mixed_prepost": "effectstudy.models.mixed",
    # published output
    "disclosure_control": "effectstudy.reports.disclosure",
    # reports
    "ReportOutput": "effectstudy.reports.output",
    "provenance": "effectstudy.reports.provenance",
    "run_notebook": "effectstudy.reports.runner",
    "Study": "effectstudy.study",
}

__all__ = sorted([*_EXPORTS, "__version__", "instruments", "datasets"])


def __getattr__(name: str) -> Any:
    if name in ("instruments", "datasets"):
        return importlib.import_module(f"effectstudy.{name}")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'effectstudy' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
