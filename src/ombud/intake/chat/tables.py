"""Chat tables: knowledge-base articles, chats and their numbered messages.

The full-text indexes are not mapped: the migration adds an FTS5 table kept in step by
triggers on SQLite, and a GIN index over ``search_text`` on PostgreSQL (see ``kb.py``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ombud.db import Base


class Article(Base):
    """A knowledge-base article the bot answers from."""

    __tablename__ = "chat_articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    language: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text)  # index terms (CJK as bigrams)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Chat(Base):
    """One live chat of a customer: with the bot, waiting for staff, live, or closed."""

    __tablename__ = "chat_chats"
    __table_args__ = (
        Index("ix_chat_chats_status", "status", "id"),
        Index("ix_chat_chats_customer", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    status: Mapped[str] = mapped_column(String(8))  # bot | waiting | live | closed
    language: Mapped[str] = mapped_column(String(16), default="en")
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ChatMessage(Base):
    """One numbered event of a chat: text from the customer, the bot or staff, or a change
    of status. ``(chat_id, seq)`` orders it; ``(chat_id, client_id)`` makes a resent message
    from the client a no-op."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        UniqueConstraint("chat_id", "seq", name="uq_chat_messages_chat_seq"),
        UniqueConstraint("chat_id", "client_id", name="uq_chat_messages_chat_client"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chat_chats.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))  # text | handover | joined | closed
    author_kind: Mapped[str] = mapped_column(String(8))  # customer | bot | staff | system
    author_name: Mapped[str] = mapped_column(String(120), default="")
    body: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str | None] = mapped_column(String(64))
    case_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
