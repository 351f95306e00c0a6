"""Readers for the R reference outputs in ``tests/reference/r_outputs`` (see its README).

Numbers are stored with round-trip precision; ``NA`` is missing.  Nothing here computes
an expected value: it only reads what R wrote.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).parent / "r_outputs"


@cache
def cases() -> dict:
    return json.loads((ROOT / "cases.json").read_text(encoding="utf-8"))


def case_list(approach: str) -> list[dict]:
    return [c for c in cases()["cases"] if c["approach"] == approach]


def case(case_id: str) -> dict:
    return next(c for c in cases()["cases"] if c["case_id"] == case_id)


def _read(path: Path) -> pd.DataFrame:
    # pandas >= 3 (the floor is 3.1) parses floats correctly rounded
    df = pd.read_csv(path, keep_default_na=False, na_values=["NA"], dtype={"id": str})
    for col in df.columns:
        vals = set(df[col].dropna().astype(str).unique())
        if vals and vals <= {"TRUE", "FALSE", "True", "False"}:
            df[col] = df[col].map({"TRUE": True, "FALSE": False, True: True, False: False})
    return df


@cache
def expected(name: str) -> pd.DataFrame:
    return _read(ROOT / "expected" / name)


@cache
def _input(name: str) -> pd.DataFrame:
    return _read(ROOT / "inputs" / name)


def input_for(c: dict) -> pd.DataFrame:
    """The long input file of a case, as R read it (``colClasses`` of the setup line)."""
    return _input(Path(c["input_file"]).name).copy()


def expected_rows(name: str, case_id: str) -> pd.DataFrame:
    e = expected(name)
    return e[e["case_id"] == case_id].set_index("id")


def params(case_id: str) -> pd.Series:
    p = expected("cs_case_params.csv")
    return p[p["case_id"] == case_id].iloc[0]
