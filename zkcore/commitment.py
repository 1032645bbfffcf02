"""Market root and account commitment, bit for bit what ``circuits/`` computes.

All hashes are circomlib's Poseidon. Those of at most 12 inputs (tree nodes, collateral leaves,
the account commitment) go through :mod:`zkcore.poseidon_fast`; the 16-wide instrument leaf
through the reference :mod:`zkcore.poseidon`. Functions that hash many values take ``h`` (the
2..12-input hash), so the reference can stand in for the fast one (tests, benchmarks).

Market root (one per epoch)::

    root = Poseidon(epoch, timestamp, instrDepth, instrRoot, collDepth, collRoot)

``instrRoot`` is a Poseidon(2) Merkle tree over instrument leaves sorted by id; ``collRoot`` one over
collateral leaves sorted by asset. A tree of n leaves has depth ceil(log2 n) (0 for n <= 1; the
root of an empty tree is 0) and is padded with zero leaves, so a proof opens one leaf per position
and costs grow with the positions held, not with the market. Leaves::

    instrument = Poseidon(id, mark, scenarioHash, nTiers, 4 tiers (floor, rate, deduction), zero-padded)
                 then h = Poseidon(h, next 5 tiers zero-padded) while tiers remain
    scenarioHash = Poseidon(v_0..v_15), then Poseidon(h, next 15) per chunk   (0 when no array)
    collateral = Poseidon(asset, price, haircut)

Account commitment (the account's leaf in the venue's ledger, :mod:`zkcore.ledger`)::

    commitment = Poseidon(account, nonce, salt, collChain, posChain)
    collChain  = Poseidon(asset, amount, <chain of the next holdings>)        (sorted by asset)
    posChain   = Poseidon(instrument, size, entry_price, <chain of the next>) (sorted by id)

Assets are encoded as the big-endian integer of their ASCII bytes; signed sizes as field elements.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from zksolvency.zkcore.field import to_field
from zksolvency.zkcore.files import write_atomic
from zksolvency.zkcore.merkle import MerkleTree
from zksolvency.zkcore.models import Account, CollateralPrice, Holding, Instrument, Market, Position, Tier
from zksolvency.zkcore.poseidon import poseidon
from zksolvency.zkcore.poseidon_fast import poseidon as fast_poseidon

#: A Poseidon of 1..12 inputs: :func:`zkcore.poseidon_fast.poseidon` or the reference.
Hash = Callable[[Sequence[int]], int]

#: Tiers in the instrument leaf's first chunk, and in each further one.
HEAD_TIERS = 4
CHUNK_TIERS = 5


def asset_field(asset: str) -> int:
    """The field encoding of an asset symbol: its ASCII bytes as a big-endian integer."""
    return int.from_bytes(asset.encode("ascii"), "big")


def sponge_hash(values: Sequence[int]) -> int:
    """Poseidon over a risk array: first 16 values, then the running hash plus 15 per chunk."""
    vals = [to_field(v) for v in values]
    h = _wide(vals[:16])
    for i in range(16, len(vals), 15):
        h = _wide([h, *vals[i : i + 15]])
    return h


def _wide(inputs: Sequence[int]) -> int:
    """Poseidon of 1..16 inputs: the fast one where it exists (<= 12), the reference above."""
    return fast_poseidon(inputs) if len(inputs) <= 12 else poseidon(inputs)


def scenario_hash(values: Sequence[int]) -> int:
    """The risk-array hash of an instrument (0 when it has none)."""
    return sponge_hash(values) if values else 0


def _tier_values(tiers: Sequence[Tier], n: int) -> list[int]:
    """floor, rate, deduction of n tier slots, zero-padded."""
    out: list[int] = []
    for t in tiers:
        out += [t.notional_floor, t.rate, t.deduction]
    return out + [0] * (3 * n - len(out))


def instrument_leaf(ins: Instrument) -> int:
    """Leaf of an instrument in the market's instrument tree: its whole record in 16-wide chunks."""
    tiers = list(ins.mm_tiers)
    head = tiers[:HEAD_TIERS]
    h = poseidon([ins.id, ins.mark_price, scenario_hash(ins.scenario_pnl), len(tiers), *_tier_values(head, HEAD_TIERS)])
    for i in range(HEAD_TIERS, len(tiers), CHUNK_TIERS):
        h = poseidon([h, *_tier_values(tiers[i : i + CHUNK_TIERS], CHUNK_TIERS)])
    return h


def collateral_leaf(c: CollateralPrice, h: Hash = fast_poseidon) -> int:
    """Leaf of a collateral asset in the market's collateral tree."""
    return h([asset_field(c.asset), c.price, c.haircut])


@dataclass(frozen=True)
class MarketCommitment:
    """A market's trees and root, with the sorted records they hold."""

    market: Market

    @cached_property
    def instruments(self) -> list[Instrument]:
        """Instruments in tree order (by id)."""
        return sorted(self.market.instruments, key=lambda i: i.id)

    @cached_property
    def collateral(self) -> list[CollateralPrice]:
        """Collateral assets in tree order (by encoded asset)."""
        return sorted(self.market.collateral, key=lambda c: asset_field(c.asset))

    @cached_property
    def instrument_tree(self) -> MerkleTree:
        """Tree of instrument leaves."""
        return MerkleTree.dense([instrument_leaf(i) for i in self.instruments])

    @cached_property
    def collateral_tree(self) -> MerkleTree:
        """Tree of collateral leaves."""
        return MerkleTree.dense([collateral_leaf(c) for c in self.collateral])

    @cached_property
    def root(self) -> int:
        """The market root: Poseidon(epoch, timestamp, instrDepth, instrRoot, collDepth, collRoot)."""
        it, ct = self.instrument_tree, self.collateral_tree
        return fast_poseidon([self.market.epoch, self.market.timestamp, it.depth, it.root, ct.depth, ct.root])

    def instrument_index(self, instrument_id: int) -> int:
        """Leaf position of an instrument."""
        return next(i for i, ins in enumerate(self.instruments) if ins.id == instrument_id)

    def collateral_index(self, asset: str) -> int:
        """Leaf position of a collateral asset."""
        return next(i for i, c in enumerate(self.collateral) if c.asset == asset)


def cached_market_commitment(market: Market, cache_dir: Path) -> MarketCommitment:
    """A MarketCommitment whose trees are built once per market content and kept in ``cache_dir``.

    Building the trees hashes every instrument of the market (seconds for thousands of options);
    a venue proves many accounts against one market per epoch, so each prove after the first one
    reads the leaves back (the nodes above them are a few thousand Poseidon(2) hashes). The key is
    the sha256 of the market's canonical content and of this module's source: any change to any
    value, or to how leaves are hashed, is another file (a tree cached under an older leaf scheme
    would make every proof fail its market opening).
    """
    mc = MarketCommitment(market)
    key = hashlib.sha256(market.model_dump_json().encode() + b"\0" + Path(__file__).read_bytes()).hexdigest()
    path = cache_dir / f"market-{key[:40]}.json"
    try:
        data = json.loads(path.read_text())
        trees = {name: MerkleTree.dense([int(x, 16) for x in d["leaves"]]) for name, d in data.items()}
    except (OSError, ValueError, KeyError, TypeError):
        trees = {"instrument_tree": mc.instrument_tree, "collateral_tree": mc.collateral_tree}
        cache_dir.mkdir(parents=True, exist_ok=True)
        blob = {name: {"leaves": [hex(t.leaves[i]) for i in range(len(t.leaves))]} for name, t in trees.items()}
        write_atomic(path, json.dumps(blob))
    # cached_property stores its value in the instance dict: seed it with the cached trees
    mc.__dict__.update(trees)
    return mc


def market_root(market: Market) -> int:
    """The market root of SPEC §3 (see module docstring)."""
    return MarketCommitment(market).root


def sorted_holdings(account: Account) -> list[Holding]:
    """Holdings in commitment order (by encoded asset)."""
    return sorted(account.collateral, key=lambda h: asset_field(h.asset))


def sorted_positions(account: Account) -> list[Position]:
    """Positions in commitment order (by instrument id)."""
    return sorted(account.positions, key=lambda p: p.instrument)


def account_commitment(account: Account, h: Hash = fast_poseidon) -> int:
    """The account commitment: the account's leaf in the venue's ledger (see module docstring)."""
    coll = 0
    for x in reversed(sorted_holdings(account)):
        coll = h([asset_field(x.asset), x.amount, coll])
    pos = 0
    for p in reversed(sorted_positions(account)):
        pos = h([p.instrument, to_field(p.size), p.entry_price, pos])
    return h([int(account.account, 16), account.nonce, account.salt, coll, pos])
