"""Case types that cross domain boundaries and the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ombud.cases.lifecycle import Event, Status
from ombud.cases.taxonomy import Category, Channel, Priority


class CaseIn(BaseModel):
    """A new complaint. Customers file for themselves; staff name the customer."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    summary: str = Field(min_length=3, max_length=200, description="One line: what went wrong")
    description: str = Field(default="", max_length=100_000, description="The full account")
    desired_outcome: str = Field(default="", max_length=5_000,
                                 description="What the customer wants done about it")
    category: Category | None = None
    asset: str | None = Field(default=None, max_length=16, pattern=r"^[A-Za-z0-9]{1,16}$")
    amount: Decimal | None = Field(default=None, ge=0, le=Decimal("1e15"), max_digits=38,
                                   decimal_places=18)
    language: Literal["en", "zh-Hans", "zh-Hant"] | None = None
    jurisdiction: str | None = Field(default=None, max_length=8, pattern=r"^[A-Za-z-]{2,8}$")
    channel: Channel = Channel.API
    customer_uid: str | None = Field(default=None, max_length=64,
                                     description="Staff only: the customer's exchange UID")
    customer_email: str | None = Field(default=None, max_length=320,
                                       description="Staff only: the customer's email")

    @field_validator("asset")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value


class CaseOut(BaseModel):
    """A case as lists and the API show it."""

    model_config = ConfigDict(from_attributes=True)

    reference: str
    status: Status
    channel: Channel
    category: Category
    subcategory: str
    priority: Priority
    summary: str
    desired_outcome: str
    asset: str | None
    amount: Decimal | None
    jurisdiction: str
    language: str
    team_id: int | None
    assignee_id: int | None
    received_at: dt.datetime
    updated_at: dt.datetime
    due_at: dt.datetime | None


class MessageIn(BaseModel):
    """A reply or an internal note."""

    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=100_000)
    visibility: Literal["public", "internal"] = "public"


class AttachmentOut(BaseModel):
    """A stored file."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    media_type: str
    size: int
    sha256: str
    message_id: int | None
    created_at: dt.datetime


class MessageOut(BaseModel):
    """A message on the timeline."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    direction: Literal["in", "out", "note"]
    channel: str
    author_kind: str
    author_name: str
    body: str
    visibility: Literal["public", "internal"]
    created_at: dt.datetime


class AuditEntry(BaseModel):
    """A step on the case's audit trail, as staff see it."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: dt.datetime
    actor: str
    action: str
    data: str


class CaseDetail(CaseOut):
    """A case with its timeline."""

    description: str
    customer_id: int
    messages: list[MessageOut]
    attachments: list[AttachmentOut]
    audit: list[AuditEntry] = Field(default_factory=list)
    next_events: list[Event] = Field(default_factory=list)


class TransitionIn(BaseModel):
    """Move a case by an event of its lifecycle."""

    model_config = ConfigDict(extra="forbid")

    event: Event
    reason: str = Field(default="", max_length=2_000)


class AssignIn(BaseModel):
    """Give a case to a team and/or a handler."""

    model_config = ConfigDict(extra="forbid")

    team_id: int | None = None
    assignee_id: int | None = None


class CaseFilter(BaseModel):
    """Filters and order of a case list."""

    model_config = ConfigDict(extra="forbid")

    status: list[Status] = Field(default_factory=list)
    team_id: int | None = None
    assignee_id: int | None = None
    category: Category | None = None
    priority: Priority | None = None
    q: str | None = Field(default=None, max_length=200)
    sort: Literal["due", "received", "updated"] = "due"
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=200)


class CasePage(BaseModel):
    """One page of a case list; pass ``next_cursor`` back for the next page."""

    items: list[CaseOut]
    next_cursor: str | None
