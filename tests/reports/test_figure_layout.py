"""Every figure the four reports draw: no two texts overlap, none falls outside the figure,
every figure is titled and carries its alt text and data, and its words are of its language
(the reports' checker, ``tests/language.py``: no word of the other language, no raw code).

The figures are drawn from the shipped demo data (``params/demo.yaml``,
``params/student-example.yaml`` with care type and with the 7 diagnosis groups,
``params/demo-yearly-2024.yaml``) in Dutch and in English.  After ``fig.canvas.draw()`` the
window extent of each visible text (tick labels inside the view, axis labels, titles, legend
entries and title, annotations, figure texts) is compared with every other one.  A control
figure with deliberately crowded tick labels shows that the check can fail.
"""

from __future__ import annotations

import itertools
import json
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import effectstudy as es  # noqa: E402
from effectstudy.core.jsonable import jsonable  # noqa: E402
from effectstudy.core.plotting import category_bars, forest  # noqa: E402
from tests.language import problems  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

#: the figures of the reports need the demo studies computed (about a minute)
slow = pytest.mark.slow

#: pixels two boxes may share (anti-aliasing of adjacent glyphs), and may stick out of the figure
TOLERANCE = 1.0

#: whole texts the reports showed as axis names before (a column name is no label)
RAW_LABELS = ("score", "time", "pre", "post", "group", "care_type", "diagnosis", "%")


def _texts(fig) -> list[Text]:
    """The visible, non-empty texts drawn on ``fig`` (tick labels only inside the view)."""
    out: list[Text] = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for axis in (ax.xaxis, ax.yaxis):
            if not ax.axison or not axis.get_visible():
                continue
            lo, hi = sorted(axis.get_view_interval())
            eps = 1e-9 * max(1.0, abs(lo), abs(hi))
            for tick in itertools.chain(axis.get_major_ticks(), axis.get_minor_ticks()):
                if lo - eps <= tick.get_loc() <= hi + eps:
                    out += [t for t in (tick.label1, tick.label2) if t.get_visible()]
            out += [axis.label, axis.get_offset_text()]
        out += [ax.title, ax._left_title, ax._right_title, *ax.texts]
        if ax.get_legend() is not None:
            out += [*ax.get_legend().get_texts(), ax.get_legend().get_title()]
    for legend in fig.legends:
        out += [*legend.get_texts(), legend.get_title()]
    out += list(fig.texts)
    if getattr(fig, "_suptitle", None) is not None:
        out.append(fig._suptitle)
    return [t for t in out if t.get_visible() and t.get_text().strip()]


def layout_problems(fig) -> list[str]:
    """Overlapping texts and texts outside the figure, in words (empty when the layout is clean)."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(r)) for t in _texts(fig)]
    problems = []
    fb = fig.bbox
    for text, b in boxes:
        if (b.x0 < fb.x0 - TOLERANCE or b.y0 < fb.y0 - TOLERANCE or b.x1 > fb.x1 + TOLERANCE
                or b.y1 > fb.y1 + TOLERANCE):
            problems.append(f"outside the figure: {text!r}")
    for (ta, a), (tb, b) in itertools.combinations(boxes, 2):
        w = min(a.x1, b.x1) - max(a.x0, b.x0)
        h = min(a.y1, b.y1) - max(a.y0, b.y0)
        if w > TOLERANCE and h > TOLERANCE:
            problems.append(f"overlap: {ta!r} and {tb!r}")
    return problems


def words(fig) -> str:
    return " | ".join(t.get_text() for t in _texts(fig))


# ---------------------------------------------------------------------------- the control
def test_the_check_finds_crowded_tick_labels_and_text_outside_the_figure():
    fig, ax = plt.subplots(figsize=(3, 2))
    names = ["depression", "personality", "anxiety", "brain_injury", "burnout"]
    ax.bar(names, [1, 2, 3, 4, 5])
    ax.set_title("crowded")
    problems = layout_problems(fig)
    assert any(p.startswith("overlap: 'depression' and 'personality'") for p in problems), problems
    fig.text(0.95, 0.5, "a long text running out of the figure")
    assert any(p.startswith("outside the figure") for p in layout_problems(fig))
    plt.close(fig)


def test_a_clean_figure_passes():
    fig, ax = plt.subplots(figsize=(5, 4), layout="constrained")
    ax.plot([0, 1], [0, 1], label="line")
    ax.set_xlabel("x")
    ax.set_title("title")
    ax.legend()
    assert layout_problems(fig) == []
    plt.close(fig)


# ---------------------------------------------------------------------------- the reports
def _quiet(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make()


@pytest.fixture(scope="module")
def effect_study():
    study = _quiet(lambda: es.Study.from_params("params/demo.yaml"))
    out = {}
    out["flow"] = study.flow()
    out["effects"] = _quiet(study.effect_sizes)
    out["cs"] = _quiet(study.clinical_significance)
    out["cs_groups"] = _quiet(lambda: study.clinical_significance(group=study.analysis.groups[0]))
    out["stagnation"] = _quiet(study.stagnation)
    out["course"] = _quiet(study.treatment_course)
    out["trajectories"] = _quiet(study.trajectories)
    # computed by the report but not drawn there: their plots are checked all the same
    out["approaches"] = _quiet(study.approaches)
    out["followup"] = _quiet(study.stagnation_followup)
    out["satisfaction"] = _quiet(study.satisfaction)
    out["signal"] = _quiet(study.not_on_track_accuracy)
    return out


@pytest.fixture(scope="module")
def student():
    out = {}
    for group in ("care_type", "diagnosis"):
        study = _quiet(lambda g=group: es.Study.from_params("params/student-example.yaml",
                                                            {"group": g}))
        out[group] = _quiet(study.ancova)
    return out


@pytest.fixture(scope="module")
def yearly(tmp_path_factory):
    """The demo's 2024 trend, its 2023 history made here (``make demo`` writes it to reports/,
    which a fresh checkout does not have)."""
    def published(params, **overrides):
        study = _quiet(lambda: es.Study.from_params(ROOT / "params" / params, overrides))
        return study, _quiet(lambda: study.published(study.key_figures()))

    _, p23 = published("demo-yearly-2023.yaml")
    history = tmp_path_factory.mktemp("history") / "results.json"
    history.write_text(json.dumps({"key_figures": jsonable(p23.to_dict())}), encoding="utf-8")
    study, p24 = published("demo-yearly-2024.yaml", history=[str(history)])
    return _quiet(lambda: study.trend(p24))


EFFECT_STUDY = {
    "flow_plot": lambda r, lang: r["flow"].plot(lang=lang),
    "effect_sizes_plot": lambda r, lang: r["effects"].plot(lang=lang),
    "jacobson_truax_plot": lambda r, lang: r["cs"].plot(lang=lang),
    "categories_plot": lambda r, lang: r["cs_groups"].plot(kind="bars", lang=lang),
    "stagnation_plot": lambda r, lang: r["stagnation"].plot(lang=lang),
    "treatment_course_plot": lambda r, lang: r["course"].plot(lang=lang),
    "outcome_by_length_plot": lambda r, lang: r["course"].plot(kind="length", lang=lang),
    "trajectories_plot": lambda r, lang: r["trajectories"].plot(lang=lang),
    "approaches_plot": lambda r, lang: r["approaches"].plot(lang=lang),
    "followup_plot": lambda r, lang: r["followup"].plot(lang=lang),
    "satisfaction_plot": lambda r, lang: r["satisfaction"].plot(lang=lang),
    "signal_plot": lambda r, lang: r["signal"].plot(lang=lang),
}
STUDENT = ("means", "residuals", "qq", "slopes")


def _check(ax, lang: str) -> None:
    fig = ax.get_figure(root=True) if hasattr(ax, "get_figure") else ax.figure
    try:
        assert layout_problems(fig) == []
        assert getattr(fig, "es_title", ""), "the figure has no title"
        assert any(a.get_title() for a in fig.axes) or fig._suptitle is not None
        assert getattr(fig, "es_alt", ""), "the figure has no alt text"
        assert isinstance(getattr(fig, "es_data", None), pd.DataFrame) and len(fig.es_data)
        shown = words(fig)
        # no word of the other language, no raw code: the reports' checker (tests/language.py)
        assert problems(" ".join(t.get_text() for t in _texts(fig)), lang) == [], shown
        for code in ("brain_injury", "care_type", "diagnosis:", "pct_"):
            assert code not in shown, (code, shown)
        assert not [t.get_text() for t in _texts(fig) if t.get_text() in RAW_LABELS], shown
    finally:
        plt.close(fig)


@slow
@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("name", list(EFFECT_STUDY))
def test_effect_study_figures(effect_study, name, lang):
    _check(_quiet(lambda: EFFECT_STUDY[name](effect_study, lang)), lang)


@slow
@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("group", ["care_type", "diagnosis"])
@pytest.mark.parametrize("kind", STUDENT)
def test_student_figures(student, kind, group, lang):
    _check(_quiet(lambda: student[group].plot(kind=kind, lang=lang)), lang)


@slow
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_yearly_trend_figure(yearly, lang):
    ax = yearly.plot(lang=lang)
    # every legend entry has points: a figure without any published value is not drawn, and
    # the alt text names it (the demo publishes no recovery percentage in either year)
    for line in ax.get_lines():
        assert np.isfinite(np.asarray(line.get_ydata(), dtype=float)).any(), line.get_label()
    entries = [t.get_text() for t in ax.get_legend().get_texts()]
    missing = "% hersteld" if lang == "nl" else "% recovered"
    assert missing not in entries and len(entries) == len(ax.get_lines()) == 2
    assert ax.get_figure(root=True).es_alt.endswith(f": {missing}.")
    _check(ax, lang)


# ------------------------------------------------- seven long group names, synthetic tables
SEVEN = ["depression", "anxiety", "ptsd", "burnout", "somatic", "personality", "brain_injury"]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_category_bars_with_seven_long_group_names(lang):
    rows = [{"group": g, "category": c, "n": 5, "proportion": p}
            for g in SEVEN for c, p in (("recovered", 0.2), ("improved", 0.3), ("unchanged", 0.4),
                                        ("deteriorated", 0.1))]
    _check(category_bars(pd.DataFrame(rows), lang=lang, grouping="diagnosis"), lang)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_forest_with_seven_long_group_names(lang):
    t = pd.DataFrame({"grouping": ["all"] + ["diagnosis"] * 7 + ["care_type"] * 2,
                      "group": ["all", *SEVEN, "basic", "specialised"], "n": np.arange(10) + 20,
                      "estimate": np.linspace(0.3, 1.1, 10)})
    t["ci_low"], t["ci_high"] = t["estimate"] - 0.25, t["estimate"] + 0.25
    meta = {"method": "b", "estimate_name": "Becker's d", "ci": 0.95,
            "orientation": "improvement positive"}
    ax = forest(t, meta, lang=lang)
    assert ("positief = verbetering" if lang == "nl" else "positive = improvement") in ax.get_xlabel()
    ticks = [x.get_text() for x in ax.get_yticklabels()]
    assert ("Diagnosegroep: angst (n=22)" if lang == "nl" else "Diagnosis group: anxiety (n=22)") in ticks
    _check(ax, lang)


# ------------------------------------------------------- the report's figure: alt, caption, data
def _described_figure(lang: str):
    rows = [{"group": g, "category": c, "n": 5, "proportion": p}
            for g in ("anxiety", "brain_injury") for c, p in (("improved", 0.4), ("unchanged", 0.6))]
    return category_bars(pd.DataFrame(rows), lang=lang, grouping="diagnosis")


@pytest.mark.parametrize(("lang", "figure", "data"), [("nl", "Figuur 1. Uitkomstcategorieën", "Gegevens bij de figuur"),
                                                      ("en", "Figure 1. Outcome categories", "Data behind the figure")])
def test_a_shown_figure_has_alt_text_a_numbered_caption_and_its_data(tmp_path, monkeypatch, lang, figure, data):
    import re

    from effectstudy.reports.output import ReportOutput

    shown = []
    out = ReportOutput(tmp_path, lang=lang, display=True)
    monkeypatch.setattr(out, "_display_html", lambda html, plain: shown.append(html))
    ax = _described_figure(lang)
    alt = ax.figure.es_alt
    out.show("categories_plot", ax)
    html = shown[0]
    assert re.search(r'<img src="data:image/png;base64,[^"]+" alt="([^"]+)"', html).group(1) == alt
    assert f"<figcaption>{figure}</figcaption>" in html
    assert f"<details class=\"es-figure-data\"><summary>{data}</summary>" in html
    assert ("angst" if lang == "nl" else "anxiety") in html.split("<details")[1]  # the table, labelled
    csv = (tmp_path / "figures" / "categories_plot.csv").read_text()
    assert csv.splitlines()[0] == "group,category,n,proportion" and "brain_injury" in csv  # the codes, for reuse
    assert out.results["categories_plot"] == {"figure": "figures/categories_plot.png"}


def test_a_figure_png_is_the_same_bytes_every_time(tmp_path):
    from effectstudy.reports.output import ReportOutput

    pngs = []
    for run in ("a", "b"):
        out = ReportOutput(tmp_path / run, display=False)
        out.show("categories_plot", _described_figure("nl"))
        pngs.append((tmp_path / run / "figures" / "categories_plot.png").read_bytes())
    assert pngs[0] == pngs[1]


@slow
def test_plots_speak_the_results_own_language_when_none_is_given(effect_study):
    res = effect_study["stagnation"]
    res.meta["lang"] = "en"
    try:
        ax = res.plot()
        assert ax.get_title().startswith("Stagnated episodes")
        ax.figure.canvas.draw()
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        assert ticks[0] == "0%" and ticks[-1] == "100%"  # shares as percent, 0 to 100%
        assert res.plot(lang="nl").get_title().startswith("Gestagneerde trajecten")
    finally:
        del res.meta["lang"]
        plt.close("all")


def test_a_notebook_caption_follows_the_plot_title_as_its_own_sentence(tmp_path, monkeypatch):
    from effectstudy.reports.output import ReportOutput

    shown = []
    out = ReportOutput(tmp_path, lang="nl", display=True)
    monkeypatch.setattr(out, "_display_html", lambda html, plain: shown.append(html))
    out.show("a", _described_figure("nl"), caption="Per diagnosegroep.")
    fig, ax = plt.subplots()  # a figure no plot described: the caption is its title and alt text
    out.show("b", ax, caption="Een lijn")
    assert "<figcaption>Figuur 1. Uitkomstcategorieën. Per diagnosegroep.</figcaption>" in shown[0]
    assert "<figcaption>Figuur 2. Een lijn</figcaption>" in shown[1] and 'alt="Een lijn"' in shown[1]
    assert "<details" not in shown[1] and not (tmp_path / "figures" / "b.csv").exists()
