"""Sphinx configuration of the effectstudy documentation (built by ``make docs``).

The build is offline: no intersphinx, no CDN.  Formulas are turned into MathML at build time
(``_ext/mathml.py``), which browsers render natively, so the site needs no network.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import effectstudy  # noqa: E402

project = "effectstudy"
author = "effectstudy developers"
copyright = "effectstudy developers"  # noqa: A001
version = release = effectstudy.__version__
language = "en"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "mathml",
    "params_reference",
]

exclude_patterns = ["_build", "README.md"]
templates_path = ["_templates"]

# autodoc / autosummary: the API pages are generated at build time from the docstrings.
autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"  # the signatures show them; numpydoc's Parameters sections describe them

# numpydoc: the scientific-Python docstring standard (pandas, scipy).
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

html_theme = "furo"
html_title = f"effectstudy {release}"
html_static_path = ["_static"]
html_css_files = ["effectstudy.css"]
html_copy_source = False
html_show_sourcelink = False
html_math_renderer = "mathml"  # docs/_ext/mathml.py: LaTeX -> MathML at build time, no MathJax


def _result_signature(app, what, name, obj, options, signature, return_annotation):
    """Result classes are made by their verb, never by the reader: no dataclass signature."""
    from effectstudy.core.results import Result

    if what == "class" and isinstance(obj, type) and issubclass(obj, Result):
        return "", None
    return None


def setup(app):
    """Hide the constructor signature of result classes."""
    app.connect("autodoc-process-signature", _result_signature)
