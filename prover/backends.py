"""The one gateway to the two provers that read the same keys (SPEC §9): the project's native
prover (``native/``, Rust, with circom's C++ witness generator) and snarkjs.

:class:`ProofBackend` proves the circuit inputs of one instance and returns a proof only after the
Python verifier (:mod:`zksolvency.verifier.groth16`, prepared once per backend) accepted it against
the instance's verification key, whichever prover made it: a prover bug costs speed, never a bad
bundle. On any native failure (the binary missing or refusing, a proof that does not verify) the
inputs are proven with snarkjs and a warning is logged, unless ``ZKSOLVENCY_NO_FALLBACK=1`` (the
test suite sets it) makes the failure an error. Persistent backends (``epoch prove`` workers) keep
``zksolvency-prover serve`` or snarkjs's Node.js server running with the proving key loaded once;
one-shot backends (``prove``) start the native prover once per proof, which skips the per-key
checks the server makes once (point and subgroup checks of the whole key).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zksolvency.prover import tools
from zksolvency.prover import witness_cpp as cpp
from zksolvency.prover.config import checkout
from zksolvency.zkcore.errors import InputError, ToolError

if TYPE_CHECKING:
    from zksolvency.prover.setup import Artifacts
    from zksolvency.verifier.groth16 import PreparedKey

log = logging.getLogger("zksolvency.prover")

PROVERS = ("native", "snarkjs")
#: ``make install`` builds it with ``cargo build --release --offline --locked``.
NATIVE_BINARY = Path("native") / "target" / "release" / "zksolvency-prover"  # in the checkout
NO_FALLBACK_ENV = "ZKSOLVENCY_NO_FALLBACK"
#: Threads of the native prover (read by the binary; all cores when unset).
THREADS_ENV = "ZKSOLVENCY_PROVER_THREADS"


#: Seconds a persistent native prover may take for one proof before it is stopped (a hung prover
#: costs one retry, never a stuck epoch worker).
REQUEST_TIMEOUT = 900.0


def _scratch() -> str | None:
    """Where the gateway's temporary files go: the system's temporary directory, unless its path
    is not valid UTF-8 (it could not be handed to the prover), then the artifact directory."""
    tmp = tempfile.gettempdir()
    try:
        tmp.encode("utf-8")
    except UnicodeEncodeError:
        from zksolvency.prover.config import build_dir

        scratch = build_dir() / "tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        return str(scratch)
    return None


class NativeFailed(ToolError):
    """The native prover could not make a proof that verifies (the caller falls back to snarkjs)."""


@cache
def _answers_version(binary: Path, mtime: float) -> bool:
    try:
        proc = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return False
    return proc.returncode == 0 and proc.stdout.startswith("zksolvency-prover ")


def native_binary() -> Path | None:
    """The built native prover (it answers ``--version``), or None."""
    path = checkout() / NATIVE_BINARY
    if not (path.is_file() and os.access(path, os.X_OK)):
        return None
    return path if _answers_version(path, path.stat().st_mtime) else None


def default_prover() -> str:
    """``native`` where it is built, else ``snarkjs``."""
    return "native" if native_binary() is not None else "snarkjs"


def resolve_prover(prover: str | None) -> str:
    """A prover name (None: the default); bad input for an unknown one or a native prover that
    is not built where it is required."""
    name = prover if prover is not None else default_prover()
    if name not in PROVERS:
        raise InputError("prover", name, f"must be one of {', '.join(PROVERS)}")
    if name == "native" and native_binary() is None and (prover is not None or cpp.required()):
        raise InputError("prover", name, f"the native prover is not built: run `make install` ({NATIVE_BINARY} is missing)")
    return name


@dataclass(frozen=True)
class ProofResult:
    """A verified proof, who made it, and why the native prover did not when it fell back."""

    proof: dict[str, Any]
    public: list[str]
    prover: str  # "native" or "snarkjs"
    fallback: str | None = None  # the native failure that sent this proof to snarkjs
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step


class ProofBackend:
    """Proves inputs of one circuit instance with ``prover`` (``native`` or ``snarkjs``)."""

    def __init__(
        self, art: Artifacts, prover: str | None = None, *, persistent: bool = False, threads: int | None = None
    ) -> None:
        from zksolvency.verifier.groth16 import parse_vkey, prepare

        self.art = art
        self.prover = resolve_prover(prover)
        self.persistent = persistent
        # the native prover's threads (None: all cores); workers sharing a machine split the cores
        self.env = None if threads is None else {**os.environ, THREADS_ENV: str(max(1, threads))}
        self.key: PreparedKey = prepare(parse_vkey(json.loads(art.vkey.read_text())))
        self._native: tools.LineServer | None = None
        self._node: tools.NodeServer | None = None
        self.strict = os.environ.get(NO_FALLBACK_ENV, "") not in ("", "0")

    # ------------------------------------------------------------ the public operation

    def prove(self, inputs: dict[str, object]) -> ProofResult:
        """A proof of ``inputs`` that the Python verifier accepts; ToolError when none can be made."""
        if self.prover == "native":
            try:
                return self._prove_native(inputs)
            except (ToolError, OSError, ValueError, subprocess.TimeoutExpired) as e:
                reason = str(e).splitlines()[0][:300] if str(e) else type(e).__name__
                if self.strict:
                    raise NativeFailed(f"native prover failed (no fallback: {NO_FALLBACK_ENV} is set): {reason}") from None
                log.warning("native prover failed: %s; proving with snarkjs", reason)
                result = self._prove_snarkjs(inputs)
                return ProofResult(result.proof, result.public, "snarkjs", reason, result.timings)
        return self._prove_snarkjs(inputs)

    def close(self, *, kill: bool = False) -> None:
        """Stop the long-lived provers (``kill``: at once)."""
        for server in (self._native, self._node):
            if server is not None:
                server.close(kill=kill)
        self._native = self._node = None

    @property
    def pids(self) -> list[int]:
        """Process ids of the running long-lived provers (for fault tests)."""
        return [s.proc.pid for s in (self._native, self._node) if s is not None and s.alive]

    # ------------------------------------------------------------ native

    def _witness(self, inputs: dict[str, object], d: Path) -> tuple[Path, float]:
        """The witness file: circom's C++ generator where built, else the wasm one."""
        t = time.monotonic()
        input_json, wtns = d / "input.json", d / "witness.wtns"
        input_json.write_text(json.dumps(inputs))
        if self.art.witness_cpp.is_file():
            cpp.compute(self.art.witness_cpp, input_json, wtns)
        else:
            tools.wtns_calculate(self.art.wasm, input_json, wtns)
        return wtns, time.monotonic() - t

    def _prove_native(self, inputs: dict[str, object]) -> ProofResult:
        with tempfile.TemporaryDirectory(prefix="zks-native-", dir=_scratch()) as tmp:
            wtns, witness_s = self._witness(inputs, Path(tmp))
            result = self.prove_wtns(wtns)
        return replace(result, timings={"witness": witness_s, **result.timings})

    def prove_wtns(self, wtns: Path) -> ProofResult:
        """A native proof of the witness file ``wtns``, verified before it is returned;
        NativeFailed when the prover refuses or its proof does not verify."""
        binary = native_binary()
        if binary is None:
            raise NativeFailed(f"{NATIVE_BINARY} is not built")
        with tempfile.TemporaryDirectory(prefix="zks-native-", dir=_scratch()) as tmp:
            proof_file, public_file = Path(tmp) / "proof.json", Path(tmp) / "public.json"
            t = time.monotonic()
            if self.persistent:
                reply = self._native_server(binary).request(
                    {"wtns": str(wtns), "proof": str(proof_file), "public": str(public_file)}, timeout=REQUEST_TIMEOUT
                )
                if reply.get("ok") is not True:
                    raise NativeFailed(f"native prover: {reply.get('error')}")
            else:
                cmd = [str(binary), "prove", str(self.art.zkey), str(wtns), str(proof_file), str(public_file)]
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False, env=self.env)
                if proc.returncode != 0:
                    said = proc.stderr.strip().splitlines()
                    raise NativeFailed(f"native prover exit {proc.returncode}: {said[-1] if said else ''}")
            prove_s = time.monotonic() - t
            proof, public = json.loads(proof_file.read_text()), json.loads(public_file.read_text())
        verify_s = self._verify(proof, public, "native")
        return ProofResult(proof, public, "native", None, {"prove": prove_s, "verify": verify_s})

    def _native_server(self, binary: Path) -> tools.LineServer:
        if self._native is None or not self._native.alive:
            self._native = tools.LineServer([str(binary), "serve", str(self.art.zkey)], "native prover", ready=True, env=self.env)
        return self._native

    # ------------------------------------------------------------ snarkjs

    def _prove_snarkjs(self, inputs: dict[str, object]) -> ProofResult:
        t = time.monotonic()
        if self.persistent:
            if self._node is None or not self._node.alive:
                self._node = tools.NodeServer(tools.PROVE_SERVER, [self.art.wasm, self.art.zkey], "prove server")
            reply = self._node.request({"input": inputs})  # a dead server: the caller's retry starts a new one
            if not reply.get("ok"):
                raise ToolError(f"snarkjs prover: {reply.get('error')}")
            proof, public = reply.get("proof"), reply.get("public")
            if not isinstance(proof, dict) or not isinstance(public, list):
                raise ToolError(f"snarkjs prover: unexpected reply {str(reply)[:200]}")
            public = [str(x) for x in public]
        else:
            proof, public = tools.groth16_fullprove(inputs, self.art.wasm, self.art.zkey)
        prove_s = time.monotonic() - t
        verify_s = self._verify(proof, public, "snarkjs")
        return ProofResult(proof, [str(x) for x in public], "snarkjs", None, {"prove": prove_s, "verify": verify_s})

    # ------------------------------------------------------------ the check of every proof

    def _verify(self, proof: object, public: object, who: str) -> float:
        """Seconds the Python verifier took to accept; ToolError (NativeFailed for the native
        prover) when it does not."""
        from zksolvency.verifier.groth16 import InvalidProof, parse_proof, parse_signals, verify_fast

        t = time.monotonic()
        err = NativeFailed if who == "native" else ToolError
        try:
            ok = verify_fast(self.key, parse_proof(proof), parse_signals(public, self.key.vk.n_public))
        except InvalidProof as e:
            raise err(f"the {who} proof is malformed: {e}") from None
        if not ok:
            raise err(f"the {who} proof does not verify against the instance's key")
        return time.monotonic() - t
