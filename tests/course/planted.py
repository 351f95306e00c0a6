"""The generated practice with planted non-responders, shared by the stagnation and
expected-response tests (built once per test session)."""

from __future__ import annotations

import functools
import warnings

import pandas as pd

import effectstudy as es


@functools.cache
def planted_practice() -> tuple[pd.DataFrame, pd.DataFrame]:
    """PSNEUR scores of 4,000 generated episodes (``completed`` = regular end) and the truth."""
    with warnings.catch_warnings():
        # the SCL-90 key is provisional for some subscales (ProvisionalKeyWarning); the
        # total PSNEUR used here does not depend on it
        warnings.simplefilter("ignore")
        sp = es.datasets.generate(n_episodes=4000, seed=11)
        sc = es.score(sp.measurements, instrument="scl90_nl", scales=["PSNEUR"]).scores
    sc = sc[sc["scale"] == "PSNEUR"]
    # the generator can place two interim administrations at one session number; keep the
    # earlier (stagnation refuses two measurements of an episode at the same time)
    sc = sc.sort_values("date").drop_duplicates(["episode_id", "session"])
    end = sp.episodes.set_index("episode_id")["end_reason"].astype(str)
    sc = sc.assign(completed=(end.reindex(sc["episode_id"]).to_numpy() == "regular"))
    return sc[["episode_id", "session", "score", "completed"]], sp.truth


def rates(res, truth) -> dict[str, float]:
    """Share flagged among the evaluable episodes, per planted responder type."""
    p = res.patients.join(truth.set_index("episode_id")["responder_type"])
    ev = p[p["status"] != "not_evaluable"]
    flagged = ev["status"] == "stagnated"
    rt = ev["responder_type"].astype(str)
    bad = rt.isin(["non_responder", "deteriorator"])
    return {
        "sensitivity": float(flagged[bad].mean()),
        "specificity": float(1 - flagged[rt == "responder"].mean()),
        "non_responder": float(flagged[rt == "non_responder"].mean()),
        "deteriorator": float(flagged[rt == "deteriorator"].mean()),
        "responder": float(flagged[rt == "responder"].mean()),
    }
