"""``zksolvency demo``: the venue's story end to end on an embedded local chain.

The oracle builds and publishes the epoch's market; the venue enrolls three traders (alice, bob,
carol), builds its ledger at their enrolled indices and publishes the root; alice checks her
statement against the root on chain, proves and attests; bob's proof says he is under water and
flags him; carol stays silent and is flagged stale once the grace period is over. The node is
stopped at the end, always, even on failure.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import click
from zksolvency.prover.config import ROOT, CircuitConfig

EXAMPLES = ROOT / "examples"
GRACE = 3600
TRADERS = ("alice", "bob", "carol")
STEPS = 9


def _step(n: int, text: str) -> None:
    click.secho(f"\n[{n}/{STEPS}] {text}", bold=True)


def trust_model(vkey: dict[str, Any]) -> str:
    """One line on what the keys' trusted setup rests on, from the trust label inside the key."""
    from zksolvency.zkcore import keytrust

    label = keytrust.key_trust(vkey)
    return f"{label}: {keytrust.DESCRIPTION[label]} ({keytrust.key_ptau(vkey)})"


def run_demo(cfg: CircuitConfig, build: Path) -> dict[str, Any]:
    """Run the demo; returns what it measured (used by the README and the e2e test)."""
    import zksolvency
    from web3 import Web3
    from zksolvency.onchain import anvil
    from zksolvency.onchain.client import Chain, read_public_ledger
    from zksolvency.oracle.marketbuild import write_market
    from zksolvency.prover.prove import prove
    from zksolvency.prover.setup import setup
    from zksolvency.verifier.verify import verify_bundle
    from zksolvency.zkcore.commitment import market_root
    from zksolvency.zkcore.field import hex32
    from zksolvency.zkcore.ledger import build_ledger
    from zksolvency.zkcore.models import load_account, load_market

    out = build / "demo"
    out.mkdir(parents=True, exist_ok=True)
    measured: dict[str, Any] = {}

    _step(1, f"trusted setup of {cfg.name} (cached after the first run)")
    t = time.monotonic()
    art = setup(cfg, build)
    manifest = art.read_manifest()
    r1cs = manifest.get("r1cs", {})
    measured["constraints"] = r1cs.get("constraints") if isinstance(r1cs, dict) else None
    vkey = json.loads(art.vkey.read_text())
    measured["trust"] = keytrust_label = trust_model(vkey)
    click.echo(f"  {measured['constraints']:,} constraints; ready in {time.monotonic() - t:.1f}s")
    click.echo(f"  trust model: {keytrust_label}")

    _step(2, "oracle: build the epoch's market (perps + options with Black-Scholes SPAN risk arrays)")
    market_path = out / "market.json"
    write_market(EXAMPLES / "market-spec.json", market_path)
    market = load_market(market_path)
    root = market_root(market)
    click.echo(f"  epoch {market.epoch}: {len(market.instruments)} instruments, market root {hex32(root)}")
    books = {name: EXAMPLES / "demo" / f"{name}.json" for name in TRADERS}
    address = {name: Web3.to_checksum_address(load_account(p).account) for name, p in books.items()}

    _step(3, "chain: start a local anvil, deploy verifier + oracle + registry")
    node = anvil.start(out)
    try:
        ch = Chain(node.rpc, out / "deployment.json", build)
        accounts = [str(a) for a in ch.w3.eth.accounts]
        oracle_op, venue, liquidator, keeper = accounts[0], accounts[7], accounts[8], accounts[9]
        dep = ch.deploy(build / cfg.name / "Groth16Verifier.sol", cfg.name, GRACE, liquidator, venue=venue)
        click.echo(f"  anvil {node.rpc}; registry {dep['registry']}, grace period {GRACE}s")
        click.echo(f"  roles: admin + oracle publisher {oracle_op}, venue {venue}, liquidator {liquidator}")

        _step(4, "venue enrolls the three traders; the oracle publishes the epoch")
        enrolled = ch.enroll([address[n] for n in TRADERS], venue)
        for name in TRADERS:
            click.echo(f"  {name:<6} {address[name]} -> index {enrolled.indices[address[name]]}")
        click.echo(f"  enroll: gas {enrolled.gas_used:,}")
        res = ch.publish(market.epoch, root, oracle_op)
        click.echo(f"  publish epoch {market.epoch}: gas {res.gas_used:,}")

        _step(5, "venue builds its ledger at the enrolled indices and publishes the root")
        indices = out / "indices.json"
        indices.write_text(json.dumps(ch.enrolled()))
        ledger_dir = out / f"ledger-{market.epoch}"
        shutil.rmtree(ledger_dir, ignore_errors=True)
        built = build_ledger([books[n] for n in TRADERS], market_path, ledger_dir, indices=indices, depth=cfg.LD)
        ledger = read_public_ledger(ledger_dir)
        res = ch.publish_ledger_file(ledger, venue)
        measured["ledger_gas"] = res.gas_used
        click.echo(f"  ledger of {len(ledger.accounts)} accounts, depth {built.info.depth}, root {hex32(ledger.root)}")
        click.echo(f"  publishLedger: gas {res.gas_used:,} (one transaction, whatever the number of accounts)")
        statements = {n: ledger_dir / "statements" / f"{address[n].lower()}.json" for n in TRADERS}

        _step(6, "alice checks her statement against the root on chain, proves and attests")
        on_chain = ch.ledger_root(market.epoch)
        check = zksolvency.verify_statement(statements["alice"], root=on_chain, epoch=market.epoch, account=books["alice"])
        measured["alice_statement_ok"] = check.ok
        click.echo(f"  statement: {'OK' if check.ok else 'MISMATCH'} (index {check.index}, root {hex32(check.root)})")
        bundles: dict[str, Path] = {}
        for name in ("alice", "bob"):
            bundles[name] = out / f"{name}.bundle.json"
            proved = prove(statements[name], market_path, bundles[name], cfg, build)
            measured[f"prove_{name}_s"] = round(proved.seconds, 2)
        click.echo(f"  proof in {measured['prove_alice_s']:.1f}s")
        v = verify_bundle(bundles["alice"], vkey=art.vkey, market=market_path, ledger=ledger.path)
        click.echo(f"  Python verifier: {v.headline}")
        res = ch.submit_proof("attest", json.loads(bundles["alice"].read_text()), address["alice"])
        measured["attest_gas"] = res.gas_used
        click.echo(f"  attest alice: gas {res.gas_used:,}")

        _step(7, "bob's proof (made by the venue from his statement) says he is under water: flag him")
        click.echo(f"  proof in {measured['prove_bob_s']:.1f}s")
        v = verify_bundle(bundles["bob"], vkey=art.vkey, market=market_path, ledger=ledger.path)
        click.echo(f"  Python verifier: {v.headline}")
        res = ch.submit_proof("flag", json.loads(bundles["bob"].read_text()), keeper)
        measured["flag_gas"] = res.gas_used
        click.echo(f"  flagInsolvent bob: gas {res.gas_used:,}")

        _step(8, "carol stays silent; a keeper flags her stale once the grace period is over")
        stale_at = ch.status(address["carol"])["stale_at"]
        click.echo(f"  carol owes epoch {market.epoch}; stale from t={stale_at}")
        ch.advance_time(GRACE)
        res_stale = ch.flag_stale([address[n] for n in TRADERS], keeper)
        measured["flag_stale_gas"] = res_stale.gas_used
        click.echo(f"  {GRACE}s later: flagStale(alice, bob, carol) flags {', '.join(res_stale.flagged)}")
        click.echo(f"  (alice is attested and bob already flagged: skipped); gas {res_stale.gas_used:,}")
        measured["flag_stale_flagged"] = res_stale.flagged

        _step(9, "status on chain")
        from rich.console import Console
        from rich.table import Table

        table = Table(show_lines=False)
        for col in ("trader", "address", "index", "attested epoch", "flag", "solvent now"):
            table.add_column(col)
        statuses = {}
        for name in TRADERS:
            st = ch.status(address[name])
            statuses[name] = st
            table.add_row(
                name,
                st["account"],
                str(st["index"]),
                str(st["attested_epoch"] if st["attested_epoch"] is not None else "-"),
                st["flag"],
                "yes" if st["solvent_now"] else "no",
            )
        Console(width=120).print(table)
        measured["status"] = statuses
    finally:
        anvil.stop(node.pid)
        click.echo("  anvil stopped")
    return measured
