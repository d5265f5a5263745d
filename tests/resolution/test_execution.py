"""Carrying out accepted remedies: the exchange acts once per client id, the receipt is kept
as evidence, the customer is told, the case completes; timeouts retry safely, refusals wait
for finance."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ombud.audit.tables import AuditEvent
from ombud.cases.tables import Case, Message
from ombud.common.clock import as_utc, utcnow
from ombud.common.faults import Faults
from ombud.db import tx
from ombud.evidence.tables import EvidenceItem
from ombud.exchange import SimExchange, dto
from ombud.jobs import service as jobs
from ombud.jobs.tables import Job
from ombud.resolution import execution
from ombud.resolution.execution import client_id_for
from ombud.resolution.tables import Remedy
from ombud.storage.blobs import LocalBlobStore
from tests.conftest import World
from tests.resolution.seed_remedies import Spec, handlers, ledger_counts, remedies, seed, uid

D = Decimal


@pytest.fixture
def sim(tmp_path: Path) -> SimExchange:
    return SimExchange.open(tmp_path / "exchange.json")


@pytest.fixture
def blobs(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def run(session: Session, sim: SimExchange, blobs: LocalBlobStore) -> None:
    """Run the due jobs (other kinds than the remedies' are parked: no handler here)."""
    jobs.run_due(session, "test", handlers(sim, blobs))


def due_now(session: Session) -> None:
    """Let a job waiting out its backoff run now."""
    with tx(session):
        session.execute(update(Job).where(Job.status == jobs.QUEUED).values(run_at=utcnow()))


def job_of(session: Session, remedy_id: int) -> Job:
    session.expire_all()
    return session.scalars(select(Job).where(Job.key == f"remedy:{remedy_id}")).one()


def case_of(session: Session, remedy_id: int) -> Case:
    session.expire_all()
    remedy = session.get(Remedy, remedy_id)
    assert remedy is not None
    case = session.get(Case, remedy.case_id)
    assert case is not None
    return case


def test_client_ids_are_deterministic_and_fit_the_exchange_rule() -> None:
    assert client_id_for("C-2026-000123", 17) == "OMB-C2026000123-17"
    assert client_id_for("C-2026-000123", 17) == client_id_for("C-2026-000123", 17)
    assert client_id_for("C-2026-000123", 18) != client_id_for("C-2026-000123", 17)
    long = client_id_for("C-2026-123456789012", 12345678901234567)  # past 32 characters
    assert long == client_id_for("C-2026-123456789012", 12345678901234567)
    for cid in (long, client_id_for("C-2026-000001", 1)):
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,32}", cid) and cid.startswith("OMB-")


def test_a_compensation_is_credited_once_kept_as_evidence_told_and_the_case_completes(
        world: World, session: Session, sim: SimExchange, blobs: LocalBlobStore) -> None:
    (rid,) = seed(session, world, sim, [Spec("compensation", D("36.35"))])
    run(session, sim, blobs)
    (remedy,) = remedies(session, [rid])
    transfer = sim.transfer_state(remedy.client_id or "")
    assert transfer is not None and transfer.kind == "credit"
    assert (remedy.status, remedy.bill_id, remedy.attempts, remedy.last_error) == (
        "executed", transfer.transfer_id, 1, None)
    assert remedy.executed_at is not None
    assert sim.balances(uid(0)) == [dto.Balance("USDT", D("36.35"))]
    receipt = session.get(EvidenceItem, remedy.receipt_evidence_id)
    assert receipt is not None and receipt.kind == "receipt" and receipt.source == "sim"
    assert json.loads(receipt.data or "")["transfer_id"] == transfer.transfer_id
    assert blobs.get(receipt.sha256)  # frozen like any other evidence
    case = case_of(session, rid)
    assert case.status == "resolved"
    actions = list(session.scalars(select(AuditEvent.action).where(
        AuditEvent.case_id == case.id).order_by(AuditEvent.id)))
    assert actions[-3:] == ["remedy.executed", "message.out", "case.transition"]
    told = session.scalars(select(Message).where(Message.case_id == case.id)
                           .order_by(Message.id.desc())).first()
    assert told is not None and told.visibility == "public"
    assert "36.35 USDT" in told.body and transfer.transfer_id in told.body
    assert {"notify.customer", "feedback.survey"} <= set(session.scalars(select(Job.kind)))
    assert job_of(session, rid).status == jobs.DONE


def test_a_fee_refund_is_a_refund_and_an_unfreeze_lifts_the_freeze(
        world: World, session: Session, sim: SimExchange, blobs: LocalBlobStore) -> None:
    refund, unfreeze = seed(session, world, sim, [Spec("fee_refund", D("1.2")),
                                                  Spec("unfreeze")])
    assert uid(0) in SimExchange.open(sim.path or Path()).state.frozen
    run(session, sim, blobs)
    r, u = remedies(session, [refund, unfreeze])
    transfer = sim.transfer_state(r.client_id or "")
    assert transfer is not None and transfer.kind == "refund" and r.status == "executed"
    assert u.status == "executed" and u.bill_id is None and u.receipt_evidence_id
    assert uid(0) not in SimExchange.open(sim.path or Path()).state.frozen
    receipt = session.get(EvidenceItem, u.receipt_evidence_id)
    assert receipt is not None and json.loads(receipt.data or "")["frozen"] is False
    assert case_of(session, refund).status == "resolved"


def test_the_case_completes_only_when_its_last_remedy_is_carried_out(
        world: World, session: Session, sim: SimExchange, blobs: LocalBlobStore) -> None:
    first, second = seed(session, world, sim, [Spec("compensation"), Spec("goodwill", D(5))])
    assert jobs.run_due(session, "test", handlers(sim, blobs), limit=1) == 1
    assert case_of(session, first).status == "executing"
    assert not execution.settle(session, case_of(session, first).id)
    run(session, sim, blobs)
    assert [r.status for r in remedies(session, [first, second])] == ["executed", "executed"]
    assert case_of(session, first).status == "resolved"
    assert not execution.settle(session, case_of(session, first).id)  # nothing left to do


def test_a_cancelled_remedy_lets_the_case_complete(
        world: World, session: Session, sim: SimExchange, blobs: LocalBlobStore) -> None:
    first, second = seed(session, world, sim, [Spec("compensation"), Spec("goodwill", D(5))])
    assert jobs.run_due(session, "test", handlers(sim, blobs), limit=1) == 1
    with tx(session):
        session.execute(update(Remedy).where(Remedy.id == second).values(
            status="cancelled", cancel_reason="account closed"))
    assert execution.settle(session, case_of(session, first).id)
    assert case_of(session, first).status == "resolved"
    run(session, sim, blobs)  # the cancelled remedy's job finds nothing to do
    assert ledger_counts(sim) == {remedies(session, [first])[0].client_id: 1}


@pytest.mark.parametrize("after_apply", [False, True])
def test_a_timeout_mid_credit_retries_and_never_pays_twice(
        world: World, session: Session, sim: SimExchange, blobs: LocalBlobStore,
        after_apply: bool) -> None:
    (rid,) = seed(session, world, sim, [Spec("compensation", D(50))])
    sim.fail_next("credit", after_apply=after_apply)
    run(session, sim, blobs)
    (remedy,) = remedies(session, [rid])
    job = job_of(session, rid)
    assert (remedy.status, remedy.attempts) == ("accepted", 1)
    assert remedy.last_error and "ExchangeTimeout" in remedy.last_error
    assert job.status == jobs.QUEUED and job.attempts == 1 and as_utc(job.run_at) > utcnow()
    assert (sim.transfer_state(remedy.client_id or "") is not None) is after_apply
    due_now(session)
    run(session, sim, blobs)
    (remedy,) = remedies(session, [rid])
    assert (remedy.status, remedy.attempts, remedy.last_error) == ("executed", 2, None)
    assert ledger_counts(sim) == {remedy.client_id: 1}
    assert sim.balances(uid(0)) == [dto.Balance("USDT", D(50))]
    assert case_of(session, rid).status == "resolved"


def test_the_same_remedy_queued_twice_is_carried_out_once(
        world: World, session: Session, sim: SimExchange, blobs: LocalBlobStore) -> None:
    (rid,) = seed(session, world, sim, [Spec("compensation", D(7))])
    with tx(session):
        jobs.enqueue(session, execution.EXECUTE, {"remedy_id": rid}, f"remedy:{rid}")  # ignored
        jobs.enqueue(session, execution.EXECUTE, {"remedy_id": rid}, f"remedy:{rid}:again")
    run(session, sim, blobs)
    (remedy,) = remedies(session, [rid])
    assert remedy.status == "executed" and remedy.attempts == 1
    assert ledger_counts(sim) == {remedy.client_id: 1}
    assert len(list(session.scalars(select(EvidenceItem).where(
        EvidenceItem.kind == "receipt")))) == 1
    assert list(session.scalars(select(Job.status).where(Job.kind == execution.EXECUTE))) == [
        jobs.DONE, jobs.DONE]  # the second found the remedy executed


def test_a_refusal_parks_the_job_for_finance_and_a_retry_pays_once(
        world: World, session: Session, sim: SimExchange, blobs: LocalBlobStore) -> None:
    (rid,) = seed(session, world, sim, [Spec("compensation", D(5000), asset="BTC")])
    run(session, sim, blobs)  # the treasury holds 1,000 BTC
    (remedy,) = remedies(session, [rid])
    job = job_of(session, rid)
    assert job.status == jobs.PARKED and "needs finance" in (job.last_error or "")
    assert remedy.status == "accepted" and remedy.attempts == 1
    assert remedy.last_error and "insufficient BTC" in remedy.last_error
    assert sim.transfer_state(remedy.client_id or "") is None
    assert case_of(session, rid).status == "executing"
    refused = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "remedy.refused")).one()
    assert json.loads(refused.data)["remedy_id"] == rid
    sim.deposit("treasury", dto.Deposit(dep_id="topup", ccy="BTC", chain="BTC-Bitcoin",
                                        amt=D(5000), to="bc1qtreasury", state=2, ts=sim.now))
    jobs.retry_parked(session, job.id)
    run(session, sim, blobs)
    (remedy,) = remedies(session, [rid])
    assert (remedy.status, remedy.attempts, remedy.last_error) == ("executed", 2, None)
    assert ledger_counts(sim) == {remedy.client_id: 1}


def test_a_client_id_already_used_for_another_transfer_is_refused_not_paid(
        world: World, session: Session, sim: SimExchange, blobs: LocalBlobStore) -> None:
    (rid,) = seed(session, world, sim, [Spec("compensation", D(10))])
    (remedy,) = remedies(session, [rid])
    sim.credit(uid(0), "USDT", D(99), remedy.client_id or "")  # someone used our id
    run(session, sim, blobs)
    (remedy,) = remedies(session, [rid])
    assert job_of(session, rid).status == jobs.PARKED
    assert remedy.status == "accepted" and "ClientIdConflict" in (remedy.last_error or "")
    assert sim.balances(uid(0)) == [dto.Balance("USDT", D(99))]


def test_an_account_the_exchange_does_not_know_is_refused(
        world: World, session: Session, sim: SimExchange, blobs: LocalBlobStore) -> None:
    (rid,) = seed(session, world, sim, [Spec("goodwill", D(3))])
    with tx(session):
        session.execute(update(Remedy).where(Remedy.id == rid).values(account="UID-NOBODY"))
    run(session, sim, blobs)
    (remedy,) = remedies(session, [rid])
    assert job_of(session, rid).status == jobs.PARKED
    assert remedy.status == "accepted" and "UnknownAccount" in (remedy.last_error or "")


def test_without_a_remedy_account_the_customers_uid_is_paid(
        world: World, session: Session, sim: SimExchange, blobs: LocalBlobStore) -> None:
    (rid,) = seed(session, world, sim, [Spec("goodwill", D(3))])
    with tx(session):
        session.execute(update(Remedy).where(Remedy.id == rid).values(account=None))
    run(session, sim, blobs)
    assert remedies(session, [rid])[0].status == "executed"
    assert sim.balances(uid(0)) == [dto.Balance("USDT", D(3))]


def test_the_customer_is_told_in_their_language(
        world: World, session: Session, sim: SimExchange, blobs: LocalBlobStore) -> None:
    (rid,) = seed(session, world, sim, [Spec("fee_refund", D("2.5"))], language="zh-Hant")
    run(session, sim, blobs)
    told = session.scalars(select(Message).where(Message.case_id == case_of(session, rid).id)
                           .order_by(Message.id.desc())).first()
    assert told is not None and "手續費" in told.body and "2.5 USDT" in told.body
    subject, body = execution.notice("zh-Hans", "C-2026-000001", "unfreeze", None, None, None)
    assert "解除冻结" in body and "C-2026-000001" in subject
    _, body = execution.notice("fr", "C-2026-000001", "goodwill", "BTC", D("0.1"), "42")
    assert body == ("Case C-2026-000001: we have credited a goodwill payment of 0.1 BTC to "
                    "your account (transfer 42), as set out in the decision you accepted.")


def test_fault_points_are_checked_by_name() -> None:
    assert "remedy.in_commit" in Faults.parse(" remedy.in_commit ,", execution.FAULT_POINTS)
    assert not Faults.parse("", execution.FAULT_POINTS).armed
    with pytest.raises(ValueError, match=r"remedy\.in_comit"):
        Faults.parse("remedy.in_comit", execution.FAULT_POINTS)


def test_a_remedy_not_accepted_is_never_sent_to_the_exchange(
        world: World, session: Session, sim: SimExchange, blobs: LocalBlobStore) -> None:
    (rid,) = seed(session, world, sim, [Spec("compensation", D(4))])
    with tx(session):
        session.execute(update(Remedy).where(Remedy.id == rid).values(status="proposed"))
    run(session, sim, blobs)
    assert job_of(session, rid).status == jobs.PARKED
    assert "not one the exchange carries out" in (remedies(session, [rid])[0].last_error or "")
    assert sim.transfers() == []
