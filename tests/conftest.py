"""Shared test set-up: headless plotting, hypothesis profiles, notebook runs and studies shared
by the whole session."""

from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
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

# the row keys of validation messages use a fixed test secret, so tests never create a key file
# in the repository (effectstudy.core.rowkey); tests of the key file itself unset it
os.environ.setdefault("EFFECTSTUDY_ROWKEY", "5a" * 32)


# ------------------------------------------------------------------ shared notebook runs
@pytest.fixture(scope="session")
def notebook_run(tmp_path_factory):
    """Run a notebook once per test run for each distinct notebook, params file and options.

    Returns a function ``run(notebook, params, **options)`` giving the ``RunResult`` of
    ``es.run_notebook`` (an output folder of its own, named ``out`` as in the tests that rerun
    it); tests only read those outputs.  Under
    pytest-xdist every worker has a session of its own, so the runs live in the folder the
    workers share (the parent of each worker's base temp folder): the first worker that needs a
    run makes it under a file lock, the others wait for it and read the same files.
    """
    import effectstudy as es

    xdist = os.environ.get("PYTEST_XDIST_WORKER") is not None
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if xdist else base) / "notebook-runs"
    shared.mkdir(exist_ok=True)

    def run(notebook, params, **options):
        key = (str(Path(notebook).resolve()), str(Path(params).resolve()), sorted(options.items()))
        name = f"{Path(notebook).stem}-{hashlib.sha256(repr(key).encode()).hexdigest()[:12]}"
        with open(shared / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            done = shared / f"{name}.pickle"
            if not done.exists():
                res = es.run_notebook(notebook, params, output_dir=shared / name / "out", progress=False,
                                      **options)
                done.write_bytes(pickle.dumps(res))
            return pickle.loads(done.read_bytes())

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



#: markers whose tests run only when ``-m`` names them: ``packaging`` builds and installs the
#: wheel (about a minute; make wheel-check), ``thorough`` runs the disclosure attacker on many
#: generated practices (make test-thorough); both are part of make check in CI
OPT_IN_MARKERS = ("packaging", "thorough")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the :data:`OPT_IN_MARKERS` tests that ``-m`` does not name, whatever the rest of
    the expression (``make test``, ``make test-fast``, ``-m "not slow"``, a plain pytest)."""
    named = config.option.markexpr or ""
    skip = [m for m in OPT_IN_MARKERS if m not in named]
    dropped = [item for item in items if any(item.get_closest_marker(m) is not None for m in skip)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]
