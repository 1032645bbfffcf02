"""ATTACK the Python verifier (``verify``, ``verify-batch``, ``zksolvency.verify``) with real bundles.

Tests assert what the threat model requires (an independent review wrote them; each fails
against code that lets its attack through).

- crash: a bundle of deeply nested JSON (``[[[[...]]]]``) makes ``json.loads`` raise
  RecursionError, or overflow the C stack. Refused (robustness): a clean invalid-bundle error.
- grief verify-batch: one such file among valid bundles must not abort the whole batch (a DoS of a
  relayer that batch-checks bundles it is sent). Refused: every bundle is named and verified.
- replay with a lying epoch: claims.epoch is not a public signal, so without --market ``verify``
  cannot check it, and an integrator reading ``epoch`` would be fooled. Refused: such a bundle is
  never reported valid at the claimed epoch, and --market catches the lie.
- cancelling proofs: C_0 + D and C_1 - D in one verify-batch -> both named invalid. REFUSED.
- type confusion in claims (1 for true, "0" for 0, extra claims). REFUSED.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from py_ecc.fields import optimized_bn128_FQ as FQ
from py_ecc.optimized_bn128 import optimized_curve as oc
from zksolvency.cli import main
from zksolvency.zkcore.field import SNARK_FIELD

from tests.helpers.data import DEEP_JSON
from tests.helpers.files import TEST_BUILD

pytestmark = pytest.mark.slow

DEEP = DEEP_JSON
ZKSOLVENCY = str(Path(sys.executable).with_name("zksolvency"))
ENV = {**os.environ, "ZKSOLVENCY_BUILD": str(TEST_BUILD)}


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, [*args, "--config", "test"])


def load(bundle_dir: Path, name: str) -> dict[str, Any]:
    return dict(json.loads((bundle_dir / f"{name}.bundle.json").read_text()))


def zk(*args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in its own process (a deep JSON can kill the process, so never in pytest's)."""
    return subprocess.run([ZKSOLVENCY, *args, "--config", "test"], capture_output=True, text=True, timeout=300, env=ENV)


def test_deeply_nested_bundle_is_a_clean_rejection(tmp_path: Path, artifacts: Any) -> None:
    p = tmp_path / "deep.json"
    p.write_text(DEEP)
    r = zk("verify", str(p))
    assert r.returncode == 1
    assert "internal error" not in r.stderr, r.stderr  # not "internal error: RecursionError ..."


API_PROBE = """
import sys, web3  # an embedder that also talks to the chain (web3 -> py_ecc sets recursionlimit 100000)
import zksolvency
from zksolvency.verifier.groth16 import InvalidProof
try:
    zksolvency.verify(sys.argv[1], config="test")
except InvalidProof:
    print("InvalidProof"); sys.exit(0)
except RecursionError:
    print("RecursionError"); sys.exit(3)
print("accepted"); sys.exit(4)
"""


def test_api_verify_of_a_hostile_bundle_never_kills_the_process(tmp_path: Path, artifacts: Any) -> None:
    """A relayer/service that verifies user-sent bundles with the documented Python API and submits
    them with web3 (zksolvency.chain) in one process: py_ecc (imported by web3/eth_account) raises
    sys.setrecursionlimit to 100000, so json.loads of a 200 KB nested array overflows the C stack."""
    p = tmp_path / "deep.json"
    p.write_text(DEEP)
    r = subprocess.run([sys.executable, "-c", API_PROBE, str(p)], capture_output=True, text=True, timeout=300, env=ENV)
    assert r.returncode != -signal.SIGSEGV, "the verifying process died of SIGSEGV"
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr[-300:])


def test_one_poisoned_bundle_does_not_hide_the_valid_ones(bundle_dir: Path, tmp_path: Path) -> None:
    shutil.copyfile(bundle_dir / "solvent.bundle.json", tmp_path / "a.json")
    shutil.copyfile(bundle_dir / "other.bundle.json", tmp_path / "b.json")
    (tmp_path / "c.json").write_text(DEEP)  # dropped into the directory by an attacker
    r = zk("verify-batch", str(tmp_path), "--json")
    assert r.returncode == 1
    lines = [json.loads(x) for x in r.stdout.splitlines()]  # one JSON line per bundle, the poisoned one too
    assert [x["valid"] for x in lines] == [True, True, False]


def test_a_lying_epoch_claim_is_never_reported_valid(bundle_dir: Path, tmp_path: Path) -> None:
    b = load(bundle_dir, "solvent")  # proven at epoch 42
    b["claims"]["epoch"] = 43  # replayed as "the next epoch's" attestation
    p = tmp_path / "replay.json"
    p.write_text(json.dumps(b))
    r = cli("verify", str(p), "--json")
    out = json.loads(r.output)
    # never {"valid": true, "epoch": 43, ...} with exit 0
    assert not (r.exit_code == 0 and out["valid"] and out["epoch"] == 43)


def test_the_lying_epoch_is_caught_with_the_market(bundle_dir: Path, tmp_path: Path) -> None:
    b = load(bundle_dir, "solvent")
    b["claims"]["epoch"] = 43
    p = tmp_path / "replay.json"
    p.write_text(json.dumps(b))
    r = cli("verify", str(p), "--market", str(bundle_dir / "market43.json"))
    assert r.exit_code == 1 and "market root differs" in r.output
    r = cli("verify", str(p), "--market", str(bundle_dir / "market.json"))
    assert r.exit_code == 1 and "not the epoch" in r.output


def _shift(point: list[str], d: Any) -> list[str]:
    p = (FQ(int(point[0])), FQ(int(point[1])), FQ(1))
    x, y = oc.normalize(oc.add(p, d))
    return [str(int(x)), str(int(y)), "1"]


def test_two_cancelling_proofs_are_both_named_in_a_batch(bundle_dir: Path, tmp_path: Path) -> None:
    """C_0 + D and C_1 - D: with equal weights the errors cancel in sum r_i C_i. verify-batch's
    weights are random, so the batch fails, and the one-by-one fallback names both."""
    d = oc.multiply(oc.G1, 0xC0FFEE)
    b0, b1 = load(bundle_dir, "solvent"), load(bundle_dir, "other")
    b0["proof"]["pi_c"] = _shift(b0["proof"]["pi_c"], d)
    b1["proof"]["pi_c"] = _shift(b1["proof"]["pi_c"], oc.neg(d))
    paths = []
    for i, b in enumerate((b0, b1)):
        paths.append(tmp_path / f"{i}.json")
        paths[-1].write_text(json.dumps(b))
    shutil.copyfile(bundle_dir / "insolvent.bundle.json", tmp_path / "2.json")
    r = cli("verify-batch", *map(str, paths), str(tmp_path / "2.json"), "--json")
    assert r.exit_code == 1
    assert [json.loads(x)["valid"] for x in r.output.splitlines()] == [False, False, True]


@pytest.mark.parametrize(
    "edit",
    [
        lambda b: b["claims"].__setitem__("solvent", 1),
        lambda b: b["claims"].__setitem__("index", "0"),
        lambda b: b["claims"].__setitem__("index", 0.0),
        lambda b: b["claims"].__setitem__("epoch", True),
        lambda b: b["claims"].__setitem__("account", b["claims"]["account"].upper().replace("0X", "0x")),
        lambda b: b["claims"].__setitem__("ledger_root", b["claims"]["ledger_root"].upper().replace("0X", "0x")),
        lambda b: b.__setitem__(
            "public_signals",
            [*b["public_signals"][:3], str(SNARK_FIELD)],
        ),
        lambda b: b.__setitem__("public_signals", ["2", *b["public_signals"][1:]]),
        lambda b: b["proof"].__setitem__("curve", "bls12381"),
        lambda b: b["proof"]["pi_a"].__setitem__(2, "01"),
        lambda b: b["proof"]["pi_b"].__setitem__(2, ["1", "1"]),
        lambda b: b.__setitem__("vkey_sha256", b["vkey_sha256"].upper()),
        lambda b: b.__setitem__("circuit", "../solvency_k3-a2-s4-t3-d3-c2-l8"),
    ],
    ids=[
        "solvent-int",
        "index-str",
        "index-float",
        "epoch-bool",
        "account-upper",
        "root-upper",
        "signal=r",
        "solvent=2",
        "curve",
        "z=01",
        "bz",
        "digest-upper",
        "circuit-traversal",
    ],
)
def test_type_confusion_and_non_canonical_claims_are_rejected(bundle_dir: Path, tmp_path: Path, edit: Any) -> None:
    b = load(bundle_dir, "solvent")
    edit(b)
    p = tmp_path / "b.json"
    p.write_text(json.dumps(b))
    r = cli("verify", str(p))
    assert r.exit_code == 1, r.output
    assert "Traceback" not in r.output and "internal error" not in r.output
    assert len(r.output.strip().splitlines()) == 1
