"""Batch fixtures: a pool of distinct real proofs (the bundles of one ledger and re-randomized copies of
them, checked by snarkjs) and the generated batch verifiers deployed on this folder's own anvil.
The helpers that go with them are in tests/helpers/batch.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3
from web3.contract import Contract
from zksolvency.onchain import anvil
from zksolvency.onchain.solc import compile_sources
from zksolvency.prover import tools
from zksolvency.prover.setup import Artifacts
from zksolvency.verifier.groth16 import PreparedKey, parse_vkey, prepare
from zksolvency.verifier.solidity import render_batch

from tests.helpers.batch import LEDGER_ACCOUNTS, Entry, Verifiers
from tests.helpers.files import TEST_BUILD
from tests.helpers.groth16 import rerandomize

#: Distinct proofs in the pool: the ledger bundles, each re-randomized into more.
POOL = 36


@pytest.fixture(scope="session")
def vk_json(artifacts: Artifacts) -> dict[str, Any]:
    """The test circuit's verification key."""
    return dict(json.loads(artifacts.vkey.read_text()))


@pytest.fixture(scope="session")
def pk(vk_json: dict[str, Any]) -> PreparedKey:
    """The prepared key of the Python verifier."""
    return prepare(parse_vkey(vk_json))


@pytest.fixture(scope="session")
def pool(
    ledger_bundles: Path, vk_json: dict[str, Any], artifacts: Artifacts, tmp_path_factory: pytest.TempPathFactory
) -> list[Entry]:
    """POOL distinct valid proofs: the ledger's bundles, then re-randomizations of them."""
    base = [json.loads((ledger_bundles / "bundles" / f"{i}.json").read_text()) for i in range(LEDGER_ACCOUNTS)]
    out: list[Entry] = [(b["proof"], b["public_signals"]) for b in base]
    k = 0
    while len(out) < POOL:
        b = base[k % len(base)]
        out.append((rerandomize(b["proof"], vk_json, 1000 + 7 * k, 31 + k), b["public_signals"]))
        k += 1
    # snarkjs (the reference tool) accepts re-randomized proofs
    d = tmp_path_factory.mktemp("rerand")
    for i in (LEDGER_ACCOUNTS, LEDGER_ACCOUNTS + 1, LEDGER_ACCOUNTS + 2):
        (d / "p.json").write_text(json.dumps(out[i][0]))
        (d / "s.json").write_text(json.dumps(out[i][1]))
        assert "OK" in tools.snarkjs("groth16", "verify", artifacts.vkey, d / "s.json", d / "p.json")
    return out


@pytest.fixture(scope="session")
def node() -> Iterator[anvil.Node]:
    """A real anvil for this folder's tests."""
    n = anvil.start(TEST_BUILD / "chain-batch")
    yield n
    anvil.stop(n.pid)


@pytest.fixture(scope="session")
def verifiers(node: anvil.Node, artifacts: Artifacts, vk_json: dict[str, Any]) -> Verifiers:
    """Compile the generated verifiers with solc-js and deploy them."""
    assert artifacts.batch_solidity.is_file()  # setup generated it
    sources = {
        "Groth16Verifier.sol": artifacts.solidity.read_text(),
        "Groth16BatchVerifier.sol": artifacts.batch_solidity.read_text(),
        "CallerWeights.sol": render_batch(vk_json, unsafe_caller_weights=True),
    }
    compiled = compile_sources(sources, TEST_BUILD / "solc-batch")
    w3 = Web3(Web3.HTTPProvider(node.rpc))
    frm = w3.eth.accounts[0]

    def deploy(name: str) -> Contract:
        c = compiled[name]
        h = w3.eth.contract(abi=c.abi, bytecode=c.bytecode).constructor().transact({"from": frm})
        addr = w3.eth.wait_for_transaction_receipt(h)["contractAddress"]
        assert addr is not None, f"{name}: no contract deployed"
        return w3.eth.contract(address=addr, abi=c.abi)

    return Verifiers(w3, deploy("Groth16Verifier"), deploy("Groth16BatchVerifier"), deploy("Groth16BatchVerifierCallerWeights"))
