"""Validation messages and problem files name rows by file, line and row key, never by a client id,
episode id, date or free text (Privacy & integrity VAL-5); ``--show-identifiers`` keeps them for the
practice's own data manager.

The data below plant names, a BSN, phone numbers, an e-mail address, a street address and dates in
the id, date, flag and item columns, each in a row that breaks a rule, so that every one of them
would be quoted by the messages of old."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

from effectstudy.cli import main
from effectstudy.core.errors import ValidationError
from effectstudy.core.params import DataSpec, FileSpec
from effectstudy.core.rowkey import ROWKEY_ENV, RowKey
from effectstudy.data.io import read_study
from effectstudy.data.validate import HIDDEN

JAN = "Jan Jansen 06-12345678"
EPISODES = (
    "episode_id;client_id;start_date;end_date;sessions;consent_study;birth_year\n"
    f"E1;{JAN};03-01-2024;01-03-2024;7;1;1980\n"
    "123456782;Piet Pietersen;31-02-2024;;4;1;1985\n"             # impossible date; BSN as episode id
    "E3;j.jansen@example.nl;15-03-2024;01-02-2024;9;ja graag;1990\n"  # end before start; flag as text
    "E4;Kerkstraat 12 Utrecht;10-01-2024;;0612345678;1;1979\n"      # phone number as session count
    "E5;C5;10-01-2024;;3;1;1850\n"                                 # impossible birth year
    "E6;C6;01-01-1999;;3;1;1980\n"                                 # date too early
)
MEASUREMENTS = (
    "client_id;episode_id;instrument;date;item_1;item_2;item_3\n"
    f"{JAN};E1;scl90_nl;05-01-2024;7;2;3\n"                   # item code 7: shown, the data manager needs it
    f"{JAN};E1;scl90_nl;06-01-2024;1;0612345678;3\n"          # a phone number in an item column
    f"{JAN};EP-Marie de Vries;scl90_nl;07-01-2024;1;2;3\n"    # unknown episode
    "Onbekende Klant 0201234567;;scl90_nl;08-01-2024;1;2;3\n"  # client without episode
    "Kerkstraat 12 Utrecht;E1;scl90_nl;09-01-2024;1;2;3\n"    # episode of another client
    f"{JAN};E1;scl90_nl;17-11-2030;1;2;3\n"                   # future date
    f"{JAN};E1;scl90_nl;13-12-2024;1;2;3\n"                   # outside the episode
    f"{JAN};E1;scl90_nl;10-01-2024;1;2;3\n"                   # two rows, same key, different items
    f"{JAN};E1;scl90_nl;10-01-2024;2;2;3\n"
    f"{JAN};E1;bel 0612345678;11-01-2024;1;2;3\n"             # unknown instrument
)
SATISFACTION = "episode_id;issued;returned;grade\nPiet Pietersen BSN 123456782;1;1;8\n"
#: every planted identifier, and every date of the data in the forms a message could use
PLANTED = ["Jan Jansen", "Jansen", "12345678", "Pietersen", "123456782", "j.jansen@example.nl", "Kerkstraat",
           "Utrecht", "Marie de Vries", "0201234567", "0612345678", "612345678", "Onbekende Klant", "ja graag",
           "1850", "bel 0"]
DATES = ["31-02-2024", "15-03-2024", "01-02-2024", "01-01-1999", "17-11-2030", "13-12-2024", "10-01-2024",
         "2024-02-01", "1999-01-01", "2030-11-17", "2024-12-13", "2024-01-10", "2024-03-15"]


@pytest.fixture
def planted(tmp_path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    (d / "episodes.csv").write_text(EPISODES)
    (d / "measurements.csv").write_text(MEASUREMENTS)
    (d / "satisfaction.csv").write_text(SATISFACTION)
    p = tmp_path / "p.yaml"
    p.write_text("report: validate\ndata:\n"
                 + "".join(f"  {t}: {{path: data/{t}.csv, sep: ';', date_format: '%d-%m-%Y'}}\n"
                           for t in ("episodes", "measurements", "satisfaction")))
    return p


def found(text: str) -> list[str]:
    return [s for s in PLANTED + DATES if s in text]


def test_planted_identifiers_reach_neither_the_output_nor_the_problems_csv(planted, tmp_path, capsys):
    csv = tmp_path / "problems.csv"
    main(["validate", "-f", str(planted), "--show", "100", "--problems", str(csv)])
    out = capsys.readouterr().out
    written = csv.read_text()
    assert found(out) == [] and found(written) == []
    problems = pd.read_csv(csv, dtype=str, keep_default_na=False)
    rules = set(problems["rule"])
    # each planted value broke a rule, so each would have been quoted before
    assert {"date_format", "end_before_start", "not_a_flag", "out_of_range", "date_too_early", "unknown_episode",
            "client_without_episode", "episode_client_mismatch", "future_date", "outside_episode",
            "duplicate_conflict", "unknown_instrument"} <= rules
    # the data manager still sees the item code outside its range
    assert "measurements.csv:2 " in out and "item_1: out_of_range: found '7'" in out
    assert set(problems.loc[problems["value"].str.startswith("(niet"), "value"]) <= set(HIDDEN.values())
    assert list(problems.columns) == ["file", "row", "row_key", "column", "value", "rule", "expected", "severity"]


def test_rows_are_named_by_file_line_and_the_row_key_of_their_client(planted, tmp_path, capsys):
    csv = tmp_path / "problems.csv"
    main(["validate", "-f", str(planted), "--problems", str(csv)])
    p = pd.read_csv(csv, dtype=str, keep_default_na=False)
    key = RowKey(bytes.fromhex(os.environ[ROWKEY_ENV]))
    row = p[(p["file"] == "measurements.csv") & (p["row"] == "2")].iloc[0]
    assert row["row_key"] == key.keys([JAN])[0]
    sat = p[p["file"] == "satisfaction.csv"].iloc[0]  # no client id: the episode id's key
    assert sat["row_key"] == key.keys(["Piet Pietersen BSN 123456782"], domain="episode")[0]
    with_line = p[p["row"] != "" ]
    assert with_line["row_key"].str.fullmatch(r"r-[0-9a-f]{12}").all()
    out = capsys.readouterr().out
    assert re.search(r"measurements\.csv:2 \[r-[0-9a-f]{12}\] item_1: out_of_range", out)


def test_show_identifiers_keeps_todays_detail_and_says_it_is_local(planted, tmp_path, capsys):
    csv = tmp_path / "problems.csv"
    main(["validate", "-f", str(planted), "--show", "100", "--problems", str(csv), "--show-identifiers"])
    out = capsys.readouterr().out
    assert "IDENTIFIERS SHOWN" in out
    p = pd.read_csv(csv, dtype=str, keep_default_na=False)
    assert "identifier" in p.columns
    assert p.loc[(p["file"] == "measurements.csv") & (p["row"] == "2"), "identifier"].iloc[0] == JAN
    for s in (JAN, "31-02-2024", "Marie de Vries", "0612345678", "ja graag", "Onbekende Klant 0201234567"):
        assert s in out or s in csv.read_text(), s
    assert re.search(rf"measurements\.csv:2 \[r-[0-9a-f]{{12}} = {JAN}\] item_1", out)
    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    assert "LOCAL USE ONLY" in " ".join(capsys.readouterr().out.split())


def test_the_fatal_error_and_the_report_views_hide_them_too(tmp_path):
    d = tmp_path
    (d / "episodes.csv").write_text(EPISODES)
    (d / "measurements.csv").write_text(MEASUREMENTS + f"{JAN};E1;scl90_nl;12-01-2024;0;2;3\n")  # coded 0-4: fatal
    spec = DataSpec(episodes=FileSpec(path=d / "episodes.csv"), measurements=FileSpec(path=d / "measurements.csv"))
    with pytest.raises(ValidationError) as exc:
        read_study(spec, today="2025-06-01")
    assert "coding_mismatch" in str(exc.value) and found(str(exc.value)) == []
    rep = read_study(spec, today="2025-06-01", on_fatal="return").report
    assert found(repr(rep)) == [] and found(rep._repr_html_()) == [] and found(str(rep.to_dict())) == []
    shown = read_study(spec, today="2025-06-01", on_fatal="return", show_identifiers=True).report
    assert JAN in shown.message(100)


def test_rows_without_a_problem_need_no_key_file(tmp_path, monkeypatch):
    """Clean data creates no key file (the key is loaded only when a problem row needs one)."""
    monkeypatch.delenv(ROWKEY_ENV)
    (tmp_path / "effectstudy.toml").write_text("")
    (tmp_path / "episodes.csv").write_text("episode_id;client_id;start_date;consent_study\nE1;C1;03-01-2024;1\n")
    (tmp_path / "measurements.csv").write_text("client_id;episode_id;instrument;date;item_1\nC1;E1;scl90_nl;05-01-2024;1\n")
    spec = DataSpec(episodes=FileSpec(path=tmp_path / "episodes.csv"),
                    measurements=FileSpec(path=tmp_path / "measurements.csv"))
    assert len(read_study(spec, today="2025-06-01").report.problems) == 0
    assert not (tmp_path / ".effectstudy").exists()
    (tmp_path / "episodes.csv").write_text("episode_id;client_id;start_date;consent_study\nE1;C1;03-01-2024;x\n")
    p = read_study(spec, today="2025-06-01").report.problems
    assert (tmp_path / ".effectstudy" / "rowkey.key").is_file() and p["row_key"].iloc[0].startswith("r-")


def test_show_identifiers_is_an_explicit_option_of_validate_and_stagnation_list_only():
    from effectstudy.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    having = {name for name, p in sub.choices.items()
              if any("--show-identifiers" in a.option_strings for a in p._actions)}
    assert having == {"validate", "stagnation-list"}  # never `effectstudy run`
    for name in having:
        opt = next(a for a in sub.choices[name]._actions if "--show-identifiers" in a.option_strings)
        assert opt.default is False and "LOCAL USE ONLY" in opt.help


def test_an_export_without_its_header_line_does_not_quote_its_first_row(tmp_path):
    from effectstudy.data.io import read_table

    (tmp_path / "episodes.csv").write_text(f"E1;{JAN};03-01-2024;7\nE2;C2;04-01-2024;3\n")
    t = read_table(FileSpec(path=tmp_path / "episodes.csv"), "episodes", on_fatal="return")
    text = t.report.message(100) + t.report.problems.to_csv()
    assert found(text) == [] and "03-01-2024" not in text
    unknown = t.report.problems[t.report.problems["rule"] == "unknown_column"]
    assert unknown["column"].tolist() == ["field 1", "field 2", "field 3", "field 4"]
    assert "the header line is missing" in unknown["expected"].iloc[0]
    shown = read_table(FileSpec(path=tmp_path / "episodes.csv"), "episodes", on_fatal="return", show_identifiers=True)
    assert JAN in shown.report.problems["column"].tolist()
