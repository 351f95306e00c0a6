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
]


def _shown(value: Any) -> str:
    """``repr`` of a value as the user typed it: a NumPy scalar shows as its Python value.

    >>> import numpy as np
    >>> _shown(np.int64(2)), _shown(np.float64(0.5)), _shown("x")
    ('2', '0.5', "'x'")
    """
    if type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        value = value.item()
    return repr(value)


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
    ) -> None:
        self.file, self.row, self.column, self.value, self.expected = (
            file,
            row,
            column,
            value,
            expected,
        )
        where = ""
        if file is not None:
            where = str(file)
            if row is not None:
                where += f":{row}"
        elif row is not None:
            where = f"row {row}"
        if column is not None:
            where = f"{where} {column}".strip()
        parts = [p for p in (where, message) if p]
        text = ": ".join(parts)
        if value is not None or expected is not None:
            text += f": found {_shown(value)}"
            if expected is not None:
                text += f", expected {expected}"
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
