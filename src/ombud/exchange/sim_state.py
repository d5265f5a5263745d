"""State of the simulated exchange: plain dataclasses, saved to and loaded from one JSON file."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ombud.exchange import codec
from ombud.exchange.dto import (
    Bill,
    BookSnapshot,
    Candle,
    CurrencyInfo,
    Deposit,
    DepositAddress,
    Fill,
    Liquidation,
    OnChainTransfer,
    Order,
    Position,
    PositionHistory,
    SecurityEvent,
    StatusWindow,
    Trade,
    TransferState,
    Withdrawal,
)
from ombud.exchange.sim_book import Resting

MARKET_MAKER = "mm"
TREASURY = "treasury"  # pays credits and refunds


@dataclass
class SimInstrument:
    """A tradable instrument of the simulated exchange."""

    inst_id: str
    inst_type: str  # SPOT or SWAP
    base: str
    quote: str
    tick_sz: Decimal
    lot_sz: Decimal
    level_sz: Decimal  # typical resting size per level, in base (spot) or contracts (swap)
    ct_val: Decimal = Decimal(1)  # base per contract (swap)
    mmr: Decimal = Decimal("0.004")
    taker_fee: Decimal = Decimal("0.0005")
    levels: int = 20
    vol_bps: float = 1.0  # standard deviation of the mid per one-second step, basis points


@dataclass
class SimState:
    """Everything the simulated exchange knows; JSON-serialisable through `codec`."""

    now: dt.datetime
    rng: tuple[int, tuple[int, ...], float | None]
    seq: int = 1000
    instruments: dict[str, SimInstrument] = field(default_factory=dict)
    mids: dict[str, Decimal] = field(default_factory=dict)
    basis: dict[str, Decimal] = field(default_factory=dict)  # mark minus index
    depth_factor: dict[str, Decimal] = field(default_factory=dict)
    gap_ticks: dict[str, int] = field(default_factory=dict)
    balances: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    frozen: dict[str, str] = field(default_factory=dict)  # account -> reason
    addresses: dict[str, list[DepositAddress]] = field(default_factory=dict)
    currencies: list[CurrencyInfo] = field(default_factory=list)
    resting: dict[str, list[Resting]] = field(default_factory=dict)
    orders: dict[str, list[Order]] = field(default_factory=dict)
    fills: dict[str, list[Fill]] = field(default_factory=dict)
    bills: dict[str, list[Bill]] = field(default_factory=dict)
    deposits: dict[str, list[Deposit]] = field(default_factory=dict)
    withdrawals: dict[str, list[Withdrawal]] = field(default_factory=dict)
    positions: dict[str, list[Position]] = field(default_factory=dict)
    position_history: dict[str, list[PositionHistory]] = field(default_factory=dict)
    liquidations: dict[str, list[Liquidation]] = field(default_factory=dict)
    security_events: dict[str, list[SecurityEvent]] = field(default_factory=dict)
    mark_candles: dict[str, list[Candle]] = field(default_factory=dict)
    index_candles: dict[str, list[Candle]] = field(default_factory=dict)
    books: dict[str, list[BookSnapshot]] = field(default_factory=dict)
    trades: dict[str, list[Trade]] = field(default_factory=dict)
    status: list[StatusWindow] = field(default_factory=list)
    transfers: dict[str, TransferState] = field(default_factory=dict)
    chain: list[OnChainTransfer] = field(default_factory=list)
    insurance_fund: dict[str, Decimal] = field(default_factory=dict)
    journal: int = 0  # number of the last journal entry the state includes


def default_state(seed: int, start: dt.datetime) -> SimState:
    """A fresh exchange: BTC/ETH spot and a BTC perpetual, a market maker and a treasury."""
    rng = random.Random(seed)
    version, internal, gauss = rng.getstate()
    state = SimState(now=start, rng=(version, internal, gauss))
    for inst in (
        SimInstrument("BTC-USDT", "SPOT", "BTC", "USDT", Decimal("0.1"), Decimal("0.00001"),
                      Decimal("0.5"), taker_fee=Decimal("0.001")),
        SimInstrument("ETH-USDT", "SPOT", "ETH", "USDT", Decimal("0.01"), Decimal("0.0001"),
                      Decimal("8"), taker_fee=Decimal("0.001")),
        SimInstrument("BTC-USDT-SWAP", "SWAP", "BTC", "USDT", Decimal("0.1"), Decimal("1"),
                      Decimal("50"), ct_val=Decimal("0.01")),
    ):
        state.instruments[inst.inst_id] = inst
    state.mids.update({"BTC-USDT": Decimal("60000"), "ETH-USDT": Decimal("3000"),
                       "BTC-USDT-SWAP": Decimal("60000")})
    state.balances[MARKET_MAKER] = {"BTC": Decimal(10_000), "ETH": Decimal(100_000),
                                    "USDT": Decimal(1_000_000_000)}
    state.balances[TREASURY] = {"BTC": Decimal(1_000), "ETH": Decimal(10_000),
                                "USDT": Decimal(100_000_000), "XRP": Decimal(10_000_000)}
    state.insurance_fund["BTC-USDT-SWAP"] = Decimal(1_000_000)
    state.currencies.extend([
        CurrencyInfo("BTC", "BTC-Bitcoin", min_dep=Decimal("0.00005"), min_wd=Decimal("0.001"),
                     min_dep_arrival_confirm=1, min_wd_unlock_confirm=2),
        CurrencyInfo("ETH", "ETH-ERC20", min_dep=Decimal("0.001"), min_wd=Decimal("0.01"),
                     min_dep_arrival_confirm=64, min_wd_unlock_confirm=96),
        CurrencyInfo("USDT", "USDT-ERC20", min_dep=Decimal("1"), min_wd=Decimal("10"),
                     min_dep_arrival_confirm=64, min_wd_unlock_confirm=96, ct_addr="831ec7"),
        CurrencyInfo("USDT", "USDT-TRC20", min_dep=Decimal("1"), min_wd=Decimal("10"),
                     min_dep_arrival_confirm=20, min_wd_unlock_confirm=20, ct_addr="6a6j6t"),
        CurrencyInfo("XRP", "XRP-Ripple", min_dep=Decimal("0.01"), min_wd=Decimal("20"),
                     need_tag=True, min_dep_arrival_confirm=1, min_wd_unlock_confirm=1),
    ])
    return state


def save_state(state: SimState, path: Path) -> None:
    """Write `state` to `path` atomically (write a sibling file, then rename over)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(codec.dump(state), separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, path)


def load_state(path: Path) -> SimState:
    """Read a state written by `save_state`."""
    return codec.load(SimState, json.loads(path.read_text(encoding="utf-8")))
