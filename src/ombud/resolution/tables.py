"""Resolution tables: policy versions, proposals with their points and remedies, approvals,
and the precedent index of decided cases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
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


class PolicyVersion(Base):
    """One version of the remedy policy; never edited, a change is a new version.

    The version in effect when a complaint was received (greatest ``effective_from`` not after
    ``received_at``) is the one that decides it.
    """

    __tablename__ = "policy_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    effective_from: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    document: Mapped[str] = mapped_column(Text)  # JSON, see resolution.policy.Policy
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Proposal(Base):
    """A decision on a case: its points, remedies and reasons. A re-review or appeal makes a new
    revision; the earlier one is kept, ``superseded``."""

    __tablename__ = "proposals"
    __table_args__ = (
        UniqueConstraint("case_id", "revision", name="uq_proposals_case_revision"),
        CheckConstraint("status IN ('draft', 'awaiting_approval', 'approved', 'issued', "
                        "'accepted', 'objected', 'lapsed', 'superseded')", name="status"),
        CheckConstraint("outcome IN ('upheld', 'partly_upheld', 'rejected')", name="outcome"),
        Index("ix_proposals_status_due", "status", "respond_by"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(16))
    policy_version: Mapped[int] = mapped_column(Integer)
    proposer_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    total_usd: Mapped[Decimal] = mapped_column(Amount)
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    approval_reasons: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of str
    justification: Mapped[str] = mapped_column(Text, default="")
    precedents: Mapped[str] = mapped_column(Text, default="[]")  # JSON: what the proposer saw
    summary: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(16), default="en")
    letter_subject: Mapped[str | None] = mapped_column(Text)
    letter_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    issued_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    respond_by: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ProposalPoint(Base):
    """One point of the complaint, with the finding and reason that answer it (DC-1)."""

    __tablename__ = "proposal_points"
    __table_args__ = (UniqueConstraint("proposal_id", "position", name="uq_proposal_points"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    position: Mapped[int] = mapped_column(Integer)
    point: Mapped[str] = mapped_column(Text)
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_findings.id"))
    upheld: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")


class Remedy(Base):
    """A remedy of a proposal; money moves through the exchange exactly once per
    ``client_id``, which is derived from the case and the remedy and never changes."""

    __tablename__ = "remedies"
    __table_args__ = (
        CheckConstraint("kind IN ('fee_refund', 'compensation', 'goodwill', 'unfreeze', "
                        "'guidance', 'explanation')", name="kind"),
        CheckConstraint("status IN ('proposed', 'accepted', 'executing', 'executed', "
                        "'cancelled', 'superseded')", name="status"),
        Index("ix_remedies_case", "case_id", "id"),
        Index("ix_remedies_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(16))
    clause_id: Mapped[str] = mapped_column(String(32))
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_findings.id"))
    asset: Mapped[str | None] = mapped_column(String(16))
    amount: Mapped[Decimal | None] = mapped_column(Amount)
    usd: Mapped[Decimal | None] = mapped_column(Amount)
    account: Mapped[str | None] = mapped_column(String(64))  # the exchange account (UID)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    client_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    receipt_evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_items.id"))
    bill_id: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    executed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Approval(Base):
    """An approver's decision on a proposal (four eyes); the proposer never approves."""

    __tablename__ = "proposal_approvals"
    __table_args__ = (
        CheckConstraint("decision IN ('approved', 'refused')", name="decision"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    decision: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Precedent(Base):
    """A decided case indexed by its facts and text, for finding similar decisions (DC-2)."""

    __tablename__ = "precedents"
    __table_args__ = (
        Index("ix_precedents_facts", "category", "subcategory", "loss_band"),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True,
                                         autoincrement=False)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    reference: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(32))
    subcategory: Mapped[str] = mapped_column(String(48))
    fault: Mapped[str] = mapped_column(String(16))
    jurisdiction: Mapped[str] = mapped_column(String(8))
    asset: Mapped[str | None] = mapped_column(String(16))
    loss_usd: Mapped[Decimal] = mapped_column(Amount)
    loss_band: Mapped[int] = mapped_column(Integer)  # order of magnitude, for candidate search
    remedy_usd: Mapped[Decimal] = mapped_column(Amount)
    remedy_kinds: Mapped[str] = mapped_column(String(120))  # comma-separated, sorted
    outcome: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
