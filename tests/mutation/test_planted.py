"""Every bug once planted to prove a test (tests/mutation/planted.yaml) is still caught by it.

The planted bugs are the boundary bugs of issue 21 (a pre score at a published cut-off counted as
non-clinical, a window edge made exclusive, ...) and bugs found later.  Each is planted again, on its
own, in a fresh process; its tests must fail, and pass on the unchanged code.  About 40 s, so slow.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.mutation.mutate import ROOT


@pytest.mark.slow
def test_every_planted_bug_is_caught_by_its_test():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["OPENBLAS_NUM_THREADS"] = "1"
    run = subprocess.run([sys.executable, "-m", "tests.mutation.mutate", "--planted"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "planted bugs caught by their tests" in run.stdout
