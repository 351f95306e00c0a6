"""Make the small synthetic item matrices used as input for the psych::alpha reference.

Run once from the repository root: ``.venv/bin/python tests/reference/reliability_make_data.py``.
The CSV files are committed; this script only documents how they were made (fixed seeds).
The data are synthetic (no client data): one latent factor plus noise, rounded and clipped to
the instrument's codes.  Items 2 and 3 of the CORE-10 file are positively worded, i.e. stored
as raw codes that must be reversed (4 - raw) before alpha is computed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def core10() -> pd.DataFrame:
    rng = np.random.default_rng(20261124)
    n = 80
    latent = rng.normal(size=n)
    keyed = np.clip(np.round(1.8 + 0.9 * latent[:, None] + rng.normal(scale=0.9, size=(n, 10))), 0, 4)
    raw = keyed.copy()
    raw[:, [1, 2]] = 4 - keyed[:, [1, 2]]  # items 2 and 3 are reverse-keyed on the form
    df = pd.DataFrame(raw + 0.0, columns=[f"item_{i}" for i in range(1, 11)])  # + 0.0: no -0.0
    df.insert(0, "client_id", [f"r{i:03d}" for i in range(n)])
    df.insert(1, "occasion", "pre")
    # three incomplete intake administrations (left out listwise)
    df.loc[5, "item_4"] = np.nan
    df.loc[17, "item_2"] = np.nan
    df.loc[42, "item_10"] = np.nan
    # later administrations of some clients: must not be used
    post = df.iloc[:10].copy()
    post["occasion"] = "post"
    post[[f"item_{i}" for i in range(1, 11)]] = rng.integers(0, 5, size=(10, 10)).astype(float)
    return pd.concat([df, post], ignore_index=True)


def gad7_small() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 15
    latent = rng.normal(size=n)
    x = np.clip(np.round(1.5 + 0.8 * latent[:, None] + rng.normal(scale=0.8, size=(n, 7))), 0, 3)
    df = pd.DataFrame(x + 0.0, columns=[f"item_{i}" for i in range(1, 8)])
    df.insert(0, "client_id", [f"g{i:02d}" for i in range(n)])
    df.insert(1, "occasion", "pre")
    return df


if __name__ == "__main__":
    core10().to_csv(HERE / "reliability_core10_items.csv", index=False)
    gad7_small().to_csv(HERE / "reliability_gad7_items.csv", index=False)
