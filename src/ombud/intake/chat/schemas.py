"""Chat types that cross the domain boundary: articles, chats, and the events of a chat."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ombud.cases.schemas import Instant, Text

ChatStatus = Literal["bot", "waiting", "live", "closed"]
#: The longest chat message, in characters; longer ones are refused.
MAX_BODY = 4_000


class ArticleIn(BaseModel):
    """A knowledge-base article."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    slug: str = Field(min_length=1, max_length=120, pattern=r"^[a-z0-9][a-z0-9-]*$")
    language: Literal["en", "zh-Hans", "zh-Hant"] = "en"
    title: Text = Field(min_length=1, max_length=200)
    body: Text = Field(min_length=1, max_length=20_000)


class ArticleOut(BaseModel):
    """An article as search returns it."""

    model_config = ConfigDict(from_attributes=True)

    slug: str
    language: str
    title: str
    body: str


class ChatEvent(BaseModel):
    """One numbered event of a chat, as the WebSocket sends it."""

    model_config = ConfigDict(from_attributes=True)

    type: Literal["message"] = "message"
    chat: str = ""
    seq: int
    kind: Literal["text", "handover", "joined", "closed"]
    author_kind: Literal["customer", "bot", "staff", "system"]
    author_name: str
    body: str
    client_id: str | None = None
    created_at: Instant


class ChatOut(BaseModel):
    """A chat: who, where it stands, the case it belongs to."""

    key: str
    status: ChatStatus
    customer_id: int
    customer_name: str = ""
    case_reference: str | None = None
    staff_id: int | None = None
    staff_name: str | None = None
    language: str
    last_seq: int
    updated_at: Instant


class Posted(BaseModel):
    """What posting into a chat produced: the events, in order, and the chat afterwards."""

    events: list[ChatEvent]
    chat: ChatOut
    duplicate: bool = False


class ChatText(BaseModel):
    """A message typed into a chat."""

    model_config = ConfigDict(extra="forbid")

    body: Text = Field(min_length=1, max_length=MAX_BODY)
    client_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


def ago(at: dt.datetime, now: dt.datetime) -> str:
    """How long ago, for the console list: ``45 s``, ``12 min``, ``3 h``."""
    seconds = max(0, int((now - at).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min" if seconds < 3600 else f"{seconds // 3600} h"
