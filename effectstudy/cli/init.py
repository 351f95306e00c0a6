"""``effectstudy init FOLDER``: a working project folder for a practice or a student.

The folder gets what the package ships, copied byte for byte, so the reports run as they do
in the repository::

    FOLDER/
      effectstudy.toml      marks the project folder: reports/ is made beside it
      README.md             what is where and the next commands
      notebooks/            the report notebooks (effect study, yearly summary, student analysis, explore)
      params/               demo.yaml (the effect study on the example data, runs as is),
                            demo-yearly-2023/2024.yaml, student-example.yaml, and
                            effect-study-2025.yaml (the template for a real export in data/raw/)
      data/README.md        where real exports go; they never leave the practice's machine
      data/example/         the synthetic example practice (no real clients)
      data/raw/             empty: the place for real exports
      .gitignore            keeps data/raw/, reports/, key files and .effectstudy/ (the row-key
                            secret, made on first use) out of git

Params paths are relative to the params file (``../data/example/...``) and the notebooks'
default ``params_file`` is ``../params/<name>.yaml`` relative to the notebook, so both work
from any current directory.

An existing folder must be empty: there is no ``--force``.  A project folder holds the
practice's own params and real exports, and overwriting them cannot be undone; to start
again, init a new folder.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from effectstudy import __version__
from effectstudy.core.errors import FolderError
from effectstudy.core.files import PROJECT_FILE, display_path
from effectstudy.core.shipped import shipped_folder

__all__ = ["NOTEBOOKS", "PARAMS", "init_project", "register"]

HELP = "create a project folder: the report notebooks, params templates, data/ with the example data"

#: the notebooks copied into a project
NOTEBOOKS = ("effect_study.ipynb", "yearly_summary.ipynb", "student_analysis.ipynb", "explore.ipynb")
#: the params files copied into a project (the ci*.yaml test runs and the export example stay out)
PARAMS = ("demo.yaml", "demo-yearly-2023.yaml", "demo-yearly-2024.yaml", "student-example.yaml",
          "effect-study-2025.yaml")

_PROJECT_FILE_TEXT = """\
# This folder is an effectstudy project, made by `effectstudy init` (effectstudy {version}).
# Reports are written to reports/ beside this file, whatever the current directory.
"""

_GITIGNORE = """\
# real exports and everything made from them stay on this machine
data/raw/
reports/
*.key
# the secret behind the row keys in validation messages (effectstudy.core.rowkey)
.effectstudy/
*.duckdb
*.duckdb.wal
.ipynb_checkpoints/
"""

_DATA_README = """\
# data/

| folder | what |
|---|---|
| `example/` | a small **synthetic** practice (400 episodes, seed 2025; no real clients), with its own README (columns, planted effects) and `manifest.json` (SHA-256 of each file) |
| `raw/` | the practice's **real** ROM exports, e.g. `raw/2026-01-15/trajecten.csv` |

Real exports identify clients, even without names. They stay in `raw/` on the practice's own
machine: they are never e-mailed, uploaded, put in git (`.gitignore` keeps `raw/` and
`reports/` out) or copied to a laptop or USB stick. A pseudonymised research release is made
with `effectstudy export`; its key file belongs outside this folder.
"""

_README = """\
# {name}

An effectstudy project folder (made by `effectstudy init`, effectstudy {version}).

| folder | what |
|---|---|
| `notebooks/` | the report notebooks; no logic of their own |
| `params/` | one YAML file per run; paths in it are relative to the params file |
| `data/` | `example/` (synthetic, no real clients) and `raw/` for real exports (see `data/README.md`) |
| `reports/` | made by the runs: HTML report, `results.json`, tables, figures, provenance |

Next commands, from this folder:

```
effectstudy install-kernel                  # once per Python environment: the notebooks' kernel
effectstudy validate -f params/demo.yaml    # read and check the example export
effectstudy run notebooks/effect_study.ipynb -f params/demo.yaml
effectstudy run notebooks/student_analysis.ipynb -f params/student-example.yaml
```

The report is then in `reports/effect_study/demo/effect_study.html`.

Your own export: put its files in `data/raw/`, copy `params/effect-study-2025.yaml`, fill in the
file names and column names, and run `effectstudy validate -f params/<your file>.yaml` until it
reports no fatal problem. Students: copy `params/student-example.yaml`, change `question`,
`outcome`, `group` and `covariates`, and run the student notebook on it (or open
`notebooks/student_analysis.ipynb` in JupyterLab: `jupyter lab`).
"""


def init_project(folder: str | Path) -> list[Path]:
    """Create the project folder ``folder`` (see the module docstring); returns the files made.

    Raises
    ------
    FolderError
        ``folder`` is a file, or an existing folder that is not empty.
    """
    root = Path(folder)
    if root.exists() and not root.is_dir():
        raise FolderError(f"{str(root)!r} is a file, not a folder; give a new or empty folder")
    if root.is_dir() and any(root.iterdir()):
        raise FolderError(
            f"folder {str(root)!r} is not empty; effectstudy init never overwrites a project "
            "(its params and data/raw/ may hold work and real exports): give a new or empty folder"
        )
    made: list[Path] = []

    def write(path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        made.append(path)

    def copy(source: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        made.append(target)

    for name in NOTEBOOKS:
        copy(shipped_folder("notebooks") / name, root / "notebooks" / name)
    for name in PARAMS:
        copy(shipped_folder("params") / name, root / "params" / name)
    example = shipped_folder("example")
    for source in sorted(p for p in example.iterdir() if p.is_file()):
        copy(source, root / "data" / "example" / source.name)
    (root / "data" / "raw").mkdir(parents=True)
    write(root / "data" / "README.md", _DATA_README)
    write(root / ".gitignore", _GITIGNORE)
    write(root / PROJECT_FILE, _PROJECT_FILE_TEXT.format(version=__version__))
    write(root / "README.md", _README.format(name=root.resolve().name, version=__version__))
    return made


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "init",
        help=HELP,
        description=(
            "Create FOLDER as an effectstudy project: notebooks/ (the report notebooks), params/ "
            "(the effect study on the example data, which runs as is, the yearly summaries, the "
            "student example and a template for a real export in data/raw/), data/ (the synthetic "
            "example and a README on where real exports go) and a README with the next commands. "
            "FOLDER must be new or empty: nothing is ever overwritten."
        ),
    )
    p.add_argument("folder", metavar="FOLDER", help="the project folder to create (new or empty)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    made = init_project(args.folder)
    shown = display_path(Path(args.folder).resolve())
    print(f"created {shown}/ ({len(made)} files): notebooks/, params/, data/example/, data/raw/")
    print("next, from that folder (see its README.md):")
    print(f"  cd {shown}")
    print("  effectstudy install-kernel          # once per Python environment")
    print("  effectstudy run notebooks/effect_study.ipynb -f params/demo.yaml")
    return 0
