"""Ledger build time: 2^N accounts with the fast Poseidon and with the pure-Python reference, in
the same run, end to end (load and validate every account file, hash, write every statement).

    .venv/bin/python -m bench.ledger [--accounts 65536] [--depth 20] [--skip-reference]

Prints wall-clock seconds and the ratio; asserts nothing but that both ledgers have one root.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from zksolvency.zkcore.ledger import build_ledger, reference_node
from zksolvency.zkcore.poseidon import poseidon

MARKET = {
    "epoch": 42,
    "timestamp": 1764000000,
    "collateral": [{"asset": "USDC", "price": "1", "haircut": "0"}, {"asset": "ETH", "price": "3000.5", "haircut": "0.1"}],
    "instruments": [{"id": i, "symbol": f"I{i}", "mark_price": "100", "mm_tiers": [], "scenario_pnl": []} for i in range(1, 9)],
}


def write_accounts(d: Path, n: int) -> list[Path]:
    """n accounts with 2 holdings and 2 positions each (5 Poseidon hashes per leaf)."""
    rng = random.Random(0)
    out = []
    for i in range(n):
        acc = {
            "account": "0x" + (0x1000 + i).to_bytes(20, "big").hex(),
            "nonce": i,
            "salt": hex(rng.getrandbits(240)),
            "collateral": [{"asset": "USDC", "amount": str(rng.randrange(10**6))}, {"asset": "ETH", "amount": "1.5"}],
            "positions": [
                {"instrument": 1 + rng.randrange(4), "size": "-0.75", "entry_price": "98"},
                {"instrument": 5 + rng.randrange(4), "size": "10", "entry_price": "101.5"},
            ],
        }
        p = d / f"a{i}.json"
        p.write_text(json.dumps(acc))
        out.append(p)
    return out


def main() -> None:
    """Build the same ledger with each hash and print the times."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=1 << 16)
    ap.add_argument("--depth", type=int, default=20)
    ap.add_argument("--skip-reference", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="zks-bench-ledger-") as tmp:
        t = Path(tmp)
        (t / "market.json").write_text(json.dumps(MARKET))
        accounts = write_accounts(t, args.accounts)
        roots = []
        runs: list[tuple[str, dict[str, Any]]] = [
            ("fast (light-poseidon)", {}),
            ("reference (pure Python)", {"hash_fn": poseidon, "node": reference_node}),
        ]
        for label, kw in runs[: 1 if args.skip_reference else 2]:
            out = t / "L"
            start = time.monotonic()
            built = build_ledger(accounts, t / "market.json", out, depth=args.depth, **kw)
            seconds = time.monotonic() - start
            roots.append(built.info.root)
            print(f"ledger build, {args.accounts:,} accounts, depth {args.depth}, {label}: {seconds:.1f} s", flush=True)
            shutil.rmtree(out)
        assert len(set(roots)) == 1, "the fast and the reference ledgers differ"


if __name__ == "__main__":
    main()
