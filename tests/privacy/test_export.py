"""Research exports: .sav round trip, CSV, codebook, allow-list, k-anonymity, consent, CLI."""

from __future__ import annotations

import json
import os
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from effectstudy.cli import main
from effectstudy.cli.keygen import write_key
from effectstudy.core.errors import ArgumentError, DataError
from effectstudy.privacy.export import (
    MISSING_CODE,
    KAnonymityError,
    build_research_dataset,
    check_k_anonymity,
    codebook,
    write_research_export,
)
from effectstudy.privacy.pseudonyms import PseudonymKey, pseudonymise
from effectstudy.privacy.store import StudyStore

KEY = PseudonymKey(bytes(range(32)))
KEY2 = PseudonymKey(bytes(range(5, 37)))


def practice(n: int = 60, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A small synthetic practice: every quasi-identifier combination has >= 5 clients, except as planted."""
    rng = np.random.default_rng(seed)
    i = np.arange(n)
    start = pd.Timestamp("2023-01-02") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    eps = pd.DataFrame({
        "episode_id": [f"EP{k:05d}" for k in i], "client_id": [f"CL{k:05d}" for k in i],
        "start_date": start, "end_date": (start + pd.to_timedelta(rng.integers(30, 200, n), unit="D")).where(i % 10 != 0),
        "sessions": pd.array(np.where(i % 10 == 0, -1, rng.integers(1, 30, n)), dtype="Int64"),
        "diagnosis": np.where(i % 2 == 0, "anxiety", "depression"),
        "care_type": np.where(i % 2 == 0, "specialised", "basic"),
        "treatment": "CBT", "end_reason": np.where(i % 10 == 0, None, "regular"),
        "therapist": "TH-Smit", "birth_year": 1990, "sex": np.where(i % 2 == 0, "female", "male"),
        "consent_study": True, "consent_research": True,
        "naam": [f"Naam{k}" for k in i],
    })
    eps.loc[eps["sessions"] == -1, "sessions"] = pd.NA
    m = pd.DataFrame({
        "client_id": np.repeat(eps["client_id"], 2).to_numpy(),
        "episode_id": np.repeat(eps["episode_id"], 2).to_numpy(),
        "instrument": "scl90_nl",
        "date": np.ravel(np.column_stack([start - pd.Timedelta(days=3), start + pd.Timedelta(days=90)])),
        "session": np.tile([1, 12], n), "occasion": np.tile(["pre", "post"], n),
        "item_1": rng.integers(0, 5, 2 * n).astype(float), "item_2": rng.integers(0, 5, 2 * n).astype(float),
    })
    m.loc[3, "item_2"] = np.nan
    return eps, m


def test_sav_round_trip_keeps_labels_missing_codes_formats_and_levels(tmp_path):
    eps, m = practice()
    ds = build_research_dataset(eps, m, key=KEY, quasi_identifiers=["age_band", "sex", "diagnosis"])
    files = write_research_export(ds, tmp_path, name="r1", recipient="UvA", purpose="thesis")
    df, meta = pyreadstat.read_sav(str(files["episodes.sav"]), user_missing=True)
    cb = codebook(ds).set_index(["table", "variable"])
    # variable labels, formats and measurement levels as written
    for var in meta.column_names:
        row = cb.loc[("episodes", var)]
        assert meta.column_names_to_labels[var] == row["label"]
        assert meta.original_variable_types[var] == row["spss_format"]
        assert meta.variable_measure[var] == row["measure"]
    assert meta.original_variable_types["sessions"] == "F4.0"
    assert meta.original_variable_types["client_pseudonym"] == "A16"
    # value labels only on nominal/ordinal variables, and these are the codebook's
    for var in meta.variable_value_labels:
        assert meta.variable_measure[var] in ("nominal", "ordinal")
    assert meta.variable_value_labels["care_type"] == {1.0: "basic", 2.0: "specialised", -999.0: "onbekend / unknown"}
    assert meta.variable_value_labels["age_band"] == {30.0: "30-34", -999.0: "onbekend / unknown"}
    assert "duration_days" not in meta.variable_value_labels and "sessions" not in meta.variable_value_labels
    # declared user-missing code, kept in the data when read with user_missing=True
    assert meta.missing_ranges["sessions"] == [{"lo": MISSING_CODE, "hi": MISSING_CODE}]
    open_eps = eps["end_date"].isna().sum()
    assert (df["duration_days"] == MISSING_CODE).sum() == open_eps == 6
    assert (df["end_reason"] == MISSING_CODE).sum() == 6
    # ... and system-missing with the default read
    df2, _ = pyreadstat.read_sav(str(files["episodes.sav"]))
    assert df2["sessions"].isna().sum() == 6
    assert "gepseudonimiseerd" in meta.file_label
    # values: same as the dataset
    exp = ds.tables["episodes"]
    assert df["client_pseudonym"].tolist() == exp["client_pseudonym"].tolist()
    assert df2["sessions"].fillna(-1).tolist() == exp["sessions"].astype("float64").fillna(-1).tolist()
    mdf, mmeta = pyreadstat.read_sav(str(files["measurements.sav"]))
    assert mmeta.original_variable_types["item_1"] == "F4.0"
    assert mmeta.variable_measure["item_1"] == "ordinal"
    assert mdf["day"].tolist()[:2] == [-3.0, 90.0]
    assert np.isnan(mdf.loc[3, "item_2"])


def test_csv_and_both_codebooks_come_from_one_source(tmp_path):
    eps, m = practice()
    ds = build_research_dataset(eps, m, key=KEY, quasi_identifiers=["sex"])
    files = write_research_export(ds, tmp_path, name="r1")
    csv = pd.read_csv(files["episodes.csv"], keep_default_na=True)
    assert csv.columns.tolist() == ds.tables["episodes"].columns.tolist()
    assert csv["sessions"].isna().sum() == 6  # empty cells, not -999
    assert "-999" not in files["episodes.csv"].read_text()
    assert files["measurements.csv"].read_text().splitlines()[1].split(",")[3] == "-3"
    xl = pd.read_excel(files["codebook.xlsx"], sheet_name="codebook", keep_default_na=False)
    cb = codebook(ds)
    assert xl["variable"].tolist() == cb["variable"].tolist()
    assert xl["label"].tolist() == cb["label"].tolist()
    md = files["codebook.md"].read_text()
    for r in cb.itertuples():
        assert f"| {r.variable} | {r.label} | {r.type} | {r.measure} | {r.spss_format} |" in md
    rec = json.loads(files["release.json"].read_text())
    assert rec["key_fingerprint"] == KEY.fingerprint and rec["k"] == 5 and rec["rows"]["episodes"] == 60
    sums = files["SHA256SUMS"].read_text().splitlines()
    assert len(sums) == 7 and all(len(s.split("  ")[0]) == 64 for s in sums)


def test_english_labels(tmp_path):
    eps, m = practice()
    ds = build_research_dataset(eps, m, key=KEY, quasi_identifiers=["sex"])
    files = write_research_export(ds, tmp_path, name="r-en", lang="en", formats=["sav"])
    _, meta = pyreadstat.read_sav(str(files["episodes.sav"]), metadataonly=True)
    assert meta.column_names_to_labels["sessions"] == "Number of sessions"
    assert set(files) == {"episodes.sav", "measurements.sav", "release.json", "SHA256SUMS"}


def test_allow_list_controls_the_columns():
    eps, m = practice()
    ds = build_research_dataset(eps, m, key=KEY, columns=["client_pseudonym", "sex", "day", "item_1"],
                                quasi_identifiers=["sex"])
    assert ds.tables["episodes"].columns.tolist() == ["client_pseudonym", "sex"]
    assert ds.tables["measurements"].columns.tolist() == ["client_pseudonym", "day", "item_1"]
    ds = build_research_dataset(eps, m, key=KEY, columns=["episodes.client_pseudonym", "item_*"], quasi_identifiers=[])
    assert ds.tables["measurements"].columns.tolist() == ["item_1", "item_2"]
    assert ds.tables["episodes"].columns.tolist() == ["client_pseudonym"]
    with pytest.raises(ArgumentError, match="columns: got 'naam', expected exportable variables: "):
        build_research_dataset(eps, m, key=KEY, columns=["naam"])
    # never exported whatever the input holds
    ds = build_research_dataset(eps, m, key=KEY, quasi_identifiers=["sex"])
    every = {c for t in ds.tables.values() for c in t.columns}
    assert not every & {"naam", "therapist", "client_id", "episode_id", "start_date", "end_date", "date", "birth_year"}


def test_non_consenting_clients_never_appear_and_are_counted():
    eps, m = practice()
    eps["consent_research"] = pd.array([False] * 7 + [None] * 3 + [True] * 50, dtype="boolean")
    # k-anonymity is not the point here (every non-outcome column is checked; see test_allow_list_codes)
    ds = build_research_dataset(eps, m, key=KEY, quasi_identifiers=[], withdrawn=["CL00010"], enforce_k=False)
    refused = pd.Series(eps["client_id"][:11])
    pseud_refused = set(pseudonymise(refused, KEY, domain="client"))
    for t in ds.tables.values():
        assert not set(t["client_pseudonym"]) & pseud_refused
    flow = ds.flow.set_index(["table", "reason"])
    assert flow.loc[("episodes", "excluded_consent_refused"), "rows"] == 7
    assert flow.loc[("episodes", "excluded_consent_missing"), "rows"] == 3
    assert flow.loc[("episodes", "excluded_withdrawn"), "rows"] == 1
    assert flow.loc[("episodes", "used"), "rows"] == 49
    assert flow.loc[("measurements", "excluded_no_consenting_episode"), "rows"] == 22
    assert flow.loc[("measurements", "used"), "rows"] == 98


def test_measurements_without_episode_are_linked_only_when_unambiguous():
    eps, m = practice(n=10)
    extra = eps.iloc[[0]].assign(episode_id="EPX", start_date=pd.Timestamp("2024-06-01"))
    eps2 = pd.concat([eps, extra], ignore_index=True)
    m = m.assign(episode_id=m["episode_id"].where(m.index % 2 == 0))  # post rows lose their episode
    ds = build_research_dataset(eps2, m, key=KEY, quasi_identifiers=[], k=2, enforce_k=False)
    flow = ds.flow.set_index(["table", "reason"])
    assert flow.loc[("measurements", "excluded_episode_ambiguous"), "rows"] == 1  # CL00000 has two episodes
    assert flow.loc[("measurements", "used"), "rows"] == 19
    assert sorted(ds.tables["measurements"]["day"].unique().tolist()) == [-3, 90]


def test_k_anonymity_blocks_and_says_what_to_coarsen(tmp_path):
    eps, m = practice()
    eps.loc[0, "birth_year"] = 1940  # the only 80+ client: unique combination
    with pytest.raises(KAnonymityError) as exc:
        build_research_dataset(eps, m, key=KEY, quasi_identifiers=["age_band", "sex", "diagnosis"])
    msg = str(exc.value)
    # the requested quasi-identifiers first, then every other exported non-outcome column
    assert ("k-anonymity check failed (k = 5): 1 combination(s) of age_band, sex, diagnosis, start_year, care_type, "
            "end_reason, treatment occur for fewer than 5 clients") in msg
    assert "age_band=80, sex=female, diagnosis=anxiety, start_year=2023" in msg
    assert "nothing was written" in msg
    assert "leave out 'age_band' (columns): 0 rare combination(s) would remain" in msg
    assert msg.index("leave out 'age_band'") < msg.index("leave out 'sex'")
    assert "plan that reaches k: leave out 'age_band' (0 left)" in msg
    assert "merge rare categories of 'age_band' in the source data: 80 (1 client(s))" in msg
    assert exc.value.report.rare["clients"].tolist() == [1]
    assert not list(tmp_path.iterdir())
    # leaving age_band out of quasi_identifiers does not (it is still exported) ...
    with pytest.raises(KAnonymityError):
        build_research_dataset(eps, m, key=KEY, quasi_identifiers=["sex", "diagnosis"])
    # ... leaving it out of the export does
    cols = ["client_pseudonym", "episode_pseudonym", "start_year", "sex", "diagnosis", "day", "item_*"]
    ds = build_research_dataset(eps, m, key=KEY, columns=cols, quasi_identifiers=["sex", "diagnosis"])
    assert ds.k_report.ok and ds.k_report.smallest_class == 30
    # missing values are a category of their own
    eps2 = eps.assign(birth_year=1990)
    eps2.loc[:1, "sex"] = None
    with pytest.raises(KAnonymityError, match=r"sex=\(missing\): 2 client\(s\)") as exc:
        build_research_dataset(eps2, m, key=KEY, columns=["client_pseudonym", "sex", "day"], quasi_identifiers=["sex"])
    assert "merge rare categories of 'sex' in the source data: (missing) (2 client(s))" in str(exc.value)


def test_k_anonymity_counts_clients_not_episodes():
    df = pd.DataFrame({"client_pseudonym": ["a", "a", "a", "a", "a", "b"], "sex": ["f"] * 6})
    rep = check_k_anonymity(df, ["sex"], k=2)
    assert rep.ok and rep.smallest_class == 2
    rep = check_k_anonymity(df, ["sex"], k=3)
    assert not rep.ok and rep.rare["clients"].tolist() == [2]
    with pytest.raises(ArgumentError, match="k: got 1, expected a whole number >= 2"):
        check_k_anonymity(df, ["sex"], k=1)
    with pytest.raises(ArgumentError, match="quasi_identifiers: got 'postcode', expected exported columns"):
        check_k_anonymity(df, ["postcode"], k=2)


def test_two_releases_with_two_keys_cannot_be_joined(tmp_path):
    eps, m = practice()
    a = build_research_dataset(eps, m, key=KEY, quasi_identifiers=["sex"]).tables["episodes"]
    b = build_research_dataset(eps, m, key=KEY2, quasi_identifiers=["sex"]).tables["episodes"]
    a2 = build_research_dataset(eps, m, key=KEY, quasi_identifiers=["sex"]).tables["episodes"]
    assert len(a.merge(b, on="client_pseudonym")) == 0
    assert len(a.merge(b, on="episode_pseudonym")) == 0
    assert a["client_pseudonym"].tolist() == a2["client_pseudonym"].tolist()


def test_write_errors(tmp_path):
    eps, m = practice()
    ds = build_research_dataset(eps, m, key=KEY, quasi_identifiers=["sex"])
    with pytest.raises(ArgumentError, match="name: got '../x', expected a release name of letters"):
        write_research_export(ds, tmp_path, name="../x")
    with pytest.raises(ArgumentError, match="formats: got 'pdf', expected some of sav, csv, xlsx, md"):
        write_research_export(ds, tmp_path, name="r1", formats=["pdf"])
    write_research_export(ds, tmp_path, name="r1", formats=["csv"])
    with pytest.raises(ArgumentError, match="name: got 'r1', expected a new release name; .* already holds r1_"):
        write_research_export(ds, tmp_path, name="r1")
    clash = build_research_dataset(eps.assign(sessions=-999), m, key=KEY, quasi_identifiers=["sex"])
    with pytest.raises(DataError, match="row 0 sessions: value equals the missing code -999 in the episodes export"):
        write_research_export(clash, tmp_path / "c", name="r2")
    assert not list((tmp_path / "c").glob("*"))  # nothing half-written
    with pytest.raises(DataError, match=r"row 0 care_type: unknown category: found 'GGZ', expected basic, specialised"):
        build_research_dataset(eps.assign(care_type="GGZ"), m, key=KEY)
    with pytest.raises(DataError, match="start_date: required column is missing"):
        build_research_dataset(eps.drop(columns="start_date"), m, key=KEY)
    with pytest.raises(DataError, match="date: required column is missing in measurements"):
        build_research_dataset(eps, m.drop(columns="date"), key=KEY, quasi_identifiers=["sex"])


def test_scores_table_is_exported_with_relative_days(tmp_path):
    eps, m = practice()
    sc = m[["client_id", "episode_id", "instrument", "date"]].assign(scale="total", score=1.25, n_answered=90, prorated=False)
    ds = build_research_dataset(eps, m, key=KEY, scores=sc, quasi_identifiers=["sex"])
    t = ds.tables["scores"]
    assert t.columns.tolist() == ["client_pseudonym", "episode_pseudonym", "instrument", "day", "scale", "score",
                                  "n_answered", "prorated"]
    files = write_research_export(ds, tmp_path, name="s1", formats=["sav"])
    df, meta = pyreadstat.read_sav(str(files["scores.sav"]))
    assert meta.variable_value_labels["prorated"] == {0.0: "no", 1.0: "yes", -999.0: "onbekend / unknown"}
    assert meta.original_variable_types["score"] == "F8.2"


def _params(tmp_path: Path, key: Path, **export) -> Path:
    lines = ["store:", "  path: store/study.duckdb", "export:", "  path: out", "  name: uva-1",
             "  recipient: UvA", "  purpose: thesis", f"  key_file: {key}", "  quasi_identifiers: [sex, diagnosis]"]
    lines += [f"  {k}: {v}" for k, v in export.items()]
    p = tmp_path / "export.yaml"
    p.write_text("\n".join(lines) + "\n")
    return p


def test_cli_export_from_the_store(tmp_path, capsys):
    eps, m = practice()
    store = StudyStore(tmp_path / "store" / "study.duckdb")
    (tmp_path / "e.csv").write_text("e")
    (tmp_path / "m.csv").write_text("m")
    store.import_export(tmp_path / "e.csv", table="episodes", frame=eps)
    store.import_export(tmp_path / "m.csv", table="measurements", frame=m)
    keydir = tmp_path / "keys"
    write_key(keydir / "uva-1.key")
    params = _params(tmp_path, keydir / "uva-1.key", source="store", withdrawn="withdrawn.txt")
    (tmp_path / "withdrawn.txt").write_text("CL00001\n\nCL00002\n")
    assert main(["export", "-f", str(params), "--check"]) == 0
    out = capsys.readouterr().out
    assert "check only: nothing written" in out and "k-anonymity OK" in out
    assert not (tmp_path / "out").exists()
    assert main(["export", "-f", str(params)]) == 0
    out = capsys.readouterr().out
    assert "uva-1_episodes.sav" in out
    rec = json.loads((tmp_path / "out" / "uva-1_release.json").read_text())
    assert rec["rows"]["episodes"] == 58
    log = (tmp_path / "store" / "audit-log.jsonl").read_text().splitlines()
    assert json.loads(log[-1])["action"] == "export"
    assert store.verify().ok
    # a second run with the same name is refused, nothing overwritten
    assert main(["export", "-f", str(params)]) == 2
    assert "expected a new release name" in capsys.readouterr().err


def test_cli_export_from_files_and_its_errors(tmp_path, monkeypatch, capsys):
    eps, m = practice()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "e.csv").write_text("e")
    (tmp_path / "in" / "m.csv").write_text("m")
    fake = types.SimpleNamespace(read_study=lambda spec: types.SimpleNamespace(episodes=eps, measurements=m))
    monkeypatch.setitem(sys.modules, "effectstudy.data.io", fake)
    keydir = tmp_path / "keys"
    write_key(keydir / "k.key")
    p = _params(tmp_path, keydir / "k.key")
    p.write_text("data:\n  episodes: {path: in/e.csv}\n  measurements: {path: in/m.csv}\n" + p.read_text())
    assert main(["export", "-f", str(p)]) == 0
    rec = json.loads((tmp_path / "out" / "uva-1_release.json").read_text())
    assert set(rec["inputs_sha256"]) == {"e.csv", "m.csv"}
    # key inside the data folder is refused
    (tmp_path / "in" / "k.key").write_bytes((keydir / "k.key").read_bytes())
    os.chmod(tmp_path / "in" / "k.key", 0o600)
    p2 = _params(tmp_path, tmp_path / "in" / "k.key")
    p2.write_text("data:\n  episodes: {path: in/e.csv}\n  measurements: {path: in/m.csv}\n" +
                  p2.read_text().replace("uva-1", "uva-2"))
    assert main(["export", "-f", str(p2)]) == 2
    assert "keep the key outside the project, the data and the output folders" in capsys.readouterr().err
    # missing sections and keys
    p3 = tmp_path / "p3.yaml"
    p3.write_text("store: {path: s.duckdb}\n")
    assert main(["export", "-f", str(p3)]) == 2
    assert "export: section is missing" in capsys.readouterr().err
    p4 = _params(tmp_path, keydir / "k.key")
    assert main(["export", "-f", str(p4)]) == 2
    assert "export.source is 'files' but the data: section is missing" in capsys.readouterr().err
    p5 = _params(tmp_path, keydir / "k.key", k=1)
    assert main(["export", "-f", str(p5)]) == 2
    assert "export.k: must be at least 2" in capsys.readouterr().err
    p6 = _params(tmp_path, keydir / "k.key", source="store", withdrawn="nope.txt")
    assert main(["export", "-f", str(p6)]) == 2
    assert "export.withdrawn: file" in capsys.readouterr().err


def test_verify_release_detects_changed_missing_and_extra_files(tmp_path, capsys):
    eps, m = practice()
    ds = build_research_dataset(eps, m, key=KEY, quasi_identifiers=["sex"])
    files = write_research_export(ds, tmp_path / "rel", name="r1", formats=["csv", "md"])
    assert main(["verify", "--release", str(tmp_path / "rel")]) == 0
    assert "OK: every file in" in capsys.readouterr().out
    text = files["episodes.csv"].read_text()
    files["episodes.csv"].write_text(text[:-2] + ("m\n" if text[-2] == "f" else "f\n"))
    files["codebook.md"].unlink()
    (tmp_path / "rel" / "extra.txt").write_text("x")
    assert main(["verify", "--release", str(tmp_path / "rel")]) == 1
    out = capsys.readouterr().out
    assert "[modified]" in out and "r1_episodes.csv: SHA-256 differs from r1_SHA256SUMS" in out
    assert "[missing]" in out and "[unlisted]" in out and "extra.txt" in out
    (tmp_path / "empty").mkdir()
    assert main(["verify", "--release", str(tmp_path / "empty")]) == 2
    assert "expected a release folder with a <name>_SHA256SUMS file" in capsys.readouterr().err
