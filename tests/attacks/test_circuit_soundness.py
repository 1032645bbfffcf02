"""ATTACK: make an insolvent ledger entry come out ``solvent = 1`` (or open another account/index).

Two attacks beyond tests/circuits:

1. A generic under-constraint search on the compiled R1CS of the test instance: take honest
   witnesses (an insolvent book, a book that fills every slot, an empty book), change each private
   wire ALONE by several deltas and evaluate every constraint it touches in pure Python
   (tests/attacks/r1cs.py). A wire that can move alone is a degree of freedom a malicious prover
   owns. RESULT: REFUSED -- the only free wires are IsZero inverses whose input is 0
   (``DepthSelector.eq[k].isz.inv`` at k = the tree depth), which feed nothing.
2. Forged witness inputs the existing suite does not try (dropping a risk array by clearing
   ``hasScen``, committing positions out of tree order or with a gap, opening another
   instrument's leaf under one's id, claiming the accountIndex of a second leaf while opening the
   first). RESULT: REFUSED (each fails a constraint of the witness calculator).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from zksolvency.prover.config import CircuitConfig
from zksolvency.prover.setup import Artifacts
from zksolvency.prover.witness import LedgerOpening, build_input
from zksolvency.zkcore.bundle import pack_account_index
from zksolvency.zkcore.commitment import account_commitment
from zksolvency.zkcore.ledger import LedgerTree
from zksolvency.zkcore.models import Account, Market

from tests.attacks.r1cs import free_wires, read_r1cs, read_wtns, wire_names
from tests.helpers import data
from tests.helpers.witness import WitnessServer, recommit

pytestmark = pytest.mark.slow

FULL = {
    **data.INSOLVENT,
    "collateral": [{"asset": "USDC", "amount": "1000"}, {"asset": "ETH", "amount": "0.1"}],
    "positions": [
        {"instrument": 1, "size": "-2", "entry_price": "59000"},
        {"instrument": 7, "size": "3", "entry_price": "100"},
        {"instrument": 9, "size": "-40", "entry_price": "45"},
    ],
}
EMPTY = data.account(collateral=[], positions=[])


def _sig(cfg: CircuitConfig, a: dict[str, Any], index: int = 5) -> dict[str, Any]:
    acc = Account(**a)
    out: dict[str, Any] = build_input(acc, Market(**data.MARKET), cfg, opening=LedgerOpening.alone(acc, cfg.LD, index))
    return out


def _verdict_or_refusal(ws: WitnessServer, sig: dict[str, Any]) -> int | str:
    ok, out = ws.compute(sig, [1])
    if ok:
        assert isinstance(out, list)
        return out[0]
    assert isinstance(out, str)
    return out


# ---------------------------------------------------------------- 1. under-constraint search


@pytest.mark.parametrize("book", [data.INSOLVENT, FULL, EMPTY], ids=["insolvent", "every-slot", "empty"])
def test_no_private_wire_can_move_alone(
    witness_server: WitnessServer, artifacts: Artifacts, test_cfg: CircuitConfig, tmp_path: Path, book: dict[str, Any]
) -> None:
    r = read_r1cs(artifacts.r1cs)
    names = wire_names(artifacts.sym)
    wtns = tmp_path / "w.wtns"
    ok, out = witness_server.compute(_sig(test_cfg, book), [1], wtns)
    assert ok, out
    w = read_wtns(wtns)
    assert len(w) == r.n_wires
    assert r.failing(w) == [], "the honest witness must satisfy the R1CS (evaluator sanity check)"
    free = free_wires(r, w)
    suspicious = {x: names.get(x, ["?"]) for x in free if not all(n.endswith(".isz.inv") for n in names.get(x, ["?"]))}
    # an IsZero inverse is free exactly when its input is 0 (then out = 1 whatever inv is)
    for x in free:
        for n in names.get(x, []):
            if n.endswith(".isz.inv"):
                isz_in = n.removesuffix(".inv") + ".in"
                # with --O2 the input may be folded into a linear combination; check only when kept
                in_wires = [k for k, v in names.items() if isz_in in v]
                if in_wires:
                    assert w[in_wires[0]] == 0, f"{n} is free although its input is nonzero"
    assert not suspicious, f"under-constrained wires: {suspicious}"


# ---------------------------------------------------------------- 2. forged inputs


def test_clearing_has_scen_drops_no_scenario_margin(witness_server: WitnessServer, test_cfg: CircuitConfig) -> None:
    """Short 40 puts (instrument 9) carry a big scenario loss; a prover claims the instrument has
    no risk array (hasScen = 0, scen zeroed) to escape scenario margin."""
    honest = _sig(test_cfg, data.INSOLVENT)
    assert _verdict_or_refusal(witness_server, honest) == 0
    slot = next(i for i, v in enumerate(honest["posId"]) if v == "9")
    sig = copy.deepcopy(honest)
    sig["hasScen"][slot] = "0"
    sig["scen"][slot] = ["0"] * test_cfg.S
    res = _verdict_or_refusal(witness_server, sig)
    assert isinstance(res, str), f"ATTACK SUCCEEDED: verdict {res} without the risk array"


def test_positions_out_of_tree_order_are_refused(witness_server: WitnessServer, test_cfg: CircuitConfig) -> None:
    """A venue commits the positions in reverse order (a different leaf the circuit must not
    accept as a second encoding of a book)."""
    sig = _sig(test_cfg, FULL)
    for key in ("posId", "posSize", "posEntry", "posMark", "tierActive", "tierFloor", "tierRate", "tierDeduction",
                "hasScen", "scen", "posSiblings", "posPathBits"):  # fmt: skip
        sig[key][0], sig[key][2] = sig[key][2], sig[key][0]
    recommit(sig)
    assert isinstance(_verdict_or_refusal(witness_server, sig), str)


def test_gap_between_active_slots_is_refused(witness_server: WitnessServer, test_cfg: CircuitConfig) -> None:
    a = {**data.INSOLVENT, "positions": [data.INSOLVENT["positions"][0]]}
    sig = _sig(test_cfg, a)
    # move the only position to the last slot, leaving slots 0..1 empty
    for key in ("posActive", "posId", "posSize", "posEntry", "posMark", "tierActive", "tierFloor", "tierRate",
                "tierDeduction", "hasScen", "scen", "posSiblings", "posPathBits"):  # fmt: skip
        sig[key][2], sig[key][0] = sig[key][0], copy.deepcopy(sig[key][2])
    recommit(sig)
    assert isinstance(_verdict_or_refusal(witness_server, sig), str)


def test_an_id_opening_another_instruments_leaf_is_refused(witness_server: WitnessServer, test_cfg: CircuitConfig) -> None:
    """Keep the committed id (1, BTC-PERP, tiered) but open the leaf of ETH-PERP (cheaper tier,
    lower mark): the leaf hashes the id, so the opening fails."""
    honest = _sig(test_cfg, data.INSOLVENT)
    eth = _sig(test_cfg, data.account(positions=[{"instrument": 2, "size": "1", "entry_price": "1"}]))
    sig = copy.deepcopy(honest)
    for key in ("posMark", "tierActive", "tierFloor", "tierRate", "tierDeduction", "hasScen", "scen",
                "posSiblings", "posPathBits"):  # fmt: skip
        sig[key][0] = copy.deepcopy(eth[key][0])
    assert isinstance(_verdict_or_refusal(witness_server, sig), str)


def test_second_leaf_cannot_be_presented_at_the_first_index(witness_server: WitnessServer, test_cfg: CircuitConfig) -> None:
    """A venue puts the victim address twice: index 0 insolvent (the true book), index 9 solvent.
    A prover opens the solvent leaf (index 9) but packs index 0 into accountIndex, so that the
    registry (which knows index 0) would take it. The path bits ARE the index bits: refused."""
    insolvent, solvent = Account(**data.INSOLVENT), Account(**data.ACCOUNT)
    tree = LedgerTree(test_cfg.LD, {0: account_commitment(insolvent), 9: account_commitment(solvent)})
    good = build_input(solvent, Market(**data.MARKET), test_cfg, opening=LedgerOpening(9, tree.path(9), tree.root))
    assert _verdict_or_refusal(witness_server, dict(good)) == 1  # honest proof of the second leaf: index 9
    forged = copy.deepcopy(dict(good))
    forged["accountIndex"] = str(pack_account_index(data.ADDR, 0))
    assert isinstance(_verdict_or_refusal(witness_server, forged), str)
    # ... and with index 0's siblings instead of index 9's
    forged["ledgerSiblings"] = [str(x) for x in tree.path(0)]
    assert isinstance(_verdict_or_refusal(witness_server, forged), str)


# ---------------------------------------------------------------- 1b. the same search with tier chunks (T = 9)

T9 = "solvency_k3-a2-s4-t9-d3-c2-l4"


def test_no_private_wire_can_move_alone_with_tier_chunks(t9_compiled: Path, tmp_path: Path) -> None:
    """T = 9 instruments hash their tiers in a head and one further chunk of 5 (lib/market.circom);
    an instrument with 6 tiers uses the chunk, one with 2 does not. Same search as above on the
    instance tests/circuits/test_many_tiers.py compiles."""
    from zksolvency.prover.config import load_config

    d = t9_compiled
    cfg = load_config("test", {"T": 9, "LD": 4})
    assert cfg.name == T9
    m = data.market()
    m["instruments"][0]["mm_tiers"] = [
        {"notional_floor": str(f), "rate": str(r), "deduction": str(dd)}
        for f, r, dd in [(0, "0.004", 0), (250000, "0.005", 250), (1000000, "0.01", 5250),
                         (2000000, "0.02", 25250), (4000000, "0.03", 65250), (8000000, "0.05", 225250)]
    ]  # fmt: skip
    a = {**FULL, "positions": [{"instrument": 1, "size": "-70", "entry_price": "59000"}, *FULL["positions"][1:]]}
    acc = Account(**a)
    sig = build_input(acc, Market(**m), cfg, opening=LedgerOpening.alone(acc, cfg.LD, 3))
    _no_free_wire(d, T9, dict(sig), tmp_path)


def _no_free_wire(d: Path, name: str, sig: dict[str, Any], tmp_path: Path) -> None:
    """The under-constraint search on a compiled instance ``d/name``: the honest witness satisfies
    the R1CS and no private wire but an IsZero inverse can move alone."""
    ws = WitnessServer(d / f"{name}_js" / f"{name}.wasm")
    try:
        ok, out = ws.compute(sig, [1], tmp_path / "w.wtns")
    finally:
        ws.close()
    assert ok, out
    r = read_r1cs(d / f"{name}.r1cs")
    names = wire_names(d / f"{name}.sym")
    w = read_wtns(tmp_path / "w.wtns")
    assert r.failing(w) == []
    free = free_wires(r, w)
    suspicious = {x: names.get(x, ["?"]) for x in free if not all(n.endswith(".isz.inv") for n in names.get(x, ["?"]))}
    assert not suspicious, f"under-constrained wires: {suspicious}"


# ---------------------------------------------------------------- 1c. the same search on the DEFAULT instance

DEFAULT = "solvency_k8-a4-s16-t4-d12-c5-l20"


def test_no_private_wire_can_move_alone_in_the_default_instance(default_compiled: Path, tmp_path: Path) -> None:
    """The instance a deployment uses (K=8, A=4, S=16, T=4, D=12, DC=5, LD=20), with a book that
    fills 3 position slots (one with a 16-scenario risk array, one with 4 tiers) and 2 assets."""
    from zksolvency.prover.config import load_config

    d = default_compiled
    cfg = load_config("default")
    assert cfg.name == DEFAULT
    m = data.market()
    for ins in m["instruments"]:
        if ins["scenario_pnl"]:
            ins["scenario_pnl"] = (ins["scenario_pnl"] * 4)[:16]
    m["instruments"][0]["mm_tiers"].append({"notional_floor": "5000000", "rate": "0.02", "deduction": "15250"})
    acc = Account(**FULL)
    sig = build_input(acc, Market(**m), cfg, opening=LedgerOpening.alone(acc, cfg.LD, 1_000_003))
    _no_free_wire(d, DEFAULT, dict(sig), tmp_path)
