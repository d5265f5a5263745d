"""Evidence chart of a disputed order: book depth, public trades and the order's fills.

Uses the Agg canvas directly (no pyplot global state), so it is safe in workers.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ombud.evidence.replay.book import ReplayIndex
from ombud.evidence.replay.model import Capture, Side, fmt_ts
from ombud.evidence.replay.replay import DisputedOrder

SAMPLES = 120  # book states drawn across the window
DEPTH_LEVELS = 20  # levels per side shaded


def order_chart(
    capture: Capture, index: ReplayIndex, order: DisputedOrder,
    before_ns: int = 5_000_000_000, after_ns: int = 5_000_000_000,
) -> bytes:
    """PNG of the book around the order: best bid/ask, depth shading, trades, fills."""
    inst = capture.instrument
    last_fill = max((fill.ts for fill in order.fills), default=order.accept_ts)
    t0, t1 = order.accept_ts - before_ns, last_fill + after_ns
    times = np.linspace(t0, t1, SAMPLES).astype(np.int64)
    fig = Figure(figsize=(10, 5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    tick, lot = float(inst.tick_size), float(inst.lot_size)
    best_bid: list[float] = []
    best_ask: list[float] = []
    for ts in times:
        book = index.book_at(int(ts))
        x = (ts - order.accept_ts) / 1e9
        for side, colour in ((Side.BUY, "tab:green"), (Side.SELL, "tab:red")):
            prices, qtys = book.levels(side)
            prices, qtys = prices[:DEPTH_LEVELS], qtys[:DEPTH_LEVELS]
            if prices.size:
                ax.scatter(np.full(prices.size, x), prices * tick, s=np.sqrt(qtys * lot) * 4,
                           c=colour, alpha=0.15, linewidths=0)
        best_bid.append(book.best_bid * tick if book.best_bid is not None else np.nan)
        best_ask.append(book.best_ask * tick if book.best_ask is not None else np.nan)
    rel = (times - order.accept_ts) / 1e9
    ax.step(rel, best_bid, where="post", color="tab:green", label="best bid")
    ax.step(rel, best_ask, where="post", color="tab:red", label="best ask")
    trades = capture.trades
    lo, hi = np.searchsorted(trades.ts_exch, [t0, t1])
    if hi > lo:
        ax.scatter((trades.ts_exch[lo:hi] - order.accept_ts) / 1e9, trades.price[lo:hi] * tick,
                   s=6, c="grey", marker=".", label="public trades")
    if order.fills:
        ax.scatter([(f.ts - order.accept_ts) / 1e9 for f in order.fills],
                   [float(f.price) for f in order.fills], s=60, c="tab:blue", marker="X",
                   label="order fills", zorder=5)
    ax.axvline(0, color="black", linestyle="--", linewidth=1, label="accepted")
    ax.set_xlabel(f"seconds from acceptance at {fmt_ts(order.accept_ts)}")
    ax.set_ylabel(f"{inst.symbol} price")
    ax.set_title(f"{order.side.name.lower()} {order.order_type.value} {order.size} {inst.symbol}")
    ax.legend(loc="upper left", fontsize="small")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
