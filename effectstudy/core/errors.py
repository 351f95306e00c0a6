"""Exceptions and warnings raised by effectstudy.

Every error is a subclass of :class:`ValueError` or :class:`TypeError`, so callers
that already catch those keep working.  Messages name the argument (or the file,
row and column), the value received and what was expected.

>>> from effectstudy.core.errors import ArgumentError
>>> raise ArgumentError("method", "xx", "one of 'jt', 'ha'")
Traceback (most recent call last):
...
effectstudy.core.errors.ArgumentError: method: got 'xx', expected one of 'jt', 'ha'
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

__all__ = [
    "EffectstudyError",
    "ArgumentError",
    "ArgumentTypeError",
    "DataError",
    "ValidationError",
    "ParamsError",
    "FolderError",
    "DataQualityWarning",
    "ProvisionalKeyWarning",
    "IDENTIFYING_COLUMNS",
    "NOT_SHOWN",
]

#: canonical columns whose values identify a client or a treatment: a message never quotes them
#: (Privacy & integrity VAL-5: "the message never contains ... direct identifiers", SEC-P2)
IDENTIFYING_COLUMNS: frozenset[str] = frozenset({"client_id", "episode_id", "start_date", "end_date", "date",
                                                 "birth_year", "therapist"})
#: what a message shows instead of an identifying value
NOT_SHOWN = "(niet getoond: identificerend)"


def _identifying(column: Any, value: Any) -> bool:
    """True for a value of an identifying column (or of a key naming one) and for any date."""
    if isinstance(value, (_dt.date, _dt.datetime)) or type(value).__name__ in ("datetime64", "Timestamp"):
        return True
    if column is None:
        return False
    names = [c.strip() for c in str(column).split(",")]
    return any(c in IDENTIFYING_COLUMNS for c in names)


def _shown(value: Any) -> str:
    """``repr`` of a value as the user typed it: a NumPy scalar shows as its Python value.

    >>> import numpy as np
    >>> _shown(np.int64(2)), _shown(np.float64(0.5)), _shown("x")
    ('2', '0.5', "'x'")
    """
    if type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        value = value.item()
    return repr(value)


def _whole(row: Any) -> bool:
    """True for a row number (an int, a NumPy integer or a whole float), False for other labels."""
    if isinstance(row, bool):
        return False
    if isinstance(row, int) or (type(row).__module__ == "numpy" and hasattr(row, "is_integer")
                                and float(row).is_integer()):
        return True
    return isinstance(row, float) and row.is_integer()


class EffectstudyError(Exception):
    """Base class of every effectstudy error."""


class ArgumentError(EffectstudyError, ValueError):
    """A function argument has an invalid value.

    Parameters
    ----------
    name : str
        The argument's name, as the user wrote it.
    value : Any
        The value received (shown with ``repr``).
    expected : str
        What would have been accepted.
    """

    def __init__(self, name: str, value: Any, expected: str) -> None:
        self.name = name
        self.value = value
        self.expected = expected
        super().__init__(f"{name}: got {_shown(value)}, expected {expected}")


class ArgumentTypeError(EffectstudyError, TypeError):
    """A function argument has the wrong type."""

    def __init__(self, name: str, value: Any, expected: str) -> None:
        self.name = name
        self.value = value
        self.expected = expected
        super().__init__(f"{name}: got {type(value).__name__} {_shown(value)}, expected {expected}")


class DataError(EffectstudyError, ValueError):
    """A value in input data is invalid.

    The message has the form ``<file>:<row> <column>: found <value>, expected <expected>``;
    parts that are unknown are left out.  ``row`` is the 1-based line number in the
    source file where it is known (header = line 1), otherwise the 0-based row label.

    A message never quotes an identifier (Privacy & integrity VAL-5): the value of an
    identifying column (:data:`IDENTIFYING_COLUMNS`, also inside a key such as
    ``"client_id, date"``) or a date is shown as :data:`NOT_SHOWN`, as is a value passed with
    ``identifying=True`` (a subject id of an analysis); a row label that is not a whole number
    (an id used as the index) is not shown either.  The attributes keep the values for the
    caller's own code.

    >>> str(DataError("duplicate", row=4, column="client_id", value="Jan Jansen"))
    'row 4 client_id: duplicate: found (niet getoond: identificerend)'
    >>> str(DataError("duplicate", row="C001", column="score", value=7))
    'row (niet getoond: identificerend) score: duplicate: found 7'
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: Any = None,
        expected: str | None = None,
        identifying: bool | None = None,
    ) -> None:
        self.file, self.row, self.column, self.value, self.expected = (
            file,
            row,
            column,
            value,
            expected,
        )
        hide = _identifying(column, value) if identifying is None else bool(identifying)
        if row is not None and not _whole(row):
            row = NOT_SHOWN
        where = ""
        if file is not None:
            where = str(file)
            if row is not None:
                where += f":{row}" if row != NOT_SHOWN else f" row {row}"
        elif row is not None:
            where = f"row {row}"
        if column is not None:
            where = f"{where} {column}".strip()
        parts = [p for p in (where, message) if p]
        text = ": ".join(parts)
        if value is not None:
            text += f": found {NOT_SHOWN if hide else _shown(value)}"
        if expected is not None:
            text += f"{',' if value is not None else ':'} expected {expected}"
        super().__init__(text)


class ValidationError(EffectstudyError, ValueError):
    """Fatal problems found while validating input.

    ``problems`` is a DataFrame (file, row, column, value, rule, expected, severity);
    the message shows the first few and the total count.
    """

    def __init__(self, message: str, problems: Any = None) -> None:
        self.problems = problems
        super().__init__(message)


class ParamsError(EffectstudyError, ValueError):
    """A parameter file or parameter value is invalid; the message names the key."""


class FolderError(EffectstudyError, ValueError):
    """A folder cannot be used: ``effectstudy init`` would overwrite files, or the files the
    package ships are missing; the message names the folder."""


class DataQualityWarning(UserWarning):
    """Subjects or rows were excluded from an analysis; the result's ``meta`` counts them."""


class ProvisionalKeyWarning(UserWarning):
    """An instrument key marked ``provisional`` was used; results say so in their ``meta``."""
