"""The chat widget in a real Chromium: ask the bot, hand over, an agent picks the chat up in
the console and answers, the customer reads it live."""

from __future__ import annotations

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import PASSWORD, TOTP, World
from tests.web.test_browser import browser, live_url, shot

__all__ = ["browser", "live_url"]  # fixtures shared with the portal's browser test
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("kb_seeded")]


def _staff_sign_in(page: Page, url: str) -> None:
    page.goto(f"{url}/console/login")
    page.get_by_label("Username").fill("agent")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(TOTP).now())
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{url}/console")


def test_widget_bot_handover_and_staff_answer(
    browser: Browser, live_url: str, world: World,
) -> None:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_url}/portal/login?token={world.customer_token('carol')}")
    page.get_by_role("button", name="Chat with us").click()
    chat = page.get_by_role("dialog", name="Chat")
    log = chat.get_by_role("log", name="Conversation")
    expect(log).to_contain_text("Ask me anything about deposits")
    chat.get_by_label("Your message").fill("My USDT deposit has not arrived")
    chat.get_by_role("button", name="Send").click()
    expect(log).to_contain_text("This may help:")
    expect(log).to_contain_text("My deposit has not arrived")
    shot(page, "chat-01-bot-answers")
    chat.get_by_role("button", name="Talk to a person").click()
    expect(log).to_contain_text("I am passing you to a member of our team")
    expect(chat).to_contain_text("Waiting for a person")

    console = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    _staff_sign_in(console, live_url)
    console.get_by_role("navigation", name="Main").get_by_role("link", name="Chats").click()
    console.get_by_role("button", name="Pick up chat with").click()
    expect(console.get_by_role("status")).to_contain_text("You have the chat.")
    transcript = console.get_by_role("log", name="Conversation")
    expect(transcript).to_contain_text("My USDT deposit has not arrived")
    expect(log).to_contain_text("Agent has joined the chat.")
    expect(chat).to_contain_text("With our team")
    expect(chat.get_by_role("button", name="Talk to a person")).to_be_hidden()

    console.get_by_label("Reply to the customer").fill("Which network did you send it on?")
    console.get_by_role("button", name="Send").click()
    expect(log).to_contain_text("Which network did you send it on?")
    chat.get_by_label("Your message").fill("TRC20, txid 9f3c")
    chat.get_by_label("Your message").press("Enter")
    expect(transcript).to_contain_text("TRC20, txid 9f3c")
    shot(page, "chat-02-customer-live")
    shot(console, "chat-03-console-chat")

    page.reload()  # the widget comes back with the same chat, each message once
    page.get_by_role("button", name="Chat with us").click()
    expect(log).to_contain_text("TRC20, txid 9f3c")
    expect(log.get_by_text("Which network did you send it on?")).to_have_count(1)
