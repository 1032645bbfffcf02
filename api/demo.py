"""``zksolvency demo``: the whole story on an embedded local chain.

Set up (cached), build a market with perps and options, prove a solvent and an insolvent account,
verify both in Python, start anvil, deploy, publish the epoch, register three accounts, attest the
solvent one, flag the insolvent one, let the grace period pass and flag the silent third one
stale, print the status table and stop the node (always, even on failure).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click
from zksolvency.prover.config import ROOT, CircuitConfig
from zksolvency.prover.engine import margin_report
from zksolvency.prover.prove import prove
from zksolvency.prover.setup import setup
from zksolvency.zkcore.commitment import account_commitment, market_root
from zksolvency.zkcore.field import hex32
from zksolvency.zkcore.models import load_account, load_market

EXAMPLES = ROOT / "examples"
GRACE = 3600


def _step(n: int, text: str) -> None:
    click.secho(f"\n[{n}/8] {text}", bold=True)


def run_demo(cfg: CircuitConfig, build: Path) -> dict[str, Any]:
    """Run the demo; returns what it measured (used by the README and the e2e test)."""
    from zksolvency.onchain import anvil
    from zksolvency.onchain.client import Chain
    from zksolvency.verifier.verify import verify_bundle

    out = build / "demo"
    out.mkdir(parents=True, exist_ok=True)
    measured: dict[str, Any] = {}

    _step(1, f"trusted setup of {cfg.name} (cached after the first run)")
    t = time.monotonic()
    art = setup(cfg, build)
    manifest = art.read_manifest()
    r1cs = manifest.get("r1cs", {})
    measured["constraints"] = r1cs.get("constraints") if isinstance(r1cs, dict) else None
    click.echo(f"  {measured['constraints']:,} constraints; trust model {manifest.get('trust')}; {time.monotonic() - t:.1f}s")

    _step(2, "oracle: build the epoch's market (perps + options with Black-Scholes SPAN risk arrays)")
    from zksolvency.oracle.marketbuild import write_market

    market_path = out / "market.json"
    write_market(EXAMPLES / "market-spec.json", market_path)
    market = load_market(market_path)
    root = market_root(market)
    click.echo(f"  epoch {market.epoch}: {len(market.instruments)} instruments, market root {hex32(root)}")

    accounts = {name: EXAMPLES / "demo" / f"{name}.json" for name in ("alice", "bob", "carol")}
    loaded = {name: load_account(p, market, market_path) for name, p in accounts.items()}

    _step(3, "traders: reference check and proofs (alice solvent, bob under water)")
    bundles: dict[str, Path] = {}
    for name in ("alice", "bob"):
        r = margin_report(loaded[name], market)
        d = r.as_json()
        verdict = "SOLVENT" if r.solvent else "INSOLVENT"
        click.echo(f"  {name:<6} equity {d['equity']:>16}  maintenance {d['maintenance']:>16}  -> {verdict}")
        bundles[name] = out / f"{name}.bundle.json"
        proved = prove(accounts[name], market_path, bundles[name], cfg, build)
        measured[f"prove_{name}_s"] = round(proved.seconds, 2)
        click.echo(f"         proof in {proved.seconds:.1f}s -> {bundles[name]}")

    _step(4, "verifier: check both proofs in Python (py_ecc BN254, no snarkjs)")
    for name in ("alice", "bob"):
        t = time.monotonic()
        v = verify_bundle(bundles[name], market=market_path, commitment=hex32(account_commitment(loaded[name])))
        measured[f"verify_{name}_s"] = round(time.monotonic() - t, 3)
        click.echo(f"  {name:<6} {v.headline}  ({measured[f'verify_{name}_s'] * 1000:.0f} ms)")

    _step(5, "chain: start a local anvil, deploy verifier + oracle + registry")
    node = anvil.start(out)
    try:
        ch = Chain(node.rpc, out / "deployment.json")
        dep = ch.deploy(build / cfg.name / "Groth16Verifier.sol", cfg.name, GRACE)
        click.echo(f"  anvil {node.rpc}; registry {dep['registry']} (grace period {GRACE}s)")

        _step(6, "oracle publishes the epoch; the three traders register their commitments")
        res = ch.publish(market.epoch, root)
        click.echo(f"  publish epoch {market.epoch}: gas {res.gas_used:,}")
        for name, acc in loaded.items():
            res = ch.register(acc.account, account_commitment(acc))
            click.echo(f"  register {name:<6} {acc.account}: gas {res.gas_used:,}")

        _step(7, "alice attests solvency, a keeper flags bob, carol stays silent past the grace period")
        import json

        res = ch.submit_proof("attest", json.loads(bundles["alice"].read_text()))
        measured["attest_gas"] = res.gas_used
        click.echo(f"  attest alice: gas {res.gas_used:,}")
        res = ch.submit_proof("flag", json.loads(bundles["bob"].read_text()))
        measured["flag_gas"] = res.gas_used
        click.echo(f"  flag bob (insolvent proof): gas {res.gas_used:,}")
        ch.advance_time(GRACE + 1)
        res = ch.flag_stale(loaded["carol"].account)
        measured["flag_stale_gas"] = res.gas_used
        click.echo(f"  {GRACE + 1}s later, flag carol stale: gas {res.gas_used:,}")

        _step(8, "status on chain")
        from rich.console import Console
        from rich.table import Table

        table = Table(show_lines=False)
        for col in ("trader", "address", "attested epoch", "flag", "solvent now"):
            table.add_column(col)
        statuses = {}
        for name, acc in loaded.items():
            st = ch.status(acc.account)
            statuses[name] = st
            table.add_row(name, st["account"], str(st["attested_epoch"] or "-"), st["flag"], "yes" if st["solvent_now"] else "no")
        Console(width=120).print(table)
        measured["status"] = statuses
    finally:
        anvil.stop(node.pid)
        click.echo("  anvil stopped")
    return measured
