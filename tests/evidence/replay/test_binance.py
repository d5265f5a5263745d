"""Decoding the real Binance captures; sync rules; checkpoint rebuild against a plain replay."""

from __future__ import annotations

import json
from decimal import Decimal

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ombud.evidence.replay import Capture, DataGap, Kind, OutOfOrder, ReplayIndex, import_binance
from ombud.evidence.replay.model import NEVER

FIXTURE_OK = [HealthCheck.function_scoped_fixture]  # session fixtures are read-only here


def reference_book(capture: Capture, count: int) -> tuple[dict[int, int], dict[int, int]]:
    """Plain dict replay of the first `count` events, from the start."""
    bids: dict[int, int] = {}
    asks: dict[int, int] = {}
    ev = capture.events
    for kind, side, price, qty in zip(ev.kind[:count].tolist(), ev.side[:count].tolist(),
                                      ev.price[:count].tolist(), ev.qty[:count].tolist(),
                                      strict=True):
        if kind == Kind.CLEAR:
            bids, asks = {}, {}
            continue
        book = bids if side == 0 else asks
        if qty:
            book[price] = qty
        else:
            book.pop(price, None)
    return bids, asks


def test_spot_capture_decodes_in_sync(spot: tuple[Capture, ReplayIndex]) -> None:
    capture, index = spot
    assert capture.instrument.tick_size == Decimal("0.01")
    assert capture.instrument.lot_size == Decimal("0.00001")
    assert capture.findings == []
    assert len(capture.trades) == 6106
    # one snapshot of 1000 + 1000 levels, stamped with E of the diff that reached it
    assert int((capture.events.kind == Kind.CLEAR).sum()) == 1
    assert int((capture.events.kind == Kind.SNAPSHOT).sum()) == 2000
    assert capture.synced_from == 1723161255408 * 1_000_000
    # the 4 diffs before the snapshot have u <= lastUpdateId and are dropped
    assert int(capture.events.seq[capture.events.kind == Kind.DIFF].min()) > 35346513512
    book = index.book_at(capture.last_ts or 0)
    assert not book.crossed
    assert capture.instrument.price(book.best_bid or 0) < capture.instrument.price(
        book.best_ask or 0)


def test_usdm_capture_follows_pu_chain(usdm: tuple[Capture, ReplayIndex]) -> None:
    capture, _ = usdm
    assert capture.instrument.lot_size == Decimal("0.001")
    assert capture.findings == []  # the first diff after the snapshot has pu == lastUpdateId
    assert len(capture.trades) == 14076
    assert len(capture.events) > 400_000
    assert np.all(np.diff(capture.trades.ts_exch) >= 0)


def test_spot_missing_diff_is_a_gap(spot_lines: list[bytes]) -> None:
    depth = [i for i, line in enumerate(spot_lines) if b"@depth" in line[:80]]
    victim = depth[100]
    dropped = json.loads(spot_lines[victim].split(b" ", 1)[1])["data"]
    before = json.loads(spot_lines[depth[99]].split(b" ", 1)[1])["data"]
    capture = import_binance(spot_lines[:victim] + spot_lines[victim + 1 :])
    gaps = [f for f in capture.findings if isinstance(f, DataGap)]
    assert len(gaps) == 1
    gap = gaps[0]
    assert gap.after_id == before["u"]
    assert gap.next_id == dropped["u"] + 1  # ids U..u of the dropped message are missing
    assert gap.ts_to == NEVER  # no later snapshot: out of sync to the end
    assert "sequence gap" in gap.describe()


def test_usdm_broken_pu_chain_is_a_gap(usdm_lines: list[bytes]) -> None:
    depth = [i for i, line in enumerate(usdm_lines) if b"@depth" in line[:80]]
    victim = depth[500]
    dropped = json.loads(usdm_lines[victim].split(b" ", 1)[1])["data"]
    capture = import_binance(usdm_lines[:victim] + usdm_lines[victim + 1 :])
    (gap,) = capture.findings
    assert isinstance(gap, DataGap)
    assert gap.after_id == dropped["pu"]
    assert gap.next_id == dropped["u"]  # the next message's pu points at the lost message
    assert gap.ts_from == json.loads(usdm_lines[depth[501]].split(b" ", 1)[1])["data"]["E"] * (
        1_000_000)


def test_swapped_diffs_break_the_sequence(spot_lines: list[bytes]) -> None:
    depth = [i for i, line in enumerate(spot_lines) if b"@depth" in line[:80]]
    lines = list(spot_lines)
    lines[depth[200]], lines[depth[201]] = lines[depth[201]], lines[depth[200]]
    capture = import_binance(lines)
    assert [type(f) for f in capture.findings] == [DataGap]


def test_swapped_trades_report_out_of_order(spot_lines: list[bytes]) -> None:
    trades = [i for i, line in enumerate(spot_lines) if b"@trade" in line[:80]]
    times = [json.loads(spot_lines[i].split(b" ", 1)[1])["data"]["T"] for i in trades]
    k = next(k for k in range(len(times) - 1) if times[k] < times[k + 1])
    lines = list(spot_lines)
    lines[trades[k]], lines[trades[k + 1]] = lines[trades[k + 1]], lines[trades[k]]
    capture = import_binance(lines)
    (finding,) = capture.findings
    assert isinstance(finding, OutOfOrder)
    assert finding.stream == "trade"
    assert (finding.ts_from, finding.ts_prev) == (times[k] * 1_000_000, times[k + 1] * 1_000_000)
    assert np.all(np.diff(capture.trades.ts_exch) >= 0)  # trades are stored time-ordered


@settings(max_examples=25, deadline=None, suppress_health_check=FIXTURE_OK)
@given(fraction=st.floats(min_value=0, max_value=1))
def test_checkpoint_rebuild_equals_full_replay(
    usdm: tuple[Capture, ReplayIndex], fraction: float
) -> None:
    capture, index = usdm
    count = int(fraction * len(capture.events))
    book = index.book_after(count)
    bids, asks = reference_book(capture, count)
    assert dict(zip(book.bid_px.tolist(), book.bid_qty.tolist(), strict=True)) == bids
    assert dict(zip(book.ask_px.tolist(), book.ask_qty.tolist(), strict=True)) == asks


@settings(max_examples=10, deadline=None, suppress_health_check=FIXTURE_OK)
@given(fraction=st.floats(min_value=0, max_value=1))
def test_book_at_time_equals_full_replay(
    spot: tuple[Capture, ReplayIndex], fraction: float
) -> None:
    capture, index = spot
    start, end = capture.synced_from or 0, capture.last_ts or 0
    ts = start + int(fraction * (end - start))
    count = int(np.searchsorted(capture.events.ts_exch, ts, side="right"))
    book = index.book_at(ts)
    bids, _ = reference_book(capture, count)
    assert dict(zip(book.bid_px.tolist(), book.bid_qty.tolist(), strict=True)) == bids
