"""Reproducible benchmarks: constraints, setup, witness and proving time, verification against
snarkjs, batch verification, and gas against the EVM floor, each ratio taken in the same run.

    .venv/bin/python -m bench.run [--config default|test] [--repeat 3]

Timings are wall-clock medians on this machine; they are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zksolvency.prover import tools
from zksolvency.prover.config import build_dir, load_config
from zksolvency.prover.prove import prove
from zksolvency.prover.setup import compile_circuit, setup
from zksolvency.verifier.groth16 import (
    batch_verify,
    parse_proof,
    parse_signals,
    parse_vkey,
    prepare,
    verify_fast,
    verify_reference,
)
from zksolvency.zkcore.paths import ROOT

EXAMPLES = ROOT / "examples"


def median_time(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def row(name: str, value: str, note: str = "") -> None:
    """One aligned line of the report."""
    print(f"  {name:<44} {value:>16}  {note}")


def bench_constraints(cfg_name: str) -> dict[str, Any]:
    """Constraint counts and the marginal cost of a position and a collateral slot."""
    cfg = load_config(cfg_name)
    out: dict[str, Any] = {}
    tmp = build_dir() / "bench-compile"

    def n(**params: int) -> int:
        c = load_config(cfg_name, params)
        return compile_circuit(c, tmp / c.name, report=None)["constraints"]

    base = n()
    out["constraints"] = base
    out["per_position"] = (base - n(K=cfg.K - 1)) if cfg.K > 1 else None
    out["per_collateral"] = (base - n(A=cfg.A - 1)) if cfg.A > 1 else None
    out["per_tree_level"] = (base - n(D=cfg.D - 1)) // cfg.K if cfg.D > 1 else None
    return out


def snarkjs_verify_wall(vkey: Path, bundle: dict[str, Any], repeat: int) -> float:
    """Wall time of the reference verifier, `snarkjs groth16 verify`, on the same proof (through the gateway)."""

    def run() -> None:
        assert tools.groth16_verify(vkey, bundle["public_signals"], bundle["proof"])

    return median_time(run, repeat)


def cli_verify_wall(bundle_path: Path, vkey: Path, repeat: int) -> float:
    """Wall time of `zksolvency verify` (a fresh Python process, like snarkjs's)."""
    exe = Path(sys.executable).with_name("zksolvency")
    cmd = [str(exe), "verify", str(bundle_path), "--vkey", str(vkey)]

    def run() -> None:
        subprocess.run(cmd, capture_output=True, check=True)

    return median_time(run, repeat)


def gas(cfg_name: str, bundles: dict[str, Path], market: Path) -> dict[str, int]:
    """attest / flag / flagStale gas on anvil, the verifier alone, and the EVM floor of a
    4-signal Groth16 check. The venue enrolls the demo accounts at the indices their proofs carry
    and publishes the ledger root they prove against."""
    from web3 import Web3
    from zksolvency.onchain import anvil
    from zksolvency.onchain.client import Chain
    from zksolvency.onchain.tx import proof_calldata
    from zksolvency.zkcore.commitment import market_root
    from zksolvency.zkcore.models import load_market

    cfg = load_config(cfg_name)
    node = anvil.start(build_dir() / "bench-chain")
    try:
        ch = Chain(node.rpc, build_dir() / "bench-chain" / "deployment.json")
        ch.deploy(build_dir() / cfg.name / "Groth16Verifier.sol", cfg.name, 3600)
        raws = {name: json.loads(bundles[name].read_text()) for name in ("alice", "bob")}
        by_index = {int(b["public_signals"][1]) >> 160: str(b["claims"]["account"]) for b in raws.values()}
        filler = [f"0x{0xB0B0 + i:040x}" for i in range(max(by_index) + 1)]
        ch.enroll([by_index.get(i, filler[i]) for i in range(max(by_index) + 1)])
        idle = [f"0x{0x1D1E + i:040x}" for i in range(11)]  # never attest: flagged stale below
        ch.enroll(idle)
        m = load_market(market)
        ch.publish(m.epoch, market_root(m))
        ch.publish_ledger(m.epoch, int(raws["alice"]["public_signals"][2]))
        out: dict[str, int] = {}
        for name, kind in (("alice", "attest"), ("bob", "flag")):
            b = raws[name]
            res = ch.submit_proof(kind, b)
            tx = ch.w3.eth.get_transaction(res.tx_hash)
            calldata = sum(16 if x else 4 for x in bytes(tx["input"]))
            out[f"{kind}_gas"] = res.gas_used
            out[f"{kind}_floor"] = 21_000 + calldata + 181_000 + 6_150 * 4
            if kind == "attest":
                out["attest_repeat_gas"] = ch.submit_proof(kind, b).gas_used
                a, bb, c, s = proof_calldata(b["proof"], b["public_signals"])
                fn = ch.contract("verifier").functions.verifyProof(a, bb, c, s)
                # NOT estimate_gas: the generated verifier returns false (no revert) when the
                # pairing precompile runs out of gas, so estimation finds the gas at which it
                # fails cheaply. The real cost is the least gas at which it returns true.
                lo, hi = 21_000, 1_000_000
                while lo < hi:
                    mid = (lo + hi) // 2
                    if fn.call({"from": ch.default_sender(), "gas": mid}) is True:
                        hi = mid
                    else:
                        lo = mid + 1
                out["verifier_only_gas"] = lo
                out["verifier_estimate_gas_pitfall"] = int(fn.estimate_gas({"from": ch.default_sender()}))
                vtx = fn.build_transaction({"from": ch.default_sender(), "gas": 400_000})
                out["verifier_only_floor"] = (
                    21_000 + sum(16 if x else 4 for x in bytes.fromhex(str(vtx["data"])[2:])) + 181_000 + 6_150 * 4
                )
        ch.advance_time(3600)
        out["flag_stale_1_gas"] = ch.flag_stale([Web3.to_checksum_address(idle[0])]).gas_used
        ten = ch.flag_stale([Web3.to_checksum_address(a) for a in idle[1:]])
        assert len(ten.flagged) == 10
        out["flag_stale_10_gas"] = ten.gas_used
        return out
    finally:
        anvil.stop(node.pid)


def main() -> int:
    """Run every benchmark and print the report."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", default="default")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    cfg = load_config(args.config)
    print(f"zksolvency benchmarks: circuit {cfg.name}, median of {args.repeat}")

    print("\ncircuit")
    c = bench_constraints(args.config)
    row("R1CS constraints", f"{c['constraints']:,}")
    row("per position slot (K)", f"{c['per_position']:,}", "marginal: the cost that grows with the account")
    row("per collateral slot (A)", f"{c['per_collateral']:,}")
    row("per instrument-tree level per position (D)", f"{c['per_tree_level']:,}", f"2^{cfg.D} instruments cost {cfg.D} levels")

    print("\nsetup")
    art = setup(cfg, build_dir())
    m = art.read_manifest()
    timings = m.get("timings", {})
    assert isinstance(timings, dict)
    row("groth16 setup (first run)", f"{timings.get('groth16_setup_s', '?')} s", str(m.get("ptau", "")))
    row("phase-2 contribution", f"{timings.get('contribute_s', '?')} s")

    print("\nproving (default demo accounts)")
    from zksolvency.oracle.marketbuild import write_market

    work = build_dir() / "bench"
    work.mkdir(parents=True, exist_ok=True)
    market = work / "market.json"
    write_market(EXAMPLES / "market-spec.json", market)
    # the venue's ledger of the three demo traders (indices 0, 1, 2): proofs open their statements
    import shutil

    from zksolvency.zkcore.ledger import build_ledger

    ledger = work / "ledger"
    shutil.rmtree(ledger, ignore_errors=True)
    built = build_ledger([EXAMPLES / "demo" / f"{n}.json" for n in ("alice", "bob", "carol")], market, ledger, depth=cfg.LD)
    statement = {n: ledger / "statements" / f"{built.info.accounts[i][0]}.json" for i, n in enumerate(("alice", "bob", "carol"))}
    bundles: dict[str, Path] = {}
    for name in ("alice", "bob"):
        bundles[name] = work / f"{name}.bundle.json"

        def prove_one(n: str = name) -> object:
            return prove(statement[n], market, bundles[n], cfg, build_dir())

        t_prove = median_time(prove_one, args.repeat)
        row(f"prove {name} (witness + proof, incl. Python)", f"{t_prove:.2f} s")
    with tempfile.TemporaryDirectory() as t:
        from zksolvency.prover.witness import build_input
        from zksolvency.zkcore.models import load_account, load_market

        mk = load_market(market)
        inp = Path(t) / "input.json"
        inp.write_text(json.dumps(build_input(load_account(EXAMPLES / "demo" / "alice.json"), mk, cfg)))
        wtns = Path(t) / "w.wtns"
        t_w = median_time(lambda: tools.snarkjs("wtns", "calculate", art.wasm, inp, wtns), args.repeat)
        t_p = median_time(
            lambda: tools.snarkjs("groth16", "prove", art.zkey, wtns, Path(t) / "p.json", Path(t) / "pub.json"), args.repeat
        )
        row("  of which: snarkjs wtns calculate", f"{t_w:.2f} s")
        row("  of which: snarkjs groth16 prove", f"{t_p:.2f} s")

    print("\nverification (same bundle, same run)")
    b = json.loads(bundles["alice"].read_text())
    vk_raw = json.loads(art.vkey.read_text())
    t_snark = snarkjs_verify_wall(art.vkey, b, args.repeat)
    t_cli = cli_verify_wall(bundles["alice"], art.vkey, args.repeat)
    vk = parse_vkey(vk_raw)
    t_prep = median_time(lambda: prepare.__wrapped__(vk), args.repeat)
    pk = prepare(vk)
    proof, sig = parse_proof(b["proof"]), parse_signals(b["public_signals"], vk.n_public)
    t_fast = median_time(lambda: verify_fast(pk, proof, sig), args.repeat)
    t_ref = median_time(lambda: verify_reference(vk, proof, sig), 1)
    row("snarkjs groth16 verify (wall, node start incl.)", f"{t_snark * 1000:.0f} ms", "reference tool")
    row("zksolvency verify (wall, python start incl.)", f"{t_cli * 1000:.0f} ms", f"{t_snark / t_cli:.2f}x snarkjs")
    row("in process: prepare key (once per key)", f"{t_prep * 1000:.0f} ms")
    row("in process: verify one proof (prepared key)", f"{t_fast * 1000:.1f} ms", f"{t_snark / t_fast:.1f}x snarkjs wall")
    row("in process: py_ecc plain pairing (reference)", f"{t_ref * 1000:.0f} ms", f"fast path {t_ref / t_fast:.0f}x faster")
    raws = [json.loads(bundles[n].read_text()) for n in ("alice", "bob")]
    items = [(parse_proof(r["proof"]), parse_signals(r["public_signals"], vk.n_public)) for r in raws] * 4
    t_batch = median_time(lambda: batch_verify(pk, items), args.repeat)
    row(
        f"batch of {len(items)} (N + 2 Miller loops, 1 final exp)",
        f"{t_batch * 1000:.0f} ms",
        f"{t_batch / len(items) * 1000:.1f} ms/proof vs {t_fast * 1000:.1f} single",
    )

    print("\ngas (anvil, real proofs)")
    g = gas(args.config, bundles, market)
    row(
        "verifyProof alone (least gas returning true)",
        f"{g['verifier_only_gas']:,}",
        f"floor {g['verifier_only_floor']:,} = {g['verifier_only_gas'] / g['verifier_only_floor']:.3f}x",
    )
    row(
        "  eth_estimateGas of the bare verifier",
        f"{g['verifier_estimate_gas_pitfall']:,}",
        "too low: it returns false when starved",
    )
    row("attest", f"{g['attest_gas']:,}", f"floor {g['attest_floor']:,} = {g['attest_gas'] / g['attest_floor']:.3f}x")
    row("attest again (one slot rewritten)", f"{g['attest_repeat_gas']:,}")
    row("flagInsolvent", f"{g['flag_gas']:,}", f"floor {g['flag_floor']:,} = {g['flag_gas'] / g['flag_floor']:.3f}x")
    row("flagStale, 1 account", f"{g['flag_stale_1_gas']:,}")
    row(
        "flagStale, 10 accounts in one call",
        f"{g['flag_stale_10_gas']:,}",
        f"{g['flag_stale_10_gas'] // 10:,} per account",
    )
    row(
        "registry overhead over the verifier alone",
        f"{g['attest_gas'] - g['verifier_only_gas']:,}",
        "binding checks, oracle call, storage",
    )
    print("\nfloor = 21,000 + calldata + 181,000 (4-pair pairing) + 6,150 per public input (ecMul + ecAdd)")

    print("\nbatch verification gas (same run: these proofs, re-randomized into 32 distinct ones)")
    from bench.batch import measure, report

    report(measure(vk_raw, art.solidity, art.batch_solidity, raws), attest_gas=g["attest_gas"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
