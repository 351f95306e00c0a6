r"""APA output of the student analyses: numbers, p-values, intervals and shared texts.

Number formatting (:func:`apa_number`, :func:`apa_p`) follows APA 7 (sections 6.36 and
6.40): statistics with two decimals, p with three decimals, ``p < .001`` below .001, no
leading zero for quantities that cannot exceed 1 (p, partial :math:`\eta^2`,
Shapiro-Wilk W, ICC).  ``lang="nl"`` writes a **decimal comma** (Dutch text: "F(2, 184) =
18,26, p < ,001"), as the Dutch adaptations of APA prescribe for Dutch-language text, and
separates interval limits with a semicolon ("[148,53; 156,74]") so the comma is not
ambiguous; ``lang="en"`` writes decimal points.  Negative numbers use the hyphen-minus
("-2.35"), the character SPSS output and keyboards produce.

The display labels of the models' tables are registered here.

>>> apa_p(0.0321, lang="en"), apa_p(0.00004, lang="en"), apa_p(0.0321)
('p = .032', 'p < .001', 'p = ,032')
"""

from __future__ import annotations

from effectstudy.core.formatting import DEFAULT_LANG, Lang, interval, number, p_value, percent
from effectstudy.core.labels import register

__all__ = [
    "apa_number",
    "apa_p",
    "apa_df",
    "apa_ci",
    "ci_percent",
    "exclusions_text",
]

register({
    "source": {"nl": "Bron", "en": "Source"},
    "ss": {"nl": "KS", "en": "SS"},
    "ms": {"nl": "GK", "en": "MS"},
    "f": {"nl": "F", "en": "F"},
    "partial_eta_sq": {"nl": "partiële η²", "en": "partial η²"},
    "emmean": {"nl": "Gecorrigeerd gem.", "en": "Adjusted mean"},
    "se": {"nl": "SE", "en": "SE"},
    "group_1": {"nl": "Groep 1", "en": "Group 1"},
    "group_2": {"nl": "Groep 2", "en": "Group 2"},
    "p_adjusted": {"nl": "p (gecorrigeerd)", "en": "p (adjusted)"},
    "test": {"nl": "Toets", "en": "Test"},
    "statistic": {"nl": "Toetsgrootheid", "en": "Statistic"},
    "df1": {"nl": "vg1", "en": "df1"},
    "df2": {"nl": "vg2", "en": "df2"},
    "term": {"nl": "Term", "en": "Term"},
    "df": {"nl": "vg", "en": "df"},
    "p": {"nl": "p", "en": "p"},
    "t": {"nl": "t", "en": "t"},
    "z": {"nl": "z", "en": "z"},
    "component": {"nl": "Component", "en": "Component"},
    "variance": {"nl": "Variantie", "en": "Variance"},
    "sd": {"nl": "SD", "en": "SD"},
    "chi2": {"nl": "χ²", "en": "χ²"},
    "intercept": {"nl": "Intercept", "en": "Intercept"},
    "residual": {"nl": "Fout", "en": "Error"},
    "slopes_homogeneity": {"nl": "Homogeniteit regressiehellingen",
                           "en": "Homogeneity of regression slopes"},
    "levene": {"nl": "Levene (gemiddelde)", "en": "Levene (mean)"},
    "shapiro_wilk": {"nl": "Shapiro-Wilk", "en": "Shapiro-Wilk"},
    "subject_intercept": {"nl": "Intercept per persoon", "en": "Subject intercept"},
    "time_x_group": {"nl": "Tijd × groep", "en": "Time × group"},
})


def apa_number(x: float, digits: int = 2, *, lang: Lang = DEFAULT_LANG,
               leading_zero: bool = True) -> str:
    """A number as APA prints it: ``digits`` decimals, rounded half up.

    ``leading_zero=False`` for quantities that cannot exceed 1 in absolute value
    (correlations, proportions, partial :math:`\\eta^2`): ``.45``.  A value that rounds to
    zero is printed without a sign (never ``-0.00``).  ``lang="nl"`` uses a decimal comma.
    Missing values print as an en dash.  The one formatter,
    :func:`effectstudy.core.formatting.number`, does the work.

    >>> apa_number(2.345, lang="en"), apa_number(-0.004, lang="en"), apa_number(-0.456, lang="en", leading_zero=False)
    ('2.35', '0.00', '-.46')
    >>> apa_number(1234.5, 1), apa_number(float("nan"))
    ('1234,5', '–')
    """
    return number(x, lang, digits, leading_zero=leading_zero)


def apa_p(p: float, *, lang: Lang = DEFAULT_LANG, alpha: float = 0.05, prefix: str = "p") -> str:
    """A p-value as APA 7 prints it: ``p = ,032``, ``p < ,001``, never ``p = ,000``.

    Three decimals without a leading zero; values below .001 as ``p < .001`` and values
    that would round to 1 as ``p > .999``.  A p-value just below ``alpha`` that rounds up
    to it (.0495 -> .050) is printed with as many decimals as it takes to stay below
    ``alpha`` (``p = .0495``, ``p = .04999``; beyond six decimals ``p < .050``), so that the
    text never contradicts the significance decision.  The one formatter,
    :func:`effectstudy.core.formatting.p_value`, does the work.

    >>> apa_p(0.0495, lang="en"), apa_p(0.0505, lang="en"), apa_p(0.00099, lang="en"), apa_p(0.9996, lang="en")
    ('p = .0495', 'p = .051', 'p < .001', 'p > .999')
    >>> apa_p(0.1234, prefix="p_adj")
    'p_adj = ,123'
    """
    return p_value(p, lang, alpha=alpha, prefix=prefix)


def apa_df(x: float, lang: Lang) -> str:
    """Degrees of freedom: a whole number without decimals, otherwise two decimals.

    >>> apa_df(5.0, "en"), apa_df(183.456, "nl")
    ('5', '183,46')
    """
    return str(int(round(x))) if abs(x - round(x)) < 1e-9 else apa_number(x, 2, lang=lang)


def apa_ci(lo: float, hi: float, lang: Lang, digits: int = 2) -> str:
    """An interval in brackets; limits separated by a semicolon in Dutch (decimal comma).

    >>> apa_ci(1.234, 5.678, "en"), apa_ci(1.234, 5.678, "nl")
    ('[1.23, 5.68]', '[1,23; 5,68]')
    """
    return interval(lo, hi, lang, digits)


def ci_percent(ci: float, lang: Lang = DEFAULT_LANG) -> str:
    """A confidence level as a percentage, with a decimal only where it has one.

    >>> ci_percent(0.95), ci_percent(0.995), ci_percent(0.995, "en")
    ('95%', '99,5%', '99.5%')
    """
    v = 100 * ci
    return percent(ci, lang, 0 if abs(v - round(v)) < 1e-9 else 1)


def exclusions_text(m: dict, lang: Lang) -> str:
    """``"N = 180 (7 of 187 excluded: no post score 7)."`` from a result's ``meta``
    (``n_used``, ``n_original``, ``exclusions``)."""
    n_ex = m["n_original"] - m["n_used"]
    if not n_ex:
        return f"N = {m['n_used']}."
    nl = lang == "nl"
    names = _EXCLUSION_NAMES["nl" if nl else "en"]
    why = ", ".join(f"{names.get(k, k)} {v}" for k, v in m["exclusions"].items())
    of, excluded = ("van", "uitgesloten") if nl else ("of", "excluded")
    return f"N = {m['n_used']} ({n_ex} {of} {m['n_original']} {excluded}: {why})."


#: the exclusion reasons in APA text, per language
_EXCLUSION_NAMES = {
    "nl": {"missing_pre": "geen voormeting", "missing_post": "geen nameting",
           "missing_group": "groep ontbreekt", "missing_covariate": "covariaat ontbreekt",
           "no_measurement": "geen meting"},
    "en": {"missing_pre": "no pre score", "missing_post": "no post score",
           "missing_group": "no group", "missing_covariate": "missing covariate",
           "no_measurement": "no measurement"},
}
