"""Reconciliation: Ombud's remedies against the exchange's ledger (``ombud reconcile``).

Every money remedy with a client id is looked up at the exchange by that id; where the
exchange can list its transfers (the simulator), transfers with an Ombud client id that no
remedy carries are found too. ``compare`` is pure; ``run`` gathers both sides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases.tables import Case
from ombud.exchange.dto import TransferState
from ombud.exchange.gateway import ExchangeActor
from ombud.exchange.states import TransferStatus
from ombud.resolution.policy import MONETARY
from ombud.resolution.tables import Remedy

MISSING = "missing at exchange"
UNRECORDED = "paid but not recorded"
MISMATCH = "mismatch"
TWICE = "paid twice"
UNKNOWN = "unknown to Ombud"
#: How an Ombud client id starts (``client_id_for``): the case reference without dashes and
#: the remedy id.
_OURS = re.compile(r"^OMB-C(\d{4})(\d{6,})-(\d+)")


@dataclass(frozen=True)
class Ours:
    """What Ombud recorded about one money remedy."""

    remedy_id: int
    reference: str
    status: str
    client_id: str
    account: str | None
    asset: str | None
    amount: Decimal | None
    bill_id: str | None


@dataclass(frozen=True)
class Difference:
    """One disagreement between Ombud and the exchange."""

    problem: str
    client_id: str
    detail: str
    remedy_id: int | None = None
    reference: str | None = None


@dataclass(frozen=True)
class Report:
    """The outcome of a reconciliation."""

    checked: int  # remedies looked up at the exchange
    listed: bool  # whether the exchange's own list of transfers was searched too
    differences: list[Difference]


@runtime_checkable
class TransferListing(Protocol):
    """An exchange that can list every credit and refund it made (the simulator can)."""

    def transfers(self) -> list[TransferState]:
        """Every credit and refund, oldest first."""
        ...


def attributed(client_id: str) -> tuple[str, int] | None:
    """(case reference, remedy id) an Ombud-style client id names, or None."""
    m = _OURS.match(client_id)
    return (f"C-{m[1]}-{m[2]}", int(m[3])) if m else None


def _paid(t: TransferState | None) -> bool:
    return t is not None and t.status is TransferStatus.SUCCESS


def _check(o: Ours, t: TransferState | None) -> list[str]:
    """What is wrong with remedy ``o`` given the exchange's transfer ``t`` of its client id."""
    if o.status != "executed":
        return [] if not _paid(t) else [UNRECORDED]
    if t is None:
        return [MISSING]
    wrong = [name for name, mine, theirs in (
        ("amount", o.amount, t.amt), ("asset", o.asset, t.ccy), ("account", o.account, t.account),
        ("transfer id", o.bill_id, t.transfer_id), ("status", "success", t.status.value))
        if mine != theirs and not (name == "account" and theirs == "")]
    return [f"{MISMATCH}: {', '.join(wrong)}"] if wrong else []


def _describe(o: Ours, t: TransferState | None) -> str:
    there = (f"exchange: {t.status.value} {t.kind} of {t.amt} {t.ccy} to {t.account or '?'} "
             f"(transfer {t.transfer_id})") if t is not None else "exchange: no transfer"
    return (f"Ombud: remedy {o.remedy_id} {o.status}, {o.amount} {o.asset} to {o.account} "
            f"(transfer {o.bill_id}); {there}")


def compare(ours: Iterable[Ours], theirs: Mapping[str, TransferState | None],
            listed: Iterable[TransferState] = ()) -> list[Difference]:
    """Every difference between Ombud's remedies and the exchange: an executed remedy the
    exchange has no transfer for, a transfer for a remedy Ombud has not recorded as executed,
    an amount, asset, account or transfer id that differs, and (from ``listed``) transfers with
    an Ombud client id no remedy carries: a second payment of a remedy, or an unknown one."""
    mine = list(ours)
    out = [Difference(problem, o.client_id, _describe(o, theirs.get(o.client_id)), o.remedy_id,
                      o.reference)
           for o in mine for problem in _check(o, theirs.get(o.client_id))]
    known = {o.client_id for o in mine}
    by_remedy = {(o.reference, o.remedy_id): o for o in mine}
    for t in listed:
        names = attributed(t.client_id)
        if t.client_id in known or not t.client_id.startswith("OMB-") or not _paid(t):
            continue
        o = by_remedy.get(names) if names else None
        detail = f"{t.kind} of {t.amt} {t.ccy} to {t.account} (transfer {t.transfer_id})"
        if o is None:
            out.append(Difference(UNKNOWN, t.client_id, detail))
        elif _paid(theirs.get(o.client_id)):
            out.append(Difference(TWICE, t.client_id, f"remedy {o.remedy_id} is paid under "
                                  f"{o.client_id}; also {detail}", o.remedy_id, o.reference))
        else:
            out.append(Difference(UNRECORDED, t.client_id, f"remedy {o.remedy_id} carries "
                                  f"{o.client_id}, but was paid as {detail}", o.remedy_id,
                                  o.reference))
    return out


def gather(session: Session) -> list[Ours]:
    """Ombud's money remedies that have a client id (those accepted at least once)."""
    rows = session.execute(
        select(Remedy, Case.reference).join(Case, Case.id == Remedy.case_id)
        .where(Remedy.client_id.is_not(None), Remedy.kind.in_([k.value for k in MONETARY]))
        .order_by(Remedy.id))
    return [Ours(r.id, ref, r.status, r.client_id or "", r.account, r.asset, r.amount, r.bill_id)
            for r, ref in rows]


def run(session: Session, exchange: ExchangeActor) -> Report:
    """Reconcile the database of ``session`` with ``exchange``."""
    ours = gather(session)
    theirs = {o.client_id: exchange.transfer_state(o.client_id) for o in ours}
    listing = isinstance(exchange, TransferListing)
    listed = exchange.transfers() if isinstance(exchange, TransferListing) else []
    return Report(len(ours), listing, compare(ours, theirs, listed))
