"""SHA-256 of files: the one function behind manifests, provenance, releases and the study store.

>>> import tempfile, pathlib
>>> f = pathlib.Path(tempfile.mkdtemp()) / "x.txt"; _ = f.write_bytes(b"abc")
>>> sha256_file(f)[:16]
'ba7816bf8f01cfea'
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["sha256_file"]


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes, read in ``chunk``-byte blocks (1 MiB), so any size fits in memory."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()
