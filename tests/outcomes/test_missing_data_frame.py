"""``itt_frame``: the episodes' rows looked up once (a take when every id is found) give
the frame the per-column reindex gives, with derived covariates (age, regular_end)."""

from __future__ import annotations

import numpy as np
import pandas as pd

import effectstudy as es
from effectstudy.outcomes.missing_data import itt_frame
from tests.data.test_pairing_cache import _data


def test_itt_frame_take_and_reindex_agree():
    sc, ep = _data(seed=11, n_ep=80)
    ep["birth_year"] = pd.array(np.where(np.arange(len(ep)) % 7 == 0, None, 1980 + np.arange(len(ep)) % 30),
                                dtype="Int64")
    ep["sessions"] = pd.array(np.arange(len(ep)) % 12, dtype="Int64")
    pr = es.pair_prepost(sc, ep, scale="B", post_rule="last_measurement")
    covs = ["diagnosis", "care_type", "sessions", "age", "regular_end"]
    full = itt_frame(pr, sc, ep, scale="B", covariates=covs)
    assert len(full) and full["episode_id"].dtype == "str" and full["status"].dtype == "str"
    # an episode missing from the episodes table: the reindex route (missing covariates there)
    gone = full["episode_id"].iloc[0]
    part = itt_frame(pr, sc, ep[ep["episode_id"] != gone], scale="B", covariates=covs)
    rest = slice(1, None)
    pd.testing.assert_frame_equal(part.iloc[rest].reset_index(drop=True).drop(columns=covs),
                                  full.iloc[rest].reset_index(drop=True).drop(columns=covs))
    for c in covs:
        a = pd.Series(part[c].iloc[rest].to_numpy(), dtype=object)
        b = pd.Series(full[c].iloc[rest].to_numpy(), dtype=object)
        assert a.isna().equals(b.isna()) and (a[a.notna()] == b[b.notna()]).all(), c
    # brute force: each covariate from the episodes table by id
    eps = ep.set_index("episode_id")
    for i, eid in enumerate(full["episode_id"]):
        assert full["care_type"].iloc[i] == eps.loc[eid, "care_type"]
        by = eps.loc[eid, "birth_year"]
        age = full["age"].iloc[i]
        assert (pd.isna(by) and pd.isna(age)) or age == eps.loc[eid, "start_date"].year - by
        reason = eps.loc[eid, "end_reason"]
        reg = full["regular_end"].iloc[i]
        assert (pd.isna(reason) and pd.isna(reg)) or reg == float(reason == "regular")
