"""SolvencyRegistry.attestBatch with real proofs of one ledger on a real anvil: all or nothing,
every binding of attest per account, one event per account, and the Python pre-check and the
CLI (`chain attest-batch`) in front of it."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from eth_utils.abi import function_signature_to_4byte_selector
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD
from web3.types import RPCEndpoint
from zksolvency.onchain import anvil
from zksolvency.onchain.client import Chain
from zksolvency.onchain.tx import ChainError, Flag, proof_calldata
from zksolvency.prover.config import CircuitConfig
from zksolvency.prover.setup import Artifacts
from zksolvency.verifier.groth16 import InvalidProof
from zksolvency.zkcore.errors import InputError

from tests.helpers.batch import LEDGER_ACCOUNTS, ledger_address
from tests.helpers.files import TEST_BUILD
from tests.helpers.groth16 import rerandomize

GRACE = 3600


@pytest.fixture(scope="session")
def registry(node: anvil.Node, artifacts: Artifacts, test_cfg: CircuitConfig) -> Chain:
    """Verifiers, oracle and registry of the test circuit (the deployer holds every role)."""
    ch = Chain(node.rpc, TEST_BUILD / "chain-batch" / "deployment.json", TEST_BUILD)
    ch.deploy(artifacts.solidity, test_cfg.name, GRACE)
    return ch


@pytest.fixture
def chain(registry: Chain) -> Iterator[Chain]:
    """The deployed contracts, rolled back after each test."""
    snap = registry.w3.provider.make_request(RPCEndpoint("evm_snapshot"), [])["result"]
    yield registry
    registry.w3.provider.make_request(RPCEndpoint("evm_revert"), [snap])


def bundles(d: Path) -> list[dict[str, Any]]:
    return [json.loads((d / "bundles" / f"{i}.json").read_text()) for i in range(LEDGER_ACCOUNTS)]


def ready(chain: Chain, d: Path) -> list[dict[str, Any]]:
    """Enroll the ledger's accounts at their indices, publish epoch 42 and its ledger root."""
    bs = bundles(d)
    chain.enroll([ledger_address(i) for i in range(LEDGER_ACCOUNTS)])
    chain.publish(42, int(bs[0]["public_signals"][3]))
    chain.publish_ledger(42, int(bs[0]["public_signals"][2]))
    return bs


def attest_batch_call(chain: Chain, bs: list[dict[str, Any]], accounts: list[str] | None = None, epoch: int = 42) -> Any:
    cols: list[list[Any]] = [[], [], [], []]
    for b in bs:
        for col, v in zip(cols, proof_calldata(b["proof"], b["public_signals"]), strict=True):
            col.append(v)
    accounts = accounts or [chain.w3.to_checksum_address(b["claims"]["account"]) for b in bs]
    return chain.contract("registry").functions.attestBatch(accounts, epoch, *cols)


def attested(chain: Chain) -> list[bool]:
    return [bool(chain.status(ledger_address(i))["attested"]) for i in range(LEDGER_ACCOUNTS)]


def mined_and_reverted(chain: Chain, fn: Any) -> None:
    """Send with a fixed gas (no estimate): the transaction is mined, fails, and records nothing."""
    before = attested(chain)
    h = fn.transact({"from": chain.default_sender(), "gas": 5_000_000})
    receipt = chain.w3.eth.wait_for_transaction_receipt(h)
    assert receipt["status"] == 0
    assert not chain.contract("registry").events.Attested().process_receipt(receipt)
    assert attested(chain) == before


def selector(sig: str) -> str:
    return "0x" + function_signature_to_4byte_selector(sig).hex()


def test_attest_batch_records_every_account_with_one_event_each(chain: Chain, ledger_bundles: Path) -> None:
    ready(chain, ledger_bundles)
    assert attested(chain) == [False] * LEDGER_ACCOUNTS
    txs = chain.attest_batch([ledger_bundles / "bundles"], max_n=4).transactions
    assert [len(t.accounts) for t in txs] == [4, 2]
    assert attested(chain) == [True] * LEDGER_ACCOUNTS
    assert all(chain.status(ledger_address(i))["solvent_now"] for i in range(LEDGER_ACCOUNTS))
    reg = chain.contract("registry")
    events = []
    for t in txs:
        receipt = chain.w3.eth.get_transaction_receipt(t.tx_hash)
        logs = reg.events.Attested().process_receipt(receipt)
        events += [(e["args"]["account"], e["args"]["epoch"], e["args"]["index"]) for e in logs]
        assert t.gas_per_account == t.gas_used // len(t.accounts)
    assert events == [(ledger_address(i), 42, i) for i in range(LEDGER_ACCOUNTS)]


def _tamper_c(bs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    bs = copy.deepcopy(bs)
    bs[2]["proof"]["pi_c"], bs[3]["proof"]["pi_c"] = bs[3]["proof"]["pi_c"], bs[2]["proof"]["pi_c"]
    return bs


def _signal(bs: list[dict[str, Any]], i: int, delta: int) -> list[dict[str, Any]]:
    bs = copy.deepcopy(bs)
    bs[2]["public_signals"][i] = str(int(bs[2]["public_signals"][i]) + delta)
    return bs


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("one invalid proof", "SolvencyRegistry__InvalidProof"),
        ("one proof for another account", "SolvencyRegistry__AccountMismatch"),
        ("one proof claiming another index", "SolvencyRegistry__IndexMismatch"),
        ("one proof of another ledger root", "SolvencyRegistry__LedgerRootMismatch"),
        ("one proof twice", "SolvencyRegistry__BatchNotInIndexOrder"),
        ("one account twice (re-randomized proof)", "SolvencyRegistry__BatchNotInIndexOrder"),
        ("out of index order", "SolvencyRegistry__BatchNotInIndexOrder"),
    ],
)
def test_one_bad_entry_reverts_the_whole_batch_and_records_nothing(
    chain: Chain, ledger_bundles: Path, vk_json: dict[str, Any], case: str, error: str
) -> None:
    bs = ready(chain, ledger_bundles)
    accounts = None
    if case == "one invalid proof":
        bs = _tamper_c(bs)
    elif case == "one proof for another account":
        accounts = [ledger_address(i) for i in range(LEDGER_ACCOUNTS)]
        accounts[2], accounts[3] = accounts[3], accounts[2]
    elif case == "one proof claiming another index":
        bs = _signal(bs, 1, 2**160)
    elif case == "one proof of another ledger root":
        bs = _signal(bs, 2, 1)
    elif case == "one proof twice":
        bs = [*bs[:3], bs[2], *bs[3:]]
    elif case == "one account twice (re-randomized proof)":
        twin = copy.deepcopy(bs[2])
        twin["proof"] = rerandomize(bs[2]["proof"], vk_json, 3, 5)
        bs = [*bs[:3], twin, *bs[3:]]
    else:
        bs = [bs[1], bs[0], *bs[2:]]
    fn = attest_batch_call(chain, bs, accounts)
    before = attested(chain)
    with pytest.raises(ChainError, match=rf"reverted: {error}(\(.*\))?$"):
        chain.send(fn)
    mined_and_reverted(chain, fn)
    assert attested(chain) == before == [False] * LEDGER_ACCOUNTS


def test_the_python_precheck_refuses_first_and_sends_nothing(chain: Chain, ledger_bundles: Path, tmp_path: Path) -> None:
    bs = ready(chain, ledger_bundles)
    block = chain.w3.eth.block_number
    bad = _tamper_c(bs)
    paths = []
    for i, b in enumerate(bad):
        paths.append(tmp_path / f"{i}.json")
        paths[-1].write_text(json.dumps(b))
    with pytest.raises(InvalidProof, match=r"invalid: .*2\.json, .*3\.json"):
        chain.attest_batch(paths)
    with pytest.raises(InputError, match="one proof per account"):
        chain.attest_batch([ledger_bundles / "bundles" / "1.json", ledger_bundles / "bundles" / "1.json"])
    assert chain.w3.eth.block_number == block and attested(chain) == [False] * LEDGER_ACCOUNTS


def test_starved_of_gas_the_batch_reverts_and_records_nothing(chain: Chain, ledger_bundles: Path) -> None:
    bs = ready(chain, ledger_bundles)
    fn = attest_batch_call(chain, bs)
    frm = chain.default_sender()

    def succeeds(gas: int) -> bool:
        try:
            fn.call({"from": frm, "gas": gas})
            return True
        except (ContractLogicError, ValueError):
            return False

    lo, hi = 100_000, 5_000_000
    while lo < hi:
        mid = (lo + hi) // 2
        if succeeds(mid):
            hi = mid
        else:
            lo = mid + 1
    need = lo
    # just below, the verifier's pairing precompile runs out of gas, the verifier says false and
    # the registry reverts with InvalidProof: a false is never recorded
    with pytest.raises(ContractLogicError) as e:
        fn.call({"from": frm, "gas": need - 1})
    assert str(e.value.data).startswith(selector("SolvencyRegistry__InvalidProof()"))
    h = fn.transact({"from": frm, "gas": need - 1})
    receipt = chain.w3.eth.wait_for_transaction_receipt(h)
    assert receipt["status"] == 0 and attested(chain) == [False] * LEDGER_ACCOUNTS
    # estimation therefore finds the real cost, and the transaction it sizes goes through
    assert int(fn.estimate_gas({"from": frm})) >= need * 98 // 100
    chain.send(fn)
    assert attested(chain) == [True] * LEDGER_ACCOUNTS


def test_cli_attest_batch_splits_and_reports_gas_per_account(chain: Chain, ledger_bundles: Path) -> None:
    from zksolvency.cli import main

    ready(chain, ledger_bundles)
    args = ["--rpc", chain.rpc, "--deployment", str(chain.deployment_file), "--build-dir", str(TEST_BUILD)]
    r = CliRunner().invoke(main, ["chain", "attest-batch", str(ledger_bundles / "bundles"), "--max", "4", "--json", *args])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["accounts"] == LEDGER_ACCOUNTS and len(out["transactions"]) == 2
    assert out["gas_used"] == sum(t["gas_used"] for t in out["transactions"])
    assert out["gas_per_account"] == out["gas_used"] // LEDGER_ACCOUNTS and out["tx_hash"] == out["transactions"][-1]["tx_hash"]
    assert attested(chain) == [True] * LEDGER_ACCOUNTS
    # a bad bundle: exit 1, one line, nothing sent
    block = chain.w3.eth.block_number
    r = CliRunner().invoke(main, ["chain", "attest-batch", str(ledger_bundles / "market.json"), *args])
    assert r.exit_code != 0 and "Traceback" not in r.output and chain.w3.eth.block_number == block


def test_a_member_flagged_stale_in_front_of_the_batch_is_attested_and_cleared(chain: Chain, ledger_bundles: Path) -> None:
    """A keeper's (or an attacker's) flagStale of one late member lands first. The batch still
    attests everyone, and its valid solvent proof for the latest epoch clears the late member's
    stale flag (it was only late). A skip or a clear is no way around the pairing."""
    ready(chain, ledger_bundles)
    chain.advance_time(GRACE)
    late = ledger_address(3)
    assert chain.flag_stale([late]).flagged == [late]
    snap = chain.w3.provider.make_request(RPCEndpoint("evm_snapshot"), [])["result"]
    run = chain.attest_batch([ledger_bundles / "bundles"])
    assert run.accounts == LEDGER_ACCOUNTS and run.skipped == []  # what the registry did, from its events
    assert attested(chain) == [True] * LEDGER_ACCOUNTS
    st = chain.status(late)
    assert st["flag"] == Flag.NONE and st["solvent_now"] and st["flag_id"] == 1 and not st["flag_resolved"]
    reg = chain.contract("registry")
    receipt = chain.w3.eth.get_transaction_receipt(run.transactions[0].tx_hash)
    events = reg.events.StaleFlagCleared().process_receipt(receipt, errors=DISCARD)  # beside Attested logs
    assert [(e["args"]["account"], e["args"]["epoch"], e["args"]["flagId"]) for e in events] == [(late, 42, 1)]
    # a bad proof of the flagged member still sinks the batch, and its flag stays
    chain.w3.provider.make_request(RPCEndpoint("evm_revert"), [snap])
    bs = bundles(ledger_bundles)
    bs[3]["proof"]["pi_c"] = bs[2]["proof"]["pi_c"]
    with pytest.raises(ChainError, match=r"reverted: SolvencyRegistry__InvalidProof$"):
        chain.send(attest_batch_call(chain, bs))
    assert chain.status(late)["flag"] == Flag.STALE
