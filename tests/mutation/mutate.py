"""Mutation testing of the core modules: ``make mutate`` (``python -m tests.mutation.mutate``).

Does the suite notice a small realistic bug in the code that decides clinical figures?  Every
mutant (see :mod:`tests.mutation.instrument` for the operators) is switched on, one at a time, in
a forked copy of one prepared process, and the module's own tests (``config.yaml``) that reach
it are run.  A mutant is *killed* when a test fails (or the run exceeds its time limit), *survives*
when they all pass and is *not reached* when no test executes it.  Every survivor must be listed in
``equivalent/<module>.yaml`` (e.g. ``equivalent/kernels.change.yaml``) with a one-line reason it cannot change a result; the run fails when one is
not, when a listed one is killed after all (the list is then wrong), or when the score (killed over
all mutants) is below the configured threshold.

Why a script of our own over ``ast`` rather than mutmut or cosmic-ray: it mutates only operators
that decide numbers and categories (no string mutants: messages and labels would swamp the
survivor list), its mutant keys name the function and the change instead of a running number,
so the equivalent lists stay valid when other code moves, it needs no copy of the tree, and the
same machinery checks the planted bugs of ``planted.yaml`` (``--planted``).

How it runs: the parent imports the dependencies, the package with all mutants compiled in
(switched off) and the test modules once.  A first forked run executes the own tests of every
selected module and records, per test (and per fixture, so cached fixtures count for every test
that uses them), which mutation sites ran.  Then each mutant is a fork that switches it on and
runs, with ``-x``, only the tests that reached it.  ``--jobs`` forks run at a time.

Usage::

    python -m tests.mutation.mutate                      # all modules of config.yaml
    python -m tests.mutation.mutate effectstudy/kernels/change.py --jobs 2
    python -m tests.mutation.mutate --list effectstudy/kernels/proportions.py
    python -m tests.mutation.mutate --show "effectstudy/kernels/...::f::'a < b' -> 'a <= b'"
    python -m tests.mutation.mutate --planted            # each planted bug is caught by its test

Results go to ``reports/mutation/`` (git-ignored): ``results.json`` and ``survivors.txt``.
"""

from __future__ import annotations

import argparse
import difflib
import fnmatch
import glob
import importlib.abc
import importlib.util
import json
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.mutation.instrument import SWITCH, Mutant, apply, instrument

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
OUT = ROOT / "reports" / "mutation"
PYTEST_OPTS = ["-q", "-p", "no:cacheprovider", "-o", "addopts=", "--doctest-modules", "--assert=plain",
               "-m", "not slow", "--no-header", "-W", "error"]


# ------------------------------------------------------------------ the switch
class Switch:
    """``_es_mutant(k)``: is mutant ``k`` on?  Records the sites reached while ``hits`` is a set."""

    def __init__(self):
        self.active = 0
        self.hits: set[int] | None = None

    def __call__(self, k: int) -> bool:
        if self.hits is not None:
            self.hits.add(k)
        return k == self.active


SW = Switch()


def module_name(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


class _Loader(importlib.abc.Loader):
    def __init__(self, code):
        self.code = code

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__dict__[SWITCH] = SW
        exec(self.code, module.__dict__)


class _Finder(importlib.abc.MetaPathFinder):
    """Serves the given modules from compiled code (instrumented or patched) instead of their file."""

    def __init__(self, codes: dict[str, object]):
        self.codes = codes

    def find_spec(self, name, path=None, target=None):
        if name not in self.codes:
            return None
        file = ROOT / (name.replace(".", "/") + ".py")
        return importlib.util.spec_from_file_location(name, file, loader=_Loader(self.codes[name]))


def install(codes: dict[str, object]) -> None:
    if any(name.startswith("effectstudy") for name in sys.modules):
        raise RuntimeError("effectstudy was imported before the mutants were installed")
    sys.meta_path.insert(0, _Finder(codes))


# ------------------------------------------------------------------ configuration
@dataclass
class Config:
    threshold: float
    modules: dict[str, list[str]]          # module path -> its own test files
    skip: dict[str, dict[str, str]]        # module path -> function -> reason
    equivalent: dict[str, str]             # mutant key -> reason


def load_config() -> Config:
    cfg = yaml.safe_load((HERE / "config.yaml").read_text())
    modules = {}
    for path, patterns in cfg["modules"].items():
        files = sorted({str(Path(f)) for p in patterns for f in glob.glob(str(ROOT / p))})
        modules[path] = [str(Path(f).relative_to(ROOT)) for f in files] + [path]  # + its doctests
    equivalent: dict[str, str] = {}
    for file in sorted((HERE / "equivalent").glob("*.yaml")):
        try:
            entries = yaml.safe_load(file.read_text()) or {}
        except yaml.YAMLError as exc:
            raise SystemExit(f"{file.relative_to(ROOT)} is not valid YAML (quote a reason that holds "
                             f"': '):\n{exc}") from None
        if not isinstance(entries, dict):
            raise SystemExit(f"{file.relative_to(ROOT)}: expected lines '\"<mutant key>\": reason'")
        equivalent |= entries
    return Config(cfg["threshold"], modules, cfg.get("skip") or {}, equivalent)


def build(cfg: Config, paths: list[str]) -> tuple[dict[str, object], list[Mutant]]:
    codes, mutants, next_id = {}, [], 1
    for path in paths:
        skip = frozenset((cfg.skip.get(path) or {}).keys())
        inst = instrument((ROOT / path).read_text(), path, first_id=next_id, skip=skip)
        codes[module_name(path)] = compile(inst.tree, str(ROOT / path), "exec")
        mutants += inst.mutants
        next_id += len(inst.mutants)
    return codes, mutants


def preload(test_files: list[str]) -> None:
    """Import what every fork needs once, in the parent: the package and the test modules."""
    import matplotlib

    matplotlib.use("Agg")
    import effectstudy  # noqa: F401
    os.chdir(ROOT)
    with open(os.devnull, "w") as null:
        saved = os.dup(1), os.dup(2)
        os.dup2(null.fileno(), 1)
        os.dup2(null.fileno(), 2)
        try:
            rc = pytest.main([*test_files, "--collect-only", *PYTEST_OPTS])
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
    if rc not in (0, 5):
        raise SystemExit(f"collecting the tests failed (pytest exit {rc}); run them with pytest to see why")


# ------------------------------------------------------------------ runs in forks
def _fork(target, *, quiet: bool = True) -> int:
    pid = os.fork()
    if pid == 0:  # the child
        code = 3
        try:
            if quiet:
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, 1)
                os.dup2(null, 2)
            code = target()
        except BaseException:  # noqa: BLE001 - a child reports through its exit code only
            code = 3
        finally:
            os._exit(code)
    return pid


class Coverage:
    """pytest plugin: which mutation sites each test reaches (its fixtures' included)."""

    def __init__(self):
        self.fixtures: dict[int, set[int]] = {}
        self.tests: dict[str, dict] = {}

    def _frame(self):
        saved, SW.hits = SW.hits, set()
        return saved

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        saved = self._frame()
        yield
        self.fixtures.setdefault(id(fixturedef), set()).update(SW.hits)
        saved.update(SW.hits)
        SW.hits = saved

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        SW.hits = set()
        start = time.perf_counter()
        yield
        hits = set(SW.hits)
        info = getattr(item, "_fixtureinfo", None)
        for name in getattr(item, "fixturenames", ()):
            for fdef in (info.name2fixturedefs.get(name, ()) if info else ()):
                hits |= self.fixtures.get(id(fdef), set())
        self.tests[item.nodeid] = {"hits": sorted(hits), "seconds": time.perf_counter() - start,
                                   "failed": self.tests.get(item.nodeid, {}).get("failed", False)}

    def pytest_runtest_logreport(self, report):
        if report.failed:
            self.tests.setdefault(report.nodeid, {"hits": [], "seconds": 0})["failed"] = True



def baseline(test_files: list[str]) -> dict[str, dict]:
    """Run all own tests once (no mutant on) and record the sites each one reaches."""
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / "coverage.json"

    def run():
        cov = Coverage()
        rc = pytest.main([*test_files, *PYTEST_OPTS], plugins=[cov])
        out.write_text(json.dumps(cov.tests))
        return rc

    pid = _fork(run)
    _, status = os.waitpid(pid, 0)
    tests = json.loads(out.read_text()) if out.exists() else {}
    failed = [t for t, v in tests.items() if v.get("failed")]
    if os.waitstatus_to_exitcode(status) != 0 or failed:
        raise SystemExit("the tests fail without any mutant: " + (", ".join(failed[:10]) or
                         f"pytest exit {os.waitstatus_to_exitcode(status)}") +
                         f"\nrun: python -m pytest {' '.join(test_files)}")
    return tests


def _owned(nodeid: str, files: list[str]) -> bool:
    path = nodeid.split("::", 1)[0]
    return any(fnmatch.fnmatch(path, f) for f in files)


def run_mutants(mutants: list[Mutant], cfg: Config, tests: dict[str, dict], jobs: int,
                progress: bool = True) -> dict[str, dict]:
    """Each mutant in a fork of its own, ``jobs`` at a time; returns key -> outcome."""
    order = list(tests)  # collection order
    hits = {t: set(v["hits"]) for t, v in tests.items()}
    results: dict[str, dict] = {}
    queue = []
    for m in mutants:
        own = cfg.modules[m.path]
        # quickest first: with -x a killed mutant stops at its first failing test
        chosen = sorted((t for t in order if m.id in hits[t] and _owned(t, own)),
                        key=lambda t: tests[t]["seconds"])
        if not chosen:
            results[m.key] = {"status": "not reached", "tests": 0, "seconds": 0.0}
        else:
            budget = 20 + 3 * sum(tests[t]["seconds"] for t in chosen)
            queue.append((m, chosen, budget))
    running: dict[int, tuple] = {}
    done, total, t0 = 0, len(queue), time.perf_counter()
    while queue or running:
        while queue and len(running) < jobs:
            m, chosen, budget = queue.pop(0)

            def run(m=m, chosen=chosen):
                SW.active, SW.hits = m.id, None
                return int(pytest.main([*chosen, "-x", *PYTEST_OPTS]))

            running[_fork(run)] = (m, chosen, budget, time.perf_counter())
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            now = time.perf_counter()
            for p, (_m, _chosen, budget, start) in list(running.items()):
                if now - start > budget:
                    os.kill(p, signal.SIGKILL)
            time.sleep(0.01)
            continue
        m, chosen, budget, start = running.pop(pid)
        code = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        status_ = ("survived" if code == 0 else "timeout" if code == -signal.SIGKILL else "killed")
        results[m.key] = {"status": status_, "tests": len(chosen), "seconds": round(seconds, 2)}
        done += 1
        if progress and (done % 25 == 0 or done == total):
            print(f"  {done}/{total} mutants run, {time.perf_counter() - t0:.0f} s", flush=True)
    return results


# ------------------------------------------------------------------ the report
def report(mutants: list[Mutant], results: dict[str, dict], cfg: Config, seconds: float) -> int:
    by_module: dict[str, dict[str, int]] = {}
    problems, lines = [], []
    sources = {p: (ROOT / p).read_text().splitlines() for p in {m.path for m in mutants}}
    for m in mutants:
        r = results[m.key]
        st = r["status"]
        if st in ("survived", "not reached"):
            st = "equivalent" if m.key in cfg.equivalent else st
        c = by_module.setdefault(m.path, {})
        c[st] = c.get(st, 0) + 1
        c["all"] = c.get("all", 0) + 1
        if st in ("survived", "not reached"):
            problems.append(m)
            lines.append(f"{st}: {m.key}\n  {m.path}:{m.line}: {sources[m.path][m.line - 1].strip()}")
        if m.key in cfg.equivalent and r["status"] in ("killed", "timeout"):
            lines.append(f"listed as equivalent but killed (remove it from tests/mutation/equivalent/): {m.key}")
            problems.append(m)
    total = {k: sum(c.get(k, 0) for c in by_module.values())
             for k in ("all", "killed", "timeout", "equivalent", "survived", "not reached")}
    print(f"\n{'module':48} {'mutants':>7} {'killed':>7} {'timeout':>7} {'equiv.':>7} "
          f"{'surv.':>6} {'unrch.':>6} {'score':>7}")
    for path, c in [*sorted(by_module.items()), ("all modules", total)]:
        k = c.get("killed", 0) + c.get("timeout", 0)
        print(f"{path:48} {c.get('all', 0):7d} {c.get('killed', 0):7d} {c.get('timeout', 0):7d} "
              f"{c.get('equivalent', 0):7d} {c.get('survived', 0):6d} {c.get('not reached', 0):6d} "
              f"{k / max(c.get('all', 1), 1):7.1%}")
    score = (total["killed"] + total["timeout"]) / max(total["all"], 1)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(
        {"score": score, "seconds": round(seconds, 1), "modules": by_module,
         "mutants": {m.key: {"line": m.line, **results[m.key],
                             "equivalent": cfg.equivalent.get(m.key)} for m in mutants}}, indent=1))
    (OUT / "survivors.txt").write_text("\n".join(lines) + ("\n" if lines else ""))
    print(f"\nscore {score:.1%} (killed or timed out / all {total['all']} mutants; "
          f"threshold {cfg.threshold:.0%}), {total['equivalent']} equivalent (tests/mutation/equivalent/), "
          f"{seconds:.0f} s. Details: {OUT.relative_to(ROOT)}/")
    if lines:
        print("\n" + "\n".join(lines))
        print("\nKill each survivor with a test, or list it in tests/mutation/equivalent/<stage>.<module>.yaml "
              "with the reason it cannot change a result.")
    return 0 if not problems and score >= cfg.threshold else 1


# ------------------------------------------------------------------ planted bugs
def planted() -> int:
    """Each bug of ``planted.yaml`` makes its tests fail; the unchanged code passes them."""
    entries = yaml.safe_load((HERE / "planted.yaml").read_text())
    import matplotlib

    matplotlib.use("Agg")
    # loaded once here, not in each fork
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import scipy.stats  # noqa: F401
    import statsmodels.api  # noqa: F401

    os.chdir(ROOT)
    failures = 0
    print(f"{'item':10} {'caught':7} {'clean':6}  rule")
    for e in entries:
        source = (ROOT / e["file"]).read_text()
        if source.count(e["old"]) != 1:
            print(f"{e['item']!s:10} the text to replace occurs {source.count(e['old'])} times in {e['file']}")
            failures += 1
            continue
        outcome = []
        for text in (source.replace(e["old"], e["new"]), source):
            def run(text=text, e=e):
                install({module_name(e["file"]): compile(text, str(ROOT / e["file"]), "exec")})
                return int(pytest.main([*e["tests"], *PYTEST_OPTS]))
            _, status = os.waitpid(_fork(run), 0)
            outcome.append(os.waitstatus_to_exitcode(status))
        caught, clean = outcome[0] == 1, outcome[1] == 0
        failures += not (caught and clean)
        print(f"{e['item']!s:10} {'yes' if caught else 'NO':7} {'yes' if clean else 'NO':6}  {e['rule']}")
    print(f"\n{len(entries) - failures} of {len(entries)} planted bugs caught by their tests")
    return 1 if failures else 0


# ------------------------------------------------------------------ command line
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.mutation.mutate", description=__doc__.split("\n")[0])
    ap.add_argument("modules", nargs="*", help="module paths (default: all of config.yaml)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--list", action="store_true", help="list the mutants and stop")
    ap.add_argument("--show", metavar="KEY", help="print the diff of one mutant and stop")
    ap.add_argument("--planted", action="store_true", help="check the planted bugs of planted.yaml")
    args = ap.parse_args(argv)
    cfg = load_config()
    if args.planted:
        return planted()
    paths = args.modules or list(cfg.modules)
    unknown = [p for p in paths if p not in cfg.modules]
    if unknown:
        ap.error(f"not in tests/mutation/config.yaml: {', '.join(unknown)}")
    if args.show:
        path = args.show.split("::", 1)[0]
        src = (ROOT / path).read_text()
        mutated = apply(src, path, args.show, skip=frozenset((cfg.skip.get(path) or {}).keys()))
        import ast
        base = ast.unparse(ast.parse(src))
        sys.stdout.writelines(difflib.unified_diff(base.splitlines(True), (mutated + "\n").splitlines(True),
                                                   path, f"{path} (mutant)", n=2))
        return 0
    codes, mutants = build(cfg, paths)
    if args.list:
        for m in mutants:
            print(f"{m.line:5d}  {m.key}")
        print(f"{len(mutants)} mutants")
        return 0
    t0 = time.perf_counter()
    install(codes)
    test_files = sorted({f for p in paths for f in cfg.modules[p]})
    preload(test_files)
    print(f"{len(mutants)} mutants in {len(paths)} modules; recording which tests reach them ...", flush=True)
    tests = baseline(test_files)
    print(f"  {len(tests)} tests, {time.perf_counter() - t0:.0f} s", flush=True)
    results = run_mutants(mutants, cfg, tests, args.jobs)
    return report(mutants, results, cfg, time.perf_counter() - t0)


if __name__ == "__main__":
    sys.exit(main())
