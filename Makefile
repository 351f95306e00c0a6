# effectstudy: the two commands a newcomer needs are `make demo` and `make test`.
# Every target creates .venv and installs the project when needed (once per change of pyproject.toml).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast wheel-check mutate bench lab lint clean install

# The demo: the effect study and two yearly summaries (2023, then 2024 with 2023 as its trend)
# on the shipped synthetic data, written to reports/ (git-ignored).
RUN := $(BIN)/effectstudy run --no-progress

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[notebooks,dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name effectstudy --display-name "Python (effectstudy)" >/dev/null
	@touch $(STAMP)

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

# The wheel and sdist (tests/packaging, about a minute with uv; marked packaging, which only
# -m packaging runs, see tests/packaging/conftest.py): build both, twine check --strict, install
# the wheel in a fresh venv and run effectstudy --help, load_example(), init and the effect study
# from a folder outside the repository. uv: UV=path, else next to .venv/bin/python, else on PATH.
wheel-check: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -m packaging tests/packaging $(PYTEST_ARGS)

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

lint: $(STAMP)
	$(BIN)/ruff check effectstudy tests benchmarks

clean:
	rm -rf $(VENV) reports .pytest_cache
