"""Edges of reverse keying: a user key coded 1-5 (issue 21, item 5).

Reverse items are keyed :math:`x' = x_{min} + x_{max} - x` (registry docstring).  With the
shipped 0-4 keys that equals ``4 - x``, so only a key whose lowest code is not 0 tells the
two formulas apart.  Codes at both ends of the range (1 and 5) and at the midpoint (3, its
own mirror image) are exact whole numbers; the expected scores are worked out by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy import instruments
from effectstudy.instruments.items import keyed_items

KEY_1_5 = """\
id: agree_1_5
name: Agreement scale coded 1-5 (test key)
version: "1"
n_items: 4
item_min: 1
item_max: 5
status: verified
status_reason: a test key
default_scale: total
reverse_items: [2, 4]
missing: {method: prorate, max_missing_share: 0.25, source: test}
sources: [test]
scales:
  total: {items: 1-4, rule: sum}
  mean: {items: 1-4, rule: mean}
"""

#: raw codes of items 1-4 -> keyed codes (items 2 and 4 mirrored: 1 <-> 5, 2 <-> 4, 3 = 3)
CASES = [
    ([1, 1, 1, 1], [1, 5, 1, 5]),   # lowest code everywhere
    ([5, 5, 5, 5], [5, 1, 5, 1]),   # highest code everywhere
    ([3, 3, 3, 3], [3, 3, 3, 3]),   # the midpoint is its own mirror image
    ([1, 5, 1, 5], [1, 1, 1, 1]),   # the lowest possible score, 4
    ([5, 1, 5, 1], [5, 5, 5, 5]),   # the highest possible score, 20
    ([2, 4, 4, 2], [2, 2, 4, 4]),
]


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    path = tmp_path_factory.mktemp("key") / "agree_1_5.yaml"
    path.write_text(KEY_1_5, encoding="utf-8")
    return instruments.load(path)


def test_reverse_item_of_a_1_to_5_key_is_min_plus_max_minus_code(key):
    raw = np.array([r for r, _ in CASES], dtype=float)
    m = pd.DataFrame({"client_id": [f"c{i}" for i in range(len(CASES))],
                      "date": pd.Timestamp("2024-01-08"),
                      **{f"item_{j + 1}": raw[:, j] for j in range(4)}})
    s = es.score(m, instrument=key).scores
    total = s[s["scale"] == "total"]["score"].tolist()
    mean = s[s["scale"] == "mean"]["score"].tolist()
    assert total == [12.0, 12.0, 12.0, 4.0, 20.0, 12.0]
    assert mean == [3.0, 3.0, 3.0, 1.0, 5.0, 3.0]
    # every score lies in the key's range 4..20
    assert min(total) == 4.0 and max(total) == 20.0


def test_keyed_items_of_a_1_to_5_key_for_reliability(key):
    raw = np.array([r for r, _ in CASES], dtype=float)
    keyed = keyed_items(raw, key, [f"item_{j}" for j in range(1, 5)])
    assert keyed.tolist() == [[float(v) for v in k] for _, k in CASES]
