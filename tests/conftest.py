"""Shared test set-up: headless plotting, hypothesis profiles, small fixtures."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    # derandomize: CI runs the same examples every time (a failure is reproducible, never flaky);
    # HYPOTHESIS_PROFILE=dev or nightly explore new ones
    "ci", max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None)
# like "ci" but with fresh random examples (to look for flaky properties before they reach CI)
settings.register_profile(
    "ci_random", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("nightly", max_examples=20000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
