"""Social fixtures: a deployment with all three platforms configured (their APIs pointed at
a local HTTP server when a test needs one), signed deliveries, and the job runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud.app import create_app
from ombud.audit.tables import AuditEvent
from ombud.cases.tables import Case, Message
from ombud.config import Settings
from ombud.customers.tables import Customer, CustomerIdentity
from ombud.intake.social import messenger, x
from ombud.intake.social.tables import SocialUpdate
from ombud.jobs import service as jobs
from ombud.jobs.tables import Job
from ombud.worker import handlers

FIXTURES = Path(__file__).parent / "fixtures"
TG_SECRET = "tg-secret_Token-123"
TG_BOT = "123456:ABC-DEF1234ghIkl"
FB_SECRET = "fb-app-secret"
FB_VERIFY = "fb-verify-token"
FB_PAGE = "fb-page-token"
X_SECRET = "x-consumer-secret"
X_BEARER = "x-user-bearer"


def payload(name: str) -> bytes:
    """The bytes of a captured delivery in ``fixtures/``."""
    return (FIXTURES / name).read_bytes()


def social_settings(settings: Settings, api: str = "http://127.0.0.1:9") -> Settings:
    """``settings`` with every platform configured and every platform API at ``api``."""
    return settings.model_copy(update={
        "telegram_bot_token": TG_BOT, "telegram_secret_token": TG_SECRET,
        "telegram_api_url": api, "messenger_app_secret": FB_SECRET,
        "messenger_verify_token": FB_VERIFY, "messenger_page_token": FB_PAGE,
        "messenger_api_url": api, "x_consumer_secret": X_SECRET, "x_bearer_token": X_BEARER,
        "x_api_url": api,
    })


@pytest.fixture
def social(settings: Settings) -> Iterator[TestClient]:
    """The app with the social platforms configured."""
    with TestClient(create_app(social_settings(settings))) as c:
        yield c


def post_telegram(client: TestClient, body: bytes, secret: str | None = TG_SECRET) -> int:
    """Deliver an Update as Telegram does; the HTTP status."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return client.post("/webhooks/telegram", content=body, headers=headers).status_code


def post_messenger(client: TestClient, body: bytes, signature: str | None = None) -> int:
    """Deliver a page event signed as Meta does (or with ``signature``); the HTTP status."""
    sig = signature if signature is not None else messenger.signature(body, FB_SECRET)
    return client.post("/webhooks/messenger", content=body, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": sig}).status_code


def post_x(client: TestClient, body: bytes, signature: str | None = None) -> int:
    """Deliver an Account Activity event signed as X does; the HTTP status."""
    sig = signature if signature is not None else x.signature(body, X_SECRET)
    return client.post("/webhooks/x", content=body, headers={
        "Content-Type": "application/json", "x-twitter-webhooks-signature": sig}).status_code


def footprint(session: Session) -> dict[str, int]:
    """Row counts of everything an update could leave behind."""
    session.rollback()
    return {t.__name__: int(session.scalar(select(func.count()).select_from(t)) or 0)
            for t in (Case, Message, Customer, CustomerIdentity, SocialUpdate, AuditEvent, Job)}


def run_jobs(session: Session, settings: Settings, api: str) -> None:
    """Run every due job with the deployment's handlers, platforms sending to ``api``."""
    registry = handlers(social_settings(settings, api))
    while jobs.run_due(session, "test", registry):
        pass
