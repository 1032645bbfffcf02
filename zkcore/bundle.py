"""The proof bundle of SPEC §4 and the claims its public signals encode.

Public signals, in snarkjs order (outputs first): ``[solvent, account, commitment, marketRoot]``.
The epoch is not a signal of its own: it is inside ``marketRoot``; the bundle states it as a claim
that a verifier checks against a market file or an oracle's published root.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from zksolvency.zkcore.field import hex32

BUNDLE_FORMAT = "zksolvency-bundle/1"
SIGNAL_NAMES = ("solvent", "account", "commitment", "market_root")


def vkey_digest(vkey: dict[str, Any]) -> str:
    """sha256 of a verification key's canonical JSON (formatting-independent)."""
    return hashlib.sha256(json.dumps(vkey, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def claims_from_signals(signals: list[int], epoch: int) -> dict[str, object]:
    """Decode ``[solvent, account, commitment, marketRoot]``; raises ValueError if malformed."""
    if len(signals) != 4:
        raise ValueError(f"expected 4 public signals, got {len(signals)}")
    solvent, account, commitment, root = signals
    if solvent not in (0, 1):
        raise ValueError(f"solvent signal must be 0 or 1, got {solvent}")
    if account >= 1 << 160:
        raise ValueError("account signal does not fit 20 bytes")
    return {
        "solvent": solvent == 1,
        "account": "0x" + account.to_bytes(20, "big").hex(),
        "commitment": hex32(commitment),
        "market_root": hex32(root),
        "epoch": epoch,
    }


def write_atomic(path: Path, text: str) -> None:
    """Write a file so that readers see the old content or the whole new one, never a part."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
