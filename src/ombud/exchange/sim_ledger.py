"""Ledger of the simulated exchange: every balance change is one bill, amounts at precision;
and the journal entries that carry an action's effects to other processes."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Any

from ombud.common.money import precision
from ombud.exchange import codec
from ombud.exchange.dto import Bill, TransferState
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


def transfer_entry(state: SimState, transfer: TransferState,
                   bills: list[tuple[str, Bill]]) -> dict[str, Any]:
    """The journal entry of a credit or refund just made: its state and its bills."""
    return {"op": "transfer", "seq": state.seq, "transfer": codec.dump(transfer),
            "bills": [[account, codec.dump(bill)] for account, bill in bills]}


def apply(state: SimState, entry: dict[str, Any]) -> None:
    """Replay one journal entry made by another process (once: by its number ``n``)."""
    if entry["n"] <= state.journal:
        return
    if entry["op"] == "transfer":
        for account, raw in entry["bills"]:
            bill = codec.load(Bill, raw)
            state.balances.setdefault(account, {})[bill.ccy] = bill.bal
            state.bills.setdefault(account, []).append(bill)
        transfer = codec.load(TransferState, entry["transfer"])
        state.transfers[transfer.client_id] = transfer
        state.seq = max(state.seq, int(entry["seq"]))
    elif entry["frozen"]:
        state.frozen.setdefault(entry["account"], entry["reason"])
    else:
        state.frozen.pop(entry["account"], None)
    state.journal = entry["n"]
