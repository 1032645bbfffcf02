"""A venue on its own anvil (the ``venue`` fixture of tests/fixtures/keeper.py), and the keeper as a
real process.

Every test gets a fresh node (keeper tests stop and restart nodes), the real contracts of the test
circuit, and a venue state: the three LEDGER_BOOKS accounts plus ``EXTRA`` silent ones enrolled,
epoch 42 and its ledger root published, and index 1 attested with a real proof. So after the grace
period exactly the enrolled accounts other than index 1 owe an attestation.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_typing import ChecksumAddress
from prometheus_client.parser import text_string_to_metric_families
from web3 import Web3
from web3.types import RPCEndpoint
from zksolvency.onchain import anvil
from zksolvency.onchain.client import Chain
from zksolvency.onchain.keeper import Keeper, TickResult
from zksolvency.onchain.vault import Vault, deploy_vault
from zksolvency.prover.config import CircuitConfig
from zksolvency.prover.setup import Artifacts
from zksolvency.zkcore.jsonio import read_object

from tests.helpers.chain import LEDGER_BOOKS
from tests.helpers.vault import PARAMS, UNIT, deploy_token, mint

GRACE = 600
EXTRA = 40  # silent accounts beside the three of the ledger: the keeper flags in batches
ZKSOLVENCY = str(Path(sys.executable).with_name("zksolvency"))


@dataclass
class Venue:
    """A deployment on its own node, with what the tests need to know about it."""

    node: anvil.Node
    chain: Chain
    dir: Path
    roles: dict[str, ChecksumAddress]
    accounts: list[str]  # enrolled, in index order
    attested: list[str]
    state: Path | None = None
    keepers: list[subprocess.Popen[str]] = field(default_factory=list)

    def stale_at(self) -> int:
        """When the unattested accounts become stale (they all owe epoch 42)."""
        at = self.chain.status(self.accounts[0])["stale_at"]
        assert isinstance(at, int)
        return at

    def flagged_events(self) -> list[str]:
        """Every FlaggedStale event's account, in order (one per flag ever set)."""
        ev = self.chain.contract("registry").events.FlaggedStale()
        return [str(e["args"]["account"]) for e in ev.get_logs(from_block=0, to_block="latest")]

    def stop_node(self) -> None:
        """Stop the node (anvil dumps its chain to the state file)."""
        anvil.stop(self.node.pid)

    def start_node(self) -> None:
        """Start the node again on the same port, from the state file."""
        port = int(self.node.rpc.rsplit(":", 1)[1])
        self.node = anvil.start(self.dir, port=port, state=self.state)


def deploy_venue(node: anvil.Node, artifacts: Artifacts, cfg: CircuitConfig, d: Path, proofs: Path) -> Venue:
    """Deploy the test circuit's contracts on ``node`` and set up the venue state described above."""
    ch = Chain(node.rpc, d / "deployment.json")
    w3 = ch.w3
    admin, venue, liquidator, keeper = list(w3.eth.accounts[:4])  # a list: web3 types eth.accounts as a 1-tuple
    ch.deploy(artifacts.solidity, cfg.name, GRACE, liquidator, venue=venue, admin=admin)
    books = [Web3.to_checksum_address(LEDGER_BOOKS[i]["account"]) for i in (0, 1)]
    extra = [Web3.to_checksum_address("0x" + secrets.token_hex(20)) for _ in range(EXTRA)]
    ch.enroll(books, venue)
    ch.enroll(extra, venue)
    other = json.loads((proofs / "other.bundle.json").read_text())
    signals = [int(s) for s in other["public_signals"]]
    ch.publish(42, signals[3], admin)
    ch.publish_ledger(42, signals[2], venue)
    ch.submit_proof("attest", other, keeper)
    roles = {"admin": admin, "venue": venue, "liquidator": liquidator, "keeper": keeper}
    return Venue(node, ch, d, roles, [*books, *extra], [books[1]])


def start_keeper(v: Venue, name: str, *args: str, interval: float = 0.3) -> tuple[subprocess.Popen[str], int, Path]:
    """``zksolvency keeper run`` as a real process against the venue; returns (process, metrics
    port, log file) once its metrics answer."""
    port = anvil.free_port()
    log = v.dir / f"keeper-{name}.log"
    cmd = [ZKSOLVENCY, "keeper", "run", "--rpc", v.node.rpc, "--deployment", str(v.dir / "deployment.json")]
    cmd += ["--interval", str(interval), "--metrics-port", str(port), "--max-backoff", "1", *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True, env=env)
    v.keepers.append(proc)
    wait_for(lambda: metrics(port) is not None, what=f"keeper {name}'s metrics", timeout=30)
    return proc, port, log


def stop_keeper(proc: subprocess.Popen[str]) -> int:
    """SIGTERM, as a service manager stops it; returns the exit code."""
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=30)


def metrics(port: int) -> dict[str, float] | None:
    """The keeper's metrics (sample name -> value), None while it does not serve them."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return None
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            key = s.name + ("{" + ",".join(f"{k}={v}" for k, v in sorted(s.labels.items())) + "}" if s.labels else "")
            out[key] = s.value
    return out


def metric(port: int, name: str) -> float:
    """One metric's value (0 when absent)."""
    m = metrics(port) or {}
    return m.get(name, 0.0)


def wait_for(cond: Callable[[], Any], *, what: str, timeout: float = 60) -> Any:
    """Poll ``cond`` until it is truthy; returns its value."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = cond()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def ticks_pass(port: int, n: int = 3) -> None:
    """Wait until the keeper has completed ``n`` more ticks."""
    start = metric(port, "zksolvency_keeper_ticks_total")
    wait_for(lambda: metric(port, "zksolvency_keeper_ticks_total") >= start + n, what=f"{n} keeper ticks")


def set_time(v: Venue, timestamp: int) -> None:
    """Mine a block at exactly ``timestamp``: the chain's clock (what the keeper reads) is now there."""
    w3 = v.chain.w3
    w3.provider.make_request(RPCEndpoint("evm_setNextBlockTimestamp"), [timestamp])
    w3.provider.make_request(RPCEndpoint("evm_mine"), [])


def pending(v: Venue) -> int:
    """Transactions waiting in the node's pool."""
    return int(v.chain.w3.eth.get_block_transaction_count("pending"))


def race(v: Venue, a: Keeper, b: Keeper) -> tuple[TickResult, TickResult]:
    """Tick ``a`` and ``b`` on the same chain state with automine off: ``a`` sends first, ``b`` ticks
    while ``a``'s transaction waits in the pool, then one block mines whatever both sent."""
    w3 = v.chain.w3
    w3.provider.make_request(RPCEndpoint("evm_setAutomine"), [False])
    results: dict[str, TickResult] = {}
    try:
        threads = [threading.Thread(target=lambda k=k, n=n: results.__setitem__(n, k.tick())) for n, k in (("a", a), ("b", b))]
        threads[0].start()
        wait_for(lambda: pending(v) >= 1, what="the first keeper's transaction in the pool")
        threads[1].start()
        wait_for(lambda: "b" in results or pending(v) >= 2, what="the second keeper to send or give up")
        time.sleep(0.3)
        w3.provider.make_request(RPCEndpoint("evm_mine"), [])
        for t in threads:
            t.join(timeout=60)
    finally:
        w3.provider.make_request(RPCEndpoint("evm_setAutomine"), [True])
    return results["a"], results["b"]


def insolvent_vault(v: Venue, proofs: Path) -> tuple[Vault, int]:
    """A vault with the trader at index 0 holding 10,000 tokens, flagged insolvent by its real proof;
    returns the vault and the flag's time."""
    ch, roles = v.chain, v.roles
    token = deploy_token(ch)
    vault = deploy_vault(
        ch,
        token.address,
        PARAMS,
        venue=roles["admin"],
        admin=roles["admin"],
        liquidator=roles["liquidator"],
        sender=roles["admin"],
    )
    trader = v.accounts[0]
    mint(ch, token, trader, 10_000 * UNIT)
    vault.deposit(trader, 10_000 * UNIT)
    ch.submit_proof("flag", read_object(proofs / "insolvent.bundle.json"), roles["keeper"])
    st = ch.status(trader)
    assert st["flag"] == "insolvent"
    return vault, int(st["flagged_at"])


def liquidations(vault: Vault) -> list[dict[str, Any]]:
    """Every Liquidated event with its transaction's sender, tip, gas and block time."""
    w3 = vault.chain.w3
    out = []
    for e in vault.vault.events.Liquidated().get_logs(from_block=0, to_block="latest"):
        tx, receipt = w3.eth.get_transaction(e["transactionHash"]), w3.eth.get_transaction_receipt(e["transactionHash"])
        out.append(
            {
                "keeper": str(e["args"]["keeper"]),
                "slice": int(e["args"]["slice"]),
                "bounty": int(e["args"]["bounty"]),
                "at": int(w3.eth.get_block(e["blockNumber"])["timestamp"]),
                "tip": int(tx["maxPriorityFeePerGas"]),
                "paid": int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"]),
            }
        )
    return out
