"""Issue 8 §1 (critical): keys of a beacon-only powers of tau are forgeable by anyone.

Each test performs the attack: derive alpha and beta from the public ptau file, forge a proof for
arbitrary public signals from the verification key, and show who accepts it. The forgery works
against a beacon-only key (in these tests only) and fails against keys made the project's way.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from py_ecc.optimized_bn128.optimized_curve import G2, normalize
from zksolvency.cli import main
from zksolvency.prover import tools
from zksolvency.prover.ptau import ptau_contributions
from zksolvency.prover.setup import Artifacts
from zksolvency.verifier.bn254 import R
from zksolvency.verifier.groth16 import parse_proof, parse_vkey, prepare, verify_fast, verify_reference
from zksolvency.zkcore.bundle import BUNDLE_FORMAT, SIGNAL_NAMES, claims_from_signals, vkey_digest

from tests.helpers.forgery import alpha_beta_match, beacon_secrets, forge
from tests.helpers.ptau_lab import Lab

pytestmark = pytest.mark.slow

SHARED_PTAU = Path(__file__).resolve().parents[3] / "shared" / "ptau" / "dev_16.ptau"


def _random_signals(n: int) -> list[int]:
    return [1, *(secrets.randbelow(2**160) for _ in range(n - 1))]  # "solvent = 1" for anyone


def _accepted_everywhere(vkey_path: Path, proof: dict[str, Any], signals: list[int]) -> tuple[bool, bool, bool]:
    vk = parse_vkey(json.loads(vkey_path.read_text()))
    p = parse_proof(proof)
    return (
        verify_fast(prepare(vk), p, signals),
        verify_reference(vk, p, signals),
        tools.groth16_verify(vkey_path, [str(s) for s in signals], proof),
    )


def test_beacon_ptau_gives_alpha_and_beta_to_anyone(lab: Lab) -> None:
    vk = lab.beacon.vk()
    _tau, alpha, beta = beacon_secrets(lab.beacon.ptau)  # from the public file alone
    assert alpha_beta_match(vk, alpha, beta)
    assert vk["vk_gamma_2"] == [[str(c) for c in normalize(G2)[i].coeffs] for i in range(2)] + [["1", "0"]]


@pytest.mark.parametrize("attempt", range(3))
def test_beacon_forgery_passes_the_raw_groth16_check(lab: Lab, attempt: int) -> None:
    """The attack works on a beacon-only key: our verifier (both paths) and snarkjs accept it."""
    vk = lab.beacon.vk()
    _tau, alpha, beta = beacon_secrets(lab.beacon.ptau)
    signals = _random_signals(int(vk["nPublic"]))
    proof = forge(vk, alpha * beta % R, signals)
    assert _accepted_everywhere(lab.beacon.vkey, proof, signals) == (True, True, True)


def test_beacon_forgery_fails_against_keys_made_the_project_way(lab: Lab) -> None:
    vk = lab.project.vk()
    # the project's ptau holds a secret contribution: there is no beacon to derive anything from
    assert [c.beacon for c in ptau_contributions(lab.project.ptau)] == [False]
    with pytest.raises(ValueError, match="not a single public beacon"):
        beacon_secrets(lab.project.ptau)
    # the beacon's alpha and beta are not this key's, and a forgery with them is refused everywhere
    _tau, alpha, beta = beacon_secrets(lab.beacon.ptau)
    assert not alpha_beta_match(vk, alpha, beta)
    signals = _random_signals(int(vk["nPublic"]))
    proof = forge(vk, alpha * beta % R, signals)
    assert _accepted_everywhere(lab.project.vkey, proof, signals) == (False, False, False)


def test_the_shared_dev_ptau_has_a_secret_phase_1_contribution() -> None:
    contributions = ptau_contributions(SHARED_PTAU)
    assert contributions and not any(c.beacon for c in contributions)
    with pytest.raises(ValueError):
        beacon_secrets(SHARED_PTAU)


def test_keys_are_labelled_by_their_phase_1(lab: Lab) -> None:
    assert lab.beacon.vk()["zksolvency_setup"]["trust"] == "insecure-beacon"
    assert lab.project.vk()["zksolvency_setup"]["trust"] == "single-party-development"


def _forged_bundle(tmp_path: Path, vkey_path: Path, alpha_beta: int, circuit: str) -> Path:
    """A bundle-shaped forgery: solvent = 1 for an arbitrary account, for a key of ``vkey_path``."""
    vk = json.loads(vkey_path.read_text())
    signals = _random_signals(len(SIGNAL_NAMES))
    claims = claims_from_signals(signals, 42)
    bundle = {
        "format": BUNDLE_FORMAT,
        "circuit": circuit,
        "vkey_sha256": vkey_digest(vk),
        "proof": forge(vk, alpha_beta, signals),
        "public_signals": [str(s) for s in signals],
        "claims": claims,
    }
    out = tmp_path / "forged.bundle.json"
    out.write_text(json.dumps(bundle))
    return out


def test_verify_refuses_a_beacon_key_unless_told_to_accept_it(lab: Lab, tmp_path: Path) -> None:
    _tau, alpha, beta = beacon_secrets(lab.beacon.ptau)
    forged = _forged_bundle(tmp_path, lab.beacon.vkey, alpha * beta, "four_signals")
    r = CliRunner().invoke(main, ["verify", str(forged), "--vkey", str(lab.beacon.vkey)])
    assert r.exit_code == 2, r.output
    assert "insecure-beacon" in r.output and "--allow-insecure-key" in r.output and len(r.output.splitlines()) == 1
    r = CliRunner().invoke(main, ["verify-batch", str(forged), "--vkey", str(lab.beacon.vkey)])
    assert r.exit_code == 2 and "insecure-beacon" in r.output
    # the flag is the user's explicit acceptance of that trust model -- and shows why it matters
    r = CliRunner().invoke(main, ["verify", str(forged), "--vkey", str(lab.beacon.vkey), "--allow-insecure-key"])
    assert r.exit_code == 0 and r.output.startswith("VALID proof that solvent = 1") and "insecure-beacon" in r.output


def test_forged_bundle_for_an_insolvent_account_is_refused_by_project_keys(
    bundle_dir: Path, artifacts: Artifacts, lab: Lab, tmp_path: Path
) -> None:
    """The attack of the review: flip a deeply insolvent account's proof to solvent = 1 with the
    beacon's alpha * beta. Against keys made the project's way, `verify` says INVALID."""
    b = json.loads((bundle_dir / "insolvent.bundle.json").read_text())
    assert b["claims"]["solvent"] is False
    vk = json.loads(artifacts.vkey.read_text())
    assert vk["zksolvency_setup"]["trust"] == "single-party-development"
    _tau, alpha, beta = beacon_secrets(lab.beacon.ptau)
    signals = [1, *map(int, b["public_signals"][1:])]
    b["proof"] = forge(vk, alpha * beta % R, signals)
    b["public_signals"] = [str(s) for s in signals]
    b["claims"]["solvent"] = True
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(b))
    r = CliRunner().invoke(main, ["verify", str(forged), "--config", "test"])
    assert r.exit_code == 1 and "does not verify" in r.output
    assert not tools.groth16_verify(artifacts.vkey, b["public_signals"], b["proof"])


def test_beacon_forgery_passes_the_solidity_verifier_and_deploy_refuses_it(lab: Lab, tmp_path: Path) -> None:
    """On chain the same: with a beacon key deployed (only by explicit choice), a forged proof
    attests an account in `SolvencyRegistry.attest`; with a key made the project's way the same
    forgery reverts, and `Chain.deploy` refuses the beacon key unless told otherwise."""
    from zksolvency.onchain import anvil
    from zksolvency.onchain.client import Chain
    from zksolvency.onchain.tx import ChainError, proof_calldata
    from zksolvency.zkcore.errors import InputError

    _tau, alpha, beta = beacon_secrets(lab.beacon.ptau)
    node = anvil.start(tmp_path)
    try:
        ch = Chain(node.rpc, tmp_path / "deployment.json")
        with pytest.raises(InputError, match="insecure-beacon"):
            ch.deploy(lab.beacon.solidity, "four_signals", 60)
        accepted = []
        for n, (keyed, allow) in enumerate(((lab.beacon, True), (lab.project, False))):
            ch.deploy(keyed.solidity, "four_signals", 60, allow_insecure_key=allow, capacity=2**20)
            # a venue flow with arbitrary roots: the forger needs no witness, only the public key
            victim = "0x" + secrets.token_hex(20)
            market_root, ledger_root = (secrets.randbelow(R - 1) + 1 for _ in range(2))
            ch.publish(n + 1, market_root)
            index = ch.enroll([victim]).indices
            ch.publish_ledger(n + 1, ledger_root)
            signals = [1, index[next(iter(index))] * 2**160 + int(victim, 16), ledger_root, market_root]
            proof = forge(keyed.vk(), alpha * beta % R, signals)
            a, b, c, s = proof_calldata(proof, [str(x) for x in signals])
            raw = ch.contract("verifier").functions.verifyProof(a, b, c, s).call()
            bundle = {"proof": proof, "public_signals": [str(x) for x in signals], "claims": {"account": victim, "epoch": n + 1}}
            try:
                ch.submit_proof("attest", bundle)
            except ChainError as e:
                assert "SolvencyRegistry__InvalidProof" in str(e)
            accepted.append((raw, ch.status(victim)["solvent_now"]))
        assert accepted == [(True, True), (False, False)]
    finally:
        anvil.stop(node.pid)
