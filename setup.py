"""Packages of the wheel: the code, plus the shipped files as data-only packages.

The report notebooks, params files and example data stay at the top of the repository
(``notebooks/``, ``params/``, ``data/example/``); ``package_dir`` maps them onto
``effectstudy._shipped.notebooks``, ``.params`` and ``.data.example`` (the repository's layout,
so the shipped params' relative paths hold) without a second copy in git.
The mapping is read from ``effectstudy/core/shipped.py`` (the module that finds them again).
Which of their files are shipped is said once, in ``MANIFEST.in`` (setuptools' default
``include_package_data`` puts a package's files of the sdist into the wheel).
Everything else is configured in ``pyproject.toml``.
"""

import ast
from pathlib import Path

from setuptools import find_namespace_packages, setup

HERE = Path(__file__).resolve().parent


def _shipped() -> dict[str, str]:
    """``SHIPPED`` of ``effectstudy/core/shipped.py``, read without importing the package."""
    tree = ast.parse((HERE / "effectstudy" / "core" / "shipped.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "SHIPPED":
            return ast.literal_eval(node.value)
    raise RuntimeError("effectstudy/core/shipped.py defines no SHIPPED")


SHIPPED = _shipped()


def _package(folder: str) -> str:
    """The data-only package of a shipped folder: data/example -> effectstudy._shipped.data.example."""
    return "effectstudy._shipped." + folder.replace("/", ".")


setup(
    # namespace packages too: effectstudy/templates/report/ holds the report template (no __init__.py)
    packages=find_namespace_packages(include=["effectstudy", "effectstudy.*"], exclude=["*.__pycache__"])
    + [_package(folder) for folder in SHIPPED.values()],
    package_dir={_package(folder): folder for folder in SHIPPED.values()},
)
