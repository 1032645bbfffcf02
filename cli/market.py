"""``zksolvency market …``: oracle-side tools for market files."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("market")
def market_group() -> None:
    """Oracle-side tools for market files."""


@market_group.command("build")
@click.argument("spec", type=click.Path(path_type=Path, dir_okay=False))
@click.option("-o", "--out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="market.json to write")
def market_build(spec: Path, out: Path) -> None:
    """Build market.json from instrument definitions: marks, tiers, Black-Scholes SPAN risk arrays."""
    from zksolvency.oracle.marketbuild import write_market
    from zksolvency.zkcore.commitment import market_root
    from zksolvency.zkcore.field import hex32
    from zksolvency.zkcore.models import load_market

    m = write_market(spec, out)
    n_opt = sum(1 for i in m["instruments"] if i["scenario_pnl"])
    root = hex32(market_root(load_market(out)))
    click.echo(f"wrote {out}: epoch {m['epoch']}, {len(m['instruments'])} instruments ({n_opt} with risk arrays), root {root}")


COMMANDS = (market_group,)
