"""Opening a case: registration fields, acknowledgement job, idempotency."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases.tables import Case
from ombud.jobs.tables import Job
from tests.conftest import World


def test_customer_files_a_case_and_an_acknowledgement_is_queued(
    client: TestClient, world: World, session: Session
) -> None:
    r = client.post("/api/v1/cases", headers=world.headers("carol"), json={
        "summary": "Withdrawal stuck", "description": "Sent 0.5 BTC two days ago",
        "desired_outcome": "Release it", "asset": "btc", "amount": "0.5"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["reference"].startswith("C-") and body["status"] == "received"
    assert body["asset"] == "BTC" and body["amount"] == "0.5"
    assert r.headers["Location"] == f"/api/v1/cases/{body['reference']}"
    case = session.scalars(select(Case).where(Case.reference == body["reference"])).one()
    job = session.scalars(select(Job).where(Job.key == f"ack:{case.id}")).one()
    assert job.kind == "cases.acknowledge" and job.status == "queued"


def test_same_idempotency_key_returns_the_same_case(client: TestClient, world: World) -> None:
    headers = {**world.headers("carol"), "Idempotency-Key": "retry-1"}
    payload = {"summary": "Fee charged twice"}
    first = client.post("/api/v1/cases", headers=headers, json=payload)
    second = client.post("/api/v1/cases", headers=headers, json=payload)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["reference"] == second.json()["reference"]
    other = client.post("/api/v1/cases", headers=headers, json={"summary": "Something else"})
    assert other.status_code == 422
    assert other.json()["errors"][0]["pointer"] == "#/Idempotency-Key"


def test_amounts_come_back_exactly(client: TestClient, world: World, session: Session) -> None:
    for amount in ("0.8", "1.123456789012345678", "123456789012.5"):
        r = client.post("/api/v1/cases", headers=world.headers("carol"),
                        json={"summary": "Exact money", "asset": "ETH", "amount": amount})
        assert r.status_code == 201, r.text
        assert r.json()["amount"] == amount
        session.rollback()  # end the previous read: see what the request committed
        case = session.scalars(select(Case).where(Case.reference == r.json()["reference"])).one()
        assert str(case.amount) == amount
