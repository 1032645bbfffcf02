"""Keeper costs (SPEC §8): gas per flagged account for ``flagStale`` of 1, 10, 100 and 500 accounts
in one transaction, and the keeper daemon's reaction time after a grace period ends, in real time,
at the polling intervals given: a real ``zksolvency keeper run`` process on a real anvil.

    .venv/bin/python -m bench.keeper [--intervals 1 5] [--grace 5]

Reaction = the flag's block timestamp minus the second the grace period ended (``staleAt``), as
the chain sees it; printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from web3.types import RPCEndpoint
from zksolvency.onchain import anvil
from zksolvency.onchain.client import Chain
from zksolvency.prover.config import build_dir, load_config
from zksolvency.prover.setup import setup

ZKS = str(Path(sys.executable).with_name("zksolvency"))
SIZES = (1, 10, 100, 500)


def _venue(d: Path, n: int, grace: int) -> tuple[anvil.Node, Chain, list[str]]:
    """A fresh node with the contracts (test instance: gas of flagStale does not depend on the
    circuit), ``n`` enrolled accounts, and one epoch with its ledger root published now."""
    cfg = load_config("test")
    art = setup(cfg, build_dir())
    node = anvil.start(d)
    try:
        ch = Chain(node.rpc, d / "deployment.json")
        ch.deploy(art.solidity, cfg.name, grace, capacity=1024)  # more than the test ledger's 256: no proofs here
        accounts = [str(ch.w3.to_checksum_address("0x" + secrets.token_hex(20))) for _ in range(n)]
        for i in range(0, n, 250):
            ch.enroll(accounts[i : i + 250])
        ch.publish(1, 1234567)
        ch.publish_ledger(1, 7654321)
    except BaseException:
        anvil.stop(node.pid)
        raise
    return node, ch, accounts


def gas_per_batch(d: Path) -> dict[int, int]:
    """flagStale gas for each batch size, every size from the same chain state (snapshots)."""
    node, ch, accounts = _venue(d, max(SIZES), 60)
    try:
        ch.advance_time(61)
        out = {}
        for n in SIZES:
            snap = ch.w3.provider.make_request(RPCEndpoint("evm_snapshot"), [])["result"]
            res = ch.flag_stale(accounts[:n])
            assert len(res.flagged) == n
            out[n] = res.gas_used
            ch.w3.provider.make_request(RPCEndpoint("evm_revert"), [snap])
        return out
    finally:
        anvil.stop(node.pid)


def reaction(d: Path, interval: float, grace: int, n: int = 20) -> tuple[float, float, int]:
    """(seconds from the end of the grace period to the flag's block, keeper-measured mean, txs)."""
    node, ch, accounts = _venue(d, n, grace)
    stale_at = int(ch.status(accounts[0])["stale_at"])
    cmd = [ZKS, "keeper", "run", "--rpc", node.rpc, "--deployment", str(d / "deployment.json"), "--interval", str(interval)]
    port = anvil.free_port()
    log = d / f"keeper-{interval}.log"
    with log.open("w") as out:
        proc = subprocess.Popen([*cmd, "--metrics-port", str(port)], stdout=out, stderr=subprocess.STDOUT)
    try:
        ev = ch.contract("registry").events.FlaggedStale()
        deadline = time.monotonic() + grace + 10 * interval + 30
        logs = []
        while time.monotonic() < deadline:
            logs = ev.get_logs(from_block=0, to_block="latest")
            if len(logs) == n:
                break
            time.sleep(0.2)
        assert len(logs) == n, f"the keeper flagged {len(logs)} of {n}: see {log}"
        blocks = {int(e["blockNumber"]) for e in logs}
        flagged_at = max(int(ch.w3.eth.get_block(b)["timestamp"]) for b in blocks)
        text = _metrics(port)
        total = text.get("zksolvency_keeper_reaction_seconds_sum", 0.0)
        count = text.get("zksolvency_keeper_reaction_seconds_count", 1.0) or 1.0
        return float(flagged_at - stale_at), total / count, len(blocks)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        anvil.stop(node.pid)


def _metrics(port: int) -> dict[str, float]:
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    return {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples if not s.labels}


def main() -> None:
    """Measure and print."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--intervals", type=float, nargs="+", default=[1.0, 5.0])
    ap.add_argument("--grace", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="zks-bench-keeper-") as tmp:
        t = Path(tmp)
        gas = gas_per_batch(t / "gas")
        print("flagStale gas (anvil, one transaction)")
        for n, g in gas.items():
            plural = "s" if n > 1 else " "
            print(f"  {n:>4} account{plural}  {g:>10,} gas  {g // n:>7,} per account  {g / n / gas[1]:.2f}x a single flag")
        print(f"\nkeeper reaction after the grace period ({args.grace} s grace, real time, 20 accounts)")
        results = {}
        for interval in args.intervals:
            chain_s, keeper_s, txs = reaction(t / f"r{interval}", interval, args.grace)
            results[interval] = (chain_s, keeper_s)
            print(f"  --interval {interval:>4}: flagged {chain_s:.0f} s after it ended (chain clock)", end="")
            print(f"; keeper's own mean {keeper_s:.1f} s; {txs} transaction(s)")
        print(json.dumps({"gas": gas, "reaction": {str(k): v for k, v in results.items()}}))


if __name__ == "__main__":
    main()
