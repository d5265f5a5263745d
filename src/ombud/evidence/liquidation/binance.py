"""Binance USDⓈ-M liquidation price, brackets and mark price (exchange-domain §2.2, §2.3)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from ombud.evidence.liquidation.model import (
    ONE,
    ZERO,
    BinanceRules,
    Bracket,
    ContractType,
    Position,
)


def derive_cum(brackets: Sequence[Bracket]) -> tuple[Bracket, ...]:
    """Brackets with `cum` recomputed: `cum_n = cum_{n−1} + floor_n × (MMR_n − MMR_{n−1})`."""
    ordered = sorted(brackets, key=lambda b: b.notional_floor)
    out: list[Bracket] = []
    for b in ordered:
        if not out:
            out.append(replace(b, cum=ZERO))
            continue
        prev = out[-1]
        out.append(replace(b, cum=prev.cum + b.notional_floor * (b.mmr - prev.mmr)))
    return tuple(out)


def bracket_for_notional(brackets: Sequence[Bracket], notional: Decimal) -> Bracket:
    """The bracket with `notional_floor ≤ notional ≤ notional_cap` (highest floor wins)."""
    candidates = [b for b in brackets if b.notional_floor <= notional]
    if not candidates:
        raise ValueError(f"notional {notional} is below every bracket floor")
    bracket = max(candidates, key=lambda b: b.notional_floor)
    if notional > bracket.notional_cap:
        raise ValueError(f"notional {notional} exceeds the largest bracket cap")
    return bracket


@dataclass(frozen=True)
class BinanceLiquidation:
    """A Binance liquidation price with the bracket it was solved in."""

    price: Decimal | None
    bracket: Bracket
    entry_bracket: Bracket


def solve_in_bracket(position: Position, rules: BinanceRules, bracket: Bracket) -> Decimal:
    """The one-way-mode formula evaluated with `bracket`'s MMR and cum, whatever the notional
    (may be zero or negative when the position cannot be liquidated)."""
    pos, ep, side = position.quantity, position.entry_price, position.side.sign
    wb = position.effective_margin
    numerator = wb - rules.other_maint_margin + rules.other_upnl + bracket.cum - side * pos * ep
    return numerator / (pos * bracket.mmr - side * pos)


def liquidation_price(position: Position, rules: BinanceRules) -> BinanceLiquidation:
    """One-way-mode liquidation price.

    `LP = (WB − TMM1 + UPNL1 + cumB − Side × Pos × EP) / (Pos × MMR_B − Side × Pos)`, solved
    first in the bracket of the entry notional and, if the notional at LP falls in another
    bracket, again in that bracket until the bracket is stable.
    """
    if position.contract_type is not ContractType.LINEAR:
        raise ValueError("the Binance USDⓈ-M formula covers linear contracts only")
    entry = bracket_for_notional(rules.brackets, position.quantity * position.entry_price)
    bracket = entry
    seen: set[int] = set()
    while True:
        price = solve_in_bracket(position, rules, bracket)
        if price <= ZERO:
            return BinanceLiquidation(None, bracket, entry)
        at_lp = bracket_for_notional(rules.brackets, position.quantity * price)
        if at_lp.bracket == bracket.bracket or at_lp.bracket in seen:
            return BinanceLiquidation(price, bracket, entry)
        seen.add(bracket.bracket)
        bracket = at_lp


def bankruptcy_price(position: Position, rules: BinanceRules) -> Decimal | None:
    """Price at which the equity backing the position is zero; None if never reached."""
    equity = position.effective_margin + rules.other_upnl
    price = position.entry_price - position.side.sign * equity / position.quantity
    return price if price > ZERO else None


def margin_ratio(
    position: Position, rules: BinanceRules, mark: Decimal, bracket: Bracket
) -> Decimal:
    """Equity over maintenance requirement at `mark`; exactly 1 at the liquidation price."""
    pos = position.quantity
    equity = position.effective_margin + rules.other_upnl + position.unrealised_pnl(mark)
    requirement = pos * mark * bracket.mmr - bracket.cum + rules.other_maint_margin
    return equity / requirement


def mark_price(
    index: Decimal,
    last_funding_rate: Decimal,
    time_until_funding: timedelta,
    funding_interval: timedelta,
    ma_basis: Decimal,
    contract_price: Decimal,
) -> Decimal:
    """Binance perpetual mark: `Median(Price1, Price2, ContractPrice)`.

    `Price1 = Index × (1 + LastFundingRate × TimeUntilFunding / FundingInterval)`,
    `Price2 = Index + MA(basis)`; `price_limits.average_premium` computes MA(basis) from
    `(bid1, ask1, index)` samples.
    """
    fraction = Decimal(time_until_funding // timedelta(microseconds=1)) / Decimal(
        funding_interval // timedelta(microseconds=1)
    )
    price1 = index * (ONE + last_funding_rate * fraction)
    price2 = index + ma_basis
    return statistics.median([price1, price2, contract_price])

