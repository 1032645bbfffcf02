"""The example vault's liquidation rules (issue 19, docs/spec.md §10) on a real anvil, with flags
raised and cleared by REAL proofs and every slice a real transaction at a chosen block time
(`evm_setNextBlockTimestamp`):

- the quote is the executed slice, to the wei, at every point of the bounty's auction;
- slices: the cap, the remainder, the cooldown, never a zero slice; a resolve stops a liquidation;
  an override stale -> insolvent continues it (basis, slices, cooldown) and ends a cure window;
- the cure window: a late proof in time is never liquidated, no proof is liquidated after it; a
  ledger published later moves it, an overdue ledger stops stale liquidations; an insolvency flag
  has none; an attestation of an older market does not stop a liquidation, one of a newer does;
- two keepers in one block (automine off): the higher priority fee gets the slice, at the quoted
  bounty, not a unit more;
- the loss waterfall: a shortfall of a settled insolvent account, once per flag, paid by the fund
  up to its balance, the rest socialised.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eth_typing import HexStr
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from zksolvency.onchain.client import Chain
from zksolvency.onchain.tx import TxResult
from zksolvency.onchain.vault import LiquidationQuote, LiquidationResult, Vault

from tests.helpers.chain import LEDGER_GRACE, Roles, at, now, publish_with_ledger, refused
from tests.helpers.registry import ADDR, OTHER, bundle, ready, signal
from tests.helpers.vault import PARAMS, UNIT, Actors, flag_insolvent, funded, mint, new_vault

pytestmark = pytest.mark.slow

D = PARAMS.auction_duration
COOLDOWN = PARAMS.cooldown
CURE = PARAMS.cure_window


def block_time(chain: Chain, block: int) -> int:
    return int(chain.w3.eth.get_block(block)["timestamp"])


def slice_at(chain: Chain, v: Vault, account: str, keeper: str, when: int) -> tuple[LiquidationQuote, LiquidationResult]:
    """Quote against the pending block at ``when``, then liquidate in that very block."""
    at(chain, when)
    quote = v.quote(account)
    res = v.liquidate(account, keeper)
    assert block_time(chain, res.block) == when
    return quote, res


def quote_at(chain: Chain, v: Vault, account: str, when: int) -> LiquidationQuote:
    """The quote for a block at ``when`` (the next block's time is set, nothing is mined)."""
    at(chain, when)
    return v.quote(account)


def flag_stale_at(chain: Chain, accounts: list[str]) -> int:
    """Flag ``accounts`` stale the second they are due; returns the flag's time."""
    when = int(chain.status(accounts[0])["stale_at"])
    at(chain, when)
    assert chain.flag_stale(accounts).flagged == accounts
    return when


@pytest.fixture(name="actors")
def actors_fixture(roles: Roles) -> Actors:
    """The vault tests' actors (keeper, the vault's liquidator, guardian, newcomer, the venue)."""
    return Actors(*roles.others[:5])


@pytest.fixture(name="vault")
def vault_fixture(chain: Chain, roles: Roles, actors: Actors) -> tuple[Vault, Contract]:
    """A fresh vault of a plain test token with PARAMS, paying shortfalls to ``actors.treasury``."""
    return new_vault(chain, roles, actors)


NOT_YET = Web3.keccak(text="MarginVault__NotLiquidatableYet(address,uint64)")[:4]


# ------------------------------------------------------------ the quote is the slice


def test_quote_equals_the_executed_slice_to_the_wei_through_the_auction(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    """Five slices of a 10,000-token deposit (2,000 each) at t = mid-auction, 0, D, well after D and
    1 s: the quote asked against the pending block is what the transaction in that block does."""
    v, token = vault
    ready(chain, roles, bundle(venue_proofs, "insolvent"))
    funded(chain, v, token, ADDR, 10_000 * UNIT)
    flagged_at = flag_insolvent(chain, venue_proofs)
    # seconds into each slice's auction -> the bounty (from 10 to 100 tokens, 5% of the slice)
    bounties = {D // 2: 55 * UNIT, 0: 10 * UNIT, D: 100 * UNIT, 10 * D: 100 * UNIT, 1: 10 * UNIT + 15 * UNIT // 100}
    start = flagged_at  # an insolvency flag's first slice: from the flag on
    for n, (t, bounty) in enumerate(bounties.items(), start=1):
        before = (v.token_balance(actors.keeper), v.fund_balance(), v.held(ADDR), v.balance(ADDR))
        q, res = slice_at(chain, v, ADDR, actors.keeper, start + t)
        assert q == LiquidationQuote(2000 * UNIT, bounty, 60 * UNIT, 1940 * UNIT - bounty, True, start)
        assert (res.seized, res.split) == (q.seized, q.split) and (res.slice, res.flag_id, res.started) == (n, 1, n == 1)
        assert res.split == PARAMS.split(2000 * UNIT, t) == v.split(2000 * UNIT, t)
        after = (v.token_balance(actors.keeper), v.fund_balance(), v.held(ADDR), v.balance(ADDR))
        assert [a - b for a, b in zip(after, before, strict=True)] == [q.bounty, q.penalty, q.held, -q.seized]
        # inside the cooldown the quote says when, and nothing else (nothing at all once the deposit is gone)
        next_from = start + t + COOLDOWN if n < 5 else 0
        assert quote_at(chain, v, ADDR, start + t + COOLDOWN - 1) == LiquidationQuote(0, 0, 0, 0, False, next_from)
        st = v.status(ADDR)
        assert (st.basis, st.slices, st.last_slice_at, st.in_progress) == (10_000 * UNIT, n, start + t, True)
        start += t + COOLDOWN
    assert v.balance(ADDR) == 0
    assert quote_at(chain, v, ADDR, start) == LiquidationQuote(0, 0, 0, 0, False, 0)  # nothing left: no from
    refused("MarginVault__NothingToLiquidate", v.liquidate, ADDR, actors.keeper)


# ------------------------------------------------------------ slices


def test_slices_take_the_cap_and_the_last_takes_the_rest_after_each_cooldown_never_dust(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    v, token = vault
    ready(chain, roles, bundle(venue_proofs, "insolvent"))
    basis = 1000 * UNIT + 3  # 20% is 200 tokens and 0.6 wei: the 5th slice takes the 3 wei too
    funded(chain, v, token, ADDR, basis)
    last = flag_insolvent(chain, venue_proofs)
    assert v.vault.functions.sliceCount().call() == PARAMS.slice_count == 5
    seized = []
    for n in range(1, 6):
        if n > 1:
            at(chain, last + COOLDOWN - 1)  # one second early: refused, with when
            err = refused("MarginVault__NotLiquidatableYet", v.liquidate, ADDR, actors.keeper)
            assert f"account={ADDR}, from={last + COOLDOWN}" in str(err)
            last += COOLDOWN
        q, res = slice_at(chain, v, ADDR, actors.keeper, last)
        assert (res.slice, res.basis, res.seized, res.split) == (n, basis, q.seized, q.split)
        seized.append(res.seized)
        assert res.seized == PARAMS.seize(basis, n, basis - sum(seized[:-1]))
    assert seized == [200 * UNIT] * 4 + [200 * UNIT + 3]  # no 3-wei slice no keeper would take
    st = v.status(ADDR)
    assert (st.deposit, st.basis, st.slices, st.liquidatable, st.next_liquidatable_at) == (0, basis, 5, False, 0)
    at(chain, last + COOLDOWN)
    refused("MarginVault__NothingToLiquidate", v.liquidate, ADDR, actors.keeper)  # no zero-amount slice
    assert v.liquidation(ADDR).slices == 5


def test_a_resolve_between_slices_stops_the_liquidation(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    v, token = vault
    ready(chain, roles, bundle(venue_proofs, "insolvent"))
    funded(chain, v, token, ADDR, 1000 * UNIT)
    flagged_at = flag_insolvent(chain, venue_proofs)
    _, first = slice_at(chain, v, ADDR, actors.keeper, flagged_at + 5)
    chain.resolve_flag(ADDR, roles.liquidator)  # the venue settled the account off chain
    assert quote_at(chain, v, ADDR, flagged_at + 5 + COOLDOWN) == LiquidationQuote(0, 0, 0, 0, False, 0)
    refused("MarginVault__NotFlagged", v.liquidate, ADDR, actors.keeper)
    st = v.status(ADDR)
    assert (st.flag, st.in_progress, st.slices, st.deposit) == ("none", False, 1, 800 * UNIT)
    # the rest is the trader's again once it attests: the resolve ended the liquidation
    refused("MarginVault__NotSolvent", v.withdraw, ADDR, 1)
    recovered = bundle(venue_proofs, "recovered43")
    publish_with_ledger(chain, 43, signal(recovered, 3), signal(recovered, 2))
    chain.submit_proof("attest", recovered)
    v.withdraw(ADDR, 800 * UNIT)
    assert (v.balance(ADDR), v.held(ADDR)) == (0, first.split.held)


def test_an_override_stale_to_insolvent_continues_the_same_liquidation(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    """ADDR, silent, is flagged stale and liquidated after its cure window; its insolvency proof
    then overrides the flag (same flagId): the same basis, the slice count goes on, and the
    cooldown still runs from the stale slice."""
    v, token = vault
    b = bundle(venue_proofs, "insolvent")
    ready(chain, roles, b)
    funded(chain, v, token, ADDR, 1000 * UNIT)
    flagged_at = flag_stale_at(chain, [ADDR])
    assert v.quote(ADDR) == LiquidationQuote(0, 0, 0, 0, False, flagged_at + CURE)
    _, first = slice_at(chain, v, ADDR, actors.keeper, flagged_at + CURE)
    assert (first.flag, first.flag_id, first.slice, first.basis, first.seized) == ("stale", 1, 1, 1000 * UNIT, 200 * UNIT)
    at(chain, flagged_at + CURE + 5)
    chain.submit_proof("flag", b)  # the override
    st = chain.status(ADDR)
    assert (st["flag"], st["flag_id"], st["flagged_at"]) == ("insolvent", 1, flagged_at + CURE + 5)
    # the cooldown runs from the stale slice, not from the override
    assert quote_at(chain, v, ADDR, flagged_at + CURE + 6) == LiquidationQuote(0, 0, 0, 0, False, flagged_at + CURE + COOLDOWN)
    err = refused("MarginVault__NotLiquidatableYet", v.liquidate, ADDR, actors.keeper)
    assert f"from={flagged_at + CURE + COOLDOWN}" in str(err)
    _, second = slice_at(chain, v, ADDR, actors.keeper, flagged_at + CURE + COOLDOWN)
    assert (second.flag, second.flag_id, second.slice, second.started, second.basis) == ("insolvent", 1, 2, False, 1000 * UNIT)
    assert second.seized == 200 * UNIT  # 20% of the same basis, not of the 800 left
    logs = v.vault.events.LiquidationStarted().get_logs(from_block=first.block, to_block=second.block)
    assert [x["args"]["flag"] for x in logs] == [2]  # one liquidation, started stale


def test_an_override_ends_the_cure_window(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    v, token = vault
    b = bundle(venue_proofs, "insolvent")
    ready(chain, roles, b)
    funded(chain, v, token, ADDR, 10_000 * UNIT)
    flagged_at = flag_stale_at(chain, [ADDR])
    at(chain, flagged_at + 100)
    err = refused("MarginVault__NotLiquidatableYet", v.liquidate, ADDR, actors.keeper)
    assert f"from={flagged_at + CURE}" in str(err)
    chain.submit_proof("flag", b)  # at flagged_at + 100: the override is the insolvency flag's time
    q, res = slice_at(chain, v, ADDR, actors.keeper, flagged_at + 107)  # inside the former cure window
    assert q.liquidatable and q.liquidatable_from == flagged_at + 100
    assert (res.flag, res.slice, res.split) == ("insolvent", 1, PARAMS.split(2000 * UNIT, 7))  # 7 s into the auction
    assert res.split.bounty == 10 * UNIT + 105 * UNIT // 100


# ------------------------------------------------------------ the cure window


def test_a_late_proof_inside_the_cure_window_is_never_liquidated_no_proof_is(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    """OTHER and the newcomer both miss their deadline at 42 and are flagged stale together; OTHER
    attests 42 (still the latest epoch) one second before its cure window ends, the newcomer never."""
    v, token = vault
    ready(chain, roles, bundle(venue_proofs, "other"), enroll=[ADDR, OTHER, actors.newcomer])
    for who in (OTHER, actors.newcomer):
        funded(chain, v, token, who, 1000 * UNIT)
    flagged_at = flag_stale_at(chain, [OTHER, actors.newcomer])
    cured = flagged_at + CURE  # 42's ledger came before the flag
    for who in (OTHER, actors.newcomer):
        assert v.status(who).next_liquidatable_at == cured
        at(chain, cured - 1)
        err = refused("MarginVault__NotLiquidatableYet", v.liquidate, who, actors.keeper)
        assert f"account={who}, from={cured}" in str(err)
    at(chain, cured - 1)
    chain.submit_proof("attest", bundle(venue_proofs, "other"))  # the late proof, in time
    assert chain.status(OTHER)["flag"] == "none"
    _, res = slice_at(chain, v, actors.newcomer, actors.keeper, cured)
    assert (res.flag, res.seized) == ("stale", 200 * UNIT)
    for when in (cured, cured + 10 * CURE):
        assert quote_at(chain, v, OTHER, when) == LiquidationQuote(0, 0, 0, 0, False, 0)
        refused("MarginVault__NotFlagged", v.liquidate, OTHER, actors.keeper)
    v.withdraw(OTHER, 1000 * UNIT)  # never liquidated, never held up
    assert (v.balance(OTHER), v.token_balance(OTHER), v.balance(actors.newcomer)) == (0, 1000 * UNIT, 800 * UNIT)


def test_a_later_ledger_moves_the_cure_window_and_an_overdue_one_stops_stale_liquidations(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    v, token = vault
    b43 = bundle(venue_proofs, "other43")
    ready(chain, roles, bundle(venue_proofs, "other"), enroll=[ADDR, OTHER, actors.newcomer])
    funded(chain, v, token, actors.newcomer, 1000 * UNIT)
    flagged_at = flag_stale_at(chain, [actors.newcomer])
    # a new epoch and its ledger after the flag: the account gets its cure window from that ledger
    ledger43 = publish_with_ledger(chain, 43, signal(b43, 3), signal(b43, 2), flagged_at + 100)
    assert v.status(actors.newcomer).next_liquidatable_at == ledger43 + CURE
    at(chain, flagged_at + CURE)
    err = refused("MarginVault__NotLiquidatableYet", v.liquidate, actors.newcomer, actors.keeper)
    assert f"from={ledger43 + CURE}" in str(err)
    # the next market without its ledger: the account cannot cure (it attests the latest epoch
    # only), so its first slice waits for that ledger; once the ledger grace is over, no stale
    # liquidation at all
    at(chain, ledger43 + 200)
    market44 = int(chain.publish(44, 4444).block)
    market44_at = block_time(chain, market44)
    pending = quote_at(chain, v, actors.newcomer, market44_at + LEDGER_GRACE - 1)  # not overdue yet
    assert pending == LiquidationQuote(0, 0, 0, 0, False, 0)
    err = refused("MarginVault__LedgerPending", v.liquidate, actors.newcomer, actors.keeper)
    assert str(err).endswith(f"(account={actors.newcomer}, epoch=44)")
    at(chain, market44_at + LEDGER_GRACE)
    assert chain.contract("registry").functions.ledgerOverdue().call(block_identifier="pending")
    assert v.quote(actors.newcomer) == LiquidationQuote(0, 0, 0, 0, False, 0)
    refused("MarginVault__LedgerOverdue", v.liquidate, actors.newcomer, actors.keeper)
    at(chain, market44_at + 3 * LEDGER_GRACE)
    refused("MarginVault__LedgerOverdue", v.liquidate, actors.newcomer, actors.keeper)
    # the venue publishes it at last: a new cure window from that ledger
    ledger44 = block_time(chain, chain.publish_ledger(44, 4445, roles.venue).block)
    assert v.status(actors.newcomer).next_liquidatable_at == ledger44 + CURE
    q, res = slice_at(chain, v, actors.newcomer, actors.keeper, ledger44 + CURE)
    assert (res.flag, res.seized, q.liquidatable_from) == ("stale", 200 * UNIT, ledger44 + CURE)


def test_an_insolvent_account_gets_no_cure_window_and_no_ledger_shelter(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    v, token = vault
    b43 = bundle(venue_proofs, "other43")
    ready(chain, roles, bundle(venue_proofs, "insolvent"))
    funded(chain, v, token, ADDR, 1000 * UNIT)
    flagged_at = flag_insolvent(chain, venue_proofs)
    q, res = slice_at(chain, v, ADDR, actors.keeper, flagged_at)  # the flag's own second: t = 0
    assert q.liquidatable_from == flagged_at and (res.flag, res.slice) == ("insolvent", 1)
    # the venue withholds 43's ledger: an insolvency flag is liquidated anyway
    at(chain, flagged_at + 1)
    market43_at = block_time(chain, chain.publish(43, signal(b43, 3)).block)
    at(chain, market43_at + LEDGER_GRACE)
    assert chain.contract("registry").functions.ledgerOverdue().call(block_identifier="pending")
    q, res = slice_at(chain, v, ADDR, actors.keeper, market43_at + LEDGER_GRACE)
    assert q.liquidatable and (res.flag, res.slice, res.seized) == ("insolvent", 2, 200 * UNIT)


def test_an_attestation_of_the_same_epoch_after_a_slice_does_not_stop_it_a_later_one_does(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    """OTHER, stale at 42, loses a slice; its attestation of 42 clears the registry's flag, but 42's
    book counted collateral the vault has paid out since: the liquidation continues (no withdrawal,
    no deposit) until OTHER attests 43, published after the last slice."""
    v, token = vault
    b42, b43 = bundle(venue_proofs, "other"), bundle(venue_proofs, "other43")
    ready(chain, roles, b42)
    funded(chain, v, token, OTHER, 1000 * UNIT)
    flagged_at = flag_stale_at(chain, [OTHER])
    _, first = slice_at(chain, v, OTHER, actors.keeper, flagged_at + CURE)
    chain.submit_proof("attest", b42)  # 42 is still the latest epoch: the stale flag is cleared
    assert (chain.status(OTHER)["flag"], chain.status(OTHER)["solvent_now"]) == ("none", True)
    st = v.status(OTHER)
    assert (st.flag, st.flag_id, st.in_progress, st.basis, st.slices) == ("none", 1, True, 1000 * UNIT, 1)

    def top_up() -> TxResult:
        mint(chain, token, OTHER, 1)
        return v.deposit(OTHER, 1)

    for err in (
        refused("MarginVault__LiquidationInProgress", v.withdraw, OTHER, 1),
        refused("MarginVault__LiquidationInProgress", top_up),
    ):
        assert f"account={OTHER}, flagId=1" in str(err)
    last = block_time(chain, first.block) + COOLDOWN
    _, second = slice_at(chain, v, OTHER, actors.keeper, last)
    assert (second.flag, second.flag_id, second.slice, second.seized) == ("none", 1, 2, 200 * UNIT)
    # 43 is published after the last slice: attesting it ends the liquidation
    publish_with_ledger(chain, 43, signal(b43, 3), signal(b43, 2), last + 5)
    at(chain, last + 10)
    chain.submit_proof("attest", b43)
    assert quote_at(chain, v, OTHER, last + COOLDOWN) == LiquidationQuote(0, 0, 0, 0, False, 0)
    refused("MarginVault__NotFlagged", v.liquidate, OTHER, actors.keeper)
    assert not v.status(OTHER).in_progress
    v.withdraw(OTHER, 600 * UNIT)
    assert v.balance(OTHER) == 0 and v.token_balance(OTHER) == 600 * UNIT + 1


def test_an_attestation_of_a_market_published_before_the_last_slice_does_not_stop_it(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    """The rule is the market's time against the LAST slice: 43 published between two slices
    counts no more than 42 did once a slice was taken after it."""
    v, token = vault
    b42, b43 = bundle(venue_proofs, "other"), bundle(venue_proofs, "other43")
    ready(chain, roles, b42)
    funded(chain, v, token, OTHER, 1000 * UNIT)
    flagged_at = flag_stale_at(chain, [OTHER])
    _, first = slice_at(chain, v, OTHER, actors.keeper, flagged_at + CURE)
    chain.submit_proof("attest", b42)
    first_at = block_time(chain, first.block)
    publish_with_ledger(chain, 43, signal(b43, 3), signal(b43, 2), first_at + 5)
    slice_at(chain, v, OTHER, actors.keeper, first_at + COOLDOWN)  # after 43's market
    chain.submit_proof("attest", b43)
    assert v.status(OTHER).in_progress
    refused("MarginVault__LiquidationInProgress", v.withdraw, OTHER, 1)
    _, third = slice_at(chain, v, OTHER, actors.keeper, first_at + 2 * COOLDOWN)
    assert third.slice == 3


# ------------------------------------------------------------ two keepers, one block


def _send_with_tip(chain: Chain, fn: Any, sender: str, tip_gwei: int) -> Any:
    """Queue ``fn`` from ``sender`` with a priority fee of ``tip_gwei`` and a fee cap of the base fee
    plus that tip (what a keeper bidding for the block would send; anvil orders by fee)."""
    frm = chain._ensure_sender(sender)
    base = int(chain.w3.eth.get_block("pending").get("baseFeePerGas") or 0)
    tip = tip_gwei * 10**9
    tx = {"to": fn.address, "data": fn._encode_transaction_data(), "from": frm, "gas": 500_000}
    tx |= {"maxPriorityFeePerGas": tip, "maxFeePerGas": 2 * base + tip}
    return chain.w3.eth.send_transaction(tx)  # type: ignore[arg-type]


def test_two_keepers_in_one_block_the_priority_fee_buys_the_slice_never_a_bigger_bounty(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    """Automine off: two liquidate transactions for one slice, the second sent with the higher
    priority fee, mined in one block at a chosen time. The block orders them by fee: the
    higher-fee one gets the slice at exactly the quoted bounty, the other reverts (the cooldown).
    Swapping the fees swaps the winners; the bounty stays the same."""
    v, token = vault
    ready(chain, roles, bundle(venue_proofs, "insolvent"))
    funded(chain, v, token, ADDR, 10_000 * UNIT)
    flagged_at = flag_insolvent(chain, venue_proofs)
    when = flagged_at + D // 3
    quote = quote_at(chain, v, ADDR, when)
    assert quote == LiquidationQuote(2000 * UNIT, 40 * UNIT, 60 * UNIT, 1900 * UNIT, True, flagged_at)
    a, b = actors.keeper, roles.others[7]
    fn = v.vault.functions.liquidate(ADDR)
    provider: Any = chain.w3.provider
    for low, high in ((a, b), (b, a)):
        snap = provider.make_request("evm_snapshot", [])["result"]
        try:
            before = {k: v.token_balance(k) for k in (low, high)}
            provider.make_request("evm_setAutomine", [False])
            try:
                sent = {low: _send_with_tip(chain, fn, low, 1), high: _send_with_tip(chain, fn, high, 50)}
                at(chain, when)
                provider.make_request("evm_mine", [])
            finally:
                provider.make_request("evm_setAutomine", [True])
            receipts = {k: chain.w3.eth.wait_for_transaction_receipt(h) for k, h in sent.items()}
            assert receipts[high]["blockNumber"] == receipts[low]["blockNumber"]
            assert block_time(chain, receipts[high]["blockNumber"]) == when
            assert (receipts[high]["status"], receipts[low]["status"]) == (1, 0)
            assert receipts[high]["transactionIndex"] < receipts[low]["transactionIndex"]
            won = receipts[high]
            won_hash = HexStr("0x" + bytes(won["transactionHash"]).hex())
            res = v.liquidation_result(TxResult(won_hash, won["gasUsed"], won["blockNumber"]))
            assert (res.keeper, res.seized, res.split) == (high, quote.seized, quote.split)
            assert v.token_balance(high) - before[high] == quote.bounty and v.token_balance(low) == before[low]
            # the loser met the cooldown the winner started, in that same block
            replay = {"to": fn.address, "data": fn._encode_transaction_data(), "from": low}
            with pytest.raises(ContractLogicError) as e:
                chain.w3.eth.call(replay, block_identifier=receipts[low]["blockNumber"])  # type: ignore[arg-type]
            data = str(getattr(e.value, "data", "")).removeprefix("0x")
            assert data.startswith(NOT_YET.hex().removeprefix("0x")) and data.endswith(f"{when + COOLDOWN:064x}")
        finally:
            provider.make_request("evm_revert", [snap])


# ------------------------------------------------------------ the loss waterfall


def test_the_waterfall_pays_what_the_fund_holds_once_per_flag_for_settled_insolvent_accounts(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    v, token = vault
    liq, venue = actors.liquidator, actors.treasury  # the vault's liquidator; the venue it pays
    assert v.venue() == venue
    ready(chain, roles, bundle(venue_proofs, "insolvent"), enroll=[ADDR, OTHER, actors.newcomer])
    funded(chain, v, token, ADDR, 1000 * UNIT)
    flagged_at = flag_insolvent(chain, venue_proofs)
    # not settled while anything is deposited or held
    err = refused("MarginVault__NotSettled", v.report_shortfall, ADDR, 100 * UNIT, liq)
    assert f"deposit={1000 * UNIT}, held=0" in str(err)
    for n in range(5):
        slice_at(chain, v, ADDR, actors.keeper, flagged_at + n * COOLDOWN)
        if n == 0:
            err = refused("MarginVault__NotSettled", v.report_shortfall, ADDR, 100 * UNIT, liq)
            assert f"deposit={800 * UNIT}, held={184 * UNIT}" in str(err)
    err = refused("MarginVault__NotSettled", v.report_shortfall, ADDR, 100 * UNIT, liq)
    assert f"deposit=0, held={920 * UNIT}" in str(err)
    v.release(ADDR, venue, 920 * UNIT, liq)  # the venue's liquidator settles what was held
    assert v.fund_balance() == 30 * UNIT  # five 3% penalties
    for who in (actors.keeper, roles.admin, roles.liquidator, actors.guardian):
        refused("AccessControlUnauthorizedAccount", v.report_shortfall, ADDR, 1, who)
    refused("MarginVault__ZeroAmount", v.report_shortfall, ADDR, 0, liq)
    # the fund pays what it holds, to the venue; the rest is socialised
    venue_before = v.token_balance(venue)
    res = v.report_shortfall(ADDR, 100 * UNIT, liq)
    assert (res.account, res.flag_id, res.shortfall, res.covered, res.socialised) == (ADDR, 1, 100 * UNIT, 30 * UNIT, 70 * UNIT)
    assert (v.fund_balance(), v.token_balance(venue) - venue_before, v.socialised_loss()) == (0, 30 * UNIT, 70 * UNIT)
    paid = v.fund.events.ShortfallPaid().get_logs(from_block=res.block, to_block=res.block)
    assert [dict(x["args"]) for x in paid] == [{"to": venue, "amount": 30 * UNIT, "vault": v.vault.address}]
    assert v.status(ADDR).shortfall_reported and v.shortfall_flag_id(ADDR) == 1
    err = refused("MarginVault__ShortfallAlreadyReported", v.report_shortfall, ADDR, 1, liq)  # once per flag
    assert f"account={ADDR}, flagId=1" in str(err)
    # a stale flag is no loss; an unflagged account neither
    chain.advance_time(3600)
    chain.flag_stale([actors.newcomer])
    err = refused("MarginVault__NotFlaggedInsolvent", v.report_shortfall, actors.newcomer, 1, liq)
    assert "flag=Stale" in str(err)
    assert "flag=None" in str(refused("MarginVault__NotFlaggedInsolvent", v.report_shortfall, OTHER, 1, liq))
    # resolved, the flag is gone; a new insolvency flag (a new flagId) may be reported again, once
    # this vault liquidated the account under it: a settled account with no slice of that flag
    # brought this vault no loss
    chain.resolve_flag(ADDR, roles.liquidator)
    refused("MarginVault__NotFlaggedInsolvent", v.report_shortfall, ADDR, 1, liq)
    funded(chain, v, token, ADDR, 100 * UNIT)  # cleared: it may deposit again
    b43 = bundle(venue_proofs, "insolvent43")
    publish_with_ledger(chain, 43, signal(b43, 3), signal(b43, 2), now(chain) + 1)
    chain.submit_proof("flag", b43)
    assert chain.status(ADDR)["flag_id"] == 2
    err = refused("MarginVault__NotSettled", v.report_shortfall, ADDR, 1, liq)
    flagged_at = int(chain.status(ADDR)["flagged_at"])
    for n in range(5):  # slices of 20: bounty 10 (the minimum), penalty 0.6, held 9.4
        slice_at(chain, v, ADDR, actors.keeper, flagged_at + n * COOLDOWN)
    v.release(ADDR, venue, 47 * UNIT, liq)
    mint(chain, token, v.addresses.fund, 50 * UNIT)  # anyone tops the fund up with a plain transfer
    res = v.report_shortfall(ADDR, 20 * UNIT, liq)
    assert (res.flag_id, res.covered, res.socialised) == (2, 20 * UNIT, 0)
    assert (v.fund_balance(), v.socialised_loss(), v.shortfall_flag_id(ADDR)) == (33 * UNIT, 70 * UNIT, 2)
    refused("MarginVault__ShortfallAlreadyReported", v.report_shortfall, ADDR, 1, liq)
