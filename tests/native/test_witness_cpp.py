"""circom's C++ witness generator (prover/witness_cpp.py), built by setup with the real toolchain:
its witness equals the wasm witness byte for byte, on the circuit's own edge cases and on random
portfolios; what it refuses, it refuses like the wasm one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zksolvency.prover import witness_cpp
from zksolvency.prover.config import CircuitConfig
from zksolvency.prover.setup import Artifacts
from zksolvency.prover.witness import LedgerOpening, build_input
from zksolvency.zkcore.errors import ToolError
from zksolvency.zkcore.models import Account, Market

from tests.helpers import data
from tests.helpers.strategies import edge_portfolios, portfolios
from tests.helpers.witness import WitnessServer

pytestmark = pytest.mark.slow


def _signals(m: dict[str, Any], a: dict[str, Any], cfg: CircuitConfig, index: int = 0) -> dict[str, Any]:
    acc = Account(**a)
    return build_input(acc, Market(**m), cfg, opening=LedgerOpening.alone(acc, cfg.LD, index))


def _same_witness(art: Artifacts, ws: WitnessServer, sig: dict[str, Any], d: Path) -> None:
    (d / "in.json").write_text(json.dumps(sig))
    witness_cpp.compute(art.witness_cpp, d / "in.json", d / "cpp.wtns")
    ok, err = ws.compute(sig, [], d / "wasm.wtns")
    assert ok, err
    assert (d / "cpp.wtns").read_bytes() == (d / "wasm.wtns").read_bytes()


def test_setup_built_the_generator_with_the_real_toolchain(artifacts: Artifacts) -> None:
    assert artifacts.witness_cpp.is_file() and artifacts.witness_cpp.with_suffix(".dat").is_file()
    stamp = json.loads((artifacts.witness_cpp.parent / "build.json").read_text())
    assert stamp["g++"] and stamp["nasm"].startswith("NASM") and "-O1" in stamp["cxxflags"] and "adx" in stamp["cpu"]


def test_example_witnesses_are_byte_identical(
    artifacts: Artifacts, witness_server: WitnessServer, test_cfg: CircuitConfig, tmp_path: Path
) -> None:
    for book in (data.ACCOUNT, data.INSOLVENT, data.account(positions=[], collateral=[])):
        _same_witness(artifacts, witness_server, _signals(data.MARKET, book, test_cfg, 5), tmp_path)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(st.one_of(portfolios(), edge_portfolios()), st.integers(0, 2**8 - 1))
def test_random_portfolios_are_byte_identical(
    artifacts: Artifacts, witness_server: WitnessServer, test_cfg: CircuitConfig, tmp_path: Path, p: Any, index: int
) -> None:
    m, a = p
    _same_witness(artifacts, witness_server, _signals(m, a, test_cfg, index), tmp_path)


def test_an_input_the_circuit_refuses_is_refused(
    artifacts: Artifacts, witness_server: WitnessServer, test_cfg: CircuitConfig, tmp_path: Path
) -> None:
    sig = _signals(data.MARKET, data.ACCOUNT, test_cfg)
    sig["ledgerRoot"] = str(int(sig["ledgerRoot"]) + 1)  # the opening no longer leads to it
    ok, _ = witness_server.compute(sig, [])
    assert not ok
    (tmp_path / "in.json").write_text(json.dumps(sig))
    with pytest.raises(ToolError, match="C\\+\\+ witness generator failed"):
        witness_cpp.compute(artifacts.witness_cpp, tmp_path / "in.json", tmp_path / "w.wtns")
