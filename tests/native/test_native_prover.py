"""The native prover (native/, Rust) through its two modes and the Python gateway
(prover/backends.py), on the test instance's real keys:

- fresh r and s for every proof, across proofs, servers and processes (the binary's debug hook);
- a witness that does not satisfy the circuit never becomes a bundle, and a native failure is
  proven by snarkjs with a warning where fallbacks are allowed;
- hostile zkey and wtns files (mutated real files, through the binary): exit 2 with one line,
  never a panic, a hang or an output file; the server keeps serving after a bad request.
"""

from __future__ import annotations

import json
import logging
import os
import random
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from zksolvency.prover import backends, witness_cpp
from zksolvency.prover.config import CircuitConfig
from zksolvency.prover.prove import prove
from zksolvency.prover.setup import Artifacts
from zksolvency.zkcore.errors import ToolError
from zksolvency.zkcore.paths import ROOT

from tests.helpers import data
from tests.helpers.files import TEST_BUILD, write_json

pytestmark = pytest.mark.slow

BINARY = ROOT / backends.NATIVE_BINARY
FIXTURES = ROOT / "native" / "tests" / "fixtures"


def _binary() -> Path:
    assert backends.native_binary() is not None, "the native prover is not built (make install)"
    return BINARY


def _run(*args: str | Path, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(_binary()), *map(str, args)], capture_output=True, text=True, timeout=timeout, check=False, env=env
    )


# ------------------------------------------------------------ r and s


def test_r_and_s_never_repeat_across_proofs_servers_and_processes(artifacts: Artifacts, real_wtns: Path, tmp_path: Path) -> None:
    log = tmp_path / "rs.log"
    env = {**os.environ, "ZKSOLVENCY_PROVER_RS_LOG": str(log)}
    for i in range(3):  # one-shot processes
        r = _run("prove", artifacts.zkey, real_wtns, tmp_path / f"p{i}.json", tmp_path / f"q{i}.json", env=env)
        assert r.returncode == 0, r.stderr

    def serve(tag: str) -> None:  # two servers at once, three proofs each
        proc = subprocess.Popen(
            [str(_binary()), "serve", str(artifacts.zkey)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )
        assert proc.stdin is not None and proc.stdout is not None
        assert json.loads(proc.stdout.readline())["ok"] is True
        for i in range(3):
            req = {"wtns": str(real_wtns), "proof": str(tmp_path / f"{tag}{i}.json"), "public": str(tmp_path / f"{tag}{i}p.json")}
            proc.stdin.write(json.dumps(req) + "\n")
            proc.stdin.flush()
            assert json.loads(proc.stdout.readline())["ok"] is True
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0

    threads = [threading.Thread(target=serve, args=(t,)) for t in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = [line.split() for line in log.read_text().splitlines()]
    assert len(rows) == 9 and len({pid for pid, _, _ in rows}) == 5  # 3 one-shot + 2 server processes
    scalars = [fp for _, r, s in rows for fp in (r, s)]
    assert len(set(scalars)) == len(scalars) == 18, "an r or s repeated"
    # every proof of the one witness differs
    names = [f"p{i}" for i in range(3)] + [f"{t}{i}" for t in "ab" for i in range(3)]
    proofs = {tuple(json.loads((tmp_path / f"{n}.json").read_text())["pi_a"]) for n in names}
    assert len(proofs) == 9


# ------------------------------------------------------------ unsatisfying witnesses and fallback


def _tamper(wtns: Path, index: int) -> None:
    """Add one to the witness value at ``index`` (section 2 of a wtns file starts at byte 88)."""
    raw = bytearray(wtns.read_bytes())
    at = 88 + 32 * index
    value = int.from_bytes(raw[at : at + 32], "little")
    raw[at : at + 32] = ((value + 1) % (2**254)).to_bytes(32, "little")
    wtns.write_bytes(bytes(raw))


def _statement(test_cfg: CircuitConfig, tmp_path: Path) -> tuple[Path, Path]:
    from tests.helpers.chain import write_statements

    books = {0: data.ACCOUNT}
    st = write_statements(tmp_path / "st", books, 42, test_cfg.LD)[0]
    return st, write_json(tmp_path / "market.json", data.MARKET)


@pytest.fixture
def unsatisfying_native_witness(monkeypatch: pytest.MonkeyPatch) -> None:
    """The native path's witness gets one private value changed after the generator wrote it (the
    generator itself refuses unsatisfying inputs, so this stands for a prover-side bug)."""
    real = witness_cpp.compute

    def compute(generator: Path, input_json: Path, out: Path, timeout: float = 300) -> None:
        real(generator, input_json, out, timeout)
        _tamper(out, 40)

    monkeypatch.setattr(witness_cpp, "compute", compute)


@pytest.mark.usefixtures("unsatisfying_native_witness")
def test_an_unsatisfying_witness_never_becomes_a_bundle(artifacts: Artifacts, test_cfg: CircuitConfig, tmp_path: Path) -> None:
    st, market = _statement(test_cfg, tmp_path)
    out = tmp_path / "b.json"
    with pytest.raises(ToolError, match="does not verify"):
        prove(st, market, out, test_cfg, TEST_BUILD, prover="native")  # the suite forbids the fallback
    assert not out.exists()


@pytest.mark.usefixtures("unsatisfying_native_witness")
def test_a_native_failure_falls_back_to_snarkjs_with_a_warning(
    artifacts: Artifacts,
    test_cfg: CircuitConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv(backends.NO_FALLBACK_ENV)
    st, market = _statement(test_cfg, tmp_path)
    out = tmp_path / "b.json"
    with caplog.at_level(logging.WARNING, logger="zksolvency.prover"):
        result = prove(st, market, out, test_cfg, TEST_BUILD, prover="native")
    assert result.prover == "snarkjs" and result.fallback is not None and "does not verify" in result.fallback
    assert any("native prover failed" in r.getMessage() for r in caplog.records)
    import zksolvency

    verdict = zksolvency.verify(out, vkey=artifacts.vkey, market=market)  # snarkjs's bundle verifies
    assert verdict.market_checked and verdict.solvent


def test_the_binary_proves_an_unsatisfying_witness_and_the_gateway_refuses_it(
    artifacts: Artifacts, real_wtns: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.wtns"
    bad.write_bytes(real_wtns.read_bytes())
    _tamper(bad, 40)
    backend = backends.ProofBackend(artifacts, "native")
    with pytest.raises(backends.NativeFailed, match="does not verify"):
        backend.prove_wtns(bad)
    assert backend.prove_wtns(real_wtns).prover == "native"  # the untouched witness proves


# ------------------------------------------------------------ hostile files through the binary


def _mutate(raw: bytes, rng: random.Random) -> bytes:
    d = bytearray(raw)
    kind = rng.randrange(5)
    if kind == 0:
        for _ in range(rng.randint(1, 4)):
            d[rng.randrange(len(d))] ^= 1 << rng.randrange(8)
    elif kind == 1:  # a count or size near the start: huge, zero or random
        at = rng.randrange(min(len(d), 4096) - 8)
        d[at : at + 8] = rng.choice([2**64 - 1, 0, 2**32 - 1, rng.getrandbits(64)]).to_bytes(8, "little")
    elif kind == 2:
        del d[rng.randrange(len(d)) :]
    elif kind == 3:
        d += rng.randbytes(rng.randint(1, 64))
    else:
        at = rng.randrange(len(d) - 32)
        d[at : at + 32] = b"\xff" * 32
    return bytes(d)


def _assert_refused_cleanly(r: subprocess.CompletedProcess[str], outputs: list[Path]) -> None:
    assert r.returncode in (0, 2), f"exit {r.returncode}: {r.stderr[-300:]}"
    if r.returncode == 2:
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "panic" not in r.stderr and "internal error" not in r.stderr, r.stderr
        assert not any(p.exists() for p in outputs)


def test_mutated_zkeys_and_witnesses_exit_2_with_one_line(tmp_path: Path) -> None:
    """Thousands of mutated copies of real snarkjs files (the fixture circuit), bounded in time."""
    rng = random.Random(2026)
    zkey, wtns = (FIXTURES / "small.zkey").read_bytes(), (FIXTURES / "small.wtns").read_bytes()
    out, pub = tmp_path / "p.json", tmp_path / "q.json"
    start, cases, refused = time.monotonic(), 0, 0
    while cases < 2000 and time.monotonic() - start < 120:
        target = cases % 2
        z = _mutate(zkey, rng) if target == 0 else zkey
        w = _mutate(wtns, rng) if target == 1 else wtns
        (tmp_path / "m.zkey").write_bytes(z)
        (tmp_path / "m.wtns").write_bytes(w)
        for p in (out, pub):
            p.unlink(missing_ok=True)
        r = _run("prove", tmp_path / "m.zkey", tmp_path / "m.wtns", out, pub, timeout=30)
        _assert_refused_cleanly(r, [out, pub])
        refused += r.returncode == 2
        cases += 1
    assert cases >= 1000 and refused > cases // 2


@pytest.mark.parametrize(
    ("what", "edit", "named"),
    [
        ("truncated key", lambda z, w: (z[: len(z) // 2], w), "zkey"),
        ("witness of another circuit", lambda z, w: (z, (FIXTURES / "tiny.wtns").read_bytes()), "wtns"),
        ("witness count lies", lambda z, w: (z, w[:84] + (10**6).to_bytes(4, "little") + w[88:]), "wtns"),
        (
            "witness prime is q",
            lambda z, w: (z, w[:16] + bytes.fromhex("47fd7cd8168c203c8dca7168916a81975d588181b64550b829a031e1724e6430") + w[48:]),
            "wtns",
        ),
        ("empty key", lambda z, w: (b"", w), "zkey"),
        ("a wtns given as the key", lambda z, w: (w, w), "zkey"),
    ],
)
def test_named_hostile_inputs_on_the_real_key(
    artifacts: Artifacts, real_wtns: Path, tmp_path: Path, what: str, edit: Any, named: str
) -> None:
    z, w = edit(artifacts.zkey.read_bytes(), real_wtns.read_bytes())
    (tmp_path / "k.zkey").write_bytes(z)
    (tmp_path / "w.wtns").write_bytes(w)
    out, pub = tmp_path / "p.json", tmp_path / "q.json"
    r = _run("prove", tmp_path / "k.zkey", tmp_path / "w.wtns", out, pub)
    assert r.returncode == 2, (what, r.stderr)
    _assert_refused_cleanly(r, [out, pub])
    assert r.stderr.startswith(str(tmp_path / ("k.zkey" if named == "zkey" else "w.wtns"))), r.stderr


def test_the_server_answers_bad_requests_and_keeps_serving(artifacts: Artifacts, real_wtns: Path, tmp_path: Path) -> None:
    server = subprocess.Popen(
        [str(_binary()), "serve", str(artifacts.zkey)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert server.stdin is not None and server.stdout is not None
    ready = json.loads(server.stdout.readline())
    assert ready["ok"] is True and ready["check_ms"] > 0  # the whole key's subgroup check ran once
    bad_wtns = tmp_path / "bad.wtns"
    bad_wtns.write_bytes(b"wtns\x02\x00\x00\x00")
    good = {"wtns": str(real_wtns), "proof": str(tmp_path / "p.json"), "public": str(tmp_path / "q.json")}
    for line, ok in (
        ("not json", False),
        (json.dumps({"wtns": 1}), False),
        (json.dumps({**good, "wtns": str(bad_wtns)}), False),
        (json.dumps({**good, "extra": "x"}), False),
        (json.dumps(good), True),
    ):
        server.stdin.write(line + "\n")
        server.stdin.flush()
        reply = json.loads(server.stdout.readline())
        assert reply["ok"] is ok, (line, reply)
    assert json.loads((tmp_path / "q.json").read_text())[0] in ("0", "1")
    server.stdin.close()
    assert server.wait(timeout=30) == 0


def test_the_server_refuses_a_bad_key_in_one_line(tmp_path: Path) -> None:
    key = tmp_path / "k.zkey"
    key.write_bytes((FIXTURES / "small.zkey").read_bytes()[:-1000])
    r = _run("serve", key)
    assert r.returncode == 2 and json.loads(r.stdout)["ok"] is False and r.stderr.startswith(str(key))


def test_a_server_that_never_answers_is_stopped_not_waited_for() -> None:
    """The gateway's line servers (the native `serve`, snarkjs's Node.js server) get a deadline per
    request: a prover that hangs is killed and the request fails (the epoch worker retries with a
    new one), instead of a worker that waits forever."""
    import sys

    from zksolvency.prover import tools

    silent = tools.LineServer([sys.executable, "-c", "import time; time.sleep(60)"], "silent server")
    start = time.monotonic()
    with pytest.raises(ToolError, match="no reply within 1s"):
        silent.request({"wtns": "x"}, timeout=1)
    assert time.monotonic() - start < 10 and not silent.alive
