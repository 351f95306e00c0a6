"""Keyed pseudonyms, key handling, relative dates and the identifier search helper."""

from __future__ import annotations

import ast
import os
import pickle
import stat
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import effectstudy
from effectstudy.cli import main
from effectstudy.cli.keygen import write_key
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError
from effectstudy.privacy.pseudonyms import (
    KeyError_,
    PseudonymCollisionError,
    PseudonymKey,
    age_bands,
    assert_no_identifiers,
    find_identifiers,
    generate_key,
    load_key,
    pseudonymise,
    relative_days,
)
from tests.budget import examples

KEY_A = PseudonymKey(bytes(range(32)))
KEY_B = PseudonymKey(bytes(range(1, 33)))
PACKAGE = Path(effectstudy.__file__).parent


def test_same_key_same_pseudonym_and_different_keys_cannot_be_joined():
    ids = pd.Series([f"CL{i:06d}" for i in range(2000)])
    a1 = pseudonymise(ids, KEY_A, domain="client")
    a2 = pseudonymise(ids.sample(frac=1, random_state=1), KEY_A, domain="client")
    b = pseudonymise(ids, KEY_B, domain="client")
    assert (a1 == a2.sort_index()).all()
    # two releases: same clients, different keys -> a join on the pseudonym finds nothing
    rel1 = pd.DataFrame({"client_pseudonym": a1, "x": 1})
    rel2 = pd.DataFrame({"client_pseudonym": b, "y": 2})
    assert len(rel1.merge(rel2, on="client_pseudonym")) == 0
    assert a1.nunique() == len(ids)


# examples: up to 40 ids from a 14-letter alphabet: 30 examples hold repeated ids, and ids that differ
# only in letters, hundreds of times; the HMAC has no branches to reach
@examples(30)
@given(st.lists(st.text(alphabet="ABC0123456789-", min_size=1, max_size=12).filter(lambda s: s.strip()),
                min_size=1, max_size=40))
def test_pseudonyms_are_deterministic_and_domains_are_disjoint(ids):
    s = pd.Series(ids)
    p1 = pseudonymise(s, KEY_A, domain="client")
    p2 = pseudonymise(s, KEY_A, domain="client")
    pe = pseudonymise(s, KEY_A, domain="episode")
    assert p1.tolist() == p2.tolist()
    assert not set(p1) & set(pe)
    assert p1.nunique() == s.str.strip().str.upper().nunique()


def test_pseudonym_is_the_hmac_sha256_of_tag_and_normalised_id():
    # reference computed with the standard library's hmac, not with the package's code path
    import hmac as std_hmac

    expected = std_hmac.new(bytes(range(32)), b"client\x00AB12", "sha256").hexdigest()
    got = pseudonymise(pd.Series([" ab12 "]), KEY_A, domain="client", length=64)
    assert got[0] == expected


def test_normalisation_keeps_leading_zeros():
    p = pseudonymise(pd.Series(["007", "7", " 007", "x7", "X7"]), KEY_A, domain="client")
    assert p[0] == p[2] and p[0] != p[1] and p[3] == p[4]


def test_pseudonym_length_is_at_least_64_bits():
    assert pseudonymise(pd.Series(["a"]), KEY_A, domain="client").str.len()[0] == 16
    assert pseudonymise(pd.Series(["a"]), KEY_A, domain="client", length=32).str.len()[0] == 32
    with pytest.raises(ArgumentError, match=r"length: got 15, expected an integer from 16 \(64 bits\) to 64"):
        pseudonymise(pd.Series(["a"]), KEY_A, domain="client", length=15)


def test_collision_is_a_hard_error(monkeypatch):
    monkeypatch.setattr(PseudonymKey, "digest", lambda self, msg: b"\x00" * 32)
    with pytest.raises(PseudonymCollisionError, match=r"client_id: 1 pseudonym\(s\) shared by different identifiers "
                                                      r"\(2 identifiers involved\); nothing was written"):
        pseudonymise(pd.Series(["a", "b", "a"], name="client_id"), KEY_A, domain="client")


def test_pseudonymise_argument_errors():
    with pytest.raises(DataError, match="row 1 client_id: missing identifier"):
        pseudonymise(pd.Series(["a", None], name="client_id"), KEY_A, domain="client")
    with pytest.raises(DataError, match="row 0 id: missing identifier"):
        pseudonymise(pd.Series(["  "]), KEY_A, domain="client")
    with pytest.raises(ArgumentTypeError, match="key: got bytes .*expected a PseudonymKey"):
        pseudonymise(pd.Series(["a"]), bytes(32), domain="client")
    with pytest.raises(ArgumentError, match="domain: got '', expected a non-empty text"):
        pseudonymise(pd.Series(["a"]), KEY_A, domain="")


def test_key_never_shows_in_repr_str_or_pickle():
    secret = bytes(range(100, 132))
    key = PseudonymKey(secret)
    for text in (repr(key), str(key), f"{key}"):
        assert secret.hex() not in text and "fingerprint" in text
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(key)
    with pytest.raises(KeyError_, match=r"key: 16 bytes \(128 bits\) given, expected at least 32 bytes \(256 bits\)"):
        PseudonymKey(bytes(16))
    with pytest.raises(ArgumentTypeError, match="secret: got str"):
        PseudonymKey("0" * 64)
    assert len(generate_key()) == 32 and generate_key() != generate_key()


def test_keygen_writes_an_owner_only_256_bit_key(tmp_path, capsys):
    path = tmp_path / "keys" / "release-1.key"
    assert main(["keygen", str(path)]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text().strip()
    assert len(bytes.fromhex(text)) == 32
    key = load_key(path)
    out = capsys.readouterr().out
    assert key.fingerprint in out and text not in out
    assert main(["keygen", str(path)]) == 2
    assert "already exists; a key is never overwritten" in capsys.readouterr().err
    assert write_key(tmp_path / "keys" / "release-2.key").fingerprint != key.fingerprint


def test_keygen_refuses_the_repository(capsys):
    target = PACKAGE.parent / "should-not-exist.key"
    assert main(["keygen", str(target)]) == 2
    assert "is inside" in capsys.readouterr().err
    assert not target.exists()


def test_load_key_refuses_bad_files_and_places(tmp_path, monkeypatch):
    good = write_key(tmp_path / "k.key")
    assert load_key(tmp_path / "k.key").fingerprint == good.fingerprint
    os.chmod(tmp_path / "k.key", 0o644)
    with pytest.raises(KeyError_, match=r"has permissions 0644, expected 0600 \(owner only\); run: chmod 600"):
        load_key(tmp_path / "k.key")
    short = tmp_path / "short.key"
    short.write_text("ab" * 16)
    os.chmod(short, 0o600)
    with pytest.raises(KeyError_, match="key has 128 bits, expected at least 256 bits"):
        load_key(short)
    nothex = tmp_path / "nothex.key"
    nothex.write_text("not a key at all")
    os.chmod(nothex, 0o600)
    with pytest.raises(KeyError_, match="the key is not hexadecimal text") as exc:
        load_key(nothex)
    assert "not a key at all" not in str(exc.value)
    with pytest.raises(KeyError_, match="does not exist; create one with `effectstudy keygen PATH`"):
        load_key(tmp_path / "missing.key")
    data = tmp_path / "data"
    data.mkdir()
    inside = write_key(tmp_path / "elsewhere.key")
    (data / "k.key").write_bytes((tmp_path / "elsewhere.key").read_bytes())
    os.chmod(data / "k.key", 0o600)
    with pytest.raises(KeyError_, match="is inside .*data'; keep the key outside the project, the data"):
        load_key(data / "k.key", forbidden=[data])
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    with pytest.raises(KeyError_, match="is inside the git work tree"):
        load_key(repo / "sub" / "k.key")
    with pytest.raises(KeyError_, match="no key given"):
        load_key()
    assert inside.fingerprint


def test_load_key_from_environment(monkeypatch):
    secret = bytes(range(40, 72))
    monkeypatch.setenv("ES_TEST_KEY", secret.hex())
    assert load_key(env="ES_TEST_KEY").fingerprint == PseudonymKey(secret).fingerprint
    monkeypatch.setenv("ES_TEST_KEY", "abcd")
    with pytest.raises(KeyError_, match="environment variable 'ES_TEST_KEY': key has 16 bits"):
        load_key(env="ES_TEST_KEY")
    monkeypatch.delenv("ES_TEST_KEY")
    with pytest.raises(KeyError_, match="environment variable 'ES_TEST_KEY' is not set or empty"):
        load_key(env="ES_TEST_KEY")


def _calls(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            names.append(node.attr)
        elif isinstance(node, ast.Name):
            names.append(node.id)
    return names


def test_no_plain_hashing_of_identifiers_is_offered():
    """SEC-P1 static check: privacy/pseudonyms.py uses only hmac; md5/sha1 appear nowhere in the package."""
    tree = ast.parse((PACKAGE / "privacy" / "pseudonyms.py").read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    assert "hashlib" not in imported
    assert "hmac" in imported
    for py in PACKAGE.rglob("*.py"):
        names = _calls(ast.parse(py.read_text()))
        assert not {"md5", "sha1"} & set(names), py
    # the public privacy API has no unkeyed hash function
    assert not [n for n in effectstudy.privacy.pseudonyms.__all__ if "hash" in n.lower()]


def test_relative_days_and_age_bands():
    d = pd.Series(pd.to_datetime(["2024-03-01 14:30", "2024-02-28 00:00", None]))
    s = pd.Series(pd.to_datetime(["2024-02-28 09:00"] * 3))
    assert relative_days(d, s).tolist() == [2, 0, pd.NA]  # leap year: 29 Feb counts
    assert age_bands(pd.Series([0, 4, 5, 79, 80, 104]), width=5, top=80).tolist() == [0, 0, 5, 75, 80, 80]
    assert age_bands(pd.Series([34, 35]), width=10, top=90).tolist() == [30, 30]
    with pytest.raises(ArgumentError, match="width: got 0, expected a positive whole number of years"):
        age_bands(pd.Series([1]), width=0)
    with pytest.raises(ArgumentError, match=r"top: got 3, expected a whole number of years >= width \(5\)"):
        age_bands(pd.Series([1]), width=5, top=3)


def test_find_identifiers_searches_text_zip_members_and_date_forms(tmp_path):
    (tmp_path / "a.csv").write_text("id,naam\nx,Jansen\n")
    with zipfile.ZipFile(tmp_path / "b.xlsx", "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/sharedStrings.xml", "<t>123456782</t><t>04-03-2021</t>")
    (tmp_path / "c.bin").write_bytes("Pietersen".encode("utf-16-le"))
    leaks = find_identifiers([tmp_path], ["Jansen", "123456782", pd.Timestamp("2021-03-04"), "Pietersen", "Absent1"])
    found = {(Path(lk.path).name, lk.member, lk.identifier) for lk in leaks}
    assert found == {("a.csv", None, "Jansen"), ("b.xlsx", "xl/sharedStrings.xml", "123456782"),
                     ("b.xlsx", "xl/sharedStrings.xml", "2021-03-04 00:00:00"), ("c.bin", None, "Pietersen")}
    with pytest.raises(AssertionError, match=r"4 identifier occurrence\(s\) found: .*b.xlsx!xl/sharedStrings.xml"):
        assert_no_identifiers([tmp_path], ["Jansen", "123456782", pd.Timestamp("2021-03-04"), "Pietersen"])
    with pytest.raises(ArgumentError, match="identifiers: got 'ab', expected identifiers of at least 4 characters"):
        find_identifiers([tmp_path], ["ab"])
    with pytest.raises(ArgumentError, match="paths: got '.*nowhere', expected existing files or folders"):
        find_identifiers([tmp_path / "nowhere"], ["Jansen"])
    assert np.isscalar(len(leaks))
