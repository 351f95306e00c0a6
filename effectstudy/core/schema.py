"""Canonical table layouts: the one glossary of column names used across effectstudy.

Data flows one way: ``read -> validate -> score -> pair -> analyse -> report``.
Every stage speaks the canonical long format defined here.  Readers map export
column names onto these through an explicit column map (never by guessing).

Tables
------
episodes
    One row per treatment episode.
measurements
    One row per questionnaire administration; item columns ``item_1`` ... ``item_N``
    hold raw response codes.
scores
    Output of scoring: one row per administration and scale.
scored measurements
    Measurements exported already scored (score-only files, ``values: scores`` in the
    params): the measurement columns and one column ``score_<SCALE>`` per scale, no items.
satisfaction
    End-of-treatment questionnaire per episode.

>>> EPISODES.required
('episode_id', 'client_id', 'start_date')
>>> item_column(7)
'item_7'
>>> item_number('item_12')
12
>>> score_column("PSNEUR"), score_scale("score_PSNEUR")
('score_PSNEUR', 'PSNEUR')
>>> score_columns(["date", "score_DEP", "item_1", "score_ANG"])
['score_DEP', 'score_ANG']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

__all__ = [
    "Column",
    "TableSpec",
    "EPISODES",
    "MEASUREMENTS",
    "SCORES",
    "SCORED_MEASUREMENTS",
    "SATISFACTION",
    "TABLES",
    "CATEGORIES",
    "CATEGORY_DTYPE",
    "STAGNATION_STATUSES",
    "ITEM_PATTERN",
    "SCORE_PATTERN",
    "item_column",
    "item_number",
    "item_columns",
    "score_column",
    "score_scale",
    "score_columns",
]

Kind = Literal["str", "date", "int", "float", "bool", "category"]

#: the name of an item column, ``item_<n>`` with n >= 1 (regular expression, for ``fullmatch``)
ITEM_PATTERN = r"item_[1-9][0-9]*"
_SCALE_NAME = r"[A-Za-z][A-Za-z0-9_]*"
#: the name of a precomputed score column of a score-only file, ``score_<SCALE>``
SCORE_PATTERN = rf"score_{_SCALE_NAME}"


@dataclass(frozen=True)
class Column:
    """One canonical column: its name, value kind, whether it is required, and allowed values."""

    name: str
    kind: Kind
    required: bool = False
    allowed: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    description: str = ""


@dataclass(frozen=True)
class TableSpec:
    """The canonical layout of one table."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = field(default=())
    #: columns matching this pattern are allowed beyond ``columns`` (item columns)
    extra_pattern: str | None = None

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


END_REASONS = ("regular", "dropout", "referral", "other")
CARE_TYPES = ("basic", "specialised")

EPISODES = TableSpec(
    name="episodes",
    key=("episode_id",),
    columns=(
        Column("episode_id", "str", required=True, description="treatment episode id"),
        Column("client_id", "str", required=True, description="client id"),
        Column("start_date", "date", required=True, description="first session"),
        Column("end_date", "date", description="last session; empty while open"),
        Column("sessions", "int", min=0, max=500, description="number of sessions held"),
        Column("diagnosis", "str", description="diagnosis group"),
        Column("care_type", "category", allowed=CARE_TYPES, description="GB-GGZ or S-GGZ"),
        Column("treatment", "str", description="treatment type"),
        Column("end_reason", "category", allowed=END_REASONS, description="why it ended"),
        Column("therapist", "str", description="therapist code (never published)"),
        Column("birth_year", "int", min=1900, max=2100, description="client's year of birth"),
        Column("sex", "str", description="client's sex"),
        Column("consent_study", "bool", description="consent to the effect study; missing = no"),
        Column("consent_research", "bool", description="consent to research storage; missing = no"),
    ),
)

MEASUREMENTS = TableSpec(
    name="measurements",
    key=("client_id", "instrument", "date"),
    extra_pattern=ITEM_PATTERN,
    columns=(
        Column("client_id", "str", required=True),
        Column("episode_id", "str"),
        Column("instrument", "str", required=True, description="registry id, e.g. scl90_nl"),
        Column("date", "date", required=True, description="administration date"),
        Column("session", "int", min=0, max=500, description="session number at administration"),
        Column("occasion", "str", description="e.g. pre, interim, post"),
    ),
)

SCORES = TableSpec(
    name="scores",
    key=("client_id", "instrument", "date", "scale"),
    columns=(
        Column("client_id", "str", required=True),
        Column("episode_id", "str"),
        Column("instrument", "str", required=True),
        Column("date", "date", required=True),
        Column("session", "int"),
        Column("occasion", "str"),
        Column("scale", "str", required=True),
        Column("score", "float", required=True),
        Column("n_answered", "int", required=True),
        Column("prorated", "bool", required=True),
    ),
)

SATISFACTION = TableSpec(
    name="satisfaction",
    key=("episode_id",),
    extra_pattern=ITEM_PATTERN,
    columns=(
        Column("episode_id", "str", required=True),
        Column("issued", "bool", required=True, description="form handed out"),
        Column("returned", "bool", description="form returned"),
        Column("grade", "float", min=1, max=10, description="client's grade 1-10"),
    ),
)

#: a score-only measurements file: the measurement columns with ``score_<SCALE>`` columns instead
#: of items (precomputed scale scores; scoring is skipped, see ``effectstudy.score``)
SCORED_MEASUREMENTS = TableSpec(
    name="measurements",
    key=MEASUREMENTS.key,
    extra_pattern=SCORE_PATTERN,
    columns=MEASUREMENTS.columns,
)

TABLES: dict[str, TableSpec] = {t.name: t for t in (EPISODES, MEASUREMENTS, SCORES, SATISFACTION)}

#: Outcome categories, best to worst (clinicalsignificance's order, lower-case).
CATEGORIES: tuple[str, ...] = ("recovered", "improved", "unchanged", "deteriorated", "harmed")
CATEGORY_DTYPE = pd.CategoricalDtype(list(CATEGORIES), ordered=True)

STAGNATION_STATUSES: tuple[str, ...] = ("on_track", "stagnated", "not_evaluable")

_ITEM_RE = re.compile(r"^item_([1-9][0-9]*)$")  # ITEM_PATTERN with the number as a group


def item_column(number: int) -> str:
    """Canonical name of item ``number`` (1-based)."""
    return f"item_{int(number)}"


def item_number(column: str) -> int:
    """Item number of a canonical item column; ``ValueError`` for anything else."""
    m = _ITEM_RE.match(column)
    if m is None:
        raise ValueError(f"{column!r} is not an item column; expected 'item_<n>' with n >= 1")
    return int(m.group(1))


def item_columns(columns) -> list[str]:
    """The item columns among ``columns``, sorted by item number."""
    items = [c for c in columns if isinstance(c, str) and _ITEM_RE.match(c)]
    return sorted(items, key=item_number)


def non_item_columns(columns) -> list[str]:
    """The columns that are not item columns (ids, dates, occasion ...), in their order.

    >>> non_item_columns(["client_id", "item_2", "date", "item_1"])
    ['client_id', 'date']
    """
    return [c for c in columns if not (isinstance(c, str) and _ITEM_RE.match(c))]


_SCORE_RE = re.compile(rf"^score_({_SCALE_NAME})$")


def score_column(scale: str) -> str:
    """Canonical name of the precomputed score column of ``scale`` in a score-only file."""
    return f"score_{scale}"


def score_scale(column: str) -> str:
    """Scale name of a canonical score column; ``ValueError`` for anything else."""
    m = _SCORE_RE.match(column)
    if m is None:
        raise ValueError(f"{column!r} is not a score column; expected 'score_<SCALE>'")
    return m.group(1)


def score_columns(columns) -> list[str]:
    """The score columns (``score_<SCALE>``) among ``columns``, in their order."""
    return [c for c in columns if isinstance(c, str) and _SCORE_RE.match(c)]
