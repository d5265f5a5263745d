"""What a case needs from the exchange, pulled through the gateway (no database here).

`pull(gateway, facts)` returns one `Piece` per record kind: the request made, the records in
their canonical JSON form, or the error that stopped them. A retryable exchange error (rate
limit, 5xx, timeout) is raised, so that the capture job is retried; anything else is kept as a
piece with its error, for the analyses to answer "cannot determine, because ...".
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ombud.exchange import codec
from ombud.exchange.dto import Fill, Liquidation, Order, PositionHistory, Window, Withdrawal
from ombud.exchange.errors import ExchangeError
from ombud.exchange.gateway import ExchangeReader
from ombud.exchange.sim import SimExchange

LOOKBACK = dt.timedelta(days=30)
MARKET_MARGIN = dt.timedelta(minutes=1)
STABLE = frozenset({"USDT", "USDC", "USD", "DAI", "FDUSD"})
TX_ID = re.compile(r"\b(0x[0-9a-fA-F]{64}|[0-9a-fA-F]{64})\b")
NETWORKS = ("ERC20", "TRC20", "BEP20", "BSC", "Bitcoin", "Ripple", "Solana", "Polygon",
            "Arbitrum", "Optimism", "Avalanche", "TON")


@dataclass(frozen=True)
class CaseFacts:
    """What capture needs to know about a case."""

    account: str  # the customer's exchange UID
    category: str
    asset: str | None
    received_at: dt.datetime
    text: str  # summary, description and the customer's messages


@dataclass(frozen=True)
class Piece:
    """One kind of record as pulled: its request, its records (JSON form) or its error."""

    kind: str
    request: dict[str, Any]
    data: Any = None
    error: str | None = None
    media_type: str = "application/json"


def canonical(value: Any) -> bytes:
    """The canonical body of a piece: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode()


def source_of(gateway: ExchangeReader) -> str:
    """A short name of the exchange the evidence comes from."""
    return "sim" if isinstance(gateway, SimExchange) else "okx"


@dataclass
class _Puller:
    gateway: ExchangeReader
    pieces: list[Piece] = field(default_factory=list)

    def take(self, kind: str, request: dict[str, Any], call: Callable[[], Any]) -> Any:
        """Run one read; keep its records (or its error) as a piece; return the records."""
        shown = {k: v.isoformat() if isinstance(v, dt.datetime) else v
                 for k, v in request.items()}
        try:
            records = call()
        except ExchangeError as exc:
            if exc.retryable:
                raise
            self.pieces.append(Piece(kind, shown, error=f"{type(exc).__name__}: {exc}"))
            return None
        self.pieces.append(Piece(kind, shown, codec.dump(records)))
        return records


def pull(gateway: ExchangeReader, facts: CaseFacts) -> list[Piece]:
    """Pull what a case of `facts.category` needs, from 30 days before its receipt."""
    p = _Puller(gateway)
    gw, acct = gateway, facts.account
    win = Window(facts.received_at - LOOKBACK, facts.received_at)
    base = {"account": acct, "start": win.start, "end": win.end}
    if facts.category in ("trade_dispute", "fees", "other", "api"):
        orders = p.take("orders", base, lambda: gw.orders(acct, win)) or []
        fills = p.take("fills", base, lambda: gw.fills(acct, win)) or []
        p.take("bills", base, lambda: gw.bills(acct, win))
        p.take("system_status", base, lambda: gw.system_status(win))
        order = disputed_order(orders, facts.text)
        if order is not None:
            _market_around(p, order, [f for f in fills if f.ord_id == order.ord_id])
    elif facts.category == "liquidation":
        liqs = p.take("liquidations", base, lambda: gw.liquidations(acct, win)) or []
        hist = p.take("position_history", base, lambda: gw.position_history(acct, win)) or []
        p.take("fills", base, lambda: gw.fills(acct, win))
        p.take("bills", base, lambda: gw.bills(acct, win))
        _candles_for(p, liqs, hist, facts.received_at)
    elif facts.category == "deposit_withdrawal":
        ccy = facts.asset
        p.take("deposits", {**base, "ccy": ccy}, lambda: gw.deposits(acct, win, ccy))
        p.take("withdrawals", {**base, "ccy": ccy}, lambda: gw.withdrawals(acct, win, ccy))
        if ccy:
            p.take("deposit_addresses", {"account": acct, "ccy": ccy},
                   lambda: gw.deposit_addresses(acct, ccy))
            p.take("currencies", {"ccy": ccy}, lambda: gw.currencies(ccy))
        _chain_lookup(p, gw, facts.text)
    elif facts.category == "account_security":
        p.take("security_events", base, lambda: gw.security_events(acct, win))
        wds = p.take("withdrawals", base, lambda: gw.withdrawals(acct, win)) or []
        p.take("bills", base, lambda: gw.bills(acct, win))
        _prices_for(p, wds)
    else:
        p.take("orders", base, lambda: gw.orders(acct, win))
        p.take("deposits", base, lambda: gw.deposits(acct, win))
        p.take("withdrawals", base, lambda: gw.withdrawals(acct, win))
    return p.pieces


def disputed_order(orders: list[Order], text: str) -> Order | None:
    """The order the complaint names by id, else its most recent filled ordinary order."""
    named = [o for o in orders if o.ord_id and o.ord_id in text]
    if named:
        return named[-1]
    normal = [o for o in orders if o.category == "normal" and o.acc_fill_sz > 0]
    return normal[-1] if normal else None


def _market_around(p: _Puller, order: Order, fills: list[Fill]) -> None:
    last = max([order.c_time, *(f.ts for f in fills)])
    win = Window(order.c_time - MARKET_MARGIN, last + MARKET_MARGIN)
    req = {"inst_id": order.inst_id, "start": win.start, "end": win.end, "ord_id": order.ord_id}
    p.take("books", req, lambda: p.gateway.books(order.inst_id, win))
    p.take("trades", req, lambda: p.gateway.trades(order.inst_id, win))


def _candles_for(p: _Puller, liqs: list[Liquidation], hist: list[PositionHistory],
                 until: dt.datetime) -> None:
    inst = liqs[-1].inst_id if liqs else (hist[-1].inst_id if hist else None)
    if inst is None:
        return
    opened = min((h.c_time for h in hist if h.inst_id == inst), default=until - LOOKBACK)
    win = Window(opened.replace(second=0, microsecond=0) - MARKET_MARGIN, until)
    req = {"inst_id": inst, "start": win.start, "end": win.end}
    p.take("mark_candles", req, lambda: p.gateway.mark_candles(inst, win))
    p.take("index_candles", req, lambda: p.gateway.index_candles(inst, win))


def _prices_for(p: _Puller, withdrawals: list[Withdrawal]) -> None:
    """Index candles of each withdrawn asset around its withdrawal (for the loss in USD)."""
    for ccy in sorted({w.ccy for w in withdrawals} - STABLE):
        at = min(w.ts for w in withdrawals if w.ccy == ccy).replace(second=0, microsecond=0)
        win = Window(at - MARKET_MARGIN, at + 2 * MARKET_MARGIN)
        inst = f"{ccy}-USDT"
        p.take(f"prices:{ccy}", {"inst_id": inst, "start": win.start, "end": win.end},
               functools.partial(p.gateway.index_candles, inst, win))


def claimed_transfer(text: str) -> tuple[str, str | None] | None:
    """(tx id, network named) the customer's text gives for a transfer, if any."""
    found = TX_ID.search(text)
    if found is None:
        return None
    named = next((n for n in NETWORKS if re.search(rf"\b{n}\b", text, re.IGNORECASE)), None)
    return found.group(1), named


def _chain_lookup(p: _Puller, gateway: ExchangeReader, text: str) -> None:
    """What the chain shows of the transaction the customer names (the simulator's chain view;
    a live exchange needs chain clients, so the piece records that none is configured)."""
    claim = claimed_transfer(text)
    if claim is None:
        return
    tx_id, network = claim
    request = {"tx_id": tx_id, "network_named": network}
    if not isinstance(gateway, SimExchange):
        p.pieces.append(Piece("chain_tx", request, error="no chain client is configured for "
                                                         "this deployment"))
        return
    seen = gateway.chain_transfer(tx_id)
    p.pieces.append(Piece("chain_tx", request, codec.dump(seen) if seen else {"not_found": tx_id}))
