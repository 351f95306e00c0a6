"""The vectorised fast paths of validation give exactly what the plain pandas operations give.

Duplicate keys on one combined integer code (``DataFrame.duplicated``), id positions through
Arrow (``Index.get_indexer``), items read from a view of the item block, code matching spread
in Arrow and row keys from a copied MAC state are compared with the plain operations on dirty
data (missing values, case and spacing variants, repeated keys, mixed dtypes).
"""

from __future__ import annotations

import hmac

import numpy as np
import pandas as pd
import pytest

from effectstudy.core.codes import DEFAULT_CODES
from effectstudy.core.params import DataSpec, FileSpec
from effectstudy.core.rowkey import RowKey
from effectstudy.core.schema import MEASUREMENTS
from effectstudy.data import validate as v
from effectstudy.data.io import read_study


def _dirty(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = np.array(["C1", "C2", "c1", " C1", "C10", "C2 ", "X"], dtype=object)
    cl = pd.Series(ids[rng.integers(0, len(ids), n)], dtype="str")
    cl[rng.random(n) < 0.1] = np.nan
    dates = pd.Series(pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 4, n), unit="D"))
    dates[rng.random(n) < 0.05] = pd.NaT
    return pd.DataFrame({
        "client_id": cl,
        "instrument": pd.Series(np.array(["oq45", "sq48", "scl90_nl"])[rng.integers(0, 3, n)], dtype="str"),
        "date": dates,
        "session": pd.array(rng.integers(0, 3, n), dtype="Int64"),
        "score": rng.integers(0, 3, n).astype(float),
    })


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("key", [["client_id"], ["client_id", "instrument", "date"],
                                 ["instrument", "session"], ["date", "score", "client_id"]])
def test_duplicated_keys_flags_the_rows_dataframe_duplicated_flags(seed: int, key: list[str]) -> None:
    df = _dirty(400, seed)
    pos = np.flatnonzero(df[key].notna().all(axis=1).to_numpy())
    want = df[key].iloc[pos].duplicated(keep=False).to_numpy()
    assert v._duplicated_keys(df, key, pos).tolist() == want.tolist()


def test_duplicated_keys_on_object_and_categorical_columns() -> None:
    df = pd.DataFrame({"a": pd.Series(["x", "y", "x", "x"], dtype=object),
                       "b": pd.Categorical(["p", "q", "p", "q"], categories=["q", "p", "r"])})
    pos = np.arange(4)
    assert v._duplicated_keys(df, ["a", "b"], pos).tolist() == df.duplicated(keep=False).tolist()
    assert v._duplicated_keys(df, ["a"], pos[:1]).tolist() == [False]


@pytest.mark.parametrize("seed", range(3))
def test_check_table_is_the_same_as_with_plain_duplicated(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    df = _dirty(300, seed)
    df.loc[df.index[::7], "session"] = pd.NA
    df = df.assign(episode_id=pd.Series(np.where(np.arange(300) % 5 == 0, None, "E1"), dtype="str"))
    df = pd.concat([df, df.iloc[:20]], ignore_index=True)  # exact copies
    lines = np.arange(2, len(df) + 2)
    got = v.check_table(df, MEASUREMENTS, file="m.csv", lines=lines, today="2025-01-01")
    monkeypatch.setattr(v, "_duplicated_keys", lambda d, key, pos: d[key].iloc[pos].duplicated(keep=False).to_numpy())
    want = v.check_table(df, MEASUREMENTS, file="m.csv", lines=lines, today="2025-01-01")
    assert got["rule"].str.startswith("duplicate").any() and (got["rule"] == "repeated_session").any()
    pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize("dtype", ["str", object])
def test_positions_are_get_indexer(dtype: object) -> None:
    index = pd.Index(["E1", "E2", "e3", "E4 "], dtype=dtype)
    values = pd.Series(["E2", "E3", "E4 ", None, "E1", "x"], dtype=dtype)
    want = index.get_indexer(values)
    want[values.isna().to_numpy()] = -1
    assert v._positions(values, index).tolist() == want.tolist()


def test_item_view_is_a_view_only_for_one_float_block() -> None:
    df = pd.DataFrame(np.arange(12, dtype=float).reshape(4, 3), columns=["item_1", "item_2", "item_3"])
    m = v._item_view(df, ["item_1", "item_2", "item_3"])
    assert m is not None and np.shares_memory(m, df["item_1"].to_numpy())
    mixed = df.assign(item_2=pd.array([1, 2, None, 4], dtype="Int64"))
    assert v._item_view(mixed, ["item_1", "item_2", "item_3"]) is None
    rows, which = np.array([0, 2, 3]), np.array([0, 2])
    cols = [df[c].to_numpy() for c in df.columns]
    assert v._item_block(m, cols, which, rows).tolist() == v._item_matrix(cols, which, rows).tolist()
    assert v._item_block(m, cols, np.array([1, 2]), np.array([1, 2])).tolist() == \
        v._item_matrix(cols, np.array([1, 2]), np.array([1, 2])).tolist()


def _plain_match(cl, values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    idx, distinct = pd.factorize(values.astype("str"), use_na_sentinel=True)
    lookup = {c.casefold(): c for c in cl.codes}
    keys = pd.Series(np.asarray(distinct, dtype=object), dtype="str").str.casefold()
    mapped = np.append(keys.map(lookup).to_numpy(dtype=object, na_value=None), None)
    coded = pd.Series(mapped[idx], index=values.index, dtype="str")
    return coded, (idx >= 0) & coded.isna().to_numpy(dtype=bool)


@pytest.mark.parametrize("values", [
    pd.Series(["Depression", "depressie mw. X", None, "ANXIETY", "", "ptsd"], dtype="str", index=[9, 3, 4, 5, 6, 7]),
    pd.Series([None, None], dtype=object),
    pd.Series([], dtype="str"),
    pd.Series(["x", 1, None], dtype=object),
    pd.Series(["anxiety", None, "depression", "anxiety"], dtype="str", index=[4, 2, 8, 1]),  # clean: kept as is
    pd.Series(["anxiety", "depression"], dtype=object),
    pd.Series(["anxiety", "Anxiety"], dtype="str"),  # one spelling to change
])
def test_code_match_is_the_plain_match(values: pd.Series) -> None:
    cl = DEFAULT_CODES["diagnosis"]
    coded, bad = cl.match(values)
    want, want_bad = _plain_match(cl, values)
    pd.testing.assert_series_equal(coded, want)
    assert bad.tolist() == want_bad.tolist()


def test_row_keys_are_the_one_call_hmac() -> None:
    k = RowKey(bytes(range(32)))
    ids = ["C001", " c001 ", None, "", "Ä1", "C002"]
    for domain in ("client", "episode"):
        want = ["r-" + hmac.digest(k.secret, domain.encode() + b"\x00" + str(u).strip().upper().encode(),
                                   "sha256").hex()[:12] if u and u.strip() else "" for u in ids]
        assert k.keys(ids, domain).tolist() == want


@pytest.mark.parametrize("dtype", ["str", object])
def test_column_positions_are_get_indexer_row_by_row(dtype: object) -> None:
    index = pd.Index(["E1", "E2", "e3"], dtype=dtype)
    column = pd.Series(["E2", None, "E2", "E3", "e3", "E1", ""], dtype=dtype)
    want = index.get_indexer(column)
    want[column.isna().to_numpy()] = -1
    got = v._column_positions([column, column.iloc[::-1], column.iloc[:0]], index)
    assert [g.tolist() for g in got] == [want.tolist(), want[::-1].tolist(), []]
    assert v._column_positions([column], index[:0])[0].tolist() == [-1] * 7
    assert v._column_positions([], index) == []


def test_duplicated_keys_with_wide_codes() -> None:
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"a": rng.integers(0, 50, 200), "b": rng.integers(0, 50, 200), "c": rng.integers(0, 3, 200)})
    pos = np.arange(200)
    assert v._duplicated_keys(df, ["a", "b", "c"], pos).tolist() == df.duplicated(keep=False).tolist()


@pytest.mark.parametrize("seed", range(4))
def test_duplicated_keys_in_key_order_and_out_of_it(seed: int) -> None:
    """An export sorted by client and date (the usual order), the same with one pair out of
    order, shuffled, and a subset of its rows: all flagged as pandas flags them."""
    rng = np.random.default_rng(seed)
    n = 3000
    df = pd.DataFrame({
        "client_id": pd.Series([f"C{i:05d}" for i in rng.integers(0, 2000, n)], dtype="str"),
        "instrument": pd.Categorical(np.array(["oq45", "scl90_nl"])[rng.integers(0, 2, n)]),
        "date": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D"),
    })
    df = pd.concat([df, df.iloc[:40]]).sort_values(["client_id", "date", "instrument"], ignore_index=True)
    n = len(df)
    key = ["client_id", "instrument", "date"]
    pos = np.arange(n)
    swapped = df.iloc[[1, 0, *range(2, n)]].reset_index(drop=True)
    shuffled = df.sample(frac=1, random_state=seed).reset_index(drop=True)
    for frame in (df, swapped, shuffled):
        got = v._duplicated_keys(frame, key, pos)
        assert got.tolist() == frame[key].duplicated(keep=False).tolist() and got.sum() >= 80
    sub = np.flatnonzero(rng.random(n) < 0.5)
    assert v._duplicated_keys(df, key, sub).tolist() == df[key].iloc[sub].duplicated(keep=False).tolist()


def _plain_item_cells(df: pd.DataFrame, lines: np.ndarray) -> dict[str, list[tuple[int, str]]]:
    """The cells of ``coding_mismatch`` and ``out_of_range``, one cell at a time, row by row."""
    from effectstudy import instruments
    out: dict[str, list[tuple[int, str]]] = {"coding_mismatch": [], "out_of_range": []}
    for iid in ["scl90_nl", "gad7"]:
        ins = instruments.get(iid)
        for i in np.flatnonzero((df["instrument"] == iid).to_numpy()):
            for c in [f"item_{k}" for k in range(1, ins.n_items + 1)]:
                x = df[c].iloc[i]
                if np.isnan(x):
                    continue
                if ins.item_min >= 1 and x == ins.item_min - 1:
                    out["coding_mismatch"].append((int(lines[i]), c))
                elif x < ins.item_min or x > ins.item_max or x != round(x):
                    out["out_of_range"].append((int(lines[i]), c))
    return out


@pytest.mark.parametrize("chunk", [3, 8192])
def test_item_cells_are_found_in_every_chunk(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(v, "_ITEM_CHUNK", chunk)
    rng = np.random.default_rng(11)
    n = 40
    items = rng.integers(1, 6, size=(n, 90)).astype(float)
    items[rng.random((n, 90)) < 0.2] = np.nan
    items[5, 3], items[9, 0], items[17, 89], items[30, 4] = 0.0, 7.0, 2.5, np.inf
    items[22, 2], items[25, 6] = -1.0, 3.5  # gad7 rows: below its range, not whole
    items[20:30, 7:] = np.nan  # gad7 has 7 items
    items[21, 8] = 1.0  # an item beyond gad7's
    df = pd.DataFrame(items, columns=[f"item_{k}" for k in range(1, 91)])
    df.insert(0, "instrument", pd.Series(["scl90_nl"] * 20 + ["gad7"] * 10 + ["scl90_nl"] * 10, dtype="str"))
    lines = np.arange(2, n + 2)
    got = pd.concat(v._check_items(df, file="m.csv", lines=lines), ignore_index=True)
    want = _plain_item_cells(df, lines)
    for rule, cells in want.items():
        p = got[got["rule"] == rule]
        assert list(zip(p["row"].astype(int), p["column"], strict=True)) == cells
    assert got.loc[got["rule"] == "item_not_in_instrument", "row"].tolist() == [23]
    # whole codes only (an integer export): without the search for fractions, the same cells
    items[30, 4], items[17, 89], items[25, 6] = 9.0, 6.0, 8.0
    df[["item_5", "item_90", "item_7"]] = items[:, [4, 89, 6]]
    whole = v._check_items(df, file="m.csv", lines=lines, whole=[f"item_{k}" for k in range(1, 91)])
    pd.testing.assert_frame_equal(pd.concat(whole, ignore_index=True),
                                  pd.concat(v._check_items(df, file="m.csv", lines=lines), ignore_index=True))
    want = _plain_item_cells(df, lines)
    found = pd.concat(whole, ignore_index=True)
    for rule, cells in want.items():
        p = found[found["rule"] == rule]
        assert cells and list(zip(p["row"].astype(int), p["column"], strict=True)) == cells


@pytest.mark.parametrize("seed", range(3))
def test_cross_table_checks_on_shared_codes_are_those_of_the_lookups(seed: int) -> None:
    """``read_study`` encodes the episode ids of its tables together (``share_codes``); the
    checks between tables and the duplicate checks then compare codes.  Unknown, excluded and
    missing episode ids, another client and dates outside the window come out exactly as
    through the Arrow lookups."""
    from effectstudy.core.keys import factorizations, share_codes
    rng = np.random.default_rng(seed)
    n_ep, n_m = 60, 400
    eids = np.array([f"E{i:03d}" for i in range(n_ep)], dtype=object)
    start = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 300, n_ep), unit="D")
    episodes = pd.DataFrame({
        "episode_id": pd.Series(eids, dtype="str"),
        "client_id": pd.Series([f"C{i % 45:03d}" for i in range(n_ep)], dtype="str"),
        "start_date": start, "end_date": start + pd.to_timedelta(rng.integers(30, 200, n_ep), unit="D")})
    pool = np.append(eids, ["E999", "e001", " E002", None])  # unknown, case and spacing variants, missing
    m_ep = pool[rng.integers(0, len(pool), n_m)]
    m_cl = np.array([f"C{i % 45:03d}" for i in range(n_m)], dtype=object)
    measurements = pd.DataFrame({
        "episode_id": pd.Series(m_ep, dtype="str"), "client_id": pd.Series(m_cl, dtype="str"),
        "date": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(-100, 600, n_m), unit="D")})
    satisfaction = pd.DataFrame({"episode_id": pd.Series(pool[rng.integers(0, len(pool), 80)], dtype="str")})
    used = (rng.random(n_ep) > 0.2, rng.random(n_m) > 0.1, rng.random(80) > 0.1)
    lines = (np.arange(2, n_ep + 2), np.arange(2, n_m + 2), np.arange(2, 82))
    files = {"episodes": "e.csv", "measurements": "m.csv", "satisfaction": "s.csv"}

    def run() -> pd.DataFrame:
        return v.check_study(episodes, lines[0], used[0], measurements, lines[1], used[1], satisfaction,
                             lines[2], used[2], files=files)

    want = run()
    with factorizations():
        share_codes(episodes["episode_id"], measurements["episode_id"], satisfaction["episode_id"])
        assert v._shared_positions([measurements["episode_id"]], episodes["episode_id"], used[0]) is not None
        got = run()
        key = ["episode_id"]
        for df in (episodes, measurements.dropna(), satisfaction.dropna()):
            pos = np.arange(len(df))
            assert v._duplicated_keys(df, key, pos).tolist() == df[key].duplicated(keep=False).tolist()
    assert set(want["rule"]) >= {"unknown_episode", "episode_excluded", "episode_client_mismatch", "outside_episode"}
    pd.testing.assert_frame_equal(got, want)


def test_item_checks_in_their_thread_keep_the_identifier_setting() -> None:
    """``check_table`` runs the item checks in a second thread: a value typed into an item
    column is hidden by default and shown inside ``identifiers_shown``, as in every other check."""
    df = pd.DataFrame({"client_id": pd.Series(["C1", "C2"], dtype="str"),
                       "instrument": pd.Series(["gad7", "gad7"], dtype="str"),
                       "date": pd.to_datetime(["2024-01-02", "2024-01-03"]),
                       **{f"item_{k}": [1.0, 612345678.0 if k == 2 else 1.0] for k in range(1, 8)}})
    lines = np.array([2, 3])

    def shown() -> list[str]:
        p = v.check_table(df, MEASUREMENTS, file="m.csv", lines=lines, today="2025-01-01")
        return p.loc[p["rule"] == "out_of_range", "value"].tolist()

    assert shown() == [v.HIDDEN["unexpected"]]
    with v.identifiers_shown():
        assert shown() == ["612345678"]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_read_study_row_keys_are_those_of_each_problem_row(tmp_path, fmt: str) -> None:
    """Every problem row of ``read_study`` (notes of typing, checks of a table, checks between
    tables) gets the HMAC of its own client id, else its episode id, each in its domain.
    Episode ``C2`` has no client id and client ``C2`` exists: a key made without its domain
    would give that row the client's key."""
    ep = pd.DataFrame({
        "episode_id": ["E1", "E2", "C2", "E4", "E5"],
        "client_id": ["C1", " c2 ", None, "C4", "C1"],
        "start_date": pd.to_datetime(["2024-01-03"] * 5),
        "sessions": [7, 4, 3, 9, 2],
        "consent_study": pd.array([True, None, None, True, None], dtype="boolean"),  # flag_not_recorded
        "consent_research": pd.array([None, True, True, None, True], dtype="boolean"),
    })
    ms = pd.DataFrame({
        "client_id": ["C1", "C2", "C4", "C9"],
        "episode_id": ["E1", "E2", "E4", "E9"],  # E9: unknown episode
        "instrument": ["scl90_nl"] * 4,
        "date": pd.to_datetime(["2024-01-05"] * 4),
        "item_1": [7, 1, 2, 1],  # 7: out of range
    })
    paths = {}
    for name, df in (("episodes", ep), ("measurements", ms)):
        paths[name] = tmp_path / f"{name}.{fmt}"
        if fmt == "csv":
            df.assign(**{c: df[c].dt.strftime("%d-%m-%Y") for c in df.columns if c.endswith("date")}).to_csv(
                paths[name], index=False)
        else:
            df.to_parquet(paths[name], index=False)
    key = RowKey(bytes(range(40)))
    spec = DataSpec(episodes=FileSpec(path=paths["episodes"]), measurements=FileSpec(path=paths["measurements"]))
    p = read_study(spec, today="2025-06-01", on_fatal="return", row_key=key).report.problems
    rows = {f"episodes.{fmt}": ep, f"measurements.{fmt}": ms}

    def hmac_key(domain: str, value: str) -> str:
        msg = domain.encode() + b"\x00" + value.strip().upper().encode()
        return "r-" + hmac.digest(key.secret, msg, "sha256").hex()[:12]

    want = []
    for file, row in zip(p["file"], p["row"], strict=True):
        r = rows[file].iloc[int(row) - 2]
        cl = r["client_id"]
        want.append(hmac_key("client", cl) if isinstance(cl, str) and cl.strip()
                    else hmac_key("episode", r["episode_id"]))
    assert (p["rule"] == "flag_not_recorded").sum() == 5 and {"out_of_range", "unknown_episode"} <= set(p["rule"])
    assert p["row_key"].tolist() == want
