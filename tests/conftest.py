"""Session-scoped artifacts: the small test circuit is compiled and set up once per session
(cached across sessions by the hash of its sources in build/pytest)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prover.config import ROOT, CircuitConfig, load_config
from prover.setup import Artifacts, setup
from tests.helpers.witness import WitnessServer, read_sym

TEST_BUILD = ROOT / "build" / "pytest"
os.environ["ZKSOLVENCY_BUILD"] = str(TEST_BUILD)


@pytest.fixture(scope="session")
def test_cfg() -> CircuitConfig:
    """The small instance every circuit test uses."""
    return load_config("test")


@pytest.fixture(scope="session")
def artifacts(test_cfg: CircuitConfig) -> Artifacts:
    """Compiled test circuit with its Groth16 keys."""
    return setup(test_cfg, TEST_BUILD)


@pytest.fixture(scope="session")
def witness_server(artifacts: Artifacts) -> Iterator[WitnessServer]:
    """The test circuit's witness calculator, warm for the whole session."""
    ws = WitnessServer(artifacts.wasm)
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def sym(artifacts: Artifacts) -> dict[str, int]:
    """Signal name -> witness index of the test circuit."""
    return read_sym(artifacts.sym)


def write_json(path: Path, data: Any) -> Path:
    """Write JSON test input."""
    path.write_text(json.dumps(data, indent=1))
    return path
