"""Messages on a case, and the one writer of status: replies move a waiting case on,
refused moves change nothing, finished cases take no more messages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud.audit.tables import AuditEvent
from ombud.cases.filing import open_case
from ombud.cases.lifecycle import Event
from ombud.cases.schemas import CaseIn, MessageIn, TransitionIn
from ombud.cases.service import add_message, apply_transition
from ombud.cases.tables import Case, Message
from ombud.common.errors import Conflict, Forbidden
from tests.audit.crew import make_crew


def _status_and_trail(session: Session, ref: str) -> tuple[str, int]:
    session.expire_all()
    status = session.scalars(select(Case.status).where(Case.reference == ref)).one()
    events = session.scalar(select(func.count()).select_from(AuditEvent)
                            .where(AuditEvent.chain == ref))
    return status, events or 0


def test_a_customer_reply_moves_a_waiting_case_on(session: Session) -> None:
    crew = make_crew(session)
    agent = crew.staff["agent"]
    case, _ = open_case(session, crew.customer, CaseIn(summary="Deposit not credited"))
    ref = case.reference
    apply_transition(session, agent, ref, TransitionIn(event=Event.REQUEST_INFO))
    out = add_message(session, crew.customer, ref, MessageIn(body="Here is the tx hash"))
    assert out.direction == "in"
    assert _status_and_trail(session, ref)[0] == "triaged"
    apply_transition(session, agent, ref, TransitionIn(event=Event.START_INVESTIGATION))
    apply_transition(session, agent, ref, TransitionIn(event=Event.ASK_CUSTOMER))
    add_message(session, crew.customer, ref, MessageIn(body="The screenshot"))
    assert _status_and_trail(session, ref)[0] == "investigating"
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.chain == ref)
                              .order_by(AuditEvent.seq)).all()
    assert actions == ["case.opened", "case.transition", "message.in", "case.transition",
                       "case.transition", "case.transition", "message.in", "case.transition"]


def test_a_refused_move_changes_nothing(session: Session) -> None:
    crew = make_crew(session)
    case, _ = open_case(session, crew.customer, CaseIn(summary="Fee charged twice"))
    before = _status_and_trail(session, case.reference)
    with pytest.raises(Conflict, match="cannot close a case that is received"):
        apply_transition(session, crew.staff["agent"], case.reference,
                         TransitionIn(event=Event.CLOSE))
    with pytest.raises(Conflict, match="reject needs a reason"):  # a guard, not the table
        apply_transition(session, crew.staff["agent"], case.reference,
                         TransitionIn(event=Event.REJECT, reason=" "))
    assert _status_and_trail(session, case.reference) == before


def test_customers_write_no_internal_notes_and_finished_cases_take_no_messages(
    session: Session,
) -> None:
    crew = make_crew(session)
    case, _ = open_case(session, crew.customer, CaseIn(summary="Spam?"))
    with pytest.raises(Forbidden):
        add_message(session, crew.customer, case.reference,
                    MessageIn(body="psst", visibility="internal"))
    apply_transition(session, crew.staff["agent"], case.reference,
                     TransitionIn(event=Event.REJECT, reason="spam"))
    with pytest.raises(Conflict, match="takes no more messages"):
        add_message(session, crew.customer, case.reference, MessageIn(body="hello?"))
    assert session.scalar(select(func.count()).select_from(Message)) == 0


def test_the_reply_that_names_the_outcome_sought_is_kept_as_it(session: Session) -> None:
    crew = make_crew(session)
    case, _ = open_case(session, crew.customer, CaseIn(summary="Deposit not credited"))
    for body in ("Any news?", "退还 0.5 ETH 到我的账户", "Refund the fee as well"):
        add_message(session, crew.customer, case.reference, MessageIn(body=body))
    session.expire_all()
    row = session.scalars(select(Case).where(Case.reference == case.reference)).one()
    assert row.desired_outcome == "退还 0.5 ETH 到我的账户"
    actions = list(session.scalars(select(AuditEvent.action)
                                   .where(AuditEvent.chain == case.reference)))
    assert actions.count("case.outcome_recorded") == 1


def test_a_named_outcome_is_not_replaced_by_a_reply(session: Session) -> None:
    crew = make_crew(session)
    case, _ = open_case(session, crew.customer, CaseIn(
        summary="Fee charged twice", desired_outcome="Refund the second fee"))
    add_message(session, crew.customer, case.reference, MessageIn(body="Here is a screenshot"))
    session.expire_all()
    row = session.scalars(select(Case).where(Case.reference == case.reference)).one()
    assert row.desired_outcome == "Refund the second fee"
