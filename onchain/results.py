"""What the registry operations return: account status rows, the results of enroll, attest,
flag and flagStale transactions, and the public ledger a venue puts on chain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web3 import Web3
from zksolvency.onchain.tx import Flag, TxResult

#: The return types of ISolvencyRegistry.status (for rows read through ``multicall``): the
#: AccountStatus struct's fields, all static, so it encodes as this flat tuple.
STATUS_TYPES = ("bool", "uint64", "bool", "uint64", "uint8", "uint64", "uint64", "uint64", "bool", "uint64", "uint64")


@dataclass(frozen=True)
class AccountStatus:
    """What the registry's ``status`` view says of one account at one block."""

    account: str
    enrolled: bool
    index: int | None
    attested_epoch: int | None
    flag: Flag
    flagged_epoch: int | None  # the epoch the current flag refers to (None when unflagged)
    stale_at: int | None  # when it can be flagged stale; None while it owes nothing
    flagged_at: int | None = None  # when the current flag took its kind (None when unflagged)
    flag_id: int = 0  # the current flag's identity, or the last one's (0: never flagged)
    flag_resolved: bool = False  # the last flag was ended by the liquidator's resolve
    resolved_epoch: int | None = None  # after a resolve, no flag is raised up to this epoch

    @classmethod
    def from_view(cls, account: str, row: Sequence[Any]) -> AccountStatus:
        """From ``status(account)``: the AccountStatus struct as a tuple of its eleven fields."""
        if len(row) == 1:  # a struct returned as one value
            row = row[0]
        (
            enrolled,
            index,
            attested,
            attested_epoch,
            flag,
            flagged_epoch,
            flagged_at,
            flag_id,
            resolved,
            resolved_epoch,
            stale_at,
        ) = row
        return cls(
            account,
            bool(enrolled),
            int(index) if enrolled else None,
            int(attested_epoch) if attested else None,
            Flag.from_value(int(flag)),
            int(flagged_epoch) if flag else None,
            int(stale_at) or None,
            int(flagged_at) if flag else None,
            int(flag_id),
            bool(resolved),
            int(resolved_epoch) if resolved_epoch else None,
        )


@dataclass(frozen=True)
class EnrollResult(TxResult):
    """A mined ``enroll``: the index each account got."""

    indices: dict[str, int]

    def as_json(self) -> dict[str, object]:
        """For ``--json`` output."""
        return {**super().as_json(), "indices": self.indices}


@dataclass(frozen=True)
class ProofTx(TxResult):
    """A mined ``attest`` or ``flagInsolvent``: the account and epoch the proof was for."""

    account: str
    epoch: int

    def as_json(self) -> dict[str, object]:
        """For ``--json`` output."""
        return {**super().as_json(), "account": self.account, "epoch": self.epoch}


@dataclass
class FlagRun:
    """What ``chain flag`` did: the mined ``flagInsolvent`` transactions, the accounts skipped as
    already handled at the latest epoch (flagged insolvent, a flag resolved, or attested), and the
    bundles that failed (path, why)."""

    flagged: list[ProofTx]
    skipped: list[str]
    failed: list[tuple[str, str]]


@dataclass(frozen=True)
class FlagStaleResult(TxResult):
    """A mined ``flagStale``: who was flagged, who was skipped (not stale), gas per flag."""

    flagged: list[str]
    skipped: list[str]

    @property
    def gas_per_account(self) -> int:
        """Gas per flagged account."""
        return self.gas_used // max(1, len(self.flagged))

    def as_json(self) -> dict[str, object]:
        """For ``--json`` output."""
        return {**super().as_json(), "flagged": self.flagged, "skipped": self.skipped, "gas_per_account": self.gas_per_account}


@dataclass(frozen=True)
class PublicLedger:
    """The public part of a venue's ledger (``DIR/ledger.json``): what goes on chain."""

    path: Path
    epoch: int
    root: int
    accounts: dict[str, int]  # checksum address -> index


def read_public_ledger(path: Path) -> PublicLedger:
    """Read ``DIR/ledger.json`` (``path`` is the file or its directory) with the one ledger parser
    (:func:`~zksolvency.zkcore.ledger.load_ledger_info`): bad content, or an address or an index
    listed twice, is an InputError."""
    from zksolvency.zkcore.ledger import ledger_json_path, load_ledger_info

    info = load_ledger_info(path)
    accounts: dict[str, int] = {str(Web3.to_checksum_address(a)): i for a, i in info.accounts}
    return PublicLedger(ledger_json_path(path), info.epoch, info.root, accounts)
