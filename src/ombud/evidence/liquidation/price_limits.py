"""Price-limit / slippage-protection rules: was a fill price allowed? (exchange-domain §2.5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from ombud.evidence.liquidation.model import ONE, ZERO

OPENING_WINDOW = timedelta(minutes=10)
DELIVERY_WINDOW = timedelta(minutes=30)


class OrderSide(StrEnum):
    """Side of an order or fill."""

    BUY = "buy"
    SELL = "sell"


@dataclass(frozen=True)
class PriceLimits:
    """Highest allowed buy price and lowest allowed sell price; None = no limit in force."""

    buy_limit: Decimal | None
    sell_limit: Decimal | None
    rule: str

    @classmethod
    def from_okx(cls, buy_lmt: str, sell_lmt: str, enabled: bool) -> PriceLimits:
        """From `GET /api/v5/public/price-limit` (`buyLmt`, `sellLmt` are "" when disabled)."""
        if not enabled:
            return cls(None, None, "OKX published price limit (disabled)")
        return cls(
            Decimal(buy_lmt) if buy_lmt else None,
            Decimal(sell_lmt) if sell_lmt else None,
            "OKX published price limit",
        )


@dataclass(frozen=True)
class OkxLimitParams:
    """Per-instrument OKX price-limit parameters (fractions): X for the first 10 minutes,
    Y and Z after; `near_delivery_z` replaces Z in the 30 minutes before delivery."""

    x: Decimal
    y: Decimal
    z: Decimal
    near_delivery_z: Decimal = Decimal("0.03")

    def __post_init__(self) -> None:
        for name in ("x", "y", "z", "near_delivery_z"):
            value: Decimal = getattr(self, name)
            if value < ZERO or value >= ONE:
                raise ValueError(f"{name} must be a fraction in [0, 1), got {value}")


def average_premium(samples: Sequence[tuple[Decimal, Decimal, Decimal]]) -> Decimal:
    """Mean of `(bestBid + bestAsk) / 2 − index` over `(best_bid, best_ask, index)` samples
    (OKX: per second over the last 2 minutes; also Binance's MA(basis))."""
    if not samples:
        raise ValueError("no premium samples")
    total = sum(((bid + ask) / 2 - index for bid, ask, index in samples), ZERO)
    return total / len(samples)


def _banded(index: Decimal, premium: Decimal, y: Decimal, z: Decimal) -> tuple[Decimal, Decimal]:
    buy = min(max(index, index * (ONE + y) + premium), index * (ONE + z))
    sell = max(min(index, index * (ONE - y) + premium), index * (ONE - z))
    return buy, sell


def okx_derivative_limits(
    index: Decimal,
    avg_premium: Decimal,
    params: OkxLimitParams,
    *,
    at: datetime,
    listed_at: datetime | None = None,
    delivery_at: datetime | None = None,
) -> PriceLimits:
    """OKX derivatives price limits at time `at`.

    First 10 minutes after listing: `Index × (1 ± X)`. After:
    `buy = Min[Max(Index, Index × (1 + Y) + AvgPremium), Index × (1 + Z)]`,
    `sell = Max[Min(Index, Index × (1 − Y) + AvgPremium), Index × (1 − Z)]`, with Z replaced
    by `near_delivery_z` within 30 minutes before `delivery_at` (the reference names weekly
    futures; pass `delivery_at` only where that rule applies).
    """
    if index <= ZERO:
        raise ValueError(f"index price must be positive, got {index}")
    if listed_at is not None and at - listed_at < OPENING_WINDOW:
        return PriceLimits(index * (ONE + params.x), index * (ONE - params.x),
                           "OKX derivatives, first 10 minutes: Index × (1 ± X)")
    z, rule = params.z, "OKX derivatives: Y/Z band with average premium"
    if delivery_at is not None and timedelta(0) <= delivery_at - at <= DELIVERY_WINDOW:
        z, rule = params.near_delivery_z, rule + ", Z for the 30 minutes before delivery"
    buy, sell = _banded(index, avg_premium, params.y, z)
    return PriceLimits(buy, sell, rule)


def okx_spot_limits(
    index: Decimal,
    avg_premium: Decimal,
    y: Decimal,
    z: Decimal,
    *,
    at: datetime,
    listed_at: datetime | None = None,
) -> PriceLimits:
    """OKX spot/margin price limits (since 3 Jan 2024): the Y/Z band on the spot index,
    no limit in the first 10 minutes after listing."""
    if index <= ZERO:
        raise ValueError(f"index price must be positive, got {index}")
    if listed_at is not None and at - listed_at < OPENING_WINDOW:
        return PriceLimits(None, None, "OKX spot: no limit in the first 10 minutes")
    buy, sell = _banded(index, avg_premium, y, z)
    return PriceLimits(buy, sell, "OKX spot: Y/Z band with average premium")


def binance_percent_price(
    mark: Decimal, multiplier_up: Decimal, multiplier_down: Decimal
) -> PriceLimits:
    """Binance USDⓈ-M `PERCENT_PRICE`: buy ≤ mark × up, sell ≥ mark × down."""
    if mark <= ZERO or multiplier_up < ONE or not ZERO < multiplier_down <= ONE:
        raise ValueError("mark must be positive, multiplier_up ≥ 1 and 0 < multiplier_down ≤ 1")
    return PriceLimits(mark * multiplier_up, mark * multiplier_down,
                       "Binance PERCENT_PRICE on mark price")


@dataclass(frozen=True)
class FillCheck:
    """Whether a fill price was inside the limit on its side, and by how much it was not."""

    allowed: bool
    side: OrderSide
    fill_price: Decimal
    limit: Decimal | None
    excess: Decimal
    explanation: str


def check_fill(side: OrderSide, fill_price: Decimal, limits: PriceLimits) -> FillCheck:
    """Check a fill price against the limit for its side (buys ≤ buy limit, sells ≥ sell)."""
    if fill_price <= ZERO:
        raise ValueError(f"fill price must be positive, got {fill_price}")
    limit = limits.buy_limit if side is OrderSide.BUY else limits.sell_limit
    if limit is None:
        return FillCheck(True, side, fill_price, None, ZERO,
                         f"No {side} price limit was in force ({limits.rule}).")
    excess = fill_price - limit if side is OrderSide.BUY else limit - fill_price
    if excess <= ZERO:
        return FillCheck(True, side, fill_price, limit, ZERO,
                         f"The {side} fill at {fill_price} is within the limit {limit} "
                         f"({limits.rule}).")
    word = "above" if side is OrderSide.BUY else "below"
    return FillCheck(False, side, fill_price, limit, excess,
                     f"The {side} fill at {fill_price} is {excess} {word} the limit {limit} "
                     f"({limits.rule}); such an order should have been rejected or amended.")
