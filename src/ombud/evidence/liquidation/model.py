"""Inputs of a liquidation recomputation: position, tier tables, candles (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal(0)
ONE = Decimal(1)
MAX_LEVERAGE = Decimal(200)
MINUTE = timedelta(minutes=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Side(StrEnum):
    """Direction of a position."""

    LONG = "long"
    SHORT = "short"

    @property
    def sign(self) -> int:
        """+1 for a long, -1 for a short (Binance's `Side`)."""
        return 1 if self is Side.LONG else -1


class MarginMode(StrEnum):
    """Isolated margin or cross margin."""

    ISOLATED = "isolated"
    CROSS = "cross"


class ContractType(StrEnum):
    """Linear (USDT-margined) or inverse (coin-margined) contract."""

    LINEAR = "linear"
    INVERSE = "inverse"


def _require_positive(name: str, value: Decimal) -> None:
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, got {type(value).__name__}")
    if not value.is_finite() or value <= ZERO:
        raise ValueError(f"{name} must be a positive finite Decimal, got {value}")


def _require_non_negative(name: str, value: Decimal) -> None:
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, got {type(value).__name__}")
    if not value.is_finite() or value < ZERO:
        raise ValueError(f"{name} must be a non-negative finite Decimal, got {value}")


def _require_rate(name: str, value: Decimal) -> None:
    _require_non_negative(name, value)
    if value >= ONE:
        raise ValueError(f"{name} must be below 1 (a fraction, not a percentage), got {value}")


@dataclass(frozen=True)
class Position:
    """A derivatives position as it stood when the liquidation window starts.

    `size` is in contracts; base quantity is `size × ct_val × ct_mult` (for an inverse
    contract that product is the face value in the quote currency). `margin` is the isolated
    margin, or for cross margin the account equity available to this position excluding its
    own unrealised PnL (Binance: the wallet balance). When `margin` is None it is derived as
    notional / leverage.
    """

    inst_id: str
    side: Side
    size: Decimal
    entry_price: Decimal
    margin_mode: MarginMode
    leverage: Decimal
    margin: Decimal | None = None
    ct_val: Decimal = ONE
    ct_mult: Decimal = ONE
    contract_type: ContractType = ContractType.LINEAR

    def __post_init__(self) -> None:
        _require_positive("size", self.size)
        _require_positive("entry_price", self.entry_price)
        _require_positive("ct_val", self.ct_val)
        _require_positive("ct_mult", self.ct_mult)
        _require_positive("leverage", self.leverage)
        if self.leverage < ONE or self.leverage > MAX_LEVERAGE:
            raise ValueError(
                f"leverage must be between 1 and {MAX_LEVERAGE}, got {self.leverage}"
            )
        if self.margin is not None:
            _require_positive("margin", self.margin)

    @property
    def quantity(self) -> Decimal:
        """Base quantity (linear) or face value in quote currency (inverse)."""
        return self.size * self.ct_val * self.ct_mult

    def unrealised_pnl(self, mark: Decimal) -> Decimal:
        """Unrealised PnL at `mark`, in the settlement currency (quote, or coin if inverse)."""
        q, e, sign = self.quantity, self.entry_price, self.side.sign
        if self.contract_type is ContractType.INVERSE:
            return sign * q * (ONE / e - ONE / mark)
        return sign * q * (mark - e)

    @property
    def effective_margin(self) -> Decimal:
        """The margin given, or notional at entry / leverage (in the settlement currency)."""
        if self.margin is not None:
            return self.margin
        if self.contract_type is ContractType.INVERSE:
            return self.quantity / self.entry_price / self.leverage
        return self.quantity * self.entry_price / self.leverage


@dataclass(frozen=True)
class Tier:
    """One OKX position tier: sizes in contracts, `min_size` < size ≤ `max_size`."""

    tier: int
    min_size: Decimal
    max_size: Decimal
    mmr: Decimal
    max_leverage: Decimal | None = None

    def __post_init__(self) -> None:
        _require_non_negative("min_size", self.min_size)
        _require_positive("max_size", self.max_size)
        _require_rate("mmr", self.mmr)
        if self.max_size < self.min_size:
            raise ValueError(f"tier {self.tier}: max_size is below min_size")


@dataclass(frozen=True)
class Bracket:
    """One Binance leverage bracket: notional in quote, `cum` the maintenance amount."""

    bracket: int
    notional_floor: Decimal
    notional_cap: Decimal
    mmr: Decimal
    cum: Decimal = ZERO

    def __post_init__(self) -> None:
        _require_non_negative("notional_floor", self.notional_floor)
        _require_positive("notional_cap", self.notional_cap)
        _require_rate("mmr", self.mmr)
        _require_non_negative("cum", self.cum)


@dataclass(frozen=True)
class OkxRules:
    """OKX rules: the tier table of the instrument and the taker fee rate."""

    tiers: tuple[Tier, ...]
    taker_fee_rate: Decimal

    def __post_init__(self) -> None:
        if not self.tiers:
            raise ValueError("the tier table is empty")
        _require_rate("taker_fee_rate", self.taker_fee_rate)


@dataclass(frozen=True)
class BinanceRules:
    """Binance USDⓈ-M rules: leverage brackets; for cross margin also the other positions'
    maintenance margin (TMM1) and unrealised PnL (UPNL1), both zero for isolated."""

    brackets: tuple[Bracket, ...]
    other_maint_margin: Decimal = ZERO
    other_upnl: Decimal = ZERO

    def __post_init__(self) -> None:
        if not self.brackets:
            raise ValueError("the bracket table is empty")
        _require_non_negative("other_maint_margin", self.other_maint_margin)


Rules = OkxRules | BinanceRules


@dataclass(frozen=True)
class Candle:
    """A 1-minute candle; `ts` is the bar open, timezone-aware."""

    ts: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    confirmed: bool = True

    def __post_init__(self) -> None:
        if self.ts.tzinfo is None:
            raise ValueError(f"candle ts {self.ts} has no timezone")
        if self.ts.second or self.ts.microsecond:
            raise ValueError(f"candle ts {self.ts} is not aligned to a minute")
        for name in ("open", "high", "low", "close"):
            _require_positive(name, getattr(self, name))
        if self.low > min(self.open, self.close) or self.high < max(self.open, self.close):
            raise ValueError(f"candle {self.ts}: low/high do not bound open/close")

    @classmethod
    def from_okx_row(cls, row: Sequence[str]) -> Candle:
        """Parse an OKX mark-price candle row `[ts, o, h, l, c, confirm]` (ts in ms)."""
        if len(row) < 5:
            raise ValueError(f"an OKX candle row has at least 5 fields, got {len(row)}")
        ts = _EPOCH + timedelta(milliseconds=int(row[0]))
        confirmed = len(row) < 6 or row[5] != "0"
        return cls(ts, Decimal(row[1]), Decimal(row[2]), Decimal(row[3]), Decimal(row[4]),
                   confirmed)
