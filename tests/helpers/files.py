"""Where the suite builds, and the JSON files tests write and read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from zksolvency.zkcore.paths import ROOT

#: The suite's artifact directory (the session points ``$ZKSOLVENCY_BUILD`` at it, see tests/conftest.py).
TEST_BUILD = ROOT / ".zksolvency" / "pytest"


def write_json(path: Path, data: Any) -> Path:
    """Write JSON test input."""
    path.write_text(json.dumps(data, indent=1))
    return path


def read_json_object(path: Path) -> dict[str, Any]:
    """A JSON file that holds one object (a bundle, a ledger, a market spec)."""
    obj = json.loads(path.read_text())
    assert isinstance(obj, dict), f"{path}: not a JSON object"
    return obj


def write_good_inputs(d: Path) -> None:
    """Valid inputs of every reader in ``d``: market.json, account.json, statement.json and an
    (empty) ledger.json."""
    from tests.helpers import data

    write_json(d / "market.json", data.MARKET)
    write_json(d / "account.json", data.ACCOUNT)
    write_json(d / "statement.json", data.statement(data.ACCOUNT))
    write_json(d / "ledger.json", {"format": "zksolvency-ledger/1", "epoch": 42, "root": "0x" + "11" * 32, "depth": 8,
                                   "accounts": []})  # fmt: skip
