"""Session-scoped artifacts: the small test circuit is compiled and set up once per session
(cached across sessions by the hash of its sources in .zksolvency/pytest).

Fixtures more than one folder uses live in tests/fixtures/ (registered below); plain helpers in
tests/helpers/; a folder's conftest.py holds only that folder's own fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from zksolvency.prover.config import CircuitConfig, load_config
from zksolvency.prover.setup import Artifacts, setup

from tests.helpers.files import TEST_BUILD, write_json
from tests.helpers.witness import WitnessServer, read_sym

pytest_plugins = ["tests.fixtures.chain", "tests.fixtures.proofs", "tests.fixtures.vault", "tests.fixtures.keeper"]

#: The session's environment, seen by the suite and by every process it starts (the CLI, keepers):
#: artifacts go to TEST_BUILD, and a native prover failure fails the test instead of falling back
#: to snarkjs.
SESSION_ENV = {"ZKSOLVENCY_BUILD": str(TEST_BUILD), "ZKSOLVENCY_NO_FALLBACK": "1"}
_session_env = pytest.MonkeyPatch()


def pytest_configure(config: pytest.Config) -> None:
    """Set SESSION_ENV before any test module is collected."""
    for name, value in SESSION_ENV.items():
        _session_env.setenv(name, value)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Give the process its environment back."""
    _session_env.undo()


@pytest.fixture(scope="session")
def test_cfg() -> CircuitConfig:
    """The small instance every circuit test uses."""
    return load_config("test")


@pytest.fixture(scope="session")
def artifacts(test_cfg: CircuitConfig) -> Artifacts:
    """Compiled test circuit with its Groth16 keys."""
    return setup(test_cfg, TEST_BUILD)


@pytest.fixture(scope="session")
def default_artifacts() -> Artifacts:
    """The default instance (58k constraints, the 2^16 development ptau) with its keys and its C++
    witness generator: the instance a venue runs, for the native prover's differential tests."""
    return setup(load_config("default"), TEST_BUILD)


@pytest.fixture(scope="session")
def witness_server(artifacts: Artifacts) -> Iterator[WitnessServer]:
    """The test circuit's witness calculator, warm for the whole session."""
    ws = WitnessServer(artifacts.wasm)
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def sym(artifacts: Artifacts) -> dict[str, int]:
    """Signal name -> witness index of the test circuit."""
    return read_sym(artifacts.sym)


@pytest.fixture(scope="session")
def default_compiled() -> Path:
    """The default instance compiled (no keys): its r1cs and wasm, for size and witness tests."""
    from zksolvency.prover.setup import compile_circuit

    cfg = load_config("default")
    out = TEST_BUILD / "compile-only" / cfg.name
    compile_circuit(cfg, out, report=None)
    return out


@pytest.fixture(scope="session")
def t9_compiled() -> Path:
    """The test instance with T = 9 tier slots (the head's 4 and one further chunk of 5), compiled
    once (no keys): its r1cs, sym and wasm."""
    from zksolvency.prover.setup import compile_circuit

    cfg = load_config("test", {"T": 9, "LD": 4})
    out = TEST_BUILD / "compile-only" / cfg.name
    compile_circuit(cfg, out, report=None)
    return out


@pytest.fixture(scope="session")
def bundle_dir(artifacts: Artifacts, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real proof bundles made by the CLI from ledger statements: solvent (index 0), another
    account's (index 2) in ledger ``ledger/``, and insolvent (the same address at index 1) in
    ``ledger-insolvent/``, whose ledger.json files the verifier can check against."""
    from click.testing import CliRunner
    from zksolvency.cli import main

    from tests.helpers import data

    d = tmp_path_factory.mktemp("bundles")
    m = write_json(d / "market.json", data.MARKET)
    write_json(d / "market43.json", data.market(epoch=43))
    other = data.account(account=data.OTHER_ADDR, nonce=0, salt=data.OTHER_SALT)
    accounts = {"solvent": data.ACCOUNT, "insolvent": data.INSOLVENT, "other": other}
    paths = {name: write_json(d / f"{name}.account.json", acc) for name, acc in accounts.items()}
    ledgers = {"ledger": (("solvent", 0), ("other", 2)), "ledger-insolvent": (("insolvent", 1),)}
    for ledger, members in ledgers.items():
        idx = write_json(d / f"{ledger}.indices.json", {accounts[n]["account"]: i for n, i in members})
        args = ["ledger", "build", *(str(paths[n]) for n, _ in members), "--market", str(m), "--indices", str(idx)]
        r = CliRunner().invoke(main, [*args, "--config", "test", "-o", str(d / ledger)])
        assert r.exit_code == 0, r.output
        for name, _ in members:
            st = d / ledger / "statements" / f"{accounts[name]['account']}.json"
            out = d / f"{name}.bundle.json"
            r = CliRunner().invoke(main, ["prove", str(st), str(m), "-o", str(out), "--config", "test"])
            assert r.exit_code == 0, r.output
    return d


#: Fixtures that compile a circuit, run a trusted setup or make proofs: a test using any of them
#: (directly or through another fixture) is marked ``slow`` and left out of ``make test-fast``.
HEAVY_FIXTURES = {
    "artifacts",
    "default_artifacts",
    "witness_server",
    "sym",
    "default_compiled",
    "t9_compiled",
    "bundle_dir",
    "poseidon_server",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that needs circuit artifacts as ``slow``."""
    for item in items:
        if HEAVY_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
