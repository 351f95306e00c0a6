"""The shipped wide SPSS file and score-only CSV run the effect study end to end with the same
results as the equivalent long item-level data of ``data/example`` (to 1e-12)."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

import effectstudy as es
from effectstudy.core.files import sha256_file
from effectstudy.datasets.shapes import wide_frame, write_shapes

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params"
#: the shaped demos name the same fixed criteria as params/demo.yaml: nothing to override
RELIABILITY: dict = {}


def _study(path, overrides=None):
    return es.Study.from_params(path, overrides)


@pytest.fixture(scope="module")
def long_items_of_wide(tmp_path_factory):
    """The example's long item-level rows that the wide file holds (pre, first interim, post)."""
    _, lines = wide_frame()
    text = (ROOT / "data" / "example" / "measurements.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    out = tmp_path_factory.mktemp("long") / "measurements.csv"
    out.write_text(text[0] + "".join(text[i - 1] for i in lines), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def pairs(long_items_of_wide):
    """(shape, long) Study pairs: the wide file vs its long items; the score-only file vs the example."""
    wide = _study(PARAMS / "demo-wide.yaml")
    long_w = _study(PARAMS / "demo.yaml", {**RELIABILITY, "data.measurements.path": str(long_items_of_wide)})
    scores = _study(PARAMS / "demo-scores.yaml")
    long_s = _study(PARAMS / "demo.yaml", RELIABILITY)
    return {"wide": (wide, long_w), "scores": (scores, long_s)}


def _same_table(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b) > 0
    for c in a.columns:
        if pd.api.types.is_float_dtype(a[c]) or pd.api.types.is_float_dtype(b[c]):
            np.testing.assert_allclose(a[c].to_numpy(dtype=float), b[c].to_numpy(dtype=float),
                                       rtol=0, atol=1e-12, err_msg=c)
        else:
            assert a[c].astype(str).tolist() == b[c].astype(str).tolist(), c


@pytest.mark.parametrize("shape", ["wide", "scores"])
def test_effect_sizes_reliable_change_and_flow_equal_the_long_item_data(pairs, shape):
    shaped, long = pairs[shape]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", es.ProvisionalKeyWarning)
        _same_table(shaped.effect_sizes().table, long.effect_sizes().table)
        a, b = shaped.clinical_significance(), long.clinical_significance()
        cols = ["episode_id", "pre", "post", "category", "rci"]
        pa_, pb = (x.patients[[c for c in cols if c in x.patients]] for x in (a, b))
        _same_table(pa_.sort_values("episode_id").reset_index(drop=True),
                    pb.sort_values("episode_id").reset_index(drop=True))
        _same_table(a.summary(), b.summary())
        assert a.meta["reliability"] == b.meta["reliability"] == 0.87
        _same_table(shaped.flow().table, long.flow().table)
        _same_table(shaped.stagnation().summary(), long.stagnation().summary())


def test_the_flow_shows_which_rows_came_scored(pairs):
    scores, long = pairs["scores"]
    f = scores.flow()
    assert f.meta["measurements_scored_by"] == "export" and long.flow().meta["measurements_scored_by"] == "package"
    rows = f.rows().set_index("table")
    assert rows.loc["measurements", "scored_by"] == "export" and rows.loc["episodes", "scored_by"] == ""
    # the report's validation table says which rows came scored (only for a score-only export)
    v = scores.validation().set_index("table")
    assert v.loc["measurements", "scored_by"] == "scored_in_export" and v.loc["episodes", "scored_by"] == ""
    assert "scored_by" not in long.validation().columns
    assert pairs["wide"][0].flow().meta["measurements_shape"] == "wide"


def test_score_only_report_states_that_alpha_and_prorating_are_unavailable(pairs):
    scores, long = pairs["scores"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", es.ProvisionalKeyWarning)
        text = scores.key_status()
        assert long.key_status().count("naar rato") == 0
    assert "Ontbrekende items naar rato aanvullen (prorating) en Cronbachs alfa zijn daarom niet beschikbaar" in text
    assert "De betrouwbaarheid is de waarde uit de parameters (0,870)" in text
    en = scores.with_overrides({"language": "en"})
    assert "Prorating missing items and Cronbach's alpha are therefore unavailable" in en.key_status()


def test_sample_alpha_on_score_only_data_without_a_registry_value_is_a_clear_params_error(pairs):
    scores, _ = pairs["scores"]
    asked = scores.with_overrides({"analysis.reliable_change.reliability": "sample"})
    assert "Alfa van de steekproef kon niet worden berekend" in asked.key_status()
    with pytest.raises(es.ParamsError) as exc:
        asked.clinical_significance()
    msg = str(exc.value)
    assert "analysis.reliable_change.reliability: 'sample' (Cronbach's alpha of the intake) needs the item" in msg
    assert "the instrument registry has no reliability for scl90_nl PSNEUR either: give a published value" in msg


def test_wide_validation_counts_wide_rows(pairs):
    wide, _ = pairs["wide"]
    flow = wide.validation()
    m = flow[flow["table"] == "measurements"].set_index("reason")["n"]
    assert int(m.sum()) == 400  # one wide row per episode: used + excluded
    assert m.get("no_measurement", 0) == 400 - int(m[""])


def test_shipped_shapes_regenerate_byte_for_byte(tmp_path):
    """The shipped files are what the generator writes: byte for byte at the locked versions; at
    the lowest allowed versions (make test-lowest) an older ReadStat lays the .sav out otherwise,
    so there the data, value labels and column labels read back must be identical instead."""
    written = write_shapes(tmp_path)
    lowest = os.environ.get("EFFECTSTUDY_LOWEST_VERSIONS") == "1"
    for folder, path in (("example_wide", written["wide"]), ("example_scores", written["scores"])):
        shipped_file = ROOT / "data" / folder / path.name
        shipped = json.loads((ROOT / "data" / folder / "manifest.json").read_text(encoding="utf-8"))
        assert shipped["files"][path.name]["sha256"] == sha256_file(shipped_file)
        if lowest and path.suffix == ".sav":
            (new, new_meta), (old, old_meta) = pyreadstat.read_sav(str(path)), pyreadstat.read_sav(str(shipped_file))
            pd.testing.assert_frame_equal(new, old)
            assert new_meta.variable_value_labels == old_meta.variable_value_labels
            assert new_meta.column_labels == old_meta.column_labels
        else:
            assert sha256_file(path) == sha256_file(shipped_file)
