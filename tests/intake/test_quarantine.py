"""Quarantine: never dropped, listed for staff, re-processed by staff who route work."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.common.errors import Conflict, Forbidden
from ombud.intake import queries, service
from ombud.intake.service import Envelope, IntakeConfig
from ombud.intake.tables import Quarantine
from ombud.security.permissions import Principal
from ombud.security.roles import Role
from tests.conftest import World
from tests.web.test_console import csrf_of, log_in

from .conftest import registered

SUPERVISOR = Principal(kind="staff", id=901, name="Sue", role=Role.SUPERVISOR)
AGENT = Principal(kind="staff", id=902, name="Al", role=Role.AGENT)

BROKEN = (b"From: carol@example.com\r\nTo: complaints@ombud.local\r\nSubject: Account drained\r\n"
          b"Message-ID: <broken-2@example.com>\r\nMIME-Version: 1.0\r\n"
          b"Content-Type: multipart/mixed\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\n"
          b"Someone took 2 BTC from my account.\r\n--x--\r\n")


def _receive(session: Session, cfg: IntakeConfig, raw: bytes) -> str:
    return service.receive(session, raw, Envelope("carol@example.com"), cfg).outcome


def test_listed_and_released_into_a_case(session: Session, cfg: IntakeConfig) -> None:
    assert _receive(session, cfg, BROKEN) == "quarantined"
    assert _receive(session, cfg, BROKEN) == "duplicate"  # the same bytes again: held once
    held = queries.list_quarantine(session, SUPERVISOR)
    assert [h.subject for h in held] == ["Account drained"]
    assert queries.raw_mail(session, SUPERVISOR, held[0].mail_id,
                            cfg.store) == BROKEN
    result = service.reprocess_quarantined(session, SUPERVISOR, held[0].id, cfg)
    assert result.outcome == "case_opened" and result.case_reference
    assert registered(session) == 1
    row = session.get(Quarantine, held[0].id)
    assert row is not None and row.status == "released"
    assert row.resolved_by == SUPERVISOR.actor
    assert queries.list_quarantine(session, SUPERVISOR) == []
    with pytest.raises(Conflict):
        service.reprocess_quarantined(session, SUPERVISOR, held[0].id, cfg)


def test_unreadable_stays_held_with_attempt_counted(
        session: Session, cfg: IntakeConfig) -> None:
    assert _receive(session, cfg, b"   \r\n") == "quarantined"
    held_id = session.scalars(select(Quarantine.id)).one()
    result = service.reprocess_quarantined(session, SUPERVISOR, held_id, cfg)
    assert result.outcome == "quarantined"
    row = session.get(Quarantine, held_id)
    assert row is not None and row.status == "held" and row.attempts == 1


def test_mail_without_sender_is_quarantined(session: Session, cfg: IntakeConfig) -> None:
    raw = b"To: complaints@ombud.local\r\nSubject: who am I\r\n\r\nI lost money.\r\n"
    assert _receive(session, cfg, raw) == "quarantined"
    assert "no sender address" in session.scalars(select(Quarantine.reason)).one()


def test_agents_may_not_release(session: Session, cfg: IntakeConfig) -> None:
    _receive(session, cfg, BROKEN)
    with pytest.raises(Forbidden):
        queries.list_quarantine(session, AGENT)
    held_id = session.scalars(select(Quarantine.id)).one()
    with pytest.raises(Forbidden):
        service.reprocess_quarantined(session, AGENT, held_id, cfg)


def test_the_console_shows_the_quarantine_and_releases_from_it(
        session: Session, cfg: IntakeConfig, client: TestClient, world: World) -> None:
    assert _receive(session, cfg, BROKEN) == "quarantined"
    held = session.scalars(select(Quarantine)).one()
    log_in(client, "agent")
    assert client.get("/console/quarantine").status_code == 403  # agents do not route work
    client.cookies.clear()
    log_in(client, "supervisor")
    page = client.get("/console/quarantine")
    assert page.status_code == 200
    assert "Account drained" in page.text and "NoBoundaryInMultipartDefect" in page.text
    raw = client.get(f"/console/quarantine/mails/{held.mail_id}.eml")
    assert raw.content == BROKEN and raw.headers["content-type"] == "message/rfc822"
    assert raw.headers["content-disposition"].startswith("attachment")
    r = client.post(f"/console/quarantine/{held.id}/release", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 200 and "released: opened C-" in r.text
    assert registered(session) == 1
    assert "No held mails." in client.get("/console/quarantine").text
    assert "Account drained" in client.get("/console/quarantine?status=released").text
