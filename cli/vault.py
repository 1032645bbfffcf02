"""``zksolvency vault …``: the example protocol's margin vault (SPEC §10) from the command line:
deploy it on the registry, hand out the example token, deposit and withdraw, quote and take
liquidation slices, read an account's state, and the venue's liquidator's release and
report-shortfall. Each command is one ``zksolvency.vault_*`` function; this module parses and prints.

Amounts in are decimal strings of whole tokens (``12.5``), read with the token's ``decimals()``;
amounts out are printed the same way. ``--json`` gives every amount as ``{"units": "…",
"tokens": "…"}``: token units and whole tokens, both decimal strings.
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import click
from zksolvency.cli.chain import ChainContext, chain_options, json_option
from zksolvency.zkcore.fixedpoint import format_fraction

if TYPE_CHECKING:
    from zksolvency.onchain.tx import TxResult
    from zksolvency.onchain.vault import TokenInfo, Vault

#: Commands with an AMOUNT argument read "-1" as that argument (and refuse it with one line
#: naming AMOUNT) instead of as an unknown option.
AMOUNT_COMMAND = {"ignore_unknown_options": True}

vault_option = click.option(
    "--vault", "vault_address", metavar="ADDRESS", default=None, help="the vault (default: the one `vault deploy` recorded)"
)
amount_argument = click.argument("amount", metavar="AMOUNT")
account_argument = click.argument("account", metavar="ADDRESS")
liquidator_from = click.option(
    "--from", "sender", metavar="ADDRESS", default=None, help="the venue's liquidator (default: the chain's default sender)"
)


trader_from = click.option(
    "--from",
    "sender",
    metavar="ADDRESS",
    required=True,
    help="the trader (on a local anvil any address; elsewhere the key in $ZKSOLVENCY_PRIVATE_KEY)",
)


def _client(ctx: ChainContext, address: str | None) -> Vault:
    import zksolvency

    return zksolvency.vault(ctx.rpc, ctx.deployment, build_dir=ctx.build, address=address)


def _money(tok: TokenInfo, **amounts: int) -> dict[str, dict[str, str]]:
    return {k: tok.amount_json(v) for k, v in amounts.items()}


def _percent(bps: int) -> str:
    """Basis points as an exact percentage (``250`` -> ``"2.5%"``)."""
    return f"{format_fraction(Fraction(bps, 100))}%"


def _tx_line(res: TxResult) -> str:
    return f"tx {res.tx_hash}, gas used {res.gas_used:,}"


def _out(as_json: bool, obj: dict[str, Any], text: str) -> None:
    click.echo(json.dumps(obj) if as_json else text)


@click.group("vault")
def vault_group() -> None:
    """The example protocol's margin vault (SPEC §10): deploy, deposit, quote, liquidate, settle.

    Amounts are decimal strings of whole tokens (the token's decimals() read from the chain). On a
    local anvil --from may name any address (anvil impersonates it); elsewhere
    $ZKSOLVENCY_PRIVATE_KEY signs.
    """


@vault_group.command("deploy")
@click.option("--token", metavar="ADDR", default=None, help="an existing ERC-20 as collateral (default: deploy the example xUSD)")
@click.option("--min-bounty", metavar="X", default=None, help="bounty at the start of each auction, in tokens (default 10)")
@click.option("--max-bounty-bps", type=int, default=None, metavar="N", help="bounty at the auction's end, bps of the slice (500)")
@click.option("--auction", "auction_duration", type=int, default=None, metavar="S", help="seconds the bounty rises for (600)")
@click.option("--penalty-bps", type=int, default=None, metavar="N", help="penalty to the insurance fund, bps of the slice (300)")
@click.option("--slice-bps", type=int, default=None, metavar="N", help="a slice, bps of the liquidation's basis (2000)")
@click.option("--cooldown", type=int, default=None, metavar="S", help="seconds between slices (30)")
@click.option("--cure", "cure_window", type=int, default=None, metavar="S", help="seconds a stale account has to cure (900)")
@click.option("--admin", metavar="A", default=None, help="grants roles on the vault and the fund (default: the deployer)")
@click.option(
    "--venue", metavar="A", default=None, help="where the fund pays reported shortfalls (default: the registry's venue)"
)
@click.option(
    "--liquidator",
    metavar="A",
    default=None,
    help="LIQUIDATOR_ROLE: release, report-shortfall (default: the registry's liquidator)",
)
@click.option("--guardian", metavar="A", default=None, help="pays out of the insurance fund by hand (default: the admin)")
@click.option("--from", "sender", metavar="ADDRESS", default=None, help="the deployer (default: the chain's default sender)")
@chain_options
@json_option
def vault_deploy(
    ctx: ChainContext,
    token: str | None,
    min_bounty: str | None,
    max_bounty_bps: int | None,
    auction_duration: int | None,
    penalty_bps: int | None,
    slice_bps: int | None,
    cooldown: int | None,
    cure_window: int | None,
    admin: str | None,
    venue: str | None,
    liquidator: str | None,
    guardian: str | None,
    sender: str | None,
    as_json: bool,
) -> None:
    """Deploy the example token (unless --token), the insurance fund and the vault on the deployed
    registry, grant the roles, and record them in the deployment file."""
    import zksolvency

    d = zksolvency.vault_deploy(
        token=token,
        min_bounty=min_bounty,
        max_bounty_bps=max_bounty_bps,
        auction_duration=auction_duration,
        penalty_bps=penalty_bps,
        slice_bps=slice_bps,
        cooldown=cooldown,
        cure_window=cure_window,
        admin=admin,
        venue=venue,
        liquidator=liquidator,
        guardian=guardian,
        sender=sender,
        rpc=ctx.rpc,
        deployment=ctx.deployment,
        build_dir=ctx.build,
    )
    v, p = d.vault, d.params
    tok = v.token_info()
    if as_json:
        policy: dict[str, object] = {"min_bounty": tok.amount_json(p.min_bounty)}
        for k in ("max_bounty_bps", "auction_duration", "penalty_bps", "slice_bps", "cooldown", "cure_window"):
            policy[k] = getattr(p, k)
        obj = {
            "vault": v.addresses.vault,
            "insurance_fund": v.addresses.fund,
            "token": tok.as_json(),
            "example_token": d.example_token,
            "policy": policy,
            "roles": d.roles,
            "deployer": d.deployer,
            "deploy_block": d.deploy_block,
            "gas_used": d.gas_used,
            "deployment": str(v.chain.deployment_file),
        }
        click.echo(json.dumps(obj))
        return
    kind = f"the example token, {tok.show(v.token_balance(d.deployer))} held by the deployer" if d.example_token else "--token"
    click.echo(f"{'token':<15} {tok.address}  ({tok.symbol or 'no symbol'}, {tok.decimals} decimals; {kind})")
    click.echo(f"{'insurance fund':<15} {v.addresses.fund}  (gas {d.gas_used['insurance_fund']:,})")
    click.echo(f"{'vault':<15} {v.addresses.vault}  (gas {d.gas_used['vault']:,})")
    click.echo(
        f"{'policy':<15} slices of {_percent(p.slice_bps)} of the basis, {p.cooldown} s apart; bounty from"
        f" {tok.show(p.min_bounty)} up to {_percent(p.max_bounty_bps)} of the slice over {p.auction_duration} s;"
        f" penalty {_percent(p.penalty_bps)}; cure window {p.cure_window} s"
    )
    for role, who in d.roles.items():
        click.echo(f"{role:<15} {who}")
    click.echo(f"deployment written to {v.chain.deployment_file}")


@vault_group.command("mint", context_settings=AMOUNT_COMMAND)
@amount_argument
@click.option("--to", metavar="ADDRESS", required=True, help="who receives the tokens")
@vault_option
@chain_options
@json_option
def vault_mint(ctx: ChainContext, amount: str, to: str, vault_address: str | None, as_json: bool) -> None:
    """Hand out AMOUNT of the example token (a transfer from its deployer); refused for a vault
    deployed with --token."""
    import zksolvency

    v = _client(ctx, vault_address)
    res = zksolvency.vault_mint(amount, to, client=v)
    tok = v.token_info()
    obj = {"vault": v.addresses.vault, "token": tok.as_json(), "to": res.account, **_money(tok, amount=res.amount)}
    _out(
        as_json,
        obj | res.as_json(),
        f"sent {tok.show(res.amount)} to {res.account} from the example token's deployer: {_tx_line(res)}",
    )


@vault_group.command("deposit", context_settings=AMOUNT_COMMAND)
@amount_argument
@trader_from
@vault_option
@chain_options
@json_option
def vault_deposit(ctx: ChainContext, amount: str, sender: str, vault_address: str | None, as_json: bool) -> None:
    """Deposit AMOUNT from --from, approving the vault for exactly AMOUNT first (unless that is the
    allowance already)."""
    import zksolvency

    v = _client(ctx, vault_address)
    res = zksolvency.vault_deposit(amount, sender=sender, client=v)
    tok = v.token_info()
    approval = res.approval.as_json() if res.approval is not None else None
    obj = {"vault": v.addresses.vault, "token": tok.as_json(), "account": res.account, **_money(tok, amount=res.amount)}
    first = (
        f"approved exactly that first: tx {res.approval.tx_hash}" if res.approval else "the allowance was exactly that already"
    )
    text = f"{res.account} deposited {tok.show(res.amount)} ({first}): {_tx_line(res)}"
    _out(as_json, obj | {"approval": approval} | res.as_json(), text)


@vault_group.command("withdraw", context_settings=AMOUNT_COMMAND)
@amount_argument
@trader_from
@vault_option
@chain_options
@json_option
def vault_withdraw(ctx: ChainContext, amount: str, sender: str, vault_address: str | None, as_json: bool) -> None:
    """Withdraw AMOUNT of --from's deposit (only while attested solvent and not being liquidated)."""
    import zksolvency

    v = _client(ctx, vault_address)
    res = zksolvency.vault_withdraw(amount, sender=sender, client=v)
    tok = v.token_info()
    obj = {"vault": v.addresses.vault, "token": tok.as_json(), "account": res.account, **_money(tok, amount=res.amount)}
    _out(as_json, obj | res.as_json(), f"{res.account} withdrew {tok.show(res.amount)}: {_tx_line(res)}")


@vault_group.command("quote")
@account_argument
@vault_option
@chain_options
@json_option
def vault_quote(ctx: ChainContext, account: str, vault_address: str | None, as_json: bool) -> None:
    """What `vault liquidate ADDRESS` sent now would do in the next block: seized, bounty, penalty,
    held, whether it succeeds, and from when the slice is liquidatable."""
    import zksolvency

    v = _client(ctx, vault_address)
    q = zksolvency.vault_quote(account, client=v)
    tok = v.token_info()
    if as_json:
        obj = {"vault": v.addresses.vault, "token": tok.as_json(), "account": account, "liquidatable": q.liquidatable}
        obj |= {"from": q.liquidatable_from, **_money(tok, seized=q.seized, bounty=q.bounty, penalty=q.penalty, held=q.held)}
        click.echo(json.dumps(obj))
        return
    click.echo(f"{'account':<13} {account}")
    if q.liquidatable:
        click.echo(f"{'liquidatable':<13} yes: this slice's auction started at {q.liquidatable_from}")
        click.echo(f"{'seized':<13} {tok.show(q.seized)}")
        click.echo(f"{'bounty':<13} {tok.show(q.bounty)} (to the caller)")
        click.echo(f"{'penalty':<13} {tok.show(q.penalty)} (to the insurance fund)")
        click.echo(f"{'held':<13} {tok.show(q.held)} (for the venue's liquidator)")
    elif q.liquidatable_from:
        click.echo(f"{'liquidatable':<13} no: from {q.liquidatable_from} (cure window or cooldown)")
    else:
        why = (
            "not flagged, nothing deposited, a stale flag while the venue's ledger is overdue,"
            " or a stale flag's first slice waiting for the ledger of the latest market"
        )
        click.echo(f"{'liquidatable':<13} no: not without a new event ({why})")


@vault_group.command("liquidate")
@account_argument
@click.option(
    "--from", "sender", metavar="ADDRESS", default=None, help="the keeper, paid the bounty (default: the chain's default sender)"
)
@click.option(
    "--min-bounty",
    metavar="AMOUNT",
    default=None,
    help="refuse (liquidateAtLeast) unless the bounty, in the block that mines it, is at least AMOUNT whole tokens",
)
@vault_option
@chain_options
@json_option
def vault_liquidate(
    ctx: ChainContext, account: str, sender: str | None, min_bounty: str | None, vault_address: str | None, as_json: bool
) -> None:
    """Take the next slice of ADDRESS's deposit: the bounty to --from, the penalty to the insurance
    fund, the rest held for the venue's liquidator."""
    import zksolvency

    v = _client(ctx, vault_address)
    r = zksolvency.vault_liquidate(account, sender=sender, client=v, min_bounty=min_bounty)
    tok = v.token_info()
    s = r.split
    obj: dict[str, Any] = {"vault": v.addresses.vault, "token": tok.as_json(), "account": r.account, "keeper": r.keeper}
    obj |= {"flag": r.flag, "flag_id": r.flag_id, "slice": r.slice, "started": r.started}
    obj |= _money(tok, basis=r.basis, seized=r.seized, bounty=s.bounty, penalty=s.penalty, held=s.held)
    started = "; the first, which began this liquidation" if r.started else ""
    text = (
        f"liquidated slice {r.slice} of {r.account} (flag {r.flag}, id {r.flag_id}; basis {tok.show(r.basis)}{started}):"
        f" seized {tok.show(r.seized)} = bounty {tok.show(s.bounty)} to {r.keeper} + penalty {tok.show(s.penalty)}"
        f" to the insurance fund + held {tok.show(s.held)}\n{_tx_line(r)}"
    )
    _out(as_json, obj | r.as_json(), text)


@vault_group.command("status")
@account_argument
@vault_option
@chain_options
@json_option
def vault_status(ctx: ChainContext, account: str, vault_address: str | None, as_json: bool) -> None:
    """ADDRESS in the vault: deposit, held, the registry's flag, the liquidation of that flag
    (basis, slices taken) and when the next slice is liquidatable."""
    import zksolvency

    v = _client(ctx, vault_address)
    st = zksolvency.vault_status(account, client=v)
    tok = v.token_info()
    if as_json:
        obj: dict[str, Any] = {"vault": v.addresses.vault, "token": tok.as_json(), "account": account}
        obj |= _money(tok, deposit=st.deposit, held=st.held)
        obj |= {"flag": st.flag, "flag_id": st.flag_id, "in_progress": st.in_progress, **_money(tok, basis=st.basis)}
        obj |= {"slices": st.slices, "last_slice_at": st.last_slice_at, "liquidatable": st.liquidatable}
        obj |= {"next_liquidatable_at": st.next_liquidatable_at, "shortfall_reported": st.shortfall_reported}
        click.echo(json.dumps(obj))
        return
    if st.slices:
        state = "in progress" if st.in_progress else "not in progress"
        slices = f"{st.slices} slice{'s' if st.slices != 1 else ''} taken, the last at {st.last_slice_at}"
        liquidation = f"{state}: basis {tok.show(st.basis)}, {slices}"
    else:
        liquidation = "none of this flag"
    if st.liquidatable:
        nxt = f"liquidatable now (its auction started at {st.next_liquidatable_at})"
    elif st.next_liquidatable_at:
        nxt = f"liquidatable at {st.next_liquidatable_at}"
    else:
        nxt = "not liquidatable without a new event"
    rows = {
        "account": account,
        "deposit": tok.show(st.deposit),
        "held": f"{tok.show(st.held)} (for the venue's liquidator)",
        "flag": f"{st.flag} (flag id {st.flag_id})" if st.flag_id else str(st.flag),
        "liquidation": liquidation,
        "next slice": nxt,
        "shortfall": "reported for this flag" if st.shortfall_reported else "not reported for this flag",
    }
    for k, val in rows.items():
        click.echo(f"{k:<12} {val}")


@vault_group.command("release", context_settings=AMOUNT_COMMAND)
@account_argument
@amount_argument
@click.option("--to", metavar="ADDRESS", required=True, help="who is paid: the venue, the trader or the insurance fund")
@liquidator_from
@vault_option
@chain_options
@json_option
def vault_release(
    ctx: ChainContext, account: str, amount: str, to: str, sender: str | None, vault_address: str | None, as_json: bool
) -> None:
    """The venue's liquidator: pay AMOUNT held from ADDRESS's liquidation out to --to."""
    import zksolvency

    v = _client(ctx, vault_address)
    res = zksolvency.vault_release(account, to, amount, sender=sender, client=v)
    tok = v.token_info()
    obj = {"vault": v.addresses.vault, "token": tok.as_json(), "account": res.account, "to": res.to}
    text = f"released {tok.show(res.amount)} held from {res.account} to {res.to}: {_tx_line(res)}"
    _out(as_json, obj | _money(tok, amount=res.amount) | res.as_json(), text)


@vault_group.command("report-shortfall", context_settings=AMOUNT_COMMAND)
@account_argument
@amount_argument
@liquidator_from
@vault_option
@chain_options
@json_option
def vault_report_shortfall(
    ctx: ChainContext, account: str, amount: str, sender: str | None, vault_address: str | None, as_json: bool
) -> None:
    """The venue's liquidator: report what the settled insolvent ADDRESS still owes; the insurance
    fund pays it to the venue up to its balance, the rest is socialised loss."""
    import zksolvency

    v = _client(ctx, vault_address)
    r = zksolvency.vault_report_shortfall(account, amount, sender=sender, client=v)
    tok = v.token_info()
    obj: dict[str, Any] = {"vault": v.addresses.vault, "token": tok.as_json(), "account": r.account, "flag_id": r.flag_id}
    obj |= _money(tok, shortfall=r.shortfall, covered=r.covered, socialised=r.socialised)
    text = (
        f"reported a shortfall of {tok.show(r.shortfall)} for {r.account} (flag id {r.flag_id}): the insurance fund paid"
        f" {tok.show(r.covered)} to the venue, {tok.show(r.socialised)} socialised\n{_tx_line(r)}"
    )
    _out(as_json, obj | r.as_json(), text)


COMMANDS = (vault_group,)
