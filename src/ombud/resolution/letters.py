"""The decision letter of a proposal: built from the structured decision, stored with the
proposal, posted on the case and delivered on the customer's channel."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases import service as cases
from ombud.cases.schemas import MessageIn
from ombud.cases.tables import Case
from ombud.common.clock import as_utc, utcnow
from ombud.common.errors import Invalid
from ombud.customers import service as customers
from ombud.evidence import queries as evidence
from ombud.jobs import service as jobs
from ombud.resolution import letter
from ombud.resolution import policy as rules
from ombud.resolution.tables import Proposal, ProposalPoint, Remedy
from ombud.security.permissions import SYSTEM


def facts(session: Session, case: Case, proposal: Proposal, policy: rules.Policy,
          public_url: str) -> letter.LetterFacts:
    """What the letter says, gathered from the proposal, its findings and their evidence."""
    page = evidence.for_case(session, case.id)
    findings = {f.id: f for f in page.findings}
    items = {e.id: e for e in page.evidence}
    points = []
    for p in session.scalars(select(ProposalPoint).where(ProposalPoint.proposal_id == proposal.id)
                             .order_by(ProposalPoint.position)):
        finding = findings.get(p.finding_id) if p.finding_id is not None else None
        cited = [items[i] for i in (finding.evidence_ids if finding else []) if i in items]
        points.append(letter.LetterPoint(
            point=p.point, upheld=p.upheld, finding=finding.summary if finding else None,
            reason=p.reason, evidence=tuple(
                f"{e.kind} {as_utc(e.captured_at):%Y-%m-%d} (sha256 {e.sha256[:12]})"
                for e in cited)))
    remedies = [letter.LetterRemedy(kind=r.kind, clause_id=r.clause_id,
                                    clause_title=policy.clause(r.clause_id).title,
                                    asset=r.asset, amount=r.amount, note=r.note)
                for r in session.scalars(select(Remedy).where(Remedy.proposal_id == proposal.id)
                                         .order_by(Remedy.id))]
    customer = customers.get_customer(session, case.customer_id)
    return letter.LetterFacts(
        reference=case.reference, customer_name=customer.name, received_at=as_utc(case.received_at),
        decided_at=as_utc(proposal.issued_at or utcnow()), outcome=proposal.outcome,
        summary=proposal.summary, points=tuple(points), remedies=tuple(remedies),
        policy_version=proposal.policy_version,
        respond_by=as_utc(proposal.respond_by or utcnow()),
        respond_url=f"{public_url}/portal/cases/{case.reference}",
        jurisdiction=case.jurisdiction or "", revision=proposal.revision)


def blockers(session: Session, case: Case, proposal: Proposal, policy: rules.Policy) -> list[str]:
    """Why the letter cannot be sent yet (DC-1); empty when it can."""
    return letter.missing(facts(session, case, proposal, policy, ""))


def issue_letter(session: Session, case: Case, proposal: Proposal, policy: rules.Policy,
                 public_url: str) -> None:
    """Compose the letter in the customer's language, keep it with the proposal, post it on
    the case and queue its delivery; refused while a point lacks a finding or a reason."""
    content = facts(session, case, proposal, policy, public_url)
    if problems := letter.missing(content):
        raise Invalid("the decision cannot be sent yet: " + "; ".join(problems),
                      pointer="points")
    subject, body = letter.compose(case.language, content)
    proposal.letter_subject, proposal.letter_body = subject, body
    message = cases.add_message(session, SYSTEM, case.reference, MessageIn(body=body))
    deliver(session, case.id, message.id, subject)


def deliver(session: Session, case_id: int, message_id: int, subject: str) -> None:
    """Queue the delivery of a posted message on the customer's channel (once per message)."""
    jobs.enqueue(session, "notify.customer", {"case_id": case_id, "message_id": message_id,
                                              "subject": subject},
                 f"deliver:{message_id}")
