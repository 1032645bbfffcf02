"""``zksolvency demo``: the venue's story end to end on an embedded local chain.

Epoch 43: the oracle builds and publishes the market; the venue enrolls three traders (alice, bob,
carol), who also hold collateral in a protocol's margin vault; the venue builds its ledger at their
enrolled indices and publishes the root; alice checks her statement against the root on chain; the
venue proves the whole ledger in parallel, attests the solvent accounts in one batch transaction
and flags bob, whose proof says he is under water. A keeper daemon (a real ``zksolvency keeper run
--vault`` process) watches the registry and the vault: alice withdraws, bob cannot, and the keeper
takes bob's deposit in slices, each once its rising bounty covers the keeper's gas and profit.
Epoch 44: the oracle and the venue publish again, alice proves and attests on her own, carol stays
silent; the keeper flags her stale once the grace period is over, and carol, only late, proves
inside her cure window: no slice of hers is ever taken. The venue settles bob: it takes what the
vault held, closes his book at a loss, and reports the shortfall, which the insurance fund covers.
The node and the keeper are stopped at the end, always, even on failure.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from zksolvency.prover.config import CircuitConfig, checkout

if TYPE_CHECKING:
    from zksolvency.onchain.client import Chain
    from zksolvency.onchain.vault import LiquidationResult, Vault

GRACE = 3600
TRADERS = ("alice", "bob", "carol")
USD = 10**6  # xUSD has 6 decimals
DEPOSITS = {"alice": 20_000 * USD, "bob": 2_500 * USD, "carol": 5_000 * USD}
STEPS = 12
#: The keeper's economics: xUSD at 0.0004 ETH (2,500 USD per ETH), and 15 xUSD of profit wanted
#: over its gas, so it waits for a slice's bounty to rise from 10 xUSD towards 25.
TOKEN_PRICE_ETH = "0.0004"
MIN_PROFIT_ETH = "0.006"
#: Chain seconds between two looks of the keeper while a bounty rises.
STEP = 60
#: The protocol's own money in the insurance fund before any penalty.
FUND_SEED = 500 * USD
#: What closing bob's book in a fast market costs the venue (his loss at the oracle's marks is
#: 2,099.70 xUSD; the close-out fills worse): more than the vault could hand over.
CLOSEOUT_LOSS = 2_450 * USD


def _step(n: int, text: str) -> None:
    click.secho(f"\n[{n}/{STEPS}] {text}", bold=True)


def _usd(units: int) -> str:
    """Token units as xUSD, exactly: at least the cents, every further digit that is not zero."""
    whole, frac = divmod(abs(units), USD)
    digits = f"{frac:06d}".rstrip("0").ljust(2, "0")
    return f"{'-' if units < 0 else ''}{whole:,}.{digits} xUSD"


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


class _KeeperDaemon:
    """``zksolvency keeper run --vault`` as its own process, as an operator runs it: it flags
    stale accounts and liquidates the vault's slices that pay; the demo reads its metrics to know
    it has looked at the chain."""

    def __init__(self, ch: Chain, deployment: Path, build: Path, out: Path, vault: str, sender: str) -> None:
        from zksolvency.onchain import anvil

        self.log = out / "keeper.log"
        self.port = anvil.free_port()
        cmd = [str(Path(sys.executable).with_name("zksolvency")), "keeper", "run", "--rpc", ch.rpc]
        cmd += ["--deployment", str(deployment), "--build-dir", str(build), "--interval", "0.3", "--from", sender]
        cmd += ["--vault", vault, "--token-price-eth", TOKEN_PRICE_ETH, "--min-profit", MIN_PROFIT_ETH]
        cmd += ["--metrics-port", str(self.port), "--max-backoff", "1"]
        with self.log.open("w") as f:
            self.proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, text=True)
        self.wait(lambda: self.metric("zksolvency_keeper_ticks_total") >= 1, "the keeper's first tick")

    def metric(self, name: str) -> float:
        """One of the keeper's metrics (0 while it does not answer)."""
        import urllib.request

        from prometheus_client.parser import text_string_to_metric_families

        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=2) as r:
                text = r.read().decode()
        except OSError:
            return 0.0
        return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples if s.name == name)

    def wait(self, cond: Callable[[], bool], what: str, timeout: float = 120) -> None:
        """Poll ``cond`` until it holds; a keeper that died or never gets there ends the demo."""
        end = time.monotonic() + timeout
        while not cond():
            if self.proc.poll() is not None or time.monotonic() > end:
                raise click.ClickException(f"the keeper did not get to {what}: see {self.log}")
            time.sleep(0.1)

    def ticks(self, n: int = 2) -> None:
        """Wait until the keeper has looked at the chain ``n`` more times."""
        start = self.metric("zksolvency_keeper_ticks_total")
        self.wait(lambda: self.metric("zksolvency_keeper_ticks_total") >= start + n, f"{n} more ticks")

    def lines(self) -> list[str]:
        """Its log lines (one per action), without the timestamp and logger."""
        return [line.split(": ", 1)[-1] for line in self.log.read_text().splitlines() if "zksolvency.keeper" in line]

    def stop(self) -> None:
        """SIGTERM, as a service manager stops it."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)


def _slices(vault: Vault, account: str) -> list[LiquidationResult]:
    """Every slice the vault took of ``account``'s deposit, from its events."""
    from eth_typing import HexStr
    from zksolvency.onchain.tx import TxResult

    events = vault.vault.events.Liquidated().get_logs(from_block=0, to_block="latest", argument_filters={"account": account})
    out = []
    for e in events:
        receipt = vault.chain.w3.eth.get_transaction_receipt(e["transactionHash"])
        tx = TxResult(
            HexStr("0x" + bytes(receipt["transactionHash"]).hex()), int(receipt["gasUsed"]), int(receipt["blockNumber"])
        )
        out.append(vault.liquidation_result(tx))
    return out


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
    from zksolvency.zkcore.fixedpoint import format_fraction
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
    daemon: _KeeperDaemon | None = None
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
        ch.send(vault.token.functions.transfer(vault.addresses.fund, FUND_SEED), oracle_op)
        click.echo(f"  the protocol seeds its insurance fund with {_usd(FUND_SEED)}; penalties add to it")

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

        _step(8, "a keeper daemon watches the registry and the vault: alice withdraws, bob cannot; bob is liquidated in slices")
        res = vault.withdraw(address["alice"], 1_000 * USD)
        click.echo(f"  alice withdraws {_usd(1_000 * USD)}: gas {res.gas_used:,}")
        click.echo(f"  bob's withdrawal refused: {_refused('bob withdrawing', lambda: vault.withdraw(address['bob'], USD))}")
        daemon = _KeeperDaemon(ch, deployment, build, out, vault.addresses.vault, keeper)
        click.echo(
            f"  keeper {keeper}: xUSD at {TOKEN_PRICE_ETH} ETH, wants {MIN_PROFIT_ETH} ETH over its gas; it never raises its tip"
        )
        flagged_at = vault.status(address["bob"]).next_liquidatable_at  # an insolvency flag: no cure window
        for _ in range(100):
            if vault.balance(address["bob"]) == 0:
                break
            taken = len(_slices(vault, address["bob"]))
            ch.advance_time(STEP)
            daemon.ticks()
            if taken == 0 and not _slices(vault, address["bob"]):
                q, now = vault.quote(address["bob"]), int(ch.w3.eth.get_block("latest")["timestamp"])
                click.echo(f"  {now - flagged_at}s after the flag, slice 1's bounty is {_usd(q.bounty)}: the keeper waits")
        else:
            raise click.ClickException(f"the keeper did not liquidate bob: see {daemon.log}")
        slices = _slices(vault, address["bob"])
        measured["liquidate_bob"] = {
            "slices": len(slices),
            "seized": sum(r.seized for r in slices),
            "bounty": sum(r.split.bounty for r in slices),
            "penalty": sum(r.split.penalty for r in slices),
            "held": sum(r.split.held for r in slices),
        }
        start = flagged_at
        for r in slices:
            at = int(ch.w3.eth.get_block(r.block)["timestamp"])
            click.echo(
                f"  slice {r.slice}, {at - start}s into its auction: {_usd(r.seized)} = bounty {_usd(r.split.bounty)}"
                f" + penalty {_usd(r.split.penalty)} + held {_usd(r.split.held)}; gas {r.gas_used:,}"
            )
            start = at + params.cooldown

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

        _step(10, "the keeper flags carol once the grace period is over; she was only late: she proves inside her cure window")
        ch.advance_time(GRACE)
        daemon.wait(lambda: ch.status(address["carol"])["flag"] == "stale", "flag carol")
        click.echo(
            f"  carol's withdrawal refused: {_refused('carol withdrawing', lambda: vault.withdraw(address['carol'], USD))}"
        )
        cure = vault.status(address["carol"]).next_liquidatable_at
        window = cure - int(ch.w3.eth.get_block("latest")["timestamp"])
        click.echo(f"  carol's cure window: no slice of hers for {window}s (until chain time {cure})")
        bundle = out / "carol-44.bundle.json"
        prove(ledgers[44] / "statements" / f"{address['carol'].lower()}.json", markets[44], bundle, cfg, build)
        res = ch.submit_bundle("attest", bundle, address["carol"])
        left = cure - int(ch.w3.eth.get_block(res.block)["timestamp"])
        measured["carol_cured_s_before_window_end"] = left
        flag = ch.status(address["carol"])["flag"]
        click.echo(f"  carol proves and attests epoch 44, {left}s before her window closes: her flag is {flag}")
        ch.advance_time(params.cure_window)  # long past her window: the keeper has nothing to take
        daemon.ticks()
        measured["carol_slices"] = len(_slices(vault, address["carol"]))
        res = vault.withdraw(address["carol"], 100 * USD)
        click.echo(f"  no slice of carol was taken; she withdraws {_usd(100 * USD)}: gas {res.gas_used:,}")

        _step(11, "the venue settles bob: it takes what the vault held, closes his book at a loss, the fund covers the rest")
        held = vault.held(address["bob"])
        vault.release(address["bob"], venue, held, liquidator)
        shortfall = max(0, CLOSEOUT_LOSS - held)
        click.echo(f"  the liquidator releases the {_usd(held)} the vault held to the venue")
        click.echo(f"  closing bob's book in a fast market cost {_usd(CLOSEOUT_LOSS)}: a shortfall of {_usd(shortfall)}")
        fund_before = vault.fund_balance()
        sf = vault.report_shortfall(address["bob"], shortfall, liquidator)
        measured["shortfall"] = {"reported": sf.shortfall, "covered": sf.covered, "socialised": sf.socialised}
        click.echo(
            f"  reportShortfall: the fund ({_usd(fund_before)}) pays {_usd(sf.covered)} to the venue;"
            f" socialised loss {_usd(sf.socialised)}; gas {sf.gas_used:,}"
        )
        ch.resolve_flag(address["bob"], liquidator)
        click.echo("  the liquidator resolves bob's flag on the registry: his account is settled")
        daemon.ticks()
        measured["keeper"] = {
            "bounty_earned": int(daemon.metric("zksolvency_keeper_bounty_earned_total")),
            "gas_cost_wei": int(daemon.metric("zksolvency_keeper_liquidation_gas_cost_wei_total")),
        }
        daemon.stop()
        lines = daemon.lines()
        measured["keeper_log"] = lines
        for line in lines:
            if "flagged" in line:
                click.echo(f"  keeper: {line}")
        earned, paid = measured["keeper"]["bounty_earned"], measured["keeper"]["gas_cost_wei"]
        eth = format_fraction(Fraction(paid, 10**18))
        click.echo(f"  keeper: earned {_usd(earned)} in bounties for {eth} ETH of gas (its metrics)")

        _step(12, "status on chain")
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
        if daemon is not None:
            daemon.stop()
        anvil.stop(node.pid)
        click.echo("  keeper and anvil stopped" if daemon is not None else "  anvil stopped")
    return measured
