"""OKX v5 REST adapter: `ExchangeReader` and the credit/refund/state part of `ExchangeActor`.

Private endpoints are signed with the account's own API key (`keys(account)`); credits and
refunds are funding transfers from the operator's master account to the customer's
sub-account (`POST /api/v5/asset/transfer`, idempotent through `clientId`, state by
`/api/v5/asset/transfer-state`). OKX has no public API for login logs or account freezes, so
those raise `Unsupported` (exchange-domain §1.9).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from ombud.exchange import okx_parse as parse
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
from ombud.exchange.errors import ClientIdConflict, ExchangeTimeout, MalformedResponse, Unsupported
from ombud.exchange.okx_http import OkxCredentials, OkxHttp
from ombud.exchange.states import TransferStatus

INST_TYPES = ("SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION")
FUNDING = "6"


def ms(when: dt.datetime) -> str:
    """Aware time → Unix milliseconds as OKX wants them."""
    return str(int(when.timestamp() * 1000))


def inst_type_of(inst_id: str) -> str:
    """OKX instrument type from the shape of an instrument id."""
    parts = inst_id.split("-")
    if parts[-1] == "SWAP":
        return "SWAP"
    if len(parts) == 5:
        return "OPTION"
    if len(parts) == 3 and parts[2].isdigit():
        return "FUTURES"
    return "SPOT"


def index_of(inst_id: str) -> str:
    """The index an instrument is priced against (`BTC-USDT-SWAP` → `BTC-USDT`)."""
    return "-".join(inst_id.split("-")[:2])


def _sorted(rows: Iterable[Any], key: Callable[[Any], dt.datetime]) -> list[Any]:
    return sorted(rows, key=key)


class OkxExchange:
    """The OKX v5 REST API behind Ombud's gateway Protocols."""

    def __init__(self, http: OkxHttp, keys: Callable[[str], OkxCredentials],
                 operator: OkxCredentials | None = None) -> None:
        self.http = http
        self.keys = keys
        self.operator = operator

    # -- account records ---------------------------------------------------------------------

    def balances(self, account: str) -> list[Balance]:
        """Trading-account balances (`/account/balance`)."""
        rows = self.http.get("/api/v5/account/balance", {}, self.keys(account))
        out = []
        for row in rows:
            for det in row.get("details", []) if isinstance(row, dict) else []:
                out.append(Balance(parse.s(det, "ccy"), parse.od(det, "availBal") or Decimal(0),
                                   parse.od(det, "frozenBal") or Decimal(0)))
        return out

    def _windowed(self, path: str, account: str, window: Window, params: dict[str, str],
                  cursor: str, when: Callable[[Any], dt.datetime],
                  build: Callable[[Any], Any]) -> list[Any]:
        """Page a begin/end endpoint; rows come back newest first."""
        rows = self.http.pages(path, {**params, "begin": ms(window.start),
                                      "end": ms(window.end)},
                               lambda row: parse.s(row, cursor), self.keys(account))
        return _sorted((r for r in map(build, rows) if when(r) in window), when)

    def orders(self, account: str, window: Window, inst_id: str | None = None) -> list[Order]:
        """`/trade/orders-history-archive` (3 months; cancelled unfilled orders only 2 h)."""
        out: list[Order] = []
        for kind in [inst_type_of(inst_id)] if inst_id else INST_TYPES:
            out += self._windowed("/api/v5/trade/orders-history-archive", account, window,
                                  {"instType": kind, "instId": inst_id or ""}, "ordId",
                                  lambda o: o.c_time, parse.order)
        return _sorted(out, lambda o: o.c_time)

    def fills(self, account: str, window: Window, inst_id: str | None = None) -> list[Fill]:
        """`/trade/fills-history` (3 months)."""
        out: list[Fill] = []
        for kind in [inst_type_of(inst_id)] if inst_id else INST_TYPES:
            out += self._windowed("/api/v5/trade/fills-history", account, window,
                                  {"instType": kind, "instId": inst_id or ""}, "billId",
                                  lambda f: f.ts, parse.fill)
        return _sorted(out, lambda f: f.ts)

    def bills(self, account: str, window: Window, ccy: str | None = None) -> list[Bill]:
        """`/account/bills-archive` (3 months)."""
        return self._windowed("/api/v5/account/bills-archive", account, window,
                              {"ccy": ccy or ""}, "billId", lambda b: b.ts, parse.bill)

    def _by_ts(self, path: str, account: str | None, window: Window, params: dict[str, str],
               build: Callable[[Any], Any], when: Callable[[Any], dt.datetime],
               ts_key: str = "ts") -> list[Any]:
        """Page an endpoint whose `after`/`before` cursors are millisecond times."""
        rows = self.http.pages(
            path, {**params, "after": ms(window.end)}, lambda row: parse.s(row, ts_key),
            self.keys(account) if account else None,
            stop=lambda row: parse.t(row, ts_key) < window.start)
        return _sorted((r for r in map(build, rows) if when(r) in window), when)

    def deposits(self, account: str, window: Window, ccy: str | None = None) -> list[Deposit]:
        """`/asset/deposit-history`."""
        return self._by_ts("/api/v5/asset/deposit-history", account, window, {"ccy": ccy or ""},
                           parse.deposit, lambda d: d.ts)

    def withdrawals(self, account: str, window: Window, ccy: str | None = None
                    ) -> list[Withdrawal]:
        """`/asset/withdrawal-history`."""
        return self._by_ts("/api/v5/asset/withdrawal-history", account, window,
                           {"ccy": ccy or ""}, parse.withdrawal, lambda w: w.ts)

    def deposit_addresses(self, account: str, ccy: str) -> list[DepositAddress]:
        """`/asset/deposit-address`."""
        rows = self.http.get("/api/v5/asset/deposit-address", {"ccy": ccy}, self.keys(account))
        return [parse.address(row) for row in rows]

    def currencies(self, ccy: str) -> list[CurrencyInfo]:
        """`/asset/currencies` (signed with the operator's key)."""
        rows = self.http.get("/api/v5/asset/currencies", {"ccy": ccy}, self._operator())
        return [parse.currency(row) for row in rows]

    def positions(self, account: str, inst_id: str | None = None) -> list[Position]:
        """`/account/positions`."""
        rows = self.http.get("/api/v5/account/positions", {"instId": inst_id or ""},
                             self.keys(account))
        return [parse.position(row) for row in rows]

    def position_history(self, account: str, window: Window, inst_id: str | None = None
                         ) -> list[PositionHistory]:
        """`/account/positions-history` (3 months), paged by `uTime`."""
        return self._by_ts("/api/v5/account/positions-history", account, window,
                           {"instId": inst_id or ""}, parse.position_history,
                           lambda p: p.u_time, ts_key="uTime")

    def liquidations(self, account: str, window: Window, inst_id: str | None = None
                     ) -> list[Liquidation]:
        """Liquidation and ADL closes from the position history (types 3-6)."""
        found = (parse.liquidation(h) for h in self.position_history(account, window, inst_id))
        return [x for x in found if x is not None]

    def security_events(self, account: str, window: Window) -> list[SecurityEvent]:
        """Not available: OKX publishes no login-log API."""
        raise Unsupported("OKX v5 has no API for login or security logs; read them from the "
                          "exchange's own auth log")

    # -- market ------------------------------------------------------------------------------

    def _candles(self, path: str, inst_id: str, window: Window) -> list[Candle]:
        rows = self.http.pages(path, {"instId": inst_id, "bar": "1m", "after": ms(window.end)},
                               lambda row: str(row[0]) if isinstance(row, list) else "",
                               stop=lambda row: parse.candle(row).ts < window.start)
        return _sorted((c for c in map(parse.candle, rows) if c.ts in window), lambda c: c.ts)

    def mark_candles(self, inst_id: str, window: Window) -> list[Candle]:
        """`/market/history-mark-price-candles`, 1-minute bars."""
        return self._candles("/api/v5/market/history-mark-price-candles", inst_id, window)

    def index_candles(self, inst_id: str, window: Window) -> list[Candle]:
        """`/market/history-index-candles` of the instrument's index, 1-minute bars."""
        return self._candles("/api/v5/market/history-index-candles", index_of(inst_id), window)

    def books(self, inst_id: str, window: Window) -> list[BookSnapshot]:
        """`/market/books` serves only the current book; past windows need bulk history."""
        now = self.http.clock()
        if now not in window:
            raise Unsupported("OKX REST serves only the current book; import the "
                              "market-data-history order-book files for a past window")
        rows = self.http.get("/api/v5/market/books", {"instId": inst_id, "sz": "400"})
        return [parse.book(inst_id, row) for row in rows]

    def trades(self, inst_id: str, window: Window) -> list[Trade]:
        """`/market/history-trades`, paged by time (type=2)."""
        return self._by_ts("/api/v5/market/history-trades", None, window,
                           {"instId": inst_id, "type": "2"}, parse.trade, lambda t: t.ts)

    def system_status(self, window: Window) -> list[StatusWindow]:
        """`/system/status`: windows overlapping `window`."""
        rows = [parse.status(row) for row in self.http.get("/api/v5/system/status")]
        return _sorted((w for w in rows if w.begin < window.end
                        and (w.end is None or w.end > window.start)), lambda w: w.begin)

    # -- actions -----------------------------------------------------------------------------

    def _operator(self) -> OkxCredentials:
        if self.operator is None:
            raise Unsupported("no operator (master account) API key configured")
        return self.operator

    def freeze_account(self, account: str, reason: str) -> FreezeReceipt:
        """Not available through the public API."""
        raise Unsupported("OKX v5 has no API to freeze an account; use the back office")

    def unfreeze_account(self, account: str, reason: str) -> FreezeReceipt:
        """Not available through the public API."""
        raise Unsupported("OKX v5 has no API to unfreeze an account; use the back office")

    def credit(self, account: str, asset: str, amount: Decimal, client_id: str) -> TransferState:
        """Transfer from the operator's funding account to `account`'s, once per client id."""
        return self._transfer("credit", account, asset, amount, client_id)

    def refund(self, account: str, asset: str, amount: Decimal, client_id: str) -> TransferState:
        """Same transfer as `credit`, recorded as a refund."""
        return self._transfer("refund", account, asset, amount, client_id)

    def _transfer(self, kind: str, account: str, asset: str, amount: Decimal,
                  client_id: str) -> TransferState:
        first = self.transfer_state(client_id, kind)
        if first is not None:
            if (first.account, first.ccy, first.amt) != (account, asset, amount):
                raise ClientIdConflict(f"client id {client_id} was used for {first.amt} "
                                       f"{first.ccy} to {first.account}")
            return first
        body = {"ccy": asset, "amt": str(amount), "from": FUNDING, "to": FUNDING, "type": "1",
                "subAcct": account, "clientId": client_id}
        try:
            rows = self.http.post("/api/v5/asset/transfer", body, self._operator())
        except ExchangeTimeout:
            after = self.transfer_state(client_id, kind)
            if after is None:
                raise
            return after
        if not rows:
            raise MalformedResponse("/api/v5/asset/transfer answered code 0 with no data")
        return TransferState(client_id, TransferStatus.PENDING, account, asset, amount, kind,
                             parse.s(rows[0], "transId"), self.http.clock())

    def transfer_state(self, client_id: str, kind: str = "credit") -> TransferState | None:
        """`/asset/transfer-state?clientId=` (kept 2 weeks), or None if OKX has no such id."""
        rows = self.http.get("/api/v5/asset/transfer-state", {"clientId": client_id},
                             self._operator())
        if not rows:
            return None
        row = rows[0]
        state = parse.s(row, "state")
        try:
            status = TransferStatus(state)
        except ValueError:
            raise MalformedResponse(f"transfer state {state!r} is not success/pending/failed") \
                from None
        return TransferState(client_id, status, parse.os_(row, "subAcct") or "",
                             parse.s(row, "ccy"), parse.d(row, "amt"), kind,
                             parse.s(row, "transId"), self.http.clock())
