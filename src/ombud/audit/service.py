"""Audit verbs: append an event in the caller's transaction; seal heads with an anchor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, Table, any_, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
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
class Entry:
    """One event for :func:`append_many`."""

    chain: str
    actor: str
    action: str
    case_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


def append_many(session: Session, entries: Sequence[Entry], *, chunk: int = 5_000) -> int:
    """Record ``entries`` at the ends of their chains, existing or new, in the given order
    (several for one chain follow each other): a few statements per ``chunk`` chains, not a
    round trip per event. Returns how many were recorded.

    Runs inside the caller's transaction. The chains' head rows are locked in chain order
    (PostgreSQL), so a concurrent ``append`` to one of them waits, and two bulk writers
    never deadlock on each other. On PostgreSQL the events are loaded by COPY and the heads
    moved by one UPDATE from arrays.
    """
    if not entries:
        return 0
    chains = sorted({e.chain for e in entries})
    postgres = session.get_bind().dialect.name == "postgresql"
    with tx(session):
        session.flush()  # ORM appends of this transaction reach their head rows first
        found: dict[str, tuple[int, str]] = {}
        for i in range(0, len(chains), chunk):
            found.update(_lock_heads(session, chains[i:i + chunk], postgres))
        now = utcnow()
        ends = dict(found)
        rows = []
        for e in entries:
            seq, prev = ends.get(e.chain, (0, GENESIS))
            text = canonical_json(e.data)
            digest = event_hash(chain=e.chain, seq=seq + 1, at=now, actor=e.actor,
                                action=e.action, data=text, prev_hash=prev)
            rows.append((e.chain, seq + 1, now, e.actor, e.action, e.case_id, text, prev,
                         digest))
            ends[e.chain] = (seq + 1, digest)
        moved = [(c, s, h) for c, (s, h) in ends.items() if c in found]
        started = [{"chain": c, "seq": s, "hash": h, "dirty": True}
                   for c, (s, h) in ends.items() if c not in found]
        (_write_pg if postgres else _write)(session, rows, moved)
        if started:
            session.execute(insert(table_of(AuditHead)), started)
        return len(rows)


_COLUMNS = ("chain", "seq", "at", "actor", "action", "case_id", "data", "prev_hash", "hash")


def _lock_heads(session: Session, chains: list[str],
                postgres: bool) -> Iterator[tuple[str, tuple[int, str]]]:
    """(chain, (seq, hash)) of the chains that exist, their head rows locked in chain order."""
    heads = table_of(AuditHead)
    match = (heads.c.chain == any_(bindparam("chains", chains, type_=ARRAY(String)))
             if postgres else heads.c.chain.in_(chains))
    for chain, seq, digest in session.execute(
            select(heads.c.chain, heads.c.seq, heads.c.hash).where(match)
            .order_by(heads.c.chain).with_for_update()):
        yield chain, (seq, digest)


def _write(session: Session, rows: list[tuple[Any, ...]],
           moved: list[tuple[str, int, str]]) -> None:
    """SQLite: insert the events and move the existing heads, each one executemany."""
    session.execute(insert(table_of(AuditEvent)),
                    [dict(zip(_COLUMNS, row, strict=True)) for row in rows])
    if moved:
        heads = table_of(AuditHead)
        session.execute(update(heads).where(heads.c.chain == bindparam("c"))
                        .values(seq=bindparam("s"), hash=bindparam("h"), dirty=True),
                        [{"c": c, "s": s, "h": h} for c, s, h in moved])


def _write_pg(session: Session, rows: list[tuple[Any, ...]],
              moved: list[tuple[str, int, str]]) -> None:
    """PostgreSQL: COPY the events; COPY the new ends of existing chains to a session-private
    scratch table and move their heads from it with one UPDATE."""
    events, heads = table_of(AuditEvent), table_of(AuditHead)
    raw = session.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        with cur.copy(f"COPY {events.name} ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        if not moved:
            return
        cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_MOVED} (chain varchar(40), seq integer,"
                    " hash varchar(64)) ON COMMIT DELETE ROWS")
        cur.execute(f"TRUNCATE {_MOVED}")  # an earlier call in this transaction left rows
        with cur.copy(f"COPY {_MOVED} (chain, seq, hash) FROM STDIN") as copy:
            for row in moved:
                copy.write_row(row)
        cur.execute(f"UPDATE {heads.name} AS h SET seq = m.seq, hash = m.hash, dirty = true "
                    f"FROM {_MOVED} AS m WHERE h.chain = m.chain")


#: The scratch table of ``_write_pg`` (temporary: one per connection, emptied at commit).
_MOVED = "audit_moved_heads"


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
