"""Filing a complaint: one case with its gapless reference, first message, audit chain and
acknowledgement and triage jobs; alone (``open_case``), in bulk in one transaction
(``open_many``), or from an event loop through the process's group commit (``file_case``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.cases.lifecycle import Status
from ombud.cases.schemas import CaseIn, CaseOut
from ombud.cases.tables import Case, CaseCounter, IdempotencyKey, Message
from ombud.cases.taxonomy import Category
from ombud.common.clock import utcnow
from ombud.common.errors import Conflict, Invalid
from ombud.common.ids import case_reference
from ombud.customers import service as customers
from ombud.customers.schemas import CustomerOut
from ombud.db import GroupCommit, group_commit, insert_ignore, table_of, tx
from ombud.jobs import service as jobs
from ombud.security.permissions import Principal

#: Until triage sets the regulatory clocks, a case is due this long after receipt.
DEFAULT_RESOLUTION = dt.timedelta(days=15)


def _request_hash(data: CaseIn) -> str:
    return hashlib.sha256(data.model_dump_json().encode()).hexdigest()


def _next_number(session: Session, year: int, count: int = 1) -> int:
    """Issue the next ``count`` case numbers of ``year`` in the caller's transaction
    (row-locked); returns the first of them."""
    insert_ignore(session, CaseCounter.__table__, {"year": year, "value": 0})
    row = session.execute(
        select(CaseCounter).where(CaseCounter.year == year).with_for_update()
        .execution_options(populate_existing=True)  # never a stale copy in the session
    ).scalar_one()
    row.value += count
    return row.value - count + 1


def open_case(
    session: Session,
    actor: Principal,
    data: CaseIn,
    *,
    idempotency_key: str | None = None,
    received_at: dt.datetime | None = None,
) -> tuple[CaseOut, bool]:
    """Register a complaint and queue its acknowledgement; returns (case, created).

    The same ``idempotency_key`` from the same actor returns the first case
    (``created`` False); reused with a different body it is refused.
    """
    if idempotency_key is not None:
        existing = _replayed(session, actor, idempotency_key, data)
        if existing is not None:
            return existing, False
    try:
        return _open(session, actor, data, idempotency_key, received_at), True
    except IntegrityError:
        if idempotency_key is None:
            raise
        existing = _replayed(session, actor, idempotency_key, data)  # a concurrent twin won
        if existing is None:
            raise
        return existing, False


def _replayed(session: Session, actor: Principal, key: str, data: CaseIn) -> CaseOut | None:
    row = session.get(IdempotencyKey, (actor.actor, key))
    if row is None:
        return None
    if row.request_hash != _request_hash(data):
        raise Invalid("this Idempotency-Key was used with a different request body",
                      pointer="Idempotency-Key")
    return CaseOut.model_validate(session.get(Case, row.case_id))


def _customer_for(session: Session, actor: Principal, data: CaseIn) -> int:
    if actor.kind == "customer":
        if data.customer_uid or data.customer_email:
            raise Invalid("customers file for themselves; leave customer_uid empty",
                          pointer="customer_uid")
        return actor.id
    if not (data.customer_uid or data.customer_email):
        raise Invalid("name the customer: customer_uid or customer_email", pointer="customer_uid")
    return customers.find_or_register(
        session, uid=data.customer_uid, email=data.customer_email,
        language=data.language or "en", jurisdiction=data.jurisdiction or "",
    ).id


def _filer(session: Session, actor: Principal, data: CaseIn,
           known: dict[int, CustomerOut] | None = None) -> CustomerOut:
    """The customer a new case is for, after the checks every filing passes (``known``:
    customers already read, by id)."""
    customer_id = _customer_for(session, actor, data)
    customer = (known or {}).get(customer_id) or customers.get_customer(session, customer_id)
    if data.amount is not None and not data.asset:
        raise Invalid("an amount needs its asset", pointer="asset")
    return customer


def _case_values(
    data: CaseIn, customer: CustomerOut, reference: str, received: dt.datetime, now: dt.datetime
) -> dict[str, Any]:
    """The columns of a new case."""
    return dict(
        reference=reference, customer_id=customer.id, channel=data.channel.value,
        category=(data.category or Category.OTHER).value, summary=data.summary,
        description=data.description, desired_outcome=data.desired_outcome,
        asset=data.asset, amount=data.amount,
        jurisdiction=(data.jurisdiction or customer.jurisdiction).upper(),
        language=data.language or customer.language, status=Status.RECEIVED.value,
        received_at=received, updated_at=now, due_at=received + DEFAULT_RESOLUTION,
    )


def _first_message(
    case_id: int, channel: str, customer: CustomerOut, body: str, at: dt.datetime
) -> dict[str, Any]:
    """The columns of the complaint's own text as the case's first message."""
    return dict(case_id=case_id, direction="in", channel=channel, author_kind="customer",
                author_id=customer.id, author_name=customer.name, body=body,
                visibility="public", created_at=at)


def _open(
    session: Session, actor: Principal, data: CaseIn, key: str | None,
    received_at: dt.datetime | None,
) -> CaseOut:
    now = utcnow()
    received = received_at or now
    with tx(session):
        customer = _filer(session, actor, data)
        reference = case_reference(received.year, _next_number(session, received.year))
        case = Case(**_case_values(data, customer, reference, received, now))
        session.add(case)
        session.flush()
        if data.description:
            session.add(Message(**_first_message(case.id, case.channel, customer,
                                                 data.description, received)))
        if key is not None:
            session.add(IdempotencyKey(scope=actor.actor, key=key, request_hash=_request_hash(data),
                                       case_id=case.id, created_at=now))
        audit.append(session, actor=actor.actor, action="case.opened", chain=reference,
                     case_id=case.id, data={"channel": case.channel, "summary": case.summary,
                                            "customer_id": customer.id})
        jobs.enqueue(session, "cases.acknowledge", {"case_id": case.id}, f"ack:{case.id}")
        jobs.enqueue(session, "triage.case", {"case_id": case.id}, f"triage:{case.id}")
        session.flush()
        return CaseOut.model_validate(case)


@dataclass(frozen=True)
class Filing:
    """One complaint to open with ``open_many``: who files it, what, and its
    Idempotency-Key (if any)."""

    actor: Principal
    data: CaseIn
    key: str | None


async def file_case(
    engine: Engine, actor: Principal, data: CaseIn, *, idempotency_key: str | None = None
) -> tuple[CaseOut, bool]:
    """``open_case`` for concurrent callers on an event loop (the web): the filings waiting
    at one moment in this process are written together in one transaction with one commit
    (group commit), and the caller awaits its result without holding a thread.

    Each filing still gets its own case, reference, audit chain and acknowledgement job,
    and its own answer or error, exactly as ``open_case`` gives them.
    """
    group = group_commit(engine, "cases.file_case", _filing_group)
    return await asyncio.wrap_future(group.enqueue(Filing(actor, data, idempotency_key)))


def _filing_group(engine: Engine) -> GroupCommit[Filing, tuple[CaseOut, bool]]:
    return GroupCommit(engine, open_many, _open_one)


def _open_one(session: Session, f: Filing) -> tuple[CaseOut, bool]:
    return open_case(session, f.actor, f.data, idempotency_key=f.key)


_CASE_DEFAULTS = {c.name: c.default.arg if c.default is not None else None
                  for c in Case.__table__.c if c.name in CaseOut.model_fields}


def open_many(session: Session, filings: list[Filing]) -> list[tuple[CaseOut, bool]]:
    """``open_case`` for a batch of filings, with one statement per table, in the caller's
    transaction; (case, created) per filing. Raises on any doubt (a group committer then
    runs each filing alone through ``open_case``)."""
    keys = [(f.actor.actor, f.key) for f in filings if f.key is not None]
    if len(set(keys)) != len(keys):
        raise Conflict("the same Idempotency-Key twice in one batch")
    now = utcnow()
    known = customers.get_customers(
        session, [f.actor.id for f in filings if f.actor.kind == "customer"])
    results: list[tuple[CaseOut, bool] | None] = []
    fresh: list[tuple[int, Filing, CustomerOut]] = []
    for f in filings:
        existing = _replayed(session, f.actor, f.key, f.data) if f.key is not None else None
        results.append((existing, False) if existing is not None else None)
        if existing is None:
            fresh.append((len(results) - 1, f, _filer(session, f.actor, f.data, known)))
    if not fresh:
        return [r for r in results if r is not None]
    first = _next_number(session, now.year, len(fresh))
    values = [_case_values(f.data, c, case_reference(now.year, first + n), now, now)
              for n, (_, f, c) in enumerate(fresh)]
    table = table_of(Case)
    ids = session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), values
    ).scalars().all()
    messages = [_first_message(i, v["channel"], c, f.data.description, now)
                for i, v, (_, f, c) in zip(ids, values, fresh, strict=True) if f.data.description]
    if messages:
        session.execute(insert(table_of(Message)), messages)
    keyed = [{"scope": f.actor.actor, "key": f.key, "request_hash": _request_hash(f.data),
              "case_id": i, "created_at": now}
             for i, (_, f, _c) in zip(ids, fresh, strict=True) if f.key is not None]
    if keyed:
        session.execute(insert(table_of(IdempotencyKey)), keyed)
    audit.start_chains(session, [
        audit.FirstEvent(chain=v["reference"], actor=f.actor.actor, action="case.opened",
                         case_id=i, data={"channel": v["channel"], "summary": v["summary"],
                                          "customer_id": c.id})
        for i, v, (_, f, c) in zip(ids, values, fresh, strict=True)])
    jobs.enqueue_many(session, "cases.acknowledge", {f"ack:{i}": {"case_id": i} for i in ids})
    jobs.enqueue_many(session, "triage.case", {f"triage:{i}": {"case_id": i} for i in ids})
    for i, v, (slot, _f, _c) in zip(ids, values, fresh, strict=True):
        results[slot] = (CaseOut.model_validate({**_CASE_DEFAULTS, **v, "id": i}), True)
    return [r for r in results if r is not None]
