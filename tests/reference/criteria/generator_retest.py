"""Test-retest reliability of PSNEUR that the synthetic practice's generator implies.

Provenance of the fixed reliability in the shipped demo params (``params/demo*.yaml``); not a
reference value for a package computation.  The generator (``effectstudy.datasets``,
``PracticeParameters`` defaults) draws an intake severity per episode,
``theta = severity_g + specialised_shift * [specialised] + sd_between * z``, and per
administration ``theta + sd_occasion * e`` with item codes from the graded response model
(``effectstudy.datasets.responses.sample_items``).  Two administrations of the same client
at the same point of the trajectory (a flat stretch: a planted non-responder) differ by the
occasion fluctuation and the item draws only, so their correlation over the intake population
is the test-retest reliability a change criterion needs (Jacobson & Truax 1991 leave the
choice of r_xx open; alpha counts the item draws only, not the occasion fluctuation).

Run: ``.venv/bin/python tests/reference/criteria/generator_retest.py`` (writes
``generator_retest_output.txt`` beside it; seed fixed, 200,000 simulated clients).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from effectstudy.datasets.parameters import PracticeParameters
from effectstudy.datasets.responses import sample_items

N = 200_000
SEED = 17


def simulate(n: int = N, seed: int = SEED) -> dict[str, float]:
    p = PracticeParameters()
    rng = np.random.default_rng(seed)
    groups = p.diagnoses
    g = rng.choice(len(groups), size=n, p=[d.share for d in groups])
    sev = np.array([d.severity for d in groups])[g]
    spec = rng.random(n) < np.array([d.specialised_share for d in groups])[g]
    theta = sev + p.specialised_shift * spec + p.sd_between * rng.standard_normal(n)
    sums = []
    for _ in range(2):
        obs = theta + p.sd_occasion * rng.standard_normal(n)
        s = np.empty(n)
        for i in range(0, n, 10_000):
            s[i:i + 10_000] = sample_items(obs[i:i + 10_000], rng.random((min(10_000, n - i), 90))).sum(axis=1)
        sums.append(s)
    r = float(np.corrcoef(sums[0], sums[1])[0, 1])
    return {"n": n, "seed": seed, "retest_r": r, "mean_intake": float(sums[0].mean()),
            "sd_intake": float(sums[0].std(ddof=1))}


if __name__ == "__main__":
    out = simulate()
    lines = [f"{k}\t{v}" for k, v in out.items()]
    Path(__file__).with_name("generator_retest_output.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
