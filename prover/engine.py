"""Reference margin engine: SPEC §2 in exact rational arithmetic, no floats, no rounding.

This is the plain reference that the circuit is checked against (py_ecc keeps its reference
beside its optimized twin the same way); :mod:`prover.witness` holds the scaled-integer twin
that mirrors the circuit's arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from zksolvency.zkcore.fixedpoint import MONEY_SCALE, RATE_SCALE, format_fraction
from zksolvency.zkcore.models import Account, Instrument, Market, Tier


def _money(x: int) -> Fraction:
    return Fraction(x, MONEY_SCALE)


def _rate(x: int) -> Fraction:
    return Fraction(x, RATE_SCALE)


@dataclass(frozen=True)
class MarginReport:
    """Every quantity of SPEC §2 for one account at one market epoch."""

    collateral_value: Fraction
    pnl: Fraction
    tiered_mm: Fraction
    scenario_mm: Fraction
    account: str = ""
    epoch: int = 0

    @property
    def equity(self) -> Fraction:
        """collateral_value + pnl (may be negative)."""
        return self.collateral_value + self.pnl

    @property
    def maintenance(self) -> Fraction:
        """tiered_mm + scenario_mm."""
        return self.tiered_mm + self.scenario_mm

    @property
    def solvent(self) -> bool:
        """equity >= maintenance (equality is solvent)."""
        return self.equity >= self.maintenance

    def as_json(self) -> dict[str, object]:
        """The object ``check --json`` prints: exact decimal strings and a boolean."""
        return {
            "collateral_value": format_fraction(self.collateral_value),
            "pnl": format_fraction(self.pnl),
            "equity": format_fraction(self.equity),
            "tiered_mm": format_fraction(self.tiered_mm),
            "scenario_mm": format_fraction(self.scenario_mm),
            "maintenance": format_fraction(self.maintenance),
            "solvent": self.solvent,
        }


def select_tier(tiers: list[Tier], notional: Fraction) -> Tier | None:
    """The tier with the greatest notional_floor <= notional (None without tiers)."""
    chosen = None
    for t in tiers:
        if _money(t.notional_floor) <= notional:
            chosen = t
    return chosen


def tiered_term(ins: Instrument, size: int) -> Fraction:
    """max(0, notional * rate(tier) - deduction(tier)) for one position (0 without tiers)."""
    notional = abs(_money(size)) * _money(ins.mark_price)
    tier = select_tier(list(ins.mm_tiers), notional)
    if tier is None:
        return Fraction(0)
    return max(Fraction(0), notional * _rate(tier.rate) - _money(tier.deduction))


def margin_report(account: Account, market: Market) -> MarginReport:
    """Compute SPEC §2 for an account that has been checked against the market."""
    collateral_value = Fraction(0)
    for h in account.collateral:
        c = market.collateral_asset(h.asset)
        collateral_value += _money(h.amount) * _money(c.price) * (1 - _rate(c.haircut))
    pnl = Fraction(0)
    tiered = Fraction(0)
    n_s = market.n_scenarios
    scenario_loss = [Fraction(0)] * n_s
    for p in account.positions:
        ins = market.instrument(p.instrument)
        pnl += _money(p.size) * (_money(ins.mark_price) - _money(p.entry_price))
        tiered += tiered_term(ins, p.size)
        for s, v in enumerate(ins.scenario_pnl):
            scenario_loss[s] -= _money(p.size) * _money(v)
    scenario_mm = max([Fraction(0), *scenario_loss])
    return MarginReport(collateral_value, pnl, tiered, scenario_mm, account.account, market.epoch)
