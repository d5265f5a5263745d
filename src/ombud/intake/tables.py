"""Intake tables: every mail received (raw kept by hash), the quarantine, the thread map,
and how far each polled IMAP mailbox has been read."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ombud.db import Base


class InboundMail(Base):
    """One mail as received: its raw bytes are the blob ``sha256``; ``dedupe_key`` (the
    Message-ID, or the content hash when it has none) makes a second delivery a no-op."""

    __tablename__ = "intake_mails"
    __table_args__ = (Index("ix_intake_mails_outcome", "outcome", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    message_id: Mapped[str] = mapped_column(String(255), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    transport: Mapped[str] = mapped_column(String(8))  # smtp | lmtp | imap
    envelope_from: Mapped[str | None] = mapped_column(String(320))
    envelope_to: Mapped[str] = mapped_column(Text, default="")
    from_address: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(String(998), default="")
    # case_opened | follow_up | automatic | quarantined
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    case_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Quarantine(Base):
    """A mail that could not be registered: held with the reason until staff re-process it."""

    __tablename__ = "intake_quarantine"
    __table_args__ = (Index("ix_intake_quarantine_status", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mail_id: Mapped[int] = mapped_column(ForeignKey("intake_mails.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="held")  # held | released
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(64))


class MailThread(Base):
    """A Message-ID known to belong to a case: the customer's mails and our replies."""

    __tablename__ = "intake_threads"
    __table_args__ = (Index("ix_intake_threads_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    direction: Mapped[str] = mapped_column(String(4))  # in | out
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ImapCursor(Base):
    """How far one IMAP mailbox has been read: every mail up to ``last_uid`` is stored.
    UIDs only mean something under one ``uid_validity``; when the server changes it, the
    mailbox is read again from the start (what was stored before is a duplicate)."""

    __tablename__ = "intake_imap_cursors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(255), unique=True)  # user@host:port/mailbox
    uid_validity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
