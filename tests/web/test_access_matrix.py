"""Access control across every route × every kind of caller.

The matrix walks ``app.routes``, so a new /api route fails here until it is given a request
and an expected answer per principal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.routing import Route

from ombud.app import create_app
from ombud.audit.tables import AuditEvent
from ombud.cases import attachments
from ombud.config import Settings
from ombud.storage.blobs import LocalBlobStore
from tests.conftest import World
from tests.web import decisions

STAFF = ["agent", "agent2", "specialist", "approver", "supervisor", "compliance", "admin"]
PRINCIPALS = ["anonymous", "carol", "dave", *STAFF]
#: Who can see a case of the "trading" team owned by carol (agent2 is in "wallets").
SEES_TRADING = {"carol", "agent", "specialist", "approver", "supervisor", "compliance", "admin"}
#: Routes anyone may call: the spec, its viewer, and signing in.
PUBLIC = {"/api/v1/openapi.json", "/api/docs", "/api/v1/auth/token"}
GUESSED = "C-2026-999999"


@dataclass
class Scene:
    """Three cases and their files, and everyone's headers."""

    headers: dict[str, dict[str, str]]
    owned: str  # carol's, team trading: public message, internal note, one file on each
    unrouted: str  # carol's, no team yet
    daves: str  # dave's, team wallets
    public_file: int
    internal_file: int


@pytest.fixture
def scene(client: TestClient, world: World, settings: Settings, session: Session) -> Scene:
    """Cases set up through the API (and one file on an internal note through the service)."""
    headers = {name: world.headers(name) for name in PRINCIPALS if name != "anonymous"}
    headers["anonymous"] = {}

    def new(who: str, summary: str, team: str | None) -> str:
        ref = str(client.post("/api/v1/cases", headers=headers[who],
                              json={"summary": summary}).json()["reference"])
        if team:
            assert client.post(f"/api/v1/cases/{ref}/assignment", headers=headers["admin"],
                               json={"team_id": world.teams[team]}).status_code == 200
        return ref

    owned = new("carol", "Order filled at a bad price", "trading")
    unrouted = new("carol", "App keeps logging me out", None)
    daves = new("dave", "Deposit not credited", "wallets")
    assert client.post(f"/api/v1/cases/{owned}/messages", headers=headers["carol"],
                       json={"body": "Please look at order 42"}).status_code == 201
    note = client.post(f"/api/v1/cases/{owned}/messages", headers=headers["agent"],
                       json={"body": "Customer also flagged by risk", "visibility": "internal"})
    public = client.post(f"/api/v1/cases/{owned}/attachments", headers=headers["carol"],
                         files={"file": ("order.txt", b"order 42\n", "text/plain")})
    internal = attachments.add_attachment(
        session, world.staff["agent"], owned, filename="risk-notes.txt", data=b"risk score 97\n",
        store=LocalBlobStore(settings.blob_dir), max_bytes=settings.max_attachment_bytes,
        message_id=note.json()["id"])
    return Scene(headers=headers, owned=owned, unrouted=unrouted, daves=daves,
                 public_file=public.json()["id"], internal_file=internal.id)


def _requests(s: Scene, world: World) -> dict[tuple[str, str], tuple[str, dict[str, Any]]]:
    """For each API route: the concrete path and request arguments the matrix sends."""
    case = f"/api/v1/cases/{s.owned}"
    return {
        ("GET", "/api/v1/me"): ("/api/v1/me", {}),
        ("POST", "/api/v1/cases"): ("/api/v1/cases", {"json": {"summary": "On behalf"}}),
        ("GET", "/api/v1/cases"): ("/api/v1/cases", {}),
        ("GET", "/api/v1/cases/{reference}"): (case, {}),
        ("POST", "/api/v1/cases/{reference}/messages"): (
            f"{case}/messages", {"json": {"body": "A reply"}}),
        ("POST", "/api/v1/cases/{reference}/attachments"): (
            f"{case}/attachments", {"files": {"file": ("x.txt", b"hello\n", "text/plain")}}),
        ("GET", "/api/v1/cases/{reference}/attachments/{attachment_id}"): (
            f"{case}/attachments/{s.public_file}", {}),
        ("POST", "/api/v1/cases/{reference}/transitions"): (
            f"{case}/transitions", {"json": {"event": "close"}}),  # passes the gate → 409
        ("POST", "/api/v1/cases/{reference}/assignment"): (
            f"{case}/assignment", {"json": {"assignee_id": world.staff["supervisor"].id}}),
        ("GET", "/api/v1/cases/{reference}/evidence"): (f"{case}/evidence", {}),
        ("POST", "/api/v1/cases/{reference}/evidence"): (f"{case}/evidence", {}),
        ("GET", "/api/v1/cases/{reference}/findings"): (f"{case}/findings", {}),
        ("POST", "/api/v1/cases/{reference}/findings"): (  # cites nothing: 422 past the gate
            f"{case}/findings", {"json": {"fault": "platform", "verdict": "late", "summary": "x"
                                          * 3}}),
    }


def _expected(route: tuple[str, str], who: str) -> int:
    """What ``who`` should get from ``route`` on carol's trading case."""
    if who == "anonymous":
        return 401
    decided = decisions.access_expected(route, who, SEES_TRADING)
    if decided is not None:
        return decided
    method, path = route
    if path in ("/api/v1/me", "/api/v1/cases"):
        return 201 if method == "POST" else 200
    if who not in SEES_TRADING:
        return 404
    customer = who in ("carol", "dave")
    if path.endswith("/transitions"):
        return 403 if customer or who == "compliance" else 409
    if path.endswith("/assignment"):
        return 200 if who in ("supervisor", "admin") else 403
    if path.endswith(("/evidence", "/findings")):  # staff only; compliance reads
        if customer or (method == "POST" and who == "compliance"):
            return 403
        return 200 if method == "GET" else (202 if path.endswith("/evidence") else 422)
    if method == "POST":  # reply or upload
        return 403 if who == "compliance" else 201
    return 200


def app_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, Route | APIRoute]]:
    """Every (full path, route) of an app, descending into included routers (FastAPI keeps
    those as branches holding the original router)."""
    for route in routes:
        branch = getattr(route, "original_router", None)
        if branch is not None:
            yield from app_routes(branch.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute | Route):
            yield prefix + route.path, route


def _api_routes(client: TestClient) -> set[tuple[str, str]]:
    found = set()
    for path, route in app_routes(client.app.routes):  # type: ignore[attr-defined]
        if path.startswith("/api/"):
            found |= {(m, path) for m in route.methods or () if m != "HEAD"}
    return found


def test_every_api_route_for_every_principal(client: TestClient, world: World, scene: Scene
                                             ) -> None:
    table = {**_requests(scene, world),
             **decisions.access_requests(f"/api/v1/cases/{scene.owned}")}
    routes = _api_routes(client)
    missing = {r for r in routes if r not in table and r[1] not in PUBLIC}
    assert not missing, f"routes missing from the access matrix: {sorted(missing)}"
    assert routes >= set(table), "the matrix names routes the app no longer has"
    wrong = []
    for route, (path, kwargs) in sorted(table.items()):
        for who in PRINCIPALS:
            args = dict(kwargs)
            if route == ("POST", "/api/v1/cases") and who in STAFF:
                args["json"] = {**args["json"], "customer_uid": "UID-CAROL-1"}
            r = client.request(route[0], path, headers=scene.headers[who], **args)
            if r.status_code != _expected(route, who):
                wrong.append(f"{route[0]} {route[1]} as {who}: {r.status_code} "
                             f"(expected {_expected(route, who)}) {r.text[:120]}")
            if r.status_code >= 400:
                assert r.headers["content-type"].startswith("application/problem+json")
    assert not wrong, "\n".join(wrong)


def test_public_api_routes_answer_anonymously(client: TestClient, world: World) -> None:
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/docs").status_code == 200
    r = client.post("/api/v1/auth/token", json={"username": "agent", "password": "wrong",
                                                "code": "000000"})
    assert r.status_code == 401


def test_guessed_references_look_exactly_like_other_peoples_cases(
    client: TestClient, scene: Scene
) -> None:
    dave = scene.headers["dave"]
    for suffix, kwargs in [("", {}), ("/messages", {"json": {"body": "hi"}}),
                           (f"/attachments/{scene.public_file}", {})]:
        method = "POST" if kwargs else "GET"
        theirs = client.request(method, f"/api/v1/cases/{scene.owned}{suffix}", headers=dave,
                                **kwargs)
        guessed = client.request(method, f"/api/v1/cases/{GUESSED}{suffix}", headers=dave,
                                 **kwargs)
        assert theirs.status_code == guessed.status_code == 404
        a, b = theirs.json(), guessed.json()
        assert (a["title"], a["detail"].replace(scene.owned, GUESSED)) == (b["title"], b["detail"])
    assert client.get(f"/api/v1/cases/{scene.daves}", headers=dave).status_code == 200


def test_each_principal_lists_exactly_the_cases_it_may_see(
    client: TestClient, scene: Scene
) -> None:
    everything = {scene.owned, scene.unrouted, scene.daves}
    expected = {
        "carol": {scene.owned, scene.unrouted}, "dave": {scene.daves},
        "agent": {scene.owned, scene.unrouted}, "specialist": {scene.owned, scene.unrouted},
        "agent2": {scene.daves, scene.unrouted}, "approver": everything,
        "supervisor": everything, "compliance": everything, "admin": everything,
    }
    for who, refs in expected.items():
        page = client.get("/api/v1/cases", headers=scene.headers[who]).json()
        assert {c["reference"] for c in page["items"]} == refs, who
        for ref in everything:
            code = client.get(f"/api/v1/cases/{ref}", headers=scene.headers[who]).status_code
            assert code == (200 if ref in refs else 404), (who, ref)


def test_customers_never_see_internal_notes_or_their_files(
    client: TestClient, scene: Scene
) -> None:
    path = f"/api/v1/cases/{scene.owned}"
    mine = client.get(path, headers=scene.headers["carol"]).json()
    assert {m["visibility"] for m in mine["messages"]} == {"public"}
    assert "risk" not in str(mine).lower()
    assert [a["id"] for a in mine["attachments"]] == [scene.public_file]
    assert mine["audit"] == [] and mine["next_events"] == []
    internal = f"{path}/attachments/{scene.internal_file}"
    assert client.get(internal, headers=scene.headers["carol"]).status_code == 404
    staff = client.get(path, headers=scene.headers["agent"]).json()
    assert "internal" in {m["visibility"] for m in staff["messages"]}
    assert client.get(internal, headers=scene.headers["compliance"]).content == b"risk score 97\n"
    r = client.post(f"{path}/messages", headers=scene.headers["carol"],
                    json={"body": "sneaky", "visibility": "internal"})
    assert r.status_code == 403


def test_compliance_reads_and_notes_but_does_not_move_cases(
    client: TestClient, scene: Scene, world: World
) -> None:
    compliance, path = scene.headers["compliance"], f"/api/v1/cases/{scene.daves}"
    assert client.get(path, headers=compliance).status_code == 200
    note = client.post(f"{path}/messages", headers=compliance,
                       json={"body": "Reviewed for the annual report", "visibility": "internal"})
    assert note.status_code == 201
    assert client.post(f"{path}/transitions", headers=compliance,
                       json={"event": "triage"}).status_code == 403
    assert client.post(f"{path}/assignment", headers=compliance,
                       json={"assignee_id": world.staff["compliance"].id}).status_code == 403


def test_handlers_take_cases_themselves_but_only_supervisors_assign_others(
    client: TestClient, scene: Scene, world: World
) -> None:
    path = f"/api/v1/cases/{scene.unrouted}/assignment"
    agent_id = world.staff["agent"].id
    r = client.post(path, headers=scene.headers["agent2"], json={"assignee_id": agent_id})
    assert r.status_code == 403
    r = client.post(path, headers=scene.headers["agent2"],
                    json={"assignee_id": world.staff["agent2"].id})
    assert r.status_code == 200 and r.json()["team_id"] == world.teams["wallets"]
    r = client.post(path, headers=scene.headers["supervisor"], json={"assignee_id": agent_id})
    assert r.status_code == 200 and r.json()["team_id"] == world.teams["trading"]
    # now routed to trading: agent2 no longer sees it at all
    assert client.get(f"/api/v1/cases/{scene.unrouted}",
                      headers=scene.headers["agent2"]).status_code == 404


def test_staff_views_are_audited_and_customer_views_are_not(
    client: TestClient, scene: Scene, world: World, session: Session
) -> None:
    def viewers() -> list[str]:
        session.rollback()
        return list(session.scalars(select(AuditEvent.actor).where(
            AuditEvent.chain == scene.owned, AuditEvent.action == "case.viewed"
        ).order_by(AuditEvent.seq)))

    assert viewers() == []
    client.get(f"/api/v1/cases/{scene.owned}", headers=scene.headers["carol"])
    assert viewers() == []
    for who in ("agent", "compliance", "agent"):
        client.get(f"/api/v1/cases/{scene.owned}", headers=scene.headers[who])
    agent, compliance = world.staff["agent"].id, world.staff["compliance"].id
    assert viewers() == [f"staff:{agent}", f"staff:{compliance}", f"staff:{agent}"]
    client.get(f"/api/v1/cases/{scene.owned}", headers=scene.headers["agent2"])  # 404: no view
    assert len(viewers()) == 3


def test_console_pages_refuse_anonymous_visitors(settings: Settings) -> None:
    app = create_app(settings)
    pages = [(p, r) for p, r in app_routes(app.routes)
             if p.startswith("/console") and "login" not in p]
    assert pages, "no console pages found: the route walk is broken"
    with TestClient(app, follow_redirects=False) as c:
        for template, route in pages:
            path = template
            for name in route.param_convertors:
                path = path.replace("{" + name + "}", "1" if "id" in name else "C-2026-000001")
            for method in sorted((route.methods or set()) - {"HEAD"}):
                r = c.request(method, path)
                if method == "GET":
                    assert r.status_code in (302, 303, 307, 401, 403), (method, path, r.text)
                    if r.is_redirect:
                        assert "login" in r.headers["location"], (path, r.headers["location"])
                else:
                    assert r.status_code >= 300 and r.status_code != 404, (method, path)
