"""Import Tardis `incremental_book_L2` CSV files into a `Capture`.

Columns: exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount
(timestamps in microseconds). A run of `is_snapshot=true` rows after a non-snapshot row (or at
the start) is a fresh snapshot; `amount` 0 deletes the level. Tardis carries no sequence ids,
so the row number stands in for one; timestamps that go backwards are reported.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

from ombud.evidence.replay.decode import EventBuilder, check_order
from ombud.evidence.replay.model import Capture, Instrument, Kind, Trades

US = 1_000


def import_tardis(path: Path, instrument: Instrument) -> Capture:
    """Decode an (optionally gzipped) Tardis incremental_book_L2 CSV."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    reader = csv.DictReader(io.StringIO(data.decode()))
    builder = EventBuilder()
    in_snapshot = False
    for row_number, row in enumerate(reader):
        ts = int(row["timestamp"]) * US
        ts_local = int(row["local_timestamp"]) * US
        snapshot = row["is_snapshot"].lower() == "true"
        if snapshot and not in_snapshot:
            builder.clear(ts, ts_local, row_number)
        in_snapshot = snapshot
        level = [row["price"].encode(), row["amount"].encode()]
        is_bid = row["side"] == "bid"
        builder.levels(ts, ts_local, Kind.SNAPSHOT if snapshot else Kind.DIFF, row_number,
                       level if is_bid else [], [] if is_bid else level)
    events = builder.build(instrument.tick_size, instrument.lot_size)
    findings = check_order(events.ts_exch, "incremental_book_L2")
    return Capture(instrument, "tardis", events, Trades(), findings)
