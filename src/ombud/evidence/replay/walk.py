"""Walking a book level by level for an order size, depleting each level as it fills."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from ombud.evidence.replay.book import Book
from ombud.evidence.replay.model import Instrument, Side


class Stop(StrEnum):
    """Why a walk filled less than the size asked."""

    LIMIT_PRICE = "the order's limit price"
    PRICE_LIMIT = "the exchange's price-limit rule"
    SLIPPAGE_PROTECTION = "the order's slippage protection"
    BOOK_EXHAUSTED = "the end of the captured book depth"


@dataclass(frozen=True)
class Cap:
    """A price an order may not cross, and whose rule it is."""

    price: Decimal
    stop: Stop


@dataclass(frozen=True)
class Walk:
    """Result of walking one side of a book."""

    fills: tuple[tuple[Decimal, Decimal], ...]  # (price, quantity), best first
    filled: Decimal
    stopped_by: Stop | None  # None when the full size filled

    @property
    def notional(self) -> Decimal:
        """Exact quote amount of the fills (sum of price × quantity)."""
        return sum((px * qty for px, qty in self.fills), Decimal(0))

    @property
    def vwap(self) -> Decimal | None:
        """Volume-weighted average price, or None if nothing filled."""
        return self.notional / self.filled if self.filled else None


def walk_book(
    book: Book, instrument: Instrument, side: Side, size: Decimal, caps: tuple[Cap, ...] = ()
) -> Walk:
    """Fill `size` against the opposite side of `book`, never more than a level holds.

    A buy walks the asks upwards, a sell the bids downwards; a level beyond any cap (limit
    price, price-limit band, slippage protection) stops the walk.
    """
    prices, qtys = book.levels(Side.SELL if side == Side.BUY else Side.BUY)
    remaining = instrument.to_lots(size)
    fills: list[tuple[Decimal, Decimal]] = []
    stopped: Stop | None = None
    for px_ticks, level_lots in zip(prices.tolist(), qtys.tolist(), strict=True):
        if remaining <= 0:
            break
        price = instrument.price(px_ticks)
        beyond = [cap for cap in caps if (price > cap.price if side == Side.BUY
                                          else price < cap.price)]
        if beyond:
            stopped = beyond[0].stop
            break
        take = min(remaining, level_lots)
        fills.append((price, instrument.qty(take)))
        remaining -= take
    if remaining > 0 and stopped is None:
        stopped = Stop.BOOK_EXHAUSTED
    filled = sum((qty for _, qty in fills), Decimal(0))
    return Walk(tuple(fills), filled, stopped if remaining > 0 else None)
