"""``effectstudy init FOLDER``: the project folder, its refusal to overwrite, and runs inside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from effectstudy.cli import main
from effectstudy.cli.init import NOTEBOOKS, PARAMS, init_project
from effectstudy.core.errors import EffectstudyError, FolderError, ParamsError
from effectstudy.core.files import PROJECT_FILE, find_repo_root
from effectstudy.core.params import load_report_params
from effectstudy.core.shipped import shipped_folder
from effectstudy.reports.output import default_output_dir

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("init") / "proj"
    assert main(["init", str(folder)]) == 0
    return folder


def test_init_copies_the_shipped_files_byte_for_byte(project):
    for name in NOTEBOOKS:
        assert (project / "notebooks" / name).read_bytes() == (REPO / "notebooks" / name).read_bytes()
    for name in PARAMS:
        assert (project / "params" / name).read_bytes() == (REPO / "params" / name).read_bytes()
    example = sorted(p.name for p in (REPO / "data" / "example").iterdir())
    assert sorted(p.name for p in (project / "data" / "example").iterdir()) == example
    for name in example:
        assert (project / "data" / "example" / name).read_bytes() == (REPO / "data" / "example" / name).read_bytes()
    # the test runs and the export example stay out; every notebook is in
    assert sorted(p.name for p in (project / "params").iterdir()) == sorted(PARAMS)
    assert sorted(p.name for p in (project / "notebooks").iterdir()) == sorted(NOTEBOOKS)
    assert set(NOTEBOOKS) == {p.name for p in shipped_folder("notebooks").glob("*.ipynb")}


def test_init_writes_readmes_marker_and_empty_raw(project):
    assert (project / "data" / "raw").is_dir() and not any((project / "data" / "raw").iterdir())
    data_readme = (project / "data" / "README.md").read_text(encoding="utf-8")
    assert "`raw/`" in data_readme and "never" in data_readme and "synthetic" in data_readme
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# proj\n")
    for command in ("effectstudy install-kernel", "effectstudy validate -f params/demo.yaml",
                    "effectstudy run notebooks/effect_study.ipynb -f params/demo.yaml"):
        assert command in readme
    assert "data/raw/" in (project / ".gitignore").read_text().splitlines()
    assert "effectstudy init" in (project / PROJECT_FILE).read_text()


def test_params_resolve_inside_the_project(project):
    demo = load_report_params(project / "params" / "demo.yaml")
    for spec in (demo.data.episodes, demo.data.measurements, demo.data.satisfaction):
        assert Path(spec.path).parent == (project / "data" / "example").resolve()
        assert Path(spec.path).is_file()
    # the template for a real export points into the project's data/raw/ (empty until the export is there)
    with pytest.raises(ParamsError) as exc:
        load_report_params(project / "params" / "effect-study-2025.yaml")
    raw = (project / "data" / "raw").resolve()
    assert f"data.episodes.path: file {str(raw / '2026-01-15' / 'trajecten.csv')!r} does not exist" in str(exc.value)


def test_the_project_is_the_reports_root(project, tmp_path, monkeypatch):
    # even when run from elsewhere, and when a folder with pyproject.toml lies above the project
    monkeypatch.chdir(tmp_path)
    nb = project / "notebooks" / "effect_study.ipynb"
    assert default_output_dir(project / "params" / "demo.yaml", nb) == (
        project.resolve() / "reports" / "effect_study" / "demo")
    outer = tmp_path / "outer"
    (outer).mkdir()
    (outer / "pyproject.toml").touch()
    init_project(outer / "inner")
    assert find_repo_root(outer / "inner" / "notebooks") == (outer / "inner").resolve()


def test_validate_runs_in_the_project(project, monkeypatch, capsys):
    monkeypatch.chdir(project)
    assert main(["validate", "-f", "params/demo.yaml", "--show", "0"]) == 0
    out = capsys.readouterr().out
    assert "Validation of params/demo.yaml: ok" in out
    n_ep = len((project / "data" / "example" / "episodes.csv").read_text().splitlines()) - 1
    assert f"episodes: {n_ep} rows read from episodes.csv" in out


def test_init_refuses_a_non_empty_folder_and_a_file(tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "my-params.yaml").write_text("report: effect_study\n")
    assert main(["init", str(folder)]) == 2
    err = capsys.readouterr().err
    assert f"folder {str(folder)!r} is not empty" in err and "never overwrites" in err
    assert sorted(p.name for p in folder.iterdir()) == ["my-params.yaml"]
    with pytest.raises(FolderError) as exc:
        init_project(folder)
    assert isinstance(exc.value, EffectstudyError)
    a_file = tmp_path / "a.txt"
    a_file.write_text("x")
    with pytest.raises(FolderError, match="is a file, not a folder"):
        init_project(a_file)


def test_init_accepts_an_existing_empty_folder(tmp_path, capsys):
    folder = tmp_path / "empty"
    folder.mkdir()
    made = init_project(folder)
    assert (folder / "notebooks" / "effect_study.ipynb") in made
    assert all(p.is_file() for p in made)
    n_files = sum(1 for p in folder.rglob("*") if p.is_file())
    assert n_files == len(made) == len(NOTEBOOKS) + len(PARAMS) + 5 + 4


def test_keygen_refuses_a_key_inside_the_project(project, capsys):
    target = project / "keys" / "release.key"
    assert main(["keygen", str(target)]) == 2
    assert "inside the effectstudy project folder" in capsys.readouterr().err
    assert not target.exists()
