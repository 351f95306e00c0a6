"""Questionnaire registry: scoring keys, ranges, missing-item rules and norms, kept as data.

Every questionnaire is one YAML file in this folder (item *numbers* only: item wording is
copyrighted).  A file is parsed into a frozen :class:`Instrument` holding its :class:`Scale`\\ s.
The keys and every norm carry their source; a key that has not been checked against the
manual has ``status: provisional`` and scoring with it warns (:class:`ProvisionalKeyWarning`).

A practice can add an instrument, correct a key from its licensed manual or supply its own
norms with :func:`load` (a user YAML in the same format, validated as strictly as the shipped
files); :func:`register` makes a loaded file the one :func:`get` returns for its id.

>>> from effectstudy import instruments
>>> scl = instruments.get("scl90r")
>>> scl.n_items, scl.item_min, scl.item_max, scl.default_scale
(90, 0, 4, 'GSI')
>>> scl.scales["ANX"].items
(2, 17, 23, 33, 39, 57, 72, 78, 80, 86)
>>> instruments.get("core10").scales["total"].reverse
(2, 3)
>>> instruments.get("scl90_nl").status
'provisional'
>>> "phq9" in instruments.available()
True

YAML format (all keys other than those marked optional are required)::

    id: my_instr                  # lower-case registry id
    name: My instrument           # or {nl: Mijn instrument, en: My instrument} (a report shows
                                  # its language's; a plain string is used for both)
    version: "2003"               # text (quote numbers)
    n_items: 10
    item_min: 0                   # lowest raw code
    item_max: 4                   # highest raw code
    status: verified              # or provisional (then status_reason says why)
    status_reason: ...            # or {nl: ..., en: ...}: a report prints its language's
    default_scale: total
    reverse_items: [2, 3]         # optional; keyed as item_min + item_max - raw
    reverse_source: ...           # optional
    partition: [A, B]             # optional: these scales hold every item exactly once
    missing:
      method: prorate             # or impute_scale_mean_rounded (with impute_within: [scales])
      max_missing_share: 0.2      # default per-scale limit: floor(share * n items of the scale)
      max_missing_total: 4        # optional: more missing items in an administration -> nothing scored
      source: ...
    sources: [...]
    scales:
      total:
        items: 1-10               # or a list of item numbers, or unknown (a scale-level instrument)
        published_n_items: 10     # optional: the item count the source publishes (checked;
                                  # required with items: unknown)
        union_of: [A, B]          # optional: the items must be exactly those of these scales
        rule: sum                 # sum | mean | positive_count | positive_mean
        better_is: lower          # lower | higher
        multiplier: 1             # optional: score = rule(items) * multiplier
        max_missing: 1            # optional: overrides the share
        label: Total score        # optional: the scale's name; or {nl: Totaalscore, en: Total score}
        status: verified          # optional: defaults to the instrument's status
        status_reason: ...        # optional (text or {nl, en}), with status: provisional
        norms:                    # optional: named norm sets
          UK_2007:
            source: ...
            reliability: {value: 0.9, confidence: medium}
            cutoff: {value: 11, clinical_if: ">="}
        default_norms: UK_2007
        t_norms:                  # optional: linear (mean, sd) or table (raw -> t)
          general_population: {method: linear, mean: 4.7, sd: 4.8, source: ...}
          # optional per T-norm: status (verified | provisional | user_supplied), status_reason
        bands: [{min: 0, label: healthy}, {min: 6, label: low}]  # lower bounds

A **scale-level** instrument lists ``items: unknown`` with ``published_n_items`` for every scale:
its item key is not available (e.g. not in a verified public source, the SQ-48), but the
published structure is: each scale's number of items and so its range, its direction, and which
scales a total holds (``union_of``, checked on the item counts, as ``partition`` is).  It must be
``status: provisional`` with the reason, have no ``reverse_items``, and a scale cannot list its
items while another does not.  Such an instrument validates and analyses score-only exports
(``score_<SCALE>`` columns); scoring item columns and Cronbach's alpha need the key and stop with
a message saying so (:attr:`Instrument.scale_level`).

>>> sq = instruments.get("sq48")
>>> sq.scale_level, sq.scales["MOOD"].items, sq.scales["MOOD"].n_items, sq.scales["total"].score_max
(True, (), 6, 148.0)

**Names in the report's language.**  ``name``, a scale's ``label`` and ``status_reason`` are
either one text (a practice's own file: used for every language) or ``{nl: ..., en: ...}`` (every
shipped file).  Reports take them through :meth:`Instrument.display_name`,
:meth:`Instrument.scale_label` and :meth:`Instrument.display_reason`; the plain attributes
(``name``, ``Scale.label``, ``status_reason``) hold the English text, for logs, errors and JSON.

>>> nl = instruments.get("scl90_nl")
>>> nl.display_name("nl")
'SCL-90, Nederlandse bewerking (Arrindell & Ettema 2003)'
>>> nl.scale_label("PSNEUR", "nl"), nl.scale_label("PSNEUR", "en")
('Psychoneuroticisme (PSNEUR)', 'Psychoneuroticism (PSNEUR)')
>>> instruments.get("phq9").scale_label(lang="nl")   # a lower-case code is internal: not shown
'Totaalscore'
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as _PydanticError

from effectstudy.core.errors import ArgumentError, ArgumentTypeError, ParamsError
from effectstudy.core.params import parse_yaml

__all__ = [
    "Norm",
    "NormSet",
    "TNorm",
    "Band",
    "Scale",
    "MissingRule",
    "Instrument",
    "get",
    "display_name",
    "scale_names",
    "available",
    "load",
    "register",
    "unregister",
    "resolve",
    "template_path",
    "no_key_message",
    "SHIPPED_DIR",
    "TEMPLATES_DIR",
]

#: folder holding the shipped instrument files
SHIPPED_DIR = Path(__file__).resolve().parent
#: folder holding instrument templates: files whose key a practice fills in (e.g. the SQ-48)
TEMPLATES_DIR = SHIPPED_DIR / "templates"

Rule = Literal["sum", "mean", "positive_count", "positive_mean"]
Direction = Literal["lower", "higher"]
Status = Literal["verified", "provisional"]
Confidence = Literal["high", "medium", "low"]

#: the languages a bilingual text (``{nl: ..., en: ...}``) must give
LANGS = ("nl", "en")

def _in_lang(texts: Mapping[str, str], lang: str, fallback: str | None) -> str | None:
    """``texts[lang]`` of a bilingual text, else ``fallback`` (a one-language text)."""
    if lang not in LANGS:
        raise ArgumentError("lang", lang, f"one of {list(LANGS)}")
    return texts.get(lang, fallback) if texts else fallback


_NORM_FIELDS = ("reliability", "m_clinical", "sd_clinical", "m_functional", "sd_functional", "cutoff", "rci")


# ============================================================================ frozen objects
@dataclass(frozen=True)
class Norm:
    """One published (or user-supplied) number with its source.

    ``clinical_if`` is only used for cut-offs and says on which side a score exactly at
    ``value`` falls: ``">="`` means a score at the cut-off is in the clinical range, ``">"`` that
    it is not (only beyond it, in the scale's clinical direction: above for lower-is-better
    scales, below for higher-is-better ones); ``None`` for a continuous criterion (Jacobson &
    Truax c) where the boundary itself has no side (a score at it is neither clinical at pre nor
    functional at post, see ``outcomes.cutoff_change.cutoff_flags``).
    """

    value: float
    source: str
    confidence: str | None = None
    note: str | None = None
    clinical_if: str | None = None


@dataclass(frozen=True)
class NormSet:
    """A named set of norms for one scale (e.g. Dutch vs US OQ-45 cut-off and RCI)."""

    name: str
    source: str
    reliability: Norm | None = None
    m_clinical: Norm | None = None
    sd_clinical: Norm | None = None
    m_functional: Norm | None = None
    sd_functional: Norm | None = None
    cutoff: Norm | None = None
    rci: Norm | None = None


@dataclass(frozen=True)
class TNorm:
    r"""Raw score -> T-score conversion for one scale and reference population.

    ``method="linear"``: :math:`T = 50 + 10 (x - M) / SD` with the reference group's mean
    ``M`` and standard deviation ``SD`` (a linear T-score; McCall 1922).
    ``method="table"``: piecewise-linear interpolation in a published raw -> T table
    (``raw`` strictly increasing, covering the scale's range), the way normalised T-scores
    are tabulated (de Beurs 2010, *MGv* 65:684-695).

    ``status`` says whether the conversion values were checked against their source
    (``"verified"``), are not yet (``"provisional"``, ``status_reason`` says why; converting
    with them warns) or were supplied by the user for their own reference group
    (``"user_supplied"``).  :func:`effectstudy.t_scores` copies it into every row it converts.

    >>> TNorm("x", "linear", "test", mean=10.0, sd=5.0).transform([10.0, 15.0, 0.0]).tolist()
    [50.0, 60.0, 30.0]
    >>> TNorm("x", "table", "test", raw=(0.0, 10.0), t=(30.0, 80.0)).transform([5.0]).tolist()
    [55.0]
    """

    name: str
    method: Literal["linear", "table"]
    source: str
    mean: float | None = None
    sd: float | None = None
    raw: tuple[float, ...] = ()
    t: tuple[float, ...] = ()
    confidence: str | None = None
    population: str | None = None
    note: str | None = None
    status: str = "verified"
    status_reason: str | None = None

    def transform(self, x: Any) -> np.ndarray:
        """T-scores of raw scale scores ``x`` (NaN stays NaN)."""
        arr = np.asarray(x, dtype=float)
        if self.method == "linear":
            return 50.0 + 10.0 * (arr - float(self.mean)) / float(self.sd)  # type: ignore[arg-type]
        out = np.interp(arr, np.asarray(self.raw), np.asarray(self.t))
        return np.where(np.isnan(arr), np.nan, out)


@dataclass(frozen=True)
class Band:
    """A severity band ``min <= score < max`` with its label (the last band includes its max)."""

    min: float
    max: float
    label: str


def _default_norm(name: str, doc: str) -> property:
    """A read-only :class:`Scale` attribute: the norm ``name`` of its default norm set
    (``None`` without a default set)."""

    def get(scale: Scale) -> Norm | None:
        if scale.default_norms is None:
            return None
        return getattr(scale.norms[scale.default_norms], name)

    return property(get, doc=doc)


@dataclass(frozen=True)
class Scale:
    """One scale of an instrument: which items, how they are combined, and its norms.

    ``score = rule(keyed items) * multiplier`` where ``rule`` is ``sum``, ``mean``,
    ``positive_count`` (number of items above ``item_min``, e.g. the SCL-90-R PST) or
    ``positive_mean`` (mean of the items above ``item_min``, e.g. PSDI = sum / PST).
    ``reverse`` lists the reverse-keyed items in this scale.  With at most ``max_missing``
    items missing the score is prorated (see :func:`effectstudy.score`); with more it is
    missing.  The norm attributes (``reliability``, ``cutoff`` ...) come from the norm set
    named ``default_norms``; ``norms`` holds every set.
    """

    name: str
    items: tuple[int, ...]
    rule: str = "sum"
    better_is: str = "lower"
    reverse: tuple[int, ...] = ()
    max_missing: int = 0
    multiplier: float = 1.0
    label: str | None = None
    status: str = "verified"
    status_reason: str | None = None
    confidence: str | None = None
    source: str | None = None
    note: str | None = None
    score_min: float = math.nan
    score_max: float = math.nan
    norms: Mapping[str, NormSet] = field(default_factory=dict)
    default_norms: str | None = None
    t_norms: Mapping[str, TNorm] = field(default_factory=dict)
    bands: tuple[Band, ...] = ()
    bands_source: str | None = None
    published_n_items: int | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    status_reasons: Mapping[str, str] = field(default_factory=dict)

    def display_label(self, lang: str = "nl", *, code: bool | None = None) -> str:
        """The scale's name in ``lang``, with its code in parentheses.

        ``code=None`` (default) adds the code only when it is a published abbreviation (not
        all lower case: ``PSNEUR``, ``O-C``), not an internal name (``total``,
        ``depression_x2``); ``True``/``False`` force it.  Without a label the code itself is
        returned.

        >>> from effectstudy import instruments
        >>> instruments.get("scl90_nl").scales["SEN"].display_label("en")
        'Interpersonal sensitivity and mistrust (SEN)'
        >>> instruments.get("gad7").scales["total"].display_label("en")
        'Total score'
        """
        text = _in_lang(self.labels, lang, self.label)
        if text is None:
            return self.name
        show = (self.name != self.name.lower()) if code is None else code
        return f"{text} ({self.name})" if show and text != self.name else text

    def display_reason(self, lang: str = "nl") -> str | None:
        """Why the scale's key is provisional, in ``lang`` (``None`` for a verified scale)."""
        return _in_lang(self.status_reasons, lang, self.status_reason) if self.status == "provisional" else None

    @property
    def n_items(self) -> int:
        """Number of items in the scale (the published number when the item key is unknown)."""
        return len(self.items) if self.items or self.published_n_items is None else self.published_n_items

    reliability = _default_norm(
        "reliability", "Reliability (alpha or test-retest, see its note) of the default norm set.")
    m_clinical = _default_norm("m_clinical", "Mean of the clinical (dysfunctional) reference group.")
    sd_clinical = _default_norm("sd_clinical", "SD of the clinical (dysfunctional) reference group.")
    m_functional = _default_norm(
        "m_functional", "Mean of the functional (general population) reference group.")
    sd_functional = _default_norm(
        "sd_functional", "SD of the functional (general population) reference group.")
    cutoff = _default_norm("cutoff", "Clinical cut-off of the default norm set.")
    rci = _default_norm(
        "rci", "Published reliable-change value (raw score points) of the default norm set.")

    def norm_set(self, name: str | None = None) -> NormSet:
        """The norm set ``name`` (default: ``default_norms``); ``ArgumentError`` if absent."""
        key = self.default_norms if name is None else name
        if key is None or key not in self.norms:
            raise ArgumentError(
                "norm", name, f"one of {sorted(self.norms)} for scale {self.name}" if self.norms
                else f"a norm set, but scale {self.name} has none (supply one in a user YAML)"
            )
        return self.norms[key]

    def band(self, score: Any) -> np.ndarray:
        """Severity band label of each score (``None`` outside every band or for NaN).

        >>> from effectstudy import instruments
        >>> instruments.get("phq9").scales["total"].band([4, 10, 27]).tolist()
        ['none/minimal', 'moderate', 'severe']
        """
        arr = np.atleast_1d(np.asarray(score, dtype=float))
        out = np.full(arr.shape, None, dtype=object)
        for k, b in enumerate(self.bands):
            last = k == len(self.bands) - 1
            out[(arr >= b.min) & ((arr <= b.max) if last else (arr < b.max))] = b.label
        return out


@dataclass(frozen=True)
class MissingRule:
    """How missing items are handled for an instrument.

    ``method="prorate"``: a sum over ``m`` answered of ``n`` items becomes ``sum * n / m``,
    a mean is the mean of the answered items.  ``method="impute_scale_mean_rounded"``:
    each missing item is replaced by the mean of the answered (keyed) items of its scale in
    ``impute_within``, rounded half up to a whole code (the OQ-45 rule).  ``max_missing_total``
    (optional) is the largest number of missing scored items for which anything is scored.
    """

    method: str = "prorate"
    max_missing_share: float | None = None
    max_missing_total: int | None = None
    impute_within: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Instrument:
    """A questionnaire: item range, scales, missing-item rule, key status and sources.

    ``origin`` is ``"shipped"`` for the package's own files, otherwise the path of the user
    file; ``overrides_shipped`` is true when a user file reuses a shipped id.
    """

    id: str
    name: str
    version: str
    n_items: int
    item_min: int
    item_max: int
    status: str
    status_reason: str
    scales: Mapping[str, Scale]
    default_scale: str
    sources: tuple[str, ...] = ()
    reverse_items: tuple[int, ...] = ()
    reverse_source: str | None = None
    partition: tuple[str, ...] = ()
    missing: MissingRule = field(default_factory=MissingRule)
    notes: str | None = None
    origin: str = "shipped"
    overrides_shipped: bool = False
    names: Mapping[str, str] = field(default_factory=dict)
    status_reasons: Mapping[str, str] = field(default_factory=dict)

    def display_name(self, lang: str = "nl") -> str:
        """The instrument's name in ``lang`` (``nl`` or ``en``).

        >>> from effectstudy import instruments
        >>> instruments.get("scl90_nl").display_name("en")
        'SCL-90, Dutch edition (Arrindell & Ettema 2003)'
        """
        return _in_lang(self.names, lang, self.name) or self.id

    def scale_label(self, scale: str | None = None, lang: str = "nl", *, code: bool | None = None) -> str:
        """The name of ``scale`` (default: ``default_scale``) in ``lang``, e.g.
        ``"Psychoneuroticisme (PSNEUR)"``; see :meth:`Scale.display_label`.

        >>> from effectstudy import instruments
        >>> instruments.get("scl90r").scale_label("O-C", "nl")
        'Obsessief-compulsief (O-C)'
        """
        return self.scale(scale).display_label(lang, code=code)

    def scale_labels(self, lang: str = "nl", *, code: bool | None = None) -> dict[str, str]:
        """``{scale code: name in lang}`` for every scale (for relabelling a table's ``scale``
        column or a plot's ticks); see :meth:`Scale.display_label`.

        >>> from effectstudy import instruments
        >>> instruments.get("oq45").scale_labels("en")["IR"]
        'Interpersonal relations (IR)'
        """
        return {name: s.display_label(lang, code=code) for name, s in self.scales.items()}

    def display_reason(self, lang: str = "nl") -> str | None:
        """Why the key is provisional, in ``lang`` (``None`` when it is verified).

        >>> from effectstudy import instruments
        >>> instruments.get("scl90_nl").display_reason("nl")[:40]
        'Van deze sleutel bestaat maar één openba'
        >>> instruments.get("phq9").display_reason("nl") is None
        True
        """
        if self.status != "provisional":
            return None
        return _in_lang(self.status_reasons, lang, self.status_reason)

    @property
    def scored_items(self) -> tuple[int, ...]:
        """Items used by at least one scale, ascending."""
        return tuple(sorted({i for s in self.scales.values() for i in s.items}))

    @property
    def scale_level(self) -> bool:
        """True when the item key is unknown (``items: unknown``): the instrument describes its
        scales (number of items, range, direction) but cannot score item answers."""
        return not any(s.items for s in self.scales.values())

    @property
    def provisional_scales(self) -> tuple[str, ...]:
        """Names of the scales whose key is provisional."""
        return tuple(n for n, s in self.scales.items() if s.status == "provisional")

    def scale(self, name: str | None = None) -> Scale:
        """The scale ``name`` (default: ``default_scale``); ``ArgumentError`` if unknown.

        >>> from effectstudy import instruments
        >>> instruments.get("oq45").scale().name
        'total'
        """
        key = self.default_scale if name is None else name
        if key not in self.scales:
            raise ArgumentError("scale", name, f"one of {list(self.scales)} for instrument {self.id}")
        return self.scales[key]

    def table(self, lang: str | None = None) -> pd.DataFrame:
        """One row per scale: items, rule, direction, missing limit, range, status; ``label`` is
        the scale's name in ``lang`` (default: the English text).

        >>> from effectstudy import instruments
        >>> instruments.get("gad7").table()[["scale", "n_items", "score_min", "score_max"]]
           scale  n_items  score_min  score_max
        0  total        7        0.0       21.0
        """
        rows = [
            {
                "scale": s.name,
                "label": s.label if lang is None else s.display_label(lang, code=False),
                "n_items": s.n_items,
                "items": " ".join(map(str, s.items)),
                "rule": s.rule,
                "multiplier": s.multiplier,
                "reverse": " ".join(map(str, s.reverse)),
                "better_is": s.better_is,
                "max_missing": s.max_missing,
                "score_min": s.score_min,
                "score_max": s.score_max,
                "status": s.status,
                "default_norms": s.default_norms,
            }
            for s in self.scales.values()
        ]
        return pd.DataFrame(rows)


# ============================================================================ YAML schema
class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _NormSpec(_Spec):
    value: float
    source: str | None = None
    confidence: Confidence | None = None
    note: str | None = None
    clinical_if: Literal[">=", ">"] | None = None


class _NormSetSpec(_Spec):
    source: str | None = None
    reliability: _NormSpec | None = None
    m_clinical: _NormSpec | None = None
    sd_clinical: _NormSpec | None = None
    m_functional: _NormSpec | None = None
    sd_functional: _NormSpec | None = None
    cutoff: _NormSpec | None = None
    rci: _NormSpec | None = None


class _TNormSpec(_Spec):
    method: Literal["linear", "table"]
    source: str
    mean: float | None = None
    sd: float | None = None
    raw: list[float] | None = None
    t: list[float] | None = None
    confidence: Confidence | None = None
    population: str | None = None
    note: str | None = None
    status: Literal["verified", "provisional", "user_supplied"] | None = None
    status_reason: str | None = None


class _TextSpec(_Spec):
    """A text in both report languages."""

    nl: str
    en: str


#: a YAML text: one string (used for both languages) or ``{nl: ..., en: ...}``
_Text = str | _TextSpec


def _texts(value: _Text | None) -> tuple[str | None, dict[str, str]]:
    """``(English or only text, {lang: text})`` of a parsed text field."""
    if value is None or isinstance(value, str):
        return value, {}
    return value.en, {"nl": value.nl, "en": value.en}


def _blank(value: _Text | None) -> bool:
    """True for a missing or empty text (in either language)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return not (value.nl.strip() and value.en.strip())


class _BandSpec(_Spec):
    min: float
    label: str


class _ScaleSpec(_Spec):
    items: list[int] | str
    published_n_items: int | None = None
    union_of: list[str] | None = None
    rule: Rule = "sum"
    better_is: Direction = "lower"
    multiplier: float = 1.0
    max_missing: int | None = None
    label: _Text | None = None
    status: Status | None = None
    status_reason: _Text | None = None
    confidence: Literal["high", "medium-high", "medium", "low-medium", "low"] | None = None
    source: str | None = None
    note: str | None = None
    norms: dict[str, _NormSetSpec] = Field(default_factory=dict)
    default_norms: str | None = None
    t_norms: dict[str, _TNormSpec] = Field(default_factory=dict)
    bands: list[_BandSpec] = Field(default_factory=list)
    bands_source: str | None = None


class _MissingSpec(_Spec):
    method: Literal["prorate", "impute_scale_mean_rounded"] = "prorate"
    max_missing_share: float | None = None
    max_missing_total: int | None = None
    impute_within: list[str] | None = None
    source: str


class _InstrumentSpec(_Spec):
    id: str
    name: _Text
    version: str
    n_items: int
    item_min: int
    item_max: int
    status: Status
    status_reason: _Text
    default_scale: str
    reverse_items: list[int] = Field(default_factory=list)
    reverse_source: str | None = None
    partition: list[str] | None = None
    missing: _MissingSpec
    sources: list[str]
    notes: str | None = None
    scales: dict[str, _ScaleSpec]


_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_RANGE_RE = re.compile(r"^\s*([0-9]+)\s*-\s*([0-9]+)\s*$")
#: ``items:`` value of a scale whose item key is not available (a scale-level instrument)
_UNKNOWN = "unknown"


def _fail(origin: str, where: str, message: str) -> ParamsError:
    return ParamsError(f"instrument file {origin}: {where}: {message}")


def _parse_items(spec: list[int] | str, origin: str, where: str) -> tuple[int, ...]:
    if spec == _UNKNOWN:
        return ()
    if isinstance(spec, str):
        m = _RANGE_RE.match(spec)
        if m is None:
            raise _fail(origin, where, f"got {spec!r}, expected a list of item numbers or a range 'a-b' "
                        f"(or {_UNKNOWN!r} in a scale-level instrument, with published_n_items)")
        lo, hi = int(m.group(1)), int(m.group(2))
        if lo > hi:
            raise _fail(origin, where, f"got range {spec!r}, expected a-b with a <= b")
        return tuple(range(lo, hi + 1))
    return tuple(spec)


def _score_range(rule: str, n: int, lo: int, hi: int, mult: float) -> tuple[float, float]:
    if rule == "sum":
        a, b = n * lo, n * hi
    elif rule == "mean":
        a, b = lo, hi
    elif rule == "positive_count":
        a, b = 0, n
    else:  # positive_mean: mean of the items above the lowest code
        a, b = lo + 1, hi
    a, b = a * mult, b * mult
    return (float(min(a, b)), float(max(a, b)))


def _build(spec: _InstrumentSpec, origin: str) -> Instrument:
    """Check a parsed spec for consistency and build the frozen :class:`Instrument`."""
    _check_header(spec, origin)
    reverse = tuple(spec.reverse_items)
    _check_items(reverse, spec.n_items, origin, "reverse_items")
    miss = spec.missing
    if miss.max_missing_share is not None and not 0 <= miss.max_missing_share < 1:
        raise _fail(origin, "missing.max_missing_share", f"got {miss.max_missing_share}, expected 0 <= share < 1")
    if miss.max_missing_total is not None and miss.max_missing_total < 0:
        raise _fail(origin, "missing.max_missing_total", f"got {miss.max_missing_total}, expected >= 0")
    scales = {name: _build_scale(name, s, spec, origin, reverse) for name, s in spec.scales.items()}
    partition = tuple(spec.partition or ())
    if _check_scale_level(spec, scales, origin):
        _check_sizes(spec, scales, origin)
    else:
        _check_partition(partition, scales, spec.n_items, origin)
        _check_unions(spec, scales, origin)
    impute = tuple(miss.impute_within or ())
    _check_imputation(miss.method, impute, scales, origin)
    name, names = _texts(spec.name)
    reason, reasons = _texts(spec.status_reason)
    return Instrument(
        id=spec.id,
        name=name or spec.id,
        names=names,
        version=spec.version,
        n_items=spec.n_items,
        item_min=spec.item_min,
        item_max=spec.item_max,
        status=spec.status,
        status_reason=reason or "",
        status_reasons=reasons,
        scales=scales,
        default_scale=spec.default_scale,
        sources=tuple(spec.sources),
        reverse_items=reverse,
        reverse_source=spec.reverse_source,
        partition=partition,
        missing=MissingRule(miss.method, miss.max_missing_share, miss.max_missing_total, impute, miss.source),
        notes=spec.notes,
        origin=origin,
    )


def _check_header(spec: _InstrumentSpec, origin: str) -> None:
    """The instrument-level fields: id, item count and range, status, scales."""
    if not _ID_RE.match(spec.id):
        raise _fail(origin, "id", f"got {spec.id!r}, expected lower-case letters, digits and '_'")
    if spec.n_items < 1:
        raise _fail(origin, "n_items", f"got {spec.n_items}, expected a positive number of items")
    if spec.item_min >= spec.item_max:
        raise _fail(
            origin, "item_min/item_max", f"got {spec.item_min}..{spec.item_max}, expected item_min < item_max"
        )
    if spec.status == "provisional" and _blank(spec.status_reason):
        raise _fail(origin, "status_reason", "a provisional key needs a reason (in each language given)")
    if not spec.scales:
        raise _fail(origin, "scales", "expected at least one scale")
    if spec.default_scale not in spec.scales:
        raise _fail(origin, "default_scale", f"got {spec.default_scale!r}, expected one of {list(spec.scales)}")


def _check_items(items: tuple[int, ...], n_items: int, origin: str, where: str) -> None:
    """Item numbers within 1..n_items, none listed twice."""
    bad = [i for i in items if not 1 <= i <= n_items]
    if bad:
        raise _fail(origin, where, f"item {bad[0]} outside 1..{n_items}")
    seen: set[int] = set()
    dup = [i for i in items if i in seen or seen.add(i)]  # type: ignore[func-returns-value]
    if dup:
        raise _fail(origin, where, f"item {dup[0]} listed twice")


def _build_scale(name: str, s: _ScaleSpec, spec: _InstrumentSpec, origin: str,
                 reverse: tuple[int, ...]) -> Scale:
    """One checked :class:`Scale`: items, missing-item limit, status, norms, T-norms, bands."""
    where = f"scales.{name}"
    miss = spec.missing
    items = _parse_items(s.items, origin, f"{where}.items")
    if items == () and s.items == _UNKNOWN:  # a scale-level instrument: the published count only
        if s.published_n_items is None or not 1 <= s.published_n_items <= spec.n_items:
            raise _fail(origin, f"{where}.published_n_items",
                        f"got {s.published_n_items}, expected the published number of items (1..{spec.n_items}) "
                        "of a scale with items: unknown")
        n = s.published_n_items
    else:
        if not items:
            raise _fail(origin, f"{where}.items", "expected at least one item")
        _check_items(items, spec.n_items, origin, f"{where}.items")
        if s.published_n_items is not None and len(items) != s.published_n_items:
            raise _fail(origin, f"{where}.items", f"got {len(items)} items, expected the published {s.published_n_items}")
        n = len(items)
    if s.max_missing is not None:
        max_missing = s.max_missing
    elif miss.max_missing_share is not None:
        max_missing = int(math.floor(miss.max_missing_share * n + 1e-9))
    else:
        max_missing = 0
    if not 0 <= max_missing < n:
        raise _fail(origin, f"{where}.max_missing", f"got {max_missing}, expected 0..{n - 1} for {n} items")
    if s.multiplier == 0 or not math.isfinite(s.multiplier):
        raise _fail(origin, f"{where}.multiplier", f"got {s.multiplier}, expected a finite non-zero number")
    status = s.status or spec.status
    own = s.status_reason is not None
    if status == "provisional" and _blank(s.status_reason if own else spec.status_reason):
        raise _fail(origin, f"{where}.status_reason", "a provisional scale needs a reason")
    if status == "provisional" and spec.status == "verified":
        raise _fail(origin, f"{where}.status", "a provisional scale needs the instrument status 'provisional'")
    lo, hi = _score_range(s.rule, n, spec.item_min, spec.item_max, s.multiplier)
    norms = _build_norms(s, where, origin)
    reason, reasons = _texts(s.status_reason if own else spec.status_reason)
    t_norms = _build_t_norms(s, where, origin, (lo, hi), (status, reason or ""))
    bands = _build_bands(s, where, origin, lo, hi)
    label, labels = _texts(s.label)
    return Scale(
        name=name,
        items=items,
        rule=s.rule,
        better_is=s.better_is,
        reverse=tuple(i for i in items if i in reverse),
        max_missing=max_missing,
        multiplier=float(s.multiplier),
        label=label,
        labels=labels,
        status=status,
        status_reason=reason if own or status == "provisional" else None,
        status_reasons=reasons if own or status == "provisional" else {},
        confidence=s.confidence,
        source=s.source,
        note=s.note,
        score_min=lo,
        score_max=hi,
        norms=norms,
        default_norms=s.default_norms,
        t_norms=t_norms,
        bands=bands,
        bands_source=s.bands_source,
        published_n_items=s.published_n_items,
    )


def _build_norms(s: _ScaleSpec, where: str, origin: str) -> dict[str, NormSet]:
    """The scale's norm sets, every value with a source and a plausible range."""
    norms: dict[str, NormSet] = {}
    for set_name, ns in s.norms.items():
        fields: dict[str, Norm | None] = {}
        for f in _NORM_FIELDS:
            n = getattr(ns, f)
            if n is None:
                fields[f] = None
                continue
            nwhere = f"{where}.norms.{set_name}.{f}"
            src = n.source or ns.source
            if not src:
                raise _fail(origin, nwhere, "expected a source (on the value or on the norm set)")
            if f == "reliability" and not 0 < n.value <= 1:
                raise _fail(origin, nwhere, f"got {n.value}, expected a reliability in (0, 1]")
            if f in ("sd_clinical", "sd_functional", "rci") and not n.value > 0:
                raise _fail(origin, nwhere, f"got {n.value}, expected a positive number")
            if n.clinical_if is not None and f != "cutoff":
                raise _fail(origin, nwhere, "clinical_if is only allowed on a cutoff")
            fields[f] = Norm(n.value, src, n.confidence, n.note, n.clinical_if)
        norms[set_name] = NormSet(name=set_name, source=ns.source or "", **fields)
    if s.default_norms is not None and s.default_norms not in norms:
        raise _fail(origin, f"{where}.default_norms", f"got {s.default_norms!r}, expected one of {list(norms)}")
    return norms


def _build_t_norms(s: _ScaleSpec, where: str, origin: str, score_range: tuple[float, float],
                   scale_status: tuple[str, str]) -> dict[str, TNorm]:
    """The scale's T-score norms: linear (mean, sd) or a table covering the score range.

    A T-norm without its own ``status`` has the scale's status (and reason); a provisional
    one needs a reason.
    """
    lo, hi = score_range
    t_norms: dict[str, TNorm] = {}
    for tn_name, tn in s.t_norms.items():
        twhere = f"{where}.t_norms.{tn_name}"
        status = tn.status or scale_status[0]
        reason = tn.status_reason or (scale_status[1] if tn.status is None and status == "provisional" else None)
        if status == "provisional" and not (reason or "").strip():
            raise _fail(origin, f"{twhere}.status_reason", "a provisional T-norm needs a reason")
        extra = {"confidence": tn.confidence, "population": tn.population, "note": tn.note,
                 "status": status, "status_reason": reason}
        if tn.method == "linear":
            if tn.mean is None or tn.sd is None or tn.raw is not None or tn.t is not None:
                raise _fail(origin, twhere, "a linear T-norm needs mean and sd (and no raw/t table)")
            if not tn.sd > 0:
                raise _fail(origin, f"{twhere}.sd", f"got {tn.sd}, expected a positive number")
            t_norms[tn_name] = TNorm(tn_name, "linear", tn.source, mean=tn.mean, sd=tn.sd, **extra)
        else:
            if tn.raw is None or tn.t is None or tn.mean is not None or tn.sd is not None:
                raise _fail(origin, twhere, "a table T-norm needs raw and t lists (and no mean/sd)")
            raw, t = np.asarray(tn.raw, float), np.asarray(tn.t, float)
            if len(raw) != len(t) or len(raw) < 2:
                raise _fail(origin, twhere, f"raw and t must have the same length >= 2, got {len(raw)} and {len(t)}")
            if np.any(np.diff(raw) <= 0):
                raise _fail(origin, f"{twhere}.raw", "expected strictly increasing raw scores")
            if np.any(np.diff(t) < 0):
                raise _fail(origin, f"{twhere}.t", "expected T-scores that do not decrease as the raw score rises")
            if raw[0] > lo or raw[-1] < hi:
                raise _fail(origin, f"{twhere}.raw", f"table covers {raw[0]:g}..{raw[-1]:g}, expected it to cover the scale range {lo:g}..{hi:g}")
            t_norms[tn_name] = TNorm(tn_name, "table", tn.source, raw=tuple(tn.raw), t=tuple(tn.t), **extra)
    return t_norms


def _build_bands(s: _ScaleSpec, where: str, origin: str, lo: float, hi: float) -> tuple[Band, ...]:
    """Severity bands from their lower bounds; each band ends where the next begins."""
    mins = [b.min for b in s.bands]
    if mins and (mins[0] != lo or any(b <= a for a, b in zip(mins, mins[1:], strict=False)) or mins[-1] > hi):
        raise _fail(origin, f"{where}.bands", f"got lower bounds {mins}, expected strictly increasing bounds from the scale minimum {lo:g} up to at most {hi:g}")
    bands = [Band(b.min, mins[k + 1] if k + 1 < len(mins) else hi, b.label) for k, b in enumerate(s.bands)]
    if bands and not s.bands_source:
        raise _fail(origin, f"{where}.bands_source", "expected a source for the bands")
    return tuple(bands)


def _unions(spec: _InstrumentSpec, scales: dict[str, Scale], origin: str) -> list[tuple[str, Any]]:
    """The scales with ``union_of`` (name, spec), after checking that each names other scales."""
    out = []
    for name, s in spec.scales.items():
        if not s.union_of:
            continue
        bad = [u for u in s.union_of if u not in scales or u == name]
        if bad:
            raise _fail(origin, f"scales.{name}.union_of", f"got {bad[0]!r}, expected other scales of {list(scales)}")
        out.append((name, s))
    return out


def _check_unions(spec: _InstrumentSpec, scales: dict[str, Scale], origin: str) -> None:
    """A scale with ``union_of`` must hold exactly the items of those scales (e.g. the SQ-48 total)."""
    for name, s in _unions(spec, scales, origin):
        want = {i for u in s.union_of for i in scales[u].items}
        have = set(scales[name].items)
        if have != want:
            diff = sorted(have ^ want)
            raise _fail(
                origin, f"scales.{name}.items",
                f"expected exactly the items of {', '.join(s.union_of)}; item {diff[0]} "
                f"{'is not in those scales' if diff[0] in have else 'is missing'}",
            )


def _check_scale_level(spec: _InstrumentSpec, scales: dict[str, Scale], origin: str) -> bool:
    """True for a scale-level instrument (every scale ``items: unknown``), after checking that it
    is consistent: no scale lists items while another does not, provisional, no reverse items."""
    unknown = [n for n, s in scales.items() if not s.items]
    if not unknown:
        return False
    listed = [n for n, s in scales.items() if s.items]
    if listed:
        raise _fail(origin, f"scales.{unknown[0]}.items",
                    f"got {_UNKNOWN!r} while scale {listed[0]} lists its items; expected item numbers for "
                    f"every scale, or {_UNKNOWN!r} for every scale (a scale-level instrument)")
    if spec.status != "provisional":
        raise _fail(origin, "status", "a scale-level instrument (items: unknown) must be provisional, "
                    "with the reason in status_reason")
    if spec.reverse_items:
        raise _fail(origin, "reverse_items", "expected none in a scale-level instrument (items: unknown)")
    return True


def _check_sizes(spec: _InstrumentSpec, scales: dict[str, Scale], origin: str) -> None:
    """Scale-level instrument: the ``partition`` scales' published sizes add up to ``n_items`` and
    a ``union_of`` scale of partition scales has the size of the scales it holds (the checks
    possible without items)."""
    part = tuple(spec.partition or ())
    _check_partition_names(part, scales, origin)
    if part and sum(scales[p].n_items for p in part) != spec.n_items:
        sizes = " + ".join(str(scales[p].n_items) for p in part)
        raise _fail(origin, "partition", f"the published sizes add up to {sizes} = "
                    f"{sum(scales[p].n_items for p in part)}, expected n_items {spec.n_items}")
    for name, s in _unions(spec, scales, origin):
        if not set(s.union_of) <= set(part):
            continue  # scales that may overlap: their union's size is not known without items
        want = sum(scales[u].n_items for u in s.union_of)
        if scales[name].n_items != want:
            raise _fail(origin, f"scales.{name}.published_n_items",
                        f"got {scales[name].n_items}, expected {want}: the items of {', '.join(s.union_of)}")


def _check_partition_names(partition: tuple[str, ...], scales: dict[str, Scale], origin: str) -> None:
    """Every name in ``partition`` is a scale of the instrument."""
    unknown = [p for p in partition if p not in scales]
    if unknown:
        raise _fail(origin, "partition", f"unknown scale {unknown[0]!r}, expected names from scales")


def _check_partition(partition: tuple[str, ...], scales: dict[str, Scale], n_items: int, origin: str) -> None:
    """A partition lists scales that hold every item exactly once."""
    if not partition:
        return
    _check_partition_names(partition, scales, origin)
    count = np.zeros(n_items + 1, dtype=int)
    for p in partition:
        count[list(scales[p].items)] += 1
    twice = np.flatnonzero(count[1:] > 1) + 1
    if twice.size:
        holders = [p for p in partition if int(twice[0]) in scales[p].items]
        raise _fail(origin, "partition", f"item {int(twice[0])} is in more than one scale ({', '.join(holders)})")
    never = np.flatnonzero(count[1:] == 0) + 1
    if never.size:
        raise _fail(origin, "partition", f"item {int(never[0])} is in none of {list(partition)}, expected every item 1..{n_items} exactly once")


def _check_imputation(method: str, impute: tuple[str, ...], scales: dict[str, Scale], origin: str) -> None:
    """Imputation within scales: non-overlapping scales that cover every scored item."""
    if method == "impute_scale_mean_rounded":
        if not impute:
            raise _fail(origin, "missing.impute_within", "imputation needs the list of scales to impute within")
        unknown = [p for p in impute if p not in scales]
        if unknown:
            raise _fail(origin, "missing.impute_within", f"unknown scale {unknown[0]!r}")
        covered = [i for p in impute for i in scales[p].items]
        if len(covered) != len(set(covered)):
            raise _fail(origin, "missing.impute_within", "scales overlap; each item must be imputed within one scale")
        left = sorted(set(i for s in scales.values() for i in s.items) - set(covered))
        if left:
            raise _fail(origin, "missing.impute_within", f"item {left[0]} is scored but in none of {list(impute)}")
    elif impute:
        raise _fail(origin, "missing.impute_within", "only used with method impute_scale_mean_rounded")


def _parse(text: str, origin: str, display: str | None = None) -> Instrument:
    """Parse and validate YAML ``text``; errors name ``display`` (default: ``origin``)."""
    where = display or origin
    data = parse_yaml(text, source=f"instrument file {where}")
    if not isinstance(data, dict):
        raise _fail(where, "top level", f"got {type(data).__name__}, expected a mapping of keys")
    try:
        spec = _InstrumentSpec.model_validate(data)
    except _PydanticError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "top level"
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        got = first.get("input")
        got_text = "" if first["type"] == "missing" else f" (got {got!r})"
        raise _fail(where, loc, f"{first['msg']}{got_text}{more}") from None
    inst = _build(spec, where)
    return inst if inst.origin == origin else _replace(inst, origin=origin)


# ============================================================================ registry
_SHIPPED_CACHE: dict[str, Instrument] = {}
_REGISTERED: dict[str, Instrument] = {}


def _shipped_ids() -> list[str]:
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.yaml"))


def _shipped(id: str) -> Instrument:
    if id not in _SHIPPED_CACHE:
        path = SHIPPED_DIR / f"{id}.yaml"
        inst = _parse(path.read_text(encoding="utf-8"), "shipped", display=str(path))
        if inst.id != id:
            raise _fail(f"{path.name}", "id", f"got {inst.id!r}, expected the file name {id!r}")
        _SHIPPED_CACHE[id] = inst
    return _SHIPPED_CACHE[id]


def available() -> list[str]:
    """Ids of the shipped and registered instruments, sorted.

    >>> available()[:3]
    ['bsi53', 'core10', 'core_om']
    """
    return sorted(set(_shipped_ids()) | set(_REGISTERED))


def get(id: str) -> Instrument:
    """The instrument ``id``: a registered user file if any, otherwise the shipped one.

    >>> get("dass21").scales["stress_x2"].score_max
    42.0
    >>> get("scl91")
    Traceback (most recent call last):
    ...
    effectstudy.core.errors.ArgumentError: instrument: got 'scl91', expected one of ['bsi53', ...]
    """
    if not isinstance(id, str):
        raise ArgumentTypeError("instrument", id, "a registry id (str)")
    if id in _REGISTERED:
        return _REGISTERED[id]
    if id in _shipped_ids():
        return _shipped(id)
    if (TEMPLATES_DIR / f"{id}.yaml").is_file():
        raise ArgumentError(
            "instrument", id,
            f"a registered key: {id} ships only as a template without its item key (no verified public "
            f"source); copy es.instruments.template_path({id!r}), fill in the item numbers from the "
            "scoring key and load it with es.instruments.load(path, register=True)",
        )
    raise ArgumentError("instrument", id, f"one of {available()}")


def display_name(id: str, lang: str = "nl") -> str:
    """The name of instrument ``id`` in ``lang`` for a report; ``id`` itself when the registry does
    not know it (a practice's own key file, or a record of an older run).

    >>> display_name("scl90_nl", "en"), display_name("own_key", "nl")
    ('SCL-90, Dutch edition (Arrindell & Ettema 2003)', 'own_key')
    """
    try:
        return get(str(id)).display_name(lang)
    except ArgumentError:
        return str(id)


def scale_names(id: str, lang: str = "nl", *, code: bool | None = None) -> dict[str, str]:
    """``{scale code: name in lang}`` of instrument ``id`` (:meth:`Instrument.scale_labels`), for
    relabelling codes in a table, plot or text; ``{}`` when the registry does not know ``id``, so
    that ``names.get(code, code)`` keeps the code.

    >>> scale_names("scl90_nl", "nl")["PSNEUR"], scale_names("own_key")
    ('Psychoneuroticisme (PSNEUR)', {})
    """
    try:
        return get(str(id)).scale_labels(lang, code=code)
    except ArgumentError:
        return {}


def template_path(id: str) -> Path:
    """Path of the shipped template of instrument ``id`` (a key to complete, see its comments).

    >>> template_path("sq48").name
    'sq48.yaml'
    """
    p = TEMPLATES_DIR / f"{id}.yaml"
    if not isinstance(id, str) or not p.is_file():
        have = sorted(q.stem for q in TEMPLATES_DIR.glob("*.yaml"))
        raise ArgumentError("template", id, f"one of {have}")
    return p


def no_key_message(inst: Instrument, what: str) -> str:
    """Why ``what`` (an action that needs the item key) is impossible with a scale-level
    instrument (``items: unknown``), and how to get a key: the template to fill in, if one ships.

    >>> print(no_key_message(get("sq48"), "scoring its item columns"))  # doctest: +ELLIPSIS
    sq48 is registered at scale level only: its item-to-subscale key is not shipped ...), so scoring its item columns is not possible. ...
    """
    try:
        where = f"copy the template es.instruments.template_path({inst.id!r}) ({template_path(inst.id)}), "
    except ArgumentError:
        where = f"write an instrument file for {inst.id} in the registry format, "
    return (f"{inst.id} is registered at scale level only: its item-to-subscale key is not shipped (the "
            f"registry gives each scale's number of items, range and direction, not which items; see "
            f"es.instruments.get({inst.id!r}).status_reason), so {what} is not possible. Score-only exports "
            f"(values: scores, columns score_<SCALE>) are validated and analysed without it. To use item "
            f"answers, {where}replace each 'FILL IN' by the item numbers of the scoring key and load it "
            "with es.instruments.load(path, register=True)")


def load(path: str | Path, *, register: bool = False) -> Instrument:
    """Read and validate a user instrument YAML (same format and checks as the shipped files).

    The result records the file path in ``origin`` and whether it reuses a shipped id in
    ``overrides_shipped``; both end up in the metadata of every score computed with it.
    With ``register=True`` :func:`get` returns it for its id from now on (see
    :func:`unregister`).

    Raises
    ------
    ParamsError
        Unknown or missing keys, wrong types, items outside 1..n_items, an item listed twice,
        a ``partition`` that does not hold every item exactly once, unsourced norms ...
    """
    p = Path(path)
    if not p.is_file():
        raise ArgumentError("path", str(path), "an existing instrument YAML file")
    inst = _parse(p.read_text(encoding="utf-8"), str(p))
    overrides = inst.id in _shipped_ids()
    inst = _replace(inst, overrides_shipped=overrides)
    if register:
        _REGISTERED[inst.id] = inst
    return inst


def register(instrument: Instrument) -> None:
    """Make ``instrument`` the one :func:`get` returns for its id (overrides a shipped file)."""
    if not isinstance(instrument, Instrument):
        raise ArgumentTypeError("instrument", instrument, "an Instrument (from instruments.load)")
    _REGISTERED[instrument.id] = instrument


def unregister(id: str) -> None:
    """Forget a registered user instrument; the shipped one (if any) is used again."""
    _REGISTERED.pop(id, None)


def resolve(instrument: str | Instrument) -> Instrument:
    """An :class:`Instrument` from a registry id or an instrument object."""
    if isinstance(instrument, Instrument):
        return instrument
    return get(instrument)


def _replace(inst: Instrument, **changes: Any) -> Instrument:
    from dataclasses import replace

    return replace(inst, **changes)
