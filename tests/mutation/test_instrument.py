"""The mutation tool itself: which mutants it makes, that the switch turns exactly one on, and that
its lists (equivalent/, planted.yaml) still match the code."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from tests.mutation.instrument import apply, instrument
from tests.mutation.mutate import HERE, ROOT, load_config


def _changes(src: str) -> list[tuple[str, str]]:
    return [(m.original, m.mutated) for m in instrument(textwrap.dedent(src), "m.py").mutants]


def _run(src: str, active: int, fn: str, *args):
    inst = instrument(textwrap.dedent(src), "m.py")
    ns = {"_es_mutant": lambda k: k == active}
    exec(compile(inst.tree, "m.py", "exec"), ns)
    return ns[fn](*args)


@pytest.mark.parametrize("expr, mutated", [
    ("a < b", "a <= b"), ("a <= b", "a < b"), ("a > b", "a >= b"), ("a >= b", "a > b"),
    ("a == b", "a != b"), ("a != b", "a == b"), ("a in b", "a not in b"), ("a is None", "a is not None"),
    ("a + b", "a - b"), ("a - b", "a + b"), ("a * b", "a / b"), ("a / b", "a * b"),
    ("a // b", "a / b"), ("a % b", "a // b"), ("a ** b", "a * b"),
    ("a & b", "a | b"), ("a | b", "a & b"), ("a ^ b", "a | b"),
    ("a and b", "a or b"), ("a or b", "a and b"), ("not a", "a"), ("-a", "a"), ("~a", "a"),
])
def test_each_operator_has_its_mutant(expr, mutated):
    assert _changes(f"def f(a, b):\n    return {expr}\n") == [(expr, mutated)]


@pytest.mark.parametrize("expr, name, other", [
    ("min(a)", "min", "max"), ("np.maximum(a, b)", "np.maximum", "np.minimum"),
    ("s.any()", "s.any", "s.all"), ("math.floor(a)", "math.floor", "math.ceil"),
    ("g.idxmax()", "g.idxmax", "g.idxmin"),
])
def test_functions_that_pick_one_end_are_swapped_for_the_other(expr, name, other):
    assert _changes(f"def f(a, b):\n    return {expr}\n") == [(name, other)]


def test_numbers_are_raised_by_one_and_booleans_flipped():
    assert _changes("def f():\n    return 2, 0.5, True\n") == [("2", "3"), ("0.5", "1.5"), ("True", "False")]


def test_each_operator_of_a_chained_comparison_on_its_own():
    assert _changes("def f(a, b, c):\n    return a < b <= c\n") == [
        ("a < b <= c", "a <= b <= c"), ("a < b <= c", "a < b < c")]


def test_augmented_assignment_is_mutated_as_a_statement():
    src = "def f(x):\n    x += 2\n    return x\n"
    assert ("x += 2", "x -= 2") in _changes(src)
    key = next(m for m in instrument(src, "m.py").mutants if m.original == "x += 2")
    assert _run(src, 0, "f", 1) == 3
    assert _run(src, key.id, "f", 1) == -1


def test_what_is_left_alone():
    src = '''
    LIMIT = 50                                     # module level: evaluated at import

    class C:
        WIDTH = 3                                  # class level

    @decorate(1)
    def f(a: int = 5, b=True) -> int:
        """A docstring with 1 < 2."""
        msg = "text" + "more"                      # strings are text, not arithmetic
        label = f"{a + 1}"                          # f-strings are messages
        if a < 0:
            raise ValueError(a + 1, "bad")          # the arguments of raise are messages
        z: int = 3
        return "x"
    '''
    assert sorted(_changes(src)) == [("0", "1"), ("3", "4"), ("a < 0", "a <= 0")]


def test_the_switch_turns_on_exactly_one_mutant():
    src = "def f(x):\n    return x < 1 and x > -1\n"
    inst = instrument(src, "m.py")
    off = [_run(src, 0, "f", v) for v in (-1, 0, 1)]
    assert off == [False, True, False]
    results = {m.mutated: [_run(src, m.id, "f", v) for v in (-1, 0, 1)] for m in inst.mutants}
    assert results["x <= 1"] == [False, True, True]
    assert results["x >= -1"] == [True, True, False]
    assert results["x < 1 or x > -1"] == [True, True, True]


def test_keys_name_function_and_change_and_survive_edits_elsewhere():
    src = "def f(x):\n    return x < 1 or x < 1\n"
    keys = [m.key for m in instrument(src, "m.py").mutants]
    assert "m.py::f::'x < 1' -> 'x <= 1'" in keys and "m.py::f::'x < 1' -> 'x <= 1'#2" in keys
    moved = "def g(y):\n    return y * 2\n\n\n" + src
    assert set(keys) <= {m.key for m in instrument(moved, "m.py").mutants}


def test_apply_writes_the_source_with_one_mutant():
    src = "def f(x):\n    return x < 1\n"
    assert apply(src, "m.py", "m.py::f::'x < 1' -> 'x <= 1'") == "def f(x):\n    return x <= 1"
    with pytest.raises(KeyError, match="no mutant"):
        apply(src, "m.py", "m.py::f::'x' -> 'y'")


def test_equivalent_list_names_existing_mutants_of_configured_modules():
    """A listed mutant that no longer exists (the code changed) must be looked at again."""
    cfg = load_config()
    keys = set()
    for path in cfg.modules:
        skip = frozenset((cfg.skip.get(path) or {}).keys())
        keys |= {m.key for m in instrument((ROOT / path).read_text(), path, skip=skip).mutants}
    stale = sorted(set(cfg.equivalent) - keys)
    assert not stale, f"the equivalent lists name mutants that no longer exist: {stale}"
    assert all(isinstance(r, str) and len(r.strip()) > 10 for r in cfg.equivalent.values()), \
        "every equivalent mutant needs its reason"


def test_planted_bugs_still_apply_to_the_code():
    """Each planted bug's text occurs exactly once, so make mutate --planted still plants it."""
    entries = yaml.safe_load((HERE / "planted.yaml").read_text())
    for e in entries:
        assert (ROOT / e["file"]).read_text().count(e["old"]) == 1, (e["item"], e["file"])
        for t in e["tests"]:
            assert (ROOT / t.split("::")[0]).exists(), t
