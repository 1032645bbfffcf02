# zksolvency: `make demo` and `make test` work on a fresh machine (Python 3.11+, Node 18+, npm).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint typecheck bench clean

$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# `npm install` (not `npm ci`) because anvil lists optional binaries for every platform and the
# registry reachable here serves only some of them, so no lock file can list them all and `npm ci`
# would refuse it. `npm install` installs exactly the locked tree and leaves the lock unchanged.
node_modules/.installed: package.json package-lock.json
	npm install --no-audit --no-fund
	touch $@

install: $(BIN)/.installed node_modules/.installed

demo: install
	$(BIN)/zksolvency demo

test: install
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check zkcore prover verifier onchain tests bench scripts
	$(BIN)/ruff format --check zkcore prover verifier onchain tests bench scripts

typecheck: install
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench.run

clean:
	rm -rf build
