"""Case verbs for triage: set what an assessment decided, link incident members to their
major-incident case, and answer them all at once.

Triage sits above cases and calls these; cases never imports triage.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.cases import lifecycle
from ombud.cases.lifecycle import Status
from ombud.cases.schemas import AssessmentIn, CaseOut, MessageIn
from ombud.cases.service import load
from ombud.cases.tables import Case, Message
from ombud.cases.taxonomy import SUBCATEGORIES, Category
from ombud.common.clock import as_utc, utcnow
from ombud.common.errors import Invalid
from ombud.db import tx
from ombud.security.permissions import Principal
from ombud.security.roles import Permission
from ombud.security.tables import Staff, Team

_FIELDS = ("category", "subcategory", "priority", "impact", "team_id", "assignee_id", "due_at")


def _plain(value: object) -> object:
    if hasattr(value, "value"):
        return value.value  # an enum
    if hasattr(value, "isoformat"):
        return as_utc(value).isoformat()  # type: ignore[arg-type]
    return value


def _check(session: Session, case: Case, data: AssessmentIn) -> None:
    category = data.category or Category(case.category)
    sub = data.subcategory if data.subcategory is not None else case.subcategory
    if sub and sub not in SUBCATEGORIES[category]:
        raise Invalid(f"{sub!r} is not a sub-category of {category.value}", pointer="subcategory")
    if data.team_id is not None and session.get(Team, data.team_id) is None:
        raise Invalid(f"team {data.team_id} does not exist", pointer="team_id")
    if data.assignee_id is not None:
        staff = session.get(Staff, data.assignee_id)
        if staff is None or not staff.active:
            raise Invalid(f"staff {data.assignee_id} does not exist", pointer="assignee_id")


def apply_assessment(
    session: Session, principal: Principal, reference: str, data: AssessmentIn
) -> CaseOut:
    """Set category, sub-category, priority, impact, team, handler and due date (those given),
    with one audit event holding the values before and after and the reason."""
    given = [f for f in _FIELDS if f in data.model_fields_set]
    moves_people = {"team_id", "assignee_id"} & set(given)
    with tx(session):
        case = load(session, principal, reference,
                    Permission.ASSIGN if moves_people else Permission.TRANSITION)
        _check(session, case, data)
        if data.category is not None and data.subcategory is None:
            data = data.model_copy(update={"subcategory": ""})
            given.append("subcategory")
        before = {f: _plain(getattr(case, f)) for f in given}
        for f in given:
            setattr(case, f, _plain(getattr(data, f)) if f != "due_at" else data.due_at)
        case.updated_at = utcnow()
        audit.append(session, actor=principal.actor, action="case.assessed", chain=reference,
                     case_id=case.id, data={"before": before,
                                            "after": {f: _plain(getattr(case, f)) for f in given},
                                            "reason": data.reason})
        return CaseOut.model_validate(case)


def link_members(
    session: Session, principal: Principal, parent_ref: str, members: list[str]
) -> int:
    """Make ``members`` part of the major-incident case ``parent_ref`` (``Case.parent_id``);
    returns how many were newly linked. Each link is audited on both cases."""
    with tx(session):
        parent = load(session, principal, parent_ref, Permission.ASSIGN)
        rows = session.scalars(select(Case).where(Case.reference.in_(members),
                                                  Case.id != parent.id)).all()
        linked = [c for c in rows if c.parent_id != parent.id]
        for case in linked:
            case.parent_id = parent.id
            audit.append(session, actor=principal.actor, action="case.linked_to_incident",
                         chain=case.reference, case_id=case.id,
                         data={"incident": parent.reference})
        if linked:
            audit.append(session, actor=principal.actor, action="incident.members_linked",
                         chain=parent.reference, case_id=parent.id,
                         data={"members": sorted(c.reference for c in linked)})
        return len(linked)


def _open_members(session: Session, parent: Case) -> list[Case]:
    closed = {s.value for s in lifecycle.TERMINAL | {Status.CLOSED, Status.RESOLVED}}
    return list(session.scalars(select(Case).where(Case.parent_id == parent.id,
                                                   Case.status.not_in(closed))
                                .order_by(Case.id)))


def _post(session: Session, principal: Principal, case: Case, body: str) -> None:
    msg = Message(case_id=case.id, direction="out", channel=case.channel,
                  author_kind=principal.kind, author_id=principal.id,
                  author_name=principal.name, body=body, visibility="public",
                  created_at=utcnow())
    session.add(msg)
    case.updated_at = msg.created_at
    session.flush()
    audit.append(session, actor=principal.actor, action="message.out", chain=case.reference,
                 case_id=case.id, data={"message_id": msg.id, "incident_broadcast": True})


def message_members(
    session: Session, principal: Principal, parent_ref: str, data: MessageIn
) -> list[str]:
    """Post one public message to every open member of the incident ``parent_ref``;
    returns their references."""
    with tx(session):
        parent = load(session, principal, parent_ref, Permission.REPLY)
        members = _open_members(session, parent)
        for case in members:
            _post(session, principal, case, data.body)
        audit.append(session, actor=principal.actor, action="incident.answered",
                     chain=parent.reference, case_id=parent.id,
                     data={"members": [c.reference for c in members]})
        return [c.reference for c in members]
