"""Read side of the simulated exchange: the `ExchangeReader` methods over a `SimState`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TypeVar

from ombud.exchange.dto import (
    Balance,
    Bill,
    BookSnapshot,
    Candle,
    CurrencyInfo,
    Deposit,
    DepositAddress,
    Fill,
    Liquidation,
    Order,
    Position,
    PositionHistory,
    SecurityEvent,
    StatusWindow,
    Trade,
    Window,
    Withdrawal,
)
from ombud.exchange.errors import UnknownAccount
from ombud.exchange.sim_state import SimState

T = TypeVar("T")


def _window(items: Iterable[T], window: Window, when: Callable[[T], dt.datetime]) -> list[T]:
    return sorted((item for item in items if when(item) in window), key=when)


class SimReader:
    """Records of a simulated exchange, filtered by account, instrument and time window."""

    state: SimState

    def _known(self, account: str) -> None:
        if account not in self.state.balances:
            raise UnknownAccount(f"no account {account!r} on the simulated exchange")

    def _of(self, table: dict[str, list[T]], account: str) -> list[T]:
        self._known(account)
        return table.get(account, [])

    def balances(self, account: str) -> list[Balance]:
        """Current balances, one per asset."""
        self._known(account)
        return [Balance(ccy, amt) for ccy, amt in sorted(self.state.balances[account].items())]

    def orders(self, account: str, window: Window, inst_id: str | None = None) -> list[Order]:
        """Orders created in `window`."""
        rows = [o for o in self._of(self.state.orders, account) if inst_id in (None, o.inst_id)]
        return _window(rows, window, lambda o: o.c_time)

    def fills(self, account: str, window: Window, inst_id: str | None = None) -> list[Fill]:
        """Fills in `window`."""
        rows = [f for f in self._of(self.state.fills, account) if inst_id in (None, f.inst_id)]
        return _window(rows, window, lambda f: f.ts)

    def bills(self, account: str, window: Window, ccy: str | None = None) -> list[Bill]:
        """Ledger entries in `window`."""
        rows = [b for b in self._of(self.state.bills, account) if ccy in (None, b.ccy)]
        return _window(rows, window, lambda b: b.ts)

    def deposits(self, account: str, window: Window, ccy: str | None = None) -> list[Deposit]:
        """Deposits in `window`."""
        rows = [d for d in self._of(self.state.deposits, account) if ccy in (None, d.ccy)]
        return _window(rows, window, lambda d: d.ts)

    def withdrawals(self, account: str, window: Window, ccy: str | None = None
                    ) -> list[Withdrawal]:
        """Withdrawals in `window`."""
        rows = [w for w in self._of(self.state.withdrawals, account) if ccy in (None, w.ccy)]
        return _window(rows, window, lambda w: w.ts)

    def deposit_addresses(self, account: str, ccy: str) -> list[DepositAddress]:
        """Deposit addresses of `account` for `ccy`."""
        return [a for a in self._of(self.state.addresses, account) if a.ccy == ccy]

    def currencies(self, ccy: str) -> list[CurrencyInfo]:
        """Per-chain rules of `ccy`."""
        return [c for c in self.state.currencies if c.ccy == ccy]

    def positions(self, account: str, inst_id: str | None = None) -> list[Position]:
        """Open positions."""
        return [p for p in self._of(self.state.positions, account) if inst_id in (None, p.inst_id)]

    def position_history(self, account: str, window: Window, inst_id: str | None = None
                         ) -> list[PositionHistory]:
        """Positions closed in `window`."""
        rows = [p for p in self._of(self.state.position_history, account)
                if inst_id in (None, p.inst_id)]
        return _window(rows, window, lambda p: p.u_time)

    def liquidations(self, account: str, window: Window, inst_id: str | None = None
                     ) -> list[Liquidation]:
        """Liquidations and ADL of the account's positions in `window`."""
        rows = [x for x in self._of(self.state.liquidations, account)
                if inst_id in (None, x.inst_id)]
        return _window(rows, window, lambda x: x.ts)

    def security_events(self, account: str, window: Window) -> list[SecurityEvent]:
        """Security log entries in `window`."""
        return _window(self._of(self.state.security_events, account), window, lambda e: e.at)

    def mark_candles(self, inst_id: str, window: Window) -> list[Candle]:
        """1-minute mark candles in `window`."""
        return _window(self.state.mark_candles.get(inst_id, []), window, lambda c: c.ts)

    def index_candles(self, inst_id: str, window: Window) -> list[Candle]:
        """1-minute index candles in `window`."""
        return _window(self.state.index_candles.get(inst_id, []), window, lambda c: c.ts)

    def books(self, inst_id: str, window: Window) -> list[BookSnapshot]:
        """Recorded book snapshots in `window`."""
        return _window(self.state.books.get(inst_id, []), window, lambda b: b.ts)

    def trades(self, inst_id: str, window: Window) -> list[Trade]:
        """Public trades in `window`."""
        return _window(self.state.trades.get(inst_id, []), window, lambda t: t.ts)

    def system_status(self, window: Window) -> list[StatusWindow]:
        """Status windows overlapping `window`."""
        return sorted((s for s in self.state.status
                       if s.begin < window.end and (s.end is None or s.end > window.start)),
                      key=lambda s: s.begin)

