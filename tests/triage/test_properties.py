"""Property tests: monotonicity, pauses, business-day round trips, DST in every listed zone."""

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ombud.triage.calendars import (
    BusinessCalendar,
    add_business_days,
    add_business_time,
    business_time_between,
    count_business_days,
    local_date,
)
from ombud.triage.sla import Clock, Pause, Period, PeriodEnd, Unit, due_at

ZONES = {
    "Europe/London": ("GB", "ENG"),
    "Europe/Malta": ("MT", None),
    "America/New_York": ("US", None),
    "Asia/Hong_Kong": ("HK", None),
    "Asia/Dubai": ("AE", None),
}
CALENDARS = [
    BusinessCalendar(f"{tz} {hours}", tz, country, subdiv, hours=hours)
    for tz, (country, subdiv) in ZONES.items()
    for hours in (None, (time(9), time(17, 30)))
]
DST_CHANGES = [  # UTC instants of 2026 DST changes (Europe and New York)
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
]

calendars = st.sampled_from(CALENDARS)
near_dst = st.builds(
    lambda base, minutes: base + timedelta(minutes=minutes),
    st.sampled_from(DST_CHANGES),
    st.integers(-4 * 24 * 60, 4 * 24 * 60),
)
instants = st.one_of(
    st.datetimes(datetime(2025, 1, 1), datetime(2029, 12, 31), timezones=st.just(UTC)), near_dst
)
days = st.dates(date(2025, 1, 1), date(2029, 12, 31))
business_units = st.sampled_from(
    [Unit.BUSINESS_DAYS, Unit.WORKING_DAYS, Unit.BUSINESS_HOURS, Unit.BUSINESS_MINUTES]
)
all_units = st.sampled_from(list(Unit))
durations = st.integers(0, 3 * 24 * 60).map(lambda m: timedelta(minutes=m))

FAST = settings(max_examples=80, deadline=None, database=None)


def clock(
    cal: BusinessCalendar, start: datetime, unit: Unit, n: int, *, pausable: bool = False,
    pauses: tuple[Pause, ...] = (),
) -> Clock:
    return Clock("P", "property", start, Period(n, unit), cal, pausable=pausable, pauses=pauses,
                 period_end=PeriodEnd.CLOSE_OF_BUSINESS)


@FAST
@given(calendars, instants, durations, business_units, st.integers(0, 30))
def test_due_is_monotonic_in_start(
    cal: BusinessCalendar, start: datetime, delta: timedelta, unit: Unit, n: int
) -> None:
    assert due_at(clock(cal, start, unit, n)) <= due_at(clock(cal, start + delta, unit, n))


pauses = st.lists(
    st.builds(lambda s, d: Pause(s, s + d), instants, durations), max_size=4
).map(tuple)


@FAST
@given(calendars, instants, all_units, st.integers(0, 20), pauses)
def test_pausing_never_shortens_a_pausable_clock(
    cal: BusinessCalendar, start: datetime, unit: Unit, n: int, paused: tuple[Pause, ...]
) -> None:
    plain = due_at(clock(cal, start, unit, n, pausable=True))
    assert due_at(clock(cal, start, unit, n, pausable=True, pauses=paused)) >= plain


@FAST
@given(calendars, instants, all_units, st.integers(0, 20), pauses)
def test_non_pausable_clock_is_unaffected_by_pauses(
    cal: BusinessCalendar, start: datetime, unit: Unit, n: int, paused: tuple[Pause, ...]
) -> None:
    assert due_at(clock(cal, start, unit, n, pauses=paused)) == due_at(clock(cal, start, unit, n))


@FAST
@given(calendars, days, st.integers(1, 40))
def test_add_business_days_lands_on_a_business_day_and_round_trips(
    cal: BusinessCalendar, start: date, n: int
) -> None:
    end = add_business_days(cal, start, n)
    assert cal.is_business_day(end)
    assert count_business_days(cal, start, end) == n


@FAST
@given(calendars, instants, durations)
def test_business_time_round_trips_across_dst(
    cal: BusinessCalendar, start: datetime, amount: timedelta
) -> None:
    end = add_business_time(cal, start, amount)
    assert business_time_between(cal, start, end) == amount


@FAST
@given(st.sampled_from(list(ZONES)), instants, durations)
def test_every_day_24h_calendar_counts_real_time(
    tz: str, start: datetime, amount: timedelta
) -> None:
    cal = BusinessCalendar(tz, tz, weekdays=frozenset(range(7)))
    assert add_business_time(cal, start, amount) == start + amount


@FAST
@given(calendars, instants, st.sampled_from([Unit.CALENDAR_DAYS, Unit.CALENDAR_WEEKS,
                                             Unit.CALENDAR_MONTHS]), st.integers(0, 12))
def test_calendar_clocks_end_at_local_midnight(
    cal: BusinessCalendar, start: datetime, unit: Unit, n: int
) -> None:
    end = due_at(Clock("P", "property", start, Period(n, unit), cal))
    local = end.astimezone(cal.zone)
    assert local.time() == time(0)
    assert local_date(cal, end) > local_date(cal, start)
