"""docs/integration.md, run as written: its Solidity example compiled and used against the real
registry with real proofs, and its shell and Python blocks run in order, on a real anvil with real
proofs of the default instance (the venue's epoch end to end: market, ledger, enrollment, statement
check, epoch prove, verify-batch, attest-batch, flag, keeper daemon)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from web3 import Web3
from zksolvency.onchain.client import Chain
from zksolvency.onchain.solc import compile_sources, contracts_dir
from zksolvency.prover.config import load_config
from zksolvency.prover.setup import Artifacts, setup
from zksolvency.zkcore.paths import ROOT

from tests.helpers.chain import Roles, refused
from tests.helpers.files import TEST_BUILD

DOC = ROOT / "docs" / "integration.md"
BIN = Path(sys.executable).parent


def blocks(path: Path) -> list[tuple[str, str]]:
    """The fenced code blocks of a Markdown file: (language, code), in order."""
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^```(\w+)\n(.*?)^```$", path.read_text(), re.M | re.S)]


def test_the_doc_has_the_three_parts() -> None:
    langs = [lang for lang, _ in blocks(DOC)]
    assert langs.count("solidity") == 1 and langs.count("python") == 1 and langs.count("sh") >= 3


def test_solidity_example_reads_the_real_registry(chain: Chain, roles: Roles, venue_proofs: Path) -> None:
    (code,) = [c for lang, c in blocks(DOC) if lang == "solidity"]
    iface = contracts_dir() / "interfaces" / "ISolvencyRegistry.sol"
    compiled = compile_sources(
        {"docs/SolventOnlyCredit.sol": code, "contracts/interfaces/ISolvencyRegistry.sol": iface.read_text()},
        TEST_BUILD / "chain" / "solc-cache",
    )
    c = compiled["SolventOnlyCredit"]
    factory = chain.w3.eth.contract(abi=c.abi, bytecode=c.bytecode)
    res = chain.send(factory.constructor(chain.deployment["registry"]))
    address = chain.w3.eth.get_transaction_receipt(res.tx_hash)["contractAddress"]
    credit = chain.w3.eth.contract(address=address, abi=c.abi)
    chain.add_abi(c.abi)  # its reverts come back by name
    other = json.loads((venue_proofs / "other.bundle.json").read_text())
    insolvent = json.loads((venue_proofs / "insolvent.bundle.json").read_text())
    trader, flagged = (Web3.to_checksum_address(b["claims"]["account"]) for b in (other, insolvent))
    chain.enroll([flagged, trader], roles.venue)  # indices 0 and 1, as the proofs were made
    chain.publish(42, int(other["public_signals"][3]))
    chain.publish_ledger(42, int(other["public_signals"][2]), roles.venue)
    refused("SolventOnlyCredit__NotSolvent", chain.send, credit.functions.open(100), trader)  # not attested yet
    chain.submit_proof("attest", other)
    chain.send(credit.functions.open(100), trader)
    assert credit.functions.creditLine(trader).call() == 100
    refused("SolventOnlyCredit__NotFlagged", chain.send, credit.functions.close(trader))
    chain.submit_proof("flag", insolvent)
    refused("SolventOnlyCredit__NotSolvent", chain.send, credit.functions.open(5), flagged)
    chain.send(credit.functions.close(flagged))  # anyone may close a flagged account's line


@pytest.fixture(scope="module")
def default_artifacts() -> Artifacts:
    """The default instance's keys (shared with the demo test: built once per session)."""
    return setup(load_config("default"), TEST_BUILD)


@pytest.mark.slow
def test_venue_walk_through_runs_as_written(default_artifacts: Artifacts, tmp_path: Path) -> None:
    work, build = tmp_path / "work", tmp_path / "build"
    work.mkdir()
    build.mkdir()
    (work / "examples").symlink_to(ROOT / "examples")
    (build / default_artifacts.dir.name).symlink_to(default_artifacts.dir)  # keys: cached, not rebuilt
    # a venue's own working folder, outside the checkout: the commands find it through ZKSOLVENCY_ROOT
    env = {**os.environ, "ZKSOLVENCY_BUILD": str(build), "ZKSOLVENCY_ROOT": str(ROOT)}
    env["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    env.pop("ZKSOLVENCY_CONFIG", None)
    env.pop("ZKSOLVENCY_DEPLOYMENT", None)
    steps: list[tuple[str, str]] = []
    for lang, code in blocks(DOC):
        if lang == "sh" and steps and steps[-1][0] == "sh":
            steps[-1] = ("sh", steps[-1][1] + "\n" + code)  # consecutive shell blocks share variables
        elif lang in ("sh", "python"):
            steps.append((lang, code))
    assert [s[0] for s in steps] == ["sh", "python", "sh"]
    outputs = []
    try:
        for lang, code in steps:
            cmd = ["bash", "-euo", "pipefail", "-c", code] if lang == "sh" else [sys.executable, "-c", code]
            r = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=900)
            assert r.returncode == 0, f"{lang} block failed:\n{code}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"
            outputs.append(r.stdout)
    finally:
        subprocess.run([str(BIN / "zksolvency"), "chain", "down"], env=env, capture_output=True, check=False)
    walk, service = outputs[0], outputs[1]
    assert "OK — the ledger of epoch 43 commits to this book" in walk  # alice's statement check
    assert walk.count("SOLVENT — attestation accepted") == 2 and walk.count("INSOLVENT — flag for liquidation") == 1
    assert "attested 2 accounts" in walk and "1 insolvent bundles set aside" in walk
    assert re.search(r"flagged 0x[0-9a-fA-F]{40} for liquidation at epoch 43", walk)
    # the example vault: deposits, alice's withdrawal, bob's first slice and its settlement
    assert walk.count("deposited 2500.5 xUSD (approved exactly that first") == 2 and "withdrew 500 xUSD" in walk
    assert re.search(r"liquidated slice 1 of 0x[0-9a-fA-F]{40} \(flag insolvent, id [0-9]+; basis 2500.5 xUSD", walk)
    assert re.search(r"released [0-9.]+ xUSD held from 0x[0-9a-fA-F]{40} to 0x", walk)
    assert "liquidation  in progress: basis 2500.5 xUSD, 1 slice taken" in walk
    assert re.search(r"epoch 44: flagged 2 stale", walk)  # the keeper daemon's log line: alice and carol
    assert "alice solvent: True" in service and "refused:" in service
    status = dict(line.split(" ", 1) for line in service.splitlines() if line.split(" ", 1)[0] in ("alice", "bob", "carol"))
    assert json.loads(status["alice"]) == {"flag": "stale", "solvent_now": False}  # silent at epoch 44
    assert json.loads(status["bob"]) == {"flag": "insolvent", "solvent_now": False}
    assert json.loads(status["carol"]) == {"flag": "stale", "solvent_now": False}
    assert "due 0 flagged 0" in service  # the keeper already did it: nothing left
