"""Job runners: the worker loop used by ``ombud worker`` and the embedded default."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ombud.jobs.service import STALE_AFTER, Handler, run_due

log = logging.getLogger("ombud.jobs")


@dataclass
class Periodic:
    """A task run every ``seconds`` by the loop (e.g. the audit anchor)."""

    seconds: float
    run: Callable[[Session], object]
    last: float = field(default=0.0)


def worker_name() -> str:
    """A name that identifies this process in ``jobs.locked_by``."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 10000}"


def run_loop(
    sessions: sessionmaker[Session],
    handlers: Mapping[str, Handler],
    stop: threading.Event,
    *,
    poll_seconds: float = 0.5,
    periodic: list[Periodic] | None = None,
    name: str | None = None,
    warm: Callable[[Session], object] | None = None,
    stale_after: dt.timedelta = STALE_AFTER,
) -> None:
    """Run due jobs until ``stop`` is set; sleep ``poll_seconds`` when the queue is empty.
    A job another worker left running for ``stale_after`` is taken as abandoned.

    ``warm`` runs once first, outside any transaction: slow set-up (a model to train) done
    there never holds a write lock that the web's writers wait on.
    """
    name = name or worker_name()
    if warm is not None:
        with sessions() as session:
            warm(session)
    log.info("job worker %s started", name)
    while not stop.is_set():
        ran = 0
        try:
            with sessions() as session:
                ran = run_due(session, name, handlers, stale_after=stale_after)
                for task in periodic or ():
                    if time.monotonic() - task.last >= task.seconds:
                        task.last = time.monotonic()
                        task.run(session)
        except OperationalError as exc:  # database away or locked: wait and try again
            log.warning("job worker %s: database unavailable: %s", name, exc.orig)
            stop.wait(poll_seconds * 4)
            continue
        if not ran:
            stop.wait(poll_seconds)
    log.info("job worker %s stopped", name)


class EmbeddedRunner:
    """The in-process runner of the embedded default: one daemon thread over the job table.

    The work itself is durable (job rows); this thread only executes it, so a crash loses
    nothing: the next start picks the rows up again.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        handlers: Mapping[str, Handler],
        *,
        poll_seconds: float = 0.5,
        periodic: list[Periodic] | None = None,
        warm: Callable[[Session], object] | None = None,
    ) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=run_loop, name="ombud-jobs", daemon=True,
            args=(sessions, handlers, self._stop),
            kwargs={"poll_seconds": poll_seconds, "periodic": periodic, "warm": warm},
        )

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to finish its current job and wait for it."""
        self._stop.set()
        self._thread.join(timeout=10)
