"""Where the checkout and its build artifacts are (shared by prover and verifier)."""

from __future__ import annotations

import os
from pathlib import Path

#: The checkout: circuits/, node_modules/ and the default build/ live here.
ROOT = Path(__file__).resolve().parent.parent


def build_dir() -> Path:
    """Where setup artifacts go: ``$ZKSOLVENCY_BUILD`` or ``build/`` in the checkout."""
    return Path(os.environ.get("ZKSOLVENCY_BUILD", ROOT / "build"))
