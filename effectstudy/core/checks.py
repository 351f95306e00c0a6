"""Argument checks shared by the analysis verbs, and the dropped-subjects warning.

Every check either returns the value in the form the caller works with (a ``float``, a
direction ``-1``/``+1``, a validated choice) or raises
:class:`~effectstudy.core.errors.ArgumentError` /
:class:`~effectstudy.core.errors.ArgumentTypeError` with a message that names the
argument, the value received and what was expected.  A check used by one module only
stays in that module; a check used by two or more lives here.

>>> check_ci(0.9)
0.9
>>> check_choice("engine", "lme4", ("reml", "statsmodels"))
Traceback (most recent call last):
...
effectstudy.core.errors.ArgumentError: engine: got 'lme4', expected 'reml' or 'statsmodels'
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataQualityWarning

__all__ = [
    "check_ci",
    "check_alpha",
    "check_int",
    "check_better_is",
    "check_reliability",
    "check_columns",
    "check_choice",
    "choices_text",
    "warn_exclusions",
]

_REAL = (int, float, np.integer, np.floating)

#: what ``better_is`` checks add by default: where the direction can come from instead
BETTER_IS_HINT = "or instrument= and scale= to take it from the instrument registry"


def _is_real(value: Any) -> bool:
    """True for a Python or NumPy real number that is not a bool."""
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, _REAL)


def check_ci(ci: Any, name: str = "ci") -> float:
    """A confidence level strictly between 0 and 1, as a ``float``.

    Parameters
    ----------
    ci : float
        The confidence level, e.g. ``0.95``.
    name : str, default "ci"
        The argument's name in messages.

    Returns
    -------
    float

    Raises
    ------
    ArgumentError
        ``ci`` is not a number in (0, 1) (a percentage such as 95, a bool, text, NaN).

    Examples
    --------
    >>> check_ci(0.95)
    0.95
    >>> check_ci(95)
    Traceback (most recent call last):
    ...
    effectstudy.core.errors.ArgumentError: ci: got 95, expected a confidence level in (0, 1), e.g. 0.95
    """
    return _open_unit(ci, name, "a confidence level in (0, 1), e.g. 0.95")


def check_alpha(alpha: Any, name: str = "alpha") -> float:
    """A significance level strictly between 0 and 1, as a ``float``.

    Parameters
    ----------
    alpha : float
        The significance level, e.g. ``0.05``.
    name : str, default "alpha"
        The argument's name in messages.

    Returns
    -------
    float

    Raises
    ------
    ArgumentError
        ``alpha`` is not a number in (0, 1).

    Examples
    --------
    >>> check_alpha(0.05)
    0.05
    >>> check_alpha(5)
    Traceback (most recent call last):
    ...
    effectstudy.core.errors.ArgumentError: alpha: got 5, expected a number in (0, 1), e.g. 0.05
    """
    return _open_unit(alpha, name, "a number in (0, 1), e.g. 0.05")


def _open_unit(value: Any, name: str, expected: str) -> float:
    """``value`` as a float when it is a real number strictly between 0 and 1."""
    if not _is_real(value) or not 0 < value < 1:
        raise ArgumentError(name, value, expected)
    return float(value)


def check_int(value: Any, name: str, minimum: int, expected: str | None = None) -> int:
    """A whole number (Python or NumPy integer, not a bool) of at least ``minimum``, as ``int``.

    Parameters
    ----------
    value : int
        The argument.
    name : str
        The argument's name in messages.
    minimum : int
        The smallest value accepted.
    expected : str, optional
        What the message says was expected; default ``"an integer >= <minimum>"``.

    Returns
    -------
    int

    Raises
    ------
    ArgumentTypeError
        ``value`` is not an integer (a float such as 2.0, a bool, text).
    ArgumentError
        ``value`` is below ``minimum``.

    Examples
    --------
    >>> check_int(5, "folds", 2)
    5
    >>> check_int(1, "folds", 2)
    Traceback (most recent call last):
    ...
    effectstudy.core.errors.ArgumentError: folds: got 1, expected an integer >= 2
    """
    expected = f"an integer >= {minimum}" if expected is None else expected
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise ArgumentTypeError(name, value, expected)
    if value < minimum:
        raise ArgumentError(name, value, expected)
    return int(value)


def check_better_is(better_is: Any, hint: str | None = BETTER_IS_HINT) -> int:
    """The direction of improvement: ``-1`` for ``"lower"``, ``+1`` for ``"higher"``.

    Parameters
    ----------
    better_is : {"lower", "higher"}
        Which scores are better.
    hint : str or None
        Added in brackets to the message (where else the direction can come from);
        ``None`` for none.

    Returns
    -------
    int
        ``-1`` or ``+1``: multiply ``post - pre`` by it so that improvement is positive.

    Raises
    ------
    ArgumentError
        Anything but ``"lower"`` or ``"higher"`` (``None`` included).

    Examples
    --------
    >>> check_better_is("lower"), check_better_is("higher")
    (-1, 1)
    >>> check_better_is(None, hint=None)
    Traceback (most recent call last):
    ...
    effectstudy.core.errors.ArgumentError: better_is: got None, expected 'lower' or 'higher'
    """
    if isinstance(better_is, str) and better_is == "lower":
        return -1
    if isinstance(better_is, str) and better_is == "higher":
        return 1
    raise ArgumentError("better_is", better_is,
                        "'lower' or 'higher'" + (f" ({hint})" if hint else ""))


def check_reliability(value: Any, name: str = "reliability") -> tuple[float, str]:
    """Resolve a reliability argument to ``(value, source)``.

    Parameters
    ----------
    value : float or result
        A number in (0, 1), or an object with an ``estimate`` attribute (such as the
        result of ``es.reliability(...)``, whose ``meta["method"]`` names the source).
    name : str, default "reliability"
        The argument's name in messages.

    Returns
    -------
    (float, str)
        The reliability and where it came from (``"argument"`` or
        ``"es.reliability (<method>)"``).

    Raises
    ------
    ArgumentError
        Text (``"sample"`` says how to get a sample reliability), a value outside (0, 1)
        or exactly 1 (every change would count as reliable).
    ArgumentTypeError
        Not a number.

    Examples
    --------
    >>> check_reliability(0.88)
    (0.88, 'argument')
    >>> check_reliability(1.0)
    Traceback (most recent call last):
    ...
    effectstudy.core.errors.ArgumentError: reliability: got 1.0, expected a number below 1: ...
    """
    source = "argument"
    if isinstance(value, str):
        if value == "sample":
            raise ArgumentError(
                name, value,
                "a number in (0, 1) or the result of es.reliability(...) computed on the "
                "items of the pre measurements (scale scores alone hold no item data to "
                "compute Cronbach's alpha from)",
            )
        raise ArgumentError(name, value, "a number in (0, 1) or an object with .estimate")
    if hasattr(value, "estimate") and not isinstance(value, (int, float, np.number)):
        est = value.estimate
        meta = getattr(value, "meta", None) or {}
        source = f"es.reliability ({meta.get('method', 'sample')})"
        value = float(np.asarray(est).ravel()[0]) if np.ndim(est) else float(est)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ArgumentTypeError(name, value, "a number in (0, 1)")
    v = float(value)
    if not (0.0 < v <= 1.0) or np.isnan(v):
        raise ArgumentError(name, value, "a number in (0, 1]")
    if v == 1.0:
        raise ArgumentError(
            name, value,
            "a number below 1: reliability 1 gives a zero standard error of measurement, "
            "so every change would count as reliable",
        )
    return v, source


def check_columns(data: Any, *, what: str = "data", **columns: Hashable | None) -> None:
    """Check that ``data`` is a DataFrame holding every named column.

    Parameters
    ----------
    data : DataFrame
        The table.
    what : str, default "data"
        The table's argument name, used in messages (``"episodes"``, ``"measurements"``).
    **columns : column name or None
        Argument name -> column name; ``None`` (an optional column not given) is skipped.

    Raises
    ------
    ArgumentTypeError
        ``data`` is not a pandas DataFrame.
    ArgumentError
        A column is not in ``data`` (the message names the argument and lists the columns).

    Examples
    --------
    >>> import pandas as pd
    >>> check_columns(pd.DataFrame({"id": [1]}), subject="id", group=None)
    >>> check_columns(pd.DataFrame({"id": [1]}), subject="client")
    Traceback (most recent call last):
    ...
    effectstudy.core.errors.ArgumentError: subject: got 'client', expected a column of data; its columns are ['id']
    """
    if not isinstance(data, pd.DataFrame):
        raise ArgumentTypeError(what, data, "a pandas DataFrame"
                                + (" in long format" if what == "data" else ""))
    for arg, col in columns.items():
        if col is not None and col not in data.columns:
            raise ArgumentError(arg, col, f"a column of {what}; its columns are "
                                f"{list(data.columns)}")


def choices_text(allowed: Sequence[Any]) -> str:
    """``'a'``, ``'a' or 'b'``, or ``one of 'a', 'b', 'c'``: the expected part of a message.

    >>> choices_text(("nl", "en")), choices_text(("rm", "av", "z"))
    ("'nl' or 'en'", "one of 'rm', 'av', 'z'")
    """
    shown = [repr(a) for a in allowed]
    if len(shown) == 1:
        return shown[0]
    if len(shown) == 2:
        return f"{shown[0]} or {shown[1]}"
    return "one of " + ", ".join(shown)


def check_choice(name: str, value: Any, allowed: Sequence[str], *, hint: str | None = None,
                 ignore_case: bool = False) -> str:
    """A value from a fixed set of strings (a ``method=``, ``kind=``, ``lang=`` ...).

    Parameters
    ----------
    name : str
        The argument's name in messages.
    value : str
        The value received.
    allowed : sequence of str
        The accepted values, in the order they are listed in the message.
    hint : str, optional
        Added in brackets to the message.
    ignore_case : bool, default False
        Accept any capitalisation; the value is returned in lower case.

    Returns
    -------
    str
        ``value`` (lower-cased with ``ignore_case``).

    Raises
    ------
    ArgumentError
        ``value`` is not one of ``allowed`` (also when it is not a string).

    Examples
    --------
    >>> check_choice("method", "JT", ("jt", "gln", "ha"), ignore_case=True)
    'jt'
    >>> check_choice("lang", "de", ("nl", "en"))
    Traceback (most recent call last):
    ...
    effectstudy.core.errors.ArgumentError: lang: got 'de', expected 'nl' or 'en'
    """
    got = value.lower() if ignore_case and isinstance(value, str) else value
    if not isinstance(got, str) or got not in allowed:
        raise ArgumentError(name, value, choices_text(allowed) + (f" ({hint})" if hint else ""))
    return got


def warn_exclusions(n_original: int, n_used: int, exclusions: Mapping[str, int], *,
                    stacklevel: int = 2) -> None:
    """Warn that subjects were left out of an analysis, with the count per reason.

    Reasons starting with ``rows_`` count rows, not subjects: they stay in ``meta`` but
    are not named in the warning.  Nothing is emitted when no subject was left out.

    Parameters
    ----------
    n_original, n_used : int
        Subjects in the data and subjects analysed.
    exclusions : mapping
        Reason -> number left out (as in a result's ``meta["exclusions"]``).
    stacklevel : int, default 2
        As for :func:`warnings.warn`, seen from the caller (2 = the caller's caller).

    Warns
    -----
    DataQualityWarning

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     warn_exclusions(10, 8, {"missing_post": 2, "rows_missing_outcome": 3})
    >>> str(w[0].message)
    '2 of 10 subjects excluded: missing_post 2'
    """
    excl = {k: v for k, v in exclusions.items() if not str(k).startswith("rows_")}
    if excl:
        warnings.warn(
            f"{n_original - n_used} of {n_original} subjects excluded: "
            + ", ".join(f"{k} {v}" for k, v in excl.items()),
            DataQualityWarning, stacklevel=stacklevel + 1,
        )
