"""Clocks with pause/resume, states, warnings and service-level policies."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from ombud.triage.calendars import BusinessCalendar
from ombud.triage.service_levels import (
    DEFAULT_TARGETS,
    ServiceLevelPolicy,
    SlaMetric,
    service_clocks,
)
from ombud.triage.sla import (
    Clock,
    ClockState,
    Pause,
    Period,
    PeriodEnd,
    Unit,
    WarningPolicy,
    due_at,
    due_date,
    evaluate,
    remaining,
    state,
)

LONDON_9_17 = BusinessCalendar(
    "London team", "Europe/London", "GB", "ENG", hours=(time(9), time(17))
)
MON_10 = datetime(2026, 3, 2, 10, tzinfo=UTC)  # Mon 2 Mar 2026, GMT


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def three_days(pausable: bool, pauses: tuple[Pause, ...] = ()) -> Clock:
    return Clock("T", "test", MON_10, Period(3, Unit.BUSINESS_DAYS), LONDON_9_17,
                 pausable=pausable, pauses=pauses, period_end=PeriodEnd.CLOSE_OF_BUSINESS)


def test_business_day_clock_due_at_close_of_business() -> None:
    clock = three_days(pausable=True)
    assert due_date(clock) == date(2026, 3, 5)
    assert due_at(clock) == utc(2026, 3, 5, 17)


def test_pause_extends_by_paused_business_time() -> None:
    # Paused Tue 12:00 - Wed 12:00: 5h Tue + 3h Wed = 8 business hours -> Fri 17:00.
    pause = Pause(utc(2026, 3, 3, 12), utc(2026, 3, 4, 12), "waiting on customer")
    clock = three_days(pausable=True, pauses=(pause,))
    assert due_at(clock) == utc(2026, 3, 6, 17)
    status = evaluate(clock, utc(2026, 3, 5, 12))
    assert status.due_date == date(2026, 3, 6)
    assert status.state is ClockState.RUNNING


def test_open_pause_counts_up_to_now_and_reports_paused() -> None:
    clock = three_days(pausable=True, pauses=(Pause(utc(2026, 3, 4, 9)),))
    now = utc(2026, 3, 4, 13)
    assert due_at(clock, now) == utc(2026, 3, 6, 13)
    assert state(clock, now) is ClockState.PAUSED
    with pytest.raises(ValueError):
        due_at(clock)


def test_pause_after_expiry_does_not_revive_clock() -> None:
    clock = three_days(pausable=True, pauses=(Pause(utc(2026, 3, 6, 9), utc(2026, 3, 6, 12)),))
    assert due_at(clock) == utc(2026, 3, 5, 17)


def test_overlapping_pauses_are_merged() -> None:
    pauses = (Pause(utc(2026, 3, 3, 9), utc(2026, 3, 3, 13)),
              Pause(utc(2026, 3, 3, 11), utc(2026, 3, 3, 17)))
    assert due_at(three_days(pausable=True, pauses=pauses)) == utc(2026, 3, 6, 17)


def test_non_pausable_clock_ignores_pauses_and_says_so() -> None:
    pause = Pause(utc(2026, 3, 3, 12), utc(2026, 3, 4, 12))
    clock = three_days(pausable=False, pauses=(pause,))
    assert due_at(clock) == utc(2026, 3, 5, 17)
    status = evaluate(clock, utc(2026, 3, 3, 13))
    assert status.state is not ClockState.PAUSED
    assert any("does not stop" in n for n in status.notes)


def test_calendar_clock_pause_extends_by_real_time() -> None:
    clock = Clock("T", "test", MON_10, Period(10, Unit.CALENDAR_DAYS), LONDON_9_17, pausable=True,
                  pauses=(Pause(utc(2026, 3, 7), utc(2026, 3, 9)),))
    # 12 Mar end of day (midnight GMT) + 2 days.
    assert due_at(clock) == utc(2026, 3, 15)


def test_states_with_fraction_and_lead() -> None:
    clock = Clock("T", "test", utc(2026, 3, 2, 9), Period(8, Unit.BUSINESS_HOURS), LONDON_9_17)
    assert due_at(clock) == utc(2026, 3, 2, 17)
    assert due_date(clock) is None
    assert state(clock, utc(2026, 3, 2, 14)) is ClockState.RUNNING  # 5/8 elapsed
    assert state(clock, utc(2026, 3, 2, 15, 30)) is ClockState.WARNING  # 6.5/8 >= 80%
    lead_only = WarningPolicy(fraction=None, lead=timedelta(hours=1))
    assert state(clock, utc(2026, 3, 2, 15, 30), lead_only) is ClockState.RUNNING
    assert state(clock, utc(2026, 3, 2, 16), lead_only) is ClockState.WARNING
    assert state(clock, utc(2026, 3, 2, 17)) is ClockState.BREACHED
    assert remaining(clock, utc(2026, 3, 2, 14)) == timedelta(hours=3)
    assert remaining(clock, utc(2026, 3, 2, 18)) == timedelta(hours=-1)


def test_warning_fraction_uses_business_time_not_wall_time() -> None:
    # 16 business hours from Fri 09:00: due Mon 17:00; at Sat noon only 8/16 has elapsed.
    clock = Clock("T", "test", utc(2026, 2, 27, 9), Period(16, Unit.BUSINESS_HOURS), LONDON_9_17)
    assert due_at(clock) == utc(2026, 3, 2, 17)
    assert state(clock, utc(2026, 2, 28, 12)) is ClockState.RUNNING


def test_clock_requires_aware_start_and_valid_periods() -> None:
    with pytest.raises(ValueError):
        Clock("T", "t", datetime(2026, 1, 1), Period(1, Unit.CALENDAR_DAYS), LONDON_9_17)
    with pytest.raises(ValueError):
        Period(-1, Unit.CALENDAR_DAYS)
    with pytest.raises(ValueError):
        Pause(utc(2026, 1, 2), utc(2026, 1, 1))


def test_service_clocks_per_priority_in_team_hours() -> None:
    policy = ServiceLevelPolicy("Support", LONDON_9_17, DEFAULT_TARGETS)
    opened = utc(2026, 3, 27, 16, 30)  # Fri 16:30 GMT; BST starts Sun 29 Mar
    clocks = service_clocks(policy, "p2", opened, last_update_at=utc(2026, 3, 30, 8))
    # First response 2h: 30 min Fri + 1h30 from Mon 09:00 BST (08:00 UTC).
    assert due_at(clocks[SlaMetric.FIRST_RESPONSE]) == utc(2026, 3, 30, 9, 30)
    # Next update 8h from Mon 09:00 BST -> Mon 17:00 BST.
    assert due_at(clocks[SlaMetric.NEXT_UPDATE]) == utc(2026, 3, 30, 16)
    # Resolution 3 business days after Fri 27: Mon 30, Tue 31, Wed 1 Apr, 17:00 BST.
    assert due_at(clocks[SlaMetric.RESOLUTION]) == utc(2026, 4, 1, 16)
    assert all(c.pausable for c in clocks.values())
    with pytest.raises(ValueError):
        service_clocks(policy, "p9", opened)


def test_service_clock_pauses_while_waiting_on_customer() -> None:
    policy = ServiceLevelPolicy("Support", LONDON_9_17, DEFAULT_TARGETS)
    pause = Pause(utc(2026, 3, 2, 10), utc(2026, 3, 2, 11))  # 1 business hour waiting
    clocks = service_clocks(policy, "p1", utc(2026, 3, 2, 9, 45), pauses=(pause,))
    # 30 business minutes: 15 min before the pause, 15 min after -> 11:15.
    assert due_at(clocks[SlaMetric.FIRST_RESPONSE]) == utc(2026, 3, 2, 11, 15)
