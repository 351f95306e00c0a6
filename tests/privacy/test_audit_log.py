"""The hash-chained audit log: appends verify, edits/insertions/deletions show."""

from __future__ import annotations

import json

import pytest

from effectstudy.core.errors import ArgumentError
from effectstudy.privacy import audit_log


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "audit.jsonl"
    for i in range(4):
        audit_log.append(path, "import", {"sha256": f"{i:064x}", "rows_added": i}, user="tester")
    return path


def test_chain_links_each_entry_to_the_previous(log):
    entries = audit_log.read(log)
    assert [e["seq"] for e in entries] == [1, 2, 3, 4]
    assert entries[0]["prev"] == audit_log.GENESIS
    assert all(b["prev"] == a["hash"] for a, b in zip(entries, entries[1:], strict=False))
    check = audit_log.verify(log, expected_head=entries[-1]["hash"])
    assert check.ok and check.entries == 4 and audit_log.head(log) == entries[-1]["hash"]
    assert entries[0]["user"] == "tester" and entries[0]["time"].endswith("+00:00")
    assert not list(log.parent.glob("*.tmp"))


def _rewrite(log, entries):
    log.write_text("".join(json.dumps(e, sort_keys=True, separators=(",", ":")) + "\n" for e in entries))


def test_an_edited_entry_shows(log):
    entries = audit_log.read(log)
    entries[1]["details"]["rows_added"] = 99
    _rewrite(log, entries)
    check = audit_log.verify(log)
    assert not check.ok
    assert check.problems == [f"{log}: entry 2: content does not match its hash (entry edited)"]


def test_an_edited_entry_with_a_recomputed_hash_breaks_the_next_link(log):
    entries = audit_log.read(log)
    entries[1]["details"]["rows_added"] = 99
    entries[1]["hash"] = audit_log._entry_hash(entries[1])
    _rewrite(log, entries)
    assert "entry 3: 'prev' does not match the previous entry's hash" in audit_log.verify(log).problems[0]


def test_a_deleted_entry_shows(log):
    entries = audit_log.read(log)
    _rewrite(log, entries[:1] + entries[2:])
    assert "entry 2: 'prev' does not match" in audit_log.verify(log).problems[0]


def test_cut_off_entries_show_against_the_recorded_head(log):
    head = audit_log.head(log)
    entries = audit_log.read(log)
    _rewrite(log, entries[:2])
    assert audit_log.verify(log).ok  # a shorter chain is still a chain ...
    check = audit_log.verify(log, expected_head=head)  # ... but it no longer ends in the recorded head
    assert not check.ok and "differs from the recorded head" in check.problems[0]


def test_garbage_line_and_wrong_sequence(log):
    log.write_text(log.read_text() + "{not json\n")
    assert "entry 5: line 5 is not valid JSON" in audit_log.verify(log).problems[0]
    entries = audit_log.read(log)[:4]
    entries[3]["seq"] = 7
    _rewrite(log, entries)
    assert "entry 4: sequence number 7, expected 4" in audit_log.verify(log).problems[0]


def test_appending_to_a_broken_chain_is_refused(log):
    entries = audit_log.read(log)
    entries[0]["action"] = "export"
    _rewrite(log, entries)
    with pytest.raises(ArgumentError, match="audit log: got .*, expected an intact hash chain before appending"):
        audit_log.append(log, "import", {})


def test_identifying_keys_and_empty_actions_are_refused(tmp_path):
    path = tmp_path / "a.jsonl"
    with pytest.raises(ArgumentError, match="details: got 'client_id', expected no client-identifying keys"):
        audit_log.append(path, "forget", {"client_id": "C123"})
    with pytest.raises(ArgumentError, match=r"details.files: got 'BSN', expected no client-identifying keys"):
        audit_log.append(path, "export", {"files": [{"BSN": 1}]})
    with pytest.raises(ArgumentError, match="action: got '', expected a non-empty text"):
        audit_log.append(path, "", {})
    assert not path.exists()
    assert audit_log.read(path) == [] and audit_log.head(path) == audit_log.GENESIS


def test_entries_after_the_recorded_head_are_not_a_cut(log):
    """A process killed between writing its entry and recording the head leaves the chain one
    entry ahead of the head: still a valid log (the store notes it on its next write)."""
    entries = audit_log.read(log)
    check = audit_log.verify(log, expected_head=entries[1]["hash"])
    assert check.ok and check.after_head == 2 and check.problems == []
    assert audit_log.verify(log, expected_head=entries[-1]["hash"]).after_head == 0
    assert not audit_log.verify(log, expected_head="0" * 64).ok
