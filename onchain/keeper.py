"""The keeper (SPEC §8): watch the oracle and the registry, flag every account that missed its
grace period, and expose what it did as metrics; with a vault, also liquidate the slices whose
bounty pays for the keeper's gas (:mod:`zksolvency.onchain.liquidator`, SPEC §10).

Each :meth:`Keeper.tick` reads the chain at one block and decides from that alone (no local state,
so a restarted keeper carries on where the chain is):

1. follow the registry's ``Enrolled`` events up to the block, scanning logs in bounded block ranges
   (a node caps ``eth_getLogs``), so the keeper watches every enrolled account;
2. read every account's ``status`` at that block, many per ``eth_call`` through the registry's
   ``multicall``;
3. :func:`due`: an account is flagged when it is unflagged, owes an attestation (``staleAt`` is set)
   and the clock of the block the flag will land in has reached ``staleAt``: the same rule as
   ``flagStale`` on chain, at the exact second the grace period ends;
4. send ``flagStale`` in batches that fit the block gas limit and the EIP-7825 cap, at the node's
   gas prices only while they are within the keeper's fee caps: above a cap nothing is sent, and
   each skipped batch is logged and counted (``zksolvency_keeper_skipped{reason="fee_cap"}``);
5. with a vault: price every flagged account's next slice and liquidate those that pay.

Races are harmless: ``flagStale`` skips accounts that are no longer stale (another keeper flagged
them, the trader attested), and a transaction that would flag none fails in its gas estimate (or,
when the winner is still in the mempool, reverts on chain at the cost of the loser's gas), which the
keeper logs and drops; the next tick re-reads the chain instead of retrying blindly. A node that
goes away is waited for with exponential backoff (tenacity) and picked up again when it answers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eth_abi.abi import decode as abi_decode
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_exponential
from web3.exceptions import ProviderConnectionError, Web3Exception
from zksolvency.onchain.batch import TX_GAS_CAP
from zksolvency.onchain.liquidator import LiquidationTick, Liquidator, LiquidatorMetrics, Profitability
from zksolvency.onchain.results import STATUS_TYPES, AccountStatus, FlagStaleResult
from zksolvency.onchain.tx import ChainError, FeeCapExceeded, FeeCaps, NodeUnavailable, Reverted
from zksolvency.zkcore.errors import ZkSolvencyError

if TYPE_CHECKING:
    from zksolvency.onchain.client import Chain
    from zksolvency.onchain.vault import Vault

log = logging.getLogger("zksolvency.keeper")

#: Most blocks one ``eth_getLogs`` asks for (public nodes cap ranges at 1k-10k blocks).
LOG_RANGE = 5_000
#: Accounts per ``multicall`` of ``status`` (~15k gas each: far below an eth_call's gas cap).
STATUS_CHUNK = 500
#: Most accounts per ``flagStale`` (measured ~11.5k gas per account after the first: 500 accounts
#: are ~6M gas, a fifth of a 30M block and under the 2^24 transaction cap).
MAX_BATCH = 500
#: Upper bounds of a ``flagStale``'s gas, for splitting batches before anything is sent.
FLAG_GAS_BASE_BOUND = 80_000
FLAG_GAS_PER_ACCOUNT_BOUND = 25_000
#: Fee caps an operator would start from: 100 gwei per gas in all, a 2 gwei tip. A flag is worth
#: sending at any ordinary price; a price spike above these waits for the next tick.
DEFAULT_FEE_CAPS = FeeCaps(max_fee_per_gas=100 * 10**9, max_priority_fee=2 * 10**9)


def due(statuses: Iterable[AccountStatus], now: int) -> list[AccountStatus]:
    """The accounts ``flagStale`` flags in a block with timestamp ``now``: unflagged, owing an
    attestation, and ``now`` at or past the end of their grace period (``staleAt``)."""
    return [s for s in statuses if s.flag == "none" and s.stale_at is not None and now >= s.stale_at]


def batches(accounts: Sequence[str], max_batch: int, gas_limit: int) -> list[list[str]]:
    """Split ``accounts`` into ``flagStale`` calls of at most ``max_batch`` that fit ``gas_limit``."""
    fit = max(1, (gas_limit - FLAG_GAS_BASE_BOUND) // FLAG_GAS_PER_ACCOUNT_BOUND)
    n = max(1, min(max_batch, fit))
    return [list(accounts[i : i + n]) for i in range(0, len(accounts), n)]


class KeeperMetrics:
    """The keeper's Prometheus metrics, in a registry of their own (one per keeper)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.accounts_watched = Gauge("zksolvency_keeper_accounts_watched", "Enrolled accounts the keeper follows", registry=r)
        self.accounts_due = Gauge(
            "zksolvency_keeper_accounts_due", "Accounts past their grace period at the last tick", registry=r
        )
        self.last_epoch = Gauge("zksolvency_keeper_last_epoch_seen", "The oracle's latest epoch at the last tick", registry=r)
        self.last_block = Gauge("zksolvency_keeper_last_block_seen", "The block the last tick read", registry=r)
        self.node_up = Gauge("zksolvency_keeper_node_up", "1 while the node answers, 0 while it does not", registry=r)
        self.flags = Counter("zksolvency_keeper_flags_sent", "Accounts flagged stale by this keeper", registry=r)
        self.txs = Counter("zksolvency_keeper_transactions", "flagStale transactions by outcome", ["outcome"], registry=r)
        self.gas = Counter("zksolvency_keeper_gas_spent", "Gas used by this keeper's mined transactions", registry=r)
        self.ticks = Counter("zksolvency_keeper_ticks", "Completed ticks", registry=r)
        self.skipped = Counter(
            "zksolvency_keeper_skipped",
            "Transactions not sent, by reason (fee_cap: base fee plus tip above --max-fee-per-gas)",
            ["reason"],
            registry=r,
        )
        self.capped_tips = Counter(
            "zksolvency_keeper_capped_tips",
            "Transactions sent with the tip lowered to --max-priority-fee (the node suggested more)",
            registry=r,
        )
        self.node_errors = Counter(
            "zksolvency_keeper_node_errors", "Ticks that failed because the node did not answer", registry=r
        )
        self.liquidations = Counter(
            "zksolvency_keeper_liquidations",
            "Vault slices by outcome (mined, refused, unprofitable: priced below cost, fee_cap)",
            ["outcome"],
            registry=r,
        )
        self.bounty_earned = Counter(
            "zksolvency_keeper_bounty_earned", "Bounties of mined liquidations, in the token's smallest unit", registry=r
        )
        self.liquidation_gas_cost = Counter(
            "zksolvency_keeper_liquidation_gas_cost_wei",
            "Wei paid for mined liquidations (gas used x effective gas price)",
            registry=r,
        )
        self.reaction = Histogram(
            "zksolvency_keeper_reaction_seconds",
            "From the end of an account's grace period to the block that flagged it",
            buckets=(1, 2, 5, 10, 30, 60, 300, 900, 3600),
            registry=r,
        )

    def for_liquidator(self) -> LiquidatorMetrics:
        """The counters a :class:`Liquidator` updates."""
        return LiquidatorMetrics(self.liquidations, self.bounty_earned, self.liquidation_gas_cost)

    def serve(self, port: int, addr: str = "127.0.0.1") -> None:
        """Expose the metrics over HTTP on ``addr:port`` (``/metrics``) from a daemon thread."""
        start_http_server(port, addr=addr, registry=self.registry)


@dataclass
class TickResult:
    """What one tick saw and did."""

    block: int
    timestamp: int
    epoch: int | None
    watched: int
    due: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    transactions: list[FlagStaleResult] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # why a batch was not sent or reverted
    over_fee_cap: list[str] = field(default_factory=list)  # batches not sent: gas prices above the caps
    liquidation: LiquidationTick | None = None  # with a vault: the slices priced and taken


class _Inconsistent(ChainError):
    """The accounts seen in events disagree with the registry's state (a reorg)."""


#: What a node that went away raises through web3's HTTP provider (requests' errors are OSErrors).
_NODE_ERRORS = (OSError, ProviderConnectionError)


class Keeper:
    """Flags stale accounts of one registry deployment; see the module docstring.

    ``chain``: the deployment to watch (its file gives addresses, ABIs and the registry's deploy
    block, where the event scan starts). ``sender``: who sends (default: the node's first account,
    or ``$ZKSOLVENCY_PRIVATE_KEY``). ``log_range`` and ``status_chunk`` bound one ``eth_getLogs``
    (blocks) and one ``multicall`` of ``status`` (accounts), for nodes that cap either lower.
    ``fee_caps``: the most it pays per gas (base fee plus tip, and the tip); above them it sends
    nothing and says so.
    """

    def __init__(
        self,
        chain: Chain,
        *,
        sender: str | None = None,
        max_batch: int = MAX_BATCH,
        log_range: int = LOG_RANGE,
        status_chunk: int = STATUS_CHUNK,
        metrics: KeeperMetrics | None = None,
        fee_caps: FeeCaps = DEFAULT_FEE_CAPS,
        vault: Vault | None = None,
        profit: Profitability | None = None,
    ) -> None:
        if max_batch < 1 or log_range < 1 or status_chunk < 1:
            raise ValueError("max_batch, log_range and status_chunk must be positive")
        self.chain = chain
        self.sender = sender
        self.max_batch = max_batch
        self.log_range = log_range
        self.status_chunk = status_chunk
        self.fee_caps = fee_caps
        self.metrics = metrics if metrics is not None else KeeperMetrics()
        self.registry = chain.contract("registry")
        self.oracle = chain.contract("oracle")
        self._accounts: list[str] = []  # enrolled, in index order (a cache of the chain's events)
        self._next_block = int(chain.deployment.get("deploy_block", 0))
        self.liquidator: Liquidator | None = None
        if vault is not None:
            if profit is None:
                raise ValueError("a liquidating keeper needs the token's price (Profitability)")
            self.liquidator = Liquidator(
                vault,
                profit,
                sender=sender,
                from_block=self._next_block,  # the vault came after its registry
                log_range=log_range,
                metrics=self.metrics.for_liquidator(),
            )

    # ------------------------------------------------------------ reading the chain

    @property
    def accounts(self) -> list[str]:
        """Every enrolled account seen so far, in index order."""
        return list(self._accounts)

    def sync_accounts(self, to_block: int) -> list[str]:
        """Follow ``Enrolled`` events up to ``to_block`` in ranges of at most ``log_range`` blocks;
        returns the accounts new since the last call."""
        new: list[str] = []
        event = self.registry.events.Enrolled()
        while self._next_block <= to_block:
            end = min(to_block, self._next_block + self.log_range - 1)
            logs = event.get_logs(from_block=self._next_block, to_block=end)
            for entry in sorted(logs, key=lambda e: int(e["args"]["index"])):
                index, account = int(entry["args"]["index"]), str(entry["args"]["account"])
                if index != len(self._accounts):  # indices come in order, never reused: a gap is a
                    continue  # reorg or a partial scan, which the enrolledCount check in tick repairs
                self._accounts.append(account)
                new.append(account)
            self._next_block = end + 1
        return new

    def statuses(self, accounts: Sequence[str], block: int) -> list[AccountStatus]:
        """Every account's ``status`` at ``block``, ``status_chunk`` per ``multicall``."""
        out: list[AccountStatus] = []
        i = 0
        while i < len(accounts):
            chunk = accounts[i : i + self.status_chunk]
            results = self._status_reads(chunk, block)
            i += len(chunk)
            for account, raw in zip(chunk, results, strict=True):
                row = AccountStatus.from_view(account, abi_decode(STATUS_TYPES, raw))
                if row.index != len(out):  # not enrolled (None), or at another index
                    msg = f"{account} has an Enrolled event at index {len(out)} but not that index at block {block}"
                    raise _Inconsistent(msg)
                out.append(row)
        return out

    def _status_reads(self, chunk: Sequence[str], block: int) -> list[bytes]:
        """One ``multicall`` of ``status``; a call the node refuses (out of gas under its eth_call
        cap, a node limit) is split in halves, and the smaller chunk is kept for later reads: the
        keeper never falls silent because one call grew too big."""
        calls = [self.registry.encode_abi("status", args=[a]) for a in chunk]
        try:
            return list(self.registry.functions.multicall(calls).call(block_identifier=block))
        except _NODE_ERRORS:
            raise
        except Web3Exception as e:
            if len(chunk) == 1:
                raise
            half = len(chunk) // 2
            self.status_chunk = min(self.status_chunk, half)
            log.warning("a multicall of %d status reads failed (%s): reading %d at a time", len(chunk), type(e).__name__, half)
            return self._status_reads(chunk[:half], block) + self._status_reads(chunk[half:], block)

    def _rescan(self, block: int, why: str) -> None:
        """Forget the accounts seen in events and follow the events again from the registry's
        deployment; ChainError when they still disagree with the chain at ``block``."""
        log.warning("%s at block %d: scanning the registry's events again", why, block)
        self._accounts, self._next_block = [], int(self.chain.deployment.get("deploy_block", 0))
        self.sync_accounts(block)
        count = int(self.registry.functions.enrolledCount().call(block_identifier=block))
        if count != len(self._accounts):
            raise ChainError(f"the registry enrolled {count} accounts but its events list {len(self._accounts)} at block {block}")

    def _clock(self, block: Mapping[str, Any]) -> int:
        """The timestamp the next block will have at least: the node's pending block where it has
        one (anvil, geth), else the latest block's."""
        latest = int(block["timestamp"])
        try:
            pending = int(self.chain.w3.eth.get_block("pending")["timestamp"])
        except (Web3Exception, ValueError, KeyError):
            return latest
        return max(latest, pending)

    # ------------------------------------------------------------ one tick

    def tick(self) -> TickResult:
        """Read the chain at the latest block, flag every account that is due, and return what
        happened. Raises :class:`NodeUnavailable` when the node does not answer."""
        try:
            return self._tick()
        except _NODE_ERRORS as e:
            raise NodeUnavailable(f"node {self.chain.rpc} does not answer: {type(e).__name__}") from e

    def _tick(self) -> TickResult:
        m = self.metrics
        head = self.chain.w3.eth.get_block("latest")
        number = int(head["number"])
        self.sync_accounts(number)
        count = int(self.registry.functions.enrolledCount().call(block_identifier=number))
        if count != len(self._accounts):
            # the events seen so far disagree with the chain (a reorg dropped or moved a block)
            self._rescan(number, f"{len(self._accounts)} accounts from events, {count} enrolled")
        epoch, _root, _at, seq = self.oracle.functions.latest().call(block_identifier=number)
        result = TickResult(number, self._clock(head), int(epoch) if seq else None, len(self._accounts))
        m.node_up.set(1)
        m.last_block.set(number)
        m.accounts_watched.set(len(self._accounts))
        if result.epoch is not None:
            m.last_epoch.set(result.epoch)
        try:
            rows = self.statuses(self._accounts, number)
        except _Inconsistent as e:  # a reorg replaced an enrollment: same count, another account
            self._rescan(number, str(e))
            rows = self.statuses(self._accounts, number)
        todo = due(rows, result.timestamp)
        stale_at = {s.account: s.stale_at or 0 for s in todo}
        result.due = [s.account for s in todo]
        m.accounts_due.set(len(todo))
        if todo:
            log.info(
                "epoch %s, block %d: %d of %d accounts past their grace period",
                result.epoch,
                number,
                len(todo),
                len(self._accounts),
            )
        limit = min(int(head["gasLimit"]), TX_GAS_CAP)
        for batch in batches(result.due, self.max_batch, limit):
            try:
                fees = self.chain.fees_within(self.fee_caps)
            except FeeCapExceeded as e:
                m.skipped.labels("fee_cap").inc()
                result.over_fee_cap.append(str(e))
                log.warning("flagStale of %d accounts not sent: %s", len(batch), e)
                continue
            if note := fees.note():
                m.capped_tips.inc()
                log.info("flagStale of %d accounts: %s", len(batch), note)
            try:
                res = self.chain.flag_stale(batch, self.sender, fees)
            except ChainError as e:
                # another keeper or the traders got there first, or the node refused: the next tick
                # re-reads the chain instead of resending the same batch
                m.txs.labels("refused").inc()
                if isinstance(e, Reverted):  # mined: its gas was paid
                    m.gas.inc(e.gas_used)
                result.refused.append(str(e))
                log.warning("flagStale of %d accounts not sent or reverted: %s", len(batch), e)
                continue
            m.txs.labels("mined").inc()
            m.gas.inc(res.gas_used)
            m.flags.inc(len(res.flagged))
            mined_at = int(self.chain.w3.eth.get_block(res.block)["timestamp"])
            for a in res.flagged:
                m.reaction.observe(max(0, mined_at - stale_at[a]))
            result.transactions.append(res)
            result.flagged += res.flagged
            log.info(
                "epoch %s: flagged %d stale (%s) in tx %s, gas %s (%s per account)%s",
                result.epoch,
                len(res.flagged),
                _some(res.flagged),
                res.tx_hash,
                f"{res.gas_used:,}",
                f"{res.gas_per_account:,}",
                f"; {len(res.skipped)} no longer stale" if res.skipped else "",
            )
        if self.liquidator is not None:
            result.liquidation = self.liquidator.tick(rows, number, self.fee_caps)
        m.ticks.inc()
        return result

    # ------------------------------------------------------------ the daemon loop

    def run(
        self,
        interval: float,
        stop: threading.Event,
        *,
        max_backoff: float = 60.0,
        on_tick: Callable[[TickResult], None] | None = None,
    ) -> None:
        """Tick every ``interval`` seconds until ``stop`` is set. While the node does not answer,
        wait with exponential backoff (from ``interval`` up to ``max_backoff``) and carry on when it
        is back; a tick that fails for another reason is logged and the loop goes on."""

        def down(state: RetryCallState) -> None:
            self.metrics.node_up.set(0)
            self.metrics.node_errors.inc()
            wait = state.next_action.sleep if state.next_action else interval
            log.warning("node %s unreachable (attempt %d); retrying in %.1fs", self.chain.rpc, state.attempt_number, wait)

        retrying = Retrying(
            retry=retry_if_exception_type(NodeUnavailable),
            wait=wait_exponential(multiplier=interval, min=interval, max=max_backoff),
            before_sleep=down,
            sleep=_sleeper(stop),  # a stop wakes the wait at once; the attempt then returns
        )
        log.info("watching registry %s on %s every %.1fs", self.registry.address, self.chain.rpc, interval)
        while not stop.is_set():
            started = time.monotonic()
            try:
                # stop is checked between retries: a set stop makes the next wait return at once
                for attempt in retrying:
                    with attempt:
                        if stop.is_set():
                            return
                        res = self.tick()
                        if attempt.retry_state.attempt_number > 1:
                            log.info("node %s answers again at block %d", self.chain.rpc, res.block)
                        if on_tick is not None:
                            on_tick(res)
            except (ZkSolvencyError, Web3Exception) as e:  # refused for another reason: log it, carry on
                log.error("tick failed: %s: %s", type(e).__name__, e)
            except Exception:  # a daemon outlives one bad answer; the traceback says where
                log.exception("tick failed")
            stop.wait(max(0.0, interval - (time.monotonic() - started)))


def _some(accounts: Sequence[str], shown: int = 4) -> str:
    """A few addresses for a log line, and how many more there are."""
    more = len(accounts) - shown
    return ", ".join(accounts[:shown]) + (f" and {more} more" if more > 0 else "")


def _sleeper(stop: threading.Event) -> Callable[[float], None]:
    """tenacity's sleep: wait on ``stop``, so a stop request ends a backoff at once."""

    def sleep(seconds: float) -> None:
        stop.wait(seconds)

    return sleep


def connect(
    make: Callable[[], Keeper],
    stop: threading.Event,
    *,
    interval: float = 1.0,
    max_backoff: float = 60.0,
) -> Keeper | None:
    """Build a keeper with ``make``, waiting with exponential backoff while its node does not
    answer yet (a keeper may start before its node); None if ``stop`` is set meanwhile."""

    def waiting(state: RetryCallState) -> None:
        wait = state.next_action.sleep if state.next_action else interval
        log.warning("no node yet (%s); retrying in %.1fs", state.outcome.exception() if state.outcome else "?", wait)

    for attempt in Retrying(
        retry=retry_if_exception_type((NodeUnavailable, *_NODE_ERRORS)),
        wait=wait_exponential(multiplier=interval, min=interval, max=max_backoff),
        before_sleep=waiting,
        sleep=_sleeper(stop),
    ):
        with attempt:
            if stop.is_set():
                return None
            return make()
    return None
