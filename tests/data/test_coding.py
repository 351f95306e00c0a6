"""uncoded_value: values outside a column's code list become missing, are counted, and are never shown."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from effectstudy.core.codes import effective_codes
from effectstudy.core.params import DataSpec, FileSpec
from effectstudy.data.coding import NOT_SHOWN, UNCODED_RULE, apply_codes, uncoded_counts
from effectstudy.data.io import read_study, read_table

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "example"
PLANTED = "depressie mw. Jansen 06-12345678"


def _frame(values):
    return pd.DataFrame({"diagnosis": pd.Series(values, dtype="str")})


def test_a_value_just_outside_the_list_is_uncoded():
    df = _frame(["depression", "depressions", "depressio", "anxiety"])
    out, problems = apply_codes(df, "episodes", file="e.csv", lines=np.array([2, 3, 4, 5]))
    assert out["diagnosis"].isna().tolist() == [False, True, True, False]
    assert problems["row"].tolist() == [3, 4]
    assert set(problems["rule"]) == {UNCODED_RULE}
    assert set(problems["severity"]) == {"warning"}


def test_case_and_whitespace_variants_match_the_declared_code():
    # decided: codes match ignoring case; surrounding whitespace is stripped by the reader
    df = _frame(["Depression", "DEPRESSION", "depression"])
    out, problems = apply_codes(df, "episodes", file="e.csv", lines=np.array([2, 3, 4]))
    assert out["diagnosis"].tolist() == ["depression"] * 3
    assert problems.empty
    # inner whitespace is not a variant of a code
    out, problems = apply_codes(_frame(["brain injury"]), "episodes", file="e.csv", lines=np.array([2]))
    assert out["diagnosis"].isna().all() and len(problems) == 1


def test_the_value_is_never_in_the_problem_and_the_message_says_how_to_declare():
    out, problems = apply_codes(_frame([PLANTED]), "episodes", file="e.csv", lines=np.array([7]))
    row = problems.iloc[0]
    assert row["value"] == NOT_SHOWN
    text = " ".join(map(str, row.to_numpy()))
    assert "Jansen" not in text and "06-12345678" not in text
    assert "not shown because it may be free text" in row["expected"]
    assert "data.codes.diagnosis" in row["expected"]


def test_missing_stays_missing_and_columns_without_list_are_untouched():
    df = pd.DataFrame({"diagnosis": pd.Series([None, "anxiety"], dtype="str"),
                       "therapist": pd.Series(["T01", PLANTED], dtype="str")})
    out, problems = apply_codes(df, "episodes", file="e.csv", lines=np.array([2, 3]))
    assert problems.empty
    assert out["therapist"].tolist() == df["therapist"].tolist()  # refused at its uses instead
    assert out["diagnosis"].isna().tolist() == [True, False]


def test_declared_list_replaces_the_default():
    codes = effective_codes({"diagnosis": {"eating": {"nl": "eetstoornis", "en": "eating disorder"}}})
    out, problems = apply_codes(_frame(["Eating", "depression"]), "episodes", file="e.csv",
                                lines=np.array([2, 3]), codes=codes)
    assert out["diagnosis"].tolist()[0] == "eating"
    assert pd.isna(out["diagnosis"].iloc[1])
    assert problems["row"].tolist() == [3]


def test_input_frame_is_not_modified():
    df = _frame([PLANTED])
    apply_codes(df, "episodes", file="e.csv", lines=np.array([2]))
    assert df["diagnosis"].iloc[0] == PLANTED


@pytest.fixture
def planted_files(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "d")
    e = tmp_path / "d" / "episodes.csv"
    lines = e.read_text(encoding="utf-8").splitlines()
    for i in (1, 5):
        f = lines[i].split(";")
        f[5] = PLANTED if i == 1 else " Anxiety "
        lines[i] = ";".join(f)
    e.write_text("\n".join(lines) + "\n", encoding="utf-8")
    m = tmp_path / "d" / "measurements.csv"
    ml = m.read_text(encoding="utf-8").splitlines()
    f = ml[1].split(";")
    f[5] = "bel 06-12345678"
    ml[1] = ";".join(f)
    m.write_text("\n".join(ml) + "\n", encoding="utf-8")
    raw = e.read_bytes()
    return tmp_path / "d", raw


def test_read_study_removes_uncoded_values_and_counts_them_per_column(planted_files):
    folder, raw = planted_files
    spec = DataSpec(episodes=FileSpec(path=folder / "episodes.csv", sep=";"),
                    measurements=FileSpec(path=folder / "measurements.csv", sep=";"))
    data = read_study(spec, today="2025-04-01")
    assert (folder / "episodes.csv").read_bytes() == raw  # the raw file is never modified
    eps = data.episodes
    assert len(eps) == 400  # the rows are used; only the value is gone
    assert pd.isna(eps.loc[2, "diagnosis"])
    assert eps.loc[6, "diagnosis"] == "anxiety"
    assert pd.isna(data.measurements.loc[2, "occasion"])
    counts = uncoded_counts(data.report.problems, data.report.files)
    assert counts.to_dict("records") == [{"table": "episodes", "column": "diagnosis", "n": 1},
                                         {"table": "measurements", "column": "occasion", "n": 1}]
    shown = data.report.problems.to_string() + data.report.message(50) + repr(data.report.to_dict())
    assert "Jansen" not in shown and "12345678" not in shown
    assert PLANTED not in set(eps["diagnosis"].dropna())


def test_read_table_uses_declared_codes(planted_files):
    folder, _ = planted_files
    t = read_table(FileSpec(path=folder / "episodes.csv", sep=";"), "episodes", today="2025-04-01",
                   codes=effective_codes({"diagnosis": ["anxiety"]}))
    assert set(t.data["diagnosis"].dropna()) == {"anxiety"}
    assert (t.report.problems["rule"] == UNCODED_RULE).sum() == (t.data["diagnosis"].isna()).sum()


@pytest.mark.parametrize(("n", "cut"), [(12, False), (13, True)])
def test_a_long_code_list_is_cut_to_twelve_codes_in_the_message(n, cut):
    codes = effective_codes({"treatment": [f"t{k:02d}" for k in range(1, n + 1)]})
    df = pd.DataFrame({"treatment": pd.Series(["x"], dtype="str")})
    _, problems = apply_codes(df, "episodes", file="e.csv", lines=np.array([2]), codes=codes)
    text = problems["expected"].iloc[0]
    assert "t01, " in text and "t12" in text
    assert ("t13" in text) is False
    assert (", ...)" in text) is cut


def test_uncoded_counts_follow_the_check_order():
    df = pd.DataFrame({"sex": pd.Series(["x", "y"], dtype="str"), "diagnosis": pd.Series(["z", "anxiety"], dtype="str")})
    sex_first = df[["sex", "diagnosis"]]
    _, problems = apply_codes(sex_first, "episodes", file="e.csv", lines=np.array([2, 3]))
    problems = pd.concat([problems[problems["column"] == "sex"], problems[problems["column"] == "diagnosis"]])
    counts = uncoded_counts(problems, {"episodes": "e.csv"})
    assert counts.to_dict("records") == [{"table": "episodes", "column": "sex", "n": 2},
                                         {"table": "episodes", "column": "diagnosis", "n": 1}]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["depression", "ANXIETY", "Ptsd", "burn out", ""]), st.text(max_size=12)),
                max_size=30))
def test_coded_values_are_codes_and_every_removed_value_is_one_warning(values):
    df = _frame(values)
    lines = np.arange(2, len(values) + 2)
    out, problems = apply_codes(df, "episodes", file="e.csv", lines=lines)
    codes = set(effective_codes()["diagnosis"].codes)
    assert set(out["diagnosis"].dropna()) <= codes
    present = df["diagnosis"].notna().to_numpy()
    removed = present & out["diagnosis"].isna().to_numpy()
    assert problems["row"].tolist() == lines[removed].tolist()
    folded = {c.casefold() for c in codes}
    kept = present & ~removed
    assert all(str(v).casefold() in folded for v in df["diagnosis"][kept])
    # every removed value is hidden; a blank one has nothing to hide and shows as blank
    blank = df["diagnosis"][removed].astype(str).eq("").to_numpy()
    assert (problems["value"].to_numpy() == np.where(blank, "", NOT_SHOWN)).all()
