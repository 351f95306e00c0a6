"""``effectstudy install-kernel``: make the Jupyter kernel ``effectstudy`` for this environment.

Report notebooks declare the kernel ``effectstudy``; it is installed *inside* the current
Python environment (``ipykernel install --sys-prefix``), so it keeps working when the
environment is rebuilt and does not touch other projects.
"""

from __future__ import annotations

import argparse
import sys

HELP = "install the Jupyter kernel 'effectstudy' into this Python environment (for notebooks and effectstudy run)"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "install-kernel",
        help=HELP,
        description=(
            "Install the Jupyter kernel that report notebooks use, into this Python environment "
            "(the same as `python -m ipykernel install --sys-prefix --name effectstudy`). Run it "
            "once after installing effectstudy; JupyterLab then offers 'Python (effectstudy)' and "
            "`effectstudy run` can execute notebooks."
        ),
    )
    p.add_argument("--name", default="effectstudy", help="kernel name (default effectstudy; notebooks refer to it)")
    p.add_argument("--display-name", default="Python (effectstudy)", help="name shown in JupyterLab")
    p.add_argument("--prefix", default=None, metavar="DIR",
                   help="install under DIR/share/jupyter/kernels instead of this environment (sys.prefix)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ipykernel.kernelspec import install

    path = install(kernel_name=args.name, display_name=args.display_name,
                   prefix=args.prefix if args.prefix else sys.prefix)
    print(f"installed kernel {args.name!r} in {path}")
    return 0
