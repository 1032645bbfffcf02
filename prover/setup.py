"""Compile a circuit instance and run its Groth16 setup, cached by the hash of every input.

Steps: generate the instance's main file, compile it with circom2 (``--O2``), find or make a
powers-of-tau file (:mod:`~zksolvency.prover.ptau`), run ``groth16 setup`` plus one phase-2
contribution, export the verification key and the Solidity verifiers. The artifacts of
``.zksolvency/<instance>/`` carry a manifest whose key is the sha256 of the circuit sources, the
instance parameters, the tool versions and the ptau file; a second ``setup`` with the same inputs
does nothing.

Every key records its trust label (:mod:`zksolvency.zkcore.keytrust`) in ``verification_key.json``,
the manifest and the Solidity header. Progress goes one way: every step reports its lines to the
``report`` callback :func:`setup` is given (stderr by default; None: silent).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import struct
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from zksolvency.prover import tools
from zksolvency.prover.config import CircuitConfig, checkout, circuits_dir
from zksolvency.prover.ptau import PtauProvenance, find_ptau, sha256_file
from zksolvency.prover.witness_cpp import ensure_witness_generator
from zksolvency.verifier.solidity import write_batch_verifier, write_verifiers
from zksolvency.zkcore.bundle import vkey_digest
from zksolvency.zkcore.errors import InputError, ToolError
from zksolvency.zkcore.files import write_atomic
from zksolvency.zkcore.keytrust import ACCEPTED, Trust
from zksolvency.zkcore.node import Report, to_stderr
from zksolvency.zkcore.paths import ARTIFACTS

#: 2: keys carry a trust label; keys of version 1 (beacon-only development ptau) are remade.
MANIFEST_VERSION = 2


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
    def witness_cpp(self) -> Path:
        """circom's C++ witness generator (``prover/witness_cpp.py``; absent where it cannot be built)."""
        return self.dir / "witness_cpp" / self.name

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
        """Generated Solidity batch verifier (verifier/solidity.py)."""
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


def circuit_sources_hash() -> str:
    """sha256 over every circuit source file (path and content)."""
    h = hashlib.sha256()
    src = circuits_dir()
    for p in sorted(src.rglob("*.circom")):
        h.update(str(p.relative_to(src)).encode() + b"\0" + p.read_bytes() + b"\0")
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


def write_main(cfg: CircuitConfig) -> Path:
    """The instance's main file under .zksolvency/circuits (inside the checkout: circom sees only it)."""
    main_dir = checkout() / ARTIFACTS / "circuits"
    main_dir.mkdir(parents=True, exist_ok=True)
    main = main_dir / f"{cfg.name}.circom"
    if not main.is_file() or main.read_text() != cfg.main_source():
        main.write_text(cfg.main_source())
    return main


def compile_circuit(cfg: CircuitConfig, out_dir: Path, *, report: Report | None = to_stderr) -> dict[str, int]:
    """Write the instance's main file under .zksolvency/circuits and compile it with circom2 --O2
    (``report``: where the compiler's progress goes; None: silent)."""
    main = write_main(cfg)
    out_dir.mkdir(parents=True, exist_ok=True)
    tools.circom(
        main.relative_to(checkout()),
        "--r1cs",
        "--wasm",
        "--sym",
        "--O2",
        "-l",
        "node_modules",
        "-o",
        os.path.relpath(out_dir, checkout()),
        progress=report,
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
    """True when the instance's artifacts exist, were made from the current sources, and carry an
    accepted trust label (keys of a beacon-only ptau or of an older zksolvency are remade)."""
    m = art.read_manifest()
    files = (art.r1cs, art.wasm, art.zkey, art.vkey, art.solidity)
    return (
        bool(m)
        and m.get("manifest_version") == MANIFEST_VERSION
        and m.get("trust") in ACCEPTED
        and m.get("sources") == circuit_sources_hash()
        and m.get("tools") == tools.versions()
        and all(p.exists() for p in files)
    )


@dataclass(frozen=True)
class KeyRecord:
    """What :func:`make_keys` made: the ``zksolvency_setup`` record it wrote into the verification
    key (and that the manifest repeats), and how long its slow steps took."""

    setup: dict[str, object]
    timings: dict[str, float]


def make_keys(
    r1cs: Path,
    ptau: Path,
    zkey_out: Path,
    vkey_out: Path,
    provenance: PtauProvenance,
    *,
    circuit: str,
    params: dict[str, int] | None = None,
    report: Report | None = to_stderr,
) -> KeyRecord:
    """Groth16 keys the project's way: ``groth16 setup`` on ``ptau``, one phase-2 contribution of
    fresh OS entropy, the verification key exported with the ``circuit`` name, its ``params`` and
    the ptau's ``provenance`` (its trust label) inside.

    Outputs appear atomically; the entropy is never stored. ``report`` receives the progress of
    the slow steps (None: silent).
    """
    tmp0 = zkey_out.with_name(zkey_out.stem + ".0.zkey")
    tmp1 = zkey_out.with_name(zkey_out.stem + ".1.zkey")
    vkey_tmp = vkey_out.with_name(vkey_out.stem + ".tmp.json")
    timings: dict[str, float] = {}
    try:
        t = time.monotonic()
        tools.snarkjs("groth16", "setup", r1cs, ptau, tmp0, label="groth16 setup", progress=report)
        timings["groth16_setup_s"] = round(time.monotonic() - t, 1)
        t = time.monotonic()
        tools.snarkjs(
            "zkey",
            "contribute",
            tmp0,
            tmp1,
            "-n=zksolvency phase-2",
            f"-e={secrets.token_hex(32)}",
            label="zkey contribute",
            progress=report,
        )
        timings["contribute_s"] = round(time.monotonic() - t, 1)
        tools.snarkjs("zkey", "export", "verificationkey", tmp1, vkey_tmp)
        record: dict[str, object] = {
            "circuit": circuit,
            **({"params": params} if params is not None else {}),
            **provenance.as_json(),
            "insecure": provenance.trust not in ACCEPTED,
            "zkey_sha256": sha256_file(tmp1),
            "snarkjs": tools.versions()["snarkjs"],
            "circom2": tools.versions()["circom2"],
        }
        vk = json.loads(vkey_tmp.read_text())
        vk["zksolvency_setup"] = record
        vkey_tmp.write_text(json.dumps(vk, indent=1))
        os.replace(tmp1, zkey_out)
        os.replace(vkey_tmp, vkey_out)
    finally:
        for f in (tmp0, tmp1, vkey_tmp):
            f.unlink(missing_ok=True)
    return KeyRecord(record, timings)


def record_configured_instance(cfg: CircuitConfig, art: Artifacts, build: Path) -> None:
    """Note, for each named config of ``circuits.json`` with exactly these parameters, which
    instance and key it is (``.zksolvency/configs/<name>.json``).

    ``verify --config NAME`` trusts the key recorded here, never the one a bundle names; an
    instance built with ``--param`` overrides matches no name and is never recorded.
    """
    from zksolvency.prover.config import load_config

    table = json.loads((circuits_dir() / "circuits.json").read_text())
    names = [n for n in table if not n.startswith("_") and load_config(n) == cfg]
    if not names or not art.vkey.is_file():
        return
    digest = vkey_digest(json.loads(art.vkey.read_text()))
    (build / "configs").mkdir(parents=True, exist_ok=True)
    for name in names:
        rec = {"config": name, "circuit": cfg.name, "vkey": f"{cfg.name}/verification_key.json", "vkey_sha256": digest}
        path = build / "configs" / f"{name}.json"
        if not path.is_file() or path.read_text() != json.dumps(rec, indent=1):
            write_atomic(path, json.dumps(rec, indent=1))


def setup(
    cfg: CircuitConfig,
    build: Path,
    ptau: Path | None = None,
    *,
    force: bool = False,
    ptau_trust: str | None = None,
    ptau_blake2b: str | None = None,
    report: Report | None = to_stderr,
) -> Artifacts:
    """Compile and set up one instance (cached); returns its artifacts. ``ptau_trust``: what the
    operator asserts about ``ptau`` (see :func:`~zksolvency.prover.ptau.find_ptau`). Every step
    reports its progress to ``report`` (stderr by default; None: silent)."""
    say = report or _silent
    art = artifacts_for(cfg, build)
    t_all = time.monotonic()
    if not force and ptau is None and is_ready(art):
        _finish_cached(cfg, art, build, report)
        return art
    given = None
    if ptau is not None or ptau_trust is not None or ptau_blake2b is not None:
        # a given ptau is labelled before anything slow runs: keys on an `unknown` one would be
        # refused by every verifier, and the rerun with --ptau-trust would redo the whole setup
        given = find_ptau(0, build, ptau, ptau_trust, ptau_blake2b, report=report)
        if given[1].trust is Trust.UNKNOWN:
            raise InputError(
                str(ptau),  # the file the operator named, not the private copy
                "ptau_trust",
                f"its phase 1 cannot be checked from the file itself: compare its blake2b-512 {given[1].blake2b} "
                "with the ceremony's published hash, then run again with --ptau-trust ceremony --ptau-blake2b <published hash>",
            )
    say(f"setup {cfg.name}")
    say("[1/5] compiling the circuit")
    info = compile_circuit(cfg, art.dir, report=report)
    power = required_power(info)
    say(f"      {info['constraints']:,} constraints, needs powers of tau 2^{power}")
    say("[2/5] powers of tau")
    ptau_path, ptau_prov = given if given is not None else find_ptau(power, build, None, report=report)
    key = cache_key(cfg, ptau_prov.sha256)
    m = art.read_manifest()
    if (
        not force
        and m.get("key") == key
        and m.get("trust") == ptau_prov.trust
        and all(p.exists() for p in (art.zkey, art.vkey, art.solidity))
    ):
        say("      keys are up to date (cached)")
        _finish_cached(cfg, art, build, report)
        return art
    say(f"      {ptau_prov.description}")
    say("[3/5] groth16 setup + [4/5] phase-2 contribution (the native witness generator builds beside them)")
    with ThreadPoolExecutor(max_workers=1) as pool:
        native = pool.submit(
            ensure_witness_generator, cfg, art.witness_cpp, write_main(cfg), circuit_sources_hash(), report=report
        )
        keys = make_keys(
            art.r1cs, ptau_path, art.zkey, art.vkey, ptau_prov, circuit=cfg.name, params=cfg.as_dict(), report=report
        )
        say("[5/5] exporting the Solidity verifier")
        vk = json.loads(art.vkey.read_text())
        write_verifiers(vk, art.solidity, art.batch_solidity, source=str(art.vkey))
        native.result()
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "key": key,
        "sources": circuit_sources_hash(),
        "tools": tools.versions(),
        "r1cs": info,
        "ptau_power": power,
        "timings": keys.timings | {"total_s": round(time.monotonic() - t_all, 1)},
        **keys.setup,
    }
    art.manifest.write_text(json.dumps(manifest, indent=1))
    record_configured_instance(cfg, art, build)
    say(f"setup done in {time.monotonic() - t_all:.0f}s: {art.dir} (trust: {ptau_prov.trust})")
    return art


def _finish_cached(cfg: CircuitConfig, art: Artifacts, build: Path, report: Report | None) -> None:
    """What a cached setup still does: record the named configs, rewrite the batch verifier
    (deterministic from the key) and make sure the native witness generator is built."""
    record_configured_instance(cfg, art, build)
    write_batch_verifier(json.loads(art.vkey.read_text()), art.batch_solidity)
    ensure_witness_generator(cfg, art.witness_cpp, write_main(cfg), circuit_sources_hash(), report=report)


def _silent(_line: str) -> None:
    """A report that says nothing."""


def copy_public_artifacts(art: Artifacts, build: Path) -> None:
    """Mirror the instance's key and verifier to the artifact directory (SPEC §6 names) and contracts/generated/."""
    shutil.copyfile(art.vkey, build / "verification_key.json")
    shutil.copyfile(art.solidity, build / "Groth16Verifier.sol")
    shutil.copyfile(art.batch_solidity, build / "Groth16BatchVerifier.sol")
    shutil.copyfile(art.solidity, checkout() / "contracts" / "generated" / "Groth16Verifier.sol")
    shutil.copyfile(art.batch_solidity, checkout() / "contracts" / "generated" / "Groth16BatchVerifier.sol")
