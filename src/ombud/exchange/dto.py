"""Exchange records as frozen dataclasses: amounts are Decimal, times aware UTC.

Field names follow OKX v5 in snake_case (exchange-domain §1) so a record can be read next to the
exchange's own documentation. Raw OKX codes (bill `type`, fill `subType`, transfer `state`) stay
integers, because an exchange can send a code this module has never seen; the enums in
`ombud.exchange.states` name the known ones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from decimal import Decimal
from enum import StrEnum

from ombud.exchange.states import DepositState, TransferStatus, WithdrawalState


class _Checked:
    """Refuses naive datetimes and floats where Decimals belong; converts times to UTC."""

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, dt.datetime):
                if value.tzinfo is None:
                    raise ValueError(f"{type(self).__name__}.{f.name}: time {value} has no "
                                     "timezone")
                if value.utcoffset() != dt.timedelta(0) or value.tzinfo is not dt.UTC:
                    object.__setattr__(self, f.name, value.astimezone(dt.UTC))
            if isinstance(value, float) and "Decimal" in str(f.type):
                raise TypeError(f"{type(self).__name__}.{f.name}: float given for a Decimal")


class Side(StrEnum):
    """Order or trade side (for trades: the taker's side)."""

    BUY = "buy"
    SELL = "sell"


class LiquidationKind(StrEnum):
    """How a position was closed by the system."""

    FULL = "full_liquidation"
    PARTIAL = "partial_liquidation"
    ADL = "adl"


class SecurityEventKind(StrEnum):
    """Kinds of account security event (Ombud's own schema, exchange-domain §1.9)."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    TWO_FA_CHANGED = "2fa_changed"
    PASSWORD_CHANGED = "password_changed"
    EMAIL_CHANGED = "email_changed"
    PHONE_CHANGED = "phone_changed"
    API_KEY_CREATED = "api_key_created"
    WITHDRAWAL_ADDRESS_ADDED = "withdrawal_address_added"
    WITHDRAWAL = "withdrawal"


@dataclass(frozen=True)
class Window(_Checked):
    """A half-open time window [start, end)."""

    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.end < self.start:
            raise ValueError(f"window ends ({self.end}) before it starts ({self.start})")

    def __contains__(self, when: dt.datetime) -> bool:
        return self.start <= when < self.end


@dataclass(frozen=True)
class Balance(_Checked):
    """One asset of an account."""

    ccy: str
    available: Decimal
    frozen: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        """Available plus frozen."""
        return self.available + self.frozen


@dataclass(frozen=True)
class Order(_Checked):
    """An order (`/trade/orders-history`)."""

    ord_id: str
    inst_id: str
    side: Side
    ord_type: str  # market, limit, ioc, fok, post_only, optimal_limit_ioc, ...
    sz: Decimal
    state: str  # live, partially_filled, filled, canceled, mmp_canceled
    c_time: dt.datetime  # accepted by the exchange
    u_time: dt.datetime
    inst_type: str = "SPOT"
    cl_ord_id: str | None = None
    px: Decimal | None = None
    acc_fill_sz: Decimal = Decimal(0)
    avg_px: Decimal | None = None
    category: str = "normal"  # normal, adl, full_liquidation, partial_liquidation, ...
    cancel_source: int | None = None
    cancel_source_reason: str | None = None
    fee: Decimal = Decimal(0)  # negative = charged
    fee_ccy: str | None = None
    pos_side: str | None = None
    td_mode: str | None = None
    lever: Decimal | None = None
    fill_time: dt.datetime | None = None


@dataclass(frozen=True)
class Fill(_Checked):
    """One fill (`/trade/fills`); `trade_id` is negative for liquidation and ADL fills."""

    trade_id: str
    ord_id: str
    bill_id: str
    inst_id: str
    side: Side
    fill_px: Decimal
    fill_sz: Decimal
    ts: dt.datetime
    inst_type: str = "SPOT"
    sub_type: int | None = None
    exec_type: str | None = None  # T taker, M maker; None for system orders
    fee: Decimal = Decimal(0)
    fee_ccy: str | None = None
    pos_side: str | None = None
    fill_mark_px: Decimal | None = None
    fill_idx_px: Decimal | None = None
    fill_pnl: Decimal | None = None
    fill_time: dt.datetime | None = None
    cl_ord_id: str | None = None


@dataclass(frozen=True)
class Bill(_Checked):
    """A ledger entry (`/account/bills`, `/asset/bills`)."""

    bill_id: str
    ccy: str
    type: int  # 1 transfer, 2 trade, 5 liquidation, 8 funding, 9 ADL, 146 customer feedback...
    bal_chg: Decimal
    bal: Decimal
    ts: dt.datetime
    sub_type: int | None = None
    inst_id: str | None = None
    ord_id: str | None = None
    px: Decimal | None = None
    sz: Decimal | None = None
    pnl: Decimal | None = None
    fee: Decimal | None = None
    notes: str | None = None
    client_id: str | None = None


@dataclass(frozen=True)
class Deposit(_Checked):
    """A deposit (`/asset/deposit-history`)."""

    dep_id: str
    ccy: str
    chain: str  # OKX form "CCY-Network", e.g. "USDT-ERC20"
    amt: Decimal
    to: str
    state: int
    ts: dt.datetime
    tx_id: str | None = None
    sender: str | None = None  # OKX `from`
    actual_dep_blk_confirm: int | None = None

    @property
    def known_state(self) -> DepositState | None:
        """The state as a named code, or None when the code is unknown."""
        return DepositState(self.state) if self.state in DepositState._value2member_map_ else None


@dataclass(frozen=True)
class Withdrawal(_Checked):
    """A withdrawal (`/asset/withdrawal-history`)."""

    wd_id: str
    ccy: str
    chain: str
    amt: Decimal
    to: str
    state: int
    ts: dt.datetime
    tx_id: str | None = None
    client_id: str | None = None
    tag: str | None = None
    memo: str | None = None
    fee: Decimal = Decimal(0)
    fee_ccy: str | None = None
    note: str | None = None

    @property
    def known_state(self) -> WithdrawalState | None:
        """The state as a named code, or None when the code is unknown."""
        if self.state in WithdrawalState._value2member_map_:
            return WithdrawalState(self.state)
        return None


@dataclass(frozen=True)
class DepositAddress(_Checked):
    """A deposit address of an account (`/asset/deposit-address`)."""

    ccy: str
    chain: str
    addr: str
    tag: str | None = None  # memo / tag / payment id for tagged coins


@dataclass(frozen=True)
class CurrencyInfo(_Checked):
    """Deposit/withdrawal rules of one (ccy, chain) (`/asset/currencies`)."""

    ccy: str
    chain: str
    can_dep: bool = True
    can_wd: bool = True
    min_dep: Decimal | None = None
    min_wd: Decimal | None = None
    need_tag: bool = False
    min_dep_arrival_confirm: int | None = None
    min_wd_unlock_confirm: int | None = None
    dep_est_open_time: dt.datetime | None = None
    ct_addr: str | None = None  # last 6 digits of the token contract


@dataclass(frozen=True)
class Position(_Checked):
    """An open position (`/account/positions`); `pos` is signed in contracts."""

    inst_id: str
    mgn_mode: str
    pos_side: str
    pos: Decimal
    avg_px: Decimal
    lever: Decimal
    c_time: dt.datetime
    u_time: dt.datetime
    inst_type: str = "SWAP"
    mark_px: Decimal | None = None
    liq_px: Decimal | None = None
    margin: Decimal | None = None
    mmr: Decimal | None = None
    mgn_ratio: Decimal | None = None
    upl: Decimal | None = None
    adl: int | None = None


@dataclass(frozen=True)
class PositionHistory(_Checked):
    """A closed position (`/account/positions-history`).

    `type`: 1 partial close, 2 close all, 3 liquidation, 4 partial liquidation,
    5 ADL (not fully closed), 6 ADL (fully closed).
    """

    inst_id: str
    mgn_mode: str
    type: int
    direction: str  # long / short
    open_avg_px: Decimal
    open_max_pos: Decimal
    close_total_pos: Decimal
    c_time: dt.datetime
    u_time: dt.datetime
    inst_type: str = "SWAP"
    close_avg_px: Decimal | None = None
    lever: Decimal | None = None
    pnl: Decimal = Decimal(0)
    realized_pnl: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)
    funding_fee: Decimal = Decimal(0)
    liq_penalty: Decimal = Decimal(0)
    trigger_px: Decimal | None = None  # the trigger mark price for types 3/4/5
    pos_id: str | None = None


@dataclass(frozen=True)
class Liquidation(_Checked):
    """A forced close: full or partial liquidation, or auto-deleverage."""

    inst_id: str
    kind: LiquidationKind
    direction: str  # long / short: the position that was closed
    sz: Decimal
    ts: dt.datetime
    trigger_px: Decimal | None = None  # mark price that triggered it
    fill_px: Decimal | None = None
    bk_px: Decimal | None = None  # bankruptcy price
    loss: Decimal | None = None
    penalty: Decimal | None = None
    ord_id: str | None = None


@dataclass(frozen=True)
class SecurityEvent(_Checked):
    """One entry of an account's security log."""

    id: str
    at: dt.datetime
    kind: SecurityEventKind
    ip: str | None = None
    country: str | None = None
    device_id: str | None = None
    user_agent: str | None = None
    lat: float | None = None
    lon: float | None = None
    result: str = "ok"
    factors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candle(_Checked):
    """One bar: `ts` is the bar's open time; `confirmed` is False while the bar is open."""

    ts: dt.datetime
    o: Decimal
    h: Decimal
    low: Decimal
    c: Decimal
    confirmed: bool = True
    vol: Decimal | None = None


@dataclass(frozen=True)
class BookLevel(_Checked):
    """One price level."""

    px: Decimal
    sz: Decimal
    orders: int | None = None


@dataclass(frozen=True)
class BookSnapshot(_Checked):
    """An L2 book: bids best (highest) first, asks best (lowest) first."""

    inst_id: str
    ts: dt.datetime
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]


@dataclass(frozen=True)
class Trade(_Checked):
    """A public trade; `side` is the taker's side."""

    inst_id: str
    trade_id: str
    px: Decimal
    sz: Decimal
    side: Side
    ts: dt.datetime


@dataclass(frozen=True)
class StatusWindow(_Checked):
    """A maintenance or incident window (`/system/status`)."""

    title: str
    state: str  # scheduled, ongoing, pre_open, completed, canceled
    begin: dt.datetime
    end: dt.datetime | None = None
    service_type: str | None = None  # 0 WS, 5 trading service, ...
    system: str | None = None
    href: str | None = None
    maint_type: str | None = None


@dataclass(frozen=True)
class TransferState(_Checked):
    """Outcome of a credit or refund, keyed by its client id."""

    client_id: str
    status: TransferStatus
    account: str
    ccy: str
    amt: Decimal
    kind: str  # credit / refund
    transfer_id: str
    ts: dt.datetime


@dataclass(frozen=True)
class FreezeReceipt(_Checked):
    """Result of freezing or unfreezing an account."""

    account: str
    frozen: bool
    at: dt.datetime
    reason: str = ""
    changed: bool = True  # False when the account already was in that state


@dataclass(frozen=True)
class OnChainTransfer(_Checked):
    """What a block explorer shows of a transfer (the simulated chain's view)."""

    network: str  # e.g. "ERC20", "BSC", "Bitcoin", "Ripple"
    tx_id: str
    to: str
    amt: Decimal
    ccy: str
    confirmations: int
    memo: str | None = None
    status: str = "confirmed"  # confirmed, pending, failed
