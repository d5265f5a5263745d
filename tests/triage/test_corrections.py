"""Staff correct a classification from the console: recorded for retraining, audited,
written to the case, and the case triaged again with it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.audit.tables import AuditEvent
from ombud.jobs.tables import Job
from ombud.security.permissions import SYSTEM
from ombud.triage import queries, service
from ombud.triage.schemas import CorrectionIn
from ombud.triage.tables import TriageCorrection, TriageDecision
from tests.conftest import World
from tests.web.test_console import csrf_of, log_in

from .test_triage_service import TRADE
from .triage_world import file, run


def test_the_case_page_shows_clocks_reasons_and_takes_a_correction(
    client: TestClient, session: Session, world: World,
) -> None:
    case = file(session, TRADE, summary="Market order filled far from the price")
    run(session, case)
    log_in(client, "supervisor")
    page = client.get(f"/console/cases/{case.reference}")
    assert page.status_code == 200
    for shown in ("Why this priority", "CL-3", "FCA DISP 1.6.2R", "confidence", "strictest"):
        assert shown in page.text
    r = client.post(f"/console/cases/{case.reference}/triage", data={
        "csrf": csrf_of(page.text), "label": "fees/wrong_fee"})
    assert r.status_code == 200 and "Correction saved" in r.text
    session.rollback()  # end this session's read snapshot: the app wrote since
    fix = session.scalars(select(TriageCorrection)).one()
    assert fix.label == "fees/wrong_fee" and fix.predicted.startswith("trade_dispute/")
    assert fix.staff_id == world.staff["supervisor"].id and "order id" in fix.text
    session.refresh(case)
    assert (case.category, case.subcategory) == ("fees", "wrong_fee")
    actions = session.scalars(select(AuditEvent.action).where(
        AuditEvent.case_id == case.id)).all()
    assert "triage.corrected" in actions
    job = session.scalars(select(Job).where(Job.kind == "triage.case",
                                            Job.key == f"triage:{case.id}:fix{fix.id}")).one()
    assert job.status == "queued"
    again = run(session, case)
    assert again.category == "fees" and again.corrected and case.category == "fees"
    assert [(c.text, c.label) for c in queries.corrections(session)] == [(fix.text, fix.label)]


def test_a_label_outside_the_taxonomy_is_refused_on_the_form(
    client: TestClient, session: Session, world: World,
) -> None:
    case = file(session, TRADE)
    run(session, case)
    log_in(client, "supervisor")
    page = client.get(f"/console/cases/{case.reference}")
    r = client.post(f"/console/cases/{case.reference}/triage", data={
        "csrf": csrf_of(page.text), "label": "fees/slippage"})
    assert r.status_code == 422 and re.search(r"not a sub-category of fees", r.text)
    session.rollback()
    assert session.scalars(select(TriageCorrection)).all() == []
    assert not session.get(TriageDecision, case.id).corrected  # type: ignore[union-attr]


def test_retrain_learns_from_corrections_and_reports_held_out_figures(
    session: Session, world: World,
) -> None:
    case = file(session, TRADE)
    run(session, case)
    service.correct(session, SYSTEM, case.reference,
                    CorrectionIn(category="fees", subcategory="wrong_fee"))
    done = service.retrain_with_corrections(session)
    assert done.corrections == 1 and done.report.size > 100
    assert done.report.category.macro_f1 >= 0.9
