"""Where the checkout and its build artifacts are (shared by prover and verifier)."""

from __future__ import annotations

import os
from pathlib import Path

#: The checkout: circuits/, node_modules/ and the default build/ live here.
ROOT = Path(__file__).resolve().parent.parent


def build_dir() -> Path:
    """Where setup artifacts go: ``$ZKSOLVENCY_BUILD`` or ``build/`` in the checkout."""
    return Path(os.environ.get("ZKSOLVENCY_BUILD", ROOT / "build"))


def default_config() -> str:
    """The circuit instance used when none is named: ``$ZKSOLVENCY_CONFIG`` or ``default``."""
    return os.environ.get("ZKSOLVENCY_CONFIG") or "default"


def node_executable() -> str:
    """The ``node`` on PATH (the pinned JS toolchain runs on it)."""
    import shutil

    from zksolvency.zkcore.errors import ToolError

    node = shutil.which("node")
    if node is None:
        raise ToolError("node is not on PATH: install Node.js 18+ (see README)")
    return node
