"""Epoch proving rate (SPEC §7) on one machine: ``epoch prove`` with 1 and with 2 workers, and the
single ``prove`` command beside them, in the same run, on the same ledger; plus the resident memory
of one worker (its Node.js prover holding the proving key), which sizes the default worker count.

    .venv/bin/python -m bench.epoch [--config default] [--accounts 8] [--singles 2]

Every run is a real CLI process (what a venue runs); rates are accounts per minute of wall time,
printed, never asserted. Ends with the arithmetic for 10^6 accounts per hourly epoch.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from zksolvency.prover.config import build_dir, load_config
from zksolvency.prover.epoch import WORKER_RSS_BYTES, default_workers
from zksolvency.prover.setup import setup
from zksolvency.zkcore.paths import ROOT

ZKS = str(Path(sys.executable).with_name("zksolvency"))
DEMO = ROOT / "examples" / "demo"


def write_books(d: Path, n: int) -> list[Path]:
    """n accounts: the demo traders' books under distinct addresses, nonces and salts."""
    bases = [json.loads((DEMO / f"{name}.json").read_text()) for name in ("alice", "bob", "carol")]
    out = []
    for i in range(n):
        book = {**bases[i % 3], "account": f"0x{0xBE0C0 + i:040x}", "nonce": i, "salt": hex((1 << 240) + 7919 * i)}
        p = d / f"book{i}.json"
        p.write_text(json.dumps(book))
        out.append(p)
    return out


def _children(pid: int) -> list[int]:
    """Every descendant process of ``pid`` (from /proc)."""
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for c in kids.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def _peak_rss(pid: int) -> int:
    """VmHWM (peak resident set) of a process in bytes, 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_watched(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run ``cmd``; returns (wall seconds, the largest peak RSS of any Node.js descendant, stdout)."""
    peaks: dict[int, int] = {}
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            for c in _children(proc.pid):
                try:
                    if "node" in Path(f"/proc/{c}/comm").read_text():
                        peaks[c] = max(peaks.get(c, 0), _peak_rss(c))
                except OSError:
                    pass
            stop.wait(0.2)

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    out, _ = proc.communicate()
    seconds = time.monotonic() - start
    stop.set()
    t.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {proc.returncode}")
    return seconds, max(peaks.values(), default=0), out


def main() -> None:
    """Measure and print."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", default="default")
    ap.add_argument("--accounts", type=int, default=8)
    ap.add_argument("--singles", type=int, default=2, help="single `prove` commands to time")
    args = ap.parse_args()
    cfg = load_config(args.config)
    build = build_dir()
    setup(cfg, build)
    env = {**os.environ, "ZKSOLVENCY_BUILD": str(build)}
    print(f"zksolvency epoch benchmark: circuit {cfg.name}, {args.accounts} accounts, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="zks-bench-epoch-") as tmp:
        t = Path(tmp)
        market = t / "market.json"
        subprocess.run(
            [ZKS, "market", "build", str(ROOT / "examples" / "market-spec.json"), "-o", str(market)], env=env, check=True
        )
        books = write_books(t, args.accounts)
        cmd = [ZKS, "ledger", "build", *map(str, books), "--market", str(market), "--config", args.config, "-o", str(t / "L")]
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        statements = sorted((t / "L" / "statements").glob("*.json"))

        single = []
        for i in range(args.singles):
            cmd = [ZKS, "prove", str(statements[i]), str(market), "-o", str(t / f"single{i}.json"), "--config", args.config]
            single.append(run_watched(cmd, env)[0])
        single_s = sum(single) / len(single)
        rates: dict[int, float] = {}
        rss: dict[int, int] = {}
        for workers in (1, 2):
            out = t / f"out{workers}"
            cmd = [ZKS, "epoch", "prove", str(t / "L"), str(market), "-o", str(out), "--workers", str(workers)]
            seconds, peak, stdout = run_watched([*cmd, "--quiet", "--config", args.config], env)
            report = json.loads(stdout.strip().splitlines()[-1])
            assert report["failed"] == [] and report["accounts"] == args.accounts, report
            rates[workers] = 60 * args.accounts / seconds
            rss[workers] = peak

    rows = [("single `zksolvency prove` (one process per account)", f"{60 / single_s:.1f} /min", f"{single_s:.2f} s per account")]
    for w in (1, 2):
        note = f"{rates[w] / (60 / single_s):.2f}x the single command"
        if w == 2:
            note += f", {rates[2] / rates[1]:.2f}x one worker"
        rows.append((f"epoch prove --workers {w} (wall, incl. start-up)", f"{rates[w]:.1f} /min", note))
    peak = max(rss.values())
    budget = f"budget {WORKER_RSS_BYTES / 2**20:.0f} MiB per worker; default here: {default_workers()} worker(s)"
    rows.append(("peak RSS of one worker (Node.js prover + proving key)", f"{peak / 2**20:.0f} MiB", budget))
    print()
    for what, value, note in rows:
        print(f"{what:<54} {value:>12}  {note}")

    best = max(rates.values())  # accounts per minute of this whole machine
    cores = os.cpu_count() or 1
    core_s = 60 * cores / best  # core-seconds per proof at the machine's best rate
    print(f"\n10^6 accounts per hourly epoch, at this machine's best rate ({best:.1f}/min on {cores} cores):")
    print(f"  {core_s:.1f} core-seconds per proof -> {10**6 * core_s / 3600:,.0f} cores busy all hour")
    print(f"  = {10**6 * core_s / 3600 / 32:,.0f} machines of 32 cores if proving scales with cores, or")
    print(f"  = {10**6 / (best * 60):,.0f} machines like this one; prover memory {peak / 2**20:.0f} MiB per worker")


if __name__ == "__main__":
    main()
