"""``check``, ``commit``, ``market-root``: reference numbers, ledger leaves and roots, no proof."""

from __future__ import annotations

import json
from pathlib import Path

import click
import zksolvency

_file = click.Path(path_type=Path, dir_okay=False)


@click.command()
@click.argument("account", type=_file)
@click.argument("market", type=_file)
@click.option("--json", "as_json", is_flag=True, help="one JSON object with decimal strings")
def check(account: Path, market: Path, as_json: bool) -> None:
    """Reference computation (no proof): equity, tiered and scenario margin, verdict."""
    report = zksolvency.check(account, market)
    data = report.as_json()
    if as_json:
        click.echo(json.dumps(data))
        return
    click.echo(f"account          {report.account}")
    click.echo(f"epoch            {report.epoch}")
    for key in ("collateral_value", "pnl", "equity", "tiered_mm", "scenario_mm", "maintenance"):
        click.echo(f"{key:<17}{data[key]:>24}")
    verdict = "SOLVENT (equity >= maintenance)" if report.solvent else "INSOLVENT (equity < maintenance)"
    click.echo(f"verdict          {verdict}")


@click.command()
@click.argument("account", type=_file)
def commit(account: Path) -> None:
    """Print the account's ledger leaf: its commitment (0x + 32 bytes)."""
    click.echo(zksolvency.commit(account))


@click.command("market-root")
@click.argument("market", type=_file)
def market_root(market: Path) -> None:
    """Print the market root (0x + 32 bytes) of one epoch."""
    click.echo(zksolvency.market_root(market))


COMMANDS = (check, commit, market_root)
