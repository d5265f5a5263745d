"""Mail out, end to end against a real aiosmtpd receiver: the acknowledgement of an email
case answers the customer's mail on its thread; no header injection from names."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases.tables import Case, Message
from ombud.common.errors import Invalid
from ombud.config import Settings
from ombud.intake.email import outbound
from ombud.intake.email.listener import MailController
from ombud.jobs import service as jobs
from ombud.notify.senders import SmtpSender
from ombud.worker import handlers

from .conftest import Sink, mail, registered, send


def _run_jobs(session: Session, settings: Settings, sink: Sink) -> None:
    jobs.run_due(session, "test", handlers(settings, SmtpSender("127.0.0.1", sink.port)))


def _parsed(raw: bytes) -> EmailMessage:
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_acknowledgement_answers_the_mail_and_a_reply_threads_back(
        listener: MailController, session: Session, settings: Settings, sink: Sink) -> None:
    first = mail(subject="Deposit missing 50 USDT")
    customer_id = _parsed(first)["Message-ID"]
    send(listener.port, first)
    _run_jobs(session, settings, sink)
    assert len(sink.received) == 1
    envelope_from, rcpts, raw = sink.received[0]
    assert rcpts == ["carol@example.com"] and envelope_from == settings.mail_from
    ack = _parsed(raw)
    case = session.scalars(select(Case)).one()
    assert f"[{case.reference}]" in ack["Subject"] or case.reference in ack["Subject"]
    assert ack["In-Reply-To"] == customer_id
    assert customer_id in ack["References"]
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack.get_content_charset() == "utf-8"
    assert case.reference in ack.get_content()
    # the customer answers the acknowledgement: it lands on the same case
    reply = mail(subject=f"Re: {ack['Subject']}", body="Here is the txid.",
                 In_Reply_To=ack["Message-ID"], References=f"{customer_id} {ack['Message-ID']}")
    send(listener.port, reply)
    assert registered(session) == 1
    session.rollback()
    inbound = session.scalars(select(Message.body).where(
        Message.case_id == case.id, Message.direction == "in").order_by(Message.id)).all()
    assert inbound[-1] == "Here is the txid."


def test_crlf_in_display_name_cannot_inject_headers(
        session: Session, settings: Settings, sink: Sink) -> None:
    msg = outbound.compose(
        sender=settings.mail_from, to="carol@example.com",
        to_name="Carol\r\nBcc: victim@evil.example\r\nX-Injected: yes", subject="Hi\r\nBcc: x@y",
        body="Body", reference="C-2026-000001", message_id="<C-2026-000001.a@ombud.local>",
        in_reply_to="<orig@example.com>", references=["<orig@example.com>", "bad id\r\n"])
    SmtpSender("127.0.0.1", sink.port).send(msg)
    _from, rcpts, raw = sink.received[0]
    assert rcpts == ["carol@example.com"]
    got = _parsed(raw)
    assert got["Bcc"] is None and got["X-Injected"] is None
    assert "Bcc: victim@evil.example" in got["To"]  # flattened into the display name, inert
    assert got["Subject"] == "Hi Bcc: x@y [C-2026-000001]"
    assert got["References"] == "<orig@example.com>"


def test_address_with_line_break_is_refused() -> None:
    with pytest.raises(Invalid):
        outbound.address("Carol", "carol@example.com\r\nBcc: x@y")


def test_subject_carries_reference_once() -> None:
    assert outbound.case_subject("Re: refund [C-2026-000007]", "C-2026-000007") == \
        "Re: refund [C-2026-000007]"
    assert outbound.case_subject("退款进度", "C-2026-000007") == "退款进度 [C-2026-000007]"


def test_non_case_mail_goes_out_as_notify_sends_it(
        session: Session, settings: Settings, sink: Sink) -> None:
    jobs.enqueue(session, "notify.email", {"to": "x@example.com", "subject": "Your sign-in link",
                                           "body": "link", "message_id": "<m1@ombud.local>"}, "k")
    session.commit()
    _run_jobs(session, settings, sink)
    got = _parsed(sink.received[0][2])
    assert got["Subject"] == "Your sign-in link" and got["In-Reply-To"] is None
