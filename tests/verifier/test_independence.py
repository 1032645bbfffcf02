"""The verifier is an independent cross-check: it never imports the prover, nor runs snarkjs."""

from __future__ import annotations

import ast
from pathlib import Path

VERIFIER = Path(__file__).resolve().parents[2] / "verifier"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    mods: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            mods.add(node.module)
    return mods


def test_verifier_never_imports_the_prover_or_a_subprocess() -> None:
    files = sorted(VERIFIER.glob("*.py"))
    assert files
    for f in files:
        mods = imported_modules(f)
        assert not {
            m
            for m in mods
            if m.startswith("zksolvency.prover") or m.startswith("zksolvency.cli") or m.startswith("zksolvency.onchain")
        }, f
        assert "subprocess" not in mods, f  # no snarkjs (or any tool) at run time
