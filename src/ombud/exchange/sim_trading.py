"""Spot order entry and matching of the simulated exchange, with settlement in the ledger."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from ombud.exchange.dto import Fill, Order, Side, Trade
from ombud.exchange.errors import ExchangeRejected, Unsupported
from ombud.exchange.sim_book import Match, OrderBook, Resting
from ombud.exchange.sim_ledger import balance, next_id, post, quantize
from ombud.exchange.sim_market import snapshot
from ombud.exchange.sim_state import SimInstrument, SimState

ORDER_TYPES = ("market", "limit")


def _on_grid(value: Decimal, unit: Decimal, what: str) -> None:
    if value <= 0 or value % unit:
        raise ExchangeRejected("51000", f"{what} {value} must be a positive multiple of {unit}")


def accept(state: SimState, book: OrderBook, account: str, inst_id: str, side: str,
           ord_type: str, sz: Decimal, px: Decimal | None) -> Order:
    """Validate and accept an order (state live); record the book at acceptance."""
    inst = state.instruments.get(inst_id)
    if inst is None:
        raise ExchangeRejected("51001", f"instrument {inst_id} does not exist")
    if inst.inst_type != "SPOT":
        raise Unsupported("the simulated exchange opens swap positions with open_position")
    if ord_type not in ORDER_TYPES:
        raise ExchangeRejected("51000", f"ordType {ord_type!r} is not one of {ORDER_TYPES}")
    if account in state.frozen:
        raise ExchangeRejected("50007", f"account {account} is frozen")
    _on_grid(sz, inst.lot_sz, "size")
    if ord_type == "limit":
        if px is None:
            raise ExchangeRejected("51000", "a limit order needs a price")
        _on_grid(px, inst.tick_sz, "price")
    order = Order(ord_id=next_id(state), inst_id=inst_id, side=Side(side), ord_type=ord_type,
                  sz=sz, state="live", c_time=state.now, u_time=state.now,
                  px=px if ord_type == "limit" else None,
                  fee_ccy=inst.base if side == Side.BUY else inst.quote)
    snapshot(state, book, state.now)
    state.orders.setdefault(account, []).append(order)
    return order


def execute(state: SimState, books: dict[str, OrderBook], account: str, ord_id: str) -> Order:
    """Match an accepted order against its book now; the rest of a limit order rests."""
    orders = state.orders[account]
    at = next(i for i, o in enumerate(orders) if o.ord_id == ord_id)
    order = orders[at]
    if order.state != "live" or order.acc_fill_sz:
        raise ExchangeRejected("51400", f"order {ord_id} is not waiting to be matched")
    inst, book = state.instruments[order.inst_id], books[order.inst_id]
    if state.books.get(order.inst_id, [])[-1:] and state.books[order.inst_id][-1].ts != state.now:
        snapshot(state, book, state.now)
    preview = book.match(order.side, order.sz, order.px, dry_run=True)
    while (broke := next((m for m in preview if not _maker_can_pay(state, inst, m)), None)):
        _cancel_unfunded(state, book, broke.maker)
        preview = book.match(order.side, order.sz, order.px, dry_run=True)
    need = (sum((m.px * m.sz for m in preview), Decimal(0)) if order.side == Side.BUY
            else sum((m.sz for m in preview), Decimal(0)))
    pay = inst.quote if order.side == Side.BUY else inst.base
    if need > balance(state, account, pay):
        orders[at] = replace(order, state="canceled", u_time=state.now, cancel_source=9,
                             cancel_source_reason=f"insufficient {pay} balance")
        return orders[at]
    fills = [_settle(state, inst, account, order, m)
             for m in book.match(order.side, order.sz, order.px)]
    filled = sum((f.fill_sz for f in fills), Decimal(0))
    notional = sum((f.fill_sz * f.fill_px for f in fills), Decimal(0))
    remaining = order.sz - filled
    if remaining and order.ord_type == "limit":
        book.add(Resting(order.ord_id, account, order.side, order.px or Decimal(0), remaining,
                         state.seq))
        status, reason = ("partially_filled" if filled else "live"), None
    elif remaining:
        status, reason = "canceled", "the rest of a market order found no more liquidity"
    else:
        status, reason = "filled", None
    orders[at] = replace(
        order, state=status, u_time=state.now, acc_fill_sz=filled,
        avg_px=(notional / filled) if filled else None, cancel_source_reason=reason,
        fee=sum((f.fee for f in fills), Decimal(0)), fill_time=state.now if fills else None)
    return orders[at]


def _maker_can_pay(state: SimState, inst: SimInstrument, match: Match) -> bool:
    """Resting orders hold no funds aside, so a maker is checked before it trades."""
    maker = match.maker
    if maker.side == Side.SELL:
        return balance(state, maker.account, inst.base) >= match.sz
    return balance(state, maker.account, inst.quote) >= match.px * match.sz


def _cancel_unfunded(state: SimState, book: OrderBook, maker: Resting) -> None:
    """Take a resting order its account can no longer pay for off the book."""
    book.cancel(maker.ord_id)
    orders = state.orders.get(maker.account, [])
    for at, resting in enumerate(orders):
        if resting.ord_id == maker.ord_id:
            orders[at] = replace(resting, state="canceled", u_time=state.now, cancel_source=9,
                                 cancel_source_reason="insufficient balance to fill")


def _settle(state: SimState, inst: SimInstrument, account: str, order: Order,
            match: Match) -> Fill:
    """Move the money of one match, record both sides' fills and the public trade."""
    trade_id = next_id(state)
    quote_amt = match.px * match.sz
    taker_fill = _leg(state, inst, account, order.ord_id, order.side, match, quote_amt,
                      trade_id, taker=True)
    maker_side = Side.SELL if order.side == Side.BUY else Side.BUY
    _leg(state, inst, match.maker.account, match.maker.ord_id, maker_side, match, quote_amt,
         trade_id, taker=False)
    state.trades.setdefault(inst.inst_id, []).append(
        Trade(inst.inst_id, trade_id, match.px, match.sz, order.side, state.now))
    return taker_fill


def _leg(state: SimState, inst: SimInstrument, account: str, ord_id: str, side: Side,
         match: Match, quote_amt: Decimal, trade_id: str, taker: bool) -> Fill:
    rate = inst.taker_fee if taker else Decimal(0)
    if side == Side.BUY:
        fee_ccy, fee = inst.base, quantize(match.sz * rate, inst.base)
        post(state, account, inst.quote, -quote_amt, 2, 1, inst_id=inst.inst_id, ord_id=ord_id,
             px=match.px, sz=match.sz)
        bill = post(state, account, inst.base, match.sz - fee, 2, 1, inst_id=inst.inst_id,
                    ord_id=ord_id, px=match.px, sz=match.sz, fee=-fee)
    else:
        fee_ccy, fee = inst.quote, quantize(quote_amt * rate, inst.quote)
        post(state, account, inst.base, -match.sz, 2, 2, inst_id=inst.inst_id, ord_id=ord_id,
             px=match.px, sz=match.sz)
        bill = post(state, account, inst.quote, quote_amt - fee, 2, 2, inst_id=inst.inst_id,
                    ord_id=ord_id, px=match.px, sz=match.sz, fee=-fee)
    fill = Fill(trade_id=trade_id, ord_id=ord_id, bill_id=bill.bill_id, inst_id=inst.inst_id,
                side=side, fill_px=match.px, fill_sz=match.sz, ts=state.now,
                sub_type=1 if side == Side.BUY else 2, exec_type="T" if taker else "M",
                fee=-fee, fee_ccy=fee_ccy, fill_time=state.now)
    state.fills.setdefault(account, []).append(fill)
    return fill
