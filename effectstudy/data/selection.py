"""Selection: the episodes a run analyses (start years, care types, diagnoses, year ended), counted.

The selection stage follows the consent filter (:func:`effectstudy.data.consent.filter_consent`).
:func:`select_episodes` applies the filters of the params' ``selection:`` section in a fixed
order (years, care types, diagnoses, ended in the year) and counts each exclusion once, under
the first filter that excludes the episode, so that ``used + excluded == read``.
:func:`selection_flow` puts the counts of reading, validation, consent and selection in one
table: where every episode went before pre/post pairing.

>>> eps = pd.DataFrame({"episode_id": ["e1", "e2", "e3", "e4"], "client_id": ["c1", "c2", "c3", "c3"],
...                     "start_date": pd.to_datetime(["2019-05-01", "2021-03-01", "2022-01-10", "2022-06-01"]),
...                     "care_type": ["basic", "basic", "specialised", "basic"]})
>>> kept, counts = select_episodes(eps, years=(2020, 2024), care_types=["basic"])
>>> kept["episode_id"].tolist()
['e2', 'e4']
>>> counts.to_string(index=False)
'            reason  episodes  clients\\n              read         4        3\\n     excluded_year         1        1\\nexcluded_care_type         1        1\\n              used         2        2'
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError
from effectstudy.core.keys import isin

__all__ = ["select_episodes", "selection_flow", "SELECTION_REASONS"]

#: exclusion reasons of :func:`select_episodes`, in the order the filters are applied
SELECTION_REASONS = ("excluded_year", "excluded_care_type", "excluded_diagnosis", "excluded_not_ended_in_year")

_COUNT_COLUMNS = ("reason", "episodes", "clients")


def _count(episodes: pd.DataFrame, mask: np.ndarray | None = None) -> dict[str, int]:
    e = episodes if mask is None else episodes[mask]
    return {"episodes": int(len(e)), "clients": int(e["client_id"].nunique())}


def _need(episodes: pd.DataFrame, column: str, why: str) -> None:
    if column not in episodes.columns:
        raise DataError(f"the episodes have no {column!r} column, needed for {why}", column=column,
                        expected=f"one of {list(episodes.columns)}")


def _year_range(years: Sequence[int]) -> tuple[int, int]:
    if isinstance(years, str) or not isinstance(years, Sequence) or len(years) != 2:
        raise ArgumentError("years", years, "[first, last] start years (inclusive)")
    first, last = (int(y) for y in years)
    if first > last:
        raise ArgumentError("years", years, "[first, last] with first <= last")
    return first, last


def _values(name: str, values: Sequence[str]) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ArgumentTypeError(name, values, "a list of values to keep")
    return [str(v) for v in values]


def select_episodes(
    episodes: pd.DataFrame,
    *,
    years: Sequence[int] | None = None,
    care_types: Sequence[str] | None = None,
    diagnoses: Sequence[str] | None = None,
    ended_in: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the episodes within the selection; count the rest by the first filter that excludes them.

    Parameters
    ----------
    episodes : DataFrame
        Canonical episodes (after the consent filter) with ``client_id``, and the columns the
        filters given need: ``start_date`` (``years``), ``care_type``, ``diagnosis``,
        ``end_date`` (``ended_in``).
    years : (int, int), optional
        First and last start year, inclusive; ``None`` = all years.
    care_types, diagnoses : list of str, optional
        Keep only these care types / diagnosis groups (a missing value is outside);
        ``None`` = all.
    ended_in : int, optional
        Keep only the episodes that ended in this year (the yearly summary); open episodes
        are outside.

    Returns
    -------
    kept : DataFrame
        The selected episodes (original index and order kept).
    counts : DataFrame
        ``reason``, ``episodes``, ``clients``: ``read``, one row per filter given
        (:data:`SELECTION_REASONS`, in that order), ``used``.  Episode counts add up:
        used + excluded = read.

    Raises
    ------
    ArgumentTypeError
        ``episodes`` is not a DataFrame, or ``care_types``/``diagnoses`` is not a list.
    ArgumentError
        ``years`` is not ``[first, last]``.
    DataError
        A column a filter needs is missing.
    """
    if not isinstance(episodes, pd.DataFrame):
        raise ArgumentTypeError("episodes", episodes, "a DataFrame of canonical episodes")
    _need(episodes, "client_id", "the counts")
    filters: list[tuple[str, np.ndarray]] = []
    if years is not None:
        first, last = _year_range(years)
        _need(episodes, "start_date", "selection.years")
        y = episodes["start_date"].dt.year.to_numpy()
        filters.append(("excluded_year", (y < first) | (y > last)))
    if care_types is not None:
        _need(episodes, "care_type", "selection.care_types")
        keep = _values("care_types", care_types)
        filters.append(("excluded_care_type", ~isin(episodes["care_type"].astype("string"), keep)))
    if diagnoses is not None:
        _need(episodes, "diagnosis", "selection.diagnoses")
        keep = _values("diagnoses", diagnoses)
        filters.append(("excluded_diagnosis", ~isin(episodes["diagnosis"].astype("string"), keep)))
    if ended_in is not None:
        _need(episodes, "end_date", "the report year")
        ended = episodes["end_date"].dt.year.to_numpy()
        filters.append(("excluded_not_ended_in_year", ~(ended == ended_in)))
    rows = [{"reason": "read", **_count(episodes)}]
    out = np.zeros(len(episodes), dtype=bool)
    for reason, mask in filters:
        new = mask & ~out
        rows.append({"reason": reason, **_count(episodes, new)})
        out |= new
    kept = episodes[~out]
    rows.append({"reason": "used", **_count(kept)})
    return kept, pd.DataFrame(rows, columns=list(_COUNT_COLUMNS))


def selection_flow(
    rows_read: int,
    validation: pd.DataFrame,
    validated: pd.DataFrame,
    consent: pd.DataFrame,
    selection: pd.DataFrame,
) -> pd.DataFrame:
    """Where every episode went from the export to the selection, one row per step and reason.

    Parameters
    ----------
    rows_read : int
        Episode rows read from the export.
    validation : DataFrame
        The validation flow (:meth:`effectstudy.data.validate.ValidationReport.flow`); its
        ``episodes`` rows that are not ``used`` are the validation's exclusions.
    validated : DataFrame
        The episodes validation kept (``client_id`` counts their clients).
    consent : DataFrame
        The counts of :func:`effectstudy.data.consent.filter_consent`.
    selection : DataFrame
        The counts of :func:`select_episodes`.

    Returns
    -------
    DataFrame
        ``step`` (``read``, ``validation``, ``consent``, ``selection``), ``reason``
        (``read``, ``excluded_<why>``, ``used``), ``episodes``, ``clients``.  Within each
        step the excluded rows plus the ``used`` row add up to the step's input.  Rows
        rejected by validation have no trustworthy client id: their clients are ``<NA>``.
    """
    if isinstance(rows_read, bool) or not isinstance(rows_read, (int, np.integer)):
        raise ArgumentTypeError("rows_read", rows_read, "the number of episode rows read")
    for name, table, columns in (("validation", validation, ("table", "status", "reason", "n")),
                                 ("validated", validated, ("client_id",)),
                                 ("consent", consent, _COUNT_COLUMNS), ("selection", selection, _COUNT_COLUMNS)):
        if not isinstance(table, pd.DataFrame):
            raise ArgumentTypeError(name, table, "a DataFrame")
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise DataError(f"{name}: required column is missing", column=missing[0], expected=f"columns {list(columns)}")
    rows = [{"step": "read", "reason": "read", "episodes": int(rows_read), "clients": pd.NA}]
    excluded = validation[(validation["table"] == "episodes") & (validation["status"] != "used")]
    rows += [{"step": "validation", "reason": f"excluded_{r.reason}", "episodes": int(r.n), "clients": pd.NA}
             for r in excluded.itertuples()]
    rows.append({"step": "validation", "reason": "used", **_count(validated)})
    for step, counts in (("consent", consent), ("selection", selection)):
        rows += [{"step": step, "reason": r.reason, "episodes": int(r.episodes), "clients": int(r.clients)}
                 for r in counts.itertuples() if r.reason != "read"]
    return pd.DataFrame(rows)
