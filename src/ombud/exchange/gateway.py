"""What Ombud asks of an exchange: read its records, and act on an account.

`ExchangeReader` covers the evidence of exchange-domain §1; `ExchangeActor` the remedies.
Every credit or refund carries a deterministic client id (derived by the caller from the case
and the remedy); an implementation must return the first result for a repeated client id and
never move money twice, and must raise `ClientIdConflict` if the id comes back with different
terms. After a timeout the caller asks `transfer_state(client_id)` before any retry.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol, runtime_checkable

from ombud.exchange.dto import (
    Balance,
    Bill,
    BookSnapshot,
    Candle,
    CurrencyInfo,
    Deposit,
    DepositAddress,
    Fill,
    FreezeReceipt,
    Liquidation,
    Order,
    Position,
    PositionHistory,
    SecurityEvent,
    StatusWindow,
    Trade,
    TransferState,
    Window,
    Withdrawal,
)


@runtime_checkable
class ExchangeReader(Protocol):
    """Read side: an account's records and the market around them."""

    def balances(self, account: str) -> list[Balance]:
        """Current balances of `account`."""
        ...

    def orders(self, account: str, window: Window, inst_id: str | None = None) -> list[Order]:
        """Orders created in `window`, oldest first."""
        ...

    def fills(self, account: str, window: Window, inst_id: str | None = None) -> list[Fill]:
        """Fills in `window`, oldest first."""
        ...

    def bills(self, account: str, window: Window, ccy: str | None = None) -> list[Bill]:
        """Ledger entries in `window`, oldest first."""
        ...

    def deposits(self, account: str, window: Window, ccy: str | None = None) -> list[Deposit]:
        """Deposits in `window`, oldest first."""
        ...

    def withdrawals(
        self, account: str, window: Window, ccy: str | None = None
    ) -> list[Withdrawal]:
        """Withdrawals in `window`, oldest first."""
        ...

    def deposit_addresses(self, account: str, ccy: str) -> list[DepositAddress]:
        """The account's deposit addresses for `ccy`, on every chain."""
        ...

    def currencies(self, ccy: str) -> list[CurrencyInfo]:
        """Deposit/withdrawal rules of `ccy`, one row per chain."""
        ...

    def positions(self, account: str, inst_id: str | None = None) -> list[Position]:
        """Open positions now."""
        ...

    def position_history(
        self, account: str, window: Window, inst_id: str | None = None
    ) -> list[PositionHistory]:
        """Positions closed in `window`, oldest first."""
        ...

    def liquidations(
        self, account: str, window: Window, inst_id: str | None = None
    ) -> list[Liquidation]:
        """Liquidations and auto-deleverages of the account's positions in `window`."""
        ...

    def security_events(self, account: str, window: Window) -> list[SecurityEvent]:
        """Logins and credential changes in `window`, oldest first."""
        ...

    def mark_candles(self, inst_id: str, window: Window) -> list[Candle]:
        """1-minute mark-price candles in `window`, oldest first."""
        ...

    def index_candles(self, inst_id: str, window: Window) -> list[Candle]:
        """1-minute index-price candles in `window`, oldest first."""
        ...

    def books(self, inst_id: str, window: Window) -> list[BookSnapshot]:
        """L2 book snapshots in `window`, oldest first."""
        ...

    def trades(self, inst_id: str, window: Window) -> list[Trade]:
        """Public trades in `window`, oldest first."""
        ...

    def system_status(self, window: Window) -> list[StatusWindow]:
        """Maintenance and incident windows overlapping `window`."""
        ...


@runtime_checkable
class ExchangeActor(Protocol):
    """Act side: remedies and protective measures, each idempotent."""

    def freeze_account(self, account: str, reason: str) -> FreezeReceipt:
        """Freeze `account` (no trading, no withdrawal); freezing a frozen account is a no-op."""
        ...

    def unfreeze_account(self, account: str, reason: str) -> FreezeReceipt:
        """Lift a freeze; unfreezing an active account is a no-op."""
        ...

    def credit(self, account: str, asset: str, amount: Decimal, client_id: str) -> TransferState:
        """Credit `amount` of `asset` to `account`, exactly once per `client_id`."""
        ...

    def refund(self, account: str, asset: str, amount: Decimal, client_id: str) -> TransferState:
        """Refund (e.g. a fee) to `account`, exactly once per `client_id`."""
        ...

    def transfer_state(self, client_id: str) -> TransferState | None:
        """The outcome of the credit or refund with `client_id`, or None if never received."""
        ...
