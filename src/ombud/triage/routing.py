"""Routing (pure): the team with the skill, then the handler with room, in working hours,
available, and not from the business unit complained about (GV-1).

Entry point: :func:`route`. Load is balanced by the share of capacity in use; every team or
handler passed over is listed with the reason, for the case record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CONFLICT_UNITS: Mapping[str, str] = {
    "trade_dispute": "trading", "fees": "trading", "liquidation": "derivatives",
    "deposit_withdrawal": "wallets", "kyc": "onboarding", "api": "platform",
    "account_security": "security", "other": "",
}
"""[D] GV-1: the business unit a complaint of each category is about (configurable)."""

HANDLER_ROLES = frozenset({"agent", "specialist"})
TRIAGE_TEAM = "Triage"


@dataclass(frozen=True)
class TeamSkills:
    """A team and what it handles; an empty list means any."""

    id: int
    name: str
    categories: tuple[str, ...]
    languages: tuple[str, ...]
    jurisdictions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Handler:
    """A member of staff as routing sees one."""

    id: int
    name: str
    team_id: int | None
    role: str
    open_cases: int
    capacity: int = 25
    timezone: str = "UTC"
    hours: tuple[time, time] | None = None  # None: all day
    weekdays: frozenset[int] = frozenset(range(7))
    available: bool = True
    business_unit: str = "complaints"


@dataclass(frozen=True)
class Need:
    """What the case needs of its handler."""

    category: str
    language: str
    jurisdiction: str
    urgent: bool = False
    needs_human: bool = False


@dataclass(frozen=True)
class Route:
    """The team and handler chosen (either may be None) and why."""

    team_id: int | None
    assignee_id: int | None
    reasons: tuple[str, ...]


def in_hours(h: Handler, now: datetime) -> bool:
    """True when ``now`` falls in the handler's working hours, in their time zone."""
    try:
        local = now.astimezone(ZoneInfo(h.timezone))
    except (ZoneInfoNotFoundError, ValueError):
        local = now
    if local.weekday() not in h.weekdays:
        return False
    if h.hours is None:
        return True
    start, end = h.hours
    return start <= local.time() < end if start < end else not end <= local.time() < start


def _team_score(team: TeamSkills, need: Need) -> tuple[int, int] | None:
    """(language match, jurisdiction match), or None without the category skill."""
    if team.categories and need.category not in team.categories:
        return None
    lang = not team.languages or need.language in team.languages or (
        need.language.startswith("zh") and any(x.startswith("zh") for x in team.languages))
    where = not team.jurisdictions or need.jurisdiction.upper() in team.jurisdictions
    return int(lang), int(where)


def choose_team(teams: Sequence[TeamSkills], need: Need) -> tuple[TeamSkills | None, list[str]]:
    """The team with the category skill, preferring language, then jurisdiction matches."""
    if need.needs_human:
        queue = next((t for t in teams if t.name == TRIAGE_TEAM), None)
        return queue, ["low classification confidence: human triage queue"
                       + ("" if queue else " (no 'Triage' team: left unassigned)")]
    ranked = sorted(((s, -len(t.categories) or -99, t.id, t) for t in teams
                     if t.name != TRIAGE_TEAM and (s := _team_score(t, need)) is not None),
                    key=lambda x: (x[0], x[1], -x[2]), reverse=True)
    if not ranked:
        return None, [f"no team has the skill for {need.category}: left unassigned"]
    (lang, where), _, _, team = ranked[0]
    why = [f"team {team.name}: handles {need.category}"]
    why.append(f"speaks {need.language}" if lang else f"no team speaks {need.language}")
    if team.jurisdictions:
        why.append(f"covers {need.jurisdiction}" if where
                   else f"no team covers {need.jurisdiction or 'an unknown jurisdiction'}")
    return team, ["; ".join(why)]


def choose_handler(handlers: Sequence[Handler], team: TeamSkills, need: Need, now: datetime,
                   conflicts: Mapping[str, str] = CONFLICT_UNITS) -> tuple[Handler | None,
                                                                          list[str]]:
    """The least-loaded handler of ``team`` with room, available and in hours (GV-1 applied).

    An urgent case takes an available handler out of hours when nobody is in hours.
    """
    unit = conflicts.get(need.category, "")
    why: list[str] = []
    fit: list[Handler] = []
    off_hours: list[Handler] = []
    for h in sorted(handlers, key=lambda h: h.id):
        if h.team_id != team.id or h.role not in HANDLER_ROLES:
            continue
        if unit and h.business_unit == unit:
            why.append(f"{h.name} passed over: in the business unit complained about ({unit}, "
                       "GV-1)")
        elif not h.available:
            why.append(f"{h.name} passed over: not available")
        elif h.open_cases >= h.capacity:
            why.append(f"{h.name} passed over: at capacity ({h.open_cases}/{h.capacity})")
        elif not in_hours(h, now):
            off_hours.append(h)
            why.append(f"{h.name} passed over: outside working hours")
        else:
            fit.append(h)
    pool = fit or (off_hours if need.urgent else [])
    if not pool:
        why.append(f"nobody in {team.name} can take it now: stays in the team queue")
        return None, why
    best = min(pool, key=lambda h: (h.open_cases / max(h.capacity, 1), h.open_cases, h.id))
    why.append(f"assigned to {best.name}: least loaded ({best.open_cases}/{best.capacity})"
               + ("" if fit else ", out of hours because the case is urgent"))
    return best, why


def route(teams: Sequence[TeamSkills], handlers: Sequence[Handler], need: Need,
          now: datetime, conflicts: Mapping[str, str] = CONFLICT_UNITS) -> Route:
    """Team and handler for a case, with the reasons."""
    team, why = choose_team(teams, need)
    if team is None:
        return Route(None, None, tuple(why))
    if need.needs_human:
        return Route(team.id, None, tuple(why))
    handler, more = choose_handler(handlers, team, need, now, conflicts)
    return Route(team.id, handler.id if handler else None, tuple(why + more))
