"""Customer tables."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ombud.db import Base


class Customer(Base):
    """A customer of the exchange: known by exchange UID, email, or both."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str | None] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(16), default="en")
    jurisdiction: Mapped[str] = mapped_column(String(8), default="")
    tier: Mapped[str] = mapped_column(String(16), default="regular")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))


class CustomerIdentity(Base):
    """One way to know a customer: an exchange UID, an email, a Telegram user id, a
    Messenger page-scoped id or an X user id. A value belongs to one customer only."""

    __tablename__ = "customer_identities"
    __table_args__ = (
        UniqueConstraint("kind", "value"),
        Index("ix_customer_identities_customer", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(16))  # uid | email | telegram | messenger | x
    value: Mapped[str] = mapped_column(String(320))
    label: Mapped[str] = mapped_column(String(200), default="")  # e.g. the @handle seen
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
