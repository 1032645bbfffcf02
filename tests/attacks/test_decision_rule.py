"""`zksolvency verify` / `verify-batch` reach an attest/flag decision only
when both the market root and the ledger root were checked. Every partial combination of bindings
is tried on a real bundle through the real CLI. Refused: no decision without both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.attacks.test_grace_and_ledger_attacks import cli
from tests.helpers import data
from tests.helpers.files import write_json

pytestmark = pytest.mark.slow


def test_no_decision_without_both_roots_checked(artifacts: object, tmp_path: Path) -> None:
    market = write_json(tmp_path / "market42.json", data.MARKET)
    book = write_json(tmp_path / "book.json", data.ACCOUNT)
    assert cli("ledger", "build", str(book), "--market", str(market), "--depth", "8", "-o", str(tmp_path / "L")).returncode == 0
    ledger = tmp_path / "L" / "ledger.json"
    enrolled = write_json(tmp_path / "enrolled.json", {data.ADDR: 0})
    b = tmp_path / "b.json"
    r = cli("prove", str(tmp_path / "L" / "statements" / f"{data.ADDR}.json"), str(market), "-o", str(b), "--config", "test")
    assert r.returncode == 0, r.stderr
    partial: list[tuple[str, ...]] = [
        (),
        ("--market", str(market)),
        ("--ledger", str(ledger)),
        ("--indices", str(enrolled)),
        ("--market", str(market), "--indices", str(enrolled)),
        ("--ledger", str(ledger), "--indices", str(enrolled)),
        ("--market", str(market), "--ledger", str(ledger), "--rpc", "http://127.0.0.1:1"),  # unreachable chain
    ]
    for extra in partial:
        for cmd in ("verify", "verify-batch"):
            r = cli(cmd, str(b), *extra, "--config", "test", "--json")
            if r.returncode == 0:
                j = json.loads(r.stdout.splitlines()[0])
                assert j["decision"] is None, (cmd, extra, j)
            else:
                assert "decision" not in r.stdout or '"decision": null' in r.stdout, (cmd, extra, r.stdout)
    r = cli("verify", str(b), "--market", str(market), "--ledger", str(ledger), "--config", "test", "--json")
    assert json.loads(r.stdout)["decision"] == "attest"
