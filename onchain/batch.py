"""``attestBatch`` from bundles: check everything in Python first, then send as few transactions
as fit (at most ``max_n`` proofs each, each within the block's gas limit and the EIP-7825 cap).

Nothing is sent unless every bundle passes: the same Fiat–Shamir batch check the contract runs
(:func:`verifier.groth16.batch_verify_fiat_shamir`), a ``solvent = 1`` verdict, one epoch, and no
account twice. Accounts go in increasing index order, as the registry requires.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from web3 import Web3
from web3.logs import DISCARD
from zksolvency.onchain.tx import TxResult, proof_calldata
from zksolvency.verifier.groth16 import BATCH_MAX, InvalidProof, batch_verify_fiat_shamir, verify_each
from zksolvency.verifier.verify import LoadedBundle, TrustedKeys, Verdict, bundle_paths, check_claims, load_bundle
from zksolvency.zkcore.errors import InputError

if TYPE_CHECKING:
    from zksolvency.onchain.client import Chain

#: EIP-7825: no transaction may ask for more gas (Osaka); also kept under the block gas limit.
TX_GAS_CAP = 2**24
#: Upper bounds of an attestBatch's gas (measured: ~54k per proof to verify, ~11k per account of
#: registry work, ~0.27M per batch; tests/batch/test_attest_batch.py checks real gas stays below).
GAS_BASE_BOUND = 400_000
GAS_PER_ACCOUNT_BOUND = 80_000


@dataclass(frozen=True)
class BatchTx(TxResult):
    """One mined ``attestBatch``: the accounts it attested (its ``Attested`` events) and those the
    registry skipped because a flag landed in front of it (``AttestationSkipped``)."""

    accounts: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def gas_per_account(self) -> int:
        """Gas per attested account."""
        return self.gas_used // max(1, len(self.accounts))

    def as_json(self) -> dict[str, object]:
        """For ``--json`` output."""
        return {**super().as_json(), "accounts": self.accounts, "skipped": self.skipped, "gas_per_account": self.gas_per_account}


@dataclass(frozen=True)
class Checked:
    """A bundle that passed the Python checks, with its decoded claims."""

    bundle: LoadedBundle
    verdict: Verdict


@dataclass(frozen=True)
class BatchPlan:
    """What ``attest-batch`` will send: the checked solvent bundles in batches (index order), and
    the valid ``solvent = 0`` bundles it leaves to ``chain flag``."""

    batches: list[list[Checked]]
    insolvent: list[Checked]


def precheck(paths: Sequence[Path], max_n: int, keys: TrustedKeys, *, skippable: Collection[Path] = ()) -> BatchPlan:
    """Check every bundle and split the solvent ones, in index order, into batches of at most ``max_n``.

    ``keys``: what the caller trusts (the deployed verifier's key), never what a bundle names.
    ``skippable``: bundles that may turn out ``solvent = 0`` (those found in a directory, such as
    ``epoch prove``'s OUT): they are set aside in ``BatchPlan.insolvent``. Raises InvalidProof naming
    the bundles a batch check refuses, InputError for an insolvent bundle given by name, another
    epoch, or an account given twice.
    """
    if not 0 < max_n <= BATCH_MAX:
        raise InputError("max_n", str(max_n), f"must be in [1, {BATCH_MAX}]")
    items: list[Checked] = []
    insolvent: list[Checked] = []
    seen: dict[str, Path] = {}
    skip = set(skippable)
    for p in paths:
        b = load_bundle(p, keys)
        v = check_claims(b)
        key = v.account.lower()
        if key in seen:
            raise InputError(str(p), "claims.account", f"{v.account} is also in {seen[key]}: one proof per account")
        seen[key] = p
        if not v.solvent:
            if p not in skip:
                raise InputError(str(p), "claims.solvent", "attest-batch needs solvent = 1 proofs (flag insolvent ones)")
            insolvent.append(Checked(b, v))  # verified by `chain flag`, which sends it
            continue
        items.append(Checked(b, v))
    if not items:
        raise InputError(str(paths[0]) if paths else "BUNDLE", None, "no solvent = 1 bundle to attest")
    epochs = {c.verdict.epoch for c in items}
    if len(epochs) != 1:
        raise InputError(str(items[-1].bundle.path), "claims.epoch", f"bundles of several epochs: {sorted(epochs)}")
    digests = {c.bundle.trusted.digest for c in items}
    if len(digests) != 1:
        raise InputError(str(items[-1].bundle.path), "vkey_sha256", "bundles of several verification keys")
    items.sort(key=lambda c: c.verdict.index)
    batches = [items[i : i + max_n] for i in range(0, len(items), max_n)]
    for batch in batches:
        pk, pairs = batch[0].bundle.key, [(c.bundle.proof, c.bundle.signals) for c in batch]
        if not batch_verify_fiat_shamir(pk, pairs):  # what the contract computes
            oks = verify_each(pk, pairs)  # which proofs are bad; none: a duplicated proof sank it
            bad = [str(c.bundle.path) for c, ok in zip(batch, oks, strict=True) if not ok]
            raise InvalidProof(f"batch refused by the Python check; invalid: {', '.join(bad) or 'a duplicated proof'}")
    return BatchPlan(batches, insolvent)


def _args(batch: Sequence[Checked]) -> tuple[list[str], int, list[object], list[object], list[object], list[object]]:
    cols: tuple[list[object], list[object], list[object], list[object]] = ([], [], [], [])
    for c in batch:
        for col, v in zip(cols, proof_calldata(c.bundle.raw["proof"], c.bundle.raw["public_signals"]), strict=True):
            col.append(v)
    accounts = [str(Web3.to_checksum_address(c.verdict.account)) for c in batch]
    return accounts, batch[0].verdict.epoch, *cols


@dataclass(frozen=True)
class BatchRun:
    """What ``attest_batch`` did: the mined transactions, and the insolvent bundles it set aside."""

    transactions: list[BatchTx]
    insolvent: list[Path]

    @property
    def gas_used(self) -> int:
        """Gas of every transaction."""
        return sum(t.gas_used for t in self.transactions)

    @property
    def accounts(self) -> int:
        """Accounts attested."""
        return sum(len(t.accounts) for t in self.transactions)

    @property
    def skipped(self) -> list[str]:
        """Accounts sent but skipped by the registry: flagged in front of the batch."""
        return [a for t in self.transactions for a in t.skipped]


def attest_batch(chain: Chain, paths: Sequence[Path], *, max_n: int = BATCH_MAX, sender: str | None = None) -> BatchRun:
    """Attest every solvent bundle (files, or directories of them) with ``attestBatch``: Python
    checks first, then one transaction per batch. Valid ``solvent = 0`` bundles found in a directory
    are set aside for ``chain flag`` (named explicitly, they are an error).

    A batch whose gas bound (GAS_BASE_BOUND + GAS_PER_ACCOUNT_BOUND per account) exceeds the block
    gas limit or the EIP-7825 cap is halved until it fits. Returns the mined transactions in order.
    """
    files = bundle_paths(paths)
    named = {p for p in paths if not p.is_dir()}
    plan = precheck(files, max_n, chain.verification_key(), skippable=[f for f in files if f not in named])  # the DEPLOYED key
    fn = chain.contract("registry").functions.attestBatch
    limit = min(int(chain.w3.eth.get_block("latest")["gasLimit"]), TX_GAS_CAP)
    out: list[BatchTx] = []
    queue = list(plan.batches)
    while queue:
        batch = queue.pop(0)
        if len(batch) > 1 and GAS_BASE_BOUND + GAS_PER_ACCOUNT_BOUND * len(batch) > limit:
            half = len(batch) // 2
            queue[:0] = [batch[:half], batch[half:]]
            continue
        res = chain.send(fn(*_args(batch)), sender)
        receipt = chain.w3.eth.get_transaction_receipt(res.tx_hash)
        events = chain.contract("registry").events
        attested = [str(e["args"]["account"]) for e in events.Attested().process_receipt(receipt, errors=DISCARD)]
        skipped = [str(e["args"]["account"]) for e in events.AttestationSkipped().process_receipt(receipt, errors=DISCARD)]
        out.append(BatchTx(res.tx_hash, res.gas_used, res.block, attested, skipped))
    return BatchRun(out, [c.bundle.path for c in plan.insolvent])
