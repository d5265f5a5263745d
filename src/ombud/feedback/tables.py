"""Feedback tables: one satisfaction survey per case, with its answer."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ombud.db import Base


class Survey(Base):
    """The survey sent to a case's customer after resolution, and their answer (once).

    ``case_id`` is unique: one survey per case, however often it is resolved. Only the hash
    of the link's token is kept.
    """

    __tablename__ = "surveys"
    __table_args__ = (
        CheckConstraint("csat IS NULL OR (csat >= 1 AND csat <= 5)", name="csat"),
        CheckConstraint("nps IS NULL OR (nps >= 0 AND nps <= 10)", name="nps"),
        CheckConstraint("answered_at IS NULL OR (csat IS NOT NULL AND nps IS NOT NULL)",
                        name="answer"),
        Index("ix_surveys_sent_at", "sent_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    language: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))  # the case's channel when sent
    routes: Mapped[str] = mapped_column(String(64))  # e.g. "portal,email"
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    csat: Mapped[int | None] = mapped_column(Integer)
    nps: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
