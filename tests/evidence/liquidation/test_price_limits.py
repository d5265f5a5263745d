"""Price-limit phases, Binance PERCENT_PRICE, fill checks, slippage edge cases."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from ombud.evidence.liquidation.price_limits import (
    OkxLimitParams,
    OrderSide,
    PriceLimits,
    average_premium,
    binance_percent_price,
    check_fill,
    okx_derivative_limits,
    okx_spot_limits,
)
from ombud.evidence.liquidation.slippage import delay_cost, walk_book
from tests.evidence.liquidation.factories import T0

PERP_TIER_1 = OkxLimitParams(x=D("0.02"), y=D("0.02"), z=D("0.05"))


def test_first_ten_minutes_use_x() -> None:
    limits = okx_derivative_limits(D(60_000), D(30), PERP_TIER_1, at=T0 + timedelta(minutes=9),
                                   listed_at=T0)
    assert (limits.buy_limit, limits.sell_limit) == (D(61_200), D(58_800))


def test_near_delivery_uses_three_percent_z() -> None:
    weekly = OkxLimitParams(x=D("0.05"), y=D("0.04"), z=D("0.10"))
    limits = okx_derivative_limits(D(60_000), D(0), weekly, at=T0,
                                   delivery_at=T0 + timedelta(minutes=20))
    assert (limits.buy_limit, limits.sell_limit) == (D(61_800), D(58_200))
    far = okx_derivative_limits(D(60_000), D(0), weekly, at=T0, delivery_at=T0 + timedelta(hours=2))
    assert (far.buy_limit, far.sell_limit) == (D(62_400), D(57_600))


def test_premium_is_clamped_by_index_and_z() -> None:
    up = okx_derivative_limits(D(60_000), D(5_000), PERP_TIER_1, at=T0)
    assert up.buy_limit == D(63_000) and up.sell_limit == D(60_000)


def test_spot_has_no_limit_in_first_ten_minutes() -> None:
    opening = okx_spot_limits(D(100), D(0), D("0.02"), D("0.05"), at=T0, listed_at=T0)
    assert check_fill(OrderSide.BUY, D(1_000), opening).allowed
    later = okx_spot_limits(D(100), D(0), D("0.02"), D("0.05"), at=T0 + timedelta(minutes=10),
                            listed_at=T0)
    assert (later.buy_limit, later.sell_limit) == (D(102), D(98))


def test_average_premium() -> None:
    samples = [(D(60_020), D(60_040), D(60_000)), (D(60_030), D(60_050), D(60_000))]
    assert average_premium(samples) == D(35)
    with pytest.raises(ValueError, match="no premium samples"):
        average_premium([])


def test_binance_percent_price_and_sell_below_limit() -> None:
    limits = binance_percent_price(D(60_000), D("1.15"), D("0.85"))
    assert (limits.buy_limit, limits.sell_limit) == (D(69_000), D(51_000))
    check = check_fill(OrderSide.SELL, D(50_000), limits)
    assert not check.allowed and check.excess == D(1_000)
    assert "below the limit" in check.explanation
    with pytest.raises(ValueError, match="multiplier_up"):
        binance_percent_price(D(60_000), D("0.9"), D("0.85"))


def test_published_okx_limit() -> None:
    limits = PriceLimits.from_okx("61230", "58830", True)
    assert check_fill(OrderSide.SELL, D(58_830), limits).allowed
    assert PriceLimits.from_okx("", "", False).buy_limit is None


def test_bad_limit_params() -> None:
    with pytest.raises(ValueError, match="y must be a fraction"):
        OkxLimitParams(x=D("0.02"), y=D(2), z=D("0.05"))


def test_sell_walk_and_book_errors() -> None:
    bids = [(D(100), D(1)), (D(99), D(1))]
    walk = walk_book(bids, D("1.5"), OrderSide.SELL)
    assert walk.vwap == (D(100) + D("49.5")) / D("1.5")
    split = delay_cost(bids, [(D(98), D(2))], D(1), OrderSide.SELL, D(0))
    assert split.delay_cost == D(2) and split.actual_bp == D(200)
    with pytest.raises(ValueError, match="less than"):
        walk_book(bids, D(3), OrderSide.SELL)
    with pytest.raises(ValueError, match="not sorted"):
        walk_book(bids, D(1), OrderSide.BUY)
