"""Make ``trajectories_input.csv``: the input of the lme4 reference fit (run from the repo root).

    .venv/bin/python tests/reference/trajectories/make_data.py

Synthetic SCL-90 total scores (PSNEUR) of 240 generated episodes (``es.datasets.generate``,
seed 11): every scored administration (pre, interim, post) with its session number, grouped
by care type x responder type collapsed to three groups, so that the model has two
interaction terms.  Only the *input* is made with effectstudy; the expected values come from
R (``trajectories_lme4.R``).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import effectstudy as es

HERE = Path(__file__).parent


def make():
    sp = es.datasets.generate(n_episodes=240, seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # provisional subscale keys; PSNEUR is not affected
        sc = es.score(sp.measurements, instrument="scl90_nl", scales=["PSNEUR"]).scores
    sc = sc[sc["score"].notna()]
    ep = sp.episodes.set_index("episode_id")
    d = sc[["episode_id", "session", "occasion", "score"]].rename(columns={"episode_id": "id"})
    d["group"] = ep.loc[d["id"], "diagnosis"].map(
        {"depression": "mood", "burnout": "mood", "anxiety": "anxiety", "ptsd": "anxiety",
         "somatic": "other", "personality": "other", "brain_injury": "other"}).to_numpy()
    d = d[["id", "group", "session", "occasion", "score"]].sort_values(["id", "session"])
    return d


if __name__ == "__main__":
    make().to_csv(HERE / "trajectories_input.csv", index=False)
