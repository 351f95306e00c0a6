"""Write the data for the lme4 reference fit (numpy only; no effectstudy code).

Run from the repository root: .venv/bin/python tests/reference/stagnation/make_data.py
"""

from pathlib import Path

import numpy as np

HERE = Path(__file__).parent


def main() -> None:
    rng = np.random.default_rng(5)
    m = 150
    w = rng.normal(0, 1, m)
    lines = ["id,z,w,y"]
    for i in range(m):
        k = rng.integers(1, 5)
        ts = np.sort(rng.choice(np.arange(2, 15), k, replace=False))
        b0 = rng.normal(0, 3)
        b1 = rng.normal(0, 1.5)
        for t in ts:
            z = np.log(t)
            y = 50 + 4 * w[i] - 3 * z - 1.0 * w[i] * z + b0 + b1 * z + rng.normal(0, 2)
            lines.append(f"{i},{float(z)!r},{float(w[i])!r},{float(y)!r}")
    (HERE / "mixed_data.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
