"""Every report speaks one language: rendered in Dutch it shows no English word, rendered in
English no Dutch word, and in neither a raw code (issue 16).

Each of the four report notebooks runs on its CI params in both languages (the run in the params'
own language is the one tests/reports/test_notebooks.py reads too).  The test reads the *visible*
text of the HTML report as a browser shows it: the text of every element except ``<style>`` and
``<script>``, plus the ``alt`` text of images and the ``aria-label`` of landmarks (a screen
reader reads those), the page title and the figure data tables.

What is exempt, and why:

* text in ``<code>``: a params key or file name the reader types (``analysis.post_rule``,
  ``episodes.csv``) is the same in both languages;
* the params appendix (``class="es-params"``): the run's settings as the params file holds them,
  a record for an auditor, not prose;
* proper names and citations (Jacobson & Truax, Cronbach) are not in the token lists.

The token lists, in full:

* :data:`ENGLISH_WORDS` / :data:`DUTCH_WORDS`: hand-picked words that only one language uses
  (function words and the reports' own vocabulary);
* the label table: every word of at least 4 letters of a registered label's English text that
  occurs in no Dutch label (and the other way round), computed from
  :mod:`effectstudy.core.labels` when the test runs (:func:`label_words`), so a label added later is
  checked too;
* ids: an episode, client or therapist id of the synthetic data (``E0000399``), which no report
  shows;
* raw codes (:func:`raw_codes`): snake_case identifiers (``brain_injury``, ``care_type``,
  ``lmm_reml``), model terms (``diagnosis[brain_injury]``), the instrument ids of the registry and
  the canonical column names of the schema; a scale code (``PSNEUR``) only in parentheses after
  its name.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import yaml

from tests.reports.test_notebooks import NB, PARAMS, RUNS  # the CI runs: one home

pytestmark = pytest.mark.slow

LANGS = ("nl", "en")

#: words a Dutch report must not show (case-insensitive, whole words)
ENGLISH_WORDS = frozenset("""
the and with without between after before from which this that these those their there
are were been being has have will would should could not only also than then when while
into onto about above below under percent
yearly effectiveness summary edition dutch english shipped provisional origin bytes
sessions session time mean means adjusted residual residuals share rate estimate used
episodes clients patients client patient recovered improved unchanged deteriorated harmed
stagnated stagnation anxiety depression burnout personality somatic specialised specialized
diagnosis group groups method methods table figure page contents note data value level age
female male missing reliable reliability significance size sizes change changes threshold
sample consent completers imputation imputed baseline outcome outcomes treatment length total
satisfaction grade grades trajectories expected response accuracy sensitivity specificity
lower upper low high pre year years month months days
""".split())

#: words an English report must not show (case-insensitive, whole words)
DUTCH_WORDS = frozenset("""
de het een en niet met voor bij zijn wordt worden werd geen ook alleen alle naar uit door
tussen tot maar dan dat die deze dit waar wanneer omdat zoals heeft hebben nog wel
jaarrapportage effectstudie studentanalyse verkennen gegevensstroom steekproef trajecten
traject cliënten cliënt voormeting nameting tussenmeting gemiddelde gemiddeld hersteld
verbeterd onveranderd verslechterd geschaad gestagneerd stagnatie angst depressie
persoonlijkheid diagnosegroep zorgvorm tabel figuur pagina inhoud gegevens leeftijd
sessies methode schatting totaal gebruikt betrouwbaarheid betrouwbare verandering toelichting
herkomst bijlage let aandeel vrouw man ontbrekend effectgrootte effectgroottes behandelduur
tevredenheid cijfer verloop jaar jaren maand dagen onder boven voorlopig voorlopige
""".split())

#: words both languages use (loanwords, statistical terms and the names of methods' authors):
#: never counted as the other language's, even when only one language's label uses them
BOTH_LANGUAGES = frozenset("""
data start intake trend type model mixed random intercept score scores effect interval
item items over bytes status parameter parameters test intention-to-treat
hedges cohen becker cronbach jacobson truax wilson wilcoxon levene shapiro wilk rubin austin spearman
""".split())
#: statistical abbreviations of both languages that are not scale codes (APA: SD, SE)
ABBREVIATIONS = frozenset({"SD", "SE"})

#: what an episode, client or therapist id of the shipped synthetic data looks like: none may reach
#: a report (a per-client figure's data table holds the plotted values only)
_IDS = re.compile(r"\b[EC]\d{7}\b|\bT\d{2}\b")

_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*", re.UNICODE)
_SNAKE = re.compile(r"\b[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]*[A-Za-z0-9]\b")
_TERM = re.compile(r"\b\w+\[[^\]\s]+\]")


class _VisibleText(HTMLParser):
    """The text a reader sees (or hears), with <code> and the params appendix left out."""

    SKIP = {"style", "script", "code"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
            "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[bool] = []  # per open element: is the text inside it skipped?

    def handle_starttag(self, tag, attrs):  # noqa: ANN001, ANN201
        a = dict(attrs)
        skipped = bool(self.stack and self.stack[-1]) or tag in self.SKIP or "es-params" in (a.get("class") or "")
        if not skipped:
            for name in ("alt", "aria-label", "title"):
                if a.get(name):
                    self.parts.append(a[name])
        if tag not in self.VOID:
            self.stack.append(skipped)

    def handle_startendtag(self, tag, attrs):  # noqa: ANN001, ANN201
        if tag not in self.VOID:
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)
        else:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):  # noqa: ANN001, ANN201
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):  # noqa: ANN001, ANN201
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The visible text of an HTML page, one space between the pieces.

    >>> visible_text('<p>Tabel <code>care_type</code><img alt="Figuur 1"></p><style>p{}</style>')
    'Tabel Figuur 1'
    """
    p = _VisibleText()
    p.feed(html)
    return " ".join(" ".join(p.parts).split())


def label_words() -> dict[str, frozenset[str]]:
    """Per language, the words of the label table that only that language's labels use.

    Every module of the package is imported first: modules register their labels when they are
    imported, and the lists must not depend on which ones a test happened to import."""
    import importlib  # noqa: PLC0415
    import pkgutil  # noqa: PLC0415

    import effectstudy  # noqa: PLC0415
    from effectstudy.core import labels  # noqa: PLC0415

    for info in pkgutil.walk_packages(effectstudy.__path__, "effectstudy."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)

    words: dict[str, set[str]] = {"nl": set(), "en": set()}
    for entry in labels._LABELS.values():  # noqa: SLF001 - the registry itself is what is checked
        if entry.get("nl") == entry.get("en"):
            continue
        for lang in LANGS:
            words[lang] |= {w.lower() for w in _WORD.findall(entry.get(lang, "")) if len(w) >= 4}
    return {"nl": frozenset(words["nl"] - words["en"]), "en": frozenset(words["en"] - words["nl"])}


def forbidden_words(lang: str) -> frozenset[str]:
    """The words a report in ``lang`` must not show: the other language's list and labels."""
    other = "en" if lang == "nl" else "nl"
    hand = ENGLISH_WORDS if lang == "nl" else DUTCH_WORDS
    return (hand | label_words()[other]) - BOTH_LANGUAGES


def raw_codes() -> tuple[frozenset[str], frozenset[str]]:
    """Codes that must not reach a reader: (instrument ids and schema columns, scale codes)."""
    import effectstudy as es  # noqa: PLC0415
    from effectstudy.core import schema  # noqa: PLC0415

    ids, scales = set(), set()
    for name in es.instruments.available():
        ids.add(name)
        scales |= set(es.instruments.get(name).scales)
    for spec in schema.TABLES.values():
        ids |= {c for c in spec.names if "_" in c}
    return frozenset(ids), frozenset(s for s in scales if len(s) >= 2 and s.isupper()) - ABBREVIATIONS


def problems(text: str, lang: str) -> list[str]:
    """What a report in ``lang`` shows that it should not: other-language words and raw codes."""
    bad = forbidden_words(lang)
    found = sorted({w for w in _WORD.findall(text) if w.lower() in bad})
    out = [f"word {w!r}" for w in found]
    out += [f"id {i!r}" for i in sorted(set(_IDS.findall(text)))]
    ids, scales = raw_codes()
    out += [f"code {c!r}" for c in sorted(set(_SNAKE.findall(text)) | set(_TERM.findall(text)))]
    out += [f"instrument id {i!r}" for i in sorted(ids) if re.search(rf"\b{re.escape(i)}\b", text)]
    for s in sorted(scales):
        bare = re.search(rf"(?<!\()\b{re.escape(s)}\b(?!\))", text)
        if bare:
            out.append(f"scale code {s!r} outside parentheses: ...{text[max(0, bare.start() - 60):bare.end() + 20]}...")
    return out


def _params_lang(params: str) -> str:
    return yaml.safe_load((PARAMS / params).read_text(encoding="utf-8")).get("language", "nl")


@pytest.fixture(scope="module")
def html_of(notebook_run):
    def run(name: str, lang: str) -> str:
        params = RUNS[name]
        options = {} if _params_lang(params) == lang else {"overrides": {"language": lang}}
        res = notebook_run(NB / f"{name}.ipynb", PARAMS / params, **options)
        return res.html.read_text(encoding="utf-8")

    return run


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", list(RUNS))
def test_report_shows_one_language_and_no_codes(html_of, name, lang):
    html = html_of(name, lang)
    assert f'lang="{lang}"' in html
    found = problems(visible_text(html), lang)
    assert not found, f"{name} ({lang}) shows:\n  " + "\n  ".join(found)


@pytest.mark.parametrize("params", ["demo-wide.yaml", "demo-scores.yaml"])
def test_effect_study_on_other_shapes_shows_one_language(notebook_run, params):
    """The effect study on a wide SPSS file and on a score-only export (their own texts: no items,
    no alpha; no further approaches chosen), the runs tests/reports/test_notebooks_shapes.py makes."""
    html = notebook_run(NB / "effect_study.ipynb", PARAMS / params).html.read_text(encoding="utf-8")
    lang = _params_lang(params)
    found = problems(visible_text(html), lang)
    assert not found, f"effect_study on {params} ({lang}) shows:\n  " + "\n  ".join(found)


# ---------------------------------------------------------------- the checker itself can fail
def test_checker_finds_english_in_dutch_and_codes():
    text = visible_text("<h2>Resultaten</h2><p>Sessions per diagnosis: brain_injury, diagnosis[anxiety];"
                        " PSNEUR daalde</p><p>Psychoneuroticisme (PSNEUR)</p><code>care_type</code>")
    found = problems(text, "nl")
    assert "word 'Sessions'" in found and "word 'diagnosis'" in found
    assert "code 'brain_injury'" in found and "code 'diagnosis[anxiety]'" in found
    assert problems("Residu per traject: E0000399 -32,5", "nl") == ["id 'E0000399'"]
    assert any(f.startswith("scale code 'PSNEUR'") for f in found)
    assert not any("care_type" in f for f in found)  # inside <code>
    assert sum(f.startswith("scale code") for f in found) == 1  # "name (PSNEUR)" is fine


def test_checker_finds_dutch_in_english():
    found = problems(visible_text('<p>The mean score <img alt="Figuur 2: voormeting"></p>'), "en")
    assert found == ["word 'Figuur'", "word 'voormeting'"]


def test_checker_passes_clean_text():
    assert problems(visible_text("<p>Gemiddelde verbetering 0,71 (Psychoneuroticisme (PSNEUR)).</p>"), "nl") == []
    assert problems(visible_text("<p>Mean improvement 0.71 (Psychoneuroticism (PSNEUR)).</p>"), "en") == []


def test_label_words_come_from_the_registry():
    words = label_words()
    assert "diagnosegroep" in words["nl"] and "diagnosis" in words["en"]
    assert not words["nl"] & words["en"]
