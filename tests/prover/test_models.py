"""SPEC §1: every rule refuses bad input with an error naming the file and the field."""

from __future__ import annotations

import copy
import re
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zksolvency.zkcore.errors import InputError
from zksolvency.zkcore.fixedpoint import parse_decimal
from zksolvency.zkcore.models import load_account, load_market

from tests.helpers import data
from tests.helpers.bad_inputs import CASES, Mut
from tests.helpers.files import write_json


@pytest.mark.parametrize(("case", "target", "mutate", "field"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_names_file_and_field(tmp_path: Path, case: str, target: str, mutate: Mut, field: str) -> None:
    m, a = copy.deepcopy(data.MARKET), copy.deepcopy(data.ACCOUNT)
    mutate(m if target == "market" else a)
    mp, ap = write_json(tmp_path / "market.json", m), write_json(tmp_path / "account.json", a)
    with pytest.raises(InputError) as e:
        market = load_market(mp)
        load_account(ap, market, mp)
    assert e.value.file == str(mp if target == "market" else ap)
    assert e.value.field == field
    assert "\n" not in str(e.value)


def test_good_inputs_load_exactly(tmp_path: Path) -> None:
    m = load_market(write_json(tmp_path / "m.json", data.MARKET))
    a = load_account(write_json(tmp_path / "a.json", data.ACCOUNT), m)
    assert m.collateral[1].price == 300050000000  # 3000.5 * 1e8, no float on the way
    assert m.collateral[1].haircut == 100000  # 0.1 * 1e6
    assert a.positions[0].size == -75000000
    assert m.n_scenarios == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "not valid JSON"), ("[1, 2]", "one JSON object"), ('{"epoch": 1, "epoch": 2}', "duplicate key")],
)
def test_not_a_market_object(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "m.json"
    p.write_text(text)
    with pytest.raises(InputError, match=message):
        load_market(p)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_market(tmp_path / "nope.json")


def test_trailing_zero_digits_count_and_checksum_address_accepted(tmp_path: Path) -> None:
    a = data.account(account="0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
    acc = load_account(write_json(tmp_path / "a.json", a))
    assert acc.account == data.ADDR
    bad = data.account(collateral=[{"asset": "USDC", "amount": "1.000000000"}])
    with pytest.raises(InputError, match="fractional digits"):
        load_account(write_json(tmp_path / "b.json", bad))


_SPEC_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)  # SPEC §1, verbatim


@settings(max_examples=400)
@given(st.one_of(st.text(max_size=14), st.from_regex(r"-?[0-9]{1,13}(\.[0-9]{1,8})?\n?", fullmatch=True)))
def test_decimal_grammar_is_exactly_the_spec(s: str) -> None:
    """Accepted iff SPEC §1's grammar matches the WHOLE string (and the value fits): no trailing
    newline, no Unicode digits, no sign but `-`, no exponent."""
    try:
        parse_decimal(s, 8, signed=True)
        accepted = True
    except ValueError:
        accepted = False
    spec = _SPEC_DECIMAL.fullmatch(s)
    fits = spec is not None and len(spec.group(1) or ".") - 1 <= 8 and abs(Fraction(s)) < 2**40
    assert accepted == bool(spec and fits), s
