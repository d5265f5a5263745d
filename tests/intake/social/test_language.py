"""The acknowledgement is in the language the customer wrote in, on the channel they used."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases.tables import Case, Message
from ombud.config import Settings
from ombud.customers.tables import Customer
from ombud.intake.social import telegram
from tests.exchange.server import Reply, serve
from tests.intake.social.conftest import payload, post_telegram, run_jobs


def update(text: str, update_id: int = 20000, language_code: str | None = None) -> bytes:
    body = json.loads(payload("telegram_update.json"))
    body["update_id"], body["message"]["text"] = update_id, text
    if language_code:
        body["message"]["from"]["language_code"] = language_code
    return json.dumps(body, ensure_ascii=False).encode()


@pytest.mark.parametrize(("text", "language", "phrase"), [
    ("我的提币已经三天没有到账了，请帮我查一下", "zh-Hans", "投诉编号"),
    ("我的提幣已經三天沒有到帳了，請幫我查一下", "zh-Hant", "投訴編號"),
    ("My withdrawal has been stuck for three days", "en", "Reference:"),
])
def test_the_acknowledgement_speaks_the_language_detected_from_the_text(
        social: TestClient, session: Session, settings: Settings, text: str, language: str,
        phrase: str) -> None:
    with serve(lambda _r: Reply(200, '{"ok":true,"result":{}}')) as (api, received):
        assert post_telegram(social, update(text, language_code="en")) == 200
        run_jobs(session, settings, api)
    case = session.scalars(select(Case)).one()
    customer = session.get(Customer, case.customer_id)
    assert customer is not None and customer.language == case.language == language
    sent = json.loads(received[0].body)["text"]
    assert phrase in sent and case.reference in sent
    ack = session.scalars(select(Message.body).where(Message.external_id == f"ack:{case.id}"))
    assert ack.one().strip() == sent


def test_telegram_s_language_code_decides_when_the_text_has_no_letters() -> None:
    inbound = telegram.parse(update("12345 ???", language_code="zh-TW"))
    assert inbound is not None and inbound.language_hint == "zh-Hant"
