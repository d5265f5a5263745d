"""Money: Decimal amounts quantised to their asset's precision, never float."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, InvalidOperation

from ombud.common.errors import Invalid

# Decimal places per asset; unknown assets fall back to 8 (a satoshi).
ASSET_PRECISION: dict[str, int] = {
    "BTC": 8, "ETH": 18, "USDT": 6, "USDC": 6, "SOL": 9, "XRP": 6, "TRX": 6, "DOGE": 8,
    "LTC": 8, "BNB": 18, "OKB": 18, "USD": 2, "EUR": 2, "GBP": 2, "HKD": 2,
}
DEFAULT_PRECISION = 8
MAX_AMOUNT = Decimal("1e15")


def precision(asset: str) -> int:
    """Decimal places kept for ``asset``."""
    return ASSET_PRECISION.get(asset.upper(), DEFAULT_PRECISION)


def parse_amount(value: object, asset: str, *, allow_zero: bool = True) -> Decimal:
    """Parse ``value`` as a non-negative amount of ``asset``, rounded down to its precision.

    Floats are refused: money never passes through binary floating point.
    """
    if isinstance(value, float):
        raise Invalid("amounts must be given as decimal strings, not floats", pointer="amount")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise Invalid(f"{value!r} is not a decimal amount", pointer="amount") from None
    if not amount.is_finite():
        raise Invalid("amount must be a finite number", pointer="amount")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise Invalid("amount must be positive", pointer="amount")
    if amount > MAX_AMOUNT:
        raise Invalid("amount is implausibly large", pointer="amount")
    return amount.quantize(Decimal(1).scaleb(-precision(asset)), rounding=ROUND_DOWN)
