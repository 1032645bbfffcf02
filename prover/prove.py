"""``prove``: statement + market -> Groth16 proof bundle (SPEC §4), for either verdict."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from zksolvency.prover.config import CircuitConfig
from zksolvency.prover.engine import MarginReport, margin_report
from zksolvency.prover.setup import Artifacts, artifacts_for, setup
from zksolvency.prover.witness import LedgerOpening, build_input
from zksolvency.zkcore.bundle import make_bundle, pack_account_index
from zksolvency.zkcore.commitment import MarketCommitment, account_commitment, cached_market_commitment
from zksolvency.zkcore.errors import InputError, ToolError
from zksolvency.zkcore.field import hex32
from zksolvency.zkcore.files import write_atomic
from zksolvency.zkcore.ledger import Statement, load_statement
from zksolvency.zkcore.merkle import root_from_path
from zksolvency.zkcore.models import Market, check_account_against_market, load_market
from zksolvency.zkcore.paths import StrPath


@dataclass(frozen=True)
class ProveResult:
    """A written bundle, the reference report it agrees with, how long proving took, and which
    prover made it (``fallback``: why the native prover did not, when it fell back to snarkjs)."""

    bundle: dict[str, object]
    report: MarginReport
    seconds: float
    prover: str = "snarkjs"
    fallback: str | None = None


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


@dataclass(frozen=True)
class Prepared:
    """One statement checked and laid out for the circuit, with what its proof must say."""

    statement: Statement
    input: dict[str, object]
    expected: list[int]
    report: MarginReport


@dataclass(frozen=True)
class Job:
    """One account to prove: its statement and where its bundle goes."""

    account: str
    statement: Path
    out: Path


@dataclass(frozen=True)
class EpochPlan:
    """An epoch's work: the accounts still to prove, and those whose bundle already verifies."""

    jobs: list[Job]
    valid: dict[str, bool]  # address -> solvent, for bundles that verify for this ledger and market


@dataclass(frozen=True)
class EpochContext:
    """Everything that one market and one circuit fix, loaded once and shared by many statements.

    ``prove`` uses it for one account; ``epoch prove`` workers keep one for a whole ledger.
    """

    cfg: CircuitConfig
    market_path: Path
    market: Market
    mc: MarketCommitment
    artifacts: Artifacts

    @classmethod
    def load(cls, cfg: CircuitConfig, build: Path, market_path: Path) -> EpochContext:
        """Validate the market and build (or read the cached) market trees; keys come from ``setup``."""
        market = load_market(market_path)
        mc = cached_market_commitment(market, build / "cache")
        return cls(cfg, market_path, market, mc, artifacts_for(cfg, build))

    def prepare(self, statement_path: Path) -> Prepared:
        """Check a statement against this market and its own root; lay out the witness input."""
        st = load_statement(statement_path)
        try:
            check_account_against_market(st.account, self.market, statement_path, self.market_path)
        except InputError as e:
            raise InputError(e.file, f"book.{e.field}", e.message) from None
        if st.epoch != self.market.epoch:
            msg = f"the statement is for epoch {st.epoch}, {self.market_path} for epoch {self.market.epoch}"
            raise InputError(str(statement_path), "epoch", msg)
        opening = opening_of(st, statement_path)
        signals_in = build_input(st.account, self.market, self.cfg, self.mc, opening)
        report = margin_report(st.account, self.market)
        expected = [int(report.solvent), pack_account_index(st.address, st.index), st.ledger_root, self.mc.root]
        return Prepared(st, signals_in, expected, report)

    def finish(self, p: Prepared, proof: dict[str, object], public: list[str]) -> dict[str, object]:
        """The bundle, after checking the circuit's public signals against the reference's."""
        if [int(x) for x in public] != p.expected:
            raise ToolError(f"the circuit's public signals {public} disagree with the reference {p.expected}")
        return make_bundle(self.cfg.name, json.loads(self.artifacts.vkey.read_text()), proof, public, self.market.epoch)

    def plan(self, ledger_dir: Path, out: Path) -> EpochPlan:
        """Which accounts of ``ledger_dir`` still need a proof in ``out`` (created if missing).

        A bundle counts as done only if it verifies (one batched pairing check over all of them)
        and says what this ledger and market say: its account, its index, the ledger root and the
        market root. Anything else, including a half-written temporary file, is proven again.
        """
        from zksolvency.verifier.groth16 import InvalidProof, verify_each
        from zksolvency.verifier.verify import TrustedKeys, check_claims, load_bundle
        from zksolvency.zkcore.ledger import load_ledger_info

        ledger_json = ledger_dir / "ledger.json"
        info = load_ledger_info(ledger_json)
        if info.epoch != self.market.epoch:
            raise InputError(str(ledger_json), "epoch", f"is {info.epoch}, {self.market_path} is epoch {self.market.epoch}")
        if out.exists() and not out.is_dir():
            raise InputError(str(out), None, "is not a directory")
        out.mkdir(parents=True, exist_ok=True)
        for tmp in out.glob(".*.json.*"):  # left by a process killed between write and rename
            tmp.unlink(missing_ok=True)
        # the prover checks its own outputs with its own key, whatever that key's trust label
        keys = TrustedKeys(files=(self.artifacts.vkey,), allow_insecure=True)
        jobs: list[Job] = []
        loaded = []
        for address, index in info.accounts:
            job = Job(address, ledger_dir / "statements" / f"{address}.json", out / f"{address}.json")
            try:
                b = load_bundle(job.out, keys) if job.out.is_file() else None
            except (InvalidProof, InputError):
                b = None
            if b is None:
                jobs.append(job)
            else:
                loaded.append((job, index, b))
        valid: dict[str, bool] = {}
        oks = verify_each(loaded[0][2].key, [(b.proof, b.signals) for _, _, b in loaded]) if loaded else []
        for (job, index, b), ok in zip(loaded, oks, strict=True):
            try:
                if not ok:
                    raise InvalidProof("does not verify")
                v = check_claims(b)
                if (v.account, v.index, int(v.ledger_root, 16), int(v.market_root, 16)) != (
                    job.account,
                    index,
                    info.root,
                    self.mc.root,
                ):
                    raise InvalidProof("for another account, index, ledger or market")
                valid[job.account] = v.solvent
            except InvalidProof:
                jobs.append(job)
        return EpochPlan(jobs, valid)


def prove(
    statement_path: StrPath,
    market_path: StrPath,
    out: StrPath,
    cfg: CircuitConfig,
    build: StrPath,
    *,
    prover: str | None = None,
) -> ProveResult:
    """Validate the inputs, prove (``prover``: ``native`` or ``snarkjs``, default native where it is
    built), check the proof and the public signals, and write the bundle atomically."""
    from zksolvency.prover.backends import ProofBackend, resolve_prover

    statement_path, market_path, out, build = Path(statement_path), Path(market_path), Path(out), Path(build)

    check_output_path(out)
    name = resolve_prover(prover)
    ctx = EpochContext.load(cfg, build, market_path)
    p = ctx.prepare(statement_path)  # bad input is refused before any (slow) setup
    art: Artifacts = setup(cfg, build)
    backend = ProofBackend(art, name)
    t = time.monotonic()
    result = backend.prove(p.input)
    seconds = time.monotonic() - t
    bundle = ctx.finish(p, result.proof, result.public)
    write_atomic(out, json.dumps(bundle, indent=1) + "\n")
    return ProveResult(bundle, p.report, seconds, result.prover, result.fallback)
