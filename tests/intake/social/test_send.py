"""Replies leave through each platform's send API as jobs, checked by a real HTTP server on
127.0.0.1 against the documented request shape; public posts get a pointer, never data."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases.tables import Case
from ombud.config import Settings
from ombud.jobs.tables import Job
from tests.conftest import World
from tests.exchange.server import Reply, Request, serve
from tests.intake.social.conftest import (
    FB_PAGE,
    TG_BOT,
    X_BEARER,
    payload,
    post_messenger,
    post_telegram,
    post_x,
    run_jobs,
)
from tests.web.test_console import csrf_of, log_in

REF = re.compile(r"C-\d{4}-\d{6}")


def platform_api(request: Request) -> Reply:
    """Answers like the platforms do when a request has their documented shape, else 400."""
    body = json.loads(request.body) if request.body else {}
    if request.path == f"/bot{TG_BOT}/sendMessage":
        ok = isinstance(body.get("chat_id"), int) and 1 <= len(body.get("text", "")) <= 4096
        return Reply(200 if ok else 400, json.dumps({"ok": ok, "result": {"message_id": 7}}))
    if request.path == "/me/messages" and request.target.endswith(f"access_token={FB_PAGE}"):
        kind = (body.get("messaging_type"), body.get("tag"))
        ok = (kind in {("RESPONSE", None), ("MESSAGE_TAG", "HUMAN_AGENT")}
              and set(body["recipient"]) <= {"id", "comment_id"}
              and 1 <= len(body["message"]["text"]) <= 2000)
        return Reply(200 if ok else 400, json.dumps({"recipient_id": "1", "message_id": "m"}))
    if request.path.endswith("/comments") and request.target.endswith(f"access_token={FB_PAGE}"):
        return Reply(200, json.dumps({"id": "c1"}))
    if request.headers.get("authorization") != f"Bearer {X_BEARER}":
        return Reply(401, "{}")
    if re.fullmatch(r"/2/dm_conversations/with/\d+/messages", request.path):
        ok = set(body) == {"text"} and 1 <= len(body["text"]) <= 10_000
        return Reply(201 if ok else 400, json.dumps({"data": {"dm_event_id": "1"}}))
    if request.path == "/2/tweets":
        ok = len(body.get("text", "")) <= 280 and body["reply"]["in_reply_to_tweet_id"]
        return Reply(201 if ok else 400, json.dumps({"data": {"id": "2"}}))
    return Reply(404, "{}")


def sent(received: list[Request]) -> list[tuple[str, dict[str, object]]]:
    return [(r.path, json.loads(r.body)) for r in received]


def test_a_telegram_complaint_is_acknowledged_by_send_message(
        social: TestClient, session: Session, settings: Settings) -> None:
    with serve(platform_api) as (api, received):
        assert post_telegram(social, payload("telegram_update.json")) == 200
        run_jobs(session, settings, api)
    case = session.scalars(select(Case)).one()
    [(path, body)] = sent(received)
    assert path == f"/bot{TG_BOT}/sendMessage" and body["chat_id"] == 1111111
    text = str(body["text"])
    assert case.reference in text and "Received:" in text and "What happens next" in text
    assert received[0].headers["content-type"] == "application/json"
    assert session.scalars(select(Job.status)).all() == ["done"] * len(
        session.scalars(select(Job)).all())


def test_a_messenger_complaint_is_acknowledged_through_the_send_api(
        social: TestClient, session: Session, settings: Settings) -> None:
    with serve(platform_api) as (api, received):
        assert post_messenger(social, payload("messenger_message.json")) == 200
        run_jobs(session, settings, api)
    [(path, body)] = sent(received)
    assert path == "/me/messages" and body["recipient"] == {"id": "PSID_1234"}
    assert REF.search(str(body["message"])) and received[0].target.endswith(
        f"?access_token={FB_PAGE}")


def test_an_x_direct_message_is_acknowledged_by_direct_message(
        social: TestClient, session: Session, settings: Settings) -> None:
    with serve(platform_api) as (api, received):
        assert post_x(social, payload("x_dm.json")) == 200
        run_jobs(session, settings, api)
    [(path, body)] = sent(received)
    assert path == "/2/dm_conversations/with/3001969357/messages" and REF.search(str(body["text"]))


def test_an_x_mention_is_answered_in_public_with_a_pointer_only(
        social: TestClient, session: Session, settings: Settings) -> None:
    with serve(platform_api) as (api, received):
        assert post_x(social, payload("x_mention.json")) == 200
        run_jobs(session, settings, api)
    case = session.scalars(select(Case)).one()
    public = [b for p, b in sent(received) if p == "/2/tweets"]
    private = [b for p, b in sent(received) if p.startswith("/2/dm_conversations/with/3001969357")]
    assert len(public) == 1 and len(private) == 1
    assert public[0]["reply"] == {"in_reply_to_tweet_id": "955464596467941376"}
    said = str(public[0]["text"])
    assert "direct message" in said
    for secret in (case.reference, "Jordan", "3000", "USDT", "jane@example.com", "withdrawal"):
        assert secret not in said
    assert case.reference in str(private[0]["text"])  # the acknowledgement goes privately


def test_a_facebook_comment_gets_a_public_pointer_and_a_private_reply(
        social: TestClient, session: Session, settings: Settings) -> None:
    with serve(platform_api) as (api, received):
        assert post_messenger(social, payload("messenger_comment.json")) == 200
        run_jobs(session, settings, api)
    case = session.scalars(select(Case)).one()
    by_path = dict(sent(received))
    said = str(by_path["/POST_ID_COMMENT_ID/comments"]["message"])
    for secret in (case.reference, "Jane", "1200", "88123456", "froze"):
        assert secret not in said
    private = by_path["/me/messages"]
    assert private["recipient"] == {"comment_id": "POST_ID_COMMENT_ID"}
    assert case.reference in str(private["message"])


def test_a_staff_reply_goes_out_on_the_customer_s_channel(
        settings: Settings, session: Session, world: World, social: TestClient) -> None:
    assert post_telegram(social, payload("telegram_update.json")) == 200
    reference = session.scalars(select(Case.reference)).one()
    log_in(social, "admin")
    page = social.get(f"/console/cases/{reference}")
    r = social.post(f"/console/cases/{reference}/messages", data={
        "csrf": csrf_of(page.text), "body": "We found your withdrawal; it is on its way."})
    assert r.status_code == 200
    with serve(platform_api) as (api, received):
        run_jobs(session, settings, api)
    texts = [str(b["text"]) for _p, b in sent(received)]
    assert "We found your withdrawal; it is on its way." in texts and len(texts) == 2


def test_an_api_reply_goes_out_the_same_way_and_a_note_does_not(
        settings: Settings, session: Session, world: World, social: TestClient) -> None:
    assert post_telegram(social, payload("telegram_update.json")) == 200
    reference = session.scalars(select(Case.reference)).one()
    admin = world.headers("admin")
    r = social.post(f"/api/v1/cases/{reference}/messages", headers=admin,
                    json={"body": "Your withdrawal is on its way."})
    assert r.status_code == 201, r.text
    r = social.post(f"/api/v1/cases/{reference}/messages", headers=admin,
                    json={"body": "Internal: ledger checked", "visibility": "internal"})
    assert r.status_code == 201, r.text
    with serve(platform_api) as (api, received):
        run_jobs(session, settings, api)
    texts = [str(b["text"]) for _p, b in sent(received)]
    assert "Your withdrawal is on its way." in texts and len(texts) == 2  # the ack and the reply
    assert not any("ledger" in t for t in texts)


def test_a_platform_that_fails_is_retried_later(
        social: TestClient, session: Session, settings: Settings) -> None:
    with serve(lambda _r: Reply(502, "bad gateway")) as (api, received):
        assert post_telegram(social, payload("telegram_update.json")) == 200
        run_jobs(session, settings, api)
    assert received
    job = session.scalars(select(Job).where(Job.kind == "social.acknowledge")).one()
    assert job.status == "queued" and "HTTP 502" in (job.last_error or "")
