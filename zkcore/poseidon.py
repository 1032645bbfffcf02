"""Poseidon over BN254, bit for bit the hash of circomlib's ``Poseidon(nInputs)`` template.

The constants are circomlib's reference constants (``scripts/gen_poseidon_constants.py`` extracts
them); the permutation is the plain reference form, which computes the same function as circomlib's
optimized circuit. ``tests/circuits/test_poseidon.py`` checks this against the compiled circuit.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

from zksolvency.zkcore.field import SNARK_FIELD

N_ROUNDS_F = 8
N_ROUNDS_P = (56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68)
MAX_INPUTS = 16
_CONSTANTS = Path(__file__).with_name("poseidon_constants.bin")


@cache
def _params(t: int) -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]:
    """Round constants C and MDS matrix M (rows) for state width ``t``."""
    blob = _CONSTANTS.read_bytes()
    offset = 0
    for width in range(2, t):
        offset += width * (N_ROUNDS_F + N_ROUNDS_P[width - 2]) + width * width
    n_c = t * (N_ROUNDS_F + N_ROUNDS_P[t - 2])
    values = [int.from_bytes(blob[32 * i : 32 * i + 32], "big") for i in range(offset, offset + n_c + t * t)]
    c = tuple(values[:n_c])
    m = tuple(tuple(values[n_c + i * t : n_c + (i + 1) * t]) for i in range(t))
    return c, m


def poseidon(inputs: Sequence[int]) -> int:
    """Hash 1 to 16 field elements exactly as circomlib's ``Poseidon(len(inputs))``."""
    n = len(inputs)
    if not 1 <= n <= MAX_INPUTS:
        raise ValueError(f"poseidon takes 1..{MAX_INPUTS} inputs, got {n}")
    t = n + 1
    c, m = _params(t)
    p = SNARK_FIELD
    n_p = N_ROUNDS_P[t - 2]
    half = N_ROUNDS_F // 2
    state = [0] + [x % p for x in inputs]
    for r in range(N_ROUNDS_F + n_p):
        state = [(s + c[r * t + i]) % p for i, s in enumerate(state)]
        if r < half or r >= half + n_p:
            state = [pow(s, 5, p) for s in state]
        else:
            state[0] = pow(state[0], 5, p)
        state = [sum(mij * s for mij, s in zip(row, state, strict=True)) % p for row in m]
    return state[0]
