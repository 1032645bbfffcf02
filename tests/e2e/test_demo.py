"""The README's first command, for real: the default circuit, its own anvil, the whole story."""

from __future__ import annotations

import pytest
from zksolvency.demo import DEPOSITS, USD, run_demo
from zksolvency.prover.config import load_config

from tests.conftest import TEST_BUILD


@pytest.mark.slow
def test_demo_tells_the_whole_story() -> None:
    cfg = load_config("default")
    measured = run_demo(cfg, TEST_BUILD)
    assert measured["constraints"] == 58306
    assert measured["trust"].startswith("single-party-development:")  # the demo says what its keys rest on
    assert measured["alice_statement_ok"] is True
    rep = measured["epoch_report"]
    assert (rep["accounts"], rep["solvent"], rep["insolvent"], rep["failed"]) == (3, 2, 1, [])
    st = measured["status"]
    assert [st[n]["index"] for n in ("alice", "bob", "carol")] == [0, 1, 2]
    # alice: attested by the venue's batch at 43, on her own at 44; she withdrew 1,000 of her deposit
    assert st["alice"]["solvent_now"] and st["alice"]["attested_epoch"] == 44 and st["alice"]["flag"] == "none"
    assert st["alice"]["vault"] == DEPOSITS["alice"] - 1_000 * USD and st["alice"]["held"] == 0
    # bob: flagged by his own insolvent proof, liquidated in five 20% slices, each at the end of its
    # auction: the full 5% bounty (above the 10 xUSD minimum), a 3% penalty, the rest held
    assert st["bob"]["flag"] == "insolvent" and not st["bob"]["solvent_now"] and st["bob"]["vault"] == 0
    assert measured["liquidate_bob"] == {
        "slices": 5,
        "seized": 2_500 * USD,
        "bounty": 125 * USD,
        "penalty": 75 * USD,
        "held": 2_300 * USD,
    }
    # carol: attested at 43 in the batch, silent at 44, flagged stale by the keeper process, liquidated
    # in slices once her cure window is over
    assert st["carol"]["flag"] == "stale" and st["carol"]["attested_epoch"] == 43 and st["carol"]["vault"] == 0
    assert st["carol"]["held"] == DEPOSITS["carol"] * 92 // 100
    assert measured["insurance_fund"] == (DEPOSITS["bob"] + DEPOSITS["carol"]) * 3 // 100
    flagged = [line for line in measured["keeper_log"] if "flagged" in line]
    assert len(flagged) == 1 and "epoch 44: flagged 1 stale" in flagged[0] and st["carol"]["account"] in flagged[0]
    assert measured["attest_batch_gas_per_account"] < measured["attest_gas"] < 300_000
