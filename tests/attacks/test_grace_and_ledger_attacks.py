"""ATTACK the grace clock and the verifier's bindings, as a second independent review of the
hardened registry performed them (real proofs, a real anvil, the real CLI), each shown refused:

- a venue that is never late (every ledger inside its ledger grace) but publishes each ledger in
  the block of the next market: the trader never had a block in which the latest epoch could be
  attested, and was flagged stale and liquidated. Now an earlier epoch the account owes is
  attestable once its ledger is published;
- an oracle publishing every minute while the venue withholds its ledgers under the largest
  ledger grace: the deadline walked every such publication, so `status` and `flagStale` ran out
  of gas (no account could be flagged stale) and the keeper's multicall of `status` failed on
  every tick. Now the first ledger at or after an epoch is a bounded lookup;
- the Python verifier deciding "attest" on a checked market alone, for a proof against a ledger the
  trader built itself (a solvent book under its address): now no decision without a checked
  ledger root; and an indices file that is a ledger.json taken as the registry's enrollment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Collection
from pathlib import Path

import pytest
from web3 import Web3
from web3.types import RPCEndpoint
from zksolvency.onchain.client import Chain
from zksolvency.onchain.deployment import Deployment
from zksolvency.onchain.keeper import Keeper
from zksolvency.onchain.tx import Flag
from zksolvency.prover.setup import Artifacts

from tests.helpers import data
from tests.helpers.chain import GRACE, LEDGER_GRACE, OneBlock, Roles, at, now, refused
from tests.helpers.files import TEST_BUILD, write_json
from tests.helpers.registry import ENROLLED, OTHER, bundle, signal

pytestmark = pytest.mark.slow

WEEK = 7 * 24 * 3600
ZKSOLVENCY = str(Path(sys.executable).with_name("zksolvency"))
ENV = {**os.environ, "ZKSOLVENCY_BUILD": str(TEST_BUILD)}


def mine(chain: Chain) -> None:
    chain.w3.provider.make_request(RPCEndpoint("evm_mine"), [])


# ------------------------------------------------------------ a ledger that lands with the next market


def ledger_then_next_market(chain: Chain, roles: Roles, epoch: int, ledger_root: int, next_epoch: int, next_root: int) -> int:
    """The venue's ledger of ``epoch`` and the oracle's next market in one block, ledger first;
    returns the block's time."""
    with OneBlock(chain) as block:
        block.send(chain.contract("registry").functions.publishLedger(epoch, ledger_root), roles.venue)
        block.send(chain.contract("oracle").functions.publish(next_epoch, next_root), roles.admin)
    assert block.ok(0) and block.ok(1)
    return int(chain.w3.eth.get_block(block.receipts[0]["blockNumber"])["timestamp"])


def test_a_ledger_that_lands_with_the_next_market_still_lets_the_trader_attest(
    chain: Chain, roles: Roles, venue_proofs: Path
) -> None:
    reg = chain.contract("registry").functions
    b42, b43 = bundle(venue_proofs, "other"), bundle(venue_proofs, "other43")
    chain.enroll(ENROLLED, roles.venue)
    d = LEDGER_GRACE - 1  # epochs every d seconds; every ledger d seconds after its market: on time
    t = now(chain) + 10
    at(chain, t)
    chain.publish(42, signal(b42, 3))
    at(chain, t + d)
    l42 = ledger_then_next_market(chain, roles, 42, signal(b42, 2), 43, signal(b43, 3))
    # 42 is no longer the latest, but the trader owes it and its ledger is out: it attests it
    chain.submit_proof("attest", b42, OTHER)
    st = chain.status(OTHER)
    assert st["attested_epoch"] == 42 and not st["solvent_now"] and st["flag"] == Flag.NONE
    assert reg.ledgerOverdue().call() is False
    at(chain, t + 2 * d)
    ledger_then_next_market(chain, roles, 43, signal(b43, 2), 44, 4444)
    chain.submit_proof("attest", b43, OTHER)
    assert chain.status(OTHER)["attested_epoch"] == 43
    refused("SolvencyRegistry__StaleEpoch", chain.submit_proof, "attest", b42, OTHER)  # no longer owed
    # the deadline that flagged it before (grace from 42's ledger) passes harmlessly
    at(chain, l42 + GRACE)
    mine(chain)
    refused("SolvencyRegistry__GracePeriodNotOver", chain.flag_stale, [OTHER])
    assert chain.status(OTHER)["flag"] == Flag.NONE


def test_an_earlier_epoch_never_clears_a_stale_flag_and_a_batch_skips_it(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    b42, b43 = bundle(venue_proofs, "other"), bundle(venue_proofs, "other43")
    chain.enroll(ENROLLED, roles.venue)
    t = now(chain) + 10
    at(chain, t)
    chain.publish(42, signal(b42, 3))
    at(chain, t + 60)
    ledger_then_next_market(chain, roles, 42, signal(b42, 2), 43, signal(b43, 3))
    at(chain, t + 60 + GRACE)
    assert chain.flag_stale([OTHER], roles.others[0]).flagged == [OTHER]
    # the stale account owes 42, but only the latest epoch clears its flag
    refused("SolvencyRegistry__AccountFlagged", chain.submit_proof, "attest", b42, OTHER)
    from tests.batch.test_attest_batch import attest_batch_call

    # in a batch of that epoch it is skipped; a batch of no one else records nothing and reverts
    refused("SolvencyRegistry__AccountFlagged", chain.send, attest_batch_call(chain, [b42], epoch=42))
    chain.publish_ledger(43, signal(b43, 2), roles.venue)
    chain.submit_proof("attest", b43, OTHER)
    assert chain.status(OTHER)["flag"] == Flag.NONE and chain.status(OTHER)["solvent_now"]


# ------------------------------------------------------------ frequent epochs, withheld ledgers


def second_registry(chain: Chain, roles: Roles, ledger_grace: int, tmp: Path) -> Chain:
    """A registry beside the session one (same verifiers and oracle), ledger grace of choice."""
    dep = chain.deployment
    capacity = int(chain.contract("registry").functions.capacity().call())
    address, tx = chain.deploy_contract(
        "SolvencyRegistry",
        dep["verifier"],
        dep["batch_verifier"],
        dep["oracle"],
        GRACE,
        ledger_grace,
        capacity,
        roles.admin,
        roles.venue,
        roles.liquidator,
        sender=roles.admin,
    )
    ch = Chain(chain.rpc, tmp / "deployment.json")
    ch._compiled = chain._compiled
    beside: Deployment = {
        **dep,
        "registry": Web3.to_checksum_address(address),
        "ledger_grace": ledger_grace,
        "deploy_block": tx.block,
    }
    ch._deployment = beside
    return ch


def publish_every(
    chain: Chain, roles: Roles, first: int, n: int, period: int, ledgers: Collection[int] = frozenset()
) -> dict[int, int]:
    """The oracle publishes epochs first..first+n-1 every ``period`` seconds (the venue publishing
    the ledger of those in ``ledgers`` right after); returns epoch -> publication time."""
    w3 = chain.w3
    oracle, reg = chain.contract("oracle"), chain.contract("registry")
    times = {}
    start = now(chain) + period
    for k in range(n):
        epoch = first + k
        at(chain, start + k * period)
        for contract, fn, sender in [(oracle, oracle.functions.publish(epoch, 10_000 + epoch), roles.admin)] + (
            [(reg, reg.functions.publishLedger(epoch, 20_000 + epoch), roles.venue)] if epoch in ledgers else []
        ):
            data_ = fn._encode_transaction_data()
            tx = {"from": sender, "to": contract.address, "data": data_, "gas": hex(300_000)}
            h = w3.provider.make_request(RPCEndpoint("eth_sendTransaction"), [tx])["result"]
            while w3.provider.make_request(RPCEndpoint("eth_getTransactionReceipt"), [h]).get("result") is None:
                time.sleep(0.001)
        times[epoch] = start + k * period
    return times


def test_withheld_ledgers_under_frequent_epochs_keep_the_deadline_exact_and_cheap(
    chain: Chain, roles: Roles, tmp_path: Path
) -> None:
    ch = second_registry(chain, roles, WEEK, tmp_path)
    reg = ch.contract("registry").functions
    early, late = (Web3.to_checksum_address(f"0x{0x5A0000 + i:040x}") for i in range(2))
    ch.enroll([early], roles.venue)
    first = int(ch.contract("oracle").functions.latest().call()[0]) + 1
    # 300 epochs a minute apart; the venue publishes only the ledgers of the 100th and the 200th
    times = publish_every(ch, roles, first, 150, 60, {first + 99})
    ch.enroll([late], roles.venue)  # owes everything after the 150th
    times |= publish_every(ch, roles, first + 150, 150, 60, {first + 199})
    l100 = int(reg.ledgerOf(first + 99).call()[1])
    assert l100 >= times[first + 99]
    # `early` owes the first epoch: its clock started at the first ledger after it (the 100th)
    assert ch.status(early)["stale_at"] == l100 + GRACE
    # `late` owes the 151st: the 200th ledger came in time for its clock
    l200 = int(reg.ledgerOf(first + 199).call()[1])
    assert ch.status(late)["stale_at"] == l200 + GRACE
    at(ch, l200 + GRACE)
    mine(ch)
    gas = reg.flagStale([early, late]).estimate_gas({"from": roles.others[6]})
    assert gas < 150_000, f"flagStale of two accounts over 300 epochs and 2 ledgers: {gas:,} gas"
    assert ch.flag_stale([early, late], roles.others[6]).flagged == [early, late]
    # a venue that withholds every ledger after that: the clock of an account owing the next epoch
    # starts ledgerGrace after its market, at no extra cost per withheld epoch
    after = Web3.to_checksum_address(f"0x{0x5A0100:040x}")
    ch.enroll([after], roles.venue)
    more = publish_every(ch, roles, first + 300, 200, 60)
    assert ch.status(after)["stale_at"] == more[first + 300] + WEEK + GRACE
    at(ch, more[first + 300] + WEEK + GRACE)
    mine(ch)
    gas_one = reg.flagStale([after]).estimate_gas({"from": roles.others[6]})
    assert gas_one < 80_000, f"flagStale over 200 withheld epochs: {gas_one:,} gas"
    assert reg.ledgerOverdue().call() is False  # the latest market is younger than its ledger grace
    at(ch, more[first + 499] + WEEK)
    mine(ch)
    assert reg.ledgerOverdue().call() is True


def test_withheld_ledgers_do_not_blind_the_keeper(chain: Chain, roles: Roles, tmp_path: Path) -> None:
    ch = second_registry(chain, roles, 6 * 3600, tmp_path)
    accounts = [Web3.to_checksum_address(f"0x{0xACC0000 + i:040x}") for i in range(200)]
    for i in range(0, 200, 100):
        ch.enroll(accounts[i : i + 100], roles.venue)
    first = int(ch.contract("oracle").functions.latest().call()[0]) + 1
    m = publish_every(ch, roles, first, 120, 60)[first]
    at(ch, m + 6 * 3600 + GRACE)
    mine(ch)
    res = Keeper(ch).tick()  # one multicall of 200 `status` reads, each over 120 withheld epochs
    assert sorted(res.flagged) == sorted(accounts) and not res.refused


def test_the_keeper_splits_status_reads_a_node_refuses(chain: Chain, roles: Roles, tmp_path: Path) -> None:
    """A node whose calls are capped low (here anvil's block gas limit): the keeper halves its
    multicall of `status` until it fits, instead of failing every tick."""
    ch = second_registry(chain, roles, 3600, tmp_path)
    accounts = [Web3.to_checksum_address(f"0x{0xBCC0000 + i:040x}") for i in range(64)]
    ch.enroll(accounts, roles.venue)
    w3 = ch.w3
    limit = int(w3.eth.get_block("latest")["gasLimit"])
    keeper = Keeper(ch, status_chunk=64)
    one = len(keeper.statuses(accounts, int(w3.eth.block_number)))
    assert one == 64
    w3.provider.make_request(RPCEndpoint("anvil_setBlockGasLimit"), [hex(300_000)])
    mine(ch)
    try:
        rows = keeper.statuses(accounts, int(w3.eth.block_number))
    finally:
        w3.provider.make_request(RPCEndpoint("anvil_setBlockGasLimit"), [hex(limit)])
        mine(ch)
    assert [r.account for r in rows] == accounts and keeper.status_chunk < 64


# ------------------------------------------------------------ the verifier and a ledger of one's own


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ZKSOLVENCY, *args], capture_output=True, text=True, env=ENV, timeout=600)


def test_a_self_made_ledger_reaches_no_decision(artifacts: Artifacts, tmp_path: Path) -> None:
    market = write_json(tmp_path / "market42.json", data.MARKET)
    true_book = write_json(tmp_path / "true-book.json", data.INSOLVENT)  # under water
    other = write_json(tmp_path / "other.json", data.account(account=data.OTHER_ADDR, nonce=0, salt=data.OTHER_SALT))
    fake = write_json(tmp_path / "fake-book.json", data.ACCOUNT)  # the same address, a solvent book
    venue = ["ledger", "build", str(true_book), str(other), "--market", str(market), "--depth", "8"]
    assert cli(*venue, "-o", str(tmp_path / "venue")).returncode == 0
    enrolled = write_json(tmp_path / "enrolled.json", {data.ADDR: 0, data.OTHER_ADDR: 1})
    assert (
        cli("ledger", "build", str(fake), "--market", str(market), "--depth", "8", "-o", str(tmp_path / "fake")).returncode == 0
    )
    b = tmp_path / "fake.bundle.json"
    r = cli("prove", str(tmp_path / "fake" / "statements" / f"{data.ADDR}.json"), str(market), "-o", str(b), "--config", "test")
    assert r.returncode == 0, r.stderr
    for extra in ((), ("--indices", str(enrolled))):
        r = cli("verify", str(b), "--market", str(market), *extra, "--config", "test", "--json")
        j = json.loads(r.stdout)
        assert r.returncode == 0 and j["decision"] is None and j["ledger_checked"] is False
        r = cli("verify", str(b), "--market", str(market), *extra, "--config", "test")
        assert "no decision: the ledger was not checked" in r.stdout.splitlines()[0]
    r = cli("verify-batch", str(b), "--market", str(market), "--indices", str(enrolled), "--config", "test")
    assert r.returncode == 0 and "attestation accepted" not in r.stdout and "no decision" in r.stdout
    # against the venue's ledger it is refused outright
    r = cli("verify", str(b), "--market", str(market), "--ledger", str(tmp_path / "venue" / "ledger.json"), "--config", "test")
    assert r.returncode == 1 and "another ledger" in r.stderr
    # a ledger.json is the venue's listing, never the registry's enrollment
    r = cli("verify", str(b), "--market", str(market), "--indices", str(tmp_path / "fake" / "ledger.json"), "--config", "test")
    assert r.returncode == 2 and "not the registry's enrollment" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = cli("verify", str(b), "--indices", str(enrolled), "--rpc", "http://127.0.0.1:1", "--config", "test")
    assert r.returncode == 2 and "not both" in r.stderr
