"""``zksolvency chain …``: the EVM side (node, deployment, oracle epochs, enrollment, ledgers,
attestations and flags). Every command takes ``--json`` (one object; transactions carry at least
``tx_hash`` and ``gas_used``) and ``--build-dir``; every command that talks to a node takes ``--rpc``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from zksolvency.cli.app import build_option
from zksolvency.onchain import DEFAULT_LEDGER_GRACE
from zksolvency.prover.config import parse_param
from zksolvency.zkcore.address import ADDRESS_RE
from zksolvency.zkcore.errors import InputError

if TYPE_CHECKING:
    from zksolvency.onchain.client import Chain


def _address(value: str, what: str = "ADDRESS") -> str:
    if not ADDRESS_RE.fullmatch(value):
        raise InputError(what, value, "expected a 20-byte hex address (0x + 40 hex digits)")
    return value


rpc_option = click.option("--rpc", default=None, help="JSON-RPC URL (default: the node of `chain up`, or $ZKSOLVENCY_RPC)")
deployment_option = click.option(
    "--deployment",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="deployment file (default BUILD/chain/deployment.json)",
)
json_option = click.option("--json", "as_json", is_flag=True, help="one JSON object")
from_option = click.option("--from", "sender", default=None, help="sender address (default: the node's first account)")


@dataclass(frozen=True)
class ChainContext:
    """The node and deployment a ``chain`` command talks to: ``--rpc``, ``--deployment`` and
    ``--build-dir``, declared once (:func:`chain_options`) instead of on every command."""

    rpc: str | None
    deployment: Path | None
    build: Path | None

    def chain(self) -> Chain:
        """The client of that deployment."""
        import zksolvency

        return zksolvency.chain(self.rpc, self.deployment, build_dir=self.build)


def chain_options(f: Callable[..., None]) -> Callable[..., None]:
    """Give a command ``--rpc``, ``--deployment`` and ``--build-dir``, passed to it as one
    :class:`ChainContext`, its first argument (ape's ``make_pass_decorator`` pattern)."""

    @functools.wraps(f)
    def command(*args: Any, rpc: str | None, deployment: Path | None, build: Path | None, **kwargs: Any) -> None:
        f(ChainContext(rpc, deployment, build), *args, **kwargs)

    return rpc_option(deployment_option(build_option(command)))


def _echo(as_json: bool, obj: dict[str, Any], text: str) -> None:
    click.echo(json.dumps(obj) if as_json else text)


def _report(what: str, res: Any, as_json: bool, extra: dict[str, object] | None = None) -> None:
    _echo(as_json, {**res.as_json(), **(extra or {})}, f"{what}: tx {res.tx_hash}, gas used {res.gas_used:,}")


@click.group("chain")
def chain_group() -> None:
    """The EVM side: node, deployment, oracle epochs, enrollment, ledgers, attestations and flags."""


@chain_group.command("up")
@click.option("--port", type=int, default=None, help="loopback port (default: a free one)")
@build_option
@json_option
def chain_up(port: int | None, build: Path | None, as_json: bool) -> None:
    """Start a local anvil in the background and record it."""
    import zksolvency

    node = zksolvency.chain_up(port=port, build_dir=build)
    if node.already_running:
        text = f"already running: {node.rpc} (pid {node.pid})"
    else:
        text = f"anvil running at {node.rpc} (pid {node.pid}); stop it with `zksolvency chain down`"
    _echo(as_json, node.as_json(), text)


@chain_group.command("down")
@build_option
@json_option
def chain_down(build: Path | None, as_json: bool) -> None:
    """Stop the anvil that `chain up` started."""
    import zksolvency

    stopped, rpc = zksolvency.chain_down(build_dir=build)
    if rpc is None:
        _echo(as_json, {"stopped": False, "rpc": None}, "no node recorded")
        return
    _echo(as_json, {"stopped": stopped, "rpc": rpc}, f"stopped {rpc}" if stopped else f"{rpc} was not running")


@chain_group.command("deploy")
@click.option(
    "--config",
    "config_name",
    default=None,
    help="circuit instance whose verifier to deploy (default: $ZKSOLVENCY_CONFIG or 'default')",
)
@click.option("--param", "params", multiple=True, metavar="NAME=N", help="instance parameter override")
@click.option(
    "--grace", "grace", type=click.IntRange(0, 2**64 - 1), default=3600, show_default=True, help="grace period in seconds"
)
@click.option(
    "--ledger-grace",
    "ledger_grace",
    type=click.IntRange(0, 2**64 - 1),
    default=DEFAULT_LEDGER_GRACE,
    show_default=True,
    help="seconds the venue has after each market publication to publish that epoch's ledger",
)
@click.option("--venue", default=None, help="venue address: enrolls, publishes ledgers (default: the deployer)")
@click.option("--liquidator", default=None, help="liquidator address: resolves flags (default: the deployer)")
@click.option("--admin", default=None, help="admin address: grants roles (default: the deployer)")
@click.option(
    "--allow-insecure-key", is_flag=True, help="deploy a key labelled insecure-beacon or unknown (anyone may forge proofs)"
)
@chain_options
@json_option
def chain_deploy(
    ctx: ChainContext,
    config_name: str | None,
    params: tuple[str, ...],
    grace: int,
    ledger_grace: int,
    venue: str | None,
    liquidator: str | None,
    admin: str | None,
    allow_insecure_key: bool,
    as_json: bool,
) -> None:
    """Compile (solc-js) and deploy the verifier, the oracle and the registry."""
    import zksolvency

    ch, dep = zksolvency.deploy(
        config=config_name,
        params=dict(parse_param(p) for p in params),
        grace=grace,
        ledger_grace=ledger_grace,
        venue=venue,
        liquidator=liquidator,
        admin=admin,
        allow_insecure_key=allow_insecure_key,
        rpc=ctx.rpc,
        deployment=ctx.deployment,
        build_dir=ctx.build,
    )
    cfg_name = str(dep["circuit"])
    if as_json:
        summary = {
            k: dep[k]
            for k in (
                "chain_id",
                "circuit",
                "verifier",
                "batch_verifier",
                "oracle",
                "registry",
                "grace_period",
                "ledger_grace",
                "capacity",
                "roles",
                "gas_used",
            )
        }
        click.echo(json.dumps(summary))
        return
    for k in ("verifier", "batch_verifier", "oracle", "registry"):
        click.echo(f"{k:<14} {dep[k]}  (gas {dep['gas_used'][k]:,})")
    click.echo(f"{'capacity':<14} {dep['capacity']:,} accounts (2^LD of {cfg_name})")
    for role, who in dep["roles"].items():
        click.echo(f"{role:<14} {who}")
    click.echo(f"deployment written to {ch.deployment_file}")


@chain_group.command("publish")
@click.argument("market", type=click.Path(path_type=Path, dir_okay=False))
@from_option
@chain_options
@json_option
def chain_publish(ctx: ChainContext, market: Path, sender: str | None, as_json: bool) -> None:
    """Oracle: publish a market's epoch and root."""
    import zksolvency
    from zksolvency.zkcore.field import hex32

    res, epoch, root = zksolvency.publish_market(
        market, sender=sender, rpc=ctx.rpc, deployment=ctx.deployment, build_dir=ctx.build
    )
    _report(f"published epoch {epoch} root {hex32(root)}", res, as_json, {"epoch": epoch, "market_root": hex32(root)})


@chain_group.command("enroll")
@click.argument("addresses", nargs=-1)
@click.option(
    "--from-ledger",
    "ledger",
    type=click.Path(path_type=Path),
    default=None,
    help="enroll a ledger's accounts (DIR or DIR/ledger.json) at exactly its indices",
)
@from_option
@chain_options
@json_option
def chain_enroll(
    ctx: ChainContext,
    addresses: tuple[str, ...],
    ledger: Path | None,
    sender: str | None,
    as_json: bool,
) -> None:
    """Venue: enroll accounts; each gets the next index (0, 1, 2, … never reused)."""
    from zksolvency.onchain.results import read_public_ledger

    if bool(addresses) == (ledger is not None):
        raise InputError("ADDRESS", None, "give the addresses to enroll or --from-ledger DIR, not both and not neither")
    ch = ctx.chain()
    if ledger is not None:
        res = ch.enroll_ledger(read_public_ledger(ledger), sender)
        if res is None:
            _echo(as_json, {"tx_hash": None, "gas_used": 0, "indices": {}}, "every account of the ledger is enrolled already")
            return
    else:
        res = ch.enroll([_address(a) for a in addresses], sender)
    text = "\n".join(f"enrolled {a} at index {i}" for a, i in res.indices.items())
    _echo(as_json, res.as_json(), f"{text}\ntx {res.tx_hash}, gas used {res.gas_used:,}")


@chain_group.command("enrolled")
@chain_options
@json_option
def chain_enrolled(ctx: ChainContext, as_json: bool) -> None:
    """Every enrolled account and its index (--json: the `ledger build --indices` file)."""
    accounts = ctx.chain().enrolled()
    if as_json:
        click.echo(json.dumps(accounts))
        return
    for a, i in accounts.items():
        click.echo(f"{i:>8}  {a}")
    click.echo(f"{len(accounts)} enrolled")


@chain_group.command("publish-ledger")
@click.argument("ledger", type=click.Path(path_type=Path))
@from_option
@chain_options
@json_option
def chain_publish_ledger(ctx: ChainContext, ledger: Path, sender: str | None, as_json: bool) -> None:
    """Venue: publish DIR/ledger.json's root for the oracle's latest epoch (once per epoch)."""
    from zksolvency.onchain.results import read_public_ledger
    from zksolvency.zkcore.field import hex32

    led = read_public_ledger(ledger)
    res = ctx.chain().publish_ledger_file(led, sender)
    extra = {"epoch": led.epoch, "ledger_root": hex32(led.root)}
    _report(f"published the ledger of epoch {led.epoch}, root {hex32(led.root)}", res, as_json, extra)


precheck_option = click.option(
    "--no-precheck",
    "precheck",
    is_flag=True,
    flag_value=False,
    default=True,
    help="skip the local Python verification before sending",
)


@chain_group.command("attest")
@click.argument("bundle", type=click.Path(path_type=Path, dir_okay=False))
@from_option
@precheck_option
@chain_options
@json_option
def chain_attest(
    ctx: ChainContext,
    bundle: Path,
    sender: str | None,
    precheck: bool,
    as_json: bool,
) -> None:
    """Submit a solvent = 1 bundle: attest the account for the latest epoch."""
    res = ctx.chain().submit_bundle("attest", bundle, sender, precheck=precheck)
    _report(f"attested {res.account} at epoch {res.epoch}", res, as_json)


@chain_group.command("flag")
@click.argument("bundles", type=click.Path(path_type=Path), nargs=-1, required=True)
@from_option
@precheck_option
@chain_options
@json_option
def chain_flag(
    ctx: ChainContext,
    bundles: tuple[Path, ...],
    sender: str | None,
    precheck: bool,
    as_json: bool,
) -> None:
    """Submit solvent = 0 bundles (BUNDLE… or a DIR, whose insolvent bundles are taken): flag each
    account for liquidation, one transaction each.

    --json: the last transaction's ``tx_hash``, ``gas_used`` over all, and ``flagged`` (each with
    account, epoch, tx_hash, gas_used); with one bundle also its ``account`` and ``epoch``.
    """
    run = ctx.chain().flag_bundles(list(bundles), sender, precheck=precheck)
    txs = run.flagged
    obj: dict[str, Any] = {
        "tx_hash": txs[-1].tx_hash if txs else None,
        "gas_used": sum(t.gas_used for t in txs),
        "flagged": [t.as_json() for t in txs],
        "skipped": run.skipped,
        "failed": [{"bundle": b, "error": e} for b, e in run.failed],
    }
    if len(txs) == 1:
        obj |= {"account": txs[0].account, "epoch": txs[0].epoch}
    lines = [f"flagged {t.account} for liquidation at epoch {t.epoch}: tx {t.tx_hash}, gas used {t.gas_used:,}" for t in txs]
    lines += [f"skipped {a}: already handled at this epoch (flagged, resolved or attested)" for a in run.skipped]
    lines += [f"FAILED {b}: {e}" for b, e in run.failed]
    _echo(as_json, obj, "\n".join(lines))
    if run.failed:
        raise click.exceptions.Exit(1)


@chain_group.command("attest-batch")
@click.argument("bundles", type=click.Path(path_type=Path), nargs=-1, required=True)
@click.option(
    "--max", "max_n", type=click.IntRange(1), default=None, help="most proofs per transaction (default: the verifier's BATCH_MAX)"
)
@from_option
@chain_options
@json_option
def chain_attest_batch(
    ctx: ChainContext,
    bundles: tuple[Path, ...],
    max_n: int | None,
    sender: str | None,
    as_json: bool,
) -> None:
    """Attest solvent = 1 bundles (BUNDLE… or a DIR of them, e.g. `epoch prove`'s OUT) with batched
    pairing checks: all are verified in Python first, then sent in transactions of at most --max
    proofs that fit the block. Insolvent bundles found in a DIR are set aside for `chain flag DIR`.

    --json: ``transactions`` (each with tx_hash, gas_used, accounts, gas_per_account), and over all
    of them ``gas_used``, ``accounts``, ``gas_per_account``, ``insolvent`` (bundles set aside);
    ``tx_hash`` is the last transaction's.
    """
    run = ctx.chain().attest_batch(list(bundles), max_n=max_n, sender=sender)
    txs, n = run.transactions, run.accounts
    per = run.gas_used // max(1, n)
    obj = {
        "tx_hash": txs[-1].tx_hash,
        "gas_used": run.gas_used,
        "accounts": n,
        "gas_per_account": per,
        "transactions": [t.as_json() for t in txs],
        "skipped": run.skipped,
        "insolvent": [str(p) for p in run.insolvent],
    }
    lines = [
        f"attested {len(t.accounts)} accounts: tx {t.tx_hash}, gas used {t.gas_used:,} ({t.gas_per_account:,} per account)"
        for t in txs
    ]
    lines.append(f"{n} accounts in {len(txs)} transactions, gas_per_account {per:,}")
    if run.skipped:
        lines.append(f"{len(run.skipped)} skipped, flagged in front of the batch: {', '.join(run.skipped)}")
    if run.insolvent:
        lines.append(f"{len(run.insolvent)} insolvent bundles set aside: flag them with `zksolvency chain flag`")
    _echo(as_json, obj, "\n".join(lines))


@chain_group.command("flag-stale")
@click.argument("addresses", nargs=-1, required=True)
@from_option
@chain_options
@json_option
def chain_flag_stale(ctx: ChainContext, addresses: tuple[str, ...], sender: str | None, as_json: bool) -> None:
    """Flag, in one transaction, every listed account with no attestation for the latest epoch
    once its grace period is over (accounts that are not stale are skipped and listed)."""
    res = ctx.chain().flag_stale([_address(a) for a in addresses], sender)
    lines = [f"flagged {a} stale" for a in res.flagged] + [f"skipped {a} (not stale)" for a in res.skipped]
    text = "\n".join(lines) + f"\ntx {res.tx_hash}, gas used {res.gas_used:,} ({res.gas_per_account:,} per flagged account)"
    _echo(as_json, res.as_json(), text)


@chain_group.command("resolve-flag")
@click.argument("address")
@from_option
@chain_options
@json_option
def chain_resolve(ctx: ChainContext, address: str, sender: str | None, as_json: bool) -> None:
    """Liquidator: clear an account's flag after liquidating or clearing it."""
    res = ctx.chain().resolve_flag(_address(address), sender)
    _report(f"resolved the flag of {address}", res, as_json)


@chain_group.command("advance-time")
@click.argument("seconds", type=click.IntRange(1, 10**9))
@chain_options
@json_option
def chain_advance(ctx: ChainContext, seconds: int, as_json: bool) -> None:
    """Local anvil only: move the chain clock forward (e.g. past a grace period)."""
    ctx.chain().advance_time(seconds)
    _echo(as_json, {"advanced": seconds}, f"advanced {seconds} s")


@chain_group.command("status")
@click.argument("address")
@chain_options
@json_option
def chain_status(ctx: ChainContext, address: str, as_json: bool) -> None:
    """An account's enrollment, index, attestation, flag and stale deadline."""
    st = ctx.chain().status(_address(address))
    if as_json:
        click.echo(json.dumps(st))
        return
    for k, v in st.items():
        click.echo(f"{k:<15} {v}")


COMMANDS = (chain_group,)
