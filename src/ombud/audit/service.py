"""Audit verbs: append an event in the caller's transaction; seal heads with an anchor."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from ombud.audit.chain import GENESIS, anchor_hash, canonical_json, event_hash, heads_digest
from ombud.audit.tables import AuditAnchor, AuditAnchorHead, AuditEvent, AuditHead
from ombud.common.clock import utcnow
from ombud.db import tx

SYSTEM_CHAIN = "system"


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


def anchor(session: Session) -> AuditAnchor | None:
    """Seal every chain head that changed since the last anchor; None when nothing changed."""
    with tx(session):
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
