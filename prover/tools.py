"""The prover's gateway to circom2 and snarkjs (through :mod:`zkcore.node`), and the long-lived
line servers (the native prover, snarkjs's Node.js prover) the epoch workers keep.
"""

from __future__ import annotations

import contextlib
import json
import select
import subprocess
import tempfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from zksolvency.zkcore.errors import ToolError
from zksolvency.zkcore.node import NODE_FLAGS as NODE_FLAGS
from zksolvency.zkcore.node import Report, node_args, require, run_raw
from zksolvency.zkcore.node import node_modules as node_modules
from zksolvency.zkcore.node import run_node as run_node
from zksolvency.zkcore.paths import checkout
from zksolvency.zkcore.paths import node_executable as node_executable


def snarkjs_cli() -> Path:
    """snarkjs's command line, run by node."""
    return node_modules() / "snarkjs" / "build" / "cli.cjs"


def circom_pkg() -> Path:
    """The circom2 package (the compiler as wasm)."""
    return node_modules() / "circom2"


#: Our runner for circom2's wasm: its own cli.js crashes once the compiler's memory passes 2 GiB.
CIRCOM_RUNNER = Path(__file__).with_name("circom_run.cjs")
#: A persistent prover (wasm and proving key loaded once) for epoch workers.
PROVE_SERVER = Path(__file__).with_name("prove_server.cjs")


class LineServer:
    """A long-lived process that answers one JSON request per stdin line with one JSON line.

    A request that the process cannot answer (it died, or replied with something that is not a
    JSON object) raises ToolError, and the process is ended so that ``alive`` says so.
    """

    def __init__(self, cmd: Sequence[str], label: str, *, ready: bool = False, env: dict[str, str] | None = None) -> None:
        self.label = label
        self.proc = subprocess.Popen(
            list(cmd),
            cwd=checkout(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        if ready:  # the process says it is ready (its key loaded and checked) before the first request
            self.ready = self._read_reply()
            if self.ready.get("ok") is not True:
                self.close(kill=True)
                raise ToolError(f"{label}: {self.ready.get('error', 'did not start')}")

    def _read_reply(self, timeout: float | None = None) -> dict[str, object]:
        assert self.proc.stdout is not None
        try:
            # a reply that never comes (a hung process) ends the process instead of the caller
            if timeout is not None and not select.select([self.proc.stdout], [], [], timeout)[0]:
                self.proc.kill()
                self.proc.wait()
                raise ToolError(f"{self.label}: no reply within {timeout:.0f}s (stopped)")
            line = self.proc.stdout.readline()
            reply = json.loads(line)
        except (OSError, ValueError):
            # Its pipe can report EOF a moment before the process is reaped, so poll() may not know
            # yet that it died: end it now, so `alive` (and whoever restarts it) sees it gone.
            self.proc.kill()
            code = self.proc.wait()
            raise ToolError(f"{self.label}: the process stopped answering (exit code {code})") from None
        if not isinstance(reply, dict):
            raise ToolError(f"{self.label}: unexpected reply {line[:200]!r}")
        return reply

    def request(self, req: dict[str, object], timeout: float | None = None) -> dict[str, object]:
        """Send one request, wait (at most ``timeout`` seconds) for its one-line JSON reply."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(req) + "\n")
            self.proc.stdin.flush()
        except OSError:
            self.proc.kill()
            code = self.proc.wait()
            raise ToolError(f"{self.label}: the process stopped answering (exit code {code})") from None
        return self._read_reply(timeout)

    @property
    def alive(self) -> bool:
        """Whether the process still runs (False after a request it could not answer)."""
        return self.proc.poll() is None

    def close(self, *, kill: bool = False) -> None:
        """Stop the process: closing its stdin ends its read loop; ``kill`` ends it at once."""
        if kill:
            self.proc.kill()
        if self.proc.stdin:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class NodeServer(LineServer):
    """A long-lived Node.js server (witness and proving servers), started through the same flags
    and ``node`` as every other tool."""

    def __init__(self, script: Path, args: Sequence[str | Path], label: str) -> None:
        require(script)
        super().__init__([node_executable(), *NODE_FLAGS, str(script), *[str(a) for a in node_args(args)]], label)


def snarkjs(*args: str | Path, label: str | None = None, progress: Report | None = None) -> str:
    """Run ``snarkjs ARGS`` (``progress``: where its progress goes; None: silent)."""
    return run_node(snarkjs_cli(), node_args(args), label or f"snarkjs {args[0]}", progress=progress)


def circom(*args: str | Path, progress: Report | None = None) -> str:
    """Run ``circom2 ARGS`` from the checkout root (circom2 only sees files below its cwd;
    ``progress``: where its progress goes; None: silent)."""
    require(circom_pkg() / "circom.wasm")
    return run_node(CIRCOM_RUNNER, (circom_pkg(), *args), "circom compile", progress=progress)


@cache
def versions() -> dict[str, str]:
    """Versions of the pinned tools, from their package.json files (part of every cache key)."""
    out = {}
    for pkg in ("circom2", "snarkjs", "circomlib", "solc"):
        pj = node_modules() / pkg / "package.json"
        out[pkg] = json.loads(pj.read_text())["version"] if pj.exists() else "missing"
    return out


def groth16_fullprove(input_signals: dict[str, object], wasm: Path, zkey: Path) -> tuple[dict[str, object], list[str]]:
    """Witness and Groth16 proof in one snarkjs process; returns (proof, public signals)."""
    with tempfile.TemporaryDirectory(prefix="zks-prove-") as tmp:
        t = Path(tmp)
        (t / "input.json").write_text(json.dumps(input_signals))
        snarkjs(
            "groth16",
            "fullprove",
            t / "input.json",
            wasm,
            zkey,
            t / "proof.json",
            t / "public.json",
            label="snarkjs groth16 fullprove",
        )
        proof = json.loads((t / "proof.json").read_text())
        public = json.loads((t / "public.json").read_text())
    return proof, public


def groth16_verify(vkey: Path, public: list[str], proof: dict[str, object]) -> bool:
    """``snarkjs groth16 verify``: True iff snarkjs prints OK (the reference verifier)."""
    with tempfile.TemporaryDirectory(prefix="zks-verify-") as tmp:
        t = Path(tmp)
        (t / "public.json").write_text(json.dumps(public))
        (t / "proof.json").write_text(json.dumps(proof))
        proc = run_raw(snarkjs_cli(), ["groth16", "verify", vkey, t / "public.json", t / "proof.json"])
    return proc.returncode == 0 and "OK" in proc.stdout


def wtns_check(r1cs: Path, wtns: Path) -> tuple[bool, str]:
    """``snarkjs wtns check``: does the witness satisfy every R1CS constraint?"""
    proc = run_raw(snarkjs_cli(), ["wtns", "check", r1cs, wtns])
    out = proc.stdout + proc.stderr
    return proc.returncode == 0 and "WITNESS IS CORRECT" in out.upper() and "ERROR" not in out.upper(), out


def wtns_calculate(wasm: Path, input_json: Path, wtns: Path) -> None:
    """``snarkjs wtns calculate``: the wasm witness generator (where the C++ one is not built)."""
    snarkjs("wtns", "calculate", wasm, input_json, wtns, label="snarkjs wtns calculate")
