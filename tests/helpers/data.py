"""Small markets and accounts that fit the test circuit (K=3, A=2, S=4, T=3, D=3, DC=2)."""

from __future__ import annotations

import copy
from typing import Any

ADDR = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
OTHER_ADDR = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc"
#: Salts are 31 random bytes (SPEC §1: at least 128 bits); `zksolvency salt` made this one.
OTHER_SALT = "0x9e4c1b7f3a2d68e05c9b1f47a3d2e8c6b05f19a7d3c2e4b68a1f0d9c7e5b3a"

MARKET: dict[str, Any] = {
    "epoch": 42,
    "timestamp": 1764000000,
    "collateral": [
        {"asset": "USDC", "price": "1", "haircut": "0"},
        {"asset": "ETH", "price": "3000.5", "haircut": "0.1"},
        {"asset": "BTC", "price": "61000", "haircut": "0.05"},
    ],
    "instruments": [
        {
            "id": 1,
            "symbol": "BTC-PERP",
            "mark_price": "61000",
            "mm_tiers": [
                {"notional_floor": "0", "rate": "0.004", "deduction": "0"},
                {"notional_floor": "250000", "rate": "0.005", "deduction": "250"},
                {"notional_floor": "1000000", "rate": "0.01", "deduction": "5250"},
            ],
            "scenario_pnl": [],
        },
        {
            "id": 2,
            "symbol": "ETH-PERP",
            "mark_price": "3000.5",
            "mm_tiers": [{"notional_floor": "0", "rate": "0.005", "deduction": "0"}],
            "scenario_pnl": [],
        },
        {
            "id": 7,
            "symbol": "ETH-26DEC26-3000-C",
            "mark_price": "152.25",
            "mm_tiers": [],
            "scenario_pnl": ["-61.5", "-40", "35.5", "88"],
        },
        {
            "id": 9,
            "symbol": "ETH-26DEC26-2800-P",
            "mark_price": "40.5",
            "mm_tiers": [],
            "scenario_pnl": ["30", "12.25", "-20", "-38"],
        },
    ],
}

ACCOUNT: dict[str, Any] = {
    "account": ADDR,
    "nonce": 3,
    "salt": "0x0b3f5c2a9d8e7f6a5b4c3d2e1f00112233445566778899aabbccddeeff0011",
    "collateral": [{"asset": "USDC", "amount": "25000"}, {"asset": "ETH", "amount": "1.5"}],
    "positions": [
        {"instrument": 1, "size": "-0.75", "entry_price": "58000"},
        {"instrument": 7, "size": "10", "entry_price": "140"},
    ],
}

#: Under water: a big short far from its entry, little collateral.
INSOLVENT: dict[str, Any] = {
    **ACCOUNT,
    "collateral": [{"asset": "USDC", "amount": "1000"}],
    "positions": [
        {"instrument": 1, "size": "-2", "entry_price": "59000"},
        {"instrument": 9, "size": "-40", "entry_price": "45"},
    ],
}


#: JSON nested a hundred thousand levels deep (hostile-input tests).
DEEP_JSON = "[" * 100_000 + "]" * 100_000


def market(**changes: Any) -> dict[str, Any]:
    """A deep copy of MARKET with top-level changes."""
    m = copy.deepcopy(MARKET)
    m.update(changes)
    return m


def account(**changes: Any) -> dict[str, Any]:
    """A deep copy of ACCOUNT with top-level changes."""
    a = copy.deepcopy(ACCOUNT)
    a.update(changes)
    return a


def statement(acc: dict[str, Any], index: int = 0, depth: int = 8, epoch: int = 42) -> dict[str, Any]:
    """A venue's statement for ``acc`` alone in a ledger of ``depth`` (8: the test instance's LD).

    A book that does not validate gets a zero path and root (bad-input tests: the book is refused
    before the path is looked at).
    """
    from zksolvency.zkcore.commitment import account_commitment
    from zksolvency.zkcore.field import hex32
    from zksolvency.zkcore.ledger import STATEMENT_FORMAT, LedgerTree
    from zksolvency.zkcore.models import Account

    try:
        tree = LedgerTree(depth, {index: account_commitment(Account(**acc))})
        path, root = tree.path(index), tree.root
    except Exception:
        path, root = [0] * depth, 0
    return {
        "format": STATEMENT_FORMAT,
        "epoch": epoch,
        "index": index,
        "depth": depth,
        "ledger_root": hex32(root),
        "book": copy.deepcopy(acc),
        "path": [hex32(x) for x in path],
    }
