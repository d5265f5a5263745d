"""Mark/index candle helpers: coverage, liquidation-price crossing, wick check (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from ombud.evidence.liquidation.model import MINUTE, Candle, Side


def floor_minute(ts: datetime) -> datetime:
    """The start of the minute holding `ts`."""
    return ts.replace(second=0, microsecond=0)


def by_minute(candles: Iterable[Candle]) -> dict[datetime, Candle]:
    """Candles keyed by bar open; a duplicate bar is an error."""
    out: dict[datetime, Candle] = {}
    for c in candles:
        if c.ts in out:
            raise ValueError(f"two candles open at {c.ts.isoformat()}")
        out[c.ts] = c
    return out


def minutes_between(start: datetime, end: datetime) -> list[datetime]:
    """Every minute from the minute of `start` to the minute of `end`, inclusive."""
    if end < start:
        raise ValueError(f"window end {end.isoformat()} is before its start {start.isoformat()}")
    out, t, last = [], floor_minute(start), floor_minute(end)
    while t <= last:
        out.append(t)
        t += MINUTE
    return out


def extreme(candle: Candle, side: Side) -> Decimal:
    """The adverse extreme for `side`: the low for a long, the high for a short."""
    return candle.low if side is Side.LONG else candle.high


def crosses(candle: Candle, side: Side, price: Decimal, tolerance: Decimal) -> bool:
    """Whether the candle reached `price` against `side` (within `tolerance`)."""
    if side is Side.LONG:
        return candle.low <= price + tolerance
    return candle.high >= price - tolerance


@dataclass(frozen=True)
class Scan:
    """Result of scanning a window: the crossing candles and the minutes with no candle."""

    crossings: tuple[Candle, ...]
    missing: tuple[datetime, ...]
    unconfirmed: tuple[datetime, ...]

    @property
    def first_crossing(self) -> Candle | None:
        """The earliest candle that reached the price, if any."""
        return self.crossings[0] if self.crossings else None

    def gap_before(self, ts: datetime) -> bool:
        """Whether a minute before `ts` had no candle."""
        return any(m < ts for m in self.missing)


def scan(
    candles: dict[datetime, Candle],
    window: Sequence[datetime],
    side: Side,
    price: Decimal | None,
    tolerance: Decimal,
) -> Scan:
    """Walk `window` minute by minute; `price` None means it can never be reached."""
    crossings: list[Candle] = []
    missing: list[datetime] = []
    unconfirmed: list[datetime] = []
    for minute in window:
        candle = candles.get(minute)
        if candle is None:
            missing.append(minute)
            continue
        if not candle.confirmed:
            unconfirmed.append(minute)
        if price is not None and crosses(candle, side, price, tolerance):
            crossings.append(candle)
    return Scan(tuple(crossings), tuple(missing), tuple(unconfirmed))


def wick_deviation(mark: Candle, index: Candle, side: Side) -> Decimal:
    """How far the mark's adverse extreme went beyond the index's in the same minute,
    as a fraction of the index extreme (positive = mark worse than index)."""
    if side is Side.LONG:
        return (index.low - mark.low) / index.low
    return (mark.high - index.high) / index.high


def describe_gaps(missing: Sequence[datetime]) -> str:
    """Missing minutes as compact `start–end` runs in UTC."""
    runs: list[tuple[datetime, datetime]] = []
    for m in missing:
        if runs and m - runs[-1][1] == MINUTE:
            runs[-1] = (runs[-1][0], m)
        else:
            runs.append((m, m))
    parts = []
    for a, b in ((a.astimezone(UTC), b.astimezone(UTC)) for a, b in runs):
        if a == b:
            parts.append(f"{a:%Y-%m-%d %H:%M}")
        elif a.date() == b.date():
            parts.append(f"{a:%Y-%m-%d %H:%M}–{b:%H:%M}")
        else:
            parts.append(f"{a:%Y-%m-%d %H:%M}–{b:%Y-%m-%d %H:%M}")
    return ", ".join(parts) + " UTC"
