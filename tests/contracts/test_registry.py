"""The registry with real proofs on a real anvil: the generated verifier, attest and flag, every
binding of SPEC §3 (account, index, ledger root, market root), and the attacks on them."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from eth_typing import HexStr
from web3 import Web3
from zksolvency.onchain.client import Chain
from zksolvency.onchain.tx import Flag, proof_calldata
from zksolvency.zkcore.field import SNARK_FIELD

from tests.helpers.chain import GRACE, OneBlock, Roles, at, now, publish_with_ledger, refused
from tests.helpers.registry import ADDR, OTHER, bundle, claiming, proven_index, ready, signal


def test_generated_verifier_accepts_the_real_proof_and_rejects_it_tampered(chain: Chain, venue_proofs: Path) -> None:
    v = chain.contract("verifier").functions
    b = bundle(venue_proofs, "other")
    a, bb, c, s = proof_calldata(b["proof"], b["public_signals"])
    assert v.verifyProof(a, bb, c, s).call() is True
    assert v.verifyProof(a, bb, c, [0, *s[1:]]).call() is False  # verdict flipped
    assert v.verifyProof(a, bb, c, [s[0], s[1] + 2**160, *s[2:]]).call() is False  # another index
    assert v.verifyProof(a, bb, c, [s[0], s[1] + 1, *s[2:]]).call() is False  # another account
    assert v.verifyProof(a, bb, c, [*s[:2], s[2] + 1, s[3]]).call() is False  # another ledger
    assert v.verifyProof(a, bb, c, [*s[:3], s[3] + SNARK_FIELD]).call() is False  # signal >= r
    assert v.verifyProof([a[0], (a[1] + 1)], bb, c, s).call() is False  # A off the curve
    b_json_order = [[bb[0][1], bb[0][0]], [bb[1][1], bb[1][0]]]
    assert v.verifyProof(a, b_json_order, c, s).call() is False  # snarkjs JSON order is not EVM order


# ------------------------------------------------------------ attest and flag with real proofs


def test_attest_records_the_epoch(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    b = bundle(venue_proofs, "other")
    ready(chain, roles, b)
    assert proven_index(b) == 1 and not chain.status(OTHER)["solvent_now"]
    res = chain.submit_proof("attest", b, roles.others[0])  # anyone may submit: the proof binds the account
    st = chain.status(OTHER)
    assert st["attested"] and st["attested_epoch"] == 42 and st["flag"] == Flag.NONE and st["solvent_now"]
    assert st["index"] == 1 and st["stale_at"] is None  # it owes nothing now
    logs = chain.contract("registry").events.Attested().get_logs(from_block=res.block, to_block=res.block)
    assert [(x["args"]["account"], x["args"]["epoch"], x["args"]["index"]) for x in logs] == [(OTHER, 42, 1)]
    refused("SolvencyRegistry__AttestationCurrent", chain.flag_stale, [OTHER])


def test_flag_insolvent_with_a_real_proof(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    b = bundle(venue_proofs, "insolvent")
    ready(chain, roles, b)
    res = chain.submit_proof("flag", b, roles.others[0])
    st = chain.status(ADDR)
    assert st["flag"] == Flag.INSOLVENT and st["flagged_epoch"] == 42 and not st["solvent_now"]
    flag_of = chain.contract("registry").functions.flagOf
    assert (flag_of(ADDR).call(), flag_of(OTHER).call()) == (1, 0)  # the protocol's one-SLOAD view
    logs = chain.contract("registry").events.FlaggedInsolvent().get_logs(from_block=res.block, to_block=res.block)
    assert [(x["args"]["account"], x["args"]["epoch"], x["args"]["by"]) for x in logs] == [(ADDR, 42, roles.others[0])]
    # a flag sticks until the liquidator resolves it: no second flag, no stale flag over it
    refused("SolvencyRegistry__AccountFlagged", chain.submit_proof, "flag", b)
    chain.advance_time(GRACE)
    refused("SolvencyRegistry__AccountFlagged", chain.flag_stale, [ADDR])


def test_liquidator_resolves_a_flag_and_the_account_attests_again(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    b = bundle(venue_proofs, "other")
    ready(chain, roles, b)
    chain.advance_time(GRACE)
    assert chain.flag_stale([OTHER]).flagged == [OTHER]
    refused("AccessControlUnauthorizedAccount", chain.resolve_flag, OTHER, roles.venue)
    chain.resolve_flag(OTHER, roles.liquidator)
    st = chain.status(OTHER)
    assert st["flag"] == Flag.NONE and st["flag_resolved"] and st["resolved_epoch"] == 42 and st["flag_id"] == 1
    chain.submit_proof("attest", b)
    assert chain.status(OTHER)["solvent_now"]


# ------------------------------------------------------------ bindings (SPEC §3)


def test_proof_of_one_account_never_attests_another(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    other, insolvent = bundle(venue_proofs, "other"), bundle(venue_proofs, "insolvent")
    ready(chain, roles, other)
    refused("SolvencyRegistry__AccountMismatch", chain.submit_proof, "attest", claiming(other, account=ADDR))
    refused("SolvencyRegistry__AccountMismatch", chain.submit_proof, "flag", claiming(insolvent, account=OTHER))
    assert chain.status(OTHER)["flag"] == Flag.NONE and not chain.status(ADDR)["attested"]


def test_proof_for_index_i_never_attests_the_account_at_index_j(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    """The ledger has OTHER at index 1; the registry enrolled it at index 0: the proof of the
    ledger entry at index 1 does not count for it."""
    b = bundle(venue_proofs, "other")
    ready(chain, roles, b, enroll=[OTHER, ADDR])
    err = refused("SolvencyRegistry__IndexMismatch", chain.submit_proof, "attest", b)
    assert "enrolled=0, proven=1" in str(err)
    assert not chain.status(OTHER)["attested"]


def test_same_address_at_a_second_index_never_counts(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    """A venue hides ADDR's under-water book (index 0) behind a solvent second leaf for the same
    address at index 2. The proof of index 2 is valid, and refused: ADDR's index is 0 (index 2 is
    beyond the enrolled range, and stays someone else's once enrolled). The true book flags it."""
    fake, true = bundle(venue_proofs, "duplicate"), bundle(venue_proofs, "insolvent")
    assert signal(fake, 2) == signal(true, 2) and signal(fake, 0) == 1 and proven_index(fake) == 2
    ready(chain, roles, fake)
    err = refused("SolvencyRegistry__IndexMismatch", chain.submit_proof, "attest", fake)
    assert "enrolled=0, proven=2" in str(err)
    third = Web3.to_checksum_address("0x" + "c3" * 20)
    chain.enroll([third], roles.venue)  # index 2 now belongs to someone else
    refused("SolvencyRegistry__IndexMismatch", chain.submit_proof, "attest", fake)
    refused("SolvencyRegistry__AccountMismatch", chain.submit_proof, "attest", claiming(fake, account=third))
    chain.submit_proof("flag", true)
    assert chain.status(ADDR)["flag"] == Flag.INSOLVENT and not chain.status(ADDR)["solvent_now"]


def test_proof_for_epoch_e_never_counts_for_e_plus_1(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    b, b43 = bundle(venue_proofs, "other"), bundle(venue_proofs, "other43")
    ready(chain, roles, b)
    # epoch 43: the same books, so the venue publishes the very same ledger root
    assert signal(b43, 2) == signal(b, 2) and signal(b43, 3) != signal(b, 3)
    chain.publish(43, signal(b43, 3))
    chain.publish_ledger(43, signal(b43, 2), roles.venue)
    refused("SolvencyRegistry__MarketRootMismatch", chain.submit_proof, "attest", claiming(b, epoch=43))
    # epoch 44 with a new ledger root: epoch 43's ledger root no longer counts either
    chain.publish(44, signal(b43, 3))  # (even were the market root the same)
    chain.publish_ledger(44, signal(b43, 2) + 1, roles.venue)
    refused("SolvencyRegistry__LedgerRootMismatch", chain.submit_proof, "attest", claiming(b43, epoch=44))
    refused("SolvencyRegistry__UnknownEpoch", chain.submit_proof, "attest", claiming(b43, epoch=45))
    assert not chain.status(OTHER)["attested"]
    # the proof of 42 attests 42, an epoch the account still owes: never 44, so it is not solvent now
    chain.submit_proof("attest", b)
    st = chain.status(OTHER)
    assert st["attested_epoch"] == 42 and not st["solvent_now"] and st["stale_at"] is not None
    refused("SolvencyRegistry__StaleEpoch", chain.submit_proof, "attest", b)  # and 42 is not owed any more


def test_unenrolled_account_is_refused(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    b = bundle(venue_proofs, "other")
    ready(chain, roles, b, enroll=[ADDR])
    refused("SolvencyRegistry__NotEnrolled", chain.submit_proof, "attest", b)


def test_verdicts_go_to_their_own_function(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    good, bad = bundle(venue_proofs, "other"), bundle(venue_proofs, "insolvent")
    ready(chain, roles, good)
    refused("SolvencyRegistry__NotInsolventProof", chain.submit_proof, "flag", good)
    refused("SolvencyRegistry__NotSolventProof", chain.submit_proof, "attest", bad)


def test_signals_outside_the_field_are_refused(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    ready(chain, roles, bundle(venue_proofs, "other"))
    for i in range(4):
        b = bundle(venue_proofs, "other")
        b["public_signals"][i] = str(signal(b, i) + SNARK_FIELD)
        refused("SolvencyRegistry__SignalNotInField", chain.submit_proof, "attest", b)


def test_invalid_proof_reverts_and_records_nothing(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    b = bundle(venue_proofs, "other")
    ready(chain, roles, b)
    b["proof"] = copy.deepcopy(bundle(venue_proofs, "duplicate")["proof"])  # a valid proof, of something else
    refused("SolvencyRegistry__InvalidProof", chain.submit_proof, "attest", b)
    assert not chain.status(OTHER)["attested"]


def test_too_little_gas_never_records(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    # The generated verifier returns false when the pairing precompile runs out of gas; the
    # registry must revert on that false rather than record anything.
    b = bundle(venue_proofs, "other")
    ready(chain, roles, b)
    a, bb, c, s = proof_calldata(b["proof"], b["public_signals"])
    fn = chain.contract("registry").functions.attest(OTHER, 42, a, bb, c, s)
    sender = chain.default_sender()
    estimate = fn.estimate_gas({"from": sender})
    for starved in (estimate - 60_000, estimate // 2):
        h = fn.transact({"from": sender, "gas": starved})
        assert chain.w3.eth.wait_for_transaction_receipt(h)["status"] == 0
        assert not chain.status(OTHER)["attested"]
    h = fn.transact({"from": sender, "gas": estimate})  # the estimate itself is enough
    assert chain.w3.eth.wait_for_transaction_receipt(h)["status"] == 1
    assert chain.status(OTHER)["attested"]


# ------------------------------------------------------------ timing and ordering (issue 8, part 4)


def test_attested_account_goes_stale_from_the_first_epoch_after_its_attestation(
    chain: Chain, roles: Roles, venue_proofs: Path
) -> None:
    """Attested at 42; epochs 43 and 44 come 25 minutes apart. The grace period runs from 43's
    publication, not from 44's: a fresh epoch does not buy a silent account more time."""
    b, b43 = bundle(venue_proofs, "other"), bundle(venue_proofs, "other43")
    ready(chain, roles, b)
    chain.submit_proof("attest", b)
    t43 = publish_with_ledger(chain, 43, signal(b43, 3), signal(b43, 2), now(chain) + 10)
    publish_with_ledger(chain, 44, 4444, 4445, t43 + 1500)
    assert chain.status(OTHER)["stale_at"] == t43 + GRACE
    at(chain, t43 + GRACE - 1)
    refused("SolvencyRegistry__GracePeriodNotOver", chain.flag_stale, [OTHER])
    at(chain, t43 + GRACE)  # 44 is only 35 minutes old
    assert chain.flag_stale([OTHER]).flagged == [OTHER]
    assert chain.status(OTHER)["flagged_epoch"] == 44 and chain.status(OTHER)["attested_epoch"] == 42


def test_honest_account_is_never_stale_whatever_the_order_in_the_block(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    """An account that attests within its grace period cannot be flagged stale, whether a keeper's
    flagStale lands in front of its attestation or right behind it, in the same block."""
    b, b43 = bundle(venue_proofs, "other"), bundle(venue_proofs, "other43")
    ready(chain, roles, b)
    chain.submit_proof("attest", b)
    t43 = publish_with_ledger(chain, 43, signal(b43, 3), signal(b43, 2), now(chain) + 10)
    reg = chain.contract("registry").functions
    a, bb, c, s = proof_calldata(b43["proof"], b43["public_signals"])
    at(chain, t43 + GRACE - 1)  # the last second of the grace period
    with OneBlock(chain) as block:
        front = block.send(reg.flagStale([OTHER]), roles.others[0])
        block.send(reg.attest(OTHER, 43, a, bb, c, s), OTHER)
        behind = block.send(reg.flagStale([OTHER]), roles.others[1])
        again = block.send(reg.attest(OTHER, 43, a, bb, c, s), OTHER)  # its own repeat changes nothing
        last = block.send(reg.flagStale([OTHER]), roles.others[1])
    assert [block.ok(i) for i in range(last + 1)] == [False, True, False, True, False]
    assert front == 0 and behind == 2 and again == 3
    at(chain, t43 + 10 * GRACE)
    refused("SolvencyRegistry__AttestationCurrent", chain.flag_stale, [OTHER])
    assert chain.status(OTHER)["solvent_now"] and chain.status(OTHER)["flag"] == Flag.NONE


def test_insolvent_account_cannot_dodge_the_flag_by_recommitting(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    """Under `register(commitment)` an insolvent account could replace its commitment in front of a
    `flagInsolvent` and void it. There is no per-account commitment any more: everything the flag
    binds (index, ledger root, market root) is fixed, and nothing placed in front of it changes that."""
    b = bundle(venue_proofs, "insolvent")
    ready(chain, roles, b)
    reg = chain.contract("registry").functions
    a, bb, c, s = proof_calldata(b["proof"], b["public_signals"])
    old_register = "0x" + Web3.keccak(text="register(uint256)")[:4].hex().removeprefix("0x") + f"{12345:064x}"
    with OneBlock(chain) as block:
        # the account itself, and even a colluding venue, try to move what the flag is bound to
        block.send_raw({"to": chain.deployment["registry"], "data": HexStr(old_register)}, ADDR)
        block.send(reg.enroll([ADDR]), ADDR)
        block.send(reg.enroll([ADDR]), roles.venue)
        block.send(reg.publishLedger(42, 777), roles.venue)
        flag = block.send(reg.flagInsolvent(ADDR, 42, a, bb, c, s), roles.others[0])
    assert [block.ok(i) for i in range(flag)] == [False] * flag
    assert block.ok(flag)
    assert chain.status(ADDR)["flag"] == Flag.INSOLVENT
    assert chain.ledger_root(42) == signal(b, 2)


def test_insolvent_account_cannot_choose_the_stale_flag(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    """Attacker review finding 12: past its grace period, an insolvent account gets itself flagged
    stale in front of its `flagInsolvent` (a milder flag: a stale account's held rest may go back
    to it). Both land in one block, and the account ends up flagged insolvent all the same."""
    b = bundle(venue_proofs, "insolvent")
    ready(chain, roles, b)
    chain.advance_time(GRACE)
    reg = chain.contract("registry").functions
    a, bb, c, s = proof_calldata(b["proof"], b["public_signals"])
    with OneBlock(chain) as block:
        dodge = block.send(reg.flagStale([ADDR]), ADDR)
        flag = block.send(reg.flagInsolvent(ADDR, 42, a, bb, c, s), roles.others[0])
    assert block.ok(dodge) and block.ok(flag)
    st = chain.status(ADDR)
    assert st["flag"] == Flag.INSOLVENT and chain.contract("registry").functions.flagOf(ADDR).call() == 1
    logs = chain.contract("registry").events.FlaggedInsolvent().get_logs(from_block=block.receipts[flag]["blockNumber"])
    assert [x["args"]["account"] for x in logs] == [ADDR]
    refused("SolvencyRegistry__AccountFlagged", chain.submit_proof, "flag", b)  # once insolvent, it stays so
    refused("SolvencyRegistry__AccountFlagged", chain.flag_stale, [ADDR])  # and is never downgraded


# ------------------------------------------------------------ gas


def test_attest_gas_over_the_floor_is_small(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    """Gas is deterministic: pin the registry's overhead over the EVM floor of a Groth16 check."""
    b = bundle(venue_proofs, "other")
    ready(chain, roles, b)
    res = chain.submit_proof("attest", b)
    tx = chain.w3.eth.get_transaction(res.tx_hash)
    calldata = sum(16 if x else 4 for x in bytes(tx["input"]))
    floor = 21_000 + calldata + 181_000 + 6_150 * 4
    print(f"\nattest gas {res.gas_used:,} (floor {floor:,}, overhead {res.gas_used - floor:,})")
    assert floor < res.gas_used < floor + 30_000, (res.gas_used, floor)
    again = chain.submit_proof("attest", b)  # a repeat attestation rewrites the account's one slot
    print(f"repeat attestation gas {again.gas_used:,}")
    assert again.gas_used < res.gas_used


def test_flag_dir_flags_the_insolvent_once_and_skips_those_already_flagged(
    chain: Chain, roles: Roles, venue_proofs: Path, tmp_path: Path
) -> None:
    """`chain flag OUT` every epoch: the insolvent bundles are flagged, solvent ones left alone; an
    account still flagged from before is skipped rather than stopping the run at its revert."""
    import shutil

    out = tmp_path / "out"
    out.mkdir()
    for name in ("insolvent", "other"):
        shutil.copyfile(venue_proofs / f"{name}.bundle.json", out / f"{name}.json")
    ready(chain, roles, bundle(venue_proofs, "insolvent"))
    run = chain.flag_bundles([out], roles.others[0])
    assert [t.account for t in run.flagged] == [ADDR] and run.skipped == [] and run.failed == []
    assert chain.status(ADDR)["flag"] == Flag.INSOLVENT and chain.status(OTHER)["flag"] == Flag.NONE
    again = chain.flag_bundles([out], roles.others[0])
    assert again.flagged == [] and again.skipped == [ADDR] and again.failed == []
    # a tampered bundle among them is reported by name and does not stop the others
    bad = json.loads((out / "insolvent.json").read_text())
    bad["proof"]["pi_a"][0] = str(int(bad["proof"]["pi_a"][0]) ^ 1)
    (out / "tampered.json").write_text(json.dumps(bad))
    third = chain.flag_bundles([out], roles.others[0])
    assert third.skipped == [ADDR] and [f for f, _ in third.failed] == [str(out / "tampered.json")]
