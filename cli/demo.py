"""``demo``: the whole venue story on an embedded local chain."""

from __future__ import annotations

from pathlib import Path

import click
from zksolvency.cli.app import build_option, config_option, param_option, params_dict


@click.command()
@config_option
@param_option
@build_option
def demo(config_name: str | None, params: tuple[str, ...], build: Path | None) -> None:
    """The whole story on an embedded local chain: prove, verify, deploy, attest, flag."""
    from zksolvency.demo import run_demo
    from zksolvency.prover.config import build_dir, load_config

    run_demo(load_config(config_name, params_dict(params)), build if build is not None else build_dir())


COMMANDS = (demo,)
