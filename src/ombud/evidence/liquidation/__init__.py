"""Liquidation recomputation, price limits, insurance fund and ADL checks (pure)."""

from ombud.evidence.liquidation.levels import LiquidationLevels, liquidation_levels
from ombud.evidence.liquidation.model import (
    BinanceRules,
    Bracket,
    Candle,
    ContractType,
    MarginMode,
    OkxRules,
    Position,
    Side,
    Tier,
)
from ombud.evidence.liquidation.recompute import (
    LiquidationResult,
    Verdict,
    recompute_liquidation,
)

__all__ = [
    "BinanceRules",
    "Bracket",
    "Candle",
    "ContractType",
    "LiquidationLevels",
    "LiquidationResult",
    "MarginMode",
    "OkxRules",
    "Position",
    "Side",
    "Tier",
    "Verdict",
    "liquidation_levels",
    "recompute_liquidation",
]
