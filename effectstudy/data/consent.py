"""Consent filters: the effect study uses ``consent_study`` episodes, research exports ``consent_research``.

Clients consent separately to the effect study and to storage of their data for research.
A missing consent value (``<NA>``: not recorded; :func:`effectstudy.read_study` keeps an
empty flag so) means **no consent**, but is counted apart from a refusal (``False``).  The filters are applied per episode on every
run, together with an optional withdrawal list of client ids (SEC-P8 in the project's
privacy reference: "a withdrawal list is applied on every run; the run report states how
many clients were excluded and for which reason").  Every episode read is counted once:
``used + refused + missing + withdrawn == read``.

>>> eps = pd.DataFrame({"episode_id": ["e1", "e2", "e3", "e4"],
...                     "client_id": ["c1", "c2", "c3", "c3"],
...                     "consent_study": [True, False, None, True]})
>>> kept, counts = filter_consent(eps, purpose="study")
>>> kept["episode_id"].tolist()
['e1', 'e4']
>>> counts[["reason", "episodes", "clients"]].to_string(index=False)
'                 reason  episodes  clients\\n                   read         4        3\\nexcluded_consent_refused         1        1\\nexcluded_consent_missing         1        1\\n      excluded_withdrawn         0        0\\n                   used         2        2'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd

from effectstudy.core.checks import check_choice
from effectstudy.core.errors import ArgumentTypeError, DataError
from effectstudy.core.keys import isin

__all__ = ["PURPOSES", "CONSENT_COLUMNS", "filter_consent", "restrict_to_episodes"]

Purpose = Literal["study", "research"]

#: purpose -> consent column
CONSENT_COLUMNS: dict[str, str] = {"study": "consent_study", "research": "consent_research"}
PURPOSES = tuple(CONSENT_COLUMNS)

REASONS = ("read", "excluded_consent_refused", "excluded_consent_missing", "excluded_withdrawn", "used")


def _consent_values(episodes: pd.DataFrame, column: str) -> np.ndarray:
    """Consent as an object array of True / False / None; anything else is a DataError."""
    if column not in episodes.columns:
        return np.full(len(episodes), None, dtype=object)
    s = episodes[column]
    if pd.api.types.is_bool_dtype(s.dtype):
        na = s.isna().to_numpy()
        vals = s.astype("boolean").fillna(False).to_numpy(dtype=bool)
        out = np.where(vals, True, False).astype(object)
        out[na] = None
        return out
    na = s.isna().to_numpy()
    raw = s.to_numpy(dtype=object)
    is_true = np.array([v is True or (isinstance(v, np.bool_) and bool(v)) for v in raw], dtype=bool)
    is_false = np.array([v is False or (isinstance(v, np.bool_) and not bool(v)) for v in raw], dtype=bool)
    bad = ~(is_true | is_false | na)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"consent must be true/false or empty ({int(bad.sum())} invalid value(s))",
            row=episodes.index[i], column=column, value=raw[i], expected="True, False or missing",
        )
    out = np.full(len(s), None, dtype=object)
    out[is_true] = True
    out[is_false] = False
    return out


def filter_consent(
    episodes: pd.DataFrame,
    purpose: Purpose = "study",
    *,
    withdrawn: Iterable[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the episodes whose client consented to ``purpose``; count the rest by reason.

    Parameters
    ----------
    episodes : DataFrame
        Canonical episodes with ``episode_id``, ``client_id`` and the consent column
        (``consent_study`` for ``purpose="study"``, ``consent_research`` for ``"research"``).
        A missing value, or a missing column, means no consent.
    purpose : {"study", "research"}
        ``"study"`` for effect-study analyses and reports, ``"research"`` for research exports.
    withdrawn : iterable of client ids, optional
        Clients who withdrew consent; all their episodes are excluded whatever the flag says.

    Returns
    -------
    kept : DataFrame
        The consenting episodes (a copy, original index kept).
    counts : DataFrame
        Columns ``purpose``, ``consent_column``, ``reason``, ``episodes``, ``clients`` with the
        reasons ``read``, ``excluded_consent_refused``, ``excluded_consent_missing``,
        ``excluded_withdrawn``, ``used`` in that order.  Episode counts add up:
        used + excluded = read.  A client with episodes in several groups is counted in each.

    Raises
    ------
    ArgumentError
        Unknown purpose.
    DataError
        A consent value that is not true/false/missing, or missing ``episode_id``/``client_id``.
    """
    check_choice("purpose", purpose, PURPOSES)
    if not isinstance(episodes, pd.DataFrame):
        raise ArgumentTypeError("episodes", episodes, "a DataFrame of canonical episodes")
    for col in ("episode_id", "client_id"):
        if col not in episodes.columns:
            raise DataError("required column is missing", column=col, expected="canonical episodes (see effectstudy.core.schema.EPISODES)")
    column = CONSENT_COLUMNS[purpose]
    consent = _consent_values(episodes, column)
    is_withdrawn = np.zeros(len(episodes), dtype=bool)
    if withdrawn is not None:
        if isinstance(withdrawn, str):
            raise ArgumentTypeError("withdrawn", withdrawn, "a list of client ids, not a single text")
        ids = pd.Index(pd.Series(list(withdrawn), dtype="string").str.strip())
        is_withdrawn = isin(episodes["client_id"].astype("string").str.strip(), ids)
    refused = (consent == False) & ~is_withdrawn  # noqa: E712 - object array of True/False/None
    missing = pd.isna(consent) & ~is_withdrawn
    used = (consent == True) & ~is_withdrawn  # noqa: E712
    clients = episodes["client_id"]

    def row(reason: str, mask: np.ndarray) -> dict:
        return {"purpose": purpose, "consent_column": column, "reason": reason,
                "episodes": int(mask.sum()), "clients": int(clients[mask].nunique())}

    all_rows = np.ones(len(episodes), dtype=bool)
    counts = pd.DataFrame([
        row("read", all_rows),
        row("excluded_consent_refused", refused),
        row("excluded_consent_missing", missing),
        row("excluded_withdrawn", is_withdrawn),
        row("used", used),
    ])
    return episodes.loc[used].copy(), counts


def restrict_to_episodes(
    table: pd.DataFrame, kept_episodes: pd.DataFrame, all_episodes: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the rows of ``table`` (measurements, scores) that belong to a kept episode.

    A row with an ``episode_id`` is kept when that episode was kept.  A row without an
    ``episode_id`` is kept only when its client has kept episodes and, if ``all_episodes`` is
    given, no excluded episode (so it cannot belong to a non-consenting episode).

    Returns
    -------
    kept : DataFrame
    counts : DataFrame
        ``reason`` (``read``, ``excluded_no_consenting_episode``, ``used``), ``rows`` and ``clients``.

    >>> m = pd.DataFrame({"client_id": ["c1", "c2", "c1"], "episode_id": ["e1", "e2", None]})
    >>> k = pd.DataFrame({"client_id": ["c1"], "episode_id": ["e1"]})
    >>> restrict_to_episodes(m, k)[0].index.tolist()
    [0, 2]
    """
    if "client_id" not in table.columns:
        raise DataError("required column is missing", column="client_id", expected="a client_id column")
    kept_eps = pd.Index(kept_episodes["episode_id"].astype("string"))
    kept_clients = pd.Index(kept_episodes["client_id"].astype("string"))
    cl = table["client_id"].astype("string")
    if "episode_id" in table.columns:
        ep = table["episode_id"].astype("string")
        has_ep = ep.notna().to_numpy(dtype=bool)
        by_ep = isin(ep, kept_eps)
    else:
        has_ep = np.zeros(len(table), dtype=bool)
        by_ep = has_ep
    by_client = isin(cl, kept_clients)
    if all_episodes is not None:
        excluded = all_episodes.loc[~isin(all_episodes["episode_id"].astype("string"), kept_eps), "client_id"]
        by_client = by_client & ~isin(cl, pd.Index(excluded.astype("string")))
    keep = np.where(has_ep, by_ep, by_client)
    counts = pd.DataFrame({
        "reason": ["read", "excluded_no_consenting_episode", "used"],
        "rows": [len(table), int((~keep).sum()), int(keep.sum())],
        "clients": [int(cl.nunique()), int(cl[~keep].nunique()), int(cl[keep].nunique())],
    })
    # copy-on-write: the selected rows are a new frame already; a second copy would only cost
    return table.loc[keep], counts
