"""Retention period and the rights of clients: list, and remove, a client's data in the study store.

Retention is a **setting**, not a constant.  The default is 20 years: since 1 January 2020
the WGBO retention term (art. 7:454 lid 3 BW) is twenty years, counted from the last change
to the file (it used to be fifteen; Dirkzwager, "Wijzigingen van de WGBO per 1 januari 2020
(2)").  The practice's privacy officer confirms the value; reports print the value in use.

Here the "last change" of a client is the latest of their episodes' start and end dates and
their measurement dates in the store; a client expires when that date plus the retention
period lies before ``today``.  Removal goes through :meth:`effectstudy.privacy.store.StudyStore.forget`
(one transaction, logged in the audit log with counts only).

>>> add_years(pd.Series(pd.to_datetime(["2004-02-29", "2010-06-01"])), 20).dt.strftime("%Y-%m-%d").tolist()
['2024-02-29', '2030-06-01']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from effectstudy.core.errors import ArgumentError
from effectstudy.privacy.store import RemovalResult, StudyStore

__all__ = [
    "WGBO_RETENTION_YEARS",
    "WGBO_SOURCE",
    "RetentionPolicy",
    "add_years",
    "last_activity",
    "expired_clients",
    "remove_expired",
    "client_overview",
    "forget_client",
]

#: WGBO art. 7:454 lid 3 BW, since 1 January 2020
WGBO_RETENTION_YEARS = 20
WGBO_SOURCE = ("WGBO art. 7:454 lid 3 BW (20 years from the last change, since 1 January 2020); "
               "Dirkzwager, 'Wijzigingen van de WGBO per 1 januari 2020 (2)'")


@dataclass(frozen=True)
class RetentionPolicy:
    """How long client data are kept.  ``years`` defaults to the WGBO term; ``source`` says why."""

    years: int = WGBO_RETENTION_YEARS
    source: str = WGBO_SOURCE

    def __post_init__(self) -> None:
        if not isinstance(self.years, int) or isinstance(self.years, bool) or not 1 <= self.years <= 115:
            raise ArgumentError("retention years", self.years, "a whole number of years from 1 to 115 (WGBO: 20)")


def add_years(dates: pd.Series, years: int) -> pd.Series:
    """``dates`` plus whole calendar years (29 February stays on a leap day when it can)."""
    return pd.to_datetime(dates) + pd.DateOffset(years=years)


def last_activity(store: StudyStore) -> pd.DataFrame:
    """Per client: the latest date stored (episode start/end, measurement date)."""
    return store.query("""
        SELECT client_id, max(d) AS last_activity FROM (
            SELECT client_id, start_date AS d FROM episodes
            UNION ALL SELECT client_id, end_date FROM episodes
            UNION ALL SELECT client_id, date FROM measurements
        ) WHERE d IS NOT NULL GROUP BY client_id ORDER BY client_id""")


def expired_clients(store: StudyStore, policy: RetentionPolicy | None = None,
                    today: pd.Timestamp | str | None = None) -> pd.DataFrame:
    """Clients whose last activity plus the retention period lies before ``today``.

    Returns a DataFrame ``client_id``, ``last_activity``, ``expires_on`` (sorted by client).
    """
    policy = policy or RetentionPolicy()
    today = pd.Timestamp(today) if today is not None else pd.Timestamp.now().normalize()
    la = last_activity(store)
    la["expires_on"] = add_years(la["last_activity"], policy.years)
    return la.loc[la["expires_on"] < today].reset_index(drop=True)


def remove_expired(store: StudyStore, policy: RetentionPolicy | None = None,
                   today: pd.Timestamp | str | None = None) -> RemovalResult | None:
    """Remove every expired client (one transaction, logged); ``None`` when nobody expired."""
    policy = policy or RetentionPolicy()
    ex = expired_clients(store, policy, today)
    if ex.empty:
        return None
    return store.forget(ex["client_id"].tolist(), reason=f"retention period of {policy.years} years expired")


def client_overview(store: StudyStore, client_ids: str | Iterable[str]) -> pd.DataFrame:
    """Rows stored per table for the given clients (what a removal would delete)."""
    data = store.client_data(client_ids)
    return pd.DataFrame({"table": list(data), "rows": [len(df) for df in data.values()]})


def forget_client(store: StudyStore, client_ids: str | Iterable[str], *, reason: str = "request of the client") -> RemovalResult:
    """Remove the given clients' data on request (AVG art. 17; WGBO art. 7:455 BW), logged."""
    return store.forget(client_ids, reason=reason)
