"""The research export carries the scores the package computes, refuses what it cannot produce,
and counts consent reasons as the effect study does (issue 15, item 4).

The expected values are computed here without the export's code: the example files read with
plain pandas, consent filtered by hand, ``es.score`` called directly and the ids pseudonymised
with the release key.
"""

from __future__ import annotations

import json
import secrets
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

import effectstudy as es
from effectstudy.cli import main
from effectstudy.cli.keygen import write_key
from effectstudy.core.errors import ArgumentError, ProvisionalKeyWarning
from effectstudy.privacy.export import (
    ColumnsUnavailableError,
    build_research_dataset,
    codebook,
    requests_scores,
    score_measurements,
    scoring_problem,
)
from effectstudy.privacy.pseudonyms import PseudonymKey, pseudonymise
from effectstudy.privacy.store import StudyStore
from tests.privacy.test_export import KEY, practice

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "data" / "example"
SCORE_COLUMNS = ["client_pseudonym", "episode_pseudonym", "instrument", "day", "scale", "score", "n_answered", "prorated"]


def example_params(tmp_path: Path, **replace: str) -> Path:
    """``params/export-example.yaml`` as shipped, with the store and the release in ``tmp_path``."""
    text = (ROOT / "params" / "export-example.yaml").read_text(encoding="utf-8")
    for old, new in {"../data/example/": f"{EXAMPLE}/", "../data/study.duckdb": str(tmp_path / "store" / "study.duckdb"),
                     "../reports/releases": str(tmp_path / "releases"), **replace}.items():
        assert old in text, old
        text = text.replace(old, new)
    tmp_path.mkdir(parents=True, exist_ok=True)
    p = tmp_path / "export-example.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def raw_example() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The example episodes and measurements read with plain pandas (not the package's reader)."""
    eps = pd.read_csv(EXAMPLE / "episodes.csv", sep=";", dtype=str, keep_default_na=False)
    ms = pd.read_csv(EXAMPLE / "measurements.csv", sep=";", decimal=",", dtype={"client_id": str, "episode_id": str})
    return eps, ms


@pytest.fixture
def release_key(monkeypatch) -> PseudonymKey:
    hex_key = secrets.token_hex(32)
    monkeypatch.setenv("EFFECTSTUDY_RELEASE_KEY", hex_key)
    return PseudonymKey(bytes.fromhex(hex_key))


def expected_scores(key: PseudonymKey) -> pd.DataFrame:
    """Scores of the consenting example measurements: consent by hand, ``es.score`` directly."""
    eps, ms = raw_example()
    consenting = eps[eps["consent_research"] == "1"]
    assert ms["episode_id"].notna().all()  # every example measurement names its episode
    ms = ms[ms["episode_id"].isin(consenting["episode_id"])].copy()
    ms["date"] = pd.to_datetime(ms["date"], format="%d-%m-%Y")
    with pytest.warns(ProvisionalKeyWarning):
        sc = es.score(ms, instrument="scl90_nl").scores
    start = pd.to_datetime(consenting.set_index("episode_id")["start_date"], format="%d-%m-%Y")
    return pd.DataFrame({
        "client_pseudonym": pseudonymise(sc["client_id"], key, domain="client").to_numpy(),
        "episode_pseudonym": pseudonymise(sc["episode_id"], key, domain="episode").to_numpy(),
        "instrument": sc["instrument"].astype(str).to_numpy(),
        "day": (sc["date"] - start.reindex(sc["episode_id"]).to_numpy()).dt.days.to_numpy(),
        "scale": sc["scale"].astype(str).to_numpy(),
        "score": sc["score"].to_numpy(),
        "n_answered": sc["n_answered"].to_numpy(),
        "prorated": sc["prorated"].astype(int).to_numpy(),
    })


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(["episode_pseudonym", "day", "scale"]).reset_index(drop=True)


def test_example_export_carries_the_scores_of_scoring_directly(tmp_path, release_key, capsys):
    params = example_params(tmp_path)
    assert main(["export", "-f", str(params)]) == 0
    out = capsys.readouterr().out
    assert "scores of scl90_nl computed by effectstudy" in out and "status provisional" in out
    rel = tmp_path / "releases"
    got = pd.read_csv(rel / "example-2025-leiden_scores.csv", dtype={"client_pseudonym": str, "episode_pseudonym": str})
    assert got.columns.tolist() == SCORE_COLUMNS
    want = expected_scores(release_key)
    assert len(got) == len(want) == 6620  # 662 consenting administrations x 10 scales
    got, want = _sorted(got), _sorted(want)
    pd.testing.assert_frame_equal(got.drop(columns=["score"]), want.drop(columns=["score"]), check_dtype=False)
    np.testing.assert_allclose(got["score"], want["score"], rtol=1e-12, equal_nan=True)
    assert got["score"].isna().sum() == want["score"].isna().sum() > 0  # too many missing items stay missing
    assert got["prorated"].sum() == want["prorated"].sum() > 0
    # the .sav carries the same numbers (missing as the declared code)
    sav, meta = pyreadstat.read_sav(str(rel / "example-2025-leiden_scores.sav"), user_missing=False)
    sav = _sorted(sav.assign(day=sav["day"].astype(int)))
    np.testing.assert_allclose(sav["score"], want["score"], rtol=1e-12, equal_nan=True)
    # the key used is in the codebook and the scores are listed in the release record
    md = (rel / "example-2025-leiden_codebook.md").read_text(encoding="utf-8")
    assert "registry key: scl90_nl version 2003 (key provisional)" in md
    record = json.loads((rel / "example-2025-leiden_release.json").read_text(encoding="utf-8"))
    assert record["columns"]["scores"] == SCORE_COLUMNS and record["rows"]["scores"] == 6620
    assert record["scoring"]["scl90_nl"]["key_status"] == "provisional" and record["not_available"] == []


def test_example_export_counts_consent_refused_apart_from_not_recorded(tmp_path, release_key, capsys):
    eps, _ = raw_example()
    refused, missing = eps[eps["consent_research"] == "0"], eps[eps["consent_research"] == ""]
    assert (len(refused), len(missing)) == (88, 31)  # what the issue reports as the truth
    params = example_params(tmp_path, **{"source: files": "source: store"})
    assert main(["import", "-f", str(params)]) == 0
    capsys.readouterr()
    for source, p in (("files", example_params(tmp_path / "f")), ("store", params)):
        assert main(["export", "-f", str(p), "--check"]) == 0, source
        flow = capsys.readouterr().out
        rows = {r.split()[1]: (int(r.split()[2]), int(r.split()[3])) for r in flow.splitlines()
                if r.strip().startswith("episodes ")}
        assert rows["excluded_consent_refused"] == (88, refused["client_id"].nunique()), source
        assert rows["excluded_consent_missing"] == (31, missing["client_id"].nunique()), source
        assert rows["used"][0] == (eps["consent_research"] == "1").sum() == 281, source


def test_the_store_uses_its_scores_when_they_cover_every_instrument(tmp_path, capsys):
    eps, m = practice()
    store = StudyStore(tmp_path / "store" / "study.duckdb")
    for name, frame in (("episodes", eps), ("measurements", m)):
        (tmp_path / f"{name}.csv").write_text(name)
        store.import_export(tmp_path / f"{name}.csv", table=name, frame=frame)
    key_file = tmp_path / "keys" / "k.key"
    write_key(key_file)
    lines = ["store: {path: store/study.duckdb}", "export:", "  path: out", "  name: r1", "  recipient: UvA",
             "  purpose: thesis", f"  key_file: {key_file}", "  source: store", "  quasi_identifiers: [sex]",
             "  columns: [episode_pseudonym, day, scale, score]", "  formats: [csv]"]
    (tmp_path / "p.yaml").write_text("\n".join(lines) + "\n")
    # no stored scores and only two of the 90 SCL-90 items: refused, nothing written
    assert main(["export", "-f", str(tmp_path / "p.yaml")]) == 2
    err = capsys.readouterr().err
    assert "export.columns: 2 requested column(s) cannot be produced" in err
    assert "'score': no scores: the measurements lack 88 item column(s) of scl90_nl (item_3, item_4, item_5 ...)" in err
    assert "or remove 'score' from the list" in err and not (tmp_path / "out").exists()
    # scores stored for some administrations only are not used: the package scores them all (here: cannot)
    stored = m[["client_id", "episode_id", "instrument", "date"]].assign(
        scale="total", score=np.arange(len(m)) / 4, n_answered=90, prorated=False)
    store.add_scores(stored.iloc[:100], source="test, first part")
    assert main(["export", "-f", str(tmp_path / "p.yaml")]) == 2
    out, err = capsys.readouterr()
    assert "scores: 20 stored administration(s) have no stored scores; all are scored by effectstudy" in out
    assert "'score': no scores: the measurements lack 88 item column(s)" in err
    # stored scores of every administration are exported as stored
    store.add_scores(stored.iloc[100:], source="test, second part")
    assert main(["export", "-f", str(tmp_path / "p.yaml")]) == 0
    assert f"scores: as stored ({len(m)} rows)" in capsys.readouterr().out
    got = pd.read_csv(tmp_path / "out" / "r1_scores.csv")
    assert got.columns.tolist() == ["episode_pseudonym", "day", "scale", "score"]
    assert sorted(got["score"]) == sorted(stored["score"])


def test_refusals_name_the_column_why_and_what_to_do():
    eps, m = practice()
    with pytest.raises(ColumnsUnavailableError) as e:
        build_research_dataset(eps.drop(columns=["sex", "birth_year"]), m.drop(columns="occasion"), key=KEY,
                               quasi_identifiers=["diagnosis"], columns=["episode_pseudonym", "sex", "age_band",
                                                                        "occasion", "score", "day"])
    assert [c for c, _, _ in e.value.problems] == ["sex", "age_band", "occasion", "score"]
    text = str(e.value)
    assert text.startswith("columns: 4 requested column(s) cannot be produced from the data given; nothing was written:")
    assert "'sex': the episodes input has no column 'sex'; add 'sex' to the episodes export" in text
    assert "'age_band': the episodes input has no column 'birth_year'" in text
    assert "'occasion': the measurements input has no column 'occasion'" in text
    assert "'score': no scores: none were given" in text
    with pytest.raises(ColumnsUnavailableError, match="'measurements.day': no measurements were given"):
        build_research_dataset(eps, None, key=KEY, quasi_identifiers=["sex"], columns=["measurements.day"])
    with pytest.raises(ColumnsUnavailableError, match="'scale': no scores: no measurements were given to score"):
        build_research_dataset(eps, None, key=KEY, scores="score", quasi_identifiers=["sex"], columns=["scale"])
    with pytest.raises(ArgumentError, match="scores: got 'items', expected a DataFrame of scores, None or 'score'"):
        build_research_dataset(eps, m, key=KEY, scores="items", quasi_identifiers=["sex"])
    # without an allow-list every producible variable is exported and the rest is listed, not refused
    ds = build_research_dataset(eps, m, key=KEY, scores="score", quasi_identifiers=["sex"])
    assert "scores" not in ds.tables
    assert {"column": "score", "why": "no scores: the measurements lack 88 item column(s) of scl90_nl "
            "(item_3, item_4, item_5 ...) needed to score it"} in ds.meta["not_available"]


def test_cli_refuses_an_unknown_column_under_its_params_key(tmp_path, release_key, capsys):
    p = example_params(tmp_path, **{"scale, score,": "scale, score, shoe_size,"})
    assert main(["export", "-f", str(p)]) == 2
    err = capsys.readouterr().err
    assert f"{p}: export.columns: got 'shoe_size', expected exportable variables:" in err
    assert not (tmp_path / "releases").exists()


def test_scoring_problems_and_several_instruments():
    m = pd.DataFrame({"client_id": ["a", "a", "b"], "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
                      "instrument": ["phq9", "gad7", "phq9"],
                      **{f"item_{i}": [1.0, 2.0, 3.0] for i in range(1, 10)}})
    m.loc[1, ["item_8", "item_9"]] = np.nan  # the GAD-7 has 7 items
    m.loc[2, "item_4"] = np.nan
    scores, meta = score_measurements(m)
    direct = pd.concat([es.score(m, instrument=i).scores for i in ("gad7", "phq9")], ignore_index=True)
    assert scores["instrument"].tolist() == ["gad7", "phq9", "phq9"]
    np.testing.assert_array_equal(scores["score"], direct["score"])
    assert scores["prorated"].tolist() == [False, False, True] and scores["n_answered"].tolist() == [7, 9, 8]
    assert set(meta) == {"gad7", "phq9"} and meta["phq9"]["n_prorated"] == 1
    assert scoring_problem(m) is None
    assert scoring_problem(None) == "no measurements were given to score"
    assert scoring_problem(m.drop(columns="instrument")).startswith("the measurements have no 'instrument' column")
    assert scoring_problem(m.assign(instrument="scl91")).startswith("instrument(s) 'scl91' have no scoring key")
    assert scoring_problem(m.drop(columns="item_9")) == (
        "the measurements lack 1 item column(s) of phq9 (item_9) needed to score it")
    with pytest.raises(ArgumentError, match="expected measurements the package can score: instrument"):
        score_measurements(m.assign(instrument="scl91"))


def test_scores_requested_by_the_allow_list():
    assert requests_scores(["scores.day"]) and requests_scores(["n_answered"]) and requests_scores(["prorated"])
    assert not requests_scores(["instrument", "day", "session", "item_*"]) and not requests_scores([])


def test_package_scores_are_of_consenting_episodes_only_and_documented():
    eps, m = practice()
    items = {f"item_{i}": 1.0 for i in range(3, 91)}  # scl90_nl codes 1-5; the practice's items are 0-4
    m = m.assign(item_1=m["item_1"] + 1, item_2=m["item_2"] + 1, **items)
    eps.loc[:9, "consent_research"] = False
    ds = build_research_dataset(eps, m, key=KEY, scores="score", quasi_identifiers=["sex"],
                                columns=["episode_pseudonym", "scale", "score", "prorated"])
    t = ds.tables["scores"]
    kept = pseudonymise(eps.loc[10:, "episode_id"], KEY, domain="episode")
    assert set(t["episode_pseudonym"]) == set(kept)
    n_scales = len(es.instruments.get("scl90_nl").scales)
    assert len(t) == 2 * 50 * n_scales
    flow = ds.flow[ds.flow["table"] == "scores"].set_index("reason")["rows"]
    assert flow["read"] == flow["used"] == len(t)
    cb = codebook(ds)
    assert cb.loc[cb["variable"] == "score", "derivation"].str.contains("effectstudy.score").all()
    assert ds.meta["scoring"]["scl90_nl"]["key_status"] == "provisional"


def test_a_practice_key_named_in_the_params_scores_its_instrument(tmp_path, monkeypatch, capsys):
    text = (ROOT / "effectstudy" / "instruments" / "phq9.yaml").read_text(encoding="utf-8")
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "phq9p.yaml").write_text(text.replace("id: phq9\n", "id: phq9_praktijk\n"), encoding="utf-8")
    eps, _ = practice()
    rng = np.random.default_rng(5)
    m = pd.DataFrame({"client_id": eps["client_id"], "episode_id": eps["episode_id"], "instrument": "phq9_praktijk",
                      "date": eps["start_date"], **{f"item_{i}": rng.integers(0, 4, len(eps)).astype(float)
                                                    for i in range(1, 11)}})
    (tmp_path / "in").mkdir()
    for f in ("e.csv", "m.csv"):
        (tmp_path / "in" / f).write_text(f)
    fake = types.SimpleNamespace(read_study=lambda spec: types.SimpleNamespace(episodes=eps, measurements=m))
    monkeypatch.setitem(sys.modules, "effectstudy.data.io", fake)
    key = write_key(tmp_path / "k" / "k.key")
    lines = ["data:", "  episodes: {path: in/e.csv}", "  measurements: {path: in/m.csv}", "store: {path: s/study.duckdb}",
             "export:", "  path: out", "  name: p1", "  recipient: UvA", "  purpose: thesis",
             f"  key_file: {tmp_path / 'k' / 'k.key'}", "  quasi_identifiers: [sex]", "  formats: [csv]",
             "  columns: [episode_pseudonym, scale, score]"]
    p = tmp_path / "p.yaml"
    p.write_text("\n".join(lines) + "\n")
    assert main(["export", "-f", str(p)]) == 2
    assert "'score': no scores: instrument(s) 'phq9_praktijk' have no scoring key" in capsys.readouterr().err
    p.write_text("\n".join([*lines, "  instrument_files: [keys/nope.yaml]"]) + "\n")
    assert main(["export", "-f", str(p)]) == 2
    assert "export.instrument_files: file" in capsys.readouterr().err
    p.write_text("\n".join([*lines, "  instrument_files: [keys/phq9p.yaml]"]) + "\n")
    try:
        assert main(["export", "-f", str(p)]) == 0
        want = es.score(m, instrument="phq9_praktijk").scores
    finally:
        es.instruments.unregister("phq9_praktijk")
    got = pd.read_csv(tmp_path / "out" / "p1_scores.csv")
    assert got["score"].tolist() == want["score"].tolist() and len(got) == len(eps)
    assert got["episode_pseudonym"].tolist() == pseudonymise(m["episode_id"], key, domain="episode").tolist()
