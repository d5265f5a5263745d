"""Mail out, end to end against a real aiosmtpd receiver: the acknowledgement of an email
case answers the customer's mail on its thread; no header injection from names."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from fastapi.testclient import TestClient
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
from tests.conftest import World

from .conftest import Sink, free_port, mail, registered, self_signed, send


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


def test_a_staff_reply_to_an_email_case_is_mailed_on_its_thread(
        listener: MailController, session: Session, settings: Settings, sink: Sink,
        client: TestClient, world: World) -> None:
    first = mail(subject="Deposit missing 50 USDT")
    send(listener.port, first)
    case = session.scalars(select(Case)).one()
    r = client.post(f"/api/v1/cases/{case.reference}/messages", headers=world.headers("admin"),
                    json={"body": "We found your deposit; it is credited now."})
    assert r.status_code == 201, r.text
    _run_jobs(session, settings, sink)
    _run_jobs(session, settings, sink)  # notify.customer queues the mail itself
    replies = [_parsed(raw) for _f, _r, raw in sink.received
               if b"credited now" in raw]
    assert len(replies) == 1 and sink.received[-1][1] == ["carol@example.com"]
    got = replies[0]
    assert got["Subject"] == f"Re: {case.summary} [{case.reference}]"
    assert got["In-Reply-To"] == _parsed(first)["Message-ID"]
    assert "We found your deposit" in got.get_content()


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


def _self_signed(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context with a self-signed certificate for 127.0.0.1, and the
    certificate's file."""
    cert, key = self_signed(folder, "/CN=127.0.0.1", "IP:127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, cert


@pytest.fixture
def tls_sink(tmp_path: Path) -> Iterator[tuple[Sink, Path]]:
    """An aiosmtpd receiver that requires STARTTLS, with a self-signed certificate for
    127.0.0.1; and that certificate."""
    context, cert = _self_signed(tmp_path)
    box = Sink(free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port, tls_context=context,
                            require_starttls=True)
    controller.start()
    yield box, cert
    controller.stop()


def test_starttls_checks_the_server_certificate(tls_sink: tuple[Sink, Path]) -> None:
    box, cert = tls_sink
    msg = outbound.compose(
        sender="complaints@ombud.local", to="carol@example.com", to_name="Carol",
        subject="Your case", body="Over TLS", reference="C-2026-000001",
        message_id="<C-2026-000001.t@ombud.local>", in_reply_to=None, references=[])
    with pytest.raises(ssl.SSLCertVerificationError):  # not signed by a trusted CA
        SmtpSender("127.0.0.1", box.port, starttls=True).send(msg)
    assert box.received == []
    trusted = ssl.create_default_context(cafile=str(cert))
    SmtpSender("127.0.0.1", box.port, starttls=True, tls=trusted).send(msg)
    [(_from, rcpts, raw)] = box.received
    assert rcpts == ["carol@example.com"] and b"Over TLS" in raw


def test_smtp_auth_signs_in_over_starttls(tmp_path: Path) -> None:
    context, cert = _self_signed(tmp_path)
    signed_in: list[bytes] = []

    def check(_server: object, _session: object, _envelope: object, _mechanism: str,
              data: LoginPassword) -> AuthResult:
        ok = (data.login, data.password) == (b"ombud", b"s3cret")
        if ok:
            signed_in.append(data.login)
        return AuthResult(success=ok, handled=False)

    box = Sink(free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port, tls_context=context,
                            require_starttls=True, authenticator=check, auth_required=True)
    controller.start()
    try:
        msg = outbound.compose(
            sender="complaints@ombud.local", to="carol@example.com", to_name="Carol",
            subject="Your case", body="Signed in", reference="C-2026-000001",
            message_id="<C-2026-000001.a@ombud.local>", in_reply_to=None, references=[])
        trusted = ssl.create_default_context(cafile=str(cert))
        with pytest.raises(smtplib.SMTPAuthenticationError):
            SmtpSender("127.0.0.1", box.port, starttls=True, tls=trusted, user="ombud",
                       password="wrong").send(msg)
        assert box.received == []
        SmtpSender("127.0.0.1", box.port, starttls=True, tls=trusted, user="ombud",
                   password="s3cret").send(msg)
    finally:
        controller.stop()
    assert signed_in == [b"ombud"] and len(box.received) == 1


def test_smtp_credentials_are_never_sent_without_starttls() -> None:
    with pytest.raises(Invalid, match="only sent over STARTTLS"):
        SmtpSender("smtp.example.com", 587, user="ombud", password="s3cret")


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
