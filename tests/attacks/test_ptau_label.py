"""ATTACK the trust labels: get a beacon-only (anyone-can-forge) key accepted without
``--allow-insecure-key``.

``find_ptau`` labels a ``--ptau`` file from the contribution TYPE field recorded in its section 7
(1 = beacon), which nothing authenticates. Rewriting that one u32 from 1 to 0 in a beacon-only
ptau leaves every point (tau, alpha, beta: all derivable from the public beacon hash, which the
record even still carries) unchanged, and the key ``setup`` makes on it is labelled
``single-party-development`` -- an ACCEPTED label. ``verify`` and ``chain deploy`` then accept it,
and a forged ``solvent = 1`` proof for any account verifies. RESULT: SUCCEEDED before the fix, refused now (needs the operator
to run ``setup --ptau`` on an attacker-supplied file; the label exists precisely to catch that).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from zksolvency.onchain.client import deployable_key
from zksolvency.prover import tools
from zksolvency.prover.batch_verifier import write_batch_verifier
from zksolvency.prover.setup import find_ptau, make_keys, ptau_contributions
from zksolvency.verifier.bn254 import R
from zksolvency.verifier.verify import TrustedKeys, verify_bundle
from zksolvency.zkcore.bundle import make_bundle, pack_account_index
from zksolvency.zkcore.keytrust import INSECURE_BEACON, UNKNOWN

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
    make_keys(r1cs, ptau, out / "proving_key.zkey", out / "verification_key.json", {"circuit": "four_signals", **prov})
    vk = json.loads((out / "verification_key.json").read_text())
    tools.snarkjs("zkey", "export", "solidityverifier", out / "proving_key.zkey", out / "Groth16Verifier.sol")
    sol = out / "Groth16Verifier.sol"
    sol.write_text(f"// zkey sha256:  {vk['zksolvency_setup']['zkey_sha256']}\n" + sol.read_text())
    write_batch_verifier(vk, out / "Groth16BatchVerifier.sol")
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
        "label": prov["trust"],
        "verify": "refused" if verdict_error is not None else f"solvent={v.solvent} account={v.account} trust={v.key_trust}",
        "deploy": "refused" if deploy_error is not None else "accepted",
    }
    # before the fix: {'label': 'single-party-development', 'verify': 'solvent=True …', 'deploy': 'accepted'}
    assert outcome["label"] in (INSECURE_BEACON, UNKNOWN), f"ATTACK: {outcome}"
    assert (outcome["verify"], outcome["deploy"]) == ("refused", "refused"), f"ATTACK: {outcome}"
