"""Console pages of triage: a major incident answered and closed from its case page, each
handler's deadline alerts, and the routing facts of teams and staff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from ombud.common.errors import OmbudError
from ombud.security.permissions import Principal, require
from ombud.security.roles import Permission
from ombud.triage import queries, service, spikes
from ombud.triage.schemas import IncidentMessageIn, ProfileIn, TeamCalendarIn
from ombud.web import forms
from ombud.web.deps import db
from ombud.web.routes.console import staff
from ombud.web.templating import redirect, render, verify_csrf

router = APIRouter(include_in_schema=False)

DB = Annotated[Session, Depends(db)]
Staff = Annotated[Principal, Depends(staff)]
CSRF = [Depends(verify_csrf)]
TEXT = Annotated[str, Form(max_length=100_000)]
ROUTING = "/console/routing"


def _problem(exc: OmbudError | ValidationError) -> str:
    if isinstance(exc, OmbudError):
        if exc.status == 404:
            raise exc
        return exc.detail
    return "; ".join(f"{name.replace('_', ' ')}: {message}" if name else message
                     for name, message in forms.errors_of(exc).fields.items())


@router.post("/console/cases/{reference}/incident/answer", dependencies=CSRF)
def answer_incident(request: Request, reference: str, session: DB, who: Staff,
                    body: TEXT = "") -> Response:
    """One public message to every open member of the major incident ``reference``."""
    url = f"/console/cases/{reference}"
    try:
        told = spikes.answer(session, who, reference, IncidentMessageIn(body=body.strip()))
    except (OmbudError, ValidationError) as exc:
        return redirect(request, url, ("error", f"Not sent: {_problem(exc)}"))
    return redirect(request, url, ("ok", f"Answer sent to {len(told)} member cases."))


@router.post("/console/cases/{reference}/incident/close", dependencies=CSRF)
def close_incident(request: Request, reference: str, session: DB, who: Staff,
                   body: TEXT = "") -> Response:
    """Close the incident with its final answer, which resolves its members."""
    url = f"/console/cases/{reference}"
    try:
        done = spikes.close(session, who, reference, IncidentMessageIn(body=body.strip()))
    except (OmbudError, ValidationError) as exc:
        return redirect(request, url, ("error", f"Not closed: {_problem(exc)}"))
    text = f"Incident closed: {len(done.resolved)} member cases resolved by the final answer."
    if done.left_open:
        text += (f" {len(done.left_open)} with a decision in progress were told and keep "
                 f"their own path: {', '.join(done.left_open)}.")
    return redirect(request, url, ("ok", text))


@router.get("/console/alerts")
def alerts_page(request: Request, session: DB, who: Staff) -> Response:
    """The signed-in handler's deadline warnings and escalations, newest first."""
    return render(request, "console/alerts.html", principal=who,
                  alerts=queries.alerts_for(session, who.id or 0))


@router.get(ROUTING)
def routing_page(request: Request, session: DB, who: Staff) -> Response:
    """Teams with their skills and jurisdictions; staff with capacity, hours, availability
    and business unit (GV-1)."""
    require(who, Permission.MANAGE_STAFF)
    page = queries.routing_page(session)
    return render(request, "console/routing.html", principal=who, routing=page,
                  teams={t.id: t.name for t in page.teams})


@router.post(ROUTING + "/teams/{team_id}", dependencies=CSRF)
def team_jurisdictions(request: Request, team_id: int, session: DB, who: Staff,
                       jurisdictions: Annotated[str, Form(max_length=2_000)] = "") -> Response:
    """Set the jurisdictions a team handles (comma-separated codes; empty: any)."""
    try:
        service.set_jurisdictions(session, who, team_id, jurisdictions.split(","))
    except OmbudError as exc:
        return redirect(request, ROUTING, ("error", _problem(exc)))
    return redirect(request, ROUTING, ("ok", "Team jurisdictions saved."))


@router.post(ROUTING + "/teams/{team_id}/calendar", dependencies=CSRF)
def team_calendar(
    request: Request, team_id: int, session: DB, who: Staff,
    timezone: Annotated[str, Form()] = "", country: Annotated[str, Form()] = "",
    subdiv: Annotated[str, Form()] = "", weekdays: Annotated[list[str] | None, Form()] = None,
    hours_start: Annotated[str, Form()] = "", hours_end: Annotated[str, Form()] = "",
) -> Response:
    """Set the business calendar of a team's service levels (no time zone: the support
    desk's calendar)."""
    try:
        data = None if not timezone.strip() else TeamCalendarIn.model_validate({
            "timezone": timezone.strip(), "country": country, "subdiv": subdiv,
            "weekdays": [int(d) for d in weekdays or [] if d.isdigit()],
            "hours_start": hours_start.strip(), "hours_end": hours_end.strip()})
        service.set_team_calendar(session, who, team_id, data)
    except (OmbudError, ValidationError) as exc:
        return redirect(request, ROUTING, ("error", _problem(exc)))
    return redirect(request, ROUTING, ("ok", "Team calendar saved: cases triaged from now on "
                                             "count their service levels on it."))


@router.post(ROUTING + "/staff/{staff_id}", dependencies=CSRF)
def staff_profile(
    request: Request, staff_id: int, session: DB, who: Staff,
    capacity: Annotated[str, Form()] = "", timezone: Annotated[str, Form()] = "UTC",
    hours_start: Annotated[str, Form()] = "00:00", hours_end: Annotated[str, Form()] = "24:00",
    weekdays: Annotated[list[str] | None, Form()] = None,
    available: Annotated[str, Form()] = "", business_unit: Annotated[str, Form()] = "",
) -> Response:
    """Set a handler's capacity, working hours, weekdays, availability and business unit."""
    try:
        data = ProfileIn.model_validate({
            "capacity": capacity, "timezone": timezone.strip(), "hours_start": hours_start,
            "hours_end": hours_end, "weekdays": [int(d) for d in weekdays or [] if d.isdigit()],
            "available": available == "on", "business_unit": business_unit.strip()})
        service.set_profile(session, who, staff_id, data)
    except (OmbudError, ValidationError) as exc:
        return redirect(request, ROUTING, ("error", _problem(exc)))
    return redirect(request, ROUTING, ("ok", "Profile saved."))
