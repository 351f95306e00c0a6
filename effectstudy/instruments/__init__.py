"""Instruments: the questionnaires' scoring keys (one YAML file each, in this folder), the
registry that reads them (:mod:`~effectstudy.instruments.registry`), scoring
(:mod:`~effectstudy.instruments.scoring`) and reliability
(:mod:`~effectstudy.instruments.reliability`).

``es.instruments`` is the registry: ``es.instruments.get("scl90r")``, ``.available()``,
``.load(path)``, ``.register(...)``; ``.template_path("sq48")`` is a key to complete.
"""

from effectstudy.instruments.registry import (
    SHIPPED_DIR,
    TEMPLATES_DIR,
    Band,
    Instrument,
    MissingRule,
    Norm,
    NormSet,
    Scale,
    TNorm,
    available,
    get,
    load,
    register,
    resolve,
    template_path,
    unregister,
)

__all__ = ["Norm", "NormSet", "TNorm", "Band", "Scale", "MissingRule", "Instrument", "get",
           "available", "load", "register", "unregister", "resolve", "template_path", "SHIPPED_DIR",
           "TEMPLATES_DIR"]
