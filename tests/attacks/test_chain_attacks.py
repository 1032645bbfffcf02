"""ATTACK the registry, its clients and the keeper on a real anvil with real proofs.

- dodge flagInsolvent: an insolvent account past its grace period front-runs the keeper's
  ``flagInsolvent`` with ``flagStale`` on ITSELF, to be flagged ``Stale`` instead of ``Insolvent``
  (the wrong reason: the vault's docs hand a stale account's held rest back to it). Refused:
  ``flagInsolvent`` overrides a stale flag, and nothing turns ``Insolvent`` into ``Stale``.
- grief attestBatch: a keeper/attacker front-runs the venue's batch with ``flagStale`` of ONE late
  member, so that an all-or-nothing batch would revert and leave the on-time members unattested.
  Refused: the on-time members are attested.
- enroll past the ledger's capacity: the circuit opens only 2^LD leaves, so an account enrolled at
  index >= 2^LD could never attest and would be flagged stale (and liquidated) with no recourse.
  Refused (severity low; a venue-side trigger).
- stale statement: ``statement verify --rpc`` of an OLD epoch's statement while the registry is at
  a newer epoch whose leaf at the trader's index the venue changed. Refused: the check fails or
  names the newer epoch.
- keeper after a reorg: the keeper caches Enrolled events from ``latest``; a reorg that replaces
  an enrollment must not leave it failing every tick (stale accounts never flagged). Refused
  (liveness): the keeper recovers and flags them.
- crash: ``chain attest`` of a nested-JSON bundle (web3 imports py_ecc, which raises the recursion
  limit to 100000) must not kill the CLI with SIGSEGV. Refused: exit 1 or 2, no internal error.
- replays that must fail (old epoch, second leaf of the same address, another account's proof, a
  re-randomized copy twice in one batch). REFUSED.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3
from web3.types import RPCEndpoint
from zksolvency.onchain.client import Chain
from zksolvency.onchain.keeper import Keeper
from zksolvency.onchain.tx import ChainError, Flag, proof_calldata
from zksolvency.zkcore.commitment import market_root
from zksolvency.zkcore.models import Market

from tests.helpers import data
from tests.helpers.batch import LEDGER_ACCOUNTS, ledger_address
from tests.helpers.chain import GRACE, LEDGER_BOOKS, OneBlock, Roles, at, now, publish_with_ledger, refused, write_statements
from tests.helpers.files import TEST_BUILD, write_json
from tests.helpers.groth16 import rerandomize

pytestmark = pytest.mark.slow

ADDR = str(Web3.to_checksum_address(data.ADDR))
OTHER = str(Web3.to_checksum_address(data.OTHER_ADDR))
ZKSOLVENCY = str(Path(sys.executable).with_name("zksolvency"))
ENV = {**os.environ, "ZKSOLVENCY_BUILD": str(TEST_BUILD)}


def bundle(d: Path, name: str) -> dict[str, Any]:
    return dict(json.loads((d / f"{name}.bundle.json").read_text()))


def sig(b: dict[str, Any], i: int) -> int:
    return int(b["public_signals"][i])


def ready(chain: Chain, roles: Roles, b: dict[str, Any], enroll: list[str]) -> None:
    chain.enroll(enroll, roles.venue)
    chain.publish(int(b["claims"]["epoch"]), sig(b, 3))
    chain.publish_ledger(int(b["claims"]["epoch"]), sig(b, 2), roles.venue)


# ------------------------------------------------------------ dodge flagInsolvent


def test_insolvent_account_cannot_turn_its_flag_into_stale(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    b = bundle(venue_proofs, "insolvent")  # ADDR's true book at index 0, solvent = 0, epoch 42
    ready(chain, roles, b, [ADDR, OTHER])
    reg = chain.contract("registry").functions
    a, bb, c, s = proof_calldata(b["proof"], b["public_signals"])
    at(chain, int(chain.status(ADDR)["stale_at"]))  # the keeper's insolvency proof lands after the grace period
    with OneBlock(chain) as block:
        dodge = block.send(reg.flagStale([ADDR]), ADDR)  # the insolvent trader itself, in front
        flag = block.send(reg.flagInsolvent(ADDR, 42, a, bb, c, s), roles.others[0])
    # the dodge lands first; flagInsolvent still succeeds and overrides the stale flag
    assert block.ok(dodge) and block.ok(flag)
    assert chain.status(ADDR)["flag"] == Flag.INSOLVENT, (
        f"ATTACK: the insolvent account is flagged {chain.status(ADDR)['flag']!r}"
    )


def test_within_the_grace_period_the_dodge_is_impossible(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    b = bundle(venue_proofs, "insolvent")
    ready(chain, roles, b, [ADDR, OTHER])
    reg = chain.contract("registry").functions
    a, bb, c, s = proof_calldata(b["proof"], b["public_signals"])
    with OneBlock(chain) as block:
        dodge = block.send(reg.flagStale([ADDR]), ADDR)
        flag = block.send(reg.flagInsolvent(ADDR, 42, a, bb, c, s), roles.others[0])
    assert not block.ok(dodge) and block.ok(flag)
    assert chain.status(ADDR)["flag"] == Flag.INSOLVENT
    # and once Insolvent, nothing turns it into Stale
    at(chain, now(chain) + 10 * GRACE)
    refused("SolvencyRegistry__AccountFlagged", chain.flag_stale, [ADDR])


# ------------------------------------------------------------ grief attestBatch


def _batch_ledger(chain: Chain, roles: Roles, ledger_bundles: Path) -> tuple[list[str], list[dict[str, Any]], int]:
    """acc0 enrolled before epoch 41 (owes since 41); acc1..5 enrolled after 41 (owe since 42).
    Returns (accounts, bundles, the second at which acc0, and only acc0, is due)."""
    accounts = [ledger_address(i) for i in range(LEDGER_ACCOUNTS)]
    bundles = [json.loads((ledger_bundles / "bundles" / f"{i}.json").read_text()) for i in range(LEDGER_ACCOUNTS)]
    chain.enroll(accounts[:1], roles.venue)
    t41 = publish_with_ledger(chain, 41, market_root(Market(**data.market(epoch=41))), 4141, now(chain) + 10)
    chain.enroll(accounts[1:], roles.venue)
    b0 = bundles[0]
    publish_with_ledger(chain, 42, sig(b0, 3), sig(b0, 2), t41 + GRACE - 600)
    assert chain.status(accounts[0])["stale_at"] == t41 + GRACE
    assert chain.status(accounts[1])["stale_at"] == t41 + 2 * GRACE - 600
    return accounts, bundles, t41 + GRACE


def test_one_flagged_member_does_not_sink_the_batch(chain: Chain, roles: Roles, ledger_bundles: Path) -> None:
    accounts, bundles, due0 = _batch_ledger(chain, roles, ledger_bundles)
    cols: tuple[list[Any], list[Any], list[Any], list[Any]] = ([], [], [], [])
    for b in bundles:
        for col, v in zip(cols, proof_calldata(b["proof"], b["public_signals"]), strict=True):
            col.append(v)
    reg = chain.contract("registry").functions
    at(chain, due0)
    with OneBlock(chain) as block:
        grief = block.send(reg.flagStale([accounts[0]]), roles.others[0])
        batch = block.send(reg.attestBatch(accounts, 42, *cols), roles.venue, gas=3_000_000)
    assert block.ok(grief)
    on_time = [chain.status(a)["solvent_now"] for a in accounts[1:]]
    # the batch lands after the grief, or at least every on-time member is attested
    assert block.ok(batch) or all(on_time), f"ATTACK: on-time members attested: {on_time}"


# ------------------------------------------------------------ capacity


def test_no_account_is_enrolled_where_no_proof_can_reach(chain: Chain, roles: Roles, tmp_path: Path) -> None:
    ld = 8  # the test instance's LD
    filler = [str(Web3.to_checksum_address(f"0x{0xF111E4000000 + i:040x}")) for i in range(2**ld)]
    for i in range(0, len(filler), 128):
        chain.enroll(filler[i : i + 128], roles.venue)
    try:
        chain.enroll([ADDR], roles.venue)  # index 256
    except ChainError:
        return  # refused: no index past 2^LD is ever enrolled
    assert chain.status(ADDR)["index"] == 2**ld
    # the victim's solvent book cannot be put in any ledger at its index ...
    idx = write_json(tmp_path / "idx.json", {data.ADDR: 2**ld})
    acc = write_json(tmp_path / "a.json", data.ACCOUNT)
    m = write_json(tmp_path / "m.json", data.MARKET)
    r = subprocess.run([ZKSOLVENCY, "ledger", "build", str(acc), "--market", str(m), "--indices", str(idx),
                        "--config", "test", "-o", str(tmp_path / "L")], capture_output=True, text=True, env=ENV)  # fmt: skip
    assert r.returncode == 2 and "does not fit" in r.stderr
    # ... so after the grace period anyone flags it stale, and the vault liquidates it
    chain.publish(42, market_root(Market(**data.MARKET)))
    at(chain, int(chain.status(ADDR)["stale_at"]))
    assert chain.flag_stale([ADDR]).flagged == [ADDR]
    pytest.fail("ATTACK: a solvent account enrolled at index 2^LD was flagged stale with no way to attest")


# ------------------------------------------------------------ the trader's check


def test_a_superseded_statement_does_not_pass_the_on_chain_check(
    chain: Chain, roles: Roles, venue_proofs: Path, tmp_path: Path
) -> None:
    st42 = write_statements(tmp_path / "s", LEDGER_BOOKS, 42, 8)
    b = bundle(venue_proofs, "other")
    ready(chain, roles, b, [ADDR, OTHER])  # epoch 42, the ledger of LEDGER_BOOKS (OTHER at 1 solvent)
    # epoch 43: the venue moves OTHER's leaf to an insolvent book ...
    books43 = {**LEDGER_BOOKS, 1: data.account(account=data.OTHER_ADDR, nonce=1, salt=data.OTHER_SALT,
                                               collateral=[], positions=data.INSOLVENT["positions"])}  # fmt: skip
    st43 = write_statements(tmp_path / "s43", books43, 43, 8)
    root43 = json.loads(st43[1].read_text())["ledger_root"]
    chain.publish(43, market_root(Market(**data.market(epoch=43))))
    chain.publish_ledger(43, int(root43, 16), roles.venue)
    # ... and hands OTHER last epoch's statement again
    r = subprocess.run([ZKSOLVENCY, "statement", "verify", str(st42[1]), "--rpc", chain.rpc, "--deployment",
                        str(chain.deployment_file)], capture_output=True, text=True, env=ENV)  # fmt: skip
    # the superseded statement fails, or the output at least names the newer epoch
    assert r.returncode != 0 or "43" in r.stdout + r.stderr, r.stdout


# ------------------------------------------------------------ crash


@pytest.mark.parametrize("command", ["attest", "publish-ledger"])
def test_chain_commands_survive_a_hostile_file(chain: Chain, tmp_path: Path, command: str) -> None:
    f = tmp_path / "deep.json"
    f.write_text("[" * 100_000 + "]" * 100_000)
    r = subprocess.run([ZKSOLVENCY, "chain", command, str(f), "--rpc", chain.rpc, "--deployment",
                        str(chain.deployment_file)], capture_output=True, text=True, env=ENV, timeout=300)  # fmt: skip
    assert r.returncode != -signal.SIGSEGV, "the CLI died of SIGSEGV"
    assert r.returncode in (1, 2) and "internal error" not in r.stderr, (r.returncode, r.stderr)


# ------------------------------------------------------------ keeper after a reorg


def _snapshot(chain: Chain) -> str:
    return str(chain.w3.provider.make_request(RPCEndpoint("evm_snapshot"), [])["result"])


def test_keeper_recovers_from_a_reorg(chain: Chain, roles: Roles) -> None:
    ghosts = [str(Web3.to_checksum_address(f"0x{0x6405700 + i:040x}")) for i in range(2)]
    real = [str(Web3.to_checksum_address(f"0x{0xBEEF00 + i:040x}")) for i in range(3)]
    fork = _snapshot(chain)
    chain.enroll(ghosts, roles.venue)  # seen by the keeper at `latest` ...
    k = Keeper(chain)
    k.tick()
    assert k.accounts == ghosts
    chain.w3.provider.make_request(RPCEndpoint("evm_revert"), [fork])  # ... then reorged out
    chain.enroll(real, roles.venue)  # the canonical chain enrolls others at indices 0..2
    chain.publish(42, market_root(Market(**data.MARKET)))
    at(chain, int(chain.status(real[0])["stale_at"]))
    chain.w3.provider.make_request(RPCEndpoint("evm_mine"), [])
    errors = []
    for _ in range(3):
        try:
            res = k.tick()
            break
        except ChainError as e:  # what run() logs as "tick failed" and goes on with, forever
            errors.append(str(e))
    else:
        pytest.fail(f"ATTACK: the keeper is stuck ({errors[0]}); {len(real)} stale accounts are never flagged")
    assert sorted(res.flagged) == sorted(real)


# ------------------------------------------------------------ replays that must fail


def test_replays_are_refused(chain: Chain, roles: Roles, venue_proofs: Path, ledger_bundles: Path) -> None:
    b, dup, b43 = bundle(venue_proofs, "other"), bundle(venue_proofs, "duplicate"), bundle(venue_proofs, "other43")
    ready(chain, roles, b, [ADDR, OTHER])
    refused("SolvencyRegistry__IndexMismatch", chain.submit_proof, "attest", dup)  # ADDR's 2nd leaf (index 2)
    refused("SolvencyRegistry__AccountMismatch", chain.submit_proof, "attest", b | {"claims": {**b["claims"], "account": ADDR}})
    refused("SolvencyRegistry__UnknownEpoch", chain.submit_proof, "attest", b43)
    chain.submit_proof("attest", b)
    chain.publish(43, sig(b43, 3))
    refused("SolvencyRegistry__StaleEpoch", chain.submit_proof, "attest", b)  # 42's proof at 43
    refused("SolvencyRegistry__LedgerNotPublished", chain.submit_proof, "attest", b43 | {"claims": {**b43["claims"]}})
    chain.publish_ledger(43, sig(b43, 2), roles.venue)
    refused("SolvencyRegistry__MarketRootMismatch", chain.submit_proof, "attest", b | {"claims": {**b["claims"], "epoch": 43}})
    # the same account twice in one batch, with a re-randomized copy (a different A, so no duplicate)
    vk = json.loads((TEST_BUILD / "solvency_k3-a2-s4-t3-d3-c2-l8" / "verification_key.json").read_text())
    copy_proof = rerandomize(b43["proof"], vk, 12345, 678)
    cols = [proof_calldata(p, b43["public_signals"]) for p in (b43["proof"], copy_proof)]
    args = [[c[k] for c in cols] for k in range(4)]
    refused(
        "SolvencyRegistry__BatchNotInIndexOrder",
        chain.send,
        chain.contract("registry").functions.attestBatch([OTHER, OTHER], 43, *args),
    )


# ------------------------------------------------------------ controls of the two griefing tests


def test_control_the_same_batch_passes_without_the_front_run(chain: Chain, roles: Roles, ledger_bundles: Path) -> None:
    accounts, bundles, due0 = _batch_ledger(chain, roles, ledger_bundles)
    cols: tuple[list[Any], list[Any], list[Any], list[Any]] = ([], [], [], [])
    for b in bundles:
        for col, v in zip(cols, proof_calldata(b["proof"], b["public_signals"]), strict=True):
            col.append(v)
    at(chain, due0)
    chain.send(chain.contract("registry").functions.attestBatch(accounts, 42, *cols), roles.venue)
    assert all(chain.status(a)["solvent_now"] for a in accounts)


def test_control_a_restarted_keeper_flags_after_the_reorg(chain: Chain, roles: Roles) -> None:
    ghosts = [str(Web3.to_checksum_address(f"0x{0x6405700 + i:040x}")) for i in range(2)]
    real = [str(Web3.to_checksum_address(f"0x{0xBEEF00 + i:040x}")) for i in range(3)]
    fork = _snapshot(chain)
    chain.enroll(ghosts, roles.venue)
    Keeper(chain).tick()
    chain.w3.provider.make_request(RPCEndpoint("evm_revert"), [fork])
    chain.enroll(real, roles.venue)
    chain.publish(42, market_root(Market(**data.MARKET)))
    at(chain, int(chain.status(real[0])["stale_at"]))
    chain.w3.provider.make_request(RPCEndpoint("evm_mine"), [])
    assert sorted(Keeper(chain).tick().flagged) == sorted(real)
