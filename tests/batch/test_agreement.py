"""The generated batch verifier on a real anvil and its Python twin answer the same batches alike:
valid batches of real proofs pass, and each way of breaking one proof in a batch fails both."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from zksolvency.verifier.bn254 import Q, R
from zksolvency.verifier.groth16 import BATCH_MAX, PreparedKey, batch_verify_fiat_shamir

from tests.helpers.batch import Entry, Verifiers, batch_args, evm_accepts, py_accepts
from tests.helpers.groth16 import twist_point_outside_subgroup


def both(v: Verifiers, pk: PreparedKey, entries: list[Entry]) -> tuple[bool, bool]:
    return evm_accepts(v, entries), py_accepts(pk, entries)


@pytest.mark.parametrize("n", [1, 2, 5, 16])
def test_valid_batches_pass_both(verifiers: Verifiers, pk: PreparedKey, pool: list[Entry], n: int) -> None:
    assert both(verifiers, pk, pool[:n]) == (True, True)


def _signal(i: int, f: Callable[[int], int]) -> Callable[[Entry], Entry]:
    return lambda e: (e[0], [str(f(int(s))) if j == i else s for j, s in enumerate(e[1])])


def _point(key: str, f: Callable[[Any], Any]) -> Callable[[Entry], Entry]:
    def edit(e: Entry) -> Entry:
        p = copy.deepcopy(e[0])
        p[key] = f(p[key])
        return p, e[1]

    return edit


BREAKS: dict[str, Callable[[Entry], Entry]] = {
    "verdict flipped": _signal(0, lambda s: 1 - s),
    "another account or index": _signal(1, lambda s: s + 1),
    "another root": _signal(3, lambda s: s + 1),
    "signal + r (>= r)": _signal(3, lambda s: s + R),
    "A off the curve": _point("pi_a", lambda a: [a[0], str(int(a[1]) + 1), "1"]),
    "A.y + q (>= q)": _point("pi_a", lambda a: [a[0], str(int(a[1]) + Q), "1"]),
    "A at infinity": _point("pi_a", lambda a: ["0", "0", "1"]),
    "A negated": _point("pi_a", lambda a: [a[0], str(Q - int(a[1])), "1"]),
    "C off the curve": _point("pi_c", lambda c: [c[0], str(int(c[1]) + 1), "1"]),
    "C at infinity": _point("pi_c", lambda c: ["0", "0", "1"]),
    "B coordinates swapped": _point("pi_b", lambda b: [[b[0][1], b[0][0]], [b[1][1], b[1][0]], b[2]]),
    "B off the twist": _point("pi_b", lambda b: [b[0], [b[1][0], str(int(b[1][1]) + 1)], b[2]]),
    "B on the twist, outside the subgroup": _point("pi_b", lambda b: twist_point_outside_subgroup()),
    "B at infinity": _point("pi_b", lambda b: [["0", "0"], ["0", "0"], b[2]]),
    "B.x0 + q (>= q)": _point("pi_b", lambda b: [[str(int(b[0][0]) + Q), b[0][1]], b[1], b[2]]),
}


@pytest.mark.parametrize("name", list(BREAKS))
@pytest.mark.parametrize("where", [0, 3])
def test_one_broken_proof_fails_both(verifiers: Verifiers, pk: PreparedKey, pool: list[Entry], name: str, where: int) -> None:
    batch = list(pool[:4])
    batch[where] = BREAKS[name](batch[where])
    assert both(verifiers, pk, batch) == (False, False)


def test_swapped_c_between_two_valid_proofs_fails_both(verifiers: Verifiers, pk: PreparedKey, pool: list[Entry]) -> None:
    batch = [(dict(p), s) for p, s in pool[:3]]
    batch[0][0]["pi_c"], batch[1][0]["pi_c"] = batch[1][0]["pi_c"], batch[0][0]["pi_c"]
    assert both(verifiers, pk, batch) == (False, False)


def test_duplicates_fail_both(verifiers: Verifiers, pk: PreparedKey, pool: list[Entry]) -> None:
    assert both(verifiers, pk, [pool[0], pool[1], pool[0]]) == (False, False)
    # the same proof with other signals is a duplicate too (same A)
    assert both(verifiers, pk, [pool[0], (pool[0][0], pool[1][1])]) == (False, False)
    # each of them alone, and re-randomized copies of one proof together, are fine
    assert both(verifiers, pk, [pool[0], pool[6], pool[12]]) == (True, True)
    # the contract's duplicate table (open addressing) across a full batch of 32
    assert both(verifiers, pk, pool[:32]) == (True, True)
    assert both(verifiers, pk, [*pool[:31], pool[17]]) == (False, False)


def test_empty_and_oversized_batches_fail_both(verifiers: Verifiers, pk: PreparedKey, pool: list[Entry]) -> None:
    assert both(verifiers, pk, []) == (False, False)
    too_many = (pool * (BATCH_MAX // len(pool) + 1))[: BATCH_MAX + 1]
    assert len(too_many) == BATCH_MAX + 1
    assert evm_accepts(verifiers, too_many) is False
    assert batch_verify_fiat_shamir(pk, []) is False
    assert verifiers.batch.functions.BATCH_MAX().call() == BATCH_MAX


def test_arrays_of_different_lengths_are_refused(verifiers: Verifiers, pool: list[Entry]) -> None:
    a, b, c, s = batch_args(pool[:3])
    fn = verifiers.batch.functions.verifyBatch
    assert fn(a, b, c, s).call() is True
    for args in ((a[:2], b, c, s), (a, b[:2], c, s), (a, b, c[:2], s), (a, b, c, s[:2])):
        assert fn(*args).call() is False
