"""The venue's ledger (SPEC §3): one Poseidon Merkle root over every account's book per epoch.

Leaf i of the fixed-depth tree is the account commitment (:func:`zkcore.commitment.account_commitment`)
of the account enrolled at index i, and 0 for an index the venue does not list; internal nodes are
Poseidon(left, right), exactly what ``FixedMerkle(LD)`` in ``circuits/lib/merkle.circom`` opens.
The tree is sparse: only the paths of listed accounts are hashed, the rest are the precomputed
roots of empty subtrees, so a 2^20-slot ledger of a few accounts costs a few hashes.

Files ``ledger build`` writes (SPEC §4)::

    DIR/ledger.json                 public: format, epoch, root, depth, accounts [{account, index}]
    DIR/statements/<address>.json   private, one per account: format, epoch, index, depth,
                                    ledger_root, book (the account.json object), path (siblings,
                                    leaf to root, 0x + 64 hex digits each)

This module reads ``ledger.json`` without pydantic (the verifier uses it); statements, which hold
a book, are validated with :mod:`zkcore.models` (imported on use).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zksolvency.zkcore.address import ADDRESS_RE
from zksolvency.zkcore.errors import InputError
from zksolvency.zkcore.field import SNARK_FIELD, hex32
from zksolvency.zkcore.files import atomic_dir
from zksolvency.zkcore.jsonio import read_json, read_object
from zksolvency.zkcore.merkle import MerkleTree, Node, root_from_path
from zksolvency.zkcore.paths import StrPath
from zksolvency.zkcore.poseidon_fast import poseidon2

if TYPE_CHECKING:
    from zksolvency.zkcore.models import Account

LEDGER_FORMAT = "zksolvency-ledger/1"
STATEMENT_FORMAT = "zksolvency-statement/1"
#: Depth of the default circuit's ledger (``LD`` in circuits/circuits.json): 2^20 accounts.
DEFAULT_DEPTH = 20
MAX_DEPTH = 32

_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")  # fullmatch: no trailing newline


def _reference_node(left: int, right: int) -> int:
    from zksolvency.zkcore.poseidon import poseidon

    return poseidon([left, right])


#: The pure-Python twin of :func:`poseidon2`, for tests and benchmarks.
reference_node: Node = _reference_node


class LedgerTree(MerkleTree):
    """The venue's ledger: a :class:`~zksolvency.zkcore.merkle.MerkleTree` of depth 1 to
    ``MAX_DEPTH``; ``leaves`` maps index -> account commitment (absent = an empty slot)."""

    def __post_init__(self) -> None:
        if not 1 <= self.depth <= MAX_DEPTH:
            raise ValueError(f"ledger depth must be in [1, {MAX_DEPTH}], got {self.depth}")
        for i in self.leaves:
            if not 0 <= i < 1 << self.depth:
                raise ValueError(f"index {i} does not fit a ledger of depth {self.depth}")
        super().__post_init__()


# ---------------------------------------------------------------- ledger.json (public)


@dataclass(frozen=True)
class LedgerInfo:
    """The public ``ledger.json``: epoch, root, depth and the listed (address, index) pairs."""

    epoch: int
    root: int
    depth: int
    accounts: tuple[tuple[str, int], ...]

    def indices_of(self, address: str) -> list[int]:
        """Every index the ledger lists for ``address`` (lower-case 0x form)."""
        return [i for a, i in self.accounts if a == address]

    def as_json(self) -> dict[str, object]:
        """The file's object."""
        return {
            "format": LEDGER_FORMAT,
            "epoch": self.epoch,
            "root": hex32(self.root),
            "depth": self.depth,
            "accounts": [{"account": a, "index": i} for a, i in self.accounts],
        }


def _uint(v: object, limit: int, file: str, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < limit:
        raise InputError(file, name, f"must be an integer in [0, {limit})")
    return v


def _hex32(v: object, file: str, name: str) -> int:
    if not isinstance(v, str) or not _HEX32.fullmatch(v):
        raise InputError(file, name, "must be 0x + 64 hex digits")
    x = int(v, 16)
    if x >= SNARK_FIELD:
        raise InputError(file, name, "is not a field element (>= the BN254 scalar field)")
    return x


def _address(v: object, file: str, name: str) -> str:
    if not isinstance(v, str) or not ADDRESS_RE.fullmatch(v):
        raise InputError(file, name, "must be a 20-byte address, 0x + 40 hex digits")
    return v.lower()


def _depth(v: object, file: str) -> int:
    d = _uint(v, MAX_DEPTH + 1, file, "depth")
    if d < 1:
        raise InputError(file, "depth", f"must be in [1, {MAX_DEPTH}]")
    return d


class DuplicateListing(InputError):
    """A ``ledger.json`` that lists one address or one index twice (SPEC §3: one listing each).

    Malformed wherever it is read; the trader's check reports a second listing of the trader's own
    address as a mismatch instead (the venue gave one book two leaves).
    """

    def __init__(self, file: str, field: str, message: str, addresses: tuple[str, ...]) -> None:
        super().__init__(file, field, message)
        self.addresses = addresses  # the address listed twice, or the two addresses at one index


def ledger_json_path(path: Path) -> Path:
    """A ledger given as its directory (``ledger build``'s OUT) or as the ``ledger.json`` itself."""
    return path / "ledger.json" if path.is_dir() or (not path.exists() and path.suffix != ".json") else path


def load_ledger_info(path: StrPath) -> LedgerInfo:
    """Read and check a ``ledger.json`` (or the directory holding it): the one parser of the format.

    Any problem is an InputError naming the field; an address or an index listed twice is a
    :class:`DuplicateListing`.
    """
    path = ledger_json_path(Path(path))
    f = str(path)
    if not path.is_file():
        raise InputError(f, None, "no such file (make it with `zksolvency ledger build`)")
    data = read_object(path)
    if data.get("format") != LEDGER_FORMAT:
        raise InputError(f, "format", f"must be {LEDGER_FORMAT!r}")
    epoch = _uint(data.get("epoch"), 2**64, f, "epoch")
    root = _hex32(data.get("root"), f, "root")
    depth = _depth(data.get("depth"), f)
    raw = data.get("accounts")
    if not isinstance(raw, list):
        raise InputError(f, "accounts", "must be a list of {account, index}")
    accounts = []
    where_address: dict[str, tuple[int, int]] = {}  # address -> (position, index)
    where_index: dict[int, tuple[int, str]] = {}  # index -> (position, address)
    for n, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) != {"account", "index"}:
            raise InputError(f, f"accounts[{n}]", "must be an object {account, index}")
        address = _address(item["account"], f, f"accounts[{n}].account")
        index = _uint(item["index"], 1 << depth, f, f"accounts[{n}].index")
        if address in where_address:
            first, other = where_address[address]
            msg = (
                f"{address} is listed twice (at index {other} in accounts[{first}] and at index {index}): one listing per address"
            )
            raise DuplicateListing(f, f"accounts[{n}].account", msg, (address,))
        if index in where_index:
            first, owner = where_index[index]
            msg = f"index {index} is listed twice ({owner} in accounts[{first}] and {address}): one listing per index"
            raise DuplicateListing(f, f"accounts[{n}].index", msg, (owner, address))
        where_address[address] = (n, index)
        where_index[index] = (n, address)
        accounts.append((address, index))
    return LedgerInfo(epoch, root, depth, tuple(accounts))


# ---------------------------------------------------------------- statements (private)


@dataclass(frozen=True)
class Statement:
    """What the venue hands trader i: their book, index, Merkle path, epoch and ledger root."""

    book: dict[str, Any]  # the account.json object, as the venue wrote it
    account: Account  # the same, validated
    index: int
    path: tuple[int, ...]
    epoch: int
    ledger_root: int
    depth: int

    @property
    def address(self) -> str:
        """The account's address (lower-case 0x form)."""
        return self.account.account

    def as_json(self) -> dict[str, object]:
        """The statement file's object."""
        return {
            "format": STATEMENT_FORMAT,
            "epoch": self.epoch,
            "index": self.index,
            "depth": self.depth,
            "ledger_root": hex32(self.ledger_root),
            "book": self.book,
            "path": [hex32(x) for x in self.path],
        }


def load_statement(path: StrPath) -> Statement:
    """Read and check a statement file; any problem is an InputError naming the field."""
    from zksolvency.zkcore.models import Account, _validate

    path = Path(path)
    f = str(path)
    data = read_object(path)
    if data.get("format") != STATEMENT_FORMAT:
        raise InputError(f, "format", f"must be {STATEMENT_FORMAT!r}")
    extra = set(data) - {"format", "epoch", "index", "depth", "ledger_root", "book", "path"}
    if extra:
        raise InputError(f, sorted(extra)[0], "unknown field")
    depth = _depth(data.get("depth"), f)
    epoch = _uint(data.get("epoch"), 2**64, f, "epoch")
    index = _uint(data.get("index"), 1 << depth, f, "index")
    root = _hex32(data.get("ledger_root"), f, "ledger_root")
    raw_path = data.get("path")
    if not isinstance(raw_path, list) or len(raw_path) != depth:
        raise InputError(f, "path", f"must be a list of {depth} sibling hashes (the ledger depth)")
    siblings = tuple(_hex32(x, f, f"path[{k}]") for k, x in enumerate(raw_path))
    book = data.get("book")
    if not isinstance(book, dict):
        raise InputError(f, "book", "must be the account.json object")
    try:
        account: Account = _validate(book, path, Account, "account")
    except InputError as e:
        raise InputError(f, f"book.{e.field}" if e.field else "book", e.message) from None
    return Statement(book, account, index, siblings, epoch, root, depth)


# ---------------------------------------------------------------- building


def read_indices(path: Path) -> dict[str, int]:
    """An indices file: ``{"0x…": 3, …}`` or a list of ``{account, index}`` (as ``ledger.json`` lists)."""
    f = str(path)
    data = read_json(path)  # a repeated address key is refused here, not resolved to its last index
    if isinstance(data, dict) and "accounts" in data and isinstance(data["accounts"], list):
        data = data["accounts"]  # a ledger.json or `chain enrolled --json` object
    pairs: list[tuple[str, object, str]] = []
    if isinstance(data, dict):
        pairs = [(k, v, k) for k, v in data.items()]
    elif isinstance(data, list):
        for n, item in enumerate(data):
            if not isinstance(item, dict) or "account" not in item or "index" not in item:
                raise InputError(f, f"[{n}]", "must be an object {account, index}")
            pairs.append((item["account"], item["index"], f"[{n}]"))
    else:
        raise InputError(f, None, 'must map addresses to indices: {"0x…": 3, …}')
    out: dict[str, int] = {}
    for key, value, where in pairs:
        addr = _address(key, f, where)
        if addr in out:
            raise InputError(f, where, f"address {addr} is listed twice")
        out[addr] = _uint(value, 2**64, f, where)
    return out


def read_enrollment(path: Path) -> dict[str, int]:
    """The registry's enrollment as ``chain enrolled --json`` writes it: what a verifier checks a
    proof's index against. A ``ledger.json`` is refused: its listing is the venue's word, which
    ``--ledger`` checks, never the enrollment."""
    data = read_json(path)
    if isinstance(data, dict) and data.get("format") == LEDGER_FORMAT:
        raise InputError(str(path), "format", "is a ledger.json (the venue's listing), not the registry's enrollment")
    return read_indices(path)


@dataclass(frozen=True)
class BuiltLedger:
    """A ledger written by :func:`build_ledger`: its public part and every statement."""

    info: LedgerInfo
    statements: dict[str, Statement]
    directory: Path


def plan_ledger(
    accounts: Sequence[tuple[Path, dict[str, Any], Account]],
    indices: Mapping[str, int] | None,
    depth: int,
    indices_file: str = "--indices",
) -> list[tuple[int, Path, dict[str, Any], Account]]:
    """(index, file, book, account) per account; refuses an address twice, an index twice, or
    an index that does not fit ``depth``."""
    seen: dict[str, Path] = {}
    used: dict[int, str] = {}
    out = []
    for n, (path, book, acc) in enumerate(accounts):
        if acc.account in seen:
            raise InputError(str(path), "account", f"address {acc.account} is also the account of {seen[acc.account]}")
        seen[acc.account] = path
        if indices is None:
            index = n
        elif acc.account not in indices:
            raise InputError(indices_file, acc.account, f"no index for the account of {path}")
        else:
            index = indices[acc.account]
        if index >= 1 << depth:
            where = indices_file if indices is not None else str(path)
            raise InputError(where, acc.account, f"index {index} does not fit a ledger of depth {depth} (2^{depth} slots)")
        if index in used:
            raise InputError(indices_file, acc.account, f"index {index} is also the index of {used[index]}")
        used[index] = acc.account
        out.append((index, path, book, acc))
    return out


def build_ledger(
    accounts: Sequence[StrPath],
    market: StrPath,
    out: StrPath,
    *,
    indices: StrPath | None = None,
    depth: int = DEFAULT_DEPTH,
    hash_fn: Callable[[Sequence[int]], int] | None = None,
    node: Node = poseidon2,
) -> BuiltLedger:
    """Build the epoch's ledger from account files and write ``out/`` atomically (SPEC §4).

    Every account is validated against ``market`` (its epoch is the ledger's). ``hash_fn`` and
    ``node`` default to the fast Poseidon; the reference can stand in (benchmarks). Nothing is
    written unless everything succeeds: the files go to a temporary directory beside ``out`` that
    is renamed into place; ``out`` must not exist or be an empty directory.
    """
    from zksolvency.zkcore.commitment import account_commitment
    from zksolvency.zkcore.models import Account, _validate, check_account_against_market, load_market

    out_dir, files, market_file = Path(out), [Path(a) for a in accounts], Path(market)
    indices_file = Path(indices) if indices is not None else None
    if not 1 <= depth <= MAX_DEPTH:
        raise InputError("depth", None, f"must be in [1, {MAX_DEPTH}], got {depth}")
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InputError(str(out_dir), None, "already exists and is not an empty directory")
    if not out_dir.parent.is_dir():
        raise InputError(str(out_dir), None, "the parent directory does not exist")
    if not files:
        raise InputError("ACCOUNT", None, "give at least one account file")
    m = load_market(market_file)
    loaded = []
    for p in files:
        book = read_json(p)  # read once: the statement keeps the book exactly as validated
        acc: Account = _validate(book, p, Account, "account")
        check_account_against_market(acc, m, p, market_file)
        loaded.append((p, book, acc))
    idx = read_indices(indices_file) if indices_file is not None else None
    plan = plan_ledger(loaded, idx, depth, str(indices_file) if indices_file else "--indices")

    leaves = {}
    for index, _p, _book, acc in plan:
        leaves[index] = account_commitment(acc, hash_fn) if hash_fn is not None else account_commitment(acc)
    tree = LedgerTree(depth, leaves, node)
    root = tree.root
    info = LedgerInfo(m.epoch, root, depth, tuple(sorted(((acc.account, i) for i, _p, _b, acc in plan), key=lambda x: x[1])))
    statements = {
        acc.account: Statement(book, acc, index, tuple(tree.path(index)), m.epoch, root, depth) for index, _p, book, acc in plan
    }

    with atomic_dir(out_dir) as tmp:  # `out` is absent or empty (checked above)
        (tmp / "statements").mkdir()
        for addr, st in statements.items():
            # compact JSON: json's C encoder runs only without indent (65,536 statements per 2^16 ledger)
            (tmp / "statements" / f"{addr}.json").write_text(json.dumps(st.as_json()) + "\n")
        (tmp / "ledger.json").write_text(json.dumps(info.as_json(), indent=1) + "\n")
    return BuiltLedger(info, statements, out_dir)


# ---------------------------------------------------------------- the trader's check


@dataclass(frozen=True)
class StatementCheck:
    """The outcome of ``statement verify``: ``ok``, or every way the statement fails."""

    address: str
    index: int
    epoch: int
    root: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when the venue committed to this book at this index under the published root."""
        return not self.problems

    def as_json(self) -> dict[str, object]:
        """One JSON object: ok, account, index, epoch, ledger_root, problems."""
        return {
            "ok": self.ok,
            "account": self.address,
            "index": self.index,
            "epoch": self.epoch,
            "ledger_root": hex32(self.root),
            "problems": list(self.problems),
        }


def verify_statement(
    statement: Statement,
    root: int,
    *,
    epoch: int | None = None,
    depth: int | None = None,
    listed: Sequence[int] | None = None,
    own_book: Account | None = None,
    node: Node = poseidon2,
) -> StatementCheck:
    """The trader's check of SPEC §3 against a published ledger ``root`` (from ledger.json or chain).

    Fails when the statement's book at its index and path does not lead to ``root`` (the venue
    committed to another book, index or root), when the statement names another root, epoch
    (``epoch``: the published ledger's) or depth, when the published listing (``listed``: the
    indices ledger.json lists for this address) does not hold the statement's index, or when
    ``own_book`` (the trader's own account.json) differs from the statement's book.
    """
    from zksolvency.zkcore.commitment import account_commitment

    problems = []
    if depth is not None and depth != statement.depth:
        problems.append(f"the statement is for a ledger of depth {statement.depth}, the published ledger has depth {depth}")
    if statement.ledger_root != root:
        problems.append(f"the statement names ledger root {hex32(statement.ledger_root)}, the published root is {hex32(root)}")
    if epoch is not None and epoch != statement.epoch:
        problems.append(f"the statement is for epoch {statement.epoch}, the published ledger for epoch {epoch}")
    leaf = account_commitment(statement.account)
    if root_from_path(leaf, statement.index, statement.path, node) != root:
        problems.append(
            f"the book at index {statement.index} with this path does not lead to the published root:"
            " the venue committed to another book, index or root"
        )
    if listed is not None and statement.index not in listed:
        where = f"at {sorted(listed)}" if listed else "nowhere"
        problems.append(f"the published ledger lists {statement.address} {where}, not at index {statement.index}")
    if own_book is not None and account_commitment(own_book) != leaf:
        problems.append("the statement's book differs from your account file (a size, an amount, the nonce or the salt)")
    return StatementCheck(statement.address, statement.index, statement.epoch, root, tuple(problems))
