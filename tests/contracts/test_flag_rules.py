"""The registry's flag state with real proofs: flag identities and times, a stale flag overridden
by an insolvency proof (one flag) or cleared by a solvent attestation, an insolvency flag that only
the liquidator ends, and what `status` says at each step."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from web3.logs import DISCARD
from zksolvency.onchain.client import Chain
from zksolvency.onchain.tx import Flag

from tests.helpers.chain import GRACE, Roles, at, now, publish_with_ledger, refused
from tests.helpers.registry import ADDR, OTHER, bundle, ready, signal


def block_time(chain: Chain, block: int) -> int:
    return int(chain.w3.eth.get_block(block)["timestamp"])


def events(chain: Chain, name: str, block: int) -> list[dict[str, Any]]:
    receipt_logs = getattr(chain.contract("registry").events, name)().get_logs(from_block=block, to_block=block)
    return [dict(x["args"]) for x in receipt_logs]


def test_an_override_stale_to_insolvent_keeps_the_flag_identity(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    b = bundle(venue_proofs, "insolvent")
    t = ready(chain, roles, b)
    at(chain, t + GRACE)
    stale = chain.flag_stale([ADDR], roles.others[0])
    st = chain.status(ADDR)
    assert (st["flag"], st["flag_id"], st["flagged_epoch"]) == (Flag.STALE, 1, 42)
    assert st["flagged_at"] == block_time(chain, stale.block) == t + GRACE
    assert events(chain, "FlaggedStale", stale.block)[0]["flagId"] == 1
    at(chain, t + GRACE + 100)
    over = chain.submit_proof("flag", b, roles.others[1])
    st = chain.status(ADDR)
    # the same flag (one liquidation continues), now insolvent, since the override's time
    assert (st["flag"], st["flag_id"], st["flagged_at"]) == (Flag.INSOLVENT, 1, t + GRACE + 100)
    assert events(chain, "FlaggedInsolvent", over.block) == [{"account": ADDR, "epoch": 42, "by": roles.others[1], "flagId": 1}]
    resolved = chain.resolve_flag(ADDR, roles.liquidator)
    assert events(chain, "FlagResolved", resolved.block) == [{"account": ADDR, "flag": 1, "by": roles.liquidator, "flagId": 1}]
    st = chain.status(ADDR)
    assert (st["flag"], st["flag_id"], st["flag_resolved"], st["resolved_epoch"]) == (Flag.NONE, 1, True, 42)
    # the next publication owes a proof again; missing it raises a NEW flag
    t43 = publish_with_ledger(chain, 43, 4343, 4344, now(chain) + 1)
    assert chain.status(ADDR)["resolved_epoch"] == 42 and chain.status(ADDR)["stale_at"] == t43 + GRACE  # closed up to 42 only
    at(chain, t43 + GRACE)
    chain.flag_stale([ADDR])
    st = chain.status(ADDR)
    assert (st["flag"], st["flag_id"], st["flagged_epoch"], st["flag_resolved"]) == (Flag.STALE, 2, 43, False)


def test_a_solvent_attestation_clears_a_stale_flag(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    b = bundle(venue_proofs, "other")
    t = ready(chain, roles, b)
    at(chain, t + GRACE)
    chain.flag_stale([OTHER])
    assert not chain.status(OTHER)["solvent_now"]
    res = chain.submit_proof("attest", b, roles.others[0])  # the late proof, for the latest epoch
    assert events(chain, "StaleFlagCleared", res.block) == [{"account": OTHER, "epoch": 42, "flagId": 1}]
    st = chain.status(OTHER)
    assert st["flag"] == Flag.NONE and st["solvent_now"] and st["attested_epoch"] == 42
    assert st["flag_id"] == 1 and not st["flag_resolved"]  # the last flag ended by an attestation
    refused("SolvencyRegistry__NotFlagged", chain.resolve_flag, OTHER, roles.liquidator)
    refused("SolvencyRegistry__AttestationCurrent", chain.flag_stale, [OTHER])


def test_only_the_liquidator_ends_an_insolvency_flag(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    """ADDR is flagged insolvent at 42 and not resolved. At 43 its book is solvent (RECOVERED_BOOKS):
    a valid solvent proof does not clear the insolvency flag, alone or in a batch; the batch skips it
    and attests the others; a batch of only flagged accounts records nothing."""
    ready(chain, roles, bundle(venue_proofs, "insolvent"))
    chain.submit_proof("flag", bundle(venue_proofs, "insolvent"))
    recovered, other = bundle(venue_proofs, "recovered43"), bundle(venue_proofs, "other43r")
    publish_with_ledger(chain, 43, signal(recovered, 3), signal(recovered, 2), now(chain) + 1)
    refused("SolvencyRegistry__AccountFlagged", chain.submit_proof, "attest", recovered)
    d = venue_proofs / "recovered-batch"
    d.mkdir(exist_ok=True)
    for name, b in (("a", recovered), ("b", other)):
        (d / f"{name}.json").write_text(json.dumps(b))
    run = chain.attest_batch([d])
    assert run.skipped == [ADDR] and run.accounts == 1
    receipt = chain.w3.eth.get_transaction_receipt(run.transactions[0].tx_hash)
    skipped = chain.contract("registry").events.AttestationSkipped().process_receipt(receipt, errors=DISCARD)
    assert [(e["args"]["account"], e["args"]["epoch"], e["args"]["flag"]) for e in skipped] == [(ADDR, 43, 1)]
    assert chain.status(ADDR)["flag"] == Flag.INSOLVENT and chain.status(OTHER)["solvent_now"]
    refused("SolvencyRegistry__AccountFlagged", chain.attest_batch, [d / "a.json"])
    chain.resolve_flag(ADDR, roles.liquidator)
    chain.submit_proof("attest", recovered)  # resolved: its solvent proof of this epoch attests it
    assert chain.status(ADDR)["solvent_now"]
