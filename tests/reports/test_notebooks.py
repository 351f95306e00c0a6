"""Every report notebook runs through papermill on the CI params, and its results.json equals a
direct library call on the same data; reruns give byte-identical results.json."""

from __future__ import annotations

import ast
import json
import warnings
from pathlib import Path

import pytest

import effectstudy as es
from effectstudy.core.jsonable import jsonable
from effectstudy.reports.output import dumps_stable, internal_dir

ROOT = Path(__file__).resolve().parents[2]
NB = ROOT / "notebooks"
PARAMS = ROOT / "params"

pytestmark = pytest.mark.slow

RUNS = {
    "effect_study": "ci.yaml",
    "yearly_summary": "ci-yearly.yaml",
    "student_analysis": "ci-student.yaml",
    "explore": "ci.yaml",
}


def expected(result) -> object:
    """What ReportOutput records for a result: its to_dict() as it reads back from JSON."""
    return json.loads(dumps_stable(result.to_dict()))


@pytest.fixture(scope="module")
def runs(notebook_run):
    """Each report notebook run once on its CI params (shared by the session)."""
    return {name: notebook_run(NB / f"{name}.ipynb", PARAMS / params) for name, params in RUNS.items()}


@pytest.fixture(scope="module")
def results(runs):
    return {name: json.loads(r.results_json.read_text(encoding="utf-8")) for name, r in runs.items()}


@pytest.fixture(scope="module")
def study(shared_study):
    """The Study of a notebook's params (one per params file and session)."""
    return lambda name: shared_study(PARAMS / RUNS[name])


def test_notebooks_are_clean_templates():
    import nbformat  # noqa: PLC0415 - its jsonschema import takes seconds; kept out of collection
    for path in sorted(NB.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, path.name
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), f"{path.name} has outputs"
        tree = ast.parse("\n".join(c.source for c in code))
        logic = [type(n).__name__ for n in ast.walk(tree)
                 if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.For | ast.While | ast.If | ast.Lambda)]
        assert not logic, f"{path.name} holds logic: {logic}"
        assert nb.metadata.kernelspec.name == "effectstudy"
    assert {p.stem for p in NB.glob("*.ipynb")} == set(RUNS)


def test_effect_study_results_equal_direct_calls(results, study):
    r = results["effect_study"]
    st = study("effect_study")
    assert r["flow"] == expected(st.flow())
    assert r["effect_sizes"] == expected(st.effect_sizes())
    assert r["clinical_significance"] == expected(st.clinical_significance())
    assert r["itt"] == expected(st.itt())  # seeded imputations: the same figures
    assert r["baseline_comparison"] == expected(st.baseline_comparison())
    assert r["itt_text"] == st.itt_text(st.itt())
    assert r["itt_categories"] == json.loads(dumps_stable(jsonable(st.itt().category_table())))
    # ci.yaml switches on the three further approaches: each row is the verb's own summary
    assert r["approaches"] == expected(st.approaches())
    assert r["approaches"]["meta"]["approaches"] == ["rc_cutoff", "cutoff", "anchor", "anchor_cutoff"]
    assert [g["group"] for g in r["approaches"]["group_level"]] == ["all", "basic", "specialised"]
    assert r["stagnation"] == expected(st.stagnation())
    assert r["stagnation_sensitivity"] == expected(st.stagnation_sensitivity())
    assert r["stagnation_text"] == st.stagnation_text()
    assert r["not_on_track_accuracy"] == expected(st.not_on_track_accuracy())
    assert r["not_on_track_accuracy_model"] == expected(st.not_on_track_accuracy(signal="model"))
    assert r["treatment_course"] == expected(st.treatment_course())
    assert r["satisfaction"] == expected(st.satisfaction())
    assert r["trajectories"] == expected(st.trajectories())
    # the primary numbers themselves, against the stages called without the Study
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", es.ProvisionalKeyWarning)
        pairs = es.pair_prepost(es.score(st.measurements, instrument="scl90_nl"), st.episodes, scale="PSNEUR")
    d = es.prepost_effect(pairs.data, subject="episode_id", time="time", outcome="score", pre="pre",
                          post="post", method="b", adjust=True,
                          better_is="lower").summary().iloc[0]  # SCL-90: improvement positive
    top = r["effect_sizes"]["summary"][0]
    assert (top["scale"], top["grouping"], top["n"]) == ("PSNEUR", "all", d["n"])
    assert top["estimate"] == pytest.approx(d["estimate"], rel=1e-12)


def test_yearly_summary_results_equal_direct_calls(runs, results, study):
    r = results["yearly_summary"]
    st = study("yearly_summary")
    figures = st.key_figures()
    pub = st.published(figures)
    assert r["key_figures"] == expected(pub)
    assert r["by_group"] == expected(st.published_groups(figures))
    assert r["summary_text"] == st.yearly_text(pub)
    # a public report: its folder holds no executed notebook (that is in the internal folder)
    run = runs["yearly_summary"]
    assert not list(run.output_dir.glob("*.ipynb"))
    assert run.notebook.parent == internal_dir(run.output_dir)
    assert (run.notebook.parent / "README.txt").is_file()
    # the published counts are multiples of 5 and nothing of a group under 10 is shown
    for row in r["key_figures"]["disclosure"]["published"]:
        for k, v in row.items():
            if k.startswith("n") and isinstance(v, int | float) and v is not None:
                assert v % 5 == 0 and v >= 10, (k, v)


def test_student_analysis_results_equal_direct_calls(results, study):
    r = results["student_analysis"]
    st = study("student_analysis")
    assert r["ancova"] == expected(st.ancova())
    assert r["mixed_model"] == expected(st.mixed_prepost())
    assert r["ancova_apa"] == st.ancova().apa("en")


def test_explore_runs(results, study):
    assert results["explore"]["flow"] == expected(study("explore").flow())


def test_reports_hold_no_code_no_scripts_and_their_figures(runs):
    for name, run in runs.items():
        html = run.html.read_text(encoding="utf-8")
        assert "<script" not in html.lower(), name
        assert "study = es.Study" not in html and "params_file" not in html, name
        assert html.count("data:image/png;base64,") >= (1 if name != "explore" else 0), name


def test_rerun_gives_identical_results_json(runs, tmp_path):
    again = es.run_notebook(NB / "yearly_summary.ipynb", PARAMS / RUNS["yearly_summary"],
                            output_dir=tmp_path / "again", progress=False)
    assert again.results_json.read_bytes() == runs["yearly_summary"].results_json.read_bytes()


def test_plain_papermill_on_the_same_notebook(tmp_path, study):
    import papermill as pm

    out = tmp_path / "report"
    pm.execute_notebook(str(NB / "explore.ipynb"), str(tmp_path / "explore.ipynb"),
                        parameters={"params_file": str(PARAMS / "ci.yaml"), "output_dir": str(out)},
                        kernel_name="effectstudy", cwd=str(NB), progress_bar=False)
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["flow"] == expected(study("explore").flow())
