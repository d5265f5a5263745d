"""Abnormal-login review: novelty, impossible travel, changes before withdrawals."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from ombud.evidence.login_review import (
    EventKind,
    FlagKind,
    LoginReviewConfig,
    SecurityEvent,
    great_circle_km,
    review_logins,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
PARIS = (48.8566, 2.3522)
LONDON = (51.5074, -0.1278)
SINGAPORE = (1.3521, 103.8198)


def ev(eid: str, hours_ago: float, kind: EventKind = EventKind.LOGIN, *, device: str = "d1",
       country: str = "FR", where: tuple[float, float] | None = PARIS) -> SecurityEvent:
    lat, lon = where if where else (None, None)
    return SecurityEvent(eid, NOW - timedelta(hours=hours_ago), kind, ip="192.0.2.1",
                         country=country, device_id=device, lat=lat, lon=lon)


def kinds(
    events: list[SecurityEvent], config: LoginReviewConfig | None = None
) -> list[tuple[FlagKind, tuple[str, ...]]]:
    review = review_logins(events, now=NOW, since=NOW - timedelta(days=1), config=config)
    return [(f.kind, f.event_ids) for f in review.flags]


def test_quiet_history_has_no_flags() -> None:
    assert kinds([ev("a", 72), ev("b", 5), ev("c", 1)]) == []


def test_new_device_and_new_country_cite_the_login() -> None:
    events = [ev("a", 72), ev("b", 5, device="d9", country="SG", where=None)]
    review = review_logins(events, now=NOW, since=NOW - timedelta(days=1))
    assert [(f.kind, f.event_ids) for f in review.flags] == [
        (FlagKind.NEW_COUNTRY, ("b",)), (FlagKind.NEW_DEVICE, ("b",))]
    assert all(f.explanation.count(".") >= 1 and "b" in f.explanation for f in review.flags)
    assert any("no coordinates" in n for n in review.notes)


def test_device_seen_once_in_window_is_flagged_once() -> None:
    events = [ev("a", 72), ev("b", 5, device="d9"), ev("c", 4, device="d9")]
    assert kinds(events) == [(FlagKind.NEW_DEVICE, ("b",))]


def test_no_baseline_skips_novelty_with_a_note() -> None:
    review = review_logins([ev("b", 5, device="d9")], now=NOW)
    assert review.flags == ()
    assert any("new-device check skipped" in n for n in review.notes)
    assert review.since == NOW - timedelta(days=30)


def test_impossible_travel_paris_to_singapore_in_two_hours() -> None:
    events = [ev("a", 72), ev("b", 4), ev("c", 2, country="SG", where=SINGAPORE)]
    review = review_logins(events, now=NOW, since=NOW - timedelta(days=1))
    travel = [f for f in review.flags if f.kind is FlagKind.IMPOSSIBLE_TRAVEL]
    assert [f.event_ids for f in travel] == [("b", "c")]
    km = great_circle_km(*PARIS, *SINGAPORE)
    assert D(10_700) < km < D(10_760)
    assert f"{km} km apart in 2.0 h" in travel[0].explanation


def test_plausible_flight_is_not_flagged() -> None:
    # Paris → London ≈ 344 km in 1 h = 344 km/h
    assert great_circle_km(*PARIS, *LONDON).quantize(D(1)) == D(344)
    events = [ev("a", 72), ev("b", 3), ev("c", 2, country="FR", where=LONDON)]
    assert kinds(events) == []
    assert kinds(events, config=LoginReviewConfig(max_speed_kmh=D(300))) == [
        (FlagKind.IMPOSSIBLE_TRAVEL, ("b", "c"))]


def test_simultaneous_logins_far_apart() -> None:
    events = [ev("a", 72), ev("b", 3), ev("c", 3, country="FR", where=LONDON)]
    review = review_logins(events, now=NOW, since=NOW - timedelta(days=1))
    assert "at the same moment" in review.flags[0].explanation


def test_credential_change_and_api_key_before_withdrawal() -> None:
    events = [
        ev("a", 72),
        ev("k", 30, EventKind.API_KEY_CREATED),
        ev("p", 10, EventKind.PASSWORD_CHANGED),
        ev("t", 6, EventKind.TWO_FA_CHANGED),
        ev("w", 2, EventKind.WITHDRAWAL),
    ]
    review = review_logins(events, now=NOW, since=NOW - timedelta(days=2))
    found = [(f.kind, f.event_ids) for f in review.flags]
    assert found == [
        (FlagKind.CREDENTIAL_CHANGE_BEFORE_WITHDRAWAL, ("p", "w")),
        (FlagKind.CREDENTIAL_CHANGE_BEFORE_WITHDRAWAL, ("t", "w")),
    ]
    assert "8.0 h after password change p" in review.flags[0].explanation
    wide = LoginReviewConfig(api_key_window=timedelta(days=2))
    review = review_logins(events, now=NOW, since=NOW - timedelta(days=2), config=wide)
    assert (FlagKind.API_KEY_BEFORE_WITHDRAWAL, ("k", "w")) in [
        (f.kind, f.event_ids) for f in review.flags]


def test_change_after_the_withdrawal_is_not_flagged() -> None:
    events = [ev("a", 72), ev("w", 5, EventKind.WITHDRAWAL), ev("p", 4, EventKind.PASSWORD_CHANGED)]
    assert kinds(events) == []


def test_bad_events() -> None:
    with pytest.raises(ValueError, match="no timezone"):
        SecurityEvent("x", datetime(2026, 1, 1), EventKind.LOGIN)
    with pytest.raises(ValueError, match="both lat and lon"):
        SecurityEvent("x", NOW, EventKind.LOGIN, lat=1.0)
    with pytest.raises(ValueError, match="out of range"):
        SecurityEvent("x", NOW, EventKind.LOGIN, lat=95.0, lon=0.0)
    with pytest.raises(ValueError, match="unique"):
        review_logins([ev("a", 1), ev("a", 2)], now=NOW)
    with pytest.raises(ValueError, match="after now"):
        review_logins([ev("a", -1)], now=NOW)
    with pytest.raises(ValueError):
        EventKind("teleport")
