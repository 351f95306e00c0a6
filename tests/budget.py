"""Example budgets for the property tests (hypothesis).

Every property test states, with ``@examples(n)`` and a comment, how many examples the
derandomized CI profile gives it and what those examples must reach (each branch, each
outcome class).  More examples than that buy no coverage, only time.

The budget scales with the loaded profile (tests/conftest.py): under the CI profile a test
gets exactly ``n``; ``HYPOTHESIS_PROFILE=nightly`` multiplies every budget by 200 (the volume
run that looks for rare failures), ``dev`` by 1/2.
"""

from __future__ import annotations

from hypothesis import settings

#: max_examples of the CI profile: budgets are stated relative to it
CI_MAX_EXAMPLES = 100


def examples(n: int) -> settings:
    """Settings for a property test whose CI budget is ``n`` examples.

    Parameters
    ----------
    n : int
        Examples under the CI profile; other profiles scale it by their ``max_examples`` over
        :data:`CI_MAX_EXAMPLES`.  The other settings (derandomize, deadline) come from the
        loaded profile.

    Returns
    -------
    hypothesis.settings
        To be used as a decorator above ``@given``.

    Examples
    --------
    >>> examples(30).max_examples == max(1, round(30 * settings.default.max_examples / 100))
    True
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n: got {n!r}, expected a positive number of examples")
    scale = settings.default.max_examples / CI_MAX_EXAMPLES
    return settings(max_examples=max(1, round(n * scale)))
