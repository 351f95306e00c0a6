"""Instrument and scale names, and the reason a key is provisional, in the report's language.

Every shipped file gives ``name`` and each scale's ``label`` as ``{nl: ..., en: ...}`` (and the
provisional ``status_reason`` too); a practice's own file may give one text for both languages.
The Dutch SCL-90 scale names are the published ones (Arrindell & Ettema 2003), as the Dutch test
publishers' and ROM vendors' pages list them: metrisquare.nl/testoverzicht/scl-90-r,
gezondeboel.nl/aanbod/vragenlijsten/scl-90, managewarepro.nl/scl90 (with "Overige" and
"Psychoneuroticisme (totaalscore)").  The English SQ-48 names are Carlier et al. (2012,
Psychiatry Research 200:904-910, abstract); the Dutch BSI names de Beurs' manual as listed by
embloom.nl/content/bsi.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from effectstudy import instruments
from effectstudy.core.errors import ArgumentError, ParamsError
from effectstudy.core.params import parse_yaml

#: words that give an English text away in a Dutch one, and the reverse (whole words, lower case)
ENGLISH = {"the", "and", "of", "with", "only", "edition", "dutch", "international", "total", "must", "checked", "against", "depression", "anxiety", "hostility", "sleep", "problems",
           "other", "reconstructed", "lists", "implies", "published", "structure", "not", "without"}
DUTCH = {"de", "het", "een", "en", "van", "met", "alleen", "bewerking", "nederlandse", "totaalscore",
         "moet", "nagekeken", "overige", "gereconstrueerd", "gepubliceerde", "opbouw", "zonder", "niet",
         "angst", "slaapproblemen", "klachten", "schalen", "losse"}
OTHER = {"nl": ENGLISH, "en": DUTCH}

#: every shipped instrument file and the shipped template
FILES = sorted(instruments.SHIPPED_DIR.glob("*.yaml")) + sorted(instruments.TEMPLATES_DIR.glob("*.yaml"))


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[^\W\d_]+", text)}


def _foreign(text: str, lang: str) -> set[str]:
    """The other language's telltale words in ``text`` (names of people and sources aside)."""
    return _words(text) & OTHER[lang]


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shipped_file_names_its_instrument_and_scales_in_both_languages(path: Path):
    raw = parse_yaml(path.read_text(encoding="utf-8"), source=str(path))
    assert set(raw["name"]) == {"nl", "en"}
    for name, scale in raw["scales"].items():
        assert set(scale["label"]) == {"nl", "en"}, name
        for lang in ("nl", "en"):
            text = scale["label"][lang]  # the name, not the code (a report adds the code itself)
            assert text.strip() and not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text), (name, lang)
    provisional = [raw] if raw["status"] == "provisional" else []
    provisional += [s for s in raw["scales"].values() if s.get("status") == "provisional" and "status_reason" in s]
    for part in provisional:
        assert set(part["status_reason"]) == {"nl", "en"}


@pytest.mark.parametrize("iid", instruments.available())
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_names_labels_and_reasons_carry_no_word_of_the_other_language(iid: str, lang: str):
    inst = instruments.get(iid)
    texts = [inst.display_name(lang), inst.display_reason(lang) or ""]
    texts += [inst.scale_label(s, lang) for s in inst.scales]
    texts += [s.display_reason(lang) or "" for s in inst.scales.values()]
    for text in texts:
        assert not _foreign(text, lang), (iid, lang, text, _foreign(text, lang))


def test_the_dutch_scl90_has_its_published_scale_names_with_the_code():
    inst = instruments.get("scl90_nl")
    published = {"AGO": "Agorafobie", "ANG": "Angst", "DEP": "Depressie", "SOM": "Somatische klachten",
                 "IN": "Insufficiëntie van denken en handelen",
                 "SEN": "Wantrouwen en interpersoonlijke sensitiviteit", "HOS": "Hostiliteit",
                 "SLA": "Slaapproblemen", "PSNEUR": "Psychoneuroticisme"}
    for code, name in published.items():
        assert inst.scale_label(code, "nl") == f"{name} ({code})"
    assert inst.scale_label("PSNEUR", "en") == "Psychoneuroticism (PSNEUR)"
    assert inst.display_name("nl") == "SCL-90, Nederlandse bewerking (Arrindell & Ettema 2003)"
    assert inst.display_name("en") == "SCL-90, Dutch edition (Arrindell & Ettema 2003)"
    assert inst.scale_label(lang="nl") == "Psychoneuroticisme (PSNEUR)"  # the default scale


def test_a_lower_case_code_is_internal_and_not_shown_unless_asked():
    phq = instruments.get("phq9")
    assert phq.scale_label("total", "nl") == "Totaalscore"
    assert phq.scale_label("total", "en", code=True) == "Total score (total)"
    assert instruments.get("scl90_nl").scale_label("SEN", "nl", code=False) == (
        "Wantrouwen en interpersoonlijke sensitiviteit")


def test_the_provisional_reason_is_given_in_each_language_and_names_scales_in_words():
    inst = instruments.get("scl90_nl")
    nl, en = inst.display_reason("nl"), inst.display_reason("en")
    assert nl != en and "Psychoneuroticisme" in nl and "Psychoneuroticism" in en
    assert inst.status_reason == en  # the plain attribute: English, for logs and errors
    assert inst.scales["SEN"].display_reason("nl").startswith("Gereconstrueerd")
    assert inst.scales["PSNEUR"].display_reason("nl") is None  # a verified scale has none
    assert instruments.get("gad7").display_reason("en") is None


def _user_file(tmp_path: Path, name: str, label: str, reason: str = "not checked yet") -> Path:
    p = tmp_path / "own.yaml"
    p.write_text(
        f"id: own\nname: {name}\nversion: '1'\nn_items: 2\nitem_min: 0\nitem_max: 3\n"
        f"status: provisional\nstatus_reason: {reason}\ndefault_scale: A\n"
        f"missing: {{source: own rule}}\nsources: [own]\n"
        f"scales:\n  A: {{label: {label}, items: [1, 2]}}\n",
        encoding="utf-8")
    return p


def test_a_practice_file_with_one_text_uses_it_for_both_languages(tmp_path):
    inst = instruments.load(_user_file(tmp_path, "Eigen lijst", "Eigen schaal"))
    assert inst.display_name("nl") == inst.display_name("en") == "Eigen lijst"
    assert inst.scale_label("A", "nl") == inst.scale_label("A", "en") == "Eigen schaal (A)"
    assert inst.display_reason("en") == "not checked yet"


def test_a_practice_file_may_give_both_languages(tmp_path):
    inst = instruments.load(_user_file(tmp_path, "{nl: Eigen lijst, en: Own list}",
                                       "{nl: Eigen schaal, en: Own scale}",
                                       "{nl: nog niet nagekeken, en: not checked yet}"))
    assert (inst.display_name("nl"), inst.display_name("en")) == ("Eigen lijst", "Own list")
    assert inst.scale_label("A", "en") == "Own scale (A)" and inst.name == "Own list"
    assert inst.display_reason("nl") == "nog niet nagekeken"


def test_a_bilingual_text_needs_both_languages(tmp_path):
    with pytest.raises(ParamsError, match=r"own\.yaml: name"):
        instruments.load(_user_file(tmp_path, "{nl: Eigen lijst}", "Eigen schaal"))
    with pytest.raises(ParamsError, match=r"scales\.A\.label"):
        instruments.load(_user_file(tmp_path, "Eigen lijst", "{nl: Eigen schaal, fr: Échelle}"))


def test_a_provisional_reason_may_not_be_blank_in_either_language(tmp_path):
    with pytest.raises(ParamsError, match="status_reason: a provisional key needs a reason"):
        instruments.load(_user_file(tmp_path, "Eigen lijst", "Eigen schaal", "{nl: ' ', en: not checked}"))


def test_an_unknown_language_is_refused():
    with pytest.raises(ArgumentError, match=r"lang: got 'de', expected one of \['nl', 'en'\]"):
        instruments.get("phq9").display_name("de")


def test_a_table_can_relabel_its_scales_from_the_registry():
    inst = instruments.get("scl90_nl")
    names = inst.scale_labels("nl")
    assert names["PSNEUR"] == "Psychoneuroticisme (PSNEUR)" and set(names) == set(inst.scales)
    assert inst.table("en").set_index("scale").loc["SLA", "label"] == "Sleep problems"
    assert inst.table().set_index("scale").loc["SLA", "label"] == "Sleep problems"  # English by default
    assert inst.table("nl").set_index("scale").loc["SLA", "label"] == "Slaapproblemen"
