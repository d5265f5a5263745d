"""Import OKX `books` / `books-l2-tbt` WebSocket messages, checking seqId chain and CRC32.

Each input line is a push message, optionally prefixed by `<local ns> `. A snapshot has
`prevSeqId = -1`; an update's `prevSeqId` must equal the previous `seqId` (a heartbeat has
`prevSeqId == seqId` and no levels). The checksum is the signed CRC32 of the top 25 bids and
asks interleaved `bidPx:bidSz:askPx:askSz:...`, with the longer side's rest appended; a
checksum of 0 is treated as absent. After a gap or mismatch the book is unreliable until the
next snapshot.
"""

from __future__ import annotations

import heapq
import json
import zlib
from collections.abc import Iterable
from decimal import Decimal

from ombud.evidence.replay.decode import EventBuilder, check_order
from ombud.evidence.replay.model import (
    NEVER,
    Capture,
    ChecksumMismatch,
    CrossedBook,
    DataGap,
    Finding,
    Instrument,
    Kind,
    Trades,
)

MS = 1_000_000
CHECKSUM_DEPTH = 25


def okx_checksum(bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> int:
    """Signed CRC32 of the top 25 levels per side, best first, as OKX computes it."""
    parts: list[str] = []
    for i in range(CHECKSUM_DEPTH):
        if i < len(bids):
            parts.extend(bids[i])
        if i < len(asks):
            parts.extend(asks[i])
    crc = zlib.crc32(":".join(parts).encode())
    return crc - (1 << 32) if crc >= 1 << 31 else crc


class _Side:
    """One side of the book keyed by price (Decimal), keeping the exchange's strings."""

    def __init__(self, descending: bool) -> None:
        self.levels: dict[Decimal, tuple[str, str]] = {}
        self.descending = descending

    def update(self, rows: list[list[str]]) -> None:
        for row in rows:
            price = Decimal(row[0])
            if Decimal(row[1]) == 0:
                self.levels.pop(price, None)
            else:
                self.levels[price] = (row[0], row[1])

    def top(self, n: int) -> list[tuple[str, str]]:
        pick = heapq.nlargest if self.descending else heapq.nsmallest
        return [self.levels[price] for price in pick(n, self.levels)]


def import_okx(lines: Iterable[str | bytes], instrument: Instrument) -> Capture:
    """Decode OKX order-book push messages for one instrument into a `Capture`."""
    builder = EventBuilder()
    findings: list[Finding] = []
    bids, asks = _Side(descending=True), _Side(descending=False)
    last_seq: int | None = None
    broken: int | None = None  # index in findings of an open gap/mismatch
    crossed_since: tuple[int, str, str, int] | None = None
    for raw in lines:
        text = (raw.decode() if isinstance(raw, bytes) else raw).strip()
        prefix, body = text.split(" ", 1) if text[:1].isdigit() else ("", text)
        message = json.loads(body)
        if "data" not in message:
            continue  # subscription acks and errors
        snapshot = message.get("action") == "snapshot"
        for data in message["data"]:
            seq, prev = int(data["seqId"]), int(data["prevSeqId"])
            ts = int(data["ts"]) * MS
            ts_local = int(prefix) if prefix else ts
            if snapshot:
                if broken is not None:
                    findings[broken] = _closed(findings[broken], ts)
                    broken = None
                bids, asks = _Side(descending=True), _Side(descending=False)
                builder.clear(ts, ts_local, seq)
            elif last_seq is None or prev != last_seq:
                findings.append(DataGap(
                    ts_from=ts, ts_to=NEVER, stream=str(message["arg"].get("channel", "books")),
                    after_id=-1 if last_seq is None else last_seq, next_id=prev,
                    detail=f"seqId={seq} prevSeqId={prev}"))
                broken = broken if broken is not None else len(findings) - 1
            last_seq = seq
            bids.update(data["bids"])
            asks.update(data["asks"])
            builder.levels(ts, ts_local, Kind.SNAPSHOT if snapshot else Kind.DIFF, seq,
                           _flat(data["bids"]), _flat(data["asks"]))
            expected = int(data.get("checksum") or 0)
            computed = okx_checksum(bids.top(CHECKSUM_DEPTH), asks.top(CHECKSUM_DEPTH))
            if expected and expected != computed and broken is None:
                findings.append(ChecksumMismatch(ts_from=ts, ts_to=NEVER, seq_id=seq,
                                                 expected=expected, computed=computed))
                broken = len(findings) - 1
            crossed_since = _crossed(bids, asks, ts, seq, crossed_since, findings)
    if crossed_since is not None:
        findings.append(_crossing(crossed_since, NEVER))
    events = builder.build(instrument.tick_size, instrument.lot_size)
    findings += check_order(events.ts_exch, "books")
    return Capture(instrument, "okx", events, Trades(), findings)


def _crossed(
    bids: _Side, asks: _Side, ts: int, seq: int,
    since: tuple[int, str, str, int] | None, findings: list[Finding],
) -> tuple[int, str, str, int] | None:
    best_bid, best_ask = bids.top(1), asks.top(1)
    crossed = bool(best_bid and best_ask
                   and Decimal(best_bid[0][0]) >= Decimal(best_ask[0][0]))
    if crossed and since is None:
        return ts, best_bid[0][0], best_ask[0][0], seq
    if not crossed and since is not None:
        findings.append(_crossing(since, ts))
        return None
    return since


def _crossing(since: tuple[int, str, str, int], ts_to: int) -> CrossedBook:
    ts, bid, ask, seq = since
    return CrossedBook(ts_from=ts, ts_to=ts_to, best_bid=bid, best_ask=ask, seq_id=seq)


def _closed(finding: Finding, ts_to: int) -> Finding:
    fields = finding.to_dict()
    fields.pop("type")
    fields["ts_to"] = ts_to
    return type(finding)(**fields)


def _flat(rows: list[list[str]]) -> list[bytes]:
    return [value.encode() for row in rows for value in row[:2]]
