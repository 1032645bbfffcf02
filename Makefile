# zksolvency: `make demo` and `make test` work on a fresh machine (Python 3.11+, Node 20+, npm).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install demo test test-fast check lint typecheck pytest bench clean

$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,ray]'
	touch $@

# `npm ci`: exactly the locked tree. The lock lists anvil's native package for every platform
# (the registry serves them all now), so it stays in sync with package.json on any machine.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(BIN)/.installed node_modules/.installed

demo: install
	$(BIN)/zksolvency demo

PYSRC := api cli zkcore oracle prover verifier onchain tests bench scripts

# What CI runs (.ci/run): lint, format check, mypy --strict, then every test.
test: install lint typecheck pytest

# The inner loop: lint, types and every test that builds no circuit and makes no proof (< 2 min).
test-fast: install lint typecheck
	$(BIN)/pytest -q -m "not slow"

pytest: install
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check $(PYSRC)
	$(BIN)/ruff format --check $(PYSRC)

typecheck: install
	$(BIN)/python scripts/typecheck.py

bench: install
	$(BIN)/python -m bench.run

clean:
	rm -rf build
