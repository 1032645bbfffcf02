"""ATTACK the native prover's hostile inputs (files, arguments, the serve protocol).

Each test performs an attack on the real binary (native/target/release/zksolvency-prover) with the
fixture keys of native/tests/fixtures and states the required behaviour (README, native/README.md):
bad input exits 2 with exactly one stderr line naming the file, never a panic, a hang, gigabytes
of memory, or a partial output; the server answers a bad request and keeps serving.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from zksolvency.prover import backends
from zksolvency.zkcore.paths import ROOT

FIXTURES = ROOT / "native" / "tests" / "fixtures"
ZKEY, WTNS = FIXTURES / "small.zkey", FIXTURES / "small.wtns"


def _binary() -> str:
    binary = backends.native_binary()
    assert binary is not None, "the native prover is not built (make install)"
    return str(binary)


def _run(args: list[str | bytes | Path], timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([_binary(), *map(os.fsencode, args)], capture_output=True, timeout=timeout, check=False)


def _refused_in_one_line(r: subprocess.CompletedProcess[bytes]) -> None:
    err = r.stderr.decode(errors="replace")
    assert r.returncode == 2, f"exit {r.returncode}: {err[-300:]}"
    assert len(err.strip().splitlines()) == 1 and "panic" not in err and "internal error" not in err, err


# ------------------------------------------------------------ the serve protocol


def _server() -> subprocess.Popen[bytes]:
    p = subprocess.Popen([_binary(), "serve", str(ZKEY)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout is not None
    assert json.loads(p.stdout.readline())["ok"] is True
    return p


def _ask(p: subprocess.Popen[bytes], line: bytes) -> bytes:
    assert p.stdin is not None and p.stdout is not None
    p.stdin.write(line + b"\n")
    p.stdin.flush()
    return p.stdout.readline()


def test_a_request_line_that_is_not_utf8_is_answered_and_the_server_keeps_serving(tmp_path: Path) -> None:
    """ATTACK: one request line with a non-UTF-8 byte (a Latin-1 path, or garbage on the pipe).
    Without the check: `lines()` yields an error, the loop breaks, the server exits 0 without a reply and
    every later request is lost."""
    p = _server()
    good = json.dumps({"wtns": str(WTNS), "proof": str(tmp_path / "p.json"), "public": str(tmp_path / "q.json")}).encode()
    try:
        assert json.loads(_ask(p, good))["ok"] is True
        reply = _ask(p, b'{"wtns": "/tmp/caf\xe9.wtns", "proof": "/tmp/p", "public": "/tmp/q"}')
        assert reply, f"no reply: the server exited with {p.wait(timeout=10)}"
        assert json.loads(reply)["ok"] is False
        assert json.loads(_ask(p, good))["ok"] is True, "the server stopped serving"
    finally:
        p.kill()
        p.wait()


# ------------------------------------------------------------ arguments


def test_a_path_argument_that_is_not_utf8_exits_2_not_a_panic(tmp_path: Path) -> None:
    """ATTACK: a wtns path with a non-UTF-8 byte (a directory named in Latin-1; the gateway's
    temporary directory under such a TMPDIR). Without the check: std::env::args() panics: exit 101,
    "internal error: called `Result::unwrap()` on an `Err` value"."""
    d = os.fsencode(tmp_path) + b"/caf\xe9"
    os.mkdir(d)
    w = d + b"/w.wtns"
    with open(w, "wb") as f:
        f.write(WTNS.read_bytes())
    r = _run(["prove", ZKEY, w, tmp_path / "p.json", tmp_path / "q.json"])
    # a non-UTF-8 path is either proven (it is a real file) or refused as bad usage, never a panic
    assert r.returncode in (0, 2) and b"internal error" not in r.stderr, r.stderr
    if r.returncode == 2:
        _refused_in_one_line(r)


# ------------------------------------------------------------ files that are not what they claim


def _max_rss_kib(args: list[str | Path], timeout: float = 120) -> tuple[int, int, bytes]:
    """Run the binary through scripts/peak_rss.py (a fresh small interpreter: a child's maxrss
    would otherwise count this pytest process); return (exit code, peak resident KiB, stderr)."""
    import sys

    from zksolvency.zkcore.paths import ROOT

    cmd = [sys.executable, str(ROOT / "scripts" / "peak_rss.py"), _binary(), *map(str, args)]
    try:
        r = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise AssertionError("the prover hung") from None
    report = json.loads(r.stdout)
    return int(report["rc"]), int(report["maxrss_kib"]), r.stderr


def test_a_sparse_multi_gigabyte_wtns_is_refused_without_reading_it(tmp_path: Path) -> None:
    """ATTACK: a 2 GiB sparse file (no disk space, all zeros: not even a wtns magic) as the witness.
    Without the check: the whole file is read into memory before the 4-byte magic is looked at: ~2 GiB
    resident, seconds of work; the same size as the machine's memory is an OOM kill (and in `serve`
    one request takes the server down). A witness can be at most 64 + 32·nVars bytes."""
    big = tmp_path / "big.wtns"
    with open(big, "wb") as f:
        f.truncate(2 * 2**30)
    code, rss, err = _max_rss_kib(["prove", ZKEY, big, tmp_path / "p.json", tmp_path / "q.json"])
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert rss < 256 * 1024, f"{rss / 1024:.0f} MiB resident to refuse a file that is not a wtns"


def test_a_fifo_as_the_witness_does_not_hang_the_prover(tmp_path: Path) -> None:
    """ATTACK: a named pipe (nobody writes to it) given as the wtns. Without the check: std::fs::read blocks
    forever in open(2): `prove` never exits, and in `serve` the server stops answering (the
    gateway's LineServer has no read timeout, so an epoch worker would wait forever)."""
    fifo = tmp_path / "w.wtns"
    os.mkfifo(fifo)
    try:
        r = _run(["prove", ZKEY, fifo, tmp_path / "p.json", tmp_path / "q.json"], timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("the prover hung on a FIFO given as the witness")
    _refused_in_one_line(r)


# ------------------------------------------------------------ outputs


def test_a_failed_run_leaves_no_output_file(tmp_path: Path) -> None:
    """ATTACK: PUBLIC_JSON in a directory that does not exist. Without the check: proof.json is written and
    renamed into place first, then public.json fails: exit 1 with an orphan proof.json (beside a
    public.json of an earlier run, a pair that does not belong together)."""
    proof = tmp_path / "p.json"
    r = _run(["prove", ZKEY, WTNS, proof, tmp_path / "missing" / "q.json"])
    assert r.returncode != 0
    assert not proof.exists(), "a failed run left proof.json behind"


def test_the_same_path_for_both_outputs_is_bad_usage(tmp_path: Path) -> None:
    """ATTACK: PROOF_JSON == PUBLIC_JSON. Without the check: exit 0, and the 'proof' file holds the
    public signals only."""
    same = tmp_path / "out.json"
    r = _run(["prove", ZKEY, WTNS, same, same])
    _refused_in_one_line(r)


# ------------------------------------------------------------ the gateway under a non-UTF-8 temporary directory


@pytest.mark.slow
@pytest.mark.parametrize("persistent", [False, True])
def test_the_gateway_proves_natively_under_a_non_utf8_tmpdir(
    artifacts: Any, real_wtns: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, persistent: bool
) -> None:
    """ATTACK: TMPDIR (where the gateway puts proof.json/public.json, and the witness) has a
    non-UTF-8 byte. Without the check: one-shot, the binary panics on its arguments (exit 101); persistent,
    the JSON request carries the path as a lone surrogate ("\\udce9") and is refused. Every native
    proof fails (a NativeFailed here, where the suite forbids the fallback; a snarkjs fallback with
    a warning otherwise)."""
    d = os.fsencode(tmp_path) + b"/caf\xe9"
    os.mkdir(d)
    monkeypatch.setattr(tempfile, "tempdir", os.fsdecode(d))
    backend = backends.ProofBackend(artifacts, "native", persistent=persistent)
    try:
        assert backend.prove_wtns(real_wtns).prover == "native"
    finally:
        backend.close(kill=True)
