"""Verify a proof bundle (SPEC §4) and decide: attest a solvent account or flag it.

Independent of the prover: this module reads the bundle, the verification key and, optionally,
the market file and the venue's published ledger, and checks them with :mod:`verifier.groth16`.
Signal names, claims and bundle keys come from :mod:`zkcore.bundle`, the one bundle schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zksolvency.verifier.groth16 import (
    InvalidProof,
    PreparedKey,
    Proof,
    batch_verify,
    parse_proof,
    parse_signals,
    parse_vkey,
    prepare,
    verify_fast,
)
from zksolvency.zkcore.bundle import BUNDLE_FORMAT, BUNDLE_KEYS, CLAIM_NAMES, claims_from_signals, vkey_digest
from zksolvency.zkcore.errors import InputError
from zksolvency.zkcore.paths import build_dir

_CIRCUIT_NAME = re.compile(r"^[a-z0-9_-]{1,80}$")


@dataclass(frozen=True)
class Verdict:
    """A verified bundle's decision and the claims it rests on."""

    solvent: bool
    account: str
    index: int
    ledger_root: str
    market_root: str
    epoch: int
    epoch_checked: bool  # the market file (root and epoch) was checked
    ledger_checked: bool = False  # the ledger file (root, epoch, listing) was checked

    @property
    def decision(self) -> str:
        """``attest`` a solvent account, ``flag`` an insolvent one for liquidation."""
        return "attest" if self.solvent else "flag"

    @property
    def headline(self) -> str:
        """The line ``verify`` prints."""
        return "SOLVENT — attestation accepted" if self.solvent else "INSOLVENT — flag for liquidation"

    def as_json(self) -> dict[str, object]:
        """The object ``verify --json`` prints."""
        return {
            "valid": True,
            "solvent": self.solvent,
            "decision": self.decision,
            "account": self.account,
            "index": self.index,
            "ledger_root": self.ledger_root,
            "market_root": self.market_root,
            "epoch": self.epoch,
            "epoch_checked": self.epoch_checked,
            "ledger_checked": self.ledger_checked,
        }


@dataclass(frozen=True)
class LoadedBundle:
    """A bundle parsed far enough to be verified."""

    path: Path
    raw: dict[str, Any]
    proof: Proof
    signals: list[int]
    key: PreparedKey


def read_bundle(path: Path) -> dict[str, Any]:
    """The bundle's JSON object; a missing file is bad input, a broken one an invalid proof."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), None, "file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidProof(f"{path}: cannot read the bundle: {e}") from None
    try:
        data = json.loads(text)
    except ValueError as e:
        raise InvalidProof(f"{path}: not a bundle: invalid JSON ({e})") from None
    if not isinstance(data, dict) or data.get("format") != BUNDLE_FORMAT:
        raise InvalidProof(f"{path}: not a bundle: expected an object with format {BUNDLE_FORMAT!r}")
    for key in BUNDLE_KEYS:
        if key not in data:
            raise InvalidProof(f"{path}: not a bundle: missing {key!r}")
    return data


def find_vkey(bundle: dict[str, Any], vkey: Path | None) -> Path:
    """--vkey, else build/<circuit>/verification_key.json, else build/verification_key.json."""
    if vkey is not None:
        if not vkey.is_file():
            raise InputError(str(vkey), None, "verification key not found")
        return vkey
    circuit = bundle.get("circuit")
    candidates = []
    if isinstance(circuit, str) and _CIRCUIT_NAME.match(circuit):
        candidates.append(build_dir() / circuit / "verification_key.json")
    candidates.append(build_dir() / "verification_key.json")
    for c in candidates:
        if c.is_file():
            return c
    raise InputError("--vkey", None, f"no verification key at {candidates[0]}: run `zksolvency setup` or pass --vkey")


_KEYS: dict[Path, tuple[float, str, PreparedKey]] = {}


def load_key(path: Path) -> tuple[str, PreparedKey]:
    """(digest, prepared key) of a verification key file, memoized per file and mtime."""
    mtime = path.stat().st_mtime
    hit = _KEYS.get(path)
    if hit and hit[0] == mtime:
        return hit[1], hit[2]
    try:
        raw = json.loads(path.read_text())
    except ValueError as e:
        raise InputError(str(path), None, f"not valid JSON: {e}") from None
    digest, key = vkey_digest(raw), prepare(parse_vkey(raw))
    _KEYS[path] = (mtime, digest, key)
    return digest, key


def load_bundle(path: Path, vkey: Path | None = None) -> LoadedBundle:
    """Read a bundle and its key; check the key is the one the bundle was made for."""
    raw = read_bundle(path)
    digest, key = load_key(find_vkey(raw, vkey))
    if raw["vkey_sha256"] != digest:
        raise InvalidProof(
            f"{path}: the bundle was made for another verification key (vkey sha256 {str(raw['vkey_sha256'])[:16]}...)"
        )
    proof = parse_proof(raw["proof"])
    signals = parse_signals(raw["public_signals"], key.vk.n_public)
    return LoadedBundle(path, raw, proof, signals, key)


def check_claims(b: LoadedBundle, market: Path | None, ledger: Path | None = None) -> Verdict:
    """Claims decoded from the signals must equal the bundle's; then the optional bindings.

    ``market``: the proof's market root and claimed epoch are this market file's. ``ledger``: the
    proof's ledger root is this ``ledger.json``'s, for the same epoch, and the ledger lists the
    proof's account at the proof's index.
    """
    claims = b.raw["claims"]
    if not isinstance(claims, dict):
        raise InvalidProof(f"{b.path}: claims must be an object")
    epoch = claims.get("epoch")
    if isinstance(epoch, bool) or not isinstance(epoch, int) or not 0 <= epoch < 2**64:
        raise InvalidProof(f"{b.path}: claims.epoch must be an integer in [0, 2^64)")
    try:
        decoded = claims_from_signals(b.signals, epoch)
    except ValueError as e:
        raise InvalidProof(f"{b.path}: public signals: {e}") from None
    for name in CLAIM_NAMES:
        if claims.get(name) != decoded[name] or type(claims.get(name)) is not type(decoded[name]):
            raise InvalidProof(f"{b.path}: claims.{name} disagrees with the public signals")
    epoch_checked = False
    if market is not None:
        from zksolvency.zkcore.commitment import market_root
        from zksolvency.zkcore.field import hex32
        from zksolvency.zkcore.models import load_market

        m = load_market(market)
        if hex32(market_root(m)) != decoded["market_root"]:
            raise InvalidProof(f"{b.path}: the proof is for another market or epoch than {market} (market root differs)")
        if m.epoch != epoch:
            raise InvalidProof(f"{b.path}: claims.epoch {epoch} is not the epoch {m.epoch} of {market}")
        epoch_checked = True
    ledger_checked = False
    if ledger is not None:
        from zksolvency.zkcore.field import hex32
        from zksolvency.zkcore.ledger import load_ledger_info

        info = load_ledger_info(ledger)
        if hex32(info.root) != decoded["ledger_root"]:
            raise InvalidProof(f"{b.path}: the proof is for another ledger than {ledger} (ledger root differs)")
        if info.epoch != epoch:
            raise InvalidProof(f"{b.path}: claims.epoch {epoch} is not the epoch {info.epoch} of {ledger}")
        listed = info.indices_of(str(decoded["account"]))
        if decoded["index"] not in listed:
            where = f"at index {listed[0]}" if listed else "nowhere"
            msg = f"{ledger} lists {decoded['account']} {where}, the proof is for index {decoded['index']}"
            raise InvalidProof(f"{b.path}: {msg}")
        ledger_checked = True
    index = decoded["index"]
    assert isinstance(index, int)
    return Verdict(
        bool(decoded["solvent"]),
        str(decoded["account"]),
        index,
        str(decoded["ledger_root"]),
        str(decoded["market_root"]),
        epoch,
        epoch_checked,
        ledger_checked,
    )


def verify_bundle(path: Path, *, vkey: Path | None = None, market: Path | None = None, ledger: Path | None = None) -> Verdict:
    """Verify one bundle end to end; raises InvalidProof (exit 1) or InputError (exit 2)."""
    b = load_bundle(path, vkey)
    if not verify_fast(b.key, b.proof, b.signals):
        raise InvalidProof(f"{path}: the proof does not verify against its public signals")
    return check_claims(b, market, ledger)


@dataclass(frozen=True)
class BatchResult:
    """Per bundle: a verdict, or the reason it was rejected."""

    results: list[tuple[Path, Verdict | str]]

    @property
    def all_valid(self) -> bool:
        """True when every bundle verified."""
        return all(isinstance(r, Verdict) for _, r in self.results)


def verify_batch(
    paths: Sequence[Path], *, vkey: Path | None = None, market: Path | None = None, ledger: Path | None = None
) -> BatchResult:
    """Verify many bundles with one random-linear-combination check per key.

    When a batch fails, its bundles are checked one by one so the bad ones are named.
    """
    loaded: dict[Path, LoadedBundle] = {}
    out: dict[Path, Verdict | str] = {}
    for p in paths:
        try:
            loaded[p] = load_bundle(p, vkey)
        except InvalidProof as e:
            out[p] = str(e)
    groups: dict[int, list[LoadedBundle]] = {}
    for b in loaded.values():
        groups.setdefault(id(b.key), []).append(b)
    for group in groups.values():
        if batch_verify(group[0].key, [(b.proof, b.signals) for b in group]):
            good = group
        else:
            good = []
            for b in group:
                if verify_fast(b.key, b.proof, b.signals):
                    good.append(b)
                else:
                    out[b.path] = f"{b.path}: the proof does not verify against its public signals"
        for b in good:
            try:
                out[b.path] = check_claims(b, market, ledger)
            except InvalidProof as e:
                out[b.path] = str(e)
    return BatchResult([(p, out[p]) for p in paths])
