"""A planted free-text diagnosis never becomes a label in the effect study or the yearly summary.

Every ``burnout`` diagnosis of the example data (63 episodes: a group far above the disclosure
threshold) is replaced by a text with a name and a phone number; one occasion gets a phone number.
The reports are computed by :class:`Study` and written with :class:`ReportOutput` (results.json,
tables, xlsx); every file is searched, xlsx unzipped.  Without the code lists the text would be a
group label in both reports.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
import yaml

import effectstudy as es
from effectstudy.core.errors import ArgumentError, DataQualityWarning

ROOT = Path(__file__).resolve().parents[1]
PLANTED = "depressie mw. Jansen 06-12345678"
NEEDLES = ("Jansen", "12345678", "depressie mw")


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    d = tmp_path_factory.mktemp("planted")
    shutil.copytree(ROOT / "data" / "example", d / "data")
    e = d / "data" / "episodes.csv"
    lines = e.read_text(encoding="utf-8").splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        f = line.split(";")
        if f[5] == "burnout":
            f[5] = PLANTED
        out.append(";".join(f))
    e.write_text("\n".join(out) + "\n", encoding="utf-8")
    m = d / "data" / "measurements.csv"
    ml = m.read_text(encoding="utf-8").splitlines()
    f = ml[1].split(";")
    f[5] = "post 06-12345678"
    ml[1] = ";".join(f)
    m.write_text("\n".join(ml) + "\n", encoding="utf-8")
    for name in ("demo.yaml", "demo-yearly-2024.yaml"):
        p = yaml.safe_load((ROOT / "params" / name).read_text(encoding="utf-8"))
        for t in ("episodes", "measurements", "satisfaction"):
            p["data"][t]["path"] = str(d / "data" / Path(p["data"][t]["path"]).name)
        p.pop("history", None)
        (d / name).write_text(yaml.safe_dump(p, allow_unicode=True), encoding="utf-8")
    return d


def _texts(folder: Path) -> dict[str, str]:
    out = {}
    for p in folder.rglob("*"):
        if not p.is_file():
            continue
        if p.suffix == ".xlsx":
            with zipfile.ZipFile(p) as z:
                out[str(p)] = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        else:
            out[str(p)] = p.read_bytes().decode("utf-8", "replace")
    return out


def _assert_clean(folder: Path) -> None:
    texts = _texts(folder)
    assert any(p.endswith("results.json") for p in texts)
    hits = [(p, n) for p, t in texts.items() for n in NEEDLES if n in t]
    assert hits == []


def test_effect_study_shows_no_free_text_label(planted, tmp_path):
    study = es.Study.from_params(planted / "demo.yaml")
    out = es.ReportOutput(tmp_path / "effect", lang=study.lang, display=False)
    out.show("flow", study.flow())
    out.show("validation", study.validation())
    out.show("sample", study.sample())
    out.show("effect_sizes", study.effect_sizes())
    with pytest.warns(DataQualityWarning, match="missing_group"):  # the uncoded rows leave the groups
        by_group = study.clinical_significance(group=study.analysis.groups[0])
    out.show("clinical_significance_by_group", by_group)
    out.show("treatment_course", study.treatment_course())
    out.show("satisfaction", study.satisfaction())
    out.save()
    _assert_clean(tmp_path / "effect")
    # the 63 planted values are counted, not shown, and their rows are still analysed
    assert study.flow().meta["uncoded_value"] == {"episodes.diagnosis": 63, "measurements.occasion": 1}
    v = study.validation()
    assert v.loc[v["status"] == "value_removed", ["column", "n"]].to_dict("records") == [
        {"column": "diagnosis", "n": 63}, {"column": "occasion", "n": 1}]
    groups = study.sample().table
    assert "burnout" not in set(groups["group"]) and PLANTED not in set(groups["group"])
    assert int(groups.loc[groups["grouping"] == "all", "episodes"].iloc[0]) == len(study.episodes)


def test_yearly_summary_shows_no_free_text_label(planted, tmp_path):
    study = es.Study.from_params(planted / "demo-yearly-2024.yaml")
    out = es.ReportOutput(tmp_path / "yearly", lang=study.lang, display=False)
    figures = study.key_figures()
    published = study.published(figures)
    out.text("summary_text", study.yearly_text(published))
    out.show("key_figures", published)
    out.show("by_group", study.published_groups(figures))
    out.text("methods", study.methods_text(published))
    out.save()
    _assert_clean(tmp_path / "yearly")


def test_a_free_text_group_passed_to_a_study_method_is_refused(planted):
    # the demo declares the example's therapist codes; here the therapist column is free text
    study = es.Study.from_params(planted / "demo.yaml", {"data.codes": {"therapist": "free_text"}})
    with pytest.raises(ArgumentError, match="'therapist' has no code list"):
        study.sample(groups=["therapist"])
    with pytest.raises(ArgumentError, match="'client_id' is an identifier or free text"):
        study.clinical_significance(group="client_id")
