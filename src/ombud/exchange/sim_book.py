"""The simulated exchange's matching engine: an L2 book of resting orders, price-time priority.

Each price level is a FIFO queue of resting orders. A taker walks the opposite side best
price first and, within a level, oldest order first; it never takes more than the resting
orders at a level hold, and a limit price stops the walk.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass
from decimal import Decimal

from ombud.exchange.dto import BookLevel, Side


@dataclass
class Resting:
    """A resting (maker) order; `sz` is what is left of it."""

    ord_id: str
    account: str
    side: Side
    px: Decimal
    sz: Decimal
    seq: int


@dataclass(frozen=True)
class Match:
    """One execution between a taker and a resting order."""

    maker: Resting
    px: Decimal
    sz: Decimal


class OrderBook:
    """Resting orders of one instrument."""

    def __init__(self, inst_id: str) -> None:
        self.inst_id = inst_id
        self._levels: dict[Side, dict[Decimal, deque[Resting]]] = {Side.BUY: {}, Side.SELL: {}}
        self._prices: dict[Side, list[Decimal]] = {Side.BUY: [], Side.SELL: []}  # ascending
        self._where: dict[str, Resting] = {}

    def add(self, order: Resting) -> None:
        """Rest `order` at the back of its price level's queue."""
        levels = self._levels[order.side]
        if order.px not in levels:
            levels[order.px] = deque()
            bisect.insort(self._prices[order.side], order.px)
        levels[order.px].append(order)
        self._where[order.ord_id] = order

    def cancel(self, ord_id: str) -> Resting | None:
        """Remove a resting order; returns it, or None if it is not resting."""
        order = self._where.pop(ord_id, None)
        if order is not None:
            queue = self._levels[order.side][order.px]
            queue.remove(order)
            if not queue:
                self._drop_level(order.side, order.px)
        return order

    def cancel_account(self, account: str) -> None:
        """Remove every resting order of `account`."""
        for order in [o for o in self._where.values() if o.account == account]:
            self.cancel(order.ord_id)

    def resting(self) -> list[Resting]:
        """All resting orders in priority order per side (bids then asks)."""
        out: list[Resting] = []
        for side in (Side.BUY, Side.SELL):
            for px in self._best_first(side):
                out.extend(self._levels[side][px])
        return out

    def best(self, side: Side) -> Decimal | None:
        """Best price on a book side (bid for BUY, ask for SELL)."""
        prices = self._prices[side]
        if not prices:
            return None
        return prices[-1] if side == Side.BUY else prices[0]

    def depth(self, side: Side, levels: int | None = None) -> tuple[BookLevel, ...]:
        """Aggregated levels of one side, best first."""
        out = []
        for px in self._best_first(side)[:levels]:
            queue = self._levels[side][px]
            out.append(BookLevel(px, sum((o.sz for o in queue), Decimal(0)), len(queue)))
        return tuple(out)

    def match(self, side: Side, sz: Decimal, limit_px: Decimal | None = None,
              dry_run: bool = False) -> list[Match]:
        """Execute a taker of `side` for up to `sz` against the opposite side.

        Walks price levels best first and each level's queue oldest first; stops at `limit_px`
        (buy: no ask above it; sell: no bid below it). With `dry_run` nothing is changed.
        """
        book_side = Side.SELL if side == Side.BUY else Side.BUY
        matches: list[Match] = []
        remaining = sz
        for px in self._best_first(book_side):
            if remaining <= 0:
                break
            if limit_px is not None and (px > limit_px if side == Side.BUY else px < limit_px):
                break
            for maker in list(self._levels[book_side][px]):
                if remaining <= 0:
                    break
                take = min(remaining, maker.sz)
                matches.append(Match(maker, px, take))
                remaining -= take
                if not dry_run:
                    maker.sz -= take
                    if maker.sz == 0:
                        self.cancel(maker.ord_id)
        return matches

    def _best_first(self, side: Side) -> list[Decimal]:
        prices = self._prices[side]
        return prices[::-1] if side == Side.BUY else list(prices)

    def _drop_level(self, side: Side, px: Decimal) -> None:
        del self._levels[side][px]
        prices = self._prices[side]
        prices.pop(bisect.bisect_left(prices, px))
