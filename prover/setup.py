"""Compile a circuit instance and run its Groth16 setup, cached by the hash of every input.

Steps: generate the instance's main file, compile it with circom2 (``--O2``), find or make a
powers-of-tau file, run ``groth16 setup`` plus one phase-2 contribution, export the verification
key and the Solidity verifier. The artifacts of ``.zksolvency/<instance>/`` carry a manifest whose key is
the sha256 of the circuit sources, the instance parameters, the tool versions and the ptau file; a
second ``setup`` with the same inputs does nothing.

Powers of tau, in order of preference: ``--ptau FILE`` (e.g. a Hermez ``powersOfTau28_hez_final_NN``
ceremony file); a development ptau cached in ``.zksolvency/ptau/``; ``../shared/ptau/dev_16.ptau`` when
present (checked against its sha256); otherwise a fresh development ptau made here with one
phase-1 contribution of OS entropy that is then discarded. Never a beacon alone: a beacon's secret
(tau, alpha, beta) follows from the public file, and with alpha and beta anyone forges proofs.
Every key records its trust label (:mod:`zksolvency.zkcore.keytrust`) in ``verification_key.json``,
the manifest and the Solidity header; a ptau whose phase 1 holds only beacons is labelled
``insecure-beacon`` whatever its origin.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import struct
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from zksolvency.prover import tools
from zksolvency.prover.config import CircuitConfig, checkout, circuits_dir
from zksolvency.prover.hermez import hermez_power
from zksolvency.prover.witness_cpp import ensure_witness_generator
from zksolvency.verifier.solidity import write_batch_verifier, write_verifiers
from zksolvency.zkcore import keytrust
from zksolvency.zkcore.bundle import vkey_digest
from zksolvency.zkcore.errors import InputError, ToolError
from zksolvency.zkcore.files import write_atomic
from zksolvency.zkcore.paths import ARTIFACTS


def shared_ptau() -> Path:
    """The development powers of tau shared beside the checkout (``../shared/ptau/dev_16.ptau``)."""
    return checkout().parent / "shared" / "ptau" / "dev_16.ptau"


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


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, streamed."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


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


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class PtauContribution:
    """One phase-1 contribution recorded in a ptau file (section 7)."""

    beacon: bool  # type 1: a public beacon, whose secret anyone can recompute
    name: str
    beacon_hash: bytes | None
    num_iterations_exp: int | None


#: Bytes of a contribution record before its type: tauG1, tauG2, alphaG1, betaG1, betaG2 (448), the
#: public key (6 G1 + 3 G2 = 768), the partial response hash (216) and the next challenge (64).
_CONTRIBUTION_POINTS = 448 + 768 + 216 + 64


def ptau_contributions(path: Path) -> list[PtauContribution]:
    """The phase-1 contributions a snarkjs ptau file records (BN254 only); ToolError if malformed."""
    try:
        with path.open("rb") as f:
            if f.read(4) != b"ptau":
                raise ToolError(f"{path} is not a ptau file")
            _version, n_sections = struct.unpack("<II", f.read(8))
            for _ in range(n_sections):
                stype, size = struct.unpack("<IQ", f.read(12))
                if stype == 1:
                    head = f.read(size)
                    if struct.unpack_from("<I", head)[0] != 32:
                        raise ToolError(f"{path}: not a BN254 ptau file")
                    continue
                if stype != 7:
                    f.seek(size, os.SEEK_CUR)
                    continue
                (n,) = struct.unpack("<I", f.read(4))
                out = []
                for _c in range(n):
                    f.seek(_CONTRIBUTION_POINTS, os.SEEK_CUR)
                    ctype, plen = struct.unpack("<II", f.read(8))
                    params = f.read(plen)
                    name, bhash, exp, i = "", None, None, 0
                    while i < len(params):
                        tag = params[i]
                        if tag == 1:
                            name = params[i + 2 : i + 2 + params[i + 1]].decode("utf-8", "replace")
                            i += 2 + params[i + 1]
                        elif tag == 2:
                            exp, i = params[i + 1], i + 2
                        elif tag == 3:
                            bhash = params[i + 2 : i + 2 + params[i + 1]]
                            i += 2 + params[i + 1]
                        else:
                            raise ToolError(f"{path}: unknown contribution parameter {tag}")
                    out.append(PtauContribution(ctype == 1, name, bhash, exp))
                return out
    except (OSError, struct.error) as e:
        raise ToolError(f"{path}: cannot read the ptau contributions: {e}") from None
    raise ToolError(f"{path}: the ptau file has no contributions section")


def has_secret_contribution(path: Path) -> bool:
    """True when phase 1 holds at least one contribution that is not a public beacon."""
    return any(not c.beacon for c in ptau_contributions(path))


def _provenance(
    path: Path, trust: str, how: str, *, sha: str | None = None, blake2b: str | None = None, name: str | None = None
) -> dict[str, object]:
    sha = sha if sha is not None else sha256_file(path)
    name = name if name is not None else path.name
    out: dict[str, object] = {
        "trust": trust,
        "ptau_file": name,
        "ptau_sha256": sha,
        "ptau": f"{how}: {name} (sha256 {sha[:16]}...), {keytrust.DESCRIPTION[trust]}",
    }
    if blake2b is not None:
        out["ptau_blake2b"] = blake2b
    return out


def _shared_sha() -> str | None:
    try:
        return (shared_ptau().parent / "dev_16.ptau.sha256").read_text().split()[0]
    except (OSError, IndexError):
        return None


#: What an operator may assert about a ``--ptau`` file with ``setup --ptau-trust``.
ASSERTABLE = keytrust.ASSERTABLE


def blake2b_file(path: Path) -> str:
    """BLAKE2b-512 of a file (``b2sum``): the hash the Hermez ceremony publishes for its files."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "blake2b").hexdigest()


def private_copy(src: Path, build: Path) -> tuple[Path, str, str]:
    """Copy a given ptau into ``.zksolvency/ptau/given/``, hashing while copying; returns (copy, sha256, blake2b).

    Everything after (the label, the contribution records, snarkjs's setup) reads the copy, never
    the path it was given: a file swapped between its check and its use, or a relative path that
    snarkjs (run from the checkout) would resolve to another file, cannot change what the key rests on.
    """
    out = build / "ptau" / "given"
    out.mkdir(parents=True, exist_ok=True)
    sha, b2 = hashlib.sha256(), hashlib.blake2b()
    with src.open("rb") as f, tempfile.NamedTemporaryFile("wb", dir=out, suffix=".part", delete=False) as tmp:
        try:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                sha.update(chunk)
                b2.update(chunk)
                tmp.write(chunk)
        except BaseException:
            Path(tmp.name).unlink(missing_ok=True)
            raise
    dst = out / f"{sha.hexdigest()[:32]}.ptau"
    os.replace(tmp.name, dst)
    return dst, sha.hexdigest(), b2.hexdigest()


#: The names of the Hermez final files: a file so named whose hash is not pinned is not one of them.
HERMEZ_NAME = re.compile(r"powersOfTau28_hez_final(_\d+)?\.ptau")


def find_ptau(
    power: int, build: Path, ptau: Path | None, trust: str | None = None, blake2b: str | None = None
) -> tuple[Path, dict[str, object]]:
    """A ptau file of at least ``power`` and its provenance (trust label, file, sha256).

    A ``ptau`` given by the caller is labelled by what can be known, never by what the file says
    of itself: a file's contribution records are unauthenticated metadata (one edited byte turns
    a beacon into a "contribution"), so they can only make a file look worse. It is
    ``single-party-development`` when it is the shared development file (pinned by sha256),
    ``insecure-beacon`` when its own records show nothing but beacons, ``ceremony`` when it is a
    Hermez final file (its BLAKE2b-512 pinned in :mod:`~zksolvency.prover.hermez`), and otherwise ``unknown``
    (refused by verifiers) unless the operator asserts ``trust``: ``ceremony`` with ``blake2b``, the
    ceremony's published BLAKE2b-512, which must be the file's (so the comparison is made, not
    just claimed), or ``single-party-development`` for a file they made themselves.
    """
    if ptau is None:
        if trust is not None or blake2b is not None:
            what = "ptau_trust" if trust is not None else "ptau_blake2b"
            raise InputError(what, trust or blake2b, "says what you checked about a --ptau file: give one with --ptau")
    else:
        if not ptau.is_file():
            raise InputError(str(ptau), None, "ptau file not found")
        if trust is not None and trust not in ASSERTABLE:
            raise InputError("ptau_trust", trust, f"expected one of {', '.join(ASSERTABLE)}")
        given, name = ptau, ptau.name
        if not name.isprintable():  # the name goes into the key's provenance and the Solidity header
            raise InputError(str(given), None, "the file name holds control or line-break characters: rename the file")
        if blake2b is not None and trust != keytrust.CEREMONY:
            raise InputError("ptau_blake2b", blake2b, "is the hash you compared for --ptau-trust ceremony")
        ptau, sha, b2 = private_copy(given, build)  # from here on only the copy is read
        secret = any(not c.beacon for c in ptau_contributions(ptau))
        if shared_ptau().is_file() and sha == _shared_sha() and secret:
            if trust not in (None, keytrust.SINGLE_PARTY_DEV):
                raise InputError(str(given), "ptau_trust", f"this is the shared development file: single-party, not {trust}")
            return ptau, _provenance(
                ptau, keytrust.SINGLE_PARTY_DEV, "shared development ptau (sha256 pinned)", sha=sha, name=name
            )
        if not secret:
            if trust is not None:
                raise InputError(str(given), "ptau_trust", f"the file records only public beacons: it cannot be {trust}")
            _say(f"  WARNING: {name} holds only public beacons in phase 1: anyone can forge proofs for its keys")
            return ptau, _provenance(ptau, keytrust.INSECURE_BEACON, "beacon-only ptau", sha=sha, name=name)
        power_of = hermez_power(b2)
        if power_of is not None:  # a published ceremony file, byte for byte: no word of the operator needed
            if trust not in (None, keytrust.CEREMONY):
                raise InputError(str(given), "ptau_trust", f"this is the Hermez ceremony file of 2^{power_of}, not {trust}")
            how = f"Hermez ceremony ptau 2^{power_of} (blake2b pinned)"
            return ptau, _provenance(ptau, keytrust.CEREMONY, how, sha=sha, blake2b=b2, name=name)
        if trust is None:
            return ptau, _provenance(ptau, keytrust.UNKNOWN, "ptau of unverified provenance", sha=sha, blake2b=b2, name=name)
        if trust == keytrust.CEREMONY:
            if HERMEZ_NAME.fullmatch(name):
                raise InputError(str(given), None, f"named like a Hermez final file, but its blake2b-512 {b2} is none of theirs")
            if blake2b is None:
                raise InputError(
                    "--ptau-blake2b", None, f"give the ceremony's published blake2b-512 of {name} (the file's is {b2})"
                )
            if blake2b.strip().lower() != b2:
                raise InputError(str(given), "--ptau-blake2b", f"the file's blake2b-512 is {b2}, not the published hash given")
        how = "public ceremony ptau, hash checked by the operator" if trust == keytrust.CEREMONY else "operator's own ptau"
        return ptau, _provenance(ptau, trust, f"{how} (blake2b {b2[:16]}...)", sha=sha, blake2b=b2, name=name)
    cache = build / "ptau"
    for p in sorted(cache.glob("dev_*.ptau")):
        n = int(p.stem.split("_")[1])
        if n >= power:
            if has_secret_contribution(p):
                return p, _provenance(p, keytrust.SINGLE_PARTY_DEV, f"development ptau 2^{n} made locally")
            _say(f"  ignoring {p}: a beacon-only development ptau (forgeable keys); making a new one")
    shared = shared_ptau()
    if shared.is_file() and power <= 16:
        if sha256_file(shared) == _shared_sha() and has_secret_contribution(shared):
            return shared, _provenance(shared, keytrust.SINGLE_PARTY_DEV, "shared development ptau 2^16")
        _say("  shared/ptau/dev_16.ptau does not match its sha256; making a fresh ptau instead")
    made = make_dev_ptau(power, cache)
    return made, _provenance(made, keytrust.SINGLE_PARTY_DEV, f"development ptau 2^{power} made locally")


def make_dev_ptau(power: int, cache: Path) -> Path:
    """A development powers of tau: new + one contribution of fresh OS entropy + prepare phase2.

    The entropy (``secrets``, 256 bits) goes to snarkjs and is never stored; snarkjs mixes it with
    its own random bytes. Slow: 2^12 takes about 2 minutes, 2^16 about 45.
    """
    cache.mkdir(parents=True, exist_ok=True)
    out = cache / f"dev_{power}.ptau"
    tmp0, tmp1, tmp2 = (cache / f".dev_{power}.{i}.ptau" for i in range(3))
    _say(f"  making a development powers of tau 2^{power}: prepare phase2 takes minutes (2^12 ~2 min, 2^16 ~45 min)")
    try:
        tools.snarkjs("powersoftau", "new", "bn128", str(power), tmp0, label="powersoftau new", progress=True)
        tools.snarkjs(
            "powersoftau",
            "contribute",
            tmp0,
            tmp1,
            "-n=zksolvency development (OS entropy, discarded)",
            f"-e={secrets.token_hex(32)}",
            label="powersoftau contribute",
            progress=True,
        )
        tools.snarkjs("powersoftau", "prepare", "phase2", tmp1, tmp2, label="powersoftau prepare phase2", progress=True)
        os.replace(tmp2, out)
    finally:
        for t in (tmp0, tmp1, tmp2):
            t.unlink(missing_ok=True)
    return out


def write_main(cfg: CircuitConfig) -> Path:
    """The instance's main file under .zksolvency/circuits (inside the checkout: circom sees only it)."""
    main_dir = checkout() / ARTIFACTS / "circuits"
    main_dir.mkdir(parents=True, exist_ok=True)
    main = main_dir / f"{cfg.name}.circom"
    if not main.is_file() or main.read_text() != cfg.main_source():
        main.write_text(cfg.main_source())
    return main


def compile_circuit(cfg: CircuitConfig, out_dir: Path, *, progress: bool = True) -> dict[str, int]:
    """Write the instance's main file under .zksolvency/circuits and compile it with circom2 --O2."""
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
    """True when the instance's artifacts exist, were made from the current sources, and carry an
    accepted trust label (keys of a beacon-only ptau or of an older zksolvency are remade)."""
    m = art.read_manifest()
    files = (art.r1cs, art.wasm, art.zkey, art.vkey, art.solidity)
    return (
        bool(m)
        and m.get("manifest_version") == MANIFEST_VERSION
        and m.get("trust") in keytrust.ACCEPTED
        and m.get("sources") == circuit_sources_hash()
        and m.get("tools") == tools.versions()
        and all(p.exists() for p in files)
    )


def make_keys(r1cs: Path, ptau: Path, zkey_out: Path, vkey_out: Path, provenance: dict[str, object]) -> dict[str, object]:
    """Groth16 keys the project's way: ``groth16 setup`` on ``ptau``, one phase-2 contribution of
    fresh OS entropy, the verification key exported with ``provenance`` (its trust label) inside.

    Returns the full ``zksolvency_setup`` record (provenance + zkey sha256 + timings). Outputs
    appear atomically; the entropy is never stored.
    """
    tmp0 = zkey_out.with_name(zkey_out.stem + ".0.zkey")
    tmp1 = zkey_out.with_name(zkey_out.stem + ".1.zkey")
    vkey_tmp = vkey_out.with_name(vkey_out.stem + ".tmp.json")
    timings: dict[str, float] = {}
    try:
        t = time.monotonic()
        tools.snarkjs("groth16", "setup", r1cs, ptau, tmp0, label="groth16 setup", progress=True)
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
            progress=True,
        )
        timings["contribute_s"] = round(time.monotonic() - t, 1)
        tools.snarkjs("zkey", "export", "verificationkey", tmp1, vkey_tmp)
        record = {
            **provenance,
            "insecure": provenance.get("trust") not in keytrust.ACCEPTED,
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
    return record | {"timings": timings}


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
) -> Artifacts:
    """Compile and set up one instance (cached); returns its artifacts. ``ptau_trust``: what the
    operator asserts about ``ptau`` (see :func:`find_ptau`)."""
    art = artifacts_for(cfg, build)
    t_all = time.monotonic()
    if not force and ptau is None and is_ready(art):
        record_configured_instance(cfg, art, build)
        write_batch_verifier(json.loads(art.vkey.read_text()), art.batch_solidity)  # deterministic from the key
        ensure_witness_generator(cfg, art.witness_cpp, write_main(cfg), circuit_sources_hash())
        return art
    given = None
    if ptau is not None or ptau_trust is not None or ptau_blake2b is not None:
        # a given ptau is labelled before anything slow runs: keys on an `unknown` one would be
        # refused by every verifier, and the rerun with --ptau-trust would redo the whole setup
        given = find_ptau(0, build, ptau, ptau_trust, ptau_blake2b)
        if given[1]["trust"] == keytrust.UNKNOWN:
            raise InputError(
                str(ptau),  # the file the operator named, not the private copy
                "ptau_trust",
                f"its phase 1 cannot be checked from the file itself: compare its blake2b-512 {given[1]['ptau_blake2b']} "
                "with the ceremony's published hash, then run again with --ptau-trust ceremony --ptau-blake2b <published hash>",
            )
    _say(f"setup {cfg.name}")
    _say("[1/5] compiling the circuit")
    info = compile_circuit(cfg, art.dir)
    power = required_power(info)
    _say(f"      {info['constraints']:,} constraints, needs powers of tau 2^{power}")
    _say("[2/5] powers of tau")
    ptau_path, ptau_prov = given if given is not None else find_ptau(power, build, None)
    key = cache_key(cfg, str(ptau_prov["ptau_sha256"]))
    m = art.read_manifest()
    if (
        not force
        and m.get("key") == key
        and m.get("trust") == ptau_prov["trust"]
        and all(p.exists() for p in (art.zkey, art.vkey, art.solidity))
    ):
        _say("      keys are up to date (cached)")
        record_configured_instance(cfg, art, build)
        write_batch_verifier(json.loads(art.vkey.read_text()), art.batch_solidity)  # deterministic from the key
        ensure_witness_generator(cfg, art.witness_cpp, write_main(cfg), circuit_sources_hash())
        return art
    _say(f"      {ptau_prov['ptau']}")
    _say("[3/5] groth16 setup + [4/5] phase-2 contribution (the native witness generator builds beside them)")
    with ThreadPoolExecutor(max_workers=1) as pool:
        native = pool.submit(ensure_witness_generator, cfg, art.witness_cpp, write_main(cfg), circuit_sources_hash())
        record = make_keys(art.r1cs, ptau_path, art.zkey, art.vkey, {"circuit": cfg.name, "params": cfg.as_dict(), **ptau_prov})
        timings = record.pop("timings")
        assert isinstance(timings, dict)
        _say("[5/5] exporting the Solidity verifier")
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
        "timings": timings | {"total_s": round(time.monotonic() - t_all, 1)},
        **record,
    }
    art.manifest.write_text(json.dumps(manifest, indent=1))
    record_configured_instance(cfg, art, build)
    _say(f"setup done in {time.monotonic() - t_all:.0f}s: {art.dir} (trust: {record['trust']})")
    return art


def copy_public_artifacts(art: Artifacts, build: Path) -> None:
    """Mirror the instance's key and verifier to the artifact directory (SPEC §6 names) and contracts/generated/."""
    shutil.copyfile(art.vkey, build / "verification_key.json")
    shutil.copyfile(art.solidity, build / "Groth16Verifier.sol")
    shutil.copyfile(art.batch_solidity, build / "Groth16BatchVerifier.sol")
    shutil.copyfile(art.solidity, checkout() / "contracts" / "generated" / "Groth16Verifier.sol")
    shutil.copyfile(art.batch_solidity, checkout() / "contracts" / "generated" / "Groth16BatchVerifier.sol")
