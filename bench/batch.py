"""Gas of the generated batch verifier per account for N = 1, 4, 16, 32, beside the single
generated verifier, and how close N = 32 comes to the asymptote, all in the same run on anvil.

    .venv/bin/python -m bench.batch [--build DIR]

Real proofs of the test instance: a 32-account ledger proved here at two epochs, re-randomized
into as many distinct proofs as BATCH_MAX needs for the verifier alone (A' = sA, B' = B/s + t delta,
C' = C + tA'; each checked by the Python verifier). attestBatch runs on the registry with the
ledger's own proofs, at the first epoch after enrollment and at a later one. Gas is the gasUsed
of a mined transaction (21,000 and calldata included); for the verifiers alone, after checking
with eth_call that the same batch returns true.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zksolvency.prover.config import build_dir
from zksolvency.verifier.groth16 import BATCH_MAX, parse_proof, parse_signals, parse_vkey, prepare, verify_fast

from bench.gas import test_keys

SIZES = (1, 4, 16, 32, BATCH_MAX)
PAIRING_PER_PAIR = 34_000  # EIP-1108
EC_MUL = 6_000
EC_ADD = 150


def calldata_gas(data: bytes) -> int:
    """Intrinsic calldata gas: 16 per non-zero byte, 4 per zero byte."""
    return sum(16 if x else 4 for x in data)


@dataclass(frozen=True)
class BatchGas:
    """One run's measurements."""

    single: int  # one verifyProof transaction
    batch: dict[int, int]  # N -> verifyBatch transaction gas
    calldata_per_proof: int  # calldata gas of one proof's 12 words (average)

    @property
    def asymptote(self) -> int:
        """Per-proof floor: one pairing, two scalar multiplications, one addition, the calldata."""
        return PAIRING_PER_PAIR + 2 * EC_MUL + EC_ADD + self.calldata_per_proof

    def per_account(self, n: int) -> float:
        """Batch gas per proof."""
        return self.batch[n] / n


def distinct_entries(bundles: list[dict[str, Any]], vk_json: dict[str, Any], n: int) -> list[tuple[dict[str, Any], list[str]]]:
    """n distinct valid proofs: the bundles, then re-randomized copies (each checked in Python)."""
    from tests.helpers.groth16 import rerandomize

    pk = prepare(parse_vkey(vk_json))
    out = [(b["proof"], b["public_signals"]) for b in bundles]
    k = 0
    while len(out) < n:
        b = bundles[k % len(bundles)]
        p = rerandomize(b["proof"], vk_json, 7919 + 13 * k, 104729 + k)
        assert verify_fast(pk, parse_proof(p), parse_signals(b["public_signals"], pk.vk.n_public))
        out.append((p, b["public_signals"]))
        k += 1
    return out[:n]


def measure(vk_json: dict[str, Any], single_sol: Path, batch_sol: Path, bundles: list[dict[str, Any]]) -> BatchGas:
    """Deploy both generated verifiers on a fresh anvil and measure them on real proofs."""
    from web3 import Web3
    from zksolvency.onchain import anvil
    from zksolvency.onchain.solc import compile_sources
    from zksolvency.onchain.tx import proof_calldata

    entries = distinct_entries(bundles, vk_json, max(SIZES))
    compiled = compile_sources(
        {"Groth16Verifier.sol": single_sol.read_text(), "Groth16BatchVerifier.sol": batch_sol.read_text()},
        build_dir() / "bench-chain" / "solc-cache",
    )
    node = anvil.start(build_dir() / "bench-chain")
    try:
        w3 = Web3(Web3.HTTPProvider(node.rpc))
        frm = w3.eth.accounts[0]

        def deploy(name: str) -> Any:
            c = compiled[name]
            h = w3.eth.contract(abi=c.abi, bytecode=c.bytecode).constructor().transact({"from": frm})
            return w3.eth.contract(address=w3.eth.wait_for_transaction_receipt(h)["contractAddress"], abi=c.abi)

        def mined_gas(fn: Any) -> int:
            assert fn.call({"from": frm}) is True  # the same call verifies
            h = fn.transact({"from": frm, "gas": 15_000_000})
            return int(w3.eth.wait_for_transaction_receipt(h)["gasUsed"])

        single, batch = deploy("Groth16Verifier"), deploy("Groth16BatchVerifier")
        cd = [proof_calldata(p, s) for p, s in entries]
        single_gas = mined_gas(single.functions.verifyProof(*cd[0]))
        batch_gas = {}
        for n in SIZES:
            cols = [[c[k] for c in cd[:n]] for k in range(4)]
            batch_gas[n] = mined_gas(batch.functions.verifyBatch(*cols))
        words = [calldata_gas(b"".join(int(x).to_bytes(32, "big") for x in (*a, *b[0], *b[1], *c, *s))) for a, b, c, s in cd]
        return BatchGas(single_gas, batch_gas, sum(words) // len(words))
    finally:
        anvil.stop(node.pid)


def report(g: BatchGas, attest_gas: int | None = None) -> None:
    """Print the table (ratios against the single attest when it was measured in the same run)."""
    print(f"  {'verifyProof (single generated verifier)':<44} {g.single:>12,}  per account")
    for n in SIZES[:-1]:
        per = g.per_account(n)
        note = f"{per / g.single:.3f}x single verifyProof"
        if attest_gas:
            note += f", {per / attest_gas:.3f}x single attest"
        print(f"  {f'verifyBatch N = {n}':<44} {round(per):>12,}  per account ({g.batch[n]:,} total; {note})")
    marginal = (g.batch[32] - g.batch[16]) / 16
    print(
        f"  {'asymptote per proof':<44} {g.asymptote:>12,}  = pairing 34,000 + 2 ecMul 12,000 + ecAdd 150 "
        f"+ calldata {g.calldata_per_proof:,}"
    )
    print(
        f"  {'marginal proof, N = 16 -> 32':<44} {round(marginal):>12,}  {marginal / g.asymptote:.3f}x asymptote "
        "(adds the duplicate table, hashing, checks, memory)"
    )
    print(f"  {'N = 32 per account over the asymptote':<44} {g.per_account(32) / g.asymptote:>12.3f}x")
    print(
        f"  {f'N = BATCH_MAX = {BATCH_MAX}: transaction gas':<44} {g.batch[BATCH_MAX]:>12,}  "
        f"{g.batch[BATCH_MAX] / 2**24:.2f} of the 2^24 per-transaction cap (EIP-7825)"
    )
    if attest_gas:
        print("  (attestBatch adds per account: the binding checks and the storage write)")


ACCOUNTS = 32


def prove_ledgers(build: Path, work: Path, n: int) -> dict[int, list[Path]]:
    """n solvent test accounts in one ledger, proved at epochs 42 and 43: epoch -> bundle paths."""
    import zksolvency

    from tests.helpers import data

    out: dict[int, list[Path]] = {}
    accounts = []
    for i in range(n):
        a = work / f"account{i}.json"
        a.write_text(json.dumps(data.account(account=f"0x{0xBE7C4000 + i:040x}", nonce=i, salt=f"0x{2**200 + i:x}")))
        accounts.append(a)
    for epoch in (42, 43):
        market = work / f"market{epoch}.json"
        market.write_text(json.dumps(data.market(epoch=epoch)))
        shutil.rmtree(work / f"ledger{epoch}", ignore_errors=True)  # the same books give the same ledger
        built = zksolvency.build_ledger(list(accounts), market, work / f"ledger{epoch}", config="test")
        by_index = sorted(built.statements.items(), key=lambda kv: kv[1].index)
        out[epoch] = []
        for addr, st in by_index:
            bundle = work / f"bundle{epoch}-{addr}.json"
            # kept under build/ per key and ledger root: a rerun proves only what is missing
            if not bundle.is_file() or json.loads(bundle.read_text())["public_signals"][2] != str(st.ledger_root):
                statement = work / f"ledger{epoch}" / "statements" / f"{addr}.json"
                zksolvency.prove(statement, market, bundle, config="test", build_dir=build)
            out[epoch].append(bundle)
        print(f"  proved {n} accounts at epoch {epoch}", file=sys.stderr)
    return out


@dataclass(frozen=True)
class RegistryGas:
    """attest and attestBatch gas at the first epoch after enrollment and at a later epoch."""

    attest: dict[int, int]  # epoch -> single attest gas
    batch: dict[int, dict[int, int]]  # epoch -> N -> attestBatch gas


def measure_registry(art: Any, circuit: str, build: Path, bundles: dict[int, list[Path]]) -> RegistryGas:
    """Deploy the registry on a fresh anvil; attest and attestBatch the ledgers' accounts."""
    from web3.types import RPCEndpoint
    from zksolvency.onchain import anvil
    from zksolvency.onchain.client import Chain

    node = anvil.start(build_dir() / "bench-chain")
    try:
        ch = Chain(node.rpc, build_dir() / "bench-chain" / "deployment.json", build)
        ch.deploy(art.solidity, circuit, 3600)
        raw = {e: [json.loads(p.read_text()) for p in ps] for e, ps in bundles.items()}
        ch.enroll([b["claims"]["account"] for b in raw[42]])
        attest: dict[int, int] = {}
        batch: dict[int, dict[int, int]] = {}
        for epoch in (42, 43):
            b0 = raw[epoch][0]
            ch.publish(epoch, int(b0["public_signals"][3]))
            ch.publish_ledger(epoch, int(b0["public_signals"][2]))

            def isolated(f: Any) -> int:
                snap = ch.w3.provider.make_request(RPCEndpoint("evm_snapshot"), [])["result"]
                try:
                    return int(f().gas_used)
                finally:
                    ch.w3.provider.make_request(RPCEndpoint("evm_revert"), [snap])

            attest[epoch] = isolated(lambda e=epoch: ch.submit_proof("attest", raw[e][0]))
            batch[epoch] = {}
            for n in SIZES[:-1]:
                batch[epoch][n] = isolated(lambda n=n, e=epoch: _one(ch.attest_batch(bundles[e][:n], max_n=n)))
            ch.attest_batch(bundles[epoch])  # every account attested at this epoch before the next
        return RegistryGas(attest, batch)
    finally:
        anvil.stop(node.pid)


def _one(run: Any) -> Any:
    assert len(run.transactions) == 1
    return run.transactions[0]


def report_registry(r: RegistryGas, verify: BatchGas) -> None:
    """Print attestBatch per account beside attest, at the first and a later epoch."""
    for epoch, label in ((42, "first epoch after enrollment"), (43, "a later epoch")):
        single = r.attest[epoch]
        print(f"  {f'attest, {label}':<44} {single:>12,}  per account")
        for n in SIZES[:-1]:
            per = r.batch[epoch][n] / n
            over = per - verify.per_account(n)
            print(
                f"  {f'attestBatch N = {n}':<44} {round(per):>12,}  per account = {per / single:.3f}x attest "
                f"(registry {round(over):,} over verifyBatch)"
            )
    print(
        "  storage: one 32-byte slot per account (index, epoch seq, flags), already non-zero from enrollment:\n"
        "  an attestation is a cold read (2,100) + a non-zero rewrite (2,900), the EVM minimum for one account's"
        " own slot"
    )


def main() -> int:
    """Prove a 32-account test ledger at two epochs, measure, print."""
    cfg, art, build, work = test_keys(__doc__, "batch")
    vk_raw = json.loads(art.vkey.read_text())
    bundles = prove_ledgers(build, work, ACCOUNTS)
    print(f"batch verification gas: circuit {cfg.name} (4 public signals), real proofs on anvil")
    v = measure(vk_raw, art.solidity, art.batch_solidity, [json.loads(p.read_text()) for p in bundles[42]])
    report(v)
    print("\nattestBatch on the registry (same run, same proofs)")
    report_registry(measure_registry(art, cfg.name, build, bundles), v)
    return 0


if __name__ == "__main__":
    sys.exit(main())
