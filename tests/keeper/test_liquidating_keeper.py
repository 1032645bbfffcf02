"""The liquidating keeper (``keeper run --vault``, SPEC §10) as real processes on a real anvil.

A trader's 10,000-token deposit is flagged insolvent by a real proof; its slices are 2,000 tokens
and each slice's bounty rises from 10 to 100 tokens over 600 s (0.15 token/s). The token is worth
0.001 ETH. Two keepers watch the vault, one content with 0.03 ETH over its gas and one asking
0.06 ETH: the cheaper takes each slice as soon as the rising bounty covers its cost, at a bounty
close to it, and the dearer sends nothing until the cheaper is gone. Neither ever sends a second
transaction for a slice or tips above the node's suggestion. A keeper restarted mid-liquidation
and one whose node went away carry on from the chain alone.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3
from zksolvency.onchain.keeper import Keeper
from zksolvency.onchain.liquidator import Profitability
from zksolvency.onchain.vault import Vault, VaultParams

from tests.helpers.keeper import (
    ZKSOLVENCY,
    Venue,
    insolvent_vault,
    liquidations,
    metric,
    race,
    set_time,
    start_keeper,
    stop_keeper,
    ticks_pass,
    wait_for,
)

pytestmark = pytest.mark.slow

UNIT = 10**18
PARAMS = VaultParams.for_decimals(18)
DEPOSIT = 10_000 * UNIT
PRICE_ETH = "0.001"
PRICE_WEI = 10**15  # per whole token
#: Tokens per second the bounty rises: (5% of a 2,000-token slice - 10) / 600 s.
RISE = (2_000 * PARAMS.max_bounty_bps // 10_000 * UNIT - PARAMS.min_bounty) / PARAMS.auction_duration / UNIT
STEP = 10  # seconds of chain time between two looks of the keepers


def _sent_to(v: Venue, sender: str, to: str, since: int) -> list[int]:
    """The status of every transaction ``sender`` sent to ``to`` in blocks after ``since``."""
    w3 = v.chain.w3
    out = []
    for n in range(since + 1, int(w3.eth.block_number) + 1):
        for tx in w3.eth.get_block(n, full_transactions=True)["transactions"]:
            assert not isinstance(tx, bytes)
            if tx["from"] == sender and tx.get("to") == to:
                out.append(int(w3.eth.get_transaction_receipt(tx["hash"])["status"]))
    return out


def _keeper(v: Venue, name: str, sender: str, vault: Vault, min_profit: str) -> tuple[subprocess.Popen[str], int, Path]:
    return start_keeper(
        v,
        name,
        "--from",
        sender,
        "--vault",
        vault.addresses.vault,
        "--token-price-eth",
        PRICE_ETH,
        "--min-profit",
        min_profit,
        interval=0.2,
    )


def _walk(v: Venue, start: int, ports: list[int], until: Any, limit: int = 900) -> int:
    """Move the chain's clock from ``start`` in STEPs, letting every keeper tick twice at each,
    until ``until()`` holds; returns the clock."""
    t = start
    while not until():
        assert t - start <= limit, "no liquidation within the auction"
        set_time(v, t)
        for p in ports:
            ticks_pass(p, 2)
        t += STEP
    return t


def test_the_cheaper_keeper_liquidates_first_near_its_cost_and_nobody_sends_twice(venue: Venue, venue_proofs: Path) -> None:
    vault, flagged_at = insolvent_vault(venue, venue_proofs)
    w3 = venue.chain.w3
    start_block = int(w3.eth.block_number)
    cheap, dear = (str(a) for a in list(w3.eth.accounts)[4:6])
    profit = {cheap: 3 * 10**16, dear: 6 * 10**16}  # 30 and 60 tokens' worth
    (pa, port_a, log_a), (pb, port_b, log_b) = (
        _keeper(venue, "cheap", cheap, vault, "0.03"),
        _keeper(venue, "dear", dear, vault, "0.06"),
    )
    trader = venue.accounts[0]

    t = _walk(venue, flagged_at + 1, [port_a, port_b], lambda: len(liquidations(vault)) == 1)
    # the restarted cheap keeper has no memory: it reads the taken slice from the chain
    assert stop_keeper(pa) == 0
    pa, port_a, log_a = _keeper(venue, "cheap-again", cheap, vault, "0.03")
    t = _walk(venue, t, [port_a, port_b], lambda: len(liquidations(vault)) == 2)
    assert stop_keeper(pa) == 0  # the cheap keeper is gone: the dear one acts once it pays for it
    _walk(venue, t, [port_b], lambda: len(liquidations(vault)) == 3)
    ticks_pass(port_b, 3)
    assert stop_keeper(pb) == 0

    done = liquidations(vault)
    assert [(d["keeper"], d["slice"]) for d in done] == [(cheap, 1), (cheap, 2), (dear, 3)]
    tip = int(w3.eth.max_priority_fee)
    auction_start = flagged_at
    for d in done:
        threshold = d["paid"] + profit[d["keeper"]]  # wei: gas paid and the keeper's minimum profit
        value = d["bounty"] * PRICE_WEI // UNIT
        assert value >= threshold, d  # never below its cost
        # ... and close to it: one step earlier (and a few seconds of the keepers' own ticks) it
        # was not worth it yet
        assert (value - threshold) / PRICE_WEI <= RISE * (STEP + 5), d
        assert d["tip"] == tip <= 2 * 10**9  # the node's tip, within the cap: never bid up
        print(
            f"slice {d['slice']} by {'cheap' if d['keeper'] == cheap else 'dear'}: {d['at'] - auction_start}s into its"
            f" auction, {d['at'] - flagged_at}s after the flag; bounty {d['bounty'] / UNIT:.2f} tokens"
            f" ({value / 1e18:.5f} ETH) for {d['paid'] / 1e18:.6f} ETH of gas + {profit[d['keeper']] / 1e18} ETH profit"
        )
        auction_start = d["at"] + PARAMS.cooldown
    # one transaction per slice taken, none for a slice another took, none reverted
    assert _sent_to(venue, cheap, vault.addresses.vault, start_block) == [1, 1]
    assert _sent_to(venue, dear, vault.addresses.vault, start_block) == [1]
    assert vault.balance(trader) == DEPOSIT - 3 * 2_000 * UNIT
    for log in (log_a, log_b):
        text = log.read_text()
        assert "Traceback" not in text and "SIGTERM: stopping" in text
    assert "slice 1 of" in log_b.read_text() and "not worth it yet" in log_b.read_text()
    assert "liquidated slice 3 of" in log_b.read_text()


def test_metrics_and_a_node_that_goes_away(venue: Venue, venue_proofs: Path) -> None:
    """A keeper that wants no profit liquidates a slice as soon as it is liquidatable, also after
    its node was stopped and started again; its metrics count the bounty and the wei it paid."""
    vault, flagged_at = insolvent_vault(venue, venue_proofs)
    sender = str(list(venue.chain.w3.eth.accounts)[4])
    proc, port, log = _keeper(venue, "solo", sender, vault, "0")
    wait_for(lambda: len(liquidations(vault)) == 1, what="the first slice")
    venue.stop_node()
    wait_for(lambda: "unreachable" in log.read_text(), what="the keeper to notice the node went away", timeout=30)
    venue.start_node()
    wait_for(lambda: "answers again" in log.read_text(), what="the keeper to reconnect", timeout=60)
    set_time(venue, liquidations(vault)[0]["at"] + PARAMS.cooldown)
    wait_for(lambda: len(liquidations(vault)) == 2, what="the second slice after the node came back")
    ticks_pass(port, 3)
    done = liquidations(vault)
    assert [d["keeper"] for d in done] == [sender, sender] and done[0]["at"] >= flagged_at
    assert metric(port, "zksolvency_keeper_liquidations_total{outcome=mined}") == 2
    assert metric(port, "zksolvency_keeper_bounty_earned_total") == sum(d["bounty"] for d in done)
    assert metric(port, "zksolvency_keeper_liquidation_gas_cost_wei_total") == sum(d["paid"] for d in done)
    assert stop_keeper(proc) == 0


def test_two_keepers_in_one_block_one_transaction_each_and_no_retry(venue: Venue, venue_proofs: Path) -> None:
    """Automine off: both keepers price the same slice while the first's liquidation waits in the
    pool. The second reads the pending block, which holds it, and sends nothing (or, had it read
    before, its transaction reverts in the block); either way its next tick sends nothing."""
    vault, _ = insolvent_vault(venue, venue_proofs)
    ch = venue.chain
    profit = Profitability(PRICE_WEI, 0, 18)
    a_addr, b_addr = (str(x) for x in list(ch.w3.eth.accounts)[4:6])
    a, b = (Keeper(ch, sender=s, vault=Vault.at(ch, vault.addresses.vault), profit=profit) for s in (a_addr, b_addr))
    b_nonce = ch.w3.eth.get_transaction_count(Web3.to_checksum_address(b_addr))
    ra, rb = race(venue, a, b)
    la, lb = ra.liquidation, rb.liquidation
    assert la is not None and lb is not None
    assert [r.slice for r in la.liquidated] == [1] and lb.liquidated == []
    assert all("NotLiquidatableYet" in r or "failed" in r for r in lb.refused), lb.refused
    nonce = ch.w3.eth.get_transaction_count(Web3.to_checksum_address(b_addr))
    assert nonce - b_nonce <= 1  # at most one transaction for the slice, and it reverted
    again = b.tick().liquidation
    assert again is not None and again.liquidated == [] and again.refused == []
    assert ch.w3.eth.get_transaction_count(Web3.to_checksum_address(b_addr)) == nonce


def test_liquidating_keeper_flags_are_checked(venue: Venue, venue_proofs: Path) -> None:
    """--vault needs --token-price-eth; prices and profits are exact decimal ETH; the vault must be
    a MarginVault of this deployment's registry. Each refusal: exit 2, one line naming the flag."""
    vault, _ = insolvent_vault(venue, venue_proofs)
    base = [ZKSOLVENCY, "keeper", "run", "--rpc", venue.node.rpc, "--deployment", str(venue.dir / "deployment.json"), "--once"]
    cases = [
        (["--vault", vault.addresses.vault], "--token-price-eth"),
        (["--vault", vault.addresses.vault, "--token-price-eth", "1e-3"], "--token-price-eth: 1e-3"),
        (["--vault", vault.addresses.vault, "--token-price-eth", "0"], "must be positive"),
        (["--vault", vault.addresses.vault, "--token-price-eth", "0.001", "--min-profit", "-1"], "--min-profit: -1"),
        (["--vault", vault.addresses.vault, "--token-price-eth", "0." + "1" * 19], "at most 18 fractional digits"),
        (["--vault", "0x" + "11" * 20, "--token-price-eth", "1"], "no contract at this address"),
        (["--vault", vault.addresses.token, "--token-price-eth", "1"], "not a MarginVault"),
        (["--vault", "0xabc", "--token-price-eth", "1"], "--vault: 0xabc"),
    ]
    for args, shown in cases:
        r = subprocess.run([*base, *args], capture_output=True, text=True)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and shown in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
    r = subprocess.run([*base, "--vault", vault.addresses.vault, "--token-price-eth", PRICE_ETH], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "liquidated slice 1 of" in r.stderr
