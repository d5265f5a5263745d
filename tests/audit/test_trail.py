"""Every state change, message, assignment, attachment and staff view of a case writes an
audit event in the same transaction: committed together, rolled back together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud.audit.tables import AuditEvent, AuditHead
from ombud.audit.verify import verify
from ombud.cases import attachments, filing, service
from ombud.cases.lifecycle import Event
from ombud.cases.schemas import AssignIn, CaseIn, MessageIn, TransitionIn
from ombud.cases.tables import Attachment, Case, Message
from ombud.db import tx
from ombud.security.roles import Permission
from ombud.storage.blobs import LocalBlobStore
from tests.audit.crew import Crew, make_crew

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class Abandoned(Exception):
    """Raised on purpose after the audit append, to roll the transaction back."""


@dataclass
class Verb:
    """One way of changing a case, the audit action it writes, and how to see its effect."""

    action: str
    run: Callable[[Session, Crew, str, Path], object]
    effect: Callable[[Session, Case], object]


def _attach(session: Session, crew: Crew, ref: str, tmp: Path) -> object:
    return attachments.add_attachment(
        session, crew.staff["agent"], ref, filename="screen.png", data=PNG,
        store=LocalBlobStore(tmp / "blobs"), max_bytes=1 << 20)


def _view(session: Session, crew: Crew, ref: str, _tmp: Path) -> None:
    with tx(session):
        case = service.load(session, crew.staff["agent"], ref, Permission.VIEW_CASE)
        service.record_view(session, crew.staff["agent"], case)


VERBS = {
    "transition": Verb(
        "case.transition",
        lambda s, w, ref, _t: service.apply_transition(
            s, w.staff["agent"], ref, TransitionIn(event=Event.TRIAGE)),
        lambda s, case: case.status),
    "message": Verb(
        "message.out",
        lambda s, w, ref, _t: service.add_message(
            s, w.staff["agent"], ref, MessageIn(body="We are looking into it")),
        lambda s, case: s.scalar(select(func.count()).select_from(Message)
                                 .where(Message.case_id == case.id))),
    "internal note": Verb(
        "message.note",
        lambda s, w, ref, _t: service.add_message(
            s, w.staff["agent"], ref, MessageIn(body="check fills", visibility="internal")),
        lambda s, case: s.scalar(select(func.count()).select_from(Message)
                                 .where(Message.case_id == case.id))),
    "assignment": Verb(
        "case.assigned",
        lambda s, w, ref, _t: service.assign(
            s, w.staff["supervisor"], ref, AssignIn(assignee_id=w.staff["agent"].id)),
        lambda s, case: (case.team_id, case.assignee_id)),
    "attachment": Verb(
        "attachment.added", _attach,
        lambda s, case: s.scalar(select(func.count()).select_from(Attachment)
                                 .where(Attachment.case_id == case.id))),
    "staff view": Verb("case.viewed", _view, lambda s, case: None),
}


def _open(session: Session, crew: Crew) -> str:
    case, _ = filing.open_case(session, crew.staff["agent"],
                                CaseIn(summary="Order filled late", customer_uid="UID-CAROL-1"))
    return case.reference


def _trail(session: Session, ref: str) -> list[str]:
    session.expire_all()
    return list(session.scalars(
        select(AuditEvent.action).where(AuditEvent.chain == ref).order_by(AuditEvent.seq)))


def _state(session: Session, ref: str, verb: Verb) -> object:
    session.expire_all()
    case = session.scalars(select(Case).where(Case.reference == ref)).one()
    head = session.get(AuditHead, ref)
    return verb.effect(session, case), head and (head.seq, head.hash)


@pytest.mark.parametrize("name", list(VERBS))
def test_each_change_writes_one_audit_event(
    name: str, session: Session, tmp_path: Path
) -> None:
    crew = make_crew(session)
    verb = VERBS[name]
    ref = _open(session, crew)
    before = _state(session, ref, verb)
    verb.run(session, crew, ref, tmp_path)
    assert _trail(session, ref) == ["case.opened", verb.action]
    if name != "staff view":
        assert _state(session, ref, verb)[0] != before[0]
    event = session.scalars(select(AuditEvent).where(AuditEvent.chain == ref)
                            .order_by(AuditEvent.seq.desc())).first()
    assert event is not None and event.actor.startswith("staff:")
    assert verify(session).ok


@pytest.mark.parametrize("name", list(VERBS))
def test_a_failure_after_the_audit_append_rolls_both_back(
    name: str, session: Session, tmp_path: Path
) -> None:
    crew = make_crew(session)
    verb = VERBS[name]
    ref = _open(session, crew)
    before = _state(session, ref, verb)
    with pytest.raises(Abandoned), tx(session):
        verb.run(session, crew, ref, tmp_path)
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.chain == ref)) == 2  # appended, uncommitted
        raise Abandoned
    assert _trail(session, ref) == ["case.opened"]
    assert _state(session, ref, verb) == before  # the effect and the chain head both undone
    assert verify(session).ok


def test_a_customer_reading_their_case_leaves_no_view_event(session: Session) -> None:
    crew = make_crew(session)
    ref = _open(session, crew)
    case = session.scalars(select(Case).where(Case.reference == ref)).one()
    service.record_view(session, crew.customer, case)
    assert _trail(session, ref) == ["case.opened"]
