"""Case types that cross domain boundaries and the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from ombud.cases.lifecycle import Event, Status
from ombud.cases.taxonomy import Category, Channel, Priority
from ombud.common.clock import as_utc

#: The largest id a database integer column holds (PostgreSQL ``integer``).
MAX_ID = 2**31 - 1


def storable(value: str) -> str:
    """Refuse text no database column can hold: NUL characters and lone surrogates."""
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    return value


#: A string that can be stored and searched in SQLite and PostgreSQL.
Text = Annotated[str, AfterValidator(storable)]
#: A timestamp as the API shows it: always with its UTC offset (SQLite hands back naive ones).
Instant = Annotated[dt.datetime, AfterValidator(as_utc)]
#: A row id: positive and within a database integer.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class CaseIn(BaseModel):
    """A new complaint. Customers file for themselves; staff name the customer."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    summary: Text = Field(min_length=3, max_length=200, description="One line: what went wrong")
    description: Text = Field(default="", max_length=100_000, description="The full account")
    desired_outcome: Text = Field(default="", max_length=5_000,
                                 description="What the customer wants done about it")
    category: Category | None = None
    asset: str | None = Field(default=None, max_length=16, pattern=r"^[A-Za-z0-9]{1,16}$")
    amount: Decimal | None = Field(default=None, ge=0, le=Decimal("1e15"), max_digits=38,
                                   decimal_places=18)
    language: Literal["en", "zh-Hans", "zh-Hant"] | None = None
    jurisdiction: str | None = Field(default=None, max_length=8, pattern=r"^[A-Za-z-]{2,8}$")
    channel: Channel = Channel.API
    customer_uid: Text | None = Field(default=None, max_length=64,
                                     description="Staff only: the customer's exchange UID")
    customer_email: Text | None = Field(default=None, max_length=320,
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
    received_at: Instant
    updated_at: Instant
    due_at: Instant | None


class MessageIn(BaseModel):
    """A reply or an internal note."""

    model_config = ConfigDict(extra="forbid")

    body: Text = Field(min_length=1, max_length=100_000)
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
    created_at: Instant


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
    created_at: Instant


class AuditEntry(BaseModel):
    """A step on the case's audit trail, as staff see it."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: Instant
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
    reason: Text = Field(default="", max_length=2_000)


class AssignIn(BaseModel):
    """Give a case to a team and/or a handler."""

    model_config = ConfigDict(extra="forbid")

    team_id: Id | None = None
    assignee_id: Id | None = None


class CaseFilter(BaseModel):
    """Filters and order of a case list."""

    model_config = ConfigDict(extra="forbid")

    status: list[Status] = Field(default_factory=list)
    team_id: Id | None = None
    assignee_id: Id | None = None
    category: Category | None = None
    priority: Priority | None = None
    q: Text | None = Field(default=None, max_length=200)
    sort: Literal["due", "received", "updated"] = "due"
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=200)


class CasePage(BaseModel):
    """One page of a case list; pass ``next_cursor`` back for the next page."""

    items: list[CaseOut]
    next_cursor: str | None


class AssessmentIn(BaseModel):
    """What triage (or a member of staff correcting it) sets on a case; unset fields stay."""

    model_config = ConfigDict(extra="forbid")

    category: Category | None = None
    subcategory: str | None = Field(default=None, max_length=48)
    priority: Priority | None = None
    impact: Literal["low", "medium", "high", "critical"] | None = None
    team_id: Id | None = None
    assignee_id: Id | None = None
    due_at: Instant | None = None
    reason: Text = Field(default="", max_length=2_000)
