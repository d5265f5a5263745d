"""Job handlers of social intake: sends through each platform's API, and the
acknowledgement of a new case on the channel it came from."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases import handlers as case_handlers
from ombud.cases.tables import Message
from ombud.config import Settings
from ombud.intake.social.messenger import MessengerClient
from ombud.intake.social.model import PlatformClient, SendFailed
from ombud.intake.social.telegram import TelegramClient
from ombud.intake.social.x import XClient

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


def send(factories: Clients, _session: Session, payload: dict[str, Any]) -> None:
    """Job ``social.send``: one private message or one public answer (the job key makes
    sure each is queued once)."""
    client = _client(factories, str(payload["platform"]))
    if payload.get("mode") == "public":
        client.send_public(str(payload["to"]), str(payload["text"]))
    else:
        client.send_private(str(payload["to"]), str(payload["text"]))


def acknowledge(cfg: case_handlers.AckSettings, factories: Clients, session: Session,
                payload: dict[str, Any]) -> None:
    """Job ``social.acknowledge``: make sure the case's acknowledgement is written (in the
    case's language, see ``cases.acknowledge``), then send it privately on the platform."""
    case_id = int(payload["case_id"])
    case_handlers.acknowledge(cfg, session, {"case_id": case_id})
    body = session.scalars(select(Message.body).where(
        Message.case_id == case_id, Message.external_id == f"ack:{case_id}")).one()
    _client(factories, str(payload["platform"])).send_private(str(payload["to"]), body)
