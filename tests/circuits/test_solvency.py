"""The solvency circuit against the reference engine, and against a malicious prover.

Three layers:
- differential: the circuit's `solvent` equals the reference verdict on random and edge portfolios;
- forged inputs: whatever a malicious prover feeds the witness calculator (field wrap-around,
  out-of-range sizes, forged tiers, hidden or duplicated positions, another account, index or
  epoch, forged ledger paths, an empty ledger slot), the circuit's constraints refuse it;
- forged witnesses: one witness value edited by its `.sym` name (the verdict, a sign bit, a tier
  selector, the scenario hint) and `snarkjs wtns check` finds a violated constraint.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zksolvency.prover.config import CircuitConfig
from zksolvency.prover.engine import margin_report
from zksolvency.prover.setup import Artifacts
from zksolvency.prover.tools import wtns_check
from zksolvency.prover.witness import LedgerOpening, build_input
from zksolvency.zkcore.bundle import pack_account_index, unpack_account_index
from zksolvency.zkcore.commitment import MarketCommitment, account_commitment, asset_field
from zksolvency.zkcore.field import SNARK_FIELD, to_field
from zksolvency.zkcore.ledger import LedgerTree
from zksolvency.zkcore.models import Account, Market

from tests.helpers import data
from tests.helpers.strategies import edge_portfolios, portfolios
from tests.helpers.witness import WitnessServer, edit_wtns, recommit

SOLVENT_IDX = 1  # first witness after the constant 1: the circuit's only output


def signals(m: dict[str, Any], a: dict[str, Any], cfg: CircuitConfig, index: int = 0) -> dict[str, Any]:
    acc = Account(**a)
    return build_input(acc, Market(**m), cfg, opening=LedgerOpening.alone(acc, cfg.LD, index))


def verdict(ws: WitnessServer, sig: dict[str, Any]) -> int:
    ok, out = ws.compute(sig, [SOLVENT_IDX, 2, 3, 4])
    assert ok, out
    assert isinstance(out, list)
    # public signals come back exactly as given: accountIndex, ledgerRoot, marketRoot
    assert out[1:] == [int(sig["accountIndex"]), int(sig["ledgerRoot"]), int(sig["marketRoot"])]
    return out[0]


def refused(ws: WitnessServer, sig: dict[str, Any]) -> str:
    ok, out = ws.compute(sig, [SOLVENT_IDX])
    assert not ok, f"the circuit accepted a forged input (solvent={out})"
    assert isinstance(out, str)
    return out


# ---------------------------------------------------------------- differential


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(portfolios(), st.integers(0, 2**8 - 1))
def test_circuit_matches_reference_on_random_portfolios(
    witness_server: WitnessServer, test_cfg: CircuitConfig, p: Any, index: int
) -> None:
    m, a = p
    expected = margin_report(Account(**a), Market(**m)).solvent
    assert verdict(witness_server, signals(m, a, test_cfg, index)) == int(expected)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(edge_portfolios())
def test_circuit_matches_reference_on_the_margin_line(witness_server: WitnessServer, test_cfg: CircuitConfig, p: Any) -> None:
    m, a = p
    expected = margin_report(Account(**a), Market(**m)).solvent
    assert verdict(witness_server, signals(m, a, test_cfg)) == int(expected)


def _usdc_gap_account() -> tuple[dict[str, Any], str]:
    """The example account with only USDC, and the USDC amount that makes equity == maintenance."""
    from zksolvency.zkcore.fixedpoint import format_fraction

    r = margin_report(Account(**data.account(collateral=[])), Market(**data.MARKET))
    return data.account(collateral=[]), format_fraction(r.maintenance - r.equity)


@pytest.mark.parametrize(("delta", "solvent"), [("0", 1), ("-0.00000001", 0), ("0.00000001", 1)])
def test_equity_equal_to_maintenance_is_solvent(
    witness_server: WitnessServer, test_cfg: CircuitConfig, delta: str, solvent: int
) -> None:
    from fractions import Fraction

    from zksolvency.zkcore.fixedpoint import format_fraction

    a, need = _usdc_gap_account()
    a["collateral"] = [{"asset": "USDC", "amount": format_fraction(Fraction(need) + Fraction(delta))}]
    assert verdict(witness_server, signals(data.MARKET, a, test_cfg)) == solvent


@pytest.mark.parametrize(("size", "tiered"), [("-5", "1000"), ("-4.99999999", "999.99999800"), ("20", "4750")])
def test_tier_boundaries(witness_server: WitnessServer, test_cfg: CircuitConfig, size: str, tiered: str) -> None:
    # mark 50000: |size| * mark = 250000 exactly uses tier 1; a hair below uses tier 0;
    # 20 * 50000 = 1,000,000 is the floor of tier 2: 1e6 * 0.01 - 5250.
    from fractions import Fraction

    m = data.market()
    m["instruments"][0]["mark_price"] = "50000"
    a = data.account(positions=[{"instrument": 1, "size": size, "entry_price": "50000"}])
    r = margin_report(Account(**a), Market(**m))
    assert r.tiered_mm == Fraction(tiered)
    # put the account exactly on the line: the circuit must agree it is (just) solvent, and
    # insolvent one unit lower -- only possible if it picked the same tier as the reference
    from zksolvency.zkcore.fixedpoint import format_fraction

    need = r.maintenance - (r.equity - Fraction(25000) - Fraction("4050.675"))
    a["collateral"] = [{"asset": "USDC", "amount": format_fraction(need)}]
    assert verdict(witness_server, signals(m, a, test_cfg)) == 1
    a["collateral"] = [{"asset": "USDC", "amount": format_fraction(need - Fraction(1, 10**8))}]
    assert verdict(witness_server, signals(m, a, test_cfg)) == 0


@pytest.mark.parametrize(
    ("account", "solvent"),
    [(data.ACCOUNT, 1), (data.INSOLVENT, 0), (data.account(collateral=[], positions=[]), 1)],
    ids=["solvent", "negative-equity", "empty"],
)
def test_known_verdicts(witness_server: WitnessServer, test_cfg: CircuitConfig, account: dict[str, Any], solvent: int) -> None:
    assert verdict(witness_server, signals(data.MARKET, account, test_cfg)) == solvent


# ---------------------------------------------------------------- forged inputs


def _honest(test_cfg: CircuitConfig, account: dict[str, Any] | None = None) -> dict[str, Any]:
    return copy.deepcopy(signals(data.MARKET, account or data.INSOLVENT, test_cfg))


def test_forged_solvent_claim_is_impossible_without_a_forgery(witness_server: WitnessServer, test_cfg: CircuitConfig) -> None:
    """The insolvent book's ledger entry never comes out solvent = 1: a prover that changes what
    decides the verdict (the collateral, an entry price) is refused under the published ledger
    root. Control: the same change with the root recomputed over it (another ledger, which the
    registry would not accept) is solvent, so the refusal is the ledger opening's doing."""
    honest = _honest(test_cfg)
    assert verdict(witness_server, honest) == 0
    tweaks = {
        "a million USDC more": ("collAmount", 0, str(10**6 * 10**8)),
        "a short entered far above the mark": ("posEntry", 0, str(70_000 * 10**8)),
    }
    for name, (key, slot, value) in tweaks.items():
        sig = copy.deepcopy(honest)
        sig[key][slot] = value
        assert sig["ledgerRoot"] == honest["ledgerRoot"]
        refused(witness_server, sig)
        recommit(sig)
        assert sig["ledgerRoot"] != honest["ledgerRoot"], name
        assert verdict(witness_server, sig) == 1, f"{name}: the control should be solvent under its own root"


def test_dropping_a_tier_is_refused(witness_server: WitnessServer, test_cfg: CircuitConfig) -> None:
    a = data.account(positions=[{"instrument": 1, "size": "-20", "entry_price": "61000"}])
    sig = _honest(test_cfg, a)
    sig["tierActive"][0][2] = "0"  # pretend the 1% tier does not exist
    refused(witness_server, sig)
    sig = _honest(test_cfg, a)
    sig["tierRate"][0][2] = "4000"  # or that its rate is 0.4%
    refused(witness_server, sig)
    sig = _honest(test_cfg, a)
    sig["tierFloor"][0][2] = "200000000000000"  # or that its floor is higher
    refused(witness_server, sig)


def test_empty_slot_cannot_carry_value(witness_server: WitnessServer, test_cfg: CircuitConfig) -> None:
    sig = _honest(test_cfg)
    # a profitable long in the empty third slot, left out of the commitment chain (inactive)
    sig["posSize"][2] = str(10**10)
    sig["posId"][2] = "2"
    sig["posEntry"][2] = "0"
    sig["posMark"][2] = "300050000000"
    refused(witness_server, sig)
    sig = _honest(test_cfg)
    sig["collAmount"][1] = str(10**15)  # free collateral in the empty collateral slot
    refused(witness_server, sig)


def test_hiding_a_committed_position_is_refused(witness_server: WitnessServer, test_cfg: CircuitConfig) -> None:
    sig = _honest(test_cfg)
    sig["posActive"][1] = "0"  # the losing put disappears from the check ...
    sig["posSize"][1] = "0"
    refused(witness_server, sig)  # ... but the commitment still holds it


def test_one_instrument_twice_is_refused(witness_server: WitnessServer, test_cfg: CircuitConfig) -> None:
    # Splitting one big position over two slots would keep each in a lower tier.
    a = data.account(positions=[{"instrument": 1, "size": "-20", "entry_price": "61000"}])
    sig = _honest(test_cfg, a)
    for key in (
        "posId",
        "posEntry",
        "posMark",
        "tierActive",
        "tierFloor",
        "tierRate",
        "tierDeduction",
        "hasScen",
        "scen",
        "posSiblings",
        "posPathBits",
    ):
        sig[key][1] = copy.deepcopy(sig[key][0])
    sig["posActive"][1] = "1"
    sig["posSize"][0] = sig["posSize"][1] = str(to_field(-10 * 10**8))
    recommit(sig)
    assert "Assert Failed" in refused(witness_server, sig)


@pytest.mark.parametrize(
    "size",
    [2**67, -(2**67) - 1, SNARK_FIELD - 2**68, SNARK_FIELD // 2, 2**200],
    ids=["2^67", "-2^67-1", "p-2^68", "p/2", "2^200"],
)
def test_out_of_range_sizes_are_refused(witness_server: WitnessServer, test_cfg: CircuitConfig, size: int) -> None:
    # The venue commits to a crafted size in its ledger: the range check bites.
    sig = _honest(test_cfg)
    sig["posSize"][0] = str(to_field(size))
    recommit(sig)
    refused(witness_server, sig)


@pytest.mark.parametrize("amount", [SNARK_FIELD - 1, 2**67, 2**100], ids=["negative", "2^67", "2^100"])
def test_out_of_range_amounts_are_refused(witness_server: WitnessServer, test_cfg: CircuitConfig, amount: int) -> None:
    sig = _honest(test_cfg)
    sig["collAmount"][0] = str(amount)
    recommit(sig)
    refused(witness_server, sig)


def test_negative_entry_price_is_refused(witness_server: WitnessServer, test_cfg: CircuitConfig) -> None:
    sig = _honest(test_cfg)
    sig["posEntry"][0] = str(SNARK_FIELD - 10**8)
    recommit(sig)
    refused(witness_server, sig)


def test_another_accounts_address_is_refused(witness_server: WitnessServer, test_cfg: CircuitConfig) -> None:
    sig = _honest(test_cfg, data.ACCOUNT)
    sig["accountIndex"] = str(pack_account_index(data.OTHER_ADDR, 0))  # same leaf and path, another owner
    refused(witness_server, sig)


# ---------------------------------------------------------------- the ledger opening

LD = 8  # ledger depth of the test instance


def _two_account_ledger(test_cfg: CircuitConfig, i: int, j: int) -> tuple[LedgerTree, Account, Account]:
    a, b = Account(**data.ACCOUNT), Account(**data.account(account=data.OTHER_ADDR, salt=data.OTHER_SALT))
    return LedgerTree(test_cfg.LD, {i: account_commitment(a), j: account_commitment(b)}), a, b


def _opened(test_cfg: CircuitConfig, tree: LedgerTree, acc: Account, index: int) -> dict[str, Any]:
    opening = LedgerOpening(index, tree.path(index), tree.root)
    return copy.deepcopy(build_input(acc, Market(**data.MARKET), test_cfg, opening=opening))


def test_instance_ledger_depth(test_cfg: CircuitConfig) -> None:
    assert test_cfg.LD == LD


@pytest.mark.parametrize("index", [0, 1, 6, 2**LD - 1])
def test_signals_carry_the_index_the_leaf_was_opened_at(
    witness_server: WitnessServer, test_cfg: CircuitConfig, index: int
) -> None:
    tree, a, _b = _two_account_ledger(test_cfg, index, (index + 3) % 2**LD)
    sig = _opened(test_cfg, tree, a, index)
    ok, out = witness_server.compute(sig, [SOLVENT_IDX, 2, 3])
    assert ok, out
    assert isinstance(out, list)
    assert unpack_account_index(out[1]) == (data.ADDR, index)
    assert out[2] == tree.root


def test_a_witness_claiming_another_index_is_refused(witness_server: WitnessServer, test_cfg: CircuitConfig) -> None:
    tree, a, _b = _two_account_ledger(test_cfg, 3, 4)
    sig = _opened(test_cfg, tree, a, 3)
    for other in (4, 2, 3 + 2**7, 0):  # the neighbour (another account), an empty slot, a high bit, 0
        forged = copy.deepcopy(sig)
        forged["accountIndex"] = str(pack_account_index(data.ADDR, other))
        refused(witness_server, forged)


def test_the_same_address_at_two_indices_gives_two_distinct_proofs(
    witness_server: WitnessServer, test_cfg: CircuitConfig
) -> None:
    # The venue lists one address twice (indices 3 and 9): each opening states its own index, so a
    # registry that binds (address, index) to the enrolled index accepts only the enrolled one.
    a = Account(**data.ACCOUNT)
    tree = LedgerTree(test_cfg.LD, {3: account_commitment(a), 9: account_commitment(a)})
    seen = []
    for index in (3, 9):
        ok, out = witness_server.compute(_opened(test_cfg, tree, a, index), [2])
        assert ok, out
        assert isinstance(out, list)
        seen.append(unpack_account_index(out[0]))
    assert seen == [(data.ADDR, 3), (data.ADDR, 9)]
    # and the path of index 3 does not open index 9
    sig = _opened(test_cfg, tree, a, 3)
    sig["accountIndex"] = str(pack_account_index(data.ADDR, 9))
    refused(witness_server, sig)


def test_forged_ledger_paths_are_refused(witness_server: WitnessServer, test_cfg: CircuitConfig) -> None:
    tree, a, _b = _two_account_ledger(test_cfg, 5, 10)
    honest = _opened(test_cfg, tree, a, 5)
    for level in (0, 3, LD - 1):
        sig = copy.deepcopy(honest)
        sig["ledgerSiblings"][level] = str(int(sig["ledgerSiblings"][level]) + 1)
        refused(witness_server, sig)
    sig = copy.deepcopy(honest)
    sig["ledgerRoot"] = str(tree.root + 1)  # another published root
    refused(witness_server, sig)


def test_a_leaf_outside_the_tree_depth_is_refused(witness_server: WitnessServer, test_cfg: CircuitConfig) -> None:
    # A ledger one level deeper (a leaf below the tree's depth): its path is one sibling longer, so
    # the last LD siblings of it never lead to the root of the depth-LD ledger, nor do the first LD.
    a = Account(**data.ACCOUNT)
    deep = LedgerTree(LD + 1, {2**LD + 5: account_commitment(a)})
    path = deep.path(2**LD + 5)
    for siblings in (path[:LD], path[1:]):
        sig = _opened(test_cfg, LedgerTree(LD, {5: account_commitment(a)}), a, 5)
        sig["ledgerSiblings"] = [str(x) for x in siblings]
        sig["ledgerRoot"] = str(deep.root)
        refused(witness_server, sig)


@pytest.mark.parametrize("index", [2**LD, 2**LD + 5, 2**40], ids=["2^LD", "2^LD+5", "2^40"])
def test_an_index_beyond_the_ledger_is_refused(witness_server: WitnessServer, test_cfg: CircuitConfig, index: int) -> None:
    # bits above 160 + LD: the range check of accountIndex refuses them, whatever the path says
    tree, a, _b = _two_account_ledger(test_cfg, index % 2**LD, 200)
    sig = _opened(test_cfg, tree, a, index % 2**LD)
    sig["accountIndex"] = str(pack_account_index(data.ADDR, index))
    refused(witness_server, sig)


def test_an_empty_leaf_is_never_opened_as_an_account(witness_server: WitnessServer, test_cfg: CircuitConfig) -> None:
    # Index 7 is an empty slot (leaf 0): its path is public knowledge, yet no account data hashes
    # to 0, so the prover cannot open it for any book.
    tree, a, _b = _two_account_ledger(test_cfg, 3, 4)
    assert tree.levels[0].get(7, 0) == 0
    sig = _opened(test_cfg, tree, a, 3)
    sig["accountIndex"] = str(pack_account_index(data.ADDR, 7))
    sig["ledgerSiblings"] = [str(x) for x in tree.path(7)]
    refused(witness_server, sig)


def test_another_epochs_root_is_refused(witness_server: WitnessServer, test_cfg: CircuitConfig) -> None:
    # epoch 43 marks BTC down; the prover keeps epoch 42's friendlier data
    m43 = data.market(epoch=43)
    m43["instruments"][0]["mark_price"] = "65000"
    sig = _honest(test_cfg, data.ACCOUNT)
    sig["marketRoot"] = str(MarketCommitment(Market(**m43)).root)
    refused(witness_server, sig)
    sig["epoch"] = "43"  # claiming the epoch too does not help: the trees are epoch 42's
    refused(witness_server, sig)


def test_forged_market_values_are_refused(witness_server: WitnessServer, test_cfg: CircuitConfig) -> None:
    # collateral slots are in commitment order: ETH (slot 0) before USDC (slot 1)
    for key, slot, value in (
        ("posMark", 0, str(58000 * 10**8)),
        ("collHaircut", 0, "0"),
        ("collPrice", 1, str(2 * 10**8)),
        ("hasScen", 1, "0"),
    ):
        sig = _honest(test_cfg, data.ACCOUNT)
        assert sig[key][slot] != value
        sig[key][slot] = value
        refused(witness_server, sig)


def test_forged_tree_depth_is_refused(witness_server: WitnessServer, test_cfg: CircuitConfig) -> None:
    sig = _honest(test_cfg, data.ACCOUNT)
    sig["instrDepth"] = "1"
    refused(witness_server, sig)
    sig = _honest(test_cfg, data.ACCOUNT)
    sig["posPathBits"][0][2] = "1"  # an index bit above the tree's depth
    refused(witness_server, sig)


def test_asset_encoding_is_the_ascii_integer() -> None:
    assert asset_field("USDC") == int.from_bytes(b"USDC", "big")
    assert account_commitment(Account(**data.ACCOUNT)) != account_commitment(Account(**data.account(nonce=4)))


# ---------------------------------------------------------------- forged witnesses


@pytest.fixture(scope="module")
def insolvent_wtns(witness_server: WitnessServer, test_cfg: CircuitConfig, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wtns") / "insolvent.wtns"
    ok, out = witness_server.compute(_honest(test_cfg), [SOLVENT_IDX], wtns=path)
    assert ok and out == [0]
    return path


def test_honest_witness_passes_wtns_check(artifacts: Artifacts, insolvent_wtns: Path) -> None:
    ok, log = wtns_check(artifacts.r1cs, insolvent_wtns)
    assert ok, log


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("main.solvent", 1),  # the verdict itself
        ("main.worstLoss", 0),  # the scenario-margin hint, lowered
        ("main.pos[0].sizeR.nonNeg", 1),  # the sign bit of the short
        ("main.pos[0].reached[0]", 0),  # the tier selector
        ("main.posActive[2]", 1),  # an empty slot switched on
        ("main.pos[0].tiered", 0),  # the tiered margin of the position
        ("main.leafInv", 0),  # the ledger leaf's non-zero witness
        ("main.aiBits.out[160]", 1),  # the ledger index bit 0: another index, same path
        ("main.ledgerRoot", 1),  # another ledger root
    ],
)
def test_forged_witness_fails_the_r1cs(
    artifacts: Artifacts, sym: dict[str, int], insolvent_wtns: Path, tmp_path: Path, name: str, value: int
) -> None:
    forged = tmp_path / "forged.wtns"
    old = edit_wtns(insolvent_wtns, forged, sym[name], value)
    assert old != value, f"{name} already is {value}: the edit would prove nothing"
    ok, _log = wtns_check(artifacts.r1cs, forged)
    assert not ok, f"editing {name} from {old} to {value} still satisfied every constraint"
