"""Customer tables."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String
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
