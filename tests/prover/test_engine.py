"""The reference engine on hand-computed cases, and its scaled-integer twin on random portfolios."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

from zksolvency.prover.engine import MarginReport, margin_report
from zksolvency.zkcore.fixedpoint import format_fraction
from zksolvency.zkcore.models import Account, Market

from tests.helpers import data


def report(m: dict[str, Any], a: dict[str, Any]) -> MarginReport:
    return margin_report(Account(**a), Market(**m))


def test_hand_computed_example() -> None:
    r = report(data.MARKET, data.ACCOUNT)
    # 25000 + 1.5 * 3000.5 * 0.9
    assert r.collateral_value == Fraction("29050.675")
    # -0.75 * (61000 - 58000) + 10 * (152.25 - 140)
    assert r.pnl == Fraction("-2127.5")
    # 0.75 * 61000 = 45750 -> tier 0: 45750 * 0.004
    assert r.tiered_mm == Fraction(183)
    # long 10 calls: worst scenario -61.5 per unit -> 615
    assert r.scenario_mm == Fraction(615)
    assert r.solvent
    assert r.as_json()["equity"] == "26923.175"


def test_tier_boundary_uses_the_upper_tier() -> None:
    # |size| * mark = 250000 exactly: the tier with floor 250000 applies: 250000*0.005 - 250 = 1000
    a = data.account(positions=[{"instrument": 1, "size": "-5", "entry_price": "61000"}])
    m = data.market()
    m["instruments"][0]["mark_price"] = "50000"
    r = report(m, a)
    assert r.tiered_mm == Fraction(1000)
    a["positions"][0]["size"] = "-4.99999999"  # just below: tier 0, 0.004 * 249999.9995
    assert report(m, a).tiered_mm == Fraction("249999.9995") * Fraction("0.004")


def test_equality_is_solvent_one_unit_below_is_not() -> None:
    r = report(data.MARKET, data.account(collateral=[]))
    need = r.maintenance - r.equity  # 798 - (-2127.5): the USDC that closes the gap exactly
    assert need == Fraction("2925.5")
    at = report(data.MARKET, data.account(collateral=[{"asset": "USDC", "amount": format_fraction(need)}]))
    assert at.equity == at.maintenance and at.solvent
    below = format_fraction(need - Fraction(1, 10**8))
    assert not report(data.MARKET, data.account(collateral=[{"asset": "USDC", "amount": below}])).solvent


def test_negative_equity_and_empty_account() -> None:
    r = report(data.MARKET, data.INSOLVENT)
    assert r.equity < 0 and not r.solvent
    empty = report(data.MARKET, data.account(collateral=[], positions=[]))
    assert empty.equity == 0 and empty.maintenance == 0 and empty.solvent  # 0 >= 0


def test_deduction_larger_than_gross_margin_floors_at_zero() -> None:
    m = data.market()
    m["instruments"][0]["mm_tiers"][0]["deduction"] = "1000000"
    r = report(m, data.account(positions=[{"instrument": 1, "size": "1", "entry_price": "61000"}]))
    assert r.tiered_mm == 0


def test_scenarios_net_across_positions() -> None:
    # long 1 call + long 1 put: per scenario -61.5+30, -40+12.25, 35.5-20, 88-38 -> worst loss 31.5
    a = data.account(
        positions=[{"instrument": 7, "size": "1", "entry_price": "152.25"}, {"instrument": 9, "size": "1", "entry_price": "40.5"}]
    )
    assert report(data.MARKET, a).scenario_mm == Fraction("31.5")


def test_market_tree_cache_is_exact_and_keyed_by_content(tmp_path: Path) -> None:
    from zksolvency.zkcore.commitment import MarketCommitment, cached_market_commitment

    m = Market(**data.MARKET)
    fresh = MarketCommitment(m)
    first = cached_market_commitment(m, tmp_path)
    second = cached_market_commitment(m, tmp_path)  # read back from the file
    for mc in (first, second):
        assert mc.root == fresh.root
        assert mc.instrument_tree.levels == fresh.instrument_tree.levels
        assert mc.collateral_tree.path(1) == fresh.collateral_tree.path(1)
    assert len(list(tmp_path.iterdir())) == 1
    changed = data.market()
    changed["instruments"][2]["scenario_pnl"][0] = "-61.50000001"
    assert cached_market_commitment(Market(**changed), tmp_path).root == MarketCommitment(Market(**changed)).root
    assert len(list(tmp_path.iterdir())) == 2
    for f in tmp_path.iterdir():
        f.write_text("{not json")  # a damaged cache is rebuilt, never trusted
    assert cached_market_commitment(m, tmp_path).root == fresh.root
