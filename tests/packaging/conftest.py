"""The packaging tests run only when asked for by name: ``pytest -m packaging`` (make wheel-check).

They build and install the wheel (about a minute), so every other run leaves them out, whatever
its ``-m`` expression (``make test``, ``make test-fast``, a lowest-versions run with
``-m "not slow"``, a plain ``pytest``).
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "packaging" in (config.option.markexpr or ""):
        return  # -m packaging runs them; -m "not packaging" deselects them itself
    dropped = [item for item in items if item.get_closest_marker("packaging") is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item.get_closest_marker("packaging") is None]
