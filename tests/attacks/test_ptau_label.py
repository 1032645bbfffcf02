"""ATTACK the trust labels: get a beacon-only (anyone-can-forge) key accepted without
``--allow-insecure-key``.

The contribution TYPE field in a ptau's section 7 (1 = beacon) is not authenticated. Rewriting
that one u32 from 1 to 0 in a beacon-only ptau leaves every point (tau, alpha, beta: all derivable
from the public beacon hash, which the record even still carries) unchanged; if ``find_ptau``
labelled the key ``setup`` makes on it ``single-party-development`` (an ACCEPTED label), ``verify``
and ``chain deploy`` would accept it and a forged ``solvent = 1`` proof for any account would
verify. Refused: the label, ``verify`` and ``chain deploy`` all refuse the key. (The attack needs
the operator to run ``setup --ptau`` on an attacker-supplied file; the label exists to catch that.)
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from zksolvency.onchain.keys import deployable_key
from zksolvency.prover.ptau import PtauProvenance, find_ptau, ptau_contributions, shared_ptau
from zksolvency.prover.setup import make_keys
from zksolvency.verifier.bn254 import R
from zksolvency.verifier.solidity import write_verifiers
from zksolvency.verifier.verify import TrustedKeys, verify_bundle
from zksolvency.zkcore.bundle import make_bundle, pack_account_index
from zksolvency.zkcore.keytrust import Trust
from zksolvency.zkcore.paths import ROOT

from tests.security.attacker import alpha_beta_match, beacon_secrets, flip_beacon_type, forge
from tests.security.conftest import Lab, lab  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow


def test_a_relabelled_beacon_ptau_is_still_refused(lab: Lab, tmp_path: Path) -> None:  # noqa: F811
    ptau = tmp_path / "powersOfTau28_hez_final_08.ptau"  # what the attacker calls it
    flip_beacon_type(lab.beacon.ptau, ptau)
    assert [c.beacon for c in ptau_contributions(ptau)] == [False]
    assert ptau_contributions(ptau)[0].beacon_hash == ptau_contributions(lab.beacon.ptau)[0].beacon_hash  # still there
    _path, prov = find_ptau(8, tmp_path, ptau)
    # the keys the project's own setup steps make on it
    r1cs = lab.beacon.zkey.parent.parent / "four_signals.r1cs"
    out = tmp_path / "keys"
    out.mkdir()
    make_keys(r1cs, ptau, out / "proving_key.zkey", out / "verification_key.json", prov, circuit="four_signals")
    vk = json.loads((out / "verification_key.json").read_text())
    sol = out / "Groth16Verifier.sol"
    write_verifiers(vk, sol, out / "Groth16BatchVerifier.sol")
    # the attacker knows alpha and beta from the public beacon
    _tau, alpha, beta = beacon_secrets(lab.beacon.ptau)
    assert alpha_beta_match(vk, alpha, beta)
    victim = "0x" + "de" * 20
    signals = [1, pack_account_index(victim, 7), 123456789, 987654321]
    bundle = make_bundle("four_signals", vk, forge(vk, alpha * beta % R, signals), [str(s) for s in signals], 42)
    bp = tmp_path / "forged.json"
    bp.write_text(json.dumps(bundle))
    verdict_error = None
    try:
        v = verify_bundle(bp, keys=TrustedKeys(files=(out / "verification_key.json",)))  # no allow_insecure
    except Exception as e:
        verdict_error = e
    deploy_error = None
    try:
        deployable_key(sol)  # what `chain deploy` checks (no --allow-insecure-key)
    except Exception as e:
        deploy_error = e
    outcome = {
        "label": prov.trust,
        "verify": "refused" if verdict_error is not None else f"solvent={v.solvent} account={v.account} trust={v.key_trust}",
        "deploy": "refused" if deploy_error is not None else "accepted",
    }
    # the attack would read {'label': 'single-party-development', 'verify': 'solvent=True …', 'deploy': 'accepted'}
    assert outcome["label"] in (Trust.INSECURE_BEACON, Trust.UNKNOWN), f"ATTACK: {outcome}"
    assert (outcome["verify"], outcome["deploy"]) == ("refused", "refused"), f"ATTACK: {outcome}"


def _keys_rest_on_the_beacon(lab: Lab, ptau: Path, prov: PtauProvenance, out: Path) -> bool:  # noqa: F811
    """Make keys the project's way on what ``find_ptau`` returned; True when anyone can forge for them."""
    r1cs = lab.beacon.zkey.parent.parent / "four_signals.r1cs"
    out.mkdir()
    make_keys(r1cs, ptau, out / "proving_key.zkey", out / "verification_key.json", prov, circuit="four_signals")
    _tau, alpha, beta = beacon_secrets(lab.beacon.ptau)
    return alpha_beta_match(json.loads((out / "verification_key.json").read_text()), alpha, beta)


def test_a_relative_ptau_path_keys_on_the_file_that_was_labelled(
    lab: Lab,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ATTACK (review 2): the operator runs `setup --ptau REL` from another directory. Python labels
    ./REL; if snarkjs (which runs in the checkout) opened <checkout>/REL, the attacker's beacon file
    there would become keys labelled like the good file. Refused: the keys rest on the labelled file."""
    rel = Path(".zksolvency") / "pytest" / "attack-relative" / f"{tmp_path.name}.ptau"
    planted = ROOT / rel  # what the attacker put in the checkout
    planted.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(lab.beacon.ptau, planted)
    here = tmp_path / "operator"
    (here / rel).parent.mkdir(parents=True)
    (here / rel).symlink_to(shared_ptau())  # the good file the operator meant
    monkeypatch.chdir(here)
    try:
        ptau, prov = find_ptau(8, tmp_path / "build", rel)
        assert prov.trust == "single-party-development"
        assert not _keys_rest_on_the_beacon(lab, ptau, prov, tmp_path / "keys")
    finally:
        planted.unlink()


def test_a_ptau_swapped_after_its_check_does_not_reach_the_keys(lab: Lab, tmp_path: Path) -> None:  # noqa: F811
    """ATTACK (review 2): `setup` labels the --ptau file, then compiles for minutes; if snarkjs opened
    the path again, repointing a link (or rewriting a file on a shared mount) in between would make
    the keys from a beacon file under the good file's label. Refused: only the private copy made
    while hashing is read after the check."""
    link = tmp_path / "powersOfTau28_hez_final_16.ptau"
    link.symlink_to(shared_ptau())
    ptau, prov = find_ptau(0, tmp_path / "build", link)
    assert prov.trust == "single-party-development" and ptau != link
    link.unlink()
    link.symlink_to(lab.beacon.ptau)  # the swap, where setup compiles the circuit
    assert not _keys_rest_on_the_beacon(lab, ptau, prov, tmp_path / "keys")
    # control: keys made from the path itself after the swap do rest on the beacon
    assert _keys_rest_on_the_beacon(lab, link, prov, tmp_path / "control")
