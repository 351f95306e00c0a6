"""The student report's output of es.ancova / es.mixed_prepost as an SPSS user expects it
(issue 16): the descriptives table, post-hoc comparisons only after a significant omnibus
test, the assumption checks in words, model terms and group values by their labels, APA
numbers (whole df, APA p) and titles for every table and figure.

Expected numbers are computed here with NumPy/SciPy from the data, never with the package.
"""

from __future__ import annotations

import dataclasses
import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError, DataQualityWarning
from effectstudy.models.apa import apa_number

COLS = dict(subject="id", time="time", outcome="score", pre="pre", post="post")
DIAGNOSES = ["anxiety", "brain_injury", "depression"]
#: a raw code in display text: snake_case or a model term such as diagnosis[brain_injury]
RAW = re.compile(r"\b[a-z]+_[a-z_]+\b|\w+\[[^\]]+\]")
#: a word as a reader reads it (hyphenated compounds are one word)
WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")
#: English words a Dutch report must not show, though a Dutch text is tempted by them
ENGLISH_IN_DUTCH = {"type", "post", "pre", "hoc", "mean", "adjusted", "score", "sample", "data",
                    "over", "start", "time", "residual", "level", "total", "and", "with"}


def long(pre: np.ndarray, post: np.ndarray, group: list, **subject_cols) -> pd.DataFrame:
    """Long pre/post data, one row per subject and occasion; ``subject_cols`` per subject."""
    n = len(pre)
    ids = [f"s{i}" for i in range(n)]
    cols = {k: list(v) * 2 for k, v in subject_cols.items()}
    return pd.DataFrame({"id": ids * 2, "time": ["pre"] * n + ["post"] * n,
                         "score": np.r_[pre, post], "group": list(group) * 2, **cols})


def make(effect: float = 0.0, sizes=(40, 40, 40), sd=(10.0, 10.0, 10.0), slopes=(0.6, 0.6, 0.6),
         seed: int = 1, levels=DIAGNOSES) -> pd.DataFrame:
    """Groups of the given sizes; post = 20 + slope * pre + effect * group index + noise."""
    rng = np.random.default_rng(seed)
    parts = []
    for j, (n, s, b) in enumerate(zip(sizes, sd, slopes, strict=True)):
        pre = rng.normal(50, 10, n)
        post = 20 + b * pre + effect * j + rng.normal(0, s, n)
        parts.append(pd.DataFrame({"pre": pre, "post": post, "group": levels[j]}))
    w = pd.concat(parts, ignore_index=True)
    n = len(w)
    sex = np.where(np.arange(n) % 2 == 0, "female", "male")
    age = 20 + (np.arange(n) * 7) % 45
    return long(w["pre"].to_numpy(), w["post"].to_numpy(), w["group"], age=age, sex=sex)


def fit(d: pd.DataFrame, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return es.ancova(d.rename(columns={"group": "diagnosis"}), **COLS, group="diagnosis", **kw)


# ------------------------------------------------------------------------------ descriptives
def test_descriptives_are_the_unadjusted_means_and_sds_of_the_cases_used():
    d = make(effect=5, sizes=(30, 12, 25))
    d.loc[(d["id"] == "s3") & (d["time"] == "post"), "score"] = np.nan   # not used: no post
    r = fit(d, covariates=["age"])
    t = r.descriptives
    wide = d.pivot(index="id", columns="time", values="score").dropna()
    grp = d.drop_duplicates("id").set_index("id")["group"].reindex(wide.index)
    for lev in DIAGNOSES:
        row = t[t["group"] == lev].iloc[0]
        w = wide[grp == lev]
        assert row["n"] == len(w)
        np.testing.assert_allclose([row["mean_pre"], row["sd_pre"], row["mean_post"], row["sd_post"]],
                                   [w["pre"].mean(), w["pre"].std(ddof=1), w["post"].mean(), w["post"].std(ddof=1)],
                                   rtol=1e-12)
    total = t[t["group"].isna()].iloc[0]
    assert total["n"] == r.meta["n_used"] == len(wide) == t["n"].iloc[:-1].sum() == 66
    np.testing.assert_allclose(total["sd_post"], wide["post"].std(ddof=1), rtol=1e-12)
    assert "descriptives" in json.loads(json.dumps(r.to_dict()))


@pytest.mark.parametrize("lang, cols, total, level", [
    ("nl", ["Diagnosegroep", "n", "M voormeting", "SD voormeting", "M nameting", "SD nameting"],
     "Totaal", "niet-aangeboren hersenletsel"),
    ("en", ["Diagnosis group", "n", "M pre", "SD pre", "M post", "SD post"], "Total",
     "acquired brain injury"),
])
def test_descriptives_table_is_labelled(lang, cols, total, level):
    t = fit(make()).apa_table(lang, "descriptives")
    assert list(t.columns) == cols
    assert t.iloc[:, 0].tolist() == [*t.iloc[:3, 0].tolist(), total] and level in t.iloc[:, 0].tolist()
    assert t["n"].tolist() == ["40", "40", "40", "120"]
    assert all(("," in v) == (lang == "nl") for v in t.iloc[:, 2])   # decimal comma in Dutch


# ------------------------------------------------------------------------- post-hoc gating
def test_comparisons_only_after_a_significant_omnibus_test():
    sig = fit(make(effect=12))
    assert sig.omnibus_significant()
    en = sig.apa("en")
    assert "Pairwise comparisons (Bonferroni-adjusted): anxiety vs. acquired brain injury" in en
    assert "exploratory" not in sig.caption("contrasts", "en")

    ns = fit(make(effect=0, seed=3))
    p = ns.anova.set_index("source").loc["diagnosis", "p"]
    assert p > 0.05 and not ns.omnibus_significant()
    en, nl = ns.apa("en"), ns.apa("nl")
    assert " vs. " not in en and " vs. " not in nl
    assert "Because the omnibus test was not significant (α = .05), no pairwise (post hoc) comparisons" in en
    assert "Omdat de omnibustoets niet significant was (α = ,05), zijn er geen paarsgewijze" in nl
    assert ns.caption("contrasts", "en").endswith(
        ", exploratory (omnibus test not significant; Bonferroni-adjusted)")
    assert "verkennend (omnibustoets niet significant; Bonferroni-correctie)" in ns.caption("contrasts", "nl")
    # asked for anyway: labelled exploratory; never: gone
    assert "Exploratory pairwise comparisons (omnibus test not significant; Bonferroni-adjusted): " \
           "anxiety vs." in ns.apa("en", comparisons=True)
    assert "Verkennende paarsgewijze vergelijkingen (omnibustoets niet significant" in ns.apa("nl", comparisons=True)
    assert "pairwise" not in ns.apa("en", comparisons=False).lower()


def test_alpha_gates_the_comparisons_from_the_call_or_the_result():
    d = make(effect=12)
    p = fit(d).anova.set_index("source").loc["diagnosis", "p"]
    strict = fit(d, alpha=p / 2)                     # the same p, a stricter alpha
    assert strict.meta["alpha"] == p / 2 and not strict.omnibus_significant()
    assert " vs. " not in strict.apa("en") and "no significant difference" in strict.apa("en")
    assert " vs. " in strict.apa("en", alpha=0.05)   # the call's alpha wins
    assert fit(d).omnibus_significant(alpha=p * 2) and not fit(d).omnibus_significant(alpha=p / 2)
    with pytest.raises(ArgumentError, match="alpha"):
        fit(d, alpha=1.5)


def test_two_groups_not_significant_say_nothing_of_comparisons():
    r = fit(make(effect=0, sizes=(30, 30), sd=(10, 10), slopes=(0.6, 0.6), seed=3, levels=DIAGNOSES[:2]))
    assert not r.omnibus_significant()
    assert "omnibus" not in r.apa("en") and " vs. " not in r.apa("en")


def test_many_pairs_the_text_names_only_the_significant_ones():
    levels = ["anxiety", "brain_injury", "burnout", "depression", "personality", "ptsd", "somatic"]
    d = make(effect=0, sizes=(25,) * 7, sd=(8.0,) * 7, slopes=(0.6,) * 7, seed=5, levels=levels)
    shift = d["group"].eq("somatic") & d["time"].eq("post")
    d.loc[shift, "score"] += 25                      # one group differs from all others
    r = fit(d)
    assert r.omnibus_significant() and len(r.contrasts) == 21
    en = r.apa("en")
    assert "Pairwise comparisons (Bonferroni-adjusted; 21 pairs, all in the table): significantly different were " in en
    n_sig = int((r.contrasts["p_adjusted"] < 0.05).sum())
    assert en.count(" vs. ") == n_sig and 0 < n_sig < 21
    assert "somatic symptom disorder" in en
    nl = r.apa("nl")
    assert "(Bonferroni-correctie; 21 paren, alle in de tabel): significant verschilden " in nl


# ------------------------------------------------------------------- assumptions in words
def test_a_significant_levene_test_is_interpreted_with_the_group_sizes():
    r = fit(make(effect=0, sizes=(60, 12, 30), sd=(4.0, 25.0, 10.0), seed=2))
    a = r.assumptions.set_index("test")
    assert a.loc["levene", "p"] < 0.05
    nl, en = r.assumptions_text("nl"), r.assumptions_text("en")
    assert "de varianties verschillen tussen de groepen (Levene-toets, F(2, 99) = " in nl
    assert "De F-toets is dan minder betrouwbaar, omdat de groepen ongelijk groot zijn (van 12 tot 60 " \
           "gevallen, de grootste 5,0 keer zo groot als de kleinste); overweeg" in nl
    assert "the variances differ between the groups (Levene's test, F(2, 99) = " in en
    assert "from 12 to 60 cases, the largest 5.0 times the smallest); consider" in en
    # the check: the group effect with HC3 standard errors, as statsmodels computes it
    rt = r.meta["robust_group_test"]
    hc3 = r.model.get_robustcov_results(cov_type="HC3")
    L = np.zeros((2, r.model.params.size))
    L[0, 2] = L[1, 3] = 1                         # the group's two sum-coded columns
    ft = hc3.f_test(L)
    np.testing.assert_allclose([rt["f"], rt["p"]], [float(ft.fvalue), float(ft.pvalue)], rtol=1e-10)
    assert (rt["df1"], rt["df2"]) == (2, 98)
    stat = f"F(2, 98) = {apa_number(rt['f'], lang='en')}"
    assert f"With HC3-robust standard errors the effect of diagnosis group is {stat}" in en
    assert "Met HC3-robuuste standaardfouten is het effect van diagnosegroep F(2, 98) = " in nl
    same = (rt["p"] < 0.05) == r.omnibus_significant()
    assert ("the same conclusion." if same else "another conclusion than the ordinary F test") in en
    assert len(nl.splitlines()) == 3 and nl.startswith("- **Homogeniteit van de regressiehellingen**")


def test_equal_group_sizes_make_a_significant_levene_test_less_serious():
    r = fit(make(effect=0, sizes=(40, 40, 40), sd=(4.0, 25.0, 10.0), seed=2))
    assert r.assumptions.set_index("test").loc["levene", "p"] < 0.05
    assert "The F test is fairly robust to this because the groups are about equally large" in r.assumptions_text("en")


def test_assumptions_that_hold_are_said_to_hold():
    r = fit(make(effect=0, seed=4))
    a = r.assumptions.set_index("test")
    assert (a["p"] > 0.05).all()
    en = r.assumptions_text("en")
    assert "no evidence that the variance of the residuals differs" in en
    assert "no evidence that the residuals depart from a normal distribution" in en
    assert "the assumption holds" in en
    assert "geen aanwijzing dat de residuen van een normale verdeling afwijken" in r.assumptions_text("nl")


def test_different_slopes_and_skewed_residuals_are_named():
    d = make(effect=0, slopes=(0.1, 0.6, 1.4), sd=(3.0, 3.0, 3.0), seed=6)
    rng = np.random.default_rng(0)
    post = d["time"].eq("post")
    d.loc[post, "score"] += rng.exponential(15, post.sum())   # skewed errors
    r = fit(d)
    a = r.assumptions.set_index("test")
    assert a.loc["slopes_homogeneity", "p"] < 0.05 and a.loc["shapiro_wilk", "p"] < 0.05
    nl = r.assumptions_text("nl")
    assert "het verband tussen voormeting en nameting verschilt tussen de groepen (interactie voormeting × " \
           "diagnosegroep, F(2, 114) = " in nl
    assert "overweeg een model met deze interactie" in nl
    assert "de residuen wijken af van een normale verdeling (Shapiro-Wilk-toets, W = ," in nl
    assert "beoordeel de Q-Q-plot" in nl


# ---------------------------------------------------------------- labels, not codes
def test_apa_text_and_tables_show_labels_not_codes():
    r = fit(make(effect=12), covariates=["age", "sex"])
    nl, en = r.apa("nl"), r.apa("en")
    assert "met de voormeting, leeftijd en geslacht als covariaten" in nl
    assert "with the pre score, age and sex as covariates" in en
    assert "verschil naar diagnosegroep zien" in nl and "difference by diagnosis group" in en
    assert "angst vs. niet-aangeboren hersenletsel" in nl and "anxiety vs. acquired brain injury" in en
    assert "gemiddeld voor alle niveaus van geslacht" in nl
    for text in (nl, en, r.assumptions_text("nl"), r.assumptions_text("en")):
        assert not RAW.findall(text), RAW.findall(text)
    dutch = " ".join([nl, r.assumptions_text("nl"), fit(make(effect=0, seed=3)).apa("nl"),
                      *(r.caption(w, "nl") for w in ("anova", "descriptives", "emmeans", "means")),
                      *r.apa_table("nl").columns, *r.apa_table("nl", "descriptives").columns])
    words = {w.lower() for w in WORD.findall(dutch)}
    assert not words & ENGLISH_IN_DUTCH, words & ENGLISH_IN_DUTCH
    t = r.apa_table("nl")
    assert t["Bron"].tolist() == ["Intercept", "Voormeting", "Diagnosegroep", "Leeftijd", "Geslacht", "Fout"]
    assert r.apa_table("en")["Source"].tolist()[2:5] == ["Diagnosis group", "Age", "Sex"]
    e = r.apa_table("nl", "emmeans")
    assert e["Diagnosegroep"].tolist() == ["angst", "niet-aangeboren hersenletsel", "depressie"]
    c = r.apa_table("en", "contrasts")
    assert c["Comparison"].iloc[0] == "anxiety – acquired brain injury"


def test_df_are_whole_numbers_and_p_values_apa():
    r = fit(make(effect=12), covariates=["age"])
    text = r.apa("en") + r.apa("nl") + r.assumptions_text("en")
    assert "F(2, 115) = " in r.apa("en")
    assert not re.search(r"\(\d+\.0\b|, \d+\.0\)|\d+,0\)", text)
    assert not re.search(r"p = \.000|p = 0\.", text)
    assert r.apa_table("en")["df"].tolist() == ["1", "1", "2", "1", "115"]
    assert r.apa_table("nl", "assumptions")["vg"].tolist()[:2] == ["2, 113", "2, 117"]


def test_captions_title_every_table_and_figure_in_both_languages():
    r = fit(make(effect=12), covariates=["age"])
    whats = ["sample", "descriptives", "anova", "emmeans", "contrasts", "assumptions", "means",
             "residuals", "qq", "slopes"]
    for lang in ("nl", "en"):
        caps = [r.caption(w, lang) for w in whats]
        assert len(set(caps)) == len(caps) and all(len(c) > 20 for c in caps)
        assert not any(RAW.findall(c) for c in caps)
    assert r.caption("sample", "nl") == ("Steekproef: de 120 gevallen in de ANCOVA (met voor- en nameting, "
                                         "diagnosegroep en covariaten)")
    assert r.caption("anova", "en") == ("ANCOVA of the post score with pre score, diagnosis group and age: "
                                        "tests of the effects (type III sums of squares)")
    with pytest.raises(ArgumentError, match="what"):
        r.caption("forest", "en")


def test_a_named_scale_appears_in_text_and_captions():
    r = fit(make(effect=12))
    named = dataclasses.replace(r, meta={**r.meta, "scale": "PSNEUR", "instrument": "scl90_nl"})
    assert "van de nameting van Psychoneuroticisme (PSNEUR) met" in named.apa("nl")
    assert "of the post score on Psychoneuroticism (PSNEUR) with" in named.apa("en")
    assert "Beschrijvende statistieken van Psychoneuroticisme (PSNEUR) per diagnosegroep" in named.caption(
        "descriptives", "nl")


# ------------------------------------------------------------------------- mixed model
def test_mixed_model_terms_by_their_labels():
    d = make(effect=12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        m = es.mixed_prepost(d.rename(columns={"group": "diagnosis"}), **COLS, group="diagnosis",
                             covariates=["age", "sex"])
    assert m.summary()["term"].tolist()[2] == "diagnosis[brain_injury]"   # stable codes stay
    nl = m.format("nl").iloc[:, 0].tolist()
    assert nl == ["Intercept", "Tijd (nameting t.o.v. voormeting)", "Diagnosegroep: niet-aangeboren hersenletsel",
                  "Diagnosegroep: depressie", "Leeftijd", "Geslacht: man",
                  "Tijd × Diagnosegroep: niet-aangeboren hersenletsel", "Tijd × Diagnosegroep: depressie"]
    en = m.format("en").iloc[:, 0].tolist()
    assert en[2] == "Diagnosis group: acquired brain injury" and en[5] == "Sex: male"
    assert en[6] == "Time × Diagnosis group: acquired brain injury"
    assert json.loads(json.dumps(m.to_dict()))["meta"]["terms"][0] == {
        "term": "diagnosis[brain_injury]", "variable": "diagnosis", "level": "brain_injury", "time": False}
    text = m.apa("nl") + " ".join(m.meta_lines("nl")) + m.caption("nl")
    assert "referentiegroep angst" in m.apa("nl") and "interactie tijd × diagnosegroep" in m.apa("nl")
    assert "referentiegroep: angst" in m.caption("nl")
    assert not RAW.findall(text), RAW.findall(text)
    assert m.meta_lines("nl")[0] == "Methode: lineair gemengd model (REML)"


# ----------------------------------------------------------------------- the student run
@pytest.mark.slow  # reads, scores and pairs the example practice
def test_student_sample_describes_the_analysed_cases():
    from effectstudy.study import Study
    from tests.models.test_models import REF  # noqa: F401 - the same repository layout

    root = REF.parents[2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        st = Study.from_params(root / "params" / "ci-student.yaml")
        a = st.ancova()
        s = st.sample(groups=[st.params.group], episodes=a.patients.index)
    t = s.summary()
    assert s.meta["population"] == "analysed"
    assert s.meta["n_used"] == a.meta["n_used"] == int(t.loc[t["grouping"] == "all", "episodes"].iloc[0])
    assert s.meta["n_original"] == len(st.episodes) > s.meta["n_used"]
    per_group = t[t["grouping"] == st.params.group].set_index("group")["episodes"]
    assert per_group.to_dict() == {str(k): int(v) for k, v in
                                   a.descriptives.dropna(subset=["group"]).set_index("group")["n"].items()}
    assert a.meta["scale"] == st.outcome and "(PSNEUR)" in a.caption("anova", "en")
    assert st.sample().meta["population"] == "selected"
