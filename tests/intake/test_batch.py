"""Mails registered together (the listener's group commit, one bulk open) end exactly as each
would alone, in order: threading onto a case opened in the same batch, one customer per
sender, automatic and quarantined mails, and a duplicate sends the batch back to one by one."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.audit.verify import verify
from ombud.cases.tables import Case, Message
from ombud.common.errors import Conflict
from ombud.customers.tables import Customer
from ombud.intake.service import Envelope, IntakeConfig, Prepared, prepare, register, register_many
from ombud.intake.tables import InboundMail, MailThread
from ombud.jobs.tables import Job

from .conftest import count, mail


def _prepared(raw: bytes, cfg: IntakeConfig, *, hold: str = "") -> Prepared:
    return prepare(raw, Envelope("sender@example.com", ("complaints@ombud.local",), hold=hold),
                   cfg)


def _msgid(raw: bytes) -> str:
    return raw.split(b"Message-ID: ", 1)[1].split(b"\n", 1)[0].strip().decode()


def test_one_batch_ends_as_one_by_one(session: Session, cfg: IntakeConfig) -> None:
    first, frozen = mail(subject="Withdrawal stuck"), mail(subject="Frozen account",
                                                            sender="dave@example.com")
    raws = [
        first,
        mail(subject="RE: Withdrawal stuck", body="Still stuck."),  # same sender and subject
        frozen,
        mail(subject="Fee charged twice", sender="dave@example.com"),
        mail(subject="More details", body="The txid is 0xabc.", sender="dave@example.com",
             In_Reply_To=_msgid(frozen)),
        mail(subject="Out of office", Auto_Submitted="auto-replied"),
    ]
    batch = [(_prepared(raw, cfg), cfg) for raw in raws]
    batch.append((_prepared(mail(subject="Too big"), cfg, hold="too big to fetch"), cfg))
    results = register_many(session, batch)
    assert [r.outcome for r in results] == [
        "case_opened", "follow_up", "case_opened", "case_opened", "follow_up", "automatic",
        "quarantined"]
    refs = [r.case_reference for r in results]
    assert refs[0] == refs[1] and refs[2] == refs[4] and len({refs[0], refs[2], refs[3]}) == 3
    session.rollback()
    stuck = session.scalars(select(Case).where(Case.reference == refs[0])).one()
    bodies = session.scalars(select(Message.body).where(
        Message.case_id == stuck.id, Message.direction == "in").order_by(Message.id)).all()
    assert bodies == ["It never arrived.", "Still stuck."]
    daves = session.scalars(select(Customer.id).where(Customer.email == "dave@example.com")).all()
    assert len(daves) == 1
    assert count(session, Case.id, Case.customer_id == daves[0]) == 2
    assert count(session, Job.id, Job.kind == "cases.acknowledge") == 3
    assert count(session, InboundMail.id) == 7
    assert count(session, MailThread.id, MailThread.case_id == stuck.id) == 2
    assert len({r.mail_id for r in results}) == 7
    assert verify(session).ok


def test_a_duplicate_sends_the_batch_back_one_by_one(session: Session,
                                                     cfg: IntakeConfig) -> None:
    seen = _prepared(mail(), cfg)
    assert register(session, seen, cfg).outcome == "case_opened"
    fresh = _prepared(mail(subject="Another matter"), cfg)
    with pytest.raises(Conflict):
        register_many(session, [(fresh, cfg), (seen, cfg)])
    assert count(session, InboundMail.id) == 1  # nothing of the failed batch was kept
    with pytest.raises(Conflict):
        register_many(session, [(fresh, cfg), (fresh, cfg)])
    assert [register(session, m, cfg).outcome for m in (fresh, seen)] == [
        "case_opened", "duplicate"]
