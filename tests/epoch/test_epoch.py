"""``epoch prove`` (SPEC §7): a whole ledger with a local pool and with a real Ray instance, and
the faults a venue's run meets: a killed worker, a malformed statement, a rerun, an interrupt."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from zksolvency.cli import main
from zksolvency.prover.engine import margin_report
from zksolvency.prover.setup import Artifacts
from zksolvency.verifier.verify import TrustedKeys, Verdict, verify_batch
from zksolvency.zkcore.ledger import load_ledger_info
from zksolvency.zkcore.models import Account, Market

from tests.helpers import data
from tests.helpers.files import TEST_BUILD, write_json

N_ACCOUNTS = 8
ZKS = str(Path(sys.executable).with_name("zksolvency"))


def _accounts() -> list[dict[str, Any]]:
    out = []
    for i in range(N_ACCOUNTS):
        addr = f"0x{0xE0C0 + i:040x}"
        base = data.ACCOUNT if i % 3 else data.INSOLVENT  # a mix of both verdicts
        out.append({**base, "account": addr, "nonce": i, "salt": hex((1 << 200) + 7 * i + 1)})
    return out


@pytest.fixture(scope="module")
def ledger(artifacts: Artifacts, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A test-instance ledger of eight accounts and its market: ``DIR/ledger``, ``DIR/market.json``."""
    d = tmp_path_factory.mktemp("epoch")
    market = write_json(d / "market.json", data.MARKET)
    files = [str(write_json(d / f"acc{i}.json", a)) for i, a in enumerate(_accounts())]
    r = CliRunner().invoke(
        main, ["ledger", "build", *files, "--market", str(market), "--config", "test", "-o", str(d / "ledger")]
    )
    assert r.exit_code == 0, r.output
    return d


def _cli(*args: str) -> list[str]:
    return [ZKS, "epoch", "prove", *args, "--config", "test", "--quiet"]


def _env() -> dict[str, str]:
    return {**os.environ, "ZKSOLVENCY_BUILD": str(TEST_BUILD)}


def _expected(d: Path) -> dict[str, bool]:
    market = Market(**data.MARKET)
    return {str(a["account"]): margin_report(Account(**a), market).solvent for a in _accounts()}


def _check_out(d: Path, out: Path, artifacts: Artifacts) -> dict[str, bool]:
    """Every listed account has a bundle that verifies for this ledger and market; returns verdicts."""
    info = load_ledger_info(d / "ledger" / "ledger.json")
    bundles = sorted(out.glob("0x*.json"))
    assert [b.stem for b in bundles] == sorted(a for a, _ in info.accounts)
    assert not list(out.glob(".*"))  # no temporary (partial) file left
    res = verify_batch(
        bundles, keys=TrustedKeys(files=(artifacts.vkey,)), market=d / "market.json", ledger=d / "ledger" / "ledger.json"
    )
    assert res.all_valid, res.results
    verdicts: dict[str, bool] = {}
    for _, v in res.results:
        assert isinstance(v, Verdict), v
        verdicts[str(v.account)] = bool(v.solvent)
    return verdicts


def _report(out: Path) -> dict[str, object]:
    report: dict[str, object] = json.loads((out / "report.json").read_text())
    return report


def test_local_pool_proves_every_account_and_a_rerun_proves_nothing(ledger: Path, artifacts: Artifacts, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = subprocess.run(
        _cli(str(ledger / "ledger"), str(ledger / "market.json"), "-o", str(out), "--workers", "2"),
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    verdicts = _check_out(ledger, out, artifacts)
    assert verdicts == _expected(ledger)  # the reference engine's verdict for every account
    rep = _report(out)
    assert rep["epoch"] == 42 and rep["accounts"] == N_ACCOUNTS and rep["failed"] == []
    assert rep["solvent"] == sum(verdicts.values()) and rep["insolvent"] == N_ACCOUNTS - sum(verdicts.values())
    assert rep["insolvent_accounts"] == sorted(a for a, ok in verdicts.items() if not ok)
    assert isinstance(rep["accounts_per_minute"], float) and rep["accounts_per_minute"] > 0
    assert rep["provers"] == {"native": N_ACCOUNTS} and rep["fallbacks"] == 0  # the default prover, no fallback
    # `verify-batch` takes the whole OUT directory
    vb = CliRunner().invoke(main, ["verify-batch", str(out), "--config", "test"], env={"ZKSOLVENCY_BUILD": str(TEST_BUILD)})
    assert vb.exit_code == 0, vb.output
    assert len(vb.output.strip().splitlines()) == N_ACCOUNTS

    mtimes = {p: p.stat().st_mtime_ns for p in out.glob("0x*.json")}
    again = subprocess.run(
        _cli(str(ledger / "ledger"), str(ledger / "market.json"), "-o", str(out)),
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    rep2 = _report(out)
    assert rep2["proven_this_run"] == 0 and rep2["already_valid"] == N_ACCOUNTS
    assert {p: p.stat().st_mtime_ns for p in out.glob("0x*.json")} == mtimes

    # a bundle that no longer verifies (or belongs elsewhere) is proven again, and only that one
    victim = sorted(out.glob("0x*.json"))[3]
    doc = json.loads(victim.read_text())
    doc["proof"]["pi_a"][0] = str(int(doc["proof"]["pi_a"][0]) ^ 1)
    victim.write_text(json.dumps(doc))
    third = subprocess.run(
        _cli(str(ledger / "ledger"), str(ledger / "market.json"), "-o", str(out)),
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert third.returncode == 0, third.stderr
    assert _report(out)["proven_this_run"] == 1
    _check_out(ledger, out, artifacts)


@pytest.fixture
def ray_head(tmp_path: Path) -> Iterator[str]:
    """A real Ray head on loopback, started for the test and stopped after."""
    ray_exe = str(Path(sys.executable).with_name("ray"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    start = [
        ray_exe,
        "start",
        "--head",
        "--node-ip-address=127.0.0.1",
        f"--port={port}",
        "--num-cpus=2",
        "--include-dashboard=false",
        "--disable-usage-stats",
    ]
    subprocess.run(start, env=env, check=True, capture_output=True, timeout=180)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([ray_exe, "stop", "--force"], env=env, check=False, capture_output=True, timeout=120)


def test_ray_cluster_gives_the_same_bundles_as_the_local_pool(
    ledger: Path, artifacts: Artifacts, tmp_path: Path, ray_head: str
) -> None:
    out = tmp_path / "ray-out"
    env = {**_env(), "RAY_AUTH_MODE": "disabled"}
    r = subprocess.run(
        _cli(str(ledger / "ledger"), str(ledger / "market.json"), "-o", str(out), "--workers", "2", "--ray", ray_head),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert _check_out(ledger, out, artifacts) == _expected(ledger)
    assert _report(out)["failed"] == [] and _report(out)["provers"] == {"native": N_ACCOUNTS}


#: What each prover's long-lived server process has in its command line.
SERVER_MARK = {"native": b"zksolvency-prover\x00serve", "snarkjs": b"prove_server.cjs"}


def _prover_pids(parent: int, prover: str) -> list[int]:
    """Prove servers of ``prover`` (the native `zksolvency-prover serve` or snarkjs's Node.js one)
    whose parent is ``parent``."""
    pids = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            cmd = (p / "cmdline").read_bytes()
            ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent and SERVER_MARK[prover] in cmd:
            pids.append(int(p.name))
    return pids


def _wait_for(cond: object, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if callable(cond) and cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.mark.parametrize("prover", ["native", "snarkjs"])
def test_a_killed_worker_does_not_stop_the_run(ledger: Path, artifacts: Artifacts, tmp_path: Path, prover: str) -> None:
    out = tmp_path / "out"
    proc = subprocess.Popen(
        _cli(str(ledger / "ledger"), str(ledger / "market.json"), "-o", str(out), "--workers", "2", "--prover", prover),
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for(lambda: len(_prover_pids(proc.pid, prover)) == 2)
    victim = _prover_pids(proc.pid, prover)[0]
    time.sleep(0.3)  # mid-proof
    os.kill(victim, signal.SIGKILL)
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr
    assert _check_out(ledger, out, artifacts) == _expected(ledger)
    assert _report(out)["failed"] == [] and _report(out)["provers"] == {prover: N_ACCOUNTS}


def test_a_malformed_statement_is_reported_and_the_others_are_proven(ledger: Path, artifacts: Artifacts, tmp_path: Path) -> None:
    import shutil

    led = tmp_path / "ledger"
    shutil.copytree(ledger / "ledger", led)
    bad = sorted((led / "statements").glob("*.json"))[2]
    doc = json.loads(bad.read_text())
    doc["book"]["positions"][0]["size"] = "1e3"  # not a SPEC §1 decimal
    bad.write_text(json.dumps(doc))
    out = tmp_path / "out"
    r = subprocess.run(
        _cli(str(led), str(ledger / "market.json"), "-o", str(out), "--workers", "2"),
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 1
    rep = _report(out)
    failed = rep["failed"]
    assert isinstance(failed, list) and [f["account"] for f in failed] == [bad.stem]
    assert "size" in failed[0]["error"]
    assert rep["proven_this_run"] == N_ACCOUNTS - 1
    assert sorted(p.stem for p in out.glob("0x*.json")) == sorted(p.stem for p in (led / "statements").glob("*.json") if p != bad)


def test_an_interrupted_run_leaves_no_partial_bundle_and_resumes(ledger: Path, artifacts: Artifacts, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = _cli(str(ledger / "ledger"), str(ledger / "market.json"), "-o", str(out), "--workers", "1")
    # SIGINT as from a terminal's Ctrl-C: a suite started in the background (`cmd &` in a script)
    # hands its children SIGINT ignored, and Python then never raises KeyboardInterrupt
    proc = subprocess.Popen(
        args,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    _wait_for(lambda: len(list(out.glob("0x*.json"))) >= 2)
    provers = _prover_pids(proc.pid, "native")
    assert provers
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=120)
    assert proc.returncode != 0
    done = sorted(out.glob("0x*.json"))
    assert 2 <= len(done) < N_ACCOUNTS
    assert not list(out.glob(".*"))
    for pid in provers:  # the worker's prover went down with the run
        _wait_for(
            lambda pid=pid: not Path(f"/proc/{pid}").exists() or b"zombie" in Path(f"/proc/{pid}/status").read_bytes().lower(), 30
        )
    for b in done:  # every bundle there is whole
        json.loads(b.read_text())
    again = subprocess.run(args, env=_env(), capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr
    rep = _report(out)
    assert rep["already_valid"] == len(done) and rep["proven_this_run"] == N_ACCOUNTS - len(done)
    assert _check_out(ledger, out, artifacts) == _expected(ledger)
