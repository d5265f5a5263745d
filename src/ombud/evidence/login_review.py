"""Abnormal-login review over the exchange's own auth/security event log (pure).

No public OKX or Binance login-log API exists (exchange-domain §1.9), so the event shape is
Ombud's own. Events before `since` form the baseline of known devices and countries; events
from `since` to `now` are reviewed. Each flag cites the event ids it rests on.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from ombud.exchange.dto import SecurityEventKind

EARTH_RADIUS_KM = 6371.0088


#: Kinds of security event: the exchange gateway's own enumeration.
EventKind = SecurityEventKind


CREDENTIAL_CHANGES = frozenset({
    EventKind.TWO_FA_CHANGED,
    EventKind.PASSWORD_CHANGED,
    EventKind.EMAIL_CHANGED,
    EventKind.PHONE_CHANGED,
})
_CHANGE_WORDS = {
    EventKind.TWO_FA_CHANGED: "2FA change",
    EventKind.PASSWORD_CHANGED: "password change",
    EventKind.EMAIL_CHANGED: "email change",
    EventKind.PHONE_CHANGED: "phone change",
}


@dataclass(frozen=True)
class SecurityEvent:
    """One event of the account's security log; `at` must be timezone-aware."""

    id: str
    at: datetime
    kind: EventKind
    ip: str | None = None
    country: str | None = None
    device_id: str | None = None
    lat: float | None = None
    lon: float | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError(f"event {self.id}: time {self.at} has no timezone")
        if (self.lat is None) != (self.lon is None):
            raise ValueError(f"event {self.id}: give both lat and lon or neither")
        if self.lat is not None and self.lon is not None and not (
            -90 <= self.lat <= 90 and -180 <= self.lon <= 180
        ):
            raise ValueError(f"event {self.id}: lat/lon ({self.lat}, {self.lon}) out of range")

    @property
    def coords(self) -> tuple[float, float] | None:
        """(lat, lon) when the event carries coordinates."""
        if self.lat is None or self.lon is None:
            return None
        return self.lat, self.lon


class FlagKind(StrEnum):
    """Kinds of login-review flag."""

    NEW_DEVICE = "new_device"
    NEW_COUNTRY = "new_country"
    IMPOSSIBLE_TRAVEL = "impossible_travel"
    CREDENTIAL_CHANGE_BEFORE_WITHDRAWAL = "credential_change_before_withdrawal"
    API_KEY_BEFORE_WITHDRAWAL = "api_key_before_withdrawal"


@dataclass(frozen=True)
class LoginFlag:
    """One finding of the review: its kind, the events it rests on, one sentence."""

    kind: FlagKind
    event_ids: tuple[str, ...]
    at: datetime
    explanation: str


@dataclass(frozen=True)
class LoginReviewConfig:
    """Thresholds of the review."""

    lookback: timedelta = timedelta(days=30)
    max_speed_kmh: Decimal = Decimal(900)
    min_travel_km: Decimal = Decimal(100)
    credential_change_window: timedelta = timedelta(hours=24)
    api_key_window: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class LoginReview:
    """Flags in time order and notes on what could not be checked."""

    since: datetime
    now: datetime
    flags: tuple[LoginFlag, ...]
    notes: tuple[str, ...]


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> Decimal:
    """Haversine distance in km, rounded to 0.1 km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    km = 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
    return Decimal(repr(km)).quantize(Decimal("0.1"))


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.1f} h"


def review_logins(
    events: Sequence[SecurityEvent],
    *,
    now: datetime,
    since: datetime | None = None,
    config: LoginReviewConfig | None = None,
) -> LoginReview:
    """Flag new devices and countries, impossible travel, and credential changes or new API
    keys shortly before a withdrawal, for events from `since` (default now − lookback)."""
    cfg = config or LoginReviewConfig()
    start = since if since is not None else now - cfg.lookback
    ids = [e.id for e in events]
    if len(set(ids)) != len(ids):
        raise ValueError("event ids must be unique")
    for e in events:
        if e.at > now:
            raise ValueError(f"event {e.id} at {e.at.isoformat()} is after now")
    ordered = sorted(events, key=lambda e: (e.at, e.id))
    baseline = [e for e in ordered if e.at < start and e.kind is not EventKind.LOGIN_FAILED]
    reviewed = [e for e in ordered if e.at >= start]
    flags: list[LoginFlag] = []
    notes: list[str] = []
    flags += _novelty(baseline, reviewed, notes)
    flags += _travel(ordered, start, cfg, notes)
    flags += _before_withdrawals(ordered, reviewed, cfg)
    flags.sort(key=lambda f: (f.at, f.kind.value))
    return LoginReview(start, now, tuple(flags), tuple(notes))


def _novelty(
    baseline: Sequence[SecurityEvent], reviewed: Sequence[SecurityEvent], notes: list[str]
) -> list[LoginFlag]:
    devices = {e.device_id for e in baseline if e.device_id}
    countries = {e.country for e in baseline if e.country}
    if not devices:
        notes.append("no device history before the review window; new-device check skipped")
    if not countries:
        notes.append("no country history before the review window; new-country check skipped")
    flags: list[LoginFlag] = []
    check_devices, check_countries = bool(devices), bool(countries)
    for e in reviewed:
        if e.kind is not EventKind.LOGIN:
            continue
        if check_devices and e.device_id and e.device_id not in devices:
            flags.append(LoginFlag(
                FlagKind.NEW_DEVICE, (e.id,), e.at,
                f"Login {e.id} at {e.at.isoformat()} came from device {e.device_id}, "
                f"not seen before on this account.",
            ))
        if check_countries and e.country and e.country not in countries:
            flags.append(LoginFlag(
                FlagKind.NEW_COUNTRY, (e.id,), e.at,
                f"Login {e.id} at {e.at.isoformat()} came from {e.country}, a country not "
                f"seen before on this account.",
            ))
        if e.device_id:
            devices.add(e.device_id)
        if e.country:
            countries.add(e.country)
    return flags


def _travel(
    ordered: Sequence[SecurityEvent],
    start: datetime,
    cfg: LoginReviewConfig,
    notes: list[str],
) -> list[LoginFlag]:
    located = [
        (e, c) for e in ordered
        if (c := e.coords) is not None and e.kind is not EventKind.LOGIN_FAILED
    ]
    if any(e.at >= start and e.coords is None for e in ordered if e.kind is EventKind.LOGIN):
        notes.append("some logins carry no coordinates; impossible travel not checked for them")
    flags: list[LoginFlag] = []
    for (a, (lat1, lon1)), (b, (lat2, lon2)) in itertools.pairwise(located):
        if b.at < start:
            continue
        km = great_circle_km(lat1, lon1, lat2, lon2)
        if km < cfg.min_travel_km:
            continue
        seconds = Decimal((b.at - a.at) // timedelta(seconds=1))
        speed = km * 3600 / seconds if seconds > 0 else None
        if speed is not None and speed <= cfg.max_speed_kmh:
            continue
        pace = "at the same moment" if speed is None else (
            f"in {_hours(b.at - a.at)}, {speed.quantize(Decimal(1))} km/h"
        )
        flags.append(LoginFlag(
            FlagKind.IMPOSSIBLE_TRAVEL, (a.id, b.id), b.at,
            f"Events {a.id} and {b.id} are {km} km apart {pace}, faster than the "
            f"{cfg.max_speed_kmh} km/h limit.",
        ))
    return flags


def _before_withdrawals(
    ordered: Sequence[SecurityEvent], reviewed: Collection[SecurityEvent], cfg: LoginReviewConfig
) -> list[LoginFlag]:
    flags: list[LoginFlag] = []
    for w in (e for e in reviewed if e.kind is EventKind.WITHDRAWAL):
        for e in ordered:
            if e.at > w.at:
                break
            gap = w.at - e.at
            if e.kind in CREDENTIAL_CHANGES and gap <= cfg.credential_change_window:
                flags.append(LoginFlag(
                    FlagKind.CREDENTIAL_CHANGE_BEFORE_WITHDRAWAL, (e.id, w.id), w.at,
                    f"Withdrawal {w.id} came {_hours(gap)} after {_CHANGE_WORDS[e.kind]} {e.id}, "
                    f"inside the {_hours(cfg.credential_change_window)} window (OKX locks "
                    f"withdrawals for 24 h after such a change).",
                ))
            elif e.kind is EventKind.API_KEY_CREATED and gap <= cfg.api_key_window:
                flags.append(LoginFlag(
                    FlagKind.API_KEY_BEFORE_WITHDRAWAL, (e.id, w.id), w.at,
                    f"Withdrawal {w.id} came {_hours(gap)} after API key creation {e.id} "
                    f"(window {_hours(cfg.api_key_window)}).",
                ))
    return flags
