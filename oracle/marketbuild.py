"""Oracle side: build a ``market.json`` from instrument definitions, with SPAN-style risk arrays.

Options are priced with Black-Scholes; their risk array holds the per-unit PnL of a long position
under the 16 standard SPAN scenarios (CME's order):

====  ===========================  ==========
 #    underlying price move         volatility
====  ===========================  ==========
1, 2  unchanged                     up, down
3, 4  +1/3 of the price range       up, down
5, 6  -1/3                          up, down
7, 8  +2/3                          up, down
9,10  -2/3                          up, down
11,12 +3/3                          up, down
13,14 -3/3                          up, down
15    +extreme (3 x the range)      unchanged, 35 % of the PnL counted
16    -extreme                      unchanged, 35 % counted
====  ===========================  ==========

so gamma (curvature in the price moves) and vega (the volatility shifts) enter the margin through
``scenario_mm``. Perpetuals get their tier tables and, with ``"risk_array": true``, a linear array so
option books hedged with perps net in the scenarios.

All arithmetic is :mod:`decimal` at 80 digits (deterministic on every machine, no floats); marks and
array entries are then rounded half-even to the 8 fractional digits SPEC §1 allows. That rounding
belongs to the oracle's pricing model: the margin semantics downstream stay exact.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from functools import lru_cache
from pathlib import Path
from typing import Any

from zksolvency.zkcore.errors import InputError
from zksolvency.zkcore.jsonio import read_json
from zksolvency.zkcore.models import parse_market

PREC = 80
EIGHT = Decimal("0.00000001")
YEAR_SECONDS = Decimal(365 * 86400)
#: (price move in thirds of the range, volatility shift: +1 up, -1 down, 0 unchanged)
SCENARIOS: tuple[tuple[int, int], ...] = (
    (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1), (2, 1), (2, -1), (-2, 1), (-2, -1),
    (3, 1), (3, -1), (-3, 1), (-3, -1),
)  # fmt: skip
MIN_VOL = Decimal("0.01")


@lru_cache(maxsize=1)
def _pi() -> Decimal:
    """pi by Machin's formula at PREC digits."""

    def atan_inv(x: int) -> Decimal:
        total, term, n, sign = Decimal(0), Decimal(1) / x, 1, 1
        x2 = x * x
        while term > Decimal(10) ** -(PREC + 5):
            total += sign * term / n
            term /= x2
            n += 2
            sign = -sign
        return total

    with localcontext() as ctx:
        ctx.prec = PREC + 10
        return +(16 * atan_inv(5) - 4 * atan_inv(239))


def norm_cdf(x: Decimal) -> Decimal:
    """Standard normal CDF: 1/2 + phi(x) * sum x^(2n+1) / (2n+1)!! (Marsaglia), no cancellation."""
    if x > 14:
        return Decimal(1)
    if x < -14:
        return Decimal(0)
    with localcontext() as ctx:
        ctx.prec = PREC
        phi = (-(x * x) / 2).exp() / (2 * _pi()).sqrt()
        term, total, n = x, x, 1
        eps = Decimal(10) ** -(PREC - 5)
        while abs(term) > eps * abs(total) or n < 3:
            term = term * x * x / (2 * n + 1)
            total += term
            n += 1
        return Decimal("0.5") + phi * total


def black_scholes(right: str, spot: Decimal, strike: Decimal, vol: Decimal, years: Decimal, rate: Decimal) -> Decimal:
    """Black-Scholes price of a European call or put."""
    with localcontext() as ctx:
        ctx.prec = PREC
        if spot <= 0:
            intrinsic = strike * (-rate * years).exp() if right == "put" else Decimal(0)
            return intrinsic
        sd = vol * years.sqrt()
        d1 = ((spot / strike).ln() + (rate + vol * vol / 2) * years) / sd
        d2 = d1 - sd
        disc = strike * (-rate * years).exp()
        if right == "call":
            return spot * norm_cdf(d1) - disc * norm_cdf(d2)
        return disc * norm_cdf(-d2) - spot * norm_cdf(-d1)


def q8(x: Decimal) -> Decimal:
    """Round half-even to 8 fractional digits."""
    return x.quantize(EIGHT, rounding=ROUND_HALF_EVEN)


def dstr(x: Decimal) -> str:
    """Plain decimal string without exponent or trailing zeros."""
    s = format(x, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _dec(spec: dict[str, Any], key: str, where: str, path: Path) -> Decimal:
    v = spec.get(key)
    if not isinstance(v, str):
        raise InputError(str(path), f"{where}.{key}", 'must be a decimal string like "0.65"')
    try:
        d = Decimal(v)
    except ArithmeticError:
        raise InputError(str(path), f"{where}.{key}", f"not a decimal: {v!r}") from None
    if not d.is_finite() or d < 0:
        raise InputError(str(path), f"{where}.{key}", f"must be a non-negative decimal, got {v!r}")
    return d


def build_market(spec_path: Path) -> dict[str, Any]:
    """The market.json content for a market-spec file (validated against SPEC §1)."""
    spec = read_json(spec_path)
    if not isinstance(spec, dict):
        raise InputError(str(spec_path), None, "must hold one JSON object")
    scan = spec.get("scan", {})
    if not isinstance(scan, dict):
        raise InputError(str(spec_path), "scan", "must be an object")
    price_range = _dec({"price_range": "0.1", **scan}, "price_range", "scan", spec_path)
    vol_range = _dec({"vol_range": "0.05", **scan}, "vol_range", "scan", spec_path)
    extreme = _dec({"extreme_multiple": "3", **scan}, "extreme_multiple", "scan", spec_path)
    cover = _dec({"extreme_cover": "0.35", **scan}, "extreme_cover", "scan", spec_path)
    rate = _dec({"rate": "0", **spec}, "rate", "", spec_path)
    underlyings = spec.get("underlyings")
    if not isinstance(underlyings, dict):
        raise InputError(str(spec_path), "underlyings", "must map names to {spot, vol}")
    timestamp = spec.get("timestamp")
    if not isinstance(timestamp, int):
        raise InputError(str(spec_path), "timestamp", "must be an integer")

    instruments = []
    raw_instruments = spec.get("instruments")
    if not isinstance(raw_instruments, list):
        raise InputError(str(spec_path), "instruments", "must be a list")
    for i, ins in enumerate(raw_instruments):
        where = f"instruments[{i}]"
        if not isinstance(ins, dict):
            raise InputError(str(spec_path), where, "must be an object")
        und = underlyings.get(ins.get("underlying"))
        if not isinstance(und, dict):
            raise InputError(str(spec_path), f"{where}.underlying", f"unknown underlying {ins.get('underlying')!r}")
        spot = _dec(und, "spot", f"underlyings.{ins['underlying']}", spec_path)
        kind = ins.get("type")
        scen: list[str] = []
        if kind == "perp":
            mark = spot
            if ins.get("risk_array"):
                moves = [spot * price_range * m / 3 for m, _ in SCENARIOS]
                moves += [spot * price_range * extreme * cover, -spot * price_range * extreme * cover]
                scen = [dstr(q8(m)) for m in moves]
        elif kind == "option":
            right = ins.get("right")
            if right not in ("call", "put"):
                raise InputError(str(spec_path), f"{where}.right", 'must be "call" or "put"')
            strike = _dec(ins, "strike", where, spec_path)
            vol = _dec({"vol": und.get("vol"), **ins}, "vol", where, spec_path)
            expiry = ins.get("expiry")
            if not isinstance(expiry, int) or expiry <= timestamp:
                raise InputError(str(spec_path), f"{where}.expiry", "must be a unix time after the market timestamp")
            years = Decimal(expiry - timestamp) / YEAR_SECONDS
            value = black_scholes(right, spot, strike, vol, years, rate)
            mark = q8(value)
            pnl = []
            for m, v in SCENARIOS:
                s1 = spot * (1 + price_range * m / 3)
                v1 = max(vol + v * vol_range, MIN_VOL)
                pnl.append(black_scholes(right, s1, strike, v1, years, rate) - value)
            for sign in (1, -1):
                s1 = spot * (1 + sign * price_range * extreme)
                pnl.append(cover * (black_scholes(right, max(s1, Decimal(0)), strike, vol, years, rate) - value))
            scen = [dstr(q8(p)) for p in pnl]
        else:
            raise InputError(str(spec_path), f"{where}.type", 'must be "perp" or "option"')
        instruments.append(
            {
                "id": ins.get("id"),
                "symbol": ins.get("symbol"),
                "mark_price": dstr(q8(mark)),
                "mm_tiers": ins.get("mm_tiers", []),
                "scenario_pnl": scen,
            }
        )
    market = {
        "epoch": spec.get("epoch"),
        "timestamp": timestamp,
        "collateral": spec.get("collateral", []),
        "instruments": instruments,
    }
    # the result must be a valid market: the SPEC §1 models, with errors naming the spec file
    parse_market(market, spec_path)
    return market


def write_market(spec_path: Path, out: Path) -> dict[str, Any]:
    """Build and write atomically."""
    from zksolvency.zkcore.files import write_atomic

    if not out.parent.is_dir():
        raise InputError(str(out), None, "the output directory does not exist")
    market = build_market(spec_path)
    write_atomic(out, json.dumps(market, indent=1) + "\n")
    return market
