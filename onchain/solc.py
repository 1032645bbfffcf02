"""The one gateway to solc-js: compile the contracts, cached by the hash of their sources.

The generated verifiers of a circuit instance (``build/<circuit>/Groth16Verifier.sol`` and its batch
twin) are compiled under their ``contracts/generated/`` names with the registry and oracle in one
standard-JSON run, read from the instance's folder rather than copied into the source tree.
``@openzeppelin/contracts/...`` imports resolve from ``node_modules`` (the version pinned in
package.json) through the import callback of ``solc_compile.cjs``.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zksolvency.zkcore.errors import ToolError
from zksolvency.zkcore.paths import ROOT, node_executable

CONTRACTS = ROOT / "contracts"
SCRIPT = Path(__file__).with_name("solc_compile.cjs")
SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 10_000},
    "evmVersion": "cancun",
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
}


@dataclass(frozen=True)
class Compiled:
    """ABI and creation bytecode of one contract."""

    abi: list[dict[str, Any]]
    bytecode: str


def _sources(verifier_sol: Path) -> dict[str, str]:
    """Every contract under contracts/, with the generated verifiers taken from ``verifier_sol``'s folder.

    The verifiers go into the compile as text under their ``contracts/generated/`` names and are never
    copied there: two chain clients compiling different keys at once (two instances, two tests) must
    not see each other's verifier through a shared file in the source tree.
    """
    gen = CONTRACTS / "generated"
    files = sorted(p for p in CONTRACTS.rglob("*.sol") if p.parent != gen)
    sources = {str(p.relative_to(ROOT)): p.read_text() for p in files}
    sources[str((gen / "Groth16Verifier.sol").relative_to(ROOT))] = verifier_sol.read_text()
    batch = verifier_sol.with_name("Groth16BatchVerifier.sol")  # made beside it by the same setup
    if batch.is_file():  # a key without one compiles without one, never with another key's
        sources[str((gen / batch.name).relative_to(ROOT))] = batch.read_text()
    return sources


def solc_version() -> str:
    """Version of the pinned solc-js package."""
    return str(json.loads((ROOT / "node_modules" / "solc" / "package.json").read_text())["version"])


def openzeppelin_version() -> str:
    """Version of the pinned OpenZeppelin contracts package (part of the compile cache key)."""
    pkg = ROOT / "node_modules" / "@openzeppelin" / "contracts" / "package.json"
    if not pkg.is_file():
        raise ToolError("node_modules/@openzeppelin/contracts is missing: run `make install` (npm install)")
    return str(json.loads(pkg.read_text())["version"])


def compile_contracts(verifier_sol: Path, cache_dir: Path) -> dict[str, Compiled]:
    """Compile every contract under contracts/ (cached by sources, settings and solc version)."""
    if not verifier_sol.is_file():
        raise ToolError(f"{verifier_sol} is missing: run `zksolvency setup` first")
    return compile_sources(_sources(verifier_sol), cache_dir)


def compile_sources(sources: dict[str, str], cache_dir: Path) -> dict[str, Compiled]:
    """Compile the given Solidity sources (path -> text) in one standard-JSON run, cached by content."""
    versions = [solc_version(), openzeppelin_version()]
    key = hashlib.sha256(json.dumps([sources, SETTINGS, versions], sort_keys=True).encode()).hexdigest()
    cache = cache_dir / f"contracts-{key[:20]}.json"
    if cache.is_file():
        out = json.loads(cache.read_text())
    else:
        std_in = {"language": "Solidity", "sources": {k: {"content": v} for k, v in sources.items()}, "settings": SETTINGS}
        proc = subprocess.run(
            [node_executable(), str(SCRIPT)], input=json.dumps(std_in), capture_output=True, text=True, cwd=ROOT, check=False
        )
        if proc.returncode != 0:
            raise ToolError(f"solc-js failed: {proc.stderr.strip()[-500:]}")
        out = json.loads(proc.stdout)["output"]
        errors = [e for e in out.get("errors", []) if e.get("severity") == "error"]
        if errors:
            raise ToolError("solc: " + " | ".join(e.get("formattedMessage", e.get("message", "?")).strip() for e in errors[:3]))
        cache_dir.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(out))
    result: dict[str, Compiled] = {}
    where: dict[str, str] = {}
    for file, contracts in out["contracts"].items():
        for name, c in contracts.items():
            if name in where:  # results are keyed by name: never let one silently replace another
                raise ToolError(f"solc: two contracts named {name} ({where[name]} and {file})")
            where[name] = file
            result[name] = Compiled(c["abi"], "0x" + c["evm"]["bytecode"]["object"])
    return result
