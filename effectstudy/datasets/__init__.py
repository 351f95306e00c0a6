"""Seeded synthetic practice data with planted effects, and the shipped example.

``generate`` makes a practice of any size (up to millions of episodes, in bounded
memory via ``iter_chunks``); ``load_example`` reads the small example shipped in
``data/example/``.  What is planted, and the expected values analyses should recover,
are documented in :mod:`effectstudy.datasets.parameters`, :func:`expected_changes` and
``data/example/README.md``.

>>> import effectstudy as es
>>> sp = es.datasets.generate(n_episodes=100, seed=1)
>>> sp.truth.responder_type.cat.categories.tolist()
['responder', 'non_responder', 'deteriorator']
>>> len(es.datasets.load_example().episodes)
400
"""

from __future__ import annotations

from effectstudy.datasets.export import write_export
from effectstudy.datasets.manifest import example_path, example_spec, load_example, read_export
from effectstudy.datasets.parameters import (
    RESPONDER_TYPES,
    ROM_SCHEDULES,
    DiagnosisGroup,
    PracticeParameters,
)
from effectstudy.datasets.practice import (
    BLOCK,
    GENERATOR_VERSION,
    INSTRUMENT,
    SyntheticPractice,
    expected_changes,
    expected_trajectory,
    generate,
    iter_chunks,
)

__all__ = [
    "BLOCK",
    "GENERATOR_VERSION",
    "INSTRUMENT",
    "RESPONDER_TYPES",
    "ROM_SCHEDULES",
    "DiagnosisGroup",
    "PracticeParameters",
    "SyntheticPractice",
    "expected_changes",
    "example_path",
    "example_spec",
    "expected_trajectory",
    "generate",
    "iter_chunks",
    "load_example",
    "read_export",
    "write_export",
]
