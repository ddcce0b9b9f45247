# Two commands for a fresh machine with Python 3.10+ and make:
#   make test   - set everything up, then lint, types, the documentation build, unit,
#                 integration and browser tests, on this Python
#   make demo   - set up what the demo needs (its own group), then serve it on http://127.0.0.1:6543/
# More: make docs (the site, into site/), make test-all (the suite on every Python
# installed, through nox), make bench, make fuzz, make load, make dist.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test test-all test-others lint types unit docs demo bench bench-e2e fuzz load system-deps clean dist

# constraints.txt pins the versions CI tests with, resolved for Python 3.11; on
# another Python, pip picks the newest versions that fit the ranges in pyproject.toml.
CONSTRAINTS := $(shell $(PYTHON) -c 'import sys; print("-c constraints.txt" if sys.version_info[:2] == (3, 11) else "")')

# This Python's X.Y, and the other supported ones (for test-others).
PYVER         := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
OTHER_PYTHONS := $(filter-out $(PYVER),3.10 3.11 3.12 3.13)

# Tooling lives in pyproject.toml's [dependency-groups], which pip installs from 25.1 on:
# hence pip is upgraded first.
$(VENV)/.pip:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade 'pip>=25.1'
	touch $@

$(STAMP): pyproject.toml constraints.txt $(VENV)/.pip
	$(PY) -m pip install -q $(CONSTRAINTS) -e . --group test
	touch $(STAMP)

# The demo's own environment needs only the library and the demo group.
DEMO_STAMP := $(VENV)/.demo-installed
$(DEMO_STAMP): pyproject.toml constraints.txt $(VENV)/.pip
	$(PY) -m pip install -q $(CONSTRAINTS) -e . --group demo
	touch $(DEMO_STAMP)

# Chromium (browser tests) and redis-server (revocation tests) come from Debian's
# packages; installed only when missing, and only where we may (root).
system-deps:
	@bash scripts/system-deps.sh

test: $(STAMP) system-deps lint types docs unit

# The suite on every Python 3.10-3.13 found (nox: noxfile.py), then coverage combined over
# them, so a branch only one version takes counts where it runs.
test-all: $(STAMP) system-deps
	rm -f .coverage .coverage.* .coverage-combined
	$(VENV)/bin/nox

# After `make test` (which leaves .coverage.$(PYVER)): the suite on the other Pythons,
# browser tests left out, and coverage combined over all (CI runs this).
test-others: $(STAMP) system-deps
	$(VENV)/bin/nox -s $(addprefix tests-,$(OTHER_PYTHONS)) coverage

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks fuzz loadtest demo scripts noxfile.py
	$(VENV)/bin/ruff format --check src tests benchmarks fuzz loadtest demo scripts noxfile.py

types: $(STAMP)
	$(VENV)/bin/mypy

# Coverage data per Python version (.coverage.3.11), for `nox -s coverage` to combine.
unit: $(STAMP)
	COVERAGE_FILE=.coverage.$(PYVER) $(PY) -m pytest --cov --cov-report=term

# The documentation site, from nothing, in strict mode: a broken link, a missing page
# or an API reference that does not resolve fails the build (not --quiet: it hides the
# warnings, and strict mode then counts none).
docs: $(STAMP)
	rm -rf site
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

demo: $(DEMO_STAMP)
	$(PY) -m demo

bench: $(STAMP)
	$(PY) benchmarks/hostile.py
	$(PY) benchmarks/run.py
	$(PY) benchmarks/revocation.py
	$(PY) benchmarks/views.py

# Each framework's app on its usual server (waitress, uvicorn), loaded by wrk on
# another core; refuses to report from a busy machine (E2E_ARGS=--busy-ok to insist).
E2E_ARGS ?=
bench-e2e: $(STAMP)
	@bash scripts/bench-deps.sh
	$(PY) benchmarks/e2e.py $(E2E_ARGS)

# Coverage-guided fuzzing (atheris): FUZZ_SECONDS per target, crashes land in
# fuzz/regressions/<target>/ and are replayed by `make test` from then on.
FUZZ_SECONDS ?= 60
FUZZ_STAMP   := $(VENV)/.fuzz-installed
$(FUZZ_STAMP): $(STAMP)
	$(PY) -m pip install -q $(CONSTRAINTS) -e . --group fuzz
	touch $(FUZZ_STAMP)

fuzz: $(FUZZ_STAMP)
	$(PY) -m fuzz.run --seconds $(FUZZ_SECONDS)

# Real servers on 127.0.0.1 under concurrent clients; LOAD_CLIENTS x LOAD_REQUESTS each.
LOAD_CLIENTS  ?= 50
LOAD_REQUESTS ?= 200
load: $(STAMP)
	$(PY) -m loadtest --clients $(LOAD_CLIENTS) --requests $(LOAD_REQUESTS)

dist: $(STAMP)
	$(PY) -m build

clean:
	rm -rf $(VENV) .nox build dist site .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.* .coverage-combined src/*.egg-info
