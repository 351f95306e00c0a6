"""Yearly summary: key figures against independent counts, disclosure of every published table,
text from published values only, trend from earlier runs' results.json."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.jsonable import jsonable
from effectstudy.reports.yearly import COUNTS, PARTS, trend

ROOT = Path(__file__).resolve().parents[2]
EX = ROOT / "data" / "example"
P2023 = ROOT / "params" / "demo-yearly-2023.yaml"


@pytest.fixture(scope="module")
def study():
    return es.Study.from_params(P2023)


@pytest.fixture(scope="module")
def figures(study):
    return study.key_figures()


def raw(name: str) -> pd.DataFrame:
    return pd.read_csv(EX / name, sep=";", dtype=str, keep_default_na=False)


def test_totals_against_the_export_read_independently(study, figures):
    eps = raw("episodes.csv")
    ended = eps[(eps["consent_study"] == "1") & eps["end_date"].str.endswith("2023")]
    total = figures.summary().iloc[0]
    assert total["n"] == len(ended)
    sat = raw("satisfaction.csv")
    sat = sat[sat["episode_id"].isin(ended["episode_id"])]
    assert total["n_issued"] == (sat["issued"] == "1").sum()
    assert total["n_returned"] == ((sat["returned"] == "1") & (sat["issued"] == "1")).sum()
    grades = sat.loc[sat["grade"] != "", "grade"].astype(float)
    assert total["mean_grade"] == pytest.approx(grades.mean(), rel=1e-12)
    # complete pairs and categories: the stages' own results, counted here
    pairs = study.pairs().patients
    assert total["n_complete"] == (pairs["status"] == "paired").sum()
    cats = study.clinical_significance().patients["category"].astype(str).value_counts()
    for c in ("recovered", "improved", "unchanged", "deteriorated", "harmed"):
        assert total[f"n_{c}"] == cats.get(c, 0)
    assert total["n_reliably_improved"] == total["n_recovered"] + total["n_improved"]
    st = study.stagnation().patients["status"].astype(str)
    assert (total["n_evaluable"], total["n_stagnated"]) == ((st != "not_evaluable").sum(), (st == "stagnated").sum())


def test_effect_size_is_the_improvement_with_its_ci(study, figures):
    d = es.prepost_effect(study.pairs().data, subject="episode_id", time="time", outcome="score",
                          pre="pre", post="post", method="b", adjust=True).summary().iloc[0]
    total = figures.summary().iloc[0]
    assert total["effect_size"] == pytest.approx(-d["estimate"], rel=1e-12) and total["effect_size"] > 0
    assert (total["effect_size_ci_low"], total["effect_size_ci_high"]) == pytest.approx((-d["ci_high"], -d["ci_low"]))


def test_effect_size_interval_follows_the_params_ci_method(study):
    # analysis.effect_size.ci_method reaches the yearly figures as it reaches the effect study
    boot = study.with_overrides({"analysis.effect_size.ci_method": "percentile",
                                 "analysis.effect_size.n_resamples": 1000, "analysis.effect_size.seed": 7})
    d = es.prepost_effect(study.pairs().data, subject="episode_id", time="time", outcome="score", pre="pre",
                          post="post", method="b", adjust=True, ci_method="percentile", n_resamples=1000,
                          seed=7).summary().iloc[0]
    total = boot.key_figures().summary().iloc[0]
    assert (total["effect_size_ci_low"], total["effect_size_ci_high"]) == pytest.approx(
        (-d["ci_high"], -d["ci_low"]), rel=1e-12)
    assert boot.key_figures().meta["ci_method"] == "percentile"


def test_groups_add_up_to_the_total(figures):
    for grouping in ("diagnosis", "care_type"):
        t = figures.tables[grouping]
        groups, total = t[t["group"] != "all"], t[t["group"] == "all"].iloc[0]
        for col in ("n", *COUNTS):
            assert groups[col].sum() == total[col], (grouping, col)
        for whole, parts in PARTS.items():
            assert (t[parts].sum(axis=1) == t[whole]).all()


@pytest.mark.parametrize("grouping", ["all", "diagnosis", "care_type"])
def test_published_tables_are_safe(study, figures, grouping):
    pub = study.published(figures, grouping)
    table, mask = pub.disclosure.published, pub.disclosure.mask
    assert pub.disclosure.passed
    truth = figures.tables[grouping].set_index("group")
    for col in ("n", *COUNTS):
        shown = table[col].notna()
        assert (table.loc[shown, col] % 5 == 0).all() and (table.loc[shown, col] >= 10).all()
        assert (truth.loc[table.loc[shown, "group"], col].to_numpy() >= 10).all()
    # a statistic only where the count it rests on is published, and only for >= 10 clients
    for stat, base in (("effect_size", "n_complete"), ("mean_grade", "n_returned")):
        shown = table[stat].notna()
        assert (mask.loc[shown, base] == "").all(), (grouping, stat)
        assert (truth.loc[table.loc[shown, "group"], base].to_numpy() >= 10).all()
    json.dumps(pub.to_dict())  # publishable as JSON


def test_text_uses_published_values_only(study, figures):
    pub = study.published(figures)
    text = study.yearly_text(pub)
    shown = pub.disclosure.published.iloc[0]
    numbers = text.replace(study._scale_name(), "")  # the instrument's name has its edition year
    assert f"ongeveer {int(shown['n'])} behandeltrajecten" in text
    for col in ("pct_complete", "pct_reliably_improved"):
        if not np.isnan(shown[col]):  # hidden by disclosure control: not in the text either
            assert f"{int(shown[col])}%" in text
    if np.isnan(shown["pct_recovered"]):  # suppressed: recovery is not mentioned at all
        assert "herstel" not in text.lower()
    # every whole number in the text is a published value, a year, a session or an interval bound
    published = {int(v) for v in shown.dropna().to_numpy() if isinstance(v, int | float) and float(v).is_integer()}
    for m in re.finditer(r"(?<![\d,.-])(\d+)(?![\d,])", numbers):
        k = int(m.group(1))
        interval = re.search(r"BI [\d-]*$", numbers[max(0, m.start() - 12):m.start()])  # "95%-BI 49-70%"
        assert k in published or k in (2023, 3, 5, 95) or interval, (k, numbers[m.start() - 30:m.end() + 5])


def test_english_text(tmp_path):
    st = es.Study.from_params(P2023, {"language": "en", "year": 2024})  # 2024: the effect size is published
    text = st.yearly_text(st.published(st.key_figures()))
    assert text.startswith("In 2024, about ") and "effect size" in text and "95% CI" in text


def test_trend_reads_published_history(tmp_path, study, figures):
    pub = study.published(figures)
    last = {"key_figures": json.loads(json.dumps(jsonable(pub.to_dict())))}
    last["key_figures"]["year"] = 2022
    h = tmp_path / "results.json"
    h.write_text(json.dumps(last))
    t = trend([h], pub).summary()
    assert sorted(t["year"].unique()) == [2022, 2023]
    a = t[t["figure"] == "pct_returned"].set_index("year")["value"]
    assert a[2022] == a[2023] == pub.value("pct_returned")
    with pytest.raises(es.DataError, match="the same year twice"):
        trend([h, h], pub)
    bad = tmp_path / "other.json"
    bad.write_text(json.dumps({"flow": {}}))
    with pytest.raises(es.DataError, match="no published 'key_figures' entry.*other.json|other.json.*no published"):
        trend([bad], pub)


def test_year_selection_is_counted(study):
    t = study.flow().summary().set_index(["step", "reason"])["episodes"]
    eps = study.input.episodes
    consenting = eps[eps["consent_study"].fillna(False).astype(bool)]  # not recorded = no consent
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        not_2023 = (consenting["end_date"].dt.year != 2023).sum()
    assert t[("selection", "excluded_not_ended_in_year")] == not_2023
