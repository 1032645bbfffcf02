"""The root ``zksolvency`` group: one-line errors, shared options, and the command modules.

Exit codes: 0 success (``verify``: valid proof), 1 invalid proof or tool failure, 2 bad input.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path
from typing import Any

import click
from zksolvency.zkcore.errors import InputError, ZkSolvencyError


class Abort(click.ClickException):
    """A one-line failure with its own exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.exit_code = code  # type: ignore[misc]  # click reads it per instance

    def show(self, file: Any = None) -> None:
        """Print ``error: message`` on stderr, nothing else."""
        click.echo(f"error: {self.message}", err=True)


#: Library parameters an InputError may name (as its file), and the flag a user of the CLI gave
#: them with: the library names what the caller passed, the CLI what the user typed.
PARAM_FLAGS = {
    "prover": "--prover",
    "grace_period": "--grace",
    "ledger_grace": "--ledger-grace",
    "ledger": "--ledger",
    "depth": "--depth",
    "params": "--param",
    "ptau_trust": "--ptau-trust",
    "ptau_blake2b": "--ptau-blake2b",
    "ray_address": "--ray",
    "config": "--config",
    "max_n": "--max",
    "rpc": "--rpc",
    "venue": "--venue",
    "liquidator": "--liquidator",
    "admin": "--admin",
    "guardian": "--guardian",
    "token": "--token",
    "vault": "--vault",
    "sender": "--from",
    "to": "--to",
    "account": "ADDRESS",
    "amount": "AMOUNT",
    "min_bounty": "--min-bounty",
    "max_bounty_bps": "--max-bounty-bps",
    "auction_duration": "--auction",
    "penalty_bps": "--penalty-bps",
    "slice_bps": "--slice-bps",
    "cooldown": "--cooldown",
    "cure_window": "--cure",
    "token_price_eth": "--token-price-eth",
    "min_profit_eth": "--min-profit",
}


class ZkGroup(click.Group):
    """Turns project errors (and stray exceptions) into one line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; map errors to exit codes (and library parameters to their flags)."""
        try:
            return super().invoke(ctx)
        except InputError as e:
            # only the file position names a parameter; a field is a file's own (ledger.json's
            # `depth` is not the --depth flag)
            shown = InputError(PARAM_FLAGS.get(e.file, e.file), e.field, e.message)
            raise Abort(str(shown), e.exit_code) from None
        except ZkSolvencyError as e:
            raise Abort(str(e), e.exit_code) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, KeyboardInterrupt):
            raise
        except Exception as e:
            if os.environ.get("ZKSOLVENCY_DEBUG"):
                traceback.print_exc()
            raise Abort(f"internal error: {type(e).__name__}: {e} (set ZKSOLVENCY_DEBUG=1 for a traceback)", 1) from None


def params_dict(params: tuple[str, ...]) -> dict[str, int]:
    """``("K=16", …)`` -> ``{"K": 16, …}`` (bad text is an InputError)."""
    from zksolvency.prover.config import parse_param

    return dict(parse_param(p) for p in params)


config_option = click.option(
    "--config",
    "config_name",
    default=None,
    help="circuit instance from circuits/circuits.json (default: $ZKSOLVENCY_CONFIG or 'default')",
)
param_option = click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=N",
    help="override an instance parameter (K, A, S, T, D, DC, LD); repeatable",
)
prover_option = click.option(
    "--prover",
    type=click.Choice(("native", "snarkjs")),
    default=None,
    help="who proves: the native prover (the default where it is built) or snarkjs; every proof is verified first",
)
build_option = click.option(
    "--build-dir",
    "build",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="artifact directory (default: .zksolvency/ in the checkout, or $ZKSOLVENCY_BUILD)",
)


@click.group(cls=ZkGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="zksolvency")
def main() -> None:
    """zksolvency: zero-knowledge proofs that a margin account is solvent."""


def _register() -> None:
    from zksolvency.cli import chain, demo, epoch, inputs, keeper, ledger, market, proofs, vault

    for module in (inputs, proofs, ledger, market, chain, epoch, keeper, vault, demo):
        for command in module.COMMANDS:
            main.add_command(command)


_register()


def run() -> None:
    """Console-script entry point."""
    main(prog_name="zksolvency")
