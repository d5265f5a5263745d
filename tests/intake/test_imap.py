"""IMAP polling against a real Dovecot: each mail becomes a case once, the mailbox is left as
it was, a crash mid-batch loses and doubles nothing, a new UIDVALIDITY is read again without
duplicates, a mail too big is held with its header, TLS certificates are checked, and
``ombud mail-poll --once`` runs it from the settings."""

from __future__ import annotations

import dataclasses
import imaplib
import itertools
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from ombud.cli import app
from ombud.config import Settings
from ombud.intake.email.imap import Account, Cursors, connect, poll
from ombud.intake.email.listener import make_ingest
from ombud.intake.service import Envelope, IntakeConfig
from ombud.intake.tables import InboundMail, Quarantine
from ombud.intake.tables import InboundMail as MailRow

from .conftest import count, mail, registered
from .dovecot import PASSWORD, USER, Dovecot, running

pytestmark = pytest.mark.imap
KEY = "complaints@127.0.0.1/INBOX"


_USERS = itertools.count()


@pytest.fixture(scope="module")
def _server() -> Iterator[Dovecot]:
    with running() as server:
        yield server


@pytest.fixture
def dovecot(_server: Dovecot) -> Dovecot:
    """The Dovecot of this module, as a user (with mailboxes) of this test's own."""
    return dataclasses.replace(_server, user=f"{USER}{next(_USERS)}")


def account(server: Dovecot, mailbox: str = "INBOX", **changes: Any) -> Account:
    return Account(**{"host": "127.0.0.1", "port": server.port, "user": server.user,
                      "password": PASSWORD, "ssl": False, "mailbox": mailbox, **changes})


def poll_once(server: Dovecot, sessions: sessionmaker[Session], cfg: IntakeConfig,
              mailbox: str = "INBOX", ingest: Any = None, cursors: Cursors | None = None,
              **kw: Any) -> Any:
    client = connect(account(server, mailbox))
    try:
        return poll(client, ingest or make_ingest(sessions, cfg), cursors or Cursors(sessions),
                    f"{KEY}/{mailbox}", mailbox=mailbox, **kw)
    finally:
        client.logout()


def no_message_id(subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Dave <dave@example.com>", "c@ombud.local", subject
    msg.set_content("Sent by a script that sets no Message-ID.")
    return bytes(msg)


def flags(server: Dovecot) -> list[bytes]:
    client = server.client()
    try:
        client.select("INBOX", readonly=True)
        return client.uid("FETCH", "1:*", "(FLAGS)")[1]
    finally:
        client.logout()


def test_each_mail_becomes_a_case_once_and_the_mailbox_is_left_as_it_was(
        dovecot: Dovecot, sessions: sessionmaker[Session], session: Session,
        cfg: IntakeConfig) -> None:
    dovecot.append(mail(subject="Deposit 1 missing", sender="a@example.com"))
    dovecot.append(mail(subject="Deposit 2 missing", sender="b@example.com"))
    dovecot.append(no_message_id("Deposit 3 missing"))
    before = flags(dovecot)
    result = poll_once(dovecot, sessions, cfg)
    assert (result.fetched, result.registered, result.stopped) == (3, 3, False)
    assert registered(session) == 3
    assert count(session, InboundMail.id, InboundMail.transport == "imap") == 3
    assert flags(dovecot) == before and b"\\Seen" not in b"".join(before)
    assert poll_once(dovecot, sessions, cfg).fetched == 0
    dovecot.append(mail(subject="Deposit 4 missing", sender="d@example.com"))
    assert poll_once(dovecot, sessions, cfg).registered == 1
    assert registered(session) == 4


class Killed(BaseException):
    """The process dies here (nothing in ``poll`` may catch it)."""


def test_a_crash_mid_batch_loses_nothing_and_doubles_nothing(
        dovecot: Dovecot, sessions: sessionmaker[Session], session: Session,
        cfg: IntakeConfig) -> None:
    for i in range(5):
        raw = no_message_id(f"Case {i}") if i == 1 else mail(subject=f"Case {i}",
                                                              sender=f"c{i}@example.com")
        dovecot.append(raw)
    ingest = make_ingest(sessions, cfg)

    class DiesAfterStoringUid2(Cursors):
        def advance(self, key: str, validity: int, uid: int) -> None:
            if uid == 2:
                raise Killed  # mail 2 is registered, the cursor still says 1
            super().advance(key, validity, uid)

    with pytest.raises(Killed):
        poll_once(dovecot, sessions, cfg, cursors=DiesAfterStoringUid2(sessions))
    assert registered(session) == 2
    calls = []

    def dies_at_the_fourth(raw: bytes, envelope: Envelope) -> Any:
        calls.append(raw)
        if len(calls) == 3:
            raise Killed
        return ingest(raw, envelope)

    with pytest.raises(Killed):  # mail 2 again (a duplicate), mail 3, then death
        poll_once(dovecot, sessions, cfg, ingest=dies_at_the_fourth)
    assert registered(session) == 3
    result = poll_once(dovecot, sessions, cfg)
    assert (result.fetched, result.registered) == (2, 2)
    assert registered(session) == 5
    assert count(session, MailRow.id) == 5 and count(session, Quarantine.id) == 0
    assert poll_once(dovecot, sessions, cfg).fetched == 0


def test_a_mail_that_cannot_be_stored_stops_the_batch_there(
        dovecot: Dovecot, sessions: sessionmaker[Session], session: Session,
        cfg: IntakeConfig) -> None:
    for i in range(3):
        dovecot.append(mail(subject=f"Case {i}", sender=f"c{i}@example.com"))
    ingest = make_ingest(sessions, cfg)

    def database_down_for_the_second(raw: bytes, envelope: Envelope) -> Any:
        if b"Case 1" in raw:
            raise OSError("database down")
        return ingest(raw, envelope)

    result = poll_once(dovecot, sessions, cfg, ingest=database_down_for_the_second)
    assert (result.fetched, result.registered, result.stopped) == (3, 1, True)
    assert registered(session) == 1  # mail 3 was not taken past the one that failed
    result = poll_once(dovecot, sessions, cfg)
    assert (result.fetched, result.registered, result.stopped) == (2, 2, False)
    assert registered(session) == 3


def test_a_new_uidvalidity_is_read_again_without_duplicates(
        dovecot: Dovecot, sessions: sessionmaker[Session], session: Session,
        cfg: IntakeConfig) -> None:
    first, second = mail(subject="One", sender="a@example.com"), mail(subject="Two",
                                                                      sender="b@example.com")
    client = dovecot.client()
    client.create("Complaints")
    client.logout()
    dovecot.append(first, "Complaints")
    dovecot.append(second, "Complaints")
    assert poll_once(dovecot, sessions, cfg, "Complaints").registered == 2
    client = dovecot.client()
    client.delete("Complaints")  # e.g. the mailbox was restored from a backup
    client.create("Complaints")
    client.logout()
    for raw in (first, second, mail(subject="Three", sender="c@example.com")):
        dovecot.append(raw, "Complaints")
    result = poll_once(dovecot, sessions, cfg, "Complaints")
    assert (result.fetched, result.registered) == (3, 3)
    assert registered(session) == 3 and count(session, MailRow.id) == 3


def test_a_mail_too_big_is_held_in_quarantine_with_its_header(
        dovecot: Dovecot, sessions: sessionmaker[Session], session: Session,
        cfg: IntakeConfig) -> None:
    dovecot.append(mail(subject="Huge scan attached", body="x" * 50_000))
    dovecot.append(mail(subject="Small one", sender="b@example.com"))
    result = poll_once(dovecot, sessions, cfg, max_bytes=20_000)
    assert (result.fetched, result.registered, result.held) == (2, 1, 1)
    held = session.scalars(select(Quarantine)).one()
    assert held.reason.startswith("too big to fetch") and "UID 1 in INBOX" in held.reason
    row = session.get(MailRow, held.mail_id)
    assert row is not None and row.subject == "Huge scan attached" and row.size < 20_000
    assert registered(session) == 1


def test_imaps_checks_the_certificate_and_a_wrong_password_is_refused(dovecot: Dovecot) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):  # self-signed: not trusted
        connect(account(dovecot, port=dovecot.tls_port, ssl=True))
    with pytest.raises(imaplib.IMAP4.error):
        connect(account(dovecot, password="wrong"))


def test_mail_poll_command_polls_the_configured_mailbox(
        dovecot: Dovecot, settings: Settings, session: Session) -> None:
    dovecot.append(mail(subject="Withdrawal stuck 2 BTC"))
    env = {"OMBUD_DATABASE_URL": settings.database_url, "OMBUD_DATA_DIR": str(settings.data_dir),
           "OMBUD_IMAP_HOST": "127.0.0.1", "OMBUD_IMAP_PORT": str(dovecot.port),
           "OMBUD_IMAP_SSL": "false", "OMBUD_IMAP_USER": dovecot.user,
           "OMBUD_IMAP_PASSWORD": PASSWORD}
    runner = CliRunner()
    result = runner.invoke(app, ["mail-poll", "--once"], env=env)
    assert result.exit_code == 0, result.output
    assert "fetched 1, registered 1" in result.output
    assert registered(session) == 1
    again = runner.invoke(app, ["mail-poll", "--once"], env=env)
    assert "fetched 0" in again.output and registered(session) == 1
    unset = runner.invoke(app, ["mail-poll", "--once"], env={**env, "OMBUD_IMAP_HOST": ""})
    assert unset.exit_code == 2 and "OMBUD_IMAP_HOST" in unset.output
