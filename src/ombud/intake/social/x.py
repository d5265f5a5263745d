"""X (Twitter) Account Activity: the CRC challenge, ``x-twitter-webhooks-signature``, parsing
of direct messages and mentions, and sending (DM and public reply) through the v2 API.

Both the CRC answer and the delivery signature are ``sha256=`` + base64 of HMAC-SHA256 keyed
with the app's consumer secret: over the ``crc_token`` for the challenge, over the raw body
for a delivery.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import httpx

from ombud.intake.social.model import Inbound, Platform, Refused, SendFailed, chunks

HEADER = "x-twitter-webhooks-signature"
TEXT_LIMIT = 10_000  # characters of one direct message
POST_LIMIT = 280


def _sign(message: bytes, consumer_secret: str) -> str:
    digest = hmac.new(consumer_secret.encode(), message, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def crc_response(crc_token: str, consumer_secret: str) -> dict[str, str]:
    """The JSON answer to a CRC GET: ``{"response_token": "sha256=<base64>"}``."""
    if not crc_token:
        raise Refused("x: CRC request without crc_token")
    return {"response_token": _sign(crc_token.encode(), consumer_secret)}


def signature(body: bytes, consumer_secret: str) -> str:
    """The ``x-twitter-webhooks-signature`` value X sends for ``body``."""
    return _sign(body, consumer_secret)


def verify(body: bytes, header: str | None, consumer_secret: str) -> None:
    """Refuse a delivery whose signature is not the HMAC of its exact bytes."""
    if not header or not hmac.compare_digest(header.encode(),
                                             signature(body, consumer_secret).encode()):
        raise Refused("x: missing or wrong x-twitter-webhooks-signature")


def _millis(value: object) -> dt.datetime | None:
    text = str(value or "")
    return dt.datetime.fromtimestamp(int(text) / 1000, dt.UTC) if text.isdigit() else None


def _dm(event: dict[str, Any], me: str, users: dict[str, Any]) -> Inbound | None:
    create = event.get("message_create")
    if event.get("type") != "message_create" or not isinstance(create, dict):
        return None
    sender, event_id = str(create.get("sender_id") or ""), str(event.get("id") or "")
    if not sender or not event_id:
        raise Refused("x: direct message without id or sender_id")
    if sender == me:
        return None  # our own message, echoed
    data = create.get("message_data")
    text = data.get("text") if isinstance(data, dict) else None
    user = users.get(sender)
    name = str(user.get("name") or "") if isinstance(user, dict) else ""
    return Inbound(platform=Platform.X, key=f"dm:{event_id}", sender_id=sender,
                   sender_name=name[:200], text=text if isinstance(text, str) and text.strip()
                   else "(a message without text)", public=False, address=sender,
                   sent_at=_millis(event.get("created_timestamp")))


def _mention(tweet: dict[str, Any], me: str) -> Inbound | None:
    user = tweet.get("user")
    tweet_id = str(tweet.get("id_str") or "")
    if not isinstance(user, dict) or not tweet_id:
        raise Refused("x: post without id_str or user")
    author = str(user.get("id_str") or "")
    if author == me or "retweeted_status" in tweet:
        return None  # our own post, or a repost
    extended = tweet.get("extended_tweet")
    text = extended.get("full_text") if isinstance(extended, dict) else tweet.get("text")
    return Inbound(platform=Platform.X, key=f"post:{tweet_id}", sender_id=author,
                   sender_name=str(user.get("name") or "")[:200],
                   text=text if isinstance(text, str) and text.strip() else "(a post)",
                   public=True, address=author, post_id=tweet_id,
                   sent_at=_millis(tweet.get("timestamp_ms")))


def parse(body: bytes) -> list[Inbound]:
    """The direct messages and mentions in one Account Activity delivery."""
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise Refused(f"x: body is not JSON ({exc})") from None
    if not isinstance(payload, dict) or not payload.get("for_user_id"):
        raise Refused("x: not an Account Activity delivery (no for_user_id)")
    me = str(payload["for_user_id"])
    users = payload.get("users") if isinstance(payload.get("users"), dict) else {}
    found: list[Inbound] = []
    for event in payload.get("direct_message_events") or []:
        if isinstance(event, dict) and (inbound := _dm(event, me, users or {})):
            found.append(inbound)
    for tweet in payload.get("tweet_create_events") or []:
        if isinstance(tweet, dict) and (inbound := _mention(tweet, me)):
            found.append(inbound)
    return found


class XClient:
    """Direct messages and public replies through the X API v2 at ``base_url``
    (https://api.x.com), with a user-context bearer token of our account."""

    def __init__(self, base_url: str, bearer_token: str, *, timeout: float = 15.0) -> None:
        self._base, self._token, self._timeout = base_url.rstrip("/"), bearer_token, timeout

    def _post(self, path: str, payload: dict[str, Any]) -> None:
        try:
            response = httpx.post(f"{self._base}{path}", json=payload, timeout=self._timeout,
                                  headers={"Authorization": f"Bearer {self._token}"})
        except httpx.HTTPError as exc:
            raise SendFailed(f"x {path}: {type(exc).__name__}: {exc}") from None
        if response.status_code not in (200, 201):
            raise SendFailed(f"x {path}: HTTP {response.status_code} {response.text[:300]}")

    def send_private(self, address: str, text: str) -> None:
        """Direct-message the user ``address``, in messages of at most 10,000 characters."""
        if not address.isdigit():
            raise SendFailed(f"x: {address!r} is not a user id")
        for piece in chunks(text, TEXT_LIMIT):
            self._post(f"/2/dm_conversations/with/{address}/messages", {"text": piece})

    def send_public(self, post_id: str, text: str) -> None:
        """Reply in public to the post ``post_id``."""
        self._post("/2/tweets", {"text": text[:POST_LIMIT],
                                 "reply": {"in_reply_to_tweet_id": post_id}})
