"""``ombud demo`` and Telegram: a webhook secret kept between runs, and the signed sample
update it prints registers a complaint on the demo's webhook (once)."""

from __future__ import annotations

import shlex

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud import demo
from ombud.app import create_app
from ombud.cases.tables import Case
from ombud.config import Settings


def test_the_secret_is_made_once_and_kept_unless_one_is_configured(settings: Settings) -> None:
    first = demo.telegram_secret(settings)
    assert len(first) >= 32 and first.replace("_", "").replace("-", "").isalnum()
    assert demo.telegram_secret(settings) == first
    chosen = settings.model_copy(update={"telegram_secret_token": "my-own-secret"})
    assert demo.telegram_secret(chosen) == "my-own-secret"


def test_the_printed_update_registers_a_complaint_once(settings: Settings,
                                                       session: Session) -> None:
    secret = demo.telegram_secret(settings)
    lines = demo.telegram_lines(settings, "http://testserver", secret, 1_770_000_000)
    assert lines[0].startswith(
        f"Telegram webhook: http://testserver/webhooks/telegram (secret token {secret});")
    assert f"secret_token={secret}" in lines[2] and "setWebhook" in lines[2]
    words = shlex.split(lines[1].split(": ", 1)[1])  # the curl command, as a shell reads it
    body = words[words.index("-d") + 1].encode()
    header = words[words.index("-H", words.index("-H") + 1) + 1]
    name, value = header.split(": ", 1)
    served = settings.model_copy(update={"telegram_secret_token": secret})
    with TestClient(create_app(served)) as client:
        url = words[words.index("POST") + 1].replace("http://testserver", "")
        for _ in range(2):
            r = client.post(url, content=body, headers={name: value,
                                                        "Content-Type": "application/json"})
            assert r.status_code == 200, r.text
        assert client.post(url, content=body, headers={name: "forged"}).status_code == 403
    case = session.scalars(select(Case)).one()
    assert case.channel == "telegram" and "250 USDT" in case.summary
