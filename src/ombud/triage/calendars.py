"""Business-day calendars and calendar arithmetic (pure).

Counting follows regulation.md §1 "Counting periods": a period starts on the local calendar
date of receipt, the day of receipt is not counted, and a period ends at the end of its last
day in local time unless a rule names an hour. All instants returned are UTC; all calendar
dates are local to the calendar's time zone.
"""

from __future__ import annotations

import calendar as _stdcal
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

MON_FRI: frozenset[int] = frozenset(range(5))
"""Working weekdays Monday to Friday (``date.weekday()`` numbering)."""

_MAX_DAYS_SCANNED = 3660
"""Guard against calendars with no business day at all (ten years of scanning)."""


@lru_cache(maxsize=256)
def _public_holidays(country: str, subdiv: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdiv, years=year).keys())


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True)
class BusinessCalendar:
    """Where and when a firm counts business (or working) days and hours.

    ``hours`` is the opening window in local wall-clock time, e.g. ``(time(9), time(17))``;
    ``None`` means the whole of every business day counts (24h). ``country``/``subdiv`` name a
    public-holiday calendar of the ``holidays`` package; ``extra_closed`` adds proclaimed or
    firm-specific closed days; ``extra_open`` removes days from the holiday set.
    """

    name: str
    tz: str
    country: str | None = None
    subdiv: str | None = None
    weekdays: frozenset[int] = MON_FRI
    hours: tuple[time, time] | None = None
    extra_closed: frozenset[date] = field(default_factory=frozenset)
    extra_open: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        _zone(self.tz)  # raises ZoneInfoNotFoundError on a bad name
        if not self.weekdays or not self.weekdays <= set(range(7)):
            raise ValueError("weekdays must be a non-empty subset of 0..6")
        if self.hours is not None and not self.hours[0] < self.hours[1]:
            raise ValueError("working hours must open before they close on the same day")

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        return _zone(self.tz)

    def is_holiday(self, day: date) -> bool:
        """True if ``day`` is a public holiday or an extra closed day of this calendar."""
        if day in self.extra_closed:
            return True
        if self.country is None or day in self.extra_open:
            return False
        return day in _public_holidays(self.country, self.subdiv, day.year)

    def is_business_day(self, day: date) -> bool:
        """True if ``day`` is a working weekday and not a holiday."""
        return day.weekday() in self.weekdays and not self.is_holiday(day)


UK_ENGLAND_WALES = BusinessCalendar("UK (England and Wales)", "Europe/London", "GB", "ENG")
UK_SCOTLAND = BusinessCalendar("UK (Scotland)", "Europe/London", "GB", "SCT")
UK_NORTHERN_IRELAND = BusinessCalendar("UK (Northern Ireland)", "Europe/London", "GB", "NIR")
MALTA = BusinessCalendar("Malta", "Europe/Malta", "MT")
US_FEDERAL = BusinessCalendar("US (federal)", "America/New_York", "US")
HONG_KONG = BusinessCalendar("Hong Kong", "Asia/Hong_Kong", "HK")
UAE = BusinessCalendar("UAE", "Asia/Dubai", "AE")


def _check_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"datetime must be timezone-aware: {at!r}")


def local_date(cal: BusinessCalendar, at: datetime) -> date:
    """The calendar date of instant ``at`` in the calendar's time zone."""
    _check_aware(at)
    return at.astimezone(cal.zone).date()


def local_instant(cal: BusinessCalendar, day: date, at: time) -> datetime:
    """The UTC instant of local wall-clock ``at`` on ``day`` (DST-aware, fold=0)."""
    return datetime.combine(day, at, tzinfo=cal.zone).astimezone(UTC)


def end_of_day(cal: BusinessCalendar, day: date) -> datetime:
    """The end of local ``day``: the (exclusive) UTC instant of the next local midnight."""
    return local_instant(cal, day + timedelta(days=1), time(0))


def close_of_business(cal: BusinessCalendar, day: date) -> datetime:
    """Closing time on ``day`` if the calendar has working hours, else the end of the day."""
    if cal.hours is None:
        return end_of_day(cal, day)
    return local_instant(cal, day, cal.hours[1])


def _open_window(cal: BusinessCalendar, day: date) -> tuple[datetime, datetime]:
    if cal.hours is None:
        return local_instant(cal, day, time(0)), end_of_day(cal, day)
    return local_instant(cal, day, cal.hours[0]), local_instant(cal, day, cal.hours[1])


def _days_from(start: date) -> Iterator[date]:
    for offset in range(_MAX_DAYS_SCANNED):
        yield start + timedelta(days=offset)
    raise ValueError("calendar has no business day in ten years")


def next_business_day(cal: BusinessCalendar, day: date) -> date:
    """``day`` itself if it is a business day, else the next business day."""
    return next(d for d in _days_from(day) if cal.is_business_day(d))


def add_business_days(cal: BusinessCalendar, start: date, n: int) -> date:
    """The ``n``-th business day after ``start`` (``start`` itself is not counted).

    ``n == 0`` returns ``start`` unchanged.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    day = start
    for _ in range(n):
        day = next_business_day(cal, day + timedelta(days=1))
    return day


add_working_days = add_business_days
"""Working days (e.g. Malta OAFS) count exactly like business days on their own calendar."""


def count_business_days(cal: BusinessCalendar, start: date, end: date) -> int:
    """The number of business days in ``(start, end]``; 0 if ``end <= start``."""
    days = (end - start).days
    return sum(1 for i in range(1, days + 1) if cal.is_business_day(start + timedelta(days=i)))


def add_calendar_days(start: date, n: int) -> date:
    """``start`` plus ``n`` calendar days."""
    return start + timedelta(days=n)


def add_weeks(start: date, n: int) -> date:
    """``start`` plus ``n`` weeks of 7 calendar days, no roll-over (DISP 1.6.2R)."""
    return start + timedelta(weeks=n)


def add_months(start: date, n: int) -> date:
    """``start`` plus ``n`` calendar months, clamped to the month's last day.

    31 Jan + 1 month = 28 (or 29) Feb; 31 Dec + 2 months = 28 (or 29) Feb (1182/71 Art. 3(2)(c)).
    """
    months = start.year * 12 + (start.month - 1) + n
    year, month = divmod(months, 12)
    last = _stdcal.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last))


def add_business_time(cal: BusinessCalendar, start: datetime, amount: timedelta) -> datetime:
    """The UTC instant after ``amount`` of open business time from ``start``.

    Time outside working hours, on weekends and on holidays does not count. Elapsed time is
    real (UTC) time, so a 24h calendar has a 23- or 25-hour day at a DST change.
    """
    _check_aware(start)
    if amount < timedelta(0):
        raise ValueError("amount must be >= 0")
    if amount == timedelta(0):
        return start.astimezone(UTC)
    at = start.astimezone(UTC)
    left = amount
    day = local_date(cal, start)
    for _ in range(_MAX_DAYS_SCANNED * 100):
        if cal.is_business_day(day):
            opens, closes = _open_window(cal, day)
            begin = max(at, opens)
            if begin < closes:
                if left <= closes - begin:
                    return begin + left
                left -= closes - begin
        day += timedelta(days=1)
    raise ValueError("amount too large for this calendar")


def add_business_hours(cal: BusinessCalendar, start: datetime, hours: float) -> datetime:
    """``start`` plus ``hours`` business hours of ``cal`` (see :func:`add_business_time`)."""
    return add_business_time(cal, start, timedelta(hours=hours))


def business_time_between(cal: BusinessCalendar, a: datetime, b: datetime) -> timedelta:
    """Open business time in ``[a, b)``; zero if ``b <= a``."""
    _check_aware(a)
    _check_aware(b)
    total = timedelta(0)
    if b <= a:
        return total
    day, last = local_date(cal, a), local_date(cal, b)
    while day <= last:
        if cal.is_business_day(day):
            opens, closes = _open_window(cal, day)
            lo, hi = max(a, opens), min(b, closes)
            if lo < hi:
                total += hi - lo
        day += timedelta(days=1)
    return total


def close_of_business_after(cal: BusinessCalendar, received_at: datetime, n: int) -> datetime:
    """Close of business on the ``n``-th business day after the local date of receipt.

    DISP 1.5 (CL-4): receipt on a weekend or holiday still counts as receipt that day.
    """
    return close_of_business(cal, add_business_days(cal, local_date(cal, received_at), n))


def to_spec(cal: BusinessCalendar) -> dict[str, Any]:
    """A calendar as plain JSON (time zone, holiday country, weekdays, hours), to store."""
    return {"tz": cal.tz, "country": cal.country, "subdiv": cal.subdiv,
            "weekdays": sorted(cal.weekdays),
            "hours": None if cal.hours is None else [t.strftime("%H:%M") for t in cal.hours],
            "closed": sorted(d.isoformat() for d in cal.extra_closed),
            "open": sorted(d.isoformat() for d in cal.extra_open)}


def from_spec(name: str, spec: Mapping[str, Any]) -> BusinessCalendar:
    """The calendar ``to_spec`` stored; raises ValueError (or ZoneInfoNotFoundError) when
    it does not describe one."""
    hours = spec.get("hours")
    return BusinessCalendar(
        name, str(spec["tz"]), spec.get("country") or None, spec.get("subdiv") or None,
        frozenset(int(d) for d in spec.get("weekdays", MON_FRI)),
        None if not hours else (time.fromisoformat(hours[0]), time.fromisoformat(hours[1])),
        frozenset(date.fromisoformat(d) for d in spec.get("closed", ())),
        frozenset(date.fromisoformat(d) for d in spec.get("open", ())))
