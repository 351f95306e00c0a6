"""The shared figure helpers: words in the figure's language, titles, alt text, data, fitted ticks."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from effectstudy.core.plotting import (  # noqa: E402
    category_bars,
    describe_figure,
    figure_meta,
    fit_ticks,
    forest,
    group_name,
    plot_lang,
    standardiser_text,
)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_group_names_are_labels_with_their_grouping():
    assert group_name("anxiety", "nl", "diagnosis") == "Diagnosegroep: angst"
    assert group_name("basic", "nl", "care_type") == "Zorgvorm: basis-GGZ"
    assert group_name("brain_injury", "en") == "acquired brain injury"
    assert group_name("Team Noord", "nl", "diagnosis") == "Diagnosegroep: Team Noord"  # own values as they are


def test_plot_language_is_the_argument_else_the_results_own_else_dutch():
    assert plot_lang("en", {"lang": "nl"}) == "en"
    assert plot_lang(None, {"lang": "en"}) == "en"
    assert plot_lang(None, {}) == "nl"
    with pytest.raises(ValueError, match="lang"):
        plot_lang("de", {})


@pytest.mark.parametrize(("orientation", "lang", "expected"), [
    ("improvement positive", "nl", "gemiddelde verbetering gedeeld door de SD van de voormeting; positief = verbetering"),
    ("improvement positive", "en", "mean improvement divided by the SD of the pre scores; positive = improvement"),
    ("post - pre", "nl", "gemiddelde verandering (nameting min voormeting) gedeeld door de SD van de voormeting"),
])
def test_the_standardiser_and_the_sign_are_named(orientation, lang, expected):
    assert standardiser_text({"method": "b", "orientation": orientation}, lang) == expected


def test_a_standardiser_code_is_never_shown_but_a_text_per_language_is():
    assert "sd_pre" not in standardiser_text({"method": "b", "standardiser": "sd_pre"}, "nl")
    own = {"standardiser": {"nl": "gedeeld door de norm-SD", "en": "divided by the norm SD"},
           "orientation": "improvement positive"}
    assert standardiser_text(own, "en") == "divided by the norm SD; positive = improvement"


def _table():
    t = pd.DataFrame({"grouping": ["all", "diagnosis", "diagnosis", "care_type"],
                      "group": ["all", "anxiety", "brain_injury", "basic"], "n": [60, 30, 10, 20],
                      "estimate": [0.7, 0.8, 0.5, 0.6]})
    t["ci_low"], t["ci_high"] = t["estimate"] - 0.2, t["estimate"] + 0.2
    return t


def test_forest_labels_groups_names_the_standardiser_and_carries_its_data():
    meta = {"method": "b", "estimate_name": "Becker's d", "ci": 0.95, "orientation": "improvement positive"}
    ax = forest(_table(), meta, lang="nl")
    ticks = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]  # long names wrapped
    assert ticks == ["alle (n=60)", "Diagnosegroep: angst (n=30)",
                     "Diagnosegroep: niet-aangeboren hersenletsel (n=10)", "Zorgvorm: basis-GGZ (n=20)"]
    assert [t.get_position()[1] for t in ax.get_yticklabels()] == [3, 2, 1, 0]  # the first row on top
    xlabel = ax.get_xlabel().replace("\n", " ")
    assert xlabel.startswith("Becker's d (95% BI)") and "positief = verbetering" in xlabel
    assert "SD van de voormeting" in xlabel
    ax.figure.canvas.draw()
    assert all("," in t.get_text() or t.get_text().lstrip("−-").isdigit() for t in ax.get_xticklabels())
    title, alt, data = figure_meta(ax.figure)
    assert title == ax.get_title() == "Effectgrootte met betrouwbaarheidsinterval"
    assert "95%" in alt and "Becker's d" in alt
    assert list(data.columns) == ["grouping", "group", "n", "estimate", "ci_low", "ci_high"] and len(data) == 4


def test_forest_with_a_definition_uses_it_on_the_axis():
    ax = forest(_table(), {"ci": 0.9}, lang="en", definition="d: mean improvement / SD pre")
    assert ax.get_xlabel() == "d: mean improvement / SD pre (90% CI)"


def test_category_bars_are_horizontal_per_group_with_a_percent_axis():
    rows = [{"group": g, "category": c, "n": 1, "proportion": p} for g in ("anxiety", "brain_injury")
            for c, p in (("improved", 0.25), ("unchanged", 0.75))]
    ax = category_bars(pd.DataFrame(rows), lang="nl", grouping="diagnosis")
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["angst", "niet-aangeboren hersenletsel"]
    assert ax.get_ylabel() == "Diagnosegroep"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0%", "20%", "40%", "60%", "80%", "100%"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["verbeterd", "onveranderd"]
    assert ax.figure.es_alt.startswith("Gestapelde staven: per diagnosegroep")


def test_describe_figure_titles_the_axes_and_keeps_the_data_apart():
    _, ax = plt.subplots()
    data = pd.DataFrame({"x": [1, 2]}, index=[5, 6])
    describe_figure(ax, title="Titel", alt="Twee punten.", data=data)
    data.loc[5, "x"] = 99  # the figure keeps its own copy
    assert figure_meta(ax.figure)[2]["x"].tolist() == [1, 2]
    assert ax.get_title() == "Titel"


def test_fit_ticks_rotates_crowded_labels_until_they_no_longer_overlap():
    fig, ax = plt.subplots(figsize=(3, 2))
    names = ["depression", "personality", "anxiety", "brain_injury", "burnout"]
    ax.bar(names, [1, 2, 3, 4, 5])
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in ax.get_xticklabels()]
    assert any(a.overlaps(b) for a, b in zip(boxes, boxes[1:], strict=False))  # crowded before
    fit_ticks(ax, "x")
    boxes = [t.get_window_extent() for t in ax.get_xticklabels()]
    assert not any(a.overlaps(b) for a, b in zip(boxes, boxes[1:], strict=False))
    assert ax.get_xticklabels()[0].get_rotation() > 0


def test_fit_ticks_leaves_labels_that_fit_alone():
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar(["a", "b"], [1, 2])
    fit_ticks(ax, "x")
    assert ax.get_xticklabels()[0].get_rotation() == 0
    assert np.isclose(ax.get_xticklabels()[1].get_rotation(), 0)
