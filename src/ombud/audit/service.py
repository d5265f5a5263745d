"""Audit verbs: append an event in the caller's transaction; seal heads with an anchor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from ombud.audit.chain import GENESIS, anchor_hash, canonical_json, event_hash, heads_digest
from ombud.audit.tables import AuditAnchor, AuditAnchorHead, AuditEvent, AuditHead
from ombud.common.clock import utcnow
from ombud.db import table_of, tx

SYSTEM_CHAIN = "system"
#: PostgreSQL advisory lock that serialises anchoring (two anchors must not share a parent).
ANCHOR_LOCK = 0x0AB0D


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    chain: str = SYSTEM_CHAIN,
    case_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record one event at the end of ``chain`` (a case reference, or ``system``).

    Runs inside the caller's transaction. On PostgreSQL the update of the chain's head row
    locks that one chain, so concurrent writers to different cases never wait on each other.
    """
    with tx(session):
        now = utcnow()
        text = canonical_json(data or {})
        head = session.execute(
            select(AuditHead).where(AuditHead.chain == chain).with_for_update()
            .execution_options(populate_existing=True)  # never a stale copy in the session
        ).scalar_one_or_none()
        seq, prev = (head.seq + 1, head.hash) if head else (1, GENESIS)
        digest = event_hash(
            chain=chain, seq=seq, at=now, actor=actor, action=action, data=text, prev_hash=prev
        )
        event = AuditEvent(
            chain=chain, seq=seq, at=now, actor=actor, action=action, case_id=case_id,
            data=text, prev_hash=prev, hash=digest,
        )
        session.add(event)
        if head is None:
            session.add(AuditHead(chain=chain, seq=seq, hash=digest, dirty=True))
        else:
            head.seq, head.hash, head.dirty = seq, digest, True
        session.flush()
        return event


@dataclass(frozen=True)
class FirstEvent:
    """The first event of a chain that does not exist yet (a case just opened)."""

    chain: str
    actor: str
    action: str
    case_id: int | None
    data: dict[str, Any]


def first_row(event: FirstEvent, at: dt.datetime) -> dict[str, Any]:
    """The ``audit_events`` row of ``event`` as the first of its chain, recorded ``at``
    (its chain head is ``(chain, 1, hash)``). For bulk writers that load rows directly."""
    text = canonical_json(event.data)
    digest = event_hash(chain=event.chain, seq=1, at=at, actor=event.actor,
                        action=event.action, data=text, prev_hash=GENESIS)
    return {"chain": event.chain, "seq": 1, "at": at, "actor": event.actor,
            "action": event.action, "case_id": event.case_id, "data": text,
            "prev_hash": GENESIS, "hash": digest}


def start_chains(session: Session, events: Sequence[FirstEvent]) -> None:
    """Record the first event of each of many new chains: two statements for all of them.

    Runs inside the caller's transaction. A chain that already exists makes the head insert
    fail (primary key), so nothing is ever appended out of sequence.
    """
    if not events:
        return
    now = utcnow()
    rows = [first_row(ev, now) for ev in events]
    with tx(session):
        session.execute(insert(table_of(AuditEvent)), rows)
        session.execute(insert(table_of(AuditHead)), [
            {"chain": r["chain"], "seq": 1, "hash": r["hash"], "dirty": True} for r in rows])


def anchor(session: Session) -> AuditAnchor | None:
    """Seal every chain head that changed since the last anchor; None when nothing changed."""
    with tx(session):
        if session.get_bind().dialect.name == "postgresql":  # SQLite: BEGIN IMMEDIATE did it
            session.execute(select(func.pg_advisory_xact_lock(ANCHOR_LOCK)))
        heads = session.execute(
            select(AuditHead.chain, AuditHead.seq, AuditHead.hash).where(AuditHead.dirty)
        ).all()
        if not heads:
            return None
        last = session.scalars(select(AuditAnchor).order_by(AuditAnchor.id.desc())).first()
        now = utcnow()
        digest = heads_digest((c, s, h) for c, s, h in heads)
        prev = last.hash if last else GENESIS
        row = AuditAnchor(
            at=now, heads_digest=digest, prev_hash=prev,
            hash=anchor_hash(at=now, heads_digest=digest, prev_hash=prev),
        )
        session.add(row)
        session.flush()
        session.add_all(
            AuditAnchorHead(anchor_id=row.id, chain=c, seq=s, hash=h) for c, s, h in heads
        )
        table = AuditHead.__table__
        assert isinstance(table, Table)
        session.execute(
            update(table)
            .where(table.c.chain == bindparam("c"), table.c.seq == bindparam("s"))
            .values(dirty=False),
            [{"c": c, "s": s} for c, s, _ in heads],
        )
        return row
