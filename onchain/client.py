"""The registry client: deploy, publish, enroll, publish ledgers, attest, flag and read status.

Talks to any endpoint (web3.py). Transactions are sent from an unlocked account of the node
(anvil's dev accounts), from an account anvil impersonates, or signed locally with the key in
``$ZKSOLVENCY_PRIVATE_KEY``. Reverts come back as the registry's custom error names.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_typing import ChecksumAddress, HexStr
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError, TimeExhausted, Web3Exception, Web3RPCError
from web3.logs import DISCARD
from web3.types import RPCEndpoint
from zksolvency.onchain import DEFAULT_LEDGER_GRACE
from zksolvency.onchain.deployment import (
    Deployment,
    DeploymentRoles,
    chain_dir,
    deployment_path,
    read_deployment,
    write_deployment,
)
from zksolvency.onchain.keys import deployable_key, ledger_capacity
from zksolvency.onchain.results import (
    AccountStatus,
    EnrollResult,
    FlagRun,
    FlagStaleResult,
    ProofTx,
    PublicLedger,
)
from zksolvency.onchain.solc import Compiled, compile_contracts
from zksolvency.onchain.tx import (
    ChainError,
    FeeCapExceeded,
    FeeCaps,
    Fees,
    Flag,
    NodeUnavailable,
    NotSent,
    Reverted,
    TxResult,
    error_table,
    explain_revert,
    proof_calldata,
)
from zksolvency.zkcore.errors import InputError
from zksolvency.zkcore.ledger import StatementCheck
from zksolvency.zkcore.paths import build_dir

if TYPE_CHECKING:
    from zksolvency.onchain.batch import BatchRun
    from zksolvency.verifier.verify import TrustedKeys
    from zksolvency.zkcore.ledger import Statement
    from zksolvency.zkcore.models import Account


def _claims_solvent(raw: dict[str, Any]) -> bool:
    signals = raw.get("public_signals")
    return isinstance(signals, list) and bool(signals) and signals[0] == "1"


#: Stand-ins for the registry's verifier and oracle in the constructor's pre-check (it only
#: stores them).
_PLACEHOLDERS = ("0x" + "00" * 19 + "01",) * 3


class Chain:
    """A connection to one node and, once deployed, the zksolvency contracts on it."""

    def __init__(self, rpc: str, deployment: Path | None = None, build: Path | None = None) -> None:
        self.rpc = rpc
        self.build = build
        self.w3 = Web3(Web3.HTTPProvider(rpc, request_kwargs={"timeout": 60}))
        if not self.w3.is_connected():
            raise NodeUnavailable(f"no JSON-RPC node answers at {rpc}")
        self.deployment_file = deployment or deployment_path(build)
        self._deployment: Deployment | None = None
        self._compiled: dict[str, Compiled] | None = None
        self._key = os.environ.get("ZKSOLVENCY_PRIVATE_KEY")
        self._extra_abis: list[list[dict[str, Any]]] = []

    # ------------------------------------------------------------ plumbing

    @functools.cached_property
    def is_anvil(self) -> bool:
        """True on a local anvil (impersonation and time travel available); asked once."""
        return "anvil" in str(self.w3.client_version).lower()

    def default_sender(self) -> str:
        """The signing key's address, else the node's first unlocked account."""
        if self._key:
            return str(self.w3.eth.account.from_key(self._key).address)
        accounts = self.w3.eth.accounts
        if not accounts:
            raise ChainError("the node has no unlocked account: set ZKSOLVENCY_PRIVATE_KEY")
        return str(accounts[0])

    def _ensure_sender(self, sender: str) -> ChecksumAddress:
        sender = Web3.to_checksum_address(sender)
        if self._key and self.w3.eth.account.from_key(self._key).address == sender:
            return sender
        if self.is_anvil:  # a dev chain: act as any address, with gas money
            if sender not in self.w3.eth.accounts:
                self.w3.provider.make_request("anvil_impersonateAccount", [sender])  # type: ignore[arg-type]
            # checked every time: an impersonated address stays listed in eth_accounts after an
            # evm_revert that takes its balance back
            if self.w3.eth.get_balance(sender) < 10**18:
                self.w3.provider.make_request("anvil_setBalance", [sender, hex(10**20)])  # type: ignore[arg-type]
            return sender
        if sender in self.w3.eth.accounts:
            return sender
        raise ChainError(f"cannot send from {sender}: it is not unlocked on the node and ZKSOLVENCY_PRIVATE_KEY is not its key")

    @property
    def compiled(self) -> dict[str, Compiled]:
        """Compiled contracts (the verifier of the deployment's circuit)."""
        if self._compiled is None:
            raise ChainError("contracts not compiled: deploy first")
        return self._compiled

    def add_abi(self, abi: list[dict[str, Any]]) -> None:
        """Also name the custom errors of another contract's ABI in reverts (a protocol's own)."""
        self._extra_abis.append(abi)

    def _errors(self) -> dict[str, tuple[str, list[str], list[str]]]:
        abis = [c.abi for c in self._compiled.values()] if self._compiled else []
        if self._deployment:  # also beside contracts added with add_compiled
            abis += [self._deployment["abi"][k] for k in ("registry", "oracle")]
        return error_table([*abis, *self._extra_abis])

    def add_compiled(self, extra: dict[str, Compiled]) -> None:
        """Make more compiled contracts (an example protocol's, test-only ones) deployable with
        ``deploy_contract`` and their custom errors readable in ``send``'s refusals."""
        self._compiled = {**(self._compiled or {}), **extra}

    def _explain(self, e: ContractLogicError) -> ChainError:
        data = e.data if isinstance(e.data, str) else ""
        name = explain_revert(data, self._errors()) if data else None
        return ChainError(f"reverted: {name}" if name else f"reverted: {e.message or e}")

    def _mined_revert(self, tx_hash: Any) -> str | None:
        """The custom error a mined transaction reverted with (``Name(arg=value, …)``), from the
        node's ``debug_traceTransaction`` (anvil and geth have it): a transaction mined behind
        another that changed the state since its estimate reverts on chain, and an ``eth_call``
        replay cannot see the state it met. None when the node has no tracer or the data is unknown."""
        try:
            resp = self.w3.provider.make_request(
                RPCEndpoint("debug_traceTransaction"), ["0x" + bytes(tx_hash).hex(), {"tracer": "callTracer"}]
            )
        except (Web3Exception, OSError, ValueError):  # a dropped connection: the plain "failed" stands
            return None
        result = resp.get("result") if isinstance(resp, dict) else None
        data = result.get("output") if isinstance(result, dict) else None
        return explain_revert(data, self._errors()) if isinstance(data, str) and len(data) >= 10 else None

    def fees_within(self, caps: FeeCaps) -> Fees:
        """The fees to send with now, from the node's prices checked against ``caps``: the node's
        suggested tip lowered to ``caps.max_priority_fee``, and a fee cap of twice the next block's
        base fee plus that tip (what web3 would pick), lowered to ``caps.max_fee_per_gas``. A tip
        suggestion above the cap does not hold the sender back (one high-tip transaction per block
        lifts a node's suggestion for almost nothing); ``Fees.suggested_tip`` keeps it for the log.
        Raises :class:`FeeCapExceeded` when base fee plus tip is above ``caps.max_fee_per_gas``:
        nothing should be sent then."""
        block = self.w3.eth.get_block("pending")
        base = int(block.get("baseFeePerGas") or 0)
        suggested = int(self.w3.eth.max_priority_fee)
        tip = min(suggested, caps.max_priority_fee)
        gwei = 10**9
        if base + tip > caps.max_fee_per_gas:
            raise FeeCapExceeded(
                f"base fee {base / gwei:g} gwei + priority fee {tip / gwei:g} gwei is above the cap of"
                f" {caps.max_fee_per_gas / gwei:g} gwei per gas"
            )
        return Fees(min(caps.max_fee_per_gas, 2 * base + tip), tip, suggested)

    def send(self, fn: Any, sender: str | None = None, value: int = 0, fees: Fees | None = None) -> TxResult:
        """Estimate, send and wait for a contract call; a revert becomes its custom error name.

        ``fees``: explicit EIP-1559 fee fields (else web3 asks the node)."""
        frm = self._ensure_sender(sender or self.default_sender())
        priced = fees.as_tx() if fees else {}
        try:
            # against the block the transaction will land in (its timestamp decides grace periods),
            # at the fees it is sent with: code may behave otherwise at a gas price of zero
            gas = fn.estimate_gas({"from": frm, "value": value, **priced}, block_identifier="pending")
            tx = {"from": frm, "gas": int(gas * 1.2) + 10_000, "value": value, **priced}
            if self._key and self.w3.eth.account.from_key(self._key).address == frm:
                built = fn.build_transaction({**tx, "nonce": self.w3.eth.get_transaction_count(frm)})
                signed = self.w3.eth.account.sign_transaction(built, self._key)
                h = self.w3.eth.send_raw_transaction(signed.raw_transaction)
            else:
                h = fn.transact(tx)
        except ContractLogicError as e:
            raise NotSent(str(self._explain(e))) from None
        except Web3RPCError as e:  # refused by the node (funds, nonce, a limit): not a revert
            raise NotSent(f"the node refused the transaction: {e}") from None
        try:
            receipt = self.w3.eth.wait_for_transaction_receipt(h, timeout=120)
        except TimeExhausted:
            raise ChainError(f"transaction 0x{bytes(h).hex()} not mined within 120 s") from None
        if receipt["status"] != 1:
            name = self._mined_revert(h)
            tx_hash = "0x" + bytes(h).hex()
            used = int(receipt["gasUsed"])
            raise Reverted(
                f"transaction {h.hex()} reverted: {name}" if name else f"transaction {h.hex()} failed",
                tx_hash,
                used,
                used * int(receipt.get("effectiveGasPrice") or 0),
                name.split("(", 1)[0] if name else None,
            )
        return TxResult(
            HexStr("0x" + bytes(receipt["transactionHash"]).hex().removeprefix("0x")),
            int(receipt["gasUsed"]),
            int(receipt["blockNumber"]),
        )

    def _precheck_constructor(self, name: str, *args: Any) -> None:
        """Run a contract's constructor in an ``eth_call``: a refusal (its custom error) is raised
        before any transaction of a multi-contract deployment is sent."""
        c = self.compiled[name]
        tx = (
            self.w3.eth.contract(abi=c.abi, bytecode=c.bytecode)
            .constructor(*args)
            .build_transaction({"from": self.default_sender(), "gas": 30_000_000})
        )
        try:
            self.w3.eth.call({"from": tx["from"], "data": tx["data"]})
        except ContractLogicError as e:
            raise self._explain(e) from None

    def deploy_contract(self, name: str, *args: Any, sender: str | None = None) -> tuple[str, TxResult]:
        """Deploy one compiled contract; returns (address, tx)."""
        c = self.compiled[name]
        factory = self.w3.eth.contract(abi=c.abi, bytecode=c.bytecode)
        res = self.send(factory.constructor(*args), sender)
        receipt = self.w3.eth.get_transaction_receipt(res.tx_hash)
        return str(receipt["contractAddress"]), res

    # ------------------------------------------------------------ deployment

    def deploy(
        self,
        verifier_sol: Path,
        circuit: str,
        grace_period: int,
        liquidator: str | None = None,
        *,
        venue: str | None = None,
        admin: str | None = None,
        publisher: str | None = None,
        allow_insecure_key: bool = False,
        capacity: int | None = None,
        ledger_grace: int = DEFAULT_LEDGER_GRACE,
    ) -> Deployment:
        """Compile and deploy verifier, oracle and registry; write the deployment file.

        Roles default to the deployer: ``admin`` (grants roles on both contracts), ``publisher``
        (oracle epochs), ``venue`` (enrollment and ledger roots), ``liquidator`` (resolves flags).
        The verifier's key (``verification_key.json`` beside ``verifier_sol``) must carry an
        accepted trust label; ``allow_insecure_key`` deploys a beacon-only or unknown one anyway.
        ``capacity``: how many accounts the registry may enroll; by default 2^LD of the circuit the
        key records (a proof cannot open an index beyond it). ``ledger_grace``: seconds the venue
        has after each market publication to publish that epoch's ledger (the grace clock of
        ``ISolvencyRegistry``). The registry's constructor refuses grace periods outside its
        bounds; that is checked with an ``eth_call`` of it before anything is deployed, and an
        InputError names the parameter.
        """
        key = deployable_key(verifier_sol, allow_insecure_key)
        capacity = capacity if capacity is not None else ledger_capacity(verifier_sol.parent / "verification_key.json")
        self._compiled = compile_contracts(verifier_sol, chain_dir(self.build) / "solc-cache")
        deployer = self.default_sender()
        roles: DeploymentRoles = {
            "admin": admin or deployer,
            "publisher": publisher or deployer,
            "venue": venue or deployer,
            "liquidator": liquidator or deployer,
        }
        registry_args = (grace_period, ledger_grace, capacity, roles["admin"], roles["venue"], roles["liquidator"])
        try:
            self._precheck_constructor("SolvencyRegistry", *_PLACEHOLDERS, *registry_args)
        except ChainError as e:
            for error, param in (("GracePeriodOutOfRange", "grace_period"), ("LedgerGraceOutOfRange", "ledger_grace")):
                if error in str(e):
                    raise InputError(param, None, f"refused by the registry: {e}") from None
            raise
        verifier, t1 = self.deploy_contract("Groth16Verifier")
        batch_verifier, t4 = self.deploy_contract("Groth16BatchVerifier")
        oracle, t2 = self.deploy_contract("MarginOracle", roles["admin"], roles["publisher"])
        registry, t3 = self.deploy_contract("SolvencyRegistry", verifier, batch_verifier, oracle, *registry_args)
        dep: Deployment = {
            "rpc": self.rpc,
            "chain_id": self.w3.eth.chain_id,
            "circuit": circuit,
            "verifier": Web3.to_checksum_address(verifier),
            "batch_verifier": Web3.to_checksum_address(batch_verifier),
            "oracle": Web3.to_checksum_address(oracle),
            "registry": Web3.to_checksum_address(registry),
            "deploy_block": t3.block,
            "grace_period": grace_period,
            "ledger_grace": ledger_grace,
            "capacity": capacity,
            "vkey_sha256": key.digest,
            "key_trust": key.trust.value,
            "allow_insecure_key": allow_insecure_key,
            "deployer": deployer,
            "roles": roles,
            "gas_used": {
                "verifier": t1.gas_used,
                "batch_verifier": t4.gas_used,
                "oracle": t2.gas_used,
                "registry": t3.gas_used,
            },
            "abi": {
                "registry": self.compiled["SolvencyRegistry"].abi,
                "oracle": self.compiled["MarginOracle"].abi,
                "verifier": self.compiled["Groth16Verifier"].abi,
                "batch_verifier": self.compiled["Groth16BatchVerifier"].abi,
            },
        }
        write_deployment(self.deployment_file, dep)
        self._deployment = dep
        return dep

    @property
    def deployment(self) -> Deployment:
        """The deployment record (the deployment file's content)."""
        if self._deployment is None:
            if not self.deployment_file.is_file():
                raise InputError(str(self.deployment_file), None, "no deployment: run `zksolvency chain deploy` first")
            data = read_deployment(self.deployment_file)
            if data.get("chain_id") != self.w3.eth.chain_id:
                raise ChainError(
                    f"{self.deployment_file} is for chain {data.get('chain_id')}, the node is chain {self.w3.eth.chain_id}"
                )
            self._deployment = data
        return self._deployment

    def verification_key(self) -> TrustedKeys:
        """The key the DEPLOYED verifier was made from (never one a bundle names), for pre-checks."""
        from zksolvency.verifier.verify import TrustedKeys, load_key

        dep = self.deployment
        circuit = dep.get("circuit")
        if not isinstance(circuit, str) or "/" in circuit or circuit.startswith("."):
            raise InputError(str(self.deployment_file), "circuit", "not an instance name")
        path = (self.build if self.build is not None else build_dir()) / circuit / "verification_key.json"
        recorded = dep.get("vkey_sha256")
        if recorded is not None and load_key(path).digest != recorded:
            raise InputError(str(path), None, f"is not the key of the deployed verifier (vkey sha256 {str(recorded)[:16]}...)")
        return TrustedKeys(files=(path,), allow_insecure=bool(dep.get("allow_insecure_key", False)))

    def contract(self, name: str) -> Contract:
        """A deployed contract (registry, oracle or verifier, or one recorded beside them), by its
        name in the deployment record."""
        dep: Mapping[str, Any] = self.deployment
        contract: Contract = self.w3.eth.contract(address=dep[name], abi=dep["abi"][name])
        return contract

    # ------------------------------------------------------------ oracle and venue

    def publish(self, epoch: int, root: int, sender: str | None = None) -> TxResult:
        """Oracle: publish (epoch, marketRoot)."""
        return self.send(self.contract("oracle").functions.publish(epoch, root), sender)

    def latest_epoch(self) -> int | None:
        """The oracle's latest epoch (None before the first publication)."""
        epoch, _root, _at, seq = self.contract("oracle").functions.latest().call()
        return int(epoch) if seq else None

    def enroll(self, accounts: Sequence[str], sender: str | None = None) -> EnrollResult:
        """Registry (venue): enroll accounts in order; returns the indices they got."""
        addrs = [Web3.to_checksum_address(a) for a in accounts]
        reg = self.contract("registry")
        res = self.send(reg.functions.enroll(addrs), sender)
        receipt = self.w3.eth.get_transaction_receipt(res.tx_hash)
        events = reg.events.Enrolled().process_receipt(receipt)
        indices = {str(e["args"]["account"]): int(e["args"]["index"]) for e in events}
        return EnrollResult(res.tx_hash, res.gas_used, res.block, indices)

    def enrolled(self) -> dict[str, int]:
        """Every enrolled account (checksum address) with its index, in index order."""
        reg = self.contract("registry").functions
        count = int(reg.enrolledCount().call())
        return {str(reg.accountAt(i).call()): i for i in range(count)}

    def enroll_ledger(self, ledger: PublicLedger, sender: str | None = None) -> EnrollResult | None:
        """Enroll the ledger's accounts that are not enrolled yet, so that every account gets
        exactly the index the ledger gives it; None when all of them already are.

        Checked before anything is sent: an account enrolled at another index, or indices that
        enrollment in order cannot give (a gap, or one already taken), are an InputError.
        """
        onchain = self.enrolled()
        taken = {i: a for a, i in onchain.items()}
        new = sorted(((i, a) for a, i in ledger.accounts.items() if a not in onchain), key=lambda x: x[0])
        for a, i in ledger.accounts.items():
            if a in onchain and onchain[a] != i:
                msg = f"{a} is enrolled at index {onchain[a]}, the ledger puts it at {i}"
                raise InputError(str(ledger.path), "accounts", msg)
        for k, (i, a) in enumerate(new):
            want = len(onchain) + k
            if i != want:
                owner = f" (taken by {taken[i]})" if i in taken else ""
                raise InputError(
                    str(ledger.path), "accounts", f"{a} has index {i}{owner}, but enrolling it now gives index {want}"
                )
        if not new:
            return None
        return self.enroll([a for _, a in new], sender)

    def publish_ledger_file(self, ledger: PublicLedger, sender: str | None = None) -> TxResult:
        """Publish a ``ledger.json``'s root, after checking its epoch is the oracle's latest."""
        latest = self.latest_epoch()
        if latest is None:
            raise ChainError("the oracle has published no epoch yet: run `zksolvency chain publish MARKET` first")
        if ledger.epoch != latest:
            raise InputError(str(ledger.path), "epoch", f"{ledger.epoch} is not the oracle's latest epoch ({latest})")
        return self.publish_ledger(ledger.epoch, ledger.root, sender)

    def publish_ledger(self, epoch: int, root: int, sender: str | None = None) -> TxResult:
        """Registry (venue): publish the ledger root of the oracle's latest epoch."""
        return self.send(self.contract("registry").functions.publishLedger(epoch, root), sender)

    def ledger_root(self, epoch: int) -> int | None:
        """The ledger root the venue published for ``epoch`` (None when unpublished)."""
        root = int(self.contract("registry").functions.ledgerRootOf(epoch).call())
        return root or None

    def published_market_root(self, epoch: int) -> int | None:
        """The market root the oracle published for ``epoch`` (None when unpublished)."""
        root, at = self.contract("oracle").functions.publication(epoch).call()
        return int(root) if int(at) else None

    def enrolled_index(self, account: str) -> int | None:
        """The index the registry enrolled ``account`` at (None when not enrolled)."""
        st = AccountStatus.from_view(
            account, self.contract("registry").functions.status(Web3.to_checksum_address(account)).call()
        )
        return st.index

    def ledger_overdue(self) -> bool:
        """Whether the venue's ledger of the oracle's latest epoch is overdue (``ledgerOverdue``)."""
        return bool(self.contract("registry").functions.ledgerOverdue().call())

    def note_ledger_overdue(self, sender: str | None = None) -> TxResult:
        """Registry (anyone): announce an overdue ledger (``LedgerOverdue``, once per epoch)."""
        return self.send(self.contract("registry").functions.noteLedgerOverdue(), sender)

    def check_statement(self, statement: Statement, own_book: Account | None = None) -> StatementCheck:
        """The trader's check (SPEC §3) against the chain: the statement is for the oracle's latest
        epoch, the ledger root the venue published for it, and the index the registry enrolled the
        statement's account at.

        Problems (no root published, another enrolled index, a book or path that does not lead to
        the root, another book than ``own_book``) come back in the check, never as exceptions.
        """
        from zksolvency.zkcore.ledger import verify_statement

        problems = []
        st = self.status(statement.address)
        latest = st["latest_epoch"]
        if latest is None:
            problems.append("the oracle has published no epoch yet")
        elif statement.epoch != latest:
            # an old statement proves only what the venue committed to then: the check is about the
            # book the registry binds proofs to NOW (a venue could hand out last epoch's statement)
            problems.append(
                f"the statement is for epoch {statement.epoch}, the oracle's latest epoch is {latest}:"
                " ask the venue for the current statement (check an old one with --ledger)"
            )
        if not st["enrolled"]:
            problems.append(f"{statement.address} is not enrolled in the registry")
        elif st["index"] != statement.index:
            problems.append(
                f"the registry enrolled {statement.address} at index {st['index']}, the statement is for index {statement.index}"
            )
        root = self.ledger_root(statement.epoch)
        if root is None:
            msg = f"the venue has published no ledger root on chain for epoch {statement.epoch}"
            return StatementCheck(statement.address, statement.index, statement.epoch, 0, (*problems, msg))
        check = verify_statement(statement, root, epoch=statement.epoch, own_book=own_book)
        return dataclasses.replace(check, problems=(*problems, *check.problems))

    # ------------------------------------------------------------ proofs and flags

    def _read_verified(self, path: Path, precheck: bool) -> tuple[dict[str, Any], bool]:
        """A bundle's JSON and its verdict: verified in Python against the DEPLOYED verifier's key
        (never a key the bundle names) with ``precheck``, else as its first public signal says."""
        from zksolvency.verifier.groth16 import InvalidProof, verify_fast
        from zksolvency.verifier.verify import check_claims, load_bundle, read_bundle

        if not precheck:
            raw = read_bundle(path)
            return raw, _claims_solvent(raw)
        b = load_bundle(path, self.verification_key())
        v = check_claims(b)
        if not verify_fast(b.key, b.proof, b.signals):
            raise InvalidProof(f"{path}: the proof does not verify against its public signals")
        return b.raw, v.solvent

    def _proof_tx(self, kind: str, raw: dict[str, Any], sender: str | None) -> ProofTx:
        res = self.submit_proof(kind, raw, sender)
        account = str(Web3.to_checksum_address(raw["claims"]["account"]))
        return ProofTx(res.tx_hash, res.gas_used, res.block, account, int(raw["claims"]["epoch"]))

    def submit_bundle(self, kind: str, path: Path, sender: str | None = None, *, precheck: bool = True) -> ProofTx:
        """``attest`` (kind "attest") or ``flagInsolvent`` (kind "flag") with the bundle at ``path``.

        ``precheck``: verify it first in Python against the DEPLOYED verifier's key (never a key the
        bundle names), and refuse a verdict that does not fit ``kind``, so no gas is spent on a
        transaction the registry would refuse.
        """
        raw, solvent = self._read_verified(path, precheck)
        if precheck and solvent != (kind == "attest"):
            want = "solvent = 1" if kind == "attest" else "solvent = 0"
            raise InputError(str(path), "claims.solvent", f"this command needs a {want} proof (use --no-precheck to send anyway)")
        return self._proof_tx(kind, raw, sender)

    def flag_bundles(self, paths: Sequence[Path], sender: str | None = None, *, precheck: bool = True) -> FlagRun:
        """``flagInsolvent`` with every ``solvent = 0`` bundle: files given by name (each must be
        one), and in directories (``epoch prove``'s OUT) the insolvent ones, solvent ones skipped.

        One transaction per account. Accounts already handled at the latest epoch are skipped, not
        sent: flagged insolvent (this epoch's flag or an earlier one not resolved yet), a flag the
        liquidator resolved at this epoch (the registry refuses to raise one again), or attested. A
        bundle that is invalid or refused on chain is listed in ``FlagRun.failed`` and the others
        are still sent.
        """
        from zksolvency.verifier.groth16 import InvalidProof
        from zksolvency.verifier.verify import bundle_paths

        named = {p for p in paths if not p.is_dir()}
        run = FlagRun([], [], [])
        todo: list[tuple[Path, dict[str, Any]]] = []
        for f in bundle_paths(paths):
            try:
                raw, solvent = self._read_verified(f, precheck)
            except InvalidProof as e:
                run.failed.append((str(f), str(e)))
                continue
            if solvent and f in named and precheck:
                raise InputError(
                    str(f), "claims.solvent", "this command needs a solvent = 0 proof (use --no-precheck to send anyway)"
                )
            if not solvent or f in named:
                todo.append((f, raw))
        if not todo and not run.failed:
            raise InputError(str(paths[0]) if paths else "BUNDLE", None, "no solvent = 0 bundle to flag")
        reg = self.contract("registry").functions
        latest = self.latest_epoch()
        for f, raw in todo:
            account = str(Web3.to_checksum_address(raw["claims"]["account"]))
            st = AccountStatus.from_view(account, reg.status(account).call())
            if st.flag is Flag.INSOLVENT or (latest is not None and latest in (st.resolved_epoch, st.attested_epoch)):
                run.skipped.append(account)  # handled at this epoch: flagged, resolved or attested
                continue
            try:
                run.flagged.append(self._proof_tx("flag", raw, sender))
            except ChainError as e:
                run.failed.append((str(f), str(e)))
        return run

    def submit_proof(self, kind: str, bundle: dict[str, Any], sender: str | None = None) -> TxResult:
        """Registry: ``attest`` (kind "attest") or ``flagInsolvent`` (kind "flag") with a bundle."""
        a, b, c, s = proof_calldata(bundle["proof"], bundle["public_signals"])
        claims = bundle["claims"]
        account = Web3.to_checksum_address(claims["account"])
        fn = self.contract("registry").functions
        call = (fn.attest if kind == "attest" else fn.flagInsolvent)(account, int(claims["epoch"]), a, b, c, s)
        return self.send(call, sender)

    def attest_batch(self, bundles: Sequence[Path], *, max_n: int | None = None, sender: str | None = None) -> BatchRun:
        """Registry: ``attestBatch`` every solvent bundle (checked in Python first), in as few
        transactions of at most ``max_n`` proofs as fit; insolvent bundles found in a directory are
        set aside (``BatchRun.insolvent``); see :mod:`zksolvency.onchain.batch`."""
        from zksolvency.onchain.batch import attest_batch
        from zksolvency.verifier.groth16 import BATCH_MAX

        return attest_batch(self, bundles, max_n=max_n or BATCH_MAX, sender=sender)

    def flag_stale(self, accounts: list[str], sender: str | None = None, fees: Fees | None = None) -> FlagStaleResult:
        """Registry: flag, in one transaction, every listed account that is stale.

        Accounts that are not stale are skipped (and listed in the result); the call reverts when
        none is, with the reason of the first.
        """
        addrs = [Web3.to_checksum_address(a) for a in accounts]
        reg = self.contract("registry")
        res = self.send(reg.functions.flagStale(addrs), sender, fees=fees)
        receipt = self.w3.eth.get_transaction_receipt(res.tx_hash)
        # beside the FlaggedStale logs, the receipt may hold a LedgerOverdue
        flagged = [str(e["args"]["account"]) for e in reg.events.FlaggedStale().process_receipt(receipt, errors=DISCARD)]
        skipped = [str(a) for a in addrs if a not in set(flagged)]
        return FlagStaleResult(res.tx_hash, res.gas_used, res.block, flagged, skipped)

    def resolve_flag(self, account: str, sender: str | None = None) -> TxResult:
        """Registry (liquidator): clear an account's flag after liquidating or clearing it."""
        return self.send(self.contract("registry").functions.resolveFlag(Web3.to_checksum_address(account)), sender)

    def status(self, account: str) -> dict[str, Any]:
        """An account's enrollment, attestation and flag, and whether it counts as solvent now."""
        reg = self.contract("registry").functions
        addr = Web3.to_checksum_address(account)
        row = AccountStatus.from_view(addr, reg.status(addr).call())
        return {
            "account": addr,
            "enrolled": row.enrolled,
            "index": row.index,
            "attested": row.attested_epoch is not None,
            "attested_epoch": row.attested_epoch,
            "flag": row.flag,
            "flagged_epoch": row.flagged_epoch,
            "flagged_at": row.flagged_at,
            "flag_id": row.flag_id,
            "flag_resolved": row.flag_resolved,
            "resolved_epoch": row.resolved_epoch,
            "stale_at": row.stale_at,
            "latest_epoch": self.latest_epoch(),
            "solvent_now": bool(reg.isSolvent(addr).call()),
        }

    # ------------------------------------------------------------ roles

    def role_id(self, contract: str, role: str) -> bytes:
        """The AccessControl id of ``role`` ("admin", "venue", "liquidator", "publisher")."""
        if role == "admin":
            return b"\x00" * 32
        fn = getattr(self.contract(contract).functions, f"{role.upper()}_ROLE")
        return bytes(fn().call())

    def grant_role(self, role: str, account: str, sender: str | None = None, contract: str = "registry") -> TxResult:
        """Admin: give ``account`` a role on the registry (or the oracle)."""
        c = self.contract(contract)
        return self.send(c.functions.grantRole(self.role_id(contract, role), Web3.to_checksum_address(account)), sender)

    def has_role(self, role: str, account: str, contract: str = "registry") -> bool:
        """Whether ``account`` holds ``role`` on the registry (or the oracle)."""
        fn = self.contract(contract).functions.hasRole(self.role_id(contract, role), Web3.to_checksum_address(account))
        return bool(fn.call())

    # ------------------------------------------------------------ dev chains

    def advance_time(self, seconds: int) -> None:
        """Dev chains only: move the clock forward and mine a block."""
        if not self.is_anvil:
            raise ChainError("time travel needs a local anvil")
        self.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
