"""Retention period (WGBO 20 years, a setting) and removal of a client's data on request."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from effectstudy.cli import main
from effectstudy.core.errors import ArgumentError
from effectstudy.privacy import audit_log
from effectstudy.privacy.retention import (
    WGBO_RETENTION_YEARS,
    WGBO_SOURCE,
    RetentionPolicy,
    client_overview,
    expired_clients,
    forget_client,
    last_activity,
    remove_expired,
)
from effectstudy.privacy.store import StudyStore


@pytest.fixture
def store(tmp_path: Path) -> StudyStore:
    s = StudyStore(tmp_path / "store" / "study.duckdb")
    eps = pd.DataFrame({
        "episode_id": ["e1", "e2", "e3", "e4"], "client_id": ["old", "recent", "open", "old"],
        "start_date": pd.to_datetime(["2001-03-01", "2019-01-01", "2002-01-01", "2003-05-01"]),
        "end_date": pd.to_datetime(["2001-09-01", "2019-06-01", None, "2004-02-01"]),
    })
    m = pd.DataFrame({"client_id": ["old", "recent", "open"], "instrument": ["scl90_nl"] * 3,
                      "date": pd.to_datetime(["2004-02-02", "2019-05-30", "2025-01-10"]), "item_1": [1.0, 2.0, 3.0]})
    (tmp_path / "e.csv").write_text("e")
    (tmp_path / "m.csv").write_text("m")
    s.import_export(tmp_path / "e.csv", table="episodes", frame=eps)
    s.import_export(tmp_path / "m.csv", table="measurements", frame=m)
    return s


def test_default_is_the_wgbo_term_and_cites_it():
    assert WGBO_RETENTION_YEARS == 20 and RetentionPolicy().years == 20
    assert "7:454 lid 3 BW" in WGBO_SOURCE and "1 January 2020" in WGBO_SOURCE
    assert RetentionPolicy(15).years == 15
    with pytest.raises(ArgumentError, match="retention years: got 0, expected a whole number of years from 1 to 115"):
        RetentionPolicy(0)
    with pytest.raises(ArgumentError, match="retention years: got 20.5"):
        RetentionPolicy(20.5)


def test_last_change_counts_from_the_latest_date(store):
    la = last_activity(store).set_index("client_id")["last_activity"]
    assert la["old"] == pd.Timestamp("2004-02-02")  # the last measurement, after the last episode end
    assert la["open"] == pd.Timestamp("2025-01-10")
    ex = expired_clients(store, RetentionPolicy(20), today="2024-02-03")
    assert ex["client_id"].tolist() == ["old"]
    assert ex["expires_on"].iloc[0] == pd.Timestamp("2024-02-02")
    assert expired_clients(store, RetentionPolicy(20), today="2024-02-02").empty  # not before the day itself
    assert expired_clients(store, RetentionPolicy(5), today="2024-06-02")["client_id"].tolist() == ["old", "recent"]


def test_remove_expired_deletes_and_logs(store):
    assert remove_expired(store, RetentionPolicy(20), today="2020-01-01") is None
    r = remove_expired(store, RetentionPolicy(20), today="2025-01-01")
    assert r.rows["episodes"] == 2 and r.rows["measurements"] == 1
    assert set(store.table("episodes")["client_id"]) == {"recent", "open"}
    entry = audit_log.read(store.audit_log)[-1]
    assert entry["action"] == "forget" and entry["details"]["reason"] == "retention period of 20 years expired"
    assert '"old"' not in store.audit_log.read_text()
    assert store.verify().ok


def test_client_overview_and_forget_on_request(store):
    ov = client_overview(store, "old")
    assert dict(zip(ov["table"], ov["rows"], strict=True)) == {"episodes": 2, "measurements": 1, "scores": 0, "satisfaction": 0}
    r = forget_client(store, ["old"])
    assert r.clients == 1 and client_overview(store, "old")["rows"].sum() == 0
    removals = store.table("removals")
    assert removals["reason"].tolist() == ["request of the client"]
    assert json.loads(removals["rows"].iloc[0])["episodes"] == 2


def _params(tmp_path: Path, years: int = 20) -> Path:
    p = tmp_path / "p.yaml"
    p.write_text(f"store:\n  path: store/study.duckdb\n  retention_years: {years}\n")
    return p


def test_cli_forget_lists_then_removes_with_confirmation(store, tmp_path, capsys):
    p = _params(tmp_path)
    assert main(["forget", "old", "-f", str(p), "--list"]) == 0
    out = capsys.readouterr().out
    assert "episodes     2" in out
    assert main(["forget", "old", "-f", str(p)]) == 1
    assert "nothing removed; add --yes" in capsys.readouterr().err
    assert len(store.table("episodes")) == 4
    assert main(["forget", "old", "-f", str(p), "--yes", "--reason", "AVG art. 17 request"]) == 0
    assert "removal 1: 1 client(s)" in capsys.readouterr().out
    assert store.table("removals")["reason"].tolist() == ["AVG art. 17 request"]


def test_cli_retention(store, tmp_path, capsys):
    p = _params(tmp_path)
    assert main(["retention", "-f", str(p), "--today", "2025-01-01"]) == 0
    out = capsys.readouterr().out
    assert "retention period: 20 years (WGBO art. 7:454 lid 3 BW" in out and "1 client(s) past the retention period" in out
    assert main(["retention", "-f", str(p), "--today", "2025-01-01", "--remove"]) == 1
    assert "add --yes" in capsys.readouterr().err
    assert main(["retention", "-f", str(p), "--today", "2025-01-01", "--remove", "--yes"]) == 0
    assert "retention period of 20 years expired" in store.table("removals")["reason"].iloc[0]
    p0 = _params(tmp_path, years=0)
    assert main(["retention", "-f", str(p0)]) == 2
    assert "store.retention_years: must be at least 1" in capsys.readouterr().err
