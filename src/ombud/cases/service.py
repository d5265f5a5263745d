"""Case verbs: read through the access gate, reply, transition, assign (filing a case is
``cases.filing``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.cases import lifecycle
from ombud.cases.lifecycle import Event, Status
from ombud.cases.outcome import desired_outcome
from ombud.cases.schemas import AssignIn, CaseOut, MessageIn, MessageOut, TransitionIn
from ombud.cases.tables import Case, Message
from ombud.common.clock import utcnow
from ombud.common.errors import Conflict, Forbidden, Invalid, NotFound
from ombud.db import tx
from ombud.jobs import service as jobs
from ombud.security import permissions
from ombud.security.permissions import Principal
from ombud.security.roles import Permission
from ombud.security.tables import Staff, Team

#: Events only the decision verbs (resolution, disputes) apply, with their guard facts.
DECISION_EVENTS = frozenset({
    Event.PROPOSE, Event.ACCEPT, Event.OBJECT, Event.START_RE_REVIEW, Event.EXECUTE,
    Event.COMPLETE, Event.LAPSE, Event.CLOSE})
#: Events the console never offers as a plain transition: another domain's verb applies them.
VERB_EVENTS = DECISION_EVENTS | {Event.RESOLVE_BY_INCIDENT}


def load(session: Session, principal: Principal, reference: str, perm: Permission) -> Case:
    """The case ``reference`` if ``principal`` may ``perm`` it (404 when not visible)."""
    case = session.scalars(select(Case).where(Case.reference == reference)).first()
    permissions.gate(principal, case, perm, reference)
    assert case is not None
    return case


def add_message(
    session: Session, principal: Principal, reference: str, data: MessageIn
) -> MessageOut:
    """A reply or internal note on a case. A customer's reply moves a waiting case on."""
    internal = data.visibility == "internal"
    perm = Permission.INTERNAL_NOTE if internal else Permission.REPLY
    with tx(session):
        case = load(session, principal, reference, perm)
        if internal and principal.kind == "customer":
            raise Forbidden("customers cannot write internal notes")
        if case.status in {s.value for s in lifecycle.TERMINAL}:
            raise Conflict(f"case {reference} is {case.status}; it takes no more messages")
        direction = "in" if principal.kind == "customer" else ("note" if internal else "out")
        msg = Message(
            case_id=case.id, direction=direction, channel=case.channel,
            author_kind=principal.kind, author_id=principal.id, author_name=principal.name,
            body=data.body, visibility=data.visibility, created_at=utcnow(),
        )
        session.add(msg)
        case.updated_at = msg.created_at
        session.flush()
        audit.append(session, actor=principal.actor, action=f"message.{direction}",
                     chain=reference, case_id=case.id, data={"message_id": msg.id})
        if principal.kind == "customer":
            follow = {Status.NEEDS_INFO.value: Event.INFO_RECEIVED,
                      Status.AWAITING_CUSTOMER.value: Event.CUSTOMER_REPLIED}.get(case.status)
            if follow is not None:  # the reply answers the question they were asked
                _move(session, principal, case, follow, "")
            elif not case.desired_outcome.strip():
                _record_outcome(session, principal, case, msg)
        return MessageOut.model_validate(msg)


def _record_outcome(session: Session, principal: Principal, case: Case, msg: Message) -> None:
    """The acknowledgement asked a customer who named no outcome what they want: the first
    later message of theirs that says it (and answers no other question) is kept as the
    case's desired outcome, audited with the message it came from."""
    wanted = desired_outcome(msg.body)
    if not wanted:
        return
    case.desired_outcome = wanted
    audit.append(session, actor=principal.actor, action="case.outcome_recorded",
                 chain=case.reference, case_id=case.id, data={"message_id": msg.id})


def apply_transition(
    session: Session, principal: Principal, reference: str, data: TransitionIn
) -> CaseOut:
    """The one writer of ``Case.status``: moves the case if the lifecycle accepts the event.

    The decision's events (propose, accept, object, re-review, execute, complete, lapse,
    close) are refused here: the decision verbs apply them with the facts their guards need
    (resolution by an incident is refused by its guard unless the incident's closing moves it).
    """
    with tx(session):
        case = load(session, principal, reference, Permission.TRANSITION)
        if (data.event in DECISION_EVENTS
                and (Status(case.status), data.event) in lifecycle.TRANSITIONS):
            raise Conflict(f"{data.event.value.replace('_', ' ')} is done on the case's "
                           f"decision panel (/console/cases/{reference}) or with the decision "
                           "API, not as a plain transition", pointer="event")
        _move(session, principal, case, data.event, data.reason)
        return CaseOut.model_validate(case)


def advance(session: Session, principal: Principal, case_id: int, event: Event, *,
            reason: str = "", proposer_id: int | None = None, needs_approval: bool = False,
            approved_by_other: bool = False, open_remedies: int = 0,
            within_reopen_window: bool = True, incident_ref: str = "") -> Case:
    """Move a case on behalf of another domain's verb, which has already checked the
    principal's permission and gathers the guard facts it owns (proposals, remedies,
    the major incident answering it)."""
    with tx(session):
        case = get_by_id(session, case_id)
        _move(session, principal, case, event, reason, proposer_id=proposer_id,
              needs_approval=needs_approval, approved_by_other=approved_by_other,
              open_remedies=open_remedies, within_reopen_window=within_reopen_window,
              incident_ref=incident_ref)
        return case


def _move(session: Session, principal: Principal, case: Case, event: Event, reason: str,
          **facts: Any) -> None:
    ctx = lifecycle.Context(actor_id=principal.id, reason=reason,
                            cited_findings=case.cited_findings or 0, **facts)
    try:
        target = lifecycle.transition(Status(case.status), event, ctx)
    except (lifecycle.IllegalTransition, lifecycle.GuardFailed) as exc:
        raise Conflict(str(exc), pointer="event") from None
    before = case.status
    case.status = target.value
    case.updated_at = utcnow()
    audit.append(session, actor=principal.actor, action="case.transition", chain=case.reference,
                 case_id=case.id, data={"event": event.value, "from": before, "to": target.value,
                                        "reason": reason})
    if target is Status.INVESTIGATING:  # the evidence domain's job, named by kind only
        jobs.enqueue(session, "evidence.capture", {"case_id": case.id, "run": "auto"},
                     f"evidence.capture:{case.id}:auto")
    if target is Status.RESOLVED:  # the feedback domain's survey, one per case
        jobs.enqueue(session, "feedback.survey", {"case_id": case.id}, f"survey:{case.id}")


def assign(session: Session, principal: Principal, reference: str, data: AssignIn) -> CaseOut:
    """Give a case to a team and/or handler; anyone who handles cases may take one themselves."""
    with tx(session):
        self_take = data.assignee_id == principal.id and data.team_id is None
        case = load(session, principal, reference,
                    Permission.TRANSITION if self_take else Permission.ASSIGN)
        if data.team_id is not None and session.get(Team, data.team_id) is None:
            raise Invalid(f"team {data.team_id} does not exist", pointer="team_id")
        if data.assignee_id is not None:
            staff = session.get(Staff, data.assignee_id)
            if staff is None or not staff.active:
                raise Invalid(f"staff {data.assignee_id} does not exist", pointer="assignee_id")
            if data.team_id is None and staff.team_id is not None:
                data = AssignIn(team_id=staff.team_id, assignee_id=staff.id)
        before = {"team_id": case.team_id, "assignee_id": case.assignee_id}
        if data.team_id is not None:
            case.team_id = data.team_id
        case.assignee_id = data.assignee_id
        case.updated_at = utcnow()
        audit.append(session, actor=principal.actor, action="case.assigned", chain=reference,
                     case_id=case.id, data={"before": before, "after": data.model_dump()})
        return CaseOut.model_validate(case)


def record_view(session: Session, principal: Principal, case: Case) -> None:
    """Staff reading a case's personal data leaves an audit event (GV-4)."""
    if principal.kind != "staff":
        return
    with tx(session):
        audit.append(session, actor=principal.actor, action="case.viewed", chain=case.reference,
                     case_id=case.id)


def record_cited_findings(session: Session, case_id: int, count: int) -> None:
    """Record how many of the case's findings cite evidence (the proposal guard reads it);
    called by the evidence domain in the transaction that saved the finding."""
    with tx(session):
        get_by_id(session, case_id).cited_findings = count


def get_by_id(session: Session, case_id: int) -> Case:
    """A case by internal id, for job handlers (no principal involved)."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"case id {case_id} not found")
    return case
