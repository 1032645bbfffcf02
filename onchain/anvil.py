"""The one gateway to anvil, the local Ethereum node shipped in the pinned npm package.

``start`` runs the package's native binary on a free loopback port in its own process group and
waits until it answers JSON-RPC; ``stop`` ends that group. The binary is called directly, not
through the npm wrapper script, so stopping it never leaves an orphaned node behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from zksolvency.zkcore.errors import ToolError
from zksolvency.zkcore.paths import checkout

_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def anvil_binary() -> Path:
    """The native anvil of this platform inside node_modules/@foundry-rs."""
    arch = _ARCH.get(platform.machine().lower(), platform.machine().lower())
    system = {"linux": "linux", "darwin": "darwin", "windows": "win32"}.get(platform.system().lower(), "linux")
    exe = "anvil.exe" if system == "win32" else "anvil"
    root = checkout()
    path = root / "node_modules" / "@foundry-rs" / f"anvil-{system}-{arch}" / "bin" / exe
    if not path.is_file():
        raise ToolError(f"{path.relative_to(root)} is missing: run `make install` (npm install)")
    return path


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rpc_alive(url: str, timeout: float = 1.0) -> bool:
    """True when ``url`` answers eth_chainId."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return "result" in json.loads(r.read())
    except (OSError, ValueError):
        return False


@dataclass(frozen=True)
class Node:
    """A running anvil: its RPC URL, process id and log file."""

    rpc: str
    pid: int
    log: str

    def as_json(self) -> dict[str, object]:
        """For the node record file."""
        return {"rpc": self.rpc, "pid": self.pid, "log": self.log}


def start(
    log_dir: Path,
    *,
    port: int | None = None,
    block_time: int | None = None,
    state: Path | None = None,
    accounts: int | None = None,
) -> Node:
    """Start anvil in the background on 127.0.0.1 and wait until it answers.

    ``state``: a file the chain is loaded from when it exists and dumped to when the node stops
    (anvil ``--state``), so a node stopped with :func:`stop` and started again keeps its blocks,
    logs and contracts. ``accounts``: how many funded dev accounts (anvil's default is 10).
    """
    port = port or free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"anvil-{port}.log"
    args = [str(anvil_binary()), "--host", "127.0.0.1", "--port", str(port), "--silent"]
    if block_time:
        args += ["--block-time", str(block_time)]
    if state is not None:
        args += ["--state", str(state)]
    if accounts is not None:
        args += ["--accounts", str(accounts)]
    with log.open("w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ToolError(f"anvil exited at start (code {proc.returncode}): see {log}")
        if rpc_alive(url, 0.5):
            return Node(url, proc.pid, str(log))
        time.sleep(0.1)
    stop(proc.pid)
    raise ToolError(f"anvil did not answer on {url} within 30 s: see {log}")


def stop(pid: int) -> bool:
    """Stop the anvil process group; False when it was not running."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it when it is our child
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    return True
