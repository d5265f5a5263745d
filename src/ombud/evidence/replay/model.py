"""Columnar market-data model: instrument scaling, book events, trades, data findings.

Prices and quantities are scaled integers (ticks of `Instrument.tick_size`, lots of
`Instrument.lot_size`) held in int64 numpy arrays; timestamps are int64 nanoseconds since the
Unix epoch. `Decimal` appears only where values cross the module boundary.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]

NEVER = np.iinfo(np.int64).max


class Kind(IntEnum):
    """What a book-event row does."""

    CLEAR = 0  # start of a snapshot: empty both sides
    SNAPSHOT = 1  # absolute level quantity from a snapshot
    DIFF = 2  # absolute level quantity from an incremental update (0 = delete)


class Side(IntEnum):
    """Book side for level rows; aggressor (taker) side for trades and orders."""

    BUY = 0  # bid side / buyer-initiated
    SELL = 1  # ask side / seller-initiated


def fmt_ts(ts_ns: int) -> str:
    """Render nanoseconds since the epoch as an ISO UTC time with milliseconds."""
    when = dt.datetime.fromtimestamp(ts_ns // 1_000_000_000, tz=dt.UTC)
    return f"{when:%Y-%m-%d %H:%M:%S}.{(ts_ns // 1_000_000) % 1000:03d}Z"


@dataclass(frozen=True)
class Instrument:
    """An instrument and the exact units its prices and quantities are scaled by."""

    symbol: str
    tick_size: Decimal
    lot_size: Decimal

    def price(self, ticks: int) -> Decimal:
        """Price in quote currency for a number of ticks."""
        return self.tick_size * int(ticks)

    def qty(self, lots: int) -> Decimal:
        """Quantity in base units for a number of lots."""
        return self.lot_size * int(lots)

    def to_ticks(self, price: Decimal) -> int:
        """Exact tick count for a price; raises ValueError if not on the tick grid."""
        return _exact(price, self.tick_size, "price")

    def to_lots(self, qty: Decimal) -> int:
        """Exact lot count for a quantity; raises ValueError if not on the lot grid."""
        return _exact(qty, self.lot_size, "quantity")


def _exact(value: Decimal, unit: Decimal, what: str) -> int:
    units, rest = divmod(value, unit)
    if rest:
        raise ValueError(f"{what} {value} is not a multiple of {unit}")
    return int(units)


def _empty(dtype: type) -> npt.NDArray[Any]:
    return np.zeros(0, dtype=dtype)


@dataclass
class BookEvents:
    """Level rows in apply order (parallel arrays, one row per level change)."""

    ts_exch: I64 = field(default_factory=lambda: _empty(np.int64))
    ts_local: I64 = field(default_factory=lambda: _empty(np.int64))
    kind: I8 = field(default_factory=lambda: _empty(np.int8))
    side: I8 = field(default_factory=lambda: _empty(np.int8))
    price: I64 = field(default_factory=lambda: _empty(np.int64))
    qty: I64 = field(default_factory=lambda: _empty(np.int64))
    seq: I64 = field(default_factory=lambda: _empty(np.int64))

    COLUMNS = ("ts_exch", "ts_local", "kind", "side", "price", "qty", "seq")

    def __len__(self) -> int:
        return int(self.ts_exch.shape[0])


@dataclass
class Trades:
    """Public trades (side = aggressor side)."""

    ts_exch: I64 = field(default_factory=lambda: _empty(np.int64))
    ts_local: I64 = field(default_factory=lambda: _empty(np.int64))
    side: I8 = field(default_factory=lambda: _empty(np.int8))
    price: I64 = field(default_factory=lambda: _empty(np.int64))
    qty: I64 = field(default_factory=lambda: _empty(np.int64))
    trade_id: I64 = field(default_factory=lambda: _empty(np.int64))

    COLUMNS = ("ts_exch", "ts_local", "side", "price", "qty", "trade_id")

    def __len__(self) -> int:
        return int(self.ts_exch.shape[0])

    def sorted(self) -> Trades:
        """The same trades in exchange-time order (stable)."""
        order = np.argsort(self.ts_exch, kind="stable")
        return Trades(*(getattr(self, name)[order] for name in self.COLUMNS))


@dataclass(frozen=True)
class Finding:
    """A data-quality problem; the book is unreliable on [ts_from, ts_to] (exchange ns)."""

    ts_from: int
    ts_to: int

    def describe(self) -> str:
        """One sentence for a case file."""
        return f"data problem from {fmt_ts(self.ts_from)} to {fmt_ts(self.ts_to)}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form, tagged with the class name."""
        return {"type": type(self).__name__, **asdict(self)}


@dataclass(frozen=True)
class DataGap(Finding):
    """Missing updates: the book is out of sync from the gap until the next snapshot."""

    stream: str = ""
    after_id: int = 0  # last update id applied before the gap
    next_id: int = 0  # first update id (U, or prevSeqId) seen after it
    detail: str = ""

    def describe(self) -> str:
        """One sentence for a case file."""
        end = "end of capture" if self.ts_to == NEVER else fmt_ts(self.ts_to)
        return (
            f"sequence gap in {self.stream}: after update {self.after_id} the next message "
            f"starts at {self.next_id} ({self.detail}) at {fmt_ts(self.ts_from)}; "
            f"book out of sync until {end}"
        )


@dataclass(frozen=True)
class ChecksumMismatch(Finding):
    """The exchange's book checksum disagrees with the rebuilt book."""

    seq_id: int = 0
    expected: int = 0
    computed: int = 0

    def describe(self) -> str:
        """One sentence for a case file."""
        return (
            f"checksum mismatch at seqId {self.seq_id} ({fmt_ts(self.ts_from)}): exchange "
            f"{self.expected}, rebuilt book {self.computed}"
        )


@dataclass(frozen=True)
class OutOfOrder(Finding):
    """A timestamp went backwards within one stream."""

    stream: str = ""
    row: int = 0
    ts_prev: int = 0

    def describe(self) -> str:
        """One sentence for a case file."""
        return (
            f"out-of-order timestamps in {self.stream} at row {self.row}: "
            f"{fmt_ts(self.ts_from)} after {fmt_ts(self.ts_prev)}"
        )


@dataclass(frozen=True)
class CrossedBook(Finding):
    """Best bid at or above best ask."""

    best_bid: str = ""
    best_ask: str = ""
    seq_id: int = 0

    def describe(self) -> str:
        """One sentence for a case file."""
        return (
            f"crossed book at {fmt_ts(self.ts_from)} (update {self.seq_id}): best bid "
            f"{self.best_bid} >= best ask {self.best_ask}"
        )


FINDING_TYPES: dict[str, type[Finding]] = {
    cls.__name__: cls for cls in (DataGap, ChecksumMismatch, OutOfOrder, CrossedBook)
}


def finding_from_dict(data: dict[str, Any]) -> Finding:
    """Inverse of `Finding.to_dict`."""
    fields = dict(data)
    return FINDING_TYPES[fields.pop("type")](**fields)


@dataclass
class Capture:
    """One instrument's decoded market data plus what was wrong with it."""

    instrument: Instrument
    source: str
    events: BookEvents
    trades: Trades
    findings: list[Finding] = field(default_factory=list)

    @property
    def synced_from(self) -> int | None:
        """Exchange time of the first snapshot (the book is known from here), if any."""
        clears = np.flatnonzero(self.events.kind == Kind.CLEAR)
        return int(self.events.ts_exch[clears[0]]) if clears.size else None

    @property
    def last_ts(self) -> int | None:
        """Exchange time of the last book event, if any."""
        return int(self.events.ts_exch.max()) if len(self.events) else None
