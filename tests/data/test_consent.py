"""Consent filters: missing consent is no consent, withdrawals apply, every episode is counted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError
from effectstudy.data.consent import filter_consent, restrict_to_episodes
from tests.budget import examples


def episodes() -> pd.DataFrame:
    return pd.DataFrame({
        "episode_id": ["e1", "e2", "e3", "e4", "e5", "e6"],
        "client_id": ["c1", "c2", "c3", "c3", "c4", "c5"],
        "consent_study": pd.array([True, False, None, True, True, True], dtype="boolean"),
        "consent_research": pd.array([True, True, True, None, False, True], dtype="boolean"),
    })


def counts_of(counts: pd.DataFrame) -> dict[str, int]:
    return dict(zip(counts["reason"], counts["episodes"], strict=True))


def test_study_and_research_filters_use_their_own_flag():
    kept, counts = filter_consent(episodes(), "study")
    assert kept["episode_id"].tolist() == ["e1", "e4", "e5", "e6"]
    assert counts_of(counts) == {"read": 6, "excluded_consent_refused": 1, "excluded_consent_missing": 1,
                                 "excluded_withdrawn": 0, "used": 4}
    assert set(counts["consent_column"]) == {"consent_study"}
    kept, counts = filter_consent(episodes(), "research")
    assert kept["episode_id"].tolist() == ["e1", "e2", "e3", "e6"]
    assert counts_of(counts) == {"read": 6, "excluded_consent_refused": 1, "excluded_consent_missing": 1,
                                 "excluded_withdrawn": 0, "used": 4}
    # client c3 has one used and one excluded episode: counted in both rows
    assert counts.set_index("reason").loc["excluded_consent_missing", "clients"] == 1


def test_withdrawal_list_overrides_the_flags():
    kept, counts = filter_consent(episodes(), "study", withdrawn=[" c3", "c9"])
    assert kept["episode_id"].tolist() == ["e1", "e5", "e6"]
    c = counts_of(counts)
    assert c["excluded_withdrawn"] == 2 and c["excluded_consent_missing"] == 0
    with pytest.raises(ArgumentTypeError, match="withdrawn: got str 'c3', expected a list of client ids"):
        filter_consent(episodes(), "study", withdrawn="c3")


def test_missing_column_means_nobody_consented():
    kept, counts = filter_consent(episodes().drop(columns="consent_research"), "research")
    assert kept.empty
    assert counts_of(counts)["excluded_consent_missing"] == 6


def test_object_column_with_true_false_and_empty():
    eps = episodes().assign(consent_study=[True, False, None, np.nan, np.True_, False])
    kept, _ = filter_consent(eps, "study")
    assert kept["episode_id"].tolist() == ["e1", "e5"]


def test_errors_name_the_problem():
    with pytest.raises(ArgumentError, match="purpose: got 'report', expected 'study' or 'research'"):
        filter_consent(episodes(), "report")
    bad = episodes().assign(consent_study=["ja", True, True, True, True, True])
    with pytest.raises(DataError, match=r"row 0 consent_study: consent must be true/false or empty \(1 invalid value\(s\)\): "
                                        r"found 'ja', expected True, False or missing"):
        filter_consent(bad, "study")
    with pytest.raises(DataError, match="client_id: required column is missing"):
        filter_consent(episodes().drop(columns="client_id"), "study")
    with pytest.raises(ArgumentTypeError, match="episodes: got list"):
        filter_consent([1, 2], "study")


def test_measurements_follow_their_episode():
    kept, _ = filter_consent(episodes(), "study")
    m = pd.DataFrame({"client_id": ["c1", "c2", "c3", "c3", "c3", "c5", "c2"],
                      "episode_id": ["e1", "e2", "e3", "e4", None, None, None]})
    rows, counts = restrict_to_episodes(m, kept, episodes())
    # c3's row without an episode could belong to the non-consenting e3: excluded
    assert rows.index.tolist() == [0, 3, 5]
    assert counts["rows"].tolist() == [7, 4, 3]
    rows, _ = restrict_to_episodes(m, kept)
    assert rows.index.tolist() == [0, 3, 4, 5]
    with pytest.raises(DataError, match="client_id: required column is missing"):
        restrict_to_episodes(m.drop(columns="client_id"), kept)


# examples: up to 60 flags of 3 kinds per example: 30 examples (15 per purpose) give every count
# (used, refused, missing, withdrawn client c3) many times; more buy nothing
@examples(30)
@given(st.lists(st.sampled_from([True, False, None]), min_size=0, max_size=60), st.sampled_from(["study", "research"]))
def test_every_episode_is_counted_once(flags, purpose):
    n = len(flags)
    eps = pd.DataFrame({"episode_id": [f"e{i}" for i in range(n)], "client_id": [f"c{i % 7}" for i in range(n)],
                        "consent_study": pd.array(flags, dtype="boolean"),
                        "consent_research": pd.array(flags, dtype="boolean")})
    kept, counts = filter_consent(eps, purpose, withdrawn=["c3"])
    c = counts_of(counts)
    assert c["read"] == n
    assert c["used"] + c["excluded_consent_refused"] + c["excluded_consent_missing"] + c["excluded_withdrawn"] == n
    assert c["used"] == len(kept)
    assert kept["consent_" + purpose].all() if len(kept) else True
    assert "c3" not in set(kept["client_id"])
