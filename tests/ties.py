"""Inputs that sit exactly on a threshold, for tests of tie rules (shared by the property tests)."""

from __future__ import annotations

import math


def exact_tie(critical: float, s_diff: float) -> float | None:
    """A double ``c`` with ``c / s_diff == critical`` exactly, or None (it exists for most ``s_diff``).

    Searches the few doubles around ``critical * s_diff``, so a change of exactly ``c`` has an RCI
    of exactly the critical value.

    >>> c = exact_tie(1.959963984540054, 3.0)
    >>> c / 3.0 == 1.959963984540054
    True
    """
    c = critical * s_diff
    for _ in range(3):
        c = math.nextafter(c, 0.0)
    for _ in range(7):
        if c / s_diff == critical:
            return c
        c = math.nextafter(c, math.inf)
    return None
