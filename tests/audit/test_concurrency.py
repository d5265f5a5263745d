"""The audit record under concurrent writers: appends never reuse a seq, anchors never fork,
and verification reads one consistent snapshot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ombud.audit import service as audit
from ombud.audit import verify as audit_verify
from ombud.audit.tables import AuditAnchor, AuditEvent, AuditHead
from tests.audit.crew import race


def test_an_append_sees_the_current_head_even_if_the_session_holds_an_old_copy(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as a, sessions() as b:
        audit.append(a, actor="system", action="one", chain="K")
        a.commit()
        held = a.get(AuditHead, "K")  # an old copy stays in a's identity map
        audit.append(b, actor="system", action="two", chain="K")
        b.commit()
        audit.append(a, actor="system", action="three", chain="K")
        a.commit()
        assert held is not None and held.seq == 3
        assert audit_verify.verify(a).ok


def test_concurrent_anchors_do_not_fork_the_anchor_chain(
    sessions: sessionmaker[Session], session: Session
) -> None:
    audit.append(session, actor="system", action="one", chain="K")
    audit.anchor(session)
    audit.append(session, actor="system", action="two", chain="K")
    audit.append(session, actor="system", action="x", chain="L")
    session.commit()

    def seal(s: Session) -> None:
        audit.anchor(s)

    race(sessions, seal, seal)
    report = audit_verify.verify(session)
    assert report.ok, [str(p) for p in report.problems]
    assert session.scalar(select(func.count()).select_from(AuditAnchor)) == 2


@pytest.fixture
def append_meanwhile(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[int]]:
    """Make another writer append to chain K just after verify has read the heads."""
    appended: list[int] = []
    events = audit_verify._events

    def late_events(session: Session, batch: int) -> Iterator[AuditEvent]:
        with sessions() as other:
            appended.append(audit.append(other, actor="system", action="late", chain="K").id)
            other.commit()
        return events(session, batch)

    monkeypatch.setattr(audit_verify, "_events", late_events)
    yield appended


def test_verification_reads_one_snapshot(
    sessions: sessionmaker[Session], session: Session, append_meanwhile: list[int]
) -> None:
    audit.append(session, actor="system", action="one", chain="K")
    session.commit()
    with sessions() as fresh:
        report = audit_verify.verify(fresh)
    assert append_meanwhile, "the concurrent append did not happen"
    assert report.ok, [str(p) for p in report.problems]
    assert report.events == 1
