"""The SMTP (or LMTP) listener: aiosmtpd in front of ``intake.service``.

Each mail is prepared (parsed, its bytes stored) in a worker thread, then registered through
a group commit: the mails waiting at that moment share one transaction (their senders found
and their new cases opened in bulk, ``service.register_many``), and if that
transaction fails for any reason each of them is registered alone, so every mail still
gets its own answer (250 once it is committed, 451 when it could not be kept)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ombud.config import Settings
from ombud.db import GroupCommit, group_commit
from ombud.intake import service
from ombud.intake.schemas import Received
from ombud.intake.service import Envelope, IntakeConfig, Prepared
from ombud.storage.blobs import BlobStore

log = logging.getLogger(__name__)
Ingest = Callable[[bytes, Envelope], Received]


class MailHandler:
    """aiosmtpd handler: each accepted DATA is registered before the 250 goes back."""

    def __init__(self, ingest: Ingest, *, max_bytes: int, transport: str = "smtp",
                 workers: int = 16) -> None:
        self.ingest, self.max_bytes, self.transport = ingest, max_bytes, transport
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ombud-mail")

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        """Register the mail; 552 when too big, 451 when it could not be kept (retry)."""
        data = envelope.original_content or envelope.content or b""
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        recipients = tuple(envelope.rcpt_tos)
        if len(data) > self.max_bytes:
            return self._each("552 5.3.4 Message too big for this system", recipients)
        env = Envelope(mail_from=envelope.mail_from if envelope.mail_from is not None else "",
                       rcpt_to=recipients, transport=self.transport)
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self.executor, self.ingest, data, env)
        except Exception:
            log.exception("mail from %s could not be stored", env.mail_from)
            return self._each("451 4.3.0 Temporary failure storing the message; retry",
                              recipients)
        log.info("mail %s: %s %s", result.mail_id, result.outcome, result.case_reference or "")
        ref = f" {result.case_reference}" if result.case_reference else ""
        return self._each(f"250 2.0.0 OK {result.outcome}{ref}", recipients)

    def _each(self, status: str, recipients: tuple[str, ...]) -> str:
        """LMTP answers once per recipient after DATA; SMTP once."""
        if self.transport != "lmtp":
            return status
        return "\r\n".join([status] * max(1, len(recipients)))

    def close(self) -> None:
        """Wait for the mails being registered, then stop the worker threads."""
        self.executor.shutdown(wait=True)


class MailController(Controller):
    """aiosmtpd's threaded controller speaking SMTP or LMTP; run one ``ombud mail-listener``
    per core on the same port to use them all."""

    def __init__(self, handler: MailHandler, *, lmtp: bool = False, **kwargs: Any) -> None:
        self.lmtp = lmtp
        super().__init__(handler, **kwargs)

    def factory(self) -> SMTP:
        """The protocol object for one connection."""
        cls = LMTP if self.lmtp else SMTP
        return cls(self.handler, **self.SMTP_kwargs)

    def _create_server(self) -> Any:
        """Listen with SO_REUSEPORT: several listener processes may share one port."""
        return self.loop.create_server(self._factory_invoker, host=self.hostname,
                                       port=self.port, ssl=self.ssl_context, reuse_port=True)

    def stop(self, no_assert: bool = False) -> None:
        """Stop listening, then finish the mails in progress."""
        super().stop(no_assert=no_assert)
        self.handler.close()


def intake_config(settings: Settings, store: BlobStore) -> IntakeConfig:
    """Intake settings of a deployment: our host is the domain we send mail from."""
    domain = settings.mail_from.rsplit("@", 1)[-1].lower()
    return IntakeConfig(store=store, max_attachment_bytes=settings.max_attachment_bytes,
                        our_hosts=(domain,))


_Item = tuple[Prepared, IntakeConfig]


def _register_one(session: Session, item: _Item) -> Received:
    return service.register(session, *item)


def _mail_group(engine: Engine) -> GroupCommit[_Item, Received]:
    return GroupCommit(engine, service.register_many, _register_one)


def make_ingest(sessions: sessionmaker[Session], cfg: IntakeConfig) -> Ingest:
    """A thread-safe ``receive``: the calling thread prepares the mail, then waits for the
    process's group commit to register it."""
    engine = sessions.kw["bind"]
    assert isinstance(engine, Engine)
    group = group_commit(engine, "intake.mail", _mail_group)

    def ingest(raw: bytes, envelope: Envelope) -> Received:
        return group.enqueue((service.prepare(raw, envelope, cfg), cfg)).result()

    return ingest


def start_listener(
    settings: Settings,
    sessions: sessionmaker[Session],
    store: BlobStore,
    *,
    lmtp: bool = False,
    host: str = "127.0.0.1",
    port: int | None = None,
) -> MailController:
    """Start the listener on ``host:port`` (default ``settings.smtp_listen_port``)."""
    handler = MailHandler(make_ingest(sessions, intake_config(settings, store)),
                          max_bytes=settings.mail_max_bytes,
                          transport="lmtp" if lmtp else "smtp")
    controller = MailController(
        handler, lmtp=lmtp, hostname=host, port=settings.smtp_listen_port if port is None else port,
        data_size_limit=settings.mail_max_bytes, ident="Ombud intake",
    )
    controller.start()
    return controller
