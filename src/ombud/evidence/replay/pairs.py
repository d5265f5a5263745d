"""Book-event columns straight from JSON `[["px","qty"],...]` text, without per-level objects.

`PairSpanBuilder` is the fast twin of `decode.EventBuilder`: a message's bids and asks are
given as byte ranges of the capture buffer (the text between the outer brackets of a
`[["px","qty"],["px","qty"]]` array); nothing is split in Python. `build` joins the ranges
in apply order, finds every level's strings with one vectorised search for quotes, and decodes
all decimal strings at once: each is gathered aligned on its decimal point (so every column is
a fixed power of ten) and its digits summed in int64 -- exact, no float. The rows equal those
`EventBuilder` + `decimals_to_units` give for the same levels.

Only the strict Binance layout (`"px","qty"` pairs separated by `],[`, plain decimals of at
most 18 digits that fit the unit) is accepted; anything else raises `Irregular`, and the caller
falls back to the plain decoder, which gives the exact result or the exact error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from ombud.evidence.replay.model import I64, BookEvents, Kind

QUOTE, COMMA, DOT, ZERO = ord('"'), ord(","), ord("."), ord("0")
PAIR_SEP = np.frombuffer(b"],[", dtype=np.uint8)
MAX_DIGITS = 18  # int64 holds any 18-digit integer
U8 = npt.NDArray[np.uint8]


class Irregular(Exception):
    """The input is not in the strict layout the fast path handles."""


class PairSpanBuilder:
    """Accumulates book-event columns with levels as byte ranges of a buffer."""

    def __init__(self, data: bytes) -> None:
        self._view = memoryview(data)
        self.ts_exch: list[int] = []
        self.ts_local: list[int] = []
        self.kind: list[int] = []
        self.seq: list[int] = []
        self._parts: list[bytes | memoryview] = []  # bid text, ask text of every message
        self._lengths: list[int] = []
        self._parsed: tuple[_Fixed, _Fixed, I64, npt.NDArray[np.int8]] | None = None

    def clear(self, ts_exch: int, ts_local: int, seq: int) -> None:
        """Emit the CLEAR row that starts a snapshot."""
        self.levels(ts_exch, ts_local, Kind.CLEAR, seq, [b"0", b"0"], [])

    def levels(
        self, ts_exch: int, ts_local: int, kind: Kind, seq: int,
        bids: Sequence[bytes], asks: Sequence[bytes],
    ) -> None:
        """Emit rows for flat [px, qty, px, qty, ...] lists of bids and asks."""
        self._message(ts_exch, ts_local, kind, seq, _pair_text(bids), _pair_text(asks))

    def ranges(
        self, ts_exch: int, ts_local: int, kind: Kind, seq: int,
        bids: tuple[int, int], asks: tuple[int, int],
    ) -> None:
        """Emit rows for levels held in the buffer: `"px","qty"],["px","qty"` at [lo, hi)."""
        self._message(ts_exch, ts_local, kind, seq, self._view[bids[0] : bids[1]],
                      self._view[asks[0] : asks[1]])

    def _message(
        self, ts_exch: int, ts_local: int, kind: Kind, seq: int,
        bids: bytes | memoryview, asks: bytes | memoryview,
    ) -> None:
        if not bids and not asks:
            return
        self.ts_exch.append(ts_exch)
        self.ts_local.append(ts_local)
        self.kind.append(int(kind))
        self.seq.append(seq)
        self._parts += (bids, asks)
        self._lengths += (len(bids), len(asks))
        self._parsed = None

    def _parse(self) -> tuple[_Fixed, _Fixed, I64, npt.NDArray[np.int8]]:
        """Locate and decode every level; check the layout byte for byte."""
        if self._parsed is not None:
            return self._parsed
        text = np.frombuffer(b"".join(self._parts), dtype=np.uint8)
        lengths = np.asarray(self._lengths, dtype=np.int64)
        ends = np.cumsum(lengths)
        starts = ends - lengths
        quotes = np.flatnonzero(text == QUOTE)
        n_quotes = np.diff(np.searchsorted(quotes, ends), prepend=0)
        if np.any(n_quotes % 4) or np.any((n_quotes > 0) != (lengths > 0)):
            raise Irregular("levels are not quoted pairs")
        n_levels = n_quotes // 4
        q = quotes.reshape(-1, 4)  # open px, close px, open qty, close qty
        # the text of each range is exactly "px","qty"],["px","qty" ... "px","qty"
        full = n_levels > 0
        last = np.cumsum(n_levels)[full] - 1
        first = last - n_levels[full] + 1
        inner = np.ones(q.shape[0], dtype=bool)
        inner[first] = False  # levels that follow another level of the same range
        follow = q[:-1, 3][inner[1:]]
        if not (
            np.array_equal(q[first, 0], starts[full])
            and np.array_equal(q[last, 3], ends[full] - 1)
            and np.all(q[:, 2] - q[:, 1] == 2)
            and np.all(text[q[:, 1] + 1] == COMMA)
            and np.array_equal(q[1:, 0][inner[1:]] - follow, np.full(follow.size, 4))
            and np.all(text[follow[:, None] + np.arange(1, 4)] == PAIR_SEP)
        ):
            raise Irregular("levels are not quoted pairs")
        dots = np.flatnonzero(text == DOT)
        sides = np.tile(np.asarray([0, 1], dtype=np.int8), lengths.size // 2)
        self._parsed = (
            _Fixed.parse(text, dots, q[:, 0] + 1, q[:, 1]),
            _Fixed.parse(text, dots, q[:, 2] + 1, q[:, 3]),
            n_levels.reshape(-1, 2).sum(axis=1),
            np.repeat(sides, n_levels),
        )
        return self._parsed

    def finest_units(self) -> tuple[Decimal, Decimal]:
        """`decode.finest_unit` of all price strings and of all quantity strings."""
        prices, qtys, _, _ = self._parse()
        return prices.finest(), qtys.finest()

    def build(self, tick: Decimal, lot: Decimal) -> BookEvents:
        """Expand per-message columns to per-level rows and decode prices/quantities."""
        prices, qtys, counts, sides = self._parse()

        def per_row(values: list[int], dtype: type) -> npt.NDArray[np.generic]:
            return np.repeat(np.asarray(values, dtype=dtype), counts)

        return BookEvents(
            ts_exch=per_row(self.ts_exch, np.int64).astype(np.int64),
            ts_local=per_row(self.ts_local, np.int64).astype(np.int64),
            kind=per_row(self.kind, np.int8).astype(np.int8),
            side=sides,
            price=prices.units(tick),
            qty=qtys.units(lot),
            seq=per_row(self.seq, np.int64).astype(np.int64),
        )


@dataclass(frozen=True)
class _Fixed:
    """Plain decimal strings as exact fixed-point integers: value = decimal * 10**frac."""

    value: I64
    whole: int  # most digits before the point
    frac: int  # most digits after the point
    places: int  # most significant digits after the point (trailing zeros dropped)

    @classmethod
    def parse(cls, text: U8, dots: I64, start: I64, stop: I64) -> _Fixed:
        """Decode text[start:stop] for every pair (`dots`: every "." position in `text`)."""
        if start.size == 0:
            return cls(np.zeros(0, dtype=np.int64), 0, 0, 0)
        dots = np.append(dots, [text.size, text.size])  # sentinels: past every string
        at = np.searchsorted(dots, start)
        if np.any(dots[at + 1] < stop):
            raise Irregular("two decimal points")
        point = np.minimum(dots[at], stop)  # the "." or, without one, the end
        whole_len = point - start
        frac_len = np.maximum(stop - point - 1, 0)
        if np.any(whole_len + frac_len == 0):
            raise Irregular("no digits")
        whole, frac = int(whole_len.max()), int(frac_len.max())
        if whole + frac > MAX_DIGITS:
            raise Irregular("too many digits for int64")
        # rows aligned on the point: digits at columns [0, whole) and (whole, whole + frac]
        width = whole + 1 + frac
        padded = np.concatenate([np.zeros(whole, np.uint8), text, np.zeros(frac + 1, np.uint8)])
        rows = sliding_window_view(padded, width)[point]
        cols = np.arange(width)
        lens = np.arange((whole + 1) * (frac + 1))
        used = ((cols < whole) & (cols >= whole - lens[:, None] // (frac + 1))) | (
            (cols > whole) & (cols <= whole + lens[:, None] % (frac + 1)))
        digits = np.where(used[whole_len * (frac + 1) + frac_len], rows - np.uint8(ZERO),
                          np.uint8(0))
        if np.any(digits > 9):
            raise Irregular("not a plain decimal")
        value = np.zeros(start.size, dtype=np.int64)
        for col in (*range(whole), *range(whole + 1, width)):
            value += digits[:, col] * np.int64(10 ** (whole + frac - col - (col < whole)))
        places = frac
        while places and not np.any(value % 10 ** (frac - places + 1)):
            places -= 1  # the last significant column is all zeros
        return cls(value, whole, frac, places)

    def finest(self) -> Decimal:
        """The largest power of ten (at most 1) that divides every value exactly."""
        return Decimal(1).scaleb(-self.places)

    def units(self, unit: Decimal) -> I64:
        """Exact multiples of `unit`; `Irregular` where `decimals_to_units` would raise."""
        scale = max(0, -int(unit.normalize().as_tuple().exponent))
        if self.frac >= scale:
            scaled, rest = np.divmod(self.value, 10 ** (self.frac - scale))
            if np.any(rest):
                raise Irregular(f"value finer than {unit}")
        elif self.whole + scale > MAX_DIGITS:
            raise Irregular("decimal value too large for int64 scaling")
        else:
            scaled = self.value * 10 ** (scale - self.frac)
        step = int(unit.scaleb(scale))
        if step == 1:
            return scaled
        units, rest = np.divmod(scaled, step)
        if np.any(rest):
            raise Irregular(f"value is not a multiple of {unit}")
        return units


def _pair_text(flat: Sequence[bytes]) -> bytes:
    """[px, qty, px, qty, ...] as the text of a JSON pair array, without the outer brackets."""
    if not flat:
        return b""
    if len(flat) % 2 or any(b'"' in value for value in flat):
        raise Irregular("levels are not quoted pairs")
    pairs = [b'"' + px + b'","' + qty + b'"' for px, qty in zip(flat[0::2], flat[1::2],
                                                              strict=True)]
    return b"],[".join(pairs)
