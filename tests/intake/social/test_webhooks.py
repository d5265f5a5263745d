"""Webhooks verified exactly as each platform documents it: genuine deliveries register,
forged, replayed, malformed and oversized ones are refused and leave only a log line."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases.tables import Case
from ombud.customers.tables import CustomerIdentity
from tests.intake.social.conftest import (
    FB_VERIFY,
    X_SECRET,
    footprint,
    payload,
    post_messenger,
    post_telegram,
    post_x,
)


def test_a_telegram_update_with_our_secret_token_opens_a_case(
        social: TestClient, session: Session) -> None:
    assert post_telegram(social, payload("telegram_update.json")) == 200
    case = session.scalars(select(Case)).one()
    assert case.channel == "telegram" and case.summary.startswith("My withdrawal of 250 USDT")
    assert (case.asset, case.amount) == ("USDT", 250)
    identity = session.scalars(select(CustomerIdentity)).one()
    assert (identity.kind, identity.value, identity.customer_id) == (
        "telegram", "1111111", case.customer_id)


@pytest.mark.parametrize("secret", [None, "", "tg-secret_Token-124", "TG-SECRET_TOKEN-123"])
def test_a_telegram_update_without_our_exact_secret_token_leaves_only_a_log_line(
        social: TestClient, session: Session, caplog: pytest.LogCaptureFixture,
        secret: str | None) -> None:
    before = footprint(session)
    with caplog.at_level(logging.WARNING):
        assert post_telegram(social, payload("telegram_update.json"), secret) == 403
    assert footprint(session) == before
    assert any("telegram webhook refused" in r.getMessage() for r in caplog.records)


def test_a_replayed_telegram_update_id_changes_nothing(
        social: TestClient, session: Session, caplog: pytest.LogCaptureFixture) -> None:
    assert post_telegram(social, payload("telegram_update.json")) == 200
    after_first = footprint(session)
    edited = payload("telegram_update.json").replace(b"three days", b"five days")
    with caplog.at_level(logging.WARNING):
        assert post_telegram(social, payload("telegram_update.json")) == 200
        assert post_telegram(social, edited) == 200  # same update_id, other text: a replay
    assert footprint(session) == after_first
    assert sum("replayed" in r.getMessage() for r in caplog.records) == 2


def test_messenger_verification_echoes_the_challenge_only_for_our_verify_token(
        social: TestClient) -> None:
    ok = social.get("/webhooks/messenger", params={
        "hub.mode": "subscribe", "hub.verify_token": FB_VERIFY, "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.text == "1158201444"
    for token, mode in (("wrong", "subscribe"), (FB_VERIFY, "unsubscribe"), ("", "subscribe")):
        bad = social.get("/webhooks/messenger", params={
            "hub.mode": mode, "hub.verify_token": token, "hub.challenge": "1158201444"})
        assert bad.status_code == 403 and "1158201444" not in bad.text


def test_a_signed_messenger_message_opens_a_case(social: TestClient, session: Session) -> None:
    assert post_messenger(social, payload("messenger_message.json")) == 200
    case = session.scalars(select(Case)).one()
    assert case.channel == "messenger" and (case.asset, case.amount) == ("BTC", 0.5)


def test_a_messenger_delivery_with_a_wrong_signature_leaves_only_a_log_line(
        social: TestClient, session: Session, caplog: pytest.LogCaptureFixture) -> None:
    body = payload("messenger_message.json")
    tampered = body.replace(b"0.5 BTC", b"5.0 BTC")
    genuine = "sha256=" + hmac.new(b"fb-app-secret", body, hashlib.sha256).hexdigest()
    before = footprint(session)
    with caplog.at_level(logging.WARNING):
        assert post_messenger(social, tampered, signature=genuine) == 403  # body changed
        assert post_messenger(social, body, signature="") == 403
        assert post_messenger(social, body, signature=genuine.upper()) == 403
        assert post_messenger(social, body, signature="sha1=" + genuine[7:]) == 403
    assert footprint(session) == before
    assert sum("messenger webhook refused" in r.getMessage() for r in caplog.records) == 4


def test_the_x_crc_answer_is_the_base64_hmac_of_the_token(social: TestClient) -> None:
    r = social.get("/webhooks/x", params={"crc_token": "challenge-string"})
    digest = hmac.new(X_SECRET.encode(), b"challenge-string", hashlib.sha256).digest()
    assert r.status_code == 200
    assert r.json() == {"response_token": "sha256=" + base64.b64encode(digest).decode()}
    assert social.get("/webhooks/x").status_code == 400


def test_a_signed_x_direct_message_opens_a_case_and_a_forged_one_is_refused(
        social: TestClient, session: Session) -> None:
    body = payload("x_dm.json")
    before = footprint(session)
    forged = "sha256=" + base64.b64encode(b"x" * 32).decode()
    assert post_x(social, body, signature=forged) == 403
    assert footprint(session) == before
    assert post_x(social, body) == 200
    session.rollback()  # a fresh snapshot
    case = session.scalars(select(Case)).one()
    assert case.channel == "x" and "liquidated" in case.description
    assert post_x(social, body) == 200  # replayed
    session.rollback()
    assert len(session.scalars(select(Case)).all()) == 1


def test_our_own_echoed_messages_open_nothing(social: TestClient, session: Session) -> None:
    own = json.loads(payload("x_dm.json"))
    own["direct_message_events"][0]["message_create"]["sender_id"] = own["for_user_id"]
    assert post_x(social, json.dumps(own).encode()) == 200
    assert session.scalars(select(Case)).all() == []


def test_oversized_json_is_refused_before_anything_is_written(
        social: TestClient, session: Session) -> None:
    big = json.loads(payload("telegram_update.json"))
    big["message"]["text"] = "x" * (300 * 1024)
    before = footprint(session)
    assert post_telegram(social, json.dumps(big).encode()) == 413
    assert post_messenger(social, b'{"object":"page","entry":[' + b" " * 300_000 + b"]}") == 413
    assert footprint(session) == before


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"update_id":"1"}', b"\xff\xfe"])
def test_malformed_but_authentic_telegram_bodies_are_refused(
        social: TestClient, session: Session, body: bytes) -> None:
    before = footprint(session)
    assert post_telegram(social, body) == 400
    assert footprint(session) == before


def test_an_unconfigured_platform_has_no_webhook(client: TestClient) -> None:
    assert client.post("/webhooks/telegram", content=b"{}").status_code == 404
    assert client.get("/webhooks/x", params={"crc_token": "a"}).status_code == 404
