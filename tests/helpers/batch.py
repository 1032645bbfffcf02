"""Helpers of the batch tests: entries of a batch, the deployed batch verifiers and what each side
answers, and the accounts of the shared six-account ledger (``ledger_bundles``, tests/fixtures/proofs.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.types import TxParams
from zksolvency.onchain.tx import proof_calldata
from zksolvency.verifier.groth16 import InvalidProof, PreparedKey, batch_verify_fiat_shamir, parse_proof, parse_signals

#: One batch entry: a snarkjs proof object and its public signals (decimal strings).
Entry = tuple[dict[str, Any], list[str]]


@dataclass(frozen=True)
class Verifiers:
    """The deployed contracts: the single verifier, the batch verifier and the unsafe variant."""

    w3: Web3
    single: Contract
    batch: Contract
    unsafe: Contract


def batch_args(entries: list[Entry]) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """verifyBatch arguments (B in EVM order) of a list of entries."""
    cols: tuple[list[Any], list[Any], list[Any], list[Any]] = ([], [], [], [])
    for proof, signals in entries:
        for col, v in zip(cols, proof_calldata(proof, signals), strict=True):
            col.append(v)
    return cols


def evm_accepts(v: Verifiers, entries: list[Entry], gas: int | None = None) -> bool:
    """What the generated contract answers."""
    tx: TxParams = {"from": v.w3.eth.accounts[0]}
    if gas is not None:
        tx["gas"] = gas
    return bool(v.batch.functions.verifyBatch(*batch_args(entries)).call(tx))


def py_accepts(pk: PreparedKey, entries: list[Entry]) -> bool:
    """What the Python twin answers (a malformed proof or signal is a refusal)."""
    try:
        items = [(parse_proof(p), parse_signals(s, pk.vk.n_public)) for p, s in entries]
    except InvalidProof:
        return False
    return batch_verify_fiat_shamir(pk, items)


#: Accounts of the shared ledger of the attestBatch tests (indices 0..LEDGER_ACCOUNTS-1).
LEDGER_ACCOUNTS = 6


def ledger_address(i: int) -> str:
    """The i-th account of the batch ledger."""
    return Web3.to_checksum_address(f"0x{0xBA7C4000 + i:040x}")
