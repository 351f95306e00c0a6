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
    "EffectstudyError": "effectstudy.errors",
    "DataError": "effectstudy.errors",
    "ValidationError": "effectstudy.errors",
    "ParamsError": "effectstudy.errors",
    "DataQualityWarning": "effectstudy.errors",
    "ProvisionalKeyWarning": "effectstudy.errors",
    # params
    "load_params": "effectstudy.params",
    # reading and validation
    "read_table": "effectstudy.io",
    "read_study": "effectstudy.io",
    "ValidationReport": "effectstudy.validate",
    # instruments and scoring
    "score": "effectstudy.scoring",
    "reliability": "effectstudy.reliability",
    "t_scores": "effectstudy.scoring",
    # outcomes
    "pair_prepost": "effectstudy.pairing",
    "prepost_effect": "effectstudy.effect_size",
    "reliable_change": "effectstudy.reliable_change",
    "clinical_significance": "effectstudy.clinical_significance",
    "percent_change": "effectstudy.clinical_significance",
    # course
    "stagnation": "effectstudy.stagnation",
    "treatment_course": "effectstudy.treatment_course",
    "trajectories": "effectstudy.trajectories",
    "stagnation_followup": "effectstudy.followup",
    "satisfaction": "effectstudy.satisfaction",
    # student analyses
    "ancova": "effectstudy.models",
    "mixed_prepost": "effectstudy.models",
    # published output
    "disclosure_control": "effectstudy.disclosure",
    # reports
    "ReportOutput": "effectstudy.reporting",
    "provenance": "effectstudy.provenance",
    "run_notebook": "effectstudy.runner",
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
