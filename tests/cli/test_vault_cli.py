"""``zksolvency vault …`` as a user runs it (issue 19's CLI, docs/spec.md §10): the real CLI
(click's runner, and one real process) against a real anvil with the real registry, the account
flagged by a REAL insolvency proof, every step checked against the chain itself rather than
against what the CLI printed.

- a full walk: deploy -> mint -> deposit -> status -> flagged -> quote -> liquidate -> status ->
  release -> report-shortfall, with each ``--json`` object's keys pinned;
- ``vault quote`` equals ``vault liquidate`` to the unit at a fixed next block timestamp, through
  the auction;
- bad amounts (too many fractional digits, a sign, an exponent, garbage) and bad policies exit 2
  with one line naming the argument or flag, and send nothing;
- mint is refused for a vault deployed with ``--token``; amounts follow that token's decimals.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from web3 import Web3
from web3.exceptions import ContractLogicError
from zksolvency.cli import main
from zksolvency.onchain.client import Chain
from zksolvency.onchain.tx import ChainError
from zksolvency.onchain.vault import (
    EXAMPLE_SUPPLY,
    MAX_AMOUNT,
    Vault,
    VaultParams,
    deploy_vault,
    format_amount,
    parse_amount,
    vault_contracts,
)
from zksolvency.zkcore.errors import InputError

from tests.helpers.chain import Roles, at
from tests.helpers.files import TEST_BUILD
from tests.helpers.registry import ADDR, bundle, ready
from tests.helpers.vault import cache, deploy_token, mint

#: The example token's unit: 6 decimals.
U = 10**6
#: `vault deploy`'s default policy for the example token.
PARAMS = VaultParams.for_decimals(6)
TOKEN_KEYS = {"address", "symbol", "decimals"}
AMOUNT_KEYS = {"units", "tokens"}
TX_KEYS = {"tx_hash", "gas_used", "block"}
#: Every --json object of the vault commands, by its keys (amounts are {"units", "tokens"}).
JSON_KEYS = {
    "deploy": {
        "vault",
        "insurance_fund",
        "token",
        "example_token",
        "policy",
        "roles",
        "deployer",
        "deploy_block",
        "gas_used",
        "deployment",
    },
    "mint": {"vault", "token", "to", "amount"} | TX_KEYS,
    "deposit": {"vault", "token", "account", "amount", "approval"} | TX_KEYS,
    "withdraw": {"vault", "token", "account", "amount"} | TX_KEYS,
    "quote": {"vault", "token", "account", "liquidatable", "from", "seized", "bounty", "penalty", "held"},
    "liquidate": {"vault", "token", "account", "keeper", "flag", "flag_id", "slice", "started", "basis"}
    | {"seized", "bounty", "penalty", "held"}
    | TX_KEYS,
    "status": {"vault", "token", "account", "deposit", "held", "flag", "flag_id", "in_progress", "basis", "slices"}
    | {"last_slice_at", "liquidatable", "next_liquidatable_at", "shortfall_reported"},
    "release": {"vault", "token", "account", "to", "amount"} | TX_KEYS,
    "report-shortfall": {"vault", "token", "account", "flag_id", "shortfall", "covered", "socialised"} | TX_KEYS,
}
MONEY = ("seized", "bounty", "penalty", "held")


def amount(units: int, decimals: int = 6) -> dict[str, str]:
    """An amount as --json prints it."""
    return {"units": str(units), "tokens": format_amount(units, decimals)}


class VaultCli:
    """The CLI against the session's node, with a copy of its deployment file (``vault deploy``
    writes to it; the session's own stays as the registry tests expect it)."""

    def __init__(self, chain: Chain, tmp: Path) -> None:
        self.chain = chain
        self.deployment = tmp / "deployment.json"
        shutil.copyfile(chain.deployment_file, self.deployment)
        self.base = ["--rpc", chain.rpc, "--deployment", str(self.deployment), "--build-dir", str(TEST_BUILD)]

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(main, [*args, *self.base])

    def js(self, *args: str) -> Any:
        """The one JSON object a --json command printed, its keys checked against JSON_KEYS."""
        r = self.run(*args, "--json")
        assert r.exit_code == 0, r.output
        obj = json.loads(r.output)
        if args[0] == "vault":
            assert set(obj) == JSON_KEYS[args[1]], (args[1], sorted(obj))
            assert set(obj["token"]) == TOKEN_KEYS
            for k in ("amount", "basis", "deposit", "shortfall", "covered", "socialised", *MONEY):
                assert k not in obj or set(obj[k]) == AMOUNT_KEYS
        return obj

    def refused(self, code: int, *args: str) -> str:
        """Run a command that must fail with ``code``: its one line, no traceback."""
        r = self.run(*args)
        assert r.exit_code == code, r.output
        lines = r.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in r.output, r.output
        return lines[0]

    def client(self) -> Vault:
        """An independent reader of the recorded vault (its own connection and deployment file)."""
        return Vault.from_deployment(Chain(self.chain.rpc, self.deployment, TEST_BUILD))


@pytest.fixture
def cli(chain: Chain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> VaultCli:
    monkeypatch.delenv("ZKSOLVENCY_DEPLOYMENT", raising=False)
    monkeypatch.delenv("ZKSOLVENCY_RPC", raising=False)
    monkeypatch.delenv("ZKSOLVENCY_PRIVATE_KEY", raising=False)
    return VaultCli(chain, tmp_path)


def block_time(chain: Chain, block: int) -> int:
    return int(chain.w3.eth.get_block(block)["timestamp"])


def allowance(v: Vault, owner: str) -> int:
    return int(v.token.functions.allowance(owner, v.vault.address).call())


def has_role(contract: Any, role: bytes, who: str) -> bool:
    return bool(contract.functions.hasRole(role, Web3.to_checksum_address(who)).call())


# ------------------------------------------------------------ the walk


def test_a_full_walk_deploy_mint_deposit_flag_quote_liquidate_release_report_shortfall(
    cli: VaultCli, chain: Chain, roles: Roles, venue_proofs: Path
) -> None:
    keeper, liquidator, treasury = roles.others[0], roles.others[1], roles.others[4]

    # deploy: the example token, the fund and the vault, the roles, the record
    dep = cli.js("vault", "deploy", "--venue", treasury, "--liquidator", liquidator)
    assert dep["example_token"] is True and dep["deployer"] == roles.admin
    assert dep["token"]["symbol"] == "xUSD" and dep["token"]["decimals"] == 6
    assert dep["roles"] == {"admin": roles.admin, "venue": treasury, "liquidator": liquidator, "guardian": roles.admin}
    assert dep["policy"] == {"min_bounty": amount(10 * U)} | {
        k: getattr(PARAMS, k)
        for k in ("max_bounty_bps", "auction_duration", "penalty_bps", "slice_bps", "cooldown", "cure_window")
    }
    rec = json.loads(cli.deployment.read_text())
    assert (rec["vault"], rec["insurance_fund"], rec["token"]) == (dep["vault"], dep["insurance_fund"], dep["token"]["address"])
    assert rec["registry"] == chain.deployment["registry"]  # beside the registry it acts on
    assert {"vault", "insurance_fund", "token", "registry"} <= set(rec["abi"])
    assert rec["vault_deployment"]["gas_used"]["vault"] == dep["gas_used"]["vault"] > 0
    v = cli.client()
    assert v.params() == PARAMS and v.venue() == treasury
    assert str(v.vault.functions.registry().call()) == chain.deployment["registry"]
    assert has_role(v.vault, v.role_id("liquidator"), liquidator) and not has_role(v.vault, v.role_id("liquidator"), roles.admin)
    assert has_role(v.fund, v.fund_role_id("vault"), v.addresses.vault)
    assert v.token_balance(roles.admin) == EXAMPLE_SUPPLY
    # the recorded ABIs are enough for a reader that has no sources: the chain client reads the vault
    assert Chain(chain.rpc, cli.deployment).contract("vault").functions.sliceBps().call() == PARAMS.slice_bps

    # the venue enrolls the traders and publishes epoch 42 with its ledger
    ready(chain, roles, bundle(venue_proofs, "insolvent"))

    # mint: a transfer from the deployer
    m = cli.js("vault", "mint", "10000", "--to", ADDR)
    assert (m["to"], m["amount"]) == (ADDR, amount(10_000 * U))
    assert (v.token_balance(ADDR), v.token_balance(roles.admin)) == (10_000 * U, EXAMPLE_SUPPLY - 10_000 * U)

    # deposit approves exactly the amount; an allowance of exactly the amount is used as it is
    d = cli.js("vault", "deposit", "1000.5", "--from", ADDR)
    assert d["account"] == ADDR and d["amount"] == amount(1000_500_000) and set(d["approval"]) == TX_KEYS
    assert (v.balance(ADDR), allowance(v, ADDR)) == (1000_500_000, 0)
    v.approve(ADDR, U // 2)
    d = cli.js("vault", "deposit", "0.5", "--from", ADDR)
    assert d["approval"] is None and (v.balance(ADDR), allowance(v, ADDR)) == (1001 * U, 0)
    assert v.token_balance(ADDR) == 8999 * U

    st = cli.js("vault", "status", ADDR)
    assert (st["deposit"], st["held"], st["flag"], st["flag_id"], st["slices"]) == (amount(1001 * U), amount(0), "none", 0, 0)
    assert (st["liquidatable"], st["next_liquidatable_at"], st["in_progress"]) == (False, 0, False)
    text = cli.run("vault", "status", ADDR).output
    assert "deposit      1001 xUSD" in text and "not liquidatable without a new event" in text
    assert cli.refused(1, "vault", "liquidate", ADDR) == f"error: reverted: MarginVault__NotFlagged(account={ADDR})"
    # the library gives the same state (the CLI only prints it)
    import zksolvency

    assert zksolvency.vault_status(ADDR, rpc=chain.rpc, deployment=cli.deployment, build_dir=TEST_BUILD) == v.status(ADDR)

    # the real insolvency proof flags the account (through the CLI too)
    r = cli.run("chain", "flag", str(venue_proofs / "insolvent.bundle.json"))
    assert r.exit_code == 0, r.output
    flagged_at = int(chain.status(ADDR)["flagged_at"])
    line = cli.refused(1, "vault", "withdraw", "1", "--from", ADDR)
    assert line == f"error: reverted: MarginVault__AccountFlagged(account={ADDR}, flag=Insolvent)"
    cli.refused(1, "vault", "deposit", "1", "--from", ADDR)  # refused, and no approval was sent for it
    assert (v.balance(ADDR), allowance(v, ADDR), v.token_balance(ADDR)) == (1001 * U, 0, 8999 * U)

    # quote, then liquidate in the very block it quoted for
    t = flagged_at + 100
    at(chain, t)
    q = cli.js("vault", "quote", ADDR)
    text = cli.run("vault", "quote", ADDR).output
    above = format_amount(int(q["bounty"]["units"]) + 1, 6)  # one unit more than this block pays
    line = cli.refused(1, "vault", "liquidate", ADDR, "--from", keeper, "--min-bounty", above)
    assert f"MarginVault__BountyBelowMinimum(account={ADDR}, bounty={q['bounty']['units']}," in line
    liq = cli.js("vault", "liquidate", ADDR, "--from", keeper, "--min-bounty", q["bounty"]["tokens"])
    assert block_time(chain, liq["block"]) == t
    s1 = 1001 * U * PARAMS.slice_bps // 10_000  # 200.2 tokens
    split = PARAMS.split(s1, 100)
    expected = {
        "seized": amount(s1),
        "bounty": amount(split.bounty),
        "penalty": amount(split.penalty),
        "held": amount(split.held),
    }
    assert {k: q[k] for k in MONEY} == {k: liq[k] for k in MONEY} == expected
    assert (q["liquidatable"], q["from"]) == (True, flagged_at)
    assert f"bounty        {format_amount(split.bounty, 6)} xUSD (to the caller)" in text
    assert (liq["account"], liq["keeper"], liq["flag"], liq["flag_id"], liq["slice"], liq["started"]) == (
        ADDR,
        keeper,
        "insolvent",
        1,
        1,
        True,
    )
    assert liq["basis"] == amount(1001 * U)
    assert (v.token_balance(keeper), v.fund_balance(), v.held(ADDR), v.balance(ADDR)) == (
        split.bounty,
        split.penalty,
        split.held,
        1001 * U - s1,
    )

    st = cli.js("vault", "status", ADDR)
    assert (st["deposit"], st["held"], st["basis"]) == (amount(1001 * U - s1), amount(split.held), amount(1001 * U))
    assert (st["flag"], st["slices"], st["last_slice_at"], st["in_progress"]) == ("insolvent", 1, t, True)
    assert (st["liquidatable"], st["next_liquidatable_at"]) == (False, t + PARAMS.cooldown)
    text = cli.run("vault", "status", ADDR).output
    assert f"in progress: basis 1001 xUSD, 1 slice taken, the last at {t}" in text
    assert f"liquidatable at {t + PARAMS.cooldown}" in text
    at(chain, t + PARAMS.cooldown - 1)
    line = cli.refused(1, "vault", "liquidate", ADDR, "--from", keeper)
    assert line == f"error: reverted: MarginVault__NotLiquidatableYet(account={ADDR}, from={t + PARAMS.cooldown})"

    # release: only the venue's liquidator
    held = format_amount(split.held, 6)
    line = cli.refused(1, "vault", "release", ADDR, held, "--to", treasury, "--from", keeper)
    assert "AccessControlUnauthorizedAccount" in line
    rel = cli.js("vault", "release", ADDR, held, "--to", treasury, "--from", liquidator)
    assert (rel["account"], rel["to"], rel["amount"]) == (ADDR, treasury, amount(split.held))
    assert (v.held(ADDR), v.token_balance(treasury)) == (0, split.held)

    # report-shortfall: only once the account is settled
    line = cli.refused(1, "vault", "report-shortfall", ADDR, "500", "--from", liquidator)
    assert line == f"error: reverted: MarginVault__NotSettled(account={ADDR}, deposit={1001 * U - s1}, held=0)"
    for n in range(2, PARAMS.slice_count + 1):
        t += PARAMS.cooldown
        at(chain, t)
        liq = cli.js("vault", "liquidate", ADDR, "--from", keeper)
        assert (liq["slice"], liq["started"]) == (n, False)
    assert v.balance(ADDR) == 0
    to_release = v.held(ADDR)
    cli.js("vault", "release", ADDR, format_amount(to_release, 6), "--to", treasury, "--from", liquidator)
    fund, paid_to_venue = v.fund_balance(), v.token_balance(treasury)
    assert 0 < fund < 500 * U
    sf = cli.js("vault", "report-shortfall", ADDR, "500", "--from", liquidator)
    assert (sf["account"], sf["flag_id"], sf["shortfall"]) == (ADDR, 1, amount(500 * U))
    assert (sf["covered"], sf["socialised"]) == (amount(fund), amount(500 * U - fund))
    assert (v.fund_balance(), v.token_balance(treasury) - paid_to_venue, v.socialised_loss()) == (0, fund, 500 * U - fund)
    st = cli.js("vault", "status", ADDR)
    assert (st["deposit"], st["held"], st["shortfall_reported"], st["slices"]) == (amount(0), amount(0), True, 5)
    line = cli.refused(1, "vault", "report-shortfall", ADDR, "1", "--from", liquidator)
    assert line == f"error: reverted: MarginVault__ShortfallAlreadyReported(account={ADDR}, flagId=1)"


def test_quote_equals_the_liquidation_at_a_fixed_next_block_timestamp(
    cli: VaultCli, chain: Chain, roles: Roles, venue_proofs: Path
) -> None:
    """Slices at 0, D/2, D and 3D seconds into their auctions: `vault quote` (an eth_call against
    the pending block, whose time is set) is what `vault liquidate` mined in that block did."""
    keeper = roles.others[0]
    cli.js("vault", "deploy", "--min-bounty", "2.5", "--auction", "120", "--cooldown", "10")
    params = VaultParams.for_decimals(6, min_bounty=2_500_000, auction_duration=120, cooldown=10)
    v = cli.client()
    assert v.params() == params
    ready(chain, roles, bundle(venue_proofs, "insolvent"))
    cli.js("vault", "mint", "5000", "--to", ADDR)
    cli.js("vault", "deposit", "4321.123456", "--from", ADDR)
    chain.submit_proof("flag", bundle(venue_proofs, "insolvent"))
    start = int(chain.status(ADDR)["flagged_at"])
    basis, left = 4321_123_456, 4321_123_456
    for n, elapsed in enumerate((0, 60, 120, 360), start=1):
        at(chain, start + elapsed)
        q = cli.js("vault", "quote", ADDR)
        liq = cli.js("vault", "liquidate", ADDR, "--from", keeper)
        assert block_time(chain, liq["block"]) == start + elapsed
        seized = params.seize(basis, n, left)
        split = params.split(seized, elapsed)
        assert {k: q[k] for k in MONEY} == {k: liq[k] for k in MONEY}
        assert (liq["seized"], liq["bounty"], liq["penalty"], liq["held"]) == tuple(
            amount(x) for x in (seized, split.bounty, split.penalty, split.held)
        )
        assert (q["liquidatable"], q["from"], liq["slice"]) == (True, start, n)
        left -= seized
        start += elapsed + params.cooldown
    assert v.balance(ADDR) == left > 0


# ------------------------------------------------------------ refusals


BAD_AMOUNTS = {
    "too many digits": "1.0000001",
    "negative": "-1",
    "plus": "+1",
    "exponent": "1e5",
    "empty": "",
    "space": " 1",
    "comma": "1,5",
    "point only": "1.",
    "no whole part": ".5",
    "hex": "0x10",
    "non-ASCII digit": "١",
    "garbage": "lots",
}


def test_bad_amounts_exit_2_with_one_line_naming_the_argument_and_send_nothing(cli: VaultCli, chain: Chain, roles: Roles) -> None:
    cli.js("vault", "deploy")
    before = chain.w3.eth.block_number
    other = roles.others[0]
    commands: dict[str, Callable[[str], list[str]]] = {
        "mint": lambda a: ["vault", "mint", a, "--to", ADDR],
        "deposit": lambda a: ["vault", "deposit", a, "--from", ADDR],
        "withdraw": lambda a: ["vault", "withdraw", a, "--from", ADDR],
        "release": lambda a: ["vault", "release", ADDR, a, "--to", other],
        "report-shortfall": lambda a: ["vault", "report-shortfall", ADDR, a],
    }
    for case, bad in BAD_AMOUNTS.items():
        for name, args in commands.items():
            line = cli.refused(2, *args(bad))
            assert line.startswith("error: AMOUNT: ") and repr(bad) in line, (case, name, line)
        line = cli.refused(2, "vault", "deploy", "--min-bounty", bad)
        assert line.startswith("error: --min-bounty: "), (case, line)
        line = cli.refused(2, "vault", "liquidate", ADDR, "--min-bounty", bad)
        assert line.startswith("error: --min-bounty: "), (case, line)
    assert "has 7 fractional digits, at most 6 allowed" in cli.refused(2, "vault", "deposit", "1.0000001", "--from", ADDR)
    assert "must not be negative" in cli.refused(2, "vault", "mint", "-1", "--to", ADDR)
    assert chain.w3.eth.block_number == before  # nothing was sent
    # addresses too: each names its argument or flag
    assert cli.refused(2, "vault", "mint", "1", "--to", "0x12").startswith("error: --to: 0x12: ")
    assert cli.refused(2, "vault", "deposit", "1", "--from", "bob").startswith("error: --from: bob: ")
    assert cli.refused(2, "vault", "status", "0x12").startswith("error: ADDRESS: 0x12: ")
    assert cli.refused(2, "vault", "quote", ADDR, "--vault", "0x12").startswith("error: --vault: 0x12: ")

    # a real process: exit 2, one line on stderr, nothing on stdout, no traceback
    proc = subprocess.run(
        [sys.executable, "-m", "zksolvency.cli", "vault", "deposit", "1.0000001", "--from", ADDR, *cli.base],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        "error: AMOUNT: has 7 fractional digits, at most 6 allowed: '1.0000001'"
        " (a decimal string of whole tokens, at most 6 decimals)"
    ]


def test_mint_is_refused_for_a_vault_of_an_existing_token_whose_decimals_rule_amounts(
    cli: VaultCli, chain: Chain, roles: Roles
) -> None:
    token = deploy_token(chain)  # TestToken: 18 decimals
    dep = cli.js("vault", "deploy", "--token", token.address)
    assert dep["example_token"] is False and dep["token"] == {"address": token.address, "symbol": "TUSD", "decimals": 18}
    assert dep["policy"]["min_bounty"] == amount(10 * 10**18, 18) and "token" not in dep["gas_used"]
    line = cli.refused(2, "vault", "mint", "1", "--to", ADDR)
    assert line.startswith(f"error: --token: {token.address}: ") and "example token" in line
    assert int(token.functions.balanceOf(ADDR).call()) == 0
    # amounts are read with the token's own decimals, from the chain
    mint(chain, token, ADDR, 2 * 10**18)
    d = cli.js("vault", "deposit", "1.000000000000000001", "--from", ADDR)
    assert d["amount"] == {"units": str(10**18 + 1), "tokens": "1.000000000000000001"}
    assert cli.client().balance(ADDR) == 10**18 + 1
    assert "at most 18 allowed" in cli.refused(2, "vault", "deposit", "0.0000000000000000001", "--from", ADDR)


def test_deploy_refuses_what_the_registry_deployment_or_the_chain_lacks(cli: VaultCli, chain: Chain, tmp_path: Path) -> None:
    nothing = "0x" + "00" * 19 + "aa"
    assert cli.refused(2, "vault", "deploy", "--token", nothing) == f"error: --token: {nothing}: no contract at this address"
    registry = chain.deployment["registry"]
    assert cli.refused(2, "vault", "deploy", "--token", registry).endswith("is not an ERC-20 with decimals()")
    assert "run `zksolvency vault deploy` first" in cli.refused(2, "vault", "status", ADDR)
    assert (
        cli.refused(2, "vault", "status", ADDR, "--vault", nothing) == f"error: --vault: {nothing}: no contract at this address"
    )
    r = CliRunner().invoke(main, ["vault", "deploy", "--rpc", chain.rpc, "--deployment", str(tmp_path / "none.json")])
    assert r.exit_code == 2 and "chain deploy" in r.output


def test_the_policy_bounds_checked_before_sending_are_the_contracts(chain: Chain, roles: Roles) -> None:
    """For every parameter, the values at and just beyond each bound: `VaultParams.checked` accepts
    exactly what the MarginVault constructor accepts (run as an eth_call against a real fund)."""
    token = deploy_token(chain)
    base = deploy_vault(chain, token.address, PARAMS)
    compiled = vault_contracts(cache(chain))
    factory = chain.w3.eth.contract(abi=compiled["MarginVault"].abi, bytecode=compiled["MarginVault"].bytecode)
    week = 7 * 24 * 3600
    edges = {
        "max_bounty_bps": (0, 10_000, 10_001),
        "penalty_bps": (0, 9_500, 9_501),  # with max_bounty_bps 500
        "slice_bps": (0, 1, 10_000, 10_001),
        "auction_duration": (0, 1, week, week + 1),
        "cooldown": (0, 1, week, week + 1),
        "cure_window": (59, 60, week, week + 1),
    }
    for name, values in edges.items():
        for value in values:
            fields = {"min_bounty": PARAMS.min_bounty, name: value}
            try:
                VaultParams.checked(**fields)
                python_ok = True
            except InputError as e:
                assert e.file == name
                python_ok = False
            policy = VaultParams(**(vars(PARAMS) | {name: value})).as_tuple()
            args = (
                token.address,
                chain.deployment["registry"],
                base.addresses.fund,
                roles.admin,
                policy,
                roles.admin,
                roles.admin,
            )
            tx = factory.constructor(*args).build_transaction({"from": roles.admin, "gas": 30_000_000})
            try:
                chain.w3.eth.call({"from": roles.admin, "data": tx["data"]})
                contract_ok = True
            except ContractLogicError:  # the constructor's custom error
                contract_ok = False
            assert python_ok == contract_ok, (name, value, python_ok, contract_ok)
    with pytest.raises(ChainError):  # and the contract's own refusal still names its error
        deploy_vault(chain, token.address, VaultParams(**(vars(PARAMS) | {"cure_window": 59})))


# ------------------------------------------------------------ no chain needed


@pytest.mark.parametrize(
    ("text", "decimals", "units"),
    [
        ("1.5", 6, 1_500_000),
        ("0", 6, 0),
        ("007.10", 2, 710),
        ("12", 0, 12),
        ("0.000000000000000001", 18, 1),
        (format_amount(MAX_AMOUNT, 18), 18, MAX_AMOUNT),
    ],
)
def test_amounts_are_read_exactly(text: str, decimals: int, units: int) -> None:
    assert parse_amount(text, decimals) == units
    assert parse_amount(format_amount(units, decimals), decimals) == units


@pytest.mark.parametrize(
    ("text", "decimals"),
    [(t, 6) for t in BAD_AMOUNTS.values()]
    + [("1.5", 0), ("1.0", 0), (format_amount(MAX_AMOUNT + 1, 18), 18), (1.5, 6), (15, 6), (None, 6)],
)
def test_bad_amounts_are_an_input_error_naming_the_parameter(text: object, decimals: int) -> None:
    with pytest.raises(InputError) as e:
        parse_amount(text, decimals, "min_bounty")
    assert (e.value.file, e.value.field) == ("min_bounty", None)


def test_amounts_print_as_exact_decimal_strings() -> None:
    assert [format_amount(u, 6) for u in (0, 1, 1_500_000, 10**6, 1000_500_000)] == ["0", "0.000001", "1.5", "1", "1000.5"]
    assert format_amount(10**18 + 1, 18) == "1.000000000000000001"


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--slice-bps", "0", "[1, 10000]"),
        ("--slice-bps", "10001", "[1, 10000]"),
        ("--max-bounty-bps", "10001", "[0, 10000]"),
        ("--penalty-bps", "9501", "at most 10000 basis points together (the maximum bounty is 500)"),
        ("--max-bounty-bps", "9701", "at most 10000 basis points together (the penalty is 300)"),
        ("--auction", "0", "[1, 604800]"),
        ("--cooldown", "-1", "[1, 604800]"),
        ("--cure", "59", "[60, 604800]"),
        ("--token", "0x12", "20-byte"),
        ("--venue", "venue", "20-byte"),
        ("--liquidator", "0x12", "20-byte"),
        ("--admin", "0x12", "20-byte"),
        ("--guardian", "0x12", "20-byte"),
        ("--from", "0x12", "20-byte"),
    ],
)
def test_deploy_refuses_a_bad_policy_or_role_before_connecting(flag: str, value: str, message: str) -> None:
    r = CliRunner().invoke(main, ["vault", "deploy", flag, value, "--rpc", "http://127.0.0.1:9"])  # no node there
    assert r.exit_code == 2
    assert r.output.strip().splitlines() == [r.output.strip()] and r.output.startswith(f"error: {flag}: {value}: ")
    assert message in r.output


def test_the_vault_commands_are_registered() -> None:
    r = CliRunner().invoke(main, ["vault", "--help"])
    assert r.exit_code == 0
    for name in ("deploy", "mint", "deposit", "withdraw", "quote", "liquidate", "status", "release", "report-shortfall"):
        assert name in r.output
