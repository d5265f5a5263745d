"""Scenario injection: each function stages one kind of complaint on a simulated exchange and
returns the evidence an investigator would pull (through the `ExchangeReader` methods) and the
ground truth a correct investigation must reach.

Faults use the finding vocabulary: platform, customer, third_party, market, undetermined.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ombud.exchange.dto import (
    DepositAddress,
    OnChainTransfer,
    SecurityEvent,
    SecurityEventKind,
    StatusWindow,
    Window,
)
from ombud.exchange.sim import SimExchange
from ombud.exchange.sim_derivs import adl_ranking, adl_triggered

MINUTE = dt.timedelta(minutes=1)
SPOT = "BTC-USDT"
SWAP = "BTC-USDT-SWAP"
BERLIN = (52.52, 13.405)
LAGOS = (6.5244, 3.3792)


@dataclass(frozen=True)
class Truth:
    """What a correct investigation concludes."""

    category: str
    subcategory: str
    verdict: str
    fault: str
    summary: str
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """A staged complaint: who, when, the evidence records and the ground truth."""

    name: str
    account: str
    window: Window
    evidence: dict[str, tuple[Any, ...]]
    truth: Truth


def _address(account: str, chain: str, prefix: str, length: int) -> str:
    return prefix + hashlib.sha256(f"{account}/{chain}".encode()).hexdigest()[:length]


def _ensure(sim: SimExchange, account: str, balances: dict[str, Decimal]) -> None:
    if account not in sim.state.balances:
        sim.open_account(account)
    for ccy, amount in balances.items():
        sim.credit(account, ccy, amount, f"seed-{account}-{ccy}-{sim.state.seq}")


def _pull(sim: SimExchange, account: str, window: Window, *, inst_id: str | None = None,
          ccy: str | None = None) -> dict[str, tuple[Any, ...]]:
    """What an investigator reads through the gateway for this account and window."""
    evidence: dict[str, tuple[Any, ...]] = {
        "orders": tuple(sim.orders(account, window, inst_id)),
        "fills": tuple(sim.fills(account, window, inst_id)),
        "bills": tuple(sim.bills(account, window, ccy)),
        "deposits": tuple(sim.deposits(account, window, ccy)),
        "withdrawals": tuple(sim.withdrawals(account, window, ccy)),
        "system_status": tuple(sim.system_status(window)),
    }
    if inst_id is not None:
        evidence |= {
            "books": tuple(sim.books(inst_id, window)),
            "trades": tuple(sim.trades(inst_id, window)),
            "position_history": tuple(sim.position_history(account, window, inst_id)),
            "liquidations": tuple(sim.liquidations(account, window, inst_id)),
            "mark_candles": tuple(sim.mark_candles(inst_id, window)),
            "index_candles": tuple(sim.index_candles(inst_id, window)),
        }
    if ccy is not None:
        evidence |= {"deposit_addresses": tuple(sim.deposit_addresses(account, ccy)),
                     "currencies": tuple(sim.currencies(ccy))}
    return evidence


def slippage_on_thin_book(sim: SimExchange | None = None, account: str = "carol") -> Scenario:
    """A 2 BTC market buy walks a thin ask side: filled as the book stood, no platform fault."""
    sim = sim or SimExchange(seed=11)
    _ensure(sim, account, {"USDT": Decimal(200_000)})
    start = sim.now
    sim.advance(MINUTE)
    sim.set_market(SPOT, depth_factor=Decimal("0.3"), gap_ticks=25)
    expected, _ = sim.quote(SPOT, "buy", Decimal(2))
    order = sim.place_order(account, SPOT, "buy", "market", Decimal(2))
    sim.advance(MINUTE)
    sim.set_market(SPOT, depth_factor=Decimal(1), gap_ticks=1)
    window = Window(start, sim.now)
    evidence = _pull(sim, account, window, inst_id=SPOT)
    best_ask = next(b for b in evidence["books"] if b.ts == order.c_time).asks[0].px
    assert order.avg_px is not None
    levels = len({f.fill_px for f in evidence["fills"] if f.ord_id == order.ord_id})
    slip = (order.avg_px - best_ask) / best_ask * 10_000
    return Scenario("slippage_on_thin_book", account, window, evidence, Truth(
        "trade_dispute", "slippage", "within_expectation", "market",
        f"The market buy of 2 BTC walked {levels} levels of a thin book; it filled at "
        f"{slip:.2f} bp over the best ask, exactly what the book at acceptance held.",
        {"ord_id": order.ord_id, "best_ask": best_ask, "expected_vwap": expected,
         "actual_vwap": order.avg_px, "slippage_bps": slip, "levels_walked": levels}))


def delayed_fill(sim: SimExchange | None = None, account: str = "carol",
                 lag: dt.timedelta = dt.timedelta(milliseconds=1200)) -> Scenario:
    """Matching-engine lag: accepted at t_a, matched `lag` later after the price rose."""
    sim = sim or SimExchange(seed=12)
    _ensure(sim, account, {"USDT": Decimal(200_000)})
    start = sim.now
    sim.advance(MINUTE)
    sim.record_status(StatusWindow("Matching engine latency on spot", "completed",
                                   sim.now - dt.timedelta(seconds=20), sim.now + 5 * MINUTE,
                                   service_type="5", system="unified"))
    size = Decimal("1.5")
    expected, _ = sim.quote(SPOT, "buy", size)
    order = sim.accept_order(account, SPOT, "buy", "market", size)
    sim.advance(lag, step=lag)
    sim.set_market(SPOT, mid=sim.state.mids[SPOT] * Decimal("1.002"))
    order = sim.execute(account, order.ord_id)
    sim.advance(MINUTE)
    window = Window(start, sim.now)
    assert expected is not None and order.avg_px is not None
    cost = (order.avg_px - expected) * order.acc_fill_sz
    return Scenario("delayed_fill", account, window, _pull(sim, account, window, inst_id=SPOT),
                    Truth("trade_dispute", "delayed_fill", "platform_fault", "platform",
                          f"Accepted at {order.c_time:%H:%M:%S.%f}, matched "
                          f"{lag.total_seconds() * 1000:.0f} ms later during a published "
                          f"matching-engine incident; the delay cost {cost:.2f} USDT.",
                          {"ord_id": order.ord_id, "lag_ms": int(lag.total_seconds() * 1000),
                           "expected_vwap": expected, "actual_vwap": order.avg_px,
                           "delay_cost": cost}))


def liquidation_on_mark_wick(sim: SimExchange | None = None,
                             account: str = "carol") -> Scenario:
    """A 10x long is liquidated by a one-off mark-price wick the index never showed."""
    sim = sim or SimExchange(seed=13)
    _ensure(sim, account, {"USDT": Decimal(20_000)})
    start = sim.now
    sim.set_market(SWAP, mid=Decimal(57_000), basis=Decimal(0))
    pos = sim.open_position(account, SWAP, "long", Decimal(100), Decimal(60_000), Decimal(10))
    sim.advance(2 * MINUTE + dt.timedelta(seconds=30))
    index = sim.state.mids[SWAP]
    wick = Decimal(54_100)
    sim.mark_wick(SWAP, wick)
    sim.advance(2 * MINUTE)
    window = Window(start, sim.now)
    deviation = (index - wick) / index * 100
    return Scenario("liquidation_on_mark_wick", account, window,
                    _pull(sim, account, window, inst_id=SWAP), Truth(
        "derivatives_liquidation", "abnormal_liquidation", "mark_price_wick", "platform",
        f"The liquidation price {pos.liq_px} was reached only by a mark-price print of {wick}, "
        f"{deviation:.2f}% below the index {index}; the index never came near it.",
        {"liq_px": pos.liq_px, "bk_px": Decimal(54_000), "trigger_mark_px": wick,
         "index_px": index, "wick_pct": deviation, "margin": pos.margin}))


def auto_deleverage(sim: SimExchange | None = None, account: str = "carol") -> Scenario:
    """A bankrupt whale drains the insurance fund; the customer's profitable short is ADL'd."""
    sim = sim or SimExchange(seed=14)
    for who, usdt in ((account, 10_000), ("trader-b", 10_000), ("whale", 10_000)):
        _ensure(sim, who, {"USDT": Decimal(usdt)})
    start = sim.now
    sim.set_market(SWAP, mid=Decimal(60_000), basis=Decimal(0))
    sim.state.insurance_fund[SWAP] = peak = Decimal(5_000)
    sim.open_position(account, SWAP, "short", Decimal(50), Decimal(62_000), Decimal(20))
    sim.open_position("trader-b", SWAP, "short", Decimal(50), Decimal(61_000), Decimal(5))
    sim.open_position("whale", SWAP, "long", Decimal(500), Decimal(60_000), Decimal(50))
    sim.advance(MINUTE)
    sim.set_market(SWAP, mid=Decimal(58_000))  # gaps through the whale's bankruptcy price
    fund = sim.state.insurance_fund[SWAP]
    ranking = adl_ranking(sim.state, sim.state.instruments[SWAP], "short", Decimal(58_000))
    assert adl_triggered(peak, fund)
    sim.auto_deleverage(SWAP, "short", Decimal(80))
    sim.advance(MINUTE)
    window = Window(start, sim.now)
    return Scenario("auto_deleverage", account, window,
                    _pull(sim, account, window, inst_id=SWAP), Truth(
        "derivatives_liquidation", "auto_deleverage", "adl_per_rules", "market",
        f"The insurance fund fell from {peak} to {fund} USDT (more than 30% off its peak); "
        f"the customer's short ranked first by PnL% x effective leverage and was closed at "
        f"the mark price 58000.",
        {"fund_peak": peak, "fund_after": fund, "ranking": ranking, "close_px": Decimal(58_000),
         "closed_contracts": Decimal(50)}))


def withdrawal_stuck_in_review(sim: SimExchange | None = None,
                               account: str = "carol") -> Scenario:
    """A 2 BTC withdrawal sits in OKX state 4 (manual review) for 50 hours, never broadcast."""
    sim = sim or SimExchange(seed=15)
    _ensure(sim, account, {"BTC": Decimal(3)})
    start = sim.now
    wd = sim.withdraw(account, "BTC", "BTC-Bitcoin", Decimal(2),
                      _address(account, "btc-out", "bc1q", 38), fee=Decimal("0.0002"))
    sim.advance(dt.timedelta(seconds=10), step=dt.timedelta(seconds=10))
    sim.set_withdrawal_state(account, wd.wd_id, 4)
    sim.advance(dt.timedelta(hours=50), step=dt.timedelta(hours=1))
    window = Window(start, sim.now)
    return Scenario("withdrawal_stuck_in_review", account, window,
                    _pull(sim, account, window, ccy="BTC"), Truth(
        "deposit_withdrawal", "delayed", "stuck_in_exchange_state", "platform",
        "The withdrawal has waited 50 hours in state 4 (manual review); it was never "
        "broadcast, so there is nothing on chain to trace.",
        {"wd_id": wd.wd_id, "state": 4, "hours_in_state": 50, "tx_id": None}))


def deposit_wrong_network(sim: SimExchange | None = None, account: str = "carol") -> Scenario:
    """500 USDT sent on BSC to the customer's ERC-20 address: never credited."""
    sim = sim or SimExchange(seed=16)
    erc20 = _address(account, "USDT-ERC20", "0x", 40)
    sim.open_account(account, addresses=[
        DepositAddress("USDT", "USDT-ERC20", erc20),
        DepositAddress("USDT", "USDT-TRC20", _address(account, "USDT-TRC20", "T", 33))])
    start = sim.now
    tx = OnChainTransfer("BSC", _address(account, "bsc-tx", "0x", 64), erc20, Decimal(500),
                         "USDT", confirmations=45)
    sim.record_chain(tx)
    sim.advance(30 * MINUTE, step=MINUTE)
    window = Window(start, sim.now)
    evidence = _pull(sim, account, window, ccy="USDT") | {"chain": (tx,)}
    return Scenario("deposit_wrong_network", account, window, evidence, Truth(
        "deposit_withdrawal", "wrong_network_or_memo", "wrong_network", "customer",
        "The transfer went over BSC to the customer's USDT-ERC20 address; the exchange accepts "
        "USDT only on ERC20 and TRC20, so it never saw the deposit.",
        {"tx_id": tx.tx_id, "network": "BSC", "address": erc20,
         "supported": ("USDT-ERC20", "USDT-TRC20")}))


def deposit_missing_memo(sim: SimExchange | None = None, account: str = "carol") -> Scenario:
    """250 XRP sent to the shared XRP address without the customer's destination tag."""
    sim = sim or SimExchange(seed=17)
    shared = "rOmbudShared" + _address("shared", "XRP", "", 22)
    tag = str(int(hashlib.sha256(account.encode()).hexdigest()[:7], 16))
    sim.open_account(account, addresses=[DepositAddress("XRP", "XRP-Ripple", shared, tag=tag)])
    start = sim.now
    tx = OnChainTransfer("Ripple", _address(account, "xrp-tx", "", 64).upper(), shared,
                         Decimal(250), "XRP", confirmations=1, memo=None)
    sim.record_chain(tx)
    sim.advance(30 * MINUTE, step=MINUTE)
    window = Window(start, sim.now)
    evidence = _pull(sim, account, window, ccy="XRP") | {"chain": (tx,)}
    return Scenario("deposit_missing_memo", account, window, evidence, Truth(
        "deposit_withdrawal", "wrong_network_or_memo", "missing_memo", "customer",
        f"250 XRP reached the shared address without the destination tag {tag}; the exchange "
        "cannot tell whose deposit it is until the customer proves the transfer.",
        {"tx_id": tx.tx_id, "address": shared, "expected_tag": tag}))


def login_new_country_then_withdrawal(sim: SimExchange | None = None,
                                      account: str = "carol") -> Scenario:
    """Weeks of Berlin logins, then a login from Lagos on a new device, a password change, a
    new withdrawal address and a 1.5 BTC withdrawal within 12 minutes."""
    sim = sim or SimExchange(seed=18)
    _ensure(sim, account, {"BTC": Decimal(2)})
    now = sim.now
    start = now - dt.timedelta(days=30)
    for day in (28, 21, 14, 7, 3):
        sim.record_security_event(account, _event(account, now - dt.timedelta(days=day), "DE",
                                                  "dev-laptop", BERLIN))
    sim.record_security_event(account, _event(account, now - dt.timedelta(hours=2), "DE",
                                              "dev-laptop", BERLIN))
    sim.record_security_event(account, _event(account, now, "NG", "dev-new", LAGOS))
    for minutes, kind in ((3, SecurityEventKind.PASSWORD_CHANGED),
                          (6, SecurityEventKind.WITHDRAWAL_ADDRESS_ADDED)):
        sim.record_security_event(account, _event(account, now + minutes * MINUTE, "NG",
                                                  "dev-new", LAGOS, kind))
    sim.advance(12 * MINUTE, step=MINUTE)
    dest = _address("attacker", "btc", "bc1q", 38)
    wd = sim.withdraw(account, "BTC", "BTC-Bitcoin", Decimal("1.5"), dest, state=2)
    sim.record_security_event(account, _event(account, sim.now, "NG", "dev-new", LAGOS,
                                              SecurityEventKind.WITHDRAWAL))
    sim.advance(MINUTE)
    window = Window(start, sim.now)
    evidence = _pull(sim, account, window, ccy="BTC") | {
        "security_events": tuple(sim.security_events(account, window))}
    return Scenario("login_new_country_then_withdrawal", account, window, evidence, Truth(
        "account_security", "unauthorised_withdrawal", "suspected_account_takeover",
        "third_party",
        "A login from Nigeria on a never-seen device, two hours after a Berlin login, was "
        "followed by a password change, a new withdrawal address and a 1.5 BTC withdrawal "
        "12 minutes later.",
        {"wd_id": wd.wd_id, "new_country": "NG", "new_device": "dev-new",
         "minutes_to_withdrawal": 12, "destination": dest}))


def _event(account: str, at: dt.datetime, country: str, device: str,
           where: tuple[float, float],
           kind: SecurityEventKind = SecurityEventKind.LOGIN) -> SecurityEvent:
    return SecurityEvent(id=f"{account}-{kind.value}-{at:%Y%m%d%H%M%S}", at=at, kind=kind,
                         ip="198.51.100.7" if country == "DE" else "203.0.113.50",
                         country=country, device_id=device, lat=where[0], lon=where[1],
                         factors=("password", "totp"))


SCENARIOS: dict[str, Callable[..., Scenario]] = {
    fn.__name__: fn for fn in (
        slippage_on_thin_book, delayed_fill, liquidation_on_mark_wick, auto_deleverage,
        withdrawal_stuck_in_review, deposit_wrong_network, deposit_missing_memo,
        login_new_country_then_withdrawal)
}
