"""The customer portal: sign-in, filing with files, the case page, privacy and CSRF."""

from __future__ import annotations

import json
import re
import struct
import zlib

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.app import create_app
from ombud.cases import service as cases
from ombud.cases.schemas import MessageIn
from ombud.cases.tables import Case
from ombud.jobs.service import run_due
from ombud.jobs.tables import Job
from ombud.worker import handlers
from tests.conftest import World


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def png() -> bytes:
    """A real 1×1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def sign_in(client: TestClient, world: World, name: str) -> None:
    """Sign a customer in with an exchange-issued token."""
    r = client.get(f"/portal/login?token={world.customer_token(name)}")
    assert r.status_code == 200 and r.url.path == "/portal/cases", r.text


def file_case(client: TestClient, summary: str = "Deposit not credited",
              files: list[tuple[str, bytes]] | None = None, **fields: str) -> httpx.Response:
    """File a complaint through the form; returns the final response."""
    page = client.get("/portal/cases/new")
    key = re.search(r'name="key" value="([^"]+)"', page.text)
    assert key
    data = {"csrf": csrf_of(page.text), "key": key.group(1), "summary": summary,
            "description": "I sent 500 USDT on TRC20 and nothing arrived.",
            "desired_outcome": "Credit my deposit", "category": "deposit_withdrawal",
            "asset": "usdt", "amount": "500", "language": "en", **fields}
    upload = [("files", (name, content, "application/octet-stream"))
              for name, content in files or []]
    return client.post("/portal/cases", data=data, files=upload or None)


def reference_of(url_path: str) -> str:
    """The case reference at the end of a case page's path."""
    return url_path.rsplit("/", 1)[-1]


def test_landing_explains_filing_and_both_sign_ins(client: TestClient) -> None:
    r = client.get("/portal")
    assert r.status_code == 200
    assert "How it works" in r.text and "Email me a sign-in link" in r.text
    assert csrf_of(r.text)
    assert "ombud_pre" in r.cookies


def test_home_links_portal_and_console(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert 'href="/portal"' in r.text and 'href="/console"' in r.text


def test_token_login_sets_a_safe_session_cookie(client: TestClient, world: World) -> None:
    r = client.get(f"/portal/login?token={world.customer_token('carol')}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/portal/cases"
    cookie = next(v for v in r.headers.get_list("set-cookie") if v.startswith("ombud_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie


def test_cookie_is_secure_when_configured(world: World) -> None:
    cfg = world.settings.model_copy(update={"secure_cookies": True})
    with TestClient(create_app(cfg)) as c:
        r = c.get(f"/portal/login?token={world.customer_token('carol')}", follow_redirects=False)
    cookie = next(v for v in r.headers.get_list("set-cookie") if v.startswith("ombud_session="))
    assert "Secure" in cookie


def test_forged_token_is_refused_with_a_page(client: TestClient) -> None:
    r = client.get("/portal/login?token=forged.token")
    assert r.status_code == 401
    assert "text/html" in r.headers["content-type"]
    assert "ombud_session" not in r.cookies


def test_signed_out_customer_is_sent_to_the_landing_page(client: TestClient) -> None:
    r = client.get("/portal/cases", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/portal"


def test_file_a_complaint_with_files_and_see_the_acknowledgement(
    client: TestClient, world: World, session: Session,
) -> None:
    sign_in(client, world, "carol")
    r = file_case(client, files=[("receipt.png", png()), ("setup.exe", b"MZ\x90\x00" * 64)])
    assert r.status_code == 200 and r.url.path.startswith("/portal/cases/C-")
    reference = reference_of(r.url.path)
    assert f"Your complaint {reference} is filed" in r.text
    assert "A file was not attached" in r.text and "setup.exe" in r.text
    assert "receipt.png" in r.text
    assert "I sent 500 USDT on TRC20" in r.text

    run_due(session, "test", handlers(world.settings))
    page = client.get(f"/portal/cases/{reference}")
    assert "Thank you for contacting us" in page.text
    assert "Our answer is due by" in page.text

    download = re.search(rf'href="(/portal/cases/{reference}/attachments/\d+)"', page.text)
    assert download
    got = client.get(download.group(1))
    assert got.content == png()
    assert got.headers["content-type"] == "application/octet-stream"

    listing = client.get("/portal/cases")
    assert reference in listing.text and "Deposit not credited" in listing.text


def test_invalid_complaint_is_shown_again_with_what_was_typed(
    client: TestClient, world: World, session: Session,
) -> None:
    sign_in(client, world, "carol")
    r = file_case(client, summary="x", amount="lots")
    assert r.status_code == 422
    assert "Please check the form" in r.text
    assert "I sent 500 USDT on TRC20 and nothing arrived." in r.text
    assert 'value="lots"' in r.text
    assert session.scalars(select(Case)).first() is None


def test_a_resubmitted_form_files_one_case(
    client: TestClient, world: World, session: Session,
) -> None:
    sign_in(client, world, "carol")
    page = client.get("/portal/cases/new")
    key = re.search(r'name="key" value="([^"]+)"', page.text)
    assert key
    data = {"csrf": csrf_of(page.text), "key": key.group(1), "summary": "Twice submitted"}
    first = client.post("/portal/cases", data=data)
    second = client.post("/portal/cases", data=data)
    assert first.url.path == second.url.path
    assert len(list(session.scalars(select(Case)))) == 1


def test_customer_cannot_open_another_customers_case(
    client: TestClient, world: World,
) -> None:
    sign_in(client, world, "carol")
    reference = reference_of(file_case(client, files=[("a.png", png())]).url.path)
    with TestClient(create_app(world.settings)) as other:
        sign_in(other, world, "dave")
        assert other.get(f"/portal/cases/{reference}").status_code == 404
        assert other.get(f"/portal/cases/{reference}/attachments/1").status_code == 404
        assert reference not in other.get("/portal/cases").text
        page = other.get("/portal/cases")
        r = other.post(f"/portal/cases/{reference}/messages",
                       data={"csrf": csrf_of(page.text), "body": "hello"})
        assert r.status_code == 404


def test_internal_notes_never_reach_the_customer(
    client: TestClient, world: World, session: Session,
) -> None:
    sign_in(client, world, "carol")
    reference = reference_of(file_case(client).url.path)
    agent = world.staff["agent"]
    cases.add_message(session, agent, reference, MessageIn(body="We are checking the chain."))
    cases.add_message(session, agent, reference,
                      MessageIn(body="SECRET: customer looks like a repeat", visibility="internal"))
    page = client.get(f"/portal/cases/{reference}")
    assert "We are checking the chain." in page.text
    assert "SECRET" not in page.text and "Internal" not in page.text


def test_customer_reply_appears_and_empty_reply_is_refused_in_place(
    client: TestClient, world: World,
) -> None:
    sign_in(client, world, "carol")
    reference = reference_of(file_case(client).url.path)
    page = client.get(f"/portal/cases/{reference}")
    r = client.post(f"/portal/cases/{reference}/messages",
                    data={"csrf": csrf_of(page.text), "body": "Here is the txid: 9f3c"})
    assert r.status_code == 200 and "Your message was sent." in r.text
    assert "Here is the txid: 9f3c" in r.text
    empty = client.post(f"/portal/cases/{reference}/messages",
                        data={"csrf": csrf_of(page.text), "body": "   "})
    assert empty.status_code == 422 and "Write a message first." in empty.text


def test_upload_more_files_on_the_case_page(client: TestClient, world: World) -> None:
    sign_in(client, world, "carol")
    reference = reference_of(file_case(client).url.path)
    page = client.get(f"/portal/cases/{reference}")
    r = client.post(f"/portal/cases/{reference}/attachments", data={"csrf": csrf_of(page.text)},
                    files=[("files", ("statement.png", png(), "image/png"))])
    assert "statement.png is attached." in r.text
    bad = client.post(f"/portal/cases/{reference}/attachments", data={"csrf": csrf_of(page.text)},
                      files=[("files", ("run.pdf", b"MZ\x90\x00" * 64, "application/pdf"))])
    assert "A file was not attached" in bad.text


def test_posts_without_the_right_csrf_token_are_refused(
    client: TestClient, world: World, session: Session,
) -> None:
    sign_in(client, world, "carol")
    data = {"summary": "Forged from another site"}
    assert client.post("/portal/cases", data=data).status_code == 403
    assert client.post("/portal/cases", data={**data, "csrf": "x" * 43}).status_code == 403
    assert client.post("/portal/logout", data={}).status_code == 403
    assert session.scalars(select(Case)).first() is None


def test_csrf_token_of_one_session_does_not_work_in_another(
    client: TestClient, world: World,
) -> None:
    sign_in(client, world, "carol")
    token = csrf_of(client.get("/portal/cases/new").text)
    sign_in(client, world, "carol")  # a new session, a new nonce
    r = client.post("/portal/cases", data={"csrf": token, "summary": "Old token"})
    assert r.status_code == 403


def test_magic_link_signs_in_once(client: TestClient, world: World, session: Session) -> None:
    landing = client.get("/portal")
    r = client.post("/portal/magic", data={"csrf": csrf_of(landing.text),
                                           "email": "Erin@Example.com"})
    assert r.status_code == 200 and "We sent a sign-in link to Erin@Example.com" in r.text
    job = session.scalars(select(Job).where(Job.kind == "notify.email")).one()
    link = re.search(r"/portal/magic/(\S+)", json.loads(job.payload)["body"])
    assert link
    confirm = client.get(f"/portal/magic/{link.group(1)}")
    assert confirm.status_code == 200 and "ombud_session" not in client.cookies
    signed_in = client.post(f"/portal/magic/{link.group(1)}", data={"csrf": csrf_of(confirm.text)})
    assert signed_in.url.path == "/portal/cases" and "You are signed in." in signed_in.text
    again = client.post(f"/portal/magic/{link.group(1)}",
                        data={"csrf": csrf_of(client.get("/portal/cases").text)})
    assert again.status_code == 401


def test_bad_email_keeps_the_input_and_says_why(client: TestClient) -> None:
    landing = client.get("/portal")
    r = client.post("/portal/magic", data={"csrf": csrf_of(landing.text), "email": "not-an-email"})
    assert r.status_code == 422
    assert "is not an email address" in r.text and 'value="not-an-email"' in r.text


def test_sign_out_ends_the_portal_session(client: TestClient, world: World) -> None:
    sign_in(client, world, "carol")
    page = client.get("/portal/cases")
    r = client.post("/portal/logout", data={"csrf": csrf_of(page.text)})
    assert r.url.path == "/portal" and "You are signed out." in r.text
    assert client.get("/portal/cases", follow_redirects=False).status_code == 303
