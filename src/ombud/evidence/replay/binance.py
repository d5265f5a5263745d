"""Import Binance captures (`<local ns> <json>` lines) into a `Capture`.

Handles spot `depth@100ms` (U/u), USD-M futures `depth@0ms` (U/u/pu), the REST depth snapshot
line, `trade`; `bookTicker` lines are skipped (the rebuilt book gives the BBO).
Binance sync rules: diffs with `u <= lastUpdateId` are dropped; the first applied diff must
straddle the snapshot; afterwards spot needs `U == previous u + 1` and futures `pu == previous
u`. A break is reported as a `DataGap` and the book stays out of sync until the next snapshot.

Two decoders give identical captures: the plain one splits every level into byte strings; the
fast one (the default) finds the depth, trade and snapshot lines with `bytes.find`, keeps each
message's levels as byte ranges of the buffer and decodes them all at once with numpy
(`pairs.PairSpanBuilder`). Input outside the strict layout the fast one handles makes it
hand over to the plain one, so the result never depends on which one ran.
"""

from __future__ import annotations

import bisect
import gc
import gzip
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Protocol

import numpy as np

from ombud.evidence.replay.decode import (
    EventBuilder,
    check_order,
    decimals_to_units,
    finest_unit,
)
from ombud.evidence.replay.model import (
    NEVER,
    BookEvents,
    Capture,
    DataGap,
    Finding,
    Instrument,
    Kind,
    Side,
    Trades,
)
from ombud.evidence.replay.pairs import Irregular, PairSpanBuilder

MS = 1_000_000
# depth diffs, trades and REST snapshots; bookTicker and other streams are skipped in C
_LINE = re.compile(
    rb'^(\d+) (?:\{"stream":"([^"]*@(?:depth|trade)[^"]*)","data":(.*)\}'
    rb'|(\{"lastUpdateId".*))$',
    re.MULTILINE,
)
_INT_FIELDS = {name: re.compile(rb'"' + name + rb'":(-?\d+)') for name in (b"E", b"U", b"u", b"pu")}
_TRADE_FIELDS = {
    name: re.compile(rb'"' + name + rb'":"?([-\w.]+)"?[,}]')
    for name in (b"T", b"t", b"p", b"q", b"m")
}
# the usual depth line up to its bids: fields found here equal `_add_depth`'s searches, as the
# head holds each key once (other layouts take `_LINE` + `_add_depth_ranges`)
_DEPTH_HEAD = re.compile(
    rb'(\d+) \{"stream":"([^"]*@depth[^"]*)","data":\{"e":"depthUpdate","E":(\d+),'
    rb'(?:"T":\d+,)?"s":"[A-Z0-9]*","U":(\d+),"u":(\d+),(?:"pu":(-?\d+),)?"b":\['
)


class _Sink(Protocol):
    """Where `_sync` sends snapshot rows (`EventBuilder` or `PairSpanBuilder`)."""

    def clear(self, ts_exch: int, ts_local: int, seq: int) -> None: ...

    def levels(
        self, ts_exch: int, ts_local: int, kind: Kind, seq: int,
        bids: Sequence[bytes], asks: Sequence[bytes],
    ) -> None: ...


@dataclass
class _Depth:
    """Per-message header columns of the depth stream, in file order."""

    ts_local: list[int] = field(default_factory=list)
    first: list[int] = field(default_factory=list)  # U
    last: list[int] = field(default_factory=list)  # u
    prev: list[int] = field(default_factory=list)  # pu, or -1 for spot
    event_ms: list[int] = field(default_factory=list)  # E
    bids: list[list[bytes]] = field(default_factory=list)  # plain decoder only
    asks: list[list[bytes]] = field(default_factory=list)
    ranges: list[tuple[tuple[int, int], tuple[int, int]]] = field(
        default_factory=list)  # fast decoder only: (bids, asks) byte ranges of the buffer


def read_capture(path: Path) -> bytes:
    """Read a (possibly gzipped) capture file."""
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _levels(line: bytes, key: bytes) -> list[bytes]:
    """Flat [px, qty, px, qty, ...] of the `"b"` or `"a"` array of a depth message."""
    start = line.find(key)
    if start < 0 or line[start + 5 : start + 6] == b"]":
        return []
    start += 7
    stop = line.find(b'"]]', start)
    return line[start:stop].replace(b'"],["', b'","').split(b'","')


def import_binance(
    source: Path | Iterable[bytes], instrument: Instrument | None = None, *, fast: bool = True
) -> Capture:
    """Decode a Binance capture; the instrument's units are inferred from the data if absent.

    `fast=False` forces the plain decoder (the fast one's reference; same result, slower).
    """
    data = read_capture(source) if isinstance(source, Path) else b"\n".join(source)
    if fast:
        collecting = gc.isenabled()
        gc.disable()  # only acyclic objects are made here; collector passes cost ~10%
        try:
            return _import_fast(data, instrument)
        except (Irregular, ValueError):
            pass  # the plain decoder gives the exact result, or the exact error
        finally:
            if collecting:
                gc.enable()
    return _import_plain(data, instrument)


def _import_plain(data: bytes, instrument: Instrument | None) -> Capture:
    """Split every message's levels into byte strings and decode them column-wise."""
    depth = _Depth()
    snapshots: list[tuple[int, int, dict[str, object]]] = []  # (depth msg index, ts, body)
    trade_lines: list[bytes] = []
    trade_local: list[int] = []
    symbol = ""
    for match in _LINE.finditer(data):
        ts_local, stream, body = int(match[1]), match[2], match[3]
        if stream is None:
            snapshots.append((len(depth.first), ts_local, json.loads(match[4])))
            continue
        symbol = symbol or stream.split(b"@", 1)[0].decode().upper()
        if b"@depth" in stream:
            _add_depth(depth, ts_local, body)
        else:
            trade_lines.append(body)
            trade_local.append(ts_local)
    builder = EventBuilder()

    def diff(i: int, ts: int) -> None:
        builder.levels(ts, depth.ts_local[i], Kind.DIFF, depth.last[i], depth.bids[i],
                       depth.asks[i])

    findings = _sync(depth, snapshots, builder, diff)
    if instrument is None:
        prices, qtys = builder.strings()
        instrument = _infer_instrument(symbol, (finest_unit(prices), finest_unit(qtys)),
                                       trade_lines)
    events = builder.build(instrument.tick_size, instrument.lot_size)
    return _capture(instrument, events, trade_lines, trade_local, findings)


def _import_fast(data: bytes, instrument: Instrument | None) -> Capture:
    """Visit only depth, trade and snapshot lines; decode all levels in one numpy pass."""
    depth = _Depth()
    depth_starts: list[int] = []  # where each depth line starts (places the snapshots)
    first: list[tuple[int, bytes]] = []  # (start, stream) of the first depth and trade line
    for start, end in _lines_with(data, b"@depth"):
        head = _DEPTH_HEAD.match(data, start, end)
        if head is not None and data[end - 1] == ord("}"):  # as _LINE: ...,"data":(.*)\}$
            _add_depth_head(depth, data, head, end - 1)
        else:
            match = _LINE.match(data, start, end)
            if match is None or match[2] is None:
                raise Irregular("a depth line of unexpected shape")
            if b"@depth" not in match[2]:
                continue  # "@depth" outside the stream name: a trade line
            _add_depth_ranges(depth, data, int(match[1]), match.start(3), match.end(3))
            head = match
        if not depth_starts:
            first.append((start, head[2]))
        depth_starts.append(start)
    trade_lines: list[bytes] = []
    trade_local: list[int] = []
    for start, end in _lines_with(data, b"@trade"):
        match = _LINE.match(data, start, end)
        if match is None:
            raise Irregular("a trade line of unexpected shape")
        if match[2] is None or b"@depth" in match[2]:
            continue  # a snapshot or depth line, visited for its own needle
        if not trade_lines:
            first.append((start, match[2]))
        trade_lines.append(match[3])
        trade_local.append(int(match[1]))
    snapshots: list[tuple[int, int, dict[str, object]]] = []
    for start, end in _lines_with(data, b'{"lastUpdateId"'):
        match = _LINE.match(data, start, end)
        if match is None:
            raise Irregular("a snapshot line of unexpected shape")
        if match[2] is None:
            snapshots.append((bisect.bisect_left(depth_starts, start), int(match[1]),
                              json.loads(match[4])))
    symbol = min(first)[1].split(b"@", 1)[0].decode().upper() if first else ""
    builder = PairSpanBuilder(data)

    def diff(i: int, ts: int) -> None:
        bids, asks = depth.ranges[i]
        builder.ranges(ts, depth.ts_local[i], Kind.DIFF, depth.last[i], bids, asks)

    findings = _sync(depth, snapshots, builder, diff)
    if instrument is None:
        instrument = _infer_instrument(symbol, builder.finest_units(), trade_lines)
    events = builder.build(instrument.tick_size, instrument.lot_size)
    return _capture(instrument, events, trade_lines, trade_local, findings)


def _capture(
    instrument: Instrument, events: BookEvents, trade_lines: list[bytes], trade_local: list[int],
    findings: list[Finding],
) -> Capture:
    trades = _trades(trade_lines, trade_local, instrument)
    findings += check_order(events.ts_exch, "depth")
    findings += check_order(trades.ts_exch, "trade")
    return Capture(instrument, "binance", events, trades.sorted(), findings)


def _lines_with(data: bytes, needle: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of every line holding `needle`, in file order, skipping the other lines.

    Every line `_LINE` matches holds "@depth", "@trade" or '{"lastUpdateId"'; the fast path
    checks each such line with `_LINE` on its own and gives up (`Irregular`) on any it does
    not match, so it sees exactly the lines `_LINE.finditer` yields.
    """
    pos = data.find(needle)
    while pos >= 0:
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end
        yield data.rfind(b"\n", 0, pos) + 1, end
        pos = data.find(needle, end)


def _add_depth_head(depth: _Depth, data: bytes, head: re.Match[bytes], hi: int) -> None:
    """`_add_depth` for a line `_DEPTH_HEAD` matched (the body ends at `hi`)."""
    depth.ts_local.append(int(head[1]))
    depth.event_ms.append(int(head[3]))
    depth.first.append(int(head[4]))
    depth.last.append(int(head[5]))
    depth.prev.append(-1 if head[6] is None else int(head[6]))
    bids = head.end() - 5
    depth.ranges.append((_level_range(data, bids, hi),
                         _level_range(data, data.find(b'"a":[', bids, hi), hi)))


def _add_depth_ranges(depth: _Depth, data: bytes, ts_local: int, lo: int, hi: int) -> None:
    """`_add_depth` for the message body data[lo:hi], keeping levels as byte ranges."""
    bids = data.find(b'"b":[', lo, hi)
    head_end = bids if bids >= 0 else max(lo, hi - 1)  # as body[:body.find(...)]
    fields = {name: rx.search(data, lo, head_end) for name, rx in _INT_FIELDS.items()}
    depth.ts_local.append(ts_local)
    depth.event_ms.append(int(fields[b"E"].group(1)) if fields[b"E"] else ts_local // MS)
    depth.first.append(int(fields[b"U"].group(1)) if fields[b"U"] else -1)
    depth.last.append(int(fields[b"u"].group(1)) if fields[b"u"] else -1)
    depth.prev.append(int(fields[b"pu"].group(1)) if fields[b"pu"] else -1)
    depth.ranges.append((_level_range(data, data.find(b'"b":[', lo, hi), hi),
                         _level_range(data, data.find(b'"a":[', lo, hi), hi)))


def _level_range(data: bytes, start: int, hi: int) -> tuple[int, int]:
    """Byte range of `"px","qty"],[...,"qty"` in the array whose key is at `start`.

    That is the text `_levels` splits; (0, 0) for no key or an empty array.
    """
    if start < 0 or (start + 5 < hi and data[start + 5] == ord("]")):
        return (0, 0)
    if start + 7 > hi or data[start + 5 : start + 7] != b'["':
        raise Irregular("depth levels of unexpected shape")
    stop = data.find(b'"]]', start + 7, hi)
    if stop < 0:
        raise Irregular("depth levels of unexpected shape")
    return (start + 6, stop + 1)


def _add_depth(depth: _Depth, ts_local: int, body: bytes) -> None:
    head = body[: body.find(b'"b":[')]
    fields = {name: rx.search(head) for name, rx in _INT_FIELDS.items()}
    depth.ts_local.append(ts_local)
    depth.event_ms.append(int(fields[b"E"].group(1)) if fields[b"E"] else ts_local // MS)
    depth.first.append(int(fields[b"U"].group(1)) if fields[b"U"] else -1)
    depth.last.append(int(fields[b"u"].group(1)) if fields[b"u"] else -1)
    depth.prev.append(int(fields[b"pu"].group(1)) if fields[b"pu"] else -1)
    depth.bids.append(_levels(body, b'"b":['))
    depth.asks.append(_levels(body, b'"a":['))


def _infer_instrument(
    symbol: str, book_units: tuple[Decimal, Decimal], trade_lines: list[bytes]
) -> Instrument:
    """Tick and lot: the finest units of the book's (price, qty) strings and the trades'."""
    joined = b"\n".join(trade_lines)
    trade_px = _TRADE_FIELDS[b"p"].findall(joined)
    trade_qty = _TRADE_FIELDS[b"q"].findall(joined)
    return Instrument(
        symbol,
        min(book_units[0], finest_unit(trade_px)),
        min(book_units[1], finest_unit(trade_qty)),
    )


def _snapshot_ts(depth: _Depth, last_update_id: int, body: dict[str, object], ts: int) -> int:
    """Exchange time of a REST snapshot: its own E, else E of the diff that reached it."""
    if "E" in body:
        return int(str(body["E"])) * MS
    lasts = np.asarray(depth.last, dtype=np.int64)
    reach = np.flatnonzero(lasts >= last_update_id)
    if reach.size:
        return depth.event_ms[int(reach[np.argmin(lasts[reach])])] * MS
    return ts


def _sync(
    depth: _Depth, snapshots: list[tuple[int, int, dict[str, object]]], builder: _Sink,
    diff: Callable[[int, int], None],
) -> list[Finding]:
    """Apply Binance's sync rules, emitting the rows to apply and the gaps found.

    Snapshot rows go to `builder`; `diff(i, ts)` emits the rows of depth message i.
    """
    futures = any(p >= 0 for p in depth.prev)
    findings: list[Finding] = []
    pending: list[int] = []  # diffs received while not synced, kept for the next snapshot
    last_u: int | None = None  # None = not synced
    awaiting = False  # synced to a snapshot, first diff not yet applied
    open_gap: DataGap | None = None
    snap_iter = iter(snapshots)
    next_snap = next(snap_iter, None)

    def apply(i: int) -> None:
        nonlocal last_u, awaiting, open_gap
        first, last, prev = depth.first[i], depth.last[i], depth.prev[i]
        assert last_u is not None
        if last <= last_u:
            return  # already in the snapshot, or a duplicate
        if awaiting:
            ok = (first <= last_u <= last or prev == last_u) if futures else (
                first <= last_u + 1 <= last
            )
        else:
            ok = prev == last_u if futures else first == last_u + 1
        ts = depth.event_ms[i] * MS
        if not ok:
            open_gap = DataGap(
                ts_from=ts, ts_to=NEVER, stream="depth", after_id=last_u,
                next_id=prev if futures and not awaiting else first,
                detail=f"message U={first} u={last}" + (f" pu={prev}" if futures else ""),
            )
            findings.append(open_gap)
        awaiting = False
        last_u = last
        diff(i, ts)

    for i in range(len(depth.first) + 1):
        while next_snap is not None and next_snap[0] == i:
            _, ts_local, body = next_snap
            update_id = int(str(body["lastUpdateId"]))
            ts = _snapshot_ts(depth, update_id, body, ts_local)
            if open_gap is not None:
                findings[findings.index(open_gap)] = _close(open_gap, ts)
                open_gap = None
            builder.clear(ts, ts_local, update_id)
            builder.levels(ts, ts_local, Kind.SNAPSHOT, update_id,
                           _flat(body["bids"]), _flat(body["asks"]))
            last_u, awaiting = update_id, True
            for j in pending:
                apply(j)
            pending.clear()
            next_snap = next(snap_iter, None)
        if i == len(depth.first):
            break
        if last_u is None:
            pending.append(i)
        else:
            apply(i)
    return findings


def _close(gap: DataGap, ts_to: int) -> DataGap:
    return DataGap(ts_from=gap.ts_from, ts_to=ts_to, stream=gap.stream, after_id=gap.after_id,
                   next_id=gap.next_id, detail=gap.detail)


def _flat(rows: object) -> list[bytes]:
    assert isinstance(rows, list)
    return [str(value).encode() for row in rows for value in row[:2]]


def _trades(lines: list[bytes], ts_local: list[int], instrument: Instrument) -> Trades:
    """Decode trade messages field by field over the joined buffer."""
    if not lines:
        return Trades()
    joined = b"\n".join(lines)
    cols = {name: rx.findall(joined) for name, rx in _TRADE_FIELDS.items()}
    if any(len(values) != len(lines) for values in cols.values()):
        raise ValueError("trade messages without T/t/p/q/m fields")
    maker_buys = np.asarray([value == b"true" for value in cols[b"m"]])
    trades = Trades(
        ts_exch=np.asarray(cols[b"T"], dtype=np.int64) * MS,
        ts_local=np.asarray(ts_local, dtype=np.int64),
        side=np.where(maker_buys, Side.SELL, Side.BUY).astype(np.int8),
        price=decimals_to_units(cols[b"p"], instrument.tick_size),
        qty=decimals_to_units(cols[b"q"], instrument.lot_size),
        trade_id=np.asarray(cols[b"t"], dtype=np.int64),
    )
    return trades

