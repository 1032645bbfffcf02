"""The keeper's liquidating side (docs/spec.md §10): take a vault's slices when the bounty pays.

A :class:`MarginVault`'s bounty rises with the time a slice has waited (a Dutch auction), so no
keeper gains by outbidding another on gas: a priority fee buys an earlier place in the block, never
a bigger bounty, and the first keeper for whom the bounty covers its cost acts. This module is
that keeper's decision, made from the chain alone at each tick:

1. the candidates are the accounts the registry flags that ever deposited in the vault (its
   ``Deposited`` events) and those whose liquidation the vault started (its ``LiquidationStarted``
   events), both followed like the registry's ``Enrolled`` events: a liquidation continues after a
   stale flag is cleared, and an account with nothing in the vault costs the keeper nothing;
2. the vault's ``status`` of every candidate against the pending block, in one JSON-RPC batch, and
   the ``liquidationQuote`` of each liquidatable one (the quote is what ``liquidate`` sent now does,
   to the wei, if mined in that block);
3. the bounty's worth in wei (at ``--token-price-eth``) is set against the cost: the gas
   ``liquidate`` needs (``eth_estimateGas`` at the pending block) times the next base fee plus the
   tip the keeper sends with, plus ``--min-profit``; only a slice that covers it is sent;
4. the tip is the node's suggestion, lowered to the keeper's cap, the same as for ``flagStale``,
   and never raised to beat a competitor.

The bounty can still fall between the quote and the block: an insolvency proof sent in front of
the keeper overrides a stale flag and restarts the first slice's auction. So the keeper sends
``liquidateAtLeast`` with the smallest bounty its rule accepts; in such a block its transaction
reverts instead of paying less than it priced.

A slice is sent once while that transaction may still be mined: a keeper sends a slice again only
when nothing of its own is in the node's pool (its pending nonce is its mined nonce) and the chain
still shows the same slice liquidatable, that is after its transaction reverted (another keeper's
slice, a ledger that moved the cure window, an override in front of it) or was lost with the
node's pool. What it earns is what the token moved to it in the receipt, not what was quoted (a
token may take a fee). Nothing else is kept: a restarted keeper reads the events from the vault's
deployment again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

from web3 import Web3
from web3.exceptions import ContractLogicError, Web3RPCError
from web3.types import TxParams, Wei
from zksolvency.onchain.tx import ChainError, FeeCapExceeded, FeeCaps, Fees, Flag, NotSent, Reverted
from zksolvency.onchain.vault import LiquidationQuote, LiquidationResult, Vault, VaultStatus

if TYPE_CHECKING:
    from prometheus_client import Counter
    from zksolvency.onchain.results import AccountStatus

log = logging.getLogger("zksolvency.keeper")

WEI_PER_ETH = 10**18

#: The vault's refusals a liquidation meets when another transaction came first in its block (a
#: slice taken, a flag cleared or overridden, a ledger published): the slice may be on offer again.
RACE_ERRORS = frozenset(
    f"MarginVault__{n}"
    for n in ("NotLiquidatableYet", "BountyBelowMinimum", "NotFlagged", "NothingToLiquidate", "LedgerOverdue", "LedgerPending")
)


@dataclass(frozen=True)
class Profitability:
    """When a slice is worth sending: its bounty, valued at ``token_price_wei`` wei per whole token
    of ``decimals`` decimals, must cover the gas cost plus ``min_profit_wei``. All in integers:
    the value of a bounty is rounded down, so a keeper never counts on a fraction of a wei."""

    token_price_wei: int
    min_profit_wei: int
    decimals: int

    def __post_init__(self) -> None:
        if self.token_price_wei <= 0:
            raise ValueError("the token's price must be positive")
        if self.min_profit_wei < 0 or self.decimals < 0:
            raise ValueError("min profit and decimals are non-negative")

    def value_wei(self, bounty: int) -> int:
        """What ``bounty`` token units are worth in wei, rounded down."""
        return bounty * self.token_price_wei // int(10**self.decimals)

    def worth_it(self, bounty: int, cost_wei: int) -> bool:
        """Whether a bounty covers a transaction of ``cost_wei`` and the minimum profit."""
        return self.value_wei(bounty) >= cost_wei + self.min_profit_wei


@dataclass(frozen=True)
class Decision:
    """One liquidatable slice as the keeper priced it: the quote at the pending block, the gas
    estimate, the price per gas it expects to pay (next base fee + its tip) and whether it sends."""

    account: str
    flag_id: int
    slice: int
    quote: LiquidationQuote
    gas: int
    gas_price: int
    value_wei: int
    cost_wei: int
    send: bool


@dataclass
class LiquidationTick:
    """What the liquidating side of one tick saw and did."""

    candidates: int = 0
    decisions: list[Decision] = field(default_factory=list)
    liquidated: list[LiquidationResult] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    over_fee_cap: list[str] = field(default_factory=list)
    received: list[int] = field(default_factory=list)  # token units each mined slice moved to the keeper


@dataclass(frozen=True)
class LiquidatorMetrics:
    """The liquidating keeper's counters (registered with the keeper's own metrics)."""

    liquidations: Counter  # by outcome: mined, refused, unprofitable
    bounty: Counter  # token units received
    gas_cost: Counter  # wei paid for liquidations (gas used x effective gas price)


class Liquidator:
    """Liquidates one vault's slices for ``sender`` when :class:`Profitability` says they pay.

    ``from_block``: where the scan of the vault's ``LiquidationStarted`` events starts (the
    vault's deployment block or earlier). ``log_range``: most blocks per ``eth_getLogs``."""

    def __init__(
        self,
        vault: Vault,
        profit: Profitability,
        *,
        sender: str | None,
        from_block: int,
        log_range: int,
        metrics: LiquidatorMetrics,
    ) -> None:
        self.vault = vault
        self.chain = vault.chain
        self.profit = profit
        self.sender = Web3.to_checksum_address(sender or self.chain.default_sender())
        self.log_range = log_range
        self.metrics = metrics
        self._next_block = from_block
        self._started: set[str] = set()  # accounts whose liquidation the vault started, not yet over
        self._depositors: set[str] = set()  # accounts that ever deposited in the vault
        self._sent: set[tuple[str, int, int]] = set()  # (account, flagId, slice) this keeper sent
        self._given_up: set[tuple[str, int, int]] = set()  # slices whose revert the vault's rules do not explain
        self._delivery: Fraction | None = None  # the smallest share of a bounty the token delivered
        self._waiting: set[tuple[str, int, int]] = set()  # slices already logged as not paying yet

    def sync_started(self, to_block: int) -> None:
        """Follow the vault's ``LiquidationStarted`` and ``Deposited`` events up to ``to_block``."""
        events = self.vault.vault.events
        started, deposited = events.LiquidationStarted(), events.Deposited()
        while self._next_block <= to_block:
            end = min(to_block, self._next_block + self.log_range - 1)
            for entry in started.get_logs(from_block=self._next_block, to_block=end):
                self._started.add(str(entry["args"]["account"]))
            for entry in deposited.get_logs(from_block=self._next_block, to_block=end):
                self._depositors.add(str(entry["args"]["account"]))
            self._next_block = end + 1

    def candidates(self, rows: Iterable[AccountStatus]) -> list[str]:
        """Flagged accounts that deposited in the vault, and accounts whose liquidation the vault
        started, in a stable order."""
        flagged = {r.account for r in rows if r.flag != Flag.NONE} & self._depositors
        return sorted(flagged | self._started, key=str.lower)

    def decide(self, account: str, st: VaultStatus, fees: Fees | None) -> Decision | None:
        """Price the next slice of ``account``, whose vault status at the pending block is ``st``,
        at ``fees``; None when it is not liquidatable there (and the account is dropped from the
        started set once its liquidation cannot continue)."""
        if not st.liquidatable:
            if st.deposit == 0 or (st.flag == Flag.NONE and not st.in_progress):
                self._started.discard(account)
            return None
        quote = self.vault.quote(account)
        if not quote.liquidatable:  # the pending block moved between the two reads
            return None
        fn = self.vault.vault.functions.liquidate(Web3.to_checksum_address(account))
        tx: TxParams = {"from": self.sender}
        if fees:
            tx["maxFeePerGas"] = Wei(fees.max_fee_per_gas)
            tx["maxPriorityFeePerGas"] = Wei(fees.max_priority_fee_per_gas)
        try:
            # at the fees it would be sent with: a token may behave otherwise at a gas price of zero
            gas = int(fn.estimate_gas(tx, block_identifier="pending"))
        except (ContractLogicError, Web3RPCError):  # taken or cleared since the quote
            return None
        base = int(self.chain.w3.eth.get_block("pending").get("baseFeePerGas") or 0)
        price = base + (fees.max_priority_fee_per_gas if fees else 0)
        cost = gas * price
        # a continuing liquidation keeps its flag identity; a fresh one starts at slice 1
        number = (st.slices if st.in_progress else 0) + 1
        expected = self.delivered(quote.bounty)
        return Decision(
            account=account,
            flag_id=st.flag_id,
            slice=number,
            quote=quote,
            gas=gas,
            gas_price=price,
            value_wei=self.profit.value_wei(expected),
            cost_wei=cost,
            send=self.profit.worth_it(expected, cost),
        )

    def delivered(self, bounty: int) -> int:
        """What a quoted ``bounty`` is expected to deliver: all of it, until a mined liquidation
        delivered less (a token that takes a fee); then the smallest share delivered so far."""
        if self._delivery is None:
            return bounty
        return bounty * self._delivery.numerator // self._delivery.denominator

    def tick(self, rows: Iterable[AccountStatus], block: int, caps: FeeCaps) -> LiquidationTick:
        """Liquidate every candidate slice that pays at the node's current prices (within
        ``caps``); see the module docstring."""
        self.sync_started(block)
        out = LiquidationTick()
        todo = self.candidates(rows)
        out.candidates = len(todo)
        fees: Fees | None = None
        for account, st in zip(todo, self.vault.statuses(todo, "pending"), strict=True):
            if isinstance(st, ChainError):  # an answer the vault's ABI cannot hold: not this account's turn
                out.refused.append(f"{account}: {st}")
                log.warning("vault status of %s unreadable: %s", account, st)
                continue
            if fees is None and st.liquidatable:
                try:
                    fees = self.chain.fees_within(caps)
                except FeeCapExceeded as e:
                    self.metrics.liquidations.labels("fee_cap").inc()
                    out.over_fee_cap.append(str(e))
                    log.warning("no liquidation sent: %s", e)
                    return out
                if note := fees.note():
                    log.info("liquidations: %s", note)
            d = self.decide(account, st, fees)
            if d is None:
                continue
            out.decisions.append(d)
            key = (account, d.flag_id, d.slice)
            if not d.send:
                self.metrics.liquidations.labels("unprofitable").inc()
                # said once per slice at INFO (an auction is priced every tick until it pays)
                level = logging.DEBUG if key in self._waiting else logging.INFO
                self._waiting.add(key)
                log.log(
                    level,
                    "slice %d of %s not worth it yet: bounty %d (%d wei) < gas %d x %d wei + min profit %d wei",
                    d.slice,
                    account,
                    d.quote.bounty,
                    d.value_wei,
                    d.gas,
                    d.gas_price,
                    self.profit.min_profit_wei,
                )
                continue
            if key in self._given_up:
                continue
            if self._in_flight():
                continue  # a transaction of its own may still be mined: never a second one beside it
            if key in self._sent:
                # reverted in a race or lost with the node's pool, and the chain still offers it
                log.info("slice %d of %s: sending again (the earlier transaction reverted or was dropped)", d.slice, account)
            self._sent.add(key)
            try:
                res = self.vault.liquidate(account, self.sender, fees=fees, min_bounty=self.least_bounty(d))
            except NotSent as e:
                # nothing was broadcast (another keeper took the slice since the quote, the trader
                # cured, or the node refused): the next tick prices it again from the chain
                self._sent.discard(key)
                self.metrics.liquidations.labels("refused").inc()
                out.refused.append(f"{account}: {e}")
                log.warning("liquidate %s (slice %d) not sent: %s", account, d.slice, e)
                continue
            except Reverted as e:
                self.metrics.liquidations.labels("refused").inc()
                self.metrics.gas_cost.inc(e.paid_wei)
                out.refused.append(f"{account}: {e}")
                if e.error in RACE_ERRORS:  # lost a race: the chain says when (or whether) it is on offer again
                    log.warning("liquidate %s (slice %d) reverted: %s", account, d.slice, e)
                else:  # the vault's rules do not explain it (out of gas, a token that fails): never again
                    self._given_up.add(key)
                    log.error(
                        "liquidate %s (slice %d) reverted for no reason of the vault's: %s; not sent again", account, d.slice, e
                    )
                continue
            except ChainError as e:  # broadcast and not mined yet
                self.metrics.liquidations.labels("refused").inc()
                out.refused.append(f"{account}: {e}")
                log.warning("liquidate %s (slice %d) failed: %s", account, d.slice, e)
                continue
            receipt = self.chain.w3.eth.get_transaction_receipt(res.tx_hash)
            paid = int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])
            received = self.vault.received(receipt, self.sender)
            if received < res.split.bounty:  # a token that takes a fee: price its next bounties by it
                share = Fraction(received, res.split.bounty)
                self._delivery = share if self._delivery is None else min(self._delivery, share)
                log.warning(
                    "the token delivered %d of a %d bounty: later bounties are valued at %s of their quote",
                    received,
                    res.split.bounty,
                    self._delivery,
                )
            self.metrics.liquidations.labels("mined").inc()
            self.metrics.bounty.inc(received)
            self.metrics.gas_cost.inc(paid)
            out.liquidated.append(res)
            out.received.append(received)
            log.info(
                "liquidated slice %d of %s (flag %d): seized %d, bounty %d (quoted %d, received %d)"
                " worth %d wei for %d wei of gas, tx %s",
                res.slice,
                account,
                res.flag_id,
                res.seized,
                res.split.bounty,
                d.quote.bounty,
                received,
                self.profit.value_wei(received),
                paid,
                res.tx_hash,
            )
        return out

    def least_bounty(self, d: Decision) -> int:
        """The smallest bounty, in token units, that still covers ``d``'s cost and the minimum
        profit: the guard ``liquidateAtLeast`` checks in the block that mines it."""
        need = d.cost_wei + self.profit.min_profit_wei
        unit: int = 10**self.profit.decimals
        least = -(-need * unit // self.profit.token_price_wei)  # rounded up
        if self._delivery is not None and self._delivery.numerator:  # what must be quoted to deliver that
            least = -(-least * self._delivery.denominator // self._delivery.numerator)
        return min(d.quote.bounty, least)

    def _in_flight(self) -> bool:
        """Whether a transaction of the keeper's is in the node's pool, not mined yet."""
        eth = self.chain.w3.eth
        return int(eth.get_transaction_count(self.sender, "pending")) > int(eth.get_transaction_count(self.sender, "latest"))
