"""The example margin vault (contracts/examples) on a real anvil, acting on the registry's flags
raised and cleared with REAL proofs: withdrawals gated by attestations, liquidations split to the
wei, refusals, access control, reentrancy through hostile tokens, and gas."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from web3 import Web3
from web3.contract import Contract
from zksolvency.onchain.client import Chain
from zksolvency.onchain.vault import Split, Vault, VaultParams, deploy_vault

from tests.contracts.conftest import GRACE, Roles, publish_with_ledger, refused
from tests.contracts.test_registry import ADDR, OTHER, bundle, ready, signal
from tests.helpers.vault import cache, create_address, deploy_test_contract, deploy_token, mint, vault_variant

UNIT = 10**18
#: 2.5% bounty with a 10-token minimum, 5% penalty.
PARAMS = VaultParams(min_bounty=10 * UNIT, bounty_bps=250, penalty_bps=500)
ZERO = "0x" + "00" * 20
GUARD_ERROR = Web3.keccak(text="ReentrancyGuardReentrantCall()")[:4]


@dataclass(frozen=True)
class Actors:
    """Who does what around the vault (none of them holds a registry role)."""

    keeper: str  # liquidates for the bounty
    liquidator: str  # the venue's liquidator: the vault's LIQUIDATOR_ROLE
    guardian: str  # pays out of the insurance fund
    newcomer: str  # a trader enrolled with the others, who never attests
    treasury: str  # the venue's own account (ADDR, the insolvent trader, is anvil's venue account)


@pytest.fixture
def actors(roles: Roles) -> Actors:
    return Actors(*roles.others[:5])


def new_vault(chain: Chain, roles: Roles, actors: Actors, token: str = "TestToken") -> tuple[Vault, Contract]:
    t = deploy_token(chain, token)
    v = deploy_vault(
        chain, t.address, PARAMS, admin=roles.admin, liquidator=actors.liquidator, guardian=actors.guardian, sender=roles.admin
    )
    return v, t


@pytest.fixture
def vault(chain: Chain, roles: Roles, actors: Actors) -> tuple[Vault, Contract]:
    """A fresh vault of a plain test token (rolled back with the chain after each test)."""
    return new_vault(chain, roles, actors)


def funded(chain: Chain, v: Vault, token: Contract, account: str, amount: int) -> None:
    """Mint ``amount`` to ``account`` and deposit it."""
    mint(chain, token, account, amount)
    v.deposit(account, amount)


def flag_insolvent(chain: Chain, venue_proofs: Path) -> None:
    """Flag ADDR with the real `solvent = 0` proof of its ledger entry (epoch 42)."""
    chain.submit_proof("flag", bundle(venue_proofs, "insolvent"))


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
    like an insolvent account (the event says which flag)."""
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
    res = v.liquidate(OTHER, actors.keeper)
    assert (res.flag, res.seized, res.split) == ("stale", 900 * UNIT, Split(225 * UNIT // 10, 45 * UNIT, 8325 * UNIT // 10))
    # a solvent attestation for the latest epoch clears a stale flag: the account was only late
    chain.submit_proof("attest", b43)
    assert chain.status(OTHER)["flag"] == "none" and chain.status(OTHER)["solvent_now"]


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

#: (deposit, bounty, penalty, held) with PARAMS: 2.5% bounty (at least 10 tokens), 5% penalty.
SPLITS = {
    "rates": (1000 * UNIT, 25 * UNIT, 50 * UNIT, 925 * UNIT),
    # 2.5% of 400e18 + 399 is 10e18 + 9.975 and 5% is 20e18 + 19.95: both floor; the venue keeps the dust
    "rounding": (400 * UNIT + 399, 10 * UNIT + 9, 20 * UNIT + 19, 370 * UNIT + 371),
    "minimum bounty": (100 * UNIT, 10 * UNIT, 5 * UNIT, 85 * UNIT),  # 2.5% would be 2.5 tokens
    # the minimum bounty leaves 0.5 tokens: the penalty (0.525 at 5%) gets what is left
    "penalty capped": (10 * UNIT + UNIT // 2, 10 * UNIT, UNIT // 2, 0),
    "bounty capped": (3 * UNIT, 3 * UNIT, 0, 0),  # below the minimum bounty: all of it to the keeper
    "one wei": (1, 1, 0, 0),
}


@pytest.mark.parametrize("case", SPLITS)
def test_liquidation_pays_bounty_penalty_and_holds_the_rest_exactly(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors, case: str
) -> None:
    deposit, bounty, penalty, held = SPLITS[case]
    v, token = vault
    ready(chain, roles, bundle(venue_proofs, "insolvent"))
    funded(chain, v, token, ADDR, deposit)
    flag_insolvent(chain, venue_proofs)
    assert v.token_balance(actors.keeper) == 0 and v.fund_balance() == 0
    res = v.liquidate(ADDR, actors.keeper)
    assert (res.account, res.flag, res.seized) == (ADDR, "insolvent", deposit)
    assert res.split == Split(bounty, penalty, held)
    assert v.token_balance(actors.keeper) == bounty
    assert v.fund_balance() == v.token_balance(v.addresses.fund) == penalty
    assert (v.balance(ADDR), v.held(ADDR), v.token_balance(v.vault.address)) == (0, held, held)
    assert v.split(deposit) == PARAMS.split(deposit) == res.split  # the contract's view and the Python twin agree
    logs = v.vault.events.Liquidated().get_logs(from_block=res.block, to_block=res.block)
    args = [dict(x["args"]) for x in logs]
    assert args == [
        {
            "account": ADDR,
            "keeper": actors.keeper,
            "flag": 1,
            "seized": deposit,
            "bounty": bounty,
            "penalty": penalty,
            "held": held,
        }
    ]


def test_split_is_exact_for_the_largest_deposit(chain: Chain, vault: tuple[Vault, Contract]) -> None:
    """mulDiv: no deposit is too large to liquidate (seized × bps would overflow 2^256)."""
    v, _ = vault
    big = 2**256 - 1
    s = v.split(big)
    assert s == PARAMS.split(big) and s.bounty + s.penalty + s.held == big
    assert s.bounty == big * 250 // 10_000 and s.penalty == big * 500 // 10_000


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
    assert v.liquidate(actors.newcomer, actors.keeper).split == Split(10 * UNIT, 5 * UNIT, 85 * UNIT)
    err = refused("MarginVault__NothingToLiquidate", v.liquidate, actors.newcomer, actors.keeper)  # a second liquidation
    assert f"account={actors.newcomer}" in str(err)
    flag_insolvent(chain, venue_proofs)
    refused("MarginVault__NothingToLiquidate", v.liquidate, ADDR, actors.keeper)  # flagged, nothing deposited
    assert v.token_balance(actors.keeper) == 10 * UNIT
    assert (v.balance(OTHER), v.balance(stranger), v.token_balance(v.vault.address)) == (100 * UNIT, 100 * UNIT, 285 * UNIT)


# ------------------------------------------------------------ the venue's liquidator and the fund


def test_only_the_liquidator_releases_what_a_liquidation_holds(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    v, token = vault
    ready(chain, roles, bundle(venue_proofs, "insolvent"))
    funded(chain, v, token, ADDR, 1000 * UNIT)
    flag_insolvent(chain, venue_proofs)
    assert v.liquidate(ADDR, actors.keeper).split.held == 925 * UNIT
    for who in (actors.keeper, roles.admin, ADDR, actors.guardian, roles.liquidator):  # roles.liquidator: the registry's
        refused("AccessControlUnauthorizedAccount", v.release, ADDR, who, 1, who)
    err = refused("MarginVault__InsufficientHeld", v.release, ADDR, actors.treasury, 925 * UNIT + 1, actors.liquidator)
    assert f"held={925 * UNIT}" in str(err)
    refused("MarginVault__InsufficientHeld", v.release, OTHER, actors.treasury, 1, actors.liquidator)  # nothing held for OTHER
    refused("MarginVault__ZeroAmount", v.release, ADDR, actors.treasury, 0, actors.liquidator)
    refused("MarginVault__ZeroAddress", v.release, ADDR, ZERO, 1, actors.liquidator)
    res = v.release(ADDR, actors.treasury, 900 * UNIT, actors.liquidator)  # the account's losses, to the venue
    v.release(ADDR, ADDR, 25 * UNIT, actors.liquidator)  # a surplus back to the trader
    assert (v.held(ADDR), v.token_balance(v.vault.address)) == (0, 0)
    assert (v.token_balance(actors.treasury), v.token_balance(ADDR)) == (900 * UNIT, 25 * UNIT)
    logs = v.vault.events.Released().get_logs(from_block=res.block, to_block=res.block)
    assert [dict(x["args"]) for x in logs] == [
        {"account": ADDR, "to": actors.treasury, "amount": 900 * UNIT, "by": actors.liquidator}
    ]
    # then it resolves the flag on the registry, with the registry's role (the vault holds none)
    refused("AccessControlUnauthorizedAccount", chain.resolve_flag, ADDR, actors.liquidator)
    chain.grant_role("liquidator", actors.liquidator, roles.admin)
    chain.resolve_flag(ADDR, actors.liquidator)
    v.deposit(ADDR, 25 * UNIT)  # unflagged: it may deposit again
    refused("MarginVault__NotSolvent", v.withdraw, ADDR, 1)  # and withdraws once it attests
    # the admin manages roles and nothing else, until it grants itself one
    chain.send(v.vault.functions.grantRole(v.role_id("liquidator"), roles.admin), roles.admin)
    refused("MarginVault__InsufficientHeld", v.release, ADDR, roles.admin, 1, roles.admin)  # deposits are not held funds


def test_insurance_fund_covers_shortfalls_through_its_guardian_only(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    v, token = vault
    ready(chain, roles, bundle(venue_proofs, "insolvent"))
    funded(chain, v, token, ADDR, 1000 * UNIT)
    flag_insolvent(chain, venue_proofs)
    v.liquidate(ADDR, actors.keeper)
    assert v.fund_balance() == 50 * UNIT
    for who in (actors.keeper, roles.admin, actors.liquidator):
        refused("AccessControlUnauthorizedAccount", v.cover, actors.treasury, 1, who)
    err = refused("InsuranceFund__InsufficientFunds", v.cover, actors.treasury, 50 * UNIT + 1, actors.guardian)
    assert f"balance={50 * UNIT}, amount={50 * UNIT + 1}" in str(err)
    refused("InsuranceFund__ZeroAmount", v.cover, actors.treasury, 0, actors.guardian)
    refused("InsuranceFund__ZeroAddress", v.cover, ZERO, 1, actors.guardian)
    res = v.cover(actors.treasury, 30 * UNIT, actors.guardian)
    assert (v.fund_balance(), v.token_balance(actors.treasury)) == (20 * UNIT, 30 * UNIT)
    logs = v.fund.events.Covered().get_logs(from_block=res.block, to_block=res.block)
    assert [dict(x["args"]) for x in logs] == [{"to": actors.treasury, "amount": 30 * UNIT, "by": actors.guardian}]


# ------------------------------------------------------------ constructors


def test_constructor_refusals(chain: Chain, roles: Roles, vault: tuple[Vault, Contract]) -> None:
    v, token = vault
    registry, fund, admin, liq = chain.deployment["registry"], v.addresses.fund, roles.admin, roles.others[1]
    eoa = roles.others[5]

    def deploy(*args: object) -> str:
        return chain.deploy_contract("MarginVault", *args, sender=admin)[0]

    def vault_args(**over: object) -> list[object]:
        a: dict[str, object] = {"registry": registry, "token": token.address, "fund": fund, "min": 0, "bounty": 250}
        a |= {"penalty": 500, "admin": admin, "liquidator": liq} | over
        return list(a.values())

    for field in ("registry", "token", "fund", "admin", "liquidator"):
        refused("MarginVault__ZeroAddress", deploy, *vault_args(**{field: ZERO}))
    assert f"target={eoa}" in str(refused("MarginVault__NotAContract", deploy, *vault_args(token=eoa)))
    refused("MarginVault__NotAContract", deploy, *vault_args(registry=eoa))
    next_address = create_address(admin, chain.w3.eth.get_transaction_count(Web3.to_checksum_address(admin)))
    refused("MarginVault__InvalidInsuranceFund", deploy, *vault_args(fund=next_address))
    for bounty, penalty in ((10_001, 0), (0, 10_001), (5_000, 5_001), (2**256 - 1, 2)):
        err = refused("MarginVault__BpsTooHigh", deploy, *vault_args(bounty=bounty, penalty=penalty))
        assert f"bountyBps={bounty}, penaltyBps={penalty}" in str(err)
    # the limit itself is fine: bounty and penalty take the whole deposit
    whole = chain.w3.eth.contract(
        address=Web3.to_checksum_address(deploy(*vault_args(bounty=5_000, penalty=5_000))), abi=v.vault.abi
    )
    assert tuple(whole.functions.split(1001).call()) == (500, 500, 1)

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
        *(chain.deployment["registry"], token.address, v.addresses.fund, PARAMS.min_bounty, PARAMS.bounty_bps),
        *(PARAMS.penalty_bps, roles.admin, actors.liquidator),
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
    deposit is already zero, so a second liquidation finds nothing)."""
    v, token = new_vault(chain, roles, actors, "MaliciousToken")
    unguarded = deploy_test_contract(
        chain,
        vault_variant(cache(chain), "UnguardedMarginVault", guard="none"),
        "UnguardedMarginVault",
        *(chain.deployment["registry"], token.address, v.addresses.fund, PARAMS.min_bounty, PARAMS.bounty_bps),
        *(PARAMS.penalty_bps, roles.admin, actors.liquidator),
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
    nothing = Web3.keccak(text="MarginVault__NothingToLiquidate(address)")[:4] + bytes(12) + bytes.fromhex(ADDR[2:])
    for target, refusal in ((v.vault, GUARD_ERROR), (unguarded, nothing)):
        arm(chain, token, 1, target.address, target.functions.liquidate(ADDR)._encode_transaction_data())
        keeper_before = int(token.functions.balanceOf(actors.keeper).call())
        chain.send(target.functions.liquidate(ADDR), actors.keeper)
        _, ok, ret = callback(token)
        assert (ok, ret) == (False, refusal)
        assert int(token.functions.balanceOf(actors.keeper).call()) - keeper_before == 25 * UNIT  # one bounty, once
        assert int(target.functions.heldOf(ADDR).call()) == 925 * UNIT
    assert callback(token)[0] == 3


# ------------------------------------------------------------ gas


def test_gas_of_deposit_withdraw_and_liquidate(
    chain: Chain,
    roles: Roles,
    venue_proofs: Path,
    vault: tuple[Vault, Contract],
    actors: Actors,
    record_property: Callable[[str, object], None],
) -> None:
    """Measured on real transactions (21,000 and calldata included); printed and recorded, checked
    for sanity only."""
    v, token = vault
    ready(chain, roles, bundle(venue_proofs, "other"))
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
    flag_insolvent(chain, venue_proofs)
    gas["liquidate"] = v.liquidate(ADDR, actors.keeper).gas_used
    print()
    for name, g in gas.items():
        print(f"vault {name:<20} {g:>8,} gas")
        record_property(f"gas {name}", g)
    assert all(21_000 < g < 200_000 for g in gas.values()), gas
    assert gas["deposit (top-up)"] < gas["deposit (first)"]  # the first one creates the balance slot
