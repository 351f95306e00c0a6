"""Write the data for the signal-accuracy references (numpy only; no effectstudy code).

Run from the repository root: .venv/bin/python tests/reference/signal/make_data.py

``looks.csv``: the looks of a not-on-track signal, one row per judged measurement (``id``,
session ``t``, standardised deviation from the expected curve ``z``, rounded to 1 decimal
so that ties occur, ``fold``).  ``outcome.csv``: per episode ``poor`` (1 = poor final
outcome, 0 = not, empty = unknown) and ``until`` (session of the outcome measurement: only
looks before it count).  Episode 0 has no look before its outcome measurement; episode 1
has no known outcome; episodes 300-309 have looks but no outcome row.
"""

from pathlib import Path

import numpy as np

HERE = Path(__file__).parent


def main() -> None:
    rng = np.random.default_rng(17)
    m = 300
    poor = rng.random(m) < 0.3
    looks = ["id,t,z,fold"]
    outcome = ["id,poor,until"]
    for i in range(m + 10):
        k = int(rng.integers(1, 6))
        ts = np.sort(rng.choice(np.arange(2, 25), k, replace=False))
        shift = 0.9 if i < m and poor[i] else 0.0
        for t in ts:
            z = round(float(rng.normal(shift - 0.3, 1.0)), 1)
            looks.append(f"{i},{t},{z!r},{i % 5}")
        if i >= m:
            continue
        until = int(ts[0]) if i == 0 else int(ts[-1]) + int(rng.integers(0, 2))
        p = "" if i == 1 else str(int(poor[i]))
        outcome.append(f"{i},{p},{until}")
    (HERE / "looks.csv").write_text("\n".join(looks) + "\n", encoding="utf-8")
    (HERE / "outcome.csv").write_text("\n".join(outcome) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
