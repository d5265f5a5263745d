"""Exact, vectorised decoding of decimal strings into scaled int64, and column assembly."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from ombud.evidence.replay.model import I64, BookEvents, Finding, Kind, OutOfOrder

MAX_DIGITS = 18  # int64 holds any 18-digit integer
CHUNK = 1 << 20  # strings decoded per numpy pass (bounds temporary memory)


def decimals_to_units(values: Sequence[bytes] | npt.NDArray[np.bytes_], unit: Decimal) -> I64:
    """Decode ASCII decimal strings (b"2683.81000000") into exact multiples of `unit`.

    Raises ValueError when a value is not a whole number of units or is malformed.
    """
    arr = np.asarray(values, dtype=np.bytes_)
    out = np.zeros(arr.size, dtype=np.int64)
    for start in range(0, arr.size, CHUNK):
        out[start : start + CHUNK] = _decode_chunk(arr[start : start + CHUNK], unit)
    return out


def _decode_chunk(arr: npt.NDArray[np.bytes_], unit: Decimal) -> I64:
    width = arr.dtype.itemsize
    chars = np.ascontiguousarray(arr.view(np.uint8).reshape(arr.size, width).T)
    mantissa = np.zeros(arr.size, dtype=np.int64)
    frac_len = np.zeros(arr.size, dtype=np.int64)
    n_digits = np.zeros(arr.size, dtype=np.int64)
    n_dots = np.zeros(arr.size, dtype=np.int64)
    bad = np.zeros(arr.size, dtype=bool)
    for col in range(width):
        digit = chars[col] - np.uint8(ord("0"))
        is_digit = digit <= 9
        is_dot = chars[col] == ord(".")
        bad |= ~is_digit & ~is_dot & (chars[col] != 0)
        mantissa = np.where(is_digit, mantissa * 10 + digit, mantissa)
        frac_len += is_digit & (n_dots > 0)
        n_digits += is_digit
        n_dots += is_dot
    if np.any(bad | (n_dots > 1) | (n_digits == 0)):
        raise ValueError("malformed decimal string in input")
    if np.any(n_digits > MAX_DIGITS):
        raise ValueError("decimal value too long for int64 scaling")
    scale = max(0, -int(unit.normalize().as_tuple().exponent))
    shift = scale - frac_len
    scaled, rest = np.divmod(mantissa, 10 ** np.clip(-shift, 0, MAX_DIGITS))
    if np.any(rest):
        raise ValueError(f"value finer than {unit}")
    if np.any(shift + n_digits - frac_len > MAX_DIGITS):
        raise ValueError("decimal value too large for int64 scaling")
    scaled = scaled * 10 ** np.clip(shift, 0, MAX_DIGITS)
    units, rest = np.divmod(scaled, int(unit.scaleb(scale)))
    if np.any(rest):
        raise ValueError(f"value is not a multiple of {unit}")
    return units


def finest_unit(values: Sequence[bytes] | npt.NDArray[np.bytes_]) -> Decimal:
    """The largest power of ten (at most 1) that divides every value exactly."""
    arr = np.asarray(values, dtype=np.bytes_)
    if arr.size == 0:
        return Decimal(1)
    with_dot = arr[np.strings.find(arr, b".") >= 0]
    stripped = np.strings.rstrip(with_dot, b"0")
    places = np.strings.str_len(stripped) - np.strings.find(stripped, b".") - 1
    return Decimal(1).scaleb(-int(places.max(initial=0)))


def check_order(ts: I64, stream: str) -> list[Finding]:
    """One OutOfOrder finding for every place where `ts` goes backwards."""
    if ts.size < 2:
        return []
    back = np.flatnonzero(ts[1:] < ts[:-1]) + 1
    return [
        OutOfOrder(ts_from=int(ts[i]), ts_to=int(ts[i - 1]), stream=stream, row=int(i),
                   ts_prev=int(ts[i - 1]))
        for i in back
    ]


class EventBuilder:
    """Accumulates book-event columns message by message (levels stay as raw strings)."""

    def __init__(self) -> None:
        self.ts_exch: list[int] = []
        self.ts_local: list[int] = []
        self.kind: list[int] = []
        self.seq: list[int] = []
        self.counts: list[int] = []
        self.sides: list[int] = []
        self.prices: list[bytes] = []
        self.qtys: list[bytes] = []
        self._strings: tuple[npt.NDArray[np.bytes_], npt.NDArray[np.bytes_]] | None = None

    def clear(self, ts_exch: int, ts_local: int, seq: int) -> None:
        """Emit the CLEAR row that starts a snapshot."""
        self._message(ts_exch, ts_local, Kind.CLEAR, seq, [b"0"], [b"0"], [0])

    def levels(
        self, ts_exch: int, ts_local: int, kind: Kind, seq: int,
        bids: Sequence[bytes], asks: Sequence[bytes],
    ) -> None:
        """Emit rows for flat [px, qty, px, qty, ...] lists of bids and asks."""
        self._message(
            ts_exch, ts_local, kind, seq,
            [*bids[0::2], *asks[0::2]], [*bids[1::2], *asks[1::2]],
            [0] * (len(bids) // 2) + [1] * (len(asks) // 2),
        )

    def _message(
        self, ts_exch: int, ts_local: int, kind: Kind, seq: int,
        prices: Sequence[bytes], qtys: Sequence[bytes], sides: Sequence[int],
    ) -> None:
        if not prices:
            return
        self.ts_exch.append(ts_exch)
        self.ts_local.append(ts_local)
        self.kind.append(int(kind))
        self.seq.append(seq)
        self.counts.append(len(prices))
        self.prices.extend(prices)
        self.qtys.extend(qtys)
        self.sides.extend(sides)

    def strings(self) -> tuple[npt.NDArray[np.bytes_], npt.NDArray[np.bytes_]]:
        """The raw price and quantity strings of every row, as numpy byte strings."""
        if self._strings is None:
            self._strings = (np.asarray(self.prices, np.bytes_), np.asarray(self.qtys, np.bytes_))
        return self._strings

    def build(self, tick: Decimal, lot: Decimal) -> BookEvents:
        """Expand per-message columns to per-level rows and decode prices/quantities."""
        counts = np.asarray(self.counts, dtype=np.int64)
        prices, qtys = self.strings()

        def per_row(values: list[int], dtype: type) -> npt.NDArray[np.generic]:
            return np.repeat(np.asarray(values, dtype=dtype), counts)

        return BookEvents(
            ts_exch=per_row(self.ts_exch, np.int64).astype(np.int64),
            ts_local=per_row(self.ts_local, np.int64).astype(np.int64),
            kind=per_row(self.kind, np.int8).astype(np.int8),
            side=np.asarray(self.sides, dtype=np.int8),
            price=decimals_to_units(prices, tick),
            qty=decimals_to_units(qtys, lot),
            seq=per_row(self.seq, np.int64).astype(np.int64),
        )
