"""Why the weights must come from Fiat–Shamir: two invalid proofs crafted to cancel under weights
the submitter knows pass a verifier that takes the weights from the caller, and are refused by the
generated verifier and its Python twin, whose weights hash the whole batch."""

from __future__ import annotations

from py_ecc.optimized_bn128 import optimized_curve as oc
from zksolvency.onchain.tx import proof_calldata
from zksolvency.verifier.bn254 import R
from zksolvency.verifier.groth16 import (
    PreparedKey,
    Proof,
    batch_verify_weighted,
    fiat_shamir_weights,
    parse_proof,
    parse_signals,
    verify_fast,
)

from tests.helpers.batch import Entry, Verifiers, batch_args, evm_accepts, py_accepts
from tests.helpers.groth16 import shift_c

DELTA = oc.multiply(oc.G1, 123_456_789)  # any G1 point


def cancelling_pair(pool: list[Entry], r1: int, r2: int) -> list[Entry]:
    """C1 + D and C2 - (r1 / r2) D: r1 C1' + r2 C2' = r1 C1 + r2 C2, so the weighted sum is unchanged."""
    (p1, s1), (p2, s2) = pool[0], pool[1]
    return [(shift_c(p1, DELTA, 1), s1), (shift_c(p2, DELTA, -r1 * pow(r2, -1, R)), s2)]


def items(pk: PreparedKey, batch: list[Entry]) -> list[tuple[Proof, list[int]]]:
    return [(parse_proof(p), parse_signals(s, pk.vk.n_public)) for p, s in batch]


def test_caller_chosen_weights_let_two_invalid_proofs_cancel(verifiers: Verifiers, pk: PreparedKey, pool: list[Entry]) -> None:
    r1, r2 = 0xA11CE, 0xB0B  # the weights the submitter chose (or predicted from block data)
    batch = cancelling_pair(pool, r1, r2)
    for p, s in batch:  # each proof alone is invalid, for the contract and for Python
        assert verifiers.single.functions.verifyProof(*proof_calldata(p, s)).call() is False
        assert verify_fast(pk, parse_proof(p), parse_signals(s, pk.vk.n_public)) is False
    # the attack works against a verifier that takes its weights from the caller ...
    unsafe = verifiers.unsafe.functions.verifyBatchWithWeights
    assert unsafe(*batch_args(batch), [r1, r2]).call() is True
    assert batch_verify_weighted(pk, items(pk, batch), [r1, r2]) is True
    # ... (and only with those weights: the honest pair passes under any weights, this one does not)
    assert unsafe(*batch_args(batch), [r1, r2 + 1]).call() is False
    assert unsafe(*batch_args(pool[:2]), [r1, r2 + 1]).call() is True
    # ... and fails against the generated Fiat–Shamir verifier and its Python twin
    assert evm_accepts(verifiers, batch) is False
    assert py_accepts(pk, batch) is False


def test_predicting_the_fiat_shamir_weights_does_not_help(verifiers: Verifiers, pk: PreparedKey, pool: list[Entry]) -> None:
    # The attacker computes the weights of its own batch and re-crafts the pair against them; but
    # the new C changes the transcript, so the weights move on and the batch is refused every time.
    r1, r2 = 1, 1
    for _ in range(3):
        batch = cancelling_pair(pool, r1, r2)
        w = fiat_shamir_weights(pk.vk, items(pk, batch))
        assert w != [r1, r2]
        assert evm_accepts(verifiers, batch) is False
        assert py_accepts(pk, batch) is False
        assert verifiers.unsafe.functions.verifyBatchWithWeights(*batch_args(batch), w).call() is False
        r1, r2 = w
