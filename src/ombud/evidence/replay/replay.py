"""Replay of a disputed order against the rebuilt book, and the verdict it supports.

Times: t_a = accept time at the exchange, t_e = t_a + modelled latency (expected match),
t_f = first actual fill. The expected VWAP walks the book at t_e. The gap to the actual
VWAP is split into market movement (book change from t_e to t_f within the latency
tolerance), delay cost (book change beyond the tolerance) and residual (fills against the
book just before t_f). Missing or broken data always gives UNDETERMINED with the reason.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

import numpy as np

from ombud.evidence.replay.book import Book, ReplayIndex
from ombud.evidence.replay.limits import PriceLimit
from ombud.evidence.replay.model import Capture, Side, fmt_ts
from ombud.evidence.replay.walk import Cap, Stop, Walk, walk_book

BP = Decimal("0.0001")


class OrderType(StrEnum):
    """Order types the replay understands."""

    MARKET = "market"
    LIMIT = "limit"


class Verdict(StrEnum):
    """What the replay says about the disputed execution."""

    WITHIN_EXPECTATION = "within_expectation"
    PLATFORM_FAULT = "platform_fault"
    CUSTOMER_PARAMETERS = "customer_parameters"
    UNDETERMINED = "undetermined"


@dataclass(frozen=True)
class Fill:
    """One actual fill of the disputed order (exchange time, ns)."""

    ts: int
    price: Decimal
    qty: Decimal


@dataclass(frozen=True)
class DisputedOrder:
    """The order under dispute as the exchange recorded it."""

    side: Side
    order_type: OrderType
    size: Decimal
    accept_ts: int  # exchange accept time, ns since epoch
    fills: tuple[Fill, ...] = ()
    limit_price: Decimal | None = None
    price_limit: PriceLimit | None = None
    max_slippage: Decimal | None = None  # fraction of the best price at matching time
    closed_ts: int | None = None  # cancel/expiry time of a resting limit order


@dataclass(frozen=True)
class LatencyModel:
    """Accept-to-match latency expected, and how much more still counts as normal."""

    expected_ns: int
    tolerance_ns: int = 0

    @classmethod
    def fixed(cls, expected_ns: int, tolerance_ns: int = 0) -> LatencyModel:
        """A fixed latency."""
        return cls(expected_ns, tolerance_ns)

    @classmethod
    def from_samples(
        cls, samples_ns: list[int], expected_pct: float = 50.0, tolerance_pct: float = 99.0
    ) -> LatencyModel:
        """Expected latency at one percentile of observed latencies, tolerance up to another."""
        expected = int(np.percentile(samples_ns, expected_pct))
        return cls(expected, int(np.percentile(samples_ns, tolerance_pct)) - expected)


@dataclass(frozen=True)
class ReplayResult:
    """Verdict, its reason and the figures behind it (quote currency; + = customer worse)."""

    verdict: Verdict
    reason: str
    computed_at: dt.datetime
    expected_ts: int
    expected: Walk | None = None
    actual_filled: Decimal = Decimal(0)
    actual_vwap: Decimal | None = None
    fill_time_vwap: Decimal | None = None
    market_movement: Decimal | None = None
    delay_cost: Decimal | None = None
    residual: Decimal | None = None
    delay_ns: int | None = None


class _Undetermined(Exception):
    """Internal: the data cannot support a verdict."""


def replay_order(
    capture: Capture, index: ReplayIndex, order: DisputedOrder, latency: LatencyModel,
    now: dt.datetime, materiality_bps: Decimal = Decimal(1),
) -> ReplayResult:
    """Replay `order` against the capture and return the verdict with its figures."""
    t_e = order.accept_ts + latency.expected_ns
    try:
        return _Replay(capture, index, order, latency, now, materiality_bps).run()
    except _Undetermined as why:
        return ReplayResult(Verdict.UNDETERMINED, f"undetermined because {why}", now, t_e)


class _Replay:
    def __init__(
        self, capture: Capture, index: ReplayIndex, order: DisputedOrder,
        latency: LatencyModel, now: dt.datetime, materiality_bps: Decimal,
    ) -> None:
        self.capture, self.index, self.order, self.now = capture, index, order, now
        self.inst = capture.instrument
        self.latency = latency
        self.materiality = materiality_bps * BP
        self.t_e = order.accept_ts + latency.expected_ns
        fills = sorted(order.fills, key=lambda fill: fill.ts)
        self.t_f = fills[0].ts if fills else self.t_e
        self.t_end = max([self.t_e + latency.tolerance_ns, *(fill.ts for fill in fills)])
        if order.closed_ts is not None:
            self.t_end = max(self.t_end, order.closed_ts)
        self.sign = Decimal(1) if order.side == Side.BUY else Decimal(-1)

    def run(self) -> ReplayResult:
        self._check_coverage()
        book_e = self._book(self.t_e, strict=False)
        book_f = self._book(self.t_f, strict=True) if self.order.fills else book_e
        expected = walk_book(book_e, self.inst, self.order.side, self.order.size,
                             self._caps(book_e))
        if expected.stopped_by == Stop.BOOK_EXHAUSTED:
            raise _Undetermined(f"the order size walks past {Stop.BOOK_EXHAUSTED.value} at "
                                f"{fmt_ts(self.t_e)}")
        filled = sum((fill.qty for fill in self.order.fills), Decimal(0))
        base = ReplayResult(Verdict.WITHIN_EXPECTATION, "", self.now, self.t_e, expected, filled)
        if filled:
            base = self._split_costs(base, book_e, book_f)
        fault = self._rule_breach(book_f, filled)
        if fault:
            return _with(base, Verdict.PLATFORM_FAULT, fault)
        return self._judge(base, expected, filled)

    def _check_coverage(self) -> None:
        start, end = self.capture.synced_from, self.capture.last_ts
        t_a = self.order.accept_ts
        if start is None or end is None:
            raise _Undetermined("the capture holds no snapshot, so the book is never known")
        if t_a < start:
            raise _Undetermined(f"the capture does not cover {fmt_ts(t_a)}; the book is known "
                                f"from {fmt_ts(start)}")
        if self.t_end > end:
            raise _Undetermined(f"the capture ends at {fmt_ts(end)}, before {fmt_ts(self.t_end)}")
        for finding in self.capture.findings:
            if finding.ts_from <= self.t_end and finding.ts_to >= t_a:
                raise _Undetermined(f"{finding.describe()}, inside the replay window "
                                    f"{fmt_ts(t_a)} to {fmt_ts(self.t_end)}")

    def _book(self, ts: int, strict: bool) -> Book:
        book = self.index.book_at(ts, strict)
        if book.crossed:
            bid, ask = self.inst.price(book.best_bid or 0), self.inst.price(book.best_ask or 0)
            raise _Undetermined(f"the rebuilt book is crossed at {fmt_ts(ts)} (bid {bid} >= "
                                f"ask {ask})")
        if book.best_bid is None or book.best_ask is None:
            raise _Undetermined(f"one side of the rebuilt book is empty at {fmt_ts(ts)}")
        return book

    def _caps(self, book: Book) -> tuple[Cap, ...]:
        order, buy = self.order, self.order.side == Side.BUY
        caps: list[Cap] = []
        if order.order_type == OrderType.LIMIT and order.limit_price is not None:
            caps.append(Cap(order.limit_price, Stop.LIMIT_PRICE))
        band = order.price_limit
        bound = (band.buy_max if buy else band.sell_min) if band else None
        if bound is not None:
            caps.append(Cap(bound, Stop.PRICE_LIMIT))
        if order.max_slippage is not None:
            best = self.inst.price((book.best_ask if buy else book.best_bid) or 0)
            caps.append(Cap(best * (1 + self.sign * order.max_slippage), Stop.SLIPPAGE_PROTECTION))
        return tuple(caps)

    def _rule_breach(self, book_f: Book, filled: Decimal) -> str | None:
        if filled > self.order.size:
            return f"the fills total {filled}, more than the order size {self.order.size}"
        for fill in self.order.fills:
            for cap in self._caps(book_f):
                if self.sign * (fill.price - cap.price) > 0:
                    return (f"the fill at {fill.price} ({fmt_ts(fill.ts)}) is beyond "
                            f"{cap.stop.value} {cap.price:f}")
        return None

    def _split_costs(self, base: ReplayResult, book_e: Book, book_f: Book) -> ReplayResult:
        qty, side = base.actual_filled, self.order.side
        actual = sum((f.price * f.qty for f in self.order.fills), Decimal(0))
        at_e = walk_book(book_e, self.inst, side, qty)
        at_f = walk_book(book_f, self.inst, side, qty)
        if at_e.stopped_by or at_f.stopped_by:
            raise _Undetermined("the book is too thin to price the filled quantity")
        delay_ns = self.t_f - self.t_e
        at_tol = at_f
        if delay_ns > self.latency.tolerance_ns:
            book_tol = self._book(self.t_e + self.latency.tolerance_ns, strict=False)
            at_tol = walk_book(book_tol, self.inst, side, qty)
            if at_tol.stopped_by:
                raise _Undetermined("the book is too thin to price the filled quantity")
        return replace(
            base, actual_vwap=actual / qty, fill_time_vwap=at_f.vwap, delay_ns=delay_ns,
            market_movement=self.sign * (at_tol.notional - at_e.notional),
            delay_cost=self.sign * (at_f.notional - at_tol.notional),
            residual=self.sign * (actual - at_f.notional),
        )

    def _judge(self, base: ReplayResult, expected: Walk, filled: Decimal) -> ReplayResult:
        notional = (base.actual_vwap or Decimal(0)) * filled
        bar = notional * self.materiality
        if base.delay_cost is not None and base.delay_cost > bar:
            return _with(base, Verdict.PLATFORM_FAULT, (
                f"the first fill came {(base.delay_ns or 0) / 1e6:.1f} ms after the expected "
                f"match at {fmt_ts(self.t_e)} ({self.latency.tolerance_ns / 1e6:.1f} ms "
                f"tolerated); the book moved {base.delay_cost:.2f} against the order meanwhile"))
        if base.residual is not None and base.residual > bar:
            return _with(base, Verdict.PLATFORM_FAULT, (
                f"the fills cost {base.residual:.2f} more than the book just before "
                f"{fmt_ts(self.t_f)} allowed"))
        if filled < self.order.size:
            return self._unfilled(base, expected, filled)
        return _with(base, Verdict.WITHIN_EXPECTATION, (
            f"expected VWAP {_q(expected.vwap)} at {fmt_ts(self.t_e)}, actual "
            f"{_q(base.actual_vwap)}; market movement {_q(base.market_movement)}, "
            f"delay cost {_q(base.delay_cost)}"))

    def _unfilled(self, base: ReplayResult, expected: Walk, filled: Decimal) -> ReplayResult:
        missing = self.order.size - filled
        if self.order.order_type == OrderType.LIMIT and self.order.limit_price is not None:
            through = self._traded_through(self.order.limit_price)
            if through >= missing:
                return _with(base, Verdict.PLATFORM_FAULT, (
                    f"{through} traded through the limit {self.order.limit_price} between "
                    f"{fmt_ts(self.t_e)} and {fmt_ts(self.t_end)} while {missing} stayed unfilled"))
            return _with(base, Verdict.CUSTOMER_PARAMETERS, (
                f"the market traded only {through} through the limit {self.order.limit_price}; "
                f"{missing} unfilled is the limit price's consequence"))
        if expected.stopped_by is not None and expected.filled <= filled:
            verdict = (Verdict.WITHIN_EXPECTATION if expected.stopped_by == Stop.PRICE_LIMIT
                       else Verdict.CUSTOMER_PARAMETERS)
            return _with(base, verdict, (
                f"at {fmt_ts(self.t_e)} {expected.stopped_by.value} allowed only "
                f"{expected.filled}; {filled} filled"))
        return _with(base, Verdict.PLATFORM_FAULT, (
            f"the book at {fmt_ts(self.t_e)} could fill {expected.filled} within the order's "
            f"bounds but only {filled} filled"))

    def _traded_through(self, limit: Decimal) -> Decimal:
        trades = self.capture.trades
        lo, hi = np.searchsorted(trades.ts_exch, [self.t_e, self.t_end], side="left")
        prices, qtys = trades.price[lo:hi], trades.qty[lo:hi]
        in_ticks = limit / self.inst.tick_size
        if self.order.side == Side.BUY:
            through = prices < math.ceil(in_ticks)
        else:
            through = prices > math.floor(in_ticks)
        return self.inst.qty(int(qtys[through].sum()))


def _q(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _with(base: ReplayResult, verdict: Verdict, reason: str) -> ReplayResult:
    return replace(base, verdict=verdict, reason=reason)
