"""The batch verifier generator: provenance header, key binding, refusals of a bad key."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from py_ecc.optimized_bn128 import optimized_curve as oc
from zksolvency.prover.setup import Artifacts
from zksolvency.verifier.groth16 import BATCH_MAX, InvalidProof, PreparedKey, batch_transcript_tag, parse_vkey
from zksolvency.verifier.solidity import render_batch, write_batch_verifier
from zksolvency.zkcore.errors import InputError

from tests.helpers.batch import Verifiers
from tests.helpers.groth16 import g1_json, g2_json

PROVENANCE = {"circuit": "toy", "zkey_sha256": "ab" * 32, "snarkjs": "0.0.0", "ptau": "INSECURE toy ptau"}


def toy_vkey(n_public: int = 2) -> dict[str, Any]:
    """A well-formed key made of generator multiples (no circuit behind it)."""
    return {
        "protocol": "groth16",
        "curve": "bn128",
        "nPublic": n_public,
        "vk_alpha_1": g1_json(oc.multiply(oc.G1, 2)),
        "vk_beta_2": g2_json(oc.multiply(oc.G2, 3)),
        "vk_gamma_2": g2_json(oc.multiply(oc.G2, 5)),
        "vk_delta_2": g2_json(oc.multiply(oc.G2, 7)),
        "IC": [g1_json(oc.multiply(oc.G1, 11 + i)) for i in range(n_public + 1)],
        "zksolvency_setup": PROVENANCE,
    }


def test_header_constants_and_signature_follow_the_key() -> None:
    vk = toy_vkey(3)
    sol = render_batch(vk)
    assert sol.splitlines()[2:6] == [
        "// circuit:      toy",
        f"// zkey sha256:  {'ab' * 32}",
        "// snarkjs:      0.0.0",
        "// setup:        INSECURE toy ptau",
    ]
    assert f"bytes32 public constant TRANSCRIPT_TAG = 0x{batch_transcript_tag(parse_vkey(vk)).hex()};" in sol
    assert f"uint256 public constant BATCH_MAX = {BATCH_MAX};" in sol
    assert "uint256[3][] calldata pubSignals" in sol and "IC3_X" in sol and "IC4_X" not in sol
    assert "contract Groth16BatchVerifier {" in sol and "verifyBatchWithWeights" not in sol
    unsafe = render_batch(vk, unsafe_caller_weights=True)
    assert "contract Groth16BatchVerifierCallerWeights {" in unsafe and "TEST ONLY, UNSOUND" in unsafe


def test_the_tag_binds_every_key_point() -> None:
    vk = toy_vkey()
    tag = batch_transcript_tag(parse_vkey(vk))
    g1_other, g2_other = g1_json(oc.multiply(oc.G1, 99)), g2_json(oc.multiply(oc.G2, 99))
    for field, other_point in (
        ("vk_alpha_1", g1_other),
        ("vk_beta_2", g2_other),
        ("vk_gamma_2", g2_other),
        ("vk_delta_2", g2_other),
    ):
        other = copy.deepcopy(vk)
        other[field] = other_point
        assert batch_transcript_tag(parse_vkey(other)) != tag, field
    other = copy.deepcopy(vk)
    other["IC"][-1] = g1_other
    assert batch_transcript_tag(parse_vkey(other)) != tag


def test_a_key_without_provenance_or_with_a_bad_point_is_refused(tmp_path: Any) -> None:
    vk = toy_vkey()
    del vk["zksolvency_setup"]
    with pytest.raises(InputError, match="zksolvency_setup"):
        render_batch(vk)
    bad = toy_vkey()
    bad["vk_alpha_1"][1] = str(int(bad["vk_alpha_1"][1]) + 1)
    out = tmp_path / "Groth16BatchVerifier.sol"
    with pytest.raises(InvalidProof, match="not on the curve"):
        write_batch_verifier(bad, out)
    assert not out.exists()  # nothing written
    write_batch_verifier(toy_vkey(), out)
    assert out.read_text() == render_batch(toy_vkey())


def test_setup_writes_it_beside_the_single_verifier_with_the_same_header(artifacts: Artifacts) -> None:
    single = artifacts.solidity.read_text().splitlines()
    batch = artifacts.batch_solidity.read_text().splitlines()
    assert batch[2:7] == single[2:7] and batch[2].startswith("// circuit:")
    assert artifacts.batch_solidity.read_text() == render_batch(json.loads(artifacts.vkey.read_text()))


def test_deployed_tag_is_the_python_tag(verifiers: Verifiers, pk: PreparedKey) -> None:
    assert bytes(verifiers.batch.functions.TRANSCRIPT_TAG().call()) == batch_transcript_tag(pk.vk)
    assert verifiers.batch.functions.N_PUBLIC().call() == pk.vk.n_public
