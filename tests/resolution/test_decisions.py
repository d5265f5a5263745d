"""From findings to an accepted decision: policy, precedents, four eyes, the letter, the
customer's answer, and the guards on each step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ombud.cases.tables import Case, Message
from ombud.common.errors import Conflict, Forbidden, Invalid
from ombud.jobs.tables import Job
from ombud.resolution import outcomes, queries, service
from ombud.resolution.policy import RemedyKind
from ombud.resolution.schemas import DecisionIn, PointIn, ProposalIn, RemedyIn
from ombud.resolution.tables import Precedent, Proposal
from ombud.security.permissions import Principal
from tests.conftest import World
from tests.resolution.staging import CFG, compensation, ready_case


def customer_of(session: Session, ref: str) -> Principal:
    case = session.scalars(select(Case).where(Case.reference == ref)).one()
    return Principal(kind="customer", id=case.customer_id, name="customer")


def test_a_decision_within_the_proposers_limit_is_issued_with_its_letter(
        world: World, session: Session) -> None:
    ref, finding = ready_case(world, session, "U-res-1")
    specialist = world.staff["specialist"]
    hint = service.suggest(session, specialist, ref)
    assert [(r.kind, r.clause_id) for r in hint.remedies] == [("compensation", "TD-1")]
    draft = service.draft(session, specialist, ref, compensation(finding))
    assert (draft.status, draft.needs_approval, draft.policy_version) == ("draft", False, 1)
    issued = service.submit(session, specialist, ref, CFG)
    assert issued.status == "issued" and issued.letter_body
    assert "TD-1" in issued.letter_body and format(finding.loss_amount, "f") in issued.letter_body
    case = session.scalars(select(Case).where(Case.reference == ref)).one()
    assert case.status == "proposed"
    letter = session.scalars(select(Message).where(Message.case_id == case.id)
                             .order_by(Message.id.desc())).first()
    assert letter is not None and letter.body == issued.letter_body
    assert session.scalars(select(Job).where(Job.kind == "notify.customer")).first()


def test_above_the_limit_someone_else_with_a_high_enough_limit_approves(
        world: World, session: Session) -> None:
    ref, finding = ready_case(world, session, "U-res-2")
    agent = world.staff["agent"]  # limit 0 USD: every payment needs an approver
    draft = service.draft(session, agent, ref, compensation(finding))
    assert draft.needs_approval and "above the agent limit" in draft.approval_reasons[0]
    assert service.submit(session, agent, ref, CFG).status == "awaiting_approval"
    with pytest.raises(Forbidden, match="your role may not approve"):
        service.approve(session, agent, ref, DecisionIn(), CFG)
    approved = service.approve(session, world.staff["approver"], ref, DecisionIn(note="ok"), CFG)
    assert approved.status == "issued"
    assert [a.decision for a in approved.approvals] == ["approved"]


def test_nobody_approves_their_own_proposal(world: World, session: Session) -> None:
    ref, finding = ready_case(world, session, "U-res-3")
    approver = world.staff["approver"]
    big = compensation(finding, amount=finding.loss_amount, justification="")
    service.draft(session, approver, ref, big.model_copy(update={"remedies": [
        RemedyIn(kind=RemedyKind.GOODWILL, clause_id="GW-1", asset="USDT",
                 amount=Decimal(80), usd=Decimal(80))]}))
    assert service.submit(session, approver, ref, CFG).status == "awaiting_approval"
    with pytest.raises(Forbidden, match="nobody approves their own proposal"):
        service.approve(session, approver, ref, DecisionIn(), CFG)
    refused = service.refuse(session, world.staff["supervisor"], ref,
                             DecisionIn(note="goodwill too high for a late fill"))
    assert refused.status == "draft" and refused.approvals[0].decision == "refused"


def test_a_proposal_needs_a_cited_finding_and_consistent_points(
        world: World, session: Session) -> None:
    from tests.evidence.investigation import stage
    _, bare = stage(world.settings, session, "delayed_fill", "U-res-4")
    session.execute(update(Case).where(Case.reference == bare).values(status="investigating"))
    session.commit()
    point = PointIn(point="It was late", upheld=False, reason="No.")
    with pytest.raises(Conflict, match="at least one finding that cites evidence"):
        service.draft(session, world.staff["specialist"], bare,
                      ProposalIn(outcome="rejected", points=[point]))
    ref, finding = ready_case(world, session, "U-res-5")
    bad = compensation(finding).model_copy(update={"outcome": "rejected"})
    with pytest.raises(Invalid, match="rejected complaint upholds no point"):
        service.draft(session, world.staff["specialist"], ref, bad)


def test_a_letter_is_not_sent_while_a_point_lacks_its_finding_or_reason(
        world: World, session: Session) -> None:
    ref, finding = ready_case(world, session, "U-res-6")
    gap = compensation(finding)
    gap = gap.model_copy(update={"outcome": "partly_upheld",
                                 "points": [*gap.points, PointIn(point="And the fee?")]})
    service.draft(session, world.staff["specialist"], ref, gap)
    with pytest.raises(Invalid, match="cannot be sent yet"):
        service.submit(session, world.staff["specialist"], ref, CFG)
    case = session.scalars(select(Case).where(Case.reference == ref)).one()
    assert case.status == "investigating"  # nothing half-done


def test_accepting_twice_queues_each_remedy_once_and_indexes_a_precedent(
        world: World, session: Session) -> None:
    ref, finding = ready_case(world, session, "U-res-7")
    service.draft(session, world.staff["specialist"], ref, compensation(finding))
    service.submit(session, world.staff["specialist"], ref, CFG)
    customer = customer_of(session, ref)
    first = outcomes.accept(session, customer, ref)
    again = outcomes.accept(session, customer, ref)
    assert first.status == again.status == "accepted"
    [remedy] = first.remedies
    assert remedy.status == "accepted" and remedy.client_id
    jobs = session.scalars(select(Job).where(Job.kind == "resolution.execute")).all()
    assert [j.key for j in jobs] == [f"remedy:{remedy.id}"]
    assert session.scalars(select(Case.status).where(Case.reference == ref)).one() == "executing"
    assert session.get(Precedent, customer.id and session.scalars(
        select(Case.id).where(Case.reference == ref)).one()) is not None


def test_the_next_similar_case_sees_the_precedent_and_an_outlier_needs_justification(
        world: World, session: Session) -> None:
    ref, finding = ready_case(world, session, "U-res-8")
    service.draft(session, world.staff["specialist"], ref, compensation(finding))
    service.submit(session, world.staff["specialist"], ref, CFG)
    outcomes.accept(session, customer_of(session, ref), ref)
    ref2, finding2 = ready_case(world, session, "U-res-9")
    hint = service.suggest(session, world.staff["specialist"], ref2)
    assert [p.reference for p in hint.precedents] == [ref]
    double = compensation(finding2, amount=(finding2.loss_amount or Decimal(0)) * 3)
    with pytest.raises(Invalid, match="similar decided cases got"):
        service.draft(session, world.staff["specialist"], ref2, double)
    out = service.draft(session, world.staff["specialist"], ref2, double.model_copy(
        update={"justification": "Customer also missed a second order because of it."}))
    assert out.needs_approval and any("similar decided cases" in r for r in out.approval_reasons)
    assert [p.reference for p in out.precedents] == [ref]


def test_silence_past_the_deadline_is_deemed_acceptance(world: World, session: Session) -> None:
    ref, finding = ready_case(world, session, "U-res-10")
    service.draft(session, world.staff["specialist"], ref, compensation(finding))
    service.submit(session, world.staff["specialist"], ref, CFG)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=15)
    assert outcomes.lapse_due(session, deemed_acceptance=True, now=later) == 1
    [proposal] = queries.decisions(session, world.staff["admin"], ref)
    assert proposal.status == "accepted"
    again = outcomes.accept(session, customer_of(session, ref), ref)  # a late click: same answer
    assert again.status == "accepted" and again.answered_at == proposal.answered_at


def test_silence_can_be_configured_to_lapse_the_offer(world: World, session: Session) -> None:
    ref, finding = ready_case(world, session, "U-res-11")
    service.draft(session, world.staff["specialist"], ref, compensation(finding))
    service.submit(session, world.staff["specialist"], ref, CFG)
    session.execute(update(Proposal).values(respond_by=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))
    session.commit()
    with pytest.raises(Conflict, match="time to answer"):
        outcomes.accept(session, customer_of(session, ref), ref)
    assert outcomes.lapse_due(session, deemed_acceptance=False) == 1
    [proposal] = queries.decisions(session, world.staff["admin"], ref)
    assert proposal.status == "lapsed" and proposal.remedies[0].status == "cancelled"
    assert session.scalars(select(Case.status).where(Case.reference == ref)).one() == "resolved"


def test_a_customer_sees_issued_decisions_without_internal_fields(
        world: World, session: Session) -> None:
    ref, finding = ready_case(world, session, "U-res-12")
    service.draft(session, world.staff["agent"], ref, compensation(finding))
    customer = customer_of(session, ref)
    assert queries.decisions(session, customer, ref) == []  # a draft is internal
    service.submit(session, world.staff["agent"], ref, CFG)
    service.approve(session, world.staff["approver"], ref, DecisionIn(note="fine"), CFG)
    [seen] = queries.decisions(session, customer, ref)
    assert seen.approvals == [] and seen.precedents == [] and seen.justification == ""
    assert seen.letter_body
