"""Helpers of the tests on a real anvil with the real contracts (the fixtures are in
tests/fixtures/chain.py): the session deployment's roles and timing, custom-error refusals, the
chain's clock, transactions in one block, and a venue's ledger with real proofs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from web3.types import Nonce, RPCEndpoint, TxParams, Wei
from zksolvency.onchain.client import Chain
from zksolvency.onchain.tx import ChainError

from tests.helpers import data

GRACE = 3600
#: The venue's time to publish each epoch's ledger: the grace clock starts at the ledger, or this
#: long after the market when the ledger is late.
LEDGER_GRACE = 1800
#: A proof that never reaches the pairing: for refusals checked before it.
NO_PROOF: tuple[list[int], list[list[int]], list[int]] = ([0, 0], [[0, 0], [0, 0]], [0, 0])


@dataclass(frozen=True)
class Roles:
    """Who holds which role in the session deployment."""

    admin: str
    venue: str
    liquidator: str
    others: list[str]


def refused(error: str, fn: Any, *args: Any, **kwargs: Any) -> ChainError:
    """Call ``fn`` and show it reverts with the custom error ``error`` (arguments allowed)."""
    with pytest.raises(ChainError, match=rf"reverted: {re.escape(error)}(\(.*\))?$") as e:
        fn(*args, **kwargs)
    return e.value


def now(chain: Chain) -> int:
    """The latest block's timestamp."""
    return int(chain.w3.eth.get_block("latest")["timestamp"])


def at(chain: Chain, timestamp: int) -> None:
    """Make the next block's timestamp exactly ``timestamp``."""
    chain.w3.provider.make_request(RPCEndpoint("evm_setNextBlockTimestamp"), [timestamp])


class OneBlock:
    """Send transactions without mining, then mine them together in one block, in sending order.

    For front- and back-running: what a block producer (or a searcher) can arrange.
    """

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.hashes: list[Any] = []
        self.nonces: dict[str, int] = {}

    def __enter__(self) -> OneBlock:
        self.chain.w3.provider.make_request(RPCEndpoint("evm_setAutomine"), [False])
        return self

    def send(self, fn: Any, sender: str, gas: int = 1_000_000) -> int:
        """Queue one contract call (no estimate: it may revert); returns its position."""
        return self.send_raw({"to": fn.address, "data": fn._encode_transaction_data()}, sender, gas)

    def send_raw(self, tx: TxParams, sender: str, gas: int = 1_000_000) -> int:
        """Queue one transaction; returns its position."""
        frm = self.chain._ensure_sender(sender)
        # explicit nonces (the node's count ignores what is queued), and a higher tip for earlier
        # transactions so the block orders them as sent
        nonce = self.nonces.get(frm, self.chain.w3.eth.get_transaction_count(frm))
        self.nonces[frm] = nonce + 1
        tip = (100 - len(self.hashes)) * 10**9
        full: TxParams = {
            **tx,
            "from": frm,
            "gas": gas,
            "nonce": Nonce(nonce),
            "maxPriorityFeePerGas": Wei(tip),
            "maxFeePerGas": Wei(10**12),
        }
        self.hashes.append(self.chain.w3.eth.send_transaction(full))
        return len(self.hashes) - 1

    def __exit__(self, *exc: object) -> None:
        try:
            self.chain.w3.provider.make_request(RPCEndpoint("evm_mine"), [])
        finally:
            self.chain.w3.provider.make_request(RPCEndpoint("evm_setAutomine"), [True])
        self.receipts = [self.chain.w3.eth.wait_for_transaction_receipt(h) for h in self.hashes]
        assert len({r["blockNumber"] for r in self.receipts}) == 1, "not in one block"

    def ok(self, i: int) -> bool:
        """Whether the i-th queued call succeeded."""
        return bool(self.receipts[i]["status"] == 1)


def publish_with_ledger(chain: Chain, epoch: int, market_root: int, ledger_root: int, when: int | None = None) -> int:
    """The oracle publishes an epoch and the venue its ledger in the same block (at ``when`` if
    given): the ledger is on time, so grace clocks start at the market's publication. Returns the
    block's timestamp."""
    roles = chain.deployment["roles"]
    if when is not None:
        at(chain, when)
    with OneBlock(chain) as block:
        block.send(chain.contract("oracle").functions.publish(epoch, market_root), roles["publisher"])
        block.send(chain.contract("registry").functions.publishLedger(epoch, ledger_root), roles["venue"])
    assert block.ok(0) and block.ok(1), "publish and publishLedger in one block"
    return int(chain.w3.eth.get_block(block.receipts[0]["blockNumber"])["timestamp"])


# ------------------------------------------------------------ a venue's ledger with real proofs

#: The ledger the venue commits to at epochs 42 and 43. Index 2 is a malicious venue's second
#: leaf for ADDR: a solvent book where ADDR's true book (index 0) is under water.
LEDGER_BOOKS: dict[int, dict[str, Any]] = {
    0: data.INSOLVENT,
    1: data.account(account=data.OTHER_ADDR, nonce=0, salt=data.OTHER_SALT),
    2: data.ACCOUNT,
}
#: Epoch 43 of a venue whose trader ADDR recovered: its book at index 0 is solvent now.
RECOVERED_BOOKS: dict[int, dict[str, Any]] = {0: data.ACCOUNT, 1: LEDGER_BOOKS[1]}
#: (name, index, epoch) of every proof the fixture makes of LEDGER_BOOKS, and of RECOVERED_BOOKS.
PROOFS = {"insolvent": (0, 42), "other": (1, 42), "other43": (1, 43), "duplicate": (2, 42), "insolvent43": (0, 43)}
RECOVERED_PROOFS = {"recovered43": 0, "other43r": 1}


def write_statements(out: Path, books: dict[int, dict[str, Any]], epoch: int, depth: int) -> dict[int, Path]:
    """Build the ledger tree of ``books`` (index -> account.json) and write one statement file per
    index, the way a venue does, but allowing what `ledger build` refuses: one address at two
    indices. Returns index -> statement file."""
    from zksolvency.zkcore.commitment import account_commitment
    from zksolvency.zkcore.ledger import LedgerTree, Statement
    from zksolvency.zkcore.models import Account

    accounts = {i: Account(**b) for i, b in books.items()}
    tree = LedgerTree(depth, {i: account_commitment(a) for i, a in accounts.items()})
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for i, acc in accounts.items():
        st = Statement(books[i], acc, i, tuple(tree.path(i)), epoch, tree.root, depth)
        files[i] = out / f"statement-{epoch}-{i}.json"
        files[i].write_text(json.dumps(st.as_json()))
    return files
