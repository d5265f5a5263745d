"""Intake fixtures: a real SMTP listener on a free port, a real SMTP sink for outbound mail,
and helpers that speak SMTP with smtplib."""

from __future__ import annotations

import re
import smtplib
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ombud.cases.tables import Case
from ombud.config import Settings
from ombud.intake.email.listener import MailController, intake_config, start_listener
from ombud.intake.service import IntakeConfig
from ombud.intake.tables import InboundMail
from ombud.storage.blobs import LocalBlobStore

FIXTURES = Path(__file__).parent / "fixtures"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def self_signed(folder: Path, subject: str, alt_name: str | None = None) -> tuple[Path, Path]:
    """A self-signed certificate for ``subject`` (made by openssl) in ``folder``, with
    ``alt_name`` as its subjectAltName when given: (cert.pem, key.pem)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    san = ["-addext", f"subjectAltName={alt_name}"] if alt_name else []
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", subject, *san, "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def fixture(name: str) -> bytes:
    """The bytes of a captured mail in ``fixtures/``."""
    return (FIXTURES / name).read_bytes()


def mail(subject: str = "My deposit of 50 USDT is missing", body: str = "It never arrived.",
         sender: str = "carol@example.com", **headers: str) -> bytes:
    """A plain, valid mail."""
    msg = EmailMessage()
    msg["From"] = f"Carol <{sender}>"
    msg["To"] = "complaints@ombud.local"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="example.com")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return bytes(msg)


def send(port: int, raw: bytes, *, mail_from: str = "carol@example.com",
         to: tuple[str, ...] = ("complaints@ombud.local",)) -> tuple[int, str]:
    """Speak SMTP to the listener; the server's answer to DATA."""
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        smtp.ehlo()
        code, msg = smtp.mail(mail_from)
        assert code == 250, msg
        for rcpt in to:
            smtp.rcpt(rcpt)
        code, msg = smtp.data(re.sub(rb"\r?\n", b"\r\n", raw))  # SMTP lines end in CRLF
        return code, msg.decode()


def count(session: Session, column: Any, *where: Any) -> int:
    """Rows matching ``where`` (a fresh read)."""
    session.rollback()
    return int(session.scalar(select(func.count(column)).where(*where)) or 0)


@pytest.fixture
def store(settings: Settings) -> LocalBlobStore:
    """The blob store of the test deployment."""
    return LocalBlobStore(settings.blob_dir)


@pytest.fixture
def cfg(settings: Settings, store: LocalBlobStore) -> IntakeConfig:
    """Intake settings of the test deployment."""
    return intake_config(settings, store)


@pytest.fixture
def listener(settings: Settings, sessions: sessionmaker[Session],
             store: LocalBlobStore) -> Iterator[MailController]:
    """A real SMTP listener on 127.0.0.1."""
    controller = start_listener(settings, sessions, store, port=free_port())
    yield controller
    controller.stop()


def registered(session: Session) -> int:
    """Cases opened from mail so far."""
    return count(session, Case.id, Case.channel == "email")


def assert_valid_mail_next(port: int, session: Session) -> None:
    """Nothing lost: a valid mail sent right after is registered as a case."""
    before = registered(session)
    code, text = send(port, mail(subject="Valid mail after a bad one"))
    assert code == 250, text
    assert registered(session) == before + 1
    assert count(session, InboundMail.id, InboundMail.subject == "Valid mail after a bad one") >= 1


@dataclass
class Sink:
    """A real SMTP server that keeps what it receives."""

    port: int
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos),
                              envelope.original_content))
        return "250 OK"


@pytest.fixture
def sink() -> Iterator[Sink]:
    """An aiosmtpd receiver for outbound mail."""
    box = Sink(free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()
