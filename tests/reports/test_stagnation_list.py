"""effectstudy stagnation-list: open episodes only, the triggering measurement, no client or episode ids
(episode keys instead; the ids only with --show-identifiers)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.cli import main
from effectstudy.core.errors import ArgumentError, ArgumentTypeError
from effectstudy.core.rowkey import load_row_key
from effectstudy.reports.stagnation_list import stagnation_list, write_stagnation_list

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "params" / "demo.yaml"
EX = ROOT / "data" / "example"


@pytest.fixture(scope="module")
def listed(shared_study):
    """The list with the episode ids (the data manager's view), to check it against the export."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", es.DataQualityWarning)
        return shared_study(DEMO).stagnation_list(show_identifiers=True)


def raw(name: str) -> pd.DataFrame:
    return pd.read_csv(EX / name, sep=";", dtype=str, keep_default_na=False)


def test_only_open_consenting_episodes(listed):
    eps = raw("episodes.csv").set_index("episode_id")
    assert len(listed) > 0
    assert (eps.loc[listed["episode_id"], "end_date"] == "").all()
    assert (eps.loc[listed["episode_id"], "consent_study"] == "1").all()
    assert set(listed["rule"]) <= {"early_no_progress", "deterioration"}


def test_triggering_measurement_is_the_exported_one(listed):
    ms = raw("measurements.csv")
    for r in listed.itertuples():
        row = ms[(ms["episode_id"] == r.episode_id) & (ms["session"] == str(int(r.session)))]
        assert len(row) == 1
        assert pd.Timestamp(r.date) == pd.to_datetime(row["date"].iloc[0], format="%d-%m-%Y")
        items = row.filter(like="item_").iloc[0]
        if (items != "").all():  # a complete administration: the score is its item sum (PSNEUR)
            assert r.score == items.astype(int).sum()
        assert r.change == pytest.approx(r.score - r.baseline_score)


def test_rules_agree_with_the_verb(listed, shared_study):
    st = shared_study(DEMO)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", es.DataQualityWarning)
        res = st.stagnation()
    status = res.patients["status"].astype(str)
    mine = listed[listed["rule"] == "early_no_progress"]["episode_id"]
    assert (status.loc[mine] == "stagnated").all()
    open_ids = st.episodes.loc[st.episodes["end_date"].isna(), "episode_id"]
    flagged_open = status[status.index.isin(open_ids) & (status == "stagnated")].index
    assert set(flagged_open) == set(mine)


def test_not_on_track_rule_lists_the_expected_response_signal():
    st = es.Study.from_params(DEMO, {"stagnation_list.rules": ["not_on_track"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", es.DataQualityWarning)
        listed = st.stagnation_list(show_identifiers=True)
        res = st.not_on_track()
    assert len(listed) > 0 and set(listed["rule"]) == {"not_on_track"}
    open_ids = st.episodes.loc[st.episodes["end_date"].isna(), "episode_id"]
    status = res.patients["status"].astype(str)
    assert set(listed["episode_id"]) == set(status[status.index.isin(open_ids) & (status == "stagnated")].index)
    p = res.patients.loc[listed["episode_id"]]
    np.testing.assert_array_equal(listed["session"], p["eval_time"])
    assert listed["rci"].isna().all()  # the signal has no reliable change index


def test_no_ids_or_dates_by_default_and_therapist_only_when_allowed(listed, shared_study, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", es.DataQualityWarning)
        default = shared_study(DEMO).stagnation_list()
    assert list(default.columns) == ["episode_key", "rule", "baseline_session", "baseline_score", "session",
                                     "score", "change", "rci"]
    # the same episodes and rows, named by their episode key: the project's row key of the episode id
    assert default["episode_key"].str.fullmatch(r"r-[0-9a-f]{12}").all()
    assert listed["episode_key"].tolist() == load_row_key().keys(listed["episode_id"], domain="episode").tolist()
    pd.testing.assert_frame_equal(default, listed.drop(columns=["episode_id", "date"]))
    csv, page = write_stagnation_list(default, tmp_path)
    text = csv.read_text() + page.read_text()
    eps_raw = raw("episodes.csv")
    ms = raw("measurements.csv")
    assert not any(c in text for c in set(eps_raw["client_id"]))
    assert not any(e in text for e in set(eps_raw["episode_id"]))
    dates = set(ms["date"]) | {pd.Timestamp(d).strftime("%Y-%m-%d") for d in listed["date"]}
    assert not any(d in text for d in dates)
    assert "therapist" not in default.columns and "<script" not in page.read_text()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", es.DataQualityWarning)
        with_t = es.Study.from_params(DEMO, {"stagnation_list.show_therapist": True}).stagnation_list(
            show_identifiers=True)
    eps = eps_raw.set_index("episode_id")
    assert (with_t["therapist"] == eps.loc[with_t["episode_id"], "therapist"].to_numpy()).all()


def test_cli(tmp_path, capsys, listed):
    assert main(["stagnation-list", "-f", str(DEMO), "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "open episodes flagged" in out and str(tmp_path / "stagnation_list.html") in out
    written = pd.read_csv(tmp_path / "stagnation_list.csv", dtype=str)
    assert "episode_id" not in written and set(written["episode_key"]) == set(listed["episode_key"])
    assert not any(e in (tmp_path / "stagnation_list.html").read_text() for e in listed["episode_id"])
    assert main(["stagnation-list", "-f", str(DEMO), "--output", str(tmp_path / "dm"), "--show-identifiers"]) == 0
    assert "IDENTIFIERS SHOWN" in capsys.readouterr().out
    shown = pd.read_csv(tmp_path / "dm" / "stagnation_list.csv", dtype=str)
    assert set(shown["episode_id"]) == set(listed["episode_id"]) and "date" in shown
    with pytest.raises(SystemExit):
        main(["stagnation-list", "--help"])
    helptext = " ".join(capsys.readouterr().out.split())
    assert "still open on the export date" in helptext and "LOCAL USE ONLY" in helptext


def test_unknown_rule_is_a_params_error(tmp_path):
    with pytest.raises(es.ParamsError, match="stagnation_list.rules.0"):
        es.Study.from_params(DEMO, {"stagnation_list.rules": ["whatever"]})


def test_plain_inputs_give_the_studys_list(listed):
    """stagnation_list takes DataFrames, the rules' results and the params section; no Study."""
    st = es.Study.from_params(DEMO)
    spec = st.params.stagnation_list
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", es.DataQualityWarning)
        results = {rule: es.stagnation(st.stagnation_data(), subject="episode_id", time="time", outcome="score",
                                       reliability=st.criteria.value("reliability"), rule=rule, window=(3, 5),
                                       sd_reference=st.criteria.value("sd_reference"), criterion="rci",
                                       instrument="scl90_nl", scale="PSNEUR")
                   for rule in spec.rules}
    direct = stagnation_list(st.episodes, st.stagnation_data(), results, spec, show_identifiers=True)
    pd.testing.assert_frame_equal(direct, listed)
    with pytest.raises(ArgumentError, match="results: got \\['early_no_progress'\\]"):
        stagnation_list(st.episodes, st.stagnation_data(), {"early_no_progress": results["early_no_progress"]}, spec)
    with pytest.raises(ArgumentTypeError, match="spec"):
        stagnation_list(st.episodes, st.stagnation_data(), results, {"rules": spec.rules})
