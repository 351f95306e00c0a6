"""Preparation shared by the student models: argument checks, subject values, coding.

Used by :mod:`effectstudy.models.ancova` and :mod:`effectstudy.models.mixed`.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from effectstudy.core.checks import check_columns
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError

__all__ = [
    "check_covariates",
    "subject_values",
    "factor_levels",
    "is_numeric",
    "contrast_code",
    "Term",
    "covariate_terms",
]


def check_covariates(covariates: Any, data: pd.DataFrame, taken: dict[str, Hashable]) -> list:
    """The covariate columns as a list: columns of ``data``, each once, none of the columns
    already ``taken`` by another argument (``{argument: column}``); ``[]`` for None."""
    if covariates is None:
        return []
    if isinstance(covariates, (str, bytes)) or not isinstance(covariates, Sequence):
        raise ArgumentTypeError("covariates", covariates,
                                "a list of column names, e.g. ['age'] (or None)")
    covs = list(covariates)
    check_columns(data, **{f"covariates[{i}]": c for i, c in enumerate(covs)})
    if len(set(covs)) != len(covs):
        raise ArgumentError("covariates", covs, "each column once")
    for c in covs:
        for arg, col in taken.items():
            if col is not None and c == col:
                raise ArgumentError("covariates", c, f"a column other than {arg}={col!r}")
    return covs


def subject_values(data: pd.DataFrame, *, subject: Hashable, time: Hashable, pre: Any,
                    post: Any, columns: list) -> pd.DataFrame:
    """Per subject, the values of ``columns`` on its pre row, or its post row without one.

    The same rule as :func:`effectstudy.data.longdata.prepost_wide` uses for the group.
    """
    tv = data[time].to_numpy()
    keep = np.flatnonzero((tv == pre) | (tv == post))
    order = keep[np.argsort(tv[keep] != pre, kind="stable")]
    rows = data.iloc[order][[subject, *columns]]
    rows = rows.drop_duplicates(subset=[subject], keep="first")
    return rows.set_index(subject)


def factor_levels(s: pd.Series) -> list:
    """The levels present in ``s``: in category order for a categorical, otherwise sorted."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(s.dropna().unique())
        return [c for c in s.cat.categories if c in present]
    return sorted(pd.unique(s.dropna()), key=lambda v: (str(type(v)), v))


def is_numeric(s: pd.Series) -> bool:
    """Whether ``s`` enters a model linearly (numeric and not boolean)."""
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def contrast_code(values: np.ndarray, levels: list, coding: str) -> np.ndarray:
    """Contrast-coded columns of a factor: ``"sum"`` (R contr.sum: level j -> e_j, last
    level -> -1) or ``"treatment"`` (R contr.treatment: first level is the reference)."""
    k = len(levels)
    idx = pd.Categorical(values, categories=levels).codes
    if coding == "sum":
        basis = np.vstack([np.eye(k - 1), -np.ones((1, k - 1))])
    else:
        basis = np.vstack([np.zeros((1, k - 1)), np.eye(k - 1)])
    return basis[idx]


@dataclass
class Term:
    """One term of a design: its columns, their names and, for a factor, its levels."""

    name: str              # display name (column of data, "pre", "time", ...)
    X: np.ndarray          # its columns
    columns: list[str]     # coefficient names
    kind: str = "numeric"  # "numeric" | "factor"
    levels: list = field(default_factory=list)
    mean: float = float("nan")


def covariate_terms(covs: list, values: pd.DataFrame, coding: str) -> list[Term]:
    """A :class:`Term` per covariate: numeric columns linearly, others as factors coded by
    ``coding`` (see :func:`contrast_code`); a constant covariate or a factor with fewer
    than 2 levels is a :class:`~effectstudy.core.errors.DataError`."""
    terms = []
    for c in covs:
        v = values[c]
        if is_numeric(v):
            x = v.to_numpy(dtype=float)
            if np.std(x) == 0:
                raise DataError(f"covariate {c!r} is constant among the subjects used",
                                column=str(c), expected="a covariate that varies")
            terms.append(Term(str(c), x[:, None], [str(c)], "numeric", mean=float(x.mean())))
        else:
            levs = factor_levels(v)
            if len(levs) < 2:
                raise DataError(f"covariate {c!r} has {len(levs)} level(s) among the subjects "
                                "used", column=str(c), value=levs,
                                expected="at least 2 levels")
            cols = [f"{c}[{lev}]" for lev in (levs[:-1] if coding == "sum" else levs[1:])]
            terms.append(Term(str(c), contrast_code(v.to_numpy(), levs, coding), cols, "factor",
                               levels=levs))
    return terms
