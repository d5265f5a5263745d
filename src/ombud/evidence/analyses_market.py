"""Analyses of market evidence: replay of a disputed order, liquidation recompute, ADL check.

Pure: captured records in (their JSON form), an `Outcome` out. The simulator records the book
an order met at the instant it met it; those snapshots become the replay capture, each placed
1 ns before its instant (the book *before* the match), and the capture is known up to the
last snapshot's instant.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ombud.evidence.analysis_model import Evidence, Outcome, Undetermined, loss_in_usd, records
from ombud.evidence.capture import disputed_order
from ombud.evidence.liquidation import MarginMode, OkxRules, Position, Tier, recompute_liquidation
from ombud.evidence.liquidation import Side as PosSide
from ombud.evidence.liquidation import Verdict as LiqVerdict
from ombud.evidence.liquidation.model import Candle as LiqCandle
from ombud.evidence.replay import (
    BookEvents,
    Capture,
    DisputedOrder,
    Instrument,
    Kind,
    LatencyModel,
    OrderType,
    ReplayIndex,
    Side,
    Trades,
    Verdict,
    order_chart,
    replay_order,
)
from ombud.evidence.replay import Fill as ReplayFill
from ombud.evidence.schemas import Analysis, Fault
from ombud.exchange.dto import (
    Bill,
    BookSnapshot,
    Candle,
    Fill,
    Liquidation,
    LiquidationKind,
    Order,
    PositionHistory,
    StatusWindow,
    Trade,
)

#: Accept-to-match latency the replay expects of the simulator, which matches an order the
#: moment it accepts it: any later match is the engine's lag (the snapshots show the book only
#: at acceptance and at matching, so no tolerance window could be priced).
LATENCY = LatencyModel.fixed(0, tolerance_ns=0)
#: Published instrument rules: (contract value, tick size, tier table and taker fee).
RULES: dict[str, tuple[Decimal, Decimal, OkxRules]] = {
    "BTC-USDT-SWAP": (Decimal("0.01"), Decimal("0.1"), OkxRules(
        tiers=(Tier(1, Decimal(0), Decimal(500), Decimal("0.004"), Decimal(125)),),
        taker_fee_rate=Decimal("0.0005"))),
}
_REPLAY_FAULT = {Verdict.WITHIN_EXPECTATION: Fault.MARKET, Verdict.PLATFORM_FAULT: Fault.PLATFORM,
                 Verdict.CUSTOMER_PARAMETERS: Fault.CUSTOMER}


def ns(when: dt.datetime) -> int:
    """Nanoseconds since the epoch of an aware time (exact to the microsecond)."""
    delta = when - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def _quantum(values: Sequence[Decimal]) -> Decimal:
    """The coarsest power of ten every value is a multiple of."""
    exp = min((min(int(v.normalize().as_tuple().exponent), 0) for v in values if v), default=0)
    return Decimal(1).scaleb(int(exp))


def sim_capture(inst_id: str, books: Sequence[BookSnapshot], trades: Sequence[Trade]) -> Capture:
    """A replay capture from recorded snapshots and public trades (see the module note)."""
    levels = [lv for b in books for lv in (*b.bids, *b.asks)]
    inst = Instrument(inst_id, _quantum([lv.px for lv in levels] + [t.px for t in trades]),
                      _quantum([lv.sz for lv in levels] + [t.sz for t in trades]))
    rows: list[tuple[int, int, int, int, int]] = []  # ts, kind, side, price, qty
    for snap in sorted(books, key=lambda b: b.ts):
        at = ns(snap.ts) - 1
        rows.append((at, Kind.CLEAR, 0, 0, 0))
        rows += [(at, Kind.SNAPSHOT, Side.BUY, inst.to_ticks(lv.px), inst.to_lots(lv.sz))
                 for lv in snap.bids]
        rows += [(at, Kind.SNAPSHOT, Side.SELL, inst.to_ticks(lv.px), inst.to_lots(lv.sz))
                 for lv in snap.asks]
    if books:
        last = max(books, key=lambda b: b.ts)
        if last.asks:  # the book is known up to the last snapshot's instant
            best = last.asks[0]
            rows.append((ns(last.ts), Kind.DIFF, Side.SELL, inst.to_ticks(best.px),
                         inst.to_lots(best.sz)))
    col = np.array(rows, dtype=np.int64).reshape(-1, 5)
    events = BookEvents(col[:, 0].copy(), col[:, 0].copy(), col[:, 1].astype(np.int8),
                        col[:, 2].astype(np.int8), col[:, 3].copy(), col[:, 4].copy(),
                        np.arange(len(rows), dtype=np.int64))
    tr = sorted(trades, key=lambda t: t.ts)
    t_ts = np.array([ns(t.ts) for t in tr], dtype=np.int64)
    trade_cols = Trades(t_ts, t_ts.copy(),
                        np.array([Side.BUY if t.side == "buy" else Side.SELL for t in tr],
                                 dtype=np.int8),
                        np.array([inst.to_ticks(t.px) for t in tr], dtype=np.int64),
                        np.array([inst.to_lots(t.sz) for t in tr], dtype=np.int64),
                        np.arange(len(tr), dtype=np.int64))
    return Capture(inst, "sim", events, trade_cols)


def replay(ev: Evidence, text: str, as_of: dt.datetime) -> Outcome:
    """Replay the disputed order against the captured book."""
    orders = records(ev, "orders", Order)
    order = disputed_order(orders, text)
    if order is None:
        raise Undetermined("the exchange holds no filled order of the customer in the 30 days "
                           "before the complaint", ev, "orders")
    fills = [f for f in records(ev, "fills", Fill) if f.ord_id == order.ord_id]
    books = records(ev, "books", BookSnapshot)
    if not books:
        raise Undetermined(f"no book of {order.inst_id} was captured around order "
                           f"{order.ord_id} (the exchange keeps no historical book; import a "
                           "market-data capture)", ev, "books")
    capture = sim_capture(order.inst_id, books, records(ev, "trades", Trade))
    index = ReplayIndex.build(capture.events)
    disputed = DisputedOrder(
        side=Side.BUY if order.side == "buy" else Side.SELL,
        order_type=OrderType.LIMIT if order.ord_type == "limit" else OrderType.MARKET,
        size=order.sz, accept_ts=ns(order.c_time),
        fills=tuple(ReplayFill(ns(f.ts), f.fill_px, f.fill_sz) for f in fills),
        limit_price=order.px if order.ord_type == "limit" else None)
    result = replay_order(capture, index, disputed, LATENCY, as_of)
    cites = ["orders", "fills", "books", "trades"]
    if result.verdict is Verdict.UNDETERMINED:
        raise Undetermined(result.reason.removeprefix("undetermined because "), ev, *cites)
    quote = order.inst_id.split("-")[1]
    loss = None
    if result.verdict is Verdict.PLATFORM_FAULT:
        loss = max(result.delay_cost or Decimal(0), Decimal(0)) + max(
            result.residual or Decimal(0), Decimal(0))
    incidents = [s for s in records(ev, "system_status", StatusWindow)
                 if s.begin <= order.c_time and (s.end is None or s.end >= order.c_time)]
    summary = f"Order {order.ord_id} ({order.side} {order.sz} {order.inst_id}): {result.reason}."
    if incidents:
        summary += f" The exchange published an incident at the time: {incidents[0].title}."
    return Outcome(
        Analysis.REPLAY, result.verdict.value, _REPLAY_FAULT[result.verdict], summary,
        figures={"ord_id": order.ord_id, "expected_vwap": result.expected.vwap
                 if result.expected else None, "actual_vwap": result.actual_vwap,
                 "market_movement": result.market_movement, "delay_cost": result.delay_cost,
                 "residual": result.residual, "delay_ms": (result.delay_ns or 0) / 1e6},
        cites=_ids(ev, *cites, "system_status"), loss_asset=quote if loss else None,
        loss_amount=loss, loss_usd=loss_in_usd(quote, loss, ev, order.c_time),
        chart=order_chart(capture, index, disputed, before_ns=2_000_000_000,
                          after_ns=2_000_000_000))


def _ids(ev: Evidence, *kinds: str) -> tuple[int, ...]:
    return tuple(ev[k].id for k in kinds if k in ev)


def liquidation(ev: Evidence, text: str, as_of: dt.datetime) -> Outcome:
    """Recompute the customer's latest liquidation, or check an auto-deleverage."""
    liqs = records(ev, "liquidations", Liquidation)
    if not liqs:
        raise Undetermined("the exchange holds no liquidation or ADL record of the customer in "
                           "the 30 days before the complaint", ev, "liquidations")
    liq = liqs[-1]
    hist = [h for h in records(ev, "position_history", PositionHistory)
            if h.inst_id == liq.inst_id and h.u_time == liq.ts]
    if not hist:
        raise Undetermined(f"no closed-position record matches the {liq.kind.value} of "
                           f"{liq.inst_id} at {liq.ts:%Y-%m-%d %H:%M:%S}", ev,
                           "liquidations", "position_history")
    marks = [_candle(c) for c in records(ev, "mark_candles", Candle)]
    if liq.kind is LiquidationKind.ADL:
        return _adl(ev, liq, hist[-1], marks)
    return _recompute(ev, liq, hist[-1], marks)


def _candle(c: Candle) -> LiqCandle:
    return LiqCandle(c.ts, c.o, c.h, c.low, c.c, c.confirmed)


def _recompute(ev: Evidence, liq: Liquidation, hist: PositionHistory,
               marks: list[LiqCandle]) -> Outcome:
    cites = ("liquidations", "position_history", "bills", "mark_candles", "index_candles")
    if liq.inst_id not in RULES:
        raise Undetermined(f"Ombud has no tier table for {liq.inst_id}", ev, *cites)
    ct_val, tick, rules = RULES[liq.inst_id]
    margin = next((-b.bal_chg for b in records(ev, "bills", Bill)
                   if b.inst_id == liq.inst_id and b.type == 2 and b.ts == hist.c_time
                   and b.bal_chg < 0), None)
    position = Position(liq.inst_id, PosSide(hist.direction), hist.open_max_pos,
                        hist.open_avg_px, MarginMode(hist.mgn_mode), hist.lever or Decimal(1),
                        margin, ct_val=ct_val)
    result = recompute_liquidation(
        position, rules, marks, window_start=hist.c_time, liquidated_at=liq.ts,
        index_candles=[_candle(c) for c in records(ev, "index_candles", Candle)],
        price_tolerance=tick, trigger_price=liq.trigger_px, fill_price=liq.fill_px)
    if result.verdict is LiqVerdict.UNDETERMINED:
        raise Undetermined(result.reason, ev, *cites)
    fault = {LiqVerdict.TRIGGERED_CORRECTLY: Fault.MARKET}.get(result.verdict, Fault.PLATFORM)
    quote = liq.inst_id.split("-")[1]
    loss = -hist.realized_pnl if fault is Fault.PLATFORM and hist.realized_pnl < 0 else None
    return Outcome(
        Analysis.LIQUIDATION, result.verdict.value, fault, result.reason,
        figures={"liq_px": result.levels.liquidation_price,
                 "bk_px": result.levels.bankruptcy_price, "trigger_px": liq.trigger_px,
                 "wick_deviation": result.wick_deviation, "notes": list(result.notes)},
        cites=_ids(ev, *cites), loss_asset=quote if loss else None, loss_amount=loss,
        loss_usd=loss_in_usd(quote, loss, ev, liq.ts),
        chart=_liquidation_chart(liq, marks, records(ev, "index_candles", Candle),
                                 result.levels.liquidation_price))


def _adl(ev: Evidence, liq: Liquidation, hist: PositionHistory,
         marks: list[LiqCandle]) -> Outcome:
    cites = ("liquidations", "position_history", "mark_candles")
    minute = liq.ts.replace(second=0, microsecond=0)
    candle = next((c for c in marks if c.ts == minute), None)
    if candle is None or liq.fill_px is None:
        raise Undetermined(f"no mark candle covers the ADL at {liq.ts:%Y-%m-%d %H:%M}", ev,
                           *cites)
    at_mark = candle.low <= liq.fill_px <= candle.high
    if not at_mark:
        verdict, fault = "adl_off_mark", Fault.PLATFORM
        why = (f"the ADL closed {liq.sz} contracts at {liq.fill_px}, outside the mark range "
               f"{candle.low}-{candle.high} of that minute")
    elif hist.pnl <= 0:
        verdict, fault = "adl_of_losing_position", Fault.PLATFORM
        why = f"ADL closed a position with PnL {hist.pnl}; only profitable positions rank"
    else:
        verdict, fault = "adl_per_rules", Fault.MARKET
        why = (f"the profitable {hist.direction} (PnL {hist.pnl}) was auto-deleveraged: "
               f"{liq.sz} contracts closed at {liq.fill_px}, within the mark price of that "
               f"minute ({candle.low}-{candle.high}), with no liquidation penalty")
    return Outcome(Analysis.LIQUIDATION, verdict, fault, why[0].upper() + why[1:] + ".",
                   figures={"fill_px": liq.fill_px, "pnl": hist.pnl, "closed": liq.sz},
                   cites=_ids(ev, *cites),
                   chart=_liquidation_chart(liq, marks, records(ev, "index_candles", Candle),
                                            None))


def _liquidation_chart(liq: Liquidation, marks: list[LiqCandle], index: list[Candle],
                       liq_px: Decimal | None) -> bytes:
    """PNG: mark-price range and index close per minute, the liquidation price and time."""
    fig = Figure(figsize=(10, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    def minutes(when: dt.datetime) -> float:
        return (when - liq.ts).total_seconds() / 60

    ax.vlines([minutes(c.ts) for c in marks], [float(c.low) for c in marks],
              [float(c.high) for c in marks], color="tab:red", label="mark range")
    ax.plot([minutes(c.ts) for c in index], [float(c.c) for c in index], color="tab:blue",
            label="index close")
    if liq_px is not None:
        ax.axhline(float(liq_px), color="black", linestyle="--", label="liquidation price")
    ax.axvline(0, color="grey", linestyle=":", label=liq.kind.value)
    ax.set_xlabel(f"minutes from {liq.ts:%Y-%m-%d %H:%M:%S} UTC")
    ax.set_title(f"{liq.inst_id} {liq.direction}: {liq.kind.value}")
    ax.legend(loc="lower left", fontsize="small")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
