"""The fast Poseidon (light-poseidon) equals the reference twin bit for bit at every arity it has."""

from __future__ import annotations

import random

import pytest
from zksolvency.zkcore import poseidon_fast
from zksolvency.zkcore.field import SNARK_FIELD
from zksolvency.zkcore.poseidon import poseidon

#: Random inputs per arity: 2,000 for the ledger's (2: nodes, 3: holdings, 4: positions, 5: the
#: account leaf), 1,000 for the market root's 6, 300 for the rest (risk-array chunks of small S).
CASES = {n: 2000 if 2 <= n <= 5 else 1000 if n == 6 else 300 for n in range(1, poseidon_fast.MAX_INPUTS + 1)}


def _edge(rng: random.Random) -> int:
    return rng.choice([0, 1, SNARK_FIELD - 1, SNARK_FIELD // 2, 2**64 - 1, 2**160 - 1, 2**253 - 1, rng.randrange(2**64)])


@pytest.mark.parametrize("n", sorted(CASES))
def test_fast_equals_reference(n: int) -> None:
    rng = random.Random(n)
    for k in range(CASES[n]):
        xs = [rng.randrange(SNARK_FIELD) if k % 4 else _edge(rng) for _ in range(n)]
        assert poseidon_fast.poseidon(xs) == poseidon(xs), xs
    a, b = rng.randrange(SNARK_FIELD), rng.randrange(SNARK_FIELD)
    assert poseidon_fast.poseidon2(a, b) == poseidon([a, b])


def test_inputs_are_reduced_like_the_reference() -> None:
    # circom works modulo r: so do both (the Rust library alone would refuse an input >= r)
    for x in (SNARK_FIELD, SNARK_FIELD + 7, 2**256 - 1, -1):
        assert poseidon_fast.poseidon([x, 1]) == poseidon([x, 1])


@pytest.mark.parametrize("n", [0, 13, 16])
def test_other_arities_are_refused_not_delegated(n: int) -> None:
    with pytest.raises(ValueError, match=r"1\.\.12"):
        poseidon_fast.poseidon(list(range(n)))


def test_known_vector() -> None:
    assert poseidon_fast.poseidon([1, 2]) == 0x115CC0F5E7D690413DF64C6B9662E9CF2A3617F2743245519E19607A4417189A
