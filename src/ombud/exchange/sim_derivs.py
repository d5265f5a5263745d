"""Isolated-margin perpetual positions of the simulated exchange: liquidation and ADL.

Liquidation price of an isolated linear position (exchange-domain §2.1), with Q the base
quantity, E the entry, M the margin, f the taker fee rate:
``long (E - M/Q) / (1 - mmr - f)``, ``short (E + M/Q) / (1 + mmr + f)``; bankruptcy ``E ∓ M/Q``.
A liquidated position is handed to the engine at its bankruptcy price; the equity left at the
trigger goes to the insurance fund as the liquidation penalty. An auto-deleverage closes the
opposite positions ranked by PnL% × effective leverage at the mark price.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from ombud.exchange.dto import Fill, Liquidation, LiquidationKind, Order, Position, PositionHistory
from ombud.exchange.dto import Side as OrderSide
from ombud.exchange.sim_ledger import next_id, post, quantize
from ombud.exchange.sim_market import nearest_tick, to_tick
from ombud.exchange.sim_state import SimInstrument, SimState

LIQ_SUBTYPE = {"long": 104, "short": 105}
ADL_SUBTYPE = {"long": 125, "short": 126}


@dataclass(frozen=True)
class Levels:
    """Liquidation and bankruptcy prices of a position (exact, not rounded)."""

    liq_px: Decimal
    bk_px: Decimal


def base_qty(pos: Position, inst: SimInstrument) -> Decimal:
    """Base quantity of a position."""
    return abs(pos.pos) * inst.ct_val


def levels(pos: Position, inst: SimInstrument) -> Levels:
    """Liquidation and bankruptcy price of an isolated position."""
    q = base_qty(pos, inst)
    margin = pos.margin if pos.margin is not None else pos.avg_px * q / pos.lever
    if pos.pos_side == "long":
        bk = pos.avg_px - margin / q
        return Levels(bk / (1 - inst.mmr - inst.taker_fee), bk)
    bk = pos.avg_px + margin / q
    return Levels(bk / (1 + inst.mmr + inst.taker_fee), bk)


def open_position(state: SimState, account: str, inst: SimInstrument, direction: str,
                  contracts: Decimal, entry_px: Decimal, lever: Decimal) -> Position:
    """Open an isolated position, taking its margin from the account's quote balance."""
    margin = quantize(entry_px * contracts * inst.ct_val / lever, inst.quote)
    post(state, account, inst.quote, -margin, 2, 3 if direction == "long" else 4,
         inst_id=inst.inst_id, notes="isolated margin for a new position")
    pos = Position(inst_id=inst.inst_id, mgn_mode="isolated", pos_side=direction,
                   pos=contracts if direction == "long" else -contracts, avg_px=entry_px,
                   lever=lever, c_time=state.now, u_time=state.now, margin=margin,
                   mmr=inst.mmr)
    pos = replace(pos, liq_px=nearest_tick(levels(pos, inst).liq_px, inst.tick_sz))
    state.positions.setdefault(account, []).append(pos)
    return pos


def liquidate_triggered(state: SimState, inst: SimInstrument, mark: Decimal,
                        index: Decimal) -> list[tuple[str, Liquidation]]:
    """Liquidate every isolated position of `inst` whose liquidation price `mark` reached."""
    done = []
    for account, positions in state.positions.items():
        for pos in [p for p in positions if p.inst_id == inst.inst_id]:
            lv = levels(pos, inst)
            hit = mark <= lv.liq_px if pos.pos_side == "long" else mark >= lv.liq_px
            if hit:
                done.append((account, _liquidate(state, account, pos, inst, lv, mark, index)))
    return done


def _liquidate(state: SimState, account: str, pos: Position, inst: SimInstrument, lv: Levels,
               mark: Decimal, index: Decimal) -> Liquidation:
    q = base_qty(pos, inst)
    sign = 1 if pos.pos_side == "long" else -1
    margin = pos.margin or Decimal(0)
    pnl = _signed(((mark - pos.avg_px) * q * sign), inst.quote)
    penalty = -(margin + pnl)
    bk_px = to_tick(lv.bk_px, inst.tick_sz, up=pos.pos_side == "long")
    order = _system_order(state, account, pos, inst, bk_px, "full_liquidation",
                          LIQ_SUBTYPE[pos.pos_side], mark, index)
    post(state, account, inst.quote, Decimal(0), 5, LIQ_SUBTYPE[pos.pos_side],
         inst_id=inst.inst_id, ord_id=order.ord_id, px=nearest_tick(lv.liq_px, inst.tick_sz),
         sz=abs(pos.pos), pnl=pnl, fee=penalty, notes="liquidation")
    state.insurance_fund[inst.inst_id] = state.insurance_fund.get(inst.inst_id, Decimal(0)) \
        - penalty
    _close(state, account, pos, 3, bk_px, pnl, penalty, mark)
    liq = Liquidation(inst_id=inst.inst_id, kind=LiquidationKind.FULL, direction=pos.pos_side,
                      sz=abs(pos.pos), ts=state.now, trigger_px=mark, fill_px=bk_px,
                      bk_px=bk_px, loss=max(penalty, Decimal(0)),
                      penalty=min(penalty, Decimal(0)), ord_id=order.ord_id)
    state.liquidations.setdefault(account, []).append(liq)
    return liq


def adl_triggered(peak: Decimal, balance: Decimal) -> bool:
    """OKX's trigger: the insurance fund fell 30% or more from its 8-hour peak."""
    return balance <= peak * Decimal("0.7")


def adl_ranking(state: SimState, inst: SimInstrument, direction: str,
                mark: Decimal) -> list[tuple[str, Decimal]]:
    """Accounts holding `direction` positions, ranked by PnL% × effective leverage, first first.

    Only profitable positions are ranked (exchange-domain §2.4).
    """
    ranked = []
    for account, positions in state.positions.items():
        for pos in positions:
            if pos.inst_id != inst.inst_id or pos.pos_side != direction:
                continue
            q = base_qty(pos, inst)
            sign = 1 if direction == "long" else -1
            upl = (mark - pos.avg_px) * q * sign
            margin = pos.margin or Decimal(1)
            if upl <= 0:
                continue
            ranked.append((account, (upl / margin) * (mark * q / (margin + upl))))
    return sorted(ranked, key=lambda item: (-item[1], item[0]))


def auto_deleverage(state: SimState, inst: SimInstrument, direction: str, contracts: Decimal,
                    mark: Decimal, index: Decimal) -> list[tuple[str, Liquidation]]:
    """Close `contracts` of `direction` positions, highest ADL rank first, at the mark price."""
    done = []
    remaining = contracts
    for account, _score in adl_ranking(state, inst, direction, mark):
        if remaining <= 0:
            break
        pos = next(p for p in state.positions[account]
                   if p.inst_id == inst.inst_id and p.pos_side == direction)
        take = min(remaining, abs(pos.pos))
        remaining -= take
        done.append((account, _deleverage(state, account, pos, inst, take, mark, index)))
    return done


def _deleverage(state: SimState, account: str, pos: Position, inst: SimInstrument,
                take: Decimal, mark: Decimal, index: Decimal) -> Liquidation:
    sign = 1 if pos.pos_side == "long" else -1
    q = take * inst.ct_val
    pnl = _signed((mark - pos.avg_px) * q * sign, inst.quote)
    margin_part = quantize((pos.margin or Decimal(0)) * take / abs(pos.pos), inst.quote)
    order = _system_order(state, account, pos, inst, mark, "adl", ADL_SUBTYPE[pos.pos_side],
                          mark, index, sz=take)
    post(state, account, inst.quote, margin_part + pnl, 9, ADL_SUBTYPE[pos.pos_side],
         inst_id=inst.inst_id, ord_id=order.ord_id, px=mark, sz=take, pnl=pnl,
         notes="auto-deleverage")
    full = take == abs(pos.pos)
    if full:
        _close(state, account, pos, 6, mark, pnl, Decimal(0), mark)
    else:
        rest = replace(pos, pos=pos.pos - sign * take, margin=(pos.margin or Decimal(0))
                       - margin_part, u_time=state.now)
        state.positions[account][state.positions[account].index(pos)] = rest
        _history(state, account, pos, 5, mark, pnl, Decimal(0), mark, take)
    liq = Liquidation(inst_id=inst.inst_id, kind=LiquidationKind.ADL, direction=pos.pos_side,
                      sz=take, ts=state.now, trigger_px=mark, fill_px=mark, penalty=Decimal(0),
                      ord_id=order.ord_id)
    state.liquidations.setdefault(account, []).append(liq)
    return liq


def _system_order(state: SimState, account: str, pos: Position, inst: SimInstrument,
                  px: Decimal, category: str, sub_type: int, mark: Decimal, index: Decimal,
                  sz: Decimal | None = None) -> Order:
    size = abs(pos.pos) if sz is None else sz
    side = OrderSide.SELL if pos.pos_side == "long" else OrderSide.BUY
    order = Order(ord_id=next_id(state), inst_id=inst.inst_id, side=side, ord_type="market",
                  sz=size, state="filled", c_time=state.now, u_time=state.now, inst_type="SWAP",
                  acc_fill_sz=size, avg_px=px, category=category, pos_side=pos.pos_side,
                  td_mode="isolated", lever=pos.lever, fill_time=state.now)
    state.orders.setdefault(account, []).append(order)
    fill = Fill(trade_id=f"-{next_id(state)}", ord_id=order.ord_id, bill_id=next_id(state),
                inst_id=inst.inst_id, side=side, fill_px=px, fill_sz=size, ts=state.now,
                inst_type="SWAP", sub_type=sub_type, pos_side=pos.pos_side, fill_mark_px=mark,
                fill_idx_px=index, fill_time=state.now)
    state.fills.setdefault(account, []).append(fill)
    return order


def _close(state: SimState, account: str, pos: Position, type_: int, close_px: Decimal,
           pnl: Decimal, penalty: Decimal, trigger: Decimal) -> None:
    state.positions[account].remove(pos)
    _history(state, account, pos, type_, close_px, pnl, penalty, trigger, abs(pos.pos))


def _history(state: SimState, account: str, pos: Position, type_: int, close_px: Decimal,
             pnl: Decimal, penalty: Decimal, trigger: Decimal, closed: Decimal) -> None:
    state.position_history.setdefault(account, []).append(PositionHistory(
        inst_id=pos.inst_id, mgn_mode=pos.mgn_mode, type=type_, direction=pos.pos_side,
        open_avg_px=pos.avg_px, open_max_pos=abs(pos.pos), close_total_pos=closed,
        c_time=pos.c_time, u_time=state.now, close_avg_px=close_px, lever=pos.lever, pnl=pnl,
        realized_pnl=pnl + penalty, liq_penalty=penalty, trigger_px=trigger,
        pos_id=f"{account}:{pos.inst_id}:{pos.c_time:%Y%m%d%H%M%S}"))


def _signed(amount: Decimal, ccy: str) -> Decimal:
    """`amount` rounded toward zero at the precision of `ccy`."""
    return quantize(amount, ccy) if amount >= 0 else -quantize(-amount, ccy)
