r"""One bad input per SPEC §1 rule: (id, which file, mutation, the field the error must name).

SPEC §1 v2 grammars are exact: ASCII digits only, the whole string (no trailing newline, no spaces),
no exponent, no ``+``; the ``strict-`` cases below are the encodings a lenient ``re.match`` with
``$`` and ``\d`` would let through. ``CROSS_FILE`` cases need the market to be wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Mut = Callable[[dict[str, Any]], None]


def _set(path: tuple[Any, ...], value: Any) -> Mut:
    def mutate(d: dict[str, Any]) -> None:
        cur: Any = d
        for p in path[:-1]:
            cur = cur[p]
        cur[path[-1]] = value

    return mutate


def _del(path: tuple[Any, ...]) -> Mut:
    def mutate(d: dict[str, Any]) -> None:
        cur: Any = d
        for p in path[:-1]:
            cur = cur[p]
        del cur[path[-1]]

    return mutate


def _dup_instrument(d: dict[str, Any]) -> None:
    d["instruments"][1]["id"] = d["instruments"][0]["id"]


def _dup_asset(d: dict[str, Any]) -> None:
    d["collateral"][1]["asset"] = d["collateral"][0]["asset"]


def _dup_position(d: dict[str, Any]) -> None:
    d["positions"][1]["instrument"] = d["positions"][0]["instrument"]


# (case id, "market" | "account", mutation, field named in the error)
CASES: list[tuple[str, str, Mut, str]] = [
    ("price-float", "market", _set(("collateral", 1, "price"), 3000.5), "collateral[1].price"),
    ("price-9-digits", "market", _set(("collateral", 1, "price"), "3000.123456789"), "collateral[1].price"),
    ("price-negative", "market", _set(("collateral", 1, "price"), "-1"), "collateral[1].price"),
    ("price-exponent", "market", _set(("collateral", 1, "price"), "3e3"), "collateral[1].price"),
    ("price-leading-dot", "market", _set(("collateral", 1, "price"), ".5"), "collateral[1].price"),
    ("haircut-7-digits", "market", _set(("collateral", 1, "haircut"), "0.1234567"), "collateral[1].haircut"),
    ("haircut-above-1", "market", _set(("collateral", 1, "haircut"), "1.5"), "collateral[1].haircut"),
    ("mark-2^40", "market", _set(("instruments", 0, "mark_price"), "1099511627776"), "instruments[0].mark_price"),
    ("rate-7-digits", "market", _set(("instruments", 0, "mm_tiers", 1, "rate"), "0.0050001"), "instruments[0].mm_tiers[1].rate"),
    ("rate-above-1", "market", _set(("instruments", 0, "mm_tiers", 1, "rate"), "1.01"), "instruments[0].mm_tiers[1].rate"),
    (
        "deduction-negative",
        "market",
        _set(("instruments", 0, "mm_tiers", 1, "deduction"), "-250"),
        "instruments[0].mm_tiers[1].deduction",
    ),
    (
        "floor-first-not-0",
        "market",
        _set(("instruments", 0, "mm_tiers", 0, "notional_floor"), "1"),
        "instruments[0].mm_tiers[0].notional_floor",
    ),
    (
        "floor-not-increasing",
        "market",
        _set(("instruments", 0, "mm_tiers", 2, "notional_floor"), "250000"),
        "instruments[0].mm_tiers[2].notional_floor",
    ),
    ("scenario-length", "market", _set(("instruments", 3, "scenario_pnl"), ["1", "2", "3"]), "instruments[3].scenario_pnl"),
    (
        "scenario-9-digits",
        "market",
        _set(("instruments", 2, "scenario_pnl", 1), "-40.000000001"),
        "instruments[2].scenario_pnl[1]",
    ),
    ("scenario-float", "market", _set(("instruments", 2, "scenario_pnl", 1), -40), "instruments[2].scenario_pnl[1]"),
    ("epoch-negative", "market", _set(("epoch",), -1), "epoch"),
    ("epoch-2^64", "market", _set(("epoch",), 2**64), "epoch"),
    ("epoch-string", "market", _set(("epoch",), "42"), "epoch"),
    ("timestamp-float", "market", _set(("timestamp",), 1.5), "timestamp"),
    ("id-2^32", "market", _set(("instruments", 1, "id"), 2**32), "instruments[1].id"),
    ("id-duplicate", "market", _dup_instrument, "instruments[1].id"),
    ("asset-duplicate", "market", _dup_asset, "collateral[1].asset"),
    ("market-unknown-field", "market", _set(("instruments", 0, "markprice"), "1"), "instruments[0].markprice"),
    ("market-missing-field", "market", _del(("instruments", 0, "mark_price")), "instruments[0].mark_price"),
    ("address-short", "account", _set(("account",), "0x1234"), "account"),
    ("address-bad-checksum", "account", _set(("account",), "0x70997970C51812dc3A010C7d01b50e0d17dc79c9"), "account"),
    ("nonce-2^64", "account", _set(("nonce",), 2**64), "nonce"),
    ("salt-32-bytes", "account", _set(("salt",), "0x" + "ab" * 32), "salt"),
    ("amount-negative", "account", _set(("collateral", 0, "amount"), "-5"), "collateral[0].amount"),
    ("amount-9-digits", "account", _set(("collateral", 0, "amount"), "1.000000001"), "collateral[0].amount"),
    ("size-float", "account", _set(("positions", 0, "size"), -0.75), "positions[0].size"),
    ("size-2^40", "account", _set(("positions", 0, "size"), "-1099511627776"), "positions[0].size"),
    ("entry-negative", "account", _set(("positions", 1, "entry_price"), "-140"), "positions[1].entry_price"),
    ("asset-held-twice", "account", _dup_asset, "collateral[1].asset"),
    ("instrument-held-twice", "account", _dup_position, "positions[1].instrument"),
    ("asset-not-listed", "account", _set(("collateral", 1, "asset"), "DOGE"), "collateral[1].asset"),
    ("instrument-not-listed", "account", _set(("positions", 1, "instrument"), 99), "positions[1].instrument"),
    ("account-unknown-field", "account", _set(("leverage",), "10"), "leverage"),
    # SPEC §1 v2: exact ASCII grammars, matched in full
    ("strict-price-trailing-newline", "market", _set(("collateral", 1, "price"), "3000.5\n"), "collateral[1].price"),
    ("strict-price-leading-space", "market", _set(("collateral", 1, "price"), " 3000.5"), "collateral[1].price"),
    ("strict-price-trailing-space", "market", _set(("collateral", 1, "price"), "3000.5 "), "collateral[1].price"),
    ("strict-price-plus", "market", _set(("collateral", 1, "price"), "+3000.5"), "collateral[1].price"),
    ("strict-price-exponent", "market", _set(("collateral", 1, "price"), "3.0005E3"), "collateral[1].price"),
    ("strict-price-arabic-indic", "market", _set(("collateral", 1, "price"), "\u0663\u0660\u0660\u0660"), "collateral[1].price"),
    ("strict-price-fullwidth", "market", _set(("collateral", 1, "price"), "\uff13\uff10\uff10\uff10"), "collateral[1].price"),
    (
        "strict-rate-devanagari",
        "market",
        _set(("instruments", 0, "mm_tiers", 1, "rate"), "\u0966.\u0966\u0966\u096b"),
        "instruments[0].mm_tiers[1].rate",
    ),
    (
        "strict-scenario-newline",
        "market",
        _set(("instruments", 2, "scenario_pnl", 0), "-61.5\n"),
        "instruments[2].scenario_pnl[0]",
    ),
    ("strict-asset-newline", "market", _set(("collateral", 0, "asset"), "USDC\n"), "collateral[0].asset"),
    ("strict-symbol-newline", "market", _set(("instruments", 0, "symbol"), "BTC-PERP\n"), "instruments[0].symbol"),
    ("strict-symbol-space", "market", _set(("instruments", 0, "symbol"), "BTC PERP"), "instruments[0].symbol"),
    ("strict-size-plus", "account", _set(("positions", 0, "size"), "+0.75"), "positions[0].size"),
    ("strict-size-newline", "account", _set(("positions", 0, "size"), "-0.75\n"), "positions[0].size"),
    ("strict-size-exponent", "account", _set(("positions", 0, "size"), "-7.5e-1"), "positions[0].size"),
    ("strict-amount-space", "account", _set(("collateral", 0, "amount"), "25 000"), "collateral[0].amount"),
    ("strict-amount-arabic-indic", "account", _set(("collateral", 0, "amount"), "\u0662\u0665"), "collateral[0].amount"),
    ("strict-amount-fullwidth", "account", _set(("collateral", 0, "amount"), "\uff12\uff15"), "collateral[0].amount"),
    ("strict-asset-held-newline", "account", _set(("collateral", 0, "asset"), "USDC\n"), "collateral[0].asset"),
    ("strict-address-newline", "account", _set(("account",), "0x70997970c51812dc3a010c7d01b50e0d17dc79c8\n"), "account"),
    ("strict-salt-newline", "account", _set(("salt",), "0x" + "ab" * 31 + "\n"), "salt"),
    # a salt below 2^128 makes the commitment brute-forceable
    ("salt-short", "account", _set(("salt",), "0x0badc0de"), "salt"),
    ("salt-zero-padded", "account", _set(("salt",), "0x" + "00" * 15 + "ff" * 16), "salt"),
]

#: Cases whose file is fine on its own and wrong only against the other one.
CROSS_FILE = {"asset-not-listed", "instrument-not-listed"}
