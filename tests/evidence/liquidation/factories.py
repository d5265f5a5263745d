"""Fixtures shared by the liquidation tests: the §2.1/§2.2 example positions and rules."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from ombud.evidence.liquidation.model import (
    BinanceRules,
    Bracket,
    Candle,
    MarginMode,
    OkxRules,
    Position,
    Side,
    Tier,
)

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

OKX_RULES = OkxRules(
    tiers=(
        Tier(1, D(0), D(500), D("0.004"), D(125)),
        Tier(2, D(500), D(1000), D("0.005"), D(100)),
        Tier(3, D(1000), D(5000), D("0.01"), D(50)),
    ),
    taker_fee_rate=D("0.0005"),
)

BINANCE_RULES = BinanceRules(
    brackets=(
        Bracket(1, D(0), D(50_000), D("0.004"), D(0)),
        Bracket(2, D(50_000), D(250_000), D("0.005"), D(50)),
    )
)


def okx_position(side: Side = Side.LONG, margin: D = D(6000)) -> Position:
    """§2.1: BTC-USDT-SWAP, ctVal 0.01, 100 contracts (Q = 1 BTC) at 60,000, 10× isolated."""
    return Position("BTC-USDT-SWAP", side, D(100), D(60_000), MarginMode.ISOLATED, D(10),
                    margin, ct_val=D("0.01"))


def binance_position(side: Side, size: D, margin: D) -> Position:
    """§2.2: BTCUSDT, isolated, entry 60,000, 10×."""
    return Position("BTCUSDT", side, size, D(60_000), MarginMode.ISOLATED, D(10), margin)


def flat(start: datetime, n: int, low: D, high: D, mid: D) -> list[Candle]:
    """`n` 1-minute candles from `start`, each open = close = mid with the given range."""
    return [Candle(start + timedelta(minutes=i), mid, high, low, mid) for i in range(n)]
