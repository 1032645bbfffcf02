"""What the gas benches (batch, registry, vault) share: the test circuit's keys and a work folder
of their own per verification key, so proofs made for one set of keys are reused, never mixed."""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

from zksolvency.prover.config import CircuitConfig, build_dir, load_config
from zksolvency.prover.setup import Artifacts


def test_keys(description: str | None, name: str) -> tuple[CircuitConfig, Artifacts, Path, Path]:
    """Parse ``--build``, set up the test circuit (cached) and make the bench's work folder
    ``<build>/bench-<name>/<vkey digest>``; returns (config, artifacts, build, work)."""
    from zksolvency.prover.setup import setup

    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--build", type=Path, default=None, help="build directory (default: .zksolvency/)")
    args = ap.parse_args()
    build = args.build or build_dir()
    cfg = load_config("test")
    art = setup(cfg, build)
    work = build / f"bench-{name}" / hashlib.sha256(art.vkey.read_bytes()).hexdigest()[:16]
    work.mkdir(parents=True, exist_ok=True)
    return cfg, art, build, work
