"""What happens after a decision is issued: the customer accepts (remedies become
exactly-once jobs), silence past the deadline, cancelling a remedy, closing and reopening."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.cases import service as cases
from ombud.cases.lifecycle import Event, Status
from ombud.cases.tables import Case
from ombud.common.clock import as_utc, utcnow
from ombud.common.errors import Conflict, Invalid
from ombud.db import tx
from ombud.jobs import service as jobs
from ombud.resolution import execution, precedents
from ombud.resolution import policy as rules
from ombud.resolution.queries import proposal_out, seen_by
from ombud.resolution.schemas import CancelIn, ProposalOut, RemedyOut
from ombud.resolution.service import Config, case_facts, current, findings_of
from ombud.resolution.tables import Proposal, Remedy
from ombud.security.permissions import SYSTEM, Principal, require
from ombud.security.roles import Permission


def accept(session: Session, principal: Principal, reference: str) -> ProposalOut:
    """The customer accepts (or staff record their acceptance): remedies become exactly-once
    jobs. Accepting twice (a double click) changes nothing and answers the same."""
    with tx(session):
        case = cases.load(session, principal, reference,
                          Permission.REPLY if principal.kind == "customer"
                          else Permission.TRANSITION)
        proposal = current(session, case.id)
        if proposal is not None and proposal.status == "accepted":
            return seen_by(principal, proposal_out(session, proposal))
        if proposal is None or proposal.status != "issued":
            raise Conflict(f"case {reference} has no decision waiting for an answer")
        if proposal.respond_by is not None and utcnow() > as_utc(proposal.respond_by):
            raise Conflict("the time to answer this decision has passed")
        _accept(session, principal, case, proposal, deemed=False)
        return seen_by(principal, proposal_out(session, proposal))



def _accept(session: Session, principal: Principal, case: Case, proposal: Proposal, *,
            deemed: bool) -> None:
    now = utcnow()
    proposal.status, proposal.answered_at = "accepted", now
    cases.advance(session, principal, case.id, Event.ACCEPT)
    remedies = list(session.scalars(select(Remedy).where(Remedy.proposal_id == proposal.id)
                                    .order_by(Remedy.id)))
    executed = [r for r in remedies if rules.RemedyKind(r.kind) in rules.EXECUTED]
    for r in remedies:
        if r in executed:
            r.status = "accepted"
            r.client_id = execution.client_id_for(case.reference, r.id)
        else:  # guidance and explanations are given by the letter itself
            r.status, r.executed_at = "executed", now
    audit.append(session, actor=principal.actor, action="proposal.accepted",
                 chain=case.reference, case_id=case.id,
                 data={"proposal_id": proposal.id, "deemed": deemed,
                       "remedies": [r.id for r in remedies]})
    precedents.index(session, case, proposal, case_facts(case, findings_of(session, case.id)))
    if not executed:
        cases.advance(session, principal, case.id, Event.COMPLETE)
        return
    cases.advance(session, principal, case.id, Event.EXECUTE)
    for r in executed:
        jobs.enqueue(session, "resolution.execute", {"remedy_id": r.id}, f"remedy:{r.id}")


def lapse_due(session: Session, deemed_acceptance: bool, now: dt.datetime | None = None) -> int:
    """Decisions nobody answered by their deadline: deemed accepted (the default) or, when
    configured, closed as decided with their remedies cancelled. Returns how many."""
    now = now or utcnow()
    done = 0
    with tx(session):
        due = list(session.scalars(select(Proposal).where(
            Proposal.status == "issued", Proposal.respond_by < now)
            .order_by(Proposal.respond_by).limit(500)))
        for proposal in due:
            case = cases.get_by_id(session, proposal.case_id)
            if case.status != Status.PROPOSED.value:
                continue
            if deemed_acceptance:
                _accept(session, SYSTEM, case, proposal, deemed=True)
            else:
                proposal.status, proposal.answered_at = "lapsed", now
                session.execute(update(Remedy).where(Remedy.proposal_id == proposal.id).values(
                    status="cancelled", cancel_reason="no answer by the deadline"))
                cases.advance(session, SYSTEM, case.id, Event.LAPSE,
                              reason="no answer by the deadline")
            done += 1
    return done


def cancel_remedy(session: Session, principal: Principal, reference: str, remedy_id: int,
                  data: CancelIn) -> RemedyOut:
    """Cancel an accepted remedy that has not been carried out, with a reason (e.g. the
    account was closed); the case can then complete."""
    with tx(session):
        require(principal, Permission.CANCEL_REMEDY)
        case = cases.load(session, principal, reference, Permission.VIEW_CASE)
        remedy = session.get(Remedy, remedy_id)
        if remedy is None or remedy.case_id != case.id:
            raise Invalid(f"remedy {remedy_id} is not a remedy of {reference}",
                          pointer="remedy_id")
        if remedy.status not in ("accepted", "proposed"):
            raise Conflict(f"remedy {remedy_id} is {remedy.status}; only one not yet carried "
                           "out can be cancelled")
        remedy.status, remedy.cancel_reason = "cancelled", data.reason
        audit.append(session, actor=principal.actor, action="remedy.cancelled",
                     chain=case.reference, case_id=case.id,
                     data={"remedy_id": remedy.id, "reason": data.reason})
        execution.settle(session, case.id)
        return RemedyOut.model_validate(remedy)


def resolved_at(session: Session, case: Case) -> dt.datetime:
    """When the case's decision was last carried out: the latest of its acceptance (or lapse)
    and its remedies' execution; the case's last change when it had no decision."""
    proposal = current(session, case.id)
    if proposal is None or proposal.answered_at is None:
        return as_utc(case.updated_at)
    times = [proposal.answered_at, *session.scalars(select(Remedy.executed_at).where(
        Remedy.proposal_id == proposal.id, Remedy.executed_at.is_not(None)))]
    return max(as_utc(t) for t in times if t is not None)


def open_remedies(session: Session, case_id: int) -> int:
    """Accepted remedies of the case neither executed nor cancelled."""
    return len(list(session.scalars(select(Remedy.id).where(
        Remedy.case_id == case_id, Remedy.status.in_(("accepted", "executing"))))))


def close(session: Session, principal: Principal, reference: str) -> None:
    """Close a resolved case; refused while an accepted remedy is still open."""
    with tx(session):
        case = cases.load(session, principal, reference, Permission.TRANSITION)
        cases.advance(session, principal, case.id, Event.CLOSE,
                      open_remedies=open_remedies(session, case.id))


def reopen(session: Session, principal: Principal, reference: str, reason: str,
           cfg: Config) -> None:
    """The customer (or staff for them) reopens a resolved or closed case within ``window``
    of its resolution."""
    with tx(session):
        case = cases.load(session, principal, reference,
                          Permission.REPLY if principal.kind == "customer"
                          else Permission.TRANSITION)
        if not reason.strip():
            raise Invalid("say why the case should be reopened", pointer="reason")
        inside = utcnow() - as_utc(resolved_at(session, case)) <= cfg.reopen_window
        cases.advance(session, principal, case.id, Event.REOPEN, reason=reason,
                      within_reopen_window=inside)


def close_due(session: Session, cfg: Config, now: dt.datetime | None = None) -> int:
    """Close resolved cases whose reopening window has passed (every accepted remedy executed
    or cancelled). Returns how many were closed."""
    now = now or utcnow()
    closed = 0
    with tx(session):
        resolved = session.scalars(
            select(Case).where(Case.status == Status.RESOLVED.value,
                               Case.updated_at < now - cfg.reopen_window)
            .order_by(Case.updated_at).limit(500))
        for case in list(resolved):
            if now - resolved_at(session, case) <= cfg.reopen_window:
                continue
            if open_remedies(session, case.id):
                continue
            cases.advance(session, SYSTEM, case.id, Event.CLOSE,
                          reason="the reopening window has passed")
            closed += 1
    return closed


def sweep(session: Session, cfg: Config) -> None:
    """Periodic work of resolution: unanswered decisions past their deadline, then cases
    whose reopening window has passed."""
    lapse_due(session, cfg.deemed_acceptance)
    close_due(session, cfg)
