"""``append_many``: many events on existing and new chains in a few statements, chained
exactly as one ``append`` at a time would chain them, so verification and anchors hold."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from ombud.audit import service as audit
from ombud.audit.chain import GENESIS
from ombud.audit.tables import AuditEvent, AuditHead
from ombud.audit.verify import verify
from ombud.db import tx
from tests.audit.crew import race


def _chain(session: Session, chain: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.chain == chain)
                                .order_by(AuditEvent.seq)))


def test_events_continue_existing_chains_and_start_new_ones_in_order(session: Session) -> None:
    for action in ("opened", "replied"):
        audit.append(session, actor="system", action=action, chain="C-1", case_id=1)
    audit.append(session, actor="system", action="opened", chain="C-2", case_id=2)
    session.commit()
    done = audit.append_many(session, [
        audit.Entry("C-1", "system", "warned", 1, {"clocks": ["CL-3"]}),
        audit.Entry("C-3", "system", "warned", 3),
        audit.Entry("C-1", "system", "breached", 1, {"clocks": ["AK-3"]}),
        audit.Entry("C-2", "system", "warned", 2, {"note": "tab\there\nline \\ 中文 \"q\""}),
    ])
    session.commit()
    assert done == 4
    two = _chain(session, "C-2")
    assert json.loads(two[-1].data) == {"note": "tab\there\nline \\ 中文 \"q\""}
    one = _chain(session, "C-1")
    assert [(e.seq, e.action) for e in one] == [
        (1, "opened"), (2, "replied"), (3, "warned"), (4, "breached")]
    assert [e.prev_hash for e in one[1:]] == [e.hash for e in one[:-1]]
    assert one[2].data == '{"clocks":["CL-3"]}'
    three = _chain(session, "C-3")
    assert [(e.seq, e.prev_hash) for e in three] == [(1, GENESIS)]
    heads = {h.chain: h for h in session.scalars(select(AuditHead))}
    assert (heads["C-1"].seq, heads["C-1"].hash) == (4, one[-1].hash)
    assert (heads["C-3"].seq, heads["C-2"].seq) == (1, 2)
    report = verify(session)
    assert report.ok, [str(p) for p in report.problems]
    assert report.events == 7


def test_single_appends_before_and_after_in_one_transaction_stay_in_sequence(
    session: Session,
) -> None:
    with tx(session):
        audit.append(session, actor="system", action="one", chain="K")
        audit.append_many(session, [audit.Entry("K", "system", "two"),
                                    audit.Entry("K", "system", "three")])
        audit.append(session, actor="system", action="four", chain="K")
    assert [(e.seq, e.action) for e in _chain(session, "K")] == [
        (1, "one"), (2, "two"), (3, "three"), (4, "four")]
    assert verify(session).ok


def test_a_bulk_append_is_sealed_by_the_next_anchor_and_tampering_is_caught(
    session: Session,
) -> None:
    audit.append(session, actor="system", action="one", chain="K")
    audit.anchor(session)
    audit.append_many(session, [audit.Entry("K", "system", "two"),
                                audit.Entry("L", "system", "one")])
    session.commit()
    assert session.scalars(select(AuditHead.chain).where(AuditHead.dirty)
                           .order_by(AuditHead.chain)).all() == ["K", "L"]
    assert audit.anchor(session) is not None
    session.commit()
    assert verify(session).ok
    session.execute(update(AuditEvent).where(AuditEvent.chain == "K", AuditEvent.seq == 2)
                    .values(data='{"forged":true}'))
    session.commit()
    problems = verify(session).problems
    assert [(p.chain, p.seq) for p in problems] == [("K", 2)]


class Abandoned(Exception):
    """Raised on purpose after the bulk append, to roll the transaction back."""


def test_a_failure_after_a_bulk_append_rolls_it_back(session: Session) -> None:
    audit.append(session, actor="system", action="one", chain="K")
    session.commit()
    with pytest.raises(Abandoned), tx(session):
        audit.append_many(session, [audit.Entry("K", "system", "two"),
                                    audit.Entry("M", "system", "one")])
        raise Abandoned
    assert [e.action for e in _chain(session, "K")] == ["one"]
    assert session.get(AuditHead, "M") is None
    assert verify(session).ok


def test_nothing_to_append_writes_nothing(session: Session) -> None:
    assert audit.append_many(session, []) == 0
    assert session.scalars(select(AuditEvent)).all() == []


def test_a_concurrent_append_to_the_same_chain_waits_for_the_bulk_writer(
    sessions: sessionmaker[Session], session: Session,
) -> None:
    audit.append(session, actor="system", action="one", chain="K")
    session.commit()

    def bulk(s: Session) -> None:
        audit.append_many(s, [audit.Entry("K", "system", "bulk"),
                              audit.Entry("L", "system", "bulk")])

    def single(s: Session) -> None:
        audit.append(s, actor="system", action="single", chain="K")
        s.commit()

    race(sessions, bulk, single)
    assert [(e.seq, e.action) for e in _chain(session, "K")] == [
        (1, "one"), (2, "bulk"), (3, "single")]
    report = verify(session)
    assert report.ok, [str(p) for p in report.problems]
