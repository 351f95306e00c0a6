"""Code lists: the one home of the values a column may take before it can become a label or an exported field.

Free text never reaches an output (issue 15; privacy reference SEC-P5: "free-text fields are never
exported", SEC-P7: "diagnosis is kept at main-category level only").  A column becomes a report
label (a group of the effect study or the yearly summary, the student's ``group``, a categorical
covariate) or a research-export field only when it has a declared **code list**: the codes, in
order, each with its display labels in Dutch and English.  A value outside the list is removed from
that use (:func:`effectstudy.data.coding.apply_codes`: rule ``uncoded_value``, the value never shown).

The package declares the lists whose codes are general (:data:`DEFAULT_CODES`): ``care_type`` and
``end_reason`` (fixed by the canonical schema), ``sex``, ``occasion``, and the diagnosis and
treatment groups of the shipped example data (common Dutch GGZ groups).  A params file declares or
replaces a column's list under ``data.codes``::

    data:
      codes:
        diagnosis:                      # replaces the package's list of diagnosis groups
          depression: {nl: depressie, en: depression}
          eating: {nl: eetstoornis, en: eating disorder}
          anxiety: angst                # one text: the label in both languages
        treatment: [cbt, emdr]          # short form: labels from the label table, else the code
        therapist: free_text            # declared free text: never a label, never exported

Matching: the reader already strips surrounding whitespace; a value matches a code when the two are
equal ignoring case (``str.casefold``), so ``"Depression "`` counts as ``depression`` and the
canonical frame holds the declared spelling.  Anything else (a typo, a name, a phone number) is
uncoded.

>>> cl = effective_codes()["diagnosis"]
>>> cl.codes[:3], cl.label("depression", "nl")
(('depression', 'anxiety', 'ptsd'), 'depressie')
>>> normalise_codes({"treatment": ["cbt", "emdr"], "therapist": "free_text"})["treatment"]["emdr"]
{'nl': 'EMDR', 'en': 'EMDR'}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from effectstudy.core.keys import text_factorize
from effectstudy.core.labels import register, translate
from effectstudy.core.schema import CARE_TYPES, END_REASONS, EPISODES, MEASUREMENTS

__all__ = [
    "FREE_TEXT",
    "CODABLE_COLUMNS",
    "CodeList",
    "DEFAULT_CODES",
    "normalise_codes",
    "effective_codes",
    "register_code_labels",
    "free_text_problem",
    "require_codes",
]

#: the params' word for "this column is free text" (``data.codes: {therapist: free_text}``)
FREE_TEXT = "free_text"

#: canonical text columns that can carry a code list, and their table
CODABLE_COLUMNS: Mapping[str, str] = MappingProxyType({
    "diagnosis": "episodes", "care_type": "episodes", "treatment": "episodes", "end_reason": "episodes",
    "sex": "episodes", "therapist": "episodes", "occasion": "measurements",
})

_LANGS = ("nl", "en")
_HOW = ("declare its codes under data.codes.{col} in the params, e.g. "
        "data: {{codes: {{{col}: {{<code>: {{nl: <label>, en: <label>}}}}}}}}")


@dataclass(frozen=True)
class CodeList:
    """The declared codes of one column with their display labels (nl, en), in order."""

    column: str
    #: code -> {"nl": label, "en": label}
    labels: Mapping[str, Mapping[str, str]]
    #: ``package`` (the defaults) or ``params`` (declared in ``data.codes``)
    source: str = "package"

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes in declared order."""
        return tuple(self.labels)

    def label(self, code: str, lang: str = "nl") -> str:
        """The display label of ``code`` in ``lang``."""
        return self.labels[code][lang]

    def match(self, values: pd.Series) -> tuple[pd.Series, np.ndarray]:
        """Map ``values`` onto the declared codes (case-insensitive); return the coded values
        (missing where uncoded) and the mask of values present but uncoded.  Vectorised: the
        values are factorised once; only the distinct values are casefolded and looked up.

        >>> s = pd.Series(["Depression", "depressie mw. X", None], dtype="str")
        >>> coded, bad = DEFAULT_CODES["diagnosis"].match(s)
        >>> coded.tolist(), bad.tolist()
        (['depression', nan, nan], [False, True, False])
        """
        # the distinct values are few: factorise once, casefold and look up only those
        text = values.astype("str")
        # Arrow text: its kept factorization (read_study makes it beside the id encodings)
        fact = text_factorize(text)
        idx, distinct = fact if fact is not None else pd.factorize(text, use_na_sentinel=True)
        lookup = {c.casefold(): c for c in self.codes}
        keys = pd.Series(np.asarray(distinct, dtype=object), dtype="str").str.casefold()
        small = pd.Series(keys.map(lookup).to_numpy(dtype=object, na_value=None), dtype="str")
        if small.equals(pd.Series(np.asarray(distinct, dtype=object), dtype="str")):
            # every value is a code as written (a clean export): the column as it is, no
            # new text column (0.13 s at 3.3M rows)
            return text.set_axis(values.index), np.zeros(len(values), dtype=bool)
        # spread the few mapped values over the rows in Arrow (idx -1, missing, -> missing): no
        # Python string per row
        coded = pd.Series(small.array.take(idx, allow_fill=True), index=values.index, copy=False)
        uncoded = (idx >= 0) & np.append(small.isna().to_numpy(dtype=bool), False)[idx]
        return coded, uncoded


def _labels(pairs: Iterable[tuple[str, str, str]]) -> dict[str, dict[str, str]]:
    return {code: {"nl": nl, "en": en} for code, nl, en in pairs}


_FIXED_LABELS = _labels([
    ("basic", "basis-GGZ", "basic care (GB-GGZ)"), ("specialised", "specialistische GGZ", "specialised care (S-GGZ)"),
    ("regular", "regulier", "regular"), ("dropout", "uitval", "dropout"),
    ("referral", "verwijzing", "referral"), ("other", "anders", "other")])

#: the package's code lists (source: ``package``)
DEFAULT_CODES: Mapping[str, CodeList] = MappingProxyType({cl.column: cl for cl in (
    # the schema fixes these codes (its ``allowed``); the labels are the package's
    CodeList("care_type", {c: _FIXED_LABELS[c] for c in CARE_TYPES}),
    CodeList("end_reason", {c: _FIXED_LABELS[c] for c in END_REASONS}),
    CodeList("sex", _labels([("female", "vrouw", "female"), ("male", "man", "male"), ("other", "anders", "other")])),
    CodeList("occasion", _labels([
        ("pre", "voormeting", "pre"), ("interim", "tussenmeting", "interim"),
        ("post", "nameting", "post"), ("follow_up", "follow-upmeting", "follow-up")])),
    # the example data's diagnosis groups: main categories as SEC-P7 asks
    CodeList("diagnosis", _labels([
        ("depression", "depressie", "depression"), ("anxiety", "angst", "anxiety"), ("ptsd", "PTSS", "PTSD"),
        ("burnout", "burn-out", "burnout"), ("somatic", "somatisch-symptoomstoornis", "somatic symptom disorder"),
        ("personality", "persoonlijkheid", "personality"),
        ("brain_injury", "niet-aangeboren hersenletsel", "acquired brain injury")])),
    CodeList("treatment", _labels([
        ("cbt", "cognitieve gedragstherapie", "cognitive behavioural therapy"),
        ("act", "acceptance and commitment therapy", "acceptance and commitment therapy"),
        ("emdr", "EMDR", "EMDR"), ("ipt", "interpersoonlijke therapie", "interpersonal therapy"),
        ("schema", "schematherapie", "schema therapy"),
        ("neuropsychological", "neuropsychologische behandeling", "neuropsychological treatment")])),
)})

#: columns whose codes the canonical schema fixes (``allowed``): params may relabel, not recode
_SCHEMA_FIXED = {c.name: c.allowed for c in EPISODES.columns if c.allowed}

register({code: dict(lab) for cl in DEFAULT_CODES.values() for code, lab in cl.labels.items()})


# ------------------------------------------------------------------------------ params form
def _code_text(col: str, code: Any) -> str:
    if isinstance(code, bool) or not isinstance(code, (str, int)):
        raise ValueError(f"data.codes.{col}: a code must be text (got {code!r}); put it in quotes")
    text = str(code).strip()
    if not text:
        raise ValueError(f"data.codes.{col}: an empty code")
    return text


def _one_label(col: str, code: str, v: Any) -> dict[str, str]:
    if v is None:
        return {lang: str(translate(code, lang)) for lang in _LANGS}
    if isinstance(v, str):
        return {"nl": v, "en": v}
    if isinstance(v, Mapping):
        extra = sorted(set(v) - set(_LANGS))
        if extra or not all(isinstance(v.get(lang), str) and v.get(lang).strip() for lang in _LANGS):
            raise ValueError(f"data.codes.{col}.{code}: expected labels {{nl: <text>, en: <text>}} (got {dict(v)!r})")
        return {lang: v[lang] for lang in _LANGS}
    raise ValueError(f"data.codes.{col}.{code}: expected a label text or {{nl: ..., en: ...}} (got {v!r})")


def _one_list(col: str, v: Any) -> dict[str, dict[str, str]] | str:
    if v == FREE_TEXT:
        if col in _SCHEMA_FIXED:
            raise ValueError(f"data.codes.{col}: its codes are fixed by the schema ({', '.join(_SCHEMA_FIXED[col])}); "
                             "it cannot be free text")
        return FREE_TEXT
    if isinstance(v, list):
        items = [(_code_text(col, c), None) for c in v]
    elif isinstance(v, Mapping):
        items = [(_code_text(col, c), lab) for c, lab in v.items()]
    else:
        raise ValueError(f"data.codes.{col}: expected a list of codes, a mapping code -> labels, or "
                         f"{FREE_TEXT!r} (got {v!r})")
    if not items:
        raise ValueError(f"data.codes.{col}: an empty code list; write {FREE_TEXT!r} for a free-text column")
    folded = [c.casefold() for c, _ in items]
    twice = sorted({c for c, f in zip((c for c, _ in items), folded, strict=True) if folded.count(f) > 1})
    if twice:
        raise ValueError(f"data.codes.{col}: codes {twice} occur twice (codes are matched ignoring case)")
    out = {c: _one_label(col, c, lab) for c, lab in items}
    if col in _SCHEMA_FIXED and tuple(out) != tuple(_SCHEMA_FIXED[col]):
        raise ValueError(f"data.codes.{col}: the schema fixes its codes as {list(_SCHEMA_FIXED[col])}; "
                         "list exactly these (their labels may change)")
    return out


def normalise_codes(raw: Any) -> dict[str, dict[str, dict[str, str]] | str]:
    """The ``data.codes`` section in its full form: column -> {code: {nl, en}}, or ``"free_text"``
    for a column declared free text.  Idempotent (the full form normalises to itself).

    Raises
    ------
    ValueError
        A column that cannot carry codes, a code that is not text, codes equal but for case,
        labels other than ``nl``/``en``, an empty list, or other codes for a schema-fixed column.
    """
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ValueError(f"data.codes: expected a mapping column -> codes (got {raw!r})")
    out: dict[str, dict[str, dict[str, str]] | str] = {}
    for col, v in raw.items():
        if col not in CODABLE_COLUMNS:
            raise ValueError(f"data.codes: {col!r} cannot carry codes; columns that can: "
                             f"{', '.join(CODABLE_COLUMNS)}")
        out[col] = _one_list(col, v)
    return out


def effective_codes(declared: Mapping[str, Any] | None = None) -> dict[str, CodeList | None]:
    """The code list of every codable column: the package's defaults, replaced column by column
    by ``declared`` (the params' ``data.codes``, any form :func:`normalise_codes` accepts).
    ``None`` marks a free-text column (no list: ``therapist`` unless declared)."""
    out: dict[str, CodeList | None] = {c: DEFAULT_CODES.get(c) for c in CODABLE_COLUMNS}
    for col, labels in normalise_codes(declared).items():
        out[col] = None if labels == FREE_TEXT else CodeList(col, dict(labels), source="params")
    return out


def register_code_labels(codes: Mapping[str, CodeList | None]) -> None:
    """Register the display labels of declared (params) code lists in the label table, so reports
    show them.  The table is keyed by value: a practice's label replaces an earlier one of the
    same code (``register(replace=True)``), as the params say."""
    for cl in codes.values():
        if cl is not None and cl.source == "params":
            register({code: dict(lab) for code, lab in cl.labels.items()}, replace=True)


def _schema_kind(column: str) -> str | None:
    for spec in (EPISODES, MEASUREMENTS):
        if column in spec.names:
            return spec.column(column).kind
    return None


def free_text_problem(key: str, column: str, codes: Mapping[str, CodeList | None]) -> str | None:
    """Why ``column`` (written under the params key ``key``) may not become a label, or ``None``.

    Text columns of the canonical schema need a code list; ids never become labels; numeric,
    date and flag columns (and columns the schema does not know, such as ``age``) pass here.
    """
    kind = _schema_kind(column)
    if kind not in ("str", "category"):
        return None
    if column not in CODABLE_COLUMNS:
        return (f"{key}: {column!r} is an identifier or free text and cannot become a label or an exported "
                f"field; columns with code lists: {', '.join(c for c, cl in codes.items() if cl is not None)}")
    if codes.get(column) is None:
        return (f"{key}: {column!r} has no code list, so its values are free text and could show names or "
                f"phone numbers; " + _HOW.format(col=column))
    return None


def require_codes(uses: Iterable[tuple[str, str]], codes: Mapping[str, CodeList | None]) -> None:
    """Raise ``ValueError`` listing every (params key, column) in ``uses`` that is free text."""
    problems = [p for key, col in uses if (p := free_text_problem(key, col, codes)) is not None]
    if problems:
        raise ValueError("\n".join(problems))
