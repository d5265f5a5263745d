"""OKX margin-ratio, liquidation- and bankruptcy-price formulas (exchange-domain §2.1)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ombud.evidence.liquidation.model import (
    ONE,
    ZERO,
    ContractType,
    Position,
    Side,
    Tier,
)


def tier_for_size(tiers: Sequence[Tier], size: Decimal) -> Tier:
    """The tier whose size band holds `size` contracts (the lowest band with size ≤ max)."""
    for tier in sorted(tiers, key=lambda t: t.max_size):
        if size <= tier.max_size:
            return tier
    raise ValueError(f"size {size} exceeds the largest tier ({max(t.max_size for t in tiers)})")


def margin_ratio(position: Position, mark: Decimal, mmr: Decimal, fee_rate: Decimal) -> Decimal:
    """OKX isolated margin ratio: (margin + upl) / (position value × (mmr + taker fee)).

    Position value is Q × mark for linear contracts and Q / mark for inverse ones; the
    position is liquidated when the ratio falls to 1 (100%) or below.
    """
    if mark <= ZERO:
        raise ValueError(f"mark price must be positive, got {mark}")
    q = position.quantity
    value = q / mark if position.contract_type is ContractType.INVERSE else q * mark
    return (position.effective_margin + position.unrealised_pnl(mark)) / (value * (mmr + fee_rate))


def bankruptcy_price(position: Position) -> Decimal | None:
    """Mark price at which equity is zero (`E ∓ M/Q` for linear); None if never reached."""
    q, e, m = position.quantity, position.entry_price, position.effective_margin
    if position.contract_type is ContractType.INVERSE:
        denominator = q / e + m if position.side is Side.LONG else q / e - m
        return q / denominator if denominator > ZERO else None
    price = e - m / q if position.side is Side.LONG else e + m / q
    return price if price > ZERO else None


def liquidation_price(position: Position, mmr: Decimal, fee_rate: Decimal) -> Decimal | None:
    """Mark price at which the OKX margin ratio is exactly 1; None if never reached.

    Linear: long `(E − M/Q) / (1 − mmr − f)`, short `(E + M/Q) / (1 + mmr + f)`.
    Inverse (solved from the coin-margined ratio): long `Q(1 + mmr + f) / (M + Q/E)`,
    short `Q(1 − mmr − f) / (Q/E − M)`.
    """
    q, e, m = position.quantity, position.entry_price, position.effective_margin
    k = mmr + fee_rate
    if position.contract_type is ContractType.INVERSE:
        if position.side is Side.LONG:
            return q * (ONE + k) / (m + q / e)
        denominator = q / e - m
        return q * (ONE - k) / denominator if denominator > ZERO else None
    if position.side is Side.LONG:
        price = (e - m / q) / (ONE - k)
        return price if price > ZERO else None
    return (e + m / q) / (ONE + k)


def spot_margin_liquidation_price(
    side: Side,
    liability: Decimal,
    interest: Decimal,
    position_assets: Decimal,
    mmr: Decimal,
    fee_rate: Decimal,
) -> Decimal:
    """OKX isolated spot-margin liquidation price.

    Long: `(liability + interest) × (1 + mmr) × (1 + fee) / positionAssets`;
    short: `positionAssets / ((liability + interest) × (1 + mmr) × (1 + fee))`.
    """
    owed = (liability + interest) * (ONE + mmr) * (ONE + fee_rate)
    if owed <= ZERO or position_assets <= ZERO:
        raise ValueError("liability + interest and position assets must be positive")
    return owed / position_assets if side is Side.LONG else position_assets / owed
