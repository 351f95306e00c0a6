"""One language in what a report shows: the checker the language tests share (issue 16).

:func:`problems` lists what a text in ``lang`` must not show: a word of the other language
(the hand lists below and the label table's one-language words, :func:`label_words`), a raw
code (snake_case, a model term ``x[y]``, a dotted name such as ``es.reliability``, an instrument
id, a schema column, a scale code outside the parentheses after its name) or an id of the
synthetic data.  :func:`visible_text` is the text of an HTML page as a reader sees (or hears)
it, with ``<code>`` and the params appendix left out.  Used by
``tests/reports/test_report_language.py`` (the rendered reports),
``tests/reports/test_figure_layout.py`` (the texts on every figure) and
``tests/test_study_texts.py`` (the Study's texts).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

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
everyone who started episode measurement improvement divided by to for primary key given file
cut-off carried forward other fitted quantile observed
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
van meting sessie iedereen toestemming verbetering gedeeld als hoofduitkomst voltooiers
geverifieerd scoringssleutel uitkomstmaat opgegeven parameterbestand afkappunt
gevoeligheidsanalyses doorgetrokken bewerking overige daarvan tijd groep gecorrigeerd
""".split())

#: words both languages use (loanwords, statistical terms and the names of methods' authors):
#: never counted as the other language's, even when only one language's label uses them
BOTH_LANGUAGES = frozenset("""
data start intake trend type model mixed random intercept score scores effect interval
item items over bytes status parameter parameters test intention-to-treat
hedges cohen becker cronbach jacobson truax wilson wilcoxon levene shapiro wilk rubin austin spearman
""".split())
#: statistical symbols and abbreviations of both languages that are also scale codes of some
#: instrument: SD and SE (APA), the test statistics F and W, and R (the statistics program)
ABBREVIATIONS = frozenset({"SD", "SE", "F", "W", "R"})

#: what an episode, client or therapist id of the shipped synthetic data looks like: none may reach
#: a report (a per-client figure's data table holds the plotted values only)
_IDS = re.compile(r"\b[EC]\d{7}\b|\bT\d{2}\b")

_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*", re.UNICODE)
_SNAKE = re.compile(r"\b[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]*[A-Za-z0-9]\b")
_TERM = re.compile(r"\b\w+\[[^\]\s]+\]")
#: a dotted name: a function or a params key written out (``es.reliability``, ``analysis.groups``)
_DOTTED = re.compile(r"\b[a-z]{2,}\.[a-z_]{2,}\b")


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
    # lower-case scale names ("total", "anxiety") are words, caught by the word lists
    return frozenset(ids), frozenset(s for s in scales if s != s.lower()) - ABBREVIATIONS


def problems(text: str, lang: str) -> list[str]:
    """What a text in ``lang`` shows that it should not: other-language words, raw codes and ids.

    A scale code counts as raw unless it stands in parentheses, after its name:
    ``Psychoneuroticisme (PSNEUR)``.

    >>> problems("Psychoneuroticisme (PSNEUR) daalde; zie es.reliability", "nl")
    ["word 'reliability'", "code 'es.reliability'"]
    """
    bad = forbidden_words(lang)
    found = sorted({w for w in _WORD.findall(text) if w.lower() in bad})
    out = [f"word {w!r}" for w in found]
    out += [f"id {i!r}" for i in sorted(set(_IDS.findall(text)))]
    ids, scales = raw_codes()
    out += [f"code {c!r}" for c in sorted(set(_SNAKE.findall(text)) | set(_TERM.findall(text))
                                          | set(_DOTTED.findall(text)))]
    out += [f"instrument id {i!r}" for i in sorted(ids) if re.search(rf"\b{re.escape(i)}\b", text)]
    for s in sorted(scales):
        for m in re.finditer(rf"\b{re.escape(s)}\b", text):
            if text[m.start() - 1:m.start()] != "(" or text[m.end():m.end() + 1] != ")":
                out.append(f"scale code {s!r} outside parentheses: ...{text[max(0, m.start() - 60):m.end() + 20]}...")
                break
    return out


