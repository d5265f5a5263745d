"""Time helpers: every timestamp is timezone-aware UTC."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """Treat a naive value (SQLite hands those back) as UTC; convert an aware one."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def iso(value: dt.datetime) -> str:
    """Canonical ISO-8601 text of a timestamp, UTC, microseconds."""
    return as_utc(value).isoformat(timespec="microseconds")
