"""zkcore/bundle.py is the one bundle schema: packing of (address, index), claim decoding, and a
verifier that loads it (and ledger files) without pydantic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from zksolvency.zkcore.bundle import (
    ADDRESS_BITS,
    CLAIM_NAMES,
    SIGNAL_NAMES,
    claims_from_signals,
    pack_account_index,
    unpack_account_index,
)

from tests.helpers import data


@pytest.mark.parametrize("index", [0, 1, 2**20 - 1, 2**32 - 1])
def test_account_index_round_trips(index: int) -> None:
    packed = pack_account_index(data.ADDR, index)
    assert packed == index * 2**ADDRESS_BITS + int(data.ADDR, 16)
    assert unpack_account_index(packed) == (data.ADDR, index)


def test_packing_refuses_what_does_not_fit() -> None:
    with pytest.raises(ValueError):
        pack_account_index(2**160, 0)
    with pytest.raises(ValueError):
        pack_account_index(data.ADDR, -1)


def test_claims_decode_every_signal() -> None:
    assert SIGNAL_NAMES == ("solvent", "account_index", "ledger_root", "market_root")
    claims = claims_from_signals([1, pack_account_index(data.OTHER_ADDR, 7), 5, 6], 42)
    assert tuple(claims) == CLAIM_NAMES
    assert claims["account"] == data.OTHER_ADDR and claims["index"] == 7 and claims["solvent"] is True
    assert claims["ledger_root"] == "0x" + "00" * 31 + "05" and claims["epoch"] == 42
    for bad in ([2, 0, 0, 0], [1, 0, 0], [0, 2**230, 0, 0]):
        with pytest.raises(ValueError):
            claims_from_signals(bad, 42)


def test_the_verifier_and_ledger_files_need_no_pydantic(tmp_path: Path) -> None:
    import json

    led = tmp_path / "ledger.json"
    led.write_text(
        json.dumps({"format": "zksolvency-ledger/1", "epoch": 1, "root": "0x" + "00" * 32, "depth": 4, "accounts": []})
    )
    code = (
        "import sys; from pathlib import Path\n"
        "import zksolvency.verifier.verify\n"
        "from zksolvency.zkcore.ledger import load_ledger_info\n"
        f"load_ledger_info(Path({str(led)!r}))\n"
        "assert 'pydantic' not in sys.modules, 'pydantic was imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
