"""Replaying disputed orders: the reference worked example, verdicts, and every bad input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest

from ombud.evidence.replay import (
    Capture,
    ChecksumMismatch,
    DataGap,
    DisputedOrder,
    Fill,
    Kind,
    LatencyModel,
    OrderType,
    OutOfOrder,
    PriceLimit,
    ReplayIndex,
    Side,
    Verdict,
    load_npz,
    order_chart,
    replay_order,
    save_npz,
)
from tests.evidence.replay.helpers import MS, T0, capture

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
BIDS = [("59999.5", "5.0")]
ASKS_A = [("60000.0", "0.4"), ("60000.5", "0.3"), ("60001.0", "0.5"), ("60005.0", "2.0")]
ASKS_F = [("60010.0", "0.6"), ("60012.0", "1.0"), ("60020.0", "3.0")]
# the reference note's example: book at acceptance, and 800 ms later when the order filled
MESSAGES = [
    (T0, Kind.SNAPSHOT, BIDS, ASKS_A),
    (T0 + 800 * MS - 1, Kind.SNAPSHOT, BIDS, ASKS_F),
    (T0 + 5_000 * MS, Kind.DIFF, [("59999.0", "1.0")], []),
]
LATENCY = LatencyModel.fixed(0, tolerance_ns=100 * MS)
FILLS_LATE = (Fill(T0 + 800 * MS, D("60010.0"), D("0.6")),
              Fill(T0 + 800 * MS, D("60012.0"), D("1.0")),
              Fill(T0 + 800 * MS, D("60020.0"), D("1.4")))
FILLS_ON_TIME = (Fill(T0 + 20 * MS, D("60000.0"), D("0.4")),
                 Fill(T0 + 20 * MS, D("60000.5"), D("0.3")),
                 Fill(T0 + 20 * MS, D("60001.0"), D("0.5")),
                 Fill(T0 + 20 * MS, D("60005.0"), D("1.8")))


def market_buy(fills: tuple[Fill, ...], size: str = "3", **extra: object) -> DisputedOrder:
    return DisputedOrder(Side.BUY, OrderType.MARKET, D(size), T0, fills, **extra)  # type: ignore[arg-type]


def run(cap: Capture, order: DisputedOrder, latency: LatencyModel = LATENCY):  # type: ignore[no-untyped-def]
    return replay_order(cap, ReplayIndex.build(cap.events, every=2), order, latency, NOW)


def test_delayed_fill_is_platform_fault_with_exact_split() -> None:
    result = run(capture(MESSAGES), market_buy(FILLS_LATE))
    assert result.verdict == Verdict.PLATFORM_FAULT
    assert result.expected is not None
    assert result.expected.vwap == D("180009.65") / 3  # 60,003.2167
    assert result.actual_vwap == D("180046") / 3  # 60,015.3333
    assert result.fill_time_vwap == result.actual_vwap
    assert result.market_movement == 0  # the book did not move within the 100 ms tolerance
    assert result.delay_cost == D("36.35")  # 180,046.00 - 180,009.65
    assert result.residual == 0
    assert result.delay_ns == 800 * MS
    assert result.computed_at == NOW
    assert "800.0 ms" in result.reason


def test_same_delay_within_tolerance_is_market_movement() -> None:
    result = run(capture(MESSAGES), market_buy(FILLS_LATE), LatencyModel.fixed(0, 1_000 * MS))
    assert result.verdict == Verdict.WITHIN_EXPECTATION
    assert result.market_movement == D("36.35")
    assert result.delay_cost == 0


def test_fill_as_the_book_allowed_is_within_expectation() -> None:
    result = run(capture(MESSAGES), market_buy(FILLS_ON_TIME))
    assert result.verdict == Verdict.WITHIN_EXPECTATION
    assert result.actual_vwap == result.expected.vwap if result.expected else False


def test_fill_beyond_price_limit_is_platform_fault() -> None:
    order = market_buy(FILLS_ON_TIME, price_limit=PriceLimit(buy_max=D("60004")))
    result = run(capture(MESSAGES), order)
    assert result.verdict == Verdict.PLATFORM_FAULT
    assert "60005.0" in result.reason and "price-limit" in result.reason


def test_partial_fill_stopped_by_own_slippage_protection() -> None:
    fills = FILLS_ON_TIME[:3]  # 1.2 filled; the rest would cross 60000 * 1.00002 = 60001.2
    result = run(capture(MESSAGES), market_buy(fills, max_slippage=D("0.00002")))
    assert result.verdict == Verdict.CUSTOMER_PARAMETERS
    assert "slippage protection" in result.reason


def test_unfilled_market_order_with_liquidity_is_platform_fault() -> None:
    result = run(capture(MESSAGES), market_buy(FILLS_ON_TIME[:3]))
    assert result.verdict == Verdict.PLATFORM_FAULT


def test_limit_order_traded_through_is_platform_fault() -> None:
    trades = [(T0 + 50 * MS, Side.SELL, "59990.0", "2.0")]
    order = DisputedOrder(Side.BUY, OrderType.LIMIT, D("1"), T0, (), limit_price=D("59995"),
                          closed_ts=T0 + 1_000 * MS)
    assert run(capture(MESSAGES, trades), order).verdict == Verdict.PLATFORM_FAULT
    quiet = [(T0 + 50 * MS, Side.SELL, "59999.5", "2.0")]
    assert run(capture(MESSAGES, quiet), order).verdict == Verdict.CUSTOMER_PARAMETERS


UNDETERMINED_CASES = {
    "before the capture": (MESSAGES, [], {"accept_ts": T0 - 1_000 * MS},
                           "does not cover 2024-08-08 23:54:59.000Z"),
    "after the capture": (MESSAGES[:2], [], {"fills": (Fill(T0 + 9_000 * MS, D("60010"),
                                                             D("3")),)}, "capture ends"),
    "sequence gap": (MESSAGES, [DataGap(T0 + 500 * MS, T0 + 10**10, "depth", 7, 9, "U=9")], {},
                     "sequence gap in depth"),
    "checksum": (MESSAGES, [ChecksumMismatch(T0 + 10 * MS, T0 + 10**10, 42, 1, 2)], {},
                 "checksum mismatch at seqId 42"),
    "out of order": (MESSAGES, [OutOfOrder(T0 + 5 * MS, T0 + 9 * MS, "depth", 3, T0 + 9 * MS)],
                     {}, "out-of-order timestamps"),
    "crossed book": ([*MESSAGES[:1], (T0 + 1, Kind.DIFF, [("60000.5", "1.0")], []),
                      *MESSAGES[1:]], [], {}, "crossed"),
    "no snapshot": ([(T0, Kind.DIFF, BIDS, ASKS_A), MESSAGES[2]], [], {}, "no snapshot"),
    "thin book": (MESSAGES, [], {"size": D("50"), "fills": ()}, "captured book depth"),
}


@pytest.mark.parametrize("case", UNDETERMINED_CASES)
def test_bad_input_gives_undetermined_with_reason(case: str) -> None:
    messages, findings, changes, why = UNDETERMINED_CASES[case]
    fields = {"side": Side.BUY, "order_type": OrderType.MARKET, "size": D("3"),
              "accept_ts": T0, "fills": FILLS_LATE, **changes}
    cap = capture(messages, findings=findings)  # type: ignore[arg-type]
    result = run(cap, DisputedOrder(**fields))  # type: ignore[arg-type]
    assert result.verdict == Verdict.UNDETERMINED
    assert result.reason.startswith("undetermined because ")
    assert why in result.reason


def test_store_round_trip_and_chart(tmp_path: Path) -> None:
    findings = [DataGap(T0 + 10**11, T0 + 2 * 10**11, "depth", 1, 5, "U=5")]
    cap = capture(MESSAGES, [(T0 + 800 * MS, Side.BUY, "60010.0", "0.6")], findings)
    index = ReplayIndex.build(cap.events, every=2)
    save_npz(tmp_path / "c.npz", cap, index)
    loaded, loaded_index = load_npz(tmp_path / "c.npz")
    assert loaded.findings == cap.findings
    assert loaded.instrument == cap.instrument
    order = market_buy(FILLS_LATE)
    assert replay_order(loaded, loaded_index, order, LATENCY, NOW) == replay_order(
        cap, index, order, LATENCY, NOW)
    png = order_chart(loaded, loaded_index, order)
    assert png.startswith(b"\x89PNG")


def test_real_capture_order_and_chart(spot: tuple[Capture, ReplayIndex]) -> None:
    cap, index = spot
    accept = (cap.synced_from or 0) + 60 * 10**9
    book = index.book_at(accept + 5 * MS)
    price = cap.instrument.price(book.best_ask or 0)
    lots = int(book.ask_qty[0])
    fills = (Fill(accept + 5 * MS, price, cap.instrument.qty(lots)),)
    order = DisputedOrder(Side.BUY, OrderType.MARKET, cap.instrument.qty(lots), accept, fills)
    result = replay_order(cap, index, order, LatencyModel.fixed(5 * MS, 50 * MS), NOW)
    assert result.verdict == Verdict.WITHIN_EXPECTATION
    assert order_chart(cap, index, order).startswith(b"\x89PNG")
