"""ATTACK the input contract: every command that reads a market or an account refuses every bad
input of SPEC §1 (trailing newline, spaces, exponent, plus sign, non-ASCII digits, short salts, ...)
with exit code 2 and one line naming the file and the field, and leaves no partial output (issue 7,
issue 8 §3). ``check`` and ``prove`` are covered in tests/cli/test_cli.py over the same cases; the
encodings of ``EXTRA_BAD_DECIMALS`` are ones tests/helpers/bad_inputs.py does not list. Only the
``verify --market`` test needs proofs (``bundle_dir``); the rest makes none."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from zksolvency.cli import main
from zksolvency.zkcore.models import Account, new_salt

from tests.helpers import data
from tests.helpers.bad_inputs import CASES, CROSS_FILE
from tests.helpers.files import write_good_inputs, write_json

SINGLE_FILE = [c for c in CASES if c[0] not in CROSS_FILE]
DEAD_RPC = "http://127.0.0.1:9"  # the file is refused before any node is contacted

#: Commands that read one market or one account file, as argument lists around that file.
#: Each takes the bad file and a folder holding a good ``market.json`` and ``account.json``.
Command = Callable[[str, str], list[str]]
MARKET_COMMANDS: dict[str, Command] = {
    "market-root": lambda f, d: ["market-root", f],
    "chain-publish": lambda f, d: ["chain", "publish", f, "--rpc", DEAD_RPC],
    "ledger-build": lambda f, d: ["ledger", "build", f"{d}/account.json", "--market", f, "-o", f"{d}/L"],
}
ACCOUNT_COMMANDS: dict[str, Command] = {
    "commit": lambda f, d: ["commit", f],
    "ledger-build": lambda f, d: ["ledger", "build", f, "--market", f"{d}/market.json", "-o", f"{d}/L"],
}


def _bad_file(tmp_path: Path, target: str, mutate: Any) -> Path:
    doc = copy.deepcopy(data.MARKET if target == "market" else data.ACCOUNT)
    mutate(doc)
    tmp_path.mkdir(exist_ok=True)
    return write_json(tmp_path / f"{target}.json", doc)


@pytest.mark.parametrize(("case", "target", "mutate", "field"), SINGLE_FILE, ids=[c[0] for c in SINGLE_FILE])
def test_every_reader_refuses_bad_input(tmp_path: Path, case: str, target: str, mutate: Any, field: str) -> None:
    f = _bad_file(tmp_path / "bad", target, mutate)
    good = tmp_path / "good"
    good.mkdir()
    write_json(good / "market.json", data.MARKET)
    write_json(good / "account.json", data.ACCOUNT)
    commands = MARKET_COMMANDS if target == "market" else ACCOUNT_COMMANDS
    for name, args in commands.items():
        r = CliRunner().invoke(main, args(str(f), str(good)))
        assert r.exit_code == 2, (name, r.output)
        lines = r.output.strip().splitlines()
        assert len(lines) == 1 and str(f) in lines[0] and field in lines[0], (name, r.output)
        assert "Traceback" not in r.output
        assert not (good / "L").exists(), name  # no partial output


@pytest.mark.parametrize(
    ("case", "target", "mutate", "field"),
    [c for c in SINGLE_FILE if c[1] == "market"],
    ids=[c[0] for c in SINGLE_FILE if c[1] == "market"],
)
def test_verify_refuses_a_bad_market(bundle_dir: Path, tmp_path: Path, case: str, target: str, mutate: Any, field: str) -> None:
    f = _bad_file(tmp_path, target, mutate)
    r = CliRunner().invoke(main, ["verify", str(bundle_dir / "solvent.bundle.json"), "--config", "test", "--market", str(f)])
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1 and field in r.output, r.output


def test_salt_command_makes_fresh_valid_salts() -> None:
    outs = {CliRunner().invoke(main, ["salt"]).output.strip() for _ in range(3)}
    assert len(outs) == 3
    for s in outs:
        assert len(s) == 64 and s.startswith("0x") and int(s, 16) >= 2**128
        assert Account(**data.account(salt=s)).salt == int(s, 16)
    assert int(new_salt(), 16) < 2**248


def test_salt_rule_is_explained(tmp_path: Path) -> None:
    f = write_json(tmp_path / "a.json", data.account(salt="0x0badc0de"))
    r = CliRunner().invoke(main, ["commit", str(f)])
    assert r.exit_code == 2 and "salt" in r.output and "2^128" in r.output and "zksolvency salt" in r.output


@pytest.mark.parametrize("where", ["ledger_root", "path"])
def test_statement_hex_fields_are_matched_in_full(tmp_path: Path, where: str) -> None:
    """A root or sibling with a trailing newline is not a canonical 0x + 64 hex digits."""
    from zksolvency.zkcore.errors import InputError
    from zksolvency.zkcore.ledger import load_statement

    st = data.statement(data.ACCOUNT, index=3)
    load_statement(write_json(tmp_path / "ok.json", st))
    if where == "path":
        st["path"][0] += "\n"
    else:
        st["ledger_root"] += "\n"
    with pytest.raises(InputError, match=where):
        load_statement(write_json(tmp_path / "st.json", st))


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
    write_good_inputs(tmp_path)
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
