"""The files the package ships beside its code: report notebooks, params files, example data.

In the repository they live at the top level, where users, ``make demo`` and the tests use them:
``notebooks/``, ``params/``, ``data/example/`` and the example in other shapes
(``data/example_wide/``, ``data/example_scores/``).  The wheel carries the same files in the
same layout below ``effectstudy/_shipped/`` (so the shipped params' ``../data/example/`` paths
hold there too): ``setup.py`` maps these data-only packages onto the top-level folders
(setuptools ``package_dir``), so no file is committed twice and git holds no symlink.

:func:`shipped_folder` is the one place that finds them: the installed copy when the package
was installed from a wheel or sdist, else the folder of the source tree (a clone, an editable
install).  Plain paths (not ``importlib.resources``): the notebooks are run by papermill and
copied by ``effectstudy init`` as files, and the package is never imported from a zip.

>>> sorted(SHIPPED)
['example', 'example_scores', 'example_wide', 'notebooks', 'params']
>>> (shipped_folder("params") / "demo.yaml").is_file()
True
"""

from __future__ import annotations

from pathlib import Path

from effectstudy.core.errors import ArgumentError, FolderError

__all__ = ["SHIPPED", "INSTALLED_DIR", "code_root", "shipped_folder"]

#: shipped folder name -> its folder relative to the repository root, and to ``_shipped/`` in
#: an installed package (read by ``setup.py`` too, so the build and the lookup cannot disagree)
SHIPPED: dict[str, str] = {
    "notebooks": "notebooks",
    "params": "params",
    "example": "data/example",
    "example_wide": "data/example_wide",
    "example_scores": "data/example_scores",
}

#: where an installed package holds them (``effectstudy/_shipped/<folder>``)
INSTALLED_DIR = Path(__file__).resolve().parents[1] / "_shipped"

#: the repository root when the package runs from its source tree
_SOURCE_ROOT = Path(__file__).resolve().parents[2]


def _in_source_tree() -> bool:
    return (_SOURCE_ROOT / "pyproject.toml").is_file() and (_SOURCE_ROOT / "effectstudy").is_dir()


def code_root() -> Path:
    """Where the package's code lives: the repository root when it runs from its source tree
    (a clone, an editable install), else the installed package folder (``.../effectstudy``).

    >>> (code_root() / "effectstudy").is_dir() or code_root().name == "effectstudy"
    True
    """
    return _SOURCE_ROOT if _in_source_tree() else Path(__file__).resolve().parents[1]


def shipped_folder(name: str) -> Path:
    """The folder of the shipped files ``name`` (a key of :data:`SHIPPED`).

    Raises
    ------
    ArgumentError
        For an unknown ``name``.
    FolderError
        When neither the installed copy nor the source tree's folder exists (a broken
        installation).
    """
    if name not in SHIPPED:
        raise ArgumentError("name", name, f"one of {sorted(SHIPPED)}")
    installed = INSTALLED_DIR / SHIPPED[name]
    if installed.is_dir():
        return installed
    source = _SOURCE_ROOT / SHIPPED[name]
    if source.is_dir() and _in_source_tree():
        return source
    raise FolderError(
        f"the shipped folder {name!r} is missing: neither {str(installed)!r} (installed package) "
        f"nor {str(source)!r} (source tree) exists; reinstall effectstudy"
    )
