"""Major incidents in the database: an injected spike opens one incident case linking its
members; noise does not; staff answer all members at once and closing settles them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases.tables import Case, Message
from ombud.common.clock import utcnow
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


def test_an_injected_spike_opens_one_incident_and_staff_answer_and_close_it(
    session: Session, world: World,
) -> None:
    skilled_teams(session)
    start = utcnow() - dt.timedelta(minutes=20)
    members = []
    for n in range(18):
        case = _deposit(session, n, start + dt.timedelta(seconds=40 * n))
        run(session, case)
        members.append(case)
    incidents = session.scalars(select(TriageIncident)).all()
    assert len(incidents) == 1
    incident = incidents[0]
    assert incident.key == "deposit_withdrawal:TRC20" and "Poisson" in incident.reason
    parent = session.get(Case, incident.case_id)
    assert parent is not None and parent.priority == "urgent"
    for case in members:
        session.refresh(case)
    assert all(c.parent_id == parent.id for c in members)  # the early ones were linked too

    boss = world.staff["supervisor"]
    answered = spikes.answer(session, boss, parent.reference, IncidentMessageIn(
        body="TRC20 deposits are delayed by a node outage; they will be credited."))
    assert sorted(answered) == sorted(c.reference for c in members)
    bodies = session.scalars(select(Message.case_id).where(
        Message.body.like("TRC20 deposits are delayed%"))).all()
    assert sorted(bodies) == sorted(c.id for c in members)

    closed = spikes.close(session, boss, parent.reference, IncidentMessageIn(
        body="All delayed TRC20 deposits are now credited."))
    assert closed.closed_at is not None
    for case in members:
        session.refresh(case)
        assert case.status == "merged" and case.merged_into_id == parent.id
    closing = session.scalars(select(Message.case_id).where(
        Message.body == "All delayed TRC20 deposits are now credited.")).all()
    assert sorted(closing) == sorted(c.id for c in members)


def test_noise_across_assets_and_hours_opens_no_incident(session: Session, world: World) -> None:
    skilled_teams(session)
    start = utcnow() - dt.timedelta(days=2)
    for n in range(24):
        asset = ("USDT", "BTC", "ETH")[n % 3]
        case = _deposit(session, n, start + dt.timedelta(hours=2 * n), asset)
        run(session, case)
    assert session.scalars(select(TriageIncident)).all() == []
    assert session.scalars(select(Case.id).where(Case.parent_id.is_not(None))).all() == []
