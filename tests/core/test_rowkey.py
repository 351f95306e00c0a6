"""Row keys: keyed (not reversible without the project's secret), stable across runs of a project,
different between projects, and the secret kept in a 0600 file that git ignores."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from effectstudy.cli.init import init_project
from effectstudy.core.files import PROJECT_FILE
from effectstudy.core.rowkey import (
    ROWKEY_DIR,
    ROWKEY_ENV,
    ROWKEY_FILE,
    RowKey,
    RowKeyError,
    load_row_key,
    row_key_path,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_env(monkeypatch):
    """The tests run with a fixed EFFECTSTUDY_ROWKEY (conftest); these tests need the key file."""
    monkeypatch.delenv(ROWKEY_ENV, raising=False)


def project(tmp_path: Path, name: str) -> Path:
    p = tmp_path / name
    p.mkdir()
    (p / PROJECT_FILE).write_text("")
    return p


def test_a_row_key_is_the_hmac_of_the_domain_and_the_normalised_id():
    secret = bytes(range(32))
    expected = hmac.new(secret, b"client\x00C001", hashlib.sha256).hexdigest()[:12]
    assert RowKey(secret).keys([" c001 "])[0] == "r-" + expected
    ep = hmac.new(secret, b"episode\x00E9", hashlib.sha256).hexdigest()[:12]
    assert RowKey(secret).keys(["E9"], domain="episode")[0] == "r-" + ep
    # a plain hash of the id is not the key: without the secret it cannot be recomputed
    assert expected != hashlib.sha256(b"C001").hexdigest()[:12]


@pytest.mark.parametrize("n_bytes", [32, 64, 65, 200])  # a key longer than SHA-256's block is hashed first
def test_row_keys_equal_the_standard_library_hmac_for_every_key_length(n_bytes):
    secret = bytes((7 * i + 3) % 256 for i in range(n_bytes))
    ids = ["C001", "é-42", "x" * 300, "0", "C001"]
    got = RowKey(secret).keys(ids, domain="episode")
    want = ["r-" + hmac.new(secret, b"episode\x00" + i.upper().encode("utf-8"), hashlib.sha256).hexdigest()[:12]
            for i in ids]
    assert got.tolist() == want


def test_missing_ids_get_no_key_and_episode_ids_stand_in_for_missing_client_ids():
    k = RowKey(bytes(32))
    out = k.row_keys(["C1", None, "", "C1"], ["E1", "E2", "E3", None])
    assert out[0] == out[3] == k.keys(["C1"])[0]
    assert out[1] == k.keys(["E2"], domain="episode")[0] and out[2] == k.keys(["E3"], domain="episode")[0]
    assert k.keys([None, np.nan, "  "]).tolist() == ["", "", ""]
    with pytest.raises(RowKeyError, match="domain"):
        k.keys(["x"], domain="therapist")


def test_vectorised_keys_equal_one_at_a_time_and_leading_zeros_count():
    k = RowKey(bytes(range(1, 33)))
    ids = pd.Series([f"{i:05d}" for i in range(300)] * 3, dtype="str")
    many = k.keys(ids)
    assert many.tolist() == [k.keys([v])[0] for v in ids]
    assert len(set(many)) == 300 and k.keys(["007"])[0] != k.keys(["7"])[0]


def test_the_secret_never_shows_and_must_be_256_bits():
    secret = bytes(range(32))
    k = RowKey(secret, "x")
    assert secret.hex() not in repr(k) + str(k) and "fingerprint" in repr(k)
    with pytest.raises(RowKeyError, match="at least 32 bytes"):
        RowKey(b"short")


def test_key_file_made_once_0600_stable_across_runs_and_different_per_project(tmp_path, no_env):
    a, b = project(tmp_path, "a"), project(tmp_path, "b")
    (a / "data").mkdir()
    k1 = load_row_key(a / "data")
    path = a / ROWKEY_DIR / ROWKEY_FILE
    assert row_key_path(a / "data") == path and path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    ids = ["C1", "C2"]
    # a second run (here: a fresh process) of the same project gives the same keys
    code = ("import sys; from effectstudy.core.rowkey import load_row_key; "
            "print(','.join(load_row_key(sys.argv[1]).keys(['C1', 'C2'])))")
    env = {k: v for k, v in os.environ.items() if k != ROWKEY_ENV}
    again = subprocess.run([sys.executable, "-c", code, str(a)], capture_output=True, text=True, env=env, check=True)
    assert again.stdout.strip().split(",") == k1.keys(ids).tolist()
    assert load_row_key(b).keys(ids).tolist() != k1.keys(ids).tolist()


def test_a_key_file_readable_by_others_or_malformed_is_refused(tmp_path, no_env):
    a = project(tmp_path, "a")
    load_row_key(a)
    path = row_key_path(a)
    os.chmod(path, 0o644)
    with pytest.raises(RowKeyError, match="readable by others.*chmod 600"):
        load_row_key(a)
    os.chmod(path, 0o600)
    path.write_text("not hex")
    with pytest.raises(RowKeyError, match="expected 64 hex characters"):
        load_row_key(a)
    with pytest.raises(RowKeyError, match="no row key file"):
        load_row_key(project(tmp_path, "c"), create=False)


def test_environment_variable_takes_precedence(tmp_path, monkeypatch):
    a = project(tmp_path, "a")
    monkeypatch.setenv(ROWKEY_ENV, "ab" * 32)
    assert load_row_key(a).secret == bytes.fromhex("ab" * 32)
    assert not row_key_path(a).exists()  # no file made when the variable is set
    monkeypatch.setenv(ROWKEY_ENV, "ab" * 8)
    with pytest.raises(RowKeyError, match=f"{ROWKEY_ENV}: expected at least 64 hex"):
        load_row_key(a)


def test_a_project_that_cannot_hold_the_key_says_what_to_do(tmp_path, no_env):
    a = project(tmp_path, "a")
    (a / ROWKEY_DIR).write_text("a file where the key's folder should be")
    with pytest.raises(RowKeyError, match=f"cannot create the row key file.*not a folder.*{ROWKEY_ENV}"):
        load_row_key(a)


def test_git_ignores_the_key_file_in_the_repository_and_in_an_init_project(tmp_path):
    assert ".effectstudy/" in (ROOT / ".gitignore").read_text().splitlines()
    init_project(tmp_path / "p")
    assert ".effectstudy/" in (tmp_path / "p" / ".gitignore").read_text().splitlines()


def test_processes_that_start_a_project_at_once_agree_on_one_key(tmp_path, no_env):
    a = project(tmp_path, "a")
    env = {k: v for k, v in os.environ.items() if k != ROWKEY_ENV}
    code = "import sys; from effectstudy.core.rowkey import load_row_key; print(load_row_key(sys.argv[1]).fingerprint)"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(a)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [err for _, err in outs if err] == []
    assert len({out for out, _ in outs}) == 1  # none read a half-written file or made a second key
    assert sorted(x.name for x in (a / ROWKEY_DIR).iterdir()) == [ROWKEY_FILE]  # no temporary file left
