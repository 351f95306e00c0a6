"""Students' params checked before anything runs: one test per mistake, each checking the message.

``effectstudy validate -f PARAMS`` and ``effectstudy run NOTEBOOK -f PARAMS`` check the params
file, the notebook's report, the instrument and the columns the params name before a kernel
starts (``effectstudy.reports.preflight``).  Every message names the key as the student wrote it,
the line in the params file, and the nearest valid name; none holds pydantic's words.  The run
tests replace papermill by a function that fails the test, so no kernel is ever started.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from effectstudy.cli import main
from effectstudy.core.errors import ParamsError
from effectstudy.reports.preflight import notebook_report, preflight

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "notebooks" / "data"  # the first rows of data/example
NOTEBOOKS = ROOT / "notebooks"
JARGON = ("Input should", "literal[", "Field required", "Extra inputs", "valid tuple", "valid list", "Value error")


def student(tmp_path: Path, body: str = "", *, head: str | None = None, data: Path = TINY, name: str = "p.yaml") -> Path:
    """A student's params file: the tiny data, the student report, then ``body``."""
    head = head if head is not None else (
        "report: student_analysis\n"
        "language: nl\n"
        "data:\n"
        f"  episodes: {{path: {data}/episodes.csv, sep: ';'}}\n"
        f"  measurements: {{path: {data}/measurements.csv, sep: ';'}}\n")
    p = tmp_path / name
    p.write_text(head + textwrap.dedent(body), encoding="utf-8")
    return p


def validate(capsys, params: Path, *extra: str) -> tuple[int, str]:
    """``effectstudy validate -f params``: exit code and everything printed."""
    rc = main(["validate", "-f", str(params), "--show", "0", *extra])
    cap = capsys.readouterr()
    return rc, cap.out + cap.err


@pytest.fixture
def no_kernel(monkeypatch):
    """papermill fails the test when called: the checks must stop the run before a kernel starts."""
    import papermill

    def started(*args, **kwargs):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(papermill, "execute_notebook", started)


def run(capsys, notebook: Path, params: Path, *extra: str) -> tuple[int, str]:
    rc = main(["run", str(notebook), "-f", str(params), "--no-progress", *extra])
    cap = capsys.readouterr()
    return rc, cap.out + cap.err


def error_of(params: Path, **kw) -> str:
    with pytest.raises(ParamsError) as ei:
        preflight(params, **kw).raise_for_problems()
    msg = str(ei.value)
    assert not any(j in msg for j in JARGON), msg
    return msg


# ------------------------------------------------------------------------ names in the data
def test_a_misspelt_group_gets_did_you_mean_with_the_key_and_line(tmp_path, capsys):
    p = student(tmp_path, "group: diagnsis\n")
    rc, out = validate(capsys, p)
    assert rc == 2
    assert (f"{p}:6: group: 'diagnsis' is not a column of the episodes file (episodes.csv)" in out
            or "p.yaml:6: group: 'diagnsis' is not a column of the episodes file (episodes.csv)" in out)
    assert "Did you mean 'diagnosis'?" in out
    assert "groups" not in out.split("group: 'diagnsis'")[1].split("\n")[0]  # the key as written, not analysis.groups
    assert "Row flow" in out  # the data were read and shown, once


def test_a_misspelt_covariate_names_the_covariates_key(tmp_path):
    msg = error_of(student(tmp_path, "group: care_type\ncovariates: [sessions, agee]\n"))
    assert "p.yaml:7: covariates: 'agee' is not a column of the episodes file (episodes.csv)" in msg
    assert "Did you mean 'age'?" in msg and "'sessions'" not in msg


def test_age_is_derived_from_birth_year_and_valid(tmp_path):
    checked = preflight(student(tmp_path, "group: care_type\ncovariates: [age]\n"))
    assert checked.problems == [] and not checked.fatal


def test_age_without_birth_year_says_what_it_needs(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    rows = [line.split(";") for line in (TINY / "episodes.csv").read_text().splitlines()]
    i = rows[0].index("birth_year")
    (d / "episodes.csv").write_text("\n".join(";".join(r[:i] + r[i + 1:]) for r in rows) + "\n")
    shutil.copy(TINY / "measurements.csv", d)
    msg = error_of(student(tmp_path, "covariates: [age]\n", data=d))
    assert "covariates: 'age' is not a column of the episodes file (episodes.csv): age is computed from birth_year, " \
           "which episodes.csv does not have" in msg


def test_a_misspelt_outcome_names_the_outcome_key_not_scale(tmp_path):
    msg = error_of(student(tmp_path, "outcome: PSNEUT\n"))
    assert "p.yaml:6: outcome: 'PSNEUT' is not a scale of scl90_nl (analysis.instrument)" in msg
    assert "Did you mean 'PSNEUR'?" in msg and "scale:" not in msg


def test_a_scale_of_another_instrument_is_named_as_such(tmp_path):
    msg = error_of(student(tmp_path, "analysis:\n  scales: [GSI]\n"))
    assert "p.yaml:7: analysis.scales: 'GSI' is not a scale of scl90_nl" in msg
    assert "GSI is a scale of bsi53, scl90r: change analysis.instrument, or choose a scale of scl90_nl" in msg


def test_an_instrument_the_data_do_not_hold(tmp_path):
    msg = error_of(student(tmp_path, "analysis:\n  instrument: oq45\n  scales: [total]\n"))
    assert "analysis.instrument: the measurements file (measurements.csv) has no measurements of 'oq45'; " \
           "it has scl90_nl" in msg


def test_a_misspelt_instrument(tmp_path):
    msg = error_of(student(tmp_path, "analysis:\n  instrument: scl90nl\n"))
    assert "p.yaml:7: analysis.instrument: 'scl90nl' is not an instrument of the registry" in msg
    assert "Did you mean 'scl90_nl'?" in msg


def test_an_analysis_group_typo(tmp_path):
    msg = error_of(student(tmp_path, "analysis:\n  groups: [care_typ]\n"))
    assert "p.yaml:7: analysis.groups: 'care_typ' is not a column of the episodes file" in msg
    assert "Did you mean 'care_type'?" in msg


# ------------------------------------------------------------------------ values and YAML
@pytest.mark.parametrize("body", ["analysis:\n  reliable_change:\n    reliability: 0,88\n",
                                  "analysis:\n  reliable_change: {reliability: 0,88}\n"], ids=["block", "flow"])
def test_a_dutch_decimal_comma_says_write_a_point(tmp_path, body):
    msg = error_of(student(tmp_path, body))
    line = 8 if "\n    reliability" in body else 7
    assert f"p.yaml:{line}: analysis.reliable_change.reliability: 0,88 has a decimal comma; write 0.88 " \
           "(with a point)" in msg


def test_a_single_year_where_a_range_is_expected_is_explained(tmp_path):
    msg = error_of(student(tmp_path, "selection:\n  years: 2023\n"))
    assert ("p.yaml:7: selection.years: expects a range of start years [first, last], not one year; for the "
            "episodes that started in 2023 only, write years: [2023, 2023] (got 2023)") in msg


def test_a_year_range_as_text(tmp_path):
    msg = error_of(student(tmp_path, "selection:\n  years: 2020-2024\n"))
    assert "selection.years: expects a range of start years in square brackets: write years: [2020, 2024]" in msg


def test_a_misspelt_choice_lists_the_choices_in_plain_words(tmp_path):
    msg = error_of(student(tmp_path, "analysis:\n  reliable_change:\n    reliability: samle\n    method: JT\n"))
    assert ("p.yaml:8: analysis.reliable_change.reliability: 'samle' is not one of: registry, sample "
            "(or a number). Did you mean 'sample'?") in msg
    assert "p.yaml:9: analysis.reliable_change.method: 'JT' is not one of: jt, gln, hll, en, nk, ha. " \
           "Did you mean 'jt'?" in msg


def test_a_reliability_as_a_percentage(tmp_path):
    msg = error_of(student(tmp_path, "analysis:\n  reliable_change: {reliability: 88}\n"))
    assert "a reliability must lie strictly between 0 and 1, such as 0.88; for 88% write 0.88 (got 88)" in msg


def test_a_language_in_capitals(tmp_path):
    msg = error_of(student(tmp_path, "", head=student(tmp_path).read_text().replace("language: nl", "language: NL")))
    assert "p.yaml:2: language: 'NL' is not one of: nl, en. Did you mean 'nl'?" in msg


def test_an_spss_date_format_gets_its_strftime_spelling(tmp_path):
    head = student(tmp_path).read_text().replace("sep: ';'}\n  measurements", "sep: ';', date_format: dd-mm-yyyy}\n"
                                                 "  measurements")
    msg = error_of(student(tmp_path, "", head=head))
    assert "p.yaml:4: data.episodes.date_format: 'dd-mm-yyyy' is not a date format of the kind effectstudy " \
           "reads (%d day, %m month, %Y year): write date_format: \"%d-%m-%Y\"" in msg


def test_an_unknown_encoding(tmp_path):
    head = student(tmp_path).read_text().replace("sep: ';'}\n  measurements", "sep: ';', encoding: ansi}\n  measurements")
    msg = error_of(student(tmp_path, "", head=head))
    assert "data.episodes.encoding: 'ansi' is not a text encoding; exports are usually utf-8, or cp1252" in msg


def test_a_tab_in_the_indentation(tmp_path):
    msg = error_of(student(tmp_path, "analysis:\n\tscales: [PSNEUR]\n"))
    assert "p.yaml:7: not valid YAML: this line is indented with a tab; YAML needs spaces" in msg


def test_broken_yaml_names_the_line(tmp_path):
    msg = error_of(student(tmp_path, "question: Verschilt de score: ja of nee?\n"))
    assert "p.yaml:6: not valid YAML" in msg and "put text holding ': ' or '#' in quotes" in msg


# ------------------------------------------------------------------------ keys
def test_groups_for_group_names_both_keys(tmp_path):
    msg = error_of(student(tmp_path, "groups: care_type\n"))
    assert ("p.yaml:6: groups: unknown key. Did you mean 'group'? (groups belongs under analysis: write it as "
            "analysis.groups)") in msg


def test_a_key_at_the_wrong_level(tmp_path):
    msg = error_of(student(tmp_path, "scales: [DEP]\n"))
    assert "p.yaml:6: scales: unknown key (scales belongs under analysis: write it as analysis.scales)" in msg


def test_a_misspelt_key(tmp_path):
    msg = error_of(student(tmp_path, "covariate: [age]\nanaysis: {scales: [DEP]}\n"))
    assert "p.yaml:6: covariate: unknown key. Did you mean 'covariates'?" in msg
    assert "p.yaml:7: anaysis: unknown key. Did you mean 'analysis'?" in msg


def test_a_missing_required_key(tmp_path):
    head = student(tmp_path).read_text().replace("  measurements:", "  measurement:")
    msg = error_of(student(tmp_path, "", head=head))
    assert "p.yaml:3: data.measurements: missing: this key is required (add measurements: to the params file)" in msg
    assert "p.yaml:5: data.measurement: unknown key. Did you mean 'measurements'?" in msg


def test_a_list_where_one_value_is_expected_and_the_reverse(tmp_path):
    msg = error_of(student(tmp_path, "group: [care_type, diagnosis]\ncovariates: age\n"))
    assert "p.yaml:6: group: expects one value, not a list: write group: care_type (got [care_type, diagnosis])" in msg
    assert "p.yaml:7: covariates: expects a list in square brackets: write covariates: [age] (got 'age')" in msg


def test_a_misspelt_report(tmp_path):
    head = student(tmp_path).read_text().replace("report: student_analysis", "report: student_analyse")
    msg = error_of(student(tmp_path, "", head=head))
    assert "p.yaml:1: report: 'student_analyse' is not one of: effect_study, explore, student_analysis, validate, " \
           "yearly_summary. Did you mean 'student_analysis'?" in msg


# ------------------------------------------------------------------------ paths
def test_windows_backslashes_in_a_path(tmp_path):
    head = student(tmp_path).read_text().replace(f"{TINY}/episodes.csv", r"..\data\episodes.csv")
    msg = error_of(student(tmp_path, "", head=head))
    assert "p.yaml:4: data.episodes.path: file" in msg
    assert "write / instead of \\ in paths: '../data/episodes.csv' (params files use / on every computer)" in msg


def test_a_path_written_from_the_current_folder_not_the_params_file(tmp_path, monkeypatch):
    shutil.copytree(TINY, tmp_path / "data")
    (tmp_path / "params").mkdir()
    monkeypatch.chdir(tmp_path)
    head = (student(tmp_path).read_text().replace(f"{TINY}/", "data/"))
    msg = error_of(student(tmp_path / "params", "", head=head))
    assert ("data.episodes.path: file" in msg and "'data/episodes.csv' counts from the folder of the params file "
            "(params), not from the current folder: write '../data/episodes.csv'") in msg


def test_a_missing_file_says_where_relative_paths_count_from(tmp_path):
    head = student(tmp_path).read_text().replace(f"{TINY}/episodes.csv", "episodes.csv")
    msg = error_of(student(tmp_path, "", head=head))
    assert "(a relative path counts from the folder of the params file" in msg


# ------------------------------------------------------------------------ the notebook's report
def test_run_with_a_params_file_of_another_report_stops_before_the_kernel(tmp_path, capsys, no_kernel):
    out_dir = tmp_path / "out"
    rc, out = run(capsys, NOTEBOOKS / "yearly_summary.ipynb", ROOT / "params" / "demo.yaml", "-o", str(out_dir))
    assert rc == 2
    assert "report: this params file is for the report 'effect_study' (report: effect_study), but notebook " \
           "yearly_summary.ipynb makes the report 'yearly_summary'" in out
    assert "run it with" in out and "effect_study.ipynb" in out and "with report: yearly_summary (such as " in out
    assert "TypeError" not in out and not out_dir.exists()


def test_a_renamed_notebook_keeps_its_report_from_its_metadata(tmp_path):
    copy = tmp_path / "my_summary.ipynb"
    shutil.copy(NOTEBOOKS / "yearly_summary.ipynb", copy)
    assert notebook_report(copy) == "yearly_summary"
    nb = json.loads(copy.read_text(encoding="utf-8"))
    del nb["metadata"]["effectstudy"]
    copy.write_text(json.dumps(nb), encoding="utf-8")
    assert notebook_report(copy) is None  # no declaration, no report name: any params are accepted
    assert {notebook_report(p) for p in NOTEBOOKS.glob("*.ipynb")} == {"effect_study", "yearly_summary",
                                                                        "student_analysis", "explore"}


def test_a_validate_only_params_file_is_not_for_a_notebook(tmp_path, capsys, no_kernel):
    head = student(tmp_path).read_text().replace("report: student_analysis", "report: validate")
    rc, out = run(capsys, NOTEBOOKS / "effect_study.ipynb", student(tmp_path, "", head=head), "-o", str(tmp_path / "o"))
    assert rc == 2 and "report: validate: this params file is for `effectstudy validate -f" in out
    assert "notebook effect_study.ipynb makes the report 'effect_study'" in out


def test_validate_with_notebook_checks_the_report(tmp_path, capsys):
    rc, out = validate(capsys, student(tmp_path, "group: care_type\n"), "--notebook", str(NOTEBOOKS / "yearly_summary.ipynb"))
    assert rc == 2 and "this params file is for the report 'student_analysis'" in out
    assert "student_analysis.ipynb" in out


def test_run_with_a_misspelt_group_stops_before_the_kernel(tmp_path, capsys, no_kernel):
    rc, out = run(capsys, NOTEBOOKS / "student_analysis.ipynb", student(tmp_path, "group: diagnsis\n"),
                  "-o", str(tmp_path / "o"))
    assert rc == 2 and "group: 'diagnsis' is not a column of the episodes file" in out
    assert "Did you mean 'diagnosis'?" in out and not (tmp_path / "o").exists()


def test_run_checks_the_p_overrides_too(tmp_path, capsys, no_kernel):
    rc, out = run(capsys, NOTEBOOKS / "student_analysis.ipynb", student(tmp_path), "-p", "outcome", "DEPR",
                  "-o", str(tmp_path / "o"))
    assert rc == 2 and "outcome: 'DEPR' is not a scale of scl90_nl" in out and "Did you mean 'DEP'?" in out


# ------------------------------------------------------------------------ the shipped params
@pytest.mark.parametrize("name", ["demo.yaml", "ci.yaml", "ci-student.yaml", "ci-yearly.yaml", "student-example.yaml",
                                  "demo-yearly-2023.yaml"])
def test_shipped_params_pass_the_checks_with_their_notebooks(name):
    checked = preflight(ROOT / "params" / name, read_data=False)
    nb = NOTEBOOKS / f"{checked.params.report}.ipynb"
    assert notebook_report(nb) == checked.params.report
    preflight(ROOT / "params" / name, notebook=nb, read_data=False).raise_for_problems()


def test_the_student_example_passes_against_its_data():
    checked = preflight(ROOT / "params" / "student-example.yaml")
    assert checked.problems == [] and not checked.fatal


def test_a_selection_code_with_another_spelling(tmp_path):
    msg = error_of(student(tmp_path, "selection:\n  care_types: [basic, specialized]\n"))
    assert ("p.yaml:7: selection.care_types.1: 'specialized' is not a code of care_type; its codes: basic, "
            "specialised (declare codes under data.codes.care_type). Did you mean 'specialised'?") in msg


def test_a_level_as_a_percentage_and_a_quoted_number(tmp_path):
    msg = error_of(student(tmp_path, "analysis:\n  effect_size: {ci: 95}\ndisclosure: {min_n: '10'}\n"))
    assert "p.yaml:7: analysis.effect_size.ci: must be less than 1; for 95% write 0.95 (got 95)" in msg
    assert "p.yaml:8: disclosure.min_n: expected a number; leave out the quotes (got '10')" in msg


def test_a_window_as_text_and_a_misspelt_rule(tmp_path):
    msg = error_of(student(tmp_path, "analysis:\n  stagnation:\n    window: 3-5\n    rule: not_ontrack\n"))
    assert "p.yaml:8: analysis.stagnation.window: expects two values in square brackets, [from, to] (got '3-5')" in msg
    assert "p.yaml:9: analysis.stagnation.rule: 'not_ontrack' is not one of: early_no_progress, not_on_track, " \
           "deterioration. Did you mean 'not_on_track'?" in msg


def test_a_yearly_summary_without_its_year(tmp_path):
    head = student(tmp_path).read_text().replace("report: student_analysis", "report: yearly_summary")
    msg = error_of(student(tmp_path, "", head=head))
    assert "p.yaml: year: missing: this key is required (add year: to the params file)" in msg


def test_an_export_params_file_is_not_a_report(capsys, no_kernel, tmp_path):
    rc, out = run(capsys, NOTEBOOKS / "effect_study.ipynb", ROOT / "params" / "export-example.yaml",
                  "-o", str(tmp_path / "o"))
    assert rc == 2 and "report: missing; this file has export and store: and no report:" in out


def test_file_settings_in_plain_words(tmp_path):
    head = student(tmp_path).read_text().replace("sep: ';'}\n  measurements", "sep: ';;', format: xls, sheet: 1.5}\n"
                                                 "  satisfaction: evaluatie.xlsx\n  measurements")
    msg = error_of(student(tmp_path, "", head=head))
    assert "p.yaml:4: data.episodes.format: 'xls' is not one of: csv, xlsx, sav, parquet. Did you mean 'xlsx'?" in msg
    assert "p.yaml:4: data.episodes.sep: ';;' is not one of: ';', ',', '\\t', '|'. Did you mean ';'?" in msg
    assert "p.yaml:4: data.episodes.sheet: expects text or a whole number (got 1.5)" in msg
    assert ("p.yaml:5: data.satisfaction: expects a section with the file's settings: write satisfaction: "
            "{path: evaluatie.xlsx} (got 'evaluatie.xlsx')") in msg


def test_a_dutch_column_name_gets_the_english_one(tmp_path, capsys):
    rc, out = validate(capsys, student(tmp_path, "group: behandeling\ncovariates: [leeftijd]\n"))
    assert rc == 2 and ": problems in the params file (below)" in out
    assert "group: 'behandeling' is not a column of the episodes file (episodes.csv)" in out
    assert "Did you mean 'treatment' (the column names are English)?" in out
    assert "covariates: 'leeftijd' is not a column" in out and "Did you mean 'age' (the column names are English)?" in out


def test_the_explore_notebook_takes_every_reports_params(tmp_path):
    from effectstudy.reports.preflight import accepted_reports

    assert set(accepted_reports(NOTEBOOKS / "explore.ipynb")) == {"explore", "effect_study", "yearly_summary",
                                                                   "student_analysis"}
    assert accepted_reports(NOTEBOOKS / "effect_study.ipynb") == ["effect_study"]
    preflight(ROOT / "params" / "demo.yaml", notebook=NOTEBOOKS / "explore.ipynb", read_data=False)


def test_item_level_sq48_stops_before_the_run_with_the_template(tmp_path):
    """The SQ-48 ships at scale level (no public item key): item answers cannot be scored, and
    the preflight says so before a kernel starts, naming the template (issue 14)."""
    text = (ROOT / "params" / "demo.yaml").read_text(encoding="utf-8")
    text = text.replace("../data/", str(ROOT / "data") + "/").replace("instrument: scl90_nl", "instrument: sq48")
    p = tmp_path / "sq48.yaml"
    p.write_text(text, encoding="utf-8")
    problems = "\n".join(preflight(p, read_data=False).problems)
    assert "analysis.instrument: sq48 is registered at scale level only" in problems
    assert "template_path('sq48')" in problems and "values: scores" in problems
