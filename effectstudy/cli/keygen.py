"""``effectstudy keygen PATH``: create a 256-bit pseudonymisation key readable by its owner only.

The key is written as 64 hex characters to a new file created with permissions 0600
(``os.open(..., O_CREAT | O_EXCL, 0o600)``, so it is never readable by others, not even
briefly).  An existing file is never overwritten.  A path inside the effectstudy project
or any git work tree is refused (SEC-P2).  Only the key's fingerprint is printed.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from effectstudy.privacy.pseudonyms import KeyError_, PseudonymKey, check_key_location, generate_key

__all__ = ["write_key", "register"]


def write_key(path: str | Path) -> PseudonymKey:
    """Create a new key file at ``path`` (mode 0600) and return the key.

    Raises
    ------
    KeyError_
        The file exists, or the path is inside the project or a git work tree.
    """
    p = check_key_location(path)
    if p.exists():
        raise KeyError_(f"key file {str(p)!r} already exists; a key is never overwritten (choose a new name per release)")
    p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = generate_key()
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, secret.hex().encode("ascii") + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(p, 0o600)  # in case the umask removed owner bits
    return PseudonymKey(secret, str(p))


def _cmd(args: argparse.Namespace) -> int:
    key = write_key(args.path)
    print(f"wrote a 256-bit key to {key.source} (permissions 0600); fingerprint {key.fingerprint}")
    print("keep it outside the project and the data; use a new key for every release")
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("keygen", help="create a pseudonymisation key file (256 bits, owner-only)",
                              description="Write a new secret key (32 random bytes as hex) for the keyed pseudonyms "
                                          "(HMAC-SHA256) of one research release, with permissions 0600. Refused "
                                          "inside the project or the data folders; use a new key per release so "
                                          "releases cannot be joined.")
    p.add_argument("path", help="new key file, outside the project and the data folders")
    p.set_defaults(func=_cmd)
