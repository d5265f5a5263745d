"""Deadline clocks with pause/resume (pure).

A :class:`Clock` is a value; :func:`due_at`, :func:`remaining` and :func:`state` compute from it
and an explicit ``now``. Only a pausable clock (the exchange's own service targets) stops while
the case waits on the customer; a regulatory clock never stops (regulation.md §1 "No pause"),
and its pauses are ignored with a visible note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from ombud.triage.calendars import (
    BusinessCalendar,
    add_business_days,
    add_business_time,
    add_calendar_days,
    add_months,
    add_weeks,
    business_time_between,
    close_of_business,
    end_of_day,
    local_date,
    next_business_day,
)


class Unit(StrEnum):
    """The unit a rule states its period in; kept exactly as the source states it."""

    CALENDAR_DAYS = "calendar_days"
    CALENDAR_WEEKS = "calendar_weeks"
    CALENDAR_MONTHS = "calendar_months"
    BUSINESS_DAYS = "business_days"
    WORKING_DAYS = "working_days"
    BUSINESS_HOURS = "business_hours"
    BUSINESS_MINUTES = "business_minutes"


DAY_UNITS = frozenset(
    {Unit.CALENDAR_DAYS, Unit.CALENDAR_WEEKS, Unit.CALENDAR_MONTHS, Unit.BUSINESS_DAYS,
     Unit.WORKING_DAYS}
)
BUSINESS_UNITS = frozenset(
    {Unit.BUSINESS_DAYS, Unit.WORKING_DAYS, Unit.BUSINESS_HOURS, Unit.BUSINESS_MINUTES}
)


class PeriodEnd(StrEnum):
    """When the last day of a day-based period ends."""

    END_OF_DAY = "end_of_day"
    CLOSE_OF_BUSINESS = "close_of_business"


class ClockState(StrEnum):
    """Live state of a clock at a given instant."""

    RUNNING = "running"
    PAUSED = "paused"
    WARNING = "warning"
    BREACHED = "breached"


@dataclass(frozen=True)
class Period:
    """An amount of a unit, e.g. ``Period(2, Unit.CALENDAR_MONTHS)``."""

    amount: int
    unit: Unit

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError("a period cannot be negative")

    def __str__(self) -> str:
        return f"{self.amount} {self.unit.value.replace('_', ' ')}"


@dataclass(frozen=True)
class Pause:
    """The case waited on the customer from ``start`` until ``end`` (``None``: still waiting)."""

    start: datetime
    end: datetime | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError("a pause cannot end before it starts")


@dataclass(frozen=True)
class Clock:
    """A deadline: ``period`` counted on ``calendar`` from ``start``, citing its rule.

    ``roll_forward`` moves a day-based due date that falls on a non-business day to the next
    business day (Reg. 1182/71 Art. 3(4)). ``pauses`` are honoured only if ``pausable``.
    """

    rule_id: str
    citation: str
    start: datetime
    period: Period
    calendar: BusinessCalendar
    pausable: bool = False
    pauses: tuple[Pause, ...] = ()
    period_end: PeriodEnd = PeriodEnd.END_OF_DAY
    roll_forward: bool = False

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.start.utcoffset() is None:
            raise ValueError("clock start must be timezone-aware")


@dataclass(frozen=True)
class WarningPolicy:
    """Warn once ``fraction`` of the clock's own time has elapsed, or ``lead`` before due."""

    fraction: float | None = 0.8
    lead: timedelta | None = None


def due_date(clock: Clock) -> date | None:
    """The local last day of a day-based clock, ignoring pauses; ``None`` for hour units."""
    if clock.period.unit not in DAY_UNITS:
        return None
    cal, n = clock.calendar, clock.period.amount
    start = local_date(cal, clock.start)
    match clock.period.unit:
        case Unit.CALENDAR_DAYS:
            day = add_calendar_days(start, n)
        case Unit.CALENDAR_WEEKS:
            day = add_weeks(start, n)
        case Unit.CALENDAR_MONTHS:
            day = add_months(start, n)
        case _:
            day = add_business_days(cal, start, n)
    return next_business_day(cal, day) if clock.roll_forward else day


def _nominal_due(clock: Clock) -> datetime:
    day = due_date(clock)
    if day is None:
        minutes = clock.period.amount * (60 if clock.period.unit is Unit.BUSINESS_HOURS else 1)
        return add_business_time(clock.calendar, clock.start, timedelta(minutes=minutes))
    if clock.period_end is PeriodEnd.CLOSE_OF_BUSINESS:
        return close_of_business(clock.calendar, day)
    return end_of_day(clock.calendar, day)


def _measure(clock: Clock, a: datetime, b: datetime) -> timedelta:
    """Time of the clock's own kind in ``[a, b)``: business time or real time."""
    if clock.period.unit in BUSINESS_UNITS:
        return business_time_between(clock.calendar, a, b)
    return max(b - a, timedelta(0))


def _extend(clock: Clock, at: datetime, amount: timedelta) -> datetime:
    if clock.period.unit in BUSINESS_UNITS:
        return add_business_time(clock.calendar, at, amount)
    return at + amount


def _effective_pauses(clock: Clock, now: datetime | None) -> list[tuple[datetime, datetime]]:
    """Honoured pauses clipped to the clock start, open ones closed at ``now``, merged."""
    if not clock.pausable:
        return []
    spans: list[tuple[datetime, datetime]] = []
    for p in sorted(clock.pauses, key=lambda p: p.start):
        end = p.end if p.end is not None else now
        if end is None:
            raise ValueError(f"{clock.rule_id}: an open pause needs `now` to compute a due time")
        lo, hi = max(p.start, clock.start), end
        if lo >= hi:
            continue
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], hi))
        else:
            spans.append((lo, hi))
    return spans


def due_at(clock: Clock, now: datetime | None = None) -> datetime:
    """The UTC instant the clock expires (breached when ``now >= due_at``).

    A pausable clock is extended by each pause that began before it expired, by the paused
    time of its own kind (business time for business units, real time otherwise). An open
    pause counts up to ``now``. A non-pausable clock ignores pauses (see :func:`notes`).
    """
    due = _nominal_due(clock)
    for lo, hi in _effective_pauses(clock, now):
        if lo >= due:
            break
        due = _extend(clock, due, _measure(clock, lo, hi))
    return due


def remaining(clock: Clock, now: datetime) -> timedelta:
    """Real time left until :func:`due_at`; negative once breached."""
    return due_at(clock, now) - now


def is_paused(clock: Clock, now: datetime) -> bool:
    """True if a pausable clock is inside a pause at ``now``."""
    return clock.pausable and any(
        p.start <= now and (p.end is None or now < p.end) for p in clock.pauses
    )


def _elapsed(clock: Clock, until: datetime, now: datetime) -> timedelta:
    paused = sum(
        (_measure(clock, lo, min(hi, until)) for lo, hi in _effective_pauses(clock, now)),
        timedelta(0),
    )
    return _measure(clock, clock.start, until) - paused


def state(clock: Clock, now: datetime, policy: WarningPolicy = WarningPolicy()) -> ClockState:
    """Running, paused, warning (per ``policy``) or breached at ``now``."""
    due = due_at(clock, now)
    if now >= due:
        return ClockState.BREACHED
    if is_paused(clock, now):
        return ClockState.PAUSED
    if policy.lead is not None and due - now <= policy.lead:
        return ClockState.WARNING
    if policy.fraction is not None:
        total = _elapsed(clock, due, now)
        if total > timedelta(0) and _elapsed(clock, now, now) / total >= policy.fraction:
            return ClockState.WARNING
    return ClockState.RUNNING


def notes(clock: Clock) -> tuple[str, ...]:
    """Human-readable remarks on how the clock was counted."""
    out: list[str] = []
    if clock.pauses and not clock.pausable:
        out.append(
            f"{clock.rule_id} does not stop while waiting on the customer; "
            f"{len(clock.pauses)} pause(s) ignored"
        )
    if clock.roll_forward:
        out.append("a due date on a non-business day rolls to the next business day")
    return tuple(out)


@dataclass(frozen=True)
class ClockStatus:
    """A clock evaluated at an instant, ready to show or store."""

    clock: Clock
    due_at: datetime
    due_date: date | None
    remaining: timedelta
    state: ClockState
    notes: tuple[str, ...]


def evaluate(clock: Clock, now: datetime, policy: WarningPolicy = WarningPolicy()) -> ClockStatus:
    """Due time, remaining time, state and notes of ``clock`` at ``now``."""
    due = due_at(clock, now)
    day = due_date(clock)
    if day is not None and due != _nominal_due(clock):  # moved by pauses: the day it now ends
        day = local_date(clock.calendar, due - timedelta(microseconds=1))
    return ClockStatus(
        clock=clock,
        due_at=due,
        due_date=day,
        remaining=due - now,
        state=state(clock, now, policy),
        notes=notes(clock),
    )
