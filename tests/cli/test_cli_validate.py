"""``effectstudy validate -f PARAMS.yaml``: flow output and exit codes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from effectstudy.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "example"


def _params(tmp_path, folder):
    p = tmp_path / "p.yaml"
    p.write_text(f"report: validate\ndata:\n  episodes: {{path: {folder}/episodes.csv}}\n"
                 f"  measurements: {{path: {folder}/measurements.csv}}\n"
                 f"  satisfaction: {{path: {folder}/satisfaction.csv}}\n")
    return p


def test_validate_example_prints_flow_and_exits_0(tmp_path, capsys):
    assert main(["validate", "-f", str(_params(tmp_path, EXAMPLE))]) == 0
    out = capsys.readouterr().out
    assert "Validation of" in out and ": ok" in out
    n_ep = len((EXAMPLE / "episodes.csv").read_text().splitlines()) - 1
    assert f"episodes: {n_ep} rows read from episodes.csv" in out
    assert "Row flow (per table: used + excluded = rows read)" in out


def test_validate_fatal_file_exits_1_and_shows_the_problem(tmp_path, capsys):
    d = tmp_path / "x"
    shutil.copytree(EXAMPLE, d)
    text = (d / "episodes.csv").read_text().splitlines()
    text[3] = text[3].rsplit(";", 2)[0]  # truncate line 4
    (d / "episodes.csv").write_text("\n".join(text) + "\n")
    probs = tmp_path / "problems.csv"
    assert main(["validate", "-f", str(_params(tmp_path, d)), "--problems", str(probs)]) == 1
    out = capsys.readouterr().out
    assert "FATAL" in out and "episodes.csv:4: ragged_row: found '12 fields', expected 14 fields" in out
    assert "ragged_row" in probs.read_text()


def test_validate_row_errors_are_excluded_with_reason_exit_0(tmp_path, capsys):
    d = tmp_path / "x"
    shutil.copytree(EXAMPLE, d)
    lines = (d / "measurements.csv").read_text().splitlines()
    f = lines[1].split(";")
    f[6] = "7"
    lines[1] = ";".join(f)
    (d / "measurements.csv").write_text("\n".join(lines) + "\n")
    assert main(["validate", "-f", str(_params(tmp_path, d))]) == 0
    out = capsys.readouterr().out
    assert "measurements excluded out_of_range   1" in " ".join(out.split()) or "out_of_range" in out
    assert re.search(r"measurements.csv:2 \[r-[0-9a-f]{12}\] item_1: out_of_range: found '7', "
                     r"expected a whole number 1-5 \(scl90_nl\)", out)


def test_validate_help_and_bad_params(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--help"])
    assert exc.value.code == 0
    assert "Exit code 0: no fatal problem" in " ".join(capsys.readouterr().out.split())
    bad = tmp_path / "bad.yaml"
    bad.write_text("report: validate\ndata: {episodes: {path: e.csv}}\n")
    assert main(["validate", "-f", str(bad)]) == 2
    assert "data.measurements" in capsys.readouterr().err


def test_every_command_has_a_help_text_and_help_exits_0(capsys):
    from effectstudy.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    names = set(sub.choices)
    assert {"validate", "export", "import", "keygen", "verify", "forget", "retention"} <= names
    for name in sorted(names):
        with pytest.raises(SystemExit) as exc:
            main([name, "--help"])
        assert exc.value.code == 0, name
        out = " ".join(capsys.readouterr().out.split())
        assert out.startswith(f"usage: effectstudy {name}"), name
        assert sub.choices[name].description, f"{name} has no description"
