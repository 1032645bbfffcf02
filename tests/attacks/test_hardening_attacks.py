"""ATTACK the holes an independent review of the ledger, batch, keeper and vault found, each
performed with real proofs on a real anvil (or the real CLI), and shown refused:

- a resolved insolvency flag raised again in the same epoch by replaying the public proof, and the
  vault then liquidating what the cleared trader deposited since (bounty and penalty included);
  the same after stale -> resolve with the epoch's insolvency proof;
- a ledger listing one address twice (the trader's true insolvent book at its index, a solvent
  book elsewhere): the Python verifier attested the solvent index and the trader's check said OK;
  and a ledger listing the address once, at the solvent index only (the venue's word);
- ``verify --ledger`` without a checked market deciding "attest" for a market nobody published;
- ``epoch prove`` counting a double listing twice and proving it again on every rerun;
- a registry deployed with a grace period of 0 (every account stale the moment an epoch appears).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.types import TxParams
from zksolvency.onchain.client import Chain
from zksolvency.onchain.tx import ChainError, Flag, proof_calldata
from zksolvency.onchain.vault import Vault
from zksolvency.prover.config import CircuitConfig
from zksolvency.prover.setup import Artifacts
from zksolvency.zkcore.errors import InputError

from tests.helpers import data
from tests.helpers.chain import GRACE, LEDGER_BOOKS, Roles, at, now, publish_with_ledger, refused, write_statements
from tests.helpers.files import TEST_BUILD, write_json
from tests.helpers.registry import ADDR, bundle, ready, signal
from tests.helpers.vault import UNIT, Actors, funded

pytestmark = pytest.mark.slow

ZKSOLVENCY = str(Path(sys.executable).with_name("zksolvency"))
ENV = {**os.environ, "ZKSOLVENCY_BUILD": str(TEST_BUILD)}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ZKSOLVENCY, *args], capture_output=True, text=True, env=ENV, timeout=300)


# ------------------------------------------------------------ 1. a resolved flag raised again


def test_a_resolved_insolvency_flag_cannot_be_raised_again_by_replaying_its_proof(
    chain: Chain,
    roles: Roles,
    venue_proofs: Path,
    vault: tuple[Vault, Contract],
    actors: Actors,
) -> None:
    v, token = vault
    b = bundle(venue_proofs, "insolvent")
    ready(chain, roles, b)
    funded(chain, v, token, ADDR, 500 * UNIT)
    res = chain.submit_proof("flag", b, actors.keeper)
    assert v.liquidate(ADDR, actors.keeper).seized == 100 * UNIT  # the first slice
    chain.resolve_flag(ADDR, roles.liquidator)  # the venue settled ADDR at this epoch: the liquidation ends
    # the trader, cleared, deposits again within the same epoch
    funded(chain, v, token, ADDR, 300 * UNIT)
    # anyone copies the proof out of the first flag's calldata and sends it again
    sent = chain.w3.eth.get_transaction(res.tx_hash)
    replay: TxParams = {"to": sent["to"], "data": sent["input"], "from": roles.others[5]}
    with pytest.raises(ChainError, match="SolvencyRegistry__FlagResolvedThisEpoch"):
        chain.send(chain.contract("registry").functions.flagInsolvent(ADDR, 42, *proof_calldata(b["proof"], b["public_signals"])))
    with pytest.raises(ContractLogicError) as raw:
        chain.w3.eth.call(replay)  # the raw replay of the very transaction
    selector = Web3.keccak(text="SolvencyRegistry__FlagResolvedThisEpoch(address,uint64)")[:4].hex().removeprefix("0x")
    assert str(raw.value.data).removeprefix("0x").startswith(selector)
    st = chain.status(ADDR)
    assert st["flag"] == Flag.NONE, f"ATTACK: the replayed proof flagged ADDR {st['flag']!r} again"
    refused("MarginVault__NotFlagged", v.liquidate, ADDR, roles.others[5])
    # what the resolve left it (400) and its new deposit (300), untouched
    assert v.balance(ADDR) == 700 * UNIT, "ATTACK: the cleared trader's new deposit was liquidated"
    # `chain flag` (the venue's epoch job) skips it rather than spending gas on a refused flag
    out = venue_proofs / "replay-out"
    out.mkdir(exist_ok=True)
    (out / "insolvent.json").write_text(json.dumps(b))
    flag_run = chain.flag_bundles([out])
    assert flag_run.flagged == [] and flag_run.skipped == [ADDR] and flag_run.failed == []


def test_stale_then_resolve_then_the_epochs_insolvency_proof_raises_no_flag(
    chain: Chain, roles: Roles, venue_proofs: Path
) -> None:
    b = bundle(venue_proofs, "insolvent")
    t = ready(chain, roles, b)
    at(chain, t + GRACE)
    assert chain.flag_stale([ADDR]).flagged == [ADDR]
    chain.resolve_flag(ADDR, roles.liquidator)
    refused("SolvencyRegistry__FlagResolvedThisEpoch", chain.submit_proof, "flag", b)
    refused("SolvencyRegistry__NotDue", chain.flag_stale, [ADDR])  # and no stale flag either
    assert chain.status(ADDR)["flag"] == Flag.NONE
    # the next publication owes a new proof: the old one is for a past epoch now
    publish_with_ledger(chain, 43, 4343, 4344, now(chain) + 1)
    refused("SolvencyRegistry__StaleEpoch", chain.submit_proof, "flag", b)


def test_control_a_stale_flag_is_still_overridden_by_the_insolvency_proof(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    b = bundle(venue_proofs, "insolvent")
    t = ready(chain, roles, b)
    at(chain, t + GRACE)
    chain.flag_stale([ADDR])
    chain.submit_proof("flag", b)
    assert chain.status(ADDR)["flag"] == Flag.INSOLVENT


# ------------------------------------------------------------ 2. one address listed twice


def _ledger_json(path: Path, root: str, accounts: list[tuple[str, int]], epoch: int = 42) -> Path:
    content = {"format": "zksolvency-ledger/1", "epoch": epoch, "root": root, "depth": 8}
    content["accounts"] = [{"account": a, "index": i} for a, i in accounts]
    return write_json(path, content)


def test_a_double_listing_fools_neither_the_verifier_nor_the_trader(venue_proofs: Path, tmp_path: Path) -> None:
    """LEDGER_BOOKS: ADDR's true (insolvent) book at index 0, a solvent book for ADDR at index 2."""
    dup = bundle(venue_proofs, "duplicate")
    root = f"0x{signal(dup, 2):064x}"
    led = _ledger_json(tmp_path / "ledger.json", root, [(data.ADDR, 0), (data.OTHER_ADDR, 1), (data.ADDR, 2)])
    bundle_file = write_json(tmp_path / "dup.bundle.json", dup)
    market = str(venue_proofs / "market42.json")
    r = run("verify", str(bundle_file), "--market", market, "--ledger", str(led), "--config", "test")
    assert r.returncode == 2, f"ATTACK: {r.stdout}"  # malformed: refused, never SOLVENT
    assert "accounts[2].account" in r.stderr and "listed twice" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run("verify-batch", str(bundle_file), "--market", market, "--ledger", str(led), "--config", "test")
    assert r.returncode == 2 and "listed twice" in r.stderr
    # the trader's check of the statement the venue handed ADDR (index 0) is a mismatch
    statements = write_statements(tmp_path / "s", LEDGER_BOOKS, 42, 8)
    r = run("statement", "verify", str(statements[0]), "--ledger", str(led))
    assert r.returncode == 1, f"ATTACK: the trader's check said {r.stdout!r}"
    assert "listed twice" in r.stdout + r.stderr
    # another address listed twice is no mismatch of ADDR's: the file is malformed (exit 2)
    other_dup = _ledger_json(tmp_path / "l2.json", root, [(data.ADDR, 0), (data.OTHER_ADDR, 1), (data.OTHER_ADDR, 3)])
    r = run("statement", "verify", str(statements[0]), "--ledger", str(other_dup))
    assert r.returncode == 2 and "accounts[2].account" in r.stderr
    # an index listed twice
    index_dup = _ledger_json(tmp_path / "l3.json", root, [(data.ADDR, 0), (data.OTHER_ADDR, 0)])
    r = run("verify", str(bundle_file), "--market", market, "--ledger", str(index_dup), "--config", "test")
    assert r.returncode == 2 and "accounts[1].index" in r.stderr


def test_a_single_listing_at_the_wrong_index_is_caught_by_the_enrollment(
    chain: Chain, roles: Roles, venue_proofs: Path, tmp_path: Path
) -> None:
    """The venue lists ADDR once, at the solvent index 2 only. The listing is the venue's word:
    verify says so; with the registry (enrolled at 0) or its enrollment file, the proof is refused."""
    dup = bundle(venue_proofs, "duplicate")
    root = f"0x{signal(dup, 2):064x}"
    led = _ledger_json(tmp_path / "ledger.json", root, [(data.OTHER_ADDR, 1), (data.ADDR, 2)])
    bundle_file = write_json(tmp_path / "dup.bundle.json", dup)
    market = str(venue_proofs / "market42.json")
    r = run("verify", str(bundle_file), "--market", market, "--ledger", str(led), "--config", "test")
    assert r.returncode == 0 and "from the venue's listing" in r.stdout, r.stdout + r.stderr
    r = run("verify", str(bundle_file), "--market", market, "--ledger", str(led), "--config", "test", "--json")
    assert json.loads(r.stdout)["index_source"] == "listing"
    # the registry enrolled ADDR at 0 and OTHER at 1; the venue published this ledger's root
    ready(chain, roles, dup)
    dep = ("--rpc", chain.rpc, "--deployment", str(chain.deployment_file))
    r = run("verify", str(bundle_file), "--config", "test", *dep)
    assert r.returncode == 1, f"ATTACK: {r.stdout}"
    assert "enrolled at index 0" in r.stderr and "index 2" in r.stderr
    enrolled = tmp_path / "enrolled.json"
    enrolled.write_text(run("chain", "enrolled", "--json", *dep).stdout)
    r = run("verify", str(bundle_file), "--market", market, "--ledger", str(led), "--indices", str(enrolled), "--config", "test")
    assert r.returncode == 1 and "enrolled at index 0" in r.stderr
    # control: OTHER's own proof is at its enrolled index, and --rpc alone reaches a decision
    other = write_json(tmp_path / "other.bundle.json", bundle(venue_proofs, "other"))
    r = run("verify", str(other), "--config", "test", "--json", *dep)
    j = json.loads(r.stdout)
    assert r.returncode == 0 and j["decision"] == "attest" and j["index_source"] == "enrollment" and j["market_checked"]


# ------------------------------------------------------------ 3. no decision without a checked market


def test_no_decision_for_a_market_nobody_published(venue_proofs: Path, tmp_path: Path) -> None:
    b = bundle(venue_proofs, "other")
    bundle_file = write_json(tmp_path / "b.json", b)
    led = _ledger_json(tmp_path / "ledger.json", f"0x{signal(b, 2):064x}", [(data.ADDR, 0), (data.OTHER_ADDR, 1)])
    for extra in ((), ("--ledger", str(led))):
        r = run("verify", str(bundle_file), "--config", "test", *extra, "--json")
        j = json.loads(r.stdout)
        assert r.returncode == 0 and j["valid"] is True
        assert j["decision"] is None and j["market_checked"] is False, f"ATTACK: decided {j['decision']!r} on an unchecked market"
        r = run("verify", str(bundle_file), "--config", "test", *extra)
        assert r.returncode == 0 and "no decision" in r.stdout and "SOLVENT — attestation accepted" not in r.stdout
        assert "market root" in r.stdout and "not checked" in r.stdout


# ------------------------------------------------------------ 4. epoch prove and a double listing


def test_epoch_prove_refuses_a_double_listing(venue_proofs: Path, tmp_path: Path, test_cfg: CircuitConfig) -> None:
    d = tmp_path / "L"
    (d / "statements").mkdir(parents=True)
    statements = write_statements(tmp_path / "s", LEDGER_BOOKS, 42, 8)
    root = json.loads(statements[0].read_text())["ledger_root"]
    (d / "statements" / f"{data.ADDR}.json").write_text(statements[2].read_text())
    (d / "statements" / f"{data.OTHER_ADDR}.json").write_text(statements[1].read_text())
    _ledger_json(d / "ledger.json", root, [(data.ADDR, 0), (data.OTHER_ADDR, 1), (data.ADDR, 2)])
    out = tmp_path / "out"
    r = run("epoch", "prove", str(d), str(venue_proofs / "market42.json"), "-o", str(out), "--config", "test", "--quiet")
    assert r.returncode == 2 and "listed twice" in r.stderr, r.stdout + r.stderr
    assert not out.exists() or not any(out.iterdir())


# ------------------------------------------------------------ 6. grace periods the registry refuses


@pytest.mark.parametrize(("grace", "ledger_grace", "error"), [
    (0, 1800, "SolvencyRegistry__GracePeriodOutOfRange"),
    (59, 1800, "SolvencyRegistry__GracePeriodOutOfRange"),
    (30 * 86400 + 1, 1800, "SolvencyRegistry__GracePeriodOutOfRange"),
    (3600, 0, "SolvencyRegistry__LedgerGraceOutOfRange"),
    (3600, 7 * 86400 + 1, "SolvencyRegistry__LedgerGraceOutOfRange"),
])  # fmt: skip
def test_a_grace_period_out_of_bounds_is_refused_before_anything_is_deployed(
    chain: Chain, artifacts: Artifacts, test_cfg: CircuitConfig, grace: int, ledger_grace: int, error: str
) -> None:
    block = chain.w3.eth.block_number
    with pytest.raises(InputError, match=error):
        chain.deploy(artifacts.solidity, test_cfg.name, grace, ledger_grace=ledger_grace, capacity=256)
    assert chain.w3.eth.block_number == block  # nothing sent
    # the registry itself refuses it too, whoever deploys it (no pre-check in front)
    reg = chain.compiled["SolvencyRegistry"]
    factory = chain.w3.eth.contract(abi=reg.abi, bytecode=reg.bytecode)
    one = "0x" + "00" * 19 + "01"
    who = chain.default_sender()
    with pytest.raises(ChainError, match=error):
        chain.send(factory.constructor(one, one, one, grace, ledger_grace, 256, who, who, who))


def test_chain_deploy_grace_zero_is_one_line(chain: Chain, artifacts: Artifacts, test_cfg: CircuitConfig, tmp_path: Path) -> None:
    build = tmp_path / "build"
    (build / test_cfg.name).mkdir(parents=True)
    for f in (artifacts.solidity, artifacts.batch_solidity, artifacts.vkey):
        (build / test_cfg.name / f.name).write_bytes(f.read_bytes())
    dep = tmp_path / "d.json"
    args = ("chain", "deploy", "--config", "test", "--rpc", chain.rpc, "--build-dir", str(build), "--deployment", str(dep))
    block = chain.w3.eth.block_number
    for flag, value in (("--grace", "0"), ("--ledger-grace", "30")):
        r = run(*args, flag, value)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert flag in r.stderr and "OutOfRange" in r.stderr and "Traceback" not in r.stderr
        assert not dep.exists() and chain.w3.eth.block_number == block
