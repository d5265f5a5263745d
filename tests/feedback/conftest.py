"""Feedback fixtures: cases driven to resolved, the job runner, an SMTP sink, and the link
of a case's survey read from the message on the case."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases import filing
from ombud.cases import service as cases
from ombud.cases.lifecycle import Event
from ombud.cases.schemas import CaseIn
from ombud.cases.tables import Case, Message
from ombud.cases.taxonomy import Category, Channel
from ombud.config import Settings
from ombud.jobs import service as jobs
from ombud.notify.senders import Sender
from ombud.security.permissions import Principal
from ombud.worker import handlers
from tests.intake.conftest import Sink, free_port

LINK = re.compile(r"https?://[^\s]+/survey/([A-Za-z0-9_-]+)")


def open_case(session: Session, staff: Principal, *, channel: Channel = Channel.WEB,
              email: str | None = None, uid: str | None = "UID-CAROL-1", language: str = "en",
              category: Category = Category.FEES, summary: str = "Fee charged twice") -> Case:
    """A case filed by staff for a customer (by UID and/or email)."""
    out, _ = filing.open_case(session, staff, CaseIn.model_validate({
        "summary": summary, "description": "The fee was taken twice.", "channel": channel,
        "customer_uid": uid, "customer_email": email, "language": language,
        "category": category}))
    return session.scalars(select(Case).where(Case.reference == out.reference)).one()


def resolve(session: Session, staff: Principal, case_id: int) -> None:
    """Drive a case from received to resolved (which queues its survey)."""
    cases.record_cited_findings(session, case_id, 1)
    for event in (Event.TRIAGE, Event.PROPOSE, Event.ACCEPT, Event.COMPLETE):
        cases.advance(session, staff, case_id, event)


def run_jobs(session: Session, settings: Settings, sender: Sender | None = None) -> None:
    """Run every due job with the deployment's handlers (triage left out: not under test)."""
    registry: dict[str, Any] = handlers(settings, sender)
    registry["triage.case"] = lambda _session, _payload: None
    while jobs.run_due(session, "test", registry):
        pass


def survey_message(session: Session, case_id: int) -> Message:
    """The invitation posted on the case."""
    session.rollback()
    return session.scalars(select(Message).where(
        Message.case_id == case_id, Message.external_id == f"survey:{case_id}")).one()


def token_of(text: str) -> str:
    """The survey token in an invitation's text."""
    found = LINK.search(text)
    assert found, f"no survey link in {text!r}"
    return found.group(1)


@pytest.fixture
def sink() -> Iterator[Sink]:
    """A real SMTP server (aiosmtpd) that keeps what it receives."""
    box = Sink(free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()
