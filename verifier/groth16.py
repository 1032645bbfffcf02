"""Groth16 verification of snarkjs proofs on BN254, checking everything a pairing library does not.

Checked before any pairing: every coordinate is a canonical integer below q, the points lie on
their curves, G2 points (the proof's B and the key's beta, gamma, delta) are in the order-r
subgroup, every public signal is below r, and there are exactly ``len(IC) - 1`` of them.

Two implementations of the final check ``e(A, B) = e(alpha, beta) e(vk_x, gamma) e(C, delta)``:
- :func:`verify_fast`: :mod:`verifier.bn254` with a prepared key (e(alpha, beta) precomputed and
  gamma/delta line coefficients cached), one multi-Miller loop over three pairs and one final
  exponentiation;
- :func:`verify_reference`: py_ecc's plain pairing, four pairings each with its own final
  exponentiation. Slow; the fast path is tested against it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from zksolvency.verifier import bn254
from zksolvency.verifier.bn254 import Fq2, Fq12, G1Point, G2Point, Lines, Q, R
from zksolvency.zkcore.errors import ZkSolvencyError


class InvalidProof(ZkSolvencyError):
    """The proof, its public signals or its key are malformed or do not verify (exit code 1)."""

    exit_code = 1


#: Canonical decimal: ASCII digits, no sign, no leading zero, nothing around it (used with fullmatch).
_UINT = re.compile(r"0|[1-9][0-9]{0,99}")


def _int(v: Any, what: str, bound: int) -> int:
    """A canonical non-negative decimal STRING below ``bound``: one value, one encoding.

    JSON numbers, signs, leading zeros, whitespace, a trailing newline and non-ASCII digits are all
    refused, so a proof has exactly one byte encoding as a bundle.
    """
    if not isinstance(v, str):
        raise InvalidProof(f"{what}: expected a decimal string, got {type(v).__name__}")
    s = v
    if not _UINT.fullmatch(s):
        raise InvalidProof(f"{what}: not a canonical decimal integer: {s[:20]!r}")
    x = int(s)
    if x >= bound:
        raise InvalidProof(
            f"{what}: {'coordinate is not below the field modulus q' if bound == Q else 'value is not below the group order r'}"
        )
    return x


def _list(v: Any, n: int, what: str) -> list[Any]:
    if not isinstance(v, list) or len(v) != n:
        raise InvalidProof(f"{what}: expected a list of {n}")
    return v


def parse_g1(v: Any, what: str) -> G1Point:
    """A snarkjs G1 point [x, y, "1"] in affine form, on the curve."""
    x, y, z = _list(v, 3, what)
    p = (_int(x, f"{what}.x", Q), _int(y, f"{what}.y", Q))
    if _int(z, f"{what}.z", Q) != 1:
        raise InvalidProof(f"{what}: not an affine point (z must be 1; the point at infinity is refused)")
    if not bn254.g1_on_curve(p):
        raise InvalidProof(f"{what}: point is not on the curve")
    return p


def parse_g2(v: Any, what: str) -> G2Point:
    """A snarkjs G2 point [[x0, x1], [y0, y1], ["1", "0"]], on the twist and in the r-subgroup."""
    x, y, z = _list(v, 3, what)
    xs, ys, zs = _list(x, 2, f"{what}.x"), _list(y, 2, f"{what}.y"), _list(z, 2, f"{what}.z")
    p: G2Point = (
        (_int(xs[0], f"{what}.x", Q), _int(xs[1], f"{what}.x", Q)),
        (_int(ys[0], f"{what}.y", Q), _int(ys[1], f"{what}.y", Q)),
    )
    if (_int(zs[0], f"{what}.z", Q), _int(zs[1], f"{what}.z", Q)) != (1, 0):
        raise InvalidProof(f"{what}: not an affine point (z must be [1, 0])")
    if not bn254.g2_on_curve(p):
        raise InvalidProof(f"{what}: point is not on the twist curve")
    if not bn254.g2_in_subgroup(p):
        raise InvalidProof(f"{what}: point is not in the order-r subgroup")
    return p


@dataclass(frozen=True)
class Proof:
    """A parsed Groth16 proof."""

    a: G1Point
    b: G2Point
    c: G1Point


def parse_proof(v: Any) -> Proof:
    """Parse and check a snarkjs ``proof`` object."""
    if not isinstance(v, dict):
        raise InvalidProof("proof: expected an object")
    if extra := sorted(set(v) - {"pi_a", "pi_b", "pi_c", "protocol", "curve"}):
        raise InvalidProof(f"proof: unknown field {extra[0][:40]!r}")
    if v.get("protocol", "groth16") != "groth16" or v.get("curve", "bn128") != "bn128":
        raise InvalidProof("proof: not a groth16 proof on bn128")
    return Proof(
        parse_g1(v.get("pi_a"), "proof.pi_a"), parse_g2(v.get("pi_b"), "proof.pi_b"), parse_g1(v.get("pi_c"), "proof.pi_c")
    )


def parse_signals(v: Any, n: int) -> list[int]:
    """Public signals: exactly ``n`` canonical decimals below r."""
    if not isinstance(v, list):
        raise InvalidProof("public_signals: expected a list")
    if len(v) != n:
        raise InvalidProof(f"public_signals: the key expects {n} public signals, got {len(v)}")
    return [_int(s, f"public_signals[{i}]", R) for i, s in enumerate(v)]


@dataclass(frozen=True)
class VerifyingKey:
    """A parsed, checked snarkjs Groth16 verification key."""

    alpha: G1Point
    beta: G2Point
    gamma: G2Point
    delta: G2Point
    ic: tuple[G1Point, ...]

    @property
    def n_public(self) -> int:
        """Number of public signals the key verifies."""
        return len(self.ic) - 1


def parse_vkey(v: Any) -> VerifyingKey:
    """Parse and check a snarkjs ``verification_key.json`` object."""
    if not isinstance(v, dict):
        raise InvalidProof("verification key: expected an object")
    if v.get("protocol") != "groth16" or v.get("curve") != "bn128":
        raise InvalidProof("verification key: not a groth16 key on bn128")
    ic_raw = v.get("IC")
    if not isinstance(ic_raw, list) or not ic_raw:
        raise InvalidProof("verification key: IC must be a non-empty list")
    ic = tuple(parse_g1(p, f"vkey.IC[{i}]") for i, p in enumerate(ic_raw))
    if v.get("nPublic") != len(ic) - 1:
        raise InvalidProof("verification key: nPublic does not match the IC length")
    return VerifyingKey(
        parse_g1(v.get("vk_alpha_1"), "vkey.vk_alpha_1"),
        parse_g2(v.get("vk_beta_2"), "vkey.vk_beta_2"),
        parse_g2(v.get("vk_gamma_2"), "vkey.vk_gamma_2"),
        parse_g2(v.get("vk_delta_2"), "vkey.vk_delta_2"),
        ic,
    )


@dataclass(frozen=True)
class PreparedKey:
    """A key ready for fast verification: cached line coefficients and e(alpha, beta)."""

    vk: VerifyingKey
    gamma_lines: Lines
    delta_lines: Lines
    beta_lines: Lines
    e_alpha_beta: Fq12


@lru_cache(maxsize=8)
def prepare(vk: VerifyingKey) -> PreparedKey:
    """Precompute what does not depend on the proof (cached per key in this process)."""
    beta_lines = bn254.prepare_g2(vk.beta)
    e_ab = bn254.final_exponentiation(bn254.multi_miller([(vk.alpha, beta_lines)]))
    return PreparedKey(vk, bn254.prepare_g2(vk.gamma), bn254.prepare_g2(vk.delta), beta_lines, e_ab)


def _vk_x(vk: VerifyingKey, signals: Sequence[int]) -> G1Point | None:
    acc = bn254.g1_msm(vk.ic[1:], signals)
    return bn254.g1_add(vk.ic[0], acc)


def _pairs(items: Sequence[tuple[G1Point | None, Lines]]) -> list[tuple[G1Point, Lines]]:
    # e(O, Q) = 1: a pair at infinity contributes nothing
    return [(p, lines) for p, lines in items if p is not None]


def verify_fast(pk: PreparedKey, proof: Proof, signals: Sequence[int]) -> bool:
    """e(-A, B) e(vk_x, gamma) e(C, delta) == e(alpha, beta)^-1, one loop, one exponentiation."""
    if len(signals) != pk.vk.n_public:
        raise InvalidProof(f"public_signals: the key expects {pk.vk.n_public}, got {len(signals)}")
    vk_x = _vk_x(pk.vk, signals)
    ml = bn254.multi_miller(
        _pairs([(bn254.g1_neg(proof.a), bn254.prepare_g2(proof.b)), (vk_x, pk.gamma_lines), (proof.c, pk.delta_lines)])
    )
    return bn254.f12_mul(bn254.final_exponentiation(ml), pk.e_alpha_beta) == bn254.F12_ONE


def batch_verify(pk: PreparedKey, items: Sequence[tuple[Proof, Sequence[int]]], rng_bits: int = 128) -> bool:
    """Random linear combination of N proofs: N + 2 Miller loops, one final exponentiation.

    With random r_i, checks prod e(-r_i A_i, B_i) * e(sum r_i vk_x_i, gamma) * e(sum r_i C_i, delta)
    * e(alpha, beta)^(sum r_i) == 1; a batch containing an invalid proof passes with probability
    about 2^-rng_bits.
    """
    if not items:
        return True
    pairs: list[tuple[G1Point | None, Lines]] = []
    xs: list[G1Point] = []  # vk_x of each proof (skipped at infinity) ...
    x_weights: list[int] = []  # ... with its r_i
    rs: list[int] = []
    for proof, signals in items:
        if len(signals) != pk.vk.n_public:
            raise InvalidProof(f"public_signals: the key expects {pk.vk.n_public}, got {len(signals)}")
        r = secrets.randbits(rng_bits) | 1
        rs.append(r)
        pairs.append((bn254.g1_msm([bn254.g1_neg(proof.a)], [r]), bn254.prepare_g2(proof.b)))  # type: ignore[list-item]
        vx = _vk_x(pk.vk, signals)
        if vx is not None:
            xs.append(vx)
            x_weights.append(r)
    x_sum = bn254.g1_msm(xs, x_weights)
    c_sum = bn254.g1_msm([proof.c for proof, _ in items], rs)
    pairs += [(x_sum, pk.gamma_lines), (c_sum, pk.delta_lines)]
    ml = bn254.multi_miller(_pairs(pairs))
    e_ab = bn254.f12_pow(pk.e_alpha_beta, sum(rs) % R)
    return bn254.f12_mul(bn254.final_exponentiation(ml), e_ab) == bn254.F12_ONE


def verify_reference(vk: VerifyingKey, proof: Proof, signals: Sequence[int]) -> bool:
    """The same check with py_ecc's plain pairing: four pairings, four final exponentiations."""
    from py_ecc.fields import optimized_bn128_FQ as PFQ
    from py_ecc.fields import optimized_bn128_FQ2 as PFQ2
    from py_ecc.optimized_bn128.optimized_curve import add, multiply
    from py_ecc.optimized_bn128.optimized_pairing import pairing

    def g1(p: G1Point) -> Any:
        return (PFQ(p[0]), PFQ(p[1]), PFQ(1))

    def g2(p: G2Point) -> Any:
        x: Fq2 = p[0]
        y: Fq2 = p[1]
        return (PFQ2(list(x)), PFQ2(list(y)), PFQ2([1, 0]))

    vk_x = g1(vk.ic[0])
    for s, p in zip(signals, vk.ic[1:], strict=True):
        vk_x = add(vk_x, multiply(g1(p), s))
    lhs = pairing(g2(proof.b), g1(proof.a))
    rhs = pairing(g2(vk.beta), g1(vk.alpha)) * pairing(g2(vk.gamma), vk_x) * pairing(g2(vk.delta), g1(proof.c))
    return bool(lhs == rhs)


# ------------------------------------------------------------ Fiat–Shamir batch (the contract's twin)

#: Most proofs one batch may hold, here and in the generated ``Groth16BatchVerifier``. 128 proofs
#: take 7.13M gas to verify (bench/batch.py: about 54k per proof + 0.2M), 0.42 of the 16,777,216
#: (2^24) per-transaction cap of EIP-7825 and under a quarter of a 30M block, which leaves a
#: registry ~75k gas per account for its binding checks, storage writes and events.
BATCH_MAX = 128
#: Domain separator of the batch transcript (changing it changes every weight).
BATCH_DOMAIN = b"zksolvency.groth16-batch.v1"


def _words(*xs: int) -> bytes:
    return b"".join(x.to_bytes(32, "big") for x in xs)


def _g2_evm_words(p: G2Point) -> bytes:
    """A G2 point as the EVM precompile reads it: x1, x0, y1, y0 (imaginary part first)."""
    (x0, x1), (y0, y1) = p
    return _words(x1, x0, y1, y0)


def batch_transcript_tag(vk: VerifyingKey) -> bytes:
    """keccak256(domain || the key's points as EVM words): the first word of every batch transcript.

    It binds the weights to the key, so a batch crafted against one key says nothing about another.
    """
    from eth_hash.auto import keccak

    body = BATCH_DOMAIN + _words(*vk.alpha) + _g2_evm_words(vk.beta) + _g2_evm_words(vk.gamma) + _g2_evm_words(vk.delta)
    body += b"".join(_words(*p) for p in vk.ic)
    return bytes(keccak(body))


def fiat_shamir_weights(vk: VerifyingKey, items: Sequence[tuple[Proof, Sequence[int]]]) -> list[int]:
    """The generated batch verifier's weights, computed from the whole batch.

    seed = keccak256(tag || N || A_0..A_N-1 || B_0..B_N-1 || C_0..C_N-1 || signals_0..signals_N-1),
    every coordinate and signal a 32-byte big-endian word, B in EVM order (x1, x0, y1, y0); then
    r_0 = 1 and r_i = keccak256(seed || i) >> 128 (1 if that is 0). Nobody can choose a weight
    without changing a proof or a signal, and any change gives new, unpredictable weights to every
    other proof. (r_0 = 1 saves two scalar multiplications on-chain and stays sound: an error in a
    proof k > 0 cancels for at most one value of r_k, and an error in proof 0 alone is not cancelled.)
    """
    from eth_hash.auto import keccak

    body = batch_transcript_tag(vk) + _words(len(items))
    body += b"".join(_words(*p.a) for p, _ in items)
    body += b"".join(_g2_evm_words(p.b) for p, _ in items)
    body += b"".join(_words(*p.c) for p, _ in items)
    body += b"".join(_words(*s) for _, s in items)
    seed = bytes(keccak(body))
    weights = [1] if items else []
    for i in range(1, len(items)):
        r = int.from_bytes(keccak(seed + _words(i)), "big") >> 128
        weights.append(r or 1)
    return weights


def batch_verify_weighted(pk: PreparedKey, items: Sequence[tuple[Proof, Sequence[int]]], weights: Sequence[int]) -> bool:
    """The batch equation with the given weights (sound only when the prover cannot predict them).

    prod e(-r_i A_i, B_i) * e(sum r_i vk_x_i, gamma) * e(sum r_i C_i, delta) * e(alpha, beta)^(sum r_i) == 1.
    """
    if len(weights) != len(items):
        raise InvalidProof("batch: one weight per proof")
    pairs: list[tuple[G1Point | None, Lines]] = []
    xs: list[G1Point] = []
    x_weights: list[int] = []
    for (proof, signals), r in zip(items, weights, strict=True):
        if len(signals) != pk.vk.n_public:
            raise InvalidProof(f"public_signals: the key expects {pk.vk.n_public}, got {len(signals)}")
        pairs.append((bn254.g1_msm([bn254.g1_neg(proof.a)], [r]), bn254.prepare_g2(proof.b)))  # type: ignore[list-item]
        vx = _vk_x(pk.vk, signals)
        if vx is not None:
            xs.append(vx)
            x_weights.append(r)
    pairs += [(bn254.g1_msm(xs, x_weights), pk.gamma_lines), (bn254.g1_msm([p.c for p, _ in items], weights), pk.delta_lines)]
    ml = bn254.multi_miller(_pairs(pairs))
    e_ab = bn254.f12_pow(pk.e_alpha_beta, sum(weights) % R)
    return bn254.f12_mul(bn254.final_exponentiation(ml), e_ab) == bn254.F12_ONE


def batch_duplicate(items: Sequence[tuple[Proof, Sequence[int]]]) -> int | None:
    """Index of the first proof whose A has the x coordinate of an earlier one's (A = ±A'), else None.

    A duplicated proof always repeats its A; an honest prover blinds A with fresh randomness, so two
    distinct honest proofs share it with negligible probability. Re-randomized copies of one proof
    have different A's and pass this check: each is a valid proof of its own (the registry refuses
    a second proof for the same account).
    """
    seen: set[int] = set()
    for i, (proof, _) in enumerate(items):
        if proof.a[0] in seen:
            return i
        seen.add(proof.a[0])
    return None


def batch_verify_fiat_shamir(pk: PreparedKey, items: Sequence[tuple[Proof, Sequence[int]]]) -> bool:
    """What the generated ``Groth16BatchVerifier.verifyBatch`` answers for the same (parsed) batch.

    False for an empty batch, more than :data:`BATCH_MAX` proofs, a duplicated proof, or a batch
    that fails the check under the Fiat–Shamir weights of :func:`fiat_shamir_weights`. (Malformed
    points and signals are refused earlier, when parsing.)
    """
    if not 0 < len(items) <= BATCH_MAX or batch_duplicate(items) is not None:
        return False
    return batch_verify_weighted(pk, items, fiat_shamir_weights(pk.vk, items))


def verify_each(
    pk: PreparedKey,
    items: Sequence[tuple[Proof, Sequence[int]]],
    batch: Callable[[PreparedKey, Sequence[tuple[Proof, Sequence[int]]]], bool] = batch_verify,
) -> list[bool]:
    """Which of ``items`` verify: one batched check of them all (``batch``: random weights by
    default, or :func:`batch_verify_fiat_shamir` for what the contract will compute), and only when
    it fails, one check each, so the bad ones can be named. The one loop of this kind: the verifier,
    the epoch planner and the batch attester all use it."""
    if not items:
        return []
    if batch(pk, items):
        return [True] * len(items)
    return [verify_fast(pk, proof, signals) for proof, signals in items]
