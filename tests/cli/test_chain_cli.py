"""The chain commands as a user runs them, against a node started by `chain up`, everything under
one `--build-dir` (node record, deployment, compiled contracts)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from web3 import Web3
from zksolvency.cli import main
from zksolvency.onchain.anvil import rpc_alive
from zksolvency.prover.config import CircuitConfig
from zksolvency.prover.setup import Artifacts

from tests.helpers import data
from tests.helpers.files import write_json

A = Web3.to_checksum_address(data.ADDR)
B = Web3.to_checksum_address(data.OTHER_ADDR)
C = Web3.to_checksum_address("0x" + "c0" * 20)


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def js(r: Any) -> Any:
    """The one JSON object a --json command printed."""
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


@pytest.fixture
def build(artifacts: Artifacts, test_cfg: CircuitConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh build directory holding the test circuit's verifier, with a node running for it."""
    monkeypatch.delenv("ZKSOLVENCY_DEPLOYMENT", raising=False)
    monkeypatch.delenv("ZKSOLVENCY_RPC", raising=False)
    b = tmp_path / "build"
    (b / test_cfg.name).mkdir(parents=True)
    shutil.copyfile(artifacts.solidity, b / test_cfg.name / "Groth16Verifier.sol")
    shutil.copyfile(artifacts.batch_solidity, b / test_cfg.name / "Groth16BatchVerifier.sol")
    shutil.copyfile(artifacts.vkey, b / test_cfg.name / "verification_key.json")  # deploy checks the key it comes from
    up = js(cli("chain", "up", "--build-dir", str(b), "--json"))
    assert up["already_running"] is False and (b / "chain" / "node.json").is_file()
    yield b
    down = js(cli("chain", "down", "--build-dir", str(b), "--json"))
    assert down["stopped"] is True and not rpc_alive(up["rpc"])


def ledger_dir(path: Path, epoch: int, root: int, accounts: dict[str, int]) -> Path:
    """A public ledger.json as `ledger build` writes it."""
    path.mkdir(parents=True, exist_ok=True)
    entries = [{"account": a, "index": i} for a, i in accounts.items()]
    write_json(
        path / "ledger.json",
        {"format": "zksolvency-ledger/1", "epoch": epoch, "root": f"0x{root:064x}", "depth": 20, "accounts": entries},
    )
    return path


def test_venue_commands_end_to_end(build: Path, tmp_path: Path) -> None:
    bd = ("--build-dir", str(build))
    assert js(cli("chain", "up", *bd, "--json"))["already_running"] is True
    dep = js(cli("chain", "deploy", "--config", "test", "--grace", "60", *bd, "--json"))
    assert dep["circuit"].startswith("solvency_k3") and dep["grace_period"] == 60
    assert (build / "chain" / "deployment.json").is_file()
    assert set(dep["roles"]) == {"admin", "publisher", "venue", "liquidator"}
    enr = js(cli("chain", "enroll", A, B, *bd, "--json"))
    assert enr["indices"] == {A: 0, B: 1} and enr["gas_used"] > 0 and enr["tx_hash"].startswith("0x")
    r = cli("chain", "enroll", A, *bd)
    assert r.exit_code == 1 and "SolvencyRegistry__AlreadyEnrolled" in r.output
    assert js(cli("chain", "enrolled", *bd, "--json")) == {A: 0, B: 1}  # the `ledger build --indices` file

    # a ledger whose indices enrollment in order cannot give is refused before anything is sent
    r = cli("chain", "enroll", "--from-ledger", str(ledger_dir(tmp_path / "gap", 42, 7, {A: 0, B: 1, C: 5})), *bd)
    assert r.exit_code == 2 and "index 5" in r.output and "gives index 2" in r.output
    r = cli("chain", "enroll", "--from-ledger", str(ledger_dir(tmp_path / "moved", 42, 7, {A: 1, B: 0})), *bd)
    assert r.exit_code == 2 and "enrolled at index 0" in r.output
    led = ledger_dir(tmp_path / "ledger", 42, 0xABC, {A: 0, B: 1, C: 2})
    assert js(cli("chain", "enroll", "--from-ledger", str(led), *bd, "--json"))["indices"] == {C: 2}
    again = js(cli("chain", "enroll", "--from-ledger", str(led), *bd, "--json"))
    assert again["tx_hash"] is None and again["indices"] == {}

    # the oracle publishes epoch 42 (the accounts, enrolled before it, owe it)
    market = write_json(tmp_path / "market.json", data.MARKET)
    pub = js(cli("chain", "publish", str(market), *bd, "--json"))
    assert pub["epoch"] == 42 and pub["gas_used"] > 0 and pub["tx_hash"].startswith("0x")

    # the ledger: its epoch must be the oracle's latest, and it goes on chain once
    r = cli("chain", "publish-ledger", str(ledger_dir(tmp_path / "old", 41, 7, {A: 0})), *bd)
    assert r.exit_code == 2 and "ledger.json" in r.output and "epoch" in r.output and "latest epoch (42)" in r.output
    pl = js(cli("chain", "publish-ledger", str(led), *bd, "--json"))
    assert pl["epoch"] == 42 and pl["ledger_root"] == f"0x{0xABC:064x}" and pl["gas_used"] > 0
    r = cli("chain", "publish-ledger", str(led / "ledger.json"), *bd)
    assert r.exit_code == 1 and "SolvencyRegistry__LedgerAlreadyPublished" in r.output

    # staleness: too early is refused with its deadline; after it, many accounts in one tx
    r = cli("chain", "flag-stale", A, *bd)
    assert r.exit_code == 1 and "SolvencyRegistry__GracePeriodNotOver" in r.output and "deadline=" in r.output
    assert js(cli("chain", "advance-time", "61", *bd, "--json")) == {"advanced": 61}
    fs = js(cli("chain", "flag-stale", A, B, *bd, "--json"))
    assert fs["flagged"] == [A, B] and fs["skipped"] == [] and fs["gas_per_account"] * 2 <= fs["gas_used"]
    r = cli("chain", "flag-stale", A, C, *bd)  # A is flagged already: skipped, C flagged
    assert r.exit_code == 0 and f"flagged {C} stale" in r.output and f"skipped {A}" in r.output
    st = js(cli("chain", "status", A, *bd, "--json"))
    assert st["flag"] == "stale" and st["flagged_epoch"] == 42 and st["index"] == 0 and st["solvent_now"] is False
    res = js(cli("chain", "resolve-flag", A, *bd, "--json"))
    assert res["gas_used"] > 0
    r = cli("chain", "flag-stale", A, *bd)
    assert r.exit_code == 1 and "SolvencyRegistry__NotDue" in r.output


def test_proof_commands_end_to_end(build: Path, tmp_path: Path) -> None:
    """The venue's epoch with real proofs: enroll, `ledger build --indices` from `chain enrolled
    --json`, publish, a trader's `statement verify --rpc`, attest, flag."""
    bd = ("--build-dir", str(build))
    rpc = json.loads((build / "chain" / "node.json").read_text())["rpc"]
    js(cli("chain", "deploy", "--config", "test", "--grace", "60", *bd, "--json"))
    books = {
        A: write_json(tmp_path / "a.json", data.ACCOUNT),
        B: write_json(tmp_path / "b.json", data.account(account=data.OTHER_ADDR, nonce=0, salt=data.OTHER_SALT)),
        C: write_json(tmp_path / "c.json", {**data.INSOLVENT, "account": C}),
    }
    js(cli("chain", "enroll", C, A, B, *bd, "--json"))  # the venue's order, not the files'
    r = cli("chain", "enrolled", *bd, "--json")
    indices = tmp_path / "indices.json"
    indices.write_text(r.output)
    market = write_json(tmp_path / "market.json", data.MARKET)
    js(cli("chain", "publish", str(market), *bd, "--json"))
    ledger = tmp_path / "ledger"
    r = cli(
        "ledger",
        "build",
        *map(str, books.values()),
        "--market",
        str(market),
        "--indices",
        str(indices),
        "--config",
        "test",
        "-o",
        str(ledger),
    )
    assert r.exit_code == 0, r.output
    statements = {a: next((ledger / "statements").glob(f"{a.lower()}.json")) for a in books}

    # before the root is on chain, a trader's check fails; after it, it passes
    r = cli("statement", "verify", str(statements[A]), "--rpc", rpc, *bd)
    assert r.exit_code == 1 and "no ledger root" in r.output
    js(cli("chain", "publish-ledger", str(ledger), *bd, "--json"))
    check = js(cli("statement", "verify", str(statements[A]), "--rpc", rpc, *bd, "--account", str(books[A]), "--json"))
    assert check["ok"] is True and check["index"] == 1 and check["epoch"] == 42
    # a venue that misstates the book, or hands out another index, is caught
    lied = json.loads(statements[A].read_text())
    lied["book"]["collateral"][0]["amount"] = "250000"
    r = cli("statement", "verify", str(write_json(tmp_path / "lied.json", lied)), "--rpc", rpc, *bd)
    assert r.exit_code == 1 and "MISMATCH" in r.output
    moved = tmp_path / "moved"
    r = cli("ledger", "build", str(books[A]), "--market", str(market), "--config", "test", "-o", str(moved))  # A at index 0
    assert r.exit_code == 0, r.output
    r = cli("statement", "verify", str(next((moved / "statements").glob("*.json"))), "--rpc", rpc, *bd)
    assert r.exit_code == 1 and "enrolled" in r.output and "index 1" in r.output
    r = cli("statement", "verify", str(statements[A]), *bd)
    assert r.exit_code == 2 and "--rpc" in r.output

    # proofs from the statements: A attests, C is flagged
    for a in (A, C):
        r = cli("prove", str(statements[a]), str(market), "-o", str(tmp_path / f"{a}.bundle.json"), "--config", "test")
        assert r.exit_code == 0, r.output
    r = cli("chain", "flag", str(tmp_path / f"{A}.bundle.json"), *bd)  # the precheck refuses the wrong verdict
    assert r.exit_code == 2 and "solvent = 0" in r.output
    r = cli("chain", "flag", str(tmp_path / f"{A}.bundle.json"), "--no-precheck", *bd)  # without it, the registry does
    assert r.exit_code == 1 and "SolvencyRegistry__NotInsolventProof" in r.output
    att = js(cli("chain", "attest", str(tmp_path / f"{A}.bundle.json"), *bd, "--json"))
    assert att["account"].lower() == A.lower() and 200_000 < att["gas_used"] < 300_000
    flag = js(cli("chain", "flag", str(tmp_path / f"{C}.bundle.json"), *bd, "--json"))
    assert flag["gas_used"] > 200_000
    st = js(cli("chain", "status", A, *bd, "--json"))
    assert st["attested_epoch"] == 42 and st["solvent_now"] is True and st["index"] == 1
    assert js(cli("chain", "status", C, *bd, "--json"))["flag"] == "insolvent"
    r = cli("chain", "flag-stale", A, *bd)
    assert r.exit_code == 1 and "SolvencyRegistry__AttestationCurrent" in r.output

    # attacker review finding 16: once the oracle moves on, last epoch's statement is no proof of
    # what the venue commits to now (its root is still on chain, but proofs bind to the latest)
    assert cli("chain", "publish", str(write_json(tmp_path / "m43.json", data.market(epoch=43))), *bd).exit_code == 0
    r = cli("statement", "verify", str(statements[A]), "--rpc", rpc, *bd, "--account", str(books[A]))
    assert r.exit_code == 1 and "epoch 42" in r.output and "latest epoch is 43" in r.output
    r = cli("statement", "verify", str(statements[A]), "--ledger", str(ledger / "ledger.json"))
    assert r.exit_code == 0, r.output  # the historical check, against the ledger file, still holds


def test_chain_input_errors_are_one_line(build: Path, tmp_path: Path) -> None:
    bd = ("--build-dir", str(build))
    r = cli("chain", "status", "0x1234", *bd)
    assert r.exit_code == 2 and "20-byte" in r.output
    r = cli("chain", "enroll", *bd)
    assert r.exit_code == 2 and "--from-ledger" in r.output
    r = cli("chain", "enroll", A, "--from-ledger", str(tmp_path), *bd)
    assert r.exit_code == 2
    r = cli("chain", "flag-stale", A, "nope", *bd)
    assert r.exit_code == 2 and "nope" in r.output
    bad = tmp_path / "bad"
    bad.mkdir()
    head = {"format": "zksolvency-ledger/1", "depth": 20}
    for content, field in (
        ({"epoch": -1, "root": "0x" + "00" * 32, "accounts": []}, "epoch"),
        ({"epoch": 1, "root": "0x12", "accounts": []}, "root"),
        ({"epoch": 1, "root": "0x" + "11" * 32, "accounts": [{"account": "0x12", "index": 0}]}, "accounts[0].account"),
        ({"epoch": 1, "root": "0x" + "11" * 32, "accounts": [{"account": A, "index": -2}]}, "accounts[0].index"),
        (
            {"epoch": 1, "root": "0x" + "11" * 32, "accounts": [{"account": A, "index": 0}, {"account": A, "index": 1}]},
            "accounts[1].account",
        ),
        (
            {"epoch": 1, "root": "0x" + "11" * 32, "accounts": [{"account": A, "index": 0}, {"account": B, "index": 0}]},
            "accounts[1].index",
        ),
    ):
        write_json(bad / "ledger.json", {**head, **content})
        r = cli("chain", "publish-ledger", str(bad), *bd)
        assert r.exit_code == 2 and field in r.output and "Traceback" not in r.output, r.output
        assert len(r.output.strip().splitlines()) == 1
    r = cli("chain", "publish-ledger", str(tmp_path / "missing"), *bd)
    assert r.exit_code == 2 and "ledger.json" in r.output


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
    r = cli("chain", "register", "x")
    assert r.exit_code == 2 and "No such command" in r.output  # accounts no longer register themselves
