"""Save and load a capture with its replay index as one .npz file."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numpy as np

from ombud.evidence.replay.book import ReplayIndex
from ombud.evidence.replay.model import BookEvents, Capture, Instrument, Trades, finding_from_dict

_INDEX_COLUMNS = ("grid", "pos", "ckpt_offsets", "ckpt_pos", "ckpt_qty")


def save_npz(path: Path, capture: Capture, index: ReplayIndex) -> None:
    """Write the columnar capture, its findings and checkpoints (uncompressed, fast to load)."""
    meta = {
        "symbol": capture.instrument.symbol,
        "tick_size": str(capture.instrument.tick_size),
        "lot_size": str(capture.instrument.lot_size),
        "source": capture.source,
        "every": index.every,
        "findings": [finding.to_dict() for finding in capture.findings],
    }
    arrays = {f"event_{name}": getattr(capture.events, name) for name in BookEvents.COLUMNS}
    arrays |= {f"trade_{name}": getattr(capture.trades, name) for name in Trades.COLUMNS}
    arrays |= {f"index_{name}": getattr(index, name) for name in _INDEX_COLUMNS}
    with path.open("wb") as fh:
        np.savez(fh, meta=np.asarray(json.dumps(meta)), **arrays)


def load_npz(path: Path) -> tuple[Capture, ReplayIndex]:
    """Read what `save_npz` wrote."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        events = BookEvents(*(data[f"event_{name}"] for name in BookEvents.COLUMNS))
        trades = Trades(*(data[f"trade_{name}"] for name in Trades.COLUMNS))
        stored = {name: data[f"index_{name}"] for name in _INDEX_COLUMNS}
    instrument = Instrument(meta["symbol"], Decimal(meta["tick_size"]), Decimal(meta["lot_size"]))
    capture = Capture(instrument, meta["source"], events, trades,
                      [finding_from_dict(item) for item in meta["findings"]])
    index = ReplayIndex(
        side=events.side, qty=events.qty, clear=events.kind == 0,
        ts=np.maximum.accumulate(events.ts_exch) if len(events) else events.ts_exch,
        every=int(meta["every"]), **stored,
    )
    return capture, index
