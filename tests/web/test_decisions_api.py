"""The decision API: suggestion, draft, four-eyes approval, the customer's answer, objection and
re-review, remedies and policy versions; bad input as RFC 9457 problems with pointers."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud.jobs.tables import Job
from ombud.resolution.tables import Proposal, Remedy
from tests.conftest import World
from tests.web.decisions import decided, ready_case
from tests.web.test_api_errors import assert_problem, pointers

API = "/api/v1"


def _body(finding: int, amount: str = "200", justification: str = "", asset: str = "USDT",
          kind: str = "compensation", clause: str = "TD-1") -> dict[str, Any]:
    return {"outcome": "upheld", "summary": "Filled late by our fault.",
            "justification": justification,
            "points": [{"point": "The order filled late", "finding_id": finding, "upheld": True,
                        "reason": "The replay shows a 1.2 s delay."}],
            "remedies": [{"kind": kind, "clause_id": clause, "asset": asset, "amount": amount,
                          "finding_id": finding}]}


def test_four_eyes_from_suggestion_to_an_accepted_decision(
        client: TestClient, world: World, session: Session) -> None:
    decided(world, session)
    ref, finding = ready_case(world, session)
    specialist, approver = world.headers("specialist"), world.headers("approver")
    carol = world.headers("carol")
    s = client.get(f"{API}/cases/{ref}/suggestion", headers=specialist).json()
    assert s["policy_version"] == 1 and [Decimal(x) for x in s["ratio_range"]] == [1, 1]
    assert [(r["clause_id"], Decimal(r["amount"])) for r in s["remedies"]] == [("TD-1", 200)]
    assert Decimal(s["precedents"][0]["ratio"]) == 1
    assert client.get(f"{API}/cases/{ref}/suggestion", headers=carol).status_code == 403

    r = client.post(f"{API}/cases/{ref}/proposals", headers=specialist,
                    json=_body(finding, "600"))
    assert pointers(assert_problem(r, 422)) == {"#/justification"}
    r = client.post(f"{API}/cases/{ref}/proposals", headers=specialist,
                    json=_body(finding, "600", "The customer also missed a re-entry."))
    assert r.status_code == 201 and r.json()["needs_approval"] is True
    assert any("specialist limit" in x for x in r.json()["approval_reasons"])
    r = client.post(f"{API}/cases/{ref}/proposals/submit", headers=specialist)
    assert r.status_code == 200 and r.json()["status"] == "awaiting_approval"
    r = client.post(f"{API}/cases/{ref}/proposals/approve", headers=specialist, json={})
    assert_problem(r, 403)
    assert client.get(f"{API}/cases/{ref}/proposals", headers=carol).json() == []

    r = client.post(f"{API}/cases/{ref}/proposals/approve", headers=approver,
                    json={"note": "Justified by the re-entry."})
    assert r.status_code == 200 and r.json()["status"] == "issued"
    assert r.json()["letter_body"] and r.json()["approvals"][0]["decision"] == "approved"

    seen = client.get(f"{API}/cases/{ref}/proposals", headers=carol).json()
    assert len(seen) == 1 and seen[0]["justification"] == "" and seen[0]["approvals"] == []
    assert seen[0]["precedents"] == [] and seen[0]["proposer_id"] == 0
    first = client.post(f"{API}/cases/{ref}/proposals/accept", headers=carol)
    again = client.post(f"{API}/cases/{ref}/proposals/accept", headers=carol)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert first.json()["status"] == "accepted" and first.json()["justification"] == ""
    jobs = session.scalar(select(func.count()).where(Job.kind == "resolution.execute"))
    assert jobs == 2  # the precedent's remedy and this one, each once


def test_bad_remedies_are_refused_with_pointers_and_nothing_is_saved(
        client: TestClient, world: World, session: Session) -> None:
    ref, finding = ready_case(world, session)
    specialist = world.headers("specialist")
    url = f"{API}/cases/{ref}/proposals"
    cases = [(_body(finding, "-1"), "#/remedies/0/amount"),
             (_body(finding, "1e20"), "#/remedies/0/amount"),
             (_body(finding, asset="DOGE"), "#/asset"),
             (_body(finding, asset="BTC", amount="0.01"), "#/asset"),
             (_body(finding, clause="GW-1"), "#/clause_id"),
             (_body(finding, clause="XX-9"), "#/clause_id"),
             (_body(finding, amount="200.1234567"), "#/amount")]
    for body, pointer in cases:
        r = client.post(url, headers=specialist, json=body)
        assert pointer in pointers(assert_problem(r, 422)), (body["remedies"], r.json())
    assert session.scalar(select(func.count()).select_from(Proposal)) == 0

    bare = client.post(f"{API}/cases", headers=world.headers("carol"),
                       json={"summary": "No findings yet"}).json()["reference"]
    r = client.post(f"{API}/cases/{bare}/proposals", headers=specialist, json=_body(finding))
    assert "is received" in assert_problem(r, 409)["detail"]


def test_objection_re_review_by_someone_else_and_a_changed_decision(
        client: TestClient, world: World, session: Session) -> None:
    ref, finding = ready_case(world, session)
    specialist, carol = world.headers("specialist"), world.headers("carol")
    client.post(f"{API}/cases/{ref}/proposals", headers=specialist, json=_body(finding, "150"))
    assert client.post(f"{API}/cases/{ref}/proposals/submit",
                       headers=specialist).json()["status"] == "issued"
    r = client.post(f"{API}/cases/{ref}/objections", headers=carol, json={"body": "no"})
    assert pointers(assert_problem(r, 422)) == {"#/body"}
    r = client.post(f"{API}/cases/{ref}/objections", headers=carol,
                    json={"body": "Pay the whole loss, 200."})
    again = client.post(f"{API}/cases/{ref}/objections", headers=carol,
                        json={"body": "Pay the whole loss, 200."})
    assert r.status_code == again.status_code == 201 and r.json()["id"] == again.json()["id"]
    assert_problem(client.post(f"{API}/cases/{ref}/proposals/accept", headers=carol), 409)

    assert "someone other than the original proposer" in assert_problem(
        client.post(f"{API}/cases/{ref}/objections/review", headers=specialist), 409)["detail"]
    supervisor = world.headers("supervisor")
    r = client.post(f"{API}/cases/{ref}/objections/review", headers=supervisor)
    assert r.status_code == 200 and r.json()["reviewer_id"] == world.staff["supervisor"].id
    assert_problem(client.post(f"{API}/cases/{ref}/objections/confirm",
                               headers=world.headers("approver"), json={}), 403)
    r = client.post(f"{API}/cases/{ref}/objections/change", headers=supervisor,
                    json=_body(finding, "200"))
    assert r.status_code == 200 and (r.json()["revision"], r.json()["status"]) == (2, "issued")
    statuses = session.scalars(select(Proposal.status).order_by(Proposal.revision)).all()
    assert statuses == ["objected", "issued"]


def test_cancelling_a_remedy_needs_a_reason_and_the_right_role(
        client: TestClient, world: World, session: Session) -> None:
    ref, finding = ready_case(world, session)
    specialist, carol = world.headers("specialist"), world.headers("carol")
    client.post(f"{API}/cases/{ref}/proposals", headers=specialist, json=_body(finding))
    client.post(f"{API}/cases/{ref}/proposals/submit", headers=specialist)
    client.post(f"{API}/cases/{ref}/proposals/accept", headers=carol)
    remedy = session.scalars(select(Remedy.id)).one()
    url = f"{API}/cases/{ref}/remedies/{remedy}/cancel"
    assert_problem(client.post(url, headers=specialist, json={"reason": "Account closed"}), 403)
    approver = world.headers("approver")
    assert pointers(assert_problem(client.post(url, headers=approver, json={}), 422)) == {
        "#/reason"}
    assert_problem(client.post(f"{API}/cases/{ref}/remedies/999/cancel", headers=approver,
                               json={"reason": "Account closed"}), 422)
    r = client.post(url, headers=approver, json={"reason": "Account closed"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert client.post(f"{API}/cases/{ref}/close", headers=specialist).status_code == 204
    r = client.post(f"{API}/cases/{ref}/reopen", headers=carol, json={"reason": "Still short"})
    assert r.status_code == 204


def test_policy_versions_are_read_by_staff_and_written_by_compliance(
        client: TestClient, world: World) -> None:
    assert_problem(client.get(f"{API}/policy/versions", headers=world.headers("carol")), 403)
    versions = client.get(f"{API}/policy/versions", headers=world.headers("agent")).json()
    assert [v["version"] for v in versions] == [1]
    document = json.loads(versions[0]["document"])
    document["objection_days"] = 21
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    body = {"effective_from": later, "document": json.dumps(document), "note": "21 days"}
    assert_problem(client.post(f"{API}/policy/versions", headers=world.headers("specialist"),
                               json=body), 403)
    compliance = world.headers("compliance")
    r = client.post(f"{API}/policy/versions", headers=compliance,
                    json={**body, "document": "[1, 2]"})
    assert "malformed" in assert_problem(r, 422)["detail"]
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()
    r = client.post(f"{API}/policy/versions", headers=compliance,
                    json={**body, "effective_from": past})
    assert pointers(assert_problem(r, 422)) == {"#/effective_from"}
    r = client.post(f"{API}/policy/versions", headers=compliance, json=body)
    assert r.status_code == 201 and r.json()["version"] == 2
    assert '"objection_days": 21' in r.json()["document"]


def test_the_decision_routes_are_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    for path in ("/cases/{reference}/suggestion", "/cases/{reference}/proposals",
                 "/cases/{reference}/proposals/approve", "/cases/{reference}/objections",
                 "/cases/{reference}/objections/change",
                 "/cases/{reference}/remedies/{remedy_id}/cancel", "/policy/versions"):
        assert f"{API}{path}" in paths, path
    accept = paths[f"{API}/cases/{{reference}}/proposals/accept"]["post"]
    assert {"403", "404", "409"} <= accept["responses"].keys()
