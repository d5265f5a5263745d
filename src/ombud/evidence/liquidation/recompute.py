"""Recompute a liquidation against the mark-price path and give a verdict (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from ombud.evidence.liquidation.adl import Settlement, settle
from ombud.evidence.liquidation.candles import (
    Scan,
    by_minute,
    crosses,
    describe_gaps,
    extreme,
    floor_minute,
    minutes_between,
    scan,
    wick_deviation,
)
from ombud.evidence.liquidation.levels import (
    LiquidationLevels,
    liquidation_levels,
    margin_ratio_at,
)
from ombud.evidence.liquidation.model import ZERO, Candle, OkxRules, Position, Rules, Side

DEFAULT_WICK_THRESHOLD = Decimal("0.01")


class Verdict(StrEnum):
    """Outcome of a liquidation recomputation."""

    TRIGGERED_CORRECTLY = "triggered_correctly"
    TRIGGERED_EARLY = "triggered_early"
    MARK_PRICE_WICK = "mark_price_wick"
    NOT_REACHED = "not_reached"
    LIQUIDATION_DUE = "liquidation_due"
    UNDETERMINED = "undetermined"


@dataclass(frozen=True)
class LiquidationResult:
    """A verdict with every number it rests on.

    `basis` says which observation showed the mark reaching the liquidation price:
    "mark_candle" (a 1-minute mark candle) or "trigger_price" (the platform's `triggerPx`).
    `crossing_price` is the adverse extreme (low for a long, high for a short) of the first
    crossing candle; `wick_deviation` compares it with the index candle of the same minute.
    """

    verdict: Verdict
    reason: str
    levels: LiquidationLevels
    window_start: datetime
    window_end: datetime
    liquidated_at: datetime | None
    basis: str | None
    first_crossing: Candle | None
    crossing_price: Decimal | None
    crossing_count: int
    margin_ratio_at_crossing: Decimal | None
    trigger_to_liquidation: timedelta | None
    trigger_price: Decimal | None
    margin_ratio_at_trigger: Decimal | None
    later_crossing: Candle | None
    index_candle: Candle | None
    wick_deviation: Decimal | None
    wick_threshold: Decimal
    missing_minutes: tuple[datetime, ...]
    settlement: Settlement | None
    notes: tuple[str, ...]


@dataclass
class _Draft:
    verdict: Verdict = Verdict.UNDETERMINED
    reason: str = ""
    basis: str | None = None
    later_crossing: Candle | None = None
    index_candle: Candle | None = None
    wick_deviation: Decimal | None = None


def _fmt(value: Decimal | None) -> str:
    return "none" if value is None else f"{value:.8f}".rstrip("0").rstrip(".")


def recompute_liquidation(
    position: Position,
    rules: Rules,
    mark_candles: Sequence[Candle],
    *,
    window_start: datetime,
    liquidated_at: datetime | None = None,
    window_end: datetime | None = None,
    index_candles: Sequence[Candle] = (),
    wick_threshold: Decimal = DEFAULT_WICK_THRESHOLD,
    price_tolerance: Decimal = ZERO,
    trigger_price: Decimal | None = None,
    fill_price: Decimal | None = None,
    liquidation_fee_rate: Decimal | None = None,
    insurance_fund_balance: Decimal | None = None,
) -> LiquidationResult:
    """Check a liquidation (or the absence of one) against the 1-minute mark-price path.

    The window runs from `window_start` (when the position's size and margin became as given)
    to `liquidated_at`, or to `window_end` when no liquidation happened. Mark candles after
    `liquidated_at` up to `window_end` are searched only to show a later crossing. The
    liquidation fee rate defaults to the OKX taker rate; `fill_price` adds the settlement.
    `price_tolerance` allows for the exchange rounding prices to its tick: a candle crosses
    when its adverse extreme is within that distance of the computed liquidation price.
    """
    if wick_threshold <= ZERO or price_tolerance < ZERO:
        raise ValueError("wick_threshold must be positive and price_tolerance non-negative")
    levels = liquidation_levels(position, rules)
    side, liq = position.side, levels.liquidation_price
    end = liquidated_at if liquidated_at is not None else window_end
    if end is None:
        raise ValueError("give liquidated_at or window_end")
    if window_end is not None and window_end < end:
        raise ValueError("window_end is before liquidated_at")
    marks, indexes = by_minute(mark_candles), by_minute(index_candles)
    found = scan(marks, minutes_between(window_start, end), side, liq, price_tolerance)
    notes = list(levels.notes)
    trigger_reached = (
        trigger_price is not None and liq is not None
        and (trigger_price <= liq + price_tolerance if side is Side.LONG
             else trigger_price >= liq - price_tolerance)
    )
    draft = _Draft()
    if liquidated_at is not None:
        _judge_liquidation(draft, found, side, liq, trigger_reached, notes)
        if draft.verdict is Verdict.TRIGGERED_EARLY and window_end is not None:
            after = minutes_between(floor_minute(liquidated_at), window_end)[1:]
            draft.later_crossing = scan(marks, after, side, liq, price_tolerance).first_crossing
        if draft.verdict is Verdict.TRIGGERED_CORRECTLY and draft.basis == "mark_candle":
            _check_wick(draft, found, indexes, side, liq, price_tolerance, wick_threshold, notes)
    else:
        _judge_no_liquidation(draft, found, liq)
    if found.unconfirmed:
        notes.append(f"unconfirmed (still open) candles at {describe_gaps(found.unconfirmed)}")
    first = found.first_crossing
    if first is not None and found.gap_before(first.ts):
        notes.append("minutes before the first crossing have no candle; an earlier crossing "
                     "is possible")
    crossing_price = extreme(first, side) if first is not None else None
    settlement = _settlement(position, rules, fill_price, liquidation_fee_rate,
                             insurance_fund_balance, notes)
    return LiquidationResult(
        verdict=draft.verdict,
        reason=draft.reason,
        levels=levels,
        window_start=window_start,
        window_end=window_end or end,
        liquidated_at=liquidated_at,
        basis=draft.basis,
        first_crossing=first,
        crossing_price=crossing_price,
        crossing_count=len(found.crossings),
        margin_ratio_at_crossing=(
            margin_ratio_at(position, rules, levels, crossing_price)
            if crossing_price is not None else None
        ),
        trigger_to_liquidation=(
            liquidated_at - first.ts if first is not None and liquidated_at is not None else None
        ),
        trigger_price=trigger_price,
        margin_ratio_at_trigger=(
            margin_ratio_at(position, rules, levels, trigger_price)
            if trigger_price is not None else None
        ),
        later_crossing=draft.later_crossing,
        index_candle=draft.index_candle,
        wick_deviation=draft.wick_deviation,
        wick_threshold=wick_threshold,
        missing_minutes=found.missing,
        settlement=settlement,
        notes=tuple(notes),
    )


def _judge_liquidation(
    draft: _Draft,
    found: Scan,
    side: Side,
    liq: Decimal | None,
    trigger_reached: bool,
    notes: list[str],
) -> None:
    first = found.first_crossing
    if liq is None:
        draft.verdict = Verdict.TRIGGERED_EARLY
        draft.reason = "The position had no reachable liquidation price, yet it was liquidated."
    elif first is not None:
        draft.verdict, draft.basis = Verdict.TRIGGERED_CORRECTLY, "mark_candle"
        draft.reason = (
            f"The mark price reached the liquidation price {_fmt(liq)} in the candle of "
            f"{first.ts.isoformat()} (extreme {_fmt(extreme(first, side))}), at or before the "
            "liquidation."
        )
    elif trigger_reached and found.missing:
        draft.verdict, draft.basis = Verdict.TRIGGERED_CORRECTLY, "trigger_price"
        draft.reason = (
            f"The platform's trigger mark price reached the liquidation price {_fmt(liq)}; "
            f"mark candles are missing for {describe_gaps(found.missing)}."
        )
    elif found.missing:
        draft.reason = (
            f"No mark candle up to the liquidation reached {_fmt(liq)}, but candles are "
            f"missing for {describe_gaps(found.missing)}."
        )
    elif trigger_reached:
        draft.reason = (
            f"The platform's trigger mark price reached {_fmt(liq)} but no mark candle in the "
            "fully covered window did; the two records disagree."
        )
        notes.append("trigger price lies outside every mark candle's range")
    else:
        draft.verdict = Verdict.TRIGGERED_EARLY
        draft.reason = (
            f"No mark candle up to the liquidation reached the liquidation price {_fmt(liq)}; "
            "the window is fully covered."
        )


def _judge_no_liquidation(draft: _Draft, found: Scan, liq: Decimal | None) -> None:
    first = found.first_crossing
    if first is not None:
        draft.verdict, draft.basis = Verdict.LIQUIDATION_DUE, "mark_candle"
        draft.reason = (
            f"The mark price reached the liquidation price {_fmt(liq)} in the candle of "
            f"{first.ts.isoformat()}, so a liquidation was due."
        )
    elif found.missing and liq is not None:
        draft.reason = (
            f"No mark candle reached {_fmt(liq)}, but candles are missing for "
            f"{describe_gaps(found.missing)}."
        )
    elif liq is None:
        draft.verdict = Verdict.NOT_REACHED
        draft.reason = "The position has no reachable liquidation price."
    else:
        draft.verdict = Verdict.NOT_REACHED
        draft.reason = f"The mark price never reached the liquidation price {_fmt(liq)}."


def _check_wick(
    draft: _Draft,
    found: Scan,
    indexes: dict[datetime, Candle],
    side: Side,
    liq: Decimal | None,
    tolerance: Decimal,
    threshold: Decimal,
    notes: list[str],
) -> None:
    first = found.first_crossing
    if not indexes or first is None or liq is None:
        return
    index = indexes.get(first.ts)
    if index is None:
        notes.append("no index candle for the crossing minute; the wick check was not possible")
        return
    deviation = wick_deviation(first, index, side)
    draft.index_candle, draft.wick_deviation = index, deviation
    if deviation <= threshold or crosses(index, side, liq, tolerance):
        return
    draft.verdict = Verdict.MARK_PRICE_WICK
    draft.reason = (
        f"The mark price reached the liquidation price {_fmt(liq)} only in a wick at "
        f"{first.ts.isoformat()}: mark {_fmt(extreme(first, side))} vs index "
        f"{_fmt(extreme(index, side))}, deviation {_fmt(deviation)} above {_fmt(threshold)}."
    )
    clean = [
        c for c in found.crossings[1:]
        if (i := indexes.get(c.ts)) is not None
        and (wick_deviation(c, i, side) <= threshold or crosses(i, side, liq, tolerance))
    ]
    if clean:
        notes.append(f"the mark also reached the liquidation price without a wick at "
                     f"{clean[0].ts.isoformat()}")


def _settlement(
    position: Position,
    rules: Rules,
    fill_price: Decimal | None,
    fee_rate: Decimal | None,
    fund_balance: Decimal | None,
    notes: list[str],
) -> Settlement | None:
    if fill_price is None:
        return None
    if fee_rate is None:
        if isinstance(rules, OkxRules):
            fee_rate = rules.taker_fee_rate
        else:
            fee_rate = ZERO
            notes.append("no liquidation fee rate given (Binance rates not found); fee taken as 0")
    return settle(position, fill_price, fee_rate, fund_balance)
