"""Triage in the console: a major incident answered and closed from its case page, each
handler's deadline alerts, and the routing page where teams and handlers are set up."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.audit.tables import AuditEvent
from ombud.cases import service as cases
from ombud.cases.schemas import AssignIn
from ombud.cases.tables import Case
from ombud.common.clock import as_utc
from ombud.security.permissions import SYSTEM
from ombud.triage import queries, sweep
from ombud.triage.tables import StaffProfile, TeamSkill, TriageClock
from tests.conftest import World
from tests.web.test_console import csrf_of, log_in

from .test_incident_cases import _spike
from .test_triage_service import TRADE
from .triage_world import file, run


def test_staff_answer_and_close_an_incident_from_its_case_page(
    client: TestClient, session: Session, world: World,
) -> None:
    parent, members = _spike(session)
    log_in(client, "supervisor")
    page = client.get(f"/console/cases/{parent.reference}")
    assert "Send to all members" in page.text and "Close the incident" in page.text
    r = client.post(f"/console/cases/{parent.reference}/incident/answer", data={
        "csrf": csrf_of(page.text), "body": "A node outage delays TRC20 deposits."})
    assert r.status_code == 200 and "Answer sent to 18 member cases." in r.text
    r = client.post(f"/console/cases/{parent.reference}/incident/close", data={
        "csrf": csrf_of(r.text), "body": "All delayed TRC20 deposits are now credited."})
    assert r.status_code == 200
    assert "Incident closed: 18 member cases resolved by the final answer." in r.text
    assert "Close the incident" not in r.text  # closed: no more forms
    session.rollback()
    statuses = set(session.scalars(select(Case.status).where(Case.parent_id == parent.id)))
    assert statuses == {"resolved"}
    member = client.get(f"/console/cases/{members[0].reference}")
    assert f"Part of major incident <a href=\"/console/cases/{parent.reference}\">" in member.text
    assert "All delayed TRC20 deposits are now credited." in member.text


def test_a_handler_of_the_incident_may_answer_but_not_close_it(
    client: TestClient, session: Session, world: World,
) -> None:
    parent, _members = _spike(session)
    cases.assign(session, SYSTEM, parent.reference,
                 AssignIn(assignee_id=world.staff["agent"].id))
    log_in(client, "agent")
    page = client.get(f"/console/cases/{parent.reference}")
    assert "Send to all members" in page.text and "Close the incident" not in page.text
    r = client.post(f"/console/cases/{parent.reference}/incident/close", data={
        "csrf": csrf_of(page.text), "body": "It is over."})
    assert r.status_code == 200 and "Not closed:" in r.text
    session.rollback()
    assert set(session.scalars(select(Case.status).where(Case.parent_id == parent.id))) == {
        "triaged"}


def test_a_handler_sees_their_deadline_warnings_on_the_alerts_page(
    client: TestClient, session: Session, world: World,
) -> None:
    case = file(session, TRADE, received_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    cases.assign(session, SYSTEM, case.reference, AssignIn(
        team_id=world.teams["trading"], assignee_id=world.staff["agent"].id))
    run(session, case)
    cl3 = session.scalars(select(TriageClock).where(TriageClock.case_id == case.id,
                                                    TriageClock.rule_id == "CL-3")).one()
    sweep.sweep(session, now=as_utc(cl3.warn_at) + dt.timedelta(seconds=1))
    log_in(client, "agent")
    page = client.get("/console/alerts")
    assert page.status_code == 200
    assert f'<a href="/console/cases/{case.reference}">' in page.text
    assert "Due soon: CL-3" in page.text
    log_in(client, "agent2")
    assert "No deadline alerts for you." in client.get("/console/alerts").text


def test_an_admin_sets_a_handlers_profile_and_a_teams_jurisdictions(
    client: TestClient, session: Session, world: World,
) -> None:
    agent = world.staff["agent"]
    log_in(client, "admin")
    page = client.get("/console/routing")
    assert page.status_code == 200 and "Conflict rule (GV-1)" in page.text
    r = client.post(f"/console/routing/staff/{agent.id}", data={
        "csrf": csrf_of(page.text), "capacity": "3", "timezone": "Europe/London",
        "hours_start": "09:00", "hours_end": "17:30", "weekdays": ["0", "1", "2"],
        "available": "on", "business_unit": "wallets"})
    assert r.status_code == 200 and "Profile saved." in r.text
    r = client.post(f"/console/routing/teams/{world.teams['trading']}", data={
        "csrf": csrf_of(r.text), "jurisdictions": "gb, EU ,"})
    assert "Team jurisdictions saved." in r.text
    session.rollback()
    profile = session.get(StaffProfile, agent.id)
    assert profile is not None and (profile.capacity, profile.timezone) == (3, "Europe/London")
    assert (profile.hours_start, profile.hours_end, profile.weekdays) == (
        "09:00", "17:30", [0, 1, 2])
    assert profile.business_unit == "wallets"
    skill = session.get(TeamSkill, world.teams["trading"])
    assert skill is not None and skill.jurisdictions == ["EU", "GB"]
    teams, handlers = queries.routing_inputs(session)  # what routing now decides with
    seen = next(h for h in handlers if h.id == agent.id)
    assert seen.capacity == 3 and seen.weekdays == frozenset({0, 1, 2})
    assert next(t for t in teams if t.id == world.teams["trading"]).jurisdictions == (
        "EU", "GB")
    actions = session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.in_(("triage.profile_set", "triage.jurisdictions_set")))).all()
    assert sorted(actions) == ["triage.jurisdictions_set", "triage.profile_set"]


def test_a_bad_profile_is_refused_with_the_reason_and_nothing_changes(
    client: TestClient, session: Session, world: World,
) -> None:
    agent = world.staff["agent"]
    log_in(client, "admin")
    page = client.get("/console/routing")
    for bad, reason in (({"timezone": "Mars/Olympus"}, "not a time zone"),
                        ({"weekdays": []}, "weekdays"),
                        ({"hours_end": "09:00"}, "must not start and end at the same time"),
                        ({"capacity": "-1"}, "capacity")):
        form = {"csrf": csrf_of(page.text), "capacity": "5", "timezone": "UTC",
                "hours_start": "09:00", "hours_end": "17:00", "weekdays": ["0"],
                "available": "on", "business_unit": "complaints", **bad}
        r = client.post(f"/console/routing/staff/{agent.id}", data=form)
        assert r.status_code == 200 and reason in r.text, (bad, r.text[-2000:])
    session.rollback()
    assert session.get(StaffProfile, agent.id) is None


def test_only_staff_managers_see_the_routing_page(
    client: TestClient, session: Session, world: World,
) -> None:
    log_in(client, "supervisor")
    assert client.get("/console/routing").status_code == 403
    assert "/console/routing" not in client.get("/console").text
