"""Engine, sessions and the one transaction boundary, ``tx``."""

from __future__ import annotations

import fcntl
import os
import queue
import threading
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, MetaData, Numeric, String, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql import Insert
from sqlalchemy.types import TypeDecorator, TypeEngine

from ombud.config import Settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table."""

    metadata = MetaData(naming_convention=NAMING)


class Amount(TypeDecorator[Decimal]):
    """An exact decimal amount: NUMERIC(38, 18) on PostgreSQL, text on SQLite (whose NUMERIC
    would round through binary floating point)."""

    impl = Numeric(38, 18)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Text on SQLite, NUMERIC elsewhere."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(64))
        return dialect.type_descriptor(Numeric(38, 18, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        """Store the exact decimal text on SQLite."""
        if value is None or dialect.name != "sqlite":
            return value
        return format(Decimal(value), "f")

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        """A Decimal without the column's padding zeros: 0.8, not 0.800000000000000000."""
        if value is None:
            return None
        amount = Decimal(str(value))
        return amount.quantize(Decimal(1)) if amount == amount.to_integral() else amount.normalize()


WRITE = "ombud_write"


def make_engine(settings: Settings) -> Engine:
    """Build the engine for ``settings.database_url`` (SQLite in WAL mode, or PostgreSQL)."""
    url = settings.database_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=settings.db_pool_size, max_overflow=settings.db_pool_size)
        _sqlite_pragmas(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(
        url, pool_size=settings.db_pool_size, max_overflow=settings.db_pool_size,
        pool_pre_ping=True, pool_recycle=1800,
    )


def _sqlite_pragmas(engine: Engine) -> None:
    """WAL, foreign keys, and ``BEGIN IMMEDIATE`` for write transactions."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        write = conn.get_execution_options().get(WRITE)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (pages render after the write)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def tx(session: Session) -> Iterator[Session]:
    """A write transaction: joins the caller's, or begins, commits and rolls back on error.

    Only the outermost ``tx`` commits. On SQLite the outermost one begins with
    ``BEGIN IMMEDIATE`` so that two writers never deadlock upgrading a read lock.
    """
    depth = session.info.get("tx_depth", 0)
    session.info["tx_depth"] = depth + 1
    try:
        if depth:
            yield session
            return
        if session.in_transaction():
            session.commit()  # end a read-only transaction begun by earlier reads
        bind = session.get_bind()
        lock = _writer_lock(bind.engine.url.database) if bind.dialect.name == "sqlite" else None
        if lock is not None:
            lock.acquire()
        try:
            if bind.dialect.name == "sqlite":
                session.connection(execution_options={WRITE: True})
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            if lock is not None:
                lock.release()
    finally:
        session.info["tx_depth"] = depth


class _WriterLock:
    """Queues the SQLite writers of all processes on an ``flock`` beside the database file.

    SQLite's own busy handler polls with sleeps of up to 100 ms, which under contention
    gives a tail of seconds; a blocking ``flock`` wakes the next writer at once. Re-entrant
    within a thread.
    """

    def __init__(self, path: str) -> None:
        self._path, self._pid, self._fd = path + "-writer.lock", -1, -1
        self._mutex = threading.RLock()
        self._held = 0

    def acquire(self) -> None:
        self._mutex.acquire()
        self._held += 1
        if self._held == 1:
            if self._pid != os.getpid():  # a forked child must not share its parent's lock
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                self._pid = os.getpid()
            fcntl.flock(self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        self._held -= 1
        if self._held == 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._mutex.release()


_WRITER_LOCKS: dict[str, _WriterLock] = {}
_LOCKS_GUARD = threading.Lock()


def _writer_lock(database: str | None) -> _WriterLock | None:
    """The writer lock of the SQLite file ``database`` (None for an in-memory database)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = os.path.abspath(database)
    with _LOCKS_GUARD:
        lock = _WRITER_LOCKS.get(path)
        if lock is None:
            lock = _WRITER_LOCKS[path] = _WriterLock(path)
        return lock


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class (typed, for bulk statements)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def insert_ignore(
    session: Session, table: Any, values: dict[str, Any] | list[dict[str, Any]]
) -> None:
    """INSERT a row (or many: a list) unless one with the same unique key exists (SQLite and
    PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    stmt: Insert
    if isinstance(values, list):
        stmt = (postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table))
        session.execute(stmt.on_conflict_do_nothing(), values)
        return
    if dialect == "postgresql":
        stmt = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    session.execute(stmt)


T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """Group commit: one writer thread per process runs the work of every request waiting
    at that moment in one transaction, so concurrent writes share one commit.

    ``batch(session, items)`` returns one result per item. If the batch fails for any
    reason, each of its items is run alone through ``single(session, item)`` in its own
    transaction, so that every request still gets its own answer or its own error. The
    thread exits after ``idle`` seconds without work and starts again on demand.
    """

    def __init__(
        self, engine: Engine, batch: Callable[[Session, list[T]], list[R]],
        single: Callable[[Session, T], R], *, max_batch: int = 64, idle: float = 2.0,
    ) -> None:
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
        self._batch, self._single = batch, single
        self._max, self._idle = max_batch, idle
        self._queue: queue.SimpleQueue[tuple[T, Future[R]]] = queue.SimpleQueue()
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None

    def enqueue(self, item: T) -> Future[R]:
        """Queue ``item`` for the next group transaction; its future holds the result.
        (An event loop awaits it with ``asyncio.wrap_future`` and blocks no thread.)"""
        future: Future[R] = Future()
        with self._guard:
            self._queue.put((item, future))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ombud-group-commit",
                                                daemon=True)
                self._thread.start()
        return future

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self._idle)
            except queue.Empty:
                with self._guard:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            waiting = [first]
            while len(waiting) < self._max:
                try:
                    waiting.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._commit(waiting)

    def _commit(self, waiting: list[tuple[T, Future[R]]]) -> None:
        items = [item for item, _ in waiting]
        try:
            with self._sessions() as session, tx(session):
                results = self._batch(session, items)
        except Exception:  # one bad request must not fail the others: run each alone
            for item, future in waiting:
                try:
                    with self._sessions() as session:
                        future.set_result(self._single(session, item))
                except Exception as exc:
                    future.set_exception(exc)
            return
        for (_, future), result in zip(waiting, results, strict=True):
            future.set_result(result)


_GROUPS: weakref.WeakKeyDictionary[Engine, dict[str, GroupCommit[Any, Any]]] = (
    weakref.WeakKeyDictionary())


def group_commit(
    engine: Engine, name: str, make: Callable[[Engine], GroupCommit[T, R]]
) -> GroupCommit[T, R]:
    """The process's group committer ``name`` for ``engine``, made on first use."""
    with _LOCKS_GUARD:
        groups = _GROUPS.setdefault(engine, {})
        if name not in groups:
            groups[name] = make(engine)
        return groups[name]
