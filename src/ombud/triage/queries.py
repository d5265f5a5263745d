"""Read side of triage: routing inputs, the console panel, pauses from the case record,
recent complaints for spike detection, corrections and alerts."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from datetime import time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud.audit.tables import AuditEvent
from ombud.cases import lifecycle
from ombud.cases.lifecycle import Status
from ombud.cases.service import load
from ombud.cases.tables import Case
from ombud.common.clock import as_utc
from ombud.security.permissions import Principal
from ombud.security.roles import Permission
from ombud.security.tables import Staff, Team
from ombud.triage.calendars import BusinessCalendar, from_spec
from ombud.triage.classifier import Correction
from ombud.triage.routing import CONFLICT_UNITS, HANDLER_ROLES, Handler, TeamSkills
from ombud.triage.schemas import (
    AlertOut,
    CaseTriage,
    ClockOut,
    DecisionOut,
    IncidentOut,
    ProfileIn,
    RoutingPage,
    StaffRouting,
    TeamCalendarIn,
    TeamRouting,
)
from ombud.triage.sla import Pause
from ombud.triage.tables import (
    StaffProfile,
    TeamSkill,
    TriageAlert,
    TriageClock,
    TriageCorrection,
    TriageDecision,
    TriageIncident,
)

#: Statuses in which a case still counts against its handler's capacity.
OPEN_STATUSES = tuple(s.value for s in lifecycle.OPEN_STATES)
WAITING = frozenset(s.value for s in lifecycle.WAITING_ON_CUSTOMER)


def _clock(text: str) -> time:
    hours, minutes = (int(x) for x in text.split(":"))
    return time.max if hours == 24 else time(hours, minutes)


def routing_inputs(session: Session) -> tuple[list[TeamSkills], list[Handler]]:
    """Teams with their skills, and active staff with profile and open-case count."""
    places = {s.team_id: tuple(s.jurisdictions) for s in session.scalars(select(TeamSkill))}
    teams = [TeamSkills(t.id, t.name, tuple(t.categories or ()), tuple(t.languages or ()),
                        tuple(j.upper() for j in places.get(t.id, ())))
             for t in session.scalars(select(Team).order_by(Team.id))]
    load_of = dict(session.execute(
        select(Case.assignee_id, func.count()).where(Case.assignee_id.is_not(None),
                                                     Case.status.in_(OPEN_STATUSES))
        .group_by(Case.assignee_id)).all())
    profiles = {p.staff_id: p for p in session.scalars(select(StaffProfile))}
    handlers = []
    for s in session.scalars(select(Staff).where(Staff.active).order_by(Staff.id)):
        h = Handler(id=s.id, name=s.display_name or s.username, team_id=s.team_id,
                    role=s.role, open_cases=int(load_of.get(s.id, 0)))
        p = profiles.get(s.id)
        if p is not None:
            whole_day = p.hours_start == "00:00" and p.hours_end == "24:00"
            h = replace(h, capacity=p.capacity, timezone=p.timezone,
                        hours=None if whole_day else (_clock(p.hours_start),
                                                      _clock(p.hours_end)),
                        weekdays=frozenset(p.weekdays), available=p.available,
                        business_unit=p.business_unit)
        handlers.append(h)
    return teams, handlers


def team_calendar(session: Session, team_id: int | None) -> BusinessCalendar | None:
    """The calendar a team's service levels count on, or None for the support desk's."""
    row = None if team_id is None else session.get(TeamSkill, team_id)
    if row is None or not row.calendar:
        return None
    name = session.scalar(select(Team.name).where(Team.id == team_id))
    return from_spec(f"{name} team", row.calendar)


def routing_page(session: Session) -> RoutingPage:
    """Teams, handlers with their profiles and load, and the GV-1 conflict rule."""
    teams, handlers = routing_inputs(session)
    profiles = {p.staff_id: p for p in session.scalars(select(StaffProfile))}
    staff = []
    for h in handlers:
        if h.role not in HANDLER_ROLES:
            continue  # routing never assigns to them
        p = profiles.get(h.id)
        profile = ProfileIn() if p is None else ProfileIn(
            capacity=p.capacity, timezone=p.timezone, hours_start=p.hours_start,
            hours_end=p.hours_end, weekdays=list(p.weekdays), available=p.available,
            business_unit=p.business_unit)
        staff.append(StaffRouting(id=h.id, name=h.name, role=h.role, team_id=h.team_id,
                                  open_cases=h.open_cases, profile=profile,
                                  has_profile=p is not None))
    specs = {team_id: spec for team_id, spec in session.execute(
        select(TeamSkill.team_id, TeamSkill.calendar))}
    return RoutingPage(
        teams=[TeamRouting(id=t.id, name=t.name, categories=list(t.categories),
                           languages=list(t.languages), jurisdictions=list(t.jurisdictions),
                           calendar=_calendar_in(specs.get(t.id)))
               for t in teams],
        staff=staff, conflict_units=dict(CONFLICT_UNITS))


def _calendar_in(spec: dict[str, Any] | None) -> TeamCalendarIn | None:
    if not spec:
        return None
    hours = spec.get("hours") or ["", ""]
    return TeamCalendarIn(timezone=spec["tz"], country=spec.get("country") or "",
                          subdiv=spec.get("subdiv") or "", weekdays=spec["weekdays"],
                          hours_start=hours[0], hours_end=hours[1])


def repeat_contacts(session: Session, customer_id: int, case_id: int,
                    since: dt.datetime) -> int:
    """The customer's other cases received since ``since``."""
    return int(session.scalar(select(func.count()).select_from(Case).where(
        Case.customer_id == customer_id, Case.id != case_id, Case.received_at >= since)) or 0)


def pauses(session: Session, case_id: int) -> tuple[Pause, ...]:
    """When the case waited on the customer, from its recorded transitions."""
    return pauses_of(session, [case_id]).get(case_id, ())


def pauses_of(session: Session, case_ids: list[int]) -> dict[int, tuple[Pause, ...]]:
    """``pauses`` of many cases in one query (cases that never waited are left out)."""
    found: dict[int, list[Pause]] = {}
    start: dict[int, dt.datetime] = {}
    rows = session.execute(select(AuditEvent.case_id, AuditEvent.at, AuditEvent.data).where(
        AuditEvent.case_id.in_(case_ids), AuditEvent.action == "case.transition")
        .order_by(AuditEvent.case_id, AuditEvent.id)).all() if case_ids else []
    for case_id, at, data in rows:
        if case_id is None:
            continue
        waiting = json.loads(data).get("to") in WAITING
        if waiting and case_id not in start:
            start[case_id] = as_utc(at)
        elif not waiting and case_id in start:
            found.setdefault(case_id, []).append(
                Pause(start.pop(case_id), as_utc(at), "waiting on the customer"))
    for case_id, since in start.items():
        found.setdefault(case_id, []).append(Pause(since, None, "waiting on the customer"))
    return {k: tuple(v) for k, v in found.items()}


def live_state(clock: TriageClock, status: str) -> str:
    """The state to show: a pausable running clock is paused while the case waits."""
    if clock.pausable and clock.state in ("running", "warning") and status in WAITING:
        return "paused"
    return clock.state


def case_triage(session: Session, principal: Principal, reference: str) -> CaseTriage:
    """The triage panel of a case: decision, clocks with live state, alerts, incident."""
    case = load(session, principal, reference, Permission.VIEW_CASE)
    decision = session.get(TriageDecision, case.id)
    clocks = []
    for row in session.scalars(select(TriageClock).where(TriageClock.case_id == case.id)
                               .order_by(TriageClock.due_at, TriageClock.id)):
        out = ClockOut.model_validate(row)
        clocks.append(out.model_copy(update={"state": live_state(row, case.status)}))
    alerts = session.scalars(select(TriageAlert).where(TriageAlert.case_id == case.id)
                             .order_by(TriageAlert.id)).all()
    incident = session.scalars(select(TriageIncident).where(
        TriageIncident.case_id == case.id)).first()
    members = [] if incident is None else list(session.scalars(
        select(Case.reference).where(Case.parent_id == case.id).order_by(Case.id)))
    part_of = None if case.parent_id is None else session.scalar(
        select(Case.reference).join(TriageIncident, TriageIncident.case_id == Case.id)
        .where(Case.id == case.parent_id))
    return CaseTriage(
        reference=case.reference,
        decision=None if decision is None else DecisionOut.model_validate(decision),
        clocks=clocks, alerts=[AlertOut.model_validate(a) for a in alerts],
        incident=None if incident is None else IncidentOut.model_validate(incident),
        members=members, part_of=part_of)


def recent_signals(session: Session, key: str, since: dt.datetime,
                   until: dt.datetime) -> list[tuple[dt.datetime, str]]:
    """(received_at, reference) of triaged cases with incident key ``key`` in a window."""
    rows = session.execute(
        select(TriageDecision.received_at, Case.reference)
        .join(Case, Case.id == TriageDecision.case_id)
        .where(TriageDecision.incident_key == key, TriageDecision.received_at >= since,
               TriageDecision.received_at <= until)
        .order_by(TriageDecision.received_at, TriageDecision.case_id)).all()
    return [(as_utc(at), ref) for at, ref in rows]


def open_incident(session: Session, key: str) -> TriageIncident | None:
    """The open incident of ``key``, if any."""
    return session.scalars(select(TriageIncident).where(
        TriageIncident.key == key, TriageIncident.closed_at.is_(None))).first()


def last_closed(session: Session, key: str) -> dt.datetime | None:
    """When the last incident of ``key`` was closed."""
    at = session.scalar(select(func.max(TriageIncident.closed_at)).where(
        TriageIncident.key == key))
    return None if at is None else as_utc(at)


def corrections(session: Session) -> list[Correction]:
    """Every staff correction, oldest first (the latest one for a text wins in training)."""
    rows = session.execute(select(TriageCorrection.text, TriageCorrection.label)
                           .order_by(TriageCorrection.id)).all()
    latest = {text: label for text, label in rows}
    return [Correction(text, label) for text, label in latest.items()]


def alerts_for(session: Session, staff_id: int, limit: int = 50) -> list[AlertOut]:
    """The newest deadline alerts addressed to one member of staff."""
    rows = session.execute(select(TriageAlert, Case.reference)
                           .join(Case, Case.id == TriageAlert.case_id)
                           .where(TriageAlert.staff_id == staff_id)
                           .order_by(TriageAlert.id.desc()).limit(limit)).all()
    return [AlertOut.model_validate(a).model_copy(update={"reference": ref}) for a, ref in rows]


def is_waiting(status: str) -> bool:
    """True while the case waits on the customer."""
    return Status(status) in lifecycle.WAITING_ON_CUSTOMER
