"""The pre/post verbs give the same results whatever the dtype of the time labels and ids.

Issue 19: ``prepost_wide`` works on the Arrow array (``str`` labels), on the codes
(categorical labels) or on the values (other dtypes), and codes integer and Arrow-text ids
without Python text objects.  These tests hold that to the earlier implementation (a frozen
copy below, :func:`reference_prepost_wide`) and check that reliable change, clinical
significance and the effect size do not move when the same data come with ``str``, object,
``category`` or integer labels and ``str``/object/integer ids, with missing scores, rows at
other occasions and unbalanced pairs.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.checks import check_columns, warn_exclusions
from effectstudy.core.errors import ArgumentError, DataError, DataQualityWarning
from effectstudy.data.longdata import PrePost, prepost_wide


# -- the implementation before issue 19 (commit 99e33cd), kept verbatim as the reference -----
def reference_prepost_wide(data: pd.DataFrame, *, subject: Hashable, time: Hashable,
                           outcome: Hashable, pre: Any, post: Any,
                           group: Hashable | None = None, warn: bool = True) -> PrePost:
    """``prepost_wide`` as it was: ``to_numpy`` of the labels and ids, ``pd.factorize``."""
    check_columns(data, subject=subject, time=time, outcome=outcome, group=group)
    if pre is None or post is None:
        raise ArgumentError("pre" if pre is None else "post", None,
                            "the value of the time column that marks the measurement "
                            "(the order is never guessed)")
    if pre == post:
        raise ArgumentError("post", post, f"a time value different from pre={pre!r}")
    levels = pd.unique(data[time].dropna())
    shown = sorted(map(str, levels))[:20]
    for arg, lev in (("pre", pre), ("post", post)):
        if not (data[time] == lev).any():
            raise ArgumentError(arg, lev, f"one of the values of column {time!r}: {shown}")
    col = data[outcome]
    if not (pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)):
        bad = pd.to_numeric(col, errors="coerce").isna() & col.notna()
        i = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else 0
        raise DataError("not numeric", row=data.index[i], column=str(outcome),
                        value=col.iloc[i], expected="a number")
    y = col.to_numpy(dtype=float, na_value=np.nan)
    tv = data[time].to_numpy()
    is_pre = (tv == pre)
    keep = is_pre | (tv == post)
    rows_other = int((~keep).sum())
    codes, uniq = pd.factorize(data[subject].to_numpy()[keep], use_na_sentinel=True)
    if (codes < 0).any():
        i = int(np.flatnonzero(keep)[np.flatnonzero(codes < 0)[0]])
        raise DataError("missing subject id", row=data.index[i], column=str(subject),
                        value=None, expected="a subject id")
    m = len(uniq)
    ip = is_pre[keep]
    yk = y[keep]
    cnt_pre = np.bincount(codes[ip], minlength=m)
    cnt_post = np.bincount(codes[~ip], minlength=m)
    dup = np.flatnonzero((cnt_pre > 1) | (cnt_post > 1))
    if dup.size:
        lev = pre if cnt_pre[dup[0]] > 1 else post
        raise DataError(
            f"{dup.size} subject(s) with more than one row at {time}={lev!r} (the first has "
            f"{max(cnt_pre[dup[0]], cnt_post[dup[0]])} rows; find them with "
            f"data[data.duplicated([{subject!r}, {time!r}], keep=False)])",
            column=str(time), value=lev, expected="one row per subject and occasion")
    xpre = np.full(m, np.nan)
    xpost = np.full(m, np.nan)
    xpre[codes[ip]] = yk[ip]
    xpost[codes[~ip]] = yk[~ip]
    ok = ~np.isnan(xpre) & ~np.isnan(xpost)
    exclusions: dict[str, int] = {}
    if int(np.isnan(xpre).sum()):
        exclusions["missing_pre"] = int(np.isnan(xpre).sum())
    if int((~np.isnan(xpre) & np.isnan(xpost)).sum()):
        exclusions["missing_post"] = int((~np.isnan(xpre) & np.isnan(xpost)).sum())
    cols: dict[str, Any] = {"pre": xpre, "post": xpost}
    if group is not None:
        gk = data[group].to_numpy()[keep]
        gv = np.empty(m, dtype=object)
        gv[:] = None
        gv[codes[~ip]] = gk[~ip]
        gv[codes[ip]] = gk[ip]
        gmiss = pd.isna(pd.Series(gv)).to_numpy()
        if int((ok & gmiss).sum()):
            exclusions["missing_group"] = int((ok & gmiss).sum())
        ok &= ~gmiss
        cols["group"] = gv
    frame = pd.DataFrame(cols, index=pd.Index(uniq, name=subject))[ok]
    if group is not None:
        frame["group"] = frame["group"].astype(data[group].dtype)
    if warn:
        warn_exclusions(m, int(ok.sum()), exclusions, stacklevel=3)
    return PrePost(frame=frame, n_original=m, exclusions=exclusions, rows_other_time=rows_other)


# -- data -------------------------------------------------------------------------------------
def messy(n: int = 40, seed: int = 0) -> pd.DataFrame:
    """Long data with a missing pre and post score, a pre without post, a post without pre,
    a row at another occasion, a subject with only a pre, a missing label, shuffled rows."""
    rng = np.random.default_rng(seed)
    ids = np.arange(n)
    pre = rng.normal(2, .6, n)
    post = pre - .4 + rng.normal(0, .5, n)
    df = pd.DataFrame({"id": np.r_[ids, ids], "t": ["pre"] * n + ["post"] * n,
                       "y": np.r_[pre, post], "grp": np.r_[ids % 3, ids % 3]})
    df.loc[3, "y"] = np.nan
    df.loc[n + 5, "y"] = np.nan
    df = df.drop(index=[n + 7, 9])
    extra = pd.DataFrame({"id": [100, 101, 102], "t": ["mid", "pre", None],
                          "y": [1.0, 2.0, 3.0], "grp": [0, 1, 2]})
    df = pd.concat([df, extra], ignore_index=True)
    return df.sample(frac=1, random_state=seed).reset_index(drop=True)


TIME_KINDS = ("str", "object", "category", "int")
ID_KINDS = ("int", "str", "object")
GROUP_KINDS = ("str", "category", "int", "float_nan", "object_none")


def variant(df: pd.DataFrame, time_kind: str, id_kind: str = "int",
            group_kind: str = "str") -> tuple[pd.DataFrame, Any, Any]:
    """``df`` with its labels, ids and group in the dtypes named; returns (data, pre, post)."""
    d = df.copy()
    pre, post = "pre", "post"
    if time_kind == "str":
        d["t"] = d["t"].astype("str")
    elif time_kind == "object":
        d["t"] = d["t"].astype(object)
    elif time_kind == "category":
        d["t"] = d["t"].astype("category")
    else:
        d["t"] = d["t"].map({"pre": 1, "post": 2, "mid": 3}).fillna(0).astype(int)
        pre, post = 1, 2
    if id_kind == "str":
        d["id"] = ("P" + d["id"].astype(str)).astype("str")
    elif id_kind == "object":
        d["id"] = ("P" + d["id"].astype(str)).astype(object)
    g = d["grp"]
    if group_kind == "str":
        d["grp"] = ("g" + g.astype(str)).astype("str")
    elif group_kind == "category":
        d["grp"] = ("g" + g.astype(str)).astype("category")
    elif group_kind == "float_nan":
        d["grp"] = g.astype(float).where(d.index != 4)
    elif group_kind == "object_none":
        d["grp"] = ("g" + g.astype(str)).astype(object).where(d.index != 6, None)
    return d, pre, post


def outcome(fn) -> tuple[Any, list[tuple[str, str]]]:
    """``fn()``'s result (or its exception's type and message) and the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = fn()
        except Exception as exc:  # noqa: BLE001 - the error itself is compared
            res = (type(exc).__name__, str(exc))
    return res, [(type(w.message).__name__, str(w.message)) for w in caught]


def assert_frames_identical(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert a.columns.dtype == b.columns.dtype
    assert a.index.dtype == b.index.dtype and a.index.name == b.index.name


def assert_same_pairs(a: Any, b: Any) -> None:
    (ra, wa), (rb, wb) = a, b
    assert wa == wb
    if isinstance(ra, tuple) or isinstance(rb, tuple):
        assert ra == rb
        return
    assert_frames_identical(ra.frame, rb.frame)
    assert (ra.n_original, ra.exclusions, ra.rows_other_time) == (
        rb.n_original, rb.exclusions, rb.rows_other_time)


# -- prepost_wide against the earlier implementation ---------------------------------------
@pytest.mark.parametrize("time_kind", TIME_KINDS)
@pytest.mark.parametrize("id_kind", ID_KINDS)
@pytest.mark.parametrize("group_kind", (None, *GROUP_KINDS))
def test_prepost_wide_equals_the_earlier_implementation(time_kind, id_kind, group_kind):
    d, pre, post = variant(messy(), time_kind, id_kind, group_kind or "str")
    kw = dict(subject="id", time="t", outcome="y", pre=pre, post=post,
              group=None if group_kind is None else "grp")
    new = outcome(lambda: prepost_wide(d, **kw))
    ref = outcome(lambda: reference_prepost_wide(d, **kw))
    assert_same_pairs(new, ref)
    assert new[0].exclusions["missing_pre"] >= 2 and new[0].rows_other_time >= 2


def _edge_frames() -> dict[str, tuple[pd.DataFrame, dict[str, Any]]]:
    d, _, _ = variant(messy(), "str")
    dup = pd.concat([d, d.iloc[[0]]], ignore_index=True)
    kw = dict(subject="id", time="t", outcome="y", pre="pre", post="post")
    return {
        "duplicate row": (dup, kw),
        "duplicate row, categorical labels": (dup.assign(t=dup["t"].astype("category")), kw),
        "pre not a label": (d, {**kw, "pre": "before"}),
        "int pre for text labels": (d, {**kw, "pre": 1}),
        "absent category": (d.assign(t=d["t"].astype("category")), {**kw, "post": "after"}),
        "pre equals post": (d, {**kw, "post": "pre"}),
        "pre None": (d, {**kw, "pre": None}),
        "missing int id": (d.assign(id=d["id"].astype(float).where(d.index != 2)), kw),
        "missing text id": (d.assign(id=d["id"].astype(str).where(d.index != 2)), kw),
        "text outcome": (d.assign(y=d["y"].astype(str)), kw),
        "wide-range int ids": (d.assign(id=d["id"] * 10**12 - 5), kw),
        "negative int ids": (d.assign(id=-d["id"]), kw),
        "uint8 ids": (d.assign(id=d["id"].astype("uint8")), kw),
        "nullable Int64 ids": (d.assign(id=d["id"].astype("Int64")), kw),
        "string[pyarrow] labels": (d.assign(t=d["t"].astype("string[pyarrow]")), kw),
        "int categories, float pre": (d.assign(t=d["t"].map({"pre": 1, "post": 2})
                                               .astype("category")), {**kw, "pre": 1.0, "post": 2}),
        "float labels": (d.assign(t=d["t"].map({"pre": 1, "post": 2}).astype(float)),
                         {**kw, "pre": 1, "post": 2.0}),
        "only pre rows": (d.assign(t="pre"), kw),
        "datetime group": (d.assign(g=pd.Timestamp("2020-01-01") + pd.to_timedelta(
            d["y"].fillna(0).round(), unit="D")), {**kw, "group": "g"}),
        "bool group": (d.assign(g=d["y"] > 2), {**kw, "group": "g"}),
        "string[pyarrow] group": (d.assign(g=d["grp"].astype("string[pyarrow]")
                                           .where(d.index != 3)), {**kw, "group": "g"}),
    }


@pytest.mark.parametrize("case", list(_edge_frames()))
def test_prepost_wide_edges_and_errors_equal_the_earlier_implementation(case):
    data, kw = _edge_frames()[case]
    assert_same_pairs(outcome(lambda: prepost_wide(data, **kw)),
                      outcome(lambda: reference_prepost_wide(data, **kw)))


# -- the verbs do not depend on the labels' dtype --------------------------------------------
VERBS = {
    "reliable_change": lambda d, kw: es.reliable_change(d, **kw, reliability=.8,
                                                        better_is="lower"),
    "reliable_change_hll": lambda d, kw: es.reliable_change(d, **kw, reliability=.8,
                                                            better_is="lower", method="hll"),
    "clinical_significance": lambda d, kw: es.clinical_significance(
        d, **kw, reliability=.8, better_is="lower", cutoff="c", m_functional=1.0,
        sd_functional=.5),
    "clinical_significance_ha": lambda d, kw: es.clinical_significance(
        d, **kw, method="ha", reliability=.8, better_is="lower", cutoff="c", m_functional=1.0,
        sd_functional=.5),
    "clinical_significance_anchor": lambda d, kw: es.clinical_significance(
        d, **kw, method="anchor", mid_improvement=.3, better_is="lower", cutoff="a"),
    "prepost_effect": lambda d, kw: es.prepost_effect(d, **kw, method="b"),
}


def _result(fn) -> tuple[Any, list[tuple[str, str]]]:
    res, warned = outcome(fn)
    if isinstance(res, tuple):
        return res, warned
    return {"patients": res.patients, "summary": res.summary(),
            "meta": {k: v for k, v in res.meta.items() if k not in ("pre", "post")}}, warned


def _assert_same_result(a, b, same_index: bool = True) -> None:
    (ra, wa), (rb, wb) = a, b
    assert wa == wb
    assert type(ra) is type(rb)
    if isinstance(ra, tuple):
        assert ra == rb
        return
    for key in ("patients", "summary"):
        fa, fb = ra[key], rb[key]
        if not same_index:
            fa, fb = fa.reset_index(drop=True), fb.reset_index(drop=True)
        assert_frames_identical(fa, fb)
    assert ra["meta"].keys() == rb["meta"].keys()
    for k, v in ra["meta"].items():
        w = rb["meta"][k]
        assert v == w or (isinstance(v, float) and np.isnan(v) and np.isnan(w)), k


@pytest.mark.parametrize("verb", list(VERBS))
@pytest.mark.parametrize("grouped", (False, True))
@pytest.mark.parametrize("id_kind", ID_KINDS)
def test_verbs_identical_for_str_object_category_and_int_labels(verb, grouped, id_kind):
    got = []
    for time_kind in TIME_KINDS:
        d, pre, post = variant(messy(60, seed=2), time_kind, id_kind, "category")
        kw = dict(subject="id", time="t", outcome="y", pre=pre, post=post)
        if grouped:
            kw["group"] = "grp"
        got.append(_result(lambda d=d, kw=kw: VERBS[verb](d, kw)))
    assert not isinstance(got[0][0], tuple), got[0][0]
    assert got[0][0]["meta"]["exclusions"]["missing_pre"] >= 2
    for other in got[1:]:
        _assert_same_result(got[0], other)


@pytest.mark.parametrize("verb", list(VERBS))
def test_verbs_identical_for_int_and_text_ids_up_to_the_index(verb):
    got = []
    for id_kind in ID_KINDS:
        d, pre, post = variant(messy(60, seed=3), "str", id_kind)
        got.append(_result(lambda d=d, pre=pre, post=post: VERBS[verb](
            d, dict(subject="id", time="t", outcome="y", pre=pre, post=post))))
    for other in got[1:]:
        _assert_same_result(got[0], other, same_index=False)
    assert got[1][0]["patients"].index.dtype == "str"
    assert list(got[1][0]["patients"].index) == [f"P{i}" for i in got[0][0]["patients"].index]


def test_errors_and_warnings_identical_across_label_dtypes():
    for time_kind in TIME_KINDS:
        d, pre, post = variant(messy(), time_kind)
        dup = pd.concat([d, d.iloc[[0]]], ignore_index=True)
        res, _ = outcome(lambda dup=dup, pre=pre, post=post: es.reliable_change(
            dup, subject="id", time="t", outcome="y", pre=pre, post=post, reliability=.8,
            better_is="lower"))
        assert res[0] == "DataError" and "more than one row at t=" in res[1]
        with pytest.warns(DataQualityWarning, match="excluded"):
            es.reliable_change(d, subject="id", time="t", outcome="y", pre=pre, post=post,
                               reliability=.8, better_is="lower")


# -- clinical_significance on checked pairs, as itt_effect classifies ----------------------
def test_clinical_significance_of_a_prepost_equals_the_long_data_route():
    d, _, _ = variant(messy(80, seed=4), "str")
    kw = dict(subject="id", time="t", outcome="y", pre="pre", post="post")
    crit = dict(reliability=.8, better_is="lower", cutoff="c", m_functional=1.0, sd_functional=.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        pp = prepost_wide(d, **kw)
        long_route = es.clinical_significance(d, **kw, **crit)
    paired = es.clinical_significance(pp, **kw, **crit)
    assert_frames_identical(paired.patients, long_route.patients)
    assert paired.meta.keys() == long_route.meta.keys()
    with pytest.raises(ArgumentError, match="long data"):
        es.clinical_significance(pp, **kw, method="hlm", better_is="lower", cutoff="a")


@pytest.mark.parametrize("criteria", [
    dict(reliability=.85, better_is="lower", cutoff="c", m_functional=1.0, sd_functional=.45),
    dict(reliability=.85, better_is="lower", method="ha", cutoff="c", m_functional=1.0,
         sd_functional=.45),
    dict(better_is="lower", method="anchor", mid_improvement=.3, cutoff="a", m_clinical=1.8,
         sd_clinical=.6),
])
def test_itt_completer_categories_are_the_verbs_categories(criteria):
    rng = np.random.default_rng(5)
    n = 300
    pre = rng.normal(1.8, .6, n)
    post = pre - .4 + rng.normal(0, .5, n)
    post[rng.random(n) < .3] = np.nan
    r = es.itt_effect(pd.DataFrame({"pre": pre, "post": post}), last=None, status=None,
                      criteria=criteria, imputations=5, seed=1)
    obs = ~np.isnan(post)
    m = int(obs.sum())
    long = pd.DataFrame({"id": np.tile(np.arange(m), 2), "time": ["pre"] * m + ["post"] * m,
                         "score": np.r_[pre[obs], post[obs]]})
    cs = es.clinical_significance(long, subject="id", time="time", outcome="score", pre="pre",
                                  post="post", **criteria)
    counts = cs.patients["category"].value_counts(sort=False)
    got = r.unknown_distribution.set_index("category")["n"]
    assert [int(got[c]) for c in counts.index] == counts.tolist()
    assert int(got["unknown"]) == n - m
    share = r.categories[r.categories["method"] == "completers"].set_index("category")["share"]
    assert np.array_equal(share.to_numpy(), (counts / m).to_numpy())


def test_result_frames_are_writable_and_independent():
    """The frames are built without copies (shared copy-on-write): writing into one result
    changes neither the pairs nor another result."""
    d, _, _ = variant(messy(), "str")
    kw = dict(subject="id", time="t", outcome="y", pre="pre", post="post", better_is="lower",
              reliability=.8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        pp = prepost_wide(d, subject="id", time="t", outcome="y", pre="pre", post="post")
        rc = es.reliable_change(d, **kw)
        cs = es.clinical_significance(d, **kw, cutoff="a")
    first = rc.patients.index[0]
    pre0, rci0 = float(rc.patients.loc[first, "pre"]), float(rc.patients.loc[first, "rci"])
    pats = pp.patients()
    pats.loc[first, "pre"] = -1.0
    cs.patients.loc[first, ["pre", "rci"]] = [-2.0, -3.0]
    cs.patients.loc[first, "clinical_pre"] = not cs.patients.loc[first, "clinical_pre"]
    assert float(pp.frame.loc[first, "pre"]) == pre0
    assert float(rc.patients.loc[first, "pre"]) == pre0
    assert float(rc.patients.loc[first, "rci"]) == rci0
    rc.patients.loc[first, "rci"] = 0.0
    assert float(cs.patients.loc[first, "rci"]) == -3.0
