"""What every platform's webhook turns into, and the public answer to a public post (pure)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol


class Platform(StrEnum):
    """A social platform; its value is also the case channel and the identity kind."""

    TELEGRAM = "telegram"
    MESSENGER = "messenger"
    X = "x"


@dataclass(frozen=True)
class Inbound:
    """One customer message from a platform, verified and parsed.

    ``key`` is the platform's own id of the update (replay protection). ``address`` is where
    a private answer goes (Telegram chat id, Messenger PSID or ``comment:<id>`` for a private
    reply to a comment, X user id); ``post_id`` names a public post to answer publicly.
    """

    platform: Platform
    key: str
    sender_id: str
    sender_name: str
    text: str
    public: bool
    address: str | None
    post_id: str | None = None
    language_hint: str = ""
    sent_at: dt.datetime | None = None


class Refused(ValueError):
    """A webhook request that is not a genuine, well-formed platform update."""


#: How a public post is answered: a pointer to a private channel and nothing else (no name,
#: no case reference, no word of what the customer wrote).
_POINTER = {
    "en": ("Thank you for reaching out. To protect your privacy we never discuss accounts "
           "in public: please {where} and we will help you there."),
    "zh-Hans": ("感谢您的留言。为保护您的隐私，我们不会在公开场合讨论账户信息："
                "请{where}，我们会在那里为您处理。"),
    "zh-Hant": ("感謝您的留言。為保護您的隱私，我們不會在公開場合討論帳戶資訊："
                "請{where}，我們會在那裡為您處理。"),
}
_WHERE = {
    "en": {Platform.TELEGRAM: "open a private chat with our bot",
           Platform.MESSENGER: "send us a private message on Messenger",
           Platform.X: "send us a direct message"},
    "zh-Hans": {Platform.TELEGRAM: "与我们的机器人私聊",
                Platform.MESSENGER: "通过 Messenger 私信我们", Platform.X: "私信我们"},
    "zh-Hant": {Platform.TELEGRAM: "與我們的機器人私聊",
                Platform.MESSENGER: "透過 Messenger 私訊我們", Platform.X: "私訊我們"},
}


def public_pointer(platform: Platform, language: str) -> str:
    """The only text ever posted publicly in answer to a public post."""
    lang = language if language in _POINTER else "en"
    return _POINTER[lang].format(where=_WHERE[lang][platform])


def chunks(text: str, limit: int) -> list[str]:
    """``text`` cut into pieces of at most ``limit`` characters, at line breaks if possible."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        cut = cut if cut > limit // 2 else limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n")
    return [*pieces, rest] if rest else pieces


def json_answer(response: Any) -> Any:
    """The JSON body of an HTTP response, or None when it is not JSON (a proxy's error page)."""
    try:
        return response.json()
    except ValueError:
        return None


class SendFailed(RuntimeError):
    """The platform refused or did not answer a send; the job retries."""


class PlatformClient(Protocol):
    """Sends through one platform's API."""

    def send_private(self, address: str, text: str) -> None:
        """Send ``text`` to the private ``address`` (split to the platform's length limit)."""
        ...

    def send_public(self, post_id: str, text: str) -> None:
        """Answer the public post ``post_id`` in public with ``text``."""
        ...
