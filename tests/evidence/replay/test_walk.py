"""Walking a book: hand-checked worked examples with exact Decimals; price-limit rules."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from ombud.evidence.replay import (
    Cap,
    Kind,
    ReplayIndex,
    Side,
    Stop,
    binance_percent_price,
    okx_price_limits,
    walk_book,
)
from tests.evidence.replay.helpers import BTC, T0, capture

BOOK = [(T0, Kind.SNAPSHOT,
         [("59999.5", "1.0"), ("59998.0", "2.0")],
         [("60000.0", "0.4"), ("60000.5", "0.3"), ("60001.0", "0.5"), ("60005.0", "2.0")])]


def book():  # type: ignore[no-untyped-def]
    cap = capture(BOOK)
    return ReplayIndex.build(cap.events).book_at(T0)


def test_buy_3_walks_four_levels_exactly() -> None:
    # 0.4 @ 60000.0 + 0.3 @ 60000.5 + 0.5 @ 60001.0 + 1.8 @ 60005.0 (level holds 2.0)
    walk = walk_book(book(), BTC, Side.BUY, D("3"))
    assert walk.fills == ((D("60000.0"), D("0.4")), (D("60000.5"), D("0.3")),
                          (D("60001.0"), D("0.5")), (D("60005.0"), D("1.8")))
    # cost = 24000.00 + 18000.15 + 30000.50 + 108009.00 = 180009.65
    assert walk.vwap == D("180009.65") / 3
    assert round(walk.vwap, 2) == D("60003.22")  # the reference note's figure
    assert walk.stopped_by is None


def test_sell_walks_bids_downwards_and_reports_exhaustion() -> None:
    walk = walk_book(book(), BTC, Side.SELL, D("3.5"))
    assert walk.fills == ((D("59999.5"), D("1.0")), (D("59998.0"), D("2.0")))
    assert walk.filled == D("3.0")  # never more than the levels hold
    assert walk.stopped_by == Stop.BOOK_EXHAUSTED


def test_cap_stops_the_walk() -> None:
    walk = walk_book(book(), BTC, Side.BUY, D("3"), (Cap(D("60001.0"), Stop.LIMIT_PRICE),))
    assert walk.filled == D("1.2")
    assert walk.vwap == (D("24000") + D("18000.15") + D("30000.5")) / D("1.2")
    assert walk.stopped_by == Stop.LIMIT_PRICE


@given(st.integers(min_value=1, max_value=32))
def test_walk_never_overfills(tenths: int) -> None:
    size = D(tenths) / 10
    walk = walk_book(book(), BTC, Side.BUY, size)
    assert walk.filled == size
    assert walk.vwap is not None and D("60000.0") <= walk.vwap <= D("60005.0")


def test_okx_price_limit_example() -> None:
    band = okx_price_limits(D("60000"), y=D("0.02"), z=D("0.05"), avg_premium=D("30"))
    assert band.buy_max == D("61230")
    assert band.sell_min == D("58830")
    first = okx_price_limits(D("60000"), D("0.02"), D("0.05"), x=D("0.02"),
                             first_ten_minutes=True)
    assert (first.buy_max, first.sell_min) == (D("61200"), D("58800"))


def test_binance_percent_price() -> None:
    band = binance_percent_price(D("2000"), D("1.15"), D("0.85"))
    assert (band.buy_max, band.sell_min) == (D("2300.00"), D("1700.00"))
