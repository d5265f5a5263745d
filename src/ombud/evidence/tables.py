"""Evidence tables: frozen captures, findings, and the link of a finding to its evidence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ombud.db import Amount, Base

FAULTS = ("platform", "customer", "third_party", "market", "undetermined")


class EvidenceItem(Base):
    """One frozen piece of evidence: what was asked, when, the SHA-256 of the canonical body.

    Never updated (a database trigger refuses UPDATE); the body is also kept, content-addressed,
    in the blob store under ``sha256``.
    """

    __tablename__ = "evidence_items"
    __table_args__ = (
        UniqueConstraint("case_id", "run", "kind", name="uq_evidence_items_run_kind"),
        Index("ix_evidence_items_case", "case_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(40))
    run: Mapped[str] = mapped_column(String(64))
    request: Mapped[str] = mapped_column(Text)
    captured_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))


class Finding(Base):
    """A conclusion about the case: whose fault, the measured loss, and (via citations) the
    evidence it rests on."""

    __tablename__ = "evidence_findings"
    __table_args__ = (
        CheckConstraint("fault IN ('platform', 'customer', 'third_party', 'market', "
                        "'undetermined')", name="fault"),
        UniqueConstraint("case_id", "key", name="uq_evidence_findings_key"),
        Index("ix_evidence_findings_case", "case_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    fault: Mapped[str] = mapped_column(String(16))
    verdict: Mapped[str] = mapped_column(String(48))
    summary: Mapped[str] = mapped_column(Text)
    loss_asset: Mapped[str | None] = mapped_column(String(16))
    loss_amount: Mapped[Decimal | None] = mapped_column(Amount)
    loss_usd: Mapped[Decimal | None] = mapped_column(Amount)
    origin: Mapped[str] = mapped_column(String(16))  # analysis | staff
    analysis: Mapped[str | None] = mapped_column(String(32))
    key: Mapped[str | None] = mapped_column(String(120))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Citation(Base):
    """A finding cites one evidence item; a finding is saved only with at least one."""

    __tablename__ = "evidence_citations"

    finding_id: Mapped[int] = mapped_column(ForeignKey("evidence_findings.id"), primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"), primary_key=True)
