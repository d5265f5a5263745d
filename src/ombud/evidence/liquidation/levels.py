"""Liquidation and bankruptcy levels of a position under OKX or Binance rules (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ombud.evidence.liquidation import binance, okx
from ombud.evidence.liquidation.model import (
    ZERO,
    BinanceRules,
    ContractType,
    MarginMode,
    OkxRules,
    Position,
    Rules,
)

PARTIAL_LIQUIDATION_FROM_TIER = 3


@dataclass(frozen=True)
class LiquidationLevels:
    """Every number behind a liquidation price, so a finding can cite it.

    `tier` is the OKX tier or the Binance bracket used; `fee_rate` is the taker fee rate in
    the OKX formula (zero for Binance); `cum` is Binance's maintenance amount (zero for OKX).
    A price of None means the position cannot reach it (e.g. a 1× long).
    """

    exchange: str
    formula: str
    quantity: Decimal
    margin: Decimal
    tier: int
    mmr: Decimal
    fee_rate: Decimal
    cum: Decimal
    liquidation_price: Decimal | None
    bankruptcy_price: Decimal | None
    partial_liquidation_possible: bool
    notes: tuple[str, ...]


def liquidation_levels(position: Position, rules: Rules) -> LiquidationLevels:
    """Liquidation and bankruptcy prices of `position` with the tier or bracket in force."""
    if isinstance(rules, OkxRules):
        return _okx_levels(position, rules)
    return _binance_levels(position, rules)


def _okx_levels(position: Position, rules: OkxRules) -> LiquidationLevels:
    tier = okx.tier_for_size(rules.tiers, position.size)
    notes: list[str] = []
    if tier.max_leverage is not None and position.leverage > tier.max_leverage:
        notes.append(
            f"leverage {position.leverage}× exceeds tier {tier.tier}'s maximum "
            f"{tier.max_leverage}×"
        )
    formula = (
        "OKX isolated coin-margined: ratio = (M + upl) / (Q / mark × (mmr + f))"
        if position.contract_type is ContractType.INVERSE
        else "OKX isolated linear: long (E − M/Q) / (1 − mmr − f), short (E + M/Q) / (1 + mmr + f)"
    )
    if position.margin_mode is MarginMode.CROSS:
        notes.append("cross margin: the margin given is the account equity available to this "
                     "position, assumed constant over the window")
    return LiquidationLevels(
        exchange="okx",
        formula=formula,
        quantity=position.quantity,
        margin=position.effective_margin,
        tier=tier.tier,
        mmr=tier.mmr,
        fee_rate=rules.taker_fee_rate,
        cum=ZERO,
        liquidation_price=okx.liquidation_price(position, tier.mmr, rules.taker_fee_rate),
        bankruptcy_price=okx.bankruptcy_price(position),
        partial_liquidation_possible=tier.tier >= PARTIAL_LIQUIDATION_FROM_TIER,
        notes=tuple(notes),
    )


def _binance_levels(position: Position, rules: BinanceRules) -> LiquidationLevels:
    solved = binance.liquidation_price(position, rules)
    notes: list[str] = []
    if solved.bracket.bracket != solved.entry_bracket.bracket:
        notes.append(
            f"the notional at the liquidation price falls in bracket {solved.bracket.bracket}, "
            f"not the entry bracket {solved.entry_bracket.bracket}; solved in bracket "
            f"{solved.bracket.bracket}"
        )
    return LiquidationLevels(
        exchange="binance",
        formula="Binance USDⓈ-M one-way: (WB − TMM1 + UPNL1 + cum − Side×Pos×EP) / "
        "(Pos×MMR − Side×Pos)",
        quantity=position.quantity,
        margin=position.effective_margin,
        tier=solved.bracket.bracket,
        mmr=solved.bracket.mmr,
        fee_rate=ZERO,
        cum=solved.bracket.cum,
        liquidation_price=solved.price,
        bankruptcy_price=binance.bankruptcy_price(position, rules),
        partial_liquidation_possible=False,
        notes=tuple(notes),
    )


def margin_ratio_at(
    position: Position, rules: Rules, levels: LiquidationLevels, mark: Decimal
) -> Decimal:
    """Equity over maintenance requirement at `mark` (≤ 1 means liquidation is due)."""
    if isinstance(rules, OkxRules):
        return okx.margin_ratio(position, mark, levels.mmr, levels.fee_rate)
    bracket = next(b for b in rules.brackets if b.bracket == levels.tier)
    return binance.margin_ratio(position, rules, mark, bracket)
