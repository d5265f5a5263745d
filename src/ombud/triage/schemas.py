"""Triage types that cross domain boundaries: the console panel, staff profiles,
corrections and incidents."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from ombud.cases.schemas import Instant, Text
from ombud.cases.taxonomy import SUBCATEGORIES, Category
from ombud.triage.calendars import BusinessCalendar, from_spec


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
    reference: str = ""  # the case's, where the reader needs a link


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


class IncidentClosed(BaseModel):
    """A closed incident: the members its final answer resolved and those it only informed
    (an individual decision was in flight)."""

    incident: IncidentOut
    resolved: list[str]
    left_open: list[str]


class CaseTriage(BaseModel):
    """Everything the console's triage panel shows for one case."""

    reference: str
    decision: DecisionOut | None
    clocks: list[ClockOut]
    alerts: list[AlertOut]
    incident: IncidentOut | None = None
    members: list[str] = Field(default_factory=list)
    part_of: str | None = None  # the major incident this case is a member of


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


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a time zone (e.g. Europe/London)") from None
    return value


def _weekdays(value: list[int]) -> list[int]:
    if not set(value) <= set(range(7)):
        raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
    return sorted(set(value))


TimeZone = Annotated[str, Field(max_length=64), AfterValidator(_zone)]
Weekdays = Annotated[list[int], Field(min_length=1), AfterValidator(_weekdays)]


class ProfileIn(BaseModel):
    """What routing needs to know about a handler. Hours are local wall-clock times in
    ``timezone``; a start after the end is an overnight shift."""

    model_config = ConfigDict(extra="forbid")

    capacity: int = Field(default=25, ge=0, le=10_000)
    timezone: TimeZone = "UTC"
    hours_start: str = Field(default="00:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    hours_end: str = Field(default="24:00", pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")
    weekdays: Weekdays = Field(default_factory=lambda: list(range(7)))
    available: bool = True
    business_unit: str = Field(default="complaints", max_length=40)

    @model_validator(mode="after")
    def _some_hours(self) -> ProfileIn:
        if self.hours_start == self.hours_end:
            raise ValueError("working hours must not start and end at the same time")
        return self


class TeamCalendarIn(BaseModel):
    """The business calendar a team's service levels count on: its time zone, the public
    holidays of a country (and region) from the ``holidays`` package, working weekdays and
    opening hours (none: the whole day)."""

    model_config = ConfigDict(extra="forbid")

    timezone: TimeZone
    country: str = Field(default="", max_length=3)
    subdiv: str = Field(default="", max_length=8)
    weekdays: Weekdays = Field(default_factory=lambda: [0, 1, 2, 3, 4])
    hours_start: str = Field(default="", pattern=r"^(([01]\d|2[0-3]):[0-5]\d)?$")
    hours_end: str = Field(default="", pattern=r"^(([01]\d|2[0-3]):[0-5]\d)?$")

    @model_validator(mode="after")
    def _holidays_and_hours(self) -> TeamCalendarIn:
        self.country, self.subdiv = self.country.strip().upper(), self.subdiv.strip().upper()
        known = holidays.list_supported_countries()
        if self.country and self.country not in known:
            raise ValueError(f"no public-holiday calendar for country {self.country!r}")
        if self.subdiv and self.subdiv not in known.get(self.country, ()):
            raise ValueError(f"{self.subdiv!r} is not a region of {self.country or 'no country'}"
                             f" (known: {', '.join(known.get(self.country, ())) or 'none'})")
        if bool(self.hours_start) != bool(self.hours_end):
            raise ValueError("give both opening and closing hours, or neither (all day)")
        if self.hours_start and not self.hours_start < self.hours_end:
            raise ValueError("a team's hours must open before they close on the same day")
        return self

    def calendar(self, team: str) -> BusinessCalendar:
        """The calendar, named after ``team``."""
        return from_spec(f"{team} team", {
            "tz": self.timezone, "country": self.country, "subdiv": self.subdiv,
            "weekdays": self.weekdays,
            "hours": [self.hours_start, self.hours_end] if self.hours_start else None})


class TeamRouting(BaseModel):
    """A team as routing sees it (empty lists: any), with its service-level calendar."""

    id: int
    name: str
    categories: list[str]
    languages: list[str]
    jurisdictions: list[str]
    calendar: TeamCalendarIn | None = None


class StaffRouting(BaseModel):
    """A member of staff as routing sees them: their profile (the defaults when none is set)
    and how many open cases they hold."""

    id: int
    name: str
    role: str
    team_id: int | None
    open_cases: int
    profile: ProfileIn
    has_profile: bool


class RoutingPage(BaseModel):
    """Everything routing decides with: teams, staff, and the GV-1 conflict rule (the
    business unit each category of complaint is about)."""

    teams: list[TeamRouting]
    staff: list[StaffRouting]
    conflict_units: dict[str, str]


class IncidentMessageIn(BaseModel):
    """One message for every member of an incident."""

    model_config = ConfigDict(extra="forbid")

    body: Text = Field(min_length=1, max_length=100_000)
