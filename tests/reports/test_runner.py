"""run_notebook and `effectstudy run`: papermill run, output layout, HTML without code or scripts,
readable errors, reruns with identical results.json, plain papermill on the same notebook."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pytest

import effectstudy as es
from effectstudy.cli import main
from effectstudy.cli.run import parse_value
from effectstudy.reports.runner import (
    ReportError,
    RunResult,
    check_offline,
    export_html,
    find_chromium,
    html_to_pdf,
)

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
REPORT = NB_DIR / "report_tiny.ipynb"
FAILING = NB_DIR / "failing.ipynb"
PARAMS = NB_DIR / "params" / "tiny.yaml"
REPO = Path(__file__).resolve().parents[2]

slow = pytest.mark.slow


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def run(notebook_run) -> RunResult:
    """The test report on its params, run once per session."""
    return notebook_run(REPORT, PARAMS)


@pytest.fixture(scope="module")
def html(run) -> str:
    return run.html.read_text(encoding="utf-8")


# ----------------------------------------------------------------------------------- end to end
@slow
def test_output_folder_layout(run):
    out = run.output_dir
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert names == [
        "SHA256SUMS",
        "figures/episodes_bar.png",
        "provenance.json",
        "report_tiny.html",
        "report_tiny.ipynb",
        "results.json",
        "tables.xlsx",
        "tables/episodes_per_type.csv",
    ]
    assert run.html == out / "report_tiny.html" and run.notebook == out / "report_tiny.ipynb"
    assert run.results_json == out / "results.json" and run.provenance_json == out / "provenance.json"
    assert run.pdf is None
    assert run.paths()[0] == run.html
    sums = dict(reversed(line.split("  ", 1)) for line in (out / "SHA256SUMS").read_text().splitlines())
    assert sums["results.json"] == _sha(run.results_json)
    assert set(run.seconds) == {"execute", "html"}


@slow
def test_results_json_matches_a_direct_computation(run):
    results = json.loads(run.results_json.read_text())
    episodes = pd.read_csv(NB_DIR / "data" / "episodes.csv", sep=";")
    per_type = episodes.groupby("care_type").size()
    assert results["n_episodes"] == len(episodes)
    assert results["mean_sessions"] == float(episodes["sessions"].mean())
    assert {r["care_type"]: r["n"] for r in results["episodes_per_type"]} == per_type.to_dict()
    assert results["episodes_bar"] == {"figure": "figures/episodes_bar.png"}
    assert results["conclusion"] == f"In deze testpraktijk zijn **{len(episodes)}** episodes."
    assert "provenance" not in results


@slow
def test_injected_parameters_are_absolute_and_in_the_notebook(run):
    import nbformat  # noqa: PLC0415 - its jsonschema import takes seconds; kept out of collection
    nb = nbformat.read(run.notebook, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert f'params_file = "{PARAMS}"' in injected[0].source
    assert f'output_dir = "{run.output_dir}"' in injected[0].source
    assert "overrides = {}" in injected[0].source
    assert nb.metadata["effectstudy"]["version"] == es.__version__
    assert nb.metadata["title"] == "Testrapport effectstudy"


@slow
def test_provenance_json(run):
    prov = json.loads(run.provenance_json.read_text())
    by_key = {i["key"]: i for i in prov["inputs"]}
    data = (NB_DIR / "data" / "episodes.csv").read_bytes()
    assert by_key["data.episodes"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert by_key["data.episodes"]["path"] == "tests/notebooks/data/episodes.csv"
    assert prov["params"]["sha256"] == _sha(PARAMS)
    assert prov["instruments"][0]["status"] == "provisional"


@slow
def test_html_has_no_code_no_prompts_no_parameters(html, run):
    for code in ("import effectstudy", "es.ReportOutput", "load_params", "out.show", "params_file", "overrides"):
        assert code not in html, code
    classes = re.findall(r'class="([^"]*)"', html)
    assert not [c for c in classes if re.search(r"jp-(InputPrompt|OutputPrompt|CodeMirrorEditor|Editor)\b", c)]
    code_cells = [c for c in classes if "jp-CodeCell" in c]
    assert code_cells and all("jp-mod-noInput" in c for c in code_cells)
    assert "In&nbsp;[" not in html and "Out[" not in html
    assert str(run.output_dir) not in html and str(PARAMS) not in html
    assert str(REPO) not in html and str(Path.home()) + "/" not in html  # no absolute paths


@slow
def test_html_has_no_scripts_and_loads_nothing(html):
    assert "<script" not in html.lower()
    check_offline(html)
    # the only internet addresses are links for the reader, as <a href>
    links = set(re.findall(r"https?://[^\s\"'<>)]+", html))
    assert links == {"https://example.org/effectstudy"}
    assert '<a href="https://example.org/effectstudy">' in html
    assert "/*" not in html  # CSS comments (with their links) are stripped


@slow
def test_html_contains_the_figure_as_base64_img(html, run):
    imgs = re.findall(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(imgs) == 1  # shown exactly once
    assert base64.b64decode(imgs[0]) == (run.output_dir / "figures" / "episodes_bar.png").read_bytes()


@slow
def test_html_title_layout_footer_and_provisional_warning(html):
    assert "<title>Testrapport effectstudy</title>" in html
    assert '<html lang="nl">' in html
    assert "max-width: 820px" in html and re.search(r"@page \{\s*size: A4", html)
    assert re.search(rf"Gemaakt met effectstudy {re.escape(es.__version__)}, run van \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC", html)
    assert "voorlopige sleutel: SCL-90, Nederlandse bewerking" in html and 'class="es-warning"' in html
    # and a banner at the top of the page
    banner = html.index('class="es-warning es-banner"')
    assert banner < html.index("<h1") and "voorlopige scoringssleutel (SCL-90, Nederlandse bewerking" in html
    assert "Aantal episodes per zorgtype" in html  # table caption


@slow
def test_rerun_gives_identical_results(run, tmp_path):
    again = es.run_notebook(REPORT, PARAMS, output_dir=tmp_path / "out", progress=False)
    for name in ("results.json", "tables.xlsx", "tables/episodes_per_type.csv", "figures/episodes_bar.png"):
        assert _sha(again.output_dir / name) == _sha(run.output_dir / name), name
    # the HTML differs only in the run date of the footer and the provenance block (run date;
    # git commit and state, which change when anyone commits in between)
    strip = re.compile(r"run van [^.]*UTC|<section class=\"es-provenance\">.*?</section>", re.DOTALL)
    assert strip.sub("", again.html.read_text()) == strip.sub("", run.html.read_text())


@slow
def test_plain_papermill_gives_the_same_results(run, tmp_path):
    import papermill as pm

    out = tmp_path / "pm"
    out.mkdir()
    # the notebook's own default params_file (relative to the notebook folder), output_dir given
    pm.execute_notebook(str(REPORT), str(out / "executed.ipynb"), parameters={"output_dir": str(out)},
                        kernel_name="effectstudy", cwd=str(NB_DIR), progress_bar=False)
    assert (out / "results.json").read_bytes() == run.results_json.read_bytes()
    assert (out / "tables.xlsx").read_bytes() == (run.output_dir / "tables.xlsx").read_bytes()
    # and our HTML export works on a notebook papermill made
    page = export_html(out / "executed.ipynb").read_text()
    assert "<title>Testrapport effectstudy</title>" in page and "<script" not in page


@slow
def test_cli_run_with_override(tmp_path, capsys):
    code = main(["run", str(REPORT), "-f", str(PARAMS), "-o", str(tmp_path / "cli"), "--no-progress",
                 "-p", "language", "en"])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("report (HTML)") and lines[0].endswith("report_tiny.html")
    assert any(line.startswith("results") and line.endswith("results.json") for line in lines)
    page = (tmp_path / "cli" / "report_tiny.html").read_text()
    assert '<html lang="en">' in page and "Made with effectstudy" in page
    assert "9.17" in page  # English decimal point: the override reached the notebook


@slow
def test_cli_bad_override_names_the_section_and_key(tmp_path, capsys):
    code = main(["run", str(REPORT), "-f", str(PARAMS), "-o", str(tmp_path / "bad"), "--no-progress",
                 "-p", "language", "de"])
    assert code == 2
    err = capsys.readouterr().err
    # checked before the notebook starts (effectstudy.reports.preflight): no kernel, no output folder
    assert f"{PARAMS}: language: 'de' is not one of: nl, en" in err
    assert not (tmp_path / "bad").exists()


# ----------------------------------------------------------------------------------- failures
@pytest.fixture(scope="module")
def failed_run(tmp_path_factory) -> tuple[Path, ReportError]:
    """The failing notebook run once into a folder that holds an earlier run's files: the
    output folder and the ReportError."""
    out = tmp_path_factory.mktemp("failed") / "fail"
    (out / "tables").mkdir(parents=True)
    for name in ("results.json", "provenance.json", "tables.xlsx", "failing.html", "tables/old.csv", "keep.txt"):
        (out / name).write_text("from an earlier run")
    with pytest.raises(ReportError) as info:
        es.run_notebook(FAILING, PARAMS, output_dir=out, progress=False)
    return out, info.value


@slow
def test_failed_cell_is_a_readable_report_error(failed_run):
    out, err = failed_run
    msg = str(err)
    assert msg.startswith('notebook failing.ipynb failed in section "Stap die faalt" (cell 7, In [')
    assert "ValueError: kolom 'sessions' ontbreekt in episodes.csv" in msg
    assert "The partial notebook (with the full traceback) is" in msg and "failing.ipynb" in msg.splitlines()[1]
    assert err.heading == "Stap die faalt" and err.cell == 7 and err.ename == "ValueError"
    assert err.partial_notebook == out / "failing.ipynb" and err.partial_notebook.is_file()
    assert "\x1b[" not in msg  # no terminal colour codes
    assert not (out / "failing.html").exists()
    assert isinstance(err, es.EffectstudyError)


@slow
def test_notebook_without_save_is_an_error(tmp_path):
    import nbformat  # noqa: PLC0415 - its jsonschema import takes seconds; kept out of collection
    nb = nbformat.read(REPORT, as_version=4)
    nb.cells = [c for c in nb.cells if "out.save()" not in c.source]
    path = tmp_path / "nosave.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(ReportError, match=r"nosave.ipynb ran but wrote no results.json.*out.save\(\)"):
        es.run_notebook(path, PARAMS, output_dir=tmp_path / "o", progress=False)


@slow
def test_cell_timeout_names_the_cell(tmp_path):
    import nbformat  # noqa: PLC0415 - its jsonschema import takes seconds; kept out of collection
    nb = nbformat.read(REPORT, as_version=4)
    nb.cells.insert(6, nbformat.v4.new_code_cell("import time\ntime.sleep(60)"))
    path = tmp_path / "slow.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(ReportError) as info:
        # 6 s: the import cell before it must not time out on a loaded 2-core machine (it took 2 s)
        es.run_notebook(path, PARAMS, output_dir=tmp_path / "o", progress=False, timeout=6)
    msg = str(info.value)
    assert msg.startswith('notebook slow.ipynb failed in section "Episodes per zorgtype" (cell 7')
    assert "CellTimeoutError: A cell timed out while it was being executed, after 6 seconds" in msg
    assert "--timeout" in msg


@slow
def test_failed_rerun_leaves_no_stale_results(failed_run):
    out, _ = failed_run
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == ["failing.ipynb", "keep.txt"]


def test_missing_kernel(tmp_path):
    with pytest.raises(ReportError, match="no Jupyter kernel named 'no-such-kernel-x'.*effectstudy install-kernel"):
        es.run_notebook(REPORT, PARAMS, output_dir=tmp_path, progress=False, kernel="no-such-kernel-x")


def test_missing_files(tmp_path):
    with pytest.raises(ReportError, match="notebook 'nope.ipynb' does not exist"):
        es.run_notebook("nope.ipynb", PARAMS)
    with pytest.raises(ReportError, match="params file 'nope.yaml' does not exist"):
        es.run_notebook(REPORT, "nope.yaml")
    with pytest.raises(ReportError, match="expected a .ipynb file"):
        es.run_notebook(PARAMS, PARAMS)


# ----------------------------------------------------------------------------------- HTML export
def _executed_notebook(tmp_path: Path) -> Path:
    """A hand-made 'executed' notebook: exporting needs no kernel."""
    import nbformat  # noqa: PLC0415 - its jsonschema import takes seconds; kept out of collection
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('params_file = "/home/someone/secret.yaml"')
    params.metadata["tags"] = ["injected-parameters"]
    params.outputs = [nbformat.v4.new_output("stream", name="stdout", text="/home/someone/secret.yaml\n")]
    code = nbformat.v4.new_code_cell("out.show('x', 1)")
    code.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": "<p>visible <script>alert(1)</script></p>",
                                                     "text/plain": "x"}),
        nbformat.v4.new_output("stream", name="stderr", text="/home/someone/effectstudy/x.py:1: Warning\n"),
    ]
    hidden = nbformat.v4.new_code_cell("secret_code()")
    hidden.metadata["tags"] = ["remove-cell"]
    hidden.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hidden output\n")]
    js = nbformat.v4.new_code_cell("js")
    js.outputs = [nbformat.v4.new_output("display_data", data={"application/javascript": "fetch('https://x.org')",
                                                               "text/plain": "js"})]
    nb.cells = [nbformat.v4.new_markdown_cell("# Titel\n\ntekst"), params, code, hidden, js]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def _bilingual_notebook(tmp_path: Path, meta_lang: str | None = None, title: str = "Titel") -> Path:
    """An 'executed' bilingual notebook: each Markdown cell twice, tagged lang-nl and lang-en."""
    import nbformat  # noqa: PLC0415

    def md(text: str, lang: str | None = None) -> object:
        cell = nbformat.v4.new_markdown_cell(text)
        if lang:
            cell.metadata["tags"] = [f"lang-{lang}"]
        return cell

    code = nbformat.v4.new_code_cell("out.show('x', 1)")
    code.outputs = [nbformat.v4.new_output("display_data", data={"text/html": "<p>neutral 12</p>"})]
    code_nl = nbformat.v4.new_code_cell("print('nl')")
    code_nl.metadata["tags"] = ["lang-nl"]
    code_nl.outputs = [nbformat.v4.new_output("stream", name="stdout", text="alleen in het Nederlands\n")]
    nb = nbformat.v4.new_notebook()
    nb.cells = [md(f"# {title}\n\nInleiding.", "nl"), md("# Title\n\nIntroduction.", "en"),
                md("## Methode", "nl"), md("## Method", "en"), code, code_nl,
                md("### Uitkomst", "nl"), md("### Outcome", "en"),
                md("## Resultaten\n\nDe tekst.", "nl"), md("## Results\n\nThe text.", "en"),
                md("<p>both languages</p>")]
    nb.metadata["title"] = "metadata title"
    if meta_lang:
        nb.metadata["effectstudy"] = {"lang": meta_lang, "run_date": "2026-01-31 12:00:00 UTC"}
    path = tmp_path / f"bi-{meta_lang}.ipynb"
    nbformat.write(nb, path)
    return path


def _visible(page: str) -> str:
    body = page[page.index("<body"):]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_export_html_keeps_the_cells_of_the_report_language(tmp_path, lang):
    page = export_html(_bilingual_notebook(tmp_path), tmp_path / f"{lang}.html", lang=lang).read_text()
    text = _visible(page)
    ours = ["Titel", "Inleiding", "Methode", "Uitkomst", "Resultaten", "De tekst", "alleen in het Nederlands"]
    theirs = ["Title", "Introduction", "Method", "Outcome", "Results", "The text"]
    if lang == "en":
        ours, theirs = theirs, ours
    for word in ours:
        assert word in text, word
    for word in theirs:
        assert not re.search(rf"\b{word}\b", text), word
    assert "neutral 12" in text and "both languages" in text  # untagged cells stay in both
    # the title is the first heading of the kept cells, the page's lang the report's language
    assert f"<title>{ours[0]}</title>" in page and f'<html lang="{lang}">' in page


def test_export_html_language_from_the_notebook_metadata(tmp_path):
    page = export_html(_bilingual_notebook(tmp_path, meta_lang="en")).read_text()
    assert "<title>Title</title>" in page and "Methode" not in _visible(page)
    assert "run of 2026-01-31" in page and '"page " counter(page) " of " counter(pages)' in page


@pytest.mark.parametrize("lang, word", [("nl", "Inhoud"), ("en", "Contents")])
def test_export_html_table_of_contents(tmp_path, lang, word):
    page = export_html(_bilingual_notebook(tmp_path), tmp_path / "r.html", lang=lang).read_text()
    nav = re.search(r'<nav class="es-toc" aria-label="([^"]+)">(.*?)</nav>', page, re.DOTALL)
    assert nav and nav.group(1) == word and word in nav.group(2)
    # after the first heading, before the first section
    assert page.index("</h1>") < nav.start() < page.index("<h2")
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', nav.group(2))
    names = {"nl": ["Methode", "Uitkomst", "Resultaten"], "en": ["Method", "Outcome", "Results"]}[lang]
    assert [t for _, t in links] == names
    for ident, _ in links:  # every link points at a heading of the page
        assert re.search(rf'<h[23] id="{re.escape(ident)}"', page), ident
    # the h3 is nested under its h2
    assert re.search(rf"{names[0]}</a><ol><li><a [^>]*>{names[1]}</a></li></ol></li><li>", nav.group(2))


def test_export_html_print_header_is_escaped(tmp_path):
    """The title goes into the print CSS as an escaped CSS string: quotes, backslashes and a
    closing </style> cannot end the string or the style sheet."""
    nb = _bilingual_notebook(tmp_path, meta_lang="nl", title='Rapport "2025" \\ </style><b>x</b>')
    page = export_html(nb).read_text()
    top = re.search(r"@top-left \{ content: (\"[^\"]*\");", page)
    assert top and "<" not in top.group(1) and "\\" in top.group(1)
    assert page.count("</style>") == page.count("<style")
    assert '"pagina " counter(page) " van " counter(pages)' in page and "run van 2026-01-31" in page


def test_export_html_drops_code_parameters_stderr_and_scripts(tmp_path):
    page = export_html(_executed_notebook(tmp_path)).read_text()
    assert "<title>Titel</title>" in page and "visible" in page
    for absent in ("secret", "/home/someone", "hidden output", "alert(1)", "<script", "out.show", "fetch("):
        assert absent not in page, absent


@pytest.mark.parametrize("bad", [
    '<img src="https://x.org/a.png">',
    "<img src='//x.org/a.png'>",
    '<link rel="stylesheet" href="https://cdn.x.org/a.css">',
    '<div style="background: url(https://x.org/a.png)"></div>',
    "<style>@import 'a.css';</style>",
    '<iframe src="about:blank"></iframe>',
    '<meta http-equiv="refresh" content="0; url=https://x.org">',
    "<script>1</script>",
    '<video poster="http://x.org/p.png"></video>',
])
def test_check_offline_rejects_external_loads(bad):
    with pytest.raises(ReportError, match="script|internet"):
        check_offline(f"<html><body>{bad}</body></html>")


def test_check_offline_allows_links_and_data_uris():
    check_offline('<a href="https://example.org/paper">paper</a> <img src="data:image/png;base64,AAAA"> '
                  '<div style="background: url(data:image/svg+xml;base64,AAAA)"></div>')


def test_pdf_without_chromium_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr("effectstudy.reports.runner.find_chromium", lambda: None)
    page = tmp_path / "r.html"
    page.write_text("<html><body>x</body></html>")
    with pytest.raises(ReportError, match="a PDF needs a locally installed Chromium.*leave out --pdf"):
        html_to_pdf(page)
    # run_notebook says so before running the notebook
    with pytest.raises(ReportError, match="a PDF needs a locally installed Chromium"):
        es.run_notebook(REPORT, PARAMS, output_dir=tmp_path / "o", pdf=True, progress=False)
    assert not (tmp_path / "o").exists()


@slow
@pytest.mark.skipif(find_chromium() is None, reason="no Chromium installed (Debian: apt-get install chromium)")
def test_pdf_is_a4(run, tmp_path):
    pdf = html_to_pdf(run.html, tmp_path / "r.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert boxes and all(abs(float(w) - 595.28) < 1.5 and abs(float(h) - 841.89) < 1.5 for w, h in boxes)


@slow
@pytest.mark.skipif(find_chromium() is None, reason="no Chromium installed (Debian: apt-get install chromium)")
def test_run_with_pdf(tmp_path):
    res = es.run_notebook(REPORT, PARAMS, output_dir=tmp_path / "pdf", pdf=True, progress=False)
    assert res.pdf == tmp_path / "pdf" / "report_tiny.pdf" and res.pdf.read_bytes().startswith(b"%PDF-")
    assert res.paths()[:2] == [res.html, res.pdf]
    assert "report_tiny.pdf" in (tmp_path / "pdf" / "SHA256SUMS").read_text()
    assert res.notes == ()
    # every page: the title and run date at the top, "pagina k van n" at the bottom; a table of
    # contents after the title; bookmarks from the headings
    import pypdf  # noqa: PLC0415

    reader = pypdf.PdfReader(res.pdf)
    n = len(reader.pages)
    for k, page in enumerate(reader.pages, start=1):
        text = page.extract_text().replace("\ufb00", "ff")
        assert text.startswith("Testrapport effectstudy run van 20"), text[:80]
        assert f"pagina {k} van {n}" in text
    first = reader.pages[0].extract_text()
    assert re.search(r"Inhoud\s+Episodes per zorgtype\s+Figuur\s+Verantwoording", first)
    assert [o["/Title"] for o in reader.outline if isinstance(o, dict)][:1] == ["Testrapport effectstudy"]
    # the params appendix (it may start on an earlier page) wraps at spaces and after a path's
    # "/", never inside a word
    appendix = "\n".join(p.extract_text() for p in reader.pages).rsplit("Verantwoording", 1)[-1]
    assert re.search(r"path: tests/notebooks/data/\s*measurements\.csv", appendix), appendix
    assert "memory_limit: 4GB" in appendix and "date_format: '%d-%m-%Y'" in appendix


def _stale_pdf(folder: Path) -> Path:
    folder.mkdir(parents=True)
    old = folder / "report_tiny.pdf"
    old.write_bytes(b"%PDF-1.4 an earlier run's PDF")
    return old


@slow
@pytest.mark.skipif(find_chromium() is None, reason="no Chromium installed (Debian: apt-get install chromium)")
def test_rerun_without_pdf_replaces_an_earlier_pdf(tmp_path, capsys):
    from effectstudy.reports.runner import PDF_REPLACED  # noqa: PLC0415

    old = _stale_pdf(tmp_path / "out")
    assert main(["run", str(REPORT), "-f", str(PARAMS), "-o", str(tmp_path / "out"), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "PDF replaced (an earlier run made one" in printed and PDF_REPLACED in printed
    assert "report (PDF)" in printed
    data = old.read_bytes()
    assert data.startswith(b"%PDF-") and b"an earlier run" not in data
    assert "report_tiny.pdf" in (tmp_path / "out" / "SHA256SUMS").read_text()


@slow
def test_rerun_without_pdf_and_chromium_removes_an_earlier_pdf(tmp_path, monkeypatch, capsys):
    from effectstudy.reports.runner import PDF_REMOVED  # noqa: PLC0415

    monkeypatch.setattr("effectstudy.reports.runner.find_chromium", lambda: None)
    old = _stale_pdf(tmp_path / "out")
    assert main(["run", str(REPORT), "-f", str(PARAMS), "-o", str(tmp_path / "out"), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert PDF_REMOVED in printed and "no Chromium is installed" in printed
    assert "report (PDF)" not in printed and not old.exists()
    assert "report_tiny.pdf" not in (tmp_path / "out" / "SHA256SUMS").read_text()


# ----------------------------------------------------------------------------------- CLI
def test_p_values_use_the_strict_yaml_rules():
    assert parse_value("0101") == "0101"
    assert parse_value("no") == "no"
    assert parse_value("1.10") == 1.1
    assert parse_value("true") is True
    assert parse_value("'0101'") == "0101"


def test_cli_rejects_bad_keys(capsys):
    assert main(["run", str(REPORT), "-f", str(PARAMS), "-p", "data..sep", ";"]) == 2
    assert "expected a params key" in capsys.readouterr().err


def test_cli_help_is_readable(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = capsys.readouterr().out
    for part in ("NOTEBOOK", "-f PARAMS.yaml", "--pdf", "results.json", "reports/<notebook name>/<params file name>/",
                 "-p language en"):
        assert part in text, part


def test_install_kernel_with_prefix(tmp_path, capsys):
    assert main(["install-kernel", "--prefix", str(tmp_path), "--name", "es-test"]) == 0
    spec = json.loads((tmp_path / "share" / "jupyter" / "kernels" / "es-test" / "kernel.json").read_text())
    assert spec["display_name"] == "Python (effectstudy)" and "ipykernel_launcher" in " ".join(spec["argv"])
    assert "installed kernel 'es-test'" in capsys.readouterr().out


def test_running_notebook_saved_at_most_every_interval(monkeypatch):
    """Papermill saves at every cell's start and end; the runner lets one save through per
    SAVE_EVERY seconds (the final save after the run is papermill's own, never throttled)."""
    from effectstudy.reports import runner  # noqa: PLC0415

    clock = iter([0.0, 0.5, 1.9, 2.1, 2.2, 5.0])
    monkeypatch.setattr(runner.time, "monotonic", lambda: next(clock))
    saved = []
    save = runner._ThrottledSave(lambda **kw: saved.append(kw), 2.0)
    for i in range(6):
        save(i=i)
    assert saved == [{"i": 0}, {"i": 3}, {"i": 5}]
