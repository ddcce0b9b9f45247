# Two commands for a fresh machine with Python 3.10+ and make:
#   make test   - set everything up, then lint, types, unit, integration and browser tests
#   make demo   - set everything up, then serve the demo on http://127.0.0.1:6543/
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test lint types unit demo bench bench-e2e fuzz load system-deps clean dist

# constraints.txt pins the versions CI tests with, resolved for Python 3.11; on
# another Python, pip picks the newest versions that fit the ranges in pyproject.toml.
CONSTRAINTS := $(shell $(PYTHON) -c 'import sys; print("-c constraints.txt" if sys.version_info[:2] == (3, 11) else "")')

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(CONSTRAINTS) -e '.[test]'
	touch $(STAMP)

# Chromium (browser tests) and redis-server (revocation tests) come from Debian's
# packages; installed only when missing, and only where we may (root).
system-deps:
	@bash scripts/system-deps.sh

test: $(STAMP) system-deps lint types unit

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks fuzz loadtest demo
	$(VENV)/bin/ruff format --check src tests benchmarks fuzz loadtest demo

types: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP)
	$(PY) -m pytest --cov --cov-report=term

demo: $(STAMP)
	$(PY) -m demo

bench: $(STAMP)
	$(PY) benchmarks/hostile.py
	$(PY) benchmarks/run.py
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
	$(PY) -m pip install -q $(CONSTRAINTS) -e '.[test,fuzz]'
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
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache .coverage src/*.egg-info
