"""ReportOutput: what is displayed and recorded, key rules, byte-identical result files."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError, ArgumentTypeError
from effectstudy.core.files import find_repo_root
from effectstudy.core.results import Result
from effectstudy.reports.output import (
    ReportOutput,
    SavedFile,
    default_output_dir,
    dumps_stable,
    write_xlsx,
)


@dataclass(frozen=True, repr=False)
class _Effect(Result):
    """A minimal analysis result for the tests."""

    title = "Effect"

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame({"group": ["all"], "estimate": [0.8123456], "ci_low": [0.5], "ci_high": [1.1], "n": [40]})


@pytest.fixture
def shown(monkeypatch):
    """Capture what ReportOutput displays: a list of (data, kwargs)."""
    import IPython.display

    calls: list = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: calls.extend((o, kw) for o in objs))
    return calls


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _make_report(folder: Path) -> ReportOutput:
    out = ReportOutput(folder, display=False)
    out.show("effect", _Effect(meta={"method": "rm", "n_used": 40}))
    out.show("table", pd.DataFrame({"a": [1, 2], "b": [0.1, float("nan")]}), caption="Tabel")
    out.show("a_really_long_table_key_longer_than_31_chars_1", pd.DataFrame({"x": [1]}))
    out.show("a_really_long_table_key_longer_than_31_chars_2", pd.DataFrame({"x": [2]}))
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [1, 3, 2])
    out.show("line", ax)
    out.show("n", np.int64(40))
    out.show("share", 0.1 + 0.2)
    out.text("conclusion", "Most clients **improved**.")
    return out


# ----------------------------------------------------------------------------------- recording
def test_result_recorded_as_to_dict_and_summary_csv(tmp_path, shown):
    out = ReportOutput(tmp_path, lang="nl")
    res = _Effect(meta={"method": "rm", "n_used": 40})
    assert out.show("d", res) is None
    assert out.results["d"] == res.to_dict()
    csv = pd.read_csv(tmp_path / "tables" / "d.csv")
    pd.testing.assert_frame_equal(csv, res.summary())
    html = shown[0][0]["text/html"]
    assert "Schatting" in html and "BI onder" in html  # labels in the report language
    assert "0,81" in html and "0.8123456" not in html  # rounded for display only, decimal comma in Dutch
    assert len(shown) == 1


def test_result_in_english(tmp_path, shown):
    ReportOutput(tmp_path, lang="en").show("d", _Effect())
    assert "Estimate" in shown[0][0]["text/html"]


def test_dataframe_recorded_as_records_and_csv(tmp_path, shown):
    out = ReportOutput(tmp_path)
    df = pd.DataFrame({"group": ["a", "b"], "n": [3, 4], "mean": [1.25, np.nan]})
    out.show("per_group", df, caption="Per groep")
    assert out.results["per_group"] == [{"group": "a", "n": 3, "mean": 1.25}, {"group": "b", "n": 4, "mean": None}]
    assert (tmp_path / "tables" / "per_group.csv").read_text() == "group,n,mean\na,3,1.25\nb,4,\n"
    html = shown[0][0]["text/html"]
    assert "<caption>Tabel 1. Per groep</caption>" in html and "<table" in html


def test_missing_values_shown_as_dash(tmp_path, shown):
    out = ReportOutput(tmp_path)
    out.show("t", pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "g": pd.array(["a", None], dtype="string")}))
    html = shown[0][0]["text/html"]
    assert "&lt;NA&gt;" not in html and html.count("<td>–</td>") == 2
    assert out.results["t"] == [{"n": 1, "g": "a"}, {"n": None, "g": None}]


def test_dataframe_with_index_keeps_index(tmp_path):
    out = ReportOutput(tmp_path, display=False)
    df = pd.DataFrame({"n": [3, 4]}, index=pd.Index(["a", "b"], name="group"))
    out.show("t", df)
    assert out.results["t"] == [{"group": "a", "n": 3}, {"group": "b", "n": 4}]
    assert (tmp_path / "tables" / "t.csv").read_text().startswith("group,n\n")


def test_series_and_styler(tmp_path):
    out = ReportOutput(tmp_path, display=False)
    out.show("s", pd.Series([1, 2], name="n"))
    out.show("styled", pd.DataFrame({"x": [1.5]}).style.format("{:.1f}"))
    assert out.results["s"] == [{"n": 1}, {"n": 2}]
    assert out.results["styled"] == [{"x": 1.5}]
    assert set(out.tables) == {"s", "styled"}


def test_scalars_text_dict_list(tmp_path, shown):
    out = ReportOutput(tmp_path, lang="nl")
    out.show("n", np.int64(12))
    out.show("mean", np.float64(9.1666))
    out.show("flag", True)
    out.show("label", "ok")
    out.show("counts", {"improved": 5, "unchanged": np.int64(2)})
    out.show("years", [2024, 2025])
    out.show("missing", float("nan"))
    assert out.results == {"n": 12, "mean": 9.1666, "flag": True, "label": "ok",
                           "counts": {"improved": 5, "unchanged": 2}, "years": [2024, 2025], "missing": None}
    assert "9,17" in shown[1][0]["text/html"]  # Dutch decimal comma, two decimals as in every display
    out.text("conclusion", "**5** of 7 improved")
    assert out.results["conclusion"] == "**5** of 7 improved"


def test_figure_written_once_and_shown_once(tmp_path, shown):
    out = ReportOutput(tmp_path)
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, 1])
    out.show("line", ax, caption="Een lijn")
    png = tmp_path / "figures" / "line.png"
    assert out.results["line"] == {"figure": "figures/line.png"}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # closed, so the inline backend does not display it a second time at the end of the cell
    assert fig.number not in plt.get_fignums()
    assert len(shown) == 1
    html = shown[0][0]["text/html"]
    assert html.count("<img ") == 1 and "data:image/png;base64," in html and "Een lijn" in html
    assert list((tmp_path / "figures").iterdir()) == [png]


def test_figure_png_is_deterministic(tmp_path):
    def draw(folder: Path) -> bytes:
        out = ReportOutput(folder, display=False)
        fig = plt.figure(figsize=(3, 2))
        fig.add_subplot().bar(["a", "b"], [1, 2])
        out.show("bars", fig)
        return (folder / "figures" / "bars.png").read_bytes()

    a, b = draw(tmp_path / "a"), draw(tmp_path / "b")
    assert a == b
    assert b"tIME" not in a and b"Software" not in a and b"matplotlib" not in a.lower()


def test_axes_array_and_figure(tmp_path):
    out = ReportOutput(tmp_path, display=False)
    fig, axes = plt.subplots(1, 2, figsize=(4, 2))
    out.show("pair", axes)
    assert (tmp_path / "figures" / "pair.png").is_file()


# ----------------------------------------------------------------------------------- keys
def test_duplicate_key_is_an_error_naming_it(tmp_path):
    out = ReportOutput(tmp_path, display=False)
    out.show("n_clients", 3)
    with pytest.raises(ArgumentError, match=r"key: got 'n_clients', expected a key not shown before"):
        out.show("n_clients", 4)
    with pytest.raises(ArgumentError, match="n_clients"):
        out.text("n_clients", "again")
    assert out.results["n_clients"] == 3
    out.show("n_clients", 4, replace=True)
    assert out.results["n_clients"] == 4


@pytest.mark.parametrize("key", ["", "a/b", "../x", ".hidden", "met spatie", 3])
def test_invalid_key(tmp_path, key):
    with pytest.raises(ArgumentError, match="key: got"):
        ReportOutput(tmp_path, display=False).show(key, 1)


def test_unsupported_object(tmp_path):
    out = ReportOutput(tmp_path, display=False)
    with pytest.raises(ArgumentTypeError, match="for key 'thing'"):
        out.show("thing", object())
    assert "thing" not in out.results
    with pytest.raises(ArgumentTypeError, match="markdown"):
        out.text("t", 3)


def test_lang_checked(tmp_path):
    with pytest.raises(ArgumentError, match="lang: got 'de'"):
        ReportOutput(tmp_path, lang="de")


# ----------------------------------------------------------------------------------- saving
def test_save_writes_files_and_is_byte_identical(tmp_path):
    a, b = _make_report(tmp_path / "a"), _make_report(tmp_path / "b")
    pa, _ = a.save(), b.save()
    assert isinstance(pa, SavedFile) and pa == tmp_path / "a" / "results.json"
    for name in ("results.json", "tables.xlsx", "tables/table.csv", "tables/effect.csv", "figures/line.png"):
        assert _sha(tmp_path / "a" / name) == _sha(tmp_path / "b" / name), name
    # saving again (a rerun into the same folder) gives the same bytes
    before = {n: _sha(tmp_path / "a" / n) for n in ("results.json", "tables.xlsx")}
    _make_report(tmp_path / "a").save()
    assert before == {n: _sha(tmp_path / "a" / n) for n in ("results.json", "tables.xlsx")}


def test_results_json_format(tmp_path):
    out = _make_report(tmp_path)
    text = out.save().read_text(encoding="utf-8")
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert data["share"] == 0.30000000000000004  # shortest round-trip repr, not rounded
    assert data["table"][1]["b"] is None  # NaN -> null
    assert data["effect"]["summary"][0]["estimate"] == 0.8123456
    assert text == dumps_stable(data)
    assert str(tmp_path) not in text


def test_no_absolute_paths_in_results(tmp_path):
    root = tmp_path / "project"
    (root / "reports").mkdir(parents=True)
    (root / "pyproject.toml").touch()
    out = ReportOutput(root / "reports" / "r" / "run", display=False)
    out.show("inputs", {"file": str(root / "data" / "episodes.csv"), "home": str(Path.home() / "x.csv")})
    text = out.save().read_text()
    assert str(root) not in text and str(Path.home()) + "/" not in text
    assert json.loads(text)["inputs"] == {"file": "data/episodes.csv", "home": "~/x.csv"}
    assert "project" not in repr(out.save())  # the echoed path is relative to the project


def test_tables_xlsx_sheets(tmp_path):
    out = _make_report(tmp_path)
    out.save()
    with pd.ExcelFile(tmp_path / "tables.xlsx") as book:
        names = book.sheet_names
        assert names == ["effect", "table", "a_really_long_table_key_longer_", "a_really_long_table_key_longe~1"]
        assert all(len(n) <= 31 for n in names)
        pd.testing.assert_frame_equal(pd.read_excel(book, sheet_name="table"), pd.DataFrame({"a": [1, 2], "b": [0.1, np.nan]}))
    with zipfile.ZipFile(tmp_path / "tables.xlsx") as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert "1980-01-01T00:00:00Z" in core and "2026" not in core


def test_write_xlsx_deterministic_over_time(tmp_path, monkeypatch):
    import datetime

    t = {"x": pd.DataFrame({"v": [1.5, 2.5]})}
    first = write_xlsx(tmp_path / "1.xlsx", t).read_bytes()

    class _Later(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.datetime(2031, 5, 6, 7, 8, 9, tzinfo=tz)

    import openpyxl.packaging.core as core
    import openpyxl.writer.excel as excel

    monkeypatch.setattr(core.datetime, "datetime", _Later)
    monkeypatch.setattr(excel.datetime, "datetime", _Later)
    assert write_xlsx(tmp_path / "2.xlsx", t).read_bytes() == first


def test_no_tables_no_workbook(tmp_path):
    out = ReportOutput(tmp_path, display=False)
    out.show("n", 1)
    out.save()
    assert not (tmp_path / "tables.xlsx").exists()
    assert json.loads((tmp_path / "provenance.json").read_text())["created_utc"].endswith("Z")


def test_provenance_goes_to_provenance_json_not_results(tmp_path, shown):
    out = ReportOutput(tmp_path)
    out.show("n", 1)
    out.provenance(None, instruments=["scl90_nl"], now="2026-01-31T12:00:00Z")
    out.save()
    results = json.loads((tmp_path / "results.json").read_text())
    prov = json.loads((tmp_path / "provenance.json").read_text())
    assert results == {"n": 1}
    assert prov["created_utc"] == "2026-01-31T12:00:00Z"
    assert prov["instruments"][0]["status"] == "provisional"
    assert "es-warning" in shown[-1][0]["text/html"]
    # showing a provenance object directly works too
    out.show("prov", es.provenance(None, now="2026-02-01T00:00:00Z"))
    out.save()
    assert json.loads((tmp_path / "provenance.json").read_text())["created_utc"] == "2026-02-01T00:00:00Z"


# ----------------------------------------------------------------------------------- folders
def test_output_dir_created(tmp_path):
    out = ReportOutput(tmp_path / "a" / "b" / "c", display=False)
    assert out.output_dir.is_dir()
    out.save()
    assert (tmp_path / "a" / "b" / "c" / "results.json").is_file()


def test_empty_output_dir_needs_params_file(tmp_path):
    with pytest.raises(ArgumentError, match="output_dir: got ''.*params_file="):
        ReportOutput("")


def test_empty_output_dir_uses_default(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").touch()
    (tmp_path / "params").mkdir()
    params = tmp_path / "params" / "ci.yaml"
    params.write_text("report: yearly_summary\n")
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    out = ReportOutput("", params_file=params, display=False)
    assert out.output_dir == tmp_path / "reports" / "yearly_summary" / "ci"
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "notebooks" / "effect_study.ipynb"))
    out = ReportOutput("", params_file=params, display=False)
    assert out.output_dir == tmp_path / "reports" / "effect_study" / "ci"


def test_default_output_dir_and_root(tmp_path, monkeypatch):
    proj = tmp_path / "proj"
    (proj / "notebooks").mkdir(parents=True)
    (proj / "pyproject.toml").touch()
    nb = proj / "notebooks" / "effect_study.ipynb"
    assert default_output_dir("params/demo.yaml", nb) == proj / "reports" / "effect_study" / "demo"
    assert find_repo_root(proj / "notebooks") == proj
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # nothing above the start: search from the current directory, else the current directory
    monkeypatch.chdir(proj / "notebooks")
    assert find_repo_root(elsewhere) == proj
    monkeypatch.chdir(elsewhere)
    assert find_repo_root(elsewhere) == elsewhere


def test_record_stores_without_displaying(tmp_path, monkeypatch):
    shown = []
    out = ReportOutput(tmp_path, display=True)
    monkeypatch.setattr(out, "_display_html", lambda html, plain: out.display and shown.append(plain))
    out.record("n_pairs", 199)
    out.show("n_episodes", 400)
    assert out.display and shown == ["n_episodes: 400"]
    assert json.loads(out.save().read_text()) == {"n_episodes": 400, "n_pairs": 199}
