"""Order-book replay benchmark: decode, full replay with checkpoints, time to verdict.

Rerun from the repo root:  .venv/bin/python bench/replay.py
Needs ../shared/data/market beside the repo. Figures are appended to bench/RESULTS.md.

1. decode + import of the real Binance captures (target >= 1 M book events/s);
2. full replay (with a checkpoint every 50k events) of a generated capture of >= 20 M events
   (target >= 3 M events/s). It tiles the real USD-M capture (its message sizes, level churn
   and price distribution) end to end, each copy shifted in time and update id;
3. time to verdict for one disputed market order near the end of that capture, after import
   (target < 0.5 s; checkpoints mean no replay from the start).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import record
from ombud.evidence.replay import (
    BookEvents,
    Capture,
    DisputedOrder,
    Fill,
    LatencyModel,
    OrderType,
    ReplayIndex,
    Side,
    Trades,
    import_binance,
    replay_order,
)

REPO = Path(__file__).resolve().parents[1]
MARKET = REPO.parent / "shared" / "data" / "market"
TARGET_EVENTS = 20_000_000
BENCH = "evidence.replay"


def bench_decode() -> Capture:
    """Best of three imports of each real capture; returns the USD-M capture.

    Also times the plain decoder (`fast=False`, the fast one's reference) in the same run, so
    the row's note compares both under the same machine load.
    """
    rates: dict[bool, tuple[int, float]] = {}
    usdm: Capture | None = None
    for fast in (False, True):
        total_events, total_time = 0, 0.0
        for name in ("binance-spot-ethusdt-20240808.gz", "binance-usdm-ethusdt-20240808.gz"):
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                capture = import_binance(MARKET / name, fast=fast)
                best = min(best, time.perf_counter() - start)
            total_events += len(capture.events)
            total_time += best
            usdm = capture
        rates[fast] = (total_events, total_time)
    assert usdm is not None
    total_events, total_time = rates[True]
    rate = total_events / total_time
    plain_events, plain_time = rates[False]
    record(BENCH, "decode+import (gzip, JSON lines -> columns)", f"{rate / 1e6:.2f} M events/s",
           ">= 1 M events/s", rate >= 1e6,
           f"{total_events:,} level events of the 2 real captures in {total_time:.2f} s "
           f"(plain decoder, same run: {plain_events / plain_time / 1e6:.2f} M events/s in "
           f"{plain_time:.2f} s); load average {_load()}")
    return usdm


def _load() -> str:
    """The 1/5/15-minute load averages (the machine is shared)."""
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def tile(capture: Capture, target: int) -> Capture:
    """Repeat a capture end to end until it holds at least `target` book events."""
    reps = -(-target // len(capture.events))
    ev, tr = capture.events, capture.trades
    span = int(ev.ts_exch.max() - ev.ts_exch.min()) + 1_000_000_000
    seq_span = int(ev.seq.max() - ev.seq.min()) + 1
    shift = np.arange(reps, dtype=np.int64)

    def tiled(column: np.ndarray, step: int) -> np.ndarray:
        if not step:
            return np.tile(column, reps)
        return (column[None, :] + (shift * step)[:, None]).ravel()

    events = BookEvents(*(tiled(getattr(ev, name), span if name.startswith("ts") else
                                seq_span if name == "seq" else 0) for name in BookEvents.COLUMNS))
    trades = Trades(*(tiled(getattr(tr, name), span if name.startswith("ts") else 0)
                      for name in Trades.COLUMNS))
    return Capture(capture.instrument, "generated", events, trades, [])


def main() -> None:
    usdm = bench_decode()
    big = tile(usdm, TARGET_EVENTS)
    n = len(big.events)
    start = time.perf_counter()
    index = ReplayIndex.build(big.events)
    elapsed = time.perf_counter() - start
    rate = n / elapsed
    record(BENCH, "full replay + checkpoints every 50k", f"{rate / 1e6:.1f} M events/s",
           ">= 3 M events/s", rate >= 3e6,
           f"{n:,} generated events in {elapsed:.2f} s; {index.ckpt_offsets.size - 1} "
           f"checkpoints, {index.grid.size:,} price levels; load average {_load()}")

    inst = big.instrument
    accept = int(big.events.ts_exch[-1]) - 90 * 1_000_000_000
    fill_ts = accept + 7_000_000
    book = index.book_at(fill_ts, strict=True)
    size = Decimal(25)
    remaining, fills = inst.to_lots(size), []
    for price, lots in zip(book.ask_px.tolist(), book.ask_qty.tolist(), strict=False):
        take = min(remaining, lots)
        fills.append(Fill(fill_ts, inst.price(price), inst.qty(take)))
        remaining -= take
        if not remaining:
            break
    order = DisputedOrder(Side.BUY, OrderType.MARKET, size, accept, tuple(fills))
    latency = LatencyModel.fixed(5_000_000, 50_000_000)
    now = dt.datetime.now(dt.UTC)
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        result = replay_order(big, index, order, latency, now)
        timings.append(time.perf_counter() - start)
    best = min(timings)
    record(BENCH, "time to verdict, one market order", f"{best * 1e3:.1f} ms",
           "< 500 ms", best < 0.5,
           f"{n:,}-event capture, order at {(accept - int(big.events.ts_exch[0])) / 1e9:,.0f} s "
           f"of {(int(big.events.ts_exch[-1]) - int(big.events.ts_exch[0])) / 1e9:,.0f} s; "
           f"verdict {result.verdict.value}; median {np.median(timings) * 1e3:.1f} ms; "
           f"load average {_load()}")


if __name__ == "__main__":
    main()
