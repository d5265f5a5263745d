"""Tampering with the audit record through SQL is caught by ``ombud audit verify``, which
names the first bad event (or anchor, or missing seq) and exits non-zero."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import pytest
from sqlalchemy import DateTime, bindparam, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ombud.audit import service as audit
from ombud.audit.chain import event_hash
from ombud.audit.tables import AuditEvent
from ombud.cases import filing, service
from ombud.cases.lifecycle import Event
from ombud.cases.schemas import CaseIn, MessageIn, TransitionIn
from ombud.cli import app
from ombud.config import Settings
from ombud.security.permissions import Principal
from tests.audit.crew import make_crew


@dataclass
class Record:
    """A small audit record: two case chains of four events each, plus the system chain."""

    agent: Principal
    ref: str
    other: str
    ids: list[int]  # event ids of ``ref`` by seq (index 0 is seq 1)


@pytest.fixture
def record(session: Session) -> Record:
    crew = make_crew(session)
    agent = crew.staff["agent"]
    refs = []
    for summary in ("Order filled late", "Deposit missing"):
        case, _ = filing.open_case(session, agent, CaseIn(summary=summary,
                                                           customer_uid="UID-CAROL-1"))
        service.add_message(session, agent, case.reference, MessageIn(body="Looking into it"))
        service.apply_transition(session, agent, case.reference,
                                 TransitionIn(event=Event.TRIAGE))
        service.add_message(session, agent, case.reference, MessageIn(body="Found the fill"))
        refs.append(case.reference)
    ids = list(session.scalars(select(AuditEvent.id).where(AuditEvent.chain == refs[0])
                               .order_by(AuditEvent.seq)))
    assert len(ids) == 4
    return Record(agent, refs[0], refs[1], ids)


def run_verify(settings: Settings) -> tuple[int, str]:
    """``ombud audit verify`` against the test database: (exit code, output on one line)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        result = CliRunner().invoke(app, ["audit", "verify"], env={
            "OMBUD_DATABASE_URL": settings.database_url, "COLUMNS": "250"})
    finally:  # the CLI points the root logger at its (captured, then closed) stderr
        root.handlers[:], root.level = handlers, level
    return result.exit_code, " ".join(result.output.split())


def sql(session: Session, statement: str, **params: object) -> None:
    """Run raw SQL as a tamperer would, and commit it."""
    session.execute(text(statement), params)
    session.commit()


def _event(session: Session, event_id: int) -> AuditEvent:
    ev = session.get(AuditEvent, event_id)
    assert ev is not None
    return ev


def test_an_intact_record_verifies(settings: Settings, session: Session, record: Record) -> None:
    audit.anchor(session)
    service.add_message(session, record.agent, record.ref, MessageIn(body="after"))
    code, out = run_verify(settings)
    assert code == 0, out
    assert "audit record intact" in out and "1 anchors" in out


def test_altered_data_is_caught(settings: Settings, session: Session, record: Record) -> None:
    sql(session, "UPDATE audit_events SET data = :d WHERE id = :i",
        d='{"message_id":999}', i=record.ids[1])
    code, out = run_verify(settings)
    assert code != 0
    assert f"event {record.ids[1]} (chain {record.ref}, seq 2)" in out
    assert "altered" in out


def test_altered_actor_is_caught(settings: Settings, session: Session, record: Record) -> None:
    sql(session, "UPDATE audit_events SET actor = 'staff:999' WHERE id = :i", i=record.ids[2])
    code, out = run_verify(settings)
    assert code != 0 and f"event {record.ids[2]} (chain {record.ref}, seq 3)" in out


def test_a_deleted_middle_event_is_caught(
    settings: Settings, session: Session, record: Record
) -> None:
    sql(session, "DELETE FROM audit_events WHERE id = :i", i=record.ids[1])
    code, out = run_verify(settings)
    assert code != 0
    assert f"event {record.ids[2]} (chain {record.ref}, seq 3)" in out  # the first bad one left
    assert "jumps from 1 to 3" in out


def test_a_deleted_last_event_disagrees_with_the_head(
    settings: Settings, session: Session, record: Record
) -> None:
    sql(session, "DELETE FROM audit_events WHERE id = :i", i=record.ids[3])
    code, out = run_verify(settings)
    assert code != 0
    assert f"chain {record.ref} at seq 4" in out and "events deleted" in out
    assert record.other not in out  # the other chain is intact


def test_a_deleted_last_event_with_the_head_fixed_is_caught_by_an_earlier_anchor(
    settings: Settings, session: Session, record: Record
) -> None:
    audit.anchor(session)
    third = _event(session, record.ids[2])
    sql(session, "DELETE FROM audit_events WHERE id = :i", i=record.ids[3])
    sql(session, "UPDATE audit_heads SET seq = 3, hash = :h WHERE chain = :c",
        h=third.hash, c=record.ref)
    code, out = run_verify(settings)
    assert code != 0
    assert f"chain {record.ref} at seq 4" in out and "an anchor sealed this event" in out


def _forge(session: Session, *, chain: str, seq: int, prev_hash: str, valid: bool) -> int:
    """Insert a forged event through SQL; ``valid`` computes its hash like the real thing."""
    at = dt.datetime.now(dt.UTC)
    data = '{"refund":"10000 USDT"}'
    digest = event_hash(chain=chain, seq=seq, at=at, actor="staff:1", action="case.note",
                        data=data, prev_hash=prev_hash) if valid else "f" * 64
    session.execute(
        text("INSERT INTO audit_events (chain, seq, at, actor, action, case_id, data, prev_hash,"
             " hash) VALUES (:c, :s, :at, 'staff:1', 'case.note', NULL, :d, :p, :h)")
        .bindparams(bindparam("at", type_=DateTime(timezone=True))),
        {"c": chain, "s": seq, "at": at, "d": data, "p": prev_hash, "h": digest})
    session.commit()
    return int(session.scalars(select(AuditEvent.id).where(
        AuditEvent.chain == chain, AuditEvent.seq == seq)).one())


@pytest.mark.parametrize("valid", [False, True], ids=["naive hash", "recomputed hash"])
def test_a_forged_event_appended_is_caught(
    valid: bool, settings: Settings, session: Session, record: Record
) -> None:
    last = _event(session, record.ids[3])
    forged = _forge(session, chain=record.ref, seq=5, prev_hash=last.hash, valid=valid)
    code, out = run_verify(settings)
    assert code != 0
    assert f"event {forged} (chain {record.ref}, seq 5)" in out


def test_a_forged_event_slipped_in_front_is_caught(
    settings: Settings, session: Session, record: Record
) -> None:
    forged = _forge(session, chain=record.ref, seq=0, prev_hash="0" * 64, valid=True)
    code, out = run_verify(settings)
    assert code != 0 and f"event {forged} (chain {record.ref}, seq 0)" in out


def test_a_forged_event_in_a_chain_of_its_own_is_caught(
    settings: Settings, session: Session, record: Record
) -> None:
    forged = _forge(session, chain="C-2020-000001", seq=1, prev_hash="0" * 64, valid=True)
    code, out = run_verify(settings)
    assert code != 0 and f"event {forged} (chain C-2020-000001, seq 1)" in out


def test_swapped_events_are_caught(settings: Settings, session: Session, record: Record) -> None:
    second, third = record.ids[1], record.ids[2]
    sql(session, "UPDATE audit_events SET seq = -1 WHERE id = :i", i=second)
    sql(session, "UPDATE audit_events SET seq = 2 WHERE id = :i", i=third)
    sql(session, "UPDATE audit_events SET seq = 3 WHERE id = :i", i=second)
    code, out = run_verify(settings)
    assert code != 0
    assert f"event {third} (chain {record.ref}, seq 2)" in out and "does not link" in out


def test_an_altered_anchor_is_caught(settings: Settings, session: Session, record: Record) -> None:
    first = audit.anchor(session)
    service.add_message(session, record.agent, record.ref, MessageIn(body="more"))
    audit.anchor(session)
    assert first is not None
    sql(session, "UPDATE audit_anchors SET heads_digest = :d WHERE id = :i",
        d="0" * 64, i=first.id)
    code, out = run_verify(settings)
    assert code != 0 and f"anchor {first.id}" in out and "altered" in out


def test_an_altered_anchored_head_is_caught(
    settings: Settings, session: Session, record: Record
) -> None:
    sealed = audit.anchor(session)
    assert sealed is not None
    sql(session, "UPDATE audit_anchor_heads SET hash = :h WHERE anchor_id = :a AND chain = :c",
        h="e" * 64, a=sealed.id, c=record.ref)
    code, out = run_verify(settings)
    assert code != 0 and f"anchor {sealed.id}" in out


def test_every_bad_chain_is_named(settings: Settings, session: Session, record: Record) -> None:
    other_first = session.scalars(select(AuditEvent.id).where(
        AuditEvent.chain == record.other, AuditEvent.seq == 1)).one()
    sql(session, "UPDATE audit_events SET action = 'case.closed' WHERE id IN (:a, :b)",
        a=record.ids[0], b=other_first)
    code, out = run_verify(settings)
    assert code != 0
    assert f"event {record.ids[0]} " in out and f"event {other_first} " in out
