"""The deadline sweep: warnings before a breach, escalation and a record at it, pauses only
where the rule allows, met clocks, and answered cases sent back to triage."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.audit.tables import AuditEvent
from ombud.cases import service as cases
from ombud.cases.lifecycle import Event
from ombud.cases.schemas import AssignIn, MessageIn, TransitionIn
from ombud.cases.tables import Case
from ombud.common.clock import as_utc, utcnow
from ombud.security.permissions import SYSTEM
from ombud.triage import queries, sweep
from ombud.triage.tables import TriageAlert, TriageClock
from tests.conftest import World

from .test_triage_service import TRADE
from .triage_world import file, run


def _triaged(session: Session, world: World) -> Case:
    case = file(session, TRADE, received_at=utcnow() - dt.timedelta(hours=1))
    cases.assign(session, SYSTEM, case.reference, AssignIn(
        team_id=world.teams["trading"], assignee_id=world.staff["agent"].id))
    run(session, case)
    assert case.status == "triaged" and case.assignee_id == world.staff["agent"].id
    return case


def _clock(session: Session, case: Case, prefix: str) -> TriageClock:
    rows = session.scalars(select(TriageClock).where(TriageClock.case_id == case.id)
                           .execution_options(populate_existing=True)).all()
    return next(c for c in rows if c.slot.startswith(prefix))


def _alerts(session: Session, case: Case) -> list[TriageAlert]:
    return list(session.scalars(select(TriageAlert).where(TriageAlert.case_id == case.id)))


def test_a_warning_goes_to_the_handler_before_the_breach(session: Session, world: World) -> None:
    case = _triaged(session, world)
    cl3 = _clock(session, case, "CL-3")
    sweep.sweep(session, now=as_utc(cl3.warn_at) - dt.timedelta(seconds=1))
    assert _clock(session, case, "CL-3").state == "running"
    report = sweep.sweep(session, now=as_utc(cl3.warn_at) + dt.timedelta(seconds=1))
    assert report.warned >= 1 and _clock(session, case, "CL-3").state == "warning"
    warning = next(a for a in _alerts(session, case) if a.clock_id == cl3.id)
    assert warning.kind == "warning" and warning.staff_id == world.staff["agent"].id
    assert "Due soon: CL-3" in warning.text and "DISP 1.6.2R" in warning.text
    again = sweep.sweep(session, now=as_utc(cl3.warn_at) + dt.timedelta(seconds=2))
    assert again.warned == 0 and again.alerts == 0  # one warning per clock


def test_a_breach_is_recorded_and_escalated_to_the_supervisor(
    session: Session, world: World,
) -> None:
    case = _triaged(session, world)
    cl3 = _clock(session, case, "CL-3")
    report = sweep.sweep(session, now=as_utc(cl3.due_at) + dt.timedelta(minutes=1))
    assert report.breached >= 1 and _clock(session, case, "CL-3").state == "breached"
    escalation = next(a for a in _alerts(session, case)
                      if a.clock_id == cl3.id and a.kind == "escalation")
    assert escalation.staff_id == world.staff["supervisor"].id
    events = session.scalars(select(AuditEvent).where(
        AuditEvent.case_id == case.id, AuditEvent.action == "triage.clocks_expired")).all()
    assert len(events) == 1 and "CL-3:breached" in events[0].data
    assert "CL-4:closed" in events[0].data  # a window that ran out is not a breach


def test_only_pausable_clocks_stop_while_the_case_waits_on_the_customer(
    session: Session, world: World,
) -> None:
    case = _triaged(session, world)
    cases.apply_transition(session, SYSTEM, case.reference,
                           TransitionIn(event=Event.REQUEST_INFO, reason="need the order id"))
    resolution = _clock(session, case, "SLA:resolution")
    ack = _clock(session, case, "AK-3")
    assert resolution.pausable and not ack.pausable
    panel = queries.case_triage(session, SYSTEM, case.reference)
    shown = {c.id: c.state for c in panel.clocks}
    assert shown[resolution.id] == "paused" and shown[ack.id] == "running"
    later = as_utc(resolution.due_at) + dt.timedelta(minutes=5)
    report = sweep.sweep(session, now=later)
    assert report.extended >= 1
    moved = _clock(session, case, "SLA:resolution")
    assert moved.state in ("running", "warning") and as_utc(moved.due_at) > later
    assert _clock(session, case, "AK-3").state == "breached"  # the rule allows no pause


def test_an_answer_in_time_meets_the_clock(session: Session, world: World) -> None:
    case = _triaged(session, world)
    cases.add_message(session, world.staff["agent"], case.reference,
                      MessageIn(body="We are looking at your order now."))
    ack = _clock(session, case, "AK-3")
    report = sweep.sweep(session, now=as_utc(ack.due_at) + dt.timedelta(minutes=1))
    assert report.met >= 2
    assert _clock(session, case, "AK-3").state == "met"
    assert _clock(session, case, "SLA:first_response").state == "met"
    assert not [a for a in _alerts(session, case) if a.clock_id == ack.id]
