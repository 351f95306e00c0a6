"""Provenance: input hashes, params, versions, instrument keys, no absolute paths published."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import effectstudy as es
from effectstudy import instruments
from effectstudy.core.params import load_params
from effectstudy.reports.provenance import PACKAGES, Provenance, provenance, provenance_html


@pytest.fixture
def project(tmp_path):
    """A small project folder: pyproject.toml, params/run.yaml, data/ with two CSV files."""
    root = tmp_path / "project"
    (root / "params").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (root / "data" / "episodes.csv").write_bytes(b"episode_id;client_id\nE1;C1\n")
    (root / "data" / "measurements.csv").write_bytes(b"client_id;instrument;date\nC1;phq9;01-02-2025\n")
    (root / "params" / "run.yaml").write_text(
        "report: effect_study\nlanguage: en\ndata:\n"
        "  episodes: {path: ../data/episodes.csv}\n"
        "  measurements: {path: ../data/measurements.csv}\n",
        encoding="utf-8",
    )
    return root


def test_input_hashes_match_hashlib(project):
    params = load_params(project / "params" / "run.yaml")
    prov = provenance(params)
    by_key = {i["key"]: i for i in prov["inputs"]}
    assert set(by_key) == {"data.episodes", "data.measurements"}
    for key, name in (("data.episodes", "episodes.csv"), ("data.measurements", "measurements.csv")):
        data = (project / "data" / name).read_bytes()
        assert by_key[key]["sha256"] == hashlib.sha256(data).hexdigest()
        assert by_key[key]["bytes"] == len(data)
        assert by_key[key]["path"] == f"data/{name}"
    params_bytes = (project / "params" / "run.yaml").read_bytes()
    assert prov["params"]["sha256"] == hashlib.sha256(params_bytes).hexdigest()
    assert prov["params"]["file"] == "params/run.yaml"
    assert prov["params"]["values"]["data"]["episodes"]["path"] == "data/episodes.csv"
    assert prov["params"]["values"]["language"] == "en"
    assert "source_file" not in prov["params"]["values"]


def test_other_path_valued_keys_are_hashed(project):
    extra = project / "data" / "norms.csv"
    extra.write_bytes(b"m;sd\n1;2\n")
    params = {"source_file": str(project / "params" / "run.yaml"),
              "data": {"episodes": {"path": str(project / "data" / "episodes.csv")}},
              "norms_file": str(extra), "missing_path": str(project / "data" / "gone.csv")}
    prov = provenance(params)
    by_key = {i["key"]: i for i in prov["inputs"]}
    assert by_key["norms_file"]["sha256"] == hashlib.sha256(extra.read_bytes()).hexdigest()
    assert by_key["missing_path"]["sha256"] is None
    assert any("input file missing: missing_path = data/gone.csv" in w for w in prov["warnings"])


def test_provisional_key_flagged(project):
    params = load_params(project / "params" / "run.yaml")
    prov = provenance(params, instruments=["scl90_nl", "phq9"])
    entries = {i["id"]: i for i in prov["instruments"]}
    assert entries["scl90_nl"]["status"] == "provisional"
    assert entries["scl90_nl"]["status_reason"]
    assert entries["phq9"]["status"] == "verified" and entries["phq9"]["status_reason"] is None
    shipped = instruments.SHIPPED_DIR / "scl90_nl.yaml"
    assert entries["scl90_nl"]["sha256"] == hashlib.sha256(shipped.read_bytes()).hexdigest()
    assert [w for w in prov["warnings"] if w.startswith("provisional key")] == [
        w for w in prov["warnings"] if "scl90_nl" in w
    ]
    for lang, word, key, name in (("nl", "Let op", "voorlopige sleutel", "SCL-90, Nederlandse bewerking"),
                                  ("en", "Warning", "provisional key", "SCL-90, Dutch edition")):
        html = provenance_html(prov, lang=lang)
        assert f'<p class="es-warning" role="note"><strong>⚠ {word}:</strong> {key}: {name}' in html
        assert "<code>phq9</code>" in html and f"{key}: PHQ" not in html
    assert prov._repr_html_() == provenance_html(prov, lang="nl")


def test_verified_only_has_no_key_warning(project):
    prov = provenance(load_params(project / "params" / "run.yaml"), instruments=["phq9"])
    assert not any("provisional" in w for w in prov["warnings"])
    assert "provisional key" not in provenance_html(prov)


def test_instruments_found_in_params(project):
    params = {"source_file": str(project / "params" / "run.yaml"),
              "outcomes": [{"instrument": "scl90_nl", "scale": "GSI"}, {"instrument": "phq9"}],
              "other": {"instruments": ["not_an_instrument"]}}
    prov = provenance(params)
    assert [i["id"] for i in prov["instruments"]] == ["phq9", "scl90_nl"]


def test_user_instrument_file(project):
    src = instruments.SHIPPED_DIR / "phq9.yaml"
    user = project / "instruments" / "phq9_practice.yaml"
    user.parent.mkdir()
    shutil.copy(src, user)
    inst = instruments.load(user)
    entry = provenance(None, instruments=[inst], root=project)["instruments"][0]
    assert entry["origin"] == "instruments/phq9_practice.yaml"
    assert entry["overrides_shipped"] is True
    assert entry["sha256"] == hashlib.sha256(user.read_bytes()).hexdigest()


def test_versions_date_and_key_fingerprint(project):
    from effectstudy.privacy.pseudonyms import PseudonymKey

    key = PseudonymKey(b"k" * 32)
    prov = provenance(load_params(project / "params" / "run.yaml"), key=key)
    assert prov["effectstudy"] == es.__version__
    assert set(PACKAGES) | {"python"} == set(prov["versions"])
    assert prov["versions"]["pandas"] and prov["versions"]["papermill"]
    assert prov["created_utc"].endswith("Z") and len(prov["created_utc"]) == 20
    assert prov["key_fingerprint"] == key.fingerprint
    assert ("k" * 32) not in json.dumps(prov)
    import datetime as dt

    fixed = provenance(None, now=dt.datetime(2026, 3, 1, 13, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    assert fixed["created_utc"] == "2026-03-01T12:00:00Z"


def test_no_absolute_paths_in_published_parts(project):
    prov = provenance(load_params(project / "params" / "run.yaml"), instruments=["scl90_nl"])
    text = json.dumps(prov) + provenance_html(prov, lang="en")
    assert str(project) not in text
    assert str(Path.home()) + "/" not in text
    assert str(instruments.SHIPPED_DIR) not in text


def test_home_paths_become_tilde(project, monkeypatch):
    monkeypatch.setenv("HOME", str(project.parent))
    outside = project.parent / "elsewhere" / "export.csv"
    outside.parent.mkdir()
    outside.write_bytes(b"x")
    prov = provenance({"data": {"episodes": {"path": str(outside)}}}, root=project)
    assert prov["inputs"][0]["path"] == "~/elsewhere/export.csv"


def test_git_commit_and_dirty_flag(project):
    assert provenance(None, root=project)["git"] is None  # not a repository
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "HOME": str(project), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": os.devnull}
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "x"]):
        subprocess.run(["git", "-C", str(project), *cmd], check=True, env=env, capture_output=True)
    git = provenance(None, root=project)["git"]
    assert len(git["commit"]) == 40 and git["dirty"] is False
    (project / "data" / "episodes.csv").write_bytes(b"changed\n")
    prov = provenance(None, root=project)
    assert prov["git"]["dirty"] is True
    assert any("uncommitted changes" in w for w in prov["warnings"])


def test_is_a_json_safe_dict_and_the_verb_survives_its_module_import():
    import effectstudy.reports.provenance  # noqa: F401 - must not shadow es.provenance

    prov = es.provenance(None)
    assert isinstance(prov, dict) and isinstance(prov, Provenance)
    json.dumps(prov, allow_nan=False)
    assert es.provenance(None)["effectstudy"] == es.__version__  # es.provenance after the module import
    assert prov["params"] is None and prov["inputs"] == [] and prov["instruments"] == []


def _lock_file(root: Path, entries: dict[str, str]) -> Path:
    """A uv.lock with one ``[[package]]`` per name -> version (as uv writes them)."""
    text = 'version = 1\nrequires-python = ">=3.11"\n\n' + "".join(
        f'[[package]]\nname = "{n}"\nversion = "{v}"\nsource = {{ registry = "https://pypi.org/simple" }}\n\n'
        for n, v in entries.items())
    text += '[[package]]\nname = "x"\nsource = { editable = "." }\n'
    path = root / "uv.lock"
    path.write_text(text, encoding="utf-8")
    return path


def test_lock_hash_and_no_difference_when_installed_as_locked(project):
    from importlib import metadata

    path = _lock_file(project, {"pandas": metadata.version("pandas"), "NumPy": metadata.version("numpy"),
                                "not-installed-anywhere": "1.0"})
    prov = provenance(load_params(project / "params" / "run.yaml"))
    assert prov["lock"] == {"file": "uv.lock", "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                            "differs": []}
    assert not any("uv.lock" in w for w in prov["warnings"])
    assert f"SHA-256 {prov['lock']['sha256']}" in provenance_html(prov, lang="en")


def test_installed_version_other_than_locked_is_a_warning(project):
    from importlib import metadata

    # pyyaml's distribution is named "PyYAML": names compare as PEP 503 normalises them
    _lock_file(project, {"PyYAML": "0.0.1", "pandas": metadata.version("pandas")})
    prov = provenance(load_params(project / "params" / "run.yaml"))
    expected = f"pyyaml {metadata.version('pyyaml')} (uv.lock: 0.0.1)"
    assert prov["lock"]["differs"] == [expected]
    assert any(w.startswith("installed versions differ from uv.lock") and expected in w for w in prov["warnings"])
    # the appendix shows the file name as code (the same in every language)
    assert expected.replace("uv.lock", "<code>uv.lock</code>") in provenance_html(prov, lang="en")


def test_no_lock_file_is_recorded_as_none(project):
    prov = provenance(load_params(project / "params" / "run.yaml"))
    assert prov["lock"] is None
    assert json.loads(json.dumps(prov))["lock"] is None


def test_the_project_lock_matches_the_installed_environment():
    # make install installs uv.lock; a report run from this clone records no difference
    # (the lowest-versions run of make check installs other versions on purpose)
    root = Path(__file__).resolve().parents[2]
    prov = provenance(None, root=root)
    assert prov["lock"]["sha256"] == hashlib.sha256((root / "uv.lock").read_bytes()).hexdigest()
    if os.environ.get("EFFECTSTUDY_LOWEST_VERSIONS") != "1":
        assert prov["lock"]["differs"] == []


def _visible(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_appendix_words_in_the_report_language(project):
    """Every provenance term is in the report's language: no English term in the Dutch appendix
    (and the reverse), the warnings included (provenance.json keeps them in English)."""
    (project / "data" / "gone.csv").unlink(missing_ok=True)
    params = load_params(project / "params" / "run.yaml")
    prov = provenance(params, instruments=["scl90_nl", "phq9"])
    prov["warnings"].append("the project had uncommitted changes at commit 0123456789ab")
    prov["warnings"].append("input file missing: data.x = data/x.csv")
    nl = _visible(provenance_html(prov, lang="nl"))
    en = _visible(provenance_html(prov, lang="en"))
    for word in ("origin", "shipped", "provisional", "verified", "size (bytes)", "version", "uncommitted",
                 "input file missing", "scales", "Provenance", "Warning", "Input files"):
        assert word not in nl, word
    for word in ("herkomst", "meegeleverd", "voorlopig", "gecontroleerd", "grootte", "versie",
                 "niet-vastgelegde", "invoerbestand ontbreekt", "schalen", "Verantwoording", "Let op"):
        assert word not in en, word
        assert word in nl, word
    # the instrument and its scales by their names in the report's language, codes in parentheses
    assert ("voorlopige sleutel: SCL-90, Nederlandse bewerking (Arrindell &amp; Ettema 2003) (schalen "
            "Wantrouwen en interpersoonlijke sensitiviteit (SEN), Overige items (OVE)): ") in nl
    assert "het project had niet-vastgelegde wijzigingen bij commit 0123456789ab" in nl
    assert "invoerbestand ontbreekt: data.x = data/x.csv" in nl
    assert "provisional key: SCL-90, Dutch edition (Arrindell &amp; Ettema 2003) (scales " in en
    # an unknown line is shown as it is rather than dropped
    prov["warnings"].append("something new")
    assert "something new" in provenance_html(prov, lang="nl")


def test_appendix_breaks_paths_at_folders_not_words(project):
    prov = provenance(load_params(project / "params" / "run.yaml"), instruments=["phq9"])
    html = provenance_html(prov, lang="nl")
    assert "data/<wbr>episodes.csv" in html
    params = html[html.index('<pre class="es-params">'):]
    assert "<wbr>" in params and re.search(r"\bmethod|\bpath: ", params)
    # only after a slash: words themselves are never split
    assert all(piece.endswith("/") for piece in params.split("<wbr>")[:-1])
