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

import effectstudy.core.codes  # noqa: F401 - registers the labels of the coded group values
from effectstudy.core.formatting import DEFAULT_LANG, Lang, interval, number, p_value, percent
from effectstudy.core.labels import label, register, translate

__all__ = [
    "apa_number",
    "apa_p",
    "apa_df",
    "apa_ci",
    "ci_percent",
    "exclusions_text",
    "in_text",
    "level_text",
    "factor_level_text",
    "word_list",
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
    # why a subject was not used (``meta["exclusions"]``)
    "missing_pre": {"nl": "geen voormeting", "en": "no pre score"},
    "missing_post": {"nl": "geen nameting", "en": "no post score"},
    "missing_group": {"nl": "groep ontbreekt", "en": "no group"},
    "missing_covariate": {"nl": "covariaat ontbreekt", "en": "missing covariate"},
    "no_measurement": {"nl": "geen meting", "en": "no measurement"},
    # the total row of the descriptives of the analysed cases
    "descriptives_total": {"nl": "Totaal", "en": "Total"},
    "n_observations": {"nl": "Metingen", "en": "Observations"},
    "icc": {"nl": "Intraklassecorrelatie", "en": "Intraclass correlation"},
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
    why = ", ".join(f"{translate(str(k), lang)} {v}" for k, v in m["exclusions"].items())
    of, excluded = ("van", "uitgesloten") if nl else ("of", "excluded")
    return f"N = {m['n_used']} ({n_ex} {of} {m['n_original']} {excluded}: {why})."


def in_text(name: str, lang: Lang) -> str:
    """The label of a column as it reads inside a sentence: its first letter in lower case,
    unless the label starts with an abbreviation (``PTSS``, ``SCL-90``).

    >>> in_text("age", "nl"), in_text("care_type", "en"), in_text("ptsd", "nl")
    ('leeftijd', 'care type', 'PTSS')
    """
    text = label(str(name), lang)
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def level_text(value: object, lang: Lang) -> str:
    """A group value as a reader sees it: its registered label, else its text.

    >>> level_text("brain_injury", "nl"), level_text("specialised", "en"), level_text(3, "en")
    ('niet-aangeboren hersenletsel', 'specialised care (S-GGZ)', '3')
    """
    return str(translate(value if isinstance(value, str) else str(value), lang))


def factor_level_text(column: str, value: object, lang: Lang) -> str:
    """A factor's level with its column: ``"Diagnosegroep: niet-aangeboren hersenletsel"``
    (how a model term such as ``diagnosis[brain_injury]`` is shown).

    >>> factor_level_text("diagnosis", "brain_injury", "nl")
    'Diagnosegroep: niet-aangeboren hersenletsel'
    >>> factor_level_text("sex", "male", "en")
    'Sex: male'
    """
    return f"{label(str(column), lang)}: {level_text(value, lang)}"


def word_list(words: list[str], lang: Lang) -> str:
    """Words joined as a sentence lists them: ``"a, b en c"`` / ``"a, b and c"``.

    >>> word_list(["de voormeting", "leeftijd", "geslacht"], "nl"), word_list(["x"], "en")
    ('de voormeting, leeftijd en geslacht', 'x')
    """
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + (" en " if lang == "nl" else " and ") + words[-1]
