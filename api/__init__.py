"""zksolvency: zero-knowledge solvency proofs for leveraged trading accounts.

The supported surface for protocols and services that embed margin checks. Every operation the
command line offers is a typed function here first; the CLI (:mod:`zksolvency.cli`) only parses
arguments and prints. Bad input of any kind raises :class:`InputError` (a :class:`ZkSolvencyError`
with the file and field it concerns); a proof that does not verify raises :class:`InvalidProof`.

>>> import zksolvency
>>> report = zksolvency.check("examples/account.json", "examples/market.json")
>>> report.solvent
True

Stages live in sub-packages under the same name: :mod:`zksolvency.zkcore` (models, fixed point,
Poseidon, commitments, bundle schema), :mod:`zksolvency.oracle`, :mod:`zksolvency.prover`,
:mod:`zksolvency.verifier` (never imports the prover) and :mod:`zksolvency.onchain`.
Heavy modules are imported on first use, so ``import zksolvency`` stays cheap and verification
never loads the prover or pydantic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

from zksolvency.zkcore.errors import CapacityError, InputError, ToolError, ZkSolvencyError

if TYPE_CHECKING:
    import threading

    from zksolvency.onchain.client import Chain
    from zksolvency.onchain.deployment import Deployment, NodeRecord
    from zksolvency.onchain.keeper import Keeper, KeeperMetrics, TickResult
    from zksolvency.onchain.tx import TxResult
    from zksolvency.onchain.vault import (
        AmountResult,
        DepositResult,
        LiquidationQuote,
        LiquidationResult,
        ReleaseResult,
        ShortfallResult,
        Vault,
        VaultDeployment,
        VaultStatus,
    )
    from zksolvency.prover.engine import MarginReport
    from zksolvency.prover.epoch import EpochReport, Outcome
    from zksolvency.prover.prove import ProveResult
    from zksolvency.prover.setup import Artifacts
    from zksolvency.verifier.verify import BatchResult, Bindings, TrustedKeys, Verdict
    from zksolvency.zkcore.ledger import BuiltLedger, Statement, StatementCheck
    from zksolvency.zkcore.models import Account, Market

__all__ = [
    "CapacityError",
    "InputError",
    "InvalidProof",
    "ToolError",
    "ZkSolvencyError",
    "build_ledger",
    "chain",
    "chain_down",
    "chain_up",
    "check",
    "commit",
    "deploy",
    "keeper",
    "load_account",
    "load_market",
    "load_statement",
    "market_root",
    "new_salt",
    "prove",
    "prove_epoch",
    "publish_market",
    "run_keeper",
    "setup",
    "vault",
    "vault_deploy",
    "vault_deposit",
    "vault_liquidate",
    "vault_mint",
    "vault_quote",
    "vault_release",
    "vault_report_shortfall",
    "vault_status",
    "vault_withdraw",
    "verify",
    "verify_batch",
    "verify_statement",
    "verify_statement_on_chain",
]

StrPath = str | PathLike[str]


def __getattr__(name: str) -> object:
    # InvalidProof lives with the verifier; resolve it lazily so `import zksolvency` stays light.
    if name == "InvalidProof":
        from zksolvency.verifier.groth16 import InvalidProof

        return InvalidProof
    raise AttributeError(f"module 'zksolvency' has no attribute {name!r}")


def load_market(path: StrPath) -> Market:
    """Load and validate a ``market.json`` (SPEC §1); raises :class:`InputError`."""
    from zksolvency.zkcore.models import load_market as _load

    return _load(path)


def load_account(path: StrPath, market: StrPath | None = None) -> Account:
    """Load and validate an ``account.json``; with ``market``, check every reference is listed."""
    from zksolvency.zkcore.models import load_account as _load

    if market is None:
        return _load(path)
    return _load(path, load_market(market), market)


def check(account: StrPath, market: StrPath) -> MarginReport:
    """SPEC §2 reference computation for one account at one market epoch (no proof).

    Returns the exact :class:`~zksolvency.prover.engine.MarginReport` (fractions, ``solvent``,
    ``as_json()`` with decimal strings).
    """
    from zksolvency.prover.engine import margin_report

    return margin_report(load_account(account, market), load_market(market))


def commit(account: StrPath) -> str:
    """The account's ledger leaf (its commitment) as ``0x`` + 64 hex digits."""
    from zksolvency.zkcore.commitment import account_commitment
    from zksolvency.zkcore.field import hex32

    return hex32(account_commitment(load_account(account)))


def market_root(market: StrPath) -> str:
    """The market root the oracle publishes for this epoch, ``0x`` + 64 hex digits."""
    from zksolvency.zkcore.commitment import market_root as _root
    from zksolvency.zkcore.field import hex32

    return hex32(_root(load_market(market)))


def setup(
    config: str | None = None,
    *,
    params: dict[str, int] | None = None,
    build_dir: StrPath | None = None,
    ptau: StrPath | None = None,
    ptau_trust: str | None = None,
    ptau_blake2b: str | None = None,
    force: bool = False,
) -> Artifacts:
    """Compile a circuit instance and run its Groth16 setup (cached by the hash of every input).

    ``ptau``: a powers-of-tau file to use instead of the development one. A Hermez final file is
    recognised by its pinned BLAKE2b-512 (``ceremony``); any other file's keys are labelled
    ``unknown`` (refused by verifiers) unless ``ptau_trust`` says what the operator checked:
    ``"ceremony"`` with ``ptau_blake2b``, the ceremony's published BLAKE2b-512, which must be the
    file's, or ``"single-party-development"``. Also mirrors the key and the Solidity verifier to
    ``build_dir`` (SPEC §6 names).
    """
    from zksolvency.prover.config import build_dir as default_build
    from zksolvency.prover.config import load_config
    from zksolvency.prover.setup import copy_public_artifacts
    from zksolvency.prover.setup import setup as _setup

    build = Path(build_dir) if build_dir is not None else default_build()
    art = _setup(
        load_config(config, params),
        build,
        Path(ptau) if ptau is not None else None,
        force=force,
        ptau_trust=ptau_trust,
        ptau_blake2b=ptau_blake2b,
    )
    copy_public_artifacts(art, build)
    return art


def build_ledger(
    accounts: Sequence[StrPath],
    market: StrPath,
    out: StrPath,
    *,
    indices: StrPath | None = None,
    depth: int | None = None,
    config: str | None = None,
) -> BuiltLedger:
    """Build the epoch's ledger (SPEC §3) and write ``out/ledger.json`` and ``out/statements/``.

    Indices come from ``indices`` (``{"0x…": 3, …}``) or the order of ``accounts`` from 0; the depth
    is ``depth`` or the ``LD`` of circuit instance ``config`` (a proof opens exactly that depth).
    Written atomically: a failed build leaves nothing in ``out``.
    """
    from zksolvency.prover.config import load_config
    from zksolvency.zkcore.ledger import build_ledger as _build

    d = depth if depth is not None else load_config(config).LD
    return _build(
        accounts,
        market,
        out,
        indices=indices,
        depth=d,
    )


def load_statement(statement: StrPath) -> Statement:
    """Load and validate a statement file (the trader's private part of the ledger)."""
    from zksolvency.zkcore.ledger import load_statement as _load

    return _load(statement)


def verify_statement(
    statement: StrPath | Statement,
    *,
    ledger: StrPath | None = None,
    root: int | str | None = None,
    epoch: int | None = None,
    account: StrPath | None = None,
) -> StatementCheck:
    """The trader's check (SPEC §3): the venue committed to this book, at this index, under the
    published ledger root.

    The root comes from ``ledger`` (a ``ledger.json``, which also gives the epoch, depth and the
    listing of (account, index)) or from ``root`` (e.g. read from the registry, with ``epoch``).
    ``account``: the trader's own account.json, compared with the statement's book.
    Returns a :class:`StatementCheck` (``ok`` or the problems); bad files raise :class:`InputError`.
    """
    from zksolvency.zkcore.ledger import DuplicateListing, StatementCheck, load_ledger_info
    from zksolvency.zkcore.ledger import Statement as _Statement
    from zksolvency.zkcore.ledger import load_statement as _load
    from zksolvency.zkcore.ledger import verify_statement as _verify

    st = statement if isinstance(statement, _Statement) else _load(statement)
    own = load_account(account) if account is not None else None
    if (ledger is None) == (root is None):
        raise InputError("ledger", None, "give exactly one of a ledger file and a published root")
    if ledger is not None:
        try:
            info = load_ledger_info(ledger)
        except DuplicateListing as e:
            if st.address not in e.addresses:
                raise
            # the venue gave this trader's address a second leaf (or its index to another
            # address): whatever the rest says, the published ledger does not match the statement
            return StatementCheck(st.address, st.index, st.epoch, st.ledger_root, (f"{e.file}: {e.message}",))
        return _verify(st, info.root, epoch=info.epoch, depth=info.depth, listed=info.indices_of(st.address), own_book=own)
    assert root is not None
    r = int(root, 16) if isinstance(root, str) else root
    return _verify(st, r, epoch=epoch, own_book=own)


def verify_statement_on_chain(
    statement: StrPath | Statement,
    *,
    rpc: str | None = None,
    deployment: StrPath | None = None,
    build_dir: StrPath | None = None,
    account: StrPath | None = None,
) -> StatementCheck:
    """The trader's check (SPEC §3) against the registry at ``rpc``: the statement is for the
    oracle's latest epoch (an older one says nothing of what proofs bind to now), the ledger root
    the venue published on chain for it, and the index the account is enrolled at.

    ``account``: the trader's own account.json, compared with the statement's book. Returns a
    :class:`StatementCheck` (``ok`` or the problems); bad files raise :class:`InputError`.
    """
    from zksolvency.zkcore.ledger import Statement as _Statement
    from zksolvency.zkcore.ledger import load_statement as _load

    st = statement if isinstance(statement, _Statement) else _load(statement)
    own = load_account(account) if account is not None else None
    return chain(rpc, deployment, build_dir=build_dir).check_statement(st, own)


def prove(
    statement: StrPath,
    market: StrPath,
    out: StrPath,
    *,
    config: str | None = None,
    params: dict[str, int] | None = None,
    build_dir: StrPath | None = None,
    prover: str | None = None,
) -> ProveResult:
    """Prove the verdict (solvent or not) of the account in a venue's ``statement`` at ``market``'s
    epoch, opened at its index in the ledger; write the proof bundle to ``out`` atomically.

    ``prover``: ``native`` (the default where it is built) or ``snarkjs``. The proof is verified
    before the bundle is written; a native failure is proven with snarkjs and logged (the result's
    ``prover`` and ``fallback`` say so)."""
    from zksolvency.prover.config import build_dir as default_build
    from zksolvency.prover.config import load_config
    from zksolvency.prover.prove import prove as _prove

    build = build_dir if build_dir is not None else default_build()
    return _prove(statement, market, out, load_config(config, params), build, prover=prover)


def _trusted_keys(
    vkey: StrPath | None,
    config: str | None,
    trusted_keys: StrPath | None,
    build_dir: StrPath | None,
    allow_insecure_key: bool,
) -> TrustedKeys:
    from zksolvency.verifier.verify import TrustedKeys

    return TrustedKeys.resolve(
        vkey=vkey,
        config=config,
        trusted_keys=trusted_keys,
        build=build_dir,
        allow_insecure=allow_insecure_key,
    )


def _bindings(
    market: StrPath | None,
    ledger: StrPath | None,
    indices: StrPath | None,
    rpc: str | None,
    deployment: StrPath | None,
    build_dir: StrPath | None,
) -> Bindings:
    from zksolvency.verifier.verify import Bindings

    if indices is not None and rpc is not None:  # before connecting to anything
        raise InputError(str(indices), None, "give the enrollment once: an indices file or a chain, not both")
    view = chain(rpc, deployment, build_dir=build_dir) if rpc is not None else None
    return Bindings.load(
        market=market,
        ledger=ledger,
        indices=indices,
        chain=view,
    )


def verify(
    bundle: StrPath,
    *,
    vkey: StrPath | None = None,
    market: StrPath | None = None,
    ledger: StrPath | None = None,
    indices: StrPath | None = None,
    rpc: str | None = None,
    deployment: StrPath | None = None,
    config: str | None = None,
    trusted_keys: StrPath | None = None,
    build_dir: StrPath | None = None,
    allow_insecure_key: bool = False,
) -> Verdict:
    """Verify one proof bundle; returns the :class:`~zksolvency.verifier.verify.Verdict`.

    The caller, never the bundle, decides the key: ``vkey`` (a key file), ``trusted_keys`` (a file
    of allowed key sha256 digests, keys looked up under ``build_dir``), else the key ``setup``
    recorded for ``config`` (default ``$ZKSOLVENCY_CONFIG`` or ``"default"``). Keys labelled ``insecure-beacon`` or
    ``unknown`` are refused unless ``allow_insecure_key``.

    What the claims are checked against: ``market`` (a market file: root and epoch); ``ledger`` (a
    ``ledger.json``: root, epoch, and that it lists the proof's account at the proof's index: the
    venue's word); ``indices`` (the registry's enrollment as ``chain enrolled --json`` writes it:
    the proof's index is the account's enrolled one); ``rpc`` (the deployment on chain: the
    oracle's market root and the venue's ledger root of the claimed epoch, and the enrolled
    index; not together with ``indices``). The verdict's ``decision`` is None unless both the
    market root and the ledger root were checked (``market`` and ``ledger``, or ``rpc``). Raises
    :class:`InvalidProof` when the proof or its claims do not hold, :class:`InputError` for bad
    arguments or a refused key.
    """
    from zksolvency.verifier.verify import verify_bundle

    return verify_bundle(
        bundle,
        keys=_trusted_keys(vkey, config, trusted_keys, build_dir, allow_insecure_key),
        bindings=_bindings(market, ledger, indices, rpc, deployment, build_dir),
    )


def verify_batch(
    bundles: list[StrPath],
    *,
    vkey: StrPath | None = None,
    market: StrPath | None = None,
    ledger: StrPath | None = None,
    indices: StrPath | None = None,
    rpc: str | None = None,
    deployment: StrPath | None = None,
    config: str | None = None,
    trusted_keys: StrPath | None = None,
    build_dir: StrPath | None = None,
    allow_insecure_key: bool = False,
) -> BatchResult:
    """Verify many bundles with one batched pairing check; the result names every bad bundle.

    Keys and what the claims are checked against are as in :func:`verify` (the files are read once
    for all bundles).
    """
    from zksolvency.verifier.verify import verify_batch as _batch

    return _batch(
        bundles,
        keys=_trusted_keys(vkey, config, trusted_keys, build_dir, allow_insecure_key),
        bindings=_bindings(market, ledger, indices, rpc, deployment, build_dir),
    )


def new_salt() -> str:
    """A fresh account salt: 31 bytes from the OS's CSPRNG, as ``0x`` + 62 hex digits.

    SPEC §1: a salt carries at least 128 bits (its value is at least 2^128) so a commitment cannot
    be brute-forced; 31 random bytes fall below that with probability 2^-120, and are drawn again.
    """
    from zksolvency.zkcore.models import new_salt as _new

    return _new()


def prove_epoch(
    ledger_dir: StrPath,
    market: StrPath,
    out: StrPath,
    *,
    config: str | None = None,
    params: dict[str, int] | None = None,
    build_dir: StrPath | None = None,
    workers: int | None = None,
    ray_address: str | None = None,
    prover: str | None = None,
    on_plan: Callable[[int, int], None] | None = None,
    on_outcome: Callable[[Outcome, int, int], None] | None = None,
) -> EpochReport:
    """Prove every statement of a ledger directory against the epoch's market (SPEC §7).

    In parallel on this machine (``workers`` provers, default from cores and memory), or on Ray
    with ``ray_address`` (``"auto"`` starts or joins a local instance). One bundle per account
    under ``out``; a rerun proves only what is missing or does not verify; a failed account is
    retried once and then listed in the report (``out/report.json``), never stopping the others.
    ``prover``: ``native`` (the default where it is built) or ``snarkjs``; every proof is verified
    before its bundle is written, and a native failure is proven with snarkjs (counted in the
    report's ``fallbacks``).
    """
    from zksolvency.prover.config import build_dir as default_build
    from zksolvency.prover.config import load_config
    from zksolvency.prover.epoch import prove_epoch as _prove_epoch

    build = Path(build_dir) if build_dir is not None else default_build()
    return _prove_epoch(
        ledger_dir,
        market,
        out,
        load_config(config, params),
        build,
        workers=workers,
        ray_address=ray_address,
        prover=prover,
        on_plan=on_plan,
        on_outcome=on_outcome,
    )


def chain(rpc: str | None = None, deployment: StrPath | None = None, *, build_dir: StrPath | None = None) -> Chain:
    """A client of the deployed contracts at ``rpc`` (default: the node of ``chain up``).

    The returned :class:`~zksolvency.onchain.client.Chain` holds the typed on-chain operations:
    ``deploy``, ``publish`` (oracle), ``enroll`` / ``enroll_ledger`` / ``enrolled`` /
    ``publish_ledger`` (venue), ``submit_proof`` (attest or flag), ``flag_stale``, ``resolve_flag``
    (liquidator), ``status``, ``ledger_root`` and the role helpers. ``build_dir`` is where the
    node record and the deployment file live (default ``.zksolvency/`` in the checkout, or ``$ZKSOLVENCY_BUILD``).
    """
    from zksolvency.onchain.client import Chain
    from zksolvency.onchain.deployment import resolve_rpc

    build = Path(build_dir) if build_dir is not None else None
    return Chain(resolve_rpc(rpc, build), Path(deployment) if deployment is not None else None, build)


def chain_up(*, port: int | None = None, build_dir: StrPath | None = None) -> NodeRecord:
    """Start a local anvil on a free loopback port (or ``port``) in the background and record it
    under ``build_dir``; a recorded node that still answers is returned as it is."""
    from zksolvency.onchain.deployment import node_up

    return node_up(Path(build_dir) if build_dir is not None else None, port)


def chain_down(*, build_dir: StrPath | None = None) -> tuple[bool, str | None]:
    """Stop the anvil :func:`chain_up` recorded: (whether it was running, its RPC URL, None when
    no node was recorded)."""
    from zksolvency.onchain.deployment import node_down

    return node_down(Path(build_dir) if build_dir is not None else None)


def deploy(
    *,
    config: str | None = None,
    params: dict[str, int] | None = None,
    grace: int = 3600,
    ledger_grace: int | None = None,
    venue: str | None = None,
    liquidator: str | None = None,
    admin: str | None = None,
    allow_insecure_key: bool = False,
    rpc: str | None = None,
    deployment: StrPath | None = None,
    build_dir: StrPath | None = None,
) -> tuple[Chain, Deployment]:
    """Compile and deploy the instance's verifiers, the oracle and the registry; returns the client
    and the deployment record. Refused before anything touches the node: an instance without
    keys (run :func:`setup`), a verifier that is not its key's, a key labelled insecure unless
    ``allow_insecure_key``, a role that is not an address."""
    from zksolvency.onchain import DEFAULT_LEDGER_GRACE
    from zksolvency.onchain.keys import deployable_key
    from zksolvency.prover.config import build_dir as default_build
    from zksolvency.prover.config import load_config
    from zksolvency.zkcore.address import ADDRESS_RE
    from zksolvency.zkcore.paths import default_config

    cfg = load_config(config, params)
    sol = (Path(build_dir) if build_dir is not None else default_build()) / cfg.name / "Groth16Verifier.sol"
    if not sol.is_file():
        hint = f"run `zksolvency setup --config {config or default_config()}` first"
        raise InputError(str(sol), None, f"no verifier for {cfg.name}: {hint}")
    deployable_key(sol, allow_insecure_key)  # refuse before touching the node
    roles: dict[str, str | None] = {}
    for name, who in (("venue", venue), ("liquidator", liquidator), ("admin", admin)):
        if who and not ADDRESS_RE.fullmatch(who):
            raise InputError(name, who, "expected a 20-byte hex address (0x + 40 hex digits)")
        roles[name] = who or None
    ch = chain(rpc, deployment, build_dir=build_dir)
    dep = ch.deploy(
        sol,
        cfg.name,
        grace,
        roles["liquidator"],
        venue=roles["venue"],
        admin=roles["admin"],
        allow_insecure_key=allow_insecure_key,
        ledger_grace=DEFAULT_LEDGER_GRACE if ledger_grace is None else ledger_grace,
    )
    return ch, dep


def publish_market(
    market: StrPath,
    *,
    sender: str | None = None,
    rpc: str | None = None,
    deployment: StrPath | None = None,
    build_dir: StrPath | None = None,
) -> tuple[TxResult, int, int]:
    """Oracle: publish a market file's epoch and root; returns (the transaction, epoch, root)."""
    from zksolvency.zkcore.commitment import market_root as root_of
    from zksolvency.zkcore.models import load_market as load

    m = load(market)
    root = root_of(m)
    return chain(rpc, deployment, build_dir=build_dir).publish(m.epoch, root, sender), m.epoch, root


def keeper(
    rpc: str | None = None,
    deployment: StrPath | None = None,
    *,
    build_dir: StrPath | None = None,
    sender: str | None = None,
    max_batch: int | None = None,
    log_range: int | None = None,
    status_chunk: int | None = None,
    metrics: KeeperMetrics | None = None,
    max_fee_per_gas: int | None = None,
    max_priority_fee: int | None = None,
    vault: str | None = None,
    token_price_eth: str | None = None,
    min_profit_eth: str = "0",
) -> Keeper:
    """A :class:`~zksolvency.onchain.keeper.Keeper` of the deployment at ``rpc`` (SPEC §8).

    ``keeper(...).tick()`` reads the chain at its latest block and flags every enrolled account
    past its grace period (in batches); it returns a
    :class:`~zksolvency.onchain.keeper.TickResult`. Raises
    :class:`~zksolvency.onchain.client.NodeUnavailable` when the node does not answer.
    ``max_batch``, ``log_range`` and ``status_chunk`` (accounts per ``flagStale``, blocks per
    ``eth_getLogs``, accounts per ``multicall``) default to the module's constants.
    ``max_fee_per_gas`` and ``max_priority_fee`` (wei per gas; default 100 gwei and 2 gwei) cap
    what it pays: above either, it sends nothing, logs it and counts it.

    With ``vault`` (a ``MarginVault`` on this deployment's registry) it also liquidates, each tick,
    every slice whose quoted bounty, at ``token_price_eth`` (ETH per whole token, a decimal
    string), covers the slice's estimated gas cost plus ``min_profit_eth`` (SPEC §10); it never
    raises its tip to win a slice. Bad values raise :class:`InputError` naming the parameter.
    """
    from zksolvency.onchain.keeper import DEFAULT_FEE_CAPS, LOG_RANGE, MAX_BATCH, STATUS_CHUNK, Keeper
    from zksolvency.onchain.liquidator import Profitability
    from zksolvency.onchain.tx import FeeCaps
    from zksolvency.onchain.vault import Vault

    ch = chain(rpc, deployment, build_dir=build_dir)
    watched, profit = None, None
    if vault is not None:
        if token_price_eth is None:
            raise InputError("token_price_eth", None, "required with a vault: ETH per whole token, e.g. 0.0004")
        price = _eth("token_price_eth", token_price_eth)
        if price == 0:
            raise InputError("token_price_eth", token_price_eth, "must be positive")
        watched = Vault.at(ch, vault)
        profit = Profitability(price, _eth("min_profit_eth", min_profit_eth), watched.token_info().decimals)
    caps = FeeCaps(
        max_fee_per_gas if max_fee_per_gas is not None else DEFAULT_FEE_CAPS.max_fee_per_gas,
        max_priority_fee if max_priority_fee is not None else DEFAULT_FEE_CAPS.max_priority_fee,
    )
    return Keeper(
        ch,
        sender=sender,
        max_batch=max_batch or MAX_BATCH,
        log_range=log_range or LOG_RANGE,
        status_chunk=status_chunk or STATUS_CHUNK,
        metrics=metrics,
        fee_caps=caps,
        vault=watched,
        profit=profit,
    )


def _eth(param: str, value: str) -> int:
    """A decimal string of ETH (at most 18 fractional digits: whole wei) -> wei."""
    from zksolvency.zkcore.fixedpoint import parse_decimal

    try:
        return parse_decimal(value, 18)
    except ValueError:
        raise InputError(param, value, "expected a decimal amount of ETH, at most 18 fractional digits (e.g. 0.0004)") from None


def run_keeper(
    rpc: str | None = None,
    deployment: StrPath | None = None,
    *,
    build_dir: StrPath | None = None,
    sender: str | None = None,
    interval: float = 12.0,
    metrics_port: int | None = None,
    metrics_addr: str = "127.0.0.1",
    max_batch: int | None = None,
    log_range: int | None = None,
    status_chunk: int | None = None,
    max_fee_per_gas: int | None = None,
    max_priority_fee: int | None = None,
    max_backoff: float = 60.0,
    once: bool = False,
    vault: str | None = None,
    token_price_eth: str | None = None,
    min_profit_eth: str = "0",
    stop: threading.Event | None = None,
    on_tick: Callable[[TickResult], None] | None = None,
) -> None:
    """Run the keeper daemon until ``stop`` is set (or for one tick with ``once``).

    Waits for the node with exponential backoff (at start and whenever it goes away), serves
    Prometheus metrics on ``metrics_port`` when given, and logs one line per action through the
    ``zksolvency.keeper`` logger. Nothing is kept locally: a restarted keeper resumes from the chain.
    The fee caps, and liquidating a ``vault`` at ``token_price_eth`` for ``min_profit_eth``, are
    those of :func:`keeper`.
    """
    import threading

    from zksolvency.onchain.keeper import KeeperMetrics, connect

    stop = stop if stop is not None else threading.Event()
    metrics = KeeperMetrics()
    if metrics_port is not None:
        metrics.serve(metrics_port, metrics_addr)

    def make() -> Keeper:
        return keeper(
            rpc,
            deployment,
            build_dir=build_dir,
            sender=sender,
            max_batch=max_batch,
            log_range=log_range,
            status_chunk=status_chunk,
            metrics=metrics,
            max_fee_per_gas=max_fee_per_gas,
            max_priority_fee=max_priority_fee,
            vault=vault,
            token_price_eth=token_price_eth,
            min_profit_eth=min_profit_eth,
        )

    if once:  # a cron job: one try, and a node that does not answer is an error, not a wait
        res = make().tick()
        if on_tick is not None:
            on_tick(res)
        return
    k = connect(make, stop, interval=min(interval, max_backoff), max_backoff=max_backoff)
    if k is None:
        return
    k.run(interval, stop, max_backoff=max_backoff, on_tick=on_tick)


# ------------------------------------------------------------ the example protocol's vault (SPEC §10)


def _check_address(param: str, value: str | None) -> None:
    """An address given as ``param`` must be 0x + 40 hex digits (an InputError naming it)."""
    from zksolvency.zkcore.address import ADDRESS_RE

    if value is not None and not ADDRESS_RE.fullmatch(value):
        raise InputError(param, value, "expected a 20-byte hex address (0x + 40 hex digits)")


def _attach(
    client: Vault | None,
    address: str | None,
    rpc: str | None,
    deployment: StrPath | None,
    build_dir: StrPath | None,
) -> Vault:
    from zksolvency.onchain.vault import Vault

    if client is not None:
        return client
    _check_address("vault", address)
    ch = chain(rpc, deployment, build_dir=build_dir)
    return Vault.at(ch, address) if address is not None else Vault.from_deployment(ch)


def vault(
    rpc: str | None = None,
    deployment: StrPath | None = None,
    *,
    build_dir: StrPath | None = None,
    address: str | None = None,
) -> Vault:
    """A client of the example margin vault (SPEC §10): the one :func:`vault_deploy` recorded in the
    deployment file, or the ``MarginVault`` at ``address`` (its fund and token read from it).

    The ``vault_*`` functions below take such a client as ``client`` (one connection for several
    calls), or ``rpc``, ``deployment``, ``build_dir`` and ``vault`` (an address) to attach one."""
    return _attach(None, address, rpc, deployment, build_dir)


def vault_deploy(
    *,
    token: str | None = None,
    min_bounty: str | None = None,
    max_bounty_bps: int | None = None,
    auction_duration: int | None = None,
    penalty_bps: int | None = None,
    slice_bps: int | None = None,
    cooldown: int | None = None,
    cure_window: int | None = None,
    admin: str | None = None,
    venue: str | None = None,
    liquidator: str | None = None,
    guardian: str | None = None,
    sender: str | None = None,
    rpc: str | None = None,
    deployment: StrPath | None = None,
    build_dir: StrPath | None = None,
) -> VaultDeployment:
    """Deploy the example protocol on the registry of the deployment file: the example token
    (``ExampleUSD``, 6 decimals, one billion to the deployer) unless ``token`` names an ERC-20 on
    the chain, an ``InsuranceFund`` and a ``MarginVault``; grant the vault the fund's
    ``VAULT_ROLE``; record the vault, fund and token (addresses and ABIs) in the deployment file,
    atomically (a vault recorded before is replaced).

    The policy (unset fields: :class:`~zksolvency.onchain.vault.VaultParams`'s defaults):
    ``min_bounty`` a decimal string of whole tokens (default 10), ``max_bounty_bps``,
    ``auction_duration`` and ``cooldown`` and ``cure_window`` in seconds, ``penalty_bps``,
    ``slice_bps``. Roles (:func:`~zksolvency.onchain.vault.deploy_example_vault`): ``admin``
    (default the sender), ``venue`` and ``liquidator`` (default the registry's venue and
    liquidator), ``guardian`` (default the admin). Everything is checked before anything is sent:
    the contract's policy bounds, the addresses, the amount, that ``token`` is an ERC-20 with
    ``decimals()``; each refusal is an :class:`InputError` naming its parameter."""
    from zksolvency.onchain.vault import EXAMPLE_DECIMALS, VaultParams, deploy_example_vault, parse_amount, record_vault

    for name, who in (("token", token), ("admin", admin), ("venue", venue), ("liquidator", liquidator), ("guardian", guardian)):
        _check_address(name, who)
    _check_address("sender", sender)
    ints = {
        "max_bounty_bps": max_bounty_bps,
        "auction_duration": auction_duration,
        "penalty_bps": penalty_bps,
        "slice_bps": slice_bps,
        "cooldown": cooldown,
        "cure_window": cure_window,
    }
    given = {k: v for k, v in ints.items() if v is not None}
    VaultParams.checked(min_bounty=0, **given)  # the bounds, before connecting to anything
    ch = chain(rpc, deployment, build_dir=build_dir)
    if "registry" not in ch.deployment:  # a deployment file of this chain (else an InputError) with a registry
        raise InputError(str(ch.deployment_file), "registry", "missing: run `zksolvency chain deploy` first")
    decimals = EXAMPLE_DECIMALS if token is None else _token_decimals(ch, token)
    bounty = parse_amount(min_bounty, decimals, "min_bounty") if min_bounty is not None else 10 * 10**decimals
    params = VaultParams.checked(min_bounty=bounty, **given)
    deployer = sender or ch.default_sender()
    if admin is not None and not ch.is_anvil and admin.lower() != deployer.lower():
        raise InputError("admin", admin, "must be the sender off a local anvil: it grants the vault the fund's VAULT_ROLE")
    deployed = deploy_example_vault(
        ch, params, token=token, venue=venue, admin=admin, liquidator=liquidator, guardian=guardian, sender=deployer
    )
    record_vault(ch, deployed)
    return deployed


def _token_decimals(ch: Chain, token: str) -> int:
    """``decimals()`` of the ERC-20 at ``token``; an InputError naming ``token`` if it has none."""
    from web3 import Web3
    from web3.exceptions import Web3Exception
    from zksolvency.onchain.deployment import chain_dir
    from zksolvency.onchain.vault import vault_contracts

    addr = Web3.to_checksum_address(token)
    if not ch.w3.eth.get_code(addr):
        raise InputError("token", token, "no contract at this address")
    abi = vault_contracts(chain_dir(ch.build) / "solc-cache")["IERC20Metadata"].abi
    try:
        return int(ch.w3.eth.contract(address=addr, abi=abi).functions.decimals().call())
    except Web3Exception:
        raise InputError("token", token, "is not an ERC-20 with decimals()") from None


def vault_mint(
    amount: str,
    to: str,
    *,
    vault: str | None = None,
    client: Vault | None = None,
    rpc: str | None = None,
    deployment: StrPath | None = None,
    build_dir: StrPath | None = None,
) -> AmountResult:
    """Hand out the example token: a transfer of ``amount`` (a decimal string of whole tokens) to
    ``to`` from the deployer who holds its supply. Only for the example token :func:`vault_deploy`
    deployed: a vault deployed with ``token`` (or a ``vault`` whose token is not the recorded
    example token) is refused, an :class:`InputError` naming ``token``."""
    _check_address("to", to)
    v = _attach(client, vault, rpc, deployment, build_dir)
    dep = v.chain.deployment
    rec = dep.get("vault_deployment")
    if not isinstance(rec, dict) or not rec.get("example_token"):
        recorded = dep.get("token", "none recorded")
        msg = "the vault was deployed with --token, not with the example token: only the example token is minted here"
        raise InputError("token", str(recorded), msg)
    if v.addresses.token.lower() != str(dep["token"]).lower():
        raise InputError("token", v.addresses.token, f"is not the example token of the deployment ({dep['token']})")
    units = v.token_info().units(amount)
    return v.transfer(str(rec["deployer"]), to, units)


def vault_deposit(
    amount: str,
    *,
    sender: str,
    vault: str | None = None,
    client: Vault | None = None,
    rpc: str | None = None,
    deployment: StrPath | None = None,
    build_dir: StrPath | None = None,
) -> DepositResult:
    """``sender`` deposits ``amount`` (a decimal string of whole tokens), approving the vault for
    exactly that amount first unless that is its allowance already
    (:meth:`~zksolvency.onchain.vault.Vault.deposit_exact`). The result's ``amount`` is what the
    vault credited."""
    _check_address("sender", sender)
    v = _attach(client, vault, rpc, deployment, build_dir)
    return v.deposit_exact(sender, v.token_info().units(amount))


def vault_withdraw(
    amount: str,
    *,
    sender: str,
    vault: str | None = None,
    client: Vault | None = None,
    rpc: str | None = None,
    deployment: StrPath | None = None,
    build_dir: StrPath | None = None,
) -> AmountResult:
    """``sender`` withdraws ``amount`` (a decimal string of whole tokens) of its deposit: only
    while the registry attests it solvent at the latest epoch and no liquidation of it continues
    (a refusal is a :class:`~zksolvency.onchain.tx.ChainError` naming the vault's error)."""
    from web3 import Web3
    from zksolvency.onchain.vault import AmountResult

    _check_address("sender", sender)
    v = _attach(client, vault, rpc, deployment, build_dir)
    units = v.token_info().units(amount)
    res = v.withdraw(sender, units)
    return AmountResult(res.tx_hash, res.gas_used, res.block, Web3.to_checksum_address(sender), units)


def vault_quote(
    account: str,
    *,
    vault: str | None = None,
    client: Vault | None = None,
    rpc: str | None = None,
    deployment: StrPath | None = None,
    build_dir: StrPath | None = None,
) -> LiquidationQuote:
    """``liquidationQuote(account)`` against the pending block: exactly what a ``liquidate`` sent
    now and mined in the next block does (amounts in token units, 0 when not liquidatable)."""
    _check_address("account", account)
    return _attach(client, vault, rpc, deployment, build_dir).quote(account)


def vault_liquidate(
    account: str,
    *,
    sender: str | None = None,
    vault: str | None = None,
    client: Vault | None = None,
    rpc: str | None = None,
    deployment: StrPath | None = None,
    build_dir: StrPath | None = None,
    min_bounty: str | None = None,
) -> LiquidationResult:
    """Take the next slice of ``account``'s deposit; the bounty goes to ``sender`` (default: the
    chain's default sender). ``min_bounty`` (a decimal string of whole tokens): through
    ``liquidateAtLeast``, refused unless the bounty in the block that mines it is at least that. A
    refusal names the vault's error (``NotLiquidatableYet(from=…)``, ``BountyBelowMinimum``, …)."""
    _check_address("account", account)
    _check_address("sender", sender)
    v = _attach(client, vault, rpc, deployment, build_dir)
    floor = None if min_bounty is None else v.token_info().units(min_bounty, "min_bounty")
    return v.liquidate(account, sender, min_bounty=floor)


def vault_status(
    account: str,
    *,
    vault: str | None = None,
    client: Vault | None = None,
    rpc: str | None = None,
    deployment: StrPath | None = None,
    build_dir: StrPath | None = None,
) -> VaultStatus:
    """``status(account)`` at the latest block: deposit, held, the registry's flag, the liquidation
    of that flag (basis, slices taken, last slice) and when the next slice is liquidatable."""
    _check_address("account", account)
    return _attach(client, vault, rpc, deployment, build_dir).status(account)


def vault_release(
    account: str,
    to: str,
    amount: str,
    *,
    sender: str | None = None,
    vault: str | None = None,
    client: Vault | None = None,
    rpc: str | None = None,
    deployment: StrPath | None = None,
    build_dir: StrPath | None = None,
) -> ReleaseResult:
    """The venue's liquidator (``sender``, holding the vault's ``LIQUIDATOR_ROLE``) pays ``amount``
    (a decimal string of whole tokens) held from ``account``'s liquidation out to ``to``."""
    from web3 import Web3
    from zksolvency.onchain.vault import ReleaseResult

    for name, a in (("account", account), ("to", to), ("sender", sender)):
        _check_address(name, a)
    v = _attach(client, vault, rpc, deployment, build_dir)
    units = v.token_info().units(amount)
    res = v.release(account, to, units, sender)
    acc, dest = Web3.to_checksum_address(account), Web3.to_checksum_address(to)
    return ReleaseResult(res.tx_hash, res.gas_used, res.block, acc, units, dest)


def vault_report_shortfall(
    account: str,
    amount: str,
    *,
    sender: str | None = None,
    vault: str | None = None,
    client: Vault | None = None,
    rpc: str | None = None,
    deployment: StrPath | None = None,
    build_dir: StrPath | None = None,
) -> ShortfallResult:
    """The venue's liquidator (``sender``) reports what the settled insolvent ``account`` still owes,
    ``amount`` (a decimal string of whole tokens): the insurance fund pays it to the venue up to
    its balance (``covered``), the rest is socialised loss."""
    for name, a in (("account", account), ("sender", sender)):
        _check_address(name, a)
    v = _attach(client, vault, rpc, deployment, build_dir)
    return v.report_shortfall(account, v.token_info().units(amount), sender)
