"""Calendar arithmetic with hand-computed dates."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from ombud.triage.calendars import (
    MALTA,
    UAE,
    UK_ENGLAND_WALES,
    UK_SCOTLAND,
    BusinessCalendar,
    add_business_days,
    add_business_hours,
    add_business_time,
    add_months,
    add_weeks,
    add_working_days,
    business_time_between,
    close_of_business,
    close_of_business_after,
    count_business_days,
    end_of_day,
    local_date,
    next_business_day,
)

LONDON_9_17 = BusinessCalendar(
    "London team", "Europe/London", "GB", "ENG", hours=(time(9), time(17))
)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2027, 12, 31), 2, date(2028, 2, 29)),
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 11, 15), 2, date(2027, 1, 15)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
    ],
)
def test_add_months_clamps_to_month_end(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_add_weeks_is_calendar_days_without_rollover() -> None:
    # 2 Mar 2026 + 8 weeks = 27 Apr 2026, 56 days, whatever the weekday.
    assert add_weeks(date(2026, 3, 2), 8) == date(2026, 4, 27)


def test_uk_holidays_include_good_friday_christmas_and_bank_holidays() -> None:
    cal = UK_ENGLAND_WALES
    for closed in [date(2026, 4, 3), date(2026, 12, 25), date(2026, 5, 25), date(2026, 8, 31),
                   date(2026, 12, 28)]:  # Good Friday, Christmas, Spring/Summer BH, Boxing obs.
        assert not cal.is_business_day(closed), closed
    # 2 Jan is a bank holiday in Scotland only (2026-01-02 is a Friday).
    assert cal.is_business_day(date(2026, 1, 2))
    assert not UK_SCOTLAND.is_business_day(date(2026, 1, 2))


def test_malta_holidays() -> None:
    for closed in [date(2026, 3, 19), date(2026, 3, 31), date(2026, 4, 3), date(2026, 9, 8)]:
        assert not MALTA.is_business_day(closed), closed
    assert MALTA.is_business_day(date(2026, 4, 6))  # Easter Monday is not a Maltese holiday


def test_extra_closed_and_open_days() -> None:
    funeral = date(2022, 9, 19)  # proclaimed one-off; an operator can add or remove days
    cal = BusinessCalendar("custom", "Europe/London", "GB", "ENG",
                           extra_closed=frozenset({date(2026, 6, 1)}),
                           extra_open=frozenset({funeral}))
    assert not cal.is_business_day(date(2026, 6, 1))
    assert cal.is_business_day(funeral)
    assert not UK_ENGLAND_WALES.is_business_day(funeral)


def test_add_business_days_over_easter_uk() -> None:
    # Thu 2 Apr 2026: Good Friday 3rd, weekend, Easter Monday 6th -> 7, 8, 9 Apr.
    assert add_business_days(UK_ENGLAND_WALES, date(2026, 4, 2), 3) == date(2026, 4, 9)
    assert add_business_days(UK_ENGLAND_WALES, date(2026, 4, 2), 0) == date(2026, 4, 2)
    assert count_business_days(UK_ENGLAND_WALES, date(2026, 4, 2), date(2026, 4, 9)) == 3


def test_add_working_days_malta_skips_public_holidays() -> None:
    # Fri 4 Sep 2026; 8 Sep (Victories) and 21 Sep (Independence) closed -> 29 Sep.
    assert add_working_days(MALTA, date(2026, 9, 4), 15) == date(2026, 9, 29)


def test_uae_weekend_is_saturday_sunday() -> None:
    assert next_business_day(UAE, date(2026, 2, 7)) == date(2026, 2, 9)


def test_negative_business_days_rejected() -> None:
    with pytest.raises(ValueError):
        add_business_days(MALTA, date(2026, 1, 1), -1)


def test_local_date_uses_calendar_time_zone() -> None:
    at = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    assert local_date(UK_ENGLAND_WALES, at) == date(2026, 1, 31)
    assert local_date(UAE, at) == date(2026, 2, 1)
    with pytest.raises(ValueError):
        local_date(UAE, datetime(2026, 1, 1))


def test_end_of_day_and_close_of_business_across_dst() -> None:
    # Clocks go forward in London on Sun 29 Mar 2026.
    assert end_of_day(UK_ENGLAND_WALES, date(2026, 3, 27)) == datetime(2026, 3, 28, tzinfo=UTC)
    assert end_of_day(UK_ENGLAND_WALES, date(2026, 3, 30)) == datetime(2026, 3, 30, 23,
                                                                        tzinfo=UTC)
    assert close_of_business(LONDON_9_17, date(2026, 3, 30)) == datetime(2026, 3, 30, 16,
                                                                          tzinfo=UTC)
    assert close_of_business(UK_ENGLAND_WALES, date(2026, 3, 30)) == end_of_day(
        UK_ENGLAND_WALES, date(2026, 3, 30))


def test_close_of_business_third_business_day_over_christmas() -> None:
    # Wed 23 Dec 2026: 24 (1), 25 Christmas, 26-27 weekend, 28 Boxing Day observed, 29 (2), 30 (3).
    received = datetime(2026, 12, 23, 15, tzinfo=UTC)
    assert close_of_business_after(LONDON_9_17, received, 3) == datetime(2026, 12, 30, 17,
                                                                          tzinfo=UTC)


def test_business_hours_skip_weekend_and_dst() -> None:
    # Fri 27 Mar 2026 16:30 GMT + 2h: 30 min Friday, 1h30 from Mon 09:00 BST (08:00 UTC).
    start = datetime(2026, 3, 27, 16, 30, tzinfo=UTC)
    assert add_business_hours(LONDON_9_17, start, 2) == datetime(2026, 3, 30, 9, 30, tzinfo=UTC)
    assert business_time_between(LONDON_9_17, start, datetime(2026, 3, 30, 9, 30, tzinfo=UTC)) \
        == timedelta(hours=2)


def test_business_hours_skip_good_friday() -> None:
    # Thu 2 Apr 2026 16:00 BST + 3h: 1h Thu, then Tue 7 Apr 09:00-11:00 BST.
    start = datetime(2026, 4, 2, 15, tzinfo=UTC)
    assert add_business_hours(LONDON_9_17, start, 3) == datetime(2026, 4, 7, 10, tzinfo=UTC)


def test_24h_calendar_counts_real_time_on_a_dst_day() -> None:
    every_day = BusinessCalendar("NY 24x7", "America/New_York", weekdays=frozenset(range(7)))
    start = datetime(2026, 3, 7, 17, tzinfo=UTC)  # 12:00 EST, the day before DST starts
    assert add_business_hours(every_day, start, 24) == datetime(2026, 3, 8, 17, tzinfo=UTC)
    assert add_business_time(every_day, start, timedelta(0)) == start


def test_bad_calendar_configuration() -> None:
    with pytest.raises(ValueError):
        BusinessCalendar("x", "UTC", weekdays=frozenset())
    with pytest.raises(ValueError):
        BusinessCalendar("x", "UTC", hours=(time(17), time(9)))
