"""ATTACK the trust labels (issue 8 §1): every key says which phase 1 it rests on, and the project
never rests on a beacon.

The attack these refuse: keys silently made (or reused) from a beacon-only powers of tau, whose
secret anyone recomputes (test_beacon_forgery.py forges with it), or a beacon-only (anyone-can-forge)
key accepted without ``--allow-insecure-key``.

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
from zksolvency.prover import hermez, tools
from zksolvency.prover import ptau as ptau_mod
from zksolvency.prover.ptau import PtauProvenance, blake2b_file, find_ptau, ptau_contributions, shared_ptau
from zksolvency.prover.setup import Artifacts, is_ready, make_keys
from zksolvency.verifier.bn254 import R
from zksolvency.verifier.solidity import write_verifiers
from zksolvency.verifier.verify import TrustedKeys, verify_bundle
from zksolvency.zkcore.bundle import make_bundle, pack_account_index
from zksolvency.zkcore.errors import InputError
from zksolvency.zkcore.keytrust import ACCEPTED, Trust
from zksolvency.zkcore.paths import ROOT

from tests.helpers.forgery import alpha_beta_match, beacon_secrets, flip_beacon_type, forge
from tests.helpers.ptau_lab import BEACON, Lab

pytestmark = pytest.mark.slow


def _contribute(src: Path, dst: Path) -> Path:
    tools.snarkjs("powersoftau", "contribute", src, dst, "-n=someone", "-e=some entropy")
    return dst


def test_a_given_ptau_is_labelled_by_what_can_be_known(lab: Lab, tmp_path: Path) -> None:
    """A --ptau file's contribution records are unauthenticated: they may make a file look worse
    (beacon-only), never better. Without the operator's word a file with contributions is
    `unknown` (refused by verifiers); `--ptau-trust` records what the operator checked."""
    new = tmp_path / "new.ptau"
    tools.snarkjs("powersoftau", "new", "bn128", "8", new)
    one = _contribute(new, tmp_path / "one.ptau")
    two = _contribute(one, tmp_path / "two.ptau")
    two_beacon = tmp_path / "two_beacon.ptau"  # the shape of a Hermez final file: contributions + beacon
    tools.snarkjs("powersoftau", "beacon", two, two_beacon, BEACON, "10", "-n=final beacon")
    labels = {p.name: find_ptau(8, tmp_path, p)[1].trust for p in (lab.beacon.ptau, one, two, two_beacon)}
    assert labels == {
        lab.beacon.ptau.name: "insecure-beacon",
        "one.ptau": "unknown",
        "two.ptau": "unknown",
        "two_beacon.ptau": "unknown",
    }
    assert [c.beacon for c in ptau_contributions(two_beacon)] == [False, False, True]
    _path, prov = find_ptau(8, tmp_path, two_beacon, "ceremony", blake2b_file(two_beacon))
    assert prov.trust == "ceremony" and prov.blake2b == blake2b_file(two_beacon) and "checked by the operator" in prov.description
    assert find_ptau(8, tmp_path, one, "single-party-development")[1].trust == "single-party-development"
    with pytest.raises(InputError, match="only public beacons"):
        find_ptau(8, tmp_path, lab.beacon.ptau, "ceremony")  # no word of the operator makes a beacon a ceremony
    # the operator's word is the hash they compared, not a yes: none, or another, is refused
    with pytest.raises(InputError, match="give the ceremony's published blake2b-512"):
        find_ptau(8, tmp_path, two_beacon, "ceremony")
    with pytest.raises(InputError, match="not the published hash given"):
        find_ptau(8, tmp_path, two_beacon, "ceremony", "ab" * 64)
    # a file named like a Hermez final file whose hash is none of theirs is not vouched for at all
    hez = tmp_path / "powersOfTau28_hez_final_08.ptau"
    shutil.copyfile(two_beacon, hez)
    with pytest.raises(InputError, match="named like a Hermez final file"):
        find_ptau(8, tmp_path, hez, "ceremony", blake2b_file(hez))
    assert find_ptau(16, tmp_path, shared_ptau())[1].trust == "single-party-development"  # pinned by sha256


def test_a_pinned_ceremony_file_is_a_ceremony_without_the_operators_word(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Hermez final file is recognised by the BLAKE2b-512 of its whole content (the real files
    are not reachable offline: a file of the same shape stands in, its hash put in the table). Its
    name and records do not count: the relabelled beacon file of the next test, named like a Hermez
    file, stays `unknown`."""
    new = tmp_path / "new.ptau"
    tools.snarkjs("powersoftau", "new", "bn128", "8", new)
    final = tmp_path / "final.ptau"
    tools.snarkjs("powersoftau", "beacon", _contribute(new, tmp_path / "one.ptau"), final, BEACON, "10", "-n=final beacon")
    assert find_ptau(8, tmp_path, final)[1].trust == "unknown"
    monkeypatch.setitem(hermez.HERMEZ_FINAL_BLAKE2B, 8, blake2b_file(final))
    _path, prov = find_ptau(8, tmp_path, final)
    assert prov.trust == "ceremony" and "blake2b pinned" in prov.description
    assert find_ptau(8, tmp_path, final, "ceremony")[1].trust == "ceremony"
    with pytest.raises(InputError, match="Hermez ceremony file of 2\\^8, not single-party-development"):
        find_ptau(8, tmp_path, final, "single-party-development")


def test_a_relabelled_beacon_ptau_is_not_accepted(lab: Lab, tmp_path: Path) -> None:
    """Attacker review finding 18: rewrite the beacon's contribution type (one u32) in a beacon-only
    ptau so that it looks like a secret contribution. Its keys come out `unknown`, which verifiers
    and `chain deploy` refuse, so the forgery its public beacon allows is never accepted by default."""
    flipped = tmp_path / "powersOfTau28_hez_final_08.ptau"  # what the attacker calls it
    flip_beacon_type(lab.beacon.ptau, flipped)
    assert [c.beacon for c in ptau_contributions(flipped)] == [False]  # the file now claims a secret
    _path, prov = find_ptau(8, tmp_path, flipped)
    assert prov.trust == "unknown"
    assert "unknown" not in ACCEPTED


def test_cached_beacon_only_dev_ptau_is_never_reused(lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build dir holding a beacon-only dev_8.ptau (as old zksolvency versions made it): `setup`
    makes a new one."""
    monkeypatch.setattr(ptau_mod, "shared_ptau", lambda: tmp_path / "no-shared" / "dev_16.ptau")
    (tmp_path / "ptau").mkdir()
    old = tmp_path / "ptau" / "dev_8.ptau"
    shutil.copyfile(lab.beacon.ptau, old)
    ptau, prov = find_ptau(8, tmp_path, None)
    assert ptau == old and prov.trust == "single-party-development"
    assert [c.beacon for c in ptau_contributions(ptau)] == [False]  # replaced by an OS-entropy one


def test_keys_without_an_accepted_label_are_remade(artifacts: Artifacts, tmp_path: Path) -> None:
    """Keys without an accepted trust label or of manifest v1 are not `ready`: the next setup remakes them."""
    art = Artifacts(tmp_path / artifacts.name, artifacts.name)
    shutil.copytree(artifacts.dir, art.dir)
    assert is_ready(art)
    m = json.loads(art.manifest.read_text())
    for change in ({"trust": "insecure-beacon"}, {"trust": None}, {"manifest_version": 1}):
        art.manifest.write_text(json.dumps({**m, **change}))
        assert not is_ready(art), change


def test_a_ptau_name_cannot_write_into_the_solidity_header(tmp_path: Path) -> None:
    """ATTACK (second review): a ptau file name with a line break would go into the key's provenance
    and from there onto a `//` line of both Solidity verifiers, turning the rest of the name into
    code (a deploy blocked by a parse error). Refused: at the name, and by the header for any
    provenance field."""
    from zksolvency.verifier.solidity import header

    named = tmp_path / "dev.ptau\ncontract X {}\n//"
    named.symlink_to(shared_ptau())
    with pytest.raises(InputError, match="control or line-break"):
        find_ptau(16, tmp_path, named)
    vk = {"zksolvency_setup": {"circuit": "c", "zkey_sha256": "0" * 64, "snarkjs": "0.7.6", "ptau": "x\u2028contract X {}"}}
    with pytest.raises(InputError, match=r"zksolvency_setup\.ptau"):
        header(vk)


# ------------------------------------------------------------ a relabelled or swapped ptau


def test_a_relabelled_beacon_ptau_is_still_refused(lab: Lab, tmp_path: Path) -> None:
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


def _keys_rest_on_the_beacon(lab: Lab, ptau: Path, prov: PtauProvenance, out: Path) -> bool:
    """Make keys the project's way on what ``find_ptau`` returned; True when anyone can forge for them."""
    r1cs = lab.beacon.zkey.parent.parent / "four_signals.r1cs"
    out.mkdir()
    make_keys(r1cs, ptau, out / "proving_key.zkey", out / "verification_key.json", prov, circuit="four_signals")
    _tau, alpha, beta = beacon_secrets(lab.beacon.ptau)
    return alpha_beta_match(json.loads((out / "verification_key.json").read_text()), alpha, beta)


def test_a_relative_ptau_path_keys_on_the_file_that_was_labelled(
    lab: Lab,
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


def test_a_ptau_swapped_after_its_check_does_not_reach_the_keys(lab: Lab, tmp_path: Path) -> None:
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
