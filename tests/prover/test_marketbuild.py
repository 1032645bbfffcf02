"""market build: Black-Scholes in exact decimal, SPAN risk arrays, a valid market out."""

from __future__ import annotations

import copy
import json
import math
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from zksolvency.cli import main
from zksolvency.oracle.marketbuild import black_scholes, build_market, norm_cdf, q8
from zksolvency.zkcore.models import Market

from tests.helpers.files import read_json_object, write_json

SPEC = Path(__file__).resolve().parents[2] / "examples" / "market-spec.json"


def spec() -> dict[str, Any]:
    return read_json_object(SPEC)


def test_normal_cdf_known_values() -> None:
    assert norm_cdf(Decimal(0)) == Decimal("0.5")
    # an independent cross-check (a float is fine here: this is a test oracle, not money)
    for x in ("-3.5", "-1.2", "0.3", "1.96", "4"):
        assert abs(norm_cdf(Decimal(x)) - Decimal(0.5 * (1 + math.erf(float(x) / math.sqrt(2))))) < Decimal("1e-15")
    assert abs(norm_cdf(Decimal("-1")) + norm_cdf(Decimal("1")) - 1) < Decimal("1e-60")
    assert norm_cdf(Decimal(-40)) == 0 and norm_cdf(Decimal(40)) == 1


@pytest.mark.parametrize("rate", ["0", "0.05"])
def test_put_call_parity(rate: str) -> None:
    s, k, v, t, r = Decimal("3000.5"), Decimal("2800"), Decimal("0.65"), Decimal("0.25"), Decimal(rate)
    c = black_scholes("call", s, k, v, t, r)
    p = black_scholes("put", s, k, v, t, r)
    with localcontext() as ctx:
        ctx.prec = 60
        assert abs((c - p) - (s - k * (-r * t).exp())) < Decimal("1e-50")


def test_built_market_is_valid_and_deterministic(tmp_path: Path) -> None:
    m1, m2 = build_market(SPEC), build_market(SPEC)
    assert m1 == m2
    market = Market(**m1)
    assert market.n_scenarios == 16
    call = next(i for i in m1["instruments"] if i["symbol"].endswith("3000-C"))
    put = next(i for i in m1["instruments"] if i["symbol"].endswith("3000-P"))
    # ETH spot 3000.5, strike 3000, rate 0: parity holds to the rounding of the two marks
    assert Decimal(call["mark_price"]) - Decimal(put["mark_price"]) == Decimal("0.5")
    pnl = [Decimal(x) for x in call["scenario_pnl"]]
    assert pnl[0] > 0 > pnl[1]  # long options gain when volatility rises (vega)
    assert pnl[10] > pnl[6] > pnl[2] > 0 > pnl[4] > pnl[8] > pnl[12]  # and gain with price for a call
    assert pnl[2] + pnl[4] > 0  # convexity (gamma): +1/3 and -1/3 do not cancel


def test_extreme_moves_count_35_percent() -> None:
    m = build_market(SPEC)
    perp = next(i for i in m["instruments"] if i["symbol"] == "ETH-PERP")
    # linear array of the perp: range 12% of 3000.5 = 360.06; extreme 3x at 35%
    assert perp["scenario_pnl"][2] == "120.02" and perp["scenario_pnl"][14] == str(
        q8(Decimal("360.06") * 3 * Decimal("0.35")).normalize()
    )


def test_cli_market_build_and_bad_spec(tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    r = CliRunner().invoke(main, ["market", "build", str(SPEC), "-o", str(out)])
    assert r.exit_code == 0 and "6 instruments (5 with risk arrays)" in r.output
    assert json.loads(out.read_text()) == build_market(SPEC)
    bad = spec()
    bad["instruments"][2]["underlying"] = "SOL"
    out2 = tmp_path / "m2.json"
    r = CliRunner().invoke(main, ["market", "build", str(write_json(tmp_path / "s.json", bad)), "-o", str(out2)])
    assert r.exit_code == 2 and "instruments[2].underlying" in r.output and not out2.exists()
    bad = copy.deepcopy(spec())
    bad["instruments"][2]["expiry"] = bad["timestamp"]
    r = CliRunner().invoke(main, ["market", "build", str(write_json(tmp_path / "s.json", bad)), "-o", str(out2)])
    assert r.exit_code == 2 and "expiry" in r.output and not out2.exists()


def test_invalid_result_names_the_field_in_the_spec(tmp_path: Path) -> None:
    bad = spec()
    bad["instruments"][0]["mm_tiers"][2]["notional_floor"] = "100"  # floors no longer increase
    out = tmp_path / "m.json"
    r = CliRunner().invoke(main, ["market", "build", str(write_json(tmp_path / "s.json", bad)), "-o", str(out)])
    assert r.exit_code == 2 and not out.exists()
    assert "instruments[0].mm_tiers[2].notional_floor: tier floors must strictly increase" in r.output
