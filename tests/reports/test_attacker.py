"""The attacker property test: a reader of every published file of a yearly summary cannot
narrow a hidden count below the threshold, nor a rounded count below its rounding interval.

The reader (:mod:`tests.reports.attacker`) is an independent integer programme over what the
files show; it does not call the package's audit.  It runs on the demo yearly summaries (2023,
then 2024 with the 2023 run as its trend) and on random small practices; it is shown to catch
a leak (a mean grade at full precision, a "< 10" label, a percentage of a hidden count).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import effectstudy as es

from .attacker import Cell, Run, assert_protected, attack, ci_counts, grade_counts, read_folder

ROOT = Path(__file__).resolve().parents[2]
PARAMS = {2023: ROOT / "params" / "demo-yearly-2023.yaml", 2024: ROOT / "params" / "demo-yearly-2024.yaml"}


def publish_year(base: es.Study, year: int, folder: Path, history: list[Path] = ()) -> Path:
    """The yearly notebook's steps, in process (no kernel): the files of a public run."""
    study = base.with_overrides({"year": year, "history": [str(h) for h in history]})
    out = es.ReportOutput(folder, lang=study.lang, display=False, public=True)
    figures = study.key_figures()
    published = study.published(figures)
    out.internal("key_figures_unrounded", figures)
    out.text("summary_text", study.yearly_text(published))
    out.show("key_figures", published)
    out.show("by_group", study.published_groups(figures))
    out.show("trend", study.trend(published))
    out.text("methods", study.methods_text(published))
    out.save()
    return folder


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("yearly") / "reports" / "yearly_summary"
    study = es.Study.from_params(PARAMS[2023])     # the same export as the 2024 params
    f23 = publish_year(study, 2023, base / "demo-yearly-2023")
    f24 = publish_year(study, 2024, base / "demo-yearly-2024", [f23 / "results.json"])
    return f23, f24


def test_attacker_finds_nothing_in_the_demo_yearly_summaries(demo_runs):
    f23, f24 = demo_runs
    runs = read_folder(f23)
    read_folder(f24, runs)
    assert sorted(runs) == [2023, 2024]
    for run in runs.values():
        findings = attack(run)
        assert {f.kind for f in findings} == {"hidden", "rounded"}     # both kinds are there
        assert any("mean_grade" in str(f.key) for f in findings)       # the mean is checked
        assert any("effect size CI" in str(f.key) for f in findings)  # and the CI
        assert_protected(findings)


def test_public_folder_holds_only_published_files(demo_runs):
    f23, f24 = demo_runs
    files = sorted(p.relative_to(f24).as_posix() for p in f24.rglob("*") if p.is_file())
    assert files == ["provenance.json", "results.json", "tables.xlsx", "tables/by_group.csv",
                     "tables/key_figures.csv", "tables/trend.csv"]
    internal = f24.parents[1] / "internal" / "yearly_summary" / f24.name
    assert (internal / "README.txt").read_text(encoding="utf-8").startswith("intern: niet publiceren")
    kept = json.loads((internal / "results.json").read_text(encoding="utf-8"))
    assert {"key_figures_unrounded", "key_figures", "by_group"} <= set(kept)
    assert "audit" in kept["key_figures"]["disclosure"]
    public = (f24 / "results.json").read_text(encoding="utf-8")
    for word in ('"audit"', '"primary"', ': "secondary"', '"suppressed"', '"n_graded": '):
        assert word not in public, word
    # every statistic at publication precision, every hidden cell "x"
    kf = pd.read_csv(f24 / "tables" / "key_figures.csv", dtype=str, keep_default_na=False)
    assert len(kf.loc[0, "mean_grade"].split(".")[1]) == 1
    assert all(len(kf.loc[0, c].split(".")[1]) <= 2 for c in ("effect_size", "effect_size_ci_low"))
    assert set(kf.loc[0, [c for c in kf.columns if c.startswith("n")]]) - {"x"} <= {
        str(i) for i in range(0, 1000, 5)}


def _practice_params(tmp: Path, n_episodes: int, seed: int, year: int = 2023) -> Path:
    data = tmp / "data"
    es.datasets.write_export(data, n_episodes=n_episodes, seed=seed)
    raw = yaml.safe_load(PARAMS[2024].read_text(encoding="utf-8"))
    raw["year"] = year
    raw.pop("history", None)
    for name in ("episodes", "measurements", "satisfaction"):
        raw["data"][name]["path"] = str(data / f"{name}.csv")
    path = tmp / f"practice-{year}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def _attack_practice(tmp: Path, n_episodes: int, seed: int) -> None:
    study = es.Study.from_params(_practice_params(tmp, n_episodes, seed))
    f22 = publish_year(study, 2022, tmp / "reports" / "yearly_summary" / "y2022")
    f23 = publish_year(study, 2023, tmp / "reports" / "yearly_summary" / "y2023", [f22 / "results.json"])
    runs = read_folder(f22)
    read_folder(f23, runs)
    for run in runs.values():
        assert_protected(attack(run))


def _more_practices() -> list[tuple[int, int]]:
    """(257, 140): the practice where the attacker found a group's n_issued narrowed through
    the overall table's published total (fixed by linking the groupings' total rows); (300, 11),
    (120, 5), (60, 2); then generated sizes 40-300 and seeds (a fixed generator: the same practices every run;
    ``EFFECTSTUDY_ATTACKER_PRACTICES`` sets how many, default 14)."""
    n = int(os.environ.get("EFFECTSTUDY_ATTACKER_PRACTICES", "14"))
    rng = np.random.default_rng(20261203)
    drawn = zip(rng.integers(40, 301, n).tolist(), rng.integers(0, 10_001, n).tolist(), strict=True)
    return [(257, 140), (300, 11), (120, 5), (60, 2), *drawn]


@pytest.mark.thorough
@pytest.mark.parametrize(("n_episodes", "seed"), _more_practices())
def test_attacker_finds_nothing_in_more_random_practices(tmp_path, n_episodes, seed):
    _attack_practice(tmp_path, n_episodes, seed)


# -- the attacker can fail ----------------------------------------------------------------------
def _leaky_run(**cells) -> Run:
    run = Run(2024, 10, 5)
    base = {"n": "30", "n_complete": "x", "n_returned": "25", "n_issued": "25"}
    for col, v in {**base, **cells}.items():
        run.cells[("all", "all", col)] = Cell([v])
    return run


def test_attacker_catches_a_full_precision_mean_grade():
    # issue 15: 7.826086956521739 = 180/23 pins the count of graded forms down to 23
    findings = attack(_leaky_run(mean_grade="7.826086956521739"))
    with pytest.raises(AssertionError, match="n_graded"):
        assert_protected(findings)
    assert_protected(attack(_leaky_run(mean_grade="7.8")))      # one decimal: nothing learnt
    assert grade_counts("8.19", 18, 22) == {21}                     # "8,19" fits only 21


def test_attacker_catches_a_hidden_cell_labelled_below_ten():
    # n_complete 30 (28 ... 32), recovered 15: improved, unchanged, deteriorated and harmed
    # share 11 ... 19; hidden as "x", improved is anywhere in 0 ... 19
    cells = dict(n_complete="30", n_recovered="15", n_improved="x", n_unchanged="x",
                 n_deteriorated="x", n_harmed="x")
    assert_protected(attack(_leaky_run(**cells)))
    # the old label "< 10" tells a reader it is at most 9: 0 ... 9 is narrower than 10
    with pytest.raises(AssertionError, match="n_improved"):
        assert_protected(attack(_leaky_run(**{**cells, "n_improved": "< 10"})))
    # and a percentage of a hidden count tells its value (24% of 28 ... 32 is 7)
    with pytest.raises(AssertionError, match="n_improved"):
        assert_protected(attack(_leaky_run(**cells, pct_improved="24%")))


def test_attacker_catches_a_wilson_interval_on_true_counts():
    run = _leaky_run(n_complete="25", pct_complete="83%")
    run.texts.append("Van 88% (95%-BI 70-96%) is zowel een voor- als een nameting beschikbaar")
    with pytest.raises(AssertionError, match="95%-BI"):
        assert_protected(attack(run))


def test_ci_of_d_z_pins_n_but_becker_b_does_not():
    # d_z = 0.5 with n = 30: SE = sqrt((1 + 0.125) / 30); the CI at two decimals fits few n
    import math

    from scipy.special import gammaln

    def j(n):
        return math.exp(gammaln((n - 1) / 2) - gammaln((n - 2) / 2)) / math.sqrt((n - 1) / 2)

    n = 30
    se = math.sqrt((1 + 0.5 ** 2 / 2) / n)
    lo, hi = j(n) * (0.5 - 1.959964 * se), j(n) * (0.5 + 1.959964 * se)
    d, lo_s, hi_s = f"{j(n) * 0.5:.2f}", f"{lo:.2f}", f"{hi:.2f}"
    assert len(ci_counts("z", d, lo_s, hi_s, 28, 32)) < 5
    assert ci_counts("b", d, lo_s, hi_s, 28, 32) == set(range(28, 33))


@pytest.mark.thorough
def test_attacker_reads_the_html_of_the_demo_notebook_runs(tmp_path):
    """The real notebook runs (``effectstudy run``), HTML included: the attacker also reads the
    numbers of the HTML text (Wilson intervals, the mean grade as printed)."""
    nb = ROOT / "notebooks" / "yearly_summary.ipynb"
    base = tmp_path / "reports" / "yearly_summary"
    r23 = es.run_notebook(nb, PARAMS[2023], output_dir=base / "demo-yearly-2023", progress=False)
    r24 = es.run_notebook(nb, PARAMS[2024], output_dir=base / "demo-yearly-2024", progress=False,
                          overrides={"history": [str(r23.results_json)]})
    assert not list(r24.output_dir.glob("*.ipynb")) and r24.notebook.is_file()
    runs = read_folder(r23.output_dir)
    read_folder(r24.output_dir, runs)
    assert any("rapportcijfer" in t for t in runs[2024].texts)
    for run in runs.values():
        assert_protected(attack(run))
