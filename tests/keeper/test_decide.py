"""The keeper's decision, table-tested at the exact boundary: an account is flagged in the block
whose timestamp reaches the end of its grace period, never a second before (the rule of
``flagStale`` on chain, which the process tests run against)."""

from __future__ import annotations

import pytest
from zksolvency.onchain.keeper import FLAG_GAS_BASE_BOUND, FLAG_GAS_PER_ACCOUNT_BOUND, batches, due
from zksolvency.onchain.results import AccountStatus
from zksolvency.onchain.tx import Flag

T = 1_800_000_000  # the second the grace period ends


def _status(flag: str = "none", stale_at: int | None = T, attested: int | None = None) -> AccountStatus:
    return AccountStatus(
        "0x" + "11" * 20,
        enrolled=True,
        index=0,
        attested_epoch=attested,
        flag=Flag(flag),
        flagged_epoch=None,
        stale_at=stale_at,
    )


@pytest.mark.parametrize(
    ("status", "now", "flagged"),
    [
        (_status(), T - 1, False),  # one second before the grace period ends
        (_status(), T, True),  # the very second it ends: equality flags, as on chain
        (_status(), T + 3600, True),
        (_status(stale_at=None), T + 10**6, False),  # owes nothing: attested for the latest epoch
        (_status(stale_at=None, attested=42), T + 10**6, False),
        (_status(flag="stale"), T + 1, False),  # already flagged stale: no second flag
        (_status(flag="insolvent"), T + 1, False),  # flagged insolvent: a flag stays as it is
    ],
)
def test_due_at_the_boundary(status: AccountStatus, now: int, flagged: bool) -> None:
    assert (due([status], now) == [status]) is flagged


def test_due_keeps_the_order_and_picks_only_the_stale() -> None:
    rows = [_status(stale_at=T + i) for i in range(5)]
    assert due(rows, T + 2) == rows[:3]


def test_batches_fit_the_gas_limit_and_the_batch_size() -> None:
    accounts = [f"0x{i:040x}" for i in range(1_234)]
    split = batches(accounts, 500, 30_000_000)
    assert [len(b) for b in split] == [500, 500, 234] and [a for b in split for a in b] == accounts
    small_block = FLAG_GAS_BASE_BOUND + 10 * FLAG_GAS_PER_ACCOUNT_BOUND
    assert [len(b) for b in batches(accounts[:25], 500, small_block)] == [10, 10, 5]
    assert batches(accounts[:3], 500, 1) == [[a] for a in accounts[:3]]  # never an empty batch
    assert batches([], 500, 30_000_000) == []
