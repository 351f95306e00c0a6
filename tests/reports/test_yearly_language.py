"""The yearly summary in one language and one convention (issue 16).

* The methods paragraph states which measurement is the post measurement (``analysis.post_rule``),
  the windows in words, the cut-off in words and the effect size with its standardiser.
* The summary text formats every number for its language (decimal comma, "95%-BI" / "95% CI") and
  names the effect size (Becker's d, ...).
* In the rendered report the disclosure paragraph is printed once, the trend table has a title,
  the title cell is in the report's language only.

The expected sentences are written out here from the rules in ``effectstudy.reports.yearly``.
"""

from __future__ import annotations

import html as _html
import re
from pathlib import Path

import pandas as pd
import pytest

from effectstudy.core.errors import ArgumentError
from effectstudy.outcomes.effect_size import IMPROVEMENT_POSITIVE, definition_text
from effectstudy.reports.yearly import (
    KeyFigures,
    methods_text,
    post_rule_sentence,
    window_text,
    yearly_text,
)

ROOT = Path(__file__).resolve().parents[2]

ROW = {"year": 2024, "group": "all", "n": 400, "n_complete": 200, "n_recovered": 10,
       "n_improved": 100, "n_unchanged": 50, "n_deteriorated": 20, "n_harmed": 20,
       "n_reliably_improved": 110, "n_evaluable": 20, "n_stagnated": 10, "n_issued": 30,
       "n_returned": 15, "n_graded": 15, "effect_size": 0.35, "effect_size_ci_low": 0.1,
       "effect_size_ci_high": 0.6, "mean_grade": 7.5}


def _pub(method: str = "b", lang: str = "nl", row: dict | None = None, **meta):
    kf = KeyFigures(meta={"effect_size": method, "adjust": True, **meta},
                    tables={"all": pd.DataFrame([{**ROW, **(row or {})}])})
    return kf.published(threshold=10, rounding_base=5, lang=lang)


def _methods(lang: str, post_rule: str = "end_only", method: str = "b", cutoff_type: str | None = "a") -> str:
    return methods_text(_pub(method, lang), scale_name="Psychoneuroticisme (PSNEUR)", pre_window=(-30, 14),
                        post_window=(-30, 30), post_rule=post_rule, rc_method="jt", cutoff_type=cutoff_type,
                        criteria_text="CRITERIA.", lang=lang)


@pytest.mark.parametrize(("lang", "rule", "expected"), [
    ("nl", "end_only", "Nameting: alleen een eindmeting telt: de eindmeting het dichtst bij het einde van de "
                       "behandeling, van 30 dagen ervoor tot 30 dagen erna; een traject dat zonder eindmeting "
                       "stopte, heeft geen nameting, ook als er tussenmetingen zijn."),
    ("en", "end_only", "Post measurement: only an end measurement counts: the end measurement nearest to the end "
                       "of treatment, from 30 days before to 30 days after; an episode that stopped without an "
                       "end measurement has no post measurement, even with interim measurements."),
    ("nl", "last_measurement", "Nameting: de laatste meting van 30 dagen vóór tot 30 dagen na het einde van de "
                               "behandeling, ook als dat een tussenmeting is."),
    ("en", "last_measurement", "Post measurement: the last measurement from 30 days before to 30 days after the "
                               "end of treatment, also when that is an interim measurement."),
])
def test_methods_text_states_the_post_rule(lang, rule, expected):
    text = _methods(lang, rule)
    assert expected in text
    assert rule not in text  # the rule in words, not its code


def test_methods_text_in_dutch_and_english_in_full():
    nl = _methods("nl")
    assert nl == (
        "**Werkwijze.** Uitkomstmaat: Psychoneuroticisme (PSNEUR). Voormeting: de meting het dichtst bij het "
        "begin van de behandeling, van 30 dagen ervoor tot 14 dagen erna. "
        + post_rule_sentence("end_only", (-30, 30), "nl")
        + " Betrouwbare verandering volgens Jacobson & Truax (1991); herstel: betrouwbaar verbeterd en na afloop "
          "aan de gezonde kant van het afkappunt (twee SD van het gemiddelde van de klinische referentiegroep, in "
          "de richting van herstel). CRITERIA. De effectgrootte is Becker's d: gemiddelde verbetering gedeeld "
          "door de SD van de voormeting, met de correctie van Hedges voor kleine steekproeven; positief = "
          "verbetering.")
    en = _methods("en")
    assert en.startswith("**Methods.** Outcome measure: Psychoneuroticisme (PSNEUR). Pre measurement: the "
                         "measurement nearest to the start of treatment, from 30 days before to 14 days after.")
    assert "Reliable change after Jacobson & Truax (1991); recovered: reliably improved and at the end on the " \
           "healthy side of the cut-off (two SDs from the mean of the clinical reference group" in en
    assert en.endswith("The effect size is Becker's d: mean improvement divided by the SD of the pre scores, with "
                       "Hedges' small-sample correction; positive = improvement.")


def test_methods_text_names_the_standardiser_of_the_method_used():
    for lang in ("nl", "en"):
        text = _methods(lang, method="z")
        definition = definition_text({"method": "z", "adjust": True, "orientation": IMPROVEMENT_POSITIVE}, lang)
        assert definition in text and definition != definition_text(
            {"method": "b", "adjust": True, "orientation": IMPROVEMENT_POSITIVE}, lang)
    # a cut-off given as a number: no type to explain, no empty parentheses
    assert "healthy side of the cut-off. CRITERIA." in _methods("en", cutoff_type=None)


def test_unknown_post_rule_is_refused_with_its_name():
    with pytest.raises(ArgumentError, match=r"post_rule: got 'first_after_end', expected 'end_only' or "
                                            r"'last_measurement'"):
        post_rule_sentence("first_after_end", (-30, 30), "nl")


def test_windows_in_words():
    assert window_text((-30, 14), "nl") == "van 30 dagen ervoor tot 14 dagen erna"
    assert window_text((0, 1), "en") == "from the day itself to 1 day after"
    assert window_text((-7, 0), "nl", "het einde") == "van 7 dagen vóór tot het einde zelf"


@pytest.mark.parametrize(("lang", "expected"), [
    ("nl", ["In 2024 werden ongeveer 400 behandeltrajecten", "Van 50% (95%-BI 45-55%)",
            "effectgrootte Becker's d = 0,35 (95%-BI 0,10 tot 0,60).", "rapportcijfer was 7,5."]),
    ("en", ["In 2024, about 400 treatment episodes", "For 50% (95% CI 45-55%)",
            "effect size Becker's d = 0.35 (95% CI 0.10 to 0.60).", "The mean grade was 7.5."]),
])
def test_summary_text_numbers_follow_the_language(lang, expected):
    text = yearly_text(_pub(lang=lang), scale_name="PHQ-9", lang=lang)
    for part in expected:
        assert part in text
    other = "." if lang == "nl" else ","
    assert not re.search(rf"\d\{other}\d", text)  # no decimal separator of the other language
    # every share with its Wilson interval in the form the disclosure attacker reads back
    # (tests/reports/attacker.py, _text_findings): complete, reliably improved, recovered, stagnated
    assert len(re.findall(r"(\d+)% \(95%[- ](?:BI|CI) (\d+)-(\d+)%\)", text)) == 4


def test_summary_text_gives_the_ci_level_of_the_effect_size():
    # limits that a 90% normal interval of Becker's d allows for n = 200 (ci_counts keeps them)
    pub = _pub(lang="en", ci=0.9, row={"effect_size_ci_low": 0.2, "effect_size_ci_high": 0.5})
    text = yearly_text(pub, scale_name="PHQ-9", lang="en")
    assert "(90% CI 0.20 to 0.50)" in text and "(95% CI 45-55%)" in text  # shares: Wilson 95%


# ---------------------------------------------------------------- the rendered report
def _visible(page: str) -> str:
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(_html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_rendered_yearly_summary_prints_the_disclosure_rules_once(notebook_run, lang):
    """One disclosure paragraph (and one explanation of "x"), the trend table titled, the post
    rule stated, and only the report language's title cell."""
    options = {} if lang == "nl" else {"overrides": {"language": "en"}}
    res = notebook_run(ROOT / "notebooks" / "yearly_summary.ipynb", ROOT / "params" / "ci-yearly.yaml", **options)
    text = _visible(res.html.read_text(encoding="utf-8"))
    if lang == "nl":
        assert text.count("Om herleiding naar individuele cliënten te voorkomen") == 1
        assert text.count("x: niet gepubliceerd") == 1
        assert "Kengetallen per jaar" in text and "Nameting: alleen een eindmeting telt" in text
        assert "Jaarrapportage effectiviteit" in text and "Yearly effectiveness summary" not in text
    else:
        assert text.count("To prevent identification of individual clients") == 1
        assert text.count("x: not published") == 1
        assert "Key figures per year" in text and "Post measurement: only an end measurement counts" in text
        assert "Yearly effectiveness summary" in text and "Jaarrapportage effectiviteit" not in text
