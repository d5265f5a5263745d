"""End to end in a real Chromium: a customer files, an agent handles, the customer reads.

Drives Debian's ``/usr/bin/chromium`` through Playwright against a real uvicorn server
with jobs running in-process; screenshots land in ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

from ombud.app import create_app
from tests.conftest import PASSWORD, TOTP, World
from tests.web.test_portal import png

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WAIT_SECONDS = 15.0


@pytest.fixture
def live_url(world: World) -> Iterator[str]:
    """A real uvicorn server on a free port, running jobs inline."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    cfg = world.settings.model_copy(update={
        "jobs_inline": True, "job_poll_seconds": 0.1, "public_url": f"http://127.0.0.1:{port}"})
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
def browser() -> Iterator[Browser]:
    """Debian's Chromium; never a downloaded one."""
    assert CHROMIUM.exists(), ("/usr/bin/chromium is missing: install the Debian package "
                               "`chromium` (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def shot(page: Page, name: str) -> None:
    """Save a full-page screenshot."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def reload_until(page: Page, text: str) -> None:
    """Reload until ``text`` is on the page (work done by the job runner shows up later)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while page.get_by_text(text).count() == 0:
        assert time.monotonic() < deadline, f"{text!r} never appeared on {page.url}"
        time.sleep(0.2)
        page.reload()


def test_customer_files_agent_handles_customer_reads(
    browser: Browser, live_url: str, world: World, tmp_path: Path,
) -> None:
    evidence = tmp_path / "screenshot-of-deposit.png"
    evidence.write_bytes(png())
    customer = browser.new_context(viewport={"width": 1280, "height": 900})
    page = customer.new_page()

    page.goto(f"{live_url}/")
    shot(page, "01-home")
    page.goto(f"{live_url}/portal")
    shot(page, "02-portal-landing")
    page.goto(f"{live_url}/portal/login?token={world.customer_token('carol')}")
    expect(page.get_by_role("heading", name="My cases")).to_be_visible()

    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="File a complaint").click()
    page.get_by_label("In one line, what went wrong?").fill("USDT deposit not credited")
    page.get_by_label("What happened?").fill(
        "I sent 500 USDT on TRC20 at 09:12 UTC, txid 9f3c…; it has 120 confirmations.")
    page.get_by_label("What would you like us to do?").fill("Credit my deposit")
    page.get_by_label("What is it about?").select_option("deposit_withdrawal")
    page.get_by_label("Asset (e.g. BTC, USDT)").fill("USDT")
    page.get_by_label("Amount in dispute").fill("500")
    page.get_by_label("Files (screenshots, statements, PDFs)").set_input_files(str(evidence))
    shot(page, "03-portal-new-complaint")
    page.get_by_role("button", name="File the complaint").click()

    expect(page.get_by_role("status")).to_contain_text("is filed")
    reference = page.url.rsplit("/", 1)[-1]
    assert reference.startswith("C-")
    expect(page.get_by_role("link", name="screenshot-of-deposit.png")).to_be_visible()
    reload_until(page, "Thank you for contacting us")
    shot(page, "04-portal-case-acknowledged")

    nav.get_by_role("link", name="My cases").click()
    expect(page.get_by_role("link", name=reference)).to_be_visible()
    expect(page.get_by_role("cell", name="USDT deposit not credited")).to_be_visible()
    shot(page, "05-portal-my-cases")

    staff = browser.new_context(viewport={"width": 1400, "height": 900})
    console = staff.new_page()
    console.goto(f"{live_url}/console")
    expect(console.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    console.get_by_label("Username").fill("agent")
    console.get_by_label("Password").fill(PASSWORD)
    console.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(TOTP).now())
    shot(console, "06-console-login")
    console.get_by_role("button", name="Sign in").click()
    expect(console).to_have_url(f"{live_url}/console")
    console.wait_for_load_state("load")  # ombud.js (the "/" shortcut) has run
    console.keyboard.press("/")
    expect(console.get_by_label("Search")).to_be_focused()
    console.keyboard.type(reference)
    console.keyboard.press("Enter")
    expect(console.get_by_role("link", name=reference)).to_be_visible()
    shot(console, "07-console-queue")
    console.get_by_role("link", name=reference).click()

    console.get_by_label("Reply (the customer sees this)").fill(
        "Thank you. We have asked the wallet team to trace the transfer.")
    console.get_by_role("button", name="Send reply").click()
    expect(console.get_by_role("status")).to_contain_text("Reply sent.")
    console.get_by_label("Note (staff only, never shown to the customer)").fill(
        "Node lagging on TRC20; check after the resync.")
    console.get_by_role("button", name="Add note").click()
    expect(console.get_by_role("status")).to_contain_text("Note added.")
    take = console.get_by_role("button", name="Take it")
    if take.count():  # triage may already have routed the case to this agent
        take.click()
        expect(console.get_by_role("status")).to_contain_text("You took the case.")
    expect(console.get_by_text("Assigned to you")).to_be_visible()
    steps = console.get_by_label("Next step").locator("option").evaluate_all(
        "options => options.map(o => o.value).filter(Boolean)")
    step = next((s for s in ("start_investigation", "triage", "request_info") if s in steps),
                steps[0])
    console.get_by_label("Next step").select_option(step)
    console.get_by_label("Reason").fill("All facts present")
    console.get_by_role("button", name="Apply").click()
    expect(console.get_by_role("status")).to_contain_text("The case is now")
    console.get_by_text("Audit trail").click()
    shot(console, "08-console-case")

    page.goto(f"{live_url}/portal/cases/{reference}")
    expect(page.get_by_text("We have asked the wallet team to trace the transfer.")).to_be_visible()
    assert "Node lagging" not in page.content()
    shot(page, "09-portal-case-after-reply")
    page.goto(f"{live_url}/portal/cases/C-2026-999999")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    shot(page, "11-not-found")

    admin = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    admin.goto(f"{live_url}/console/login")
    admin.get_by_label("Username").fill("admin")
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(TOTP).now())
    admin.get_by_role("button", name="Sign in").click()
    admin.get_by_role("link", name="Jobs").click()
    admin.get_by_role("link", name="Done").click()
    expect(admin.get_by_role("cell", name="cases.acknowledge")).to_be_visible()
    shot(admin, "10-console-jobs")
