"""``ledger build`` and ``statement verify``: the venue's ledger and the trader's check (SPEC §3)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import zksolvency
from zksolvency.cli.app import build_option, config_option
from zksolvency.zkcore.errors import InputError

_file = click.Path(path_type=Path, dir_okay=False)


@click.group()
def ledger() -> None:
    """The venue's ledger: one Poseidon Merkle root over every account's book per epoch."""


@ledger.command("build")
@click.argument("accounts", type=_file, nargs=-1, required=True)
@click.option("--market", type=_file, required=True, help="the epoch's market.json (accounts are checked against it)")
@click.option("--indices", type=_file, default=None, help='account indices {"0x…": 3, …} (default: argument order from 0)')
@click.option("--depth", type=int, default=None, help="ledger depth (default: LD of the circuit instance)")
@config_option
@click.option("-o", "--out", "out", type=click.Path(path_type=Path, file_okay=False), required=True, help="directory to write")
def build(
    accounts: tuple[Path, ...], market: Path, indices: Path | None, depth: int | None, config_name: str | None, out: Path
) -> None:
    """Write OUT/ledger.json (public) and OUT/statements/<address>.json (one private statement each)."""
    built = zksolvency.build_ledger(list(accounts), market, out, indices=indices, depth=depth, config=config_name)
    info = built.info
    click.echo(f"ledger of {len(info.accounts)} accounts, epoch {info.epoch}, depth {info.depth} -> {out}")
    click.echo(f"root {info.as_json()['root']}")


@click.group()
def statement() -> None:
    """A trader's statement from the venue: their book, index and Merkle path."""


@statement.command("verify")
@click.argument("statement_file", metavar="STATEMENT", type=_file)
@click.option("--ledger", "ledger_file", type=_file, default=None, help="the venue's published ledger.json")
@click.option("--rpc", default=None, help="check against the root the venue published on chain (JSON-RPC URL)")
@click.option(
    "--deployment", type=_file, default=None, help="with --rpc: the deployment file (default BUILD/chain/deployment.json)"
)
@build_option
@click.option("--account", type=_file, default=None, help="your own account.json: the statement's book must equal it")
@click.option("--json", "as_json", is_flag=True, help="one JSON object")
def verify(
    statement_file: Path,
    ledger_file: Path | None,
    rpc: str | None,
    deployment: Path | None,
    build: Path | None,
    account: Path | None,
    as_json: bool,
) -> None:
    """Check the venue committed to this book at this index under the published root (from
    --ledger, or read from the registry with --rpc). Exit 0 ok, 1 mismatch."""
    if (ledger_file is None) == (rpc is None):
        raise InputError("--ledger/--rpc", None, "give exactly one: the published ledger.json or the chain's --rpc URL")
    if rpc is not None:
        check = zksolvency.verify_statement_on_chain(
            statement_file, rpc=rpc, deployment=deployment, build_dir=build, account=account
        )
    else:
        check = zksolvency.verify_statement(statement_file, ledger=ledger_file, account=account)
    if as_json:
        click.echo(json.dumps(check.as_json()))
    elif check.ok:
        click.echo(f"OK — the ledger of epoch {check.epoch} commits to this book for {check.address} at index {check.index}")
    else:
        click.echo(f"MISMATCH — {statement_file}:", err=True)
        for p in check.problems:
            click.echo(f"  {p}", err=True)
    if not check.ok:
        raise click.exceptions.Exit(1)


COMMANDS = (ledger, statement)
