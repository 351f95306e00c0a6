"""Make the synthetic long pre/post data used as input for the R reference fits (models.R).

Run from the repository root: ``.venv/bin/python tests/reference/models/make_data.py``.
The CSV is committed; this script documents how it was made (fixed seed, NumPy PCG64).
The data are synthetic (no client data): 210 episodes in three unbalanced diagnosis
groups (depression 95, anxiety 70, ptsd 45), a numeric covariate ``age`` and a
two-level covariate ``care_type``; SCL-90-like total scores.

Missing data on purpose:

* 14 episodes without a post row (row absent) and 5 with a post row whose score is empty;
* 3 episodes without a pre row (only a post measurement: used by the mixed model only);
* 2 episodes with an empty ``age`` (dropped by the ANCOVA with covariates).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def make() -> pd.DataFrame:
    rng = np.random.default_rng(20261201)
    sizes = {"depression": 95, "anxiety": 70, "ptsd": 45}
    group = np.repeat(list(sizes), list(sizes.values()))
    n = group.size
    rng.shuffle(group)
    age = np.round(rng.normal(38, 11, size=n).clip(18, 75))
    care = rng.choice(["gb", "s"], size=n, p=[0.6, 0.4])
    subj = rng.normal(0, 22, size=n)
    pre = np.round(185 + subj + 12 * (care == "s") + rng.normal(0, 14, size=n))
    effect = {"depression": -38.0, "anxiety": -30.0, "ptsd": -22.0}
    post = np.round(pre + np.array([effect[g] for g in group]) + 0.25 * (age - 38)
                    - 0.3 * (pre - 185) + rng.normal(0, 20, size=n))
    ids = np.array([f"e{i:03d}" for i in range(n)])
    long = pd.DataFrame({
        "id": np.concatenate([ids, ids]),
        "time": ["pre"] * n + ["post"] * n,
        "score": np.concatenate([pre, post]),
        "group": np.concatenate([group, group]),
        "age": np.concatenate([age, age]),
        "care_type": np.concatenate([care, care]),
    })
    k = rng.permutation(n)
    no_post_row, empty_post, no_pre_row, no_age = k[:14], k[14:19], k[19:22], k[22:24]
    long.loc[(long["time"] == "post") & long["id"].isin(ids[empty_post]), "score"] = np.nan
    long.loc[long["id"].isin(ids[no_age]), "age"] = np.nan
    drop = ((long["time"] == "post") & long["id"].isin(ids[no_post_row])) | (
        (long["time"] == "pre") & long["id"].isin(ids[no_pre_row]))
    long = long[~drop]
    # a shuffled row order, as an export would give
    return long.iloc[rng.permutation(len(long))].reset_index(drop=True)


if __name__ == "__main__":
    make().to_csv(HERE / "models_input.csv", index=False, na_rep="NA")
