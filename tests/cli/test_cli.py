"""The CLI as users run it: outputs, exit codes, one-line errors, no partial files."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from zksolvency.cli import main
from zksolvency.zkcore.commitment import account_commitment, market_root
from zksolvency.zkcore.field import hex32
from zksolvency.zkcore.models import Account, Market

from tests.helpers import data
from tests.helpers.bad_inputs import CASES
from tests.helpers.files import write_json


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return write_json(tmp_path / "account.json", data.ACCOUNT), write_json(tmp_path / "market.json", data.MARKET)


def test_check_json_has_the_spec_keys(files: tuple[Path, Path]) -> None:
    r = run("check", str(files[0]), str(files[1]), "--json")
    assert r.exit_code == 0
    out = json.loads(r.output)
    assert out == {
        "collateral_value": "29050.675",
        "pnl": "-2127.5",
        "equity": "26923.175",
        "tiered_mm": "183",
        "scenario_mm": "615",
        "maintenance": "798",
        "solvent": True,
    }


def test_check_human_output_says_the_verdict(tmp_path: Path) -> None:
    a = write_json(tmp_path / "a.json", data.INSOLVENT)
    m = write_json(tmp_path / "m.json", data.MARKET)
    r = run("check", str(a), str(m))
    assert r.exit_code == 0
    assert "INSOLVENT" in r.output


def test_commit_and_market_root_print_32_bytes(files: tuple[Path, Path]) -> None:
    c = run("commit", str(files[0]))
    root = run("market-root", str(files[1]))
    assert c.exit_code == root.exit_code == 0
    assert c.output.strip() == hex32(account_commitment(Account(**data.ACCOUNT)))
    assert root.output.strip() == hex32(market_root(Market(**data.MARKET)))
    assert len(c.output.strip()) == len(root.output.strip()) == 66


def test_market_root_binds_the_epoch_and_every_value(tmp_path: Path) -> None:
    base = run("market-root", str(write_json(tmp_path / "a.json", data.MARKET))).output
    other_epoch = run("market-root", str(write_json(tmp_path / "b.json", data.market(epoch=43)))).output
    m = data.market()
    m["instruments"][2]["scenario_pnl"][3] = "88.00000001"
    other_scen = run("market-root", str(write_json(tmp_path / "c.json", m))).output
    assert len({base, other_epoch, other_scen}) == 3


def test_commitment_is_order_independent_but_salt_dependent(tmp_path: Path) -> None:
    a = data.account()
    b = data.account(positions=list(reversed(a["positions"])), collateral=list(reversed(a["collateral"])))
    c = data.account(salt=data.OTHER_SALT)
    outs = [run("commit", str(write_json(tmp_path / f"{i}.json", x))).output for i, x in enumerate((a, b, c))]
    assert outs[0] == outs[1] != outs[2]


def _bad_files(tmp_path: Path, target: str, mutate: Any) -> tuple[Path, Path]:
    m, a = copy.deepcopy(data.MARKET), copy.deepcopy(data.ACCOUNT)
    mutate(m if target == "market" else a)
    return write_json(tmp_path / "account.json", a), write_json(tmp_path / "market.json", m)


@pytest.mark.parametrize(("case", "target", "mutate", "field"), CASES, ids=[c[0] for c in CASES])
def test_check_bad_input_exits_2_with_one_line(tmp_path: Path, case: str, target: str, mutate: Any, field: str) -> None:
    a, m = _bad_files(tmp_path, target, mutate)
    r = CliRunner().invoke(main, ["check", str(a), str(m)])
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert len(lines) == 1, r.output
    assert (str(m) if target == "market" else str(a)) in lines[0]
    assert field in lines[0]


@pytest.mark.parametrize(("case", "target", "mutate", "field"), CASES, ids=[c[0] for c in CASES])
def test_prove_bad_input_exits_2_and_writes_nothing(tmp_path: Path, case: str, target: str, mutate: Any, field: str) -> None:
    m, acc = copy.deepcopy(data.MARKET), copy.deepcopy(data.ACCOUNT)
    mutate(m if target == "market" else acc)
    # the statement's book is the account (bad or not), written where the account was
    a, mf = write_json(tmp_path / "account.json", data.statement(acc)), write_json(tmp_path / "market.json", m)
    out = tmp_path / "bundle.json"
    r = CliRunner().invoke(main, ["prove", str(a), str(mf), "-o", str(out), "--config", "test"])
    assert r.exit_code == 2
    assert len(r.output.strip().splitlines()) == 1 and field in r.output
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["account.json", "market.json"]  # no temp files left


def test_prove_refuses_a_portfolio_bigger_than_the_circuit(tmp_path: Path) -> None:
    m = data.market()
    m["instruments"].append({"id": 11, "symbol": "SOL-PERP", "mark_price": "150", "mm_tiers": [], "scenario_pnl": []})
    a = data.account(
        positions=[{"instrument": i, "size": "1", "entry_price": "1"} for i in (1, 2, 7, 11)],
    )
    out = tmp_path / "b.json"
    r = CliRunner().invoke(
        main,
        [
            "prove",
            str(write_json(tmp_path / "a.json", data.statement(a))),
            str(write_json(tmp_path / "m.json", m)),
            "-o",
            str(out),
            "--config",
            "test",
        ],
    )
    assert r.exit_code == 2
    assert "4 positions" in r.output and "zksolvency setup --param K=4" in r.output
    assert "prove with the same `--param K=4`" in r.output
    assert not out.exists()


def test_prove_refuses_a_market_with_other_scenario_count(tmp_path: Path) -> None:
    m = data.market()
    for ins in m["instruments"]:
        if ins["scenario_pnl"]:
            ins["scenario_pnl"] = ins["scenario_pnl"] + ["1", "2"]
    out = tmp_path / "b.json"
    r = CliRunner().invoke(
        main,
        [
            "prove",
            str(write_json(tmp_path / "a.json", data.statement(data.ACCOUNT))),
            str(write_json(tmp_path / "m.json", m)),
            "-o",
            str(out),
            "--config",
            "test",
        ],
    )
    assert r.exit_code == 2 and "--param S=6" in r.output
    assert not out.exists()


def test_prove_to_a_missing_directory_is_bad_input(files: tuple[Path, Path], tmp_path: Path) -> None:
    r = CliRunner().invoke(
        main, ["prove", str(files[0]), str(files[1]), "-o", str(tmp_path / "nope" / "b.json"), "--config", "test"]
    )
    assert r.exit_code == 2 and "output directory does not exist" in r.output


def test_unknown_config_is_bad_input(files: tuple[Path, Path], tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["prove", str(files[0]), str(files[1]), "-o", str(tmp_path / "b.json"), "--config", "huge"])
    assert r.exit_code == 2 and "no such circuit config" in r.output


def test_real_process_prints_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "m.json"
    bad.write_text('{"epoch": 1,')
    proc = subprocess.run(
        [sys.executable, "-m", "zksolvency.cli", "market-root", str(bad)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f"error: {bad}: not valid JSON: Expecting property name enclosed in double quotes at line 1 column 13"
    ]


def test_a_files_field_named_like_a_flag_stays_the_field(tmp_path: Path) -> None:
    """The CLI shows a library parameter as the flag a user typed (``depth`` -> ``--depth``), but a
    field of a file is the file's own: ledger.json's ``depth`` is no flag of `chain publish-ledger`."""
    d = tmp_path / "ledger"
    d.mkdir()
    write_json(
        d / "ledger.json",
        {"format": "zksolvency-ledger/1", "epoch": 1, "root": "0x" + "11" * 32, "depth": 0, "accounts": []},
    )
    r = run("chain", "publish-ledger", str(d), "--rpc", "http://127.0.0.1:9")  # refused before any node is asked
    assert r.exit_code == 2
    assert r.output.strip() == f"error: {d / 'ledger.json'}: depth: must be in [1, 32]"
