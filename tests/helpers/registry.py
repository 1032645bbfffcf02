"""The registry tests' accounts and proof bundles: the two ledger accounts enrolled by the session
deployment, the real proofs of tests/fixtures/proofs.py by name, and an account made ready to prove
(enrolled, its epoch published with its ledger)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from web3 import Web3
from zksolvency.onchain.client import Chain

from tests.helpers import data
from tests.helpers.chain import Roles, publish_with_ledger
from tests.helpers.files import read_json_object

ADDR = Web3.to_checksum_address(data.ADDR)
OTHER = Web3.to_checksum_address(data.OTHER_ADDR)
#: The venue's enrollment: ADDR at index 0, OTHER at 1 (LEDGER_BOOKS's index 2 is a fake leaf).
ENROLLED = [ADDR, OTHER]


def bundle(venue_proofs: Path, name: str) -> dict[str, Any]:
    return read_json_object(venue_proofs / f"{name}.bundle.json")


def signal(b: dict[str, Any], i: int) -> int:
    return int(b["public_signals"][i])


def proven_index(b: dict[str, Any]) -> int:
    return signal(b, 1) >> 160


def claiming(b: dict[str, Any], **claims: Any) -> dict[str, Any]:
    """The same proof submitted with other claims (the registry reads account and epoch from them)."""
    return b | {"claims": {**b["claims"], **claims}}


def ready(chain: Chain, roles: Roles, b: dict[str, Any], enroll: Sequence[str] = ENROLLED) -> int:
    """Enroll, publish the bundle's epoch on the oracle and the bundle's ledger root for it (in one
    block); returns the publication time."""
    chain.enroll(enroll, roles.venue)
    return publish_with_ledger(chain, int(b["claims"]["epoch"]), signal(b, 3), signal(b, 2))


# ------------------------------------------------------------ golden vector: the generated verifier
