"""Import Binance captures (`<local ns> <json>` lines) into a `Capture`.

Handles spot `depth@100ms` (U/u), USD-M futures `depth@0ms` (U/u/pu), the REST depth snapshot
line, `trade`; `bookTicker` lines are skipped (the rebuilt book gives the BBO).
Binance sync rules: diffs with `u <= lastUpdateId` are dropped; the first applied diff must
straddle the snapshot; afterwards spot needs `U == previous u + 1` and futures `pu == previous
u`. A break is reported as a `DataGap` and the book stays out of sync until the next snapshot.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ombud.evidence.replay.decode import (
    EventBuilder,
    check_order,
    decimals_to_units,
    finest_unit,
)
from ombud.evidence.replay.model import (
    NEVER,
    Capture,
    DataGap,
    Finding,
    Instrument,
    Kind,
    Side,
    Trades,
)

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


@dataclass
class _Depth:
    """Per-message header columns of the depth stream, in file order."""

    ts_local: list[int] = field(default_factory=list)
    first: list[int] = field(default_factory=list)  # U
    last: list[int] = field(default_factory=list)  # u
    prev: list[int] = field(default_factory=list)  # pu, or -1 for spot
    event_ms: list[int] = field(default_factory=list)  # E
    bids: list[list[bytes]] = field(default_factory=list)
    asks: list[list[bytes]] = field(default_factory=list)


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
    source: Path | Iterable[bytes], instrument: Instrument | None = None
) -> Capture:
    """Decode a Binance capture; the instrument's units are inferred from the data if absent."""
    data = read_capture(source) if isinstance(source, Path) else b"\n".join(source)
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
    findings = _sync(depth, snapshots, builder)
    if instrument is None:
        instrument = _infer_instrument(symbol, builder, trade_lines)
    events = builder.build(instrument.tick_size, instrument.lot_size)
    trades = _trades(trade_lines, trade_local, instrument)
    findings += check_order(events.ts_exch, "depth")
    findings += check_order(trades.ts_exch, "trade")
    return Capture(instrument, "binance", events, trades.sorted(), findings)


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


def _infer_instrument(symbol: str, builder: EventBuilder, trade_lines: list[bytes]) -> Instrument:
    prices, qtys = builder.strings()
    joined = b"\n".join(trade_lines)
    trade_px = _TRADE_FIELDS[b"p"].findall(joined)
    trade_qty = _TRADE_FIELDS[b"q"].findall(joined)
    return Instrument(
        symbol,
        min(finest_unit(prices), finest_unit(trade_px)),
        min(finest_unit(qtys), finest_unit(trade_qty)),
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
    depth: _Depth, snapshots: list[tuple[int, int, dict[str, object]]], builder: EventBuilder
) -> list[Finding]:
    """Apply Binance's sync rules, emitting the rows to apply and the gaps found."""
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
        builder.levels(ts, depth.ts_local[i], Kind.DIFF, last, depth.bids[i], depth.asks[i])

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

