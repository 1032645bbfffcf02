"""The registry client: deploy, publish, register, attest, flag and read status over JSON-RPC.

Talks to any endpoint (web3.py). Transactions are sent from an unlocked account of the node
(anvil's dev accounts), from an account anvil impersonates, or signed locally with the key in
``$ZKSOLVENCY_PRIVATE_KEY``. Reverts come back as the registry's custom error names.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_typing import ChecksumAddress
from eth_utils.abi import function_signature_to_4byte_selector
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from zksolvency.onchain.solc import Compiled, compile_contracts
from zksolvency.zkcore.bundle import write_atomic
from zksolvency.zkcore.errors import InputError, ZkSolvencyError
from zksolvency.zkcore.paths import build_dir

if TYPE_CHECKING:
    from zksolvency.verifier.verify import TrustedKey, TrustedKeys


class ChainError(ZkSolvencyError):
    """A transaction or call was refused (exit code 1), carrying the contract's error name."""

    exit_code = 1


def chain_dir() -> Path:
    """Where the node record, deployment file and compiled contracts live."""
    return build_dir() / "chain"


def deployment_path() -> Path:
    """Default deployment file (``$ZKSOLVENCY_DEPLOYMENT`` overrides)."""
    return Path(os.environ.get("ZKSOLVENCY_DEPLOYMENT", chain_dir() / "deployment.json"))


def node_record() -> Path:
    """Where ``chain up`` records the node it started."""
    return chain_dir() / "node.json"


def resolve_rpc(rpc: str | None) -> str:
    """--rpc, else $ZKSOLVENCY_RPC, else the node of ``chain up``, else the deployment's."""
    if rpc:
        return rpc
    if os.environ.get("ZKSOLVENCY_RPC"):
        return os.environ["ZKSOLVENCY_RPC"]
    for f in (node_record(), deployment_path()):
        if f.is_file():
            data = json.loads(f.read_text())
            if isinstance(data, dict) and isinstance(data.get("rpc"), str):
                return str(data["rpc"])
    raise InputError("--rpc", None, "no node: run `zksolvency chain up` or pass --rpc URL")


def _error_table(abis: list[list[dict[str, Any]]]) -> dict[str, str]:
    table = {}
    for abi in abis:
        for item in abi:
            if item.get("type") == "error":
                sig = f"{item['name']}({','.join(i['type'] for i in item['inputs'])})"
                table["0x" + function_signature_to_4byte_selector(sig).hex()] = item["name"]
    return table


@dataclass(frozen=True)
class TxResult:
    """A mined transaction."""

    tx_hash: str
    gas_used: int
    block: int

    def as_json(self) -> dict[str, object]:
        """For ``--json`` output."""
        return {"tx_hash": self.tx_hash, "gas_used": self.gas_used, "block": self.block}


def proof_calldata(proof: dict[str, Any], signals: list[str]) -> tuple[list[int], list[list[int]], list[int], list[int]]:
    """snarkjs proof -> (pA, pB, pC, signals) for the Solidity verifier (G2 coordinates swapped)."""
    a = [int(proof["pi_a"][0]), int(proof["pi_a"][1])]
    b = [[int(proof["pi_b"][0][1]), int(proof["pi_b"][0][0])], [int(proof["pi_b"][1][1]), int(proof["pi_b"][1][0])]]
    c = [int(proof["pi_c"][0]), int(proof["pi_c"][1])]
    return a, b, c, [int(s) for s in signals]


def deployable_key(verifier_sol: Path, allow_insecure_key: bool = False) -> TrustedKey:
    """The verification key beside a generated verifier, checked before it goes on chain: it must be
    the key of the same proving key (zkey sha256 in the Solidity header) and carry an accepted trust
    label unless ``allow_insecure_key``."""
    from zksolvency.verifier.verify import load_key
    from zksolvency.zkcore.keytrust import ACCEPTED, DESCRIPTION

    vkey = verifier_sol.parent / "verification_key.json"
    if not vkey.is_file():
        raise InputError(str(vkey), None, "no verification key beside the verifier: its provenance is unknown")
    key = load_key(vkey)
    zkey = json.loads(vkey.read_text()).get("zksolvency_setup", {}).get("zkey_sha256")
    if not isinstance(zkey, str) or f"// zkey sha256:  {zkey}\n" not in verifier_sol.read_text():
        raise InputError(str(verifier_sol), None, f"was not generated from the proving key of {vkey}")
    if key.trust not in ACCEPTED and not allow_insecure_key:
        raise InputError(
            str(vkey),
            "zksolvency_setup.trust",
            f"key labelled {key.trust!r} ({DESCRIPTION[key.trust]}); refused without --allow-insecure-key",
        )
    return key


class Chain:
    """A connection to one node and, once deployed, the zksolvency contracts on it."""

    def __init__(self, rpc: str, deployment: Path | None = None) -> None:
        self.rpc = rpc
        self.w3 = Web3(Web3.HTTPProvider(rpc, request_kwargs={"timeout": 60}))
        if not self.w3.is_connected():
            raise ChainError(f"no JSON-RPC node answers at {rpc}")
        self.deployment_file = deployment or deployment_path()
        self._deployment: dict[str, Any] | None = None
        self._compiled: dict[str, Compiled] | None = None
        self._key = os.environ.get("ZKSOLVENCY_PRIVATE_KEY")

    # ------------------------------------------------------------ plumbing

    @property
    def is_anvil(self) -> bool:
        """True on a local anvil (impersonation and time travel available)."""
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
        if sender in self.w3.eth.accounts:
            return sender
        if self.is_anvil:  # a dev chain: act as any address, with gas money
            self.w3.provider.make_request("anvil_impersonateAccount", [sender])  # type: ignore[arg-type]
            if self.w3.eth.get_balance(sender) < 10**18:
                self.w3.provider.make_request("anvil_setBalance", [sender, hex(10**20)])  # type: ignore[arg-type]
            return sender
        raise ChainError(f"cannot send from {sender}: it is not unlocked on the node and ZKSOLVENCY_PRIVATE_KEY is not its key")

    @property
    def compiled(self) -> dict[str, Compiled]:
        """Compiled contracts (the verifier of the deployment's circuit)."""
        if self._compiled is None:
            raise ChainError("contracts not compiled: deploy first")
        return self._compiled

    def _errors(self) -> dict[str, str]:
        abis = [c.abi for c in self._compiled.values()] if self._compiled else []
        if not abis and self._deployment:
            abis = [self._deployment["abi"][k] for k in ("registry", "oracle")]
        return _error_table(abis)

    def _explain(self, e: ContractLogicError) -> ChainError:
        data = e.data if isinstance(e.data, str) else ""
        name = self._errors().get(data[:10]) if data else None
        return ChainError(f"reverted: {name}" if name else f"reverted: {e.message or e}")

    def send(self, fn: Any, sender: str | None = None, value: int = 0) -> TxResult:
        """Estimate, send and wait for a contract call; a revert becomes its custom error name."""
        frm = self._ensure_sender(sender or self.default_sender())
        try:
            gas = fn.estimate_gas({"from": frm, "value": value})
            tx = {"from": frm, "gas": int(gas * 1.2) + 10_000, "value": value}
            if self._key and self.w3.eth.account.from_key(self._key).address == frm:
                built = fn.build_transaction({**tx, "nonce": self.w3.eth.get_transaction_count(frm)})
                signed = self.w3.eth.account.sign_transaction(built, self._key)
                h = self.w3.eth.send_raw_transaction(signed.raw_transaction)
            else:
                h = fn.transact(tx)
        except ContractLogicError as e:
            raise self._explain(e) from None
        receipt = self.w3.eth.wait_for_transaction_receipt(h, timeout=120)
        if receipt["status"] != 1:
            raise ChainError(f"transaction {h.hex()} failed")
        return TxResult(
            "0x" + bytes(receipt["transactionHash"]).hex().removeprefix("0x"),
            int(receipt["gasUsed"]),
            int(receipt["blockNumber"]),
        )

    def deploy_contract(self, name: str, *args: Any, sender: str | None = None) -> tuple[str, TxResult]:
        """Deploy one compiled contract; returns (address, tx)."""
        c = self.compiled[name]
        factory = self.w3.eth.contract(abi=c.abi, bytecode=c.bytecode)
        res = self.send(factory.constructor(*args), sender)
        receipt = self.w3.eth.get_transaction_receipt(res.tx_hash)  # type: ignore[arg-type]
        return str(receipt["contractAddress"]), res

    # ------------------------------------------------------------ deployment

    def deploy(
        self,
        verifier_sol: Path,
        circuit: str,
        grace_period: int,
        liquidator: str | None = None,
        *,
        allow_insecure_key: bool = False,
    ) -> dict[str, Any]:
        """Compile and deploy verifier, oracle and registry; write the deployment file.

        The verifier's key (``verification_key.json`` beside ``verifier_sol``) must carry an
        accepted trust label; ``allow_insecure_key`` deploys a beacon-only or unknown one anyway.
        """
        key = deployable_key(verifier_sol, allow_insecure_key)
        self._compiled = compile_contracts(verifier_sol, chain_dir() / "solc-cache")
        deployer = self.default_sender()
        verifier, t1 = self.deploy_contract("Groth16Verifier")
        oracle, t2 = self.deploy_contract("MarginOracle", deployer)
        registry, t3 = self.deploy_contract("SolvencyRegistry", verifier, oracle, grace_period, liquidator or deployer)
        dep = {
            "rpc": self.rpc,
            "chain_id": self.w3.eth.chain_id,
            "circuit": circuit,
            "verifier": verifier,
            "oracle": oracle,
            "registry": registry,
            "grace_period": grace_period,
            "vkey_sha256": key.digest,
            "key_trust": key.trust,
            "allow_insecure_key": allow_insecure_key,
            "deployer": deployer,
            "gas_used": {"verifier": t1.gas_used, "oracle": t2.gas_used, "registry": t3.gas_used},
            "abi": {
                "registry": self.compiled["SolvencyRegistry"].abi,
                "oracle": self.compiled["MarginOracle"].abi,
                "verifier": self.compiled["Groth16Verifier"].abi,
            },
        }
        self.deployment_file.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.deployment_file, json.dumps(dep, indent=1))
        self._deployment = dep
        return dep

    @property
    def deployment(self) -> dict[str, Any]:
        """The deployment file's content."""
        if self._deployment is None:
            if not self.deployment_file.is_file():
                raise InputError(str(self.deployment_file), None, "no deployment: run `zksolvency chain deploy` first")
            data = json.loads(self.deployment_file.read_text())
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
        path = build_dir() / circuit / "verification_key.json"
        recorded = dep.get("vkey_sha256")
        if recorded is not None and load_key(path).digest != recorded:
            raise InputError(str(path), None, f"is not the key of the deployed verifier (vkey sha256 {str(recorded)[:16]}...)")
        return TrustedKeys(files=(path,), allow_insecure=bool(dep.get("allow_insecure_key", False)))

    def contract(self, name: str) -> Contract:
        """A deployed contract (registry, oracle or verifier)."""
        dep = self.deployment
        contract: Contract = self.w3.eth.contract(address=dep[name], abi=dep["abi"][name])
        return contract

    # ------------------------------------------------------------ actions

    def publish(self, epoch: int, root: int, sender: str | None = None) -> TxResult:
        """Oracle: publish (epoch, marketRoot)."""
        return self.send(self.contract("oracle").functions.publish(epoch, root), sender)

    def register(self, account: str, commitment: int) -> TxResult:
        """Registry: ``account`` registers its own commitment."""
        return self.send(self.contract("registry").functions.register(commitment), account)

    def submit_proof(self, kind: str, bundle: dict[str, Any], sender: str | None = None) -> TxResult:
        """Registry: ``attest`` (kind "attest") or ``flagInsolvent`` (kind "flag") with a bundle."""
        a, b, c, s = proof_calldata(bundle["proof"], bundle["public_signals"])
        claims = bundle["claims"]
        account = Web3.to_checksum_address(claims["account"])
        fn = self.contract("registry").functions
        call = (fn.attest if kind == "attest" else fn.flagInsolvent)(account, int(claims["epoch"]), a, b, c, s)
        return self.send(call, sender)

    def flag_stale(self, account: str, sender: str | None = None) -> TxResult:
        """Registry: flag an account without a fresh attestation after the grace period."""
        return self.send(self.contract("registry").functions.flagStale(Web3.to_checksum_address(account)), sender)

    def status(self, account: str) -> dict[str, Any]:
        """An account's status, and whether it counts as solvent now."""
        reg = self.contract("registry").functions
        addr = Web3.to_checksum_address(account)
        commitment, registered, attested, attested_epoch, flag, flagged_epoch = reg.status(addr).call()
        latest = self.contract("oracle").functions.latest().call()
        return {
            "account": addr,
            "registered": bool(registered),
            "commitment": "0x" + int(commitment).to_bytes(32, "big").hex(),
            "attested": bool(attested),
            "attested_epoch": int(attested_epoch) if attested else None,
            "flag": ["none", "insolvent", "stale"][int(flag)],
            "flagged_epoch": int(flagged_epoch) if flag else None,
            "latest_epoch": int(latest[0]) if latest[2] else None,
            "solvent_now": bool(reg.isSolvent(addr).call()),
        }

    def advance_time(self, seconds: int) -> None:
        """Dev chains only: move the clock forward and mine a block."""
        if not self.is_anvil:
            raise ChainError("time travel needs a local anvil")
        self.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
