"""Research export: no free text in the allow-list, only coded values, k-anonymity over every non-outcome column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from effectstudy.cli import main
from effectstudy.core.codes import effective_codes
from effectstudy.core.errors import ArgumentError
from effectstudy.privacy.export import (
    ROLES,
    VARIABLES,
    KAnonymityError,
    build_research_dataset,
    codebook,
    quasi_identifiers_of,
)
from effectstudy.privacy.pseudonyms import PseudonymKey

KEY = PseudonymKey(bytes(range(32)))
ROOT = Path(__file__).resolve().parents[2]
PHONE = "bel 06-12345678"


def practice(n: int = 40) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every non-outcome combination is shared by 20 clients: two classes (by i % 2)."""
    i = np.arange(n)
    start = pd.Timestamp("2023-03-01") + pd.to_timedelta(i % 7, unit="D")
    eps = pd.DataFrame({
        "episode_id": [f"E{k:04d}" for k in i], "client_id": [f"C{k:04d}" for k in i], "start_date": start,
        "end_date": start + pd.Timedelta(days=90), "sessions": pd.array(5 + i, dtype="Int64"),
        "diagnosis": np.where(i % 2 == 0, "anxiety", "depression"), "care_type": "basic", "treatment": "cbt",
        "end_reason": "regular", "therapist": "T01", "birth_year": 1990,
        "sex": np.where(i % 2 == 0, "female", "male"), "consent_research": True,
    })
    m = pd.DataFrame({
        "client_id": np.repeat(eps["client_id"], 2).to_numpy(), "episode_id": np.repeat(eps["episode_id"], 2).to_numpy(),
        "instrument": "scl90_nl",
        "date": np.ravel(np.column_stack([start - pd.Timedelta(days=2), start + pd.Timedelta(days=80)])),
        "session": np.tile([1, 10], n), "occasion": np.tile(["pre", "post"], n), "item_1": 2.0,
    })
    return eps, m


def test_every_variable_has_a_role_with_a_reason():
    for v in VARIABLES.values():
        assert v.role in ROLES and v.role_reason, v
    roles = {v.name: v.role for v in VARIABLES.values()}
    assert roles["client_pseudonym"] == "pseudonym"
    assert {roles[n] for n in ("start_year", "care_type", "end_reason", "diagnosis", "treatment", "age_band",
                               "sex", "occasion")} == {"quasi_identifier"}
    assert {roles[n] for n in ("score", "sessions", "day")} == {"outcome"}


def test_free_text_and_ids_in_the_allow_list_are_clear_errors():
    eps, m = practice()
    for col in ("therapist", "client_id", "episodes.therapist"):
        with pytest.raises(ArgumentError, match=r"no free text or identifier: '(therapist|client_id)' is free text"):
            build_research_dataset(eps, m, key=KEY, columns=["client_pseudonym", col])
    codes = effective_codes({"diagnosis": "free_text"})
    with pytest.raises(ArgumentError) as e:
        build_research_dataset(eps, m, key=KEY, columns=["client_pseudonym", "diagnosis"], codes=codes)
    assert "'diagnosis' is declared free text (data.codes.diagnosis: free_text)" in str(e.value)
    # without an allow-list a free-text column is simply not exported
    ds = build_research_dataset(eps, m, key=KEY, codes=codes)
    assert "diagnosis" not in ds.tables["episodes"].columns
    assert ds.meta["free_text_not_exported"] == ["diagnosis"]


def test_export_carries_only_coded_values_and_counts_the_rest():
    eps, m = practice()
    eps.loc[3, "treatment"] = "CBT"  # a case variant: the code
    eps.loc[4, "treatment"] = "cbt door mw. Jansen"
    m.loc[5, "occasion"] = PHONE
    ds = build_research_dataset(eps, m, key=KEY, quasi_identifiers=[], enforce_k=False)
    e, ms = ds.tables["episodes"], ds.tables["measurements"]
    assert set(e["treatment"].dropna()) == {"cbt"} and e["treatment"].isna().sum() == 1
    assert set(ms["occasion"].dropna()) == {"pre", "post"} and ms["occasion"].isna().sum() == 1
    flow = ds.flow.set_index(["table", "reason"])
    assert flow.loc[("episodes", "uncoded_value:treatment"), "rows"] == 1
    assert flow.loc[("measurements", "uncoded_value:occasion"), ["rows", "clients"]].tolist() == [1, 1]
    for t in ds.tables.values():
        assert not t.astype("string").apply(lambda s: s.str.contains("12345678|Jansen", na=False)).any().any()


def test_k_anonymity_covers_every_exported_non_outcome_column():
    eps, m = practice()
    eps.loc[0, "treatment"] = "emdr"  # one client with a rare but coded treatment
    with pytest.raises(KAnonymityError) as e:
        build_research_dataset(eps, m, key=KEY, quasi_identifiers=["sex"])
    assert "treatment=emdr" in str(e.value) and "1 client(s)" in str(e.value)
    # the params cannot remove it ...
    with pytest.raises(KAnonymityError):
        build_research_dataset(eps, m, key=KEY, quasi_identifiers=[])
    # ... leaving the column out of the export can
    cols = ["client_pseudonym", "start_year", "sex", "diagnosis", "day", "item_*"]
    ds = build_research_dataset(eps, m, key=KEY, columns=cols, quasi_identifiers=[])
    assert ds.k_report.ok and list(ds.k_report.quasi_identifiers) == ["start_year", "diagnosis", "sex"]


def test_outcomes_are_not_checked_unless_the_params_add_them():
    eps, m = practice()  # sessions: 40 different values
    ds = build_research_dataset(eps, m, key=KEY, quasi_identifiers=["sex"])
    assert "sessions" not in ds.k_report.quasi_identifiers and ds.k_report.ok
    with pytest.raises(KAnonymityError, match="sessions=5"):
        build_research_dataset(eps, m, key=KEY, quasi_identifiers=["sessions"])
    cb = codebook(ds).set_index(["table", "variable"])
    assert cb.loc[("episodes", "sessions"), "role"] == "outcome"
    assert "treatment length" in cb.loc[("episodes", "sessions"), "role_reason"]
    assert cb.loc[("episodes", "sex"), "role"] == "quasi_identifier"


def test_a_rare_measurement_code_is_refused():
    eps, m = practice()
    m.loc[1, "occasion"] = "follow_up"  # a declared code, held by one client only
    with pytest.raises(KAnonymityError, match=r"measurements\.occasion=follow_up: 1 client\(s\)") as e:
        build_research_dataset(eps, m, key=KEY, quasi_identifiers=["sex"])
    assert e.value.report.rare.empty and len(e.value.report.rare_values) == 1


def test_quasi_identifiers_of_adds_requested_first_and_never_removes():
    vs = [VARIABLES[("episodes", n)] for n in ("client_pseudonym", "start_year", "sessions", "sex")]
    assert quasi_identifiers_of(vs, ["sex", "postcode", "client_pseudonym"]) == ["sex", "start_year"]
    assert quasi_identifiers_of(vs, ["sessions"]) == ["sessions", "start_year", "sex"]


def test_shipped_export_example_passes_the_check(monkeypatch, capsys):
    monkeypatch.setenv("EFFECTSTUDY_RELEASE_KEY", "ab" * 32)
    assert main(["export", "-f", str(ROOT / "params" / "export-example.yaml"), "--check"]) == 0
    out = capsys.readouterr().out
    assert "k-anonymity OK: every combination of start_year, care_type occurs for at least 5 clients" in out
