# zksolvency: `make demo` and `make test` work on a fresh machine (Python 3.11+, Node 20+, npm).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install demo test test-fast check lint typecheck native-test pytest bench clean

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

# The native prover (Rust, standard library only) and the toolchain of circom's C++ witness.
NATIVE_BIN := native/target/release/zksolvency-prover
native/.deps-installed: scripts/native_deps.sh
	scripts/native_deps.sh
	touch $@

$(NATIVE_BIN): native/Cargo.toml native/Cargo.lock $(wildcard native/src/*.rs) native/.deps-installed
	cd native && cargo build --release --offline --locked
	touch $@

install: $(BIN)/.installed node_modules/.installed $(NATIVE_BIN)

demo: install
	$(BIN)/zksolvency demo

PYSRC := api cli zkcore oracle prover verifier onchain demo tests bench scripts

# What CI runs (.ci/run): lint, format check, mypy --strict, the native prover's tests, then every
# test. A native toolchain that cannot be built fails the run rather than falling back to wasm.
test: install lint typecheck native-test pytest

# rustfmt and clippy (warnings are errors), then the prover's own tests.
native-test: install
	cd native && cargo fmt --check && cargo clippy --release --offline --locked --all-targets -- -D warnings
	cd native && cargo test --release --offline --locked

# The inner loop: lint, types and every test that builds no circuit and makes no proof (< 2 min).
test-fast: install lint typecheck
	$(BIN)/pytest -q -m "not slow"

pytest: install
	ZKSOLVENCY_REQUIRE_NATIVE=1 $(BIN)/pytest -q

lint: install
	$(BIN)/ruff check $(PYSRC)
	$(BIN)/ruff format --check $(PYSRC)

# mypy --strict over the package, tests/, bench/ and scripts/ in one run ([tool.mypy] in pyproject.toml).
typecheck: install
	$(BIN)/python scripts/typecheck.py

bench: install
	$(BIN)/python -m bench.run

clean:
	rm -rf .zksolvency build
