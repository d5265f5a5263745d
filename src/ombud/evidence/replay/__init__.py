"""Order-book replay of disputed trades (pure: stdlib, numpy, matplotlib only).

Typical use::

    capture = import_binance(Path("capture.gz"))          # or import_okx / import_tardis
    index = ReplayIndex.build(capture.events)               # checkpoints every 50k events
    save_npz(path, capture, index); capture, index = load_npz(path)
    result = replay_order(capture, index, order, LatencyModel.fixed(5_000_000), now)
    png = order_chart(capture, index, order)
"""

from ombud.evidence.replay.binance import import_binance
from ombud.evidence.replay.book import Book, ReplayIndex
from ombud.evidence.replay.chart import order_chart
from ombud.evidence.replay.limits import PriceLimit, binance_percent_price, okx_price_limits
from ombud.evidence.replay.model import (
    BookEvents,
    Capture,
    ChecksumMismatch,
    CrossedBook,
    DataGap,
    Finding,
    Instrument,
    Kind,
    OutOfOrder,
    Side,
    Trades,
)
from ombud.evidence.replay.okx import import_okx, okx_checksum
from ombud.evidence.replay.replay import (
    DisputedOrder,
    Fill,
    LatencyModel,
    OrderType,
    ReplayResult,
    Verdict,
    replay_order,
)
from ombud.evidence.replay.store import load_npz, save_npz
from ombud.evidence.replay.tardis import import_tardis
from ombud.evidence.replay.walk import Cap, Stop, Walk, walk_book

__all__ = [
    "Book", "BookEvents", "Cap", "Capture", "ChecksumMismatch", "CrossedBook", "DataGap",
    "DisputedOrder", "Fill", "Finding", "Instrument", "Kind", "LatencyModel", "OrderType",
    "OutOfOrder", "PriceLimit", "ReplayIndex", "ReplayResult", "Side", "Stop", "Trades",
    "Verdict", "Walk", "binance_percent_price", "import_binance", "import_okx",
    "import_tardis", "load_npz", "okx_checksum", "okx_price_limits", "order_chart",
    "replay_order", "save_npz", "walk_book",
]
