"""What the yearly summary shows: the overall and per-group views, the trend over years and its
plot, the figures without a satisfaction file, group order, and the orientation of the effect
size (issue 21, mutation testing of ``effectstudy.reports.yearly``).

The key-figure rows are written out here; every expected string follows from them by hand
(e.g. 200 complete of 400 ended = 50%, 10 recovered of 200 complete = 5%).
"""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from effectstudy.core.params import EffectSizeSpec
from effectstudy.course.stagnation import StagnationResult
from effectstudy.data.pairing import PairResult
from effectstudy.outcomes.clinical_significance import ClinicalSignificanceResult
from effectstudy.reports.yearly import KeyFigures, PublishedTables, key_figures, trend

ROW = {"year": 2024, "group": "all", "n": 400, "n_complete": 200, "n_recovered": 10,
       "n_improved": 100, "n_unchanged": 50, "n_deteriorated": 20, "n_harmed": 20,
       "n_reliably_improved": 110, "n_evaluable": 20, "n_stagnated": 10, "n_issued": 30,
       "n_returned": 15, "n_graded": 15, "effect_size": 0.35, "effect_size_ci_low": 0.1,
       "effect_size_ci_high": 0.6, "mean_grade": 7.5}
#: a year with too few episodes: every figure suppressed
TINY = {"year": 2023, "n": 8, "n_complete": 6, "n_recovered": 1, "n_improved": 2,
        "n_unchanged": 1, "n_deteriorated": 1, "n_harmed": 1, "n_reliably_improved": 3,
        "n_evaluable": 4, "n_stagnated": 1, "n_issued": 4, "n_returned": 2, "n_graded": 2}


def _kf(groups: list[dict] | None = None, **changes) -> KeyFigures:
    total = {**ROW, **changes}
    tables = {"all": pd.DataFrame([total])}
    if groups is not None:
        tables["dx"] = pd.DataFrame([*({**total, **g} for g in groups), total])
    return KeyFigures(meta={"effect_size": "b", "adjust": True}, tables=tables)


def _column(view: pd.DataFrame, i: int) -> list[str]:
    return list(view.iloc[:, i])


def test_overall_view_lists_counts_with_their_share_and_the_effect_size_with_its_ci():
    """Rows in report order; a share follows its count (also a one-digit share: 10 of 200
    recovered = 5%); the effect size (4th row) carries its CI; the report's repr is that view
    without an index."""
    pub = _kf().published(threshold=10, rounding_base=5)
    v = pub.view()
    assert _column(v, 0) == ["afgesloten behandeltrajecten", "met voor- en nameting",
                             "betrouwbaar verbeterd", "effectgrootte (Becker's d, verbetering)", "hersteld",
                             "verslechterd", "stagnatie na 3-5 sessies", "formulieren terug",
                             "gemiddeld rapportcijfer"]
    # 200/400 = 50%, 110/200 = 55%, 10/200 = 5%, 20/200 = 10%, 10/20 = 50%, 15/30 = 50%
    assert _column(v, 1) == ["400", "200 (50%)", "110 (55%)", "0,35 [0,10; 0,60]", "10 (5%)",
                             "20 (10%)", "10 (50%)", "15 (50%)", "7,5"]
    assert list(pub.view("en").columns) == ["Figure", "Value"]
    assert pub.shown("pct_recovered") == "5%" and pub.shown("n") == "400"
    lines = repr(pub).splitlines()
    assert lines[0].split() == ["Kengetal", "Waarde"]
    assert lines[1].split()[:2] == ["afgesloten", "behandeltrajecten"]


def test_negative_effect_size_keeps_its_ci_and_a_hidden_one_shows_no_ci():
    neg = _kf(effect_size=-0.2, effect_size_ci_low=-0.45, effect_size_ci_high=0.05)
    assert neg.published().view()["Waarde"][3] == "-0,20 [-0,45; 0,05]"
    hidden = _kf(n_complete=9, n_recovered=1, n_improved=2, n_unchanged=2, n_deteriorated=2,
                 n_harmed=2, n_reliably_improved=3).published(threshold=10, rounding_base=5)
    es_ = hidden.view()["Waarde"][3]
    assert "[" not in es_ and not es_[:1].isdigit()


def test_group_view_has_one_row_per_group_and_the_total_last():
    pub = _kf([{"group": "A", "n": 200, "n_complete": 100, "n_recovered": 10,
                "n_improved": 40, "n_unchanged": 30, "n_deteriorated": 10, "n_harmed": 10,
                "n_reliably_improved": 50, "n_evaluable": 10, "n_stagnated": 5, "n_issued": 15,
                "n_returned": 8, "n_graded": 8},
               {"group": "B", "n": 200, "n_complete": 100, "n_recovered": 0,
                "n_improved": 60, "n_unchanged": 20, "n_deteriorated": 10, "n_harmed": 10,
                "n_reliably_improved": 60, "n_evaluable": 10, "n_stagnated": 5, "n_issued": 15,
                "n_returned": 7, "n_graded": 7}]).published("dx", threshold=10, rounding_base=5)
    v = pub.view()
    assert list(v.columns[:3]) == ["Groep", "n afgesloten", "% met voor- en nameting"]
    assert list(v["Groep"]) == ["A", "B", "totaal"]
    assert list(v["n afgesloten"]) == ["200", "200", "400"]
    assert pub.value("n", "B") == 200 and pub.shown("pct_complete", "A") == "50%"
    both = PublishedTables(meta={}, parts={"all": _kf().published(), "dx": pub})
    s = both.summary()
    assert list(s["grouping"]) == ["all", "dx", "dx", "dx"] and list(s.index) == [0, 1, 2, 3]


def _minimal(ids, groups=None, better_is="lower", scores=None):
    pairs = PairResult(patients=pd.DataFrame({"episode_id": ids, "status": "paired"}), meta={},
                       data=scores if scores is not None else pd.DataFrame(
                           columns=["episode_id", "time", "score"]), flow=pd.DataFrame())
    outcome = ClinicalSignificanceResult(patients=pd.DataFrame({"category": "improved"}, index=ids),
                                         meta={"better_is": better_is, "method": "jt"})
    stagnation = StagnationResult(patients=pd.DataFrame({"status": "on_track"}, index=ids), meta={})
    episodes = pd.DataFrame({"episode_id": ids})
    if groups is not None:
        episodes["dx"] = groups
    return dict(episodes=episodes, pairs=pairs, outcome=outcome, stagnation=stagnation)


def test_without_satisfaction_file_no_forms_are_counted():
    kf = key_figures(**_minimal(["e1", "e2"]), satisfaction=None, effect_size=EffectSizeSpec())
    t = kf.summary().iloc[0]
    assert (t["n_issued"], t["n_returned"], t["n_graded"]) == (0, 0, 0) and np.isnan(t["mean_grade"])


def test_groups_are_sorted_and_a_missing_group_value_is_unknown():
    kf = key_figures(**_minimal(["e1", "e2", "e3", "e4"], groups=["mood", None, "anxiety", "mood"]),
                     satisfaction=None, effect_size=EffectSizeSpec(), groups=["dx"])
    t = kf.tables["dx"]
    assert list(t["group"]) == ["anxiety", "mood", "unknown", "all"]
    assert list(t["n"]) == [1, 2, 1, 4]


def test_effect_size_is_the_improvement_for_either_direction_of_the_scale():
    """The same change scored on a mirrored scale (score -> -score, higher = better) gives the
    same effect size and CI: positive = improvement, whatever ``better_is``."""
    ids = [f"e{i}" for i in range(5)]
    rows = [(e, "pre", 20.0 + i) for i, e in enumerate(ids)] + [
        (e, "post", 14.0 + 2 * (i % 3)) for i, e in enumerate(ids)]
    data = pd.DataFrame(rows, columns=["episode_id", "time", "score"])
    lower = key_figures(**_minimal(ids, scores=data), satisfaction=None,
                        effect_size=EffectSizeSpec()).summary().iloc[0]
    higher = key_figures(**_minimal(ids, better_is="higher", scores=data.assign(score=-data["score"])),
                         satisfaction=None, effect_size=EffectSizeSpec()).summary().iloc[0]
    cols = ["effect_size", "effect_size_ci_low", "effect_size_ci_high"]
    assert lower["effect_size"] > 0
    assert higher[cols].to_numpy(float) == pytest.approx(lower[cols].to_numpy(float), rel=1e-12)


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """2023: too few episodes (everything suppressed); 2024: ROW with a different recovery."""
    p23 = _kf(**TINY).published(threshold=10, rounding_base=5)
    h = tmp_path_factory.mktemp("history") / "results.json"
    h.write_text(json.dumps({"key_figures": p23.to_dict()}))
    return trend([h], _kf(n_recovered=20, n_improved=90).published(threshold=10, rounding_base=5))


def test_trend_wide_shows_one_row_per_year_and_x_for_suppressed_figures(history):
    assert list(history.table.columns) == ["year", "figure", "value"]
    w = history.wide()
    assert list(w.columns[:3]) == ["Jaar", "n afgesloten", "% met voor- en nameting"]
    # 2024: 400 ended, 200/400 = 50%, 110/200 = 55%, 20/200 = 10%, 10/20 = 50%, 15/30 = 50%
    assert w.iloc[1, 1:].tolist() == ["400", "50%", "55%", "10%", "0,35", "50%", "50%", "7,5"]
    assert w.iloc[0, 1:].tolist() == ["x"] * 8
    assert history.wide("en").columns[1] == "n ended"


def test_trend_report_view_has_a_row_per_figure_and_a_column_per_year(history):
    """The report shows the trend transposed (narrow for any number of figures), the effect size
    named with its standardiser, under the title "Kengetallen per jaar" (issue 16)."""
    v = history.format("nl")
    assert list(v.columns) == ["Kengetal", "2023", "2024"]
    assert v["Kengetal"].tolist()[:5] == ["n afgesloten", "% met voor- en nameting", "% betrouwbaar verbeterd",
                                          "% hersteld", "effectgrootte (Becker's d, verbetering)"]
    assert v["2024"].tolist()[:5] == ["400", "50%", "55%", "10%", "0,35"] and set(v["2023"]) == {"x"}
    en = history.format("en")
    assert list(en.columns) == ["Figure", "2023", "2024"] and en.iloc[4, 0] == "effect size (Becker's d, improvement)"
    assert history.meta_lines("nl") == [] and history.meta["effect_size_method"] == "b"
    from effectstudy.core.labels import label
    assert (label(history.title, "nl"), label(history.title, "en")) == ("Kengetallen per jaar", "Key figures per year")
    html = history._repr_html_()
    assert "Kengetallen per jaar" in html and ">Kengetal<" in html


def test_trend_refuses_years_with_different_effect_sizes(history, tmp_path):
    """A trend compares one effect size: years that recorded different standardisers are
    refused, naming both; a year that recorded none (an older run) is accepted."""
    from effectstudy.core.errors import DataError
    p23 = _kf(year=2023).published(threshold=10, rounding_base=5).to_dict()
    p23["effect_size"]["method"] = "z"
    h = tmp_path / "results.json"
    h.write_text(json.dumps({"key_figures": p23}))
    with pytest.raises(DataError, match=r"2023 and 2024 published different effect sizes \(2023: dz, 2024: Becker's d\)"):
        trend([h], _kf().published(threshold=10, rounding_base=5))
    del p23["effect_size"]
    h.write_text(json.dumps({"key_figures": p23}))
    assert trend([h], _kf().published(threshold=10, rounding_base=5)).meta["effect_size_method"] == "b"


def test_trend_plot_draws_published_percentages_with_gaps(history):
    ax = history.plot()
    try:
        # shares on a 0-1 axis shown as percentages (the plot's layout: tests/reports/test_figure_layout.py)
        assert ax.get_ylim() == (0, 1)
        ys = [list(line.get_ydata()) for line in ax.get_lines()]
        assert [y[1] for y in ys] == pytest.approx([0.55, 0.10, 0.50]) and all(np.isnan(y[0]) for y in ys)
        assert not ax.get_legend().get_frame_on()
        _, own = plt.subplots()
        assert history.plot(ax=own) is own
    finally:
        plt.close("all")
