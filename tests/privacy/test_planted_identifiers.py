"""Planted identifiers reach no output file of any command (issue 15, "Done means").

The shipped example data (``data/example/``) get names, BSNs (valid 11-proef), phone numbers,
e-mail addresses and a street address in every id and free-text column (client and episode
ids replaced whole, diagnosis, treatment, therapist, end reason, care type, sex and occasion
with identifiers appended, for a whole category and for single rows, and an extra column
``opmerking`` the package does not know; three rows refer to an episode or client that does
not match, so that validation has ids to describe; every open episode's id is an identifier):
see :mod:`tests.privacy.planted`.  Then, on a project folder in a temporary directory, the
commands a practice runs:

- ``effectstudy validate --problems`` (the problems CSV and the printed problems),
- ``effectstudy run`` of the effect study (``params/demo.yaml``),
- ``effectstudy run --pdf`` of the public yearly summary (``params/demo-yearly-2024.yaml``,
  without the history of earlier years); without Chromium the PDF is left out (and its test
  skipped),
- ``effectstudy stagnation-list`` (``params/demo.yaml``),
- ``effectstudy export`` of ``params/export-example.yaml`` (key in the environment).

Every file each command wrote, and what it printed, is searched (:func:`tests.privacy.planted.scan`:
text, every member of an xlsx, ``.sav`` values and labels, PDF text, PNG text chunks, base64
images inside HTML and notebooks): 0 hits.  Privacy reference SEC-P5 (no identifier reaches
any research output), SEC-P10 (motivated intruder), VAL-5 (no direct identifier in a message),
SEC-D1..D7 (only published values leave the practice).

The commands run in this process (``effectstudy.cli.main``), the notebooks through papermill
in a kernel of their own: about 40 s of CPU, 70-90 s on the shared 2-core machine (two notebook
runs, one PDF), hence ``slow``; the planting and the search are tested by fast tests below.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from effectstudy.cli import main
from effectstudy.reports.runner import find_chromium
from tests.privacy.planted import (
    BSN,
    BSN_2,
    CATEGORY_PLANTS,
    CLIENT_IDS,
    EPISODE_FREE_TEXT,
    EPISODE_IDS,
    NAME,
    NEEDLES,
    UNKNOWN_EPISODE,
    Scan,
    eleven_proof,
    plant,
    report,
    scan,
    scan_file,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "data" / "example"
CHROMIUM = find_chromium()


@dataclass(frozen=True)
class Command:
    """One command of the run: its exit code, the folder it wrote and its printed output."""

    name: str
    argv: list[str]
    rc: int
    output: Path
    console: Path


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(EXAMPLE / name, sep=";", dtype=str, keep_default_na=False)


def _params(project: Path) -> None:
    """The demo, yearly and export params files, reading the planted data, writing under out/."""
    (project / "params").mkdir()
    for src, dst in (("demo.yaml", "demo.yaml"), ("demo-yearly-2024.yaml", "yearly.yaml"),
                     ("export-example.yaml", "export.yaml")):
        lines, skip = [], False
        for line in (ROOT / "params" / src).read_text(encoding="utf-8").splitlines():
            if line.startswith("history:"):  # no earlier year: the trend is not what is tested
                skip = True
                continue
            if skip and line.startswith("  - "):
                continue
            skip = False
            line = line.replace("../data/example/", "../data/")
            line = line.replace("path: ../reports/releases", "path: ../out/export")
            line = line.replace("path: ../data/study.duckdb", "path: ../out/store/study.duckdb")
            lines.append(line)
        (project / "params" / dst).write_text("\n".join(lines) + "\n", encoding="utf-8")


@contextlib.contextmanager
def _captured(path: Path):
    """Everything printed (Python's streams and file descriptors 1 and 2, which the notebook
    kernel and Chromium write to) goes to ``path``."""
    with open(path, "w+", encoding="utf-8") as f:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
        try:
            with contextlib.redirect_stdout(f), contextlib.redirect_stderr(f):
                yield f
        finally:
            f.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _run(name: str, argv: list[str], output: Path, console: Path) -> Command:
    with _captured(console) as f, warnings.catch_warnings():
        # as on the command line: warnings are printed (and searched), not raised
        warnings.simplefilter("default")
        try:
            rc = main(argv)
        except Exception:  # noqa: BLE001 - what the user would see: the traceback is searched too
            traceback.print_exc(file=f)
            rc = 1
    return Command(name, argv, rc, output, console)


@pytest.fixture(scope="module")
def planted_project(tmp_path_factory) -> Path:
    """A project folder: the planted example data in data/, the params files in params/."""
    project = tmp_path_factory.mktemp("planted")
    (project / "effectstudy.toml").write_text("")  # marks the project folder
    (project / "data").mkdir()
    eps, meas, sat = plant(_read("episodes.csv"), _read("measurements.csv"), _read("satisfaction.csv"))
    for df, name in ((eps, "episodes.csv"), (meas, "measurements.csv"), (sat, "satisfaction.csv")):
        df.to_csv(project / "data" / name, sep=";", index=False)
    _params(project)
    return project


@pytest.fixture(scope="module")
def release_key() -> str:
    """The export's key (hex), as the practice puts it in the environment."""
    return secrets.token_hex(32)


@pytest.fixture(scope="module")
def commands(planted_project, release_key) -> dict[str, Command]:
    """Every command run once on the planted project; outputs under out/<command>/, what each
    printed in out/console/<command>.txt."""
    p = planted_project
    out, params, nb = p / "out", p / "params", ROOT / "notebooks"
    (out / "console").mkdir(parents=True)
    (out / "validate").mkdir()
    runs = {
        # --show: every problem printed, not only the first 20
        "validate": (["validate", "-f", str(params / "demo.yaml"), "--show", "100000", "--problems",
                      str(out / "validate" / "problems.csv")], out / "validate"),
        "effect_study": (["run", str(nb / "effect_study.ipynb"), "-f", str(params / "demo.yaml"),
                          "-o", str(out / "effect_study"), "--no-progress"], out / "effect_study"),
        "yearly_summary": (["run", str(nb / "yearly_summary.ipynb"), "-f", str(params / "yearly.yaml"),
                            "-o", str(out / "yearly_summary"), "--no-progress",
                            *(["--pdf"] if CHROMIUM else [])], out / "yearly_summary"),
        "stagnation_list": (["stagnation-list", "-f", str(params / "demo.yaml"), "--output",
                             str(out / "stagnation_list")], out / "stagnation_list"),
        # the release (out/export) and its audit log (out/store: source is files, no store)
        "export": (["export", "-f", str(params / "export.yaml")], out / "export"),
    }
    done = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EFFECTSTUDY_RELEASE_KEY", release_key)
        mp.chdir(p)
        for name, (argv, folder) in runs.items():
            done[name] = _run(name, argv, folder, out / "console" / f"{name}.txt")
    return done


@pytest.fixture(scope="module")
def searched(commands) -> dict[str, Scan]:
    """Each command's files and printed output searched (names relative to out/); the
    export's are the release folder and the audit log (out/ without the others' folders)."""
    out = commands["validate"].console.parents[1]
    found = {}
    for name, cmd in commands.items():
        res = scan(cmd.output, base=out)
        if name == "export":
            store = scan(out / "store", base=out)
            res.files += store.files
            res.hits += store.hits
            res.seen += store.seen
        res.files.append(cmd.console)
        res.hits.extend(scan_file(cmd.console, out, res.seen))
        found[name] = res
    return found


# ------------------------------------------------------------------------ the planting itself
def test_planted_bsns_pass_the_eleven_proof_and_ids_stay_unique(planted_project):
    assert eleven_proof(BSN) and eleven_proof(BSN_2)
    eps = pd.read_csv(planted_project / "data" / "episodes.csv", sep=";", dtype=str, keep_default_na=False)
    assert eps["episode_id"].is_unique
    assert set(CLIENT_IDS) <= set(eps["client_id"]) and set(EPISODE_IDS) <= set(eps["episode_id"])
    # the open episodes (the stagnation list's) all carry an identifier as their id
    is_open = eps["end_date"] == ""
    assert is_open.sum() >= 10 and not eps.loc[is_open, "episode_id"].str.fullmatch(r"E\d{7}").any()
    # each planted client id is one client of the example data, not several merged
    example = _read("episodes.csv")
    assert eps["client_id"].nunique() == example["client_id"].nunique()
    for col in EPISODE_FREE_TEXT:  # every free-text column carries identifiers
        assert (eps[col] != example[col]).sum() >= 1, col
    for col, (_, value) in CATEGORY_PLANTS.items():  # and a frequent one: a group of its own
        assert (eps[col] == value).sum() >= 3, col
    meas = pd.read_csv(planted_project / "data" / "measurements.csv", sep=";", dtype=str, keep_default_na=False)
    assert (meas["occasion"] != _read("measurements.csv")["occasion"]).sum() >= 5
    assert {"opmerking"} <= set(eps.columns) & set(meas.columns)
    assert (meas["episode_id"] == UNKNOWN_EPISODE).sum() == 1
    own = meas["episode_id"].isin(eps.loc[eps["client_id"] == NAME, "episode_id"])
    assert ((meas["client_id"] == NAME) & ~own).sum() == 1  # a measurement in another client's episode


def test_the_search_finds_every_planted_identifier_in_the_input(planted_project):
    """The control: searched like the outputs, the planted input holds every needle."""
    res = scan(planted_project / "data")
    assert {h.needle for h in res.hits} == set(NEEDLES)


# ------------------------------------------------------------------------ the outputs
@pytest.mark.slow
@pytest.mark.parametrize("name", ["validate", "effect_study", "yearly_summary", "stagnation_list", "export"])
def test_no_planted_identifier_in_any_output_of(name, commands, searched):
    cmd, res = commands[name], searched[name]
    hits = report(res.hits) if res.hits else ""
    console = cmd.console.read_text(encoding="utf-8", errors="replace")
    assert cmd.rc == 0, f"effectstudy {cmd.argv[0]} exited with {cmd.rc}:\n{console[-3000:]}\n{hits}"
    assert len(res.files) > 1, f"{name} wrote no file"
    assert not res.hits, hits


@pytest.mark.slow
def test_the_rows_with_planted_ids_were_used_not_dropped(commands, release_key):
    """0 hits must not come from dropping the planted rows: the planted clients and episodes are
    in the release under their pseudonyms, and the stagnation list (open episodes, all with a
    planted id) lists episodes."""
    from effectstudy.privacy.pseudonyms import PseudonymKey, pseudonymise

    assert commands["export"].rc == 0 and commands["stagnation_list"].rc == 0
    key = PseudonymKey(bytes.fromhex(release_key))
    release = pd.read_csv(commands["export"].output / "example-2025-leiden_episodes.csv", dtype=str)
    clients = pseudonymise(pd.Series(CLIENT_IDS), key, domain="client")
    episodes = pseudonymise(pd.Series(EPISODE_IDS), key, domain="episode")
    assert set(clients) <= set(release["client_pseudonym"])
    assert set(episodes) <= set(release["episode_pseudonym"])
    assert len(pd.read_csv(commands["stagnation_list"].output / "stagnation_list.csv")) >= 1


@pytest.mark.slow
def test_no_planted_identifier_in_any_other_file_written(planted_project, commands, searched):
    """Whatever a command wrote outside its own folder (beside the inputs, an internal folder,
    a reports/ folder in the project) is searched too."""
    p = planted_project
    known = [p / "data", p / "params", p / "effectstudy.toml"] + [f for res in searched.values() for f in res.files]
    res = scan(p, skip=known)
    assert not res.hits, report(res.hits)


@pytest.mark.slow
def test_every_kind_of_output_was_searched(searched):
    """The search reached what it must: HTML and notebooks with base64 images, PNG files,
    xlsx members, .sav values, CSV, JSON and the printed output; the PDF when Chromium is there."""
    suffixes = {p.suffix for res in searched.values() for p in res.files}
    seen = sum((res.seen for res in searched.values()), Counter())
    assert {".html", ".ipynb", ".png", ".xlsx", ".sav", ".csv", ".json", ".jsonl", ".md", ".txt"} <= suffixes
    assert seen["base64 png"] >= 2 and seen["png chunks"] >= 2, seen
    assert seen["zip member"] >= 4 and seen["sav values"] >= 2, seen
    assert seen["pdf"] == (1 if CHROMIUM else 0), seen


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (Debian: apt-get install chromium)")
def test_the_yearly_summary_pdf_was_made_and_its_text_searched(commands):
    from tests.privacy.planted import pdf_text

    pdf = commands["yearly_summary"].output / "yearly_summary.pdf"
    assert pdf.is_file()
    # the text layer is there to search (a PDF of images would hide every label)
    assert "2024" in pdf_text(pdf)


# ------------------------------------------------------------------------ the search itself
def _needles(hits) -> set[str]:
    return {h.needle for h in hits}


def test_the_search_ignores_case_and_separators(tmp_path):
    (tmp_path / "a.txt").write_text("bel 06 12 34 56 78 of JAN_DE_VRIES; bsn 111.222.333; 1234ab")
    (tmp_path / "b.csv").write_text("x;y\n1;2\n")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "piet_jansen.png").write_bytes(b"")  # a label turned file name
    res = scan(tmp_path)
    assert _needles(res.hits) == {"phone 06-12345678", "name (Vries)", "bsn 111222333", "postcode", "name (Jansen)"}
    assert {(h.file, h.part) for h in res.hits} == {("a.txt", ""), ("figures/piet_jansen.png", "file name")}
    assert "06 12 34 56 78" in next(h.context for h in res.hits if h.needle.startswith("phone"))


def test_the_search_decodes_html_entities_and_percent_escapes(tmp_path):
    (tmp_path / "r.html").write_text('<p>Jan&#32;de&#x20;Vries</p><img src="data:image/svg+xml,%3Ctext%3E'
                                     'j.devries%40example.nl%3C/text%3E">')
    assert _needles(scan(tmp_path).hits) == {"name (Vries)", "e-mail domain"}


def _png(tmp_path, **chunks) -> bytes:
    import matplotlib.pyplot as plt
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [1, 0])
    fig.savefig(tmp_path / "plain.png", metadata={"Software": None})
    plt.close(fig)
    info = PngInfo()
    for key, (kind, value) in chunks.items():
        if kind == "itxt":
            info.add_itxt(key, value, zip=True)
        else:
            info.add_text(key, value, zip=kind == "ztxt")
    with Image.open(tmp_path / "plain.png") as im:
        im.save(tmp_path / "planted.png", pnginfo=info)
    return (tmp_path / "planted.png").read_bytes()


def test_the_search_reads_png_text_chunks_in_files_and_in_base64_images(tmp_path):
    import base64

    blob = _png(tmp_path, Title=("text", "Jan de Vries"), Author=("ztxt", "+31 20 123 4567"),
                Description=("itxt", "Kerkstraat 12"))
    found = scan(tmp_path)
    assert _needles(h for h in found.hits if h.file == "planted.png") == {"name (Vries)", "phone +31 20 123 4567",
                                                                          "street"}
    assert not [h for h in found.hits if h.file == "plain.png"]  # the figure as the reports save it
    b64 = base64.b64encode(blob).decode()
    out = tmp_path / "out"
    out.mkdir()
    (out / "r.html").write_text(f'<img src="data:image/png;base64,{b64}">')
    # a notebook stores the image as a JSON string with "\n" escapes every 76 characters
    lines = "\\n".join(b64[i: i + 76] for i in range(0, len(b64), 76))
    (out / "r.ipynb").write_text('{"outputs": [{"data": {"image/png": "' + lines + '"}}]}')
    res = scan(out)
    assert {(h.file, h.needle) for h in res.hits} == {(f, n) for f in ("r.html", "r.ipynb")
                                                       for n in ("name (Vries)", "phone +31 20 123 4567", "street")}
    assert all("base64 PNG" in h.part for h in res.hits) and res.seen["base64 png"] == 2


def test_the_search_reads_xlsx_members_sav_values_and_labels_and_pdf_text(tmp_path):
    import matplotlib
    import matplotlib.pyplot as plt
    import pyreadstat

    pd.DataFrame({"groep": ["angst", "depressie mw. Jan de Vries"]}).to_excel(tmp_path / "t.xlsx", index=False)
    # the values compressed (zlib) in a .zsav: found only through pyreadstat; a value label
    pyreadstat.write_sav(pd.DataFrame({"code": [1.0, 2.0], "opm": ["geen", "tel. 06-12345678 " * 3]}),
                         str(tmp_path / "t.zsav"), compress=True,
                         variable_value_labels={"code": {1.0: "neutraal", 2.0: "BSN 111222333"}})
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        fig = plt.figure()
        fig.text(0.1, 0.5, "Kerkstraat 12, 1234 AB Amsterdam")
        fig.savefig(tmp_path / "t.pdf", metadata={"Title": "Piet Jansen"})
        plt.close(fig)
    res = scan(tmp_path)
    got = {(h.file, h.part, h.needle) for h in res.hits}
    assert ("t.xlsx", "xl/worksheets/sheet1.xml", "name (Vries)") in got
    assert {(f, p) for f, p, n in got if n == "phone 06-12345678"} == {("t.zsav", "pyreadstat")}
    assert ("t.zsav", "pyreadstat", "bsn 111222333") in got
    assert {n for f, _, n in got if f == "t.pdf"} == {"street", "postcode", "city", "name (Jansen)"}


def test_the_search_finds_nothing_in_the_shipped_notebooks_and_params():
    """No needle matches an ordinary word of the reports' own text (no false alarm)."""
    for folder in ("notebooks", "params"):
        res = scan(ROOT / folder)
        assert res.files and not res.hits, report(res.hits)
