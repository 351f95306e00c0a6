"""Pairing several scales of one scores frame: the id factorization kept per Arrow column
(``effectstudy.core.keys.text_factorize`` / ``codes_in``) gives the same pairs as pairing
each scale from scratch, and an edited column is factorized again."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import DataError
from effectstudy.core.keys import codes_in, factorizations, key_codes, text_factorize


def _data(seed: int = 3, n_ep: int = 60):
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n_ep), unit="D")
    length = pd.to_timedelta(rng.integers(30, 200, n_ep), unit="D")
    end = (start + length).to_series(index=range(n_ep))
    end[rng.random(n_ep) < 0.1] = pd.NaT
    ep = pd.DataFrame({
        "episode_id": pd.array([f"e{i}" for i in range(n_ep)], dtype="str"),
        "client_id": pd.array([f"c{i // 2}" for i in range(n_ep)], dtype="str"),
        "start_date": start, "end_date": end.to_numpy(),
        "diagnosis": pd.Categorical(rng.choice(["dep", "anx", None], n_ep)),
        "care_type": pd.array(rng.choice(["basic", "spec"], n_ep), dtype="str"),
        "end_reason": pd.Categorical(rng.choice(["regular", "dropout", None], n_ep)),
    })
    rows = []
    for i in range(n_ep):
        s, e = ep["start_date"][i], ep["end_date"][i]
        dates = [s + pd.Timedelta(days=int(d)) for d in rng.integers(-20, 10, 2)]
        occ = ["pre", "pre"]
        if pd.notna(e):
            dates += [e + pd.Timedelta(days=int(d)) for d in rng.integers(-20, 20, 2)]
            occ += ["post", "interim"]
        for d, o in zip(dates, occ, strict=True):
            eid = ep["episode_id"][i] if rng.random() < 0.5 else None
            for scale in ("A", "B", "C"):
                score = np.nan if rng.random() < 0.05 else float(rng.normal(50, 10))
                rows.append((ep["client_id"][i], eid, d, o, scale, score))
    sc = pd.DataFrame(rows, columns=["client_id", "episode_id", "date", "occasion", "scale", "score"])
    sc["client_id"] = sc["client_id"].astype("str")
    sc["episode_id"] = sc["episode_id"].astype("str")
    sc["occasion"] = sc["occasion"].astype("category")
    sc["scale"] = sc["scale"].astype("category")
    return sc, ep


def _same(a, b):
    for name in ("data", "flow", "patients"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.meta == b.meta


def test_text_factorize_is_pd_factorize_and_kept_per_column():
    s = pd.Series(["b", None, "a", "b"], dtype="str")
    codes, uniques = text_factorize(s)
    exp_codes, exp_uniques = pd.factorize(s)
    assert codes.tolist() == exp_codes.tolist()
    assert list(uniques) == list(exp_uniques)
    assert text_factorize(s)[0] is not codes  # outside a factorizations() block nothing is kept
    with factorizations():
        kept = text_factorize(s)[0]
        assert text_factorize(s)[0] is kept  # kept: the same column is not factorized again
    assert text_factorize(s)[0] is not kept  # forgotten at the block's end
    s2 = s.copy()
    s2.iloc[0] = "z"  # an edited column has a new Arrow array, so a new factorization
    assert text_factorize(s2)[0].tolist() == pd.factorize(s2)[0].tolist()
    assert text_factorize(pd.Series([1, 2])) is None  # not Arrow text: the caller factorizes


def test_codes_in_matches_key_codes_equality():
    a = pd.Series(["x", "y", None, "x", "w"], dtype="str")
    b = pd.Series(["y", "q", None, "x"], dtype="str")
    codes, uniques = text_factorize(a)
    with factorizations():
        got = codes_in(b, uniques)
        assert codes_in(b, uniques) is got  # the lookup is kept in a block
    assert got.tolist() == [1, -2, -1, 0]
    ka, kb = key_codes(a, b)
    # equal ids, equal codes; missing -1 on both sides (as key_codes)
    for i in range(len(b)):
        assert ((codes == got[i]) == (ka == kb[i])).all()
    assert codes_in(pd.Series(["x"], dtype=object), uniques) is None


@pytest.mark.parametrize("post_rule", ["end_only", "last_measurement"])
def test_every_scale_pairs_as_with_object_ids(post_rule):
    """Arrow ids take the kept factorization; object ids the per-scale key_codes: same result."""
    sc, ep = _data()
    sc_obj = sc.assign(client_id=sc["client_id"].astype(object), episode_id=sc["episode_id"].astype(object))
    ep_obj = ep.assign(client_id=ep["client_id"].astype(object))
    for scale in ("A", "B", "C", "A"):
        fast = es.pair_prepost(sc, ep, scale=scale, post_rule=post_rule)
        slow = es.pair_prepost(sc_obj, ep_obj, scale=scale, post_rule=post_rule)
        for name in ("flow", "patients"):
            pd.testing.assert_frame_equal(getattr(fast, name), getattr(slow, name), check_exact=True,
                                          check_dtype=False)
        pd.testing.assert_frame_equal(fast.data.drop(columns=["client_id"]), slow.data.drop(columns=["client_id"]),
                                      check_exact=True, check_dtype=False)
        assert fast.meta == slow.meta
        assert fast.data["diagnosis"].isna().sum() == slow.data["diagnosis"].isna().sum()


def test_an_edited_scores_frame_is_paired_afresh():
    sc, ep = _data(seed=5)
    before = es.pair_prepost(sc, ep, scale="A")
    sc2 = sc.copy()
    sc2.loc[sc2["client_id"] == "c0", "client_id"] = "c1"  # in place on a copy: a new Arrow array
    after = es.pair_prepost(sc2, ep, scale="A")
    fresh = es.pair_prepost(sc2.assign(client_id=sc2["client_id"].astype(object)), ep, scale="A")
    pd.testing.assert_frame_equal(after.flow, fresh.flow)
    pd.testing.assert_frame_equal(after.patients.drop(columns=["client_id"]),
                                  fresh.patients.drop(columns=["client_id"]), check_dtype=False)
    # the first frame still pairs as before
    _same(es.pair_prepost(sc, ep, scale="A"), before)


def test_duplicate_episode_ids_are_still_refused():
    sc, ep = _data(seed=7, n_ep=6)
    dup = pd.concat([ep, ep.iloc[[2]]], ignore_index=True)
    with pytest.raises(DataError, match="duplicate"):
        es.pair_prepost(sc, dup, scale="A")
    # one missing episode id is no duplicate; two are
    one = ep.assign(episode_id=ep["episode_id"].where(ep.index != 0))
    es.pair_prepost(sc, one, scale="A")
    two = ep.assign(episode_id=ep["episode_id"].where(~ep.index.isin([0, 1])))
    with pytest.raises(DataError, match="duplicate"):
        es.pair_prepost(sc, two, scale="A")
