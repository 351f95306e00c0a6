"""Score-only measurement files (``values: scores``): precomputed scale scores validated against the
instrument registry, taken as they are by ``es.score``, and no Cronbach's alpha without items."""

from __future__ import annotations

import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import DataError, ValidationError
from effectstudy.core.params import FileSpec

TODAY = "2030-01-01"
HEAD = "client_id;episode_id;instrument;date;session;occasion;score_PSNEUR;score_DEP\n"


def _read(path, **kw):
    return es.read_table(FileSpec(path=path, values="scores", **kw), "measurements", today=TODAY)


def test_scores_are_read_and_their_ranges_checked_with_file_line_and_column(tmp_path):
    f = tmp_path / "scores.csv"
    f.write_text(HEAD
                 + "C1;E1;scl90_nl;01-02-2024;1;pre;212,5;35\n"
                 + "C1;E1;scl90_nl;01-06-2024;9;post;89;35\n"      # PSNEUR below its minimum 90
                 + "C2;E2;scl90_nl;03-02-2024;1;pre;;81\n"        # DEP above 80
                 + "C3;E3;scl90_nl;04-02-2024;1;pre;;\n", encoding="utf-8")
    t = _read(f)
    p = t.report.problems
    bad = p[p["rule"] == "out_of_range"][["row", "column", "value", "expected"]].to_dict("records")
    assert bad == [
        {"row": 3, "column": "score_PSNEUR", "value": "89", "expected": "a score from 90 to 450 (scl90_nl PSNEUR)"},
        {"row": 4, "column": "score_DEP", "value": "81", "expected": "a score from 16 to 80 (scl90_nl DEP)"},
    ]
    assert t.data.index.tolist() == [2, 5]
    assert t.data.loc[2, "score_PSNEUR"] == 212.5
    assert int(t.report.flow()["n"].sum()) == 4


def test_export_names_are_mapped_and_an_unknown_scale_is_fatal(tmp_path):
    f = tmp_path / "rom.csv"
    f.write_text("client_id;instrument;date;TOT;DEPR;FOO\nC1;scl90_nl;01-02-2024;150;30;1\n", encoding="utf-8")
    t = _read(f, columns={"TOT": "score_PSNEUR", "DEPR": "score_DEP"})
    assert t.data[["score_PSNEUR", "score_DEP"]].iloc[0].tolist() == [150.0, 30.0]
    assert t.meta["unknown_columns"] == ["FOO"]  # not read, and said so (unknown_column warning)
    with pytest.raises(ValidationError) as exc:
        _read(f, columns={"TOT": "score_TOTAL", "DEPR": "score_DEP"})
    assert ("rom.csv:1 score_TOTAL: unknown_scale: found 'TOTAL', expected score_<SCALE> with a scale of "
            "scl90_nl (AGO, ANG, DEP,") in str(exc.value)


def test_item_columns_in_a_score_only_file_are_not_read(tmp_path):
    f = tmp_path / "mixed.csv"
    f.write_text("client_id;instrument;date;score_DEP;item_1\nC1;scl90_nl;01-02-2024;30;2\n", encoding="utf-8")
    t = _read(f)
    assert "item_1" not in t.data.columns
    w = t.report.problems
    assert w.loc[w["rule"] == "unknown_column", "column"].tolist() == ["item_1"]


def test_reliability_of_score_only_data_says_alpha_needs_items():
    only = pd.DataFrame({"client_id": ["a", "b", "c"], "instrument": "scl90_nl",
                         "score_DEP": [30.0, 40.0, 50.0], "occasion": "pre"})
    with pytest.raises(DataError) as exc:
        es.reliability(only, instrument="scl90_nl", scale="DEP")
    msg = str(exc.value)
    assert "Cronbach's alpha of scl90_nl DEP needs the item answers" in msg
    assert "score-only export" in msg and "reliability: registry" in msg
