"""Where a deployment lives and which node it is on: the chain folder under the artifact
directory, the deployment record, the node ``chain up`` started, and the RPC endpoint to use."""

from __future__ import annotations

import os
from pathlib import Path

from zksolvency.zkcore.errors import InputError
from zksolvency.zkcore.jsonio import read_object
from zksolvency.zkcore.paths import build_dir


def chain_dir(build: Path | None = None) -> Path:
    """Where the node record, deployment file and compiled contracts live (under ``build``)."""
    return (build if build is not None else build_dir()) / "chain"


def deployment_path(build: Path | None = None) -> Path:
    """Default deployment file (``$ZKSOLVENCY_DEPLOYMENT`` overrides)."""
    return Path(os.environ.get("ZKSOLVENCY_DEPLOYMENT", chain_dir(build) / "deployment.json"))


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
    raise InputError("--rpc", None, "no node: run `zksolvency chain up` or pass --rpc URL")
