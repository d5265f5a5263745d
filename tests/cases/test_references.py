"""Case references: ``C-YYYY-NNNNNN``, unique and gapless under concurrent creation, with
the numbers of rolled-back creates given back (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import re
import threading

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ombud.cases.filing import open_case
from ombud.cases.schemas import CaseIn
from ombud.cases.tables import Case
from ombud.common.clock import utcnow
from ombud.customers import service as customers
from ombud.db import tx
from ombud.security.permissions import Principal

THREADS, PER_THREAD = 8, 25


class Abandoned(Exception):
    """Raised on purpose to roll a create back."""


def _customer(session: Session) -> Principal:
    found = customers.find_or_register(session, uid="UID-REF-1", email="ref@example.com")
    return Principal(kind="customer", id=found.id, name="ref")


def _numbers(session: Session, year: int) -> list[int]:
    refs = session.scalars(select(Case.reference)).all()
    assert all(re.fullmatch(rf"C-{year}-\d{{6}}", r) for r in refs), refs
    return sorted(int(r.rsplit("-", 1)[1]) for r in refs)


def _create_many(
    sessions: sessionmaker[Session], who: Principal, *, abandon_every: int = 0
) -> tuple[int, list[BaseException]]:
    """THREADS threads each open PER_THREAD cases with their own session; every
    ``abandon_every``-th create is rolled back after it drew its number."""
    errors: list[BaseException] = []
    kept = [0] * THREADS
    start = threading.Barrier(THREADS)

    def work(n: int) -> None:
        try:
            with sessions() as session:
                start.wait()
                for i in range(PER_THREAD):
                    data = CaseIn(summary=f"thread {n} case {i}")
                    if abandon_every and i % abandon_every == n % abandon_every:
                        try:
                            with tx(session):
                                open_case(session, who, data)
                                raise Abandoned
                        except Abandoned:
                            continue
                    open_case(session, who, data)
                    kept[n] += 1
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(kept), errors


def test_reference_shape_and_year(session: Session) -> None:
    who = _customer(session)
    first, _ = open_case(session, who, CaseIn(summary="first"))
    second, _ = open_case(session, who, CaseIn(summary="second"))
    year = utcnow().year
    assert (first.reference, second.reference) == (f"C-{year}-000001", f"C-{year}-000002")
    old, _ = open_case(session, who, CaseIn(summary="late report"),
                       received_at=dt.datetime(2024, 12, 31, 23, 0, tzinfo=dt.UTC))
    assert old.reference == "C-2024-000001"  # each year counts from 1


def test_a_rolled_back_create_gives_its_number_back(session: Session) -> None:
    who = _customer(session)
    open_case(session, who, CaseIn(summary="kept"))
    try:
        with tx(session):
            lost, _ = open_case(session, who, CaseIn(summary="abandoned"))
            raise Abandoned
    except Abandoned:
        pass
    again, _ = open_case(session, who, CaseIn(summary="kept too"))
    assert again.reference == lost.reference
    assert _numbers(session, utcnow().year) == [1, 2]


def test_concurrent_creates_get_unique_gapless_numbers(
    sessions: sessionmaker[Session], session: Session
) -> None:
    who = _customer(session)
    created, errors = _create_many(sessions, who)
    assert not errors, errors
    assert created == THREADS * PER_THREAD
    session.commit()
    assert _numbers(session, utcnow().year) == list(range(1, created + 1))


def test_concurrent_creates_with_rollbacks_stay_gapless(
    sessions: sessionmaker[Session], session: Session
) -> None:
    who = _customer(session)
    created, errors = _create_many(sessions, who, abandon_every=4)
    assert not errors, errors
    assert created == THREADS * PER_THREAD - THREADS * PER_THREAD // 4
    session.commit()
    assert _numbers(session, utcnow().year) == list(range(1, created + 1))
