"""The README's first command, for real: the default circuit, its own anvil, the whole story."""

from __future__ import annotations

import pytest
from zksolvency.demo import DEPOSITS, USD, run_demo
from zksolvency.prover.config import load_config

from tests.helpers.files import TEST_BUILD


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
    # bob: flagged by his own insolvent proof; the keeper daemon took his deposit in five 20% slices,
    # each once its rising bounty (10 -> 25 xUSD over the auction) covered the keeper's gas and its
    # 15 xUSD (0.006 ETH at 0.0004 ETH per xUSD) of profit; a 3% penalty each; the rest held
    liq = measured["liquidate_bob"]
    assert (liq["slices"], liq["seized"], liq["penalty"]) == (5, 2_500 * USD, 75 * USD)
    assert liq["bounty"] + liq["penalty"] + liq["held"] == liq["seized"]
    assert 5 * 15 * USD < liq["bounty"] <= 5 * 25 * USD
    assert measured["keeper"]["bounty_earned"] == liq["bounty"] and measured["keeper"]["gas_cost_wei"] > 0
    # the venue took what was held, closed his book at 2,450 xUSD of loss: the fund covered the rest
    sf = measured["shortfall"]
    assert sf == {"reported": 2_450 * USD - liq["held"], "covered": 2_450 * USD - liq["held"], "socialised": 0}
    assert measured["insurance_fund"] == 500 * USD + liq["penalty"] - sf["covered"]
    assert st["bob"]["flag"] == "none" and not st["bob"]["solvent_now"] and st["bob"]["vault"] == st["bob"]["held"] == 0
    # carol: attested at 43 in the batch, silent at 44, flagged stale by the keeper process, then
    # proved inside her cure window: her flag cleared, no slice ever taken, she withdrew 100
    assert st["carol"]["flag"] == "none" and st["carol"]["attested_epoch"] == 44 and st["carol"]["solvent_now"]
    assert st["carol"]["vault"] == DEPOSITS["carol"] - 100 * USD and st["carol"]["held"] == 0
    assert measured["carol_slices"] == 0 and 0 < measured["carol_cured_s_before_window_end"] <= 900
    flagged = [line for line in measured["keeper_log"] if "flagged" in line]
    assert len(flagged) == 1 and "epoch 44: flagged 1 stale" in flagged[0] and st["carol"]["account"] in flagged[0]
    assert measured["attest_batch_gas_per_account"] < measured["attest_gas"] < 300_000
