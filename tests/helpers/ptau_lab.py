"""A forgery lab: one tiny circuit keyed twice, on a beacon-only ptau and on a ptau made the
project's way (new + one OS-entropy contribution), each 2^8 so the whole lab takes seconds. The
``lab`` fixture of tests/attacks/conftest.py builds it once per session."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zksolvency.prover import tools
from zksolvency.prover.ptau import find_ptau, make_dev_ptau
from zksolvency.prover.setup import make_keys
from zksolvency.verifier.solidity import write_verifiers
from zksolvency.zkcore.paths import ROOT

from tests.helpers.files import TEST_BUILD, read_json_object

CIRCUIT = Path(__file__).with_name("four_signals.circom")
BEACON = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"  # a public beacon hash


@dataclass(frozen=True)
class Keyed:
    """A ptau and the tiny circuit's keys made on it."""

    ptau: Path
    zkey: Path
    vkey: Path
    solidity: Path

    def vk(self) -> dict[str, Any]:
        return read_json_object(self.vkey)


@dataclass(frozen=True)
class Lab:
    """The tiny circuit keyed on a beacon-only ptau and on a project-made one."""

    beacon: Keyed
    project: Keyed


def _beacon_ptau(d: Path) -> Path:
    """A beacon-only ptau: powersoftau new + beacon + prepare phase2 (no secret anywhere)."""
    new, beaconed, final = d / "new.ptau", d / "beacon.ptau", d / "beacon_8.ptau"
    tools.snarkjs("powersoftau", "new", "bn128", "8", new)
    tools.snarkjs("powersoftau", "beacon", new, beaconed, BEACON, "10", "-n=public beacon")
    tools.snarkjs("powersoftau", "prepare", "phase2", beaconed, final)
    return final


def _keyed(r1cs: Path, ptau: Path | None, out: Path) -> Keyed:
    """Keys the project's way on ``ptau`` (None: the ptau `setup` finds or makes in ``out/ptau``)."""
    out.mkdir(parents=True, exist_ok=True)
    ptau, prov = find_ptau(8, out, ptau)
    k = Keyed(ptau, out / "proving_key.zkey", out / "verification_key.json", out / "Groth16Verifier.sol")
    make_keys(r1cs, ptau, k.zkey, k.vkey, prov, circuit="four_signals")
    # both verifiers beside the key, as `setup` writes them (`chain deploy` regenerates and compares)
    write_verifiers(json.loads(k.vkey.read_text()), k.solidity, out / "Groth16BatchVerifier.sol")
    return k


def make_lab() -> Lab:
    """Build the lab afresh under TEST_BUILD."""
    d = TEST_BUILD / "security"
    if d.exists():
        shutil.rmtree(d)  # fresh keys and ptau files every session
    d.mkdir(parents=True)
    make_dev_ptau(8, d / "project" / "ptau")  # so `setup`'s search finds a 2^8 file, not the shared 2^16
    tools.circom(CIRCUIT.relative_to(ROOT), "--r1cs", "--O2", "-o", d.relative_to(ROOT))
    r1cs = d / "four_signals.r1cs"
    return Lab(
        beacon=_keyed(r1cs, _beacon_ptau(d), d / "beacon"),
        project=_keyed(r1cs, None, d / "project"),
    )
