"""Append-only audit log of imports, exports and removals, chained by SHA-256 so edits show.

One JSON object per line (JSON Lines).  Each entry holds ``seq``, ``time`` (UTC),
``user``, ``action``, ``details`` and ``prev`` (the hash of the previous entry, 64 zeros
for the first); ``hash`` is the SHA-256 of the entry's canonical JSON without ``hash``:

.. math::  h_i = \\mathrm{SHA256}(\\mathrm{json}(e_i \\setminus \\{hash\\})), \\quad e_i.prev = h_{i-1}

Editing, inserting or deleting an entry breaks the chain at that point; :func:`verify`
finds the first break.  Cutting entries off the *end* leaves a valid shorter chain, so the
study store also records the latest hash (the "head") and compares it (see
:meth:`effectstudy.privacy.store.StudyStore.verify`).  The pattern follows the project's integrity
reference (INT-7: append-only JSON lines with the hash of the previous entry; NEN 7513:
which event, when, who).  The log holds **no client-identifying data**: callers pass counts,
hashes and file names only, and :func:`append` refuses detail keys that name identifiers.

Every append rewrites the file through a temporary file in the same folder, ``fsync`` and
``os.replace``, so a killed process leaves the old or the new complete log (INT-3).

>>> import tempfile, pathlib
>>> log = pathlib.Path(tempfile.mkdtemp()) / "audit.jsonl"
>>> e = append(log, "import", {"sha256": "ab" * 32, "rows_added": 10})
>>> e["seq"], e["prev"] == "0" * 64
(1, True)
>>> _ = append(log, "export", {"files": 3})
>>> verify(log).ok
True
"""

from __future__ import annotations

import getpass
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from effectstudy.core.errors import ArgumentError
from effectstudy.core.files import atomic_write_bytes
from effectstudy.core.jsonable import jsonable

__all__ = ["GENESIS", "append", "read", "verify", "head", "LogCheck"]

GENESIS = "0" * 64
_FORBIDDEN_KEYS = {"client_id", "episode_id", "name", "naam", "bsn", "birth_date", "date_of_birth", "address"}




def _canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _entry_hash(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(_canonical(body)).hexdigest()


def _check_details(details: Any, where: str = "details") -> None:
    if isinstance(details, dict):
        for k, v in details.items():
            if str(k).lower() in _FORBIDDEN_KEYS:
                raise ArgumentError(where, str(k), "no client-identifying keys in the audit log (use counts or pseudonyms)")
            _check_details(v, f"{where}.{k}")
    elif isinstance(details, list):
        for v in details:
            _check_details(v, where)


def read(path: str | Path) -> list[dict[str, Any]]:
    """All entries of the log (an empty list when the file does not exist)."""
    path = Path(path)
    if not path.exists():
        return []
    out = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            out.append({"_unparsable_line": i})
    return out


def head(path: str | Path) -> str:
    """Hash of the last entry, or :data:`GENESIS` for an empty log."""
    entries = read(path)
    return str(entries[-1].get("hash", "")) if entries else GENESIS


def append(path: str | Path, action: str, details: dict[str, Any] | None = None, *, user: str | None = None) -> dict[str, Any]:
    """Append one entry and return it.

    Parameters
    ----------
    path : path
        The log file (created when missing).
    action : str
        ``import``, ``export``, ``forget``, ``verify``, ``keygen`` ...
    details : dict
        What was done: file names, SHA-256 hashes, counts.  Keys naming identifiers
        (``client_id``, ``bsn``, ``name`` ...) are refused.
    user : str, optional
        Who did it; default the operating-system user.

    Raises
    ------
    ArgumentError
        Empty action or identifying keys in ``details``; or the existing log fails
        :func:`verify` (nothing is appended to a broken chain).
    """
    if not isinstance(action, str) or not action:
        raise ArgumentError("action", action, "a non-empty text such as 'import' or 'export'")
    details = jsonable(details or {})
    _check_details(details)
    path = Path(path)
    old = path.read_bytes() if path.exists() else b""
    check = verify(path)
    if not check.ok:
        raise ArgumentError("audit log", str(path), f"an intact hash chain before appending ({check.problems[0]})")
    entries = read(path)
    prev = entries[-1]["hash"] if entries else GENESIS
    entry = {
        "seq": len(entries) + 1,
        "time": datetime.now(UTC).isoformat(timespec="microseconds"),
        "user": user or getpass.getuser(),
        "action": action,
        "details": details,
        "prev": prev,
    }
    entry["hash"] = _entry_hash(entry)
    if old and not old.endswith(b"\n"):
        old += b"\n"
    atomic_write_bytes(path, old + _canonical(entry) + b"\n")
    return entry


@dataclass(frozen=True)
class LogCheck:
    """Result of :func:`verify`: ``ok``, number of entries, and the problems found (text)."""

    ok: bool
    entries: int
    head: str
    problems: list[str] = field(default_factory=list)
    #: entries after the recorded head: written by a process that ended before the store
    #: recorded them (the next write to the store notes them in a ``log_recovered`` entry)
    after_head: int = 0


def verify(path: str | Path, expected_head: str | None = None) -> LogCheck:
    """Check the hash chain; report the first entry where it breaks.

    Parameters
    ----------
    expected_head : str, optional
        The hash of the last entry as recorded elsewhere (the study store); a log cut short
        at the end no longer ends in this hash.
    """
    entries = read(path)
    problems: list[str] = []
    prev = GENESIS
    for i, e in enumerate(entries, start=1):
        if "_unparsable_line" in e:
            problems.append(f"{path}: entry {i}: line {e['_unparsable_line']} is not valid JSON")
            break
        if e.get("prev") != prev:
            problems.append(f"{path}: entry {i}: 'prev' does not match the previous entry's hash (entry removed or inserted)")
            break
        if e.get("seq") != i:
            problems.append(f"{path}: entry {i}: sequence number {e.get('seq')!r}, expected {i}")
            break
        if _entry_hash(e) != e.get("hash"):
            problems.append(f"{path}: entry {i}: content does not match its hash (entry edited)")
            break
        prev = e["hash"]
    last = entries[-1].get("hash", "") if entries else GENESIS
    after_head = 0
    if not problems and expected_head is not None and last != expected_head:
        earlier = [e.get("hash") for e in entries[:-1]]
        if expected_head in earlier:
            # a valid chain continues past the recorded head: a process was killed between
            # writing its entry and recording the head (not a cut: the head entry is there)
            after_head = len(entries) - 1 - earlier.index(expected_head)
        else:
            problems.append(
                f"{path}: the last entry's hash {str(last)[:12]}... differs from the recorded head "
                f"{expected_head[:12]}... (entries cut off or log replaced)"
            )
    return LogCheck(ok=not problems, entries=len(entries), head=str(last), problems=problems,
                    after_head=after_head)
