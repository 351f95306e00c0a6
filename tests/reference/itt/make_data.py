"""Write the synthetic input of the ITT references (run from the repository root).

``itt_input.csv``: one row per ended episode with a pre score of PSNEUR in
``es.datasets.generate(900, seed=17)`` (``itt_frame``; open episodes left out):
``pre, post`` (NA where missing), ``last, has_interim, diagnosis, care_type, sessions``.
``pool_cases.csv``: m estimates and variances per pooling case (random, seeded), pooled by
``mice::pool.scalar`` in ``itt_mice.R``.  Nothing here computes an expected value.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import effectstudy as es
from effectstudy.outcomes.missing_data import itt_frame

HERE = Path(__file__).parent


def main() -> None:
    sp = es.datasets.generate(900, seed=17)
    scores = es.score(sp.measurements, instrument="scl90_nl")
    pairs = es.pair_prepost(scores, sp.episodes, scale="PSNEUR", instrument="scl90_nl")
    f = itt_frame(pairs, scores, sp.episodes, scale="PSNEUR", instrument="scl90_nl")
    f = f[f["status"] != "episode_open"]
    cols = ["pre", "post", "last", "has_interim", "diagnosis", "care_type", "sessions"]
    out = f[cols].assign(has_interim=f["has_interim"].astype(int))
    out.to_csv(HERE / "itt_input.csv", index=False, na_rep="NA", float_format="%.17g")
    rng = np.random.default_rng(2026)
    rows = []
    for case, (m, dfcom, spread) in enumerate([(2, 10, 0.1), (5, 30, 0.05), (20, 100, 0.02),
                                                (20, np.inf, 0.2), (50, 283, 0.01), (3, 4, 0.5),
                                                (10, 50, 0.0)]):
        q = 0.7 + spread * rng.standard_normal(m)
        u = 0.003 * (1 + 0.2 * rng.uniform(size=m))
        for j in range(m):
            rows.append({"case": case, "m": m, "dfcom": dfcom, "q": q[j], "u": u[j]})
    pd.DataFrame(rows).to_csv(HERE / "pool_cases.csv", index=False, float_format="%.17g")


if __name__ == "__main__":
    main()
