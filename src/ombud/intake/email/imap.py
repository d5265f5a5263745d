"""IMAP polling of a complaints mailbox that an exchange keeps (``ombud mail-poll``).

The mailbox is only read (EXAMINE, ``BODY.PEEK``): Ombud changes nothing on the server.
How far it has been read is kept in the database per mailbox (``ImapCursor``: UIDVALIDITY
and the last UID stored). Each mail is registered, then the cursor moves past it, so a crash
mid-batch leaves the rest for the next poll; a mail registered just before a crash is
fetched again and dropped as a duplicate by its Message-ID (or, without one, by its bytes,
which IMAP returns unchanged), so each mail becomes a case once. A mail that cannot be
stored (the database is down) stops the batch there, so that none after it is skipped.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from ombud.common.clock import utcnow
from ombud.common.errors import Invalid
from ombud.config import Settings
from ombud.db import insert_ignore, table_of, tx
from ombud.intake.email.listener import Ingest, intake_config, make_ingest
from ombud.intake.service import Envelope
from ombud.intake.tables import ImapCursor
from ombud.storage.blobs import BlobStore

log = logging.getLogger(__name__)
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
BATCH = 200  # mails per poll


class Mailbox(Protocol):
    """The part of ``imaplib.IMAP4`` polling uses."""

    def select(self, mailbox: str = ..., readonly: bool = ...) -> tuple[str, list[Any]]:
        """Open a mailbox."""
        ...

    def response(self, code: str) -> tuple[str, list[Any]]:
        """An untagged response of the last command (e.g. UIDVALIDITY)."""
        ...

    def uid(self, command: str, *args: Any) -> tuple[str, list[Any]]:
        """Run a UID command."""
        ...

    def logout(self) -> tuple[str, list[Any]]:
        """Say goodbye and close the connection."""
        ...


@dataclass(frozen=True)
class Account:
    """One mailbox to poll."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    ssl: bool = True
    mailbox: str = "INBOX"

    @property
    def key(self) -> str:
        """The mailbox's name in the cursor table."""
        return f"{self.user}@{self.host}:{self.port}/{self.mailbox}"[:255]


def account_of(settings: Settings) -> Account | None:
    """The mailbox of ``OMBUD_IMAP_*``, or None when IMAP polling is not configured."""
    if not settings.imap_host:
        return None
    return Account(settings.imap_host, settings.imap_port, settings.imap_user,
                   settings.imap_password, settings.imap_ssl, settings.imap_mailbox)


@dataclass(frozen=True)
class PollResult:
    """What one poll did: mails fetched, registered (new, follow-up, duplicate...), held
    unread in quarantine as too big, and whether it stopped at a mail it could not store."""

    fetched: int
    registered: int
    held: int = 0
    stopped: bool = False


def connect(account: Account, *, timeout: float = 60.0) -> imaplib.IMAP4:
    """A logged-in connection: IMAPS with the system's trusted CAs and host-name check, or
    plain IMAP when ``account.ssl`` is off."""
    client: imaplib.IMAP4
    if account.ssl:
        client = imaplib.IMAP4_SSL(account.host, account.port, timeout=timeout,
                                   ssl_context=ssl.create_default_context())
    else:
        client = imaplib.IMAP4(account.host, account.port, timeout=timeout)
    client.login(account.user, account.password)
    return client


class Cursors:
    """The read position of each mailbox, in the database."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def get(self, key: str) -> tuple[int, int]:
        """(UIDVALIDITY, last stored UID) of mailbox ``key``; (0, 0) before its first mail."""
        with self._sessions() as session:
            row = session.execute(select(ImapCursor.uid_validity, ImapCursor.last_uid)
                                  .where(ImapCursor.account == key)).first()
            return (int(row[0]), int(row[1])) if row else (0, 0)

    def advance(self, key: str, validity: int, uid: int) -> None:
        """Every mail of ``key`` up to ``uid`` is stored (never moves back within one
        UIDVALIDITY, so two pollers at once only fetch some mails twice)."""
        now = utcnow()
        with self._sessions() as session, tx(session):
            insert_ignore(session, table_of(ImapCursor), {
                "account": key, "uid_validity": validity, "last_uid": 0, "updated_at": now})
            session.execute(update(ImapCursor).where(
                ImapCursor.account == key,
                or_(ImapCursor.uid_validity != validity, ImapCursor.last_uid < uid),
            ).values(uid_validity=validity, last_uid=uid, updated_at=now))


def _ok(status: str, data: list[Any], what: str) -> list[Any]:
    if status != "OK":
        raise imaplib.IMAP4.error(f"{what} failed: {data!r}")
    return data


def _literal(parts: list[Any]) -> bytes | None:
    return next((p[1] for p in parts if isinstance(p, tuple) and len(p) > 1
                 and isinstance(p[1], bytes)), None)


def _size(client: Mailbox, uid: int) -> int:
    data = _ok(*client.uid("FETCH", str(uid), "(RFC822.SIZE)"), what="UID FETCH SIZE")
    found = next((m for p in data if isinstance(p, bytes) and (m := _SIZE.search(p))), None)
    return int(found.group(1)) if found else 0


def poll(client: Mailbox, ingest: Ingest, cursors: Cursors, key: str, *,
         mailbox: str = "INBOX", limit: int = BATCH, max_bytes: int = 30 * 1024 * 1024
         ) -> PollResult:
    """Register up to ``limit`` mails that arrived after the cursor of ``key``, oldest first.

    A mail larger than ``max_bytes`` is not downloaded: its header is held in quarantine
    with the reason, visible to staff (the whole mail stays on the server).
    """
    _ok(*client.select(mailbox, readonly=True), what=f"EXAMINE {mailbox}")
    _code, answer = client.response("UIDVALIDITY")
    if not answer or answer[-1] is None:
        raise imaplib.IMAP4.error(f"{mailbox}: the server named no UIDVALIDITY")
    validity = int(answer[-1])
    known, last = cursors.get(key)
    if known != validity:
        if known:
            log.warning("IMAP %s: UIDVALIDITY changed from %s to %s; reading it again (what "
                        "was stored before comes back as duplicates)", key, known, validity)
        last = 0
    found = _ok(*client.uid("SEARCH", "UID", f"{last + 1}:*"), what="UID SEARCH")
    # "n:*" also matches the highest UID when it is below n: keep only the new ones
    uids = sorted(u for u in map(int, (found[0] or b"").split()) if u > last)[:limit]
    registered = held = 0
    for uid in uids:
        envelope = Envelope(mail_from=None, transport="imap")
        size = _size(client, uid)
        part = "HEADER" if size > max_bytes else ""
        raw = _literal(_ok(*client.uid("FETCH", str(uid), f"(BODY.PEEK[{part}])"),
                           what="UID FETCH"))
        if raw is None:
            raise imaplib.IMAP4.error(f"UID FETCH {uid}: no message in the answer")
        if part:
            envelope = Envelope(mail_from=None, transport="imap", hold=(
                f"too big to fetch: {size} bytes, the limit is {max_bytes}; only its header "
                f"was read, the whole mail is UID {uid} in {mailbox}"))
        try:
            ingest(raw, envelope)
        except Exception:
            log.exception("IMAP %s: UID %s could not be stored; the next poll starts there",
                          key, uid)
            return PollResult(len(uids), registered, held, stopped=True)
        cursors.advance(key, validity, uid)
        registered, held = registered + (not part), held + bool(part)
    return PollResult(len(uids), registered, held)


def poll_forever(
    connect_fn: Callable[[], Mailbox], ingest: Ingest, cursors: Cursors, key: str,
    stop: threading.Event, *, every_seconds: float = 60.0, mailbox: str = "INBOX",
    max_bytes: int = 30 * 1024 * 1024,
) -> None:
    """Poll until ``stop`` is set (again at once after a full batch), reconnecting after
    an error."""
    while not stop.is_set():
        client: Mailbox | None = None
        try:
            client = connect_fn()
            while not stop.is_set():
                result = poll(client, ingest, cursors, key, mailbox=mailbox,
                              max_bytes=max_bytes)
                if result.fetched:
                    log.info("IMAP %s: %s", key, result)
                if result.stopped or result.fetched < BATCH:
                    stop.wait(every_seconds)
        except (OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort):
            log.exception("IMAP %s: polling failed; reconnecting", key)
            stop.wait(every_seconds)
        finally:
            if client is not None:
                _logout(client)


def _logout(client: Mailbox) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort):
        client.logout()  # fails only when the connection is gone already


def run(settings: Settings, sessions: sessionmaker[Session], store: BlobStore,
        stop: threading.Event, *, once: bool = False) -> PollResult | None:
    """``ombud mail-poll``: poll the mailbox of ``OMBUD_IMAP_*`` until ``stop`` is set, or
    (``once``) one batch, whose result is returned."""
    account = account_of(settings)
    if account is None:
        raise Invalid("IMAP polling is not configured: set OMBUD_IMAP_HOST, OMBUD_IMAP_USER "
                      "and OMBUD_IMAP_PASSWORD", pointer="imap_host")
    ingest = make_ingest(sessions, intake_config(settings, store))
    cursors = Cursors(sessions)
    if once:
        client = connect(account)
        try:
            return poll(client, ingest, cursors, account.key, mailbox=account.mailbox,
                        max_bytes=settings.mail_max_bytes)
        finally:
            _logout(client)
    poll_forever(lambda: connect(account), ingest, cursors, account.key, stop,
                 every_seconds=settings.imap_poll_seconds, mailbox=account.mailbox,
                 max_bytes=settings.mail_max_bytes)
    return None
