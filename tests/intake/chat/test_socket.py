"""The chat WebSocket in-process (Starlette's TestClient): the whole conversation, resume by
sequence number, flood control, oversized messages, and who may open which socket."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from ombud.intake.chat.schemas import MAX_BODY
from tests.conftest import World
from tests.intake.chat.conftest import bearer, until

pytestmark = pytest.mark.usefixtures("kb_seeded")


def _start(client: TestClient, world: World, who: str = "carol") -> tuple[str, int]:
    """Open a chat, ask the bot, hand over; the chat key and the last sequence number."""
    with client.websocket_connect("/chat/ws", headers=bearer(world.customer_token(who))) as ws:
        hello = json.loads(ws.receive_text())
        assert hello["type"] == "hello" and hello["chat"]["status"] == "bot"
        until(ws, seq=1)
        ws.send_text(json.dumps({"type": "message", "body": "deposit not arrived",
                                 "client_id": "m1"}))
        frames = until(ws, author_kind="bot", seq=3)
        assert "My deposit has not arrived" in frames[-1]["body"]
        ws.send_text(json.dumps({"type": "handover"}))
        handover = until(ws, kind="handover")[-1]
        assert handover["body"].startswith("I am passing you to a member of our team")
        return hello["chat"]["key"], handover["seq"]


def test_customer_and_staff_talk_through_the_sockets(client: TestClient, world: World) -> None:
    key, last = _start(client, world)
    agent = bearer(world.staff_token("agent"))
    customer = bearer(world.customer_token("carol"))
    with client.websocket_connect(f"/chat/ws?chat={key}&since={last}", headers=customer) as cws, \
            client.websocket_connect(f"/console/chats/{key}/ws?since={last}",
                                     headers=agent) as sws:
        assert json.loads(cws.receive_text())["chat"]["status"] == "waiting"
        assert json.loads(sws.receive_text())["chat"]["case_reference"].startswith("C-")
        sws.send_text(json.dumps({"type": "pick_up"}))
        assert until(cws, kind="joined")[-1]["body"] == "Agent has joined the chat."
        sws.send_text(json.dumps({"type": "message", "body": "Which network?", "client_id": "s1"}))
        assert until(cws, author_kind="staff")[-1]["body"] == "Which network?"
        cws.send_text(json.dumps({"type": "message", "body": "TRC20", "client_id": "c2"}))
        got = until(sws, author_kind="customer")
        assert [f["body"] for f in got if f["type"] == "message"][-1] == "TRC20"
        seqs = [f["seq"] for f in until(cws, body="TRC20") if f["type"] == "message"]
        assert seqs == sorted(set(seqs))


def test_reconnect_resumes_with_nothing_lost_or_doubled(client: TestClient, world: World) -> None:
    key, last = _start(client, world)
    agent = bearer(world.staff_token("agent"))
    with client.websocket_connect(f"/console/chats/{key}/ws", headers=agent) as sws:
        json.loads(sws.receive_text())
        replay = until(sws, kind="handover")
        assert [f["seq"] for f in replay] == list(range(1, last + 1))
        sws.send_text(json.dumps({"type": "pick_up"}))
        until(sws, kind="joined")
        for n in range(3):  # the customer is away while staff write
            sws.send_text(json.dumps({"type": "message", "body": f"note {n}",
                                      "client_id": f"s{n}"}))
            until(sws, body=f"note {n}")
    customer = bearer(world.customer_token("carol"))
    with client.websocket_connect(f"/chat/ws?chat={key}&since={last}", headers=customer) as cws:
        json.loads(cws.receive_text())
        frames = until(cws, body="note 2")
        assert [f["seq"] for f in frames] == list(range(last + 1, last + 5))
        # a resent message (same client id, e.g. after a dropped connection) is not doubled
        cws.send_text(json.dumps({"type": "message", "body": "deposit not arrived",
                                  "client_id": "m1"}))
        cws.send_text(json.dumps({"type": "resume", "since": 0}))
        replay = until(cws, body="note 2")
        assert [f["seq"] for f in replay] == list(range(1, last + 5))


def test_a_flood_is_rate_limited_with_a_clear_message(client: TestClient, world: World) -> None:
    customer = bearer(world.customer_token("carol"))
    with client.websocket_connect("/chat/ws", headers=customer) as ws:
        until(ws, seq=1)
        for n in range(8):
            ws.send_text(json.dumps({"type": "message", "body": f"spam {n}",
                                     "client_id": f"f{n}"}))
        errors = []
        while len(errors) < 3:
            frame = json.loads(ws.receive_text())
            if frame["type"] == "error":
                errors.append(frame)
        assert errors[0]["code"] == "rate_limited"
        assert errors[0]["detail"].startswith("You are sending messages too fast. Wait")
        assert errors[0]["retry_after"] > 0
        ws.send_text(json.dumps({"type": "resume", "since": 0}))
        said = [f for f in until(ws, type="message", seq=11) if f.get("author_kind") ==
                "customer"]
        assert [f["body"] for f in said] == [f"spam {n}" for n in range(5)]


def test_a_flood_that_goes_on_is_disconnected(client: TestClient, world: World) -> None:
    customer = bearer(world.customer_token("carol"))
    with client.websocket_connect("/chat/ws", headers=customer) as ws:
        for n in range(40):
            ws.send_text(json.dumps({"type": "message", "body": f"x{n}"}))
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_text()
        assert closed.value.code == 1008


def test_oversized_messages_are_refused(client: TestClient, world: World) -> None:
    customer = bearer(world.customer_token("carol"))
    with client.websocket_connect("/chat/ws", headers=customer) as ws:
        until(ws, seq=1)
        ws.send_text(json.dumps({"type": "message", "body": "x" * (MAX_BODY + 1)}))
        error = until(ws, type="error")[-1]
        assert error["code"] == "too_large"
        assert f"at most {MAX_BODY} characters" in error["detail"]
        ws.send_text(json.dumps({"type": "message", "body": "still here", "client_id": "ok"}))
        assert until(ws, author_kind="customer")[-1]["body"] == "still here"
        ws.send_text("y" * 20_000)
        assert until(ws, type="error")[-1]["code"] == "too_large"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
        assert closed.value.code == 1009


def test_a_customer_cannot_open_someone_elses_chat(client: TestClient, world: World) -> None:
    key, _ = _start(client, world, "carol")
    with client.websocket_connect(f"/chat/ws?chat={key}",
                                  headers=bearer(world.customer_token("dave"))) as ws:
        frame = json.loads(ws.receive_text())
        assert frame == {"type": "error", "code": "not_found", "detail": f"chat {key} not found"}
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
        assert closed.value.code == 4404


def test_signed_out_staff_sockets_and_foreign_origins_are_refused(
    client: TestClient, world: World,
) -> None:
    with client.websocket_connect("/chat/ws") as ws:
        assert json.loads(ws.receive_text())["code"] == "unauthorized"
    with client.websocket_connect("/console/chats/ws",
                                  headers=bearer(world.customer_token("carol"))) as ws:
        assert json.loads(ws.receive_text())["code"] == "forbidden"
    with client.websocket_connect("/chat/ws", headers={
            **bearer(world.customer_token("carol")), "Origin": "https://evil.example"}) as ws:
        assert "this site's own pages" in json.loads(ws.receive_text())["detail"]


def test_staff_lobby_hears_a_chat_waiting(client: TestClient, world: World) -> None:
    with client.websocket_connect("/console/chats/ws",
                                  headers=bearer(world.staff_token("agent"))) as lobby:
        assert json.loads(lobby.receive_text()) == {"type": "ready"}
        key, _ = _start(client, world)
        assert json.loads(lobby.receive_text()) == {"type": "lobby", "chat": key,
                                                    "status": "waiting"}


def test_knowledge_base_search_over_http(client: TestClient) -> None:
    found = client.get("/chat/articles", params={"q": "充值没到账", "lang": "zh-Hans"}).json()
    assert found[0]["slug"] == "zh-deposit"
