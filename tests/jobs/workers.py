"""Child-process side of the multi-worker test: a worker process running ``run_loop`` with a
test-only job kind that records every execution in a file and in a table."""

from __future__ import annotations

import functools
from pathlib import Path
from threading import Barrier, Event
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.db import make_engine, session_factory
from ombud.jobs.runner import run_loop

KIND = "test.count"
RUNS_TABLE = "test_job_runs"


def count(log: Path, name: str, session: Session, payload: dict[str, Any]) -> None:
    """Job ``test.count``: note the execution (file: every attempt; table: committed ones)."""
    with log.open("a") as fh:
        fh.write(f"{payload['n']}\n")
    session.execute(text(f"INSERT INTO {RUNS_TABLE} (n, worker) VALUES (:n, :w)"),
                    {"n": payload["n"], "w": name})


def work(url: str, log_dir: str, name: str, start: Barrier, stop: Event) -> None:
    """Entry point of one worker process."""
    engine = make_engine(Settings(database_url=url, db_pool_size=2))
    handler = functools.partial(count, Path(log_dir) / f"{name}.log", name)
    start.wait()
    try:
        run_loop(session_factory(engine), {KIND: handler}, stop, poll_seconds=0.05, name=name)
    finally:
        engine.dispose()
