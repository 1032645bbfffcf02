"""``zksolvency demo``: the venue's story end to end on an embedded local chain.

Epoch 43: the oracle builds and publishes the market; the venue enrolls three traders (alice, bob,
carol), who also hold collateral in a protocol's margin vault; the venue builds its ledger at their
enrolled indices and publishes the root; alice checks her statement against the root on chain; the
venue proves the whole ledger in parallel, attests the solvent accounts in one batch transaction
and flags bob, whose proof says he is under water; the vault lets alice withdraw and a keeper
liquidates bob's deposit in slices. Epoch 44: the oracle publishes again, the venue publishes its
new ledger, alice proves and attests on her own, carol stays silent, and the keeper daemon (a real
``zksolvency keeper run`` process) flags her stale once the grace period is over; her withdrawal is
refused and, once her cure window is over, her deposit liquidated in slices. The keeper takes each
slice when its bounty has risen to the full rate (the end of the slice's auction), so the amounts
are the same on every run. The node is stopped at the end, always, even on failure.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from zksolvency.prover.config import CircuitConfig, checkout

if TYPE_CHECKING:
    from zksolvency.onchain.client import Chain
    from zksolvency.onchain.vault import LiquidationResult, Vault

GRACE = 3600
TRADERS = ("alice", "bob", "carol")
STEPS = 11
USD = 10**6  # xUSD has 6 decimals
DEPOSITS = {"alice": 20_000 * USD, "bob": 2_500 * USD, "carol": 5_000 * USD}


def _step(n: int, text: str) -> None:
    click.secho(f"\n[{n}/{STEPS}] {text}", bold=True)


def _usd(units: int) -> str:
    return f"{units / USD:,.2f} xUSD" if units % (USD // 100) == 0 else f"{units} units"


def trust_model(vkey: dict[str, Any]) -> str:
    """One line on what the keys' trusted setup rests on, from the trust label inside the key."""
    from zksolvency.zkcore import keytrust

    label = keytrust.key_trust(vkey)
    return f"{label}: {keytrust.DESCRIPTION[label]} ({keytrust.key_ptau(vkey)})"


def _next_books(books: dict[str, Path], out: Path) -> dict[str, Path]:
    """The traders' books of the next epoch: the same holdings under the next nonce."""
    moved = {}
    for name, path in books.items():
        book = json.loads(path.read_text())
        book["nonce"] += 1
        moved[name] = out / f"{name}-44.json"
        moved[name].write_text(json.dumps(book, indent=1))
    return moved


def _keeper_flags(ch: Chain, deployment: Path, build: Path, out: Path, wanted: str, timeout: float = 120) -> list[str]:
    """Run ``zksolvency keeper run`` as its own process until it has flagged ``wanted``; returns
    its log lines (one per action)."""
    log = out / "keeper.log"
    cmd = [str(Path(sys.executable).with_name("zksolvency")), "keeper", "run", "--rpc", ch.rpc]
    cmd += ["--deployment", str(deployment), "--build-dir", str(build), "--interval", "1"]
    with log.open("w") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, text=True)
    try:
        flag_of = ch.contract("registry").functions.flagOf
        end = time.monotonic() + timeout
        while int(flag_of(wanted).call()) == 0:
            if time.monotonic() > end:
                raise click.ClickException(f"the keeper did not flag {wanted} within {timeout:.0f}s: see {log}")
            time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    return [line.split(": ", 1)[-1] for line in log.read_text().splitlines() if "zksolvency.keeper" in line]


def _liquidate_all(ch: Chain, vault: Vault, account: str, keeper: str) -> list[LiquidationResult]:
    """Take every slice of ``account``'s deposit, each at the end of its auction (the dev chain's
    clock is moved forward to it): returns the mined slices."""
    done = []
    duration = vault.params().auction_duration
    while vault.balance(account) > 0:
        start = vault.status(account).next_liquidatable_at
        if start == 0:
            raise click.ClickException(f"{account} cannot be liquidated: {vault.status(account)}")
        wait = start + duration - int(ch.w3.eth.get_block("latest")["timestamp"])
        if wait > 0:
            ch.advance_time(wait)
        done.append(vault.liquidate(account, keeper))
    return done


def _refused(what: str, fn: Callable[[], object]) -> str:
    """Run a call the demo expects the chain to refuse; its custom error, or a failure."""
    from zksolvency.onchain.tx import ChainError

    try:
        fn()
    except ChainError as e:
        return str(e).removeprefix("reverted: ")
    raise click.ClickException(f"{what} went through: the vault should have refused it")


def run_demo(cfg: CircuitConfig, build: Path) -> dict[str, Any]:
    """Run the demo; returns what it measured (used by the README and the e2e test)."""
    import zksolvency
    from web3 import Web3
    from zksolvency.onchain import anvil
    from zksolvency.onchain.client import Chain
    from zksolvency.onchain.deployment import chain_dir
    from zksolvency.onchain.results import read_public_ledger
    from zksolvency.onchain.vault import VaultParams, deploy_vault, vault_contracts
    from zksolvency.oracle.marketbuild import write_market
    from zksolvency.prover.epoch import prove_epoch
    from zksolvency.prover.prove import prove
    from zksolvency.prover.setup import setup
    from zksolvency.verifier.verify import TrustedKeys, bundle_paths, verify_batch, verify_bundle
    from zksolvency.zkcore.commitment import market_root
    from zksolvency.zkcore.field import hex32
    from zksolvency.zkcore.ledger import build_ledger
    from zksolvency.zkcore.models import load_account, load_market

    out = build / "demo"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
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
    spec = json.loads((checkout() / "examples" / "market-spec.json").read_text())
    markets: dict[int, Path] = {}
    for epoch in (43, 44):
        (out / f"spec-{epoch}.json").write_text(
            json.dumps({**spec, "epoch": epoch, "timestamp": spec["timestamp"] + 3600 * (epoch - 43)})
        )
        markets[epoch] = out / f"market-{epoch}.json"
        write_market(out / f"spec-{epoch}.json", markets[epoch])
    market = load_market(markets[43])
    root = market_root(market)
    click.echo(f"  epoch {market.epoch}: {len(market.instruments)} instruments, market root {hex32(root)}")
    books = {name: checkout() / "examples" / "demo" / f"{name}.json" for name in TRADERS}
    address = {name: Web3.to_checksum_address(load_account(p).account) for name, p in books.items()}

    _step(3, "chain: a local anvil; the registry's contracts, and a protocol's margin vault on top")
    node = anvil.start(out)
    try:
        deployment = out / "deployment.json"
        ch = Chain(node.rpc, deployment, build)
        accounts = [str(a) for a in ch.w3.eth.accounts]
        oracle_op, venue, liquidator, keeper = accounts[0], accounts[7], accounts[8], accounts[9]
        dep = ch.deploy(build / cfg.name / "Groth16Verifier.sol", cfg.name, GRACE, liquidator, venue=venue)
        click.echo(f"  anvil {node.rpc}; registry {dep['registry']}, grace period {GRACE}s")
        click.echo(f"  roles: admin + oracle publisher {oracle_op}, venue {venue}, liquidator {liquidator}")
        ch.add_compiled(vault_contracts(chain_dir(build) / "solc-cache"))
        token, _ = ch.deploy_contract("ExampleUSD", 10**9 * USD, sender=oracle_op)
        params = VaultParams.for_decimals(6)
        vault = deploy_vault(ch, token, params, venue=venue, liquidator=liquidator, sender=oracle_op)
        click.echo(
            f"  vault {vault.addresses.vault} (xUSD {token}): slices of {params.slice_bps // 100}% every"
            f" {params.cooldown}s; bounty from {_usd(params.min_bounty)} up to {params.max_bounty_bps // 100}% over"
            f" {params.auction_duration}s; penalty {params.penalty_bps // 100}% to the insurance fund; cure window"
            f" {params.cure_window}s"
        )

        _step(4, "venue enrolls the three traders, who deposit into the vault; the oracle publishes epoch 43")
        enrolled = ch.enroll([address[n] for n in TRADERS], venue)
        for name in TRADERS:
            ch.send(vault.token.functions.transfer(address[name], DEPOSITS[name]), oracle_op)
            vault.deposit(address[name], DEPOSITS[name])
            click.echo(f"  {name:<6} {address[name]} -> index {enrolled.indices[address[name]]}, deposits {_usd(DEPOSITS[name])}")
        click.echo(f"  enroll: gas {enrolled.gas_used:,}")
        res = ch.publish(market.epoch, root, oracle_op)
        click.echo(f"  publish epoch {market.epoch}: gas {res.gas_used:,}")

        _step(5, "venue builds its ledger at the enrolled indices and publishes the root")
        indices = out / "indices.json"
        indices.write_text(json.dumps(ch.enrolled()))
        ledgers = {43: out / "ledger-43", 44: out / "ledger-44"}
        built = build_ledger([books[n] for n in TRADERS], markets[43], ledgers[43], indices=indices, depth=cfg.LD)
        ledger = read_public_ledger(ledgers[43])
        res = ch.publish_ledger_file(ledger, venue)
        measured["ledger_gas"] = res.gas_used
        click.echo(f"  ledger of {len(ledger.accounts)} accounts, depth {built.info.depth}, root {hex32(ledger.root)}")
        click.echo(f"  publishLedger: gas {res.gas_used:,} (one transaction, whatever the number of accounts)")

        _step(6, "alice checks her statement against the root on chain")
        statement = ledgers[43] / "statements" / f"{address['alice'].lower()}.json"
        check = zksolvency.verify_statement_on_chain(statement, rpc=node.rpc, deployment=deployment, account=books["alice"])
        measured["alice_statement_ok"] = check.ok
        click.echo(f"  statement: {'OK' if check.ok else 'MISMATCH'} (index {check.index}, root {hex32(check.root)})")

        _step(7, "venue proves the whole ledger in parallel, attests the solvent in one batch, flags bob")
        proofs = out / "proofs-43"
        report = prove_epoch(ledgers[43], markets[43], proofs, cfg, build)
        measured["epoch_report"] = report.as_json()
        click.echo(f"  epoch prove: {report.accounts} accounts in {report.seconds:.1f}s ({report.accounts_per_minute}/min)")
        batch = verify_batch(bundle_paths([proofs]), keys=TrustedKeys(files=(art.vkey,)), market=markets[43], ledger=ledger.path)
        names = {a.lower(): n for n, a in address.items()}
        for path, v in batch.results:
            click.echo(f"  Python verifier, {names.get(path.stem, path.stem)}: {v if isinstance(v, str) else v.headline}")
        run = ch.attest_batch([proofs], sender=venue)
        measured["attest_batch_gas_per_account"] = run.gas_used // run.accounts
        click.echo(f"  attestBatch of {run.accounts}: gas {run.gas_used:,} ({run.gas_used // run.accounts:,} per account)")
        (flag,) = ch.flag_bundles([proofs], keeper).flagged
        measured["flag_gas"] = flag.gas_used
        click.echo(f"  flagInsolvent {flag.account} (bob): gas {flag.gas_used:,}")

        _step(8, "the vault acts on the registry: alice withdraws, bob cannot, a keeper liquidates bob in slices")
        res = vault.withdraw(address["alice"], 1_000 * USD)
        click.echo(f"  alice withdraws {_usd(1_000 * USD)}: gas {res.gas_used:,}")
        click.echo(f"  bob's withdrawal refused: {_refused('bob withdrawing', lambda: vault.withdraw(address['bob'], USD))}")
        slices = _liquidate_all(ch, vault, address["bob"], keeper)
        measured["liquidate_bob"] = {
            "slices": len(slices),
            "seized": sum(r.seized for r in slices),
            "bounty": sum(r.split.bounty for r in slices),
            "penalty": sum(r.split.penalty for r in slices),
            "held": sum(r.split.held for r in slices),
        }
        for r in slices:
            click.echo(
                f"  liquidate bob, slice {r.slice}: {_usd(r.seized)} = bounty {_usd(r.split.bounty)}"
                f" + penalty {_usd(r.split.penalty)} + held {_usd(r.split.held)}; gas {r.gas_used:,}"
            )

        _step(9, "epoch 44: the oracle and the venue publish; alice proves on her own; carol stays silent")
        market44 = load_market(markets[44])
        ch.publish(44, market_root(market44), oracle_op)
        moved = _next_books(books, out)
        build_ledger([moved[n] for n in TRADERS], markets[44], ledgers[44], indices=indices, depth=cfg.LD)
        ch.publish_ledger_file(read_public_ledger(ledgers[44]), venue)
        bundle = out / "alice-44.bundle.json"
        proved = prove(ledgers[44] / "statements" / f"{address['alice'].lower()}.json", markets[44], bundle, cfg, build)
        measured["prove_alice_s"] = round(proved.seconds, 2)
        v = verify_bundle(bundle, vkey=art.vkey, market=markets[44], ledger=ledgers[44] / "ledger.json")
        res = ch.submit_bundle("attest", bundle, address["alice"])
        measured["attest_gas"] = res.gas_used
        click.echo(f"  alice: proof in {proved.seconds:.1f}s, {v.headline}; attest gas {res.gas_used:,}")

        _step(10, "the keeper daemon flags carol once the grace period is over; after her cure window, the vault liquidates her")
        ch.advance_time(GRACE)
        lines = _keeper_flags(ch, deployment, build, out, address["carol"])
        for line in lines:
            click.echo(f"  keeper: {line}")
        measured["keeper_log"] = lines
        refusal = _refused("carol withdrawing", lambda: vault.withdraw(address["carol"], USD))
        click.echo(f"  carol's withdrawal refused: {refusal}")
        cure = vault.status(address["carol"]).next_liquidatable_at
        click.echo(f"  carol's cure window: no slice before {cure} (chain time), unless she attests 44 first")
        slices = _liquidate_all(ch, vault, address["carol"], keeper)
        bounty = sum(r.split.bounty for r in slices)
        click.echo(f"  liquidate carol: {len(slices)} slices, {_usd(sum(r.seized for r in slices))}, bounty {_usd(bounty)}")

        _step(11, "status on chain")
        from rich.console import Console
        from rich.table import Table

        table = Table(show_lines=False)
        for col in ("trader", "index", "attested epoch", "flag", "solvent now", "vault deposit", "held for the venue"):
            table.add_column(col)
        statuses = {}
        for name in TRADERS:
            st = ch.status(address[name]) | {"vault": vault.balance(address[name]), "held": vault.held(address[name])}
            statuses[name] = st
            table.add_row(
                name,
                str(st["index"]),
                str(st["attested_epoch"] if st["attested_epoch"] is not None else "-"),
                st["flag"],
                "yes" if st["solvent_now"] else "no",
                _usd(st["vault"]),
                _usd(st["held"]),
            )
        Console(width=120).print(table)
        measured["status"] = statuses
        measured["insurance_fund"] = vault.fund_balance()
    finally:
        anvil.stop(node.pid)
        click.echo("  anvil stopped")
    return measured
