"""The simulated exchange: matching, ledger, actions exactly once, persistence, faults."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from ombud.evidence.replay import Book, Instrument, Side, walk_book
from ombud.exchange import (
    ClientIdConflict,
    ExchangeActor,
    ExchangeReader,
    ExchangeRejected,
    ExchangeTimeout,
    SimExchange,
    UnknownAccount,
    dto,
)
from ombud.exchange.sim_book import OrderBook, Resting

D = Decimal
EVER = dto.Window(dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC))


def test_the_simulator_satisfies_both_gateway_protocols() -> None:
    sim = SimExchange()
    assert isinstance(sim, ExchangeReader) and isinstance(sim, ExchangeActor)


def test_price_time_priority_and_never_more_than_a_level_holds() -> None:
    book = OrderBook("X")
    book.add(Resting("a", "m1", dto.Side.SELL, D(101), D(1), 1))
    book.add(Resting("b", "m2", dto.Side.SELL, D(100), D("0.5"), 2))
    book.add(Resting("c", "m3", dto.Side.SELL, D(100), D("0.7"), 3))
    matches = book.match(dto.Side.BUY, D(2))
    assert [(m.maker.ord_id, m.px, m.sz) for m in matches] == [
        ("b", D(100), D("0.5")), ("c", D(100), D("0.7")), ("a", D(101), D("0.8"))]
    assert book.depth(dto.Side.SELL) == (dto.BookLevel(D(101), D("0.2"), 1),)


def test_a_limit_price_stops_the_walk() -> None:
    book = OrderBook("X")
    book.add(Resting("a", "m", dto.Side.BUY, D(99), D(1), 1))
    book.add(Resting("b", "m", dto.Side.BUY, D(98), D(1), 2))
    assert [m.px for m in book.match(dto.Side.SELL, D(5), limit_px=D(99))] == [D(99)]


def test_a_market_order_fills_exactly_as_the_replay_walk_of_its_book(tmp_path: Path) -> None:
    sim = SimExchange(seed=3)
    sim.open_account("carol", {"USDT": D(500_000)})
    sim.set_market("BTC-USDT", depth_factor=D("0.2"), gap_ticks=10)
    order = sim.place_order("carol", "BTC-USDT", "buy", "market", D("1.3"))
    snap = next(b for b in sim.books("BTC-USDT", EVER) if b.ts == order.c_time)
    inst = Instrument("BTC-USDT", D("0.1"), D("0.00001"))
    book = Book(np.zeros(0, np.int64), np.zeros(0, np.int64),
                np.array([inst.to_ticks(lv.px) for lv in snap.asks], np.int64),
                np.array([inst.to_lots(lv.sz) for lv in snap.asks], np.int64))
    walk = walk_book(book, inst, Side.BUY, D("1.3"))
    fills = sim.fills("carol", EVER)
    assert tuple((f.fill_px, f.fill_sz) for f in fills) == walk.fills
    assert order.avg_px == walk.vwap and order.state == "filled"


def test_ledger_bills_explain_every_balance() -> None:
    sim = SimExchange(seed=4)
    sim.open_account("carol", {"USDT": D(100_000)})
    sim.place_order("carol", "BTC-USDT", "buy", "market", D("0.7"))
    sim.place_order("carol", "BTC-USDT", "sell", "limit", D("0.2"), D(59_000))
    for balance in sim.balances("carol"):
        bills = sim.bills("carol", EVER, balance.ccy)
        assert sum(b.bal_chg for b in bills) == balance.available
        assert bills[-1].bal == balance.available


def test_orders_need_money_and_an_unfrozen_account() -> None:
    sim = SimExchange()
    sim.open_account("dave", {"USDT": D(100)})
    order = sim.place_order("dave", "BTC-USDT", "buy", "market", D(1))
    assert order.state == "canceled" and order.cancel_source == 9
    sim.freeze_account("dave", "suspected theft")
    with pytest.raises(ExchangeRejected, match="frozen"):
        sim.place_order("dave", "BTC-USDT", "buy", "market", D("0.001"))
    with pytest.raises(UnknownAccount):
        sim.balances("nobody")


def test_same_seed_same_market() -> None:
    a, b = SimExchange(seed=9), SimExchange(seed=9)
    for sim in (a, b):
        sim.advance(dt.timedelta(minutes=3))
    assert a.mark_candles("BTC-USDT", EVER) == b.mark_candles("BTC-USDT", EVER)
    c = SimExchange(seed=10)
    c.advance(dt.timedelta(minutes=3))
    assert c.mark_candles("BTC-USDT", EVER) != a.mark_candles("BTC-USDT", EVER)


def test_a_repeated_client_id_returns_the_first_credit_and_moves_money_once() -> None:
    sim = SimExchange()
    sim.open_account("carol")
    first = sim.credit("carol", "USDT", D("36.35"), "C-2026-000123-r1")
    again = sim.credit("carol", "USDT", D("36.35"), "C-2026-000123-r1")
    assert again == first and sim.transfer_state("C-2026-000123-r1") == first
    assert sim.balances("carol") == [dto.Balance("USDT", D("36.35"))]
    with pytest.raises(ClientIdConflict):
        sim.refund("carol", "USDT", D("36.35"), "C-2026-000123-r1")
    assert sim.transfer_state("never-used") is None
    with pytest.raises(ExchangeRejected, match="clientId"):
        sim.credit("carol", "USDT", D(1), "x" * 33)
    with pytest.raises(ExchangeRejected, match="amount"):
        sim.credit("carol", "USDT", D("0.0000001"), "tiny")


def test_credits_stay_exactly_once_across_a_reload(tmp_path: Path) -> None:
    path = tmp_path / "exchange.json"
    sim = SimExchange.open(path)
    sim.open_account("carol")
    first = sim.credit("carol", "BTC", D("0.01"), "c-1-r1")
    reloaded = SimExchange.open(path)
    assert reloaded.credit("carol", "BTC", D("0.01"), "c-1-r1") == first
    assert reloaded.balances("carol") == [dto.Balance("BTC", D("0.01"))]


def test_a_timeout_after_applying_is_resolved_by_the_client_id_after_a_reload(
        tmp_path: Path) -> None:
    path = tmp_path / "exchange.json"
    sim = SimExchange.open(path)
    sim.open_account("carol")
    sim.fail_next("credit", after_apply=True)
    with pytest.raises(ExchangeTimeout):
        sim.credit("carol", "USDT", D(50), "c-7-r2")
    restarted = SimExchange.open(path)  # the caller crashed; a new process retries
    state = restarted.transfer_state("c-7-r2")
    assert state is not None and state.status == "success"
    assert restarted.credit("carol", "USDT", D(50), "c-7-r2") == state
    assert restarted.balances("carol") == [dto.Balance("USDT", D(50))]


def test_a_timeout_before_applying_moves_nothing() -> None:
    sim = SimExchange()
    sim.open_account("carol")
    sim.fail_next("refund", after_apply=False)
    with pytest.raises(ExchangeTimeout):
        sim.refund("carol", "USDT", D(5), "c-8-r1")
    assert sim.transfer_state("c-8-r1") is None and sim.balances("carol") == []


def test_freeze_is_idempotent() -> None:
    sim = SimExchange()
    sim.open_account("carol")
    assert sim.freeze_account("carol", "theft").changed
    assert not sim.freeze_account("carol", "theft").changed
    assert sim.unfreeze_account("carol", "cleared").changed
    assert not sim.unfreeze_account("carol", "cleared").changed


def test_the_whole_state_survives_a_save_and_load(tmp_path: Path) -> None:
    sim = SimExchange(seed=5)
    sim.open_account("carol", {"USDT": D(100_000)})
    sim.place_order("carol", "BTC-USDT", "buy", "limit", D("0.5"), D(59_000))  # rests
    sim.advance(dt.timedelta(seconds=5))
    sim.save(tmp_path / "s.json")
    loaded = SimExchange.open(tmp_path / "s.json")
    assert loaded.state == sim.state
    assert loaded.orders("carol", EVER) == sim.orders("carol", EVER)
    sim.advance(dt.timedelta(seconds=30))
    loaded.advance(dt.timedelta(seconds=30))
    assert loaded.state.mids == sim.state.mids  # the random stream continues identically


def test_cancelled_withdrawals_return_the_funds() -> None:
    sim = SimExchange()
    sim.open_account("carol", {"BTC": D(1)})
    wd = sim.withdraw("carol", "BTC", "BTC-Bitcoin", D("0.5"), "bc1qx", fee=D("0.0002"))
    assert sim.balances("carol") == [dto.Balance("BTC", D("0.4998"))]
    sim.set_withdrawal_state("carol", wd.wd_id, -2)
    assert sim.balances("carol") == [dto.Balance("BTC", D(1))]
    assert sim.withdrawals("carol", EVER)[0].known_state is not None


def test_records_refuse_naive_times_and_float_amounts() -> None:
    with pytest.raises(ValueError, match="timezone"):
        dto.Trade("X", "1", D(1), D(1), dto.Side.BUY, dt.datetime(2026, 1, 1))
    with pytest.raises(TypeError, match="float"):
        dto.Balance("BTC", 0.1)  # type: ignore[arg-type]


def test_a_resting_order_its_account_cannot_pay_is_cancelled_not_matched() -> None:
    sim = SimExchange(seed=6)
    sim.open_account("dave", {"BTC": D("0.5")})
    sim.open_account("carol", {"USDT": D(100_000)})
    best_ask = sim.snapshot("BTC-USDT").asks[0].px
    resting = sim.place_order("dave", "BTC-USDT", "sell", "limit", D("0.5"), best_ask - D("0.1"))
    assert resting.state == "live"
    sim.withdraw("dave", "BTC", "BTC-Bitcoin", D("0.5"), "bc1qdave")  # funds leave
    order = sim.place_order("carol", "BTC-USDT", "buy", "market", D("0.1"))
    assert order.state == "filled"
    assert all(f.fill_px >= best_ask for f in sim.fills("carol", EVER))
    (dave_order,) = sim.orders("dave", EVER)
    assert dave_order.state == "canceled" and dave_order.cancel_source == 9
    assert sim.balances("dave") == [dto.Balance("BTC", D(0))]


def test_aware_times_in_other_zones_are_kept_in_utc() -> None:
    hk = dt.datetime(2026, 3, 2, 17, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    trade = dto.Trade("X", "1", D(1), D(1), dto.Side.BUY, hk)
    assert trade.ts.tzinfo is dt.UTC and trade.ts.hour == 9


def _credit_all(path: str, client_ids: list[str]) -> None:
    """Child process: credit 1 USDT to carol once per client id, through a shared instance."""
    for client_id in client_ids:
        SimExchange.shared(Path(path)).credit("carol", "USDT", D(1), client_id)


def test_processes_sharing_the_saved_exchange_lose_no_credit_and_pay_each_id_once(
        tmp_path: Path) -> None:
    path = tmp_path / "exchange.json"
    SimExchange.open(path).open_account("carol")
    ids = [f"OMB-{n}" for n in range(150)]
    ctx = multiprocessing.get_context("spawn")
    # three processes; the middle one overlaps both others, as a retry by another worker would
    procs = [ctx.Process(target=_credit_all, args=(str(path), part))
             for part in (ids[:100], ids[50:150], ids[100:])]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
    assert [proc.exitcode for proc in procs] == [0, 0, 0]
    sim = SimExchange.open(path)
    assert sorted(t.client_id for t in sim.transfers()) == sorted(ids)
    assert sim.balances("carol") == [dto.Balance("USDT", D(150))]
    bills = sim.bills("carol", EVER)
    assert len(bills) == 150 and len({b.bill_id for b in bills}) == 150
    assert sum(b.bal_chg for b in sim.bills("treasury", EVER, "USDT")) == D(-150)


def test_an_instance_catches_up_with_actions_and_set_up_changes_made_elsewhere(
        tmp_path: Path) -> None:
    path = tmp_path / "exchange.json"
    one, two = SimExchange.open(path), SimExchange.open(path)
    one.open_account("carol")  # rewrites the snapshot: two must reload before acting
    two.credit("carol", "USDT", D(5), "c-1")
    assert one.transfer_state("c-1") is not None  # one reads two's journal line
    one.freeze_account("carol", "theft")
    two.open_account("dave", {"BTC": D(1)})  # a snapshot that includes the journal so far
    three = SimExchange.open(path)
    assert three.balances("carol") == [dto.Balance("USDT", D(5))]
    assert three.state.frozen == {"carol": "theft"} and three.balances("dave")
    assert one.credit("carol", "USDT", D(5), "c-1") == two.transfer_state("c-1")
    assert SimExchange.open(path).balances("carol") == [dto.Balance("USDT", D(5))]


def test_a_torn_journal_line_left_by_a_killed_writer_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "exchange.json"
    sim = SimExchange.open(path)
    sim.open_account("carol")
    sim.credit("carol", "USDT", D(2), "c-1")
    journal = path.with_name("exchange.json.journal")
    with journal.open("ab") as fh:
        fh.write(b'{"n":2,"op":"trans')  # the process died in the middle of its write
    again = SimExchange.open(path)
    again.credit("carol", "USDT", D(3), "c-2")
    reloaded = SimExchange.open(path)
    assert [t.client_id for t in reloaded.transfers()] == ["c-1", "c-2"]
    assert reloaded.balances("carol") == [dto.Balance("USDT", D(5))]


def test_the_shared_instance_is_one_per_process_and_kept_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "exchange.json"
    shared = SimExchange.shared(path)
    shared.open_account("carol")
    SimExchange.open(path).credit("carol", "USDT", D(1), "c-9")  # another process, in effect
    assert SimExchange.shared(path) is shared
    assert shared.balances("carol") == [dto.Balance("USDT", D(1))]
