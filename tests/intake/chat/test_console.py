"""The console's chat pages: the list of waiting chats, picking one up, the chat page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.intake.chat import service
from ombud.intake.chat.schemas import ChatText
from ombud.security import service as security
from ombud.security import tokens
from ombud.security.tables import Staff
from ombud.web.deps import SESSION_COOKIE
from tests.conftest import World
from tests.intake.chat.conftest import customer

pytestmark = pytest.mark.usefixtures("kb_seeded")


def _sign_in(client: TestClient, session: Session, world: World, name: str) -> str:
    """Sign ``name`` in to the console; the CSRF token of its forms."""
    staff = session.get(Staff, world.staff[name].id)
    assert staff is not None
    cookie = security.staff_session_token(world.settings, staff)
    client.cookies.set(SESSION_COOKIE, cookie)
    nonce = str(tokens.unsign(world.settings.secret_key, cookie)["n"])
    return tokens.csrf_token(world.settings.secret_key, nonce)


def test_waiting_chat_is_listed_picked_up_and_shown(
    client: TestClient, session: Session, world: World,
) -> None:
    carol = customer(session, world, "carol")
    key = service.start(session, carol).chat.key
    service.post(session, carol, key, ChatText(body="withdrawal pending for hours"))
    service.handover(session, carol, key)

    csrf = _sign_in(client, session, world, "agent")
    page = client.get("/console/chats")
    assert page.status_code == 200
    assert f'action="/console/chats/{key}/pick"' in page.text
    picked = client.post(f"/console/chats/{key}/pick", data={"csrf": csrf},
                         follow_redirects=False)
    assert picked.status_code == 303
    assert picked.headers["location"] == f"/console/chats/{key}"
    chat = client.get(f"/console/chats/{key}")
    assert "withdrawal pending for hours" in chat.text
    assert "Reply to the customer" in chat.text

    csrf = _sign_in(client, session, world, "specialist")
    again = client.post(f"/console/chats/{key}/pick", data={"csrf": csrf},
                        follow_redirects=False)
    assert again.headers["location"] == "/console/chats"
    assert "only a waiting chat can be picked up" in client.get("/console/chats").text


def test_pick_up_needs_the_forms_csrf_token(
    client: TestClient, session: Session, world: World,
) -> None:
    carol = customer(session, world, "carol")
    key = service.start(session, carol).chat.key
    service.handover(session, carol, key)
    _sign_in(client, session, world, "agent")
    assert client.post(f"/console/chats/{key}/pick", data={"csrf": "forged"}).status_code == 403
    assert service.pick_up(session, world.staff["agent"], key).chat.status == "live"
