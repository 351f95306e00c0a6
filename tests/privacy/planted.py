"""Planted identifiers and the search for them in every kind of output file.

Two halves, used by ``tests/privacy/test_planted_identifiers.py``:

- :func:`plant` takes the shipped example data (``data/example/``) and puts direct identifiers
  into every id and free-text column: some client and episode ids, and the ids of all open
  episodes, are replaced whole (ids stay unique); free-text values (diagnosis, treatment,
  therapist, occasion, sex, care type, end reason) get a name, phone number, e-mail address,
  BSN or street address appended in single rows, and a whole category of diagnosis,
  treatment, therapist and sex gets a name (frequent enough to become a published group;
  care type and end reason have a code list already); an extra free-text column
  ``opmerking`` (unknown to the package) holds them all.
- :func:`scan` searches every file under a folder for those identifiers the way a reader
  would find them: text files directly (HTML entities decoded), zip containers (``.xlsx``)
  member by member, ``.sav`` files through pyreadstat (values, names, labels) and as raw
  bytes, PDF text and metadata through pypdf, PNG text chunks (``tEXt``/``zTXt``/``iTXt``) in
  PNG files, in zip members and in base64 images inside HTML and notebooks (decoded), SVG as
  text.  Matching is case-insensitive and ignores separators (spaces, ``-``, ``.``, ``_``,
  ``/``, ``(``, ``)``, ``+``, backslashes), so that ``06 12 34 56 78``, ``0612345678`` and a
  snake_case label ``jan_de_vries`` are found as well as the planted form.

Sources: privacy reference SEC-P5 (allow-list; a test feeds identifiers and asserts that none
reaches any output), SEC-P10 (motivated-intruder test), VAL-5 (messages without direct
identifiers); the BSN's 11-proef (elfproef) as in the Wet algemene bepalingen
burgerservicenummer (weights 9..2 and -1).

Not searched: text drawn as pixels in a PNG figure (no OCR); a leaked label there shows up in
the notebook and HTML text around the figure.
"""

from __future__ import annotations

import base64
import binascii
import html
import io
import json
import re
import urllib.parse
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

#: the planted identifiers (synthetic: the BSNs pass the 11-proef, example.nl is reserved)
NAME = "Jan de Vries"
NAME_2 = "Piet Jansen"
BSN = "111222333"
BSN_2 = "123456782"
PHONE_MOBILE = "06-12345678"
PHONE_LANDLINE = "+31 20 123 4567"
EMAIL = "j.devries@example.nl"
EMAIL_2 = "p.jansen@example.nl"
ADDRESS = "Kerkstraat 12, 1234 AB Amsterdam"

#: what is searched: label -> needle (compared after :func:`normalise`); each needle is a part
#: of a planted value a reader would recognise, short enough to be found inside a changed label
NEEDLES: dict[str, str] = {
    "name (Vries)": "vries",
    "name (Jansen)": "jansen",
    "bsn 111222333": BSN,
    "bsn 123456782": BSN_2,
    "phone 06-12345678": "612345678",  # also found when the leading 0 was lost to a number
    "phone +31 20 123 4567": "201234567",
    "e-mail domain": "example.nl",
    "street": "kerkstraat",
    "postcode": "1234 ab",
    "city": "amsterdam",
}

_SEPARATORS = re.compile(r"[\s\-._/()+\\]+")


def normalise(text: str) -> str:
    """Lower case, separators removed: the form both haystack and needle are compared in.

    >>> normalise("Tel. 06-12 34 56 78 (J. de Vries)")
    'tel0612345678jdevries'
    """
    return _SEPARATORS.sub("", text.lower())


def eleven_proof(number: str) -> bool:
    """Whether a 9-digit number passes the BSN 11-proef (weights 9..2, and -1 for the last digit).

    >>> eleven_proof(BSN), eleven_proof(BSN_2), eleven_proof("111222334")
    (True, True, False)
    """
    d = [int(c) for c in number]
    return len(d) == 9 and (sum(w * x for w, x in zip(range(9, 1, -1), d[:8], strict=True)) - d[8]) % 11 == 0


# ------------------------------------------------------------------------------ planting
#: whole ids replaced by an identifier (each once: ids stay unique)
CLIENT_IDS = [NAME, BSN, EMAIL, PHONE_MOBILE, ADDRESS]
EPISODE_IDS = [NAME_2, BSN_2, PHONE_LANDLINE, EMAIL_2, "Kerkstraat 14, 1234 AB Amsterdam"]
#: ids of the open episodes: an identifier and a number (ids stay unique)
OPEN_EPISODE_IDS = [f"{NAME_2} {{}}", f"{PHONE_MOBILE} #{{}}", f"{BSN}-{{}}", f"{{}}.{EMAIL_2}"]
#: ids of rows that refer to no episode (a measurement, a satisfaction row)
UNKNOWN_EPISODE = f"dossier {NAME_2}"
UNKNOWN_SATISFACTION_EPISODE = f"tel. {PHONE_MOBILE}"
#: appended to single free-text values (one row each)
SUFFIXES = [f"mw. {NAME}", f"tel. {PHONE_MOBILE}", EMAIL, f"BSN {BSN}", ADDRESS, f"bel {PHONE_LANDLINE}"]
#: a whole category gets a name (frequent enough to become a group of its own)
CATEGORY_PLANTS = {
    "diagnosis": ("burnout", f"burnout mw. {NAME}"),
    "treatment": ("emdr", f"emdr bij {NAME_2}"),
    "therapist": ("T06", NAME),
    "sex": ("other", f"other, {NAME_2}"),
}
#: episode columns whose single values get an identifier appended
EPISODE_FREE_TEXT = ["diagnosis", "treatment", "therapist", "end_reason", "care_type", "sex"]


def _remark(i: np.ndarray) -> list[str]:
    texts = [f"Gesprek met {NAME}, tel. {PHONE_MOBILE}", f"BSN {BSN}, {ADDRESS}", f"mail {EMAIL} of {PHONE_LANDLINE}",
             f"partner {NAME_2} (BSN {BSN_2})"]
    return [texts[k % len(texts)] for k in i]


def plant(episodes: pd.DataFrame, measurements: pd.DataFrame,
          satisfaction: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The example data with identifiers planted in every id and free-text column.

    All columns are text as read (``dtype=str``).  Planted ids go to clients who consented to
    both uses and have measurements (so that they reach every output), in the same way in all
    three tables.  Three rows refer to what does not exist (:data:`UNKNOWN_EPISODE`, a
    measurement of client :data:`NAME` in another client's episode,
    :data:`UNKNOWN_SATISFACTION_EPISODE`), so that validation has ids to describe.
    """
    eps, meas, sat = episodes.copy(), measurements.copy(), satisfaction.copy()
    measured = set(meas["episode_id"])
    eligible = eps.index[(eps["consent_study"] == "1") & (eps["consent_research"] == "1")
                         & eps["episode_id"].isin(measured)]
    # clients: every 37th eligible episode's client (all of its episodes follow)
    clients = list(dict.fromkeys(eps.loc[eligible[::37], "client_id"]))[: len(CLIENT_IDS)]
    client_map = dict(zip(clients, CLIENT_IDS, strict=True))
    # episodes: others than those clients', one id each
    client_of = dict(zip(eps["episode_id"], eps["client_id"], strict=True))
    free = [e for e in eps.loc[eligible[5::41], "episode_id"] if client_of[e] not in client_map]
    episode_map = dict(zip(free[: len(EPISODE_IDS)], EPISODE_IDS, strict=True))
    # every open episode (the stagnation list shows open episodes) gets an identifier as its id
    open_ = [e for e in eps.loc[(eps["end_date"] == "") & eps["episode_id"].isin(measured), "episode_id"]
             if e not in episode_map]
    episode_map |= {e: OPEN_EPISODE_IDS[k % len(OPEN_EPISODE_IDS)].format(k) for k, e in enumerate(open_)}
    for df in (eps, meas):
        df["client_id"] = df["client_id"].replace(client_map)
    for df in (eps, meas, sat):
        df["episode_id"] = df["episode_id"].replace(episode_map)

    for col, (value, planted) in CATEGORY_PLANTS.items():
        eps.loc[eps[col] == value, col] = planted
    rows = eps.index[eligible[3::53]]
    for k, col in enumerate(EPISODE_FREE_TEXT):
        for j, r in enumerate(rows[k: k + 2]):
            eps.loc[r, col] = f"{eps.loc[r, col]} {SUFFIXES[(k + j) % len(SUFFIXES)]}"
    occ = meas.index[meas["episode_id"].isin(eps.loc[eligible, "episode_id"])][7::97]
    meas.loc[occ, "occasion"] = [f"{o} {SUFFIXES[k % len(SUFFIXES)]}" for k, o in enumerate(meas.loc[occ, "occasion"])]

    # faults a validation message or problem row would describe by their ids: a measurement of
    # an unknown episode, one whose client is not its episode's, a satisfaction row of no episode
    faulty = meas.index[meas["episode_id"].isin(eps.loc[eligible, "episode_id"])
                        & ~meas["client_id"].isin(CLIENT_IDS) & ~meas["episode_id"].isin(EPISODE_IDS)]
    meas.loc[faulty[11], "episode_id"] = UNKNOWN_EPISODE
    meas.loc[faulty[23], "client_id"] = NAME
    sat.loc[sat.index[~sat["episode_id"].isin(EPISODE_IDS)][17], "episode_id"] = UNKNOWN_SATISFACTION_EPISODE

    eps.insert(len(eps.columns), "opmerking", _remark(np.arange(len(eps))))
    meas.insert(6, "opmerking", _remark(np.arange(len(meas)) + 1))
    sat["opmerking"] = _remark(np.arange(len(sat)) + 2)
    return eps, meas, sat


# ------------------------------------------------------------------------------ searching
@dataclass(frozen=True)
class Hit:
    """One planted identifier found: the file (and zip member or part), the needle, the context."""

    file: str
    part: str
    needle: str
    context: str

    def __str__(self) -> str:
        part = f" [{self.part}]" if self.part else ""
        return f"{self.file}{part}: {self.needle}: ...{self.context}..."


@dataclass
class Scan:
    """The result of :func:`scan`: the files searched, the hits, and how often each kind of
    content was read (``text``, ``zip member``, ``png chunks``, ``base64 png``, ``pdf``,
    ``sav values``), so that a test can check the search reached every kind it should."""

    files: list[Path] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    seen: Counter = field(default_factory=Counter)


_NORMALISED = {label: normalise(n) for label, n in NEEDLES.items()}
#: the needle in the original text: its characters with any separators between them
_RAW = {label: re.compile(r"[\s\-._/()+\\]*".join(map(re.escape, n)), re.IGNORECASE) for label, n in _NORMALISED.items()}
#: a run of base64 (in HTML data: URIs and notebook outputs; "\n" escaped inside JSON)
_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]|\\n|\n){200,}={0,2}")
_PNG = b"\x89PNG\r\n\x1a\n"


def find_in_text(text: str, file: str, part: str = "") -> list[Hit]:
    """Every needle in ``text`` (also with HTML entities and %-escapes decoded), one hit per
    needle, with 40 characters of context on each side."""
    decoded = html.unescape(text)
    both = decoded + "\n" + urllib.parse.unquote(decoded)
    flat = normalise(both)
    hits = []
    for label, needle in _NORMALISED.items():
        if needle in flat:
            m = _RAW[label].search(both)
            ctx = both[max(0, m.start() - 40): m.end() + 40] if m else flat[max(0, flat.find(needle) - 40):][:120]
            hits.append(Hit(file, part, label, " ".join(ctx.split())))
    return hits


def png_text(blob: bytes) -> str:
    """The text chunks of a PNG (``tEXt``, ``zTXt``, ``iTXt``, ``eXIf``): keywords and values."""
    out, pos = [], 8
    while pos + 8 <= len(blob):
        length = int.from_bytes(blob[pos: pos + 4], "big")
        kind = blob[pos + 4: pos + 8]
        data = blob[pos + 8: pos + 8 + length]
        pos += 12 + length
        if kind == b"tEXt":
            out.append(data.decode("latin-1"))
        elif kind == b"zTXt":
            key, _, rest = data.partition(b"\0")
            out.append(key.decode("latin-1") + " " + zlib.decompress(rest[1:]).decode("latin-1"))
        elif kind == b"iTXt":
            key, _, rest = data.partition(b"\0")
            compressed, rest = rest[0], rest[2:]
            lang, _, rest = rest.partition(b"\0")
            translated, _, text = rest.partition(b"\0")
            text = zlib.decompress(text) if compressed else text
            out.append(" ".join(x.decode("utf-8", "replace") for x in (key, lang, translated, text)))
        elif kind == b"eXIf":
            out.append(data.decode("latin-1"))
        elif kind == b"IEND":
            break
    return "\n".join(out)


def _text_with_images(text: str, file: str, part: str, seen: Counter) -> list[Hit]:
    """Search ``text``; base64 runs are decoded (a PNG: its text chunks; else the decoded
    bytes as text) and then left out of the text, where they would match by chance."""
    hits: list[Hit] = []

    def decode(m: re.Match) -> str:
        raw = m.group(0).replace("\\n", "").replace("\n", "")
        try:
            blob = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
        except (binascii.Error, ValueError):
            return m.group(0)
        if blob.startswith(_PNG):
            seen["base64 png"] += 1
            hits.extend(find_in_text(png_text(blob), file, f"{part} base64 PNG".strip()))
        else:
            seen["base64 other"] += 1
            hits.extend(find_in_text(blob.decode("utf-8", "replace"), file, f"{part} base64".strip()))
        return " "

    seen["text"] += 1
    hits.extend(find_in_text(_BASE64.sub(decode, text), file, part))
    return hits


def _decode(blob: bytes) -> str:
    if blob.startswith((b"\xff\xfe", b"\xfe\xff")):
        return blob.decode("utf-16")
    try:
        return blob.decode("utf-8-sig")
    except UnicodeDecodeError:
        return blob.decode("latin-1")


def sav_text(path: Path) -> str:
    """A ``.sav`` file as pyreadstat reads it: column names, every value, the variable and
    value labels, the file label and notes."""
    import pyreadstat

    df, meta = pyreadstat.read_sav(str(path))
    return "\n".join([" ".join(map(str, df.columns)), df.astype(str).to_csv(sep="|", index=False),
                      json.dumps([meta.column_labels, meta.variable_value_labels, meta.file_label, meta.notes],
                                 default=str, ensure_ascii=False)])


def pdf_text(path: Path) -> str:
    """A PDF as pypdf reads it: the text of every page, the metadata, the annotations (links)."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    parts = [page.extract_text() or "" for page in reader.pages]
    parts.append(json.dumps({str(k): str(v) for k, v in (reader.metadata or {}).items()}, ensure_ascii=False))
    parts.extend(str(a.get_object()) for page in reader.pages for a in (page.get("/Annots") or []))
    return "\n".join(parts)


def scan_bytes(blob: bytes, file: str, part: str = "", seen: Counter | None = None) -> list[Hit]:
    """Search one file's (or zip member's) content: a PNG by its text chunks, a zip member by
    member, anything else as text (UTF-8, UTF-16 with a BOM, else Latin-1) with its base64
    images decoded."""
    seen = Counter() if seen is None else seen
    if blob.startswith(_PNG):
        seen["png chunks"] += 1
        return find_in_text(png_text(blob), file, f"{part} PNG text chunks".strip())
    if blob[:4] == b"PK\x03\x04":
        hits = []
        with zipfile.ZipFile(io.BytesIO(blob)) as z:
            for member in z.namelist():
                seen["zip member"] += 1
                hits.extend(find_in_text(member, file, f"{part} member name".strip()))
                hits.extend(scan_bytes(z.read(member), file, f"{part} {member}".strip(), seen))
        return hits
    return _text_with_images(_decode(blob), file, part, seen)


def scan_file(path: Path, root: Path, seen: Counter | None = None) -> list[Hit]:
    """Every hit in one file (its name relative to ``root``): a PDF through pypdf, a ``.sav``
    through pyreadstat and as raw bytes, anything else through :func:`scan_bytes`."""
    seen = Counter() if seen is None else seen
    file = path.relative_to(root).as_posix()
    if path.suffix.lower() == ".pdf":
        seen["pdf"] += 1
        return find_in_text(pdf_text(path), file, "PDF text")
    hits = scan_bytes(path.read_bytes(), file, "", seen)
    if path.suffix.lower() in (".sav", ".zsav"):
        seen["sav values"] += 1
        hits += find_in_text(sav_text(path), file, "pyreadstat")
    return hits


def scan(root: Path, skip: Iterable[Path] = (), base: Path | None = None) -> Scan:
    """Every file under ``root`` (except under the folders in ``skip``) searched, its content
    and its name (a label can become a file name); hits name the file relative to ``base``
    (default ``root``)."""
    skipped = [p.resolve() for p in skip]
    result = Scan()
    for p in sorted(root.rglob("*")):
        if p.is_file() and not any(s == p.resolve() or s in p.resolve().parents for s in skipped):
            result.files.append(p)
            name = p.relative_to(base or root).as_posix()
            result.hits.extend(find_in_text(name, name, "file name"))  # a label turned file name
            result.hits.extend(scan_file(p, base or root, result.seen))
    return result


def report(hits: Iterable[Hit]) -> str:
    """The hits grouped by file, for an assertion message."""
    by_file: dict[str, list[Hit]] = {}
    for h in hits:
        by_file.setdefault(h.file, []).append(h)
    lines = [f"{sum(map(len, by_file.values()))} planted identifier(s) found in {len(by_file)} file(s):"]
    for f, hs in by_file.items():
        lines.append(f"  {f}")
        lines.extend(f"    {h.part + ': ' if h.part else ''}{h.needle}: ...{h.context}..." for h in hs)
    return "\n".join(lines)
