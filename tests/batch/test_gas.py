"""A batch verifier starved of gas answers false (it never answers true), so a caller that reverts
on false records nothing; and eth_estimateGas alone would find that cheap false."""

from __future__ import annotations

from typing import Any

from zksolvency.verifier.groth16 import BATCH_MAX

from tests.helpers.batch import Entry, Verifiers, batch_args, evm_accepts
from tests.helpers.groth16 import rerandomize


def least_gas_returning_true(v: Verifiers, entries: list[Entry]) -> int:
    lo, hi = 21_000, 5_000_000
    assert evm_accepts(v, entries, hi)
    while lo < hi:
        mid = (lo + hi) // 2
        if evm_accepts(v, entries, mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def starved(v: Verifiers, entries: list[Entry], gas: int) -> bool | None:
    """The answer with ``gas``, or None when the call itself ran out of gas and reverted."""
    try:
        return evm_accepts(v, entries, gas)
    except Exception as e:  # web3 raises on an out-of-gas revert
        assert "gas" in str(e).lower(), e
        return None


def test_starved_batch_answers_false_never_true(verifiers: Verifiers, pool: list[Entry]) -> None:
    batch = pool[:4]
    need = least_gas_returning_true(verifiers, batch)
    assert starved(verifiers, batch, need - 1) is False  # the pairing precompile ran out of gas
    answers = {starved(verifiers, batch, g) for g in range(60_000, need, (need - 60_000) // 25)}
    assert True not in answers and False in answers


def test_estimate_gas_finds_the_cheap_false(verifiers: Verifiers, pool: list[Entry]) -> None:
    batch = pool[:4]
    fn = verifiers.batch.functions.verifyBatch(*batch_args(batch))
    est = int(fn.estimate_gas({"from": verifiers.w3.eth.accounts[0]}))
    need = least_gas_returning_true(verifiers, batch)
    # estimation searches for the least gas that does not revert: the verifier then says false.
    # A caller must revert on false (the registry does) so that estimation finds the real cost.
    assert est < need
    assert starved(verifiers, batch, est) is False


def test_a_full_batch_fits_well_inside_one_transaction(verifiers: Verifiers, pool: list[Entry], vk_json: dict[str, Any]) -> None:
    # BATCH_MAX distinct real proofs verify in one transaction that leaves more than half of the
    # EIP-7825 per-transaction cap (2^24 gas) for a registry's per-account work
    entries = list(pool)
    k = 0
    while len(entries) < BATCH_MAX:
        p, s = pool[k % 3]
        entries.append((rerandomize(p, vk_json, 5 + k, 9 + k), s))
        k += 1
    assert evm_accepts(verifiers, entries)
    h = verifiers.batch.functions.verifyBatch(*batch_args(entries)).transact({"from": verifiers.w3.eth.accounts[0], "gas": 2**24})
    used = verifiers.w3.eth.wait_for_transaction_receipt(h)["gasUsed"]
    assert used < 2**24 // 2, used
