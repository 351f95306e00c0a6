"""core.keys: isin and key_codes give what pandas gives, for every dtype of the key column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from effectstudy.core.keys import isin, key_codes

TEXT = st.one_of(st.none(), st.sampled_from(["E1", "E2", "E3", "e1", " E1", ""]))
DTYPES = ["str", "string", object, "category"]


@settings(max_examples=200, deadline=None)
@given(values=st.lists(TEXT, max_size=12), test=st.lists(st.one_of(TEXT, st.just(np.nan), st.just(3)), max_size=5),
       dtype=st.sampled_from(DTYPES), container=st.sampled_from(["list", "series", "index", "set", "array"]))
def test_isin_is_pandas_isin(values, test, dtype, container):
    s = pd.Series(values, dtype=dtype)
    members = {"list": list(test), "series": pd.Series(test, dtype=object), "index": pd.Index(test, dtype=object),
               "set": set(test), "array": np.array(test, dtype=object)}[container]
    expected = s.isin(list(members) if container == "set" else members).to_numpy(dtype=bool)
    assert isin(s, members).tolist() == expected.tolist()
    assert isin(pd.Index(s), members).tolist() == expected.tolist()


def test_isin_arrow_members_of_other_string_type():
    s = pd.Series(["a", "b", None], dtype="str")
    assert isin(s, pd.Series(["b"], dtype="string")).tolist() == [False, True, False]
    assert isin(s, pd.Series([None], dtype="str")).tolist() == [False, False, True]


@pytest.mark.parametrize("dtype", DTYPES)
def test_key_codes_shared_and_missing(dtype):
    a = pd.Series(["x", "y", None, "x"], dtype=dtype)
    b = pd.Series(["y", "z"], dtype=dtype)
    ca, cb = key_codes(a, b)
    assert ca.tolist() == [0, 1, -1, 0]
    assert cb.tolist() == [1, 2]
    assert ca.dtype == np.int64


@settings(max_examples=200, deadline=None)
@given(a=st.lists(TEXT, max_size=12), b=st.lists(TEXT, max_size=8),
       dtypes=st.tuples(st.sampled_from(["str", "string"]), st.sampled_from(["str", "string"])))
def test_key_codes_of_arrow_text_are_pandas_factorize(a, b, dtypes):
    """Arrow text goes through Arrow's hash encoding: the codes pd.factorize gives the
    concatenation (first appearance, missing -1), for either Arrow string type on each side."""
    sa, sb = pd.Series(a, dtype=dtypes[0]), pd.Series(b, dtype=dtypes[1])
    expected, _ = pd.factorize(pd.concat([sa.astype(object), sb.astype(object)], ignore_index=True))
    ca, cb = key_codes(sa, sb)
    assert ca.tolist() + cb.tolist() == expected.tolist()
    assert key_codes(pd.Index(sa))[0].tolist() == pd.factorize(sa.astype(object))[0].tolist()
