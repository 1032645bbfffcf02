"""``zksolvency`` command line (click). Every project error becomes one line and an exit code.

Exit codes: 0 success (``verify``: valid proof), 1 invalid proof or tool failure, 2 bad input.
"""

from __future__ import annotations

import json
import os
import traceback
from pathlib import Path
from typing import Any

import click

from prover.config import CircuitConfig, build_dir, load_config, parse_param
from zkcore.errors import ZkSolvencyError


class Abort(click.ClickException):
    """A one-line failure with its own exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.exit_code = code  # type: ignore[misc]  # click reads it per instance

    def show(self, file: Any = None) -> None:
        """Print ``error: message`` on stderr, nothing else."""
        click.echo(f"error: {self.message}", err=True)


class ZkGroup(click.Group):
    """Turns project errors (and stray exceptions) into one line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; map errors to exit codes."""
        try:
            return super().invoke(ctx)
        except ZkSolvencyError as e:
            raise Abort(str(e), e.exit_code) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, KeyboardInterrupt):
            raise
        except Exception as e:
            if os.environ.get("ZKSOLVENCY_DEBUG"):
                traceback.print_exc()
            raise Abort(f"internal error: {type(e).__name__}: {e} (set ZKSOLVENCY_DEBUG=1 for a traceback)", 1) from None


def _config(name: str, params: tuple[str, ...]) -> CircuitConfig:
    return load_config(name, dict(parse_param(p) for p in params))


def _build(build: Path | None) -> Path:
    return build if build is not None else build_dir()


config_option = click.option(
    "--config", "config_name", default="default", show_default=True, help="circuit instance from circuits/circuits.json"
)
param_option = click.option(
    "--param", "params", multiple=True, metavar="NAME=N", help="override an instance parameter (K, A, S, T, D, DC); repeatable"
)
build_option = click.option(
    "--build-dir",
    "build",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="artifact directory (default: build/ or $ZKSOLVENCY_BUILD)",
)


@click.group(cls=ZkGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="zksolvency")
def main() -> None:
    """zksolvency: zero-knowledge proofs that a margin account is solvent."""


@main.command()
@click.argument("account", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("market", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="one JSON object with decimal strings")
def check(account: Path, market: Path, as_json: bool) -> None:
    """Reference computation (no proof): equity, tiered and scenario margin, verdict."""
    from prover.engine import margin_report
    from zkcore.models import load_account, load_market

    m = load_market(market)
    a = load_account(account, m, market)
    report = margin_report(a, m)
    data = report.as_json()
    if as_json:
        click.echo(json.dumps(data))
        return
    click.echo(f"account          {a.account}")
    click.echo(f"epoch            {m.epoch}")
    for key in ("collateral_value", "pnl", "equity", "tiered_mm", "scenario_mm", "maintenance"):
        click.echo(f"{key:<17}{data[key]:>24}")
    click.echo(
        f"verdict          {'SOLVENT' if report.solvent else 'INSOLVENT'} (equity {'>=' if report.solvent else '<'} maintenance)"
    )


@main.command()
@click.argument("account", type=click.Path(path_type=Path, dir_okay=False))
def commit(account: Path) -> None:
    """Print the account commitment (0x + 32 bytes)."""
    from zkcore.commitment import account_commitment
    from zkcore.field import hex32
    from zkcore.models import load_account

    click.echo(hex32(account_commitment(load_account(account))))


@main.command("market-root")
@click.argument("market", type=click.Path(path_type=Path, dir_okay=False))
def market_root_cmd(market: Path) -> None:
    """Print the market root (0x + 32 bytes) of one epoch."""
    from zkcore.commitment import market_root
    from zkcore.field import hex32
    from zkcore.models import load_market

    click.echo(hex32(market_root(load_market(market))))


@main.command()
@config_option
@param_option
@build_option
@click.option(
    "--ptau",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="public ceremony ptau (e.g. powersOfTau28_hez_final_16.ptau)",
)
@click.option("--force", is_flag=True, help="redo every step even when cached")
def setup(config_name: str, params: tuple[str, ...], build: Path | None, ptau: Path | None, force: bool) -> None:
    """Compile the circuit, run the Groth16 setup (phase 2 included), export keys and verifier."""
    from prover.setup import copy_public_artifacts
    from prover.setup import setup as run_setup

    cfg = _config(config_name, params)
    b = _build(build)
    art = run_setup(cfg, b, ptau, force=force)
    copy_public_artifacts(art, b)
    m = art.read_manifest()
    r1cs = m.get("r1cs", {})
    constraints = r1cs.get("constraints", "?") if isinstance(r1cs, dict) else "?"
    click.echo(f"circuit        {cfg.name} ({constraints} constraints)")
    click.echo(f"setup          {m.get('ptau', '?')}")
    click.echo(f"proving key    {art.zkey}")
    click.echo(f"verification   {b / 'verification_key.json'}")
    click.echo(f"solidity       {b / 'Groth16Verifier.sol'}")


@main.command()
@click.argument("account", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("market", type=click.Path(path_type=Path, dir_okay=False))
@click.option("-o", "--out", "out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="bundle file to write")
@config_option
@param_option
@build_option
def prove(account: Path, market: Path, out: Path, config_name: str, params: tuple[str, ...], build: Path | None) -> None:
    """Prove the account's verdict (solvent or not) and write a proof bundle."""
    from prover.prove import prove as run_prove

    result = run_prove(account, market, out, _config(config_name, params), _build(build))
    claims = result.bundle["claims"]
    assert isinstance(claims, dict)
    verdict = "SOLVENT" if claims["solvent"] else "INSOLVENT"
    click.echo(f"proved {verdict} for {claims['account']} at epoch {claims['epoch']} in {result.seconds:.1f}s -> {out}")


@main.command()
@click.argument("bundle", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--market",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="check the proof is for this market (root and epoch)",
)
@click.option("--commitment", default=None, metavar="HEX", help="check the proof is for this account commitment")
@click.option(
    "--vkey",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="verification key (default: the bundle circuit's key under build/)",
)
@click.option("--json", "as_json", is_flag=True, help="one JSON object")
def verify(bundle: Path, market: Path | None, commitment: str | None, vkey: Path | None, as_json: bool) -> None:
    """Verify a proof bundle in Python (py_ecc BN254): attest or flag. Exit 0 valid, 1 invalid."""
    from verifier.groth16 import InvalidProof
    from verifier.verify import verify_bundle

    try:
        v = verify_bundle(bundle, vkey=vkey, market=market, commitment=commitment)
    except InvalidProof as e:
        if as_json:
            click.echo(json.dumps({"valid": False, "reason": str(e)}))
            raise click.exceptions.Exit(1) from None
        raise Abort(f"INVALID: {e}", 1) from None
    if as_json:
        click.echo(json.dumps(v.as_json()))
        return
    click.echo(v.headline)
    epoch_note = "" if v.epoch_checked else " (as claimed; pass --market to check it)"
    click.echo(f"  account     {v.account}")
    click.echo(f"  commitment  {v.commitment}")
    click.echo(f"  market root {v.market_root}")
    click.echo(f"  epoch       {v.epoch}{epoch_note}")


@main.command("verify-batch")
@click.argument("bundles", type=click.Path(path_type=Path, dir_okay=False), nargs=-1, required=True)
@click.option(
    "--market", type=click.Path(path_type=Path, dir_okay=False), default=None, help="check every proof is for this market"
)
@click.option("--vkey", type=click.Path(path_type=Path, dir_okay=False), default=None, help="verification key for every bundle")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per bundle, one per line")
def verify_batch_cmd(bundles: tuple[Path, ...], market: Path | None, vkey: Path | None, as_json: bool) -> None:
    """Verify many bundles with one batched pairing check; name every bundle that fails."""
    from verifier.verify import Verdict, verify_batch

    result = verify_batch(list(bundles), vkey=vkey, market=market)
    for path, r in result.results:
        if as_json:
            obj = (
                {"bundle": str(path), **r.as_json()}
                if isinstance(r, Verdict)
                else {"bundle": str(path), "valid": False, "reason": r}
            )
            click.echo(json.dumps(obj))
        else:
            click.echo(f"{path}: {r.headline}" if isinstance(r, Verdict) else f"{path}: INVALID: {r}")
    if not result.all_valid:
        raise click.exceptions.Exit(1)


@main.command()
@config_option
@param_option
@build_option
def demo(config_name: str, params: tuple[str, ...], build: Path | None) -> None:
    """The whole story on an embedded local chain: prove, verify, deploy, attest, flag."""
    from prover.demo import run_demo

    run_demo(_config(config_name, params), _build(build))


def _register_groups() -> None:
    from prover.cli_chain import chain_group, market_group

    main.add_command(market_group)
    main.add_command(chain_group)


_register_groups()


def run() -> None:
    """Console-script entry point."""
    main(prog_name="zksolvency")


if __name__ == "__main__":
    run()
