"""Test-only Solidity for the example vault's tests and bench: tokens (a plain one, a
fee-on-transfer one, one that calls back into the vault) and variants of the vault itself for
control experiments. All compiled with ``compile_sources``: none of it ships under contracts/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from web3 import Web3
from web3.contract import Contract
from zksolvency.onchain.client import Chain
from zksolvency.onchain.deployment import chain_dir
from zksolvency.onchain.solc import Compiled, compile_sources, contracts_dir
from zksolvency.onchain.vault import Vault, VaultParams, deploy_vault

from tests.helpers.chain import Roles
from tests.helpers.registry import ADDR, bundle

SOLIDITY = Path(__file__).with_name("solidity")
VAULT_SOL = contracts_dir() / "examples" / "MarginVault.sol"
#: What the vault's source imports from the checkout (beside OpenZeppelin).
IMPORTS = (
    "contracts/interfaces/ISolvencyRegistry.sol",
    "contracts/interfaces/IMarginOracle.sol",
    "contracts/examples/InsuranceFund.sol",
)
#: The vault's entry points that carry the reentrancy guard: deposit, withdraw, liquidate,
#: liquidateAtLeast, release, reportShortfall.
GUARDED = 6


def cache(chain: Chain) -> Path:
    """The chain's solc cache directory."""
    return chain_dir(chain.build) / "solc-cache"


def solidity_contracts(cache_dir: Path) -> dict[str, Compiled]:
    """TestToken, FeeToken and MaliciousToken."""
    sources = {f"tests/helpers/solidity/{p.name}": p.read_text() for p in sorted(SOLIDITY.glob("*.sol"))}
    return compile_sources(sources, cache_dir)


def vault_variant(cache_dir: Path, name: str, *, guard: str) -> dict[str, Compiled]:
    """MarginVault's own source, renamed ``name``, with its reentrancy guard replaced: ``guard`` is
    "none" (every ``nonReentrant`` removed: the control experiment that shows what the guard
    stops) or "storage" (OpenZeppelin's storage-slot ``ReentrancyGuard`` instead of the transient
    one: to measure what the transient guard saves). Checked to change exactly what it says."""
    src = VAULT_SOL.read_text()
    renamed = src.replace("contract MarginVault is", f"contract {name} is")
    assert renamed.count(f"contract {name} is") == 1
    if guard == "none":
        assert renamed.count(" nonReentrant") == GUARDED
        variant = renamed.replace(" nonReentrant", "")
    elif guard == "storage":
        assert renamed.count("ReentrancyGuardTransient") == 3  # import (twice on its line) and base
        variant = renamed.replace("ReentrancyGuardTransient", "ReentrancyGuard")
    else:
        raise ValueError(guard)
    root = contracts_dir().parent
    sources = {f"contracts/examples/{name}.sol": variant} | {p: (root / p).read_text() for p in IMPORTS}
    return compile_sources(sources, cache_dir)


def deploy_test_contract(chain: Chain, compiled: dict[str, Compiled], name: str, *args: object) -> Contract:
    """Deploy one of ``compiled`` with the chain (its errors become readable in refusals)."""
    chain.add_compiled(compiled)
    address, _ = chain.deploy_contract(name, *args)
    contract: Contract = chain.w3.eth.contract(address=Web3.to_checksum_address(address), abi=compiled[name].abi)
    return contract


def deploy_token(chain: Chain, name: str = "TestToken") -> Contract:
    """Deploy a test token (TestToken, FeeToken or MaliciousToken)."""
    return deploy_test_contract(chain, solidity_contracts(cache(chain)), name)


def mint(chain: Chain, token: Contract, to: str, amount: int) -> None:
    """Mint test tokens."""
    chain.send(token.functions.mint(Web3.to_checksum_address(to), amount))


def create_address(sender: str, nonce: int) -> str:
    """The address a CREATE from ``sender`` at ``nonce`` deploys to: keccak(rlp([sender, nonce]))."""

    def rlp_int(n: int) -> bytes:
        if n == 0:
            return b"\x80"
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        return b if len(b) == 1 and b[0] < 0x80 else bytes([0x80 + len(b)]) + b

    payload = b"\x94" + bytes.fromhex(Web3.to_checksum_address(sender)[2:]) + rlp_int(nonce)
    return Web3.to_checksum_address(Web3.keccak(bytes([0xC0 + len(payload)]) + payload)[12:])


UNIT = 10**18
#: The client's defaults: slices of 20% of the basis 30 s apart; the bounty rises from 10 tokens to
#: 5% of the slice over 600 s; a 3% penalty; a 900 s cure window for stale flags.
PARAMS = VaultParams.for_decimals(18)


@dataclass(frozen=True)
class Actors:
    """Who does what around the vault (none of them holds a registry role)."""

    keeper: str  # liquidates for the bounty
    liquidator: str  # the venue's liquidator: the vault's LIQUIDATOR_ROLE
    guardian: str  # pays out of the insurance fund
    newcomer: str  # a trader enrolled with the others, who never attests
    treasury: str  # the venue's own account (ADDR, the insolvent trader, is anvil's venue account)


def new_vault(chain: Chain, roles: Roles, actors: Actors, token: str | Contract = "TestToken") -> tuple[Vault, Contract]:
    """A vault of the client's default policy on ``token``: a deployed token contract, or the name
    of a contract of tests/helpers/solidity to deploy fresh."""
    t = deploy_token(chain, token) if isinstance(token, str) else token
    v = deploy_vault(
        chain,
        t.address,
        PARAMS,
        venue=actors.treasury,
        admin=roles.admin,
        liquidator=actors.liquidator,
        guardian=actors.guardian,
        sender=roles.admin,
    )
    return v, t


def funded(chain: Chain, v: Vault, token: Contract, account: str, amount: int) -> None:
    """Mint ``amount`` to ``account`` and deposit it."""
    mint(chain, token, account, amount)
    v.deposit(account, amount)


def flag_insolvent(chain: Chain, venue_proofs: Path) -> int:
    """Flag ADDR with the real `solvent = 0` proof of its ledger entry (epoch 42); returns the
    flag's time (`flaggedAt`)."""
    chain.submit_proof("flag", bundle(venue_proofs, "insolvent"))
    return int(chain.status(ADDR)["flagged_at"])
