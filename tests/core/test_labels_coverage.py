"""Every column and every coded cell a report table shows has a registered label in both
languages (issue 16: "Share beyond ci low", "N no outcome" in a Dutch report were
``label()``'s capitalised fall-back), and every method code is named in words."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core import labels
from effectstudy.core.errors import DataQualityWarning
from effectstudy.core.results import Result

ROOT = Path(__file__).parents[2]
DEMO = ROOT / "params" / "demo.yaml"
#: a coded cell: what a column of snake_case codes holds (ids and scale codes are not lower case)
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
#: the cells that are numbers or names in every language (no label needed)
_NEUTRAL = {"n", "r", "t", "p", "k", "df", "se", "sd"}


def _shown_items(study: es.Study) -> dict[str, object]:
    """What the effect-study and explore notebooks show as tables, by key."""
    effects = study.effect_sizes()
    itt = study.itt()
    stagnation = study.stagnation()
    followup = study.stagnation_followup()
    course = study.treatment_course()
    satisfaction = study.satisfaction()
    return {
        "flow": study.flow(), "validation": study.validation(), "sample": study.sample(),
        "effect_sizes": effects, "itt": itt, "itt_categories": itt.category_table(),
        "baseline_comparison": study.baseline_comparison(), "criteria": study.criteria,
        "clinical_significance": study.clinical_significance(),
        "clinical_significance_by_group": study.clinical_significance(group=study.analysis.groups[0]),
        "approaches": study.approaches(), "stagnation": stagnation,
        "stagnation_sensitivity": study.stagnation_sensitivity(stagnation),
        "stagnation_followup": followup, "stagnation_followup_categories": followup.categories(),
        "not_on_track_accuracy": study.not_on_track_accuracy(),
        "treatment_course": course, "end_reasons": course.end_reasons(),
        "length_vs_outcome": course.length_vs_outcome(), "outcome_by_length": course.outcome_by_length(),
        "satisfaction": satisfaction, "grades": satisfaction.grades(), "trajectories": study.trajectories(),
    }


@pytest.fixture(scope="module")
def items():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return _shown_items(es.Study.from_params(DEMO))


def _source(obj: object) -> pd.DataFrame | None:
    if isinstance(obj, Result):
        return obj.summary()
    return obj if isinstance(obj, pd.DataFrame) else None


@pytest.mark.slow
def test_every_column_of_every_shown_table_has_a_label_in_both_languages(items):
    missing = {}
    for key, obj in items.items():
        table = _source(obj)
        if table is None:
            continue
        names = [c for c in table.columns if isinstance(c, str) and not labels.registered(c)]
        if names:
            missing[key] = names
    assert missing == {}


def _display(obj: object, lang: str) -> pd.DataFrame | None:
    """The table as a report shows it (ReportOutput's display path)."""
    from effectstudy.reports.output import _display_frame

    if isinstance(obj, Result):
        return obj.format(lang=lang)
    return _display_frame(obj, lang) if isinstance(obj, pd.DataFrame) else None


@pytest.mark.slow
def test_no_shown_cell_is_a_raw_code(items):
    # a coded cell (snake_case) that the display path left as it was in both languages has no
    # label (a label may be the code's own word in one language: "model", "derived")
    missing = {}
    for key, obj in items.items():
        source, nl, en = _source(obj), _display(obj, "nl"), _display(obj, "en")
        if source is None or nl is None or not (source.shape == nl.shape == en.shape):
            continue
        for i in range(source.shape[1]):
            raw, a_nl, a_en = (t.iloc[:, i].astype(object).to_numpy() for t in (source, nl, en))
            left = sorted({a for a, b, c in zip(raw, a_nl, a_en, strict=True)
                           if isinstance(a, str) and a == b == c and _CODE.match(a) and a not in _NEUTRAL})
            if left:
                missing[f"{key}.{source.columns[i]}"] = left
    assert missing == {}


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_no_shown_header_is_a_capitalised_fall_back(items, lang):
    for key, obj in items.items():
        if not isinstance(obj, Result):
            continue
        table = obj.summary()
        fallback = {labels.label(c, lang) for c in table.columns if not labels.registered(c)}
        assert not (set(obj.format(lang=lang).columns) & fallback), key


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_method_is_named_in_words(items, lang):
    for key, obj in items.items():
        method = getattr(obj, "meta", {}).get("method") if isinstance(obj, Result) else None
        if method is None:
            continue
        assert labels.registered(f"method.{method}", lang), (key, method)
        words = labels.method_label(method, lang)
        assert words != method and " " in words, (key, method)


def test_the_method_codes_of_every_verb_are_named():
    from effectstudy.outcomes.effect_size import ES_METHODS
    from effectstudy.outcomes.missing_data import ITT_METHODS
    from effectstudy.outcomes.reliable_change import METHODS

    for code in (*ES_METHODS, *METHODS, *ITT_METHODS):
        assert labels.registered(f"method.{code}"), code
    assert labels.method_label("b", "nl").startswith("Becker's d: gemiddelde verbetering gedeeld door de SD")
    assert labels.method_label("b", "en").startswith("Becker's d: mean improvement divided by the pre-test SD")
    assert labels.method_label("jt", "en") == "Jacobson & Truax (1991)"


def test_the_fall_back_keeps_a_display_text_and_flags_a_code():
    assert labels.label("p (gecorrigeerd)", "nl") == "p (gecorrigeerd)"
    assert labels.label("Type III SS", "en") == "Type III SS"
    assert labels.label("share_of_nothing", "nl") == "Share of nothing"
    assert not labels.registered("share_of_nothing")
    assert labels.registered("ci_low") and not labels.registered("ci_low", "de")
