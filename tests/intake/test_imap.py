"""IMAP polling: unseen mails are registered, then marked seen; a failure leaves them unseen."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ombud.intake.email.imap import poll
from ombud.intake.email.listener import make_ingest
from ombud.intake.service import Envelope, IntakeConfig
from ombud.intake.tables import InboundMail

from .conftest import count, mail, registered


class FakeMailbox:
    """Answers the UID commands polling sends, as an IMAP server would."""

    def __init__(self, messages: dict[bytes, bytes]) -> None:
        self.messages, self.seen = messages, set[bytes]()

    def select(self, mailbox: str = "INBOX", readonly: bool = False) -> tuple[str, list[Any]]:
        return "OK", [str(len(self.messages)).encode()]

    def uid(self, command: str, *args: Any) -> tuple[str, list[Any]]:
        if command == "SEARCH":
            return "OK", [b" ".join(u for u in self.messages if u not in self.seen)]
        if command == "FETCH":
            uid = args[0]
            return "OK", [(uid + b" (UID " + uid + b" BODY[] {n}", self.messages[uid]), b")"]
        if command == "STORE":
            self.seen.add(args[0])
            return "OK", []
        raise AssertionError(command)


def test_poll_registers_unseen_once(sessions: sessionmaker[Session], session: Session,
                                    cfg: IntakeConfig) -> None:
    box = FakeMailbox({b"1": mail(subject="One"), b"2": mail(subject="Two")})
    result = poll(box, make_ingest(sessions, cfg))
    assert (result.fetched, result.registered, result.failed) == (2, 2, 0)
    assert box.seen == {b"1", b"2"}
    assert registered(session) == 2
    assert poll(box, make_ingest(sessions, cfg)).fetched == 0
    assert count(session, InboundMail.id, InboundMail.transport == "imap") == 2


def test_failure_leaves_mail_unseen(sessions: sessionmaker[Session], cfg: IntakeConfig) -> None:
    box = FakeMailbox({b"7": mail()})

    def broken(raw: bytes, envelope: Envelope) -> Any:
        raise OSError("database down")

    assert poll(box, broken).failed == 1
    assert box.seen == set()
    assert poll(box, make_ingest(sessions, cfg)).registered == 1
