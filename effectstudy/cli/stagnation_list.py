"""``effectstudy stagnation-list -f PARAMS.yaml``: open episodes flagged for peer consultation."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "list the open episodes that are stagnating (for the weekly peer consultation), as CSV and HTML"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "stagnation-list",
        help=HELP,
        description=(
            "Apply the practice's stagnation rules (stagnation_list.rules in the params file; window and "
            "criterion from analysis.stagnation) to the episodes that are still open on the export date, and "
            "write the flagged ones with the measurement that triggered the flag to stagnation_list.csv and "
            "stagnation_list.html. Episodes are shown by their episode key (a keyed hash of the episode id, "
            "the same in every run of this project), never by client id or episode id; the therapist only "
            "when stagnation_list.show_therapist is true."
        ),
    )
    p.add_argument("-f", "--file", required=True, metavar="PARAMS.yaml", help="the run's params file")
    p.add_argument("--output", metavar="DIR", default=None,
                   help="output folder (default: reports/stagnation_list/<params file name>/)")
    p.add_argument("--show-identifiers", action="store_true",
                   help="LOCAL USE ONLY, for the practice's own data manager: add the episode id beside the "
                        "episode key in the list. Never share such a list or use it in the peer consultation.")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import warnings

    from effectstudy.core.errors import DataQualityWarning
    from effectstudy.core.files import find_repo_root
    from effectstudy.reports.stagnation_list import write_stagnation_list
    from effectstudy.study import Study

    study = Study.from_params(args.file)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # every episode is in the result, with its status
        table = study.stagnation_list(show_identifiers=bool(getattr(args, "show_identifiers", False)))
    folder = Path(args.output) if args.output else (
        find_repo_root(Path(args.file).resolve().parent) / "reports" / "stagnation_list" / Path(args.file).stem)
    csv, page = write_stagnation_list(table, folder, lang=study.lang)
    n_open = int(study.episodes["end_date"].isna().sum())
    if "episode_id" in table:
        print("IDENTIFIERS SHOWN (--show-identifiers): episode ids are in this list; for local use by the "
              "data manager only, do not share it")
    print(f"{table['episode_key'].nunique()} of {n_open} open episodes flagged "
          f"({', '.join(f'{r}: {n}' for r, n in table['rule'].value_counts().sort_index().items()) or 'none'})")
    print(f"list (HTML)  {page}")
    print(f"list (CSV)   {csv}")
    return 0
