"""Job handlers of social intake: sends through each platform's API, and the
acknowledgement of a new case on the channel it came from."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases import handlers as case_handlers
from ombud.cases import service as cases
from ombud.cases.schemas import MessageIn
from ombud.cases.tables import Message
from ombud.common.clock import as_utc, utcnow
from ombud.config import Settings
from ombud.intake.social import service
from ombud.intake.social.messenger import COMMENT, MessengerClient, OutsideWindow, messaging_type
from ombud.intake.social.model import PlatformClient, SendFailed
from ombud.intake.social.telegram import TelegramClient
from ombud.intake.social.x import XClient
from ombud.security.permissions import SYSTEM

Clients = Mapping[str, Callable[[], PlatformClient]]


def clients(settings: Settings) -> dict[str, Callable[[], PlatformClient]]:
    """A client factory per platform; a platform without credentials refuses to send."""

    def telegram() -> PlatformClient:
        if not settings.telegram_bot_token:
            raise SendFailed("telegram is not configured (OMBUD_TELEGRAM_BOT_TOKEN)")
        return TelegramClient(settings.telegram_api_url, settings.telegram_bot_token)

    def messenger() -> PlatformClient:
        if not settings.messenger_page_token:
            raise SendFailed("messenger is not configured (OMBUD_MESSENGER_PAGE_TOKEN)")
        return MessengerClient(settings.messenger_api_url, settings.messenger_page_token)

    def x() -> PlatformClient:
        if not settings.x_bearer_token:
            raise SendFailed("x is not configured (OMBUD_X_BEARER_TOKEN)")
        return XClient(settings.x_api_url, settings.x_bearer_token)

    return {"telegram": telegram, "messenger": messenger, "x": x}


def _client(factories: Clients, platform: str) -> PlatformClient:
    factory = factories.get(platform)
    if factory is None:
        raise SendFailed(f"no client for platform {platform!r}")
    return factory()


def _send_private(session: Session, client: PlatformClient, platform: str, to: str, text: str,
                  case_id: int | None, *, human: bool, what: str) -> None:
    """Send privately; on Messenger inside Meta's window as it stands now (see
    ``messenger.messaging_type``). A message the window no longer allows is not retried: an
    internal note on the case tells staff that ``what`` was not delivered, and why."""
    if not isinstance(client, MessengerClient) or to.startswith(COMMENT):
        client.send_private(to, text)
        return
    last = service.last_inbound(session, platform, to)
    try:
        kind = messaging_type(as_utc(last) if last else utcnow(), utcnow(), human=human)
    except OutsideWindow as exc:
        if case_id is None:
            raise
        reference = cases.get_by_id(session, case_id).reference
        cases.add_message(session, SYSTEM, reference, MessageIn(
            body=f"{what} was not delivered on Messenger: {exc}", visibility="internal"))
        return
    client.send_private(to, text, kind=kind)


def send(factories: Clients, session: Session, payload: dict[str, Any]) -> None:
    """Job ``social.send``: one private message or one public answer (the job key makes
    sure each is queued once). ``human`` marks a staff member's reply (Messenger's
    HUMAN_AGENT tag may carry it after 24 hours); ``what`` names the message for staff."""
    platform = str(payload["platform"])
    client = _client(factories, platform)
    if payload.get("mode") == "public":
        client.send_public(str(payload["to"]), str(payload["text"]))
        return
    case_id = payload.get("case_id")
    human = bool(payload.get("human"))
    what = str(payload.get("what") or ("This reply" if human else "This notice"))
    _send_private(session, client, platform, str(payload["to"]), str(payload["text"]),
                  int(case_id) if case_id is not None else None, human=human, what=what)


def acknowledge(cfg: case_handlers.AckSettings, factories: Clients, session: Session,
                payload: dict[str, Any]) -> None:
    """Job ``social.acknowledge``: make sure the case's acknowledgement is written (in the
    case's language, see ``cases.acknowledge``), then send it privately on the platform."""
    case_id = int(payload["case_id"])
    case_handlers.acknowledge(cfg, session, {"case_id": case_id})
    body = session.scalars(select(Message.body).where(
        Message.case_id == case_id, Message.external_id == f"ack:{case_id}")).one()
    platform = str(payload["platform"])
    _send_private(session, _client(factories, platform), platform, str(payload["to"]), body,
                  case_id, human=False, what="The acknowledgement")
