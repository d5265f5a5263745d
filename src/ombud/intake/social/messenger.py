"""Facebook Messenger: the webhook's verification request, ``X-Hub-Signature-256``, parsing
of page messages and comments, and the Send API.

Meta signs each delivery with HMAC-SHA256 of the raw body, keyed with the app secret, as
``sha256=<hex>``; the subscription is confirmed by echoing ``hub.challenge`` when
``hub.verify_token`` is ours. A message's ``mid`` (a comment's ``comment_id``) identifies it.

The Send API only reaches a person within a window after their last message: 24 hours of
standard messaging (``messaging_type: RESPONSE``); after that a person on the page's staff may
answer for up to 7 days with the ``HUMAN_AGENT`` message tag (``messaging_type: MESSAGE_TAG``),
which automated messages may not use; after 7 days nothing can be sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import httpx

from ombud.intake.social.model import (
    Inbound,
    Platform,
    Refused,
    SendFailed,
    chunks,
)
from ombud.intake.social.model import (
    json_answer as _json,
)

HEADER = "X-Hub-Signature-256"
TEXT_LIMIT = 2000  # characters of one message (Send API)
COMMENT = "comment:"
STANDARD_WINDOW = dt.timedelta(hours=24)
HUMAN_AGENT_WINDOW = dt.timedelta(days=7)


class OutsideWindow(SendFailed):
    """Messenger no longer lets the page message this person: retrying cannot help."""


def messaging_type(last_inbound: dt.datetime, now: dt.datetime, *, human: bool) -> dict[str, str]:
    """The Send API fields for a message sent at ``now`` to someone who last wrote at
    ``last_inbound``: RESPONSE within 24 hours; a person's reply within 7 days carries the
    HUMAN_AGENT tag; anything later (or automated after 24 hours) is refused."""
    age = now - last_inbound
    if age <= STANDARD_WINDOW:
        return {"messaging_type": "RESPONSE"}
    if human and age <= HUMAN_AGENT_WINDOW:
        return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    limit = "7 days" if human else "24 hours"
    days = age.total_seconds() / 86400
    raise OutsideWindow(
        f"Messenger lets the page answer only within {limit} of the customer's last "
        f"message, and they last wrote {days:.1f} days ago "
        f"({last_inbound:%Y-%m-%d %H:%M} UTC): reach them on another channel, or wait until "
        "they write again")


def verify_subscription(mode: str | None, token: str | None, challenge: str | None,
                        verify_token: str) -> str:
    """The challenge to echo when Meta asks to confirm the webhook with our verify token."""
    if mode != "subscribe" or not token or not challenge or not hmac.compare_digest(
            token.encode(), verify_token.encode()):
        raise Refused("messenger: wrong verify token or mode")
    return challenge


def signature(body: bytes, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends for ``body``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str | None, app_secret: str) -> None:
    """Refuse a delivery whose signature is not the HMAC of its exact bytes."""
    if not header or not hmac.compare_digest(header.encode(), signature(body, app_secret).encode()):
        raise Refused("messenger: missing or wrong X-Hub-Signature-256")


def _when(millis: object) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(millis / 1000, dt.UTC) if isinstance(millis, int) else None


def _message(event: dict[str, Any]) -> Inbound | None:
    message, sender = event.get("message"), event.get("sender")
    if not isinstance(message, dict) or message.get("is_echo") or not isinstance(sender, dict):
        return None  # deliveries, reads, postbacks and echoes of our own sends
    mid, psid = message.get("mid"), sender.get("id")
    if not isinstance(mid, str) or not isinstance(psid, str) or not mid or not psid:
        raise Refused("messenger: message without mid or sender id")
    text = message.get("text")
    return Inbound(platform=Platform.MESSENGER, key=mid, sender_id=psid, sender_name="",
                   text=text if isinstance(text, str) and text.strip()
                   else "(a message without text)",
                   public=False, address=psid, sent_at=_when(event.get("timestamp")))


def _comment(page_id: object, change: dict[str, Any]) -> Inbound | None:
    value = change.get("value")
    if change.get("field") != "feed" or not isinstance(value, dict):
        return None
    if value.get("item") != "comment" or value.get("verb") != "add":
        return None
    author = value.get("from")
    comment_id = value.get("comment_id")
    if not isinstance(author, dict) or not isinstance(comment_id, str):
        raise Refused("messenger: comment without author or comment_id")
    if str(author.get("id")) == str(page_id):
        return None  # the page's own comment
    text = value.get("message")
    created = value.get("created_time")
    return Inbound(platform=Platform.MESSENGER, key=comment_id, sender_id=str(author["id"]),
                   sender_name=str(author.get("name") or "")[:200],
                   text=text if isinstance(text, str) and text.strip() else "(a comment)",
                   public=True, address=COMMENT + comment_id, post_id=comment_id,
                   sent_at=dt.datetime.fromtimestamp(created, dt.UTC)
                   if isinstance(created, int) else None)


def parse(body: bytes) -> list[Inbound]:
    """The customer messages and comments in one delivery (a delivery may batch several)."""
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise Refused(f"messenger: body is not JSON ({exc})") from None
    if not isinstance(payload, dict) or payload.get("object") != "page" or not isinstance(
            payload.get("entry"), list):
        raise Refused("messenger: not a page webhook delivery")
    found: list[Inbound] = []
    for entry in payload["entry"]:
        if not isinstance(entry, dict):
            raise Refused("messenger: an entry is not an object")
        for event in entry.get("messaging") or []:
            if isinstance(event, dict) and (inbound := _message(event)) is not None:
                found.append(inbound)
        for change in entry.get("changes") or []:
            if isinstance(change, dict) and (inbound := _comment(entry.get("id"), change)):
                found.append(inbound)
    return found


class MessengerClient:
    """The Send API (and comment replies) of the Graph API at ``base_url``
    (https://graph.facebook.com/v21.0), with the page access token."""

    def __init__(self, base_url: str, page_token: str, *, timeout: float = 15.0) -> None:
        self._base, self._token, self._timeout = base_url.rstrip("/"), page_token, timeout

    def _post(self, path: str, payload: dict[str, Any]) -> None:
        try:
            response = httpx.post(f"{self._base}{path}", params={"access_token": self._token},
                                  json=payload, timeout=self._timeout)
        except httpx.HTTPError as exc:
            raise SendFailed(f"messenger {path}: {type(exc).__name__}: {exc}") from None
        answer = _json(response)
        if response.status_code != 200 or not isinstance(answer, dict) or "error" in answer:
            error = answer.get("error") if isinstance(answer, dict) else None
            detail = error.get("message") if isinstance(error, dict) else ""
            raise SendFailed(f"messenger {path}: HTTP {response.status_code} {detail}")

    def send_private(self, address: str, text: str, *,
                     kind: dict[str, str] | None = None) -> None:
        """Message the PSID ``address`` (or, for ``comment:<id>``, the comment's author as
        a private reply), in messages of at most 2000 characters; ``kind`` is what
        ``messaging_type`` answers (default: a RESPONSE within the standard window)."""
        recipient = ({"comment_id": address[len(COMMENT):]} if address.startswith(COMMENT)
                     else {"id": address})
        fields = kind or {"messaging_type": "RESPONSE"}
        for piece in chunks(text, TEXT_LIMIT):
            self._post("/me/messages", {"recipient": recipient, **fields,
                                        "message": {"text": piece}})

    def send_public(self, post_id: str, text: str) -> None:
        """Reply in public under the comment ``post_id``."""
        if not post_id.replace("_", "").isalnum():
            raise SendFailed(f"messenger: {post_id!r} is not a comment id")
        self._post(f"/{post_id}/comments", {"message": text})
