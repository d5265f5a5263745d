"""Job verbs: enqueue in the caller's transaction; claim, finish, retry with backoff, park."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from ombud.common.clock import utcnow
from ombud.db import insert_ignore, tx
from ombud.jobs.tables import Job

Handler = Callable[[Session, dict[str, Any]], None]

QUEUED, RUNNING, DONE, PARKED = "queued", "running", "done", "parked"
STALE_AFTER = dt.timedelta(minutes=5)


class Failed(Exception):
    """Raised by a handler that failed and has its own note of it to keep: ``note(session)``
    runs in the transaction that reschedules the job (or, with ``park``, parks it at once),
    after the handler's work was rolled back."""

    def __init__(self, error: str, *, park: bool = False,
                 note: Callable[[Session], None] | None = None) -> None:
        super().__init__(error)
        self.park, self.note = park, note


@dataclass(frozen=True)
class ClaimedJob:
    """A job this worker holds."""

    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    attempts: int


def enqueue(
    session: Session,
    kind: str,
    payload: Mapping[str, Any],
    key: str,
    *,
    run_at: dt.datetime | None = None,
    max_attempts: int = 8,
) -> None:
    """Write a job row in the caller's transaction; a second job with the same key is ignored."""
    now = utcnow()
    with tx(session):
        insert_ignore(session, Job.__table__, {
            "kind": kind, "key": key, "payload": json.dumps(dict(payload), default=str),
            "status": QUEUED, "attempts": 0, "max_attempts": max_attempts,
            "run_at": run_at or now, "created_at": now,
        })


def enqueue_many(session: Session, kind: str, jobs: Mapping[str, Mapping[str, Any]]) -> None:
    """``enqueue`` for many jobs of one kind at once (key -> payload): one statement."""
    if not jobs:
        return
    now = utcnow()
    with tx(session):
        insert_ignore(session, Job.__table__, [{
            "kind": kind, "key": key, "payload": json.dumps(dict(payload), default=str),
            "status": QUEUED, "attempts": 0, "max_attempts": 8, "run_at": now, "created_at": now,
        } for key, payload in jobs.items()])


def backoff(attempts: int) -> dt.timedelta:
    """Delay before retry number ``attempts``: 2, 4, 8 ... seconds, at most 10 minutes."""
    return dt.timedelta(seconds=min(2**attempts, 600))


def claim(session: Session, worker: str, *, limit: int = 1,
          stale_after: dt.timedelta = STALE_AFTER) -> list[ClaimedJob]:
    """Take up to ``limit`` due jobs (``FOR UPDATE SKIP LOCKED`` on PostgreSQL).

    A job left ``running`` by a worker that died is taken again after ``stale_after``.
    """
    now = utcnow()
    with tx(session):
        due = or_(
            (Job.status == QUEUED) & (Job.run_at <= now),
            (Job.status == RUNNING) & (Job.locked_at < now - stale_after),
        )
        q = (select(Job).where(due).order_by(Job.run_at, Job.id).limit(limit)
             .execution_options(populate_existing=True))
        if session.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        jobs = list(session.scalars(q))
        for job in jobs:
            job.status, job.locked_by, job.locked_at = RUNNING, worker, now
            job.attempts += 1
        return [ClaimedJob(j.id, j.kind, j.key, json.loads(j.payload), j.attempts) for j in jobs]


def run_claimed(session: Session, job: ClaimedJob, handlers: Mapping[str, Handler]) -> bool:
    """Run one claimed job; its effects and its ``done`` mark commit together.

    On failure the transaction is rolled back and the job is rescheduled with backoff, or
    parked with its error once it has used its attempts. Returns True when it succeeded.
    """
    try:
        handler = handlers[job.kind]
    except KeyError:
        _fail(session, job, f"no handler for job kind {job.kind!r}", park=True)
        return False
    try:
        with tx(session):
            handler(session, job.payload)
            session.execute(
                update(Job).where(Job.id == job.id)
                .values(status=DONE, finished_at=utcnow(), last_error=None)
            )
    except Failed as exc:
        _fail(session, job, str(exc), park=exc.park, note=exc.note)
        return False
    except Exception as exc:
        _fail(session, job, f"{type(exc).__name__}: {exc}")
        return False
    return True


def _fail(session: Session, job: ClaimedJob, error: str, *, park: bool = False,
          note: Callable[[Session], None] | None = None) -> None:
    with tx(session):
        if note is not None:
            note(session)
        row = session.get(Job, job.id)
        if row is None:
            return
        row.last_error = error[:4000]
        row.locked_by = row.locked_at = None
        if park or row.attempts >= row.max_attempts:
            row.status = PARKED
        else:
            row.status, row.run_at = QUEUED, utcnow() + backoff(row.attempts)


def run_due(session: Session, worker: str, handlers: Mapping[str, Handler], limit: int = 50,
            stale_after: dt.timedelta = STALE_AFTER) -> int:
    """Claim and run due jobs one at a time until none is due or ``limit`` ran."""
    ran = 0
    while ran < limit:
        claimed = claim(session, worker, stale_after=stale_after)
        if not claimed:
            break
        run_claimed(session, claimed[0], handlers)
        ran += 1
    return ran


def retry_parked(session: Session, job_id: int) -> None:
    """Put a parked job back in the queue with a fresh set of attempts."""
    with tx(session):
        row = session.get(Job, job_id)
        if row is None or row.status != PARKED:
            return
        row.status, row.attempts, row.run_at = QUEUED, 0, utcnow()


def counts(session: Session) -> dict[str, int]:
    """Number of jobs per status."""
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
    return {status: n for status, n in rows}
