"""``effectstudy run NOTEBOOK -f PARAMS.yaml``: make a report from a notebook and a params file.

Runs the notebook with papermill on the ``effectstudy`` kernel, writes the executed notebook,
an HTML report without code, figures, tables (CSV and Excel), ``results.json`` and
``provenance.json`` to ``reports/<notebook>/<params>/`` and, with ``--pdf``, a PDF printed by
a locally installed Chromium.  Prints the paths, the HTML report first.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from effectstudy.core.errors import ParamsError
from effectstudy.core.files import display_path

HELP = "make a report: run a notebook on a params file, write HTML (and PDF), tables and results.json"

DESCRIPTION = """\
Make a report from a report notebook and a params file.

The notebook is run from top to bottom with the settings in PARAMS.yaml (the data files,
the instruments, the report year ...). Nothing in the notebook needs to be edited.
The results go to the folder reports/<notebook name>/<params file name>/ in the project:

  <notebook>.html     the report, without code (open it in any browser; it loads nothing
                      from the internet, so it can be published or mailed as one file)
  <notebook>.pdf      the same as PDF, with --pdf (needs Chromium on this computer), with
                      page numbers, the title and run date on every page and a table of contents
  <notebook>.ipynb    the executed notebook (with code, for checking how it was made)
  results.json        every number the report shows (read it in Python, R or a text editor)
  tables/*.csv        each table; tables.xlsx holds them all, one sheet per table
  figures/*.png       each figure
  provenance.json     which files (with SHA-256 checksums), settings and versions were used

A rerun into the same folder first deletes what the earlier run made. A PDF is never left
behind stale: when the folder holds a PDF of an earlier run and --pdf is not given, a new PDF
replaces it if Chromium is installed, else the old PDF is removed; the run says which.

When a step of the notebook fails, the message names the section (the heading above the
failing cell) and the error; the partially run notebook is kept so you can see the details.
"""

EPILOG = """\
examples:
  effectstudy run notebooks/effect_study.ipynb -f params/demo.yaml
  effectstudy run notebooks/effect_study.ipynb -f params/2025.yaml --pdf
  effectstudy run notebooks/effect_study.ipynb -f params/2025.yaml -p language en
  effectstudy run notebooks/effect_study.ipynb -f params/2025.yaml -p data.episodes.sep ";"

-p values are read like values in the params file: 12 is a number, true/false are yes/no
values, and 0101 or no stay text (put text in quotes when in doubt: -p practice "'0101'").
"""


def parse_value(text: str) -> Any:
    """A ``-p`` value with the params file's strict YAML rules (``0101`` and ``no`` stay text).

    >>> parse_value("0101"), parse_value("no"), parse_value("12"), parse_value("true"), parse_value("1.5")
    ('0101', 'no', 12, True, 1.5)
    >>> parse_value("[1, 2]"), parse_value("")
    ([1, 2], '')
    """
    from effectstudy.core.params import parse_yaml

    if text == "":
        return ""
    return parse_yaml(text, source=f"-p value {text!r}")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "run",
        help=HELP,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("notebook", metavar="NOTEBOOK", help="the report notebook (.ipynb), e.g. notebooks/effect_study.ipynb")
    p.add_argument("-f", "--file", required=True, metavar="PARAMS.yaml",
                   help="the params file with the settings of this run, e.g. params/demo.yaml")
    p.add_argument("-p", "--param", nargs=2, action="append", default=[], metavar=("KEY", "VALUE"),
                   help="change one setting of the params file for this run only; KEY with dots "
                        "for nested settings (e.g. -p data.episodes.sep ';'); may be repeated")
    p.add_argument("-o", "--output", metavar="DIR", default=None,
                   help="write the results to this folder instead of reports/<notebook>/<params>/")
    p.add_argument("--pdf", action="store_true",
                   help="also make a PDF (needs Chromium installed on this computer); a PDF of an "
                        "earlier run in the folder is replaced even without --pdf when Chromium is "
                        "installed, else removed")
    p.add_argument("--no-progress", action="store_true", help="do not show the progress bar while the cells run")
    p.add_argument("--log-output", action="store_true", help="print what the notebook cells print (useful in CI logs)")
    p.add_argument("--timeout", type=float, default=600, metavar="SECONDS",
                   help="stop when a single cell takes longer than this (default 600)")
    p.add_argument("--kernel", default="effectstudy", metavar="NAME",
                   help="the Jupyter kernel to run the notebook with (default effectstudy; "
                        "install it with `effectstudy install-kernel`)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from effectstudy.reports.runner import run_notebook

    if args.log_output:  # papermill logs cell output through logging
        import logging

        logging.basicConfig(level=logging.INFO, format="%(message)s")
    overrides: dict[str, Any] = {}
    for key, value in args.param:
        if not key or key.startswith(".") or key.endswith(".") or ".." in key:
            raise ParamsError(f"-p {key!r}: expected a params key such as language or data.episodes.sep")
        overrides[key] = parse_value(value)
    res = run_notebook(
        args.notebook,
        args.file,
        overrides=overrides,
        output_dir=args.output,
        pdf=args.pdf,
        progress=not args.no_progress,
        timeout=args.timeout,
        kernel=args.kernel,
        log_output=args.log_output,
    )
    width = 16
    rows = [("report (HTML)", res.html)]
    if res.pdf is not None:
        rows.append(("report (PDF)", res.pdf))
    rows += [("notebook", res.notebook), ("results", res.results_json)]
    if res.provenance_json is not None:
        rows.append(("provenance", res.provenance_json))
    rows.append(("folder", res.output_dir))
    for label, path in rows:
        print(f"{label:<{width}}{display_path(path)}", file=sys.stdout)
    for note in res.notes:
        print(f"{'note':<{width}}{note}", file=sys.stdout)
    return 0
