"""``.. params-reference:: MODEL``: a list of every key of a typed params model.

Generated at build time from the pydantic models in ``effectstudy/core/params.py`` (their
``model_fields``, types, constraints and defaults) and the ``#:`` comment above each field (read
with Sphinx's source analyser), so the reference cannot drift from the code.  Nested sections
(``analysis.reliable_change``) are walked.  A field without a description is a build warning
(an error under ``-W``): describe it with a ``#:`` comment or ``Field(description=...)``.

Options: ``:own:`` lists only the keys the model itself declares (not those it inherits).
"""

from __future__ import annotations

import importlib
import json
import types
import typing
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from sphinx.application import Sphinx
from sphinx.pycode import ModuleAnalyzer
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

_CONSTRAINTS = {"gt": ">", "ge": "≥", "lt": "<", "le": "≤", "min_length": "at least"}


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The params section model inside ``annotation`` (``X`` or ``X | None``), else ``None``."""
    for arg in (annotation, *typing.get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def type_text(annotation: Any) -> str:
    """A reader's spelling of a field type: ``"nl" | "en"``, ``list of str``, ``null``.

    >>> type_text(typing.Literal["a", "b"] | None)
    '"a" | "b" | null'
    >>> type_text(tuple[int, int])
    '[int, int]'
    """
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is type(None) or annotation is None:
        return "null"
    if origin is typing.Literal:
        return " | ".join(json.dumps(a) if isinstance(a, str) else str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_text(a) for a in args)
    if origin is list:
        return f"list of {type_text(args[0])}"
    if origin is tuple:
        return "[" + ", ".join(type_text(a) for a in args) + "]"
    if origin is dict:
        return f"mapping {type_text(args[0])} → {type_text(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "section"
    if annotation is Path:
        return "path"
    return getattr(annotation, "__name__", str(annotation))


def constraint_text(info: FieldInfo) -> str:
    """``> 0, < 1`` from the field's annotated-types metadata; empty when unconstrained."""
    parts = []
    for item in info.metadata:
        for attr, sign in _CONSTRAINTS.items():
            value = getattr(item, attr, None)
            if value is not None:
                parts.append(f"{sign} {value}")
    return ", ".join(parts)


def value_text(value: Any) -> str:
    """A default as it would be written in YAML."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {value_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)


def default_text(info: FieldInfo) -> str:
    """The default of a field, ``required`` when it has none, empty for a section."""
    if info.is_required():
        return "required"
    value = info.default_factory() if info.default_factory is not None else info.default
    if value is PydanticUndefined:
        return "required"
    if isinstance(value, BaseModel):
        return ""
    return value_text(value)


def field_docs(model: type[BaseModel]) -> dict[str, str]:
    """Description of each field of ``model``: ``Field(description=)``, else its ``#:`` comment.

    Comments are looked up along the class hierarchy, so inherited fields keep theirs.
    """
    out: dict[str, str] = {}
    for klass in reversed(model.__mro__):
        if not (isinstance(klass, type) and issubclass(klass, BaseModel)) or klass is BaseModel:
            continue
        analyzer = ModuleAnalyzer.for_module(klass.__module__)
        for (cls_name, attr), lines in analyzer.find_attr_docs().items():
            if cls_name == klass.__qualname__ and attr in model.model_fields:
                out[attr] = " ".join(line.strip() for line in lines).strip()
    for name, info in model.model_fields.items():
        if info.description:
            out[name] = info.description
    return out


def rows(model: type[BaseModel], prefix: str, own: bool, where: str,
         seen: dict[type, str] | None = None) -> list[tuple[str, str, str, str]]:
    """(key, type, default, description) of every field of ``model``, sections walked.

    A section model met a second time (``data.measurements`` after ``data.episodes``) is not
    walked again: its row refers to the first.
    """
    seen = {} if seen is None else seen
    docs = field_docs(model)
    declared = model.__annotations__ if own else model.model_fields
    out = []
    for name, info in model.model_fields.items():
        if name not in declared:
            continue
        key = f"{prefix}{name}"
        section = _model_of(info.annotation)
        text = docs.get(name, "")
        if not text and section is not None:  # a section without a comment: its model's docstring
            text = (section.__doc__ or "").strip().split("\n\n")[0]
        if not text:
            logger.warning("params reference: %s.%s has no description (add a #: comment)",
                           model.__name__, name, location=where)
        if section is not None and section in seen:
            text = f"{text} The same keys as ``{seen[section]}``."
        kind = type_text(info.annotation)
        limits = constraint_text(info)
        out.append((key, f"{kind}, {limits}" if limits else kind, default_text(info), " ".join(text.split())))
        if section is not None and section not in seen:
            seen[section] = key
            out.extend(rows(section, f"{key}.", False, where, seen))
    return out


class ParamsReference(SphinxDirective):
    """The ``params-reference`` directive."""

    required_arguments = 1
    option_spec = {"own": lambda arg: True}

    def run(self) -> list[nodes.Node]:
        """Parse the generated definition list into nodes."""
        module_name, _, cls_name = self.arguments[0].rpartition(".")
        model = getattr(importlib.import_module(module_name), cls_name)
        self.env.note_dependency(importlib.import_module(module_name).__file__)
        lines = []
        for key, kind, default, text in rows(model, "", "own" in self.options, self.get_location()):
            default = f"default ``{default}``" if default and default != "required" else default
            lines += [f"``{key}``", f"   ``{kind}``" + (f"; {default}" if default else ""), "",
                      f"   {text}", ""]
        container = nodes.container(classes=["params-reference"])
        self.state.nested_parse(StringList(lines, source=self.get_source_info()[0]), self.content_offset,
                                container)
        return [container]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive."""
    app.add_directive("params-reference", ParamsReference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
