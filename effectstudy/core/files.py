"""Files: SHA-256 hashes, atomic writes and the project root.

:func:`sha256_file` is the one hash behind manifests, provenance, releases and the study store;
:func:`atomic_write_bytes` the one safe write (reports, the audit log, the store manifest);
:func:`find_repo_root` the one search for the project folder (reports, provenance, the CLI): the
repository (``pyproject.toml``) or a folder made by ``effectstudy init`` (``effectstudy.toml``);
:func:`display_path` the one way a path is shown in messages and CLI output.

>>> import tempfile, pathlib
>>> f = pathlib.Path(tempfile.mkdtemp()) / "x.txt"; _ = f.write_bytes(b"abc")
>>> sha256_file(f)[:16]
'ba7816bf8f01cfea'
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

__all__ = ["PROJECT_MARKERS", "PROJECT_FILE", "atomic_write_bytes", "display_path", "find_repo_root",
           "sha256_file"]

#: the file ``effectstudy init`` writes at the top of a project folder
PROJECT_FILE = "effectstudy.toml"
#: a folder holding one of these is a project folder (reports/ goes beside it)
PROJECT_MARKERS = ("pyproject.toml", PROJECT_FILE)


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes, read in ``chunk``-byte blocks (1 MiB), so any size fits in memory."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()

def atomic_write_bytes(path: str | Path, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder, fsync and ``os.replace``.

    The parent folder is fsynced afterwards so the rename survives a power cut.  ``mode``
    sets the permissions of the new file (e.g. ``0o444``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)

def find_repo_root(start: str | Path | None = None) -> Path:
    """The nearest folder at or above ``start`` holding ``pyproject.toml`` or ``effectstudy.toml``.

    When there is none above ``start`` (an output folder in /tmp), the same search starts
    from the current directory; the current directory itself is the last resort.

    >>> find_repo_root("/").is_dir()
    True
    """
    cwd = Path.cwd().resolve()
    here = Path(start).resolve() if start is not None else cwd
    if here.is_file():
        here = here.parent
    for base in (here, cwd):
        for folder in (base, *base.parents):
            if any((folder / marker).is_file() for marker in PROJECT_MARKERS):
                return folder
    return cwd


def display_path(path: str | Path) -> str:
    """``path`` as shown to the user: relative to the working directory when it lies below it,
    otherwise as given.

    >>> display_path(Path.cwd() / "reports" / "x.html") == str(Path("reports", "x.html"))
    True
    """
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel
