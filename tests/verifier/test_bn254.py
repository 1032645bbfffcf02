"""The fast BN254 pairing against algebra and against py_ecc's plain pairing (the reference)."""

from __future__ import annotations

import random

import pytest
from py_ecc.optimized_bn128.optimized_curve import G1 as PG1
from py_ecc.optimized_bn128.optimized_curve import G2 as PG2
from py_ecc.optimized_bn128.optimized_curve import add, multiply, normalize
from zksolvency.verifier import bn254
from zksolvency.verifier.bn254 import Q, R, f2_add, f2_mul, f2_pow, f2_sqr

RNG = random.Random(7)


def g1(k: int) -> bn254.G1Point:
    x, y = normalize(multiply(PG1, k))
    return (int(x), int(y))


def g2(k: int) -> bn254.G2Point:
    x, y = normalize(multiply(PG2, k))
    return ((int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1])))


def f2_sqrt(a: bn254.Fq2) -> bn254.Fq2 | None:
    """Square root in Fq2 for q = 3 mod 4 (Adj and Rodriguez-Henriquez, algorithm 9)."""
    a1 = f2_pow(a, (Q - 3) // 4)
    alpha = f2_mul(f2_sqr(a1), a)
    a0 = f2_mul(f2_pow(alpha, Q), alpha)
    if a0 == (Q - 1, 0):
        return None
    x0 = f2_mul(a1, a)
    if alpha == (Q - 1, 0):
        return f2_mul((0, 1), x0)
    return f2_mul(f2_pow(f2_add((1, 0), alpha), (Q - 1) // 2), x0)


def twist_point_outside_subgroup() -> bn254.G2Point:
    """A point on the twist curve that is not in the order-r subgroup."""
    while True:
        x = (RNG.randrange(Q), RNG.randrange(Q))
        y = f2_sqrt(f2_add(f2_mul(f2_sqr(x), x), bn254.B2))
        if y is not None and f2_sqr(y) == f2_add(f2_mul(f2_sqr(x), x), bn254.B2):
            p = (x, y)
            assert bn254.g2_on_curve(p)
            if not bn254.g2_in_subgroup(p):
                return p


def test_constants_are_derived_from_u() -> None:
    from py_ecc.optimized_bn128.optimized_curve import curve_order, field_modulus

    assert (field_modulus, curve_order) == (Q, R)


@pytest.mark.parametrize("seed", range(3))
def test_bilinearity(seed: int) -> None:
    rng = random.Random(seed)
    a, b = rng.randrange(1, R), rng.randrange(1, R)
    e = bn254.pairing(g1(a), g2(b))
    assert e == bn254.pairing(g1(a * b % R), g2(1)) == bn254.pairing(g1(1), g2(a * b % R))
    assert e != bn254.F12_ONE
    assert e != bn254.pairing(g1(a + 1), g2(b))


def test_frobenius_is_the_qth_power() -> None:
    x = bn254.multi_miller([(g1(5), bn254.prepare_g2(g2(3)))])
    assert bn254.f12_frob(x, 1) == bn254.f12_pow(x, Q)
    assert bn254.f12_frob(x, 2) == bn254.f12_frob(bn254.f12_frob(x, 1), 1)
    assert bn254.f12_frob(x, 3) == bn254.f12_frob(bn254.f12_frob(x, 2), 1)


def test_inverse_and_sparse_line_product() -> None:
    x = bn254.multi_miller([(g1(11), bn254.prepare_g2(g2(13)))])
    assert bn254.f12_mul(x, bn254.f12_inv(x)) == bn254.F12_ONE
    line = (((5, 0), (0, 0), (0, 0)), ((7, 8), (9, 10), (0, 0)))
    assert bn254.f12_mul_line(x, 5, (7, 8), (9, 10)) == bn254.f12_mul(x, line)


def test_msm_matches_py_ecc() -> None:
    scalars = [RNG.randrange(R) for _ in range(4)] + [0, 1]
    points = [g1(RNG.randrange(1, R)) for _ in scalars]
    fq = type(PG1[0])
    expect = None
    for s, p in zip(scalars, points, strict=True):
        term = multiply((fq(p[0]), fq(p[1]), fq(1)), s)
        expect = term if expect is None else add(expect, term)
    assert expect is not None
    x, y = normalize(expect)
    assert bn254.g1_msm(points, scalars) == (int(x), int(y))
    assert bn254.g1_msm([g1(1), g1(1)], [1, R - 1]) is None  # P + (-P): infinity


def test_subgroup_check() -> None:
    assert bn254.g2_in_subgroup(g2(RNG.randrange(1, R)))
    assert not bn254.g2_in_subgroup(twist_point_outside_subgroup())
