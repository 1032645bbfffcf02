"""The native prover against snarkjs on the same keys and the same witnesses, in one run.

    .venv/bin/python -m bench.prove [--config default] [--rounds 10] [--accounts 16]

1. zkey + wtns -> proof: `snarkjs groth16 prove` against `zksolvency-prover prove`, one process
   each, alternated round by round on the same witness; the witness itself: the wasm generator
   (`snarkjs wtns calculate`) against circom's C++ generator; the peak RSS of every process.
2. Inside the native prover (its `--timings`): zkey load, A/B/C, the NTTs, each MSM.
3. `zksolvency prove` end to end, `--prover native` against `--prover snarkjs` (alternated).
4. Server mode (what `epoch prove` workers keep running): peak RSS of a native `serve` and of
   snarkjs's prove server, each after proving.
5. `epoch prove` accounts per minute with each prover at the default worker count.

Medians over all rounds and over the quietest half (the machine may be shared); every ratio is
taken within this run. Nothing is asserted: the numbers are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zksolvency.prover import backends, tools
from zksolvency.prover.config import build_dir, load_config
from zksolvency.prover.epoch import default_workers
from zksolvency.prover.prove import EpochContext
from zksolvency.prover.setup import setup
from zksolvency.zkcore.paths import ROOT, node_executable

from bench.epoch import _peak_rss, write_books

ZKS = str(Path(sys.executable).with_name("zksolvency"))
SNARKJS = [node_executable(), *tools.NODE_FLAGS, str(tools.snarkjs_cli())]


def run(cmd: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Run a command to its end through scripts/peak_rss.py (a small fresh interpreter: a child's
    maxrss would otherwise count this benchmark's own memory): (wall seconds of the command, its
    peak RSS in bytes, stderr). A failure stops the benchmark."""
    wrapped = [sys.executable, str(ROOT / "scripts" / "peak_rss.py"), *cmd]
    proc = subprocess.run(wrapped, capture_output=True, text=True, env=env, check=False)
    report = json.loads(proc.stdout)
    if report["rc"] != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({report['rc']}): {proc.stderr[-500:]}")
    return float(report["seconds"]), int(report["maxrss_kib"]) * 1024, proc.stderr


def med(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def quiet(xs: Sequence[float]) -> float:
    """Median of the quietest half (the lowest values) of the rounds."""
    return statistics.median(sorted(xs)[: max(1, len(xs) // 2)])


def row(what: str, value: str, note: str = "") -> None:
    print(f"  {what:<58} {value:>12}  {note}")


def main() -> int:
    """Measure and print."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="default")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--accounts", type=int, default=16, help="ledger size for the epoch measurement")
    args = ap.parse_args()
    binary = backends.native_binary()
    if binary is None:
        raise SystemExit("the native prover is not built: run `make install`")
    cfg = load_config(args.config)
    build = build_dir()
    art = setup(cfg, build)
    if not art.witness_cpp.is_file():
        raise SystemExit("the C++ witness generator is not built for this instance")
    env = {**os.environ, "ZKSOLVENCY_BUILD": str(build)}
    manifest = json.loads(art.manifest.read_text())
    print(f"zksolvency prover benchmark: {cfg.name}, {manifest['r1cs']['constraints']:,} constraints, {os.cpu_count()} cores")
    print(f"  native: {subprocess.run([str(binary), '--version'], capture_output=True, text=True).stdout.strip()}")

    with tempfile.TemporaryDirectory(prefix="zks-bench-prove-") as tmp:
        t = Path(tmp)
        market = t / "market.json"
        subprocess.run(
            [ZKS, "market", "build", str(ROOT / "examples" / "market-spec.json"), "-o", str(market)],
            env=env,
            check=True,
            capture_output=True,
        )
        books = write_books(t, args.accounts)
        ledger = [ZKS, "ledger", "build", *map(str, books), "--market", str(market), "--config", args.config, "-o", str(t / "L")]
        subprocess.run(ledger, env=env, check=True, capture_output=True)
        statements = sorted((t / "L" / "statements").glob("*.json"))
        ctx = EpochContext.load(cfg, build, market)
        inputs = t / "input.json"
        inputs.write_text(json.dumps(ctx.prepare(statements[0]).input))

        # 1 + 2: witness and proof, alternated
        res: dict[str, list[float]] = {k: [] for k in ("wasm", "cpp", "snarkjs", "native")}
        rss: dict[str, int] = {}
        inner: list[dict[str, Any]] = []
        wtns = t / "w.wtns"
        for i in range(args.rounds):
            order = ("wasm", "cpp", "snarkjs", "native") if i % 2 == 0 else ("cpp", "wasm", "native", "snarkjs")
            for who in order:
                if who == "wasm":
                    s, m, _ = run([*SNARKJS, "wtns", "calculate", str(art.wasm), str(inputs), str(t / "wasm.wtns")])
                elif who == "cpp":
                    s, m, _ = run([str(art.witness_cpp), str(inputs), str(wtns)])
                elif who == "snarkjs":
                    s, m, _ = run(
                        [*SNARKJS, "groth16", "prove", str(art.zkey), str(wtns), str(t / "sp.json"), str(t / "spub.json")]
                    )
                else:
                    cmd = [str(binary), "prove", str(art.zkey), str(wtns), str(t / "np.json"), str(t / "npub.json"), "--timings"]
                    s, m, err = run(cmd)
                    inner.append(json.loads(err.strip().splitlines()[-1]))
                res[who].append(s)
                rss[who] = max(rss.get(who, 0), m)
            print(f"  round {i + 1}/{args.rounds}", file=sys.stderr)
        assert (t / "wasm.wtns").read_bytes() == wtns.read_bytes(), "C++ and wasm witnesses differ"
        assert tools.groth16_verify(art.vkey, json.loads((t / "npub.json").read_text()), json.loads((t / "np.json").read_text()))

        # 3: the CLI end to end
        e2e: dict[str, list[float]] = {"native": [], "snarkjs": []}
        for i in range(max(2, args.rounds // 2)):
            for who in ("native", "snarkjs") if i % 2 == 0 else ("snarkjs", "native"):
                cmd = [
                    ZKS,
                    "prove",
                    str(statements[0]),
                    str(market),
                    "-o",
                    str(t / f"b-{who}.json"),
                    "--config",
                    args.config,
                    "--prover",
                    who,
                ]
                e2e[who].append(run(cmd, env)[0])

        # 4: server mode memory
        server_rss = {
            "native": serve_native_rss(binary, art.zkey, wtns, t),
            "snarkjs": serve_snarkjs_rss(art, ctx.prepare(statements[0]).input),
        }

        # 5: epoch prove, default workers
        epoch: dict[str, tuple[float, dict[str, Any]]] = {}
        for who in ("native", "snarkjs"):
            out = t / f"epoch-{who}"
            cmd = [
                ZKS,
                "epoch",
                "prove",
                str(t / "L"),
                str(market),
                "-o",
                str(out),
                "--quiet",
                "--config",
                args.config,
                "--prover",
                who,
            ]
            start = time.monotonic()
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
            seconds = time.monotonic() - start
            report = json.loads(proc.stdout.strip().splitlines()[-1])
            assert report["failed"] == [] and report["accounts"] == args.accounts, report
            epoch[who] = (seconds, report)

    print("\nzkey + wtns -> proof (one process each; medians of all rounds, of the quietest half)")
    sn, na = res["snarkjs"], res["native"]
    row("snarkjs groth16 prove", f"{med(sn):.2f} s", f"quiet {quiet(sn):.2f} s, peak RSS {rss['snarkjs'] / 2**20:.0f} MiB")
    row("zksolvency-prover prove", f"{med(na):.2f} s", f"quiet {quiet(na):.2f} s, peak RSS {rss['native'] / 2**20:.0f} MiB")
    row(
        "  ratio native / snarkjs",
        f"{med(na) / med(sn):.3f}x",
        f"quiet {quiet(na) / quiet(sn):.3f}x (goal <= 0.25, stretch <= 0.17)",
    )
    row("  peak RSS native / snarkjs", f"{rss['native'] / rss['snarkjs']:.2f}x", "(goal <= 0.5)")
    row("witness: snarkjs wtns calculate (wasm)", f"{med(res['wasm']):.3f} s", f"peak RSS {rss['wasm'] / 2**20:.0f} MiB")
    row(
        "witness: circom C++ generator",
        f"{med(res['cpp']):.3f} s",
        f"{med(res['cpp']) / med(res['wasm']):.2f}x wasm, byte-identical",
    )
    row(
        "witness + proof, native (C++ witness)",
        f"{med(res['cpp']) + med(na):.2f} s",
        f"{(med(res['cpp']) + med(na)) / (med(res['wasm']) + med(sn)):.3f}x wasm + snarkjs",
    )

    print("\ninside the native prover (median over rounds, milliseconds)")
    keys = ("zkey_ms", "wtns_ms", "abc_ms", "ntt_ms", "scalars_ms", "finish_ms", "total_ms")
    for k in keys:
        row(k, f"{med([x[k] for x in inner]):.1f}")
    for name in inner[0]["msm"]:
        ms = [x["msm"][name]["ms"] for x in inner]
        m0 = inner[0]["msm"][name]
        row(
            f"MSM {name} ({'G2' if name == 'B2' else 'G1'})",
            f"{med(ms):.1f}",
            f"{m0['points']:,} points after GLV, window {m0['window']}",
        )
    row("threads", str(inner[0]["threads"]), inner[0]["backend"])

    print("\n`zksolvency prove` end to end (CLI process, statement -> verified bundle)")
    en, es = e2e["native"], e2e["snarkjs"]
    row("--prover snarkjs", f"{med(es):.2f} s", f"quiet {quiet(es):.2f} s")
    row("--prover native", f"{med(en):.2f} s", f"quiet {quiet(en):.2f} s")
    row("  ratio native / snarkjs", f"{med(en) / med(es):.3f}x", f"quiet {quiet(en) / quiet(es):.3f}x (goal <= 0.30)")

    print("\nserver mode (one epoch worker's prover, key loaded, after proofs)")
    row("snarkjs prove server (Node.js)", f"{server_rss['snarkjs'] / 2**20:.0f} MiB")
    row(
        "zksolvency-prover serve",
        f"{server_rss['native'] / 2**20:.0f} MiB",
        f"{server_rss['native'] / server_rss['snarkjs']:.2f}x (goal <= 0.5)",
    )

    print(f"\nepoch prove, {args.accounts} accounts, default workers ({default_workers()})")
    for who in ("snarkjs", "native"):
        seconds, report = epoch[who]
        row(
            f"--prover {who}",
            f"{60 * args.accounts / seconds:.1f} /min",
            f"wall {seconds:.1f} s; provers {report.get('provers')}, fallbacks {report.get('fallbacks')}",
        )
    rate = {who: 60 * args.accounts / epoch[who][0] for who in epoch}
    row("  ratio native / snarkjs", f"{rate['native'] / rate['snarkjs']:.2f}x", "(goal >= 4)")
    cores = os.cpu_count() or 1
    for who in ("snarkjs", "native"):
        core_s = 60 * cores / rate[who]
        busy = 10**6 * core_s / 3600
        print(f"  10^6 accounts per hourly epoch with {who}: {core_s:.2f} core-seconds per proof")
        print(f"    -> {busy:,.0f} cores busy all hour ({busy / 32:,.0f} machines of 32 cores)")
    return 0


def serve_native_rss(binary: Path, zkey: Path, wtns: Path, t: Path) -> int:
    """Peak RSS of `zksolvency-prover serve` after three proofs."""
    proc = subprocess.Popen([str(binary), "serve", str(zkey)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    assert json.loads(proc.stdout.readline())["ok"]
    for i in range(3):
        proc.stdin.write(json.dumps({"wtns": str(wtns), "proof": str(t / f"s{i}.json"), "public": str(t / f"s{i}p.json")}) + "\n")
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline())["ok"]
    peak = _peak_rss(proc.pid)
    proc.stdin.close()
    proc.wait()
    return peak


def serve_snarkjs_rss(art: Any, signals: dict[str, object]) -> int:
    """Peak RSS of snarkjs's prove server (the worker's Node.js process) after three proofs."""
    server = tools.NodeServer(tools.PROVE_SERVER, [art.wasm, art.zkey], "prove server")
    for _ in range(3):
        assert server.request({"input": signals}).get("ok")
    peak = _peak_rss(server.proc.pid)
    server.close()
    return peak


if __name__ == "__main__":
    raise SystemExit(main())
