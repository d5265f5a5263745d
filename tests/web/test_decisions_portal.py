"""The portal's decision: the letter and remedies, accept (twice changes nothing) or object
with new evidence before the deadline, the status after, and reopening within the window."""

from __future__ import annotations

import datetime as dt
import html

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ombud.cases.tables import Attachment, Case
from ombud.common.clock import utcnow
from ombud.disputes.tables import Objection
from ombud.jobs.tables import Job
from ombud.resolution import outcomes
from ombud.resolution import service as resolution
from ombud.resolution.tables import Proposal, Remedy
from tests.conftest import World
from tests.web.decisions import compensation, customer, ready_case, run_jobs
from tests.web.test_portal import csrf_of, png, sign_in


def _issued(world: World, session: Session, amount: str = "200",
            justification: str = "") -> str:
    """A case whose decision (compensation of ``amount`` USDT) was sent to carol."""
    ref, finding = ready_case(world, session)
    specialist = world.staff["specialist"]
    resolution.draft(session, specialist, ref, compensation(finding, amount, justification))
    resolution.submit(session, specialist, ref, resolution.Config.from_settings(world.settings))
    return ref


def test_the_customer_sees_the_letter_and_remedies_but_nothing_internal(
        client: TestClient, world: World, session: Session) -> None:
    ref = _issued(world, session, justification="Internal: the desk agreed to the full loss")
    sign_in(client, world, "carol")
    page = client.get(f"/portal/cases/{ref}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Our decision" in text and "Please tell us by" in text
    letter = session.scalars(select(Proposal.letter_body)).one()
    assert letter and letter.splitlines()[0] in text
    assert "Compensation</strong>: 200 USDT" in text and "offered" in text
    assert "Accept the decision" in text and "Send my objection" in text
    assert "Internal: the desk agreed" not in text and "precedent" not in text.lower()


def test_a_double_accept_carries_each_remedy_out_once_and_shows_the_status_after(
        client: TestClient, world: World, session: Session) -> None:
    ref = _issued(world, session)
    sign_in(client, world, "carol")
    url = f"/portal/cases/{ref}"
    page = client.get(url)
    assert "data-once" in page.text.split("decision/accept")[1][:200]  # disabled on submit
    token = csrf_of(page.text)
    first = client.post(f"{url}/decision/accept", data={"csrf": token})
    second = client.post(f"{url}/decision/accept", data={"csrf": token})
    assert first.status_code == second.status_code == 200
    assert "you accepted the decision" in first.text and "you accepted" in second.text
    assert session.scalar(select(func.count()).where(Job.kind == "resolution.execute")) == 1
    assert "being carried out" in second.text and "Accept the decision" not in second.text
    run_jobs(world.settings, session)
    page = client.get(url)
    assert "You accepted this decision" in page.text and "done " in page.text
    session.expire_all()
    assert session.scalars(select(Case.status)).one() == "resolved"
    assert session.scalars(select(Remedy.status)).one() == "executed"


def test_an_objection_keeps_its_text_when_refused_and_carries_new_evidence(
        client: TestClient, world: World, session: Session) -> None:
    ref = _issued(world, session)
    sign_in(client, world, "carol")
    url = f"/portal/cases/{ref}"
    token = csrf_of(client.get(url).text)
    r = client.post(f"{url}/decision/objection", data={"csrf": token, "body": "no"})
    assert r.status_code == 422 and "Write what you think is wrong" in r.text
    assert ">no</textarea>" in r.text
    r = client.post(f"{url}/decision/objection", data={
        "csrf": token, "body": "The delay also made me miss my re-entry."},
        files=[("files", ("chart.png", png(), "image/png"))])
    assert r.status_code == 200 and "Your objection is received" in r.text
    assert "You objected to this decision" in r.text and "Accept the decision" not in r.text
    assert session.scalars(select(Objection.body)).one().startswith("The delay also")
    assert session.scalars(select(Attachment.filename)).all() == ["chart.png"]
    assert session.scalars(select(Case.status)).one() == "objected"


def test_after_the_deadline_the_answer_forms_go_and_a_late_accept_is_refused(
        client: TestClient, world: World, session: Session) -> None:
    ref = _issued(world, session)
    session.execute(update(Proposal).values(respond_by=utcnow() - dt.timedelta(minutes=1)))
    session.commit()
    sign_in(client, world, "carol")
    url = f"/portal/cases/{ref}"
    page = client.get(url)
    assert "Accept the decision" not in page.text
    r = client.post(f"{url}/decision/accept", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 409 and "the time to answer this decision has passed" in r.text
    r = client.post(f"{url}/decision/objection", data={"csrf": csrf_of(page.text),
                                                      "body": "Too late?"})
    assert r.status_code == 409 and "the time to object passed" in r.text


def test_a_resolved_case_can_be_reopened_within_the_window_only(
        client: TestClient, world: World, session: Session) -> None:
    ref = _issued(world, session)
    outcomes.accept(session, customer(world, session), ref)
    run_jobs(world.settings, session)
    sign_in(client, world, "carol")
    url = f"/portal/cases/{ref}"
    page = client.get(url)
    assert "Reopen my case" in page.text and "You can reopen this case until" in page.text
    token = csrf_of(page.text)
    r = client.post(f"{url}/reopen", data={"csrf": token, "reason": " "})
    assert r.status_code == 422 and "say why the case should be reopened" in r.text
    r = client.post(f"{url}/reopen", data={"csrf": token, "reason": "The credit is short."})
    assert r.status_code == 200 and "Your case is reopened" in r.text
    session.expire_all()
    assert session.scalars(select(Case.status)).one() == "investigating"


def test_outside_the_window_there_is_no_reopen_button_and_a_reopen_is_refused(
        client: TestClient, world: World, session: Session) -> None:
    ref = _issued(world, session)
    outcomes.accept(session, customer(world, session), ref)
    run_jobs(world.settings, session)
    long_ago = utcnow() - dt.timedelta(days=world.settings.reopen_days + 1)
    session.execute(update(Proposal).values(answered_at=long_ago))
    session.execute(update(Remedy).values(executed_at=long_ago))
    session.commit()
    sign_in(client, world, "carol")
    url = f"/portal/cases/{ref}"
    page = client.get(url)
    assert "Reopen my case" not in page.text
    r = client.post(f"{url}/reopen", data={"csrf": csrf_of(page.text), "reason": "Again"})
    assert r.status_code == 409 and "the reopening window has passed" in r.text


def test_another_customer_cannot_answer_the_decision(
        client: TestClient, world: World, session: Session) -> None:
    ref = _issued(world, session)
    sign_in(client, world, "dave")
    token = csrf_of(client.get("/portal/cases").text)
    r = client.post(f"/portal/cases/{ref}/decision/accept", data={"csrf": token})
    assert r.status_code == 404
    assert session.scalars(select(Proposal.status)).one() == "issued"
