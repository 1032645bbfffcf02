"""``zksolvency keeper run``: the daemon that flags accounts past their grace period (SPEC §8)."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType

import click
from zksolvency.cli.app import build_option
from zksolvency.cli.chain import deployment_option, from_option, rpc_option
from zksolvency.zkcore.errors import InputError
from zksolvency.zkcore.fixedpoint import parse_decimal


def _gwei(flag: str, value: str | None) -> int | None:
    """A decimal amount of gwei (at most 9 fractional digits: whole wei) -> wei."""
    if value is None:
        return None
    try:
        return parse_decimal(value, 9)
    except ValueError:
        msg = "expected a decimal number of gwei (e.g. 100 or 1.5), at most 9 fractional digits"
        raise InputError(flag, value, msg) from None


@click.group("keeper")
def keeper_group() -> None:
    """Keepers: act on the registry's rules so nobody has to watch the chain by hand."""


@keeper_group.command("run")
@rpc_option
@deployment_option
@build_option
@from_option
@click.option("--interval", type=click.FloatRange(0.1), default=12.0, show_default=True, help="seconds between ticks")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None, help="serve Prometheus metrics on this port")
@click.option("--metrics-addr", default="127.0.0.1", show_default=True, help="address the metrics server binds")
@click.option("--max-batch", type=click.IntRange(1), default=None, help="most accounts per flagStale (default 500)")
@click.option("--log-range", type=click.IntRange(1), default=None, help="most blocks per eth_getLogs (default 5000)")
@click.option("--status-chunk", type=click.IntRange(1), default=None, help="accounts per status multicall (default 500)")
@click.option(
    "--max-fee-per-gas", metavar="GWEI", default=None, help="never pay more per gas, base fee and tip together (default 100)"
)
@click.option("--max-priority-fee", metavar="GWEI", default=None, help="never tip more per gas (default 2)")
@click.option("--max-backoff", type=click.FloatRange(0.1), default=60.0, show_default=True, help="longest wait for a node")
@click.option("--once", is_flag=True, help="one tick, then exit (for cron jobs)")
@click.option("--vault", metavar="ADDRESS", default=None, help="also liquidate this MarginVault's slices when they pay")
@click.option("--token-price-eth", metavar="ETH", default=None, help="with --vault: ETH per whole collateral token")
@click.option(
    "--min-profit", metavar="ETH", default="0", show_default=True, help="with --vault: profit a slice must leave after gas"
)
def keeper_run(
    rpc: str | None,
    deployment: Path | None,
    build: Path | None,
    sender: str | None,
    interval: float,
    metrics_port: int | None,
    metrics_addr: str,
    max_batch: int | None,
    log_range: int | None,
    status_chunk: int | None,
    max_fee_per_gas: str | None,
    max_priority_fee: str | None,
    max_backoff: float,
    once: bool,
    vault: str | None,
    token_price_eth: str | None,
    min_profit: str,
) -> None:
    """Watch the oracle and the registry; after each epoch's grace period, flag every enrolled
    account without an attestation (in batches). Logs one line per action; survives node restarts;
    needs no local state. Above its fee caps it sends nothing and logs each skipped batch. Stops
    cleanly (exit 0) on SIGINT or SIGTERM.

    With --vault it also liquidates: each slice whose quoted bounty, valued at --token-price-eth,
    covers its estimated gas cost plus --min-profit; its tip stays the node's suggestion within
    --max-priority-fee (a higher tip buys no bigger bounty)."""
    import zksolvency

    max_fee = _gwei("--max-fee-per-gas", max_fee_per_gas)
    max_tip = _gwei("--max-priority-fee", max_priority_fee)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger("zksolvency.keeper").info("%s: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    zksolvency.run_keeper(
        rpc=rpc,
        deployment=deployment,
        build_dir=build,
        sender=sender,
        interval=interval,
        metrics_port=metrics_port,
        metrics_addr=metrics_addr,
        max_batch=max_batch,
        log_range=log_range,
        status_chunk=status_chunk,
        max_fee_per_gas=max_fee,
        max_priority_fee=max_tip,
        max_backoff=max_backoff,
        once=once,
        vault=vault,
        token_price_eth=token_price_eth,
        min_profit_eth=min_profit,
        stop=stop,
    )


COMMANDS = (keeper_group,)
