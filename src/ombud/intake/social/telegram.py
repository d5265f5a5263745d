"""Telegram Bot API: webhook verification and parsing, and ``sendMessage``.

Telegram signs nothing: ``setWebhook(secret_token=...)`` makes it send that exact token in
the ``X-Telegram-Bot-Api-Secret-Token`` header of every delivery; we compare it in constant
time. ``update_id`` identifies an update; a second delivery of one is a replay.
"""

from __future__ import annotations

import datetime as dt
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

HEADER = "X-Telegram-Bot-Api-Secret-Token"
TEXT_LIMIT = 4096  # characters of one message (sendMessage)
_PRIVATE = "private"


def verify(header: str | None, secret_token: str) -> None:
    """Refuse a delivery whose secret-token header is not exactly ours."""
    if not header or not hmac.compare_digest(header.encode(), secret_token.encode()):
        raise Refused("telegram: missing or wrong secret token")


def _language(code: object) -> str:
    """Telegram's IETF ``language_code`` as one of ours ("" when unknown)."""
    value = str(code or "").lower()
    if value in ("zh-tw", "zh-hk", "zh-mo", "zh-hant"):
        return "zh-Hant"
    if value.startswith("zh"):
        return "zh-Hans"
    return "en" if value.startswith("en") else ""


def parse(body: bytes) -> Inbound | None:
    """The customer message in one Update, or None for an update we do not answer (edits,
    channel posts, other bots, service messages). Raises Refused when it is no Update."""
    try:
        update = json.loads(body)
    except ValueError as exc:
        raise Refused(f"telegram: body is not JSON ({exc})") from None
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        raise Refused("telegram: not an Update (no integer update_id)")
    message = update.get("message")
    if not isinstance(message, dict):
        return None
    sender, chat = message.get("from"), message.get("chat")
    if not isinstance(sender, dict) or not isinstance(chat, dict) or sender.get("is_bot"):
        return None
    if not isinstance(sender.get("id"), int) or not isinstance(chat.get("id"), int):
        raise Refused("telegram: message without a user or chat id")
    text = message.get("text") or message.get("caption") or ""
    if not isinstance(text, str) or not text.strip():
        text = "(a message without text)"
    name = " ".join(str(sender.get(k) or "") for k in ("first_name", "last_name")).strip()
    public = chat.get("type") != _PRIVATE
    date = message.get("date")
    return Inbound(
        platform=Platform.TELEGRAM, key=str(update["update_id"]), sender_id=str(sender["id"]),
        sender_name=(name or str(sender.get("username") or ""))[:200], text=text,
        public=public, address=None if public else str(chat["id"]),  # no bot DMs unasked
        post_id=f"{chat['id']}:{message.get('message_id')}" if public else None,
        language_hint=_language(sender.get("language_code")),
        sent_at=dt.datetime.fromtimestamp(date, dt.UTC) if isinstance(date, int) else None,
    )


def _chat_id(value: str) -> int | str:
    return int(value) if value.lstrip("-").isdigit() else value


class TelegramClient:
    """``sendMessage`` through the Bot API at ``base_url`` (https://api.telegram.org)."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 15.0) -> None:
        self._url = f"{base_url.rstrip('/')}/bot{token}/sendMessage"
        self._timeout = timeout

    def _send(self, payload: dict[str, Any]) -> None:
        try:
            response = httpx.post(self._url, json=payload, timeout=self._timeout)
        except httpx.HTTPError as exc:
            raise SendFailed(f"telegram sendMessage: {type(exc).__name__}: {exc}") from None
        answer = _json(response)
        if response.status_code != 200 or not isinstance(answer, dict) or not answer.get("ok"):
            detail = answer.get("description") if isinstance(answer, dict) else ""
            raise SendFailed(f"telegram sendMessage: HTTP {response.status_code} {detail}")

    def send_private(self, address: str, text: str) -> None:
        """Send ``text`` to the chat ``address``, in messages of at most 4096 characters."""
        for piece in chunks(text, TEXT_LIMIT):
            self._send({"chat_id": _chat_id(address), "text": piece})

    def send_public(self, post_id: str, text: str) -> None:
        """Reply in the group to the message ``post_id`` (``<chat id>:<message id>``)."""
        chat_id, message_id = post_id.rsplit(":", 1)
        self._send({"chat_id": _chat_id(chat_id), "text": text[:TEXT_LIMIT],
                    "reply_parameters": {"message_id": int(message_id)}})
