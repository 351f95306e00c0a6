"""Run a report notebook: papermill, then HTML without code, optionally a PDF via Chromium.

:func:`run_notebook` is what ``effectstudy run NOTEBOOK -f PARAMS.yaml`` calls:

1. checks the params file first (:func:`effectstudy.reports.preflight.preflight`): its keys, the
   notebook's report, the instrument, and the columns it names in the data; a mistake stops the
   run before a kernel starts or a folder is made;
2. creates the output folder (default ``reports/<notebook stem>/<params stem>/`` in the
   project folder, see :func:`effectstudy.reports.output.default_output_dir`);
3. runs the notebook with papermill on the ``effectstudy`` kernel, in the notebook's own
   folder, injecting ``params_file`` and ``output_dir`` (absolute) and ``overrides``;
4. turns a failed cell into a :class:`ReportError` naming the notebook, the section heading
   above the cell, the cell, the exception and where the partial notebook was written;
5. exports HTML with no code cells, no prompts and no parameters, with the package template
   ``report`` (no ``<script>``, nothing loaded from the internet; checked after export);
6. optionally prints the HTML to an A4 PDF with a locally installed Chromium;
7. writes ``SHA256SUMS`` (checksums of every file of the run).

A **public** report (``report:`` in :data:`effectstudy.reports.output.PUBLIC_REPORTS`, the
yearly summary) keeps its folder to what is published (HTML, PDF, tables, results.json,
figures, provenance.json, SHA256SUMS); the executed notebook goes to the internal folder
(:func:`effectstudy.reports.output.internal_dir`, ``reports/internal/<report>/<run>/``),
which has its own ``SHA256SUMS``.

Files an earlier run left in the same folder (results.json, tables, figures, HTML, PDF ...)
are deleted first, so a run that fails leaves no stale results that look current.  A PDF an
earlier run made is replaced even without ``pdf=True`` when Chromium is installed (else it is
removed), and :attr:`RunResult.notes` says which.

The notebook itself writes ``results.json``, ``provenance.json``, ``tables/`` and
``figures/`` through :class:`effectstudy.ReportOutput`; plain ``papermill`` on the same
notebook and params file gives the same files (and no HTML).

>>> find_chromium() is None or find_chromium().is_file()
True
"""

from __future__ import annotations

import datetime as _dt
import html as _html
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from effectstudy import __version__
from effectstudy.core.errors import EffectstudyError
from effectstudy.core.files import display_path, sha256_file
from effectstudy.core.labels import label, register
from effectstudy.core.params import parse_yaml
from effectstudy.reports.output import (
    INTERNAL_README,
    PROVENANCE_FILE,
    RESULTS_FILE,
    TABLES_FILE,
    default_output_dir,
    internal_dir,
    is_public_report,
    write_file,
)
from effectstudy.reports.preflight import preflight

__all__ = [
    "ReportError",
    "RunResult",
    "run_notebook",
    "export_html",
    "html_to_pdf",
    "find_chromium",
    "check_offline",
    "TEMPLATE_DIR",
    "CHROMIUM_FLAGS",
    "LANG_TAGS",
    "keep_language",
]

#: cell tag -> report language: a cell tagged ``lang-nl`` is shown only in a Dutch report, one
#: tagged ``lang-en`` only in an English one; untagged cells are shown in both
LANG_TAGS = {"lang-nl": "nl", "lang-en": "en"}

# the words the report template and the table of contents add to every report
register({
    "report_contents": {"nl": "Inhoud", "en": "Contents"},
    "report_page": {"nl": "pagina", "en": "page"},
    "report_page_of": {"nl": "van", "en": "of"},
    "report_run_of": {"nl": "run van", "en": "run of"},
})

#: folder holding the nbconvert templates (``report``)
TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates"

#: flags for headless printing: no sandbox (containers), no GPU, no background traffic
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)

_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>|<script\b[^>]*/>", re.IGNORECASE | re.DOTALL)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
#: a heading of a Markdown cell in the exported HTML (nbconvert gives those, and only those, an id)
_HTML_HEADING = re.compile(r'<h([23])\s+id="([^"]+)"[^>]*>(.*?)</h\1\s*>', re.IGNORECASE | re.DOTALL)
_STYLE = re.compile(r"(<style\b[^>]*>)(.*?)(</style\s*>)", re.IGNORECASE | re.DOTALL)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
#: references that make a browser fetch something: src/srcset/poster/data attributes,
#: <link href>, CSS url() and @import, <meta http-equiv=refresh>, <iframe>/<object>/<embed>
_EXTERNAL = re.compile(
    r"""(?:\b(?:src|srcset|poster|data|action|formaction|background)\s*=\s*["']?\s*(?:https?:)?//)"""
    r"""|(?:<link\b[^>]*\bhref\s*=\s*["']?\s*(?:https?:)?//)"""
    r"""|(?:url\(\s*["']?\s*(?:https?:)?//)"""
    r"""|(?:@import\b)"""
    r"""|(?:<meta\b[^>]*http-equiv\s*=\s*["']?refresh)"""
    r"""|(?:<(?:iframe|object|embed|base)\b)""",
    re.IGNORECASE,
)


class ReportError(EffectstudyError, RuntimeError):
    """A report notebook could not be run or exported.

    For a failed cell the message names the notebook, the nearest Markdown heading above the
    cell, the cell number, the exception and the partial notebook; the parts are also
    attributes (``heading``, ``cell``, ``ename``, ``evalue``, ``partial_notebook``).
    """

    def __init__(self, message: str, **info: Any) -> None:
        super().__init__(message)
        self.notebook = info.get("notebook")
        self.heading = info.get("heading")
        self.cell = info.get("cell")
        self.ename = info.get("ename")
        self.evalue = info.get("evalue")
        self.partial_notebook = info.get("partial_notebook")


@dataclass(frozen=True)
class RunResult:
    """The files of one run, timings in seconds, and ``notes`` for the reader (e.g. that a PDF
    an earlier run left was replaced).  ``pdf`` is ``None`` unless a PDF was made: asked
    for with ``pdf=True``, or replacing an earlier run's PDF (see :func:`run_notebook`)."""

    output_dir: Path
    notebook: Path
    html: Path
    results_json: Path
    provenance_json: Path | None = None
    pdf: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def paths(self) -> list[Path]:
        """The report files, HTML first."""
        out = [self.html]
        if self.pdf is not None:
            out.append(self.pdf)
        out += [self.notebook, self.results_json]
        if self.provenance_json is not None:
            out.append(self.provenance_json)
        return out


# ----------------------------------------------------------------------------------- helpers
def keep_language(cells: list[Any], lang: str) -> list[Any]:
    """The cells a report in ``lang`` shows: untagged ones and those tagged ``lang-<lang>``.

    A bilingual notebook has each Markdown cell twice, tagged ``lang-nl`` and ``lang-en``
    (:data:`LANG_TAGS`); a cell with neither tag is language-neutral and always kept.

    >>> cells = [{"metadata": {"tags": ["lang-nl"]}}, {"metadata": {"tags": ["lang-en"]}}, {"metadata": {}}]
    >>> [cells.index(c) for c in keep_language(cells, "en")]
    [1, 2]
    """
    kept = []
    for cell in cells:
        langs = {LANG_TAGS[t] for t in _tags(cell) if t in LANG_TAGS}
        if not langs or lang in langs:
            kept.append(cell)
    return kept


def _first_heading(cells: list[Any]) -> str | None:
    for cell in cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                m = _HEADING.match(line)
                if m and m.group(1):
                    return m.group(1)
    return None


def _heading_before(cells: list[Any], index: int, lang: str | None = None) -> str | None:
    """The last Markdown heading above cell ``index`` (of the cells in ``lang`` when given)."""
    above = cells[:index] if lang is None else keep_language(cells[:index], lang)
    for cell in reversed(above):
        if cell.cell_type != "markdown":
            continue
        heads = [m.group(1) for line in cell.source.splitlines()
                 if (m := re.match(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)) and m.group(1)]
        if heads:
            return heads[-1]
    return None


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _failure(nb_path: Path, out_nb: Path, exc: BaseException, lang: str | None = None) -> ReportError:
    """A readable :class:`ReportError` for a failed run, from the partial notebook (the section
    heading in the run's language ``lang``)."""
    import nbformat

    ename = getattr(exc, "ename", None) or type(exc).__name__
    evalue = getattr(exc, "evalue", None)
    if evalue is None:
        evalue = str(exc)
    evalue = _ANSI.sub("", str(evalue)).strip()
    if ename == "CellTimeoutError":
        evalue = evalue.split("\n", 1)[0] + " (allow more time per cell with --timeout / timeout=)"
    elif ename == "DeadKernelError":
        evalue = evalue.split("\n", 1)[0] + " (the kernel stopped: out of memory?)"
    heading = cell_no = exec_count = None
    try:
        nb = nbformat.read(out_nb, as_version=4)
    except Exception:  # noqa: BLE001 - no partial notebook: report what we have
        nb = None
    if nb is not None:
        cells = nb.cells
        failed = None
        for i, cell in enumerate(cells):
            status = cell.get("metadata", {}).get("papermill", {}).get("status")
            if status in ("failed", "running"):
                failed = i
                break
        if failed is None and not hasattr(exc, "cell_index"):
            # a timeout or a dead kernel: papermill marks every cell completed afterwards,
            # but only the cells that were started have a start time
            started = [i for i, c in enumerate(cells) if c.cell_type == "code"
                       and c.get("metadata", {}).get("papermill", {}).get("start_time")]
            failed = started[-1] if started else None
        if failed is None and getattr(exc, "cell_index", None) is not None:
            # papermill's index counts the cells before it added the error banner at the top
            banner = any("papermill-error-cell-tag" in _tags(c) for c in cells[:1])
            idx = exc.cell_index + (1 if banner else 0)
            failed = idx if idx < len(cells) else None
        if failed is not None:
            heading = _heading_before(cells, failed, lang)
            skip = ("papermill-error-cell-tag", "injected-parameters")
            cell_no = 1 + sum(1 for c in cells[:failed] if not any(t in _tags(c) for t in skip))
            exec_count = cells[failed].get("execution_count")
    where = f'in section "{heading}"' if heading else "before the first heading"
    cell = f"cell {cell_no}" if cell_no else "a cell"
    if exec_count:
        cell += f", In [{exec_count}]"
    partial = f"The partial notebook (with the full traceback) is {display_path(out_nb)}." if out_nb.is_file() else ""
    message = f"notebook {nb_path.name} failed {where} ({cell}): {ename}: {evalue}"
    if partial:
        message += f"\n{partial}"
    return ReportError(message, notebook=nb_path, heading=heading, cell=cell_no, ename=ename,
                       evalue=evalue, partial_notebook=out_nb if out_nb.is_file() else None)


def check_offline(html: str, source: str = "the report") -> None:
    """Raise :class:`ReportError` if ``html`` would make a browser load anything.

    Links for the reader (``<a href="https://...">``) are allowed; scripts, external images,
    style sheets, CSS ``url()``/``@import`` of remote files, frames and refreshes are not.

    >>> check_offline('<p><a href="https://example.org">source</a></p><img src="data:image/png;base64,AA">')
    >>> check_offline('<img src="https://example.org/x.png">')
    Traceback (most recent call last):
    ...
    effectstudy.reports.runner.ReportError: the report would load something from the internet: 'src="https://'...
    """
    if re.search(r"<script\b", html, re.IGNORECASE):
        raise ReportError(f"{source} contains a <script> element; a public report must not run scripts")
    m = _EXTERNAL.search(html)
    if m:
        raise ReportError(
            f"{source} would load something from the internet: {m.group(0)!r}... "
            "(a public report must be self-contained; embed the file instead)"
        )


def _clean_html(html: str) -> str:
    """Remove every script and CSS comments (links in comments are noise in a public file)."""
    html = _SCRIPT.sub("", html)
    return _STYLE.sub(lambda m: m.group(1) + _CSS_COMMENT.sub("", m.group(2)) + m.group(3), html)


def _css_string(text: str) -> str:
    r"""``text`` as a CSS string, safe inside a ``<style>`` element (only letters, digits and a
    few harmless signs stay as they are; everything else becomes a six-digit CSS escape).

    >>> print(_css_string('Rapport "2025" </style>'))
    "Rapport \0000222025\000022 \00003c/style\00003e"
    """
    safe = " .,:;-_()'/·"
    return '"' + "".join(ch if ch.isalnum() or ch in safe else f"\\{ord(ch):06x}" for ch in text) + '"'


def _print_css(title: str | None, run_date: str | None, lang: str) -> dict[str, str]:
    """The ``content`` of the PDF's page margin boxes: title, run date and "page 3 of 12".

    >>> _print_css("Effectstudie", "2026-01-31 12:00:00 UTC", "nl")["bottom_right"]
    '"pagina " counter(page) " van " counter(pages)'
    """
    date = str(run_date or "")[:10]
    return {
        "top_left": _css_string(title or ""),
        "top_right": _css_string(f"{label('report_run_of', lang)} {date}" if date else ""),
        "bottom_right": f"{_css_string(label('report_page', lang) + ' ')} counter(page) "
                        f"{_css_string(' ' + label('report_page_of', lang) + ' ')} counter(pages)",
    }


def _insert_toc(body: str, lang: str) -> str:
    """Insert a table of contents (the h2 and h3 headings of the Markdown cells, as links) after
    the page's first ``</h1>``; unchanged with fewer than two such headings or without an h1."""
    heads = [(int(m.group(1)), m.group(2), re.sub(r"<[^>]+>", "", m.group(3)).replace("¶", "").strip())
             for m in _HTML_HEADING.finditer(body)]
    heads = [h for h in heads if h[2]]
    end = body.find("</h1>")
    if len(heads) < 2 or end < 0:
        return body
    title = _html.escape(label("report_contents", lang))
    # the title is no heading: the PDF's bookmarks (made from the headings) would list it
    parts = [f'<nav class="es-toc" aria-label="{title}"><p class="es-toc-title"><strong>{title}</strong></p><ol>']
    open_sub = False
    for level, ident, text in heads:
        item = f'<li><a href="#{ident}">{text}</a>'
        if level == 3 and not open_sub and len(parts) > 1:
            parts.append("<ol>" + item)
            open_sub = True
        elif level == 3:
            parts.append("</li>" + item)
        else:
            parts.append(("</li></ol></li>" if open_sub else ("</li>" if len(parts) > 1 else "")) + item)
            open_sub = False
    parts.append("</li></ol></li></ol></nav>" if open_sub else "</li></ol></nav>")
    end += len("</h1>")
    return body[:end] + "".join(parts) + body[end:]


# ----------------------------------------------------------------------------------- HTML
def export_html(notebook: str | Path, html_path: str | Path | None = None, *, lang: str | None = None) -> Path:
    """Export an executed notebook to a self-contained HTML report without code.

    No input cells, no prompts; the cells tagged ``parameters``, ``injected-parameters`` or
    ``remove-cell`` are dropped with their outputs, ``remove-input``/``remove-output`` tags are
    honoured, and stderr streams (warnings with file paths) are left out.  The template
    ``report`` (in ``effectstudy/templates``) has no scripts; anything left is removed and
    the result is checked with :func:`check_offline`.

    Parameters
    ----------
    notebook : str or Path
        The executed notebook.
    html_path : str or Path, optional
        Where to write; default the notebook's path with ``.html``.
    lang : str, optional
        The report's language: the ``lang`` attribute of the page, the cells kept (cells
        tagged ``lang-nl``/``lang-en`` for the other language are dropped, see
        :func:`keep_language`) and the words of the table of contents and the PDF margins;
        default the notebook's ``metadata.effectstudy.lang`` or ``"nl"``.

    The page's ``<title>`` is the first Markdown heading of the kept cells (else the
    notebook's ``metadata.title``); a table of contents (the h2/h3 headings of the kept
    Markdown cells, as links) follows the first heading; the print CSS puts the title and the
    run date at the top of every PDF page and "page 3 of 12" at the bottom.
    """
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

    class _DropStderr(Preprocessor):
        def preprocess_cell(self, cell, resources, index):  # noqa: ANN001, ANN201
            if cell.cell_type == "code":
                cell.outputs = [o for o in cell.get("outputs", [])
                                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
            return cell, resources

    notebook = Path(notebook)
    html_path = Path(html_path) if html_path is not None else notebook.with_suffix(".html")
    nb = nbformat.read(notebook, as_version=4)
    meta = dict(nb.metadata.get("effectstudy", {}))
    lang = lang or meta.get("lang") or "nl"
    nb.cells = keep_language(nb.cells, lang)
    title = _first_heading(nb.cells) or nb.metadata.get("title")
    if title:
        nb.metadata["title"] = title
    run_date = meta.get("run_date") or nb.metadata.get("papermill", {}).get("end_time")
    nb.metadata["effectstudy"] = {**meta, "lang": lang, "print": _print_css(title, run_date, lang)}
    tags = TagRemovePreprocessor(
        remove_cell_tags={"parameters", "injected-parameters", "remove-cell", "papermill-error-cell-tag"},
        remove_input_tags={"remove-input"},
        remove_all_outputs_tags={"remove-output"},
        enabled=True,
    )
    exporter = HTMLExporter(
        template_name="report",
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.language_code = lang
    exporter.register_preprocessor(tags, enabled=True)
    exporter.register_preprocessor(_DropStderr(), enabled=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": notebook.stem}})
    body = _insert_toc(_clean_html(body), lang)
    check_offline(body, source=f"HTML of {notebook.name}")
    write_file(html_path, body.encode("utf-8"))
    return html_path


# ----------------------------------------------------------------------------------- PDF
def find_chromium() -> Path | None:
    """A locally installed Chromium or Chrome (``chromium``, ``chromium-browser``,
    ``google-chrome`` on PATH, or ``/usr/bin/chromium``), else ``None``."""
    env = os.environ.get("EFFECTSTUDY_CHROMIUM")
    if env and Path(env).is_file():
        return Path(env)
    for name in _CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    for p in (Path("/usr/bin/chromium"), Path("/usr/bin/chromium-browser")):
        if p.is_file():
            return p
    return None


def _no_chromium() -> ReportError:
    return ReportError(
        "a PDF needs a locally installed Chromium (looked for "
        f"{', '.join(_CHROMIUM_NAMES)} on PATH and /usr/bin/chromium); install it "
        "(Debian/Ubuntu: apt-get install chromium) or leave out --pdf; the HTML report "
        "can also be printed to PDF from any browser"
    )


def html_to_pdf(html_path: str | Path, pdf_path: str | Path | None = None, *, timeout: float = 120) -> Path:
    """Print an HTML report to PDF with headless Chromium (A4 from the template's ``@page``,
    with its running header and page numbers; bookmarks from the headings).

    Raises
    ------
    ReportError
        No Chromium is installed, or printing failed (with Chromium's last output lines).
    """
    html_path = Path(html_path).resolve()
    pdf_path = Path(pdf_path) if pdf_path is not None else html_path.with_suffix(".pdf")
    browser = find_chromium()
    if browser is None:
        raise _no_chromium()
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_pdf = pdf_path.with_name(f".{pdf_path.name}.tmp")
    with tempfile.TemporaryDirectory(prefix="effectstudy-chromium-") as profile:
        # no header and footer of Chromium's own (the template's @page margin boxes have the
        # title, run date and page numbers); bookmarks from the headings
        cmd = [str(browser), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
               "--generate-pdf-document-outline", f"--print-to-pdf={tmp_pdf}", html_path.as_uri()]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            tmp_pdf.unlink(missing_ok=True)
            raise ReportError(f"Chromium did not finish printing {html_path.name} within {timeout:g} s") from None
    if res.returncode != 0 or not tmp_pdf.is_file() or tmp_pdf.stat().st_size == 0:
        tmp_pdf.unlink(missing_ok=True)
        tail = "\n".join((res.stderr or "").strip().splitlines()[-5:])
        raise ReportError(f"Chromium could not print {html_path.name} to PDF (exit code {res.returncode}):\n{tail}")
    os.chmod(tmp_pdf, 0o644)
    os.replace(tmp_pdf, pdf_path)
    return pdf_path


# ----------------------------------------------------------------------------------- run
def _write_checksums(folder: Path) -> Path:
    lines = []
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name != "SHA256SUMS" and not p.name.startswith("."):
            digest = sha256_file(p)
            lines.append(f"{digest}  {p.relative_to(folder).as_posix()}\n")
    path = folder / "SHA256SUMS"
    write_file(path, "".join(lines).encode("utf-8"))
    return path


def _remove_previous_outputs(folder: Path, stem: str, internal: Path | None = None) -> None:
    """Delete the files an earlier run into ``folder`` made, so none of them looks current.

    Only the run's own files: results.json, provenance.json, tables.xlsx, SHA256SUMS, the
    notebook's HTML and PDF, ``tables/*.csv`` and ``figures/*.png``; for a public run also
    an executed notebook left in the public folder by an earlier layout, and the internal
    folder's results.json, README.txt, notebook, SHA256SUMS and ``tables/*.csv``.
    """
    names = [RESULTS_FILE, PROVENANCE_FILE, TABLES_FILE, "SHA256SUMS", f"{stem}.html", f"{stem}.pdf"]
    if internal is not None:
        names.append(f"{stem}.ipynb")
    for name in names:
        (folder / name).unlink(missing_ok=True)
    for sub, pattern in (("tables", "*.csv"), ("figures", "*.png")):
        for p in (folder / sub).glob(pattern):
            p.unlink()
    if internal is not None:
        for name in (RESULTS_FILE, INTERNAL_README, f"{stem}.ipynb", "SHA256SUMS"):
            (internal / name).unlink(missing_ok=True)
        for p in (internal / "tables").glob("*.csv"):
            p.unlink()


def _provisional_keys(prov_file: Path, lang: str = "nl") -> list[str]:
    """The provisional instrument keys recorded in provenance.json, by their names in ``lang``
    (for the page banner; an instrument the registry does not know keeps its id)."""
    import json

    from effectstudy import instruments

    try:
        prov = json.loads(prov_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [instruments.display_name(str(i["id"]), lang) for i in prov.get("instruments") or []
            if isinstance(i, dict) and i.get("status") == "provisional"]


def _lang_of(params_file: Path, overrides: dict[str, Any]) -> str:
    if "language" in overrides:
        return str(overrides["language"])
    try:
        raw = parse_yaml(params_file.read_text(encoding="utf-8"), source=str(params_file))
    except (OSError, ValueError):
        return "nl"
    lang = raw.get("language") if isinstance(raw, dict) else None
    return lang if lang in ("nl", "en") else "nl"


#: seconds between two saves of the running notebook (papermill saves it at every cell's start
#: and end: about 115 writes of the whole notebook, 1.5-2.5 s of a demo report run)
SAVE_EVERY = 2.0

#: what a run without ``pdf=True`` says about a PDF an earlier run left in its folder
PDF_REPLACED = "PDF replaced (an earlier run made one; a PDF of that run would disagree with the new results)"
PDF_REMOVED = ("the PDF of an earlier run was removed (it would disagree with the new results) and no new "
               "one was made: no Chromium is installed; install it or print the HTML from a browser")
PDF_REMOVED_FAILED = "the PDF of an earlier run was removed and a new one could not be printed"

ENGINE = "effectstudy"


class _ThrottledSave:
    """``nb_man.save`` at most once every ``every`` seconds while the cells run."""

    def __init__(self, save: Any, every: float) -> None:
        self.save, self.every, self.last = save, every, float("-inf")

    def __call__(self, **kwargs: Any) -> None:
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self.save(**kwargs)


def _register_engine() -> str:
    """Papermill's nbclient engine with the running notebook saved every :data:`SAVE_EVERY`
    seconds instead of twice per cell.  The saves during the run are what a killed run leaves
    behind; papermill saves once more when the run ends, failed or not (its ``finally``), so
    the partial notebook that :func:`_failure` reads is always complete."""
    from papermill.engines import NBClientEngine, papermill_engines

    class ThrottledEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kwargs: Any) -> Any:
            save = nb_man.save
            nb_man.save = _ThrottledSave(save, SAVE_EVERY)
            try:
                return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
            finally:
                nb_man.save = save  # the final save (notebook_complete) is never skipped

    papermill_engines.register(ENGINE, ThrottledEngine)
    return ENGINE


def run_notebook(
    notebook: str | Path,
    params_file: str | Path,
    *,
    overrides: dict[str, Any] | None = None,
    output_dir: str | Path | None = None,
    pdf: bool = False,
    progress: bool = True,
    timeout: float = 600,
    kernel: str = "effectstudy",
    log_output: bool = False,
    start_timeout: float = 60,
    check: bool = True,
) -> RunResult:
    """Run a report notebook on a params file and export it (see the module docstring).

    Parameters
    ----------
    notebook : str or Path
        The report notebook (with a cell tagged ``parameters`` holding ``params_file``,
        ``output_dir`` and ``overrides``).
    params_file : str or Path
        The run's params YAML; its file stem names the run folder.
    overrides : dict, optional
        Dotted params keys -> values, passed to the notebook as ``overrides``.
    output_dir : str or Path, optional
        Default ``reports/<notebook stem>/<params stem>/`` in the project folder.
    pdf : bool
        Also print the HTML to PDF with a local Chromium.  Without it, a PDF that an earlier
        run left in the folder is not left behind stale (it would disagree with the new
        results): it is replaced by a new one when Chromium is installed, else removed; either
        way ``RunResult.notes`` says so.
    progress : bool
        Show papermill's progress bar while cells run.
    timeout : float
        Seconds a single cell may take.
    kernel : str
        The Jupyter kernel (``effectstudy install-kernel`` installs ``effectstudy``).
    log_output : bool
        Stream cell output to the log (useful in CI).
    start_timeout : float
        Seconds to wait for the kernel to start.
    check : bool
        First check the params against the notebook's report, the instrument and the data
        (:func:`effectstudy.reports.preflight.preflight`; the data are read once more for it).

    Returns
    -------
    RunResult
        Paths of the executed notebook, HTML, optional PDF, results.json, provenance.json.

    Raises
    ------
    ParamsError
        The params file is invalid, is for another report than the notebook makes, or names a
        scale, group or covariate the instrument or the data do not have (before any kernel starts).
    ReportError
        A cell failed (naming the notebook, section heading, cell, exception and partial
        notebook), the kernel is not installed, the notebook did not write results.json, or
        the HTML would load something from the internet.
    """
    import nbformat
    import papermill as pm

    nb_path = Path(notebook).resolve()
    params_path = Path(params_file).resolve()
    if not nb_path.is_file():
        raise ReportError(f"notebook {str(notebook)!r} does not exist")
    if nb_path.suffix != ".ipynb":
        raise ReportError(f"notebook {str(notebook)!r}: expected a .ipynb file")
    if not params_path.is_file():
        raise ReportError(f"params file {str(params_file)!r} does not exist")
    if pdf and find_chromium() is None:
        raise _no_chromium()  # before the run, not after it
    overrides = dict(overrides or {})
    if check:  # a student's mistake is named in the params file's terms before a kernel starts
        preflight(params_file, notebook=notebook, overrides=overrides).raise_for_problems()
    out_dir = Path(output_dir).resolve() if output_dir else default_output_dir(params_path, nb_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    # a public report's folder holds only what is published: the executed notebook (every
    # cell's output, the unrounded figures) goes to the internal folder beside it
    internal = internal_dir(out_dir) if is_public_report(params_path) else None
    if internal is not None:
        internal.mkdir(parents=True, exist_ok=True)
    out_nb = (internal or out_dir) / nb_path.name
    results_json = out_dir / RESULTS_FILE
    lang = _lang_of(params_path, overrides)
    notes: list[str] = []
    if not pdf and (out_dir / f"{nb_path.stem}.pdf").is_file():
        pdf = find_chromium() is not None
        notes.append(PDF_REPLACED if pdf else PDF_REMOVED)
    _remove_previous_outputs(out_dir, nb_path.stem, internal)
    started = time.perf_counter()
    t0 = _dt.datetime.now(_dt.UTC)
    try:
        pm.execute_notebook(
            str(nb_path),
            str(out_nb),
            parameters={"params_file": str(params_path), "output_dir": str(out_dir), "overrides": overrides},
            kernel_name=kernel,
            engine_name=_register_engine(),
            cwd=str(nb_path.parent),
            progress_bar=progress,
            log_output=log_output,
            execution_timeout=timeout,
            start_timeout=start_timeout,
            # the kernel's own log (ipykernel 7 warns about TCP transport on every start, and
            # logs the interrupt it gets at shutdown) is noise for a report run; cell errors
            # still arrive through papermill
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except pm.PapermillExecutionError as exc:
        raise _failure(nb_path, out_nb, exc, lang) from None
    except Exception as exc:
        from jupyter_client.kernelspec import NoSuchKernel

        if isinstance(exc, NoSuchKernel):
            raise ReportError(
                f"no Jupyter kernel named {kernel!r}; install it with `effectstudy install-kernel` "
                "(in the project's environment), or pass another kernel"
            ) from None
        if type(exc).__module__.startswith(("nbclient", "papermill", "jupyter_client")):
            raise _failure(nb_path, out_nb, exc, lang) from None
        raise
    seconds = {"execute": time.perf_counter() - started}

    nb = nbformat.read(out_nb, as_version=4)
    end = nb.metadata.get("papermill", {}).get("end_time") or t0.isoformat()
    run_date = str(end)[:19].replace("T", " ") + " UTC"
    nb.metadata["effectstudy"] = {**nb.metadata.get("effectstudy", {}), "version": __version__, "run_date": run_date, "lang": lang,
                                  "provisional_keys": _provisional_keys(out_dir / PROVENANCE_FILE, lang)}
    title = _first_heading(keep_language(nb.cells, lang))
    if title:
        nb.metadata["title"] = title
    write_file(out_nb, nbformat.writes(nb).encode("utf-8"))

    if not results_json.is_file():
        raise ReportError(
            f"notebook {nb_path.name} ran but wrote no {RESULTS_FILE} in {display_path(out_dir)}: "
            "it should end with out.save() on an es.ReportOutput(output_dir, ...) made from its "
            "output_dir parameter"
        )
    t = time.perf_counter()
    html = export_html(out_nb, out_dir / f"{nb_path.stem}.html", lang=lang)
    seconds["html"] = time.perf_counter() - t
    pdf_path = None
    if pdf:
        t = time.perf_counter()
        try:
            pdf_path = html_to_pdf(html, out_dir / f"{nb_path.stem}.pdf")
        except ReportError as exc:
            if PDF_REPLACED not in notes:
                raise
            notes[notes.index(PDF_REPLACED)] = f"{PDF_REMOVED_FAILED}: {exc}"
        seconds["pdf"] = time.perf_counter() - t
    _write_checksums(out_dir)
    if internal is not None:
        _write_checksums(internal)
    prov = out_dir / PROVENANCE_FILE
    return RunResult(
        output_dir=out_dir,
        notebook=out_nb,
        html=html,
        results_json=results_json,
        provenance_json=prov if prov.is_file() else None,
        pdf=pdf_path,
        seconds=seconds,
        notes=tuple(notes),
    )
