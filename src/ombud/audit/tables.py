"""Audit tables: events chained per case, chain heads, and periodic anchors."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ombud.db import Base


class AuditEvent(Base):
    """One recorded step. ``hash`` covers the event's canonical JSON and ``prev_hash``."""

    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("chain", "seq"), Index("ix_audit_case", "case_id", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The latest event of each chain; ``dirty`` until the next anchor covers it."""

    __tablename__ = "audit_heads"

    chain: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    dirty: Mapped[bool] = mapped_column(Boolean, default=True, index=True)


class AuditAnchor(Base):
    """A periodic seal over the chain heads that changed since the previous anchor."""

    __tablename__ = "audit_anchors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    heads_digest: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditAnchorHead(Base):
    """One chain head as a given anchor saw it."""

    __tablename__ = "audit_anchor_heads"

    anchor_id: Mapped[int] = mapped_column(ForeignKey("audit_anchors.id"), primary_key=True)
    chain: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
