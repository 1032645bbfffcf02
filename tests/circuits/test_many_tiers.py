"""Instruments with more tier slots than the record's head holds (T > 4): the chunk chain of
``InstrumentLeaf`` against the reference engine, and a dropped tier refused."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from zksolvency.prover.config import load_config
from zksolvency.prover.engine import margin_report
from zksolvency.prover.witness import build_input
from zksolvency.zkcore.models import Account, Market

from tests.helpers import data
from tests.helpers.strategies import portfolios
from tests.helpers.witness import WitnessServer

pytestmark = pytest.mark.slow

CFG = load_config("test", {"T": 9, "LD": 4})  # the head's 4 tiers and one further chunk of 5


@pytest.fixture(scope="module")
def server(t9_compiled: Path) -> Iterator[WitnessServer]:
    ws = WitnessServer(t9_compiled / f"{CFG.name}_js" / f"{CFG.name}.wasm")
    yield ws
    ws.close()


def _tiers(n: int) -> list[dict[str, str]]:
    return [{"notional_floor": str(50000 * k), "rate": f"0.00{k + 1}", "deduction": str(60 * k)} for k in range(n)]


@pytest.mark.parametrize("n_tiers", [0, 4, 5, 7, 9])
def test_every_tier_count_opens_its_leaf(server: WitnessServer, n_tiers: int) -> None:
    m = data.market()
    m["instruments"][0]["mm_tiers"] = _tiers(n_tiers)
    for size in ("-0.5", "-3", "-7.5"):  # notionals in the head's tiers and in the chunk's
        a = data.account(positions=[{"instrument": 1, "size": size, "entry_price": "61000"}])
        ok, out = server.compute(build_input(Account(**a), Market(**m), CFG), [1])
        assert ok, out
        assert out == [int(margin_report(Account(**a), Market(**m)).solvent)]


def test_dropping_a_tier_of_the_second_chunk_is_refused(server: WitnessServer) -> None:
    m = data.market()
    m["instruments"][0]["mm_tiers"] = _tiers(7)
    a = data.account(positions=[{"instrument": 1, "size": "-7.5", "entry_price": "61000"}])
    honest = build_input(Account(**a), Market(**m), CFG)
    for mutate in (
        lambda s: s["tierActive"][0].__setitem__(6, "0"),  # the last tier disappears
        lambda s: [s["tierActive"][0].__setitem__(j, "0") for j in (4, 5, 6)],  # the whole chunk
        lambda s: s["tierRate"][0].__setitem__(5, "1"),  # a rate in the chunk
    ):
        sig: dict[str, Any] = copy.deepcopy(honest)
        mutate(sig)
        ok, _out = server.compute(sig, [1])
        assert not ok


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(portfolios(max_tiers=9))
def test_many_tiers_match_the_reference(server: WitnessServer, p: Any) -> None:
    m, a = Market(**p[0]), Account(**p[1])
    ok, out = server.compute(build_input(a, m, CFG), [1])
    assert ok, out
    assert out == [int(margin_report(a, m).solvent)]


def test_config_is_what_the_name_says() -> None:
    assert Path(CFG.name).name.endswith("-t9-d3-c2-l4")
