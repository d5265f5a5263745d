"""Webhooks of the social platforms: Telegram, Facebook Messenger, X (Account Activity).

Each request is verified exactly as its platform documents it before its body is even
parsed; a forged one is answered 403 and leaves nothing but a log line. A verified update
goes to ``intake.social.service.receive``, which refuses a replay the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ombud.config import Settings
from ombud.intake.social import messenger, service, telegram, x
from ombud.intake.social.model import Inbound, Refused
from ombud.web.deps import db, settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks", include_in_schema=False)

DB = Annotated[Session, Depends(db)]
Cfg = Annotated[Settings, Depends(settings)]
_OK = {"ok": True}


def _refused(platform: str, exc: Refused, status: int = 403) -> Response:
    log.warning("%s webhook refused: %s", platform, exc)
    title = "Forbidden" if status == 403 else "Bad Request"
    return JSONResponse({"title": title, "status": status}, status_code=status)


def _absent(platform: str) -> Response:
    return JSONResponse({"title": f"{platform} is not configured", "status": 404},
                        status_code=404)


def _register(session: Session, found: list[Inbound]) -> None:
    for inbound in found:
        service.receive(session, inbound)


async def _deliver(platform: str, session: Session, body: bytes,
                   parse: Callable[[bytes], list[Inbound]]) -> Response:
    """Parse a verified body and register what it holds."""
    try:
        found = parse(body)
    except Refused as exc:
        return _refused(platform, exc, 400)
    await run_in_threadpool(_register, session, found)
    return JSONResponse(_OK)


@router.post("/telegram")
async def telegram_update(request: Request, session: DB, cfg: Cfg) -> Response:
    """An Update from the Telegram Bot API (``setWebhook`` with our ``secret_token``)."""
    if not cfg.telegram_secret_token:
        return _absent("telegram")
    try:
        telegram.verify(request.headers.get(telegram.HEADER), cfg.telegram_secret_token)
    except Refused as exc:
        return _refused("telegram", exc)

    def parse(body: bytes) -> list[Inbound]:
        inbound = telegram.parse(body)
        return [inbound] if inbound is not None else []

    return await _deliver("telegram", session, await request.body(), parse)


@router.get("/messenger")
def messenger_verify(
    cfg: Cfg, mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge")] = None,
) -> Response:
    """Meta's verification request: echo ``hub.challenge`` when the verify token is ours."""
    if not cfg.messenger_verify_token:
        return _absent("messenger")
    try:
        return PlainTextResponse(messenger.verify_subscription(
            mode, token, challenge, cfg.messenger_verify_token))
    except Refused as exc:
        return _refused("messenger", exc)


@router.post("/messenger")
async def messenger_update(request: Request, session: DB, cfg: Cfg) -> Response:
    """A page webhook delivery: messages to the page and comments on its posts."""
    if not cfg.messenger_app_secret:
        return _absent("messenger")
    body = await request.body()
    try:
        messenger.verify(body, request.headers.get(messenger.HEADER), cfg.messenger_app_secret)
    except Refused as exc:
        return _refused("messenger", exc)
    return await _deliver("messenger", session, body, messenger.parse)


@router.get("/x")
def x_crc(cfg: Cfg, crc_token: str = "") -> Response:
    """X's challenge-response check."""
    if not cfg.x_consumer_secret:
        return _absent("x")
    try:
        return JSONResponse(x.crc_response(crc_token, cfg.x_consumer_secret))
    except Refused as exc:
        return _refused("x", exc, 400)


@router.post("/x")
async def x_update(request: Request, session: DB, cfg: Cfg) -> Response:
    """An Account Activity delivery: direct messages and mentions."""
    if not cfg.x_consumer_secret:
        return _absent("x")
    body = await request.body()
    try:
        x.verify(body, request.headers.get(x.HEADER), cfg.x_consumer_secret)
    except Refused as exc:
        return _refused("x", exc)
    return await _deliver("x", session, body, x.parse)
