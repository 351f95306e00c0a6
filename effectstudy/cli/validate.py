"""``effectstudy validate -f PARAMS.yaml``: read and validate the input files of a run.

First the params file is checked (:func:`effectstudy.reports.preflight.preflight`): its keys,
types and paths, the instrument and scales, and the columns it names (``group``, ``covariates``,
``analysis.groups``) against the data read; with ``--notebook`` also that the notebook makes the
report the params are for.  Then it prints the row flow per table (used + excluded per reason = rows read), the problem counts per
rule and the first problems as ``file:line [row key] column: rule: found X, expected Y``.  Exit
code 0 when nothing is fatal, 1 when something is (the files cannot be used as they are), 2 for
an unusable params file (one line per problem: ``file:line: key: what is wrong``).

Neither the output nor the ``--problems`` CSV holds a client id, episode id, date or free text
(Privacy & integrity VAL-5): rows are named by file, line and their pseudonymous row key
(:mod:`effectstudy.core.rowkey`).  ``--show-identifiers`` keeps the values and puts the raw id
beside each row key, for the practice's own data manager on the practice's machine.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

HELP = "read and validate the input files named in a params file; print the row flow and problems"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "validate",
        help=HELP,
        description=(
            "Read the episodes, measurements and satisfaction files named under data: in the params "
            "file, check their structure, types, ranges and consistency, and account for every row "
            "(used, or excluded with a reason). Exit code 0: no fatal problem; 1: fatal problems "
            "(nothing can be analysed until they are fixed); 2: the params file itself is invalid or names "
            "a scale, group or covariate that the instrument or the data do not have."
        ),
    )
    p.add_argument("-f", "--file", required=True, metavar="PARAMS.yaml", help="the run's params file")
    p.add_argument("--notebook", metavar="NOTEBOOK", default=None,
                   help="also check that this notebook makes the report the params file is for "
                        "(effectstudy run does this check itself)")
    p.add_argument("--show", type=int, default=20, metavar="N",
                   help="how many individual problems to list (default 20; most severe first)")
    p.add_argument("--problems", metavar="CSV", default=None,
                   help="also write every problem to this CSV file "
                        "(file,row,row_key,column,value,rule,expected,severity)")
    p.add_argument("--show-identifiers", action="store_true",
                   help="LOCAL USE ONLY, for the practice's own data manager: show the values as found "
                        "(client ids, episode ids, dates, free text) and the raw id beside each row key, in "
                        "the output and the --problems CSV (column identifier). Without it rows are named by "
                        "file, line and row key only. Never share or upload what this option prints or writes.")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # the reading stack loads only for this command
    from effectstudy.reports.preflight import preflight

    show = bool(getattr(args, "show_identifiers", False))
    checked = preflight(args.file, notebook=getattr(args, "notebook", None), show_identifiers=show)
    rep = checked.data.report
    with pd.option_context("display.width", 140, "display.max_rows", 200, "display.max_colwidth", 60):
        status = "FATAL" if rep.fatal else "problems in the params file (below)" if checked.problems else "ok"
        print(f"Validation of {args.file}: {status}")
        if show:
            print("IDENTIFIERS SHOWN (--show-identifiers): for local use by the data manager only; "
                  "do not share this output")
        print()
        print("Row flow (per table: used + excluded = rows read)")
        print(rep.flow().to_string(index=False))
        for table, n in rep.rows_read.items():
            print(f"  {table}: {n} rows read from {rep.files[table]}")
        print()
        if len(rep.problems):
            print("Problems per rule")
            print(rep.summary().to_string(index=False))
            print()
            message = rep.message(args.show, severities=("fatal", "error", "warning"))
            print(message.rstrip(":") if args.show == 0 else message)
        else:
            print("No problems found.")
    if args.problems:
        rep.problems.to_csv(args.problems, index=False)
        print(f"\nAll problems written to {args.problems}")
    if checked.problems:
        print(f"\neffectstudy validate: error: the params file names what the data or the instrument do not have "
              f"({len(checked.problems)}):", file=sys.stderr)
        print("\n".join(checked.problems), file=sys.stderr)
        return 2
    return 1 if rep.fatal else 0
