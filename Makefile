# effectstudy: the two commands a newcomer needs are `make demo` and `make test`.
# Every target creates .venv and installs the project when needed: the exact versions (with
# hashes) of uv.lock, once per change of pyproject.toml or uv.lock. uv itself (pinned below)
# is bootstrapped into .venv with the machine's pip. (uv rather than pip-tools: it locks this
# project for every platform in one file in about 2 s; pip-compile takes minutes, per
# platform.) `make lock` updates uv.lock after a change of pyproject.toml; `make check` (CI,
# after make test) fails when the lock is out of sync and runs the fast tests at the lowest
# versions pyproject.toml allows.

PYTHON     ?= python3
UV_VERSION := 0.13.9
VENV       := .venv
BIN        := $(VENV)/bin
UV         := UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv
STAMP      := $(VENV)/.installed
EXTRAS     := --extra notebooks --extra dev

.PHONY: demo test test-fast test-thorough test-fuzz wheel-check mutate bench lab lint clean install lock lock-check test-lowest check

# The demo: the effect study and two yearly summaries (2023, then 2024 with 2023 as its trend)
# on the shipped synthetic data, written to reports/ (git-ignored).
RUN := $(BIN)/effectstudy run --no-progress

install: $(STAMP)

# uv itself, once: the machine's Python makes .venv, its pip installs the pinned uv.
$(BIN)/uv:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"

LOCK_STALE := { echo "uv.lock is out of sync with pyproject.toml: run make lock and commit uv.lock" >&2; exit 1; }

# --locked: install exactly uv.lock, and stop (saying `make lock`) when it no longer matches
# pyproject.toml; --inexact keeps what uv does not manage (pip, uv itself, the kernel spec);
# --compile-bytecode writes the .pyc files once (~15 s): where PYTHONDONTWRITEBYTECODE is set,
# as on CI machines, every run otherwise compiles pandas, scipy, matplotlib ... anew (the imports
# of a report run: 6.8 s instead of 2.3 s; the demo report 16 s instead of 8.5 s).
$(STAMP): pyproject.toml uv.lock | $(BIN)/uv
	@$(UV) sync --quiet --locked --inexact --compile-bytecode $(EXTRAS) || $(LOCK_STALE)
	$(BIN)/python -m ipykernel install --sys-prefix --name effectstudy --display-name "Python (effectstudy)" >/dev/null
	@touch $(STAMP)

# Update uv.lock after editing the dependencies in pyproject.toml (commit both).
lock: | $(BIN)/uv
	$(UV) lock

lock-check: $(STAMP)
	@$(UV) lock --check || $(LOCK_STALE)

demo: $(STAMP)
	@$(BIN)/effectstudy validate -f params/demo.yaml --show 0
	@echo
	@$(RUN) notebooks/effect_study.ipynb -f params/demo.yaml
	@$(RUN) notebooks/yearly_summary.ipynb -f params/demo-yearly-2023.yaml >/dev/null
	@$(RUN) notebooks/yearly_summary.ipynb -f params/demo-yearly-2024.yaml

# The whole suite (notebook runs, browser, kill tests included) in parallel on every core
# (pytest-xdist). --dist loadfile keeps a module's tests on one worker (its module fixtures are
# built once); notebook runs shared across modules are made once under a file lock
# (tests/conftest.py). (--dist loadgroup would be finer, but pytest 9 ignores its xdist_group
# marks.) make test-fast leaves out the tests marked slow; every module's logic is still tested.
# PYTEST_ARGS passes more options, e.g. make test PYTEST_ARGS="-n 0 --durations=30".
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n auto --dist loadfile

test: $(STAMP)
	$(PYTEST) $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(PYTEST) -m "not slow" $(PYTEST_ARGS)

# The fast tests and the wheel test at the lowest versions pyproject.toml allows (uv's
# lowest-direct resolution: every direct dependency at its floor), in a venv of its own, so that
# a lower bound cannot go false unnoticed (twine's did: 5.1 cannot read the wheel's metadata
# 2.4). The installed versions are printed (the "+ name==version" lines).
LOWEST := .venv-lowest

test-lowest: $(STAMP)
	rm -rf $(LOWEST)
	$(BIN)/uv venv --quiet --python $(BIN)/python $(LOWEST)
	$(BIN)/uv pip install --python $(LOWEST)/bin/python --resolution lowest-direct -e ".[notebooks,dev]" \
	  >$(LOWEST)/install.log 2>&1 || { cat $(LOWEST)/install.log; exit 1; }
	@grep -iE '^ \+ (numpy|pandas|scipy|statsmodels|pingouin|matplotlib|seaborn|pyyaml|pydantic|pyreadstat|openpyxl|pyarrow|duckdb|papermill|nbformat|nbconvert|ipykernel|jupyterlab|pytest|pytest-xdist|hypothesis|build|twine)==' $(LOWEST)/install.log
	EFFECTSTUDY_LOWEST_VERSIONS=1 UV=$(CURDIR)/$(BIN)/uv PYTHONDONTWRITEBYTECODE= $(LOWEST)/bin/python -m pytest \
	  -n auto --dist loadfile -m "not slow or packaging" -q -p no:cacheprovider $(PYTEST_ARGS)

# The wheel and sdist (tests/packaging, about a minute with uv; marked packaging, which only
# -m packaging runs, see OPT_IN_MARKERS in tests/conftest.py): build both, twine check --strict, install
# the wheel in a fresh venv and run effectstudy --help, load_example(), init and the effect study
# from a folder outside the repository. uv: UV=path, else next to .venv/bin/python, else on PATH.
wheel-check: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -m packaging tests/packaging $(PYTEST_ARGS)

# The disclosure attacker (tests/reports/test_attacker.py) on 18 generated practices and on the
# real notebook runs, HTML included: about 2 minutes of CPU per worker. --dist load spreads the
# practices over the cores. More practices: EFFECTSTUDY_ATTACKER_PRACTICES=100 make test-thorough.
test-thorough: $(STAMP)
	$(PYTEST) --dist load -m thorough tests/reports/test_attacker.py $(PYTEST_ARGS)

# The fuzz test of the CSV/text reader (tests/data/test_fuzz.py: mutated example exports give
# only effectstudy errors, and rows read = used + excluded) with FUZZ_EXAMPLES mutated exports
# instead of make test's 160 (and a twelfth as many mutated studies): 2,000 in make check (about
# 3 minutes of CPU); the slow run before a release: make test-fuzz FUZZ_EXAMPLES=10000. The
# examples are derandomised, the same every run. --dist load puts the two properties on two cores.
FUZZ_EXAMPLES ?= 2000

test-fuzz: $(STAMP)
	EFFECTSTUDY_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PYTEST) --dist load -p no:cacheprovider tests/data/test_fuzz.py $(PYTEST_ARGS)

# Everything CI runs after make test.
check: lock-check test-lowest wheel-check test-thorough test-fuzz docs

# Mutation testing of the core modules (tests/mutation/, about 15 minutes on 2 cores): first every
# planted bug of tests/mutation/planted.yaml must be caught by its test, then every mutant of the
# modules in tests/mutation/config.yaml must be killed by the module's own tests or be listed in
# tests/mutation/equivalent/<stage>.<module>.yaml with its reason. MUTATE_ARGS="effectstudy/kernels/change.py"
# mutates one module.
mutate: $(STAMP)
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m tests.mutation.mutate --planted
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m tests.mutation.mutate $(MUTATE_ARGS)

bench: $(STAMP)
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=. $(if $(filter 0,$(shell id -u)),--allow-root,)

# The documentation site (docs/, Sphinx + numpydoc; docs/README.md): built from scratch each time
# (autodoc does not notice a changed docstring), offline, warnings are errors.
DOCS_STAMP  := $(VENV)/.installed-docs

$(DOCS_STAMP): $(STAMP)
	@$(UV) sync --quiet --locked --inexact $(EXTRAS) --extra docs
	@touch $(DOCS_STAMP)

.PHONY: docs
docs: $(DOCS_STAMP)
	@rm -rf docs/_build docs/generated
	$(BIN)/python -m sphinx -b html -E -W --keep-going -q -d docs/_build/doctrees docs docs/_build/html
	@$(BIN)/python docs/check_offline.py docs/_build/html
	@echo "documentation: $(CURDIR)/docs/_build/html/index.html"

lint: $(STAMP)
	$(BIN)/ruff check effectstudy tests benchmarks

clean:
	rm -rf $(VENV) $(LOWEST) reports .pytest_cache
