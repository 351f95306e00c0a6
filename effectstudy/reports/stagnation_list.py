"""The stagnation list for the weekly peer consultation (intervisie).

Practice rule: when after 3 to 5 sessions there is insufficient recovery, the psychologist
reports the stagnation and brings the case to peer consultation.  :func:`stagnation_list`
lists the **open** episodes flagged by the params' stagnation rules (``stagnation_list.rules``,
window and criterion from ``analysis.stagnation``), with the measurement that triggered the
flag.  It takes the stagnation result of each rule; ``Study.stagnation_list()`` computes them.

The list identifies episodes by their pseudonymous **episode key** (``episode_key``,
``r-7f3a9c2e41b0``: the keyed hash of the episode id with the project's row-key secret,
:mod:`effectstudy.core.rowkey`), never by a client id, episode id, name, date of birth or
calendar date (the triggering measurement is given by its session number): peer consultation
discusses cases without identifying data.  The key is the same in every run of the project and
the same as the row key of the episode's satisfaction form in validation problems.  The
practice's own data manager gets the episode id and the measurement's date as well with
``show_identifiers=True`` (``effectstudy stagnation-list --show-identifiers``, local use only).
The therapist is shown only when ``stagnation_list.show_therapist`` is true.  The list is meant
for use inside the practice.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from effectstudy.core.errors import ArgumentError, ArgumentTypeError
from effectstudy.core.formatting import MISSING, date, number
from effectstudy.core.keys import isin
from effectstudy.core.labels import label, register
from effectstudy.core.params import StagnationListSpec
from effectstudy.core.rowkey import RowKey, load_row_key
from effectstudy.course import expected_response as _expected_response  # noqa: F401 - registers its label
from effectstudy.course import stagnation as _stagnation  # noqa: F401 - registers the rule labels

__all__ = ["stagnation_list", "write_stagnation_list", "COLUMNS"]

#: columns of the list, in order (``episode_id`` and the measurement's calendar ``date`` only with
#: ``show_identifiers``, ``therapist`` only with ``show_therapist``)
COLUMNS = ("episode_key", "episode_id", "therapist", "rule", "baseline_session", "baseline_score", "session",
           "date", "score", "change", "rci")

register({
    "rule": {"nl": "Signaal", "en": "Signal"},
    "baseline_session": {"nl": "Sessie start", "en": "Baseline session"},
    "baseline_score": {"nl": "Score start", "en": "Baseline score"},
    "session": {"nl": "Sessie", "en": "Session"},
    "date": {"nl": "Datum", "en": "Date"},
    "therapist": {"nl": "Behandelaar", "en": "Therapist"},
    "change": {"nl": "Verandering", "en": "Change"},
    "rci": {"nl": "RCI", "en": "RCI"},
    "episode_id": {"nl": "Traject", "en": "Episode"},
    "episode_key": {"nl": "Trajectsleutel", "en": "Episode key"},
})


def stagnation_list(episodes: pd.DataFrame, data: pd.DataFrame, results: Mapping[str, Any],
                    spec: StagnationListSpec, *, show_identifiers: bool = False,
                    row_key: RowKey | None = None) -> pd.DataFrame:
    """Open episodes flagged by any of ``spec.rules``, one row per episode and rule.

    Parameters
    ----------
    episodes : DataFrame
        The analysed episodes (``episode_id``, ``end_date``; ``therapist`` when shown).
        Open episodes (no ``end_date``) are listed.
    data : DataFrame
        The measurements the rules were applied to (``episode_id``, ``time``, ``date``:
        ``Study.stagnation_data()``); they give the date of the triggering measurement.
    results : mapping of rule -> StagnationResult
        :func:`effectstudy.stagnation` of ``data`` under each rule of ``spec.rules``.
    spec : StagnationListSpec
        The ``stagnation_list:`` section of the params (``rules``, ``show_therapist``).
    show_identifiers : bool
        Add the episode id beside the episode key (for the practice's own data manager, local use
        only; default False).
    row_key : RowKey, optional
        The row-key secret; default the project's (:func:`effectstudy.core.rowkey.load_row_key`
        from the current directory; ``Study.stagnation_list`` passes the project of its data).

    Returns
    -------
    DataFrame
        :data:`COLUMNS` (``episode_id`` and ``date`` only when ``show_identifiers``, ``therapist``
        only when ``spec.show_therapist``).  ``episode_key`` is the episode's pseudonymous key.
        ``session``, ``date`` and ``score`` describe the triggering (evaluating or flagging) measurement;
        ``change`` is its score minus the baseline score; ``rci`` the reliable change index
        where the rule computes one.  Sorted by rule, then date (oldest first).

    Raises
    ------
    ArgumentTypeError
        ``episodes`` or ``data`` is not a DataFrame, ``spec`` not a ``StagnationListSpec``.
    ArgumentError
        A rule of ``spec.rules`` without its result in ``results``.
    """
    for name, value in (("episodes", episodes), ("data", data)):
        if not isinstance(value, pd.DataFrame):
            raise ArgumentTypeError(name, value, "a DataFrame")
    if not isinstance(spec, StagnationListSpec):
        raise ArgumentTypeError("spec", spec, "the stagnation_list section of the params (StagnationListSpec)")
    missing = [r for r in spec.rules if r not in results]
    if missing:
        raise ArgumentError("results", sorted(results), f"a stagnation result for every rule of {list(spec.rules)}")
    open_ids = set(episodes.loc[episodes["end_date"].isna(), "episode_id"])
    when = data[["episode_id", "time", "date"]].drop_duplicates(["episode_id", "time"], keep="last")
    parts = []
    for rule in spec.rules:
        res = results[rule]
        p = res.patients
        p = p[(p["status"].astype(str) == "stagnated") & isin(p.index, open_ids)]
        rows = pd.DataFrame({
            "episode_id": p.index.astype(str), "rule": rule,
            "baseline_session": p["baseline_time"].to_numpy(), "baseline_score": p["baseline"].to_numpy(),
            "session": p["eval_time"].to_numpy(), "score": p["eval_score"].to_numpy(),
            "change": p["change"].to_numpy(),
            "rci": p["rci"].to_numpy() if "rci" in p else float("nan"),
        })
        rows = rows.merge(when.rename(columns={"time": "session"}), on=["episode_id", "session"], how="left")
        parts.append(rows)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(COLUMNS))
    if spec.show_therapist and "therapist" in episodes:
        ther = episodes.set_index("episode_id")["therapist"]
        out["therapist"] = out["episode_id"].map(ther)
    else:
        out["therapist"] = pd.NA
    out["episode_key"] = ((row_key or load_row_key()).keys(out["episode_id"], domain="episode") if len(out)
                          else pd.Series([], dtype="str"))
    out = out[list(COLUMNS)].sort_values(["rule", "date", "episode_key"], kind="stable").reset_index(drop=True)
    out["episode_key"] = out["episode_key"].astype("str")
    drop = ([] if spec.show_therapist else ["therapist"]) + ([] if show_identifiers else ["episode_id", "date"])
    return out.drop(columns=drop)


def write_stagnation_list(table: pd.DataFrame, folder: str | Path, *, lang: str = "nl",
                          title: str = "") -> tuple[Path, Path]:
    """Write the list as ``stagnation_list.csv`` and a small self-contained ``stagnation_list.html``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    csv = folder / "stagnation_list.csv"
    table.to_csv(csv, index=False, date_format="%Y-%m-%d")
    shown = table.copy()
    shown["rule"] = shown["rule"].map(lambda r: label(r, lang))
    if "date" in shown:
        shown["date"] = [date(d, lang) for d in pd.to_datetime(shown["date"])]
    shown = shown.rename(columns=lambda c: label(c, lang))
    head = title or ("Stagnatielijst voor de intervisie" if lang == "nl" else "Stagnation list for peer consultation")
    empty = ("Geen lopende trajecten gesignaleerd." if lang == "nl" else "No open episodes flagged.")
    body = shown.to_html(index=False, na_rep=MISSING, float_format=lambda x: number(x, lang)) if len(shown) else f"<p>{empty}</p>"
    page = (f"<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{html.escape(head)}</title>"
            "<style>body{font-family:sans-serif;max-width:900px;margin:2em auto}table{border-collapse:collapse}"
            "td,th{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:right}</style></head>"
            f"<body><h1>{html.escape(head)}</h1>{body}</body></html>")
    page_path = folder / "stagnation_list.html"
    page_path.write_text(page, encoding="utf-8")
    return csv, page_path
