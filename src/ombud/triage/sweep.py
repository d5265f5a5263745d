"""The deadline sweep (periodic): warnings to the handler before a breach, escalation to a
supervisor at it, the breach recorded; pauses applied; answered cases sent back to triage.
Every warning and every expiry is audited on its case's chain (one bulk append per batch).
The next-update clock recurs: an update to the customer starts a new cycle from it, and a
breach starts one from the escalation.

Set-based: two index range scans find only the clocks that crossed their warning or due
time since the last sweep (``state, warn_at`` and ``state, due_at``), however many cases
are open; those few are settled in Python (pauses need the calendar arithmetic) and
written back with one statement per kind of change.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Text,
    any_,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
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
from ombud.triage.service_levels import SlaMetric
from ombud.triage.sla import Pause
from ombud.triage.tables import TriageAlert, TriageClock, TriageDecision

#: Statuses after which the customer has had the firm's answer (response clocks are met).
ANSWERED = frozenset(s.value for s in (
    Status.PROPOSED, Status.ACCEPTED, Status.EXECUTING, Status.RESOLVED, Status.CLOSED,
    Status.OBJECTED, Status.RE_REVIEW, Status.APPEALED, Status.REFERRED, Status.WITHDRAWN,
    Status.REJECTED, Status.MERGED))
_EXPIRED = {"obligation": "breached", "window": "closed", "right": "opened"}
#: Audit actions of the sweep: clocks past their warning point, and clocks that expired.
WARNED, EXPIRED = "triage.clocks_warned", "triage.clocks_expired"


@dataclass
class SweepReport:
    """What one sweep did."""

    warned: int = 0
    breached: int = 0
    expired: int = 0  # windows closed and customer rights opened
    met: int = 0
    extended: int = 0
    restarted: int = 0  # next-update clocks started again after an update to the customer
    retriaged: int = 0
    alerts: int = 0
    cases: set[int] = field(default_factory=set)


def _crossed(session: Session, now: dt.datetime) -> list[int]:
    """Ids of the clocks that crossed their warning or due time: two index range scans."""
    t = table_of(TriageClock)
    warned = select(t.c.id).where(t.c.state == "running", t.c.warn_at <= now)
    due = select(t.c.id).where(t.c.state == "warning", t.c.due_at <= now)
    return sorted(session.scalars(warned.union_all(due)).all())


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _among(session: Session, column: ColumnElement[int], ids: list[int]) -> ColumnElement[bool]:
    """``column IN ids``; on PostgreSQL one array parameter rather than thousands."""
    if _postgres(session):
        return column == any_(literal(ids, ARRAY(Integer)))
    return column.in_(ids)


def _insert_alerts(session: Session, alerts: list[dict[str, Any]]) -> None:
    """Insert the alerts, skipping any already raised (their key is unique). PostgreSQL: COPY
    to a session-private scratch table, then one INSERT ... ON CONFLICT DO NOTHING."""
    t = table_of(TriageAlert)
    if not _postgres(session):
        insert_ignore(session, t, alerts)
        return
    names = ", ".join(alerts[0])
    raw = session.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_NEW_ALERTS} "
                    f"(LIKE {t.name} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
        cur.execute(f"TRUNCATE {_NEW_ALERTS}")
        with cur.copy(f"COPY {_NEW_ALERTS} ({names}) FROM STDIN") as copy:
            for alert in alerts:
                copy.write_row(tuple(alert.values()))
        cur.execute(f"INSERT INTO {t.name} ({names}) SELECT {names} FROM {_NEW_ALERTS} "
                    "ON CONFLICT DO NOTHING")


#: The scratch table of ``_insert_alerts`` (temporary: one per connection, emptied at commit).
_NEW_ALERTS = "triage_new_alerts"


def _candidates(session: Session, ids: list[int]) -> list[Any]:
    t = table_of(TriageClock)
    out = (Message.case_id == t.c.case_id, Message.direction == "out",
           Message.visibility == "public")
    by_staff = (*out, Message.author_kind == "staff")

    def only_for(purpose: str, value: Any) -> Any:  # the subquery runs for that purpose only
        return case((t.c.purpose == purpose, value.scalar_subquery()))

    first_out = only_for("acknowledgement", select(func.min(Message.created_at)).where(*out))
    staff_out = only_for("first_response",
                         select(func.min(Message.created_at)).where(*by_staff))
    last_update = only_for(SlaMetric.NEXT_UPDATE.value,
                           select(func.max(Message.created_at)).where(*by_staff))
    q = (select(t.c.id, t.c.case_id, t.c.rule_id, t.c.citation, t.c.purpose, t.c.kind,
                t.c.pausable, cast(t.c.definition, Text).label("definition"),  # parsed if used
                t.c.started_at, t.c.warn_at, t.c.due_at,
                t.c.state, Case.status, Case.assignee_id, Case.team_id, Case.reference,
                first_out.label("first_out"), staff_out.label("staff_out"),
                last_update.label("last_update"))
         .join(Case, Case.id == t.c.case_id)
         .where(_among(session, t.c.id, ids), t.c.state.in_(("running", "warning")))
         .order_by(t.c.id))
    if _postgres(session):  # a concurrent sweep skips these
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
    cycles: dict[int, dict[str, Any]] = {}  # next-update clocks starting a new cycle
    to_state: dict[str, list[int]] = defaultdict(list)
    alerts: list[dict[str, Any]] = []
    # per case (id, reference): the audit action -> the clocks it names
    record: dict[tuple[int, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    by_team, anyone = _supervisors(session)
    waited = queries.pauses_of(session, sorted({r.case_id for r in rows if r.pausable}))
    for row in rows:
        start, due, warn = as_utc(row.started_at), as_utc(row.due_at), as_utc(row.warn_at)
        pauses = waited.get(row.case_id, ())
        if _met(row):
            to_state["met"].append(row.id)
            report.met += 1
            continue
        recurring = row.purpose == SlaMetric.NEXT_UPDATE.value
        if recurring and row.last_update is not None and as_utc(row.last_update) > start:
            start, warn, due = _cycle(row, as_utc(row.last_update), pauses, now)
            cycles[row.id] = {"i": row.id, "s": start, "d": due, "w": warn}
            report.restarted += 1  # the customer had an update: start again
            if now < warn:
                continue
        elif row.pausable and pauses:
            later = recount(json.loads(row.definition), row.rule_id, start, pauses, now)
            if later > due:
                warn, due = warn + (later - due), later
                moved.append({"i": row.id, "d": due, "w": warn})
                report.extended += 1
        label = f"{row.rule_id} ({row.purpose.replace('_', ' ')}) due {due:%Y-%m-%d %H:%M} UTC"
        cycle = f":{start:%Y%m%dT%H%M}" if recurring else ""  # one alert per cycle
        if now >= due:
            state = _EXPIRED.get(row.kind, "breached")
            record[(row.case_id, row.reference)][EXPIRED].append(f"{row.rule_id}:{state}")
            if recurring:  # still silent a whole cycle after this escalation: escalate again
                nxt, nwarn, ndue = _cycle(row, now, pauses, now)
                cycles[row.id] = {"i": row.id, "s": nxt, "d": ndue, "w": nwarn}
            else:
                to_state[state].append(row.id)
            if state == "breached":
                report.breached += 1
                boss = by_team.get(row.team_id, anyone)
                alerts.append(_alert(f"breach:{row.id}{cycle}", row, "escalation", boss,
                                     f"Breached: {label}. {row.citation}", now))
            else:
                report.expired += 1
                alerts.append(_alert(f"{state}:{row.id}", row, "notice", row.assignee_id,
                                     f"{row.rule_id} {state}: {row.citation}", now))
        elif now >= warn and (row.state == "running" or row.id in cycles):
            to_state["warning"].append(row.id)
            record[(row.case_id, row.reference)][WARNED].append(
                f"{row.rule_id}:{row.purpose} due {due.isoformat()}")
            alerts.append(_alert(f"warn:{row.id}{cycle}", row, "warning", row.assignee_id,
                                 f"Due soon: {label}. {row.citation}", now))
            report.warned += 1
        report.cases.add(row.case_id)
    warned = set(to_state["warning"])
    to_state["running"] = [i for i in cycles if i not in warned]
    _write_back(session, moved, list(cycles.values()), to_state, now)
    if alerts:
        _insert_alerts(session, alerts)
        report.alerts += len(alerts)
    audit.append_many(session, [
        audit.Entry(reference, "system", action, case_id, {"clocks": clocks})
        for (case_id, reference), actions in record.items()
        for action in (WARNED, EXPIRED) if (clocks := actions.get(action))])


def _cycle(row: Row[Any], start: dt.datetime, pauses: tuple[Pause, ...],
           now: dt.datetime) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """(start, warn, due) of a next-update cycle starting at ``start``, warning at the same
    fraction of it as the clock's first cycle."""
    first = as_utc(row.due_at) - as_utc(row.started_at)
    fraction = (as_utc(row.warn_at) - as_utc(row.started_at)) / first if first else 1.0
    due = recount(json.loads(row.definition), row.rule_id, start, pauses, now)
    return start, start + (due - start) * fraction, due


def _write_back(session: Session, moved: list[dict[str, Any]], cycles: list[dict[str, Any]],
                to_state: dict[str, list[int]], now: dt.datetime) -> None:
    """New times one row at a time (few: only pauses and next-update cycles move them); new
    states one statement per state."""
    t = table_of(TriageClock)
    if moved:
        session.execute(update(t).where(t.c.id == bindparam("i"))
                        .values(due_at=bindparam("d"), warn_at=bindparam("w"))
                        .execution_options(synchronize_session=False), moved)
    if cycles:
        session.execute(update(t).where(t.c.id == bindparam("i"))
                        .values(started_at=bindparam("s"), due_at=bindparam("d"),
                                warn_at=bindparam("w"))
                        .execution_options(synchronize_session=False), cycles)
    stamps: dict[str, dict[str, Any]] = {"warning": {"warned_at": now},
                                         "running": {"warned_at": None}}
    for state, ids in to_state.items():
        if not ids:
            continue
        stamp = stamps.get(state, {"settled_at": now})
        session.execute(update(t).where(_among(session, t.c.id, ids))
                        .values(state=state, **stamp)
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
