"""The decision end to end in a real Chromium, on the demo data: a customer complains in the
portal; a specialist investigates, sees the precedents and proposes compensation above their
limit with a justification; an approver approves; the customer reads the letter and accepts
(with a double click); the worker credits the simulated exchange exactly once; the case is
resolved and the customer answers the survey.

Debian's ``/usr/bin/chromium`` through Playwright against a real uvicorn server running jobs
in-process; screenshots land in ``test-artifacts/screenshots/resolution-*.png``.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from decimal import Decimal

import pyotp
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud import demo
from ombud.app import create_app
from ombud.cases.tables import Case
from ombud.config import Settings
from ombud.exchange.factory import open_sim
from ombud.feedback.tables import Survey
from ombud.resolution.tables import Remedy
from ombud.security.tokens import customer_token
from tests.web.test_browser import ARGS, CHROMIUM, SHOTS, WAIT_SECONDS

pytestmark = pytest.mark.browser

CUSTOMER = "100200304"  # the demo customer whose late fill is staged on the simulator


@pytest.fixture
def demo_url(settings: Settings, session: Session) -> Iterator[str]:
    """The demo data, served by a real uvicorn server on a free port running jobs inline."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    cfg = settings.model_copy(update={
        "jobs_inline": True, "job_poll_seconds": 0.1, "public_url": f"http://127.0.0.1:{port}"})
    demo.seed(session, cfg)
    server = uvicorn.Server(uvicorn.Config(create_app(cfg), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=WAIT_SECONDS)
    sock.close()


@pytest.fixture
def chromium() -> Iterator[Browser]:
    """Debian's Chromium; never a downloaded one."""
    assert CHROMIUM.exists(), "/usr/bin/chromium is missing: apt-get install chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def shot(page: Page, name: str) -> None:
    """A full-page screenshot, ``resolution-<name>.png``, and one of the decision panel alone
    (``resolution-<name>-panel.png``) when the page has one."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"resolution-{name}.png"), full_page=True)
    panel = page.locator("section.decision")
    if panel.count():
        panel.screenshot(path=str(SHOTS / f"resolution-{name}-panel.png"))


def reload_until(page: Page, text: str, seconds: float = 3 * WAIT_SECONDS) -> None:
    """Reload until ``text`` is on the page (the job runner's work shows up later)."""
    deadline = time.monotonic() + seconds
    while page.get_by_text(text).count() == 0:
        assert time.monotonic() < deadline, f"{text!r} never appeared on {page.url}"
        time.sleep(0.3)
        page.reload()


def sign_in_staff(browser: Browser, url: str, username: str) -> Page:
    """A console page signed in as a demo member of staff (password and TOTP code)."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(f"{url}/console/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(demo.DEMO_TOTP).now())
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{url}/console")
    return page


def test_a_complaint_goes_to_an_approved_decision_a_credit_and_a_survey(
        chromium: Browser, demo_url: str, settings: Settings, session: Session) -> None:
    customer = chromium.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    customer.goto(f"{demo_url}/portal/login?token="
                  f"{customer_token(settings.customer_token_secret, CUSTOMER)}")
    customer.get_by_role("navigation", name="Main").get_by_role(
        "link", name="File a complaint").click()
    customer.get_by_label("In one line, what went wrong?").fill(
        "My market buy filled seconds late")
    order = open_sim(settings).state.orders[CUSTOMER][-1]  # staged by the demo
    customer.get_by_label("What happened?").fill(
        f"On {order.c_time:%Y-%m-%d %H:%M} UTC my 1.5 BTC-USDT market buy was accepted at once "
        "but filled more than a second later, at a higher price, while your status page "
        "showed a matching incident.")
    customer.get_by_label("What would you like us to do?").fill("Compensate the delay")
    customer.get_by_label("What is it about?").select_option("trade_dispute")
    customer.get_by_label("Asset (e.g. BTC, USDT)").fill("USDT")
    customer.get_by_label("Amount in dispute").fill("180")
    customer.get_by_role("button", name="File the complaint").click()
    expect(customer.get_by_role("status")).to_contain_text("is filed")
    reference = customer.url.rsplit("/", 1)[-1]
    shot(customer, "01-portal-complaint-filed")

    # the specialist investigates: the evidence is pulled and the replay measures the loss
    bob = sign_in_staff(chromium, demo_url, "bob")
    case_url = f"{demo_url}/console/cases/{reference}"
    bob.goto(case_url)
    reload_until(bob, "Why this priority")
    take = bob.get_by_role("button", name="Take it")
    if take.count():
        take.click()
    steps = bob.get_by_label("Next step").locator("option").evaluate_all(
        "options => options.map(o => o.value).filter(Boolean)")
    assert "propose" not in steps  # decisions go through the decision panel
    if "triage" in steps:
        bob.get_by_label("Next step").select_option("triage")
        bob.get_by_role("button", name="Apply").click()
    bob.get_by_label("Next step").select_option("start_investigation")
    bob.get_by_role("button", name="Apply").click()
    expect(bob.get_by_role("status")).to_contain_text("The case is now investigating")
    reload_until(bob, "Measured loss:")
    panel = bob.locator("section.decision")
    expect(panel.get_by_text("Policy version 1")).to_be_visible()
    precedents = panel.locator("table.precedents tbody tr")
    expect(precedents).to_have_count(len(demo.PRECEDENTS))  # the demo's decided late fills
    expect(precedents.first).to_contain_text("Delayed fill")
    expect(panel.get_by_text("Remedy/loss ratios of these cases:")).to_contain_text(
        "0.5 to 1")
    expect(panel.locator("ul.suggested")).to_contain_text("clause TD-1")
    panel.scroll_into_view_if_needed()
    shot(bob, "02-console-decision-panel-precedents")

    # above bob's 500 USD limit and outside the precedents: refused without a justification
    bob.get_by_label("Amount of remedy 1").fill("600")
    bob.get_by_label("Reason for point 1").fill(
        "The replay shows the order matched 1.2 s late during the published incident.")
    bob.get_by_role("button", name="Save draft").click()
    expect(bob.locator("#decision-error")).to_contain_text("write a justification")
    expect(bob.get_by_label("Amount of remedy 1")).to_have_value("600")
    shot(bob, "03-console-draft-refused-kept")
    bob.get_by_label("Justification (needed when").fill(
        "The customer also missed the re-entry the incident blocked; 600 USDT covers both.")
    bob.get_by_role("button", name="Save draft").click()
    expect(bob.get_by_role("status")).to_contain_text("It needs an approver")
    expect(bob.locator(".approval-reasons")).to_contain_text("above the specialist limit")
    expect(bob.get_by_role("button", name="Approve and send")).to_have_count(0)
    bob.get_by_role("button", name="Submit for approval").click()
    expect(bob.get_by_role("status")).to_contain_text("Sent for approval.")
    shot(bob, "04-console-submitted-for-approval")

    ana = sign_in_staff(chromium, demo_url, "ana")
    ana.get_by_role("link", name="Approvals").click()
    expect(ana.get_by_role("link", name=reference)).to_be_visible()
    shot(ana, "05-console-approvals-queue")
    ana.get_by_role("link", name=reference).click()
    ana.get_by_label("Note (required to refuse)").fill("Justified by the blocked re-entry.")
    ana.get_by_role("button", name="Approve and send").click()
    expect(ana.get_by_role("status")).to_contain_text("Approved; the decision letter is sent")
    expect(ana.locator("pre.letter")).to_contain_text("600")
    ana.locator("pre.letter").scroll_into_view_if_needed()
    shot(ana, "06-console-approved-letter")

    customer.reload()
    expect(customer.get_by_role("heading", name="Our decision")).to_be_visible()
    expect(customer.locator("pre.letter")).to_contain_text("TD-1")
    shot(customer, "07-portal-decision-letter")
    customer.get_by_role("button", name="Accept the decision").dblclick()
    expect(customer.get_by_role("status")).to_contain_text("you accepted the decision")
    shot(customer, "08-portal-accepted")

    reload_until(customer, "Resolved")
    expect(customer.locator(".remedy-list")).to_contain_text("done")
    remedy = session.scalars(select(Remedy).join(Case, Case.id == Remedy.case_id)
                             .where(Case.reference == reference)).one()
    assert remedy.status == "executed" and remedy.amount == Decimal(600)
    sim = open_sim(settings)
    credits = [t for t in sim.transfers() if t.client_id == remedy.client_id]
    bills = [b for b in sim.state.bills.get(CUSTOMER, []) if b.client_id == remedy.client_id]
    assert len(credits) == 1 and len(bills) == 1 and bills[0].bal_chg == Decimal(600)
    assert remedy.bill_id == bills[0].bill_id
    shot(customer, "09-portal-resolved")

    bob.goto(case_url)
    expect(bob.locator("table.remedies")).to_contain_text(f"Credited, bill {remedy.bill_id}")
    bob.locator("table.remedies").scroll_into_view_if_needed()
    shot(bob, "10-console-remedy-executed")

    reload_until(customer, "/survey/")
    link = re.search(r"https?://[^\s<]+/survey/[A-Za-z0-9_-]+", customer.content())
    assert link, "the survey invitation has no link"
    customer.goto(link.group(0))
    customer.get_by_label("5 · Very satisfied").check()
    customer.get_by_label("9", exact=True).check()
    customer.get_by_label("Anything else you would like to tell us? (optional)").fill(
        "Clear letter, quick credit.")
    shot(customer, "11-survey-form")
    customer.get_by_role("button", name="Send my answers").click()
    expect(customer.get_by_text("Thank you for your answers.")).to_be_visible()
    shot(customer, "12-survey-answered")
    session.rollback()  # a fresh snapshot: the answer was saved by the server
    answered = session.scalars(select(Survey).join(Case, Case.id == Survey.case_id)
                               .where(Case.reference == reference)).one()
    assert (answered.csat, answered.nps) == (5, 9)
