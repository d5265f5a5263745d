"""Slippage decomposition of a market order: book walk at accept vs fill (§2.5 method).

The replay engine reconstructs the two book states (and removes other takers' fills);
this module only walks a given book and splits the cost.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ombud.evidence.liquidation.model import ZERO
from ombud.evidence.liquidation.price_limits import OrderSide

BP = Decimal(10_000)

Level = tuple[Decimal, Decimal]


@dataclass(frozen=True)
class BookWalk:
    """A market order of `quantity` walked through one side of a book."""

    quantity: Decimal
    cost: Decimal
    vwap: Decimal
    best_price: Decimal
    levels_used: int


def walk_book(levels: Sequence[Level], quantity: Decimal, side: OrderSide) -> BookWalk:
    """Fill `quantity` against `(price, size)` levels given best first (asks for a buy,
    bids for a sell)."""
    if quantity <= ZERO:
        raise ValueError(f"quantity must be positive, got {quantity}")
    if not levels:
        raise ValueError("the book side is empty")
    for (p1, _), (p2, _) in itertools.pairwise(levels):
        if (side is OrderSide.BUY and p2 <= p1) or (side is OrderSide.SELL and p2 >= p1):
            raise ValueError(f"levels are not sorted best first for a {side}")
    remaining, cost = quantity, ZERO
    for used, (price, size) in enumerate(levels, start=1):
        if size <= ZERO or price <= ZERO:
            raise ValueError(f"level {price}×{size} must have positive price and size")
        take = min(size, remaining)
        cost += take * price
        remaining -= take
        if remaining == ZERO:
            return BookWalk(quantity, cost, cost / quantity, levels[0][0], used)
    raise ValueError(f"the book holds {quantity - remaining}, less than {quantity}")


def slippage_bp(price: Decimal, reference: Decimal, side: OrderSide) -> Decimal:
    """Adverse distance of `price` from `reference` in basis points (positive = worse)."""
    sign = 1 if side is OrderSide.BUY else -1
    return sign * (price - reference) / reference * BP


@dataclass(frozen=True)
class DelayCost:
    """Expected (book at accept) vs actual (book at fill) walk, both measured in bp against
    the best price at accept; `delay_cost` is the extra cost before fees."""

    expected: BookWalk
    actual: BookWalk
    expected_bp: Decimal
    actual_bp: Decimal
    delay_cost: Decimal
    taker_fee: Decimal


def delay_cost(
    book_at_accept: Sequence[Level],
    book_at_fill: Sequence[Level],
    quantity: Decimal,
    side: OrderSide,
    taker_fee_rate: Decimal,
) -> DelayCost:
    """Split a market order's slippage into the benchmark walk and the cost of the delay."""
    expected = walk_book(book_at_accept, quantity, side)
    actual = walk_book(book_at_fill, quantity, side)
    reference = expected.best_price
    sign = 1 if side is OrderSide.BUY else -1
    return DelayCost(
        expected=expected,
        actual=actual,
        expected_bp=slippage_bp(expected.vwap, reference, side),
        actual_bp=slippage_bp(actual.vwap, reference, side),
        delay_cost=sign * (actual.cost - expected.cost),
        taker_fee=actual.cost * taker_fee_rate,
    )
