"""Verify a proof bundle (SPEC §4) and decide: attest a solvent account or flag it.

Independent of the prover: this module reads the bundle, the verification key and, optionally,
the market file and the venue's published ledger, and checks them with :mod:`verifier.groth16`.
Signal names, claims and bundle keys come from :mod:`zkcore.bundle`, the one bundle schema.

The verifier decides which keys it trusts BEFORE it reads a bundle (:class:`TrustedKeys`): a key
file (``--vkey``), the key recorded for a configured instance (``--config NAME``, default
``default``: ``.zksolvency/configs/NAME.json``, written by ``setup``), or an allow-list of key digests
(``--trusted-keys FILE``). A bundle's ``vkey_sha256`` and ``circuit`` may only name one of those;
they never choose a key file. A key whose trust label (:mod:`zksolvency.zkcore.keytrust`) is
``insecure-beacon`` or ``unknown`` is refused unless the caller says it accepts it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from zksolvency.verifier.groth16 import (
    InvalidProof,
    PreparedKey,
    Proof,
    parse_proof,
    parse_signals,
    parse_vkey,
    prepare,
    verify_each,
    verify_fast,
)
from zksolvency.zkcore import keytrust
from zksolvency.zkcore.bundle import BUNDLE_FORMAT, BUNDLE_KEYS, CLAIM_NAMES, claims_from_signals, vkey_digest
from zksolvency.zkcore.errors import InputError
from zksolvency.zkcore.jsonio import loads_strict, read_json
from zksolvency.zkcore.paths import StrPath, build_dir, default_config

if TYPE_CHECKING:
    from zksolvency.zkcore.ledger import LedgerInfo

_CIRCUIT_NAME = re.compile(r"[a-z0-9_-]{1,80}")
_CONFIG_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


#: Where the index a verdict states was checked: against the registry's enrollment (``--rpc`` or
#: an indices file from ``chain enrolled --json``), against the venue's listing in ``ledger.json``
#: only (the venue's word), or nowhere (the proof's own claim).
INDEX_SOURCES = ("enrollment", "listing", "claim")


@dataclass(frozen=True)
class Verdict:
    """A verified bundle's claims, what they were checked against, and the decision that allows.

    A valid proof is always reported; an ``attest``/``flag`` decision only for a market root and a
    ledger root the verifier checked (a market file and the venue's ``ledger.json``, or both roots
    read from chain): a market nobody published can price any book solvent, and a ledger nobody
    published can hold any book at any index (a trader can build one of its own).
    """

    solvent: bool
    account: str
    index: int
    ledger_root: str
    market_root: str
    epoch: int
    market_checked: bool  # the market root is a market file's or the oracle's published root
    ledger_checked: bool = False  # the ledger root is a ledger file's or the venue's root on chain
    key_sha256: str = ""
    key_trust: keytrust.Trust = keytrust.Trust.UNKNOWN
    key_file: str = ""
    index_source: str = "claim"  # one of INDEX_SOURCES

    @property
    def decision(self) -> str | None:
        """``attest`` a solvent account, ``flag`` an insolvent one for liquidation; None when the
        market or the ledger was not checked (no decision at all)."""
        if not (self.market_checked and self.ledger_checked):
            return None
        return "attest" if self.solvent else "flag"

    @property
    def unchecked(self) -> str:
        """What was not checked, as the hint the text output gives ("" when both were)."""
        missing = [what for what, ok in (("market", self.market_checked), ("ledger", self.ledger_checked)) if not ok]
        if not missing:
            return ""
        flags = " and ".join(f"--{m}" for m in missing)
        return f"the {' and the '.join(missing)} {'were' if len(missing) > 1 else 'was'} not checked (pass {flags}, or --rpc)"

    @property
    def headline(self) -> str:
        """The line ``verify`` prints."""
        if self.decision is None:
            return f"VALID proof that solvent = {int(self.solvent)} — no decision: {self.unchecked}"
        return "SOLVENT — attestation accepted" if self.solvent else "INSOLVENT — flag for liquidation"

    def as_json(self) -> dict[str, object]:
        """The object ``verify --json`` prints."""
        return {
            "valid": True,
            "solvent": self.solvent,
            "decision": self.decision,
            "market_checked": self.market_checked,
            "account": self.account,
            "index": self.index,
            "index_source": self.index_source,
            "ledger_root": self.ledger_root,
            "market_root": self.market_root,
            # the epoch is not a public signal (it is inside the market root): it is reported only
            # once a checked market (or the venue's ledger) confirmed it, never on the bundle's word
            "epoch": self.epoch if self.market_checked or self.ledger_checked else None,
            "claimed_epoch": self.epoch,
            "epoch_checked": self.market_checked,
            "ledger_checked": self.ledger_checked,
            "key": {"sha256": self.key_sha256, "trust": self.key_trust, "file": self.key_file},
        }


class ChainView(Protocol):
    """What a verifier reads from a deployment (``zksolvency.onchain.client.Chain`` is one): the
    oracle's published market roots, the venue's ledger roots and the registry's enrollment."""

    rpc: str

    def published_market_root(self, epoch: int) -> int | None:
        """The market root the oracle published for ``epoch`` (None when unpublished)."""

    def ledger_root(self, epoch: int) -> int | None:
        """The ledger root the venue published for ``epoch`` (None when unpublished)."""

    def enrolled_index(self, account: str) -> int | None:
        """The index ``account`` is enrolled at (None when not enrolled)."""


@dataclass(frozen=True)
class Bindings:
    """What bundles' claims are checked against, read once for any number of bundles.

    ``market``: a market file's (root, epoch) and its name. ``ledger``: a ``ledger.json`` and its
    name. ``enrolled``: address -> enrolled index (an indices file from ``chain enrolled --json``)
    and its name. ``chain``: a deployment read for each bundle's claimed epoch and account.
    """

    market: tuple[int, int] | None = None
    market_file: str = ""
    ledger: LedgerInfo | None = None
    ledger_file: str = ""
    enrolled: Mapping[str, int] | None = None
    enrolled_file: str = ""
    chain: ChainView | None = None

    @classmethod
    def load(
        cls,
        *,
        market: StrPath | None = None,
        ledger: StrPath | None = None,
        indices: StrPath | None = None,
        chain: ChainView | None = None,
    ) -> Bindings:
        """Read and check the files (bad input raises InputError before any bundle is read)."""
        m = None
        if market is not None:
            from zksolvency.zkcore.commitment import market_root
            from zksolvency.zkcore.models import load_market

            loaded = load_market(market)
            m = (market_root(loaded), loaded.epoch)
        info = None
        if ledger is not None:
            from zksolvency.zkcore.ledger import load_ledger_info

            info = load_ledger_info(ledger)
        enrolled = None
        if indices is not None:
            from zksolvency.zkcore.ledger import read_enrollment

            if chain is not None:
                raise InputError(str(indices), None, "give the enrollment once: an indices file or a chain, not both")
            enrolled = read_enrollment(Path(indices))
        return cls(m, str(market or ""), info, str(ledger or ""), enrolled, str(indices or ""), chain)


@dataclass(frozen=True)
class LoadedBundle:
    """A bundle parsed far enough to be verified."""

    path: Path
    raw: dict[str, Any]
    proof: Proof
    signals: list[int]
    key: PreparedKey
    trusted: TrustedKey


def read_bundle(path: Path) -> dict[str, Any]:
    """The bundle's JSON object; a missing file is bad input, a broken one an invalid proof."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), None, "file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidProof(f"{path}: cannot read the bundle: {e}") from None
    try:
        data = loads_strict(text)
    except ValueError as e:
        raise InvalidProof(f"{path}: not a bundle: invalid JSON ({e})") from None
    if not isinstance(data, dict) or data.get("format") != BUNDLE_FORMAT:
        raise InvalidProof(f"{path}: not a bundle: expected an object with format {BUNDLE_FORMAT!r}")
    for key in BUNDLE_KEYS:
        if key not in data:
            raise InvalidProof(f"{path}: not a bundle: missing {key!r}")
    return data


@dataclass(frozen=True)
class TrustedKey:
    """A verification key the verifier chose, with its digest and trust label."""

    path: Path
    digest: str
    trust: keytrust.Trust
    circuit: str | None
    ptau: str
    prepared: PreparedKey


_KEYS: dict[Path, tuple[float, TrustedKey]] = {}


def load_key(path: Path) -> TrustedKey:
    """A verification key file, parsed, checked and prepared (memoized per file and mtime)."""
    if not path.is_file():
        raise InputError(str(path), None, "verification key not found")
    mtime = path.stat().st_mtime
    hit = _KEYS.get(path)
    if hit and hit[0] == mtime:
        return hit[1]
    raw = read_json(path)
    if not isinstance(raw, dict):
        raise InputError(str(path), None, "not a verification key (expected a JSON object)")
    try:
        prepared = prepare(parse_vkey(raw))
    except InvalidProof as e:
        raise InputError(str(path), None, str(e)) from None
    key = TrustedKey(path, vkey_digest(raw), keytrust.key_trust(raw), keytrust.key_circuit(raw), keytrust.key_ptau(raw), prepared)
    _KEYS[path] = (mtime, key)
    return key


def configured_vkey(config: str | None = None, build: Path | None = None) -> Path:
    """The key ``setup`` recorded for the named instance (``.zksolvency/configs/NAME.json``; None:
    ``$ZKSOLVENCY_CONFIG`` or ``default``)."""
    config = config if config is not None else default_config()
    if not _CONFIG_NAME.fullmatch(config):
        raise InputError("config", None, f"not a config name: {config!r}")
    build = build if build is not None else build_dir()
    rec_path = build / "configs" / f"{config}.json"
    hint = f"run `zksolvency setup --config {config}` or pass --vkey"
    try:
        rec = json.loads(rec_path.read_text())
    except FileNotFoundError:
        raise InputError("config", config, f"no key recorded at {rec_path}: {hint}") from None
    except (OSError, ValueError) as e:
        raise InputError(str(rec_path), None, f"unreadable: {e}") from None
    circuit = rec.get("circuit") if isinstance(rec, dict) else None
    if not isinstance(circuit, str) or not _CIRCUIT_NAME.fullmatch(circuit):
        raise InputError(str(rec_path), "circuit", "not an instance name")
    vkey = build / circuit / "verification_key.json"
    if load_key(vkey).digest != rec.get("vkey_sha256"):
        raise InputError(str(vkey), None, f"is not the key recorded for config {config!r} in {rec_path}: {hint}")
    return vkey


def read_allow_list(path: Path) -> frozenset[str]:
    """An allow-list of key digests: one sha256 (64 lowercase hex digits) per line, ``#`` comments."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(str(path), None, "file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(str(path), None, f"cannot read: {e}") from None
    out = set()
    for i, line in enumerate(lines, 1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        if not _SHA256.fullmatch(entry):
            raise InputError(str(path), f"line {i}", "expected a key sha256 (64 lowercase hex digits)")
        out.add(entry)
    if not out:
        raise InputError(str(path), None, "lists no key digest")
    return frozenset(out)


@dataclass(frozen=True)
class TrustedKeys:
    """The keys a verifier accepts, fixed before any bundle is read.

    ``files``: keys trusted outright. ``digests``: an allow-list; a bundle naming ``circuit`` X
    may use ``search_dir/X/verification_key.json`` only if that file's digest is listed.
    ``allow_insecure``: accept keys labelled ``insecure-beacon`` or ``unknown``.
    """

    files: tuple[Path, ...] = ()
    digests: frozenset[str] = frozenset()
    search_dir: Path | None = None
    allow_insecure: bool = False

    @classmethod
    def resolve(
        cls,
        *,
        vkey: StrPath | None = None,
        config: str | None = None,
        trusted_keys: StrPath | None = None,
        build: StrPath | None = None,
        allow_insecure: bool = False,
    ) -> TrustedKeys:
        """``--vkey`` and/or ``--trusted-keys``; with neither, the configured instance (``config``,
        default ``default``). ``--config`` together with the others adds its key."""
        build_path = Path(build) if build is not None else None
        files: list[Path] = []
        if vkey is not None:
            files.append(Path(vkey))
        if config is not None or (vkey is None and trusted_keys is None):
            files.append(configured_vkey(config, build_path))
        digests = read_allow_list(Path(trusted_keys)) if trusted_keys is not None else frozenset()
        search = (build_path if build_path is not None else build_dir()) if digests else None
        for f in files:
            load_key(f)  # a missing or broken key is bad input before any bundle is read
        return cls(tuple(files), digests, search, allow_insecure)

    def key_for(self, path: Path, bundle: dict[str, Any]) -> TrustedKey:
        """The trusted key ``bundle`` was made for; InvalidProof if it names any other."""
        named = bundle.get("vkey_sha256")
        circuit = bundle.get("circuit")
        if not isinstance(named, str) or not _SHA256.fullmatch(named):
            raise InvalidProof(f"{path}: vkey_sha256 must be 64 lowercase hex digits")
        key = next((k for k in map(load_key, self.files) if k.digest == named), None)
        if (
            key is None
            and named in self.digests
            and self.search_dir is not None
            and isinstance(circuit, str)
            and _CIRCUIT_NAME.fullmatch(circuit)
        ):
            candidate = self.search_dir / circuit / "verification_key.json"
            if candidate.is_file() and load_key(candidate).digest == named:
                key = load_key(candidate)
        if key is None:
            raise InvalidProof(
                f"{path}: the bundle was made for a verification key this verifier does not trust"
                f" (vkey sha256 {named[:16]}..., circuit {str(circuit)[:80]!r})"
            )
        if key.circuit is not None and circuit != key.circuit:
            raise InvalidProof(f"{path}: the bundle names circuit {str(circuit)[:80]!r}, the trusted key is for {key.circuit!r}")
        if key.trust not in keytrust.ACCEPTED and not self.allow_insecure:
            raise InputError(
                str(key.path),
                "zksolvency_setup.trust",
                f"key labelled {key.trust.value!r} ({keytrust.DESCRIPTION[key.trust]}); refused without --allow-insecure-key",
            )
        return key


def load_bundle(path: Path, keys: TrustedKeys) -> LoadedBundle:
    """Read a bundle and pick, among the trusted keys, the one it was made for."""
    raw = read_bundle(path)
    key = keys.key_for(path, raw)
    proof = parse_proof(raw["proof"])
    signals = parse_signals(raw["public_signals"], key.prepared.vk.n_public)
    return LoadedBundle(path, raw, proof, signals, key.prepared, key)


def check_claims(b: LoadedBundle, bindings: Bindings | None = None) -> Verdict:
    """Claims decoded from the signals must equal the bundle's; then every binding given.

    The market: the proof's market root and claimed epoch are the market file's, or the root the
    oracle published for that epoch on chain. The ledger: the proof's ledger root is the
    ``ledger.json``'s (same epoch; the file lists the proof's account at the proof's index), or the
    venue's root for that epoch on chain. The index: the account's enrolled index (an indices file,
    or the registry), else the venue's listing, else only the proof's claim.
    """
    bd = bindings if bindings is not None else Bindings()
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
    account, index = str(decoded["account"]), decoded["index"]
    assert isinstance(index, int)
    market_root, ledger_root = int(str(decoded["market_root"]), 16), int(str(decoded["ledger_root"]), 16)
    market_checked = False
    if bd.market is not None:
        root, m_epoch = bd.market
        if root != market_root:
            raise InvalidProof(f"{b.path}: the proof is for another market or epoch than {bd.market_file} (market root differs)")
        if m_epoch != epoch:
            raise InvalidProof(f"{b.path}: claims.epoch {epoch} is not the epoch {m_epoch} of {bd.market_file}")
        market_checked = True
    ledger_checked = False
    index_source = "claim"
    if bd.ledger is not None:
        info = bd.ledger
        if info.root != ledger_root:
            raise InvalidProof(f"{b.path}: the proof is for another ledger than {bd.ledger_file} (ledger root differs)")
        if info.epoch != epoch:
            raise InvalidProof(f"{b.path}: claims.epoch {epoch} is not the epoch {info.epoch} of {bd.ledger_file}")
        listed = info.indices_of(account)
        if index not in listed:
            where = f"at index {listed[0]}" if listed else "nowhere"
            raise InvalidProof(f"{b.path}: {bd.ledger_file} lists {account} {where}, the proof is for index {index}")
        ledger_checked, index_source = True, "listing"
    if bd.chain is not None:
        published = bd.chain.published_market_root(epoch)
        if published is None:
            raise InvalidProof(f"{b.path}: the oracle at {bd.chain.rpc} published no market for epoch {epoch}")
        if published != market_root:
            raise InvalidProof(f"{b.path}: the proof is for another market than the oracle published for epoch {epoch}")
        on_chain = bd.chain.ledger_root(epoch)
        if on_chain is None:
            raise InvalidProof(f"{b.path}: the venue published no ledger root on chain for epoch {epoch}")
        if on_chain != ledger_root:
            raise InvalidProof(f"{b.path}: the proof is for another ledger than the venue published for epoch {epoch}")
        market_checked = ledger_checked = True
    enrolled, source = (
        (bd.enrolled.get(account), bd.enrolled_file)
        if bd.enrolled is not None
        else (bd.chain.enrolled_index(account), f"the registry at {bd.chain.rpc}")
        if bd.chain is not None
        else (None, "")
    )
    if source:
        if enrolled is None:
            raise InvalidProof(f"{b.path}: {account} is not enrolled ({source}): a proof attests only an enrolled index")
        if enrolled != index:
            raise InvalidProof(f"{b.path}: {account} is enrolled at index {enrolled} ({source}), the proof is for index {index}")
        index_source = "enrollment"
    return Verdict(
        bool(decoded["solvent"]),
        account,
        index,
        str(decoded["ledger_root"]),
        str(decoded["market_root"]),
        epoch,
        market_checked,
        ledger_checked,
        b.trusted.digest,
        b.trusted.trust,
        str(b.trusted.path),
        index_source,
    )


def verify_bundle(
    path: StrPath,
    *,
    vkey: StrPath | None = None,
    market: StrPath | None = None,
    ledger: StrPath | None = None,
    bindings: Bindings | None = None,
    keys: TrustedKeys | None = None,
    allow_insecure: bool = False,
) -> Verdict:
    """Verify one bundle end to end; raises InvalidProof (exit 1) or InputError (exit 2).

    ``keys`` (or ``vkey``, else the ``default`` instance's recorded key) decides what is trusted;
    ``bindings`` what the claims are checked against (:func:`check_claims`), else ``market`` and
    ``ledger`` files.
    """
    trusted = keys if keys is not None else TrustedKeys.resolve(vkey=vkey, allow_insecure=allow_insecure)
    bindings = bindings if bindings is not None else Bindings.load(market=market, ledger=ledger)
    path = Path(path)
    b = load_bundle(path, trusted)
    if not verify_fast(b.key, b.proof, b.signals):
        raise InvalidProof(f"{path}: the proof does not verify against its public signals")
    return check_claims(b, bindings)


def bundle_paths(args: Sequence[Path]) -> list[Path]:
    """BUNDLE… or DIR…: a directory (e.g. ``epoch prove``'s OUT) stands for its ``*.json`` files except ``report.json``."""
    out: list[Path] = []
    for a in args:
        if a.is_dir():
            found = sorted(p for p in a.glob("*.json") if p.name != "report.json")
            if not found:
                raise InputError(str(a), None, "no bundle (*.json) in this directory")
            out += found
        else:
            out.append(a)
    if not out:
        raise InputError("BUNDLE", None, "no bundle given")
    return out


@dataclass(frozen=True)
class BatchResult:
    """Per bundle: a verdict, or the reason it was rejected."""

    results: list[tuple[Path, Verdict | str]]

    @property
    def all_valid(self) -> bool:
        """True when every bundle verified."""
        return all(isinstance(r, Verdict) for _, r in self.results)


def verify_batch(
    paths: Sequence[StrPath],
    *,
    vkey: StrPath | None = None,
    market: StrPath | None = None,
    ledger: StrPath | None = None,
    bindings: Bindings | None = None,
    keys: TrustedKeys | None = None,
    allow_insecure: bool = False,
) -> BatchResult:
    """Verify many bundles with one random-linear-combination check per key.

    Keys and bindings are as in :func:`verify_bundle`. When a batch fails, its bundles are checked
    one by one so the bad ones are named.
    """
    trusted = keys if keys is not None else TrustedKeys.resolve(vkey=vkey, allow_insecure=allow_insecure)
    bindings = bindings if bindings is not None else Bindings.load(market=market, ledger=ledger)
    files = bundle_paths([Path(p) for p in paths])
    loaded: dict[Path, LoadedBundle] = {}
    out: dict[Path, Verdict | str] = {}
    for p in files:
        try:
            loaded[p] = load_bundle(p, trusted)
        except InvalidProof as e:
            out[p] = str(e)
    groups: dict[str, list[LoadedBundle]] = {}
    for b in loaded.values():
        groups.setdefault(b.trusted.digest, []).append(b)
    for group in groups.values():
        good = []
        for b, ok in zip(group, verify_each(group[0].key, [(b.proof, b.signals) for b in group]), strict=True):
            if ok:
                good.append(b)
            else:
                out[b.path] = f"{b.path}: the proof does not verify against its public signals"
        for b in good:
            try:
                out[b.path] = check_claims(b, bindings)
            except InvalidProof as e:
                out[b.path] = str(e)
    return BatchResult([(p, out[p]) for p in files])
