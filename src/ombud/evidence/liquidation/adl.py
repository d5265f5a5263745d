"""Liquidation fee, insurance fund, socialised loss and ADL ranking (exchange-domain §2.4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from ombud.evidence.liquidation.model import ONE, ZERO, ContractType, Position

OKX_ADL_DRAWDOWN = Decimal("0.30")


@dataclass(frozen=True)
class Settlement:
    """Where the money of a liquidated position went, in the settlement currency.

    `equity_at_fill` = margin + PnL at the liquidation fill price. The fee is taken from
    that equity (never more than is left); a remaining surplus goes to the insurance fund
    (OKX bill type `liquidation_balance_deposit`); a deficit is a bankruptcy loss the fund
    covers (`bankruptcy_loss`), and whatever the fund cannot cover is socialised via ADL.
    """

    fill_price: Decimal
    equity_at_fill: Decimal
    nominal_fee: Decimal
    liquidation_fee: Decimal
    surplus_to_fund: Decimal
    bankruptcy_loss: Decimal
    covered_by_fund: Decimal | None
    socialised_loss: Decimal | None

    @property
    def insurance_fund_inflow(self) -> Decimal:
        """Fee plus surplus paid into the insurance fund."""
        return self.liquidation_fee + self.surplus_to_fund

    @property
    def adl_required(self) -> bool | None:
        """True when the fund could not cover the loss; None when its balance is unknown."""
        return None if self.socialised_loss is None else self.socialised_loss > ZERO


def settle(
    position: Position,
    fill_price: Decimal,
    liquidation_fee_rate: Decimal,
    insurance_fund_balance: Decimal | None = None,
) -> Settlement:
    """Split a full liquidation at `fill_price` into fee, fund surplus or loss, and ADL.

    The nominal fee is position value at the fill price × `liquidation_fee_rate` (no
    official OKX or Binance rate table was found; the caller supplies the rate).
    """
    if fill_price <= ZERO:
        raise ValueError(f"fill price must be positive, got {fill_price}")
    if liquidation_fee_rate < ZERO or liquidation_fee_rate >= ONE:
        raise ValueError(f"liquidation fee rate must be in [0, 1), got {liquidation_fee_rate}")
    q = position.quantity
    value = q / fill_price if position.contract_type is ContractType.INVERSE else q * fill_price
    equity = position.effective_margin + position.unrealised_pnl(fill_price)
    nominal_fee = value * liquidation_fee_rate
    fee = min(nominal_fee, max(equity, ZERO))
    surplus = max(equity - fee, ZERO)
    loss = max(-equity, ZERO)
    covered: Decimal | None = None
    socialised: Decimal | None = None
    if insurance_fund_balance is not None:
        if insurance_fund_balance < ZERO:
            raise ValueError("insurance fund balance cannot be negative")
        covered = min(loss, insurance_fund_balance)
        socialised = loss - covered
    return Settlement(fill_price, equity, nominal_fee, fee, surplus, loss, covered, socialised)


@dataclass(frozen=True)
class AdlTrigger:
    """OKX ADL trigger check: drawdown of the insurance fund from its 8-hour peak."""

    balance: Decimal
    peak_balance: Decimal
    drawdown: Decimal
    threshold: Decimal
    triggered: bool


def okx_adl_trigger(
    balance: Decimal, peak_balance: Decimal, threshold: Decimal = OKX_ADL_DRAWDOWN
) -> AdlTrigger:
    """ADL starts when the fund has fallen `threshold` (30%) from its 8-hour peak (`maxBal`)."""
    if peak_balance <= ZERO:
        raise ValueError(f"peak balance must be positive, got {peak_balance}")
    drawdown = (peak_balance - balance) / peak_balance
    return AdlTrigger(balance, peak_balance, drawdown, threshold, drawdown >= threshold)


def okx_adl_score(pnl_ratio: Decimal, effective_leverage: Decimal) -> Decimal:
    """OKX ranking key: leverage PnL% = position PnL% × effective leverage."""
    return pnl_ratio * effective_leverage


def okx_adl_order(candidates: Mapping[str, tuple[Decimal, Decimal]]) -> list[tuple[str, Decimal]]:
    """Positions in ADL order from `{id: (pnl_ratio, effective_leverage)}`: highest positive
    score first; positions with no positive score are not deleveraged."""
    scored = [(pid, okx_adl_score(p, lev)) for pid, (p, lev) in candidates.items()]
    return sorted(((pid, s) for pid, s in scored if s > ZERO), key=lambda x: (-x[1], x[0]))


def binance_adl_margin_ratio(
    maint_margin: Decimal, wallet_balance: Decimal, unrealised_profit: Decimal
) -> Decimal:
    """Binance `MarginRatio = MaintMargin / (WalletBalance + UnrealizedProfit)`, 0 if the
    denominator is not positive."""
    denominator = wallet_balance + unrealised_profit
    return maint_margin / denominator if denominator > ZERO else ZERO


def binance_pnl_ratio(unrealised_profit: Decimal, wallet_balance: Decimal) -> Decimal:
    """Binance `Pnl% = max(0, UnrealizedProfit) / max(1, WalletBalance)`."""
    return max(ZERO, unrealised_profit) / max(ONE, wallet_balance)


def binance_leverage_pnl(
    unrealised_profit: Decimal, wallet_balance: Decimal, margin_ratio: Decimal
) -> Decimal:
    """Binance ADL ranking key: `LeveragePnl = Pnl% × MarginRatio`."""
    return binance_pnl_ratio(unrealised_profit, wallet_balance) * margin_ratio
