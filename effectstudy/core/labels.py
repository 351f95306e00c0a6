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

import re

from effectstudy.core.formatting import DEFAULT_LANG, Lang, number

__all__ = ["Lang", "DEFAULT_LANG", "register", "translate", "label", "number", "registered",
           "method_label", "table_title"]

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


# the columns that reach report tables from several stages (registered once, here)
_LABELS.update({
    "df": {"nl": "vg", "en": "df"},
    "vg": {"nl": "vg", "en": "df"},  # a Dutch APA table's own header, shown again through a report
    "p": {"nl": "p", "en": "p"},
    "sex": {"nl": "Geslacht", "en": "Sex"},
    "female": {"nl": "vrouw", "en": "female"},
    "male": {"nl": "man", "en": "male"},
    "other": {"nl": "anders", "en": "other"},
    "treatment": {"nl": "Behandeling", "en": "Treatment"},
    "end_reason": {"nl": "Reden einde", "en": "End reason"},
    "scale": {"nl": "Schaal", "en": "Scale"},
    "instrument": {"nl": "Vragenlijst", "en": "Questionnaire"},
    "measurements": {"nl": "Metingen", "en": "Measurements"},
    "satisfaction": {"nl": "Tevredenheid", "en": "Satisfaction"},
    "episodes": {"nl": "Trajecten", "en": "Episodes"},
    "row": {"nl": "Rij", "en": "Row"},  # the header of a table's unnamed index
    # the data tables behind the figures
    "time": {"nl": "Tijd", "en": "Time"},
    "bin": {"nl": "Klasse", "en": "Bin"},
    "fitted": {"nl": "Voorspelde waarde", "en": "Fitted value"},
    "quantile": {"nl": "Theoretisch kwantiel", "en": "Theoretical quantile"},
    "yes": {"nl": "ja", "en": "yes"},
    "no": {"nl": "nee", "en": "no"},
})

#: a method code's name in words (``meta["method"]``): ``method.<code>`` keys, so that a short
#: code ("b", "jt") never translates a cell that happens to hold the same text
_LABELS.update({f"method.{k}": v for k, v in {
    "b": {"nl": "Becker's d: gemiddelde verbetering gedeeld door de SD van de voormeting, met "
                "Hedges-correctie",
          "en": "Becker's d: mean improvement divided by the pre-test SD, with Hedges' correction"},
    "z": {"nl": "d_z: gemiddelde verbetering gedeeld door de SD van de verschilscores",
          "en": "d_z: mean improvement divided by the SD of the change scores"},
    "rm": {"nl": "d_rm: gemiddelde verbetering gedeeld door de voor de correlatie gecorrigeerde SD "
                 "van de verschilscores",
           "en": "d_rm: mean improvement divided by the SD of the change scores corrected for the "
                 "pre-post correlation"},
    "av": {"nl": "d_av: gemiddelde verbetering gedeeld door de gemiddelde SD van voor- en nameting",
           "en": "d_av: mean improvement divided by the average of the pre and post SDs"},
    "d": {"nl": "Cohen's d: gemiddelde verbetering gedeeld door de gepoolde SD van voor- en nameting",
          "en": "Cohen's d: mean improvement divided by the pooled pre and post SD"},
    "jt": {"nl": "Jacobson & Truax (1991)", "en": "Jacobson & Truax (1991)"},
    "gln": {"nl": "Gulliksen, Lord & Novick", "en": "Gulliksen, Lord & Novick"},
    "hll": {"nl": "Hsu, Linn & Lord", "en": "Hsu, Linn & Lord"},
    "en": {"nl": "Edwards & Nunnally", "en": "Edwards & Nunnally"},
    "nk": {"nl": "McNemar (Nunnally & Kotsch)", "en": "McNemar (Nunnally & Kotsch)"},
    "ha": {"nl": "Hageman & Arrindell (1999)", "en": "Hageman & Arrindell (1999)"},
    "hlm": {"nl": "Raudenbush & Bryk (hiërarchisch lineair model)",
            "en": "Raudenbush & Bryk (hierarchical linear model)"},
    "percent": {"nl": "procentuele verandering", "en": "percentage change"},
    "anchor": {"nl": "ankergebaseerd (minimaal belangrijk verschil)",
               "en": "anchor-based (minimal important difference)"},
    "approaches": {"nl": "de benaderingen naast elkaar", "en": "the approaches side by side"},
    "mi": {"nl": "meervoudige imputatie (regels van Rubin)", "en": "multiple imputation (Rubin's rules)"},
    "locf": {"nl": "laatste meting doorgetrokken (LOCF)", "en": "last observation carried forward (LOCF)"},
    "bocf": {"nl": "voormeting doorgetrokken (BOCF)", "en": "baseline observation carried forward (BOCF)"},
    "completers": {"nl": "alleen voltooiers", "en": "completers only"},
    "austin2009": {"nl": "gestandaardiseerde verschillen (Austin 2009)",
                   "en": "standardised differences (Austin 2009)"},
    "flow": {"nl": "telling per stap", "en": "counts per step"},
    "describe": {"nl": "beschrijvende statistiek", "en": "descriptive statistics"},
    "descriptive": {"nl": "beschrijvende statistiek", "en": "descriptive statistics"},
    "counts": {"nl": "tellingen en aandelen met Wilson-interval",
               "en": "counts and shares with Wilson intervals"},
    "signal_accuracy": {"nl": "signaal tegen uitkomst (sensitiviteit, specificiteit, voorspellende waarden)",
                        "en": "signal against outcome (sensitivity, specificity, predictive values)"},
    "early_no_progress": {"nl": "geen vooruitgang in de eerste sessies (praktijkregel)",
                          "en": "no progress in the first sessions (practice rule)"},
    "not_on_track": {"nl": "verwachte respons (niet op koers)", "en": "expected response (not on track)"},
    "stagnation_sensitivity": {"nl": "de regel met andere vensters en drempels",
                               "en": "the rule with other windows and thresholds"},
    "lmm_reml": {"nl": "lineair gemengd model (REML)", "en": "linear mixed model (REML)"},
    "mixedlm_reml": {"nl": "lineair gemengd model (REML)", "en": "linear mixed model (REML)"},
    "ancova_ols": {"nl": "ANCOVA (kleinste kwadraten)", "en": "ANCOVA (ordinary least squares)"},
    "nearest_in_window": {"nl": "dichtstbijzijnde meting binnen het tijdvenster",
                          "en": "nearest measurement within the time window"},
    "score": {"nl": "scoring volgens de sleutel", "en": "scoring by the key"},
    "cell_suppression": {"nl": "celonderdrukking", "en": "cell suppression"},
    "trend": {"nl": "kengetallen per jaar", "en": "key figures per year"},
    "yearly_key_figures": {"nl": "kengetallen van het jaar", "en": "key figures of the year"},
}.items()})


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
    """Display label of ``name`` in ``lang``.

    An unregistered snake_case name falls back to a capitalised name (a report must not
    show one: :func:`registered` is what the tests check); a text that is already a display
    text (spaces, capitals or signs in it, e.g. a header of a ready-made APA table) is kept.

    >>> label("n_used", "en"), label("p (gecorrigeerd)", "nl"), label("Type III SS", "en")
    ('n used', 'p (gecorrigeerd)', 'Type III SS')
    """
    entry = _LABELS.get(name)
    if entry and lang in entry:
        return entry[lang]
    text = str(name)
    if not _SNAKE.match(text):
        return text
    text = text.replace("_", " ")
    return text[:1].upper() + text[1:]


_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


def registered(name: object, lang: Lang | None = None) -> bool:
    """Whether ``name`` has a label (in ``lang``, or in both languages when ``lang`` is None).

    >>> registered("ci_low"), registered("share_of_nothing"), registered("ci_low", "en")
    (True, False, True)
    """
    entry = _LABELS.get(name) if isinstance(name, str) else None
    if entry is None:
        return False
    return all(k in entry for k in (("nl", "en") if lang is None else (lang,)))


def method_label(method: object, lang: Lang = DEFAULT_LANG) -> str:
    """A method code (``meta["method"]``) in words: its ``method.<code>`` label, else the code.

    >>> method_label("jt", "en"), method_label("b", "nl")[:10], method_label("house_rule", "en")
    ('Jacobson & Truax (1991)', "Becker's d", 'house_rule')
    """
    key = f"method.{method}"
    if registered(key, lang):
        return _LABELS[key][lang]
    return str(translate(str(method), lang))


def table_title(key: str, lang: Lang = DEFAULT_LANG) -> str | None:
    """The registered title of a report table shown under ``key`` (``table.<key>``), or None.

    >>> register({"table.demo_counts": {"nl": "Aantallen", "en": "Counts"}}); table_title("demo_counts", "en")
    'Counts'
    >>> table_title("never_registered", "en") is None
    True
    """
    entry = _LABELS.get(f"table.{key}")
    return entry.get(lang) if entry else None
