"""Test helpers: a persistent witness calculator and forged-witness editing by ``.sym`` name."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from zksolvency.prover import tools

HERE = Path(__file__).resolve().parent


class WitnessServer:
    """Talks to ``witness_server.cjs``: the circuit's own wasm, kept warm across examples."""

    def __init__(self, wasm: Path) -> None:
        self.server = tools.NodeServer(HERE / "witness_server.cjs", [wasm], "witness server")

    def compute(self, signals: dict[str, Any], indices: list[int], wtns: Path | None = None) -> tuple[bool, list[int] | str]:
        """(True, values at indices) or (False, the calculator's error: a constraint failed)."""
        req: dict[str, object] = {"input": signals, "indices": indices}
        if wtns is not None:
            req["wtns"] = str(wtns)
        reply = self.server.request(req)
        values = reply.get("values")
        if reply["ok"] and isinstance(values, list):
            return True, [int(v) for v in values]
        return False, str(reply["error"])

    def close(self) -> None:
        """Stop the node process."""
        self.server.close()


def read_sym(path: Path) -> dict[str, int]:
    """Signal name -> witness index (signals the optimizer removed are left out)."""
    out = {}
    for line in path.read_text().splitlines():
        _label, var, _comp, name = line.split(",", 3)
        if int(var) >= 0:
            out[name] = int(var)
    return out


def edit_wtns(src: Path, dst: Path, index: int, value: int) -> int:
    """Copy a .wtns file with witness[index] replaced by value; returns the old value."""
    data = bytearray(src.read_bytes())
    assert data[:4] == b"wtns"
    pos = 12
    n8 = None
    while pos < len(data):
        stype, size = struct.unpack_from("<IQ", data, pos)
        pos += 12
        if stype == 1:
            (n8,) = struct.unpack_from("<I", data, pos)
        elif stype == 2:
            assert n8 is not None
            off = pos + index * n8
            old = int.from_bytes(data[off : off + n8], "little")
            data[off : off + n8] = value.to_bytes(n8, "little")
            dst.write_bytes(bytes(data))
            return old
        pos += size
    raise AssertionError("no witness section")


def recommit(sig: dict[str, Any]) -> None:
    """A malicious VENUE: recompute the ledger leaf over the slots of ``sig`` as given (chains in
    slot order, inactive slots skipped) and the ledger root over it, so that only the circuit's own
    rules can refuse what the slots say (the venue committed to exactly that book)."""
    from zksolvency.zkcore.bundle import unpack_account_index
    from zksolvency.zkcore.merkle import root_from_path
    from zksolvency.zkcore.poseidon import poseidon

    coll = 0
    for i in reversed(range(len(sig["collActive"]))):
        if sig["collActive"][i] == "1":
            coll = poseidon([int(sig["collAsset"][i]), int(sig["collAmount"][i]), coll])
    pos = 0
    for i in reversed(range(len(sig["posActive"]))):
        if sig["posActive"][i] == "1":
            pos = poseidon([int(sig["posId"][i]), int(sig["posSize"][i]), int(sig["posEntry"][i]), pos])
    address, index = unpack_account_index(int(sig["accountIndex"]))
    leaf = poseidon([int(address, 16), int(sig["nonce"]), int(sig["salt"]), coll, pos])
    sig["ledgerRoot"] = str(root_from_path(leaf, index, [int(x) for x in sig["ledgerSiblings"]]))
