"""Routing (pure): skills, capacity, working hours, availability, load balance and GV-1."""

from __future__ import annotations

from datetime import UTC, datetime, time

from ombud.triage.routing import Handler, Need, TeamSkills, in_hours, route

TEAMS = [
    TeamSkills(1, "Trading desk", ("trade_dispute", "fees"), ("en",)),
    TeamSkills(2, "Wallet ops", ("deposit_withdrawal",), ("en", "zh-Hans"), ("HK", "SG")),
    TeamSkills(3, "Wallet ops EU", ("deposit_withdrawal",), ("en",), ("DE", "FR")),
    TeamSkills(4, "Triage", (), ()),
]
MONDAY_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TRADE = Need("trade_dispute", "en", "GB")


def h(i: int, team: int = 1, **kw: object) -> Handler:
    """A handler with defaults."""
    return Handler(id=i, name=f"h{i}", team_id=team, role=str(kw.pop("role", "agent")),
                   open_cases=int(kw.pop("open_cases", 0)), **kw)  # type: ignore[arg-type]


def test_the_team_with_the_skill_language_and_jurisdiction_wins() -> None:
    zh = route(TEAMS, [], Need("deposit_withdrawal", "zh-Hans", "HK"), MONDAY_NOON)
    de = route(TEAMS, [], Need("deposit_withdrawal", "en", "DE"), MONDAY_NOON)
    assert zh.team_id == 2 and de.team_id == 3
    nobody = route(TEAMS[:1], [], Need("kyc", "en", "GB"), MONDAY_NOON)
    assert nobody.team_id is None and "no team has the skill" in nobody.reasons[0]


def test_low_confidence_goes_to_the_triage_team_unassigned() -> None:
    r = route(TEAMS, [h(1)], Need("trade_dispute", "en", "GB", needs_human=True), MONDAY_NOON)
    assert (r.team_id, r.assignee_id) == (4, None) and "human triage" in r.reasons[0]


def test_load_is_balanced_by_share_of_capacity() -> None:
    r = route(TEAMS, [h(1, open_cases=10, capacity=20), h(2, open_cases=6, capacity=10)],
              TRADE, MONDAY_NOON)
    assert r.assignee_id == 1  # 50% in use beats 60%


def test_capacity_availability_and_hours_are_respected() -> None:
    full = h(1, open_cases=5, capacity=5)
    away = h(2, available=False)
    asleep = h(3, timezone="Asia/Hong_Kong", hours=(time(9), time(17)))  # 20:00 in HK
    r = route(TEAMS, [full, away, asleep], TRADE, MONDAY_NOON)
    assert r.assignee_id is None
    text = " ".join(r.reasons)
    assert "at capacity" in text and "not available" in text and "outside working hours" in text
    urgent = route(TEAMS, [full, away, asleep], Need("trade_dispute", "en", "GB", urgent=True),
                   MONDAY_NOON)
    assert urgent.assignee_id == 3  # an urgent case takes someone out of hours


def test_gv1_never_a_handler_from_the_business_unit_complained_about() -> None:
    desk = h(1, business_unit="trading")
    other = h(2, open_cases=20, business_unit="complaints")
    r = route(TEAMS, [desk, other], TRADE, MONDAY_NOON)
    assert r.assignee_id == 2 and any("GV-1" in x for x in r.reasons)
    alone = route(TEAMS, [desk], Need("fees", "en", "GB", urgent=True), MONDAY_NOON)
    assert alone.assignee_id is None


def test_working_hours_follow_the_handlers_time_zone_and_weekdays() -> None:
    ny = h(1, timezone="America/New_York", hours=(time(9), time(17)))
    assert in_hours(ny, datetime(2026, 3, 2, 15, 0, tzinfo=UTC))  # 10:00 in New York
    assert not in_hours(ny, datetime(2026, 3, 2, 23, 0, tzinfo=UTC))
    weekdays_only = h(2, weekdays=frozenset(range(5)))
    assert not in_hours(weekdays_only, datetime(2026, 3, 7, 12, 0, tzinfo=UTC))  # Saturday
    night = h(3, hours=(time(22), time(6)))
    assert in_hours(night, datetime(2026, 3, 2, 23, 30, tzinfo=UTC))
    assert not in_hours(night, MONDAY_NOON)
