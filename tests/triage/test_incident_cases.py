"""Major incidents in the database: an injected spike opens one incident case linking its
members; noise does not; staff answer all members at once, and the incident's final answer
resolves every member that has no individual decision in flight."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.audit.tables import AuditEvent
from ombud.audit.verify import verify
from ombud.cases import service as cases
from ombud.cases.lifecycle import Event
from ombud.cases.schemas import AssignIn, TransitionIn
from ombud.cases.tables import Case, Message
from ombud.common.clock import utcnow
from ombud.common.errors import Conflict, Forbidden
from ombud.security.permissions import SYSTEM
from ombud.triage import spikes
from ombud.triage.schemas import IncidentMessageIn
from ombud.triage.tables import TriageIncident
from tests.conftest import World

from .triage_world import file, run, skilled_teams

DEPOSIT = ("I deposited {n} USDT on TRC20 to my deposit address, txid {tx}, and it is not "
           "credited after two hours.")


def _deposit(session: Session, n: int, at: dt.datetime, asset: str = "USDT") -> Case:
    text = DEPOSIT.format(n=100 + n, tx=f"{n:064x}").replace("USDT", asset)
    return file(session, text, summary=f"{asset} deposit not credited", uid=f"UID-S-{n}",
                amount=str(100 + n), asset=asset, received_at=at)


def _spike(session: Session) -> tuple[Case, list[Case]]:
    """18 TRC20 deposit complaints in 12 minutes: one incident; (its case, the members)."""
    skilled_teams(session)
    start = utcnow() - dt.timedelta(minutes=20)
    members = []
    for n in range(18):
        case = _deposit(session, n, start + dt.timedelta(seconds=40 * n))
        run(session, case)
        members.append(case)
    incidents = session.scalars(select(TriageIncident)).all()
    assert len(incidents) == 1
    parent = session.get(Case, incidents[0].case_id)
    assert parent is not None
    return parent, members


def test_an_injected_spike_opens_one_incident_that_staff_answer_at_once(
    session: Session, world: World,
) -> None:
    parent, members = _spike(session)
    incident = session.scalars(select(TriageIncident)).one()
    assert incident.key == "deposit_withdrawal:TRC20" and "Poisson" in incident.reason
    assert parent.priority == "urgent"
    for case in members:
        session.refresh(case)
    assert all(c.parent_id == parent.id for c in members)  # the early ones were linked too

    answered = spikes.answer(session, world.staff["supervisor"], parent.reference,
                             IncidentMessageIn(body="TRC20 deposits are delayed by a node "
                                                    "outage; they will be credited."))
    assert sorted(answered) == sorted(c.reference for c in members)
    bodies = session.scalars(select(Message.case_id).where(
        Message.body.like("TRC20 deposits are delayed%"))).all()
    assert sorted(bodies) == sorted(c.id for c in members)


def test_closing_resolves_each_member_with_the_final_answer_and_an_audited_reason(
    session: Session, world: World,
) -> None:
    parent, members = _spike(session)
    boss = world.staff["supervisor"]
    decided, digging = members[0], members[1]
    cases.record_cited_findings(session, decided.id, 1)  # an individual proposal in flight
    cases.advance(session, SYSTEM, decided.id, Event.PROPOSE, reason="refund the fee")
    cases.apply_transition(session, SYSTEM, digging.reference,
                           TransitionIn(event=Event.START_INVESTIGATION))

    with pytest.raises(Conflict, match="only a major incident's final answer"):
        cases.apply_transition(session, boss, digging.reference, TransitionIn(
            event=Event.RESOLVE_BY_INCIDENT, reason="I say it is over"))

    answer = "All delayed TRC20 deposits are now credited."
    closed = spikes.close(session, boss, parent.reference, IncidentMessageIn(body=answer))
    assert closed.incident.closed_at is not None
    assert closed.left_open == [decided.reference]
    assert sorted(closed.resolved) == sorted(c.reference for c in members[1:])
    for case in members:
        session.refresh(case)
    assert decided.status == "proposed"
    assert all(c.status == "resolved" and c.merged_into_id is None for c in members[1:])
    told = session.scalars(select(Message.case_id).where(Message.body == answer,
                                                         Message.visibility == "public")).all()
    assert sorted(told) == sorted(c.id for c in members)  # the decided one is told too

    moves = [json.loads(d) for d in session.scalars(select(AuditEvent.data).where(
        AuditEvent.chain == digging.reference, AuditEvent.action == "case.transition"))]
    last = moves[-1]
    assert last["event"] == "resolve_by_incident" and last["from"] == "investigating"
    assert last["reason"].startswith(f"answered by major incident {parent.reference}: All")
    session.refresh(parent)
    assert parent.status == "closed"
    record = json.loads(session.scalars(select(AuditEvent.data).where(
        AuditEvent.chain == parent.reference, AuditEvent.action == "incident.closed")).one())
    assert record["left_open"] == [decided.reference] and len(record["resolved"]) == 17
    assert verify(session).ok

    with pytest.raises(Conflict, match="already closed"):
        spikes.close(session, boss, parent.reference, IncidentMessageIn(body=answer))


def test_only_staff_who_assign_cases_close_an_incident(session: Session, world: World) -> None:
    parent, members = _spike(session)
    agent = world.staff["agent"]
    cases.assign(session, world.staff["supervisor"], parent.reference,
                 AssignIn(assignee_id=agent.id))  # the agent handles it, and may answer it
    spikes.answer(session, agent, parent.reference, IncidentMessageIn(body="Looking into it."))
    with pytest.raises(Forbidden):
        spikes.close(session, agent, parent.reference,
                     IncidentMessageIn(body="over"))
    session.rollback()
    session.refresh(members[0])
    assert members[0].status == "triaged"


def test_noise_across_assets_and_hours_opens_no_incident(session: Session, world: World) -> None:
    skilled_teams(session)
    start = utcnow() - dt.timedelta(days=2)
    for n in range(24):
        asset = ("USDT", "BTC", "ETH")[n % 3]
        case = _deposit(session, n, start + dt.timedelta(hours=2 * n), asset)
        run(session, case)
    assert session.scalars(select(TriageIncident)).all() == []
    assert session.scalars(select(Case.id).where(Case.parent_id.is_not(None))).all() == []
