"""Exactly once under crashes: real ``ombud worker`` processes are killed at each step of
carrying out a remedy (before the exchange call; after it answered, before anything is
written; during the commit; right after the commit), then a worker without faults finishes
the work. The simulated exchange's ledger must show every remedy carried out exactly once, and
Ombud's remedy rows must agree with it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud.audit.tables import AuditEvent
from ombud.cases.tables import Case, Message
from ombud.common.faults import EXIT_CODE
from ombud.config import Settings
from ombud.evidence.tables import EvidenceItem
from ombud.exchange import SimExchange
from ombud.exchange.factory import open_sim, sim_path
from ombud.jobs import service as jobs
from ombud.jobs.tables import Job
from ombud.resolution import execution, reconcile
from tests.conftest import World
from tests.resolution.seed_remedies import Spec, ledger_counts, remedies, seed, uid

D = Decimal
#: A guard against a hang (a worker starts by training the triage classifier), not a claim.
PATIENCE = 300.0
#: One remedy per fault point, in the order the killed workers take them, and one more that
#: only the recovering worker carries out (an unfreeze on the first case).
SPECS = [Spec("compensation", D("10.5"), case=0), Spec("fee_refund", D("1.25"), case=1),
         Spec("goodwill", D(3), case=2), Spec("compensation", D("0.015"), "BTC", case=3),
         Spec("unfreeze", case=0)]


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of an ``ombud worker`` on the test's database and data folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMBUD_")}
    env.update({"OMBUD_DATABASE_URL": settings.database_url,
                "OMBUD_DATA_DIR": str(settings.data_dir), "OMBUD_JOB_POLL_SECONDS": "0.05",
                "OMBUD_DB_POOL_SIZE": "2", "OMBUD_LOG_LEVEL": "WARNING"})
    env.update(extra)
    return env


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A real ``ombud worker`` process, its output in ``log``."""
    with log.open("wb") as fh:
        return subprocess.Popen([sys.executable, "-m", "ombud.cli", "worker"], env=env,
                                stdout=fh, stderr=subprocess.STDOUT)


def fresh(session: Session) -> Session:
    """The session with nothing cached and no transaction open (workers write meanwhile)."""
    session.rollback()
    session.expire_all()
    return session


def executed_events(session: Session, remedy_id: int) -> int:
    rows = session.scalars(select(AuditEvent.data).where(AuditEvent.action == "remedy.executed"))
    return sum(1 for data in rows if json.loads(data)["remedy_id"] == remedy_id)


def receipts(session: Session, remedy_id: int) -> int:
    return session.scalar(select(func.count()).select_from(EvidenceItem).where(
        EvidenceItem.run == f"remedy:{remedy_id}")) or 0


def check_killed(session: Session, settings: Settings, point: str, remedy_id: int) -> None:
    """What a worker killed at ``point`` while carrying out ``remedy_id`` left behind."""
    (remedy,) = remedies(fresh(session), [remedy_id])
    job = session.scalars(select(Job).where(Job.key == f"remedy:{remedy_id}")).one()
    paid = SimExchange.open(sim_path(settings)).transfer_state(remedy.client_id or "")
    if point == execution.AFTER_COMMIT:  # everything committed, the job included
        assert (remedy.status, job.status, job.attempts) == ("executed", jobs.DONE, 1)
        assert paid is not None and remedy.bill_id == paid.transfer_id
        return
    assert (remedy.status, job.status, job.attempts) == ("accepted", jobs.RUNNING, 1)
    assert (paid is not None) is (point != execution.BEFORE_CALL)  # the exchange acted, or not
    assert receipts(session, remedy_id) == executed_events(session, remedy_id) == 0


def test_a_worker_killed_at_each_step_still_carries_out_every_remedy_exactly_once(
        world: World, session: Session, settings: Settings, tmp_path: Path) -> None:
    ids = seed(session, world, open_sim(settings), SPECS)
    for n, point in enumerate(execution.FAULT_POINTS):
        log = tmp_path / f"worker-{n}.log"
        proc = start_worker(worker_env(settings, OMBUD_FAULT_POINTS=point), log)
        assert proc.wait(timeout=PATIENCE) == EXIT_CODE, log.read_text()
        assert f"fault point {point} reached" in log.read_text()
        check_killed(session, settings, point, ids[n])

    # the operator's setting for a crashed fleet: a running job is abandoned at once
    log = tmp_path / "worker-recovery.log"
    proc = start_worker(worker_env(settings, OMBUD_JOB_STALE_SECONDS="0"), log)
    try:
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline and proc.poll() is None:
            if set(fresh(session).scalars(select(Job.status).where(
                    Job.kind == execution.EXECUTE))) == {jobs.DONE}:
                break
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert proc.returncode == 0, log.read_text()

    rows = remedies(fresh(session), ids)
    assert [r.status for r in rows] == ["executed"] * len(SPECS)
    assert list(session.scalars(select(Job.attempts).where(Job.kind == execution.EXECUTE)
                                .order_by(Job.id))) == [2, 2, 2, 1, 1]
    sim = SimExchange.open(sim_path(settings))
    money = [r for r in rows if r.kind != "unfreeze"]
    assert ledger_counts(sim) == Counter({r.client_id: 1 for r in money})  # paid once each
    assert sorted(t.client_id for t in sim.transfers()) == sorted(
        r.client_id or "" for r in money)
    for r in money:
        paid = sim.transfer_state(r.client_id or "")
        assert paid is not None
        assert (paid.account, paid.ccy, paid.amt, paid.transfer_id) == (
            r.account, r.asset, r.amount, r.bill_id)
        assert paid.kind == ("refund" if r.kind == "fee_refund" else "credit")
    assert uid(0) not in sim.state.frozen
    for r in rows:
        assert receipts(session, r.id) == executed_events(session, r.id) == 1
    notices = Counter(session.scalars(select(Message.case_id).where(
        Message.author_kind == "system", Message.body.like("%as set out in the decision%"))))
    assert sorted(notices.values()) == [1, 1, 1, 2]  # one per remedy; case 0 had two
    assert set(session.scalars(select(Case.status).where(Case.id.in_(notices)))) == {
        "resolved"}
    report = reconcile.run(session, sim)
    assert (report.checked, report.listed, report.differences) == (len(money), True, [])
