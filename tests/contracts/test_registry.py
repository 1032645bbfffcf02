"""The registry with real proofs on a real anvil: the generated verifier, attest and flag, every
binding of SPEC §3 (account, index, ledger root, market root), and the attacks on them."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from web3 import Web3
from zksolvency.onchain.client import Chain, proof_calldata
from zksolvency.zkcore.field import SNARK_FIELD

from tests.contracts.conftest import GRACE, OneBlock, Roles, refused
from tests.helpers import data

ADDR = Web3.to_checksum_address(data.ADDR)
OTHER = Web3.to_checksum_address(data.OTHER_ADDR)


def bundle(bundle_dir: Path, name: str) -> dict[str, Any]:
    return json.loads((bundle_dir / f"{name}.bundle.json").read_text())


def signal(b: dict[str, Any], i: int) -> int:
    return int(b["public_signals"][i])


def proven_index(b: dict[str, Any]) -> int:
    return signal(b, 1) >> 160


def claiming(b: dict[str, Any], **claims: Any) -> dict[str, Any]:
    """The same proof submitted with other claims (the registry reads account and epoch from them)."""
    return b | {"claims": {**b["claims"], **claims}}


def ready(chain: Chain, roles: Roles, b: dict[str, Any], enroll: list[str] | None = None) -> None:
    """Enroll (the bundle's account at the index it proves, unless told whom), publish the bundle's
    epoch on the oracle and the bundle's ledger root for it."""
    if enroll is None:
        enroll = [Web3.to_checksum_address(f"0x{0xF111 + i:040x}") for i in range(proven_index(b))]
        enroll.append(Web3.to_checksum_address(b["claims"]["account"]))
    chain.enroll(enroll, roles.venue)
    chain.publish(int(b["claims"]["epoch"]), signal(b, 3))
    chain.publish_ledger(int(b["claims"]["epoch"]), signal(b, 2), roles.venue)


# ------------------------------------------------------------ golden vector: the generated verifier


def test_generated_verifier_accepts_the_real_proof_and_rejects_it_tampered(chain: Chain, bundle_dir: Path) -> None:
    v = chain.contract("verifier").functions
    b = bundle(bundle_dir, "solvent")
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


def test_attest_records_the_epoch(chain: Chain, roles: Roles, bundle_dir: Path) -> None:
    b = bundle(bundle_dir, "solvent")
    ready(chain, roles, b)
    assert not chain.status(ADDR)["solvent_now"]
    res = chain.submit_proof("attest", b, roles.others[0])  # anyone may submit: the proof binds the account
    st = chain.status(ADDR)
    assert st["attested"] and st["attested_epoch"] == 42 and st["flag"] == "none" and st["solvent_now"]
    assert st["stale_at"] is None  # it owes nothing now
    logs = chain.contract("registry").events.Attested().get_logs(from_block=res.block, to_block=res.block)
    assert [(x["args"]["account"], x["args"]["epoch"], x["args"]["index"]) for x in logs] == [(ADDR, 42, proven_index(b))]
    refused("SolvencyRegistry__AttestationCurrent", chain.flag_stale, [ADDR])


def test_flag_insolvent_with_a_real_proof(chain: Chain, roles: Roles, bundle_dir: Path) -> None:
    b = bundle(bundle_dir, "insolvent")
    ready(chain, roles, b)
    res = chain.submit_proof("flag", b, roles.others[0])
    st = chain.status(ADDR)
    assert st["flag"] == "insolvent" and st["flagged_epoch"] == 42 and not st["solvent_now"]
    logs = chain.contract("registry").events.FlaggedInsolvent().get_logs(from_block=res.block, to_block=res.block)
    assert [(x["args"]["account"], x["args"]["epoch"], x["args"]["by"]) for x in logs] == [(ADDR, 42, roles.others[0])]
    # a flag sticks until the liquidator resolves it: no attestation over it, no second flag
    refused("SolvencyRegistry__AccountFlagged", chain.submit_proof, "flag", b)
    chain.advance_time(GRACE)
    refused("SolvencyRegistry__AccountFlagged", chain.flag_stale, [ADDR])


def test_liquidator_resolves_a_flag_and_the_account_attests_again(chain: Chain, roles: Roles, bundle_dir: Path) -> None:
    b = bundle(bundle_dir, "solvent")
    ready(chain, roles, b)
    chain.advance_time(GRACE)
    chain.flag_stale([ADDR])
    refused("SolvencyRegistry__AccountFlagged", chain.submit_proof, "attest", b)
    refused("AccessControlUnauthorizedAccount", chain.resolve_flag, ADDR, roles.venue)
    chain.resolve_flag(ADDR, roles.liquidator)
    chain.submit_proof("attest", b)
    assert chain.status(ADDR)["solvent_now"]


# ------------------------------------------------------------ bindings


def test_proof_of_one_account_never_attests_another(chain: Chain, roles: Roles, bundle_dir: Path) -> None:
    mine, other = bundle(bundle_dir, "solvent"), bundle(bundle_dir, "other")
    ready(chain, roles, mine)
    chain.enroll([OTHER], roles.venue)
    # my proof submitted for the other account ...
    refused("SolvencyRegistry__AccountMismatch", chain.submit_proof, "attest", claiming(mine, account=OTHER))
    # ... and the other account's proof submitted for me
    refused("SolvencyRegistry__AccountMismatch", chain.submit_proof, "attest", claiming(other, account=ADDR))
    assert not chain.status(OTHER)["attested"] and not chain.status(ADDR)["attested"]


def test_proof_for_one_index_never_attests_the_account_at_another(chain: Chain, roles: Roles, bundle_dir: Path) -> None:
    """The venue placed the account at index 1 (someone else holds index 0): a proof of the ledger
    entry at index 0, or at any other index, does not count for it."""
    b = bundle(bundle_dir, "solvent")
    filler = Web3.to_checksum_address("0x" + "f1" * 20)
    order = [filler, ADDR] if proven_index(b) == 0 else [ADDR]
    ready(chain, roles, b, enroll=order)
    enrolled_at = chain.status(ADDR)["index"]
    assert enrolled_at != proven_index(b)
    err = refused("SolvencyRegistry__IndexMismatch", chain.submit_proof, "attest", b)
    assert f"enrolled={enrolled_at}, proven={proven_index(b)}" in str(err)
    assert not chain.status(ADDR)["attested"]


def test_proof_for_epoch_e_is_refused_at_e_plus_1(chain: Chain, roles: Roles, bundle_dir: Path) -> None:
    b = bundle(bundle_dir, "solvent")
    ready(chain, roles, b)
    # epoch 43: the venue republishes the very same ledger root (an unchanged book) ...
    chain.publish(43, 4343)
    chain.publish_ledger(43, signal(b, 2), roles.venue)
    refused("SolvencyRegistry__StaleEpoch", chain.submit_proof, "attest", b)  # 42 is no longer the latest
    refused("SolvencyRegistry__MarketRootMismatch", chain.submit_proof, "attest", claiming(b, epoch=43))  # ... epoch 42's market
    # epoch 44 with a new ledger: epoch 42's ledger root no longer counts either
    chain.publish(44, signal(b, 3))  # even were the market root the same
    chain.publish_ledger(44, signal(b, 2) + 1, roles.venue)
    refused("SolvencyRegistry__LedgerRootMismatch", chain.submit_proof, "attest", claiming(b, epoch=44))
    refused("SolvencyRegistry__UnknownEpoch", chain.submit_proof, "attest", claiming(b, epoch=45))
    assert not chain.status(ADDR)["attested"]


def test_unenrolled_account_is_refused(chain: Chain, roles: Roles, bundle_dir: Path) -> None:
    b = bundle(bundle_dir, "solvent")
    ready(chain, roles, b, enroll=[OTHER])
    refused("SolvencyRegistry__NotEnrolled", chain.submit_proof, "attest", b)


def test_verdicts_go_to_their_own_function(chain: Chain, roles: Roles, bundle_dir: Path) -> None:
    good, bad = bundle(bundle_dir, "solvent"), bundle(bundle_dir, "insolvent")
    ready(chain, roles, good)
    refused("SolvencyRegistry__NotInsolventProof", chain.submit_proof, "flag", good)
    refused("SolvencyRegistry__NotSolventProof", chain.submit_proof, "attest", bad)


def test_signals_outside_the_field_are_refused(chain: Chain, roles: Roles, bundle_dir: Path) -> None:
    ready(chain, roles, bundle(bundle_dir, "solvent"))
    for i in range(4):
        b = bundle(bundle_dir, "solvent")
        b["public_signals"][i] = str(signal(b, i) + SNARK_FIELD)
        refused("SolvencyRegistry__SignalNotInField", chain.submit_proof, "attest", b)


def test_invalid_proof_reverts_and_records_nothing(chain: Chain, roles: Roles, bundle_dir: Path) -> None:
    b = bundle(bundle_dir, "solvent")
    ready(chain, roles, b)
    b["proof"] = copy.deepcopy(bundle(bundle_dir, "other")["proof"])  # a valid proof, of something else
    refused("SolvencyRegistry__InvalidProof", chain.submit_proof, "attest", b)
    assert not chain.status(ADDR)["attested"]


def test_too_little_gas_never_records(chain: Chain, roles: Roles, bundle_dir: Path) -> None:
    # The generated verifier returns false when the pairing precompile runs out of gas; the
    # registry must revert on that false rather than record anything.
    b = bundle(bundle_dir, "solvent")
    ready(chain, roles, b)
    a, bb, c, s = proof_calldata(b["proof"], b["public_signals"])
    fn = chain.contract("registry").functions.attest(ADDR, 42, a, bb, c, s)
    sender = chain.default_sender()
    estimate = fn.estimate_gas({"from": sender})
    for starved in (estimate - 60_000, estimate // 2):
        h = fn.transact({"from": sender, "gas": starved})
        assert chain.w3.eth.wait_for_transaction_receipt(h)["status"] == 0
        assert not chain.status(ADDR)["attested"]
    h = fn.transact({"from": sender, "gas": estimate})  # the estimate itself is enough
    assert chain.w3.eth.wait_for_transaction_receipt(h)["status"] == 1
    assert chain.status(ADDR)["attested"]


# ------------------------------------------------------------ front-running (issue 8, part 4)


def test_insolvent_account_cannot_dodge_the_flag_by_recommitting(chain: Chain, roles: Roles, bundle_dir: Path) -> None:
    """Under `register(commitment)` an insolvent account could replace its commitment in front of a
    `flagInsolvent` and void it. There is no per-account commitment any more: everything the flag
    binds (index, ledger root, market root) is fixed, and nothing placed in front of it changes that."""
    b = bundle(bundle_dir, "insolvent")
    ready(chain, roles, b)
    reg = chain.contract("registry").functions
    a, bb, c, s = proof_calldata(b["proof"], b["public_signals"])
    old_register = "0x" + Web3.keccak(text="register(uint256)")[:4].hex().removeprefix("0x") + f"{12345:064x}"
    with OneBlock(chain) as block:
        # the account itself, and even a colluding venue, try to move what the flag is bound to
        block.send_raw({"to": chain.deployment["registry"], "data": old_register}, ADDR)
        block.send(reg.enroll([ADDR]), ADDR)
        block.send(reg.enroll([ADDR]), roles.venue)
        block.send(reg.publishLedger(42, 777), roles.venue)
        flag = block.send(reg.flagInsolvent(ADDR, 42, a, bb, c, s), roles.others[0])
    assert [block.ok(i) for i in range(flag)] == [False] * flag
    assert block.ok(flag)
    assert chain.status(ADDR)["flag"] == "insolvent"
    assert chain.ledger_root(42) == signal(b, 2)


# ------------------------------------------------------------ gas


def test_attest_gas_over_the_floor_is_small(chain: Chain, roles: Roles, bundle_dir: Path) -> None:
    """Gas is deterministic: pin the registry's overhead over the EVM floor of a Groth16 check."""
    b = bundle(bundle_dir, "solvent")
    ready(chain, roles, b)
    res = chain.submit_proof("attest", b)
    tx = chain.w3.eth.get_transaction(res.tx_hash)  # type: ignore[arg-type]
    calldata = sum(16 if x else 4 for x in bytes(tx["input"]))
    floor = 21_000 + calldata + 181_000 + 6_150 * 4
    print(f"\nattest gas {res.gas_used:,} (floor {floor:,}, overhead {res.gas_used - floor:,})")
    assert floor < res.gas_used < floor + 40_000, (res.gas_used, floor)
    again = chain.submit_proof("attest", b)  # a repeat attestation rewrites the account's one slot
    print(f"repeat attestation gas {again.gas_used:,}")
    assert again.gas_used < res.gas_used
