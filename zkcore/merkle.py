"""The project's one Merkle tree: Poseidon(2) nodes, a fixed depth, sparse leaves (absent = 0).

The ledger (a depth-``LD`` tree of account commitments, mostly empty) and the market's
instrument and collateral trees (dense, zero-padded to a power of two) are the same structure:
a dense tree padded with 0 leaves has exactly the nodes of the sparse tree with those leaves
absent, since an empty subtree's root is ``z[k+1] = node(z[k], z[k])`` with ``z[0] = 0`` either way.
The circuit recomputes roots as :func:`root_from_path` does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

from zksolvency.zkcore.poseidon_fast import poseidon2

#: A Merkle node: (left, right) -> parent.
Node = Callable[[int, int], int]


def tree_depth(n: int) -> int:
    """Depth of a tree of n leaves: ceil(log2 n), 0 for n <= 1."""
    return max(0, (n - 1).bit_length()) if n > 1 else 0


@cache
def zero_roots(depth: int, node: Node) -> tuple[int, ...]:
    """Roots of empty subtrees: z[0] = 0 (an empty leaf), z[k+1] = node(z[k], z[k])."""
    z = [0]
    for _ in range(depth):
        z.append(node(z[-1], z[-1]))
    return tuple(z)


@dataclass(frozen=True)
class MerkleTree:
    """A fixed-depth tree; ``leaves`` maps index -> leaf (absent = 0). Levels are computed once,
    over the non-empty nodes only."""

    depth: int
    leaves: Mapping[int, int]
    node: Node = field(default=poseidon2, repr=False, compare=False)
    levels: list[dict[int, int]] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def dense(cls, leaves: Sequence[int], node: Node = poseidon2) -> MerkleTree:
        """The zero-padded tree of ``leaves`` in order (depth ceil(log2 n); one leaf is its own root)."""
        return cls(tree_depth(len(leaves)), dict(enumerate(leaves)), node)

    def __post_init__(self) -> None:
        for i in self.leaves:
            if not 0 <= i < 1 << self.depth:
                raise ValueError(f"index {i} does not fit a tree of depth {self.depth}")
        zero = zero_roots(self.depth, self.node)
        level = {i: v for i, v in self.leaves.items() if v != 0}
        levels = [level]
        node = self.node
        for k in range(self.depth):
            parents: dict[int, int] = {}
            for i in sorted({i >> 1 for i in level}):
                parents[i] = node(level.get(2 * i, zero[k]), level.get(2 * i + 1, zero[k]))
            level = parents
            levels.append(level)
        object.__setattr__(self, "levels", levels)

    @property
    def root(self) -> int:
        """The root (the empty tree's root when no leaf is set)."""
        return self.levels[-1].get(0, zero_roots(self.depth, self.node)[self.depth])

    def path(self, index: int) -> list[int]:
        """Siblings of leaf ``index``, leaf to root."""
        zero = zero_roots(self.depth, self.node)
        out = []
        for k in range(self.depth):
            out.append(self.levels[k].get(index ^ 1, zero[k]))
            index >>= 1
        return out

    def bits(self, index: int) -> list[int]:
        """The path bits of leaf ``index``, leaf to root (1 where the running node is a right child)."""
        return [(index >> k) & 1 for k in range(self.depth)]


def root_from_path(leaf: int, index: int, siblings: Sequence[int], node: Node = poseidon2) -> int:
    """The root that ``leaf`` at ``index`` with these siblings leads to (what the circuit computes)."""
    h = leaf
    for k, sib in enumerate(siblings):
        h = node(sib, h) if (index >> k) & 1 else node(h, sib)
    return h
