"""Where a deployment lives and which node it is on: the chain folder under the artifact
directory, the deployment record (:class:`Deployment`), the node ``chain up`` started, and the RPC
endpoint to use."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NotRequired, TypedDict, cast

from eth_typing import ChecksumAddress
from zksolvency.zkcore.errors import InputError
from zksolvency.zkcore.files import write_atomic
from zksolvency.zkcore.jsonio import read_object
from zksolvency.zkcore.paths import build_dir


def chain_dir(build: Path | None = None) -> Path:
    """Where the node record, deployment file and compiled contracts live (under ``build``)."""
    return (build if build is not None else build_dir()) / "chain"


def deployment_path(build: Path | None = None) -> Path:
    """Default deployment file (``$ZKSOLVENCY_DEPLOYMENT`` overrides)."""
    return Path(os.environ.get("ZKSOLVENCY_DEPLOYMENT", chain_dir(build) / "deployment.json"))


class DeploymentRoles(TypedDict):
    """Who holds which role on the registry and the oracle (the deployer unless given)."""

    admin: str  # grants roles on both contracts
    publisher: str  # the oracle's epochs
    venue: str  # enrollment and ledger roots
    liquidator: str  # resolves flags


class VaultRecord(TypedDict):
    """What ``vault deploy`` adds beside the vault's addresses: whether it deployed the example
    token too, who deployed it, its roles, its policy (``min_bounty`` a decimal string of token
    units, the rest integers), the block it was deployed in and the gas of each transaction."""

    example_token: bool
    deployer: str
    roles: dict[str, str]
    policy: dict[str, object]
    deploy_block: int
    gas_used: dict[str, int]


class VaultEntries(TypedDict):
    """The keys ``vault deploy`` adds to a deployment record (the vault's ABIs merge into ``abi``)."""

    vault: str
    insurance_fund: str
    token: str
    abi: dict[str, list[dict[str, Any]]]
    vault_deployment: VaultRecord


class Deployment(TypedDict):
    """The deployment record (``deployment.json``) as ``chain deploy`` writes it: where the
    contracts are, on which chain, with which key, rules and roles, and their ABIs.

    The file may hold more than this: an example vault deployed beside the registry adds its own
    entries (its addresses under the optional keys below, its ABIs under ``abi``), and a record is
    read and rewritten with every key it holds.
    """

    rpc: str
    chain_id: int
    circuit: str  # the circuit instance whose verifiers were deployed
    verifier: ChecksumAddress
    batch_verifier: ChecksumAddress
    oracle: ChecksumAddress
    registry: ChecksumAddress
    deploy_block: int  # where a keeper starts following the registry's events
    grace_period: int
    ledger_grace: int
    capacity: int
    vkey_sha256: str
    key_trust: str
    allow_insecure_key: bool
    deployer: str
    roles: DeploymentRoles
    gas_used: dict[str, int]  # per contract deployed
    abi: dict[str, list[dict[str, Any]]]  # per contract, by the same names as the addresses
    vault: NotRequired[str]  # the example vault (``vault deploy``), with its fund and token
    insurance_fund: NotRequired[str]
    token: NotRequired[str]
    vault_deployment: NotRequired[VaultRecord]


def read_deployment(path: Path) -> Deployment:
    """The deployment record in ``path`` (InputError when it is not one JSON object), every key it
    holds kept."""
    return cast(Deployment, read_object(path))


def write_deployment(path: Path, deployment: Deployment) -> None:
    """Write a deployment record atomically (its folder made when missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(deployment, indent=1))


def node_record(build: Path | None = None) -> Path:
    """Where ``chain up`` records the node it started."""
    return chain_dir(build) / "node.json"


def resolve_rpc(rpc: str | None, build: Path | None = None) -> str:
    """--rpc, else $ZKSOLVENCY_RPC, else the node of ``chain up``, else the deployment's."""
    if rpc:
        return rpc
    if os.environ.get("ZKSOLVENCY_RPC"):
        return os.environ["ZKSOLVENCY_RPC"]
    for f in (node_record(build), deployment_path(build)):
        if f.is_file():
            data = read_object(f)
            if isinstance(data.get("rpc"), str):
                return str(data["rpc"])
    raise InputError("rpc", None, "no node: run `zksolvency chain up` or pass --rpc URL")


@dataclass(frozen=True)
class NodeRecord:
    """The local node ``chain up`` started (or found running), as its record file holds it."""

    rpc: str
    pid: int
    log: str
    already_running: bool = False

    def as_json(self) -> dict[str, object]:
        """The record and whether it was running already."""
        return {"rpc": self.rpc, "pid": self.pid, "log": self.log, "already_running": self.already_running}


def node_up(build: Path | None = None, port: int | None = None) -> NodeRecord:
    """Start a local anvil and record it under ``build`` (the one already recorded if it answers)."""
    from zksolvency.onchain import anvil

    rec = node_record(build)
    if rec.is_file():
        data = json.loads(rec.read_text())
        if anvil.rpc_alive(data["rpc"]):
            return NodeRecord(str(data["rpc"]), int(data["pid"]), str(data.get("log", "")), already_running=True)
    node = anvil.start(chain_dir(build), port=port)
    rec.parent.mkdir(parents=True, exist_ok=True)
    rec.write_text(json.dumps(node.as_json()))
    return NodeRecord(node.rpc, node.pid, node.log)


def node_down(build: Path | None = None) -> tuple[bool, str | None]:
    """Stop the anvil ``chain up`` recorded: (whether it was running, its RPC URL; None when no
    node was recorded). The record is removed either way."""
    from zksolvency.onchain import anvil

    rec = node_record(build)
    if not rec.is_file():
        return False, None
    data = json.loads(rec.read_text())
    stopped = anvil.stop(int(data["pid"]))
    rec.unlink()
    return stopped, str(data["rpc"])
