"""The BN254 scalar field that circom, snarkjs and the Groth16 verifiers work in."""

from __future__ import annotations

#: Order r of BN254's G1/G2 groups: circom's prime, the field every signal lives in.
SNARK_FIELD = 0x30644E72E131A029B85045B68181585D2833E84879B9709143E1F593F0000001


def to_field(x: int) -> int:
    """Map a signed integer to its field element (negative ``x`` becomes ``r - |x|``)."""
    return x % SNARK_FIELD


def from_field_signed(x: int) -> int:
    """Inverse of :func:`to_field` for values whose magnitude is below ``r / 2``."""
    return x - SNARK_FIELD if x > SNARK_FIELD // 2 else x


def hex32(x: int) -> str:
    """0x + 64 hex digits (commitments, roots)."""
    return "0x" + x.to_bytes(32, "big").hex()
