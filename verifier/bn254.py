"""A fast optimal-ate pairing on BN254 in pure Python, for Groth16 verification.

py_ecc's pairing works on points twisted into Fq12 and raises to (q^12 - 1)/r with a plain
square-and-multiply; it is correct and slow (seconds per pairing). This module computes the same
kind of pairing product much faster, in the ways measurement showed mattered:

- the tower Fq2 = Fq[u]/(u^2 + 1), Fq6 = Fq2[v]/(v^3 - (9 + u)), Fq12 = Fq6[w]/(w^2 - v) on
  plain ints and tuples (no per-operation objects);
- the Miller loop keeps the G2 point on the twist (affine Fq2) and multiplies the accumulator by
  *sparse* line values; several pairs share one loop (one squaring per step for all of them);
- line coefficients of a fixed G2 point (the verification key's gamma and delta) are computed once
  (:func:`prepare_g2`) and only evaluated at the G1 point during verification;
- one final exponentiation: the easy part with conjugation and Frobenius maps, the hard part with
  the Fuentes-Castaneda et al. addition chain in exponentiations by the curve parameter u.

The result is the reduced pairing raised to a fixed power 2u(6u^2 + 3u + 1), which is coprime to
r, so products compare to one exactly as with the textbook pairing. ``tests/verifier`` checks
bilinearity and agreement with py_ecc's plain pairing (the reference) on valid and invalid proofs.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

U = 4965661367192848881  # BN parameter: q and r are polynomials in U
Q = 36 * U**4 + 36 * U**3 + 24 * U**2 + 6 * U + 1  # base field
R = 36 * U**4 + 36 * U**3 + 18 * U**2 + 6 * U + 1  # group order = circom's scalar field
assert Q == 0x30644E72E131A029B85045B68181585D97816A916871CA8D3C208C16D87CFD47
assert R == 0x30644E72E131A029B85045B68181585D2833E84879B9709143E1F593F0000001
#: 6U + 2 in signed binary (most significant digit last), as py_ecc writes it.
ATE_NAF = (
    0, 0, 0, 1, 0, 1, 0, -1, 0, 0, 1, -1, 0, 0, 1, 0, 0, 1, 1, 0, -1, 0, 0, 1, 0, -1, 0, 0, 0, 0, 1, 1,
    1, 0, 0, -1, 0, 0, 1, 0, 0, 0, 0, 0, -1, 0, 0, 1, 1, 0, 0, -1, 0, 0, 0, 1, 1, 0, -1, 0, 0, 1, 0, 1, 1,
)  # fmt: skip
assert sum(d * 2**i for i, d in enumerate(ATE_NAF)) == 6 * U + 2

Fq2 = tuple[int, int]
Fq6 = tuple[Fq2, Fq2, Fq2]
Fq12 = tuple[Fq6, Fq6]
G1Point = tuple[int, int]  # affine; the point at infinity is None where allowed
G2Point = tuple[Fq2, Fq2]

# ---------------------------------------------------------------- Fq2


def f2_add(a: Fq2, b: Fq2) -> Fq2:
    return ((a[0] + b[0]) % Q, (a[1] + b[1]) % Q)


def f2_sub(a: Fq2, b: Fq2) -> Fq2:
    return ((a[0] - b[0]) % Q, (a[1] - b[1]) % Q)


def f2_neg(a: Fq2) -> Fq2:
    return (-a[0] % Q, -a[1] % Q)


def f2_mul(a: Fq2, b: Fq2) -> Fq2:
    t0 = a[0] * b[0]
    t1 = a[1] * b[1]
    return ((t0 - t1) % Q, ((a[0] + a[1]) * (b[0] + b[1]) - t0 - t1) % Q)


def f2_sqr(a: Fq2) -> Fq2:
    return ((a[0] + a[1]) * (a[0] - a[1]) % Q, 2 * a[0] * a[1] % Q)


def f2_scale(a: Fq2, k: int) -> Fq2:
    return (a[0] * k % Q, a[1] * k % Q)


def f2_mul_xi(a: Fq2) -> Fq2:
    """Multiply by xi = 9 + u, the Fq6 non-residue."""
    return ((9 * a[0] - a[1]) % Q, (a[0] + 9 * a[1]) % Q)


def f2_inv(a: Fq2) -> Fq2:
    d = pow(a[0] * a[0] + a[1] * a[1], Q - 2, Q)
    return (a[0] * d % Q, -a[1] * d % Q)


def f2_conj(a: Fq2) -> Fq2:
    """Frobenius on Fq2: u^q = -u."""
    return (a[0], -a[1] % Q)


def f2_pow(a: Fq2, e: int) -> Fq2:
    out: Fq2 = (1, 0)
    while e:
        if e & 1:
            out = f2_mul(out, a)
        a = f2_sqr(a)
        e >>= 1
    return out


F2_ZERO: Fq2 = (0, 0)
F2_ONE: Fq2 = (1, 0)

# ---------------------------------------------------------------- Fq6


def f6_add(a: Fq6, b: Fq6) -> Fq6:
    return (f2_add(a[0], b[0]), f2_add(a[1], b[1]), f2_add(a[2], b[2]))


def f6_sub(a: Fq6, b: Fq6) -> Fq6:
    return (f2_sub(a[0], b[0]), f2_sub(a[1], b[1]), f2_sub(a[2], b[2]))


def f6_neg(a: Fq6) -> Fq6:
    return (f2_neg(a[0]), f2_neg(a[1]), f2_neg(a[2]))


def f6_mul(a: Fq6, b: Fq6) -> Fq6:
    a0, a1, a2 = a
    b0, b1, b2 = b
    t0, t1, t2 = f2_mul(a0, b0), f2_mul(a1, b1), f2_mul(a2, b2)
    c0 = f2_add(t0, f2_mul_xi(f2_sub(f2_sub(f2_mul(f2_add(a1, a2), f2_add(b1, b2)), t1), t2)))
    c1 = f2_add(f2_sub(f2_sub(f2_mul(f2_add(a0, a1), f2_add(b0, b1)), t0), t1), f2_mul_xi(t2))
    c2 = f2_add(f2_sub(f2_sub(f2_mul(f2_add(a0, a2), f2_add(b0, b2)), t0), t2), t1)
    return (c0, c1, c2)


def f6_mul_v(a: Fq6) -> Fq6:
    """Multiply by v (v^3 = xi)."""
    return (f2_mul_xi(a[2]), a[0], a[1])


def f6_mul_01(a: Fq6, b0: Fq2, b1: Fq2) -> Fq6:
    """a * (b0 + b1 v): the sparse product of a line evaluation."""
    a0, a1, a2 = a
    t0, t1 = f2_mul(a0, b0), f2_mul(a1, b1)
    c0 = f2_add(t0, f2_mul_xi(f2_mul(a2, b1)))
    c1 = f2_sub(f2_sub(f2_mul(f2_add(a0, a1), f2_add(b0, b1)), t0), t1)
    c2 = f2_add(t1, f2_mul(a2, b0))
    return (c0, c1, c2)


def f6_scale(a: Fq6, k: int) -> Fq6:
    return (f2_scale(a[0], k), f2_scale(a[1], k), f2_scale(a[2], k))


def f6_inv(a: Fq6) -> Fq6:
    a0, a1, a2 = a
    t0 = f2_sub(f2_sqr(a0), f2_mul_xi(f2_mul(a1, a2)))
    t1 = f2_sub(f2_mul_xi(f2_sqr(a2)), f2_mul(a0, a1))
    t2 = f2_sub(f2_sqr(a1), f2_mul(a0, a2))
    d = f2_inv(f2_add(f2_mul(a0, t0), f2_mul_xi(f2_add(f2_mul(a2, t1), f2_mul(a1, t2)))))
    return (f2_mul(t0, d), f2_mul(t1, d), f2_mul(t2, d))


F6_ZERO: Fq6 = (F2_ZERO, F2_ZERO, F2_ZERO)
F6_ONE: Fq6 = (F2_ONE, F2_ZERO, F2_ZERO)

# ---------------------------------------------------------------- Fq12


def f12_mul(a: Fq12, b: Fq12) -> Fq12:
    t0, t1 = f6_mul(a[0], b[0]), f6_mul(a[1], b[1])
    c1 = f6_sub(f6_sub(f6_mul(f6_add(a[0], a[1]), f6_add(b[0], b[1])), t0), t1)
    return (f6_add(t0, f6_mul_v(t1)), c1)


def f12_sqr(a: Fq12) -> Fq12:
    a0, a1 = a
    ab = f6_mul(a0, a1)
    c0 = f6_sub(f6_sub(f6_mul(f6_add(a0, a1), f6_add(a0, f6_mul_v(a1))), ab), f6_mul_v(ab))
    return (c0, f6_add(ab, ab))


def f12_mul_line(f: Fq12, y: int, b0: Fq2, b1: Fq2) -> Fq12:
    """f * (y + (b0 + b1 v) w): multiplication by a sparse line value (y in Fq)."""
    f0, f1 = f
    t0 = f6_scale(f0, y)
    t1 = f6_mul_01(f1, b0, b1)
    c1 = f6_sub(f6_sub(f6_mul_01(f6_add(f0, f1), f2_add((y, 0), b0), b1), t0), t1)
    return (f6_add(t0, f6_mul_v(t1)), c1)


def f12_conj(a: Fq12) -> Fq12:
    """a^(q^6): the inverse of a unitary element."""
    return (a[0], f6_neg(a[1]))


def f12_inv(a: Fq12) -> Fq12:
    a0, a1 = a
    d = f6_inv(f6_sub(f6_mul(a0, a0), f6_mul_v(f6_mul(a1, a1))))
    return (f6_mul(a0, d), f6_neg(f6_mul(a1, d)))


F12_ONE: Fq12 = (F6_ONE, F6_ZERO)

XI: Fq2 = (9, 1)


@cache
def _frob_consts(k: int) -> tuple[Fq2, Fq2, Fq2]:
    """xi^((q^k - 1)/3), xi^(2(q^k - 1)/3), xi^((q^k - 1)/6)."""
    e = Q**k - 1
    return f2_pow(XI, e // 3), f2_pow(XI, 2 * e // 3), f2_pow(XI, e // 6)


def f12_frob(a: Fq12, k: int) -> Fq12:
    """a^(q^k) for k in 1..3."""
    g1, g2, gw = _frob_consts(k)
    fr = f2_conj if k % 2 else (lambda x: x)

    def f6(c: Fq6) -> Fq6:
        return (fr(c[0]), f2_mul(fr(c[1]), g1), f2_mul(fr(c[2]), g2))

    c0, c1 = f6(a[0]), f6(a[1])
    return (c0, (f2_mul(c1[0], gw), f2_mul(c1[1], gw), f2_mul(c1[2], gw)))


def f12_pow(a: Fq12, e: int) -> Fq12:
    out = F12_ONE
    for bit in bin(e)[2:]:
        out = f12_sqr(out)
        if bit == "1":
            out = f12_mul(out, a)
    return out


# ---------------------------------------------------------------- curves

B2: Fq2 = f2_mul((3, 0), f2_inv(XI))  # twist: y^2 = x^3 + 3 / (9 + u)


def g1_on_curve(p: G1Point) -> bool:
    """y^2 = x^3 + 3 over Fq."""
    x, y = p
    return (y * y - x * x * x - 3) % Q == 0


def g2_on_curve(p: G2Point) -> bool:
    """y^2 = x^3 + 3/(9+u) over Fq2."""
    x, y = p
    return f2_sub(f2_sqr(y), f2_add(f2_mul(f2_sqr(x), x), B2)) == F2_ZERO


# Jacobian G2 arithmetic for the subgroup check [r]P == O.
_J2 = tuple[Fq2, Fq2, Fq2]


def _j2_double(p: _J2) -> _J2:
    x, y, z = p
    if z == F2_ZERO:
        return p
    a = f2_sqr(x)
    b = f2_sqr(y)
    c = f2_sqr(b)
    d = f2_scale(f2_sub(f2_sub(f2_sqr(f2_add(x, b)), a), c), 2)
    e = f2_scale(a, 3)
    x3 = f2_sub(f2_sqr(e), f2_scale(d, 2))
    y3 = f2_sub(f2_mul(e, f2_sub(d, x3)), f2_scale(c, 8))
    z3 = f2_scale(f2_mul(y, z), 2)
    return (x3, y3, z3)


def _j2_add_affine(p: _J2, q: G2Point) -> _J2:
    x1, y1, z1 = p
    if z1 == F2_ZERO:
        return (q[0], q[1], F2_ONE)
    z1z1 = f2_sqr(z1)
    u2 = f2_mul(q[0], z1z1)
    s2 = f2_mul(f2_mul(q[1], z1), z1z1)
    h = f2_sub(u2, x1)
    rr = f2_sub(s2, y1)
    if h == F2_ZERO:
        return _j2_double(p) if rr == F2_ZERO else (F2_ONE, F2_ONE, F2_ZERO)
    hh = f2_sqr(h)
    hhh = f2_mul(h, hh)
    v = f2_mul(x1, hh)
    x3 = f2_sub(f2_sub(f2_sqr(rr), hhh), f2_scale(v, 2))
    y3 = f2_sub(f2_mul(rr, f2_sub(v, x3)), f2_mul(y1, hhh))
    return (x3, y3, f2_mul(z1, h))


def g2_in_subgroup(p: G2Point) -> bool:
    """[r]P is the point at infinity (the twist has a large cofactor, so this is not implied)."""
    acc: _J2 = (F2_ONE, F2_ONE, F2_ZERO)
    for bit in bin(R)[2:]:
        acc = _j2_double(acc)
        if bit == "1":
            acc = _j2_add_affine(acc, p)
    return acc[2] == F2_ZERO


def g1_add(p: G1Point | None, q: G1Point | None) -> G1Point | None:
    """Affine addition in G1 (None is the point at infinity)."""
    if p is None:
        return q
    if q is None:
        return p
    if p[0] == q[0]:
        if (p[1] + q[1]) % Q == 0:
            return None
        lam = 3 * p[0] * p[0] * pow(2 * p[1], Q - 2, Q) % Q
    else:
        lam = (q[1] - p[1]) * pow(q[0] - p[0], Q - 2, Q) % Q
    x3 = (lam * lam - p[0] - q[0]) % Q
    return (x3, (lam * (p[0] - x3) - p[1]) % Q)


def g1_neg(p: G1Point | None) -> G1Point | None:
    """-P."""
    return None if p is None else (p[0], -p[1] % Q)


def g1_msm(points: Sequence[G1Point], scalars: Sequence[int]) -> G1Point | None:
    """sum s_i P_i in Jacobian coordinates with interleaved double-and-add (scalars < r)."""
    n_bits = max((s.bit_length() for s in scalars), default=0)
    x, y, z = 1, 1, 0  # Jacobian accumulator, z = 0 is infinity
    for i in range(n_bits - 1, -1, -1):
        if z:  # double
            a, b = x * x % Q, y * y % Q
            c = b * b % Q
            d = 2 * ((x + b) * (x + b) - a - c) % Q
            e = 3 * a % Q
            x3 = (e * e - 2 * d) % Q
            y, z = (e * (d - x3) - 8 * c) % Q, 2 * y * z % Q
            x = x3
        for p, s in zip(points, scalars, strict=True):
            if (s >> i) & 1:
                if not z:
                    x, y, z = p[0], p[1], 1
                    continue
                z1z1 = z * z % Q
                u2 = p[0] * z1z1 % Q
                s2 = p[1] * z * z1z1 % Q
                h, rr = (u2 - x) % Q, (s2 - y) % Q
                if h == 0:
                    if rr == 0:  # P == acc: double instead
                        aff = g1_add((x * pow(z1z1, Q - 2, Q) % Q, y * pow(z1z1 * z, Q - 2, Q) % Q), p)
                        if aff is None:
                            x, y, z = 1, 1, 0
                        else:
                            x, y, z = aff[0], aff[1], 1
                    else:
                        x, y, z = 1, 1, 0
                    continue
                hh = h * h % Q
                hhh = h * hh % Q
                v = x * hh % Q
                x3 = (rr * rr - hhh - 2 * v) % Q
                y, z = (rr * (v - x3) - y * hhh) % Q, z * h % Q
                x = x3
    if not z:
        return None
    zi = pow(z, Q - 2, Q)
    zi2 = zi * zi % Q
    return (x * zi2 % Q, y * zi2 * zi % Q)


# ---------------------------------------------------------------- Miller loop

#: Per step of the loop: (lambda, lambda * x_T - y_T) of the line through the running point.
Lines = tuple[tuple[Fq2, Fq2], ...]


def _line(lam: Fq2, t: G2Point) -> tuple[Fq2, Fq2]:
    return (lam, f2_sub(f2_mul(lam, t[0]), t[1]))


def _frob_twist(p: G2Point) -> G2Point:
    """pi(P) on the twist: (conj(x) xi^((q-1)/3), conj(y) xi^((q-1)/2))."""
    g = _pi_consts()
    return (f2_mul(f2_conj(p[0]), g[0]), f2_mul(f2_conj(p[1]), g[1]))


@cache
def _pi_consts() -> tuple[Fq2, Fq2, Fq2, Fq2]:
    return (
        f2_pow(XI, (Q - 1) // 3),
        f2_pow(XI, (Q - 1) // 2),
        f2_pow(XI, (Q * Q - 1) // 3),
        f2_pow(XI, (Q * Q - 1) // 2),
    )


def prepare_g2(q: G2Point) -> Lines:
    """Line coefficients of the Miller loop for a fixed G2 point, in evaluation order."""
    lines: list[tuple[Fq2, Fq2]] = []
    t = q
    neg_q = (q[0], f2_neg(q[1]))

    def add(t: G2Point, p: G2Point) -> G2Point:
        lam = f2_mul(f2_sub(p[1], t[1]), f2_inv(f2_sub(p[0], t[0])))
        lines.append(_line(lam, t))
        x3 = f2_sub(f2_sub(f2_sqr(lam), t[0]), p[0])
        return (x3, f2_sub(f2_mul(lam, f2_sub(t[0], x3)), t[1]))

    for d in ATE_NAF[63::-1]:
        lam = f2_mul(f2_scale(f2_sqr(t[0]), 3), f2_inv(f2_scale(t[1], 2)))
        lines.append(_line(lam, t))
        x3 = f2_sub(f2_sqr(lam), f2_scale(t[0], 2))
        t = (x3, f2_sub(f2_mul(lam, f2_sub(t[0], x3)), t[1]))
        if d == 1:
            t = add(t, q)
        elif d == -1:
            t = add(t, neg_q)
    g = _pi_consts()
    q1 = _frob_twist(q)
    q2 = (f2_mul(q[0], g[2]), f2_mul(q[1], g[3]))  # pi^2(Q): coefficients are in Fq
    t = add(t, q1)
    add(t, (q2[0], f2_neg(q2[1])))
    return tuple(lines)


def multi_miller(pairs: Sequence[tuple[G1Point, Lines]]) -> Fq12:
    """Product of Miller loops f_{6u+2,Q}(P) * lines(pi(Q)) * lines(-pi^2(Q)) over all pairs."""
    f = F12_ONE
    idx = 0
    evals = [(p[0], p[1], lines) for p, lines in pairs]
    for d in ATE_NAF[63::-1]:
        f = f12_sqr(f)
        for xp, yp, lines in evals:
            lam, c = lines[idx]
            f = f12_mul_line(f, yp, f2_neg(f2_scale(lam, xp)), c)
        idx += 1
        if d:
            for xp, yp, lines in evals:
                lam, c = lines[idx]
                f = f12_mul_line(f, yp, f2_neg(f2_scale(lam, xp)), c)
            idx += 1
    for _ in range(2):
        for xp, yp, lines in evals:
            lam, c = lines[idx]
            f = f12_mul_line(f, yp, f2_neg(f2_scale(lam, xp)), c)
        idx += 1
    return f


def _exp_by_u(f: Fq12) -> Fq12:
    return f12_pow(f, U)


def final_exponentiation(f: Fq12) -> Fq12:
    """f^((q^12 - 1)/r * 2u(6u^2 + 3u + 1)): easy part by Frobenius, hard part by an u-chain."""
    # easy part: f^((q^6 - 1)(q^2 + 1)), after which f is unitary (inverse = conjugate)
    f = f12_mul(f12_conj(f), f12_inv(f))
    f = f12_mul(f12_frob(f, 2), f)
    # hard part (Fuentes-Castaneda, Knapp, Rodriguez-Henriquez: "Faster hashing to G2")
    y0 = f12_conj(_exp_by_u(f))  # f^(-u)
    y1 = f12_sqr(y0)
    y2 = f12_sqr(y1)
    y3 = f12_mul(y2, y1)
    y4 = f12_conj(_exp_by_u(y3))
    y5 = f12_sqr(y4)
    y6 = f12_conj(_exp_by_u(y5))
    y3 = f12_conj(y3)
    y6 = f12_conj(y6)
    y7 = f12_mul(y6, y4)
    y8 = f12_mul(y7, y3)
    y9 = f12_mul(y8, y1)
    y10 = f12_mul(y8, y4)
    y11 = f12_mul(y10, f)
    y13 = f12_mul(f12_frob(y9, 1), y11)
    y14 = f12_mul(f12_frob(y8, 2), y13)
    y15 = f12_frob(f12_mul(f12_conj(f), y9), 3)
    return f12_mul(y15, y14)


def pairing(p: G1Point, q: G2Point) -> Fq12:
    """The (powered) optimal ate pairing of one pair: for tests and precomputation."""
    return final_exponentiation(multi_miller([(p, prepare_g2(q))]))
