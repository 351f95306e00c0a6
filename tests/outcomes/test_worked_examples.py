"""Worked examples from the original papers, as reference tests (issue 4).

Sources and what is checked (tolerance 1e-9 relative unless said otherwise):

* **Jacobson & Truax (1991), Table 2**: Dyadic Adjustment Scale (DAS, higher is better) of
  30 couples before and after marital therapy.  The data are the transcription published in
  github.com/AWKruijt/JT-RCI (``data/J&T 1991 table2 DAS data.csv``, commit c84713591cc5),
  copied to ``tests/reference/papers/jt1991_table2_das.csv``.  Functional and dysfunctional
  norms: Spanier (1976), DAS total, married M = 114.8, SD = 17.8; divorced M = 70.7,
  SD = 23.8.  Reliability 0.84 as in the JT-RCI example on these data.  Expected values
  computed independently in base R 4.2.2 by ``tests/reference/papers/jt1991_das.R``
  (output ``jt1991_das_output.csv``, ``jt1991_das_scalars.csv``).  The category counts
  *printed* in the paper could not be checked against the paper's text (not reachable);
  the check is of the paper's data and formulas.
* **Jacobson & Truax (1991), the hypothetical populations of their cut-off figure**
  (dysfunctional M = 40, functional M = 60, both SD = 7.5; higher is better), the
  values the R package clinicalsignificance labels "Example from Jacobson et al. (1991)"
  in ``tests/testthat/test-calc_cutoff.R``: a = 55, b = 45, c = 50, worked out by hand.
* **Bauer, Lambert & Nielsen (2004)** example values for the Hageman & Arrindell (1999)
  true-score cut-offs (OQ-45, lower is better: clinical M = 68.35, SD = 22.33, r = .93;
  functional M = 50, SD = 22, r = .93), as in clinicalsignificance's
  ``test-calc_cutoff.R``; expected numbers worked out by hand below.  Cut-off b is tested
  both ways: the paper's (functional SD) and the package's (clinical SD).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy import kernels

REF = Path(__file__).parents[1] / "reference" / "papers"
RTOL = 1e-9


@pytest.fixture(scope="module")
def das():
    wide = pd.read_csv(REF / "jt1991_table2_das.csv")
    long = wide.melt(id_vars="ppid", value_vars=["pre", "post"], var_name="time", value_name="das")
    out = pd.read_csv(REF / "jt1991_das_output.csv").set_index("ppid")
    scal = pd.read_csv(REF / "jt1991_das_scalars.csv").set_index("name")["value"]
    return long, out, scal


def _cs(long, **kw):
    return es.clinical_significance(long, subject="ppid", time="time", outcome="das", pre="pre",
                                    post="post", reliability=0.84, better_is="higher",
                                    m_functional=114.8, sd_functional=17.8, **kw)


def test_jt1991_table2_rci_and_categories_against_r(das):
    long, out, scal = das
    rc = es.reliable_change(long, subject="ppid", time="time", outcome="das", pre="pre",
                            post="post", reliability=0.84, better_is="higher")
    p = rc.patients.loc[out.index]
    np.testing.assert_allclose(p["rci"], out["rci"], rtol=RTOL)
    assert p["category"].astype(str).tolist() == out["rc_category"].tolist()
    assert rc.meta["n_used"] == 30
    # the raw-score threshold 1.96 * S_diff (here about 13.1 DAS points)
    assert kernels.s_diff(scal["sd_pre"], 0.84) == pytest.approx(scal["s_diff"], rel=RTOL)


def test_jt1991_table2_cutoff_c_from_the_sample_against_r(das):
    long, out, scal = das
    res = _cs(long, cutoff="c")
    assert res.meta["cutoff_value"] == pytest.approx(scal["cutoff_c_sample"], rel=RTOL)
    assert res.patients.loc[out.index, "category"].astype(str).tolist() == out["category_c_sample"].tolist()
    assert res.summary().set_index("category")["n"].to_dict() == {
        "recovered": 13, "improved": 5, "unchanged": 11, "deteriorated": 1, "harmed": 0}


def test_jt1991_table2_cutoffs_with_spanier_norms_against_r(das):
    long, out, scal = das
    res = _cs(long, cutoff="c", m_clinical=70.7, sd_clinical=23.8)
    assert res.meta["cutoff_value"] == pytest.approx(scal["cutoff_c_spanier"], rel=RTOL)
    assert res.patients.loc[out.index, "category"].astype(str).tolist() == out["category_c_spanier"].tolist()
    a = _cs(long, cutoff="a")
    assert a.meta["cutoff_value"] == pytest.approx(scal["cutoff_a_sample"], rel=RTOL)
    b = _cs(long, cutoff="b")  # paper: two functional SDs below the functional mean
    assert b.meta["cutoff_value"] == pytest.approx(scal["cutoff_b_spanier"], rel=RTOL)


def test_jt1991_hypothetical_populations_cutoffs_by_hand():
    # higher is better: a = 40 + 2 x 7.5 = 55; b = 60 - 2 x 7.5 = 45; c = (7.5 x 60 + 7.5 x 40) / 15 = 50
    kw = dict(d=1, m_clinical=40.0, sd_clinical=7.5, m_functional=60.0, sd_functional=7.5)
    assert kernels.cutoff_jt("a", **kw) == 55.0
    assert kernels.cutoff_jt("b", **kw) == 45.0
    assert kernels.cutoff_jt("c", **kw) == 50.0
    # lower is better (mirror image): a = 40 - 15 = 25, b = 60 + 15 = 75, c unchanged
    kw["d"] = -1
    assert (kernels.cutoff_jt("a", **kw), kernels.cutoff_jt("b", **kw), kernels.cutoff_jt("c", **kw)) == (
        25.0, 75.0, 50.0)


def test_bauer2004_ha_true_cutoffs_by_hand():
    kw = dict(d=-1, m_clinical=68.35, sd_clinical=22.33, reliability=0.93, m_functional=50.0,
              sd_functional=22.0, reliability_functional=0.93)
    s = math.sqrt(0.93)  # 0.964365...
    # c_true: the sqrt(r) factors are equal and cancel: (22.33 x 50 + 22 x 68.35) / 44.33
    c_true = (22.33 * 50 + 22 * 68.35) / 44.33  # = 59.10669975...
    assert kernels.cutoff_ha("c", **kw)[0] == pytest.approx(c_true, rel=RTOL)
    assert c_true == pytest.approx(59.1066998, abs=1e-6)
    # a_true = 68.35 - 2 x 22.33 x sqrt(.93) = 25.2815...
    assert kernels.cutoff_ha("a", **kw)[0] == pytest.approx(68.35 - 2 * 22.33 * s, rel=RTOL)
    assert 68.35 - 2 * 22.33 * s == pytest.approx(25.2815, abs=1e-4)
    # b_true, paper: 50 + 2 x 22 x sqrt(.93) = 92.4321; the R package: 50 + 2 x 22.33 x sqrt(.93) = 93.0685
    b = kernels.cutoff_ha("b", **kw)[0]
    assert b == pytest.approx(50 + 2 * 22 * s, rel=RTOL)
    assert b == pytest.approx(92.4321, abs=1e-4)
    assert b != pytest.approx(50 + 2 * 22.33 * s, abs=0.5)
