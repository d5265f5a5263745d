"""Social tables: every accepted platform update, once (replay protection and reply address)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ombud.db import Base


class SocialUpdate(Base):
    """One verified update from a platform. ``(platform, update_key)`` is unique, so a
    replayed update (same Telegram ``update_id``, Messenger ``mid``, X event id) is refused."""

    __tablename__ = "social_updates"
    __table_args__ = (
        UniqueConstraint("platform", "update_key"),
        Index("ix_social_updates_case", "case_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))  # telegram | messenger | x
    update_key: Mapped[str] = mapped_column(String(128))
    sender_id: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))  # where a private reply goes
    public: Mapped[bool] = mapped_column(Boolean)
    post_id: Mapped[str | None] = mapped_column(String(64))  # the public post, to answer it
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    outcome: Mapped[str] = mapped_column(String(16))  # case_opened | follow_up
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
