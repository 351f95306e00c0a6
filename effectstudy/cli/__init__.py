"""The ``effectstudy`` command line.

Each sub-command lives in its own module in this package and defines
``register(subparsers)``, which adds its parser and sets ``func`` (taking the parsed
arguments, returning an exit code).  Modules are discovered, so adding a command
means adding a module.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from effectstudy.core.errors import EffectstudyError


def build_parser() -> argparse.ArgumentParser:
    from effectstudy import __version__

    parser = argparse.ArgumentParser(
        prog="effectstudy",
        description="Effect studies on ROM data: validate exports, run reports, export research data.",
    )
    parser.add_argument("--version", action="version", version=f"effectstudy {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``effectstudy`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except EffectstudyError as exc:
        print(f"effectstudy {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
