"""Read side of resolution: a proposal whole, a case's decisions, the approval queue."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases import service as cases
from ombud.cases.tables import Case
from ombud.resolution.schemas import (
    ApprovalOut,
    PointOut,
    PrecedentOut,
    ProposalOut,
    RemedyOut,
)
from ombud.resolution.tables import Approval, Proposal, ProposalPoint, Remedy
from ombud.security.permissions import Principal
from ombud.security.roles import Permission

#: Fields a customer never sees: who proposed, approvals, precedents and internal reasons.
_INTERNAL = ("approval_reasons", "justification", "precedents", "approvals", "proposer_id",
             "needs_approval", "total_usd")


def proposal_out(session: Session, proposal: Proposal) -> ProposalOut:
    """One proposal with its points, remedies and approvals."""
    session.flush()
    fields = {c: getattr(proposal, c) for c in ProposalOut.model_fields
              if c not in ("points", "remedies", "approvals", "precedents", "approval_reasons")}
    return ProposalOut.model_validate({
        **fields,
        "approval_reasons": json.loads(proposal.approval_reasons or "[]"),
        "precedents": [PrecedentOut.model_validate(p)
                       for p in json.loads(proposal.precedents or "[]")],
        "points": [PointOut.model_validate(p) for p in session.scalars(
            select(ProposalPoint).where(ProposalPoint.proposal_id == proposal.id)
            .order_by(ProposalPoint.position))],
        "remedies": [RemedyOut.model_validate(r) for r in session.scalars(
            select(Remedy).where(Remedy.proposal_id == proposal.id).order_by(Remedy.id))],
        "approvals": [ApprovalOut.model_validate(a) for a in session.scalars(
            select(Approval).where(Approval.proposal_id == proposal.id).order_by(Approval.id))],
    })


def decisions(session: Session, principal: Principal, reference: str) -> list[ProposalOut]:
    """The case's proposals, newest first. Staff who read internal material see every one;
    a customer sees only issued decisions, without the internal fields."""
    case = cases.load(session, principal, reference, Permission.VIEW_CASE)
    rows = session.scalars(select(Proposal).where(Proposal.case_id == case.id)
                           .order_by(Proposal.revision.desc()))
    if principal.kind != "customer":
        return [proposal_out(session, p) for p in rows]
    return [seen_by(principal, proposal_out(session, p)) for p in rows
            if p.issued_at is not None]


def seen_by(principal: Principal, proposal: ProposalOut) -> ProposalOut:
    """``proposal`` as ``principal`` may see it: a customer never sees the internal fields."""
    if principal.kind != "customer":
        return proposal
    return proposal.model_copy(update={
        "approval_reasons": [], "justification": "", "precedents": [], "approvals": [],
        "proposer_id": 0, "needs_approval": False})


def awaiting_approval(session: Session, principal: Principal) -> list[tuple[str, ProposalOut]]:
    """Proposals waiting for an approver other than their proposer, oldest first."""
    rows = session.execute(
        select(Case.reference, Proposal).join(Case, Case.id == Proposal.case_id)
        .where(Proposal.status == "awaiting_approval", Proposal.proposer_id != principal.id)
        .order_by(Proposal.created_at).limit(200)).all()
    return [(ref, proposal_out(session, p)) for ref, p in rows]
