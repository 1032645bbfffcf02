"""Registry rules that need no proof: roles, enrollment, ledger publication, staleness timing.

Real anvil, real contracts (the test circuit's generated verifier). Every attack is performed and
shown refused; the timing tests set block timestamps exactly, at the second a deadline falls.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_typing import HexStr
from web3 import Web3
from zksolvency.onchain import anvil
from zksolvency.onchain.client import Chain
from zksolvency.onchain.tx import Flag
from zksolvency.prover.config import CircuitConfig
from zksolvency.prover.setup import Artifacts
from zksolvency.zkcore.field import SNARK_FIELD

from tests.helpers.chain import GRACE, NO_PROOF, OneBlock, Roles, at, now, publish_with_ledger, refused

HALF_HOUR = 1800
UNAUTHORIZED = "AccessControlUnauthorizedAccount"


def addr(i: int) -> str:
    """A distinct trader address."""
    return Web3.to_checksum_address(f"0x{0xA11CE000 + i:040x}")


def publish_epochs(chain: Chain, first: int, count: int, every: int = HALF_HOUR, *, ledgers: bool = True) -> list[int]:
    """Publish ``count`` epochs ``every`` seconds apart from the next second, each with its ledger in
    the same block (``ledgers``; else the venue withholds them); returns their times."""
    times = []
    t = now(chain) + 1
    for k in range(count):
        if ledgers:
            publish_with_ledger(chain, first + k, 1000 + first + k, 2000 + first + k, t)
        else:
            at(chain, t)
            chain.publish(first + k, 1000 + first + k)
        times.append(t)
        t += every
    return times


# ------------------------------------------------------------ roles


def test_only_the_venue_enrolls_and_publishes_ledgers(chain: Chain, roles: Roles) -> None:
    chain.publish(1, 111)
    for who in (roles.admin, roles.liquidator, roles.others[0]):
        refused(UNAUTHORIZED, chain.enroll, [addr(0)], who)
        refused(UNAUTHORIZED, chain.publish_ledger, 1, 222, who)
    assert chain.enrolled() == {} and chain.ledger_root(1) is None
    chain.enroll([addr(0)], roles.venue)
    chain.publish_ledger(1, 222, roles.venue)
    assert chain.enrolled() == {addr(0): 0} and chain.ledger_root(1) == 222


def test_only_the_admin_changes_roles(chain: Chain, roles: Roles) -> None:
    newcomer = roles.others[1]
    for who in (roles.venue, roles.liquidator, newcomer):
        refused(UNAUTHORIZED, chain.grant_role, "venue", newcomer, who)
        refused(UNAUTHORIZED, chain.grant_role, "liquidator", newcomer, who)
        refused(UNAUTHORIZED, chain.grant_role, "admin", newcomer, who)
        refused(UNAUTHORIZED, chain.grant_role, "publisher", newcomer, who, contract="oracle")
    assert not chain.has_role("venue", newcomer)
    chain.grant_role("venue", newcomer, roles.admin)
    chain.enroll([addr(5)], newcomer)
    assert chain.enrolled() == {addr(5): 0}
    reg = chain.contract("registry").functions
    chain.send(reg.revokeRole(chain.role_id("registry", "venue"), newcomer), roles.admin)
    refused(UNAUTHORIZED, chain.enroll, [addr(6)], newcomer)
    # the oracle's publisher is the admin's to appoint too
    refused(UNAUTHORIZED, chain.publish, 7, 777, newcomer)
    chain.grant_role("publisher", newcomer, roles.admin, contract="oracle")
    chain.publish(7, 777, newcomer)


def test_only_the_liquidator_resolves_flags(chain: Chain, roles: Roles) -> None:
    chain.enroll([addr(0)], roles.venue)
    publish_epochs(chain, 1, 1)
    chain.advance_time(GRACE)
    chain.flag_stale([addr(0)], roles.others[0])
    reg = chain.contract("registry").functions
    for who in (roles.admin, roles.venue, roles.others[0]):
        refused(UNAUTHORIZED, chain.resolve_flag, addr(0), who)
    assert chain.status(addr(0))["flag"] == Flag.STALE
    res = chain.resolve_flag(addr(0), roles.liquidator)
    logs = chain.contract("registry").events.FlagResolved().get_logs(from_block=res.block, to_block=res.block)
    assert [(log["args"]["account"], log["args"]["flag"]) for log in logs] == [(addr(0), 2)]
    assert chain.status(addr(0))["flag"] == Flag.NONE
    refused("SolvencyRegistry__NotFlagged", chain.resolve_flag, addr(0), roles.liquidator)
    # resolving starts a fresh clock: nothing is owed until the next epoch
    refused("SolvencyRegistry__NotDue", chain.flag_stale, [addr(0)])
    assert reg.hasRole(chain.role_id("registry", "liquidator"), roles.liquidator).call()


# ------------------------------------------------------------ enrollment


def test_enrollment_assigns_indices_in_order_and_never_twice(chain: Chain, roles: Roles) -> None:
    res = chain.enroll([addr(0), addr(1)], roles.venue)
    assert res.indices == {addr(0): 0, addr(1): 1}
    assert chain.enroll([addr(2)], roles.venue).indices == {addr(2): 2}
    # an address enrolls once: no second index, and a refused batch records nothing
    refused("SolvencyRegistry__AlreadyEnrolled", chain.enroll, [addr(3), addr(1)], roles.venue)
    refused("SolvencyRegistry__AlreadyEnrolled", chain.enroll, [addr(3), addr(3)], roles.venue)
    refused("SolvencyRegistry__ZeroAddress", chain.enroll, ["0x" + "00" * 20], roles.venue)
    refused("SolvencyRegistry__EmptyList", chain.enroll, [], roles.venue)
    assert chain.enrolled() == {addr(0): 0, addr(1): 1, addr(2): 2}
    # indices are never reused: the next one is 3
    assert chain.enroll([addr(3)], roles.venue).indices == {addr(3): 3}
    st = chain.status(addr(1))
    assert st["enrolled"] and st["index"] == 1 and not st["attested"] and st["flag"] == Flag.NONE
    assert chain.status(addr(9)) | {"latest_epoch": None} == {
        "account": addr(9),
        "enrolled": False,
        "index": None,
        "attested": False,
        "attested_epoch": None,
        "flag": Flag.NONE,
        "flagged_epoch": None,
        "flagged_at": None,
        "flag_id": 0,
        "flag_resolved": False,
        "resolved_epoch": None,
        "stale_at": None,
        "latest_epoch": None,
        "solvent_now": False,
    }
    logs = chain.contract("registry").events.Enrolled().get_logs(from_block=res.block, to_block=res.block)
    assert [(log["args"]["account"], log["args"]["index"]) for log in logs] == [(addr(0), 0), (addr(1), 1)]


# ------------------------------------------------------------ ledger publication


def test_ledger_is_published_once_for_the_latest_epoch(chain: Chain, roles: Roles) -> None:
    v = roles.venue
    refused("SolvencyRegistry__NoEpoch", chain.publish_ledger, 1, 5, v)
    chain.publish(1, 111)
    refused("SolvencyRegistry__LedgerEpochNotLatest", chain.publish_ledger, 2, 5, v)
    refused("SolvencyRegistry__LedgerEpochNotLatest", chain.publish_ledger, 0, 5, v)
    refused("SolvencyRegistry__InvalidLedgerRoot", chain.publish_ledger, 1, 0, v)
    refused("SolvencyRegistry__InvalidLedgerRoot", chain.publish_ledger, 1, SNARK_FIELD, v)
    res = chain.publish_ledger(1, 5, v)
    logs = chain.contract("registry").events.LedgerPublished().get_logs(from_block=res.block, to_block=res.block)
    assert [(log["args"]["epoch"], log["args"]["root"]) for log in logs] == [(1, 5)]
    refused("SolvencyRegistry__LedgerAlreadyPublished", chain.publish_ledger, 1, 6, v)
    assert chain.ledger_root(1) == 5
    chain.publish(3, 333)
    refused("SolvencyRegistry__LedgerEpochNotLatest", chain.publish_ledger, 1, 6, v)  # no late rewrites
    chain.publish_ledger(3, 5, v)  # an unchanged book may keep its root: the market root differs


def test_proofs_need_the_latest_epochs_ledger(chain: Chain, roles: Roles) -> None:
    chain.enroll([addr(0)], roles.venue)
    reg = chain.contract("registry").functions
    signals = [1, int(addr(0), 16), 5, 111]
    refused("SolvencyRegistry__NoEpoch", chain.send, reg.attest(addr(0), 1, *NO_PROOF, signals))
    chain.publish(1, 111)
    refused("SolvencyRegistry__LedgerNotPublished", chain.send, reg.attest(addr(0), 1, *NO_PROOF, signals))
    refused("SolvencyRegistry__LedgerNotPublished", chain.send, reg.flagInsolvent(addr(0), 1, *NO_PROOF, [0, *signals[1:]]))
    chain.publish_ledger(1, 5, roles.venue)
    # every binding holds, so only the pairing is left: a proof of nothing is refused there
    refused("SolvencyRegistry__InvalidProof", chain.send, reg.attest(addr(0), 1, *NO_PROOF, signals))
    refused("SolvencyRegistry__NotEnrolled", chain.send, reg.attest(addr(1), 1, *NO_PROOF, signals))
    assert not chain.status(addr(0))["attested"]


def test_an_index_beyond_the_enrolled_range_is_refused(chain: Chain, roles: Roles) -> None:
    chain.enroll([addr(0), addr(1)], roles.venue)
    chain.publish(1, 111)
    chain.publish_ledger(1, 5, roles.venue)
    reg = chain.contract("registry").functions
    for index in (2, 7, 2**64):  # past the two enrolled indices, and past uint64
        signals = [1, index * 2**160 + int(addr(0), 16), 5, 111]
        refused("SolvencyRegistry__IndexMismatch", chain.send, reg.attest(addr(0), 1, *NO_PROOF, signals))
    signals = [1, 1 * 2**160 + int(addr(0), 16), 5, 111]  # addr(1)'s index with addr(0)'s address
    refused("SolvencyRegistry__IndexMismatch", chain.send, reg.attest(addr(0), 1, *NO_PROOF, signals))


# ------------------------------------------------------------ staleness (issue 8, part 4)


def test_silent_account_cannot_hide_behind_frequent_epochs(chain: Chain, roles: Roles) -> None:
    """Epochs every 25 minutes, a one-hour grace period: measured from the latest publication no
    account could ever be flagged. It is measured from the first epoch the account owes."""
    chain.enroll([addr(0)], roles.venue)
    times = publish_epochs(chain, 10, 3, every=1500)  # epochs 10, 11, 12 at t, t+25min, t+50min
    deadline = times[0] + GRACE
    assert deadline < times[-1] + GRACE  # the old rule's deadline kept moving away
    assert chain.status(addr(0))["stale_at"] == deadline
    at(chain, deadline - 1)
    err = refused("SolvencyRegistry__GracePeriodNotOver", chain.flag_stale, [addr(0)])
    assert f"deadline={deadline}" in str(err)
    at(chain, deadline)  # the second the grace period of epoch 10 ends; epoch 12 is brand new
    res = chain.flag_stale([addr(0)], roles.others[0])
    assert res.flagged == [addr(0)]
    logs = chain.contract("registry").events.FlaggedStale().get_logs(from_block=res.block, to_block=res.block)
    assert [(log["args"]["account"], log["args"]["epoch"], log["args"]["by"]) for log in logs] == [(addr(0), 12, roles.others[0])]
    st = chain.status(addr(0))
    assert st["flag"] == Flag.STALE and st["flagged_epoch"] == 12 and not st["solvent_now"]
    refused("SolvencyRegistry__AccountFlagged", chain.flag_stale, [addr(0)])


def test_enrollment_opens_no_window_for_flag_stale(chain: Chain, roles: Roles) -> None:
    """The old `register` reset an account's attestation, and a `flagStale` placed right behind it
    flagged an honest account. Enrollment happens once and owes nothing for the current epoch."""
    publish_epochs(chain, 1, 1)
    chain.advance_time(10 * GRACE)  # epoch 1's grace period is long over
    reg = chain.contract("registry").functions
    with OneBlock(chain) as block:
        block.send(reg.enroll([addr(0)]), roles.venue)
        back_run = block.send(reg.flagStale([addr(0)]), roles.others[0])
    assert block.ok(0) and not block.ok(back_run)
    assert chain.status(addr(0))["flag"] == Flag.NONE
    refused("SolvencyRegistry__NotDue", chain.flag_stale, [addr(0)])
    # no second enrollment resets it, and the self-service `register` of old is gone
    refused("SolvencyRegistry__AlreadyEnrolled", chain.enroll, [addr(0)], roles.venue)
    assert not [f for f in chain.deployment["abi"]["registry"] if f.get("name") == "register"]
    old_register = Web3.keccak(text="register(uint256)")[:4].hex() + "00" * 31 + "01"
    with pytest.raises(Exception, match="revert"):
        chain.w3.eth.call({"to": chain.deployment["registry"], "data": HexStr("0x" + old_register.removeprefix("0x"))})
    # the account owes epoch 2 on, with the full grace period after it
    (t2,) = publish_epochs(chain, 2, 1)
    at(chain, t2 + GRACE - 1)
    refused("SolvencyRegistry__GracePeriodNotOver", chain.flag_stale, [addr(0)])
    at(chain, t2 + GRACE)
    assert chain.flag_stale([addr(0)]).flagged == [addr(0)]


def test_flag_stale_many_accounts_in_one_call(chain: Chain, roles: Roles) -> None:
    accounts = [addr(i) for i in range(12)]
    chain.enroll(accounts, roles.venue)
    publish_epochs(chain, 1, 1)
    chain.advance_time(GRACE)
    one = chain.flag_stale(accounts[:1], roles.others[0])
    ten = chain.flag_stale(accounts[1:11], roles.others[0])
    assert one.flagged == accounts[:1] and ten.flagged == accounts[1:11] and ten.skipped == []
    print(f"\nflagStale gas: 1 account {one.gas_used:,}; 10 accounts {ten.gas_used:,} ({ten.gas_per_account:,} each)")
    assert ten.gas_per_account < one.gas_used / 2  # the call's fixed cost is shared
    assert all(chain.status(a)["flag"] == Flag.STALE for a in accounts[:11])
    # a keeper's batch survives accounts that are no longer stale: they are skipped
    mixed = chain.flag_stale([accounts[0], accounts[11], accounts[5]])
    assert mixed.flagged == [accounts[11]] and mixed.skipped == [accounts[0], accounts[5]]
    # ... a batch that flags nothing reverts with the first account's reason
    refused("SolvencyRegistry__AccountFlagged", chain.flag_stale, accounts[:3])
    # ... and an address that was never enrolled is a caller's mistake, never skipped
    refused("SolvencyRegistry__NotEnrolled", chain.flag_stale, [addr(50)])
    refused("SolvencyRegistry__EmptyList", chain.flag_stale, [])


def test_flag_stale_before_any_epoch_is_refused(chain: Chain, roles: Roles) -> None:
    chain.enroll([addr(0)], roles.venue)
    refused("SolvencyRegistry__NoEpoch", chain.flag_stale, [addr(0)])
    chain.publish(1, 111)
    refused("SolvencyRegistry__GracePeriodNotOver", chain.flag_stale, [addr(0)])  # enrolled before epoch 1: owes it


# ------------------------------------------------------------ the oracle


def test_oracle_rules(chain: Chain, roles: Roles) -> None:
    chain.publish(42, 4242)
    refused("MarginOracle__EpochNotIncreasing", chain.publish, 42, 1)
    refused("MarginOracle__EpochNotIncreasing", chain.publish, 41, 1)
    refused("MarginOracle__RootNotInField", chain.publish, 43, SNARK_FIELD)
    refused(UNAUTHORIZED, chain.publish, 43, 1, roles.venue)
    chain.publish(50, 5050)  # epochs may skip numbers; sequence numbers do not
    o = chain.contract("oracle").functions
    assert o.publication(42).call()[0] == 4242 and o.seqOf(42).call() == 1 and o.seqOf(50).call() == 2
    assert o.publicationAt(2).call()[:2] == [50, 5050]
    assert o.latest().call()[0] == 50 and o.latest().call()[3] == 2


def test_times_past_2106_do_not_wrap(artifacts: Artifacts, test_cfg: CircuitConfig, tmp_path: Path) -> None:
    """uint32 seconds end in February 2106; publication times and deadlines are uint64."""
    node = anvil.start(tmp_path)
    try:
        ch = Chain(node.rpc, tmp_path / "deployment.json")
        ch.deploy(artifacts.solidity, test_cfg.name, GRACE)
        ch.enroll([addr(0)])
        t = 2**32 + 5
        assert publish_with_ledger(ch, 1, 111, 222, t) == t
        assert ch.contract("oracle").functions.latest().call()[2] == t
        assert ch.contract("registry").functions.latestLedger().call() == [1, 222, t]
        assert ch.status(addr(0))["stale_at"] == t + GRACE
        at(ch, t + GRACE - 1)
        refused("SolvencyRegistry__GracePeriodNotOver", ch.flag_stale, [addr(0)])
        at(ch, t + GRACE)
        assert ch.flag_stale([addr(0)]).flagged == [addr(0)]
    finally:
        anvil.stop(node.pid)


def test_enrollment_stops_at_the_ledger_capacity(chain: Chain, roles: Roles, test_cfg: CircuitConfig) -> None:
    """Attacker review finding 15: an index at or beyond 2^LD can never be opened by a proof, so an
    account enrolled there could only be flagged stale. The registry stops at the capacity."""
    reg = chain.contract("registry").functions
    capacity = int(reg.capacity().call())
    assert capacity == 2**test_cfg.LD == chain.deployment["capacity"]
    accounts = [addr(i) for i in range(capacity)]
    for i in range(0, capacity, 128):
        chain.enroll(accounts[i : i + 128], roles.venue)
    assert int(reg.enrolledCount().call()) == capacity
    refused("SolvencyRegistry__LedgerFull", chain.enroll, [addr(capacity)], roles.venue)
    assert int(reg.enrolledCount().call()) == capacity and not chain.status(addr(capacity))["enrolled"]
