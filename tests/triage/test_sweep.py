"""The deadline sweep: warnings before a breach, escalation and a record at it, pauses only
where the rule allows, met clocks, and answered cases sent back to triage."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select
from sqlalchemy import update as sa_update
from sqlalchemy.orm import Session

from ombud.audit.tables import AuditEvent
from ombud.audit.verify import verify
from ombud.cases import service as cases
from ombud.cases.lifecycle import Event
from ombud.cases.schemas import AssignIn, MessageIn, TransitionIn
from ombud.cases.tables import Case, Message
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


def _audited(session: Session, case: Case, action: str) -> list[dict[str, list[str]]]:
    rows = session.scalars(select(AuditEvent.data).where(
        AuditEvent.chain == case.reference, AuditEvent.action == action)
        .order_by(AuditEvent.seq)).all()
    return [json.loads(r) for r in rows]


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
    audited = _audited(session, case, "triage.clocks_warned")
    assert len(audited) == 1
    assert f"CL-3:response due {as_utc(cl3.due_at).isoformat()}" in audited[0]["clocks"]
    again = sweep.sweep(session, now=as_utc(cl3.warn_at) + dt.timedelta(seconds=2))
    assert again.warned == 0 and again.alerts == 0  # one warning per clock
    assert len(_audited(session, case, "triage.clocks_warned")) == 1
    assert verify(session).ok


def test_warnings_and_breaches_of_many_cases_are_audited_on_each_case_chain(
    session: Session, world: World,
) -> None:
    many = [_triaged(session, world) for _ in range(3)]
    # past every CL-3 warning point (eight weeks at 80%): the short clocks have expired
    now = max(as_utc(_clock(session, c, "CL-3").warn_at) for c in many) + dt.timedelta(hours=1)
    report = sweep.sweep(session, now=now, batch=4)
    assert report.breached >= 3 and report.warned >= 3  # several batches of 4 clocks
    for case in many:
        clocks = session.execute(select(TriageClock.rule_id, TriageClock.purpose,
                                        TriageClock.state)
                                 .where(TriageClock.case_id == case.id)).all()
        warned = [c.split(" ")[0] for e in _audited(session, case, "triage.clocks_warned")
                  for c in e["clocks"]]
        expired = [c for e in _audited(session, case, "triage.clocks_expired")
                   for c in e["clocks"]]
        assert sorted(warned) == sorted(f"{r}:{p}" for r, p, st in clocks if st == "warning")
        recurring = [c for c in expired if c.startswith("SLA-next_update-")]
        assert len(recurring) == 1  # breached, and running again in a new cycle
        assert sorted(set(expired) - set(recurring)) == sorted(
            f"{r}:{st}" for r, _p, st in clocks if st in ("breached", "closed", "opened"))
    report = verify(session)
    assert report.ok, [str(p) for p in report.problems]


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


def test_an_update_to_the_customer_starts_a_new_next_update_cycle(
    session: Session, world: World,
) -> None:
    case = _triaged(session, world)
    clock = _clock(session, case, "SLA:next_update")
    assert clock.pausable and clock.rule_id.startswith("SLA-next_update-")
    update = cases.add_message(session, world.staff["agent"], case.reference,
                               MessageIn(body="Still checking the fills with the desk."))
    sent = as_utc(clock.started_at) + dt.timedelta(days=1)  # the update went out a day later
    first_due, clock_id = as_utc(clock.due_at), clock.id
    session.execute(sa_update(Message).where(Message.id == update.id).values(created_at=sent))
    session.commit()
    report = sweep.sweep(session, now=as_utc(clock.warn_at) + dt.timedelta(seconds=1))
    assert report.restarted >= 1
    again = _clock(session, case, "SLA:next_update")
    assert as_utc(again.started_at) == sent
    assert as_utc(again.due_at) > first_due and again.state == "running"
    assert not [a for a in _alerts(session, case) if a.clock_id == clock_id]


def test_silence_past_the_next_update_is_escalated_once_per_cycle(
    session: Session, world: World,
) -> None:
    case = _triaged(session, world)
    clock = _clock(session, case, "SLA:next_update")
    first_due = as_utc(clock.due_at)
    now = first_due + dt.timedelta(minutes=1)
    report = sweep.sweep(session, now=now)
    assert report.breached >= 1
    cycle = _clock(session, case, "SLA:next_update")
    assert cycle.state == "running" and as_utc(cycle.started_at) == now
    assert sweep.sweep(session, now=now + dt.timedelta(seconds=30)).alerts == 0
    later = as_utc(cycle.due_at) + dt.timedelta(minutes=1)
    sweep.sweep(session, now=later)
    escalations = [a for a in _alerts(session, case)
                   if a.clock_id == clock.id and a.kind == "escalation"]
    assert len(escalations) == 2
    assert all(a.staff_id == world.staff["supervisor"].id for a in escalations)
    breaches = [c for e in _audited(session, case, "triage.clocks_expired")
                for c in e["clocks"] if c.startswith("SLA-next_update")]
    assert len(breaches) == 2
    assert verify(session).ok


def test_an_alert_already_raised_is_not_raised_twice(session: Session, world: World) -> None:
    case = _triaged(session, world)
    cl3 = _clock(session, case, "CL-3")
    at = as_utc(cl3.warn_at) + dt.timedelta(seconds=1)
    sweep.sweep(session, now=at)
    # as when the case is triaged again: the clock runs again, its warning already given
    session.execute(sa_update(TriageClock).where(TriageClock.id == cl3.id)
                    .values(state="running", warned_at=None))
    session.commit()
    again = sweep.sweep(session, now=at + dt.timedelta(seconds=1))
    assert again.warned >= 1 and _clock(session, case, "CL-3").state == "warning"
    assert len([a for a in _alerts(session, case) if a.clock_id == cl3.id]) == 1
