"""Report tables: numbered titles in the report's language, accessible HTML, and tables that
fit the printed page (split for display only; the CSV and results.json keep the whole table)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from effectstudy.core.errors import ArgumentError
from effectstudy.core.results import TableResult
from effectstudy.reports.output import PAGE_WIDTH_MM, ReportOutput, split_columns

matplotlib.use("Agg")

#: the columns of an effect-size table (the widest table of the effect study)
_ES_COLUMNS = ("n", "small_n", "estimate", "ci_low", "ci_high", "mean_pre", "sd_pre", "mean_post", "sd_post",
               "r", "mean_change", "sd_change", "t", "df", "p", "wilcoxon_v", "wilcoxon_p")


@dataclass(frozen=True, repr=False)
class _Wide(TableResult):
    title = "Pre/post effect sizes"
    display_parts = (("part_estimate", ("n", "small_n", "estimate", "ci_low", "ci_high")),
                     ("part_descriptives", ("mean_pre", "sd_pre", "mean_post", "sd_post", "r",
                                            "mean_change", "sd_change")),
                     ("part_tests", ("t", "df", "p", "wilcoxon_v", "wilcoxon_p")))


def _wide_table() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = {"scale": ["PSNEUR"] * 3, "grouping": ["all", "diagnosis", "diagnosis"],
            "group": ["all", "brain_injury", "somatic"]}
    for c in _ES_COLUMNS:
        rows[c] = rng.normal(200, 50, 3)
    rows["small_n"] = [False, True, False]
    return pd.DataFrame(rows)


@pytest.fixture
def shown(monkeypatch):
    calls: list = []
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: calls.append(a[0]))
    yield calls
    plt.close("all")


def _captions(html: str) -> list[str]:
    return re.findall(r"<caption>([^<]*)</caption>", html)


def _printed_width(html_table: str) -> float:
    """The width split_columns estimates for one rendered table's cells."""
    rows = re.findall(r"<tr>(.*?)</tr>", html_table)
    cells = [re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", r) for r in rows]
    frame = pd.DataFrame(cells[1:], columns=cells[0])
    return sum(_widths(frame))


def _widths(frame: pd.DataFrame):
    from effectstudy.reports import output

    for i in range(frame.shape[1]):
        yield output._column_width_mm(frame.iloc[:, i], frame.columns[i])


def test_tables_and_figures_are_numbered_apart_in_the_order_shown(tmp_path, shown):
    out = ReportOutput(tmp_path, lang="en")
    out.show("a", pd.DataFrame({"group": ["x"], "n": [3]}), caption="Counts")
    fig, ax = plt.subplots()
    assert out.numbered("figure", "Scores") == "Figure 1. Scores"
    out.show("b", pd.DataFrame({"group": ["x"], "n": [4]}), caption="More counts")
    assert _captions(shown[0]["text/html"]) == ["Table 1. Counts"]
    assert _captions(shown[1]["text/html"]) == ["Table 2. More counts"]
    assert out._number("figure") == 2
    with pytest.raises(ArgumentError, match="kind: got 'chart'"):
        out._number("chart")


def test_a_dutch_report_numbers_in_dutch_and_titles_from_the_label_table(tmp_path, shown):
    out = ReportOutput(tmp_path, lang="nl")
    out.show("effect_sizes", _Wide(table=_wide_table().iloc[:, :8], meta={"method": "b"}))
    out.show("end_reasons", pd.DataFrame({"end_reason": ["regular"], "n": [208], "proportion_closed": [0.693]}))
    first, second = (c["text/html"] for c in shown)
    assert _captions(first) == ["Tabel 1. Effectgroottes voor/na"]
    assert "Methode: Becker's d: gemiddelde verbetering gedeeld door de SD van de voormeting" in first
    assert _captions(second) == ["Tabel 2. Redenen van beëindiging"]
    assert "<td>69%</td>" in second and "<td>regulier</td>" in second


def test_table_html_is_accessible(tmp_path, shown):
    out = ReportOutput(tmp_path, lang="en")
    df = pd.DataFrame({"": [1.5], "n": [3]}, index=pd.Index(["a"]))
    out.show("t", df, caption="Caption")
    html = shown[0]["text/html"]
    assert html.count("<caption>") == 1 and "<th>" not in html
    headers = re.findall(r'<th scope="(?:col|row)">([^<]*)</th>', html)
    assert headers and all(h.strip() for h in headers)  # no empty header cell (the index is named)
    assert '<th scope="row">a</th>' in html


def test_a_wide_table_is_split_into_parts_that_fit_the_page(tmp_path, shown):
    out = ReportOutput(tmp_path, lang="en")
    table = _wide_table()
    out.show("effect_sizes", _Wide(table=table, meta={"method": "b"}))
    html = shown[0]["text/html"]
    assert _captions(html) == ["Table 1. Pre/post effect sizes: estimate and confidence interval",
                               "Table 2. Pre/post effect sizes: means and SDs pre and post",
                               "Table 3. Pre/post effect sizes: tests"]
    tables = re.findall(r"<table.*?</table>", html)
    assert len(tables) == 3
    for t in tables:
        # every part repeats the key columns and fits the page
        assert re.findall(r'<th scope="col">([^<]*)</th>', t)[:3] == ["Scale", "Grouping", "Group"]
        assert _printed_width(t) <= PAGE_WIDTH_MM
    # the recorded table is whole
    assert list(pd.read_csv(tmp_path / "tables" / "effect_sizes.csv").columns) == list(table.columns)
    assert set(out.results["effect_sizes"]["summary"][0]) == set(table.columns)


def test_a_wide_dataframe_without_parts_is_split_greedily_keeping_intervals_whole():
    shown = pd.DataFrame({"status": ["stagnated"], **{f"share_{i}": ["100%"] for i in range(20)},
                          "share_9_ci_low": ["98%"], "share_9_ci_high": ["99%"]})
    cols = list(shown.columns)
    cols.insert(cols.index("share_9") + 1, cols.pop(cols.index("share_9_ci_low")))
    cols.insert(cols.index("share_9_ci_low") + 1, cols.pop(cols.index("share_9_ci_high")))
    shown = shown[cols]
    source = shown.copy()
    for c in cols[1:]:
        source[c] = 0.5
    parts = split_columns(shown, source)
    assert len(parts) > 1
    names = [[cols[i] for i in p] for _, p in parts]
    assert all(n[0] == "status" for n in names)
    home = [n for n in names if "share_9" in n][0]
    assert "share_9_ci_low" in home and "share_9_ci_high" in home
    assert sorted({c for n in names for c in n}) == sorted(cols)


def test_a_narrow_table_stays_whole():
    t = pd.DataFrame({"category": ["recovered"], "n": ["8"], "proportion": ["4%"]})
    assert split_columns(t, t) == [(None, [0, 1, 2])]


def test_one_wide_row_is_shown_as_a_column_of_figures(tmp_path, shown):
    out = ReportOutput(tmp_path, lang="en")
    row = pd.DataFrame({f"n_{i}_of_something_long": [float(i)] for i in range(20)})
    out.show("course", row, caption="Course")
    html = shown[0]["text/html"]
    assert _captions(html) == ["Table 1. Course"]
    assert re.findall(r'<th scope="col">([^<]*)</th>', html) == ["Statistic", "Value"]
    assert html.count("<tr>") == 21 and "<td>N 3 of something long</td><td>3</td>" in html
    assert list(pd.read_csv(tmp_path / "tables" / "course.csv").columns) == list(row.columns)


def test_numeric_key_columns_start_every_named_part():
    # a sensitivity table: the window and threshold columns are numbers, yet they identify the row
    names = ["window_start", "window_end", "n", "rate", "ci_low", "mean_progress", "current"]
    source = pd.DataFrame({c: [1.0] for c in names})
    shown = pd.DataFrame({c: ["12345678901234567890"] for c in names})  # 7 x 36 mm: too wide
    parts = split_columns(shown.rename(columns=dict(zip(names, [f"{c} label" for c in names], strict=True))),
                          source, (("part_rate", ("n", "rate", "ci_low")), ("part_progress", ("mean_progress", "current"))))
    assert parts == [("part_rate", [0, 1, 2, 3, 4]), ("part_progress", [0, 1, 5, 6])]


@dataclass(frozen=True, repr=False)
class _OwnHtml(TableResult):
    title = "Pre/post effect sizes"

    def _repr_html_(self) -> str:
        from effectstudy.core.results import table_html

        return (table_html(self.table, caption="First") + "<p>between</p>"
                + table_html(self.table, caption="Second"))


@dataclass(frozen=True, repr=False)
class _NoTable(TableResult):
    title = "Pre/post effect sizes"

    def _repr_html_(self) -> str:
        return "<div><p>No further approaches chosen.</p></div>"


def test_a_result_naming_its_own_tables_gets_each_numbered(tmp_path, shown):
    out = ReportOutput(tmp_path, lang="en")
    t = pd.DataFrame({"group": ["a"], "n": ["3"]})
    out.show("own", _OwnHtml(table=t))
    out.show("none", _NoTable(table=t))
    out.show("after", t, caption="After")
    assert _captions(shown[0]["text/html"]) == ["Table 1. First", "Table 2. Second"]
    assert "Table" not in shown[1]["text/html"]  # no table, no number
    assert _captions(shown[2]["text/html"]) == ["Table 3. After"]


@pytest.mark.parametrize(("lang", "name"), [("nl", "Psychoneuroticisme (PSNEUR)"), ("en", "Psychoneuroticism (PSNEUR)")])
def test_scale_codes_are_shown_by_their_registry_name(lang, name):
    from effectstudy.outcomes.effect_size import EffectSizeResult

    r = EffectSizeResult(table=pd.DataFrame({"scale": ["PSNEUR"], "n": [3], "small_n": [True]}),
                         meta={"method": "b", "instrument": "scl90_nl"})
    shown = r.format(lang)
    assert shown.iloc[0, 0] == name and shown.iloc[0, 2] == "*"
    # without the instrument the code stays (the table cannot know whose scale it is)
    assert EffectSizeResult(table=r.table, meta={"method": "b"}).format(lang).iloc[0, 0] == "PSNEUR"
