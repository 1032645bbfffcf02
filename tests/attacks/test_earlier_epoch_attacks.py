"""ATTACK the registry's earlier-epoch attestations, the grace clock's binary search,
and attestBatch at an earlier epoch, with real proofs on a real anvil (tests/contracts fixtures).
"""

from __future__ import annotations

import contextlib
import json
import random
from pathlib import Path
from typing import Any

import pytest
from eth_typing import ChecksumAddress
from web3 import Web3
from zksolvency.onchain.client import Chain
from zksolvency.onchain.tx import ChainError

from tests.attacks.test_grace_and_ledger_attacks import ledger_then_next_market, mine
from tests.batch.test_attest_batch import attest_batch_call
from tests.helpers.batch import LEDGER_ACCOUNTS, ledger_address
from tests.helpers.chain import GRACE, LEDGER_GRACE, OneBlock, Roles, at, now, publish_with_ledger, refused
from tests.helpers.registry import ENROLLED, OTHER, bundle, signal

pytestmark = pytest.mark.slow


# ------------------------------------------------------------ the grace clock against its formula


@pytest.mark.parametrize("seed", [7, 11, 23, 101])
def test_the_deadline_matches_the_formula_for_every_owed_epoch_and_ledger_pattern(chain: Chain, roles: Roles, seed: int) -> None:
    """ATTACK: off-by-one in `_firstLedgerFrom`'s binary search. Before each publication a fresh
    account is enrolled (so it owes exactly that publication); ledgers come for a random subset of
    epochs (the very owed one, non-consecutive ones, none after some), at random delays inside and
    beyond ledgerGrace. Every `staleAt` must be gracePeriod + min(L, M + ledgerGrace).
    Refused: every deadline is exact."""
    rng = random.Random(seed)
    oracle, reg = chain.contract("oracle").functions, chain.contract("registry").functions
    first = int(oracle.latest().call()[0]) + 1
    seq0 = int(oracle.publicationCount().call())
    t = now(chain) + 10
    owed: dict[ChecksumAddress, int] = {}  # account -> the publication it owes first
    m_at: dict[int, int] = {}  # seq -> market time
    ledgers: list[tuple[int, int]] = []  # (seq, time), in order
    n = 24
    for k in range(n):
        acc = Web3.to_checksum_address(f"0x{0xDEAD0000 + k:040x}")
        chain.enroll([acc], roles.venue)
        seq = seq0 + k + 1
        owed[acc] = seq
        t += rng.choice([1, 30, LEDGER_GRACE - 1, LEDGER_GRACE, 2 * LEDGER_GRACE, 3 * GRACE])
        at(chain, t)
        chain.publish(first + k, 1000 + k, roles.admin)
        m_at[seq] = t
        if k < n - 3 and rng.random() < 0.45:  # none after the last few
            t += rng.choice([0, 1, LEDGER_GRACE - 1, LEDGER_GRACE, LEDGER_GRACE + 1, 2 * LEDGER_GRACE])
            if t > m_at[seq]:
                at(chain, t)
            chain.publish_ledger(first + k, 5000 + k, roles.venue)
            ledgers.append((seq, int(chain.w3.eth.get_block("latest")["timestamp"])))
    mine(chain)
    latest_seq = seq0 + n
    kinds = set()
    for s in owed.values():
        own = any(q == s for q, _ in ledgers)
        later = any(q > s for q, _ in ledgers)
        kinds.add("own" if own else "later" if later else "none")
    assert kinds == {"own", "later", "none"}, kinds  # every case of the search was exercised
    for acc, s in owed.items():
        L = next((when for q, when in ledgers if q >= s), None)
        start = m_at[s] + LEDGER_GRACE if L is None else min(L, m_at[s] + LEDGER_GRACE)
        got = chain.status(acc)["stale_at"]
        assert got == start + GRACE, (acc, s, latest_seq, got, start + GRACE)
    for q, when in ledgers:  # ledgerOf reads the same search
        assert int(reg.ledgerOf(first + q - seq0 - 1).call()[1]) == when


# ------------------------------------------------------------ attesting an owed epoch after its deadline


def test_an_account_past_its_deadline_cannot_unstale_itself_with_an_earlier_epoch(
    chain: Chain, roles: Roles, venue_proofs: Path
) -> None:
    """ATTACK: OTHER owes epoch 42 (ledger on time) and lets its deadline pass; epoch 43 came
    shortly before that deadline. Past the deadline OTHER is stale (`staleAt` is over, `flagStale`
    would flag it). Before a keeper's call lands it attests 42, late.
    Without the check: the late attestation of the old epoch is accepted (it has no deadline check) and moves
    the account's clock to 43's deadline: the stale flag it had earned can no longer be raised,
    although a *flagged* stale account may clear its flag only with the latest epoch. Whether an
    account missed a deadline is decided by whether a keeper was faster."""
    b42 = bundle(venue_proofs, "other")
    chain.enroll(ENROLLED, roles.venue)
    t = now(chain) + 10
    m42 = publish_with_ledger(chain, 42, signal(b42, 3), signal(b42, 2), when=t)
    publish_with_ledger(chain, 43, 4343, 4343, when=m42 + GRACE - 60)  # OTHER never attests 43
    at(chain, m42 + GRACE + 120)  # two minutes past OTHER's deadline for 42
    mine(chain)
    reg = chain.contract("registry").functions
    assert chain.status(OTHER)["stale_at"] == m42 + GRACE <= now(chain)
    reg.flagStale([OTHER]).call({"from": roles.others[0]})  # a keeper's flag would land now
    with contextlib.suppress(ChainError):  # refusing it is one fix
        chain.submit_proof("attest", b42, OTHER)  # the owed epoch, two minutes after its deadline
    # the account missed the deadline of 42: it must still be flaggable (or the late attestation refused)
    assert chain.flag_stale([OTHER], roles.others[0]).flagged == [OTHER]


# ------------------------------------------------------------ attestBatch at an earlier epoch


def _ready_earlier_epoch(chain: Chain, roles: Roles, ledger_bundles: Path) -> list[dict[str, Any]]:
    """The six solvent accounts enrolled; epoch 42's ledger lands with the market of 43, so 42 is
    an earlier epoch every account owes."""
    bs = [json.loads((ledger_bundles / "bundles" / f"{i}.json").read_text()) for i in range(LEDGER_ACCOUNTS)]
    chain.enroll([ledger_address(i) for i in range(LEDGER_ACCOUNTS)], roles.venue)
    t = now(chain) + 10
    at(chain, t)
    chain.publish(42, signal(bs[0], 3), roles.admin)
    at(chain, t + 60)
    ledger_then_next_market(chain, roles, 42, signal(bs[0], 2), 43, 4343)
    return bs


def test_one_account_attesting_first_does_not_sink_a_batch_of_an_earlier_epoch(
    chain: Chain, roles: Roles, ledger_bundles: Path
) -> None:
    """ATTACK: the venue sends attestBatch of epoch 42 (no longer the latest) for six accounts; a
    stranger copies one proof from the pending batch and sends `attest` for that one account in
    front of it (or the trader simply attested 42 itself a block earlier).
    Without the check: `_bindAndRecordAll` reverts the whole batch with StaleEpoch for an account whose owed
    epoch is already attested (at the latest epoch the same account would just be recorded again,
    and a flagged one is skipped), so one member, or anyone watching the mempool, sinks the
    venue's attestation of every other account, once per resubmission."""
    bs = _ready_earlier_epoch(chain, roles, ledger_bundles)
    a0 = ledger_address(0)
    with OneBlock(chain) as block:
        block.send(chain.contract("registry").functions.attest(a0, 42, *_calldata(bs[0])), roles.others[3])
        block.send(attest_batch_call(chain, bs, epoch=42), roles.venue, gas=3_000_000)
    assert block.ok(0), "the front-running attest"
    if not block.ok(1):
        why = refused("SolvencyRegistry__StaleEpoch", chain.send, attest_batch_call(chain, bs, epoch=42), roles.venue)
        pytest.fail(f"the venue's batch of the five other accounts was sunk by one front-run attest: {why}")
    assert all(chain.status(ledger_address(i))["attested_epoch"] == 42 for i in range(LEDGER_ACCOUNTS))


def test_the_cli_batch_of_an_earlier_epoch_survives_an_account_that_attested_itself(
    chain: Chain, roles: Roles, ledger_bundles: Path
) -> None:
    """The same without a race: trader 0 attested 42 itself; the venue then runs `chain
    attest-batch` on its epoch prove output. Without the check: the transaction reverts (StaleEpoch) and no
    other account is attested."""
    bs = _ready_earlier_epoch(chain, roles, ledger_bundles)
    chain.submit_proof("attest", bs[0], roles.others[3])
    run = chain.attest_batch([ledger_bundles / "bundles"], sender=roles.venue)
    assert run.accounts == LEDGER_ACCOUNTS - 1 or run.accounts == LEDGER_ACCOUNTS


def _calldata(b: dict[str, Any]) -> tuple[Any, ...]:
    from zksolvency.onchain.tx import proof_calldata

    return tuple(proof_calldata(b["proof"], b["public_signals"]))


def test_a_replayed_resolved_insolvency_proof_and_an_old_proof_are_refused(
    chain: Chain, roles: Roles, venue_proofs: Path
) -> None:
    """ATTACK: replay the insolvency proof of a resolved flag (same publication, and after a new
    publication), and use a solvent proof of an epoch the account no longer owes.
    Refused: FlagResolvedThisEpoch, then StaleEpoch (flagInsolvent takes only the latest epoch)."""
    bad, b42 = bundle(venue_proofs, "insolvent"), bundle(venue_proofs, "other")
    chain.enroll(ENROLLED, roles.venue)
    publish_with_ledger(chain, 42, signal(bad, 3), signal(bad, 2))
    chain.submit_proof("flag", bad, roles.others[1])
    chain.resolve_flag(bad["claims"]["account"], roles.liquidator)
    refused("SolvencyRegistry__FlagResolvedThisEpoch", chain.submit_proof, "flag", bad, roles.others[1])
    chain.submit_proof("attest", b42, OTHER)
    publish_with_ledger(chain, 43, 4343, 4343)
    refused("SolvencyRegistry__StaleEpoch", chain.submit_proof, "flag", bad, roles.others[1])
    refused("SolvencyRegistry__StaleEpoch", chain.submit_proof, "attest", b42, OTHER)


def test_an_insolvent_entry_is_never_attested_at_an_earlier_epoch_nor_a_batch_of_mixed_epochs(
    chain: Chain, roles: Roles, venue_proofs: Path
) -> None:
    """ATTACK: ADDR's entry at index 0 of epoch 42 is insolvent; once 42 is an earlier owed epoch,
    attest it with the venue's second (solvent) leaf for ADDR at index 2, alone and in a batch, and
    batch a proof of 43 under epoch 42. Refused: IndexMismatch, and the roots of the batch's one
    epoch (LedgerRootMismatch / MarketRootMismatch)."""
    dup, b42, b43 = bundle(venue_proofs, "duplicate"), bundle(venue_proofs, "other"), bundle(venue_proofs, "other43")
    chain.enroll(ENROLLED, roles.venue)
    publish_with_ledger(chain, 42, signal(b42, 3), signal(b42, 2))
    publish_with_ledger(chain, 43, signal(b43, 3), signal(b43, 2))
    refused("SolvencyRegistry__IndexMismatch", chain.submit_proof, "attest", dup, roles.others[2])
    refused("SolvencyRegistry__IndexMismatch", chain.send, attest_batch_call(chain, [dup, b42], epoch=42), roles.venue)
    refused("SolvencyRegistry__MarketRootMismatch", chain.send, attest_batch_call(chain, [b43], epoch=42), roles.venue)
    assert chain.status(dup["claims"]["account"])["attested"] is False
