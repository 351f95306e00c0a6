"""``score(rows=)`` and ``reliability(rows=)``: a selection scored without copying the item matrix.

The contract: the result equals that of the same verb on ``measurements.iloc[rows]`` (scores,
dtypes, meta, the error a bad code raises), for a boolean mask and for positions, with rows
of other instruments, a repeated index (a wide file's rows share their line) and missing items.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import DataError


def table(n: int = 300, seed: int = 3) -> pd.DataFrame:
    """SCL-90 rows (codes 1-5, some missing) with a few GAD-7 rows in between and a repeated index."""
    rng = np.random.default_rng(seed)
    items = rng.integers(1, 6, size=(n, 90)).astype(float)
    items[rng.random((n, 90)) < 0.03] = np.nan
    m = pd.DataFrame(items, columns=[f"item_{i}" for i in range(1, 91)])
    m.insert(0, "client_id", pd.array([f"c{i // 3}" for i in range(n)], dtype="str"))
    m.insert(1, "episode_id", pd.array([f"e{i // 3}" for i in range(n)], dtype="str"))
    inst = np.where(rng.random(n) < 0.1, "gad7", "scl90_nl")
    m.insert(2, "instrument", pd.array(inst, dtype="str"))
    m.insert(3, "date", pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n) % 3 * 30, unit="D"))
    m.insert(4, "occasion", pd.array(np.array(["pre", "mid", "post"])[np.arange(n) % 3], dtype="str"))
    gad = inst == "gad7"
    m.loc[gad, [f"item_{i}" for i in range(8, 91)]] = np.nan
    m.loc[gad, [f"item_{i}" for i in range(1, 8)]] = m.loc[gad, [f"item_{i}" for i in range(1, 8)]].clip(0, 3)
    m.index = pd.Index(2 + np.arange(n) // 2, name="line")  # two rows per line, as a wide file's
    return m


def selections(n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(11)
    mask = rng.random(n) < 0.6
    return [mask, np.flatnonzero(mask), rng.permutation(n)[: n // 2], np.arange(n)]


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.mark.parametrize("which", range(4))
def test_score_rows_equals_score_of_the_selection(which):
    m = table()
    rows = selections(len(m))[which]
    got = quiet(es.score, m, instrument="scl90_nl", rows=rows)
    want = quiet(es.score, m.iloc[np.flatnonzero(rows) if rows.dtype == bool else rows], instrument="scl90_nl")
    pd.testing.assert_frame_equal(got.scores, want.scores, check_exact=True)
    assert got.meta == want.meta
    assert got.meta["exclusions"]["other_instrument"] > 0  # the GAD-7 rows among the selection


def test_score_rows_leaves_the_table_untouched():
    m = table()
    before = m.copy()
    quiet(es.score, m, instrument="scl90_nl", rows=np.arange(0, len(m), 2))
    pd.testing.assert_frame_equal(m, before, check_exact=True)


@pytest.mark.parametrize("which", range(4))
@pytest.mark.parametrize("occasion", ["pre", "first", "all"])
def test_reliability_rows_equals_reliability_of_the_selection(which, occasion):
    m = table()
    rows = selections(len(m))[which]
    got = es.reliability(m, instrument="scl90_nl", scale="DEP", occasion=occasion, rows=rows)
    want = es.reliability(m.iloc[np.flatnonzero(rows) if rows.dtype == bool else rows], instrument="scl90_nl",
                          scale="DEP", occasion=occasion)
    assert (got.estimate, got.ci_low, got.ci_high, got.n, got.n_items) == (
        want.estimate, want.ci_low, want.ci_high, want.n, want.n_items)
    assert got.meta == want.meta


def test_a_bad_code_in_the_selection_is_reported_as_for_the_copy():
    m = table()
    m.iloc[40, m.columns.get_loc("item_17")] = 7.0
    m.iloc[40, m.columns.get_loc("instrument")] = "scl90_nl"
    rows = np.arange(20, 120)
    errors = []
    for call in (lambda: quiet(es.score, m, instrument="scl90_nl", rows=rows),
                 lambda: quiet(es.score, m.iloc[rows], instrument="scl90_nl")):
        with pytest.raises(DataError) as exc:
            call()
        errors.append(str(exc.value))
    assert errors[0] == errors[1]
    assert "item_17" in errors[0] and "7.0" in errors[0]


def test_a_bad_code_outside_the_selection_is_not_read():
    m = table()
    m.iloc[5, m.columns.get_loc("item_17")] = 7.0
    m.iloc[5, m.columns.get_loc("instrument")] = "scl90_nl"
    res = quiet(es.score, m, instrument="scl90_nl", rows=np.arange(20, 120))
    assert res.meta["n_original"] == 100


def test_no_row_of_the_instrument_in_the_selection():
    m = table()
    gad = np.flatnonzero(m["instrument"].to_numpy() == "gad7")
    with pytest.raises(DataError, match="no measurements of instrument 'scl90_nl'"):
        quiet(es.score, m, instrument="scl90_nl", rows=gad)
