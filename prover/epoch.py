"""``epoch prove``: every statement of a ledger against the epoch's market (SPEC §7).

One code path, two ways to run it:

- **local** (default): ``workers`` slots on this machine, each a thread that owns one
  :class:`ProverWorker`;
- **Ray** (``ray_address`` given, ``"auto"`` for a local instance): the same :class:`ProverWorker`
  class as a Ray actor per slot, on whatever nodes the cluster has.

A :class:`ProverWorker` loads the circuit's wasm and proving key once (a persistent Node.js prover,
``prove_server.cjs``) and proves many accounts. The driver hands each free slot the next statement,
retries a failed account once (a bad statement, a worker whose prover process died, an actor that
was killed) and then reports it by address; one account's failure never stops the others. Bundles
are written atomically by the worker (a reader sees no bundle or a whole one), so an interrupted run
leaves nothing partial, and a rerun proves only the accounts whose bundle is missing or does not
verify for this ledger and market.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from zksolvency.prover.config import CircuitConfig
from zksolvency.prover.prove import EpochContext, Job
from zksolvency.zkcore.errors import InputError, ZkSolvencyError
from zksolvency.zkcore.files import write_atomic
from zksolvency.zkcore.paths import StrPath

#: Memory budget of one worker on the default instance: its Node.js prover with the proving key
#: loaded peaks at 535 MiB resident (``bench/epoch.py``), plus half again as head-room. With the
#: cores it sizes the default worker count: on 2 cores, 2 workers prove 1.09x as many accounts per
#: minute as 1 (snarkjs already spreads one proof over both cores; a second worker fills the
#: single-threaded phases), so the default is one worker per core while memory allows.
WORKER_RSS_BYTES = 800 * 2**20
REPORT_NAME = "report.json"


def default_workers() -> int:
    """As many workers as the cores allow and the available memory holds (at least one)."""
    cores = os.cpu_count() or 1
    try:
        with open("/proc/meminfo") as f:
            info = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in f}
        mem = info.get("MemAvailable", info["MemTotal"])
    except (OSError, KeyError, ValueError):
        return max(1, cores)
    return max(1, min(cores, mem // WORKER_RSS_BYTES))


@dataclass(frozen=True)
class Outcome:
    """What a worker reports for one job."""

    account: str
    ok: bool
    solvent: bool = False
    seconds: float = 0.0
    error: str = ""
    prover: str = ""  # who made the proof: "native" or "snarkjs"
    fallback: str | None = None  # why the native prover did not, when it fell back to snarkjs


class ProverWorker:
    """Proves many statements of one market with one circuit; the proving key is loaded once (a
    persistent :class:`~zksolvency.prover.backends.ProofBackend`).

    Plain Python so that the local pool and Ray run the very same code (Ray wraps it as an actor).
    """

    def __init__(
        self, cfg: CircuitConfig, build: str, market: str, prover: str | None = None, threads: int | None = None
    ) -> None:
        from zksolvency.prover.backends import ProofBackend

        self.ctx = EpochContext.load(cfg, Path(build), Path(market))
        self.backend = ProofBackend(self.ctx.artifacts, prover, persistent=True, threads=threads)

    def pid(self) -> int:
        """Process id of this worker's long-lived prover (started by a first proof); for fault tests."""
        pids = self.backend.pids
        if not pids:
            raise ZkSolvencyError("the worker's prover is not running")
        return pids[0]

    def prove(self, job: Job) -> Outcome:
        """Prove one statement and write its bundle atomically; never raises for a bad account."""
        t = time.monotonic()
        try:
            prepared = self.ctx.prepare(job.statement)
            result = self.backend.prove(prepared.input)  # a dead prover: the retry starts a new one
            bundle = self.ctx.finish(prepared, result.proof, result.public)
            write_atomic(job.out, json.dumps(bundle, indent=1) + "\n")
            return Outcome(job.account, True, prepared.report.solvent, time.monotonic() - t, "", result.prover, result.fallback)
        except ZkSolvencyError as e:
            return Outcome(job.account, False, error=str(e), seconds=time.monotonic() - t)

    def close(self, *, kill: bool = False) -> None:
        """Stop the long-lived prover (``kill``: now, without finishing the proof under way)."""
        self.backend.close(kill=kill)


class Slot(Protocol):
    """One worker the driver can hand a job to."""

    def submit(self, job: Job) -> Future[Outcome]:
        """Start proving ``job``; the future holds its outcome (or the exception that killed it)."""

    def close(self, *, kill: bool = False) -> None:
        """Release the worker (``kill``: at once, the run was interrupted)."""


class LocalSlot:
    """A worker in a thread of this process (its Node.js prover is the process that does the work)."""

    def __init__(self, cfg: CircuitConfig, build: Path, market: Path, prover: str | None, threads: int) -> None:
        self.worker = ProverWorker(cfg, str(build), str(market), prover, threads)
        self.pool = ThreadPoolExecutor(max_workers=1)

    def submit(self, job: Job) -> Future[Outcome]:
        """Run the job on this slot's thread."""
        return self.pool.submit(self.worker.prove, job)

    def close(self, *, kill: bool = False) -> None:
        """Stop the prover and the thread."""
        self.worker.close(kill=kill)
        self.pool.shutdown(wait=False, cancel_futures=True)


class RaySlot:
    """A worker as a Ray actor: restarted by Ray if its process dies (the driver retries the job)."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor

    def submit(self, job: Job) -> Future[Outcome]:
        """Send the job to the actor."""
        fut: Future[Outcome] = self.actor.prove.remote(job).future()
        return fut

    def close(self, *, kill: bool = False) -> None:
        """End the actor (its prover process goes with it)."""
        import ray

        ray.kill(self.actor)


def _ray_slots(n: int, address: str, cfg: CircuitConfig, build: Path, market: Path, prover: str | None) -> list[Slot]:
    try:
        import ray
    except ImportError:
        raise InputError("ray_address", address, "Ray is not installed: pip install 'zksolvency[ray]'") from None
    if not ray.is_initialized():
        if address == "auto":
            # join a running local instance, or start one on loopback
            try:
                ray.init(address="auto", log_to_driver=False)
            except ConnectionError:
                ray.init(include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
        else:
            ray.init(address=address, log_to_driver=False)
    # max_restarts: a killed actor process comes back (reloading the key); the driver retries its job
    actor_cls = ray.remote(num_cpus=1, max_restarts=1)(ProverWorker)
    # one CPU per actor (num_cpus=1): its native prover runs one thread
    return [RaySlot(actor_cls.remote(cfg, str(build), str(market), prover, 1)) for _ in range(n)]


def _ray_initialized() -> bool:
    try:
        import ray
    except ImportError:
        return False
    return bool(ray.is_initialized())


@dataclass
class EpochReport:
    """``OUT/report.json`` (SPEC §7)."""

    epoch: int
    accounts: int
    solvent: int = 0
    insolvent: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    proven: int = 0
    skipped: int = 0
    insolvent_accounts: list[str] = field(default_factory=list)
    provers: dict[str, int] = field(default_factory=dict)  # proofs of this run by prover
    fallbacks: list[dict[str, str]] = field(default_factory=list)  # native failures proven by snarkjs

    @property
    def accounts_per_minute(self) -> float:
        """Accounts proven by this run per minute of its wall time."""
        return round(60 * self.proven / self.seconds, 2) if self.seconds > 0 else 0.0

    def as_json(self) -> dict[str, object]:
        """The report's JSON object."""
        return {
            "epoch": self.epoch,
            "accounts": self.accounts,
            "solvent": self.solvent,
            "insolvent": self.insolvent,
            "failed": self.failed,
            "seconds": round(self.seconds, 2),
            "accounts_per_minute": self.accounts_per_minute,
            "proven_this_run": self.proven,
            "already_valid": self.skipped,
            "insolvent_accounts": self.insolvent_accounts,
            "provers": self.provers,
            "fallbacks": len(self.fallbacks),
            "fallback_accounts": self.fallbacks,
        }


Progress = Callable[[Outcome, int, int], None]


def prove_epoch(
    ledger_dir: StrPath,
    market: StrPath,
    out: StrPath,
    cfg: CircuitConfig,
    build: StrPath,
    *,
    workers: int | None = None,
    ray_address: str | None = None,
    prover: str | None = None,
    on_outcome: Progress | None = None,
    on_plan: Callable[[int, int], None] | None = None,
) -> EpochReport:
    """Prove every statement under ``ledger_dir/statements`` that has no valid bundle in ``out``,
    with ``prover`` (``native`` or ``snarkjs``; default native where it is built).

    ``on_plan(total, already_valid)`` is called once the work is known, ``on_outcome(outcome,
    done, total)`` after each account; the report is written to ``out/report.json`` atomically.
    """
    from zksolvency.prover.backends import resolve_prover
    from zksolvency.prover.setup import setup

    ledger_dir, market, out, build = Path(ledger_dir), Path(market), Path(out), Path(build)
    prover = resolve_prover(prover)
    t0 = time.monotonic()
    setup(cfg, build)  # keys exist before any worker starts (cached: a no-op when ready)
    ctx = EpochContext.load(cfg, build, market)
    plan = ctx.plan(ledger_dir, out)
    report = EpochReport(epoch=ctx.market.epoch, accounts=len(plan.jobs) + len(plan.valid))
    report.skipped = len(plan.valid)
    todo = list(plan.jobs)
    if on_plan is not None:
        on_plan(len(todo), len(plan.valid))
    n = max(1, min(workers or default_workers(), len(todo) or 1))
    slots: list[Slot] = []
    try:
        if todo:
            slots = (
                list(_ray_slots(n, ray_address, cfg, build, market, prover))
                if ray_address
                else [LocalSlot(cfg, build, market, prover, max(1, (os.cpu_count() or 1) // n)) for _ in range(n)]
            )
        _drive(slots, todo, report, on_outcome)
    finally:
        for s in slots:
            s.close()
    final = ctx.plan(ledger_dir, out)  # count verdicts from what is on disk and verifies
    report.solvent = sum(1 for v in final.valid.values() if v)
    report.insolvent = len(final.valid) - report.solvent
    report.insolvent_accounts = sorted(a for a, solvent in final.valid.items() if not solvent)
    report.seconds = time.monotonic() - t0
    write_atomic(out / REPORT_NAME, json.dumps(report.as_json(), indent=1) + "\n")
    return report


def _drive(slots: list[Slot], todo: list[Job], report: EpochReport, on_outcome: Progress | None) -> None:
    """Keep every slot busy; retry each failed job once (on whichever slot is free next)."""
    queue = list(reversed(todo))
    tries: dict[str, int] = {}
    running: dict[Future[Outcome], tuple[Slot, Job]] = {}
    idle = list(slots)
    done, total = 0, len(todo)
    while queue or running:
        while queue and idle:
            job = queue.pop()
            slot = idle.pop()
            tries[job.account] = tries.get(job.account, 0) + 1
            running[slot.submit(job)] = (slot, job)
        finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
        for fut in finished:
            slot, job = running.pop(fut)
            idle.append(slot)
            try:
                outcome = fut.result()
            except Exception as e:  # the worker itself died (e.g. a killed Ray actor)
                outcome = Outcome(job.account, False, error=f"worker failed: {type(e).__name__}: {e}")
            if not outcome.ok and tries[job.account] < 2:
                queue.append(job)
                continue
            done += 1
            if outcome.ok:
                report.proven += 1
                report.provers[outcome.prover] = report.provers.get(outcome.prover, 0) + 1
                if outcome.fallback is not None:
                    report.fallbacks.append({"account": job.account, "error": outcome.fallback})
            else:
                report.failed.append({"account": job.account, "error": outcome.error})
            if on_outcome is not None:
                on_outcome(outcome, done, total)
