"""The yearly trend uses one set of criteria: the demo years show the same cut-off and S_diff, and a
year measured with other criteria (or without recorded criteria) is refused, naming both years."""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path

import pytest

import effectstudy as es

ROOT = Path(__file__).resolve().parents[2]
P2023 = ROOT / "params" / "demo-yearly-2023.yaml"
SAMPLE = {"analysis.reliable_change.reliability": "sample", "analysis.reliable_change.m_clinical": None,
          "analysis.reliable_change.sd_clinical": None}


def publish(base: es.Study, year: int, folder: Path, history=(), overrides=None) -> Path:
    """The yearly notebook's steps in process: the public results.json of one year."""
    study = base.with_overrides({"year": year, "history": [str(h) for h in history], **(overrides or {})})
    out = es.ReportOutput(folder, lang=study.lang, display=False, public=True)
    published = study.published(study.key_figures())
    out.show("key_figures", published)
    out.show("trend", study.trend(published))
    out.text("methods", study.methods_text(published))
    out.save()
    return folder / "results.json"


@pytest.fixture(scope="module")
def base():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", es.DataQualityWarning)
        return es.Study.from_params(P2023)


@pytest.fixture(scope="module")
def demo(base, tmp_path_factory):
    root = tmp_path_factory.mktemp("trend") / "reports" / "yearly_summary"
    r23 = publish(base, 2023, root / "demo-yearly-2023")
    r24 = publish(base, 2024, root / "demo-yearly-2024", [r23])
    return r23, r24


def test_demo_years_show_the_same_cutoff_and_s_diff(demo):
    r23, r24 = demo
    res = json.loads(r24.read_text(encoding="utf-8"))
    t = {(r["year"], r["figure"]): r["value"] for r in res["trend"]["summary"]}
    # by hand from the demo params: cut-off a = 212.9 - 2 * 51.3, S_diff = 51.3 * sqrt(2 * (1 - 0.87))
    for year in (2023, 2024):
        assert t[(year, "cutoff")] == pytest.approx(212.9 - 2 * 51.3, rel=1e-12)
        assert t[(year, "s_diff")] == pytest.approx(51.3 * math.sqrt(2 * (1 - 0.87)), rel=1e-12)
    # each year's public results carry the criteria with their sources, never an unrounded count
    for r in (r23, r24):
        crit = json.loads(r.read_text(encoding="utf-8"))["key_figures"]["criteria"]
        assert crit["reliability"] == 0.87 and crit["reliability_kind"] == "params"
        assert crit["rounded_for_publication"] is False and "n_sample" not in crit
    assert "standaardfout van het verschil (S-diff) 26,16 (afgeleid)" in res["methods"]


def test_trend_refuses_years_with_other_criteria(base, demo, tmp_path):
    r23, _ = demo
    sample23 = publish(base, 2023, tmp_path / "reports" / "yearly_summary" / "sample-2023", overrides=SAMPLE)
    crit = json.loads(sample23.read_text(encoding="utf-8"))["key_figures"]["criteria"]
    assert crit["rounded_for_publication"] is True  # sample-based: statistics of the clients, rounded
    assert crit["cutoff"] == round(crit["cutoff"], 1) and crit["s_diff"] == round(crit["s_diff"], 2)
    # the refusal names both years, their files and the differing values as published
    rel, cut = re.escape(f"{crit['reliability']:g}"), re.escape(f"{crit['cutoff']:g}")
    with pytest.raises(es.DataError, match=r"the years 2023 \(.*sample-2023.*\) and 2024 used different criteria "
                                           rf"\(reliability: 2023 {rel}, 2024 0\.87.*cutoff: 2023 {cut}, 2024 110\.3"):
        publish(base, 2024, tmp_path / "x24", [sample23])


def test_trend_refuses_a_year_without_recorded_criteria(base, demo, tmp_path):
    r23, _ = demo
    old = json.loads(r23.read_text(encoding="utf-8"))
    del old["key_figures"]["criteria"]  # a run made before criteria were recorded
    h = tmp_path / "old.json"
    h.write_text(json.dumps(old), encoding="utf-8")
    with pytest.raises(es.DataError, match=r"the results of 2023 \(.*old\.json\) record none, while 2024"):
        publish(base, 2024, tmp_path / "y24", [h])
