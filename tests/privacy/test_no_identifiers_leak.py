"""Planted identifiers never reach an export, codebook, release record, audit log or CLI output.

The input holds client and episode ids, names, BSN-like numbers (valid 11-check), e-mail
addresses, postcodes, a therapist code, free text and exact dates.  Every file written by
the import -> export -> removal path is searched byte for byte (UTF-8 and UTF-16, inside
zip containers such as .xlsx) with :func:`effectstudy.privacy.pseudonyms.assert_no_identifiers`; the
key's bytes must not appear in any file outside the key folder.
"""

from __future__ import annotations

import json
import sys
import types

import numpy as np
import pandas as pd
import pytest

import effectstudy.cli.validate  # noqa: F401 - bound to the real reader before any stand-in below
from effectstudy.cli import main
from effectstudy.cli.keygen import write_key
from effectstudy.privacy.export import (
    KAnonymityError,
    build_research_dataset,
    write_research_export,
)
from effectstudy.privacy.pseudonyms import assert_no_identifiers, find_identifiers, load_key

N = 40
#: the allow-list of these releases: k-anonymity covers every exported non-outcome column, and 40
#: clients spread over two start years and 30 birth years leave start_year and age_band too rare
COLUMNS = ["client_pseudonym", "episode_pseudonym", "sex", "diagnosis", "instrument", "day", "item_*"]


def bsn_like(i: int) -> str:
    """A 9-digit number that passes the BSN 11-check (synthetic; sum_{k} w_k d_k with w = 9..2, -1)."""
    base = 100_000_000 + 7_919 * i
    while True:
        d = [int(c) for c in f"{base:09d}"]
        if (sum(w * x for w, x in zip(range(9, 1, -1), d[:8], strict=True)) - d[8]) % 11 == 0:
            return f"{base:09d}"
        base += 1


def planted_practice() -> tuple[pd.DataFrame, pd.DataFrame, list]:
    rng = np.random.default_rng(11)
    i = np.arange(N)
    start = pd.Timestamp("2021-02-01") + pd.to_timedelta(rng.integers(0, 700, N), unit="D")
    birth = pd.Timestamp("1960-01-01") + pd.to_timedelta(rng.integers(0, 365 * 30, N), unit="D")
    names = [f"Vermeulen-Zwart{k:02d}" for k in i]
    eps = pd.DataFrame({
        "episode_id": [f"EPI-8823-{k:04d}" for k in i],
        "client_id": [f"CLNT-4711-{k:04d}" for k in i],
        "start_date": start,
        "end_date": start + pd.to_timedelta(rng.integers(40, 300, N), unit="D"),
        "sessions": rng.integers(2, 30, N),
        "diagnosis": "depression", "care_type": "basic", "treatment": "CBT", "end_reason": "regular",
        "therapist": "THER-deVries-01",
        "birth_year": birth.year, "sex": np.where(i % 2 == 0, "f", "m"),
        "consent_study": True,
        "consent_research": i != 3,
        "naam": names,
        "bsn": [bsn_like(k) for k in i],
        "email": [f"client{k}@voorbeeldmail.nl" for k in i],
        "postcode": [f"{1000 + k} QX" for k in i],
        "adres": [f"Kerkstraat {k + 100}b" for k in i],
        "geboortedatum": birth,
        "notitie": [f"Gesprek met {n} over werk" for n in names],
    })
    m = pd.DataFrame({
        "client_id": np.repeat(eps["client_id"], 2).to_numpy(),
        "episode_id": np.repeat(eps["episode_id"], 2).to_numpy(),
        "instrument": "scl90_nl",
        "date": np.ravel(np.column_stack([start - pd.Timedelta(days=2), start + pd.Timedelta(days=80)])),
        "item_1": rng.integers(0, 5, 2 * N).astype(float),
        "naam": np.repeat(names, 2),
    })
    identifiers: list = [*eps["client_id"], *eps["episode_id"], *eps["naam"], *eps["bsn"], *eps["email"],
                         *eps["postcode"], *eps["adres"], "THER-deVries-01"]
    identifiers += [pd.Timestamp(d) for d in pd.concat([eps["start_date"], eps["end_date"], eps["geboortedatum"],
                                                         m["date"]]).unique()]
    return eps, m, identifiers


def test_bsn_like_numbers_pass_the_eleven_check():
    for i in range(5):
        d = [int(c) for c in bsn_like(i)]
        assert (9 * d[0] + 8 * d[1] + 7 * d[2] + 6 * d[3] + 5 * d[4] + 4 * d[5] + 3 * d[6] + 2 * d[7] - d[8]) % 11 == 0


def test_no_planted_identifier_leaves_through_any_output(tmp_path, monkeypatch, capsys):
    eps, m, identifiers = planted_practice()
    inputs = tmp_path / "exports"
    inputs.mkdir()
    eps.to_csv(inputs / "episodes.csv", sep=";", index=False)
    m.to_csv(inputs / "measurements.csv", sep=";", index=False)
    keydir = tmp_path / "keys"
    key = write_key(keydir / "release.key")
    secret_hex = (keydir / "release.key").read_text().strip()

    # 1. import into the store (through the CLI, with a stand-in reader for the io module)
    def read_table(spec, table, codes=None):
        df = pd.read_csv(spec.path, sep=";")
        for c in ("start_date", "end_date", "date", "geboortedatum"):
            if c in df.columns:
                df[c] = pd.to_datetime(df[c])
        return df

    monkeypatch.setitem(sys.modules, "effectstudy.data.io", types.SimpleNamespace(
        read_table=read_table,
        read_study=lambda spec: types.SimpleNamespace(episodes=eps, measurements=m)))
    params = tmp_path / "release.yaml"
    params.write_text(
        "data:\n  episodes: {path: exports/episodes.csv}\n  measurements: {path: exports/measurements.csv}\n"
        "store:\n  path: store/study.duckdb\n"
        f"export:\n  path: out\n  name: rel-1\n  recipient: UvA\n  purpose: thesis\n  key_file: {keydir / 'release.key'}\n"
        "  source: store\n  quasi_identifiers: [sex, diagnosis]\n"
        f"  columns: {COLUMNS}\n")
    assert main(["import", "-f", str(params)]) == 0
    # 2. export from the store through the CLI, and from the files through the API
    assert main(["export", "-f", str(params)]) == 0
    ds = build_research_dataset(eps, m, key=load_key(keydir / "release.key"), quasi_identifiers=["sex", "diagnosis"],
                                columns=COLUMNS)
    write_research_export(ds, tmp_path / "out-api", name="rel-api", audit_log_path=tmp_path / "api-log.jsonl")
    # 3. removals: on request, and by retention
    assert main(["forget", eps["client_id"].iloc[5], "-f", str(params), "--yes"]) == 0
    assert main(["retention", "-f", str(params), "--remove", "--yes", "--today", "2060-01-01"]) == 0
    assert main(["verify", "-f", str(params)]) == 0
    # 4. error messages that describe data
    messages = []
    eps_rare = eps.assign(birth_year=np.where(np.arange(N) == 0, 1930, eps["birth_year"]))
    with pytest.raises(KAnonymityError) as exc:
        build_research_dataset(eps_rare, m, key=key, quasi_identifiers=["age_band", "sex"])
    messages.append(str(exc.value))
    with pytest.raises(Exception) as exc:  # noqa: PT011 - any error: its text is what is checked
        build_research_dataset(eps.assign(care_type="GGZ-x"), m, key=key)
    messages.append(str(exc.value))
    cap = capsys.readouterr()
    (tmp_path / "console.txt").write_text(cap.out + cap.err + "\n".join(messages))

    outputs = [tmp_path / "out", tmp_path / "out-api", tmp_path / "store" / "audit-log.jsonl",
               tmp_path / "api-log.jsonl", tmp_path / "console.txt"]
    written = [p for o in outputs for p in ([o] if o.is_file() else o.rglob("*"))]
    assert {p.suffix for p in written} >= {".sav", ".csv", ".xlsx", ".md", ".json", ".jsonl", ".txt"}
    assert_no_identifiers(outputs, identifiers)
    # the check itself finds identifiers where they are: in the input and the raw archive
    assert find_identifiers([inputs], identifiers[:3])
    assert find_identifiers([tmp_path / "store" / "raw"], ["Vermeulen-Zwart07"])
    # the key: not in any file outside the key folder (hex text or raw bytes)
    everything = [p for p in tmp_path.rglob("*") if p.is_file() and keydir not in p.parents]
    secret = bytes.fromhex(secret_hex)
    for p in everything:
        blob = p.read_bytes()
        assert secret_hex.encode() not in blob and secret not in blob, p
    # the non-consenting client is not in the release and is counted
    rec = json.loads((tmp_path / "out" / "rel-1_release.json").read_text())
    flow = {(f["table"], f["reason"]): f["rows"] for f in rec["flow"]}
    assert flow[("episodes", "excluded_consent_refused")] == 1
    assert rec["rows"]["episodes"] == N - 1


def test_no_planted_identifier_leaves_through_the_real_reader_validation_and_figure(tmp_path, capsys):
    """The same planted practice, now through the real reader (``effectstudy.data.io``): validate,
    import, export from the store, removal, verify, and a Jacobson-Truax figure (SVG); no
    identifier in any output, the key in none."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import effectstudy as es

    eps, m, identifiers = planted_practice()
    m = m.assign(instrument="scl90r")  # codes 0-4
    inputs = tmp_path / "exports"
    inputs.mkdir()
    out_e = eps.copy()
    for c in ("start_date", "end_date", "geboortedatum"):
        out_e[c] = out_e[c].dt.strftime("%d-%m-%Y")
    for c in ("consent_study", "consent_research"):
        out_e[c] = out_e[c].map({True: "1", False: "0"})
    out_e.to_csv(inputs / "episodes.csv", sep=";", index=False)
    m.assign(date=m["date"].dt.strftime("%d-%m-%Y"), item_1=m["item_1"].astype(int)).to_csv(
        inputs / "measurements.csv", sep=";", index=False)
    keydir = tmp_path / "keys"
    write_key(keydir / "release.key")
    secret_hex = (keydir / "release.key").read_text().strip()
    params = tmp_path / "release.yaml"
    params.write_text(
        "data:\n  episodes: {path: exports/episodes.csv}\n  measurements: {path: exports/measurements.csv}\n"
        "store:\n  path: store/study.duckdb\n"
        f"export:\n  path: out\n  name: rel-1\n  recipient: UvA\n  purpose: thesis\n  key_file: {keydir / 'release.key'}\n"
        "  source: store\n  quasi_identifiers: [sex, diagnosis]\n"
        f"  columns: {COLUMNS}\n")
    vparams = tmp_path / "validate.yaml"  # validate takes the report params schema (report: validate)
    vparams.write_text("report: validate\n"
                       "data:\n  episodes: {path: exports/episodes.csv}\n  measurements: {path: exports/measurements.csv}\n")
    assert main(["validate", "-f", str(vparams), "--problems", str(tmp_path / "problems.csv")]) == 0
    assert main(["import", "-f", str(params)]) == 0
    assert main(["export", "-f", str(params)]) == 0
    assert main(["forget", eps["client_id"].iloc[5], "-f", str(params), "--yes"]) == 0
    assert main(["verify", "-f", str(params)]) == 0
    # a figure of an analysis on these clients
    long = pd.DataFrame({"client_id": np.repeat(eps["client_id"], 2).to_numpy(), "time": ["pre", "post"] * N,
                         "y": np.random.default_rng(5).normal(60, 10, 2 * N)})
    res = es.clinical_significance(long, subject="client_id", time="time", outcome="y", pre="pre", post="post",
                                   reliability=0.9, better_is="lower", cutoff="a")
    fig, ax = plt.subplots()
    res.plot(ax=ax)
    fig.savefig(tmp_path / "jt.svg")
    plt.close(fig)
    cap = capsys.readouterr()
    (tmp_path / "console.txt").write_text(cap.out + cap.err)

    outputs = [tmp_path / "out", tmp_path / "store" / "audit-log.jsonl", tmp_path / "console.txt",
               tmp_path / "problems.csv", tmp_path / "jt.svg"]
    written = [p for o in outputs for p in ([o] if o.is_file() else o.rglob("*"))]
    assert {p.suffix for p in written} >= {".sav", ".csv", ".xlsx", ".md", ".json", ".jsonl", ".txt", ".svg"}
    assert_no_identifiers(outputs, identifiers)
    assert find_identifiers([tmp_path / "store" / "raw"], ["Vermeulen-Zwart07"])
    secret = bytes.fromhex(secret_hex)
    for p in (p for p in tmp_path.rglob("*") if p.is_file() and keydir not in p.parents):
        blob = p.read_bytes()
        assert secret_hex.encode() not in blob and secret not in blob, p
    rec = json.loads((tmp_path / "out" / "rel-1_release.json").read_text())
    flow = {(f["table"], f["reason"]): f["rows"] for f in rec["flow"]}
    assert flow[("episodes", "excluded_consent_refused")] == 1
    assert rec["rows"]["episodes"] == N - 1
    # the real reader saw the identifying columns and did not read them
    problems = pd.read_csv(tmp_path / "problems.csv")
    assert {"naam", "bsn", "email", "postcode", "adres", "geboortedatum", "notitie"} <= set(
        problems.loc[problems["rule"] == "unknown_column", "column"])
