"""The README's first command, for real: the default circuit, its own anvil, the whole story."""

from __future__ import annotations

import pytest
from zksolvency.demo import run_demo
from zksolvency.prover.config import load_config

from tests.conftest import TEST_BUILD


@pytest.mark.slow
def test_demo_tells_the_whole_story() -> None:
    cfg = load_config("default")
    measured = run_demo(cfg, TEST_BUILD)
    assert measured["constraints"] == 58306
    assert measured["trust"].startswith("single-party-development:")  # the demo says what its keys rest on
    assert measured["alice_statement_ok"] is True
    st = measured["status"]
    assert [st[n]["index"] for n in ("alice", "bob", "carol")] == [0, 1, 2]
    assert st["alice"]["solvent_now"] and st["alice"]["attested_epoch"] == 43 and st["alice"]["flag"] == "none"
    assert st["bob"]["flag"] == "insolvent" and not st["bob"]["solvent_now"]
    assert st["carol"]["flag"] == "stale" and not st["carol"]["solvent_now"]
    assert measured["flag_stale_flagged"] == [st["carol"]["account"]]  # alice attested, bob flagged: skipped
    assert 200_000 < measured["attest_gas"] < 300_000
