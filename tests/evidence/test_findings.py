"""Findings: saved only with evidence of their own case; evidence cannot be changed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ombud.cases.tables import Case
from ombud.common.errors import Forbidden, Invalid
from ombud.evidence import findings, queries
from ombud.evidence.schemas import Fault, FindingIn
from ombud.security.permissions import Principal
from tests.conftest import World
from tests.evidence.investigation import investigate, stage


def _finding(ids: list[int]) -> FindingIn:
    return FindingIn(fault=Fault.PLATFORM, verdict="platform_fault", summary="Matched late.",
                     loss_asset="USDT", loss_amount=Decimal("12.5"), loss_usd=Decimal("12.5"),
                     evidence_ids=ids)


def test_a_finding_without_evidence_is_refused(world: World, session: Session) -> None:
    _, ref = stage(world.settings, session, "delayed_fill", "U-ann")
    with pytest.raises(Invalid, match="at least one piece of evidence"):
        findings.add_finding(session, world.staff["specialist"], ref, _finding([]))


def test_a_finding_cannot_cite_another_cases_evidence(world: World, session: Session) -> None:
    _, ref_a = stage(world.settings, session, "deposit_missing_memo", "U-bea")
    _, ref_b = stage(world.settings, session, "deposit_wrong_network", "U-cid")
    admin = world.staff["admin"]
    investigate(world.settings, session, admin, ref_a)
    theirs = queries.evidence_page(session, admin, ref_a).evidence[0].id
    with pytest.raises(Invalid, match=f"not evidence of {ref_b}"):
        findings.add_finding(session, admin, ref_b, _finding([theirs]))


def test_a_staff_finding_is_saved_with_its_citations_and_counted(
        world: World, session: Session) -> None:
    _, ref = stage(world.settings, session, "delayed_fill", "U-dan")
    admin = world.staff["admin"]
    investigate(world.settings, session, admin, ref)
    ids = [e.id for e in queries.evidence_page(session, admin, ref).evidence[:2]]
    saved = findings.add_finding(session, admin, ref, _finding(ids))
    assert saved.evidence_ids == sorted(ids) and saved.loss_amount == Decimal("12.5")
    page = queries.evidence_page(session, admin, ref)
    assert [f.origin for f in page.findings] == ["analysis", "staff"]
    session.expire_all()
    case = session.query(Case).filter_by(reference=ref).one()
    assert case.cited_findings == 2


def test_evidence_cannot_be_updated_in_the_database(world: World, session: Session) -> None:
    _, ref = stage(world.settings, session, "withdrawal_stuck_in_review", "U-eve")
    investigate(world.settings, session, world.staff["admin"], ref)
    with pytest.raises(DBAPIError, match="immutable"):
        session.execute(text("UPDATE evidence_items SET data = '[]'"))
    session.rollback()


def test_customers_cannot_read_evidence(world: World, session: Session) -> None:
    _, ref = stage(world.settings, session, "withdrawal_stuck_in_review", "U-fay")
    case = session.query(Case).filter_by(reference=ref).one()
    customer = Principal(kind="customer", id=case.customer_id, name="Fay")
    with pytest.raises(Forbidden):
        queries.evidence_page(session, customer, ref)
