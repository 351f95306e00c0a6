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

The token lists, in full (in ``tests/language.py``, which the figure and text tests share):

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

import pytest
import yaml

from tests.language import LANGS, label_words, problems, visible_text
from tests.reports.test_notebooks import NB, PARAMS, RUNS  # the CI runs: one home

pytestmark = pytest.mark.slow


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
