"""ATTACK the example vault (contracts/examples/MarginVault.sol, InsuranceFund.sol) with real
proofs and real flags.

- drain attempts (liquidate an unflagged account, liquidate twice in one cooldown, withdraw while
  flagged, deposit while flagged, withdraw held funds after the flag is resolved, release / cover /
  report a shortfall without the role). REFUSED.
- combined with the Stale dodge (test_chain_attacks.py): an insolvent trader past its grace period
  flags itself stale and liquidates itself; the vault records ``flag = stale``, so a venue
  following the vault's own advice ("return a stale account's held rest to it with release")
  would hand an insolvent trader its remainder. PARTIAL before the fix, refused now (same root cause
  as the registry finding); since issue 19 the stale flag's cure window also keeps the trader from
  liquidating itself before its insolvency proof lands, and the override continues the same
  liquidation under the insolvency flag.
- a new market inside a stale account's cure window (the account can attest nothing until its
  ledger is out): the first slice waits for that ledger (``LedgerPending``), whose publication
  starts the window again. REFUSED since issue 19c (before: the whole deposit was sliced before
  the ledger was due); an insolvency flag, and a stale liquidation's next slices, are not held.
- an insolvency override mined in front of a keeper restarts the first slice's auction at
  ``minBounty``: a keeper that sends ``liquidateAtLeast`` with the bounty it was quoted gets a
  revert (``BountyBelowMinimum``), not the slice at the floor. REFUSED since issue 19c.
- documented limits, recorded as they are (no xfail: the contract says so itself): a trader
  attested at epoch E withdraws 100% of its deposit within E; a flagged trader whose slices are at
  most ``minBounty`` gets each of them back by liquidating itself.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from web3.contract import Contract
from web3.types import RPCEndpoint, Wei
from zksolvency.onchain.client import Chain
from zksolvency.onchain.tx import ChainError, Flag, NotSent, proof_calldata
from zksolvency.onchain.vault import LiquidationQuote, LiquidationResult, Vault

from tests.helpers.chain import GRACE, LEDGER_GRACE, OneBlock, Roles, at, now, publish_with_ledger, refused
from tests.helpers.registry import ADDR, OTHER, bundle, claiming, ready, signal
from tests.helpers.vault import PARAMS, UNIT, Actors, funded, mint

pytestmark = pytest.mark.slow


def test_drain_attempts_are_refused(
    chain: Chain,
    roles: Roles,
    venue_proofs: Path,
    vault: tuple[Vault, Contract],
    actors: Actors,
) -> None:
    v, token = vault
    ready(chain, roles, bundle(venue_proofs, "insolvent"))
    funded(chain, v, token, OTHER, 1000 * UNIT)  # an honest, unflagged depositor
    funded(chain, v, token, ADDR, 500 * UNIT)
    refused("MarginVault__NotFlagged", v.liquidate, OTHER, actors.keeper)
    chain.submit_proof("flag", bundle(venue_proofs, "insolvent"))
    refused("MarginVault__AccountFlagged", v.withdraw, ADDR, 1)
    mint(chain, token, ADDR, UNIT)
    refused("MarginVault__AccountFlagged", v.deposit, ADDR, UNIT)
    res = v.liquidate(ADDR, actors.keeper)
    assert res.seized == 100 * UNIT and res.split == PARAMS.split(100 * UNIT, now(chain) - int(chain.status(ADDR)["flagged_at"]))
    refused("MarginVault__NotLiquidatableYet", v.liquidate, ADDR, actors.keeper)  # twice: the cooldown
    for who in (actors.keeper, ADDR, roles.liquidator):  # the REGISTRY's liquidator is not the vault's
        with pytest.raises(ChainError, match="AccessControlUnauthorizedAccount"):
            v.release(ADDR, who, 1, who)
        with pytest.raises(ChainError, match="AccessControlUnauthorizedAccount"):
            v.cover(who, 1, who)
        with pytest.raises(ChainError, match="AccessControlUnauthorizedAccount"):
            v.report_shortfall(ADDR, 1, who)
    chain.resolve_flag(ADDR, roles.liquidator)  # resolved: ADDR's held rest stays with the venue
    refused("MarginVault__NotFlagged", v.liquidate, ADDR, actors.keeper)
    refused("MarginVault__NotSolvent", v.withdraw, ADDR, 1)
    assert v.balance(OTHER) == 1000 * UNIT and v.held(ADDR) == res.split.held
    assert v.token_balance(v.vault.address) == 1000 * UNIT + 400 * UNIT + res.split.held


def test_an_insolvent_trader_is_liquidated_as_insolvent(
    chain: Chain,
    roles: Roles,
    venue_proofs: Path,
    vault: tuple[Vault, Contract],
) -> None:
    v, token = vault
    b = bundle(venue_proofs, "insolvent")
    ready(chain, roles, b)
    funded(chain, v, token, ADDR, 500 * UNIT)
    at(chain, int(chain.status(ADDR)["stale_at"]))
    chain.flag_stale([ADDR], ADDR)  # the trader, before anyone sends its insolvency proof
    refused("MarginVault__NotLiquidatableYet", v.liquidate, ADDR, ADDR)  # the stale flag's cure window
    at(chain, int(chain.status(ADDR)["flagged_at"]) + PARAMS.cure_window)
    res = v.liquidate(ADDR, ADDR)  # and it collects the bounty on itself
    assert res.flag == "stale"  # what the vault saw when it liquidated ...
    chain.submit_proof("flag", b)  # ... but the insolvency proof overrides the stale flag
    assert chain.status(ADDR)["flag"] == "insolvent", "ATTACK: the registry still says stale"
    # so the venue's liquidator, which reads registry.flagOf when it releases the held rest (the
    # vault's NatSpec), treats it as insolvent: the trader does not get its remainder back
    assert chain.contract("registry").functions.flagOf(ADDR).call() == 1
    # and the vault goes on with the same liquidation, now under the insolvency flag
    at(chain, now(chain) + PARAMS.cooldown)
    second = v.liquidate(ADDR, roles.others[5])
    assert (second.flag, second.flag_id, second.slice, second.basis) == ("insolvent", res.flag_id, 2, 500 * UNIT)


def test_documented_full_withdrawal_within_the_attested_epoch(
    chain: Chain,
    roles: Roles,
    venue_proofs: Path,
    vault: tuple[Vault, Contract],
    actors: Actors,
) -> None:
    """MarginVault's own NatSpec: 'within one epoch the latest attestation is all the chain knows'.
    A trader attested at 42 (with the vault deposit counted in its book) takes ALL of it out; when
    it is flagged at 43 there is nothing left to liquidate."""
    v, token = vault
    b42, b43 = bundle(venue_proofs, "other"), bundle(venue_proofs, "other43")
    ready(chain, roles, b42)
    funded(chain, v, token, OTHER, 1000 * UNIT)
    chain.submit_proof("attest", b42)
    v.withdraw(OTHER, 1000 * UNIT)  # 100%, while its positions stay open at the venue
    chain.publish(43, signal(b43, 3))
    chain.publish_ledger(43, signal(b43, 2), roles.venue)
    chain.advance_time(GRACE)
    chain.flag_stale([OTHER])
    refused("MarginVault__NothingToLiquidate", v.liquidate, OTHER, actors.keeper)


def test_documented_self_liquidation_below_the_minimum_bounty(
    chain: Chain,
    roles: Roles,
    venue_proofs: Path,
    vault: tuple[Vault, Contract],
) -> None:
    """bounty = min(slice, minBounty + ...): a flagged trader whose slices are at most minBounty takes
    each of them back (no penalty) by liquidating itself -- as any keeper could take it."""
    v, token = vault
    ready(chain, roles, bundle(venue_proofs, "insolvent"))
    funded(chain, v, token, ADDR, 5 * UNIT)  # minBounty is 10: each 1-token slice is all bounty
    chain.submit_proof("flag", bundle(venue_proofs, "insolvent"))
    before = v.token_balance(ADDR)
    res = v.liquidate(ADDR, ADDR)
    assert (res.seized, res.split.bounty, res.split.penalty, res.split.held) == (UNIT, UNIT, 0, 0)
    for _ in range(4):
        at(chain, now(chain) + PARAMS.cooldown)
        v.liquidate(ADDR, ADDR)
    assert v.token_balance(ADDR) - before == 5 * UNIT and v.balance(ADDR) == 0


# ------------------------------------------------------------------ issue 19c: the two holes


def _mine(chain: Chain) -> None:
    chain.w3.provider.make_request(RPCEndpoint("evm_mine"), [])


def _automine(chain: Chain, on: bool) -> None:
    chain.w3.provider.make_request(RPCEndpoint("evm_setAutomine"), [on])


def _quote_and_status_agree(v: Vault, account: str) -> LiquidationQuote:
    """The quote at the latest block, checked against ``status`` at the same block (both ``_plan``)."""
    q = v.quote(account, "latest")
    st = v.status(account, "latest")
    assert (st.liquidatable, st.next_liquidatable_at) == (q.liquidatable, q.liquidatable_from)
    return q


def test_a_new_market_inside_the_cure_window_holds_the_first_slice_until_its_ledger(
    chain: Chain,
    roles: Roles,
    venue_proofs: Path,
    vault: tuple[Vault, Contract],
    actors: Actors,
) -> None:
    """REFUSED (was: WORKED). OTHER (solvent, attested 42) is late at 43 and flagged stale; 100 s
    into its 900 s cure window the oracle publishes epoch 44 and the venue takes its allowed
    LEDGER_GRACE for the ledger. OTHER can attest nothing meanwhile (43 is no longer the latest, 44
    has no ledger), so the vault takes no first slice: past the old window's end, before and after
    its whole auction, ``liquidate`` says LedgerPending(OTHER, 44) and quote and status say "not
    without a new event" (from 0), though the ledger is not overdue. The ledger of 44 starts the
    window again (max(flaggedAt, its publication) + cureWindow), and in it OTHER cures with its
    proof of 44: its deposit is whole."""
    v, token = vault
    b42, b43 = bundle(venue_proofs, "other"), bundle(venue_proofs, "other43")
    ready(chain, roles, b42)
    funded(chain, v, token, OTHER, 1000 * UNIT)
    chain.submit_proof("attest", b42)
    publish_with_ledger(chain, 43, signal(b43, 3), signal(b43, 2))
    at(chain, int(chain.status(OTHER)["stale_at"]))
    chain.flag_stale([OTHER])
    flagged_at = int(chain.status(OTHER)["flagged_at"])
    at(chain, flagged_at + 100)
    m44 = chain.publish(44, signal(b43, 3))  # the market of 44 (43's roots: OTHER's proof of 43 opens it)
    published_44 = int(chain.w3.eth.get_block(m44.block)["timestamp"])
    refused("SolvencyRegistry__AccountFlagged", chain.submit_proof, "attest", b43, OTHER)  # 43 is not the latest
    registry = chain.contract("registry").functions
    for t in (flagged_at + PARAMS.cure_window, flagged_at + PARAMS.cure_window + PARAMS.auction_duration):
        at(chain, t)
        _mine(chain)
        assert not registry.ledgerOverdue().call() and chain.ledger_root(44) is None
        q = _quote_and_status_agree(v, OTHER)
        assert (q.liquidatable, q.liquidatable_from, q.seized, q.bounty) == (False, 0, 0, 0)
        err = refused("MarginVault__LedgerPending", v.liquidate, OTHER, actors.keeper)
        assert str(err).endswith(f"MarginVault__LedgerPending(account={OTHER}, epoch=44)")
    assert now(chain) < published_44 + LEDGER_GRACE  # the venue is on time
    ledger_at = published_44 + LEDGER_GRACE - 60
    at(chain, ledger_at)
    chain.publish_ledger(44, signal(b43, 2), roles.venue)
    q = _quote_and_status_agree(v, OTHER)
    assert (q.liquidatable, q.liquidatable_from) == (False, ledger_at + PARAMS.cure_window)
    err = refused("MarginVault__NotLiquidatableYet", v.liquidate, OTHER, actors.keeper)
    assert str(err).endswith(f"(account={OTHER}, from={ledger_at + PARAMS.cure_window})")
    at(chain, ledger_at + PARAMS.cure_window)
    _mine(chain)
    q = _quote_and_status_agree(v, OTHER)  # the window is over: the first slice's auction starts
    assert (q.liquidatable, q.liquidatable_from, q.bounty) == (True, ledger_at + PARAMS.cure_window, PARAMS.min_bounty)
    chain.submit_proof("attest", claiming(b43, epoch=44), OTHER)  # ... but no slice was taken: OTHER cures
    assert chain.status(OTHER)["flag"] == Flag.NONE
    refused("MarginVault__NotFlagged", v.liquidate, OTHER, actors.keeper)
    assert v.balance(OTHER) == 1000 * UNIT and v.held(OTHER) == 0


def test_an_insolvency_flag_is_liquidatable_at_once_with_the_latest_ledger_pending(
    chain: Chain,
    roles: Roles,
    venue_proofs: Path,
    vault: tuple[Vault, Contract],
    actors: Actors,
) -> None:
    """The ledger-pending hold is a stale flag's: ADDR, flagged insolvent at 42, is liquidated at
    once after the market of 43 is out without its ledger; so is a continuing stale liquidation's
    next slice (its cure window ended with its first slice)."""
    v, token = vault
    b = bundle(venue_proofs, "insolvent")
    ready(chain, roles, b)
    funded(chain, v, token, ADDR, 500 * UNIT)
    funded(chain, v, token, OTHER, 1000 * UNIT)  # never attests: flagged stale at 42
    chain.submit_proof("flag", b)
    at(chain, int(chain.status(OTHER)["stale_at"]))
    chain.flag_stale([OTHER])
    at(chain, int(chain.status(OTHER)["flagged_at"]) + PARAMS.cure_window)
    first = v.liquidate(OTHER, actors.keeper)  # the stale liquidation's first slice, in its window's end
    chain.publish(43, signal(b, 3))  # no ledger for 43
    assert chain.ledger_root(43) is None and not chain.contract("registry").functions.ledgerOverdue().call()
    res = v.liquidate(ADDR, actors.keeper)
    assert (res.flag, res.slice, res.seized) == (Flag.INSOLVENT, 1, 100 * UNIT)
    at(chain, now(chain) + PARAMS.cooldown)
    nxt = v.liquidate(OTHER, actors.keeper)
    assert (nxt.flag, nxt.flag_id, nxt.slice) == (Flag.STALE, first.flag_id, 2)


def test_an_insolvency_override_in_front_of_a_guarded_keeper_reverts_its_liquidation(
    chain: Chain,
    roles: Roles,
    venue_proofs: Path,
    vault: tuple[Vault, Contract],
    actors: Actors,
) -> None:
    """REFUSED (was: WORKED with ``liquidate``). ADDR, flagged stale, has waited its cure window and
    its first slice's whole auction: the quote at the pending block pays the top bounty (100
    tokens). The keeper sends ``liquidateAtLeast`` with that bounty; while it waits in the pool,
    ADDR's solvent = 0 proof overrides the stale flag (a higher tip, the same block): flaggedAt
    moves to the block, and the first slice's auction with it, to minBounty. The keeper's
    transaction reverts with BountyBelowMinimum(ADDR, 10 tokens, 100 tokens); no slice is taken,
    and the next slice (the insolvency flag's auction from flaggedAt) is still there."""
    v, token = vault
    b = bundle(venue_proofs, "insolvent")
    ready(chain, roles, b)
    funded(chain, v, token, ADDR, 10_000 * UNIT)
    at(chain, int(chain.status(ADDR)["stale_at"]))
    chain.flag_stale([ADDR])
    flagged_at = int(chain.status(ADDR)["flagged_at"])
    at(chain, flagged_at + PARAMS.cure_window + PARAMS.auction_duration)  # the window and the auction are over
    _mine(chain)
    quoted = v.quote(ADDR)
    assert quoted.liquidatable and quoted.bounty == 100 * UNIT
    a, bb, c, s = proof_calldata(b["proof"], b["public_signals"])
    override = chain.contract("registry").functions.flagInsolvent(ADDR, 42, a, bb, c, s)
    keeper_before = v.token_balance(actors.keeper)

    out: dict[str, BaseException | LiquidationResult] = {}

    def keeper() -> None:
        try:
            out["r"] = v.liquidate(ADDR, actors.keeper, min_bounty=quoted.bounty)
        except BaseException as e:  # asserted below
            out["e"] = e

    def pending() -> int:
        return int(chain.w3.eth.get_block_transaction_count("pending"))

    _automine(chain, False)
    th = threading.Thread(target=keeper)
    try:
        th.start()
        deadline = time.monotonic() + 60
        while pending() < 1 and th.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert th.is_alive() and pending() == 1, f"the keeper's liquidation is not in the pool: {out}"
        chain.w3.eth.send_transaction(
            {
                "from": chain._ensure_sender(roles.venue),
                "to": override.address,
                "data": override._encode_transaction_data(),
                "gas": 3_000_000,
                "maxPriorityFeePerGas": Wei(100 * 10**9),
                "maxFeePerGas": Wei(10**12),
            }
        )
        assert pending() == 2
        _mine(chain)  # one block: the override (the higher tip) first, then the keeper's transaction
        th.join(timeout=60)
    finally:
        _automine(chain, True)
    assert not th.is_alive()
    block = chain.w3.eth.get_block("latest")
    txs = block["transactions"]
    assert len(txs) == 2 and chain.w3.eth.get_transaction_by_block("latest", 0)["to"] == override.address
    err = out.get("e")
    assert isinstance(err, ChainError) and not isinstance(err, NotSent), out  # mined, and reverted
    assert str(err).endswith(
        f"reverted: MarginVault__BountyBelowMinimum(account={ADDR}, bounty={PARAMS.min_bounty}, minBounty={100 * UNIT})"
    )
    st = chain.status(ADDR)
    assert st["flag"] == Flag.INSOLVENT and int(st["flagged_at"]) == int(block["timestamp"])
    assert v.balance(ADDR) == 10_000 * UNIT and v.held(ADDR) == 0 and v.liquidation(ADDR).slices == 0
    assert v.token_balance(actors.keeper) == keeper_before
    # the auction of the insolvency flag rises from its flag: the keeper's guard waits for its price
    at(chain, int(block["timestamp"]) + PARAMS.auction_duration)
    res = v.liquidate(ADDR, actors.keeper, min_bounty=quoted.bounty)
    assert (res.flag, res.slice, res.split.bounty) == (Flag.INSOLVENT, 1, 100 * UNIT)


def test_liquidate_at_least_the_quoted_bounty_is_liquidate(
    chain: Chain,
    roles: Roles,
    venue_proofs: Path,
    vault: tuple[Vault, Contract],
    actors: Actors,
) -> None:
    """``liquidateAtLeast`` with a minimum at or below the bounty takes exactly ``liquidate``'s
    slice and split (the same block time, a chain snapshot apart); above it, it is refused before
    anything is sent and nothing moves."""
    v, token = vault
    ready(chain, roles, bundle(venue_proofs, "insolvent"))
    funded(chain, v, token, ADDR, 10_000 * UNIT)
    chain.submit_proof("flag", bundle(venue_proofs, "insolvent"))
    t = int(chain.status(ADDR)["flagged_at"]) + PARAMS.auction_duration // 3
    at(chain, t)
    _mine(chain)
    q = v.quote(ADDR, "latest")  # the split at t, as liquidate in a block at t would pay it
    assert q.liquidatable and PARAMS.min_bounty < q.bounty < 100 * UNIT  # a rising bounty

    def take(min_bounty: int | None = None) -> LiquidationResult:
        snap = chain.w3.provider.make_request(RPCEndpoint("evm_snapshot"), [])["result"]
        try:
            at(chain, t + 1)
            res = v.liquidate(ADDR, actors.keeper, min_bounty=min_bounty)
            assert (v.balance(ADDR), v.held(ADDR)) == (10_000 * UNIT - res.seized, res.split.held)
            return res
        finally:
            chain.w3.provider.make_request(RPCEndpoint("evm_revert"), [snap])

    def shape(r: LiquidationResult) -> tuple[object, ...]:
        return (r.seized, r.split, r.slice, r.basis, r.flag, r.flag_id, r.started)

    plain = take()
    assert (plain.seized, plain.split) == (q.seized, PARAMS.split(q.seized, t + 1 - (t - PARAMS.auction_duration // 3)))
    for minimum in (0, PARAMS.min_bounty, plain.split.bounty):
        guarded = take(min_bounty=minimum)
        assert shape(guarded) == shape(plain)
    at(chain, t + 1)
    err = refused("MarginVault__BountyBelowMinimum", v.liquidate, ADDR, actors.keeper, min_bounty=plain.split.bounty + 1)
    assert isinstance(err, NotSent)  # the estimate at the pending block says it
    assert str(err).endswith(f"(account={ADDR}, bounty={plain.split.bounty}, minBounty={plain.split.bounty + 1})")
    assert v.balance(ADDR) == 10_000 * UNIT and v.liquidation(ADDR).slices == 0
    with pytest.raises(ValueError, match="min_bounty"):
        v.liquidate(ADDR, actors.keeper, min_bounty=-1)


# ------------------------------------------------------------------ a second review: the fund and the continuation rule


def test_no_shortfall_for_an_account_this_vault_never_liquidated(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    """Refused (severity medium: the insurance fund). The venue flags an insolvent account of its
    own ledger that never deposited here, and its liquidator reports a shortfall of the fund's whole
    balance for it: ``MarginVault__NotLiquidatedHere``, the fund keeps what other traders'
    penalties put in it."""
    v, token = vault
    b = bundle(venue_proofs, "insolvent")
    ready(chain, roles, b)
    fund = v.addresses.fund
    mint(chain, token, fund, 5_000 * UNIT)
    chain.submit_proof("flag", b)  # ADDR: flagged insolvent, never deposited in this vault
    assert v.balance(ADDR) == 0 and v.held(ADDR) == 0 and v.liquidation(ADDR).slices == 0
    flag_id = int(chain.status(ADDR)["flag_id"])
    err = refused("MarginVault__NotLiquidatedHere", v.report_shortfall, ADDR, 10**30, actors.liquidator)
    assert f"account={ADDR}, flagId={flag_id}" in str(err)
    assert v.token_balance(fund) == 5_000 * UNIT


def test_a_shortfall_is_refused_unsettled_twice_or_for_a_stale_flag(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    """Refused (severity high if not): a report for a stale flag (``NotFlaggedInsolvent``), while
    the deposit is not liquidated (``NotSettled``), and a second one for the same flag
    (``ShortfallAlreadyReported``); the one report of a settled liquidation is paid."""
    v, token = vault
    b = bundle(venue_proofs, "insolvent")
    ready(chain, roles, b)
    funded(chain, v, token, ADDR, 100 * UNIT)
    mint(chain, token, v.addresses.fund, 1_000 * UNIT)
    at(chain, int(chain.status(ADDR)["stale_at"]))
    chain.flag_stale([ADDR])
    refused("MarginVault__NotFlaggedInsolvent", v.report_shortfall, ADDR, UNIT, actors.liquidator)
    chain.submit_proof("flag", b)
    refused("MarginVault__NotSettled", v.report_shortfall, ADDR, UNIT, actors.liquidator)
    t = now(chain) + 1
    while v.balance(ADDR):
        at(chain, t)
        v.liquidate(ADDR, actors.keeper)
        t = now(chain) + PARAMS.cooldown
    v.release(ADDR, actors.treasury, v.held(ADDR), actors.liquidator)
    v.report_shortfall(ADDR, UNIT, actors.liquidator)
    refused("MarginVault__ShortfallAlreadyReported", v.report_shortfall, ADDR, UNIT, actors.liquidator)


def test_an_override_after_a_slice_gives_no_second_slice_inside_the_cooldown(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    """Refused (severity high if not: traders' deposits). A stale liquidation takes slice 1; the
    insolvency override lands next (same flagId) and the attacker liquidates again at once, hoping
    for a fresh liquidation (new basis, no cooldown). The vault continues the same one:
    ``NotLiquidatableYet`` until the cooldown, and slice 2 is sliceBps of the original basis, as
    quoted."""
    v, token = vault
    b = bundle(venue_proofs, "insolvent")
    ready(chain, roles, b)
    funded(chain, v, token, ADDR, 1_000 * UNIT)
    at(chain, int(chain.status(ADDR)["stale_at"]))
    chain.flag_stale([ADDR])
    at(chain, int(chain.status(ADDR)["flagged_at"]) + PARAMS.cure_window)
    first = v.liquidate(ADDR, actors.keeper)
    assert first.seized == 200 * UNIT
    chain.submit_proof("flag", b)
    refused("MarginVault__NotLiquidatableYet", v.liquidate, ADDR, actors.keeper)
    with pytest.raises(ChainError, match="NotLiquidatableYet"):
        v.liquidate(ADDR, actors.keeper, min_bounty=0)
    at(chain, now(chain) + PARAMS.cooldown)
    chain.w3.provider.make_request(RPCEndpoint("evm_mine"), [])
    q = v.quote(ADDR)
    second = v.liquidate(ADDR, roles.others[6])
    assert (second.slice, second.seized, second.basis, second.flag_id) == (2, 200 * UNIT, 1_000 * UNIT, first.flag_id)
    assert q.seized == second.seized


def test_a_market_published_in_the_block_of_a_slice_after_it_ends_the_liquidation(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    """Refused (severity medium: a cured trader's deposit). A keeper's first slice of the stale
    account OTHER and the oracle's publication of epoch 43 share a block, the slice first: 43 was
    published after the slice. OTHER attests 43 and its stale flag is cleared; the vault compares
    publication order (its slice recorded the oracle's count), not timestamps, so the liquidation
    is over: no further slice, and the trader withdraws what is left."""
    v, token = vault
    b43 = bundle(venue_proofs, "other43")
    ready(chain, roles, bundle(venue_proofs, "insolvent"))
    funded(chain, v, token, OTHER, 1_000 * UNIT)
    at(chain, int(chain.status(OTHER)["stale_at"]))
    chain.flag_stale([ADDR, OTHER])
    at(chain, int(chain.status(OTHER)["flagged_at"]) + PARAMS.cure_window)
    publisher = chain.deployment["roles"]["publisher"]
    with OneBlock(chain) as blk:
        blk.send(v.vault.functions.liquidate(OTHER), actors.keeper)
        blk.send(chain.contract("oracle").functions.publish(43, signal(b43, 3)), publisher)
    assert blk.ok(0) and blk.ok(1)
    assert blk.receipts[0]["transactionIndex"] < blk.receipts[1]["transactionIndex"]  # slice first
    assert blk.receipts[0]["blockNumber"] == blk.receipts[1]["blockNumber"]
    chain.publish_ledger(43, signal(b43, 2), roles.venue)
    chain.submit_proof("attest", b43)
    assert chain.status(OTHER)["flag"] == "none" and chain.status(OTHER)["attested"]
    assert not v.status(OTHER).in_progress
    at(chain, now(chain) + PARAMS.cooldown + 1)
    refused("MarginVault__NotFlagged", v.liquidate, OTHER, actors.keeper)
    left = v.balance(OTHER)
    assert left == 800 * UNIT
    v.withdraw(OTHER, left)
    assert v.balance(OTHER) == 0 and v.token_balance(OTHER) == left
