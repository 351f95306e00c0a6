"""Modules that share their name with the verb they define.

``effectstudy.reliability`` is both a module and the public function ``es.reliability``.
Once such a module has been imported (``from effectstudy.reliability import ...``), Python
sets the package attribute ``effectstudy.reliability`` to the *module*, which shadows the
lazy export of the function.  :func:`callable_module` makes the module callable, forwarding
to the verb unchanged, so ``es.reliability(...)`` works either way.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["callable_module"]


def callable_module(module_name: str, verb: str) -> None:
    """Make ``sys.modules[module_name]`` callable as its function ``verb``.

    Call it at the end of the module: ``callable_module(__name__, "reliability")``.
    """
    module = sys.modules[module_name]

    class _VerbModule(type(module)):  # type: ignore[misc]
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return getattr(self, verb)(*args, **kwargs)

    module.__class__ = _VerbModule
