"""The one gateway to solc-js: compile the contracts, cached by the hash of their sources.

The verifiers of a circuit instance are regenerated from its verification key (snarkjs's template
and the batch generator) and compiled under their ``contracts/generated/`` names with the registry
and oracle in one standard-JSON run; the ``.sol`` files beside the key must equal the regeneration,
and nothing is copied into the source tree.
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

from zksolvency.verifier.solidity import BATCH as BATCH
from zksolvency.verifier.solidity import SINGLE as SINGLE
from zksolvency.verifier.solidity import render_verifiers
from zksolvency.zkcore.errors import InputError, ToolError
from zksolvency.zkcore.jsonio import read_object
from zksolvency.zkcore.paths import checkout, node_executable


def contracts_dir() -> Path:
    """The Solidity sources of the checkout."""
    return checkout() / "contracts"


SCRIPT = Path(__file__).with_name("solc_compile.cjs")
SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 10_000},
    "evmVersion": "cancun",
    "outputSelection": {
        "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "evm.deployedBytecode.immutableReferences"]}
    },
}


@dataclass(frozen=True)
class Compiled:
    """ABI and creation bytecode of one contract, with its runtime code and where in the runtime
    code the constructor writes its immutables (byte offset, length)."""

    abi: list[dict[str, Any]]
    bytecode: str
    runtime: str = "0x"
    immutables: tuple[tuple[int, int], ...] = ()

    def is_runtime_of(self, code: bytes) -> bool:
        """Whether ``code`` (a deployed contract's code) is this contract's runtime code, whatever
        values its immutables were given: a contract that merely answers the same calls is not."""
        want = bytearray(bytes.fromhex(self.runtime.removeprefix("0x")))
        got = bytearray(code)
        if not want or len(got) != len(want):
            return False
        for start, length in self.immutables:
            want[start : start + length] = got[start : start + length] = bytes(length)
        return got == want


def checked_verifiers(verifier_sol: Path) -> dict[str, str]:
    """The verifiers of the key beside ``verifier_sol`` (``verification_key.json``), regenerated from
    it. A verifier file there that differs from its regeneration by one byte (another key's
    constants, an edited check, this key's header on another body) is refused: what goes on chain
    is always the regenerated text, so a file can only be refused, never trusted."""
    vkey = verifier_sol.parent / "verification_key.json"
    if not vkey.is_file():
        raise InputError(str(vkey), None, "no verification key beside the verifier: its provenance is unknown")
    vk_json = read_object(vkey)
    texts = render_verifiers(vk_json, str(vkey))
    for name, text in texts.items():
        f = verifier_sol if name == SINGLE else verifier_sol.with_name(name)
        if (name == SINGLE or f.exists()) and _read(f) != text:
            raise InputError(str(f), None, f"was not generated from the proving key of {vkey}: run `zksolvency setup` again")
    return texts


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError):
        return None


def _sources(verifier_sol: Path) -> dict[str, str]:
    """Every contract under contracts/ and the key's verifiers under their ``contracts/generated/`` names.

    The verifiers go into the compile as the text regenerated from the key (:func:`checked_verifiers`)
    and are never copied into the source tree: two chain clients compiling different keys at once
    (two instances, two tests) cannot see each other's verifier through a shared file.
    """
    root = checkout()
    gen = contracts_dir() / "generated"
    files = sorted(p for p in contracts_dir().rglob("*.sol") if gen not in p.parents)
    sources = {str(p.relative_to(root)): p.read_text() for p in files}
    for name, text in checked_verifiers(verifier_sol).items():
        sources[str((gen / name).relative_to(root))] = text
    return sources


def solc_version() -> str:
    """Version of the pinned solc-js package."""
    return str(json.loads((checkout() / "node_modules" / "solc" / "package.json").read_text())["version"])


def openzeppelin_version() -> str:
    """Version of the pinned OpenZeppelin contracts package (part of the compile cache key)."""
    pkg = checkout() / "node_modules" / "@openzeppelin" / "contracts" / "package.json"
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
            [node_executable(), str(SCRIPT)],
            input=json.dumps(std_in),
            capture_output=True,
            text=True,
            cwd=checkout(),
            check=False,
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
            deployed = c["evm"]["deployedBytecode"]
            refs = deployed.get("immutableReferences", {}).values()
            spans = tuple((int(r["start"]), int(r["length"])) for rs in refs for r in rs)
            result[name] = Compiled(c["abi"], "0x" + c["evm"]["bytecode"]["object"], "0x" + deployed["object"], spans)
    return result
