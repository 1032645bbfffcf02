"""``epoch prove``: a whole ledger against the epoch's market, locally or on Ray (SPEC §7)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from zksolvency.cli.app import build_option, config_option, param_option, params_dict, prover_option


@click.group("epoch")
def epoch_group() -> None:
    """A venue's epoch: prove every account of a ledger."""


@epoch_group.command("prove")
@click.argument("ledger_dir", type=click.Path(path_type=Path, file_okay=False))
@click.argument("market", type=click.Path(path_type=Path, dir_okay=False))
@click.option("-o", "--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="directory of bundles")
@click.option("--workers", type=click.IntRange(1, 1024), default=None, help="parallel provers (default: from cores and memory)")
@click.option(
    "--ray", "ray_address", default=None, metavar="ADDRESS", help="run on Ray: 'auto' (local instance) or a cluster address"
)
@click.option("--quiet", is_flag=True, help="one log line per account instead of a progress bar")
@prover_option
@config_option
@param_option
@build_option
def epoch_prove(
    ledger_dir: Path,
    market: Path,
    out: Path,
    workers: int | None,
    ray_address: str | None,
    quiet: bool,
    prover: str | None,
    config_name: str | None,
    params: tuple[str, ...],
    build: Path | None,
) -> None:
    """Prove every statement of LEDGER_DIR; a rerun proves only what is missing. Exit 0 when all are proven."""
    import zksolvency
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    from zksolvency.prover.epoch import Outcome

    progress = Progress(
        TextColumn("[bold]epoch prove"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} accounts/min"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        disable=quiet,
        transient=False,
    )
    task = progress.add_task("prove", total=None, rate="-")

    def on_plan(total: int, valid: int) -> None:
        progress.update(task, total=total)
        click.echo(f"{total} accounts to prove, {valid} already have a valid bundle", err=True)

    def on_outcome(o: Outcome, done: int, total: int) -> None:
        elapsed = progress.tasks[0].elapsed or 0.0
        progress.update(task, completed=done, rate=f"{60 * done / elapsed:.1f}" if elapsed > 0 else "-")
        if quiet or not o.ok:
            what = (f"{'SOLVENT' if o.solvent else 'INSOLVENT'} ({o.prover})") if o.ok else f"FAILED: {o.error}"
            progress.console.print(f"[{done}/{total}] {o.account} {what} ({o.seconds:.1f}s)", highlight=False)

    with progress:
        report = zksolvency.prove_epoch(
            ledger_dir,
            market,
            out,
            config=config_name,
            params=params_dict(params),
            build_dir=build,
            workers=workers,
            ray_address=ray_address,
            prover=prover,
            on_plan=on_plan,
            on_outcome=on_outcome,
        )
    click.echo(json.dumps(report.as_json()))
    if report.failed:
        raise click.exceptions.Exit(1)


COMMANDS = (epoch_group,)
