"""Price-limit bands an exchange enforces (was the fill price allowed at all?)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class PriceLimit:
    """Highest price a buy may fill at and lowest a sell may fill at (None = no bound)."""

    buy_max: Decimal | None = None
    sell_min: Decimal | None = None
    rule: str = "price limit"


def okx_price_limits(
    index: Decimal, y: Decimal, z: Decimal, avg_premium: Decimal = Decimal(0),
    x: Decimal | None = None, first_ten_minutes: bool = False,
) -> PriceLimit:
    """OKX price-limit band from the index price (rates as fractions, e.g. Decimal("0.02")).

    In a contract's first 10 minutes the band is Index × (1 ± X); afterwards
    buyLmt = min(max(Index, Index × (1 + Y) + AvgPremium), Index × (1 + Z)) and
    sellLmt = max(min(Index, Index × (1 − Y) + AvgPremium), Index × (1 − Z)).
    """
    if first_ten_minutes:
        if x is None:
            raise ValueError("X is needed for the first ten minutes of a contract")
        return PriceLimit(index * (1 + x), index * (1 - x), "OKX price limit (first 10 min)")
    buy = min(max(index, index * (1 + y) + avg_premium), index * (1 + z))
    sell = max(min(index, index * (1 - y) + avg_premium), index * (1 - z))
    return PriceLimit(buy, sell, "OKX price limit")


def binance_percent_price(
    mark: Decimal, multiplier_up: Decimal, multiplier_down: Decimal
) -> PriceLimit:
    """Binance USD-M PERCENT_PRICE filter on the mark price."""
    return PriceLimit(mark * multiplier_up, mark * multiplier_down, "Binance PERCENT_PRICE")
