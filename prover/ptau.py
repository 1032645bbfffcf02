"""Powers of tau: which file a key's phase 1 comes from, and what can be known of it.

Powers of tau, in order of preference: ``--ptau FILE`` (e.g. a Hermez ``powersOfTau28_hez_final_NN``
ceremony file); a development ptau cached in ``.zksolvency/ptau/``; ``../shared/ptau/dev_16.ptau`` when
present (checked against its sha256); otherwise a fresh development ptau made here with one
phase-1 contribution of OS entropy that is then discarded. Never a beacon alone: a beacon's secret
(tau, alpha, beta) follows from the public file, and with alpha and beta anyone forges proofs.

:func:`find_ptau` returns the file with its :class:`PtauProvenance`: the trust label
(:class:`~zksolvency.zkcore.keytrust.Trust`) and the file's name and hashes, which ``setup``
records in ``verification_key.json``, the manifest and the Solidity header. A ptau whose phase 1
holds only beacons is labelled ``insecure-beacon`` whatever its origin.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

from zksolvency.prover import tools
from zksolvency.prover.config import checkout
from zksolvency.prover.hermez import hermez_power
from zksolvency.zkcore.errors import InputError, ToolError
from zksolvency.zkcore.keytrust import ASSERTABLE, DESCRIPTION, Trust
from zksolvency.zkcore.node import Report, to_stderr


def shared_ptau() -> Path:
    """The development powers of tau shared beside the checkout (``../shared/ptau/dev_16.ptau``)."""
    return checkout().parent / "shared" / "ptau" / "dev_16.ptau"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, streamed."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def blake2b_file(path: Path) -> str:
    """BLAKE2b-512 of a file (``b2sum``): the hash the Hermez ceremony publishes for its files."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "blake2b").hexdigest()


@dataclass(frozen=True)
class PtauProvenance:
    """What a key records of the powers of tau it rests on (``zksolvency_setup`` in its
    verification key, and the manifest)."""

    trust: Trust
    file: str  # the file's name as the operator gave it (or the cached file's)
    sha256: str
    how: str  # how the file was found or checked, for the one-line description
    blake2b: str | None = None  # BLAKE2b-512 of a given file (the hash ceremonies publish)

    @property
    def description(self) -> str:
        """The one line ``setup`` prints and the Solidity header carries (``ptau``)."""
        return f"{self.how}: {self.file} (sha256 {self.sha256[:16]}...), {DESCRIPTION[self.trust]}"

    def as_json(self) -> dict[str, object]:
        """The record's fields as the key files hold them: ``trust``, ``ptau_file``,
        ``ptau_sha256``, ``ptau`` (the description) and, for a given file, ``ptau_blake2b``."""
        out: dict[str, object] = {
            "trust": self.trust.value,
            "ptau_file": self.file,
            "ptau_sha256": self.sha256,
            "ptau": self.description,
        }
        if self.blake2b is not None:
            out["ptau_blake2b"] = self.blake2b
        return out


def _provenance(
    path: Path, trust: Trust, how: str, *, sha: str | None = None, blake2b: str | None = None, name: str | None = None
) -> PtauProvenance:
    return PtauProvenance(
        trust,
        name if name is not None else path.name,
        sha if sha is not None else sha256_file(path),
        how,
        blake2b,
    )


@dataclass(frozen=True)
class PtauContribution:
    """One phase-1 contribution recorded in a ptau file (section 7)."""

    beacon: bool  # type 1: a public beacon, whose secret anyone can recompute
    name: str
    beacon_hash: bytes | None
    num_iterations_exp: int | None


#: Bytes of a contribution record before its type: tauG1, tauG2, alphaG1, betaG1, betaG2 (448), the
#: public key (6 G1 + 3 G2 = 768), the partial response hash (216) and the next challenge (64).
CONTRIBUTION_POINTS = 448 + 768 + 216 + 64


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
                    f.seek(CONTRIBUTION_POINTS, os.SEEK_CUR)
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


def _shared_sha() -> str | None:
    try:
        return (shared_ptau().parent / "dev_16.ptau.sha256").read_text().split()[0]
    except (OSError, IndexError):
        return None


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
    power: int,
    build: Path,
    ptau: Path | None,
    trust: str | None = None,
    blake2b: str | None = None,
    *,
    report: Report | None = to_stderr,
) -> tuple[Path, PtauProvenance]:
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

    ``report`` receives the warnings and the progress of a development ptau made here (None: silent).
    """
    say = report or _silent
    if ptau is None:
        if trust is not None or blake2b is not None:
            what = "ptau_trust" if trust is not None else "ptau_blake2b"
            raise InputError(what, trust or blake2b, "says what you checked about a --ptau file: give one with --ptau")
    else:
        if not ptau.is_file():
            raise InputError(str(ptau), None, "ptau file not found")
        if trust is not None and trust not in ASSERTABLE:
            raise InputError("ptau_trust", trust, f"expected one of {', '.join(ASSERTABLE)}")
        asserted = Trust(trust) if trust is not None else None
        given, name = ptau, ptau.name
        if not name.isprintable():  # the name goes into the key's provenance and the Solidity header
            raise InputError(str(given), None, "the file name holds control or line-break characters: rename the file")
        if blake2b is not None and asserted is not Trust.CEREMONY:
            raise InputError("ptau_blake2b", blake2b, "is the hash you compared for --ptau-trust ceremony")
        ptau, sha, b2 = private_copy(given, build)  # from here on only the copy is read
        secret = any(not c.beacon for c in ptau_contributions(ptau))
        if shared_ptau().is_file() and sha == _shared_sha() and secret:
            if asserted not in (None, Trust.SINGLE_PARTY_DEV):
                raise InputError(str(given), "ptau_trust", f"this is the shared development file: single-party, not {asserted}")
            return ptau, _provenance(ptau, Trust.SINGLE_PARTY_DEV, "shared development ptau (sha256 pinned)", sha=sha, name=name)
        if not secret:
            if asserted is not None:
                raise InputError(str(given), "ptau_trust", f"the file records only public beacons: it cannot be {asserted}")
            say(f"  WARNING: {name} holds only public beacons in phase 1: anyone can forge proofs for its keys")
            return ptau, _provenance(ptau, Trust.INSECURE_BEACON, "beacon-only ptau", sha=sha, name=name)
        power_of = hermez_power(b2)
        if power_of is not None:  # a published ceremony file, byte for byte: no word of the operator needed
            if asserted not in (None, Trust.CEREMONY):
                raise InputError(str(given), "ptau_trust", f"this is the Hermez ceremony file of 2^{power_of}, not {asserted}")
            how = f"Hermez ceremony ptau 2^{power_of} (blake2b pinned)"
            return ptau, _provenance(ptau, Trust.CEREMONY, how, sha=sha, blake2b=b2, name=name)
        if asserted is None:
            return ptau, _provenance(ptau, Trust.UNKNOWN, "ptau of unverified provenance", sha=sha, blake2b=b2, name=name)
        if asserted is Trust.CEREMONY:
            if HERMEZ_NAME.fullmatch(name):
                raise InputError(str(given), None, f"named like a Hermez final file, but its blake2b-512 {b2} is none of theirs")
            if blake2b is None:
                raise InputError(
                    "--ptau-blake2b", None, f"give the ceremony's published blake2b-512 of {name} (the file's is {b2})"
                )
            if blake2b.strip().lower() != b2:
                raise InputError(str(given), "--ptau-blake2b", f"the file's blake2b-512 is {b2}, not the published hash given")
        how = "public ceremony ptau, hash checked by the operator" if asserted is Trust.CEREMONY else "operator's own ptau"
        return ptau, _provenance(ptau, asserted, f"{how} (blake2b {b2[:16]}...)", sha=sha, blake2b=b2, name=name)
    cache = build / "ptau"
    for p in sorted(cache.glob("dev_*.ptau")):
        n = int(p.stem.split("_")[1])
        if n >= power:
            if has_secret_contribution(p):
                return p, _provenance(p, Trust.SINGLE_PARTY_DEV, f"development ptau 2^{n} made locally")
            say(f"  ignoring {p}: a beacon-only development ptau (forgeable keys); making a new one")
    shared = shared_ptau()
    if shared.is_file() and power <= 16:
        if sha256_file(shared) == _shared_sha() and has_secret_contribution(shared):
            return shared, _provenance(shared, Trust.SINGLE_PARTY_DEV, "shared development ptau 2^16")
        say("  shared/ptau/dev_16.ptau does not match its sha256; making a fresh ptau instead")
    made = make_dev_ptau(power, cache, report=report)
    return made, _provenance(made, Trust.SINGLE_PARTY_DEV, f"development ptau 2^{power} made locally")


def make_dev_ptau(power: int, cache: Path, *, report: Report | None = to_stderr) -> Path:
    """A development powers of tau: new + one contribution of fresh OS entropy + prepare phase2.

    The entropy (``secrets``, 256 bits) goes to snarkjs and is never stored; snarkjs mixes it with
    its own random bytes. Slow: 2^12 takes about 2 minutes, 2^16 about 45. ``report`` receives
    each step's progress (None: silent).
    """
    cache.mkdir(parents=True, exist_ok=True)
    out = cache / f"dev_{power}.ptau"
    tmp0, tmp1, tmp2 = (cache / f".dev_{power}.{i}.ptau" for i in range(3))
    if report:
        report(f"  making a development powers of tau 2^{power}: prepare phase2 takes minutes (2^12 ~2 min, 2^16 ~45 min)")
    try:
        tools.snarkjs("powersoftau", "new", "bn128", str(power), tmp0, label="powersoftau new", progress=report)
        tools.snarkjs(
            "powersoftau",
            "contribute",
            tmp0,
            tmp1,
            "-n=zksolvency development (OS entropy, discarded)",
            f"-e={secrets.token_hex(32)}",
            label="powersoftau contribute",
            progress=report,
        )
        tools.snarkjs("powersoftau", "prepare", "phase2", tmp1, tmp2, label="powersoftau prepare phase2", progress=report)
        os.replace(tmp2, out)
    finally:
        for t in (tmp0, tmp1, tmp2):
            t.unlink(missing_ok=True)
    return out


def _silent(_line: str) -> None:
    """A report that says nothing."""
