"""Extract circomlib's reference Poseidon constants into ``zkcore/poseidon_constants.bin``.

circomlib's ``poseidon_constants_old.circom`` holds the reference round constants ``C`` and MDS
matrices ``M`` (grain LFSR output of the Poseidon authors' script) for t = 2..17. The optimized
circuit in ``poseidon.circom`` computes the same permutation, so the Python twin can use the plain
form. Layout of the binary: for t = 2..17, ``t * (8 + R_P[t-2])`` constants then ``t * t`` matrix
entries (row-major), each 32 bytes big-endian. Run after upgrading circomlib; the test suite checks
the Python hash against the compiled circuit.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "node_modules" / "circomlib" / "circuits" / "poseidon_constants_old.circom"
OUT = ROOT / "zkcore" / "poseidon_constants.bin"
N_ROUNDS_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68]


def _blocks(text: str, func: str) -> dict[int, list[int]]:
    body = text.split(f"function {func}(t)")[1].split("\nfunction ")[0]
    parts = re.split(r"if \(t == (\d+)\)", body)
    out: dict[int, list[int]] = {}
    for i in range(1, len(parts), 2):
        listing = parts[i + 1].split("return", 1)[1].split("}")[0]
        out[int(parts[i])] = [int(x, 0) for x in re.findall(r"0x[0-9a-fA-F]+|\d+", listing)]
    return out


def main() -> int:
    text = SRC.read_text()
    cs, ms = _blocks(text, "POSEIDON_C"), _blocks(text, "POSEIDON_M")
    blob = bytearray()
    for t in range(2, 18):
        c, m = cs[t], ms[t]
        assert len(c) == t * (8 + N_ROUNDS_P[t - 2]), (t, len(c))
        assert len(m) == t * t, (t, len(m))
        for v in c + m:
            blob += v.to_bytes(32, "big")
    OUT.write_bytes(bytes(blob))
    print(f"wrote {OUT} ({len(blob)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
