"""The job queue: enqueue in the caller's transaction, idempotent by key; failures roll back,
back off and park; parked jobs retry; stale jobs are reclaimed; the acknowledgement job
produces one outbound message however often it runs."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from ombud import worker
from ombud.cases.filing import open_case
from ombud.cases.schemas import CaseIn
from ombud.cases.tables import Message
from ombud.cases.taxonomy import Channel
from ombud.common.clock import as_utc, utcnow
from ombud.config import Settings
from ombud.customers import service as customers
from ombud.customers.tables import Customer
from ombud.db import tx
from ombud.jobs import service as jobs
from ombud.jobs.queries import list_jobs
from ombud.jobs.tables import Job
from tests.audit.crew import make_crew, race


class Boom(Exception):
    """A handler failure."""


def _job(session: Session, key: str) -> Job:
    session.expire_all()
    return session.scalars(select(Job).where(Job.key == key)).one()


def _make_due(session: Session, key: str) -> None:
    """Skip the backoff wait (as the clock would)."""
    session.execute(update(Job).where(Job.key == key).values(run_at=utcnow()))
    session.commit()


def test_enqueue_is_idempotent_by_key(session: Session) -> None:
    jobs.enqueue(session, "test.noop", {"n": 1}, "k-1")
    jobs.enqueue(session, "test.noop", {"n": 2}, "k-1")
    jobs.enqueue(session, "test.noop", {"n": 3}, "k-2")
    rows = session.scalars(select(Job).order_by(Job.id)).all()
    assert [(r.key, r.payload) for r in rows] == [("k-1", '{"n": 1}'), ("k-2", '{"n": 3}')]


def test_enqueue_belongs_to_the_callers_transaction(session: Session) -> None:
    with pytest.raises(Boom), tx(session):
        customers.find_or_register(session, uid="UID-X")
        jobs.enqueue(session, "test.noop", {}, "k-rolled-back")
        raise Boom
    assert session.scalar(select(func.count()).select_from(Job)) == 0
    assert session.scalar(select(func.count()).select_from(Customer)) == 0


def test_a_failing_handler_rolls_back_backs_off_and_parks(session: Session) -> None:
    calls: list[int] = []

    def flaky(s: Session, payload: dict[str, Any]) -> None:
        calls.append(1)
        customers.find_or_register(s, uid=f"UID-{len(calls)}")  # an effect to roll back
        if payload["fail"]:
            raise Boom("exchange unreachable")

    handlers = {"test.flaky": flaky}
    jobs.enqueue(session, "test.flaky", {"fail": True}, "flaky", max_attempts=3)
    for attempt in (1, 2, 3):
        before = utcnow()
        assert jobs.run_due(session, "w1", handlers) == 1
        after = utcnow()
        job = _job(session, "flaky")
        assert job.attempts == attempt and job.last_error == "Boom: exchange unreachable"
        assert job.locked_by is None
        if attempt < 3:
            assert job.status == jobs.QUEUED
            wait = dt.timedelta(seconds=2**attempt)  # exponential backoff: 2 s, then 4 s
            assert before + wait <= as_utc(job.run_at) <= after + wait
            assert jobs.run_due(session, "w1", handlers) == 0  # not due yet
            _make_due(session, "flaky")
    assert job.status == jobs.PARKED
    assert jobs.backoff(3) == dt.timedelta(seconds=8) and jobs.backoff(20).total_seconds() == 600
    assert session.scalar(select(func.count()).select_from(Customer)) == 0  # effects undone
    parked = list_jobs(session, status="parked")
    assert [(j.key, j.last_error, j.attempts) for j in parked] == [
        ("flaky", "Boom: exchange unreachable", 3)]
    assert jobs.run_due(session, "w1", handlers) == 0  # a parked job stays put
    assert jobs.counts(session) == {"parked": 1}

    session.execute(update(Job).where(Job.key == "flaky").values(payload='{"fail": false}'))
    session.commit()
    jobs.retry_parked(session, parked[0].id)
    job = _job(session, "flaky")
    assert (job.status, job.attempts) == (jobs.QUEUED, 0)
    assert jobs.run_due(session, "w1", handlers) == 1
    job = _job(session, "flaky")
    assert (job.status, job.last_error, job.attempts) == (jobs.DONE, None, 1)
    assert session.scalar(select(func.count()).select_from(Customer)) == 1
    assert len(calls) == 4


def test_an_unknown_kind_is_parked_at_once(session: Session) -> None:
    jobs.enqueue(session, "test.nobody", {}, "orphan")
    jobs.run_due(session, "w1", {})
    job = _job(session, "orphan")
    assert job.status == jobs.PARKED and "no handler" in (job.last_error or "")


def test_a_stale_running_job_is_reclaimed(session: Session) -> None:
    ran: list[str] = []
    jobs.enqueue(session, "test.once", {}, "stale")
    claimed = jobs.claim(session, "dead-worker")
    assert [c.key for c in claimed] == ["stale"]
    assert jobs.claim(session, "w2") == []  # still held by a live-looking worker
    session.execute(text("UPDATE jobs SET locked_at = :t WHERE key = 'stale'"),
                    {"t": utcnow() - jobs.STALE_AFTER - dt.timedelta(seconds=5)})
    session.commit()
    assert jobs.run_due(session, "w2", {"test.once": lambda s, p: ran.append("w2")}) == 1
    job = _job(session, "stale")
    assert ran == ["w2"] and job.status == jobs.DONE and job.attempts == 2
    assert job.locked_by == "w2"


def test_the_acknowledgement_produces_one_message_even_if_run_twice(
    session: Session, settings: Settings
) -> None:
    crew = make_crew(session)
    case, _ = open_case(session, crew.staff["agent"], CaseIn(
        summary="Deposit not credited", channel=Channel.EMAIL,
        customer_email="carol@example.com"))
    handlers = worker.handlers(settings)
    assert jobs.run_due(session, "w1", handlers) == 3  # the acknowledgement, triage, the email
    payload = session.scalars(select(Job.payload).where(Job.kind == "cases.acknowledge")).one()
    handlers["cases.acknowledge"](session, json.loads(payload))  # a second, late run
    assert jobs.run_due(session, "w1", handlers) == 0

    acks = session.scalars(select(Message).where(Message.direction == "out",
                                                 Message.external_id.like("ack:%"))).all()
    assert len(acks) == 1 and case.reference in acks[0].body
    emails = session.scalars(select(Job).where(Job.kind == "notify.email")).all()
    assert len(emails) == 1 and emails[0].status == jobs.DONE
    assert len(list(settings.outbox_dir.glob("*.eml"))) == 1


def test_two_concurrent_acknowledgements_post_one_message(
    sessions: sessionmaker[Session], session: Session, settings: Settings
) -> None:
    crew = make_crew(session)
    open_case(session, crew.customer, CaseIn(summary="Withdrawal stuck"))
    payload = json.loads(session.scalars(select(Job.payload).where(
        Job.kind == "cases.acknowledge")).one())
    ack = worker.handlers(settings)["cases.acknowledge"]
    race(sessions, lambda s: ack(s, payload), lambda s: ack(s, payload))
    session.commit()  # end this session's read snapshot
    assert session.scalar(select(func.count()).select_from(Message)
                          .where(Message.direction == "out")) == 1
