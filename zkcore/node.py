"""The one gateway to Node.js: every JavaScript tool pinned in ``package.json`` (snarkjs, circom2,
ejs, solc-js) runs through :func:`run_node`: an argument list (never a shell), output captured, a
failure turned into one :class:`~zkcore.errors.ToolError` that carries the tool's stderr, and a
heartbeat to a :data:`Report` while a long step runs. The prover, the Solidity generation and the compiler
gateway all use it, so none of them imports another for it.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from zksolvency.zkcore.errors import ToolError
from zksolvency.zkcore.paths import checkout, node_executable

#: Where a long step reports its progress, one line at a time: the one way setup, the ptau, the
#: tools and the native witness build report (:func:`to_stderr` for a user at a terminal).
Report = Callable[[str], None]


def to_stderr(line: str) -> None:
    """Report a line of progress on stderr (flushed at once: a long step shows as it runs)."""
    print(line, file=sys.stderr, flush=True)


def node_modules() -> Path:
    """The pinned JavaScript tools of the checkout (``npm ci``)."""
    return checkout() / "node_modules"


#: snarkjs needs more than Node's default heap for 2^16 setups.
NODE_FLAGS = ("--max-old-space-size=8192",)


#: circom colours its errors; a one-line error message should not carry terminal escapes.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def require(path: Path) -> None:
    """A tool file of node_modules (or ours) exists; else ToolError saying how to install it."""
    if not path.exists():
        root = checkout()
        raise ToolError(f"{path.relative_to(root)} is missing: run `npm install` in {root} (or `make install`)")


def node_args(args: Sequence[str | Path]) -> list[str | Path]:
    """File arguments for snarkjs and the servers: a Path is relative to this process's directory,
    never to the tool's (the checkout), so it is made absolute here and the tool opens the very file
    the caller checked. (circom is the exception: its WASI sandbox sees only paths below the
    checkout, so its callers pass checkout-relative paths on purpose.)"""
    return [a.absolute() if isinstance(a, Path) else a for a in args]


def run_raw(
    script: Path, args: Sequence[str | Path], *, cwd: Path | None = None, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """The one place a Node.js tool is started: argument list, no shell, output captured."""
    require(script)
    cmd = [node_executable(), *NODE_FLAGS, str(script), *[str(a) for a in args]]
    return subprocess.run(cmd, cwd=cwd or checkout(), capture_output=True, text=True, timeout=timeout, check=False)


def run_node(
    script: Path,
    args: Sequence[str | Path],
    label: str,
    *,
    progress: Report | None = None,
    cwd: Path | None = None,
    timeout: float | None = None,
) -> str:
    """Run a Node.js CLI; return its stdout, or raise ToolError with its stderr.

    With ``progress``, reports ``label``, then a heartbeat every 20 s (so a long setup step never
    looks hung), then the time it took.
    """
    start = time.monotonic()
    stop = threading.Event()
    if progress is not None:
        say = progress
        say(f"  {label} ...")

        def beat() -> None:
            while not stop.wait(20):
                say(f"    still {label}: {time.monotonic() - start:.0f}s")

        threading.Thread(target=beat, daemon=True).start()
    try:
        proc = run_raw(script, args, cwd=cwd, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ToolError(f"{label}: timed out after {timeout}s") from None
    finally:
        stop.set()
    if proc.returncode != 0:
        raise ToolError(f"{label} failed: {failure_summary(proc)}")
    if progress is not None:
        progress(f"  {label}: done in {time.monotonic() - start:.1f}s")
    return proc.stdout


def failure_summary(proc: subprocess.CompletedProcess[str]) -> str:
    """The lines of a failed tool's output that say what went wrong, without a JS stack trace.

    A Node.js crash prints the message first and then ``at ...`` frames; keeping only the tail would
    keep the frames and drop the message, so stack frames are dropped instead.
    """
    text = _ANSI.sub("", proc.stderr.strip() or proc.stdout.strip())
    lines = [ln.strip() for ln in text.splitlines()]
    said = [ln for ln in lines if ln and not ln.startswith("at ")]
    return " | ".join(said[-6:]) if said else f"exit code {proc.returncode}"
