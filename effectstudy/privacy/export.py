"""Research exports for university partners: SPSS ``.sav``, CSV and a codebook from one metadata source.

The research dataset is built from canonical episodes and measurements (and optionally
scores: given, or ``scores="score"`` to have the package score the consenting measurements
with each instrument's registered key, :func:`score_measurements`) in five steps, each
counted in :attr:`ResearchDataset.flow`.  A column the allow-list asks for that the data
cannot give is refused (:class:`ColumnsUnavailableError`), never left out silently:

1. **consent**: only episodes with ``consent_research`` (missing = no consent), minus a
   withdrawal list (:func:`effectstudy.data.consent.filter_consent`);
2. **pseudonyms**: client and episode ids become keyed HMAC-SHA256 pseudonyms with the
   release's own key (:func:`effectstudy.privacy.pseudonyms.pseudonymise`);
3. **dates**: calendar dates become days since the episode start plus the start year; the
   birth year becomes a 5-year age band, top-coded at 80 (SEC-P6 of the project's privacy
   reference; CCMO: birth year at most; HIPAA Safe Harbor: no date element but the year);
4. **allow-list**: output columns are built from :data:`VARIABLES` only and filtered by the
   params' ``columns`` list; every other input column (names, BSN, addresses, free text,
   therapist) is dropped by construction (SEC-P5: allow-list, never a deny-list).  Naming free
   text in ``columns`` is an error, and text variables carry only the codes of their column's
   code list (:mod:`effectstudy.core.codes`; uncoded values become missing, counted in the flow
   as ``uncoded_value:<column>``);
5. **k-anonymity**: every variable has a role (:data:`ROLES`: pseudonym, quasi-identifier or
   outcome; the codebook gives the reason).  Each combination of the exported episode-level
   quasi-identifiers (start year, care type, end reason, diagnosis, treatment, age band, sex, and
   any column the params' ``quasi_identifiers`` add) must occur for at least ``k`` clients
   (default 5; SEC-P7; Sweeney 2002, "k-anonymity: a model for protecting privacy", *Int. J.
   Uncertainty, Fuzziness and Knowledge-Based Systems* 10(5):557-570), and each code of a
   measurement-level quasi-identifier (instrument, occasion, scale) must be held by ``k``
   clients.  Otherwise nothing is written and :class:`KAnonymityError` lists the rare
   combinations and what coarsening would fix.

:func:`write_research_export` then writes, per table, ``.sav`` (variable labels; value
labels on nominal and ordinal variables only; the user-missing code :data:`MISSING_CODE`
declared; explicit SPSS formats and measurement levels) and ``.csv`` (same codes, missing
cells empty), plus the codebook as ``.xlsx`` and ``.md`` rendered from the same
:func:`codebook` table, a release record (SEC-P9) and a ``SHA256SUMS`` file.  Every file is
written to a temporary name and renamed.

>>> from effectstudy.privacy.pseudonyms import PseudonymKey
>>> eps = pd.DataFrame({"episode_id": [f"e{i}" for i in range(6)], "client_id": [f"c{i}" for i in range(6)],
...     "start_date": pd.to_datetime(["2024-01-10"] * 6), "sex": ["female"] * 6, "birth_year": [1990] * 6,
...     "consent_research": [True] * 5 + [False]})
>>> ms = pd.DataFrame({"client_id": [f"c{i}" for i in range(6)], "episode_id": [f"e{i}" for i in range(6)],
...     "instrument": ["scl90_nl"] * 6, "date": pd.to_datetime(["2024-01-03"] * 6), "item_1": [2.0] * 6})
>>> ds = build_research_dataset(eps, ms, key=PseudonymKey(bytes(32)), quasi_identifiers=["age_band", "sex"])
>>> ds.tables["episodes"].columns.tolist()
['client_pseudonym', 'episode_pseudonym', 'start_year', 'age_band', 'sex']
>>> ds.k_report.quasi_identifiers
('age_band', 'sex', 'start_year')
>>> ds.tables["measurements"][["instrument", "day", "item_1"]].iloc[0].to_dict()
{'instrument': 'scl90_nl', 'day': -7, 'item_1': 2.0}
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from effectstudy import __version__, instruments
from effectstudy.core.codes import CodeList, effective_codes, free_text_problem
from effectstudy.core.errors import (
    ArgumentError,
    ArgumentTypeError,
    DataError,
    EffectstudyError,
    ProvisionalKeyWarning,
)
from effectstudy.core.files import sha256_file as _sha256
from effectstudy.core.schema import CARE_TYPES, END_REASONS, ITEM_PATTERN, item_columns
from effectstudy.data.consent import filter_consent, restrict_to_episodes
from effectstudy.instruments.scoring import KEY_COLUMNS, score
from effectstudy.privacy import audit_log
from effectstudy.privacy.pseudonyms import PseudonymKey, age_bands, pseudonymise, relative_days

__all__ = [
    "MISSING_CODE",
    "DEFAULT_QUASI_IDENTIFIERS",
    "Variable",
    "VARIABLES",
    "ROLES",
    "quasi_identifiers_of",
    "code_export_column",
    "KAnonymityError",
    "KAnonymityReport",
    "ResearchDataset",
    "build_research_dataset",
    "ColumnsUnavailableError",
    "SCORE_VARIABLES",
    "SCORE_WITH_PACKAGE",
    "requests_scores",
    "scoring_problem",
    "score_measurements",
    "unavailable_columns",
    "check_k_anonymity",
    "check_value_anonymity",
    "codebook",
    "write_research_export",
    "verify_release",
]

#: user-missing code declared in .sav files for every numeric variable
MISSING_CODE = -999
DEFAULT_QUASI_IDENTIFIERS = ("age_band", "sex", "start_year", "diagnosis", "treatment")
FORMATS = ("sav", "csv", "xlsx", "md")

Measure = Literal["nominal", "ordinal", "scale"]
Role = Literal["pseudonym", "quasi_identifier", "outcome"]
#: the roles of exported variables: what k-anonymity checks (everything that is not an outcome
#: or a pseudonym is a quasi-identifier)
ROLES: tuple[str, ...] = ("pseudonym", "quasi_identifier", "outcome")


@dataclass(frozen=True)
class Variable:
    """Metadata of one exported variable: the single source for .sav, CSV and codebook."""

    name: str
    table: str
    label_nl: str
    label_en: str
    kind: Literal["numeric", "string"]
    measure: Measure
    #: SPSS print/write format (``F8.0``, ``F8.2``, ``A16``)
    spss_format: str
    value_labels: dict[int, str] | None = None
    derivation: str = ""
    #: pseudonym, quasi_identifier (checked for k-anonymity) or outcome; the codebook gives the reason
    role: Role = "quasi_identifier"
    role_reason: str = ""
    #: the code list (``effectstudy.core.codes``) the values come from; ``None``: not input text
    code_column: str | None = None

    def label(self, lang: str = "nl") -> str:
        return self.label_nl if lang == "nl" else self.label_en


def _codes(values: Sequence[str]) -> dict[int, str]:
    return {i + 1: v for i, v in enumerate(values)}


_PSEUDO = "HMAC-SHA256 with the release key, first 16 hex characters (64 bits)"
_VARS: list[Variable] = []
for _t in ("episodes", "measurements", "scores"):
    _VARS += [
        Variable("client_pseudonym", _t, "Cliëntpseudoniem (alleen binnen deze levering)",
                 "Client pseudonym (valid within this release only)", "string", "nominal", "A16", derivation=_PSEUDO),
        Variable("episode_pseudonym", _t, "Behandelepisodepseudoniem (alleen binnen deze levering)",
                 "Episode pseudonym (valid within this release only)", "string", "nominal", "A16", derivation=_PSEUDO),
    ]
_VARS += [
    Variable("start_year", "episodes", "Startjaar van de episode", "Year the episode started", "numeric", "ordinal", "F4.0",
             derivation="year of start_date"),
    Variable("duration_days", "episodes", "Duur van de episode in dagen (leeg: nog open)",
             "Episode length in days (empty: still open)", "numeric", "scale", "F5.0",
             derivation="end_date - start_date in days"),
    Variable("sessions", "episodes", "Aantal sessies", "Number of sessions", "numeric", "scale", "F4.0"),
    Variable("care_type", "episodes", "Zorgsoort", "Type of care", "numeric", "nominal", "F4.0",
             value_labels=_codes(CARE_TYPES)),
    Variable("end_reason", "episodes", "Reden van afsluiten", "Reason the episode ended", "numeric", "nominal", "F4.0",
             value_labels=_codes(END_REASONS)),
    Variable("diagnosis", "episodes", "Diagnosegroep (hoofdcategorie)", "Diagnosis group (main category)", "string",
             "nominal", "A40"),
    Variable("treatment", "episodes", "Behandelvorm", "Treatment type", "string", "nominal", "A40"),
    Variable("age_band", "episodes", "Leeftijdsklasse bij start (ondergrens)", "Age band at start (lower bound)",
             "numeric", "ordinal", "F4.0", derivation="start year - birth year, in bands; top band open"),
    Variable("sex", "episodes", "Geslacht", "Sex", "string", "nominal", "A8"),
    Variable("instrument", "measurements", "Vragenlijst (registercode)", "Questionnaire (registry id)", "string",
             "nominal", "A20"),
    Variable("day", "measurements", "Dag van afname t.o.v. start episode (start = 0)",
             "Day of administration relative to episode start (start = 0)", "numeric", "scale", "F5.0",
             derivation="date - episode start_date in days"),
    Variable("session", "measurements", "Sessienummer bij afname", "Session number at administration", "numeric",
             "scale", "F4.0"),
    Variable("occasion", "measurements", "Meetmoment", "Measurement occasion", "string", "nominal", "A10"),
    Variable("instrument", "scores", "Vragenlijst (registercode)", "Questionnaire (registry id)", "string", "nominal", "A20"),
    Variable("day", "scores", "Dag van afname t.o.v. start episode (start = 0)",
             "Day of administration relative to episode start (start = 0)", "numeric", "scale", "F5.0",
             derivation="date - episode start_date in days"),
    Variable("scale", "scores", "Schaal", "Scale", "string", "nominal", "A20"),
    Variable("score", "scores", "Schaalscore", "Scale score", "numeric", "scale", "F8.2"),
    Variable("n_answered", "scores", "Aantal beantwoorde items", "Items answered", "numeric", "scale", "F4.0"),
    Variable("prorated", "scores", "Score geëxtrapoleerd (prorated)", "Score prorated", "numeric", "nominal", "F4.0",
             value_labels={0: "no", 1: "yes"}),
]
_R_PSEUDO = ("pseudonym", "keyed HMAC pseudonym, new per release: links rows, names no one without the key "
             "(SEC-P3)")
_R_QI = "an outsider may know it about a client (SEC-P7): checked for k-anonymity"
_R_QI_MEAS = ("describes the administration; each value must be held by at least k clients, so a rare "
              "code cannot single a client out")
_R_LENGTH = ("treatment length: an outcome of the course studies, rarely known exactly to an outsider; "
             "add it to quasi_identifiers to check it")
_R_TIMING = "timing of an outcome measurement relative to the episode start (SEC-P6), not a trait of the client"
_R_OUTCOME = "measured outcome: what the release is for"
_ROLE_OF: dict[str, tuple[Role, str]] = {
    "client_pseudonym": _R_PSEUDO, "episode_pseudonym": _R_PSEUDO,
    **{n: ("quasi_identifier", _R_QI) for n in ("start_year", "care_type", "end_reason", "diagnosis", "treatment",
                                                "age_band", "sex")},
    **{n: ("quasi_identifier", _R_QI_MEAS) for n in ("instrument", "occasion", "scale")},
    "duration_days": ("outcome", _R_LENGTH), "sessions": ("outcome", _R_LENGTH),
    "day": ("outcome", _R_TIMING), "session": ("outcome", _R_TIMING),
    **{n: ("outcome", _R_OUTCOME) for n in ("score", "n_answered", "prorated")},
}
_CODED_BY = {n: n for n in ("care_type", "end_reason", "diagnosis", "treatment", "sex", "occasion")}
_VARS = [replace(v, role=_ROLE_OF[v.name][0], role_reason=_ROLE_OF[v.name][1], code_column=_CODED_BY.get(v.name))
         for v in _VARS]
#: every variable a research export can contain, keyed by (table, name); items are added per export
VARIABLES: dict[tuple[str, str], Variable] = {(v.table, v.name): v for v in _VARS}
_ITEM_PATTERN = "item_*"


def _item_variable(name: str) -> Variable:
    n = name.split("_", 1)[1]
    return Variable(name, "measurements", f"Item {n} (ruwe antwoordcode)", f"Item {n} (raw response code)",
                    "numeric", "ordinal", "F4.0", role="outcome", role_reason=_R_OUTCOME)


class KAnonymityError(EffectstudyError, ValueError):
    """The export would contain quasi-identifier combinations shared by fewer than k clients.

    ``report`` (:class:`KAnonymityReport`) holds the rare combinations and the coarsening advice.
    """

    def __init__(self, message: str, report: KAnonymityReport) -> None:
        self.report = report
        super().__init__(message)


@dataclass(frozen=True)
class KAnonymityReport:
    """Outcome of :func:`check_k_anonymity`."""

    k: int
    quasi_identifiers: tuple[str, ...]
    smallest_class: int
    rare: pd.DataFrame
    advice: tuple[str, ...]
    #: values of measurement-level quasi-identifiers held by fewer than k clients: ``table``,
    #: ``variable``, ``value``, ``clients`` (see :func:`check_value_anonymity`)
    rare_values: pd.DataFrame | None = None

    @property
    def ok(self) -> bool:
        return self.rare.empty and (self.rare_values is None or self.rare_values.empty)

    def message(self, max_rows: int = 15) -> str:
        qi = ", ".join(self.quasi_identifiers)
        if self.ok:
            return f"k-anonymity OK: every combination of {qi} occurs for at least {self.k} clients (smallest: {self.smallest_class})"
        lines = []
        if not self.rare.empty:
            n_clients = int(self.rare["clients"].sum())
            lines.append(f"k-anonymity check failed (k = {self.k}): {len(self.rare)} combination(s) of {qi} occur for "
                         f"fewer than {self.k} clients ({n_clients} clients involved); nothing was written:")
            for r in self.rare.head(max_rows).to_dict("records"):
                combo = ", ".join(f"{q}={_show(r[q])}" for q in self.quasi_identifiers)
                lines.append(f"  {combo}: {r['clients']} client(s)")
            if len(self.rare) > max_rows:
                lines.append(f"  ... and {len(self.rare) - max_rows} more")
        if self.rare_values is not None and not self.rare_values.empty:
            lines.append(f"k-anonymity check failed (k = {self.k}): {len(self.rare_values)} value(s) of measurement "
                         f"variables are held by fewer than {self.k} clients; nothing was written:")
            for r in self.rare_values.head(max_rows).to_dict("records"):
                lines.append(f"  {r['table']}.{r['variable']}={_show(r['value'])}: {r['clients']} client(s)")
            lines.append("  - merge these codes with others in the source data, or leave the variable out (columns)")
        if self.advice:
            lines.append("Coarsen before release:")
            lines += [f"  - {a}" for a in self.advice]
        return "\n".join(lines)


def _show(v: Any) -> str:
    return "(missing)" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def check_k_anonymity(
    episodes: pd.DataFrame,
    quasi_identifiers: Sequence[str],
    *,
    k: int = 5,
    subject: str = "client_pseudonym",
    age_band_width: int | None = None,
) -> KAnonymityReport:
    """Find quasi-identifier combinations that occur for fewer than ``k`` distinct subjects.

    Missing values form their own category.  Advice: for each quasi-identifier, how many rare
    combinations would remain if it were left out, and (for ``age_band``) if the bands were
    twice as wide; the options are listed best first.

    Raises
    ------
    ArgumentError
        ``k < 2`` or a quasi-identifier that is not a column.
    """
    if not isinstance(k, int) or isinstance(k, bool) or k < 2:
        raise ArgumentError("k", k, "a whole number >= 2")
    qis = list(quasi_identifiers)
    for q in qis:
        if q not in episodes.columns:
            raise ArgumentError("quasi_identifiers", q, f"exported columns ({', '.join(map(str, episodes.columns))})")
    if not qis:
        return KAnonymityReport(k, (), int(episodes[subject].nunique()), pd.DataFrame(columns=["clients"]), ())

    def rare_of(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
        if not cols:
            n = frame[subject].nunique()
            return pd.DataFrame({"clients": [n]}) if 0 < n < k else pd.DataFrame(columns=["clients"])
        g = frame.groupby(cols, dropna=False, observed=True)[subject].nunique().rename("clients").reset_index()
        return g.loc[g["clients"] < k]

    g = episodes.groupby(qis, dropna=False, observed=True)[subject].nunique()
    smallest = int(g.min()) if len(g) else 0
    rare = rare_of(episodes, qis).sort_values("clients", kind="stable").reset_index(drop=True)
    advice: list[tuple[int, str]] = []
    if not rare.empty:
        for q in qis:
            left = len(rare_of(episodes, [c for c in qis if c != q]))
            advice.append((left, f"leave out {q!r} (columns): {left} rare combination(s) would remain"))
        if "age_band" in qis and age_band_width:
            wider = episodes.assign(age_band=(episodes["age_band"] // (2 * age_band_width)) * (2 * age_band_width))
            left = len(rare_of(wider, qis))
            advice.append((left, f"widen age bands to {2 * age_band_width} years (age_band_width: {2 * age_band_width}): "
                                 f"{left} rare combination(s) would remain"))
        advice.sort(key=lambda t: t[0])
        plan = _greedy_plan(episodes, qis, rare_of)
        if plan:
            advice.insert(0, (0, "plan that reaches k: " + "; then ".join(plan)))
        # single values that are rare on their own can only pass when merged with others
        for q in qis:
            n = episodes.groupby(q, dropna=False, observed=True)[subject].nunique()
            small = n[n < k]
            if len(small):
                vals = ", ".join(f"{_show(v)} ({c} client(s))" for v, c in small.items())
                advice.append((0, f"merge rare categories of {q!r} in the source data: {vals}"))
    return KAnonymityReport(k, tuple(qis), smallest, rare, tuple(a for _, a in advice))


def check_value_anonymity(tables: dict[str, pd.DataFrame], variables: dict[str, list[Variable]], *, k: int = 5,
                          subject: str = "client_pseudonym") -> pd.DataFrame:
    """Values of measurement-level quasi-identifiers (role ``quasi_identifier`` outside the episodes
    table: ``instrument``, ``occasion``, ``scale``) held by fewer than ``k`` distinct clients.

    A client has many measurements, so these are not combined with the episode's quasi-identifiers;
    each value on its own must be common (a rare occasion code would single a client out).
    Missing values are not counted.  Returns ``table``, ``variable``, ``value``, ``clients``.
    """
    rows = []
    for name, vars_ in variables.items():
        t = tables[name]
        if name == "episodes" or subject not in t.columns:
            continue
        for v in vars_:
            if v.role != "quasi_identifier":
                continue
            n = t.groupby(v.name, dropna=True, observed=True)[subject].nunique()
            rows += [{"table": name, "variable": v.name, "value": val, "clients": int(c)} for val, c in n[n < k].items()]
    return pd.DataFrame(rows, columns=["table", "variable", "value", "clients"])


def quasi_identifiers_of(variables: Sequence[Variable], requested: Sequence[str] = ()) -> list[str]:
    """The episode-level columns checked for k-anonymity: the ``requested`` ones (the params'
    ``quasi_identifiers``, which may add an outcome such as ``sessions``) that are exported, then every
    other exported variable with role ``quasi_identifier``.  Requested names cannot remove one.
    Pseudonyms are never quasi-identifiers (they are unique by design)."""
    names = [v.name for v in variables if v.role != "pseudonym"]
    first = [q for q in dict.fromkeys(requested) if q in names]
    return first + [v.name for v in variables if v.role == "quasi_identifier" and v.name not in first]


def _greedy_plan(episodes: pd.DataFrame, qis: list[str], rare_of) -> list[str]:
    """Leave out, one at a time, the quasi-identifier whose removal leaves the fewest rare
    combinations, until none is left; the steps as text (empty when no plan is needed)."""
    cols, steps = list(qis), []
    while cols:
        options = [(len(rare_of(episodes, [c for c in cols if c != q])), q) for q in cols]
        left, q = min(options)
        cols.remove(q)
        steps.append(f"leave out {q!r} ({left} left)")
        if left == 0:
            return steps
    return steps


@dataclass(frozen=True)
class ResearchDataset:
    """Pseudonymised research tables plus their metadata and the data flow."""

    tables: dict[str, pd.DataFrame]
    variables: dict[str, list[Variable]]
    flow: pd.DataFrame
    k_report: KAnonymityReport
    key_fingerprint: str
    meta: dict[str, Any] = field(default_factory=dict)


def _allowed(columns: Sequence[str] | None,
             codes: dict[str, CodeList | None] | None = None) -> set[tuple[str, str]] | None:
    """Resolve the allow-list (names, ``table.name`` or ``item_*``) to (table, name) pairs.

    Free text is refused with a clear error (SEC-P5: free-text fields are never exported): a text
    column of the input that is not an exportable variable (``therapist``, ``client_id``, notes), and
    a coded variable whose column is declared ``free_text`` in ``data.codes``.
    """
    if columns is None:
        return None
    codes = effective_codes() if codes is None else codes
    names = {v.name for v in VARIABLES.values()}
    out: set[tuple[str, str]] = set()
    for c in columns:
        name = c.rpartition(".")[2]
        if name not in names and not _is_item(name):
            if free_text_problem("columns", name, codes) is not None or name in codes:
                raise ArgumentError("columns", c, f"no free text or identifier: {name!r} is free text or an id of "
                                    "the input and is never exported (SEC-P5, SEC-P7); exportable variables: "
                                    f"{', '.join(sorted(names))}")
            raise ArgumentError("columns", c, f"exportable variables: {', '.join(sorted(names))}, item_* or item_<n>")
        for key in _requested(c):
            col = VARIABLES[key].code_column if key in VARIABLES else None
            if col is not None and codes.get(col) is None:
                raise ArgumentError("columns", c, f"a column with a code list: {col!r} is declared free text "
                                    f"(data.codes.{col}: free_text), and free text is never exported (SEC-P5); "
                                    f"declare its codes under data.codes.{col} or leave it out of export.columns")
            out.add(key)
    return out


def code_export_column(values: pd.Series, code_list: CodeList | None) -> tuple[pd.Series | None, np.ndarray]:
    """``values`` mapped onto ``code_list`` (missing where uncoded) and the uncoded mask; ``None``
    for a free-text column (no list), which is never exported.  Data read with
    :func:`effectstudy.data.io.read_study` are coded already; other sources (the store, Python
    callers) are coded here, so the export carries only declared codes whatever its input."""
    if code_list is None:
        return None, np.zeros(len(values), dtype=bool)
    coded, uncoded = code_list.match(values.astype("str"))
    return coded.astype("string"), uncoded


def _keep(allowed: set[tuple[str, str]] | None, table: str, name: str) -> bool:
    if allowed is None:
        return True
    if (table, name) in allowed:
        return True
    return table == "measurements" and name.startswith("item_") and ("measurements", _ITEM_PATTERN) in allowed


def _coded(s: pd.Series, labels: dict[int, str], column: str) -> pd.Series:
    inverse = {v: k for k, v in labels.items()}
    text = s.astype("string")
    bad = text.notna() & ~text.isin(list(inverse))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy(dtype=bool))[0])
        raise DataError("unknown category", row=s.index[i], column=column, value=text.iloc[i],
                        expected=", ".join(inverse))
    return text.map(inverse).astype("Int64")


def build_research_dataset(
    episodes: pd.DataFrame,
    measurements: pd.DataFrame | None = None,
    *,
    key: PseudonymKey,
    scores: pd.DataFrame | Literal["score"] | None = None,
    columns: Sequence[str] | None = None,
    quasi_identifiers: Sequence[str] = DEFAULT_QUASI_IDENTIFIERS,
    k: int = 5,
    age_band_width: int = 5,
    age_top: int = 80,
    withdrawn: Iterable[str] | None = None,
    enforce_k: bool = True,
    codes: dict[str, CodeList | None] | None = None,
) -> ResearchDataset:
    """Build the pseudonymised research tables (no files are written).

    Parameters
    ----------
    episodes, measurements, scores : DataFrame
        Canonical tables (:mod:`effectstudy.core.schema`); extra columns are ignored.
        ``scores="score"`` (:data:`SCORE_WITH_PACKAGE`): score the consenting measurements
        with the package (:func:`score_measurements`: ``effectstudy.score`` with each
        instrument's registered key, as the effect study does); the keys used go into the
        codebook and ``meta["scoring"]``.
    key : PseudonymKey
        The release key: a new key per release (``effectstudy keygen``).
    columns : list of str, optional
        Allow-list of output variables (names from :data:`VARIABLES`, optionally as
        ``table.name``; ``item_*`` for all items).  Default: every variable the data give
        (those they cannot give are listed in ``meta["not_available"]``).  A listed column
        the data cannot give is an error, never left out.
    quasi_identifiers : list of str
        Episode-level variables checked for k-anonymity besides every exported variable with role
        ``quasi_identifier`` (they add, never remove; see :func:`quasi_identifiers_of`); those not
        exported are skipped.  Measurement-level quasi-identifiers are checked value by value
        (:func:`check_value_anonymity`).
    k : int
        Minimum number of clients per quasi-identifier combination (default 5).
    age_band_width, age_top : int
        Age bands of ``age_band_width`` years, top-coded at ``age_top``.
    withdrawn : client ids, optional
        Clients who withdrew consent.
    enforce_k : bool
        Raise :class:`KAnonymityError` when the check fails (default).
    codes : dict, optional
        Code lists (``DataSpec.code_lists()``; default the package's): text columns carry only
        declared codes (uncoded -> missing, counted in the flow as ``uncoded_value:<column>``);
        a free-text column is never exported and is an error in ``columns``.

    Raises
    ------
    ColumnsUnavailableError
        A column in ``columns`` that the data given cannot produce (no input column, no
        measurements, no scores or measurements that cannot be scored): says why and what to do.
    KAnonymityError
        Rare quasi-identifier combinations; the message lists them with advice.
    DataError
        A value equal to the missing code, an unknown category, a missing id.
    """
    if not isinstance(key, PseudonymKey):
        raise ArgumentTypeError("key", key, "a PseudonymKey (see effectstudy.privacy.pseudonyms.load_key)")
    if isinstance(scores, str) and scores != SCORE_WITH_PACKAGE:
        raise ArgumentError("scores", scores, f"a DataFrame of scores, None or {SCORE_WITH_PACKAGE!r} (score the measurements)")
    codes = effective_codes() if codes is None else codes
    allowed = _allowed(columns, codes)
    uncoded: list[dict[str, Any]] = []

    def coded(table: str, col: str, values: pd.Series, clients: pd.Series) -> pd.Series | None:
        out, bad = code_export_column(values, codes.get(col))
        if bad.any():
            uncoded.append({"table": table, "reason": f"uncoded_value:{col}", "rows": int(bad.sum()),
                            "clients": int(clients[bad].nunique())})
        return out

    for col in ("episode_id", "client_id", "start_date"):
        if col not in episodes.columns:
            raise DataError("required column is missing", column=col, expected="canonical episodes")
    kept, consent_counts = filter_consent(episodes, "research", withdrawn=withdrawn)
    flow = [consent_counts.assign(table="episodes").rename(columns={"episodes": "rows"})[["table", "reason", "rows", "clients"]]]
    ep = kept.reset_index(drop=True)
    start = pd.to_datetime(ep["start_date"])
    cp = pseudonymise(ep["client_id"], key, domain="client", name="client_id")
    epp = pseudonymise(ep["episode_id"], key, domain="episode", name="episode_id")
    out_e: dict[str, Any] = {"client_pseudonym": cp, "episode_pseudonym": epp, "start_year": start.dt.year.astype("Int64")}
    if "end_date" in ep.columns:
        out_e["duration_days"] = relative_days(ep["end_date"], start)
    if "sessions" in ep.columns:
        out_e["sessions"] = pd.to_numeric(ep["sessions"]).astype("Int64")
    for col in ("care_type", "end_reason"):
        if col in ep.columns:
            out_e[col] = _coded(ep[col], VARIABLES[("episodes", col)].value_labels or {}, col)
    for col in ("diagnosis", "treatment"):
        if col in ep.columns and (c := coded("episodes", col, ep[col], ep["client_id"])) is not None:
            out_e[col] = c
    if "birth_year" in ep.columns:
        age = start.dt.year - pd.to_numeric(ep["birth_year"])
        out_e["age_band"] = age_bands(age, width=age_band_width, top=age_top)
    if "sex" in ep.columns and (c := coded("episodes", "sex", ep["sex"], ep["client_id"])) is not None:
        out_e["sex"] = c
    e_tab = pd.DataFrame(out_e)
    e_tab = e_tab[[c for c in e_tab.columns if _keep(allowed, "episodes", c)]]
    tables = {"episodes": e_tab}
    ep_start = pd.Series(start.to_numpy(), index=pd.Index(ep["episode_id"].astype("string")))
    ep_client = pd.Series(ep["client_id"].astype("string").to_numpy(), index=ep_start.index)

    def long_table(name: str, df: pd.DataFrame) -> pd.DataFrame:
        for col in ("client_id", "date"):
            if col not in df.columns:
                raise DataError(f"required column is missing in {name}", column=col, expected=f"canonical {name}")
        rows, counts = restrict_to_episodes(df, kept, episodes)
        rows = rows.reset_index(drop=True)
        eid = rows["episode_id"].astype("string") if "episode_id" in rows.columns else pd.Series(pd.NA, index=rows.index, dtype="string")
        # rows without an episode: the client's only kept episode, if exactly one
        n_eps = ep_client.value_counts()
        single = ep_client[ep_client.isin(n_eps.index[n_eps == 1])]
        one = pd.Series(single.index.to_numpy(), index=pd.Index(single.to_numpy()), dtype="string")
        fill = rows["client_id"].astype("string").map(one)
        eid = eid.fillna(fill.astype("string"))
        no_episode = eid.isna().to_numpy(dtype=bool)
        c = counts.set_index("reason")["rows"]
        c_cl = counts.set_index("reason")["clients"]
        flow.append(pd.DataFrame({
            "table": name,
            "reason": ["read", "excluded_no_consenting_episode", "excluded_episode_ambiguous", "used"],
            "rows": [int(c["read"]), int(c["excluded_no_consenting_episode"]), int(no_episode.sum()),
                     int(c["used"]) - int(no_episode.sum())],
            "clients": [int(c_cl["read"]), int(c_cl["excluded_no_consenting_episode"]),
                        int(rows.loc[no_episode, "client_id"].nunique()), int(rows.loc[~no_episode, "client_id"].nunique())],
        }))
        rows, eid = rows.loc[~no_episode].reset_index(drop=True), eid[~no_episode].reset_index(drop=True)
        o: dict[str, Any] = {
            "client_pseudonym": pseudonymise(rows["client_id"], key, domain="client", name="client_id"),
            "episode_pseudonym": pseudonymise(eid, key, domain="episode", name="episode_id"),
        }
        if "instrument" in rows.columns:
            o["instrument"] = rows["instrument"].astype("string")
        o["day"] = relative_days(pd.to_datetime(rows["date"]).reset_index(drop=True),
                                 pd.Series(ep_start.reindex(eid.to_numpy()).to_numpy()))
        if name == "measurements" and "session" in rows.columns:
            o["session"] = pd.to_numeric(rows["session"]).astype("Int64")
        if name == "measurements":
            if "occasion" in rows.columns and (c := coded(name, "occasion", rows["occasion"],
                                                           rows["client_id"])) is not None:
                o["occasion"] = c
            for it in item_columns(rows.columns):
                o[it] = pd.to_numeric(rows[it]).astype("float64")
        else:
            if "scale" in rows.columns:
                o["scale"] = rows["scale"].astype("string")
            for col in ("score", "n_answered"):
                if col in rows.columns:
                    o[col] = pd.to_numeric(rows[col])
            if "prorated" in rows.columns:
                o["prorated"] = rows["prorated"].astype("boolean").astype("Int64")
        t = pd.DataFrame(o)
        full[name] = t  # with the pseudonyms, for the value check of k-anonymity
        return t[[c for c in t.columns if _keep(allowed, name, c)]]

    full: dict[str, pd.DataFrame] = {}
    score_meta: dict[str, dict[str, Any]] = {}
    no_scores = "none were given"
    if isinstance(scores, str):
        scores, score_meta, no_scores = _package_scores(measurements, kept, episodes)
    if measurements is not None:
        tables["measurements"] = long_table("measurements", measurements)
    if scores is not None:
        tables["scores"] = long_table("scores", scores)
    if uncoded:
        flow.append(pd.DataFrame(uncoded, columns=["table", "reason", "rows", "clients"]))
    variables = {name: [VARIABLES.get((name, c)) or _item_variable(c) for c in t.columns] for name, t in tables.items()}
    if score_meta:
        variables["scores"] = _scored_variables(variables["scores"], score_meta)
    sources = {"episodes": episodes, "measurements": measurements, "scores": scores}
    not_available = unavailable_columns(sorted({n for _, n in VARIABLES}) if columns is None else columns, tables, sources, no_scores)
    if columns is not None and not_available:
        raise ColumnsUnavailableError(not_available)
    qis = quasi_identifiers_of(variables["episodes"], quasi_identifiers)
    subject = "client_pseudonym"
    kframe = e_tab if subject in e_tab.columns else e_tab.assign(client_pseudonym=cp)
    k_report = check_k_anonymity(kframe, qis, k=k, age_band_width=age_band_width)
    rare_values = check_value_anonymity({n: full[n] for n in full}, {n: variables[n] for n in full}, k=k)
    k_report = replace(k_report, rare_values=rare_values)
    if enforce_k and not k_report.ok:
        raise KAnonymityError(k_report.message(), k_report)
    meta = {
        "k": k, "quasi_identifiers": qis, "quasi_identifiers_requested": list(quasi_identifiers),
        "quasi_identifiers_not_exported": [q for q in quasi_identifiers if q not in qis],
        "values_checked": [f"{n}.{v.name}" for n in full for v in variables[n] if v.role == "quasi_identifier"],
        "free_text_not_exported": [c for c in ("diagnosis", "treatment", "sex", "occasion") if codes.get(c) is None],
        "age_band_width": age_band_width, "age_top": age_top, "missing_code": MISSING_CODE,
        "pseudonymisation": "HMAC-SHA256, 64-bit pseudonyms, key per release",
        "status": "gepseudonimiseerd (pseudonymised personal data)",
        "scoring": score_meta, "not_available": [{"column": c, "why": w} for c, w, _ in not_available],
    }
    return ResearchDataset(tables, variables, pd.concat(flow, ignore_index=True), k_report, key.fingerprint, meta)


# ------------------------------------------------------------------------------ what the sources can give
#: variables only the ``scores`` table holds: asking for one of them asks for scores
SCORE_VARIABLES = ("scale", "score", "n_answered", "prorated")
#: input column each exported variable is derived from (the table's own name when not listed)
_INPUT_COLUMN = {"duration_days": "end_date", "age_band": "birth_year"}
#: ``scores=SCORE_WITH_PACKAGE``: score the consenting measurements with :func:`effectstudy.score`
SCORE_WITH_PACKAGE = "score"


class ColumnsUnavailableError(EffectstudyError, ValueError):
    """Requested export columns that the given data cannot produce (never left out silently).

    ``problems`` lists ``(column, why, what_to_do)``; :meth:`message` renders them under the
    name of the setting (``columns`` for the function, ``export.columns`` in a params file).
    """

    def __init__(self, problems: Sequence[tuple[str, str, str]], key: str = "columns") -> None:
        self.problems = tuple(problems)
        super().__init__(self.message(key))

    def message(self, key: str = "columns") -> str:
        lines = [f"{key}: {len(self.problems)} requested column(s) cannot be produced from the data given; "
                 "nothing was written:"]
        lines += [f"  - {c!r}: {why}; {todo}" for c, why, todo in self.problems]
        return "\n".join(lines)


def _is_item(name: str) -> bool:
    """``item_*`` (every item) or one item column ``item_<n>``."""
    return name == _ITEM_PATTERN or re.fullmatch(ITEM_PATTERN, name) is not None


def _requested(entry: str) -> set[tuple[str, str]]:
    """The (table, name) pairs one allow-list entry (``name``, ``table.name``, ``item_*``) asks for;
    the one resolution of an entry (:func:`_allowed`, :func:`requests_scores`, :func:`unavailable_columns`)."""
    table, _, name = entry.rpartition(".")
    if _is_item(name):
        return {("measurements", name)}
    return {(t, n) for (t, n) in VARIABLES if n == name and (not table or t == table)}


def requests_scores(columns: Sequence[str] | None) -> bool:
    """Whether an allow-list asks for the ``scores`` table (``None``: every variable, so yes).

    An entry asks for scores when every table it names is ``scores``: ``score``, ``scale``,
    ``n_answered``, ``prorated`` or ``scores.<name>``; ``instrument`` and ``day`` alone are
    served by the measurements.

    >>> requests_scores(["client_pseudonym", "day"]), requests_scores(["day", "score"]), requests_scores(None)
    (False, True, True)
    """
    if columns is None:
        return True
    return any((pairs := _requested(c)) and all(t == "scores" for t, _ in pairs) for c in columns)


def scoring_problem(measurements: pd.DataFrame | None) -> str | None:
    """Why the package cannot score ``measurements`` (``None`` when it can).

    Scoring needs an ``instrument`` column whose every id has a key in the instrument registry
    (:func:`effectstudy.instruments.available`, including keys registered with
    ``instruments.load(path, register=True)``) and, per instrument, the columns of all scored items.
    """
    if measurements is None:
        return "no measurements were given to score"
    if "instrument" not in measurements.columns:
        return "the measurements have no 'instrument' column, so no scoring key can be chosen"
    ids = [str(i) for i in pd.unique(measurements["instrument"].dropna())]
    unknown = sorted(set(ids) - set(instruments.available()))
    if unknown:
        return (f"instrument(s) {', '.join(map(repr, unknown))} have no scoring key in the registry "
                f"(known: {', '.join(instruments.available())})")
    present = set(item_columns(measurements.columns))
    for iid in sorted(ids):
        inst = instruments.get(iid)
        if inst.scale_level:  # e.g. the shipped SQ-48: scale sizes and ranges, no item key
            return instruments.no_key_message(inst, "scoring its item columns")
        lacking = [f"item_{i}" for i in inst.scored_items if f"item_{i}" not in present]
        if lacking:
            return (f"the measurements lack {len(lacking)} item column(s) of {iid} "
                    f"({', '.join(lacking[:3])}{' ...' if len(lacking) > 3 else ''}) needed to score it")
    return None


def score_measurements(measurements: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, dict[str, Any]]]:
    """Score every administration with its instrument's registered key, as the effect study does.

    One call of :func:`effectstudy.instruments.scoring.score` (the function ``Study.scores``
    uses: same keys, prorating and ``n_answered``) per instrument id in ``measurements``.

    Returns
    -------
    scores : DataFrame
        Long scores of all instruments (the measurement's key columns, ``scale``, ``score``,
        ``n_answered``, ``prorated``, ``reason``), instruments in id order.
    meta : dict
        Per instrument id: ``version``, ``key_status``, ``provisional_scales``, ``n_scores``,
        ``n_prorated``, ``n_missing`` (from the scoring result's ``meta``).

    Raises
    ------
    ArgumentError
        The measurements cannot be scored (:func:`scoring_problem` says why).
    DataError
        An item code outside the instrument's range (from scoring).
    """
    problem = scoring_problem(measurements)
    if problem is not None:
        raise ArgumentError("measurements", "measurements", f"measurements the package can score: {problem}")
    parts, meta = [], {}
    for iid in sorted(str(i) for i in pd.unique(measurements["instrument"].dropna())):
        with warnings.catch_warnings():
            # a provisional key is stated in the codebook (derivation of 'score') and the release meta
            warnings.simplefilter("ignore", ProvisionalKeyWarning)
            res = score(measurements, instrument=iid)
        m = res.meta
        meta[iid] = {"version": m["instrument_version"], "key_status": m["key_status"],
                     "provisional_scales": list(m["provisional_scales"]), "n_scores": m["n_scores"],
                     "n_prorated": m["n_prorated"], "n_missing": dict(m["n_missing"])}
        parts.append(res.scores.assign(instrument=iid, scale=res.scores["scale"].astype("string")))
    if not parts:
        cols = [c for c in KEY_COLUMNS if c in measurements.columns] + ["scale", "score", "n_answered", "prorated"]
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols}), meta
    return pd.concat(parts, ignore_index=True), meta


def _missing_reason(table: str, name: str, sources: dict[str, pd.DataFrame | None], no_scores: str) -> tuple[str, str]:
    """Why ``table.name`` was not produced and what to do, from the input the build was given."""
    src = sources.get(table)
    if src is None:
        if table == "scores":
            return (f"no scores: {no_scores}",
                    "give the item columns of an instrument in the registry (a practice's own key: "
                    "export.instrument_files in the params, instruments.load(path, register=True) in Python)")
        return f"no {table} were given", f"give the {table} (data.{table} in the params)"
    inp = _INPUT_COLUMN.get(name, name)
    return (f"the {table} input has no column {inp!r}",
            f"add {inp!r} to the {table} export (or map it in the params' data: section)")


def unavailable_columns(columns: Sequence[str] | None, tables: dict[str, pd.DataFrame],
                        sources: dict[str, pd.DataFrame | None], no_scores: str = "none were given",
                        ) -> list[tuple[str, str, str]]:
    """The allow-list entries none of whose variables is in ``tables``: ``(column, why, what_to_do)``.

    ``sources`` maps each table name to the input it was built from (``None``: not given), so
    the reason names the missing input column or table; ``no_scores`` says why there are no
    scores.  ``columns=None`` (every variable) asks for nothing in particular: empty list.
    """
    if columns is None:
        return []
    out = []
    for c in columns:
        pairs = sorted(_requested(c))
        if not pairs:
            continue  # not a variable at all: refused by the allow-list itself
        if any(n in tables[t].columns or (n == _ITEM_PATTERN and item_columns(tables[t].columns))
               for t, n in pairs if t in tables):
            continue
        why, todo = _missing_reason(*pairs[0], sources, no_scores)
        out.append((c, why, f"{todo}, or remove {c!r} from the list"))
    return out


def _package_scores(measurements: pd.DataFrame | None, kept: pd.DataFrame, episodes: pd.DataFrame,
                    ) -> tuple[pd.DataFrame | None, dict[str, dict[str, Any]], str]:
    """Scores of the consenting measurements (:func:`score_measurements`), their keys, and why
    there are none (``""`` when there are)."""
    if measurements is None:
        return None, {}, "no measurements were given to score"
    rows = restrict_to_episodes(measurements, kept, episodes)[0]
    problem = scoring_problem(rows)
    if problem is not None:
        return None, {}, problem
    scored, meta = score_measurements(rows)
    return scored, meta, ""


def _scored_variables(vars_: list[Variable], meta: dict[str, dict[str, Any]]) -> list[Variable]:
    """The scores' variables with the keys used in their derivation (codebook)."""
    keys = "; ".join(f"{i} version {m['version']} (key {m['key_status']})" for i, m in meta.items())
    how = f"computed by effectstudy {__version__} (effectstudy.score, as in the effect study) with the registry key: {keys}"
    return [replace(v, derivation=how) if v.name in SCORE_VARIABLES else v for v in vars_]


# ------------------------------------------------------------------------------ codebook
def codebook(dataset: ResearchDataset, lang: Literal["nl", "en"] = "nl") -> pd.DataFrame:
    """One row per exported variable: the single source for the Markdown and Excel codebooks.

    Columns: ``table``, ``variable``, ``label``, ``type``, ``measure``, ``spss_format``,
    ``values`` (value labels, nominal/ordinal only), ``missing_sav`` (declared code),
    ``missing_csv``, ``derivation``, ``role`` (pseudonym, quasi_identifier: checked for
    k-anonymity, or outcome), ``role_reason``, ``n``, ``n_missing``.  A variable the params added
    to ``quasi_identifiers`` shows as a quasi-identifier.
    """
    added = set(dataset.meta.get("quasi_identifiers", ()))
    rows = []
    for name, vars_ in dataset.variables.items():
        t = dataset.tables[name]
        for v in vars_:
            vl = v.value_labels if v.measure in ("nominal", "ordinal") else None
            if v.name == "age_band" and name in dataset.tables and v.name in t.columns:
                vl = _age_labels(t[v.name], dataset.meta.get("age_band_width", 5), dataset.meta.get("age_top", 80))
            rows.append({
                "table": name, "variable": v.name, "label": v.label(lang), "type": v.kind, "measure": v.measure,
                "spss_format": spss_format(v, t[v.name]),
                "values": "; ".join(f"{c} = {lab}" for c, lab in (vl or {}).items()),
                "missing_sav": str(MISSING_CODE) if v.kind == "numeric" else "(empty text)",
                "missing_csv": "(empty cell)", "derivation": v.derivation,
                **_role(v, name == "episodes" and v.name in added),
                "n": int(t[v.name].notna().sum()), "n_missing": int(t[v.name].isna().sum()),
            })
    return pd.DataFrame(rows)


def _role(v: Variable, checked: bool) -> dict[str, str]:
    if checked and v.role == "outcome":
        return {"role": "quasi_identifier", "role_reason": "added by the params' quasi_identifiers: checked for "
                                                           "k-anonymity"}
    return {"role": v.role, "role_reason": v.role_reason}


def spss_format(v: Variable, values: pd.Series) -> str:
    """The SPSS format of ``v`` as written: numeric formats from :data:`VARIABLES`; strings ``A<w>``
    with ``w`` the longest value in UTF-8 bytes (at least 1), as pyreadstat sizes them."""
    if v.kind == "numeric":
        return v.spss_format
    s = values.astype("string").fillna("")
    w = int(s.str.encode("utf-8").str.len().max()) if len(s) else 1
    return f"A{max(w, 1)}"


def _age_labels(s: pd.Series, width: int, top: int) -> dict[int, str]:
    vals = sorted(int(v) for v in pd.Series(s).dropna().unique())
    return {v: (f"{v}+" if v >= top else f"{v}-{v + width - 1}") for v in vals}


def _codebook_markdown(cb: pd.DataFrame, dataset: ResearchDataset, title: str) -> str:
    lines = [f"# {title}", "", f"Status: {dataset.meta['status']}. Key fingerprint: `{dataset.key_fingerprint}`.",
             f"Missing values: `{MISSING_CODE}` (declared user-missing) in .sav, empty cells in CSV.", ""]
    cols = ["variable", "label", "type", "measure", "spss_format", "values", "missing_sav", "derivation", "role",
            "role_reason", "n", "n_missing"]
    for name, t in cb.groupby("table", sort=False):
        lines += [f"## {name}", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for r in t[cols].astype(str).itertuples(index=False):
            lines.append("| " + " | ".join(x.replace("|", "\\|") for x in r) + " |")
        lines.append("")
    lines += ["## Flow", "", "| table | reason | rows | clients |", "|---|---|---|---|"]
    for r in dataset.flow.itertuples(index=False):
        lines.append(f"| {r.table} | {r.reason} | {r.rows} | {'' if pd.isna(r.clients) else int(r.clients)} |")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------ writing
def _atomic(path: Path, write) -> None:
    """Call ``write(tmp_path)`` then fsync and rename onto ``path``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _sav_frame(t: pd.DataFrame, vars_: list[Variable], table: str) -> pd.DataFrame:
    out = {}
    for v in vars_:
        s = t[v.name]
        if v.kind == "numeric":
            x = pd.to_numeric(s).astype("Float64")
            hit = (x == MISSING_CODE).fillna(False).to_numpy(dtype=bool)
            if hit.any():
                raise DataError(f"value equals the missing code {MISSING_CODE} in the {table} export",
                                row=int(np.flatnonzero(hit)[0]), column=v.name, value=MISSING_CODE,
                                expected=f"any value other than {MISSING_CODE}")
            out[v.name] = x.fillna(MISSING_CODE).to_numpy(dtype="float64")
        else:
            out[v.name] = s.astype("string").fillna("").to_numpy(dtype=object)
    return pd.DataFrame(out)


def _csv_frame(t: pd.DataFrame) -> pd.DataFrame:
    out = t.copy()
    for c in out.columns:
        s = out[c]
        if pd.api.types.is_float_dtype(s.dtype):
            v = s.dropna()
            if len(v) and np.all(np.equal(np.mod(v.to_numpy(dtype=float), 1), 0)):
                out[c] = s.astype("Int64")
    return out


def write_research_export(
    dataset: ResearchDataset,
    folder: str | Path,
    *,
    name: str,
    recipient: str = "",
    purpose: str = "",
    formats: Sequence[str] = FORMATS,
    lang: Literal["nl", "en"] = "nl",
    inputs: dict[str, str] | None = None,
    audit_log_path: str | Path | None = None,
    logger: Callable[[str, dict[str, Any]], Any] | None = None,
) -> dict[str, Path]:
    """Write the dataset's files, a release record and ``SHA256SUMS``; return the paths.

    Files: ``<name>_<table>.sav`` / ``.csv`` per table, ``<name>_codebook.xlsx`` / ``.md``,
    ``<name>_release.json`` and ``<name>_SHA256SUMS``.  ``inputs`` maps input file names to
    their SHA-256 (provenance).  An audit-log entry is appended through ``logger(action, details)``
    (e.g. :meth:`effectstudy.privacy.store.StudyStore.log`) or, without one, to ``audit_log_path``.

    Raises
    ------
    ArgumentError
        Unknown format, a name that is not a simple file-name stem, or existing files of the same
        release (a release is never overwritten).
    """
    import pyreadstat  # noqa: PLC0415 - heavy import, only when writing

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name or ""):
        raise ArgumentError("name", name, "a release name of letters, digits, '_', '-', '.' (used in file names)")
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ArgumentError("formats", bad[0], f"some of {', '.join(FORMATS)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    clash = sorted(p.name for p in folder.glob(f"{name}_*"))
    if clash:
        raise ArgumentError("name", name, f"a new release name; {folder} already holds {', '.join(clash[:3])}")
    written: dict[str, Path] = {}
    title = f"effectstudy research export {name} (gepseudonimiseerd / pseudonymised)"
    file_label = f"effectstudy {name}: gepseudonimiseerd"[:64]
    for table, t in dataset.tables.items():
        vars_ = dataset.variables[table]
        if "sav" in formats:
            p = folder / f"{name}_{table}.sav"
            frame = _sav_frame(t, vars_, table)
            numeric = [v.name for v in vars_ if v.kind == "numeric"]
            value_labels = {}
            for v in vars_:
                if v.measure not in ("nominal", "ordinal") or v.kind != "numeric":
                    continue
                vl = dict(v.value_labels or {})
                if v.name == "age_band":
                    vl = _age_labels(t[v.name], dataset.meta["age_band_width"], dataset.meta["age_top"])
                if vl:
                    vl[MISSING_CODE] = "onbekend / unknown"
                    value_labels[v.name] = vl

            def w(tmp: Path, frame=frame, vars_=vars_, numeric=numeric, value_labels=value_labels) -> None:
                pyreadstat.write_sav(
                    frame, str(tmp), file_label=file_label,
                    column_labels={v.name: v.label(lang) for v in vars_},
                    variable_value_labels=value_labels,
                    missing_ranges={c: [MISSING_CODE] for c in numeric},
                    variable_measure={v.name: v.measure for v in vars_},
                    variable_format={v.name: v.spss_format for v in vars_ if v.kind == "numeric"},
                    note=[f"effectstudy research export {name}"[:80], "gepseudonimiseerd / pseudonymised",
                          f"key fingerprint {dataset.key_fingerprint}", f"user-missing code {MISSING_CODE}"],
                )

            _atomic(p, w)
            written[f"{table}.sav"] = p
        if "csv" in formats:
            p = folder / f"{name}_{table}.csv"
            csv = _csv_frame(t)
            _atomic(p, lambda tmp, csv=csv: csv.to_csv(tmp, index=False, sep=",", na_rep="", encoding="utf-8",
                                                       lineterminator="\n"))
            written[f"{table}.csv"] = p
    cb = codebook(dataset, lang)
    if "xlsx" in formats:
        p = folder / f"{name}_codebook.xlsx"

        def wx(tmp: Path) -> None:
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                cb.to_excel(xw, sheet_name="codebook", index=False)
                dataset.flow.to_excel(xw, sheet_name="flow", index=False)

        _atomic(p, wx)
        written["codebook.xlsx"] = p
    if "md" in formats:
        p = folder / f"{name}_codebook.md"
        text = _codebook_markdown(cb, dataset, title)
        _atomic(p, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        written["codebook.md"] = p
    hashes = {p.name: _sha256(p) for p in written.values()}
    record = {
        "release": name, "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "recipient": recipient, "purpose": purpose, "key_fingerprint": dataset.key_fingerprint,
        "status": dataset.meta["status"], "effectstudy_version": __version__,
        "columns": {t: list(df.columns) for t, df in dataset.tables.items()},
        "rows": {t: len(df) for t, df in dataset.tables.items()},
        "clients": int(dataset.tables["episodes"]["client_pseudonym"].nunique())
        if "client_pseudonym" in dataset.tables["episodes"].columns else None,
        "k": dataset.k_report.k, "k_reached": dataset.k_report.smallest_class,
        "quasi_identifiers": list(dataset.k_report.quasi_identifiers),
        "scoring": dataset.meta.get("scoring", {}), "not_available": dataset.meta.get("not_available", []),
        "flow": json.loads(dataset.flow.to_json(orient="records")),
        "inputs_sha256": inputs or {}, "files_sha256": hashes,
    }
    p = folder / f"{name}_release.json"
    rec_text = json.dumps(record, indent=2, ensure_ascii=False) + "\n"
    _atomic(p, lambda tmp: tmp.write_text(rec_text, encoding="utf-8"))
    written["release.json"] = p
    hashes[p.name] = _sha256(p)
    sums = "".join(f"{h}  {n}\n" for n, h in sorted(hashes.items()))
    p = folder / f"{name}_SHA256SUMS"
    _atomic(p, lambda tmp: tmp.write_text(sums, encoding="utf-8"))
    written["SHA256SUMS"] = p
    if logger is None and audit_log_path is not None:
        def logger(action: str, details: dict[str, Any]) -> Any:
            return audit_log.append(audit_log_path, action, details)

    if logger is not None:
        logger("export", {
            "release": name, "recipient": recipient, "purpose": purpose, "key_fingerprint": dataset.key_fingerprint,
            "rows": record["rows"], "k": record["k"], "k_reached": record["k_reached"],
            "files_sha256": hashes, "inputs_sha256": inputs or {},
        })
    return written


def verify_release(folder: str | Path) -> pd.DataFrame:
    """Re-hash every file listed in the release's ``*_SHA256SUMS``; return the problems found.

    Returns a DataFrame ``check`` (``modified``, ``missing``, ``unlisted``), ``path``,
    ``message``; empty when the release is intact (INT-2: every export carries the SHA-256 of
    its files, and ``effectstudy verify`` recomputes them).

    Raises
    ------
    ArgumentError
        ``folder`` holds no ``*_SHA256SUMS`` file.
    """
    folder = Path(folder)
    sums = sorted(folder.glob("*_SHA256SUMS"))
    if not sums:
        raise ArgumentError("release", str(folder), "a release folder with a <name>_SHA256SUMS file")
    problems: list[tuple[str, str, str]] = []
    listed: set[str] = set()
    for sf in sums:
        listed.add(sf.name)
        for line in sf.read_text(encoding="utf-8").splitlines():
            sha, _, name = line.partition("  ")
            listed.add(name)
            p = folder / name
            if not p.is_file():
                problems.append(("missing", str(p), f"listed in {sf.name} but missing"))
            elif _sha256(p) != sha:
                problems.append(("modified", str(p), f"SHA-256 differs from {sf.name}: the file was changed"))
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.name not in listed:
            problems.append(("unlisted", str(p), "file in the release folder is not in any SHA256SUMS"))
    return pd.DataFrame(problems, columns=["check", "path", "message"])

