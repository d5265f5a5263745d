"""Verify the audit record: every chain link, every head, every anchor."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.audit.chain import GENESIS, anchor_hash, event_hash, heads_digest
from ombud.audit.tables import AuditAnchor, AuditAnchorHead, AuditEvent, AuditHead


@dataclass(frozen=True)
class Problem:
    """The first thing found wrong in one chain, with the row it concerns."""

    chain: str
    event_id: int | None
    seq: int | None
    reason: str
    anchor_id: int | None = None

    def __str__(self) -> str:
        if self.anchor_id is not None:
            return f"anchor {self.anchor_id}: {self.reason}"
        if self.event_id is not None:
            return f"event {self.event_id} (chain {self.chain}, seq {self.seq}): {self.reason}"
        at = f" at seq {self.seq}" if self.seq is not None else ""
        return f"chain {self.chain}{at}: {self.reason}"


@dataclass(frozen=True)
class Report:
    """What verification looked at and the problems it found."""

    events: int
    chains: int
    anchors: int
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        """True when nothing was found wrong."""
        return not self.problems


def verify(session: Session, *, batch: int = 20_000) -> Report:
    """Walk the anchors, then every chain in (chain, seq) order; report the first bad row.

    Everything is read from one snapshot (REPEATABLE READ on PostgreSQL, when ``session``
    has no transaction yet), so events written meanwhile are not mistaken for tampering.
    """
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    problems: list[Problem] = []
    anchored, anchors = _anchored_heads(session, problems)
    heads = {h.chain: (h.seq, h.hash) for h in session.scalars(select(AuditHead))}
    seen: dict[str, tuple[int, str]] = {}
    bad: set[str] = set()
    count = 0
    for ev in _events(session, batch):
        count += 1
        if ev.chain in bad:
            continue
        reason = _link_problem(ev, seen.get(ev.chain, (0, GENESIS))) or _head_problem(
            ev, heads.get(ev.chain))
        sealed = anchored.pop((ev.chain, ev.seq), None)
        if reason is None and sealed is not None and sealed != ev.hash:
            reason = "differs from what an anchor sealed (chain rewritten)"
        if reason:
            problems.append(Problem(ev.chain, ev.id, ev.seq, reason))
            bad.add(ev.chain)
            continue
        seen[ev.chain] = (ev.seq, ev.hash)
    for chain, head in heads.items():
        if chain not in bad and seen.get(chain) != head:
            last = seen.get(chain, (0, GENESIS))[0]
            problems.append(Problem(
                chain, None, last + 1,
                f"the chain ends at seq {last} but its head says seq {head[0]} (events deleted)",
            ))
            bad.add(chain)
    for chain, seq in sorted(anchored):
        if chain not in bad:
            problems.append(Problem(chain, None, seq, "an anchor sealed this event; it is gone"))
            bad.add(chain)
    return Report(events=count, chains=len(seen), anchors=anchors, problems=problems)


def _link_problem(ev: AuditEvent, previous: tuple[int, str]) -> str | None:
    """Why ``ev`` does not follow ``previous`` (seq, hash) in its chain, or None."""
    prev_seq, prev_hash = previous
    if ev.seq != prev_seq + 1:
        return f"sequence jumps from {prev_seq} to {ev.seq} (an event is missing or inserted)"
    if ev.prev_hash != prev_hash:
        return "does not link to the event before it (inserted or reordered)"
    expected = event_hash(
        chain=ev.chain, seq=ev.seq, at=ev.at, actor=ev.actor, action=ev.action,
        data=ev.data, prev_hash=ev.prev_hash,
    )
    if ev.hash != expected:
        return "content does not match its hash (altered)"
    return None


def _head_problem(ev: AuditEvent, head: tuple[int, str] | None) -> str | None:
    """Why ``ev`` does not fit its chain's head row (seq, hash), or None."""
    if head is None:
        return "its chain has no head (event inserted)"
    if ev.seq > head[0]:
        return f"comes after the chain's head at seq {head[0]} (event inserted)"
    if ev.seq == head[0] and ev.hash != head[1]:
        return "differs from the chain's head (chain rewritten)"
    return None


def _events(session: Session, batch: int) -> Iterator[AuditEvent]:
    """All events in (chain, seq, id) order, in keyset-paged batches."""
    last: tuple[str, int, int] | None = None
    while True:
        q = select(AuditEvent).order_by(AuditEvent.chain, AuditEvent.seq, AuditEvent.id)
        if last is not None:
            c, s, i = last
            q = q.where(
                (AuditEvent.chain > c)
                | ((AuditEvent.chain == c) & (AuditEvent.seq > s))
                | ((AuditEvent.chain == c) & (AuditEvent.seq == s) & (AuditEvent.id > i))
            )
        rows = list(session.scalars(q.limit(batch)))
        if not rows:
            return
        yield from rows
        session.expunge_all()
        last = (rows[-1].chain, rows[-1].seq, rows[-1].id)


def _anchored_heads(
    session: Session, problems: list[Problem]
) -> tuple[dict[tuple[str, int], str], int]:
    """Check the anchor chain and digests; return every sealed (chain, seq) -> hash."""
    sealed: dict[tuple[str, int], str] = {}
    prev = GENESIS
    count = 0
    for anchor in session.scalars(select(AuditAnchor).order_by(AuditAnchor.id)):
        count += 1
        heads = session.execute(
            select(AuditAnchorHead.chain, AuditAnchorHead.seq, AuditAnchorHead.hash)
            .where(AuditAnchorHead.anchor_id == anchor.id)
        ).all()
        if anchor.prev_hash != prev or anchor.hash != anchor_hash(
            at=anchor.at, heads_digest=anchor.heads_digest, prev_hash=anchor.prev_hash
        ):
            problems.append(Problem("anchors", None, None,
                                    "altered, or an anchor before it removed", anchor_id=anchor.id))
            break
        if heads_digest((c, s, h) for c, s, h in heads) != anchor.heads_digest:
            problems.append(Problem("anchors", None, None, "the heads it sealed were altered",
                                    anchor_id=anchor.id))
            break
        sealed.update({(c, s): h for c, s, h in heads})
        prev = anchor.hash
    return sealed, count
