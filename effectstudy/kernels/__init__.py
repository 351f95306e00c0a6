r"""Array kernels shared by the analyses: pure NumPy, vectorised, no DataFrames.

Everything here takes and returns plain arrays or floats.  The DataFrame verbs
(:func:`effectstudy.outcomes.reliable_change.reliable_change`,
:func:`effectstudy.outcomes.clinical_significance.clinical_significance`,
:func:`effectstudy.outcomes.effect_size.prepost_effect`, the course analyses and the
student models) handle missing data, grouping and metadata and call these kernels
underneath.  One module per concern:

* :mod:`~effectstudy.kernels.change`: SEM, :math:`S_{diff}`, the RCI variants, cut-offs,
  classification, Hageman-Arrindell group level, the reliable-change band;
* :mod:`~effectstudy.kernels.effect_sizes`: pair statistics, Hedges' J, paired d,
  noncentral-t limits, the paired bootstrap;
* :mod:`~effectstudy.kernels.reml`: every mixed-model solver (random slope, HLM,
  random intercept);
* :mod:`~effectstudy.kernels.proportions`: shares and their Wilson score intervals.
* :mod:`~effectstudy.kernels.roc`: the Mann-Whitney AUC with DeLong's covariance, the
  Youden threshold, a penalised logistic fit (the accuracy of a signal).

The public kernels of the first three are re-exported here, so ``from effectstudy import
kernels; kernels.rci_jt(...)`` works as well as ``from effectstudy.kernels.change import
rci_jt``.

>>> round(float(s_diff(10.0, 0.84)), 6)
5.656854
"""

from __future__ import annotations

from effectstudy.kernels.change import (
    RCI_METHODS,
    classify_rci,
    cs_indiv,
    cutoff_ha,
    cutoff_jt,
    direction,
    ha_group_level,
    r_dd,
    rc_band,
    rci,
    rci_jt,
    s_diff,
    se_prediction,
    sem,
)
from effectstudy.kernels.effect_sizes import (
    BOOTSTRAP_METHODS,
    bca_limits,
    bootstrap_d_ci,
    describe_pairs,
    hedges_j,
    jackknife_d_values,
    nct_ci,
    paired_d,
    paired_d_values,
)
from effectstudy.kernels.reml import (
    HLMFit,
    REMLFit,
    hlm_fit,
    reml_intercept_cov_beta,
    reml_intercept_criterion,
    reml_intercept_theta,
    reml_random_slope,
)

__all__ = [
    "sem",
    "s_diff",
    "se_prediction",
    "direction",
    "describe_pairs",
    "rci",
    "rci_jt",
    "r_dd",
    "classify_rci",
    "cutoff_jt",
    "cutoff_ha",
    "cs_indiv",
    "ha_group_level",
    "rc_band",
    "hedges_j",
    "paired_d",
    "nct_ci",
    "paired_d_values",
    "bootstrap_d_ci",
    "BOOTSTRAP_METHODS",
    "jackknife_d_values",
    "bca_limits",
    "REMLFit",
    "reml_random_slope",
    "HLMFit",
    "hlm_fit",
    "reml_intercept_criterion",
    "reml_intercept_theta",
    "reml_intercept_cov_beta",
    "RCI_METHODS",
]
