"""Attacks on the liquidating keeper (``keeper run --vault``, docs/spec.md §10): real anvil, real
contracts, real proofs; the keeper in-process where the attack is on one tick, as real processes
where it is on the daemon. Each test performs the attack and shows it refused:

- a contract that answers the vault's calls but is not the vault's code (a fake that names the
  deployment's registry, reports a flag outside the enum and a bounty it never pays) is refused by
  ``Vault.at`` and so by ``keeper run --vault`` (exit 2), and an unreadable status is one refused
  account, never a dead daemon;
- an insolvency override sent in front of the keeper's slice (it restarts the first slice's
  auction) makes the keeper's transaction revert at its own minimum bounty instead of paying it
  less than it priced;
- a liquidation that reverted (the override above) or was lost with the node's pool is sent again
  once the chain offers the same slice;
- one high-tip transaction per block does not hold a capped keeper back: it sends at its cap;
- a token that takes a fee: the keeper's metrics count what arrived, not what was quoted;
- accounts the registry flags that never deposited in the vault cost the keeper no RPC request.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3
from web3.contract import Contract
from web3.types import RPCEndpoint, Wei
from zksolvency.onchain.client import Chain
from zksolvency.onchain.keeper import Keeper, TickResult
from zksolvency.onchain.liquidator import Profitability
from zksolvency.onchain.solc import Compiled, compile_sources
from zksolvency.onchain.tx import ChainError, FeeCaps, Flag, proof_calldata
from zksolvency.onchain.vault import Vault, VaultAddresses, vault_contracts
from zksolvency.zkcore.errors import InputError

from tests.helpers.chain import Roles, at, now
from tests.helpers.keeper import ZKSOLVENCY, Venue, insolvent_vault, liquidations, set_time, start_keeper, stop_keeper, wait_for
from tests.helpers.registry import ADDR, OTHER, bundle, ready, signal
from tests.helpers.vault import PARAMS, UNIT, Actors, cache, deploy_test_contract, deploy_token, funded, mint, new_vault

pytestmark = pytest.mark.slow

D = PARAMS.auction_duration
CURE = PARAMS.cure_window
#: 0.001 ETH per whole token: a 10-token minimum bounty is 0.01 ETH, a 100-token one 0.1 ETH.
PRICE_WEI = 10**15
GWEI = 10**9

# ------------------------------------------------------------------ helpers


def mine(chain: Chain) -> None:
    chain.w3.provider.make_request(RPCEndpoint("evm_mine"), [])


def automine(chain: Chain, on: bool) -> None:
    chain.w3.provider.make_request(RPCEndpoint("evm_setAutomine"), [on])


def pending_count(chain: Chain) -> int:
    return int(chain.w3.eth.get_block_transaction_count("pending"))


def send_raw(chain: Chain, fn: Any, sender: str, tip_gwei: int, gas: int = 3_000_000) -> Any:
    """Queue a call with an explicit (high) tip and no gas estimate: a front-runner's transaction."""
    frm = chain._ensure_sender(sender)
    return chain.w3.eth.send_transaction(
        {
            "from": frm,
            "to": fn.address,
            "data": fn._encode_transaction_data(),
            "gas": gas,
            "maxPriorityFeePerGas": Wei(tip_gwei * GWEI),
            "maxFeePerGas": Wei(10**12),
        }
    )


def tick_with_front_run(chain: Chain, keeper: Keeper, front: Callable[[], Any]) -> TickResult:
    """Automine off: the keeper ticks and broadcasts its liquidation; while it waits in the pool, the
    attacker sends ``front`` with a higher tip; one block mines both (the attacker's first)."""
    automine(chain, False)
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["r"] = keeper.tick()
        except BaseException as e:
            out["e"] = e

    th = threading.Thread(target=run)
    try:
        th.start()
        wait_for(lambda: pending_count(chain) >= 1 or not th.is_alive(), what="the keeper's liquidation in the pool")
        assert th.is_alive(), f"the keeper sent nothing: {out}"
        front()
        assert pending_count(chain) >= 2
        mine(chain)
        th.join(timeout=60)
    finally:
        automine(chain, True)
    assert "e" not in out, out.get("e")
    result: TickResult = out["r"]
    return result


def keeper_for(chain: Chain, v: Vault, sender: str, min_profit_wei: int = 0, caps: FeeCaps | None = None) -> Keeper:
    kw: dict[str, Any] = {"fee_caps": caps} if caps is not None else {}
    return Keeper(
        chain,
        sender=sender,
        vault=Vault.at(chain, v.vault.address),
        profit=Profitability(PRICE_WEI, min_profit_wei, 18),
        **kw,
    )


def paid_wei(chain: Chain, tx_hash: Any) -> int:
    r = chain.w3.eth.get_transaction_receipt(tx_hash)
    return int(r["gasUsed"]) * int(r["effectiveGasPrice"])


def calm_fees(chain: Chain) -> None:
    """An empty block: anvil's tip suggestion follows the latest block, and the setup's own
    transactions (publish_with_ledger tips 100 gwei) would otherwise hold a 2-gwei-capped keeper."""
    mine(chain)
    assert int(chain.w3.eth.max_priority_fee) <= 2 * GWEI


#: Attacker contracts. ``FakeVault`` answers the keeper's ``Vault.at`` check (registry, token,
#: insuranceFund) and the reads the keeper prices from (status, liquidationQuote, liquidationOf),
#: with whatever the attacker configures; ``liquidate`` burns gas and emits a Liquidated event.
#: ``OtherRegistry`` is just enough of a registry for a GENUINE MarginVault to be deployed on it.
ATTACK_SOL = """
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

contract FakeVault {
    struct Status {
        uint256 deposit; uint256 held; uint8 flag; uint64 flagId; bool inProgress; uint256 basis;
        uint64 slices; uint64 lastSliceAt; bool liquidatable; uint64 nextLiquidatableAt; bool shortfallReported;
    }
    struct Quote { uint256 seized; uint256 bounty; uint256 penalty; uint256 held; bool liquidatable; uint64 from; }
    event LiquidationStarted(address indexed account, uint64 indexed flagId, uint8 flag, uint256 basis);
    event Liquidated(
        address indexed account, address indexed keeper, uint64 indexed flagId, uint8 flag, uint64 slice,
        uint256 seized, uint256 bounty, uint256 penalty, uint256 held
    );
    uint256 constant BIG = 10**30;
    address public immutable registry;
    address public immutable token;
    address public immutable insuranceFund;
    uint8 public flagValue = 1;
    uint256 public burn;
    uint256 public sink;

    constructor(address registry_, address token_) { registry = registry_; token = token_; insuranceFund = token_; }

    function configure(uint8 flag_, uint256 burn_) external { flagValue = flag_; burn = burn_; }

    function announce(address[] calldata accounts) external {
        for (uint256 i = 0; i < accounts.length; ++i) emit LiquidationStarted(accounts[i], 1, 1, BIG);
    }

    function status(address) external view returns (Status memory s) {
        s.deposit = BIG; s.flag = flagValue; s.flagId = uint64(block.number); s.liquidatable = true;
        s.nextLiquidatableAt = 1;
    }

    function liquidationQuote(address) external pure returns (Quote memory q) {
        q.seized = BIG; q.bounty = BIG; q.liquidatable = true; q.from = 1;
    }

    function liquidationOf(address) external pure returns (uint256, uint64, uint64, uint64) { return (0, 0, 0, 0); }

    function liquidate(address account) external returns (uint256, uint256, uint256, uint256) {
        uint256 x = sink;
        for (uint256 i = 0; i < burn; ++i) x = uint256(keccak256(abi.encode(x, i)));
        sink = x;
        emit Liquidated(account, msg.sender, uint64(block.number), 1, 1, BIG, BIG, 0, 0);
        return (BIG, BIG, 0, 0);
    }
}

contract OtherRegistry {
    address public oracle;
    constructor(address oracle_) { oracle = oracle_; }
}
"""


def attack_contracts(chain: Chain) -> dict[str, Compiled]:
    return compile_sources({"tests/attacks/attack19/Attack19.sol": ATTACK_SOL}, cache(chain))


def spawn_keeper(v: Venue, name: str, *args: str, interval: float = 0.3) -> tuple[subprocess.Popen[str], Path]:
    """``zksolvency keeper run`` as a real process, without waiting for anything."""
    log = v.dir / f"keeper-{name}.log"
    cmd = [ZKSOLVENCY, "keeper", "run", "--rpc", v.node.rpc, "--deployment", str(v.dir / "deployment.json")]
    cmd += ["--interval", str(interval), "--max-backoff", "1", *args]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    v.keepers.append(proc)
    return proc, log


# ------------------------------------------------------------------ a contract that is not the vault


def test_a_fake_vault_that_names_the_registry_is_refused(venue: Venue) -> None:
    """A 40-line contract answers ``registry()`` with the deployment's registry, reports flag value
    7 and a 10^30 bounty, and burns gas in ``liquidate``. ``Vault.at`` compares the code at the
    address with the vault's own runtime code (immutables aside) and refuses it; ``keeper run
    --vault`` exits 2 with one line naming --vault, before any transaction."""
    ch = venue.chain
    token = deploy_token(ch)
    fake = deploy_test_contract(ch, attack_contracts(ch), "FakeVault", ch.deployment["registry"], token.address)
    ch.send(fake.functions.configure(7, 10_000))
    with pytest.raises(InputError, match="not a MarginVault: the code there is not the vault's"):
        Vault.at(ch, fake.address)
    sender = Web3.to_checksum_address(list(ch.w3.eth.accounts)[5])
    nonce0 = ch.w3.eth.get_transaction_count(sender)
    cmd = [ZKSOLVENCY, "keeper", "run", "--rpc", venue.node.rpc, "--deployment", str(venue.dir / "deployment.json")]
    cmd += ["--from", sender, "--vault", fake.address, "--token-price-eth", "0.001", "--once"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env={**os.environ})
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "--vault" in err[0] and "not a MarginVault" in err[0] and "Traceback" not in proc.stderr
    assert ch.w3.eth.get_transaction_count(sender) == nonce0


def test_an_unreadable_vault_status_is_one_refused_account_not_a_dead_keeper(venue: Venue) -> None:
    """Past the code check (a client built on the fake directly), a status with flag value 7 does
    not decode: ``Vault.statuses`` puts a ChainError in its place, the liquidating tick reports the
    account refused and sends nothing, and the flag enum refuses any value it does not have."""
    ch = venue.chain
    token = deploy_token(ch)
    fake = deploy_test_contract(ch, attack_contracts(ch), "FakeVault", ch.deployment["registry"], token.address)
    ch.send(fake.functions.configure(7, 0))
    compiled = vault_contracts(cache(ch))
    v = Vault(ch, VaultAddresses(fake.address, token.address, token.address), compiled)
    (st,) = v.statuses([venue.accounts[0]])
    assert isinstance(st, ChainError) and "flag value 7" in str(st)
    for bad in (3, 7, -1):
        with pytest.raises(ChainError):
            Flag.from_value(bad)
    sender = Web3.to_checksum_address(list(ch.w3.eth.accounts)[5])
    nonce0 = ch.w3.eth.get_transaction_count(sender)
    k = Keeper(ch, sender=sender, vault=v, profit=Profitability(PRICE_WEI, 0, 18))
    assert k.liquidator is not None
    k.liquidator._depositors.add(venue.accounts[0])
    ch.send(fake.functions.announce([venue.accounts[0]]))
    res = k.tick().liquidation
    assert res is not None and res.liquidated == [] and len(res.refused) == 1 and "flag value 7" in res.refused[0]
    assert ch.w3.eth.get_transaction_count(sender) == nonce0


# ------------------------------------------------------------------ the auction moved in front of the keeper


def test_an_override_in_front_of_the_keeper_makes_its_slice_revert_not_pay_less(
    chain: Chain,
    roles: Roles,
    venue_proofs: Path,
    vault: tuple[Vault, Contract],
    actors: Actors,
) -> None:
    """A stale account's first slice has waited its whole auction (the quote pays the top bounty,
    100 tokens). In front of the keeper's transaction, in the same block, the holder of the
    account's ``solvent = 0`` proof overrides the stale flag: the first slice's auction restarts at
    the minimum bounty. The keeper sent ``liquidateAtLeast`` with the least bounty its rule accepts
    (gas + 0.05 ETH = ~50 tokens): its transaction reverts, the slice stays, nothing goes to
    ``held`` at the floor, and the same keeper sends the same slice again, and takes it, when the
    new auction pays."""
    v, token = vault
    b = bundle(venue_proofs, "insolvent")
    ready(chain, roles, b)
    funded(chain, v, token, ADDR, 10_000 * UNIT)
    at(chain, int(chain.status(ADDR)["stale_at"]))
    assert set(chain.flag_stale([ADDR, OTHER]).flagged) == {ADDR, OTHER}
    flagged_at = int(chain.status(ADDR)["flagged_at"])
    at(chain, flagged_at + CURE + D)
    calm_fees(chain)
    assert v.quote(ADDR).bounty == 100 * UNIT
    keeper = keeper_for(chain, v, actors.keeper, min_profit_wei=5 * 10**16)
    a, bb, c, s = proof_calldata(b["proof"], b["public_signals"])
    override = chain.contract("registry").functions.flagInsolvent(ADDR, 42, a, bb, c, s)

    res = tick_with_front_run(chain, keeper, lambda: send_raw(chain, override, roles.venue, 100))

    liq = res.liquidation
    assert liq is not None
    (d,) = liq.decisions
    assert d.send and d.quote.bounty == 100 * UNIT
    assert liq.liquidated == [] and len(liq.refused) == 1
    assert chain.status(ADDR)["flag"] == "insolvent" and v.liquidation(ADDR).slices == 0
    assert v.balance(ADDR) == 10_000 * UNIT
    overridden = int(chain.status(ADDR)["flagged_at"])
    at(chain, overridden + D)
    calm_fees(chain)
    again = keeper.tick().liquidation
    assert again is not None and [r.slice for r in again.liquidated] == [1]
    assert again.liquidated[0].split.bounty == 100 * UNIT


def test_a_liquidation_lost_with_the_node_is_sent_again(venue: Venue, venue_proofs: Path) -> None:
    """Automine off: the keeper daemon broadcasts slice 1 and waits for it; the node goes away and
    comes back without its pool. The keeper reconnects, finds nothing of its own in the pool and
    the same slice on offer, and sends it again: the slice is taken by that keeper."""
    lv, flagged_at = insolvent_vault(venue, venue_proofs)
    ch = venue.chain
    sender = Web3.to_checksum_address(list(ch.w3.eth.accounts)[4])
    nonce0 = ch.w3.eth.get_transaction_count(sender)
    automine(ch, False)
    proc, _port, log = start_keeper(venue, "lost", "--from", sender, "--vault", lv.addresses.vault, "--token-price-eth", "0.001")
    wait_for(lambda: pending_count(ch) >= 1, what="the keeper's liquidation in the pool")
    venue.stop_node()
    wait_for(lambda: "unreachable" in log.read_text(), what="the keeper to notice", timeout=60)
    venue.start_node()
    ch = venue.chain
    wait_for(lambda: "answers again" in log.read_text(), what="the keeper to reconnect", timeout=90)
    set_time(venue, max(int(ch.w3.eth.get_block("latest")["timestamp"]) + 1, flagged_at + 60))
    wait_for(lambda: len(liquidations(lv)) == 1, what="the same keeper to take the slice", timeout=90)
    (got,) = liquidations(lv)
    assert got["keeper"] == sender and got["slice"] == 1
    assert "sending again" in log.read_text()  # the first one was lost with the pool, not mined late
    assert ch.w3.eth.get_transaction_count(sender) == nonce0 + 1  # one transaction mined in all
    assert stop_keeper(proc) == 0


# ------------------------------------------------------------------ fees, tokens, scale


def test_one_high_tip_transaction_per_block_does_not_hold_a_capped_keeper_back(
    chain: Chain,
    roles: Roles,
    venue_proofs: Path,
    vault: tuple[Vault, Contract],
    actors: Actors,
) -> None:
    """Someone sends a 21,000-gas self-transfer with a 50 gwei tip before every tick, lifting the
    node's tip suggestion far above the keeper's default 2 gwei cap. The keeper sends anyway, with
    its capped tip, at the first tick the bounty covers its cost: the attacker does not get the
    slice at the top of its auction."""
    v, token = vault
    b = bundle(venue_proofs, "insolvent")
    ready(chain, roles, b)
    funded(chain, v, token, ADDR, 10_000 * UNIT)
    chain.submit_proof("flag", b)
    flagged_at = int(chain.status(ADDR)["flagged_at"])
    keeper = keeper_for(chain, v, actors.keeper, min_profit_wei=3 * 10**16)  # pays from ~30 tokens
    attacker = chain._ensure_sender(roles.others[8])
    taken = None
    for t in range(flagged_at + 5, flagged_at + D, 60):
        at(chain, t)
        chain.w3.eth.send_transaction(
            {
                "from": attacker,
                "to": attacker,
                "value": Wei(0),
                "gas": 21_000,
                "maxPriorityFeePerGas": Wei(50 * GWEI),
                "maxFeePerGas": Wei(200 * GWEI),
            }
        )
        assert int(chain.w3.eth.max_priority_fee) > 2 * GWEI
        r = keeper.tick().liquidation
        assert r is not None and r.over_fee_cap == []
        if r.liquidated:
            taken = r.liquidated[0]
            break
    assert taken is not None and taken.keeper == actors.keeper and taken.split.bounty < 100 * UNIT
    tx = chain.w3.eth.get_transaction(taken.tx_hash)
    assert tx["maxPriorityFeePerGas"] == 2 * GWEI


def test_a_token_fee_is_not_counted_as_earned(
    chain: Chain,
    roles: Roles,
    venue_proofs: Path,
    actors: Actors,
) -> None:
    """The token's owner raises its transfer fee to 100% in front of the keeper's liquidation. The
    keeper cannot be paid by a token that keeps everything, but it does not believe it was: its
    metrics and its tick count the tokens that arrived (none), not the quoted bounty."""
    v, token = new_vault(chain, roles, actors, "FeeToken")
    b = bundle(venue_proofs, "insolvent")
    ready(chain, roles, b)

    mint(chain, token, ADDR, 10_000 * UNIT)
    v.deposit(ADDR, 10_000 * UNIT)
    chain.submit_proof("flag", b)
    at(chain, int(chain.status(ADDR)["flagged_at"]) + D)
    calm_fees(chain)
    keeper = keeper_for(chain, v, actors.keeper)
    res = tick_with_front_run(chain, keeper, lambda: send_raw(chain, token.functions.setFee(10_000), roles.others[9], 100))
    liq = res.liquidation
    assert liq is not None
    (got,) = liq.liquidated
    assert got.split.bounty > 0 and v.token_balance(actors.keeper) == 0
    assert liq.received == [0]
    assert keeper.metrics.registry.get_sample_value("zksolvency_keeper_bounty_earned_total") == 0


def test_flagged_accounts_without_a_deposit_cost_the_keeper_no_request(venue: Venue, venue_proofs: Path) -> None:
    """200 more accounts enrolled and flagged stale, none of which ever deposited in the vault (silent
    customers or sybils the venue enrolled): the liquidating side of a tick makes exactly as many
    RPC requests as before, and its candidates are the vault's depositors only."""
    lv, _ = insolvent_vault(venue, venue_proofs)  # accounts[0] flagged insolvent, with a deposit
    ch = venue.chain
    set_time(venue, int(ch.status(venue.accounts[2])["stale_at"]))  # index 1 attested: the others owe 42
    keeper = keeper_for(ch, lv, str(list(ch.w3.eth.accounts)[4]), min_profit_wei=10**40)  # reads only: never pays
    keeper.tick()

    def measured() -> tuple[int, int]:
        provider: Any = ch.w3.provider
        calls: list[str] = []
        orig, orig_batch = provider.make_request, provider.make_batch_request

        def counting(method: Any, params: Any) -> Any:
            calls.append(str(method))
            return orig(method, params)

        def counting_batch(requests: Any) -> Any:
            calls.append(f"batch of {len(requests)}")
            return orig_batch(requests)

        number = int(ch.w3.eth.block_number)
        rows = keeper.statuses(keeper.accounts, number)
        provider.make_request = counting
        provider.make_batch_request = counting_batch
        provider._request_func_cache = (None, None)
        try:
            assert keeper.liquidator is not None
            out = keeper.liquidator.tick(rows, number, keeper.fee_caps)
        finally:
            del provider.make_request
            del provider.make_batch_request
            provider._request_func_cache = (None, None)
        return len(calls), out.candidates

    c1, n1 = measured()
    extra = [Web3.to_checksum_address(f"0x{0xA77AC0000 + i:040x}") for i in range(200)]
    for i in range(0, 200, 50):
        ch.enroll(extra[i : i + 50], venue.roles["venue"])
    other = bundle(venue_proofs, "other43")
    ch.publish(43, signal(other, 3), venue.roles["admin"])
    ch.publish_ledger(43, signal(other, 2), venue.roles["venue"])
    set_time(venue, int(ch.status(extra[0])["stale_at"]))
    assert len(keeper.tick().flagged) >= 200
    c2, n2 = measured()
    print(f"\n{n1} candidates: {c1} RPC requests; after 200 more flagged: {n2} candidates, {c2} RPC requests")
    assert n2 == n1 == 1 and c2 == c1


# ------------------------------------------------------------------ a second review: tokens that cheat, gas that counts

TRAP_SOL = """
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// A token the attacker deployed (or a token admin upgraded to): plain ERC-20 for deposits, but
/// what the vault pays out to anyone but the insurance fund is trapped by `mode`.
contract TrapToken is ERC20 {
    address public vault;
    address public fund;
    uint8 public mode; // 1: burn all gas when tx.gasprice != 0; 2: log a fake Transfer

    constructor() ERC20("Trap USD", "TRAP") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address vault_, address fund_, uint8 mode_) external {
        vault = vault_;
        fund = fund_;
        mode = mode_;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (vault != address(0) && from == vault && to != fund) {
            if (mode == 1 && tx.gasprice != 0) {
                assembly {
                    invalid()
                }
            }
            if (mode == 2) emit Transfer(from, to, 10 ** 30);
        }
    }
}
"""


def trap_vault(chain: Chain, roles: Roles, actors: Actors, mode: int) -> tuple[Vault, Contract]:
    """A genuine vault of a TrapToken armed in ``mode``."""
    compiled = compile_sources({"tests/attacks/keeper/TrapToken.sol": TRAP_SOL}, cache(chain))
    v, t = new_vault(chain, roles, actors, deploy_test_contract(chain, compiled, "TrapToken"))
    chain.send(t.functions.arm(v.vault.address, v.addresses.fund, mode))
    return v, t


def insolvent_with_deposit(chain: Chain, roles: Roles, venue_proofs: Path, v: Vault, token: Contract, amount: int) -> int:
    """ADDR deposits ``amount`` and is flagged insolvent by its real proof; returns the flag's time."""
    b = bundle(venue_proofs, "insolvent")
    ready(chain, roles, b)
    funded(chain, v, token, ADDR, amount)
    chain.submit_proof("flag", b)
    return int(chain.status(ADDR)["flagged_at"])


def sample(k: Keeper, name: str, labels: dict[str, str] | None = None) -> float:
    """One of the keeper's metrics (0 when never set)."""
    return float(k.metrics.registry.get_sample_value(name, labels or {}) or 0)


def eth(chain: Chain, who: str) -> int:
    return int(chain.w3.eth.get_balance(Web3.to_checksum_address(who)))


def test_a_token_that_fails_only_at_a_real_gas_price_costs_the_keeper_nothing(
    chain: Chain, roles: Roles, venue_proofs: Path, actors: Actors
) -> None:
    """Refused (severity high: the keeper's ETH). A genuine vault of a token whose payout to anyone
    but the fund executes INVALID when ``tx.gasprice != 0``: an estimate at gas price 0 succeeds, a
    mined transaction burns its gas and reverts. The keeper estimates at the fees it sends with, so
    the estimate fails and nothing is broadcast, tick after tick; its ETH is untouched."""
    v, t = trap_vault(chain, roles, actors, mode=1)
    flagged_at = insolvent_with_deposit(chain, roles, venue_proofs, v, t, 10_000 * UNIT)
    at(chain, flagged_at + D)
    keeper = keeper_for(chain, v, actors.keeper)
    before = eth(chain, actors.keeper)
    nonce0 = chain.w3.eth.get_transaction_count(Web3.to_checksum_address(actors.keeper))
    for _ in range(4):
        calm_fees(chain)
        liq = keeper.tick().liquidation
        assert liq is not None and liq.liquidated == []
    assert chain.w3.eth.get_transaction_count(Web3.to_checksum_address(actors.keeper)) == nonce0
    assert eth(chain, actors.keeper) == before and v.liquidation(ADDR).slices == 0


def test_a_slice_that_reverts_for_no_reason_of_the_vaults_is_not_sent_again(
    chain: Chain, roles: Roles, venue_proofs: Path, actors: Actors
) -> None:
    """Refused (severity high: the keeper's ETH). The same trap, reached past the estimate: the
    token is armed after the keeper's estimate, in front of its transaction. The slice reverts on
    chain with no error of the vault's; the keeper counts the gas it paid and never sends that
    slice again, however many ticks the chain offers it."""
    v, t = trap_vault(chain, roles, actors, mode=0)
    flagged_at = insolvent_with_deposit(chain, roles, venue_proofs, v, t, 10_000 * UNIT)
    at(chain, flagged_at + D)
    calm_fees(chain)
    keeper = keeper_for(chain, v, actors.keeper)
    before = eth(chain, actors.keeper)
    arm = t.functions.arm(v.vault.address, v.addresses.fund, 1)
    res = tick_with_front_run(chain, keeper, lambda: send_raw(chain, arm, roles.others[9], 100))
    liq = res.liquidation
    assert liq is not None and liq.liquidated == [] and len(liq.refused) == 1 and "failed" in liq.refused[0]
    spent = before - eth(chain, actors.keeper)
    assert spent > 0 and sample(keeper, "zksolvency_keeper_liquidation_gas_cost_wei_total") == spent
    nonce = chain.w3.eth.get_transaction_count(Web3.to_checksum_address(actors.keeper))
    chain.send(t.functions.arm(v.vault.address, v.addresses.fund, 0))  # the estimate would pass again
    for _ in range(3):
        calm_fees(chain)
        again = keeper.tick().liquidation
        assert again is not None and again.liquidated == [] and again.refused == []
    assert chain.w3.eth.get_transaction_count(Web3.to_checksum_address(actors.keeper)) == nonce


def test_a_made_up_transfer_log_is_not_counted_as_earned(chain: Chain, roles: Roles, venue_proofs: Path, actors: Actors) -> None:
    """Refused (severity low: metrics). A token that logs one more ``Transfer(vault, keeper,
    10^30)`` beside the real one: the keeper counts what its balance gained, 100 tokens."""
    v, t = trap_vault(chain, roles, actors, mode=2)
    flagged_at = insolvent_with_deposit(chain, roles, venue_proofs, v, t, 10_000 * UNIT)
    at(chain, flagged_at + D)
    calm_fees(chain)
    keeper = keeper_for(chain, v, actors.keeper)
    liq = keeper.tick().liquidation
    assert liq is not None
    (got,) = liq.liquidated
    assert got.split.bounty == 100 * UNIT and v.token_balance(actors.keeper) == 100 * UNIT
    assert liq.received == [100 * UNIT]
    assert sample(keeper, "zksolvency_keeper_bounty_earned_total") == float(100 * UNIT)


def test_a_token_that_delivered_nothing_is_not_paid_for_again(
    chain: Chain, roles: Roles, venue_proofs: Path, actors: Actors
) -> None:
    """Refused after one slice (severity medium: the keeper's ETH). The token's admin sets a 100%
    fee before the keeper ever looks. The keeper's first slice delivers nothing; from then on it
    values the token's bounties at what they deliver (nothing) and sends no more slices."""
    v, token = new_vault(chain, roles, actors, "FeeToken")
    flagged_at = insolvent_with_deposit(chain, roles, venue_proofs, v, token, 10_000 * UNIT)
    chain.send(token.functions.setFee(10_000), roles.others[9])
    keeper = keeper_for(chain, v, actors.keeper)
    taken = []
    t = flagged_at + D
    for _ in range(3):
        at(chain, t)
        calm_fees(chain)
        liq = keeper.tick().liquidation
        assert liq is not None
        taken += liq.liquidated
        assert all(r == 0 for r in liq.received)
        t = now(chain) + PARAMS.cooldown + D
    assert [r.slice for r in taken] == [1]
    assert v.quote(ADDR).liquidatable and v.liquidation(ADDR).slices == 1
    assert sample(keeper, "zksolvency_keeper_bounty_earned_total") == 0


def test_a_reverted_liquidation_counts_in_the_gas_cost(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    """An insolvency override mined in front of the keeper's slice makes it revert at its minimum
    bounty; what the keeper paid for it is in ``liquidation_gas_cost_wei_total``, to the wei."""
    v, token = vault
    b = bundle(venue_proofs, "insolvent")
    ready(chain, roles, b)
    funded(chain, v, token, ADDR, 10_000 * UNIT)
    at(chain, int(chain.status(ADDR)["stale_at"]))
    chain.flag_stale([ADDR, OTHER])
    at(chain, int(chain.status(ADDR)["flagged_at"]) + CURE + D)
    calm_fees(chain)
    keeper = keeper_for(chain, v, actors.keeper, min_profit_wei=5 * 10**16)
    a, bb, c, s = proof_calldata(b["proof"], b["public_signals"])
    override = chain.contract("registry").functions.flagInsolvent(ADDR, 42, a, bb, c, s)
    before = eth(chain, actors.keeper)
    res = tick_with_front_run(chain, keeper, lambda: send_raw(chain, override, roles.venue, 100))
    liq = res.liquidation
    assert liq is not None and liq.liquidated == [] and len(liq.refused) == 1
    spent = before - eth(chain, actors.keeper)
    assert spent > 0 and sample(keeper, "zksolvency_keeper_liquidation_gas_cost_wei_total") == spent


def test_a_reverted_flag_stale_counts_in_the_gas_spent(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    """The keeper's ``flagStale`` of the one due account waits in the pool when that trader's
    attestation (its public proof, replayed by anyone with a higher tip) lands in front of it: the
    keeper's transaction reverts, and the gas it used is in ``gas_spent_total``."""
    b, other = bundle(venue_proofs, "insolvent"), bundle(venue_proofs, "other")
    ready(chain, roles, b)
    chain.submit_proof("flag", b)  # ADDR flagged insolvent: OTHER is the one account due
    at(chain, int(chain.status(OTHER)["stale_at"]))
    calm_fees(chain)
    keeper = Keeper(chain, sender=actors.keeper)
    a, bb, c, s = proof_calldata(other["proof"], other["public_signals"])
    attest = chain.contract("registry").functions.attest(OTHER, 42, a, bb, c, s)
    nonce0 = chain.w3.eth.get_transaction_count(Web3.to_checksum_address(actors.keeper))
    res = tick_with_front_run(chain, keeper, lambda: send_raw(chain, attest, roles.others[7], 100))
    assert res.flagged == [] and len(res.refused) == 1 and chain.status(OTHER)["attested"]
    block = chain.w3.eth.get_block("latest", full_transactions=True)
    (mine_tx,) = [tx for tx in block["transactions"] if not isinstance(tx, bytes) and tx["from"] == actors.keeper]
    assert mine_tx["nonce"] == nonce0
    used = int(chain.w3.eth.get_transaction_receipt(mine_tx["hash"])["gasUsed"])
    assert used > 0 and sample(keeper, "zksolvency_keeper_gas_spent_total") == used


def test_a_restarted_keeper_sends_nothing_beside_its_own_pending_transaction(
    chain: Chain, roles: Roles, venue_proofs: Path, vault: tuple[Vault, Contract], actors: Actors
) -> None:
    """Refused (severity low: one paid revert per restart). The keeper's slice waits in the node's
    pool (automine off: a congested block) when the keeper restarts. The new process has no memory
    of it, but it sends nothing while a transaction of its own is pending (and anvil's pending
    block shows the slice taken besides): one transaction is mined, one slice taken."""
    v, token = vault
    flagged_at = insolvent_with_deposit(chain, roles, venue_proofs, v, token, 10_000 * UNIT)
    at(chain, flagged_at + D)
    calm_fees(chain)
    sender = Web3.to_checksum_address(actors.keeper)
    nonce0 = chain.w3.eth.get_transaction_count(sender)
    k1, k2 = keeper_for(chain, v, actors.keeper), keeper_for(chain, v, actors.keeper)
    out: dict[str, Any] = {}

    def run(name: str, k: Keeper) -> None:
        try:
            out[name] = k.tick()
        except BaseException as e:
            out[name + "_e"] = e

    automine(chain, False)
    threads = []
    try:
        t1 = threading.Thread(target=run, args=("k1", k1))
        t1.start()
        threads.append(t1)
        deadline = time.monotonic() + 60
        while pending_count(chain) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pending_count(chain) == 1
        t2 = threading.Thread(target=run, args=("k2", k2))  # the same keeper, restarted
        t2.start()
        threads.append(t2)
        deadline = time.monotonic() + 20
        while pending_count(chain) < 2 and t2.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        second_sent = pending_count(chain) >= 2
        mine(chain)
        for th in threads:
            th.join(timeout=60)
    finally:
        automine(chain, True)
    sent = chain.w3.eth.get_transaction_count(sender) - nonce0
    print(f"\nrestarted keeper sent a second transaction: {second_sent}; keeper transactions mined: {sent}")
    assert v.liquidation(ADDR).slices == 1
    assert not second_sent and sent == 1
    r2 = out["k2"].liquidation
    assert r2 is not None and r2.liquidated == [] and r2.refused == []
