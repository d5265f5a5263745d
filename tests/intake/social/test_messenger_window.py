"""Messenger's messaging window (Meta's Send API): RESPONSE within 24 hours of the customer's
last message, a staff reply with the HUMAN_AGENT tag within 7 days, and after that a clear
refusal shown to staff; a reply whose window closes before it is sent becomes a note."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ombud.cases.tables import Case, Message
from ombud.common.clock import utcnow
from ombud.config import Settings
from ombud.intake.social.messenger import OutsideWindow, messaging_type
from ombud.intake.social.service import reply_address
from ombud.intake.social.tables import SocialUpdate
from ombud.jobs import service as jobs
from ombud.jobs.tables import Job
from tests.conftest import World
from tests.exchange.server import serve
from tests.intake.social.conftest import payload, post_messenger, run_jobs
from tests.intake.social.test_send import platform_api
from tests.web.test_console import csrf_of, log_in

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("age", "human", "expected"), [
    (dt.timedelta(hours=23, minutes=59), False, {"messaging_type": "RESPONSE"}),
    (dt.timedelta(hours=24), True, {"messaging_type": "RESPONSE"}),
    (dt.timedelta(hours=24, seconds=1), True,
     {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}),
    (dt.timedelta(days=7), True, {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}),
])
def test_the_window_decides_the_messaging_type(
        age: dt.timedelta, human: bool, expected: dict[str, str]) -> None:
    assert messaging_type(NOW - age, NOW, human=human) == expected


@pytest.mark.parametrize(("age", "human", "limit"), [
    (dt.timedelta(hours=25), False, "24 hours"),  # automated: no tag after the standard window
    (dt.timedelta(days=7, seconds=1), True, "7 days"),
])
def test_past_the_window_nothing_may_be_sent(age: dt.timedelta, human: bool, limit: str) -> None:
    with pytest.raises(OutsideWindow, match=f"within {limit}"):
        messaging_type(NOW - age, NOW, human=human)


def _complaint(social: TestClient, session: Session, settings: Settings) -> str:
    """A Messenger complaint, acknowledged; its case reference."""
    with serve(platform_api) as (api, received):
        assert post_messenger(social, payload("messenger_message.json")) == 200
        run_jobs(session, settings, api)
    assert json.loads(received[0].body)["messaging_type"] == "RESPONSE"
    return session.scalars(select(Case.reference)).one()


def _last_wrote(session: Session, ago: dt.timedelta) -> None:
    session.execute(update(SocialUpdate).values(received_at=utcnow() - ago))
    session.commit()


def test_a_staff_reply_after_24_hours_carries_the_human_agent_tag(
        social: TestClient, session: Session, settings: Settings, world: World) -> None:
    reference = _complaint(social, session, settings)
    _last_wrote(session, dt.timedelta(days=3))
    r = social.post(f"/api/v1/cases/{reference}/messages", headers=world.headers("admin"),
                    json={"body": "We traced your deposit."})
    assert r.status_code == 201, r.text
    with serve(platform_api) as (api, received):
        run_jobs(session, settings, api)
    [request] = received
    body = json.loads(request.body)
    assert (body["messaging_type"], body["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    assert body["recipient"] == {"id": "PSID_1234"}
    assert body["message"] == {"text": "We traced your deposit."}


def test_after_7_days_staff_are_told_and_nothing_is_written(
        social: TestClient, session: Session, settings: Settings, world: World) -> None:
    reference = _complaint(social, session, settings)
    _last_wrote(session, dt.timedelta(days=8))
    before = session.scalars(select(Message.id)).all()
    r = social.post(f"/api/v1/cases/{reference}/messages", headers=world.headers("admin"),
                    json={"body": "Too late?"})
    assert r.status_code == 409 and "within 7 days" in r.json()["detail"]
    log_in(social, "admin")
    page = social.get(f"/console/cases/{reference}")
    r = social.post(f"/console/cases/{reference}/messages", data={
        "csrf": csrf_of(page.text), "body": "Too late?"})
    assert r.status_code == 409 and "within 7 days" in r.text and "another channel" in r.text
    session.rollback()
    assert session.scalars(select(Message.id)).all() == before
    assert session.scalars(select(Job.id).where(Job.status == "queued")).all() == []


def test_a_reply_whose_window_closes_before_sending_becomes_a_note(
        social: TestClient, session: Session, settings: Settings, world: World) -> None:
    reference = _complaint(social, session, settings)
    _last_wrote(session, dt.timedelta(days=6))
    r = social.post(f"/api/v1/cases/{reference}/messages", headers=world.headers("admin"),
                    json={"body": "Queued while the worker was down."})
    assert r.status_code == 201
    _last_wrote(session, dt.timedelta(days=7, hours=1))  # the worker only runs now
    with serve(platform_api) as (api, received):
        run_jobs(session, settings, api)
    assert received == []
    notes = session.scalars(select(Message.body).where(Message.visibility == "internal")).all()
    assert len(notes) == 1 and notes[0].startswith("This reply was not delivered on Messenger")
    assert set(session.scalars(select(Job.status))) == {"done"}


def test_a_survey_past_24_hours_becomes_a_note_that_names_it(
        social: TestClient, session: Session, settings: Settings, world: World) -> None:
    reference = _complaint(social, session, settings)
    case_id = session.scalars(select(Case.id).where(Case.reference == reference)).one()
    address = reply_address(session, case_id)
    assert address is not None
    _last_wrote(session, dt.timedelta(hours=25))  # an automated message needs the 24 h window
    jobs.enqueue(session, "social.send", {
        "platform": address[0], "mode": "private", "to": address[1], "text": "How did we do?",
        "case_id": case_id, "human": False, "what": "The satisfaction survey"}, "survey-late")
    session.commit()
    with serve(platform_api) as (api, received):
        run_jobs(session, settings, api)
    assert received == []
    notes = session.scalars(select(Message.body).where(Message.visibility == "internal")).all()
    assert len(notes) == 1
    assert notes[0].startswith("The satisfaction survey was not delivered on Messenger")
