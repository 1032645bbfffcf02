"""ATTACK the readers with hostile JSON: files nested a hundred thousand levels deep, and keys given
twice (attacker review, findings 5, 6, 8, 9). Each test runs the attack through the CLI or in a
real process and shows it refused with one line, no traceback and no partial output.

- deeply nested JSON in every file a command reads (market, account, statement, ledger.json,
  --indices, bundles): a RecursionError that escaped a reader would make the CLI print "internal
  error: RecursionError" and exit 1 instead of 2, and one such bundle could abort a whole
  verify-batch. In a process that imported web3 (py_ecc raises the recursion limit to 100,000) a
  deeply nested file can overflow the C stack and kill the process. Refused: bad input (exit 2),
  an invalid proof for a bundle (exit 1), the other bundles still verified.
- duplicate JSON keys in every file (market, account, statements, which embed the book,
  ledger.json, --indices): with last-key-wins parsing a venue could hand a trader a statement whose
  first ``book`` is the trader's true book (what a first-key-wins viewer shows) and whose last
  ``book`` is what zksolvency checks and proves. Refused (severity low: a parser differential,
  which ``--account`` also catches).
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
from zksolvency.prover.setup import Artifacts

from tests.helpers import data
from tests.helpers.files import TEST_BUILD, write_good_inputs, write_json

ZKSOLVENCY = str(Path(sys.executable).with_name("zksolvency"))
ENV = {**os.environ, "ZKSOLVENCY_BUILD": str(TEST_BUILD)}
DEEP = data.DEEP_JSON
#: The same behind an escaped string: an escape must not shift where the depth scan thinks strings end
DEEP_BEHIND_ESCAPES = '["\\n", "\\"", "\\\\", ' + DEEP + "]"


def zk(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ZKSOLVENCY, *args], capture_output=True, text=True, timeout=300, env=ENV, cwd=cwd)


def _one_line(r: subprocess.CompletedProcess[str], code: int) -> None:
    assert r.returncode == code, (r.returncode, r.stderr[-500:])
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


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


# ------------------------------------------------------------ files nested deeper than any reader goes


@pytest.mark.parametrize("reader", READERS.keys())
def test_deeply_nested_json_is_bad_input(tmp_path: Path, reader: str) -> None:
    write_good_inputs(tmp_path)
    f = tmp_path / "deep.json"
    f.write_text(DEEP)
    r = zk(*READERS[reader](str(tmp_path), str(f)))
    assert not (tmp_path / "OUT").exists()
    assert "Traceback" not in r.stderr
    assert r.returncode == 2, (r.returncode, r.stderr)


@pytest.mark.parametrize("text", [DEEP, DEEP_BEHIND_ESCAPES], ids=["bare", "behind-escapes"])
def test_a_deep_file_is_bad_input_even_beside_web3(tmp_path: Path, text: str) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(text)
    market = tmp_path / "market.json"
    market.write_text(json.dumps(data.MARKET))
    # every reader of a file from someone else, in a process that has web3 (and py_ecc) loaded
    code = (
        "import sys, web3, zksolvency\n"
        "from zksolvency.onchain.results import read_public_ledger\n"
        "from zksolvency.zkcore.ledger import load_statement, read_indices\n"
        "p = sys.argv[1]\n"
        "for f in (zksolvency.load_market, zksolvency.load_account, load_statement, read_indices, read_public_ledger):\n"
        "    try:\n"
        "        f(__import__('pathlib').Path(p))\n"
        "    except zksolvency.InputError as e:\n"
        "        print(f.__name__, 'refused:', e.message)\n"
    )
    r = subprocess.run([sys.executable, "-c", code, str(deep)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, (r.returncode, r.stderr[-300:])  # no SIGSEGV (-11)
    assert r.stdout.count("refused: not valid JSON: nested deeper than 64 levels") == 5, r.stdout
    # and from the command line: exit 2, one line naming the file
    for args in (["check", str(deep), str(market)], ["check", str(tmp_path / "a.json"), str(deep)], ["market-root", str(deep)]):
        (tmp_path / "a.json").write_text(json.dumps(data.ACCOUNT))
        r = subprocess.run([ZKSOLVENCY, *args], capture_output=True, text=True, timeout=120)
        _one_line(r, 2)
        assert "deep.json" in r.stderr and "nested deeper" in r.stderr
    r = subprocess.run(
        [ZKSOLVENCY, "chain", "publish-ledger", str(deep), "--rpc", "http://127.0.0.1:1"], capture_output=True, text=True
    )
    _one_line(r, 2)


def test_a_deep_bundle_is_an_invalid_proof_and_verify_batch_names_it(
    bundle_dir: Path, artifacts: Artifacts, tmp_path: Path
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP)
    r = subprocess.run(
        [ZKSOLVENCY, "verify", str(deep), "--vkey", str(artifacts.vkey)], capture_output=True, text=True, timeout=120
    )
    _one_line(r, 1)
    assert "nested deeper" in r.stderr
    good = [bundle_dir / f"{n}.bundle.json" for n in ("solvent", "insolvent")]
    market = str(bundle_dir / "market.json")
    res = CliRunner().invoke(
        main, ["verify-batch", *map(str, good), str(deep), "--vkey", str(artifacts.vkey), "--market", market]
    )
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert len(lines) == 3 and sum("deep.json" in line and "nested deeper" in line for line in lines) == 1
    assert sum("VALID proof" in line for line in lines) == 2  # the two good bundles still verified


# ------------------------------------------------------------ keys given twice


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
    write_good_inputs(tmp_path)
    idx = tmp_path / "idx.json"
    idx.write_text(f'{{"{data.ADDR}": 0, "{data.ADDR}": 5}}')
    r = CliRunner().invoke(main, READERS["indices"](str(tmp_path), str(idx)))
    assert r.exit_code == 2 and ("twice" in r.output or "duplicate key" in r.output), r.output


@pytest.mark.parametrize("kind", ["market", "account"])
def test_a_key_given_twice_is_refused_in_inputs(tmp_path: Path, kind: str) -> None:
    market = tmp_path / "market.json"
    market.write_text(json.dumps(data.MARKET))
    acc = tmp_path / "a.json"
    acc.write_text(json.dumps(data.ACCOUNT))
    target = market if kind == "market" else acc
    key = '"epoch":' if kind == "market" else '"nonce":'
    target.write_text(target.read_text().replace(key, key + " 1, " + key, 1))
    r = subprocess.run([ZKSOLVENCY, "check", str(acc), str(market)], capture_output=True, text=True)
    _one_line(r, 2)
    assert "duplicate key" in r.stderr and target.name in r.stderr


def test_an_address_given_twice_in_an_indices_file_is_refused(tmp_path: Path) -> None:
    acc = tmp_path / "a.json"
    acc.write_text(json.dumps(data.ACCOUNT))
    market = tmp_path / "market.json"
    market.write_text(json.dumps(data.MARKET))
    idx = tmp_path / "idx.json"
    idx.write_text(f'{{"{data.ADDR}": 3, "{data.ADDR}": 4}}')  # which index? the reader must not guess
    r = subprocess.run(
        [
            ZKSOLVENCY,
            "ledger",
            "build",
            str(acc),
            "--market",
            str(market),
            "--indices",
            str(idx),
            "--config",
            "test",
            "-o",
            str(tmp_path / "L"),
        ],
        capture_output=True,
        text=True,
    )
    _one_line(r, 2)
    assert "duplicate key" in r.stderr and not (tmp_path / "L").exists()
