"""What sending a transaction needs and gives: fee caps and fee fields, the mined result, the
project's chain errors, custom-error decoding of reverts, and the proof's calldata layout."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_typing import HexStr
from eth_utils.abi import function_signature_to_4byte_selector
from web3 import Web3
from zksolvency.zkcore.errors import ZkSolvencyError


class Flag(StrEnum):
    """ISolvencyRegistry.Flag, by the value the contract uses (``Flag.from_value``): a string enum,
    so a status row's flag prints and compares as ``"none"``, ``"insolvent"`` or ``"stale"``."""

    NONE = "none"
    INSOLVENT = "insolvent"
    STALE = "stale"

    @classmethod
    def from_value(cls, v: int) -> Flag:
        """The flag of the contract's enum value (0, 1, 2); :class:`ChainError` for any other
        value (a contract that is not the registry's or the vault's code answered)."""
        if v not in (0, 1, 2):
            raise ChainError(f"flag value {v} is not one of ISolvencyRegistry.Flag's (0, 1, 2)")
        return list(cls)[v]


class ChainError(ZkSolvencyError):
    """A transaction or call was refused (exit code 1), carrying the contract's error name."""

    exit_code = 1


class NotSent(ChainError):
    """Nothing was broadcast: the call reverts at the pending block (its gas estimate fails with
    the contract's error) or the node refused the transaction."""


class Reverted(ChainError):
    """Mined, and reverted: its gas was paid (``gas_used`` at ``paid_wei`` in all). ``error`` is
    the custom error's name when the node could trace the transaction, else None."""

    def __init__(self, message: str, tx_hash: str, gas_used: int, paid_wei: int, error: str | None) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash
        self.gas_used = gas_used
        self.paid_wei = paid_wei
        self.error = error


class NodeUnavailable(ChainError):
    """The JSON-RPC node did not answer (down, restarting, or the connection dropped)."""


class FeeCapExceeded(ChainError):
    """The node's gas prices are above the sender's caps: nothing was sent."""


@dataclass(frozen=True)
class FeeCaps:
    """The most a sender pays, in wei per gas: in all (base fee plus tip) and as the tip."""

    max_fee_per_gas: int
    max_priority_fee: int


@dataclass(frozen=True)
class Fees:
    """EIP-1559 fee fields of one transaction, in wei per gas."""

    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    suggested_tip: int | None = None  # the node's suggestion, when it was asked (``Chain.fees_within``)

    @property
    def tip_capped(self) -> bool:
        """Whether the tip is below the node's suggestion (lowered to the sender's cap)."""
        return self.suggested_tip is not None and self.suggested_tip > self.max_priority_fee_per_gas

    def as_tx(self) -> dict[str, int]:
        """The transaction fields."""
        return {"maxFeePerGas": self.max_fee_per_gas, "maxPriorityFeePerGas": self.max_priority_fee_per_gas}

    def note(self) -> str | None:
        """One line for the log when the tip was lowered to the cap, else None."""
        if not self.tip_capped:
            return None
        gwei = 10**9
        return (
            f"the node's priority fee {(self.suggested_tip or 0) / gwei:g} gwei is above the cap:"
            f" sending with {self.max_priority_fee_per_gas / gwei:g} gwei"
        )


@dataclass(frozen=True)
class TxResult:
    """A mined transaction."""

    tx_hash: HexStr
    gas_used: int
    block: int

    def as_json(self) -> dict[str, object]:
        """For ``--json`` output."""
        return {"tx_hash": self.tx_hash, "gas_used": self.gas_used, "block": self.block}


def error_table(abis: list[list[dict[str, Any]]]) -> dict[str, tuple[str, list[str], list[str]]]:
    """4-byte selector -> (error name, argument names, argument types) for every custom error."""
    table = {}
    for abi in abis:
        for item in abi:
            if item.get("type") == "error":
                types = [i["type"] for i in item["inputs"]]
                sig = f"{item['name']}({','.join(types)})"
                table["0x" + function_signature_to_4byte_selector(sig).hex()] = (
                    item["name"],
                    [i["name"] for i in item["inputs"]],
                    types,
                )
    return table


def explain_revert(data: str, table: dict[str, tuple[str, list[str], list[str]]]) -> str | None:
    """Revert data -> ``Name(arg=value, …)`` (just ``Name`` without arguments); None if unknown."""
    entry = table.get(data[:10])
    if entry is None:
        return None
    name, names, types = entry
    if not types:
        return name
    try:
        values = abi_decode(types, bytes.fromhex(data[10:]))
    except (DecodingError, ValueError):  # malformed revert data: the name alone still helps
        return name
    shown = [
        "0x" + v.hex() if isinstance(v, bytes) else Web3.to_checksum_address(v) if t == "address" else str(v)
        for t, v in zip(types, values, strict=True)
    ]
    shown = [
        Flag.from_value(int(v)).capitalize() if n == "flag" and t == "uint8" and int(v) < len(Flag) else v
        for n, t, v in zip(names, types, shown, strict=True)
    ]
    return f"{name}({', '.join(f'{n}={v}' for n, v in zip(names, shown, strict=True))})"


def proof_calldata(proof: dict[str, Any], signals: list[str]) -> tuple[list[int], list[list[int]], list[int], list[int]]:
    """snarkjs proof -> (pA, pB, pC, signals) for the Solidity verifier (G2 coordinates swapped)."""
    a = [int(proof["pi_a"][0]), int(proof["pi_a"][1])]
    b = [[int(proof["pi_b"][0][1]), int(proof["pi_b"][0][0])], [int(proof["pi_b"][1][1]), int(proof["pi_b"][1][0])]]
    c = [int(proof["pi_c"][0]), int(proof["pi_c"][1])]
    return a, b, c, [int(s) for s in signals]
