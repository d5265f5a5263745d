"""A follow-up delivered through the webhook joins the open case; its replay adds nothing."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases.tables import Case, Message
from tests.intake.social.conftest import payload, post_telegram


def test_a_telegram_delivery_and_a_replay_register_one_update(
        social: TestClient, session: Session) -> None:
    body = payload("telegram_update.json")
    assert post_telegram(social, body) == post_telegram(social, body) == 200
    edited = json.loads(body)
    edited["update_id"] = 10001
    edited["message"]["text"] = "any news?"
    assert post_telegram(social, json.dumps(edited).encode()) == 200
    session.rollback()
    assert len(session.scalars(select(Case)).all()) == 1
    assert len(session.scalars(select(Message).where(Message.direction == "in")).all()) == 2
