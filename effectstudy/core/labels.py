"""Display labels (Dutch and English) for column names, categories and methods.

Data always uses stable snake_case names; labels are for display only
(``Result.format(lang=...)``, report tables).  Modules register their own labels
with :func:`register`.  Numbers are formatted by :mod:`effectstudy.core.formatting`
(``number`` here is that function, re-exported for the callers that import it from here).

>>> label("ci_low", "nl")
'BI onder'
>>> label("ci_low", "en")
'CI low'
>>> label("some_new_column", "en")
'Some new column'
"""

from __future__ import annotations

from effectstudy.core.formatting import DEFAULT_LANG, Lang, number

__all__ = ["Lang", "DEFAULT_LANG", "register", "translate", "label", "number"]

_LABELS: dict[str, dict[str, str]] = {
    "n": {"nl": "n", "en": "n"},
    "n_original": {"nl": "n totaal", "en": "n total"},
    "n_used": {"nl": "n gebruikt", "en": "n used"},
    "estimate": {"nl": "Schatting", "en": "Estimate"},
    "ci_low": {"nl": "BI onder", "en": "CI low"},
    "ci_high": {"nl": "BI boven", "en": "CI high"},
    "mean_pre": {"nl": "Gem. voor", "en": "Mean pre"},
    "sd_pre": {"nl": "SD voor", "en": "SD pre"},
    "mean_post": {"nl": "Gem. na", "en": "Mean post"},
    "sd_post": {"nl": "SD na", "en": "SD post"},
    "r": {"nl": "r", "en": "r"},
    "rate": {"nl": "Percentage", "en": "Rate"},
    "proportion": {"nl": "Aandeel", "en": "Proportion"},
    "group": {"nl": "Groep", "en": "Group"},
    "category": {"nl": "Categorie", "en": "Category"},
    "recovered": {"nl": "hersteld", "en": "recovered"},
    "improved": {"nl": "verbeterd", "en": "improved"},
    "unchanged": {"nl": "onveranderd", "en": "unchanged"},
    "deteriorated": {"nl": "verslechterd", "en": "deteriorated"},
    "harmed": {"nl": "geschaad", "en": "harmed"},
    "stagnated": {"nl": "gestagneerd", "en": "stagnated"},
    "on_track": {"nl": "op koers", "en": "on track"},
    "not_evaluable": {"nl": "niet te beoordelen", "en": "not evaluable"},
    "pre": {"nl": "voormeting", "en": "pre"},
    "post": {"nl": "nameting", "en": "post"},
    "method": {"nl": "Methode", "en": "Method"},
    # the example data's groups (a practice's own values fall back to their text)
    "depression": {"nl": "depressie", "en": "depression"},
    "anxiety": {"nl": "angst", "en": "anxiety"},
    "ptsd": {"nl": "PTSS", "en": "PTSD"},
    "burnout": {"nl": "burn-out", "en": "burnout"},
    "somatic": {"nl": "somatisch-symptoomstoornis", "en": "somatic symptom disorder"},
    "personality": {"nl": "persoonlijkheid", "en": "personality"},
    "brain_injury": {"nl": "niet-aangeboren hersenletsel", "en": "acquired brain injury"},
    "unknown": {"nl": "onbekend", "en": "unknown"},
    "basic": {"nl": "basis-GGZ", "en": "basic care (GB-GGZ)"},
    "specialised": {"nl": "specialistische GGZ", "en": "specialised care (S-GGZ)"},
    "diagnosis": {"nl": "Diagnosegroep", "en": "Diagnosis group"},
    "care_type": {"nl": "Zorgvorm", "en": "Care type"},
    # used by plots of several stages: registered here so a label never depends on which
    # module happened to be imported first
    "all": {"nl": "alle", "en": "all"},
    "ci": {"nl": "BI", "en": "CI"},
    "se": {"nl": "SE", "en": "SE"},
    "variable": {"nl": "Variabele", "en": "Variable"},
    "level": {"nl": "Niveau", "en": "Level"},
    "age": {"nl": "Leeftijd", "en": "Age"},
    "sessions": {"nl": "Sessies", "en": "Sessions"},
    "value": {"nl": "Waarde", "en": "Value"},
    "k": {"nl": "k", "en": "k"},  # a count: of a proportion's numerator, or k-anonymity's k
    "ci_method": {"nl": "Intervalmethode", "en": "Interval method"},
}


# result titles (``Result.title``) as a report shows them
_LABELS.update({
    "Clinical significance": {"nl": "Klinische significantie", "en": "Clinical significance"},
    "Percentage change": {"nl": "Procentuele verandering", "en": "Percentage change"},
    "Pre/post effect size": {"nl": "Effectgrootte voor/na", "en": "Pre/post effect size"},
    "Pre/post effect sizes": {"nl": "Effectgroottes voor/na", "en": "Pre/post effect sizes"},
    "After stagnation": {"nl": "Na stagnatie", "en": "After stagnation"},
    "Linear mixed model (pre/post, random intercept)": {
        "nl": "Lineair mixed model (voor/na, random intercept)",
        "en": "Linear mixed model (pre/post, random intercept)"},
    "Pre/post pairing": {"nl": "Koppeling voor- en nameting", "en": "Pre/post pairing"},
    "Reliability (Cronbach's alpha)": {"nl": "Betrouwbaarheid (Cronbachs alfa)", "en": "Reliability (Cronbach's alpha)"},
    "Reliable change": {"nl": "Betrouwbare verandering", "en": "Reliable change"},
    "Client satisfaction": {"nl": "Tevredenheid", "en": "Client satisfaction"},
    "Scores": {"nl": "Scores", "en": "Scores"},
    "Stagnation": {"nl": "Stagnatie", "en": "Stagnation"},
    "Data flow": {"nl": "Gegevensstroom", "en": "Data flow"},
    "Sample": {"nl": "Steekproef", "en": "Sample"},
    "Trajectories (mixed model)": {"nl": "Verloop (mixed model)", "en": "Trajectories (mixed model)"},
    "Treatment course": {"nl": "Behandelverloop", "en": "Treatment course"},
    "Key figures": {"nl": "Kengetallen", "en": "Key figures"},
    "Key figures per group": {"nl": "Kengetallen per groep", "en": "Key figures per group"},
    "Trend": {"nl": "Verloop over de jaren", "en": "Trend"},
    "Disclosure control": {"nl": "Onthullingsbeheersing", "en": "Disclosure control"},
    "Episodes": {"nl": "Trajecten", "en": "Episodes"},
    "n_original": {"nl": "n totaal", "en": "n total"},
    "exclusions": {"nl": "niet gebruikt", "en": "not used"},
})


def register(labels: dict[str, dict[str, str]], *, replace: bool = False) -> None:
    """Add labels: ``{"name": {"nl": "...", "en": "..."}}``.

    The registry is shared by every module, so a name that already has *other* labels is
    an error unless ``replace=True`` says that replacing them is meant (registering the
    same labels again is fine).

    >>> register({"ci_low": {"nl": "ondergrens", "en": "lower"}})
    Traceback (most recent call last):
    ...
    ValueError: label 'ci_low' is already registered as {'nl': 'BI onder', 'en': 'CI low'}; ...
    """
    for key, value in labels.items():
        old = _LABELS.get(key)
        if old is not None and old != dict(value) and not replace:
            raise ValueError(f"label {key!r} is already registered as {old}; pass replace=True to "
                             f"replace it by {dict(value)}, or use another name")
    for key, value in labels.items():
        _LABELS[key] = dict(value)


def translate(value: object, lang: Lang = DEFAULT_LANG) -> object:
    """The label of ``value`` when one is registered, else ``value`` unchanged (for cell values).

    >>> translate("recovered", "nl"), translate("E0000001", "nl"), translate(3, "nl")
    ('hersteld', 'E0000001', 3)
    """
    if isinstance(value, str):
        entry = _LABELS.get(value)
        if entry and lang in entry:
            return entry[lang]
    return value


def label(name: str, lang: Lang = DEFAULT_LANG) -> str:
    """Display label of ``name`` in ``lang``; falls back to a capitalised name."""
    entry = _LABELS.get(name)
    if entry and lang in entry:
        return entry[lang]
    text = str(name).replace("_", " ")
    return text[:1].upper() + text[1:]
