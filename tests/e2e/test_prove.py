"""Real Groth16 proofs from the CLI, checked by the reference verifier (snarkjs)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from zksolvency.prover.setup import Artifacts
from zksolvency.prover.tools import groth16_verify
from zksolvency.zkcore.bundle import vkey_digest
from zksolvency.zkcore.commitment import account_commitment, market_root
from zksolvency.zkcore.field import hex32
from zksolvency.zkcore.models import Account, Market

from tests.helpers import data


@pytest.mark.parametrize(("name", "solvent", "account"), [("solvent", True, data.ACCOUNT), ("insolvent", False, data.INSOLVENT)])
def test_bundle_verifies_with_snarkjs(bundle_dir: Path, artifacts: Artifacts, name: str, solvent: bool, account: dict) -> None:
    b = json.loads((bundle_dir / f"{name}.bundle.json").read_text())
    assert groth16_verify(artifacts.vkey, b["public_signals"], b["proof"])
    assert b["claims"] == {
        "solvent": solvent,
        "account": data.ADDR,
        "commitment": hex32(account_commitment(Account(**account))),
        "market_root": hex32(market_root(Market(**data.MARKET))),
        "epoch": 42,
    }
    assert b["public_signals"][0] == ("1" if solvent else "0")
    assert b["vkey_sha256"] == vkey_digest(json.loads(artifacts.vkey.read_text()))


@pytest.mark.parametrize("where", ["verdict", "account", "pi_a"])
def test_tampered_bundle_is_rejected_by_snarkjs(bundle_dir: Path, artifacts: Artifacts, where: str) -> None:
    b = json.loads((bundle_dir / "insolvent.bundle.json").read_text())
    proof, public = copy.deepcopy(b["proof"]), list(b["public_signals"])
    if where == "verdict":
        public[0] = "1"  # claim solvency with the insolvent account's proof
    elif where == "account":
        public[1] = str(int(data.OTHER_ADDR, 16))
    else:
        proof["pi_a"][0] = str(int(proof["pi_a"][0]) + 1)
    assert not groth16_verify(artifacts.vkey, public, proof)


def test_vkey_and_verifier_say_which_setup_made_them(artifacts: Artifacts) -> None:
    vk = json.loads(artifacts.vkey.read_text())
    assert vk["nPublic"] == 4
    assert vk["zksolvency_setup"]["insecure"] is True and "INSECURE" in vk["zksolvency_setup"]["ptau"]
    sol = artifacts.solidity.read_text()
    assert "zkey sha256:  " + vk["zksolvency_setup"]["zkey_sha256"] in sol
    assert "contract Groth16Verifier" in sol


def test_setup_is_cached(artifacts: Artifacts, test_cfg) -> None:
    from zksolvency.prover.setup import setup

    from tests.conftest import TEST_BUILD

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

    from tests.conftest import write_json

    r = margin_report(Account(**data.account(collateral=[])), Market(**data.MARKET))
    usdc = format_fraction(r.maintenance - r.equity + Fraction(delta))
    a = write_json(tmp_path / "a.json", data.account(collateral=[{"asset": "USDC", "amount": usdc}]))
    m = write_json(tmp_path / "m.json", data.MARKET)
    out = tmp_path / "b.json"
    res = CliRunner().invoke(main, ["prove", str(a), str(m), "-o", str(out), "--config", "test"])
    assert res.exit_code == 0, res.output
    b = json.loads(out.read_text())
    assert b["claims"]["solvent"] is solvent
    assert groth16_verify(artifacts.vkey, b["public_signals"], b["proof"])
    assert verify_bundle(out, market=m).solvent is solvent
