"""Batch fixtures: a pool of distinct real proofs (the bundles of one ledger and re-randomized copies of
them, checked by snarkjs) and the generated batch verifiers deployed on a real anvil."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3
from web3.contract import Contract
from web3.types import TxParams
from zksolvency.onchain import anvil
from zksolvency.onchain.solc import compile_sources
from zksolvency.onchain.tx import proof_calldata
from zksolvency.prover import tools
from zksolvency.prover.setup import Artifacts
from zksolvency.verifier.groth16 import (
    InvalidProof,
    PreparedKey,
    batch_verify_fiat_shamir,
    parse_proof,
    parse_signals,
    parse_vkey,
    prepare,
)
from zksolvency.verifier.solidity import render_batch

from tests.conftest import TEST_BUILD
from tests.helpers.groth16 import rerandomize

#: One batch entry: a snarkjs proof object and its public signals (decimal strings).
Entry = tuple[dict[str, Any], list[str]]

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


@dataclass(frozen=True)
class Verifiers:
    """The deployed contracts: the single verifier, the batch verifier and the unsafe variant."""

    w3: Web3
    single: Contract
    batch: Contract
    unsafe: Contract


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


def batch_args(entries: list[Entry]) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """verifyBatch arguments (B in EVM order) of a list of entries."""
    cols: tuple[list[Any], list[Any], list[Any], list[Any]] = ([], [], [], [])
    for proof, signals in entries:
        for col, v in zip(cols, proof_calldata(proof, signals), strict=True):
            col.append(v)
    return cols


def evm_accepts(v: Verifiers, entries: list[Entry], gas: int | None = None) -> bool:
    """What the generated contract answers."""
    tx: TxParams = {"from": v.w3.eth.accounts[0]}
    if gas is not None:
        tx["gas"] = gas
    return bool(v.batch.functions.verifyBatch(*batch_args(entries)).call(tx))


def py_accepts(pk: PreparedKey, entries: list[Entry]) -> bool:
    """What the Python twin answers (a malformed proof or signal is a refusal)."""
    try:
        items = [(parse_proof(p), parse_signals(s, pk.vk.n_public)) for p, s in entries]
    except InvalidProof:
        return False
    return batch_verify_fiat_shamir(pk, items)


#: Accounts of the shared ledger of the attestBatch tests (indices 0..LEDGER_ACCOUNTS-1).
LEDGER_ACCOUNTS = 6


def ledger_address(i: int) -> str:
    """The i-th account of the batch ledger."""
    return Web3.to_checksum_address(f"0x{0xBA7C4000 + i:040x}")


@pytest.fixture(scope="session")
def ledger_bundles(artifacts: Artifacts, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """LEDGER_ACCOUNTS solvent accounts in one ledger, each proved from its statement: DIR with
    ``ledger/`` (ledger.json, statements/), ``market.json`` and ``bundles/<index>.json``."""
    import zksolvency

    from tests.helpers import data

    d = tmp_path_factory.mktemp("ledger-bundles")
    market = d / "market.json"
    market.write_text(json.dumps(data.MARKET))
    accounts = []
    for i in range(LEDGER_ACCOUNTS):
        a = d / f"account{i}.json"
        a.write_text(json.dumps(data.account(account=ledger_address(i), nonce=i, salt=f"0x{2**200 + i:x}")))
        accounts.append(a)
    built = zksolvency.build_ledger(list(accounts), market, d / "ledger", config="test")
    names = {a.lower(): a for a in built.statements}
    (d / "bundles").mkdir()
    for i in range(LEDGER_ACCOUNTS):
        st = d / "ledger" / "statements" / f"{names[ledger_address(i).lower()]}.json"
        zksolvency.prove(st, market, d / "bundles" / f"{i}.json", config="test", build_dir=TEST_BUILD)
    return d
