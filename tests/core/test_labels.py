"""The display-label registry is shared: no module may silently change another module's labels."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import effectstudy
from effectstudy.core import labels


def test_every_module_imports_without_a_label_conflict():
    # register() raises on a conflicting label, so importing everything proves there is none
    names = [m.name for m in pkgutil.walk_packages(effectstudy.__path__, "effectstudy.")
             if not m.name.endswith("__main__")]
    for name in names:
        importlib.import_module(name)
    assert labels.label("n", "nl") == "n" and labels.label("mean", "nl") == "Gem."


def test_conflict_is_an_error_naming_both_and_replace_is_explicit():
    labels.register({"test_only_label": {"nl": "een", "en": "one"}})
    labels.register({"test_only_label": {"nl": "een", "en": "one"}})  # the same again is fine
    with pytest.raises(ValueError, match="'test_only_label' is already registered as .*'een'.*replace=True"):
        labels.register({"test_only_label": {"nl": "twee", "en": "two"}})
    labels.register({"test_only_label": {"nl": "twee", "en": "two"}}, replace=True)
    assert labels.label("test_only_label", "en") == "two"


def test_translate_only_registered_values():
    assert labels.translate("recovered", "nl") == "hersteld"
    assert labels.translate("E0000001", "nl") == "E0000001"
    assert labels.translate(None, "nl") is None
