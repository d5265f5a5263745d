"""Small hand-built captures for replay tests."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np

from ombud.evidence.replay.decode import EventBuilder
from ombud.evidence.replay.model import Capture, Finding, Instrument, Kind, Side, Trades

MARKET = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "market"
BTC = Instrument("BTCUSDT", Decimal("0.5"), Decimal("0.1"))
T0 = 1_723_161_300_000_000_000  # 2024-08-08 23:55:00 UTC
MS = 1_000_000

Levels = list[tuple[str, str]]


def flat(levels: Levels) -> list[bytes]:
    """[(px, qty), ...] -> [px, qty, ...] as bytes."""
    return [value.encode() for level in levels for value in level]


def capture(
    messages: list[tuple[int, Kind, Levels, Levels]],
    trades: list[tuple[int, Side, str, str]] | None = None,
    findings: list[Finding] | None = None,
    instrument: Instrument = BTC,
) -> Capture:
    """Build a capture from (ts, kind, bids, asks) messages; SNAPSHOT messages clear first."""
    trades = trades or []
    builder = EventBuilder()
    for seq, (ts, kind, bids, asks) in enumerate(messages):
        if kind == Kind.SNAPSHOT:
            builder.clear(ts, ts, seq)
        builder.levels(ts, ts, kind, seq, flat(bids), flat(asks))
    events = builder.build(instrument.tick_size, instrument.lot_size)
    trade_cols = Trades(
        ts_exch=np.asarray([t[0] for t in trades], dtype=np.int64),
        ts_local=np.asarray([t[0] for t in trades], dtype=np.int64),
        side=np.asarray([t[1] for t in trades], dtype=np.int8),
        price=np.asarray([instrument.to_ticks(Decimal(t[2])) for t in trades], dtype=np.int64),
        qty=np.asarray([instrument.to_lots(Decimal(t[3])) for t in trades], dtype=np.int64),
        trade_id=np.arange(len(trades), dtype=np.int64),
    )
    return Capture(instrument, "test", events, trade_cols, findings or [])
