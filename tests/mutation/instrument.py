"""Mutants of a module and the instrumented module that holds all of them at once.

Each mutant is one small change to an expression or statement inside a function: the kind of
slip that moves a clinical figure without crashing anything (``<`` for ``<=``, ``&`` for ``|``
on a mask, ``+ 1`` on a constant, ``max`` for ``min``).  Instead of writing one copy of the module
per mutant, the module is compiled once with every mutant in place behind a switch (a
"mutant schema", Untch, Offutt & Harrold 1993)::

    d * x <= d * value      becomes      (d * x < d * value) if _es_mutant(17) else (d * x <= d * value)

``_es_mutant(k)`` is true only in the test process that runs mutant ``k``; with no mutant active
it records which sites run, so the runner knows which tests reach each mutant.

What is mutated (the operators are listed in :data:`COMPARE`, :data:`BINARY`, :data:`SWAPS`):

- comparisons: the boundary (``<`` and ``<=``, ``>`` and ``>=``) and the negation (``==``/``!=``,
  ``in``/``not in``, ``is``/``is not``); each operator of a chain on its own;
- arithmetic and masks: ``+ -``, ``* /``, ``// /``, ``% //``, ``** *``, ``& |``, ``^ |``, also as
  augmented assignment;
- ``and``/``or``; dropping ``not``, unary ``-`` and ``~``;
- numbers: ``n`` to ``n + 1``; ``True``/``False`` swapped;
- functions and methods that pick the other end: ``min``/``max``, ``minimum``/``maximum``,
  ``floor``/``ceil``, ``any``/``all``, ``argmin``/``argmax``, ``idxmin``/``idxmax``, ...

What is not: string literals (labels and messages: other tests compare them as text; mutating
them yields mostly noise), docstrings, annotations, decorators, default values of parameters and
code at module or class level (evaluated once at import, before a mutant is switched on), and
the arguments of ``raise`` (messages).

Each mutant has a key that survives edits elsewhere in the file::

    effectstudy/kernels/change.py::rci_categories::'z > crit' -> 'z >= crit'

and ``#2``, ``#3`` ... when the same change occurs more than once in one function.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field

#: comparison operator -> its mutant (the boundary for orderings, the negation otherwise)
COMPARE: dict[type, type] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
    ast.In: ast.NotIn, ast.NotIn: ast.In,
}
#: binary operator -> its mutant
BINARY: dict[type, type] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult,
    ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd, ast.BitXor: ast.BitOr,
}
#: names (functions, methods, attributes) that pick one end, and the other end
SWAPS: dict[str, str] = {}
for _a, _b in [("min", "max"), ("minimum", "maximum"), ("nanmin", "nanmax"), ("fmin", "fmax"),
               ("floor", "ceil"), ("any", "all"), ("argmin", "argmax"), ("idxmin", "idxmax"),
               ("nanargmin", "nanargmax"), ("cummin", "cummax"), ("nsmallest", "nlargest"),
               ("first", "last")]:
    SWAPS[_a], SWAPS[_b] = _b, _a

SWITCH = "_es_mutant"


@dataclass(frozen=True)
class Mutant:
    """One mutant: where it is and what it changes."""

    id: int
    key: str            # stable name: path::function::'original' -> 'mutated'[#n]
    path: str           # the module's path, relative to the repository
    function: str       # qualified name of the enclosing function
    line: int
    original: str       # source of the node before ...
    mutated: str        # ... and after the change


@dataclass
class Instrumented:
    """A module's instrumented tree and its mutants."""

    tree: ast.Module
    mutants: list[Mutant] = field(default_factory=list)


def _short(node: ast.AST, limit: int = 90) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Mutator(ast.NodeTransformer):
    """Walks a module, puts every mutant of a function body behind the switch."""

    def __init__(self, path: str, first_id: int, skip: frozenset[str]):
        self.path, self.next_id, self.skip = path, first_id, skip
        self.mutants: list[Mutant] = []
        self.scope: list[str] = []
        self.in_function = 0
        self.seen: dict[tuple[str, str], int] = {}

    # ---------------------------------------------------------------- where to mutate
    def _function(self, node):
        self.scope.append(node.name)
        qual = ".".join(self.scope)
        if qual in self.skip or node.name in self.skip:
            self.scope.pop()
            return node
        self.in_function += 1
        body = node.body
        start = 1 if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                      and isinstance(body[0].value.value, str)) else 0
        node.body = body[:start] + [self.visit(s) for s in body[start:]]
        self.in_function -= 1
        self.scope.pop()
        return node          # decorators, defaults and annotations stay as they are

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_ClassDef(self, node):
        self.scope.append(node.name)
        node.body = [self.visit(s) if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                     else s for s in node.body]
        self.scope.pop()
        return node

    def visit_Module(self, node):
        node.body = [self.visit(s) if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                     else s for s in node.body]
        return node

    # nothing inside these is mutated
    def visit_Raise(self, node):
        return node

    def visit_JoinedStr(self, node):
        return node

    def visit_AnnAssign(self, node):
        if node.value is not None:
            node.value = self.visit(node.value)
        return node

    def visit_Lambda(self, node):
        node.body = self.visit(node.body)
        return node

    def visit_arguments(self, node):
        return node

    # ---------------------------------------------------------------- the switch
    def _register(self, node: ast.AST, variant: ast.AST) -> int:
        qual = ".".join(self.scope)
        original, mutated = _short(node), _short(variant)
        base = f"{self.path}::{qual}::{original!r} -> {mutated!r}"
        n = self.seen.get((qual, base), 0) + 1
        self.seen[(qual, base)] = n
        key = base if n == 1 else f"{base}#{n}"
        mid = self.next_id
        self.next_id += 1
        self.mutants.append(Mutant(mid, key, self.path, qual, getattr(node, "lineno", 0), original, mutated))
        return mid

    def _wrap(self, node: ast.expr, variants: list[ast.expr], ids: list[int]) -> ast.expr:
        """``variant_1 if switch(k1) else (variant_2 if switch(k2) else node)``."""
        out = node
        for mid, variant in reversed(list(zip(ids, variants, strict=True))):
            test = ast.Call(func=ast.Name(id=SWITCH, ctx=ast.Load()), args=[ast.Constant(mid)], keywords=[])
            out = ast.IfExp(test=test, body=variant, orelse=out)
        return ast.copy_location(out, node) if variants else out

    def _expr(self, node, make_variants):
        if not self.in_function:
            return self.generic_visit(node)
        original = copy.deepcopy(node)
        variants = make_variants(original)
        ids = [self._register(original, variant) for variant in variants]   # ids in source order
        node = self.generic_visit(node)
        return self._wrap(node, variants, ids)

    # ---------------------------------------------------------------- the operators
    def visit_Compare(self, node):
        def variants(orig):
            out = []
            for i, op in enumerate(orig.ops):
                if type(op) in COMPARE:
                    v = copy.deepcopy(orig)
                    v.ops[i] = COMPARE[type(op)]()
                    out.append(v)
            return out
        return self._expr(node, variants)

    def visit_BinOp(self, node):
        def variants(orig):
            if type(orig.op) not in BINARY or _is_string(orig):
                return []
            v = copy.deepcopy(orig)
            v.op = BINARY[type(orig.op)]()
            return [v]
        return self._expr(node, variants)

    def visit_BoolOp(self, node):
        def variants(orig):
            v = copy.deepcopy(orig)
            v.op = ast.Or() if isinstance(orig.op, ast.And) else ast.And()
            return [v]
        return self._expr(node, variants)

    def visit_UnaryOp(self, node):
        def variants(orig):
            if isinstance(orig.op, (ast.Not, ast.USub, ast.Invert)):
                return [copy.deepcopy(orig.operand)]
            return []
        return self._expr(node, variants)

    def visit_Constant(self, node):
        def variants(orig):
            value = orig.value
            if isinstance(value, bool):
                return [ast.Constant(not value)]
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return [ast.Constant(value + 1)]
            return []
        return self._expr(node, variants)

    def visit_Name(self, node):
        def variants(orig):
            if isinstance(orig.ctx, ast.Load) and orig.id in SWAPS:
                return [ast.Name(id=SWAPS[orig.id], ctx=ast.Load())]
            return []
        return self._expr(node, variants)

    def visit_Attribute(self, node):
        def variants(orig):
            if isinstance(orig.ctx, ast.Load) and orig.attr in SWAPS:
                v = copy.deepcopy(orig)
                v.attr = SWAPS[orig.attr]
                return [v]
            return []
        return self._expr(node, variants)

    def visit_AugAssign(self, node):
        if not self.in_function or type(node.op) not in BINARY:
            return self.generic_visit(node)
        original = copy.deepcopy(node)
        mutated = copy.deepcopy(node)
        mutated.op = BINARY[type(node.op)]()
        mid = self._register(original, mutated)
        node = self.generic_visit(node)
        test = ast.Call(func=ast.Name(id=SWITCH, ctx=ast.Load()), args=[ast.Constant(mid)], keywords=[])
        return ast.copy_location(ast.If(test=test, body=[mutated], orelse=[node]), node)


def _is_string(node: ast.BinOp) -> bool:
    """A ``+`` or ``%`` on a string literal (text, not arithmetic)."""
    return any(isinstance(side, (ast.JoinedStr,)) or
               (isinstance(side, ast.Constant) and isinstance(side.value, (str, bytes)))
               for side in (node.left, node.right))


def instrument(source: str, path: str, *, first_id: int = 1, skip: frozenset[str] = frozenset()) -> Instrumented:
    """All mutants of ``source`` (the module at ``path``) and the tree that holds them.

    ``skip`` names functions (``name`` or ``Class.name``) left as they are.  Ids run from
    ``first_id``; the compiled tree expects a global ``_es_mutant(id) -> bool``.

    >>> src = "def f(x):\\n    return x < 1\\n"
    >>> inst = instrument(src, "m.py")
    >>> [m.key for m in inst.mutants]
    ["m.py::f::'x < 1' -> 'x <= 1'", "m.py::f::'1' -> '2'"]
    >>> ns = {"_es_mutant": lambda k: k == 1}
    >>> exec(compile(inst.tree, "m.py", "exec"), ns)
    >>> ns["f"](1)
    True
    """
    tree = ast.parse(source)
    mutator = _Mutator(path, first_id, skip)
    tree = mutator.visit(tree)
    ast.fix_missing_locations(tree)
    return Instrumented(tree, mutator.mutants)


def apply(source: str, path: str, key: str, *, skip: frozenset[str] = frozenset()) -> str:
    """The source of the module with only the mutant ``key`` in place (to read or to debug it)."""
    inst = instrument(source, path, skip=skip)
    ids = {m.key: m.id for m in inst.mutants}
    if key not in ids:
        raise KeyError(f"no mutant {key!r} in {path}")
    chosen = ids[key]

    class Resolve(ast.NodeTransformer):
        @staticmethod
        def _pick(test, body, orelse):
            return body if test.args[0].value == chosen else orelse

        def visit_IfExp(self, node):
            self.generic_visit(node)
            t = node.test
            if isinstance(t, ast.Call) and isinstance(t.func, ast.Name) and t.func.id == SWITCH:
                return self._pick(t, node.body, node.orelse)
            return node

        def visit_If(self, node):
            self.generic_visit(node)
            t = node.test
            if isinstance(t, ast.Call) and isinstance(t.func, ast.Name) and t.func.id == SWITCH:
                return self._pick(t, node.body[0], node.orelse[0])
            return node

    return ast.unparse(Resolve().visit(inst.tree))
