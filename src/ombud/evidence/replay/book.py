"""Book reconstruction: dense price-indexed arrays, vectorised apply, checkpoints.

Every distinct price of a capture gets an index into a sorted price grid, so a side of the
book is one int64 array of quantities indexed by grid position; applying a level update is an
O(1) store, and a block of updates is applied with one vectorised "last write wins" scatter.
Every `every` events the non-empty levels are kept as a checkpoint, so the book at any instant
is the nearest checkpoint before it plus at most `every` events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ombud.evidence.replay.model import I64, BookEvents, Kind, Side

I32 = npt.NDArray[np.int32]
DEFAULT_EVERY = 50_000


@dataclass(frozen=True)
class Book:
    """One book state: bids best-first (descending), asks best-first (ascending), in units."""

    bid_px: I64
    bid_qty: I64
    ask_px: I64
    ask_qty: I64

    @property
    def best_bid(self) -> int | None:
        """Best bid in ticks, or None if the side is empty."""
        return int(self.bid_px[0]) if self.bid_px.size else None

    @property
    def best_ask(self) -> int | None:
        """Best ask in ticks, or None if the side is empty."""
        return int(self.ask_px[0]) if self.ask_px.size else None

    @property
    def crossed(self) -> bool:
        """True when the best bid is at or above the best ask."""
        bid, ask = self.best_bid, self.best_ask
        return bid is not None and ask is not None and bid >= ask

    def levels(self, side: Side) -> tuple[I64, I64]:
        """(prices, quantities) of one book side, best first."""
        return (self.bid_px, self.bid_qty) if side == Side.BUY else (self.ask_px, self.ask_qty)


@dataclass
class ReplayIndex:
    """Price grid, per-event grid positions, monotone event times and checkpoints."""

    grid: I64  # sorted distinct prices (ticks)
    pos: I32  # grid position of each event's price
    side: npt.NDArray[np.int8]
    qty: I64
    clear: npt.NDArray[np.bool_]  # event is a CLEAR row
    ts: I64  # running max of the events' exchange times (searchable)
    every: int
    ckpt_offsets: I64  # checkpoint c covers levels[ckpt_offsets[c]:ckpt_offsets[c + 1]]
    ckpt_pos: I32  # grid positions of the non-empty levels, bids then asks per checkpoint
    ckpt_qty: I64  # signed: > 0 bid quantity, < 0 ask quantity

    @classmethod
    def build(cls, events: BookEvents, every: int = DEFAULT_EVERY) -> ReplayIndex:
        """Replay all events once, keeping a checkpoint after every `every` events."""
        grid = np.unique(events.price)
        pos = np.searchsorted(grid, events.price).astype(np.int32)
        index = cls(
            grid=grid, pos=pos, side=events.side, qty=events.qty,
            clear=events.kind == Kind.CLEAR, ts=np.maximum.accumulate(events.ts_exch),
            every=every, ckpt_offsets=np.zeros(1, dtype=np.int64),
            ckpt_pos=np.zeros(0, dtype=np.int32), ckpt_qty=np.zeros(0, dtype=np.int64),
        )
        bids, asks = index.empty_sides()
        offsets = [0]
        chunks_pos: list[I32] = []
        chunks_qty: list[I64] = []
        for start in range(0, len(events), every):
            index.apply(bids, asks, start, min(start + every, len(events)))
            if start + every > len(events):
                break
            level_pos, level_qty = _nonzero(bids, asks)
            chunks_pos.append(level_pos)
            chunks_qty.append(level_qty)
            offsets.append(offsets[-1] + level_pos.size)
        index.ckpt_offsets = np.asarray(offsets, dtype=np.int64)
        if chunks_pos:
            index.ckpt_pos = np.concatenate(chunks_pos)
            index.ckpt_qty = np.concatenate(chunks_qty)
        return index

    def __len__(self) -> int:
        return int(self.pos.shape[0])

    def empty_sides(self) -> tuple[I64, I64]:
        """Fresh zeroed (bids, asks) quantity arrays over the price grid."""
        return np.zeros(self.grid.size, dtype=np.int64), np.zeros(self.grid.size, dtype=np.int64)

    def apply(self, bids: I64, asks: I64, start: int, stop: int) -> None:
        """Apply events [start, stop) in order to the dense sides, in place."""
        clears = np.flatnonzero(self.clear[start:stop]) + start
        for lo, hi in zip([start, *clears], [*clears, stop], strict=True):
            if lo < hi and self.clear[lo]:
                bids[:] = 0
                asks[:] = 0
                lo += 1
            if lo < hi:
                self._scatter(bids, asks, lo, hi)

    def _scatter(self, bids: I64, asks: I64, lo: int, hi: int) -> None:
        """Apply a block without CLEAR rows: for each (side, price) the last row wins."""
        key = self.pos[lo:hi].astype(np.int64) * 2 + self.side[lo:hi]
        order = np.argsort(key, kind="stable")
        ordered = key[order]
        last = np.ones(ordered.size, dtype=bool)
        last[:-1] = ordered[1:] != ordered[:-1]
        rows = order[last] + lo
        is_bid = self.side[rows] == Side.BUY
        bids[self.pos[rows[is_bid]]] = self.qty[rows[is_bid]]
        asks[self.pos[rows[~is_bid]]] = self.qty[rows[~is_bid]]

    def count_at(self, ts: int, strict: bool = False) -> int:
        """Number of events at or before `ts` (before `ts` if strict)."""
        return int(np.searchsorted(self.ts, ts, side="left" if strict else "right"))

    def sides_after(self, count: int) -> tuple[I64, I64]:
        """Dense (bids, asks) after the first `count` events, from the nearest checkpoint."""
        bids, asks = self.empty_sides()
        ckpt = min(count // self.every, self.ckpt_offsets.size - 1)
        if ckpt:
            lo, hi = self.ckpt_offsets[ckpt - 1], self.ckpt_offsets[ckpt]
            level_pos, level_qty = self.ckpt_pos[lo:hi], self.ckpt_qty[lo:hi]
            bids[level_pos[level_qty > 0]] = level_qty[level_qty > 0]
            asks[level_pos[level_qty < 0]] = -level_qty[level_qty < 0]
        self.apply(bids, asks, ckpt * self.every, count)
        return bids, asks

    def book_after(self, count: int) -> Book:
        """The book after the first `count` events."""
        return self.to_book(*self.sides_after(count))

    def book_at(self, ts: int, strict: bool = False) -> Book:
        """The book at exchange time `ts` (events at `ts` included unless strict)."""
        return self.book_after(self.count_at(ts, strict))

    def to_book(self, bids: I64, asks: I64) -> Book:
        """Sparse best-first view of dense sides."""
        bid_at = np.flatnonzero(bids)[::-1]
        ask_at = np.flatnonzero(asks)
        return Book(self.grid[bid_at], bids[bid_at], self.grid[ask_at], asks[ask_at])


def _nonzero(bids: I64, asks: I64) -> tuple[I32, I64]:
    bid_at = np.flatnonzero(bids)
    ask_at = np.flatnonzero(asks)
    return (
        np.concatenate([bid_at, ask_at]).astype(np.int32),
        np.concatenate([bids[bid_at], -asks[ask_at]]),
    )

