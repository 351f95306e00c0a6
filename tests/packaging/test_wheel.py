"""The wheel and sdist, built and installed in a fresh venv, work outside the repository.

``make wheel-check`` runs these tests (``pytest -m packaging tests/packaging``); other runs
leave them out (conftest.py): they build, install and run a report (under a minute with uv).
The steps:

1. ``python -m build`` makes the sdist and, from the sdist, the wheel (so the sdist is shown
   to rebuild it); ``twine check --strict`` passes on both;
2. the wheel holds the instrument keys, the report template, the notebooks, the params files
   and the example data; the sdist holds the tests, README, LICENSE and build files;
3. a fresh venv (``uv venv``; ``python -m venv`` and pip without uv) gets the wheel with the
   ``notebooks`` extra, at the versions of the environment running the tests (constraints);
4. from a folder outside the repository, with ``PYTHONPATH`` unset and the user's Jupyter
   kernels out of sight: ``effectstudy --help``, ``es.datasets.load_example()``, and
   ``effectstudy init proj`` followed by the effect study on the shipped example in ``proj``,
   whose ``results.json`` equals direct calls of the repository's code on the same data.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import warnings
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest

from effectstudy import __version__
from effectstudy.core.shipped import SHIPPED

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.packaging

#: figures measured by the fixtures, shown at the end of the module's tests
TIMES: dict[str, float] = {}


@pytest.fixture(scope="module", autouse=True)
def _show_figures(request):
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None and TIMES:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            for key, value in TIMES.items():
                reporter.write_line(f"  {key:<52} {value:8.1f}")


def _uv() -> str | None:
    """``uv``: the ``UV`` environment variable, else next to the running Python (the project
    venv, as CI installs it), else on PATH; None without uv (then venv and pip)."""
    beside = Path(sys.executable).parent / "uv"
    return os.environ.get("UV") or (str(beside) if beside.is_file() else shutil.which("uv"))


def _run(args: list[str | Path], *, cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 900) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {proc.returncode} in {cwd}\n"
                             f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}")
    return proc


@dataclass(frozen=True)
class Dists:
    wheel: Path
    sdist: Path


@dataclass(frozen=True)
class Installed:
    venv: Path
    python: Path
    effectstudy: Path
    env: dict[str, str]
    outside: Path  # a working folder outside the repository


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> Dists:
    out = tmp_path_factory.mktemp("dist")
    uv = _uv()
    env = dict(os.environ)
    args = [sys.executable, "-m", "build", "--outdir", out]
    if uv is not None:  # build's isolated environment made by uv: seconds instead of a pip run
        env["PATH"] = f"{Path(uv).parent}{os.pathsep}{env.get('PATH', '')}"
        args += ["--installer", "uv"]
    start = time.perf_counter()
    _run([*args, REPO], cwd=REPO, env=env)
    TIMES["build (sdist, then the wheel from it), s"] = time.perf_counter() - start
    wheels, sdists = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    TIMES["wheel, kB"] = wheels[0].stat().st_size / 1000
    TIMES["sdist, kB"] = sdists[0].stat().st_size / 1000
    return Dists(wheels[0], sdists[0])


@pytest.fixture(scope="module")
def installed(dists, tmp_path_factory) -> Installed:
    base = tmp_path_factory.mktemp("installed")
    venv, outside = base / "venv", base / "work"
    outside.mkdir()
    uv = _uv()
    # the versions of the environment running the tests: the check is about the package, not
    # about whatever the index serves today
    pins = sorted({f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions()
                   if d.metadata["Name"] and d.metadata["Name"].lower() != "effectstudy"})
    constraints = base / "constraints.txt"
    constraints.write_text("\n".join(pins) + "\n")
    python = venv / "bin" / "python"
    start = time.perf_counter()
    if uv is not None:
        _run([uv, "venv", "-q", "--python", sys.executable, venv], cwd=base)
        _run([uv, "pip", "install", "-q", "--python", python, "-c", constraints,
              f"{dists.wheel}[notebooks]"], cwd=base)
    else:
        _run([sys.executable, "-m", "venv", venv], cwd=base)
        _run([python, "-m", "pip", "install", "-q", "-c", constraints, f"{dists.wheel}[notebooks]"],
             cwd=base)
    TIMES["venv and install of the wheel with [notebooks], s"] = time.perf_counter() - start
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "JUPYTER_PATH", "PYTHONSTARTUP"}}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["JUPYTER_DATA_DIR"] = str(base / "jupyter-data")  # no user-level kernel can stand in
    env["MPLBACKEND"] = "Agg"
    return Installed(venv, python, venv / "bin" / "effectstudy", env, outside)


def test_twine_check_strict_passes(dists):
    proc = _run([sys.executable, "-m", "twine", "check", "--strict", dists.wheel, dists.sdist], cwd=REPO)
    assert proc.stdout.count("PASSED") == 2, proc.stdout


def test_wheel_carries_keys_templates_notebooks_params_and_example(dists):
    names = set(zipfile.ZipFile(dists.wheel).namelist())
    expected = {f"effectstudy/instruments/{p.name}" for p in (REPO / "effectstudy/instruments").glob("*.yaml")}
    expected |= {f"effectstudy/instruments/templates/{p.name}"
                 for p in (REPO / "effectstudy/instruments/templates").glob("*.yaml")}
    expected |= {f"effectstudy/{p.relative_to(REPO / 'effectstudy').as_posix()}"
                 for p in (REPO / "effectstudy/templates").rglob("*") if p.is_file()}
    for folder in SHIPPED.values():
        files = [p for p in (REPO / folder).iterdir() if p.is_file()]
        assert files, folder
        expected |= {f"effectstudy/_shipped/{folder}/{p.name}" for p in files}
    assert {"effectstudy/instruments/scl90_nl.yaml", "effectstudy/instruments/templates/sq48.yaml", "effectstudy/_shipped/notebooks/effect_study.ipynb",
            "effectstudy/_shipped/params/demo.yaml", "effectstudy/_shipped/data/example/measurements.csv",
            "effectstudy/templates/report/index.html.j2"} <= expected
    assert expected <= names, sorted(expected - names)
    # every module of the package, and nothing from outside it but its metadata
    modules = {f"{p.relative_to(REPO).as_posix()}" for p in (REPO / "effectstudy").rglob("*.py")}
    assert modules <= names, sorted(modules - names)
    assert all(n.startswith(("effectstudy/", f"effectstudy-{__version__}.dist-info/")) for n in names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    meta = zipfile.ZipFile(dists.wheel).read(f"effectstudy-{__version__}.dist-info/METADATA").decode()
    assert "License-Expression: MIT" in meta and "Description-Content-Type: text/markdown" in meta


def test_sdist_holds_what_rebuilds_the_wheel_and_runs_the_tests(dists):
    with tarfile.open(dists.sdist) as tar:
        top = f"effectstudy-{__version__}/"
        names = {n.removeprefix(top) for n in tar.getnames()}
    for needed in ("pyproject.toml", "setup.py", "MANIFEST.in", "LICENSE", "README.md", "ARCHITECTURE.md",
                   "Makefile", "tests/conftest.py", "tests/test_architecture.py", "data/README.md",
                   "notebooks/effect_study.ipynb", "params/demo.yaml", "data/example/manifest.json"):
        assert needed in names, needed
    tests = {p.relative_to(REPO).as_posix() for p in (REPO / "tests").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and ".hypothesis" not in p.parts}
    assert tests <= names, sorted(tests - names)[:10]


def test_installed_package_runs_outside_the_repository(installed):
    proc = _run([installed.effectstudy, "--help"], cwd=installed.outside, env=installed.env)
    for command in ("init", "run", "validate", "install-kernel"):
        assert command in proc.stdout
    code = (
        "import json, sys, effectstudy as es\n"
        "from effectstudy.study import Study, example_params\n"
        "data = es.datasets.load_example()\n"
        "flow = Study.from_params(example_params()).flow().summary()\n"
        "mods = {m.__name__: getattr(m, '__file__', None) for m in list(sys.modules.values())\n"
        "        if m.__name__.split('.')[0] == 'effectstudy'}\n"
        "print(json.dumps({'file': es.__file__, 'example': str(es.datasets.example_path()),\n"
        "                  'mods': mods, 'path': sys.path,\n"
        "                  'episodes': len(data.episodes), 'truth': len(data.truth),\n"
        "                  'flow': int(flow['episodes'].iloc[0])}))\n"
    )
    out = json.loads(_run([installed.python, "-c", code], cwd=installed.outside, env=installed.env).stdout)
    assert out["episodes"] == out["truth"] == 400  # the example: 400 episodes, seed 2025
    assert out["flow"] == 400  # the shipped demo params run in place in the installed package
    venv = installed.venv.resolve()
    assert Path(out["file"]).resolve().is_relative_to(venv), out["file"]
    assert Path(out["example"]).resolve().is_relative_to(venv), out["example"]
    assert all(Path(f).resolve().is_relative_to(venv) for f in out["mods"].values() if f), out["mods"]
    assert not [p for p in out["path"] if p and Path(p).resolve().is_relative_to(REPO)], out["path"]


def test_init_then_the_effect_study_in_the_project(installed):
    env, outside = installed.env, installed.outside
    _run([installed.effectstudy, "init", "proj"], cwd=outside, env=env)
    proj = outside / "proj"
    _run([installed.effectstudy, "install-kernel"], cwd=outside, env=env)
    argv0 = _run([installed.python, "-c", "from jupyter_client.kernelspec import KernelSpecManager as K; "
                  "print(K().get_kernel_spec('effectstudy').argv[0])"], cwd=outside, env=env).stdout.strip()
    assert Path(argv0).parent == installed.python.parent, argv0  # the notebook runs on the venv
    proc = _run([installed.effectstudy, "validate", "-f", "params/demo.yaml", "--show", "0"], cwd=proj, env=env)
    assert "Validation of params/demo.yaml: ok" in proc.stdout
    start = time.perf_counter()
    _run([installed.effectstudy, "run", "--no-progress", "notebooks/effect_study.ipynb", "-f", "params/demo.yaml"],
         cwd=proj, env=env)
    TIMES["effect study run in the installed venv, s"] = time.perf_counter() - start
    out = proj / "reports" / "effect_study" / "demo"
    assert (out / "effect_study.html").stat().st_size > 10_000
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    # the headline numbers equal the repository's own code on the repository's data
    from effectstudy.reports.output import dumps_stable
    from effectstudy.study import Study

    def expected(result) -> object:
        return json.loads(dumps_stable(result.to_dict()))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # provisional key, excluded episodes: counted in meta
        study = Study.from_params(REPO / "params" / "demo.yaml")
        for key, make in (("flow", study.flow), ("effect_sizes", study.effect_sizes),
                          ("clinical_significance", study.clinical_significance),
                          ("stagnation", study.stagnation)):
            assert results[key] == expected(make()), key
    top = results["effect_sizes"]["summary"][0]
    assert (top["scale"], top["grouping"]) == ("PSNEUR", "all") and top["n"] > 100
    prov = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    assert [i["path"] for i in prov["inputs"]] == [f"data/example/{n}" for n in
                                                    ("episodes.csv", "measurements.csv", "satisfaction.csv")]
    assert prov["params"]["file"] == "params/demo.yaml"
