"""Shared test set-up: headless plotting, hypothesis profiles, notebook runs and studies shared
by the whole session."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from tests.budget import CI_MAX_EXAMPLES  # noqa: E402

# Property tests state their own budget with tests.budget.examples(n) and say why; the
# profile's max_examples is the default for a property without one and the scale of all budgets.
settings.register_profile(
    # derandomize: CI runs the same examples every time (a failure is reproducible, never flaky);
    # HYPOTHESIS_PROFILE=dev or nightly explore new ones
    "ci", max_examples=CI_MAX_EXAMPLES, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# a quick look while writing a property: half the CI budgets, fresh examples
settings.register_profile("dev", max_examples=CI_MAX_EXAMPLES // 2, deadline=None)
# like "ci" but with fresh random examples (to look for flaky properties before they reach CI)
settings.register_profile(
    "ci_random", max_examples=CI_MAX_EXAMPLES, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# the volume run: 200 times the CI budgets, fresh examples (hours; not part of make test)
settings.register_profile("nightly", max_examples=200 * CI_MAX_EXAMPLES, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# ------------------------------------------------------------------ shared notebook runs
@pytest.fixture(scope="session")
def notebook_run(tmp_path_factory):
    """Run a notebook once per session for each distinct notebook, params file and options.

    Returns a function ``run(notebook, params, **options)`` giving the ``RunResult`` of
    ``es.run_notebook`` (an output folder of its own).  Tests only read those outputs.  Under
    pytest-xdist each worker has its own session: tests that share a run carry the same
    ``pytest.mark.xdist_group`` so that ``--dist loadgroup`` gives them to one worker.
    """
    import effectstudy as es

    done: dict[tuple, object] = {}

    def run(notebook, params, **options):
        key = (Path(notebook).resolve(), Path(params).resolve(), tuple(sorted(options.items())))
        if key not in done:
            folder = tmp_path_factory.mktemp(Path(notebook).stem)
            done[key] = es.run_notebook(notebook, params, output_dir=folder / "out",
                                        progress=False, **options)
        return done[key]

    return run


@pytest.fixture(scope="session")
def shared_study():
    """``es.Study.from_params(path)`` built once per session and params file (its results are
    cached inside); tests only read from it.  Returns a function ``study(path)``."""
    import effectstudy as es

    done: dict[Path, object] = {}

    def study(path):
        key = Path(path).resolve()
        if key not in done:
            done[key] = es.Study.from_params(key)
        return done[key]

    return study
