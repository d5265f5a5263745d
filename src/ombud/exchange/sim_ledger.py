"""Ledger of the simulated exchange: every balance change is one bill, amounts at precision."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Any

from ombud.common.money import precision
from ombud.exchange.dto import Bill
from ombud.exchange.errors import ExchangeRejected
from ombud.exchange.sim_state import SimState


def next_id(state: SimState) -> str:
    """A fresh numeric id, unique within the exchange."""
    state.seq += 1
    return str(state.seq)


def quantize(amount: Decimal, ccy: str) -> Decimal:
    """`amount` rounded down to the precision of `ccy`."""
    return amount.quantize(Decimal(1).scaleb(-precision(ccy)), rounding=ROUND_DOWN)


def balance(state: SimState, account: str, ccy: str) -> Decimal:
    """Available balance of `ccy` in `account` (zero when none)."""
    return state.balances.get(account, {}).get(ccy, Decimal(0))


def post(state: SimState, account: str, ccy: str, delta: Decimal, type_: int,
         sub_type: int | None = None, **extra: Any) -> Bill:
    """Change a balance by `delta` and record the bill; refuses to go below zero."""
    delta = quantize(delta, ccy) if delta >= 0 else -quantize(-delta, ccy)
    new = balance(state, account, ccy) + delta
    if new < 0:
        raise ExchangeRejected("51008", f"insufficient {ccy} balance in account {account}")
    state.balances.setdefault(account, {})[ccy] = new
    bill = Bill(bill_id=next_id(state), ccy=ccy, type=type_, sub_type=sub_type, bal_chg=delta,
                bal=new, ts=state.now, **extra)
    state.bills.setdefault(account, []).append(bill)
    return bill
