"""Native proofs against every verifier: snarkjs's own `groth16 verify`, the Python verifier and the
generated Solidity verifier inside the registry (`attest` and `flagInsolvent` on anvil), for both
verdicts, on the test instance and on the default one; and snarkjs proofs of the same statements
beside them (the same keys, the same claims)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import zksolvency
from zksolvency.onchain import anvil
from zksolvency.onchain.client import Chain
from zksolvency.onchain.tx import Flag
from zksolvency.prover import tools
from zksolvency.prover.config import CircuitConfig
from zksolvency.prover.prove import prove
from zksolvency.prover.setup import Artifacts
from zksolvency.zkcore.paths import ROOT

from tests.helpers.chain import GRACE, Roles
from tests.helpers.files import TEST_BUILD
from tests.helpers.registry import ADDR, OTHER, bundle, ready


def _snarkjs_accepts(art: Artifacts, b: dict[str, Any]) -> bool:
    return tools.groth16_verify(art.vkey, b["public_signals"], b["proof"])


def test_native_proofs_of_both_verdicts_pass_snarkjs_python_and_the_registry(
    chain: Chain, roles: Roles, venue_proofs: Path, artifacts: Artifacts
) -> None:
    solvent, insolvent = bundle(venue_proofs, "other"), bundle(venue_proofs, "insolvent")
    for b, decision in ((solvent, "attest"), (insolvent, "flag")):
        assert _snarkjs_accepts(artifacts, b)
        path = venue_proofs / f"{'other' if decision == 'attest' else 'insolvent'}.bundle.json"
        verdict = zksolvency.verify(path, vkey=artifacts.vkey, market=venue_proofs / "market42.json")
        assert verdict.market_checked and verdict.solvent is (decision == "attest")
    ready(chain, roles, solvent)
    chain.submit_proof("attest", solvent, roles.others[0])
    chain.submit_proof("flag", insolvent, roles.others[0])
    assert chain.status(OTHER)["attested_epoch"] == 42 and chain.status(ADDR)["flag"] == Flag.INSOLVENT


def test_two_native_proofs_of_one_statement_differ_and_snarkjs_proves_the_same_claims(
    venue_proofs: Path, artifacts: Artifacts, test_cfg: CircuitConfig, tmp_path: Path
) -> None:
    statement = venue_proofs / "statements" / "statement-42-1.json"
    market = venue_proofs / "market42.json"
    runs = {
        name: prove(statement, market, tmp_path / f"{name}.json", test_cfg, TEST_BUILD, prover=who)
        for name, who in (("n1", "native"), ("n2", "native"), ("s", "snarkjs"))
    }
    assert [r.prover for r in runs.values()] == ["native", "native", "snarkjs"]
    bundles = {name: json.loads((tmp_path / f"{name}.json").read_text()) for name in runs}
    # fresh r and s every proof: the points differ, the public signals and claims do not
    assert bundles["n1"]["proof"]["pi_a"] != bundles["n2"]["proof"]["pi_a"]
    assert bundles["n1"]["proof"]["pi_c"] != bundles["n2"]["proof"]["pi_c"]
    for name, b in bundles.items():
        assert b["public_signals"] == bundles["s"]["public_signals"] and b["claims"] == bundles["s"]["claims"]
        assert set(b["proof"]) == set(bundles["s"]["proof"])  # snarkjs's format, field for field
        assert _snarkjs_accepts(artifacts, b)
        verdict = zksolvency.verify(tmp_path / f"{name}.json", vkey=artifacts.vkey, market=market)
        assert verdict.market_checked and verdict.solvent


def test_native_proofs_on_the_default_instance_pass_every_verifier(
    node: anvil.Node, roles: Roles, default_artifacts: Artifacts, tmp_path: Path
) -> None:
    """The demo's traders in a ledger of the default instance (depth 20): alice solvent, bob not;
    both proven natively with the C++ witness, then checked by snarkjs, by the Python verifier
    against the market and the ledger, and by a registry of the default key on anvil."""
    from zksolvency.oracle.marketbuild import build_market
    from zksolvency.prover.config import load_config

    cfg = load_config("default")
    demo = ROOT / "examples" / "demo"
    market = tmp_path / "market.json"
    market.write_text(json.dumps(build_market(ROOT / "examples" / "market-spec.json")))
    built = zksolvency.build_ledger([demo / "alice.json", demo / "bob.json"], market, tmp_path / "L", config="default")
    paths = {}
    for name, addr in zip(("alice", "bob"), sorted(built.statements, key=lambda a: built.statements[a].index), strict=True):
        out = tmp_path / f"{name}.bundle.json"
        r = prove(tmp_path / "L" / "statements" / f"{addr}.json", market, out, cfg, TEST_BUILD, prover="native")
        assert r.prover == "native" and r.fallback is None
        paths[name] = out
    bundles = {n: json.loads(p.read_text()) for n, p in paths.items()}
    assert [b["claims"]["solvent"] for b in bundles.values()] == [True, False]
    for name, p in paths.items():
        assert _snarkjs_accepts(default_artifacts, bundles[name])
        verdict = zksolvency.verify(p, vkey=default_artifacts.vkey, market=market, ledger=tmp_path / "L" / "ledger.json")
        assert verdict.decision == ("attest" if name == "alice" else "flag")
    ch = Chain(node.rpc, tmp_path / "deployment.json")
    ch.deploy(default_artifacts.solidity, cfg.name, GRACE, roles.liquidator, venue=roles.venue, admin=roles.admin)
    ch.enroll([b["claims"]["account"] for b in bundles.values()], roles.venue)
    alice, bob = bundles["alice"], bundles["bob"]
    ch.publish(int(alice["claims"]["epoch"]), int(alice["public_signals"][3]), roles.admin)
    ch.publish_ledger(int(alice["claims"]["epoch"]), int(alice["public_signals"][2]), roles.venue)
    ch.submit_proof("attest", alice, roles.others[0])
    ch.submit_proof("flag", bob, roles.others[0])
    assert ch.status(alice["claims"]["account"])["solvent_now"] and ch.status(bob["claims"]["account"])["flag"] == Flag.INSOLVENT
