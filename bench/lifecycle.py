"""Lifecycle benchmark: 10,000 cases from findings to closed, their remedies paid on the
simulated exchange by two ``ombud worker`` processes on PostgreSQL.

Rerun from the repo root:

    .venv/bin/python bench/lifecycle.py                     # 10,000 cases, 3 drivers
    .venv/bin/python bench/lifecycle.py --cases 500 --dry   # a quick look, nothing recorded

The database ``bench_lifecycle`` (URL in OMBUD_BENCH_LIFECYCLE_URL; created if missing, its
schema dropped and migrated afresh) is seeded the fast way: the product's bulk path
``ombud.cases.bulk.bulk_seed`` (customers, cases received last year, first messages, audit
chains), then each case moved to ``investigating`` as a trade dispute with one piece of
evidence and a platform-fault finding that cites it (``evidence.findings.save``: audit event
and the case's cited-findings count), a measured loss of 5-900 USDT. The simulated exchange (under
/tmp/ombud-bench/lifecycle-var) gets an account per customer.

Then, measured in two phases so that each figure is clean: first ``--drivers`` processes take
each case through the resolution verbs as staff and the customer would - ``suggest``,
``draft`` (the policy's compensation, precedents compared), ``submit``, ``approve`` by an
approver above the specialist's 500 USD limit, the customer's ``accept``; then two real
``ombud worker`` processes (timed from when both finished training the triage classifier) run
every job that follows - remedy execution through the exchange with its receipt and notice,
letter and notice delivery, surveys - while this process closes each case as soon as it is
resolved (``outcomes.close``). Checked at the end against the exchange's ledger: every remedy
paid exactly once (one customer bill per client id, no transfer Ombud does not know), none
missing, Ombud's rows agreeing (``ombud reconcile``'s comparison).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from _results import record
from _server import OMBUD, WORK, env_for, process
from ombud import migrate
from ombud.cases.bulk import bulk_seed
from ombud.cases.tables import Case
from ombud.common.clock import utcnow
from ombud.config import Settings
from ombud.customers.tables import Customer
from ombud.db import make_engine, session_factory, tx
from ombud.evidence import findings
from ombud.evidence.schemas import FindingIn
from ombud.evidence.tables import EvidenceItem
from ombud.exchange import SimExchange
from ombud.exchange.factory import sim_path
from ombud.resolution import outcomes, policies, reconcile, service
from ombud.resolution.schemas import DecisionIn, PointIn, ProposalIn
from ombud.resolution.service import Config
from ombud.resolution.tables import Approval, Proposal, Remedy
from ombud.security import service as security
from ombud.security.permissions import Principal
from ombud.security.roles import Role
from ombud.security.tables import Staff

BENCH = "lifecycle"
URL = os.environ.get("OMBUD_BENCH_LIFECYCLE_URL",
                     "postgresql://postgres@127.0.0.1:5432/bench_lifecycle")
DATA = WORK / "lifecycle-var"
CFG = Config(public_url="http://127.0.0.1:8000")
PATIENCE = 3 * 3600.0  # a guard against a hung worker, not a target


def reset(url: str) -> None:
    """Create the database if missing; drop and migrate its schema."""
    base, name = url.rsplit("/", 1)
    admin = make_engine(Settings(database_url=f"{base}/postgres"))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                            {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = make_engine(Settings(database_url=url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate.upgrade(engine)
    engine.dispose()


def seed(url: str, n: int) -> None:
    """Staff, ``n`` cases under investigation with a cited finding each."""
    settings = Settings(database_url=url)
    engine = make_engine(settings)
    with session_factory(engine)() as s:
        team = security.create_team(s, "trading").id
        for name, role in (("specialist", Role.SPECIALIST), ("approver", Role.APPROVER)):
            security.create_staff(s, username=name, password="bench-password-1", role=role,
                                  team_id=team, display_name=name.title())
        policies.in_effect(s, utcnow())  # the default policy, before drivers race to make it
    started = time.monotonic()
    bulk_seed(engine, n, team_ids=[team], n_customers=n, year=utcnow().year - 1)  # all past
    with engine.begin() as conn:
        conn.execute(update(Case).values(status="investigating", category="trade_dispute",
                                         subcategory="delayed_fill"))
    rng = random.Random(5)
    with session_factory(engine)() as s:
        ids = list(s.scalars(select(Case.id).order_by(Case.id)))
        for at in range(0, len(ids), 500):
            with tx(s):
                for case in s.scalars(select(Case).where(Case.id.in_(ids[at:at + 500]))):
                    _finding(s, case, rng)
    print(f"seeded {n} cases with findings in {time.monotonic() - started:.0f} s", flush=True)
    engine.dispose()


def staff_of(session: Session) -> dict[str, Principal]:
    """The benchmark's specialist and approver."""
    return {s.username: Principal("staff", s.id, s.display_name, Role(s.role), s.team_id)
            for s in session.scalars(select(Staff))}


def _finding(session: Session, case: Case, rng: random.Random) -> None:
    loss = Decimal(rng.randrange(500, 90_000)) / 100
    body = json.dumps({"fills": [{"ord_id": str(case.id), "late_ms": rng.randrange(900, 9000)}]})
    item = EvidenceItem(case_id=case.id, kind="fills", source="sim", run="auto", request="{}",
                        captured_at=utcnow(), sha256=hashlib.sha256(body.encode()).hexdigest(),
                        media_type="application/json", size=len(body), data=body,
                        created_by="system")
    session.add(item)
    session.flush()
    findings.save(session, case, FindingIn(
        fault="platform", verdict="platform_fault", summary="The fill came after the market "
        "moved: the matching engine was late.", loss_asset="USDT", loss_amount=loss,
        loss_usd=loss), cited=[item.id], actor="system", origin="analysis",
        analysis="replay", key="replay:auto")


def decide(url: str, refs: list[str], customers: list[int]) -> None:
    """Driver process: each case through suggest, draft, submit, (approve,) accept."""
    engine = make_engine(Settings(database_url=url, db_pool_size=2))
    with session_factory(engine)() as s:
        staff = staff_of(s)
        specialist, approver = staff["specialist"], staff["approver"]
        for ref, customer in zip(refs, customers, strict=True):
            hint = service.suggest(s, specialist, ref)
            finding = hint.remedies[0].finding_id
            service.draft(s, specialist, ref, ProposalIn(
                outcome="upheld", summary="Our engine filled your order late.",
                points=[PointIn(point="My order was filled late.", finding_id=finding,
                                upheld=True, reason="The replay shows the fill came late.")],
                remedies=hint.remedies))
            if service.submit(s, specialist, ref, CFG).status == "awaiting_approval":
                service.approve(s, approver, ref, DecisionIn(note="checked"), CFG)
            outcomes.accept(s, Principal("customer", customer, "Customer"), ref)
    engine.dispose()


def run_decisions(url: str, n: int, drivers: int) -> None:
    """Reset and seed the database and the exchange; take every case to an accepted
    decision with ``drivers`` processes."""
    reset(url)
    seed(url, n)
    engine = make_engine(Settings(database_url=url))
    with session_factory(engine)() as s:
        cases = list(s.execute(select(Case.reference, Case.customer_id).order_by(Case.id)))
        uids = list(s.scalars(select(Customer.uid)))
    engine.dispose()
    for suffix in ("", ".journal", ".lock"):
        (DATA / f"exchange.json{suffix}").unlink(missing_ok=True)
    DATA.mkdir(parents=True, exist_ok=True)
    SimExchange.open(DATA / "exchange.json").open_accounts(u for u in uids if u)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=decide, args=(url, [r for r, _ in cases[i::drivers]],
                                              [c for _, c in cases[i::drivers]]))
             for i in range(drivers)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    if any(proc.exitcode for proc in procs):
        raise SystemExit("a driver failed (its traceback is above)")


def decided(url: str) -> tuple[float, int]:
    """(seconds from the first draft to the last acceptance, approvals given)."""
    engine = make_engine(Settings(database_url=url))
    with session_factory(engine)() as s:
        first, last = s.execute(select(func.min(Proposal.created_at),
                                       func.max(Proposal.answered_at))).one()
        approvals = s.scalar(select(func.count()).select_from(Approval)) or 0
    engine.dispose()
    return (last - first).total_seconds(), approvals


def close_resolved(session: Session, who: Principal) -> int:
    """Close every resolved case now (through ``outcomes.close``); how many."""
    session.rollback()
    refs = list(session.scalars(select(Case.reference).where(Case.status == "resolved")))
    for ref in refs:
        outcomes.close(session, who, ref)
    return len(refs)


@dataclass(frozen=True)
class Checked:
    """What the exchange's ledger says of Ombud's remedies."""

    remedies: int
    transfers: int
    duplicated: int  # bills beyond the first per client id, and transfers Ombud does not know
    missing: int  # remedies not executed, or executed without a bill at the exchange
    differences: list[reconcile.Difference]
    statuses: dict[str, int]
    executing_s: float  # from the first remedy executed to the last


def check(url: str) -> Checked:
    """The exchange's ledger against Ombud's remedies."""
    engine = make_engine(Settings(database_url=url))
    sim = SimExchange.open(sim_path(Settings(database_url=url, data_dir=DATA)))
    with session_factory(engine)() as s:
        rows = list(s.scalars(select(Remedy).where(Remedy.kind == "compensation")))
        report = reconcile.run(s, sim)
        first, last = s.execute(select(func.min(Remedy.executed_at),
                                       func.max(Remedy.executed_at))).one()
        statuses = Counter(s.scalars(select(Case.status)))
    engine.dispose()
    bills = Counter(b.client_id for account, bs in sim.state.bills.items()
                    if account != "treasury" for b in bs if b.client_id)
    ours = {r.client_id for r in rows}
    return Checked(
        remedies=len(rows), transfers=len(sim.state.transfers),
        duplicated=sum(n - 1 for n in bills.values() if n > 1) + len(set(bills) - ours),
        missing=sum(1 for r in rows if r.status != "executed" or not bills[r.client_id or ""]),
        differences=report.differences, statuses=dict(statuses),
        executing_s=(last - first).total_seconds() if first and last else 0.0)


def main() -> None:
    """Seed, run the lifecycle, check, record."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--drivers", type=int, default=3)
    parser.add_argument("--dry", action="store_true")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the decided cases of an earlier run; only run the workers")
    args = parser.parse_args()
    n = args.cases
    load = os.getloadavg()
    if not args.reuse:
        run_decisions(URL, n, args.drivers)
    decided_s, approvals = decided(URL)
    print(f"{n} decisions accepted in {decided_s:.0f} s", flush=True)

    env = env_for(URL, OMBUD_DATA_DIR=str(DATA), OMBUD_DB_POOL_SIZE="4",
                  OMBUD_JOB_POLL_SECONDS="0.1")
    logs = [WORK / f"lifecycle-worker-{i}.log" for i in range(2)]
    with process([OMBUD, "worker"], env, logs[0]), process([OMBUD, "worker"], env, logs[1]):
        while not all(log.exists() and "started" in log.read_text() for log in logs):
            time.sleep(0.2)  # each worker trains the triage classifier first
        started = time.monotonic()
        closed, shown = 0, 0.0
        closer = make_engine(Settings(database_url=URL, db_pool_size=1))
        with session_factory(closer)() as s:
            who = staff_of(s)["specialist"]
            while closed < n and time.monotonic() - started < PATIENCE:
                closed += close_resolved(s, who)
                if time.monotonic() - shown > 60:
                    shown = time.monotonic()
                    print(f"{shown - started:.0f} s: {closed} closed", flush=True)
                time.sleep(0.5)
        closer.dispose()
        executed_s = time.monotonic() - started
    result = check(URL)
    e2e, decisions = n / (decided_s + executed_s), n / decided_s
    executed = result.remedies / result.executing_s if result.executing_s else 0.0
    note = (f"postgresql; {n} bulk-seeded trade disputes with a cited platform-fault finding "
            f"(loss 5-900 USDT); first {args.drivers} driver processes (suggest, draft, submit, "
            f"{approvals} approvals above 500 USD, accept), then 2 `ombud worker` running the "
            f"jobs that follow (remedy, letter and notice delivery, survey) + a closing loop; "
            f"{result.remedies} remedies, {result.transfers} exchange transfers, "
            f"{len(result.differences)} reconcile differences, case statuses "
            f"{result.statuses}; decided in {decided_s:.0f} s, then all executed and closed in "
            f"{executed_s:.0f} s; loadavg at start {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
            + ("; the decisions of an earlier run, timed from their rows (--reuse)"
               if args.reuse else ""))
    print(note)
    figures = [
        ("cases/s decision to closed (postgresql)", f"{e2e:.1f}", "recorded", closed == n),
        ("decisions/s suggest..accept (postgresql)", f"{decisions:.1f}", "recorded", True),
        ("remedies/s executed by 2 workers (postgresql)", f"{executed:.1f}", "recorded", True),
        ("duplicated remedies (postgresql)", str(result.duplicated), "0",
         result.duplicated == 0),
        ("missing remedies (postgresql)", str(result.missing), "0", result.missing == 0),
    ]
    for metric, value, target, met in figures:
        if args.dry:
            print(f"{metric}: {value} (target {target})")
        else:
            record(BENCH, metric, value, target, met, note)


if __name__ == "__main__":
    main()
