"""Render math as MathML at build time: the built site needs no MathJax, no CDN, no network.

Chromium (109 and later), Firefox and Safari render MathML Core natively.  The LaTeX of
``:math:`` roles and ``.. math::`` directives is converted with ``latex2mathml``; a formula it
cannot convert is a build warning (an error under ``-W``), never silently raw LaTeX.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)


def to_mathml(latex: str, *, display: bool, node: nodes.Node) -> str:
    """MathML of one formula; multi-line formulas (``&``, ``\\\\``) become an ``aligned`` block.

    Parameters
    ----------
    latex : str
        The formula as written in the docstring or page.
    display : bool
        ``True`` for a block formula, ``False`` inline.
    node : docutils.nodes.Node
        The math node, for the location of a warning.

    Returns
    -------
    str
        A ``<math>`` element.
    """
    tex = latex.strip()
    if display and ("&" in tex or "\\\\" in tex) and "\\begin{" not in tex.split("\n", 1)[0]:
        tex = "\\begin{aligned}" + tex + "\\end{aligned}"
    try:
        out = convert(tex, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises plain exceptions of several kinds
        logger.warning("cannot convert formula to MathML (%s): %s", exc, latex, location=node)
        return f"<code>{latex}</code>"
    if "<merror" in out:
        logger.warning("formula converted with an error: %s", latex, location=node)
    return out


def visit_inline(self: Any, node: nodes.math) -> None:
    """HTML writer: an inline formula."""
    self.body.append(to_mathml(node.astext(), display=False, node=node))
    raise nodes.SkipNode


def visit_block(self: Any, node: nodes.math_block) -> None:
    """HTML writer: a block formula; blank lines separate formulas, as in Sphinx."""
    if node.get("label"):
        self.body.append(f'<span class="eqno">({node["number"]})</span>')
    self.body.append('<div class="math notranslate">')
    for part in re.split(r"\n\s*\n", node.astext()):
        if part.strip():
            self.body.append(to_mathml(part, display=True, node=node))
    self.body.append("</div>")
    raise nodes.SkipNode


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the ``mathml`` renderer (``conf.py`` selects it: ``html_math_renderer``)."""
    app.add_html_math_renderer("mathml", (visit_inline, None), (visit_block, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
