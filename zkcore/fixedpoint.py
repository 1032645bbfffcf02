"""Exact fixed-point encoding of SPEC §1 decimals.

Money-like values (prices, amounts, sizes, floors, deductions, risk-array entries) carry at most 8
fractional digits and are stored as integers scaled by 10^8; rates and haircuts carry at most 6 and
are scaled by 10^6. Parsing never rounds: a value that does not fit is refused.
"""

from __future__ import annotations

import re
from fractions import Fraction

MONEY_DECIMALS = 8
RATE_DECIMALS = 6
MONEY_SCALE = 10**MONEY_DECIMALS
RATE_SCALE = 10**RATE_DECIMALS
#: SPEC §1: absolute values must be below 2^40 (before scaling).
ABS_LIMIT = 2**40
U64_LIMIT = 2**64
U32_LIMIT = 2**32

#: SPEC §1, used with fullmatch: ASCII digits only (`\d` would take Arabic-Indic or full-width
#: digits), nothing after the last digit (`$` would take a trailing newline), no `+`, no exponent.
_DECIMAL = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?")


def parse_decimal(
    value: object,
    decimals: int,
    *,
    signed: bool = False,
    max_value: int | None = None,
    max_scaled: int | None = None,
) -> int:
    """Parse a SPEC §1 decimal string into an integer scaled by ``10**decimals``.

    Raises ``ValueError`` with a user-facing message for anything that is not a plain decimal
    string, has too many fractional digits, is negative where not allowed, or is out of range.
    ``max_value`` (unscaled) tightens the upper bound, e.g. 1 for rates. ``max_scaled`` replaces
    SPEC §1's bound of 2^40 on the value by a bound on the result, the scaled integer (e.g.
    2^256 - 1 for an amount of ERC-20 token units).
    """
    if isinstance(value, bool) or not isinstance(value, str):
        kind = "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__
        raise ValueError(f'must be a decimal string like "12.5", got {kind} {value!r}')
    m = _DECIMAL.fullmatch(value)
    if not m:
        raise ValueError(f"not a plain decimal string: {value!r}")
    sign, whole, frac = m.group(1), m.group(2), m.group(3) or ""
    if len(frac) > decimals:
        raise ValueError(f"has {len(frac)} fractional digits, at most {decimals} allowed: {value!r}")
    unit = int(10**decimals)
    scaled = int(whole) * unit + (int(frac.ljust(decimals, "0")) if frac else 0)
    if sign:
        scaled = -scaled
    if scaled < 0 and not signed:
        raise ValueError(f"must not be negative: {value!r}")
    if max_scaled is not None:
        if abs(scaled) > max_scaled:
            raise ValueError(f"is too large: more than {max_scaled} units of 10^-{decimals}: {value!r}")
    elif abs(scaled) >= ABS_LIMIT * unit:
        raise ValueError(f"absolute value must be below 2^40: {value!r}")
    if max_value is not None and scaled > max_value * unit:
        raise ValueError(f"must be at most {max_value}: {value!r}")
    return scaled


def parse_uint(value: object, limit: int) -> int:
    """Parse a JSON integer in ``[0, limit)`` (booleans and strings are refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be a JSON integer, got {type(value).__name__} {value!r}")
    if not 0 <= value < limit:
        raise ValueError(f"must be in [0, 2^{limit.bit_length() - 1}), got {value}")
    return value


def format_fraction(x: Fraction) -> str:
    """Exact decimal string of a fraction whose denominator is of the form 2^a * 5^b."""
    den, twos, fives = x.denominator, 0, 0
    while den % 2 == 0:
        den, twos = den // 2, twos + 1
    while den % 5 == 0:
        den, fives = den // 5, fives + 1
    if den != 1:
        raise ValueError(f"{x} has no finite decimal expansion")
    digits = max(twos, fives)
    whole, frac = divmod(abs(x.numerator) * 10**digits // x.denominator, 10**digits)
    frac_s = str(frac).rjust(digits, "0").rstrip("0") if digits else ""
    body = f"{whole}.{frac_s}" if frac_s else str(whole)
    return f"-{body}" if x < 0 else body
