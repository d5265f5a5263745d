"""The agent console: sign-in and lockout, the queue, the case page's forms, the jobs page."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.app import create_app
from ombud.cases import filing
from ombud.cases import service as cases
from ombud.cases.lifecycle import Event
from ombud.cases.schemas import AssignIn, CaseIn, CaseOut, MessageIn, TransitionIn
from ombud.cases.tables import Case
from ombud.cases.taxonomy import Category
from ombud.jobs import service as jobs
from ombud.jobs.tables import Job
from ombud.security.permissions import SYSTEM
from tests.conftest import PASSWORD, TOTP, World


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def log_in(client: TestClient, username: str, password: str = PASSWORD,
           code: str | None = None) -> httpx.Response:
    """Submit the sign-in form; returns the final response."""
    form = client.get("/console/login")
    return client.post("/console/login", data={
        "csrf": csrf_of(form.text), "username": username, "password": password,
        "code": code or pyotp.TOTP(TOTP).now()})


def open_case(session: Session, summary: str, uid: str = "UID-CAROL-1", **extra: object) -> CaseOut:
    """A case filed by staff for a customer."""
    case, _ = filing.open_case(session, SYSTEM, CaseIn(
        summary=summary, description=f"About: {summary}", customer_uid=uid, **extra))
    return case


def refs(html: str) -> list[str]:
    """Case references linked from a queue page, in order."""
    return re.findall(r'href="/console/cases/(C-\d{4}-\d+)"', html)


def test_signed_out_staff_are_sent_to_sign_in(client: TestClient) -> None:
    r = client.get("/console", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/login"


def test_wrong_code_is_shown_on_the_form_with_the_username_kept(
    client: TestClient, world: World,
) -> None:
    r = log_in(client, "agent", code="000000")
    assert r.status_code == 401
    assert "wrong username, password or code" in r.text and 'value="agent"' in r.text
    assert "ombud_session" not in client.cookies


def test_sign_in_opens_the_queue(client: TestClient, world: World) -> None:
    r = log_in(client, "agent")
    assert r.status_code == 200 and r.url.path == "/console"
    assert "Agent" in r.text and "Sign out" in r.text


def test_lockout_is_shown(client: TestClient, world: World) -> None:
    for _ in range(world.settings.login_max_failures):
        assert log_in(client, "agent", password="wrong-password").status_code == 401
    r = log_in(client, "agent")
    assert r.status_code == 401 and "locked" in r.text


def test_rate_limit_is_shown(world: World) -> None:
    cfg = world.settings.model_copy(update={"login_rate_per_minute": 2})
    with TestClient(create_app(cfg)) as c:
        log_in(c, "agent", code="000000")
        log_in(c, "agent", code="000000")
        r = log_in(c, "agent")
    assert r.status_code == 429 and "too many sign-in attempts" in r.text


def test_login_form_needs_its_csrf_token(client: TestClient, world: World) -> None:
    r = client.post("/console/login", data={
        "username": "agent", "password": PASSWORD, "code": pyotp.TOTP(TOTP).now()})
    assert r.status_code == 403 and "ombud_session" not in client.cookies


def test_queue_filters(client: TestClient, world: World, session: Session) -> None:
    fees = open_case(session, "Fee charged twice", category=Category.FEES)
    wallet = open_case(session, "Withdrawal stuck", category=Category.DEPOSIT_WITHDRAWAL)
    theft = open_case(session, "Account drained", category=Category.ACCOUNT_SECURITY)
    cases.assign(session, SYSTEM, wallet.reference, AssignIn(team_id=world.teams["wallets"]))
    cases.assign(session, SYSTEM, fees.reference,
                 AssignIn(assignee_id=world.staff["supervisor"].id))
    row = session.scalars(select(Case).where(Case.reference == theft.reference)).one()
    row.priority = "urgent"
    session.commit()
    log_in(client, "supervisor")

    everything = refs(client.get("/console").text)
    assert set(everything) == {fees.reference, wallet.reference, theft.reference}
    assert refs(client.get("/console?category=fees").text) == [fees.reference]
    assert refs(client.get(f"/console?team={world.teams['wallets']}").text) == [wallet.reference]
    assert refs(client.get("/console?assignee=mine").text) == [fees.reference]
    assert refs(client.get("/console?priority=urgent").text) == [theft.reference]
    assert refs(client.get("/console?q=drained").text) == [theft.reference]
    assert refs(client.get(f"/console?q={wallet.reference}").text) == [wallet.reference]
    cases.apply_transition(session, SYSTEM, fees.reference, TransitionIn(event=Event.TRIAGE))
    cases.apply_transition(session, SYSTEM, wallet.reference,
                           TransitionIn(event=Event.REJECT, reason="spam"))
    both = refs(client.get("/console?status=triaged&status=rejected").text)
    assert set(both) == {fees.reference, wallet.reference}
    page = client.get("/console?status=triaged&status=rejected")
    assert page.text.count(" checked") == 2  # the filter form shows what was chosen
    bad = client.get("/console?status=nonsense")
    assert bad.status_code == 422 and "unknown status" in bad.text


def test_queue_sort_and_next_page(client: TestClient, world: World, session: Session) -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    made = []
    for i in range(55):
        case, _ = filing.open_case(session, SYSTEM, CaseIn(
            summary=f"Complaint number {i}", customer_uid="UID-CAROL-1"),
            received_at=start + dt.timedelta(hours=i))
        made.append(case.reference)
    log_in(client, "supervisor")

    first = client.get("/console?sort=received")
    page1 = refs(first.text)
    assert page1 == list(reversed(made))[:50]
    link = re.search(r'href="(/console\?[^"]*cursor=[^"]+)"', first.text)
    assert link, "no next-page link"
    second = client.get(link.group(1).replace("&amp;", "&"))
    assert refs(second.text) == list(reversed(made))[50:]
    assert "cursor=" not in second.text.split("</table>")[1]

    due_first = refs(client.get("/console?sort=due").text)
    assert due_first == made[:50]


def test_case_page_shows_everything_and_its_forms_work(
    client: TestClient, world: World, session: Session,
) -> None:
    case = open_case(session, "Market order slipped", asset="USDT", amount="40")
    cases.add_message(session, world.staff["specialist"], case.reference,
                      MessageIn(body="Checked the book replay.", visibility="internal"))
    log_in(client, "agent")
    page = client.get(f"/console/cases/{case.reference}")
    assert page.status_code == 200
    text = page.text
    assert "Market order slipped" in text and "About: Market order slipped" in text
    assert "40 USDT" in text and "#1" in text
    assert 'class="msg msg-note internal"' in text and "Internal note" in text
    assert "Checked the book replay." in text
    assert "case.opened" in text  # the audit trail
    assert "not stated yet: the acknowledgement asked" in text  # no desired outcome given
    assert 'value="start_investigation"' not in text and 'value="triage"' in text
    assert 'value="resolve_by_incident"' not in text  # only an incident's closing does that
    token = csrf_of(text)
    url = f"/console/cases/{case.reference}"

    r = client.post(f"{url}/messages", data={"csrf": token, "body": "We are on it."})
    assert "Reply sent." in r.text and "We are on it." in r.text
    r = client.post(f"{url}/messages", data={"csrf": token, "body": "Looks like a wick.",
                                             "visibility": "internal"})
    assert "Note added." in r.text and "Looks like a wick." in r.text
    r = client.post(f"{url}/assignment", data={"csrf": token, "assignee": "me"})
    assert "You took the case." in r.text
    row = session.scalars(select(Case).where(Case.reference == case.reference)).one()
    session.refresh(row)
    assert row.assignee_id == world.staff["agent"].id
    assert row.team_id == world.teams["trading"]
    r = client.post(f"{url}/transitions", data={"csrf": token, "event": "triage",
                                                "reason": "complete"})
    assert "The case is now triaged." in r.text
    r = client.post(f"{url}/attachments", data={"csrf": token},
                    files=[("files", ("note.txt", b"order id 123\n", "text/plain"))])
    assert "Attached note.txt." in r.text
    download = re.search(rf'href="({url}/attachments/\d+)"', r.text)
    assert download and client.get(download.group(1)).content == b"order id 123\n"


def test_refused_actions_show_the_reason_and_keep_the_input(
    client: TestClient, world: World, session: Session,
) -> None:
    case = open_case(session, "Spam?")
    log_in(client, "agent")
    url = f"/console/cases/{case.reference}"
    token = csrf_of(client.get(url).text)
    r = client.post(f"{url}/transitions", data={"csrf": token, "event": "reject", "reason": ""})
    assert r.status_code == 409 and "reject needs a reason" in r.text
    r = client.post(f"{url}/transitions", data={"csrf": token, "event": "close",
                                                "reason": "keep me"})
    assert r.status_code == 409 and "keep me" in r.text
    r = client.post(f"{url}/messages", data={"csrf": token, "body": " "})
    assert r.status_code == 422
    r = client.post(f"{url}/assignment", data={"csrf": token,
                                               "assignee": str(world.staff["agent2"].id)})
    assert r.status_code == 403 and "your role may not assign" in r.text
    r = client.post(f"{url}/attachments", data={"csrf": token},
                    files=[("files", ("x.exe", b"MZ\x90\x00" * 64, "application/pdf"))])
    assert r.status_code == 415 and "x.exe" in r.text


def test_console_posts_need_the_csrf_token(
    client: TestClient, world: World, session: Session,
) -> None:
    case = open_case(session, "CSRF target")
    log_in(client, "agent")
    url = f"/console/cases/{case.reference}"
    assert client.post(f"{url}/transitions", data={"event": "triage"}).status_code == 403
    assert client.post(f"{url}/messages", data={"csrf": "nope", "body": "x"}).status_code == 403
    row = session.scalars(select(Case).where(Case.reference == case.reference)).one()
    assert row.status == "received"


def test_agent_of_another_team_gets_not_found(
    client: TestClient, world: World, session: Session,
) -> None:
    case = open_case(session, "Trading team only")
    cases.assign(session, SYSTEM, case.reference, AssignIn(team_id=world.teams["trading"]))
    log_in(client, "agent2")
    assert client.get(f"/console/cases/{case.reference}").status_code == 404
    assert case.reference not in client.get("/console").text


def test_jobs_page_shows_parked_errors_and_retries(
    client: TestClient, world: World, session: Session,
) -> None:
    jobs.enqueue(session, "no.such.kind", {}, "broken:1")
    jobs.run_due(session, "test", {})
    log_in(client, "agent")
    assert client.get("/console/jobs").status_code == 403
    client.post("/console/logout", data={"csrf": csrf_of(client.get("/console").text)})
    log_in(client, "admin")
    page = client.get("/console/jobs")
    assert "no handler for job kind" in page.text and "broken:1" in page.text
    r = client.post(re.search(r'action="(/console/jobs/\d+/retry)"', page.text).group(1),
                    data={"csrf": csrf_of(page.text)})
    assert "is queued again" in r.text
    job = session.scalars(select(Job).where(Job.key == "broken:1")).one()
    session.refresh(job)
    assert job.status == "queued"
    assert "broken:1" in client.get("/console/jobs?status=queued").text


def test_sign_out(client: TestClient, world: World) -> None:
    page = log_in(client, "agent")
    r = client.post("/console/logout", data={"csrf": csrf_of(page.text)})
    assert r.url.path == "/console/login" and "You are signed out." in r.text
    assert client.get("/console", follow_redirects=False).status_code == 303
