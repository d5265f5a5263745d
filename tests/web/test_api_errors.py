"""The API's error contract: RFC 9457 problem+json, size and media limits, a database that
fails (503, nothing half-written), and no stray 5xx for odd bodies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import event, func, select
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ombud.app import create_app
from ombud.cases import queries
from ombud.cases.tables import Case, CaseCounter, IdempotencyKey, Message
from ombud.config import Settings
from ombud.jobs.tables import Job
from ombud.security import service as security
from ombud.security import tokens
from tests.conftest import World

JSON = {"content-type": "application/json"}
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/ombud_unreachable"


def assert_problem(r: Response, status: int) -> dict[str, Any]:
    """``r`` is an RFC 9457 problem with ``status``; returns its body."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert {"type", "title", "status", "detail", "instance"} <= body.keys()
    assert body["status"] == status and body["title"] and body["detail"]
    assert body["instance"] == r.request.url.path
    return body


def pointers(body: dict[str, Any]) -> set[str]:
    """The JSON pointers of a problem's field errors."""
    return {e["pointer"] for e in body.get("errors", [])}


def count(session: Session, table: Any) -> int:
    """Rows of ``table`` as committed now."""
    session.rollback()
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


@pytest.fixture
def carol(world: World) -> dict[str, str]:
    """Carol's API headers."""
    return world.headers("carol")


def test_field_errors_are_problems_with_json_pointers(client: TestClient, carol: dict[str, str]
                                                      ) -> None:
    r = client.post("/api/v1/cases", headers=carol, json={"summary": "", "asset": "$$$",
                                                          "surprise": 1})
    body = assert_problem(r, 422)
    assert pointers(body) == {"#/summary", "#/asset", "#/surprise"}
    r = client.get("/api/v1/cases", headers=carol, params={"status": "nonsense", "limit": 0})
    assert pointers(assert_problem(r, 422)) == {"#/status/0", "#/limit"}


def test_a_domain_refusal_points_at_its_field(client: TestClient, carol: dict[str, str]) -> None:
    r = client.post("/api/v1/cases", headers=carol, json={"summary": "Lost", "amount": "3"})
    assert pointers(assert_problem(r, 422)) == {"#/asset"}


@pytest.mark.parametrize(("payload", "expected"), [
    (b'{"summary": ', 422), (b"[1, 2]", 422), (b'"just a string"', 422), (b"", 422),
    (b'{"summary": "caf\xe9 \xff\xfe"}', 400),
])
def test_malformed_bodies_are_4xx_problems(
    client: TestClient, carol: dict[str, str], payload: bytes, expected: int
) -> None:
    r = client.post("/api/v1/cases", headers={**carol, **JSON}, content=payload)
    body = assert_problem(r, expected)
    if expected == 422:
        assert pointers(body) == {"#"}


@pytest.mark.parametrize("text", ["nul\x00byte", "lone \ud800 surrogate"])
def test_text_no_database_can_store_is_refused(
    client: TestClient, carol: dict[str, str], text: str, session: Session
) -> None:
    payload = json.dumps({"summary": text}).encode()  # sent escaped, as JSON allows
    r = client.post("/api/v1/cases", headers={**carol, **JSON}, content=payload)
    assert pointers(assert_problem(r, 422)) == {"#/summary"}
    if "\x00" in text:  # (a client cannot put a lone surrogate in a URL)
        r = client.get("/api/v1/cases", headers=carol, params={"q": text})
        assert pointers(assert_problem(r, 422)) == {"#/q"}
    assert count(session, Case) == 0


def test_wrong_media_types_are_415(client: TestClient, carol: dict[str, str]) -> None:
    r = client.post("/api/v1/cases", headers=carol, data={"summary": "form post"})
    assert_problem(r, 415)
    r = client.post("/api/v1/cases", headers={**carol, "content-type": "text/plain"},
                    content=b'{"summary": "typed as text"}')
    assert_problem(r, 415)
    ref = client.post("/api/v1/cases", headers=carol, json={"summary": "Real"}).json()["reference"]
    r = client.post(f"/api/v1/cases/{ref}/attachments", headers=carol, json={"file": "x"})
    assert_problem(r, 415)
    r = client.post(f"/api/v1/cases/{ref}/messages", headers=carol, content=b"hello")
    assert_problem(r, 415)


def test_oversized_json_body_is_413_declared_or_streamed(
    client: TestClient, carol: dict[str, str], settings: Settings, session: Session
) -> None:
    big = b'{"summary": "big", "description": "' + b"x" * settings.max_json_bytes + b'"}'
    assert_problem(client.post("/api/v1/cases", headers={**carol, **JSON}, content=big), 413)

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(big), 16_384):
            yield big[i:i + 16_384]

    r = client.post("/api/v1/cases", headers={**carol, **JSON}, content=chunks())
    assert r.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in r.request.headers
    assert_problem(r, 413)
    assert count(session, Case) == 0


def test_oversized_file_is_413(settings: Settings, world: World) -> None:
    small = settings.model_copy(update={"max_attachment_bytes": 1_000})
    with TestClient(create_app(small)) as c:
        carol = world.headers("carol")
        ref = c.post("/api/v1/cases", headers=carol, json={"summary": "Files"}).json()["reference"]
        ok = c.post(f"/api/v1/cases/{ref}/attachments", headers=carol,
                    files={"file": ("a.txt", b"a" * 1_000, "text/plain")})
        assert ok.status_code == 201, ok.text
        r = c.post(f"/api/v1/cases/{ref}/attachments", headers=carol,
                   files={"file": ("b.txt", b"b" * 1_001, "text/plain")})
        assert pointers(assert_problem(r, 413)) == {"#/file"}
        huge = c.post(f"/api/v1/cases/{ref}/attachments", headers=carol,
                      files={"file": ("c.txt", b"c" * 2_000_000, "text/plain")})
        assert_problem(huge, 413)  # past the upload body limit: refused while streaming in


def test_unknown_paths_and_methods_are_problems(client: TestClient, carol: dict[str, str]
                                                 ) -> None:
    assert_problem(client.get("/api/v1/nothing-here", headers=carol), 404)
    assert_problem(client.delete("/api/v1/cases", headers=carol), 405)
    assert_problem(client.get("/api/v1/cases/not-a-reference", headers=carol), 422)


def test_anonymous_and_forged_tokens_are_401(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/cases"), 401)
    assert_problem(client.get("/api/v1/cases", headers={"Authorization": "Bearer abc.def"}), 401)
    latin = {"Authorization": "Bearer \u00e9t\u00e9".encode("latin-1")}
    assert_problem(client.get("/api/v1/me", headers=latin), 401)


def test_cookie_writes_need_the_csrf_header(
    client: TestClient, world: World, carol: dict[str, str], settings: Settings
) -> None:
    me = client.get("/api/v1/me", headers=carol).json()
    cookie = security.customer_session_token(settings, me["id"])
    client.cookies.set("ombud_session", cookie)
    try:
        assert client.get("/api/v1/cases").status_code == 200
        forged = client.post("/api/v1/cases", json={"summary": "Cross-site"})
        assert_problem(forged, 403)
        nonce = str(security.session_payload(settings, cookie)["n"])
        csrf = {"X-CSRF-Token": tokens.csrf_token(settings.secret_key, nonce)}
        assert client.post("/api/v1/cases", headers=csrf, json={"summary": "Same-site"}
                           ).status_code == 201
    finally:
        client.cookies.clear()


def _fail_on(app: Any, table: str, exc: Exception) -> None:
    """Make every INSERT into ``table`` through the app's engine raise ``exc``."""

    @event.listens_for(app.state.engine, "before_cursor_execute")
    def _boom(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()}"):
            raise exc


def test_database_failing_mid_create_is_503_and_nothing_is_half_written(
    settings: Settings, world: World, session: Session
) -> None:
    app = create_app(settings)
    carol = {**world.headers("carol"), "Idempotency-Key": "k-1"}
    payload = {"summary": "Deposit missing", "description": "Sent 2 ETH yesterday"}
    with TestClient(app) as c:
        assert c.get("/api/v1/me", headers=carol).status_code == 200  # customer registered
        before = {t: count(session, t) for t in (Case, Job, Message, IdempotencyKey)}
        _fail_on(app, "audit_events", OperationalError("INSERT", {}, Exception("server gone")))
        r = c.post("/api/v1/cases", headers=carol, json=payload)
        assert_problem(r, 503)
        assert r.headers["Retry-After"].isdigit()
        assert {t: count(session, t) for t in before} == before
        assert all(row.value == 0 for row in session.scalars(select(CaseCounter)))
    with TestClient(create_app(settings)) as c:  # the database is back: the retry succeeds
        r = c.post("/api/v1/cases", headers=carol, json=payload)
        assert r.status_code == 201, r.text
        assert r.json()["reference"].endswith("-000001")  # the failed number was given back


@pytest.mark.parametrize(("exc", "status"), [
    (OperationalError("INSERT", {}, Exception("connection reset")), 503),
    (IntegrityError("INSERT", {}, Exception("duplicate key")), 409),
    (DataError("INSERT", {}, Exception("value out of range")), 422),
])
def test_database_errors_never_become_500(
    settings: Settings, world: World, exc: Exception, status: int
) -> None:
    app = create_app(settings)
    carol = world.headers("carol")
    with TestClient(app, raise_server_exceptions=False) as c:
        ref = c.post("/api/v1/cases", headers=carol, json={"summary": "x" * 5}).json()["reference"]
        _fail_on(app, "messages", exc)
        r = c.post(f"/api/v1/cases/{ref}/messages", headers=carol, json={"body": "more"})
        assert_problem(r, status)


def test_unreachable_database_is_503_on_create_and_readyz(settings: Settings) -> None:
    down = settings.model_copy(update={"database_url": UNREACHABLE, "db_pool_size": 1})
    carol = {"Authorization": "Bearer " + tokens.customer_token(
        down.customer_token_secret, "UID-CAROL-1")}
    with TestClient(create_app(down), raise_server_exceptions=False) as c:
        r = c.post("/api/v1/cases", headers=carol, json={"summary": "Anyone there?"})
        assert_problem(r, 503)
        assert r.headers["Retry-After"].isdigit()
        ready = c.get("/readyz")
        assert ready.status_code == 503 and ready.headers["Retry-After"].isdigit()


def test_an_unexpected_error_is_a_500_problem_not_a_stack_trace(
    client: TestClient, carol: dict[str, str], monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    def _broken(*_: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(queries, "list_cases", _broken)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        r = c.get("/api/v1/cases", headers=carol)
    body = assert_problem(r, 500)
    assert "secret internals" not in r.text and "Traceback" not in body["detail"]
