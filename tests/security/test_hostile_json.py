"""Hostile JSON (attacker review, findings 5, 6, 8, 9): files nested a hundred thousand levels deep,
and keys given twice. In a process that imported web3 (py_ecc raises the recursion limit to
100,000) a deeply nested file can overflow the C stack and kill the process; elsewhere it would be
an "internal error" (exit 1) instead of bad input, and one such bundle could abort a whole
verify-batch. Each test runs the attack in a real process and shows it refused with one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from zksolvency.cli import main
from zksolvency.prover.setup import Artifacts

from tests.helpers import data

DEEP = data.DEEP_JSON
#: The same behind an escaped string: an escape must not shift where the depth scan thinks strings end
DEEP_BEHIND_ESCAPES = '["\\n", "\\"", "\\\\", ' + DEEP + "]"
ZKS = str(Path(sys.executable).with_name("zksolvency"))


def _one_line(r: subprocess.CompletedProcess[str], code: int) -> None:
    assert r.returncode == code, (r.returncode, r.stderr[-500:])
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


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
        r = subprocess.run([ZKS, *args], capture_output=True, text=True, timeout=120)
        _one_line(r, 2)
        assert "deep.json" in r.stderr and "nested deeper" in r.stderr
    r = subprocess.run([ZKS, "chain", "publish-ledger", str(deep), "--rpc", "http://127.0.0.1:1"], capture_output=True, text=True)
    _one_line(r, 2)


def test_a_deep_bundle_is_an_invalid_proof_and_verify_batch_names_it(
    bundle_dir: Path, artifacts: Artifacts, tmp_path: Path
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP)
    r = subprocess.run([ZKS, "verify", str(deep), "--vkey", str(artifacts.vkey)], capture_output=True, text=True, timeout=120)
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


@pytest.mark.parametrize("kind", ["market", "account"])
def test_a_key_given_twice_is_refused_in_inputs(tmp_path: Path, kind: str) -> None:
    market = tmp_path / "market.json"
    market.write_text(json.dumps(data.MARKET))
    acc = tmp_path / "a.json"
    acc.write_text(json.dumps(data.ACCOUNT))
    target = market if kind == "market" else acc
    key = '"epoch":' if kind == "market" else '"nonce":'
    target.write_text(target.read_text().replace(key, key + " 1, " + key, 1))
    r = subprocess.run([ZKS, "check", str(acc), str(market)], capture_output=True, text=True)
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
            ZKS,
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
