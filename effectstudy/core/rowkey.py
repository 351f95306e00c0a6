"""Pseudonymous row keys: how messages, problem files and the stagnation list point at a row.

Validation messages, the problems CSV and the stagnation list never quote a client id, episode
id or date (Privacy & integrity VAL-5: "the message never contains ... direct identifiers",
SEC-P2).  A row is found again by its file and line and by a short **row key**::

    row_key(x) = "r-" + hex(HMAC-SHA256(K, domain || 0x00 || norm(x)))[:12]

with the project's local secret key :math:`K` (256 bits), ``domain`` ``client`` for a client id
and ``episode`` for an episode id (a row without a client id, e.g. a satisfaction form, is keyed
by its episode id), and ``norm`` = surrounding white space removed, letters upper-cased (as the
research pseudonyms of :mod:`effectstudy.privacy.pseudonyms`).  A keyed MAC, never a plain hash:
client ids are short (an 8-digit EPD number, a BSN), so ``sha256(id)`` could be reversed by
hashing every possible id in under a minute (Privacy & integrity §1.2; ENISA, *Pseudonymisation
techniques and best practices*, 2019, ch. 3).  Without the key a row key cannot be recomputed.

48 bits (12 hex characters) keep the key short enough to read out in a peer consultation; with
:math:`n = 10^5` clients the expected number of colliding pairs is :math:`n^2/2^{49} \\approx
1.8\\times10^{-5}` (Privacy & integrity §1.2).  A row key is a pointer for the practice's own
data manager, not a research pseudonym: it never leaves the practice in a research export (those
use :mod:`effectstudy.privacy.pseudonyms` with a key per release, SEC-P1/P3).

Where the key lives
-------------------
1. The environment variable ``EFFECTSTUDY_ROWKEY`` (at least 64 hex characters), when set: for
   a practice that keeps its secrets in a secret store, and for tests.
2. Otherwise the file ``.effectstudy/rowkey.key`` in the project folder (the folder holding
   ``effectstudy.toml`` or ``pyproject.toml``, :func:`effectstudy.core.files.find_repo_root`),
   created on first use with 32 random bytes (``secrets.token_bytes``), permissions 0600 in a
   0700 folder, and kept out of git by ``.gitignore`` (``effectstudy init`` writes that line).
   A key file readable by others is refused.

The key lives with the project, not outside it as a release key must (SEC-P2), on purpose: the
row keys of one project stay the same from run to run so the data manager can find a row again,
and two projects (two practices, or a copy made with ``effectstudy init``) get different keys.
SEC-P3 allows such a practice-only key for internal pseudonyms; the row key protects messages
that may be pasted into an e-mail or a help-desk ticket, while the raw export beside the key is
protected by the practice's machine itself.  The key itself is never printed: ``repr`` shows only
its fingerprint.

>>> k = RowKey(bytes(range(32)))
>>> a = k.keys(["C001", " c001 ", "C002"])
>>> a[0] == a[1], a[0] == a[2], a[0][:2], len(a[0])
(True, False, 'r-', 14)
>>> k.keys(["E1"], domain="episode")[0] != k.keys(["E1"], domain="client")[0]
True
>>> k
RowKey(fingerprint='...')
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from effectstudy.core.errors import EffectstudyError
from effectstudy.core.files import find_repo_root

__all__ = [
    "ROWKEY_ENV",
    "ROWKEY_DIR",
    "ROWKEY_FILE",
    "ROWKEY_HEX",
    "ROWKEY_PREFIX",
    "DOMAINS",
    "RowKey",
    "RowKeyError",
    "load_row_key",
    "row_key_path",
]

#: environment variable holding the key as hex (takes precedence over the key file)
ROWKEY_ENV = "EFFECTSTUDY_ROWKEY"
#: folder of the key file inside the project folder (git-ignored)
ROWKEY_DIR = ".effectstudy"
#: the key file's name inside :data:`ROWKEY_DIR`
ROWKEY_FILE = "rowkey.key"
#: hex characters of a row key (48 bits)
ROWKEY_HEX = 12
#: every row key starts with this, so it is never mistaken for an id of the export
ROWKEY_PREFIX = "r-"
#: the kinds of id a row key is made of
DOMAINS = ("client", "episode")
_KEY_BYTES = 32
_FINGERPRINT_MSG = b"effectstudy-rowkey-id"
_BLOCK = 64  # SHA-256's block in bytes (RFC 2104: B)


class RowKeyError(EffectstudyError, ValueError):
    """The row-key secret is malformed, readable by others or cannot be created."""


@dataclass(frozen=True, repr=False)
class RowKey:
    """The project's secret for row keys; ``repr`` and ``str`` show only its fingerprint.

    Parameters
    ----------
    secret : bytes
        At least 32 bytes.
    source : str
        Where it came from (a file path or the environment variable's name), for messages.
    """

    secret: bytes
    source: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.secret, bytes) or len(self.secret) < _KEY_BYTES:
            raise RowKeyError(f"row key secret from {self.source or 'the caller'}: expected at least "
                              f"{_KEY_BYTES} bytes")

    @property
    def fingerprint(self) -> str:
        """First 8 hex characters of ``HMAC(key, "effectstudy-rowkey-id")``: names the key, reveals nothing."""
        return hmac.digest(self.secret, _FINGERPRINT_MSG, "sha256").hex()[:8]

    def __repr__(self) -> str:
        return f"RowKey(fingerprint={self.fingerprint!r})"

    __str__ = __repr__

    def keys(self, values: Any, domain: str = "client") -> np.ndarray:
        """Row keys of ``values`` (ids), as an object array of ``"r-<12 hex>"``; ``""`` where missing.

        Vectorised over the distinct ids: each distinct (normalised) id is hashed once, then
        spread over the rows.  The MAC is RFC 2104's, from the two key pads hashed once
        (:func:`_pads`): per id two copies of a SHA-256 state and two short updates, 0.8 µs
        against 1.9 µs for a copied ``hmac.HMAC`` (158,000 ids, this machine class).
        """
        if domain not in DOMAINS:
            raise RowKeyError(f"domain: got {domain!r}, expected one of {DOMAINS}")
        s = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object))
        # distinct raw ids first (cheap on Arrow strings), then normalise and hash only those
        codes, uniques = pd.factorize(s.astype("string"), use_na_sentinel=True)
        norm = pd.Series(uniques, dtype="string").str.strip().str.upper()
        inner, outer = _pads(self.secret, domain.encode("utf-8") + b"\x00")
        copy_in, copy_out, hexes = inner.copy, outer.copy, []
        for u in norm.fillna("").tolist():
            if not u:
                hexes.append("")
                continue
            h, o = copy_in(), copy_out()
            h.update(u.encode("utf-8"))
            o.update(h.digest())
            hexes.append(ROWKEY_PREFIX + o.hexdigest()[:ROWKEY_HEX])
        hexes.append("")  # the key of a missing id
        return np.array(hexes, dtype=object)[np.where(codes < 0, len(uniques), codes)]

    def row_keys(self, client_ids: Any = None, episode_ids: Any = None) -> np.ndarray:
        """Row keys of rows: the client id's key where there is one, else the episode id's key."""
        if client_ids is None and episode_ids is None:
            raise RowKeyError("row_keys: give client_ids, episode_ids or both")
        out = self.keys(client_ids, "client") if client_ids is not None else None
        if episode_ids is None:
            return out
        if out is None:
            return self.keys(episode_ids, "episode")
        empty = out == ""
        if empty.any():  # the episode id's key only where the client id has none (one HMAC per id)
            ep = episode_ids if isinstance(episode_ids, pd.Series) else pd.Series(np.asarray(episode_ids, dtype=object))
            out = out.copy()
            out[empty] = self.keys(ep[empty], "episode")
        return out


def _pads(secret: bytes, prefix: bytes) -> tuple[Any, Any]:
    r"""The SHA-256 states of HMAC (RFC 2104, section 2) after the inner pad and ``prefix``, and
    after the outer pad: ``HMAC(K, m) = H((K' ^ opad) || H((K' ^ ipad) || m))`` with ``K'`` the
    key (hashed first when longer than the 64-byte block) padded with zeros to 64 bytes,
    ``ipad`` = 0x36 and ``opad`` = 0x5c repeated.  Copying the two states per message gives the
    MAC of ``prefix || message`` without hashing the pads again.

    >>> import hmac
    >>> for key in (bytes(range(32)), bytes(range(100))):
    ...     inner, outer = _pads(key, b"client\x00")
    ...     inner.update(b"C001")
    ...     outer.update(inner.digest())
    ...     print(outer.hexdigest() == hmac.digest(key, b"client\x00C001", "sha256").hex())
    True
    True
    """
    key = hashlib.sha256(secret).digest() if len(secret) > _BLOCK else secret
    key = key.ljust(_BLOCK, b"\x00")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    inner.update(prefix)
    return inner, hashlib.sha256(bytes(b ^ 0x5C for b in key))


def row_key_path(start: str | Path | None = None) -> Path:
    """The key file of the project folder at or above ``start`` (default: the current directory)."""
    return find_repo_root(start) / ROWKEY_DIR / ROWKEY_FILE


def _from_env(text: str) -> RowKey:
    try:
        secret = bytes.fromhex(text.strip())
    except ValueError:
        raise RowKeyError(f"{ROWKEY_ENV}: expected at least {2 * _KEY_BYTES} hex characters") from None
    if len(secret) < _KEY_BYTES:
        raise RowKeyError(f"{ROWKEY_ENV}: expected at least {2 * _KEY_BYTES} hex characters")
    return RowKey(secret, ROWKEY_ENV)


def _read_file(path: Path) -> RowKey:
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise RowKeyError(f"row key file {str(path)!r} is readable by others; expected permissions 0600 "
                          f"(run: chmod 600 {path})")
    try:
        secret = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (ValueError, UnicodeDecodeError):
        raise RowKeyError(f"row key file {str(path)!r}: expected {2 * _KEY_BYTES} hex characters "
                          "(delete the file to make a new key; row keys of earlier runs then change)") from None
    return RowKey(secret, str(path))


def _create_file(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except FileExistsError:  # a file stands where the folder should be
        raise NotADirectoryError(20, "not a folder", str(path.parent)) from None
    # written in full to a private temporary file, then linked into place: a process that finds
    # the key file never reads it half written, and an existing key is never replaced
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.write(fd, secrets.token_bytes(_KEY_BYTES).hex().encode("ascii") + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, 0o600)  # in case the umask removed owner bits
        os.link(tmp, path)  # FileExistsError when another process was first
    finally:
        os.unlink(tmp)


def load_row_key(start: str | Path | None = None, *, create: bool = True) -> RowKey:
    """The project's row-key secret: ``EFFECTSTUDY_ROWKEY``, else the project's key file.

    Parameters
    ----------
    start : path, optional
        A file or folder inside the project (a params or data file); default the current directory.
    create : bool
        Create the key file (0600) when it does not exist yet (default).

    Raises
    ------
    RowKeyError
        The variable or the file holds no 256-bit hex key, the file is readable by others, or it
        is missing and cannot be created (set ``EFFECTSTUDY_ROWKEY`` instead).
    """
    env = os.environ.get(ROWKEY_ENV)
    if env:
        return _from_env(env)
    path = row_key_path(start)
    if not path.is_file():
        if not create:
            raise RowKeyError(f"no row key file {str(path)!r} (it is made on first use)")
        try:
            _create_file(path)
        except FileExistsError:  # another process made it just now
            pass
        except OSError as exc:
            raise RowKeyError(f"cannot create the row key file {str(path)!r} ({exc.strerror}); make the project "
                              f"folder writable or set {ROWKEY_ENV} to 64 hex characters") from None
    return _read_file(path)
