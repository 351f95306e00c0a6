"""The version has one source, and the release files agree with it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

import effectstudy

ROOT = Path(__file__).resolve().parents[1]


def test_version_is_dynamic_from_the_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "effectstudy.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", effectstudy.__version__)


def test_citation_cff_names_this_version():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    for key in ("cff-version", "message", "title", "authors", "version", "date-released", "license"):
        assert cff.get(key), f"CITATION.cff lacks {key!r}"
    assert str(cff["version"]) == effectstudy.__version__
    assert cff["license"] == "MIT"


def test_changelog_has_a_section_for_this_version():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    versions = re.findall(r"^## (\d+\.\d+\.\d+) - (\d{4}-\d{2}-\d{2})$", text, flags=re.M)
    assert versions and versions[0][0] == effectstudy.__version__, versions
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert versions[0][1] == str(cff["date-released"])


def test_lock_file_locks_every_declared_dependency():
    # the lock and pyproject.toml agree by name (make lock-check compares them fully, with uv)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared += extra
    names = {re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower().replace("_", "-") for d in declared}
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    locked = {p["name"] for p in lock["package"]}
    assert names - locked == set()
