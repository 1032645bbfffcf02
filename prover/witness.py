"""Witness input for ``Solvency(K, A, S, T, D, DC, LD)``.

:func:`build_input` lays an account, its ledger opening and a market out in the circuit's slots.
It computes no margin: SPEC §2 has one Python implementation, :mod:`prover.engine`, which the
circuit is checked against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zksolvency.prover.config import CircuitConfig
from zksolvency.zkcore.bundle import pack_account_index
from zksolvency.zkcore.commitment import (
    MarketCommitment,
    account_commitment,
    asset_field,
    sorted_holdings,
    sorted_positions,
)
from zksolvency.zkcore.errors import CapacityError
from zksolvency.zkcore.field import to_field
from zksolvency.zkcore.ledger import LedgerTree
from zksolvency.zkcore.models import Account, Market


@dataclass(frozen=True)
class LedgerOpening:
    """Where the account's leaf sits in the venue's ledger: index, siblings (leaf to root), root."""

    index: int
    siblings: Sequence[int]
    root: int

    @classmethod
    def alone(cls, account: Account, depth: int, index: int = 0) -> LedgerOpening:
        """The opening of a ledger that lists only this account, at ``index`` (tests, examples)."""
        tree = LedgerTree(depth, {index: account_commitment(account)})
        return cls(index, tree.path(index), tree.root)


def _bigger(cfg: CircuitConfig, param: str, need: int) -> str:
    return (
        f"build a circuit that fits with `zksolvency setup --param {param}={need}` and prove with"
        f" the same `--param {param}={need}` (current circuit {cfg.name})"
    )


def check_capacity(account: Account, market: Market, cfg: CircuitConfig, mc: MarketCommitment) -> None:
    """Refuse portfolios and markets the circuit cannot hold, saying how to build a bigger one."""
    if len(account.positions) > cfg.K:
        raise CapacityError(
            f"the account holds {len(account.positions)} positions, the circuit {cfg.K}: "
            + _bigger(cfg, "K", len(account.positions))
        )
    if len(account.collateral) > cfg.A:
        raise CapacityError(
            f"the account holds {len(account.collateral)} collateral assets, the circuit {cfg.A}: "
            + _bigger(cfg, "A", len(account.collateral))
        )
    s = market.n_scenarios
    if s not in (0, cfg.S):
        raise CapacityError(f"the market's risk arrays have {s} scenarios, the circuit {cfg.S}: " + _bigger(cfg, "S", s))
    for p in account.positions:
        n_t = len(market.instrument(p.instrument).mm_tiers)
        if n_t > cfg.T:
            raise CapacityError(
                f"instrument {p.instrument} has {n_t} margin tiers, the circuit {cfg.T}: " + _bigger(cfg, "T", n_t)
            )
    if mc.instrument_tree.depth > cfg.D:
        d = mc.instrument_tree.depth
        raise CapacityError(
            f"the market lists {len(market.instruments)} instruments (tree depth {d}), the circuit holds 2^{cfg.D}: "
            + _bigger(cfg, "D", d)
        )
    if mc.collateral_tree.depth > cfg.DC:
        d = mc.collateral_tree.depth
        raise CapacityError(
            f"the market lists {len(market.collateral)} collateral assets (tree depth {d}), the circuit holds 2^{cfg.DC}: "
            + _bigger(cfg, "DC", d)
        )


def _pad(path: tuple[list[int], list[int]], depth: int) -> tuple[list[int], list[int]]:
    sib, bits = path
    return sib + [0] * (depth - len(sib)), bits + [0] * (depth - len(bits))


def build_input(
    account: Account,
    market: Market,
    cfg: CircuitConfig,
    mc: MarketCommitment | None = None,
    opening: LedgerOpening | None = None,
) -> dict[str, object]:
    """The snarkjs input JSON (all values as decimal strings of field elements).

    ``opening`` defaults to a ledger that lists only this account at index 0.
    """
    mc = mc or MarketCommitment(market)
    check_capacity(account, market, cfg, mc)
    opening = opening or LedgerOpening.alone(account, cfg.LD)
    if len(opening.siblings) != cfg.LD:
        raise CapacityError(
            f"the ledger has depth {len(opening.siblings)}, the circuit {cfg.name} opens depth {cfg.LD}:"
            f" build the ledger with `--depth {cfg.LD}` or prove with `--param LD={len(opening.siblings)}`"
        )
    K, A, S, T, D, DC = cfg.K, cfg.A, cfg.S, cfg.T, cfg.D, cfg.DC

    pos = sorted_positions(account)
    p_active, p_id, p_size, p_entry, p_mark = [], [], [], [], []
    t_active, t_floor, t_rate, t_ded, has_scen, scen, p_sib, p_bits = [], [], [], [], [], [], [], []
    for i in range(K):
        if i < len(pos):
            p = pos[i]
            ins = market.instrument(p.instrument)
            tiers = list(ins.mm_tiers)
            leaf = mc.instrument_index(ins.id)
            sib, bits = _pad((mc.instrument_tree.path(leaf), mc.instrument_tree.bits(leaf)), D)
            p_active.append(1)
            p_id.append(ins.id)
            p_size.append(to_field(p.size))
            p_entry.append(p.entry_price)
            p_mark.append(ins.mark_price)
            t_active.append([1] * len(tiers) + [0] * (T - len(tiers)))
            t_floor.append([t.notional_floor for t in tiers] + [0] * (T - len(tiers)))
            t_rate.append([t.rate for t in tiers] + [0] * (T - len(tiers)))
            t_ded.append([t.deduction for t in tiers] + [0] * (T - len(tiers)))
            has_scen.append(1 if ins.scenario_pnl else 0)
            scen.append([to_field(v) for v in ins.scenario_pnl] or [0] * S)
            p_sib.append(sib)
            p_bits.append(bits)
        else:
            for lst in (p_active, p_id, p_size, p_entry, p_mark, has_scen):
                lst.append(0)
            for lst2, n in ((t_active, T), (t_floor, T), (t_rate, T), (t_ded, T), (scen, S), (p_sib, D), (p_bits, D)):
                lst2.append([0] * n)

    holdings = sorted_holdings(account)
    c_active, c_asset, c_amount, c_price, c_hair, c_sib, c_bits = [], [], [], [], [], [], []
    for i in range(A):
        if i < len(holdings):
            h = holdings[i]
            c = market.collateral_asset(h.asset)
            leaf = mc.collateral_index(h.asset)
            sib, bits = _pad((mc.collateral_tree.path(leaf), mc.collateral_tree.bits(leaf)), DC)
            c_active.append(1)
            c_asset.append(asset_field(h.asset))
            c_amount.append(h.amount)
            c_price.append(c.price)
            c_hair.append(c.haircut)
            c_sib.append(sib)
            c_bits.append(bits)
        else:
            for lst in (c_active, c_asset, c_amount, c_price, c_hair):
                lst.append(0)
            c_sib.append([0] * DC)
            c_bits.append([0] * DC)

    signals: dict[str, object] = {
        "accountIndex": pack_account_index(account.account, opening.index),
        "ledgerRoot": opening.root,
        "marketRoot": mc.root,
        "ledgerSiblings": list(opening.siblings),
        "nonce": account.nonce,
        "salt": account.salt,
        "epoch": market.epoch,
        "timestamp": market.timestamp,
        "instrDepth": mc.instrument_tree.depth,
        "instrRoot": mc.instrument_tree.root,
        "collDepth": mc.collateral_tree.depth,
        "collRoot": mc.collateral_tree.root,
        "posActive": p_active,
        "posId": p_id,
        "posSize": p_size,
        "posEntry": p_entry,
        "posMark": p_mark,
        "tierActive": t_active,
        "tierFloor": t_floor,
        "tierRate": t_rate,
        "tierDeduction": t_ded,
        "hasScen": has_scen,
        "scen": scen,
        "posSiblings": p_sib,
        "posPathBits": p_bits,
        "collActive": c_active,
        "collAsset": c_asset,
        "collAmount": c_amount,
        "collPrice": c_price,
        "collHaircut": c_hair,
        "collSiblings": c_sib,
        "collPathBits": c_bits,
    }
    out = _stringify(signals)
    assert isinstance(out, dict)
    return out


def _stringify(x: object) -> object:
    if isinstance(x, list):
        return [_stringify(v) for v in x]
    if isinstance(x, dict):
        return {k: _stringify(v) for k, v in x.items()}
    return str(x)
