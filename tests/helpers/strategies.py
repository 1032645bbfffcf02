"""Hypothesis strategies: random markets and accounts that fit the test circuit.

Values are coarse (few decimals) so that an account can be tuned to sit *exactly* on the margin
line: `equity == maintenance` (and one unit of 1e-8 either side) is drawn on purpose, as are
notionals exactly on a tier floor, shorts, option risk arrays, negative equity and empty accounts.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, TypedDict

from hypothesis import strategies as st
from zksolvency.zkcore.fixedpoint import format_fraction

S = 4  # scenarios in the test circuit
MAX_INSTRUMENTS = 8  # 2^D, D = 3
MAX_POSITIONS = 3  # K
MAX_HOLDINGS = 2  # A
MAX_TIERS = 3  # T


class _Held(TypedDict):
    """A drawn position: the index of its instrument, its size and its entry price."""

    k: int
    size: Fraction
    entry: Fraction


def dec(draw: st.DrawFn, lo: int, hi: int, places: int) -> Fraction:
    """A decimal in [lo, hi] with at most `places` fractional digits."""
    return Fraction(draw(st.integers(lo * 10**places, hi * 10**places)), 10**places)


def s(x: Fraction) -> str:
    """Exact decimal string."""
    return format_fraction(x)


@st.composite
def portfolios(
    draw: st.DrawFn,
    n_scen: int = S,
    max_instruments: int = MAX_INSTRUMENTS,
    max_positions: int = MAX_POSITIONS,
    max_holdings: int = MAX_HOLDINGS,
    max_tiers: int = MAX_TIERS,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(market dict, account dict), both valid per SPEC §1 and within the given circuit limits."""
    n_ins = draw(st.integers(1, max_instruments))
    ids = draw(st.lists(st.integers(0, 2**32 - 1), min_size=n_ins, max_size=n_ins, unique=True))
    with_scen = draw(st.booleans())
    marks = [dec(draw, 0, 70000, 2) for _ in ids]

    n_pos = draw(st.integers(0, min(max_positions, n_ins)))
    held = draw(st.permutations(range(n_ins)))[:n_pos]
    positions: list[_Held] = []
    for k in held:
        size = dec(draw, -50, 50, 2)
        positions.append({"k": k, "size": size, "entry": dec(draw, 0, 70000, 2)})

    instruments = []
    for k, (iid, mark) in enumerate(zip(ids, marks, strict=True)):
        floors = sorted(set(draw(st.lists(st.integers(1, 4_000_000), max_size=max_tiers - 1))))
        floors_f = [Fraction(f, 100) for f in floors]
        # put a held position's notional exactly on a floor now and then
        for p in positions:
            if p["k"] == k and draw(st.booleans()):
                notional = abs(p["size"]) * mark
                if notional > 0 and notional.denominator in (1, 2, 4, 5, 10, 20, 25, 50, 100, 1000, 10000):
                    floors_f = sorted(set(floors_f) | {notional})
        n_tiers = draw(st.integers(0, max_tiers))
        floors_f = ([Fraction(0)] + [f for f in floors_f if f > 0])[: max(n_tiers, 0)]
        tiers = []
        for f in floors_f:
            tiers.append({"notional_floor": s(f), "rate": s(dec(draw, 0, 1, 4) / 10), "deduction": s(dec(draw, 0, 3000, 2))})
        scen = [s(dec(draw, -500, 500, 2)) for _ in range(n_scen)] if with_scen and draw(st.booleans()) else []
        instruments.append({"id": iid, "symbol": f"I{k}", "mark_price": s(mark), "mm_tiers": tiers, "scenario_pnl": scen})

    assets = ["USDC", "ETH", "BTC", "wstETH"][: draw(st.integers(1, 4))]
    collateral = [{"asset": "USDC", "price": "1", "haircut": "0"}] + [
        {"asset": a, "price": s(dec(draw, 0, 70000, 2)), "haircut": s(dec(draw, 0, 1, 2))} for a in assets[1:]
    ]
    market = {
        "epoch": draw(st.integers(0, 2**64 - 1)),
        "timestamp": 1764000000,
        "collateral": collateral,
        "instruments": instruments,
    }

    holdings = []
    for a in draw(st.lists(st.sampled_from(assets), max_size=max_holdings, unique=True)):
        holdings.append({"asset": a, "amount": s(dec(draw, 0, 100000, 2))})
    account = {
        "account": "0x" + draw(st.binary(min_size=20, max_size=20)).hex(),
        "nonce": draw(st.integers(0, 2**64 - 1)),
        # SPEC §1 salts are at least 2^128: a non-zero first byte of 31 keeps them >= 2^240
        "salt": "0x" + (bytes([draw(st.integers(1, 255))]) + draw(st.binary(min_size=30, max_size=30))).hex(),
        "collateral": holdings,
        "positions": [{"instrument": ids[p["k"]], "size": s(p["size"]), "entry_price": s(p["entry"])} for p in positions],
    }
    return market, account


@st.composite
def edge_portfolios(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """Portfolios tuned so equity - maintenance is exactly -1e-8, 0 or +1e-8 when possible."""
    from zksolvency.prover.engine import margin_report
    from zksolvency.zkcore.models import Account, Market

    market, account = draw(portfolios())
    delta = draw(st.sampled_from([Fraction(-1, 10**8), Fraction(0), Fraction(1, 10**8)]))
    others = [h for h in account["collateral"] if h["asset"] != "USDC"][: MAX_HOLDINGS - 1]
    acc0 = {**account, "collateral": others}
    r = margin_report(Account(**acc0), Market(**market))
    usdc = r.maintenance - r.equity + delta
    if usdc >= 0 and (usdc * 10**8).denominator == 1 and usdc < 2**40:
        account = {**account, "collateral": [{"asset": "USDC", "amount": s(usdc)}, *others]}
    return market, account
