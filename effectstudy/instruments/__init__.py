"""Instruments: the questionnaires' scoring keys (one YAML file each, in this folder), the
registry that reads them (:mod:`~effectstudy.instruments.registry`), scoring
(:mod:`~effectstudy.instruments.scoring`) and reliability
(:mod:`~effectstudy.instruments.reliability`).

``es.instruments`` is the registry: ``es.instruments.get("scl90r")``, ``.available()``,
``.load(path)``, ``.register(...)``; ``.template_path("sq48")`` is a key to complete (the
shipped ``sq48`` is scale-level, ``items: unknown``, for score-only exports;
``.no_key_message`` says why such an instrument cannot score items).
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
    display_name,
    get,
    load,
    no_key_message,
    register,
    resolve,
    scale_names,
    template_path,
    unregister,
)

__all__ = ["Norm", "NormSet", "TNorm", "Band", "Scale", "MissingRule", "Instrument", "get",
           "display_name", "scale_names", "available", "load", "register", "unregister", "resolve", "template_path", "no_key_message",
           "SHIPPED_DIR", "TEMPLATES_DIR"]
