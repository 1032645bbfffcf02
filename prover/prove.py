"""``prove``: account + market -> Groth16 proof bundle (SPEC §4), for either verdict."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from zksolvency.prover import tools
from zksolvency.prover.config import CircuitConfig
from zksolvency.prover.engine import MarginReport, margin_report
from zksolvency.prover.setup import Artifacts, setup
from zksolvency.prover.witness import build_input
from zksolvency.zkcore.bundle import BUNDLE_FORMAT, claims_from_signals, vkey_digest, write_atomic
from zksolvency.zkcore.commitment import cached_market_commitment
from zksolvency.zkcore.errors import InputError, ToolError
from zksolvency.zkcore.models import load_account, load_market


@dataclass(frozen=True)
class ProveResult:
    """A written bundle, the reference report it agrees with, and how long proving took."""

    bundle: dict[str, object]
    report: MarginReport
    seconds: float


def check_output_path(out: Path) -> None:
    """Refuse an output path whose directory does not exist, before any work is done."""
    if not out.parent.exists() or not out.parent.is_dir():
        raise InputError(str(out), None, "the output directory does not exist")
    if out.exists() and out.is_dir():
        raise InputError(str(out), None, "is a directory")


def prove(account_path: Path, market_path: Path, out: Path, cfg: CircuitConfig, build: Path) -> ProveResult:
    """Validate the inputs, prove, cross-check the public signals and write the bundle atomically."""
    check_output_path(out)
    market = load_market(market_path)
    account = load_account(account_path, market, market_path)
    mc = cached_market_commitment(market, build / "cache")
    signals_in = build_input(account, market, cfg, mc)
    report = margin_report(account, market)
    art: Artifacts = setup(cfg, build)
    t = time.monotonic()
    proof, public = tools.groth16_fullprove(signals_in, art.wasm, art.zkey)
    seconds = time.monotonic() - t
    claims = claims_from_signals([int(x) for x in public], market.epoch)
    expected = [int(report.solvent), int(str(signals_in["account"])), int(str(signals_in["commitment"])), mc.root]
    if [int(x) for x in public] != expected:
        raise ToolError(f"the circuit's public signals {public} disagree with the reference {expected}")
    bundle: dict[str, object] = {
        "format": BUNDLE_FORMAT,
        "circuit": cfg.name,
        "vkey_sha256": vkey_digest(json.loads(art.vkey.read_text())),
        "proof": proof,
        "public_signals": public,
        "claims": claims,
    }
    write_atomic(out, json.dumps(bundle, indent=1) + "\n")
    return ProveResult(bundle, report, seconds)
