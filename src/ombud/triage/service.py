"""Triage verbs: triage a case (classify, ask for what is missing, prioritise, route, set
its clocks), correct a classification, and set the routing facts of staff and teams.

Case columns and status are written only through the cases verbs; triage keeps its own
decision, clocks and reasons in its tables, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.cases import assessment
from ombud.cases import service as cases
from ombud.cases.lifecycle import Event, Status
from ombud.cases.schemas import AssessmentIn, MessageIn, TransitionIn
from ombud.cases.tables import Case, Message
from ombud.cases.taxonomy import Category, Priority
from ombud.common.clock import as_utc, utcnow
from ombud.common.errors import Invalid, NotFound
from ombud.customers import service as customers
from ombud.db import tx
from ombud.jobs import service as jobs
from ombud.security.permissions import SYSTEM, Principal, require
from ombud.security.roles import Permission
from ombud.security.tables import Staff, Team
from ombud.triage import queries, spikes
from ombud.triage.calendars import to_spec
from ombud.triage.classifier import Classifier, retrain
from ombud.triage.classifier_corpus import base_set, split_by_family
from ombud.triage.classifier_eval import Report, evaluate
from ombud.triage.classifier_text import ZH_HANS, ZH_HANT
from ombud.triage.pipeline import (
    CaseInput,
    ClockPlan,
    Result,
    TriageConfig,
    on_team_calendar,
    triage,
)
from ombud.triage.routing import Need, Route, route
from ombud.triage.schemas import CorrectionIn, DecisionOut, ProfileIn, TeamCalendarIn
from ombud.triage.tables import (
    StaffProfile,
    TeamSkill,
    TriageClock,
    TriageCorrection,
    TriageDecision,
)

#: Statuses in which a case is (re)triaged; later, the handler owns it.
TRIAGEABLE = frozenset({Status.RECEIVED.value, Status.TRIAGED.value})
REPEAT_WINDOW = dt.timedelta(days=90)
_ASK = {
    "en": "To look into your complaint we need a little more information:",
    ZH_HANS: "为了处理您的投诉，我们还需要以下信息：",
    ZH_HANT: "為了處理您的投訴，我們還需要以下資訊：",
}


def _text(session: Session, case: Case) -> str:
    """The complaint as the customer gave it: summary, description and their answers."""
    answers = session.scalars(select(Message.body).where(
        Message.case_id == case.id, Message.direction == "in").order_by(Message.id)).all()
    parts = [case.summary, case.description, *[a for a in answers if a != case.description]]
    return "\n".join(p for p in parts if p)


def _facts(session: Session, case: Case, decision: TriageDecision | None,
           now: dt.datetime) -> CaseInput:
    customer = customers.get_customer(session, case.customer_id)
    corrected = (decision.category, decision.subcategory) if decision and decision.corrected \
        else None
    return CaseInput(
        text=_text(session, case), language=case.language,
        received_at=as_utc(case.received_at),
        jurisdictions=frozenset(j.upper() for j in (case.jurisdiction, customer.jurisdiction)
                                if j),
        amount=case.amount, asset=case.asset, tier=customer.tier,
        repeat_contacts=queries.repeat_contacts(session, case.customer_id, case.id,
                                                now - REPEAT_WINDOW),
        question_rounds=decision.question_rounds if decision else 0, corrected=corrected)


def _route(session: Session, case: Case, result: Result, now: dt.datetime) -> Route:
    if case.assignee_id is not None and not result.needs_human:
        return Route(case.team_id, case.assignee_id, ("already assigned: assignment kept",))
    teams, handlers = queries.routing_inputs(session)
    need = Need(category=result.category.value, language=case.language,
                jurisdiction=case.jurisdiction,
                urgent=result.assessment.priority is Priority.URGENT,
                needs_human=result.needs_human)
    return route(teams, handlers, need, now)


def _store_clocks(session: Session, case_id: int, plans: tuple[ClockPlan, ...]) -> None:
    """Insert new clocks, refresh running ones, drop running ones no longer applicable."""
    existing = {c.slot: c for c in session.scalars(
        select(TriageClock).where(TriageClock.case_id == case_id))}
    for plan in plans:
        row = existing.pop(plan.slot, None)
        values: dict[str, Any] = dict(
            rule_id=plan.rule_id, citation=plan.citation, source=plan.source,
            purpose=plan.purpose, kind=plan.kind, pausable=plan.pausable,
            strictest=plan.strictest, definition=plan.definition, started_at=plan.started_at,
            warn_at=plan.warn_at, due_at=plan.due_at, notes=list(plan.notes))
        if row is None:
            session.add(TriageClock(case_id=case_id, slot=plan.slot, state="running", **values))
        elif row.state in ("running", "warning") and as_utc(row.due_at) != plan.due_at:
            for name, value in values.items():
                setattr(row, name, value)
            row.state, row.warned_at = "running", None
    stale = [c.id for c in existing.values() if c.state in ("running", "warning")]
    if stale:  # e.g. the jurisdiction changed: kept for the record, never swept again
        session.execute(update(TriageClock).where(TriageClock.id.in_(stale))
                        .values(state="dropped"))


def _assess(session: Session, case: Case, result: Result, routed: Route) -> None:
    """Write category, priority, impact, team, handler and due date through the cases verb."""
    values: dict[str, Any] = dict(priority=result.assessment.priority,
                                  impact=result.assessment.impact.value, due_at=result.due_at,
                                  reason="triage")
    if not result.needs_human:
        values.update(category=result.category, subcategory=result.subcategory)
    if routed.team_id is not None and routed.team_id != case.team_id:
        values["team_id"] = routed.team_id
    if routed.assignee_id is not None and routed.assignee_id != case.assignee_id:
        values["assignee_id"] = routed.assignee_id
    assessment.apply_assessment(session, SYSTEM, case.reference, AssessmentIn(**values))


def _move(session: Session, case: Case, result: Result) -> str:
    """Ask the customer, send the case on, or leave it for human triage; the outcome."""
    if result.needs_human:
        return "human_triage"
    if result.ask and result.completeness is not None:
        lang = result.completeness.language
        body = "\n".join([_ASK.get(lang, _ASK["en"]),
                          *[f"- {q.text}" for q in result.completeness.questions]])
        cases.add_message(session, SYSTEM, case.reference, MessageIn(body=body))
        cases.apply_transition(session, SYSTEM, case.reference, TransitionIn(
            event=Event.REQUEST_INFO,
            reason="missing: " + ", ".join(q.fact.value for q in result.completeness.questions)))
        return "needs_info"
    if case.status == Status.RECEIVED.value:
        cases.apply_transition(session, SYSTEM, case.reference,
                               TransitionIn(event=Event.TRIAGE, reason="complete and routed"))
    return "routed"


def _record(session: Session, case: Case, decision: TriageDecision | None, result: Result,
            routed: Route, outcome: str, now: dt.datetime) -> TriageDecision:
    p, a = result.prediction, result.assessment
    values: dict[str, Any] = dict(
        outcome=outcome, language=p.language, category=result.category.value,
        subcategory=result.subcategory, confidence=p.confidence, needs_human=result.needs_human,
        classification={"predicted": f"{p.category.value}/{p.subcategory or ''}",
                        "sub_confidence": p.sub_confidence, "reasons": list(result.reasons),
                        "alternatives": [list(x) for x in p.alternatives],
                        "mixed_language": p.mixed_language},
        priority=a.priority.value, impact=a.impact.value, immediate_action=a.immediate_action,
        priority_reasons=list(a.reasons), routing_reasons=list(routed.reasons),
        questions=[q.text for q in result.completeness.questions]
        if outcome == "needs_info" and result.completeness else [],
        not_asked=[n.reason for n in result.completeness.not_asked]
        if result.completeness else [],
        clock_notes=list(result.clock_notes), awaiting_info=outcome == "needs_info",
        incident_key=f"{result.category.value}:{result.subject}"[:80], triaged_at=now)
    if decision is None:
        decision = TriageDecision(case_id=case.id, runs=0, question_rounds=0, corrected=False,
                                  received_at=as_utc(case.received_at), **values)
        session.add(decision)
    else:
        for name, value in values.items():
            setattr(decision, name, value)
    decision.runs += 1
    decision.question_rounds += outcome == "needs_info"
    return decision


def triage_case(session: Session, cfg: TriageConfig, case_id: int, *,
                classifier: Classifier | None = None,
                now: dt.datetime | None = None) -> DecisionOut | None:
    """Triage one case; None when it has moved past triage (its handler owns it now)."""
    now = now or utcnow()
    with tx(session):
        case = cases.get_by_id(session, case_id)
        session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
        if case.status not in TRIAGEABLE or spikes.is_incident(session, case.id):
            return None
        decision = session.get(TriageDecision, case.id)
        result = triage(_facts(session, case, decision, now), cfg, now, classifier)
        routed = _route(session, case, result, now)
        calendar = queries.team_calendar(session, routed.team_id)
        if calendar is not None:
            result = on_team_calendar(result, calendar, as_utc(case.received_at), cfg)
        _assess(session, case, result, routed)
        _store_clocks(session, case.id, result.clocks)
        outcome = _move(session, case, result)
        decision = _record(session, case, decision, result, routed, outcome, now)
        session.flush()
        audit.append(session, actor="system", action="triage.decided", chain=case.reference,
                     case_id=case.id, data={
                         "outcome": outcome, "category": decision.category,
                         "subcategory": decision.subcategory,
                         "confidence": decision.confidence, "priority": decision.priority,
                         "impact": decision.impact, "team_id": case.team_id,
                         "assignee_id": case.assignee_id,
                         "due_at": as_utc(result.due_at).isoformat(),
                         "reasons": list(result.reasons)})
        if not result.needs_human:
            spikes.observe(session, case, decision.incident_key, result.category.value,
                           result.subject, now)
        return DecisionOut.model_validate(decision)


def correct(session: Session, principal: Principal, reference: str,
            data: CorrectionIn) -> DecisionOut:
    """Staff set the right category: recorded for retraining, written to the case, audited,
    and the case triaged again with it."""
    try:
        label = data.label()
    except ValueError as exc:
        raise Invalid(str(exc), pointer="subcategory") from None
    with tx(session):
        case = cases.load(session, principal, reference, Permission.TRANSITION)
        decision = session.get(TriageDecision, case.id)
        if decision is None:
            raise NotFound(f"case {reference} has not been triaged yet")
        predicted = decision.classification.get("predicted", "")
        correction = TriageCorrection(case_id=case.id, text=_text(session, case),
                                      predicted=str(predicted), label=label,
                                      staff_id=principal.id if principal.kind == "staff"
                                      else None, created_at=utcnow())
        session.add(correction)
        session.flush()
        assessment.apply_assessment(session, principal, reference, AssessmentIn(
            category=Category(data.category), subcategory=data.subcategory,
            reason=f"classification corrected (was {predicted})"))
        decision.category, decision.subcategory = data.category.value, data.subcategory
        decision.corrected, decision.needs_human = True, False
        audit.append(session, actor=principal.actor, action="triage.corrected",
                     chain=reference, case_id=case.id,
                     data={"predicted": predicted, "label": label,
                           "correction_id": correction.id})
        jobs.enqueue(session, "triage.case", {"case_id": case.id},
                     f"triage:{case.id}:fix{correction.id}")
        return DecisionOut.model_validate(decision)


def set_profile(session: Session, principal: Principal, staff_id: int,
                data: ProfileIn) -> None:
    """Set a handler's capacity, hours, availability and business unit (audited)."""
    require(principal, Permission.MANAGE_STAFF)
    with tx(session):
        if session.get(Staff, staff_id) is None:
            raise NotFound(f"staff {staff_id} not found")
        row = session.get(StaffProfile, staff_id)
        if row is None:
            row = StaffProfile(staff_id=staff_id)
            session.add(row)
        for name, value in data.model_dump().items():
            setattr(row, name, value)
        audit.append(session, actor=principal.actor, action="triage.profile_set",
                     data={"staff_id": staff_id, **data.model_dump()})


def set_jurisdictions(session: Session, principal: Principal, team_id: int,
                      jurisdictions: list[str]) -> None:
    """Set the jurisdictions a team handles (empty: any) (audited)."""
    require(principal, Permission.MANAGE_STAFF)
    codes = sorted({j.strip().upper() for j in jurisdictions if j.strip()})
    with tx(session):
        if session.get(Team, team_id) is None:
            raise NotFound(f"team {team_id} not found")
        row = session.get(TeamSkill, team_id)
        if row is None:
            session.add(TeamSkill(team_id=team_id, jurisdictions=codes))
        else:
            row.jurisdictions = codes
        audit.append(session, actor=principal.actor, action="triage.jurisdictions_set",
                     data={"team_id": team_id, "jurisdictions": codes})


def set_team_calendar(session: Session, principal: Principal, team_id: int,
                      data: TeamCalendarIn | None) -> None:
    """Set the business calendar a team's service levels count on (None: the support desk's)
    (audited); cases triaged from now on get their service-level clocks on it."""
    require(principal, Permission.MANAGE_STAFF)
    spec = None if data is None else to_spec(data.calendar("team"))
    with tx(session):
        if session.get(Team, team_id) is None:
            raise NotFound(f"team {team_id} not found")
        row = session.get(TeamSkill, team_id)
        if row is None:
            session.add(TeamSkill(team_id=team_id, jurisdictions=[], calendar=spec))
        else:
            row.calendar = spec
        audit.append(session, actor=principal.actor, action="triage.team_calendar_set",
                     data={"team_id": team_id, "calendar": spec})


@dataclass(frozen=True)
class Retrained:
    """Held-out figures of the classifier retrained with the staff corrections."""

    corrections: int
    report: Report


def retrain_with_corrections(session: Session) -> Retrained:
    """Retrain on the training split plus every staff correction; score the held-out split."""
    fixes = queries.corrections(session)
    train_set, held_out = split_by_family(base_set())
    model = retrain(fixes, base=train_set)
    return Retrained(len(fixes), evaluate(model, held_out))
