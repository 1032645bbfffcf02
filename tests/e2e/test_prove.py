"""Real Groth16 proofs from the CLI (ledger build -> statement -> prove), checked by snarkjs."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from zksolvency.prover.config import CircuitConfig
from zksolvency.prover.setup import Artifacts
from zksolvency.prover.tools import groth16_verify
from zksolvency.zkcore.bundle import ADDRESS_BITS, vkey_digest
from zksolvency.zkcore.commitment import market_root
from zksolvency.zkcore.field import hex32
from zksolvency.zkcore.models import Market

from tests.helpers import data
from tests.helpers.files import read_json_object


def _ledger(bundle_dir: Path, name: str) -> dict[str, Any]:
    return read_json_object(bundle_dir / name / "ledger.json")


@pytest.mark.parametrize(
    ("name", "solvent", "index", "ledger"), [("solvent", True, 0, "ledger"), ("insolvent", False, 1, "ledger-insolvent")]
)
def test_bundle_verifies_with_snarkjs(
    bundle_dir: Path, artifacts: Artifacts, name: str, solvent: bool, index: int, ledger: str
) -> None:
    b = json.loads((bundle_dir / f"{name}.bundle.json").read_text())
    assert groth16_verify(artifacts.vkey, b["public_signals"], b["proof"])
    assert b["claims"] == {
        "solvent": solvent,
        "account": data.ADDR,
        "index": index,
        "ledger_root": _ledger(bundle_dir, ledger)["root"],
        "market_root": hex32(market_root(Market(**data.MARKET))),
        "epoch": 42,
    }
    assert b["public_signals"][0] == ("1" if solvent else "0")
    assert int(b["public_signals"][1]) == (index << ADDRESS_BITS) | int(data.ADDR, 16)
    assert b["vkey_sha256"] == vkey_digest(json.loads(artifacts.vkey.read_text()))


@pytest.mark.parametrize("where", ["verdict", "account", "index", "ledger", "pi_a"])
def test_tampered_bundle_is_rejected_by_snarkjs(bundle_dir: Path, artifacts: Artifacts, where: str) -> None:
    b = json.loads((bundle_dir / "insolvent.bundle.json").read_text())
    proof, public = copy.deepcopy(b["proof"]), list(b["public_signals"])
    if where == "verdict":
        public[0] = "1"  # claim solvency with the insolvent account's proof
    elif where == "account":
        public[1] = str((1 << ADDRESS_BITS) | int(data.OTHER_ADDR, 16))  # same index, another address
    elif where == "index":
        public[1] = str(int(data.ADDR, 16))  # the same address at index 0 instead of 1
    elif where == "ledger":
        public[2] = _ledger(bundle_dir, "ledger")["root"]  # another published ledger root
        public[2] = str(int(public[2], 16))
    else:
        proof["pi_a"][0] = str(int(proof["pi_a"][0]) + 1)
    assert not groth16_verify(artifacts.vkey, public, proof)


def test_vkey_and_verifier_say_which_setup_made_them(artifacts: Artifacts) -> None:
    vk = json.loads(artifacts.vkey.read_text())
    assert vk["nPublic"] == 4
    # the shared dev ptau: one secret (OS-entropy) phase-1 contribution, labelled for what it is
    assert vk["zksolvency_setup"]["trust"] == "single-party-development" and vk["zksolvency_setup"]["insecure"] is False
    sol = artifacts.solidity.read_text()
    assert "trust:        single-party-development" in sol
    assert "zkey sha256:  " + vk["zksolvency_setup"]["zkey_sha256"] in sol
    assert "contract Groth16Verifier" in sol


def test_setup_is_cached(artifacts: Artifacts, test_cfg: CircuitConfig) -> None:
    from zksolvency.prover.setup import setup

    from tests.helpers.files import TEST_BUILD

    before = artifacts.zkey.stat().st_mtime_ns
    assert setup(test_cfg, TEST_BUILD) == artifacts
    assert artifacts.zkey.stat().st_mtime_ns == before


@pytest.mark.parametrize(("delta", "solvent"), [("0", True), ("-0.00000001", False)], ids=["on-the-line", "1e-8-below"])
def test_real_proofs_on_the_margin_line(artifacts: Artifacts, tmp_path: Path, delta: str, solvent: bool) -> None:
    from fractions import Fraction

    from click.testing import CliRunner
    from zksolvency.cli import main
    from zksolvency.prover.engine import margin_report
    from zksolvency.verifier.verify import verify_bundle
    from zksolvency.zkcore.fixedpoint import format_fraction
    from zksolvency.zkcore.models import Account

    from tests.helpers.files import write_json

    r = margin_report(Account(**data.account(collateral=[])), Market(**data.MARKET))
    usdc = format_fraction(r.maintenance - r.equity + Fraction(delta))
    acc = data.account(collateral=[{"asset": "USDC", "amount": usdc}])
    st = write_json(tmp_path / "st.json", data.statement(acc, index=77))
    m = write_json(tmp_path / "m.json", data.MARKET)
    out = tmp_path / "b.json"
    res = CliRunner().invoke(main, ["prove", str(st), str(m), "-o", str(out), "--config", "test"])
    assert res.exit_code == 0, res.output
    b = json.loads(out.read_text())
    assert b["claims"]["solvent"] is solvent and b["claims"]["index"] == 77
    assert groth16_verify(artifacts.vkey, b["public_signals"], b["proof"])
    assert verify_bundle(out, vkey=artifacts.vkey, market=m).solvent is solvent


def test_prove_refuses_a_statement_whose_path_misses_its_root(artifacts: Artifacts, tmp_path: Path) -> None:
    from click.testing import CliRunner
    from zksolvency.cli import main

    from tests.helpers.files import write_json

    st = data.statement(data.ACCOUNT, index=3)
    st["index"] = 4  # the venue's path is for index 3
    out = tmp_path / "b.json"
    args = ["prove", str(write_json(tmp_path / "st.json", st)), str(write_json(tmp_path / "m.json", data.MARKET))]
    r = CliRunner().invoke(main, [*args, "-o", str(out), "--config", "test"])
    assert r.exit_code == 2 and "path" in r.output and not out.exists()
    st = data.statement(data.ACCOUNT, epoch=41)  # a statement of another epoch
    st2 = str(write_json(tmp_path / "st2.json", st))
    r = CliRunner().invoke(main, ["prove", st2, args[2], "-o", str(out), "--config", "test"])
    assert r.exit_code == 2 and "epoch" in r.output and not out.exists()
