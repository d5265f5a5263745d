"""IMAP polling for exchanges that keep a complaints mailbox: fetch unseen, register, mark."""

from __future__ import annotations

import imaplib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ombud.intake.email.listener import Ingest
from ombud.intake.service import Envelope

log = logging.getLogger(__name__)


class Mailbox(Protocol):
    """The part of ``imaplib.IMAP4`` polling uses."""

    def select(self, mailbox: str = ..., readonly: bool = ...) -> tuple[str, list[Any]]:
        """Open a mailbox."""
        ...

    def uid(self, command: str, *args: Any) -> tuple[str, list[Any]]:
        """Run a UID command."""
        ...


@dataclass(frozen=True)
class PollResult:
    """What one poll did."""

    fetched: int
    registered: int
    failed: int


def connect(host: str, port: int, user: str, password: str, *, ssl: bool = True) -> imaplib.IMAP4:
    """A logged-in IMAP connection (TLS by default)."""
    client = imaplib.IMAP4_SSL(host, port) if ssl else imaplib.IMAP4(host, port)
    client.login(user, password)
    return client


def poll(
    client: Mailbox, ingest: Ingest, *, mailbox: str = "INBOX", limit: int = 200
) -> PollResult:
    """Register up to ``limit`` unseen mails; each is marked \\Seen only once it is stored,
    so a crash or an error leaves it for the next poll (a re-fetch is a harmless duplicate)."""
    client.select(mailbox)
    status, data = client.uid("SEARCH", "UNSEEN")
    if status != "OK":
        raise imaplib.IMAP4.error(f"UID SEARCH failed: {data!r}")
    uids = (data[0] or b"").split()[:limit]
    registered = failed = 0
    for uid in uids:
        status, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
        raw = next((p[1] for p in parts if isinstance(p, tuple) and len(p) > 1), None)
        if status != "OK" or not isinstance(raw, bytes):
            failed += 1
            continue
        try:
            ingest(raw, Envelope(mail_from=None, transport="imap"))
        except Exception:
            log.exception("IMAP message uid %s could not be stored; left unseen", uid)
            failed += 1
            continue
        client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
        registered += 1
    return PollResult(len(uids), registered, failed)


def poll_forever(
    connect_fn: Callable[[], Mailbox], ingest: Ingest, stop: threading.Event, *,
    every_seconds: float = 30.0, mailbox: str = "INBOX",
) -> None:
    """Poll until ``stop`` is set, reconnecting after an error."""
    while not stop.is_set():
        try:
            client = connect_fn()
            while not stop.is_set():
                poll(client, ingest, mailbox=mailbox)
                stop.wait(every_seconds)
        except (OSError, imaplib.IMAP4.error):
            log.exception("IMAP polling failed; reconnecting")
            stop.wait(every_seconds)
