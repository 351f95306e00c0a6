"""Selection stage: the filters on DataFrames, each exclusion counted once, and the flow table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError
from effectstudy.data.consent import filter_consent
from effectstudy.data.selection import SELECTION_REASONS, select_episodes, selection_flow


def episodes() -> pd.DataFrame:
    return pd.DataFrame({
        "episode_id": [f"e{i}" for i in range(1, 9)],
        "client_id": ["c1", "c2", "c3", "c3", "c4", "c5", "c6", "c6"],
        "start_date": pd.to_datetime(["2019-05-01", "2021-03-01", "2022-01-10", "2022-06-01",
                                      "2023-02-01", "2023-03-01", "2025-01-01", "2022-09-01"]),
        "end_date": pd.to_datetime(["2019-12-01", "2023-05-01", None, "2024-01-10",
                                    "2023-11-01", "2024-02-01", None, "2023-03-01"]),
        "care_type": pd.Categorical(["basic", "basic", "specialised", "basic", "basic", None, "basic", "basic"],
                                    categories=["basic", "specialised"]),
        "diagnosis": ["anxiety", "mood", "mood", "anxiety", "mood", "mood", "anxiety", None],
        "consent_study": pd.array([True, True, False, True, None, True, True, True], dtype="boolean"),
    }, index=pd.Index(range(2, 10), name="line"))


def reasons(counts: pd.DataFrame) -> dict[str, int]:
    return dict(zip(counts["reason"], counts["episodes"], strict=True))


def test_no_filter_keeps_everything():
    eps = episodes()
    kept, counts = select_episodes(eps)
    pd.testing.assert_frame_equal(kept, eps)
    assert counts.to_dict("records") == [{"reason": "read", "episodes": 8, "clients": 6},
                                         {"reason": "used", "episodes": 8, "clients": 6}]


def test_each_filter_against_a_direct_count():
    eps = episodes()
    kept, counts = select_episodes(eps, years=(2020, 2024), care_types=["basic"], diagnoses=["mood", "anxiety"],
                                   ended_in=2023)
    assert counts["reason"].tolist() == ["read", *SELECTION_REASONS, "used"]
    year = ~eps["start_date"].dt.year.between(2020, 2024)
    care = ~year & (eps["care_type"].astype("string") != "basic").fillna(True)
    diag = ~year & ~care & ~eps["diagnosis"].isin(["mood", "anxiety"])
    ended = ~year & ~care & ~diag & (eps["end_date"].dt.year != 2023)
    by = reasons(counts)
    assert (by["excluded_year"], by["excluded_care_type"], by["excluded_diagnosis"],
            by["excluded_not_ended_in_year"]) == (year.sum(), care.sum(), diag.sum(), ended.sum()) == (2, 2, 1, 1)
    assert kept["episode_id"].tolist() == ["e2", "e5"]
    assert kept.index.tolist() == [3, 6]  # source lines kept
    assert by["used"] + sum(by[r] for r in SELECTION_REASONS) == by["read"] == len(eps)
    clients = dict(zip(counts["reason"], counts["clients"], strict=True))
    assert clients["used"] == kept["client_id"].nunique() == 2


def test_an_episode_is_counted_under_the_first_filter_only():
    eps = episodes()
    _, counts = select_episodes(eps, years=(2022, 2022), care_types=["specialised"])
    by = reasons(counts)
    # e1, e2, e5, e6, e7 start outside 2022; of e3, e4, e8 only e3 is specialised
    assert (by["excluded_year"], by["excluded_care_type"], by["used"]) == (5, 2, 1)


def test_missing_group_values_are_outside_a_list():
    eps = episodes()
    kept, _ = select_episodes(eps, care_types=["basic", "specialised"], diagnoses=["mood", "anxiety"])
    assert "e6" not in set(kept["episode_id"]) and "e8" not in set(kept["episode_id"])


def test_flow_table_adds_up_step_by_step():
    eps = episodes()
    validation = pd.DataFrame({"table": ["episodes", "episodes", "measurements"],
                               "status": ["used", "excluded", "used"],
                               "reason": ["", "date_format", ""], "n": [8, 2, 30]})
    consenting, consent = filter_consent(eps, "study")
    kept, selected = select_episodes(consenting, years=(2020, 2024))
    t = selection_flow(10, validation, eps, consent, selected)
    assert t.columns.tolist() == ["step", "reason", "episodes", "clients"]
    assert t["step"].tolist() == ["read", "validation", "validation", "consent", "consent", "consent", "consent",
                                  "selection", "selection"]
    assert t["reason"].tolist() == ["read", "excluded_date_format", "used", "excluded_consent_refused",
                                    "excluded_consent_missing", "excluded_withdrawn", "used", "excluded_year", "used"]
    step_in = {"validation": 10, "consent": 8, "selection": 6}
    for step, n in step_in.items():
        assert t.loc[t["step"] == step, "episodes"].sum() == n
    by = t.set_index(["step", "reason"])
    assert by.loc[("consent", "excluded_consent_refused"), "episodes"] == 1  # e3: False
    assert by.loc[("consent", "excluded_consent_missing"), "episodes"] == 1  # e5: <NA>, not recorded
    assert by.loc[("selection", "used"), "episodes"] == len(kept) == 4
    assert pd.isna(by.loc[("read", "read"), "clients"]) and pd.isna(by.loc[("validation", "excluded_date_format"), "clients"])
    assert by.loc[("validation", "used"), "clients"] == 6


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"years": (2024, 2020)}, ArgumentError, "years: got (2024, 2020), expected [first, last] with first <= last"),
    ({"years": 2020}, ArgumentError, "years: got 2020, expected [first, last] start years (inclusive)"),
    ({"care_types": "basic"}, ArgumentTypeError, "care_types: got str 'basic', expected a list of values to keep"),
])
def test_argument_errors(kwargs, error, message):
    with pytest.raises(error) as exc:
        select_episodes(episodes(), **kwargs)
    assert str(exc.value) == message


def test_data_errors():
    with pytest.raises(ArgumentTypeError, match="episodes: got ndarray"):
        select_episodes(np.zeros(3))
    with pytest.raises(DataError, match="'diagnosis' column, needed for selection.diagnoses"):
        select_episodes(episodes().drop(columns="diagnosis"), diagnoses=["mood"])
    with pytest.raises(DataError, match="client_id"):
        select_episodes(episodes().drop(columns="client_id"))
    with pytest.raises(DataError, match="consent: required column is missing"):
        selection_flow(3, pd.DataFrame(columns=["table", "status", "reason", "n"]), episodes(), pd.DataFrame(),
                       pd.DataFrame(columns=["reason", "episodes", "clients"]))
