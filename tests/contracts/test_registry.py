"""Contracts on a real anvil with real proofs: the generated verifier, the oracle, the registry."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from zksolvency.onchain import anvil
from zksolvency.onchain.client import Chain, ChainError, proof_calldata
from zksolvency.prover.config import CircuitConfig
from zksolvency.prover.setup import Artifacts
from zksolvency.zkcore.commitment import account_commitment, market_root
from zksolvency.zkcore.field import SNARK_FIELD
from zksolvency.zkcore.models import Account, Market

from tests.conftest import TEST_BUILD
from tests.helpers import data

GRACE = 3600
ROOT42 = market_root(Market(**data.MARKET))
ROOT43 = market_root(Market(**data.market(epoch=43)))


@pytest.fixture(scope="session")
def node() -> Iterator[anvil.Node]:
    n = anvil.start(TEST_BUILD / "chain")
    yield n
    anvil.stop(n.pid)


@pytest.fixture(scope="session")
def deployed(node: anvil.Node, artifacts: Artifacts, test_cfg: CircuitConfig) -> Chain:
    ch = Chain(node.rpc, TEST_BUILD / "chain" / "deployment.json")
    ch.deploy(artifacts.solidity, test_cfg.name, GRACE)
    return ch


@pytest.fixture
def chain(deployed: Chain) -> Iterator[Chain]:
    """The deployed contracts, rolled back after each test."""
    snap = deployed.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    yield deployed
    deployed.w3.provider.make_request("evm_revert", [snap])  # type: ignore[arg-type]


def bundle(bundle_dir: Path, name: str) -> dict[str, Any]:
    return json.loads((bundle_dir / f"{name}.bundle.json").read_text())


def commitment(acc: dict[str, Any]) -> int:
    return account_commitment(Account(**acc))


def refused(error: str, fn: Any, *args: Any) -> None:
    with pytest.raises(ChainError, match=f"reverted: {error}$"):
        fn(*args)


def ready(chain: Chain, acc: dict[str, Any] = data.ACCOUNT) -> None:
    chain.publish(42, ROOT42)
    chain.register(acc["account"], commitment(acc))


# ------------------------------------------------------------ golden vector: the generated verifier


def test_generated_verifier_accepts_the_real_proof_and_rejects_it_tampered(chain: Chain, bundle_dir: Path) -> None:
    v = chain.contract("verifier").functions
    b = bundle(bundle_dir, "solvent")
    a, bb, c, s = proof_calldata(b["proof"], b["public_signals"])
    assert v.verifyProof(a, bb, c, s).call() is True
    assert v.verifyProof(a, bb, c, [0, *s[1:]]).call() is False  # verdict flipped
    assert v.verifyProof(a, bb, c, [s[0], s[1] + 1, *s[2:]]).call() is False  # another account
    assert v.verifyProof(a, bb, c, [*s[:3], s[3] + SNARK_FIELD]).call() is False  # signal >= r
    assert v.verifyProof([a[0], (a[1] + 1)], bb, c, s).call() is False  # A off the curve
    b_json_order = [[bb[0][1], bb[0][0]], [bb[1][1], bb[1][0]]]
    assert v.verifyProof(a, b_json_order, c, s).call() is False  # snarkjs JSON order is not EVM order


# ------------------------------------------------------------ attest and flag with real proofs


def test_attest_records_the_epoch(chain: Chain, bundle_dir: Path) -> None:
    ready(chain)
    res = chain.submit_proof("attest", bundle(bundle_dir, "solvent"))
    st = chain.status(data.ADDR)
    assert st["attested"] and st["attested_epoch"] == 42 and st["flag"] == "none" and st["solvent_now"]
    logs = chain.contract("registry").events.Attested().get_logs(from_block=res.block, to_block=res.block)
    assert len(logs) == 1 and logs[0]["args"]["epoch"] == 42


def test_flag_insolvent_with_a_real_proof(chain: Chain, bundle_dir: Path) -> None:
    ready(chain, data.INSOLVENT)
    chain.submit_proof("flag", bundle(bundle_dir, "insolvent"))
    st = chain.status(data.ADDR)
    assert st["flag"] == "insolvent" and st["flagged_epoch"] == 42 and not st["solvent_now"]
    # a flag sticks: no re-registration out of it, no attestation over it
    refused("SolvencyRegistry__AccountFlagged", chain.register, data.ADDR, commitment(data.ACCOUNT))


def test_liquidator_resolves_a_flag(chain: Chain, bundle_dir: Path) -> None:
    ready(chain, data.INSOLVENT)
    chain.submit_proof("flag", bundle(bundle_dir, "insolvent"))
    reg = chain.contract("registry").functions
    refused(
        "SolvencyRegistry__NotLiquidator", chain.send, reg.resolveFlag(chain.w3.to_checksum_address(data.ADDR)), data.OTHER_ADDR
    )
    chain.send(reg.resolveFlag(chain.w3.to_checksum_address(data.ADDR)))  # the deployer is the liquidator
    assert chain.status(data.ADDR)["flag"] == "none"
    chain.register(data.ADDR, commitment(data.ACCOUNT))
    chain.submit_proof("attest", bundle(bundle_dir, "solvent"))
    assert chain.status(data.ADDR)["solvent_now"]


# ------------------------------------------------------------ refusals


def test_proof_of_one_account_never_attests_another(chain: Chain, bundle_dir: Path) -> None:
    chain.publish(42, ROOT42)
    # the other account registers the very same commitment ...
    chain.register(data.OTHER_ADDR, commitment(data.ACCOUNT))
    b = bundle(bundle_dir, "solvent")
    b["claims"]["account"] = data.OTHER_ADDR  # ... and submits the proof for itself
    refused("SolvencyRegistry__AccountMismatch", chain.submit_proof, "attest", b)
    chain.register(data.ADDR, commitment(data.ACCOUNT))
    other = bundle(bundle_dir, "other")
    other["claims"]["account"] = data.ADDR  # another account's proof for mine
    refused("SolvencyRegistry__AccountMismatch", chain.submit_proof, "attest", other)


def test_another_epochs_root_is_refused(chain: Chain, bundle_dir: Path) -> None:
    ready(chain)
    chain.publish(43, ROOT43)
    b = bundle(bundle_dir, "solvent")
    refused("SolvencyRegistry__StaleEpoch", chain.submit_proof, "attest", b)  # epoch 42 is no longer the latest
    b["claims"]["epoch"] = 43
    refused("SolvencyRegistry__MarketRootMismatch", chain.submit_proof, "attest", b)  # epoch 42's root at 43


def test_unknown_epoch_is_refused(chain: Chain, bundle_dir: Path) -> None:
    chain.register(data.ADDR, commitment(data.ACCOUNT))
    b = bundle(bundle_dir, "solvent")
    refused("SolvencyRegistry__NoEpoch", chain.submit_proof, "attest", b)
    chain.publish(42, ROOT42)
    b["claims"]["epoch"] = 44
    refused("SolvencyRegistry__UnknownEpoch", chain.submit_proof, "attest", b)


def test_verdicts_go_to_their_own_function(chain: Chain, bundle_dir: Path) -> None:
    ready(chain, data.INSOLVENT)
    refused("SolvencyRegistry__NotSolventProof", chain.submit_proof, "attest", bundle(bundle_dir, "insolvent"))
    chain.register(data.ADDR, commitment(data.ACCOUNT))
    refused("SolvencyRegistry__NotInsolventProof", chain.submit_proof, "flag", bundle(bundle_dir, "solvent"))


def test_new_commitment_needs_a_new_attestation(chain: Chain, bundle_dir: Path) -> None:
    ready(chain)
    chain.submit_proof("attest", bundle(bundle_dir, "solvent"))
    assert chain.status(data.ADDR)["solvent_now"]
    chain.register(data.ADDR, commitment(data.account(nonce=4)))
    st = chain.status(data.ADDR)
    assert not st["attested"] and not st["solvent_now"]
    refused("SolvencyRegistry__CommitmentMismatch", chain.submit_proof, "attest", bundle(bundle_dir, "solvent"))


def test_flag_stale_waits_for_the_grace_period(chain: Chain, bundle_dir: Path) -> None:
    ready(chain)
    chain.register(data.OTHER_ADDR, commitment(data.account(account=data.OTHER_ADDR)))
    refused("SolvencyRegistry__GracePeriodNotOver", chain.flag_stale, data.OTHER_ADDR)
    chain.submit_proof("attest", bundle(bundle_dir, "solvent"))
    chain.advance_time(GRACE + 1)
    refused("SolvencyRegistry__AttestationCurrent", chain.flag_stale, data.ADDR)  # attested: not stale
    chain.flag_stale(data.OTHER_ADDR)
    assert chain.status(data.OTHER_ADDR)["flag"] == "stale"
    refused("SolvencyRegistry__AccountFlagged", chain.flag_stale, data.OTHER_ADDR)
    refused("SolvencyRegistry__NotRegistered", chain.flag_stale, "0x00000000000000000000000000000000000000aa")


def test_signals_outside_the_field_are_refused(chain: Chain, bundle_dir: Path) -> None:
    ready(chain)
    for i in range(4):
        b = bundle(bundle_dir, "solvent")
        b["public_signals"][i] = str(int(b["public_signals"][i]) + SNARK_FIELD)
        refused("SolvencyRegistry__SignalNotInField", chain.submit_proof, "attest", b)


def test_invalid_proof_reverts_and_records_nothing(chain: Chain, bundle_dir: Path) -> None:
    ready(chain)
    b = bundle(bundle_dir, "solvent")
    b["proof"] = copy.deepcopy(bundle(bundle_dir, "other")["proof"])  # a valid proof, of something else
    refused("SolvencyRegistry__InvalidProof", chain.submit_proof, "attest", b)
    assert not chain.status(data.ADDR)["attested"]


def test_too_little_gas_never_records(chain: Chain, bundle_dir: Path) -> None:
    # The generated verifier returns false when the pairing precompile runs out of gas; the
    # registry must revert on that false rather than record anything.
    ready(chain)
    b = bundle(bundle_dir, "solvent")
    a, bb, c, s = proof_calldata(b["proof"], b["public_signals"])
    fn = chain.contract("registry").functions.attest(chain.w3.to_checksum_address(data.ADDR), 42, a, bb, c, s)
    sender = chain.default_sender()
    estimate = fn.estimate_gas({"from": sender})
    h = fn.transact({"from": sender, "gas": estimate - 60_000})
    assert chain.w3.eth.wait_for_transaction_receipt(h)["status"] == 0
    assert not chain.status(data.ADDR)["attested"]
    h = fn.transact({"from": sender, "gas": estimate})  # the estimate itself is enough
    assert chain.w3.eth.wait_for_transaction_receipt(h)["status"] == 1
    assert chain.status(data.ADDR)["attested"]


def test_registration_rules(chain: Chain) -> None:
    refused("SolvencyRegistry__InvalidCommitment", chain.register, data.ADDR, 0)
    refused("SolvencyRegistry__InvalidCommitment", chain.register, data.ADDR, SNARK_FIELD)


def test_oracle_rules(chain: Chain) -> None:
    chain.publish(42, ROOT42)
    refused("MarginOracle__EpochNotIncreasing", chain.publish, 42, ROOT43)
    refused("MarginOracle__EpochNotIncreasing", chain.publish, 41, ROOT43)
    refused("MarginOracle__RootNotInField", chain.publish, 43, SNARK_FIELD)
    refused("MarginOracle__NotPublisher", chain.publish, 43, ROOT43, data.OTHER_ADDR)
    assert chain.contract("oracle").functions.publication(42).call()[0] == ROOT42


def test_registry_overhead_over_the_floor_is_small(chain: Chain, bundle_dir: Path) -> None:
    """Gas is deterministic: pin the registry's overhead over the EVM floor of a Groth16 check."""
    ready(chain)
    b = bundle(bundle_dir, "solvent")
    res = chain.submit_proof("attest", b)
    tx = chain.w3.eth.get_transaction(res.tx_hash)  # type: ignore[arg-type]
    data_bytes = bytes(tx["input"])
    calldata = sum(16 if x else 4 for x in data_bytes)
    floor = 21_000 + calldata + 181_000 + 6_150 * 4
    assert floor < res.gas_used < floor + 35_000, (res.gas_used, floor)
