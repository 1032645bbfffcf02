"""The chain commands as a user runs them, against a node started by `chain up`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from zksolvency.cli import main
from zksolvency.onchain.anvil import rpc_alive
from zksolvency.prover.setup import Artifacts

from tests.conftest import write_json
from tests.helpers import data


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def node(artifacts: Artifacts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("ZKSOLVENCY_DEPLOYMENT", str(tmp_path / "deployment.json"))
    r = cli("chain", "up")
    assert r.exit_code == 0, r.output
    rpc = r.output.split()[3]
    yield rpc
    r = cli("chain", "down")
    assert r.exit_code == 0 and "stopped" in r.output
    assert not rpc_alive(rpc)


def test_chain_commands_end_to_end(node: str, bundle_dir: Path, tmp_path: Path) -> None:
    r = cli("chain", "up")
    assert "already running" in r.output
    r = cli("chain", "deploy", "--config", "test", "--grace", "60", "--json")
    assert r.exit_code == 0, r.output
    dep = json.loads(r.output)
    assert dep["circuit"].startswith("solvency_k3") and dep["grace_period"] == 60
    r = cli("chain", "publish", str(bundle_dir / "market.json"), "--json")
    assert r.exit_code == 0, r.output
    pub = json.loads(r.output)
    assert pub["epoch"] == 42 and pub["gas_used"] > 0 and pub["tx_hash"].startswith("0x")
    r = cli("chain", "register", str(bundle_dir / "solvent.account.json"))
    assert r.exit_code == 0 and "gas used" in r.output
    # the precheck refuses the wrong verdict before any gas is spent
    r = cli("chain", "flag", str(bundle_dir / "solvent.bundle.json"))
    assert r.exit_code == 2 and "solvent = 0" in r.output
    # without it, the registry itself refuses, with its custom error
    r = cli("chain", "flag", str(bundle_dir / "solvent.bundle.json"), "--no-precheck")
    assert r.exit_code == 1 and "SolvencyRegistry__NotInsolventProof" in r.output
    r = cli("chain", "attest", str(bundle_dir / "solvent.bundle.json"), "--json")
    assert r.exit_code == 0, r.output
    att = json.loads(r.output)
    assert set(att) >= {"tx_hash", "gas_used"} and 200_000 < att["gas_used"] < 300_000
    r = cli("chain", "status", data.ADDR, "--json")
    st = json.loads(r.output)
    assert st["attested_epoch"] == 42 and st["solvent_now"] is True
    r = cli("chain", "flag-stale", data.ADDR)
    assert r.exit_code == 1 and "SolvencyRegistry__AttestationCurrent" in r.output
    r = cli("chain", "status", "0x1234")
    assert r.exit_code == 2 and "20-byte" in r.output


def test_chain_without_a_node_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZKSOLVENCY_BUILD", str(tmp_path))
    monkeypatch.delenv("ZKSOLVENCY_RPC", raising=False)
    monkeypatch.setenv("ZKSOLVENCY_DEPLOYMENT", str(tmp_path / "none.json"))
    r = cli("chain", "status", data.ADDR)
    assert r.exit_code == 2 and "chain up" in r.output
    r = cli("chain", "status", data.ADDR, "--rpc", "http://127.0.0.1:9")
    assert r.exit_code == 1 and "no JSON-RPC node" in r.output
    bad = write_json(tmp_path / "m.json", {"epoch": "x"})
    r = cli("chain", "publish", str(bad), "--rpc", "http://127.0.0.1:9")
    assert r.exit_code == 2 and "epoch" in r.output
