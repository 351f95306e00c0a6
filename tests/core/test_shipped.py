"""``core/shipped.py``: the one lookup of the notebooks, params and example data the package ships."""

from __future__ import annotations

from pathlib import Path

import pytest

from effectstudy.core import shipped
from effectstudy.core.errors import ArgumentError, FolderError

REPO = Path(__file__).resolve().parents[2]


def test_source_tree_folders_when_not_installed():
    # the tests run on the source tree (a clone or an editable install): no _shipped/ copy
    assert not shipped.INSTALLED_DIR.exists()
    assert {name: shipped.shipped_folder(name) for name in shipped.SHIPPED} == {
        "notebooks": REPO / "notebooks", "params": REPO / "params", "example": REPO / "data" / "example",
        "example_wide": REPO / "data" / "example_wide", "example_scores": REPO / "data" / "example_scores"}
    assert shipped.code_root() == REPO


def test_installed_copy_comes_first_and_keeps_the_layout(tmp_path, monkeypatch):
    installed = tmp_path / "effectstudy" / "_shipped"
    for folder in shipped.SHIPPED.values():
        (installed / folder).mkdir(parents=True)
    monkeypatch.setattr(shipped, "INSTALLED_DIR", installed)
    assert shipped.shipped_folder("example") == installed / "data" / "example"
    assert shipped.shipped_folder("params") == installed / "params"


def test_unknown_name_and_missing_files_are_errors(tmp_path, monkeypatch):
    with pytest.raises(ArgumentError, match=r"name: got 'data', expected one of \['example', 'example_scores', 'example_wide', 'notebooks', 'params'\]"):
        shipped.shipped_folder("data")
    monkeypatch.setattr(shipped, "INSTALLED_DIR", tmp_path / "nothing")
    monkeypatch.setattr(shipped, "_SOURCE_ROOT", tmp_path)
    with pytest.raises(FolderError, match=r"the shipped folder 'notebooks' is missing: .*reinstall effectstudy"):
        shipped.shipped_folder("notebooks")
    assert shipped.code_root() == shipped.Path(shipped.__file__).resolve().parents[1]
