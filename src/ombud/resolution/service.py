"""Resolution verbs: draft a decision from findings, policy and precedents; submit it; have it
approved by someone else when it needs to be; issue the letter; and record the customer's
acceptance, which turns remedies into exactly-once jobs.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.cases import service as cases
from ombud.cases.lifecycle import Event, Status
from ombud.cases.tables import Case
from ombud.common.clock import utcnow
from ombud.common.errors import Conflict, Forbidden, Invalid
from ombud.config import Settings
from ombud.customers import service as customers
from ombud.db import tx
from ombud.evidence import queries as evidence
from ombud.evidence.schemas import FindingOut
from ombud.resolution import policies, precedents
from ombud.resolution import policy as rules
from ombud.resolution import similarity as sim
from ombud.resolution.letters import issue_letter
from ombud.resolution.queries import proposal_out
from ombud.resolution.schemas import (
    DecisionIn,
    ProposalIn,
    ProposalOut,
    RemedyIn,
    SuggestionOut,
)
from ombud.resolution.tables import Approval, Proposal, ProposalPoint, Remedy
from ombud.security.permissions import Principal, require
from ombud.security.roles import Permission


@dataclass(frozen=True)
class Config:
    """Deployment settings the verbs need (built from Settings by the composition roots)."""

    public_url: str = "http://127.0.0.1:8000"
    deemed_acceptance: bool = True  # silence past the deadline: accepted, or lapsed
    reopen_window: dt.timedelta = dt.timedelta(days=30)

    @classmethod
    def from_settings(cls, settings: Settings) -> Config:
        """The resolution settings of a deployment."""
        return cls(public_url=settings.public_url, deemed_acceptance=settings.deemed_acceptance,
                   reopen_window=dt.timedelta(days=settings.reopen_days))


#: Case states in which a decision may be drafted.
DRAFTABLE = frozenset({Status.TRIAGED.value, Status.INVESTIGATING.value,
                       Status.AWAITING_CUSTOMER.value, Status.RE_REVIEW.value,
                       Status.APPEALED.value})
#: Proposal states that are still being worked on (one at a time per case).
OPEN = ("draft", "awaiting_approval", "approved")


def current(session: Session, case_id: int) -> Proposal | None:
    """The case's latest proposal that is not superseded."""
    return session.scalars(
        select(Proposal).where(Proposal.case_id == case_id, Proposal.status != "superseded")
        .order_by(Proposal.revision.desc()).limit(1)).first()


def findings_of(session: Session, case_id: int) -> list[FindingOut]:
    return evidence.for_case(session, case_id).findings


def _facts(f: FindingOut) -> rules.FindingFacts:
    return rules.FindingFacts(finding_id=f.id, fault=f.fault.value, verdict=f.verdict,
                              loss_asset=f.loss_asset, loss_amount=f.loss_amount,
                              loss_usd=f.loss_usd)


def case_facts(case: Case, findings: list[FindingOut]) -> sim.Facts:
    """The facts a case is compared on: its largest measured loss and that finding's fault."""
    main = max(findings, key=lambda f: f.loss_usd or Decimal(0), default=None)
    return precedents.facts_of(
        case, fault=main.fault.value if main else "undetermined",
        loss_usd=(main.loss_usd or Decimal(0)) if main else Decimal(0),
        asset=main.loss_asset if main else case.asset)


def suggest(session: Session, principal: Principal, reference: str) -> SuggestionOut:
    """What the policy in effect proposes for the case's findings, and the nearest precedents."""
    with tx(session):
        case = cases.load(session, principal, reference, Permission.PROPOSE)
        version, policy = policies.in_effect(session, case.received_at)
        findings = findings_of(session, case.id)
        drafts = rules.suggest(policy, case.category, [_facts(f) for f in findings])
        near = precedents.nearest(session, case_facts(case, findings), exclude_case=case.id)
        return SuggestionOut(
            policy_version=version,
            remedies=[RemedyIn(kind=d.kind, clause_id=d.clause_id, asset=d.asset,
                               amount=d.amount, finding_id=d.finding_id, note=d.note)
                      for d in drafts],
            precedents=precedents.shown(near), ratio_range=sim.ratio_range(near))


def draft(session: Session, principal: Principal, reference: str,
          data: ProposalIn) -> ProposalOut:
    """Save a decision as a draft (a new revision; an unsent earlier one is superseded).

    Every remedy is checked against the policy in effect when the complaint was received, and
    the precedents the proposer saw are kept with it. A remedy outside their range needs a
    written justification and an approver (DC-2).
    """
    with tx(session):
        case = cases.load(session, principal, reference, Permission.PROPOSE)
        if case.status not in DRAFTABLE:
            raise Conflict(f"case {reference} is {case.status}; a decision is drafted while "
                           "it is being investigated or re-reviewed")
        if (case.cited_findings or 0) < 1:
            raise Conflict("a proposal needs at least one finding that cites evidence")
        findings = {f.id: f for f in findings_of(session, case.id)}
        version, policy = policies.in_effect(session, case.received_at)
        facts = {i: _facts(f) for i, f in findings.items()}
        remedies = [_checked(policy, case.category, r, facts) for r in data.remedies]
        _consistent(data, remedies, findings)
        near = precedents.nearest(session, case_facts(case, list(findings.values())),
                                  exclude_case=case.id)
        loss = case_facts(case, list(findings.values())).loss_usd
        total = sum((r.usd or Decimal(0) for r in remedies if r.kind in rules.MONETARY),
                    Decimal(0))
        off = sim.outside(sim.ratio(total, loss), sim.ratio_range(near),
                          policy.precedent_tolerance) if loss > 0 else None
        if off and not data.justification:
            raise Invalid(f"{off}: write a justification (an approver will review it)",
                          pointer="justification")
        verdict = rules.check(policy, principal.role.value if principal.role else "",
                              remedies, outside_precedents=off)
        previous = current(session, case.id)
        if previous is not None and previous.status in OPEN:
            _supersede(session, previous)
        revision = 1 + (session.scalar(select(Proposal.revision).where(
            Proposal.case_id == case.id).order_by(Proposal.revision.desc()).limit(1)) or 0)
        row = Proposal(
            case_id=case.id, revision=revision, status="draft", outcome=data.outcome,
            policy_version=version, proposer_id=principal.id, total_usd=verdict.total_usd,
            needs_approval=verdict.needs_approval,
            approval_reasons=json.dumps(list(verdict.approval_reasons)),
            justification=data.justification, summary=data.summary,
            precedents=json.dumps([p.model_dump(mode="json") for p in precedents.shown(near)]),
            language=case.language, created_at=utcnow())
        session.add(row)
        session.flush()
        account = customers.get_customer(session, case.customer_id).uid
        session.add_all([ProposalPoint(proposal_id=row.id, position=i, point=p.point,
                                       finding_id=p.finding_id, upheld=p.upheld, reason=p.reason)
                         for i, p in enumerate(data.points, start=1)])
        session.add_all([Remedy(proposal_id=row.id, case_id=case.id, kind=r.kind.value,
                                clause_id=r.clause_id, finding_id=r.finding_id, asset=r.asset,
                                amount=r.amount, usd=r.usd,
                                account=account, note=r.note, status="proposed")
                         for r in remedies])
        session.flush()
        audit.append(session, actor=principal.actor, action="proposal.drafted",
                     chain=case.reference, case_id=case.id,
                     data={"proposal_id": row.id, "revision": revision,
                           "outcome": data.outcome, "policy_version": version,
                           "total_usd": str(verdict.total_usd),
                           "approval_reasons": list(verdict.approval_reasons),
                           "precedents": [n.case.reference for n in near]})
        return proposal_out(session, row)


def _checked(policy: rules.Policy, category: str, r: RemedyIn,
             facts: dict[int, rules.FindingFacts]) -> rules.RemedyDraft:
    if r.finding_id is not None and r.finding_id not in facts:
        raise Invalid(f"finding {r.finding_id} is not a finding of this case",
                      pointer="finding_id")
    return rules.validate(policy, category, rules.RemedyDraft(
        kind=r.kind, clause_id=r.clause_id, asset=r.asset, amount=r.amount, usd=r.usd,
        finding_id=r.finding_id, note=r.note), facts)


def _consistent(data: ProposalIn, remedies: list[rules.RemedyDraft],
                findings: dict[int, FindingOut]) -> None:
    for p in data.points:
        if p.finding_id is not None and p.finding_id not in findings:
            raise Invalid(f"finding {p.finding_id} is not a finding of this case",
                          pointer="points")
    upheld = [p for p in data.points if p.upheld]
    money = [r for r in remedies if r.kind in rules.MONETARY]
    if data.outcome == "rejected" and (upheld or money):
        raise Invalid("a rejected complaint upholds no point and pays nothing; choose "
                      "'partly_upheld'", pointer="outcome")
    if data.outcome == "upheld" and len(upheld) != len(data.points):
        raise Invalid("'upheld' means every point is upheld", pointer="outcome")
    if data.outcome == "partly_upheld" and not upheld:
        raise Invalid("'partly_upheld' needs at least one upheld point", pointer="outcome")


def _supersede(session: Session, proposal: Proposal) -> None:
    proposal.status = "superseded"
    session.execute(update(Remedy).where(Remedy.proposal_id == proposal.id)
                    .values(status="superseded"))


def _open_proposal(session: Session, case: Case, status: str) -> Proposal:
    proposal = current(session, case.id)
    if proposal is None or proposal.status != status:
        state = proposal.status if proposal else "none"
        raise Conflict(f"case {case.reference} has no {status.replace('_', ' ')} proposal "
                       f"(current: {state})")
    return proposal


def submit(session: Session, principal: Principal, reference: str, cfg: Config) -> ProposalOut:
    """Send the draft on: to an approver when it needs one, else straight to the customer."""
    with tx(session):
        case = cases.load(session, principal, reference, Permission.PROPOSE)
        proposal = _open_proposal(session, case, "draft")
        if proposal.proposer_id != principal.id:
            raise Forbidden("only the proposer submits their draft")
        if proposal.needs_approval:
            proposal.status = "awaiting_approval"
            audit.append(session, actor=principal.actor, action="proposal.submitted",
                         chain=case.reference, case_id=case.id,
                         data={"proposal_id": proposal.id,
                               "reasons": json.loads(proposal.approval_reasons)})
            return proposal_out(session, proposal)
        _issue(session, principal, case, proposal, cfg, approved_by_other=False)
        return proposal_out(session, proposal)


def approve(session: Session, principal: Principal, reference: str, data: DecisionIn,
            cfg: Config) -> ProposalOut:
    """Four eyes: someone other than the proposer, whose limit covers the total, approves;
    the decision is then issued to the customer."""
    with tx(session):
        require(principal, Permission.APPROVE)
        case = cases.load(session, principal, reference, Permission.VIEW_CASE)
        proposal = _open_proposal(session, case, "awaiting_approval")
        if proposal.proposer_id == principal.id:
            raise Forbidden("nobody approves their own proposal")
        policy = policies.version(session, proposal.policy_version)
        role = principal.role.value if principal.role else ""
        if not rules.can_approve(policy, role, proposal.total_usd):
            raise Forbidden(f"{proposal.total_usd} USD is above the {role} limit of "
                            f"{policy.limit_for(role)} USD; it needs a higher approver")
        _decide(session, principal, case, proposal, "approved", data.note)
        proposal.status = "approved"
        _issue(session, principal, case, proposal, cfg, approved_by_other=True)
        return proposal_out(session, proposal)


def refuse(session: Session, principal: Principal, reference: str,
           data: DecisionIn) -> ProposalOut:
    """The approver sends the proposal back to its proposer, with a reason."""
    if not data.note:
        raise Invalid("say why the proposal is refused", pointer="note")
    with tx(session):
        require(principal, Permission.APPROVE)
        case = cases.load(session, principal, reference, Permission.VIEW_CASE)
        proposal = _open_proposal(session, case, "awaiting_approval")
        if proposal.proposer_id == principal.id:
            raise Forbidden("nobody approves or refuses their own proposal")
        _decide(session, principal, case, proposal, "refused", data.note)
        proposal.status = "draft"
        return proposal_out(session, proposal)


def _decide(session: Session, principal: Principal, case: Case, proposal: Proposal,
            decision: str, note: str) -> None:
    session.add(Approval(proposal_id=proposal.id, staff_id=principal.id, decision=decision,
                         note=note, created_at=utcnow()))
    audit.append(session, actor=principal.actor, action=f"proposal.{decision}",
                 chain=case.reference, case_id=case.id,
                 data={"proposal_id": proposal.id, "total_usd": str(proposal.total_usd),
                       "note": note})


def _issue(session: Session, principal: Principal, case: Case, proposal: Proposal,
           cfg: Config, *, approved_by_other: bool) -> None:
    """Compose the letter (refused while a point lacks a finding or reason), move the case to
    ``proposed`` and send the letter on the customer's channel."""
    policy = policies.version(session, proposal.policy_version)
    original = _original_proposer(session, case.id, proposal)
    cases.advance(session, principal, case.id, Event.PROPOSE, proposer_id=original,
                  needs_approval=proposal.needs_approval, approved_by_other=approved_by_other)
    now = utcnow()
    proposal.issued_at = now
    proposal.respond_by = now + dt.timedelta(days=policy.objection_days)
    proposal.status = "issued"
    issue_letter(session, case, proposal, policy, cfg.public_url)
    audit.append(session, actor=principal.actor, action="proposal.issued",
                 chain=case.reference, case_id=case.id,
                 data={"proposal_id": proposal.id, "revision": proposal.revision,
                       "respond_by": proposal.respond_by.isoformat()})


def _original_proposer(session: Session, case_id: int, proposal: Proposal) -> int | None:
    """For a re-review, the proposer of the decision objected to (who may not re-review)."""
    if proposal.revision == 1:
        return None
    earlier = session.scalars(
        select(Proposal.proposer_id).where(Proposal.case_id == case_id,
                                           Proposal.status == "objected")
        .order_by(Proposal.revision.desc()).limit(1)).first()
    return earlier
