"""Major incidents: spike detection over the triaged cases in the database, one
major-incident case per spike linking its members, answering them together, and closing
it with a final answer that resolves them.

The detector's state is rebuilt from the recent cases of the same key on every check, so
any worker process sees the same spikes (nothing lives only in memory).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.cases import assessment, filing, lifecycle
from ombud.cases import service as cases
from ombud.cases.lifecycle import Event, Status
from ombud.cases.schemas import AssessmentIn, CaseIn, MessageIn, TransitionIn
from ombud.cases.tables import Case
from ombud.cases.taxonomy import Category, Channel, Priority
from ombud.common.clock import as_utc, utcnow
from ombud.common.errors import Conflict, NotFound
from ombud.customers.service import INTERNAL_PREFIX
from ombud.db import tx
from ombud.security.permissions import SYSTEM, Principal
from ombud.security.roles import Permission
from ombud.triage import queries
from ombud.triage.incidents import DetectorConfig, Incident, Signal, SpikeDetector
from ombud.triage.schemas import IncidentClosed, IncidentMessageIn, IncidentOut
from ombud.triage.tables import TriageDecision, TriageIncident

#: The internal customer that major-incident cases are filed under.
INCIDENT_UID = f"{INTERNAL_PREFIX}major-incidents"
DETECTOR = DetectorConfig()


def _window_count(session: Session, key: str, at: dt.datetime, cfg: DetectorConfig) -> int:
    return int(session.scalar(select(func.count()).select_from(TriageDecision).where(
        TriageDecision.incident_key == key, TriageDecision.received_at > at - cfg.window,
        TriageDecision.received_at <= at)) or 0)


def detect(session: Session, key: str, category: str, subject: str, reference: str,
           at: dt.datetime, cfg: DetectorConfig = DETECTOR) -> Incident | None:
    """The spike ``reference`` (received ``at``) belongs to, replaying the key's history."""
    if _window_count(session, key, at, cfg) < cfg.min_count:
        return None  # too few in the window for any spike: skip the replay
    since = at - dt.timedelta(days=cfg.baseline_days + 1) - cfg.window
    detector = SpikeDetector(cfg)
    found = None
    for when, ref in queries.recent_signals(session, key, since, at):
        incident = detector.observe(Signal(when, ref, category, subject))
        if ref == reference:
            found = incident
    return found


def observe(session: Session, case: Case, key: str, category: str, subject: str,
            now: dt.datetime, cfg: DetectorConfig = DETECTOR) -> TriageIncident | None:
    """Feed a triaged case to spike detection: join an open incident, or open one."""
    with tx(session):
        if session.scalars(select(TriageIncident.id).where(
                TriageIncident.case_id == case.id)).first() is not None:
            return None  # an incident case is not a member of anything
        row = queries.open_incident(session, key)
        if row is None:
            spike = detect(session, key, category, subject, case.reference,
                           as_utc(case.received_at), cfg)
            closed = queries.last_closed(session, key)
            if spike is None or (closed is not None and spike.opened_at <= closed):
                return None
            row = _open(session, key, category, subject, spike, case, now)
            members = spike.members
        else:
            members = [case.reference]
        parent = session.get(Case, row.case_id)
        assert parent is not None
        assessment.link_members(session, SYSTEM, parent.reference, members)
        return row


def _open(session: Session, key: str, category: str, subject: str, spike: Incident,
          first: Case, now: dt.datetime) -> TriageIncident:
    parent, _ = filing.open_case(session, SYSTEM, CaseIn(
        summary=f"Major incident: {spike.count} {category.replace('_', ' ')} complaints "
                f"about {subject}"[:200],
        description=spike.reason, category=Category(category), channel=Channel.API,
        customer_uid=INCIDENT_UID, language="en"))
    parent_id = session.scalars(select(Case.id).where(Case.reference == parent.reference)).one()
    row = TriageIncident(key=key, category=category, subject=subject[:40], case_id=parent_id,
                         reason=spike.reason, opened_at=now)
    session.add(row)
    session.flush()
    assessment.apply_assessment(session, SYSTEM, parent.reference, AssessmentIn(
        priority=Priority.URGENT, impact="critical", team_id=first.team_id,
        reason=f"major incident: {spike.reason}"))
    cases.apply_transition(session, SYSTEM, parent.reference,
                           TransitionIn(event=Event.TRIAGE, reason="major incident opened"))
    audit.append(session, actor="system", action="incident.opened", chain=parent.reference,
                 case_id=row.case_id, data={"key": key, "reason": spike.reason,
                                            "members": list(spike.members)})
    return row


def _incident(session: Session, principal: Principal, reference: str,
              perm: Permission) -> TriageIncident:
    case = cases.load(session, principal, reference, perm)
    row = session.scalars(select(TriageIncident).where(
        TriageIncident.case_id == case.id)).first()
    if row is None:
        raise NotFound(f"case {reference} is not a major incident")
    return row


def answer(session: Session, principal: Principal, reference: str,
           data: IncidentMessageIn) -> list[str]:
    """Post one message to every open member of the incident ``reference``."""
    with tx(session):
        _incident(session, principal, reference, Permission.REPLY)
        return assessment.message_members(session, principal, reference,
                                          MessageIn(body=data.body))


def close(session: Session, principal: Principal, reference: str,
          data: IncidentMessageIn) -> IncidentClosed:
    """Close the incident with its final answer: every open member gets ``data`` as a public
    message on its case, and each member with no individual decision in flight is resolved
    by it (``resolve_by_incident``, audited with the incident's reference); a member with a
    proposal, objection or re-review keeps its own path. The incident case is then resolved
    and closed."""
    with tx(session):
        row = _incident(session, principal, reference, Permission.ASSIGN)
        if row.closed_at is not None:
            raise Conflict(f"incident {reference} is already closed")
        answered = assessment.message_members(session, principal, reference,
                                              MessageIn(body=data.body))
        reason = f"answered by major incident {reference}: {_excerpt(data.body)}"
        resolved, left_open = [], []
        for case in session.scalars(select(Case).where(Case.reference.in_(answered))
                                    .order_by(Case.id)):
            if Status(case.status) in lifecycle.BEFORE_DECISION:
                cases.advance(session, principal, case.id, Event.RESOLVE_BY_INCIDENT,
                              reason=reason, incident_ref=reference)
                resolved.append(case.reference)
            else:
                left_open.append(case.reference)
        parent = cases.get_by_id(session, row.case_id)
        if Status(parent.status) in lifecycle.BEFORE_DECISION:
            cases.advance(session, principal, parent.id, Event.RESOLVE_BY_INCIDENT,
                          reason="major incident closed with its final answer",
                          incident_ref=reference)
            cases.advance(session, principal, parent.id, Event.CLOSE,
                          reason="major incident closed")
        row.closed_at = utcnow()
        audit.append(session, actor=principal.actor, action="incident.closed",
                     chain=reference, case_id=row.case_id,
                     data={"resolved": resolved, "left_open": left_open})
        return IncidentClosed(incident=IncidentOut.model_validate(row), resolved=resolved,
                              left_open=left_open)


def _excerpt(body: str, limit: int = 160) -> str:
    line = " ".join(body.split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


def is_incident(session: Session, case_id: int) -> bool:
    """True for a major-incident case (it is not triaged like a complaint)."""
    return session.scalars(select(TriageIncident.id).where(
        TriageIncident.case_id == case_id)).first() is not None
