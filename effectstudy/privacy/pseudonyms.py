"""Pseudonymisation of research data: keyed pseudonyms, relative dates, identifier checks.

Pseudonyms are keyed hashes, never plain hashes (SEC-P1 in the project's privacy reference):

.. math::

    \\mathrm{pseudonym}(x) = \\mathrm{hex}\\big(\\mathrm{HMAC\\text{-}SHA256}(K,\\;
    \\mathrm{tag} \\,\\|\\, \\mathtt{0x00} \\,\\|\\, \\mathrm{norm}(x))\\big)[:L]

with a secret key :math:`K` of at least 256 bits, a domain tag naming the kind of identifier
(``client``, ``episode``) and :math:`L \\ge 16` hex characters (64 bits).  Without the key the
mapping cannot be recomputed by trying every possible id, which a plain ``sha256(id)`` allows
(ENISA, *Pseudonymisation techniques and best practices*, 2019, ch. 3; AEPD/EDPS, *Introduction
to the hash function as a personal data pseudonymisation technique*, 2019).  Each release gets
its own key, so two releases cannot be joined on the pseudonym (EDPB Guidelines 01/2025, the
"pseudonymisation domain").  With :math:`n` ids and :math:`b`-bit pseudonyms the expected number
of colliding pairs is about :math:`n^2 / 2^{b+1}` (:math:`2.7\\times10^{-10}` for
:math:`n=10^5`, :math:`b=64`); a collision is nevertheless checked on every run and is an error.

Identifiers are normalised before hashing: surrounding white space is removed and letters are
upper-cased; leading zeros are kept (``"007"`` and ``"7"`` are different clients).

Calendar dates never leave: they become days since the episode start plus the start year
(SEC-P6); birth years become age bands (CCMO: birth year at most; HIPAA Safe Harbor top-codes
high ages).

>>> key = PseudonymKey(bytes(range(32)))
>>> p = pseudonymise(pd.Series(["C001", " c001 ", "C002"]), key, domain="client")
>>> p[0] == p[1], p[0] == p[2], len(p[0])
(True, False, 16)
>>> key
PseudonymKey(fingerprint='...')
"""

from __future__ import annotations

import hmac
import os
import secrets
import stat
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError, EffectstudyError
from effectstudy.core.files import PROJECT_FILE
from effectstudy.core.shipped import code_root

__all__ = [
    "KEY_BYTES",
    "MIN_PSEUDONYM_HEX",
    "PseudonymKey",
    "KeyError_",
    "PseudonymCollisionError",
    "generate_key",
    "load_key",
    "check_key_location",
    "normalise_ids",
    "pseudonymise",
    "relative_days",
    "age_bands",
    "identifier_forms",
    "find_identifiers",
    "assert_no_identifiers",
]

#: minimum key length in bytes (256 bits)
KEY_BYTES = 32
#: minimum pseudonym length in hex characters (64 bits)
MIN_PSEUDONYM_HEX = 16
_FINGERPRINT_MSG = b"effectstudy-key-id"


class KeyError_(EffectstudyError, ValueError):
    """The pseudonymisation key is missing, too short, badly stored or in a forbidden place."""


class PseudonymCollisionError(EffectstudyError, ValueError):
    """Two different identifiers received the same pseudonym (SEC-P4); nothing is written."""


# ------------------------------------------------------------------------------------ keys
class PseudonymKey:
    """A secret HMAC key.  Its ``repr`` shows only the fingerprint, never the key.

    Parameters
    ----------
    secret : bytes
        At least :data:`KEY_BYTES` (32) bytes.
    source : str
        Where the key came from (a path or ``env:NAME``), for messages.

    >>> PseudonymKey(b"short")
    Traceback (most recent call last):
    ...
    effectstudy.privacy.pseudonyms.KeyError_: key: 5 bytes (40 bits) given, expected at least 32 bytes (256 bits)
    """

    __slots__ = ("_secret", "source")

    def __init__(self, secret: bytes, source: str = "<memory>") -> None:
        if not isinstance(secret, (bytes, bytearray)):
            raise ArgumentTypeError("secret", secret, "bytes")
        if len(secret) < KEY_BYTES:
            raise KeyError_(
                f"key: {len(secret)} bytes ({8 * len(secret)} bits) given, expected at least "
                f"{KEY_BYTES} bytes ({8 * KEY_BYTES} bits)"
            )
        self._secret = bytes(secret)
        self.source = source

    @property
    def fingerprint(self) -> str:
        """First 8 hex characters of ``HMAC(key, "effectstudy-key-id")``: names the key, reveals nothing."""
        return hmac.digest(self._secret, _FINGERPRINT_MSG, "sha256").hex()[:8]

    def digest(self, message: bytes) -> bytes:
        """``HMAC-SHA256(key, message)`` (32 bytes)."""
        return hmac.digest(self._secret, message, "sha256")

    def __repr__(self) -> str:
        return f"PseudonymKey(fingerprint={self.fingerprint!r})"

    __str__ = __repr__

    def __reduce__(self):  # never pickled into caches or worker processes
        raise TypeError("PseudonymKey cannot be pickled")


def generate_key() -> bytes:
    """A fresh 256-bit key from the operating system's CSPRNG (``secrets.token_bytes``)."""
    return secrets.token_bytes(KEY_BYTES)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def check_key_location(path: str | Path, forbidden: Iterable[str | Path] = ()) -> Path:
    """Refuse a key file inside a git work tree, the effectstudy code or a project folder made by
    ``effectstudy init``, or a forbidden folder.

    The key must be kept apart from the data and the code (SEC-P2; EDPB 01/2025: the
    pseudonymisation secret is stored separately).  ``forbidden`` lists the run's data and
    output folders.

    Raises
    ------
    KeyError_
        Naming the key path and the folder it sits in.
    """
    path = Path(path).expanduser().resolve()
    folders = [Path(f) for f in forbidden] + [code_root()]
    for folder in folders:
        if _inside(path, folder):
            raise KeyError_(
                f"key file {str(path)!r} is inside {str(folder.resolve())!r}; keep the key outside "
                "the project, the data and the output folders (e.g. in your home directory)"
            )
    for parent in path.parents:
        if (parent / PROJECT_FILE).is_file():
            raise KeyError_(
                f"key file {str(path)!r} is inside the effectstudy project folder {str(parent)!r}; "
                "keep the key outside the project (e.g. in your home directory)"
            )
        if (parent / ".git").exists():
            raise KeyError_(
                f"key file {str(path)!r} is inside the git work tree {str(parent)!r}; keep the key "
                "outside any repository"
            )
    return path


def _parse_key_text(text: str, source: str) -> bytes:
    text = text.strip()
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        raise KeyError_(
            f"{source}: the key is not hexadecimal text; create one with `effectstudy keygen PATH`"
        ) from None
    if len(secret) < KEY_BYTES:
        raise KeyError_(
            f"{source}: key has {8 * len(secret)} bits, expected at least {8 * KEY_BYTES} bits; "
            "create one with `effectstudy keygen PATH`"
        )
    return secret


def load_key(
    path: str | Path | None = None,
    *,
    env: str | None = None,
    forbidden: Iterable[str | Path] = (),
) -> PseudonymKey:
    """Load a key from a file (hex text, permissions 0600) or from an environment variable.

    Parameters
    ----------
    path : path, optional
        A key file written by ``effectstudy keygen``.  It must be readable by its owner only
        and must not sit inside the project, a git work tree or a ``forbidden`` folder.
    env : str, optional
        Name of an environment variable holding the key as hex text.  Used when ``path`` is
        not given.
    forbidden : folders
        The run's data and output folders.

    Raises
    ------
    KeyError_
        No source given, file missing, group/other permissions, too short, not hex, or a
        forbidden location.  The message never contains the key.
    """
    if path is not None:
        p = check_key_location(path, forbidden)
        if not p.is_file():
            raise KeyError_(f"key file {str(p)!r} does not exist; create one with `effectstudy keygen PATH`")
        mode = stat.S_IMODE(p.stat().st_mode)
        if mode & 0o077:
            raise KeyError_(
                f"key file {str(p)!r} has permissions {mode:04o}, expected 0600 (owner only); "
                f"run: chmod 600 {p}"
            )
        return PseudonymKey(_parse_key_text(p.read_text(encoding="ascii", errors="replace"), str(p)), str(p))
    if env is not None:
        value = os.environ.get(env)
        if not value:
            raise KeyError_(f"environment variable {env!r} is not set or empty; it must hold the key as hex text")
        return PseudonymKey(_parse_key_text(value, f"environment variable {env!r}"), f"env:{env}")
    raise KeyError_("no key given: set a key file (key_file) or an environment variable (key_env)")


# ------------------------------------------------------------------------------------ pseudonyms
def normalise_ids(values: pd.Series) -> pd.Series:
    """Identifier normalisation used before hashing: strip white space, upper-case, keep zeros.

    >>> normalise_ids(pd.Series([" ab01", "AB01", "007", 7])).tolist()
    ['AB01', 'AB01', '007', '7']
    """
    return values.astype("string").str.strip().str.upper()


def pseudonymise(
    values: pd.Series,
    key: PseudonymKey,
    *,
    domain: str,
    length: int = MIN_PSEUDONYM_HEX,
    name: str | None = None,
) -> pd.Series:
    """Replace identifiers by keyed pseudonyms (HMAC-SHA256, hex, ``length`` characters).

    Parameters
    ----------
    values : Series
        Identifiers; missing values are an error (every row must be attributable).
    key : PseudonymKey
        The release key (one per release, see :func:`load_key`).
    domain : str
        Kind of identifier (``"client"``, ``"episode"``); the same id in two domains gives
        unrelated pseudonyms.
    length : int
        Hex characters kept, 16 (64 bits) to 64.
    name : str, optional
        Column name for messages; default ``values.name``.

    Returns
    -------
    Series of str, same index as ``values``.

    Raises
    ------
    PseudonymCollisionError
        Two different normalised identifiers map to the same pseudonym.
    DataError
        A missing identifier (names the row).

    Notes
    -----
    The HMAC is computed once per distinct identifier (a loop over distinct ids, not rows);
    rows are mapped back with :func:`pandas.factorize`.
    """
    if not isinstance(key, PseudonymKey):
        raise ArgumentTypeError("key", key, "a PseudonymKey (see effectstudy.privacy.pseudonyms.load_key)")
    if not isinstance(length, int) or isinstance(length, bool) or not MIN_PSEUDONYM_HEX <= length <= 64:
        raise ArgumentError("length", length, f"an integer from {MIN_PSEUDONYM_HEX} (64 bits) to 64 hex characters")
    if not isinstance(domain, str) or not domain:
        raise ArgumentError("domain", domain, "a non-empty text such as 'client' or 'episode'")
    col = name or (str(values.name) if values.name is not None else "id")
    norm = normalise_ids(values)
    missing = norm.isna() | (norm == "")
    if missing.any():
        row = values.index[np.flatnonzero(missing.to_numpy())[0]]
        raise DataError("missing identifier; every row needs an id to be pseudonymised", row=row, column=col,
                        value=values.loc[row] if not pd.isna(values.loc[row]) else None, expected="a non-empty id")
    codes, uniques = pd.factorize(norm, sort=False)
    prefix = domain.encode("utf-8") + b"\x00"
    digest = key.digest
    pseud = np.array([digest(prefix + u.encode("utf-8")).hex()[:length] for u in uniques], dtype=object)
    _check_collisions(pseud, np.asarray(uniques, dtype=object), col)
    return pd.Series(pseud[codes], index=values.index, name=values.name, dtype="string")


def _check_collisions(pseud: np.ndarray, uniques: np.ndarray, col: str) -> None:
    s = pd.Series(pseud)
    dup = s.duplicated(keep=False).to_numpy()
    if dup.any():
        n = int(s[dup].nunique())
        raise PseudonymCollisionError(
            f"{col}: {n} pseudonym(s) shared by different identifiers ({int(dup.sum())} identifiers "
            "involved); nothing was written. Use longer pseudonyms (length) or a new key."
        )


# ------------------------------------------------------------------------------------ dates, ages
def relative_days(dates: pd.Series, start: pd.Series) -> pd.Series:
    """Whole days from ``start`` (day 0) to ``dates``, row by row (nullable integers).

    >>> d = pd.to_datetime(pd.Series(["2024-01-10", "2023-12-31", None]))
    >>> s = pd.to_datetime(pd.Series(["2024-01-01"] * 3))
    >>> relative_days(d, s).tolist()
    [9, -1, <NA>]
    """
    d = pd.to_datetime(dates).dt.normalize()
    s = pd.to_datetime(start).dt.normalize()
    return (d - s).dt.days.astype("Int64")


def age_bands(age: pd.Series, *, width: int = 5, top: int = 80) -> pd.Series:
    """Lower bound of the ``width``-year age band; ages ``>= top`` are top-coded to ``top``.

    >>> age_bands(pd.Series([17, 23, 24.9, 81, None]), width=5, top=80).tolist()
    [15, 20, 20, 80, <NA>]
    """
    if not isinstance(width, int) or width < 1:
        raise ArgumentError("width", width, "a positive whole number of years")
    if not isinstance(top, int) or top < width:
        raise ArgumentError("top", top, f"a whole number of years >= width ({width})")
    a = pd.to_numeric(age).astype("Float64")
    band = (np.floor(a / width) * width).clip(upper=top)
    return band.astype("Int64")


# ------------------------------------------------------------------------------------ leak checks
@dataclass(frozen=True)
class Leak:
    """One occurrence of a planted identifier in a written file."""

    path: str
    member: str | None
    identifier: str
    form: str
    offset: int


def identifier_forms(identifier: Any) -> list[str]:
    """The text forms of one identifier searched for by :func:`find_identifiers`.

    Dates are searched in ISO, Dutch and compact forms; other values as their text.

    >>> identifier_forms(pd.Timestamp("2021-03-04"))
    ['2021-03-04', '04-03-2021', '04/03/2021', '20210304', '4-3-2021']
    >>> identifier_forms(123456782)
    ['123456782']
    """
    if isinstance(identifier, (pd.Timestamp, np.datetime64)) or hasattr(identifier, "strftime"):
        t = pd.Timestamp(identifier)
        return [t.strftime("%Y-%m-%d"), t.strftime("%d-%m-%Y"), t.strftime("%d/%m/%Y"),
                t.strftime("%Y%m%d"), f"{t.day}-{t.month}-{t.year}"]
    return [str(identifier)]


def _files(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.is_file()))
        elif p.is_file():
            out.append(p)
        else:
            raise ArgumentError("paths", str(p), "existing files or folders")
    return out


def find_identifiers(paths: Iterable[str | Path], identifiers: Sequence[Any]) -> list[Leak]:
    """Every occurrence, byte for byte, of any identifier in the files under ``paths``.

    Each identifier is searched in its text forms (:func:`identifier_forms`), encoded as
    UTF-8 and UTF-16-LE.  Zip containers (``.xlsx``, ``.docx``, ``.zip``) are searched member
    by member after decompression.  Identifiers shorter than 4 characters are refused: they
    would match by chance and prove nothing.
    """
    forms: list[tuple[str, str, bytes]] = []
    for ident in identifiers:
        for form in identifier_forms(ident):
            if len(form) < 4:
                raise ArgumentError("identifiers", ident, "identifiers of at least 4 characters")
            for enc in ("utf-8", "utf-16-le"):
                forms.append((str(ident), form, form.encode(enc)))
    leaks: list[Leak] = []

    def scan(blob: bytes, path: Path, member: str | None) -> None:
        for ident, form, b in forms:
            pos = blob.find(b)
            if pos >= 0:
                leaks.append(Leak(str(path), member, ident, form, pos))

    for f in _files(paths):
        blob = f.read_bytes()
        scan(blob, f, None)
        if zipfile.is_zipfile(f):
            with zipfile.ZipFile(f) as z:
                for m in z.namelist():
                    scan(z.read(m), f, m)
    return leaks


def assert_no_identifiers(paths: Iterable[str | Path], identifiers: Sequence[Any]) -> None:
    """Raise ``AssertionError`` listing every planted identifier found in ``paths``.

    For tests and release checks: pass the output folder(s) and the identifiers planted in
    the input (ids, names, BSN-like numbers, exact dates).

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); _ = (d / "a.txt").write_text("client Jansen")
    >>> assert_no_identifiers([d], ["Pietersen"])
    >>> assert_no_identifiers([d], ["Jansen"])
    Traceback (most recent call last):
    ...
    AssertionError: 1 identifier occurrence(s) found: ...a.txt: 'Jansen' at byte 7
    """
    leaks = find_identifiers(paths, identifiers)
    if leaks:
        shown = "; ".join(
            f"{lk.path}{'!' + lk.member if lk.member else ''}: {lk.form!r} at byte {lk.offset}" for lk in leaks[:20]
        )
        raise AssertionError(f"{len(leaks)} identifier occurrence(s) found: {shown}")
