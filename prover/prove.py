"""``prove``: statement + market -> Groth16 proof bundle (SPEC §4), for either verdict."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from zksolvency.prover import tools
from zksolvency.prover.config import CircuitConfig
from zksolvency.prover.engine import MarginReport, margin_report
from zksolvency.prover.setup import Artifacts, setup
from zksolvency.prover.witness import LedgerOpening, build_input
from zksolvency.zkcore.bundle import make_bundle, pack_account_index, write_atomic
from zksolvency.zkcore.commitment import account_commitment, cached_market_commitment
from zksolvency.zkcore.errors import InputError, ToolError
from zksolvency.zkcore.field import hex32
from zksolvency.zkcore.ledger import Statement, load_statement, root_from_path
from zksolvency.zkcore.models import check_account_against_market, load_market


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


def opening_of(st: Statement, path: Path) -> LedgerOpening:
    """The statement's ledger opening; refuses a path that does not lead to its own root."""
    if root_from_path(account_commitment(st.account), st.index, st.path) != st.ledger_root:
        raise InputError(
            str(path), "path", f"the book at index {st.index} with this path does not lead to ledger_root {hex32(st.ledger_root)}"
        )
    return LedgerOpening(st.index, st.path, st.ledger_root)


def prove(statement_path: Path, market_path: Path, out: Path, cfg: CircuitConfig, build: Path) -> ProveResult:
    """Validate the inputs, prove, cross-check the public signals and write the bundle atomically."""
    check_output_path(out)
    market = load_market(market_path)
    st = load_statement(statement_path)
    try:
        check_account_against_market(st.account, market, statement_path, market_path)
    except InputError as e:
        raise InputError(e.file, f"book.{e.field}", e.message) from None
    if st.epoch != market.epoch:
        msg = f"the statement is for epoch {st.epoch}, {market_path} for epoch {market.epoch}"
        raise InputError(str(statement_path), "epoch", msg)
    opening = opening_of(st, statement_path)
    mc = cached_market_commitment(market, build / "cache")
    signals_in = build_input(st.account, market, cfg, mc, opening)
    report = margin_report(st.account, market)
    art: Artifacts = setup(cfg, build)
    t = time.monotonic()
    proof, public = tools.groth16_fullprove(signals_in, art.wasm, art.zkey)
    seconds = time.monotonic() - t
    expected = [int(report.solvent), pack_account_index(st.address, st.index), st.ledger_root, mc.root]
    if [int(x) for x in public] != expected:
        raise ToolError(f"the circuit's public signals {public} disagree with the reference {expected}")
    bundle = make_bundle(cfg.name, json.loads(art.vkey.read_text()), proof, public, market.epoch)
    write_atomic(out, json.dumps(bundle, indent=1) + "\n")
    return ProveResult(bundle, report, seconds)
