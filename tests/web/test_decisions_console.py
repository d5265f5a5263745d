"""The console's decision panel: policy, precedents and suggestion; drafting with errors kept on
the form; four-eyes approval; objections re-reviewed by someone else; remedies' execution,
cancelling and closing; the approvals queue and the policy page."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud.disputes import service as disputes
from ombud.jobs.tables import Job
from ombud.resolution import outcomes, policies
from ombud.resolution import service as resolution
from ombud.resolution.policy import RemedyKind
from ombud.resolution.schemas import ObjectionIn, RemedyIn
from ombud.resolution.tables import PolicyVersion, Proposal, Remedy
from tests.conftest import World
from tests.web.decisions import compensation, customer, decided, ready_case, run_jobs
from tests.web.test_console import csrf_of, log_in


def _text(page: str) -> str:
    """The page's text with tags dropped and entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _draft_form(csrf: str, finding: int, amount: str, justification: str = "",
                reason: str = "The replay shows a 1.2 s delay.") -> dict[str, object]:
    return {"csrf": csrf, "outcome": "upheld", "summary": "Filled late by our fault.",
            "justification": justification,
            "point": ["The order filled late", ""], "point_finding": [str(finding), ""],
            "point_upheld": ["yes", "no"], "point_reason": [reason, ""],
            "remedy_kind": ["compensation", ""], "remedy_clause": ["TD-1", ""],
            "remedy_asset": ["usdt", ""], "remedy_amount": [amount, ""],
            "remedy_usd": ["", ""], "remedy_finding": [str(finding), ""],
            "remedy_note": ["", ""]}


def _cfg(world: World) -> resolution.Config:
    return resolution.Config.from_settings(world.settings)


def test_the_panel_shows_policy_suggestion_and_precedents_with_their_range(
        client: TestClient, world: World, session: Session) -> None:
    earlier = decided(world, session, loss="180", paid="180")
    ref, finding = ready_case(world, session, loss="200")
    log_in(client, "specialist")
    page = client.get(f"/console/cases/{ref}")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Policy version 1, the one in effect" in text
    assert "Compensation of 200 USDT · clause TD-1 · finding #" in text
    assert f'href="/console/cases/{earlier}"' in page.text
    assert "Remedy/loss ratios of these cases: 1 to 1 " in text
    # the form starts from the suggestion: the finding answers the point, TD-1 pays the loss
    assert re.search(rf'<option value="{finding}" selected>#{finding} platform', page.text)
    assert 'name="remedy_amount" value="200"' in page.text


def test_a_refused_draft_keeps_everything_typed_and_a_justified_one_needs_an_approver(
        client: TestClient, world: World, session: Session) -> None:
    decided(world, session)
    ref, finding = ready_case(world, session)
    log_in(client, "specialist")
    url = f"/console/cases/{ref}"
    token = csrf_of(client.get(url).text)
    typed = "Delay measured on the replay; the customer lost more than the fill shows."
    r = client.post(f"{url}/decision", data=_draft_form(token, finding, "600", reason=typed))
    assert r.status_code == 422
    assert "similar decided cases got 100.00% to 100.00%" in r.text
    assert "write a justification" in r.text
    assert typed in r.text and 'name="remedy_amount" value="600"' in r.text
    assert session.scalar(select(func.count()).select_from(Proposal)) == 1  # the precedent's

    r = client.post(f"{url}/decision", data=_draft_form(
        token, finding, "600", "Three times the loss: the customer also missed a re-entry."))
    assert r.status_code == 200 and "Draft saved (revision 1)" in r.text
    text = _text(r.text)
    assert "above the specialist limit of 500 USD" in text
    assert "Submit for approval" in text and "Approve and send" not in text
    r = client.post(f"{url}/decision/submit", data={"csrf": token})
    assert "Sent for approval." in r.text and "Waiting for an approver other than you" in r.text


def test_bad_amounts_and_assets_are_shown_on_the_form(
        client: TestClient, world: World, session: Session) -> None:
    ref, finding = ready_case(world, session)
    log_in(client, "specialist")
    url = f"/console/cases/{ref}"
    token = csrf_of(client.get(url).text)
    r = client.post(f"{url}/decision", data=_draft_form(token, finding, "-5"))
    assert r.status_code == 422 and "remedy 1 amount: Input should be greater than 0" in r.text
    assert 'name="remedy_amount" value="-5"' in r.text
    form = _draft_form(token, finding, "200")
    form["remedy_asset"] = ["BTC", ""]
    r = client.post(f"{url}/decision", data=form)
    assert r.status_code == 422 and "the loss was in USDT" in html.unescape(r.text)
    form["remedy_asset"] = ["DOGE", ""]
    r = client.post(f"{url}/decision", data=form)
    assert r.status_code == 422 and "does not pay remedies in DOGE" in r.text
    assert session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_the_proposer_cannot_approve_and_another_approver_issues_the_letter(
        client: TestClient, world: World, session: Session) -> None:
    decided(world, session)
    ref, finding = ready_case(world, session)
    approver = world.staff["approver"]  # within their limit, outside the precedents
    resolution.draft(session, approver, ref, compensation(finding, "600", "Missed re-entry"))
    resolution.submit(session, approver, ref, _cfg(world))
    log_in(client, "approver")
    url = f"/console/cases/{ref}"
    page = client.get(url)
    assert "Approve and send" not in page.text
    r = client.post(f"{url}/decision/approve", data={"csrf": csrf_of(page.text), "note": "ok"})
    assert r.status_code == 403 and "nobody approves their own proposal" in r.text
    assert client.get("/console/approvals").text.count(ref) == 0

    other = TestClient(client.app)
    log_in(other, "supervisor")
    queue = other.get("/console/approvals")
    assert queue.status_code == 200 and ref in queue.text and "similar decided cases got" in (
        queue.text)
    page = other.get(url)
    assert "Approve and send" in page.text
    r = other.post(f"{url}/decision/approve", data={"csrf": csrf_of(page.text), "note": ""})
    assert r.status_code == 200 and "Approved; the decision letter is sent" in r.text
    assert "Letter as sent:" in r.text and "TD-1" in r.text
    assert "Approved by Supervisor" in _text(r.text)


def test_refusing_needs_a_note_and_sends_the_draft_back(
        client: TestClient, world: World, session: Session) -> None:
    ref, finding = ready_case(world, session)
    specialist = world.staff["specialist"]
    resolution.draft(session, specialist, ref, compensation(finding, "600", "Missed re-entry"))
    resolution.submit(session, specialist, ref, _cfg(world))
    log_in(client, "approver")
    url = f"/console/cases/{ref}"
    token = csrf_of(client.get(url).text)
    r = client.post(f"{url}/decision/refuse", data={"csrf": token, "note": ""})
    assert r.status_code == 422 and "say why the proposal is refused" in r.text
    r = client.post(f"{url}/decision/refuse", data={"csrf": token, "note": "Pay the loss only"})
    assert r.status_code == 200 and "Refused; the proposal is back" in r.text
    assert "Refused by Approver · " in _text(r.text)
    session.expire_all()
    assert session.scalars(select(Proposal.status)).one() == "draft"


def test_generic_transitions_offer_no_decision_event_and_refuse_one(
        client: TestClient, world: World, session: Session) -> None:
    ref, _ = ready_case(world, session)
    log_in(client, "specialist")
    url = f"/console/cases/{ref}"
    page = client.get(url)
    steps = re.findall(r'<option value="([a-z_]+)"', page.text.split('id="f-event"')[1]
                       .split("</select>")[0])
    assert "ask_customer" in steps and "propose" not in steps
    r = client.post(f"{url}/transitions", data={"csrf": csrf_of(page.text), "event": "propose",
                                                "reason": "keep me"})
    assert r.status_code == 409 and "done on the case's decision panel" in html.unescape(r.text)
    assert "keep me" in r.text


def test_an_objection_is_re_reviewed_by_someone_else_who_confirms_it(
        client: TestClient, world: World, session: Session) -> None:
    ref, finding = ready_case(world, session)
    specialist = world.staff["specialist"]
    resolution.draft(session, specialist, ref, compensation(finding, "200"))
    resolution.submit(session, specialist, ref, _cfg(world))
    disputes.object_to(session, customer(world, session), ref,
                       ObjectionIn(body="I also lost the re-entry; pay 400."))
    log_in(client, "specialist")
    url = f"/console/cases/{ref}"
    page = client.get(url)
    assert "I also lost the re-entry; pay 400." in page.text
    assert "You made this decision: someone else re-reviews" in page.text
    r = client.post(f"{url}/objection/review", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 409 and "someone other than the original proposer" in r.text

    other = TestClient(client.app)
    log_in(other, "agent")
    token = csrf_of(other.get(url).text)
    r = other.post(f"{url}/objection/review", data={"csrf": token})
    assert r.status_code == 200 and "You are re-reviewing the objection." in r.text
    assert "Confirm the decision" in r.text and "Change the decision and issue it" in r.text
    r = other.post(f"{url}/objection/confirm", data={"csrf": token,
                                                     "note": "The re-entry was your choice."})
    assert r.status_code == 200 and "Decision confirmed and issued again." in r.text
    assert "Revision 2" in r.text and "confirmed" in r.text


def test_the_reviewer_changes_the_decision_through_the_form(
        client: TestClient, world: World, session: Session) -> None:
    ref, finding = ready_case(world, session)
    specialist = world.staff["specialist"]
    resolution.draft(session, specialist, ref, compensation(finding, "150"))
    resolution.submit(session, specialist, ref, _cfg(world))
    disputes.object_to(session, customer(world, session), ref, ObjectionIn(body="Pay it all."))
    disputes.start_re_review(session, world.staff["agent"], ref)
    log_in(client, "agent")
    url = f"/console/cases/{ref}"
    token = csrf_of(client.get(url).text)
    r = client.post(f"{url}/objection/change", data=_draft_form(token, finding, "-1"))
    assert r.status_code == 422 and 'name="remedy_amount" value="-1"' in r.text
    r = client.post(f"{url}/objection/change", data=_draft_form(token, finding, "200"))
    assert r.status_code == 200 and "waits for an approver" in r.text  # agents grant nothing
    assert "above the agent limit of 0 USD" in r.text and "Approve and send" not in r.text
    approver = TestClient(client.app)
    log_in(approver, "approver")
    page = approver.get(url)
    r = approver.post(f"{url}/decision/approve", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 200 and "Revision 2" in r.text
    session.expire_all()
    assert session.scalars(select(Proposal.status).order_by(Proposal.revision)).all() == [
        "objected", "issued"]


def test_a_remedy_the_exchange_refuses_shows_its_error(
        client: TestClient, world: World, session: Session) -> None:
    ref, finding = ready_case(world, session, on_exchange=False)
    specialist = world.staff["specialist"]
    resolution.draft(session, specialist, ref, compensation(finding, "200"))
    resolution.submit(session, specialist, ref, _cfg(world))
    outcomes.accept(session, customer(world, session), ref)
    run_jobs(world.settings, session)
    log_in(client, "approver")
    page = client.get(f"/console/cases/{ref}")
    assert "Last error: UnknownAccount: no account" in html.unescape(page.text)
    assert "Cancel remedy" in page.text and "Close the case" not in page.text


def test_remedies_show_their_execution_and_an_approver_cancels_with_a_reason(
        client: TestClient, world: World, session: Session) -> None:
    ref, finding = ready_case(world, session)
    specialist = world.staff["specialist"]
    proposal = compensation(finding, "200")
    proposal.remedies.append(RemedyIn(kind=RemedyKind.GOODWILL, clause_id="GW-1", asset="USDT",
                                      amount=Decimal(20), finding_id=finding))
    resolution.draft(session, specialist, ref, proposal)
    resolution.submit(session, specialist, ref, _cfg(world))
    outcomes.accept(session, customer(world, session), ref)
    first, second = session.scalars(select(Remedy.id).order_by(Remedy.id)).all()
    log_in(client, "approver")
    url = f"/console/cases/{ref}"
    page = client.get(url)
    assert page.text.count("Cancel remedy") == 2
    r = client.post(f"{url}/remedies/{second}/cancel", data={"csrf": csrf_of(page.text),
                                                              "reason": "x"})
    assert r.status_code == 422 and 'value="x"' in r.text
    r = client.post(f"{url}/remedies/{second}/cancel", data={
        "csrf": csrf_of(page.text), "reason": "Goodwill withdrawn: the account is closed."})
    assert r.status_code == 200 and f"Remedy {second} is cancelled." in r.text
    run_jobs(world.settings, session)
    page = client.get(url)
    assert "Credited, bill" in page.text and "Cancelled: Goodwill withdrawn" in page.text
    session.expire_all()
    bill = session.scalars(select(Remedy.bill_id).where(Remedy.id == first)).one()
    assert bill and bill in page.text and "Close the case" in page.text
    r = client.post(f"{url}/decision/close", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 200 and "The case is closed." in r.text


def test_compliance_adds_a_policy_version_and_bad_json_is_shown_with_the_text_kept(
        client: TestClient, world: World, session: Session) -> None:
    log_in(client, "compliance")
    page = client.get("/console")
    assert 'href="/console/policy"' in page.text and 'href="/console/approvals"' not in page.text
    page = client.get("/console/policy")
    assert page.status_code == 200 and "Version 1 is in effect now." in page.text
    token = csrf_of(page.text)
    later = f"{dt.datetime.now(dt.UTC) + dt.timedelta(days=1):%Y-%m-%dT%H:%M}"
    r = client.post("/console/policy", data={"csrf": token, "effective_from": later,
                                             "document": '{"clauses": [}', "note": "typo"})
    assert r.status_code == 422 and "the policy is malformed" in r.text
    assert "{&#34;clauses&#34;: [}" in r.text
    document = json.loads(policies.list_versions(session)[0].document)
    document["goodwill_limit_usd"] = "75"
    r = client.post("/console/policy", data={"csrf": token, "effective_from": later,
                                             "document": json.dumps(document),
                                             "note": "Goodwill up to 75 USD"})
    assert r.status_code == 200 and "Policy version 2 takes effect" in r.text
    assert session.scalar(select(func.count()).select_from(PolicyVersion)) == 2

    other = TestClient(client.app)
    log_in(other, "specialist")
    assert 'href="/console/policy"' not in other.get("/console").text
    r = other.post("/console/policy", data={"csrf": csrf_of(other.get("/console/policy").text),
                                            "effective_from": later,
                                            "document": json.dumps(document)})
    assert r.status_code == 403 and "only compliance may change" in r.text
    assert other.get("/console/approvals").status_code == 403


def test_accepting_for_the_customer_queues_each_remedy_once(
        world: World, session: Session) -> None:
    ref, finding = ready_case(world, session)
    specialist = world.staff["specialist"]
    resolution.draft(session, specialist, ref, compensation(finding, "200"))
    resolution.submit(session, specialist, ref, _cfg(world))
    carol = customer(world, session)
    first = outcomes.accept(session, carol, ref)
    again = outcomes.accept(session, carol, ref)
    assert first == again and first.justification == "" and first.approvals == []
    assert session.scalar(select(func.count()).where(Job.kind == "resolution.execute")) == 1
