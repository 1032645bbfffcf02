"""``zksolvency chain …``: the EVM side (node, deployment, oracle epochs, attestations, flags)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click
from zksolvency.prover.config import build_dir, load_config, parse_param
from zksolvency.zkcore.errors import InputError

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def _address(value: str, what: str = "ADDRESS") -> str:
    if not _ADDRESS.fullmatch(value):
        raise InputError(what, value, "expected a 20-byte hex address (0x + 40 hex digits)")
    return value


rpc_option = click.option("--rpc", default=None, help="JSON-RPC URL (default: the node of `chain up`, or $ZKSOLVENCY_RPC)")
deployment_option = click.option(
    "--deployment",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="deployment file (default build/chain/deployment.json)",
)
json_option = click.option("--json", "as_json", is_flag=True, help="one JSON object")
from_option = click.option("--from", "sender", default=None, help="sender address (default: the node's first account)")


def _chain(rpc: str | None, deployment: Path | None) -> Any:
    from zksolvency.onchain.client import Chain, resolve_rpc

    return Chain(resolve_rpc(rpc), deployment)


def _report(what: str, res: Any, as_json: bool, extra: dict[str, object] | None = None) -> None:
    if as_json:
        click.echo(json.dumps({**res.as_json(), **(extra or {})}))
    else:
        click.echo(f"{what}: tx {res.tx_hash}, gas used {res.gas_used:,}")


@click.group("chain")
def chain_group() -> None:
    """The EVM side: node, deployment, oracle epochs, registration, attestations and flags."""


@chain_group.command("up")
@click.option("--port", type=int, default=None, help="loopback port (default: a free one)")
def chain_up(port: int | None) -> None:
    """Start a local anvil in the background and record it."""
    from zksolvency.onchain import anvil
    from zksolvency.onchain.client import chain_dir, node_record

    rec = node_record()
    if rec.is_file():
        data = json.loads(rec.read_text())
        if anvil.rpc_alive(data["rpc"]):
            click.echo(f"already running: {data['rpc']} (pid {data['pid']})")
            return
    node = anvil.start(chain_dir(), port=port)
    rec.parent.mkdir(parents=True, exist_ok=True)
    rec.write_text(json.dumps(node.as_json()))
    click.echo(f"anvil running at {node.rpc} (pid {node.pid}); stop it with `zksolvency chain down`")


@chain_group.command("down")
def chain_down() -> None:
    """Stop the anvil that `chain up` started."""
    from zksolvency.onchain import anvil
    from zksolvency.onchain.client import node_record

    rec = node_record()
    if not rec.is_file():
        click.echo("no node recorded")
        return
    data = json.loads(rec.read_text())
    stopped = anvil.stop(int(data["pid"]))
    rec.unlink()
    click.echo(f"stopped {data['rpc']}" if stopped else f"{data['rpc']} was not running")


@chain_group.command("deploy")
@click.option("--config", "config_name", default="default", show_default=True, help="circuit instance whose verifier to deploy")
@click.option("--param", "params", multiple=True, metavar="NAME=N", help="instance parameter override")
@click.option("--grace", "grace", type=click.IntRange(0, 2**63), default=3600, show_default=True, help="grace period in seconds")
@click.option("--liquidator", default=None, help="liquidator address (default: the deployer)")
@click.option(
    "--allow-insecure-key", is_flag=True, help="deploy a key labelled insecure-beacon or unknown (anyone may forge proofs)"
)
@rpc_option
@deployment_option
@json_option
def chain_deploy(
    config_name: str,
    params: tuple[str, ...],
    grace: int,
    liquidator: str | None,
    allow_insecure_key: bool,
    rpc: str | None,
    deployment: Path | None,
    as_json: bool,
) -> None:
    """Compile (solc-js) and deploy the verifier, the oracle and the registry."""
    cfg = load_config(config_name, dict(parse_param(p) for p in params))
    sol = build_dir() / cfg.name / "Groth16Verifier.sol"
    if not sol.is_file():
        raise InputError(str(sol), None, f"no verifier for {cfg.name}: run `zksolvency setup --config {config_name}` first")
    from zksolvency.onchain.client import deployable_key

    deployable_key(sol, allow_insecure_key)  # refuse before touching the node
    ch = _chain(rpc, deployment)
    dep = ch.deploy(
        sol, cfg.name, grace, _address(liquidator, "--liquidator") if liquidator else None, allow_insecure_key=allow_insecure_key
    )
    if as_json:
        click.echo(
            json.dumps({k: dep[k] for k in ("chain_id", "circuit", "verifier", "oracle", "registry", "grace_period", "gas_used")})
        )
        return
    for k in ("verifier", "oracle", "registry"):
        click.echo(f"{k:<9} {dep[k]}  (gas {dep['gas_used'][k]:,})")
    click.echo(f"deployment written to {ch.deployment_file}")


@chain_group.command("publish")
@click.argument("market", type=click.Path(path_type=Path, dir_okay=False))
@from_option
@rpc_option
@deployment_option
@json_option
def chain_publish(market: Path, sender: str | None, rpc: str | None, deployment: Path | None, as_json: bool) -> None:
    """Publish a market's epoch and root on the oracle."""
    from zksolvency.zkcore.commitment import market_root
    from zksolvency.zkcore.field import hex32
    from zksolvency.zkcore.models import load_market

    m = load_market(market)
    root = market_root(m)
    res = _chain(rpc, deployment).publish(m.epoch, root, sender)
    _report(f"published epoch {m.epoch} root {hex32(root)}", res, as_json, {"epoch": m.epoch, "market_root": hex32(root)})


@chain_group.command("register")
@click.argument("account", type=click.Path(path_type=Path, dir_okay=False))
@rpc_option
@deployment_option
@json_option
def chain_register(account: Path, rpc: str | None, deployment: Path | None, as_json: bool) -> None:
    """Register an account's commitment, sent from the account's own address."""
    from zksolvency.zkcore.commitment import account_commitment
    from zksolvency.zkcore.field import hex32
    from zksolvency.zkcore.models import load_account

    a = load_account(account)
    c = account_commitment(a)
    res = _chain(rpc, deployment).register(a.account, c)
    _report(f"registered {a.account} commitment {hex32(c)}", res, as_json, {"commitment": hex32(c)})


def _submit(
    kind: str, bundle: Path, sender: str | None, rpc: str | None, deployment: Path | None, as_json: bool, precheck: bool
) -> None:
    from zksolvency.verifier.verify import read_bundle, verify_bundle

    ch = _chain(rpc, deployment)
    if precheck:  # don't spend gas on a proof the Python verifier refuses, against the DEPLOYED key
        v = verify_bundle(bundle, keys=ch.verification_key())
        if v.solvent != (kind == "attest"):
            want = "solvent = 1" if kind == "attest" else "solvent = 0"
            raise InputError(
                str(bundle), "claims.solvent", f"this command needs a {want} proof (use --no-precheck to send anyway)"
            )
    raw = read_bundle(bundle)
    res = ch.submit_proof(kind, raw, sender)
    verb = "attested" if kind == "attest" else "flagged for liquidation"
    _report(f"{verb} {raw['claims']['account']} at epoch {raw['claims']['epoch']}", res, as_json)


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
@rpc_option
@deployment_option
@json_option
def chain_attest(
    bundle: Path, sender: str | None, precheck: bool, rpc: str | None, deployment: Path | None, as_json: bool
) -> None:
    """Submit a solvent = 1 bundle: attest the account for the latest epoch."""
    _submit("attest", bundle, sender, rpc, deployment, as_json, precheck)


@chain_group.command("flag")
@click.argument("bundle", type=click.Path(path_type=Path, dir_okay=False))
@from_option
@precheck_option
@rpc_option
@deployment_option
@json_option
def chain_flag(bundle: Path, sender: str | None, precheck: bool, rpc: str | None, deployment: Path | None, as_json: bool) -> None:
    """Submit a solvent = 0 bundle: flag the account for liquidation."""
    _submit("flag", bundle, sender, rpc, deployment, as_json, precheck)


@chain_group.command("flag-stale")
@click.argument("address")
@from_option
@rpc_option
@deployment_option
@json_option
def chain_flag_stale(address: str, sender: str | None, rpc: str | None, deployment: Path | None, as_json: bool) -> None:
    """Flag an account with no attestation for the latest epoch after the grace period."""
    res = _chain(rpc, deployment).flag_stale(_address(address), sender)
    _report(f"flagged {address} stale", res, as_json)


@chain_group.command("advance-time")
@click.argument("seconds", type=click.IntRange(1, 10**9))
@rpc_option
@deployment_option
def chain_advance(seconds: int, rpc: str | None, deployment: Path | None) -> None:
    """Local anvil only: move the chain clock forward (e.g. past a grace period)."""
    _chain(rpc, deployment).advance_time(seconds)
    click.echo(f"advanced {seconds} s")


@chain_group.command("status")
@click.argument("address")
@rpc_option
@deployment_option
@json_option
def chain_status(address: str, rpc: str | None, deployment: Path | None, as_json: bool) -> None:
    """An account's registration, attestation and flag."""
    st = _chain(rpc, deployment).status(_address(address))
    if as_json:
        click.echo(json.dumps(st))
        return
    for k, v in st.items():
        click.echo(f"{k:<15} {v}")


COMMANDS = (chain_group,)
