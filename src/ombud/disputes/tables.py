"""Objections to a decision and their re-review by someone other than the proposer."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ombud.db import Base


class Objection(Base):
    """The customer's objection to an issued proposal; re-reviewed, then confirmed or changed."""

    __tablename__ = "objections"
    __table_args__ = (
        CheckConstraint("outcome IS NULL OR outcome IN ('confirmed', 'changed')",
                        name="outcome"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), unique=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    body: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    review_started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(10))
    review_note: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
