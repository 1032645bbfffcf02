"""Gas of every registry call a venue, a trader and a keeper make in an epoch, on real proofs.

    .venv/bin/python -m bench.registry [--build DIR]

A fresh anvil, the test instance's generated verifiers and the real registry: 16 solvent accounts
and one insolvent account in one ledger, proved at two epochs. Measured (gasUsed of mined
transactions, 21,000 and calldata included), each call on a snapshot of the same state:
``publishLedger``, ``attest`` (first epoch after enrollment, a later epoch), ``attestBatch`` of 16
per account, ``flagInsolvent``, ``flagStale`` of 1 and of 16 accounts, ``resolveFlag``, and an
``attest`` that clears a stale flag where the registry allows it. Prints one JSON object as the
last line, so two runs (before and after a contract change) can be compared.
"""

from __future__ import annotations

import inspect
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from zksolvency.prover.config import build_dir

from bench.gas import test_keys

SOLVENT = 16
GRACE = 3600
LEDGER_GRACE = 1800


def prove_ledger(build: Path, work: Path) -> dict[int, list[dict[str, Any]]]:
    """SOLVENT solvent accounts and one insolvent one (the last index), proved at epochs 42 and 43."""
    import zksolvency

    from tests.helpers import data

    books = [data.account(account=f"0x{0xBE7C5000 + i:040x}", nonce=i, salt=f"0x{2**200 + i:x}") for i in range(SOLVENT)]
    books.append({**data.INSOLVENT, "account": f"0x{0xBE7C5000 + SOLVENT:040x}", "salt": f"0x{2**201:x}"})
    files = []
    for i, b in enumerate(books):
        f = work / f"account{i}.json"
        f.write_text(json.dumps(b))
        files.append(f)
    out: dict[int, list[dict[str, Any]]] = {}
    for epoch in (42, 43):
        market = work / f"market{epoch}.json"
        market.write_text(json.dumps(data.market(epoch=epoch)))
        shutil.rmtree(work / f"ledger{epoch}", ignore_errors=True)
        built = zksolvency.build_ledger(files, market, work / f"ledger{epoch}", config="test")
        out[epoch] = []
        for addr, st in sorted(built.statements.items(), key=lambda kv: kv[1].index):
            bundle = work / f"bundle{epoch}-{addr}.json"
            if not bundle.is_file() or json.loads(bundle.read_text())["public_signals"][2] != str(st.ledger_root):
                zksolvency.prove(
                    work / f"ledger{epoch}" / "statements" / f"{addr}.json", market, bundle, config="test", build_dir=build
                )
            out[epoch].append(json.loads(bundle.read_text()))
        print(f"  proved {len(books)} accounts at epoch {epoch}", file=sys.stderr)
    return out


def measure(art: Any, circuit: str, build: Path, raw: dict[int, list[dict[str, Any]]], work: Path) -> dict[str, int]:
    """Deploy on a fresh anvil and measure each call on a snapshot."""
    from web3.types import RPCEndpoint
    from zksolvency.onchain import anvil
    from zksolvency.onchain.client import Chain

    node = anvil.start(build_dir() / "bench-registry-chain")
    gas: dict[str, int] = {}
    try:
        ch = Chain(node.rpc, build_dir() / "bench-registry-chain" / "deployment.json", build)
        kwargs: dict[str, Any] = (
            {"ledger_grace": LEDGER_GRACE} if "ledger_grace" in inspect.signature(ch.deploy).parameters else {}
        )
        ch.deploy(art.solidity, circuit, GRACE, **kwargs)
        accounts = [b["claims"]["account"] for b in raw[42]]
        ch.enroll(accounts)
        rpc = ch.w3.provider.make_request

        def isolated(name: str, f: Any) -> None:
            snap = rpc(RPCEndpoint("evm_snapshot"), [])["result"]
            try:
                gas[name] = int(f())
            finally:
                rpc(RPCEndpoint("evm_revert"), [snap])

        def bundle_dir(epoch: int, n: int) -> Path:
            d = work / f"batch{epoch}-{n}"
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir()
            for b in raw[epoch][:n]:
                (d / f"{b['claims']['account']}.json").write_text(json.dumps(b))
            return d

        insolvent = raw[42][SOLVENT]
        for epoch in (42, 43):
            first = raw[epoch][0]
            ch.publish(epoch, int(first["public_signals"][3]))
            isolated(
                f"publishLedger@{epoch}", lambda e=epoch, f=first: ch.publish_ledger(e, int(f["public_signals"][2])).gas_used
            )
            ch.publish_ledger(epoch, int(first["public_signals"][2]))
            isolated(f"attest@{epoch}", lambda e=epoch: ch.submit_proof("attest", raw[e][0]).gas_used)
            d = bundle_dir(epoch, SOLVENT)
            isolated(f"attestBatch{SOLVENT}@{epoch}", lambda d=d: ch.attest_batch([d], max_n=SOLVENT).transactions[0].gas_used)
            if epoch == 42:
                isolated("flagInsolvent", lambda: ch.submit_proof("flag", insolvent).gas_used)

                def resolve() -> int:
                    ch.submit_proof("flag", insolvent)
                    return ch.resolve_flag(accounts[SOLVENT]).gas_used

                isolated("resolveFlag", resolve)
                ch.attest_batch([d], max_n=SOLVENT)
        # epoch 43 is published and its ledger too; nobody attested it: flagStale after the deadline
        ch.advance_time(GRACE + LEDGER_GRACE + 1)
        isolated("flagStale1", lambda: ch.flag_stale(accounts[:1]).gas_used)
        isolated(f"flagStale{SOLVENT}", lambda: ch.flag_stale(accounts[:SOLVENT]).gas_used)

        def clear_stale() -> int:
            ch.flag_stale(accounts[:1])
            return ch.submit_proof("attest", raw[43][0]).gas_used

        try:
            isolated("attestClearingStale", clear_stale)
        except Exception as e:  # a registry that refuses a stale-flagged account's attestation
            print(f"  attest of a stale-flagged account: refused ({str(e)[:80]})", file=sys.stderr)
    finally:
        anvil.stop(node.pid)
    return gas


def main() -> int:
    """Prove the ledger (cached), measure, print a table and one JSON line."""
    cfg, art, build, work = test_keys(__doc__, "registry")
    raw = prove_ledger(build, work)
    gas = measure(art, cfg.name, build, raw, work)
    print(f"registry gas: circuit {cfg.name}, real proofs on anvil")
    for name, g in gas.items():
        per = f"  ({g // SOLVENT:,} per account)" if name.startswith(("attestBatch", f"flagStale{SOLVENT}")) else ""
        print(f"  {name:<28} {g:>10,}{per}")
    print(json.dumps(gas))
    return 0


if __name__ == "__main__":
    sys.exit(main())
