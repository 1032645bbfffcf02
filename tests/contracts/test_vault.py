"""The example margin vault (contracts/examples) on a real anvil, acting on the registry's flags
raised and cleared with REAL proofs: withdrawals gated by attestations, slices split to the wei,
refusals, access control, reentrancy through hostile tokens, and gas. The liquidation rules
themselves (cure window, slices, cooldown, auction, continuation, shortfalls) are
tests/contracts/test_liquidation.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from web3 import Web3
from web3.contract import Contract
from zksolvency.onchain.client import Chain
from zksolvency.onchain.vault import Split, Vault

from tests.helpers.chain import GRACE, Roles, at, now, publish_with_ledger, refused
from tests.helpers.registry import ADDR, OTHER, bundle, ready, signal
from tests.helpers.vault import (
    PARAMS,
    UNIT,
    Actors,
    cache,
    create_address,
    deploy_test_contract,
    deploy_token,
    flag_insolvent,
    funded,
    mint,
    new_vault,
    vault_variant,
)

ZERO = "0x" + "00" * 20
GUARD_ERROR = Web3.keccak(text="ReentrancyGuardReentrantCall()")[:4]


# ------------------------------------------------------------ withdrawals follow the registry


def test_withdraw_only_while_attested_solvent_at_the_latest_epoch(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract]
) -> None:
    v, token = vault
    b42, b43 = bundle(venue_proofs, "other"), bundle(venue_proofs, "other43")
    ready(chain, roles, b42)
    funded(chain, v, token, OTHER, 1000)
    refused("MarginVault__NotSolvent", v.withdraw, OTHER, 1)  # enrolled, not attested yet
    chain.submit_proof("attest", b42)  # the real solvent proof
    res = v.withdraw(OTHER, 400)
    assert (v.balance(OTHER), v.token_balance(OTHER), v.token_balance(v.vault.address)) == (600, 400, 600)
    logs = v.vault.events.Withdrawn().get_logs(from_block=res.block, to_block=res.block)
    assert [(x["args"]["account"], x["args"]["amount"]) for x in logs] == [(OTHER, 400)]
    err = refused("MarginVault__InsufficientBalance", v.withdraw, OTHER, 601)
    assert "balance=600, amount=601" in str(err)
    refused("MarginVault__ZeroAmount", v.withdraw, OTHER, 0)
    # a new epoch: the attestation of 42 no longer counts, whatever the account's book
    chain.publish(43, signal(b43, 3))
    chain.publish_ledger(43, signal(b43, 2), roles.venue)
    err = refused("MarginVault__NotSolvent", v.withdraw, OTHER, 1)
    assert f"account={OTHER}" in str(err)
    chain.submit_proof("attest", b43)
    v.withdraw(OTHER, 600)
    assert (v.balance(OTHER), v.token_balance(OTHER), v.token_balance(v.vault.address)) == (0, 1000, 0)


def test_withdraw_and_deposit_refused_when_flagged_insolvent(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract]
) -> None:
    v, token = vault
    ready(chain, roles, bundle(venue_proofs, "insolvent"))
    funded(chain, v, token, ADDR, 500)
    flag_insolvent(chain, venue_proofs)
    err = refused("MarginVault__AccountFlagged", v.withdraw, ADDR, 1)
    assert f"account={ADDR}, flag=Insolvent" in str(err)  # Flag.Insolvent
    mint(chain, token, ADDR, 1)
    refused("MarginVault__AccountFlagged", v.deposit, ADDR, 1)  # it would be seized at once
    assert (v.balance(ADDR), v.token_balance(ADDR)) == (500, 1)


def test_withdraw_refused_and_deposit_liquidated_when_stale(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    """Attested at 42, silent at 43: flagged stale once the grace period is over, and liquidated
    like an insolvent account once its cure window is over (the event says which flag). Its late
    attestation of 43 then clears the registry's flag, but the vault already took a slice of a
    deposit that attestation counted: the liquidation goes on."""
    v, token = vault
    b42, b43 = bundle(venue_proofs, "other"), bundle(venue_proofs, "other43")
    ready(chain, roles, b42)
    funded(chain, v, token, OTHER, 1000 * UNIT)
    chain.submit_proof("attest", b42)
    v.withdraw(OTHER, 100 * UNIT)
    publish_with_ledger(chain, 43, signal(b43, 3), signal(b43, 2))
    chain.advance_time(GRACE)
    assert chain.flag_stale([OTHER]).flagged == [OTHER]
    err = refused("MarginVault__AccountFlagged", v.withdraw, OTHER, 1)
    assert "flag=Stale" in str(err)  # Flag.Stale
    cured_at = int(chain.status(OTHER)["flagged_at"]) + PARAMS.cure_window  # the ledger came before the flag
    err = refused("MarginVault__NotLiquidatableYet", v.liquidate, OTHER, actors.keeper)
    assert f"from={cured_at}" in str(err)
    at(chain, cured_at)
    res = v.liquidate(OTHER, actors.keeper)
    assert (res.flag, res.slice, res.basis, res.seized) == ("stale", 1, 900 * UNIT, 180 * UNIT)
    assert res.split == Split(10 * UNIT, 54 * UNIT // 10, 1646 * UNIT // 10)  # minimum bounty, 3%, the rest
    # a solvent attestation for the latest epoch clears a stale flag in the registry ...
    chain.submit_proof("attest", b43)
    assert chain.status(OTHER)["flag"] == "none" and chain.status(OTHER)["solvent_now"]
    # ... but 43's market came before the slice: the liquidation continues, no withdrawal
    err = refused("MarginVault__LiquidationInProgress", v.withdraw, OTHER, 1)
    assert f"account={OTHER}, flagId=1" in str(err)
    assert v.status(OTHER).in_progress and v.balance(OTHER) == 720 * UNIT


def test_deposit_credits_what_arrived_from_a_fee_on_transfer_token(chain: Chain, roles: Roles, actors: Actors) -> None:
    v, fee_token = new_vault(chain, roles, actors, "FeeToken")
    mint(chain, fee_token, OTHER, 1000)
    res = v.deposit(OTHER, 1000)  # 1% burned in transit
    assert (v.balance(OTHER), v.token_balance(v.vault.address), v.token_balance(OTHER)) == (990, 990, 0)
    logs = v.vault.events.Deposited().get_logs(from_block=res.block, to_block=res.block)
    assert [(x["args"]["account"], x["args"]["amount"]) for x in logs] == [(OTHER, 990)]
    chain.send(fee_token.functions.setFee(10_000))  # every unit burned: nothing to credit
    mint(chain, fee_token, OTHER, 5)
    refused("MarginVault__NothingReceived", v.deposit, OTHER, 5)
    refused("MarginVault__ZeroAmount", v.deposit, OTHER, 0)
    assert v.balance(OTHER) == 990


def test_deposit_needs_the_allowance(chain: Chain, vault: tuple[Vault, Contract]) -> None:
    v, token = vault
    mint(chain, token, OTHER, 100)
    v.approve(OTHER, 99)
    refused("ERC20InsufficientAllowance", v.deposit, OTHER, 100, approve=False)
    assert v.balance(OTHER) == 0 and v.token_balance(OTHER) == 100


# ------------------------------------------------------------ liquidation: the split, to the wei

#: (deposit, seconds into the auction) -> (slice, bounty, penalty, held) of the first slice, with
#: PARAMS: a 20% slice; the bounty rises from 10 tokens to 5% of the slice over 600 s; 3% penalty.
SPLITS = {
    "start of the auction": ((10_000 * UNIT, 0), (2000 * UNIT, 10 * UNIT, 60 * UNIT, 1930 * UNIT)),
    "mid-auction": ((10_000 * UNIT, 300), (2000 * UNIT, 55 * UNIT, 60 * UNIT, 1885 * UNIT)),
    "end of the auction": ((10_000 * UNIT, 600), (2000 * UNIT, 100 * UNIT, 60 * UNIT, 1840 * UNIT)),
    "after the auction": ((10_000 * UNIT, 3600), (2000 * UNIT, 100 * UNIT, 60 * UNIT, 1840 * UNIT)),
    # 20% of the deposit is 2469e18 + 1357.8, 5% of that 123.45e18 + 67.85; 7/600 of the rise above
    # the minimum is 1.3235833…e18; 3% is 74.07e18 + 40.71: all floor, the venue keeps the dust
    "rounding": (
        (12_345 * UNIT + 6789, 7),
        (2469 * UNIT + 1357, 11_323_583_333_333_333_334, 74 * UNIT + 7 * UNIT // 100 + 40, 2_383_606_416_666_666_667_983),
    ),
    "minimum bounty": ((100 * UNIT, 600), (20 * UNIT, 10 * UNIT, 6 * UNIT // 10, 94 * UNIT // 10)),  # 5% would be 1 token
    # the minimum bounty leaves 0.2 tokens: the penalty (0.306 at 3%) gets what is left
    "penalty capped": ((51 * UNIT, 0), (102 * UNIT // 10, 10 * UNIT, 2 * UNIT // 10, 0)),
    "bounty capped": ((15 * UNIT, 0), (3 * UNIT, 3 * UNIT, 0, 0)),  # a slice below the minimum bounty: all to the keeper
    "slice rounds to zero": ((4, 0), (4, 4, 0, 0)),  # 20% of 4 wei is 0: the slice is the whole basis
    "one wei": ((1, 0), (1, 1, 0, 0)),
}


@pytest.mark.parametrize("case", SPLITS)
def test_liquidation_pays_bounty_penalty_and_holds_the_rest_exactly(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors, case: str
) -> None:
    (deposit, elapsed), (seized, bounty, penalty, held) = SPLITS[case]
    v, token = vault
    ready(chain, roles, bundle(venue_proofs, "insolvent"))
    funded(chain, v, token, ADDR, deposit)
    flagged_at = flag_insolvent(chain, venue_proofs)
    assert v.token_balance(actors.keeper) == 0 and v.fund_balance() == 0
    at(chain, flagged_at + elapsed)  # an insolvency flag is liquidatable from the flag on
    res = v.liquidate(ADDR, actors.keeper)
    assert (res.account, res.flag, res.flag_id, res.slice, res.basis, res.seized) == (ADDR, "insolvent", 1, 1, deposit, seized)
    assert res.split == Split(bounty, penalty, held)
    assert v.token_balance(actors.keeper) == bounty
    assert v.fund_balance() == v.token_balance(v.addresses.fund) == penalty
    assert (v.balance(ADDR), v.held(ADDR), v.token_balance(v.vault.address)) == (deposit - seized, held, deposit - seized + held)
    # the contract's views and the Python twin agree
    assert v.slice_of(deposit) == PARAMS.slice(deposit) == seized
    assert v.split(seized, elapsed) == PARAMS.split(seized, elapsed) == res.split
    logs = v.vault.events.Liquidated().get_logs(from_block=res.block, to_block=res.block)
    args = [dict(x["args"]) for x in logs]
    assert args == [
        {
            "account": ADDR,
            "keeper": actors.keeper,
            "flagId": 1,
            "flag": 1,
            "slice": 1,
            "seized": seized,
            "bounty": bounty,
            "penalty": penalty,
            "held": held,
        }
    ]
    started = v.vault.events.LiquidationStarted().get_logs(from_block=res.block, to_block=res.block)
    assert [dict(x["args"]) for x in started] == [{"account": ADDR, "flagId": 1, "flag": 1, "basis": deposit}]


@pytest.mark.parametrize(
    ("slice_bps", "count", "seized"),
    [
        (2_000, 5, [200, 200, 200, 200, 201]),  # 1001 rounds each slice down; the 5th takes the rest
        (3_000, 4, [300, 300, 300, 101]),  # not a divisor of BPS: the 4th is the remainder
        (10_000, 1, [1001]),
        (9_999, 2, [1000, 1]),  # the 2nd slice is the last even if it is small
    ],
)
def test_the_last_slice_takes_the_whole_remainder(slice_bps: int, count: int, seized: list[int]) -> None:
    p = replace(PARAMS, slice_bps=slice_bps)
    assert p.slice_count == count
    remaining, taken = 1001, []
    for n in range(1, count + 1):
        taken.append(p.seize(1001, n, remaining))
        remaining -= taken[-1]
    assert (taken, remaining) == (seized, 0)


def test_split_is_exact_for_the_largest_slice(chain: Chain, vault: tuple[Vault, Contract]) -> None:
    """mulDiv: no deposit is too large to liquidate (slice × bps and the auction's rise × t would
    overflow 2^256)."""
    v, _ = vault
    big = 2**256 - 1
    assert v.slice_of(big) == PARAMS.slice(big) == big // 5
    for elapsed in (0, 1, 300, 600, 2**256 - 1):
        s = v.split(big, elapsed)
        assert s == PARAMS.split(big, elapsed) and s.bounty + s.penalty + s.held == big
        assert s.penalty == big * 300 // 10_000
    assert v.split(big, 600).bounty == big * 500 // 10_000


def test_liquidation_refused_unless_flagged_and_funded(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    v, token = vault
    ready(chain, roles, bundle(venue_proofs, "other"), enroll=[ADDR, OTHER, actors.newcomer])
    stranger = roles.others[6]  # never enrolled
    for who in (OTHER, actors.newcomer, stranger):
        funded(chain, v, token, who, 100 * UNIT)
    chain.submit_proof("attest", bundle(venue_proofs, "other"))
    refused("MarginVault__NotFlagged", v.liquidate, OTHER, actors.keeper)  # attested solvent
    refused("MarginVault__NotFlagged", v.liquidate, actors.newcomer, actors.keeper)  # unattested, within grace
    refused("MarginVault__NotFlagged", v.liquidate, stranger, actors.keeper)
    chain.advance_time(GRACE)
    # stale in fact, but the vault acts on flags, it does not raise them
    refused("MarginVault__NotFlagged", v.liquidate, actors.newcomer, actors.keeper)
    assert chain.flag_stale([actors.newcomer]).flagged == [actors.newcomer]
    cured = int(chain.status(actors.newcomer)["flagged_at"]) + PARAMS.cure_window
    refused("MarginVault__NotLiquidatableYet", v.liquidate, actors.newcomer, actors.keeper)  # its cure window
    at(chain, cured)
    first = v.liquidate(actors.newcomer, actors.keeper)
    assert (first.seized, first.split) == (20 * UNIT, Split(10 * UNIT, 6 * UNIT // 10, 94 * UNIT // 10))
    # a second liquidation in the same cooldown is refused; each later one takes its slice
    err = refused("MarginVault__NotLiquidatableYet", v.liquidate, actors.newcomer, actors.keeper)
    assert f"account={actors.newcomer}, from={cured + PARAMS.cooldown}" in str(err)
    for n in range(1, 5):
        at(chain, cured + n * PARAMS.cooldown)
        assert v.liquidate(actors.newcomer, actors.keeper).seized == 20 * UNIT
    at(chain, cured + 5 * PARAMS.cooldown)
    err = refused("MarginVault__NothingToLiquidate", v.liquidate, actors.newcomer, actors.keeper)  # never a zero slice
    assert f"account={actors.newcomer}" in str(err)
    flag_insolvent(chain, venue_proofs)
    refused("MarginVault__NothingToLiquidate", v.liquidate, ADDR, actors.keeper)  # flagged, nothing deposited
    assert v.token_balance(actors.keeper) == 50 * UNIT
    assert (v.balance(OTHER), v.balance(stranger), v.token_balance(v.vault.address)) == (100 * UNIT, 100 * UNIT, 247 * UNIT)


# ------------------------------------------------------------ the venue's liquidator and the fund


def test_only_the_liquidator_releases_what_a_liquidation_holds(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    v, token = vault
    ready(chain, roles, bundle(venue_proofs, "insolvent"))
    funded(chain, v, token, ADDR, 1000 * UNIT)
    flag_insolvent(chain, venue_proofs)
    assert v.liquidate(ADDR, actors.keeper).split.held == 184 * UNIT  # a slice of 200: 10 bounty, 6 penalty
    for who in (actors.keeper, roles.admin, ADDR, actors.guardian, roles.liquidator):  # roles.liquidator: the registry's
        refused("AccessControlUnauthorizedAccount", v.release, ADDR, who, 1, who)
    err = refused("MarginVault__InsufficientHeld", v.release, ADDR, actors.treasury, 184 * UNIT + 1, actors.liquidator)
    assert f"held={184 * UNIT}" in str(err)
    refused("MarginVault__InsufficientHeld", v.release, OTHER, actors.treasury, 1, actors.liquidator)  # nothing held for OTHER
    refused("MarginVault__ZeroAmount", v.release, ADDR, actors.treasury, 0, actors.liquidator)
    refused("MarginVault__ZeroAddress", v.release, ADDR, ZERO, 1, actors.liquidator)
    res = v.release(ADDR, actors.treasury, 180 * UNIT, actors.liquidator)  # the account's losses, to the venue
    v.release(ADDR, ADDR, 4 * UNIT, actors.liquidator)  # a surplus back to the trader
    assert (v.held(ADDR), v.token_balance(v.vault.address)) == (0, 800 * UNIT)  # 800: the deposit left
    assert (v.token_balance(actors.treasury), v.token_balance(ADDR)) == (180 * UNIT, 4 * UNIT)
    logs = v.vault.events.Released().get_logs(from_block=res.block, to_block=res.block)
    assert [dict(x["args"]) for x in logs] == [
        {"account": ADDR, "to": actors.treasury, "amount": 180 * UNIT, "by": actors.liquidator}
    ]
    # then it resolves the flag on the registry, with the registry's role (the vault holds none)
    refused("AccessControlUnauthorizedAccount", chain.resolve_flag, ADDR, actors.liquidator)
    chain.grant_role("liquidator", actors.liquidator, roles.admin)
    chain.resolve_flag(ADDR, actors.liquidator)
    refused("MarginVault__NotFlagged", v.liquidate, ADDR, actors.keeper)  # the resolve ended the liquidation
    v.deposit(ADDR, 4 * UNIT)  # unflagged, no liquidation: it may deposit again
    refused("MarginVault__NotSolvent", v.withdraw, ADDR, 1)  # and withdraws once it attests
    # the admin manages roles and nothing else, until it grants itself one
    chain.send(v.vault.functions.grantRole(v.role_id("liquidator"), roles.admin), roles.admin)
    refused("MarginVault__InsufficientHeld", v.release, ADDR, roles.admin, 1, roles.admin)  # deposits are not held funds


def test_insurance_fund_pays_through_its_guardian_and_its_vault_only(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    v, token = vault
    ready(chain, roles, bundle(venue_proofs, "insolvent"))
    funded(chain, v, token, ADDR, 1000 * UNIT)
    flag_insolvent(chain, venue_proofs)
    v.liquidate(ADDR, actors.keeper)
    assert v.fund_balance() == 6 * UNIT  # 3% of the slice: a plain transfer into the fund
    for who in (actors.keeper, roles.admin, actors.liquidator):
        refused("AccessControlUnauthorizedAccount", v.cover, actors.treasury, 1, who)
    err = refused("InsuranceFund__InsufficientFunds", v.cover, actors.treasury, 6 * UNIT + 1, actors.guardian)
    assert f"balance={6 * UNIT}, amount={6 * UNIT + 1}" in str(err)
    refused("InsuranceFund__ZeroAmount", v.cover, actors.treasury, 0, actors.guardian)
    refused("InsuranceFund__ZeroAddress", v.cover, ZERO, 1, actors.guardian)
    res = v.cover(actors.treasury, 4 * UNIT, actors.guardian)
    assert (v.fund_balance(), v.token_balance(actors.treasury)) == (2 * UNIT, 4 * UNIT)
    logs = v.fund.events.Covered().get_logs(from_block=res.block, to_block=res.block)
    assert [dict(x["args"]) for x in logs] == [{"to": actors.treasury, "amount": 4 * UNIT, "by": actors.guardian}]
    # the vault pays reported shortfalls through its own role (deploy_vault granted it): nobody else
    vault_role = v.fund_role_id("vault")
    assert v.fund.functions.hasRole(vault_role, v.vault.address).call()
    for who in (actors.guardian, roles.admin, actors.liquidator):
        refused("AccessControlUnauthorizedAccount", chain.send, v.fund.functions.payShortfall(who, 1), who)
    assert not v.fund.functions.hasRole(v.fund_role_id("guardian"), v.vault.address).call()


# ------------------------------------------------------------ constructors


def test_constructor_refusals(chain: Chain, roles: Roles, actors: Actors, vault: tuple[Vault, Contract]) -> None:
    v, token = vault
    registry, fund, admin, liq = chain.deployment["registry"], v.addresses.fund, roles.admin, roles.others[1]
    eoa = roles.others[5]
    day = 24 * 3600

    def deploy(*args: object) -> str:
        return chain.deploy_contract("MarginVault", *args, sender=admin)[0]

    def vault_args(**over: object) -> list[object]:
        a: dict[str, object] = {"token": token.address, "registry": registry, "fund": fund, "venue": actors.treasury}
        names = ("min", "max", "auction", "penalty", "slice", "cooldown", "cure")
        policy: dict[str, object] = dict(zip(names, PARAMS.as_tuple(), strict=True))
        policy |= {k: over.pop(k) for k in list(over) if k in policy}
        a |= {"policy": tuple(policy.values()), "admin": admin, "liquidator": liq} | over
        return list(a.values())

    for field in ("token", "registry", "fund", "venue", "admin", "liquidator"):
        refused("MarginVault__ZeroAddress", deploy, *vault_args(**{field: ZERO}))
    assert f"target={eoa}" in str(refused("MarginVault__NotAContract", deploy, *vault_args(token=eoa)))
    refused("MarginVault__NotAContract", deploy, *vault_args(registry=eoa))
    refused("MarginVault__NotAContract", deploy, *vault_args(fund=eoa))
    next_address = create_address(admin, chain.w3.eth.get_transaction_count(Web3.to_checksum_address(admin)))
    refused("MarginVault__InvalidInsuranceFund", deploy, *vault_args(fund=next_address))  # the vault itself
    refused("MarginVault__InvalidInsuranceFund", deploy, *vault_args(fund=registry))  # not an InsuranceFund
    other_token = deploy_token(chain)
    other_fund = chain.deploy_contract("InsuranceFund", other_token.address, admin, admin, sender=admin)[0]
    refused("MarginVault__InvalidInsuranceFund", deploy, *vault_args(fund=other_fund))  # a fund of another token
    for bounty, penalty in ((10_001, 0), (0, 10_001), (5_000, 5_001), (2**256 - 1, 2)):
        err = refused("MarginVault__BpsTooHigh", deploy, *vault_args(max=bounty, penalty=penalty))
        assert f"maxBountyBps={bounty}, penaltyBps={penalty}" in str(err)
    for bad in (0, 10_001):
        assert f"sliceBps={bad}" in str(refused("MarginVault__SliceBpsOutOfRange", deploy, *vault_args(slice=bad)))
    ranges: tuple[tuple[str, str, int, tuple[int, int]], ...] = (
        ("auction", "MarginVault__AuctionDurationOutOfRange", 1, (0, 7 * day + 1)),
        ("cooldown", "MarginVault__CooldownOutOfRange", 1, (0, 7 * day + 1)),
        ("cure", "MarginVault__CureWindowOutOfRange", 60, (59, 7 * day + 1)),
    )
    for field, error, low, outside in ranges:
        for given in outside:
            err = refused(error, deploy, *vault_args(**{field: given}))
            assert f"given={given}, min={low}, max={7 * day}" in str(err)
    # the limits themselves are fine: bounty and penalty take the whole slice, every duration at a bound
    whole = chain.w3.eth.contract(
        address=Web3.to_checksum_address(
            deploy(*vault_args(min=0, max=5_000, penalty=5_000, slice=10_000, auction=1, cooldown=1, cure=60))
        ),
        abi=v.vault.abi,
    )
    assert tuple(whole.functions.split(1001, 1).call()) == (500, 500, 1)
    assert whole.functions.sliceOf(1001).call() == 1001
    assert whole.functions.sliceCount().call() == 1
    assert whole.functions.oracle().call() == chain.deployment["oracle"]  # read from the registry
    deploy(*vault_args(auction=7 * day, cooldown=7 * day, cure=7 * day))

    def deploy_fund(*args: object) -> str:
        return chain.deploy_contract("InsuranceFund", *args, sender=admin)[0]

    for args in ((ZERO, admin, liq), (token.address, ZERO, liq), (token.address, admin, ZERO)):
        refused("InsuranceFund__ZeroAddress", deploy_fund, *args)
    refused("InsuranceFund__NotAContract", deploy_fund, eoa, admin, liq)


# ------------------------------------------------------------ reentrancy through hostile tokens


def arm(chain: Chain, token: Contract, on: int, target: str, payload: str, bubble: bool = False) -> None:
    """Arm MaliciousToken: its next transfer (on=1) or transferFrom (on=2) first calls ``target``."""
    chain.send(token.functions.arm(on, target, payload, bubble))


def callback(token: Contract) -> tuple[int, bool, bytes]:
    """How many callbacks ran, whether the last succeeded, and what it returned."""
    f = token.functions
    return int(f.callbacks().call()), bool(f.lastOk().call()), bytes(f.lastReturn().call())


def test_reentrant_deposit_is_refused_and_would_otherwise_be_credited_twice(chain: Chain, roles: Roles, actors: Actors) -> None:
    """A token that re-enters `deposit` from inside `transferFrom` (depositing Y as itself) makes
    an unguarded vault count Y twice: once for the token, once more in the outer depositor's
    balance difference. The same source without `nonReentrant` is the control."""
    v, token = new_vault(chain, roles, actors, "MaliciousToken")
    unguarded = deploy_test_contract(
        chain,
        vault_variant(cache(chain), "UnguardedMarginVault", guard="none"),
        "UnguardedMarginVault",
        *(token.address, chain.deployment["registry"], v.addresses.fund, actors.treasury, PARAMS.as_tuple()),
        *(roles.admin, actors.liquidator),
    )
    x, y = 1000, 300
    outcome = {}
    for target in (unguarded, v.vault):
        mint(chain, token, OTHER, x)
        chain.send(token.functions.approve(target.address, x), OTHER)
        mint(chain, token, token.address, y)
        chain.send(token.functions.approveSelf(target.address, y))
        arm(chain, token, 2, target.address, target.functions.deposit(y)._encode_transaction_data())
        before = callback(token)[0]
        chain.send(target.functions.deposit(x), OTHER)
        count, ok, ret = callback(token)
        assert count == before + 1  # the re-entry was reached in both vaults
        credited = [int(target.functions.balanceOf(a).call()) for a in (OTHER, token.address)]
        outcome[target.address] = (ok, ret, credited, int(token.functions.balanceOf(target.address).call()))
    # without the guard the inner deposit succeeds (returning y): credits of x + 2y for x + y
    # received, the extra y taken out of other traders' deposits
    assert outcome[unguarded.address] == (True, y.to_bytes(32, "big"), [x + y, y], x + y)
    # with it: the inner deposit reverts, the outer one credits exactly what arrived
    assert outcome[v.vault.address] == (False, GUARD_ERROR, [x, 0], x)
    # bubbled up, the refusal is the guard's own error and nothing is credited
    mint(chain, token, OTHER, x)
    v.approve(OTHER, x)
    arm(chain, token, 2, v.vault.address, v.vault.functions.deposit(y)._encode_transaction_data(), bubble=True)
    refused("ReentrancyGuardReentrantCall", v.deposit, OTHER, x, approve=False)
    assert v.balance(OTHER) == x


def test_reentrant_withdraw_and_liquidate_are_refused(chain: Chain, roles: Roles, venue_proofs: Path, actors: Actors) -> None:
    """Re-entry from the outgoing transfer of `withdraw` and of `liquidate`'s bounty is reached and
    refused by the guard; without the guard checks-effects-interactions is the second layer (the
    slice is recorded before the bounty is paid, so a second liquidation meets the cooldown)."""
    v, token = new_vault(chain, roles, actors, "MaliciousToken")
    unguarded = deploy_test_contract(
        chain,
        vault_variant(cache(chain), "UnguardedMarginVault", guard="none"),
        "UnguardedMarginVault",
        *(token.address, chain.deployment["registry"], v.addresses.fund, actors.treasury, PARAMS.as_tuple()),
        *(roles.admin, actors.liquidator),
    )
    ready(chain, roles, bundle(venue_proofs, "other"))
    chain.submit_proof("attest", bundle(venue_proofs, "other"))
    funded(chain, v, token, OTHER, 100)
    arm(chain, token, 1, v.vault.address, v.vault.functions.withdraw(50)._encode_transaction_data())
    v.withdraw(OTHER, 50)
    assert callback(token) == (1, False, GUARD_ERROR)
    assert (v.balance(OTHER), v.token_balance(OTHER)) == (50, 50)

    for target in (v.vault, unguarded):
        mint(chain, token, ADDR, 1000 * UNIT)
        chain.send(token.functions.approve(target.address, 1000 * UNIT), ADDR)
        chain.send(target.functions.deposit(1000 * UNIT), ADDR)
    flag_insolvent(chain, venue_proofs)
    for target in (v.vault, unguarded):
        arm(chain, token, 1, target.address, target.functions.liquidate(ADDR)._encode_transaction_data())
        keeper_before = int(token.functions.balanceOf(actors.keeper).call())
        res = chain.send(target.functions.liquidate(ADDR), actors.keeper)
        # the guard's refusal; without it, the slice is already recorded: the next one waits for
        # the cooldown (checks-effects-interactions)
        from_ = (int(chain.w3.eth.get_block(res.block)["timestamp"]) + PARAMS.cooldown).to_bytes(32, "big")
        selector = Web3.keccak(text="MarginVault__NotLiquidatableYet(address,uint64)")[:4]
        not_yet = selector + bytes(12) + bytes.fromhex(ADDR[2:]) + from_
        _, ok, ret = callback(token)
        assert (ok, ret) == (False, GUARD_ERROR if target is v.vault else not_yet)
        assert int(token.functions.balanceOf(actors.keeper).call()) - keeper_before == 10 * UNIT  # one bounty, once
        assert int(target.functions.heldOf(ADDR).call()) == 184 * UNIT
        assert int(target.functions.balanceOf(ADDR).call()) == 800 * UNIT
    assert callback(token)[0] == 3


def test_reentrant_report_shortfall_is_refused(chain: Chain, roles: Roles, venue_proofs: Path, actors: Actors) -> None:
    """Re-entry from the fund's payment of a shortfall (the token calls back into the vault as the
    venue's liquidator would) is refused by the guard: one report, one payment."""
    v, token = new_vault(chain, roles, actors, "MaliciousToken")
    ready(chain, roles, bundle(venue_proofs, "insolvent"))
    funded(chain, v, token, ADDR, 100)  # 100 units: each slice of 20 goes whole to the keeper
    t = flag_insolvent(chain, venue_proofs)
    while v.balance(ADDR):
        at(chain, t)
        v.liquidate(ADDR, actors.keeper)
        t += PARAMS.cooldown
    assert (v.balance(ADDR), v.held(ADDR), v.liquidation(ADDR).slices) == (0, 0, 5)  # settled
    mint(chain, token, v.addresses.fund, 50)
    chain.send(v.vault.functions.grantRole(v.role_id("liquidator"), token.address), roles.admin)  # the worst case
    arm(chain, token, 1, v.vault.address, v.vault.functions.reportShortfall(ADDR, 30)._encode_transaction_data())
    res = v.report_shortfall(ADDR, 30, actors.liquidator)
    assert callback(token) == (1, False, GUARD_ERROR)
    assert (res.covered, res.socialised, v.fund_balance(), v.token_balance(actors.treasury)) == (30, 0, 20, 30)


# ------------------------------------------------------------ gas


def test_gas_of_every_vault_call(
    chain: Chain,
    roles: Roles,
    venue_proofs: Path,
    vault: tuple[Vault, Contract],
    actors: Actors,
    record_property: Callable[[str, object], None],
) -> None:
    """Measured on real transactions (21,000 and calldata included): deposit, withdraw, every kind
    of slice, release and a shortfall report; and the two views a keeper or a CLI calls
    (`eth_estimateGas` of the call). Printed and recorded, checked for sanity only."""
    v, token = vault
    ready(chain, roles, bundle(venue_proofs, "other"), enroll=[ADDR, OTHER, actors.newcomer])
    chain.submit_proof("attest", bundle(venue_proofs, "other"))
    mint(chain, token, OTHER, 2000 * UNIT)
    v.approve(OTHER, 2000 * UNIT)
    gas = {
        "deposit (first)": v.deposit(OTHER, 1000 * UNIT, approve=False).gas_used,
        "deposit (top-up)": v.deposit(OTHER, 1000 * UNIT, approve=False).gas_used,
        "withdraw (partial)": v.withdraw(OTHER, 500 * UNIT).gas_used,
        "withdraw (all)": v.withdraw(OTHER, 1500 * UNIT).gas_used,
    }
    funded(chain, v, token, ADDR, 1000 * UNIT)
    funded(chain, v, token, actors.newcomer, 100 * UNIT)
    flag_insolvent(chain, venue_proofs)
    slices = [v.liquidate(ADDR, actors.keeper)]
    for _ in range(4):
        at(chain, now(chain) + PARAMS.cooldown)
        slices.append(v.liquidate(ADDR, actors.keeper))
    assert [r.slice for r in slices] == [1, 2, 3, 4, 5] and v.balance(ADDR) == 0
    gas["liquidate (first slice, insolvent)"] = slices[0].gas_used  # new keeper and fund balances
    gas["liquidate (next slice)"] = slices[1].gas_used
    gas["liquidate (last slice)"] = slices[4].gas_used  # zeroes the deposit
    gas["release (all held)"] = v.release(ADDR, actors.treasury, 920 * UNIT, actors.liquidator).gas_used
    report = v.report_shortfall(ADDR, 100 * UNIT, actors.liquidator)
    assert (report.covered, report.socialised) == (30 * UNIT, 70 * UNIT)
    gas["reportShortfall (fund pays, rest socialised)"] = report.gas_used
    chain.advance_time(GRACE)
    chain.flag_stale([actors.newcomer])
    at(chain, int(chain.status(actors.newcomer)["flagged_at"]) + PARAMS.cure_window)
    gas["liquidate (first slice, stale)"] = v.liquidate(actors.newcomer, actors.keeper).gas_used
    f = v.vault.functions
    gas["liquidationQuote (eth_call)"] = f.liquidationQuote(actors.newcomer).estimate_gas()
    gas["status (eth_call)"] = f.status(actors.newcomer).estimate_gas()
    print()
    for name, g in gas.items():
        print(f"vault {name:<45} {g:>8,} gas")
        record_property(f"gas {name}", g)
    assert all(21_000 < g < 200_000 for g in gas.values()), gas
    assert gas["deposit (top-up)"] < gas["deposit (first)"]  # the first one creates the balance slot
    assert gas["liquidate (next slice)"] < gas["liquidate (first slice, insolvent)"]
