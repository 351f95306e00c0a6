"""Check that the built site needs no network: ``python docs/check_offline.py [docs/_build/html]``.

Every resource a page loads (scripts, style sheets, images, fonts in CSS, frames) must be a
file of the site; links (``<a href>``) may point anywhere.  Formulas must be MathML (no MathJax,
no LaTeX left as text).  Prints the number of pages and formulas; exits 1 naming each problem.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

LOADING = {"script": "src", "img": "src", "iframe": "src", "source": "src", "audio": "src",
           "video": "src", "embed": "src", "object": "data", "link": "href"}
REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*['\"]?((?:[a-z]+:)?//[^)'\"]+)", re.IGNORECASE)


class Page(HTMLParser):
    """Collects the remote resources of one page and counts its ``<math>`` elements."""

    def __init__(self) -> None:
        super().__init__()
        self.remote: list[str] = []
        self.formulas = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note a remote resource or a formula."""
        values = dict(attrs)
        if tag == "math":
            self.formulas += 1
        attr = LOADING.get(tag)
        if attr and REMOTE.match(values.get(attr) or ""):
            self.remote.append(f"<{tag} {attr}={values[attr]}>")


def check(site: Path) -> tuple[int, int, list[str]]:
    """(pages, formulas, problems) of the built site in ``site``."""
    problems = []
    pages = formulas = 0
    for path in sorted(site.rglob("*.html")):
        page = Page()
        text = path.read_text(encoding="utf-8")
        page.feed(text)
        pages += 1
        formulas += page.formulas
        problems += [f"{path.relative_to(site)}: loads {r}" for r in page.remote]
        if re.search(r"mathjax|katex", text, re.IGNORECASE):
            problems.append(f"{path.relative_to(site)}: mentions MathJax/KaTeX")
        if re.search(r"\\\(|\\\[|\$\$", re.sub(r"<(pre|code|math)\b.*?</\1>", "", text, flags=re.S)):
            problems.append(f"{path.relative_to(site)}: LaTeX delimiters outside MathML")
    for css in sorted(site.rglob("*.css")):
        problems += [f"{css.relative_to(site)}: loads {u}" for u in CSS_URL.findall(css.read_text(encoding="utf-8"))]
    return pages, formulas, problems


def main(argv: list[str]) -> int:
    """Check the site and print the verdict."""
    site = Path(argv[0] if argv else Path(__file__).parent / "_build" / "html")
    pages, formulas, problems = check(site)
    for p in problems:
        print(p, file=sys.stderr)
    if problems or not pages:
        print(f"offline check failed: {len(problems)} problem(s) in {pages} pages", file=sys.stderr)
        return 1
    print(f"offline check: {pages} pages, {formulas} formulas as MathML, nothing loaded from the network")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
