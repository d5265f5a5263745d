"""Each injected scenario's evidence supports its ground truth, checked by independent code:
the replay's book walk, the liquidation recomputation and the login review."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from ombud.evidence import login_review
from ombud.evidence.liquidation import MarginMode, OkxRules, Position, Tier, recompute_liquidation
from ombud.evidence.liquidation import Side as PosSide
from ombud.evidence.liquidation import Verdict as LiqVerdict
from ombud.evidence.liquidation.model import Candle as LiqCandle
from ombud.evidence.replay import Book, Instrument, Side, walk_book
from ombud.exchange import SCENARIOS, SimExchange
from ombud.exchange import sim_scenarios as sc
from ombud.exchange.dto import BookSnapshot, Candle, LiquidationKind

D = Decimal
BTC_USDT = Instrument("BTC-USDT", D("0.1"), D("0.00001"))


def replay_vwap(snapshot: BookSnapshot, size: Decimal) -> Decimal | None:
    """VWAP of a market buy walked by the replay engine over a recorded snapshot."""
    book = Book(np.zeros(0, np.int64), np.zeros(0, np.int64),
                np.array([BTC_USDT.to_ticks(lv.px) for lv in snapshot.asks], np.int64),
                np.array([BTC_USDT.to_lots(lv.sz) for lv in snapshot.asks], np.int64))
    walk = walk_book(book, BTC_USDT, Side.BUY, size)
    assert walk.stopped_by is None
    return walk.vwap


def test_slippage_on_a_thin_book_is_what_the_book_held() -> None:
    s = sc.slippage_on_thin_book()
    (order,) = s.evidence["orders"]
    snap = next(b for b in s.evidence["books"] if b.ts == order.c_time)
    assert replay_vwap(snap, order.sz) == order.avg_px == s.truth.figures["expected_vwap"]
    assert s.truth.figures["levels_walked"] == len(s.evidence["fills"]) > 5
    assert s.truth.figures["slippage_bps"] > 1
    assert (s.truth.verdict, s.truth.fault) == ("within_expectation", "market")
    assert not s.evidence["system_status"]


def test_a_delayed_fill_costs_the_move_between_acceptance_and_matching() -> None:
    s = sc.delayed_fill()
    (order,) = s.evidence["orders"]
    assert order.fill_time is not None
    assert order.fill_time - order.c_time == dt.timedelta(milliseconds=1200)
    at_accept = next(b for b in s.evidence["books"] if b.ts == order.c_time)
    at_fill = next(b for b in s.evidence["books"] if b.ts == order.fill_time)
    assert replay_vwap(at_accept, order.sz) == s.truth.figures["expected_vwap"]
    assert replay_vwap(at_fill, order.sz) == order.avg_px == s.truth.figures["actual_vwap"]
    assert s.truth.figures["delay_cost"] > 0 and s.truth.fault == "platform"
    (incident,) = s.evidence["system_status"]
    assert incident.begin <= order.c_time and incident.end and incident.end >= order.fill_time


def _liq_candles(candles: tuple[Candle, ...]) -> list[LiqCandle]:
    return [LiqCandle(c.ts, c.o, c.h, c.low, c.c) for c in candles]


def test_a_mark_wick_liquidation_is_recomputed_as_a_wick() -> None:
    s = sc.liquidation_on_mark_wick()
    (liq,) = s.evidence["liquidations"]
    assert liq.kind is LiquidationKind.FULL and liq.trigger_px == D(54_100)
    assert s.truth.figures["liq_px"] == D("54244.1") and liq.bk_px == D(54_000)
    (fill,) = s.evidence["fills"]
    assert fill.trade_id.startswith("-") and fill.sub_type == 104 and fill.exec_type is None
    assert fill.fill_mark_px == D(54_100) and fill.fill_idx_px == s.truth.figures["index_px"]
    assert any(b.type == 5 for b in s.evidence["bills"])
    (hist,) = s.evidence["position_history"]
    assert hist.type == 3 and hist.trigger_px == D(54_100)
    assert hist.realized_pnl == -s.truth.figures["margin"]
    rules = OkxRules(tiers=(Tier(1, D(0), D(500), D("0.004"), D(125)),),
                     taker_fee_rate=D("0.0005"))
    position = Position("BTC-USDT-SWAP", PosSide.LONG, D(100), D(60_000), MarginMode.ISOLATED,
                        D(10), D(6000), ct_val=D("0.01"))
    result = recompute_liquidation(
        position, rules, _liq_candles(s.evidence["mark_candles"]), window_start=hist.c_time,
        liquidated_at=liq.ts, index_candles=_liq_candles(s.evidence["index_candles"]),
        price_tolerance=D("0.1"))
    assert result.verdict is LiqVerdict.MARK_PRICE_WICK, result.reason


def test_auto_deleverage_closes_the_top_ranked_short_at_the_mark() -> None:
    sim = SimExchange(seed=14)
    s = sc.auto_deleverage(sim)
    ranking = s.truth.figures["ranking"]
    assert ranking[0][0] == "carol" and ranking[0][1] > ranking[1][1]
    (liq,) = s.evidence["liquidations"]
    assert liq.kind is LiquidationKind.ADL and liq.fill_px == D(58_000) and liq.sz == D(50)
    (order,) = s.evidence["orders"]
    assert order.category == "adl"
    (fill,) = s.evidence["fills"]
    assert fill.sub_type == 126 and fill.trade_id.startswith("-")
    assert any(b.type == 9 for b in s.evidence["bills"])
    assert s.evidence["position_history"][0].type == 6  # fully closed by ADL
    other = sim.position_history("trader-b", s.window)
    assert [h.type for h in other] == [5]  # 30 of 50 contracts, not fully closed
    assert s.truth.figures["fund_after"] <= s.truth.figures["fund_peak"] * D("0.7")


def test_a_withdrawal_stuck_in_review_never_reached_the_chain() -> None:
    s = sc.withdrawal_stuck_in_review()
    (wd,) = s.evidence["withdrawals"]
    assert wd.state == 4 and wd.tx_id is None
    assert s.window.end - wd.ts >= dt.timedelta(hours=50)


@pytest.mark.parametrize("name", ["deposit_wrong_network", "deposit_missing_memo"])
def test_misdirected_deposits_leave_no_exchange_record(name: str) -> None:
    s = SCENARIOS[name]()
    assert s.evidence["deposits"] == () and len(s.evidence["chain"]) == 1
    assert s.evidence["deposit_addresses"] and s.truth.fault == "customer"


def test_a_login_from_a_new_country_before_a_withdrawal_is_flagged() -> None:
    s = sc.login_new_country_then_withdrawal()
    events = [login_review.SecurityEvent(e.id, e.at, login_review.EventKind(e.kind.value),
                                         e.ip, e.country, e.device_id, e.lat, e.lon)
              for e in s.evidence["security_events"]]
    new_login = next(e for e in events if e.country == "NG")
    review = login_review.review_logins(events, now=s.window.end,
                                        since=new_login.at - dt.timedelta(hours=1))
    kinds = {f.kind for f in review.flags}
    assert {login_review.FlagKind.NEW_COUNTRY, login_review.FlagKind.NEW_DEVICE,
            login_review.FlagKind.IMPOSSIBLE_TRAVEL,
            login_review.FlagKind.CREDENTIAL_CHANGE_BEFORE_WITHDRAWAL} <= kinds
    (wd,) = s.evidence["withdrawals"]
    assert wd.ts - new_login.at == dt.timedelta(minutes=12)


def test_every_scenario_runs_on_one_shared_exchange_and_survives_a_reload(
        tmp_path: Path) -> None:
    path = tmp_path / "exchange.json"
    sim = SimExchange.open(path, seed=21)
    names = {"slippage_on_thin_book": "carol", "delayed_fill": "dave",
             "liquidation_on_mark_wick": "erin", "auto_deleverage": "frank",
             "withdrawal_stuck_in_review": "grace", "deposit_wrong_network": "heidi",
             "deposit_missing_memo": "ivan", "login_new_country_then_withdrawal": "judy"}
    scenarios = {name: SCENARIOS[name](sim, account) for name, account in names.items()}
    assert set(scenarios) == set(SCENARIOS)
    reloaded = SimExchange.open(path)
    for name, s in scenarios.items():
        assert tuple(reloaded.orders(s.account, s.window)) == s.evidence["orders"], name
        assert tuple(reloaded.withdrawals(s.account, s.window)) == s.evidence["withdrawals"]
