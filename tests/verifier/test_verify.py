"""The Python verifier on real bundles: accepts both verdicts, rejects every tampering.

Every test runs twice (the ``backend`` fixture, as py_ecc tests its two backends): once with the
fast pairing of :mod:`verifier.bn254` and once with py_ecc's reference pairing swapped in for it.
The verifier trusts the test instance's key (``--config test``) unless a test passes ``--vkey``.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from zksolvency.cli import main
from zksolvency.prover.setup import Artifacts
from zksolvency.prover.tools import groth16_verify
from zksolvency.verifier import bn254
from zksolvency.verifier import verify as verify_mod
from zksolvency.verifier.groth16 import (
    PreparedKey,
    Proof,
    parse_proof,
    parse_signals,
    parse_vkey,
    prepare,
    verify_fast,
    verify_reference,
)
from zksolvency.zkcore.bundle import vkey_digest
from zksolvency.zkcore.field import SNARK_FIELD

from tests.helpers import data
from tests.helpers.files import read_json_object
from tests.verifier.test_bn254 import g2, twist_point_outside_subgroup


@pytest.fixture(autouse=True, params=["fast", "reference"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Which pairing the bundle verifier uses: the fast path, or py_ecc's reference in its place."""
    if request.param == "reference":

        def reference(pk: PreparedKey, proof: Proof, signals: Any) -> bool:
            return verify_reference(pk.vk, proof, signals)

        def reference_each(pk: PreparedKey, items: Any) -> list[bool]:
            return [verify_reference(pk.vk, p, s) for p, s in items]

        monkeypatch.setattr(verify_mod, "verify_fast", reference)
        monkeypatch.setattr(verify_mod, "verify_each", reference_each)
    return str(request.param)


def cli(*args: str) -> Result:
    if args[0] in ("verify", "verify-batch") and "--vkey" not in args:
        args = (*args, "--config", "test")  # the verifier's own choice of key
    return CliRunner().invoke(main, list(args))


def load(bundle_dir: Path, name: str) -> dict[str, Any]:
    return read_json_object(bundle_dir / f"{name}.bundle.json")


def write(tmp_path: Path, b: dict[str, Any] | str, name: str = "b.json") -> Path:
    p = tmp_path / name
    p.write_text(b if isinstance(b, str) else json.dumps(b))
    return p


def rejected(path: Path, *extra: str) -> str:
    r = cli("verify", str(path), *extra)
    assert r.exit_code == 1, r.output
    assert "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1
    return r.output


@pytest.mark.parametrize(
    ("name", "headline", "decision"),
    [("solvent", "SOLVENT — attestation accepted", "attest"), ("insolvent", "INSOLVENT — flag for liquidation", "flag")],
)
def test_valid_bundles_are_accepted(bundle_dir: Path, artifacts: Artifacts, name: str, headline: str, decision: str) -> None:
    path = bundle_dir / f"{name}.bundle.json"
    market = ("--market", str(bundle_dir / "market.json"))
    ledger = ("--ledger", str(bundle_dir / ("ledger-insolvent" if name == "insolvent" else "ledger") / "ledger.json"))
    r = cli("verify", str(path), *market, *ledger)
    assert r.exit_code == 0 and r.output.splitlines()[0] == headline
    j = json.loads(cli("verify", str(path), "--json").output)
    # the bundle's word alone is no epoch, and no market: a valid proof, but no decision
    assert j["valid"] is True and j["decision"] is None and j["market_checked"] is False and j["claimed_epoch"] == 42
    assert j["epoch"] is None and j["epoch_checked"] is False
    # a checked market with a ledger nobody checked: still no decision (anyone can build a ledger)
    r = cli("verify", str(path), *market)
    verdict = r.output.splitlines()[0]
    assert r.exit_code == 0 and verdict.startswith("VALID proof") and "the ledger was not checked" in verdict
    j = json.loads(cli("verify", str(path), "--json", *market).output)
    assert j["epoch"] == 42 and j["epoch_checked"] is True and j["market_checked"] is True and j["decision"] is None
    j = json.loads(cli("verify", str(path), "--json", *market, *ledger).output)
    assert j["ledger_checked"] is True and j["market_checked"] is True and j["decision"] == decision
    b = load(bundle_dir, name)
    assert groth16_verify(artifacts.vkey, b["public_signals"], b["proof"])  # the reference tool agrees


def test_fast_path_agrees_with_py_ecc_reference(bundle_dir: Path, artifacts: Artifacts) -> None:
    vk = parse_vkey(json.loads(artifacts.vkey.read_text()))
    pk = prepare(vk)
    b = load(bundle_dir, "insolvent")
    proof, sig = parse_proof(b["proof"]), parse_signals(b["public_signals"], 4)
    assert verify_fast(pk, proof, sig) is verify_reference(vk, proof, sig) is True
    forged = [1, *sig[1:]]
    assert verify_fast(pk, proof, forged) is verify_reference(vk, proof, forged) is False


@pytest.mark.parametrize("index", range(4))
@pytest.mark.parametrize("delta", [1, SNARK_FIELD], ids=["+1", "+r"])
def test_changed_public_signal_is_rejected(bundle_dir: Path, tmp_path: Path, index: int, delta: int) -> None:
    b = load(bundle_dir, "insolvent")
    b["public_signals"][index] = str(int(b["public_signals"][index]) + delta)
    out = rejected(write(tmp_path, b))
    assert ("not below the group order" in out) if delta == SNARK_FIELD else ("does not verify" in out or "public signals" in out)


def test_claim_disagreeing_with_signals_is_rejected(bundle_dir: Path, tmp_path: Path) -> None:
    b = load(bundle_dir, "insolvent")
    b["claims"]["solvent"] = True
    assert "claims.solvent disagrees" in rejected(write(tmp_path, b))
    b = load(bundle_dir, "solvent")
    b["claims"]["account"] = data.OTHER_ADDR
    assert "claims.account disagrees" in rejected(write(tmp_path, b))
    b = load(bundle_dir, "solvent")
    b["claims"]["index"] = 1
    assert "claims.index disagrees" in rejected(write(tmp_path, b))
    b = load(bundle_dir, "solvent")
    b["claims"]["index"] = False  # 0 == False in Python; the types must agree too
    assert "claims.index disagrees" in rejected(write(tmp_path, b))


def test_proof_point_off_curve_is_rejected(bundle_dir: Path, tmp_path: Path) -> None:
    b = load(bundle_dir, "solvent")
    b["proof"]["pi_a"][1] = str((int(b["proof"]["pi_a"][1]) + 1) % bn254.Q)
    assert "not on the curve" in rejected(write(tmp_path, b))
    b = load(bundle_dir, "solvent")
    b["proof"]["pi_c"][0] = str(bn254.Q + 1)
    assert "not below the field modulus" in rejected(write(tmp_path, b))


def test_b_outside_the_subgroup_is_rejected(bundle_dir: Path, tmp_path: Path) -> None:
    b = load(bundle_dir, "solvent")
    (x0, x1), (y0, y1) = twist_point_outside_subgroup()
    b["proof"]["pi_b"] = [[str(x0), str(x1)], [str(y0), str(y1)], ["1", "0"]]
    assert "not in the order-r subgroup" in rejected(write(tmp_path, b))


def test_swapped_coordinates_are_rejected(bundle_dir: Path, tmp_path: Path) -> None:
    b = load(bundle_dir, "solvent")
    for coord in b["proof"]["pi_b"][:2]:
        coord.reverse()  # the Solidity calldata order, mistaken for snarkjs's
    rejected(write(tmp_path, b))
    b = load(bundle_dir, "solvent")
    b["proof"]["pi_a"][:2] = reversed(b["proof"]["pi_a"][:2])
    rejected(write(tmp_path, b))


def test_proof_of_another_account_is_rejected(bundle_dir: Path, tmp_path: Path) -> None:
    other = load(bundle_dir, "other")
    assert other["claims"]["account"] == data.OTHER_ADDR and other["claims"]["index"] == 2
    b = load(bundle_dir, "solvent")
    b["proof"] = other["proof"]  # another account's proof under my signals
    assert "does not verify" in rejected(write(tmp_path, b))


def test_bundle_for_another_key_is_rejected(bundle_dir: Path, artifacts: Artifacts, tmp_path: Path) -> None:
    vk = json.loads(artifacts.vkey.read_text())
    other = copy.deepcopy(vk)
    (x0, x1), (y0, y1) = g2(5)  # a valid subgroup point: a well-formed key, just another one
    other["vk_delta_2"] = [[str(x0), str(x1)], [str(y0), str(y1)], ["1", "0"]]
    kp = write(tmp_path, other, "other_vkey.json")
    assert "does not trust" in rejected(bundle_dir / "solvent.bundle.json", "--vkey", str(kp))
    b = load(bundle_dir, "solvent")
    b["vkey_sha256"] = vkey_digest(other)  # relabelled for the other key: the pairing says no
    assert "does not verify" in rejected(write(tmp_path, b), "--vkey", str(kp))


def test_market_of_another_epoch_is_rejected(bundle_dir: Path) -> None:
    out = rejected(bundle_dir / "solvent.bundle.json", "--market", str(bundle_dir / "market43.json"))
    assert "another market or epoch" in out


@pytest.mark.parametrize("text", ["", "{", "not json", "[]", '{"format": "zksolvency-bundle/1"}', "null"])
def test_truncated_or_non_json_bundles_are_rejected(artifacts: Artifacts, tmp_path: Path, text: str) -> None:
    assert "INVALID" in rejected(write(tmp_path, text))


def test_truncated_real_bundle_is_rejected(bundle_dir: Path, tmp_path: Path) -> None:
    text = (bundle_dir / "solvent.bundle.json").read_text()
    for cut in (10, len(text) // 2, len(text) - 3):
        rejected(write(tmp_path, text[:cut]))


def test_malformed_fields_never_crash(bundle_dir: Path, tmp_path: Path) -> None:
    mutations: tuple[Callable[[dict[str, Any]], None], ...] = (
        lambda b: b["proof"].__setitem__("pi_a", "x"),
        lambda b: b["proof"].__setitem__("pi_b", [[1], [2], [3]]),
        lambda b: b.__setitem__("public_signals", ["1", "2"]),
        lambda b: b.__setitem__("public_signals", ["-1", "0", "0", "0"]),
        lambda b: b.__setitem__("public_signals", [None, "0", "0", "0"]),
        lambda b: b.__setitem__("claims", []),
        lambda b: b["claims"].__setitem__("epoch", "42"),
        lambda b: b.__setitem__("proof", None),
    )
    for mutate in mutations:
        b = load(bundle_dir, "solvent")
        mutate(b)
        rejected(write(tmp_path, b))


def test_json_output_of_a_rejection(bundle_dir: Path, tmp_path: Path) -> None:
    b = load(bundle_dir, "insolvent")
    b["claims"]["solvent"] = True
    r = cli("verify", str(write(tmp_path, b)), "--json")
    assert r.exit_code == 1
    assert json.loads(r.output) == {"valid": False, "reason": json.loads(r.output)["reason"]} and "disagrees" in r.output


def test_ledger_binding(bundle_dir: Path, tmp_path: Path) -> None:
    # the right ledger: root, epoch and the (account, index) listing all hold
    r = cli("verify", str(bundle_dir / "solvent.bundle.json"), "--ledger", str(bundle_dir / "ledger" / "ledger.json"), "--json")
    assert r.exit_code == 0, r.output
    j = json.loads(r.output)
    assert (j["account"], j["index"], j["ledger_checked"]) == (data.ADDR, 0, True)
    assert j["ledger_root"] == json.loads((bundle_dir / "ledger" / "ledger.json").read_text())["root"]
    # another ledger (the insolvent one's): another root
    other = str(bundle_dir / "ledger-insolvent" / "ledger.json")
    assert "another ledger" in rejected(bundle_dir / "solvent.bundle.json", "--ledger", other)
    # same root, but the ledger file is for another epoch, or lists the account at another index
    led = json.loads((bundle_dir / "ledger" / "ledger.json").read_text())
    epoch43 = str(write(tmp_path, {**led, "epoch": 43}, "l.json"))
    assert "epoch" in rejected(bundle_dir / "solvent.bundle.json", "--ledger", epoch43)
    moved = {**led, "accounts": [{"account": data.ADDR, "index": 5}]}
    assert "index 5" in rejected(bundle_dir / "solvent.bundle.json", "--ledger", str(write(tmp_path, moved, "l2.json")))


def test_bad_ledger_argument_is_bad_input(bundle_dir: Path, tmp_path: Path) -> None:
    led = json.loads((bundle_dir / "ledger" / "ledger.json").read_text())
    bad = write(tmp_path, {**led, "root": "0x12"}, "l.json")
    r = cli("verify", str(bundle_dir / "solvent.bundle.json"), "--ledger", str(bad))
    assert r.exit_code == 2 and "root" in r.output and len(r.output.strip().splitlines()) == 1


def test_batch_accepts_n_valid_and_names_the_bad_one(bundle_dir: Path, tmp_path: Path) -> None:
    paths = []
    for i, name in enumerate(["solvent", "insolvent", "other", "solvent", "insolvent"]):
        p = tmp_path / f"{i}.json"
        shutil.copyfile(bundle_dir / f"{name}.bundle.json", p)
        paths.append(str(p))
    market = ("--market", str(bundle_dir / "market.json"))
    r = cli("verify-batch", *paths, *market)
    assert r.exit_code == 0, r.output
    assert r.output.count("no decision: the ledger was not checked") == 5
    solvent, insolvent = [paths[i] for i in (0, 2, 3)], [paths[i] for i in (1, 4)]
    r = cli("verify-batch", *solvent, *market, "--ledger", str(bundle_dir / "ledger" / "ledger.json"))
    assert r.exit_code == 0 and r.output.count("SOLVENT — attestation accepted") == 3, r.output
    r = cli("verify-batch", *insolvent, *market, "--ledger", str(bundle_dir / "ledger-insolvent" / "ledger.json"))
    assert r.exit_code == 0 and r.output.count("INSOLVENT — flag") == 2, r.output
    b = load(bundle_dir, "other")
    b["public_signals"][0] = "0"
    b["claims"]["solvent"] = False  # consistent claims, forged verdict: only the pairing catches it
    write(tmp_path, b, "3.json")
    r = cli("verify-batch", *paths, "--json")
    assert r.exit_code == 1
    lines = [json.loads(x) for x in r.output.splitlines()]
    assert [x["valid"] for x in lines] == [True, True, True, False, True]
    assert "does not verify" in lines[3]["reason"] and lines[3]["bundle"].endswith("3.json")


NON_CANONICAL = {
    "leading-zero": lambda s: "0" + s,
    "plus-sign": lambda s: "+" + s,
    "trailing-newline": lambda s: s + "\n",
    "leading-space": lambda s: " " + s,
    "json-number": int,
    "arabic-indic": lambda s: s.translate({ord(str(d)): chr(0x660 + d) for d in range(10)}),
    "fullwidth": lambda s: s.translate({ord(str(d)): chr(0xFF10 + d) for d in range(10)}),
    "hex": lambda s: hex(int(s)),
}


@pytest.mark.parametrize("encode", NON_CANONICAL.values(), ids=NON_CANONICAL.keys())
@pytest.mark.parametrize("where", ["public_signals", "pi_a", "pi_b"])
def test_non_canonical_integers_are_rejected(bundle_dir: Path, tmp_path: Path, encode: Any, where: str) -> None:
    """One proof, one byte encoding: the same numbers spelled differently are not a valid bundle."""
    b = load(bundle_dir, "solvent")
    if where == "public_signals":
        b["public_signals"][1] = encode(b["public_signals"][1])
    elif where == "pi_a":
        b["proof"]["pi_a"][0] = encode(b["proof"]["pi_a"][0])
    else:
        b["proof"]["pi_b"][1][1] = encode(b["proof"]["pi_b"][1][1])
    out = rejected(write(tmp_path, b))
    assert "decimal" in out


def test_extra_proof_fields_and_duplicate_keys_are_rejected(bundle_dir: Path, tmp_path: Path) -> None:
    b = load(bundle_dir, "solvent")
    b["proof"]["pi_d"] = ["1", "2", "1"]
    assert "unknown field" in rejected(write(tmp_path, b))
    text = (bundle_dir / "solvent.bundle.json").read_text()
    dup = text.replace('"format"', '"circuit": "x", "format"', 1)
    assert "duplicate key" in rejected(write(tmp_path, dup))
