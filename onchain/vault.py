"""A thin client for the example margin vault (``contracts/examples``): deploy ``MarginVault`` and
its ``InsuranceFund`` beside a registry deployment, then deposit, withdraw, quote and liquidate
slices, release held amounts, report shortfalls and read balances and liquidation state.

Built on :class:`~zksolvency.onchain.client.Chain`: deployments go through
``Chain.deploy_contract`` and transactions through ``Chain.send``, so a refusal comes back as the
vault's custom error name (``reverted: MarginVault__NotSolvent(account=0x…)``). Amounts are token
units (integers), never floats; times are unix seconds of the chain's clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.exceptions import Web3Exception
from web3.logs import DISCARD
from web3.types import BlockIdentifier
from zksolvency.onchain.client import Chain
from zksolvency.onchain.deployment import Deployment, VaultEntries, chain_dir, write_deployment
from zksolvency.onchain.solc import Compiled, compile_sources, contracts_dir
from zksolvency.onchain.tx import ChainError, Fees, Flag, TxResult
from zksolvency.zkcore.address import ADDRESS_RE
from zksolvency.zkcore.errors import InputError
from zksolvency.zkcore.fixedpoint import format_fraction, parse_decimal

#: Basis points in one whole (the vault's ``BPS``).
BPS = 10_000
#: The vault's bounds on durations (its ``MAX_DURATION``, 7 days, and ``MIN_CURE_WINDOW``), seconds.
MAX_DURATION = 7 * 24 * 3600
MIN_CURE_WINDOW = 60
#: The largest token amount (a uint256 of token units).
MAX_AMOUNT = 2**256 - 1
#: The example collateral (contracts/examples/ExampleUSD.sol): its decimals (a pure function of the
#: contract, so an amount can be checked before it is deployed) and the supply its constructor
#: mints to whoever deploys it, one billion tokens.
EXAMPLE_TOKEN = "ExampleUSD"
EXAMPLE_DECIMALS = 6
EXAMPLE_SUPPLY = 10**9 * 10**EXAMPLE_DECIMALS
#: The vault's sources (under contracts/): the example contracts and the interfaces they use.
SOURCES = (
    Path("examples") / "MarginVault.sol",
    Path("examples") / "InsuranceFund.sol",
    Path("examples") / "ExampleUSD.sol",
    Path("interfaces") / "ISolvencyRegistry.sol",
    Path("interfaces") / "IMarginOracle.sol",
)


@dataclass(frozen=True)
class Split:
    """How a slice divides (token units): ``bounty + penalty + held``."""

    bounty: int
    penalty: int
    held: int


def parse_amount(text: object, decimals: int, param: str = "amount") -> int:
    """The one reading of a token amount: a decimal string of whole tokens (``"12.5"``) -> token
    units, exactly (``parse_decimal``: ASCII digits with at most one point, at most ``decimals``
    fractional digits, no sign, no exponent, no spaces; at most 2^256 - 1 units). Anything else is
    an :class:`InputError` naming ``param``; nothing is rounded."""
    try:
        return parse_decimal(text, decimals, max_scaled=MAX_AMOUNT)
    except ValueError as e:
        raise InputError(param, None, f"{e} (a decimal string of whole tokens, at most {decimals} decimals)") from None


def format_amount(units: int, decimals: int) -> str:
    """Token units -> a decimal string of whole tokens, exactly (``1500000``, 6 -> ``"1.5"``)."""
    return format_fraction(Fraction(units, 10**decimals))


@dataclass(frozen=True)
class TokenInfo:
    """The collateral token as amounts are read and shown: its address, symbol and ``decimals()``
    (both read from the chain; ``symbol`` is empty when the token has no string ``symbol()``)."""

    address: str
    symbol: str
    decimals: int

    def units(self, text: object, param: str = "amount") -> int:
        """A decimal string of whole tokens -> token units (:func:`parse_amount`)."""
        return parse_amount(text, self.decimals, param)

    def tokens(self, units: int) -> str:
        """Token units -> a decimal string of whole tokens (:func:`format_amount`)."""
        return format_amount(units, self.decimals)

    def show(self, units: int) -> str:
        """``"1.5 xUSD"``: whole tokens and the symbol, for people."""
        return f"{self.tokens(units)} {self.symbol or 'tokens'}"

    def amount_json(self, units: int) -> dict[str, str]:
        """``{"units": "1500000", "tokens": "1.5"}``: token units and whole tokens, both decimal
        strings (a uint256 does not fit a JSON number)."""
        return {"units": str(units), "tokens": self.tokens(units)}

    def as_json(self) -> dict[str, object]:
        """For ``--json`` output."""
        return {"address": self.address, "symbol": self.symbol, "decimals": self.decimals}


@dataclass(frozen=True)
class VaultParams:
    """The vault's immutable liquidation policy (the constructor's ``Policy``).

    Defaults: the bounty rises from ``min_bounty`` to 5% of the slice over 10 minutes, a 3%
    penalty, slices of 20% of the basis 30 s apart, a 15-minute cure window for stale flags.
    ``for_decimals`` adds a minimum bounty of 10 whole tokens."""

    min_bounty: int  # token units
    max_bounty_bps: int = 500
    auction_duration: int = 600  # seconds
    penalty_bps: int = 300
    slice_bps: int = 2_000
    cooldown: int = 30  # seconds
    cure_window: int = 900  # seconds

    def __post_init__(self) -> None:
        if min(self.min_bounty, self.max_bounty_bps, self.auction_duration, self.penalty_bps) < 0:
            raise ValueError("vault parameters are non-negative")
        if min(self.slice_bps, self.cooldown, self.cure_window) < 0:
            raise ValueError("vault parameters are non-negative")

    @classmethod
    def checked(cls, **fields: int) -> VaultParams:
        """The params with the contract's bounds checked first (its ``_checkPolicy``), so a bad
        policy is refused before anything is deployed: an :class:`InputError` names the field
        (of a maximum bounty and a penalty above ``BPS`` together, the penalty unless only the
        maximum bounty was given). Fields not given take the defaults (``min_bounty`` is required)."""
        d = {f: getattr(cls, f) for f in cls.__dataclass_fields__ if f != "min_bounty"} | fields
        bounds = {
            "min_bounty": (0, MAX_AMOUNT, "token units"),
            "max_bounty_bps": (0, BPS, "basis points"),
            "auction_duration": (1, MAX_DURATION, "seconds"),
            "penalty_bps": (0, BPS, "basis points"),
            "slice_bps": (1, BPS, "basis points"),
            "cooldown": (1, MAX_DURATION, "seconds"),
            "cure_window": (MIN_CURE_WINDOW, MAX_DURATION, "seconds"),
        }
        for name, (lo, hi, unit) in bounds.items():
            v = d[name]
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise InputError(name, str(v), f"must be an integer in [{lo}, {hi}] ({unit})")
        if d["max_bounty_bps"] + d["penalty_bps"] > BPS:
            name, other = ("max_bounty_bps", "penalty_bps") if "penalty_bps" not in fields else ("penalty_bps", "max_bounty_bps")
            label = {"max_bounty_bps": "the maximum bounty", "penalty_bps": "the penalty"}[other]
            msg = f"the maximum bounty and the penalty are at most {BPS} basis points together ({label} is {d[other]})"
            raise InputError(name, str(d[name]), msg)
        return cls(**d)

    @classmethod
    def for_decimals(cls, decimals: int, **overrides: int) -> VaultParams:
        """The defaults for a token of ``decimals`` decimals: a minimum bounty of 10 tokens."""
        return cls(**({"min_bounty": 10 * 10**decimals} | overrides))

    def as_tuple(self) -> tuple[int, int, int, int, int, int, int]:
        """The constructor's ``Policy`` struct, in its field order."""
        return (
            self.min_bounty,
            self.max_bounty_bps,
            self.auction_duration,
            self.penalty_bps,
            self.slice_bps,
            self.cooldown,
            self.cure_window,
        )

    def slice(self, basis: int) -> int:
        """The contract's ``sliceOf``: ⌊basis·slice_bps/BPS⌋, or the basis when that is 0."""
        return basis * self.slice_bps // BPS or basis

    @property
    def slice_count(self) -> int:
        """The contract's ``sliceCount``: ⌈BPS/slice_bps⌉, the slice that takes all that remains."""
        return -(-BPS // self.slice_bps)

    def seize(self, basis: int, number: int, remaining: int) -> int:
        """What slice ``number`` (from 1) of a liquidation of ``basis`` takes of a ``remaining``
        deposit: the whole of it from slice ``slice_count`` on, else min(slice, remaining)."""
        return remaining if number >= self.slice_count else min(self.slice(basis), remaining)

    def split(self, seized: int, elapsed: int) -> Split:
        """The contract's ``split``, in Python (a keeper's profit check before it sends): with
        maxB = max(min_bounty, ⌊seized·max_bounty_bps/BPS⌋) and D the auction duration,
        bounty = min(seized, min_bounty + ⌊(maxB − min_bounty)·min(elapsed, D)/D⌋),
        penalty = min(seized − bounty, ⌊seized·penalty_bps/BPS⌋), held = the rest."""
        if elapsed < 0:
            raise ValueError("elapsed is a number of seconds since the slice became liquidatable")
        d = self.auction_duration
        max_b = max(self.min_bounty, seized * self.max_bounty_bps // BPS)
        bounty = min(seized, self.min_bounty + (max_b - self.min_bounty) * min(elapsed, d) // d)
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
class LiquidationQuote:
    """``liquidationQuote(account)``: what ``liquidate`` would do in the block it was asked for.

    ``liquidatable_from``: when the slice is (or was) liquidatable, the start of its auction; 0 when
    it cannot become liquidatable without a new event (not flagged, nothing deposited, the venue's
    ledger overdue for a stale flag, or the ledger of the oracle's latest market not yet published
    for a stale flag's first slice: ``liquidate`` says ``MarginVault__LedgerPending(account,
    epoch)``, and the cure window runs from that ledger). The amounts are 0 when ``liquidatable``
    is false."""

    seized: int
    bounty: int
    penalty: int
    held: int
    liquidatable: bool
    liquidatable_from: int

    @property
    def split(self) -> Split:
        """The quoted split."""
        return Split(self.bounty, self.penalty, self.held)

    def as_json(self) -> dict[str, object]:
        """For ``--json`` output."""
        return {
            "seized": self.seized,
            "bounty": self.bounty,
            "penalty": self.penalty,
            "held": self.held,
            "liquidatable": self.liquidatable,
            "from": self.liquidatable_from,
        }


@dataclass(frozen=True)
class VaultStatus:
    """``status(account)``: an account in the vault and its liquidation.

    ``flag``/``flag_id``: the registry's current (or last) flag; ``basis``, ``slices`` and
    ``last_slice_at`` describe the liquidation of that flag (0 when none began); ``in_progress``:
    it took a slice and has not ended (the account cannot withdraw or deposit);
    ``next_liquidatable_at``: when the next slice is liquidatable (0: not without a new event, as
    :class:`LiquidationQuote`'s ``liquidatable_from``)."""

    deposit: int
    held: int
    flag: Flag
    flag_id: int
    in_progress: bool
    basis: int
    slices: int
    last_slice_at: int
    liquidatable: bool
    next_liquidatable_at: int
    shortfall_reported: bool

    def as_json(self) -> dict[str, object]:
        """For ``--json`` output."""
        return {
            "deposit": self.deposit,
            "held": self.held,
            "flag": self.flag,
            "flag_id": self.flag_id,
            "in_progress": self.in_progress,
            "basis": self.basis,
            "slices": self.slices,
            "last_slice_at": self.last_slice_at,
            "liquidatable": self.liquidatable,
            "next_liquidatable_at": self.next_liquidatable_at,
            "shortfall_reported": self.shortfall_reported,
        }


@dataclass(frozen=True)
class LiquidationRecord:
    """``liquidationOf(account)``: the account's latest liquidation as stored (it applies while the
    registry's flag identity is ``flag_id``)."""

    basis: int
    flag_id: int
    slices: int
    last_slice_at: int
    last_slice_seq: int  # the oracle's publication count at the last slice


@dataclass(frozen=True)
class LiquidationResult(TxResult):
    """A mined ``liquidate``: whose deposit, under which flag, which slice, and how it was split.
    ``started``: this slice began the liquidation (its basis is ``basis``)."""

    account: str
    keeper: str
    flag: Flag
    flag_id: int
    slice: int
    seized: int
    split: Split
    started: bool
    basis: int


@dataclass(frozen=True)
class ShortfallResult(TxResult):
    """A mined ``reportShortfall``: the fund paid ``covered`` to the venue; ``socialised`` was not
    covered."""

    account: str
    flag_id: int
    shortfall: int
    covered: int
    socialised: int


@dataclass(frozen=True)
class AmountResult(TxResult):
    """A mined transaction that moved ``amount`` token units for ``account`` (a transfer's
    recipient, a depositor, a withdrawer)."""

    account: str
    amount: int


@dataclass(frozen=True)
class DepositResult(AmountResult):
    """A mined ``deposit``: ``amount`` is what the vault credited (what arrived); ``approval`` the
    ``approve`` sent first (None when the allowance was exactly the deposit already)."""

    approval: TxResult | None


@dataclass(frozen=True)
class ReleaseResult(AmountResult):
    """A mined ``release``: ``amount`` held from ``account``'s liquidation paid out to ``to``."""

    to: str


def vault_contracts(cache_dir: Path) -> dict[str, Compiled]:
    """Compile the example vault and insurance fund (with OpenZeppelin), cached by their sources."""
    src = contracts_dir()
    return compile_sources({str(Path("contracts") / p): (src / p).read_text() for p in SOURCES}, cache_dir)


def _one_event(contract: Contract, name: str, receipt: Any, tx_hash: str) -> Any:
    """The args of the one ``name`` event of ``contract`` in ``receipt`` (other logs ignored)."""
    events = getattr(contract.events, name)().process_receipt(receipt, errors=DISCARD)
    mine = [e for e in events if e["address"] == contract.address]
    if len(mine) != 1:
        raise ChainError(f"{tx_hash}: expected one {name} event, got {len(mine)}")
    return mine[0]["args"]


def _vault_status(s: Any) -> VaultStatus:
    """A ``status`` answer as a :class:`VaultStatus` (a flag outside the enum: :class:`ChainError`)."""
    return VaultStatus(
        deposit=int(s[0]),
        held=int(s[1]),
        flag=Flag.from_value(int(s[2])),
        flag_id=int(s[3]),
        in_progress=bool(s[4]),
        basis=int(s[5]),
        slices=int(s[6]),
        last_slice_at=int(s[7]),
        liquidatable=bool(s[8]),
        next_liquidatable_at=int(s[9]),
        shortfall_reported=bool(s[10]),
    )


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
        self.token: Contract = w3.eth.contract(
            address=Web3.to_checksum_address(addresses.token), abi=compiled["IERC20Metadata"].abi
        )
        self._token_info: TokenInfo | None = None

    @classmethod
    def from_deployment(cls, chain: Chain) -> Vault:
        """The vault :func:`record_vault` wrote into ``chain``'s deployment file."""
        dep = chain.deployment
        if not all(isinstance(dep.get(k), str) for k in ("vault", "insurance_fund", "token")):
            raise InputError(str(chain.deployment_file), None, "no vault recorded: run `zksolvency vault deploy` first")
        return cls(chain, VaultAddresses(dep["vault"], dep["insurance_fund"], dep["token"]))

    @classmethod
    def at(cls, chain: Chain, address: str) -> Vault:
        """Attach to the vault at ``address``, reading its fund and token from the vault itself.
        Raises :class:`InputError` (parameter ``vault``) when nothing is deployed there, the code
        there is not the example vault's (its immutables aside), or the vault acts on another
        registry than ``chain``'s."""
        if not ADDRESS_RE.fullmatch(address):
            raise InputError("vault", address, "expected a 0x-prefixed 20-byte hex address")
        addr = Web3.to_checksum_address(address)
        code = chain.w3.eth.get_code(addr)
        if not code:
            raise InputError("vault", address, "no contract at this address")
        compiled = vault_contracts(chain_dir(chain.build) / "solc-cache")
        if not compiled["MarginVault"].is_runtime_of(bytes(code)):
            # a contract that answers the vault's calls could still lie in them (a flag the enum
            # does not have, a bounty it never pays): only this project's vault code is trusted
            raise InputError("vault", address, "not a MarginVault: the code there is not the vault's (contracts/examples)")
        c = chain.w3.eth.contract(address=addr, abi=compiled["MarginVault"].abi)
        try:
            reads = (c.functions.registry, c.functions.token, c.functions.insuranceFund)
            registry, token, fund = (str(f().call()) for f in reads)
        except (Web3Exception, ValueError) as e:  # not a MarginVault: a call without an answer
            raise InputError("vault", address, f"not a MarginVault ({type(e).__name__})") from None
        if registry.lower() != str(chain.deployment["registry"]).lower():
            raise InputError("vault", address, f"a vault of registry {registry}, not of this deployment's")
        return cls(chain, VaultAddresses(addr, fund, token), compiled)

    # ------------------------------------------------------------ reads

    def params(self) -> VaultParams:
        """The vault's liquidation policy, read from the chain."""
        f = self.vault.functions
        return VaultParams(
            min_bounty=int(f.minBounty().call()),
            max_bounty_bps=int(f.maxBountyBps().call()),
            auction_duration=int(f.auctionDuration().call()),
            penalty_bps=int(f.penaltyBps().call()),
            slice_bps=int(f.sliceBps().call()),
            cooldown=int(f.cooldown().call()),
            cure_window=int(f.cureWindow().call()),
        )

    def token_info(self) -> TokenInfo:
        """The collateral token's address, symbol and decimals, read from the chain once."""
        if self._token_info is None:
            f = self.token.functions
            try:
                symbol = str(f.symbol().call())
            except Web3Exception:  # optional in ERC-20 (some return bytes32): amounts still read
                symbol = ""
            self._token_info = TokenInfo(self.token.address, symbol, int(f.decimals().call()))
        return self._token_info

    def venue(self) -> str:
        """Where the insurance fund pays reported shortfalls."""
        return str(self.vault.functions.venue().call())

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

    def socialised_loss(self) -> int:
        """Reported shortfalls the insurance fund could not cover, in total."""
        return int(self.vault.functions.socialisedLoss().call())

    def shortfall_flag_id(self, account: str) -> int:
        """The registry flag identity of the last shortfall reported for ``account`` (0: none)."""
        return int(self.vault.functions.shortfallFlagIdOf(Web3.to_checksum_address(account)).call())

    def split(self, seized: int, elapsed: int) -> Split:
        """The contract's own split of a slice ``elapsed`` seconds into its auction (an ``eth_call``)."""
        bounty, penalty, held = self.vault.functions.split(seized, elapsed).call()
        return Split(int(bounty), int(penalty), int(held))

    def slice_of(self, basis: int) -> int:
        """The contract's slice of a liquidation of ``basis``."""
        return int(self.vault.functions.sliceOf(basis).call())

    def quote(self, account: str, block: BlockIdentifier = "pending") -> LiquidationQuote:
        """``liquidationQuote(account)`` at ``block``: by default the pending block, so the quote
        of a ``liquidate`` sent now and mined in the next block."""
        q = self.vault.functions.liquidationQuote(Web3.to_checksum_address(account)).call(block_identifier=block)
        return LiquidationQuote(int(q[0]), int(q[1]), int(q[2]), int(q[3]), bool(q[4]), int(q[5]))

    def status(self, account: str, block: BlockIdentifier = "latest") -> VaultStatus:
        """``status(account)``: deposit, held, the registry flag and the liquidation of that flag."""
        return _vault_status(self.vault.functions.status(Web3.to_checksum_address(account)).call(block_identifier=block))

    def statuses(self, accounts: Sequence[str], block: BlockIdentifier = "latest") -> list[VaultStatus | ChainError]:
        """:meth:`status` of every account at ``block``, in one JSON-RPC batch request (one round
        trip, however many accounts); an answer that does not decode is a :class:`ChainError` in
        its place."""
        if not accounts:
            return []
        with self.chain.w3.batch_requests() as batch:
            for a in accounts:
                batch.add(self.vault.functions.status(Web3.to_checksum_address(a)).call(block_identifier=block))
            answers = batch.execute()
        out: list[VaultStatus | ChainError] = []
        for answer in answers:
            try:
                out.append(_vault_status(answer))
            except (ChainError, TypeError, ValueError, IndexError) as e:
                out.append(e if isinstance(e, ChainError) else ChainError(f"vault status: {type(e).__name__}: {e}"))
        return out

    def received(self, receipt: Any, to: str) -> int:
        """Token units the vault's token moved to ``to`` in ``receipt``: a bounty as it arrived,
        after any fee the token takes. The smaller of the ``Transfer`` logs to ``to`` and the change
        of its balance over the receipt's block, so neither a log the token makes up nor another
        transfer in the same block counts as received."""
        moved = self.token.events.Transfer().process_receipt(receipt, errors=DISCARD)
        want = Web3.to_checksum_address(to)
        logged = sum(int(e["args"]["value"]) for e in moved if e["address"] == self.token.address and e["args"]["to"] == want)
        block = int(receipt["blockNumber"])
        balance = self.token.functions.balanceOf(want)
        delta = int(balance.call(block_identifier=block)) - int(balance.call(block_identifier=block - 1))
        return max(0, min(logged, delta))

    def liquidation(self, account: str) -> LiquidationRecord:
        """``liquidationOf(account)``: the account's latest liquidation as stored."""
        basis, flag_id, slices, last, seq = self.vault.functions.liquidationOf(Web3.to_checksum_address(account)).call()
        return LiquidationRecord(int(basis), int(flag_id), int(slices), int(last), int(seq))

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

    def deposit_exact(self, account: str, amount: int) -> DepositResult:
        """Vault: deposit ``amount`` from ``account``, first approving the vault for exactly
        ``amount`` unless that is its allowance already (a larger standing allowance is lowered):
        no approval is left behind beyond what the deposit uses. An account the vault refuses
        deposits from (flagged, or being liquidated) gets no approval: the deposit is sent alone
        and its refusal names why."""
        addr = Web3.to_checksum_address(account)
        allowance = int(self.token.functions.allowance(addr, self.vault.address).call())
        st = self.status(addr)
        refused = st.flag != Flag.NONE or st.in_progress
        approval = None if allowance == amount or refused else self.approve(addr, amount)
        res = self.deposit(addr, amount, approve=False)
        receipt = self.chain.w3.eth.get_transaction_receipt(res.tx_hash)
        a = _one_event(self.vault, "Deposited", receipt, res.tx_hash)
        return DepositResult(res.tx_hash, res.gas_used, res.block, str(a["account"]), int(a["amount"]), approval)

    def transfer(self, sender: str, to: str, amount: int) -> AmountResult:
        """Token: ``sender`` sends ``amount`` to ``to`` (``vault mint`` hands out the example token
        this way, from its deployer)."""
        res = self.chain.send(self.token.functions.transfer(Web3.to_checksum_address(to), amount), sender)
        return AmountResult(res.tx_hash, res.gas_used, res.block, Web3.to_checksum_address(to), amount)

    def withdraw(self, account: str, amount: int) -> TxResult:
        """Vault: withdraw ``amount`` of ``account``'s deposit (only while attested solvent and
        no liquidation of it continues)."""
        return self.chain.send(self.vault.functions.withdraw(amount), account)

    # ------------------------------------------------------------ keepers and the liquidator

    def liquidate(
        self, account: str, sender: str | None = None, *, fees: Fees | None = None, min_bounty: int | None = None
    ) -> LiquidationResult:
        """Vault: take the next slice of ``account``'s deposit; the bounty goes to ``sender``
        (``fees``: explicit fee fields, else web3 asks the node).

        ``min_bounty`` (token units): send ``liquidateAtLeast`` instead, which takes the slice only
        if its bounty is at least that (a keeper passes the bounty it priced from :meth:`quote`);
        else it reverts and the :class:`ChainError` says
        ``MarginVault__BountyBelowMinimum(account=…, bounty=…, minBounty=…)``. None sends plain
        ``liquidate``."""
        addr = Web3.to_checksum_address(account)
        if min_bounty is None:
            fn = self.vault.functions.liquidate(addr)
        else:
            if isinstance(min_bounty, bool) or not isinstance(min_bounty, int) or not 0 <= min_bounty <= MAX_AMOUNT:
                raise ValueError(f"min_bounty is a number of token units in [0, 2^256 - 1], not {min_bounty!r}")
            fn = self.vault.functions.liquidateAtLeast(addr, min_bounty)
        res = self.chain.send(fn, sender, fees=fees)
        return self.liquidation_result(res)

    def liquidation_result(self, res: TxResult) -> LiquidationResult:
        """The ``Liquidated`` (and any ``LiquidationStarted``) event of a mined ``liquidate`` (or
        ``liquidateAtLeast``)."""
        receipt = self.chain.w3.eth.get_transaction_receipt(res.tx_hash)
        a = _one_event(self.vault, "Liquidated", receipt, res.tx_hash)  # beside the token's Transfer logs
        started = self.vault.events.LiquidationStarted().process_receipt(receipt, errors=DISCARD)
        basis = int(started[0]["args"]["basis"]) if started else int(self.liquidation(str(a["account"])).basis)
        return LiquidationResult(
            res.tx_hash,
            res.gas_used,
            res.block,
            account=str(a["account"]),
            keeper=str(a["keeper"]),
            flag=Flag.from_value(int(a["flag"])),
            flag_id=int(a["flagId"]),
            slice=int(a["slice"]),
            seized=int(a["seized"]),
            split=Split(int(a["bounty"]), int(a["penalty"]), int(a["held"])),
            started=bool(started),
            basis=basis,
        )

    def release(self, account: str, to: str, amount: int, sender: str | None = None) -> TxResult:
        """Vault (liquidator): pay ``amount`` held from ``account``'s liquidation out to ``to``."""
        fn = self.vault.functions.release(Web3.to_checksum_address(account), Web3.to_checksum_address(to), amount)
        return self.chain.send(fn, sender)

    def report_shortfall(self, account: str, amount: int, sender: str | None = None) -> ShortfallResult:
        """Vault (liquidator): report what a settled insolvent account still owes; the fund pays it
        to the venue up to its balance, the rest is socialised loss."""
        res = self.chain.send(self.vault.functions.reportShortfall(Web3.to_checksum_address(account), amount), sender)
        receipt = self.chain.w3.eth.get_transaction_receipt(res.tx_hash)
        a = _one_event(self.vault, "ShortfallReported", receipt, res.tx_hash)
        return ShortfallResult(
            res.tx_hash,
            res.gas_used,
            res.block,
            account=str(a["account"]),
            flag_id=int(a["flagId"]),
            shortfall=int(a["shortfall"]),
            covered=int(a["covered"]),
            socialised=int(a["socialised"]),
        )

    def cover(self, to: str, amount: int, sender: str | None = None) -> TxResult:
        """Insurance fund (guardian): pay ``amount`` to ``to`` to absorb a shortfall by hand."""
        return self.chain.send(self.fund.functions.cover(Web3.to_checksum_address(to), amount), sender)

    def role_id(self, role: str) -> bytes:
        """The AccessControl id of a vault role ("admin" or "liquidator")."""
        if role == "admin":
            return b"\x00" * 32
        if role != "liquidator":
            raise ValueError(f"the vault has no {role!r} role")
        return bytes(self.vault.functions.LIQUIDATOR_ROLE().call())

    def fund_role_id(self, role: str) -> bytes:
        """The AccessControl id of an insurance fund role ("admin", "guardian" or "vault")."""
        if role == "admin":
            return b"\x00" * 32
        if role not in ("guardian", "vault"):
            raise ValueError(f"the insurance fund has no {role!r} role")
        return bytes(getattr(self.fund.functions, f"{role.upper()}_ROLE")().call())


def deploy_vault(
    chain: Chain,
    token: str,
    params: VaultParams | None = None,
    *,
    venue: str | None = None,
    admin: str | None = None,
    liquidator: str | None = None,
    guardian: str | None = None,
    sender: str | None = None,
) -> Vault:
    """Deploy an ``InsuranceFund`` and a ``MarginVault`` for ``token`` beside the chain's registry
    deployment, and grant the vault the fund's ``VAULT_ROLE`` (sent by ``admin``).

    ``params``: by default :meth:`VaultParams.for_decimals` of the token's decimals. ``venue``: where
    the fund pays reported shortfalls; by default the registry deployment's venue. Roles default to
    the sender: ``admin`` (roles on both), ``liquidator`` (the vault's ``LIQUIDATOR_ROLE``: the
    venue's liquidator), ``guardian`` (pays out of the fund by hand)."""
    vault, _ = _deploy_vault(
        chain, token, params, venue=venue, admin=admin, liquidator=liquidator, guardian=guardian, sender=sender
    )
    return vault


def _deploy_vault(
    chain: Chain,
    token: str,
    params: VaultParams | None,
    *,
    venue: str | None,
    admin: str | None,
    liquidator: str | None,
    guardian: str | None,
    sender: str | None,
) -> tuple[Vault, dict[str, TxResult]]:
    """:func:`deploy_vault`, with its transactions (``insurance_fund``, ``vault``, ``grant``)."""
    compiled = vault_contracts(chain_dir(chain.build) / "solc-cache")
    chain.add_compiled(compiled)
    deployer = sender or chain.default_sender()
    registry = chain.deployment["registry"]
    token = Web3.to_checksum_address(token)
    if params is None:
        decimals = chain.w3.eth.contract(address=token, abi=compiled["IERC20Metadata"].abi).functions.decimals().call()
        params = VaultParams.for_decimals(int(decimals))
    venue = venue or chain.deployment.get("roles", {}).get("venue") or deployer
    admin = admin or deployer
    fund, t_fund = chain.deploy_contract("InsuranceFund", token, admin, guardian or deployer, sender=deployer)
    vault, t_vault = chain.deploy_contract(
        "MarginVault",
        token,
        registry,
        fund,
        Web3.to_checksum_address(venue),
        params.as_tuple(),
        admin,
        liquidator or deployer,
        sender=deployer,
    )
    v = Vault(chain, VaultAddresses(vault, fund, token), compiled)
    t_grant = chain.send(v.fund.functions.grantRole(v.fund_role_id("vault"), Web3.to_checksum_address(vault)), admin)
    return v, {"insurance_fund": t_fund, "vault": t_vault, "grant": t_grant}


@dataclass(frozen=True)
class VaultDeployment:
    """A vault :func:`deploy_example_vault` deployed: the client, whether its token is the example
    token it deployed too, who deployed it (the example token's holder), its roles (``admin``,
    ``venue``, ``liquidator``, ``guardian``), its policy, and the gas of each transaction
    (``token`` for the example token, ``insurance_fund``, ``vault``, ``grant``)."""

    vault: Vault
    example_token: bool
    deployer: str
    roles: dict[str, str]
    params: VaultParams
    gas_used: dict[str, int]
    deploy_block: int

    def record(self) -> VaultEntries:
        """What the deployment file records: the addresses and ABIs beside the registry's (so
        ``Chain.contract("vault")`` reads the vault like the registry), and ``vault_deployment``.
        ``min_bounty`` is a decimal string of token units, as every amount in the file."""
        a, compiled = self.vault.addresses, self.vault.chain.compiled
        p = self.params
        policy: dict[str, object] = {"min_bounty": str(p.min_bounty)} | {
            k: getattr(p, k)
            for k in ("max_bounty_bps", "auction_duration", "penalty_bps", "slice_bps", "cooldown", "cure_window")
        }
        return {
            "vault": a.vault,
            "insurance_fund": a.fund,
            "token": a.token,
            "abi": {
                "vault": compiled["MarginVault"].abi,
                "insurance_fund": compiled["InsuranceFund"].abi,
                "token": compiled[EXAMPLE_TOKEN if self.example_token else "IERC20Metadata"].abi,
            },
            "vault_deployment": {
                "example_token": self.example_token,
                "deployer": self.deployer,
                "roles": self.roles,
                "policy": policy,
                "deploy_block": self.deploy_block,
                "gas_used": self.gas_used,
            },
        }


def deploy_example_vault(
    chain: Chain,
    params: VaultParams,
    *,
    token: str | None = None,
    venue: str | None = None,
    admin: str | None = None,
    liquidator: str | None = None,
    guardian: str | None = None,
    sender: str | None = None,
) -> VaultDeployment:
    """Deploy the example protocol on the chain's registry deployment: the example token
    (``ExampleUSD``, :data:`EXAMPLE_SUPPLY` to the deployer) unless ``token`` names an existing
    one, then :func:`deploy_vault`'s insurance fund and vault with the fund's ``VAULT_ROLE``.

    Roles default for a local chain: ``admin`` the deployer; ``venue`` (paid reported
    shortfalls) and ``liquidator`` (``LIQUIDATOR_ROLE``: releases held amounts, reports
    shortfalls) the registry deployment's venue and liquidator, the same parties that publish
    ledgers and resolve flags there; ``guardian`` (pays out of the fund by hand) the admin."""
    compiled = vault_contracts(chain_dir(chain.build) / "solc-cache")
    chain.add_compiled(compiled)
    deployer = Web3.to_checksum_address(sender or chain.default_sender())
    registry_roles = chain.deployment.get("roles", {})
    admin = Web3.to_checksum_address(admin or deployer)
    roles: dict[str, str] = {
        "admin": admin,
        "venue": Web3.to_checksum_address(venue or registry_roles.get("venue") or deployer),
        "liquidator": Web3.to_checksum_address(liquidator or registry_roles.get("liquidator") or deployer),
        "guardian": Web3.to_checksum_address(guardian or admin),
    }
    gas: dict[str, int] = {}
    if token is None:
        token, t_token = chain.deploy_contract(EXAMPLE_TOKEN, EXAMPLE_SUPPLY, sender=deployer)
        gas["token"] = t_token.gas_used
    vault, txs = _deploy_vault(chain, token, params, sender=deployer, **roles)
    decimals = vault.token_info().decimals
    if "token" in gas and decimals != EXAMPLE_DECIMALS:  # the constant mirrors the contract
        raise ChainError(f"{EXAMPLE_TOKEN} has {decimals} decimals, the client expects {EXAMPLE_DECIMALS}")
    gas |= {k: t.gas_used for k, t in txs.items()}
    return VaultDeployment(vault, "token" in gas, deployer, roles, params, gas, txs["vault"].block)


def record_vault(chain: Chain, deployed: VaultDeployment) -> VaultEntries:
    """Add ``deployed``'s record to the chain's deployment file (written atomically: a reader sees
    the old file or the whole new one); a vault recorded before is replaced. Returns the record."""
    rec = deployed.record()
    dep = chain.deployment
    new: Deployment = {**dep, **rec, "abi": dep.get("abi", {}) | rec["abi"]}
    write_deployment(chain.deployment_file, new)
    dep.update(new)  # the client's copy, too
    return rec
