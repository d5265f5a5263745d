"""Case, message, attachment, reference counter and idempotency-key tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ombud.db import Amount, Base


class Case(Base):
    """One complaint, from receipt to closing."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_queue", "team_id", "status", "due_at", "id"),
        Index("ix_cases_team_due", "team_id", "due_at", "id"),  # queue over several statuses
        Index("ix_cases_status_due", "status", "due_at", "id"),
        Index("ix_cases_customer", "customer_id", "id"),
        Index("ix_cases_assignee", "assignee_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32), default="other")
    subcategory: Mapped[str] = mapped_column(String(48), default="")
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    impact: Mapped[str] = mapped_column(String(8), default="low")
    jurisdiction: Mapped[str] = mapped_column(String(8), default="")
    language: Mapped[str] = mapped_column(String(16), default="en")
    status: Mapped[str] = mapped_column(String(20), default="received")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    summary: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    desired_outcome: Mapped[str] = mapped_column(Text, default="")
    asset: Mapped[str | None] = mapped_column(String(16))
    amount: Mapped[Decimal | None] = mapped_column(Amount)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    #: Findings of this case that cite evidence (kept by the evidence domain, read by guards).
    cited_findings: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class CaseCounter(Base):
    """The last case number issued in a year; updated in the creating transaction, so a
    rolled-back create gives its number back and references have no gaps."""

    __tablename__ = "case_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Message(Base):
    """A message on a case: in from the customer, out to them, or an internal note."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    direction: Mapped[str] = mapped_column(String(8))  # in | out | note
    channel: Mapped[str] = mapped_column(String(16))
    author_kind: Mapped[str] = mapped_column(String(12))  # customer | staff | system
    author_id: Mapped[int | None] = mapped_column(Integer)
    author_name: Mapped[str] = mapped_column(String(120), default="")
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(8))  # public | internal
    external_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Attachment(Base):
    """A file on a case; the bytes live in the blob store under ``sha256``."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class IdempotencyKey(Base):
    """A client's ``Idempotency-Key``: the same key returns the same case."""

    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
