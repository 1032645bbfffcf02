"""The grace clock (ISolvencyRegistry): for the first epoch an account owes, published at M, with
L the first ledger publication at or after it, the deadline is grace + min(L, M + ledgerGrace).
A late ledger moves the clock, a withheld one moves it by at most ledgerGrace; the registry says
when the venue's ledger is overdue. Exact seconds on a real anvil; no proof is needed."""

from __future__ import annotations

from web3 import Web3
from web3.types import RPCEndpoint
from zksolvency.onchain.client import Chain
from zksolvency.onchain.tx import Flag

from tests.helpers.chain import GRACE, LEDGER_GRACE, Roles, at, now, publish_with_ledger, refused


def addr(i: int) -> str:
    return Web3.to_checksum_address(f"0x{0x6ACE000 + i:040x}")


def overdue_events(chain: Chain, block: int) -> list[tuple[int, int]]:
    logs = chain.contract("registry").events.LedgerOverdue().get_logs(from_block=block, to_block=block)
    return [(int(x["args"]["epoch"]), int(x["args"]["dueAt"])) for x in logs]


def publish_market(chain: Chain, epoch: int, when: int) -> int:
    at(chain, when)
    chain.publish(epoch, 1000 + epoch)
    return when


def flag_at_exactly(chain: Chain, account: str, deadline: int) -> None:
    """Refused the second before ``deadline``, flagged at it."""
    at(chain, deadline - 1)
    err = refused("SolvencyRegistry__GracePeriodNotOver", chain.flag_stale, [account])
    assert f"deadline={deadline}" in str(err)
    at(chain, deadline)
    assert chain.flag_stale([account]).flagged == [account]


def test_a_late_ledger_moves_the_clock_to_the_ledger(chain: Chain, roles: Roles) -> None:
    chain.enroll([addr(0)], roles.venue)
    m = publish_market(chain, 1, now(chain) + 10)
    assert chain.status(addr(0))["stale_at"] == m + LEDGER_GRACE + GRACE  # no ledger yet: the cap
    at(chain, m + 600)
    chain.publish_ledger(1, 77, roles.venue)  # ten minutes late: traders could not attest before
    assert chain.status(addr(0))["stale_at"] == m + 600 + GRACE
    assert chain.contract("registry").functions.ledgerOf(1).call() == [77, m + 600]
    assert chain.contract("registry").functions.latestLedger().call() == [1, 77, m + 600]
    flag_at_exactly(chain, addr(0), m + 600 + GRACE)


def test_a_withheld_ledger_shelters_nobody(chain: Chain, roles: Roles) -> None:
    """The venue never publishes the ledger: the clock starts ledgerGrace after the market, the
    registry says the ledger is overdue from then on, and announces it once."""
    reg = chain.contract("registry").functions
    chain.enroll([addr(0), addr(1)], roles.venue)
    m = publish_market(chain, 1, now(chain) + 10)
    at(chain, m + LEDGER_GRACE - 1)
    chain.w3.provider.make_request(RPCEndpoint("evm_mine"), [])
    assert reg.ledgerOverdue().call() is False
    at(chain, m + LEDGER_GRACE)
    chain.w3.provider.make_request(RPCEndpoint("evm_mine"), [])
    assert reg.ledgerOverdue().call() is True and chain.ledger_overdue()
    first = chain.note_ledger_overdue(roles.others[0])
    assert overdue_events(chain, first.block) == [(1, m + LEDGER_GRACE)]
    again = chain.note_ledger_overdue(roles.others[0])
    assert overdue_events(chain, again.block) == []  # once per epoch
    flag_at_exactly(chain, addr(0), m + LEDGER_GRACE + GRACE)
    # a ledger published past its grace does not move the clock back: the cap stays
    chain.publish_ledger(1, 77, roles.venue)
    assert reg.ledgerOverdue().call() is False
    st = chain.status(addr(1))
    assert st["stale_at"] == m + LEDGER_GRACE + GRACE and st["flag"] == Flag.NONE


def test_flag_stale_announces_an_overdue_ledger(chain: Chain, roles: Roles) -> None:
    chain.enroll([addr(0)], roles.venue)
    m = publish_market(chain, 1, now(chain) + 10)
    at(chain, m + LEDGER_GRACE + GRACE)
    res = chain.flag_stale([addr(0)])
    assert res.flagged == [addr(0)] and overdue_events(chain, res.block) == [(1, m + LEDGER_GRACE)]


def test_the_first_ledger_at_or_after_the_owed_epoch_starts_the_clock(chain: Chain, roles: Roles) -> None:
    """The venue skips epoch 1's ledger; epoch 2 comes 10 minutes later with its ledger at once.
    An account owing epoch 1 could attest from that ledger on: its clock starts there, not at the
    cap. And when the next ledger comes only after the cap, the cap holds."""
    chain.enroll([addr(0)], roles.venue)
    m1 = publish_market(chain, 1, now(chain) + 10)
    m2 = publish_with_ledger(chain, 2, 1002, 2002, m1 + 600)
    assert chain.status(addr(0))["stale_at"] == m2 + GRACE
    chain.enroll([addr(1)], roles.venue)  # owes epoch 3 on
    m3 = publish_market(chain, 3, m2 + 3600)
    publish_with_ledger(chain, 4, 1004, 2004, m3 + LEDGER_GRACE + 1)  # 3's ledger never came
    assert chain.status(addr(1))["stale_at"] == m3 + LEDGER_GRACE + GRACE
    flag_at_exactly(chain, addr(1), m3 + LEDGER_GRACE + GRACE)


def test_a_silent_account_cannot_hide_behind_frequent_epochs_without_ledgers(chain: Chain, roles: Roles) -> None:
    """Epochs every 25 minutes and the venue publishes no ledger: the clock of the first epoch
    owed does not move with later epochs; it starts ledgerGrace after that epoch's market."""
    chain.enroll([addr(0)], roles.venue)
    t0 = now(chain) + 10
    for k in range(4):
        publish_market(chain, 10 + k, t0 + 1500 * k)
    assert chain.status(addr(0))["stale_at"] == t0 + LEDGER_GRACE + GRACE
    flag_at_exactly(chain, addr(0), t0 + LEDGER_GRACE + GRACE)
    assert chain.status(addr(0))["flagged_epoch"] == 13
