"""The Study's text methods (``heading``, ``key_status``, ``itt_text``, ``stagnation_text``) and
the criteria table's explanations speak one language: the report's.

Each text is checked in nl and en with the reports' checker (``tests/language.py``): no word of
the other language (its word lists and the label table's), no raw code: an instrument id, a scale
code that is not the parenthesised code after its name, a snake_case identifier or a dotted code
name (``es.reliability``, ``analysis.primary``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from effectstudy import instruments
from effectstudy.core.params import in_language
from effectstudy.outcomes.criteria import Criteria, criteria_record
from tests.language import problems

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "params" / "demo.yaml"

def check(text: str, lang: str) -> None:
    """``text`` is wholly in ``lang``: no word of the other language, no raw code
    (:func:`tests.language.problems`, the checker of the rendered reports too)."""
    assert text.strip()
    found = problems(text, lang)
    assert not found, (lang, found, text)


def test_the_checks_catch_what_they_look_for():
    with pytest.raises(AssertionError):
        check("De sleutel is provisional.", "nl")
    with pytest.raises(AssertionError):
        check("Uitkomstmaat: PSNEUR.", "nl")
    with pytest.raises(AssertionError):
        check("Bron: es.reliability (cronbach_alpha).", "nl")
    with pytest.raises(AssertionError):
        check("The key of scl90_nl.", "en")
    check("Uitkomstmaat: Psychoneuroticisme (PSNEUR).", "nl")


@pytest.fixture(scope="module")
def studies(shared_study):
    """The demo Study in nl (shared) and in en."""
    nl = shared_study(DEMO)
    return {"nl": nl, "en": nl.with_overrides({"language": "en"})}


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_text_method_speaks_the_report_language(studies, lang):
    st = studies[lang]
    for text in (st.heading().replace(in_language(st.params.title, lang), ""),  # the title is the params' own text
                 st.key_status(), st.itt_text(st.itt()), st.stagnation_text()):
        check(text, lang)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_key_status_is_one_paragraph_with_the_reason_once(studies, lang):
    st = studies[lang]
    text = st.key_status()
    inst = instruments.get("scl90_nl")
    reason = inst.display_reason(lang)
    assert text.count(reason) == 1 and "\n" not in text
    assert inst.display_name(lang) in text and inst.scale_label("SEN", lang) in text
    assert inst.scale_label("PSNEUR", lang) in text  # the report's outcome scale, by name
    other = inst.display_reason("en" if lang == "nl" else "nl")
    assert other[:40] not in text


def test_the_scale_is_named_in_words_with_its_code(studies):
    assert studies["nl"]._scale_name() == ("Psychoneuroticisme (PSNEUR) van de SCL-90, Nederlandse bewerking "
                                           "(Arrindell & Ettema 2003)")
    assert studies["en"]._scale_name().startswith("Psychoneuroticism (PSNEUR) of the SCL-90, Dutch edition")


def test_the_stagnation_window_in_the_text_follows_the_params(studies):
    other = studies["nl"].with_overrides({"analysis.stagnation.window": [4, 6]})
    text = other.stagnation_text()
    assert "sessie 4 tot 6" in text and "3 tot 5" not in text
    assert "sessie 3 tot 5" in studies["nl"].stagnation_text()


class _ITT:
    """What :meth:`Study.itt_text` reads of an ITT result: ``summary()`` and ``meta``."""

    def __init__(self, primary="mi", dropped=(), orientation="improvement positive"):
        self.meta = {"primary": primary, "imputations": 20, "dropped_predictors": list(dropped),
                     "effect": "b", "adjust": True, "orientation": orientation, "ci": 0.95}

    def summary(self):
        return pd.DataFrame({"method": ["mi", "completers", "locf", "bocf"], "estimate": [0.651, 0.75, 0.52, 0.5],
                             "ci_low": [0.53, 0.62, 0.4, 0.38], "ci_high": [0.76, 0.87, 0.64, 0.62],
                             "n": [284, 199, 284, 284]})


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_itt_text_names_dropped_predictors_and_the_effect_size_in_words(studies, lang):
    text = studies[lang].itt_text(_ITT(primary="completers", dropped=["care_type", "regular_end"]))
    check(text, lang)
    assert ("zorgvorm en reguliere afsluiting zijn weggelaten" if lang == "nl"
            else "care type and regular end left out") in text
    assert ("0,65 (95%-BI [0,53; 0,76]; n = 284)" if lang == "nl" else "0.65 (95%-CI [0.53, 0.76]; n = 284)") in text
    assert text.startswith("**Hoofduitkomst: de voltooiers**" if lang == "nl" else "**Primary outcome: the completers**")
    assert ("positief = verbetering" if lang == "nl" else "positive = improvement") in text
    post_pre = studies[lang].itt_text(_ITT(orientation="post - pre"))
    assert ("nameting min voormeting" if lang == "nl" else "post minus pre") in post_pre


def _sample_criteria() -> Criteria:
    """Sample-based criteria whose free-text sources are code names (as a run records them)."""
    sources = {"reliability_kind": "sample", "reliability_source": "es.reliability (cronbach_alpha)",
               "m_reference_kind": "sample", "sd_reference_kind": "sample",
               "m_reference_source": "sample pre scores", "sd_reference_source": "sample pre scores",
               "cutoff_kind": "sample", "cutoff_source": "cut-off a: reference mean and SD (sample pre scores)"}
    return Criteria(meta=criteria_record(reliability=0.91, m_reference=200.0, sd_reference=50.0, cutoff=100.0,
                                         sources=sources, instrument="scl90_nl", scale="PSNEUR", method="jt",
                                         cutoff_type="a"))


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_criteria_table_explains_each_value_in_words(lang):
    table = _sample_criteria().format(lang)
    detail = table.iloc[:, -1].tolist()
    for text in detail:
        check(text, lang)
    assert detail[0] == ("Cronbachs alfa uit de eigen steekproef; verschuift met de steekproef" if lang == "nl"
                         else "Cronbach's alpha from this run's own sample; moves with the sample")
    assert "es.reliability" not in table.to_string() and "cronbach_alpha" not in table.to_string()
    check(_sample_criteria().text(lang), lang)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_demo_criteria_table_is_in_the_report_language(studies, lang):
    table = studies[lang].criteria.format(lang)
    for column in table.columns[[0, 2, 3]]:  # criterion, source, explanation (not the numbers)
        check(column, lang)
        for text in table[column]:
            check(text, lang)
    assert "generator" not in table.to_string()  # the params' free-text source stays in the provenance


def test_a_source_given_in_both_languages_is_shown_in_the_report_language():
    c = _sample_criteria()
    meta = {**c.meta, "reliability_kind": "params", "sample_based": [],
            "reliability_source": {"nl": "test-hertestbetrouwbaarheid uit de handleiding",
                                   "en": "test-retest reliability from the manual"}}
    c = Criteria(meta=meta)
    assert c.explain("reliability", "nl") == ("opgegeven in het parameterbestand: test-hertestbetrouwbaarheid "
                                              "uit de handleiding")
    assert c.explain("reliability", "en").endswith(": test-retest reliability from the manual")
