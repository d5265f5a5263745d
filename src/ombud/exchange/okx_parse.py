"""OKX v5 rows → exchange records: strings to Decimal, ms to aware UTC, "" to None.

A required field that is missing, empty or unparsable raises `MalformedResponse` naming the
endpoint row and field, so a changed API never yields a silently wrong record.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from ombud.exchange.dto import (
    Bill,
    BookLevel,
    BookSnapshot,
    Candle,
    CurrencyInfo,
    Deposit,
    DepositAddress,
    Fill,
    Liquidation,
    LiquidationKind,
    Order,
    Position,
    PositionHistory,
    Side,
    StatusWindow,
    Trade,
    Withdrawal,
)
from ombud.exchange.errors import MalformedResponse

LIQUIDATION_TYPES = {3: LiquidationKind.FULL, 4: LiquidationKind.PARTIAL,
                     5: LiquidationKind.ADL, 6: LiquidationKind.ADL}


def _raw(row: dict[str, Any], key: str, required: bool) -> str | None:
    if not isinstance(row, dict):
        raise MalformedResponse(f"expected an object, got {str(row)[:80]}")
    value = row.get(key)
    if value is None or value == "":
        if required:
            raise MalformedResponse(f"field {key!r} is missing or empty in {str(row)[:120]}")
        return None
    return str(value)


def s(row: dict[str, Any], key: str) -> str:
    """Required string field."""
    value = _raw(row, key, True)
    assert value is not None
    return value


def os_(row: dict[str, Any], key: str) -> str | None:
    """Optional string field ("" → None)."""
    return _raw(row, key, False)


def _dec(text: str, key: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise MalformedResponse(f"field {key!r}: {text!r} is not a decimal") from None
    if not value.is_finite():
        raise MalformedResponse(f"field {key!r}: {text!r} is not finite")
    return value


def d(row: dict[str, Any], key: str) -> Decimal:
    """Required decimal field."""
    return _dec(s(row, key), key)


def od(row: dict[str, Any], key: str) -> Decimal | None:
    """Optional decimal field."""
    text = os_(row, key)
    return None if text is None else _dec(text, key)


def ms(text: str, key: str = "ts") -> dt.datetime:
    """Unix milliseconds → aware UTC datetime."""
    try:
        return dt.datetime.fromtimestamp(int(text) / 1000, tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise MalformedResponse(f"field {key!r}: {text!r} is not a millisecond time") from None


def t(row: dict[str, Any], key: str) -> dt.datetime:
    """Required millisecond time field."""
    return ms(s(row, key), key)


def ot(row: dict[str, Any], key: str) -> dt.datetime | None:
    """Optional millisecond time field."""
    text = os_(row, key)
    return None if text is None else ms(text, key)


def oi(row: dict[str, Any], key: str) -> int | None:
    """Optional integer field."""
    text = os_(row, key)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise MalformedResponse(f"field {key!r}: {text!r} is not an integer") from None


def i(row: dict[str, Any], key: str) -> int:
    """Required integer field."""
    value = oi(row, key)
    if value is None:
        raise MalformedResponse(f"field {key!r} is missing or empty")
    return value


def side(row: dict[str, Any], key: str = "side") -> Side:
    """buy / sell."""
    text = s(row, key)
    try:
        return Side(text)
    except ValueError:
        raise MalformedResponse(f"field {key!r}: {text!r} is not buy or sell") from None


def order(row: dict[str, Any]) -> Order:
    """A row of `/trade/orders-history(-archive)`."""
    return Order(
        ord_id=s(row, "ordId"), inst_id=s(row, "instId"), side=side(row),
        ord_type=s(row, "ordType"), sz=d(row, "sz"), state=s(row, "state"),
        c_time=t(row, "cTime"), u_time=t(row, "uTime"), inst_type=s(row, "instType"),
        cl_ord_id=os_(row, "clOrdId"), px=od(row, "px"), acc_fill_sz=od(row, "accFillSz")
        or Decimal(0), avg_px=od(row, "avgPx"), category=os_(row, "category") or "normal",
        cancel_source=oi(row, "cancelSource"), cancel_source_reason=os_(row, "cancelSourceReason"),
        fee=od(row, "fee") or Decimal(0), fee_ccy=os_(row, "feeCcy"), pos_side=os_(row, "posSide"),
        td_mode=os_(row, "tdMode"), lever=od(row, "lever"), fill_time=ot(row, "fillTime"))


def fill(row: dict[str, Any]) -> Fill:
    """A row of `/trade/fills(-history)`."""
    return Fill(
        trade_id=s(row, "tradeId"), ord_id=s(row, "ordId"), bill_id=s(row, "billId"),
        inst_id=s(row, "instId"), side=side(row), fill_px=d(row, "fillPx"),
        fill_sz=d(row, "fillSz"), ts=t(row, "ts"), inst_type=s(row, "instType"),
        sub_type=oi(row, "subType"), exec_type=os_(row, "execType"),
        fee=od(row, "fee") or Decimal(0), fee_ccy=os_(row, "feeCcy"), pos_side=os_(row, "posSide"),
        fill_mark_px=od(row, "fillMarkPx"), fill_idx_px=od(row, "fillIdxPx"),
        fill_pnl=od(row, "fillPnl"), fill_time=ot(row, "fillTime"), cl_ord_id=os_(row, "clOrdId"))


def bill(row: dict[str, Any]) -> Bill:
    """A row of `/account/bills(-archive)` or `/asset/bills`."""
    return Bill(
        bill_id=s(row, "billId"), ccy=s(row, "ccy"), type=i(row, "type"),
        bal_chg=d(row, "balChg"), bal=d(row, "bal"), ts=t(row, "ts"),
        sub_type=oi(row, "subType"), inst_id=os_(row, "instId"), ord_id=os_(row, "ordId"),
        px=od(row, "px"), sz=od(row, "sz"), pnl=od(row, "pnl"), fee=od(row, "fee"),
        notes=os_(row, "notes"), client_id=os_(row, "clientId"))


def deposit(row: dict[str, Any]) -> Deposit:
    """A row of `/asset/deposit-history`."""
    return Deposit(
        dep_id=s(row, "depId"), ccy=s(row, "ccy"), chain=s(row, "chain"), amt=d(row, "amt"),
        to=s(row, "to"), state=i(row, "state"), ts=t(row, "ts"), tx_id=os_(row, "txId"),
        sender=os_(row, "from"), actual_dep_blk_confirm=oi(row, "actualDepBlkConfirm"))


def withdrawal(row: dict[str, Any]) -> Withdrawal:
    """A row of `/asset/withdrawal-history`."""
    return Withdrawal(
        wd_id=s(row, "wdId"), ccy=s(row, "ccy"), chain=s(row, "chain"), amt=d(row, "amt"),
        to=s(row, "to"), state=i(row, "state"), ts=t(row, "ts"), tx_id=os_(row, "txId"),
        client_id=os_(row, "clientId"), tag=os_(row, "tag"), memo=os_(row, "memo"),
        fee=od(row, "fee") or Decimal(0), fee_ccy=os_(row, "feeCcy"), note=os_(row, "note"))


def address(row: dict[str, Any]) -> DepositAddress:
    """A row of `/asset/deposit-address`; the tag is `tag`, `memo` or `pmtId`."""
    return DepositAddress(ccy=s(row, "ccy"), chain=s(row, "chain"), addr=s(row, "addr"),
                          tag=os_(row, "tag") or os_(row, "memo") or os_(row, "pmtId"))


def currency(row: dict[str, Any]) -> CurrencyInfo:
    """A row of `/asset/currencies`."""
    return CurrencyInfo(
        ccy=s(row, "ccy"), chain=s(row, "chain"), can_dep=os_(row, "canDep") != "false",
        can_wd=os_(row, "canWd") != "false", min_dep=od(row, "minDep"), min_wd=od(row, "minWd"),
        need_tag=os_(row, "needTag") == "true",
        min_dep_arrival_confirm=oi(row, "minDepArrivalConfirm"),
        min_wd_unlock_confirm=oi(row, "minWdUnlockConfirm"),
        dep_est_open_time=ot(row, "depEstOpenTime"), ct_addr=os_(row, "ctAddr"))


def position(row: dict[str, Any]) -> Position:
    """A row of `/account/positions`."""
    return Position(
        inst_id=s(row, "instId"), mgn_mode=s(row, "mgnMode"), pos_side=s(row, "posSide"),
        pos=d(row, "pos"), avg_px=d(row, "avgPx"), lever=d(row, "lever"),
        c_time=t(row, "cTime"), u_time=t(row, "uTime"), inst_type=s(row, "instType"),
        mark_px=od(row, "markPx"), liq_px=od(row, "liqPx"), margin=od(row, "margin"),
        mmr=od(row, "mmr"), mgn_ratio=od(row, "mgnRatio"), upl=od(row, "upl"),
        adl=oi(row, "adl"))


def position_history(row: dict[str, Any]) -> PositionHistory:
    """A row of `/account/positions-history`."""
    return PositionHistory(
        inst_id=s(row, "instId"), mgn_mode=s(row, "mgnMode"), type=i(row, "type"),
        direction=s(row, "direction"), open_avg_px=d(row, "openAvgPx"),
        open_max_pos=d(row, "openMaxPos"), close_total_pos=d(row, "closeTotalPos"),
        c_time=t(row, "cTime"), u_time=t(row, "uTime"), inst_type=s(row, "instType"),
        close_avg_px=od(row, "closeAvgPx"), lever=od(row, "lever"),
        pnl=od(row, "pnl") or Decimal(0), realized_pnl=od(row, "realizedPnl") or Decimal(0),
        fee=od(row, "fee") or Decimal(0), funding_fee=od(row, "fundingFee") or Decimal(0),
        liq_penalty=od(row, "liqPenalty") or Decimal(0), trigger_px=od(row, "triggerPx"),
        pos_id=os_(row, "posId"))


def liquidation(hist: PositionHistory) -> Liquidation | None:
    """The forced close a position-history record describes (types 3-6), else None."""
    kind = LIQUIDATION_TYPES.get(hist.type)
    if kind is None:
        return None
    return Liquidation(inst_id=hist.inst_id, kind=kind, direction=hist.direction,
                       sz=hist.close_total_pos, ts=hist.u_time, trigger_px=hist.trigger_px,
                       fill_px=hist.close_avg_px, penalty=hist.liq_penalty)


def candle(row: Any) -> Candle:
    """`[ts, o, h, l, c, (vol, volCcy, volCcyQuote,) confirm]` of the candle endpoints."""
    if not isinstance(row, list) or len(row) not in (6, 9):
        raise MalformedResponse(f"a candle must be an array of 6 or 9 strings, got {str(row)[:80]}")
    cells = dict(zip(("ts", "o", "h", "l", "c"), row[:5], strict=True))
    return Candle(ts=ms(str(row[0])), o=d(cells, "o"), h=d(cells, "h"), low=d(cells, "l"),
                  c=d(cells, "c"), confirmed=str(row[-1]) == "1",
                  vol=_dec(str(row[5]), "vol") if len(row) == 9 and row[5] != "" else None)


def _level(cells: Any) -> BookLevel:
    if not isinstance(cells, list) or len(cells) < 2:
        raise MalformedResponse(f"a book level must be [px, sz, ...], got {str(cells)[:80]}")
    orders = cells[-1] if len(cells) >= 3 else None
    return BookLevel(_dec(str(cells[0]), "px"), _dec(str(cells[1]), "sz"),
                     int(orders) if orders not in (None, "") else None)


def book(inst_id: str, row: dict[str, Any]) -> BookSnapshot:
    """A row of `/market/books`."""
    asks = row.get("asks") if isinstance(row, dict) else None
    bids = row.get("bids") if isinstance(row, dict) else None
    if not isinstance(asks, list) or not isinstance(bids, list):
        raise MalformedResponse(f"book without asks/bids lists: {str(row)[:80]}")
    return BookSnapshot(inst_id, t(row, "ts"), tuple(_level(b) for b in bids),
                        tuple(_level(a) for a in asks))


def trade(row: dict[str, Any]) -> Trade:
    """A row of `/market/(history-)trades`."""
    return Trade(inst_id=s(row, "instId"), trade_id=s(row, "tradeId"), px=d(row, "px"),
                 sz=d(row, "sz"), side=side(row), ts=t(row, "ts"))


def status(row: dict[str, Any]) -> StatusWindow:
    """A row of `/system/status`."""
    return StatusWindow(title=s(row, "title"), state=s(row, "state"), begin=t(row, "begin"),
                        end=ot(row, "end"), service_type=os_(row, "serviceType"),
                        system=os_(row, "system"), href=os_(row, "href"),
                        maint_type=os_(row, "maintType"))
