"""Every public name of ``effectstudy`` has a page (or an anchor) in the documentation site.

The docs sources are parsed, not built (building takes seconds and needs the ``docs`` extra):
``docs/api.rst`` lists every name of ``effectstudy.__all__`` in its ``autosummary`` blocks (or
declares it with ``.. py:data::``); a name listed without ``:toctree:`` gets no generated page
there, so it must be documented on a method page (``.. autofunction::`` in ``docs/methods/``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import effectstudy
from effectstudy.core.params import REPORT_MODELS

DOCS = Path(__file__).resolve().parents[2] / "docs"
DIRECTIVE = re.compile(r"^\.\. (?P<name>[\w:-]+)::\s*(?P<arg>.*)$")


def blocks(text: str) -> list[tuple[str, str, dict[str, str], list[str]]]:
    """(directive, argument, options, content lines) of every top-level directive in ``text``.

    >>> blocks(".. autosummary::\\n   :toctree: generated\\n\\n   score\\n   Study\\n\\nText\\n")
    [('autosummary', '', {'toctree': 'generated'}, ['score', 'Study'])]
    """
    out = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = DIRECTIVE.match(lines[i])
        i += 1
        if not m:
            continue
        options: dict[str, str] = {}
        content: list[str] = []
        while i < len(lines) and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
            line = lines[i].strip()
            i += 1
            opt = re.match(r"^:([\w-]+):\s*(.*)$", line)
            if opt and not content:
                options[opt.group(1)] = opt.group(2)
            elif line:
                content.append(line)
        out.append((m.group("name"), m.group("arg").strip(), options, content))
    return out


def public_name(entry: str) -> str | None:
    """The top-level name an autosummary entry documents, ``None`` for a deeper object.

    >>> public_name("~effectstudy.score"), public_name("Study"), public_name("core.results.Result")
    ('score', 'Study', None)
    """
    name = entry.lstrip("~").removeprefix("effectstudy.")
    return None if "." in name else name


def declared() -> tuple[dict[str, bool], list[str]]:
    """Names declared by ``docs/api.rst`` (-> whether a page is generated), and names listed twice."""
    names: dict[str, bool] = {}
    twice = []
    for directive, arg, options, content in blocks((DOCS / "api.rst").read_text(encoding="utf-8")):
        if directive == "autosummary":
            entries = [(public_name(e), "toctree" in options) for e in content]
        elif directive in ("py:data", "data", "py:function", "py:class", "py:module"):
            entries = [(public_name(arg.split("(")[0].strip()), True)]
        else:
            continue
        for name, page in entries:
            if name is None:
                continue
            if name in names:
                twice.append(name)
            names[name] = page
    return names, twice


def method_pages() -> set[str]:
    """Names documented with ``autofunction``/``autoclass`` on the method pages."""
    out = set()
    for page in sorted((DOCS / "methods").glob("*.rst")):
        for directive, arg, _, _ in blocks(page.read_text(encoding="utf-8")):
            if directive in ("autofunction", "autoclass"):
                name = public_name(arg)
                if name is not None:
                    out.add(name)
    return out


def test_every_public_name_has_a_page():
    names, twice = declared()
    public = set(effectstudy.__all__)
    missing = sorted(public - set(names))
    extra = sorted(set(names) - public)
    problems = [f"{what}: {names}" for what, names in [
        ("public names without an API page in docs/api.rst", missing),
        ("names in docs/api.rst that are not in effectstudy.__all__", extra),
        ("names listed twice in docs/api.rst", sorted(set(twice)))] if names]
    assert not problems, "; ".join(problems)


def test_names_without_generated_page_are_on_a_method_page():
    names, _ = declared()
    no_page = {name for name, page in names.items() if not page}
    missing = sorted(no_page - method_pages())
    assert not missing, ("listed in docs/api.rst without :toctree: but not documented on a method "
                         f"page (autofunction in docs/methods/*.rst): {missing}")


@pytest.mark.parametrize("report", [r for r in REPORT_MODELS if r != "validate"])  # validate: data only
def test_params_reference_covers_every_report_model(report):
    model = REPORT_MODELS[report].__name__
    pages = [arg for directive, arg, _, _ in blocks((DOCS / "params.rst").read_text(encoding="utf-8"))
             if directive == "params-reference"]
    assert any(arg.rsplit(".", 1)[-1] == model for arg in pages), \
        f"docs/params.rst has no params-reference of {model} (report: {report})"
