"""/api/v1 behaviour: create, idempotency, read, list and page, messages, files, transitions,
assignment."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ombud.app import create_app
from ombud.cases.tables import Case, IdempotencyKey
from ombud.config import Settings
from tests.conftest import World


def create(client: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    """File a case and return its JSON."""
    r = client.post("/api/v1/cases", headers=headers,
                    json={"summary": "Something went wrong", **fields})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_customer_files_for_themselves(client: TestClient, world: World) -> None:
    carol = world.headers("carol")
    case = create(client, carol, summary="Order filled at the wrong price", category="fees",
                  description="Paid 2x the fee")
    assert case["status"] == "received" and case["category"] == "fees"
    assert case["received_at"].endswith(("Z", "+00:00"))
    me = client.get("/api/v1/me", headers=carol).json()
    detail = client.get(f"/api/v1/cases/{case['reference']}", headers=carol).json()
    assert detail["customer_id"] == me["id"] and me["kind"] == "customer"
    assert [m["body"] for m in detail["messages"]] == ["Paid 2x the fee"]
    r = client.post("/api/v1/cases", headers=carol,
                    json={"summary": "For someone else", "customer_uid": "UID-DAVE-2"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "#/customer_uid"


def test_staff_must_name_the_customer(client: TestClient, world: World) -> None:
    agent = world.headers("agent")
    r = client.post("/api/v1/cases", headers=agent, json={"summary": "Phoned in"})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#/customer_uid"
    by_uid = create(client, agent, channel="phone", customer_uid="UID-DAVE-2")
    by_email = create(client, agent, customer_email="Erin@Example.com")
    dave = client.get("/api/v1/me", headers=world.headers("dave")).json()
    assert client.get(f"/api/v1/cases/{by_uid['reference']}", headers=agent
                      ).json()["customer_id"] == dave["id"]
    assert by_uid["channel"] == "phone"
    assert by_email["reference"] != by_uid["reference"]


def test_idempotency_key_replays_and_refuses_a_different_body(
    client: TestClient, world: World, session: Session
) -> None:
    headers = {**world.headers("carol"), "Idempotency-Key": "abc-123"}
    first = client.post("/api/v1/cases", headers=headers, json={"summary": "Fee charged twice"})
    again = client.post("/api/v1/cases", headers=headers, json={"summary": "Fee charged twice"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert again.headers["Location"] == f"/api/v1/cases/{first.json()['reference']}"
    other = client.post("/api/v1/cases", headers=headers, json={"summary": "Another matter"})
    assert other.status_code == 422
    assert other.headers["content-type"].startswith("application/problem+json")
    assert other.json()["errors"][0]["pointer"] == "#/Idempotency-Key"
    dave = {**world.headers("dave"), "Idempotency-Key": "abc-123"}  # keys are per caller
    assert client.post("/api/v1/cases", headers=dave, json={"summary": "Mine"}).status_code == 201
    assert len(session.scalars(select(Case)).all()) == 2


def test_concurrent_requests_with_one_key_make_one_case(
    settings: Settings, world: World, session: Session
) -> None:
    headers = {**world.headers("carol"), "Idempotency-Key": "race-1"}
    app = create_app(settings)  # carol is new: her first-sight registration races too
    n = 6
    barrier = threading.Barrier(n)
    results: list[tuple[int, str]] = []

    def post() -> None:
        with TestClient(app) as c:
            barrier.wait()
            r = c.post("/api/v1/cases", headers=headers, json={"summary": "Double click"})
            results.append((r.status_code, r.json().get("reference", r.text)))

    threads = [threading.Thread(target=post) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(code for code, _ in results) == [200] * (n - 1) + [201], results
    assert len({ref for _, ref in results}) == 1
    assert len(session.scalars(select(Case)).all()) == 1
    assert len(session.scalars(select(IdempotencyKey)).all()) == 1


def _seed_list(client: TestClient, world: World, session: Session) -> list[str]:
    carol = world.headers("carol")
    refs = [create(client, carol, summary=f"Withdrawal {i} stuck",
                   category="deposit_withdrawal" if i % 2 else "fees")["reference"]
            for i in range(7)]
    due = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    session.execute(update(Case).where(Case.reference.in_(refs[1:5])).values(due_at=due))
    session.execute(update(Case).where(Case.reference.in_(refs[2:4])).values(priority="high"))
    session.execute(update(Case).where(Case.reference.in_(refs[4:7])).values(
        updated_at=due, received_at=due))  # ties on every sort key
    session.commit()
    return refs


def test_list_filters(client: TestClient, world: World, session: Session) -> None:
    refs = _seed_list(client, world, session)
    agent = world.headers("agent")
    assert client.post(f"/api/v1/cases/{refs[0]}/transitions", headers=agent,
                       json={"event": "triage"}).status_code == 200

    def listed(**params: Any) -> set[str]:
        r = client.get("/api/v1/cases", headers=agent, params=params)
        assert r.status_code == 200, r.text
        return {c["reference"] for c in r.json()["items"]}

    assert listed(status="triaged") == {refs[0]}
    assert listed(status=["triaged", "received"]) == set(refs)
    assert listed(category="fees") == {refs[i] for i in (0, 2, 4, 6)}
    assert listed(priority="high") == {refs[2], refs[3]}
    assert listed(q=refs[5]) == {refs[5]}
    assert listed(q="withdrawal 3") == {refs[3]}
    assert listed(q="nothing like this") == set()
    assert listed(q="50%_\\") == set()


@pytest.mark.parametrize("sort", ["due", "received", "updated"])
def test_keyset_pages_cover_everything_once_in_a_stable_order(
    client: TestClient, world: World, session: Session, sort: str
) -> None:
    _seed_list(client, world, session)
    headers = world.headers("admin")
    column, descending = {"due": (Case.due_at, False), "received": (Case.received_at, True),
                          "updated": (Case.updated_at, True)}[sort]
    order = (column.desc(), Case.id.desc()) if descending else (column.asc(), Case.id.asc())
    expected = list(session.scalars(select(Case.reference).order_by(*order)))
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2, "sort": sort}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/v1/cases", headers=headers, params=params).json()
        assert len(page["items"]) <= 2
        seen += [c["reference"] for c in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected and len(set(seen)) == 7 and pages == 4
    bad = client.get("/api/v1/cases", headers=headers, params={"cursor": "bm9wZQ=="})
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "#/cursor"


def test_messages_files_and_downloads(client: TestClient, world: World) -> None:
    carol, agent = world.headers("carol"), world.headers("agent")
    ref = create(client, carol)["reference"]
    r = client.post(f"/api/v1/cases/{ref}/messages", headers=carol, json={"body": "Any news?"})
    assert r.status_code == 201 and r.json()["direction"] == "in"
    r = client.post(f"/api/v1/cases/{ref}/messages", headers=agent,
                    json={"body": "Checking the ledger", "visibility": "internal"})
    assert r.status_code == 201 and r.json()["direction"] == "note"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    up = client.post(f"/api/v1/cases/{ref}/attachments", headers=carol,
                     files={"file": ("screen shot \u00e9.txt", png, "text/plain")})
    assert up.status_code == 201, up.text
    meta = up.json()
    assert meta["media_type"] == "image/png" and meta["size"] == len(png)
    down = client.get(f"/api/v1/cases/{ref}/attachments/{meta['id']}", headers=agent)
    assert down.status_code == 200 and down.content == png
    assert down.headers["content-type"] == "application/octet-stream"
    assert down.headers["x-content-type-options"] == "nosniff"
    assert down.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''screen%20shot%20%C3%A9.txt")
    exe = b"MZ\x90\x00" + b"\x00" * 200
    r = client.post(f"/api/v1/cases/{ref}/attachments", headers=carol,
                    files={"file": ("invoice.pdf", exe, "application/pdf")})
    assert r.status_code == 415 and r.json()["errors"][0]["pointer"] == "#/file"
    missing = client.get(f"/api/v1/cases/{ref}/attachments/999", headers=carol)
    assert missing.status_code == 404


def test_transitions_legal_and_illegal(client: TestClient, world: World) -> None:
    agent = world.headers("agent")
    ref = create(client, world.headers("carol"))["reference"]
    r = client.post(f"/api/v1/cases/{ref}/transitions", headers=agent, json={"event": "triage"})
    assert r.status_code == 200 and r.json()["status"] == "triaged"
    r = client.post(f"/api/v1/cases/{ref}/transitions", headers=agent, json={"event": "close"})
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["pointer"] == "#/event"
    r = client.post(f"/api/v1/cases/{ref}/transitions", headers=agent, json={"event": "reject"})
    assert r.status_code == 409 and "reason" in r.json()["detail"]  # guard: needs a reason
    r = client.post(f"/api/v1/cases/{ref}/transitions", headers=agent,
                    json={"event": "reject", "reason": "spam"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    detail = client.get(f"/api/v1/cases/{ref}", headers=agent).json()
    assert [a["action"] for a in detail["audit"]].count("case.transition") == 2


def test_assignment(client: TestClient, world: World) -> None:
    ref = create(client, world.headers("carol"))["reference"]
    agent_id = world.staff["agent"].id
    r = client.post(f"/api/v1/cases/{ref}/assignment", headers=world.headers("supervisor"),
                    json={"assignee_id": agent_id})
    assert r.status_code == 200
    assert (r.json()["assignee_id"], r.json()["team_id"]) == (agent_id, world.teams["trading"])
    r = client.post(f"/api/v1/cases/{ref}/assignment", headers=world.headers("supervisor"),
                    json={"assignee_id": 999_999})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#/assignee_id"
    r = client.post(f"/api/v1/cases/{ref}/assignment", headers=world.headers("admin"),
                    json={"team_id": world.teams["wallets"]})
    assert r.status_code == 200 and r.json()["team_id"] == world.teams["wallets"]
