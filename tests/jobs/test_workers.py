"""Several worker processes share one queue: each of 300 jobs runs exactly once
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite)."""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.db import tx
from ombud.jobs import service as jobs
from ombud.jobs.tables import Job
from tests.jobs import workers

JOBS, PROCESSES = 300, 4


@pytest.fixture
def runs_table(session: Session) -> Iterator[None]:
    session.execute(text(f"DROP TABLE IF EXISTS {workers.RUNS_TABLE}"))
    session.execute(text(f"CREATE TABLE {workers.RUNS_TABLE} (n INTEGER, worker VARCHAR(64))"))
    session.commit()
    yield
    session.rollback()
    session.execute(text(f"DROP TABLE {workers.RUNS_TABLE}"))
    session.commit()


@pytest.mark.usefixtures("runs_table")
def test_each_job_runs_exactly_once_across_worker_processes(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    with tx(session):
        for n in range(JOBS):
            jobs.enqueue(session, workers.KIND, {"n": n}, f"count:{n}")
    ctx = multiprocessing.get_context("spawn")
    start, stop = ctx.Barrier(PROCESSES + 1), ctx.Event()
    procs = [ctx.Process(target=workers.work, args=(settings.database_url, str(tmp_path),
                                                    f"worker-{i}", start, stop))
             for i in range(PROCESSES)]
    for p in procs:
        p.start()
    try:
        start.wait(timeout=120)
        deadline = time.monotonic() + 120  # a guard against a hang, not a speed claim
        while jobs.counts(session).get(jobs.DONE, 0) < JOBS and time.monotonic() < deadline:
            session.commit()
            time.sleep(0.1)
    finally:
        stop.set()
        for p in procs:
            p.join(timeout=30)
    assert [p.exitcode for p in procs] == [0] * PROCESSES
    assert jobs.counts(session) == {jobs.DONE: JOBS}

    attempts = Counter(int(line) for f in tmp_path.glob("worker-*.log")
                       for line in f.read_text().split())
    assert attempts == Counter(range(JOBS))  # no job was even started twice
    committed = Counter(n for (n,) in session.execute(
        text(f"SELECT n FROM {workers.RUNS_TABLE}")))
    assert committed == Counter(range(JOBS))
    runners = set(session.scalars(select(Job.locked_by)))
    assert len(runners) > 1, runners  # the work really was shared
    assert all(j.attempts == 1 for j in session.scalars(select(Job)))
