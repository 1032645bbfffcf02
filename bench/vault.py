"""Gas of the example margin vault (contracts/examples): deposit, withdraw, liquidation slices,
release and a shortfall report on a fresh anvil, gated by the registry with real proofs, beside the
same vault built with OpenZeppelin's storage-slot ReentrancyGuard instead of the transient one, in
the same run.

    .venv/bin/python -m bench.vault [--build DIR]

A two-account test ledger (one solvent book, one under water) is proved at epoch 42 (kept under
build/ per verification key: a rerun proves only what is missing); the solvent account is
attested, the other flagged insolvent by its proof and liquidated in all its slices, a third account
(enrolled, silent) flagged stale after the grace period and liquidated after its cure window. The
vault has the client's default policy (``VaultParams.for_decimals(18)``). Gas is the gasUsed of a
mined transaction (21,000 and calldata included), of a plain OpenZeppelin ERC-20; printed, never
asserted.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zksolvency.prover.config import build_dir

from bench.gas import test_keys

UNIT = 10**18
GRACE = 3600
ROWS = (
    ("deposit, first (creates the balance)", "deposit first"),
    ("deposit, top-up", "deposit top-up"),
    ("withdraw, part (attested solvent)", "withdraw part"),
    ("withdraw, the rest (zeroes the balance)", "withdraw rest"),
    ("liquidate, first slice, insolvent", "liquidate first"),
    ("liquidate, next slice", "liquidate next"),
    ("liquidate, last slice (zeroes the deposit)", "liquidate last"),
    ("release, all held", "release"),
    ("reportShortfall (the fund pays)", "report shortfall"),
    ("liquidate, first slice, stale", "liquidate stale"),
)


def prove_ledger(build: Path, work: Path) -> dict[str, dict[str, Any]]:
    """The solvent and the insolvent test account in one ledger at epoch 42: name -> bundle."""
    import zksolvency

    from tests.helpers import data

    books = {
        "solvent": data.account(account=data.OTHER_ADDR, nonce=0, salt=data.OTHER_SALT),
        "insolvent": data.INSOLVENT,
    }
    files = []
    for name, book in books.items():
        files.append(work / f"{name}.account.json")
        files[-1].write_text(json.dumps(book))
    market = work / "market42.json"
    market.write_text(json.dumps(data.market(epoch=42)))
    shutil.rmtree(work / "ledger", ignore_errors=True)  # the same books give the same ledger
    built = zksolvency.build_ledger(list(files), market, work / "ledger", config="test")
    out = {}
    for name, book in books.items():
        addr = next(a for a in built.statements if a.lower() == str(book["account"]).lower())
        bundle = work / f"{name}.bundle.json"
        if not bundle.is_file() or json.loads(bundle.read_text())["public_signals"][2] != str(built.statements[addr].ledger_root):
            zksolvency.prove(work / "ledger" / "statements" / f"{addr}.json", market, bundle, config="test", build_dir=build)
        out[name] = json.loads(bundle.read_text())
    print("  proved the 2-account ledger at epoch 42", file=sys.stderr)
    return out


def measure(art: Any, circuit: str, build: Path, bundles: dict[str, dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Deploy the registry on a fresh anvil, attest and flag with the proofs, then run the same
    sequence on each vault variant: variant -> row key -> gas."""
    from web3 import Web3
    from web3.types import RPCEndpoint
    from zksolvency.onchain import anvil
    from zksolvency.onchain.client import Chain
    from zksolvency.onchain.tx import Flag
    from zksolvency.onchain.vault import Vault, VaultAddresses, VaultParams, deploy_vault, vault_contracts

    from tests.helpers.vault import cache, deploy_test_contract, deploy_token, mint, vault_variant

    params = VaultParams.for_decimals(18)
    node = anvil.start(build_dir() / "bench-chain")
    try:
        ch = Chain(node.rpc, build_dir() / "bench-chain" / "deployment.json", build)
        ch.deploy(art.solidity, circuit, GRACE)
        # dev accounts (an address Chain impersonates is not topped up with gas again after a revert)
        dev = [str(a) for a in ch.w3.eth.accounts]
        keeper, silent = dev[5], dev[6]
        solvent = Web3.to_checksum_address(bundles["solvent"]["claims"]["account"])
        insolvent = Web3.to_checksum_address(bundles["insolvent"]["claims"]["account"])
        order = sorted([(int(b["claims"]["index"]), Web3.to_checksum_address(b["claims"]["account"])) for b in bundles.values()])
        ch.enroll([a for _, a in order] + [silent])
        sig = bundles["solvent"]["public_signals"]
        ch.publish(42, int(sig[3]))
        ch.publish_ledger(42, int(sig[2]))
        ch.submit_proof("attest", bundles["solvent"])

        def storage_guard(token: str) -> Vault:
            base = deploy_vault(ch, token, params)  # for its insurance fund
            variant = vault_variant(cache(ch), "StorageGuardMarginVault", guard="storage")
            reg = ch.deployment["registry"]
            me = ch.default_sender()
            args = (token, reg, base.addresses.fund, me, params.as_tuple(), me, me)
            c = deploy_test_contract(ch, variant, "StorageGuardMarginVault", *args)
            ch.send(base.fund.functions.grantRole(base.fund_role_id("vault"), c.address))
            # the same ABI as MarginVault: the client drives it as one
            compiled = vault_contracts(cache(ch)) | {"MarginVault": variant["StorageGuardMarginVault"]}
            return Vault(ch, VaultAddresses(c.address, base.addresses.fund, token), compiled)

        variants: dict[str, Callable[[str], Vault]] = {
            "transient": lambda token: deploy_vault(ch, token, params),
            "storage": storage_guard,
        }
        out: dict[str, dict[str, int]] = {}
        for name, make in variants.items():
            snap = ch.w3.provider.make_request(RPCEndpoint("evm_snapshot"), [])["result"]
            try:
                token = deploy_token(ch)
                v = make(token.address)
                for who, amount in ((solvent, 2000 * UNIT), (insolvent, 1000 * UNIT), (silent, 100 * UNIT)):
                    mint(ch, token, who, amount)
                    v.approve(who, amount)
                g = out[name] = {}
                g["deposit first"] = v.deposit(solvent, 1000 * UNIT, approve=False).gas_used
                g["deposit top-up"] = v.deposit(solvent, 1000 * UNIT, approve=False).gas_used
                g["withdraw part"] = v.withdraw(solvent, 500 * UNIT).gas_used
                g["withdraw rest"] = v.withdraw(solvent, 1500 * UNIT).gas_used
                v.deposit(insolvent, 1000 * UNIT, approve=False)
                v.deposit(silent, 100 * UNIT, approve=False)
                ch.submit_proof("flag", bundles["insolvent"])
                slices = [v.liquidate(insolvent, keeper)]
                while v.balance(insolvent) > 0:
                    ch.advance_time(params.cooldown)
                    slices.append(v.liquidate(insolvent, keeper))
                assert [r.flag for r in slices] == [Flag.INSOLVENT] * 5, slices
                g["liquidate first"], g["liquidate next"], g["liquidate last"] = (slices[i].gas_used for i in (0, 1, -1))
                g["release"] = v.release(insolvent, keeper, v.held(insolvent)).gas_used
                g["report shortfall"] = v.report_shortfall(insolvent, 100 * UNIT).gas_used
                ch.advance_time(GRACE)
                ch.flag_stale([silent])
                ch.advance_time(params.cure_window)
                r = v.liquidate(silent, keeper)
                assert r.flag == Flag.STALE, r
                g["liquidate stale"] = r.gas_used
            finally:
                ch.w3.provider.make_request(RPCEndpoint("evm_revert"), [snap])
        return out
    finally:
        anvil.stop(node.pid)


def report(gas: dict[str, dict[str, int]]) -> None:
    """Print one row per operation: the vault, the storage-guard variant, the difference."""
    print(f"  {'':<44} {'MarginVault':>12}  {'storage guard':>13}  {'saved':>7}")
    for label, key in ROWS:
        t, s = gas["transient"][key], gas["storage"][key]
        print(f"  {label:<44} {t:>12,}  {s:>13,}  {s - t:>7,}")
    print(
        "  first deposit: the vault's token balance and the trader's vault balance go 0 -> nonzero;\n"
        "  withdraw part: the trader's token balance 0 -> nonzero; the first slice records the\n"
        "  liquidation (two new slots), a held record and pays a keeper and a fund holding nothing yet\n"
        "  (two 0 -> nonzero balances); later slices rewrite warm-able slots; the last zeroes the deposit"
    )


def main() -> int:
    """Prove a 2-account test ledger, measure, print."""
    cfg, art, build, work = test_keys(__doc__, "vault")
    bundles = prove_ledger(build, work)
    print(f"margin vault gas: contracts/examples, registry of circuit {cfg.name}, real proofs on anvil")
    report(measure(art, cfg.name, build, bundles))
    return 0


if __name__ == "__main__":
    sys.exit(main())
