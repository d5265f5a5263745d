"""Objections: before the deadline only, re-reviewed by someone other than the proposer, who
confirms or changes the decision."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ombud.cases.tables import Case
from ombud.common.errors import Conflict, Forbidden
from ombud.disputes import service as disputes
from ombud.resolution import queries, service
from ombud.resolution.schemas import DecisionIn, ObjectionIn
from ombud.resolution.tables import Proposal
from tests.conftest import World
from tests.resolution.staging import CFG, compensation, ready_case
from tests.resolution.test_decisions import customer_of


def _issued(world: World, session: Session, account: str) -> tuple[str, Decimal]:
    ref, finding = ready_case(world, session, account)
    half = (finding.loss_amount or Decimal(0)) / 2
    service.draft(session, world.staff["specialist"], ref, compensation(
        finding, amount=half.quantize(Decimal("0.000001")), justification="Half: shared fault."))
    service.submit(session, world.staff["specialist"], ref, CFG)
    if service.current(session, session.scalars(
            select(Case.id).where(Case.reference == ref)).one()).status == "awaiting_approval":
        service.approve(session, world.staff["approver"], ref, DecisionIn(), CFG)
    return ref, half


def _status(session: Session, ref: str) -> str:
    return session.scalars(select(Case.status).where(Case.reference == ref)).one()


def test_an_objection_is_re_reviewed_by_someone_else_who_confirms(
        world: World, session: Session) -> None:
    ref, _ = _issued(world, session, "U-obj-1")
    customer = customer_of(session, ref)
    first = disputes.object_to(session, customer, ref, ObjectionIn(body="Half is not fair."))
    again = disputes.object_to(session, customer, ref, ObjectionIn(body="Half is not fair."))
    assert first.id == again.id and _status(session, ref) == "objected"
    with pytest.raises(Conflict, match="someone other than the original proposer"):
        disputes.start_re_review(session, world.staff["specialist"], ref)
    reviewer = world.staff["supervisor"]
    disputes.start_re_review(session, reviewer, ref)
    with pytest.raises(Forbidden, match="only the reviewer"):
        disputes.confirm(session, world.staff["approver"], ref, DecisionIn(), CFG)
    out = disputes.confirm(session, reviewer, ref, DecisionIn(note="The fill log is clear."), CFG)
    assert (out.revision, out.status, out.proposer_id) == (2, "issued", reviewer.id)
    assert out.letter_body and _status(session, ref) == "proposed"
    revisions = [p.status for p in queries.decisions(session, world.staff["admin"], ref)]
    assert revisions == ["issued", "objected"]


def test_the_reviewer_can_change_the_decision(world: World, session: Session) -> None:
    ref, _ = _issued(world, session, "U-obj-2")
    disputes.object_to(session, customer_of(session, ref), ref, ObjectionIn(body="Pay it all."))
    reviewer = world.staff["approver"]
    disputes.start_re_review(session, reviewer, ref)
    case_id = session.scalars(select(Case.id).where(Case.reference == ref)).one()
    from ombud.evidence import queries as evidence
    finding = max(evidence.for_case(session, case_id).findings,
                  key=lambda f: f.loss_usd or Decimal(0))
    out = disputes.change(session, reviewer, ref, compensation(finding), CFG)
    assert out.status == "issued" and out.remedies[0].amount == finding.loss_amount


def test_an_objection_after_the_deadline_is_refused(world: World, session: Session) -> None:
    ref, _ = _issued(world, session, "U-obj-3")
    session.execute(update(Proposal).values(respond_by=Proposal.issued_at))
    session.commit()
    with pytest.raises(Conflict, match="time to object passed"):
        disputes.object_to(session, customer_of(session, ref), ref, ObjectionIn(body="Late."))
    assert _status(session, ref) == "proposed"
