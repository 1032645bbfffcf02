"""Groth16 proof surgery for batch tests and benchmarks: re-randomize a real proof, shift its C,
put a B off the subgroup. Points are snarkjs JSON (decimal strings, G2 as [[x0, x1], [y0, y1]])."""

from __future__ import annotations

from typing import Any

from py_ecc.fields import optimized_bn128_FQ as FQ
from py_ecc.fields import optimized_bn128_FQ2 as FQ2
from py_ecc.optimized_bn128 import optimized_curve as oc
from zksolvency.verifier.bn254 import Q, R

G1J = tuple[FQ, FQ, FQ]
G2J = tuple[FQ2, FQ2, FQ2]


def g1(v: list[str]) -> G1J:
    """snarkjs G1 -> py_ecc point."""
    return (FQ(int(v[0])), FQ(int(v[1])), FQ(1))


def g2(v: list[list[str]]) -> G2J:
    """snarkjs G2 -> py_ecc point."""
    return (FQ2([int(v[0][0]), int(v[0][1])]), FQ2([int(v[1][0]), int(v[1][1])]), FQ2([1, 0]))


def g1_json(p: Any) -> list[str]:
    """py_ecc G1 -> snarkjs affine."""
    x, y = oc.normalize(p)
    return [str(int(x)), str(int(y)), "1"]


def g2_json(p: Any) -> list[list[str]]:
    """py_ecc G2 -> snarkjs affine."""
    x, y = oc.normalize(p)
    return [[str(x.coeffs[0]), str(x.coeffs[1])], [str(y.coeffs[0]), str(y.coeffs[1])], ["1", "0"]]


def rerandomize(proof: dict[str, Any], vk: dict[str, Any], s: int, t: int) -> dict[str, Any]:
    """Another valid proof of the same statement: A' = s A, B' = s^-1 B + t delta, C' = C + t A'.

    e(A', B') = e(A, B) e(t A', delta), and C' adds exactly t A' on the delta side.
    """
    a2 = oc.multiply(g1(proof["pi_a"]), s % R)
    b2 = oc.add(oc.multiply(g2(proof["pi_b"]), pow(s, -1, R)), oc.multiply(g2(vk["vk_delta_2"]), t % R))
    c2 = oc.add(g1(proof["pi_c"]), oc.multiply(a2, t % R))
    return {**proof, "pi_a": g1_json(a2), "pi_b": g2_json(b2), "pi_c": g1_json(c2)}


def shift_c(proof: dict[str, Any], delta: Any, k: int) -> dict[str, Any]:
    """The proof with C + k * delta (delta a py_ecc G1 point)."""
    return {**proof, "pi_c": g1_json(oc.add(g1(proof["pi_c"]), oc.multiply(delta, k % R)))}


def _fq2_sqrt(a: FQ2) -> FQ2 | None:
    """A square root in Fq2 (q = 3 mod 4, Adj-Rodriguez-Henriquez algorithm 9), or None."""
    a1 = a ** ((Q - 3) // 4)
    alpha = a1 * a1 * a
    a0 = (alpha**Q) * alpha
    if a0 == FQ2([Q - 1, 0]):
        return None
    x0 = a1 * a
    minus_one = FQ2([Q - 1, 0])
    x = FQ2([0, 1]) * x0 if alpha == minus_one else ((FQ2([1, 0]) + alpha) ** ((Q - 1) // 2)) * x0
    return x if x * x == a else None


def twist_point_outside_subgroup() -> list[list[str]]:
    """A point on the G2 twist curve that is not in the order-r subgroup (snarkjs JSON)."""
    for k in range(1, 1000):
        x = FQ2([k, 1])
        y = _fq2_sqrt(x**3 + oc.b2)
        if y is None:
            continue
        p = (x, y, FQ2([1, 0]))
        assert oc.is_on_curve(p, oc.b2)
        if not oc.is_inf(oc.multiply(p, R)):
            return g2_json(p)
    raise AssertionError("no point found")
