"""Triage types that cross domain boundaries: the console panel, staff profiles,
corrections and incidents."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ombud.cases.schemas import Instant, Text
from ombud.cases.taxonomy import SUBCATEGORIES, Category


class ClockOut(BaseModel):
    """One deadline of a case, as the console shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    rule_id: str
    citation: str
    source: str
    purpose: str
    kind: str
    pausable: bool
    strictest: bool
    started_at: Instant
    due_at: Instant
    state: str
    notes: list[str]


class AlertOut(BaseModel):
    """A deadline warning or escalation."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    kind: str
    staff_id: int | None
    text: str
    created_at: Instant


class DecisionOut(BaseModel):
    """The latest triage of a case and its reasons."""

    model_config = ConfigDict(from_attributes=True)

    case_id: int
    runs: int
    outcome: str
    language: str
    category: str
    subcategory: str
    confidence: float
    needs_human: bool
    corrected: bool
    classification: dict[str, object]
    priority: str
    impact: str
    immediate_action: bool
    priority_reasons: list[str]
    routing_reasons: list[str]
    questions: list[str]
    not_asked: list[str]
    clock_notes: list[str]
    awaiting_info: bool
    triaged_at: Instant


class IncidentOut(BaseModel):
    """A major incident: a spike of similar complaints answered together."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    category: str
    subject: str
    case_id: int
    reason: str
    opened_at: Instant
    closed_at: Instant | None


class CaseTriage(BaseModel):
    """Everything the console's triage panel shows for one case."""

    reference: str
    decision: DecisionOut | None
    clocks: list[ClockOut]
    alerts: list[AlertOut]
    incident: IncidentOut | None = None
    members: list[str] = Field(default_factory=list)


class CorrectionIn(BaseModel):
    """A member of staff sets the right category and sub-category."""

    model_config = ConfigDict(extra="forbid")

    category: Category
    subcategory: str = Field(max_length=48)

    def label(self) -> str:
        """``category/sub``; raises ValueError outside the taxonomy."""
        if self.subcategory not in SUBCATEGORIES[self.category]:
            raise ValueError(f"{self.subcategory!r} is not a sub-category of "
                             f"{self.category.value}")
        return f"{self.category.value}/{self.subcategory}"


class ProfileIn(BaseModel):
    """What routing needs to know about a handler."""

    model_config = ConfigDict(extra="forbid")

    capacity: int = Field(default=25, ge=0, le=10_000)
    timezone: str = Field(default="UTC", max_length=64)
    hours_start: str = Field(default="00:00", pattern=r"^([01]\d|2[0-4]):[0-5]\d$")
    hours_end: str = Field(default="24:00", pattern=r"^([01]\d|2[0-4]):[0-5]\d$")
    weekdays: list[int] = Field(default_factory=lambda: list(range(7)))
    available: bool = True
    business_unit: str = Field(default="complaints", max_length=40)


class IncidentMessageIn(BaseModel):
    """One message for every member of an incident."""

    model_config = ConfigDict(extra="forbid")

    body: Text = Field(min_length=1, max_length=100_000)
