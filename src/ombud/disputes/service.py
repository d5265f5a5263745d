"""Objections: the customer contests an issued decision before its deadline; someone other
than the proposer re-reviews it and confirms or changes the decision (GV-1)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.cases import service as cases
from ombud.cases.lifecycle import Event, Status
from ombud.cases.schemas import MessageIn
from ombud.cases.tables import Case
from ombud.common.clock import as_utc, utcnow
from ombud.common.errors import Conflict, Forbidden
from ombud.db import tx
from ombud.disputes.schemas import ObjectionOut
from ombud.disputes.tables import Objection
from ombud.resolution import service as resolution
from ombud.resolution.schemas import (
    DecisionIn,
    ObjectionIn,
    PointIn,
    ProposalIn,
    ProposalOut,
    RemedyIn,
)
from ombud.resolution.tables import Proposal, ProposalPoint, Remedy
from ombud.security.permissions import Principal
from ombud.security.roles import Permission


def object_to(session: Session, principal: Principal, reference: str,
              data: ObjectionIn) -> ObjectionOut:
    """The customer objects to the issued decision (staff may record an objection made on
    another channel). Refused after the deadline; a second objection to the same decision
    answers with the first."""
    with tx(session):
        case = cases.load(session, principal, reference,
                          Permission.REPLY if principal.kind == "customer"
                          else Permission.TRANSITION)
        proposal = resolution.current(session, case.id)
        if proposal is not None and proposal.status == "objected":
            first = session.scalars(select(Objection).where(
                Objection.proposal_id == proposal.id)).one()
            return ObjectionOut.model_validate(first)
        if proposal is None or proposal.status != "issued":
            raise Conflict(f"case {reference} has no decision waiting for an answer")
        if proposal.respond_by is not None and utcnow() > as_utc(proposal.respond_by):
            raise Conflict(f"the time to object passed on {proposal.respond_by:%Y-%m-%d}; "
                           "you can still appeal or go to the bodies named in the letter")
        message = cases.add_message(session, principal, reference, MessageIn(body=data.body))
        row = Objection(case_id=case.id, proposal_id=proposal.id, message_id=message.id,
                        body=data.body, channel=case.channel, received_at=utcnow())
        session.add(row)
        proposal.status, proposal.answered_at = "objected", row.received_at
        cases.advance(session, principal, case.id, Event.OBJECT)
        session.flush()
        audit.append(session, actor=principal.actor, action="objection.received",
                     chain=case.reference, case_id=case.id,
                     data={"objection_id": row.id, "proposal_id": proposal.id})
        return ObjectionOut.model_validate(row)


def _open_objection(session: Session, case: Case) -> tuple[Objection, Proposal]:
    row = session.scalars(select(Objection).where(Objection.case_id == case.id,
                                                  Objection.outcome.is_(None))
                          .order_by(Objection.id.desc()).limit(1)).first()
    if row is None:
        raise Conflict(f"case {case.reference} has no objection waiting for re-review")
    proposal = session.get(Proposal, row.proposal_id)
    assert proposal is not None
    return row, proposal


def start_re_review(session: Session, principal: Principal, reference: str) -> ObjectionOut:
    """Take the objection for re-review; the proposer of the decision may not."""
    with tx(session):
        case = cases.load(session, principal, reference, Permission.PROPOSE)
        objection, proposal = _open_objection(session, case)
        cases.advance(session, principal, case.id, Event.START_RE_REVIEW,
                      proposer_id=proposal.proposer_id)
        objection.reviewer_id, objection.review_started_at = principal.id, utcnow()
        audit.append(session, actor=principal.actor, action="objection.review_started",
                     chain=case.reference, case_id=case.id,
                     data={"objection_id": objection.id})
        return ObjectionOut.model_validate(objection)


def _reviewing(session: Session, principal: Principal, reference: str) -> tuple[Case, Objection,
                                                                                 Proposal]:
    case = cases.load(session, principal, reference, Permission.PROPOSE)
    if case.status != Status.RE_REVIEW.value:
        raise Conflict(f"case {reference} is {case.status}, not in re-review")
    objection, proposal = _open_objection(session, case)
    if objection.reviewer_id != principal.id:
        raise Forbidden("only the reviewer who took the objection decides it")
    return case, objection, proposal


def confirm(session: Session, principal: Principal, reference: str, data: DecisionIn,
            cfg: resolution.Config) -> ProposalOut:
    """The reviewer confirms the decision: it is issued again, as a new revision that says it
    was re-reviewed, through the same approval rules."""
    with tx(session):
        case, objection, proposal = _reviewing(session, principal, reference)
        points = session.scalars(select(ProposalPoint).where(
            ProposalPoint.proposal_id == proposal.id).order_by(ProposalPoint.position))
        remedies = session.scalars(select(Remedy).where(Remedy.proposal_id == proposal.id)
                                   .order_by(Remedy.id))
        same = ProposalIn(
            outcome=proposal.outcome, summary=proposal.summary,
            justification=proposal.justification,
            points=[PointIn(point=p.point, finding_id=p.finding_id, upheld=p.upheld,
                            reason=p.reason) for p in points],
            remedies=[RemedyIn(kind=r.kind, clause_id=r.clause_id, asset=r.asset,
                               amount=r.amount, usd=r.usd if r.asset is None else None,
                               note=r.note, finding_id=r.finding_id)
                      for r in remedies])
        _close_review(session, principal, case, objection, "confirmed", data.note)
        return _reissue(session, principal, reference, same, cfg)


def change(session: Session, principal: Principal, reference: str, data: ProposalIn,
           cfg: resolution.Config) -> ProposalOut:
    """The reviewer changes the decision: a new revision, checked like any draft."""
    with tx(session):
        case, objection, _proposal = _reviewing(session, principal, reference)
        _close_review(session, principal, case, objection, "changed", data.summary)
        return _reissue(session, principal, reference, data, cfg)


def _reissue(session: Session, principal: Principal, reference: str, data: ProposalIn,
             cfg: resolution.Config) -> ProposalOut:
    resolution.draft(session, principal, reference, data)
    return resolution.submit(session, principal, reference, cfg)


def _close_review(session: Session, principal: Principal, case: Case, objection: Objection,
                  outcome: str, note: str) -> None:
    objection.outcome, objection.review_note, objection.reviewed_at = outcome, note, utcnow()
    audit.append(session, actor=principal.actor, action=f"objection.{outcome}",
                 chain=case.reference, case_id=case.id,
                 data={"objection_id": objection.id, "note": note})
