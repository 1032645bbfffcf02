"""pydantic models of ``market.json`` and ``account.json`` with every rule of SPEC §1.

Decimal fields are parsed into exact scaled integers (see :mod:`zkcore.fixedpoint`): money-like
values are scaled by 10^8, rates and haircuts by 10^6. Loading never rounds and never accepts a
float; every violation becomes an :class:`~zkcore.errors.InputError` naming the file and field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator
from zksolvency.zkcore.address import ADDRESS_RE
from zksolvency.zkcore.errors import InputError
from zksolvency.zkcore.fixedpoint import MONEY_DECIMALS, RATE_DECIMALS, U32_LIMIT, U64_LIMIT, parse_decimal, parse_uint
from zksolvency.zkcore.jsonio import read_json
from zksolvency.zkcore.paths import StrPath


def _money(v: object) -> int:
    return parse_decimal(v, MONEY_DECIMALS)


def _signed_money(v: object) -> int:
    return parse_decimal(v, MONEY_DECIMALS, signed=True)


def _unit_rate(v: object) -> int:
    return parse_decimal(v, RATE_DECIMALS, max_value=1)


def _u64(v: object) -> int:
    return parse_uint(v, U64_LIMIT)


def _u32(v: object) -> int:
    return parse_uint(v, U32_LIMIT)


# Every pattern is used with fullmatch and spells ASCII classes out: `$` would accept a trailing
# newline and `\d` would accept Unicode digits ("USDC\n" is not an asset, "١٢" is not a number).
_ASSET = re.compile(r"[A-Za-z0-9._-]{1,31}")
_SYMBOL = re.compile(r"[A-Za-z0-9._/:-]{1,64}")
_SALT = re.compile(r"0x[0-9a-fA-F]{1,62}")
#: SPEC §1 salts carry at least 128 bits: a short salt makes a commitment brute-forceable.
SALT_MIN = 2**128
#: ... and fit 31 bytes (one field element).
SALT_LIMIT = 2**248
SALT_RULE = "0x + hex of a random value in [2^128, 2^248): at least 128 bits, at most 31 bytes (`zksolvency salt` makes one)"


def new_salt() -> str:
    """A fresh salt: 31 bytes from the OS's CSPRNG (redrawn in the 2^-120 case it is below 2^128)."""
    import secrets

    while True:
        salt = secrets.token_bytes(31)
        if int.from_bytes(salt, "big") >= SALT_MIN:
            return "0x" + salt.hex()


def _asset(v: object) -> str:
    if not isinstance(v, str) or not _ASSET.fullmatch(v):
        raise ValueError(f"must be 1 to 31 characters of A-Z a-z 0-9 . _ -, got {v!r}")
    return v


def _address(v: object) -> str:
    if not isinstance(v, str) or not ADDRESS_RE.fullmatch(v):
        raise ValueError(f"must be a 20-byte hex address 0x + 40 hex digits, got {v!r}")
    body = v[2:]
    if body != body.lower() and body != body.upper():
        from eth_utils.address import is_checksum_address

        if not is_checksum_address(v):
            raise ValueError(f"mixed-case address fails its EIP-55 checksum: {v!r}")
    return "0x" + body.lower()


def _salt(v: object) -> int:
    if not isinstance(v, str) or not _SALT.fullmatch(v):
        raise ValueError(f"must be {SALT_RULE}, got {str(v)[:80]!r}")
    salt = int(v, 16)
    if salt < SALT_MIN:
        raise ValueError(f"too short to hide the account (below 2^128, brute-forceable); must be {SALT_RULE}")
    return salt


def _symbol(v: object) -> str:
    if not isinstance(v, str) or not _SYMBOL.fullmatch(v):
        raise ValueError(f"must be 1 to 64 characters of A-Z a-z 0-9 . _ / : -, got {str(v)[:80]!r}")
    return v


Money = Annotated[int, BeforeValidator(_money)]
SignedMoney = Annotated[int, BeforeValidator(_signed_money)]
UnitRate = Annotated[int, BeforeValidator(_unit_rate)]
U64 = Annotated[int, BeforeValidator(_u64)]
U32 = Annotated[int, BeforeValidator(_u32)]
Asset = Annotated[str, BeforeValidator(_asset)]
Address = Annotated[str, BeforeValidator(_address)]
Salt = Annotated[int, BeforeValidator(_salt)]
Symbol = Annotated[str, BeforeValidator(_symbol)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CollateralPrice(_Strict):
    """A collateral asset the venue accepts: oracle price and haircut."""

    asset: Asset
    price: Money
    haircut: UnitRate


class Tier(_Strict):
    """One maintenance-margin bracket: applies from ``notional_floor`` up to the next floor."""

    notional_floor: Money
    rate: UnitRate
    deduction: Money


class FieldError(ValueError):
    """A model-level rule broken at a sub-field; ``path`` is relative to the model."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path


def _first_repeat(values: list[object]) -> int | None:
    """Index of the first value that already occurred earlier in the list."""
    seen: set[object] = set()
    for i, v in enumerate(values):
        if v in seen:
            return i
        seen.add(v)
    return None


class Instrument(_Strict):
    """A listed instrument: mark price, tiered maintenance rates, SPAN-style risk array."""

    id: U32
    symbol: Symbol
    mark_price: Money
    mm_tiers: list[Tier]
    scenario_pnl: list[SignedMoney]

    @model_validator(mode="after")
    def _tiers_increase(self) -> Instrument:
        if self.mm_tiers and self.mm_tiers[0].notional_floor != 0:
            raise FieldError(("mm_tiers", 0, "notional_floor"), 'the first tier must start at "0"')
        for i in range(1, len(self.mm_tiers)):
            if self.mm_tiers[i].notional_floor <= self.mm_tiers[i - 1].notional_floor:
                raise FieldError(("mm_tiers", i, "notional_floor"), "tier floors must strictly increase")
        return self


class Market(_Strict):
    """One oracle epoch: collateral prices and the instruments with their margin parameters."""

    epoch: U64
    timestamp: U64
    collateral: list[CollateralPrice]
    instruments: list[Instrument]

    @model_validator(mode="after")
    def _unique_and_uniform(self) -> Market:
        if (i := _first_repeat([c.asset for c in self.collateral])) is not None:
            raise FieldError(("collateral", i, "asset"), f"asset {self.collateral[i].asset!r} listed twice")
        if (i := _first_repeat([ins.id for ins in self.instruments])) is not None:
            raise FieldError(("instruments", i, "id"), f"instrument id {self.instruments[i].id} listed twice")
        first_s: tuple[int, int] | None = None
        for i, ins in enumerate(self.instruments):
            if ins.scenario_pnl:
                if first_s is None:
                    first_s = (i, len(ins.scenario_pnl))
                elif len(ins.scenario_pnl) != first_s[1]:
                    raise FieldError(
                        ("instruments", i, "scenario_pnl"),
                        f"has {len(ins.scenario_pnl)} values, but instruments[{first_s[0]}] has {first_s[1]};"
                        " every risk array of a market has the same length",
                    )
        return self

    @property
    def n_scenarios(self) -> int:
        """S: the common risk-array length (0 when no instrument has one)."""
        return next((len(i.scenario_pnl) for i in self.instruments if i.scenario_pnl), 0)

    def instrument(self, instrument_id: int) -> Instrument:
        """The instrument with this id (KeyError if none)."""
        for ins in self.instruments:
            if ins.id == instrument_id:
                return ins
        raise KeyError(instrument_id)

    def collateral_asset(self, asset: str) -> CollateralPrice:
        """The collateral entry of this asset (KeyError if none)."""
        for c in self.collateral:
            if c.asset == asset:
                return c
        raise KeyError(asset)


class Holding(_Strict):
    """An amount of one collateral asset in the account."""

    asset: Asset
    amount: Money


class Position(_Strict):
    """A signed position (positive long, negative short) in one instrument."""

    instrument: U32
    size: SignedMoney
    entry_price: Money


class Account(_Strict):
    """A private margin account: owner, commitment nonce and salt, collateral and positions."""

    account: Address
    nonce: U64
    salt: Salt
    collateral: list[Holding]
    positions: list[Position]

    @model_validator(mode="after")
    def _unique(self) -> Account:
        if (i := _first_repeat([h.asset for h in self.collateral])) is not None:
            raise FieldError(("collateral", i, "asset"), f"asset {self.collateral[i].asset!r} held twice")
        if (i := _first_repeat([p.instrument for p in self.positions])) is not None:
            raise FieldError(("positions", i, "instrument"), f"instrument {self.positions[i].instrument} held twice")
        return self


def _field_path(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _load(path: Path, model: Callable[..., Any], name: str) -> Any:
    return _validate(read_json(path), path, model, name)


def _validate(data: Any, path: Path, model: Callable[..., Any], name: str) -> Any:
    """Build ``model`` from ``data``; the first violation becomes an InputError naming ``path``."""
    if not isinstance(data, dict):
        raise InputError(str(path), None, f"must hold one JSON object ({name})")
    try:
        return model(**data)
    except ValidationError as e:
        err = e.errors()[0]
        loc = tuple(err["loc"])
        ctx_error = (err.get("ctx") or {}).get("error")
        if isinstance(ctx_error, FieldError):
            loc = loc + ctx_error.path
            msg = str(ctx_error)
        elif err["type"] == "missing":
            msg = "required field is missing"
        elif err["type"] == "extra_forbidden":
            msg = "unknown field"
        else:
            msg = str(err["msg"]).removeprefix("Value error, ")
        raise InputError(str(path), _field_path(loc) or None, msg) from None
    except FieldError as e:  # raised outside pydantic's wrapping (defensive)
        raise InputError(str(path), _field_path(e.path), str(e)) from None


def load_market(path: StrPath) -> Market:
    """Load and validate a ``market.json``."""
    market: Market = _load(Path(path), Market, "market")
    return market


def parse_market(data: Any, path: Path) -> Market:
    """Validate market content made in memory; errors name ``path`` (the file it came from)."""
    market: Market = _validate(data, path, Market, "market")
    return market


def load_account(path: StrPath, market: Market | None = None, market_path: StrPath | None = None) -> Account:
    """Load and validate an ``account.json``; with ``market``, also check every reference exists."""
    account: Account = _load(Path(path), Account, "account")
    if market is not None:
        check_account_against_market(account, market, Path(path), Path(market_path) if market_path is not None else None)
    return account


def check_account_against_market(account: Account, market: Market, path: Path, market_path: Path | None = None) -> None:
    """Every asset and instrument the account names must be listed in the market."""
    mname = market_path.name if market_path else "the market"
    assets = {c.asset for c in market.collateral}
    for i, h in enumerate(account.collateral):
        if h.asset not in assets:
            raise InputError(str(path), f"collateral[{i}].asset", f"asset {h.asset!r} is not listed in {mname}")
    ids = {ins.id for ins in market.instruments}
    for i, p in enumerate(account.positions):
        if p.instrument not in ids:
            raise InputError(str(path), f"positions[{i}].instrument", f"instrument {p.instrument} is not listed in {mname}")
