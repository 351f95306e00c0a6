"""The effect study notebook runs end to end on the shipped wide SPSS file and score-only CSV
(``params/demo-wide.yaml``, ``params/demo-scores.yaml``): its results.json equals the Study's
direct calls and states that prorating and Cronbach's alpha are unavailable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from effectstudy.reports.output import dumps_stable

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def expected(result) -> object:
    return json.loads(dumps_stable(result.to_dict()))


@pytest.mark.parametrize("params", ["demo-wide.yaml", "demo-scores.yaml"])
def test_effect_study_runs_on_shaped_data(notebook_run, shared_study, params):
    run = notebook_run(ROOT / "notebooks" / "effect_study.ipynb", ROOT / "params" / params)
    r = json.loads(run.results_json.read_text(encoding="utf-8"))
    st = shared_study(ROOT / "params" / params)
    assert r["flow"] == expected(st.flow())
    assert r["effect_sizes"] == expected(st.effect_sizes())
    assert r["clinical_significance"] == expected(st.clinical_significance())
    assert r["flow"]["meta"]["measurements_scored_by"] == "export"
    text = json.dumps(r["key_status"], ensure_ascii=False)
    assert "Cronbachs alfa zijn daarom niet beschikbaar" in text
