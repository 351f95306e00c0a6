"""Provenance of a report: which inputs, parameters, software and instrument keys made it.

:func:`provenance` returns a :class:`Provenance` (a ``dict``, JSON-safe) with

- ``inputs``: SHA-256 and size in bytes of every input file named in the params (the
  ``data`` section and any other path-valued key), paths relative to the project folder;
- ``params``: the params file (relative path, SHA-256) and the validated values as JSON;
- ``effectstudy`` version, ``git`` commit of the project (and whether the working tree had
  uncommitted changes), ``versions`` of Python and the key packages, the ``platform``;
- ``lock``: the project's lock file (``uv.lock``, SHA-256) and every installed package whose
  version is not the locked one (``differs``), so that a rerun next year can be installed
  exactly as this one (``make install`` installs the lock); ``None`` without a lock file;
- ``instruments``: each instrument key used, with its status (``verified``/``provisional``),
  version, origin and a fingerprint (SHA-256 of its YAML file);
- ``key_fingerprint`` of the pseudonymisation key when given (never the key itself);
- ``created_utc``: the date and time of the run (UTC, ISO 8601);
- ``warnings``: one line per provisional key, uncommitted change, missing input file or
  installed version that differs from the lock.

It is shown in the report's appendix (``_repr_html_`` / :func:`provenance_html`, with every
warning as a visible line) and written to ``provenance.json`` next to ``results.json``.
No absolute home paths are written: paths under the project folder become relative, paths
under the home folder start with ``~/``.

>>> p = provenance(None, instruments=["scl90_nl"], now="2026-01-31T12:00:00Z")
>>> p["instruments"][0]["status"], p["created_utc"]
('provisional', '2026-01-31T12:00:00Z')
>>> p["warnings"][0][:26]
'provisional key: scl90_nl '
"""

from __future__ import annotations

import datetime as _dt
import html as _html
import platform
import re
import subprocess
import tomllib
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from effectstudy import __version__
from effectstudy import instruments as registry
from effectstudy.core.files import find_repo_root, sha256_file
from effectstudy.core.formatting import number
from effectstudy.core.jsonable import jsonable
from effectstudy.core.labels import label, register

__all__ = ["Provenance", "provenance", "provenance_html", "sha256_file", "PACKAGES"]

#: distributions whose versions are recorded
PACKAGES = (
    "numpy", "pandas", "scipy", "statsmodels", "pingouin", "matplotlib", "seaborn",
    "pyreadstat", "openpyxl", "pyarrow", "pydantic", "duckdb", "papermill", "nbconvert",
    "nbclient", "ipykernel",
)

# the appendix's words, in the label table (every word a report shows comes from there)
register({
    "prov_title": {"nl": "Verantwoording", "en": "Provenance"},
    "prov_run": {"nl": "Datum van de run (UTC)", "en": "Run date (UTC)"},
    "prov_version": {"nl": "effectstudy-versie", "en": "effectstudy version"},
    "prov_commit": {"nl": "Git-commit", "en": "Git commit"},
    "prov_dirty": {"nl": "met niet-vastgelegde wijzigingen", "en": "with uncommitted changes"},
    "prov_params": {"nl": "Parameterbestand", "en": "Params file"},
    "prov_inputs": {"nl": "Invoerbestanden", "en": "Input files"},
    "prov_key_name": {"nl": "parameter", "en": "parameter"},
    "prov_file": {"nl": "bestand", "en": "file"},
    "prov_bytes": {"nl": "grootte (bytes)", "en": "size (bytes)"},
    "prov_instruments": {"nl": "Scoringssleutels", "en": "Instrument keys"},
    "prov_id": {"nl": "code", "en": "id"},
    "prov_instrument_name": {"nl": "vragenlijst", "en": "questionnaire"},
    "prov_key_version": {"nl": "versie", "en": "version"},
    "prov_status": {"nl": "status", "en": "status"},
    "prov_origin": {"nl": "herkomst", "en": "origin"},
    "prov_shipped": {"nl": "meegeleverd met effectstudy", "en": "shipped with effectstudy"},
    "prov_verified": {"nl": "gecontroleerd", "en": "verified"},
    "prov_provisional": {"nl": "voorlopig", "en": "provisional"},
    "prov_fingerprint": {"nl": "vingerafdruk (SHA-256)", "en": "fingerprint (SHA-256)"},
    "prov_software": {"nl": "Software", "en": "Software"},
    "prov_values": {"nl": "Gevalideerde parameters", "en": "Validated parameters"},
    "prov_lock": {"nl": "Versiebestand (uv.lock)", "en": "Lock file (uv.lock)"},
    "prov_key": {"nl": "Sleutel-vingerafdruk (pseudonimisering)", "en": "Pseudonymisation key fingerprint"},
    "prov_warning": {"nl": "Let op", "en": "Warning"},
    "prov_none": {"nl": "geen", "en": "none"},
    # the warnings (provenance.json keeps the English text; the appendix shows its language's)
    "prov_w_provisional": {"nl": "voorlopige sleutel: {id}{scales}: {reason}",
                           "en": "provisional key: {id}{scales}: {reason}"},
    "prov_w_scales": {"nl": " (schalen {names})", "en": " (scales {names})"},
    # the report says why a key is provisional once (Study.key_status, beside the outcome measure);
    # the appendix only names the key, and provenance.json keeps the reason
    "prov_w_reason_short": {"nl": "nog niet gecontroleerd aan de handleiding (de reden staat in "
                                  "provenance.json)",
                            "en": "not yet checked against the manual (the reason is in provenance.json)"},
    "prov_w_missing": {"nl": "invoerbestand ontbreekt: {key} = {path}", "en": "input file missing: {key} = {path}"},
    "prov_w_lock": {"nl": "geïnstalleerde versies wijken af van uv.lock (make install installeert de "
                          "versies van uv.lock): {packages}",
                    "en": "installed versions differ from uv.lock (make install installs the lock): {packages}"},
    "prov_w_dirty": {"nl": "het project had niet-vastgelegde wijzigingen bij commit {commit}",
                     "en": "the project had uncommitted changes at commit {commit}"},
})


def _warning(kind: str, lang: str, **fields: str) -> str:
    """A warning line in ``lang`` (provenance.json keeps ``"en"``: its callers pass it)."""
    return label(f"prov_w_{kind}", lang).format(**fields)


def _warning_pattern(kind: str) -> re.Pattern[str]:
    """A regex reading the English warning ``kind`` back into its fields."""
    text = re.escape(label(f"prov_w_{kind}", "en"))
    fields = {"id": r"[^\s:]+", "scales": r"(?: \([^)]*\))?", "commit": r"\S+"}

    def field(m: re.Match[str]) -> str:
        return f"(?P<{m.group(1)}>{fields.get(m.group(1), '.*')})"

    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", field, text) + "$", re.DOTALL)


class Provenance(dict):
    """The provenance record: a plain ``dict`` that renders itself as the report appendix."""

    lang = "nl"

    def _repr_html_(self) -> str:
        return provenance_html(self, lang=self.get("lang", self.lang))

    def __repr__(self) -> str:
        return f"Provenance({dict.__repr__(self)})"


# ----------------------------------------------------------------------------------- helpers
def _publish_path(path: str | Path, root: Path) -> str:
    """``path`` relative to ``root`` when inside it, ``~/...`` when under home, else as is."""
    p = Path(path)
    try:
        p = p.resolve()
    except OSError:  # pragma: no cover
        pass
    for base, prefix in ((root.resolve(), ""), (Path.home().resolve(), "~/")):
        try:
            rel = p.relative_to(base)
        except ValueError:
            continue
        if str(base) in ("/", ""):
            continue
        return prefix + rel.as_posix()
    return p.as_posix()


def _relativise_values(obj: Any, root: Path) -> Any:
    if isinstance(obj, dict):
        return {k: _relativise_values(v, root) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_relativise_values(v, root) for v in obj]
    if isinstance(obj, str) and obj.startswith("/") and "\n" not in obj:
        return _publish_path(obj, root)
    return obj


def _dump(params: Any) -> Any:
    if params is None:
        return None
    if hasattr(params, "model_dump"):
        return params.model_dump(mode="json")
    if isinstance(params, Mapping):
        return jsonable(dict(params))
    return jsonable(params)


def _path_values(dump: Any, prefix: str = "") -> list[tuple[str, str]]:
    """``(dotted key, path)`` for every path-valued key (``path``, ``*_file``, ``*_path``)."""
    found: list[tuple[str, str]] = []
    if isinstance(dump, dict):
        for k, v in dump.items():
            dotted = f"{prefix}.{k}" if prefix else str(k)
            if isinstance(v, str) and dotted != "source_file" and (
                k == "path" or str(k).endswith(("_file", "_path", "_dir"))
            ):
                found.append((dotted.removesuffix(".path"), v))
            else:
                found.extend(_path_values(v, dotted))
    elif isinstance(dump, list):
        for i, v in enumerate(dump):
            found.extend(_path_values(v, f"{prefix}[{i}]"))
    return found


def _instrument_ids(dump: Any) -> list[str]:
    """Values of keys named ``instrument`` / ``instruments`` anywhere in the params."""
    ids: list[str] = []
    if isinstance(dump, dict):
        for k, v in dump.items():
            if k in ("instrument", "instruments"):
                if isinstance(v, str):
                    ids.append(v)
                elif isinstance(v, list):
                    ids.extend(x for x in v if isinstance(x, str))
                elif isinstance(v, dict):
                    ids.extend(str(x) for x in v)
            else:
                ids.extend(_instrument_ids(v))
    elif isinstance(dump, list):
        for v in dump:
            ids.extend(_instrument_ids(v))
    return ids


def _git(root: Path) -> dict[str, Any] | None:
    def run(*args: str) -> str | None:
        try:
            res = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=20, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return res.stdout.strip() if res.returncode == 0 else None

    commit = run("rev-parse", "HEAD")
    if not commit:
        return None
    status = run("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _canonical(name: str) -> str:
    # distribution names compare case-insensitively, with runs of -_. alike (PEP 503)
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock(root: Path) -> dict[str, Any] | None:
    """The lock file under ``root`` (SHA-256) and the installed packages that differ from it.

    ``uv.lock`` is universal (one entry per package and version, platforms as markers), so
    an installed version differs when it is none of the versions locked for that name;
    locked packages that are not installed (other platforms, extras not asked for) are not
    differences, nor is the project itself (installed from its source folder).
    """
    path = root / "uv.lock"
    if not path.is_file():
        return None
    locked: dict[str, set[str]] = {}
    for pkg in tomllib.loads(path.read_text(encoding="utf-8")).get("package", []):
        if "version" in pkg and "editable" not in pkg.get("source", {}):
            locked.setdefault(_canonical(pkg["name"]), set()).add(pkg["version"])
    differs = []
    for dist in metadata.distributions():
        name = _canonical(dist.metadata["Name"] or "")
        if name in locked and dist.version not in locked[name]:
            differs.append(f"{name} {dist.version} (uv.lock: {', '.join(sorted(locked[name]))})")
    return {"file": "uv.lock", "sha256": sha256_file(path), "differs": sorted(set(differs))}


def _instrument_entry(inst: Any, root: Path) -> dict[str, Any]:
    if isinstance(inst, str):
        inst = registry.get(inst)
    if inst.origin == "shipped":
        yaml_file = registry.SHIPPED_DIR / f"{inst.id}.yaml"
        origin = "shipped"
    else:
        yaml_file = Path(inst.origin)
        origin = _publish_path(yaml_file, root)
    return {
        "id": inst.id,
        "name": inst.name,
        "version": inst.version,
        "status": inst.status,
        "status_reason": inst.status_reason if inst.status == "provisional" else None,
        "provisional_scales": list(inst.provisional_scales),
        "origin": origin,
        "overrides_shipped": bool(inst.overrides_shipped),
        "sha256": sha256_file(yaml_file) if yaml_file.is_file() else None,
    }


# ----------------------------------------------------------------------------------- main
def provenance(
    params: Any = None,
    *,
    instruments: Iterable[Any] | None = None,
    key: Any = None,
    extra: Mapping[str, Any] | None = None,
    root: str | Path | None = None,
    now: str | _dt.datetime | None = None,
) -> Provenance:
    """Collect the provenance of a run.

    Parameters
    ----------
    params : Params or dict, optional
        The validated params (from :func:`effectstudy.load_params`).  Every path-valued key
        (``data.*.path`` and keys ending in ``_file``/``_path``/``_dir``) is hashed as an input.
    instruments : iterable of str or Instrument, optional
        The instrument keys used.  Default: the values of every ``instrument``/``instruments``
        key in the params that names a registered instrument.
    key : PseudonymKey or str, optional
        The pseudonymisation key (only its ``fingerprint`` is recorded) or the fingerprint.
    extra : mapping, optional
        Further sections to record (e.g. consent-exclusion counts).
    root : str or Path, optional
        The project folder paths are made relative to; default: the folder holding
        ``pyproject.toml`` (or ``effectstudy.toml``) above the params file, else the current folder.
    now : str or datetime, optional
        The run date (for tests); default the current UTC time.

    Returns
    -------
    Provenance
        A JSON-safe dict; see the module docstring for its keys.
    """
    source = getattr(params, "source_file", None)
    if source is None and isinstance(params, Mapping):
        source = params.get("source_file")
    root_path = Path(root).resolve() if root is not None else find_repo_root(Path(source).parent if source else None)
    dump = _dump(params)
    warnings: list[str] = []

    inputs = []
    for dotted, value in _path_values(dump):
        p = Path(value)
        entry: dict[str, Any] = {"key": dotted, "path": _publish_path(p, root_path)}
        if p.is_file():
            entry.update(sha256=sha256_file(p), bytes=p.stat().st_size)
        else:
            entry.update(sha256=None, bytes=None)
            if not p.is_dir():
                warnings.append(_warning("missing", "en", key=dotted, path=entry["path"]))
        inputs.append(entry)

    params_block = None
    if params is not None:
        values = dict(dump) if isinstance(dump, dict) else dump
        if isinstance(values, dict):
            values.pop("source_file", None)
        params_block = {
            "file": _publish_path(source, root_path) if source else None,
            "sha256": sha256_file(source) if source and Path(source).is_file() else None,
            "values": _relativise_values(values, root_path),
        }

    if instruments is None:
        known = set(registry.available())
        instruments = sorted({i for i in _instrument_ids(dump) if i in known})
    inst_entries = [_instrument_entry(i, root_path) for i in instruments]
    for e in inst_entries:
        if e["status"] == "provisional":
            scales = _warning("scales", "en", names=", ".join(e["provisional_scales"])) if e["provisional_scales"] else ""
            warnings.append(_warning("provisional", "en", id=e["id"], scales=scales, reason=str(e["status_reason"])))

    lock = _lock(root_path)
    if lock and lock["differs"]:
        warnings.append(_warning("lock", "en", packages="; ".join(lock["differs"])))
    git = _git(root_path)
    if git and git["dirty"]:
        warnings.append(_warning("dirty", "en", commit=git["commit"][:12]))

    if now is None:
        created = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    elif isinstance(now, _dt.datetime):
        created = now.astimezone(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    else:
        created = str(now)

    fingerprint = getattr(key, "fingerprint", key)
    rec = Provenance(
        effectstudy=__version__,
        created_utc=created,
        params=params_block,
        inputs=inputs,
        instruments=inst_entries,
        key_fingerprint=fingerprint if fingerprint is None else str(fingerprint),
        git=git,
        versions=_versions(),
        lock=lock,
        platform=f"{platform.system()} {platform.machine()}",
        warnings=warnings,
    )
    if extra:
        for k, v in extra.items():
            rec[str(k)] = jsonable(v)
    return rec


# ----------------------------------------------------------------------------------- HTML
def _display_names(entry: Mapping[str, Any], scales: str | None, lang: str) -> dict[str, str]:
    """The instrument's name and its provisional scales' names in ``lang`` (each with its code in
    parentheses), for a warning line; ``{}`` when the registry does not know the instrument."""
    names = registry.scale_names(str(entry.get("id")), lang, code=True)
    if not names:
        return {}
    out = {"id": registry.display_name(str(entry.get("id")), lang)}
    if scales:
        shown = [names.get(s.strip(), s.strip()) for s in scales.split(",")]
        out["scales"] = _warning("scales", lang, names=", ".join(shown))
    return out


def _display_warning(text: str, prov: Mapping[str, Any], lang: str) -> str:
    """A recorded (English) warning in ``lang``; a line of unknown form is shown as it is."""
    for kind in ("provisional", "missing", "lock", "dirty"):
        m = _warning_pattern(kind).match(text)
        if not m:
            continue
        fields = m.groupdict()
        if kind == "provisional":
            sm = _warning_pattern("scales").match(fields["scales"])
            fields["scales"] = _warning("scales", lang, names=sm["names"]) if sm else fields["scales"]
            entry = next((i for i in prov.get("instruments") or [] if i.get("id") == fields["id"]), None)
            fields["reason"] = label("prov_w_reason_short", lang)
            if entry is not None:
                fields.update(_display_names(entry, sm["names"] if sm else None, lang))
        return _warning(kind, lang, **fields)
    return text


#: the files the appendix names in its words: shown as code, the same in every language
_FILE_NAMES = ("provenance.json", "uv.lock")


def _files_as_code(escaped: str) -> str:
    """Escaped text with the file names of :data:`_FILE_NAMES` marked as code.

    >>> _files_as_code("Versiebestand (uv.lock)")
    'Versiebestand (<code>uv.lock</code>)'
    """
    for name in _FILE_NAMES:
        escaped = escaped.replace(name, f"<code>{name}</code>")
    return escaped


def _breakable(text: str) -> str:
    """Escaped ``text`` with a line-break opportunity after every ``/`` (long paths wrap at a
    folder, never inside a word)."""
    return _html.escape(text).replace("/", "/<wbr>")


def provenance_html(prov: Mapping[str, Any], lang: str = "nl") -> str:
    """The provenance as an HTML block for the report's appendix, every word in ``lang``.

    Every warning (a provisional key, uncommitted changes, a missing input file) is a visible
    line at the top.

    >>> html = provenance_html(provenance(None, instruments=["scl90_nl"]), lang="en")
    >>> "Warning" in html and "provisional key: SCL-90, Dutch edition" in html
    True
    >>> html = provenance_html(provenance(None, instruments=["scl90_nl"]), lang="nl")
    >>> "(schalen Wantrouwen en interpersoonlijke sensitiviteit (SEN), Overige items (OVE))" in html
    True
    >>> "voorlopige sleutel: SCL-90, Nederlandse bewerking" in html, "provisional key" in html
    (True, False)
    """
    lang = lang if lang in ("nl", "en") else "nl"

    def t(k: str) -> str:
        return _files_as_code(_html.escape(label(f"prov_{k}", lang)))

    def e(v: Any) -> str:
        return _html.escape("" if v is None else str(v))

    parts = [f'<section class="es-provenance"><h2>{t("title")}</h2>']
    for w in prov.get("warnings", []):
        parts.append(f'<p class="es-warning" role="note"><strong>⚠ {t("warning")}:</strong> '
                     f"{_files_as_code(e(_display_warning(str(w), prov, lang)))}</p>")
    rows = [(t("run"), e(prov.get("created_utc"))), (t("version"), e(prov.get("effectstudy")))]
    git = prov.get("git")
    if git:
        rows.append((t("commit"), e(git["commit"]) + (f" ({t('dirty')})" if git.get("dirty") else "")))
    pb = prov.get("params")
    if pb:
        rows.append((t("params"), f"{_breakable(str(pb.get('file')))} (SHA-256 {e(pb.get('sha256'))})"))
    if prov.get("lock"):
        rows.append((t("lock"), f"SHA-256 {e(prov['lock']['sha256'])}"))
    if prov.get("key_fingerprint"):
        rows.append((t("key"), e(prov["key_fingerprint"])))
    parts.append('<table class="es-prov-summary"><tbody>' + "".join(
        f'<tr><th scope="row">{k}</th><td><code>{v}</code></td></tr>' for k, v in rows) + "</tbody></table>")

    parts.append(f"<h3>{t('inputs')}</h3>")
    if prov.get("inputs"):
        parts.append(f'<table><thead><tr><th scope="col">{t("key_name")}</th><th scope="col">{t("file")}</th>'
                     f'<th scope="col">{t("bytes")}</th><th scope="col">SHA-256</th></tr></thead><tbody>')
        for i in prov["inputs"]:
            size = number(i["bytes"], lang, 0) if i.get("bytes") is not None else "–"
            parts.append(f"<tr><td><code>{e(i['key'])}</code></td><td><code>{_breakable(str(i['path']))}</code></td>"
                         f'<td class="es-num">{e(size)}</td><td><code>{e(i["sha256"])}</code></td></tr>')
        parts.append("</tbody></table>")
    else:
        parts.append(f"<p>{t('none')}</p>")

    parts.append(f"<h3>{t('instruments')}</h3>")
    if prov.get("instruments"):
        parts.append(f'<table><thead><tr><th scope="col">{t("id")}</th><th scope="col">{t("key_version")}</th>'
                     f'<th scope="col">{t("status")}</th><th scope="col">{t("origin")}</th>'
                     f'<th scope="col">{t("fingerprint")}</th></tr></thead><tbody>')
        for i in prov["instruments"]:
            status = t(i["status"]) if i["status"] in ("verified", "provisional") else e(i["status"])
            if i["status"] == "provisional":
                status = f'<strong class="es-provisional">⚠ {status}</strong>'
            origin = t("shipped") if i["origin"] == "shipped" else f"<code>{_breakable(str(i['origin']))}</code>"
            parts.append(f"<tr><td><code>{e(i['id'])}</code></td><td>{e(i['version'])}</td><td>{status}</td>"
                         f"<td>{origin}</td><td><code>{e(i['sha256'])}</code></td></tr>")
        parts.append("</tbody></table>")
    else:
        parts.append(f"<p>{t('none')}</p>")

    versions = prov.get("versions", {})
    parts.append(f"<h3>{t('software')}</h3><p><code>" + ", ".join(
        f"{e(k)} {e(v)}" for k, v in versions.items() if v is not None) + f"; {e(prov.get('platform'))}</code></p>")

    if pb and pb.get("values") is not None:
        import yaml

        # YAML as in the params file (lists of values on one line); provenance.json has JSON
        text = yaml.safe_dump(pb["values"], sort_keys=True, default_flow_style=None,
                              allow_unicode=True, width=60)
        parts.append(f"<h3>{t('values')}</h3><pre class=\"es-params\">{_breakable(text)}</pre>")
    parts.append("</section>")
    return "".join(parts)
