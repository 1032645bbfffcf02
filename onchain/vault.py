"""A thin client for the example margin vault (``contracts/examples``): deploy ``MarginVault`` and
its ``InsuranceFund`` beside a registry deployment, then deposit, withdraw, liquidate, release and
read balances.

Built on :class:`~zksolvency.onchain.client.Chain`: deployments go through
``Chain.deploy_contract`` and transactions through ``Chain.send``, so a refusal comes back as the
vault's custom error name (``reverted: MarginVault__NotSolvent(account=0x…)``). Amounts are token
units (integers), never floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from zksolvency.onchain.client import Chain
from zksolvency.onchain.deployment import chain_dir
from zksolvency.onchain.solc import Compiled, compile_sources, contracts_dir
from zksolvency.onchain.tx import ChainError, TxResult

#: Basis points in one whole (the vault's ``BPS``).
BPS = 10_000
#: The registry's flags, by their enum value.
FLAGS = ("none", "insolvent", "stale")
#: The vault's sources (under contracts/): the example contracts and the one interface they use.
SOURCES = (
    Path("examples") / "MarginVault.sol",
    Path("examples") / "InsuranceFund.sol",
    Path("examples") / "ExampleUSD.sol",
    Path("interfaces") / "ISolvencyRegistry.sol",
)


@dataclass(frozen=True)
class Split:
    """How a liquidation divides a seized deposit (token units): ``bounty + penalty + held``."""

    bounty: int
    penalty: int
    held: int


@dataclass(frozen=True)
class VaultParams:
    """The vault's immutable liquidation policy."""

    min_bounty: int  # token units
    bounty_bps: int
    penalty_bps: int

    def __post_init__(self) -> None:
        if self.min_bounty < 0 or self.bounty_bps < 0 or self.penalty_bps < 0:
            raise ValueError("vault parameters are non-negative")

    def split(self, seized: int) -> Split:
        """The contract's ``split``, in Python (a keeper's profit check before it sends):
        bounty = min(seized, max(min_bounty, ⌊seized·bounty_bps/BPS⌋)),
        penalty = min(seized − bounty, ⌊seized·penalty_bps/BPS⌋), held = the rest."""
        bounty = min(seized, max(self.min_bounty, seized * self.bounty_bps // BPS))
        penalty = min(seized - bounty, seized * self.penalty_bps // BPS)
        return Split(bounty, penalty, seized - bounty - penalty)


@dataclass(frozen=True)
class VaultAddresses:
    """Where a vault, its insurance fund and its collateral token live."""

    vault: str
    fund: str
    token: str

    def as_json(self) -> dict[str, str]:
        """For a deployment record."""
        return {"vault": self.vault, "fund": self.fund, "token": self.token}


@dataclass(frozen=True)
class LiquidationResult(TxResult):
    """A mined ``liquidate``: whose deposit, under which flag, and how it was split."""

    account: str
    flag: str
    seized: int
    split: Split


def vault_contracts(cache_dir: Path) -> dict[str, Compiled]:
    """Compile the example vault and insurance fund (with OpenZeppelin), cached by their sources."""
    src = contracts_dir()
    return compile_sources({str(Path("contracts") / p): (src / p).read_text() for p in SOURCES}, cache_dir)


class Vault:
    """One deployed ``MarginVault`` with its ``InsuranceFund`` and token, on a :class:`Chain`."""

    def __init__(self, chain: Chain, addresses: VaultAddresses, compiled: dict[str, Compiled] | None = None) -> None:
        """Attach to a deployed vault; compiles the example contracts when ``compiled`` lacks them
        (their ABIs, and so their custom errors, become known to ``chain``)."""
        self.chain = chain
        self.addresses = addresses
        if compiled is None or "MarginVault" not in compiled:
            compiled = vault_contracts(chain_dir(chain.build) / "solc-cache")
        chain.add_compiled(compiled)
        w3 = chain.w3
        self.vault: Contract = w3.eth.contract(address=Web3.to_checksum_address(addresses.vault), abi=compiled["MarginVault"].abi)
        self.fund: Contract = w3.eth.contract(address=Web3.to_checksum_address(addresses.fund), abi=compiled["InsuranceFund"].abi)
        self.token: Contract = w3.eth.contract(address=Web3.to_checksum_address(addresses.token), abi=compiled["IERC20"].abi)

    # ------------------------------------------------------------ reads

    def params(self) -> VaultParams:
        """The vault's liquidation policy, read from the chain."""
        f = self.vault.functions
        return VaultParams(int(f.minBounty().call()), int(f.bountyBps().call()), int(f.penaltyBps().call()))

    def balance(self, account: str) -> int:
        """``account``'s deposit in the vault."""
        return int(self.vault.functions.balanceOf(Web3.to_checksum_address(account)).call())

    def held(self, account: str) -> int:
        """What liquidations of ``account`` hold for the venue's liquidator."""
        return int(self.vault.functions.heldOf(Web3.to_checksum_address(account)).call())

    def token_balance(self, holder: str) -> int:
        """``holder``'s balance of the collateral token."""
        return int(self.token.functions.balanceOf(Web3.to_checksum_address(holder)).call())

    def fund_balance(self) -> int:
        """What the insurance fund holds."""
        return int(self.fund.functions.balance().call())

    def split(self, seized: int) -> Split:
        """The contract's own split of ``seized`` (an ``eth_call``)."""
        bounty, penalty, held = self.vault.functions.split(seized).call()
        return Split(int(bounty), int(penalty), int(held))

    # ------------------------------------------------------------ traders

    def approve(self, owner: str, amount: int) -> TxResult:
        """Token: let the vault pull ``amount`` from ``owner``."""
        return self.chain.send(self.token.functions.approve(self.vault.address, amount), owner)

    def deposit(self, account: str, amount: int, *, approve: bool = True) -> TxResult:
        """Vault: deposit ``amount`` from ``account`` (approving it first unless ``approve`` is
        False); the result is the deposit transaction alone."""
        if approve:
            self.approve(account, amount)
        return self.chain.send(self.vault.functions.deposit(amount), account)

    def withdraw(self, account: str, amount: int) -> TxResult:
        """Vault: withdraw ``amount`` of ``account``'s deposit (only while attested solvent)."""
        return self.chain.send(self.vault.functions.withdraw(amount), account)

    # ------------------------------------------------------------ keepers and the liquidator

    def liquidate(self, account: str, sender: str | None = None) -> LiquidationResult:
        """Vault: liquidate a flagged account's deposit; the bounty goes to ``sender``."""
        addr = Web3.to_checksum_address(account)
        res = self.chain.send(self.vault.functions.liquidate(addr), sender)
        receipt = self.chain.w3.eth.get_transaction_receipt(res.tx_hash)
        events = self.vault.events.Liquidated().process_receipt(receipt, errors=DISCARD)  # the token's Transfer logs
        if len(events) != 1:
            raise ChainError(f"liquidate {res.tx_hash}: expected one Liquidated event, got {len(events)}")
        a: Any = events[0]["args"]
        split = Split(int(a["bounty"]), int(a["penalty"]), int(a["held"]))
        return LiquidationResult(
            res.tx_hash, res.gas_used, res.block, str(a["account"]), FLAGS[int(a["flag"])], int(a["seized"]), split
        )

    def release(self, account: str, to: str, amount: int, sender: str | None = None) -> TxResult:
        """Vault (liquidator): pay ``amount`` held from ``account``'s liquidation out to ``to``."""
        fn = self.vault.functions.release(Web3.to_checksum_address(account), Web3.to_checksum_address(to), amount)
        return self.chain.send(fn, sender)

    def cover(self, to: str, amount: int, sender: str | None = None) -> TxResult:
        """Insurance fund (guardian): pay ``amount`` to ``to`` to absorb a shortfall."""
        return self.chain.send(self.fund.functions.cover(Web3.to_checksum_address(to), amount), sender)

    def role_id(self, role: str) -> bytes:
        """The AccessControl id of a vault role ("admin" or "liquidator")."""
        if role == "admin":
            return b"\x00" * 32
        if role != "liquidator":
            raise ValueError(f"the vault has no {role!r} role")
        return bytes(self.vault.functions.LIQUIDATOR_ROLE().call())


def deploy_vault(
    chain: Chain,
    token: str,
    params: VaultParams,
    *,
    admin: str | None = None,
    liquidator: str | None = None,
    guardian: str | None = None,
    sender: str | None = None,
) -> Vault:
    """Deploy an ``InsuranceFund`` and a ``MarginVault`` for ``token`` beside the chain's registry
    deployment. Roles default to the sender: ``admin`` (roles on both), ``liquidator`` (the vault's
    ``LIQUIDATOR_ROLE``: the venue's liquidator), ``guardian`` (pays out of the fund)."""
    compiled = vault_contracts(chain_dir(chain.build) / "solc-cache")
    chain.add_compiled(compiled)
    deployer = sender or chain.default_sender()
    registry = chain.deployment["registry"]
    token = Web3.to_checksum_address(token)
    fund, _ = chain.deploy_contract("InsuranceFund", token, admin or deployer, guardian or deployer, sender=deployer)
    vault, _ = chain.deploy_contract(
        "MarginVault",
        registry,
        token,
        fund,
        params.min_bounty,
        params.bounty_bps,
        params.penalty_bps,
        admin or deployer,
        liquidator or deployer,
        sender=deployer,
    )
    return Vault(chain, VaultAddresses(vault, fund, token), compiled)
