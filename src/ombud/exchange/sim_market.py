"""Market-data generator of the simulated exchange (seeded, deterministic).

Each step (five seconds by default) moves every instrument's mid by a Gaussian random walk,
re-quotes the market maker's ladder around it, and updates the 1-minute index and mark candles
(mark = index + basis).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from ombud.exchange.dto import BookSnapshot, Candle, Side
from ombud.exchange.sim_book import OrderBook, Resting
from ombud.exchange.sim_ledger import next_id
from ombud.exchange.sim_state import MARKET_MAKER, SimInstrument, SimState

BOOK_DEPTH = 50  # levels kept in recorded snapshots


def to_tick(px: Decimal, tick: Decimal, up: bool) -> Decimal:
    """`px` rounded onto the tick grid (up or down)."""
    return (px / tick).to_integral_value(ROUND_CEILING if up else ROUND_FLOOR) * tick


def nearest_tick(px: Decimal, tick: Decimal) -> Decimal:
    """`px` rounded to the nearest tick (half to even)."""
    return (px / tick).to_integral_value() * tick


def walk_mid(state: SimState, inst: SimInstrument, rng: random.Random, seconds: float) -> Decimal:
    """Move the mid by one random step covering `seconds` and return it."""
    sigma = inst.vol_bps * math.sqrt(seconds)
    step = Decimal(repr(round(rng.gauss(0.0, sigma), 4))) / Decimal(10_000)
    mid = to_tick(state.mids[inst.inst_id] * (1 + step), inst.tick_sz, up=False)
    state.mids[inst.inst_id] = mid
    return mid


def requote(state: SimState, book: OrderBook, inst: SimInstrument, rng: random.Random) -> None:
    """Replace the market maker's ladder around the current mid."""
    book.cancel_account(MARKET_MAKER)
    mid = state.mids[inst.inst_id]
    factor = state.depth_factor.get(inst.inst_id, Decimal(1))
    gap = inst.tick_sz * state.gap_ticks.get(inst.inst_id, 1)
    best_bid = to_tick(mid - inst.tick_sz / 2, inst.tick_sz, up=False)
    best_ask = max(to_tick(mid + inst.tick_sz / 2, inst.tick_sz, up=True), best_bid + inst.tick_sz)
    for i in range(inst.levels):
        for side, px in ((Side.BUY, best_bid - gap * i), (Side.SELL, best_ask + gap * i)):
            raw = inst.level_sz * factor * Decimal(repr(round(rng.uniform(0.5, 1.5), 3)))
            sz = max(to_tick(raw, inst.lot_sz, up=False), inst.lot_sz)
            book.add(Resting(next_id(state), MARKET_MAKER, side, px, sz, state.seq))


def touch_candles(state: SimState, inst_id: str, index_px: Decimal, mark_px: Decimal,
                  at: dt.datetime) -> None:
    """Fold one index and one mark observation into the 1-minute candles of `at`."""
    minute = at.replace(second=0, microsecond=0)
    for series, px in ((state.index_candles, index_px), (state.mark_candles, mark_px)):
        candles = series.setdefault(inst_id, [])
        if candles and candles[-1].ts == minute:
            last = candles[-1]
            candles[-1] = replace(last, h=max(last.h, px), low=min(last.low, px), c=px)
        else:
            if candles:
                candles[-1] = replace(candles[-1], confirmed=True)
            candles.append(Candle(minute, px, px, px, px, confirmed=False))


def mark_price(state: SimState, inst_id: str) -> Decimal:
    """Current mark price: the mid plus the instrument's basis."""
    return state.mids[inst_id] + state.basis.get(inst_id, Decimal(0))


def snapshot(state: SimState, book: OrderBook, at: dt.datetime) -> BookSnapshot:
    """Record and return the book of `book`'s instrument as it stands."""
    snap = BookSnapshot(book.inst_id, at, book.depth(Side.BUY, BOOK_DEPTH),
                        book.depth(Side.SELL, BOOK_DEPTH))
    state.books.setdefault(book.inst_id, []).append(snap)
    return snap
