"""Compile a circuit instance and run its Groth16 setup, cached by the hash of every input.

Steps: generate the instance's main file, compile it with circom2 (``--O2``), find or make a
powers-of-tau file, run ``groth16 setup`` plus one phase-2 contribution, export the verification
key and the Solidity verifier. The artifacts of ``build/<instance>/`` carry a manifest whose key is
the sha256 of the circuit sources, the instance parameters, the tool versions and the ptau file; a
second ``setup`` with the same inputs does nothing.

Powers of tau, in order of preference: ``--ptau FILE`` (e.g. a Hermez ``powersOfTau28_hez_final_NN``
ceremony file); a development ptau cached in ``build/ptau/``; ``../shared/ptau/dev_16.ptau`` when
present (checked against its sha256); otherwise a fresh development ptau made here. Development
files come from a public beacon: their toxic waste is public, so keys made from them are INSECURE
and say so in the verification key and the Solidity header.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from zksolvency.prover import tools
from zksolvency.prover.batch_verifier import write_batch_verifier
from zksolvency.prover.config import CIRCUITS_DIR, ROOT, CircuitConfig
from zksolvency.zkcore.errors import InputError, ToolError

SHARED_PTAU = ROOT.parent / "shared" / "ptau" / "dev_16.ptau"
#: The public beacon of development ptau files made here (so anyone can re-make them).
DEV_BEACON = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class Artifacts:
    """Paths of one instance's setup outputs."""

    dir: Path
    name: str

    @property
    def r1cs(self) -> Path:
        """Compiled constraint system."""
        return self.dir / f"{self.name}.r1cs"

    @property
    def sym(self) -> Path:
        """Signal names of the witness (for forged-witness tests)."""
        return self.dir / f"{self.name}.sym"

    @property
    def wasm(self) -> Path:
        """Witness calculator."""
        return self.dir / f"{self.name}_js" / f"{self.name}.wasm"

    @property
    def zkey(self) -> Path:
        """Final proving key (phase-2 contribution included)."""
        return self.dir / "proving_key.zkey"

    @property
    def vkey(self) -> Path:
        """snarkjs-format verification key."""
        return self.dir / "verification_key.json"

    @property
    def solidity(self) -> Path:
        """Generated Solidity verifier."""
        return self.dir / "Groth16Verifier.sol"

    @property
    def batch_solidity(self) -> Path:
        """Generated Solidity batch verifier (prover/batch_verifier.py)."""
        return self.dir / "Groth16BatchVerifier.sol"

    @property
    def manifest(self) -> Path:
        """Cache manifest: key, constraint count, timings, setup provenance."""
        return self.dir / "manifest.json"

    def read_manifest(self) -> dict[str, object]:
        """The manifest (empty when the instance was never set up)."""
        try:
            data = json.loads(self.manifest.read_text())
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}


def artifacts_for(cfg: CircuitConfig, build: Path) -> Artifacts:
    """Where the artifacts of an instance live."""
    return Artifacts(build / cfg.name, cfg.name)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, streamed."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def circuit_sources_hash() -> str:
    """sha256 over every circuit source file (path and content)."""
    h = hashlib.sha256()
    for p in sorted(CIRCUITS_DIR.rglob("*.circom")):
        h.update(str(p.relative_to(CIRCUITS_DIR)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def r1cs_info(path: Path) -> dict[str, int]:
    """Header of an .r1cs file: wires, public outputs/inputs, private inputs, constraints."""
    with path.open("rb") as f:
        if f.read(4) != b"r1cs":
            raise ToolError(f"{path} is not an r1cs file")
        _version, n_sections = struct.unpack("<II", f.read(8))
        for _ in range(n_sections):
            stype, size = struct.unpack("<IQ", f.read(12))
            if stype != 1:
                f.seek(size, os.SEEK_CUR)
                continue
            (fs,) = struct.unpack("<I", f.read(4))
            f.read(fs)
            n_wires, n_out, n_pub, n_prv = struct.unpack("<IIII", f.read(16))
            (_labels,) = struct.unpack("<Q", f.read(8))
            (n_constraints,) = struct.unpack("<I", f.read(4))
            return {
                "wires": n_wires,
                "public_outputs": n_out,
                "public_inputs": n_pub,
                "private_inputs": n_prv,
                "constraints": n_constraints,
            }
    raise ToolError(f"{path} has no header section")


def required_power(info: dict[str, int]) -> int:
    """Smallest power of tau that holds the circuit (snarkjs: constraints + public + 1)."""
    need = info["constraints"] + info["public_inputs"] + info["public_outputs"] + 1
    return max(8, (need - 1).bit_length())


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def find_ptau(power: int, build: Path, ptau: Path | None) -> tuple[Path, str]:
    """A ptau file of at least ``power`` and a label saying which setup it is."""
    if ptau is not None:
        if not ptau.is_file():
            raise InputError(str(ptau), None, "ptau file not found")
        return ptau, f"ceremony ptau {ptau.name} (sha256 {sha256_file(ptau)[:16]}...)"
    cache = build / "ptau"
    for p in sorted(cache.glob("dev_*.ptau")):
        n = int(p.stem.split("_")[1])
        if n >= power:
            return p, f"INSECURE development ptau 2^{n} (public beacon), cached {p.name}"
    if SHARED_PTAU.is_file() and power <= 16:
        expected = (SHARED_PTAU.parent / "dev_16.ptau.sha256").read_text().split()[0]
        if sha256_file(SHARED_PTAU) == expected:
            return SHARED_PTAU, "INSECURE development ptau 2^16 (public beacon), shared/ptau/dev_16.ptau"
        _say("  shared/ptau/dev_16.ptau does not match its sha256; making a fresh ptau instead")
    return make_dev_ptau(power, cache), f"INSECURE development ptau 2^{power} (public beacon), made locally"


def make_dev_ptau(power: int, cache: Path) -> Path:
    """Make a development powers-of-tau file: new + beacon + prepare phase2 (slow: minutes)."""
    cache.mkdir(parents=True, exist_ok=True)
    out = cache / f"dev_{power}.ptau"
    tmp0, tmp1, tmp2 = (cache / f".dev_{power}.{i}.ptau" for i in range(3))
    _say(f"  making a development powers of tau 2^{power}: prepare phase2 takes minutes (2^12 ~2 min, 2^16 ~45 min)")
    tools.snarkjs("powersoftau", "new", "bn128", str(power), tmp0, label="powersoftau new", progress=True)
    tools.snarkjs(
        "powersoftau",
        "beacon",
        tmp0,
        tmp1,
        DEV_BEACON,
        "10",
        "-n=zksolvency dev beacon",
        label="powersoftau beacon",
        progress=True,
    )
    tools.snarkjs("powersoftau", "prepare", "phase2", tmp1, tmp2, label="powersoftau prepare phase2", progress=True)
    os.replace(tmp2, out)
    tmp0.unlink(missing_ok=True)
    tmp1.unlink(missing_ok=True)
    return out


def compile_circuit(cfg: CircuitConfig, out_dir: Path, *, progress: bool = True) -> dict[str, int]:
    """Write the instance's main file under build/circuits and compile it with circom2 --O2."""
    main_dir = ROOT / "build" / "circuits"
    main_dir.mkdir(parents=True, exist_ok=True)
    main = main_dir / f"{cfg.name}.circom"
    main.write_text(cfg.main_source())
    out_dir.mkdir(parents=True, exist_ok=True)
    tools.circom(
        main.relative_to(ROOT),
        "--r1cs",
        "--wasm",
        "--sym",
        "--O2",
        "-l",
        "node_modules",
        "-o",
        os.path.relpath(out_dir, ROOT),
        progress=progress,
    )
    return r1cs_info(out_dir / f"{cfg.name}.r1cs")


def cache_key(cfg: CircuitConfig, ptau_sha: str) -> str:
    """Hash of everything the keys depend on."""
    blob = json.dumps(
        {"v": MANIFEST_VERSION, "cfg": cfg.as_dict(), "src": circuit_sources_hash(), "tools": tools.versions(), "ptau": ptau_sha},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def is_ready(art: Artifacts) -> bool:
    """True when the instance's artifacts exist and were made from the current sources."""
    m = art.read_manifest()
    files = (art.r1cs, art.wasm, art.zkey, art.vkey, art.solidity)
    return (
        bool(m)
        and m.get("sources") == circuit_sources_hash()
        and m.get("tools") == tools.versions()
        and all(p.exists() for p in files)
    )


def setup(cfg: CircuitConfig, build: Path, ptau: Path | None = None, *, force: bool = False) -> Artifacts:
    """Compile and set up one instance (cached); returns its artifacts."""
    art = artifacts_for(cfg, build)
    t_all = time.monotonic()
    if not force and ptau is None and is_ready(art):
        write_batch_verifier(json.loads(art.vkey.read_text()), art.batch_solidity)  # deterministic from the key
        return art
    _say(f"setup {cfg.name}")
    _say("[1/5] compiling the circuit")
    info = compile_circuit(cfg, art.dir)
    power = required_power(info)
    _say(f"      {info['constraints']:,} constraints, needs powers of tau 2^{power}")
    _say("[2/5] powers of tau")
    ptau_path, ptau_label = find_ptau(power, build, ptau)
    ptau_sha = sha256_file(ptau_path)
    key = cache_key(cfg, ptau_sha)
    m = art.read_manifest()
    if not force and m.get("key") == key and all(p.exists() for p in (art.zkey, art.vkey, art.solidity)):
        _say("      keys are up to date (cached)")
        write_batch_verifier(json.loads(art.vkey.read_text()), art.batch_solidity)  # deterministic from the key
        return art
    _say(f"      {ptau_label}")
    timings: dict[str, float] = {}
    tmp0 = art.dir / "proving_key.0.zkey"
    tmp1 = art.dir / "proving_key.1.zkey"
    _say("[3/5] groth16 setup")
    t = time.monotonic()
    tools.snarkjs("groth16", "setup", art.r1cs, ptau_path, tmp0, label="groth16 setup", progress=True)
    timings["groth16_setup_s"] = round(time.monotonic() - t, 1)
    _say("[4/5] phase-2 contribution")
    t = time.monotonic()
    entropy = secrets.token_hex(32)
    tools.snarkjs(
        "zkey", "contribute", tmp0, tmp1, "-n=zksolvency phase-2", f"-e={entropy}", label="zkey contribute", progress=True
    )
    timings["contribute_s"] = round(time.monotonic() - t, 1)
    tmp0.unlink(missing_ok=True)
    _say("[5/5] exporting the verification key and the Solidity verifier")
    zkey_sha = sha256_file(tmp1)
    vkey_tmp = art.dir / "verification_key.tmp.json"
    tools.snarkjs("zkey", "export", "verificationkey", tmp1, vkey_tmp)
    vk = json.loads(vkey_tmp.read_text())
    provenance = {
        "circuit": cfg.name,
        "params": cfg.as_dict(),
        "ptau": ptau_label,
        "insecure": "INSECURE" in ptau_label,
        "zkey_sha256": zkey_sha,
        "snarkjs": tools.versions()["snarkjs"],
        "circom2": tools.versions()["circom2"],
    }
    vk["zksolvency_setup"] = provenance
    vkey_tmp.write_text(json.dumps(vk, indent=1))
    sol_tmp = art.dir / "Groth16Verifier.tmp.sol"
    tools.snarkjs("zkey", "export", "solidityverifier", tmp1, sol_tmp)
    header = (
        "// SPDX-License-Identifier: GPL-3.0\n"
        "// GENERATED by `zksolvency setup` from the proving key: do not edit by hand.\n"
        f"// circuit:      {cfg.name}\n"
        f"// zkey sha256:  {zkey_sha}\n"
        f"// snarkjs:      {tools.versions()['snarkjs']}\n"
        f"// setup:        {ptau_label}\n"
    )
    sol_tmp.write_text(header + sol_tmp.read_text().replace("// SPDX-License-Identifier: GPL-3.0\n", "", 1))
    os.replace(tmp1, art.zkey)
    os.replace(vkey_tmp, art.vkey)
    os.replace(sol_tmp, art.solidity)
    write_batch_verifier(vk, art.batch_solidity)
    manifest = {
        "key": key,
        "sources": circuit_sources_hash(),
        "tools": tools.versions(),
        "r1cs": info,
        "ptau_power": power,
        "timings": timings | {"total_s": round(time.monotonic() - t_all, 1)},
        **provenance,
    }
    art.manifest.write_text(json.dumps(manifest, indent=1))
    _say(f"setup done in {time.monotonic() - t_all:.0f}s: {art.dir}")
    return art


def copy_public_artifacts(art: Artifacts, build: Path) -> None:
    """Mirror the instance's key and verifier to build/ (SPEC §6 names) and contracts/generated/."""
    shutil.copyfile(art.vkey, build / "verification_key.json")
    shutil.copyfile(art.solidity, build / "Groth16Verifier.sol")
    shutil.copyfile(art.batch_solidity, build / "Groth16BatchVerifier.sol")
    shutil.copyfile(art.solidity, ROOT / "contracts" / "generated" / "Groth16Verifier.sol")
    shutil.copyfile(art.batch_solidity, ROOT / "contracts" / "generated" / "Groth16BatchVerifier.sol")
