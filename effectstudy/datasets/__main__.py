"""Command line: write a synthetic practice as a Dutch CSV export.

    python -m effectstudy.datasets --out data/example --n-episodes 400 --seed 2025

writes ``episodes.csv``, ``measurements.csv``, ``satisfaction.csv``, ``manifest.json`` and
``README.md`` into ``--out``.  Large sizes are generated and written chunk by chunk.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from effectstudy.core.errors import EffectstudyError
from effectstudy.datasets.export import write_export
from effectstudy.datasets.manifest import MANIFEST, write_manifest
from effectstudy.datasets.practice import iter_chunks
from effectstudy.datasets.readme import Counts, render_readme

DEFAULTS = {"start_year": 2020, "years": 5}


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m effectstudy.datasets",
        description="Generate a seeded synthetic practice (episodes, SCL-90 administrations, "
        "satisfaction forms) and write it as a Dutch CSV export with a README and a manifest.",
    )
    ap.add_argument("--out", required=True, help="output folder (created; files overwritten)")
    ap.add_argument("--n-episodes", type=int, required=True, help="number of episodes")
    ap.add_argument("--seed", type=int, required=True, help="random seed")
    ap.add_argument("--start-year", type=int, default=DEFAULTS["start_year"],
                    help="first year episodes start (default %(default)s)")
    ap.add_argument("--years", type=int, default=DEFAULTS["years"],
                    help="number of years episodes start in (default %(default)s)")
    ap.add_argument("--chunk-size", type=int, default=65536,
                    help="episodes per chunk; changes memory use, never the data "
                    "(default %(default)s)")
    ap.add_argument("--quiet", action="store_true", help="print nothing on success")
    return ap


def command_line(args: argparse.Namespace) -> str:
    """The canonical command that regenerates these files (recorded in the manifest)."""
    cmd = f"python -m effectstudy.datasets --out {args.out} --n-episodes {args.n_episodes} --seed {args.seed}"
    if args.start_year != DEFAULTS["start_year"]:
        cmd += f" --start-year {args.start_year}"
    if args.years != DEFAULTS["years"]:
        cmd += f" --years {args.years}"
    return cmd


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    t0 = time.perf_counter()
    out = Path(args.out)
    counts = Counts()

    def counted():
        for chunk in iter_chunks(args.n_episodes, seed=args.seed, start_year=args.start_year,
                                 years=args.years, chunk_size=args.chunk_size):
            counts.update(chunk)
            yield chunk

    try:
        info = write_export(out, n_episodes=args.n_episodes, seed=args.seed, chunks=counted())
    except EffectstudyError as exc:
        print(f"python -m effectstudy.datasets: error: {exc}", file=sys.stderr)
        return 2
    command = command_line(args)
    write_manifest(out, info, command)
    (out / "README.md").write_text(render_readme(info, counts, command), encoding="utf-8")
    if not args.quiet:
        rows = ", ".join(f"{k} {v}" for k, v in info["rows"].items())
        print(f"wrote {out}/ ({rows}; {MANIFEST}, README.md) in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
