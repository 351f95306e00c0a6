"""The README's tour runs as written (a newcomer copies it first)."""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import effectstudy as es

ROOT = Path(__file__).resolve().parents[1]


def test_readme_tour_runs_and_names_the_two_commands(monkeypatch):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_screen = text[: text.index("## A 10-line tour")]
    assert "make demo" in first_screen and "make test" in first_screen
    tour = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    monkeypatch.chdir(ROOT)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", es.ProvisionalKeyWarning)  # the Dutch SCL-90 key says it is provisional
        exec(compile(tour, "README.md", "exec"), {})  # noqa: S102 - the README's own example
    assert os.getcwd() == str(ROOT)
