"""Triage tables: the decision on each case, its deadline clocks, alerts, staff profiles,
team jurisdictions, staff corrections of the classifier and major incidents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ombud.db import Base


class TriageDecision(Base):
    """The latest triage of a case and the reasons for it (earlier runs are in the audit)."""

    __tablename__ = "triage_decisions"
    __table_args__ = (
        Index("ix_triage_decisions_awaiting", "awaiting_info", "case_id"),
        Index("ix_triage_decisions_incident_key", "incident_key", "received_at"),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True,
                                         autoincrement=False)
    runs: Mapped[int] = mapped_column(Integer, default=1)
    outcome: Mapped[str] = mapped_column(String(16))  # routed | needs_info | human_triage
    language: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    subcategory: Mapped[str] = mapped_column(String(48), default="")
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    needs_human: Mapped[bool] = mapped_column(Boolean, default=False)
    corrected: Mapped[bool] = mapped_column(Boolean, default=False)
    classification: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    priority: Mapped[str] = mapped_column(String(8))
    impact: Mapped[str] = mapped_column(String(8))
    immediate_action: Mapped[bool] = mapped_column(Boolean, default=False)
    priority_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    routing_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    not_asked: Mapped[list[str]] = mapped_column(JSON, default=list)
    clock_notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    awaiting_info: Mapped[bool] = mapped_column(Boolean, default=False)
    question_rounds: Mapped[int] = mapped_column(Integer, default=0)
    incident_key: Mapped[str] = mapped_column(String(80), default="")
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    triaged_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class TriageClock(Base):
    """One deadline of a case: a regulatory clock (CL-x, AK-3 ...) or a service level."""

    __tablename__ = "triage_clocks"
    __table_args__ = (
        Index("ix_triage_clocks_case", "case_id", "id"),
        Index("ix_triage_clocks_state_warn", "state", "warn_at"),
        Index("ix_triage_clocks_state_due", "state", "due_at"),
        UniqueConstraint("case_id", "slot"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    slot: Mapped[str] = mapped_column(String(64))  # rule_id:purpose, unique per case
    rule_id: Mapped[str] = mapped_column(String(32))
    citation: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(12))  # regulatory | service
    purpose: Mapped[str] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(12))  # obligation | window | right
    pausable: Mapped[bool] = mapped_column(Boolean, default=False)
    strictest: Mapped[bool] = mapped_column(Boolean, default=False)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    warn_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(12))  # running|warning|breached|met|closed|opened
    warned_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    settled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)


class TriageAlert(Base):
    """A warning to the handler before a breach, or an escalation to a supervisor at one."""

    __tablename__ = "triage_alerts"
    __table_args__ = (Index("ix_triage_alerts_case", "case_id", "id"),
                      Index("ix_triage_alerts_staff", "staff_id", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    clock_id: Mapped[int] = mapped_column(ForeignKey("triage_clocks.id"))
    kind: Mapped[str] = mapped_column(String(12))  # warning | escalation
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class StaffProfile(Base):
    """What routing needs to know about a handler (staff without one get the defaults)."""

    __tablename__ = "triage_staff_profiles"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True,
                                          autoincrement=False)
    capacity: Mapped[int] = mapped_column(Integer, default=25)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    hours_start: Mapped[str] = mapped_column(String(5), default="00:00")
    hours_end: Mapped[str] = mapped_column(String(5), default="24:00")
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=lambda: [0, 1, 2, 3, 4, 5, 6])
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    business_unit: Mapped[str] = mapped_column(String(40), default="complaints")


class TeamSkill(Base):
    """The jurisdictions a team handles (its categories and languages are on ``teams``), and
    the business calendar its service levels count on (``calendars.to_spec``; none: the
    exchange's support-desk calendar)."""

    __tablename__ = "triage_team_skills"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True,
                                         autoincrement=False)
    jurisdictions: Mapped[list[str]] = mapped_column(JSON, default=list)
    calendar: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class TriageCorrection(Base):
    """A staff correction of the classifier, kept for ``ombud triage retrain``."""

    __tablename__ = "triage_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    text: Mapped[str] = mapped_column(Text)
    predicted: Mapped[str] = mapped_column(String(90))
    label: Mapped[str] = mapped_column(String(90))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class TriageIncident(Base):
    """A spike of similar complaints and the major-incident case that answers them."""

    __tablename__ = "triage_incidents"
    __table_args__ = (Index("ix_triage_incidents_key", "key", "closed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
