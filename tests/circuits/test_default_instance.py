"""The default instance (K=8, A=4, S=16, T=4, 4,096 instruments) against the reference engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from zksolvency.prover.config import load_config
from zksolvency.prover.engine import margin_report
from zksolvency.prover.witness import build_input
from zksolvency.zkcore.models import Account, Market

from tests.helpers.strategies import portfolios
from tests.helpers.witness import WitnessServer

CFG = load_config("default")


@pytest.fixture(scope="module")
def default_server(default_compiled: Path) -> Iterator[WitnessServer]:
    ws = WitnessServer(default_compiled / f"{CFG.name}_js" / f"{CFG.name}.wasm")
    yield ws
    ws.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(portfolios(n_scen=16, max_instruments=24, max_positions=8, max_holdings=4, max_tiers=4))
def test_default_instance_matches_reference(default_server: WitnessServer, p: Any) -> None:
    m, a = Market(**p[0]), Account(**p[1])
    ok, out = default_server.compute(build_input(a, m, CFG), [1])
    assert ok, out
    assert out == [int(margin_report(a, m).solvent)]
