"""A minimal R1CS reader and evaluator (circom's .r1cs / snarkjs' .wtns formats), for the attack
tests: check a witness against every constraint in pure Python, and find wires a prover may change
on their own without breaking any constraint (under-constrained signals)."""

from __future__ import annotations

import struct
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

LC = dict[int, int]  # wire -> coefficient


@dataclass
class R1CS:
    prime: int
    n_wires: int
    n_pub_out: int
    n_pub_in: int
    n_prv_in: int
    constraints: list[tuple[LC, LC, LC]]

    def wire_constraints(self) -> dict[int, list[int]]:
        """wire -> indices of the constraints it appears in."""
        out: dict[int, list[int]] = defaultdict(list)
        for k, (a, b, c) in enumerate(self.constraints):
            for w in set(a) | set(b) | set(c):
                out[w].append(k)
        return out

    def holds(self, k: int, w: list[int]) -> bool:
        a, b, c = self.constraints[k]
        p = self.prime

        def ev(lc: LC) -> int:
            return sum(coef * w[i] for i, coef in lc.items()) % p

        return ev(a) * ev(b) % p == ev(c)

    def failing(self, w: list[int], only: list[int] | None = None) -> list[int]:
        return [k for k in (only if only is not None else range(len(self.constraints))) if not self.holds(k, w)]


def read_r1cs(path: Path) -> R1CS:
    data = path.read_bytes()
    assert data[:4] == b"r1cs"
    _v, n_sec = struct.unpack_from("<II", data, 4)
    pos = 12
    sections: dict[int, tuple[int, int]] = {}
    for _ in range(n_sec):
        stype, size = struct.unpack_from("<IQ", data, pos)
        pos += 12
        sections[stype] = (pos, size)
        pos += size
    hp, _ = sections[1]
    (n8,) = struct.unpack_from("<I", data, hp)
    prime = int.from_bytes(data[hp + 4 : hp + 4 + n8], "little")
    q = hp + 4 + n8
    n_wires, n_out, n_pub, n_prv = struct.unpack_from("<IIII", data, q)
    _labels, m = struct.unpack_from("<QI", data, q + 16)
    cp, _ = sections[2]
    cons = []
    for _ in range(m):
        lcs = []
        for _j in range(3):
            (nt,) = struct.unpack_from("<I", data, cp)
            cp += 4
            lc: LC = {}
            for _t in range(nt):
                (wid,) = struct.unpack_from("<I", data, cp)
                lc[wid] = int.from_bytes(data[cp + 4 : cp + 4 + n8], "little")
                cp += 4 + n8
            lcs.append(lc)
        cons.append((lcs[0], lcs[1], lcs[2]))
    return R1CS(prime, n_wires, n_out, n_pub, n_prv, cons)


def read_wtns(path: Path) -> list[int]:
    data = path.read_bytes()
    assert data[:4] == b"wtns"
    _v, n_sec = struct.unpack_from("<II", data, 4)
    pos = 12
    n8 = 32
    for _ in range(n_sec):
        stype, size = struct.unpack_from("<IQ", data, pos)
        pos += 12
        if stype == 1:
            (n8,) = struct.unpack_from("<I", data, pos)
        elif stype == 2:
            return [int.from_bytes(data[pos + i : pos + i + n8], "little") for i in range(0, size, n8)]
        pos += size
    raise AssertionError("no witness section")


def wire_names(sym: Path) -> dict[int, list[str]]:
    """wire -> signal names mapped to it (several names can share a wire after --O2)."""
    out: dict[int, list[str]] = defaultdict(list)
    for line in sym.read_text().splitlines():
        _label, var, _comp, name = line.split(",", 3)
        if int(var) >= 0:
            out[int(var)].append(name)
    return out


def free_wires(r: R1CS, w: list[int], deltas: tuple[int, ...] = (1, 0x1234567, -1)) -> list[int]:
    """Private wires that can be changed ALONE (by any of ``deltas``) with every constraint still
    holding: a sound circuit has none that matter for the outputs."""
    touch = r.wire_constraints()
    first_private = 1 + r.n_pub_out + r.n_pub_in
    out = []
    for wire in range(first_private, r.n_wires):
        ks = touch.get(wire, [])
        old = w[wire]
        for d in deltas:
            w[wire] = (old + d) % r.prime
            if not r.failing(w, ks):
                out.append(wire)
                break
        w[wire] = old
    return out
