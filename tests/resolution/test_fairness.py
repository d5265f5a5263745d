"""The fairness figure over the precedent index: the spread of remedy/loss ratios among
decided cases with the same facts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases import filing
from ombud.cases.schemas import CaseIn
from ombud.cases.tables import Case
from ombud.resolution import precedents
from ombud.resolution.tables import Precedent, Proposal
from ombud.security.permissions import SYSTEM
from tests.conftest import World


def _decided(session: Session, world: World, n: int, loss: str, remedy: str) -> None:
    case, _ = filing.open_case(session, SYSTEM, CaseIn(
        summary=f"slippage {n}", category="trade_dispute", customer_uid=f"U-fair-{n}"))
    now = dt.datetime.now(dt.UTC)
    case_id = session.scalars(select(Case.id).where(Case.reference == case.reference)).one()
    proposal = Proposal(case_id=case_id, revision=1, status="accepted", outcome="upheld",
                        policy_version=1, proposer_id=world.staff["specialist"].id,
                        total_usd=Decimal(remedy), created_at=now)
    session.add(proposal)
    session.flush()
    session.add(Precedent(case_id=case_id, proposal_id=proposal.id, reference=case.reference,
                          category="trade_dispute", subcategory="slippage", fault="platform",
                          jurisdiction="DE", asset="USDT", loss_usd=Decimal(loss), loss_band=3,
                          remedy_usd=Decimal(remedy), remedy_kinds="compensation",
                          outcome="upheld", text="slippage", decided_at=now))
    session.commit()


def test_fairness_is_the_spread_of_ratios_among_similar_decided_cases(
        world: World, session: Session) -> None:
    assert precedents.fairness(session) is None  # nothing decided yet
    _decided(session, world, 1, "200", "200")
    _decided(session, world, 2, "400", "400")
    assert precedents.fairness(session) == Decimal(0)  # same facts, same remedy ratio
    _decided(session, world, 3, "300", "0")
    assert precedents.fairness(session, "trade_dispute") == Decimal("0.4714")
    assert precedents.fairness(session, "fees") is None
