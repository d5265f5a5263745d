"""Bulk seeding of cases for benchmarks and load tests: COPY on PostgreSQL, executemany on
SQLite, with the same rows ``open_case`` would write (customer, case, first message, the
``case.opened`` audit event and chain head) and the reference counter moved on, so that
later cases follow gaplessly and ``ombud audit verify`` still passes.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Engine, func, select, text

from ombud.audit import service as audit
from ombud.cases.filing import DEFAULT_RESOLUTION
from ombud.cases.lifecycle import Status
from ombud.cases.tables import Case, CaseCounter
from ombud.cases.taxonomy import Category, Channel, Priority
from ombud.common.clock import utcnow
from ombud.common.ids import case_reference
from ombud.db import table_of

#: Where seeded cases stand: mostly open work, some finished.
STATUS_WEIGHTS = {
    Status.RECEIVED: 10, Status.TRIAGED: 20, Status.INVESTIGATING: 25,
    Status.AWAITING_CUSTOMER: 10, Status.PROPOSED: 5, Status.CLOSED: 25, Status.RESOLVED: 5,
}
SUMMARIES = ("Withdrawal not credited", "Market order filled far from the quote",
             "Account frozen without notice", "Liquidation at a price never traded",
             "Deposit on the wrong network", "KYC rejected twice", "API keys revoked")

CASE_COLUMNS = ("id", "reference", "customer_id", "channel", "category", "subcategory",
                "priority", "impact", "jurisdiction", "language", "status", "team_id",
                "summary", "description", "desired_outcome", "received_at", "updated_at",
                "due_at")
MESSAGE_COLUMNS = ("case_id", "direction", "channel", "author_kind", "author_id",
                   "author_name", "body", "visibility", "created_at")
EVENT_COLUMNS = ("chain", "seq", "at", "actor", "action", "case_id", "data", "prev_hash",
                 "hash")
CUSTOMER_COLUMNS = ("id", "uid", "email", "name", "language", "jurisdiction", "tier",
                    "created_at")

Progress = Callable[[int], None]


def bulk_seed(
    engine: Engine,
    n_cases: int,
    *,
    team_ids: Sequence[int | None] = (None,),
    n_customers: int = 10_000,
    year: int | None = None,
    batch: int = 50_000,
    seed: int = 7,
    progress: Progress | None = None,
) -> int:
    """Add ``n_cases`` cases of ``year`` (default: this year) spread over ``team_ids`` and
    ``n_customers`` new customers; returns the number of cases written."""
    rng = random.Random(seed)
    now = utcnow()
    year = year or now.year
    statuses, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    categories, channels = list(Category), [Channel.WEB, Channel.API, Channel.EMAIL]
    with engine.begin() as conn:
        first_customer = _next_id(conn, "customers")
        _write(conn, "customers", CUSTOMER_COLUMNS, (
            (first_customer + i, f"bulk-{seed}-{first_customer + i}", None, f"Customer {i}",
             "en", "GB", "regular", now) for i in range(n_customers)))
        conn.execute(
            text("INSERT INTO case_counters (year, value) SELECT :y, 0 WHERE NOT EXISTS "
                 "(SELECT 1 FROM case_counters WHERE year = :y)"), {"y": year})
        counter = conn.execute(
            select(CaseCounter.value).where(CaseCounter.year == year).with_for_update()
        ).scalar_one()
        first_id = _next_id(conn, "cases")
        done = 0
        while done < n_cases:
            size = min(batch, n_cases - done)
            cases, messages, events = [], [], []
            for i in range(done, done + size):
                case_id, number = first_id + i, counter + i + 1
                received = dt.datetime(year, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
                    seconds=rng.randrange(360 * 86400))
                status = rng.choices(statuses, weights)[0]
                customer = first_customer + rng.randrange(n_customers)
                channel = rng.choice(channels).value
                summary = rng.choice(SUMMARIES)
                body = f"{summary}. Case {number} of the load test; details follow. " * 3
                due = received + DEFAULT_RESOLUTION + dt.timedelta(hours=rng.randrange(-96, 96))
                cases.append((
                    case_id, case_reference(year, number), customer, channel,
                    rng.choice(categories).value, "", rng.choice(list(Priority)).value, "low",
                    "GB", "en", status.value, rng.choice(team_ids), summary, body, "", received,
                    received, due))
                messages.append((case_id, "in", channel, "customer", customer,
                                 f"Customer {customer}", body, "public", received))
                row = audit.first_row(audit.FirstEvent(
                    chain=case_reference(year, number), actor=f"customer:{customer}",
                    action="case.opened", case_id=case_id,
                    data={"channel": channel, "summary": summary, "customer_id": customer},
                ), received)
                events.append(tuple(row[c] for c in EVENT_COLUMNS))
            _write(conn, "cases", CASE_COLUMNS, cases)
            _write(conn, "messages", MESSAGE_COLUMNS, messages)
            _write(conn, "audit_events", EVENT_COLUMNS, events)
            _write(conn, "audit_heads", ("chain", "seq", "hash", "dirty"),
                   ((e[0], 1, e[-1], True) for e in events))
            done += size
            if progress:
                progress(size)
        conn.execute(table_of(CaseCounter).update().where(CaseCounter.year == year)
                     .values(value=counter + n_cases))
        if conn.dialect.name == "postgresql":
            for table in ("customers", "cases", "messages", "audit_events"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
        else:
            conn.exec_driver_sql("ANALYZE")
    return n_cases


def count_cases(engine: Engine) -> int:
    """How many cases the database holds."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Case)).scalar_one())


def _next_id(conn: Any, table: str) -> int:
    return int(conn.execute(text(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")).scalar_one())


def _write(conn: Any, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Load ``rows``: ``COPY`` on PostgreSQL, one ``executemany`` on SQLite."""
    raw = conn.connection.driver_connection
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    raw.cursor().executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})",
                             (tuple(_sqlite(v) for v in row) for row in rows))


def _sqlite(value: Any) -> Any:
    """SQLite parameter form of a value, as SQLAlchemy stores it (naive UTC datetimes)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value
