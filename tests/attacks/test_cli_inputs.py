"""ATTACK the input contract: "bad input exits 2 with one line (file and field), no traceback, no
partial output" and "encodings are canonical". No proofs are made here (fast).

- deeply nested JSON in every file a command reads (market, account, statement, ledger.json,
  --indices): a RecursionError that escaped a reader would make the CLI print "internal error:
  RecursionError" and exit 1 instead of 2. Refused (severity low): bad input, exit 2.
- duplicate JSON keys in statements (which embed the book), ledger.json and --indices files, as in
  account.json and market.json: with last-key-wins parsing a venue could hand a trader a statement
  whose first ``book`` is the trader's true book (what a first-key-wins viewer shows) and whose
  last ``book`` is what zksolvency checks and proves. Refused (severity low: a parser
  differential, which ``--account`` also catches).
- a batch of encodings SPEC §1 refuses that tests/helpers/bad_inputs.py does not list. REFUSED.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from zksolvency.cli import main

from tests.helpers import data
from tests.helpers.files import TEST_BUILD, write_json

ZKSOLVENCY = str(Path(sys.executable).with_name("zksolvency"))
ENV = {**os.environ, "ZKSOLVENCY_BUILD": str(TEST_BUILD)}
DEEP = data.DEEP_JSON


def zk(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ZKSOLVENCY, *args], capture_output=True, text=True, timeout=300, env=ENV, cwd=cwd)


def _good(d: Path) -> None:
    write_json(d / "market.json", data.MARKET)
    write_json(d / "account.json", data.ACCOUNT)
    write_json(d / "statement.json", data.statement(data.ACCOUNT))
    write_json(d / "ledger.json", {"format": "zksolvency-ledger/1", "epoch": 42, "root": "0x" + "11" * 32, "depth": 8,
                                   "accounts": []})  # fmt: skip


READERS = {
    "check-account": lambda d, f: ["check", f, f"{d}/market.json"],
    "check-market": lambda d, f: ["check", f"{d}/account.json", f],
    "market-root": lambda d, f: ["market-root", f],
    "commit": lambda d, f: ["commit", f],
    "statement": lambda d, f: ["statement", "verify", f, "--ledger", f"{d}/ledger.json"],
    "ledger-json": lambda d, f: ["statement", "verify", f"{d}/statement.json", "--ledger", f],
    "indices": lambda d, f: [
        "ledger",
        "build",
        f"{d}/account.json",
        "--market",
        f"{d}/market.json",
        "--indices",
        f,
        "--config",
        "test",
        "-o",
        f"{d}/OUT",
    ],
}


@pytest.mark.parametrize("reader", READERS.keys())
def test_deeply_nested_json_is_bad_input(tmp_path: Path, reader: str) -> None:
    _good(tmp_path)
    f = tmp_path / "deep.json"
    f.write_text(DEEP)
    r = zk(*READERS[reader](str(tmp_path), str(f)))
    assert not (tmp_path / "OUT").exists()
    assert "Traceback" not in r.stderr
    assert r.returncode == 2, (r.returncode, r.stderr)


def _dup_book_statement(d: Path) -> tuple[Path, dict[str, Any]]:
    """The statement of the INSOLVENT book, with the trader's true (solvent) book as an earlier
    duplicate ``book`` key: what a first-key-wins reader shows the trader."""
    st = data.statement(data.INSOLVENT)
    text = json.dumps(st)
    shown = json.dumps(data.ACCOUNT)
    forged = text.replace('{"format"', '{"book": ' + shown + ', "format"', 1)
    p = d / "dup.json"
    p.write_text(forged)
    ledger = {"format": "zksolvency-ledger/1", "epoch": 42, "root": st["ledger_root"], "depth": 8,
              "accounts": [{"account": data.ADDR, "index": 0}]}  # fmt: skip
    write_json(d / "ledger.json", ledger)
    return p, st


def test_statement_with_two_books_is_refused(tmp_path: Path) -> None:
    p, _st = _dup_book_statement(tmp_path)
    r = CliRunner().invoke(main, ["statement", "verify", str(p), "--ledger", str(tmp_path / "ledger.json")])
    # not "OK — the ledger of epoch 42 commits to this book ..." about the SECOND, insolvent book
    assert r.exit_code == 2 and "duplicate key" in r.output, r.output


def test_the_two_books_trick_is_caught_by_account_and_by_account_json_rules(tmp_path: Path) -> None:
    """Controls: the same duplicate key in an account.json is refused, and so is the statement even
    when a trader passes their own --account (bad input, before any comparison)."""
    p, _st = _dup_book_statement(tmp_path)
    own = write_json(tmp_path / "own.json", data.ACCOUNT)
    r = CliRunner().invoke(
        main, ["statement", "verify", str(p), "--ledger", str(tmp_path / "ledger.json"), "--account", str(own)]
    )
    assert r.exit_code == 2 and "duplicate key" in r.output
    dup = tmp_path / "dupacc.json"
    dup.write_text(json.dumps(data.ACCOUNT).replace('{"account"', '{"nonce": 9, "account"', 1))
    r = CliRunner().invoke(main, ["commit", str(dup)])
    assert r.exit_code == 2 and "duplicate key" in r.output


def test_ledger_json_with_two_roots_is_refused(tmp_path: Path) -> None:
    _p, st = _dup_book_statement(tmp_path)
    good = tmp_path / "statement.json"
    write_json(good, st)
    text = (tmp_path / "ledger.json").read_text()
    (tmp_path / "ledger2.json").write_text(text.replace('"format"', '"root": "0x' + "22" * 32 + '", "format"', 1))
    assert (tmp_path / "ledger2.json").read_text().count('"root"') == 2
    r = CliRunner().invoke(main, ["statement", "verify", str(good), "--ledger", str(tmp_path / "ledger2.json")])
    assert r.exit_code == 2 and "duplicate key" in r.output, r.output


def test_indices_file_with_an_address_twice_is_refused(tmp_path: Path) -> None:
    _good(tmp_path)
    idx = tmp_path / "idx.json"
    idx.write_text(f'{{"{data.ADDR}": 0, "{data.ADDR}": 5}}')
    r = CliRunner().invoke(main, READERS["indices"](str(tmp_path), str(idx)))
    assert r.exit_code == 2 and ("twice" in r.output or "duplicate key" in r.output), r.output


EXTRA_BAD_DECIMALS = ["1.", "-", "", "1_000", "0x10", "1,5", "١", "NaN", "Infinity", "1e-3", "--1", "1.-5", "\u00a01",
                      "1\t", "1\r", "0.000000001", "-0.1"]  # fmt: skip


@pytest.mark.parametrize("value", EXTRA_BAD_DECIMALS)
def test_more_non_canonical_decimals_are_refused(tmp_path: Path, value: str) -> None:
    m = data.market()
    m["collateral"][0]["price"] = value
    f = write_json(tmp_path / "m.json", m)
    r = CliRunner().invoke(main, ["market-root", str(f)])
    assert r.exit_code == 2 and "collateral[0].price" in r.output and len(r.output.strip().splitlines()) == 1, r.output


@pytest.mark.parametrize(
    "salt",
    ["0x" + "f" * 31, "0x" + "0" * 30 + "f" * 31, "0x" + "1" + "0" * 62, "0X" + "ab" * 20, "ab" * 20, "0x" + "g" * 40],
    ids=["124-bit", "zero-padded-124-bit", "2^248", "0X", "no-0x", "non-hex"],
)
def test_weak_or_non_canonical_salts_are_refused(tmp_path: Path, salt: str) -> None:
    f = write_json(tmp_path / "a.json", data.account(salt=salt))
    r = CliRunner().invoke(main, ["commit", str(f)])
    assert r.exit_code == 2 and "salt" in r.output, r.output


def test_failed_commands_leave_no_output(tmp_path: Path) -> None:
    """prove and ledger build with a bad input: no file, no directory, no temporary left behind."""
    _good(tmp_path)
    bad = data.market()
    bad["instruments"][0]["mark_price"] = "1e3"
    write_json(tmp_path / "bad-market.json", bad)
    before = set(tmp_path.iterdir())
    r = CliRunner().invoke(main, ["ledger", "build", str(tmp_path / "account.json"), "--market",
                                  str(tmp_path / "bad-market.json"), "--config", "test", "-o", str(tmp_path / "L")])  # fmt: skip
    assert r.exit_code == 2
    r = CliRunner().invoke(main, ["prove", str(tmp_path / "statement.json"), str(tmp_path / "bad-market.json"),
                                  "--config", "test", "-o", str(tmp_path / "b.json")])  # fmt: skip
    assert r.exit_code == 2
    assert set(tmp_path.iterdir()) == before
