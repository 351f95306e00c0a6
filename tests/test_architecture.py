"""The package's house rules, checked on the source (ARCHITECTURE.md).

- Stages form a line: ``core`` < ``kernels`` < ``instruments`` < ``data`` < ``datasets`` <
  ``outcomes`` < ``course`` < ``models`` < ``privacy`` < ``reports`` < ``study`` < ``cli``.
  A module never imports a later stage, at module level or inside a function.
- ``core`` imports nothing else of the package (the root's ``__version__`` only).
- Only ``reports``, ``cli`` and ``study`` import ``reports``; nothing imports ``study``
  but ``cli``.
- No private name (``_x``) is imported from another module.
- The module import graph (module-level and function-level imports) has no cycle.
- Every public verb shows its real signature and has at most 15 parameters, and no function
  has more than 150 lines of code (its docstring not counted), unless its docstring says
  why in a line starting "Size:".
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

import effectstudy as es

PACKAGE = Path(es.__file__).resolve().parent

#: the stages in pipeline order; a module may import its own stage and earlier ones
STAGES = ("core", "kernels", "instruments", "data", "datasets", "outcomes", "course", "models",
          "privacy", "reports", "study", "cli")
#: who may import ``reports``
REPORT_IMPORTERS = {"reports", "cli", "study"}


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    target: str  # dotted module name imported (a module, never a name inside it)
    names: tuple[str, ...]  # names taken from it (empty for ``import x``)
    line: int
    in_function: bool


def module_name(path: Path, root: Path, package: str) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([package, *parts])


def collect_imports(root: Path, package: str) -> tuple[set[str], list[Import]]:
    """Every package module and every import of the package's own modules."""
    files = sorted(root.rglob("*.py"))
    modules = {module_name(p, root, package) for p in files}
    found: list[Import] = []
    for p in files:
        me = module_name(p, root, package)
        is_pkg = p.name == "__init__.py"
        tree = ast.parse(p.read_text(encoding="utf-8"))
        top = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [(a.name, ()) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = me.split(".")
                    base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                targets = []
                for a in node.names:
                    sub = f"{mod}.{a.name}"
                    if sub in modules:  # ``from package import submodule``
                        targets.append((sub, ()))
                    else:
                        targets.append((mod, (a.name,)))
            else:
                continue
            for target, names in targets:
                if target == package or target.startswith(package + "."):
                    found.append(Import(me, target, names, node.lineno, id(node) not in top))
    return modules, found


def stage_of(module: str, package: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def rule_violations(root: Path, package: str = "effectstudy") -> list[str]:
    """Messages for every broken import rule in the package at ``root``."""
    modules, imports = collect_imports(root, package)
    out: list[str] = []
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for imp in imports:
        where = f"{imp.importer}:{imp.line}{' (in a function)' if imp.in_function else ''}"
        src, dst = stage_of(imp.importer, package), stage_of(imp.target, package)
        if imp.target == package:  # the root: only its version
            if set(imp.names) - {"__version__"}:
                out.append(f"{where} imports {imp.names} from the package root (use the stage's module)")
            continue
        if src == "core" and dst != "core":
            out.append(f"{where}: core imports {imp.target}")
        if src in STAGES and dst in STAGES and STAGES.index(dst) > STAGES.index(src):
            out.append(f"{where}: stage {src!r} imports the later stage {dst!r} ({imp.target})")
        if dst == "reports" and src not in REPORT_IMPORTERS:
            out.append(f"{where}: only reports, cli and study import reports ({imp.target})")
        if dst == "study" and src != "cli":
            out.append(f"{where}: only cli imports study")
        private = [n for n in imp.names if n.startswith("_") and not n.startswith("__")]
        if private and imp.target != imp.importer:
            out.append(f"{where}: private {private} imported from {imp.target}")
        if imp.target in graph and imp.target != imp.importer:
            graph[imp.importer].add(imp.target)
    out += [f"import cycle: {' -> '.join(c)}" for c in cycles(graph)]
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp) + [sorted(comp)[0]])

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_package_keeps_its_import_rules():
    assert rule_violations(PACKAGE) == []


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in files.items():
        f = root / name
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(textwrap.dedent(text))
    return root


def test_a_planted_cycle_inside_functions_is_found(tmp_path):
    root = _plant(tmp_path, {
        "__init__.py": "",
        "outcomes/__init__.py": "",
        "outcomes/a.py": "def f():\n    from pkg.outcomes import b\n",
        "outcomes/b.py": "from pkg.outcomes.a import f\n",
    })
    assert rule_violations(root, "pkg") == [
        "import cycle: pkg.outcomes.a -> pkg.outcomes.b -> pkg.outcomes.a"]


def test_planted_breaches_of_each_rule_are_named(tmp_path):
    root = _plant(tmp_path, {
        "__init__.py": "",
        "core/__init__.py": "",
        "core/labels.py": "from pkg.data.io import read\n",
        "data/__init__.py": "",
        "data/io.py": "def read():\n    from pkg.outcomes.rc import _helper\n",
        "outcomes/__init__.py": "",
        "outcomes/rc.py": "def _helper(): ...\ndef plot():\n    from pkg.reports import output\n",
        "reports/__init__.py": "",
        "reports/output.py": "",
    })
    got = "\n".join(rule_violations(root, "pkg"))
    assert "pkg.core.labels:1: core imports pkg.data.io" in got
    assert "stage 'core' imports the later stage 'data'" in got
    assert "pkg.data.io:2 (in a function): stage 'data' imports the later stage 'outcomes'" in got
    assert "private ['_helper'] imported from pkg.outcomes.rc" in got
    assert "only reports, cli and study import reports (pkg.reports.output)" in got


# ------------------------------------------------------------------ verbs and sizes
VERBS = sorted(n for n in es.__all__ if n[0].islower() and callable(getattr(es, n, None))
               and inspect.isfunction(getattr(es, n)))


@pytest.mark.parametrize("name", VERBS)
def test_every_verb_shows_its_real_signature_and_help(name):
    verb = getattr(es, name)
    params = inspect.signature(verb).parameters
    assert [p.kind for p in params.values()] != [inspect.Parameter.VAR_POSITIONAL,
                                                 inspect.Parameter.VAR_KEYWORD], name
    assert len(params) <= 15 or "Size:" in verb.__doc__, f"es.{name} takes {len(params)} parameters"
    assert verb.__doc__ and name in dir(es)


def _functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def test_no_function_over_150_lines_without_a_reason():
    long = []
    for p in sorted(PACKAGE.rglob("*.py")):
        for fn in _functions(ast.parse(p.read_text(encoding="utf-8"))):
            doc = ast.get_docstring(fn) or ""
            body = fn.body[1:] if doc else fn.body  # the docstring is not counted
            n = body[-1].end_lineno - body[0].lineno + 1 if body else 0
            if n > 150 and "Size:" not in doc:
                long.append(f"{p.relative_to(PACKAGE)}:{fn.lineno} {fn.name} ({n} lines)")
    assert long == []


def test_architecture_md_names_every_stage_and_the_readme_points_to_it():
    root = PACKAGE.parent
    text = (root / "ARCHITECTURE.md").read_text(encoding="utf-8")
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    named = set(re.findall(r"^\| `(\w+)/`", text, re.M))
    assert folders <= named | {"templates"}, folders - named
    assert named <= folders | {"templates"}, named - folders
    assert all(s in text for s in STAGES)
    assert "ARCHITECTURE.md" in (root / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 60  # one screen


def _registered_labels(tree: ast.AST) -> set[str]:
    """Names a module registers: the string keys of dict literals passed to register(...)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "register":
            for arg in node.args:
                if isinstance(arg, ast.Dict):
                    names |= {k.value for k in arg.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    return names


def test_a_label_never_depends_on_which_module_was_imported_first():
    # label("k") falls back to "K" while no module has registered k: a module may only use a
    # label registered in core/labels.py, by itself or by a module it imports
    pkg = Path(es.__file__).parent
    trees = {p: ast.parse(p.read_text(encoding="utf-8")) for p in pkg.rglob("*.py")}
    regs = {p.relative_to(pkg.parent).with_suffix("").as_posix().replace("/", "."): _registered_labels(t)
            for p, t in trees.items()}
    core = regs["effectstudy.core.labels"] | set(es.core.labels._LABELS)
    bad = []
    for p, tree in trees.items():
        mod = p.relative_to(pkg.parent).with_suffix("").as_posix().replace("/", ".")
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        seen = core | regs[mod] | set().union(*(regs.get(m, set()) for m in imported))
        for n in ast.walk(tree):
            if (isinstance(n, ast.Call) and getattr(n.func, "id", None) == "label" and n.args
                    and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str)):
                k = n.args[0].value
                owners = [m for m, r in regs.items() if k in r]
                if k not in seen and owners:
                    bad.append(f"{mod} uses label {k!r} registered only in {owners}")
    assert not bad, "\n".join(bad)
