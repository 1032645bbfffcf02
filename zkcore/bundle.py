"""The proof bundle of SPEC §4 and the claims its public signals encode: the ONE bundle schema.

The prover (:mod:`prover.prove`), the Python verifier (:mod:`verifier.verify`) and the chain client
take signal names, claim decoding and bundle keys from here and nowhere else.

Public signals, in snarkjs order (outputs first)::

    [solvent, accountIndex, ledgerRoot, marketRoot]
    accountIndex = index * 2^160 + address     (address < 2^160, index < 2^LD: range-checked in the circuit)

The market epoch is not a signal of its own: it is inside ``marketRoot``; the bundle states it as
a claim that a verifier checks against a market file or an oracle's published root. The ledger
epoch is whichever epoch the venue published ``ledgerRoot`` for (a ledger file or the registry).
This module imports nothing heavy (no pydantic): the verifier loads it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from zksolvency.zkcore.field import hex32

BUNDLE_FORMAT = "zksolvency-bundle/2"
#: Public signals in snarkjs order.
SIGNAL_NAMES = ("solvent", "account_index", "ledger_root", "market_root")
#: Claims a bundle states, decoded from the signals plus the epoch.
CLAIM_NAMES = ("solvent", "account", "index", "ledger_root", "market_root", "epoch")
#: Keys of a bundle object.
BUNDLE_KEYS = ("format", "circuit", "vkey_sha256", "proof", "public_signals", "claims")
#: Bits of the address in the packed ``accountIndex`` signal.
ADDRESS_BITS = 160


def vkey_digest(vkey: dict[str, Any]) -> str:
    """sha256 of a verification key's canonical JSON (formatting-independent)."""
    return hashlib.sha256(json.dumps(vkey, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def pack_account_index(address: int | str, index: int) -> int:
    """The ``accountIndex`` public signal: ``index * 2^160 + address``."""
    addr = int(address, 16) if isinstance(address, str) else address
    if not 0 <= addr < 1 << ADDRESS_BITS:
        raise ValueError("address does not fit 20 bytes")
    if not 0 <= index < 1 << 64:
        raise ValueError("index out of range")
    return (index << ADDRESS_BITS) | addr


def unpack_account_index(value: int) -> tuple[str, int]:
    """(address as lower-case 0x + 40 hex, index) of an ``accountIndex`` signal."""
    if value >> ADDRESS_BITS >= 1 << 64:
        raise ValueError("account/index signal: index does not fit 64 bits")
    return "0x" + (value % (1 << ADDRESS_BITS)).to_bytes(20, "big").hex(), value >> ADDRESS_BITS


def claims_from_signals(signals: list[int], epoch: int) -> dict[str, object]:
    """Decode ``[solvent, accountIndex, ledgerRoot, marketRoot]``; raises ValueError if malformed."""
    if len(signals) != len(SIGNAL_NAMES):
        raise ValueError(f"expected {len(SIGNAL_NAMES)} public signals, got {len(signals)}")
    solvent, account_index, ledger_root, market_root = signals
    if solvent not in (0, 1):
        raise ValueError(f"solvent signal must be 0 or 1, got {solvent}")
    account, index = unpack_account_index(account_index)
    return {
        "solvent": solvent == 1,
        "account": account,
        "index": index,
        "ledger_root": hex32(ledger_root),
        "market_root": hex32(market_root),
        "epoch": epoch,
    }


def make_bundle(circuit: str, vkey: dict[str, Any], proof: dict[str, Any], public: list[str], epoch: int) -> dict[str, object]:
    """A bundle object (keys in :data:`BUNDLE_KEYS` order); claims decoded from ``public``."""
    return {
        "format": BUNDLE_FORMAT,
        "circuit": circuit,
        "vkey_sha256": vkey_digest(vkey),
        "proof": proof,
        "public_signals": public,
        "claims": claims_from_signals([int(x) for x in public], epoch),
    }
