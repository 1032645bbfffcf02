"""A real anvil with the real contracts, deployed once per session with three distinct roles.

The deployer (anvil account 0) is the admin and the oracle's publisher, accounts 18 and 19 the
venue and the liquidator; accounts 1 and 2 are the ledger's traders; anyone else a keeper or a
stranger. Each test runs on a snapshot that is rolled back afterwards.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from web3.types import Nonce, RPCEndpoint, TxParams, Wei
from zksolvency.onchain import anvil
from zksolvency.onchain.client import Chain
from zksolvency.onchain.tx import ChainError
from zksolvency.prover.config import CircuitConfig
from zksolvency.prover.setup import Artifacts

from tests.conftest import TEST_BUILD, write_json
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


@pytest.fixture(scope="session")
def node() -> Iterator[anvil.Node]:
    """One anvil for the whole session."""
    n = anvil.start(TEST_BUILD / "chain", accounts=20)
    yield n
    anvil.stop(n.pid)


@pytest.fixture(scope="session")
def roles(node: anvil.Node) -> Roles:
    """anvil's dev accounts, by role."""
    from web3 import Web3

    accounts = [str(a) for a in Web3(Web3.HTTPProvider(node.rpc)).eth.accounts]
    # data.ADDR and data.OTHER_ADDR (the ledger's traders) are anvil accounts 1 and 2: no role
    # holder is ever one of them, so a trader acting as itself never has a role by accident
    traders = {Web3.to_checksum_address(a) for a in (data.ADDR, data.OTHER_ADDR)}
    free = [a for a in accounts[1:] if a not in traders]
    return Roles(accounts[0], free[-2], free[-1], free[:-2])


@pytest.fixture(scope="session")
def deployed(node: anvil.Node, artifacts: Artifacts, test_cfg: CircuitConfig, roles: Roles) -> Chain:
    """Verifier, oracle and registry of the test circuit, with distinct roles."""
    ch = Chain(node.rpc, TEST_BUILD / "chain" / "deployment.json")
    ch.deploy(
        artifacts.solidity,
        test_cfg.name,
        GRACE,
        roles.liquidator,
        venue=roles.venue,
        admin=roles.admin,
        ledger_grace=LEDGER_GRACE,
    )
    return ch


@pytest.fixture
def chain(deployed: Chain) -> Iterator[Chain]:
    """The deployed contracts, rolled back after each test."""
    snap = deployed.w3.provider.make_request(RPCEndpoint("evm_snapshot"), [])["result"]
    yield deployed
    deployed.w3.provider.make_request(RPCEndpoint("evm_revert"), [snap])


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


@pytest.fixture(scope="session")
def venue_proofs(artifacts: Artifacts, test_cfg: CircuitConfig, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real native proofs of the LEDGER_BOOKS ledger: ``<name>.bundle.json`` for every PROOFS entry, with
    the markets of epochs 42 and 43; and of the RECOVERED_BOOKS ledger at 43 (RECOVERED_PROOFS)."""
    from zksolvency.prover.prove import prove

    d = tmp_path_factory.mktemp("venue")
    markets = {42: write_json(d / "market42.json", data.MARKET), 43: write_json(d / "market43.json", data.market(epoch=43))}
    statements = {e: write_statements(d / "statements", LEDGER_BOOKS, e, test_cfg.LD) for e in markets}
    made = []
    for name, (index, epoch) in PROOFS.items():
        made.append(
            prove(statements[epoch][index], markets[epoch], d / f"{name}.bundle.json", test_cfg, TEST_BUILD, prover="native")
        )
    recovered = write_statements(d / "recovered", RECOVERED_BOOKS, 43, test_cfg.LD)
    for name, index in RECOVERED_PROOFS.items():
        made.append(prove(recovered[index], markets[43], d / f"{name}.bundle.json", test_cfg, TEST_BUILD, prover="native"))
    # every registry test below runs on native proofs (the suite forbids a fallback to snarkjs)
    assert all(r.prover == "native" and r.fallback is None for r in made)
    return d
