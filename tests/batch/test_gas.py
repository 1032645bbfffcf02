"""A batch verifier starved of gas answers false (it never answers true), so a caller that reverts
on false records nothing; and eth_estimateGas alone would find that cheap false."""

from __future__ import annotations

from tests.batch.conftest import Entry, Verifiers, batch_args, evm_accepts


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
