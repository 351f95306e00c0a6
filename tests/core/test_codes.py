"""Code lists (effectstudy.core.codes) and their params section (data.codes)."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from effectstudy.core import codes
from effectstudy.core.errors import ParamsError
from effectstudy.core.labels import label, register, translate
from effectstudy.core.params import load_report_params
from effectstudy.core.schema import CARE_TYPES, END_REASONS


def test_defaults_cover_the_general_columns_and_the_example_groups():
    eff = codes.effective_codes()
    assert eff["care_type"].codes == CARE_TYPES
    assert eff["end_reason"].codes == END_REASONS
    assert set(eff["sex"].codes) == {"female", "male", "other"}
    assert {"pre", "interim", "post"} <= set(eff["occasion"].codes)
    ex = pd.read_csv("data/example/episodes.csv", sep=";", dtype=str)
    for col in ("diagnosis", "treatment", "sex", "care_type"):
        assert set(ex[col].dropna()) <= set(eff[col].codes), col
    assert eff["therapist"] is None  # practice-specific: free text unless declared


def test_default_labels_are_in_the_label_table():
    assert translate("cbt", "nl") == "cognitieve gedragstherapie"
    assert translate("interim", "nl") == "tussenmeting"
    assert translate("female", "en") == "female"
    assert label("depression", "nl") == "depressie"


def test_params_forms_normalise_to_one_full_form():
    full = codes.normalise_codes({
        "diagnosis": {"depression": {"nl": "depressie", "en": "depression"}, "eating": "eetstoornis"},
        "treatment": ["cbt", "emdr"],
        "therapist": "free_text",
    })
    assert full["diagnosis"]["eating"] == {"nl": "eetstoornis", "en": "eetstoornis"}
    assert full["treatment"]["cbt"] == {"nl": "cognitieve gedragstherapie", "en": "cognitive behavioural therapy"}
    assert full["therapist"] == "free_text"
    assert codes.normalise_codes(full) == full  # idempotent: params survive model_dump/validate


def test_declared_list_replaces_the_default_and_free_text_removes_it():
    eff = codes.effective_codes({"diagnosis": ["eating"], "sex": "free_text"})
    assert eff["diagnosis"].codes == ("eating",)
    assert eff["diagnosis"].source == "params"
    assert eff["sex"] is None
    assert eff["treatment"] is codes.DEFAULT_CODES["treatment"]


@pytest.mark.parametrize(("raw", "message"), [
    ({"client_id": ["a"]}, "'client_id' cannot carry codes"),
    ({"diagnosis": []}, "an empty code list; write 'free_text'"),
    ({"diagnosis": ["a", "A"]}, "codes ['A', 'a'] occur twice"),
    ({"diagnosis": [1.5]}, "a code must be text (got 1.5)"),
    ({"diagnosis": {"a": {"nl": "x"}}}, "data.codes.diagnosis.a: expected labels {nl: <text>, en: <text>}"),
    ({"diagnosis": {"a": {"nl": "x", "en": "y", "de": "z"}}}, "expected labels"),
    ({"care_type": ["gb", "sggz"]}, "the schema fixes its codes as ['basic', 'specialised']"),
    ({"end_reason": "free_text"}, "it cannot be free text"),
    ({"diagnosis": 3}, "expected a list of codes, a mapping code -> labels, or 'free_text'"),
])
def test_bad_code_lists_are_errors_naming_the_key(raw, message):
    with pytest.raises(ValueError, match="data.codes") as e:
        codes.normalise_codes(raw)
    assert message in str(e.value)


def test_match_ignores_case_and_keeps_missing_missing():
    s = pd.Series(["Depression", "depression", "DEPRESSION", "depressie mw. X", None, "anxiety"], dtype="str")
    coded, bad = codes.DEFAULT_CODES["diagnosis"].match(s)
    assert coded.iloc[:3].tolist() == ["depression"] * 3
    assert coded.isna().tolist() == [False, False, False, True, True, False]
    assert bad.tolist() == [False, False, False, True, False, False]


def _params(tmp_path, body: str):
    for f in ("e.csv", "m.csv"):
        (tmp_path / f).write_text("x")
    p = tmp_path / "p.yaml"
    p.write_text(textwrap.dedent("""
        data:
          episodes: {path: e.csv}
          measurements: {path: m.csv}
    """) + textwrap.dedent(body))
    return p


def test_free_text_group_is_a_params_error(tmp_path):
    p = _params(tmp_path, """
        report: effect_study
        analysis: {groups: [diagnosis, therapist]}
    """)
    with pytest.raises(ParamsError) as e:
        load_report_params(p)
    msg = str(e.value)
    assert "analysis.groups.1: 'therapist' has no code list" in msg
    assert "data.codes.therapist" in msg


def test_declared_free_text_diagnosis_cannot_be_the_students_group(tmp_path):
    p = _params(tmp_path, "report: student_analysis\n")
    # the student's default group is diagnosis: fine with the package's list
    assert load_report_params(p).group == "diagnosis"
    p.write_text(p.read_text().replace("measurements: {path: m.csv}",
                                       "measurements: {path: m.csv}\n  codes: {diagnosis: free_text}"))
    with pytest.raises(ParamsError, match=r"group: 'diagnosis' has no code list"):
        load_report_params(p)


def test_ids_and_text_covariates_are_refused_numbers_pass(tmp_path):
    p = _params(tmp_path, """
        report: student_analysis
        group: care_type
        covariates: [age, sessions, birth_year, client_id]
    """)
    with pytest.raises(ParamsError) as e:
        load_report_params(p)
    assert "covariates.3: 'client_id' is an identifier or free text" in str(e.value)
    p.write_text(p.read_text().replace(", client_id]", ", sex]"))
    assert load_report_params(p).covariates == ["age", "sessions", "birth_year", "sex"]


def test_declared_codes_make_a_column_a_group_and_register_labels(tmp_path):
    p = _params(tmp_path, """
        report: effect_study
        analysis: {groups: [therapist]}
    """)
    p.write_text(p.read_text().replace(
        "measurements: {path: m.csv}",
        "measurements: {path: m.csv}\n  codes: {therapist: {T01: {nl: therapeut A, en: therapist A}}}"))
    params = load_report_params(p)
    eff = params.data.code_lists()
    assert eff["therapist"].codes == ("T01",)
    codes.register_code_labels(eff)
    assert translate("T01", "en") == "therapist A"


def test_params_error_for_a_bad_code_list_names_the_key(tmp_path):
    p = _params(tmp_path, "report: effect_study\n")
    p.write_text(p.read_text().replace("measurements: {path: m.csv}",
                                       "measurements: {path: m.csv}\n  codes: {diagnosis: [yes, 'Yes']}"))
    with pytest.raises(ParamsError, match=r"p\.yaml:5: data\.codes\.diagnosis: codes \['Yes', 'yes'\] occur twice"):
        load_report_params(p)


def test_showing_the_therapist_needs_its_codes(tmp_path):
    p = _params(tmp_path, """
        report: effect_study
        stagnation_list: {show_therapist: true}
    """)
    with pytest.raises(ParamsError, match=r"stagnation_list.show_therapist: 'therapist' has no code list"):
        load_report_params(p)
    p.write_text(p.read_text().replace("measurements: {path: m.csv}",
                                       "measurements: {path: m.csv}\n  codes: {therapist: [T01, T02]}"))
    assert load_report_params(p).stagnation_list.show_therapist


def test_selection_names_codes(tmp_path):
    p = _params(tmp_path, """
        report: effect_study
        selection: {diagnoses: [depression, Depressie], care_types: [basic]}
    """)
    with pytest.raises(ParamsError) as e:
        load_report_params(p)
    assert "selection.diagnoses.1: 'Depressie' is not a code of diagnosis; its codes: depression, anxiety" in str(e.value)
    p.write_text(p.read_text().replace(", Depressie]", "]"))
    assert load_report_params(p).selection.diagnoses == ["depression"]


def test_params_labels_replace_registered_ones_and_package_lists_are_not_reregistered():
    old = {"nl": translate("depression", "nl"), "en": translate("depression", "en")}
    old_basic = {"nl": translate("basic", "nl"), "en": translate("basic", "en")}
    try:
        eff = codes.effective_codes({"diagnosis": {"depression": {"nl": "stemming", "en": "mood"}}})
        codes.register_code_labels(eff)  # another label for a registered code: replaced, as the params say
        assert translate("depression", "nl") == "stemming"
        register({"basic": {"nl": "eigen basis", "en": "own basic"}}, replace=True)
        codes.register_code_labels(eff)  # the package's care_type list is not registered again
        assert translate("basic", "nl") == "eigen basis"
    finally:
        register({"depression": old, "basic": old_basic}, replace=True)


def test_effectstudy_validate_refuses_a_free_text_group(tmp_path, capsys):
    from effectstudy.cli import main  # noqa: PLC0415 - the command line only here

    p = _params(tmp_path, """
        report: yearly_summary
        year: 2024
        analysis: {groups: [care_type, therapist]}
    """)
    assert main(["validate", "-f", str(p)]) == 2
    err = capsys.readouterr().err
    assert "analysis.groups.1: 'therapist' has no code list" in err and "data.codes.therapist" in err
