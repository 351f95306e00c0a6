r"""Models for the student analyses: ANCOVA of post on pre and group, and a mixed model.

Two verbs on long pre/post data (one row per subject and occasion, ``pre=``/``post=``
naming the occasions), with output in the form psychology students know from SPSS and
the APA Publication Manual (7th ed.):

* :func:`effectstudy.models.ancova.ancova`: ``post ~ pre + group (+ covariates)`` by
  ordinary least squares on the **complete pairs** (completers, listwise), with the ANOVA
  table (type III sums of squares by default, as SPSS), partial :math:`\eta^2`, estimated
  marginal (adjusted) means, pairwise comparisons and the assumption checks (homogeneity
  of regression slopes, Levene's test, Shapiro-Wilk).
* :func:`effectstudy.models.mixed.mixed_prepost`: a linear mixed model ``score ~ time *
  group (+ covariates)`` with a random intercept per subject (REML,
  :mod:`effectstudy.kernels.reml`) on **all available measurements**, the sensitivity
  analysis that keeps subjects with only a pre (or only a post) score.

Both are checked against R (``lm``, ``car::Anova``, ``emmeans``, ``car::leveneTest``,
``shapiro.test``, ``lme4::lmer``) in ``tests/reference/models``.  APA number formatting
and the shared texts: :mod:`effectstudy.models.apa`; the preparation both share (argument
checks, subject values, contrast coding): :mod:`effectstudy.models.design`.  The verbs are
public as ``es.ancova`` and ``es.mixed_prepost``.
"""
