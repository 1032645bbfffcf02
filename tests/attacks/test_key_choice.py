"""Issue 8 §2 (high): a bundle must not choose the key it is verified against.

The attack: one weak instance anywhere in the build directory (a ``--param`` experiment, here keys
of a beacon-only ptau) and a forged bundle that names it (``circuit``, ``vkey_sha256``), so that a
``verify`` without ``--vkey`` that took ``build/<bundle["circuit"]>/verification_key.json`` would
accept it. Each test first shows the forgery passes the raw check against the weak key, then that
``verify``, ``verify-batch`` and the chain client's pre-check refuse it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from zksolvency.cli import main
from zksolvency.prover.setup import Artifacts
from zksolvency.verifier.bn254 import R
from zksolvency.verifier.groth16 import parse_proof, parse_vkey, prepare, verify_fast
from zksolvency.zkcore.bundle import vkey_digest

from tests.helpers.files import TEST_BUILD
from tests.helpers.forgery import beacon_secrets, forge
from tests.helpers.ptau_lab import Lab

pytestmark = pytest.mark.slow

WEAK = "solvency_k3-a2-s4-t3-d3-c2-experiment"  # looks like an instance name


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def weak_forgery(lab: Lab, bundle_dir: Path, tmp_path: Path) -> Iterator[Path]:
    """A weak instance in the build dir and a solvent = 1 bundle for the insolvent account naming it."""
    weak_dir = TEST_BUILD / WEAK
    weak_dir.mkdir(exist_ok=True)
    shutil.copyfile(lab.beacon.vkey, weak_dir / "verification_key.json")
    vk = lab.beacon.vk()
    _tau, alpha, beta = beacon_secrets(lab.beacon.ptau)
    b = json.loads((bundle_dir / "insolvent.bundle.json").read_text())
    signals = [1, *map(int, b["public_signals"][1:])]
    b.update(
        circuit=WEAK,
        vkey_sha256=vkey_digest(vk),
        proof=forge(vk, alpha * beta % R, signals),
        public_signals=[str(s) for s in signals],
    )
    b["claims"]["solvent"] = True
    # the attack is real: against the weak key the forgery verifies
    assert verify_fast(prepare(parse_vkey(vk)), parse_proof(b["proof"]), signals)
    out = tmp_path / "forged.bundle.json"
    out.write_text(json.dumps(b))
    yield out
    shutil.rmtree(weak_dir)


def test_bundle_naming_a_weak_instance_is_refused_by_verify(weak_forgery: Path) -> None:
    for extra in ((), ("--allow-insecure-key",)):  # refused for the key choice, not only the label
        r = cli("verify", str(weak_forgery), "--config", "test", *extra)
        assert r.exit_code == 1, r.output
        assert "does not trust" in r.output and len(r.output.splitlines()) == 1


def test_bundle_naming_a_weak_instance_is_refused_by_verify_batch(weak_forgery: Path, bundle_dir: Path) -> None:
    good = str(bundle_dir / "solvent.bundle.json")
    r = cli("verify-batch", good, str(weak_forgery), "--config", "test", "--allow-insecure-key", "--json")
    assert r.exit_code == 1
    lines = [json.loads(x) for x in r.output.splitlines()]
    assert [x["valid"] for x in lines] == [True, False] and "does not trust" in lines[1]["reason"]


def test_without_any_key_option_the_default_instance_decides(weak_forgery: Path, tmp_path: Path) -> None:
    """No --vkey, no --config: the key `setup` recorded for `default`, never build/<circuit>/."""
    build = tmp_path / "build"
    shutil.copytree(TEST_BUILD / WEAK, build / WEAK)
    r = cli("verify", str(weak_forgery), "--build-dir", str(build), "--allow-insecure-key")
    assert r.exit_code == 2 and "configs/default.json" in r.output and "setup --config default" in r.output


def test_allow_list_admits_only_listed_digests(
    weak_forgery: Path, bundle_dir: Path, artifacts: Artifacts, tmp_path: Path
) -> None:
    good_digest = vkey_digest(json.loads(artifacts.vkey.read_text()))
    allow = tmp_path / "trusted.txt"
    allow.write_text(f"# production keys\n{good_digest}\n")
    r = cli("verify", str(bundle_dir / "solvent.bundle.json"), "--trusted-keys", str(allow))
    assert r.exit_code == 0, r.output
    r = cli("verify", str(weak_forgery), "--trusted-keys", str(allow), "--allow-insecure-key")
    assert r.exit_code == 1 and "does not trust" in r.output
    # listed digest, but the bundle names another circuit than the key's own
    b = json.loads((bundle_dir / "solvent.bundle.json").read_text())
    b["circuit"] = WEAK
    renamed = tmp_path / "renamed.json"
    renamed.write_text(json.dumps(b))
    assert cli("verify", str(renamed), "--trusted-keys", str(allow)).exit_code == 1
    r = cli("verify", str(renamed), "--config", "test")
    assert r.exit_code == 1 and "names circuit" in r.output
    allow.write_text("not-a-digest\n")
    r = cli("verify", str(bundle_dir / "solvent.bundle.json"), "--trusted-keys", str(allow))
    assert r.exit_code == 2 and "line 1" in r.output


@pytest.fixture
def node(artifacts: Artifacts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("ZKSOLVENCY_DEPLOYMENT", str(tmp_path / "deployment.json"))
    r = cli("chain", "up")
    assert r.exit_code == 0, r.output
    yield r.output.split()[3]
    cli("chain", "down")


def test_chain_precheck_uses_the_deployed_key_not_the_bundles(node: str, weak_forgery: Path, bundle_dir: Path) -> None:
    from web3 import Web3

    r = cli("chain", "deploy", "--config", "test", "--json")
    assert r.exit_code == 0, r.output
    assert cli("chain", "publish", str(bundle_dir / "market.json")).exit_code == 0
    w3 = Web3(Web3.HTTPProvider(node))
    block = w3.eth.block_number
    r = cli("chain", "attest", str(weak_forgery))
    assert r.exit_code == 1 and "does not trust" in r.output
    assert w3.eth.block_number == block  # refused before any transaction


def test_chain_deploy_refuses_an_insecure_key(lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from zksolvency.onchain.keys import deployable_key
    from zksolvency.prover.config import load_config
    from zksolvency.zkcore.errors import InputError

    build = tmp_path / "build"
    inst = build / load_config("test").name
    inst.mkdir(parents=True)
    for f in (lab.beacon.vkey, lab.beacon.solidity):
        shutil.copyfile(f, inst / f.name)
    monkeypatch.setenv("ZKSOLVENCY_BUILD", str(build))
    r = cli("chain", "deploy", "--config", "test", "--rpc", "http://127.0.0.1:9")
    assert r.exit_code == 2 and "insecure-beacon" in r.output and "--allow-insecure-key" in r.output
    # with the flag it goes on to the node (none here): the refusal was the key's label
    r = cli("chain", "deploy", "--config", "test", "--rpc", "http://127.0.0.1:9", "--allow-insecure-key")
    assert r.exit_code == 1 and "no JSON-RPC node" in r.output
    with pytest.raises(InputError, match="insecure-beacon"):
        deployable_key(inst / "Groth16Verifier.sol")
    assert deployable_key(inst / "Groth16Verifier.sol", allow_insecure_key=True).trust == "insecure-beacon"
    # a verifier not generated from this key's proving key is refused whatever the flag
    shutil.copyfile(lab.project.solidity, inst / "Groth16Verifier.sol")
    with pytest.raises(InputError, match="not generated from the proving key"):
        deployable_key(inst / "Groth16Verifier.sol", allow_insecure_key=True)
