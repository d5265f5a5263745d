"""The deadline sweep (periodic): warnings to the handler before a breach, escalation to a
supervisor at it, the breach recorded; pauses applied; answered cases sent back to triage.

Set-based: two index range scans find only the clocks that crossed their warning or due
time since the last sweep (``state, warn_at`` and ``state, due_at``), however many cases
are open; those few are settled in Python (pauses need the calendar arithmetic) and
written back with one statement per kind of change.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, bindparam, func, select, update
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.cases.lifecycle import Status
from ombud.cases.tables import Case, Message
from ombud.common.clock import as_utc, utcnow
from ombud.db import insert_ignore, table_of, tx
from ombud.jobs import service as jobs
from ombud.security.tables import Staff
from ombud.triage import queries
from ombud.triage.pipeline import recount
from ombud.triage.tables import TriageAlert, TriageClock, TriageDecision

#: Statuses after which the customer has had the firm's answer (response clocks are met).
ANSWERED = frozenset(s.value for s in (
    Status.PROPOSED, Status.ACCEPTED, Status.EXECUTING, Status.RESOLVED, Status.CLOSED,
    Status.OBJECTED, Status.RE_REVIEW, Status.APPEALED, Status.REFERRED, Status.WITHDRAWN,
    Status.REJECTED, Status.MERGED))
_EXPIRED = {"obligation": "breached", "window": "closed", "right": "opened"}


@dataclass
class SweepReport:
    """What one sweep did."""

    warned: int = 0
    breached: int = 0
    expired: int = 0  # windows closed and customer rights opened
    met: int = 0
    extended: int = 0
    retriaged: int = 0
    alerts: int = 0
    cases: set[int] = field(default_factory=set)


def _crossed(session: Session, now: dt.datetime) -> list[int]:
    """Ids of the clocks that crossed their warning or due time: two index range scans."""
    t = table_of(TriageClock)
    warned = select(t.c.id).where(t.c.state == "running", t.c.warn_at <= now)
    due = select(t.c.id).where(t.c.state == "warning", t.c.due_at <= now)
    return sorted(session.scalars(warned.union_all(due)).all())


def _candidates(session: Session, ids: list[int]) -> list[Any]:
    t = table_of(TriageClock)
    first_out = (select(func.min(Message.created_at)).where(
        Message.case_id == t.c.case_id, Message.direction == "out",
        Message.visibility == "public").scalar_subquery())
    staff_out = (select(func.min(Message.created_at)).where(
        Message.case_id == t.c.case_id, Message.direction == "out",
        Message.author_kind == "staff", Message.visibility == "public").scalar_subquery())
    q = (select(t.c.id, t.c.case_id, t.c.rule_id, t.c.citation, t.c.purpose, t.c.kind,
                t.c.pausable, t.c.definition, t.c.started_at, t.c.warn_at, t.c.due_at,
                t.c.state, Case.status, Case.assignee_id, Case.team_id, Case.reference,
                first_out.label("first_out"), staff_out.label("staff_out"))
         .join(Case, Case.id == t.c.case_id)
         .where(t.c.id.in_(ids), t.c.state.in_(("running", "warning"))).order_by(t.c.id))
    if session.get_bind().dialect.name == "postgresql":  # a concurrent sweep skips these
        q = q.with_for_update(of=t, skip_locked=True)
    return list(session.execute(q).all())


def _met(row: Row[Any]) -> bool:
    due = as_utc(row.due_at)
    if row.purpose == "acknowledgement":
        return row.first_out is not None and as_utc(row.first_out) < due
    if row.purpose == "first_response":
        return row.staff_out is not None and as_utc(row.staff_out) < due
    return row.status in ANSWERED


def _alert(key: str, row: Row[Any], kind: str, staff_id: int | None, text: str,
           now: dt.datetime) -> dict[str, Any]:
    return {"key": key, "case_id": row.case_id, "clock_id": row.id, "kind": kind,
            "staff_id": staff_id, "team_id": row.team_id, "text": text, "created_at": now}


def _supervisors(session: Session) -> tuple[dict[int | None, int], int | None]:
    rows = session.execute(select(Staff.id, Staff.team_id).where(
        Staff.active, Staff.role == "supervisor").order_by(Staff.id)).all()
    by_team: dict[int | None, int] = {}
    for sid, team in rows:
        by_team.setdefault(team, sid)
    return by_team, rows[0][0] if rows else None


def _settle(session: Session, rows: list[Row[Any]], now: dt.datetime,
            report: SweepReport) -> None:
    moved: list[dict[str, Any]] = []  # due time changed by a pause
    to_state: dict[str, list[int]] = defaultdict(list)
    alerts: list[dict[str, Any]] = []
    expired: dict[tuple[int, str], list[str]] = defaultdict(list)
    by_team, anyone = _supervisors(session)
    waited = queries.pauses_of(session, sorted({r.case_id for r in rows if r.pausable}))
    for row in rows:
        due, warn = as_utc(row.due_at), as_utc(row.warn_at)
        if _met(row):
            to_state["met"].append(row.id)
            report.met += 1
            continue
        if row.pausable and row.case_id in waited:
            later = recount(row.definition, row.rule_id, as_utc(row.started_at),
                            waited[row.case_id], now)
            if later > due:
                warn, due = warn + (later - due), later
                moved.append({"i": row.id, "d": due, "w": warn})
                report.extended += 1
        label = f"{row.rule_id} ({row.purpose.replace('_', ' ')}) due {due:%Y-%m-%d %H:%M} UTC"
        if now >= due:
            state = _EXPIRED.get(row.kind, "breached")
            to_state[state].append(row.id)
            expired[(row.case_id, row.reference)].append(f"{row.rule_id}:{state}")
            if state == "breached":
                report.breached += 1
                boss = by_team.get(row.team_id, anyone)
                alerts.append(_alert(f"breach:{row.id}", row, "escalation", boss,
                                     f"Breached: {label}. {row.citation}", now))
            else:
                report.expired += 1
                alerts.append(_alert(f"{state}:{row.id}", row, "notice", row.assignee_id,
                                     f"{row.rule_id} {state}: {row.citation}", now))
        elif now >= warn and row.state == "running":
            to_state["warning"].append(row.id)
            alerts.append(_alert(f"warn:{row.id}", row, "warning", row.assignee_id,
                                 f"Due soon: {label}. {row.citation}", now))
            report.warned += 1
        report.cases.add(row.case_id)
    _write_back(session, moved, to_state, now)
    if alerts:
        insert_ignore(session, table_of(TriageAlert), alerts)
        report.alerts += len(alerts)
    for (case_id, reference), clocks in expired.items():
        audit.append(session, actor="system", action="triage.clocks_expired", chain=reference,
                     case_id=case_id, data={"clocks": clocks})


def _write_back(session: Session, moved: list[dict[str, Any]],
                to_state: dict[str, list[int]], now: dt.datetime) -> None:
    """New due times one row at a time (few: only pauses move them); new states one
    statement per state."""
    t = table_of(TriageClock)
    if moved:
        session.execute(update(t).where(t.c.id == bindparam("i"))
                        .values(due_at=bindparam("d"), warn_at=bindparam("w"))
                        .execution_options(synchronize_session=False), moved)
    for state, ids in to_state.items():
        stamp = {"warned_at": now} if state == "warning" else {"settled_at": now}
        session.execute(update(t).where(t.c.id.in_(ids)).values(state=state, **stamp)
                        .execution_options(synchronize_session=False))


def _retriage(session: Session, report: SweepReport) -> None:
    """Cases the customer has answered go back to triage (any channel)."""
    rows = session.execute(
        select(TriageDecision.case_id, TriageDecision.runs)
        .join(Case, Case.id == TriageDecision.case_id)
        .where(TriageDecision.awaiting_info, Case.status != Status.NEEDS_INFO.value)).all()
    if not rows:
        return
    session.execute(update(TriageDecision).where(TriageDecision.case_id.in_(
        [r.case_id for r in rows])).values(awaiting_info=False)
        .execution_options(synchronize_session=False))
    jobs.enqueue_many(session, "triage.case", {f"triage:{r.case_id}:{r.runs}":
                                               {"case_id": r.case_id} for r in rows})
    report.retriaged += len(rows)


def sweep(session: Session, now: dt.datetime | None = None, batch: int = 5_000) -> SweepReport:
    """One pass over every clock that crossed its warning or due time; one transaction per
    ``batch`` clocks."""
    now = now or utcnow()
    report = SweepReport()
    with tx(session):
        _retriage(session, report)
        crossed = _crossed(session, now)
    for i in range(0, len(crossed), batch):
        with tx(session):
            _settle(session, _candidates(session, crossed[i:i + batch]), now, report)
    return report


def run(session: Session) -> SweepReport:
    """The periodic task (worker): sweep now."""
    return sweep(session)
