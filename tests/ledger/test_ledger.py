"""The venue's ledger: the sparse tree against a dense reference, `ledger build` and the trader's
`statement verify` (exit 0 honest, 1 when the venue misstated the book, index or root, 2 bad input)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from zksolvency.cli import main
from zksolvency.zkcore.commitment import account_commitment
from zksolvency.zkcore.field import hex32
from zksolvency.zkcore.ledger import LedgerTree, reference_node
from zksolvency.zkcore.merkle import root_from_path
from zksolvency.zkcore.models import Account
from zksolvency.zkcore.poseidon import poseidon

from tests.helpers import data
from tests.helpers.files import write_json

ADDRS = [data.ADDR, data.OTHER_ADDR, "0x90f79bf6eb2c4f870365e785982e1f101e93b906"]


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def dense_root(depth: int, leaves: dict[int, int]) -> int:
    """The plain definition: every slot hashed, reference Poseidon."""
    level = [leaves.get(i, 0) for i in range(1 << depth)]
    for _ in range(depth):
        level = [poseidon([level[i], level[i + 1]]) for i in range(0, len(level), 2)]
    return level[0]


@pytest.mark.parametrize("seed", range(4))
def test_sparse_tree_equals_the_dense_reference(seed: int) -> None:
    rng = random.Random(seed)
    depth = rng.choice([1, 3, 5])
    leaves = {i: rng.randrange(1, 2**200) for i in rng.sample(range(1 << depth), rng.randint(0, 1 << depth))}
    tree = LedgerTree(depth, leaves)
    assert tree.root == dense_root(depth, leaves) == LedgerTree(depth, leaves, reference_node).root
    for i in range(1 << depth):
        assert root_from_path(leaves.get(i, 0), i, tree.path(i)) == tree.root


def test_a_deep_sparse_tree_is_cheap_and_exact() -> None:
    leaves = {0: 11, 2**20 - 1: 22, 12345: 33}
    tree = LedgerTree(20, leaves)
    for i, leaf in leaves.items():
        assert root_from_path(leaf, i, tree.path(i)) == tree.root
        assert root_from_path(leaf, i, tree.path(i), reference_node) == tree.root
    assert root_from_path(11, 1, tree.path(0)) != tree.root  # the path of 0 does not open slot 1


def test_indices_outside_the_tree_are_refused() -> None:
    with pytest.raises(ValueError):
        LedgerTree(4, {16: 1})
    with pytest.raises(ValueError):
        LedgerTree(4, {-1: 1})


# ---------------------------------------------------------------- ledger build


def _accounts(tmp_path: Path) -> list[Path]:
    out = []
    for n, addr in enumerate(ADDRS):
        acc = data.account(account=addr, nonce=n, salt=hex((1 << 200) + 0xABC0 + n))
        out.append(write_json(tmp_path / f"acc{n}.json", acc))
    return out


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, list[Path], Path]:
    accs = _accounts(tmp_path)
    m = write_json(tmp_path / "market.json", data.MARKET)
    idx = write_json(tmp_path / "idx.json", {ADDRS[0]: 7, ADDRS[1].upper().replace("0X", "0x"): 0, ADDRS[2]: 200})
    r = run(
        "ledger", "build", *map(str, accs), "--market", str(m), "--indices", str(idx), "--depth", "8", "-o", str(tmp_path / "L")
    )
    assert r.exit_code == 0, r.output
    return tmp_path / "L", accs, m


def test_build_writes_the_public_ledger_and_one_statement_each(built: tuple[Path, list[Path], Path]) -> None:
    d, accs, _m = built
    led = json.loads((d / "ledger.json").read_text())
    assert led["epoch"] == 42 and led["depth"] == 8
    assert [(a["account"], a["index"]) for a in led["accounts"]] == [(ADDRS[1], 0), (ADDRS[0], 7), (ADDRS[2], 200)]
    leaves = {i: account_commitment(Account(**json.loads(accs[n].read_text()))) for n, i in ((0, 7), (1, 0), (2, 200))}
    assert led["root"] == hex32(dense_root(8, leaves))
    assert sorted(p.name for p in (d / "statements").iterdir()) == sorted(f"{a}.json" for a in ADDRS)
    st = json.loads((d / "statements" / f"{ADDRS[2]}.json").read_text())
    assert st["index"] == 200 and st["ledger_root"] == led["root"] and st["epoch"] == 42 and len(st["path"]) == 8
    assert st["book"] == json.loads(accs[2].read_text())


def test_commit_prints_the_ledger_leaf(built: tuple[Path, list[Path], Path]) -> None:
    _d, accs, _m = built
    r = run("commit", str(accs[0]))
    assert r.output.strip() == hex32(account_commitment(Account(**json.loads(accs[0].read_text())), poseidon))


def test_default_order_and_depth(tmp_path: Path) -> None:
    accs = _accounts(tmp_path)
    m = write_json(tmp_path / "market.json", data.MARKET)
    r = run("ledger", "build", *map(str, accs), "--market", str(m), "-o", str(tmp_path / "L"))
    assert r.exit_code == 0, r.output
    led = json.loads((tmp_path / "L" / "ledger.json").read_text())
    assert led["depth"] == 20  # the default circuit's LD
    assert [a["index"] for a in led["accounts"]] == [0, 1, 2]


@pytest.mark.parametrize(
    ("case", "indices", "message"),
    [
        ("address twice", None, "is also the account of"),
        ("index twice", {ADDRS[0]: 3, ADDRS[1]: 3, ADDRS[2]: 4}, "index 3 is also the index"),
        ("index beyond 2^depth", {ADDRS[0]: 0, ADDRS[1]: 256, ADDRS[2]: 4}, "does not fit a ledger of depth 8"),
        ("no index", {ADDRS[0]: 0, ADDRS[1]: 1}, "no index for the account"),
        ("address key twice", [{"account": ADDRS[0], "index": 0}, {"account": ADDRS[0], "index": 1}], "listed twice"),
    ],
)
def test_build_refuses_and_leaves_nothing(tmp_path: Path, case: str, indices: Any, message: str) -> None:
    accs = _accounts(tmp_path)
    if case == "address twice":
        accs.append(write_json(tmp_path / "again.json", data.account(account=ADDRS[0], nonce=9)))
    m = write_json(tmp_path / "market.json", data.MARKET)
    args = ["ledger", "build", *map(str, accs), "--market", str(m), "--depth", "8", "-o", str(tmp_path / "L")]
    if indices is not None:
        args += ["--indices", str(write_json(tmp_path / "idx.json", indices))]
    before = sorted(p.name for p in tmp_path.iterdir())
    r = run(*args)
    assert r.exit_code == 2, r.output
    assert message in r.output and len(r.output.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no DIR, no temporary directory


def test_build_refuses_a_bad_account_and_a_non_empty_directory(tmp_path: Path) -> None:
    accs = _accounts(tmp_path)
    m = write_json(tmp_path / "market.json", data.MARKET)
    bad = write_json(tmp_path / "bad.json", data.account(positions=[{"instrument": 99, "size": "1", "entry_price": "1"}]))
    r = run("ledger", "build", str(accs[1]), str(bad), "--market", str(m), "-o", str(tmp_path / "L"))
    assert r.exit_code == 2 and "positions[0].instrument" in r.output and not (tmp_path / "L").exists()
    (tmp_path / "L").mkdir()
    (tmp_path / "L" / "keep.txt").write_text("x")
    r = run("ledger", "build", str(accs[0]), "--market", str(m), "-o", str(tmp_path / "L"))
    assert r.exit_code == 2 and "not an empty directory" in r.output
    assert [p.name for p in (tmp_path / "L").iterdir()] == ["keep.txt"]


# ---------------------------------------------------------------- statement verify


def _verify(st: Path, ledger: Path, *extra: str) -> Any:
    return run("statement", "verify", str(st), "--ledger", str(ledger), *extra)


def test_an_honest_statement_verifies(built: tuple[Path, list[Path], Path]) -> None:
    d, accs, _m = built
    for n, addr in enumerate(ADDRS):
        r = _verify(d / "statements" / f"{addr}.json", d / "ledger.json", "--account", str(accs[n]))
        assert r.exit_code == 0, r.output
        assert "OK" in r.output
    r = _verify(d / "statements" / f"{ADDRS[0]}.json", d / "ledger.json", "--json")
    assert json.loads(r.output)["ok"] is True and json.loads(r.output)["index"] == 7


def _misstating_venue(tmp_path: Path, change: Any) -> tuple[Path, Path, Path]:
    """A venue that commits to a changed book for account 0 but hands it a statement of its true
    book (path and root of the ledger it published). Returns (statement, ledger.json, own book)."""
    accs = _accounts(tmp_path)
    m = write_json(tmp_path / "market.json", data.MARKET)
    true_book = json.loads(accs[0].read_text())
    lied = json.loads(accs[0].read_text())
    change(lied)
    write_json(tmp_path / "lied.json", lied)
    books = [str(tmp_path / "lied.json"), *map(str, accs[1:])]
    r = run("ledger", "build", *books, "--market", str(m), "--depth", "8", "-o", str(tmp_path / "L"))
    assert r.exit_code == 0, r.output
    st_path = tmp_path / "L" / "statements" / f"{ADDRS[0]}.json"
    st = json.loads(st_path.read_text())
    st["book"] = true_book
    write_json(st_path, st)
    return st_path, tmp_path / "L" / "ledger.json", accs[0]


@pytest.mark.parametrize(
    "change",
    [
        lambda b: b["positions"][0].__setitem__("size", "-0.5"),
        lambda b: b["collateral"][0].__setitem__("amount", "24999.99999999"),
        lambda b: b.__setitem__("salt", hex((1 << 200) + 1)),
        lambda b: b.__setitem__("nonce", 4),
        lambda b: b["positions"].pop(),
    ],
    ids=["size", "amount", "salt", "nonce", "dropped-position"],
)
def test_a_misstated_book_is_a_mismatch(tmp_path: Path, change: Any) -> None:
    st, ledger, _own = _misstating_venue(tmp_path, change)
    r = _verify(st, ledger)
    assert r.exit_code == 1, r.output
    assert "does not lead to the published root" in r.output


def test_a_statement_showing_the_lie_is_caught_by_the_own_book(tmp_path: Path) -> None:
    # the venue's statement is consistent with its ledger, but the book is not the trader's
    accs = _accounts(tmp_path)
    m = write_json(tmp_path / "market.json", data.MARKET)
    lied = json.loads(accs[0].read_text())
    lied["positions"][0]["size"] = "-5"
    write_json(tmp_path / "lied.json", lied)
    r = run("ledger", "build", str(tmp_path / "lied.json"), "--market", str(m), "--depth", "8", "-o", str(tmp_path / "L"))
    assert r.exit_code == 0, r.output
    st = tmp_path / "L" / "statements" / f"{ADDRS[0]}.json"
    assert _verify(st, tmp_path / "L" / "ledger.json").exit_code == 0  # consistent on its own
    r = _verify(st, tmp_path / "L" / "ledger.json", "--account", str(accs[0]))
    assert r.exit_code == 1 and "differs from your account file" in r.output


def test_another_index_is_a_mismatch(built: tuple[Path, list[Path], Path], tmp_path: Path) -> None:
    d, _accs, _m = built
    st = json.loads((d / "statements" / f"{ADDRS[0]}.json").read_text())
    st["index"] = 8  # the book sits at 7
    r = _verify(write_json(tmp_path / "st.json", st), d / "ledger.json")
    assert r.exit_code == 1 and "does not lead to the published root" in r.output
    # a ledger.json that lists the account elsewhere than the statement says
    led = json.loads((d / "ledger.json").read_text())
    led["accounts"] = [{"account": ADDRS[0], "index": 9}]
    r = _verify(d / "statements" / f"{ADDRS[0]}.json", write_json(tmp_path / "l.json", led))
    assert r.exit_code == 1 and "not at index 7" in r.output


def test_another_root_or_epoch_is_a_mismatch(built: tuple[Path, list[Path], Path], tmp_path: Path) -> None:
    d, accs, m = built
    # the venue publishes another root (here: a ledger of only two accounts) than the statements'
    r = run("ledger", "build", *map(str, accs[:2]), "--market", str(m), "--depth", "8", "-o", str(tmp_path / "L2"))
    assert r.exit_code == 0
    r = _verify(d / "statements" / f"{ADDRS[0]}.json", tmp_path / "L2" / "ledger.json")
    assert r.exit_code == 1 and "the published root is" in r.output
    led = json.loads((d / "ledger.json").read_text())
    r = _verify(d / "statements" / f"{ADDRS[0]}.json", write_json(tmp_path / "l.json", {**led, "epoch": 43}))
    assert r.exit_code == 1 and "epoch" in r.output


def test_verify_statement_takes_a_root_from_anywhere(built: tuple[Path, list[Path], Path]) -> None:
    # the chain client reads the root from the registry and calls this
    import zksolvency

    d, _accs, _m = built
    led = json.loads((d / "ledger.json").read_text())
    st = d / "statements" / f"{ADDRS[1]}.json"
    assert zksolvency.verify_statement(st, root=led["root"], epoch=42).ok
    bad = zksolvency.verify_statement(st, root=int(led["root"], 16) ^ 1, epoch=42)
    assert not bad.ok and len(bad.problems) == 2


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda s: s.__setitem__("path", s["path"][:-1]), "path"),
        (lambda s: s["path"].__setitem__(0, "0x12"), "path[0]"),
        (lambda s: s.__setitem__("ledger_root", "0x" + "f" * 64), "ledger_root"),
        (lambda s: s.__setitem__("index", 256), "index"),
        (lambda s: s.__setitem__("index", True), "index"),
        (lambda s: s["book"].__setitem__("salt", "0x" + "1" * 70), "book.salt"),
        (lambda s: s.__setitem__("format", "x"), "format"),
        (lambda s: s.__setitem__("extra", 1), "extra"),
    ],
    ids=["short-path", "bad-sibling", "root-not-in-field", "index-beyond", "index-bool", "bad-book", "format", "unknown-field"],
)
def test_a_malformed_statement_is_bad_input(
    built: tuple[Path, list[Path], Path], tmp_path: Path, mutate: Any, field: str
) -> None:
    d, _accs, _m = built
    st = json.loads((d / "statements" / f"{ADDRS[0]}.json").read_text())
    mutate(st)
    p = write_json(tmp_path / "st.json", st)
    r = _verify(p, d / "ledger.json")
    assert r.exit_code == 2, r.output
    line = r.output.strip().splitlines()
    assert len(line) == 1 and str(p) in line[0] and field in line[0]


def test_a_key_given_twice_is_bad_input_in_statements_and_ledgers(built: tuple[Path, list[Path], Path], tmp_path: Path) -> None:
    """One file, one meaning: a repeated key (which plain json.loads resolves to its last value, so
    a reader and a checker could see different books) is refused in a statement and a ledger.json."""
    d, _accs, _m = built
    text = (d / "statements" / f"{ADDRS[0]}.json").read_text()
    st = tmp_path / "st.json"
    st.write_text(text.replace('"index":', '"index": 1, "index":', 1))
    r = _verify(st, d / "ledger.json")
    assert r.exit_code == 2 and "duplicate key 'index'" in r.output and str(st) in r.output
    led = tmp_path / "ledger.json"
    led.write_text((d / "ledger.json").read_text().replace('"epoch":', '"epoch": 7, "epoch":', 1))
    r = _verify(d / "statements" / f"{ADDRS[0]}.json", led)
    assert r.exit_code == 2 and "duplicate key 'epoch'" in r.output and str(led) in r.output


def test_one_listing_per_address_and_per_index(built: tuple[Path, list[Path], Path], tmp_path: Path) -> None:
    """A ledger.json that lists an address or an index twice is malformed for every reader (one
    parser); for the trader whose address has a second listing it is a mismatch of its statement."""
    from zksolvency.zkcore.ledger import DuplicateListing, load_ledger_info

    d, _accs, _m = built
    led = json.loads((d / "ledger.json").read_text())
    assert load_ledger_info(d).accounts == load_ledger_info(d / "ledger.json").accounts  # a directory or the file
    twice = {**led, "accounts": [*led["accounts"], {"account": ADDRS[0], "index": 9}]}
    with pytest.raises(DuplicateListing, match=r"accounts\[3\]\.account: .* is listed twice \(at index 7") as e:
        load_ledger_info(write_json(tmp_path / "twice.json", twice))
    assert e.value.addresses == (ADDRS[0],)
    shared = {**led, "accounts": [*led["accounts"], {"account": "0x" + "ab" * 20, "index": 0}]}
    with pytest.raises(DuplicateListing, match=r"accounts\[3\]\.index: index 0 is listed twice"):
        load_ledger_info(write_json(tmp_path / "shared.json", shared))
    # the trader listed twice: exit 1, a mismatch naming the second listing
    r = _verify(d / "statements" / f"{ADDRS[0]}.json", tmp_path / "twice.json")
    assert r.exit_code == 1 and "listed twice" in r.output
    # another trader's double listing is not this trader's mismatch: the file is malformed
    r = _verify(d / "statements" / f"{ADDRS[2]}.json", tmp_path / "twice.json")
    assert r.exit_code == 2 and "accounts[3].account" in r.output
    # the index shared with the trader at index 0 is that trader's mismatch too
    r = _verify(d / "statements" / f"{ADDRS[1]}.json", tmp_path / "shared.json")
    assert r.exit_code == 1 and "index 0 is listed twice" in r.output
